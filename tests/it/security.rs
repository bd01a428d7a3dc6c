//! Defects found by an attack from outside, each kept fixed: notes under another member's name,
//! an unscoped audit log, enrolment above one's own role, answers that told what exists outside
//! a scope, requests that held the writer or filled review lists, what a revoked phone leaves,
//! the command line's database flag, and a phone's data copied onto a second phone.

use automerge::ActorId;
use hosync_core::access::AccessRole;
use hosync_core::docs::{cell, household, report};
use hosync_core::protocol::{self, DocPush, PushOutcome};
use hosync_core::sync::Replica;
use hosync_core::{DocId, HouseholdId, MemberId, Rating};
use hosync_server::access::devices;
use hosync_server::storage;
use hosync_server::tools::phone::{Phone, PhoneError};

use crate::helpers::{Backend, TestApp, assert_unseen, get, post, signed_in, spawn_app, today};
use crate::test_both_dbs;

const PASSWORD: &str = "mat-khau-thu-nghiem";

fn member(id: &str) -> MemberId {
    MemberId::parse(id).expect("member id")
}

fn doc(id: &str) -> DocId {
    DocId::parse(id).expect("doc id")
}

/// The texts of a household's notes as the server holds them.
async fn stored_notes(app: &TestApp, household: &str) -> Vec<(String, String)> {
    let mut conn = app.state.db.reader.acquire().await.expect("conn");
    let stored = storage::load_doc(&mut conn, &doc(household), &ActorId::random())
        .await
        .expect("load")
        .expect("stored");
    household::read(&stored)
        .expect("valid")
        .notes
        .into_iter()
        .map(|n| (n.author.to_string(), n.text))
        .collect()
}

async fn refusals_of(app: &TestApp, phone: &Phone) -> i64 {
    let mut conn = app.state.db.reader.acquire().await.expect("conn");
    storage::refusals_of(&mut conn, phone.replica().device().as_str())
        .await
        .expect("count")
}

fn refusal_of<'a>(outcome: &'a hosync_core::sync::SyncOutcome, id: &DocId) -> &'a str {
    outcome
        .refused
        .iter()
        .find(|(d, _)| d == id)
        .map(|(_, reason)| reason.as_str())
        .unwrap_or_else(|| panic!("{id} is refused: {outcome:?}"))
}

/// A phone may not write in another member's name: a note, a flag, a rating or an assignment
/// that names someone other than the holder of the phone that made it is refused with the
/// reason, and nothing of it is stored. A phone may still deliver another's changes (a bundle
/// handed over at the cell meeting), which keep their maker's name.
async fn nobody_writes_in_another_members_name(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    let h4 = doc("h:h4");
    let now = today().noon_timestamp();

    // m3 looks after h4 and writes a note there signed by m2.
    let mut may = app.phone("Mây", "m3").await;
    may.sync().await.expect("sync");
    let held = may.replica_mut().doc_mut(&h4).expect("h4 is m3's");
    household::add_note(
        held,
        &member("m2"),
        today(),
        "Ghi dưới tên người khác",
        &[],
        now,
    )
    .expect("note");
    let outcome = may.sync().await.expect("sync");
    let reason = refusal_of(&outcome, &h4);
    assert!(
        reason.contains("author") && reason.contains("m2") && reason.contains("m3"),
        "{reason}"
    );
    assert!(
        !stored_notes(&app, "h:h4")
            .await
            .iter()
            .any(|(_, text)| text.contains("tên người khác"))
    );

    // The same with the member field of the phone's saved state changed: a replica that calls
    // itself m2 on m3's device and token.
    let mut forged = Replica::new(
        may.replica().device().clone(),
        member("m2"),
        ActorId::random(),
    );
    forged.set_token(may.replica().token());
    let mut forged = Phone::with_replica(&app.base_url, forged);
    forged.sync().await.expect("sync");
    let held = forged.replica_mut().doc_mut(&h4).expect("h4 comes down");
    household::add_note(held, &member("m2"), today(), "Giả danh Pủa", &[], now).expect("note");
    let outcome = forged.sync().await.expect("sync");
    assert!(refusal_of(&outcome, &h4).contains("m2"), "{outcome:?}");
    assert!(
        !stored_notes(&app, "h:h4")
            .await
            .iter()
            .any(|(_, text)| text.contains("Giả danh"))
    );

    // A flag raised in another's name, on m2's own household.
    let mut pua = app.phone("Pủa", "m2").await;
    pua.sync().await.expect("sync");
    let h1 = doc("h:h1");
    let held = pua.replica_mut().doc_mut(&h1).expect("h1");
    household::raise_flag(held, None, &member("m1"), today(), "Kiến nghị giả", now).expect("flag");
    let outcome = pua.sync().await.expect("sync");
    assert!(
        refusal_of(&outcome, &h1).contains("raised_by"),
        "{outcome:?}"
    );

    // A secretary rating a report in another secretary's name, and assigning in a member's.
    let mut binh = app.phone("Bình", "m1").await;
    binh.sync().await.expect("sync");
    let m2_report = doc("r:m2:2026-10");
    let held = binh.replica_mut().doc_mut(&m2_report).expect("report");
    report::rate(held, Rating::Good, "Tốt.", &member("m9"), today(), now).expect("rate");
    let c1 = doc("c:d-x1-c1");
    let held = binh.replica_mut().doc_mut(&c1).expect("cell");
    cell::assign(
        held,
        &HouseholdId::parse("h4").expect("id"),
        Some(&member("m2")),
        today(),
        &member("m3"),
        now,
    )
    .expect("assign");
    let outcome = binh.sync().await.expect("sync");
    assert!(
        refusal_of(&outcome, &m2_report).contains("rated_by"),
        "{outcome:?}"
    );
    assert!(
        refusal_of(&outcome, &c1).contains(".by names m3"),
        "{outcome:?}"
    );

    // Delivering another's work is not writing in their name: m2's note reaches the server
    // through the secretary's phone, signed by m2.
    let mut pua = app.phone("Pủa, máy mới", "m2").await;
    pua.sync().await.expect("sync");
    let held = pua.replica_mut().doc_mut(&doc("h:h2")).expect("h2");
    household::add_note(held, &member("m2"), today(), "Gửi nhờ qua bí thư", &[], now)
        .expect("note");
    let bundle = pua.replica().export_bundle();
    let mut binh = app.phone("Bình, máy mới", "m1").await;
    binh.sync().await.expect("sync");
    binh.replica_mut().import_bundle(&bundle).expect("import");
    let outcome = binh.sync().await.expect("sync");
    assert!(outcome.accepted.contains(&doc("h:h2")), "{outcome:?}");
    assert!(
        stored_notes(&app, "h:h2")
            .await
            .contains(&("m2".to_owned(), "Gửi nhờ qua bí thư".to_owned()))
    );
    let outcome = pua.sync().await.expect("sync");
    assert!(outcome.refused.is_empty(), "{outcome:?}");
    app.stop().await;
}
test_both_dbs!(nobody_writes_in_another_members_name);

/// The audit log is read within the reader's scope: accounts over one commune see what was done
/// there, not another commune's searches; accounts over the district see everything.
async fn the_audit_log_is_read_within_scope(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    for (login, role, scope) in [
        ("quantri-x1", AccessRole::Admin, "d-x1"),
        ("huyen-x1", AccessRole::DistrictStaff, "d-x1"),
        ("xa2", AccessRole::CommuneCommittee, "d-x2"),
        ("huyen", AccessRole::DistrictStaff, "d"),
    ] {
        app.add_staff(login, PASSWORD, role, scope).await;
    }
    let xa2 = signed_in(&app, "xa2", PASSWORD).await;
    assert_eq!(get(&app, "/search?q=sung%20thi%20do", &xa2).await.0, 200);
    assert_eq!(get(&app, "/households/h20", &xa2).await.0, 200);
    let huyen = signed_in(&app, "huyen", PASSWORD).await;
    assert_eq!(get(&app, "/households/h1", &huyen).await.0, 200);

    // An entry about no unit in particular belongs to the whole organisation.
    let mut conn = app.state.db.writer.acquire().await.expect("conn");
    hosync_server::access::audit::record(
        &mut conn,
        app.state.now(),
        &hosync_server::access::audit::Actor::Cli,
        hosync_server::access::audit::AuditAction::EnrolPaused,
        "the whole organisation",
        "",
        None,
    )
    .await
    .expect("record");
    drop(conn);
    let (status, whole) = get(&app, "/audit?limit=1000", &huyen).await;
    assert_eq!(status, 200);
    let whole = whole.to_string();
    assert!(
        whole.contains("sung thi do")
            && whole.contains("h20")
            && whole.contains("the whole organisation"),
        "{whole}"
    );
    for login in ["quantri-x1", "huyen-x1"] {
        let reader = signed_in(&app, login, PASSWORD).await;
        let (status, entries) = get(&app, "/audit?limit=1000", &reader).await;
        assert_eq!(status, 200, "{login}");
        let text = entries.to_string();
        assert!(
            text.contains("\"h1\""),
            "{login} sees reads in its commune: {text}"
        );
        assert!(
            !text.contains("sung thi do") && !text.contains("h20") && !text.contains("xa2"),
            "{login} sees nothing of the other commune: {text}"
        );
        assert!(
            !text.contains("the whole organisation"),
            "{login} does not see entries about no unit: {text}"
        );
    }
    // The unit filter narrows within the scope, never past it.
    let (_, narrowed) = get(&app, "/audit?unit=d-x2&limit=1000", &huyen).await;
    let narrowed = narrowed.to_string();
    assert!(
        narrowed.contains("h20") && !narrowed.contains("\"h1\""),
        "{narrowed}"
    );
    let reader = signed_in(&app, "huyen-x1", PASSWORD).await;
    // A unit past the scope answers as one that does not exist, as every other route does.
    let outside = get(&app, "/audit?unit=d-x2", &reader).await;
    crate::helpers::assert_unseen(&outside, "huyen-x1 reads d-x2's audit");
    app.stop().await;
}
test_both_dbs!(the_audit_log_is_read_within_scope);

/// Nobody issues a phone's code, revokes a phone or changes the role of an account above their
/// own role, even inside their scope; and an enrolment for someone unknown or outside the scope
/// is answered alike.
async fn nobody_acts_for_an_account_above_their_own_role(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    for (login, role, scope) in [
        ("huyen", AccessRole::DistrictStaff, "d"),
        ("quantri", AccessRole::Admin, "d"),
        ("quantri-c1", AccessRole::Admin, "d-x1-c1"),
        ("bt1", AccessRole::CellSecretary, "d-x1-c1"),
    ] {
        app.add_staff(login, PASSWORD, role, scope).await;
    }
    let huyen = signed_in(&app, "huyen", PASSWORD).await;
    let code = |holder: &str| serde_json::json!({ "holder": holder });
    let (status, body) = post(&app, "/enrolments", &huyen, code("quantri")).await;
    assert_eq!(status, 403, "district staff for an admin: {body}");
    assert!(body.to_string().contains("above their own"), "{body}");
    let bt1 = signed_in(&app, "bt1", PASSWORD).await;
    let (status, body) = post(&app, "/enrolments", &bt1, code("quantri-c1")).await;
    assert_eq!(
        status, 403,
        "a secretary for an admin of their cell: {body}"
    );
    let (status, _) = post(&app, "/enrolments", &bt1, code("m3")).await;
    assert_eq!(status, 200, "a secretary for a member of their cell");

    // An admin's phone is not district staff's to revoke.
    let admin_phone = app.phone("Máy quản trị", "quantri").await;
    let path = format!("/devices/{}/revoke", admin_phone.replica().device());
    let (status, body) = post(&app, &path, &huyen, serde_json::json!({})).await;
    assert_eq!(status, 403, "{body}");
    let quantri = signed_in(&app, "quantri", PASSWORD).await;
    let (status, _) = post(&app, &path, &quantri, serde_json::json!({})).await;
    assert_eq!(status, 200);

    // Outside the scope and unknown answer alike, naming no place.
    let outside = post(&app, "/enrolments", &bt1, code("m20")).await;
    assert_unseen(&outside, "a member of another commune");
    let unknown = post(&app, "/enrolments", &bt1, code("nobody")).await;
    assert_unseen(&unknown, "nobody at all");
    assert_eq!(
        outside.1["message"].as_str().map(|m| m.replace("m20", "?")),
        unknown.1["message"]
            .as_str()
            .map(|m| m.replace("nobody", "?")),
    );
    let missing = post(
        &app,
        "/devices/dev-nothere/revoke",
        &bt1,
        serde_json::json!({}),
    )
    .await;
    assert_unseen(&missing, "no such device");
    app.stop().await;
}
test_both_dbs!(nobody_acts_for_an_account_above_their_own_role);

/// A phone of a staff account gets exactly its account's role and scope: an account with the
/// role `member` holds its cell's document and nothing assigned to others, however its cell is
/// filled; one with the role of secretary holds the cell.
async fn a_staff_accounts_phone_reads_by_its_role(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    app.add_staff("dvm2", PASSWORD, AccessRole::Member, "d-x1-c1")
        .await;
    app.add_staff("bt1", PASSWORD, AccessRole::CellSecretary, "d-x1-c1")
        .await;
    let ids = |phone: &Phone| -> Vec<String> {
        let mut ids: Vec<String> = phone.replica().docs().map(|d| d.id().to_string()).collect();
        ids.sort();
        ids
    };
    let mut account = app.phone("Máy tài khoản đảng viên", "dvm2").await;
    account.sync().await.expect("sync");
    assert_eq!(ids(&account), ["c:d-x1-c1"]);
    let mut real = app.phone("Máy của Pủa", "m2").await;
    real.sync().await.expect("sync");
    assert_eq!(
        ids(&real),
        ["c:d-x1-c1", "h:h1", "h:h2", "h:h3", "r:m2:2026-10"]
    );
    let mut secretary = app.phone("Máy tài khoản bí thư", "bt1").await;
    secretary.sync().await.expect("sync");
    assert_eq!(ids(&secretary).len(), 8, "{:?}", ids(&secretary));
    app.stop().await;
}
test_both_dbs!(a_staff_accounts_phone_reads_by_its_role);

/// One request cannot hold the server: it names at most what a phone of its scope can hold,
/// pushes at most `MAX_PUSHES` documents, and pushes to documents the phone never had the right
/// to leave nothing in anyone's review list. What a member wrote before a household left them
/// is still kept (see `access::reassignment_while_offline`).
async fn one_request_cannot_hold_the_server_or_fill_review_lists(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    let mut pua = app.phone("Pủa", "m2").await;
    pua.sync().await.expect("sync");

    let mut request = pua.replica_mut().start_sync();
    request.holding = (0..500_000).map(|i| format!("h:x{i}")).collect();
    let answer = pua.send(protocol::encode_request(&request)).await;
    match answer {
        Err(PhoneError::Server {
            status: 400,
            message,
            ..
        }) => assert!(message.contains("at most"), "{message}"),
        other => panic!("a request naming 500,000 documents is refused: {other:?}"),
    }
    // A phone holding a few documents that left its scope is answered as always.
    let mut request = pua.replica_mut().start_sync();
    request
        .holding
        .extend((0..2_000).map(|i| format!("h:gone{i}")));
    pua.send(protocol::encode_request(&request))
        .await
        .expect("answered");

    let mut request = pua.replica_mut().start_sync();
    request.pushes = (0..=protocol::MAX_PUSHES)
        .map(|i| DocPush {
            doc: format!("h:h{}", 9 + i % 2 * 11),
            changes: vec![],
        })
        .collect();
    match pua.send(protocol::encode_request(&request)).await {
        Err(PhoneError::Server { status: 400, .. }) => {}
        other => panic!("too many pushes in one request are refused: {other:?}"),
    }

    // Pushes to other cells' households and to a report that is not theirs: refused, and
    // nothing lands in anyone's review list.
    let before = refusals_total(&app).await;
    let foreign = store_copy(&app, "h:h9").await;
    let mut change = foreign.clone();
    household::add_note(
        &mut change,
        &member("m2"),
        today(),
        "Vào hộ của chi bộ khác",
        &[],
        today().noon_timestamp(),
    )
    .expect("note");
    let pushed: Vec<Vec<u8>> = change
        .automerge()
        .get_changes(&foreign.heads())
        .iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect();
    let mut request = pua.replica_mut().start_sync();
    request.pushes = ["h:h9", "h:h20", "r:m3:2026-10", "c:d-x2-c1"]
        .iter()
        .map(|id| DocPush {
            doc: (*id).to_owned(),
            changes: pushed.clone(),
        })
        .collect();
    let answer = protocol::decode_response(
        &pua.send(protocol::encode_request(&request))
            .await
            .expect("answered"),
    )
    .expect("decodes");
    assert!(
        answer
            .results
            .iter()
            .all(|r| matches!(r.outcome, PushOutcome::Rejected { .. })),
        "{:?}",
        answer.results
    );
    assert_eq!(refusals_total(&app).await, before, "no review list grew");
    app.stop().await;
}
test_both_dbs!(one_request_cannot_hold_the_server_or_fill_review_lists);

async fn refusals_total(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM refusals")
        .fetch_one(&app.state.db.reader)
        .await
        .expect("count")
}

async fn store_copy(app: &TestApp, id: &str) -> hosync_core::Doc {
    let mut conn = app.state.db.reader.acquire().await.expect("conn");
    storage::load_doc(&mut conn, &doc(id), &ActorId::random())
        .await
        .expect("load")
        .expect("stored")
}

/// A phone leaves at most `max_refusals_per_device` refused edits for review; past it, a refusal
/// is answered but not kept, and the phone keeps the edit.
async fn review_lists_are_bounded_per_phone(backend: Backend) {
    let db = crate::helpers::TestDb::new(backend).await;
    let app = TestApp::start_with(
        &db.url,
        hosync_server::Settings {
            max_refusals_per_device: 2,
            ..hosync_server::Settings::default()
        },
    )
    .await;
    crate::helpers::seed_fixture(&app.state.db).await;
    let mut pua = app.phone("Pủa", "m2").await;
    pua.sync().await.expect("sync");
    let h1 = doc("h:h1");
    for round in 0..4 {
        let held = pua.replica_mut().doc_mut(&h1).expect("h1");
        let change = household::ProfileUpdate {
            head: Some(format!("Chủ hộ đổi lần {round}")),
            ..Default::default()
        };
        household::update_profile(held, &change, today().noon_timestamp() + round)
            .expect("profile");
        let outcome = pua.sync().await.expect("sync");
        let reason = refusal_of(&outcome, &h1);
        assert_eq!(
            reason.contains("not kept for review"),
            round >= 2,
            "{reason}"
        );
    }
    assert_eq!(refusals_of(&app, &pua).await, 2);
    assert!(
        !pua.replica().unsynced().is_empty(),
        "the phone keeps what was not kept"
    );
    app.stop().await;
}
test_both_dbs!(review_lists_are_bounded_per_phone);

/// A revoked phone's pushes: well-formed changes to documents its holder could write are kept
/// for review; random bytes and documents outside its holder's reach are not.
async fn a_revoked_phone_leaves_only_well_formed_changes(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    let mut pua = app.phone("Pủa", "m2").await;
    pua.sync().await.expect("sync");
    let h1 = doc("h:h1");
    let held = pua.replica_mut().doc_mut(&h1).expect("h1");
    household::add_note(
        held,
        &member("m2"),
        today(),
        "Trên máy bị mất",
        &[],
        today().noon_timestamp(),
    )
    .expect("note");
    let mut tx = app.state.db.begin_write().await.expect("tx");
    devices::revoke(
        &mut tx,
        pua.replica().device(),
        &hosync_server::access::audit::Actor::Cli,
        app.state.now(),
    )
    .await
    .expect("revoke");
    tx.commit().await.expect("commit");
    let mut request = pua.replica_mut().start_sync();
    request.pushes.push(DocPush {
        doc: "h:h2".into(),
        changes: vec![vec![0x5a; 64 * 1024]; 8],
    });
    request.pushes.push(DocPush {
        doc: "h:h20".into(),
        changes: request.pushes[0].changes.clone(),
    });
    let answer = protocol::decode_response(
        &pua.send(protocol::encode_request(&request))
            .await
            .expect("answered"),
    )
    .expect("decodes");
    assert!(answer.wipe);
    let kept: Vec<String> = sqlx::query_scalar("SELECT doc_id FROM refusals ORDER BY id")
        .fetch_all(&app.state.db.reader)
        .await
        .expect("refusals");
    assert_eq!(kept, ["h:h1"], "only the real note is kept");
    app.stop().await;
}
test_both_dbs!(a_revoked_phone_leaves_only_well_formed_changes);

/// A phone's data copied onto a second phone: both write under one actor. The copy is told so,
/// moves to a new actor with its notes made again under it, and both phones sync on with every
/// note kept.
async fn a_copied_phone_syncs_again_without_losing_notes(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    let mut first = app.phone("Pủa", "m2").await;
    first.sync().await.expect("sync");
    let copy = Replica::load(&first.replica().save()).expect("the saved phone loads");
    let mut copy = Phone::with_replica(&app.base_url, copy);
    let h1 = doc("h:h1");
    let now = today().noon_timestamp();
    for (phone, text) in [(&mut first, "Máy thứ nhất"), (&mut copy, "Máy sao chép")] {
        let held = phone.replica_mut().doc_mut(&h1).expect("h1");
        household::add_note(held, &member("m2"), today(), text, &[], now).expect("note");
    }
    first.sync().await.expect("sync");
    let outcome = copy.sync().await.expect("the copy syncs");
    assert!(outcome.new_actor, "{outcome:?}");
    assert!(copy.replica().unsynced().is_empty(), "{outcome:?}");
    first.sync().await.expect("sync");
    let texts: Vec<String> = stored_notes(&app, "h:h1")
        .await
        .into_iter()
        .map(|(_, text)| text)
        .collect();
    for text in ["Máy thứ nhất", "Máy sao chép"] {
        assert!(texts.iter().any(|t| t == text), "{texts:?}");
    }
    for phone in [&first, &copy] {
        let held = household::read(phone.replica().doc(&h1).expect("h1")).expect("valid");
        assert_eq!(held.notes.len(), texts.len());
    }
    app.stop().await;
}
test_both_dbs!(a_copied_phone_syncs_again_without_losing_notes);

/// `--database-url` works before or after any subcommand.
#[test]
fn the_database_flag_is_global() {
    use clap::Parser;
    for args in [
        &[
            "hosync",
            "device",
            "revoke",
            "dev-x",
            "--database-url",
            "sqlite://x.db",
        ][..],
        &[
            "hosync",
            "device",
            "--database-url",
            "sqlite://x.db",
            "list",
        ],
        &["hosync", "enrol", "m3", "--database-url", "sqlite://x.db"],
        &["hosync", "audit", "--database-url", "sqlite://x.db"],
        &["hosync", "user", "list", "--database-url", "sqlite://x.db"],
        &[
            "hosync",
            "seed",
            "--fresh",
            "--database-url",
            "sqlite://x.db",
        ],
        &["hosync", "--database-url", "sqlite://x.db", "serve"],
    ] {
        let cli = hosync_server::cli::Cli::try_parse_from(args)
            .unwrap_or_else(|e| panic!("{args:?}: {e}"));
        assert_eq!(
            cli.database_url.as_deref(),
            Some("sqlite://x.db"),
            "{args:?}"
        );
    }
}
