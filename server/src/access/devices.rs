//! Phones: one-time enrolment codes, the device tokens they are exchanged for, who a token acts
//! for, and revocation. Only hashes of codes and tokens are stored.

use crate::access::audit::AuditAction;
use hosync_core::messages::Message;
use std::collections::HashMap;

use automerge::ActorId;
use hosync_core::access::{AccessRole, Principal, UnitPath};
use hosync_core::protocol::Enrolment;
use hosync_core::{DeviceId, Login, MemberId, Role, UnitId};
use sqlx::{AnyConnection, Row};

use crate::access::audit::{self, Actor};
use crate::access::{device_keys, secret};
use crate::storage::{self, DbResult, decode};

/// The longest label a phone may give itself for the device list ("Samsung A03 của Lan").
pub const MAX_LABEL_CHARS: usize = 80;

/// Whom a phone is enrolled for: a member of a cell, or a staff account (which syncs its scope).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    Member(MemberId),
    User(Login),
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Holder::Member(m) => write!(f, "member {m}"),
            Holder::User(login) => write!(f, "staff account {login}"),
        }
    }
}

/// A holder as the access rules see them, with their name and whether they are disabled.
#[derive(Debug, Clone)]
pub struct HolderInfo {
    /// Their role over their scope. A phone's principal always names the member id its
    /// holder writes under (`author`), so that a phone of a staff account whose role is
    /// `member` reads as a member does: the cell's document and nothing assigned to nobody.
    pub principal: Principal,
    /// Their name, as the device list shows it.
    pub name: String,
    /// A disabled holder's phones are wiped at their next contact.
    pub disabled: bool,
    /// The unit the holder's scope covers.
    pub scope_unit: UnitId,
    /// The member id the holder's phones write under: what a note's author or a rating's
    /// rater must say for a change of theirs.
    pub author: MemberId,
}

/// The member id a holder's phones write under: a member's own id, or a staff account's
/// (`Login::author`).
pub fn author_of(holder: &Holder) -> MemberId {
    match holder {
        Holder::Member(m) => m.clone(),
        Holder::User(login) => login.author(),
    }
}

/// Looks up a holder: their role, scope and name. `None` when there is no such member or account.
pub async fn holder_info(
    conn: &mut AnyConnection,
    holder: &Holder,
) -> DbResult<Option<HolderInfo>> {
    let row = match holder {
        Holder::Member(m) => {
            sqlx::query(
                "SELECT m.role, u.path, m.name, m.disabled_at, m.cell_id FROM members m \
                 JOIN units u ON u.id = m.cell_id WHERE m.id = $1",
            )
            .bind(m.as_str())
            .fetch_optional(&mut *conn)
            .await?
        }
        Holder::User(login) => {
            sqlx::query(
                "SELECT s.role, u.path, s.name, s.disabled_at, s.scope_id FROM users s \
                 JOIN units u ON u.id = s.scope_id WHERE s.login = $1",
            )
            .bind(login.as_str())
            .fetch_optional(&mut *conn)
            .await?
        }
    };
    let Some(row) = row else { return Ok(None) };
    let role_code: String = row.try_get(0)?;
    let role = match holder {
        Holder::Member(_) => AccessRole::of_member(decode(Role::parse(&role_code))?),
        Holder::User(_) => decode(AccessRole::parse(&role_code))?,
    };
    let author = author_of(holder);
    Ok(Some(HolderInfo {
        principal: Principal {
            role,
            scope: decode(UnitPath::parse(&row.try_get::<String, _>(1)?))?,
            member: Some(author.clone()),
        },
        name: row.try_get(2)?,
        disabled: row.try_get::<Option<i64>, _>(3)?.is_some(),
        scope_unit: decode(UnitId::parse(&row.try_get::<String, _>(4)?))?,
        author,
    }))
}

/// A fresh enrolment code for a holder, good once within `ttl` seconds. Returns the code: it is
/// shown once and only its hash is kept.
pub async fn issue_code(
    conn: &mut AnyConnection,
    holder: &Holder,
    by: &Actor,
    now: i64,
    ttl: i64,
) -> DbResult<String> {
    let code = secret::new_code();
    let unit = holder_info(&mut *conn, holder)
        .await?
        .map(|info| info.scope_unit);
    let (member, user) = split(holder);
    sqlx::query(
        "INSERT INTO enrolment_codes (code_hash, member_id, user_login, issued_by, issued_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(secret::hash(&code))
    .bind(member)
    .bind(user)
    .bind(by.to_string())
    .bind(now)
    .bind(now + ttl)
    .execute(&mut *conn)
    .await?;
    audit::record(
        conn,
        now,
        by,
        AuditAction::EnrolCode,
        &holder.to_string(),
        "one-time code issued",
        unit.as_ref(),
    )
    .await?;
    Ok(code)
}

fn split(holder: &Holder) -> (Option<String>, Option<String>) {
    match holder {
        Holder::Member(m) => (Some(m.to_string()), None),
        Holder::User(login) => (None, Some(login.to_string())),
    }
}

/// A code as the QR code a phone's camera reads.
pub fn enrolment_qr(code: &str) -> Result<qrcode::QrCode, qrcode::types::QrError> {
    qrcode::QrCode::new(format!("hosync:enrol:{code}").as_bytes())
}

/// Why a code did not enrol a phone, in words for the person holding it.
#[derive(Debug, thiserror::Error)]
pub enum EnrolError {
    #[error("this enrolment code is not known: check it was typed as given")]
    Unknown,
    #[error("this enrolment code was already used; ask for a new one")]
    Used,
    #[error("this enrolment code expired; ask for a new one")]
    Expired,
    #[error("this enrolment code is for an account that is disabled")]
    Disabled,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl EnrolError {
    /// The refusal as its holder reads it.
    pub fn message(&self) -> Message {
        match self {
            EnrolError::Unknown => Message::EnrolCodeUnknown,
            EnrolError::Used => Message::EnrolCodeUsed,
            EnrolError::Expired => Message::EnrolCodeExpired,
            EnrolError::Disabled => Message::EnrolHolderDisabled,
            EnrolError::Db(_) => Message::ServerFailed,
        }
    }
}

/// Exchanges a code for a device and its token, marking the code used: run it in a write
/// transaction so that a code can never enrol two phones.
/// `actor` is the Automerge actor the phone will write under, when it says: it is bound to the
/// new device at once, so that changes it hands to another phone are known as its own.
pub async fn redeem(
    conn: &mut AnyConnection,
    typed_code: &str,
    label: &str,
    actor: Option<&ActorId>,
    now: i64,
) -> Result<Enrolment, EnrolError> {
    let code = secret::normalise_code(typed_code);
    let row = sqlx::query(
        "SELECT member_id, user_login, expires_at, used_at FROM enrolment_codes WHERE code_hash = $1",
    )
    .bind(secret::hash(&code))
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(EnrolError::Unknown)?;
    if row.try_get::<Option<i64>, _>(3)?.is_some() {
        return Err(EnrolError::Used);
    }
    if row.try_get::<i64, _>(2)? <= now {
        return Err(EnrolError::Expired);
    }
    let holder = holder_from_row(&row)?;
    let info = holder_info(conn, &holder)
        .await?
        .ok_or(EnrolError::Unknown)?;
    if info.disabled {
        return Err(EnrolError::Disabled);
    }
    let (device, token) =
        register(conn, &holder, &info.scope_unit, label, &Actor::Cli, now).await?;
    sqlx::query("UPDATE enrolment_codes SET used_at = $2, device_id = $3 WHERE code_hash = $1")
        .bind(secret::hash(&code))
        .bind(now)
        .bind(device.as_str())
        .execute(&mut *conn)
        .await?;
    if let Some(actor) = actor {
        bind_actor(conn, actor, &device, now).await?;
    }
    let keys = device_keys::store_keys(conn, &device, now).await?;
    Ok(Enrolment {
        device: device.to_string(),
        member: info.author.to_string(),
        name: info.name,
        role: info.principal.role.code().to_owned(),
        scope: info.scope_unit.to_string(),
        token,
        device_secret: keys.device_secret,
        recovery_key: keys.recovery_key,
        recovery_secret: keys.recovery_secret,
    })
}

pub(crate) fn holder_from_row(row: &sqlx::any::AnyRow) -> DbResult<Holder> {
    let member: Option<String> = row.try_get(0)?;
    let user: Option<String> = row.try_get(1)?;
    match (member, user) {
        (Some(m), _) => Ok(Holder::Member(decode(MemberId::parse(&m))?)),
        (None, Some(login)) => Ok(Holder::User(decode(Login::parse(&login))?)),
        (None, None) => Err(sqlx::Error::Decode("a device or code for nobody".into())),
    }
}

/// Creates a device for a holder and returns it with its token (shown once). Enrolment does
/// this after checking a code; the load generator does it directly for thousands of phones.
pub async fn register(
    conn: &mut AnyConnection,
    holder: &Holder,
    unit: &UnitId,
    label: &str,
    by: &Actor,
    now: i64,
) -> DbResult<(DeviceId, String)> {
    let token = secret::new_token();
    let device = decode(DeviceId::parse(&format!(
        "dev-{}",
        &secret::new_token()[..16]
    )))?;
    let (member, user) = split(holder);
    sqlx::query(
        "INSERT INTO devices (id, token_hash, member_id, user_login, label, enrolled_at, enrolled_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(device.as_str())
    .bind(secret::hash(&token))
    .bind(member)
    .bind(user)
    .bind(label)
    .bind(now)
    .bind(by.to_string())
    .execute(&mut *conn)
    .await?;
    audit::record(
        conn,
        now,
        by,
        AuditAction::Enrol,
        &holder.to_string(),
        &format!("device {device} «{label}»"),
        Some(unit),
    )
    .await?;
    Ok((device, token))
}

/// Binds an Automerge actor to the device that writes under it; an actor bound already stays
/// with the device it was bound to first.
pub async fn bind_actor(
    conn: &mut AnyConnection,
    actor: &ActorId,
    device: &DeviceId,
    now: i64,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO device_actors (actor, device_id, bound_at) VALUES ($1, $2, $3) \
         ON CONFLICT (actor) DO NOTHING",
    )
    .bind(actor.to_bytes().to_vec())
    .bind(device.as_str())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The member id each of `actors` writes for, for those bound to a device.
pub async fn actor_authors(
    conn: &mut AnyConnection,
    actors: impl IntoIterator<Item = &ActorId>,
) -> DbResult<HashMap<ActorId, MemberId>> {
    let mut authors = HashMap::new();
    for actor in actors {
        let row = sqlx::query(
            "SELECT d.member_id, d.user_login FROM device_actors a JOIN devices d ON d.id = a.device_id \
             WHERE a.actor = $1",
        )
        .bind(actor.to_bytes().to_vec())
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(row) = row {
            let holder = holder_from_row(&row)?;
            authors.insert(actor.clone(), author_of(&holder));
        }
    }
    Ok(authors)
}

/// What a sync's token says: which device, for whom, and whether it must be wiped.
#[derive(Debug, Clone)]
pub struct DeviceAuth {
    /// The device the token belongs to.
    pub device: DeviceId,
    /// Whom it is enrolled for.
    pub holder: Holder,
    /// The holder's role, scope and name, as the access rules see them.
    pub info: HolderInfo,
    /// Revoked (lost or stolen): its next contact is answered "wipe".
    pub revoked: bool,
}

impl DeviceAuth {
    /// A revoked phone, or one whose holder was disabled, is told to erase itself.
    pub fn must_wipe(&self) -> bool {
        self.revoked || self.info.disabled
    }
}

/// The device a token belongs to; `None` for a token the server never issued.
pub async fn authenticate(conn: &mut AnyConnection, token: &str) -> DbResult<Option<DeviceAuth>> {
    let row = sqlx::query(
        "SELECT member_id, user_login, id, revoked_at FROM devices WHERE token_hash = $1",
    )
    .bind(secret::hash(token))
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let holder = holder_from_row(&row)?;
    let device = decode(DeviceId::parse(&row.try_get::<String, _>(2)?))?;
    let revoked = row.try_get::<Option<i64>, _>(3)?.is_some();
    let Some(info) = holder_info(conn, &holder).await? else {
        return Ok(None);
    };
    Ok(Some(DeviceAuth {
        device,
        holder,
        info,
        revoked,
    }))
}

/// The longest app version a phone may report (`0.1.0`, `cli-0.1.0`).
pub const MAX_APP_VERSION_CHARS: usize = 40;

/// Notes a device's sync: how far the log reached when its push was stored (its answer reads
/// from there or later), when it was last seen, and the app version it said it runs (kept as
/// it was when it says none).
pub async fn record_sync(
    conn: &mut AnyConnection,
    device: &DeviceId,
    cursor: i64,
    app_version: Option<&str>,
    now: i64,
) -> DbResult<()> {
    sqlx::query(
        "UPDATE devices SET cursor_seq = $2, last_sync_at = $3, syncs = syncs + 1, \
         app_version = COALESCE($4, app_version) WHERE id = $1",
    )
    .bind(device.as_str())
    .bind(cursor)
    .bind(now)
    .bind(app_version)
    .execute(conn)
    .await?;
    Ok(())
}

/// One enrolled device, as the device list shows it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct DeviceRow {
    pub id: String,
    pub holder: String,
    pub name: String,
    pub label: String,
    /// The unit whose scope the holder has (their cell, for a member).
    pub unit: String,
    pub enrolled_at: i64,
    #[schema(required = true)]
    pub last_sync_at: Option<i64>,
    pub syncs: i64,
    #[schema(required = true)]
    pub revoked_at: Option<i64>,
    /// Away longer than the lock period: the phone has locked its data until it syncs.
    pub locked: bool,
    /// The app version it sent with its last sync that named one.
    #[schema(required = true)]
    pub app_version: Option<String>,
}

/// The devices whose holders are within `under` (every device when `None`).
pub async fn list(
    conn: &mut AnyConnection,
    under: Option<&UnitPath>,
    now: i64,
    lock_after: i64,
) -> DbResult<Vec<DeviceRow>> {
    let rows = sqlx::query(
        "SELECT d.id, COALESCE(d.member_id, d.user_login), COALESCE(m.name, s.name), d.label, \
         COALESCE(m.cell_id, s.scope_id), d.enrolled_at, d.last_sync_at, d.syncs, d.revoked_at, u.path, d.app_version \
         FROM devices d LEFT JOIN members m ON m.id = d.member_id LEFT JOIN users s ON s.login = d.user_login \
         JOIN units u ON u.id = COALESCE(m.cell_id, s.scope_id) ORDER BY u.path, d.enrolled_at",
    )
    .fetch_all(conn)
    .await?;
    let mut devices = Vec::new();
    for r in rows {
        let path = decode(UnitPath::parse(&r.try_get::<String, _>(9)?))?;
        if under.is_some_and(|scope| !scope.contains(&path)) {
            continue;
        }
        let last_sync_at: Option<i64> = r.try_get(6)?;
        let seen = last_sync_at.unwrap_or(r.try_get(5)?);
        devices.push(DeviceRow {
            id: r.try_get(0)?,
            holder: r.try_get(1)?,
            name: r.try_get(2)?,
            label: r.try_get(3)?,
            unit: r.try_get(4)?,
            enrolled_at: r.try_get(5)?,
            last_sync_at,
            syncs: r.try_get(7)?,
            revoked_at: r.try_get(8)?,
            locked: now - seen > lock_after,
            app_version: r.try_get(10)?,
        });
    }
    Ok(devices)
}

/// A device's holder, as the access rules see them, to check who may revoke it.
pub async fn device_holder(
    conn: &mut AnyConnection,
    device: &DeviceId,
) -> DbResult<Option<HolderInfo>> {
    let row = sqlx::query("SELECT member_id, user_login FROM devices WHERE id = $1")
        .bind(device.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let holder = holder_from_row(&row)?;
    holder_info(conn, &holder).await
}

/// Revokes a device: its next contact is answered "wipe". Returns false when there is no such
/// device or it was revoked already.
pub async fn revoke(
    conn: &mut AnyConnection,
    device: &DeviceId,
    by: &Actor,
    now: i64,
) -> DbResult<bool> {
    let unit = device_holder(&mut *conn, device)
        .await?
        .map(|info| info.scope_unit);
    let done = sqlx::query(
        "UPDATE devices SET revoked_at = $2, revoked_by = $3 WHERE id = $1 AND revoked_at IS NULL",
    )
    .bind(device.as_str())
    .bind(now)
    .bind(by.to_string())
    .execute(&mut *conn)
    .await?
    .rows_affected()
        > 0;
    if done {
        audit::record(
            conn,
            now,
            by,
            AuditAction::Revoke,
            &format!("device {device}"),
            "",
            unit.as_ref(),
        )
        .await?;
    }
    Ok(done)
}

/// The holder named on the command line or in a request: a member id, or a staff login.
pub async fn find_holder(conn: &mut AnyConnection, name: &str) -> DbResult<Option<Holder>> {
    if let Ok(member) = MemberId::parse(name)
        && storage::member_cell(&mut *conn, &member).await?.is_some()
    {
        return Ok(Some(Holder::Member(member)));
    }
    let row = sqlx::query("SELECT login FROM users WHERE login = $1")
        .bind(name)
        .fetch_optional(conn)
        .await?;
    let Ok(login) = Login::parse(name) else {
        return Ok(None);
    };
    Ok(row.map(|_| Holder::User(login)))
}
