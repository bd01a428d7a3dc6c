//! A reference server held in memory, with the same decisions as the real one (it calls
//! [`apply_push`] and [`ResponseBuilder`]), so that merge properties can be tested over many
//! random histories without a database. The real server is tested end to end in `tests/`.

use std::collections::BTreeMap;

use automerge::{ActorId, ChangeHash};

use super::server::{PushDecision, ResponseBuilder, apply_push, parse_changes};
use crate::docs::Doc;
use crate::ids::DocId;
use crate::protocol::{self, Cursor};

struct Logged {
    doc: DocId,
    hash: ChangeHash,
    bytes: Vec<u8>,
}

pub(crate) struct MemoryServer {
    epoch: u64,
    actor: ActorId,
    log: Vec<Logged>,
    docs: BTreeMap<DocId, Doc>,
    /// The log position of each document's first change.
    first_seq: BTreeMap<DocId, u64>,
}

impl MemoryServer {
    pub(crate) fn new(epoch: u64) -> Self {
        MemoryServer {
            epoch,
            actor: ActorId::random(),
            log: Vec::new(),
            docs: BTreeMap::new(),
            first_seq: BTreeMap::new(),
        }
    }

    pub(crate) fn doc(&self, id: &DocId) -> Option<&Doc> {
        self.docs.get(id)
    }

    /// One round trip, from request frame to answer frame.
    pub(crate) fn handle(&mut self, frame: &[u8]) -> Result<Vec<u8>, protocol::DecodeError> {
        let request = protocol::decode_request(frame)?;
        let mut answer = ResponseBuilder::new();
        for push in &request.pushes {
            let Ok(id) = DocId::parse(&push.doc) else {
                continue;
            };
            let mut doc = self
                .docs
                .get(&id)
                .cloned()
                .unwrap_or_else(|| Doc::empty(id.clone(), self.actor.clone()));
            let decision = match parse_changes(&push.changes) {
                Ok(changes) => {
                    for change in &changes {
                        answer.pushed(change.hash());
                    }
                    apply_push(&mut doc, &changes)
                }
                Err(reason) => PushDecision::Rejected { reason },
            };
            answer.result(&id, decision.outcome());
            if let PushDecision::Accepted { new_changes, .. } = decision {
                for change in new_changes {
                    self.log.push(Logged {
                        doc: id.clone(),
                        hash: change.hash(),
                        bytes: change.raw_bytes().to_vec(),
                    });
                    self.first_seq
                        .entry(id.clone())
                        .or_insert(self.log.len() as u64);
                }
                answer.heads(&id, &doc.heads());
                self.docs.insert(id, doc);
            }
        }
        let since = if request.cursor.epoch == self.epoch {
            request.cursor.seq
        } else {
            0
        };
        let mut snapshots_sent = std::collections::BTreeSet::new();
        for logged in self.log.iter().skip(since as usize) {
            let Some(doc) = self.docs.get(&logged.doc) else {
                continue;
            };
            let new_to_phone = self
                .first_seq
                .get(&logged.doc)
                .is_some_and(|first| *first > since);
            if new_to_phone && !answer.was_pushed(&logged.doc) {
                if snapshots_sent.insert(logged.doc.clone()) {
                    answer.snapshot(&logged.doc, doc.save());
                }
            } else {
                answer.change(&logged.doc, &logged.hash, logged.bytes.clone());
            }
            answer.heads(&logged.doc, &doc.heads());
        }
        let cursor = Cursor {
            epoch: self.epoch,
            seq: self.log.len() as u64,
        };
        Ok(protocol::encode_response(&answer.finish(cursor, 0, 0)))
    }
}
