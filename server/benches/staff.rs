//! The staff read API at district scale (the overview, the flags table, a household with its
//! history, the per-cell summary): the whole demo district (Hoàng Su Phì, a year of
//! data) in SQLite, the real router on a local port, timed HTTP GETs through `reqwest`, signed
//! in as a district staff account (each read of a cell's households is audited, as in use).
//!
//! The district is seeded once into `target/bench-data/district.db` and reused by later runs;
//! delete that folder to seed again (about a minute). `HOSYNC_BENCH_DATABASE_URL` names an
//! already seeded district instead (SQLite or PostgreSQL). Results land in
//! `target/criterion/staff/<function>/new/estimates.json`, or under `staff_postgres/` for a
//! PostgreSQL district.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use hosync_core::access::AccessRole;
use hosync_core::{Day, UnitId};
use hosync_server::AppState;
use hosync_server::access::accounts::{self, AccountError, By, Login, NewUser};
use hosync_server::run;
use hosync_server::storage::db::{Db, sqlite_url};
use hosync_server::system_now;
use hosync_server::tools::demo::{DemoShape, seed};
use tokio::net::TcpListener;
use tokio::runtime::Runtime;

/// A cell of the demo district (the first village cell of the first commune).
const CELL: &str = "hsp-x01-c01";

/// The district staff account the bench signs in as, added on first use.
const LOGIN: &str = "bench-staff";
const PASSWORD: &str = "bench-staff-password";

/// Adds the bench's account over the whole district unless it is there, then signs in; returns
/// the `Cookie` header that carries the session.
async fn sign_in(db: &Db, base: &str) -> String {
    let account = NewUser {
        login: Login::parse(LOGIN).expect("a valid login"),
        name: "Benchmark".into(),
        password: PASSWORD.into(),
        role: AccessRole::DistrictStaff,
        scope: UnitId::parse("hsp").expect("the demo district's id"),
    };
    match accounts::add_user(db, By::Cli, &account, system_now()).await {
        Ok(_) | Err(AccountError::Exists(_)) => {}
        Err(e) => panic!("adding the bench's staff account: {e}"),
    }
    let response = reqwest::Client::new()
        .post(format!("{base}/session"))
        .header("content-type", "application/json")
        .body(format!(r#"{{"login":"{LOGIN}","password":"{PASSWORD}"}}"#))
        .send()
        .await
        .expect("the server answers");
    assert!(
        response.status().is_success(),
        "signing in: {}",
        response.status()
    );
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next())
        .find(|c| c.starts_with("hosync_session="))
        .expect("a session cookie")
        .to_owned()
}

/// Written next to the database once a seed has finished, so that a seed cut short (the seed
/// commits every few cells) is not mistaken for the whole district.
const SEEDED_MARK: &str = "district.db.seeded";

/// The workspace's target folder: `CARGO_TARGET_DIR`, or the one this bench was built into
/// (`<target>/release/deps/staff-…`).
fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| {
            let deps = exe.parent()?;
            (deps.file_name()? == "deps").then(|| deps.parent()?.parent().map(Path::to_path_buf))?
        })
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

async fn units(db: &Db) -> i64 {
    let row = sqlx::query("SELECT COUNT(*) FROM units")
        .fetch_one(&db.reader)
        .await
        .expect("the database answers");
    sqlx::Row::try_get(&row, 0).expect("a count")
}

/// The demo district in SQLite: reused when a finished seed is there, seeded otherwise.
async fn district(dir: &Path) -> Db {
    let path = dir.join("district.db");
    let mark = dir.join(SEEDED_MARK);
    let url = sqlite_url(&path);
    let mut db = Db::open(&url).await.expect("open the bench database");
    if mark.exists() && units(&db).await > 0 {
        let seeded_on = std::fs::read_to_string(&mark).unwrap_or_default();
        eprintln!(
            "staff: reusing the district seeded on {} in {}",
            seeded_on.trim(),
            path.display()
        );
        return db;
    }
    if units(&db).await > 0 {
        // A seed that did not finish: start again from an empty file.
        db.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let file = PathBuf::from(format!("{}{suffix}", path.display()));
            if file.exists() {
                std::fs::remove_file(&file).expect("remove the unfinished bench database");
            }
        }
        db = Db::open(&url).await.expect("open the bench database");
    }
    let today = Day::from_timestamp(system_now());
    let started = Instant::now();
    let summary = seed(&db, &DemoShape::district(), today)
        .await
        .expect("seed the demo district");
    eprintln!(
        "staff: seeded the demo district in {:.1} s ({summary}) into {}",
        started.elapsed().as_secs_f64(),
        path.display()
    );
    std::fs::write(&mark, today.iso()).expect("mark the seed finished");
    db
}

fn staff(c: &mut Criterion) {
    let runtime: Runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let dir = target_dir().join("bench-data");
    let named_url = std::env::var("HOSYNC_BENCH_DATABASE_URL").ok();
    // PostgreSQL's figures are kept apart from SQLite's, so both can be reported.
    let group_name = match &named_url {
        Some(url) if url.starts_with("postgres") => "staff_postgres",
        _ => "staff",
    };
    let (base, cookie, shutdown, server) = runtime.block_on(async {
        // `cargo xtask bench` hands over the district it has just seeded.
        let db = match &named_url {
            Some(url) => Db::open(url).await.expect("open the seeded district"),
            None => district(&dir).await,
        };
        let state = AppState::new(db.clone()).await.expect("server state");
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a local port");
        let addr = listener.local_addr().expect("the bound address");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(run(listener, state, async {
            let _ = stopped.await;
        }));
        let base = format!("http://{addr}/api/v1");
        let cookie = sign_in(&db, &base).await;
        (base, cookie, stop, server)
    });
    let client = reqwest::Client::new();
    let get = |url: String| {
        let client = &client;
        let cookie = &cookie;
        async move {
            let response = client
                .get(&url)
                .header("cookie", cookie.as_str())
                .send()
                .await
                .expect("the server answers");
            assert!(
                response.status().is_success(),
                "GET {url}: {}",
                response.status()
            );
            response.bytes().await.expect("the whole body")
        }
    };

    let summary_url = format!("{base}/summary");
    let households_url = format!("{base}/cells/{CELL}/households");
    let overview_url = format!("{base}/overview");
    let flags_url = format!("{base}/tables/flags");
    let household_url = format!("{base}/households/{CELL}-h001");
    runtime.block_on(async {
        let overview = get(overview_url.clone()).await;
        let overview: serde_json::Value =
            serde_json::from_slice(&overview).expect("the overview is JSON");
        assert!(
            overview["coverage"]["assigned"].as_i64().unwrap_or(0) > 5_000,
            "the overview covers the whole district: {}",
            overview["coverage"]
        );
        assert_eq!(overview["trend"].as_array().map(Vec::len), Some(12));
        eprintln!(
            "staff: /overview of the district: {} ({} open flags)",
            overview["coverage"], overview["flags"]["open"]
        );
        let summary = get(summary_url.clone()).await;
        let households = get(households_url.clone()).await;
        assert!(
            summary.len() > 10_000,
            "the summary covers every cell of the district ({} B)",
            summary.len()
        );
        assert!(households.starts_with(b"[{"), "cell {CELL} has households");
        eprintln!(
            "staff: /summary answers {} B, /cells/{CELL}/households {} B",
            summary.len(),
            households.len()
        );
    });

    let mut group = c.benchmark_group(group_name);
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    group.bench_function("summary", |b| {
        b.to_async(&runtime).iter(|| get(summary_url.clone()));
    });
    group.bench_function("cell_households", |b| {
        b.to_async(&runtime).iter(|| get(households_url.clone()));
    });
    group.bench_function("overview", |b| {
        b.to_async(&runtime).iter(|| get(overview_url.clone()));
    });
    group.bench_function("flags_table", |b| {
        b.to_async(&runtime).iter(|| get(flags_url.clone()));
    });
    group.bench_function("household_history", |b| {
        b.to_async(&runtime).iter(|| get(household_url.clone()));
    });
    group.finish();

    let _ = shutdown.send(());
    runtime
        .block_on(server)
        .expect("the server task")
        .expect("the server stops cleanly");
}

criterion_group!(benches, staff);
criterion_main!(benches);
