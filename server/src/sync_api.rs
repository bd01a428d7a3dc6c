//! `POST /api/v1/sync`: one round trip of the sync protocol. Pushes are merged and checked
//! first, side by side with other requests; then one short write transaction stores them and
//! reads what the phone lacks, and the answer is sent only after it commits, so whatever a phone
//! sees acknowledged is durable.

use std::collections::BTreeSet;

use automerge::ActorId;
use automerge::Change;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use hosync_core::access::{AccessRole, Guarded, Principal};
use hosync_core::protocol::{self, Cursor, PushOutcome, SyncRequest};
use hosync_core::sync::{
    PushDecision, ResponseBuilder, apply_push, describe_changes, parse_changes, split_at_time,
};
use hosync_core::{Doc, DocId, UnitId};
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
    /// Changes of the same push refused (made after the household left the member).
    late: Option<store::Refusal>,
}

async fn handle(
    state: &AppState,
    request: &SyncRequest,
) -> Result<protocol::SyncResponse, ApiError> {
    let now = state.now();
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
    let holder = auth.holder.to_string();

    // First, without the writer: decide each push and encode what it will store. This is the
    // CPU-heavy part (loading, merging, validating), so many requests do it side by side.
    let mut answer = ResponseBuilder::new();
    let mut prepared = Vec::new();
    let mut refusals = Vec::new();
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
                    reason: format!("document {id} names nothing this server knows"),
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
        let (changes, late) = match principal.may_write(&place) {
            Ok(()) => (changes, None),
            Err(denied) => {
                // A household taken off this member: what they wrote while it was theirs stands.
                let cutoff = match (&id, &principal.member) {
                    (DocId::Household(h), Some(member)) => {
                        store::left_member_at(&mut conn, h, member).await?
                    }
                    _ => None,
                };
                let (early, late) = match cutoff {
                    Some(cutoff) => split_at_time(changes, cutoff),
                    None => (Vec::new(), changes),
                };
                let reason = match cutoff {
                    Some(cutoff) => format!(
                        "{denied} since {}; what was written before then is kept",
                        hosync_core::Day::from_timestamp(cutoff).vi()
                    ),
                    None => denied.to_string(),
                };
                if early.is_empty() {
                    answer.result(
                        &id,
                        PushOutcome::Rejected {
                            reason: reason.clone(),
                        },
                    );
                    let summary = describe(stored.as_ref(), &id, &state.actor, &[], &late);
                    refusals.push(refuse(reason, summary, &late));
                    continue;
                }
                let late = (!late.is_empty()).then(|| {
                    let summary = describe(stored.as_ref(), &id, &state.actor, &early, &late);
                    refuse(reason, summary, &late)
                });
                (early, late)
            }
        };
        match decide(
            &state.actor,
            id.clone(),
            stored,
            base.as_ref(),
            &changes,
            principal,
        ) {
            Decided::Store(write, rows) => {
                prepared.push(Prepared {
                    id,
                    unit,
                    base,
                    changes,
                    write,
                    rows,
                    late,
                });
            }
            Decided::Unchanged(heads) => {
                answer.heads(&id, &heads);
                finish_push(&mut answer, &id, late, &mut refusals);
            }
            Decided::Refused(reason) => {
                answer.result(
                    &id,
                    PushOutcome::Rejected {
                        reason: reason.clone(),
                    },
                );
                // The document was consumed by the attempt; refusals are rare, so reading it
                // again here costs less than keeping a copy of every pushed document.
                let stored = store::load_doc(&mut conn, &id, &state.actor).await?;
                let summary = describe(stored.as_ref(), &id, &state.actor, &[], &changes);
                refusals.push(refuse(reason, summary, &changes));
            }
            Decided::NeedHistory => answer.result(&id, PushOutcome::NeedHistory),
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
            ) {
                Decided::Store(write, rows) => {
                    p.write = write;
                    p.rows = rows;
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
    let scope = store::ReadScope {
        path: principal.scope.clone(),
        member_only: (principal.role == AccessRole::Member)
            .then(|| principal.member.clone())
            .flatten(),
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
    drop_what_left(&mut tx, principal, &request.holding, &readable, &mut answer).await?;
    let end = store::log_end(&mut tx).await?;
    devices::record_sync(&mut tx, &auth.device, end, now).await?;
    tx.commit().await?;
    Ok(answer.finish(
        Cursor {
            epoch: state.epoch,
            seq: end as u64,
        },
        now,
        state.settings.lock_after,
    ))
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

/// Answers a revoked phone (or one whose holder was disabled): it is told to erase itself, and
/// whatever it pushed is kept as refused for the secretary, not merged, since the phone may be
/// in a stranger's hands.
async fn wipe(
    state: &AppState,
    auth: &devices::DeviceAuth,
    request: &SyncRequest,
    now: i64,
) -> Result<protocol::SyncResponse, ApiError> {
    let mut tx = state.db.begin_write().await?;
    for push in &request.pushes {
        let Ok(id) = DocId::parse(&push.doc) else {
            continue;
        };
        let Some((unit, _)) = store::doc_place(&mut tx, &id).await? else {
            continue;
        };
        let refusal = store::Refusal {
            doc: id,
            unit,
            holder: auth.holder.to_string(),
            device: auth.device.to_string(),
            reason: "the phone was revoked or its holder disabled; held for review".into(),
            summary: format!("{} changes from a revoked phone", push.changes.len()),
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
    )
    .await?;
    tx.commit().await?;
    Ok(ResponseBuilder::wipe(now))
}

/// Tells the phone to drop what it holds but may no longer read (a household reassigned).
async fn drop_what_left(
    conn: &mut AnyConnection,
    principal: &Principal,
    holding: &[String],
    readable: &BTreeSet<String>,
    answer: &mut ResponseBuilder,
) -> Result<(), ApiError> {
    // Only what the scope's query did not return needs a closer look: usually nothing.
    for raw in holding.iter().filter(|raw| !readable.contains(*raw)) {
        let Ok(id) = DocId::parse(raw) else { continue };
        // The phone's own reports are always its own; skip the lookup.
        if matches!(&id, DocId::Report(m, _) if principal.member.as_ref() == Some(m)) {
            continue;
        }
        // A document the server does not know yet (made on the phone) is not dropped.
        if let Some((_, place)) = store::doc_place(&mut *conn, &id).await?
            && principal.may_read(&place).is_err()
        {
            answer.drop_doc(&id);
        }
    }
    Ok(())
}

/// What to do with one push.
enum Decided {
    /// Store these changes and rows.
    Store(store::DocWrite, Box<projection::Rows>),
    /// Nothing new: the server already holds it all; these are its heads.
    Unchanged(Vec<automerge::ChangeHash>),
    Refused(String),
    NeedHistory,
}

/// Applies a push to the stored document, checks what it changed against the role of the
/// phone's holder, and encodes what storing it writes. This is CPU work done right here: the server admits only a
/// few syncs at a time (see `AppState::sync_gate`), so it keeps the runtime's few threads busy
/// without starving them, and handing it to extra threads only grew memory.
fn decide(
    actor: &ActorId,
    id: DocId,
    stored: Option<Doc>,
    base: Option<&store::DocRow>,
    changes: &[Change],
    principal: &Principal,
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
            let write = store::DocWrite::push(&doc, &new_changes, base);
            Decided::Store(write, Box::new(projection::Rows::from_view(&doc, view)))
        }
        PushDecision::Accepted { view: None, .. } => Decided::Unchanged(doc.heads()),
        PushDecision::Rejected { reason } => Decided::Refused(reason),
        PushDecision::NeedHistory => Decided::NeedHistory,
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
    if scope.member_only.is_some() {
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
