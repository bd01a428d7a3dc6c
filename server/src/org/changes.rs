//! Changes to the organisation, made by staff (the dashboard, the command line, an import):
//! units, members and households added or changed, a member transferred to another cell, a
//! household moved to another. Each writes the server's tree and the documents the phones hold
//! (the cells' rosters and assignments, the households' details) in the caller's write
//! transaction, so a phone's next sync brings it what changed; each is checked by core's rules
//! for whoever makes it and written to the audit log.

use hosync_core::access::{Denied, StaffAction, UnitPath};
use hosync_core::docs::{cell, household};
use hosync_core::messages::{Message, Thing};
use hosync_core::{Day, DocId, HouseholdId, MemberId, MemberStatus, OrgUnit, Role, UnitId};
use sqlx::{AnyConnection, Row};

use crate::access::accounts::By;
use crate::access::audit::{self, AuditAction};
use crate::storage::{self, decode, projection};

#[derive(Debug, thiserror::Error)]
pub enum OrgError {
    #[error("{0}")]
    Invalid(Message),
    /// Names what is not there; through the API, what lies outside the caller's scope is
    /// answered alike.
    #[error("{}", Message::NotFound(.0.clone()))]
    NotFound(Thing),
    #[error("{0}")]
    Exists(Message),
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("{0}")]
    Id(#[from] hosync_core::IdError),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0:#}")]
    Internal(#[from] anyhow::Error),
}

impl From<hosync_core::DocError> for OrgError {
    fn from(e: hosync_core::DocError) -> Self {
        OrgError::Invalid(Message::Invalid(e.to_string()))
    }
}

/// Holds a staff member to core's rule for changing the organisation at `at`; what lies outside
/// their scope is, to them, not there.
fn check(by: By<'_>, what: &Thing, at: &UnitPath) -> Result<(), OrgError> {
    match by.principal() {
        None => Ok(()),
        Some(p) => p
            .may(StaffAction::ManageOrganisation, at)
            .map_err(|denied| match denied {
                Denied::OutOfScope => OrgError::NotFound(what.clone()),
                other => OrgError::Denied(other),
            }),
    }
}

/// A unit that holds members (a cell), with its path; refused by name otherwise.
async fn cell_of(conn: &mut AnyConnection, id: &UnitId) -> Result<UnitPath, OrgError> {
    let unit = storage::unit(&mut *conn, id.as_str())
        .await?
        .ok_or_else(|| OrgError::NotFound(Thing::Unit(id.to_string())))?;
    if !unit.kind.holds_members() {
        return Err(OrgError::Invalid(Message::UnitNotCell {
            unit: id.to_string(),
            kind: unit.kind.labels(),
        }));
    }
    unit_path(conn, id).await
}

async fn unit_path(conn: &mut AnyConnection, id: &UnitId) -> Result<UnitPath, OrgError> {
    storage::unit_path(conn, id)
        .await?
        .ok_or_else(|| OrgError::NotFound(Thing::Unit(id.to_string())))
}

/// Adds a unit under its parent (none for the top of the tree). A cell gets its document, which
/// its phones read the roster and assignments from.
pub async fn add_unit(
    conn: &mut AnyConnection,
    by: By<'_>,
    unit: &OrgUnit,
    now: i64,
) -> Result<(), OrgError> {
    match &unit.parent {
        Some(parent) => {
            let path = unit_path(&mut *conn, parent).await?;
            check(by, &Thing::Unit(parent.to_string()), &path)?;
        }
        None if by.principal().is_some() => {
            return Err(OrgError::Invalid(Message::UnitNeedsParent));
        }
        None => {}
    }
    if unit.name.trim().is_empty() || unit.level_label.trim().is_empty() {
        return Err(OrgError::Invalid(Message::UnitNameRequired));
    }
    if storage::unit(&mut *conn, unit.id.as_str()).await?.is_some() {
        return Err(OrgError::Exists(Message::UnitExists {
            unit: unit.id.to_string(),
        }));
    }
    storage::insert_unit(&mut *conn, unit).await?;
    if unit.kind.holds_members() {
        storage::edit_on_server(
            &mut *conn,
            &DocId::Cell(unit.id.clone()),
            &unit.id,
            now,
            |_| Ok(()),
        )
        .await?;
    }
    audit::record(
        conn,
        now,
        &by.actor(),
        AuditAction::UnitAdd,
        unit.id.as_str(),
        &format!("{} ({})", unit.name, unit.kind.code()),
        Some(&unit.id),
    )
    .await?;
    Ok(())
}

/// Renames a unit or changes its level label. Where a unit sits in the tree is not changed
/// here: every scope under it would move with it.
pub async fn update_unit(
    conn: &mut AnyConnection,
    by: By<'_>,
    unit: &OrgUnit,
    now: i64,
) -> Result<bool, OrgError> {
    let path = unit_path(&mut *conn, &unit.id).await?;
    check(by, &Thing::Unit(unit.id.to_string()), &path)?;
    let stored = storage::unit(&mut *conn, unit.id.as_str())
        .await?
        .ok_or_else(|| OrgError::NotFound(Thing::Unit(unit.id.to_string())))?;
    if stored.parent != unit.parent || stored.kind != unit.kind {
        return Err(OrgError::Invalid(Message::UnitStays {
            unit: unit.id.to_string(),
            kind: stored.kind.labels(),
            parent: stored
                .parent
                .as_ref()
                .map_or("—", UnitId::as_str)
                .to_owned(),
        }));
    }
    if stored.name == unit.name && stored.level_label == unit.level_label {
        return Ok(false);
    }
    sqlx::query("UPDATE units SET name = $2, level_label = $3 WHERE id = $1")
        .bind(unit.id.as_str())
        .bind(unit.name.as_str())
        .bind(unit.level_label.as_str())
        .execute(&mut *conn)
        .await?;
    audit::record(
        conn,
        now,
        &by.actor(),
        AuditAction::UnitChange,
        unit.id.as_str(),
        &format!("{} ({})", unit.name, unit.level_label),
        Some(&unit.id),
    )
    .await?;
    Ok(true)
}

/// A member as staff bring them in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberEntry {
    pub id: MemberId,
    pub cell: UnitId,
    pub name: String,
    pub role: Role,
    pub status: MemberStatus,
}

/// A member's cell, name and role as the tree stores them.
async fn stored_member(
    conn: &mut AnyConnection,
    id: &MemberId,
) -> Result<Option<(UnitId, String, Role)>, OrgError> {
    let row = sqlx::query("SELECT cell_id, name, role FROM members WHERE id = $1")
        .bind(id.as_str())
        .fetch_optional(conn)
        .await?;
    row.map(|r| {
        Ok((
            decode(UnitId::parse(&r.try_get::<String, _>(0)?))?,
            r.try_get(1)?,
            decode(Role::parse(&r.try_get::<String, _>(2)?))?,
        ))
    })
    .transpose()
}

/// Adds a member to a cell: the tree and the cell's roster.
pub async fn add_member(
    conn: &mut AnyConnection,
    by: By<'_>,
    member: &MemberEntry,
    now: i64,
) -> Result<(), OrgError> {
    let path = cell_of(&mut *conn, &member.cell).await?;
    check(by, &Thing::Unit(member.cell.to_string()), &path)?;
    hosync_core::domain::check_plain_text("name", &member.name, 100).map_err(OrgError::Invalid)?;
    if member
        .id
        .as_str()
        .starts_with(hosync_core::ids::STAFF_AUTHOR_PREFIX)
    {
        return Err(OrgError::Invalid(Message::MemberIdReserved {
            member: member.id.to_string(),
            prefix: hosync_core::ids::STAFF_AUTHOR_PREFIX.to_owned(),
        }));
    }
    if stored_member(&mut *conn, &member.id).await?.is_some() {
        // Where they are is not said: the caller may not see that cell.
        return Err(OrgError::Exists(Message::MemberExists {
            member: member.id.to_string(),
        }));
    }
    storage::insert_member(
        &mut *conn,
        &member.id,
        &member.cell,
        &member.name,
        member.role,
    )
    .await?;
    write_roster_entry(&mut *conn, member, now).await?;
    audit::record(
        conn,
        now,
        &by.actor(),
        AuditAction::MemberAdd,
        member.id.as_str(),
        &format!("{} ({})", member.name, member.role.label_vi()),
        Some(&member.cell),
    )
    .await?;
    Ok(())
}

/// Writes a member's name, role and status into their cell's roster, where they differ.
async fn write_roster_entry(
    conn: &mut AnyConnection,
    member: &MemberEntry,
    now: i64,
) -> Result<bool, OrgError> {
    write_roster(
        conn,
        &member.id,
        &member.cell,
        &member.name,
        member.role,
        Some(&member.status),
        now,
    )
    .await
}

/// Writes a member's name and role, and their status when given, into their cell's roster,
/// where they differ, so that an unchanged field starts no conflict with a phone's edit.
async fn write_roster(
    conn: &mut AnyConnection,
    id: &MemberId,
    cell_id: &UnitId,
    name: &str,
    role: Role,
    status: Option<&MemberStatus>,
    now: i64,
) -> Result<bool, OrgError> {
    let doc_id = DocId::Cell(cell_id.clone());
    Ok(storage::edit_on_server(conn, &doc_id, cell_id, now, |doc| {
        let current = cell::read(doc)?;
        let entry = current.member(id);
        if entry.is_none_or(|e| e.name != name || e.role != role) {
            cell::set_member(doc, id, name, role, now)?;
        }
        let status = match (status, entry) {
            (Some(s), _) => Some(s.clone()),
            (None, None) => Some(MemberStatus::Active),
            (None, Some(_)) => None,
        };
        if let Some(status) = status
            && entry.is_none_or(|e| e.status != status)
        {
            cell::set_member_status(doc, id, &status, now)?;
        }
        Ok(())
    })
    .await?)
}

/// Changes a member's name, role or status, in the cell they are in. Returns whether anything
/// changed.
pub async fn update_member(
    conn: &mut AnyConnection,
    by: By<'_>,
    member: &MemberEntry,
    now: i64,
) -> Result<bool, OrgError> {
    let change = MemberChange {
        id: member.id.clone(),
        cell: member.cell.clone(),
        name: Some(member.name.clone()),
        role: Some(member.role),
        status: Some(member.status.clone()),
    };
    change_member(conn, by, &change, now).await
}

/// What to change of a member; `None` leaves a field as it is (an import's empty cell).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberChange {
    pub id: MemberId,
    /// The cell they are in; a change of cell is a transfer.
    pub cell: UnitId,
    pub name: Option<String>,
    pub role: Option<Role>,
    pub status: Option<MemberStatus>,
}

/// Changes the fields of a member that `change` gives, in the cell they are in. Returns whether
/// anything changed.
pub async fn change_member(
    conn: &mut AnyConnection,
    by: By<'_>,
    change: &MemberChange,
    now: i64,
) -> Result<bool, OrgError> {
    let what = Thing::Member(change.id.to_string());
    let (cell, stored_name, stored_role) = stored_member(&mut *conn, &change.id)
        .await?
        .ok_or_else(|| OrgError::NotFound(what.clone()))?;
    let path = unit_path(&mut *conn, &cell).await?;
    check(by, &what, &path)?;
    if cell != change.cell {
        return Err(OrgError::Invalid(Message::MemberInOtherCell {
            member: change.id.to_string(),
            cell: change.cell.to_string(),
        }));
    }
    let name = change.name.clone().unwrap_or(stored_name.clone());
    hosync_core::domain::check_plain_text("name", &name, 100).map_err(OrgError::Invalid)?;
    let role = change.role.unwrap_or(stored_role);
    let mut changed = false;
    if stored_name != name || stored_role != role {
        sqlx::query("UPDATE members SET name = $2, role = $3 WHERE id = $1")
            .bind(change.id.as_str())
            .bind(name.as_str())
            .bind(role.code())
            .execute(&mut *conn)
            .await?;
        changed = true;
    }
    changed |= write_roster(
        &mut *conn,
        &change.id,
        &cell,
        &name,
        role,
        change.status.as_ref(),
        now,
    )
    .await?;
    if changed {
        audit::record(
            conn,
            now,
            &by.actor(),
            AuditAction::MemberChange,
            change.id.as_str(),
            &format!(
                "{name} ({}{})",
                role.label_vi(),
                change
                    .status
                    .as_ref()
                    .map(|s| format!(", {}", s.label_vi()))
                    .unwrap_or_default()
            ),
            Some(&cell),
        )
        .await?;
    }
    Ok(changed)
}

/// What a transfer did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transferred {
    pub from: UnitId,
    /// The households of the old cell taken off the member.
    pub households_left: Vec<HouseholdId>,
    /// Their monthly reports, moved with them.
    pub reports: usize,
}

/// Transfers a member to another cell (chuyển sinh hoạt đảng) from `on`: their households in
/// the old cell are taken off them and they leave its roster; they join the new cell's roster
/// with their status, as an ordinary member (the new cell gives them a role); their reports go
/// with them. Their phone's scope follows at its next sync, and what it wrote before the
/// transfer is kept.
pub async fn transfer_member(
    conn: &mut AnyConnection,
    by: By<'_>,
    member: &MemberId,
    to: &UnitId,
    on: Day,
    now: i64,
) -> Result<Transferred, OrgError> {
    let what = Thing::Member(member.to_string());
    let (from, name, role) = stored_member(&mut *conn, member)
        .await?
        .ok_or_else(|| OrgError::NotFound(what.clone()))?;
    let from_path = unit_path(&mut *conn, &from).await?;
    check(by, &what, &from_path)?;
    let to_path = cell_of(&mut *conn, to).await?;
    check(by, &Thing::Unit(to.to_string()), &to_path)?;
    if &from == to {
        return Err(OrgError::Invalid(Message::MemberInCellAlready {
            member: member.to_string(),
            cell: to.to_string(),
        }));
    }
    let author = by.author();
    let mut status = MemberStatus::Active;
    let mut households_left = Vec::new();
    storage::edit_on_server(&mut *conn, &DocId::Cell(from.clone()), &from, now, |doc| {
        if let Some(entry) = cell::read(doc)?.member(member) {
            status = entry.status.clone();
        }
        households_left = cell::end_membership(doc, member, on, &author, now)?;
        Ok(())
    })
    .await?;
    // A cell's leaders are chosen by the cell: in the new one they start as a member.
    let new_role = if role.leads_cell() {
        Role::Member
    } else {
        role
    };
    sqlx::query("UPDATE members SET cell_id = $2, role = $3 WHERE id = $1")
        .bind(member.as_str())
        .bind(to.as_str())
        .bind(new_role.code())
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM roster_view WHERE member_id = $1")
        .bind(member.as_str())
        .execute(&mut *conn)
        .await?;
    write_roster_entry(
        &mut *conn,
        &MemberEntry {
            id: member.clone(),
            cell: to.clone(),
            name: name.clone(),
            role: new_role,
            status,
        },
        now,
    )
    .await?;
    let reports: Vec<String> =
        sqlx::query_scalar("SELECT doc_id FROM documents WHERE kind = 'report' AND owner = $1")
            .bind(member.as_str())
            .fetch_all(&mut *conn)
            .await?;
    for raw in &reports {
        let id = decode(DocId::parse(raw))?;
        storage::move_document(&mut *conn, &id, to).await?;
        projection::project_again(&mut *conn, &id, now).await?;
    }
    sqlx::query(
        "INSERT INTO member_transfers (member_id, from_cell, to_cell, moved_at, moved_by) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(member.as_str())
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(now)
    .bind(by.actor().to_string())
    .execute(&mut *conn)
    .await?;
    audit::record(
        conn,
        now,
        &by.actor(),
        AuditAction::MemberTransfer,
        member.as_str(),
        &format!(
            "{name}: from {from} to {to} on {}; {} households taken off them, {} reports moved",
            on.vi(),
            households_left.len(),
            reports.len()
        ),
        Some(to),
    )
    .await?;
    Ok(Transferred {
        from,
        households_left,
        reports: reports.len(),
    })
}

/// A household as staff bring it in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdEntry {
    pub id: HouseholdId,
    pub cell: UnitId,
    pub head: String,
    pub village: String,
    pub people: u32,
    pub livelihood: String,
}

/// Adds a household to a cell: the tree and its document, unassigned.
pub async fn add_household(
    conn: &mut AnyConnection,
    by: By<'_>,
    entry: &HouseholdEntry,
    now: i64,
) -> Result<(), OrgError> {
    let path = cell_of(&mut *conn, &entry.cell).await?;
    check(by, &Thing::Unit(entry.cell.to_string()), &path)?;
    household::check_head(&entry.head)
        .map_err(|e| OrgError::Invalid(Message::Invalid(e.to_string())))?;
    let id = DocId::Household(entry.id.clone());
    if storage::doc_place(&mut *conn, &id).await?.is_some() {
        return Err(OrgError::Exists(Message::HouseholdExists {
            household: entry.id.to_string(),
        }));
    }
    storage::insert_household(&mut *conn, &entry.id, &entry.cell).await?;
    write_profile(&mut *conn, entry, now).await?;
    audit::record(
        conn,
        now,
        &by.actor(),
        AuditAction::HouseholdAdd,
        entry.id.as_str(),
        &format!("{} ({})", entry.head, entry.village),
        Some(&entry.cell),
    )
    .await?;
    Ok(())
}

/// Writes a household's details into its document, those that differ.
async fn write_profile(
    conn: &mut AnyConnection,
    entry: &HouseholdEntry,
    now: i64,
) -> Result<bool, OrgError> {
    let update = household::ProfileUpdate {
        head: Some(entry.head.clone()),
        village: Some(entry.village.clone()),
        people: Some(entry.people),
        livelihood: Some(entry.livelihood.clone()),
    };
    write_profile_fields(conn, &entry.id, &entry.cell, &update, now).await
}

/// Writes the given fields of a household's details into its document, those that differ from
/// what it holds, so that an unchanged field starts no conflict with a phone's edit.
async fn write_profile_fields(
    conn: &mut AnyConnection,
    household_id: &HouseholdId,
    cell: &UnitId,
    given: &household::ProfileUpdate,
    now: i64,
) -> Result<bool, OrgError> {
    let id = DocId::Household(household_id.clone());
    Ok(storage::edit_on_server(conn, &id, cell, now, |doc| {
        let current = household::read(doc)?;
        let differs = |new: &Option<String>, old: &str| new.clone().filter(|n| n != old);
        let update = household::ProfileUpdate {
            head: differs(&given.head, &current.head),
            village: differs(&given.village, &current.village),
            people: given.people.filter(|p| *p != current.people),
            livelihood: differs(&given.livelihood, &current.livelihood),
        };
        if update != household::ProfileUpdate::default() {
            household::update_profile(doc, &update, now)?;
        }
        Ok(())
    })
    .await?)
}

/// Changes a household's details, in the cell it is in. Returns whether anything changed.
pub async fn update_household(
    conn: &mut AnyConnection,
    by: By<'_>,
    entry: &HouseholdEntry,
    now: i64,
) -> Result<bool, OrgError> {
    let update = household::ProfileUpdate {
        head: Some(entry.head.clone()),
        village: Some(entry.village.clone()),
        people: Some(entry.people),
        livelihood: Some(entry.livelihood.clone()),
    };
    change_household(conn, by, &entry.id, &entry.cell, &update, now).await
}

/// Changes the details of a household that `update` gives (`None` leaves a field as it is), in
/// the cell it is in. Returns whether anything changed.
pub async fn change_household(
    conn: &mut AnyConnection,
    by: By<'_>,
    id: &HouseholdId,
    in_cell: &UnitId,
    update: &household::ProfileUpdate,
    now: i64,
) -> Result<bool, OrgError> {
    let what = Thing::Household(id.to_string());
    let (cell, place) = storage::doc_place(&mut *conn, &DocId::Household(id.clone()))
        .await?
        .ok_or_else(|| OrgError::NotFound(what.clone()))?;
    check(by, &what, &place.cell)?;
    if &cell != in_cell {
        return Err(OrgError::Invalid(Message::HouseholdInOtherCell {
            household: id.to_string(),
        }));
    }
    let changed = write_profile_fields(&mut *conn, id, &cell, update, now).await?;
    if changed {
        let fields: Vec<&str> = [
            update.head.as_deref(),
            update.village.as_deref(),
            update.livelihood.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect();
        audit::record(
            conn,
            now,
            &by.actor(),
            AuditAction::HouseholdChange,
            id.as_str(),
            &fields.join(", "),
            Some(&cell),
        )
        .await?;
    }
    Ok(changed)
}

/// Assigns a household to a member of its cell from `from`, unless they look after it already.
/// Returns whether the assignment changed.
pub async fn assign(
    conn: &mut AnyConnection,
    by: By<'_>,
    household: &HouseholdId,
    member: &MemberId,
    from: Day,
    now: i64,
) -> Result<bool, OrgError> {
    let what = Thing::Household(household.to_string());
    let (cell, place) = storage::doc_place(&mut *conn, &DocId::Household(household.clone()))
        .await?
        .ok_or_else(|| OrgError::NotFound(what.clone()))?;
    check(by, &what, &place.cell)?;
    match stored_member(&mut *conn, member).await? {
        Some((member_cell, ..)) if member_cell == cell => {}
        _ => {
            return Err(OrgError::Invalid(Message::MemberNotOfCell {
                member: member.to_string(),
                cell: cell.to_string(),
                household: household.to_string(),
            }));
        }
    }
    if place.assignee.as_ref() == Some(member) {
        return Ok(false);
    }
    let author = by.author();
    storage::edit_on_server(&mut *conn, &DocId::Cell(cell.clone()), &cell, now, |doc| {
        cell::assign(doc, household, Some(member), from, &author, now)
    })
    .await?;
    audit::record(
        conn,
        now,
        &by.actor(),
        AuditAction::Assign,
        household.as_str(),
        &format!("to {member} from {}", from.vi()),
        Some(&cell),
    )
    .await?;
    Ok(true)
}

/// Moves a household to another cell: taken off whoever looked after it in the old one,
/// unassigned in the new one, its notes and flags with it. The phones of both cells follow at
/// their next sync; what the old cell's phones wrote before the move is kept.
pub async fn move_household(
    conn: &mut AnyConnection,
    by: By<'_>,
    household: &HouseholdId,
    to: &UnitId,
    on: Day,
    now: i64,
) -> Result<UnitId, OrgError> {
    let what = Thing::Household(household.to_string());
    let id = DocId::Household(household.clone());
    let (from, place) = storage::doc_place(&mut *conn, &id)
        .await?
        .ok_or_else(|| OrgError::NotFound(what.clone()))?;
    check(by, &what, &place.cell)?;
    let to_path = cell_of(&mut *conn, to).await?;
    check(by, &Thing::Unit(to.to_string()), &to_path)?;
    if &from == to {
        return Err(OrgError::Invalid(Message::HouseholdInCellAlready {
            household: household.to_string(),
            cell: to.to_string(),
        }));
    }
    // The tree first: the old cell's assignments, projected again below, then leave it out.
    sqlx::query("UPDATE households SET cell_id = $2 WHERE id = $1")
        .bind(household.as_str())
        .bind(to.as_str())
        .execute(&mut *conn)
        .await?;
    storage::move_document(&mut *conn, &id, to).await?;
    let author = by.author();
    let released =
        storage::edit_on_server(&mut *conn, &DocId::Cell(from.clone()), &from, now, |doc| {
            cell::release_household(doc, household, on, &author, now)
        })
        .await?;
    if !released {
        projection::project_again(&mut *conn, &DocId::Cell(from.clone()), now).await?;
    }
    projection::project_again(&mut *conn, &id, now).await?;
    sqlx::query(
        "INSERT INTO household_moves (household_id, from_cell, to_cell, moved_at, moved_by) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(household.as_str())
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(now)
    .bind(by.actor().to_string())
    .execute(&mut *conn)
    .await?;
    audit::record(
        conn,
        now,
        &by.actor(),
        AuditAction::HouseholdMove,
        household.as_str(),
        &format!("from {from} to {to} on {}", on.vi()),
        Some(to),
    )
    .await?;
    Ok(from)
}
