//! The load generator on a small slice of the demo district, against the real server: both
//! jobs work and lose nothing. It asserts no timing; `cargo xtask bench` measures.

use hosync_core::Day;
use hosync_server::tools::demo::{DemoShape, seed};
use hosync_server::tools::loadgen::{Job, LoadPlan, run};

use crate::helpers::{Backend, TestApp, TestDb};
use crate::test_both_dbs;

/// A server on a slice of the demo district of a few hundred households.
async fn seeded(backend: Backend) -> (TestDb, TestApp) {
    let db = TestDb::new(backend).await;
    let app = TestApp::start(&db.url).await;
    let shape = DemoShape {
        months: 3,
        ..DemoShape::scaled(0.05)
    };
    let today = Day::from_timestamp(hosync_server::system_now());
    let summary = seed(&app.state.db, &shape, today)
        .await
        .expect("seed a slice of the district");
    assert!(
        summary.households > 200,
        "a few hundred households: {summary:?}"
    );
    (db, app)
}

async fn the_load_generator_loses_nothing(backend: Backend) {
    let (db, app) = seeded(backend).await;

    let plan = LoadPlan {
        server: app.base_url.clone(),
        database_url: db.url.clone(),
        phones: Some(300),
        concurrency: 16,
        edits: 2,
        server_pid: None,
        soak_seconds: Some(3),
        job: Job::Steady,
    };
    let report = run(&plan).await.expect("the load runs");
    assert!(report.phones >= 200, "phones: {}", report.phones);
    assert_eq!(report.wave.errors, 0);
    // Two notes from a phone with households, a report edit from one without, the
    // steady-state note, and a note a round from each phone with households in the soak.
    let soak = report.soak.as_ref().expect("a soak was asked for");
    assert!(soak.rounds >= 1 && soak.syncs >= soak.phones, "{soak:?}");
    assert_eq!(soak.errors, 0, "{soak:?}");
    assert!(!soak.minutes.is_empty());
    let soaked = soak.rounds * soak.phones;
    assert!(
        report.edits_written > report.phones + soaked
            && report.edits_written <= report.phones * 2 + 1 + soaked,
        "edits written: {}",
        report.edits_written
    );
    assert_eq!(report.edits_missing, 0, "every edit made is on the server");
    assert_eq!(report.edits_doubled, 0, "and only once");
    let probes = report.steady.as_ref().expect("the steady job's probes");
    assert_eq!(probes.steady_state.round_trips, 1);
    assert!(
        (report.wave.round_trips_per_sync - 1.0).abs() < f64::EPSILON,
        "one round trip each"
    );
    assert!(probes.first_sync.sample.bytes_down > 0);
    assert!(report.cold.is_none());
    app.stop().await;
}
test_both_dbs!(the_load_generator_loses_nothing);

async fn cold_phones_get_their_documents_and_their_notes_arrive_once(backend: Backend) {
    let (db, app) = seeded(backend).await;
    let plan = LoadPlan {
        server: app.base_url.clone(),
        database_url: db.url.clone(),
        phones: Some(24),
        concurrency: 8,
        edits: 1,
        // The server runs in the test's process: its memory and CPU are read from there.
        server_pid: Some(std::process::id()),
        soak_seconds: None,
        job: Job::Cold,
    };
    let report = run(&plan).await.expect("the cold job runs");
    assert_eq!(report.job, Job::Cold);
    assert_eq!(report.phones, 24);
    assert_eq!(report.wave.errors, 0);
    assert!(report.steady.is_none(), "the steady probes are not run");
    let cold = report.cold.as_ref().expect("the cold job's figures");

    // Every phone's first sync brought down everything its scope holds.
    assert_eq!(cold.phones_short_of_documents, 0, "{cold:?}");
    assert!(cold.documents_expected >= 24, "{cold:?}");
    assert!(
        cold.documents_received >= cold.documents_expected,
        "{cold:?}"
    );
    assert!(cold.fewest_documents_on_a_phone >= 1, "{cold:?}");
    assert!(cold.first_sync.bytes_down_per_phone > 1000.0, "{cold:?}");
    assert!(cold.first_sync.round_trips_per_phone >= 1.0, "{cold:?}");

    // One note (or a report line) from each phone, each on the server exactly once; the
    // note's text is about 200 characters, and goes up with its sync.
    assert_eq!(report.edits_written, 24);
    assert_eq!(report.edits_missing, 0, "every note is on the server");
    assert_eq!(report.edits_doubled, 0, "and only once");
    assert!(cold.note_sync.bytes_up_per_phone > 150.0, "{cold:?}");
    assert!(
        cold.note_sync.bytes_down_per_phone < cold.first_sync.bytes_down_per_phone,
        "{cold:?}"
    );

    // The same figures as the steady job's, over both syncs of every phone.
    let wave = &report.wave;
    assert!(wave.wall_seconds > 0.0);
    assert!(wave.syncs_per_second > 0.0);
    assert!(wave.latency_ms_p50 > 0.0 && wave.latency_ms_p50 <= wave.latency_ms_p95);
    assert!(wave.latency_ms_p95 <= wave.latency_ms_p99);
    assert!(wave.round_trips_per_phone >= 2.0, "two syncs a phone");
    assert!(
        (wave.bytes_down_per_phone
            - cold.first_sync.bytes_down_per_phone
            - cold.note_sync.bytes_down_per_phone)
            .abs()
            < 1.0,
        "a phone's bytes are its two syncs'"
    );
    assert!(wave.server_peak_rss_mib.is_some_and(|m| m > 0.0));
    assert!(wave.server_cpu_seconds.is_some());
    assert!(report.database_bytes.is_some());

    // And the report the bench reads holds them under the names it reads.
    let json = serde_json::to_value(&report).expect("the report as JSON");
    assert_eq!(json["job"], "cold");
    for key in [
        "wall_seconds",
        "syncs_per_second",
        "latency_ms_p50",
        "latency_ms_p95",
        "latency_ms_p99",
        "bytes_up_per_phone",
        "bytes_down_per_phone",
        "server_peak_rss_mib",
        "server_cpu_seconds",
    ] {
        assert!(json[key].is_number(), "{key} in {json}");
    }
    assert!(json["cold"]["first_sync"]["latency_ms_p99"].is_number());
    assert!(json["cold"]["note_sync"]["latency_ms_p99"].is_number());
    app.stop().await;
}
test_both_dbs!(cold_phones_get_their_documents_and_their_notes_arrive_once);
