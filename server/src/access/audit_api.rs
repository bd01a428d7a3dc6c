//! `GET /api/v1/audit`: the audit log, read within the reader's scope.

use crate::access::audit::{AuditAction, AuditFilter, AuditQuery, AuditScope, list, vi_time};
use crate::openapi::{Forbidden, NotFound};
use hosync_core::messages::{Message, Thing};

use crate::AppState;
use crate::access::sessions::StaffSession;
use crate::error::{ApiError, current_lang};
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use hosync_core::access::StaffAction;
use serde::Serialize;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditRow {
    pub seq: i64,
    /// Unix seconds.
    pub at: i64,
    /// dd/mm/yyyy HH:MM in Vietnam.
    pub time: String,
    pub actor: String,
    pub action: String,
    /// The action in Vietnamese, as the page shows it.
    pub action_label: String,
    pub target: String,
    pub detail: String,
    /// The unit the entry is about; `None` for the whole organisation.
    #[schema(required = true)]
    pub unit: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ActionOption {
    pub code: &'static str,
    pub label: &'static str,
}

/// `GET /api/v1/audit/actions`: what the log records, for the page's filter.
#[utoipa::path(
    get,
    path = "/audit/actions",
    tag = "audit",
    operation_id = "list_audit_actions",
    security(("session" = [])),
    responses(
        (status = 200, description = "The actions the log records, with their labels", body = Vec<ActionOption>),
        (status = 403, response = Forbidden),
    ),
)]
pub async fn api_actions(session: StaffSession) -> Result<Json<Vec<ActionOption>>, ApiError> {
    session
        .principal
        .may(StaffAction::ReadAudit, &session.principal.scope)?;
    Ok(Json(
        AuditAction::ALL
            .iter()
            .map(|a| ActionOption {
                code: a.code(),
                label: a.label(current_lang()),
            })
            .collect(),
    ))
}

/// `GET /api/v1/audit`: the log, newest last, for those who may read it at their scope.
#[utoipa::path(
    get,
    path = "/audit",
    tag = "audit",
    operation_id = "list_audit",
    security(("session" = [])),
    params(AuditQuery),
    responses(
        (status = 200, description = "The entries, newest last", body = Vec<AuditRow>),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
)]
pub async fn api_list(
    State(state): State<AppState>,
    session: StaffSession,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Json<Vec<AuditRow>>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::BadRequest(Message::BadShape(e.body_text())))?;
    session
        .principal
        .may(StaffAction::ReadAudit, &session.principal.scope)?;
    let filter = AuditFilter::parse(&q).map_err(|e| ApiError::BadRequest(Message::Invalid(e.0)))?;
    let mut conn = state.db.reader.acquire().await?;
    // A unit outside the reader's scope is answered as one that does not exist.
    if let Some(unit) = &filter.unit {
        let what = Thing::Unit(unit.to_string());
        let path = crate::storage::unit_path(&mut conn, unit)
            .await?
            .ok_or_else(|| ApiError::unseen(what.clone()))?;
        session
            .principal
            .may(StaffAction::ReadAudit, &path)
            .map_err(|d| ApiError::denied(d, what.clone()))?;
    }
    let scope = AuditScope::of(&session.principal.scope);
    let entries = list(&mut conn, &filter, Some(&scope)).await?;
    Ok(Json(
        entries
            .into_iter()
            .map(|e| AuditRow {
                seq: e.seq,
                at: e.at,
                time: vi_time(e.at),
                actor: e.actor,
                action_label: AuditAction::parse(&e.action)
                    .map(|a| a.label(current_lang()).to_owned())
                    .unwrap_or_else(|_| e.action.clone()),
                action: e.action,
                target: e.target,
                detail: e.detail,
                unit: e.unit,
            })
            .collect(),
    ))
}
