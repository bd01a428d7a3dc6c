//! Where a staff view looks: the unit a request names (the session's scope by default), checked
//! against the session, with its path, breadcrumb and cells; the month and day it counts for.

use crate::AppState;
use crate::access::audit;
use crate::access::audit::AuditAction;
use crate::access::sessions::StaffSession;
use crate::error::ApiError;
use crate::storage::decode;
use crate::storage::tree::cell_kinds;
use hosync_core::access::{StaffAction, UnitPath};
use hosync_core::messages::Thing;
use hosync_core::{Day, Month, UnitId, UnitKind};
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

/// A unit as the views name it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UnitRef {
    pub id: String,
    pub name: String,
    /// Its kind's code (`district`, `commune_committee`, `cell`…).
    #[serde(serialize_with = "kind_code")]
    #[schema(value_type = String)]
    pub kind: UnitKind,
    /// What its level is called (huyện, xã, chi bộ thôn…).
    pub level_label: String,
}

fn kind_code<S: serde::Serializer>(kind: &UnitKind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(kind.code())
}

/// A unit looked at, with where it sits in the tree.
#[derive(Debug, Clone)]
pub struct Place {
    pub unit: UnitRef,
    pub path: UnitPath,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ViewQuery {
    /// The unit to look at; the session's scope when absent.
    pub unit: Option<String>,
    /// yyyy-mm; this month when absent.
    pub month: Option<String>,
    /// For the `history` table.
    pub household: Option<String>,
    /// `csv` or `xlsx` to download the table; JSON when absent.
    pub format: Option<String>,
}

pub fn unit_ref(row: &sqlx::any::AnyRow) -> Result<UnitRef, sqlx::Error> {
    Ok(UnitRef {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        kind: decode(UnitKind::parse(&row.try_get::<String, _>("kind")?))?,
        level_label: row.try_get("level_label")?,
    })
}

/// The unit a request names (the session's scope by default), if the session may see it.
pub async fn place(
    conn: &mut AnyConnection,
    session: &StaffSession,
    unit: Option<&str>,
) -> Result<Place, ApiError> {
    let id = match unit.map(str::trim).filter(|u| !u.is_empty()) {
        Some(raw) => UnitId::parse(raw).map_err(ApiError::bad)?,
        None => session.principal.scope.unit().ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!("the session's scope names no unit"))
        })?,
    };
    let what = Thing::Unit(id.to_string());
    let row = sqlx::query("SELECT id, name, kind, level_label, path FROM units WHERE id = $1")
        .bind(id.as_str())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| ApiError::unseen(what.clone()))?;
    let path = UnitPath::parse(&row.try_get::<String, _>("path")?)
        .map_err(|e| ApiError::Internal(e.into()))?;
    session
        .principal
        .may(StaffAction::ViewHouseholds, &path)
        .map_err(|d| ApiError::denied(d, what.clone()))?;
    Ok(Place {
        unit: unit_ref(&row)?,
        path,
    })
}

/// The units from the session's scope down to `place`, for a breadcrumb.
pub async fn breadcrumb(
    conn: &mut AnyConnection,
    session: &StaffSession,
    place: &Place,
) -> Result<Vec<UnitRef>, ApiError> {
    let scope_depth = session.principal.scope.as_str().matches('/').count();
    let ids: Vec<&str> = place
        .path
        .as_str()
        .trim_matches('/')
        .split('/')
        .skip(scope_depth.saturating_sub(2))
        .collect();
    let mut crumbs = Vec::with_capacity(ids.len());
    for id in ids {
        let row = sqlx::query("SELECT id, name, kind, level_label FROM units WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
        crumbs.push(unit_ref(&row)?);
    }
    Ok(crumbs)
}

pub fn month_of(state: &AppState, raw: Option<&str>) -> Result<Month, ApiError> {
    match raw.map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => Month::parse(m).map_err(ApiError::bad),
        None => Ok(Day::from_timestamp(state.now()).month()),
    }
}

/// The day counts are made on: today for this month, the month's last day for a past one.
pub fn as_of(state: &AppState, month: Month) -> Day {
    Day::from_timestamp(state.now()).min(month.last_day())
}

/// The cells under a path, as SQL to put after `cell_id IN`.
pub fn cells_under(param: &str) -> String {
    format!(
        "(SELECT id FROM units WHERE kind IN {} AND SUBSTR(path, 1, LENGTH({param})) = {param})",
        cell_kinds()
    )
}

/// Each cell's name and path under a scope path.
pub async fn cell_names(
    conn: &mut AnyConnection,
    scope: &str,
) -> Result<HashMap<String, (String, String)>, ApiError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT id, name, path FROM units WHERE kind IN {} AND SUBSTR(path, 1, LENGTH($1)) = $1",
        cell_kinds()
    )))
    .bind(scope)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, (r.try_get(1)?, r.try_get(2)?))))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(ApiError::from)
}

pub fn parse_day(raw: String) -> Option<Day> {
    Day::parse(&raw).ok()
}

/// Writes who read household data to the audit log before the data goes out, so that no read
/// goes unrecorded. `unit` is the cell read.
pub async fn record_read(
    state: &AppState,
    session: &StaffSession,
    action: AuditAction,
    target: &str,
    unit: &UnitId,
) -> Result<(), ApiError> {
    let mut conn = state.db.writer.acquire().await?;
    audit::record(
        &mut conn,
        state.now(),
        &session.actor(),
        action,
        target,
        "",
        Some(unit),
    )
    .await?;
    Ok(())
}
