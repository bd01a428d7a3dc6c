//! What each fuzz target feeds its input to, and what it checks besides "no panic". The
//! cargo-fuzz project in `fuzz/cargo-fuzz` calls these one per target; `tests/crashers.rs`
//! replays every input kept in `fixtures/<target>/` through the same functions, so an input
//! that once crashed stays a test.
//!
//! Each target takes what reaches hosync from outside: a sync frame, the changes of a push, a
//! bundle handed over from another phone (or a replica read back from the phone's storage),
//! a staff request's path and JSON body, and a spreadsheet to import.

pub mod bundle;
pub mod frame;
pub mod import;
pub mod push;
pub mod staff_api;
mod world;

/// A target: takes one input, panics on what must never happen.
pub type Target = fn(&[u8]);

/// The targets, by the names cargo-fuzz and the fixture folders use.
pub const TARGETS: &[(&str, Target)] = &[
    ("sync_frame", frame::sync_frame),
    ("push", push::push),
    ("bundle_import", bundle::bundle_import),
    ("staff_api", staff_api::staff_api),
    ("import", import::import),
];

/// The target named `name`.
pub fn target(name: &str) -> Option<Target> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// libFuzzer's panic hook aborts on every panic, even one hosync catches on purpose (the server
/// contains a panic of Automerge's change decoder, see `core/src/docs/apply.rs`). With this
/// hook a caught panic is only printed; one that escapes the target still aborts, since
/// libFuzzer's harness aborts on any panic that leaves it.
pub fn report_panics_without_aborting() {
    std::panic::set_hook(Box::new(|info| eprintln!("{info}")));
}

/// Inputs to start each target from: valid frames, real changes, a real bundle and the staff
/// API's own requests, so the fuzzer begins where hosync's real traffic is.
pub fn seeds(name: &str) -> Vec<Vec<u8>> {
    match name {
        "sync_frame" => frame::seeds(),
        "push" => push::seeds(),
        "bundle_import" => bundle::seeds(),
        "staff_api" => staff_api::seeds(),
        "import" => import::seeds(),
        _ => Vec::new(),
    }
}
