//! How a phone keeps its replica on disk, one record per document, without rewriting it on every
//! edit: a document is stored as a snapshot followed by increments (its new changes, as Automerge
//! saves them after given heads), beside a small record of what the server acknowledged of it,
//! and the replica's own record (who the phone is, its cursor). [`Replica::take_writes`] says
//! what changed since the last call, as records the caller writes in one transaction;
//! [`Replica::compaction`] folds a document's increments into a new snapshot when the caller has
//! time. The caller owns the disk: core only says what to write and reads what it is given.

use std::collections::BTreeSet;

use automerge::{ActorId, ChangeHash};
use serde::{Deserialize, Serialize};

use super::{DocState, Replica, SyncError, Unread, doc_error};
use crate::Timestamp;
use crate::date::{Day, Month};
use crate::docs::household::{self, HouseholdDigest};
use crate::docs::{Doc, DocError};
use crate::ids::{DeviceId, DocId, DocKind, HouseholdId, MemberId};
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
    pub(super) fn heads(&self) -> Option<&[ChangeHash]> {
        self.heads.as_deref()
    }

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
    /// The document's heads in its chunks, so it need not be read to know them.
    heads: Vec<[u8; 32]>,
    /// A household's digest, so the list needs no document read.
    digest: Option<DigestRecord>,
    /// Whether it holds a conflict, so the secretary's list needs no document read.
    conflicted: bool,
    /// The heads the digest and the flag were computed at.
    digested_at: Option<Vec<[u8; 32]>>,
}

/// [`HouseholdDigest`] as stored: days and months as ISO text.
#[derive(Serialize, Deserialize)]
struct DigestRecord {
    id: String,
    head: String,
    village: String,
    people: u32,
    visited: Vec<String>,
    last_visit: Option<String>,
    open_flags: u32,
    closed: bool,
}

impl From<&HouseholdDigest> for DigestRecord {
    fn from(d: &HouseholdDigest) -> Self {
        DigestRecord {
            id: d.id.to_string(),
            head: d.head.clone(),
            village: d.village.clone(),
            people: d.people,
            visited: d.visited.iter().map(Month::iso).collect(),
            last_visit: d.last_visit.as_ref().map(Day::iso),
            open_flags: u32::try_from(d.open_flags).unwrap_or(u32::MAX),
            closed: d.closed,
        }
    }
}

impl DigestRecord {
    fn parse(&self) -> Result<HouseholdDigest, String> {
        let visited = self
            .visited
            .iter()
            .map(|m| Month::parse(m).map_err(|e| e.to_string()))
            .collect::<Result<_, _>>()?;
        let last_visit = match &self.last_visit {
            Some(day) => Some(Day::parse(day).map_err(|e| e.to_string())?),
            None => None,
        };
        Ok(HouseholdDigest {
            id: HouseholdId::parse(&self.id).map_err(|e| e.to_string())?,
            head: self.head.clone(),
            village: self.village.clone(),
            people: self.people,
            visited,
            last_visit,
            open_flags: self.open_flags as usize,
            closed: self.closed,
        })
    }
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
            if !std::mem::take(&mut state.dirty) {
                continue;
            }
            let bytes = next_bytes(state);
            let record = protocol::encode(&DocStateRecord {
                acked: hashes_to_wire(&state.acked),
                refused: state
                    .refused
                    .as_ref()
                    .map(|(reason, hashes)| (reason.clone(), hashes.iter().map(|h| h.0).collect())),
                need_history: state.need_history,
                heads: hashes_to_wire(&state.heads()),
                digest: state.digest.as_ref().map(DigestRecord::from),
                conflicted: state.conflicted,
                digested_at: state.digested_at.as_deref().map(hashes_to_wire),
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
            state.dirty = true;
        }
    }

    /// Work for when the phone is idle, in at most `most` documents: digests and conflict flags
    /// computed again for documents read whose edits left them stale (kept off the saving of
    /// an edit, which they would slow), with their state records; then snapshots of documents
    /// whose increments have piled up (at least [`COMPACT_AFTER`]), each replacing that
    /// document's chunks.
    pub fn compaction(&mut self, most: usize) -> StorageWrites {
        let mut refreshed = 0;
        for state in self.docs.values_mut() {
            if refreshed == most {
                break;
            }
            if state.doc.is_some() && !state.digest_fresh() {
                state.digest_now();
                refreshed += 1;
            }
        }
        let mut writes = self.take_writes();
        // A document whose bytes go in these writes is folded another time, so that no chunk
        // number is written twice in one transaction.
        let written: BTreeSet<DocId> = writes
            .docs
            .iter()
            .filter(|r| r.bytes != DocBytes::Unchanged)
            .map(|r| r.id.clone())
            .collect();
        let mut folded = 0;
        for (id, state) in &mut self.docs {
            if folded == most {
                break;
            }
            if written.contains(id) {
                continue;
            }
            // Only what is already stored is folded, and only a document read (one not read
            // is folded once it is); newer changes go by `take_writes`.
            let Some(doc) = state.doc() else {
                continue;
            };
            if state.stored.increments < COMPACT_AFTER
                || state.stored.heads.as_deref() != Some(&doc.heads())
            {
                continue;
            }
            let snapshot = doc.save();
            state.stored.increments = 0;
            folded += 1;
            writes.docs.push(DocRecord {
                id: id.clone(),
                bytes: DocBytes::Snapshot(snapshot),
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
    /// increments after it), kept unread until it is needed ([`Replica::read`]).
    pub fn restore_doc(
        &mut self,
        id: DocId,
        state: &[u8],
        chunks: &[Vec<u8>],
    ) -> Result<(), SyncError> {
        let record: DocStateRecord = protocol::decode(state).map_err(|e| doc_error(&id, e))?;
        let heads = hashes_from_wire(&record.heads);
        let digest = match &record.digest {
            Some(d) => Some(d.parse().map_err(|e| doc_error(&id, e))?),
            None => None,
        };
        let stored = DocStored {
            heads: Some(heads.clone()),
            increments: u32::try_from(chunks.len().saturating_sub(1)).unwrap_or(u32::MAX),
            state: Some(state.to_vec()),
        };
        self.stored.removed.remove(&id);
        self.docs.insert(
            id,
            DocState {
                doc: None,
                unread: Some(Unread {
                    chunks: chunks.to_vec(),
                    heads,
                }),
                acked: hashes_from_wire(&record.acked),
                refused: record
                    .refused
                    .map(|(reason, hashes)| (reason, hashes.into_iter().map(ChangeHash).collect())),
                need_history: record.need_history,
                stored,
                digest,
                conflicted: record.conflicted,
                digested_at: record.digested_at.as_deref().map(hashes_from_wire),
                dirty: false,
            },
        );
        Ok(())
    }
}

/// A document from its stored chunks: a snapshot, then the increments after it.
pub(super) fn read_chunks(
    id: &DocId,
    chunks: &[Vec<u8>],
    actor: &ActorId,
) -> Result<Doc, SyncError> {
    let Some((first, rest)) = chunks.split_first() else {
        return Ok(Doc::empty(id.clone(), actor.clone()));
    };
    let mut doc =
        Doc::load(id.clone(), first, actor.clone()).map_err(|e: DocError| doc_error(id, e))?;
    for increment in rest {
        doc.automerge_mut()
            .load_incremental(increment)
            .map_err(|e| doc_error(id, e))?;
    }
    Ok(doc)
}

/// A household's digest, for the list; none for other documents.
pub(super) fn digest_of(doc: &Doc) -> Option<HouseholdDigest> {
    if doc.kind() != DocKind::Household {
        return None;
    }
    household::read(doc).ok().map(|h| HouseholdDigest::from(&h))
}

/// A document's bytes to write: whole when storage holds nothing of it, else the changes after
/// the stored heads.
fn next_bytes(state: &mut DocState) -> DocBytes {
    let Some(doc) = state.doc() else {
        // A document not read is as it was stored, unless storage lost track of it (a write
        // that failed, a phone set up from another's data): then its chunks in a row, which
        // read back as one.
        if state.stored.heads.is_some() {
            return DocBytes::Unchanged;
        }
        state.stored.heads = Some(state.heads());
        state.stored.increments = 0;
        return DocBytes::Snapshot(state.bytes());
    };
    let heads = doc.heads();
    match &state.stored.heads {
        Some(stored) if *stored == heads => DocBytes::Unchanged,
        Some(stored) => {
            let bytes = doc.automerge().save_after(stored);
            state.stored.heads = Some(heads);
            state.stored.increments += 1;
            DocBytes::Increment {
                chunk: state.stored.increments,
                bytes,
            }
        }
        None => {
            let snapshot = doc.save();
            state.stored.heads = Some(heads);
            state.stored.increments = 0;
            DocBytes::Snapshot(snapshot)
        }
    }
}
