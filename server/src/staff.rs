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

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

/// The staff read API.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(cells::cell_households))
        .routes(routes!(cells::cell_members))
        .routes(routes!(cells::refusals))
        .routes(routes!(cells::summary))
        .routes(routes!(households::household_detail))
        .routes(routes!(overview::overview))
        .routes(routes!(tables::table))
        .routes(routes!(search::search))
}
