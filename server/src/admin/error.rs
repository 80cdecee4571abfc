//! Errors of the admin API: the protocol's typed errors ([`ApiError`], the same codes as
//! the WebSocket API), answered with an HTTP status chosen by the code's kind and the
//! JSON body `{"error":{"code":…,"name":"…","message":"…"}}`.
//!
//! Status by kind: `Protocol` → 400 (`unknown_op`, no such route: 404), `Auth` → 401 (`invalid_user_id`: 400), `NotFound` →
//! 404 (the "already exists" codes → 409, `invalid_cursor` → 400), `Permission` → 403,
//! `Limit` → 422 (`channel_rate_limited` → 429), `Server` → 503 (`internal` → 500).

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use community_protocol::{ApiError, ErrorCode, ErrorKind};
use serde::Serialize;

/// A refused admin call.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct AdminError(pub ApiError);

impl From<ApiError> for AdminError {
    fn from(error: ApiError) -> Self {
        Self(error)
    }
}

impl From<JsonRejection> for AdminError {
    fn from(rejection: JsonRejection) -> Self {
        Self(ApiError::new(
            ErrorCode::INVALID_PARAMS,
            format!(
                "the body is not the expected JSON: {}",
                rejection.body_text()
            ),
        ))
    }
}

impl From<QueryRejection> for AdminError {
    fn from(rejection: QueryRejection) -> Self {
        Self(ApiError::new(
            ErrorCode::INVALID_PARAMS,
            format!("the query string is not valid: {}", rejection.body_text()),
        ))
    }
}

/// The result of an admin handler.
pub(crate) type AdminResult<T> = Result<T, AdminError>;

/// The HTTP status of an error code.
pub(crate) fn status(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::INVALID_USER_ID | ErrorCode::INVALID_CURSOR => StatusCode::BAD_REQUEST,
        ErrorCode::COMMUNITY_EXISTS
        | ErrorCode::ALREADY_MEMBER
        | ErrorCode::JOIN_REQUEST_PENDING
        | ErrorCode::THREAD_EXISTS => StatusCode::CONFLICT,
        ErrorCode::CHANNEL_RATE_LIMITED => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::UNKNOWN_OP => StatusCode::NOT_FOUND,
        ErrorCode::INTERNAL => StatusCode::INTERNAL_SERVER_ERROR,
        code => match code.kind() {
            ErrorKind::Protocol => StatusCode::BAD_REQUEST,
            ErrorKind::Auth => StatusCode::UNAUTHORIZED,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Permission => StatusCode::FORBIDDEN,
            ErrorKind::Limit => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorKind::Server => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        },
    }
}

#[derive(Serialize)]
struct Body<'a> {
    error: Detail<'a>,
}

#[derive(Serialize)]
struct Detail<'a> {
    code: u16,
    name: &'static str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    incident_id: Option<&'a str>,
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let error = &self.0;
        let body = Body {
            error: Detail {
                code: error.code.0,
                name: error.code.name(),
                message: &error.message,
                incident_id: error.incident_id.as_deref(),
            },
        };
        let mut response = (status(error.code), Json(body)).into_response();
        // The audit line names the code (see `audit`).
        response.extensions_mut().insert(error.code);
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_kinds() {
        assert_eq!(
            status(ErrorCode::ADMIN_KEY_INVALID),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            status(ErrorCode::COMMUNITY_NOT_FOUND),
            StatusCode::NOT_FOUND
        );
        assert_eq!(status(ErrorCode::OWNER_ONLY), StatusCode::FORBIDDEN);
        assert_eq!(
            status(ErrorCode::TOO_MANY_INVITEES),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(status(ErrorCode::INVALID_PARAMS), StatusCode::BAD_REQUEST);
        assert_eq!(status(ErrorCode::STORAGE), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            status(ErrorCode::INTERNAL),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(status(ErrorCode::ALREADY_MEMBER), StatusCode::CONFLICT);
    }
}
