//! Bad input gets a clear error and changes nothing; a change that breaks validation is refused
//! for its document while the rest of the batch applies.

use automerge::legacy::{ObjectId, OpId};
use automerge::transaction::Transactable;
use automerge::{ReadDoc, Value};
use hosync_core::docs::household;
use hosync_core::protocol::{self, MAX_FRAME_BYTES};
use hosync_core::{MemberId, sync::DocSyncStatus};
use hosync_server::tools::phone::PhoneError;

use crate::helpers::{Backend, household_doc, spawn_app, today};
use crate::test_both_dbs;

fn expect_server_error(result: Result<Vec<u8>, PhoneError>, status: u16, code: &str) -> String {
    match result {
        Err(PhoneError::Server {
            status: s,
            error,
            message,
        }) => {
            assert_eq!((s, error.as_str()), (status, code), "{message}");
            message
        }
        other => panic!("expected {status} {code}, got {other:?}"),
    }
}

async fn bad_requests_are_refused_and_change_nothing(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    let mut phone = app.phone("phone-a", "m2").await;
    phone.sync().await.expect("bootstrap");
    let logged = app.logged_changes().await;

    let message = expect_server_error(
        phone.send(b"not a sync message".to_vec()).await,
        400,
        "bad_request",
    );
    assert!(message.contains("HSYN"), "{message}");

    let mut frame = protocol::encode_request(&phone.replica_mut().start_sync());
    frame[4] = 200;
    let message = expect_server_error(phone.send(frame).await, 426, "update_app");
    assert!(message.contains("update the app"), "{message}");

    let mut frame = protocol::encode_request(&phone.replica_mut().start_sync());
    frame.truncate(frame.len() - 2);
    frame.push(0xff);
    expect_server_error(phone.send(frame).await, 400, "bad_request");

    let response = app
        .http
        .post(format!("{}/api/v1/sync", app.base_url))
        .body(vec![0_u8; MAX_FRAME_BYTES + 1])
        .send()
        .await
        .expect("the server answers an oversized body");
    assert_eq!(response.status().as_u16(), 413);

    // A phone with a token the server never issued.
    let mut stranger = {
        let mut replica = hosync_core::sync::Replica::new(
            hosync_core::DeviceId::parse("phone-x").expect("id"),
            hosync_core::MemberId::parse("m2").expect("id"),
            hosync_core::docs::random_actor(),
        );
        replica.set_token(&"0".repeat(64));
        hosync_server::tools::phone::Phone::with_replica(&app.base_url, replica)
    };
    match stranger.sync().await {
        Err(PhoneError::Server {
            status: 401,
            message,
            ..
        }) => assert!(message.contains("not enrolled"), "{message}"),
        other => panic!("a phone that is not enrolled is refused: {other:?}"),
    }

    assert_eq!(
        app.logged_changes().await,
        logged,
        "no bad request stored anything"
    );
    assert_eq!(
        app.get_json("/healthz").await,
        serde_json::Value::Null,
        "healthz is plain text"
    );
    app.stop().await;
}

async fn an_invalid_change_is_refused_for_its_document_only(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    let mut phone = app.phone("phone-a", "m2").await;
    phone.sync().await.expect("bootstrap");
    let m2 = MemberId::parse("m2").expect("id");
    // A valid note on h1, and on h2 a change that breaks the rules, written around core's checks
    // as a buggy or hostile client would.
    household::add_note(
        phone
            .replica_mut()
            .doc_mut(&household_doc("h1"))
            .expect("h1"),
        &m2,
        today(),
        "Hợp lệ.",
        &[],
        1,
    )
    .expect("note");
    {
        let doc = phone
            .replica_mut()
            .doc_mut(&household_doc("h2"))
            .expect("h2")
            .automerge_mut();
        let profile = match doc.get(automerge::ROOT, "profile") {
            Ok(Some((Value::Object(_), id))) => id,
            other => panic!("profile: {other:?}"),
        };
        let mut tx = doc.transaction();
        tx.put(&profile, "people", 5000_i64).expect("put");
        tx.commit();
    }
    let logged = app.logged_changes().await;
    let outcome = phone.sync().await.expect("the batch is answered");
    assert_eq!(outcome.accepted.len(), 1, "{outcome:?}");
    assert_eq!(outcome.refused.len(), 1, "{outcome:?}");
    let (doc, reason) = &outcome.refused[0];
    assert_eq!(doc, &household_doc("h2"));
    assert!(
        reason.contains("h:h2") && reason.contains("profile.people"),
        "the reason names the document and field: {reason}"
    );
    assert_eq!(
        app.logged_changes().await,
        logged + 1,
        "only the valid note was stored"
    );
    assert!(matches!(
        phone.replica().status(&household_doc("h2")),
        Some(DocSyncStatus::Refused(_))
    ));
    assert_eq!(
        app.get_json("/api/v1/households/h2").await["people"],
        5,
        "the server kept the valid value"
    );
    let again = phone.replica_mut().start_sync();
    assert!(
        again.pushes.is_empty(),
        "the refused change is not resent on its own"
    );
    app.stop().await;
}

async fn malformed_changes_inside_a_valid_frame_are_refused(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    let mut phone = app.phone("phone-a", "m2").await;
    phone.sync().await.expect("bootstrap");
    let logged = app.logged_changes().await;
    let mut request = phone.replica_mut().start_sync();
    request.pushes.push(protocol::DocPush {
        doc: "h:h1".into(),
        changes: vec![vec![1, 2, 3]],
    });
    request.pushes.push(protocol::DocPush {
        doc: "not-a-doc".into(),
        changes: vec![],
    });
    request.pushes.push(protocol::DocPush {
        doc: "h:h9".into(),
        changes: vec![],
    });
    request.pushes.push(protocol::DocPush {
        doc: "h:unknown".into(),
        changes: vec![],
    });
    let answer = phone
        .send(protocol::encode_request(&request))
        .await
        .expect("answered");
    let answer = protocol::decode_response(&answer).expect("decodes");
    let reasons: Vec<String> = answer
        .results
        .iter()
        .map(|r| match &r.outcome {
            protocol::PushOutcome::Rejected { reason } => format!("{}: {reason}", r.doc),
            other => panic!("{} should be refused, got {other:?}", r.doc),
        })
        .collect();
    assert!(
        reasons[0].contains("not a valid Automerge change"),
        "{reasons:?}"
    );
    assert!(reasons[1].contains("not-a-doc"), "{reasons:?}");
    // Another cell's household and one that does not exist answer alike, naming no unit.
    assert_eq!(
        reasons[2].replace("h9", "?"),
        reasons[3].replace("unknown", "?"),
        "{reasons:?}"
    );
    assert!(
        reasons[2].contains("no such document within this phone's scope")
            && !reasons[2].contains("d-x1"),
        "{reasons:?}"
    );
    assert_eq!(app.logged_changes().await, logged);
    app.stop().await;
}

/// Changes an Automerge never makes, built from a phone's real note: each is refused for its
/// document with what is wrong (before Automerge sees it, which would panic on some), nothing
/// is logged, and the phone's honest note is stored at its next sync.
async fn forged_changes_are_refused_with_the_reason(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    let mut phone = app.phone("phone-a", "m2").await;
    phone.sync().await.expect("bootstrap");
    let m2 = MemberId::parse("m2").expect("id");
    let h1 = household_doc("h1");
    let heads = phone.replica().doc(&h1).expect("h1").heads();
    household::add_note(
        phone.replica_mut().doc_mut(&h1).expect("h1"),
        &m2,
        today(),
        "Ghi chú thật.",
        &[],
        1,
    )
    .expect("note");
    let real = phone
        .replica()
        .doc(&h1)
        .expect("h1")
        .automerge()
        .get_changes(&heads);
    assert_eq!(real.len(), 1);
    let stranger = automerge::ActorId::from(&[0x77_u8; 16][..]);
    let forge = |edit: &dyn Fn(&mut automerge::ExpandedChange)| {
        let mut expanded = real[0].decode();
        edit(&mut expanded);
        expanded.hash = None;
        automerge::Change::from(expanded).raw_bytes().to_vec()
    };
    let forged: Vec<(&str, Vec<u8>)> = vec![
        ("skips", forge(&|c| c.seq += 5)),
        (
            "dependencies end at",
            forge(&|c| c.start_op = std::num::NonZeroU64::new(c.start_op.get() + 40).expect("n")),
        ),
        (
            "names actor",
            forge(&|c| {
                let op = c.operations.last_mut().expect("an operation");
                op.obj = ObjectId::Id(OpId::new(3, &stranger));
            }),
        ),
        (
            "which no earlier change made",
            forge(&|c| {
                let op = c.operations.last_mut().expect("an operation");
                op.obj = ObjectId::Id(OpId::new(9_999, &c.actor_id.clone()));
            }),
        ),
    ];
    // The same bytes labelled as a bundle chunk, which Automerge's reader may take gigabytes
    // to refuse.
    let mut bundle_chunk = real[0].raw_bytes().to_vec();
    bundle_chunk[8] = 3;
    let forged = [forged, vec![("not an uncompressed change", bundle_chunk)]].concat();
    let logged = app.logged_changes().await;
    for (why, bytes) in &forged {
        let mut request = phone.replica_mut().start_sync();
        request.pushes = vec![protocol::DocPush {
            doc: "h:h1".into(),
            changes: vec![bytes.clone()],
        }];
        let answer = phone
            .send(protocol::encode_request(&request))
            .await
            .expect("a forged push is answered, not a server error");
        let answer = protocol::decode_response(&answer).expect("decodes");
        assert_eq!(answer.results[0].doc, "h:h1", "{why}");
        match &answer.results[0].outcome {
            protocol::PushOutcome::Rejected { reason } => {
                assert!(reason.contains(why), "{why}: {reason}")
            }
            other => panic!("{why}: refused, got {other:?}"),
        }
    }
    assert_eq!(
        app.logged_changes().await,
        logged,
        "nothing forged was stored"
    );
    let outcome = phone.sync().await.expect("the honest note syncs");
    assert_eq!(outcome.accepted, vec![h1], "{outcome:?}");
    assert_eq!(app.logged_changes().await, logged + 1);
    app.stop().await;
}

/// An API path no route serves, or a method a route does not take, answers in the API's JSON
/// naming what was asked, never with the app's page.
async fn unknown_api_routes_answer_in_json(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    for (method, path, status, said) in [
        (
            reqwest::Method::GET,
            "/api/v1/u{sers",
            404,
            "no API route GET /api/v1/u%7Bsers",
        ),
        (
            reqwest::Method::POST,
            "/api/v1/nothing/here",
            404,
            "no API route POST /api/v1/nothing/here",
        ),
        (
            reqwest::Method::DELETE,
            "/api/v1/overview",
            405,
            "/api/v1/overview does not take DELETE",
        ),
        // The API's own path with a slash after it (found by fuzzing).
        (
            reqwest::Method::GET,
            "/api/v1/",
            404,
            "no API route GET /api/v1/",
        ),
    ] {
        let response = app
            .http
            .request(method.clone(), format!("{}{path}", app.base_url))
            .send()
            .await
            .expect("answered");
        assert_eq!(response.status().as_u16(), status, "{method} {path}");
        let bytes = response.bytes().await.expect("a body");
        let body: protocol::ErrorBody = serde_json::from_slice(&bytes).expect("a JSON error body");
        assert!(
            body.message.contains(said),
            "{method} {path}: {}",
            body.message
        );
    }
    app.stop().await;
}

test_both_dbs!(bad_requests_are_refused_and_change_nothing);
test_both_dbs!(unknown_api_routes_answer_in_json);
test_both_dbs!(forged_changes_are_refused_with_the_reason);
test_both_dbs!(an_invalid_change_is_refused_for_its_document_only);
test_both_dbs!(malformed_changes_inside_a_valid_frame_are_refused);
