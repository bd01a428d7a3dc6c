//! The load generator on a small slice of the demo district, against the real server: it works
//! and loses nothing. It asserts no timing; `cargo xtask bench` measures.

use hosync_core::Day;
use hosync_server::tools::demo::{DemoShape, seed};
use hosync_server::tools::loadgen::{LoadPlan, run};

use crate::helpers::{Backend, TestApp, TestDb};
use crate::test_both_dbs;

async fn the_load_generator_loses_nothing(backend: Backend) {
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

    let plan = LoadPlan {
        server: app.base_url.clone(),
        database_url: db.url.clone(),
        phones: Some(300),
        concurrency: 16,
        edits: 2,
        server_pid: None,
        soak_seconds: Some(3),
    };
    let report = run(&plan).await.expect("the load runs");
    assert!(report.phones >= 200, "phones: {}", report.phones);
    assert_eq!(report.errors, 0);
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
    assert_eq!(report.steady_state.round_trips, 1);
    assert!(
        (report.round_trips_per_sync - 1.0).abs() < f64::EPSILON,
        "one round trip each"
    );
    assert!(report.first_sync.sample.bytes_down > 0);
    app.stop().await;
}
test_both_dbs!(the_load_generator_loses_nothing);
