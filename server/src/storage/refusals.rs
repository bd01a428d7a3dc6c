//! Edits the server refused, kept so that the cell's secretary sees them: nothing a member typed
//! is dropped without a trace.

use super::changelog::DbResult;
use hosync_core::{DeviceId, DocId, MemberId, UnitId};
use sqlx::{AnyConnection, Row};

/// An edit the server refused, kept so that the cell's secretary sees it: nothing a member
/// typed is dropped without a trace.
#[derive(Debug, Clone)]
pub struct Refusal {
    /// The document the edit was for.
    pub doc: DocId,
    /// Its cell, whose secretary reviews it.
    pub unit: UnitId,
    /// Who made it: the member id the phone's holder writes under.
    pub holder: MemberId,
    /// The phone that sent it.
    pub device: DeviceId,
    /// Why it was refused, in words for the member and the secretary.
    pub reason: String,
    /// What it would have done, in words.
    pub summary: String,
    /// The refused changes themselves, each an Automerge change chunk.
    pub changes: Vec<Vec<u8>>,
}

/// Stores a refusal, unless the same phone's same refusal is stored already (a phone offers a
/// refused edit again when the document changes once more).
pub async fn record_refusal(conn: &mut AnyConnection, refusal: &Refusal, now: i64) -> DbResult<()> {
    let doc = refusal.doc.to_string();
    let seen = sqlx::query(
        "SELECT 1 FROM refusals WHERE doc_id = $1 AND device_id = $2 AND reason = $3 AND summary = $4",
    )
    .bind(&doc)
    .bind(refusal.device.as_str())
    .bind(&refusal.reason)
    .bind(&refusal.summary)
    .fetch_optional(&mut *conn)
    .await?;
    if seen.is_some() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO refusals (doc_id, unit_id, member_id, device_id, reason, summary, changes, received_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&doc)
    .bind(refusal.unit.as_str())
    .bind(refusal.holder.as_str())
    .bind(refusal.device.as_str())
    .bind(&refusal.reason)
    .bind(&refusal.summary)
    .bind(hosync_core::protocol::encode_changes(&refusal.changes))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// How many refused edits of a device are kept for review.
pub async fn refusals_of(conn: &mut AnyConnection, device: &str) -> DbResult<i64> {
    sqlx::query("SELECT COUNT(*) FROM refusals WHERE device_id = $1")
        .bind(device)
        .fetch_one(conn)
        .await?
        .try_get(0)
}
