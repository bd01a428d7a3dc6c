//! Metrics for Prometheus, in its text format at `/metrics`: syncs by outcome, their time and
//! bytes, pushes refused by reason, documents loaded, waits for a database connection, requests
//! by route and status, and phones not seen for a week or a month.
//!
//! `/metrics` names no person, but it tells how busy a district is and how many of its phones
//! are silent, so it answers only where the operator allowed: on an address of its own
//! (`--metrics-bind`), or on the main one to a bearer token (`--metrics-token`).
//!
//! Each server owns its registry, so servers started side by side in one process (the tests)
//! count apart; the storage layer's counters have no server to hand, so they are process-wide
//! and registered into every registry.

use std::sync::{Arc, LazyLock};
use std::time::Instant;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::AppState;
use crate::access::secret::same_secret;
use crate::error::ApiError;
use hosync_core::messages::Message;

/// The path the metrics are read at.
pub const PATH: &str = "/metrics";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabel {
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DirectionLabel {
    pub direction: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabel {
    pub reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PoolLabel {
    pub pool: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct UnseenLabel {
    pub days: &'static str,
}

/// Documents loaded from storage (a snapshot and its changes made into an Automerge
/// document): the work a sync or a staff view costs.
pub static DOCUMENTS_LOADED: LazyLock<Counter> = LazyLock::new(Counter::default);

/// Seconds waited for a database connection (`reader`), or for the writer and its lock
/// (`writer`): where syncs queue when the database is the bottleneck.
pub static POOL_WAIT_SECONDS: LazyLock<HistogramFamily<PoolLabel>> =
    LazyLock::new(|| Family::new_with_constructor(wait_histogram));

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn wait_histogram() -> Histogram {
    // 0.1 ms to about 26 s.
    Histogram::new(exponential_buckets(0.0001, 4.0, 10))
}

/// Times a wait for a pool into [`POOL_WAIT_SECONDS`].
pub async fn timed_wait<T>(pool: &'static str, wait: impl Future<Output = T>) -> T {
    let started = Instant::now();
    let got = wait.await;
    POOL_WAIT_SECONDS
        .get_or_create(&PoolLabel { pool })
        .observe(started.elapsed().as_secs_f64());
    got
}

/// One server's metrics.
pub struct Metrics {
    registry: Registry,
    syncs: Family<OutcomeLabel, Counter>,
    sync_seconds: Histogram,
    sync_bytes: Family<DirectionLabel, Counter>,
    pushes_refused: Family<ReasonLabel, Counter>,
    requests: Family<RequestLabels, Counter>,
    pool_connections: Family<PoolLabel, Gauge>,
    pool_idle: Family<PoolLabel, Gauge>,
    devices_unseen: Family<UnseenLabel, Gauge>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let syncs = Family::<OutcomeLabel, Counter>::default();
        registry.register(
            "hosync_syncs",
            "Syncs answered, by outcome: ok, wiped (a revoked phone told to erase itself), or the error code answered",
            syncs.clone(),
        );
        // 10 ms to about 80 s: a sync of a few notes is tens of milliseconds, a phone's first
        // one of a whole cell a few seconds.
        let sync_seconds = Histogram::new(exponential_buckets(0.01, 2.5, 10));
        registry.register(
            "hosync_sync_duration_seconds",
            "Time to answer a sync, from its body's arrival to its answer",
            sync_seconds.clone(),
        );
        let sync_bytes = Family::<DirectionLabel, Counter>::default();
        registry.register(
            "hosync_sync_bytes",
            "Bytes of sync bodies, received from phones and sent to them",
            sync_bytes.clone(),
        );
        let pushes_refused = Family::<ReasonLabel, Counter>::default();
        registry.register(
            "hosync_pushes_refused",
            "Documents pushed by phones and refused, by reason (the phone keeps them)",
            pushes_refused.clone(),
        );
        registry.register(
            "hosync_documents_loaded",
            "Documents loaded from storage (by every server of this process)",
            DOCUMENTS_LOADED.clone(),
        );
        registry.register(
            "hosync_pool_wait_seconds",
            "Seconds waited for a database connection (reader) or for the writer and its lock (writer)",
            POOL_WAIT_SECONDS.clone(),
        );
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "hosync_requests",
            "Requests answered, by route pattern and status",
            requests.clone(),
        );
        let pool_connections = Family::<PoolLabel, Gauge>::default();
        registry.register(
            "hosync_pool_connections",
            "Open database connections, by pool",
            pool_connections.clone(),
        );
        let pool_idle = Family::<PoolLabel, Gauge>::default();
        registry.register(
            "hosync_pool_idle_connections",
            "Idle database connections, by pool",
            pool_idle.clone(),
        );
        let devices_unseen = Family::<UnseenLabel, Gauge>::default();
        registry.register(
            "hosync_devices_unseen",
            "Enrolled phones, not revoked, that have not synced for at least this many days",
            devices_unseen.clone(),
        );
        Metrics {
            registry,
            syncs,
            sync_seconds,
            sync_bytes,
            pushes_refused,
            requests,
            pool_connections,
            pool_idle,
            devices_unseen,
        }
    }

    /// Counts an answered sync: its outcome (`ok`, `wiped`, or the error code), time and bytes.
    pub fn sync_answered(&self, outcome: &'static str, seconds: f64, received: u64, sent: u64) {
        self.syncs.get_or_create(&OutcomeLabel { outcome }).inc();
        self.sync_seconds.observe(seconds);
        self.sync_bytes
            .get_or_create(&DirectionLabel {
                direction: "received",
            })
            .inc_by(received);
        self.sync_bytes
            .get_or_create(&DirectionLabel { direction: "sent" })
            .inc_by(sent);
    }

    /// Counts the pushes a sync's answer refused, by reason: a few fixed words, never the
    /// reason's text (which names documents).
    pub fn pushes_answered(&self, results: &[hosync_core::protocol::PushResult]) {
        use hosync_core::protocol::PushOutcome;
        for result in results {
            let reason = match &result.outcome {
                PushOutcome::Accepted | PushOutcome::NeedHistory => continue,
                PushOutcome::Rejected { .. } => "rejected",
                PushOutcome::ActorReused { .. } => "actor_reused",
            };
            self.pushes_refused
                .get_or_create(&ReasonLabel { reason })
                .inc();
        }
    }

    /// The text Prometheus reads, with the gauges read from the database now.
    async fn render(&self, state: &AppState) -> Result<String, ApiError> {
        for (pool, handle) in [("reader", &state.db.reader), ("writer", &state.db.writer)] {
            let label = PoolLabel { pool };
            self.pool_connections
                .get_or_create(&label)
                .set(i64::from(handle.size()));
            self.pool_idle
                .get_or_create(&label)
                .set(handle.num_idle() as i64);
        }
        let now = state.now();
        for (days, label) in [(7, "7"), (30, "30")] {
            let count = unseen_devices(state, now - days * crate::DAY).await?;
            self.devices_unseen
                .get_or_create(&UnseenLabel { days: label })
                .set(count);
        }
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("encoding the metrics: {e}")))?;
        Ok(text)
    }
}

/// Phones not revoked whose last sync (or, never synced, enrolment) is before `since`.
async fn unseen_devices(state: &AppState, since: i64) -> Result<i64, ApiError> {
    let mut conn = state.db.reader.acquire().await?;
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM devices WHERE revoked_at IS NULL \
         AND COALESCE(last_sync_at, enrolled_at) < $1",
    )
    .bind(since)
    .fetch_one(&mut *conn)
    .await?;
    Ok(count)
}

/// Counts every request by the route it matched (its pattern, not its path) and its status.
/// Layered on each route, where the matched route is known; a request no route matched counts
/// under the same words as in the log.
pub async fn count_request(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let route = crate::request_log::route_of(&request).to_owned();
    let response = next.run(request).await;
    state
        .metrics
        .requests
        .get_or_create(&RequestLabels {
            route,
            status: response.status().as_u16(),
        })
        .inc();
    response
}

/// `GET /metrics` on the main address: only with the operator's token; without one set, the
/// answer says how to reach the metrics.
pub async fn metrics_with_token(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Some(expected) = state.settings.metrics_token.as_deref() else {
        return Err(ApiError::NotFound(Message::MetricsNotServed));
    };
    let sent = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !same_secret(sent.as_bytes(), expected.as_bytes()) {
        return Err(ApiError::Unauthorized(Message::MetricsNeedToken));
    }
    metrics_text(&state).await
}

async fn metrics_text(state: &AppState) -> Result<Response, ApiError> {
    let text = state.metrics.render(state).await?;
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(response)
}

/// The router of the metrics' own address: `/metrics`, open to whoever reaches the address.
pub fn own_address_router(state: AppState) -> Router {
    Router::new()
        .route(
            PATH,
            get(|State(state): State<AppState>| async move { metrics_text(&state).await }),
        )
        .fallback(|| async { (StatusCode::NOT_FOUND, "only /metrics is served here\n") })
        .with_state(state)
}

/// Shared by every clone of the state.
pub type SharedMetrics = Arc<Metrics>;
