//! The organisation's life end to end: a household a secretary makes offline on the phone, one
//! closed, a member transferred to another cell and a household moved to another cell, with
//! what phones wrote offline before each kept.

use hosync_core::docs::household::{self, ProfileUpdate};
use hosync_core::{ClosedReason, DocId, HouseholdId, MemberId};

use crate::helpers::{
    Backend, STAFF_LOGIN, STAFF_PASSWORD, TestApp, get, household_doc, post, signed_in, spawn_app,
    today,
};
use crate::test_both_dbs;

fn member(id: &str) -> MemberId {
    MemberId::parse(id).expect("member id")
}

async fn staff(app: &TestApp) -> crate::helpers::Browser {
    app.staff_cookie().await;
    signed_in(app, STAFF_LOGIN, STAFF_PASSWORD).await
}

/// Households the cell looks after, as the staff summary counts them.
async fn looked_after(app: &TestApp, cell: &str) -> i64 {
    let browser = staff(app).await;
    let (status, cells) = get(app, "/summary", &browser).await;
    assert_eq!(status, 200, "{cells}");
    cells
        .as_array()
        .expect("a list")
        .iter()
        .find(|c| c["cell"] == cell)
        .and_then(|c| c["households"].as_i64())
        .unwrap_or_else(|| panic!("{cell} in {cells}"))
}

async fn note_texts(app: &TestApp, household: &str) -> Vec<String> {
    let browser = staff(app).await;
    let (status, detail) = get(app, &format!("/households/{household}"), &browser).await;
    assert_eq!(status, 200, "{detail}");
    detail["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .filter_map(|n| n["text"].as_str().map(str::to_owned))
        .collect()
}

async fn a_household_made_offline_joins_the_cell_and_closes(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    let now = today().noon_timestamp();
    let before = looked_after(&app, "d-x1-c1").await;

    let mut secretary = app.phone("bí thư", "m1").await;
    secretary.sync().await.expect("first sync");
    let new = DocId::Household(HouseholdId::random());
    let profile = ProfileUpdate {
        head: Some("Sùng A Tú".into()),
        village: Some("Thôn Nậm Mì".into()),
        people: Some(4),
        livelihood: Some("Trồng ngô".into()),
    };
    let doc = secretary.replica_mut().open(&new);
    household::create(doc, &profile, now).expect("a new household");
    household::add_note(doc, &member("m1"), today(), "Gia đình mới đến.", &[], now)
        .expect("a note");
    let outcome = secretary.sync().await.expect("sync");
    assert!(outcome.refused.is_empty(), "{:?}", outcome.refused);
    assert!(outcome.accepted.contains(&new), "{outcome:?}");
    assert_eq!(looked_after(&app, "d-x1-c1").await, before + 1);
    let DocId::Household(new_id) = &new else {
        unreachable!("made as a household")
    };
    assert_eq!(
        note_texts(&app, new_id.as_str()).await,
        ["Gia đình mới đến."]
    );

    // Another phone of the cell's secretaries receives it at its next sync.
    app.add_staff(
        "bt1",
        "mật khẩu bí thư 1",
        hosync_core::AccessRole::CellSecretary,
        "d-x1-c1",
    )
    .await;
    let mut other = app.phone("bí thư 2", "bt1").await;
    other.sync().await.expect("sync");
    assert!(
        other.replica().doc(&new).is_some(),
        "the new household reached the cell's phones"
    );

    // A member's phone may not make households; its attempt is refused, with the reason.
    let mut member_phone = app.phone("đảng viên", "m2").await;
    member_phone.sync().await.expect("first sync");
    let stray = DocId::Household(HouseholdId::random());
    household::create(member_phone.replica_mut().open(&stray), &profile, now).expect("local");
    let outcome = member_phone.sync().await.expect("sync");
    assert!(
        outcome.refused.iter().any(|(id, _)| id == &stray),
        "{outcome:?}"
    );
    assert_eq!(looked_after(&app, "d-x1-c1").await, before + 1);

    // Closed on the phone: kept with its notes, no longer counted.
    let h2 = household_doc("h2");
    household::close(
        secretary
            .replica_mut()
            .doc_mut(&h2)
            .expect("h2 on the phone"),
        ClosedReason::MovedAway,
        "Chuyển về Hà Giang",
        &member("m1"),
        today(),
        now,
    )
    .expect("close");
    let outcome = secretary.sync().await.expect("sync");
    assert!(outcome.refused.is_empty(), "{:?}", outcome.refused);
    assert_eq!(looked_after(&app, "d-x1-c1").await, before);
    let browser = staff(&app).await;
    let (_, detail) = get(&app, "/households/h2", &browser).await;
    assert_eq!(detail["closed"]["reason"], "moved_away", "{detail}");
    assert_eq!(detail["closed"]["detail"], "Chuyển về Hà Giang");
}
test_both_dbs!(a_household_made_offline_joins_the_cell_and_closes);

async fn a_transferred_member_keeps_what_they_wrote_offline(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    let now = today().noon_timestamp();
    let mut phone = app.phone("Mây", "m3").await;
    phone.sync().await.expect("first sync");
    let h4 = household_doc("h4");
    household::add_note(
        phone.replica_mut().doc_mut(&h4).expect("h4"),
        &member("m3"),
        today(),
        "Viết khi chưa có sóng.",
        &[],
        now,
    )
    .expect("note");

    let browser = staff(&app).await;
    let (status, body) = post(
        &app,
        "/org/members/m3/transfer",
        &browser,
        serde_json::json!({ "cell": "d-x1-c2" }),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    phone.sync().await.expect("sync after the transfer");
    // Sync until settled: the scope change may take a second round.
    phone.sync().await.expect("sync again");
    assert_eq!(note_texts(&app, "h4").await, ["Viết khi chưa có sóng."]);
    assert!(
        phone.replica().doc(&h4).is_none(),
        "h4 stays with the old cell"
    );
    let new_cell = DocId::parse("c:d-x1-c2").expect("id");
    let old_cell = DocId::parse("c:d-x1-c1").expect("id");
    assert!(
        phone.replica().doc(&new_cell).is_some(),
        "the new cell's document"
    );
    assert!(phone.replica().doc(&old_cell).is_none(), "not the old one");
}
test_both_dbs!(a_transferred_member_keeps_what_they_wrote_offline);

async fn a_moved_household_keeps_offline_edits_of_both_cells(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    let now = today().noon_timestamp();
    let h1 = household_doc("h1");
    let mut old_side = app.phone("Pủa", "m2").await;
    old_side.sync().await.expect("first sync");
    let mut new_side = app.phone("An", "m9").await;
    new_side.sync().await.expect("first sync");
    household::add_note(
        old_side.replica_mut().doc_mut(&h1).expect("h1"),
        &member("m2"),
        today(),
        "Thăm lần cuối trước khi chuyển.",
        &[],
        now,
    )
    .expect("note");

    let browser = staff(&app).await;
    let (status, body) = post(
        &app,
        "/org/households/h1/move",
        &browser,
        serde_json::json!({ "cell": "d-x1-c2" }),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    let outcome = old_side.sync().await.expect("sync after the move");
    assert!(outcome.refused.is_empty(), "{:?}", outcome.refused);
    old_side.sync().await.expect("sync again");
    assert!(
        old_side.replica().doc(&h1).is_none(),
        "h1 left the old cell's phone"
    );

    new_side.sync().await.expect("the new cell's phone syncs");
    let doc = new_side
        .replica_mut()
        .doc_mut(&h1)
        .expect("h1 reached the new cell");
    household::add_note(doc, &member("m9"), today(), "Chi bộ mới nhận hộ.", &[], now)
        .expect("note");
    let outcome = new_side.sync().await.expect("sync");
    assert!(outcome.refused.is_empty(), "{:?}", outcome.refused);
    let mut notes = note_texts(&app, "h1").await;
    notes.sort();
    assert!(
        notes.contains(&"Thăm lần cuối trước khi chuyển.".to_owned())
            && notes.contains(&"Chi bộ mới nhận hộ.".to_owned()),
        "{notes:?}"
    );
}
test_both_dbs!(a_moved_household_keeps_offline_edits_of_both_cells);

/// A real district from nothing: `init` on an empty database, a second `init` refused, then the
/// administrator builds the tree over the API, enrols a secretary's phone, and the phone holds
/// the cell's household.
async fn a_district_starts_from_nothing(backend: Backend) {
    use hosync_server::access::accounts::{Login, NewUser};
    use hosync_server::org::init::init;
    let db = crate::helpers::TestDb::new(backend).await;
    let store = hosync_server::Db::open(&db.url)
        .await
        .expect("an empty database");
    let top = hosync_core::OrgUnit::new(
        "hsp",
        None,
        hosync_core::UnitKind::District,
        "huyện",
        "Huyện Hoàng Su Phì",
    )
    .expect("unit");
    let admin = NewUser {
        login: Login::parse("quantri").expect("login"),
        name: "Quản trị huyện".into(),
        password: "mật khẩu quản trị huyện".into(),
        role: hosync_core::AccessRole::Admin,
        scope: top.id.clone(),
    };
    let now = today().noon_timestamp();
    init(&store, &top, &admin, now).await.expect("init");
    let again = init(&store, &top, &admin, now).await;
    assert!(
        matches!(&again, Err(hosync_server::org::changes::OrgError::Exists(m)) if m.to_string().contains("hosync init")),
        "{again:?}"
    );
    store.close().await;

    let app = TestApp::start(&db.url).await;
    let browser = signed_in(&app, "quantri", "mật khẩu quản trị huyện").await;
    // The forms offer what core codes, with the labels people read; the top unit's kinds are
    // made by init only.
    let (status, choices) = get(&app, "/org/choices", &browser).await;
    assert_eq!(status, 200, "{choices}");
    let pairs = |list: &str| -> Vec<(String, String)> {
        choices[list]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|c| {
                (
                    c["code"].as_str().unwrap_or_default().to_owned(),
                    c["label"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    };
    let kinds = pairs("unit_kinds");
    assert!(
        kinds.contains(&("commune".into(), "Commune committee".into())),
        "{kinds:?}"
    );
    assert!(
        kinds
            .iter()
            .all(|(code, _)| code != "district" && code != "province"),
        "{kinds:?}"
    );
    let roles = pairs("member_roles");
    assert!(
        roles.contains(&("secretary".into(), "Secretary".into())),
        "{roles:?}"
    );
    assert_eq!(roles.len(), hosync_core::Role::ALL.len(), "{roles:?}");
    for (body, what) in [
        (
            serde_json::json!({"id": "hsp-x1", "parent": "hsp", "kind": "commune", "level_label": "xã", "name": "Xã Nậm Dịch"}),
            "commune",
        ),
        (
            serde_json::json!({"id": "hsp-x1-c1", "parent": "hsp-x1", "kind": "cell", "level_label": "chi bộ thôn", "name": "Chi bộ thôn Nậm Mì"}),
            "cell",
        ),
    ] {
        let (status, answer) = post(&app, "/org/units", &browser, body).await;
        assert_eq!(status, 201, "{what}: {answer}");
    }
    let (status, answer) = post(
        &app,
        "/org/units",
        &browser,
        serde_json::json!({"id": "hsp-x9-c1", "parent": "hsp-x9", "kind": "cell", "level_label": "chi bộ", "name": "Chi bộ"}),
    )
    .await;
    assert_eq!(status, 404, "a parent that does not exist: {answer}");
    let (status, answer) = post(
        &app,
        "/org/members",
        &browser,
        serde_json::json!({"id": "hsp-m1", "cell": "hsp-x1-c1", "name": "Lò Thị Hoa", "role": "secretary"}),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    let (status, added) = post(
        &app,
        "/org/households",
        &browser,
        serde_json::json!({"cell": "hsp-x1-c1", "head": "Sùng A Páo", "village": "Thôn Nậm Mì", "people": 6, "livelihood": "Trồng chè"}),
    )
    .await;
    assert_eq!(status, 201, "{added}");
    let household = added["id"]
        .as_str()
        .expect("the new household's id")
        .to_owned();

    let (status, issued) = post(
        &app,
        "/enrolments",
        &browser,
        serde_json::json!({ "holder": "hsp-m1" }),
    )
    .await;
    assert_eq!(status, 200, "{}", issued["error"]);
    let code = issued["code"].as_str().expect("a code");
    let mut phone = hosync_server::tools::phone::Phone::enrol(&app.base_url, code, "Hoa")
        .await
        .expect("enrolment");
    phone.sync().await.expect("first sync");
    assert!(
        phone.replica().doc(&household_doc(&household)).is_some(),
        "the secretary's phone holds the cell's household"
    );
    let (status, cells) = get(&app, "/summary", &browser).await;
    assert_eq!(status, 200);
    assert_eq!(cells[0]["cell"], "hsp-x1-c1", "{cells}");
    assert_eq!(cells[0]["households"], 1, "{cells}");
    app.stop().await;
}
test_both_dbs!(a_district_starts_from_nothing);

/// Who may change the organisation, and where: every `/org` route for every role, inside its
/// scope and in another commune. A secretary changes households on the phone, not here; a
/// commune committee only within its commune; what lies outside the scope answers as unknown.
async fn organisation_changes_follow_role_and_scope(backend: Backend) {
    use hosync_core::AccessRole;
    let (app, _db) = spawn_app(backend).await;
    let accounts = [
        ("dvm2", AccessRole::Member, "d-x1-c1"),
        ("bt1", AccessRole::CellSecretary, "d-x1-c1"),
        ("xa1", AccessRole::CommuneCommittee, "d-x1"),
        ("huyen", AccessRole::DistrictStaff, "d"),
        ("quantri", AccessRole::Admin, "d"),
    ];
    for (login, role, scope) in accounts {
        app.add_staff(login, "mật khẩu đủ dài", role, scope).await;
    }
    // Each route tried at the fixture's own cell d-x1-c1 and at d-x2-c1, another commune.
    for (login, role, _) in accounts {
        let manages = matches!(
            role,
            AccessRole::CommuneCommittee | AccessRole::DistrictStaff | AccessRole::Admin
        );
        let whole_district = matches!(role, AccessRole::DistrictStaff | AccessRole::Admin);
        let browser = signed_in(&app, login, "mật khẩu đủ dài").await;
        for (cell, inside) in [("d-x1-c1", true), ("d-x2-c1", whole_district)] {
            let tries = [
                (
                    "/org/units".to_owned(),
                    serde_json::json!({"id": format!("{cell}-{login}"), "parent": cell.rsplit_once('-').map(|(p, _)| p).unwrap_or(cell), "kind": "cell", "level_label": "chi bộ", "name": "Chi bộ mới"}),
                ),
                (
                    "/org/members".to_owned(),
                    serde_json::json!({"id": format!("m-{login}-{cell}"), "cell": cell, "name": "Đảng viên mới"}),
                ),
                (
                    "/org/households".to_owned(),
                    serde_json::json!({"cell": cell, "head": "Chủ hộ mới", "village": "Thôn", "people": 3, "livelihood": ""}),
                ),
            ];
            for (path, body) in tries {
                let what = format!("{login} at {cell}: {path}");
                let answer = post(&app, &path, &browser, body).await;
                if manages && inside {
                    assert_eq!(answer.0, 201, "{what}: {}", answer.1);
                } else if manages {
                    crate::helpers::assert_unseen(&answer, &what);
                } else {
                    assert!(
                        answer.0 == 403 || answer.0 == 404,
                        "{what}: refused, {answer:?}"
                    );
                    assert!(
                        !answer.1["message"]
                            .as_str()
                            .unwrap_or_default()
                            .contains('/'),
                        "{what}: names no path: {answer:?}"
                    );
                }
            }
        }
        // Transfers and moves, into another commune: only for those over the whole district.
        let transfer = post(
            &app,
            "/org/households/h4/move",
            &browser,
            serde_json::json!({"cell": "d-x2-c1"}),
        )
        .await;
        let what = format!("{login}: move h4 into another commune");
        if whole_district {
            assert_eq!(transfer.0, 200, "{what}: {}", transfer.1);
            let back = post(
                &app,
                "/org/households/h4/move",
                &browser,
                serde_json::json!({"cell": "d-x1-c1"}),
            )
            .await;
            assert_eq!(back.0, 200, "{what}, and back: {}", back.1);
        } else {
            assert!(
                transfer.0 == 403 || transfer.0 == 404,
                "{what}: {transfer:?}"
            );
        }
    }
    // A secretary cannot transfer members, not even within the cell's commune.
    let bt1 = signed_in(&app, "bt1", "mật khẩu đủ dài").await;
    let (status, body) = post(
        &app,
        "/org/members/m3/transfer",
        &bt1,
        serde_json::json!({"cell": "d-x1-c2"}),
    )
    .await;
    assert!(status == 403 || status == 404, "{status} {body}");
}
test_both_dbs!(organisation_changes_follow_role_and_scope);
