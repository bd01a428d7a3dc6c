//! A phone's keys and their recovery over HTTP: a phone enrolled before keys asks for its own;
//! a phone whose PIN is forgotten asks for its recovery key with its recovery secret (no
//! token: the phone cannot read its token without the key); a secretary's phone, or a staff
//! account, lists the requests it may approve and approves them.

use crate::openapi::TooManyRequests;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use hosync_core::DeviceId;
use hosync_core::access::{Denied, Principal};
use hosync_core::messages::{Message, Paused};
use hosync_core::protocol::ErrorBody;
use hosync_core::protocol::{
    PendingRecovery, PhoneKeys, RecoveryApproval, RecoveryRequest, RecoveryStatus,
};

use crate::AppState;
use crate::access::audit::{self, Actor, AuditAction};
use crate::access::devices_api::phone_auth;
use crate::access::recovery::{self, ApproveError, AskError};
use crate::access::sessions::StaffSession;
use crate::access::throttle::{self, ClientAddress};
use crate::error::ApiError;

/// The counter of recovery asks from one address, which wrong secrets use up.
const RECOVERY: &str = "recovery";

/// `POST /api/v1/phone/keys`: fresh keys for the phone whose token the request carries (one
/// enrolled before keys existed), replacing any it had.
#[utoipa::path(
    post,
    path = "/phone/keys",
    tag = "phones",
    security(("device" = [])),
    responses((status = 200, description = "Fresh keys; the phone's earlier ones stop working", body = PhoneKeys)),
)]
pub async fn phone_keys(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<PhoneKeys>, ApiError> {
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let auth = phone_auth(&mut tx, &headers).await?;
    let by = Actor::Device(auth.device.to_string());
    let keys = recovery::issue_keys(&mut tx, &auth.device, &by, now).await?;
    tx.commit().await?;
    Ok(Json(keys))
}

/// `POST /api/v1/recovery {"device", "recovery_secret"}`: 202 `{"status":"waiting"}` until the
/// request is approved, then 200 `{"status":"approved","recovery_key"}` once. The secret is the
/// credential, so wrong ones are throttled per client address as enrolment codes are.
#[utoipa::path(
    post,
    path = "/recovery",
    tag = "phones",
    operation_id = "ask_recovery",
    request_body = RecoveryRequest,
    responses(
        (status = 200, description = "Approved: the recovery key, given once", body = RecoveryStatus),
        (status = 202, description = "Waiting for the cell secretary's approval", body = RecoveryStatus),
        (status = 401, description = "No such device, or a wrong recovery secret (`unauthorized`)", body = ErrorBody),
        (status = 403, description = "The phone was revoked (`forbidden`)", body = ErrorBody),
        (status = 429, response = TooManyRequests),
    ),
)]
pub async fn ask(
    State(state): State<AppState>,
    address: ClientAddress,
    body: Result<Json<RecoveryRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<RecoveryStatus>), ApiError> {
    let Json(request) = body?;
    let now = state.now();
    let limit = state.settings.enrol_limit;
    let subject = address.to_string();
    let count = match throttle::count_guess(&state.db, RECOVERY, &subject, limit, now).await? {
        Ok(count) => count,
        Err(paused) => {
            return Err(ApiError::TooManyRequests {
                message: Message::TooManyTries {
                    what: Paused::Recovery,
                    until: audit::vi_time(paused.resets_at),
                    minutes: paused.minutes(),
                },
                retry_after: paused.wait,
            });
        }
    };

    let mut tx = state.db.begin_write().await?;
    match recovery::ask(&mut tx, &request.device, &request.recovery_secret, now).await {
        Ok(status) => {
            // A right secret was no guess: it is taken off the count.
            throttle::uncount(&mut tx, RECOVERY, &subject).await?;
            throttle::sweep(&mut tx, state.db.backend, now).await?;
            tx.commit().await?;
            let code = match status {
                RecoveryStatus::Waiting => StatusCode::ACCEPTED,
                RecoveryStatus::Approved { .. } => StatusCode::OK,
            };
            Ok((code, Json(status)))
        }
        Err(AskError::Db(e)) => Err(e.into()),
        Err(AskError::Revoked) => {
            tx.rollback().await?;
            let mut conn = state.db.writer.acquire().await?;
            throttle::uncount(&mut conn, RECOVERY, &subject).await?;
            Err(ApiError::Forbidden(Message::RecoveryRevoked))
        }
        Err(AskError::Unknown) => {
            tx.rollback().await?;
            if count.last(limit) {
                let detail = format!(
                    "{} wrong recovery requests within {} min: recovery from this address is paused until {}",
                    limit.max,
                    limit.window / 60,
                    audit::vi_time(count.resets_at)
                );
                audit::record_pause(
                    &state.db,
                    now,
                    &subject,
                    AuditAction::RecoveryPaused,
                    &detail,
                )
                .await?;
            }
            Err(ApiError::Unauthorized(Message::RecoveryUnknown))
        }
    }
}

/// `GET /api/v1/phone/recoveries`: the recoveries the secretary's phone (by its token) may
/// approve.
#[utoipa::path(
    get,
    path = "/phone/recoveries",
    tag = "phones",
    operation_id = "list_recoveries_for_phone",
    security(("device" = [])),
    responses((status = 200, description = "The recoveries this phone may approve", body = Vec<PendingRecovery>)),
)]
pub async fn phone_pending(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Vec<PendingRecovery>>, ApiError> {
    let mut conn = state.db.reader.acquire().await?;
    let auth = phone_auth(&mut conn, &headers).await?;
    Ok(Json(
        recovery::pending(&mut conn, &auth.info.principal).await?,
    ))
}

/// `POST /api/v1/phone/recoveries/{device}/approve`: the secretary's phone approves a
/// recovery.
#[utoipa::path(
    post,
    path = "/phone/recoveries/{device}/approve",
    tag = "phones",
    operation_id = "approve_recovery_from_phone",
    security(("device" = [])),
    params(("device" = String, Path, description = "The id of the device to recover")),
    responses(
        (status = 200, description = "Approved: the device's next ask gets its key", body = RecoveryApproval),
        (status = 404, description = "That device asked for no recovery (`not_found`)", body = ErrorBody),
    ),
)]
pub async fn phone_approve(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(device): Path<String>,
) -> Result<Json<RecoveryApproval>, ApiError> {
    let device = DeviceId::parse(&device).map_err(ApiError::bad)?;
    let mut tx = state.db.begin_write().await?;
    let auth = phone_auth(&mut tx, &headers).await?;
    let by = Actor::Device(auth.device.to_string());
    approve_and_answer(&state, tx, &auth.info.principal, &device, &by).await
}

/// `GET /api/v1/recoveries`: the recoveries a staff account may approve.
#[utoipa::path(
    get,
    path = "/recoveries",
    tag = "phones",
    operation_id = "list_recoveries",
    security(("session" = [])),
    responses((status = 200, description = "The recoveries this account may approve", body = Vec<PendingRecovery>)),
)]
pub async fn staff_pending(
    State(state): State<AppState>,
    session: StaffSession,
) -> Result<Json<Vec<PendingRecovery>>, ApiError> {
    let mut conn = state.db.reader.acquire().await?;
    Ok(Json(
        recovery::pending(&mut conn, &session.principal).await?,
    ))
}

/// `POST /api/v1/recoveries/{device}/approve`: a staff account approves a recovery.
#[utoipa::path(
    post,
    path = "/recoveries/{device}/approve",
    tag = "phones",
    operation_id = "approve_recovery",
    security(("session" = [], "csrf" = [])),
    params(("device" = String, Path, description = "The id of the device to recover")),
    responses(
        (status = 200, description = "Approved: the device's next ask gets its key", body = RecoveryApproval),
        (status = 404, description = "That device asked for no recovery (`not_found`)", body = ErrorBody),
    ),
)]
pub async fn staff_approve(
    State(state): State<AppState>,
    session: StaffSession,
    Path(device): Path<String>,
) -> Result<Json<RecoveryApproval>, ApiError> {
    let device = DeviceId::parse(&device).map_err(ApiError::bad)?;
    let tx = state.db.begin_write().await?;
    let by = Actor::User(session.login.clone());
    approve_and_answer(&state, tx, &session.principal, &device, &by).await
}

/// Approves in `tx` and commits, as both approving routes answer.
async fn approve_and_answer(
    state: &AppState,
    mut tx: sqlx::Transaction<'static, sqlx::Any>,
    principal: &Principal,
    device: &DeviceId,
    by: &Actor,
) -> Result<Json<RecoveryApproval>, ApiError> {
    match recovery::approve(&mut tx, principal, device, by, state.now()).await {
        Ok(approval) => {
            tx.commit().await?;
            Ok(Json(approval))
        }
        Err(ApproveError::Db(e)) => Err(e.into()),
        Err(ApproveError::NoRequest(device)) => {
            Err(ApiError::NotFound(Message::NoRecoveryWaiting {
                device: device.to_string(),
            }))
        }
        // Outside the scope is a 403 too (naming no place): device ids are random, so saying a
        // device is outside the approver's scope tells them nothing they could not guess.
        Err(ApproveError::Denied(Denied::OutOfScope)) => {
            Err(ApiError::Forbidden(Message::RecoveryOutOfScope {
                device: device.to_string(),
            }))
        }
        Err(ApproveError::Denied(Denied::NotAllowed(why))) => {
            Err(ApiError::Forbidden(Message::RecoveryNotAllowed {
                why: Box::new(why),
                device: device.to_string(),
            }))
        }
        Err(ApproveError::Revoked(device)) => Err(ApiError::Forbidden(Message::DeviceRevoked {
            device: device.to_string(),
        })),
    }
}
