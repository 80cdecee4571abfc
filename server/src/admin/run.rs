//! Running admin calls in the domain the way WebSocket requests run, outside of any
//! session: the same ordering lane, then `hub.apply`, `hub.deliver` (to every session,
//! none is the caller's), `after_domain` and the member lists (`Shared::commit`), so
//! that sessions receive the events of an admin's change exactly as if a member had
//! made it.
//!
//! The admin API's posts as a user come this way, not through a session, so the content
//! check (before-send webhook) runs here too, and the after-events are queued by
//! `Shared::commit` for both.

use std::sync::Arc;

use community_protocol::{ApiError, CommunityId, ErrorCode, Request, Response, UserId};
use community_server_domain::{Domain, Handled};

use crate::shared::{RunState, Scope, Shared, is_live, is_read_only};

impl Shared {
    /// Runs `request` as `caller` (the app admin, or a user the app's backend acts for),
    /// with every rule of the WebSocket API. Presence, typing and voice need a session
    /// and are refused (`invalid_argument`), as are `login`, `refresh_token` and `logout`.
    pub(crate) async fn handle_as(
        self: &Arc<Self>,
        caller: UserId,
        request: Request,
    ) -> Result<Response, ApiError> {
        if is_live(&request) {
            return Err(ApiError::new(
                ErrorCode::INVALID_ARGUMENT,
                format!("{} needs a WebSocket session", request.op()),
            ));
        }
        let request = match crate::webhooks::before_send::check(&self.hooks, &caller, request).await
        {
            crate::webhooks::before_send::Verdict::Proceed(request) => request,
            crate::webhooks::before_send::Verdict::Answer(answer) => return answer,
        };
        let op = request.op();
        let scope = (!is_read_only(&request)).then(|| Scope::of(&request));
        self.run_change(scope, caller.clone(), op, move |domain| {
            domain.handle(&caller, request)
        })
        .await
    }

    /// Runs an admin change (`op`, as the app admin) in one community's ordering lane
    /// (see [`Shared::handle_as`]).
    pub(crate) async fn run_in_community(
        self: &Arc<Self>,
        community_id: &CommunityId,
        op: &'static str,
        change: impl FnOnce(&Domain) -> Result<Handled, ApiError> + Send + 'static,
    ) -> Result<Response, ApiError> {
        let scope = Scope::Community(community_id.clone());
        self.run_change(Some(scope), UserId::app_admin(), op, change)
            .await
    }

    async fn run_change(
        self: &Arc<Self>,
        scope: Option<Scope>,
        caller: UserId,
        op: &'static str,
        change: impl FnOnce(&Domain) -> Result<Handled, ApiError> + Send + 'static,
    ) -> Result<Response, ApiError> {
        if self.run_state() != RunState::Running {
            return Err(ApiError::new(
                ErrorCode::SHUTTING_DOWN,
                "the server is shutting down",
            ));
        }
        let shared = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            shared.commit(scope.as_ref(), None, &caller, op, change)
        })
        .await
        .unwrap_or_else(|error| {
            let incident = community_server_domain::incident_id();
            tracing::error!(%error, incident, "admin task failed");
            Err(ApiError::incident(
                ErrorCode::INTERNAL,
                "the request failed inside the server",
                incident,
            ))
        })
    }
}
