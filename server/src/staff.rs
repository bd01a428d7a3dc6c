//! The staff views: a cell's households, members and refused edits, one household with its
//! history, the overview of a unit for a month, the tables behind it (as JSON, CSV or XLSX) and
//! search. They read the projections, never the documents (but for one household's history),
//! and count by the rules in `hosync_core::oversight`.

pub mod cells;
pub mod export;
pub mod households;
pub mod overview;
pub mod places;
pub mod search;
pub mod tables;

use axum::Router;
use axum::routing::get;

use crate::AppState;

/// The staff read API.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cells/{cell}/households", get(cells::cell_households))
        .route("/cells/{cell}/members", get(cells::cell_members))
        .route("/cells/{cell}/refusals", get(cells::refusals))
        .route("/summary", get(cells::summary))
        .route("/households/{id}", get(households::household_detail))
        .route("/overview", get(overview::overview))
        .route("/tables/{table}", get(tables::table))
        .route("/search", get(search::search))
}
