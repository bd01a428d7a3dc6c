//! `POST /api/v1/sync`: one round trip of the sync protocol. Every push and the answer are
//! decided in one write transaction, and the answer is sent only after it commits, so whatever
//! a phone sees acknowledged is durable.

use std::collections::BTreeSet;

use automerge::Change;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use hosync_core::protocol::{self, Cursor, PushOutcome, SyncRequest};
use hosync_core::sync::{PushDecision, ResponseBuilder, apply_push};
use hosync_core::{DeviceId, Doc, DocId, MemberId, UnitId};
use sqlx::AnyConnection;

use crate::error::ApiError;
use crate::{AppState, projection, store};

pub async fn sync(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let request = protocol::decode_request(&body)?;
    let answer = handle(&state, &request).await?;
    Ok((
        [(header::CONTENT_TYPE, "application/vnd.hosync.sync")],
        protocol::encode_response(&answer),
    ))
}

async fn handle(
    state: &AppState,
    request: &SyncRequest,
) -> Result<protocol::SyncResponse, ApiError> {
    let device =
        DeviceId::parse(&request.device).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let member =
        MemberId::parse(&request.member).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let now = state.now();

    let mut tx = state.db.begin_write().await?;
    let Some((cell, role)) = store::member_cell(&mut tx, &member).await? else {
        return Err(ApiError::Forbidden(format!(
            "member {member} is not known to this server"
        )));
    };

    let reader = store::Reader {
        member: member.clone(),
        reads_all_reports: role.leads_cell(),
    };
    let mut answer = ResponseBuilder::new();
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
        for bytes in &push.changes {
            if let Ok(change) = Change::from_bytes(bytes.clone()) {
                answer.pushed(change.hash());
            }
        }
        let decision = match store::placement(&mut tx, &id).await? {
            None => PushDecision::Rejected {
                reason: format!("document {id} names nothing this server knows"),
            },
            Some(unit) if unit != cell => PushDecision::Rejected {
                reason: format!("document {id} belongs to another cell than member {member}'s"),
            },
            Some(_) if !reader.may_read(&id) => PushDecision::Rejected {
                reason: format!(
                    "document {id} is another member's report; member {member} may write only their own"
                ),
            },
            Some(unit) => {
                push_one(
                    &mut tx,
                    state,
                    &id,
                    &unit,
                    &push.changes,
                    device.as_str(),
                    now,
                    &mut answer,
                )
                .await?
            }
        };
        answer.result(&id, decision.outcome());
    }

    let since = if request.cursor.epoch == state.epoch {
        request.cursor.seq as i64
    } else {
        0
    };
    collect_updates(&mut tx, &cell, since, &reader, &mut answer).await?;
    let end = store::log_end(&mut tx).await?;
    store::record_device(&mut tx, device.as_str(), &member, end, now).await?;
    tx.commit().await?;
    Ok(answer.finish(
        Cursor {
            epoch: state.epoch,
            seq: end as u64,
        },
        now,
    ))
}

#[allow(clippy::too_many_arguments)]
async fn push_one(
    conn: &mut AnyConnection,
    state: &AppState,
    id: &DocId,
    unit: &UnitId,
    changes: &[Vec<u8>],
    device: &str,
    now: i64,
    answer: &mut ResponseBuilder,
) -> Result<PushDecision, ApiError> {
    let stored = store::load_doc(&mut *conn, id, &state.actor).await?;
    let mut doc = stored.unwrap_or_else(|| Doc::empty(id.clone(), state.actor.clone()));
    let decision = apply_push(&mut doc, changes);
    if let PushDecision::Accepted { new_changes } = &decision {
        if !new_changes.is_empty() {
            store::append(&mut *conn, &doc, unit, new_changes, device, now).await?;
            projection::project(&mut *conn, &doc, unit).await?;
        }
        answer.heads(id, &doc.heads());
    }
    Ok(decision)
}

/// Adds what the phone has not read yet. A phone that has read nothing (or whose cursor is
/// from another database) gets every document of its scope as a snapshot. Otherwise it gets the
/// changes logged after its cursor, or the snapshot of a document that is new to it.
async fn collect_updates(
    conn: &mut AnyConnection,
    cell: &UnitId,
    since: i64,
    reader: &store::Reader,
    answer: &mut ResponseBuilder,
) -> Result<(), ApiError> {
    if since == 0 {
        for stored in store::unit_documents(&mut *conn, cell, reader).await? {
            let Ok(id) = DocId::parse(&stored.doc_id) else {
                continue;
            };
            answer.snapshot(&id, stored.snapshot);
            for row in stored.tail {
                answer.change(&id, &row.hash, row.bytes);
            }
            answer.heads(&id, &stored.heads);
        }
        return Ok(());
    }
    let rows = store::changes_since(&mut *conn, cell, since, reader).await?;
    let mut seen = BTreeSet::new();
    let mut snapshot_upto = std::collections::BTreeMap::new();
    for row in rows {
        let Ok(id) = DocId::parse(&row.doc_id) else {
            continue;
        };
        if seen.insert(id.clone()) {
            let Some(meta) = store::doc_row(&mut *conn, &id).await? else {
                continue;
            };
            if meta.first_seq > since
                && !answer.was_pushed(&id)
                && let Some((bytes, upto)) = store::snapshot(&mut *conn, &id).await?
            {
                answer.snapshot(&id, bytes);
                snapshot_upto.insert(id.clone(), upto);
            }
            answer.heads(&id, &meta.heads);
        }
        if snapshot_upto.get(&id).is_some_and(|upto| row.seq <= *upto) {
            continue;
        }
        answer.change(&id, &row.hash, row.bytes);
    }
    Ok(())
}
