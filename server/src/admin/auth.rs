//! The admin key check: every admin route wants `Authorization: Bearer <key>`; a missing
//! or wrong key is answered 401 with `admin_key_invalid` before anything else runs.

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use community_protocol::{ApiError, ErrorCode};

use super::AdminState;
use super::error::AdminError;

/// Lets the call through only with the key in force.
pub(crate) async fn require_key(
    State(state): State<AdminState>,
    request: Request,
    next: Next,
) -> Response {
    let presented = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().split_once(' '))
        // The scheme is case-insensitive (RFC 9110 §11.1).
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, key)| key.trim());
    let valid = match presented {
        Some(key) => state.key.check(key).await,
        None => false,
    };
    if !valid {
        return AdminError(ApiError::new(
            ErrorCode::ADMIN_KEY_INVALID,
            "send the deployment's admin key as `Authorization: Bearer <key>`",
        ))
        .into_response();
    }
    next.run(request).await
}
