//! `POST /api/v1/sync`: one round trip of the sync protocol. The endpoint authenticates the
//! phone and runs the round trip; the push side decides each pushed document before the writer
//! is taken, the pull side reads what the phone lacks and what it must drop.

mod endpoint;
mod pull;
mod push;

pub use endpoint::APP_VERSION_HEADER;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

/// The sync route.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(endpoint::sync))
}
