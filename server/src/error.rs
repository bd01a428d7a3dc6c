//! Errors as HTTP answers: each kind maps to a status and a JSON body that says what was wrong,
//! a stable `error` code and a `message` from core's catalogue in the reader's language (their
//! `Accept-Language`; Vietnamese unless it asks for English). A server fault is logged with its
//! cause; the client is told only that it failed.

use axum::Json;
use axum::extract::Request;
use axum::extract::rejection::JsonRejection;
use axum::http::header::{ACCEPT_LANGUAGE, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hosync_core::messages::{Lang, Message, Storage, Thing};
use hosync_core::protocol::{DecodeError, ErrorBody};

use crate::storage::db::StorageTrouble;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(Message),
    #[error("{0}")]
    UpdateApp(Message),
    #[error("{0}")]
    TooLarge(Message),
    /// Not signed in, or the session ended.
    #[error("{0}")]
    Unauthorized(Message),
    #[error("{0}")]
    Forbidden(Message),
    #[error("{0}")]
    NotFound(Message),
    /// The thing to create exists already.
    #[error("{0}")]
    Conflict(Message),
    /// The request did not arrive in time (a stalled or very slow connection).
    #[error("{0}")]
    Timeout(Message),
    /// The server cannot do it now (its storage is full, or it took too long); nothing was
    /// stored, and trying again later is safe.
    #[error("{0}")]
    Unavailable(Message),
    /// Too many attempts; `retry_after` seconds until the next one is heard.
    #[error("{message}")]
    TooManyRequests { message: Message, retry_after: i64 },
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

tokio::task_local! {
    /// The language of the request being answered, set by [`reader_language`] around every
    /// request, so that an error renders its message for whoever reads it.
    static LANG: Lang;
}

/// The language the request being answered asked for (Vietnamese outside a request).
pub fn current_lang() -> Lang {
    LANG.try_with(|lang| *lang).unwrap_or_default()
}

/// The language an `Accept-Language` header asks for; Vietnamese without one.
pub fn lang_of(headers: &HeaderMap) -> Lang {
    headers
        .get(ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map_or(Lang::Vi, Lang::from_accept_language)
}

/// Middleware: answers the request in the language its `Accept-Language` asks for.
pub async fn reader_language(request: Request, next: Next) -> Response {
    let lang = lang_of(request.headers());
    LANG.scope(lang, next.run(request)).await
}

/// A storage failure as the reader is told it.
fn storage_message(trouble: StorageTrouble) -> Message {
    Message::Storage(match trouble {
        StorageTrouble::Full => Storage::Full,
        StorageTrouble::ReadOnly => Storage::ReadOnly,
        StorageTrouble::Unreachable => Storage::Unreachable,
    })
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        match StorageTrouble::of(&e) {
            Some(trouble) => {
                tracing::error!("{trouble}: {e}");
                ApiError::Unavailable(storage_message(trouble))
            }
            None => ApiError::Internal(e.into()),
        }
    }
}

impl ApiError {
    /// The status this error is answered with and its stable `error` code, which the sync
    /// metrics count outcomes by too. A storage failure deep inside a request is answered as
    /// one: 503, `unavailable`.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::UpdateApp(_) => (StatusCode::UPGRADE_REQUIRED, "update_app"),
            ApiError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::Timeout(_) => (StatusCode::REQUEST_TIMEOUT, "request_timeout"),
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::TooManyRequests { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "too_many_requests")
            }
            ApiError::Internal(cause) if StorageTrouble::in_error(cause).is_some() => {
                (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
            }
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    /// The answer for something that does not exist, or lies outside the caller's scope: the
    /// two are told apart to nobody, so refusals reveal nothing of other units.
    pub fn unseen(what: Thing) -> ApiError {
        ApiError::NotFound(Message::Unseen(what))
    }

    /// A refusal about `what`: outside the scope it is [`ApiError::unseen`], inside it a 403
    /// that says why.
    pub fn denied(denied: hosync_core::Denied, what: Thing) -> ApiError {
        match denied {
            hosync_core::Denied::OutOfScope => ApiError::unseen(what),
            hosync_core::Denied::NotAllowed(why) => ApiError::Forbidden(why),
        }
    }

    /// A request that names something wrongly: an id, a code or a date that did not parse.
    pub fn bad(e: impl Into<Message>) -> ApiError {
        ApiError::BadRequest(e.into())
    }
}

impl From<hosync_core::Denied> for ApiError {
    fn from(e: hosync_core::Denied) -> Self {
        ApiError::denied(e, Thing::Unnamed)
    }
}

/// A JSON body that did not parse says why, in the same shape as every other error.
impl From<JsonRejection> for ApiError {
    fn from(e: JsonRejection) -> Self {
        ApiError::BadRequest(Message::BadShape(e.body_text()))
    }
}

impl From<DecodeError> for ApiError {
    fn from(e: DecodeError) -> Self {
        match e {
            DecodeError::UnsupportedVersion { .. } => ApiError::UpdateApp(e.into()),
            DecodeError::TooLarge { .. } => ApiError::TooLarge(e.into()),
            other => ApiError::BadRequest(other.into()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = match &self {
            // A storage failure deep inside a request still says what it is.
            ApiError::Internal(cause) if let Some(trouble) = StorageTrouble::in_error(cause) => {
                tracing::error!("request failed: {cause:#}");
                return ApiError::Unavailable(storage_message(trouble)).into_response();
            }
            ApiError::Internal(cause) => {
                tracing::error!("request failed: {cause:#}");
                Message::ServerFailed.render(current_lang())
            }
            ApiError::BadRequest(m)
            | ApiError::UpdateApp(m)
            | ApiError::TooLarge(m)
            | ApiError::Unauthorized(m)
            | ApiError::Forbidden(m)
            | ApiError::NotFound(m)
            | ApiError::Conflict(m)
            | ApiError::Timeout(m)
            | ApiError::Unavailable(m)
            | ApiError::TooManyRequests { message: m, .. } => m.render(current_lang()),
        };
        let mut response = (
            status,
            Json(ErrorBody {
                error: code.to_owned(),
                message,
            }),
        )
            .into_response();
        if let ApiError::TooManyRequests { retry_after, .. } = &self {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from((*retry_after).max(1)));
        }
        response
    }
}
