//! The field app, the PWA that `cargo xtask app` builds into `target/web/app`, served at `/`,
//! and the staff dashboard built beside it into `staff/`, served at `/staff/`.
//!
//! Files come from disk so the server binary does not have to be rebuilt with the app, and so
//! a server can run without it (the API works alone). The build compresses them once, at
//! brotli's highest quality, and they are served as written. Hashed files under `/assets/` never
//! change and are cached for a year; everything else (the page, the service worker, the
//! manifest) is revalidated on each load, which is how a phone learns of a new version.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use tower_http::services::ServeDir;

use crate::AppState;

/// Where the built app is looked for, relative to the binary's folder: beside it (a release
/// unpacked into one folder), an installed layout (`/usr/local/bin` and
/// `/usr/local/share/hosync/web`), and the build's own (`target/release/hosync` and
/// `target/web/app`, which `cargo xtask app` writes).
const BESIDE_THE_BINARY: [&str; 3] = ["web", "../share/hosync/web", "../web/app"];

/// The built app found beside the running binary, never relative to the working folder (a
/// service's working folder is rarely the binary's); the first candidate when none holds it,
/// so `/` names where it was expected.
pub fn beside_the_binary() -> PathBuf {
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.canonicalize().ok())
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
        .unwrap_or_default();
    let candidates: Vec<PathBuf> = BESIDE_THE_BINARY
        .iter()
        .map(|relative| exe_dir.join(relative))
        .collect();
    candidates
        .iter()
        .find(|dir| dir.join("index.html").is_file())
        .or(candidates.first())
        .cloned()
        .unwrap_or_default()
}

/// The app's routes: the built files when `dir` holds them, else a page saying how to build
/// them.
pub fn routes(dir: Option<&Path>) -> Router<AppState> {
    match dir.filter(|d| d.join("index.html").is_file()) {
        // The build writes each file's brotli (quality 11) and gzip copies beside it, so a
        // phone gets the smallest the browser takes, at no cost to the server per request.
        Some(dir) => Router::new()
            .fallback_service(ServeDir::new(dir).precompressed_br().precompressed_gzip())
            .layer(middleware::from_fn(cache_control)),
        None => {
            match dir {
                Some(dir) => tracing::warn!(
                    "no built app in {}: `/` says so; run `cargo xtask app`, or name the app's folder with --app-dir",
                    dir.display()
                ),
                None => tracing::info!("serving the API alone, without the app"),
            }
            Router::new().fallback(not_built)
        }
    }
}

async fn cache_control(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let immutable = path.starts_with("/assets/") || path.starts_with("/staff/assets/");
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
