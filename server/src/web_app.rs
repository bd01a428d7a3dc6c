//! The field app, the PWA that `cargo xtask app` builds into `target/web/app`, served at `/`,
//! the staff dashboard built beside it into `staff/`, served at `/staff/`, and the page that
//! reads the API's description, in `api-docs/`, served at `/api-docs/`.
//!
//! Files come from disk so the server binary does not have to be rebuilt with the app, and so
//! a server can run without it (the API works alone). Hashed files under `/assets/` never
//! change and are cached for a year; everything else (the page, the service worker, the
//! manifest) is revalidated on each load, which is how a phone learns of a new version.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;

use crate::AppState;

/// Where `cargo xtask app` writes the built app, relative to the workspace.
pub const DEFAULT_DIR: &str = "target/web/app";

/// The app's routes: the built files when `dir` holds them, else a page saying how to build
/// them.
pub fn routes(dir: Option<&Path>) -> Router<AppState> {
    match dir.filter(|d| d.join("index.html").is_file()) {
        Some(dir) => Router::new()
            .fallback_service(ServeDir::new(dir))
            .layer(middleware::from_fn(cache_control))
            .layer(CompressionLayer::new()),
        None => {
            let shown = dir.map(PathBuf::from).unwrap_or_else(|| DEFAULT_DIR.into());
            tracing::warn!(
                "no built app in {}: `/` says so; run `cargo xtask app`",
                shown.display()
            );
            Router::new().fallback(not_built)
        }
    }
}

async fn cache_control(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let immutable = ["/assets/", "/staff/assets/", "/api-docs/assets/"]
        .iter()
        .any(|prefix| path.starts_with(prefix));
    let mut response = next.run(request).await;
    let value = if immutable {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    response
}

async fn not_built() -> impl IntoResponse {
    (
        StatusCode::NOT_FOUND,
        Html(
            "<!doctype html><meta charset=utf-8><title>hosync</title>\
             <p>Ứng dụng chưa được dựng. The app is not built: run <code>cargo xtask app</code>.\
             <p>The API answers at <code>/api/v1</code>.",
        ),
    )
}
