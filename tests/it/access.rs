//! Identity and access end to end: the access matrix (every role × place × document kind ×
//! read/write, and the staff API), enrolment codes (their guessing throttled, their labels kept
//! plain), revocation and wipe, secrets kept only as hashes, and a household reassigned while
//! its member was offline.

use std::collections::BTreeSet;

use hosync_core::access::AccessRole;
use hosync_core::docs::{cell, household, report};
use hosync_core::{DocId, MemberId, MemberStatus, Rating};
use hosync_server::access::audit::{self, AuditFilter};
use hosync_server::access::devices;
use hosync_server::storage;
use hosync_server::tools::phone::{Phone, PhoneError};

use crate::helpers::{
    Backend, TestApp, TestDb, client_from, get, post, signed_in, spawn_app, stored_bytes, today,
};
use crate::test_both_dbs;

/// The places, seen from the fixture's cell d-x1-c1 (where m2 and m1 are, inside commune
/// d-x1): each with the household, cell document and report tried there.
const PLACES: [(&str, &str, &str, &str); 3] = [
    ("own cell", "h:h1", "c:d-x1-c1", "r:m2:2026-10"),
    ("sibling cell", "h:h9", "c:d-x1-c2", "r:m9:2026-10"),
    ("other commune", "h:h20", "c:d-x2-c1", "r:m20:2026-10"),
];

/// The expected answers, one row per role and whose phone plays it (a member id: a member's
/// phone; a login: a staff account's phone, which must get exactly its account's role and
/// scope), and one column per place (own cell, sibling cell, other commune, whole district).
/// Each column gives household, cell document, report and the staff API, each as read then
/// write: `R`/`W` allowed, `-` refused. "Whole district" means: reads every such document of
/// the district / every write there succeeds; for the staff API the district summary lists
/// every cell / may create an account scoped to the district. The staff API column is played by
/// the web account of the role.
const MATRIX: [(&str, &str, [&str; 4]); 7] = [
    //                            own cell       sibling cell   other commune  whole district
    (
        "member",
        "m2",
        ["RW R- R- --", "-- -- -- --", "-- -- -- --", "-- -- -- --"],
    ),
    // An account that plays a member without being one of the cell: nothing is assigned to it.
    (
        "member",
        "dvm2",
        ["-- R- -- --", "-- -- -- --", "-- -- -- --", "-- -- -- --"],
    ),
    (
        "cell_secretary",
        "m1",
        ["RW RW RW RW", "-- -- -- --", "-- -- -- --", "-- -- -- --"],
    ),
    (
        "cell_secretary",
        "bt1",
        ["RW RW RW RW", "-- -- -- --", "-- -- -- --", "-- -- -- --"],
    ),
    (
        "commune_committee",
        "xa1",
        ["R- R- RW RW", "R- R- RW RW", "-- -- -- --", "-- -- -- --"],
    ),
    (
        "district_staff",
        "huyen",
        ["R- R- R- RW", "R- R- R- RW", "R- R- R- RW", "R- R- R- RW"],
    ),
    (
        "admin",
        "quantri",
        ["R- R- R- RW", "R- R- R- RW", "R- R- R- RW", "R- R- R- RW"],
    ),
];

const KINDS: [&str; 4] = ["household", "cell document", "report", "staff API"];

/// Staff accounts of the matrix, made through the same code as `hosync user add`.
async fn add_staff(app: &TestApp) {
    for (login, role, scope) in [
        ("xa1", "commune_committee", "d-x1"),
        ("huyen", "district_staff", "d"),
        ("quantri", "admin", "d"),
        ("dvm2", "member", "d-x1-c1"),
        ("bt1", "cell_secretary", "d-x1-c1"),
    ] {
        app.add_staff(
            login,
            PASSWORD,
            AccessRole::parse(role).expect("role"),
            scope,
        )
        .await;
    }
}

/// The web account that plays a role on the staff API.
fn web_login(role: &str) -> &'static str {
    match role {
        "member" => "dvm2",
        "cell_secretary" => "bt1",
        "commune_committee" => "xa1",
        "district_staff" => "huyen",
        _ => "quantri",
    }
}

fn ids(phone: &Phone) -> BTreeSet<String> {
    phone.replica().docs().map(|d| d.id().to_string()).collect()
}

/// Makes the role's natural edit to a document on the phone (fetching the server's copy first
/// if the phone does not hold it, as a forged push would) and syncs: whether it was accepted.
async fn try_write(app: &TestApp, phone: &mut Phone, doc_id: &str) -> bool {
    let id = DocId::parse(doc_id).expect("id");
    if phone.replica().doc(&id).is_none() {
        let mut conn = app.state.db.reader.acquire().await.expect("conn");
        let mut server_copy = storage::load_doc(&mut conn, &id, &hosync_core::docs::random_actor())
            .await
            .expect("load")
            .expect("the document exists");
        phone
            .replica_mut()
            .open(&id)
            .merge(&mut server_copy)
            .expect("merge");
    }
    let author = phone.replica().member().clone();
    let now = today().noon_timestamp();
    let marker = format!("ghi bởi {author} vào {doc_id}");
    let doc = phone.replica_mut().doc_mut(&id).expect("held");
    match &id {
        DocId::Household(_) => {
            household::add_note(doc, &author, today(), &marker, &[], now).expect("note");
        }
        DocId::Cell(_) => {
            let member = cell::read(doc).expect("cell").members[0].id.clone();
            let status = MemberStatus::parse("working_away", &marker).expect("status");
            cell::set_member_status(doc, &member, &status, now).expect("status");
        }
        DocId::Report(..) => {
            report::rate(doc, Rating::Excellent, &marker, &author, today(), now).expect("rate");
        }
    }
    let outcome = phone.sync().await.expect("sync");
    let accepted = outcome.accepted.contains(&id);
    let refused = outcome.refused.iter().any(|(d, _)| *d == id);
    assert!(accepted != refused, "{doc_id}: {outcome:?}");
    // A refused write left nothing on the server.
    let mut conn = app.state.db.reader.acquire().await.expect("conn");
    let stored = storage::load_doc(&mut conn, &id, &hosync_core::docs::random_actor())
        .await
        .expect("load")
        .expect("exists");
    let on_server = format!("{:?}", stored.view().expect("valid"));
    assert_eq!(
        on_server.contains(&marker),
        accepted,
        "{doc_id}: the server holds the write exactly when it was accepted"
    );
    accepted
}

/// Every document of the district's fixture, by kind.
async fn all_docs(app: &TestApp) -> BTreeSet<String> {
    let rows = sqlx::query("SELECT doc_id FROM documents")
        .fetch_all(&app.state.db.reader)
        .await
        .expect("docs");
    rows.iter()
        .map(|r| sqlx::Row::try_get::<String, _>(r, 0).expect("id"))
        .collect()
}

fn kind_prefix(kind: usize) -> &'static str {
    ["h:", "c:", "r:"][kind]
}

/// Whether a staff API call succeeded.
fn succeeded((status, _): &(u16, serde_json::Value)) -> bool {
    (200..300).contains(status)
}

/// The staff API read of a place: a cell's households (or, for the whole district, whether the
/// summary lists every cell).
async fn api_read(app: &TestApp, login: &str, place: usize) -> bool {
    let browser = signed_in(app, login, PASSWORD).await;
    if place == 3 {
        let answer = get(app, "/summary?month=2026-11", &browser).await;
        if !succeeded(&answer) {
            return false;
        }
        let cells: BTreeSet<String> = answer
            .1
            .as_array()
            .expect("list")
            .iter()
            .map(|c| c["cell"].as_str().expect("cell").to_owned())
            .collect();
        return cells == BTreeSet::from(["d-x1-c1".into(), "d-x1-c2".into(), "d-x2-c1".into()]);
    }
    let cell = &PLACES[place].2[2..];
    let households = get(app, &format!("/cells/{cell}/households"), &browser).await;
    let detail = get(
        app,
        &format!("/households/{}", &PLACES[place].1[2..]),
        &browser,
    )
    .await;
    assert_eq!(
        succeeded(&households),
        succeeded(&detail),
        "{login}: a cell's list and its household agree"
    );
    succeeded(&households)
}

/// The staff API write of a place: an enrolment code for a member there (or, for the whole
/// district, a staff account scoped to it).
async fn api_write(app: &TestApp, login: &str, place: usize) -> bool {
    let browser = signed_in(app, login, PASSWORD).await;
    let answer = if place == 3 {
        let new_login = format!("moi-{login}");
        let account = serde_json::json!({
            "login": new_login, "name": "Cán bộ mới", "password": "mat-khau-du-dai-1",
            "role": "commune_committee", "scope": "d"
        });
        post(app, "/users", &browser, account).await
    } else {
        let member = ["m3", "m9", "m20"][place];
        post(
            app,
            "/enrolments",
            &browser,
            serde_json::json!({ "holder": member }),
        )
        .await
    };
    succeeded(&answer)
}

/// The access matrix: every role, at every place, reads and writes every kind of document and
/// the staff API; each answer is compared with the table, and no phone holds anything the table
/// does not allow.
async fn access_matrix(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    add_staff(&app).await;
    let everything = all_docs(&app).await;
    for (role, holder, row) in MATRIX {
        let role_of = |what: &str| format!("{role} ({holder}'s phone){what}");
        let mut phone = app.phone(&format!("matrix {role}"), holder).await;
        phone.sync().await.expect("first sync");
        let held = ids(&phone);
        let mut allowed_to_hold = BTreeSet::new();
        for (place, expected) in row.iter().enumerate() {
            let cells: Vec<&str> = expected.split(' ').collect();
            for (kind, pair) in cells.iter().enumerate() {
                let (read, write) = (pair.starts_with('R'), pair.ends_with('W'));
                let what = role_of(&format!(" at {}: {}", place_name(place), KINDS[kind]));
                if kind == 3 {
                    let login = web_login(role);
                    assert_eq!(api_read(&app, login, place).await, read, "{what}: read");
                    assert_eq!(api_write(&app, login, place).await, write, "{what}: write");
                    continue;
                }
                if place == 3 {
                    let of_kind: BTreeSet<&String> = everything
                        .iter()
                        .filter(|d| d.starts_with(kind_prefix(kind)))
                        .collect();
                    let holds_all = of_kind.iter().all(|d| held.contains(*d));
                    assert_eq!(holds_all, read, "{what}: read");
                    continue;
                }
                let doc = [PLACES[place].1, PLACES[place].2, PLACES[place].3][kind];
                assert_eq!(held.contains(doc), read, "{what}: read {doc}");
                if read {
                    allowed_to_hold.insert(doc.to_owned());
                }
            }
        }
        // Nothing beyond what the table allows: every document held lies in an allowed place.
        for doc in &held {
            let place = place_of(doc);
            let kind = ["h:", "c:", "r:"]
                .iter()
                .position(|p| doc.starts_with(p))
                .expect("kind");
            let pair = row[place].split(' ').nth(kind).expect("pair");
            assert!(
                pair.starts_with('R'),
                "{} holds {doc}, which the table does not allow",
                role_of("")
            );
            if holder == "m2" {
                assert!(
                    allowed_to_hold.contains(doc) || ["h:h2", "h:h3"].contains(&doc.as_str()),
                    "member m2 holds {doc}, which is neither assigned to them nor their own"
                );
            }
        }
        // Writes, with a fresh phone so refusals do not pile up on one.
        let mut writer = app.phone(&format!("matrix {role} writes"), holder).await;
        writer.sync().await.expect("first sync");
        let mut wrote_everywhere = [true; 3];
        for (place, expected) in row.iter().take(3).enumerate() {
            for (kind, pair) in expected.split(' ').take(3).enumerate() {
                let doc = [PLACES[place].1, PLACES[place].2, PLACES[place].3][kind];
                let accepted = try_write(&app, &mut writer, doc).await;
                assert_eq!(
                    accepted,
                    pair.ends_with('W'),
                    "{} at {}: write {doc}",
                    role_of(""),
                    place_name(place)
                );
                wrote_everywhere[kind] &= accepted;
            }
        }
        for (kind, pair) in row[3].split(' ').take(3).enumerate() {
            assert_eq!(
                wrote_everywhere[kind],
                pair.ends_with('W'),
                "{} in the whole district: write {}",
                role_of(""),
                KINDS[kind]
            );
        }
    }
    app.stop().await;
}
test_both_dbs!(access_matrix);

fn place_name(place: usize) -> &'static str {
    [
        "own cell",
        "sibling cell",
        "other commune",
        "whole district",
    ][place]
}

/// Which place of the matrix a fixture document lies in (seen from cell d-x1-c1).
fn place_of(doc: &str) -> usize {
    if doc.contains("d-x2") || doc.contains("h20") || doc.contains("m20") {
        2
    } else if doc.contains("d-x1-c2") || doc.ends_with("h9") || doc.contains(":m9:") {
        1
    } else {
        0
    }
}

/// A code works once and not after it expires; a revoked phone is told to wipe itself, and what
/// it pushed is kept for the secretary, not merged.
async fn enrolment_and_revocation(backend: Backend) {
    let (app, db) = spawn_app(backend).await;
    app.add_staff("bt1", PASSWORD, AccessRole::CellSecretary, "d-x1-c1")
        .await;
    let code = app.enrolment_code("m2").await;
    let mut phone = Phone::enrol(&app.base_url, &code, "Điện thoại của Pủa")
        .await
        .expect("enrols");
    match Phone::enrol(&app.base_url, &code, "again").await {
        Err(PhoneError::Server {
            status: 403,
            message,
            ..
        }) => assert!(message.contains("already used"), "{message}"),
        other => panic!("a code used twice is refused: {other:?}"),
    }
    let expired = {
        let mut tx = app.state.db.begin_write().await.expect("tx");
        let holder = devices::Holder::Member(MemberId::parse("m3").expect("id"));
        let code = devices::issue_code(
            &mut tx,
            &holder,
            &hosync_server::access::audit::Actor::Cli,
            app.state.now() - 73 * 3600,
            app.state.settings.enrolment_ttl,
        )
        .await
        .expect("code");
        tx.commit().await.expect("commit");
        code
    };
    match Phone::enrol(&app.base_url, &expired, "late").await {
        Err(PhoneError::Server {
            status: 403,
            message,
            ..
        }) => assert!(message.contains("expired"), "{message}"),
        other => panic!("a code past 72 hours is refused: {other:?}"),
    }
    match Phone::enrol(&app.base_url, "AAAAA-BBBBB", "guess").await {
        Err(PhoneError::Server { status: 403, .. }) => {}
        other => panic!("an unknown code is refused: {other:?}"),
    }

    let first = phone.sync().await.expect("sync");
    assert!(!first.wiped);
    assert!(
        phone
            .replica()
            .doc(&DocId::parse("h:h1").expect("id"))
            .is_some()
    );
    // The server tells the phone when to lock: 30 days away by default.
    let now = app.state.now();
    assert_eq!(phone.replica().lock_after(), 30 * hosync_server::DAY);
    assert!(!phone.replica().is_locked(now + 29 * hosync_server::DAY));
    assert!(phone.replica().is_locked(now + 31 * hosync_server::DAY));
    let mut conn = app.state.db.reader.acquire().await.expect("conn");
    let listed = devices::list(
        &mut conn,
        None,
        now + 31 * hosync_server::DAY,
        30 * hosync_server::DAY,
    )
    .await
    .expect("list");
    let this = listed
        .iter()
        .find(|d| d.id == phone.replica().device().as_str())
        .expect("the device is listed");
    assert!(this.locked && this.label == "Điện thoại của Pủa" && this.holder == "m2");
    drop(conn);
    let token = phone.replica().token().to_owned();
    // Neither the token nor the code is kept in clear.
    assert_not_stored(&app, &db, &[&token, &code]).await;

    // The phone is lost with an edit on it; the secretary revokes it.
    let h1 = DocId::parse("h:h1").expect("id");
    let doc = phone.replica_mut().doc_mut(&h1).expect("held");
    household::add_note(
        doc,
        &MemberId::parse("m2").expect("id"),
        today(),
        "Ghi chép trên máy bị mất",
        &[],
        today().noon_timestamp(),
    )
    .expect("note");
    let mut tx = app.state.db.begin_write().await.expect("tx");
    assert!(
        devices::revoke(
            &mut tx,
            phone.replica().device(),
            &hosync_server::access::audit::Actor::Cli,
            app.state.now()
        )
        .await
        .expect("revoke")
    );
    tx.commit().await.expect("commit");
    let outcome = phone.sync().await.expect("the revoked phone is answered");
    assert!(outcome.wiped, "{outcome:?}");
    assert_eq!(phone.replica().docs().count(), 0, "the phone holds nothing");
    assert!(phone.replica().token().is_empty(), "nor its token");
    let mut conn = app.state.db.reader.acquire().await.expect("conn");
    let stored = storage::load_doc(&mut conn, &h1, &hosync_core::docs::random_actor())
        .await
        .expect("load")
        .expect("h1");
    let merged = household::read(&stored).expect("valid");
    assert!(
        !merged.notes.iter().any(|n| n.text.contains("máy bị mất")),
        "a revoked phone's edit is not merged"
    );
    drop(conn);
    let browser = signed_in(&app, "bt1", PASSWORD).await;
    let (status, refusals) = get(&app, "/cells/d-x1-c1/refusals", &browser).await;
    assert_eq!(status, 200, "the secretary lists refusals");
    assert!(
        refusals.to_string().contains("revoked"),
        "the revoked phone's push is kept for review: {refusals}"
    );

    // Disabling a member wipes every phone of theirs at its next contact.
    let mut m3 = app.phone("Điện thoại của Mây", "m3").await;
    m3.sync().await.expect("sync");
    assert!(m3.replica().docs().count() > 0);
    sqlx::query("UPDATE members SET disabled_at = $1 WHERE id = 'm3'")
        .bind(app.state.now())
        .execute(&app.state.db.writer)
        .await
        .expect("disable");
    assert!(m3.sync().await.expect("answered").wiped);
    assert_eq!(m3.replica().docs().count(), 0);
    app.stop().await;
}
test_both_dbs!(enrolment_and_revocation);

/// `POST /api/v1/enrol` through `client`: the status, the JSON body and Retry-After.
async fn enrol_with(
    app: &TestApp,
    client: &reqwest::Client,
    code: &str,
    label: &str,
) -> (u16, serde_json::Value, Option<i64>) {
    let response = client
        .post(format!("{}/api/v1/enrol", app.base_url))
        .header("content-type", "application/json")
        .body(serde_json::json!({"code": code, "label": label}).to_string())
        .send()
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok()?.parse().ok());
    let body = response.bytes().await.expect("body");
    (
        status,
        serde_json::from_slice(&body).unwrap_or_default(),
        retry_after,
    )
}

/// Guessing enrolment codes is throttled per address, counted before the code is checked:
/// past the limit of wrong codes even a right one is paused from there, while another address
/// still enrols; reaching the limit is audited, naming the address.
async fn enrolment_guesses_are_throttled(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    let limit = app.state.settings.enrol_limit;
    let guesser = &app.http;
    for n in 0..limit.max {
        let (status, body, _) = enrol_with(&app, guesser, &format!("AAAAA-{n:05}"), "x").await;
        assert_eq!(status, 403, "{body}");
    }
    let code = app.enrolment_code("m2").await;
    let (status, body, retry_after) = enrol_with(&app, guesser, &code, "x").await;
    assert_eq!(status, 429, "paused even with a right code: {body}");
    assert_eq!(body["error"], "too_many_requests");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("enrolment") && m.contains("try again")),
        "{body}"
    );
    assert_eq!(retry_after, Some(limit.window));
    let (status, body, _) = enrol_with(&app, &client_from("127.0.0.2"), &code, "Máy của Pủa").await;
    assert_eq!(status, 200, "another address enrols: {body}");
    assert_eq!(body["member"], "m2");

    let pauses: Vec<(String, String, String)> = {
        let filter = AuditFilter::parse(&audit::AuditQuery {
            action: Some("enrol_paused".into()),
            ..Default::default()
        })
        .expect("filter");
        let mut conn = app.state.db.reader.acquire().await.expect("conn");
        audit::list(&mut conn, &filter, None)
            .await
            .expect("audit")
            .into_iter()
            .map(|e| (e.actor, e.target, e.detail))
            .collect()
    };
    assert_eq!(pauses.len(), 1, "{pauses:?}");
    let (actor, target, detail) = &pauses[0];
    assert_eq!(
        (actor.as_str(), target.as_str()),
        ("address:127.0.0.1", "127.0.0.1")
    );
    assert!(
        detail.starts_with("10 wrong enrolment codes within 15 min"),
        "{detail}"
    );

    // The pause ends with its window.
    let now = app.clock.load(std::sync::atomic::Ordering::SeqCst);
    app.clock
        .store(now + limit.window, std::sync::atomic::Ordering::SeqCst);
    let code = app.enrolment_code("m3").await;
    let (status, body, _) = enrol_with(&app, guesser, &code, "x").await;
    assert_eq!(status, 200, "{body}");
}
test_both_dbs!(enrolment_guesses_are_throttled);

/// A phone's label is bounded and plain: too long, or with control or text-direction
/// characters, it is refused with a message naming it, and nothing is stored.
async fn enrolment_labels_are_plain_text(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    let code = app.enrolment_code("m2").await;
    let huge = format!("\u{202e}{}\0", "Máy của Pủa ".repeat(2 * 1024 * 1024 / 14));
    let long = "a".repeat(devices::MAX_LABEL_CHARS + 1);
    for (label, says) in [
        (huge.as_str(), "label is too long"),
        (long.as_str(), "label is too long"),
        ("Máy \u{202e}aPủ", "label may not contain"),
        ("Máy\u{2066} của Pủa", "label may not contain"),
        ("Máy\0của Pủa", "label may not contain"),
        ("Máy\ncủa Pủa", "label may not contain"),
    ] {
        let (status, body, _) = enrol_with(&app, &app.http, &code, label).await;
        assert_eq!(status, 400, "{body}");
        assert!(
            body["message"].as_str().is_some_and(|m| m.contains(says)),
            "{says}: {body}"
        );
    }
    let devices: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM devices")
        .fetch_one(&app.state.db.reader)
        .await
        .expect("count");
    assert_eq!(devices, 0, "nothing stored");
    let enrolments: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'enrol'")
            .fetch_one(&app.state.db.reader)
            .await
            .expect("count");
    assert_eq!(enrolments, 0, "nothing audited");

    // The code still works, and the label is kept trimmed.
    let longest = format!("  {}  ", "ă".repeat(devices::MAX_LABEL_CHARS));
    let (status, body, _) = enrol_with(&app, &app.http, &code, &longest).await;
    assert_eq!(status, 200, "{body}");
    let label: String = sqlx::query_scalar("SELECT label FROM devices")
        .fetch_one(&app.state.db.reader)
        .await
        .expect("label");
    assert_eq!(label, "ă".repeat(devices::MAX_LABEL_CHARS));
}
test_both_dbs!(enrolment_labels_are_plain_text);

/// The secretary gives household h1 from m2 to m3 while m2's phone is offline with two notes on
/// it: one written before the move, kept; one after, refused and shown to the secretary, never
/// silently lost. m2's phone drops h1; m3's phone receives it whole.
async fn reassignment_while_offline(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    app.add_staff("bt1", PASSWORD, AccessRole::CellSecretary, "d-x1-c1")
        .await;
    let h1 = DocId::parse("h:h1").expect("id");
    let m2 = MemberId::parse("m2").expect("id");
    let m3_id = MemberId::parse("m3").expect("id");
    let mut pua = app.phone("Pủa", "m2").await;
    let mut may = app.phone("Mây", "m3").await;
    let mut secretary = app.phone("Bình", "m1").await;
    for phone in [&mut pua, &mut may, &mut secretary] {
        phone.sync().await.expect("sync");
    }
    assert!(may.replica().doc(&h1).is_none(), "h1 is not m3's yet");

    // The server learns of the move at noon (the test clock).
    let moved_at = today().noon_timestamp();
    let before = moved_at - 3600;
    let after = moved_at + 3600;
    let doc = pua.replica_mut().doc_mut(&h1).expect("held");
    household::add_note(doc, &m2, today(), "Thăm trước khi bàn giao", &[], before).expect("note");

    let cell_id = DocId::parse("c:d-x1-c1").expect("id");
    let cell_doc = secretary.replica_mut().doc_mut(&cell_id).expect("cell");
    cell::assign(
        cell_doc,
        &hosync_core::HouseholdId::parse("h1").expect("id"),
        Some(&m3_id),
        today(),
        &MemberId::parse("m1").expect("id"),
        moved_at,
    )
    .expect("assign");
    let outcome = secretary.sync().await.expect("sync");
    assert!(outcome.accepted.contains(&cell_id), "{outcome:?}");

    let doc = pua.replica_mut().doc_mut(&h1).expect("still held offline");
    household::add_note(doc, &m2, today(), "Ghi sau khi đã bàn giao", &[], after).expect("note");
    let outcome = pua.sync().await.expect("sync");
    let (_, reason) = outcome
        .refused
        .iter()
        .find(|(d, _)| *d == h1)
        .unwrap_or_else(|| panic!("the late note is refused: {outcome:?}"));
    assert!(
        reason.contains("not assigned") && reason.contains("kept"),
        "{reason}"
    );
    assert!(outcome.dropped.contains(&h1), "{outcome:?}");
    assert!(
        pua.replica().doc(&h1).is_none(),
        "m2's phone no longer holds h1"
    );

    let mut conn = app.state.db.reader.acquire().await.expect("conn");
    let stored = storage::load_doc(&mut conn, &h1, &hosync_core::docs::random_actor())
        .await
        .expect("load")
        .expect("h1");
    drop(conn);
    let texts: Vec<String> = household::read(&stored)
        .expect("valid")
        .notes
        .into_iter()
        .map(|n| n.text)
        .collect();
    assert!(
        texts.iter().any(|t| t == "Thăm trước khi bàn giao"),
        "{texts:?}"
    );
    assert!(
        !texts.iter().any(|t| t == "Ghi sau khi đã bàn giao"),
        "{texts:?}"
    );

    // The secretary sees the refused note, with its text.
    let browser = signed_in(&app, "bt1", PASSWORD).await;
    let (status, refusals) = get(&app, "/cells/d-x1-c1/refusals", &browser).await;
    assert_eq!(status, 200, "the secretary lists refusals");
    let listed = refusals.to_string();
    assert!(
        listed.contains("Ghi sau khi đã bàn giao") && listed.contains("h:h1"),
        "{listed}"
    );

    // m3's phone receives h1 whole, with the note written before the move.
    may.sync().await.expect("sync");
    let received = household::read(may.replica().doc(&h1).expect("h1 arrives")).expect("valid");
    assert!(
        received
            .notes
            .iter()
            .any(|n| n.text == "Thăm trước khi bàn giao")
    );
    app.stop().await;
}
test_both_dbs!(reassignment_while_offline);

const PASSWORD: &str = "mat-khau-thu-nghiem";

/// Asserts that none of `secrets` appears in clear in the database.
async fn assert_not_stored(app: &TestApp, db: &TestDb, secrets: &[&str]) {
    let stored = stored_bytes(
        app,
        db,
        &[
            "devices",
            "enrolment_codes",
            "sessions",
            "users",
            "audit_log",
        ],
    )
    .await;
    assert!(stored.len() > 100, "the database was read");
    for secret in secrets {
        assert!(
            !stored.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "a secret is stored in clear"
        );
    }
}

/// `hosync enrol`, `hosync device list` and `hosync device revoke` on a real database file (or
/// PostgreSQL database), as an operator runs them.
async fn the_command_line_enrols_and_revokes(backend: Backend) {
    use clap::Parser;
    let (app, db) = spawn_app(backend).await;
    let run = |args: Vec<String>| async move {
        hosync_server::cli::run(hosync_server::cli::Cli::parse_from(args)).await
    };
    let codes = || async {
        sqlx::Row::try_get::<i64, _>(
            &sqlx::query(
                "SELECT COUNT(*) FROM enrolment_codes WHERE member_id = 'm3' AND used_at IS NULL",
            )
            .fetch_one(&app.state.db.reader)
            .await
            .expect("count"),
            0,
        )
        .expect("count")
    };
    let before = codes().await;
    let args = |rest: &[&str]| {
        let mut all = vec!["hosync".to_owned()];
        all.extend(rest.iter().map(|s| (*s).to_owned()));
        all
    };
    run(args(&["enrol", "m3", "--database-url", &db.url]))
        .await
        .expect("hosync enrol");
    assert_eq!(codes().await, before + 1, "a code was issued");
    run(args(&["enrol", "nobody", "--database-url", &db.url]))
        .await
        .expect_err("no such member");

    let phone = app.phone("Mây", "m3").await;
    let device = phone.replica().device().to_string();
    run(args(&[
        "device",
        "--database-url",
        &db.url,
        "list",
        "--unit",
        "d-x1",
    ]))
    .await
    .expect("hosync device list");
    run(args(&[
        "device",
        "--database-url",
        &db.url,
        "revoke",
        &device,
    ]))
    .await
    .expect("hosync device revoke");
    run(args(&[
        "device",
        "--database-url",
        &db.url,
        "revoke",
        &device,
    ]))
    .await
    .expect_err("revoking twice says there is no active device");
    let mut phone = phone;
    assert!(phone.sync().await.expect("answered").wiped);
    let audit = sqlx::query("SELECT action FROM audit_log WHERE actor = 'cli' ORDER BY seq")
        .fetch_all(&app.state.db.reader)
        .await
        .expect("audit");
    let actions: Vec<String> = audit
        .iter()
        .map(|r| sqlx::Row::try_get(r, 0).expect("action"))
        .collect();
    assert!(
        actions.contains(&"enrol_code".to_owned()) && actions.contains(&"revoke".to_owned()),
        "{actions:?}"
    );
    app.stop().await;
}
test_both_dbs!(the_command_line_enrols_and_revokes);
