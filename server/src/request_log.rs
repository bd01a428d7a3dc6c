//! The server's log: one line per request (method, route, status, time, and the device or
//! account that asked), as text or JSON. Routes are logged as their patterns
//! (`/api/v1/households/{id}`), never the path asked or its query, and never a header or a
//! body: so no token, password, code or note's text reaches the log.

use std::io::IsTerminal;
use std::time::Duration;

use axum::extract::{MatchedPath, Request};
use axum::http::Response;
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::TraceLayer;
use tracing::Span;

/// How the log is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Lines for a person to read; coloured only on a terminal.
    #[default]
    Text,
    /// One JSON object per line, for a log collector.
    Json,
}

const DEFAULT_FILTER: &str = "hosync=info,warn";

/// Starts the log on standard error. `RUST_LOG` chooses what is logged (`hosync=info,warn` by
/// default: every request and the server's own news, and other crates' warnings).
pub fn init(format: LogFormat) {
    use tracing_subscriber::util::SubscriberInitExt;
    subscriber(format, std::io::stderr().is_terminal(), std::io::stderr).init();
}

/// The log as `init` sets it up, written to `writer`, with colour codes only if `ansi`.
pub fn subscriber<W>(format: LogFormat, ansi: bool, writer: W) -> tracing::Dispatch
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    // An empty RUST_LOG (set but blank, as some shells and CI runners leave it) means the
    // default, not "errors only".
    let filter = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .and_then(|v| tracing_subscriber::EnvFilter::try_new(v).ok())
        .unwrap_or_else(|| DEFAULT_FILTER.into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    match format {
        LogFormat::Text => builder.with_ansi(ansi).finish().into(),
        LogFormat::Json => builder
            .json()
            .with_ansi(false)
            .with_current_span(true)
            .with_span_list(false)
            .finish()
            .into(),
    }
}

/// Where the request log's lines come from, so `RUST_LOG=hosync::request=off` silences them.
const TARGET: &str = "hosync::request";

type MakeSpan = fn(&Request) -> Span;
type OnResponse = fn(&Response<axum::body::Body>, Duration, &Span);

/// The layer that logs each request once, when it is answered.
pub fn layer()
-> TraceLayer<SharedClassifier<ServerErrorsAsFailures>, MakeSpan, (), OnResponse, (), (), ()> {
    TraceLayer::new_for_http()
        .make_span_with(request_span as MakeSpan)
        .on_request(())
        .on_response(answered as OnResponse)
        .on_body_chunk(())
        .on_eos(())
        .on_failure(())
}

fn request_span(request: &Request) -> Span {
    tracing::info_span!(
        target: TARGET,
        "request",
        method = %request.method(),
        route = route_of(request),
        who = tracing::field::Empty,
    )
}

/// The route's pattern; a request no route matched is logged by kind alone.
pub fn route_of(request: &Request) -> &str {
    match request.extensions().get::<MatchedPath>() {
        Some(matched) => matched.as_str(),
        None if request.uri().path().starts_with("/api/") => "(unknown API route)",
        None => "(app file)",
    }
}

fn answered(response: &Response<axum::body::Body>, latency: Duration, _span: &Span) {
    let status = response.status().as_u16();
    // To a tenth of a millisecond: finer is noise in a log.
    let ms = (latency.as_secs_f64() * 10_000.0).round() / 10.0;
    if response.status().is_server_error() {
        tracing::error!(target: TARGET, status, ms, "answered");
    } else {
        tracing::info!(target: TARGET, status, ms, "answered");
    }
}

/// Names who asked, on the current request's log line: a phone by its device id, staff by
/// their login. Neither is a secret; the token that proved it never is logged.
pub fn record_who(who: std::fmt::Arguments<'_>) {
    Span::current().record("who", tracing::field::display(who));
}
