//! hosync-core: the domain of household responsibility, its Automerge documents and the sync
//! protocol, shared by the phone (as WASM) and the server (native) so that they never disagree.
//!
//! This crate does no I/O: no clock, no network, no storage. Callers pass the time in and move
//! the bytes out.

pub mod access;
pub mod coded;
pub mod date;
pub mod docs;
pub mod domain;
pub mod ids;
pub mod import;
pub mod lang;
pub mod messages;
pub mod oversight;
pub mod protocol;
pub mod sync;

pub use access::{AccessRole, Denied, Principal, UnitPath};
pub use date::{Day, Month};
pub use docs::{Conflict, ConflictValue, Doc, DocError, ValidationError, View};
pub use domain::{ClosedReason, FlagStatus, MemberStatus, OrgUnit, Rating, Role, UnitKind};
pub use ids::{
    DeviceId, DocId, DocKind, FlagId, HouseholdId, IdError, Login, MemberId, NoteId, UnitId,
};

/// Seconds since the Unix epoch, as the caller's clock gave them. Advisory only: merges never
/// depend on it, so a phone with a wrong clock cannot lose anyone's work.
pub type Timestamp = i64;
