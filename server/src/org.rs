//! The organisation's life, as staff change it: a district started from nothing (`init`), its
//! units, members and households brought in and kept current, members transferred and
//! households moved between cells. Each change's domain and SQL (`changes`, `init`) stand apart
//! from its HTTP handlers (`api`).

pub mod api;
pub mod changes;
pub mod import;
pub mod import_api;
pub mod init;

use axum::extract::DefaultBodyLimit;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::AppState;

/// Units and members added, members transferred, households added and moved, imports.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api::add_unit, import_api::units))
        .routes(routes!(api::choices))
        .routes(routes!(api::add_member))
        .routes(routes!(api::transfer_member))
        .routes(routes!(api::add_household))
        .routes(routes!(api::move_household))
        .routes(routes!(import_api::template))
        .routes(
            routes!(import_api::import_file).layer(DefaultBodyLimit::max(import::MAX_FILE_BYTES)),
        )
}
