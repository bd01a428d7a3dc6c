//! What a phone may read, as SQL: core's `ReadFilter` turned into one condition, and the
//! queries a sync reads its scope with.

use super::changelog::{
    DbResult, LogRow, StoredDoc, assemble_docs, heads_from_bytes, log_row, placeholders,
};
use automerge::ChangeHash;
use hosync_core::MemberId;
use hosync_core::access::ReadFilter;
use sqlx::{AnyConnection, Row};

/// What a phone may read, as a query filters it: core's [`ReadFilter`] for the phone's
/// principal, which mirrors `Principal::may_read`.
#[derive(Debug, Clone)]
pub struct ReadScope(pub ReadFilter);

impl ReadScope {
    /// The binds of [`READABLE`]: the path, whether only a member's documents are read, and
    /// the member ('' for one who is no member of the cell, which matches no assignment and
    /// no report).
    fn binds(&self) -> (&str, i64, &str) {
        match &self.0 {
            ReadFilter::Subtree(path) => (path.as_str(), 0, ""),
            ReadFilter::Member { cell, member } => (
                cell.as_str(),
                1,
                member.as_ref().map_or("", MemberId::as_str),
            ),
        }
    }
}

/// The SQL condition for "document `d` is readable in scope": binds the scope's path as `$1`,
/// 1 for a member's scope (else 0) as `$2` and the member as `$3`.
const READABLE: &str = "d.unit_id IN (SELECT id FROM units WHERE substr(path, 1, length($1)) = $1) \
     AND ($2 = 0 OR d.kind = 'cell' OR (d.kind = 'report' AND d.owner = $3 AND $3 <> '') \
     OR (d.kind = 'household' AND EXISTS (SELECT 1 FROM assignment_view a WHERE a.cell_id = d.unit_id \
     AND a.member_id = $3 AND 'h:' || a.household_id = d.doc_id)))";

/// A logged change, with what a sync answer needs of its document.
#[derive(Debug)]
pub struct UnitChange {
    pub change: LogRow,
    /// The document's heads and first log position now.
    pub doc_heads: Vec<ChangeHash>,
    pub doc_first_seq: i64,
}

/// The changes logged after `since` to documents readable in `scope`, in log order, each with
/// its document's heads: one query, however many documents changed.
pub async fn changes_since(
    conn: &mut AnyConnection,
    scope: &ReadScope,
    since: i64,
) -> DbResult<Vec<UnitChange>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT c.seq, c.doc_id, c.hash, c.bytes, d.heads, d.first_seq FROM changes c \
         JOIN documents d ON d.doc_id = c.doc_id WHERE c.seq > $4 AND {READABLE} ORDER BY c.seq"
    ));
    let (path, member_only, member) = scope.binds();
    let rows = sqlx::query(sql)
        .bind(path)
        .bind(member_only)
        .bind(member)
        .bind(since)
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(UnitChange {
                change: log_row(r)?,
                doc_heads: heads_from_bytes(&r.try_get::<Vec<u8>, _>(4)?),
                doc_first_seq: r.try_get(5)?,
            })
        })
        .collect()
}

/// The ids of every document readable in `scope`.
pub async fn readable_ids(conn: &mut AnyConnection, scope: &ReadScope) -> DbResult<Vec<String>> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT d.doc_id FROM documents d WHERE {READABLE}"));
    let (path, member_only, member) = scope.binds();
    let rows = sqlx::query(sql)
        .bind(path)
        .bind(member_only)
        .bind(member)
        .fetch_all(conn)
        .await?;
    rows.iter().map(|r| r.try_get(0)).collect()
}

/// How many documents are readable in `scope`: what a phone of that scope can hold.
pub async fn readable_count(conn: &mut AnyConnection, scope: &ReadScope) -> DbResult<i64> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM documents d WHERE {READABLE}"));
    let (path, member_only, member) = scope.binds();
    sqlx::query(sql)
        .bind(path)
        .bind(member_only)
        .bind(member)
        .fetch_one(conn)
        .await?
        .try_get(0)
}

/// Which of `ids` the server stores; the rest were made on a phone and not sent yet.
pub async fn stored_ids(conn: &mut AnyConnection, ids: &[&str]) -> DbResult<Vec<String>> {
    let mut stored = Vec::new();
    // Chunks keep every statement far below the databases' limits on parameters.
    for chunk in ids.chunks(500) {
        // Only placeholders are spliced in; every id is bound.
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT doc_id FROM documents WHERE doc_id IN ({})",
            placeholders(chunk.len())
        ));
        let mut query = sqlx::query(sql);
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&mut *conn).await? {
            stored.push(row.try_get(0)?);
        }
    }
    Ok(stored)
}

/// Every document readable in `scope`, as snapshots and their tails: two queries, however
/// many documents the scope holds.
pub async fn scope_documents(
    conn: &mut AnyConnection,
    scope: &ReadScope,
) -> DbResult<Vec<StoredDoc>> {
    let docs_sql = sqlx::AssertSqlSafe(format!(
        "SELECT d.doc_id, d.heads, d.snapshot, d.snapshot_seq, d.last_seq FROM documents d \
         WHERE {READABLE} ORDER BY d.doc_id"
    ));
    let tails_sql = sqlx::AssertSqlSafe(format!(
        "SELECT c.seq, c.doc_id, c.hash, c.bytes FROM changes c \
         JOIN documents d ON d.doc_id = c.doc_id \
         WHERE ({READABLE}) AND c.seq > d.snapshot_seq ORDER BY c.seq"
    ));
    let (path, member_only, member) = scope.binds();
    let docs = sqlx::query(docs_sql)
        .bind(path)
        .bind(member_only)
        .bind(member)
        .fetch_all(&mut *conn)
        .await?;
    let tails = sqlx::query(tails_sql)
        .bind(path)
        .bind(member_only)
        .bind(member)
        .fetch_all(&mut *conn)
        .await?;
    assemble_docs(&docs, &tails)
}
