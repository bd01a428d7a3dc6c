//! A household's history, read from its Automerge changes: what each change did, in the words
//! staff use. Changes are replayed one at a time in causal order and each state is compared
//! with the one before, so the history says what the change meant ("raised a flag"), not which
//! keys it wrote.

use automerge::Automerge;

use super::household::{Household, validate};
use super::{Doc, DocError};
use crate::Timestamp;
use crate::date::Day;
use crate::domain::{ClosedReason, FlagStatus};
use crate::ids::{DocKind, FlagId, MemberId, NoteId};
use crate::lang::{Label, Lang};

/// One change to a household.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// The Automerge change hash, hex: how the server finds which device sent it.
    pub change: String,
    /// The Automerge actor that made it, hex.
    pub actor: String,
    /// When its maker's clock said it was made (advisory: a phone's clock may be wrong).
    pub at: Timestamp,
    pub events: Vec<HistoryEvent>,
}

/// What a change did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryEvent {
    Profile {
        field: Label,
        value: String,
    },
    TagAdded {
        tag: String,
    },
    NoteAdded {
        note: NoteId,
        date: Day,
        author: MemberId,
        text: String,
    },
    NoteEdited {
        note: NoteId,
        date: Day,
        text: String,
    },
    NoteRedated {
        note: NoteId,
        from: Day,
        to: Day,
    },
    NoteDeleted {
        note: NoteId,
        date: Day,
    },
    NoteRestored {
        note: NoteId,
        date: Day,
    },
    FlagRaised {
        flag: FlagId,
        by: MemberId,
        text: String,
    },
    FlagEdited {
        flag: FlagId,
        text: String,
    },
    FlagStatus {
        flag: FlagId,
        status: FlagStatus,
        by: MemberId,
    },
    Closed {
        reason: ClosedReason,
        detail: String,
        by: MemberId,
    },
    Reopened,
}

/// Texts in the history are cut to this many characters; the household page shows them whole.
const EXCERPT_CHARS: usize = 120;

fn excerpt(text: &str) -> String {
    let mut chars = text.chars();
    let mut cut: String = chars.by_ref().take(EXCERPT_CHARS).collect();
    if chars.next().is_some() {
        cut.push('…');
    }
    cut
}

impl HistoryEvent {
    /// The member the document itself names as doing it, where it names one.
    pub fn member(&self) -> Option<&MemberId> {
        match self {
            HistoryEvent::NoteAdded { author, .. } => Some(author),
            HistoryEvent::FlagRaised { by, .. }
            | HistoryEvent::FlagStatus { by, .. }
            | HistoryEvent::Closed { by, .. } => Some(by),
            _ => None,
        }
    }

    /// One line in `lang`, as the history shows it.
    pub fn describe(&self, lang: Lang) -> String {
        let vi = lang == Lang::Vi;
        let day = |d: &Day| if vi { d.vi() } else { d.iso() };
        let pick = |vi_text: String, en_text: String| if vi { vi_text } else { en_text };
        match self {
            HistoryEvent::Profile { field, value } => pick(
                format!("Sửa {}: {value}", field.vi),
                format!("Changed {}: {value}", field.en),
            ),
            HistoryEvent::TagAdded { tag } => {
                pick(format!("Thêm nhãn: {tag}"), format!("Tag added: {tag}"))
            }
            HistoryEvent::NoteAdded { date, text, .. } => pick(
                format!("Ghi chép thăm hộ ngày {}: {}", day(date), excerpt(text)),
                format!("Visit note of {}: {}", day(date), excerpt(text)),
            ),
            HistoryEvent::NoteEdited { date, text, .. } => pick(
                format!("Sửa ghi chép ngày {}: {}", day(date), excerpt(text)),
                format!("Note of {} changed: {}", day(date), excerpt(text)),
            ),
            HistoryEvent::NoteRedated { from, to, .. } => pick(
                format!("Đổi ngày ghi chép từ {} sang {}", day(from), day(to)),
                format!("Note moved from {} to {}", day(from), day(to)),
            ),
            HistoryEvent::NoteDeleted { date, .. } => pick(
                format!("Xóa ghi chép ngày {}", day(date)),
                format!("Note of {} deleted", day(date)),
            ),
            HistoryEvent::NoteRestored { date, .. } => pick(
                format!("Khôi phục ghi chép ngày {}", day(date)),
                format!("Note of {} restored", day(date)),
            ),
            HistoryEvent::FlagRaised { text, .. } => pick(
                format!("Nêu kiến nghị: {}", excerpt(text)),
                format!("Flag raised: {}", excerpt(text)),
            ),
            HistoryEvent::FlagEdited { text, .. } => pick(
                format!("Sửa kiến nghị: {}", excerpt(text)),
                format!("Flag changed: {}", excerpt(text)),
            ),
            HistoryEvent::FlagStatus { status, .. } => pick(
                format!("Kiến nghị chuyển sang: {}", status.label_vi()),
                format!("Flag now: {}", status.label(lang)),
            ),
            HistoryEvent::Closed { reason, detail, .. } if detail.is_empty() => pick(
                format!("Đóng hồ sơ hộ: {}", reason.label_vi()),
                format!("Household closed: {}", reason.label(lang)),
            ),
            HistoryEvent::Closed { reason, detail, .. } => pick(
                format!("Đóng hồ sơ hộ: {} ({})", reason.label_vi(), excerpt(detail)),
                format!(
                    "Household closed: {} ({})",
                    reason.label(lang),
                    excerpt(detail)
                ),
            ),
            HistoryEvent::Reopened => pick("Mở lại hồ sơ hộ".into(), "Household reopened".into()),
        }
    }
}

/// Every change to a household that did something a person would see, oldest first.
pub fn household_history(doc: &Doc) -> Result<Vec<HistoryEntry>, DocError> {
    doc.expect_kind(DocKind::Household)?;
    let mut replay = Automerge::new();
    let mut before: Option<Household> = None;
    let mut entries = Vec::new();
    // Causal order, so each change applies at once; replaying keeps the whole walk linear in
    // the number of changes (forking at each change's heads would be quadratic).
    for change in doc.automerge().get_changes(&[]) {
        let (hash, actor, at) = (
            change.hash().to_string(),
            change.actor_id().to_hex_string(),
            change.timestamp(),
        );
        replay
            .apply_changes([change])
            .map_err(|e| DocError::Corrupt(e.to_string()))?;
        let state = Doc {
            id: doc.id().clone(),
            am: replay,
        };
        // A state part-way through another replica's edits may not yet read as a household;
        // its events show once it does.
        let after = validate(&state).ok();
        replay = state.am;
        let Some(after) = after else { continue };
        let events = match &before {
            Some(before) => changes_between(before, &after),
            None => changes_between(&blank(&after), &after),
        };
        before = Some(after);
        if !events.is_empty() {
            entries.push(HistoryEntry {
                change: hash,
                actor,
                at,
                events,
            });
        }
    }
    Ok(entries)
}

/// The household before anything was written into it.
fn blank(like: &Household) -> Household {
    Household {
        id: like.id.clone(),
        head: String::new(),
        village: String::new(),
        people: 0,
        livelihood: String::new(),
        tags: Vec::new(),
        closed: None,
        notes: Vec::new(),
        flags: Vec::new(),
    }
}

fn changes_between(before: &Household, after: &Household) -> Vec<HistoryEvent> {
    let mut events = Vec::new();
    let mut profile = |vi, en, old: String, new: String| {
        if old != new {
            let field = Label { vi, en };
            events.push(HistoryEvent::Profile { field, value: new });
        }
    };
    profile(
        "chủ hộ",
        "head of household",
        before.head.clone(),
        after.head.clone(),
    );
    profile(
        "thôn, bản",
        "village",
        before.village.clone(),
        after.village.clone(),
    );
    profile(
        "nhân khẩu",
        "people",
        before.people.to_string(),
        after.people.to_string(),
    );
    profile(
        "sinh kế",
        "livelihood",
        before.livelihood.clone(),
        after.livelihood.clone(),
    );
    for tag in &after.tags {
        if !before.tags.contains(tag) {
            events.push(HistoryEvent::TagAdded { tag: tag.clone() });
        }
    }
    match (&before.closed, &after.closed) {
        (old, Some(c)) if old.as_ref() != Some(c) => events.push(HistoryEvent::Closed {
            reason: c.reason,
            detail: c.detail.clone(),
            by: c.by.clone(),
        }),
        (Some(_), None) => events.push(HistoryEvent::Reopened),
        _ => {}
    }
    for note in &after.notes {
        let Some(old) = before.notes.iter().find(|n| n.id == note.id) else {
            events.push(HistoryEvent::NoteAdded {
                note: note.id.clone(),
                date: note.date,
                author: note.author.clone(),
                text: note.text.clone(),
            });
            if note.deleted {
                events.push(HistoryEvent::NoteDeleted {
                    note: note.id.clone(),
                    date: note.date,
                });
            }
            continue;
        };
        if old.date != note.date {
            events.push(HistoryEvent::NoteRedated {
                note: note.id.clone(),
                from: old.date,
                to: note.date,
            });
        }
        if old.text != note.text {
            events.push(HistoryEvent::NoteEdited {
                note: note.id.clone(),
                date: note.date,
                text: note.text.clone(),
            });
        }
        match (old.deleted, note.deleted) {
            (false, true) => events.push(HistoryEvent::NoteDeleted {
                note: note.id.clone(),
                date: note.date,
            }),
            (true, false) => events.push(HistoryEvent::NoteRestored {
                note: note.id.clone(),
                date: note.date,
            }),
            _ => {}
        }
    }
    for flag in &after.flags {
        let Some(old) = before.flags.iter().find(|f| f.id == flag.id) else {
            events.push(HistoryEvent::FlagRaised {
                flag: flag.id.clone(),
                by: flag.raised_by.clone(),
                text: flag.text.clone(),
            });
            if flag.status != FlagStatus::Open {
                events.push(HistoryEvent::FlagStatus {
                    flag: flag.id.clone(),
                    status: flag.status,
                    by: flag.status_by.clone(),
                });
            }
            continue;
        };
        if old.text != flag.text {
            events.push(HistoryEvent::FlagEdited {
                flag: flag.id.clone(),
                text: flag.text.clone(),
            });
        }
        if old.status != flag.status {
            events.push(HistoryEvent::FlagStatus {
                flag: flag.id.clone(),
                status: flag.status,
                by: flag.status_by.clone(),
            });
        }
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docs::household::{self, ProfileUpdate};
    use crate::docs::random_actor;
    use crate::ids::{DocId, HouseholdId};

    fn day(s: &str) -> Day {
        Day::parse(s).expect("valid day")
    }

    #[test]
    fn history_tells_each_edit_with_its_time_and_maker() {
        let id = HouseholdId::parse("hsp-x01-c01-h001").expect("valid id");
        let mut doc = Doc::create(DocId::Household(id), random_actor());
        let member = MemberId::parse("hsp-x01-c01-m02").expect("valid id");
        household::update_profile(
            &mut doc,
            &ProfileUpdate {
                head: Some("Giàng Seo Pủa".into()),
                village: Some("Thôn Nậm Ty".into()),
                people: Some(5),
                livelihood: None,
            },
            1_000,
        )
        .expect("profile");
        let note = household::add_note(
            &mut doc,
            &member,
            day("2026-11-03"),
            "Gia đình khỏe, lo mùa vụ.",
            &[],
            2_000,
        )
        .expect("note");
        let flag = household::raise_flag(
            &mut doc,
            Some(&note),
            &member,
            day("2026-11-03"),
            "Cần hỗ trợ giống lúa",
            3_000,
        )
        .expect("flag");
        household::set_flag_status(
            &mut doc,
            &flag,
            FlagStatus::Escalated,
            &member,
            day("2026-11-05"),
            4_000,
        )
        .expect("escalate");
        household::edit_note(
            &mut doc,
            &note,
            "Gia đình khỏe, lo mùa vụ và học phí.",
            5_000,
        )
        .expect("edit");

        let history = household_history(&doc).expect("history");
        let lines: Vec<(i64, Vec<String>)> = history
            .iter()
            .map(|e| {
                (
                    e.at,
                    e.events.iter().map(|e| e.describe(Lang::Vi)).collect(),
                )
            })
            .collect();
        assert_eq!(
            lines,
            vec![
                (
                    1_000,
                    vec![
                        "Sửa chủ hộ: Giàng Seo Pủa".to_owned(),
                        "Sửa thôn, bản: Thôn Nậm Ty".to_owned(),
                        "Sửa nhân khẩu: 5".to_owned(),
                    ]
                ),
                (
                    2_000,
                    vec!["Ghi chép thăm hộ ngày 03/11/2026: Gia đình khỏe, lo mùa vụ.".to_owned()]
                ),
                (
                    3_000,
                    vec!["Nêu kiến nghị: Cần hỗ trợ giống lúa".to_owned()]
                ),
                (
                    4_000,
                    vec!["Kiến nghị chuyển sang: Đã báo cáo cấp trên".to_owned()]
                ),
                (
                    5_000,
                    vec![
                        "Sửa ghi chép ngày 03/11/2026: Gia đình khỏe, lo mùa vụ và học phí."
                            .to_owned()
                    ]
                ),
            ]
        );
        assert_eq!(history[1].events[0].member(), Some(&member));
        assert_eq!(
            history[0].actor,
            doc.automerge().get_actor().to_hex_string()
        );
    }

    #[test]
    fn merged_edits_from_two_phones_each_keep_their_maker() {
        let id = HouseholdId::parse("hsp-x01-c01-h002").expect("valid id");
        let mut first = Doc::create(DocId::Household(id.clone()), random_actor());
        let mut second = first.clone();
        second.automerge_mut().set_actor(random_actor());
        let a = MemberId::parse("hsp-x01-c01-m02").expect("valid id");
        let b = MemberId::parse("hsp-x01-c01-m03").expect("valid id");
        household::add_note(&mut first, &a, day("2026-11-02"), "Một", &[], 10).expect("note");
        household::add_note(&mut second, &b, day("2026-11-04"), "Hai", &[], 20).expect("note");
        first
            .automerge_mut()
            .merge(second.automerge_mut())
            .expect("merge");
        let history = household_history(&first).expect("history");
        let makers: Vec<(String, Option<&MemberId>)> = history
            .iter()
            .map(|e| (e.actor.clone(), e.events[0].member()))
            .collect();
        assert_eq!(makers.len(), 2);
        assert!(makers.contains(&(first.automerge().get_actor().to_hex_string(), Some(&a))));
        assert!(makers.contains(&(second.automerge().get_actor().to_hex_string(), Some(&b))));
    }
}
