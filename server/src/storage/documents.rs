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

/// Edits a document on the server (an import, a transfer), as a phone would edit it: under a
/// fresh actor (so that two servers editing at once never reuse one), its new changes appended
/// to the log and its projection rewritten. A document not stored yet is made, in `unit`;
/// a stored one stays where it is. Returns whether anything changed.
pub async fn edit_on_server(
    conn: &mut AnyConnection,
    id: &DocId,
    unit: &UnitId,
    now: i64,
    edit: impl FnOnce(&mut Doc) -> Result<(), hosync_core::DocError>,
) -> anyhow::Result<bool> {
    let actor = hosync_core::docs::random_actor();
    let Some((mut doc, row)) = super::changelog::load_doc_with_row(&mut *conn, id, &actor).await?
    else {
        let mut doc = Doc::create(id.clone(), actor);
        edit(&mut doc)?;
        insert_doc(conn, &doc, unit, now).await?;
        return Ok(true);
    };
    let before = doc.heads();
    edit(&mut doc)?;
    let new_changes: Vec<automerge::Change> = doc.automerge().get_changes(&before);
    if new_changes.is_empty() {
        return Ok(false);
    }
    let write = DocWrite::push(&doc, &new_changes, Some(&row));
    let stored_unit = document_unit(&mut *conn, id).await?.unwrap_or(unit.clone());
    super::changelog::write_doc(
        &mut *conn,
        id,
        &stored_unit,
        &write,
        Some(&row),
        "server",
        now,
    )
    .await?;
    crate::storage::projection::Rows::read(&doc)?
        .write(conn, &stored_unit, now)
        .await?;
    Ok(true)
}

/// The unit a stored document sits in.
pub async fn document_unit(conn: &mut AnyConnection, id: &DocId) -> anyhow::Result<Option<UnitId>> {
    let row: Option<String> = sqlx::query_scalar("SELECT unit_id FROM documents WHERE doc_id = $1")
        .bind(id.to_string())
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|u| UnitId::parse(&u)).transpose()?)
}

/// Moves a stored document to another unit (a household to another cell, a member's reports
/// after them): its row and every logged change, so that each scope's reads find it there.
pub async fn move_document(
    conn: &mut AnyConnection,
    id: &DocId,
    to: &UnitId,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE documents SET unit_id = $2 WHERE doc_id = $1")
        .bind(id.to_string())
        .bind(to.as_str())
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE changes SET unit_id = $2 WHERE doc_id = $1")
        .bind(id.to_string())
        .bind(to.as_str())
        .execute(conn)
        .await?;
    Ok(())
}
