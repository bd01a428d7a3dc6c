//! Staff accounts: adding one, changing its role or scope, disabling it or a member, and listing
//! them. The command line on the server may do all of it; through the API a staff member may
//! act only within their scope and never give or touch a role above their own. Every change is
//! written to the audit log with who made it.

use crate::Db;
use crate::access::audit::AuditAction;
use crate::access::audit::{self, Actor};
use crate::access::sessions::StaffSession;
use crate::storage;
use crate::storage::decode;
use hosync_core::access::{AccessRole, Denied, Principal, StaffAction, UnitPath};
use hosync_core::messages::{Message, Thing};
use hosync_core::{MemberId, UnitId};
use sqlx::{AnyConnection, Row};

/// Passwords shorter than this are refused.
pub const MIN_PASSWORD_CHARS: usize = 10;

const MAX_PASSWORD_CHARS: usize = 256;

/// The longest login an account can have; sign-in refuses a longer one before counting it.
pub use hosync_core::ids::{Login, MAX_LOGIN_CHARS};

const MAX_NAME_CHARS: usize = 100;

/// Who is making a change, which decides what they may change and whom the audit log names.
#[derive(Debug, Clone, Copy)]
pub enum By<'a> {
    /// The command line on the server: whoever runs it already holds the database.
    Cli,
    /// A signed-in staff member, held to their role and scope.
    Staff(&'a StaffSession),
}

impl By<'_> {
    /// Whom the audit log names.
    pub fn actor(&self) -> Actor {
        match self {
            By::Cli => Actor::Cli,
            By::Staff(session) => session.actor(),
        }
    }

    /// The member id what they write into documents is signed with (an assignment's `by`):
    /// a staff account's, or the command line's.
    pub fn author(&self) -> MemberId {
        match self {
            By::Cli => MemberId::command_line(),
            // A session's login was checked when its account was made.
            By::Staff(session) => Login::parse(&session.login)
                .map_or_else(|_| MemberId::command_line(), |l| l.author()),
        }
    }

    /// The rules they are held to; `None` for the command line, which may do anything.
    pub fn principal(&self) -> Option<&Principal> {
        match self {
            By::Cli => None,
            By::Staff(session) => Some(&session.principal),
        }
    }

    /// Holds a staff member to `rule` about `what`; what lies outside their scope is, to them,
    /// not there at all.
    fn check(
        &self,
        what: Thing,
        rule: impl FnOnce(&Principal) -> Result<(), Denied>,
    ) -> Result<(), AccountError> {
        match self {
            By::Cli => Ok(()),
            By::Staff(session) => rule(&session.principal).map_err(|denied| match denied {
                Denied::OutOfScope => AccountError::NotFound(what),
                other => AccountError::Denied(other),
            }),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{0}")]
    Invalid(Message),
    /// Names what is not there (an account, a unit, a member); through the API, what lies
    /// outside the caller's scope is answered alike.
    #[error("{}", Message::NotFound(.0.clone()))]
    NotFound(Thing),
    #[error("{0}")]
    Exists(Message),
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("{0}")]
    Id(#[from] hosync_core::IdError),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0:#}")]
    Internal(#[from] anyhow::Error),
}

/// A staff account as stored, without its password hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub login: String,
    pub name: String,
    pub role: AccessRole,
    /// The unit whose subtree the account works in.
    pub scope: UnitId,
    pub scope_path: UnitPath,
    pub disabled_at: Option<i64>,
    pub created_at: i64,
}

/// An account to add.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub login: Login,
    pub name: String,
    pub password: String,
    pub role: AccessRole,
    pub scope: UnitId,
}

/// The columns [`user_from`] reads, in its order.
macro_rules! select_users {
    ($rest:literal) => {
        concat!(
            "SELECT u.login, u.name, u.role, u.scope_id, un.path, u.disabled_at, u.created_at \
             FROM users u JOIN units un ON un.id = u.scope_id ",
            $rest
        )
    };
}

fn user_from(row: &sqlx::any::AnyRow) -> sqlx::Result<User> {
    Ok(User {
        login: row.try_get(0)?,
        name: row.try_get(1)?,
        role: decode(AccessRole::parse(&row.try_get::<String, _>(2)?))?,
        scope: decode(UnitId::parse(&row.try_get::<String, _>(3)?))?,
        scope_path: decode(UnitPath::parse(&row.try_get::<String, _>(4)?))?,
        disabled_at: row.try_get(5)?,
        created_at: row.try_get(6)?,
    })
}

pub async fn find_user(conn: &mut AnyConnection, login: &str) -> sqlx::Result<Option<User>> {
    sqlx::query(select_users!("WHERE u.login = $1"))
        .bind(login)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(user_from)
        .transpose()
}

async fn existing_user(conn: &mut AnyConnection, login: &str) -> Result<User, AccountError> {
    find_user(conn, login)
        .await?
        .ok_or_else(|| AccountError::NotFound(Thing::Account(login.to_string())))
}

async fn scope_path(conn: &mut AnyConnection, unit: &UnitId) -> Result<UnitPath, AccountError> {
    storage::unit_path(conn, unit)
        .await?
        .ok_or_else(|| AccountError::NotFound(Thing::Unit(unit.to_string())))
}

pub(crate) fn check_name(name: &str) -> Result<String, AccountError> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(AccountError::Invalid(Message::NameInvalid {
            max: MAX_NAME_CHARS,
        }));
    }
    Ok(name.to_owned())
}

pub(crate) fn check_password(password: &str) -> Result<(), AccountError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(AccountError::Invalid(Message::PasswordTooShort {
            min: MIN_PASSWORD_CHARS,
            has: chars,
        }));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(AccountError::Invalid(Message::PasswordTooLong {
            max: MAX_PASSWORD_CHARS,
        }));
    }
    Ok(())
}

fn role_over(role: AccessRole, scope: &UnitId) -> String {
    format!("{} over {scope}", role.code())
}

/// Adds an account, which may sign in at once.
pub async fn add_user(db: &Db, by: By<'_>, new: &NewUser, now: i64) -> Result<User, AccountError> {
    let name = check_name(&new.name)?;
    check_password(&new.password)?;
    let mut conn = db.reader.acquire().await?;
    let path = scope_path(&mut conn, &new.scope).await?;
    drop(conn);
    by.check(Thing::Unit(new.scope.to_string()), |p| {
        p.may_grant(new.role, &path)
    })?;
    let password = new.password.clone();
    // Hashing takes tens of milliseconds of CPU by design; it is done before the write
    // transaction so that it holds up no other writer.
    let hash = tokio::task::spawn_blocking(move || crate::access::secret::hash_password(&password))
        .await
        .map_err(anyhow::Error::from)??;
    if new.login.is_reserved() {
        return Err(AccountError::Invalid(Message::LoginReserved {
            login: new.login.to_string(),
        }));
    }
    let login = new.login.as_str();
    let mut tx = db.begin_write().await?;
    if find_user(&mut tx, login).await?.is_some() {
        return Err(AccountError::Exists(Message::AccountExists {
            login: login.to_string(),
        }));
    }
    // A staff account's phone writes under its login with dots made dashes; two logins that
    // read alike so would write under one name.
    let alike: Option<String> =
        sqlx::query("SELECT login FROM users WHERE REPLACE(login, '.', '-') = $1")
            .bind(login.replace('.', "-"))
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
    if let Some(other) = alike {
        return Err(AccountError::Exists(Message::LoginReadsAs {
            login: login.to_string(),
            other: other.to_string(),
        }));
    }
    sqlx::query(
        "INSERT INTO users (login, name, password_hash, role, scope_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(login)
    .bind(name.as_str())
    .bind(hash)
    .bind(new.role.code())
    .bind(new.scope.as_str())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        now,
        &by.actor(),
        AuditAction::UserAdd,
        login,
        &format!("{} ({name})", role_over(new.role, &new.scope)),
        Some(&new.scope),
    )
    .await?;
    let user = existing_user(&mut tx, login).await?;
    tx.commit().await?;
    Ok(user)
}

/// Changes an account's role, and its scope when one is given. Through the API, the caller must
/// be allowed both the account as it is and what it becomes.
pub async fn set_role(
    db: &Db,
    by: By<'_>,
    login: &str,
    role: AccessRole,
    scope: Option<&UnitId>,
    now: i64,
) -> Result<User, AccountError> {
    let mut tx = db.begin_write().await?;
    let user = existing_user(&mut tx, login).await?;
    by.check(Thing::Account(login.to_owned()), |p| {
        p.may_grant(user.role, &user.scope_path)?;
        p.may(StaffAction::ChangeRoles, &user.scope_path)
    })?;
    let (scope, path) = match scope {
        Some(unit) => (unit.clone(), scope_path(&mut tx, unit).await?),
        None => (user.scope.clone(), user.scope_path.clone()),
    };
    by.check(Thing::Unit(scope.to_string()), |p| p.may_grant(role, &path))?;
    sqlx::query("UPDATE users SET role = $2, scope_id = $3 WHERE login = $1")
        .bind(login)
        .bind(role.code())
        .bind(scope.as_str())
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        now,
        &by.actor(),
        AuditAction::Role,
        login,
        &format!(
            "from {} to {}",
            role_over(user.role, &user.scope),
            role_over(role, &scope)
        ),
        Some(&scope),
    )
    .await?;
    let user = existing_user(&mut tx, login).await?;
    tx.commit().await?;
    Ok(user)
}

/// Disables an account and ends its sessions. Returns the account and whether it was enabled
/// until now.
pub async fn disable_user(
    db: &Db,
    by: By<'_>,
    login: &str,
    now: i64,
) -> Result<(User, bool), AccountError> {
    set_user_disabled(db, by, login, true, now).await
}

/// Enables a disabled account again: it may sign in with its password (or one set with a reset
/// code). Held to the same rule as disabling. Returns the account and whether it was disabled
/// until now.
pub async fn enable_user(
    db: &Db,
    by: By<'_>,
    login: &str,
    now: i64,
) -> Result<(User, bool), AccountError> {
    set_user_disabled(db, by, login, false, now).await
}

/// Disables or enables an account, audited; returns it and whether that changed anything.
async fn set_user_disabled(
    db: &Db,
    by: By<'_>,
    login: &str,
    disable: bool,
    now: i64,
) -> Result<(User, bool), AccountError> {
    let mut tx = db.begin_write().await?;
    let user = existing_user(&mut tx, login).await?;
    by.check(Thing::Account(login.to_owned()), |p| {
        p.may_grant(user.role, &user.scope_path)
    })?;
    if disable
        && let By::Staff(session) = by
        && session.login == login
    {
        // Otherwise the last manager of a district could lock everyone out from the web.
        return Err(AccountError::Denied(Denied::NotAllowed(
            Message::OwnAccountDisable,
        )));
    }
    let changed = user.disabled_at.is_none() == disable;
    if disable {
        sqlx::query("UPDATE users SET disabled_at = $2 WHERE login = $1 AND disabled_at IS NULL")
            .bind(login)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_login = $1")
            .bind(login)
            .execute(&mut *tx)
            .await?;
    } else {
        sqlx::query("UPDATE users SET disabled_at = NULL WHERE login = $1")
            .bind(login)
            .execute(&mut *tx)
            .await?;
    }
    let action = if disable {
        AuditAction::UserDisable
    } else {
        AuditAction::UserEnable
    };
    audit::record(
        &mut tx,
        now,
        &by.actor(),
        action,
        login,
        &role_over(user.role, &user.scope),
        Some(&user.scope),
    )
    .await?;
    let user = existing_user(&mut tx, login).await?;
    tx.commit().await?;
    Ok((user, changed))
}

/// Enables a disabled member again: a phone enrolled for them afterwards syncs (the phones that
/// were wiped stay wiped; they enrol again with a new code). Returns whether they were disabled.
pub async fn enable_member(
    db: &Db,
    by: By<'_>,
    member: &MemberId,
    now: i64,
) -> Result<bool, AccountError> {
    let (_, changed) = set_member_disabled(db, by, member, false, now).await?;
    Ok(changed)
}

/// How long a password reset code works.
pub const RESET_CODE_TTL: i64 = 24 * 60 * 60;

/// A one-time code with which the account's holder sets a new password on the dashboard's
/// public page, good once within [`RESET_CODE_TTL`]; codes issued before it for the account are
/// spent. Held to the rule of disabling the account (manage accounts, not above one's own role).
/// Returns the code (shown once; only its hash is kept) and when it expires.
pub async fn issue_reset_code(
    db: &Db,
    by: By<'_>,
    login: &str,
    now: i64,
) -> Result<(String, i64), AccountError> {
    let mut tx = db.begin_write().await?;
    let user = existing_user(&mut tx, login).await?;
    by.check(Thing::Account(login.to_owned()), |p| {
        p.may_grant(user.role, &user.scope_path)
    })?;
    sqlx::query(
        "UPDATE password_resets SET used_at = $2 WHERE user_login = $1 AND used_at IS NULL",
    )
    .bind(login)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let code = crate::access::secret::new_code();
    let expires_at = now + RESET_CODE_TTL;
    sqlx::query(
        "INSERT INTO password_resets (code_hash, user_login, issued_by, issued_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(crate::access::secret::hash(&code))
    .bind(login)
    .bind(by.actor().to_string())
    .bind(now)
    .bind(expires_at)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        now,
        &by.actor(),
        AuditAction::PasswordResetCode,
        login,
        &format!("one-time code until {}", audit::vi_time(expires_at)),
        Some(&user.scope),
    )
    .await?;
    tx.commit().await?;
    Ok((code, expires_at))
}

/// Why a reset code did not set a password; [`ResetError::message`] is what its reader reads,
/// `Display` the English for the log.
#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    /// An unknown code, or one for another account: the two are told apart to nobody.
    #[error("the reset code does not match this login")]
    Unknown,
    #[error("the reset code was already used")]
    Used,
    #[error("the reset code expired")]
    Expired,
    #[error("the account is disabled")]
    Disabled,
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

impl ResetError {
    /// The refusal as its reader reads it (not for `Account` and `Db`, answered as theirs).
    pub fn message(&self) -> Message {
        match self {
            ResetError::Unknown => Message::ResetCodeWrong,
            ResetError::Used => Message::ResetCodeUsed,
            ResetError::Expired => Message::ResetCodeExpired,
            ResetError::Disabled => Message::ResetAccountDisabled,
            ResetError::Account(_) | ResetError::Db(_) => Message::ServerFailed,
        }
    }
}

/// Sets a new password with a reset code, spending the code and ending the account's sessions.
pub async fn reset_password(
    db: &Db,
    login: &str,
    typed_code: &str,
    password: &str,
    now: i64,
) -> Result<(), ResetError> {
    check_password(password).map_err(|_| {
        AccountError::Invalid(Message::NewPasswordLength {
            min: MIN_PASSWORD_CHARS,
            max: MAX_PASSWORD_CHARS,
        })
    })?;
    let code = crate::access::secret::normalise_code(typed_code);
    let password = password.to_owned();
    let hash = tokio::task::spawn_blocking(move || crate::access::secret::hash_password(&password))
        .await
        .map_err(|e| AccountError::Internal(e.into()))?
        .map_err(AccountError::Internal)?;
    let mut tx = db.begin_write().await?;
    let row = sqlx::query(
        "SELECT user_login, expires_at, used_at FROM password_resets WHERE code_hash = $1",
    )
    .bind(crate::access::secret::hash(&code))
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(ResetError::Unknown)?;
    if row.try_get::<String, _>(0)? != login {
        return Err(ResetError::Unknown);
    }
    if row.try_get::<Option<i64>, _>(2)?.is_some() {
        return Err(ResetError::Used);
    }
    if row.try_get::<i64, _>(1)? <= now {
        return Err(ResetError::Expired);
    }
    let user = existing_user(&mut tx, login).await?;
    if user.disabled_at.is_some() {
        return Err(ResetError::Disabled);
    }
    sqlx::query("UPDATE users SET password_hash = $2 WHERE login = $1")
        .bind(login)
        .bind(hash)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE password_resets SET used_at = $2 WHERE code_hash = $1")
        .bind(crate::access::secret::hash(&code))
        .bind(now)
        .execute(&mut *tx)
        .await?;
    // Whoever held the old password is signed out everywhere.
    sqlx::query("DELETE FROM sessions WHERE user_login = $1")
        .bind(login)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        now,
        &Actor::User(login.to_owned()),
        AuditAction::PasswordReset,
        login,
        "new password set with a one-time code",
        Some(&user.scope),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A member as far as disabling goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberState {
    pub id: MemberId,
    pub name: String,
    pub cell: UnitId,
    pub disabled_at: Option<i64>,
}

/// Disables a member: their phones wipe the member's data at their next sync and sync no more.
/// Returns the member and whether they were enabled until now.
pub async fn disable_member(
    db: &Db,
    by: By<'_>,
    member: &MemberId,
    now: i64,
) -> Result<(MemberState, bool), AccountError> {
    set_member_disabled(db, by, member, true, now).await
}

/// Disables or enables a member, audited; returns them and whether that changed anything.
async fn set_member_disabled(
    db: &Db,
    by: By<'_>,
    member: &MemberId,
    disable: bool,
    now: i64,
) -> Result<(MemberState, bool), AccountError> {
    let mut tx = db.begin_write().await?;
    let row = sqlx::query(
        "SELECT m.name, m.cell_id, u.path, m.disabled_at FROM members m \
         JOIN units u ON u.id = m.cell_id WHERE m.id = $1",
    )
    .bind(member.as_str())
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AccountError::NotFound(Thing::Member(member.to_string())))?;
    let path = decode(UnitPath::parse(&row.try_get::<String, _>(2)?))?;
    by.check(Thing::Member(member.to_string()), |p| {
        p.may(StaffAction::ManageAccounts, &path)
    })?;
    let disabled_at: Option<i64> = row.try_get(3)?;
    let cell = decode(UnitId::parse(&row.try_get::<String, _>(1)?))?;
    let (update, action) = if disable {
        let update = sqlx::query(
            "UPDATE members SET disabled_at = $2 WHERE id = $1 AND disabled_at IS NULL",
        )
        .bind(member.as_str())
        .bind(now);
        (update, AuditAction::MemberDisable)
    } else {
        let update = sqlx::query("UPDATE members SET disabled_at = NULL WHERE id = $1")
            .bind(member.as_str());
        (update, AuditAction::MemberEnable)
    };
    update.execute(&mut *tx).await?;
    audit::record(
        &mut tx,
        now,
        &by.actor(),
        action,
        member.as_str(),
        &format!("cell {cell}"),
        Some(&cell),
    )
    .await?;
    tx.commit().await?;
    let changed = disabled_at.is_none() == disable;
    Ok((
        MemberState {
            id: member.clone(),
            name: row.try_get(0)?,
            cell,
            disabled_at: if disable {
                Some(disabled_at.unwrap_or(now))
            } else {
                None
            },
        },
        changed,
    ))
}

/// The accounts, by login: all of them from the command line, those within the caller's scope
/// through the API.
pub async fn list_users(db: &Db, by: By<'_>) -> Result<Vec<User>, AccountError> {
    if let By::Staff(session) = by {
        session
            .principal
            .may(StaffAction::ManageAccounts, &session.principal.scope)?;
    }
    let mut conn = db.reader.acquire().await?;
    let users = sqlx::query(select_users!("ORDER BY u.login"))
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(user_from)
        .collect::<sqlx::Result<Vec<_>>>()?;
    Ok(match by {
        By::Cli => users,
        By::Staff(session) => users
            .into_iter()
            .filter(|u| session.principal.scope.contains(&u.scope_path))
            .collect(),
    })
}

/// For `hosync demo`: when the database has no account yet, adds `admin` over the root of the
/// organisation with `password`, or a fresh one. Returns the password when it added the account.
pub async fn add_first_admin(
    db: &Db,
    password: Option<String>,
    now: i64,
) -> anyhow::Result<Option<String>> {
    let mut conn = db.reader.acquire().await?;
    let users: i64 = sqlx::query("SELECT COUNT(*) FROM users")
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    let root: Option<String> =
        sqlx::query("SELECT id FROM units WHERE parent_id IS NULL ORDER BY id LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
    drop(conn);
    let Some(root) = root.filter(|_| users == 0) else {
        return Ok(None);
    };
    // 64 random bits in hex: enough for a demo, short enough to type.
    let password = password.unwrap_or_else(|| crate::access::secret::new_token()[..16].to_owned());
    let new = NewUser {
        login: Login::parse("admin")?,
        name: "Quản trị hệ thống".into(),
        password: password.clone(),
        role: AccessRole::Admin,
        scope: UnitId::parse(&root)?,
    };
    add_user(db, By::Cli, &new, now).await?;
    Ok(Some(password))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_are_lower_case_slugs() {
        for ok in ["admin", "nguyen.van-an_2", "a"] {
            assert!(Login::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Admin", "nguyễn", "a b", "a@b", &"a".repeat(65)] {
            assert!(Login::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_need_ten_characters() {
        assert!(check_password("123456789").is_err());
        assert!(check_password("mật khẩu dài").is_ok());
    }
}
