//! The household document: profile, visit notes and follow-up flags.
//!
//! ```text
//! { kind: "household", id: "h:…",
//!   profile: { head, village, people, livelihood, tags: [..],
//!              closed?: { reason, detail, on, by } },
//!   notes:   { <note id>: { date, author, created_at, text: Text, topics: [..], deleted, deleted_by } },
//!   flags:   { <flag id>: { note, raised_by, raised_on, text: Text, status, status_by, status_on } } }
//! ```

use std::collections::{BTreeSet, HashMap};

use automerge::transaction::{Transactable, Transaction};
use automerge::{ObjType, ReadDoc};
use autosurgeon::{Hydrate, Text};

use super::{
    Doc, DocError, ValidationError, check_short, check_text, child, put_text, update_text,
};
use crate::date::{Day, Month};
use crate::domain::{ClosedReason, FlagStatus};
use crate::ids::{DocKind, FlagId, HouseholdId, MemberId, NoteId};
use crate::{DocId, Timestamp};

/// Fields where two phones' different values are kept and shown as a conflict.
pub(super) const CONFLICT_FIELDS: &[&[&str]] = &[
    &["profile", "head"],
    &["profile", "village"],
    &["profile", "people"],
    &["profile", "livelihood"],
    &["notes", "*", "date"],
    &["notes", "*", "deleted"],
    &["flags", "*", "status"],
];

/// Fields that name who did something; each value a change writes must be its maker.
pub(super) const CLAIM_FIELDS: &[&[&str]] = &[
    &["profile", "closed", "by"],
    &["notes", "*", "author"],
    &["flags", "*", "raised_by"],
    &["flags", "*", "status_by"],
];

/// The household's details, which only the cell's secretary changes.
pub(crate) const DETAIL_FIELDS: &[&[&str]] = &[
    &["profile", "head"],
    &["profile", "village"],
    &["profile", "people"],
    &["profile", "livelihood"],
    &["profile", "tags"],
    &["profile", "closed", "reason"],
    &["profile", "closed", "detail"],
    &["profile", "closed", "on"],
    &["profile", "closed", "by"],
];

/// The most people a household is recorded with.
pub const MAX_PEOPLE: u32 = 99;
const MAX_TOPICS: usize = 20;

/// A household as members and staff read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Household {
    pub id: HouseholdId,
    /// Chủ hộ.
    pub head: String,
    pub village: String,
    /// Nhân khẩu: how many people live in it.
    pub people: u32,
    pub livelihood: String,
    pub tags: Vec<String>,
    /// Closed by the cell's secretary (the family moved away, merged into another): kept with
    /// its notes, never deleted, but looked after no more.
    pub closed: Option<Closure>,
    /// Notes by date, oldest first; deleted ones included and marked.
    pub notes: Vec<VisitNote>,
    /// Flags by the day they were raised, oldest first.
    pub flags: Vec<FollowUpFlag>,
}

/// Why and when a household was closed, and by whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closure {
    pub reason: ClosedReason,
    /// In words: where the family went, which household it joined.
    pub detail: String,
    pub on: Day,
    pub by: MemberId,
}

impl Household {
    /// The days of its visits, oldest first: one for each note that is not deleted. Every
    /// other reading of visits below is made from this one.
    pub fn visits(&self) -> impl Iterator<Item = Day> + '_ {
        self.notes.iter().filter(|n| !n.deleted).map(|n| n.date)
    }

    /// The most recent visit that is not deleted.
    pub fn last_visit(&self) -> Option<Day> {
        self.visits().max()
    }

    /// Visited in `month`: a note not deleted dated in it. This is what "visited this month"
    /// means on the phone and in the staff views alike.
    pub fn visited_in(&self, month: Month) -> bool {
        self.visits().any(|day| day.month() == month)
    }

    /// Every month it was visited in, by [`Household::visited_in`]'s rule: what the server
    /// projects, so that the staff views' counts read the phone's own answer.
    pub fn visited_months(&self) -> BTreeSet<Month> {
        self.visits().map(|day| day.month()).collect()
    }

    pub fn open_flags(&self) -> usize {
        self.flags
            .iter()
            .filter(|f| crate::oversight::flag_is_open(f.status))
            .count()
    }
}

/// What the households list shows of a household, kept beside its stored document so that the
/// phone lists its households without reading every document (see `Replica::digest`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdDigest {
    pub id: HouseholdId,
    pub head: String,
    pub village: String,
    pub people: u32,
    /// [`Household::visited_months`].
    pub visited: BTreeSet<Month>,
    pub last_visit: Option<Day>,
    pub open_flags: usize,
    pub closed: bool,
}

impl HouseholdDigest {
    /// [`Household::visited_in`], read from the digest.
    pub fn visited_in(&self, month: Month) -> bool {
        self.visited.contains(&month)
    }
}

impl From<&Household> for HouseholdDigest {
    fn from(h: &Household) -> Self {
        HouseholdDigest {
            id: h.id.clone(),
            head: h.head.clone(),
            village: h.village.clone(),
            people: h.people,
            visited: h.visited_months(),
            last_visit: h.last_visit(),
            open_flags: h.open_flags(),
            closed: h.closed.is_some(),
        }
    }
}

/// Ghi chép thăm hộ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitNote {
    pub id: NoteId,
    pub date: Day,
    pub author: MemberId,
    pub created_at: Timestamp,
    pub text: String,
    pub topics: Vec<String>,
    /// A deleted note keeps its text, so an edit made offline to it is not lost.
    pub deleted: bool,
}

/// Kiến nghị cần giải quyết.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUpFlag {
    pub id: FlagId,
    /// The note the flag was raised from, if any.
    pub note: Option<NoteId>,
    pub raised_by: MemberId,
    pub raised_on: Day,
    pub text: String,
    pub status: FlagStatus,
    /// Who last changed the status, and when.
    pub status_by: MemberId,
    pub status_on: Day,
}

/// A household is known by its head's name: a new one needs it, and no edit blanks it.
pub fn check_head(head: &str) -> Result<(), DocError> {
    if head.trim().is_empty() {
        return Err(DocError::Required("the head of the household (chủ hộ)"));
    }
    Ok(())
}

/// Starts a new household's document (a family moved into the village): its head's name is
/// required, the other fields as given.
pub fn create(doc: &mut Doc, profile: &ProfileUpdate, now: Timestamp) -> Result<(), DocError> {
    check_head(profile.head.as_deref().unwrap_or_default())?;
    update_profile(doc, profile, now)
}

/// Profile fields to change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileUpdate {
    pub head: Option<String>,
    pub village: Option<String>,
    pub people: Option<u32>,
    pub livelihood: Option<String>,
}

#[derive(Hydrate)]
struct RawHousehold {
    profile: RawProfile,
    notes: HashMap<String, RawNote>,
    flags: HashMap<String, RawFlag>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hydrate)]
struct RawProfile {
    head: String,
    village: String,
    people: i64,
    livelihood: String,
    tags: Vec<String>,
    // Households stored before closing existed have none; the skeleton never makes one, so
    // every replica's first change stays the same.
    #[autosurgeon(missing = "Option::default")]
    closed: Option<RawClosed>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hydrate)]
struct RawClosed {
    reason: String,
    detail: String,
    on: String,
    by: String,
}

#[derive(Hydrate)]
struct RawNote {
    date: String,
    author: String,
    created_at: i64,
    text: Text,
    topics: Vec<String>,
    deleted: bool,
}

#[derive(Hydrate)]
struct RawFlag {
    note: String,
    raised_by: String,
    raised_on: String,
    text: Text,
    status: String,
    status_by: String,
    status_on: String,
}

pub(super) fn skeleton(tx: &mut Transaction<'_>) -> Result<(), automerge::AutomergeError> {
    let profile = tx.put_object(automerge::ROOT, "profile", ObjType::Map)?;
    tx.put(&profile, "head", "")?;
    tx.put(&profile, "village", "")?;
    tx.put(&profile, "people", 0_i64)?;
    tx.put(&profile, "livelihood", "")?;
    tx.put_object(&profile, "tags", ObjType::List)?;
    tx.put_object(automerge::ROOT, "notes", ObjType::Map)?;
    tx.put_object(automerge::ROOT, "flags", ObjType::Map)?;
    Ok(())
}

/// Reads and checks the whole household.
pub fn read(doc: &Doc) -> Result<Household, DocError> {
    doc.expect_kind(DocKind::Household)?;
    Ok(validate(doc)?)
}

pub(super) fn validate(doc: &Doc) -> Result<Household, ValidationError> {
    let DocId::Household(id) = doc.id().clone() else {
        return Err(ValidationError::new("id", "not a household document"));
    };
    let raw: RawHousehold = autosurgeon::hydrate(doc.automerge())
        .map_err(|e| ValidationError::new("", e.to_string()))?;
    let p = raw.profile;
    check_short("profile.head", &p.head)?;
    check_short("profile.village", &p.village)?;
    check_short("profile.livelihood", &p.livelihood)?;
    let people = u32::try_from(p.people)
        .ok()
        .filter(|n| *n <= MAX_PEOPLE)
        .ok_or_else(|| {
            ValidationError::new(
                "profile.people",
                format!("{} is not 0 to {MAX_PEOPLE}", p.people),
            )
        })?;
    for (i, tag) in p.tags.iter().enumerate() {
        check_short(&format!("profile.tags.{i}"), tag)?;
    }
    let closed = match &p.closed {
        None => None,
        Some(c) => {
            let bad = |field: &str, e: &dyn std::fmt::Display| {
                ValidationError::new(format!("profile.closed.{field}"), e.to_string())
            };
            check_short("profile.closed.detail", &c.detail)?;
            Some(Closure {
                reason: ClosedReason::parse(&c.reason).map_err(|e| bad("reason", &e))?,
                detail: c.detail.clone(),
                on: Day::parse(&c.on).map_err(|e| bad("on", &e))?,
                by: MemberId::parse(&c.by).map_err(|e| bad("by", &e))?,
            })
        }
    };

    let mut notes = Vec::with_capacity(raw.notes.len());
    for (key, n) in raw.notes {
        let path = |field: &str| format!("notes.{key}.{field}");
        let note = VisitNote {
            id: NoteId::parse(&key).map_err(|e| ValidationError::new(path("id"), e.to_string()))?,
            date: Day::parse(&n.date)
                .map_err(|e| ValidationError::new(path("date"), e.to_string()))?,
            author: MemberId::parse(&n.author)
                .map_err(|e| ValidationError::new(path("author"), e.to_string()))?,
            created_at: n.created_at,
            text: n.text.as_str().to_owned(),
            topics: n.topics,
            deleted: n.deleted,
        };
        check_text(&path("text"), &note.text)?;
        if note.topics.len() > MAX_TOPICS {
            return Err(ValidationError::new(
                path("topics"),
                format!("more than {MAX_TOPICS} topics"),
            ));
        }
        for topic in &note.topics {
            check_short(&path("topics"), topic)?;
        }
        notes.push(note);
    }
    notes.sort_by(|a, b| (a.date, a.created_at, &a.id).cmp(&(b.date, b.created_at, &b.id)));

    let mut flags = Vec::with_capacity(raw.flags.len());
    for (key, f) in raw.flags {
        let path = |field: &str| format!("flags.{key}.{field}");
        let bad = |field: &str, e: &dyn std::fmt::Display| {
            ValidationError::new(path(field), e.to_string())
        };
        let flag = FollowUpFlag {
            id: FlagId::parse(&key).map_err(|e| bad("id", &e))?,
            note: if f.note.is_empty() {
                None
            } else {
                Some(NoteId::parse(&f.note).map_err(|e| bad("note", &e))?)
            },
            raised_by: MemberId::parse(&f.raised_by).map_err(|e| bad("raised_by", &e))?,
            raised_on: Day::parse(&f.raised_on).map_err(|e| bad("raised_on", &e))?,
            text: f.text.as_str().to_owned(),
            status: FlagStatus::parse(&f.status).map_err(|e| bad("status", &e))?,
            status_by: MemberId::parse(&f.status_by).map_err(|e| bad("status_by", &e))?,
            status_on: Day::parse(&f.status_on).map_err(|e| bad("status_on", &e))?,
        };
        check_text(&path("text"), &flag.text)?;
        flags.push(flag);
    }
    flags.sort_by(|a, b| (a.raised_on, &a.id).cmp(&(b.raised_on, &b.id)));

    Ok(Household {
        id,
        head: p.head,
        village: p.village,
        people,
        livelihood: p.livelihood,
        tags: p.tags,
        closed,
        notes,
        flags,
    })
}

fn section(doc: &Doc, key: &'static str) -> Result<automerge::ObjId, DocError> {
    child(doc.automerge(), &automerge::ROOT, key)
        .ok_or_else(|| ValidationError::new(key, "is missing").into())
}

fn entry(
    doc: &Doc,
    key: &'static str,
    id: &str,
    what: &'static str,
) -> Result<automerge::ObjId, DocError> {
    let parent = section(doc, key)?;
    child(doc.automerge(), &parent, id).ok_or_else(|| DocError::NotFound {
        doc: doc.id().to_string(),
        what,
        id: id.to_owned(),
    })
}

/// Changes profile fields; a field given its current value is not written, so it cannot
/// start a conflict.
pub fn update_profile(
    doc: &mut Doc,
    update: &ProfileUpdate,
    now: Timestamp,
) -> Result<(), DocError> {
    if let Some(head) = &update.head {
        check_head(head)?;
    }
    let current = read(doc)?;
    for (field, value) in [
        ("head", &update.head),
        ("village", &update.village),
        ("livelihood", &update.livelihood),
    ] {
        if let Some(v) = value {
            check_short(&format!("profile.{field}"), v)?;
        }
    }
    if let Some(people) = update.people
        && people > MAX_PEOPLE
    {
        return Err(ValidationError::new(
            "profile.people",
            format!("{people} is not 0 to {MAX_PEOPLE}"),
        )
        .into());
    }
    let profile = section(doc, "profile")?;
    doc.edit(now, |tx| {
        let changed = |new: &Option<String>, old: &str| {
            new.as_deref().filter(|n| *n != old).map(str::to_owned)
        };
        if let Some(v) = changed(&update.head, &current.head) {
            tx.put(&profile, "head", v)?;
        }
        if let Some(v) = changed(&update.village, &current.village) {
            tx.put(&profile, "village", v)?;
        }
        if let Some(v) = changed(&update.livelihood, &current.livelihood) {
            tx.put(&profile, "livelihood", v)?;
        }
        if let Some(people) = update.people.filter(|p| *p != current.people) {
            tx.put(&profile, "people", i64::from(people))?;
        }
        Ok(())
    })
}

/// Closes a household (the family moved away, merged into another): it stays, with every
/// note, but is looked after no more. Closing again changes the reason.
pub fn close(
    doc: &mut Doc,
    reason: ClosedReason,
    detail: &str,
    by: &MemberId,
    on: Day,
    now: Timestamp,
) -> Result<(), DocError> {
    doc.expect_kind(DocKind::Household)?;
    check_short("profile.closed.detail", detail)?;
    let profile = section(doc, "profile")?;
    doc.edit(now, |tx| {
        let closed = tx.put_object(&profile, "closed", ObjType::Map)?;
        tx.put(&closed, "reason", reason.code())?;
        tx.put(&closed, "detail", detail)?;
        tx.put(&closed, "on", on.iso())?;
        tx.put(&closed, "by", by.as_str())?;
        Ok(())
    })
}

/// Opens a closed household again (closed by mistake, or the family came back).
pub fn reopen(doc: &mut Doc, now: Timestamp) -> Result<(), DocError> {
    doc.expect_kind(DocKind::Household)?;
    let profile = section(doc, "profile")?;
    if child(doc.automerge(), &profile, "closed").is_none() {
        return Ok(());
    }
    doc.edit(now, |tx| {
        tx.delete(&profile, "closed")?;
        Ok(())
    })
}

/// Adds a tag (such as "hộ nghèo"); tags added on two phones are both kept.
pub fn add_tag(doc: &mut Doc, tag: &str, now: Timestamp) -> Result<(), DocError> {
    check_short("profile.tags", tag)?;
    doc.expect_kind(DocKind::Household)?;
    let profile = section(doc, "profile")?;
    let tags = child(doc.automerge(), &profile, "tags")
        .ok_or_else(|| ValidationError::new("profile.tags", "is missing"))?;
    let present = doc
        .automerge()
        .values(&tags)
        .any(|(value, _)| value.as_str() == Some(tag));
    if present {
        return Ok(());
    }
    let len = doc.automerge().length(&tags);
    doc.edit(now, |tx| {
        tx.insert(&tags, len, tag)?;
        Ok(())
    })
}

/// Writes a new visit note and returns its id.
pub fn add_note(
    doc: &mut Doc,
    author: &MemberId,
    date: Day,
    text: &str,
    topics: &[String],
    now: Timestamp,
) -> Result<NoteId, DocError> {
    doc.expect_kind(DocKind::Household)?;
    check_text("note.text", text)?;
    if topics.len() > MAX_TOPICS {
        return Err(
            ValidationError::new("note.topics", format!("more than {MAX_TOPICS} topics")).into(),
        );
    }
    for topic in topics {
        check_short("note.topics", topic)?;
    }
    let notes = section(doc, "notes")?;
    let id = NoteId::random();
    doc.edit(now, |tx| {
        let note = tx.put_object(&notes, id.as_str(), ObjType::Map)?;
        tx.put(&note, "date", date.iso())?;
        tx.put(&note, "author", author.as_str())?;
        tx.put(&note, "created_at", now)?;
        put_text(tx, &note, "text", text)?;
        let list = tx.put_object(&note, "topics", ObjType::List)?;
        for (i, topic) in topics.iter().enumerate() {
            tx.insert(&list, i, topic.as_str())?;
        }
        tx.put(&note, "deleted", false)?;
        Ok(())
    })?;
    Ok(id)
}

/// Replaces a note's text; only the characters that differ are written.
pub fn edit_note(doc: &mut Doc, note: &NoteId, text: &str, now: Timestamp) -> Result<(), DocError> {
    check_text("note.text", text)?;
    let note_obj = entry(doc, "notes", note.as_str(), "note")?;
    let text_obj = child(doc.automerge(), &note_obj, "text")
        .ok_or_else(|| ValidationError::new(format!("notes.{note}.text"), "is missing"))?;
    doc.edit(now, |tx| update_text(tx, &text_obj, text))
}

/// Inserts and deletes characters at a position (counted in Unicode code points), as a text
/// field's input events report them; concurrent splices on other phones merge around it.
pub fn splice_note(
    doc: &mut Doc,
    note: &NoteId,
    pos: usize,
    delete: usize,
    insert: &str,
    now: Timestamp,
) -> Result<(), DocError> {
    let note_obj = entry(doc, "notes", note.as_str(), "note")?;
    let text_obj = child(doc.automerge(), &note_obj, "text")
        .ok_or_else(|| ValidationError::new(format!("notes.{note}.text"), "is missing"))?;
    let current = doc.automerge().text(&text_obj)?;
    let len = current.chars().count();
    if pos.checked_add(delete).is_none_or(|end| end > len) {
        return Err(ValidationError::new(
            format!("notes.{note}.text"),
            format!("cannot delete {delete} characters at {pos} in a text of {len}"),
        )
        .into());
    }
    check_text("note.text", &format!("{current}{insert}"))?;
    let delete = isize::try_from(delete)
        .map_err(|_| ValidationError::new("note.text", "delete count too large"))?;
    doc.edit(now, |tx| {
        tx.splice_text(&text_obj, pos, delete, insert)?;
        Ok(())
    })
}

/// Moves a note to another day (a visit written up later).
pub fn set_note_date(
    doc: &mut Doc,
    note: &NoteId,
    date: Day,
    now: Timestamp,
) -> Result<(), DocError> {
    let note_obj = entry(doc, "notes", note.as_str(), "note")?;
    doc.edit(now, |tx| {
        tx.put(&note_obj, "date", date.iso())?;
        Ok(())
    })
}

/// Marks a note deleted or restores it. The text stays in the document either way.
pub fn set_note_deleted(
    doc: &mut Doc,
    note: &NoteId,
    deleted: bool,
    now: Timestamp,
) -> Result<(), DocError> {
    let note_obj = entry(doc, "notes", note.as_str(), "note")?;
    doc.edit(now, |tx| {
        tx.put(&note_obj, "deleted", deleted)?;
        Ok(())
    })
}

/// Raises a follow-up flag, from a note or on its own, and returns its id.
pub fn raise_flag(
    doc: &mut Doc,
    note: Option<&NoteId>,
    by: &MemberId,
    on: Day,
    text: &str,
    now: Timestamp,
) -> Result<FlagId, DocError> {
    doc.expect_kind(DocKind::Household)?;
    check_text("flag.text", text)?;
    if let Some(note) = note {
        entry(doc, "notes", note.as_str(), "note")?;
    }
    let flags = section(doc, "flags")?;
    let id = FlagId::random();
    doc.edit(now, |tx| {
        let flag = tx.put_object(&flags, id.as_str(), ObjType::Map)?;
        tx.put(&flag, "note", note.map(NoteId::as_str).unwrap_or(""))?;
        tx.put(&flag, "raised_by", by.as_str())?;
        tx.put(&flag, "raised_on", on.iso())?;
        put_text(tx, &flag, "text", text)?;
        tx.put(&flag, "status", FlagStatus::Open.code())?;
        tx.put(&flag, "status_by", by.as_str())?;
        tx.put(&flag, "status_on", on.iso())?;
        Ok(())
    })?;
    Ok(id)
}

/// Moves a flag to a new status (escalated, resolved, or open again).
pub fn set_flag_status(
    doc: &mut Doc,
    flag: &FlagId,
    status: FlagStatus,
    by: &MemberId,
    on: Day,
    now: Timestamp,
) -> Result<(), DocError> {
    let flag_obj = entry(doc, "flags", flag.as_str(), "flag")?;
    doc.edit(now, |tx| {
        tx.put(&flag_obj, "status", status.code())?;
        tx.put(&flag_obj, "status_by", by.as_str())?;
        tx.put(&flag_obj, "status_on", on.iso())?;
        Ok(())
    })
}

/// Replaces a flag's text, character by character.
pub fn edit_flag(doc: &mut Doc, flag: &FlagId, text: &str, now: Timestamp) -> Result<(), DocError> {
    check_text("flag.text", text)?;
    let flag_obj = entry(doc, "flags", flag.as_str(), "flag")?;
    let text_obj = child(doc.automerge(), &flag_obj, "text")
        .ok_or_else(|| ValidationError::new(format!("flags.{flag}.text"), "is missing"))?;
    doc.edit(now, |tx| update_text(tx, &text_obj, text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docs::random_actor;

    fn household() -> Doc {
        Doc::create(DocId::parse("h:hh-1").expect("id"), random_actor())
    }

    fn member(id: &str) -> MemberId {
        MemberId::parse(id).expect("member id")
    }

    fn day(d: &str) -> Day {
        Day::parse(d).expect("day")
    }

    #[test]
    fn a_new_household_needs_its_head_and_no_edit_blanks_it() {
        let id = DocId::Household(HouseholdId::random());
        let mut doc = Doc::create(id, random_actor());
        let nameless = ProfileUpdate {
            village: Some("Thôn Nậm Mì".into()),
            ..Default::default()
        };
        assert!(matches!(
            create(&mut doc, &nameless, 1),
            Err(DocError::Required(_))
        ));
        let named = ProfileUpdate {
            head: Some("Sùng A Tú".into()),
            ..nameless
        };
        create(&mut doc, &named, 1).expect("a household with its head");
        let blank = ProfileUpdate {
            head: Some("  ".into()),
            ..Default::default()
        };
        assert!(matches!(
            update_profile(&mut doc, &blank, 2),
            Err(DocError::Required(_))
        ));
        assert_eq!(read(&doc).expect("read").head, "Sùng A Tú");
    }

    #[test]
    fn a_new_household_validates_and_reads_back_what_was_written() {
        let mut doc = household();
        let update = ProfileUpdate {
            head: Some("Giàng Seo Pủa".into()),
            village: Some("Thôn Nậm Ty".into()),
            people: Some(6),
            livelihood: Some("Trồng chè".into()),
        };
        update_profile(&mut doc, &update, 1).expect("profile");
        let note = add_note(
            &mut doc,
            &member("m-1"),
            day("2026-11-02"),
            "Gia đình khỏe.",
            &["sức khỏe".into()],
            2,
        )
        .expect("note");
        raise_flag(
            &mut doc,
            Some(&note),
            &member("m-1"),
            day("2026-11-02"),
            "Xin hỗ trợ giống chè",
            3,
        )
        .expect("flag");
        let h = read(&doc).expect("valid");
        assert_eq!(h.head, "Giàng Seo Pủa");
        assert_eq!(h.people, 6);
        assert_eq!(h.notes.len(), 1);
        assert_eq!(h.notes[0].text, "Gia đình khỏe.");
        assert_eq!(h.flags[0].status, FlagStatus::Open);
        assert_eq!(h.open_flags(), 1);
        assert_eq!(h.last_visit(), Some(day("2026-11-02")));
    }

    #[test]
    fn the_months_projected_are_the_months_visited_in() {
        let mut doc = household();
        let m1 = member("m-1");
        for (date, text) in [
            ("2026-09-30", "Cuối tháng 9."),
            ("2026-10-01", "Đầu tháng 10."),
            ("2026-10-20", "Lại tháng 10."),
            ("2026-11-05", "Xóa sau."),
        ] {
            add_note(&mut doc, &m1, day(date), text, &[], 1).expect("note");
        }
        let deleted = read(&doc).expect("valid").notes[3].id.clone();
        set_note_deleted(&mut doc, &deleted, true, 2).expect("delete");
        let h = read(&doc).expect("valid");
        let mut month = Month::parse("2026-08").expect("month");
        let mut visited = BTreeSet::new();
        for _ in 0..6 {
            if h.visited_in(month) {
                visited.insert(month);
            }
            month = month.next();
        }
        assert_eq!(h.visited_months(), visited);
        let months: Vec<String> = visited.iter().map(Month::iso).collect();
        assert_eq!(months, ["2026-09", "2026-10"], "a deleted note is no visit");
        assert_eq!(h.visits().count(), 3);
        assert_eq!(h.last_visit(), Some(day("2026-10-20")));
    }

    #[test]
    fn a_closed_household_keeps_its_notes_and_can_be_opened_again() {
        let mut doc = household();
        let secretary = member("m-1");
        let day = Day::parse("2026-11-20").expect("day");
        add_note(&mut doc, &secretary, day, "Thăm hộ", &[], 1).expect("note");
        close(
            &mut doc,
            ClosedReason::MovedAway,
            "Chuyển vào Bình Dương",
            &secretary,
            day,
            2,
        )
        .expect("close");
        let closed = read(&doc).expect("valid");
        assert_eq!(
            closed.closed,
            Some(Closure {
                reason: ClosedReason::MovedAway,
                detail: "Chuyển vào Bình Dương".into(),
                on: day,
                by: secretary.clone(),
            })
        );
        assert_eq!(closed.notes.len(), 1, "closing keeps the notes");
        reopen(&mut doc, 3).expect("reopen");
        assert_eq!(read(&doc).expect("valid").closed, None);
    }

    #[test]
    fn household_ids_made_apart_differ() {
        let ids: std::collections::HashSet<HouseholdId> =
            (0..1000).map(|_| HouseholdId::random()).collect();
        assert_eq!(ids.len(), 1000);
        assert!(ids.iter().all(|id| HouseholdId::parse(id.as_str()).is_ok()));
    }

    #[test]
    fn two_phones_starting_the_same_document_share_its_skeleton() {
        let a = household();
        let b = household();
        assert_eq!(
            a.heads(),
            b.heads(),
            "the skeleton change is byte-identical everywhere"
        );
    }

    #[test]
    fn bad_input_is_refused_with_the_field_named() {
        let mut doc = household();
        let long = "x".repeat(crate::docs::MAX_TEXT_CHARS + 1);
        let err = add_note(&mut doc, &member("m-1"), day("2026-11-02"), &long, &[], 1)
            .expect_err("too long");
        assert!(err.to_string().contains("note.text"), "{err}");
        let err = update_profile(
            &mut doc,
            &ProfileUpdate {
                people: Some(500),
                ..Default::default()
            },
            1,
        )
        .expect_err("too many people");
        assert!(err.to_string().contains("profile.people"), "{err}");
        let missing = NoteId::parse("nope").expect("id");
        assert!(matches!(
            edit_note(&mut doc, &missing, "x", 1),
            Err(DocError::NotFound { .. })
        ));
    }
}
