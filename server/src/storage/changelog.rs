//! Documents as an append-only change log plus compacted snapshots: loading one, appending a
//! push's changes, the log read whole or from a position, and the database's epoch.

use std::collections::HashMap;

use automerge::{ActorId, Change, ChangeHash};
use hosync_core::{Doc, DocId, UnitId};
use sqlx::{AnyConnection, Row};

/// After this many changes past the snapshot, the snapshot is saved again, so loading a
/// document never replays a long tail.
const SNAPSHOT_EVERY: i64 = 32;

pub type DbResult<T> = Result<T, sqlx::Error>;

/// A stored value that does not parse, as sqlx's decoding error.
pub fn decode<T, E: std::error::Error + Send + Sync + 'static>(r: Result<T, E>) -> DbResult<T> {
    r.map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// A stored document's bookkeeping, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocRow {
    pub heads: Vec<ChangeHash>,
    pub first_seq: i64,
    pub snapshot_seq: i64,
    /// The log position of its latest change: a writer that saw another value was not the last.
    pub last_seq: i64,
    pub changes_since_snapshot: i64,
}

/// One entry of the change log.
#[derive(Debug)]
pub struct LogRow {
    pub seq: i64,
    pub doc_id: String,
    pub hash: ChangeHash,
    pub bytes: Vec<u8>,
}

pub fn heads_to_bytes(heads: &[ChangeHash]) -> Vec<u8> {
    heads.iter().flat_map(|h| h.0).collect()
}

pub fn heads_from_bytes(bytes: &[u8]) -> Vec<ChangeHash> {
    bytes
        .chunks_exact(32)
        .filter_map(|c| <[u8; 32]>::try_from(c).ok())
        .map(ChangeHash)
        .collect()
}

fn hash_from_bytes(bytes: &[u8]) -> ChangeHash {
    ChangeHash(<[u8; 32]>::try_from(bytes).unwrap_or([0; 32]))
}

/// The database's epoch, made once: phones' cursors carry it, so a cursor into another (or a
/// restored) database is recognised and not trusted. Servers starting together on a new
/// database each propose one; the first stored wins (`DO NOTHING`), and every server reads back
/// the one stored, so all of them speak the same epoch.
pub async fn epoch(conn: &mut AnyConnection) -> DbResult<u64> {
    // Nonzero, and small enough for PostgreSQL's signed BIGINT should it ever be stored as one.
    let proposed = rand::random::<u64>() >> 2 | 1;
    sqlx::query("INSERT INTO meta (key, value) VALUES ('epoch', $1) ON CONFLICT (key) DO NOTHING")
        .bind(proposed.to_string())
        .execute(&mut *conn)
        .await?;
    let value: String = sqlx::query("SELECT value FROM meta WHERE key = 'epoch'")
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    decode(value.parse::<u64>())
}

pub async fn doc_row(conn: &mut AnyConnection, id: &DocId) -> DbResult<Option<DocRow>> {
    let row = sqlx::query(
        "SELECT heads, first_seq, snapshot_seq, last_seq, changes_since_snapshot FROM documents WHERE doc_id = $1",
    )
    .bind(id.to_string())
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(doc_row_from).transpose()
}

/// A document's row from a query whose first columns are `heads, first_seq, snapshot_seq,
/// last_seq, changes_since_snapshot`.
fn doc_row_from(row: &sqlx::any::AnyRow) -> DbResult<DocRow> {
    Ok(DocRow {
        heads: heads_from_bytes(&row.try_get::<Vec<u8>, _>(0)?),
        first_seq: row.try_get(1)?,
        snapshot_seq: row.try_get(2)?,
        last_seq: row.try_get(3)?,
        changes_since_snapshot: row.try_get(4)?,
    })
}

/// The stored snapshot and the log position it covers.
pub async fn snapshot(conn: &mut AnyConnection, id: &DocId) -> DbResult<Option<(Vec<u8>, i64)>> {
    let row = sqlx::query("SELECT snapshot, snapshot_seq FROM documents WHERE doc_id = $1")
        .bind(id.to_string())
        .fetch_optional(conn)
        .await?;
    row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
}

/// Loads a document: its snapshot, then the changes logged after it.
pub async fn load_doc(
    conn: &mut AnyConnection,
    id: &DocId,
    actor: &ActorId,
) -> anyhow::Result<Option<Doc>> {
    Ok(load_doc_with_row(conn, id, actor)
        .await?
        .map(|(doc, _)| doc))
}

/// A document with its row, read together: the snapshot and row in one query, the tail after
/// the snapshot (if any) in another.
pub async fn load_doc_with_row(
    conn: &mut AnyConnection,
    id: &DocId,
    actor: &ActorId,
) -> anyhow::Result<Option<(Doc, DocRow)>> {
    let row = sqlx::query(
        "SELECT heads, first_seq, snapshot_seq, last_seq, changes_since_snapshot, snapshot FROM documents WHERE doc_id = $1",
    )
    .bind(id.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let doc_row = doc_row_from(&row)?;
    let mut doc = Doc::load(id.clone(), &row.try_get::<Vec<u8>, _>(5)?, actor.clone())?;
    crate::metrics::DOCUMENTS_LOADED.inc();
    if doc_row.last_seq > doc_row.snapshot_seq {
        let rows =
            sqlx::query("SELECT bytes FROM changes WHERE doc_id = $1 AND seq > $2 ORDER BY seq")
                .bind(id.to_string())
                .bind(doc_row.snapshot_seq)
                .fetch_all(conn)
                .await?;
        let mut tail = Vec::with_capacity(rows.len());
        for row in rows {
            tail.push(Change::from_bytes(row.try_get::<Vec<u8>, _>(0)?)?);
        }
        doc.automerge_mut().apply_changes(tail)?;
    }
    Ok(Some((doc, doc_row)))
}

/// Rows per INSERT statement when appending changes: few statements, and far below SQLite's
/// and PostgreSQL's limits on parameters.
const CHANGES_PER_INSERT: usize = 64;

/// Appends changes to the log and returns the first and last positions they took.
async fn insert_changes(
    conn: &mut AnyConnection,
    doc: &DocId,
    unit: &UnitId,
    changes: &[(ChangeHash, &[u8])],
    device: &str,
    now: i64,
) -> DbResult<Option<(i64, i64)>> {
    let mut span: Option<(i64, i64)> = None;
    let doc_id = doc.to_string();
    for chunk in changes.chunks(CHANGES_PER_INSERT) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| {
                let p = 6 + 2 * i;
                format!("($1, $2, ${}, ${}, $3, $4, $5)", p, p + 1)
            })
            .collect();
        // Only placeholders are spliced in; every value is bound.
        let sql = sqlx::AssertSqlSafe(format!(
            "INSERT INTO changes (doc_id, unit_id, hash, bytes, device_id, received_at, owner) VALUES {} RETURNING seq",
            rows.join(", ")
        ));
        let mut query = sqlx::query(sql)
            .bind(doc_id.as_str())
            .bind(unit.as_str())
            .bind(device)
            .bind(now)
            .bind(owner_of(doc));
        for &(hash, bytes) in chunk {
            query = query.bind(hash.0.to_vec()).bind(bytes.to_vec());
        }
        // RETURNING does not promise row order, so the span is taken from the values.
        for row in query.fetch_all(&mut *conn).await? {
            let seq: i64 = row.try_get(0)?;
            span = Some(span.map_or((seq, seq), |(first, last)| (first.min(seq), last.max(seq))));
        }
    }
    Ok(span)
}

/// What storing a document's new changes writes, computed before the write transaction so that
/// the CPU work (encoding, the snapshot) does not hold the database's writer.
#[derive(Debug)]
pub struct DocWrite {
    pub heads: Vec<ChangeHash>,
    pub changes: Vec<(ChangeHash, Vec<u8>)>,
    /// The whole document, when a snapshot is due: for a new document, and every
    /// `SNAPSHOT_EVERY` changes after.
    pub snapshot: Option<Vec<u8>>,
}

impl DocWrite {
    /// A document the database does not hold: all of it.
    pub fn whole(doc: &Doc) -> Self {
        DocWrite {
            heads: doc.heads(),
            snapshot: Some(doc.save()),
            changes: doc
                .automerge()
                .get_changes(&[])
                .iter()
                .map(|c| (c.hash(), c.raw_bytes().to_vec()))
                .collect(),
        }
    }

    /// New changes to a document, whose stored row was `base` (`None`: not stored yet).
    pub fn push(doc: &Doc, new_changes: &[Change], base: Option<&DocRow>) -> Self {
        let due = base.is_none_or(|row| {
            row.changes_since_snapshot + new_changes.len() as i64 >= SNAPSHOT_EVERY
        });
        DocWrite {
            heads: doc.heads(),
            snapshot: due.then(|| doc.save()),
            changes: new_changes
                .iter()
                .map(|c| (c.hash(), c.raw_bytes().to_vec()))
                .collect(),
        }
    }
}

/// Appends a document's new changes to the log and brings its row up to date. `base` is the
/// row the write was computed against (`None` for a new document).
pub async fn write_doc(
    conn: &mut AnyConnection,
    id: &DocId,
    unit: &UnitId,
    write: &DocWrite,
    base: Option<&DocRow>,
    device: &str,
    now: i64,
) -> DbResult<()> {
    let Some(base) = base else {
        return insert_new(conn, id, unit, write, device, now).await;
    };
    let changes: Vec<(ChangeHash, &[u8])> = write
        .changes
        .iter()
        .map(|(h, b)| (*h, b.as_slice()))
        .collect();
    let Some((_, last)) = insert_changes(&mut *conn, id, unit, &changes, device, now).await? else {
        return Ok(());
    };
    let heads = heads_to_bytes(&write.heads);
    match &write.snapshot {
        Some(snapshot) => {
            sqlx::query(
                "UPDATE documents SET heads = $2, snapshot = $3, snapshot_seq = $4, last_seq = $4, changes_since_snapshot = 0 WHERE doc_id = $1",
            )
            .bind(id.to_string())
            .bind(heads)
            .bind(snapshot.as_slice())
            .bind(last)
            .execute(conn)
            .await?;
        }
        None => {
            sqlx::query("UPDATE documents SET heads = $2, last_seq = $3, changes_since_snapshot = $4 WHERE doc_id = $1")
                .bind(id.to_string())
                .bind(heads)
                .bind(last)
                .bind(base.changes_since_snapshot + write.changes.len() as i64)
                .execute(conn)
                .await?;
        }
    }
    Ok(())
}

/// Stores a document the database does not hold yet: its row, then its changes.
pub(super) async fn insert_new(
    conn: &mut AnyConnection,
    id: &DocId,
    unit: &UnitId,
    write: &DocWrite,
    device: &str,
    now: i64,
) -> DbResult<()> {
    let id_text = id.to_string();
    let snapshot = write.snapshot.as_deref().unwrap_or_default();
    // The row must exist before the changes that reference it; the log positions follow.
    sqlx::query(
        "INSERT INTO documents (doc_id, kind, unit_id, heads, snapshot, snapshot_seq, first_seq, last_seq, changes_since_snapshot, owner) \
         VALUES ($1, $2, $3, $4, $5, 0, 0, 0, 0, $6)",
    )
    .bind(&id_text)
    .bind(id.kind().as_str())
    .bind(unit.as_str())
    .bind(heads_to_bytes(&write.heads))
    .bind(snapshot)
    .bind(owner_of(id))
    .execute(&mut *conn)
    .await?;
    let changes: Vec<(ChangeHash, &[u8])> = write
        .changes
        .iter()
        .map(|(h, b)| (*h, b.as_slice()))
        .collect();
    if let Some((first, last)) = insert_changes(&mut *conn, id, unit, &changes, device, now).await?
    {
        sqlx::query("UPDATE documents SET snapshot_seq = $2, last_seq = $2, first_seq = $3 WHERE doc_id = $1")
            .bind(&id_text)
            .bind(last)
            .bind(first)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// The member a document belongs to alone (a monthly report), or "" for shared documents.
pub fn owner_of(id: &DocId) -> &str {
    match id {
        DocId::Report(member, _) => member.as_str(),
        DocId::Household(_) | DocId::Cell(_) => "",
    }
}

pub(super) fn log_row(r: &sqlx::any::AnyRow) -> DbResult<LogRow> {
    Ok(LogRow {
        seq: r.try_get(0)?,
        doc_id: r.try_get(1)?,
        hash: hash_from_bytes(&r.try_get::<Vec<u8>, _>(2)?),
        bytes: r.try_get(3)?,
    })
}

/// A stored document whole: what a phone that has none of a unit gets.
#[derive(Debug)]
pub struct StoredDoc {
    pub doc_id: String,
    pub heads: Vec<ChangeHash>,
    pub snapshot: Vec<u8>,
    /// Changes logged after the snapshot.
    pub tail: Vec<LogRow>,
}

/// Documents whole from their rows (`doc_id, heads, snapshot, snapshot_seq, last_seq`) and
/// the rows of their tails (`seq, doc_id, hash, bytes`, in log order), as two queries read them
/// for many documents at once.
pub(super) fn assemble_docs(
    docs: &[sqlx::any::AnyRow],
    tails: &[sqlx::any::AnyRow],
) -> DbResult<Vec<StoredDoc>> {
    let mut tail_of: HashMap<String, Vec<LogRow>> = HashMap::new();
    for row in tails {
        let row = log_row(row)?;
        tail_of.entry(row.doc_id.clone()).or_default().push(row);
    }
    docs.iter()
        .map(|r| {
            let doc_id: String = r.try_get(0)?;
            Ok(StoredDoc {
                tail: tail_of.remove(&doc_id).unwrap_or_default(),
                heads: heads_from_bytes(&r.try_get::<Vec<u8>, _>(1)?),
                snapshot: r.try_get(2)?,
                doc_id,
            })
        })
        .collect()
}

/// `$1, $2, …, $n`: the placeholders of an `IN (…)` list, each value bound.
pub(super) fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The stored documents among `ids`, whole: two queries for every 500 of them.
pub async fn stored_docs(conn: &mut AnyConnection, ids: &[&str]) -> DbResult<Vec<StoredDoc>> {
    let mut stored = Vec::with_capacity(ids.len());
    // Chunks keep every statement far below the databases' limits on parameters.
    for chunk in ids.chunks(500) {
        let marks = placeholders(chunk.len());
        // Only placeholders are spliced in; every id is bound.
        let docs_sql = sqlx::AssertSqlSafe(format!(
            "SELECT doc_id, heads, snapshot, snapshot_seq, last_seq FROM documents \
             WHERE doc_id IN ({marks}) ORDER BY doc_id"
        ));
        let tails_sql = sqlx::AssertSqlSafe(format!(
            "SELECT c.seq, c.doc_id, c.hash, c.bytes FROM changes c \
             JOIN documents d ON d.doc_id = c.doc_id \
             WHERE c.doc_id IN ({marks}) AND c.seq > d.snapshot_seq ORDER BY c.seq"
        ));
        let mut docs = sqlx::query(docs_sql);
        let mut tails = sqlx::query(tails_sql);
        for id in chunk {
            docs = docs.bind(*id);
            tails = tails.bind(*id);
        }
        let docs = docs.fetch_all(&mut *conn).await?;
        let tails = tails.fetch_all(&mut *conn).await?;
        stored.extend(assemble_docs(&docs, &tails)?);
    }
    Ok(stored)
}

/// The last position in the change log.
pub async fn log_end(conn: &mut AnyConnection) -> DbResult<i64> {
    sqlx::query("SELECT COALESCE(MAX(seq), 0) FROM changes")
        .fetch_one(conn)
        .await?
        .try_get(0)
}
