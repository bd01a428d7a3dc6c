//! The first staff read API (JSON), answered from projections: a cell's households and members,
//! and a summary per cell. One household's merged document is read from storage. Every request
//! needs a signed-in staff member whose scope holds what is asked for, and every read of
//! household data is written to the audit log.

use super::overview::{
    assigned_by_cell, households_by_cell, open_flag_counts, open_flags_by_cell, visited_by_cell,
};
use super::places::{as_of, cell_names, record_read};
use crate::AppState;
use crate::access::audit;
use crate::access::audit::Actor;
use crate::access::audit::AuditAction;
use crate::access::sessions::StaffSession;
use crate::error::{ApiError, current_lang};
use crate::openapi::{Forbidden, NotFound};
use crate::storage;
use axum::Json;
use axum::extract::{Path, Query, State};
use hosync_core::access::StaffAction;
use hosync_core::messages::{Message, Thing};
use hosync_core::{ClosedReason, Month, UnitId};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::HashMap;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HouseholdRow {
    pub id: String,
    pub head: String,
    pub village: String,
    pub people: i64,
    pub livelihood: String,
    #[schema(required = true)]
    pub assigned_member: Option<String>,
    #[schema(required = true)]
    pub assigned_name: Option<String>,
    /// The last visit, yyyy-mm-dd; empty if never visited.
    pub last_visit: String,
    pub open_flags: i64,
    pub conflicts: i64,
    /// The three most recent notes that are not deleted.
    pub latest_notes: Vec<NoteRow>,
    /// Set when the household was closed (moved away, merged): kept, looked after no more.
    #[schema(required = true)]
    pub closed: Option<ClosedRow>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClosedRow {
    /// yyyy-mm-dd.
    pub on: String,
    pub reason: String,
    /// The reason as people read it.
    pub reason_label: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NoteRow {
    pub id: String,
    pub date: String,
    pub author: String,
    pub text: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MemberRow {
    pub id: String,
    pub name: String,
    pub role: String,
    pub status: String,
    pub status_detail: String,
    pub households: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CellSummary {
    pub cell: String,
    pub name: String,
    pub households: i64,
    pub assigned: i64,
    pub visited_this_month: i64,
    pub open_flags: i64,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MonthQuery {
    /// yyyy-mm; this month by default.
    pub month: Option<String>,
}

fn unit_id(raw: &str) -> Result<UnitId, ApiError> {
    UnitId::parse(raw).map_err(ApiError::bad)
}

/// A cell the session may see the households of.
async fn visible_cell(
    state: &AppState,
    session: &StaffSession,
    raw: &str,
) -> Result<UnitId, ApiError> {
    let id = unit_id(raw)?;
    let what = Thing::Cell(id.to_string());
    let mut conn = state.db.reader.acquire().await?;
    // Whether a unit outside the scope is a cell is not for this caller to learn either.
    let path = storage::unit_path(&mut conn, &id)
        .await?
        .ok_or_else(|| ApiError::unseen(what.clone()))?;
    session
        .principal
        .may(StaffAction::ViewHouseholds, &path)
        .map_err(|d| ApiError::denied(d, what.clone()))?;
    match storage::unit(&mut conn, id.as_str()).await? {
        Some(unit) if unit.kind.holds_members() => Ok(id),
        Some(_) => Err(ApiError::BadRequest(Message::NotACell {
            unit: id.to_string(),
        })),
        None => Err(ApiError::unseen(what.clone())),
    }
}

/// `GET /api/v1/cells/{cell}/households`: the cell's households, each with who looks after
/// it, its last visit, open flags, conflicts and latest notes.
#[utoipa::path(
    get,
    path = "/cells/{cell}/households",
    tag = "views",
    security(("session" = [])),
    params(("cell" = String, Path, description = "The cell's id")),
    responses(
        (status = 200, description = "The cell's households, with their last visit and latest notes", body = Vec<HouseholdRow>),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
)]
pub async fn cell_households(
    State(state): State<AppState>,
    session: StaffSession,
    Path(cell): Path<String>,
) -> Result<Json<Vec<HouseholdRow>>, ApiError> {
    let cell = visible_cell(&state, &session, &cell).await?;
    let mut conn = state.db.reader.acquire().await?;
    let rows = sqlx::query(
        "SELECT h.household_id, h.head, h.village, h.people, h.livelihood, a.member_id, m.name, h.last_visit, h.open_flags, h.conflicts, \
         h.closed_on, h.closed_reason \
         FROM household_view h LEFT JOIN assignment_view a ON a.household_id = h.household_id \
         LEFT JOIN members m ON m.id = a.member_id WHERE h.cell_id = $1 ORDER BY h.household_id",
    )
    .bind(cell.as_str())
    .fetch_all(&mut *conn)
    .await?;
    let notes = sqlx::query(
        "SELECT household_id, note_id, day, author, body FROM note_view WHERE cell_id = $1 AND deleted = 0 \
         ORDER BY household_id, day DESC, created_at DESC",
    )
    .bind(cell.as_str())
    .fetch_all(&mut *conn)
    .await?;
    let mut households = Vec::with_capacity(rows.len());
    for r in rows {
        let closed_on: String = r.try_get(10)?;
        let closed_reason: String = r.try_get(11)?;
        let closed = if closed_on.is_empty() {
            None
        } else {
            // The projection stores only codes core wrote; an unknown one is shown as it is.
            let reason_label = ClosedReason::parse(&closed_reason)
                .map(|reason| reason.label(current_lang()).to_owned())
                .unwrap_or_else(|_| closed_reason.clone());
            Some(ClosedRow {
                on: closed_on,
                reason: closed_reason,
                reason_label,
            })
        };
        households.push(HouseholdRow {
            closed,
            id: r.try_get(0)?,
            head: r.try_get(1)?,
            village: r.try_get(2)?,
            people: r.try_get(3)?,
            livelihood: r.try_get(4)?,
            assigned_member: r.try_get(5)?,
            assigned_name: r.try_get(6)?,
            last_visit: r.try_get(7)?,
            open_flags: r.try_get(8)?,
            conflicts: r.try_get(9)?,
            latest_notes: Vec::new(),
        });
    }
    for n in notes {
        let household: String = n.try_get(0)?;
        if let Ok(i) = households.binary_search_by(|h| h.id.as_str().cmp(household.as_str()))
            && households[i].latest_notes.len() < 3
        {
            households[i].latest_notes.push(NoteRow {
                id: n.try_get(1)?,
                date: n.try_get(2)?,
                author: n.try_get(3)?,
                text: n.try_get(4)?,
            });
        }
    }
    drop(conn);
    record_read(
        &state,
        &session,
        AuditAction::ReadHouseholds,
        cell.as_str(),
        &cell,
    )
    .await?;
    Ok(Json(households))
}

/// `GET /api/v1/cells/{cell}/members`: the cell's members, their status and households.
#[utoipa::path(
    get,
    path = "/cells/{cell}/members",
    tag = "views",
    security(("session" = [])),
    params(("cell" = String, Path, description = "The cell's id")),
    responses(
        (status = 200, description = "The cell's members and how many households each looks after", body = Vec<MemberRow>),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
)]
pub async fn cell_members(
    State(state): State<AppState>,
    session: StaffSession,
    Path(cell): Path<String>,
) -> Result<Json<Vec<MemberRow>>, ApiError> {
    let cell = visible_cell(&state, &session, &cell).await?;
    let mut conn = state.db.reader.acquire().await?;
    let rows = sqlx::query(
        "SELECT m.id, m.name, COALESCE(r.role, m.role), COALESCE(r.status, 'active'), COALESCE(r.status_detail, ''), \
         (SELECT COUNT(*) FROM assignment_view a WHERE a.member_id = m.id) \
         FROM members m LEFT JOIN roster_view r ON r.member_id = m.id WHERE m.cell_id = $1",
    )
    .bind(cell.as_str())
    .fetch_all(&mut *conn)
    .await?;
    let mut members = rows
        .into_iter()
        .map(|r| {
            Ok(MemberRow {
                id: r.try_get(0)?,
                name: r.try_get(1)?,
                role: r.try_get(2)?,
                status: r.try_get(3)?,
                status_detail: r.try_get(4)?,
                households: r.try_get(5)?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    // Vietnamese lists sort by given name.
    members.sort_by_cached_key(|m| hosync_core::domain::name_order(&m.name));
    Ok(Json(members))
}

/// `GET /api/v1/summary?month=`: each cell within the session's scope: households, assigned,
/// visited in the month and open flags.
///
/// Counted by the overview's own queries, so that the two never give a cell different numbers.
#[utoipa::path(
    get,
    path = "/summary",
    tag = "views",
    security(("session" = [])),
    params(MonthQuery),
    responses(
        (status = 200, description = "Each cell within the scope, counted for the month", body = Vec<CellSummary>),
        (status = 403, response = Forbidden),
    ),
)]
pub async fn summary(
    State(state): State<AppState>,
    session: StaffSession,
    Query(query): Query<MonthQuery>,
) -> Result<Json<Vec<CellSummary>>, ApiError> {
    let scope = &session.principal.scope;
    session.principal.may(StaffAction::ViewHouseholds, scope)?;
    let month = match query.month {
        Some(m) => Month::parse(&m).map_err(ApiError::bad)?,
        None => hosync_core::Day::from_timestamp(state.now()).month(),
    };
    let today = as_of(&state, month);
    let pool = &state.db.reader;
    let mut names: Vec<(String, String)> = {
        let mut conn = pool.acquire().await?;
        cell_names(&mut conn, scope.as_str())
            .await?
            .into_iter()
            .map(|(id, (name, _path))| (id, name))
            .collect()
    };
    names.sort();
    let (households, assigned, visited, flags) = tokio::try_join!(
        households_by_cell(pool, scope),
        assigned_by_cell(pool, scope),
        visited_by_cell(pool, scope, month),
        open_flag_counts(pool, scope, today),
    )?;
    let open_flags = open_flags_by_cell(&flags);
    let count = |counts: &HashMap<String, i64>, cell: &str| counts.get(cell).copied().unwrap_or(0);
    let cells = names
        .into_iter()
        .map(|(cell, name)| CellSummary {
            households: count(&households, &cell),
            assigned: count(&assigned, &cell),
            visited_this_month: count(&visited, &cell),
            open_flags: count(&open_flags, &cell),
            cell,
            name,
        })
        .collect();
    Ok(Json(cells))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RefusalRow {
    pub id: i64,
    pub doc: String,
    pub holder: String,
    pub device: String,
    pub reason: String,
    /// What the refused edit would have done, in words.
    pub summary: String,
    pub received_at: i64,
}

/// `GET /api/v1/cells/{cell}/refusals`: edits the server refused from this cell's phones, so
/// that the secretary sees what a member wrote after losing the right to, and can act on it.
#[utoipa::path(
    get,
    path = "/cells/{cell}/refusals",
    tag = "views",
    security(("session" = [])),
    params(("cell" = String, Path, description = "The cell's id")),
    responses(
        (status = 200, description = "The edits refused from the cell's phones, oldest first", body = Vec<RefusalRow>),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
)]
pub async fn refusals(
    State(state): State<AppState>,
    session: StaffSession,
    Path(cell): Path<String>,
) -> Result<Json<Vec<RefusalRow>>, ApiError> {
    let cell = UnitId::parse(&cell).map_err(ApiError::bad)?;
    let what = Thing::Cell(cell.to_string());
    let mut conn = state.db.reader.acquire().await?;
    let path = storage::unit_path(&mut conn, &cell)
        .await?
        .ok_or_else(|| ApiError::unseen(what.clone()))?;
    session
        .principal
        .may(StaffAction::ViewHouseholds, &path)
        .map_err(|d| ApiError::denied(d, what.clone()))?;
    let rows = sqlx::query(
        "SELECT id, doc_id, member_id, device_id, reason, summary, received_at FROM refusals \
         WHERE unit_id = $1 ORDER BY id",
    )
    .bind(cell.as_str())
    .fetch_all(&mut *conn)
    .await?;
    let refusals = rows
        .iter()
        .map(|r| {
            Ok(RefusalRow {
                id: r.try_get(0)?,
                doc: r.try_get(1)?,
                holder: r.try_get(2)?,
                device: r.try_get(3)?,
                reason: r.try_get(4)?,
                summary: r.try_get(5)?,
                received_at: r.try_get(6)?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    audit::record(
        &mut conn,
        state.now(),
        &Actor::User(session.login.clone()),
        AuditAction::ReadRefusals,
        cell.as_str(),
        "",
        Some(&cell),
    )
    .await?;
    Ok(Json(refusals))
}
