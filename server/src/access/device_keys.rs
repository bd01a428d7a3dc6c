//! A phone's keys for encrypting its records: the PIN's salt (`device_secret`), the
//! `recovery_key` the server keeps, and the `recovery_secret` the phone asks for recovery with
//! (kept here only as a hash). Issued at enrolment and when a phone asks (see `recovery`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hosync_core::DeviceId;
use hosync_core::protocol::PhoneKeys;
use rand::Rng;
use sqlx::AnyConnection;

use crate::access::secret;
use crate::storage::DbResult;

/// 32 random bytes, as base64url without padding.
fn random_key() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Fresh keys for a phone.
fn new_keys() -> PhoneKeys {
    PhoneKeys {
        device_secret: random_key(),
        recovery_key: random_key(),
        recovery_secret: random_key(),
    }
}

/// Gives `device` fresh keys, replacing any it had: the old recovery secret stops working, and
/// a recovery asked for with it is dropped (its approval was not for these keys). Enrolment
/// does this (its own audit entry says enough); a phone asking later uses [`issue_keys`].
pub async fn store_keys(
    conn: &mut AnyConnection,
    device: &DeviceId,
    now: i64,
) -> DbResult<PhoneKeys> {
    let keys = new_keys();
    sqlx::query(
        "UPDATE devices SET device_secret = $2, recovery_key = $3, recovery_secret_hash = $4 \
         WHERE id = $1",
    )
    .bind(device.as_str())
    .bind(keys.device_secret.as_str())
    .bind(keys.recovery_key.as_str())
    .bind(secret::hash(&keys.recovery_secret))
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE recovery_requests SET used_at = $2 WHERE device_id = $1 AND used_at IS NULL",
    )
    .bind(device.as_str())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(keys)
}
