//! The staff API, whole: the real router on a real SQLite file seeded with a small demo
//! district, called in-process as a signed-in admin (the widest rights, so every handler runs
//! past its access check) with an arbitrary path, query and JSON body. A request may be
//! refused, never answered with a server error, and a refusal says what was wrong as the API's
//! JSON error body.

use std::net::SocketAddr;
use std::sync::{Mutex, OnceLock};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode, header};
use hosync_core::ids::{Login, UnitId};
use hosync_core::protocol::ErrorBody;
use hosync_core::{AccessRole, Day};
use hosync_server::access::accounts::{self, By, NewUser};
use hosync_server::tools::demo::{self, DemoShape};
use hosync_server::{AppState, Db};
use http_body_util::BodyExt;
use tower::ServiceExt;

const LOGIN: &str = "fuzz-admin";
const PASSWORD: &str = "fuzz-admin-password";

struct Server {
    runtime: tokio::runtime::Runtime,
    app: Router,
    session: Mutex<Session>,
    _dir: tempfile::TempDir,
}

#[derive(Clone, Default)]
struct Session {
    cookie: String,
    csrf: String,
}

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| start().unwrap_or_else(|e| panic!("the fuzzed server starts: {e:#}")))
}

fn start() -> anyhow::Result<Server> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let dir = tempfile::tempdir()?;
    let url = hosync_server::storage::db::sqlite_url(&dir.path().join("hosync.db"));
    let state = runtime.block_on(async {
        let db = Db::open(&url).await?;
        let today = Day::from_timestamp(hosync_server::system_now());
        demo::seed(&db, &DemoShape::scaled(0.01), today).await?;
        let admin = NewUser {
            login: Login::parse(LOGIN)?,
            name: "Quản trị".into(),
            password: PASSWORD.into(),
            role: AccessRole::Admin,
            scope: UnitId::parse("hsp")?,
        };
        let state = AppState::new(db).await?;
        accounts::add_user(&state.db, By::Cli, &admin, state.now()).await?;
        anyhow::Ok(state)
    })?;
    let app = hosync_server::app(state.clone());
    let server = Server {
        runtime,
        app,
        session: Mutex::new(Session::default()),
        _dir: dir,
    };
    server.sign_in()?;
    Ok(server)
}

/// The admin signs in from one address; fuzzed requests come from another, so the sign-in
/// pauses they may cause never stop the admin.
const ADMIN_PEER: [u8; 4] = [127, 0, 0, 1];
const FUZZ_PEER: [u8; 4] = [127, 0, 0, 2];

impl Server {
    fn send(&self, request: Request<Body>, peer: [u8; 4]) -> (StatusCode, Vec<u8>, String) {
        let mut request = request;
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::from((peer, 40_000))));
        self.runtime.block_on(async {
            let response = self
                .app
                .clone()
                .oneshot(request)
                .await
                .unwrap_or_else(|e| match e {});
            let status = response.status();
            let cookies = response
                .headers()
                .get_all(header::SET_COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
                .collect::<Vec<_>>()
                .join("; ");
            let body = response
                .into_body()
                .collect()
                .await
                .map(|b| b.to_bytes().to_vec())
                .unwrap_or_default();
            (status, body, cookies)
        })
    }

    /// Signs the admin in (again, if a fuzzed request ended the session).
    fn sign_in(&self) -> anyhow::Result<()> {
        let body = serde_json::json!({"login": LOGIN, "password": PASSWORD}).to_string();
        let request = Request::post("/api/v1/session")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))?;
        let (status, _, cookie) = self.send(request, ADMIN_PEER);
        anyhow::ensure!(status == StatusCode::OK, "the admin signs in: {status}");
        let csrf = cookie
            .split("; ")
            .find_map(|p| p.strip_prefix("hosync_csrf="))
            .unwrap_or_default()
            .to_owned();
        *self.session.lock().unwrap_or_else(|p| p.into_inner()) = Session { cookie, csrf };
        Ok(())
    }
}

/// Input: a method byte, the path and query after `/api/v1` up to the first newline, then the
/// JSON body.
pub fn staff_api(data: &[u8]) {
    let Some((&method, rest)) = data.split_first() else {
        return;
    };
    let method = match method % 3 {
        0 => Method::GET,
        1 => Method::POST,
        _ => Method::DELETE,
    };
    let (path, body) = match rest.iter().position(|&b| b == b'\n') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &[][..]),
    };
    let Ok(path) = std::str::from_utf8(path) else {
        return;
    };
    // Only API paths (anything else is the app's page). The sync endpoint has its own target;
    // signing out, or disabling the admin it runs as, would only end the fuzzing session.
    if !path.starts_with('/') {
        return;
    }
    if path.starts_with("/sync")
        || (path.starts_with("/session") && method != Method::GET)
        || (path.contains(LOGIN) && method != Method::GET)
    {
        return;
    }
    let server = server();
    let session = server
        .session
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    let Ok(request) = Request::builder()
        .method(method.clone())
        .uri(format!("/api/v1{path}"))
        .header(header::COOKIE, &session.cookie)
        .header("x-csrf-token", &session.csrf)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_vec()))
    else {
        return;
    };
    let (status, answer, _) = server.send(request, FUZZ_PEER);
    assert!(
        !status.is_server_error(),
        "{method} {path} answered {status}: {}",
        String::from_utf8_lossy(&answer)
    );
    if status.is_client_error() {
        let error: Result<ErrorBody, _> = serde_json::from_slice(&answer);
        assert!(
            error.is_ok_and(|e| !e.message.is_empty()),
            "{method} {path} refused ({status}) without saying why in JSON: {}",
            String::from_utf8_lossy(&answer)
        );
    }
    if status == StatusCode::UNAUTHORIZED {
        let _ = server.sign_in();
    }
}

pub fn seeds() -> Vec<Vec<u8>> {
    let request = |method: u8, path: &str, body: &str| {
        let mut seed = vec![method];
        seed.extend_from_slice(path.as_bytes());
        seed.push(b'\n');
        seed.extend_from_slice(body.as_bytes());
        seed
    };
    vec![
        request(0, "/overview", ""),
        request(0, "/summary", ""),
        request(0, "/search?q=V%C3%A0ng&limit=5", ""),
        request(0, "/tables/households?unit=hsp&page=1", ""),
        request(0, "/households/hsp-x01-c01-h001", ""),
        request(0, "/cells/hsp-x01-c01/households", ""),
        request(0, "/cells/hsp-x01-c01/refusals", ""),
        request(0, "/audit?limit=10", ""),
        request(0, "/devices", ""),
        request(0, "/users", ""),
        request(
            1,
            "/users",
            r#"{"login":"can-bo","name":"Cán bộ","password":"mat-khau-dai-du","role":"district_staff","scope":"hsp"}"#,
        ),
        request(1, "/users/can-bo/role", r#"{"role":"admin","scope":"hsp"}"#),
        request(1, "/users/can-bo/disable", r#"{"disabled":true}"#),
        request(1, "/enrolments", r#"{"holder":"hsp-x01-c01-m01"}"#),
        request(1, "/enrol", r#"{"code":"ABCD-EFGH","label":"Điện thoại"}"#),
        request(1, "/devices/dev-1/revoke", r#"{"reason":"mất máy"}"#),
        request(
            1,
            "/org/units",
            r#"{"id":"hsp-09","parent":"hsp","kind":"commune","name":"Xã Mới","level_label":"Xã"}"#,
        ),
        request(
            1,
            "/org/members",
            r#"{"id":"m-moi","cell":"hsp-x01-c01","name":"Vàng A Dế","role":"member"}"#,
        ),
        request(
            1,
            "/org/households",
            r#"{"id":"hh-moi","cell":"hsp-x01-c01","head":"Giàng Seo Chư","village":"Thôn 1","people":4,"livelihood":"Trồng ngô"}"#,
        ),
        request(
            1,
            "/org/members/m-moi/transfer",
            r#"{"cell":"hsp-x01-c02"}"#,
        ),
        request(
            1,
            "/org/households/hh-moi/move",
            r#"{"cell":"hsp-x01-c02"}"#,
        ),
    ]
}
