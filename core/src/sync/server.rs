//! The server's decisions, without storage: whether a push is stored, and the shape of the
//! answer. The server crate loads documents and the log and persists what this returns.

use std::collections::{BTreeMap, HashSet};

use automerge::{ActorId, Change, ChangeHash, ReadDoc};

use crate::Timestamp;
use crate::docs::{Doc, View};
use crate::ids::{DocId, MemberId};
use crate::protocol::{Cursor, DocUpdate, PushOutcome, PushResult, SyncResponse};

/// What to do with one document's push.
#[derive(Debug)]
pub enum PushDecision {
    /// Store these changes (those the server did not hold yet, dependencies first). The
    /// document now includes them.
    Accepted {
        new_changes: Vec<Change>,
        /// The document as it now reads, checked; `None` when the push held nothing new.
        view: Option<View>,
    },
    /// Store nothing; tell the phone why.
    Rejected { reason: String },
    /// The server lacks changes the push depends on; ask for the whole history.
    NeedHistory,
    /// The push reuses sequence numbers the server holds for this actor from another phone.
    ActorReused { actor: ActorId },
}

impl PushDecision {
    pub fn outcome(&self) -> PushOutcome {
        match self {
            PushDecision::Accepted { .. } => PushOutcome::Accepted,
            PushDecision::Rejected { reason } => PushOutcome::Rejected {
                reason: reason.clone(),
            },
            PushDecision::NeedHistory => PushOutcome::NeedHistory,
            PushDecision::ActorReused { actor } => actor_reused(actor),
        }
    }
}

/// The answer to a phone whose actor another phone also wrote under.
pub fn actor_reused(actor: &ActorId) -> PushOutcome {
    PushOutcome::ActorReused {
        actor: actor.to_bytes().to_vec(),
        reason: "another phone already wrote under this phone's identity (its data was copied?): \
                 the phone makes its edits again under a new one"
            .into(),
    }
}

/// Reads a push's change chunks; the error is the reason to refuse the push, naming the first
/// chunk that is not a valid change.
pub fn parse_changes(raw_changes: &[Vec<u8>]) -> Result<Vec<Change>, String> {
    raw_changes
        .iter()
        .enumerate()
        .map(|(i, bytes)| {
            Change::from_bytes(bytes.clone()).map_err(|e| {
                format!(
                    "change {} of {} is not a valid Automerge change: {e}",
                    i + 1,
                    raw_changes.len()
                )
            })
        })
        .collect()
}

/// Applies a phone's changes to the server's copy of a document and checks the result.
///
/// Unless the decision is `Accepted`, `doc` may now hold changes that must not be stored:
/// drop it and reload from storage.
pub fn apply_push(doc: &mut Doc, changes: &[Change]) -> PushDecision {
    let changes: Vec<Change> = changes
        .iter()
        .filter(|c| !doc.has_change(&c.hash()))
        .cloned()
        .collect();
    if changes.is_empty() {
        return PushDecision::Accepted {
            new_changes: Vec::new(),
            view: None,
        };
    }
    let before = doc.heads();
    match doc.automerge_mut().apply_changes(changes) {
        Ok(()) => {}
        Err(automerge::AutomergeError::DuplicateSeqNumber(_, actor)) => {
            return PushDecision::ActorReused { actor };
        }
        Err(e) => {
            return PushDecision::Rejected {
                reason: format!("the changes do not apply: {e}"),
            };
        }
    }
    if !doc.automerge().get_missing_deps(&[]).is_empty() {
        return PushDecision::NeedHistory;
    }
    let view = match doc.view() {
        Ok(view) => view,
        Err(e) => {
            return PushDecision::Rejected {
                reason: format!("document {} would not be valid: {e}", doc.id()),
            };
        }
    };
    PushDecision::Accepted {
        new_changes: doc.automerge().get_changes(&before),
        view: Some(view),
    }
}

/// What the claims of a push come to, held against who made each change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimCheck {
    /// Every claim names the maker of its change. `bind` are actors the server meets for the
    /// first time: they are the delivering phone's from now on.
    Sound { bind: Vec<ActorId> },
    /// A claim names somebody other than whoever made the change: refused, with the reason.
    Forged(String),
    /// The phone claims itself under an actor the server knows as another holder's (it was
    /// taken before this phone first synced): the phone must move to a new actor.
    ActorTaken(ActorId),
}

/// Holds what a push says about who did it (its [`crate::docs::Claim`]s) against who made each
/// change: the holder the server bound the change's actor to, or, for an actor it meets for
/// the first time, the holder of the phone delivering it. A phone may deliver others' changes
/// (a bundle handed over at a cell meeting), but never write in another's name.
pub fn check_claims(
    claims: &[crate::docs::Claim],
    changes: &[Change],
    deliverer: &MemberId,
    owner_of: impl Fn(&ActorId) -> Option<MemberId>,
) -> ClaimCheck {
    for claim in claims {
        let maker = if crate::docs::is_genesis(&claim.actor) {
            None
        } else {
            Some(owner_of(&claim.actor).unwrap_or_else(|| deliverer.clone()))
        };
        match maker {
            Some(maker) if maker.as_str() == claim.named => {}
            Some(_) if claim.named == deliverer.as_str() => {
                return ClaimCheck::ActorTaken(claim.actor.clone());
            }
            Some(maker) => {
                return ClaimCheck::Forged(format!(
                    "{} names {}, but the change was made on a phone of {maker}",
                    claim.field, claim.named
                ));
            }
            None => {
                return ClaimCheck::Forged(format!(
                    "{} names {}, written under the skeleton's actor, which names nobody",
                    claim.field, claim.named
                ));
            }
        }
    }
    let mut bind: Vec<ActorId> = changes
        .iter()
        .map(|c| c.actor_id().clone())
        .filter(|a| !crate::docs::is_genesis(a) && owner_of(a).is_none())
        .collect();
    bind.sort();
    bind.dedup();
    ClaimCheck::Sound { bind }
}

/// Splits a push into the changes made up to `cutoff` (by the phone's clock, the only one there
/// was) and those made after; a change that depends on a later one is later too. When a
/// household leaves a member, what they wrote while it was theirs is kept and what they wrote
/// after is refused.
pub fn split_at_time(changes: Vec<Change>, cutoff: Timestamp) -> (Vec<Change>, Vec<Change>) {
    let mut late_hashes = HashSet::new();
    let (mut early, mut late) = (Vec::new(), Vec::new());
    // Phones send changes dependencies first, so one pass sees every dependency before it.
    for change in changes {
        if change.timestamp() > cutoff || change.deps().iter().any(|d| late_hashes.contains(d)) {
            late_hashes.insert(change.hash());
            late.push(change);
        } else {
            early.push(change);
        }
    }
    (early, late)
}

/// What refused changes would have done to a document, in words for the secretary who reviews
/// them: the notes and flags they add or change, or how many changes they are. `kept` are
/// changes of the same push that were accepted, which the refused ones may build on.
pub fn describe_changes(doc: &Doc, kept: &[Change], changes: &[Change]) -> String {
    let mut doc = doc.clone();
    if doc.automerge_mut().apply_changes(kept.to_vec()).is_err() {
        return format!("{} changes that do not apply", changes.len());
    }
    let doc = &doc;
    let mut after = doc.clone();
    if after
        .automerge_mut()
        .apply_changes(changes.to_vec())
        .is_err()
    {
        return format!("{} changes that do not apply", changes.len());
    }
    let (Ok(View::Household(old)), Ok(View::Household(new))) = (doc.view(), after.view()) else {
        return format!("{} changes to {}", changes.len(), doc.id());
    };
    let mut lines = Vec::new();
    for note in &new.notes {
        match old.notes.iter().find(|n| n.id == note.id) {
            Some(was) if was.text == note.text && was.deleted == note.deleted => {}
            Some(_) if note.deleted => {
                lines.push(format!("deletes the note of {}", note.date.vi()))
            }
            Some(_) => lines.push(format!(
                "edits the note of {}: «{}»",
                note.date.vi(),
                note.text
            )),
            None => lines.push(format!(
                "a note of {} by {}: «{}»",
                note.date.vi(),
                note.author,
                note.text
            )),
        }
    }
    for flag in &new.flags {
        match old.flags.iter().find(|f| f.id == flag.id) {
            Some(was) if was == flag => {}
            Some(_) => lines.push(format!(
                "flag «{}» set to {}",
                flag.text,
                flag.status.label_vi()
            )),
            None => lines.push(format!("a follow-up flag: «{}»", flag.text)),
        }
    }
    if lines.is_empty() {
        format!("{} changes to {}", changes.len(), doc.id())
    } else {
        lines.join("; ")
    }
}

/// Builds the answer to one sync request.
#[derive(Debug, Default)]
pub struct ResponseBuilder {
    /// Changes the phone sent in this request: it holds them, so they are not sent back.
    pushed: HashSet<ChangeHash>,
    results: Vec<PushResult>,
    /// Documents the phone pushed in this request: it holds them, so never needs a snapshot.
    pushed_docs: HashSet<DocId>,
    updates: BTreeMap<DocId, DocUpdate>,
    drops: Vec<String>,
}

impl ResponseBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Notes a change the phone pushed in this request.
    pub fn pushed(&mut self, hash: ChangeHash) {
        self.pushed.insert(hash);
    }

    pub fn result(&mut self, doc: &DocId, outcome: PushOutcome) {
        self.pushed_docs.insert(doc.clone());
        self.results.push(PushResult {
            doc: doc.to_string(),
            outcome,
        });
    }

    fn update(&mut self, doc: &DocId) -> &mut DocUpdate {
        self.updates
            .entry(doc.clone())
            .or_insert_with(|| DocUpdate {
                doc: doc.to_string(),
                ..DocUpdate::default()
            })
    }

    /// The outcome for a push whose document id did not even parse.
    pub fn result_raw(&mut self, doc: &str, outcome: PushOutcome) {
        self.results.push(PushResult {
            doc: doc.to_owned(),
            outcome,
        });
    }

    /// The server's heads for a document after this request: the phone holds everything up to
    /// them once it has applied the answer.
    pub fn heads(&mut self, doc: &DocId, heads: &[ChangeHash]) {
        self.update(doc).heads = super::hashes_to_wire(heads);
    }

    /// The whole document, for a phone that has never held it.
    pub fn snapshot(&mut self, doc: &DocId, bytes: Vec<u8>) {
        self.update(doc).snapshot = Some(bytes);
    }

    /// A logged change the phone has not read yet; skipped when the phone itself just sent it.
    pub fn change(&mut self, doc: &DocId, hash: &ChangeHash, bytes: Vec<u8>) {
        if !self.pushed.contains(hash) {
            self.update(doc).changes.push(bytes);
        }
    }

    /// Whether the phone pushed this document in this request.
    pub fn was_pushed(&self, doc: &DocId) -> bool {
        self.pushed_docs.contains(doc)
    }

    /// Tells the phone to drop a document that left its scope.
    pub fn drop_doc(&mut self, doc: &DocId) {
        self.drops.push(doc.to_string());
    }

    pub fn finish(self, cursor: Cursor, server_time: i64, lock_after: i64) -> SyncResponse {
        SyncResponse {
            cursor,
            results: self.results,
            updates: self.updates.into_values().collect(),
            server_time,
            drop: self.drops,
            wipe: false,
            lock_after,
        }
    }

    /// The answer to a phone that must erase itself: nothing else.
    pub fn wipe(server_time: i64) -> SyncResponse {
        SyncResponse {
            server_time,
            wipe: true,
            ..SyncResponse::default()
        }
    }
}
