//! The monthly report of one member (báo cáo tháng): the tasks done, the household-responsibility
//! content, the self-rating, and the cell's comment and final rating.
//!
//! ```text
//! { kind: "report", id: "r:<member>:<yyyy-mm>",
//!   tasks: Text, household_content: Text, self_rating, submitted_on,
//!   cell_comment: Text, cell_rating, rated_by, rated_on }
//! ```

use automerge::ObjType;
use automerge::transaction::{Transactable, Transaction};
use autosurgeon::{Hydrate, Text};

use super::{Doc, DocError, ValidationError, check_text, child, update_text};
use crate::date::{Day, Month};
use crate::domain::Rating;
use crate::ids::{DocKind, MemberId};
use crate::{DocId, Timestamp};

pub(super) const CONFLICT_FIELDS: &[&[&str]] = &[&["self_rating"], &["cell_rating"]];

/// What the member writes of their report.
pub(crate) const MEMBER_FIELDS: &[&[&str]] = &[
    &["tasks"],
    &["household_content"],
    &["self_rating"],
    &["submitted_on"],
];

/// How the cell rates it.
pub(crate) const RATING_FIELDS: &[&[&str]] = &[
    &["cell_comment"],
    &["cell_rating"],
    &["rated_by"],
    &["rated_on"],
];

/// Fields that name who did something; each value a change writes must be its maker. The
/// report's owner is in its id, which the access rules check.
pub(super) const CLAIM_FIELDS: &[&[&str]] = &[&["rated_by"]];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthlyReport {
    pub member: MemberId,
    pub month: Month,
    /// Kết quả thực hiện nhiệm vụ được giao.
    pub tasks: String,
    /// Nội dung phụ trách hộ.
    pub household_content: String,
    /// Tự nhận xếp loại.
    pub self_rating: Option<Rating>,
    /// The day the member handed the report in; `None` while it is a draft.
    pub submitted_on: Option<Day>,
    /// Góp ý of the cell.
    pub cell_comment: String,
    /// Chi bộ đánh giá, xếp loại.
    pub cell_rating: Option<Rating>,
    pub rated_by: Option<MemberId>,
    pub rated_on: Option<Day>,
}

impl MonthlyReport {
    /// Where the report stands: handed in once it has a day of hand-in, a draft until then.
    pub fn state(&self) -> ReportState {
        if self.submitted_on.is_some() {
            ReportState::HandedIn
        } else {
            ReportState::Drafted
        }
    }
}

crate::domain::coded_enum!(
    /// Where a member's report for a month stands. The server stores the code with the report
    /// it projects and counts by it, so no query decides for itself what a draft is.
    ReportState, "report state", {
        /// No report for the month at all.
        Missing => ("missing", "Chưa nộp", "Not handed in"),
        /// Begun on the phone but not handed in.
        Drafted => ("drafted", "Chưa nộp (đang soạn)", "Not handed in (being drafted)"),
        HandedIn => ("handed_in", "Đã nộp", "Handed in"),
    }
);

impl ReportState {
    /// The state of a member's report for a month, or of none.
    pub fn of(report: Option<&MonthlyReport>) -> ReportState {
        report.map_or(ReportState::Missing, MonthlyReport::state)
    }
}

/// What a member writes; `None` leaves a part as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportDraft {
    pub tasks: Option<String>,
    pub household_content: Option<String>,
    pub self_rating: Option<Rating>,
}

#[derive(Hydrate)]
struct RawReport {
    tasks: Text,
    household_content: Text,
    self_rating: String,
    submitted_on: String,
    cell_comment: Text,
    cell_rating: String,
    rated_by: String,
    rated_on: String,
}

pub(super) fn skeleton(tx: &mut Transaction<'_>) -> Result<(), automerge::AutomergeError> {
    for key in ["tasks", "household_content", "cell_comment"] {
        tx.put_object(automerge::ROOT, key, ObjType::Text)?;
    }
    for key in [
        "self_rating",
        "submitted_on",
        "cell_rating",
        "rated_by",
        "rated_on",
    ] {
        tx.put(automerge::ROOT, key, "")?;
    }
    Ok(())
}

pub fn read(doc: &Doc) -> Result<MonthlyReport, DocError> {
    doc.expect_kind(DocKind::Report)?;
    Ok(validate(doc)?)
}

fn optional<T, E: std::fmt::Display>(
    path: &str,
    value: &str,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Result<Option<T>, ValidationError> {
    if value.is_empty() {
        return Ok(None);
    }
    parse(value)
        .map(Some)
        .map_err(|e| ValidationError::new(path, e.to_string()))
}

pub(super) fn validate(doc: &Doc) -> Result<MonthlyReport, ValidationError> {
    let DocId::Report(member, month) = doc.id().clone() else {
        return Err(ValidationError::new("id", "not a report document"));
    };
    let raw: RawReport = autosurgeon::hydrate(doc.automerge())
        .map_err(|e| ValidationError::new("", e.to_string()))?;
    let report = MonthlyReport {
        member,
        month,
        tasks: raw.tasks.as_str().to_owned(),
        household_content: raw.household_content.as_str().to_owned(),
        self_rating: optional("self_rating", &raw.self_rating, Rating::parse)?,
        submitted_on: optional("submitted_on", &raw.submitted_on, Day::parse)?,
        cell_comment: raw.cell_comment.as_str().to_owned(),
        cell_rating: optional("cell_rating", &raw.cell_rating, Rating::parse)?,
        rated_by: optional("rated_by", &raw.rated_by, MemberId::parse)?,
        rated_on: optional("rated_on", &raw.rated_on, Day::parse)?,
    };
    check_text("tasks", &report.tasks)?;
    check_text("household_content", &report.household_content)?;
    check_text("cell_comment", &report.cell_comment)?;
    Ok(report)
}

/// One rating field, read alone (cheaper than the whole report, which edits do not need).
fn rating_field(doc: &Doc, key: &'static str) -> Result<Option<Rating>, DocError> {
    doc.expect_kind(DocKind::Report)?;
    let raw = super::read_str(doc.automerge(), &automerge::ROOT, key).unwrap_or_default();
    Ok(optional(key, &raw, Rating::parse)?)
}

fn text_field(doc: &Doc, key: &'static str) -> Result<automerge::ObjId, DocError> {
    child(doc.automerge(), &automerge::ROOT, key)
        .ok_or_else(|| ValidationError::new(key, "is missing").into())
}

/// Writes the member's part of the report.
pub fn write(doc: &mut Doc, draft: &ReportDraft, now: Timestamp) -> Result<(), DocError> {
    let current_rating = rating_field(doc, "self_rating")?;
    let mut texts = Vec::new();
    for (key, value) in [
        ("tasks", &draft.tasks),
        ("household_content", &draft.household_content),
    ] {
        if let Some(value) = value {
            check_text(key, value)?;
            texts.push((text_field(doc, key)?, value.as_str()));
        }
    }
    doc.edit(now, |tx| {
        for (obj, value) in &texts {
            update_text(tx, obj, value)?;
        }
        if let Some(rating) = draft.self_rating.filter(|r| Some(*r) != current_rating) {
            tx.put(automerge::ROOT, "self_rating", rating.code())?;
        }
        Ok(())
    })
}

/// Hands the report in to the cell.
pub fn submit(doc: &mut Doc, on: Day, now: Timestamp) -> Result<(), DocError> {
    if rating_field(doc, "self_rating")?.is_none() {
        return Err(ValidationError::new(
            "self_rating",
            "choose a self-rating before handing the report in",
        )
        .into());
    }
    doc.edit(now, |tx| {
        tx.put(automerge::ROOT, "submitted_on", on.iso())?;
        Ok(())
    })
}

/// The cell's rating and comment (chi bộ đánh giá, xếp loại; góp ý).
pub fn rate(
    doc: &mut Doc,
    rating: Rating,
    comment: &str,
    by: &MemberId,
    on: Day,
    now: Timestamp,
) -> Result<(), DocError> {
    let current_rating = rating_field(doc, "cell_rating")?;
    check_text("cell_comment", comment)?;
    let comment_obj = text_field(doc, "cell_comment")?;
    doc.edit(now, |tx| {
        if current_rating != Some(rating) {
            tx.put(automerge::ROOT, "cell_rating", rating.code())?;
        }
        update_text(tx, &comment_obj, comment)?;
        tx.put(automerge::ROOT, "rated_by", by.as_str())?;
        tx.put(automerge::ROOT, "rated_on", on.iso())?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docs::random_actor;

    #[test]
    fn a_report_is_written_submitted_and_rated() {
        let id = DocId::parse("r:m-an:2026-11").expect("id");
        let mut doc = Doc::create(id, random_actor());
        let on = Day::parse("2026-11-28").expect("day");
        assert!(submit(&mut doc, on, 1).is_err(), "no self-rating yet");
        assert_eq!(ReportState::of(None), ReportState::Missing);
        let begun = read(&doc).expect("valid");
        assert_eq!(ReportState::of(Some(&begun)), ReportState::Drafted);
        let draft = ReportDraft {
            tasks: Some("Dự họp chi bộ đầy đủ.".into()),
            household_content: Some("Thăm 3 hộ; hộ ông Pủa cần giống chè.".into()),
            self_rating: Some(Rating::Good),
        };
        write(&mut doc, &draft, 1).expect("write");
        submit(&mut doc, on, 2).expect("submit");
        let secretary = MemberId::parse("m-binh").expect("id");
        rate(&mut doc, Rating::Excellent, "Làm tốt.", &secretary, on, 3).expect("rate");
        let report = read(&doc).expect("valid");
        assert_eq!(report.state(), ReportState::HandedIn);
        assert_eq!(report.self_rating, Some(Rating::Good));
        assert_eq!(report.cell_rating, Some(Rating::Excellent));
        assert_eq!(report.submitted_on, Some(on));
        assert_eq!(report.cell_comment, "Làm tốt.");
        assert_eq!(report.month.vi(), "tháng 11/2026");
    }
}
