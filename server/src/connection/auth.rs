//! The transport's own requests: `login` (with resume), `refresh_token` and `logout`.
//! Every other request goes to the domain.
//!
//! Login order: user id check (reserved `@` ids refused), token check (malformed, forged, expired, other user), then
//! resume if asked and possible (same user, session still lingering, ring still covering
//! the gap), else a new session registered with the user's communities. Finally any other
//! session of the same user on the same non-empty device id is ended with
//! `goodbye{session_replaced}` and forgotten.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use community_protocol::request::{Login, RefreshToken};
use community_protocol::response::{LoggedIn, TokenRefreshed};
use community_protocol::{ApiError, ErrorCode, GoodbyeReason, Response, UserId};
use tokio::time::Instant;

use crate::hub::{Ending, Goodbye, Outbox, Session};
use crate::shared::{RunState, Shared};
use crate::token::{TokenClaims, unix_now};

/// A successful login: the response to send, then the session to attach to the writer.
pub(crate) struct LoginOutcome {
    /// The `logged_in` response.
    pub response: Response,
    /// The session, already attached to this connection's outbox.
    pub session: Arc<Session>,
    /// When the token expires.
    pub token_deadline: Instant,
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A token's expiry (unix seconds) in milliseconds, as the wire carries it; expiries past
/// what `i64` milliseconds can say are capped instead of wrapping negative.
pub(crate) fn expires_at_ms(expires_at: u64) -> i64 {
    i64::try_from(expires_at)
        .unwrap_or(i64::MAX)
        .saturating_mul(1000)
}

/// The instant a token expiring at `expires_at` (unix seconds) stops being valid.
pub(crate) fn deadline_of(expires_at: u64) -> Instant {
    let left = expires_at.saturating_sub(unix_now());
    // Far-future tokens: cap so the addition cannot overflow.
    Instant::now() + Duration::from_secs(left.min(100 * 365 * 24 * 3600))
}

fn verify(shared: &Shared, token: &str, user_id: &UserId) -> Result<TokenClaims, ApiError> {
    Ok(shared
        .tokens
        .verify_for(token, user_id.as_str(), unix_now())?)
}

/// Logs a connection in. See the module documentation for the order of checks.
pub(crate) async fn login(
    shared: &Arc<Shared>,
    outbox: &Arc<Outbox>,
    params: Login,
) -> Result<LoginOutcome, ApiError> {
    crate::token::check_login_user_id(params.user_id.as_str())?;
    let claims = verify(shared, &params.token, &params.user_id)?;
    if shared.run_state() != RunState::Running {
        return Err(ApiError::new(
            ErrorCode::SHUTTING_DOWN,
            "the server is shutting down",
        ));
    }
    let resumed = params.resume.as_ref().and_then(|resume| {
        try_resume(
            shared,
            outbox,
            &params.user_id,
            &resume.session_id,
            resume.last_event_seq,
        )
    });
    let (session, event_seq, was_resumed) = match resumed {
        Some((session, last)) => (session, last, true),
        None => {
            let session = shared.hub.new_session(&params.user_id, &params.device_id);
            // Until attached, an error or the connection dropping mid-login (this future
            // is then dropped) forgets the session, so it cannot leak in the hub.
            let pending = ForgetUnlessAttached {
                shared,
                session: Some(Arc::clone(&session)),
            };
            shared.register(&session).await?;
            let attached = session.attach(outbox, 0);
            pending.disarm();
            let Some((last, _)) = attached else {
                // Only possible when the session was forgotten in between (replaced by a
                // concurrent login of the same device).
                return Err(ApiError::new(
                    ErrorCode::SHUTTING_DOWN,
                    "session ended during login; retry",
                ));
            };
            (session, last, false)
        }
    };
    shared
        .hub
        .replace_same_device(&params.user_id, &session.device_id, Some(session.key));
    if let Some(cluster) = &shared.cluster
        && !session.device_id.is_empty()
    {
        // The device's sessions on the other nodes are replaced too.
        cluster.publish_device_login(&params.user_id, &session.device_id);
    }
    shared.hub.attached(&session);
    tracing::info!(user = %params.user_id, session = %session.id, resumed = was_resumed, event_seq, "logged in");
    let response = Response::LoggedIn(LoggedIn {
        user_id: params.user_id,
        session_id: session.id.clone(),
        resumed: was_resumed,
        event_seq,
        token_expires_at_ms: expires_at_ms(claims.expires_at),
        limits: shared.domain.limits().clone(),
        server_time_ms: now_ms(),
    });
    Ok(LoginOutcome {
        response,
        session,
        token_deadline: deadline_of(claims.expires_at),
    })
}

/// Forgets a new session when dropped armed (a login that failed or was abandoned).
struct ForgetUnlessAttached<'a> {
    shared: &'a Shared,
    session: Option<Arc<Session>>,
}

impl ForgetUnlessAttached<'_> {
    fn disarm(mut self) {
        self.session = None;
    }
}

impl Drop for ForgetUnlessAttached<'_> {
    fn drop(&mut self) {
        if let Some(session) = self.session.take() {
            tracing::debug!(session = %session.id, "login abandoned; session forgotten");
            self.shared.hub.forget(&session);
        }
    }
}

/// Attaches the lingering session if it can be resumed from `last_event_seq`; a session
/// that cannot be resumed is forgotten (the client will sync into a new one).
fn try_resume(
    shared: &Shared,
    outbox: &Arc<Outbox>,
    user_id: &UserId,
    session_id: &str,
    last_event_seq: u64,
) -> Option<(Arc<Session>, u64)> {
    let session = shared.hub.find(user_id, session_id)?;
    match session.attach(outbox, last_event_seq) {
        Some((last, previous)) => {
            if let Some(previous) = previous {
                previous.end(Ending::Goodbye(Goodbye::new(
                    GoodbyeReason::SessionReplaced,
                    false,
                    "the session was resumed on another connection",
                )));
            }
            Some((session, last))
        }
        None => {
            tracing::info!(session = %session.id, last_event_seq, "session cannot be resumed; client must sync");
            if let Some(previous) = shared.hub.forget(&session) {
                previous.end(Ending::Goodbye(Goodbye::new(
                    GoodbyeReason::SessionReplaced,
                    false,
                    "the session was replaced by a new login",
                )));
            }
            None
        }
    }
}

/// Verifies a new token for the logged-in user; returns the response and new deadline.
pub(crate) fn refresh(
    shared: &Shared,
    session: &Session,
    params: RefreshToken,
) -> Result<(Response, Instant), ApiError> {
    let claims = verify(shared, &params.token, &session.user_id)?;
    let response = Response::TokenRefreshed(TokenRefreshed {
        expires_at_ms: expires_at_ms(claims.expires_at),
    });
    Ok((response, deadline_of(claims.expires_at)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn far_future_expiries_are_capped_not_wrapped() {
        assert_eq!(expires_at_ms(2_000), 2_000_000);
        assert_eq!(expires_at_ms(u64::MAX), i64::MAX);
        assert_eq!(expires_at_ms(i64::MAX as u64 / 10), i64::MAX);
        assert!(deadline_of(u64::MAX) > Instant::now());
    }
}
