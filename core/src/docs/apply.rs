//! What a batch of changes from outside must be before Automerge applies it. Automerge trusts
//! the changes it applies to be ones an Automerge made: a change that names an actor no change
//! introduced, or an operation no change made, can make it panic. A phone sends only what its
//! own Automerge made, so these hold for every honest push and refuse only forged bytes.

use std::collections::{HashMap, HashSet};

use automerge::legacy::{ElementId, Key, ObjectId, OpId};
use automerge::{ActorId, Automerge, Change, ChangeHash};

/// Reads one change chunk from outside. Automerge's reader panics on some malformed chunks
/// (a bundle chunk's columns, in 0.12) rather than answering an error; only the server reads
/// what a phone sent, and it unwinds, so such a panic is caught here and becomes the error.
pub fn read_change(bytes: &[u8]) -> Result<Change, String> {
    // A phone sends each change as Automerge's `raw_bytes`: an uncompressed change chunk. Other
    // chunk kinds are refused unread: reading a bundle chunk's columns can make Automerge
    // allocate gigabytes from a hundred bytes, and a compressed one inflates without bound.
    const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
    const CHANGE_CHUNK: u8 = 1;
    if bytes.len() > 8 && bytes[..4] == MAGIC && bytes[8] != CHANGE_CHUNK {
        return Err(format!(
            "it is an Automerge chunk of kind {}, not an uncompressed change",
            bytes[8]
        ));
    }
    let read = std::panic::catch_unwind(|| Change::from_bytes(bytes.to_vec()));
    match read {
        Ok(Ok(change)) => Ok(change),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("its bytes are malformed".to_owned()),
    }
}

/// The history the checks stand on: for each actor its last sequence number and the operation
/// counters its changes made, and each change's last counter.
struct Known {
    last_seq: HashMap<ActorId, u64>,
    ops: HashMap<ActorId, Vec<(u64, u64)>>,
    max_op: HashMap<ChangeHash, u64>,
}

impl Known {
    fn of(doc: &Automerge) -> Known {
        let mut known = Known {
            last_seq: HashMap::new(),
            ops: HashMap::new(),
            max_op: HashMap::new(),
        };
        for meta in doc.get_changes_meta(&[]) {
            known.add(&meta.actor, meta.seq, meta.hash, meta.start_op, meta.max_op);
        }
        known
    }

    fn add(&mut self, actor: &ActorId, seq: u64, hash: ChangeHash, start_op: u64, max_op: u64) {
        let last = self.last_seq.entry(actor.clone()).or_default();
        *last = (*last).max(seq);
        if max_op >= start_op {
            self.ops
                .entry(actor.clone())
                .or_default()
                .push((start_op, max_op));
        }
        self.max_op.insert(hash, max_op);
    }

    /// Whether an earlier change made operation `id`.
    fn made(&self, id: &OpId) -> bool {
        self.ops.get(id.actor()).is_some_and(|ranges| {
            ranges
                .iter()
                .any(|&(start, end)| (start..=end).contains(&id.counter()))
        })
    }
}

/// Checks `changes` (those `doc` lacks) in the order their dependencies allow; a change whose
/// dependencies are neither in `doc` nor in the batch is left to Automerge, which only queues
/// it. The error names the change and what is wrong with it.
pub fn check_changes(doc: &Automerge, changes: &[Change]) -> Result<(), String> {
    if changes.is_empty() {
        return Ok(());
    }
    let mut known = Known::of(doc);
    let mut waiting: Vec<(usize, &Change)> = changes
        .iter()
        .enumerate()
        .filter(|(_, c)| !known.max_op.contains_key(&c.hash()))
        .collect();
    let mut seen = HashSet::new();
    loop {
        let before = waiting.len();
        let mut still = Vec::with_capacity(waiting.len());
        for (i, change) in waiting {
            if !seen.insert(change.hash()) {
                continue;
            }
            if !change.deps().iter().all(|d| known.max_op.contains_key(d)) {
                seen.remove(&change.hash());
                still.push((i, change));
                continue;
            }
            check_one(&known, change)
                .map_err(|why| format!("change {} of {}: {why}", i + 1, changes.len()))?;
            known.add(
                change.actor_id(),
                change.seq(),
                change.hash(),
                change.start_op().get(),
                change.max_op(),
            );
        }
        if still.is_empty() || still.len() == before {
            return Ok(());
        }
        waiting = still;
    }
}

fn check_one(known: &Known, change: &Change) -> Result<(), String> {
    let actor = change.actor_id();
    let last = known.last_seq.get(actor).copied().unwrap_or(0);
    // A sequence number already used is another phone under the same actor, which the caller
    // tells apart; one past the next is a change that skipped its predecessor.
    if change.seq() > last + 1 {
        return Err(format!(
            "its sequence number {} skips {} (the actor's last is {last})",
            change.seq(),
            last + 1
        ));
    }
    let after = change
        .deps()
        .iter()
        .filter_map(|d| known.max_op.get(d))
        .max()
        .copied()
        .unwrap_or(0);
    if change.start_op().get() != after + 1 {
        return Err(format!(
            "its first operation is numbered {}, but its dependencies end at {after}",
            change.start_op()
        ));
    }
    for other in change.other_actor_ids() {
        if other == actor || !known.last_seq.contains_key(other) {
            return Err(format!(
                "it names actor {other}, which made no earlier change"
            ));
        }
    }
    // Automerge's decoder trusts the actor numbers inside a change's operations and panics on
    // one past its actor list, which nothing before it checks. Only the server decodes what a
    // phone sent, and it unwinds, so the panic is caught here and becomes the reason.
    let expanded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| change.decode()))
        .map_err(|_| "its operations name an actor it does not list".to_owned())?;
    // Re-encoding must give the same bytes: a change an Automerge made is encoded canonically,
    // and any other encoding may read differently here and wherever it is loaded again.
    if Change::from(expanded.clone()).raw_bytes() != change.raw_bytes() {
        return Err("it is not encoded as Automerge encodes a change".into());
    }
    let start = change.start_op().get();
    for (n, op) in expanded.operations.iter().enumerate() {
        let counter = start + n as u64;
        let exists = |id: &OpId| known.made(id) || (id.actor() == actor && id.counter() < counter);
        let what = |part: &str, id: &OpId| {
            format!(
                "operation {} refers in its {part} to operation {}@{}, which no earlier change made",
                n + 1,
                id.counter(),
                id.actor()
            )
        };
        if let ObjectId::Id(id) = &op.obj
            && !exists(id)
        {
            return Err(what("object", id));
        }
        if let Key::Seq(ElementId::Id(id)) = &op.key
            && !exists(id)
        {
            return Err(what("position", id));
        }
        if let Some(id) = op.pred.iter().find(|id| !exists(id)) {
            return Err(what("predecessors", id));
        }
    }
    Ok(())
}
