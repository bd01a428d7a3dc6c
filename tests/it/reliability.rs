//! Faults around the core promise: the command line writing while phones sync, servers started
//! together on a new database, stalled clients, and storage that fails.

use std::time::Duration;

use hosync_core::docs::household;
use hosync_core::{DocId, MemberId};
use hosync_server::AppState;
use hosync_server::storage::Db;

use crate::helpers::{Backend, TestApp, TestDb, seed_fixture, spawn_app, today};
use crate::test_both_dbs;

/// `hosync enrol` run again and again from the command line while phones sync: every sync and
/// every enrolment goes through, each writer waiting its turn.
async fn the_command_line_writes_beside_syncing_phones(backend: Backend) {
    let (app, db) = spawn_app(backend).await;
    let mut phones = Vec::new();
    for (i, member) in ["m2", "m3", "m1"].iter().enumerate() {
        let mut phone = app.phone(&format!("phone {i}"), member).await;
        phone.sync().await.expect("first sync");
        phones.push((member.to_string(), phone));
    }
    let url = db.url.clone();
    let operator = tokio::spawn(async move {
        use clap::Parser;
        let mut failures = Vec::new();
        for _ in 0..40 {
            let cli = hosync_server::cli::Cli::parse_from([
                "hosync",
                "enrol",
                "m3",
                "--database-url",
                url.as_str(),
            ]);
            if let Err(e) = hosync_server::cli::run(cli).await {
                failures.push(format!("{e:#}"));
            }
        }
        failures
    });
    let mut syncs = Vec::new();
    for (member, mut phone) in phones {
        syncs.push(tokio::spawn(async move {
            let mut failures = Vec::new();
            let id = DocId::parse(if member == "m3" { "h:h4" } else { "h:h1" }).expect("id");
            for round in 0..15 {
                if let Some(doc) = phone.replica_mut().doc_mut(&id) {
                    let text = format!("Lần thăm {round} của {member}");
                    household::add_note(
                        doc,
                        &MemberId::parse(&member).expect("id"),
                        today(),
                        &text,
                        &[],
                        today().noon_timestamp(),
                    )
                    .expect("note");
                }
                if let Err(e) = phone.sync().await {
                    failures.push(e.to_string());
                }
            }
            failures
        }));
    }
    let mut failures = operator.await.expect("operator");
    for sync in syncs {
        failures.extend(sync.await.expect("phone"));
    }
    assert!(
        failures.is_empty(),
        "every write waits its turn: {failures:?}"
    );
    let codes: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM enrolment_codes WHERE member_id = 'm3' AND used_at IS NULL",
    )
    .fetch_one(&app.state.db.reader)
    .await
    .expect("count");
    assert!(codes >= 40, "{codes} codes");
    app.stop().await;
}
test_both_dbs!(the_command_line_writes_beside_syncing_phones);

/// Servers started together on a new database agree on its epoch, so a phone switching between
/// them is never handed its whole scope again.
async fn servers_started_together_share_one_epoch(backend: Backend) {
    for _ in 0..8 {
        let db = TestDb::new(backend).await;
        let opened = futures_join(&db.url, 3).await;
        let epochs: Vec<u64> = opened.iter().map(|state| state.epoch).collect();
        assert!(
            epochs.windows(2).all(|w| w[0] == w[1]),
            "one epoch for every server: {epochs:?}"
        );
        for state in opened {
            state.db.close().await;
        }
    }
}
test_both_dbs!(servers_started_together_share_one_epoch);

/// Starts `n` servers' states on one database at once, as `hosync serve` started together does.
async fn futures_join(url: &str, n: usize) -> Vec<AppState> {
    // The schema first, as the first server to start makes it; the race is the epoch's.
    Db::open(url).await.expect("migrate").close().await;
    let mut starting = Vec::new();
    for _ in 0..n {
        let url = url.to_owned();
        starting.push(tokio::spawn(async move {
            let db = Db::open(&url).await.expect("open");
            AppState::new(db).await.expect("state")
        }));
    }
    let mut states = Vec::new();
    for start in starting {
        states.push(start.await.expect("start"));
    }
    states
}

/// The fixture's server with its database, for tests that set their own settings.
async fn app_with(backend: Backend, settings: hosync_server::Settings) -> (TestApp, TestDb) {
    let db = TestDb::new(backend).await;
    let app = TestApp::start_with(&db.url, settings).await;
    seed_fixture(&app.state.db).await;
    (app, db)
}

/// What a raw connection reads until the server closes it or `within` passes.
async fn read_until_closed(stream: &mut tokio::net::TcpStream, within: Duration) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut seen = Vec::new();
    let read = tokio::time::timeout(within, stream.read_to_end(&mut seen)).await;
    read.ok()
        .map(|_| String::from_utf8_lossy(&seen).into_owned())
}

/// A client that sends part of a request and then nothing is cut off: a stalled body is
/// answered 408 with the reason, stalled headers are closed, and connections past the limit
/// wait their turn rather than pile up, so a real request still gets through.
async fn stalled_clients_are_cut_off(backend: Backend) {
    use tokio::io::AsyncWriteExt;
    let settings = hosync_server::Settings {
        header_timeout: Duration::from_secs(1),
        body_timeout: Duration::from_secs(1),
        max_connections: 3,
        ..hosync_server::Settings::default()
    };
    let (app, _db) = app_with(backend, settings).await;
    let address = app.base_url.trim_start_matches("http://").to_owned();

    let mut body_stalled = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connect");
    body_stalled
        .write_all(b"POST /api/v1/sync HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\nHSYN")
        .await
        .expect("write");
    let answer = read_until_closed(&mut body_stalled, Duration::from_secs(20))
        .await
        .expect("the server answers a stalled body");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    // No Accept-Language: the default, Vietnamese.
    assert!(answer.contains("không đến kịp trong 1 giây"), "{answer}");

    let mut stalled = Vec::new();
    for _ in 0..3 {
        let mut stream = tokio::net::TcpStream::connect(&address)
            .await
            .expect("connect");
        stream
            .write_all(b"POST /api/v1/sync HTTP/1.1\r\nhost:")
            .await
            .expect("write");
        stalled.push(stream);
    }
    // Every place is taken by a stalled client; a real request waits for one to be cut off.
    let started = std::time::Instant::now();
    let healthy = app
        .http
        .get(format!("{}/healthz", app.base_url))
        .send()
        .await
        .expect("answered once a place is free");
    assert!(healthy.status().is_success());
    assert!(started.elapsed() < Duration::from_secs(20));
    for mut stream in stalled {
        assert!(
            read_until_closed(&mut stream, Duration::from_secs(20))
                .await
                .is_some(),
            "stalled headers are closed"
        );
    }
    app.stop().await;
}
test_both_dbs!(stalled_clients_are_cut_off);

/// The simulated phone gives up on a server that accepts and never answers, with a clear
/// message, and has nothing acknowledged.
#[tokio::test]
async fn a_phone_gives_up_on_a_server_that_never_answers() {
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = silent.local_addr().expect("address");
    let holding = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            held.push(stream);
        }
    });
    let replica = hosync_core::sync::Replica::new(
        hosync_core::DeviceId::parse("d-silent").expect("id"),
        MemberId::parse("m2").expect("id"),
        hosync_core::docs::random_actor(),
    );
    let mut phone =
        hosync_server::tools::phone::Phone::with_replica(&format!("http://{address}"), replica)
            .with_timeout(Duration::from_secs(1));
    let error = phone.sync().await.expect_err("no answer");
    assert!(
        error.to_string().contains("did not answer within 1 s"),
        "{error}"
    );
    holding.abort();
}

/// With the disk full a sync is answered 503 "storage is full", nothing is acknowledged (the
/// phone keeps its note), and `/readyz` says so; once space returns, the same phone syncs and
/// the server is ready again, with nothing lost. SQLite only: its database's allowed size
/// (`max_page_count`) stands for the disk here; PostgreSQL's disk_full is named the same way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_is_named_and_recovered_from() {
    let (app, _db) = spawn_app(Backend::Sqlite).await;
    let mut phone = app.phone("Pủa", "m2").await;
    phone.sync().await.expect("first sync");
    let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
        .fetch_one(&app.state.db.writer)
        .await
        .expect("page count");
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "PRAGMA max_page_count = {pages}"
    )))
    .execute(&app.state.db.writer)
    .await
    .expect("cap the database's size");
    let h1 = DocId::parse("h:h1").expect("id");
    let long = "Ghi chép dài khi ổ đĩa đầy. ".repeat(300);
    let doc = phone.replica_mut().doc_mut(&h1).expect("h1");
    household::add_note(
        doc,
        &MemberId::parse("m2").expect("id"),
        today(),
        &long,
        &[],
        today().noon_timestamp(),
    )
    .expect("note");
    match phone.sync().await {
        Err(hosync_server::tools::phone::PhoneError::Server {
            status: 503,
            message,
            ..
        }) => assert!(
            message.contains("storage is full") && message.contains("nothing is lost"),
            "{message}"
        ),
        other => panic!("a sync on a full disk is answered 503: {other:?}"),
    }
    assert!(
        phone.replica().unsynced().contains(&h1),
        "the note stays on the phone"
    );
    let ready = app
        .http
        .get(format!("{}/readyz", app.base_url))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status().as_u16(), 503);
    assert!(
        ready
            .text()
            .await
            .expect("text")
            .contains("storage is full")
    );

    sqlx::query("PRAGMA max_page_count = 1073741823")
        .execute(&app.state.db.writer)
        .await
        .expect("space returns");
    let outcome = phone
        .sync()
        .await
        .expect("the same phone syncs once space returns");
    assert!(outcome.accepted.contains(&h1), "{outcome:?}");
    let ready = app
        .http
        .get(format!("{}/readyz", app.base_url))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status().as_u16(), 200);
    app.stop().await;
}

/// Started on a database it may not write, the server says so at once, naming the cause,
/// instead of waiting for a pool to time out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_database_is_named_at_start() {
    use clap::Parser;
    let db = TestDb::new(Backend::Sqlite).await;
    Db::open(&db.url).await.expect("made").close().await;
    let read_only = db.url.replace("mode=rwc", "mode=ro");
    let cli = hosync_server::cli::Cli::parse_from([
        "hosync",
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--database-url",
        read_only.as_str(),
    ]);
    let started = std::time::Instant::now();
    let refused = tokio::time::timeout(Duration::from_secs(20), hosync_server::cli::run(cli))
        .await
        .expect("it does not wait")
        .expect_err("it does not serve");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(format!("{refused:#}").contains("read-only"), "{refused:#}");
}
