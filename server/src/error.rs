//! Errors as HTTP answers: each kind maps to a status and a JSON body that says what was wrong.
//! A server fault is logged with its cause; the client is told only that it failed.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use hosync_core::protocol::{DecodeError, ErrorBody};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    UpdateApp(String),
    #[error("{0}")]
    TooLarge(String),
    /// Not signed in, or the session ended.
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// The thing to create exists already.
    #[error("{0}")]
    Conflict(String),
    /// The request did not arrive in time (a stalled or very slow connection).
    #[error("{0}")]
    Timeout(String),
    /// The server cannot do it now (its storage is full, or it took too long); nothing was
    /// stored, and trying again later is safe.
    #[error("{0}")]
    Unavailable(String),
    /// Too many attempts; `retry_after` seconds until the next one is heard.
    #[error("{message}")]
    TooManyRequests { message: String, retry_after: i64 },
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        match crate::storage::db::StorageTrouble::of(&e) {
            Some(trouble) => {
                tracing::error!("{trouble}: {e}");
                ApiError::Unavailable(format!(
                    "{trouble}: nothing from this request was stored, and nothing is lost; try again later"
                ))
            }
            None => ApiError::Internal(e.into()),
        }
    }
}

impl ApiError {
    /// The answer for something that does not exist, or lies outside the caller's scope: the
    /// two are told apart to nobody, so refusals reveal nothing of other units.
    pub fn unseen(what: &str) -> ApiError {
        ApiError::NotFound(format!("there is no {what} within your scope"))
    }

    /// A refusal about `what`: outside the scope it is [`ApiError::unseen`], inside it a 403
    /// that says why.
    pub fn denied(denied: hosync_core::Denied, what: &str) -> ApiError {
        match denied {
            hosync_core::Denied::OutOfScope => ApiError::unseen(what),
            hosync_core::Denied::NotAllowed(why) => ApiError::Forbidden(why),
        }
    }
}

impl From<hosync_core::Denied> for ApiError {
    fn from(e: hosync_core::Denied) -> Self {
        ApiError::denied(e, "such thing")
    }
}

/// A JSON body that did not parse says why, in the same shape as every other error.
impl From<JsonRejection> for ApiError {
    fn from(e: JsonRejection) -> Self {
        ApiError::BadRequest(e.body_text())
    }
}

impl From<DecodeError> for ApiError {
    fn from(e: DecodeError) -> Self {
        match e {
            DecodeError::UnsupportedVersion { .. } => ApiError::UpdateApp(e.to_string()),
            DecodeError::TooLarge { .. } => ApiError::TooLarge(e.to_string()),
            other => ApiError::BadRequest(other.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
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
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        let message = match &self {
            // A storage failure deep inside a request still says what it is.
            ApiError::Internal(cause)
                if let Some(trouble) = crate::storage::db::StorageTrouble::in_error(cause) =>
            {
                tracing::error!("request failed: {cause:#}");
                return ApiError::Unavailable(format!(
                    "{trouble}: nothing from this request was stored, and nothing is lost; try again later"
                ))
                .into_response();
            }
            ApiError::Internal(cause) => {
                tracing::error!("request failed: {cause:#}");
                "the server failed to handle the request; nothing from it was stored".to_owned()
            }
            other => other.to_string(),
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
