//! Staff sign-in, sessions, CSRF, sign-in throttling, accounts within scope and rank, the
//! `hosync user` and `hosync audit` commands, and the audit of household reads.

use hosync_core::AccessRole;
use hosync_server::access::accounts::{self, By};
use hosync_server::access::audit::{self, AuditFilter};
use hosync_server::cli::admin::{self, AuditArgs, UserAction, UserArgs};
use reqwest::Method;
use serde_json::{Value, json};

use hosync_server::access::accounts::MAX_LOGIN_CHARS;

use crate::helpers::{
    Backend, Browser, STAFF_LOGIN, STAFF_PASSWORD, TestApp, TestDb, assert_unseen, call,
    client_from, get, post, seed_fixture, session_cookies, signed_in, spawn_app, stored_bytes,
};
use crate::test_both_dbs;

fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect()
}

async fn audit_entries(app: &TestApp, action: &str) -> Vec<audit::AuditEntry> {
    let filter = AuditFilter::parse(&audit::AuditQuery {
        action: Some(action.to_owned()),
        ..Default::default()
    })
    .expect("a valid filter");
    let mut conn = app.state.db.reader.acquire().await.expect("conn");
    audit::list(&mut conn, &filter, None).await.expect("audit")
}

/// Sign-in answers who is signed in, and its cookies are out of reach of scripts (the session)
/// and of other sites (both).
async fn sign_in_sets_safe_cookies(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    app.add_staff("lan", "mật khẩu của Lan", AccessRole::DistrictStaff, "d")
        .await;
    // The login is matched whatever its case and spaces as typed.
    let response = app.sign_in(" Lan ", "mật khẩu của Lan").await;
    assert_eq!(response.status().as_u16(), 200);
    let cookies = set_cookies(&response);
    let session = cookies
        .iter()
        .find(|c| c.starts_with("hosync_session="))
        .expect("a session cookie");
    let csrf = cookies
        .iter()
        .find(|c| c.starts_with("hosync_csrf="))
        .expect("a CSRF cookie");
    for cookie in [session, csrf] {
        assert!(cookie.contains("SameSite=Strict"), "{cookie}");
        assert!(cookie.contains("Path=/"), "{cookie}");
        assert!(cookie.contains("Max-Age=43200"), "{cookie}");
        // Plain HTTP, no proxy saying otherwise.
        assert!(!cookie.contains("Secure"), "{cookie}");
    }
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(!csrf.contains("HttpOnly"), "the page reads it: {csrf}");
    let (cookie, csrf_token) = session_cookies(&response);
    let body: Value = serde_json::from_slice(&response.bytes().await.expect("body")).expect("json");
    assert_eq!(body["login"], "lan");
    assert_eq!(body["role"], "district_staff");
    assert_eq!(body["scope"], "d");
    assert_eq!(body["scope_name"], "Huyện thử");
    assert_eq!(body["csrf"], csrf_token.as_str());

    let browser = Browser {
        cookie,
        csrf: csrf_token,
    };
    let (status, me) = get(&app, "/session", &browser).await;
    assert_eq!(status, 200);
    assert_eq!(me["name"], "Cán bộ lan");
    assert_eq!(me["scope_name"], "Huyện thử");
    let (status, body) = call(&app, Method::GET, "/session", None, false, None).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "unauthorized");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("sign in")),
        "{body}"
    );
    let (status, _) = call(&app, Method::GET, "/summary", None, false, None).await;
    assert_eq!(status, 401, "the staff API needs a session");

    // Behind a TLS proxy the cookies are Secure.
    let behind_tls = app
        .http
        .post(format!("{}/api/v1/session", app.base_url))
        .header("content-type", "application/json")
        .header("x-forwarded-proto", "https")
        .body(json!({"login": "lan", "password": "mật khẩu của Lan"}).to_string())
        .send()
        .await
        .expect("answer");
    assert_eq!(behind_tls.status().as_u16(), 200);
    for cookie in set_cookies(&behind_tls) {
        assert!(cookie.contains("; Secure"), "{cookie}");
    }
}
test_both_dbs!(sign_in_sets_safe_cookies);

async fn body_of(response: reqwest::Response) -> Value {
    serde_json::from_slice(&response.bytes().await.expect("body")).expect("json")
}

/// The attempts a throttle counter holds, if it has a row.
async fn throttled(app: &TestApp, bucket: &str, subject: &str) -> Option<i64> {
    sqlx::query_scalar("SELECT attempts FROM throttle WHERE bucket = $1 AND subject = $2")
        .bind(bucket)
        .bind(subject)
        .fetch_optional(&app.state.db.reader)
        .await
        .expect("throttle")
}

fn retry_after(response: &reqwest::Response) -> i64 {
    response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After")
}

/// A wrong password and an unknown login get the same answer; after the limit of failures for
/// one login from one address, even the right password is paused from that address until the
/// window has passed; past the limit of failures from one address, whatever the logins, every
/// sign-in from it is paused.
async fn wrong_passwords_pause_sign_in(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    app.add_staff("lan", "mật khẩu của Lan", AccessRole::DistrictStaff, "d")
        .await;
    let settings = app.state.settings.clone();
    let limit = settings.sign_in_limit;

    let wrong = app.sign_in("lan", "not her password").await;
    assert_eq!(wrong.status().as_u16(), 401);
    let wrong = body_of(wrong).await;
    let unknown = app.sign_in("nobody", "not her password").await;
    assert_eq!(unknown.status().as_u16(), 401);
    assert_eq!(
        wrong,
        body_of(unknown).await,
        "an unknown login is told nothing more"
    );
    assert!(
        wrong["message"]
            .as_str()
            .is_some_and(|m| m.contains("wrong login or password")),
        "{wrong}"
    );

    // A success starts the count again.
    signed_in(&app, "lan", "mật khẩu của Lan").await;
    assert_eq!(throttled(&app, "sign_in", "127.0.0.1 lan").await, None);
    for n in 1..=limit.max {
        let response = app.sign_in("LAN", "guess").await;
        assert_eq!(response.status().as_u16(), 401);
        let body = body_of(response).await;
        let message = body["message"].as_str().unwrap_or_default();
        assert_eq!(
            message.contains("last try"),
            n == limit.max,
            "the last try says so: {message}"
        );
    }
    let paused = app.sign_in("lan", "mật khẩu của Lan").await;
    assert_eq!(
        paused.status().as_u16(),
        429,
        "paused even with the right password"
    );
    assert_eq!(retry_after(&paused), limit.window);
    let body = body_of(paused).await;
    assert_eq!(body["error"], "too_many_requests");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("this login") && m.contains("try again")),
        "{body}"
    );
    // Other logins from the same address are not paused.
    app.add_staff("minh", "mật khẩu của Minh", AccessRole::DistrictStaff, "d")
        .await;
    signed_in(&app, "minh", "mật khẩu của Minh").await;

    let start = app.clock.load(std::sync::atomic::Ordering::SeqCst);
    app.clock.store(
        start + limit.window - 1,
        std::sync::atomic::Ordering::SeqCst,
    );
    assert_eq!(
        app.sign_in("lan", "mật khẩu của Lan")
            .await
            .status()
            .as_u16(),
        429
    );
    app.clock
        .store(start + limit.window, std::sync::atomic::Ordering::SeqCst);
    signed_in(&app, "lan", "mật khẩu của Lan").await;

    // Logins nobody has are paused alike, so probing for them is no faster.
    for _ in 0..limit.max {
        assert_eq!(app.sign_in("ghost", "guess").await.status().as_u16(), 401);
    }
    assert_eq!(app.sign_in("ghost", "guess").await.status().as_u16(), 429);

    // From one address, failures across logins add up to a pause of every sign-in from it.
    let guesser = client_from("127.0.0.3");
    let by_address = settings.sign_in_address_limit;
    for n in 0..by_address.max {
        let response = app
            .sign_in_with(&guesser, &format!("login{n}"), "guess")
            .await;
        assert_eq!(response.status().as_u16(), 401);
    }
    let paused = app.sign_in_with(&guesser, "lan", "mật khẩu của Lan").await;
    assert_eq!(
        paused.status().as_u16(),
        429,
        "every login, from that address"
    );
    assert_eq!(retry_after(&paused), by_address.window);
    assert_eq!(
        throttled(&app, "sign_in_address", "127.0.0.3").await,
        Some(by_address.max),
        "refused tries are not counted"
    );
    signed_in(&app, "lan", "mật khẩu của Lan").await;
    let pauses: Vec<(String, String)> = audit_entries(&app, "sign_in_paused")
        .await
        .into_iter()
        .map(|e| (e.actor, e.target))
        .collect();
    assert_eq!(
        pauses,
        [
            ("address:127.0.0.1".to_owned(), "127.0.0.1".to_owned()),
            ("address:127.0.0.1".to_owned(), "127.0.0.1".to_owned()),
            ("address:127.0.0.3".to_owned(), "127.0.0.3".to_owned()),
        ],
        "lan's pause, ghost's, and 127.0.0.3's"
    );
}
test_both_dbs!(wrong_passwords_pause_sign_in);

/// Guesses sent all at once are counted before any is checked: only as many as the limit are
/// checked (each an argon2 hash), the rest are refused unchecked, and the login is paused.
async fn a_burst_of_guesses_is_counted_before_checking(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    app.add_staff("lan", "mật khẩu của Lan", AccessRole::DistrictStaff, "d")
        .await;
    let limit = app.state.settings.sign_in_limit;
    // Each in a task of its own, so that all 30 are in flight at once.
    let mut burst = tokio::task::JoinSet::new();
    for n in 0..30 {
        let client = app.http.clone();
        let url = format!("{}/api/v1/session", app.base_url);
        burst.spawn(async move {
            client
                .post(url)
                .header("content-type", "application/json")
                .body(json!({"login": "lan", "password": format!("guess {n}")}).to_string())
                .send()
                .await
                .expect("the server answers")
                .status()
                .as_u16()
        });
    }
    let mut answers = burst.join_all().await;
    answers.sort_unstable();
    let checked = answers.iter().filter(|&&s| s == 401).count();
    let refused = answers.iter().filter(|&&s| s == 429).count();
    assert_eq!(
        (checked, refused),
        (limit.max as usize, 30 - limit.max as usize),
        "{answers:?}"
    );
    assert_eq!(
        throttled(&app, "sign_in", "127.0.0.1 lan").await,
        Some(limit.max)
    );
    assert_eq!(
        throttled(&app, "sign_in_address", "127.0.0.1").await,
        Some(limit.max)
    );
    assert_eq!(
        app.sign_in("lan", "mật khẩu của Lan")
            .await
            .status()
            .as_u16(),
        429
    );
}
test_both_dbs!(a_burst_of_guesses_is_counted_before_checking);

/// A stranger guessing an account's password from their own address pauses it for themselves
/// only: its owner, at another address, still signs in.
async fn a_stranger_cannot_lock_the_owner_out(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    app.add_staff("admin", "mật khẩu quản trị", AccessRole::Admin, "d")
        .await;
    let stranger = client_from("127.0.0.2");
    let settings = app.state.settings.clone();
    for _ in 0..settings.sign_in_limit.max {
        let response = app.sign_in_with(&stranger, "admin", "guess").await;
        assert_eq!(response.status().as_u16(), 401);
    }
    let paused = app
        .sign_in_with(&stranger, "admin", "mật khẩu quản trị")
        .await;
    assert_eq!(paused.status().as_u16(), 429);
    signed_in(&app, "admin", "mật khẩu quản trị").await;

    // Nor when the stranger has used up every try of their address.
    let more = settings.sign_in_address_limit.max - settings.sign_in_limit.max;
    for n in 0..more {
        app.sign_in_with(&stranger, &format!("admin{n}"), "guess")
            .await;
    }
    assert_eq!(
        app.sign_in_with(&stranger, "someone", "guess")
            .await
            .status()
            .as_u16(),
        429
    );
    signed_in(&app, "admin", "mật khẩu quản trị").await;
    assert_eq!(
        throttled(&app, "sign_in", "127.0.0.1 admin").await,
        None,
        "the owner's own count is untouched"
    );
}
test_both_dbs!(a_stranger_cannot_lock_the_owner_out);

/// Behind a reverse proxy (`--trust-forwarded-for`) a client is the last hop of
/// X-Forwarded-For; without it the header is ignored, so sending one does not dodge the limit.
async fn forwarded_addresses_count_only_when_trusted(backend: Backend) {
    let db = TestDb::new(backend).await;
    let trusting = TestApp::start_with(
        &db.url,
        hosync_server::Settings {
            trust_forwarded_for: true,
            ..hosync_server::Settings::default()
        },
    )
    .await;
    seed_fixture(&trusting.state.db).await;
    trusting
        .add_staff("lan", "mật khẩu của Lan", AccessRole::DistrictStaff, "d")
        .await;
    let from = |app: &TestApp, forwarded: &str, password: &str| {
        app.http
            .post(format!("{}/api/v1/session", app.base_url))
            .header("content-type", "application/json")
            // The first hop is whatever the client wrote; the proxy appends the last.
            .header("x-forwarded-for", format!("10.9.9.9, {forwarded}"))
            .body(json!({"login": "lan", "password": password}).to_string())
            .send()
    };
    let limit = trusting.state.settings.sign_in_limit;
    for _ in 0..limit.max {
        let response = from(&trusting, "198.51.100.7", "guess")
            .await
            .expect("answer");
        assert_eq!(response.status().as_u16(), 401);
    }
    let paused = from(&trusting, "198.51.100.7", "mật khẩu của Lan")
        .await
        .expect("answer");
    assert_eq!(paused.status().as_u16(), 429);
    let owner = from(&trusting, "198.51.100.8", "mật khẩu của Lan")
        .await
        .expect("answer");
    assert_eq!(
        owner.status().as_u16(),
        200,
        "another client behind the proxy"
    );
    assert_eq!(
        throttled(&trusting, "sign_in", "198.51.100.7 lan").await,
        Some(limit.max)
    );
    trusting.stop().await;

    let direct = TestApp::start(&db.url).await;
    for n in 0..limit.max {
        let response = from(&direct, &format!("198.51.100.{n}"), "guess")
            .await
            .expect("answer");
        assert_eq!(response.status().as_u16(), 401);
    }
    let paused = from(&direct, "198.51.100.99", "mật khẩu của Lan")
        .await
        .expect("answer");
    assert_eq!(
        paused.status().as_u16(),
        429,
        "an untrusted X-Forwarded-For is not the client"
    );
    direct.stop().await;
}
test_both_dbs!(forwarded_addresses_count_only_when_trusted);

/// A login longer than any account's is refused before anything of it is stored.
async fn overlong_logins_are_refused_unstored(backend: Backend) {
    let (app, db) = spawn_app(backend).await;
    let long = "q".repeat(4 * 1024 * 1024);
    for login in [long.as_str(), &long[..MAX_LOGIN_CHARS + 1]] {
        let response = app.sign_in(login, "guess").await;
        assert_eq!(response.status().as_u16(), 400);
        let body = body_of(response).await;
        assert!(
            body["message"]
                .as_str()
                .is_some_and(|m| m.contains(&format!("at most {MAX_LOGIN_CHARS} characters"))),
            "{body}"
        );
    }
    let longest = &long[..MAX_LOGIN_CHARS];
    assert_eq!(app.sign_in(longest, "guess").await.status().as_u16(), 401);
    let stored = stored_bytes(&app, &db, &["throttle", "audit_log", "sessions"]).await;
    let too_long = &long.as_bytes()[..MAX_LOGIN_CHARS + 1];
    assert!(
        !stored.windows(too_long.len()).any(|w| w == too_long),
        "no overlong login is stored"
    );
    assert!(
        stored
            .windows(longest.len())
            .any(|w| w == longest.as_bytes()),
        "the search finds what is there: the longest login, counted"
    );
}
test_both_dbs!(overlong_logins_are_refused_unstored);

/// A request that changes something needs the session's CSRF token in a header.
async fn changes_need_the_csrf_token(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    app.add_staff("lan", "mật khẩu của Lan", AccessRole::DistrictStaff, "d")
        .await;
    let lan = signed_in(&app, "lan", "mật khẩu của Lan").await;
    let new_user = json!({
        "login": "hoa", "name": "Vàng Thị Hoa", "password": "mật khẩu của Hoa",
        "role": "commune_committee", "scope": "d-x1",
    });
    let (status, body) = call(
        &app,
        Method::POST,
        "/users",
        Some(&lan),
        false,
        Some(new_user.clone()),
    )
    .await;
    assert_eq!(status, 403);
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("missing or wrong CSRF token")),
        "{body}"
    );
    let forged = Browser {
        csrf: "0".repeat(64),
        ..lan.clone()
    };
    let (status, _) = post(&app, "/users", &forged, new_user.clone()).await;
    assert_eq!(status, 403);
    let (status, _) = call(&app, Method::DELETE, "/session", Some(&lan), false, None).await;
    assert_eq!(status, 403, "signing out needs the token too");

    let (status, body) = post(&app, "/users", &lan, new_user).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["login"], "hoa");
    signed_in(&app, "hoa", "mật khẩu của Hoa").await;
}
test_both_dbs!(changes_need_the_csrf_token);

/// Signing out ends the session on the server and clears the cookies.
async fn sign_out_ends_the_session(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    app.add_staff("lan", "mật khẩu của Lan", AccessRole::DistrictStaff, "d")
        .await;
    let lan = signed_in(&app, "lan", "mật khẩu của Lan").await;
    let other = signed_in(&app, "lan", "mật khẩu của Lan").await;
    let response = app
        .http
        .delete(format!("{}/api/v1/session", app.base_url))
        .header("cookie", lan.cookie.as_str())
        .header("x-csrf-token", lan.csrf.as_str())
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status().as_u16(), 200);
    let cleared = set_cookies(&response);
    for name in ["hosync_session=", "hosync_csrf="] {
        assert!(
            cleared
                .iter()
                .any(|c| c.starts_with(name) && c.contains("Max-Age=0")),
            "{name} cleared: {cleared:?}"
        );
    }
    assert_eq!(get(&app, "/session", &lan).await.0, 401);
    assert_eq!(get(&app, "/summary", &lan).await.0, 401);
    assert_eq!(
        get(&app, "/session", &other).await.0,
        200,
        "only that session"
    );
}
test_both_dbs!(sign_out_ends_the_session);

/// A session is refused from its expiry on.
async fn expired_sessions_are_refused(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    app.add_staff("lan", "mật khẩu của Lan", AccessRole::DistrictStaff, "d")
        .await;
    let lan = signed_in(&app, "lan", "mật khẩu của Lan").await;
    let start = app.clock.load(std::sync::atomic::Ordering::SeqCst);
    let ttl = app.state.settings.session_ttl;
    app.clock
        .store(start + ttl - 1, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(get(&app, "/summary", &lan).await.0, 200);
    app.clock
        .store(start + ttl, std::sync::atomic::Ordering::SeqCst);
    let (status, body) = get(&app, "/summary", &lan).await;
    assert_eq!(status, 401);
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("expired")),
        "{body}"
    );
}
test_both_dbs!(expired_sessions_are_refused);

/// A disabled account cannot sign in, and its sessions stop working. Its right password is
/// answered and counted exactly as a wrong one, so a guesser learns neither that the account
/// exists nor that the password was right.
async fn disabled_accounts_are_refused(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    for login in ["lan", "minh"] {
        app.add_staff(login, "mật khẩu dài", AccessRole::DistrictStaff, "d")
            .await;
    }
    let lan = signed_in(&app, "lan", "mật khẩu dài").await;
    let minh = signed_in(&app, "minh", "mật khẩu dài").await;
    accounts::disable_user(&app.state.db, By::Cli, "lan", app.state.now())
        .await
        .expect("disable");
    assert_eq!(get(&app, "/summary", &lan).await.0, 401);
    let right = app.sign_in("lan", "mật khẩu dài").await;
    let wrong = app.sign_in("lan", "wrong guess").await;
    assert_eq!(right.status().as_u16(), 401);
    assert_eq!(wrong.status().as_u16(), 401);
    let right = body_of(right).await;
    assert_eq!(
        right,
        body_of(wrong).await,
        "the same answer as a wrong password"
    );
    assert_eq!(throttled(&app, "sign_in", "127.0.0.1 lan").await, Some(2));
    let limit = app.state.settings.sign_in_limit;
    for _ in 2..limit.max {
        assert_eq!(
            app.sign_in("lan", "mật khẩu dài").await.status().as_u16(),
            401
        );
    }
    assert_eq!(
        app.sign_in("lan", "mật khẩu dài").await.status().as_u16(),
        429,
        "counted like wrong passwords"
    );

    // A session that outlived its account's disabling (written around the account functions,
    // which end the sessions) is refused all the same.
    sqlx::query("UPDATE users SET disabled_at = 1 WHERE login = 'minh'")
        .execute(&app.state.db.writer)
        .await
        .expect("disable by hand");
    let (status, body) = get(&app, "/session", &minh).await;
    assert_eq!(status, 401);
    assert_eq!(body["message"], "this account is disabled");
}
test_both_dbs!(disabled_accounts_are_refused);

/// Neither a password nor a session token is in the database in clear: the database holds a
/// password's argon2id hash and a token's SHA-256.
async fn secrets_are_not_stored_in_clear(backend: Backend) {
    let (app, db) = spawn_app(backend).await;
    let password = "mật-khẩu-rất-bí-mật-42";
    app.add_staff("lan", password, AccessRole::DistrictStaff, "d")
        .await;
    // A wrong password is not kept either.
    app.sign_in("lan", "một-mật-khẩu-sai-17").await;
    let response = app.sign_in("lan", password).await;
    let token = set_cookies(&response)
        .iter()
        .find_map(|c| {
            c.split(';')
                .next()?
                .strip_prefix("hosync_session=")
                .map(str::to_owned)
        })
        .expect("a session token");
    assert_eq!(token.len(), 64);
    let browser = Browser {
        cookie: format!("hosync_session={token}"),
        csrf: String::new(),
    };
    assert_eq!(get(&app, "/session", &browser).await.0, 200);

    let secrets = [password, "một-mật-khẩu-sai-17", token.as_str()];
    let stored = stored_bytes(&app, &db, &["users", "sessions", "throttle", "audit_log"]).await;
    for secret in secrets {
        assert!(
            !stored.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{secret:?} is in the database in clear"
        );
    }
    match backend {
        Backend::Sqlite => {
            assert!(stored.len() > 10_000, "read the database");
            let hash = hosync_server::access::secret::hash(&token);
            assert!(
                stored.windows(hash.len()).any(|w| w == hash.as_slice()),
                "the search finds what is there: the token's hash"
            );
        }
        Backend::Postgres => {
            let dump = String::from_utf8_lossy(&stored);
            assert!(dump.contains("$argon2id$"), "{dump}");
        }
    }
}
test_both_dbs!(secrets_are_not_stored_in_clear);

/// Through the API, accounts are managed only within the caller's scope and never above the
/// caller's role; each change is audited with who made it.
async fn accounts_stay_within_scope_and_rank(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    app.add_staff("x1", "mật khẩu xã 1", AccessRole::DistrictStaff, "d-x1")
        .await;
    app.add_staff("boss", "mật khẩu quản trị", AccessRole::Admin, "d")
        .await;
    app.add_staff("ax1", "mật khẩu quản trị xã", AccessRole::Admin, "d-x1")
        .await;
    app.add_staff(
        "bi",
        "mật khẩu bí thư",
        AccessRole::CellSecretary,
        "d-x1-c1",
    )
    .await;
    // The fixture's district-wide account.
    app.staff_cookie().await;
    let x1 = signed_in(&app, "x1", "mật khẩu xã 1").await;
    let user = |login: &str, role: &str, scope: &str| json!({"login": login, "name": "Người mới", "password": "mật khẩu mới!", "role": role, "scope": scope});

    let elsewhere = post(&app, "/users", &x1, user("a", "commune_committee", "d-x2")).await;
    assert_unseen(&elsewhere, "another commune");
    let nowhere = post(&app, "/users", &x1, user("a", "commune_committee", "d-x9")).await;
    assert_eq!(
        elsewhere.1["message"]
            .as_str()
            .map(|m| m.replace("d-x2", "?")),
        nowhere.1["message"]
            .as_str()
            .map(|m| m.replace("d-x9", "?")),
        "another commune and no commune answer alike"
    );
    let (status, body) = post(&app, "/users", &x1, user("a", "admin", "d-x1")).await;
    assert_eq!(status, 403, "above their role: {body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("above their own")),
        "{body}"
    );
    let (status, body) = post(&app, "/users", &x1, user("A b", "member", "d-x1")).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = post(&app, "/users", &x1, user("short", "member", "d-x1")).await;
    assert_eq!(status, 201, "{body}");
    let (status, _) = post(&app, "/users", &x1, user("short", "member", "d-x1")).await;
    assert_eq!(status, 409, "the login is taken");
    let (status, body) = post(
        &app,
        "/users",
        &x1,
        json!({"login": "pw", "name": "N", "password": "ngắn", "role": "member", "scope": "d-x1"}),
    )
    .await;
    assert_eq!(status, 400, "a short password: {body}");
    let (status, _) = post(&app, "/users", &x1, user("a", "member", "nowhere")).await;
    assert_eq!(status, 404, "no such unit");

    // Role changes: only an administrator changes roles, and both the account as it is and
    // as it becomes must be within their reach.
    let role = |role: &str, scope: &str| json!({"role": role, "scope": scope});
    let (status, body) = post(
        &app,
        "/users/short/role",
        &x1,
        role("cell_secretary", "d-x1-c1"),
    )
    .await;
    assert_eq!(status, 403, "district staff do not change roles: {body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("change an account's role")),
        "{body}"
    );
    let admin_x1 = signed_in(&app, "ax1", "mật khẩu quản trị xã").await;
    // An account outside the caller's scope is, to them, not there.
    assert_unseen(
        &post(&app, "/users/staff/role", &admin_x1, role("member", "d-x1")).await,
        "an account over the whole district",
    );
    assert_unseen(
        &post(&app, "/users/short/role", &admin_x1, role("member", "d-x2")).await,
        "moved out of scope",
    );
    let (status, body) = post(
        &app,
        "/users/short/role",
        &admin_x1,
        role("cell_secretary", "d-x1-c1"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["role"], "cell_secretary");
    assert_eq!(body["scope"], "d-x1-c1");

    // Disabling.
    assert_unseen(
        &post(&app, "/users/boss/disable", &x1, json!({})).await,
        "an admin over the district",
    );
    let (status, body) = post(&app, "/users/x1/disable", &x1, json!({})).await;
    assert_eq!(status, 403, "not oneself: {body}");
    let (status, body) = post(&app, "/users/short/disable", &x1, json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["disabled"], true);
    assert_eq!(
        app.sign_in("short", "mật khẩu mới!")
            .await
            .status()
            .as_u16(),
        401
    );
    assert_unseen(
        &post(&app, "/members/m20/disable", &x1, json!({})).await,
        "a member of another commune",
    );
    let (status, body) = post(&app, "/members/m9/disable", &x1, json!({})).await;
    assert_eq!(status, 200, "{body}");
    let disabled: Option<i64> =
        sqlx::query_scalar("SELECT disabled_at FROM members WHERE id = 'm9'")
            .fetch_one(&app.state.db.reader)
            .await
            .expect("member");
    assert_eq!(disabled, Some(app.state.now()));

    // Listing shows only accounts within the caller's scope.
    let (status, users) = get(&app, "/users", &x1).await;
    assert_eq!(status, 200);
    let logins: Vec<&str> = users
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|u| u["login"].as_str())
        .collect();
    // The admin over x1's commune is within x1's scope: listed, though not x1's to manage.
    assert_eq!(logins, ["ax1", "bi", "short", "x1"]);

    // A cell secretary manages no accounts; an admin may make another admin.
    let bi = signed_in(&app, "bi", "mật khẩu bí thư").await;
    assert_eq!(get(&app, "/users", &bi).await.0, 403);
    let (status, _) = post(&app, "/users", &bi, user("b", "member", "d-x1-c1")).await;
    assert_eq!(status, 403);
    let boss = signed_in(&app, "boss", "mật khẩu quản trị").await;
    let (status, _) = post(&app, "/users", &boss, user("boss2", "admin", "d")).await;
    assert_eq!(status, 201);

    let actions_of = async |actor: &str| -> Vec<(String, String, String)> {
        let filter = AuditFilter::parse(&audit::AuditQuery {
            actor: Some(actor.into()),
            ..Default::default()
        })
        .expect("filter");
        let mut conn = app.state.db.reader.acquire().await.expect("conn");
        audit::list(&mut conn, &filter, None)
            .await
            .expect("audit")
            .into_iter()
            .filter(|e| e.action != "sign_in")
            .map(|e| (e.action, e.target, e.detail))
            .collect()
    };
    assert_eq!(
        actions_of("ax1").await,
        [(
            "role".into(),
            "short".into(),
            "from member over d-x1 to cell_secretary over d-x1-c1".into()
        )]
    );
    assert_eq!(
        actions_of("x1").await,
        [
            (
                "user_add".into(),
                "short".into(),
                "member over d-x1 (Người mới)".into()
            ),
            (
                "user_disable".into(),
                "short".into(),
                "cell_secretary over d-x1-c1".into()
            ),
            ("member_disable".into(), "m9".into(), "cell d-x1-c2".into()),
        ]
    );
}
test_both_dbs!(accounts_stay_within_scope_and_rank);

/// The staff API shows a staff member only what lies in their scope, and every read of
/// household data leaves an entry naming who read what.
async fn household_reads_are_scoped_and_audited(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    app.get_json("/api/v1/cells/d-x1-c1/households").await;
    app.get_json("/api/v1/households/h1").await;
    app.get_json("/api/v1/cells/d-x1-c1/members").await;
    let reads: Vec<(String, String)> = [
        audit_entries(&app, "read_households").await,
        audit_entries(&app, "read_household").await,
    ]
    .concat()
    .into_iter()
    .map(|e| (e.actor, e.target))
    .collect();
    assert_eq!(
        reads,
        [
            ("user:staff".to_owned(), "d-x1-c1".to_owned()),
            ("user:staff".to_owned(), "h1".to_owned())
        ]
    );

    app.add_staff("x2", "mật khẩu xã 2", AccessRole::CommuneCommittee, "d-x2")
        .await;
    let x2 = signed_in(&app, "x2", "mật khẩu xã 2").await;
    let (status, summary) = get(&app, "/summary", &x2).await;
    assert_eq!(status, 200);
    let cells: Vec<&str> = summary
        .as_array()
        .expect("cells")
        .iter()
        .filter_map(|c| c["cell"].as_str())
        .collect();
    assert_eq!(cells, ["d-x2-c1"], "only cells in scope");
    let everything = app.get_json("/api/v1/summary").await;
    assert_eq!(everything.as_array().map(Vec::len), Some(3));
    for path in [
        "/cells/d-x1-c1/households",
        "/cells/d-x1-c1/members",
        "/households/h1",
    ] {
        assert_unseen(&get(&app, path, &x2).await, path);
    }
    assert_eq!(get(&app, "/households/h20", &x2).await.0, 200);
    assert_unseen(
        &get(&app, "/households/nope", &x2).await,
        "an unknown household",
    );

    // A member's account sees no staff views.
    app.add_staff("m", "mật khẩu đảng viên", AccessRole::Member, "d-x1-c1")
        .await;
    let m = signed_in(&app, "m", "mật khẩu đảng viên").await;
    assert_eq!(get(&app, "/cells/d-x1-c1/households", &m).await.0, 403);
    assert_eq!(get(&app, "/summary", &m).await.0, 403);

    // The audit log through the API: district staff read it, a commune does not.
    let (status, _) = get(&app, "/audit", &x2).await;
    assert_eq!(status, 403);
    let staff = signed_in(&app, STAFF_LOGIN, STAFF_PASSWORD).await;
    let (status, entries) = get(
        &app,
        "/audit?action=read_household&since=2026-11-20&until=2026-11-20",
        &staff,
    )
    .await;
    assert_eq!(status, 200, "{entries}");
    let entries = entries.as_array().expect("entries").clone();
    assert_eq!(entries.len(), 2, "h1, then h20: {entries:?}");
    assert_eq!(entries[0]["actor"], "user:staff");
    assert_eq!(entries[0]["target"], "h1");
    assert_eq!(entries[0]["time"], "20/11/2026 12:00");
    assert_eq!(entries[1]["actor"], "user:x2");
    assert_eq!(entries[1]["target"], "h20");
    let (_, none) = get(
        &app,
        "/audit?action=read_household&until=2026-11-19",
        &staff,
    )
    .await;
    assert_eq!(none, json!([]));
    let (status, _) = get(&app, "/audit?since=20/11/2026", &staff).await;
    assert_eq!(status, 400);
}
test_both_dbs!(household_reads_are_scoped_and_audited);

/// `hosync user …` and `hosync audit` on the server's database.
async fn user_and_audit_commands(backend: Backend) {
    let (app, db) = spawn_app(backend).await;
    // The fixture's staff account, added (by the command line's functions) before the rest.
    app.staff_cookie().await;
    let url = db.url.clone();
    let run = |action: UserAction, password: &'static str| {
        let url = url.clone();
        async move {
            let mut out = Vec::new();
            let args = UserArgs { action };
            let result = admin::user(&url, args, || Ok(password.to_owned()), &mut out).await;
            (result, String::from_utf8(out).expect("text"))
        }
    };
    let (result, out) = run(
        UserAction::Add {
            login: "hoa".into(),
            name: "Vàng Thị Hoa".into(),
            role: "commune_committee".into(),
            scope: "d-x1".into(),
        },
        "mật khẩu của Hoa",
    )
    .await;
    result.expect("user add");
    assert!(out.contains("Added hoa (Vàng Thị Hoa)"), "{out}");
    let hoa = signed_in(&app, "hoa", "mật khẩu của Hoa").await;
    assert_eq!(
        get(&app, "/session", &hoa).await.1["role"],
        "commune_committee"
    );

    let (result, _) = run(
        UserAction::Add {
            login: "short".into(),
            name: "N".into(),
            role: "member".into(),
            scope: "d-x1".into(),
        },
        "ngắn",
    )
    .await;
    let refusal = result.expect_err("a short password is refused").to_string();
    assert!(refusal.contains("at least 10 characters"), "{refusal}");
    let (result, _) = run(
        UserAction::Add {
            login: "x".into(),
            name: "N".into(),
            role: "chief".into(),
            scope: "d-x1".into(),
        },
        "mật khẩu đủ dài",
    )
    .await;
    assert!(result.is_err(), "an unknown role is refused");

    let (result, out) = run(
        UserAction::Role {
            login: "hoa".into(),
            role: "cell_secretary".into(),
            scope: Some("d-x1-c1".into()),
        },
        "",
    )
    .await;
    result.expect("user role");
    assert!(
        out.contains("hoa is now Bí thư chi bộ over d-x1-c1"),
        "{out}"
    );

    let (result, out) = run(
        UserAction::Disable {
            login_or_member: "m3".into(),
        },
        "",
    )
    .await;
    result.expect("disable a member");
    assert!(out.contains("Disabled member m3 (Triệu Thị Mây)"), "{out}");
    let (result, out) = run(
        UserAction::Disable {
            login_or_member: "hoa".into(),
        },
        "",
    )
    .await;
    result.expect("disable an account");
    assert!(out.contains("Disabled account hoa"), "{out}");
    assert_eq!(get(&app, "/session", &hoa).await.0, 401);
    let (result, _) = run(
        UserAction::Disable {
            login_or_member: "nobody".into(),
        },
        "",
    )
    .await;
    assert!(result.is_err());

    app.get_json("/api/v1/households/h2").await;
    let (result, out) = run(UserAction::List, "").await;
    result.expect("user list");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with("hoa ") && lines[0].contains("cell_secretary"),
        "{out}"
    );
    assert!(lines[0].contains("[disabled"), "{out}");
    assert!(
        lines[1].starts_with("staff ") && lines[1].contains("district_staff"),
        "{out}"
    );

    let audit = |actor: Option<&str>, action: Option<&str>, target: Option<&str>| {
        let url = url.clone();
        let (actor, action, target) = (
            actor.map(str::to_owned),
            action.map(str::to_owned),
            target.map(str::to_owned),
        );
        async move {
            let mut out = Vec::new();
            let args = AuditArgs {
                actor,
                action,
                target_contains: target,
                since: None,
                until: None,
                unit: None,
                limit: 100,
            };
            admin::audit(&url, args, &mut out)
                .await
                .expect("hosync audit");
            String::from_utf8(out).expect("text")
        }
    };
    let out = audit(Some("cli"), None, None).await;
    let actions: Vec<&str> = out
        .lines()
        .filter_map(|l| l.split_whitespace().nth(3))
        .collect();
    assert_eq!(
        actions,
        [
            "user_add",
            "user_add",
            "role",
            "member_disable",
            "user_disable"
        ],
        "{out}"
    );
    let out = audit(Some("staff"), Some("read_household"), Some("H2")).await;
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        out.starts_with("20/11/2026 12:00  user:staff")
            && out.contains("read_household")
            && out.contains("h2"),
        "{out}"
    );
    let out = audit(None, Some("wipe"), None).await;
    assert_eq!(out.trim(), "No audit entries match.");
    // An action that does not exist is a mistake, told as one rather than matching nothing.
    let args = AuditArgs {
        actor: None,
        action: Some("no_such_action".into()),
        target_contains: None,
        since: None,
        until: None,
        unit: None,
        limit: 100,
    };
    let refused = admin::audit(&url, args, &mut Vec::new())
        .await
        .expect_err("an unknown action is refused");
    assert!(
        refused.to_string().contains("not a valid audit action"),
        "{refused}"
    );
}
test_both_dbs!(user_and_audit_commands);
