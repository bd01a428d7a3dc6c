//! `POST /api/v1/sync`: one round trip of the sync protocol. Pushes are merged and checked
//! first, side by side with other requests; then one short write transaction stores them and
//! reads what the phone lacks, and the answer is sent only after it commits, so whatever a phone
//! sees acknowledged is durable.

use std::collections::{BTreeSet, HashMap};

use automerge::ActorId;
use automerge::Change;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use hosync_core::access::ReadFilter;
use hosync_core::access::{Denied, Guarded, Principal};
use hosync_core::protocol::{self, Cursor, PushOutcome, SyncRequest};
use hosync_core::sync::server::{ClaimCheck, actor_reused, check_claims};
use hosync_core::sync::{
    PushDecision, ResponseBuilder, apply_push, describe_changes, parse_changes, split_at_time,
};
use hosync_core::{Doc, DocId, MemberId, UnitId};
use sqlx::AnyConnection;

use crate::error::ApiError;
use crate::{AppState, audit, devices, projection, store};

pub async fn sync(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let request = protocol::decode_request(&body)?;
    // Waiting here holds only the request's bytes; past the gate a sync holds documents.
    let _admitted = state
        .sync_gate
        .acquire()
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let answer = handle(&state, &request).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.hosync.sync"),
            // A phone syncs once in hours: holding its connection open after the answer only
            // costs the server memory, thousands of buffers of it at the end of a busy day.
            (header::CONNECTION, "close"),
        ],
        protocol::encode_response(&answer),
    ))
}

/// A push that passed, with everything the write transaction needs computed beforehand.
struct Prepared {
    id: DocId,
    unit: UnitId,
    /// The stored row this was computed against: a different row at write time means another
    /// phone's push to the same document committed in between.
    base: Option<store::DocRow>,
    changes: Vec<Change>,
    write: store::DocWrite,
    rows: Box<projection::Rows>,
    /// Actors met for the first time in this push, bound to this phone once it is stored.
    bind: Vec<ActorId>,
    /// Changes of the same push refused (made after the household left the member).
    late: Option<store::Refusal>,
}

/// Above this many documents named as held, the server counts what the phone's scope holds
/// before reading the list; no member's or secretary's phone comes near it.
const HOLDING_CHECKED_ABOVE: usize = 1_000;
/// How many documents a phone may hold beyond what its scope holds now: those that left its
/// scope lately (a reassignment, a transfer) and those it made and has not sent.
const HELD_BEYOND_SCOPE: usize = 10_000;
/// How many held documents outside the scope are looked up per sync to tell the phone to drop
/// them; a phone holding more drops the rest over its next syncs.
const DROPS_CHECKED_PER_SYNC: usize = 2_000;
/// How many bytes of changes a revoked phone's request may leave for review.
const MAX_REVOKED_BYTES: usize = 256 * 1024;

/// Why a push names nothing this phone may write; the same words whether the document is
/// unknown or outside the phone's scope, so an answer tells nothing of other units.
fn unseen(id: &str) -> String {
    format!("document {id}: there is no such document within this phone's scope")
}

async fn handle(
    state: &AppState,
    request: &SyncRequest,
) -> Result<protocol::SyncResponse, ApiError> {
    let now = state.now();
    if request.pushes.len() > protocol::MAX_PUSHES {
        return Err(ApiError::BadRequest(format!(
            "a sync pushes at most {} documents, not {}: send the rest in the next one",
            protocol::MAX_PUSHES,
            request.pushes.len()
        )));
    }
    let mut conn = state.db.reader.acquire().await?;
    let Some(auth) = devices::authenticate(&mut conn, &request.token).await? else {
        return Err(ApiError::Unauthorized(
            "this phone is not enrolled on this server: enrol it with a code from the cell's secretary"
                .into(),
        ));
    };
    if auth.must_wipe() {
        drop(conn);
        return wipe(state, &auth, request, now).await;
    }
    let principal = &auth.info.principal;
    let scope = store::ReadScope(principal.read_filter());
    if request.holding.len() > HOLDING_CHECKED_ABOVE {
        let most = store::readable_count(&mut conn, &scope).await? as usize + HELD_BEYOND_SCOPE;
        if request.holding.len() > most {
            return Err(ApiError::BadRequest(format!(
                "this request names {} documents as held; a phone of this scope holds at most {most}",
                request.holding.len()
            )));
        }
    }
    let holder = auth.holder.to_string();
    let mut refusals_left = None;

    // First, without the writer: decide each push and encode what it will store. This is the
    // CPU-heavy part (loading, merging, validating), so many requests do it side by side.
    let mut answer = ResponseBuilder::new();
    let mut prepared = Vec::new();
    let mut refusals = Vec::new();
    let mut authors = HashMap::new();
    for push in &request.pushes {
        let id = match DocId::parse(&push.doc) {
            Ok(id) => id,
            Err(e) => {
                answer.result_raw(
                    &push.doc,
                    PushOutcome::Rejected {
                        reason: e.to_string(),
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
        let Some((unit, place)) = store::doc_place(&mut conn, &id).await? else {
            answer.result(
                &id,
                PushOutcome::Rejected {
                    reason: unseen(&push.doc),
                },
            );
            continue;
        };
        let changes = match parsed {
            Ok(changes) => changes,
            Err(reason) => {
                answer.result(&id, PushOutcome::Rejected { reason });
                continue;
            }
        };
        // A push to a document this phone never had the right to write is refused without
        // a trace in anyone's review list; only what its holder wrote while it was theirs, or
        // a change to a document they may write, is kept for review.
        let cutoff = match principal.may_write(&place) {
            Ok(()) => None,
            Err(Denied::OutOfScope) => {
                answer.result(
                    &id,
                    PushOutcome::Rejected {
                        reason: unseen(&push.doc),
                    },
                );
                continue;
            }
            Err(Denied::NotAllowed(why)) => {
                let cutoff = match (&id, &principal.member) {
                    (DocId::Household(h), Some(member)) => {
                        store::left_member_at(&mut conn, h, member).await?
                    }
                    _ => None,
                };
                match cutoff {
                    Some(cutoff) => Some((why, cutoff)),
                    None => {
                        answer.result(&id, PushOutcome::Rejected { reason: why });
                        continue;
                    }
                }
            }
        };
        let (stored, base) = store::load_doc_with_row(&mut conn, &id, &state.actor)
            .await?
            .unzip();
        let refuse = |reason: String, summary: String, changes: &[Change]| store::Refusal {
            doc: id.clone(),
            unit: unit.clone(),
            holder: holder.clone(),
            device: auth.device.to_string(),
            summary,
            changes: changes.iter().map(|c| c.raw_bytes().to_vec()).collect(),
            reason,
        };
        let (changes, late) = match cutoff {
            None => (changes, None),
            // A household taken off this member: what they wrote while it was theirs stands.
            Some((why, cutoff)) => {
                let (early, late) = split_at_time(changes, cutoff);
                let reason = format!(
                    "{why} since {}; what was written before then is kept",
                    hosync_core::Day::from_timestamp(cutoff).vi()
                );
                if early.is_empty() {
                    let summary = describe(stored.as_ref(), &id, &state.actor, &[], &late);
                    let refusal = refuse(reason, summary, &late);
                    let reason = keep_for_review(
                        &mut conn,
                        state,
                        &auth,
                        &mut refusals_left,
                        refusal,
                        &mut refusals,
                    )
                    .await?;
                    answer.result(&id, PushOutcome::Rejected { reason });
                    continue;
                }
                let late = (!late.is_empty()).then(|| {
                    let summary = describe(stored.as_ref(), &id, &state.actor, &early, &late);
                    refuse(reason, summary, &late)
                });
                (early, late)
            }
        };
        let mut unknown: Vec<ActorId> = changes
            .iter()
            .map(|c| c.actor_id().clone())
            .filter(|a| !authors.contains_key(a) && !hosync_core::docs::is_genesis(a))
            .collect();
        unknown.sort();
        unknown.dedup();
        let found = devices::actor_authors(&mut conn, &unknown).await?;
        for actor in unknown {
            let author = found.get(&actor).cloned();
            authors.insert(actor, author);
        }
        let author = &auth.info.author;
        match decide(
            &state.actor,
            id.clone(),
            stored,
            base.as_ref(),
            &changes,
            principal,
            author,
            &authors,
        ) {
            Decided::Store(write, rows, bind) => {
                prepared.push(Prepared {
                    id,
                    unit,
                    base,
                    changes,
                    write,
                    rows,
                    bind,
                    late,
                });
            }
            Decided::Unchanged(heads) => {
                answer.heads(&id, &heads);
                finish_push(&mut answer, &id, late, &mut refusals);
            }
            Decided::Refused(reason) => {
                // The document was consumed by the attempt; refusals are rare, so reading it
                // again here costs less than keeping a copy of every pushed document.
                let stored = store::load_doc(&mut conn, &id, &state.actor).await?;
                let summary = describe(stored.as_ref(), &id, &state.actor, &[], &changes);
                let refusal = refuse(reason, summary, &changes);
                let reason = keep_for_review(
                    &mut conn,
                    state,
                    &auth,
                    &mut refusals_left,
                    refusal,
                    &mut refusals,
                )
                .await?;
                answer.result(&id, PushOutcome::Rejected { reason });
            }
            Decided::NeedHistory => answer.result(&id, PushOutcome::NeedHistory),
            Decided::ActorReused(actor) => answer.result(&id, actor_reused(&actor)),
        }
    }

    // Then, with the writer: store what passed, read what the phone lacks, commit, answer.
    drop(conn);
    let mut tx = state.db.begin_write().await?;
    for mut p in prepared {
        let current = store::doc_row(&mut tx, &p.id).await?;
        if current != p.base {
            // Another push to this document committed since it was read: decide again on the
            // current state, under the writer this time. Rare, so simplicity wins.
            let stored = store::load_doc(&mut tx, &p.id, &state.actor).await?;
            match decide(
                &state.actor,
                p.id.clone(),
                stored,
                current.as_ref(),
                &p.changes,
                principal,
                &auth.info.author,
                &authors,
            ) {
                Decided::Store(write, rows, bind) => {
                    p.write = write;
                    p.rows = rows;
                    p.bind = bind;
                    p.base = current;
                }
                Decided::Unchanged(heads) => {
                    answer.heads(&p.id, &heads);
                    finish_push(&mut answer, &p.id, p.late, &mut refusals);
                    continue;
                }
                Decided::Refused(reason) => {
                    answer.result(&p.id, PushOutcome::Rejected { reason });
                    continue;
                }
                Decided::NeedHistory => {
                    answer.result(&p.id, PushOutcome::NeedHistory);
                    continue;
                }
                Decided::ActorReused(actor) => {
                    answer.result(&p.id, actor_reused(&actor));
                    continue;
                }
            }
        }
        store::write_doc(
            &mut tx,
            &p.id,
            &p.unit,
            &p.write,
            p.base.as_ref(),
            auth.device.as_str(),
            now,
        )
        .await?;
        p.rows.write(&mut tx, &p.unit, now).await?;
        for actor in &p.bind {
            devices::bind_actor(&mut tx, actor, &auth.device, now).await?;
        }
        answer.heads(&p.id, &p.write.heads);
        finish_push(&mut answer, &p.id, p.late, &mut refusals);
    }
    for refusal in &refusals {
        store::record_refusal(&mut tx, refusal, now).await?;
    }

    let since = if request.cursor.epoch == state.epoch {
        request.cursor.seq as i64
    } else {
        0
    };
    // What the phone may hold now, read once: it tells what the phone lacks and what it must drop.
    let readable: BTreeSet<String> = store::readable_ids(&mut tx, &scope)
        .await?
        .into_iter()
        .collect();
    collect_updates(
        &mut tx,
        &scope,
        since,
        &request.holding,
        &readable,
        &mut answer,
    )
    .await?;
    let end = store::log_end(&mut tx).await?;
    devices::record_sync(&mut tx, &auth.device, end, now).await?;
    tx.commit().await?;
    // After the commit, without the writer: what the phone holds and may no longer.
    let mut conn = state.db.reader.acquire().await?;
    drop_what_left(&mut conn, &request.holding, &readable, &mut answer).await?;
    Ok(answer.finish(
        Cursor {
            epoch: state.epoch,
            seq: end as u64,
        },
        now,
        state.settings.lock_after,
    ))
}

/// Queues a refusal to be kept for the cell's secretary, while this phone has fewer than
/// `max_refusals_per_device` waiting; returns the reason to answer, which says when it was not
/// kept. `left` counts down what the phone may still leave, read on first use.
async fn keep_for_review(
    conn: &mut AnyConnection,
    state: &AppState,
    auth: &devices::DeviceAuth,
    left: &mut Option<i64>,
    refusal: store::Refusal,
    refusals: &mut Vec<store::Refusal>,
) -> Result<String, ApiError> {
    let most = state.settings.max_refusals_per_device;
    let left = match left {
        Some(left) => left,
        None => left.insert(most - store::refusals_of(conn, auth.device.as_str()).await?),
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
fn finish_push(
    answer: &mut ResponseBuilder,
    id: &DocId,
    late: Option<store::Refusal>,
    refusals: &mut Vec<store::Refusal>,
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
fn describe(
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

/// Answers a revoked phone (or one whose holder was disabled): it is told to erase itself.
/// What it pushed is not merged, since the phone may be in a stranger's hands; its well-formed
/// changes to documents its holder could write are kept as refused for the secretary, within a
/// bound, and anything else is dropped.
async fn wipe(
    state: &AppState,
    auth: &devices::DeviceAuth,
    request: &SyncRequest,
    now: i64,
) -> Result<protocol::SyncResponse, ApiError> {
    let mut tx = state.db.begin_write().await?;
    let mut left = state.settings.max_refusals_per_device
        - store::refusals_of(&mut tx, auth.device.as_str()).await?;
    let mut bytes_left = MAX_REVOKED_BYTES;
    for push in &request.pushes {
        let Ok(id) = DocId::parse(&push.doc) else {
            continue;
        };
        let Ok(changes) = parse_changes(&push.changes) else {
            continue;
        };
        let size: usize = push.changes.iter().map(Vec::len).sum();
        if left <= 0 || size > bytes_left || changes.is_empty() {
            continue;
        }
        let Some((unit, place)) = store::doc_place(&mut tx, &id).await? else {
            continue;
        };
        if auth.info.principal.may_write(&place).is_err() {
            continue;
        }
        left -= 1;
        bytes_left -= size;
        let refusal = store::Refusal {
            doc: id,
            unit,
            holder: auth.holder.to_string(),
            device: auth.device.to_string(),
            reason: "the phone was revoked or its holder disabled; held for review".into(),
            summary: format!("{} changes from a revoked phone", changes.len()),
            changes: push.changes.clone(),
        };
        store::record_refusal(&mut tx, &refusal, now).await?;
    }
    audit::record(
        &mut tx,
        now,
        &audit::Actor::Device(auth.device.to_string()),
        "wipe",
        &auth.holder.to_string(),
        "told to erase its data",
        Some(&auth.info.scope_unit),
    )
    .await?;
    tx.commit().await?;
    Ok(ResponseBuilder::wipe(now))
}

/// Tells the phone to drop what it holds but may no longer read (a household reassigned): what
/// the server stores but the scope's query did not return. A document the server does not store
/// (made on the phone, not sent yet) is not dropped. At most [`DROPS_CHECKED_PER_SYNC`] are
/// looked at per sync.
async fn drop_what_left(
    conn: &mut AnyConnection,
    holding: &[String],
    readable: &BTreeSet<String>,
    answer: &mut ResponseBuilder,
) -> Result<(), ApiError> {
    let outside: Vec<&str> = holding
        .iter()
        .filter(|raw| !readable.contains(*raw) && DocId::parse(raw).is_ok())
        .map(String::as_str)
        .take(DROPS_CHECKED_PER_SYNC)
        .collect();
    if outside.is_empty() {
        return Ok(());
    }
    for raw in store::stored_ids(conn, &outside).await? {
        if let Ok(id) = DocId::parse(&raw) {
            answer.drop_doc(&id);
        }
    }
    Ok(())
}

/// What to do with one push.
enum Decided {
    /// Store these changes and rows, and bind these actors (met for the first time) to the
    /// phone.
    Store(store::DocWrite, Box<projection::Rows>, Vec<ActorId>),
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
fn decide(
    actor: &ActorId,
    id: DocId,
    stored: Option<Doc>,
    base: Option<&store::DocRow>,
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
            let write = store::DocWrite::push(&doc, &new_changes, base);
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

/// Adds what the phone has not read yet. A phone that has read nothing (or whose cursor is
/// from another database) gets every document of its scope as a snapshot. Otherwise it gets the
/// changes logged after its cursor, and whole any document that is new to it: created after its
/// cursor, or come into its scope (a household assigned to it) while it held none of it.
async fn collect_updates(
    conn: &mut AnyConnection,
    scope: &store::ReadScope,
    since: i64,
    holding: &[String],
    readable: &BTreeSet<String>,
    answer: &mut ResponseBuilder,
) -> Result<(), ApiError> {
    if since == 0 {
        for stored in store::scope_documents(&mut *conn, scope).await? {
            add_whole(answer, stored);
        }
        return Ok(());
    }
    // Only a member's scope changes with assignments; a larger scope gets a document new to it
    // through the change log.
    let mut missing = BTreeSet::new();
    if matches!(scope.0, ReadFilter::Member { .. }) {
        let held: BTreeSet<&str> = holding.iter().map(String::as_str).collect();
        missing.extend(
            readable
                .iter()
                .filter(|id| !held.contains(id.as_str()))
                .cloned(),
        );
    }
    let rows = store::changes_since(&mut *conn, scope, since).await?;
    let mut seen = BTreeSet::new();
    let mut snapshot_upto = std::collections::BTreeMap::new();
    for row in rows {
        if missing.contains(&row.change.doc_id) {
            continue;
        }
        let Ok(id) = DocId::parse(&row.change.doc_id) else {
            continue;
        };
        if seen.insert(id.clone()) {
            if row.doc_first_seq > since
                && !answer.was_pushed(&id)
                && let Some((bytes, upto)) = store::snapshot(&mut *conn, &id).await?
            {
                answer.snapshot(&id, bytes);
                snapshot_upto.insert(id.clone(), upto);
            }
            answer.heads(&id, &row.doc_heads);
        }
        if snapshot_upto
            .get(&id)
            .is_some_and(|upto| row.change.seq <= *upto)
        {
            continue;
        }
        answer.change(&id, &row.change.hash, row.change.bytes);
    }
    for doc_id in missing {
        if let Some(stored) = store::stored_doc(&mut *conn, &doc_id).await? {
            add_whole(answer, stored);
        }
    }
    Ok(())
}

fn add_whole(answer: &mut ResponseBuilder, stored: store::StoredDoc) {
    let Ok(id) = DocId::parse(&stored.doc_id) else {
        return;
    };
    answer.snapshot(&id, stored.snapshot);
    for row in stored.tail {
        answer.change(&id, &row.hash, row.bytes);
    }
    answer.heads(&id, &stored.heads);
}
