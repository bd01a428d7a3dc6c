//! The push side of a sync: the server reads what core needs to decide each pushed document
//! (where it sits, when a household left the member, the stored copy, who the push's actors
//! write for), asks core ([`plan_push`]), and keeps what core decided until the write
//! transaction stores it. Every rule is core's; here are only reads and writes.

use std::collections::HashMap;

use automerge::{ActorId, Change};
use hosync_core::docs::is_genesis;
use hosync_core::protocol::{PushOutcome, SyncRequest};
use hosync_core::sync::server::actor_reused;
use hosync_core::sync::server::{not_a_cell, unseen};
use hosync_core::sync::{
    Left, PushAccess, PushContext, PushPlan, Refused, ResponseBuilder, describe_changes,
    parse_changes, plan_push, push_access,
};
use hosync_core::{Doc, DocId, MemberId, UnitId};
use sqlx::AnyConnection;

use crate::AppState;
use crate::access::devices::{self, DeviceAuth};
use crate::error::{ApiError, current_lang};
use crate::storage::{self, projection};
use hosync_core::messages::Message;

/// A push that passed, with everything the write transaction needs computed beforehand.
pub(super) struct Prepared {
    id: DocId,
    /// A household added on the phone: the server's tree learns it in the same transaction.
    created: bool,
    unit: UnitId,
    /// The stored row this was computed against: a different row at write time means another
    /// phone's push to the same document committed in between.
    base: Option<storage::DocRow>,
    /// The changes the server lacked, decided again on the current document if it moved.
    changes: Vec<Change>,
    write: storage::DocWrite,
    rows: Box<projection::Rows>,
    /// Actors met for the first time in this push, bound to this phone once it is stored.
    bind: Vec<ActorId>,
    /// Changes of the same push refused (made after the household left the member), kept
    /// for review once the rest is stored.
    late: Option<Answered>,
}

/// A refusal as the phone is answered, and as it is kept for review when it is.
struct Answered {
    reason: String,
    kept: Option<storage::Refusal>,
}

/// What the pushes of one request came to before the writer is taken.
pub(super) struct Decided {
    prepared: Vec<Prepared>,
    /// Refused edits kept for the cell's secretary, stored with the rest.
    refusals: Vec<storage::Refusal>,
    /// Who each actor met in the request writes for, for deciding again under the writer.
    authors: HashMap<ActorId, Option<MemberId>>,
}

/// Decides every push of a request, side by side with other requests: the CPU-heavy part
/// (loading, merging, validating, encoding) without the writer. The server admits only a few
/// syncs at a time (see `AppState::sync_gate`), so this keeps the runtime's threads busy without
/// starving them; handing it to extra threads only grew memory.
pub(super) async fn decide(
    state: &AppState,
    conn: &mut AnyConnection,
    auth: &DeviceAuth,
    request: &SyncRequest,
    answer: &mut ResponseBuilder,
) -> Result<Decided, ApiError> {
    let principal = &auth.info.principal;
    // Refusals are worded in the language the phone asked for.
    let lang = current_lang();
    let mut review = Review::new(state, auth);
    let mut decided = Decided {
        prepared: Vec::new(),
        refusals: Vec::new(),
        authors: HashMap::new(),
    };
    for push in &request.pushes {
        let id = match DocId::parse(&push.doc) {
            Ok(id) => id,
            Err(e) => {
                answer.result_raw(
                    &push.doc,
                    PushOutcome::Rejected {
                        reason: Message::Id(e).render(lang),
                    },
                );
                continue;
            }
        };
        // Read once: the hashes tell what not to send back, the changes are what is applied.
        let parsed = parse_changes(&push.changes);
        for change in parsed.iter().flatten() {
            answer.pushed(change.hash());
        }
        let place = storage::doc_place(&mut *conn, &id).await?;
        let access = push_access(principal, &id, place.as_ref().map(|(_, p)| p), lang);
        let unit = match (&access, place) {
            (PushAccess::Refused(reason), _) => {
                answer.result(
                    &id,
                    PushOutcome::Rejected {
                        reason: reason.clone(),
                    },
                );
                continue;
            }
            (PushAccess::Create, None) => match creatable_in(&mut *conn, auth).await? {
                Some(cell) => cell,
                None => {
                    answer.result(
                        &id,
                        PushOutcome::Rejected {
                            reason: not_a_cell(&id, lang),
                        },
                    );
                    continue;
                }
            },
            (_, Some((unit, _))) => unit,
            // Core refuses a push to a document of no place unless it is a new household.
            (_, None) => {
                answer.result(
                    &id,
                    PushOutcome::Rejected {
                        reason: unseen(&id, lang),
                    },
                );
                continue;
            }
        };
        let changes = match parsed {
            Ok(changes) => changes,
            Err(reason) => {
                answer.result(&id, PushOutcome::Rejected { reason });
                continue;
            }
        };
        let left_at = match (&access, &id, &principal.member) {
            (
                PushAccess::UntilLeft {
                    left: Left::Member, ..
                },
                DocId::Household(h),
                Some(member),
            ) => storage::left_member_at(&mut *conn, h, member).await?,
            (
                PushAccess::UntilLeft {
                    left: Left::Scope, ..
                },
                DocId::Household(h),
                _,
            ) => storage::left_scope_at(&mut *conn, h, &principal.scope).await?,
            _ => None,
        };
        learn_authors(&mut *conn, &changes, &mut decided.authors).await?;
        let (stored, base) = storage::load_doc_with_row(&mut *conn, &id, &state.actor)
            .await?
            .unzip();
        let author_of = |a: &ActorId| decided.authors.get(a).cloned().flatten();
        let ctx = PushContext {
            principal,
            access: &access,
            left_at,
            author_of: &author_of,
            lang,
        };
        match plan_push(&ctx, &id, stored, changes, &state.actor) {
            PushPlan::Store {
                doc,
                view,
                new_changes,
                bind,
                late,
            } => {
                let late = match late {
                    Some(late) => Some(review.answer(&mut *conn, &id, &unit, late).await?),
                    None => None,
                };
                decided.prepared.push(Prepared {
                    created: access == PushAccess::Create,
                    write: storage::DocWrite::push(&doc, &new_changes, base.as_ref()),
                    rows: Box::new(projection::Rows::from_view(&doc, *view)),
                    id,
                    unit,
                    base,
                    changes: new_changes,
                    bind,
                    late,
                });
            }
            PushPlan::Unchanged { heads, late } => {
                answer.heads(&id, &heads);
                let late = match late {
                    Some(late) => Some(review.answer(&mut *conn, &id, &unit, late).await?),
                    None => None,
                };
                finish_push(answer, &id, late, &mut decided.refusals);
            }
            PushPlan::Refused(refused) => {
                let refused = review.answer(&mut *conn, &id, &unit, refused).await?;
                answer.result(
                    &id,
                    PushOutcome::Rejected {
                        reason: refused.reason,
                    },
                );
                decided.refusals.extend(refused.kept);
            }
            PushPlan::NeedHistory => answer.result(&id, PushOutcome::NeedHistory),
            PushPlan::ActorReused(actor) => answer.result(&id, actor_reused(&actor, lang)),
        }
    }
    Ok(decided)
}

/// The cell a household added on this phone joins: the holder's scope, when it is a cell.
async fn creatable_in(
    conn: &mut AnyConnection,
    auth: &DeviceAuth,
) -> Result<Option<UnitId>, ApiError> {
    let unit = storage::unit(conn, auth.info.scope_unit.as_str()).await?;
    Ok(unit.filter(|u| u.kind.holds_members()).map(|u| u.id))
}

/// Reads who the actors of `changes` write for, those not read yet in this request.
async fn learn_authors(
    conn: &mut AnyConnection,
    changes: &[Change],
    authors: &mut HashMap<ActorId, Option<MemberId>>,
) -> Result<(), ApiError> {
    let mut unknown: Vec<ActorId> = changes
        .iter()
        .map(|c| c.actor_id().clone())
        .filter(|a| !authors.contains_key(a) && !is_genesis(a))
        .collect();
    unknown.sort();
    unknown.dedup();
    if unknown.is_empty() {
        return Ok(());
    }
    let found = devices::actor_authors(conn, &unknown).await?;
    for actor in unknown {
        let author = found.get(&actor).cloned();
        authors.insert(actor, author);
    }
    Ok(())
}

/// Stores what was decided, under the writer: a push whose document another push changed since
/// it was read is decided again on the current document; actors met first are bound to the
/// phone; refused edits are kept.
pub(super) async fn store(
    state: &AppState,
    tx: &mut AnyConnection,
    auth: &DeviceAuth,
    decided: Decided,
    answer: &mut ResponseBuilder,
    now: i64,
) -> Result<(), ApiError> {
    let Decided {
        mut prepared,
        mut refusals,
        authors,
    } = decided;
    let author_of = |a: &ActorId| authors.get(a).cloned().flatten();
    // Households added on the phone join the tree first, so that the cell's document pushed
    // beside them projects its assignments of them.
    prepared.sort_by_key(|p| !p.created);
    let mut joined_cells = std::collections::BTreeSet::new();
    for mut p in prepared {
        let current = storage::doc_row(&mut *tx, &p.id).await?;
        if current != p.base {
            // Rare, so simplicity wins: the access was decided already; only the merge and its
            // checks are made again.
            let stored = storage::load_doc(&mut *tx, &p.id, &state.actor).await?;
            let ctx = PushContext {
                principal: &auth.info.principal,
                access: &PushAccess::Write,
                left_at: None,
                author_of: &author_of,
                lang: current_lang(),
            };
            match plan_push(&ctx, &p.id, stored, p.changes, &state.actor) {
                PushPlan::Store {
                    doc,
                    view,
                    new_changes,
                    bind,
                    ..
                } => {
                    p.write = storage::DocWrite::push(&doc, &new_changes, current.as_ref());
                    p.rows = Box::new(projection::Rows::from_view(&doc, *view));
                    p.bind = bind;
                    p.base = current;
                    p.changes = new_changes;
                }
                PushPlan::Unchanged { heads, .. } => {
                    answer.heads(&p.id, &heads);
                    finish_push(answer, &p.id, p.late, &mut refusals);
                    continue;
                }
                PushPlan::Refused(refused) => {
                    answer.result(
                        &p.id,
                        PushOutcome::Rejected {
                            reason: refused.reason,
                        },
                    );
                    continue;
                }
                PushPlan::NeedHistory => {
                    answer.result(&p.id, PushOutcome::NeedHistory);
                    continue;
                }
                PushPlan::ActorReused(actor) => {
                    answer.result(&p.id, actor_reused(&actor, current_lang()));
                    continue;
                }
            }
        }
        if p.created
            && p.base.is_none()
            && let DocId::Household(household) = &p.id
        {
            storage::insert_household(&mut *tx, household, &p.unit).await?;
            joined_cells.insert(p.unit.clone());
        }
        storage::write_doc(
            &mut *tx,
            &p.id,
            &p.unit,
            &p.write,
            p.base.as_ref(),
            auth.device.as_str(),
            now,
        )
        .await?;
        p.rows.write(&mut *tx, &p.unit, now).await?;
        for actor in &p.bind {
            devices::bind_actor(&mut *tx, actor, &auth.device, now).await?;
        }
        answer.heads(&p.id, &p.write.heads);
        finish_push(answer, &p.id, p.late, &mut refusals);
    }
    // A cell's document stored before its new household (in an earlier push) assigned it
    // before the tree knew it: projected again, its assignment of it counts now.
    for cell in joined_cells {
        projection::project_again(&mut *tx, &DocId::Cell(cell), now).await?;
    }
    for refusal in &refusals {
        storage::record_refusal(&mut *tx, refusal, now).await?;
    }
    Ok(())
}

/// The outcome of a push that stored its changes: accepted, unless part of it was refused.
fn finish_push(
    answer: &mut ResponseBuilder,
    id: &DocId,
    late: Option<Answered>,
    refusals: &mut Vec<storage::Refusal>,
) {
    match late {
        Some(late) => {
            answer.result(
                id,
                PushOutcome::Rejected {
                    reason: late.reason,
                },
            );
            refusals.extend(late.kept);
        }
        None => answer.result(id, PushOutcome::Accepted),
    }
}

/// What a phone may still leave for review in this request: at most
/// `max_refusals_per_device` refused edits wait per phone, counted on first use.
struct Review<'a> {
    state: &'a AppState,
    auth: &'a DeviceAuth,
    left: Option<i64>,
}

impl<'a> Review<'a> {
    fn new(state: &'a AppState, auth: &'a DeviceAuth) -> Self {
        Review {
            state,
            auth,
            left: None,
        }
    }

    /// The answer to refused changes, and the refusal kept for review when core says it is
    /// for review and the phone has room left; otherwise the reason says it was not kept (the
    /// phone keeps the edit itself, so nothing is lost).
    async fn answer(
        &mut self,
        conn: &mut AnyConnection,
        id: &DocId,
        unit: &UnitId,
        refused: Refused,
    ) -> Result<Answered, ApiError> {
        if !refused.keep {
            return Ok(Answered {
                reason: refused.reason,
                kept: None,
            });
        }
        let most = self.state.settings.max_refusals_per_device;
        let left = match self.left {
            Some(left) => left,
            None => most - storage::refusals_of(&mut *conn, self.auth.device.as_str()).await?,
        };
        self.left = Some(left - 1);
        if left <= 0 {
            return Ok(Answered {
                reason: Message::NotKeptForReview {
                    reason: refused.reason,
                    most,
                }
                .render(current_lang()),
                kept: None,
            });
        }
        let summary = match refused.summary {
            Some(summary) => summary,
            // Trying the changes consumed the stored copy: it is read again, which is rarer
            // than keeping a copy of every pushed document would be costly.
            None => {
                let stored = storage::load_doc(&mut *conn, id, &self.state.actor).await?;
                let empty = Doc::empty(id.clone(), self.state.actor.clone());
                describe_changes(stored.as_ref().unwrap_or(&empty), &[], &refused.changes)
            }
        };
        Ok(Answered {
            reason: refused.reason.clone(),
            kept: Some(storage::Refusal {
                doc: id.clone(),
                unit: unit.clone(),
                holder: self.auth.info.author.clone(),
                device: self.auth.device.clone(),
                summary,
                changes: refused
                    .changes
                    .iter()
                    .map(|c| c.raw_bytes().to_vec())
                    .collect(),
                reason: refused.reason,
            }),
        })
    }
}
