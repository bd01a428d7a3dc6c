//! The API's description: an OpenAPI 3.1 document of every `/api/v1` route, made from the
//! handlers' `#[utoipa::path]` annotations and the wire types' `ToSchema`. Each area's router
//! registers its routes through `utoipa_axum::routes!`, which adds a handler to the router and
//! its annotation to the document in one call, so a route cannot be served undescribed (and a
//! test holds the source to that). `GET /api/v1/openapi.json` serves the document;
//! `GET /api/v1/docs` sends a person to the page that reads it, built with the app.
//!
//! An answer's `Option` fields are marked `#[schema(required = true)]`: serde writes `None` as
//! null and never leaves a field out, so the document (and the dashboard's types generated from
//! it) say "present, maybe null" rather than "maybe absent".

use axum::Extension;
use axum::body::Bytes;
use axum::http::header;
use axum::response::{IntoResponse, Redirect};
use hosync_core::protocol::ErrorBody;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi as Document, RefOr, Response};
use utoipa::{Modify, OpenApi, ToResponse};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

/// Where the API lives; the document's paths start with it.
pub const API_PREFIX: &str = "/api/v1";

/// Where the built app puts the page that reads the document (`web-client/app/api-docs`).
pub const READER_PAGE: &str = "/api-docs/";

/// The security schemes' names, as the handlers' `security(...)` name them.
pub const SESSION: &str = "session";
pub const CSRF: &str = "csrf";
pub const DEVICE: &str = "device";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "hosync API",
        description = "The sync endpoint phones talk to, the staff dashboard's API, and the \
            enrolment and recovery of phones. Staff sign in at `POST /api/v1/session`, which sets \
            the HttpOnly session cookie and a readable CSRF cookie; every staff request that \
            changes something echoes the CSRF cookie's value in `X-CSRF-Token`. A phone sends its \
            device token as `Authorization: Bearer …`. Every error answers `ErrorBody` as JSON: \
            a stable code in `error` and what was wrong in `message`.",
    ),
    modifiers(&Security),
    components(
        schemas(ErrorBody),
        responses(BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooManyRequests),
    ),
    tags(
        (name = "sync", description = "The phone's round trip of the sync protocol"),
        (name = "session", description = "Staff sign-in and sign-out"),
        (name = "accounts", description = "Staff accounts, their roles and password reset codes"),
        (name = "phones", description = "Enrolment, devices, the phone's keys and their recovery"),
        (name = "audit", description = "The audit log"),
        (name = "views", description = "The staff dashboard's read API"),
        (name = "organisation", description = "Units, members and households, and imports"),
        (name = "description", description = "This document and the page that reads it"),
    )
)]
struct ApiDoc;

/// The API's description, its paths under [`API_PREFIX`], from the router that serves them.
pub fn document(api: Document) -> Document {
    let mut document = ApiDoc::openapi().nest(API_PREFIX, api);
    // After nesting: the modifiers of `ApiDoc` run before its paths are there.
    CommonErrors.modify(&mut document);
    for item in document.paths.paths.values_mut() {
        for operation in operations(item) {
            if let Some(summary) = operation.summary.take() {
                let (first, rest) = plain_summary(&summary);
                operation.summary = Some(first);
                // The first paragraph's other sentences lead the description.
                if !rest.is_empty() {
                    operation.description = Some(match operation.description.take() {
                        Some(more) => format!("{rest}\n\n{more}"),
                        None => rest,
                    });
                }
            }
        }
    }
    document
}

/// A handler's first doc paragraph as a one-line summary (its first sentence) and the rest,
/// without the "`POST /api/v1/…`: " it starts with for readers of the code: the page shows the
/// method and path beside it already.
fn plain_summary(paragraph: &str) -> (String, String) {
    let line = paragraph.split_whitespace().collect::<Vec<_>>().join(" ");
    let methods = ["`GET ", "`POST ", "`PUT ", "`DELETE ", "`PATCH "];
    let line = match line.find("`: ") {
        Some(end) if methods.iter().any(|m| line.starts_with(m)) => &line[end + 3..],
        _ => line.as_str(),
    };
    let mut chars = line.chars();
    let line: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    };
    match line.split_once(". ") {
        Some((first, rest)) => (format!("{first}."), rest.to_owned()),
        None => (line, String::new()),
    }
}

/// The description's own routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(openapi_json))
        .routes(routes!(docs))
}

/// The document as served, written once when the router is built.
#[derive(Clone)]
pub struct Served(Bytes);

impl Served {
    pub fn of(document: &Document) -> Served {
        // A document of plain maps and strings always serialises; an empty one would only
        // fail the checks that read it.
        Served(Bytes::from(
            serde_json::to_vec(document).unwrap_or_default(),
        ))
    }
}

impl std::fmt::Debug for Served {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Served(openapi.json)")
    }
}

/// `GET /api/v1/openapi.json`: this document. No session: it describes the API and holds no
/// data.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "description",
    responses((status = 200, description = "The OpenAPI 3.1 document", body = serde_json::Value)),
)]
async fn openapi_json(Extension(Served(document)): Extension<Served>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], document)
}

/// `GET /api/v1/docs`: the page that reads this document, built with the app and served
/// beside it.
#[utoipa::path(
    get,
    path = "/docs",
    tag = "description",
    responses((status = 303, description = "To the reader page, `/api-docs/`")),
)]
async fn docs() -> Redirect {
    Redirect::to(READER_PAGE)
}

/// The ways a request proves who sends it, as `sessions_api` and `devices_api::phone_auth`
/// check them.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            SESSION,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::access::sessions::SESSION_COOKIE,
                "The staff session, an HttpOnly cookie set by `POST /api/v1/session`",
            ))),
        );
        components.add_security_scheme(
            CSRF,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-CSRF-Token",
                "The value of the `hosync_csrf` cookie, required on every staff request but GET",
            ))),
        );
        components.add_security_scheme(
            DEVICE,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The device token a phone got at enrolment (`POST /api/v1/enrol`)",
                    ))
                    .build(),
            ),
        );
    }
}

/// What every route may answer whatever its handler does: the server's limits on a request
/// (`deadlines`, the body limit, axum's extractors turned into JSON by
/// `plain_refusals_in_json`) and its own failures; and, where a route needs a session or a
/// device token, the refusal of a request without one. Added here once rather than on each
/// handler, so no handler's list can forget them; a handler's own answer for a status stays.
struct CommonErrors;

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut Document) {
        let common = [
            ("400", reference("BadRequest")),
            (
                "408",
                error("The request did not arrive in time (`request_timeout`)"),
            ),
            (
                "413",
                error("The request is larger than the server takes (`too_large`)"),
            ),
            (
                "500",
                error("The server failed; nothing of the request was stored (`internal`)"),
            ),
            (
                "503",
                error(
                    "The server cannot answer now; nothing was stored, try again later (`unavailable`)",
                ),
            ),
        ];
        for item in openapi.paths.paths.values_mut() {
            for operation in operations(item) {
                // A requirement's scheme names are private to utoipa; its JSON shows them.
                let schemes: Vec<String> = operation
                    .security
                    .iter()
                    .flatten()
                    .filter_map(|r| serde_json::to_value(r).ok())
                    .filter_map(|v| v.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()))
                    .flatten()
                    .collect();
                let uses = |scheme: &str| schemes.iter().any(|s| s == scheme);
                let mut extra = Vec::new();
                if uses(SESSION) || uses(DEVICE) {
                    extra.push(("401", reference("Unauthorized")));
                }
                if uses(CSRF) || uses(DEVICE) {
                    extra.push(("403", reference("Forbidden")));
                }
                for (status, response) in common.iter().cloned().chain(extra) {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert(response);
                }
            }
        }
    }
}

fn operations(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.options.as_mut(),
        item.head.as_mut(),
        item.patch.as_mut(),
        item.trace.as_mut(),
    ]
    .into_iter()
    .flatten()
}

fn reference(name: &str) -> RefOr<Response> {
    RefOr::Ref(utoipa::openapi::Ref::from_response_name(name))
}

fn error(description: &str) -> RefOr<Response> {
    RefOr::T(
        utoipa::openapi::ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                utoipa::openapi::content::ContentBuilder::new()
                    .schema(Some(utoipa::openapi::Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build(),
    )
}

#[cfg(test)]
mod tests {
    use super::plain_summary;

    #[test]
    fn summaries_lose_the_method_and_path() {
        let check = |line: &str, summary: &str, rest: &str| {
            assert_eq!(plain_summary(line), (summary.to_owned(), rest.to_owned()))
        };
        check(
            "`GET /api/v1/session`: who is signed in.",
            "Who is signed in.",
            "",
        );
        check(
            "`POST /api/v1/enrolments/cell {\"cell\": …}`: one-time codes\nfor a cell. Each is checked.",
            "One-time codes for a cell.",
            "Each is checked.",
        );
        check("One household as merged.", "One household as merged.", "");
        check("`Table` as JSON: rows.", "`Table` as JSON: rows.", "");
    }
}

// The error answers handlers name by `response = …`, one per `ApiError` kind they return.
// They describe `ApiError`'s answers and are never built, hence `dead_code`.

/// A value in the request is wrong, or its body or query is not of the documented shape
/// (`bad_request`); `message` says which.
#[derive(Debug, ToResponse)]
#[allow(dead_code)]
pub struct BadRequest(ErrorBody);

/// Not signed in, the session ended, or the phone's token is missing or unknown
/// (`unauthorized`).
#[derive(Debug, ToResponse)]
#[allow(dead_code)]
pub struct Unauthorized(ErrorBody);

/// Refused (`forbidden`): the caller's role may not do this, the CSRF token is missing or wrong,
/// or the phone was revoked; `message` says why.
#[derive(Debug, ToResponse)]
#[allow(dead_code)]
pub struct Forbidden(ErrorBody);

/// No such thing within the caller's scope (`not_found`): what does not exist and what lies
/// outside the scope are answered alike.
#[derive(Debug, ToResponse)]
#[allow(dead_code)]
pub struct NotFound(ErrorBody);

/// What was to be created exists already (`conflict`).
#[derive(Debug, ToResponse)]
#[allow(dead_code)]
pub struct Conflict(ErrorBody);

/// Too many attempts from this address (`too_many_requests`); `Retry-After` says in how many
/// seconds the next is heard.
#[derive(Debug, ToResponse)]
#[allow(dead_code)]
pub struct TooManyRequests(ErrorBody);
