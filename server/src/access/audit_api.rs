//! `GET /api/v1/audit`: the audit log, read within the reader's scope.

use crate::access::audit::{AuditFilter, AuditQuery, AuditScope, list, vi_time};

use crate::AppState;
use crate::access::sessions::StaffSession;
use crate::error::ApiError;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use hosync_core::access::StaffAction;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct AuditRow {
    pub seq: i64,
    /// Unix seconds.
    pub at: i64,
    /// dd/mm/yyyy HH:MM in Vietnam.
    pub time: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
}

/// `GET /api/v1/audit`: the log, newest last, for those who may read it at their scope.
pub async fn api_list(
    State(state): State<AppState>,
    session: StaffSession,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Json<Vec<AuditRow>>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    session
        .principal
        .may(StaffAction::ReadAudit, &session.principal.scope)?;
    let filter = AuditFilter::parse(&q).map_err(|e| ApiError::BadRequest(e.0))?;
    let mut conn = state.db.reader.acquire().await?;
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
                action: e.action,
                target: e.target,
                detail: e.detail,
            })
            .collect(),
    ))
}
