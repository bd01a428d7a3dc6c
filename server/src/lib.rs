//! The hosync server: the sync endpoint phones talk to, the staff read API, storage on SQLite
//! or PostgreSQL, and the `hosync` command line. `app` builds the router and `run` serves it, so
//! tests start the real thing on a random port.

pub mod access;
pub mod cli;
pub mod error;
pub mod listen;
pub mod metrics;
pub mod openapi;
pub mod org;
pub mod progress;
pub mod request_log;
pub mod staff;
pub mod storage;
pub mod sync;
pub mod tools;
pub mod web_app;

use std::future::Future;
use std::sync::Arc;

use automerge::ActorId;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::IntoResponse;
use axum::response::{Redirect, Response};
use axum::routing::get;
use hosync_core::messages::Message;
use hosync_core::protocol::MAX_FRAME_BYTES;
use tokio::net::TcpListener;
use utoipa_axum::router::OpenApiRouter;

pub use access::throttle::Limit;
pub use storage::Db;

/// What every request shares; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The database pools.
    pub db: Db,
    /// The database's epoch, read once at start-up; it goes into every cursor.
    pub epoch: u64,
    /// The actor under which the server opens documents. It never edits them in a sync, so
    /// sharing it across requests cannot reuse a sequence number.
    pub actor: ActorId,
    /// The clock, replaceable so tests can set the day.
    pub clock: Arc<dyn Fn() -> i64 + Send + Sync>,
    /// How many syncs are worked on at once. Syncs are CPU-bound, so more than a few per core
    /// only adds memory (each holds its documents) without adding throughput; the rest wait
    /// their turn holding nothing but their request.
    pub sync_gate: Arc<tokio::sync::Semaphore>,
    /// What the operator tuned (lock period, session length, limits, the app's folder).
    pub settings: Arc<Settings>,
    /// What `/metrics` reports.
    pub metrics: metrics::SharedMetrics,
}

/// What an operator may tune; every duration in seconds.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long a staff session lasts after sign-in.
    pub session_ttl: i64,
    /// Mark session cookies Secure (the server is behind TLS). Also set per request when a
    /// proxy says `X-Forwarded-Proto: https`.
    pub secure_cookies: bool,
    /// A phone that has not reached the server for this long locks its data until it does.
    pub lock_after: i64,
    /// How long an enrolment code works.
    pub enrolment_ttl: i64,
    /// Sign-in tries for one login from one client address: past the limit that login is
    /// paused from that address only, until the window ends. A success starts the count again.
    pub sign_in_limit: Limit,
    /// Failed sign-ins from one client address, whatever the logins, before every sign-in from
    /// it is paused until the window ends.
    pub sign_in_address_limit: Limit,
    /// Failed enrolment codes from one client address before enrolment from it is paused.
    pub enrol_limit: Limit,
    /// A reverse proxy is in front: a client's address is the last hop of `X-Forwarded-For`
    /// (which the proxy appends), not the connection's peer (which is the proxy).
    pub trust_forwarded_for: bool,
    /// The built field app served at `/`; without it `/` says how to build it.
    pub app_dir: Option<std::path::PathBuf>,
    /// How many refused edits of one phone are kept for the secretary's review; past it,
    /// refusals are answered but not kept (the phone keeps its changes, so nothing is lost).
    pub max_refusals_per_device: i64,
    /// Connections served at once; past them, new ones wait to be accepted.
    pub max_connections: usize,
    /// How long a client may take to send a request's headers.
    pub header_timeout: std::time::Duration,
    /// How long a client may take to send a request's body, whole.
    pub body_timeout: std::time::Duration,
    /// How long the server may take to answer a request once it has arrived.
    pub answer_timeout: std::time::Duration,
    /// The bearer token that opens `/metrics` on the main address; without it, the metrics
    /// are served only on their own address (`--metrics-bind`), if any.
    pub metrics_token: Option<String>,
}

pub const DAY: i64 = 24 * 60 * 60;

impl Default for Settings {
    fn default() -> Self {
        Settings {
            session_ttl: 12 * 60 * 60,
            secure_cookies: false,
            lock_after: 30 * DAY,
            enrolment_ttl: 3 * DAY,
            sign_in_limit: Limit {
                max: 5,
                window: 15 * 60,
            },
            sign_in_address_limit: Limit {
                max: 20,
                window: 60 * 60,
            },
            enrol_limit: Limit {
                max: 10,
                window: 15 * 60,
            },
            trust_forwarded_for: false,
            app_dir: None,
            max_refusals_per_device: 200,
            max_connections: 1024,
            header_timeout: std::time::Duration::from_secs(30),
            // A sync of a few kilobytes takes a second or two over 2G; a large bundle handed
            // over, a minute or two.
            body_timeout: std::time::Duration::from_secs(180),
            answer_timeout: std::time::Duration::from_secs(120),
            metrics_token: None,
        }
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("db", &self.db)
            .field("epoch", &self.epoch)
            .finish_non_exhaustive()
    }
}

impl AppState {
    pub async fn new(db: Db) -> anyhow::Result<AppState> {
        let mut conn = db.writer.acquire().await?;
        let epoch = storage::epoch(&mut conn).await?;
        drop(conn);
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Ok(AppState {
            db,
            epoch,
            actor: ActorId::random(),
            clock: Arc::new(system_now),
            sync_gate: Arc::new(tokio::sync::Semaphore::new(4 * cores)),
            settings: Arc::new(Settings::default()),
            metrics: Arc::new(metrics::Metrics::new()),
        })
    }

    pub fn now(&self) -> i64 {
        (self.clock)()
    }
}

pub fn system_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// The `/api/v1` routes, paths relative to it, and their description: each area registers a
/// handler and its `#[utoipa::path]` together (`utoipa_axum::routes!`), so what is served and
/// what is described come from one list.
pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(sync::router())
        .merge(access::router())
        .merge(org::router())
        .merge(staff::router())
        .merge(openapi::router())
}

/// The OpenAPI document of every `/api/v1` route, as `GET /api/v1/openapi.json` serves it and
/// `hosync openapi` prints it.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    openapi::document(api_routes().into_openapi())
}

/// The HTTP routes.
pub fn app(state: AppState) -> Router {
    let (api, described) = api_routes().split_for_parts();
    let served = openapi::Served::of(&openapi::document(described));
    let api = api
        .fallback(unknown_route)
        .method_not_allowed_fallback(wrong_method)
        .layer(middleware::map_response(plain_refusals_in_json))
        .layer(axum::Extension(served));
    let app = web_app::routes(state.settings.app_dir.as_deref());
    Router::new()
        .route("/staff", get(staff_page))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route(metrics::PATH, get(metrics::metrics_with_token))
        .nest("/api/v1", api)
        // The nest does not take its own path with a slash after it (found by fuzzing).
        .route("/api/v1/", axum::routing::any(unknown_route))
        .merge(app)
        .layer(middleware::from_fn_with_state(state.clone(), deadlines))
        .layer(DefaultBodyLimit::max(MAX_FRAME_BYTES))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security_headers,
        ))
        .layer(middleware::from_fn(error::reader_language))
        // Outermost, so that answers the layers above give (too large, too slow) are counted
        // and logged too. `Router::layer` wraps each route, where its pattern is known.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::count_request,
        ))
        .layer(request_log::layer())
        .with_state(state)
}

/// An `/api/v1` path no route serves: answered in the API's JSON, not with the app's page.
async fn unknown_route(
    method: axum::http::Method,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
) -> error::ApiError {
    error::ApiError::NotFound(Message::NoRoute {
        method: method.to_string(),
        path: uri.path().to_owned(),
    })
}

/// An extractor's refusal (a path segment that is not UTF-8, a query or body of the wrong
/// shape) comes from axum as plain text: the API says it in its JSON error instead, as every
/// other refusal (found by fuzzing).
async fn plain_refusals_in_json(response: Response) -> Response {
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    if !response.status().is_client_error() || !plain {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let body = hosync_core::protocol::ErrorBody {
        error: "bad_request".into(),
        message: if text.trim().is_empty() {
            parts.status.to_string()
        } else {
            Message::BadShape(text).render(error::current_lang())
        },
    };
    (parts.status, axum::Json(body)).into_response()
}

/// A route asked with a method it does not take.
async fn wrong_method(
    method: axum::http::Method,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
) -> Response {
    let body = hosync_core::protocol::ErrorBody {
        error: "method_not_allowed".into(),
        message: Message::WrongMethod {
            method: method.to_string(),
            path: uri.path().to_owned(),
        }
        .render(error::current_lang()),
    };
    (axum::http::StatusCode::METHOD_NOT_ALLOWED, axum::Json(body)).into_response()
}

/// Bounds a request's time: its body must have arrived within `body_timeout` (a stalled or
/// trickling client is cut off with a clear answer rather than holding its connection), and
/// the answer be ready within `answer_timeout`. Either way nothing of the request is stored:
/// a sync's transaction is rolled back when its future is dropped, and the phone tries again.
async fn deadlines(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let settings = &state.settings;
    let (parts, body) = request.into_parts();
    let bytes = match tokio::time::timeout(
        settings.body_timeout,
        axum::body::to_bytes(body, MAX_FRAME_BYTES),
    )
    .await
    {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(e)) => {
            let too_large = std::error::Error::source(&e)
                .is_some_and(|cause| cause.is::<http_body_util::LengthLimitError>());
            return if too_large {
                error::ApiError::TooLarge(Message::BodyTooLarge {
                    limit: MAX_FRAME_BYTES,
                })
            } else {
                error::ApiError::BadRequest(Message::BodyUnreadable(e.to_string()))
            }
            .into_response();
        }
        Err(_) => {
            return error::ApiError::Timeout(Message::BodyTimeout {
                seconds: settings.body_timeout.as_secs(),
            })
            .into_response();
        }
    };
    let request = Request::from_parts(parts, axum::body::Body::from(bytes));
    match tokio::time::timeout(settings.answer_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => error::ApiError::Unavailable(Message::AnswerTimeout {
            seconds: settings.answer_timeout.as_secs(),
        })
        .into_response(),
    }
}

/// What the pages may load and do: only the server's own files, and no framing, plugins,
/// `<base>` or forms posting elsewhere. The field app compiles its WebAssembly core, which
/// needs `'wasm-unsafe-eval'` (it allows no `eval` of scripts). `data:` images are allowed
/// because Vite inlines small imported images as `data:` URLs. Neither app has inline scripts
/// or style sheets, and the styles Preact sets go through the DOM, which the policy allows.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; worker-src 'self'; \
     manifest-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; \
     form-action 'self'";

/// Headers on every answer, API and app alike. API answers hold personal data, so no cache
/// (the browser's or a proxy's) keeps them; the app's files keep the caching `web_app` gives
/// them. HSTS is sent only where TLS is in front (the operator's `secure_cookies`, or the
/// proxy's `X-Forwarded-Proto` for this request), since it promises HTTPS for a year.
async fn security_headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let tls =
        state.settings.secure_cookies || access::sessions_api::forwarded_https(request.headers());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let fixed = [
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        // For browsers older than `frame-ancestors`.
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    ];
    for (name, value) in fixed {
        headers.insert(name, value);
    }
    if tls {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    if api {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// `GET /healthz`: the process is alive (it asks nothing of the database).
async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: the database answers, its migrations are applied and it takes a write; 503
/// with what is wrong otherwise.
async fn readyz(State(state): State<AppState>) -> Response {
    match state.db.readiness().await {
        Ok(()) => "ready".into_response(),
        Err(why) => (axum::http::StatusCode::SERVICE_UNAVAILABLE, why).into_response(),
    }
}

/// The staff dashboard lives in the built app under `/staff/`.
async fn staff_page() -> Redirect {
    Redirect::permanent("/staff/")
}

/// Serves until `shutdown` resolves, then lets requests in flight finish.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let limits = listen::Limits {
        max_connections: state.settings.max_connections,
        header_timeout: state.settings.header_timeout,
    };
    listen::serve(listener, app(state), limits, shutdown).await
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
