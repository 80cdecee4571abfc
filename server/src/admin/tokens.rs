//! `POST /admin/v1/tokens`: login tokens for the app's backend (what the `token` command
//! of the CLI does offline). Reserved ids (starting with `@`) get none.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use serde::{Deserialize, Serialize};

use super::AdminState;
use super::error::{AdminError, AdminResult};
use crate::token::{check_login_user_id, unix_now};

/// Default validity of an issued token: one day.
pub(crate) const DEFAULT_TTL_SECONDS: u64 = 86_400;
/// Longest validity of an issued token: one year.
pub(crate) const MAX_TTL_SECONDS: u64 = 366 * 86_400;

/// The body of `POST /admin/v1/tokens`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct IssueToken {
    user_id: String,
    #[serde(default)]
    ttl_seconds: Option<u64>,
}

/// Its answer.
#[derive(Debug, Serialize)]
pub(crate) struct IssuedToken {
    token: String,
    expires_at_ms: u64,
}

/// Issues a token for `user_id`, valid for `ttl_seconds` (1..=one year, default a day).
pub(crate) async fn issue(
    State(state): State<AdminState>,
    body: Result<Json<IssueToken>, JsonRejection>,
) -> AdminResult<Json<IssuedToken>> {
    let Json(body) = body?;
    check_login_user_id(&body.user_id)?;
    let ttl = body.ttl_seconds.unwrap_or(DEFAULT_TTL_SECONDS);
    if ttl == 0 || ttl > MAX_TTL_SECONDS {
        return Err(AdminError(community_protocol::ApiError::new(
            community_protocol::ErrorCode::INVALID_ARGUMENT,
            format!("ttl_seconds must be 1 to {MAX_TTL_SECONDS}"),
        )));
    }
    let expires_at = unix_now().saturating_add(ttl);
    let token = state.shared.tokens.issue(&body.user_id, expires_at);
    Ok(Json(IssuedToken {
        token,
        expires_at_ms: expires_at.saturating_mul(1000),
    }))
}
