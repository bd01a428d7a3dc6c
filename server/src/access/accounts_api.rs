//! Staff accounts over HTTP: list, add, change a role, disable an account or a member.

use crate::access::accounts::{
    AccountError, By, Login, NewUser, ResetError, User, add_user, disable_member, disable_user,
    enable_member, enable_user, issue_reset_code, list_users, reset_password, set_role,
};
use crate::access::audit::{self, AuditAction};
use crate::access::throttle::{self, ClientAddress};
use crate::openapi::{Conflict, Forbidden, NotFound, TooManyRequests};
use hosync_core::messages::{Message, Paused, Thing};
use hosync_core::protocol::ErrorBody;

use crate::AppState;
use crate::access::sessions::StaffSession;
use crate::error::{ApiError, current_lang};
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hosync_core::access::AccessRole;
use hosync_core::{MemberId, UnitId};
use serde::{Deserialize, Serialize};

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Invalid(m) => ApiError::BadRequest(m),
            AccountError::Id(e) => ApiError::bad(e),
            AccountError::NotFound(what) => ApiError::unseen(what.clone()),
            AccountError::Exists(m) => ApiError::Conflict(m),
            AccountError::Denied(d) => ApiError::denied(d, Thing::Unnamed),
            AccountError::Db(e) => ApiError::Internal(e.into()),
            AccountError::Internal(e) => ApiError::Internal(e),
        }
    }
}

// The API.

/// An account as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub login: String,
    pub name: String,
    pub role: String,
    pub role_label: String,
    pub scope: String,
    pub disabled: bool,
    #[schema(required = true)]
    pub disabled_at: Option<i64>,
    pub created_at: i64,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        UserView {
            login: u.login,
            name: u.name,
            role: u.role.code().to_owned(),
            role_label: u.role.label(current_lang()).to_owned(),
            scope: u.scope.to_string(),
            disabled: u.disabled_at.is_some(),
            disabled_at: u.disabled_at,
            created_at: u.created_at,
        }
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct AddUserBody {
    pub login: String,
    pub name: String,
    pub password: String,
    pub role: String,
    pub scope: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RoleBody {
    pub role: String,
    /// The new scope; the account keeps its scope when absent.
    pub scope: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MemberView {
    pub id: String,
    pub name: String,
    pub cell: String,
    pub disabled: bool,
    #[schema(required = true)]
    pub disabled_at: Option<i64>,
}

fn parse_role(raw: &str) -> Result<AccessRole, ApiError> {
    AccessRole::parse(raw).map_err(ApiError::bad)
}

fn parse_unit(raw: &str) -> Result<UnitId, ApiError> {
    UnitId::parse(raw).map_err(|e| {
        ApiError::BadRequest(Message::InField {
            field: "scope".into(),
            message: Box::new(e.into()),
        })
    })
}

/// `GET /api/v1/users`: the accounts within the caller's scope.
#[utoipa::path(
    get,
    path = "/users",
    tag = "accounts",
    operation_id = "list_users",
    security(("session" = [])),
    responses(
        (status = 200, description = "The accounts within the caller's scope", body = Vec<UserView>),
        (status = 403, response = Forbidden),
    ),
)]
pub async fn api_list(
    State(state): State<AppState>,
    session: StaffSession,
) -> Result<Json<Vec<UserView>>, ApiError> {
    let users = list_users(&state.db, By::Staff(&session)).await?;
    Ok(Json(users.into_iter().map(UserView::from).collect()))
}

/// `POST /api/v1/users`: adds an account.
#[utoipa::path(
    post,
    path = "/users",
    tag = "accounts",
    operation_id = "add_user",
    security(("session" = [], "csrf" = [])),
    request_body = AddUserBody,
    responses(
        (status = 201, description = "The account, added", body = UserView),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    ),
)]
pub async fn api_add(
    State(state): State<AppState>,
    session: StaffSession,
    body: Result<Json<AddUserBody>, JsonRejection>,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    let Json(body) = body?;
    let new = NewUser {
        login: Login::parse(&body.login).map_err(ApiError::bad)?,
        name: body.name,
        password: body.password,
        role: parse_role(&body.role)?,
        scope: parse_unit(&body.scope)?,
    };
    let user = add_user(&state.db, By::Staff(&session), &new, state.now()).await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

/// `POST /api/v1/users/{login}/role`: changes an account's role and scope.
#[utoipa::path(
    post,
    path = "/users/{login}/role",
    tag = "accounts",
    operation_id = "set_user_role",
    security(("session" = [], "csrf" = [])),
    params(("login" = String, Path, description = "The account's login")),
    request_body = RoleBody,
    responses(
        (status = 200, description = "The account with its new role and scope", body = UserView),
        (status = 404, response = NotFound),
    ),
)]
pub async fn api_role(
    State(state): State<AppState>,
    session: StaffSession,
    Path(login): Path<String>,
    body: Result<Json<RoleBody>, JsonRejection>,
) -> Result<Json<UserView>, ApiError> {
    let Json(body) = body?;
    let role = parse_role(&body.role)?;
    let scope = body.scope.as_deref().map(parse_unit).transpose()?;
    let user = set_role(
        &state.db,
        By::Staff(&session),
        &login,
        role,
        scope.as_ref(),
        state.now(),
    )
    .await?;
    Ok(Json(user.into()))
}

/// `POST /api/v1/users/{login}/disable`: disables an account and ends its sessions.
#[utoipa::path(
    post,
    path = "/users/{login}/disable",
    tag = "accounts",
    operation_id = "disable_user",
    security(("session" = [], "csrf" = [])),
    params(("login" = String, Path, description = "The account's login")),
    responses(
        (status = 200, description = "The account, disabled", body = UserView),
        (status = 404, response = NotFound),
    ),
)]
pub async fn api_disable(
    State(state): State<AppState>,
    session: StaffSession,
    Path(login): Path<String>,
) -> Result<Json<UserView>, ApiError> {
    let (user, _) = disable_user(&state.db, By::Staff(&session), &login, state.now()).await?;
    Ok(Json(user.into()))
}

/// `POST /api/v1/members/{id}/disable`: disables a member.
#[utoipa::path(
    post,
    path = "/members/{id}/disable",
    tag = "accounts",
    operation_id = "disable_member",
    security(("session" = [], "csrf" = [])),
    params(("id" = String, Path, description = "The member's id")),
    responses(
        (status = 200, description = "The member, disabled (their phones are wiped at their next sync)", body = MemberView),
        (status = 404, response = NotFound),
    ),
)]
pub async fn api_disable_member(
    State(state): State<AppState>,
    session: StaffSession,
    Path(id): Path<String>,
) -> Result<Json<MemberView>, ApiError> {
    let id = MemberId::parse(&id).map_err(ApiError::bad)?;
    let (member, _) = disable_member(&state.db, By::Staff(&session), &id, state.now()).await?;
    Ok(Json(MemberView {
        id: member.id.to_string(),
        name: member.name,
        cell: member.cell.to_string(),
        disabled: true,
        disabled_at: member.disabled_at,
    }))
}

/// `POST /api/v1/users/{login}/enable`: enables a disabled account again.
#[utoipa::path(
    post,
    path = "/users/{login}/enable",
    tag = "accounts",
    operation_id = "enable_user",
    security(("session" = [], "csrf" = [])),
    params(("login" = String, Path, description = "The account's login")),
    responses(
        (status = 200, description = "The account, enabled", body = UserView),
        (status = 404, response = NotFound),
    ),
)]
pub async fn api_enable(
    State(state): State<AppState>,
    session: StaffSession,
    Path(login): Path<String>,
) -> Result<Json<UserView>, ApiError> {
    let (user, _) = enable_user(&state.db, By::Staff(&session), &login, state.now()).await?;
    Ok(Json(user.into()))
}

/// `POST /api/v1/members/{id}/enable`: enables a disabled member again.
#[utoipa::path(
    post,
    path = "/members/{id}/enable",
    tag = "accounts",
    operation_id = "enable_member",
    security(("session" = [], "csrf" = [])),
    params(("id" = String, Path, description = "The member's id")),
    responses(
        (status = 200, description = "The member, enabled", body = MemberEnabled),
        (status = 404, response = NotFound),
    ),
)]
pub async fn api_enable_member(
    State(state): State<AppState>,
    session: StaffSession,
    Path(id): Path<String>,
) -> Result<Json<MemberEnabled>, ApiError> {
    let id = MemberId::parse(&id).map_err(ApiError::bad)?;
    enable_member(&state.db, By::Staff(&session), &id, state.now()).await?;
    Ok(Json(MemberEnabled {
        id: id.to_string(),
        disabled: false,
    }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MemberEnabled {
    pub id: String,
    /// Always false: the member is enabled.
    pub disabled: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ResetCode {
    pub login: String,
    /// Shown once: only its hash is kept.
    pub code: String,
    pub expires_at: i64,
    /// dd/mm/yyyy HH:MM in Vietnam.
    pub expires: String,
}

/// `POST /api/v1/users/{login}/reset-code`: a one-time code with which the account's holder
/// sets a new password at `/staff/#/password`.
#[utoipa::path(
    post,
    path = "/users/{login}/reset-code",
    tag = "accounts",
    operation_id = "issue_reset_code",
    security(("session" = [], "csrf" = [])),
    params(("login" = String, Path, description = "The account's login")),
    responses(
        (status = 200, description = "A one-time password reset code, shown once", body = ResetCode),
        (status = 404, response = NotFound),
    ),
)]
pub async fn api_reset_code(
    State(state): State<AppState>,
    session: StaffSession,
    Path(login): Path<String>,
) -> Result<Json<ResetCode>, ApiError> {
    let (code, expires_at) =
        issue_reset_code(&state.db, By::Staff(&session), &login, state.now()).await?;
    Ok(Json(ResetCode {
        login,
        code,
        expires_at,
        expires: audit::vi_time(expires_at),
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ResetBody {
    pub login: String,
    pub code: String,
    pub password: String,
}

/// The counter of password reset attempts from one address, which wrong codes use up.
const RESET: &str = "password_reset";

/// `POST /api/v1/password-reset`: a new password with a one-time code. No session: the code is
/// the credential, so wrong codes are throttled per client address as enrolment codes are.
#[utoipa::path(
    post,
    path = "/password-reset",
    tag = "accounts",
    operation_id = "reset_password",
    request_body = ResetBody,
    responses(
        (status = 204, description = "The new password is set; the code is spent"),
        (status = 403, description = "A wrong, spent or expired code (`forbidden`)", body = ErrorBody),
        (status = 429, response = TooManyRequests),
    ),
)]
pub async fn api_reset_password(
    State(state): State<AppState>,
    address: ClientAddress,
    body: Result<Json<ResetBody>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let Json(body) = body?;
    let login = body.login.trim().to_lowercase();
    if login.is_empty() || body.code.trim().is_empty() {
        return Err(ApiError::BadRequest(Message::ResetNeedsBoth));
    }
    let now = state.now();
    let limit = state.settings.enrol_limit;
    let subject = address.to_string();
    let count = match throttle::count_guess(&state.db, RESET, &subject, limit, now).await? {
        Ok(count) => count,
        Err(paused) => {
            return Err(ApiError::TooManyRequests {
                message: Message::TooManyTries {
                    what: Paused::PasswordReset,
                    until: audit::vi_time(paused.resets_at),
                    minutes: paused.minutes(),
                },
                retry_after: paused.wait,
            });
        }
    };
    match reset_password(&state.db, &login, &body.code, &body.password, now).await {
        Ok(()) => {
            let mut tx = state.db.begin_write().await?;
            throttle::uncount(&mut tx, RESET, &subject).await?;
            tx.commit().await?;
            Ok(StatusCode::NO_CONTENT)
        }
        Err(ResetError::Account(e)) => Err(e.into()),
        Err(ResetError::Db(e)) => Err(e.into()),
        Err(refused) => {
            if count.last(limit) {
                let detail = format!(
                    "{} wrong password reset codes within {} min: paused until {}",
                    limit.max,
                    limit.window / 60,
                    audit::vi_time(count.resets_at)
                );
                audit::record_pause(&state.db, now, &subject, AuditAction::SignInPaused, &detail)
                    .await?;
            }
            Err(ApiError::Forbidden(refused.message()))
        }
    }
}
