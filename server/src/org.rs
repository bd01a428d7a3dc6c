//! The organisation's life, as staff change it: a district started from nothing (`init`), its
//! units, members and households brought in and kept current, members transferred and
//! households moved between cells. Each change's domain and SQL (`changes`, `init`) stand apart
//! from its HTTP handlers (`api`).

pub mod api;
pub mod changes;
pub mod import;
pub mod import_api;
pub mod init;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::AppState;

/// Units and members added, members transferred, households added and moved, imports.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/org/units", post(api::add_unit).get(import_api::units))
        .route("/org/choices", get(api::choices))
        .route("/org/members", post(api::add_member))
        .route("/org/members/{id}/transfer", post(api::transfer_member))
        .route("/org/households", post(api::add_household))
        .route("/org/households/{id}/move", post(api::move_household))
        .route("/org/import/template", get(import_api::template))
        .route(
            "/org/import",
            post(import_api::import_file).layer(DefaultBodyLimit::max(import::MAX_FILE_BYTES)),
        )
}
