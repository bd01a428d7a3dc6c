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
use hosync_core::protocol::{self, Cursor, PushOutcome, SyncRequest};
use hosync_core::sync::{PushDecision, ResponseBuilder, apply_push, parse_changes};
use hosync_core::{DeviceId, Doc, DocId, MemberId, UnitId};
use sqlx::AnyConnection;

use crate::error::ApiError;
use crate::{AppState, projection, store};

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

    // First, without the writer: decide each push and encode what it will store. This is the
    // CPU-heavy part (loading, merging, validating), so many requests do it side by side.
    let mut conn = state.db.reader.acquire().await?;
    let Some((cell, role)) = store::member_cell(&mut conn, &member).await? else {
        return Err(ApiError::Forbidden(format!(
            "member {member} is not known to this server"
        )));
    };
    let reader = store::Reader {
        member: member.clone(),
        reads_all_reports: role.leads_cell(),
    };
    let mut answer = ResponseBuilder::new();
    let mut prepared = Vec::new();
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
        let refusal = match store::placement(&mut conn, &id).await? {
            None => Err(format!("document {id} names nothing this server knows")),
            Some(unit) if unit != cell => Err(format!(
                "document {id} belongs to another cell than member {member}'s"
            )),
            Some(_) if !reader.may_read(&id) => Err(format!(
                "document {id} is another member's report; member {member} may write only their own"
            )),
            Some(unit) => Ok(unit),
        };
        let unit = match refusal {
            Ok(unit) => unit,
            Err(reason) => {
                answer.result(&id, PushOutcome::Rejected { reason });
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
        let (stored, base) = store::load_doc_with_row(&mut conn, &id, &state.actor)
            .await?
            .unzip();
        match decide(&state.actor, id.clone(), stored, base.as_ref(), &changes) {
            Decided::Store(write, rows) => {
                prepared.push(Prepared {
                    id,
                    unit,
                    base,
                    changes,
                    write,
                    rows,
                });
            }
            Decided::Unchanged(heads) => {
                answer.heads(&id, &heads);
                answer.result(&id, PushOutcome::Accepted);
            }
            Decided::Refused(outcome) => answer.result(&id, outcome),
        }
    }
    drop(conn);

    // Then, with the writer: store what passed, read what the phone lacks, commit, answer.
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
            ) {
                Decided::Store(write, rows) => {
                    p.write = write;
                    p.rows = rows;
                    p.base = current;
                }
                Decided::Unchanged(heads) => {
                    answer.heads(&p.id, &heads);
                    answer.result(&p.id, PushOutcome::Accepted);
                    continue;
                }
                Decided::Refused(outcome) => {
                    answer.result(&p.id, outcome);
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
            device.as_str(),
            now,
        )
        .await?;
        p.rows.write(&mut tx, &p.unit).await?;
        answer.heads(&p.id, &p.write.heads);
        answer.result(&p.id, PushOutcome::Accepted);
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

/// What to do with one push.
enum Decided {
    /// Store these changes and rows.
    Store(store::DocWrite, Box<projection::Rows>),
    /// Nothing new: the server already holds it all; these are its heads.
    Unchanged(Vec<automerge::ChangeHash>),
    Refused(PushOutcome),
}

/// Applies a push to the stored document and encodes what storing it writes. This is CPU
/// work done right here: the server admits only a few syncs at a time (see
/// `AppState::sync_gate`), so it keeps the runtime's few threads busy without starving them, and
/// handing it to extra threads only grew memory.
fn decide(
    actor: &ActorId,
    id: DocId,
    stored: Option<Doc>,
    base: Option<&store::DocRow>,
    changes: &[Change],
) -> Decided {
    let mut doc = stored.unwrap_or_else(|| Doc::empty(id, actor.clone()));
    match apply_push(&mut doc, changes) {
        PushDecision::Accepted {
            new_changes,
            view: Some(view),
        } => {
            let write = store::DocWrite::push(&doc, &new_changes, base);
            Decided::Store(write, Box::new(projection::Rows::from_view(&doc, view)))
        }
        PushDecision::Accepted { view: None, .. } => Decided::Unchanged(doc.heads()),
        other => Decided::Refused(other.outcome()),
    }
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
    Ok(())
}
