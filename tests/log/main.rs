//! The request log, alone in its process: the log is set for the test's thread, and the
//! server's tasks run on that thread, so no other test's requests reach it.

use std::io::Write;
use std::sync::{Arc, Mutex};

use hosync_server::request_log::{self, LogFormat};

#[allow(dead_code)]
#[path = "../it/helpers.rs"]
mod helpers;

use helpers::{Backend, TestApp, TestDb, write_note};

/// Where the log's lines go in a test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log")).into_owned()
    }
}

// One thread: the server's tasks run where the test's log is set, and nowhere else.
#[tokio::test(flavor = "current_thread")]
async fn one_log_line_per_request_naming_who_asked_and_no_secret() {
    let captured = Captured::default();
    let writer = captured.clone();
    let log = request_log::subscriber(LogFormat::Json, false, move || writer.clone());
    let _log = tracing::dispatcher::set_default(&log);

    let (app, _db) = crate::helpers::spawn_app(Backend::Sqlite).await;
    let mut phone = app.phone("phone-a", "m2").await;
    phone.sync().await.expect("bootstrap");
    let secret_note = "Bà cụ nhờ giữ kín: nợ 3 triệu đồng.";
    write_note(&mut phone, "h2", secret_note);
    phone.sync().await.expect("sync");
    let wrong_password = "not-the-password-9f3a";
    let refused = app.sign_in("staff-nobody", wrong_password).await;
    assert_eq!(refused.status(), 401);
    let cookie = app.staff_cookie().await.to_owned();
    app.get_json("/api/v1/households/h2?secret=query-value")
        .await;
    let unknown = app
        .http
        .get(format!(
            "{}/api/v1/no-such-route/path-secret-zq",
            app.base_url
        ))
        .send()
        .await
        .expect("answer");
    assert_eq!(unknown.status(), 404);

    let text = captured.text();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .filter(|l| l.contains("\"hosync::request\""))
        .map(|l| serde_json::from_str(l).expect("each line is a JSON object"))
        .collect();
    // Enrol, two syncs, the failed and the good sign-in, the household, the unknown route.
    assert_eq!(lines.len(), 7, "one line per request:\n{text}");
    let line = |method: &str, route: &str| {
        lines
            .iter()
            .find(|l| l["span"]["method"] == method && l["span"]["route"] == route)
            .unwrap_or_else(|| panic!("no line for {method} {route}:\n{text}"))
    };
    let sync = line("POST", "/api/v1/sync");
    assert_eq!(sync["fields"]["status"], 200);
    assert!(sync["fields"]["ms"].as_f64().is_some_and(|ms| ms >= 0.0));
    let device = phone.replica().device().to_string();
    assert_eq!(sync["span"]["who"], format!("device {device}"));
    let household = line("GET", "/api/v1/households/{id}");
    assert_eq!(household["span"]["who"], "staff staff");
    assert_eq!(household["fields"]["status"], 200);
    assert_eq!(line("POST", "/api/v1/session")["fields"]["status"], 401);
    assert_eq!(line("GET", "(unknown API route)")["fields"]["status"], 404);

    let session = cookie
        .split(';')
        .find_map(|c| c.trim().strip_prefix("hosync_session="))
        .unwrap_or(&cookie);
    for secret in [
        secret_note,
        wrong_password,
        crate::helpers::STAFF_PASSWORD,
        phone.replica().token(),
        session,
        "query-value",
        "path-secret-zq",
    ] {
        assert!(!secret.is_empty());
        assert!(!text.contains(secret), "the log holds {secret:?}:\n{text}");
    }
    app.stop().await;

    // The text format, written to a file rather than a terminal, has no colour codes.
    let captured = Captured::default();
    let writer = captured.clone();
    let log = request_log::subscriber(LogFormat::Text, false, move || writer.clone());
    let _log = tracing::dispatcher::set_default(&log);
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::start(&db.url).await;
    app.http
        .get(format!("{}/healthz", app.base_url))
        .send()
        .await
        .expect("health");
    app.stop().await;
    let text = captured.text();
    let health: Vec<&str> = text.lines().filter(|l| l.contains("/healthz")).collect();
    assert_eq!(health.len(), 1, "{text}");
    assert!(
        health[0].contains("method=GET") && health[0].contains("status=200"),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'), "no colour codes: {text:?}");
}
