//! Security headers on every answer, API and app alike: the content security policy, nosniff,
//! no referrer, HSTS only behind TLS, and no caching of API answers, which hold personal data,
//! while the app's files keep their own caching.

use reqwest::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};

use crate::helpers::{Backend, TestApp, TestDb, seed_fixture};
use crate::test_both_dbs;

/// A stand-in for the built app: a page and a hashed script.
fn built_app() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("hosync-app-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(dir.join("assets")).expect("app dir");
    std::fs::write(
        dir.join("index.html"),
        "<!doctype html><title>hosync field app</title>",
    )
    .expect("index");
    std::fs::write(
        dir.join("assets").join("index-abc123.js"),
        "console.log(1);",
    )
    .expect("script");
    dir
}

fn header(response: &reqwest::Response, name: reqwest::header::HeaderName) -> Option<&str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The headers every answer carries, whatever it is.
fn assert_secured(response: &reqwest::Response) {
    let what = response.url().path().to_owned();
    let csp = header(response, CONTENT_SECURITY_POLICY).unwrap_or_default();
    for directive in [
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(directive), "{what}: {directive} in {csp:?}");
    }
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    assert_eq!(
        header(response, X_CONTENT_TYPE_OPTIONS),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(
        header(response, REFERRER_POLICY),
        Some("no-referrer"),
        "{what}"
    );
    assert_eq!(header(response, X_FRAME_OPTIONS), Some("DENY"), "{what}");
}

async fn every_answer_carries_security_headers(backend: Backend) {
    let dir = built_app();
    let db = TestDb::new(backend).await;
    let settings = hosync_server::Settings {
        app_dir: Some(dir.clone()),
        ..hosync_server::Settings::default()
    };
    let app = TestApp::start_with(&db.url, settings).await;
    seed_fixture(&app.state.db).await;
    let get = |path: &str| app.http.get(format!("{}{path}", app.base_url));

    // An API answer, signed in.
    let cookie = app.staff_cookie().await.to_owned();
    let summary = get("/api/v1/summary")
        .header("cookie", cookie.as_str())
        .send()
        .await
        .expect("summary");
    assert_eq!(summary.status(), 200);
    assert_secured(&summary);
    assert_eq!(header(&summary, CACHE_CONTROL), Some("no-store"));
    assert_eq!(
        header(&summary, STRICT_TRANSPORT_SECURITY),
        None,
        "plain HTTP"
    );

    // An error answer.
    let refused = get("/api/v1/summary").send().await.expect("refused");
    assert_eq!(refused.status(), 401);
    assert_secured(&refused);
    assert_eq!(header(&refused, CACHE_CONTROL), Some("no-store"));
    let missing = get("/api/v1/no-such-thing").send().await.expect("missing");
    assert_eq!(missing.status(), 404);
    assert_secured(&missing);
    assert_eq!(header(&missing, CACHE_CONTROL), Some("no-store"));

    // The app's page and files keep their own caching.
    let page = get("/").send().await.expect("page");
    assert_eq!(page.status(), 200);
    assert_secured(&page);
    assert_eq!(header(&page, CACHE_CONTROL), Some("no-cache"));
    let script = get("/assets/index-abc123.js").send().await.expect("script");
    assert_secured(&script);
    assert_eq!(
        header(&script, CACHE_CONTROL),
        Some("public, max-age=31536000, immutable")
    );

    // Behind a TLS proxy, HSTS.
    let behind_tls = get("/")
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .expect("page");
    assert_eq!(
        header(&behind_tls, STRICT_TRANSPORT_SECURITY),
        Some("max-age=31536000")
    );
    app.stop().await;

    // And when the operator says TLS is in front.
    let settings = hosync_server::Settings {
        app_dir: Some(dir.clone()),
        secure_cookies: true,
        ..hosync_server::Settings::default()
    };
    let app = TestApp::start_with(&db.url, settings).await;
    let page = app
        .http
        .get(format!("{}/", app.base_url))
        .send()
        .await
        .expect("page");
    assert_secured(&page);
    assert_eq!(
        header(&page, STRICT_TRANSPORT_SECURITY),
        Some("max-age=31536000")
    );
    app.stop().await;
    std::fs::remove_dir_all(dir).ok();
}
test_both_dbs!(every_answer_carries_security_headers);
