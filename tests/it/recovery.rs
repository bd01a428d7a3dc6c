//! A phone's keys and their recovery, end to end: enrolment hands out the three keys, a phone
//! enrolled before them asks for its own, and a phone whose PIN is forgotten gets its recovery
//! key once its cell secretary (or staff over it) approves, never when revoked or disabled.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    Backend, STAFF_LOGIN, STAFF_PASSWORD, TestApp, call, post, signed_in, spawn_app,
};
use crate::test_both_dbs;

/// A phone enrolled over HTTP for `holder`: the enrolment's JSON answer, keys and all.
async fn enrol(app: &TestApp, holder: &str, label: &str) -> Value {
    let code = app.enrolment_code(holder).await;
    let (status, body) = call(
        app,
        Method::POST,
        "/enrol",
        None,
        false,
        Some(json!({"code": code, "label": label})),
    )
    .await;
    assert_eq!(status, 200, "{holder} enrols: {body}");
    body
}

fn field<'a>(value: &'a Value, name: &str) -> &'a str {
    value[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} in {value}"))
}

/// A key as the phone reads it: 32 bytes of base64url without padding.
fn assert_key(value: &Value, name: &str) {
    let bytes = URL_SAFE_NO_PAD
        .decode(field(value, name))
        .unwrap_or_else(|e| panic!("{name} is base64url: {e}"));
    assert_eq!(bytes.len(), 32, "{name}");
}

/// `POST /api/v1/recovery`, with no token.
async fn ask(app: &TestApp, device: &str, secret: &str) -> (u16, Value) {
    call(
        app,
        Method::POST,
        "/recovery",
        None,
        false,
        Some(json!({"device": device, "recovery_secret": secret})),
    )
    .await
}

/// A request with a phone's device token.
async fn as_phone(app: &TestApp, method: Method, path: &str, token: &str) -> (u16, Value) {
    let response = app
        .http
        .request(method, format!("{}/api/v1{path}", app.base_url))
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    let bytes = response.bytes().await.expect("body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn approve_path(device: &str) -> String {
    format!("/phone/recoveries/{device}/approve")
}

async fn audit_actions(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar("SELECT action FROM audit_log ORDER BY seq")
        .fetch_all(&app.state.db.reader)
        .await
        .expect("audit log")
}

async fn enrolment_and_new_keys(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    let pua = enrol(&app, "m2", "Máy của Pủa").await;
    for name in ["device_secret", "recovery_key", "recovery_secret"] {
        assert_key(&pua, name);
    }
    assert_ne!(field(&pua, "recovery_key"), field(&pua, "recovery_secret"));
    let device = field(&pua, "device");

    // A wrong secret and an unknown device are refused alike.
    let wrong = ask(&app, device, "not-the-secret").await;
    let unknown = ask(&app, "dev-nosuchdevice", field(&pua, "recovery_secret")).await;
    assert_eq!(wrong.0, 401, "{}", wrong.1);
    assert_eq!(unknown.0, 401, "{}", unknown.1);
    assert_eq!(wrong.1["error"], "unauthorized");
    assert_eq!(wrong.1["message"], unknown.1["message"]);
    let (status, waiting) = ask(&app, device, field(&pua, "recovery_secret")).await;
    assert_eq!((status, waiting), (202, json!({"status": "waiting"})));

    // Fresh keys, by the phone's token, replace the old ones.
    let (status, keys) = as_phone(&app, Method::POST, "/phone/keys", field(&pua, "token")).await;
    assert_eq!(status, 200, "{keys}");
    for name in ["device_secret", "recovery_key", "recovery_secret"] {
        assert_key(&keys, name);
        assert_ne!(keys[name], pua[name], "{name} is new");
    }
    let (status, _) = ask(&app, device, field(&pua, "recovery_secret")).await;
    assert_eq!(status, 401, "the old recovery secret stops working");
    let (status, _) = ask(&app, device, field(&keys, "recovery_secret")).await;
    assert_eq!(status, 202, "the new one works");
    let (status, body) = as_phone(&app, Method::POST, "/phone/keys", "no-such-token").await;
    assert_eq!(status, 401, "{body}");
    let actions = audit_actions(&app).await;
    assert!(actions.contains(&"phone_keys".to_owned()), "{actions:?}");
}
test_both_dbs!(enrolment_and_new_keys);

async fn a_secretary_approves_and_the_phone_gets_its_key_once(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    let pua = enrol(&app, "m2", "Máy của Pủa").await;
    let (device, secret) = (field(&pua, "device"), field(&pua, "recovery_secret"));
    let secretary = enrol(&app, "m1", "Máy bí thư").await;
    let other_secretary = enrol(&app, "m9", "Máy bí thư c2").await;
    let may = enrol(&app, "m3", "Máy của Mây").await;
    let token = |phone: &Value| field(phone, "token").to_owned();

    let (status, list) = as_phone(&app, Method::GET, "/phone/recoveries", &token(&secretary)).await;
    assert_eq!((status, list), (200, json!([])));
    assert_eq!(ask(&app, device, secret).await.0, 202);
    assert_eq!(
        ask(&app, device, secret).await,
        (202, json!({"status": "waiting"}))
    );

    let (status, list) = as_phone(&app, Method::GET, "/phone/recoveries", &token(&secretary)).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(
        list,
        json!([{
            "device": device,
            "member": "m2",
            "member_name": "Giàng Seo Pủa",
            "label": "Máy của Pủa",
            "requested_at": app.state.now(),
        }]),
        "one request, however often the phone asks"
    );
    let (_, elsewhere) = as_phone(
        &app,
        Method::GET,
        "/phone/recoveries",
        &token(&other_secretary),
    )
    .await;
    assert_eq!(elsewhere, json!([]), "another cell's secretary sees none");

    // Only someone who may enrol the member's phone approves.
    for (who, phone) in [
        ("another cell's secretary", &other_secretary),
        ("a member", &may),
        ("the phone itself", &pua),
    ] {
        let (status, body) =
            as_phone(&app, Method::POST, &approve_path(device), &token(phone)).await;
        assert_eq!(status, 403, "{who}: {body}");
        assert_eq!(body["error"], "forbidden", "{who}");
    }
    assert_eq!(ask(&app, device, secret).await.0, 202, "still waiting");

    let (status, approved) = as_phone(
        &app,
        Method::POST,
        &approve_path(device),
        &token(&secretary),
    )
    .await;
    assert_eq!(status, 200, "{approved}");
    assert_eq!(
        approved,
        json!({"device": device, "approved_at": app.state.now()})
    );
    let (status, again) = as_phone(
        &app,
        Method::POST,
        &approve_path(device),
        &token(&secretary),
    )
    .await;
    assert_eq!(status, 404, "nothing left to approve: {again}");
    assert_eq!(again["error"], "not_found");
    let (status, _) = as_phone(
        &app,
        Method::POST,
        &approve_path("dev-nosuchdevice"),
        &token(&secretary),
    )
    .await;
    assert_eq!(status, 404);
    let (_, list) = as_phone(&app, Method::GET, "/phone/recoveries", &token(&secretary)).await;
    assert_eq!(list, json!([]));

    // The key enrolment gave, once; the next ask is a new request.
    let (status, released) = ask(&app, device, secret).await;
    assert_eq!(status, 200, "{released}");
    assert_eq!(
        released,
        json!({"status": "approved", "recovery_key": pua["recovery_key"]})
    );
    assert_eq!(
        ask(&app, device, secret).await,
        (202, json!({"status": "waiting"}))
    );
    let (_, list) = as_phone(&app, Method::GET, "/phone/recoveries", &token(&secretary)).await;
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");

    // Staff over the cell approve from the dashboard too.
    app.staff_cookie().await;
    let staff = signed_in(&app, STAFF_LOGIN, STAFF_PASSWORD).await;
    let (status, list) = crate::helpers::get(&app, "/recoveries", &staff).await;
    assert_eq!(
        (status, list[0]["device"].clone()),
        (200, json!(device)),
        "{list}"
    );
    let (status, approved) = post(
        &app,
        &format!("/recoveries/{device}/approve"),
        &staff,
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{approved}");
    assert_eq!(
        ask(&app, device, secret).await.1["recovery_key"],
        pua["recovery_key"]
    );

    let actions = audit_actions(&app).await;
    for action in ["recovery_request", "recovery_approve", "recovery_release"] {
        assert!(
            actions.iter().filter(|a| *a == action).count() >= 2,
            "{action} in {actions:?}"
        );
    }
}
test_both_dbs!(a_secretary_approves_and_the_phone_gets_its_key_once);

async fn a_revoked_or_disabled_phone_is_never_recovered(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    let pua = enrol(&app, "m2", "Máy của Pủa").await;
    let may = enrol(&app, "m3", "Máy của Mây").await;
    let secretary = enrol(&app, "m1", "Máy bí thư").await;
    let (device, secret) = (field(&pua, "device"), field(&pua, "recovery_secret"));
    assert_eq!(ask(&app, device, secret).await.0, 202);
    let (status, _) = as_phone(
        &app,
        Method::POST,
        &approve_path(device),
        field(&secretary, "token"),
    )
    .await;
    assert_eq!(status, 200);

    // Lost after approval: revoked, it never gets the key.
    app.staff_cookie().await;
    let staff = signed_in(&app, STAFF_LOGIN, STAFF_PASSWORD).await;
    let (status, body) = post(
        &app,
        &format!("/devices/{device}/revoke"),
        &staff,
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    for _ in 0..2 {
        let (status, body) = ask(&app, device, secret).await;
        assert_eq!(status, 403, "{body}");
        assert!(field(&body, "message").contains("revoked"), "{body}");
        assert!(body.get("recovery_key").is_none(), "{body}");
    }
    let (status, body) = as_phone(&app, Method::POST, "/phone/keys", field(&pua, "token")).await;
    assert_eq!(status, 403, "no new keys either: {body}");

    // A disabled member's phone: asking is refused, and so is approving.
    let (device, secret) = (field(&may, "device"), field(&may, "recovery_secret"));
    assert_eq!(ask(&app, device, secret).await.0, 202);
    let (status, body) = post(&app, "/members/m3/disable", &staff, json!({})).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = ask(&app, device, secret).await;
    assert_eq!(status, 403, "{body}");
    let (_, list) = as_phone(
        &app,
        Method::GET,
        "/phone/recoveries",
        field(&secretary, "token"),
    )
    .await;
    assert_eq!(list, json!([]), "nothing to approve for a disabled member");
    let (status, body) = as_phone(
        &app,
        Method::POST,
        &approve_path(device),
        field(&secretary, "token"),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let key = field(&may, "recovery_key");
    let leaked: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM recovery_requests WHERE used_at IS NOT NULL")
            .fetch_one(&app.state.db.reader)
            .await
            .expect("count");
    assert_eq!(leaked, 0, "no key {key} was handed out");
}
test_both_dbs!(a_revoked_or_disabled_phone_is_never_recovered);
