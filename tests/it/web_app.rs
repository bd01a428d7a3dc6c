//! The field app at `/`: served from its build folder with the caching an installed PWA needs
//! (hashed assets kept, the page and service worker revalidated), sent as the build compressed
//! it, and beside the API and the staff dashboard at `/staff/`; without a build, `/` says how
//! to make one.

use std::path::PathBuf;

use hosync_server::Settings;
use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE};

use crate::helpers::{Backend, TestApp, TestDb};

/// A stand-in for `target/web/app`: a page, a hashed script and a service worker.
fn built_app() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hosync-app-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(dir.join("assets")).expect("app dir");
    std::fs::write(
        dir.join("index.html"),
        "<!doctype html><title>hosync field app</title>",
    )
    .expect("index");
    let script = "console.log('hosync field app');\n".repeat(200);
    let script_path = dir.join("assets").join("index-abc123.js");
    std::fs::write(&script_path, &script).expect("script");
    // The compressed copies `cargo xtask app` writes beside each file.
    let mut brotli = Vec::new();
    brotli::BrotliCompress(
        &mut script.as_bytes(),
        &mut brotli,
        &brotli::enc::BrotliEncoderParams::default(),
    )
    .expect("brotli");
    std::fs::write(script_path.with_extension("js.br"), brotli).expect("br");
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut gzip, script.as_bytes()).expect("gzip");
    std::fs::write(
        script_path.with_extension("js.gz"),
        gzip.finish().expect("gzip"),
    )
    .expect("gz");
    std::fs::write(
        dir.join("sw.js"),
        "self.addEventListener('fetch', () => {});",
    )
    .expect("sw");
    std::fs::create_dir_all(dir.join("staff").join("assets")).expect("staff dir");
    std::fs::write(
        dir.join("staff").join("index.html"),
        "<!doctype html><title>hosync staff dashboard</title>",
    )
    .expect("staff index");
    std::fs::write(
        dir.join("staff").join("assets").join("staff-def456.js"),
        "console.log('staff');",
    )
    .expect("staff script");
    dir
}

async fn start(app_dir: PathBuf) -> (TestApp, TestDb) {
    let db = TestDb::new(Backend::Sqlite).await;
    let settings = Settings {
        app_dir: Some(app_dir),
        ..Settings::default()
    };
    (TestApp::start_with(&db.url, settings).await, db)
}

fn header(response: &reqwest::Response, name: reqwest::header::HeaderName) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn the_built_app_is_served_at_the_root() {
    let dir = built_app();
    let (app, _db) = start(dir.clone()).await;
    let get = |path: &str| app.http.get(format!("{}{path}", app.base_url));

    let page = get("/").send().await.expect("page");
    assert_eq!(page.status(), 200);
    assert_eq!(
        header(&page, CACHE_CONTROL),
        "no-cache",
        "the page is revalidated"
    );
    assert!(
        page.text()
            .await
            .expect("text")
            .contains("hosync field app")
    );

    let worker = get("/sw.js").send().await.expect("worker");
    assert_eq!(worker.status(), 200);
    assert_eq!(
        header(&worker, CACHE_CONTROL),
        "no-cache",
        "a new service worker is found on the next load"
    );

    let script = get("/assets/index-abc123.js")
        .header(ACCEPT_ENCODING, "br")
        .send()
        .await
        .expect("script");
    assert_eq!(script.status(), 200);
    assert_eq!(
        header(&script, CACHE_CONTROL),
        "public, max-age=31536000, immutable"
    );
    assert!(header(&script, CONTENT_TYPE).contains("javascript"));
    assert_eq!(header(&script, CONTENT_ENCODING), "br", "compressed for 2G");
    let script_file = dir.join("assets").join("index-abc123.js");
    let served = script.bytes().await.expect("body");
    assert_eq!(
        served.as_ref(),
        std::fs::read(script_file.with_extension("js.br")).expect("br"),
        "the build's brotli copy, as it was written"
    );
    let gzipped = get("/assets/index-abc123.js")
        .header(ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .expect("script");
    assert_eq!(header(&gzipped, CONTENT_ENCODING), "gzip");
    assert_eq!(
        gzipped.bytes().await.expect("body").as_ref(),
        std::fs::read(script_file.with_extension("js.gz")).expect("gz")
    );
    let plain = get("/assets/index-abc123.js").send().await.expect("script");
    assert_eq!(
        header(&plain, CONTENT_ENCODING),
        "",
        "plain for a client that takes no compression"
    );
    assert_eq!(
        plain.bytes().await.expect("body").as_ref(),
        std::fs::read(&script_file).expect("js")
    );

    assert_eq!(
        get("/assets/missing.js")
            .send()
            .await
            .expect("missing")
            .status(),
        404
    );
    let staff = get("/staff").send().await.expect("staff");
    assert_eq!(
        staff.url().path(),
        "/staff/",
        "/staff leads to the dashboard"
    );
    assert_eq!(header(&staff, CACHE_CONTROL), "no-cache");
    assert!(
        staff
            .text()
            .await
            .expect("text")
            .contains("hosync staff dashboard"),
        "the staff dashboard is beside the app"
    );
    let staff_script = get("/staff/assets/staff-def456.js")
        .send()
        .await
        .expect("staff script");
    assert_eq!(
        header(&staff_script, CACHE_CONTROL),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(app.get_json("/healthz").await, serde_json::Value::Null);
    app.stop().await;
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn without_a_build_the_root_says_how_to_make_one() {
    let (app, _db) = start(std::env::temp_dir().join("hosync-no-such-app")).await;
    let page = app
        .http
        .get(format!("{}/", app.base_url))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 404);
    assert!(page.text().await.expect("text").contains("cargo xtask app"));
    let sync = app
        .http
        .post(format!("{}/api/v1/sync", app.base_url))
        .body(vec![0u8; 3])
        .send()
        .await
        .expect("sync");
    assert_eq!(sync.status(), 400, "the API works without the app");
    app.stop().await;
}
