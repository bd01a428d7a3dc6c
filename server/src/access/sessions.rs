//! Staff sessions: a signed-in account's session lives in an HttpOnly cookie whose token the
//! database keeps only as a hash, with a CSRF token that every request changing something must
//! echo. This is the domain and SQL of it: the account a sign-in checks, opening, finding and
//! ending a session. The HTTP side (cookies, throttling, the extractor) is `sessions_api`.

use hosync_core::access::{AccessRole, Principal, UnitPath};
use sqlx::{AnyConnection, Row};

use crate::access::audit::Actor;
use crate::access::secret;
use crate::storage::{DbResult, decode};

/// The cookie holding the session token; HttpOnly, so scripts on the page never see it.
pub const SESSION_COOKIE: &str = "hosync_session";

/// The cookie holding the CSRF token, readable by the page's script so it can echo it.
pub const CSRF_COOKIE: &str = "hosync_csrf";

/// The header every request other than GET and HEAD must carry, equal to the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A signed-in staff member, from the session cookie. Extracting it refuses with 401 a request
/// without a live session (none, expired, or a disabled account), and with 403 a request that
/// changes something without the session's CSRF token.
#[derive(Debug, Clone)]
pub struct StaffSession {
    /// The account's login.
    pub login: String,
    /// The account holder's name, as the page greets them.
    pub name: String,
    /// The account's role over its scope, which every staff request is checked against.
    pub principal: Principal,
    /// The name of the scope's unit, as the page shows it.
    pub scope_name: String,
    /// The token the page must send back in `X-CSRF-Token`.
    pub csrf: String,
    /// The hash of the session token, to end this session at sign-out.
    token_hash: Vec<u8>,
}

impl StaffSession {
    /// Who this session acts as in the audit log.
    pub fn actor(&self) -> Actor {
        Actor::User(self.login.clone())
    }
}

/// A staff account's principal from its stored role and scope path.
fn principal(role: &str, path: &str) -> DbResult<Principal> {
    Ok(Principal {
        role: decode(AccessRole::parse(role))?,
        scope: decode(UnitPath::parse(path))?,
        member: None,
    })
}

/// What a session token comes to.
#[derive(Debug)]
pub enum Found {
    Live(StaffSession),
    /// Signed out, never issued, or ended when the account was disabled.
    Ended,
    Expired,
    /// The account was disabled after the session began.
    Disabled,
}

/// The session a token belongs to, as of `now`.
pub async fn find(conn: &mut AnyConnection, token: &str, now: i64) -> DbResult<Found> {
    let token_hash = secret::hash(token);
    let row = sqlx::query(
        "SELECT s.csrf_token, s.expires_at, u.login, u.name, u.role, u.disabled_at, un.path, un.name \
         FROM sessions s JOIN users u ON u.login = s.user_login JOIN units un ON un.id = u.scope_id \
         WHERE s.token_hash = $1",
    )
    .bind(token_hash.clone())
    .fetch_optional(conn)
    .await?;
    let Some(row) = row else {
        return Ok(Found::Ended);
    };
    if row.try_get::<i64, _>(1)? <= now {
        return Ok(Found::Expired);
    }
    if row.try_get::<Option<i64>, _>(5)?.is_some() {
        return Ok(Found::Disabled);
    }
    Ok(Found::Live(StaffSession {
        csrf: row.try_get(0)?,
        login: row.try_get(2)?,
        name: row.try_get(3)?,
        principal: principal(&row.try_get::<String, _>(4)?, &row.try_get::<String, _>(6)?)?,
        scope_name: row.try_get(7)?,
        token_hash,
    }))
}

/// An account as sign-in checks it.
#[derive(Debug)]
pub struct Account {
    pub login: String,
    pub name: String,
    pub password_hash: String,
    pub principal: Principal,
    pub scope_name: String,
    pub disabled: bool,
}

/// The account a login names, if there is one.
pub async fn account(conn: &mut AnyConnection, login: &str) -> DbResult<Option<Account>> {
    let row = sqlx::query(
        "SELECT u.login, u.name, u.password_hash, u.role, u.disabled_at, un.path, un.name \
         FROM users u JOIN units un ON un.id = u.scope_id WHERE u.login = $1",
    )
    .bind(login)
    .fetch_optional(conn)
    .await?;
    row.map(|row| {
        Ok(Account {
            login: row.try_get(0)?,
            name: row.try_get(1)?,
            password_hash: row.try_get(2)?,
            principal: principal(&row.try_get::<String, _>(3)?, &row.try_get::<String, _>(5)?)?,
            disabled: row.try_get::<Option<i64>, _>(4)?.is_some(),
            scope_name: row.try_get(6)?,
        })
    })
    .transpose()
}

/// A new session for `login`, lasting `ttl` seconds: its token (for the cookie, shown once) and
/// its CSRF token.
pub async fn open(
    conn: &mut AnyConnection,
    login: &str,
    ttl: i64,
    now: i64,
) -> DbResult<(String, String)> {
    let token = secret::new_token();
    let csrf = secret::new_token();
    // Sessions are few and short-lived; sweeping the expired ones here keeps the table small
    // without a background task.
    sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_login, csrf_token, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(secret::hash(&token))
    .bind(login)
    .bind(csrf.as_str())
    .bind(now)
    .bind(now + ttl)
    .execute(conn)
    .await?;
    Ok((token, csrf))
}

/// Ends a session (sign-out).
pub async fn close(conn: &mut AnyConnection, session: &StaffSession) -> DbResult<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(session.token_hash.clone())
        .execute(conn)
        .await?;
    Ok(())
}
