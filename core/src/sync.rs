//! The sync protocol's two state machines, sans I/O: [`Replica`] is what a phone holds and
//! decides (what to send, what was acknowledged, what to apply); [`server`] is what the server
//! decides about each push and how it shapes its answer. The caller moves the bytes.
//!
//! Steady state is one round trip: the phone sends the changes the server has not acknowledged
//! (`get_changes(acknowledged heads)`) and its cursor in the server's change log; the server
//! stores what validates, and answers with the changes of the phone's scope logged after that
//! cursor and its heads for each document touched. Retrying a broken round trip is safe:
//! Automerge ignores changes it already holds, and the phone moves its cursor and acknowledged
//! heads only when an answer arrives.

pub mod client;
pub mod server;

#[cfg(test)]
mod memory_server;
#[cfg(test)]
mod tests;

pub use client::{
    COMPACT_AFTER, DocBytes, DocRecord, DocSyncStatus, Replica, StorageWrites, SyncError,
    SyncOutcome,
};
pub use server::{
    Left, PushAccess, PushContext, PushDecision, PushPlan, Refused, ResponseBuilder, apply_push,
    describe_changes, parse_changes, plan_push, push_access, split_at_time,
};

use automerge::ChangeHash;

pub(crate) fn hashes_to_wire(hashes: &[ChangeHash]) -> Vec<[u8; 32]> {
    hashes.iter().map(|h| h.0).collect()
}

pub(crate) fn hashes_from_wire(hashes: &[[u8; 32]]) -> Vec<ChangeHash> {
    hashes.iter().map(|h| ChangeHash(*h)).collect()
}
