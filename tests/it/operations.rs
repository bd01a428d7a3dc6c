//! What the operator of a district's server relies on: `/metrics` for Prometheus, and backups
//! taken while phones sync and put back without losing what a phone holds. The request log is
//! tested in `tests/log`, alone in its process.

use std::collections::BTreeSet;
use std::sync::Arc;

use hosync_server::Settings;
use hosync_server::storage::backup;
use hosync_server::tools::phone::Phone;

use crate::helpers::{Backend, TestApp, TestDb, seed_fixture, today, write_note};
use crate::test_both_dbs;

const METRICS_TOKEN: &str = "a-token-for-the-monitoring-only";

/// Scrapes `/metrics` with the operator's token and parses it as Prometheus does.
async fn scrape(app: &TestApp) -> prometheus_parse::Scrape {
    let response = app
        .http
        .get(format!("{}/metrics", app.base_url))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .expect("metrics");
    assert_eq!(response.status(), 200);
    let text = response.text().await.expect("text");
    let lines = text.lines().map(|l| Ok(l.to_owned()));
    prometheus_parse::Scrape::parse(lines).expect("the metrics parse as Prometheus text")
}

/// The value of `name` whose labels include `labels`; 0 when there is none yet.
fn value(scrape: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name)
        .filter(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match &s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => *v,
            prometheus_parse::Value::Histogram(buckets) => {
                buckets.iter().map(|b| b.count).fold(0.0, f64::max)
            }
            prometheus_parse::Value::Summary(_) => 0.0,
        })
        .sum()
}

async fn metrics_count_syncs_requests_and_silent_phones(backend: Backend) {
    let db = TestDb::new(backend).await;
    let settings = Settings {
        metrics_token: Some(METRICS_TOKEN.into()),
        ..Settings::default()
    };
    let app = TestApp::start_with(&db.url, settings).await;
    seed_fixture(&app.state.db).await;

    let metrics = format!("{}/metrics", app.base_url);
    let anonymous = app.http.get(&metrics).send().await.expect("metrics");
    assert_eq!(anonymous.status(), 401, "no token, no metrics");
    let wrong = app
        .http
        .get(&metrics)
        .bearer_auth("not-the-token")
        .send()
        .await
        .expect("metrics");
    assert_eq!(wrong.status(), 401);

    let mut phone = app.phone("phone-a", "m2").await;
    phone.sync().await.expect("bootstrap");
    let before = scrape(&app).await;
    write_note(&mut phone, "h2", "Gia đình khỏe.");
    let outcome = phone.sync().await.expect("sync");
    assert_eq!(outcome.accepted.len(), 1, "{outcome:?}");
    let after = scrape(&app).await;

    let moved = |name: &str, labels: &[(&str, &str)]| {
        value(&after, name, labels) - value(&before, name, labels)
    };
    assert_eq!(moved("hosync_syncs_total", &[("outcome", "ok")]), 1.0);
    assert_eq!(moved("hosync_sync_duration_seconds_count", &[]), 1.0);
    assert!(
        moved("hosync_sync_bytes_total", &[("direction", "received")]) > 0.0,
        "the note's bytes arrived"
    );
    assert!(moved("hosync_sync_bytes_total", &[("direction", "sent")]) > 0.0);
    assert!(
        moved("hosync_documents_loaded_total", &[]) >= 1.0,
        "the household was loaded to merge the note"
    );
    assert!(moved("hosync_pool_wait_seconds_count", &[("pool", "reader")]) >= 1.0);
    assert!(moved("hosync_pool_wait_seconds_count", &[("pool", "writer")]) >= 1.0);
    assert_eq!(
        moved(
            "hosync_requests_total",
            &[("route", "/api/v1/sync"), ("status", "200")]
        ),
        1.0,
        "requests are counted by route pattern and status"
    );
    assert!(
        value(
            &after,
            "hosync_requests_total",
            &[("route", "/metrics"), ("status", "401")]
        ) >= 2.0
    );
    assert_eq!(
        value(&after, "hosync_devices_unseen", &[("days", "7")]),
        0.0
    );

    // An unenrolled phone's sync is counted by its outcome.
    let mut stranger = Phone::new(
        &app.base_url,
        hosync_core::DeviceId::parse("never-enrolled").expect("id"),
        phone.replica().member().clone(),
    );
    assert!(stranger.sync().await.is_err());
    let refused = scrape(&app).await;
    assert_eq!(
        value(
            &refused,
            "hosync_syncs_total",
            &[("outcome", "unauthorized")]
        ),
        1.0
    );

    // Eight days on, the phone has not been seen for a week, but not for a month.
    app.clock
        .fetch_add(8 * hosync_server::DAY, std::sync::atomic::Ordering::SeqCst);
    let later = scrape(&app).await;
    assert_eq!(
        value(&later, "hosync_devices_unseen", &[("days", "7")]),
        1.0
    );
    assert_eq!(
        value(&later, "hosync_devices_unseen", &[("days", "30")]),
        0.0
    );
    app.stop().await;
}
test_both_dbs!(metrics_count_syncs_requests_and_silent_phones);

#[tokio::test]
async fn metrics_on_their_own_address_and_not_on_the_main_one_by_default() {
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::start(&db.url).await;
    let main = app
        .http
        .get(format!("{}/metrics", app.base_url))
        .send()
        .await
        .expect("metrics");
    assert_eq!(main.status(), 404);
    let body: serde_json::Value =
        serde_json::from_slice(&main.bytes().await.expect("body")).expect("json");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("--metrics-bind")),
        "says how to reach them: {body}"
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let router = hosync_server::metrics::own_address_router(app.state.clone());
    let server = tokio::spawn(async move { axum_serve(listener, router).await });
    let own = app
        .http
        .get(format!("http://{address}/metrics"))
        .send()
        .await
        .expect("metrics");
    assert_eq!(own.status(), 200);
    assert!(
        own.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/plain; version=0.0.4"))
    );
    let text = own.text().await.expect("text");
    assert!(
        text.contains("# TYPE hosync_sync_duration_seconds histogram"),
        "{text}"
    );
    server.abort();
    app.stop().await;
}

async fn axum_serve(listener: tokio::net::TcpListener, router: axum::Router) {
    let _ = axum::serve(listener, router).await;
}

/// The notes of a household on the server, by text.
async fn notes_on_server(app: &TestApp, household: &str) -> BTreeSet<String> {
    let detail = app
        .get_json(&format!("/api/v1/households/{household}"))
        .await;
    detail["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .filter_map(|n| n["text"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_during_load_and_restored_loses_nothing_a_phone_holds() {
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::start(&db.url).await;
    seed_fixture(&app.state.db).await;
    let epoch = app.state.epoch;
    let mut quiet = app.phone("phone-m3", "m3").await;
    quiet.sync().await.expect("bootstrap");
    write_note(&mut quiet, "h4", "Trước sao lưu.");
    quiet.sync().await.expect("sync");

    // A phone syncing a note after another while the backup is taken.
    let mut busy = app.phone("phone-m2", "m2").await;
    busy.sync().await.expect("bootstrap");
    let started = Arc::new(tokio::sync::Notify::new());
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load = {
        let started = started.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            // Each note with the moment its sync was acknowledged.
            let mut acknowledged = Vec::new();
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) || n < 3 {
                n += 1;
                let text = format!("Ghi chép số {n} trong lúc sao lưu.");
                write_note(&mut busy, "h2", &text);
                let outcome = busy.sync().await.expect("sync under load");
                assert_eq!(outcome.accepted.len(), 1, "{outcome:?}");
                acknowledged.push((text, std::time::Instant::now()));
                if n == 2 {
                    started.notify_one();
                }
            }
            (busy, acknowledged)
        })
    };
    started.notified().await;
    let backup_began = std::time::Instant::now();
    let file = db
        .sqlite_file()
        .expect("a SQLite file")
        .with_file_name("backup.db");
    let copied = backup::backup(&db.url, &file).await.expect("backup");
    assert!(copied.documents > 0);
    let again = backup::backup(&db.url, &file).await;
    assert!(
        again.is_err_and(|e| e.to_string().contains("exists already")),
        "a backup never overwrites another"
    );
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let (busy, acknowledged) = load.await.expect("load");
    // After the backup: a note the restored server will not have.
    write_note(&mut quiet, "h4", "Sau sao lưu.");
    quiet.sync().await.expect("sync");
    app.stop().await;

    let restored = backup::restore(&db.url, &file, today().noon_timestamp())
        .await
        .expect("restore");
    assert!(restored.kept.as_ref().is_some_and(|kept| kept.is_file()));

    let app = TestApp::start(&db.url).await;
    assert_ne!(
        app.state.epoch, epoch,
        "a restored database has a new epoch"
    );
    let on_server = notes_on_server(&app, "h2").await;
    for (text, acked_at) in &acknowledged {
        if *acked_at < backup_began {
            assert!(
                on_server.contains(text),
                "{text:?}, acknowledged before the backup began, is in it: {on_server:?}"
            );
        }
    }
    assert!(notes_on_server(&app, "h4").await.contains("Trước sao lưu."));
    assert!(!notes_on_server(&app, "h4").await.contains("Sau sao lưu."));

    // The phones sync with the restored server and send again what it lacks.
    let mut quiet = Phone::with_replica(&app.base_url, quiet.replica().clone());
    let mut busy = Phone::with_replica(&app.base_url, busy.replica().clone());
    quiet.sync().await.expect("sync after restore");
    busy.sync().await.expect("sync after restore");
    let h4 = notes_on_server(&app, "h4").await;
    assert!(
        h4.contains("Trước sao lưu.") && h4.contains("Sau sao lưu."),
        "{h4:?}"
    );
    let h2 = notes_on_server(&app, "h2").await;
    for (text, _) in &acknowledged {
        assert!(h2.contains(text), "{text:?} is back: {h2:?}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_restore_refuses_what_is_not_a_hosync_backup_and_keeps_the_database() {
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::start(&db.url).await;
    seed_fixture(&app.state.db).await;
    app.stop().await;
    let not_a_database = db
        .sqlite_file()
        .expect("a SQLite file")
        .with_file_name("notes.txt");
    std::fs::write(&not_a_database, "not a database").expect("file");
    let refused = backup::restore(&db.url, &not_a_database, 1).await;
    assert!(
        refused.is_err_and(|e| format!("{e:#}").contains("not a SQLite database")),
        "says what is wrong"
    );
    let app = TestApp::start(&db.url).await;
    assert!(
        app.logged_changes().await > 0,
        "the database refused to be replaced is served as it was"
    );
    app.stop().await;
}

async fn a_database_restored_by_other_tools_is_marked_with_a_new_epoch(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::start(&db.url).await;
    let epoch = app.state.epoch;
    app.stop().await;
    backup::mark_restored(&db.url).await.expect("marked");
    let app = TestApp::start(&db.url).await;
    assert_ne!(app.state.epoch, epoch);
    app.stop().await;
}
test_both_dbs!(a_database_restored_by_other_tools_is_marked_with_a_new_epoch);
