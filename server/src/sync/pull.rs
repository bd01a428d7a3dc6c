//! The pull side of a sync: what the phone has not read yet, and what it must drop.

use crate::error::ApiError;
use crate::storage;
use hosync_core::DocId;
use hosync_core::messages::Message;
use hosync_core::sync::ResponseBuilder;
use sqlx::AnyConnection;
use std::collections::BTreeSet;

/// Above this many documents named as held, the server counts what the phone's scope holds
/// before reading the list; no member's or secretary's phone comes near it.
const HOLDING_CHECKED_ABOVE: usize = 1_000;
/// How many documents a phone may hold beyond what its scope holds now: those that left its
/// scope lately (a reassignment, a transfer) and those it made and has not sent.
const HELD_BEYOND_SCOPE: usize = 10_000;

/// Refuses a request that names as held more than a phone of its scope can hold.
pub(super) async fn check_holding(
    conn: &mut AnyConnection,
    scope: &storage::ReadScope,
    holding: &[String],
) -> Result<(), ApiError> {
    if holding.len() <= HOLDING_CHECKED_ABOVE {
        return Ok(());
    }
    let most = storage::readable_count(conn, scope).await? as usize + HELD_BEYOND_SCOPE;
    if holding.len() > most {
        return Err(ApiError::BadRequest(Message::TooManyHeld {
            named: holding.len(),
            most,
        }));
    }
    Ok(())
}

/// What the phone may hold now, read with what it lacks in the answer's snapshot: returned, to
/// tell what it must drop.
pub(super) async fn collect(
    conn: &mut AnyConnection,
    scope: &storage::ReadScope,
    since: i64,
    holding: &[String],
    answer: &mut ResponseBuilder,
) -> Result<BTreeSet<String>, ApiError> {
    let readable: BTreeSet<String> = storage::readable_ids(&mut *conn, scope)
        .await?
        .into_iter()
        .collect();
    collect_updates(conn, scope, since, holding, &readable, answer).await?;
    Ok(readable)
}

/// How many held documents outside the scope are looked up per sync to tell the phone to drop
/// them; a phone holding more drops the rest over its next syncs.
const DROPS_CHECKED_PER_SYNC: usize = 2_000;

/// Tells the phone to drop what it holds but may no longer read (a household reassigned): what
/// the server stores but the scope's query did not return. A document the server does not store
/// (made on the phone, not sent yet) is not dropped. At most [`DROPS_CHECKED_PER_SYNC`] are
/// looked at per sync.
pub(super) async fn drop_what_left(
    conn: &mut AnyConnection,
    holding: &[String],
    readable: &BTreeSet<String>,
    answer: &mut ResponseBuilder,
) -> Result<(), ApiError> {
    let outside: Vec<&str> = holding
        .iter()
        .filter(|raw| !readable.contains(*raw) && DocId::parse(raw).is_ok())
        .map(String::as_str)
        .take(DROPS_CHECKED_PER_SYNC)
        .collect();
    if outside.is_empty() {
        return Ok(());
    }
    for raw in storage::stored_ids(conn, &outside).await? {
        if let Ok(id) = DocId::parse(&raw) {
            answer.drop_doc(&id);
        }
    }
    Ok(())
}

/// Adds what the phone has not read yet. A phone that has read nothing (or whose cursor is
/// from another database) gets every document of its scope as a snapshot. Otherwise it gets the
/// changes logged after its cursor, and whole any document that is new to it: created after its
/// cursor, or come into its scope (a household assigned to it or moved into its cell) while it
/// held none of it.
async fn collect_updates(
    conn: &mut AnyConnection,
    scope: &storage::ReadScope,
    since: i64,
    holding: &[String],
    readable: &BTreeSet<String>,
    answer: &mut ResponseBuilder,
) -> Result<(), ApiError> {
    if since == 0 {
        for stored in storage::scope_documents(&mut *conn, scope).await? {
            add_whole(answer, stored);
        }
        return Ok(());
    }
    // A document can come into a scope long after it was made: a household assigned to a
    // member, moved into a cell, a member's reports following them to their new cell. Whatever
    // the scope reads and the phone does not hold is sent whole.
    let held: BTreeSet<&str> = holding.iter().map(String::as_str).collect();
    let missing: BTreeSet<String> = readable
        .iter()
        .filter(|id| !held.contains(id.as_str()))
        .cloned()
        .collect();
    let rows = storage::changes_since(&mut *conn, scope, since).await?;
    let mut seen = BTreeSet::new();
    let mut snapshot_upto = std::collections::BTreeMap::new();
    for row in rows {
        if missing.contains(&row.change.doc_id) {
            continue;
        }
        let Ok(id) = DocId::parse(&row.change.doc_id) else {
            continue;
        };
        if seen.insert(id.clone()) {
            if row.doc_first_seq > since
                && !answer.was_pushed(&id)
                && let Some((bytes, upto)) = storage::snapshot(&mut *conn, &id).await?
            {
                answer.snapshot(&id, bytes);
                snapshot_upto.insert(id.clone(), upto);
            }
            answer.heads(&id, &row.doc_heads);
        }
        if snapshot_upto
            .get(&id)
            .is_some_and(|upto| row.change.seq <= *upto)
        {
            continue;
        }
        answer.change(&id, &row.change.hash, row.change.bytes);
    }
    let missing: Vec<&str> = missing.iter().map(String::as_str).collect();
    for stored in storage::stored_docs(&mut *conn, &missing).await? {
        add_whole(answer, stored);
    }
    Ok(())
}

fn add_whole(answer: &mut ResponseBuilder, stored: storage::StoredDoc) {
    let Ok(id) = DocId::parse(&stored.doc_id) else {
        return;
    };
    answer.snapshot(&id, stored.snapshot);
    for row in stored.tail {
        answer.change(&id, &row.hash, row.bytes);
    }
    answer.heads(&id, &stored.heads);
}
