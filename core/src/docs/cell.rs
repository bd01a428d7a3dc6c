//! The cell document: the roster with roles and status, and which member looks after which
//! household, with the history of every assignment.
//!
//! ```text
//! { kind: "cell", id: "c:…",
//!   members:        { <member id>: { name, role, status, status_detail } },
//!   assignments:    { <household id>: <member id> or "" },
//!   assignment_log: [ { household, member, from, by } ] }
//! ```

use std::collections::HashMap;

use automerge::transaction::{Transactable, Transaction};
use automerge::{ObjType, ReadDoc};
use autosurgeon::Hydrate;

use super::{Doc, DocError, ValidationError, check_short, child};
use crate::date::Day;
use crate::domain::{MemberStatus, Role};
use crate::ids::{DocKind, HouseholdId, MemberId, UnitId};
use crate::{DocId, Timestamp};

pub(super) const CONFLICT_FIELDS: &[&[&str]] = &[
    &["members", "*", "role"],
    &["members", "*", "status"],
    &["assignments", "*"],
];

/// Fields that name who did something; each value a change writes must be its maker.
pub(super) const CLAIM_FIELDS: &[&[&str]] = &[&["assignment_log", "*", "by"]];

/// A cell as its secretary reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub id: UnitId,
    /// Sorted by given name, as Vietnamese lists are.
    pub members: Vec<RosterEntry>,
    /// Households with a member looking after them now.
    pub assignments: Vec<Assignment>,
    /// Every assignment ever made, oldest first.
    pub history: Vec<AssignmentEvent>,
}

impl Cell {
    pub fn member(&self, id: &MemberId) -> Option<&RosterEntry> {
        self.members.iter().find(|m| &m.id == id)
    }

    /// Who looks after a household now.
    pub fn assignee(&self, household: &HouseholdId) -> Option<&MemberId> {
        self.assignments
            .iter()
            .find(|a| &a.household == household)
            .map(|a| &a.member)
    }

    /// The households a member looks after now (hộ tôi phụ trách).
    pub fn households_of(&self, member: &MemberId) -> Vec<&HouseholdId> {
        self.assignments
            .iter()
            .filter(|a| &a.member == member)
            .map(|a| &a.household)
            .collect()
    }
}

/// Whether a household a phone holds is on its member's own list (hộ tôi phụ trách), `cell`
/// being the cell's document as the phone has it: assigned to them, or to no one the phone
/// knows of (before the cell's document arrives every assignee is unknown, and a household
/// just taken off everyone stays on the phone until its unsent edits are sent).
pub fn on_member_list(cell: Option<&Cell>, member: &MemberId, household: &HouseholdId) -> bool {
    cell.and_then(|c| c.assignee(household))
        .is_none_or(|assignee| assignee == member)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterEntry {
    pub id: MemberId,
    pub name: String,
    pub role: Role,
    pub status: MemberStatus,
}

/// Phân công đảng viên phụ trách hộ, as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub household: HouseholdId,
    pub member: MemberId,
    /// The day of the latest assignment of this household, if the log has it.
    pub since: Option<Day>,
}

/// One entry of the assignment history; `member: None` took the household off everyone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignmentEvent {
    pub household: HouseholdId,
    pub member: Option<MemberId>,
    pub from: Day,
    pub by: MemberId,
}

#[derive(Hydrate)]
struct RawCell {
    members: HashMap<String, RawMember>,
    assignments: HashMap<String, String>,
    assignment_log: Vec<RawEvent>,
}

#[derive(Hydrate)]
struct RawMember {
    name: String,
    role: String,
    status: String,
    status_detail: String,
}

#[derive(Hydrate)]
struct RawEvent {
    household: String,
    member: String,
    from: String,
    by: String,
}

pub(super) fn skeleton(tx: &mut Transaction<'_>) -> Result<(), automerge::AutomergeError> {
    tx.put_object(automerge::ROOT, "members", ObjType::Map)?;
    tx.put_object(automerge::ROOT, "assignments", ObjType::Map)?;
    tx.put_object(automerge::ROOT, "assignment_log", ObjType::List)?;
    Ok(())
}

pub fn read(doc: &Doc) -> Result<Cell, DocError> {
    doc.expect_kind(DocKind::Cell)?;
    Ok(validate(doc)?)
}

pub(super) fn validate(doc: &Doc) -> Result<Cell, ValidationError> {
    let DocId::Cell(id) = doc.id().clone() else {
        return Err(ValidationError::new("id", "not a cell document"));
    };
    let raw: RawCell = autosurgeon::hydrate(doc.automerge())
        .map_err(|e| ValidationError::new("", e.to_string()))?;
    let bad = |path: String, e: &dyn std::fmt::Display| ValidationError::new(path, e.to_string());

    let mut members = Vec::with_capacity(raw.members.len());
    for (key, m) in raw.members {
        let path = |f: &str| format!("members.{key}.{f}");
        check_short(&path("name"), &m.name)?;
        check_short(&path("status_detail"), &m.status_detail)?;
        members.push(RosterEntry {
            id: MemberId::parse(&key).map_err(|e| bad(path("id"), &e))?,
            role: Role::parse(&m.role).map_err(|e| bad(path("role"), &e))?,
            status: MemberStatus::parse(&m.status, &m.status_detail)
                .map_err(|e| bad(path("status"), &e))?,
            name: m.name,
        });
    }
    members.sort_by_cached_key(|m| (crate::domain::name_order(&m.name), m.id.clone()));

    let mut history = Vec::with_capacity(raw.assignment_log.len());
    for (i, e) in raw.assignment_log.into_iter().enumerate() {
        let path = |f: &str| format!("assignment_log.{i}.{f}");
        history.push(AssignmentEvent {
            household: HouseholdId::parse(&e.household)
                .map_err(|err| bad(path("household"), &err))?,
            member: if e.member.is_empty() {
                None
            } else {
                Some(MemberId::parse(&e.member).map_err(|err| bad(path("member"), &err))?)
            },
            from: Day::parse(&e.from).map_err(|err| bad(path("from"), &err))?,
            by: MemberId::parse(&e.by).map_err(|err| bad(path("by"), &err))?,
        });
    }

    let mut assignments = Vec::new();
    for (household, member) in raw.assignments {
        let path = format!("assignments.{household}");
        let household = HouseholdId::parse(&household).map_err(|e| bad(path.clone(), &e))?;
        if member.is_empty() {
            continue;
        }
        let member = MemberId::parse(&member).map_err(|e| bad(path, &e))?;
        let since = history
            .iter()
            .filter(|e| e.household == household && e.member.as_ref() == Some(&member))
            .map(|e| e.from)
            .max();
        assignments.push(Assignment {
            household,
            member,
            since,
        });
    }
    assignments.sort_by(|a, b| a.household.cmp(&b.household));

    Ok(Cell {
        id,
        members,
        assignments,
        history,
    })
}

fn section(doc: &Doc, key: &'static str) -> Result<automerge::ObjId, DocError> {
    child(doc.automerge(), &automerge::ROOT, key)
        .ok_or_else(|| ValidationError::new(key, "is missing").into())
}

/// Adds a member to the roster, or changes their name and role.
pub fn set_member(
    doc: &mut Doc,
    id: &MemberId,
    name: &str,
    role: Role,
    now: Timestamp,
) -> Result<(), DocError> {
    doc.expect_kind(DocKind::Cell)?;
    check_short("member.name", name)?;
    let members = section(doc, "members")?;
    let existing = child(doc.automerge(), &members, id.as_str());
    doc.edit(now, |tx| {
        let entry = match existing {
            Some(entry) => entry,
            None => {
                let entry = tx.put_object(&members, id.as_str(), ObjType::Map)?;
                tx.put(&entry, "status", MemberStatus::Active.code())?;
                tx.put(&entry, "status_detail", "")?;
                entry
            }
        };
        if tx
            .get(&entry, "name")?
            .and_then(|(v, _)| v.into_string().ok())
            .as_deref()
            != Some(name)
        {
            tx.put(&entry, "name", name)?;
        }
        if tx
            .get(&entry, "role")?
            .and_then(|(v, _)| v.into_string().ok())
            .as_deref()
            != Some(role.code())
        {
            tx.put(&entry, "role", role.code())?;
        }
        Ok(())
    })
}

/// Marks a member working away (and where), exempt (and why), or active again.
pub fn set_member_status(
    doc: &mut Doc,
    id: &MemberId,
    status: &MemberStatus,
    now: Timestamp,
) -> Result<(), DocError> {
    doc.expect_kind(DocKind::Cell)?;
    check_short("member.status_detail", status.detail())?;
    let members = section(doc, "members")?;
    let entry =
        child(doc.automerge(), &members, id.as_str()).ok_or_else(|| DocError::NotFound {
            doc: doc.id().to_string(),
            what: "member",
            id: id.to_string(),
        })?;
    doc.edit(now, |tx| {
        tx.put(&entry, "status", status.code())?;
        tx.put(&entry, "status_detail", status.detail())?;
        Ok(())
    })
}

/// Assigns a household to a member from a day on, or takes it off everyone (`member: None`).
/// Two phones assigning the same household differently keep both choices as a conflict.
pub fn assign(
    doc: &mut Doc,
    household: &HouseholdId,
    member: Option<&MemberId>,
    from: Day,
    by: &MemberId,
    now: Timestamp,
) -> Result<(), DocError> {
    doc.expect_kind(DocKind::Cell)?;
    let assignments = section(doc, "assignments")?;
    let log = section(doc, "assignment_log")?;
    let len = doc.automerge().length(&log);
    let member = member.map(MemberId::as_str).unwrap_or("");
    doc.edit(now, |tx| {
        tx.put(&assignments, household.as_str(), member)?;
        let event = tx.insert_object(&log, len, ObjType::Map)?;
        tx.put(&event, "household", household.as_str())?;
        tx.put(&event, "member", member)?;
        tx.put(&event, "from", from.iso())?;
        tx.put(&event, "by", by.as_str())?;
        Ok(())
    })
}

/// Ends a member's place in this cell (transferred to another cell): every household they
/// look after here is taken off them from `on`, and they leave the roster. Their reports and
/// the notes they wrote stay where they are. Returns the households taken off them.
pub fn end_membership(
    doc: &mut Doc,
    member: &MemberId,
    on: Day,
    by: &MemberId,
    now: Timestamp,
) -> Result<Vec<HouseholdId>, DocError> {
    let households: Vec<HouseholdId> = read(doc)?
        .households_of(member)
        .into_iter()
        .cloned()
        .collect();
    for household in &households {
        assign(doc, household, None, on, by, now)?;
    }
    let members = section(doc, "members")?;
    if child(doc.automerge(), &members, member.as_str()).is_some() {
        doc.edit(now, |tx| {
            tx.delete(&members, member.as_str())?;
            Ok(())
        })?;
    }
    Ok(households)
}

/// Lets a household go to another cell: taken off whoever looks after it here from `on`,
/// and off this cell's list of assignments.
pub fn release_household(
    doc: &mut Doc,
    household: &HouseholdId,
    on: Day,
    by: &MemberId,
    now: Timestamp,
) -> Result<(), DocError> {
    let assignments = section(doc, "assignments")?;
    let held = read(doc)?.assignee(household).is_some();
    if held {
        assign(doc, household, None, on, by, now)?;
    }
    if child_value(doc, &assignments, household.as_str()) {
        doc.edit(now, |tx| {
            tx.delete(&assignments, household.as_str())?;
            Ok(())
        })?;
    }
    Ok(())
}

fn child_value(doc: &Doc, map: &automerge::ObjId, key: &str) -> bool {
    doc.automerge().get(map, key).ok().flatten().is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docs::random_actor;

    #[test]
    fn roster_and_assignments_read_back_sorted_by_given_name() {
        let mut doc = Doc::create(DocId::parse("c:x1-c1").expect("id"), random_actor());
        let an = MemberId::parse("m-an").expect("id");
        let binh = MemberId::parse("m-binh").expect("id");
        set_member(&mut doc, &binh, "Lê Thị Bình", Role::Secretary, 1).expect("member");
        set_member(&mut doc, &an, "Nguyễn Văn An", Role::Member, 1).expect("member");
        set_member_status(
            &mut doc,
            &an,
            &MemberStatus::WorkingAway {
                place: "Bắc Ninh".into(),
            },
            2,
        )
        .expect("status");
        let hh = HouseholdId::parse("hh-1").expect("id");
        let day = Day::parse("2026-11-01").expect("day");
        assign(&mut doc, &hh, Some(&an), day, &binh, 3).expect("assign");
        let cell = read(&doc).expect("valid");
        assert_eq!(
            cell.members[0].name, "Nguyễn Văn An",
            "An sorts before Bình"
        );
        assert_eq!(
            cell.members[0].status,
            MemberStatus::WorkingAway {
                place: "Bắc Ninh".into()
            }
        );
        assert_eq!(cell.assignee(&hh), Some(&an));
        assert_eq!(cell.assignments[0].since, Some(day));
        assign(&mut doc, &hh, None, day.add_days(3), &binh, 4).expect("unassign");
        let cell = read(&doc).expect("valid");
        assert_eq!(cell.assignee(&hh), None);
        assert_eq!(cell.history.len(), 2);
    }

    #[test]
    fn a_member_leaving_the_cell_takes_their_households_off_them_and_leaves_the_roster() {
        let mut doc = Doc::create(DocId::parse("c:x1-c1").expect("id"), random_actor());
        let an = MemberId::parse("m-an").expect("id");
        let binh = MemberId::parse("m-binh").expect("id");
        set_member(&mut doc, &binh, "Lê Thị Bình", Role::Secretary, 1).expect("member");
        set_member(&mut doc, &an, "Nguyễn Văn An", Role::Member, 1).expect("member");
        let [first, second, hers] =
            ["hh-1", "hh-2", "hh-3"].map(|h| HouseholdId::parse(h).expect("id"));
        let day = Day::parse("2026-11-01").expect("day");
        assign(&mut doc, &first, Some(&an), day, &binh, 2).expect("assign");
        assign(&mut doc, &second, Some(&an), day, &binh, 2).expect("assign");
        assign(&mut doc, &hers, Some(&binh), day, &binh, 2).expect("assign");
        let left = end_membership(&mut doc, &an, day.add_days(5), &binh, 3).expect("transfer");
        assert_eq!(left, vec![first.clone(), second.clone()]);
        let cell = read(&doc).expect("valid");
        assert!(cell.member(&an).is_none(), "off the roster");
        assert_eq!(cell.assignee(&first), None);
        assert_eq!(cell.assignee(&hers), Some(&binh), "others keep theirs");
        assert_eq!(cell.history.len(), 5, "the history keeps every assignment");

        release_household(&mut doc, &hers, day.add_days(6), &binh, 4).expect("move");
        let cell = read(&doc).expect("valid");
        assert_eq!(cell.assignee(&hers), None);
        assert_eq!(cell.history.last().map(|e| &e.member), Some(&None));
    }

    #[test]
    fn a_members_list_holds_their_households_and_those_of_no_one_known() {
        let mut doc = Doc::create(DocId::parse("c:x1-c1").expect("id"), random_actor());
        let an = MemberId::parse("m-an").expect("id");
        let binh = MemberId::parse("m-binh").expect("id");
        let [mine, theirs, nobodys] =
            ["hh-1", "hh-2", "hh-3"].map(|h| HouseholdId::parse(h).expect("id"));
        let day = Day::parse("2026-11-01").expect("day");
        assign(&mut doc, &mine, Some(&an), day, &binh, 1).expect("assign");
        assign(&mut doc, &theirs, Some(&binh), day, &binh, 1).expect("assign");
        let cell = read(&doc).expect("valid");
        assert!(on_member_list(Some(&cell), &an, &mine));
        assert!(!on_member_list(Some(&cell), &an, &theirs));
        assert!(on_member_list(Some(&cell), &an, &nobodys));
        assert!(
            on_member_list(None, &an, &theirs),
            "before the cell's document arrives"
        );
    }
}
