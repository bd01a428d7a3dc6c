//! Storage: documents as a change log with snapshots, the organisation tree, what a phone may
//! read as SQL, refused edits and the projections staff views read, on SQLite or PostgreSQL
//! alike. Every function takes a connection (usually a transaction), so that the caller decides
//! what commits together.

pub mod backup;
pub mod changelog;
pub mod db;
pub mod documents;
pub mod projection;
pub mod refusals;
pub mod scope;
pub mod tree;

pub use changelog::{
    DbResult, DocRow, DocWrite, LogRow, StoredDoc, decode, doc_row, epoch, heads_from_bytes,
    heads_to_bytes, load_doc, load_doc_with_row, log_end, owner_of, snapshot, stored_docs,
    write_doc,
};
pub use db::Db;
pub use documents::{document_unit, edit_on_server, insert_doc, insert_prepared, move_document};
pub use refusals::{Refusal, record_refusal, refusals_of};
pub use scope::{
    ReadScope, UnitChange, changes_since, readable_count, readable_ids, scope_documents, stored_ids,
};
pub use tree::{
    doc_place, insert_household, insert_member, insert_unit, left_member_at, left_scope_at,
    member_cell, unit, unit_path,
};
