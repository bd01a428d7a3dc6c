//! A reference server held in memory, making the same decisions as the real one: each push is
//! decided by [`push_access`] and [`plan_push`] and the answer shaped by [`ResponseBuilder`], and
//! a phone reads what [`Principal::may_read`] allows. It holds one cell, so that merge and access
//! properties can be tested over many random histories without a database; the real server is
//! tested end to end in `tests/`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use automerge::{ActorId, Change, ChangeHash};

use super::server::{
    PushAccess, PushContext, PushPlan, ResponseBuilder, actor_reused, parse_changes, plan_push,
    push_access,
};
use crate::Timestamp;
use crate::access::{AccessRole, DocPlace, Principal, UnitPath};
use crate::docs::{Doc, cell};
use crate::ids::{DocId, HouseholdId, MemberId, UnitId};
use crate::messages::Lang;
use crate::protocol::{self, Cursor, PushOutcome};

struct Logged {
    doc: DocId,
    hash: ChangeHash,
    bytes: Vec<u8>,
}

/// A change of who looks after a household, as the server learnt it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Moved {
    pub(crate) at: Timestamp,
    pub(crate) household: HouseholdId,
    pub(crate) to: Option<MemberId>,
}

pub(crate) struct MemoryServer {
    /// The database's epoch, carried in every cursor.
    epoch: u64,
    /// The server's own actor, for documents it has not stored yet.
    actor: ActorId,
    /// The change log, in the order changes were stored.
    log: Vec<Logged>,
    /// Every stored document, whole.
    docs: BTreeMap<DocId, Doc>,
    /// The log position of each document's first change.
    first_seq: BTreeMap<DocId, u64>,
    /// The one cell, which every document belongs to.
    cell: UnitId,
    /// Each phone's holder, by its token.
    phones: BTreeMap<String, Principal>,
    /// Whom each actor writes for, bound at enrolment or when the server first meets it.
    authors: HashMap<ActorId, MemberId>,
    /// Every change of assignment, in the order the server learnt them.
    pub(crate) moves: Vec<Moved>,
    /// Refused edits kept for the secretary's review, each as the document would read with
    /// its push (what a secretary reviewing it sees).
    pub(crate) kept: Vec<(DocId, Doc)>,
    /// The server's clock, which the tests move.
    pub(crate) now: Timestamp,
}

impl MemoryServer {
    pub(crate) fn new(epoch: u64) -> Self {
        MemoryServer {
            epoch,
            actor: ActorId::random(),
            log: Vec::new(),
            docs: BTreeMap::new(),
            first_seq: BTreeMap::new(),
            cell: UnitId::parse("cell-1").expect("a valid unit id"),
            phones: BTreeMap::new(),
            authors: HashMap::new(),
            moves: Vec::new(),
            kept: Vec::new(),
            now: 0,
        }
    }

    fn path(&self) -> UnitPath {
        UnitPath::from_ids([&self.cell])
    }

    /// Enrols a phone: its token names a holder of `role` in the cell, writing under `actor`.
    pub(crate) fn enrol(
        &mut self,
        token: &str,
        role: AccessRole,
        member: &MemberId,
        actor: &ActorId,
    ) {
        self.phones.insert(
            token.to_owned(),
            Principal {
                role,
                scope: self.path(),
                member: Some(member.clone()),
            },
        );
        self.authors.insert(actor.clone(), member.clone());
    }

    /// Stores a document made on the server (as the demo seed does), without a phone.
    pub(crate) fn seed(&mut self, doc: Doc) {
        let id = doc.id().clone();
        for change in doc.automerge().get_changes(&[]) {
            self.log(&id, &change);
        }
        let before = self.assignments();
        self.docs.insert(id, doc);
        self.note_moves(&before, self.now);
    }

    pub(crate) fn doc(&self, id: &DocId) -> Option<&Doc> {
        self.docs.get(id)
    }

    fn log(&mut self, id: &DocId, change: &Change) {
        self.log.push(Logged {
            doc: id.clone(),
            hash: change.hash(),
            bytes: change.raw_bytes().to_vec(),
        });
        self.first_seq
            .entry(id.clone())
            .or_insert(self.log.len() as u64);
    }

    /// Who looks after each household, as the cell's document reads now.
    fn assignments(&self) -> BTreeMap<HouseholdId, MemberId> {
        self.docs
            .get(&DocId::Cell(self.cell.clone()))
            .and_then(|doc| cell::read(doc).ok())
            .map(|c| {
                c.assignments
                    .into_iter()
                    .map(|a| (a.household, a.member))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Where a document sits: every document is the cell's; a household's assignee is read
    /// from the cell's document.
    fn place(&self, id: &DocId) -> Option<DocPlace> {
        let assignee = match id {
            DocId::Household(h) => self.assignments().get(h).cloned(),
            DocId::Cell(c) if *c != self.cell => return None,
            _ => None,
        };
        Some(DocPlace {
            id: id.clone(),
            cell: self.path(),
            assignee,
        })
    }

    /// When a household was last taken off a member, as the server learnt it.
    fn left_at(&self, household: &HouseholdId, member: &MemberId) -> Option<Timestamp> {
        let mut holder: Option<&MemberId> = None;
        let mut left = None;
        for moved in self.moves.iter().filter(|m| &m.household == household) {
            if holder == Some(member) && moved.to.as_ref() != Some(member) {
                left = Some(moved.at);
            }
            holder = moved.to.as_ref();
        }
        left
    }

    /// Notes the assignments a stored cell document changed, at server time `now`.
    fn note_moves(&mut self, before: &BTreeMap<HouseholdId, MemberId>, now: Timestamp) {
        let after = self.assignments();
        let households: BTreeSet<&HouseholdId> = before.keys().chain(after.keys()).collect();
        for household in households {
            if before.get(household) != after.get(household) {
                self.moves.push(Moved {
                    at: now,
                    household: household.clone(),
                    to: after.get(household).cloned(),
                });
            }
        }
    }

    /// One round trip, from request frame to answer frame, at the server's `now`.
    pub(crate) fn handle(&mut self, frame: &[u8]) -> Result<Vec<u8>, protocol::DecodeError> {
        let now = self.now;
        let request = protocol::decode_request(frame)?;
        let mut answer = ResponseBuilder::new();
        let Some(principal) = self.phones.get(&request.token).cloned() else {
            return Ok(protocol::encode_response(&ResponseBuilder::wipe(now)));
        };
        for push in &request.pushes {
            let Ok(id) = DocId::parse(&push.doc) else {
                continue;
            };
            let parsed = parse_changes(&push.changes);
            for change in parsed.iter().flatten() {
                answer.pushed(change.hash());
            }
            let place = self.place(&id);
            let access = push_access(&principal, &id, place.as_ref(), Lang::En);
            if let PushAccess::Refused(reason) = &access {
                answer.result(
                    &id,
                    PushOutcome::Rejected {
                        reason: reason.clone(),
                    },
                );
                continue;
            }
            let changes = match parsed {
                Ok(changes) => changes,
                Err(reason) => {
                    answer.result(&id, PushOutcome::Rejected { reason });
                    continue;
                }
            };
            let left_at = match (&id, &principal.member) {
                (DocId::Household(h), Some(m)) => self.left_at(h, m),
                _ => None,
            };
            let authors = self.authors.clone();
            let author_of = |a: &ActorId| authors.get(a).cloned();
            let ctx = PushContext {
                principal: &principal,
                access: &access,
                left_at,
                author_of: &author_of,
                lang: Lang::En,
            };
            let before = self.assignments();
            let stored = self.docs.get(&id).cloned();
            let server_actor = self.actor.clone();
            let review = |refused: &[Change]| {
                let mut doc = stored
                    .clone()
                    .unwrap_or_else(|| Doc::empty(id.clone(), server_actor.clone()));
                let _ = doc.automerge_mut().apply_changes(changes.clone());
                let _ = doc.automerge_mut().apply_changes(refused.to_vec());
                doc
            };
            let plan = plan_push(&ctx, &id, stored.clone(), changes.clone(), &self.actor);
            let late = match plan {
                PushPlan::Store {
                    doc,
                    new_changes,
                    bind,
                    late,
                    ..
                } => {
                    for change in &new_changes {
                        self.log(&id, change);
                    }
                    answer.heads(&id, &doc.heads());
                    self.docs.insert(id.clone(), *doc);
                    if let (Some(member), false) = (&principal.member, bind.is_empty()) {
                        for actor in bind {
                            self.authors.insert(actor, member.clone());
                        }
                    }
                    self.note_moves(&before, now);
                    late
                }
                PushPlan::Unchanged { heads, late } => {
                    answer.heads(&id, &heads);
                    late
                }
                PushPlan::Refused(refused) => {
                    if refused.keep {
                        self.kept.push((id.clone(), review(&refused.changes)));
                    }
                    answer.result(
                        &id,
                        PushOutcome::Rejected {
                            reason: refused.reason,
                        },
                    );
                    continue;
                }
                PushPlan::NeedHistory => {
                    answer.result(&id, PushOutcome::NeedHistory);
                    continue;
                }
                PushPlan::ActorReused(actor) => {
                    answer.result(&id, actor_reused(&actor, Lang::En));
                    continue;
                }
            };
            match late {
                Some(late) => {
                    self.kept.push((id.clone(), review(&late.changes)));
                    answer.result(
                        &id,
                        PushOutcome::Rejected {
                            reason: late.reason,
                        },
                    );
                }
                None => answer.result(&id, PushOutcome::Accepted),
            }
        }

        let since = if request.cursor.epoch == self.epoch {
            request.cursor.seq
        } else {
            0
        };
        let held: BTreeSet<&str> = request.holding.iter().map(String::as_str).collect();
        let readable = |server: &Self, id: &DocId| {
            server
                .place(id)
                .is_some_and(|place| principal.may_read(&place).is_ok())
        };
        let mut whole = BTreeSet::new();
        for id in self.docs.keys() {
            let new_to_phone = self.first_seq.get(id).is_some_and(|first| *first > since)
                || !held.contains(id.to_string().as_str());
            if readable(self, id) && new_to_phone && !answer.was_pushed(id) {
                whole.insert(id.clone());
            }
        }
        for id in &whole {
            if let Some(doc) = self.docs.get(id) {
                answer.snapshot(id, doc.save());
                answer.heads(id, &doc.heads());
            }
        }
        for logged in self.log.iter().skip(since as usize) {
            if whole.contains(&logged.doc) || !readable(self, &logged.doc) {
                continue;
            }
            let Some(doc) = self.docs.get(&logged.doc) else {
                continue;
            };
            answer.change(&logged.doc, &logged.hash, logged.bytes.clone());
            answer.heads(&logged.doc, &doc.heads());
        }
        for raw in &request.holding {
            if let Ok(id) = DocId::parse(raw)
                && self.docs.contains_key(&id)
                && !readable(self, &id)
            {
                answer.drop_doc(&id);
            }
        }
        let cursor = Cursor {
            epoch: self.epoch,
            seq: self.log.len() as u64,
        };
        Ok(protocol::encode_response(&answer.finish(cursor, now, 0)))
    }
}

/// A phone of the reference server: a replica enrolled as `member` with `role`.
pub(crate) fn enrolled(
    server: &mut MemoryServer,
    device: &str,
    member: &MemberId,
    role: AccessRole,
) -> super::Replica {
    let actor = ActorId::random();
    let mut phone = super::Replica::new(
        crate::ids::DeviceId::parse(device).expect("a valid device id"),
        member.clone(),
        actor.clone(),
    );
    phone.set_token(device);
    server.enrol(device, role, member, &actor);
    phone
}
