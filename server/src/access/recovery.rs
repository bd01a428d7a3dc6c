//! A phone's keys and their recovery. A phone encrypts its records under a data key of its own,
//! kept wrapped under a key from its holder's PIN (salted with `device_secret`) and under the
//! `recovery_key` the server keeps. A holder who forgot the PIN asks with the phone's
//! `recovery_secret`; once someone who may enrol a phone for them approves, the next ask gets
//! the recovery key, once. A revoked phone, or a disabled holder's, never gets it.

use hosync_core::DeviceId;
use hosync_core::access::{Denied, Principal};
use hosync_core::protocol::{PendingRecovery, PhoneKeys, RecoveryApproval, RecoveryStatus};
use sqlx::{AnyConnection, Row};

use crate::access::audit::{self, Actor, AuditAction};
use crate::access::device_keys::store_keys;
use crate::access::devices::{self, holder_info};
use crate::access::secret;
use crate::storage::DbResult;

/// [`store_keys`], recorded in the audit log.
pub async fn issue_keys(
    conn: &mut AnyConnection,
    device: &DeviceId,
    by: &Actor,
    now: i64,
) -> DbResult<PhoneKeys> {
    let keys = store_keys(&mut *conn, device, now).await?;
    let unit = devices::device_holder(&mut *conn, device)
        .await?
        .map(|info| info.scope_unit);
    audit::record(
        conn,
        now,
        by,
        AuditAction::PhoneKeys,
        &format!("device {device}"),
        "keys issued",
        unit.as_ref(),
    )
    .await?;
    Ok(keys)
}

/// Why a phone's ask for its recovery key was refused.
#[derive(Debug, thiserror::Error)]
pub enum AskError {
    /// Unknown device, a phone without keys, or the wrong secret: told apart to nobody.
    #[error("this phone and recovery secret are not known to this server")]
    Unknown,
    #[error(
        "this phone was revoked or its holder disabled: it cannot be recovered; ask your cell secretary to enrol it again"
    )]
    Revoked,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// A phone asks for its recovery key: records a request when none is open, says it waits while
/// one is not approved, and hands the key out once one is (closing the request). Run it in a
/// write transaction.
pub async fn ask(
    conn: &mut AnyConnection,
    device: &str,
    recovery_secret: &str,
    now: i64,
) -> Result<RecoveryStatus, AskError> {
    let device = DeviceId::parse(device.trim()).map_err(|_| AskError::Unknown)?;
    let row = sqlx::query(
        "SELECT member_id, user_login, recovery_secret_hash, recovery_key, revoked_at FROM devices \
         WHERE id = $1",
    )
    .bind(device.as_str())
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AskError::Unknown)?;
    let stored: Option<Vec<u8>> = row.try_get(2)?;
    let given = secret::hash(recovery_secret.trim());
    if !stored.is_some_and(|stored| secret::same_secret(&stored, &given)) {
        return Err(AskError::Unknown);
    }
    let holder = devices::holder_from_row(&row)?;
    let info = holder_info(&mut *conn, &holder)
        .await?
        .ok_or(AskError::Unknown)?;
    if row.try_get::<Option<i64>, _>(4)?.is_some() || info.disabled {
        return Err(AskError::Revoked);
    }
    let recovery_key: Option<String> = row.try_get(3)?;
    let recovery_key = recovery_key
        .ok_or_else(|| sqlx::Error::Decode("a recovery secret without its key".into()))?;
    let target = format!("device {device}");
    let open = sqlx::query(
        "SELECT seq, approved_at FROM recovery_requests WHERE device_id = $1 AND used_at IS NULL \
         ORDER BY seq DESC LIMIT 1",
    )
    .bind(device.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    let by = Actor::Device(device.to_string());
    match open {
        None => {
            sqlx::query("INSERT INTO recovery_requests (device_id, requested_at) VALUES ($1, $2)")
                .bind(device.as_str())
                .bind(now)
                .execute(&mut *conn)
                .await?;
            audit::record(
                conn,
                now,
                &by,
                AuditAction::RecoveryRequest,
                &target,
                &format!("{holder} asks to recover their phone"),
                Some(&info.scope_unit),
            )
            .await?;
            Ok(RecoveryStatus::Waiting)
        }
        Some(open) if open.try_get::<Option<i64>, _>(1)?.is_none() => Ok(RecoveryStatus::Waiting),
        Some(open) => {
            sqlx::query("UPDATE recovery_requests SET used_at = $2 WHERE seq = $1")
                .bind(open.try_get::<i64, _>(0)?)
                .bind(now)
                .execute(&mut *conn)
                .await?;
            audit::record(
                conn,
                now,
                &by,
                AuditAction::RecoveryRelease,
                &target,
                "recovery key handed to the phone",
                Some(&info.scope_unit),
            )
            .await?;
            Ok(RecoveryStatus::Approved { recovery_key })
        }
    }
}

/// The open, unapproved requests of phones whose holders `principal` may approve recovery for;
/// revoked phones and disabled holders' are left out, since they cannot be recovered.
pub async fn pending(
    conn: &mut AnyConnection,
    principal: &Principal,
) -> DbResult<Vec<PendingRecovery>> {
    let rows = sqlx::query(
        "SELECT d.member_id, d.user_login, d.id, d.label, r.requested_at FROM recovery_requests r \
         JOIN devices d ON d.id = r.device_id \
         WHERE r.used_at IS NULL AND r.approved_at IS NULL AND d.revoked_at IS NULL \
         ORDER BY r.requested_at, r.seq",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut pending = Vec::new();
    for row in rows {
        let holder = devices::holder_from_row(&row)?;
        let Some(info) = holder_info(&mut *conn, &holder).await? else {
            continue;
        };
        if info.disabled
            || principal
                .may_approve_recovery(info.principal.role, &info.principal.scope)
                .is_err()
        {
            continue;
        }
        pending.push(PendingRecovery {
            device: row.try_get(2)?,
            member: info.author.to_string(),
            member_name: info.name,
            label: row.try_get(3)?,
            requested_at: row.try_get(4)?,
        });
    }
    Ok(pending)
}

/// Why an approval was refused.
#[derive(Debug, thiserror::Error)]
pub enum ApproveError {
    #[error("there is no recovery waiting for approval for device {0}")]
    NoRequest(DeviceId),
    #[error("{0}")]
    Denied(Denied),
    #[error("device {0} was revoked or its holder disabled: it cannot be recovered")]
    Revoked(DeviceId),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Approves the open request of `device`, if `principal` may approve recovery for its holder.
/// Run it in a write transaction.
pub async fn approve(
    conn: &mut AnyConnection,
    principal: &Principal,
    device: &DeviceId,
    by: &Actor,
    now: i64,
) -> Result<RecoveryApproval, ApproveError> {
    let row = sqlx::query("SELECT member_id, user_login, revoked_at FROM devices WHERE id = $1")
        .bind(device.as_str())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| ApproveError::NoRequest(device.clone()))?;
    let holder = devices::holder_from_row(&row)?;
    let info = holder_info(&mut *conn, &holder)
        .await?
        .ok_or_else(|| ApproveError::NoRequest(device.clone()))?;
    principal
        .may_approve_recovery(info.principal.role, &info.principal.scope)
        .map_err(ApproveError::Denied)?;
    let open = sqlx::query(
        "SELECT seq FROM recovery_requests WHERE device_id = $1 AND used_at IS NULL \
         AND approved_at IS NULL ORDER BY seq DESC LIMIT 1",
    )
    .bind(device.as_str())
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| ApproveError::NoRequest(device.clone()))?;
    if row.try_get::<Option<i64>, _>(2)?.is_some() || info.disabled {
        return Err(ApproveError::Revoked(device.clone()));
    }
    sqlx::query("UPDATE recovery_requests SET approved_at = $2, approved_by = $3 WHERE seq = $1")
        .bind(open.try_get::<i64, _>(0)?)
        .bind(now)
        .bind(by.to_string())
        .execute(&mut *conn)
        .await?;
    audit::record(
        conn,
        now,
        by,
        AuditAction::RecoveryApprove,
        &format!("device {device}"),
        &format!("recovery of {holder}'s phone approved"),
        Some(&info.scope_unit),
    )
    .await?;
    Ok(RecoveryApproval {
        device: device.to_string(),
        approved_at: now,
    })
}
