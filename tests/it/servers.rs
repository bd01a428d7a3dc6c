//! Several servers on one PostgreSQL database, as a district that outgrows one process runs
//! them: phones of one cell sync through either server in turn, at the same moments, editing
//! the same note; everything converges, nothing is lost or doubled, and no phone's cursor
//! sends it back for what it already holds.

use hosync_core::docs::household;
use hosync_core::{MemberId, NoteId};
use hosync_server::tools::phone::Phone;

use crate::helpers::{Backend, TestApp, TestDb, household_doc, seed_fixture, today};

fn member(id: &str) -> MemberId {
    MemberId::parse(id).expect("member id")
}

/// The notes of `household` on `phone`: id and text, in the document's order.
fn notes(phone: &Phone, household: &str) -> Vec<(NoteId, String)> {
    let doc = phone
        .replica()
        .doc(&household_doc(household))
        .expect("household on the phone");
    household::read(doc)
        .expect("valid")
        .notes
        .into_iter()
        .map(|n| (n.id, n.text))
        .collect()
}

/// The notes of `household` as a server's staff API reads them.
async fn notes_on(app: &TestApp, household: &str) -> Vec<String> {
    let detail = app
        .get_json(&format!("/api/v1/households/{household}"))
        .await;
    let mut texts: Vec<String> = detail["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .map(|n| n["text"].as_str().unwrap_or_default().to_owned())
        .collect();
    texts.sort();
    texts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phones_sync_through_either_of_two_servers() {
    let db = TestDb::new(Backend::Postgres).await;
    let one = TestApp::start(&db.url).await;
    seed_fixture(&one.state.db).await;
    let two = TestApp::start(&db.url).await;
    assert_eq!(
        one.state.epoch, two.state.epoch,
        "one database, one epoch: a phone moving between them is not sent back to start"
    );
    let servers = [one.base_url.clone(), two.base_url.clone()];

    // m2 looks after h1 to h3, m3 h4; m1 is their secretary and reads them all.
    let mut m2 = one.phone("phone-m2", "m2").await;
    let mut m3 = two.phone("phone-m3", "m3").await;
    let mut m1 = one.phone("phone-m1", "m1").await;
    for phone in [&mut m2, &mut m3, &mut m1] {
        phone.sync().await.expect("first sync");
    }
    let h1 = household_doc("h1");
    let shared = household::add_note(
        m2.replica_mut().doc_mut(&h1).expect("h1 on m2"),
        &member("m2"),
        today(),
        "Gia đình có 5 người.",
        &[],
        1,
    )
    .expect("note");
    m2.sync().await.expect("the shared note goes up");
    m1.sync().await.expect("and reaches the secretary");

    // Round after round, each phone syncs through the server the round gives it, all at once,
    // so that two servers append to one log at the same moments. m2 and the secretary both
    // type into the one note; m3 adds a note of its own each round.
    const ROUNDS: usize = 6;
    let mut m3_notes = Vec::new();
    for round in 0..ROUNDS {
        let at = 10 + round as i64;
        let m2_text = format!("{} m2:{round}.", notes(&m2, "h1")[0].1);
        household::edit_note(
            m2.replica_mut().doc_mut(&h1).expect("h1"),
            &shared,
            &m2_text,
            at,
        )
        .expect("m2 edits");
        let m1_text = format!("m1:{round}. {}", notes(&m1, "h1")[0].1);
        household::edit_note(
            m1.replica_mut().doc_mut(&h1).expect("h1"),
            &shared,
            &m1_text,
            at,
        )
        .expect("m1 edits");
        let text = format!("Lần thăm thứ {round} của hộ h4.");
        household::add_note(
            m3.replica_mut()
                .doc_mut(&household_doc("h4"))
                .expect("h4 on m3"),
            &member("m3"),
            today(),
            &text,
            &[],
            at,
        )
        .expect("m3's note");
        m3_notes.push(text);

        m2.set_server(&servers[round % 2]);
        m1.set_server(&servers[(round + 1) % 2]);
        m3.set_server(&servers[round % 2]);
        let (a, b, c) = tokio::join!(m2.sync(), m1.sync(), m3.sync());
        for (who, outcome) in [("m2", a), ("m1", b), ("m3", c)] {
            let outcome = outcome.unwrap_or_else(|e| panic!("{who}, round {round}: {e}"));
            assert!(outcome.refused.is_empty(), "{who}: {:?}", outcome.refused);
            assert!(!outcome.wiped && !outcome.new_actor, "{who}, round {round}");
        }
    }

    // Each phone collects what the others sent through the other server.
    for server in &servers {
        for phone in [&mut m2, &mut m1, &mut m3] {
            phone.set_server(server);
            phone.sync().await.expect("collect");
        }
    }

    // The one note holds every edit of both writers, on every phone and both servers alike.
    let merged = notes(&m2, "h1")[0].1.clone();
    for round in 0..ROUNDS {
        assert!(merged.contains(&format!("m2:{round}.")), "{merged}");
        assert!(merged.contains(&format!("m1:{round}.")), "{merged}");
    }
    assert_eq!(notes(&m1, "h1"), notes(&m2, "h1"));
    assert_eq!(notes(&m1, "h1").len(), 1, "the shared note stays one note");
    for server in [&one, &two] {
        assert_eq!(notes_on(server, "h1").await, vec![merged.clone()]);
    }

    // m3's notes arrived once each, and read alike on the secretary's phone and both servers.
    m3_notes.sort();
    let mut on_m1: Vec<String> = notes(&m1, "h4").into_iter().map(|(_, t)| t).collect();
    on_m1.sort();
    assert_eq!(on_m1, m3_notes);
    for server in [&one, &two] {
        assert_eq!(notes_on(server, "h4").await, m3_notes);
    }

    // No change is in the log twice, and each has its own place in it.
    let (changes, distinct): (i64, i64) =
        sqlx::query_as("SELECT COUNT(*), COUNT(DISTINCT (doc_id, hash)) FROM changes")
            .fetch_one(&one.state.db.reader)
            .await
            .expect("count");
    assert_eq!(changes, distinct);

    // Every cursor is right on either server: a phone that holds everything is sent nothing
    // by the one it did not sync with last, and asked for no second round trip.
    for (i, phone) in [&mut m2, &mut m1, &mut m3].into_iter().enumerate() {
        for server in &servers {
            phone.set_server(server);
            let (before, cursor) = (phone.stats, phone.replica().cursor());
            let outcome = phone.sync().await.expect("steady sync");
            assert!(
                outcome.updated.is_empty(),
                "phone {i}: {:?}",
                outcome.updated
            );
            assert_eq!(phone.stats.round_trips - before.round_trips, 1, "phone {i}");
            assert_eq!(
                phone.replica().cursor(),
                cursor,
                "phone {i} through {server}"
            );
        }
    }
    one.stop().await;
    two.stop().await;
}
