//! The organisation tree as stored: units with their paths, members and households, and where
//! a document sits in it (its cell, and who looks after a household now).

use super::changelog::DbResult;
use hosync_core::access::DocPlace;
use hosync_core::{DocId, HouseholdId, MemberId, OrgUnit, Role, UnitId, UnitKind, UnitPath};
use sqlx::{AnyConnection, Row};

pub async fn insert_unit(conn: &mut AnyConnection, unit: &OrgUnit) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO units (id, parent_id, kind, level_label, name, path) VALUES ($1, $2, $3, $4, $5, \
         COALESCE((SELECT p.path FROM units p WHERE p.id = $2), '/') || $1 || '/')",
    )
    .bind(unit.id.as_str())
    .bind(unit.parent.as_ref().map(|p| p.as_str().to_owned()))
    .bind(unit.kind.code())
    .bind(unit.level_label.as_str())
    .bind(unit.name.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn insert_member(
    conn: &mut AnyConnection,
    id: &MemberId,
    cell: &UnitId,
    name: &str,
    role: Role,
) -> DbResult<()> {
    sqlx::query("INSERT INTO members (id, cell_id, name, role) VALUES ($1, $2, $3, $4)")
        .bind(id.as_str())
        .bind(cell.as_str())
        .bind(name)
        .bind(role.code())
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn insert_household(
    conn: &mut AnyConnection,
    id: &HouseholdId,
    cell: &UnitId,
) -> DbResult<()> {
    sqlx::query("INSERT INTO households (id, cell_id) VALUES ($1, $2)")
        .bind(id.as_str())
        .bind(cell.as_str())
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn unit(conn: &mut AnyConnection, id: &str) -> DbResult<Option<OrgUnit>> {
    let row = sqlx::query("SELECT id, parent_id, kind, level_label, name FROM units WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let kind = UnitKind::parse(&row.try_get::<String, _>(2)?)
        .map_err(|e| sqlx::Error::Decode(e.into()))?;
    let parent: Option<String> = row.try_get(1)?;
    OrgUnit::new(
        &row.try_get::<String, _>(0)?,
        parent.as_deref(),
        kind,
        &row.try_get::<String, _>(3)?,
        &row.try_get::<String, _>(4)?,
    )
    .map(Some)
    .map_err(|e| sqlx::Error::Decode(e.into()))
}

/// A unit's path in the organisation tree, which scopes are checked against.
pub async fn unit_path(conn: &mut AnyConnection, id: &UnitId) -> DbResult<Option<UnitPath>> {
    let row = sqlx::query("SELECT path FROM units WHERE id = $1")
        .bind(id.as_str())
        .fetch_optional(conn)
        .await?;
    row.map(|r| {
        UnitPath::parse(&r.try_get::<String, _>(0)?).map_err(|e| sqlx::Error::Decode(e.into()))
    })
    .transpose()
}

/// A member's cell and role.
pub async fn member_cell(
    conn: &mut AnyConnection,
    member: &MemberId,
) -> DbResult<Option<(UnitId, Role)>> {
    let row = sqlx::query("SELECT cell_id, role FROM members WHERE id = $1")
        .bind(member.as_str())
        .fetch_optional(conn)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let cell =
        UnitId::parse(&row.try_get::<String, _>(0)?).map_err(|e| sqlx::Error::Decode(e.into()))?;
    let role =
        Role::parse(&row.try_get::<String, _>(1)?).map_err(|e| sqlx::Error::Decode(e.into()))?;
    Ok(Some((cell, role)))
}

/// Where a document sits (its cell, and who looks after a household now), with its cell's id;
/// `None` when the server does not know what it names.
pub async fn doc_place(
    conn: &mut AnyConnection,
    id: &DocId,
) -> DbResult<Option<(UnitId, DocPlace)>> {
    let row = match id {
        DocId::Household(h) => {
            sqlx::query(
                "SELECT u.path, a.member_id FROM households h JOIN units u ON u.id = h.cell_id \
                 LEFT JOIN assignment_view a ON a.household_id = h.id WHERE h.id = $1",
            )
            .bind(h.as_str())
            .fetch_optional(&mut *conn)
            .await?
        }
        DocId::Report(member, _) => sqlx::query(
            "SELECT u.path, NULL FROM members m JOIN units u ON u.id = m.cell_id WHERE m.id = $1",
        )
        .bind(member.as_str())
        .fetch_optional(&mut *conn)
        .await?,
        DocId::Cell(cell) => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT path, NULL FROM units WHERE id = $1 AND kind IN {}",
                cell_kinds()
            )))
            .bind(cell.as_str())
            .fetch_optional(&mut *conn)
            .await?
        }
    };
    let Some(row) = row else { return Ok(None) };
    let cell = UnitPath::parse(&row.try_get::<String, _>(0)?)
        .map_err(|e| sqlx::Error::Decode(e.into()))?;
    let assignee: Option<String> = row.try_get(1)?;
    let assignee = assignee
        .map(|m| MemberId::parse(&m))
        .transpose()
        .map_err(|e| sqlx::Error::Decode(e.into()))?;
    let Some(unit) = cell.unit() else {
        return Ok(None);
    };
    Ok(Some((
        unit,
        DocPlace {
            id: id.clone(),
            cell,
            assignee,
        },
    )))
}

/// When a household was last taken off a member (server time), if it ever was.
pub async fn left_member_at(
    conn: &mut AnyConnection,
    household: &HouseholdId,
    member: &MemberId,
) -> DbResult<Option<i64>> {
    sqlx::query(
        "SELECT MAX(changed_at) FROM assignment_history WHERE household_id = $1 AND from_member = $2",
    )
    .bind(household.as_str())
    .bind(member.as_str())
    .fetch_one(conn)
    .await?
    .try_get(0)
}

/// When a household last moved out of a cell inside `scope` (server time), if it ever did.
pub async fn left_scope_at(
    conn: &mut AnyConnection,
    household: &HouseholdId,
    scope: &UnitPath,
) -> DbResult<Option<i64>> {
    sqlx::query(
        "SELECT MAX(m.moved_at) FROM household_moves m JOIN units u ON u.id = m.from_cell \
         WHERE m.household_id = $1 AND substr(u.path, 1, length($2)) = $2",
    )
    .bind(household.as_str())
    .bind(scope.as_str())
    .fetch_one(conn)
    .await?
    .try_get(0)
}

/// The kinds of unit that hold members, as an SQL list to put after `kind IN`: core's
/// `UnitKind::holds_members`, written once here rather than restated in queries. Only core's
/// own codes are spliced in, never input.
pub fn cell_kinds() -> &'static str {
    static KINDS: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    KINDS.get_or_init(|| {
        let codes: Vec<String> = UnitKind::ALL
            .iter()
            .filter(|k| k.holds_members())
            .map(|k| format!("'{}'", k.code()))
            .collect();
        format!("({})", codes.join(", "))
    })
}
