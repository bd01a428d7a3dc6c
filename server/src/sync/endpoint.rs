//! `POST /api/v1/sync`: one round trip of the sync protocol. Pushes are merged and checked
//! first, side by side with other requests; then one short write transaction stores them and
//! reads what the phone lacks, and the answer is sent only after it commits, so whatever a phone
//! sees acknowledged is durable.

use super::pull::{collect_updates, drop_what_left};
use super::push::{
    Decided, HELD_BEYOND_SCOPE, HOLDING_CHECKED_ABOVE, MAX_REVOKED_BYTES, Prepared, decide,
    describe, finish_push, keep_for_review, unseen,
};
use crate::AppState;
use crate::access::audit;
use crate::access::devices;
use crate::error::ApiError;
use crate::storage;
use automerge::ActorId;
use automerge::Change;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use hosync_core::DocId;
use hosync_core::access::Denied;
use hosync_core::protocol::{self, Cursor, PushOutcome, SyncRequest};
use hosync_core::sync::server::actor_reused;
use hosync_core::sync::{ResponseBuilder, parse_changes, split_at_time};
use std::collections::{BTreeSet, HashMap};

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
    let scope = storage::ReadScope(principal.read_filter());
    if request.holding.len() > HOLDING_CHECKED_ABOVE {
        let most = storage::readable_count(&mut conn, &scope).await? as usize + HELD_BEYOND_SCOPE;
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
        let Some((unit, place)) = storage::doc_place(&mut conn, &id).await? else {
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
                        storage::left_member_at(&mut conn, h, member).await?
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
        let (stored, base) = storage::load_doc_with_row(&mut conn, &id, &state.actor)
            .await?
            .unzip();
        let refuse = |reason: String, summary: String, changes: &[Change]| storage::Refusal {
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
                let stored = storage::load_doc(&mut conn, &id, &state.actor).await?;
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
        let current = storage::doc_row(&mut tx, &p.id).await?;
        if current != p.base {
            // Another push to this document committed since it was read: decide again on the
            // current state, under the writer this time. Rare, so simplicity wins.
            let stored = storage::load_doc(&mut tx, &p.id, &state.actor).await?;
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
        storage::write_doc(
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
        storage::record_refusal(&mut tx, refusal, now).await?;
    }

    let since = if request.cursor.epoch == state.epoch {
        request.cursor.seq as i64
    } else {
        0
    };
    // What the phone may hold now, read once: it tells what the phone lacks and what it must drop.
    let readable: BTreeSet<String> = storage::readable_ids(&mut tx, &scope)
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
    let end = storage::log_end(&mut tx).await?;
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
        - storage::refusals_of(&mut tx, auth.device.as_str()).await?;
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
        let Some((unit, place)) = storage::doc_place(&mut tx, &id).await? else {
            continue;
        };
        if auth.info.principal.may_write(&place).is_err() {
            continue;
        }
        left -= 1;
        bytes_left -= size;
        let refusal = storage::Refusal {
            doc: id,
            unit,
            holder: auth.holder.to_string(),
            device: auth.device.to_string(),
            reason: "the phone was revoked or its holder disabled; held for review".into(),
            summary: format!("{} changes from a revoked phone", changes.len()),
            changes: push.changes.clone(),
        };
        storage::record_refusal(&mut tx, &refusal, now).await?;
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
