//! Phones over HTTP: a phone exchanges its enrolment code for a token; staff issue codes (with a
//! QR code to scan), list and revoke devices, and see the edits refused at sync.

use crate::access::audit::AuditAction;
use crate::openapi::{Forbidden, NotFound, TooManyRequests};
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use hosync_core::access::StaffAction;
use hosync_core::domain::check_plain_text;
use hosync_core::messages::{Message, Paused, Thing};
use hosync_core::protocol::ErrorBody;
use hosync_core::protocol::{EnrolRequest, Enrolment};
use hosync_core::{DeviceId, UnitId};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::access::audit::{self, Actor};
use crate::access::devices::{self, EnrolError, Holder};
use crate::access::sessions::StaffSession;
use crate::access::throttle::{self, ClientAddress};
use crate::error::ApiError;
use crate::storage;

/// The counter of enrolment attempts from one address, which failures use up.
const ENROL: &str = "enrol";

/// `POST /api/v1/enrol`: a phone's code for its token. No session: the code is the credential,
/// so guessing codes is throttled per client address, counted before the code is checked.
#[utoipa::path(
    post,
    path = "/enrol",
    tag = "phones",
    request_body = EnrolRequest,
    responses(
        (status = 200, description = "The phone's identity, device token and keys", body = Enrolment),
        (status = 403, description = "A wrong, spent or expired code (`forbidden`)", body = ErrorBody),
        (status = 429, response = TooManyRequests),
    ),
)]
pub async fn enrol(
    State(state): State<AppState>,
    address: ClientAddress,
    body: Result<Json<EnrolRequest>, JsonRejection>,
) -> Result<Json<Enrolment>, ApiError> {
    let Json(request) = body?;
    let label = check_plain_text("label", &request.label, devices::MAX_LABEL_CHARS)
        .map_err(ApiError::BadRequest)?;
    let now = state.now();
    let actor = match request.actor.trim() {
        "" => None,
        hex => Some(automerge::ActorId::try_from(hex).map_err(|_| {
            ApiError::BadRequest(Message::ActorNotHex {
                actor: hex.to_owned(),
            })
        })?),
    };
    let limit = state.settings.enrol_limit;
    let subject = address.to_string();
    let count = match throttle::count_guess(&state.db, ENROL, &subject, limit, now).await? {
        Ok(count) => count,
        Err(paused) => {
            return Err(ApiError::TooManyRequests {
                message: Message::TooManyTries {
                    what: Paused::Enrolment,
                    until: audit::vi_time(paused.resets_at),
                    minutes: paused.minutes(),
                },
                retry_after: paused.wait,
            });
        }
    };

    let mut tx = state.db.begin_write().await?;
    let enrolment = match devices::redeem(&mut tx, &request.code, &label, actor.as_ref(), now).await
    {
        Ok(enrolment) => enrolment,
        Err(EnrolError::Db(e)) => return Err(e.into()),
        Err(refused) => {
            tx.rollback().await?;
            if count.last(limit) {
                let detail = format!(
                    "{} wrong enrolment codes within {} min: enrolment from this address is paused until {}",
                    limit.max,
                    limit.window / 60,
                    audit::vi_time(count.resets_at)
                );
                audit::record_pause(&state.db, now, &subject, AuditAction::EnrolPaused, &detail)
                    .await?;
            }
            return Err(ApiError::Forbidden(refused.message()));
        }
    };
    // A code that worked was no guess: it is taken off the count.
    throttle::uncount(&mut tx, ENROL, &subject).await?;
    throttle::sweep(&mut tx, state.db.backend, now).await?;
    tx.commit().await?;
    Ok(Json(enrolment))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CodeRequest {
    /// A member id, or a staff login.
    pub holder: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IssuedCode {
    pub code: String,
    pub holder: String,
    pub expires_at: i64,
    /// The code as a QR code, an SVG image to show on screen or print.
    pub qr_svg: String,
}

/// The holder named in a request, if the session may enrol phones for them: within its scope
/// (outside it, and unknown, answer alike) and not above its own role.
async fn enrollable_holder(
    state: &AppState,
    session: &StaffSession,
    name: &str,
) -> Result<Holder, ApiError> {
    let what = Thing::Holder(name.to_owned());
    let mut conn = state.db.reader.acquire().await?;
    let holder = devices::find_holder(&mut conn, name)
        .await?
        .ok_or_else(|| ApiError::unseen(what.clone()))?;
    let info = devices::holder_info(&mut conn, &holder)
        .await?
        .ok_or_else(|| ApiError::unseen(what.clone()))?;
    session
        .principal
        .may_act_for(
            StaffAction::Enrol,
            info.principal.role,
            &info.principal.scope,
        )
        .map_err(|d| ApiError::denied(d, what.clone()))?;
    Ok(holder)
}

/// `POST /api/v1/enrolments`: a one-time code for a member's (or staff account's) phone.
#[utoipa::path(
    post,
    path = "/enrolments",
    tag = "phones",
    security(("session" = [], "csrf" = [])),
    request_body = CodeRequest,
    responses(
        (status = 200, description = "A one-time enrolment code and its QR code", body = IssuedCode),
        (status = 404, response = NotFound),
    ),
)]
pub async fn issue_code(
    State(state): State<AppState>,
    session: StaffSession,
    body: Result<Json<CodeRequest>, JsonRejection>,
) -> Result<Json<IssuedCode>, ApiError> {
    let Json(request) = body?;
    let holder = enrollable_holder(&state, &session, request.holder.trim()).await?;
    let now = state.now();
    let tx = state.db.begin_write().await?;
    issue_and_answer(&state, tx, &holder, Actor::User(session.login.clone()), now).await
}

/// Issues `holder` a code in `tx`, commits, and answers as every route that issues one code.
async fn issue_and_answer(
    state: &AppState,
    mut tx: sqlx::Transaction<'static, sqlx::Any>,
    holder: &Holder,
    by: Actor,
    now: i64,
) -> Result<Json<IssuedCode>, ApiError> {
    let ttl = state.settings.enrolment_ttl;
    let code = devices::issue_code(&mut tx, holder, &by, now, ttl).await?;
    tx.commit().await?;
    Ok(Json(IssuedCode {
        qr_svg: qr_svg(&code)?,
        code,
        holder: holder.to_string(),
        expires_at: now + ttl,
    }))
}

/// A code as a QR image the phone's camera reads.
pub fn qr_svg(code: &str) -> Result<String, ApiError> {
    let qr = devices::enrolment_qr(code)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("QR code: {e}")))?;
    Ok(qr
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .build())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnitQuery {
    /// A unit within the caller's scope; the whole scope when absent.
    pub unit: Option<String>,
}

/// `GET /api/v1/devices?unit=`: the devices within the caller's scope (or a unit of it).
#[utoipa::path(
    get,
    path = "/devices",
    tag = "phones",
    operation_id = "list_devices",
    security(("session" = [])),
    params(UnitQuery),
    responses(
        (status = 200, description = "The devices within the caller's scope, or the unit's", body = Vec<devices::DeviceRow>),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    session: StaffSession,
    Query(query): Query<UnitQuery>,
) -> Result<Json<Vec<devices::DeviceRow>>, ApiError> {
    let mut conn = state.db.reader.acquire().await?;
    let path = match query.unit {
        Some(unit) => {
            let unit = UnitId::parse(&unit).map_err(ApiError::bad)?;
            let what = Thing::Unit(unit.to_string());
            let path = storage::unit_path(&mut conn, &unit)
                .await?
                .ok_or_else(|| ApiError::unseen(what.clone()))?;
            session
                .principal
                .may(StaffAction::ManageDevices, &path)
                .map_err(|d| ApiError::denied(d, what.clone()))?;
            path
        }
        None => {
            session
                .principal
                .may(StaffAction::ManageDevices, &session.principal.scope)?;
            session.principal.scope.clone()
        }
    };
    let rows = devices::list(
        &mut conn,
        Some(&path),
        state.now(),
        state.settings.lock_after,
    )
    .await?;
    Ok(Json(rows))
}

/// `POST /api/v1/devices/{id}/revoke`: a lost phone; its next contact erases it.
#[utoipa::path(
    post,
    path = "/devices/{id}/revoke",
    tag = "phones",
    operation_id = "revoke_device",
    security(("session" = [], "csrf" = [])),
    params(("id" = String, Path, description = "The device's id")),
    responses(
        (status = 200, description = "Revoked: the phone erases its data at its next contact", body = DeviceRevoked),
        (status = 404, response = NotFound),
    ),
)]
pub async fn revoke(
    State(state): State<AppState>,
    session: StaffSession,
    Path(id): Path<String>,
) -> Result<Json<DeviceRevoked>, ApiError> {
    let device = DeviceId::parse(&id).map_err(ApiError::bad)?;
    let what = Thing::Device(device.to_string());
    let mut tx = state.db.begin_write().await?;
    let holder = devices::device_holder(&mut tx, &device)
        .await?
        .ok_or_else(|| ApiError::unseen(what.clone()))?;
    session
        .principal
        .may_act_for(
            StaffAction::ManageDevices,
            holder.principal.role,
            &holder.principal.scope,
        )
        .map_err(|d| ApiError::denied(d, what.clone()))?;
    let revoked = devices::revoke(
        &mut tx,
        &device,
        &Actor::User(session.login.clone()),
        state.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(DeviceRevoked {
        device: device.to_string(),
        revoked,
    }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeviceRevoked {
    pub device: String,
    /// False when it was revoked already.
    pub revoked: bool,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CellRequest {
    pub cell: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SheetCode {
    pub member: String,
    pub name: String,
    pub code: String,
    pub expires_at: i64,
    /// dd/mm/yyyy HH:MM in Vietnam.
    pub expires: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SheetMember {
    pub member: String,
    pub name: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SheetCell {
    pub id: String,
    pub name: String,
}

/// The enrolment sheet of a cell: a code for every member with no phone yet.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EnrolmentSheet {
    pub cell: SheetCell,
    pub codes: Vec<SheetCode>,
    /// Members who hold an active phone already, so got no code.
    pub enrolled: Vec<SheetMember>,
}

/// `POST /api/v1/enrolments/cell {"cell": …}`: one-time codes for every member of a cell who
/// has no phone yet (none enrolled, or every one revoked), for the printed sheet handed out at
/// the cell meeting. Each code is checked as one code would be (within the scope, never for a
/// role above the caller's).
#[utoipa::path(
    post,
    path = "/enrolments/cell",
    tag = "phones",
    security(("session" = [], "csrf" = [])),
    request_body = CellRequest,
    responses(
        (status = 200, description = "The cell's enrolment sheet", body = EnrolmentSheet),
        (status = 404, response = NotFound),
    ),
)]
pub async fn issue_cell_codes(
    State(state): State<AppState>,
    session: StaffSession,
    body: Result<Json<CellRequest>, JsonRejection>,
) -> Result<Json<EnrolmentSheet>, ApiError> {
    let Json(request) = body?;
    let cell = UnitId::parse(request.cell.trim()).map_err(ApiError::bad)?;
    let what = Thing::Cell(cell.to_string());
    let now = state.now();
    let ttl = state.settings.enrolment_ttl;
    let mut tx = state.db.begin_write().await?;
    let path = storage::unit_path(&mut tx, &cell)
        .await?
        .ok_or_else(|| ApiError::unseen(what.clone()))?;
    session
        .principal
        .may(StaffAction::Enrol, &path)
        .map_err(|d| ApiError::denied(d, what.clone()))?;
    let name: String = sqlx::Row::try_get(
        &sqlx::query("SELECT name FROM units WHERE id = $1")
            .bind(cell.as_str())
            .fetch_one(&mut *tx)
            .await?,
        0,
    )?;
    let members = sqlx::query(
        "SELECT m.id, m.name, EXISTS (SELECT 1 FROM devices d WHERE d.member_id = m.id \
         AND d.revoked_at IS NULL) FROM members m WHERE m.cell_id = $1 AND m.disabled_at IS NULL \
         ORDER BY m.id",
    )
    .bind(cell.as_str())
    .fetch_all(&mut *tx)
    .await?;
    let mut sheet = EnrolmentSheet {
        cell: SheetCell {
            id: cell.to_string(),
            name,
        },
        codes: Vec::new(),
        enrolled: Vec::new(),
    };
    let by = Actor::User(session.login.clone());
    for row in members {
        use sqlx::Row;
        let id: String = row.try_get(0)?;
        let name: String = row.try_get(1)?;
        // SQLite answers EXISTS as an integer, PostgreSQL as a boolean.
        let has_phone = row
            .try_get::<bool, _>(2)
            .or_else(|_| row.try_get::<i64, _>(2).map(|n| n != 0))?;
        if has_phone {
            sheet.enrolled.push(SheetMember { member: id, name });
            continue;
        }
        let holder = Holder::Member(
            hosync_core::MemberId::parse(&id).map_err(|e| ApiError::Internal(e.into()))?,
        );
        let info = devices::holder_info(&mut tx, &holder)
            .await?
            .ok_or_else(|| ApiError::unseen(what.clone()))?;
        session
            .principal
            .may_act_for(StaffAction::Enrol, info.principal.role, &path)
            .map_err(|d| ApiError::denied(d, what.clone()))?;
        let code = devices::issue_code(&mut tx, &holder, &by, now, ttl).await?;
        sheet.codes.push(SheetCode {
            member: id,
            name,
            code,
            expires_at: now + ttl,
            expires: audit::vi_time(now + ttl),
        });
    }
    tx.commit().await?;
    Ok(Json(sheet))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PhoneCodeRequest {
    /// The member of the secretary's cell whose phone is to be enrolled.
    pub member: String,
}

/// `POST /api/v1/phone/enrolments {"member": …}`: a secretary's phone, online, issues a code
/// for a member of their own cell. The phone authenticates with its device token
/// (`Authorization: Bearer …`); core's rules decide as for staff (a member's phone may not).
#[utoipa::path(
    post,
    path = "/phone/enrolments",
    tag = "phones",
    security(("device" = [])),
    request_body = PhoneCodeRequest,
    responses(
        (status = 200, description = "A one-time enrolment code and its QR code", body = IssuedCode),
        (status = 404, response = NotFound),
    ),
)]
pub async fn issue_code_from_phone(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    body: Result<Json<PhoneCodeRequest>, JsonRejection>,
) -> Result<Json<IssuedCode>, ApiError> {
    let Json(request) = body?;
    let what = Thing::Member(request.member.trim().to_owned());
    let member = hosync_core::MemberId::parse(request.member.trim()).map_err(ApiError::bad)?;
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let auth = phone_auth(&mut tx, &headers).await?;
    let holder = Holder::Member(member);
    let info = devices::holder_info(&mut tx, &holder)
        .await?
        .ok_or_else(|| ApiError::unseen(what.clone()))?;
    auth.info
        .principal
        .may_act_for(
            StaffAction::Enrol,
            info.principal.role,
            &info.principal.scope,
        )
        .map_err(|d| ApiError::denied(d, what.clone()))?;
    let by = Actor::Device(auth.device.to_string());
    issue_and_answer(&state, tx, &holder, by, now).await
}

/// The phone whose device token a request carries (`Authorization: Bearer …`), refused when it
/// was revoked or its holder disabled.
pub async fn phone_auth(
    conn: &mut sqlx::AnyConnection,
    headers: &axum::http::HeaderMap,
) -> Result<devices::DeviceAuth, ApiError> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::Unauthorized(Message::BearerMissing))?;
    let auth = devices::authenticate(conn, token)
        .await?
        .ok_or_else(|| ApiError::Unauthorized(Message::NotEnrolled))?;
    if auth.must_wipe() {
        return Err(ApiError::Forbidden(Message::PhoneRevoked));
    }
    Ok(auth)
}
