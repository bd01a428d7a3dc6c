//! `POST /api/v1/sync`: one round trip of the sync protocol. Pushes are decided first, side by
//! side with other requests; then one short write transaction stores them and reads what the
//! phone lacks, and the answer is sent only after it commits, so whatever a phone sees
//! acknowledged is durable. What the phone must drop is looked up after the commit.

use crate::access::audit::AuditAction;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use hosync_core::DocId;
use hosync_core::domain::check_plain_text;
use hosync_core::messages::Message;
use hosync_core::protocol::{self, Cursor, ErrorBody, SyncRequest};
use hosync_core::sync::{ResponseBuilder, parse_changes};

use super::{pull, push};
use crate::AppState;
use crate::access::audit;
use crate::access::devices;
use crate::error::ApiError;
use crate::storage;
use crate::{metrics, request_log};

/// How many bytes of changes a revoked phone's request may leave for review.
const MAX_REVOKED_BYTES: usize = 256 * 1024;

/// The header in which a phone names the app version it runs, for the device list.
pub const APP_VERSION_HEADER: &str = "x-hosync-app-version";

/// The content type of a sync frame, both ways.
pub const FRAME_TYPE: &str = "application/vnd.hosync.sync";

/// `POST /api/v1/sync`: one round trip of the sync protocol.
///
/// The body is a sync frame (core's `protocol::encode_request`: a version byte, then a
/// compressed, size-limited postcard of the pushes, the cursor and the documents held), and so
/// is the answer (`protocol::encode_response`: each push's outcome, what the phone lacks, what
/// it must drop, and "wipe" for a revoked phone). The phone's device token travels inside the
/// frame, not in a header, so that a bundle another phone delivers carries its own.
#[utoipa::path(
    post,
    path = "/sync",
    tag = "sync",
    params(
        ("x-hosync-app-version" = Option<String>, Header, description = "The app version the phone runs, for the device list"),
    ),
    request_body(content = Vec<u8>, content_type = "application/vnd.hosync.sync", description = "A sync request frame"),
    responses(
        (status = 200, description = "A sync response frame, sent once what was pushed is stored", content_type = "application/vnd.hosync.sync", body = Vec<u8>),
        (status = 401, description = "The frame's device token is not one this server enrolled (`unauthorized`)", body = ErrorBody),
        (status = 426, description = "The frame's version is one the server no longer reads: update the app (`update_app`)", body = ErrorBody),
    ),
)]
pub async fn sync(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let started = std::time::Instant::now();
    let answered = answer(&state, &headers, &body).await;
    let (outcome, response) = match answered {
        Ok(answer) => {
            let outcome = if answer.wipe { "wiped" } else { "ok" };
            state.metrics.pushes_answered(&answer.results);
            let frame = protocol::encode_response(&answer);
            let response = (
                [
                    (header::CONTENT_TYPE, FRAME_TYPE),
                    // A phone syncs once in hours: holding its connection open after the
                    // answer only costs the server memory, thousands of buffers of it at the
                    // end of a busy day.
                    (header::CONNECTION, "close"),
                ],
                frame,
            )
                .into_response();
            (outcome, response)
        }
        Err(e) => (e.status_and_code().1, e.into_response()),
    };
    let sent = axum::body::HttpBody::size_hint(response.body())
        .exact()
        .unwrap_or_default();
    state.metrics.sync_answered(
        outcome,
        started.elapsed().as_secs_f64(),
        body.len() as u64,
        sent,
    );
    response
}

async fn answer(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<protocol::SyncResponse, ApiError> {
    let app_version = match headers.get(APP_VERSION_HEADER) {
        None => None,
        Some(raw) => Some(
            raw.to_str()
                .map_err(|_| {
                    ApiError::BadRequest(Message::HeaderNotText {
                        header: APP_VERSION_HEADER.to_owned(),
                    })
                })
                .and_then(|v| {
                    check_plain_text(APP_VERSION_HEADER, v, devices::MAX_APP_VERSION_CHARS)
                        .map_err(ApiError::BadRequest)
                })?,
        )
        .filter(|v| !v.is_empty()),
    };
    let request = protocol::decode_request(body)?;
    // Waiting here holds only the request's bytes; past the gate a sync holds documents.
    let _admitted = state
        .sync_gate
        .acquire()
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    handle(state, &request, app_version.as_deref()).await
}

async fn handle(
    state: &AppState,
    request: &SyncRequest,
    app_version: Option<&str>,
) -> Result<protocol::SyncResponse, ApiError> {
    let now = state.now();
    if request.pushes.len() > protocol::MAX_PUSHES {
        return Err(ApiError::BadRequest(Message::TooManyPushes {
            max: protocol::MAX_PUSHES,
            got: request.pushes.len(),
        }));
    }
    let mut conn = metrics::timed_wait("reader", state.db.reader.acquire()).await?;
    let Some(auth) = devices::authenticate(&mut conn, &request.token).await? else {
        return Err(ApiError::Unauthorized(Message::NotEnrolled));
    };
    request_log::record_who(format_args!("device {}", auth.device));
    if auth.must_wipe() {
        drop(conn);
        return wipe(state, &auth, request, now).await;
    }
    let scope = storage::ReadScope(auth.info.principal.read_filter());
    pull::check_holding(&mut conn, &scope, &request.holding).await?;
    let mut answer = ResponseBuilder::new();
    let decided = push::decide(state, &mut conn, &auth, request, &mut answer).await?;
    drop(conn);

    // The writer (and on PostgreSQL the log lock) is held for the push alone; what the phone
    // lacks is read after the commit, beside other syncs' writes.
    let mut tx = metrics::timed_wait("writer", state.db.begin_log_write()).await?;
    push::store(state, &mut tx, &auth, decided, &mut answer, now).await?;
    let stored_up_to = storage::log_end(&mut tx).await?;
    devices::record_sync(&mut tx, &auth.device, stored_up_to, app_version, now).await?;
    tx.commit().await?;

    let since = if request.cursor.epoch == state.epoch {
        request.cursor.seq as i64
    } else {
        0
    };
    let mut snapshot = metrics::timed_wait("reader", state.db.begin_snapshot()).await?;
    let end = storage::log_end(&mut snapshot).await?;
    let readable =
        pull::collect(&mut snapshot, &scope, since, &request.holding, &mut answer).await?;
    pull::drop_what_left(&mut snapshot, &request.holding, &readable, &mut answer).await?;
    snapshot.commit().await?;
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
            holder: auth.info.author.clone(),
            device: auth.device.clone(),
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
        AuditAction::Wipe,
        &auth.holder.to_string(),
        "told to erase its data",
        Some(&auth.info.scope_unit),
    )
    .await?;
    tx.commit().await?;
    Ok(ResponseBuilder::wipe(now))
}
