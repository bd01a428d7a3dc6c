//! Documents made on the server (the demo seed, an import) stored whole with their projection
//! rows, as if a phone had pushed them.

use super::changelog::{DocWrite, insert_new};
use hosync_core::{Doc, DocId, UnitId};
use sqlx::AnyConnection;

/// Stores a whole document made on the server (the demo seed), as if a phone had pushed it.
pub async fn insert_doc(
    conn: &mut AnyConnection,
    doc: &Doc,
    unit: &UnitId,
    now: i64,
) -> anyhow::Result<()> {
    let write = DocWrite::whole(doc);
    let rows = crate::storage::projection::Rows::read(doc)?;
    insert_prepared(conn, doc.id(), &write, &rows, unit, now).await
}

/// Stores a new document read and encoded beforehand (off the database's critical path).
pub async fn insert_prepared(
    conn: &mut AnyConnection,
    id: &DocId,
    write: &DocWrite,
    rows: &crate::storage::projection::Rows,
    unit: &UnitId,
    now: i64,
) -> anyhow::Result<()> {
    insert_new(&mut *conn, id, unit, write, "server", now).await?;
    rows.write(conn, unit, now).await
}
