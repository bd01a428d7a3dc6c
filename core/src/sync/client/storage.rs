//! How a phone keeps its replica on disk, one record per document, without rewriting it on every
//! edit: a document is stored as a snapshot followed by increments (its new changes, as Automerge
//! saves them after given heads), beside a small record of what the server acknowledged of it,
//! and the replica's own record (who the phone is, its cursor). [`Replica::take_writes`] says
//! what changed since the last call, as records the caller writes in one transaction;
//! [`Replica::compaction`] folds a document's increments into a new snapshot when the caller has
//! time. The caller owns the disk: core only says what to write and reads what it is given.

use std::collections::BTreeSet;

use automerge::ChangeHash;
use serde::{Deserialize, Serialize};

use super::{DocState, Replica, SyncError, doc_error};
use crate::Timestamp;
use crate::docs::{Doc, DocError};
use crate::ids::{DeviceId, DocId, MemberId};
use crate::protocol::{self, Cursor};
use crate::sync::{hashes_from_wire, hashes_to_wire};

/// Increments after which a document is worth compacting into one snapshot again.
pub const COMPACT_AFTER: u32 = 16;

/// What the storage holds of one document, as far as this replica knows.
#[derive(Debug, Clone, Default)]
pub(super) struct DocStored {
    /// The document's heads in storage; `None` when nothing usable is stored, so the next write
    /// is a whole snapshot.
    heads: Option<Vec<ChangeHash>>,
    /// Increments stored after the snapshot: the next one is chunk `increments + 1`.
    increments: u32,
    /// The document's state record as last written.
    state: Option<Vec<u8>>,
}

impl DocStored {
    /// Storage no longer matches (a new history, or a write that failed): write it whole.
    pub(super) fn forget(&mut self) {
        *self = DocStored::default();
    }
}

/// What the storage holds of the replica itself.
#[derive(Debug, Clone, Default)]
pub(super) struct ReplicaStored {
    /// The replica's record as last written.
    meta: Option<Vec<u8>>,
    /// Documents dropped since the last write, whose records are to be deleted.
    pub(super) removed: BTreeSet<DocId>,
}

/// The records to write, all in one transaction, so that what is on disk is a state the phone
/// was in.
#[derive(Debug, Default)]
pub struct StorageWrites {
    /// The replica's own record, when it changed.
    pub meta: Option<Vec<u8>>,
    pub docs: Vec<DocRecord>,
    /// Documents whose records (state and every chunk) are to be deleted.
    pub removed: Vec<DocId>,
}

impl StorageWrites {
    pub fn is_empty(&self) -> bool {
        self.meta.is_none() && self.docs.is_empty() && self.removed.is_empty()
    }
}

/// One document's records to write.
#[derive(Debug)]
pub struct DocRecord {
    pub id: DocId,
    /// The document's bytes, if they changed.
    pub bytes: DocBytes,
    /// The document's state record, if it changed.
    pub state: Option<Vec<u8>>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum DocBytes {
    Unchanged,
    /// The whole document: it replaces every chunk stored of it, as chunk 0.
    Snapshot(Vec<u8>),
    /// The changes since the last write, stored as chunk `chunk` after the ones before it.
    Increment {
        chunk: u32,
        bytes: Vec<u8>,
    },
}

#[derive(Serialize, Deserialize)]
struct ReplicaRecord {
    device: String,
    member: String,
    actor: Vec<u8>,
    token: String,
    lock_after: i64,
    cursor: Cursor,
    last_contact: Option<Timestamp>,
}

#[derive(Serialize, Deserialize)]
struct DocStateRecord {
    acked: Vec<[u8; 32]>,
    refused: Option<(String, Vec<[u8; 32]>)>,
    need_history: bool,
}

impl Replica {
    /// What changed since the last call, marked as stored. If writing it fails, call
    /// [`Replica::forget_stored`], so the next call writes everything again.
    pub fn take_writes(&mut self) -> StorageWrites {
        let mut writes = StorageWrites::default();
        let meta = protocol::encode(&ReplicaRecord {
            device: self.device.to_string(),
            member: self.member.to_string(),
            actor: self.actor.to_bytes().to_vec(),
            token: self.token.clone(),
            lock_after: self.lock_after,
            cursor: self.cursor,
            last_contact: self.last_contact,
        });
        if self.stored.meta.as_ref() != Some(&meta) {
            self.stored.meta = Some(meta.clone());
            writes.meta = Some(meta);
        }
        for (id, state) in &mut self.docs {
            let bytes = next_bytes(state);
            let record = protocol::encode(&DocStateRecord {
                acked: hashes_to_wire(&state.acked),
                refused: state
                    .refused
                    .as_ref()
                    .map(|(reason, hashes)| (reason.clone(), hashes.iter().map(|h| h.0).collect())),
                need_history: state.need_history,
            });
            let record = if state.stored.state.as_ref() == Some(&record) {
                None
            } else {
                state.stored.state = Some(record.clone());
                Some(record)
            };
            if bytes != DocBytes::Unchanged || record.is_some() {
                writes.docs.push(DocRecord {
                    id: id.clone(),
                    bytes,
                    state: record,
                });
            }
        }
        // A document dropped and held again since (sent by the server anew) is written whole
        // above; its old records go first.
        writes.removed = std::mem::take(&mut self.stored.removed)
            .into_iter()
            .collect();
        writes
    }

    /// The last writes did not reach the disk: the next [`Replica::take_writes`] writes every
    /// record again, whole.
    pub fn forget_stored(&mut self) {
        self.stored.meta = None;
        for state in self.docs.values_mut() {
            state.stored.forget();
        }
    }

    /// Snapshots of at most `most` documents whose increments have piled up (at least
    /// [`COMPACT_AFTER`]), each replacing that document's chunks; for when the phone is idle.
    pub fn compaction(&mut self, most: usize) -> StorageWrites {
        let mut writes = StorageWrites::default();
        for (id, state) in &mut self.docs {
            if writes.docs.len() == most {
                break;
            }
            // Only what is already stored is folded; newer changes go by `take_writes`.
            if state.stored.increments < COMPACT_AFTER
                || state.stored.heads.as_deref() != Some(&state.doc.heads())
            {
                continue;
            }
            state.stored.increments = 0;
            writes.docs.push(DocRecord {
                id: id.clone(),
                bytes: DocBytes::Snapshot(state.doc.save()),
                state: None,
            });
        }
        writes
    }

    /// The replica from its own record, holding no documents yet; add them with
    /// [`Replica::restore_doc`].
    pub fn from_record(meta: &[u8]) -> Result<Replica, SyncError> {
        let record: ReplicaRecord = protocol::decode(meta)?;
        let mut replica = Replica::new(
            DeviceId::parse(&record.device)?,
            MemberId::parse(&record.member)?,
            automerge::ActorId::from(record.actor.as_slice()),
        );
        replica.token = record.token;
        replica.lock_after = record.lock_after;
        replica.cursor = record.cursor;
        replica.last_contact = record.last_contact;
        replica.stored.meta = Some(meta.to_vec());
        Ok(replica)
    }

    /// A stored document: its state record and its chunks in order (a snapshot, then the
    /// increments after it).
    pub fn restore_doc(
        &mut self,
        id: DocId,
        state: &[u8],
        chunks: &[Vec<u8>],
    ) -> Result<(), SyncError> {
        let record: DocStateRecord = protocol::decode(state).map_err(|e| doc_error(&id, e))?;
        let doc = match chunks.split_first() {
            Some((first, rest)) => {
                let mut doc = Doc::load(id.clone(), first, self.actor.clone())
                    .map_err(|e: DocError| doc_error(&id, e))?;
                for increment in rest {
                    doc.automerge_mut()
                        .load_incremental(increment)
                        .map_err(|e| doc_error(&id, e))?;
                }
                doc
            }
            None => Doc::empty(id.clone(), self.actor.clone()),
        };
        let stored = DocStored {
            heads: Some(doc.heads()),
            increments: u32::try_from(chunks.len().saturating_sub(1)).unwrap_or(u32::MAX),
            state: Some(state.to_vec()),
        };
        self.stored.removed.remove(&id);
        self.docs.insert(
            id,
            DocState {
                doc,
                acked: hashes_from_wire(&record.acked),
                refused: record
                    .refused
                    .map(|(reason, hashes)| (reason, hashes.into_iter().map(ChangeHash).collect())),
                need_history: record.need_history,
                stored,
            },
        );
        Ok(())
    }
}

/// A document's bytes to write: whole when storage holds nothing of it, else the changes after
/// the stored heads.
fn next_bytes(state: &mut DocState) -> DocBytes {
    let heads = state.doc.heads();
    match &state.stored.heads {
        Some(stored) if *stored == heads => DocBytes::Unchanged,
        Some(stored) => {
            let bytes = state.doc.automerge().save_after(stored);
            state.stored.heads = Some(heads);
            state.stored.increments += 1;
            DocBytes::Increment {
                chunk: state.stored.increments,
                bytes,
            }
        }
        None => {
            state.stored.heads = Some(heads);
            state.stored.increments = 0;
            DocBytes::Snapshot(state.doc.save())
        }
    }
}
