//! Phones editing offline and syncing through the real server: merges, batching, retries.

use hosync_core::docs::household;
use hosync_core::{Day, MemberId};
use hosync_server::tools::phone::Phone;

use crate::helpers::{Backend, household_doc, spawn_app, today};
use crate::test_both_dbs;

fn member(id: &str) -> MemberId {
    MemberId::parse(id).expect("member id")
}

fn note_text(phone: &Phone, household: &str) -> String {
    let doc = phone
        .replica()
        .doc(&household_doc(household))
        .expect("household on the phone");
    household::read(doc)
        .expect("valid")
        .notes
        .last()
        .expect("a note")
        .text
        .clone()
}

/// Two phones edit one note offline; whichever syncs first, both phones and the staff API end
/// with the same text, holding both edits.
async fn two_phones_edit_one_note_offline(backend: Backend) {
    for a_first in [true, false] {
        let (app, _db) = spawn_app(backend).await;
        let mut a = app.phone("phone-a", "m2").await;
        let mut b = app.phone("phone-b", "m1").await;
        a.sync().await.expect("a bootstraps");
        b.sync().await.expect("b bootstraps");
        let h1 = household_doc("h1");
        let note = household::add_note(
            a.replica_mut().doc_mut(&h1).expect("h1 on a"),
            &member("m2"),
            today(),
            "Gia đình có 5 người.",
            &[],
            1,
        )
        .expect("note");
        a.sync().await.expect("a sends the note");
        b.sync().await.expect("b receives it");
        assert_eq!(note_text(&b, "h1"), "Gia đình có 5 người.");

        // Offline, both rewrite the text as a text box does.
        let before = (a.stats, b.stats);
        household::edit_note(
            a.replica_mut().doc_mut(&h1).expect("h1"),
            &note,
            "Gia đình có 5 người, 2 cháu đi học.",
            2,
        )
        .expect("edit a");
        household::edit_note(
            b.replica_mut().doc_mut(&h1).expect("h1"),
            &note,
            "Gia đình ông Pủa có 5 người.",
            3,
        )
        .expect("edit b");
        let (first, second) = if a_first {
            (&mut a, &mut b)
        } else {
            (&mut b, &mut a)
        };
        first.sync().await.expect("first syncs");
        second.sync().await.expect("second syncs");
        first.sync().await.expect("first collects");

        let merged = "Gia đình ông Pủa có 5 người, 2 cháu đi học.";
        assert_eq!(note_text(&a, "h1"), merged);
        assert_eq!(note_text(&b, "h1"), merged);
        let on_server = app.get_json("/api/v1/households/h1").await;
        assert_eq!(on_server["notes"][0]["text"], merged);
        let cell = app.get_json("/api/v1/cells/d-x1-c1/households").await;
        assert_eq!(
            cell[0]["latest_notes"][0]["text"], merged,
            "the projection shows the merge too"
        );

        let trips =
            a.stats.round_trips - before.0.round_trips + b.stats.round_trips - before.1.round_trips;
        let bytes = a.stats.bytes_up + a.stats.bytes_down + b.stats.bytes_up + b.stats.bytes_down
            - (before.0.bytes_up + before.0.bytes_down + before.1.bytes_up + before.1.bytes_down);
        println!(
            "{backend:?}, {} first: merging the two offline edits took {trips} round trips and {bytes} B on the wire",
            if a_first { "a" } else { "b" }
        );
        assert_eq!(trips, 3);
        assert!(bytes < 2048, "{bytes} B");
        app.stop().await;
    }
}
test_both_dbs!(two_phones_edit_one_note_offline);

/// Notes written over several offline days on three households go up in one round trip.
async fn several_offline_days_sync_in_one_round_trip(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    let mut phone = app.phone("phone-a", "m2").await;
    phone.sync().await.expect("bootstrap");
    let start = Day::parse("2026-11-16").expect("day");
    for (i, h) in ["h1", "h2", "h3"].iter().enumerate() {
        let day = start.add_days(i as i64);
        let doc = phone
            .replica_mut()
            .doc_mut(&household_doc(h))
            .expect("household on the phone");
        household::add_note(
            doc,
            &member("m2"),
            day,
            &format!("Thăm hộ ngày {}.", day.vi()),
            &[],
            day.noon_timestamp(),
        )
        .expect("note");
    }
    assert_eq!(phone.replica().unsynced().len(), 3);
    let before = phone.stats;
    let outcome = phone.sync().await.expect("sync");
    assert_eq!(
        phone.stats.round_trips - before.round_trips,
        1,
        "one round trip"
    );
    assert_eq!(
        outcome.accepted.len(),
        3,
        "all three acknowledged: {outcome:?}"
    );
    assert!(outcome.refused.is_empty());
    assert!(phone.replica().unsynced().is_empty());
    let up = phone.stats.bytes_up - before.bytes_up;
    let down = phone.stats.bytes_down - before.bytes_down;
    println!(
        "{backend:?}: three notes on three households: 1 round trip, {up} B up, {down} B down"
    );
    assert!(up + down < 2048, "{up} + {down} B");

    let cell = app.get_json("/api/v1/cells/d-x1-c1/households").await;
    for (i, h) in ["h1", "h2", "h3"].iter().enumerate() {
        let row = cell
            .as_array()
            .expect("list")
            .iter()
            .find(|r| r["id"] == *h)
            .expect("household listed");
        assert_eq!(row["last_visit"], start.add_days(i as i64).iso());
    }
    let summary = app.get_json("/api/v1/summary?month=2026-11").await;
    let c1 = summary
        .as_array()
        .expect("list")
        .iter()
        .find(|c| c["cell"] == "d-x1-c1")
        .expect("cell");
    assert_eq!(c1["visited_this_month"], 3);
    assert_eq!(c1["households"], 4);
    assert_eq!(c1["assigned"], 4);
    app.stop().await;
}
test_both_dbs!(several_offline_days_sync_in_one_round_trip);

/// The answer to a sync is lost; the phone retries. Nothing is stored twice, the cursor is
/// right, and what was acknowledged is not sent again.
async fn a_lost_answer_is_retried_safely(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    let mut phone = app.phone("phone-a", "m2").await;
    // The secretary's phone: it holds every household of the cell.
    let mut other = app.phone("phone-b", "m1").await;
    phone.sync().await.expect("bootstrap");
    other.sync().await.expect("bootstrap");
    let doc = phone
        .replica_mut()
        .doc_mut(&household_doc("h1"))
        .expect("h1");
    household::add_note(
        doc,
        &member("m2"),
        today(),
        "Ghi chép mất phản hồi.",
        &[],
        5,
    )
    .expect("note");
    let logged_before = app.logged_changes().await;

    let request = hosync_core::protocol::encode_request(&phone.replica_mut().start_sync());
    phone
        .send(request)
        .await
        .expect("the server stored it; the answer never reaches the phone");
    assert_eq!(
        phone.replica().unsynced().len(),
        1,
        "unacknowledged on the phone"
    );
    let after_first = app.logged_changes().await;
    assert_eq!(after_first, logged_before + 1);

    let outcome = phone.sync().await.expect("retry");
    assert_eq!(outcome.accepted.len(), 1);
    assert_eq!(
        app.logged_changes().await,
        after_first,
        "the retry stored nothing twice"
    );
    let distinct: i64 = sqlx::Row::try_get(
        &sqlx::query("SELECT COUNT(*) FROM (SELECT DISTINCT doc_id, hash FROM changes) t")
            .fetch_one(&app.state.db.reader)
            .await
            .expect("count"),
        0,
    )
    .expect("count");
    assert_eq!(distinct, after_first);
    let detail = app.get_json("/api/v1/households/h1").await;
    assert_eq!(detail["notes"].as_array().expect("notes").len(), 1);

    let log_end =
        hosync_server::storage::log_end(&mut app.state.db.reader.acquire().await.expect("conn"))
            .await
            .expect("end");
    assert_eq!(
        phone.replica().cursor().seq as i64,
        log_end,
        "the cursor is at the end of the log"
    );
    let cursor: i64 = sqlx::Row::try_get(
        &sqlx::query("SELECT cursor_seq FROM devices WHERE id = $1")
            .bind(phone.replica().device().as_str())
            .fetch_one(&app.state.db.reader)
            .await
            .expect("device"),
        0,
    )
    .expect("cursor");
    assert_eq!(
        cursor, log_end,
        "the server records how far the device has read"
    );
    assert!(
        phone.replica_mut().start_sync().pushes.is_empty(),
        "nothing acknowledged is sent again"
    );

    // The secretary's phone receives the note exactly once.
    other.sync().await.expect("other syncs");
    let doc = other.replica().doc(&household_doc("h1")).expect("h1");
    assert_eq!(household::read(doc).expect("valid").notes.len(), 1);
    app.stop().await;
}
test_both_dbs!(a_lost_answer_is_retried_safely);

/// A phone of one cell receives only its cell's documents, and of the monthly reports only its
/// member's own, unless the member leads the cell.
async fn a_phone_receives_its_own_cell_only(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    let ids = |phone: &Phone| {
        let mut ids: Vec<String> = phone.replica().docs().map(|d| d.id().to_string()).collect();
        ids.sort();
        ids
    };
    let mut phone = app.phone("phone-a", "m2").await;
    phone.sync().await.expect("bootstrap");
    assert_eq!(
        ids(&phone),
        ["c:d-x1-c1", "h:h1", "h:h2", "h:h3", "r:m2:2026-10"],
        "a member holds the cell, the households assigned to them and their own reports"
    );
    let mut secretary = app.phone("phone-s", "m1").await;
    secretary.sync().await.expect("bootstrap");
    assert_eq!(
        ids(&secretary),
        [
            "c:d-x1-c1",
            "h:h1",
            "h:h2",
            "h:h3",
            "h:h4",
            "r:m1:2026-10",
            "r:m2:2026-10",
            "r:m3:2026-10"
        ]
    );
    let mut outsider = app.phone("phone-z", "m9").await;
    outsider.sync().await.expect("bootstrap");
    assert_eq!(ids(&outsider), ["c:d-x1-c2", "h:h9", "r:m9:2026-10"]);

    // A member cannot write another member's report; the secretary rates it.
    let m3_report = hosync_core::DocId::parse("r:m3:2026-10").expect("id");
    let mut forged =
        hosync_core::docs::Doc::create(m3_report.clone(), hosync_core::docs::random_actor());
    let draft = hosync_core::docs::report::ReportDraft {
        self_rating: Some(hosync_core::Rating::Excellent),
        ..Default::default()
    };
    hosync_core::docs::report::write(&mut forged, &draft, 5).expect("write");
    let bundle = {
        let mut other = hosync_core::sync::Replica::new(
            hosync_core::DeviceId::parse("x").expect("id"),
            member("m3"),
            hosync_core::docs::random_actor(),
        );
        *other.open(&m3_report) = forged;
        other.export_bundle()
    };
    phone.replica_mut().import_bundle(&bundle).expect("import");
    let outcome = phone.sync().await.expect("sync");
    assert_eq!(outcome.refused.len(), 1, "{outcome:?}");
    assert!(
        outcome.refused[0].1.contains("another member's report"),
        "{outcome:?}"
    );

    let doc = secretary
        .replica_mut()
        .doc_mut(&m3_report)
        .expect("the secretary holds it");
    hosync_core::docs::report::rate(
        doc,
        hosync_core::Rating::Good,
        "Tốt.",
        &member("m1"),
        today(),
        6,
    )
    .expect("rate");
    let outcome = secretary.sync().await.expect("sync");
    assert_eq!(outcome.accepted, std::slice::from_ref(&m3_report));
    let mut m3 = app.phone("phone-m3", "m3").await;
    m3.sync().await.expect("bootstrap");
    let rated = hosync_core::docs::report::read(m3.replica().doc(&m3_report).expect("own report"))
        .expect("valid");
    assert_eq!(rated.cell_rating, Some(hosync_core::Rating::Good));
    app.stop().await;
}
test_both_dbs!(a_phone_receives_its_own_cell_only);
