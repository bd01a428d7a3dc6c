//! The API's description: `GET /api/v1/openapi.json` read from the running server as an
//! OpenAPI 3.1 document and checked (every reference resolves, every path parameter is
//! declared, operation ids are unique, security schemes and tags exist); held to the router
//! (every API route in the server's source is registered through `routes!`, which documents
//! it, and every documented route answers on the real server); and to the copy the staff
//! dashboard's types are generated from.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::helpers::{Backend, TestApp, TestDb};

/// The copy of the document the dashboard's TypeScript types are generated from.
const COMMITTED: &str = "web-client/app/staff/openapi.json";

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_path_buf()
}

async fn served(app: &TestApp) -> (Value, String) {
    let response = app
        .http
        .get(format!("{}/api/v1/openapi.json", app.base_url))
        .send()
        .await
        .expect("GET openapi.json");
    assert_eq!(response.status(), 200, "openapi.json needs no session");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let text = response.text().await.expect("body");
    let json = serde_json::from_str(&text).expect("openapi.json is JSON");
    (json, text)
}

/// Each operation of the document: path, method, operation.
fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                found.push((path.clone(), method.to_owned(), op));
            }
        }
    }
    found
}

/// Every `$ref` in `value`, with where it stands.
fn refs<'a>(value: &'a Value, at: String, out: &mut Vec<(String, &'a str)>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if key == "$ref"
                    && let Some(target) = v.as_str()
                {
                    out.push((at.clone(), target));
                } else {
                    refs(v, format!("{at}/{key}"), out);
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                refs(v, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// What is wrong with `doc` as an OpenAPI 3.1 document of this API; empty when nothing is.
fn problems(doc: &Value, text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    match oas3::from_json(text) {
        Ok(spec) => match spec.validate_version() {
            Ok(v) if v.major == 3 && v.minor == 1 => {}
            Ok(v) => problems.push(format!("OpenAPI version {v}, not 3.1")),
            Err(e) => problems.push(format!("version: {e}")),
        },
        Err(e) => problems.push(format!("not an OpenAPI 3.1 document: {e}")),
    }
    for key in ["title", "version"] {
        if doc["info"][key].as_str().is_none_or(str::is_empty) {
            problems.push(format!("info.{key} is missing"));
        }
    }
    let mut all = Vec::new();
    refs(doc, String::new(), &mut all);
    for (at, target) in all {
        let resolves = target
            .strip_prefix('#')
            .is_some_and(|pointer| doc.pointer(pointer).is_some());
        if !resolves {
            problems.push(format!("{at}: $ref {target} resolves to nothing"));
        }
    }
    let schemes: BTreeSet<&str> = doc["components"]["securitySchemes"]
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let tags: BTreeSet<&str> = doc["tags"]
        .as_array()
        .map(|t| t.iter().filter_map(|t| t["name"].as_str()).collect())
        .unwrap_or_default();
    let mut ids = BTreeMap::new();
    for (path, method, op) in operations(doc) {
        let here = format!("{} {path}", method.to_uppercase());
        match op["operationId"].as_str() {
            Some(id) => {
                if let Some(other) = ids.insert(id.to_owned(), here.clone()) {
                    problems.push(format!("{here}: operationId {id} is also {other}'s"));
                }
            }
            None => problems.push(format!("{here}: no operationId")),
        }
        let declared: BTreeSet<&str> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "path")
            .filter_map(|p| {
                if p["required"] != true {
                    problems.push(format!("{here}: path parameter {} not required", p["name"]));
                }
                p["name"].as_str()
            })
            .collect();
        let in_path: BTreeSet<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        if declared != in_path {
            problems.push(format!(
                "{here}: the path names {in_path:?}, the parameters {declared:?}"
            ));
        }
        let responses = op["responses"].as_object();
        if !responses.is_some_and(|r| r.keys().any(|s| s.starts_with('2') || s.starts_with('3'))) {
            problems.push(format!("{here}: no success response"));
        }
        for (status, response) in responses.into_iter().flatten() {
            let described = response.get("$ref").is_some()
                || response["description"]
                    .as_str()
                    .is_some_and(|d| !d.is_empty());
            if !described {
                problems.push(format!("{here}: response {status} has no description"));
            }
        }
        for requirement in op["security"].as_array().into_iter().flatten() {
            for scheme in requirement
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, _)| k)
            {
                if !schemes.contains(scheme.as_str()) {
                    problems.push(format!("{here}: security scheme {scheme} is not declared"));
                }
            }
        }
        for tag in op["tags"].as_array().into_iter().flatten() {
            if !tag.as_str().is_some_and(|t| tags.contains(t)) {
                problems.push(format!("{here}: tag {tag} is not declared"));
            }
        }
        if op["summary"].as_str().is_none_or(str::is_empty) {
            problems.push(format!("{here}: no summary (the handler's doc comment)"));
        }
    }
    problems
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_is_valid_openapi_3_1() {
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::start(&db.url).await;
    let (doc, text) = served(&app).await;
    let found = problems(&doc, &text);
    assert!(found.is_empty(), "{}", found.join("\n"));
    assert_eq!(
        doc,
        serde_json::to_value(hosync_server::openapi_document()).expect("document"),
        "what is served is what `hosync openapi` prints"
    );
    // The checks catch what they look for.
    let mut broken = doc.clone();
    broken["paths"]["/api/v1/users/{login}/role"]["post"]["parameters"] = Value::Array(vec![]);
    broken["paths"]["/api/v1/session"]["get"]["responses"]["200"]["content"]["application/json"]
        ["schema"]["$ref"] = "#/components/schemas/Nothing".into();
    let found = problems(&broken, &text).join("\n");
    assert!(
        found.contains("POST /api/v1/users/{login}/role: the path names"),
        "{found}"
    );
    assert!(found.contains("Nothing resolves to nothing"), "{found}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_committed_copy_is_the_served_document() {
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::start(&db.url).await;
    let (doc, _) = served(&app).await;
    let path = workspace().join(COMMITTED);
    let committed: Value = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    assert!(
        committed == doc,
        "{COMMITTED} is not the API's document, so the dashboard's types are stale: run \
         `cargo run -p hosync-server --bin hosync -- openapi > {COMMITTED}` and commit it"
    );
    app.stop().await;
}

/// A route the server's source registers outside `routes!`: where, and the call.
#[derive(Debug)]
struct Registration {
    at: String,
    call: String,
}

/// Every `.route(`, `.route_service(`, `.nest(` and `.nest_service(` call in the server's
/// source, and how many handlers `routes!` calls register.
fn registrations() -> (Vec<Registration>, usize) {
    fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("server source").flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, files);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let root = workspace().join("server").join("src");
    let mut files = Vec::new();
    walk(&root, &mut files);
    files.sort();
    let mut plain = Vec::new();
    let mut handlers = 0;
    for file in files {
        let text = std::fs::read_to_string(&file).expect("source file");
        let name = file
            .strip_prefix(&root)
            .unwrap_or(&file)
            .display()
            .to_string();
        // `routes!(a, b)` may span lines: counted on the whole text, by its commas.
        for (i, _) in text.match_indices("routes!(") {
            let rest = &text[i + "routes!(".len()..];
            let inner = &rest[..rest.find(')').unwrap_or(rest.len())];
            handlers += inner.split(',').filter(|h| !h.trim().is_empty()).count();
        }
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            for call in [".route(", ".route_service(", ".nest(", ".nest_service("] {
                if let Some(i) = code.find(call) {
                    plain.push(Registration {
                        at: format!("server/src/{name}:{}", n + 1),
                        call: code[i..].to_owned(),
                    });
                }
            }
        }
    }
    (plain, handlers)
}

/// The routes served outside `routes!`, each with why it is not in the document.
const NOT_API: &[(&str, &str)] = &[
    ("lib.rs", ".route(\"/staff\""),   // the dashboard's page
    ("lib.rs", ".route(\"/healthz\""), // for the operator's probes
    ("lib.rs", ".route(\"/readyz\""),
    ("lib.rs", ".route(metrics::PATH"), // Prometheus's, outside the API
    ("metrics.rs", ".route("),          // the same, on the metrics' own address
    ("lib.rs", ".nest(\"/api/v1\", api)"), // the described routes themselves
    ("lib.rs", ".route(\"/api/v1/\""),  // the API's own root, answered "no such route"
    ("openapi.rs", ".nest(API_PREFIX, api)"), // the document's paths put under /api/v1
];

#[test]
fn every_api_route_is_registered_through_routes() {
    let (plain, _) = registrations();
    let undescribed: Vec<String> = plain
        .iter()
        .filter(|r| {
            !NOT_API
                .iter()
                .any(|(file, call)| r.at.contains(file) && r.call.starts_with(call))
        })
        .map(|r| format!("{}: {}", r.at, r.call))
        .collect();
    assert!(
        undescribed.is_empty(),
        "routes served but not described in the OpenAPI document (register them with \
         `utoipa_axum::routes!` and a `#[utoipa::path]` on the handler):\n{}",
        undescribed.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_and_the_router_hold_the_same_routes() {
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::start(&db.url).await;
    let (doc, _) = served(&app).await;
    let documented = operations(&doc);
    let (_, handlers) = registrations();
    assert_eq!(
        documented.len(),
        handlers,
        "the handlers `routes!` registers and the document's operations differ in number"
    );
    // Each documented route is served: whatever it answers without a session or a body, it is
    // not the answer of a path no route serves, nor of a method the path does not take.
    // In English, whose "no API route" the probe reads.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(crate::helpers::english())
        .build()
        .expect("client");
    let mut missing = Vec::new();
    for (path, method, _) in &documented {
        let concrete: String = path
            .split('/')
            .map(|s| if s.starts_with('{') { "x" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
        let response = http
            .request(method.clone(), format!("{}{concrete}", app.base_url))
            .send()
            .await
            .expect("request");
        let status = response.status();
        let body: Value = response
            .bytes()
            .await
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or(Value::Null);
        let unrouted = status == 404
            && body["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("no API route"));
        if unrouted || status == 405 {
            missing.push(format!("{method} {path}: {status} {body}"));
        }
    }
    assert!(
        missing.is_empty(),
        "documented but not served:\n{}",
        missing.join("\n")
    );
    // And the probe tells a route that is not there.
    let response = http
        .get(format!("{}/api/v1/no-such-route", app.base_url))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 404);
    let body: Value = serde_json::from_slice(&response.bytes().await.expect("body")).expect("json");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("no API route")),
        "{body}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reader_page_is_linked() {
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::start(&db.url).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let response = http
        .get(format!("{}/api/v1/docs", app.base_url))
        .send()
        .await
        .expect("GET docs");
    assert_eq!(response.status(), 303);
    assert_eq!(
        response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok()),
        Some("/api-docs/")
    );
    app.stop().await;
}
