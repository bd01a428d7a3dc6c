//! `spawn_app` starts the real server on 127.0.0.1:0 with a fresh database and a small
//! organisation tree; `test_both_dbs!` runs one test body on SQLite and on PostgreSQL.

use std::path::PathBuf;

use hosync_core::docs::{cell, household, report};
use hosync_core::{Day, Doc, DocId, HouseholdId, MemberId, OrgUnit, Role, UnitId, UnitKind};
use hosync_server::AppState;
use hosync_server::Db;
use hosync_server::access::devices;
use hosync_server::storage;
use hosync_server::tools::phone::Phone;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Runs the same test body on both databases: `test_both_dbs!(name)` for `async fn name(backend: Backend)`.
#[macro_export]
macro_rules! test_both_dbs {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::helpers::Backend::Postgres).await
            }
        }
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The day the tests pretend it is.
pub const TODAY: &str = "2026-11-20";

pub fn today() -> Day {
    Day::parse(TODAY).expect("test day")
}

/// A fresh, empty database; removed when dropped.
#[derive(Debug)]
pub struct TestDb {
    pub url: String,
    sqlite_dir: Option<PathBuf>,
    pg_name: Option<String>,
}

fn admin_url() -> String {
    std::env::var("HOSYNC_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

impl TestDb {
    /// The SQLite database's file, for a test that reads it beside the server.
    pub fn sqlite_file(&self) -> Option<PathBuf> {
        self.sqlite_dir.as_ref().map(|dir| dir.join("hosync.db"))
    }

    pub async fn new(backend: Backend) -> TestDb {
        let name = format!("hosync_test_{}", uuid::Uuid::new_v4().simple());
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(&name);
                std::fs::create_dir_all(&dir).expect("temp dir");
                let url = hosync_server::storage::db::sqlite_url(&dir.join("hosync.db"));
                TestDb {
                    url,
                    sqlite_dir: Some(dir),
                    pg_name: None,
                }
            }
            Backend::Postgres => {
                use sqlx::Connection;
                let admin = admin_url();
                let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap_or_else(|e| {
                    panic!("PostgreSQL must answer at {admin} (set HOSYNC_TEST_POSTGRES_URL, or run `cargo xtask ci`, which starts one): {e}")
                });
                // The name is ours (a UUID), not input, so building the statement is safe.
                let create = sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"));
                sqlx::raw_sql(create)
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                let base = admin
                    .rsplit_once('/')
                    .map_or(admin.as_str(), |(base, _)| base)
                    .to_owned();
                TestDb {
                    url: format!("{base}/{name}"),
                    sqlite_dir: None,
                    pg_name: Some(name),
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(dir) = &self.sqlite_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some(name) = self.pg_name.take() {
            // Drop runs inside the test's runtime, so the clean-up gets a thread of its own.
            let _ = std::thread::spawn(move || {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                runtime.block_on(async {
                    use sqlx::Connection;
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url()).await {
                        let drop = sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                        ));
                        let _ = sqlx::raw_sql(drop).execute(&mut conn).await;
                    }
                });
            })
            .join();
        }
    }
}

/// A running server.
#[derive(Debug)]
pub struct TestApp {
    pub base_url: String,
    pub state: AppState,
    pub http: reqwest::Client,
    /// What the server's clock says, in Unix seconds; store another time to move it.
    pub clock: std::sync::Arc<std::sync::atomic::AtomicI64>,
    /// The session cookie of the fixture's staff account, signed in on first use.
    staff_cookie: tokio::sync::OnceCell<String>,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    /// Starts the server on `url`'s database, which may already hold data.
    pub async fn start(url: &str) -> TestApp {
        TestApp::start_with(url, hosync_server::Settings::default()).await
    }

    pub async fn start_with(url: &str, settings: hosync_server::Settings) -> TestApp {
        let db = Db::open(url).await.expect("database connects and migrates");
        hosync_server::storage::projection::bring_up_to_date(&db)
            .await
            .expect("projections up to date");
        let mut state = AppState::new(db).await.expect("state");
        state.settings = std::sync::Arc::new(settings);
        let clock =
            std::sync::Arc::new(std::sync::atomic::AtomicI64::new(today().noon_timestamp()));
        let server_clock = clock.clone();
        state.clock =
            std::sync::Arc::new(move || server_clock.load(std::sync::atomic::Ordering::SeqCst));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base_url = format!("http://{}", listener.local_addr().expect("addr"));
        let (tx, rx) = oneshot::channel();
        let handle = tokio::spawn(hosync_server::run(listener, state.clone(), async {
            let _ = rx.await;
        }));
        TestApp {
            base_url,
            state,
            http: english_client(),
            clock,
            staff_cookie: tokio::sync::OnceCell::new(),
            shutdown: Some(tx),
            handle: Some(handle),
        }
    }

    /// Stops the server the way SIGTERM does, waiting for requests in flight.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(handle) = self.handle.take() {
            handle
                .await
                .expect("server task")
                .expect("server stopped cleanly");
        }
        self.state.db.close().await;
    }

    /// A phone enrolled the way a real one is: a code issued for `holder` (a member id or a
    /// staff login), exchanged over HTTP for a token.
    pub async fn phone(&self, label: &str, holder: &str) -> Phone {
        let code = self.enrolment_code(holder).await;
        Phone::enrol(&self.base_url, &code, label)
            .await
            .expect("enrolment")
    }

    /// A fresh enrolment code for a member or staff account, issued on the server.
    pub async fn enrolment_code(&self, holder: &str) -> String {
        let mut tx = self.state.db.begin_write().await.expect("tx");
        let holder = devices::find_holder(&mut tx, holder)
            .await
            .expect("lookup")
            .unwrap_or_else(|| panic!("no member or account {holder}"));
        let code = devices::issue_code(
            &mut tx,
            &holder,
            &hosync_server::access::audit::Actor::Cli,
            self.state.now(),
            self.state.settings.enrolment_ttl,
        )
        .await
        .expect("code");
        tx.commit().await.expect("commit");
        code
    }

    /// GETs JSON, signed in as the fixture's district staff account for the API.
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let mut request = self.http.get(format!("{}{path}", self.base_url));
        if path.starts_with("/api/") {
            request = request.header("cookie", self.staff_cookie().await);
        }
        let response = request.send().await.expect("GET");
        assert!(
            response.status().is_success(),
            "GET {path}: {}",
            response.status()
        );
        let body = response.bytes().await.expect("body");
        serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null)
    }

    /// The number of changes in the log, to check that bad requests store nothing.
    pub async fn logged_changes(&self) -> i64 {
        sqlx::Row::try_get(
            &sqlx::query("SELECT COUNT(*) FROM changes")
                .fetch_one(&self.state.db.reader)
                .await
                .expect("count"),
            0,
        )
        .expect("count")
    }
}

/// A server on a fresh database seeded with [`seed_fixture`], and the database (kept alive for
/// as long as the test holds it).
pub async fn spawn_app(backend: Backend) -> (TestApp, TestDb) {
    let db = TestDb::new(backend).await;
    let app = TestApp::start(&db.url).await;
    seed_fixture(&app.state.db).await;
    (app, db)
}

/// A member of the fixture: id, name, role, and the households they look after.
type FixtureMember = (&'static str, &'static str, Role, &'static [&'static str]);

/// The organisation of every test: district `d`, commune `d-x1` with cells `d-x1-c1` and
/// `d-x1-c2`, commune `d-x2` with cell `d-x2-c1`. Cell c1: secretary `m1`, members `m2`
/// (households h1, h2, h3) and `m3` (h4). Cell d-x1-c2: secretary `m9` (household h9). Cell
/// d-x2-c1: secretary `m20` (household h20).
pub async fn seed_fixture(db: &Db) {
    let actor = hosync_core::docs::actor_from_bytes(b"test-fixture");
    let mut tx = db.begin_log_write().await.expect("tx");
    let units = [
        OrgUnit::new("d", None, UnitKind::District, "huyện", "Huyện thử"),
        OrgUnit::new(
            "d-x1",
            Some("d"),
            UnitKind::CommuneCommittee,
            "xã",
            "Xã Nậm Ty",
        ),
        OrgUnit::new(
            "d-x1-c1",
            Some("d-x1"),
            UnitKind::Cell,
            "chi bộ thôn",
            "Chi bộ thôn Nậm Mì",
        ),
        OrgUnit::new(
            "d-x1-c2",
            Some("d-x1"),
            UnitKind::Cell,
            "chi bộ thôn",
            "Chi bộ thôn Suối Thầu",
        ),
        OrgUnit::new(
            "d-x2",
            Some("d"),
            UnitKind::CommuneCommittee,
            "xã",
            "Xã Bản Máy",
        ),
        OrgUnit::new(
            "d-x2-c1",
            Some("d-x2"),
            UnitKind::Cell,
            "chi bộ thôn",
            "Chi bộ thôn Lùng Chín",
        ),
    ];
    for unit in units {
        storage::insert_unit(&mut tx, &unit.expect("unit"))
            .await
            .expect("unit");
    }
    let day = Day::parse("2026-11-01").expect("day");
    let now = day.noon_timestamp();
    let cells: [(&str, &[FixtureMember]); 3] = [
        (
            "d-x1-c1",
            &[
                ("m1", "Lê Thị Bình", Role::Secretary, &[]),
                ("m2", "Giàng Seo Pủa", Role::Member, &["h1", "h2", "h3"]),
                ("m3", "Triệu Thị Mây", Role::Member, &["h4"]),
            ],
        ),
        (
            "d-x1-c2",
            &[("m9", "Nguyễn Văn An", Role::Secretary, &["h9"])],
        ),
        (
            "d-x2-c1",
            &[("m20", "Sùng Thị Dợ", Role::Secretary, &["h20"])],
        ),
    ];
    for (cell_id, members) in cells {
        let cell_id = UnitId::parse(cell_id).expect("cell");
        let mut cell_doc = Doc::create(DocId::Cell(cell_id.clone()), actor.clone());
        for (member, name, role, households) in members {
            let member = MemberId::parse(member).expect("member");
            storage::insert_member(&mut tx, &member, &cell_id, name, *role)
                .await
                .expect("member");
            cell::set_member(&mut cell_doc, &member, name, *role, now).expect("roster");
            for h in *households {
                let id = HouseholdId::parse(h).expect("household");
                storage::insert_household(&mut tx, &id, &cell_id)
                    .await
                    .expect("household");
                cell::assign(
                    &mut cell_doc,
                    &id,
                    Some(&member),
                    day,
                    &MemberId::parse("m1").expect("m1"),
                    now,
                )
                .expect("assign");
                let mut doc = Doc::create(DocId::Household(id.clone()), actor.clone());
                let profile = household::ProfileUpdate {
                    head: Some(format!("Chủ hộ {h}")),
                    village: Some("Thôn Nậm Mì".into()),
                    people: Some(5),
                    livelihood: Some("Trồng chè".into()),
                };
                household::update_profile(&mut doc, &profile, now).expect("profile");
                storage::insert_doc(&mut tx, &doc, &cell_id, now)
                    .await
                    .expect("household doc");
            }
        }
        storage::insert_doc(&mut tx, &cell_doc, &cell_id, now)
            .await
            .expect("cell doc");
        // Every member has October's report, rated.
        for (member, ..) in members.iter() {
            let member = MemberId::parse(member).expect("member");
            let month = hosync_core::Month::parse("2026-10").expect("month");
            let mut doc = Doc::create(DocId::Report(member.clone(), month), actor.clone());
            let draft = report::ReportDraft {
                tasks: Some("Dự sinh hoạt chi bộ đầy đủ.".into()),
                household_content: Some("Đã thăm các hộ được phân công.".into()),
                self_rating: Some(hosync_core::Rating::Good),
            };
            report::write(&mut doc, &draft, now).expect("report");
            storage::insert_doc(&mut tx, &doc, &cell_id, now)
                .await
                .expect("report doc");
        }
    }
    tx.commit().await.expect("commit");
}

pub fn household_doc(id: &str) -> DocId {
    DocId::parse(&format!("h:{id}")).expect("doc id")
}

/// The fixture's district staff account, over the whole district `d`.
pub const STAFF_LOGIN: &str = "staff";
pub const STAFF_PASSWORD: &str = "staff-password";

impl TestApp {
    /// The `Cookie` header of a session of [`STAFF_LOGIN`], added (unless a previous server on
    /// this database did) and signed in on first use.
    pub async fn staff_cookie(&self) -> &str {
        self.staff_cookie
            .get_or_init(|| async {
                self.add_staff(
                    STAFF_LOGIN,
                    STAFF_PASSWORD,
                    hosync_core::AccessRole::DistrictStaff,
                    "d",
                )
                .await;
                let response = self.sign_in(STAFF_LOGIN, STAFF_PASSWORD).await;
                assert!(
                    response.status().is_success(),
                    "staff sign-in: {}",
                    response.status()
                );
                session_cookies(&response).0
            })
            .await
    }

    /// Adds a staff account through the server's account functions, as `hosync user add`
    /// does; an account already there is left as it is.
    pub async fn add_staff(
        &self,
        login: &str,
        password: &str,
        role: hosync_core::AccessRole,
        scope: &str,
    ) {
        use hosync_server::access::accounts::{self, AccountError, By, Login, NewUser};
        let account = NewUser {
            login: Login::parse(login).expect("login"),
            name: format!("Cán bộ {login}"),
            password: password.into(),
            role,
            scope: UnitId::parse(scope).expect("scope"),
        };
        match accounts::add_user(&self.state.db, By::Cli, &account, self.state.now()).await {
            Ok(_) | Err(AccountError::Exists(_)) => {}
            Err(e) => panic!("adding staff account {login}: {e}"),
        }
    }

    /// `POST /api/v1/session` with a login and password.
    pub async fn sign_in(&self, login: &str, password: &str) -> reqwest::Response {
        self.sign_in_with(&self.http, login, password).await
    }

    /// `POST /api/v1/session` through `client`, such as one from [`client_from`].
    pub async fn sign_in_with(
        &self,
        client: &reqwest::Client,
        login: &str,
        password: &str,
    ) -> reqwest::Response {
        client
            .post(format!("{}/api/v1/session", self.base_url))
            .header("content-type", "application/json")
            .body(serde_json::json!({"login": login, "password": password}).to_string())
            .send()
            .await
            .expect("the server answers a sign-in")
    }
}

/// A client whose connections come from `address`, another loopback address such as
/// 127.0.0.2 (on Linux every 127.x address is the loopback), so the server sees another client.
pub fn client_from(address: &str) -> reqwest::Client {
    let ip: std::net::IpAddr = address.parse().expect("an IP address");
    reqwest::Client::builder()
        .local_address(ip)
        .default_headers(english())
        .build()
        .expect("a client")
}

/// What the tests' clients send unless a test says otherwise: the server's messages in
/// English, which the assertions read (the `lang` tests check Vietnamese, the default).
pub fn english() -> reqwest::header::HeaderMap {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::ACCEPT_LANGUAGE,
        reqwest::header::HeaderValue::from_static("en"),
    );
    headers
}

/// A client that reads the server's messages in English.
pub fn english_client() -> reqwest::Client {
    reqwest::Client::builder()
        .default_headers(english())
        .build()
        .expect("a client")
}

/// From a sign-in's answer: the `Cookie` header to send back (both cookies) and the CSRF token.
pub fn session_cookies(response: &reqwest::Response) -> (String, String) {
    let pairs: Vec<&str> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next())
        .collect();
    let csrf = pairs
        .iter()
        .find_map(|p| p.strip_prefix("hosync_csrf="))
        .expect("a CSRF cookie")
        .to_owned();
    assert!(
        pairs.iter().any(|p| p.starts_with("hosync_session=")),
        "a session cookie in {pairs:?}"
    );
    (pairs.join("; "), csrf)
}

/// A signed-in browser: the cookies it sends back and the CSRF token its page read.
#[derive(Debug, Clone)]
pub struct Browser {
    pub cookie: String,
    pub csrf: String,
}

pub async fn signed_in(app: &TestApp, login: &str, password: &str) -> Browser {
    let response = app.sign_in(login, password).await;
    assert_eq!(response.status().as_u16(), 200, "{login} signs in");
    let (cookie, csrf) = session_cookies(&response);
    Browser { cookie, csrf }
}

/// Sends a request as `browser` (with its CSRF token when `csrf` is true); returns the status
/// and the JSON body.
pub async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    browser: Option<&Browser>,
    csrf: bool,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut request = app
        .http
        .request(method, format!("{}/api/v1{path}", app.base_url));
    if let Some(b) = browser {
        request = request.header("cookie", b.cookie.as_str());
        if csrf {
            request = request.header("x-csrf-token", b.csrf.as_str());
        }
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let bytes = response.bytes().await.expect("body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

pub async fn get(app: &TestApp, path: &str, browser: &Browser) -> (u16, serde_json::Value) {
    call(app, reqwest::Method::GET, path, Some(browser), false, None).await
}

pub async fn post(
    app: &TestApp,
    path: &str,
    browser: &Browser,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    call(
        app,
        reqwest::Method::POST,
        path,
        Some(browser),
        true,
        Some(body),
    )
    .await
}

/// Every byte the database keeps, to search for secrets: the SQLite file and its write-ahead
/// log, or, on PostgreSQL, `tables` dumped as text.
pub async fn stored_bytes(app: &TestApp, db: &TestDb, tables: &[&str]) -> Vec<u8> {
    match hosync_server::storage::db::sqlite_path(&db.url) {
        Some(path) => {
            sqlx::query("PRAGMA wal_checkpoint(FULL)")
                .execute(&app.state.db.writer)
                .await
                .expect("checkpoint");
            let mut bytes = std::fs::read(&path).expect("the database file");
            if let Ok(wal) = std::fs::read(format!("{path}-wal")) {
                bytes.extend(wal);
            }
            bytes
        }
        None => {
            let mut dump = String::new();
            for table in tables {
                let sql = sqlx::AssertSqlSafe(format!(
                    "SELECT COALESCE(string_agg(t::text, '|'), '') FROM {table} t"
                ));
                let text: String = sqlx::query_scalar(sql)
                    .fetch_one(&app.state.db.reader)
                    .await
                    .expect("dump");
                dump.push_str(&text);
            }
            dump.into_bytes()
        }
    }
}

/// Asserts the answer for something unknown or outside the caller's scope: 404, alike for both,
/// naming no unit's place in the tree.
pub fn assert_unseen((status, body): &(u16, serde_json::Value), what: &str) {
    assert_eq!(*status, 404, "{what}: {body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("within your scope") && !message.contains('/'),
        "{what}: {body}"
    );
}

/// Writes a note on `household` on the phone, as its member, to be sent at the next sync.
pub fn write_note(phone: &mut Phone, household: &str, text: &str) {
    let member = phone.replica().member().clone();
    let doc = phone
        .replica_mut()
        .doc_mut(&household_doc(household))
        .expect("the household is on the phone");
    household::add_note(doc, &member, today(), text, &[], 1).expect("note");
}
