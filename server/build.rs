//! Rebuilds the server when a migration is added or changed: `sqlx::migrate!` embeds the
//! migration folders at compile time, and Cargo does not otherwise watch them, so a new
//! migration would be missing from the binary (and from the tests) until something else changed.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
