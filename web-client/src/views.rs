//! What JavaScript reads: plain objects with camelCase fields, built from core's typed views.
//! Each view's TypeScript interface sits beside its struct so the two change together; the
//! generated `.d.ts` carries them, and the methods that return a view name its interface.
//!
//! Days come twice, as `yyyy-mm-dd` for code and as dd/mm/yyyy for people; codes (ratings,
//! statuses, roles) come with their Vietnamese label, both taken from core.

use hosync_core::docs::cell::{self, Assignment, AssignmentEvent, Cell, RosterEntry};
use hosync_core::docs::household::{FollowUpFlag, Household, HouseholdDigest, VisitNote};
use hosync_core::docs::report::{MonthlyReport, ReportState};
use hosync_core::domain::name_order;
use hosync_core::oversight;
use hosync_core::sync::{DocSyncStatus, SyncOutcome};
use hosync_core::{
    ClosedReason, Conflict, ConflictValue, Day, DocId, FlagStatus, MemberId, MemberStatus, Month,
    Rating, Role,
};
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const CODES_TS: &str = r#"
/** The four levels of the monthly rating (xếp loại); `ratings()` gives their labels. */
export type RatingCode = "excellent" | "good" | "completed" | "not_completed";
/** Where a follow-up flag stands; `flagStatuses()` gives their labels. */
export type FlagStatusCode = "open" | "escalated" | "resolved";
/** Where a month's report stands; `reportStates()` gives their labels. */
export type ReportStateCode = "missing" | "drafted" | "handed_in";
/** A member's role in their cell; `roles()` gives their labels. */
export type RoleCode = "member" | "secretary" | "deputy_secretary" | "committee_member";
/** Whether a member takes part as usual, works away (đi làm ăn xa) or is exempt (miễn sinh hoạt). */
export type MemberStatusCode = "active" | "working_away" | "exempt";
/** Why a household was closed; `closedReasons()` gives their labels. */
export type ClosedReasonCode = "moved_away" | "merged" | "other";

/** A stored code and what a member reads for it, in Vietnamese and in English. */
export interface CodeLabel<C extends string = string> {
  code: C;
  label: string;
  label_en: string;
}
"#;

/// A code and its labels, for pickers; the app shows the one of the language chosen.
#[derive(Serialize)]
pub(crate) struct CodeLabel {
    code: &'static str,
    label: &'static str,
    label_en: &'static str,
}

impl From<Rating> for CodeLabel {
    fn from(r: Rating) -> Self {
        let labels = r.labels();
        CodeLabel {
            code: r.code(),
            label: labels.vi,
            label_en: labels.en,
        }
    }
}

impl From<ClosedReason> for CodeLabel {
    fn from(r: ClosedReason) -> Self {
        let labels = r.labels();
        CodeLabel {
            code: r.code(),
            label: labels.vi,
            label_en: labels.en,
        }
    }
}

impl From<FlagStatus> for CodeLabel {
    fn from(s: FlagStatus) -> Self {
        let labels = s.labels();
        CodeLabel {
            code: s.code(),
            label: labels.vi,
            label_en: labels.en,
        }
    }
}

impl From<ReportState> for CodeLabel {
    fn from(s: ReportState) -> Self {
        let labels = s.labels();
        CodeLabel {
            code: s.code(),
            label: labels.vi,
            label_en: labels.en,
        }
    }
}

impl From<&MemberStatus> for CodeLabel {
    fn from(s: &MemberStatus) -> Self {
        let labels = s.labels();
        CodeLabel {
            code: s.code(),
            label: labels.vi,
            label_en: labels.en,
        }
    }
}

impl From<Role> for CodeLabel {
    fn from(r: Role) -> Self {
        let labels = r.labels();
        CodeLabel {
            code: r.code(),
            label: labels.vi,
            label_en: labels.en,
        }
    }
}

#[wasm_bindgen(typescript_custom_section)]
const STATUS_TS: &str = r#"
/**
 * Where a document stands: đã gửi lên máy chủ (`"on_server"`), đã lưu trên máy (`"on_phone"`),
 * or refused by the server with the reason (its changes stay on the phone).
 */
export type DocStatus = "on_server" | "on_phone" | { refused: string };
"#;

#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum StatusView {
    OnServer,
    OnPhone,
    Refused(String),
}

impl From<DocSyncStatus> for StatusView {
    fn from(s: DocSyncStatus) -> Self {
        match s {
            DocSyncStatus::OnServer => StatusView::OnServer,
            DocSyncStatus::OnPhone => StatusView::OnPhone,
            DocSyncStatus::Refused(reason) => StatusView::Refused(reason),
        }
    }
}

#[wasm_bindgen(typescript_custom_section)]
const HOUSEHOLD_TS: &str = r#"
/** Ghi chép thăm hộ. A deleted note keeps its text, so an edit made offline to it is not lost. */
export interface VisitNote {
  id: string;
  /** The day of the visit, yyyy-mm-dd. */
  date: string;
  /** The same day as dd/mm/yyyy. */
  dateVi: string;
  author: string;
  /** Unix seconds by the writing phone's clock; advisory only. */
  createdAt: number;
  text: string;
  topics: string[];
  deleted: boolean;
}

/** Kiến nghị cần giải quyết. */
export interface FollowUpFlag {
  id: string;
  /** The note it was raised from, if any. */
  note: string | null;
  raisedBy: string;
  raisedOn: string;
  raisedOnVi: string;
  text: string;
  status: FlagStatusCode;
  statusLabel: string;
  /** Still waiting for someone's action (not resolved). */
  open: boolean;
  /** The statuses the flag may be moved to from this one, as the buttons offer them. */
  moves: FlagStatusCode[];
  /** Who last changed the status, and when. */
  statusBy: string;
  statusOn: string;
  statusOnVi: string;
}

/** Why and when the cell closed a household. */
export interface HouseholdClosure {
  reason: ClosedReasonCode;
  reasonLabel: string;
  detail: string;
  /** yyyy-mm-dd, and as dd/mm/yyyy. */
  on: string;
  onVi: string;
  by: string;
}

/** A household (hộ gia đình): profile, notes by date (oldest first) and flags. */
export interface Household {
  /** The household id (without the `h:` of its document id). */
  id: string;
  /** Chủ hộ. */
  head: string;
  village: string;
  /** Nhân khẩu. */
  people: number;
  livelihood: string;
  tags: string[];
  notes: VisitNote[];
  flags: FollowUpFlag[];
  /** Set when the cell closed the household: kept with its notes, looked after no more. */
  closed: HouseholdClosure | null;
  /** The day of the latest visit not deleted, yyyy-mm-dd, or null if none. */
  lastVisit: string | null;
  lastVisitVi: string | null;
  /** Flags not yet resolved. */
  openFlags: number;
}

/** Profile fields to change; a field left out (or null) stays as it is. */
export interface ProfileUpdate {
  head?: string | null;
  village?: string | null;
  people?: number | null;
  livelihood?: string | null;
}
"#;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HouseholdView<'a> {
    id: &'a str,
    head: &'a str,
    village: &'a str,
    people: u32,
    livelihood: &'a str,
    tags: &'a [String],
    notes: Vec<NoteView<'a>>,
    flags: Vec<FlagView<'a>>,
    last_visit: Option<String>,
    last_visit_vi: Option<String>,
    open_flags: usize,
    closed: Option<ClosureView<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ClosureView<'a> {
    reason: &'static str,
    reason_label: &'static str,
    detail: &'a str,
    on: String,
    on_vi: String,
    by: &'a str,
}

impl<'a> From<&'a Household> for HouseholdView<'a> {
    fn from(h: &'a Household) -> Self {
        let last_visit = h.last_visit();
        HouseholdView {
            id: h.id.as_str(),
            head: &h.head,
            village: &h.village,
            people: h.people,
            livelihood: &h.livelihood,
            tags: &h.tags,
            notes: h.notes.iter().map(NoteView::from).collect(),
            flags: h.flags.iter().map(FlagView::from).collect(),
            last_visit: last_visit.as_ref().map(Day::iso),
            last_visit_vi: last_visit.as_ref().map(Day::vi),
            open_flags: h.open_flags(),
            closed: h.closed.as_ref().map(|c| ClosureView {
                reason: c.reason.code(),
                reason_label: c.reason.label_vi(),
                detail: &c.detail,
                on: c.on.iso(),
                on_vi: c.on.vi(),
                by: c.by.as_str(),
            }),
        }
    }
}

#[wasm_bindgen(typescript_custom_section)]
const HOUSEHOLD_SUMMARY_TS: &str = r#"
/** A household as the list shows it. */
export interface HouseholdSummary {
  /** The document id, `h:<household>`. */
  docId: string;
  id: string;
  head: string;
  village: string;
  people: number;
  /** The member it is assigned to, when the cell's document is on the phone. */
  assignee: string | null;
  /**
   * On the phone's member's own list: assigned to them, or to no one the phone knows of (the
   * cell's document not yet on the phone, or the household just taken off everyone).
   */
  mine: boolean;
  /** A note not deleted dated in the month asked for. */
  visited: boolean;
  lastVisit: string | null;
  lastVisitVi: string | null;
  openFlags: number;
  /** Closed by the cell (moved away, merged): kept, but off the lists. */
  closed: boolean;
  status: DocStatus;
}
"#;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HouseholdSummary {
    doc_id: String,
    id: String,
    head: String,
    village: String,
    people: u32,
    assignee: Option<String>,
    mine: bool,
    visited: bool,
    last_visit: Option<String>,
    last_visit_vi: Option<String>,
    open_flags: usize,
    /// Closed by the cell (moved away, merged): kept on the phone, off the lists.
    closed: bool,
    status: Option<StatusView>,
}

impl HouseholdSummary {
    /// The household as the list shows it, `cell` being the cell's document as the phone has
    /// it and `member` the phone's member.
    pub(crate) fn new(
        doc: &DocId,
        h: &HouseholdDigest,
        month: Month,
        cell: Option<&Cell>,
        member: &MemberId,
        status: Option<StatusView>,
    ) -> Self {
        HouseholdSummary {
            doc_id: doc.to_string(),
            id: h.id.to_string(),
            head: h.head.clone(),
            village: h.village.clone(),
            people: h.people,
            assignee: cell
                .and_then(|c| c.assignee(&h.id))
                .map(ToString::to_string),
            mine: cell::on_member_list(cell, member, &h.id),
            visited: h.visited_in(month),
            last_visit: h.last_visit.as_ref().map(Day::iso),
            last_visit_vi: h.last_visit.as_ref().map(Day::vi),
            open_flags: h.open_flags,
            closed: h.closed,
            status,
        }
    }

    /// Vietnamese names sort by the given name, the last word: "Nguyễn Văn An" under A, as
    /// every list in the staff views does.
    pub(crate) fn sort_key(&self) -> ((String, String), String) {
        (name_order(&self.head), self.doc_id.clone())
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NoteView<'a> {
    id: &'a str,
    date: String,
    date_vi: String,
    author: &'a str,
    created_at: i64,
    text: &'a str,
    topics: &'a [String],
    deleted: bool,
}

impl<'a> From<&'a VisitNote> for NoteView<'a> {
    fn from(n: &'a VisitNote) -> Self {
        NoteView {
            id: n.id.as_str(),
            date: n.date.iso(),
            date_vi: n.date.vi(),
            author: n.author.as_str(),
            created_at: n.created_at,
            text: &n.text,
            topics: &n.topics,
            deleted: n.deleted,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FlagView<'a> {
    id: &'a str,
    note: Option<&'a str>,
    raised_by: &'a str,
    raised_on: String,
    raised_on_vi: String,
    text: &'a str,
    status: &'static str,
    status_label: &'static str,
    open: bool,
    moves: Vec<&'static str>,
    status_by: &'a str,
    status_on: String,
    status_on_vi: String,
}

impl<'a> From<&'a FollowUpFlag> for FlagView<'a> {
    fn from(f: &'a FollowUpFlag) -> Self {
        FlagView {
            id: f.id.as_str(),
            note: f.note.as_ref().map(|n| n.as_str()),
            raised_by: f.raised_by.as_str(),
            raised_on: f.raised_on.iso(),
            raised_on_vi: f.raised_on.vi(),
            text: &f.text,
            status: f.status.code(),
            status_label: f.status.label_vi(),
            open: oversight::flag_is_open(f.status),
            moves: f.status.moves().iter().map(|s| s.code()).collect(),
            status_by: f.status_by.as_str(),
            status_on: f.status_on.iso(),
            status_on_vi: f.status_on.vi(),
        }
    }
}

#[wasm_bindgen(typescript_custom_section)]
const CELL_TS: &str = r#"
/** One member on a cell's roster. */
export interface RosterEntry {
  id: string;
  name: string;
  role: RoleCode;
  roleLabel: string;
  status: MemberStatusCode;
  statusLabel: string;
  /** Where they work away, or why they are exempt; empty when active. */
  statusDetail: string;
}

/** Phân công đảng viên phụ trách hộ, as it stands. */
export interface Assignment {
  household: string;
  member: string;
  /** The day of the latest assignment of this household, if the log has it. */
  since: string | null;
  sinceVi: string | null;
}

/** One entry of the assignment history; `member: null` took the household off everyone. */
export interface AssignmentEvent {
  household: string;
  member: string | null;
  from: string;
  fromVi: string;
  by: string;
}

/** A cell (chi bộ): the roster sorted by given name, current assignments, and their history. */
export interface Cell {
  /** The cell's unit id (without the `c:` of its document id). */
  id: string;
  /** The document id, `c:<cell>`. */
  docId: string;
  members: RosterEntry[];
  assignments: Assignment[];
  history: AssignmentEvent[];
}
"#;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CellView<'a> {
    id: &'a str,
    doc_id: String,
    members: Vec<RosterView<'a>>,
    assignments: Vec<AssignmentView<'a>>,
    history: Vec<EventView<'a>>,
}

impl<'a> From<&'a Cell> for CellView<'a> {
    fn from(c: &'a Cell) -> Self {
        CellView {
            id: c.id.as_str(),
            doc_id: DocId::Cell(c.id.clone()).to_string(),
            members: c.members.iter().map(RosterView::from).collect(),
            assignments: c.assignments.iter().map(AssignmentView::from).collect(),
            history: c.history.iter().map(EventView::from).collect(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RosterView<'a> {
    id: &'a str,
    name: &'a str,
    role: &'static str,
    role_label: &'static str,
    status: &'static str,
    status_label: &'static str,
    status_detail: &'a str,
}

impl<'a> From<&'a RosterEntry> for RosterView<'a> {
    fn from(m: &'a RosterEntry) -> Self {
        RosterView {
            id: m.id.as_str(),
            name: &m.name,
            role: m.role.code(),
            role_label: m.role.label_vi(),
            status: m.status.code(),
            status_label: m.status.label_vi(),
            status_detail: m.status.detail(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AssignmentView<'a> {
    household: &'a str,
    member: &'a str,
    since: Option<String>,
    since_vi: Option<String>,
}

impl<'a> From<&'a Assignment> for AssignmentView<'a> {
    fn from(a: &'a Assignment) -> Self {
        AssignmentView {
            household: a.household.as_str(),
            member: a.member.as_str(),
            since: a.since.as_ref().map(Day::iso),
            since_vi: a.since.as_ref().map(Day::vi),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EventView<'a> {
    household: &'a str,
    member: Option<&'a str>,
    from: String,
    from_vi: String,
    by: &'a str,
}

impl<'a> From<&'a AssignmentEvent> for EventView<'a> {
    fn from(e: &'a AssignmentEvent) -> Self {
        EventView {
            household: e.household.as_str(),
            member: e.member.as_ref().map(|m| m.as_str()),
            from: e.from.iso(),
            from_vi: e.from.vi(),
            by: e.by.as_str(),
        }
    }
}

#[wasm_bindgen(typescript_custom_section)]
const REPORT_TS: &str = r#"
/** A member's monthly report (báo cáo tháng). Each rating comes with its Vietnamese label. */
export interface MonthlyReport {
  member: string;
  /** yyyy-mm. */
  month: string;
  /** "tháng 11/2026". */
  monthVi: string;
  /** Kết quả thực hiện nhiệm vụ được giao. */
  tasks: string;
  /** Nội dung phụ trách hộ. */
  householdContent: string;
  /** Tự nhận xếp loại. */
  selfRating: RatingCode | null;
  selfRatingLabel: string | null;
  /** Drafted until handed in (core's reading, as the staff views count it). */
  state: ReportStateCode;
  stateLabel: string;
  /** The day it was handed in; null while it is a draft. */
  submittedOn: string | null;
  submittedOnVi: string | null;
  /** Góp ý of the cell. */
  cellComment: string;
  /** Chi bộ đánh giá, xếp loại. */
  cellRating: RatingCode | null;
  cellRatingLabel: string | null;
  ratedBy: string | null;
  ratedOn: string | null;
  ratedOnVi: string | null;
}

/** The member's part of a report; a part left out (or null) stays as it is. */
export interface ReportDraft {
  tasks?: string | null;
  householdContent?: string | null;
  selfRating?: RatingCode | null;
}
"#;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ReportView<'a> {
    member: &'a str,
    month: String,
    month_vi: String,
    tasks: &'a str,
    household_content: &'a str,
    self_rating: Option<&'static str>,
    self_rating_label: Option<&'static str>,
    state: &'static str,
    state_label: &'static str,
    submitted_on: Option<String>,
    submitted_on_vi: Option<String>,
    cell_comment: &'a str,
    cell_rating: Option<&'static str>,
    cell_rating_label: Option<&'static str>,
    rated_by: Option<&'a str>,
    rated_on: Option<String>,
    rated_on_vi: Option<String>,
}

impl<'a> From<&'a MonthlyReport> for ReportView<'a> {
    fn from(r: &'a MonthlyReport) -> Self {
        ReportView {
            member: r.member.as_str(),
            month: r.month.iso(),
            month_vi: r.month.vi(),
            tasks: &r.tasks,
            household_content: &r.household_content,
            self_rating: r.self_rating.map(Rating::code),
            self_rating_label: r.self_rating.map(Rating::label_vi),
            state: r.state().code(),
            state_label: r.state().label_vi(),
            submitted_on: r.submitted_on.as_ref().map(Day::iso),
            submitted_on_vi: r.submitted_on.as_ref().map(Day::vi),
            cell_comment: &r.cell_comment,
            cell_rating: r.cell_rating.map(Rating::code),
            cell_rating_label: r.cell_rating.map(Rating::label_vi),
            rated_by: r.rated_by.as_ref().map(|m| m.as_str()),
            rated_on: r.rated_on.as_ref().map(Day::iso),
            rated_on_vi: r.rated_on.as_ref().map(Day::vi),
        }
    }
}

#[wasm_bindgen(typescript_custom_section)]
const DOC_ID_TS: &str = r#"
/** What a document id names, as core reads `h:<household>`, `c:<cell>` or `r:<member>:<yyyy-mm>`. */
export type DocIdParts =
  | { kind: "household"; household: string }
  | { kind: "cell"; cell: string }
  | { kind: "report"; member: string; month: string };
"#;

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum DocIdView<'a> {
    Household { household: &'a str },
    Cell { cell: &'a str },
    Report { member: &'a str, month: String },
}

impl<'a> From<&'a DocId> for DocIdView<'a> {
    fn from(id: &'a DocId) -> Self {
        match id {
            DocId::Household(h) => DocIdView::Household {
                household: h.as_str(),
            },
            DocId::Cell(c) => DocIdView::Cell { cell: c.as_str() },
            DocId::Report(member, month) => DocIdView::Report {
                member: member.as_str(),
                month: month.iso(),
            },
        }
    }
}

#[wasm_bindgen(typescript_custom_section)]
const CONFLICT_TS: &str = r#"
/** One value of a field that two phones set differently. */
export interface ConflictValue {
  /** The value as text, as `settle` takes it back. */
  value: string;
  /** The Automerge actor (hex) that wrote it, which names the phone. */
  actor: string;
}

/** A field with more than one current value (xung đột): the winner, which views show, first. */
export interface Conflict {
  /** Map keys from the document's root, such as ["profile", "head"]. */
  path: string[];
  values: ConflictValue[];
}
"#;

#[wasm_bindgen(typescript_custom_section)]
const DOC_CONFLICTS_TS: &str = r#"
/** A document with fields in conflict. */
export interface DocConflicts {
  docId: string;
  conflicts: Conflict[];
}
"#;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DocConflictsView<'a> {
    doc_id: String,
    conflicts: Vec<ConflictView<'a>>,
}

impl<'a> DocConflictsView<'a> {
    pub(crate) fn new(doc: &DocId, conflicts: &'a [Conflict]) -> Self {
        DocConflictsView {
            doc_id: doc.to_string(),
            conflicts: conflicts.iter().map(ConflictView::from).collect(),
        }
    }
}

#[derive(Serialize)]
pub(crate) struct ConflictView<'a> {
    path: &'a [String],
    values: Vec<ConflictValueView<'a>>,
}

impl<'a> From<&'a Conflict> for ConflictView<'a> {
    fn from(c: &'a Conflict) -> Self {
        ConflictView {
            path: &c.path,
            values: c.values.iter().map(ConflictValueView::from).collect(),
        }
    }
}

#[derive(Serialize)]
struct ConflictValueView<'a> {
    value: &'a str,
    actor: &'a str,
}

impl<'a> From<&'a ConflictValue> for ConflictValueView<'a> {
    fn from(v: &'a ConflictValue) -> Self {
        ConflictValueView {
            value: &v.value,
            actor: &v.actor,
        }
    }
}

#[wasm_bindgen(typescript_custom_section)]
const SYNC_TS: &str = r#"
/** What one sync round trip did. */
export interface SyncOutcome {
  /** Documents whose changes the server stored. */
  accepted: string[];
  /** Documents whose changes the server refused, and why; the changes stay on the phone. */
  refused: { doc: string; reason: string }[];
  /** Documents that received changes from others. */
  updated: string[];
  /** Another round trip is needed now: call `startSync()` again. */
  again: boolean;
  /** Documents removed from this phone because they left its scope (a household reassigned). */
  dropped: string[];
  /** The phone was revoked or its member disabled: it now holds nothing; erase its storage. */
  wiped: boolean;
  /**
   * Another phone had written under this phone's actor (its data was copied): the phone moved
   * to a new actor and made its unsent edits again under it; `again` is set to send them.
   */
  newActor: boolean;
}
"#;

#[derive(Serialize)]
pub(crate) struct SyncOutcomeView {
    accepted: Vec<String>,
    refused: Vec<RefusedView>,
    updated: Vec<String>,
    again: bool,
    dropped: Vec<String>,
    wiped: bool,
    #[serde(rename = "newActor")]
    new_actor: bool,
}

#[derive(Serialize)]
struct RefusedView {
    doc: String,
    reason: String,
}

impl From<&SyncOutcome> for SyncOutcomeView {
    fn from(o: &SyncOutcome) -> Self {
        SyncOutcomeView {
            accepted: o.accepted.iter().map(ToString::to_string).collect(),
            refused: o
                .refused
                .iter()
                .map(|(doc, reason)| RefusedView {
                    doc: doc.to_string(),
                    reason: reason.clone(),
                })
                .collect(),
            updated: o.updated.iter().map(ToString::to_string).collect(),
            dropped: o.dropped.iter().map(ToString::to_string).collect(),
            wiped: o.wiped,
            again: o.again,
            new_actor: o.new_actor,
        }
    }
}
