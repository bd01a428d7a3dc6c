//! The server stops and starts again on the same database: everything acknowledged is there.

use hosync_core::docs::{household, report};
use hosync_core::{DocId, MemberId, Month, Rating};

use crate::helpers::{Backend, TestApp, household_doc, seed_fixture, today};
use crate::test_both_dbs;

async fn acknowledged_changes_survive_a_restart(backend: Backend) {
    let db = crate::helpers::TestDb::new(backend).await;
    let app = TestApp::start(&db.url).await;
    seed_fixture(&app.state.db).await;
    let epoch = app.state.epoch;
    let mut phone = app.phone("phone-a", "m2").await;
    phone.sync().await.expect("bootstrap");
    let m2 = MemberId::parse("m2").expect("id");
    let doc = phone
        .replica_mut()
        .doc_mut(&household_doc("h2"))
        .expect("h2");
    household::add_note(
        doc,
        &m2,
        today(),
        "Trước khi máy chủ khởi động lại.",
        &[],
        1,
    )
    .expect("note");
    let report_id = DocId::Report(m2.clone(), Month::parse("2026-11").expect("month"));
    let draft = report::ReportDraft {
        tasks: Some("Dự họp chi bộ.".into()),
        household_content: Some("Thăm 3 hộ.".into()),
        self_rating: Some(Rating::Good),
    };
    report::write(phone.replica_mut().open(&report_id), &draft, 2).expect("report");
    let outcome = phone.sync().await.expect("sync");
    assert_eq!(outcome.accepted.len(), 2, "{outcome:?}");
    app.stop().await;

    let app = TestApp::start(&db.url).await;
    assert_eq!(
        app.state.epoch, epoch,
        "the same database keeps its epoch, so cursors stay valid"
    );
    let detail = app.get_json("/api/v1/households/h2").await;
    assert_eq!(
        detail["notes"][0]["text"],
        "Trước khi máy chủ khởi động lại."
    );
    let before = phone.stats;
    let mut phone =
        hosync_server::tools::phone::Phone::with_replica(&app.base_url, phone.replica().clone());
    let outcome = phone.sync().await.expect("sync after restart");
    assert!(
        outcome.updated.is_empty() && outcome.accepted.is_empty(),
        "nothing new either way: {outcome:?}"
    );
    assert!(
        phone.stats.bytes_down < 200,
        "a steady-state sync is small: {} B",
        phone.stats.bytes_down
    );
    let _ = before;

    let mut fresh = app.phone("phone-new", "m1").await;
    fresh.sync().await.expect("a new phone bootstraps");
    let doc = fresh.replica().doc(&household_doc("h2")).expect("h2");
    assert_eq!(household::read(doc).expect("valid").notes.len(), 1);
    let report = report::read(
        fresh
            .replica()
            .doc(&report_id)
            .expect("report reached the cell"),
    )
    .expect("valid");
    assert_eq!(report.self_rating, Some(Rating::Good));
    app.stop().await;
}
test_both_dbs!(acknowledged_changes_survive_a_restart);
