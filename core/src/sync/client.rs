//! The phone's side of sync: every document it holds, what the server has acknowledged of each,
//! and how far it has read the server's log.

use std::collections::{BTreeMap, BTreeSet};

use automerge::{ActorId, Change, ChangeHash};
use serde::{Deserialize, Serialize};

use super::{hashes_from_wire, hashes_to_wire};
use crate::Timestamp;
use crate::docs::household::HouseholdDigest;
use crate::docs::{Doc, DocError};
use crate::ids::{DeviceId, DocId, IdError, MemberId};
use crate::protocol::{self, Cursor, DecodeError, DocPush, PushOutcome, SyncRequest, SyncResponse};

mod storage;

pub use storage::{COMPACT_AFTER, DocBytes, DocRecord, StorageWrites};

/// Why an answer or a bundle could not be taken in. Nothing is lost: the phone keeps its
/// changes and its cursor, and the next sync asks again.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("{0}")]
    Decode(#[from] DecodeError),
    #[error("{0}")]
    Id(#[from] IdError),
    #[error("document {doc}: {error}")]
    Doc { doc: String, error: String },
}

fn doc_error(doc: &DocId, error: impl std::fmt::Display) -> SyncError {
    SyncError::Doc {
        doc: doc.to_string(),
        error: error.to_string(),
    }
}

/// Where one document stands, as the app shows it next to every item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocSyncStatus {
    /// Đã gửi lên máy chủ: the server holds everything on this phone.
    OnServer,
    /// Đã lưu trên máy: saved here, not yet on the server.
    OnPhone,
    /// The server refused the last push, and why; the changes stay on the phone.
    Refused(String),
}

/// What one sync did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SyncOutcome {
    pub accepted: Vec<DocId>,
    pub refused: Vec<(DocId, String)>,
    /// Documents that received changes from others.
    pub updated: Vec<DocId>,
    /// Another round trip is needed now (the server asked for a document's whole history, or it
    /// is a different database than last time).
    pub again: bool,
    /// Documents dropped because they left this phone's scope.
    pub dropped: Vec<DocId>,
    /// The server ordered this phone erased (revoked, or its member disabled): it now holds
    /// nothing, and the app must erase its stored copy too.
    pub wiped: bool,
    /// Another phone had written under this phone's actor (its data was copied): the phone
    /// moved to a new actor and made its unsent edits again under it, to be sent at once.
    pub new_actor: bool,
}

/// How long a phone may stay away before it locks, unless the server said otherwise.
pub const DEFAULT_LOCK_AFTER: i64 = 30 * 24 * 60 * 60;

/// A document still as storage gave it (see [`storage`]): read when first needed, so a phone
/// opens without reading every document into Automerge.
#[derive(Debug, Clone)]
struct Unread {
    chunks: Vec<Vec<u8>>,
    heads: Vec<ChangeHash>,
}

#[derive(Debug, Clone)]
struct DocState {
    /// The document as this phone holds it, once read; until then `unread` holds it.
    doc: Option<Doc>,
    unread: Option<Unread>,
    /// The server holds every change up to these heads.
    acked: Vec<ChangeHash>,
    /// The last refusal, and the changes it refused: they are not sent again until the document
    /// changes once more.
    refused: Option<(String, BTreeSet<ChangeHash>)>,
    /// The server asked for the whole history.
    need_history: bool,
    /// What the phone's storage holds of this document (see [`storage`]).
    stored: storage::DocStored,
    /// What the households list shows of a household, as last computed: beside an unread
    /// document, it is what storage kept.
    digest: Option<HouseholdDigest>,
    /// Whether it holds a conflict, as last computed (for a document not read, as stored).
    conflicted: bool,
    /// The heads `digest` and `conflicted` were computed at: when they are not the document's,
    /// both are stale, and computed again when the phone is idle ([`Replica::compaction`]) or
    /// when asked for.
    digested_at: Option<Vec<ChangeHash>>,
    /// Something of it may have changed since its records were last written, so
    /// [`Replica::take_writes`] looks at it; the others it skips, so an edit costs the same
    /// however many documents the phone holds.
    dirty: bool,
}

impl DocState {
    fn new(doc: Doc) -> Self {
        DocState {
            doc: Some(doc),
            unread: None,
            acked: Vec::new(),
            refused: None,
            need_history: false,
            stored: storage::DocStored::default(),
            digest: None,
            conflicted: false,
            digested_at: None,
            dirty: true,
        }
    }

    fn heads(&self) -> Vec<ChangeHash> {
        match (&self.doc, &self.unread) {
            (Some(doc), _) => doc.heads(),
            (None, Some(unread)) => unread.heads.clone(),
            (None, None) => Vec::new(),
        }
    }

    fn doc(&self) -> Option<&Doc> {
        self.doc.as_ref()
    }

    /// The document, read from its chunks first if it was not yet.
    fn read(&mut self, id: &DocId, actor: &ActorId) -> Result<&mut Doc, SyncError> {
        if self.doc.is_none() {
            let chunks = self.unread.as_ref().map_or(&[][..], |u| &u.chunks[..]);
            self.doc = Some(storage::read_chunks(id, chunks, actor)?);
            self.unread = None;
        }
        Ok(self
            .doc
            .get_or_insert_with(|| Doc::empty(id.clone(), actor.clone())))
    }

    /// The changes the server has not acknowledged; none for a document not read, which
    /// callers read first when it is not synced.
    fn unacked(&self) -> Vec<Change> {
        let base: &[ChangeHash] = if self.need_history { &[] } else { &self.acked };
        self.doc()
            .map(|doc| doc.automerge().get_changes(base))
            .unwrap_or_default()
    }

    /// The whole document as bytes `Doc::load` reads: saved when read, else its chunks in a
    /// row (a snapshot followed by changes loads as one).
    /// Whether `digest` and `conflicted` are those of the document as it is.
    fn digest_fresh(&self) -> bool {
        self.digested_at.as_ref() == Some(&self.heads())
    }

    /// Computes the digest and the conflict flag from the document read.
    fn digest_now(&mut self) {
        if let Some(doc) = &self.doc {
            self.dirty = true;
            self.digest = storage::digest_of(doc);
            self.conflicted = !doc.conflicts().is_empty();
            self.digested_at = Some(doc.heads());
        }
    }

    fn bytes(&self) -> Vec<u8> {
        match (&self.doc, &self.unread) {
            (Some(doc), _) => doc.save(),
            (None, Some(unread)) => unread.chunks.concat(),
            (None, None) => Vec::new(),
        }
    }

    fn is_synced(&self) -> bool {
        !self.need_history && self.heads() == self.acked
    }
}

/// Everything a phone holds.
#[derive(Debug, Clone)]
pub struct Replica {
    /// The device the server enrolled this phone as.
    device: DeviceId,
    /// The member id this phone writes under (the author of its notes).
    member: MemberId,
    /// The Automerge actor its edits are made under; replaced when another phone wrote under it.
    actor: ActorId,
    /// The device token from enrolment, sent with every sync.
    token: String,
    /// Seconds away from the server after which the data locks, as the server last said.
    lock_after: i64,
    /// How far this phone has read the server's change log.
    cursor: Cursor,
    /// Server time at the last answer, to tell how long the phone has been away.
    last_contact: Option<Timestamp>,
    /// Every document on the phone, with what the server has acknowledged of each.
    docs: BTreeMap<DocId, DocState>,
    /// What the request in flight pushed of each document, to know what a refusal refers to.
    in_flight: BTreeMap<DocId, BTreeSet<ChangeHash>>,
    /// The request in flight left documents for the next one (a request carries at most
    /// [`protocol::MAX_PUSHES`]).
    more_to_send: bool,
    /// What the phone's storage holds of the replica itself (see [`storage`]).
    stored: storage::ReplicaStored,
}

/// Applying the server's answer met a change under this phone's own actor that clashes with
/// one the phone made itself.
struct ActorClash;

impl Replica {
    pub fn new(device: DeviceId, member: MemberId, actor: ActorId) -> Self {
        Replica {
            device,
            member,
            actor,
            token: String::new(),
            lock_after: DEFAULT_LOCK_AFTER,
            cursor: Cursor::default(),
            last_contact: None,
            docs: BTreeMap::new(),
            in_flight: BTreeMap::new(),
            more_to_send: false,
            stored: storage::ReplicaStored::default(),
        }
    }

    /// A phone just enrolled: who it is and its token, with no data yet.
    pub fn enrolled(enrolment: &protocol::Enrolment, actor: ActorId) -> Result<Self, SyncError> {
        let mut replica = Replica::new(
            DeviceId::parse(&enrolment.device)?,
            MemberId::parse(&enrolment.member)?,
            actor,
        );
        replica.token = enrolment.token.clone();
        Ok(replica)
    }

    pub fn set_token(&mut self, token: &str) {
        token.clone_into(&mut self.token);
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    /// Whether the phone has been away from the server so long that its data must stay locked
    /// until it syncs again (so a lost phone that never comes back does not stay open). A phone
    /// that has never synced holds nothing yet, so it is not locked.
    pub fn is_locked(&self, now: Timestamp) -> bool {
        self.last_contact
            .is_some_and(|contact| now.saturating_sub(contact) > self.lock_after)
    }

    pub fn lock_after(&self) -> i64 {
        self.lock_after
    }

    pub fn device(&self) -> &DeviceId {
        &self.device
    }

    pub fn member(&self) -> &MemberId {
        &self.member
    }

    pub fn cursor(&self) -> Cursor {
        self.cursor
    }

    pub fn last_contact(&self) -> Option<Timestamp> {
        self.last_contact
    }

    /// A document this phone holds and has read ([`Replica::read`] reads one restored from
    /// storage).
    pub fn doc(&self, id: &DocId) -> Option<&Doc> {
        self.docs.get(id).and_then(DocState::doc)
    }

    /// The documents read so far: every one, unless some were restored from storage unread.
    pub fn docs(&self) -> impl Iterator<Item = &Doc> {
        self.docs.values().filter_map(DocState::doc)
    }

    /// Every document this phone holds, read or not.
    pub fn doc_ids(&self) -> impl Iterator<Item = &DocId> {
        self.docs.keys()
    }

    /// Whether this phone holds the document, read or not.
    pub fn holds(&self, id: &DocId) -> bool {
        self.docs.contains_key(id)
    }

    /// Reads a document restored from storage into Automerge, if it is not yet; false when
    /// the phone does not hold it.
    pub fn read(&mut self, id: &DocId) -> Result<bool, SyncError> {
        let actor = self.actor.clone();
        match self.docs.get_mut(id) {
            Some(state) => state.read(id, &actor).map(|_| true),
            None => Ok(false),
        }
    }

    /// Lets a document read earlier go back to bytes (a phone short of memory keeps only the
    /// documents its screens show in Automerge): only one whose every change is in storage and
    /// in no request under way. Whether it went.
    pub fn release(&mut self, id: &DocId) -> bool {
        if self.in_flight.contains_key(id) {
            return false;
        }
        let Some(state) = self.docs.get_mut(id) else {
            return false;
        };
        let Some(doc) = state.doc() else {
            return false;
        };
        let heads = doc.heads();
        if state.stored.heads() != Some(&heads[..]) {
            return false;
        }
        let chunks = vec![doc.save()];
        state.unread = Some(Unread { chunks, heads });
        state.doc = None;
        true
    }

    /// The document, created with the shared skeleton if this phone has none yet (a new
    /// monthly report, say). Edit it with the functions of [`crate::docs`]. One restored from
    /// storage is read first; call [`Replica::read`] before, to hear if that fails (the
    /// document then starts again from the skeleton here, and its stored chunks are what is
    /// left of it).
    pub fn open(&mut self, id: &DocId) -> &mut Doc {
        let actor = self.actor.clone();
        let state = self
            .docs
            .entry(id.clone())
            .or_insert_with(|| DocState::new(Doc::create(id.clone(), actor.clone())));
        if state.read(id, &actor).is_err() {
            *state = DocState::new(Doc::create(id.clone(), actor.clone()));
        }
        state.dirty = true;
        state
            .doc
            .get_or_insert_with(|| Doc::create(id.clone(), actor))
    }

    /// An existing document, for editing; one restored from storage is read first.
    pub fn doc_mut(&mut self, id: &DocId) -> Option<&mut Doc> {
        let actor = self.actor.clone();
        let state = self.docs.get_mut(id)?;
        state.dirty = true;
        state.read(id, &actor).ok()
    }

    /// What the households list shows of a household: as storage kept it beside the document
    /// while that is current, else from the document (read for it if need be).
    pub fn digest(&mut self, id: &DocId) -> Result<Option<HouseholdDigest>, SyncError> {
        let actor = self.actor.clone();
        let Some(state) = self.docs.get_mut(id) else {
            return Ok(None);
        };
        if !state.digest_fresh() {
            state.read(id, &actor)?;
            state.digest_now();
        }
        Ok(state.digest.clone())
    }

    /// The documents holding a conflict to settle, from the flag kept beside each (a document
    /// whose flag is stale is read for it).
    pub fn conflicted(&mut self) -> Vec<DocId> {
        let actor = self.actor.clone();
        self.docs
            .iter_mut()
            .filter_map(|(id, state)| {
                if !state.digest_fresh() && state.read(id, &actor).is_ok() {
                    state.digest_now();
                }
                state.conflicted.then(|| id.clone())
            })
            .collect()
    }

    pub fn status(&self, id: &DocId) -> Option<DocSyncStatus> {
        let state = self.docs.get(id)?;
        Some(if state.is_synced() {
            DocSyncStatus::OnServer
        } else if let Some((reason, _)) = &state.refused {
            DocSyncStatus::Refused(reason.clone())
        } else {
            DocSyncStatus::OnPhone
        })
    }

    /// Documents with changes the server has not acknowledged.
    pub fn unsynced(&self) -> Vec<DocId> {
        self.docs
            .iter()
            .filter(|(_, s)| !s.is_synced())
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// The request for the next round trip: every change not yet acknowledged, except those
    /// the server refused and nothing has changed since.
    pub fn start_sync(&mut self) -> SyncRequest {
        self.in_flight.clear();
        self.more_to_send = false;
        let mut pushes = Vec::new();
        let actor = self.actor.clone();
        for (id, state) in &mut self.docs {
            if pushes.len() == protocol::MAX_PUSHES {
                self.more_to_send = true;
                break;
            }
            if state.is_synced() {
                continue;
            }
            // One that cannot be read stays unsynced, with its chunks, and sends nothing.
            if state.read(id, &actor).is_err() {
                continue;
            }
            let changes = state.unacked();
            if changes.is_empty() {
                continue;
            }
            if let Some((_, refused)) = &state.refused
                && !state.need_history
                && changes.iter().all(|c| refused.contains(&c.hash()))
            {
                continue;
            }
            self.in_flight
                .insert(id.clone(), changes.iter().map(Change::hash).collect());
            pushes.push(DocPush {
                doc: id.to_string(),
                changes: changes.iter().map(|c| c.raw_bytes().to_vec()).collect(),
            });
        }
        SyncRequest {
            token: self.token.clone(),
            cursor: self.cursor,
            pushes,
            holding: self.docs.keys().map(DocId::to_string).collect(),
        }
    }

    /// Takes in the server's answer. On error nothing is acknowledged and the cursor stays, so
    /// the next sync asks again.
    pub fn finish_sync(&mut self, response: &SyncResponse) -> Result<SyncOutcome, SyncError> {
        let mine = self.actor.to_bytes().to_vec();
        let reused = response.results.iter().any(
            |r| matches!(&r.outcome, PushOutcome::ActorReused { actor, .. } if *actor == mine),
        );
        if reused {
            self.take_new_actor()?;
        }
        let mut outcome = match self.take_in(response, &mine)? {
            Ok(outcome) => outcome,
            // The server sent a change another phone made under this phone's actor: move to a
            // new one, which leaves out the clashing changes of ours, and read the answer again
            // (taking it in twice changes nothing the first pass did).
            Err(ActorClash) if !reused => {
                self.take_new_actor()?;
                match self.take_in(response, &mine)? {
                    Ok(outcome) => outcome,
                    Err(ActorClash) => {
                        return Err(SyncError::Doc {
                            doc: "*".into(),
                            error: "changes under this phone's actor keep clashing".into(),
                        });
                    }
                }
            }
            Err(ActorClash) => {
                return Err(SyncError::Doc {
                    doc: "*".into(),
                    error: "changes under this phone's actor keep clashing".into(),
                });
            }
        };
        if reused || outcome.new_actor {
            outcome.new_actor = true;
            outcome.again = true;
        }
        outcome.again |= self.more_to_send;
        self.more_to_send = false;
        Ok(outcome)
    }

    /// Moves this phone to a fresh actor, each document's unsent changes of the old actor made
    /// again under it ([`Doc::remake_under`]), so that nothing typed is lost and nothing the
    /// server refuses as a clash is sent again.
    fn take_new_actor(&mut self) -> Result<(), SyncError> {
        let old = self.actor.clone();
        let actor = crate::docs::random_actor();
        for (id, state) in &mut self.docs {
            let acked = state.acked.clone();
            let remade = state
                .read(id, &old)?
                .remake_under(&acked, &old, actor.clone())
                .map_err(|e| doc_error(id, e))?;
            state.doc = Some(remade);
            state.refused = None;
            state.dirty = true;
            // A new history: what is stored of the old one must not be loaded with it.
            state.stored.forget();
        }
        self.actor = actor;
        Ok(())
    }

    /// [`Replica::finish_sync`] without the actor's recovery: `Ok(Err(ActorClash))` when the
    /// answer holds a change under this phone's actor that clashes with one of its own.
    /// `first_actor` is the actor this phone pushed under, before any move to a new one.
    fn take_in(
        &mut self,
        response: &SyncResponse,
        first_actor: &[u8],
    ) -> Result<Result<SyncOutcome, ActorClash>, SyncError> {
        let mut outcome = SyncOutcome::default();
        if response.wipe {
            self.stored.removed.extend(self.docs.keys().cloned());
            self.docs.clear();
            self.in_flight.clear();
            self.token.clear();
            self.cursor = Cursor::default();
            self.last_contact = None;
            outcome.wiped = true;
            return Ok(Ok(outcome));
        }
        let new_database = self.cursor.epoch != 0 && response.cursor.epoch != self.cursor.epoch;
        let mut in_answer = BTreeSet::new();

        for update in &response.updates {
            let id = DocId::parse(&update.doc)?;
            let actor = self.actor.clone();
            let state = self
                .docs
                .entry(id.clone())
                .or_insert_with(|| DocState::new(Doc::empty(id.clone(), actor.clone())));
            state.dirty = true;
            let received = update.snapshot.is_some() || !update.changes.is_empty();
            let heads = hashes_from_wire(&update.heads);
            let held = state.heads();
            if !received && state.doc.is_none() && heads.iter().all(|h| held.contains(h)) {
                // Only the server's heads, which this phone holds already: nothing to read.
                state.acked = heads;
                in_answer.insert(id);
                continue;
            }
            let doc = state.read(&id, &actor)?;
            if let Some(snapshot) = &update.snapshot {
                doc.automerge_mut()
                    .load_incremental(snapshot)
                    .map_err(|e| doc_error(&id, e))?;
            }
            let changes = update
                .changes
                .iter()
                .map(|bytes| Change::from_bytes(bytes.clone()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| doc_error(&id, e))?;
            match doc.automerge_mut().apply_changes(changes) {
                Ok(()) => {}
                Err(automerge::AutomergeError::DuplicateSeqNumber(_, actor))
                    if actor == self.actor =>
                {
                    return Ok(Err(ActorClash));
                }
                Err(e) => return Err(doc_error(&id, e)),
            }
            // Acknowledge only what this phone really holds; if a change is missing, pushing
            // more than needed next time is harmless.
            if heads.iter().all(|h| doc.has_change(h)) {
                state.acked = heads;
            }
            if received {
                // What arrives is digested now, so the next opening lists it without reading
                // it; the phone's own edits are digested when it is idle.
                state.digest_now();
                outcome.updated.push(id.clone());
            }
            in_answer.insert(id);
        }

        for result in &response.results {
            let id = DocId::parse(&result.doc)?;
            let Some(state) = self.docs.get_mut(&id) else {
                continue;
            };
            state.dirty = true;
            match &result.outcome {
                PushOutcome::Accepted => {
                    state.refused = None;
                    state.need_history = false;
                    outcome.accepted.push(id);
                }
                PushOutcome::Rejected { reason } => {
                    let pushed = self.in_flight.get(&id).cloned().unwrap_or_default();
                    state.refused = Some((reason.clone(), pushed));
                    state.need_history = false;
                    outcome.refused.push((id, reason.clone()));
                }
                PushOutcome::NeedHistory => {
                    state.need_history = true;
                    outcome.again = true;
                }
                // Ours was handled before the answer was read (the edits are made again under
                // a new actor); a relayed document's clash is another phone's to mend.
                PushOutcome::ActorReused { actor, reason } => {
                    if actor.as_slice() == first_actor {
                        outcome.new_actor = true;
                    } else {
                        let pushed = self.in_flight.get(&id).cloned().unwrap_or_default();
                        state.refused = Some((reason.clone(), pushed));
                        outcome.refused.push((id, reason.clone()));
                    }
                }
            }
        }

        if new_database {
            // The server is not the database this phone last spoke to: what it acknowledged
            // then may be gone, so everything it did not just confirm is offered again.
            for (id, state) in &mut self.docs {
                if !in_answer.contains(id) {
                    state.dirty = true;
                    state.acked.clear();
                }
            }
            outcome.again |= self.docs.values().any(|s| !s.is_synced());
        }
        for raw in &response.drop {
            let id = DocId::parse(raw)?;
            // Everything of this phone's in it is on the server (accepted, or refused and kept
            // there for the secretary); anything newer waits for the next sync.
            let actor = self.actor.clone();
            let settled = self.docs.get_mut(&id).is_some_and(|state| {
                state.is_synced()
                    // Read first: the changes to weigh are in the document.
                    || (state.read(&id, &actor).is_ok()
                        && state.refused.as_ref().is_some_and(|(_, refused)| {
                            state.unacked().iter().all(|c| refused.contains(&c.hash()))
                        }))
            });
            if settled {
                self.remove(&id);
                outcome.dropped.push(id);
            }
        }
        self.cursor = response.cursor;
        self.last_contact = Some(response.server_time);
        if response.lock_after > 0 {
            self.lock_after = response.lock_after;
        }
        self.in_flight.clear();
        Ok(Ok(outcome))
    }

    /// A new phone set up from this one's data (as a secretary's phone can hand its cell to a
    /// phone enrolled in a village without signal): the same documents, acknowledgements and
    /// cursor, but its own device, member and actor, so that its edits never collide with this
    /// phone's.
    pub fn clone_as(&self, device: DeviceId, member: MemberId, actor: ActorId) -> Replica {
        let mut docs = self.docs.clone();
        for state in docs.values_mut() {
            if let Some(doc) = state.doc.as_mut() {
                doc.automerge_mut().set_actor(actor.clone());
            }
            state.refused = None;
            state.stored = storage::DocStored::default();
            state.dirty = true;
        }
        Replica {
            device,
            member,
            actor,
            token: String::new(),
            lock_after: self.lock_after,
            cursor: self.cursor,
            last_contact: self.last_contact,
            docs,
            in_flight: BTreeMap::new(),
            more_to_send: false,
            stored: storage::ReplicaStored::default(),
        }
    }

    /// Keeps only the documents `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(&DocId) -> bool) {
        let removed = &mut self.stored.removed;
        self.docs.retain(|id, _| {
            let kept = keep(id);
            if !kept {
                removed.insert(id.clone());
            }
            kept
        });
    }

    /// Drops a document the phone may no longer hold.
    pub fn remove(&mut self, id: &DocId) {
        if self.docs.remove(id).is_some() {
            self.stored.removed.insert(id.clone());
        }
    }

    /// Every document with changes the server has not acknowledged, whole, as one file (or QR
    /// payload) to hand to another phone, which delivers them to the server if it gets there
    /// first. Whole documents, not just the new changes, so the receiver never lacks a change
    /// they depend on.
    pub fn export_bundle(&self) -> Vec<u8> {
        let docs = self
            .docs
            .iter()
            .filter(|(_, s)| !s.is_synced())
            .map(|(id, s)| (id.to_string(), s.bytes()))
            .collect();
        protocol::encode(&Bundle {
            device: self.device.to_string(),
            docs,
        })
    }

    /// Takes in another phone's bundle; what it adds goes to the server with this phone's next
    /// sync. Returns the documents it touched.
    pub fn import_bundle(&mut self, bytes: &[u8]) -> Result<Vec<DocId>, SyncError> {
        let bundle: Bundle = protocol::decode(bytes)?;
        let mut loaded = Vec::with_capacity(bundle.docs.len());
        // Check every document before merging any, so a damaged bundle changes nothing.
        for (id, bytes) in bundle.docs {
            let id = DocId::parse(&id)?;
            let doc =
                Doc::load(id.clone(), &bytes, self.actor.clone()).map_err(|e| doc_error(&id, e))?;
            loaded.push(doc);
        }
        let mut touched = Vec::with_capacity(loaded.len());
        for mut doc in loaded {
            let id = doc.id().clone();
            match self.docs.get_mut(&id) {
                Some(state) => {
                    state.dirty = true;
                    state
                        .read(&id, &self.actor)?
                        .merge(&mut doc)
                        .map_err(|e| doc_error(&id, e))?
                }
                None => {
                    self.docs.insert(id.clone(), DocState::new(doc));
                }
            }
            touched.push(id);
        }
        Ok(touched)
    }

    /// The whole replica as bytes, to keep on disk between runs.
    pub fn save(&self) -> Vec<u8> {
        let saved = SavedReplica {
            device: self.device.to_string(),
            member: self.member.to_string(),
            actor: self.actor.to_bytes().to_vec(),
            token: self.token.clone(),
            lock_after: self.lock_after,
            cursor: self.cursor,
            last_contact: self.last_contact,
            docs: self
                .docs
                .iter()
                .map(|(id, s)| SavedDoc {
                    id: id.to_string(),
                    bytes: s.bytes(),
                    acked: hashes_to_wire(&s.acked),
                    refused: s.refused.as_ref().map(|(reason, hashes)| {
                        (reason.clone(), hashes.iter().map(|h| h.0).collect())
                    }),
                    need_history: s.need_history,
                })
                .collect(),
        };
        protocol::encode(&saved)
    }

    pub fn load(bytes: &[u8]) -> Result<Self, SyncError> {
        let saved: SavedReplica = protocol::decode(bytes)?;
        let actor = ActorId::from(saved.actor.as_slice());
        let mut docs = BTreeMap::new();
        for d in saved.docs {
            let id = DocId::parse(&d.id)?;
            let doc = Doc::load(id.clone(), &d.bytes, actor.clone())
                .map_err(|e: DocError| doc_error(&id, e))?;
            let refused = d
                .refused
                .map(|(reason, hashes)| (reason, hashes.into_iter().map(ChangeHash).collect()));
            docs.insert(
                id,
                DocState {
                    acked: hashes_from_wire(&d.acked),
                    refused,
                    need_history: d.need_history,
                    ..DocState::new(doc)
                },
            );
        }
        Ok(Replica {
            device: DeviceId::parse(&saved.device)?,
            member: MemberId::parse(&saved.member)?,
            actor,
            token: saved.token,
            lock_after: saved.lock_after,
            cursor: saved.cursor,
            last_contact: saved.last_contact,
            docs,
            in_flight: BTreeMap::new(),
            more_to_send: false,
            stored: storage::ReplicaStored::default(),
        })
    }
}

#[derive(Serialize, Deserialize)]
struct Bundle {
    device: String,
    /// Document id and saved bytes.
    docs: Vec<(String, Vec<u8>)>,
}

#[derive(Serialize, Deserialize)]
struct SavedReplica {
    device: String,
    member: String,
    actor: Vec<u8>,
    token: String,
    lock_after: i64,
    cursor: Cursor,
    last_contact: Option<Timestamp>,
    docs: Vec<SavedDoc>,
}

#[derive(Serialize, Deserialize)]
struct SavedDoc {
    id: String,
    bytes: Vec<u8>,
    acked: Vec<[u8; 32]>,
    refused: Option<(String, Vec<[u8; 32]>)>,
    need_history: bool,
}
