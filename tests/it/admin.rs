//! Administration from the dashboard, end to end: accounts (added, role changed, disabled and
//! enabled again, a password reset with a one-time code spent once), enrolment codes for a
//! cell's members without a phone and from a secretary's phone, the device list with app
//! version and last sync, revocation, the audit log's filters, who may do each, and the
//! command line's `hosync user enable` and `reset-password`.

use crate::helpers::{
    Backend, Browser, STAFF_LOGIN, STAFF_PASSWORD, TestApp, call, get, post, signed_in, spawn_app,
};
use crate::test_both_dbs;

const PASSWORD: &str = "mật khẩu đủ dài";

async fn staff(app: &TestApp) -> Browser {
    app.staff_cookie().await;
    signed_in(app, STAFF_LOGIN, STAFF_PASSWORD).await
}

async fn reset(app: &TestApp, login: &str, code: &str, password: &str) -> (u16, serde_json::Value) {
    call(
        app,
        reqwest::Method::POST,
        "/password-reset",
        None,
        false,
        Some(serde_json::json!({"login": login, "code": code, "password": password})),
    )
    .await
}

async fn an_account_lives_and_resets_its_password_once(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    app.add_staff("quantri", PASSWORD, hosync_core::AccessRole::Admin, "d")
        .await;
    let admin = signed_in(&app, "quantri", PASSWORD).await;
    let (status, added) = post(
        &app,
        "/users",
        &admin,
        serde_json::json!({"login": "lan", "name": "Hà Thị Lan", "password": "mật khẩu ban đầu", "role": "commune_committee", "scope": "d-x1"}),
    )
    .await;
    assert_eq!(status, 201, "{added}");
    let (status, changed) = post(
        &app,
        "/users/lan/role",
        &admin,
        serde_json::json!({"role": "commune_committee", "scope": "d-x2"}),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["scope"], "d-x2");

    // Disabled, the account cannot sign in; enabled again, it can.
    let (status, disabled) = post(&app, "/users/lan/disable", &admin, serde_json::json!({})).await;
    assert_eq!((status, disabled["disabled"].clone()), (200, true.into()));
    assert_eq!(app.sign_in("lan", "mật khẩu ban đầu").await.status(), 401);
    let (status, enabled) = post(&app, "/users/lan/enable", &admin, serde_json::json!({})).await;
    assert_eq!((status, enabled["disabled"].clone()), (200, false.into()));
    let lan = signed_in(&app, "lan", "mật khẩu ban đầu").await;

    // A reset code: the old password stops working, the new one works, the code is spent.
    let (status, issued) = post(&app, "/users/lan/reset-code", &admin, serde_json::json!({})).await;
    assert_eq!(status, 200, "{issued}");
    let code = issued["code"].as_str().expect("a code").to_owned();
    assert_eq!(reset(&app, "lan", &code, "ngắn").await.0, 400, "too short");
    let wrong_login = reset(&app, "quantri", &code, "mật khẩu mới của Lan").await;
    assert_eq!(wrong_login.0, 403, "{wrong_login:?}");
    let (status, body) = reset(&app, "lan", &code.to_lowercase(), "mật khẩu mới của Lan").await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(get(&app, "/session", &lan).await.0, 401, "old sessions end");
    assert_eq!(app.sign_in("lan", "mật khẩu ban đầu").await.status(), 401);
    signed_in(&app, "lan", "mật khẩu mới của Lan").await;
    let (status, again) = reset(&app, "lan", &code, "mật khẩu khác nữa").await;
    assert_eq!(status, 403, "{again}");
    assert!(
        again["message"]
            .as_str()
            .unwrap_or_default()
            .contains("already used"),
        "{again}"
    );
    // An expired code does nothing either.
    let (_, issued) = post(&app, "/users/lan/reset-code", &admin, serde_json::json!({})).await;
    let code = issued["code"].as_str().expect("a code").to_owned();
    app.clock.fetch_add(
        hosync_server::access::accounts::RESET_CODE_TTL + 1,
        std::sync::atomic::Ordering::SeqCst,
    );
    let (status, expired) = reset(&app, "lan", &code, "mật khẩu khác nữa").await;
    assert_eq!(status, 403, "{expired}");
    assert!(
        expired["message"]
            .as_str()
            .unwrap_or_default()
            .contains("expired"),
        "{expired}"
    );
    // Only the code's hash is stored.
    let stored: i64 = sqlx::Row::try_get(
        &sqlx::query("SELECT COUNT(*) FROM password_resets WHERE user_login = 'lan'")
            .fetch_one(&app.state.db.reader)
            .await
            .expect("count"),
        0,
    )
    .expect("count");
    assert_eq!(stored, 2);

    // Only admins change roles; district staff reset and disable within their reach.
    let staff = staff(&app).await;
    let (status, body) = post(
        &app,
        "/users/lan/role",
        &staff,
        serde_json::json!({"role": "commune_committee", "scope": "d-x1"}),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        post(&app, "/users/lan/reset-code", &staff, serde_json::json!({}))
            .await
            .0,
        200
    );
    assert_eq!(
        post(
            &app,
            "/users/quantri/reset-code",
            &staff,
            serde_json::json!({})
        )
        .await
        .0,
        403,
        "not for an account above their own role"
    );
}
test_both_dbs!(an_account_lives_and_resets_its_password_once);

/// The device list shows what each phone said at its last sync; a phone revoked from it is
/// told to wipe at its next sync and syncs no more.
async fn the_device_list_shows_versions_and_revokes(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    let staff = staff(&app).await;
    let mut phone = app.phone("Điện thoại của Pủa", "m2").await;
    let (_, before) = get(&app, "/devices?unit=d-x1-c1", &staff).await;
    let row = |list: &serde_json::Value| {
        list.as_array()
            .expect("a list")
            .iter()
            .find(|d| d["holder"] == "m2")
            .cloned()
            .unwrap_or_else(|| panic!("m2's phone in {list}"))
    };
    assert_eq!(row(&before)["last_sync_at"], serde_json::Value::Null);
    assert_eq!(row(&before)["app_version"], serde_json::Value::Null);
    assert!(!phone.sync().await.expect("synced").wiped);
    let (status, after) = get(&app, "/devices?unit=d-x1-c1", &staff).await;
    assert_eq!(status, 200, "{after}");
    let device = row(&after);
    assert_eq!(device["last_sync_at"], app.state.now());
    assert!(
        device["app_version"]
            .as_str()
            .is_some_and(|v| v.starts_with("cli-")),
        "{device}"
    );
    assert_eq!(device["label"], "Điện thoại của Pủa");
    // A version longer than any app's is refused, saying why.
    let bad = app
        .http
        .post(format!("{}/api/v1/sync", app.base_url))
        .header(hosync_server::sync::APP_VERSION_HEADER, "9".repeat(41))
        .body(Vec::<u8>::new())
        .send()
        .await
        .expect("answered");
    assert_eq!(bad.status().as_u16(), 400);
    let said = bad.text().await.expect("body");
    assert!(said.contains("x-hosync-app-version is too long"), "{said}");

    let id = device["id"].as_str().expect("an id");
    let (status, revoked) = post(
        &app,
        &format!("/devices/{id}/revoke"),
        &staff,
        serde_json::json!({}),
    )
    .await;
    assert_eq!(
        (status, revoked["revoked"].clone()),
        (200, true.into()),
        "{revoked}"
    );
    assert!(
        phone.sync().await.expect("answered").wiped,
        "revoked: wiped"
    );
    let (_, listed) = get(&app, "/devices?unit=d-x1-c1", &staff).await;
    assert!(row(&listed)["revoked_at"].is_i64(), "{listed}");
}
test_both_dbs!(the_device_list_shows_versions_and_revokes);

/// The audit page's filters: who, what, when and which unit, each narrowing what the reader's
/// scope holds.
async fn the_audit_log_filters_by_who_what_when_and_unit(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    use hosync_core::AccessRole::{Admin, CommuneCommittee};
    app.add_staff("quantri", PASSWORD, Admin, "d").await;
    app.add_staff("xa1", PASSWORD, CommuneCommittee, "d-x1")
        .await;
    app.add_staff("xa2", PASSWORD, CommuneCommittee, "d-x2")
        .await;
    let admin = signed_in(&app, "quantri", PASSWORD).await;
    for login in ["xa1", "xa2"] {
        let (status, body) = post(
            &app,
            &format!("/users/{login}/reset-code"),
            &admin,
            serde_json::json!({}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    let staff = staff(&app).await;
    let targets = |rows: &serde_json::Value| -> Vec<String> {
        rows.as_array()
            .expect("a list")
            .iter()
            .map(|r| {
                format!(
                    "{} {}",
                    r["action"].as_str().unwrap_or(""),
                    r["target"].as_str().unwrap_or("")
                )
            })
            .collect()
    };
    let (status, codes) = get(&app, "/audit?action=password_reset_code", &staff).await;
    assert_eq!(status, 200, "{codes}");
    assert_eq!(
        targets(&codes),
        ["password_reset_code xa1", "password_reset_code xa2"]
    );
    assert_eq!(codes[0]["action_label"], "Password reset code issued");
    assert_eq!(codes[0]["unit"], "d-x1");
    let (_, in_x2) = get(&app, "/audit?action=password_reset_code&unit=d-x2", &staff).await;
    assert_eq!(targets(&in_x2), ["password_reset_code xa2"]);
    let (_, by_admin) = get(&app, "/audit?actor=quantri", &staff).await;
    assert!(
        targets(&by_admin)
            .iter()
            .all(|t| !t.starts_with("sign_in staff"))
            && by_admin.as_array().map_or(0, Vec::len) == 3,
        "quantri signed in and issued two codes: {by_admin}"
    );
    let (_, today) = get(
        &app,
        &format!(
            "/audit?since={0}&until={0}&action=password_reset_code",
            crate::helpers::TODAY
        ),
        &staff,
    )
    .await;
    assert_eq!(targets(&today).len(), 2);
    let (_, tomorrow) = get(&app, "/audit?since=2026-11-21", &staff).await;
    assert_eq!(targets(&tomorrow), Vec::<String>::new());
    let (status, bad) = get(&app, "/audit?since=2026-11-22&until=2026-11-21", &staff).await;
    assert_eq!(status, 400, "{bad}");
    let (status, actions) = get(&app, "/audit/actions", &staff).await;
    assert_eq!(status, 200);
    assert!(
        actions
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x["code"] == "password_reset"))
    );
    // A commune committee reads no audit log.
    let xa1 = signed_in(&app, "xa1", PASSWORD).await;
    assert_eq!(get(&app, "/audit", &xa1).await.0, 403);
}
test_both_dbs!(the_audit_log_filters_by_who_what_when_and_unit);

/// The enrolment sheet of a cell: codes for the members with no phone yet, each of which
/// enrols a phone; a secretary's phone issues codes for its own cell's members only; a commune
/// committee enrols in its commune only.
async fn enrolment_codes_for_a_cell_and_from_the_secretarys_phone(backend: Backend) {
    use hosync_core::AccessRole::CommuneCommittee;
    let (app, _db) = spawn_app(backend).await;
    app.add_staff("xa1", PASSWORD, CommuneCommittee, "d-x1")
        .await;
    app.add_staff("xa2", PASSWORD, CommuneCommittee, "d-x2")
        .await;
    let mut pua = app.phone("Máy của Pủa", "m2").await;
    pua.sync().await.expect("m2 syncs");
    let xa1 = signed_in(&app, "xa1", PASSWORD).await;
    let (status, sheet) = post(
        &app,
        "/enrolments/cell",
        &xa1,
        serde_json::json!({"cell": "d-x1-c1"}),
    )
    .await;
    assert_eq!(status, 200, "{sheet}");
    let members: Vec<&str> = sheet["codes"]
        .as_array()
        .expect("codes")
        .iter()
        .filter_map(|c| c["member"].as_str())
        .collect();
    assert_eq!(members, ["m1", "m3"], "m2 has a phone: {sheet}");
    assert_eq!(sheet["enrolled"][0]["member"], "m2");
    assert_eq!(sheet["cell"]["name"], "Chi bộ thôn Nậm Mì");
    assert_eq!(sheet["cell"]["id"], "d-x1-c1");
    let code_of = |m: &str| {
        sheet["codes"]
            .as_array()
            .expect("codes")
            .iter()
            .find(|c| c["member"] == m)
            .and_then(|c| c["code"].as_str())
            .expect("a code")
            .to_owned()
    };
    let mut secretary =
        hosync_server::tools::phone::Phone::enrol(&app.base_url, &code_of("m1"), "Máy bí thư")
            .await
            .expect("m1 enrols with the sheet's code");
    secretary.sync().await.expect("m1 syncs");
    // Another commune's committee sees no such cell.
    let xa2 = signed_in(&app, "xa2", PASSWORD).await;
    let refused = post(
        &app,
        "/enrolments/cell",
        &xa2,
        serde_json::json!({"cell": "d-x1-c1"}),
    )
    .await;
    crate::helpers::assert_unseen(&refused, "xa2 enrols in d-x1");
    let refused = post(
        &app,
        "/enrolments",
        &xa2,
        serde_json::json!({"holder": "m3"}),
    )
    .await;
    crate::helpers::assert_unseen(&refused, "xa2 enrols m3");

    // From the secretary's phone: a code for m3 of their cell, which enrols m3's phone.
    let from_phone = |phone: &hosync_server::tools::phone::Phone, member: &str| {
        app.http
            .post(format!("{}/api/v1/phone/enrolments", app.base_url))
            .header(
                "authorization",
                format!("Bearer {}", phone.replica().token()),
            )
            .header("content-type", "application/json")
            .body(serde_json::json!({"member": member}).to_string())
            .send()
    };
    let answer = from_phone(&secretary, "m3").await.expect("answered");
    assert_eq!(answer.status().as_u16(), 200);
    let issued: serde_json::Value =
        serde_json::from_slice(&answer.bytes().await.expect("body")).expect("json");
    assert!(
        issued["qr_svg"]
            .as_str()
            .is_some_and(|s| s.contains("<svg"))
    );
    let mut may = hosync_server::tools::phone::Phone::enrol(
        &app.base_url,
        issued["code"].as_str().expect("code"),
        "Máy của Mây",
    )
    .await
    .expect("m3 enrols");
    may.sync().await.expect("m3 syncs");
    // Not for another commune's member, nor from a member's phone.
    let other = from_phone(&secretary, "m20").await.expect("answered");
    assert_eq!(other.status().as_u16(), 404);
    let member = from_phone(&pua, "m3").await.expect("answered");
    assert_eq!(member.status().as_u16(), 403);
    let anonymous = app
        .http
        .post(format!("{}/api/v1/phone/enrolments", app.base_url))
        .header("content-type", "application/json")
        .body(serde_json::json!({"member": "m3"}).to_string())
        .send()
        .await
        .expect("answered");
    assert_eq!(anonymous.status().as_u16(), 401);
    // Every member has a phone now: the next sheet has no codes.
    let (_, sheet) = post(
        &app,
        "/enrolments/cell",
        &xa1,
        serde_json::json!({"cell": "d-x1-c1"}),
    )
    .await;
    assert_eq!(sheet["codes"].as_array().map(Vec::len), Some(0), "{sheet}");
}
test_both_dbs!(enrolment_codes_for_a_cell_and_from_the_secretarys_phone);

/// Every administration route for every role, on something inside its scope and something in
/// another commune: inside, core's rule decides (2xx or 403); outside, a role that could do it
/// there gets the unknown's 404, and no refusal names a path.
async fn administration_follows_role_and_scope(backend: Backend) {
    use hosync_core::AccessRole::{self, *};
    let (app, _db) = spawn_app(backend).await;
    let accounts: [(&str, AccessRole, &str); 7] = [
        ("dvm2", Member, "d-x1-c1"),
        ("bt1", CellSecretary, "d-x1-c1"),
        ("xa1", CommuneCommittee, "d-x1"),
        ("huyenx1", DistrictStaff, "d-x1"),
        ("qtx1", Admin, "d-x1"),
        ("huyen", DistrictStaff, "d"),
        ("quantri", Admin, "d"),
    ];
    for (login, role, scope) in accounts {
        app.add_staff(login, PASSWORD, role, scope).await;
    }
    // The accounts acted on, one in each commune.
    app.add_staff("t-x1", PASSWORD, Member, "d-x1-c1").await;
    app.add_staff("t-x2", PASSWORD, Member, "d-x2-c1").await;
    let manages_accounts = |r: AccessRole| matches!(r, DistrictStaff | Admin);
    for (login, role, scope) in accounts {
        let browser = signed_in(&app, login, PASSWORD).await;
        for (account, cell, commune) in [("t-x1", "d-x1-c1", "d-x1"), ("t-x2", "d-x2-c1", "d-x2")] {
            let inside = scope == "d" || cell.starts_with(scope);
            let post_ = |path: String, body: serde_json::Value| {
                let browser = browser.clone();
                let app = &app;
                async move { post(app, &path, &browser, body).await }
            };
            let tries: Vec<(String, bool, (u16, serde_json::Value))> = vec![
                (
                    format!("reset-code {account}"),
                    manages_accounts(role),
                    post_(
                        format!("/users/{account}/reset-code"),
                        serde_json::json!({}),
                    )
                    .await,
                ),
                (
                    format!("enable {account}"),
                    manages_accounts(role),
                    post_(format!("/users/{account}/enable"), serde_json::json!({})).await,
                ),
                (
                    format!("role of {account}"),
                    role == Admin,
                    post_(
                        format!("/users/{account}/role"),
                        serde_json::json!({"role": "member"}),
                    )
                    .await,
                ),
                (
                    format!("enrolment sheet of {cell}"),
                    role != Member,
                    post_("/enrolments/cell".into(), serde_json::json!({"cell": cell})).await,
                ),
                (
                    format!("devices of {cell}"),
                    role != Member,
                    get(&app, &format!("/devices?unit={cell}"), &browser).await,
                ),
                (
                    format!("audit of {commune}"),
                    manages_accounts(role),
                    get(&app, &format!("/audit?unit={commune}"), &browser).await,
                ),
            ];
            for (what, allowed, answer) in tries {
                let what = format!("{login} ({}): {what}", role.code());
                if !inside && allowed {
                    crate::helpers::assert_unseen(&answer, &what);
                } else if allowed {
                    assert!((200..300).contains(&answer.0), "{what}: {answer:?}");
                } else {
                    // A role that may never do it may be told so, or not shown the thing at all.
                    assert!(
                        answer.0 == 403 || (!inside && answer.0 == 404),
                        "{what}: {answer:?}"
                    );
                    let said = answer.1["message"].as_str().unwrap_or_default();
                    assert!(!said.contains('/'), "{what}: names no path: {said}");
                }
            }
        }
        // What the session lists is what core allows, and what the dashboard offers.
        let (_, session) = get(&app, "/session", &browser).await;
        let listed = session["actions"]
            .as_array()
            .map(Vec::len)
            .unwrap_or_default();
        assert_eq!(listed > 0, role != Member, "{login}: {session}");
        let changes_roles = session["actions"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x == "change_roles"));
        assert_eq!(changes_roles, role == Admin, "{login}: {session}");
    }
}
test_both_dbs!(administration_follows_role_and_scope);

/// The command line does the same on the server: `hosync user disable`, `enable` and
/// `reset-password`, whose code the person spends on the dashboard's page.
async fn the_command_line_enables_and_gives_reset_codes(backend: Backend) {
    use hosync_server::cli::admin::{UserAction, UserArgs, user};
    let (app, db) = spawn_app(backend).await;
    app.add_staff(
        "lan",
        PASSWORD,
        hosync_core::AccessRole::CommuneCommittee,
        "d-x1",
    )
    .await;
    let run = |action: UserAction| {
        let url = db.url.clone();
        async move {
            let mut out = Vec::new();
            user(&url, UserArgs { action }, || Ok(String::new()), &mut out)
                .await
                .expect("the command runs");
            String::from_utf8(out).expect("text")
        }
    };
    let said = run(UserAction::Disable {
        login_or_member: "lan".into(),
    })
    .await;
    assert!(said.contains("Disabled account lan"), "{said}");
    assert_eq!(app.sign_in("lan", PASSWORD).await.status(), 401);
    let said = run(UserAction::Enable {
        login_or_member: "lan".into(),
    })
    .await;
    assert!(said.contains("Enabled account lan"), "{said}");
    signed_in(&app, "lan", PASSWORD).await;
    let said = run(UserAction::Enable {
        login_or_member: "m3".into(),
    })
    .await;
    assert!(said.contains("Member m3 was not disabled"), "{said}");
    let said = run(UserAction::ResetPassword {
        login: "lan".into(),
    })
    .await;
    let code = said
        .split_whitespace()
        .find(|w| w.len() == 11 && w.as_bytes()[5] == b'-')
        .unwrap_or_else(|| panic!("a code in {said}"))
        .to_owned();
    assert_eq!(
        reset(&app, "lan", &code, "mật khẩu từ dòng lệnh").await.0,
        204
    );
    signed_in(&app, "lan", "mật khẩu từ dòng lệnh").await;
}
test_both_dbs!(the_command_line_enables_and_gives_reset_codes);
