//! Changes to the organisation over HTTP, for staff signed in to the dashboard.

use crate::openapi::{Conflict, Forbidden, NotFound};
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hosync_core::messages::{Message, Thing};
use hosync_core::{Day, HouseholdId, MemberId, MemberStatus, OrgUnit, Role, UnitId, UnitKind};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::access::accounts::By;
use crate::access::sessions::StaffSession;
use crate::error::{ApiError, current_lang};
use crate::org::changes::{self, HouseholdEntry, MemberEntry, OrgError};

impl From<OrgError> for ApiError {
    fn from(e: OrgError) -> Self {
        match e {
            OrgError::Invalid(m) => ApiError::BadRequest(m),
            OrgError::Id(e) => ApiError::bad(e),
            OrgError::NotFound(what) => ApiError::unseen(what.clone()),
            OrgError::Exists(m) => ApiError::Conflict(m),
            OrgError::Denied(d) => ApiError::denied(d, Thing::Unnamed),
            OrgError::Db(e) => ApiError::Internal(e.into()),
            OrgError::Internal(e) => ApiError::Internal(e),
        }
    }
}

fn bad(field: &str) -> impl Fn(hosync_core::IdError) -> ApiError + '_ {
    move |e| {
        ApiError::BadRequest(Message::InField {
            field: field.to_owned(),
            message: Box::new(e.into()),
        })
    }
}

/// The day a change takes effect: the one given, else today (Vietnam time).
fn day_or_today(raw: Option<&str>, state: &AppState) -> Result<Day, ApiError> {
    match raw {
        Some(raw) => Day::parse(raw).map_err(|e| {
            ApiError::BadRequest(Message::InField {
                field: "on".into(),
                message: Box::new(e.into()),
            })
        }),
        None => Ok(Day::from_timestamp(state.now())),
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewUnitBody {
    pub id: String,
    pub parent: String,
    /// `commune`, `cell`, … (core's unit kinds).
    pub kind: String,
    /// How the level is called, e.g. "xã" or "chi bộ thôn".
    pub level_label: String,
    pub name: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UnitAdded {
    pub id: String,
    pub parent: String,
}

/// A coded value the organisation's forms offer: its code and what people read.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Choice {
    pub code: &'static str,
    pub label: &'static str,
}

/// The values the organisation's forms offer, from core's coded values, so that no page keeps
/// its own list of them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Choices {
    /// Kinds of unit that sit under another (the top unit is made by `hosync init`).
    pub unit_kinds: Vec<Choice>,
    pub member_roles: Vec<Choice>,
}

/// `GET /api/v1/org/choices`: what the forms offer, for any signed-in staff member.
#[utoipa::path(
    get,
    path = "/org/choices",
    tag = "organisation",
    security(("session" = [])),
    responses((status = 200, description = "The unit kinds and member roles the forms offer", body = Choices)),
)]
pub async fn choices(_session: StaffSession) -> Json<Choices> {
    let choice = |code, label| Choice { code, label };
    Json(Choices {
        unit_kinds: UnitKind::ALL
            .iter()
            .filter(|k| !matches!(k, UnitKind::Province | UnitKind::District))
            .map(|k| choice(k.code(), k.label(current_lang())))
            .collect(),
        member_roles: Role::ALL
            .iter()
            .map(|r| choice(r.code(), r.label(current_lang())))
            .collect(),
    })
}

/// `POST /api/v1/org/units`: adds a unit (a commune, a cell…) under one in the caller's scope.
#[utoipa::path(
    post,
    path = "/org/units",
    tag = "organisation",
    security(("session" = [], "csrf" = [])),
    request_body = NewUnitBody,
    responses(
        (status = 201, description = "The unit, added", body = UnitAdded),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    ),
)]
pub async fn add_unit(
    State(state): State<AppState>,
    session: StaffSession,
    body: Result<Json<NewUnitBody>, JsonRejection>,
) -> Result<(StatusCode, Json<UnitAdded>), ApiError> {
    let Json(body) = body?;
    let kind = UnitKind::parse(&body.kind).map_err(ApiError::bad)?;
    let unit = OrgUnit::new(
        &body.id,
        Some(&body.parent),
        kind,
        body.level_label.trim(),
        body.name.trim(),
    )
    .map_err(bad("unit"))?;
    let mut tx = state.db.begin_log_write().await?;
    changes::add_unit(&mut tx, By::Staff(&session), &unit, state.now()).await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(UnitAdded {
            id: body.id,
            parent: body.parent,
        }),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewMemberBody {
    pub id: String,
    pub cell: String,
    pub name: String,
    /// A role in the cell (`member`, `secretary`, …); `member` when absent.
    pub role: Option<String>,
    /// `active`, `working_away` or `exempt`; `active` when absent.
    pub status: Option<String>,
    /// Where they work, or why they are exempt.
    pub status_detail: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MemberAdded {
    pub id: String,
    pub cell: String,
    pub name: String,
    pub role: String,
}

/// `POST /api/v1/org/members`: adds a member to a cell.
#[utoipa::path(
    post,
    path = "/org/members",
    tag = "organisation",
    security(("session" = [], "csrf" = [])),
    request_body = NewMemberBody,
    responses(
        (status = 201, description = "The member, added", body = MemberAdded),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    ),
)]
pub async fn add_member(
    State(state): State<AppState>,
    session: StaffSession,
    body: Result<Json<NewMemberBody>, JsonRejection>,
) -> Result<(StatusCode, Json<MemberAdded>), ApiError> {
    let Json(body) = body?;
    let role = match body.role.as_deref() {
        None | Some("") => Role::Member,
        Some(raw) => Role::parse(raw).map_err(ApiError::bad)?,
    };
    let status = MemberStatus::parse(
        body.status.as_deref().unwrap_or("active"),
        body.status_detail.as_deref().unwrap_or(""),
    )
    .map_err(ApiError::bad)?;
    let entry = MemberEntry {
        id: MemberId::parse(&body.id).map_err(bad("id"))?,
        cell: UnitId::parse(&body.cell).map_err(bad("cell"))?,
        name: body.name.trim().to_owned(),
        role,
        status,
    };
    let mut tx = state.db.begin_log_write().await?;
    changes::add_member(&mut tx, By::Staff(&session), &entry, state.now()).await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(MemberAdded {
            id: entry.id.to_string(),
            cell: entry.cell.to_string(),
            name: entry.name,
            role: entry.role.code().to_owned(),
        }),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct TransferBody {
    /// The cell they move to.
    pub cell: String,
    /// From when (YYYY-MM-DD); today when absent.
    pub on: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TransferDone {
    pub member: String,
    pub from: String,
    pub to: String,
    pub households_left: Vec<String>,
    pub reports: usize,
}

/// `POST /api/v1/org/members/{id}/transfer`: transfers a member to another cell.
#[utoipa::path(
    post,
    path = "/org/members/{id}/transfer",
    tag = "organisation",
    security(("session" = [], "csrf" = [])),
    params(("id" = String, Path, description = "The member's id")),
    request_body = TransferBody,
    responses(
        (status = 200, description = "Transferred: the households they leave and the reports moved", body = TransferDone),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
)]
pub async fn transfer_member(
    State(state): State<AppState>,
    session: StaffSession,
    Path(id): Path<String>,
    body: Result<Json<TransferBody>, JsonRejection>,
) -> Result<Json<TransferDone>, ApiError> {
    let Json(body) = body?;
    let member = MemberId::parse(&id).map_err(bad("member"))?;
    let to = UnitId::parse(&body.cell).map_err(bad("cell"))?;
    let on = day_or_today(body.on.as_deref(), &state)?;
    let mut tx = state.db.begin_log_write().await?;
    let done =
        changes::transfer_member(&mut tx, By::Staff(&session), &member, &to, on, state.now())
            .await?;
    tx.commit().await?;
    Ok(Json(TransferDone {
        member: member.to_string(),
        from: done.from.to_string(),
        to: to.to_string(),
        households_left: done
            .households_left
            .iter()
            .map(ToString::to_string)
            .collect(),
        reports: done.reports,
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewHouseholdBody {
    /// The household's code; one is made when absent.
    pub id: Option<String>,
    pub cell: String,
    pub head: String,
    pub village: String,
    pub people: u32,
    #[serde(default)]
    pub livelihood: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HouseholdAdded {
    pub id: String,
    pub cell: String,
}

/// `POST /api/v1/org/households`: adds a household to a cell, unassigned.
#[utoipa::path(
    post,
    path = "/org/households",
    tag = "organisation",
    security(("session" = [], "csrf" = [])),
    request_body = NewHouseholdBody,
    responses(
        (status = 201, description = "The household, added unassigned", body = HouseholdAdded),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    ),
)]
pub async fn add_household(
    State(state): State<AppState>,
    session: StaffSession,
    body: Result<Json<NewHouseholdBody>, JsonRejection>,
) -> Result<(StatusCode, Json<HouseholdAdded>), ApiError> {
    let Json(body) = body?;
    let id = match body.id.as_deref() {
        None | Some("") => HouseholdId::random(),
        Some(raw) => HouseholdId::parse(raw).map_err(bad("id"))?,
    };
    let entry = HouseholdEntry {
        id,
        cell: UnitId::parse(&body.cell).map_err(bad("cell"))?,
        head: body.head.trim().to_owned(),
        village: body.village.trim().to_owned(),
        people: body.people,
        livelihood: body.livelihood.trim().to_owned(),
    };
    let mut tx = state.db.begin_log_write().await?;
    changes::add_household(&mut tx, By::Staff(&session), &entry, state.now()).await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(HouseholdAdded {
            id: entry.id.to_string(),
            cell: entry.cell.to_string(),
        }),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct MoveBody {
    pub cell: String,
    pub on: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MoveDone {
    pub household: String,
    pub from: String,
    pub to: String,
}

/// `POST /api/v1/org/households/{id}/move`: moves a household to another cell.
#[utoipa::path(
    post,
    path = "/org/households/{id}/move",
    tag = "organisation",
    security(("session" = [], "csrf" = [])),
    params(("id" = String, Path, description = "The household's id")),
    request_body = MoveBody,
    responses(
        (status = 200, description = "Moved", body = MoveDone),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
)]
pub async fn move_household(
    State(state): State<AppState>,
    session: StaffSession,
    Path(id): Path<String>,
    body: Result<Json<MoveBody>, JsonRejection>,
) -> Result<Json<MoveDone>, ApiError> {
    let Json(body) = body?;
    let household = HouseholdId::parse(&id).map_err(bad("household"))?;
    let to = UnitId::parse(&body.cell).map_err(bad("cell"))?;
    let on = day_or_today(body.on.as_deref(), &state)?;
    let mut tx = state.db.begin_log_write().await?;
    let from = changes::move_household(
        &mut tx,
        By::Staff(&session),
        &household,
        &to,
        on,
        state.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(MoveDone {
        household: household.to_string(),
        from: from.to_string(),
        to: to.to_string(),
    }))
}
