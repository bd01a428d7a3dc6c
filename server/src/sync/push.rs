//! The push side of a sync: each pushed document checked against the phone's holder, merged,
//! validated and encoded before the writer is taken, and the refusals kept for review.

use crate::AppState;
use crate::access::devices;
use crate::error::ApiError;
use crate::storage;
use crate::storage::projection;
use automerge::ActorId;
use automerge::Change;
use hosync_core::access::{Guarded, Principal};
use hosync_core::protocol::PushOutcome;
use hosync_core::sync::server::{ClaimCheck, check_claims};
use hosync_core::sync::{PushDecision, ResponseBuilder, apply_push, describe_changes};
use hosync_core::{Doc, DocId, MemberId, UnitId};
use sqlx::AnyConnection;
use std::collections::HashMap;

/// A push that passed, with everything the write transaction needs computed beforehand.
pub(super) struct Prepared {
    pub(super) id: DocId,
    pub(super) unit: UnitId,
    /// The stored row this was computed against: a different row at write time means another
    /// phone's push to the same document committed in between.
    pub(super) base: Option<storage::DocRow>,
    pub(super) changes: Vec<Change>,
    pub(super) write: storage::DocWrite,
    pub(super) rows: Box<projection::Rows>,
    /// Actors met for the first time in this push, bound to this phone once it is stored.
    pub(super) bind: Vec<ActorId>,
    /// Changes of the same push refused (made after the household left the member).
    pub(super) late: Option<storage::Refusal>,
}

/// Above this many documents named as held, the server counts what the phone's scope holds
/// before reading the list; no member's or secretary's phone comes near it.
pub(super) const HOLDING_CHECKED_ABOVE: usize = 1_000;

/// How many documents a phone may hold beyond what its scope holds now: those that left its
/// scope lately (a reassignment, a transfer) and those it made and has not sent.
pub(super) const HELD_BEYOND_SCOPE: usize = 10_000;

/// How many bytes of changes a revoked phone's request may leave for review.
pub(super) const MAX_REVOKED_BYTES: usize = 256 * 1024;

/// Why a push names nothing this phone may write; the same words whether the document is
/// unknown or outside the phone's scope, so an answer tells nothing of other units.
pub(super) fn unseen(id: &str) -> String {
    format!("document {id}: there is no such document within this phone's scope")
}

/// Queues a refusal to be kept for the cell's secretary, while this phone has fewer than
/// `max_refusals_per_device` waiting; returns the reason to answer, which says when it was not
/// kept. `left` counts down what the phone may still leave, read on first use.
pub(super) async fn keep_for_review(
    conn: &mut AnyConnection,
    state: &AppState,
    auth: &devices::DeviceAuth,
    left: &mut Option<i64>,
    refusal: storage::Refusal,
    refusals: &mut Vec<storage::Refusal>,
) -> Result<String, ApiError> {
    let most = state.settings.max_refusals_per_device;
    let left = match left {
        Some(left) => left,
        None => left.insert(most - storage::refusals_of(conn, auth.device.as_str()).await?),
    };
    if *left <= 0 {
        return Ok(format!(
            "{}; not kept for review: this phone has {most} refused edits waiting already, and keeps this one itself",
            refusal.reason
        ));
    }
    *left -= 1;
    let reason = refusal.reason.clone();
    refusals.push(refusal);
    Ok(reason)
}

/// The outcome of a push that stored its changes: accepted, unless part of it was refused.
pub(super) fn finish_push(
    answer: &mut ResponseBuilder,
    id: &DocId,
    late: Option<storage::Refusal>,
    refusals: &mut Vec<storage::Refusal>,
) {
    match late {
        Some(late) => {
            answer.result(
                id,
                PushOutcome::Rejected {
                    reason: late.reason.clone(),
                },
            );
            refusals.push(late);
        }
        None => answer.result(id, PushOutcome::Accepted),
    }
}

/// What refused changes would have done, for the secretary's list.
pub(super) fn describe(
    stored: Option<&Doc>,
    id: &DocId,
    actor: &ActorId,
    kept: &[Change],
    changes: &[Change],
) -> String {
    match stored {
        Some(doc) => describe_changes(doc, kept, changes),
        None => describe_changes(&Doc::empty(id.clone(), actor.clone()), kept, changes),
    }
}

/// What to do with one push.
pub(super) enum Decided {
    /// Store these changes and rows, and bind these actors (met for the first time) to the
    /// phone.
    Store(storage::DocWrite, Box<projection::Rows>, Vec<ActorId>),
    /// Nothing new: the server already holds it all; these are its heads.
    Unchanged(Vec<automerge::ChangeHash>),
    Refused(String),
    NeedHistory,
    /// The push clashes with another phone's changes under the same actor.
    ActorReused(ActorId),
}

/// Applies a push to the stored document, checks what it changed against the role of the
/// phone's holder and what it says about who did it against who made each change (`authors`:
/// the actors the server knows, `author`: the member id the delivering phone writes under),
/// and encodes what storing it writes. This is CPU work done right here: the server admits only
/// a few syncs at a time (see `AppState::sync_gate`), so it keeps the runtime's few threads busy
/// without starving them, and handing it to extra threads only grew memory.
#[allow(clippy::too_many_arguments)]
pub(super) fn decide(
    actor: &ActorId,
    id: DocId,
    stored: Option<Doc>,
    base: Option<&storage::DocRow>,
    changes: &[Change],
    principal: &Principal,
    author: &MemberId,
    authors: &HashMap<ActorId, Option<MemberId>>,
) -> Decided {
    let mut doc = stored.unwrap_or_else(|| Doc::empty(id, actor.clone()));
    let before = Guarded::of(&doc);
    match apply_push(&mut doc, changes) {
        PushDecision::Accepted {
            new_changes,
            view: Some(view),
        } => {
            if let Err(denied) = principal.may_change(&before, &Guarded::of(&doc)) {
                return Decided::Refused(format!("document {}: {denied}", doc.id()));
            }
            let claims = doc.claims(&new_changes);
            let bind = match check_claims(&claims, &new_changes, author, |a| {
                authors.get(a).cloned().flatten()
            }) {
                ClaimCheck::Sound { bind } => bind,
                ClaimCheck::Forged(reason) => {
                    return Decided::Refused(format!("document {}: {reason}", doc.id()));
                }
                ClaimCheck::ActorTaken(actor) => return Decided::ActorReused(actor),
            };
            let write = storage::DocWrite::push(&doc, &new_changes, base);
            Decided::Store(
                write,
                Box::new(projection::Rows::from_view(&doc, view)),
                bind,
            )
        }
        PushDecision::Accepted { view: None, .. } => Decided::Unchanged(doc.heads()),
        PushDecision::Rejected { reason } => Decided::Refused(reason),
        PushDecision::NeedHistory => Decided::NeedHistory,
        PushDecision::ActorReused { actor } => Decided::ActorReused(actor),
    }
}
