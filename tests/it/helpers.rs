//! `spawn_app` starts the real server on 127.0.0.1:0 with a fresh database and a small
//! organisation tree; `test_both_dbs!` runs one test body on SQLite and on PostgreSQL.

use std::path::PathBuf;

use hosync_core::docs::{cell, household, report};
use hosync_core::{
    Day, DeviceId, Doc, DocId, HouseholdId, MemberId, OrgUnit, Role, UnitId, UnitKind,
};
use hosync_server::phone::Phone;
use hosync_server::{AppState, Db, store};
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
    pub async fn new(backend: Backend) -> TestDb {
        let name = format!("hosync_test_{}", uuid::Uuid::new_v4().simple());
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(&name);
                std::fs::create_dir_all(&dir).expect("temp dir");
                let url = hosync_server::db::sqlite_url(&dir.join("hosync.db"));
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
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    /// Starts the server on `url`'s database, which may already hold data.
    pub async fn start(url: &str) -> TestApp {
        let db = Db::connect(url)
            .await
            .expect("database connects and migrates");
        let mut state = AppState::new(db).await.expect("state");
        let now = today().noon_timestamp();
        state.clock = std::sync::Arc::new(move || now);
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
            http: reqwest::Client::new(),
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

    pub fn phone(&self, device: &str, member: &str) -> Phone {
        Phone::new(
            &self.base_url,
            DeviceId::parse(device).expect("device"),
            MemberId::parse(member).expect("member"),
        )
    }

    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let response = self
            .http
            .get(format!("{}{path}", self.base_url))
            .send()
            .await
            .expect("GET");
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
/// `d-x1-c2`. Cell c1: secretary `m1`, members `m2` (households h1, h2, h3) and `m3` (h4).
/// Cell c2: member `m9` (household h9).
pub async fn seed_fixture(db: &Db) {
    let actor = hosync_core::docs::actor_from_bytes(b"test-fixture");
    let mut tx = db.begin_write().await.expect("tx");
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
    ];
    for unit in units {
        store::insert_unit(&mut tx, &unit.expect("unit"))
            .await
            .expect("unit");
    }
    let day = Day::parse("2026-11-01").expect("day");
    let now = day.noon_timestamp();
    let cells: [(&str, &[FixtureMember]); 2] = [
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
    ];
    for (cell_id, members) in cells {
        let cell_id = UnitId::parse(cell_id).expect("cell");
        let mut cell_doc = Doc::create(DocId::Cell(cell_id.clone()), actor.clone());
        for (member, name, role, households) in members {
            let member = MemberId::parse(member).expect("member");
            store::insert_member(&mut tx, &member, &cell_id, name, *role)
                .await
                .expect("member");
            cell::set_member(&mut cell_doc, &member, name, *role, now).expect("roster");
            for h in *households {
                let id = HouseholdId::parse(h).expect("household");
                store::insert_household(&mut tx, &id, &cell_id)
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
                store::insert_doc(&mut tx, &doc, &cell_id, now)
                    .await
                    .expect("household doc");
            }
        }
        store::insert_doc(&mut tx, &cell_doc, &cell_id, now)
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
            store::insert_doc(&mut tx, &doc, &cell_id, now)
                .await
                .expect("report doc");
        }
    }
    tx.commit().await.expect("commit");
}

pub fn household_doc(id: &str) -> DocId {
    DocId::parse(&format!("h:{id}")).expect("doc id")
}
