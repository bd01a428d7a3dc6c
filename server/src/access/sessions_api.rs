//! Staff sign-in over HTTP: `POST /api/v1/session` checks a password (throttled, counted before
//! the check) and sets the session cookies, `GET` says who is signed in, `DELETE` signs out;
//! and the extractor that gives every staff request its `StaffSession`, refusing a request that
//! changes something without the session's CSRF token.

use crate::access::audit::AuditAction;
use crate::openapi::TooManyRequests;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use hosync_core::access::Principal;
use hosync_core::messages::{Message, Paused};
use hosync_core::protocol::ErrorBody;
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use crate::AppState;
use crate::access::accounts::MAX_LOGIN_CHARS;
use crate::access::audit::{self, Actor};
use crate::access::secret::{MAX_PASSWORD_BYTES, dummy_hash, same_secret, verify_password};
use crate::access::sessions::{
    self, CSRF_COOKIE, CSRF_HEADER, Found, SESSION_COOKIE, StaffSession,
};
use crate::access::throttle::{self, ClientAddress, Count};
use crate::error::{ApiError, current_lang};
use crate::storage::db::Backend;

impl FromRequestParts<AppState> for StaffSession {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let jar = CookieJar::from_headers(&parts.headers);
        let token = jar
            .get(SESSION_COOKIE)
            .map(|c| c.value().to_owned())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiError::Unauthorized(Message::NotSignedIn))?;
        let mut conn = state.db.reader.acquire().await?;
        let found = sessions::find(&mut conn, &token, state.now()).await?;
        drop(conn);
        let session = match found {
            Found::Live(session) => {
                crate::request_log::record_who(format_args!("staff {}", session.login));
                session
            }
            Found::Ended => {
                return Err(ApiError::Unauthorized(Message::SessionEnded));
            }
            Found::Expired => {
                return Err(ApiError::Unauthorized(Message::SessionExpired));
            }
            Found::Disabled => {
                return Err(ApiError::Unauthorized(Message::AccountDisabled));
            }
        };
        if !matches!(parts.method, Method::GET | Method::HEAD) {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .map(|v| v.as_bytes())
                .unwrap_or_default();
            if !same_secret(sent, session.csrf.as_bytes()) {
                return Err(ApiError::Forbidden(Message::BadCsrf));
            }
        }
        Ok(session)
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SignIn {
    pub login: String,
    pub password: String,
}

/// Who is signed in, and the CSRF token to send with changes.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionInfo {
    pub login: String,
    pub name: String,
    /// The role's code, such as `district_staff`.
    pub role: String,
    /// The role as the page shows it, in Vietnamese.
    pub role_label: String,
    /// The unit the account's scope covers, and its name.
    pub scope: String,
    pub scope_name: String,
    pub csrf: String,
    /// The staff actions core allows this account within its scope (`view_households`,
    /// `manage_accounts`, …): the dashboard offers these and nothing else.
    pub actions: Vec<&'static str>,
    /// The roles this account may give others, with their labels, for the accounts page.
    pub roles: Vec<RoleOption>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RoleOption {
    pub code: &'static str,
    pub label: &'static str,
}

impl SessionInfo {
    fn of(
        login: String,
        name: String,
        principal: &Principal,
        scope_name: String,
        csrf: String,
    ) -> SessionInfo {
        SessionInfo {
            login,
            name,
            role: principal.role.code().to_owned(),
            role_label: principal.role.label(current_lang()).to_owned(),
            scope: principal
                .scope
                .unit()
                .map(|u| u.to_string())
                .unwrap_or_default(),
            scope_name,
            csrf,
            actions: principal
                .allowed_actions()
                .into_iter()
                .map(|a| a.code())
                .collect(),
            roles: principal
                .grantable_roles()
                .into_iter()
                .map(|r| RoleOption {
                    code: r.code(),
                    label: r.label(current_lang()),
                })
                .collect(),
        }
    }
}

/// The counter of sign-in tries for one login from one address; its subject is the address,
/// a space, and the login as typed (an address has no spaces).
const PER_LOGIN: &str = "sign_in";

/// The counter of failed sign-ins from one address, whatever the logins.
const PER_ADDRESS: &str = "sign_in_address";

/// `POST /api/v1/session`: signs in with a login and password and sets the session cookies.
#[utoipa::path(
    post,
    path = "/session",
    tag = "session",
    request_body = SignIn,
    responses(
        (status = 200, description = "Signed in: the session and CSRF cookies are set", body = SessionInfo,
            headers(("set-cookie" = String, description = "`hosync_session` (HttpOnly) and `hosync_csrf`"))),
        (status = 401, description = "Wrong login or password, or the account is disabled (`unauthorized`)", body = ErrorBody),
        (status = 429, response = TooManyRequests),
    ),
)]
pub async fn sign_in(
    State(state): State<AppState>,
    address: ClientAddress,
    headers: HeaderMap,
    jar: CookieJar,
    body: Result<Json<SignIn>, JsonRejection>,
) -> Result<(CookieJar, Json<SessionInfo>), ApiError> {
    let Json(form) = body?;
    // Throttling is keyed by the login as typed, known or not, so probing for logins is paused
    // exactly like guessing a password.
    let key = form.login.trim().to_lowercase();
    if key.is_empty() || form.password.is_empty() {
        return Err(ApiError::BadRequest(Message::LoginAndPassword));
    }
    // No account has a longer login, so nothing is lost by not counting (or storing) it.
    if key.chars().count() > MAX_LOGIN_CHARS {
        return Err(ApiError::BadRequest(Message::LoginTooLong {
            max: MAX_LOGIN_CHARS,
        }));
    }
    let now = state.now();
    let attempt = Attempt::count(&state, address, &key, now).await?;

    let mut conn = state.db.reader.acquire().await?;
    let account = sessions::account(&mut conn, &key).await?;
    drop(conn);

    let stored = account.as_ref().map(|a| a.password_hash.clone());
    let password = form.password;
    // argon2 takes tens of milliseconds of CPU by design; off the async workers it stalls no
    // other request.
    let matches = tokio::task::spawn_blocking(move || {
        let stored = match &stored {
            Some(hash) => hash.as_str(),
            None => dummy_hash(),
        };
        password.len() <= MAX_PASSWORD_BYTES && verify_password(&password, stored)
    })
    .await
    .map_err(anyhow::Error::from)?;
    // A disabled account's right password is answered and counted as a wrong one: telling it
    // apart would confirm both that the account exists and that the password was right.
    let Some(account) = account.filter(|a| matches && !a.disabled) else {
        return Err(attempt.failed(&state, now).await?);
    };

    let ttl = state.settings.session_ttl;
    let mut tx = state.db.begin_write().await?;
    attempt.succeeded(&mut tx, state.db.backend, now).await?;
    let (token, csrf) = sessions::open(&mut tx, &account.login, ttl, now).await?;
    audit::record(
        &mut tx,
        now,
        &Actor::User(account.login.clone()),
        AuditAction::SignIn,
        &account.login,
        "",
        account.principal.scope.unit().as_ref(),
    )
    .await?;
    tx.commit().await?;

    let secure = state.settings.secure_cookies || forwarded_https(&headers);
    let jar = jar
        .add(cookie(SESSION_COOKIE, token, true, secure, ttl))
        .add(cookie(CSRF_COOKIE, csrf.clone(), false, secure, ttl));
    Ok((
        jar,
        Json(SessionInfo::of(
            account.login,
            account.name,
            &account.principal,
            account.scope_name,
            csrf,
        )),
    ))
}

/// A sign-in attempt, counted on both its counters before its password is checked.
#[derive(Debug)]
struct Attempt {
    address: ClientAddress,
    login: String,
    per_login: Count,
    per_address: Count,
}

impl Attempt {
    fn per_login_subject(&self) -> String {
        format!("{} {}", self.address, self.login)
    }

    /// Counts the attempt, in one write transaction, or refuses it with 429 when either
    /// counter is past its limit. A refused attempt is rolled back rather than counted: it
    /// checked nothing, and a client retrying while paused neither lengthens its pause nor
    /// uses up its address's tries for other logins.
    async fn count(
        state: &AppState,
        address: ClientAddress,
        login: &str,
        now: i64,
    ) -> Result<Attempt, ApiError> {
        let settings = &state.settings;
        let subject = format!("{address} {login}");
        let mut tx = state.db.begin_write().await?;
        let per_login =
            throttle::count(&mut tx, PER_LOGIN, &subject, settings.sign_in_limit, now).await?;
        if per_login.over(settings.sign_in_limit) {
            tx.rollback().await?;
            return Err(paused_error(Paused::Login, per_login.resets_at, now));
        }
        let per_address = throttle::count(
            &mut tx,
            PER_ADDRESS,
            &address.to_string(),
            settings.sign_in_address_limit,
            now,
        )
        .await?;
        if per_address.over(settings.sign_in_address_limit) {
            tx.rollback().await?;
            return Err(paused_error(Paused::Address, per_address.resets_at, now));
        }
        tx.commit().await?;
        Ok(Attempt {
            address,
            login: login.to_owned(),
            per_login,
            per_address,
        })
    }

    /// The answer to a wrong password, which says when this was the last try allowed; the
    /// attempt stays counted. Reaching a limit is audited, naming the address.
    async fn failed(&self, state: &AppState, now: i64) -> Result<ApiError, ApiError> {
        let settings = &state.settings;
        let mut paused = Vec::new();
        if self.per_login.last(settings.sign_in_limit) {
            paused.push((
                Paused::Login,
                self.per_login.resets_at,
                format!(
                    "{} wrong passwords for login {:?} within {} min: it is paused from this address until {}",
                    settings.sign_in_limit.max,
                    self.login,
                    settings.sign_in_limit.window / 60,
                    audit::vi_time(self.per_login.resets_at)
                ),
            ));
        }
        if self.per_address.last(settings.sign_in_address_limit) {
            paused.push((
                Paused::Address,
                self.per_address.resets_at,
                format!(
                    "{} failed sign-ins within {} min: sign-in from this address is paused until {}",
                    settings.sign_in_address_limit.max,
                    settings.sign_in_address_limit.window / 60,
                    audit::vi_time(self.per_address.resets_at)
                ),
            ));
        }
        if paused.is_empty() {
            return Ok(ApiError::Unauthorized(Message::WrongPassword));
        }
        let address = self.address.to_string();
        for (_, _, detail) in &paused {
            audit::record_pause(&state.db, now, &address, AuditAction::SignInPaused, detail)
                .await?;
        }
        // The address's pause covers every login, so it is the one to name when both apply.
        let (what, until, _) = &paused[paused.len() - 1];
        Ok(ApiError::Unauthorized(Message::WrongPasswordLastTry {
            what: *what,
            until: audit::vi_time(*until),
        }))
    }

    /// A right password: this login's count from this address starts again, and the attempt
    /// is taken off the address's count of failures.
    async fn succeeded(
        &self,
        conn: &mut AnyConnection,
        backend: Backend,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        throttle::clear(conn, PER_LOGIN, &self.per_login_subject()).await?;
        throttle::uncount(conn, PER_ADDRESS, &self.address.to_string()).await?;
        throttle::sweep(conn, backend, now).await
    }
}

/// `GET /api/v1/session`: who is signed in.
#[utoipa::path(
    get,
    path = "/session",
    tag = "session",
    security(("session" = [])),
    responses((status = 200, description = "Who is signed in", body = SessionInfo)),
)]
pub async fn current(session: StaffSession) -> Json<SessionInfo> {
    Json(SessionInfo::of(
        session.login,
        session.name,
        &session.principal,
        session.scope_name,
        session.csrf,
    ))
}

/// `DELETE /api/v1/session`: signs out, ending the session on the server and clearing the
/// cookies.
#[utoipa::path(
    delete,
    path = "/session",
    tag = "session",
    security(("session" = [], "csrf" = [])),
    responses((status = 200, description = "Signed out: the session ended and its cookies are cleared")),
)]
pub async fn sign_out(
    State(state): State<AppState>,
    jar: CookieJar,
    session: StaffSession,
) -> Result<CookieJar, ApiError> {
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    sessions::close(&mut tx, &session).await?;
    audit::record(
        &mut tx,
        now,
        &session.actor(),
        AuditAction::SignOut,
        &session.login,
        "",
        session.principal.scope.unit().as_ref(),
    )
    .await?;
    tx.commit().await?;
    Ok(jar
        .remove(Cookie::build(SESSION_COOKIE).path("/"))
        .remove(Cookie::build(CSRF_COOKIE).path("/")))
}

fn cookie(
    name: &'static str,
    value: String,
    http_only: bool,
    secure: bool,
    max_age: i64,
) -> Cookie<'static> {
    Cookie::build((name, value))
        .http_only(http_only)
        .same_site(SameSite::Strict)
        .path("/")
        .secure(secure)
        .max_age(time::Duration::seconds(max_age))
        .build()
}

/// Whether a proxy in front says the browser came over HTTPS.
pub(crate) fn forwarded_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

fn paused_error(what: Paused, until: i64, now: i64) -> ApiError {
    let wait = until - now;
    ApiError::TooManyRequests {
        message: Message::TooManyTries {
            what,
            until: audit::vi_time(until),
            minutes: (wait + 59) / 60,
        },
        retry_after: wait,
    }
}
