//! Search for a household or member by name within the session's scope, diacritics ignored.

use super::places::cells_under;
use super::places::{UnitRef, place};
use crate::AppState;
use crate::access::audit;
use crate::access::audit::AuditAction;
use crate::access::sessions::StaffSession;
use crate::error::{ApiError, current_lang};
use axum::Json;
use axum::extract::{Query, State};
use hosync_core::domain::{fold_for_search, name_order};
use hosync_core::messages::Message;
use hosync_core::{MemberStatus, UnitId};
use serde::{Deserialize, Serialize};
use sqlx::Row;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Part of a name or a household's id, with or without diacritics.
    pub q: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HouseholdHit {
    pub id: String,
    pub head: String,
    pub village: String,
    pub cell: UnitRef,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MemberHit {
    pub id: String,
    pub name: String,
    pub status: String,
    pub status_label: String,
    pub cell: UnitRef,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SearchResults {
    pub households: Vec<HouseholdHit>,
    pub members: Vec<MemberHit>,
}

/// The most hits of each kind a search answers.
const MAX_HITS: usize = 50;

/// The longest search: a full name with room to spare.
const MAX_QUERY_CHARS: usize = 100;

/// `GET /api/v1/search?q=`: households (by head or id) and members (by name) in the session's
/// scope, with or without diacritics.
#[utoipa::path(
    get,
    path = "/search",
    tag = "views",
    security(("session" = [])),
    params(SearchQuery),
    responses((status = 200, description = "Households and members whose names match, within the scope", body = SearchResults)),
)]
pub async fn search(
    State(state): State<AppState>,
    session: StaffSession,
    Query(query): Query<SearchQuery>,
) -> Result<Json<SearchResults>, ApiError> {
    let raw = query.q.unwrap_or_default();
    if raw.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::BadRequest(Message::SearchTooLong {
            max: MAX_QUERY_CHARS,
        }));
    }
    let wanted = fold_for_search(raw.trim());
    let wanted = wanted.split_whitespace().collect::<Vec<_>>().join(" ");
    if wanted.chars().count() < 2 {
        return Err(ApiError::BadRequest(Message::SearchTooShort));
    }
    let mut conn = state.db.reader.acquire().await?;
    let place = place(&mut conn, &session, None).await?;
    let scope = place.path.as_str();
    let cell_of = |r: &sqlx::any::AnyRow| -> Result<UnitRef, sqlx::Error> {
        Ok(UnitRef {
            id: r.try_get("cell_id")?,
            name: r.try_get("cell_name")?,
            kind: crate::storage::decode(hosync_core::UnitKind::parse(
                &r.try_get::<String, _>("cell_kind")?,
            ))?,
            level_label: r.try_get("cell_level")?,
        })
    };
    let matches = |text: &str| {
        fold_for_search(text)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .contains(&wanted)
    };
    // Names are folded here rather than in SQL: neither database folds Vietnamese diacritics,
    // and a district's few thousand names fold in a few milliseconds.
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT h.household_id AS id, h.head AS head, h.village AS village, u.id AS cell_id, u.name AS cell_name, \
         u.kind AS cell_kind, u.level_label AS cell_level FROM household_view h JOIN units u ON u.id = h.cell_id \
         WHERE h.cell_id IN {}",
        cells_under("$1")
    )))
    .bind(scope)
    .fetch_all(&mut *conn)
    .await?;
    let mut households = Vec::new();
    for r in &rows {
        let head: String = r.try_get("head")?;
        let id: String = r.try_get("id")?;
        if matches(&head) || id.contains(&wanted) {
            households.push(HouseholdHit {
                id,
                head,
                village: r.try_get("village")?,
                cell: cell_of(r)?,
            });
        }
    }
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT r.member_id AS id, r.name AS name, r.status AS status, r.status_detail AS detail, u.id AS cell_id, \
         u.name AS cell_name, u.kind AS cell_kind, u.level_label AS cell_level \
         FROM roster_view r JOIN units u ON u.id = r.cell_id WHERE r.cell_id IN {}",
        cells_under("$1")
    )))
    .bind(scope)
    .fetch_all(&mut *conn)
    .await?;
    drop(conn);
    let mut members = Vec::new();
    for r in &rows {
        let name: String = r.try_get("name")?;
        if matches(&name) {
            let status = MemberStatus::parse(
                &r.try_get::<String, _>("status")?,
                &r.try_get::<String, _>("detail")?,
            )
            .map_err(|e| ApiError::Internal(e.into()))?;
            members.push(MemberHit {
                id: r.try_get("id")?,
                name,
                status: status.code().to_owned(),
                status_label: status.label(current_lang()).to_owned(),
                cell: cell_of(r)?,
            });
        }
    }
    households.sort_by_cached_key(|h| (name_order(&h.head), h.id.clone()));
    households.truncate(MAX_HITS);
    members.sort_by_cached_key(|m| (name_order(&m.name), m.id.clone()));
    members.truncate(MAX_HITS);
    let mut conn = state.db.writer.acquire().await?;
    audit::record(
        &mut conn,
        state.now(),
        &session.actor(),
        AuditAction::Search,
        &place.unit.id,
        &format!(
            "q={raw:?} households={} members={}",
            households.len(),
            members.len()
        ),
        UnitId::parse(&place.unit.id).ok().as_ref(),
    )
    .await?;
    Ok(Json(SearchResults {
        households,
        members,
    }))
}
