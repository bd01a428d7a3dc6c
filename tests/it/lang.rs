//! The language of what the server says: errors in Vietnamese by default and in English for a
//! reader whose `Accept-Language` asks for it, with the same stable `error` code either way;
//! a phone's refused pushes in the language the phone sent.

use hosync_core::messages::{Lang, Message, Thing};

use crate::helpers::{Backend, STAFF_LOGIN, STAFF_PASSWORD, TestApp, session_cookies, spawn_app};
use crate::test_both_dbs;

/// What the server answers `method path` with `Accept-Language: lang` (none for `None`):
/// status, `error` and `message`.
async fn ask(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    lang: Option<&str>,
    cookie: Option<&str>,
    body: Option<serde_json::Value>,
) -> (u16, String, String) {
    // A client with no default headers, so that "no Accept-Language" is what is sent.
    let client = reqwest::Client::new();
    let mut request = client.request(method, format!("{}/api/v1{path}", app.base_url));
    if let Some(lang) = lang {
        request = request.header("accept-language", lang);
    }
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let bytes = response.bytes().await.expect("a body");
    let body: serde_json::Value = serde_json::from_slice(&bytes).expect("a JSON error");
    let field = |name: &str| body[name].as_str().unwrap_or_default().to_owned();
    (status, field("error"), field("message"))
}

async fn errors_speak_the_readers_language(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    let get = reqwest::Method::GET;
    let post = reqwest::Method::POST;

    // 401: not signed in.
    let vi = Message::NotSignedIn.render(Lang::Vi);
    let en = Message::NotSignedIn.render(Lang::En);
    for (lang, expected) in [
        (None, &vi),
        (Some("vi-VN,vi;q=0.9"), &vi),
        (Some("fr-FR, de"), &vi),
        (Some("en"), &en),
        (Some("en-US,en;q=0.9,vi;q=0.5"), &en),
    ] {
        let answer = ask(&app, get.clone(), "/overview", lang, None, None).await;
        assert_eq!(
            answer,
            (401, "unauthorized".to_owned(), expected.clone()),
            "{lang:?}"
        );
    }
    assert_eq!(vi, "Chưa đăng nhập: hãy đăng nhập trước");

    // 400: a sign-in without a password.
    let empty = serde_json::json!({"login": "", "password": ""});
    let said_vi = ask(
        &app,
        post.clone(),
        "/session",
        None,
        None,
        Some(empty.clone()),
    )
    .await;
    let said_en = ask(
        &app,
        post.clone(),
        "/session",
        Some("en"),
        None,
        Some(empty),
    )
    .await;
    assert_eq!(
        said_vi,
        (
            400,
            "bad_request".into(),
            "Hãy nhập cả tên đăng nhập và mật khẩu".into()
        )
    );
    assert_eq!(
        said_en,
        (
            400,
            "bad_request".into(),
            "enter both a login and a password".into()
        )
    );

    // 401 for a wrong password, 403 for a change without its CSRF token, 404 for what lies
    // outside the scope: each in the reader's language.
    let wrong = serde_json::json!({"login": STAFF_LOGIN, "password": "not-the-password"});
    app.staff_cookie().await;
    let (status, code, message) = ask(
        &app,
        post.clone(),
        "/session",
        Some("vi"),
        None,
        Some(wrong),
    )
    .await;
    assert_eq!((status, code.as_str()), (401, "unauthorized"));
    assert!(
        message.starts_with("Sai tên đăng nhập hoặc mật khẩu"),
        "{message}"
    );

    let response = app.sign_in(STAFF_LOGIN, STAFF_PASSWORD).await;
    let (cookie, _csrf) = session_cookies(&response);
    let body = serde_json::json!({"login": "lan"});
    for (lang, expected) in [
        (None, Message::BadCsrf.render(Lang::Vi)),
        (Some("en"), Message::BadCsrf.render(Lang::En)),
    ] {
        let answer = ask(
            &app,
            post.clone(),
            "/users/staff/disable",
            lang,
            Some(&cookie),
            Some(body.clone()),
        )
        .await;
        assert_eq!(answer, (403, "forbidden".to_owned(), expected), "{lang:?}");
    }
    let unseen = Message::Unseen(Thing::Household("nowhere".into()));
    for (lang, expected) in [
        (None, "Không có hộ nowhere trong phạm vi của bạn".to_owned()),
        (Some("en"), unseen.render(Lang::En)),
    ] {
        let answer = ask(
            &app,
            get.clone(),
            "/households/nowhere",
            lang,
            Some(&cookie),
            None,
        )
        .await;
        assert_eq!(answer, (404, "not_found".to_owned(), expected), "{lang:?}");
    }

    // An unknown route, answered by the router's fallback, speaks the reader's language too.
    let (status, code, message) = ask(&app, get.clone(), "/no-such-route", None, None, None).await;
    assert_eq!((status, code.as_str()), (404, "not_found"));
    assert!(message.starts_with("Không có đường dẫn API"), "{message}");
    app.stop().await;
}
test_both_dbs!(errors_speak_the_readers_language);

/// `GET path` as the signed-in staff account, reading `lang`: the answer's body.
async fn read_as(app: &TestApp, path: &str, lang: &str) -> String {
    let cookie = app.staff_cookie().await;
    let response = reqwest::Client::new()
        .get(format!("{}/api/v1{path}", app.base_url))
        .header("accept-language", lang)
        .header("cookie", cookie)
        .send()
        .await
        .expect("the server answers");
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.text().await.expect("a body")
}

fn has_vietnamese_letters(text: &str) -> bool {
    text.chars()
        .any(|c| "ăâđêôơưĂÂĐÊÔƠƯ".contains(c) || ('\u{1ea0}'..='\u{1ef9}').contains(&c))
}

/// What the server names (roles, tables, their columns, coded values) is in the reader's
/// language too, so the English dashboard shows no Vietnamese labels of the server's own.
async fn labels_speak_the_readers_language(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    let role = hosync_core::AccessRole::DistrictStaff;
    for lang in [Lang::Vi, Lang::En] {
        let session: serde_json::Value =
            serde_json::from_str(&read_as(&app, "/session", lang.code()).await).expect("JSON");
        assert_eq!(session["role_label"], role.label(lang), "{lang:?}");
    }

    let vi: serde_json::Value =
        serde_json::from_str(&read_as(&app, "/tables/flags", "vi").await).expect("JSON");
    let en: serde_json::Value =
        serde_json::from_str(&read_as(&app, "/tables/flags", "en").await).expect("JSON");
    assert_eq!(vi["title"], "Kiến nghị chưa giải quyết");
    assert_eq!(en["title"], "Open flags");
    let labels = |table: &serde_json::Value| -> Vec<String> {
        table["columns"]
            .as_array()
            .expect("columns")
            .iter()
            .map(|c| c["label"].as_str().expect("a label").to_owned())
            .collect()
    };
    assert!(
        labels(&vi).contains(&"Chủ hộ".to_owned()),
        "{:?}",
        labels(&vi)
    );
    assert!(
        labels(&en).contains(&"Head of household".to_owned()),
        "{:?}",
        labels(&en)
    );
    assert_eq!(labels(&vi).len(), labels(&en).len());
    for label in labels(&en) {
        assert!(!has_vietnamese_letters(&label), "{label:?}");
    }

    // Every table's title and headings, and a download's header row, follow the reader.
    for table in [
        "coverage",
        "gaps",
        "idle_members",
        "reports",
        "missing_reports",
        "ratings",
        "away",
        "households",
    ] {
        let en: serde_json::Value =
            serde_json::from_str(&read_as(&app, &format!("/tables/{table}"), "en").await)
                .expect("JSON");
        let title = en["title"].as_str().expect("a title");
        assert!(!has_vietnamese_letters(title), "{table}: {title:?}");
        for label in labels(&en) {
            assert!(!has_vietnamese_letters(&label), "{table}: {label:?}");
        }
    }
    let csv = read_as(&app, "/tables/flags?format=csv", "en").await;
    let header = csv.lines().next().unwrap_or_default();
    assert!(header.contains("Head of household"), "{header:?}");
    let csv = read_as(&app, "/tables/flags?format=csv", "vi").await;
    let header = csv.lines().next().unwrap_or_default();
    assert!(header.contains("Chủ hộ"), "{header:?}");
}
test_both_dbs!(labels_speak_the_readers_language);

/// A member's phone changes the cell's roster, which only the secretary may: the refusal comes
/// back in the language the phone sent, Vietnamese or English.
async fn refusals_speak_the_phones_language(backend: Backend) {
    use hosync_core::docs::cell;
    use hosync_core::{DocId, MemberStatus};

    let (app, _db) = spawn_app(backend).await;
    let cell_doc = DocId::parse("c:d-x1-c1").expect("id");
    for (lang, label) in [(Lang::Vi, "máy tiếng Việt"), (Lang::En, "English phone")] {
        let mut phone = app.phone(label, "m2").await.with_lang(lang);
        phone.sync().await.expect("first sync");
        let doc = phone
            .replica_mut()
            .doc_mut(&cell_doc)
            .expect("the cell's document");
        let member = cell::read(doc).expect("cell").members[0].id.clone();
        let status = MemberStatus::parse("working_away", "đi làm xa").expect("status");
        cell::set_member_status(
            doc,
            &member,
            &status,
            crate::helpers::today().noon_timestamp(),
        )
        .expect("status");
        let outcome = phone.sync().await.expect("sync");
        let reason = outcome
            .refused
            .iter()
            .find(|(d, _)| *d == cell_doc)
            .map(|(_, r)| r.clone())
            .unwrap_or_else(|| panic!("refused: {outcome:?}"));
        let expected = Message::MemberChangesCell {
            who: hosync_core::messages::Who::Member {
                id: "m2".into(),
                role: hosync_core::AccessRole::Member.labels(),
            },
        }
        .render(lang);
        assert_eq!(reason, expected, "{lang:?}");
    }
    app.stop().await;
}
test_both_dbs!(refusals_speak_the_phones_language);
