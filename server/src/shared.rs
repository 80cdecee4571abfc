//! What every connection of one server shares: configuration, domain, hub, token key,
//! the run state, and the ordering lock that keeps deliveries in commit order.
//!
//! Ordering: a mutating request runs `Domain::handle`, applies the membership changes and
//! pushes the deliveries while holding one lock, on a blocking thread. So two messages
//! committed one after the other in a channel reach every session in that order, and a
//! login's community list (read under the same lock) never misses a membership change.
//! Read-only requests skip the lock. Nothing awaits while holding it.
//!
//! Presence, typing and voice requests ([`Shared::handle_live`]) are answered by the hub,
//! in memory: they take no ordering lock and write nothing; their authorisation reads
//! (may the caller type here, see this voice channel, is it a member) run on a blocking
//! thread first. After every domain change the hub updates that state
//! ([`Hub::after_domain`]: viewers and voice seats of members who left, deleted
//! channels), and `sync` / community snapshots get the voice participants added
//! ([`Hub::fill_voice`]).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use community_protocol::response::{PresenceList, VoiceList};
use community_protocol::{ApiError, ErrorCode, Request, Response};
use community_server_domain::Domain;
use tokio::sync::{Notify, watch};

use crate::ServerConfig;
use crate::hub::{Hub, JoinRefused, LiveConfig, Session, TypingKey};
use crate::sockets::SocketCount;
use crate::token::TokenKey;

/// The life cycle of a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RunState {
    /// Serving.
    Running,
    /// Graceful shutdown: every connection says goodbye and closes.
    Draining,
    /// Abrupt stop: every connection is dropped without a goodbye.
    Killed,
}

/// Counts live connections so a shutdown can wait for them to finish.
#[derive(Default)]
pub(crate) struct ConnectionCount {
    live: AtomicUsize,
    idle: Notify,
}

/// Held by a connection task for its whole life.
pub(crate) struct ConnectionGuard<'a>(&'a ConnectionCount);

impl Drop for ConnectionGuard<'_> {
    fn drop(&mut self) {
        if self.0.live.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl ConnectionCount {
    /// Counts one more connection until the guard is dropped.
    pub fn enter(&self) -> ConnectionGuard<'_> {
        self.live.fetch_add(1, Ordering::AcqRel);
        ConnectionGuard(self)
    }

    /// Connections alive now.
    pub fn live(&self) -> usize {
        self.live.load(Ordering::Acquire)
    }

    /// Waits until no connection is alive, at most `timeout`. True when none is left.
    pub async fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let idle = self.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            if self.live() == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, idle).await.is_err() {
                return self.live() == 0;
            }
        }
    }
}

/// State shared by all connections of one server.
pub(crate) struct Shared {
    /// The configuration the server started with.
    pub config: ServerConfig,
    /// The domain (blocking; used from blocking threads only).
    pub domain: Domain,
    /// Sessions and fan-out.
    pub hub: Hub,
    /// Verifies login tokens.
    pub tokens: TokenKey,
    /// Running, draining or killed; connections watch it.
    pub run: watch::Sender<RunState>,
    /// Live WebSocket connections.
    pub connections: ConnectionCount,
    /// Open TCP connections (upgraded or not), bounded by `max_connections`.
    pub sockets: SocketCount,
    order: Mutex<()>,
}

impl Shared {
    /// Shared state for a server with this configuration, domain and key.
    pub fn new(config: ServerConfig, domain: Domain, tokens: TokenKey) -> Self {
        let hub = Hub::new(
            config.ring_capacity(),
            config.session_queue_capacity,
            config.max_sessions_per_user,
        )
        .with_digest_window(config.thread_digest_interval)
        .with_live(LiveConfig::new(
            &config.limits,
            config
                .presence_grace
                .min(config.heartbeat_interval.saturating_mul(2)),
        ));
        Self {
            config,
            domain,
            hub,
            tokens,
            run: watch::channel(RunState::Running).0,
            connections: ConnectionCount::default(),
            sockets: SocketCount::default(),
            order: Mutex::new(()),
        }
    }

    /// Runs a request of `session`'s user in the domain (on a blocking thread), applies
    /// its membership changes and delivers its events, and returns the response.
    pub async fn handle(
        self: &Arc<Self>,
        session: &Arc<Session>,
        request: Request,
    ) -> Result<Response, ApiError> {
        let op = request.op();
        // Debug builds (and so every test) check that each answer is of the kind its
        // operation promises (`Request::accepts`); the request is moved into the domain,
        // so a copy is kept for that check only.
        let probe = cfg!(debug_assertions).then(|| request.clone());
        if is_live(&request) {
            let outcome = self.handle_live(session, request).await;
            if let (Some(probe), Ok(response)) = (&probe, &outcome) {
                debug_assert!(
                    probe.accepts(response),
                    "{op} answered with a `{}` response",
                    response.kind()
                );
            }
            return outcome;
        }
        let shared = Arc::clone(self);
        let session = Arc::clone(session);
        let ordered = !is_read_only(&request);
        let outcome = tokio::task::spawn_blocking(move || {
            let _order =
                ordered.then(|| shared.order.lock().unwrap_or_else(PoisonError::into_inner));
            let handled = shared.domain.handle(&session.user_id, request)?;
            shared.hub.apply(&handled.membership);
            shared.hub.deliver(&handled.deliveries, Some(&session));
            shared.hub.after_domain(&handled);
            shared.update_member_lists(&handled);
            let mut response = handled.response;
            shared.hub.fill_voice(&mut response);
            Ok(response)
        })
        .await;
        if let (Some(probe), Ok(Ok(response))) = (&probe, &outcome) {
            debug_assert!(
                probe.accepts(response),
                "{op} answered with a `{}` response",
                response.kind()
            );
        }
        outcome.unwrap_or_else(|error| {
            let incident = community_server_domain::incident_id();
            tracing::error!(%error, op, incident, "request task failed");
            Err(ApiError::incident(
                ErrorCode::INTERNAL,
                "the request failed inside the server",
                incident,
            ))
        })
    }

    /// Answers a presence, typing or voice request (see the module documentation).
    async fn handle_live(
        self: &Arc<Self>,
        session: &Arc<Session>,
        request: Request,
    ) -> Result<Response, ApiError> {
        let hub = &self.hub;
        let user = &session.user_id;
        match request {
            Request::SetPresence(p) => {
                hub.set_presence(session, p.status, p.text)?;
                Ok(Response::Ok)
            }
            Request::SubscribePresence(p) => {
                let presences = hub.subscribe_presence(session, &p.user_ids)?;
                Ok(Response::Presences(PresenceList { presences }))
            }
            Request::UnsubscribePresence(p) => {
                hub.unsubscribe_presence(session, &p.user_ids);
                Ok(Response::Ok)
            }
            Request::ViewCommunity(p) => {
                let community = p.community_id.clone();
                match hub.view_community(session, p.community_id) {
                    Ok(viewing) => Ok(Response::Viewing(viewing)),
                    Err(Some(error)) => Err(error),
                    Err(None) => {
                        // Not a member as far as the hub knows: the domain says which
                        // error (no such community, or not a member).
                        let community = community.unwrap_or_default();
                        let user = user.clone();
                        self.read(move |domain| domain.check_member(&user, &community))
                            .await?;
                        Err(ApiError::new(
                            ErrorCode::NOT_MEMBER,
                            "you are not a member of this community",
                        ))
                    }
                }
            }
            Request::Typing(p) => {
                let key = TypingKey {
                    community_id: p.community_id,
                    channel_id: p.channel_id,
                };
                let Some(ticket) = hub.typing_admit(user, &key, Instant::now()) else {
                    return Ok(Response::Ok);
                };
                let (caller, at) = (user.clone(), key.clone());
                let audience = self
                    .read(move |domain| {
                        domain.typing_audience(&caller, &at.community_id, &at.channel_id)
                    })
                    .await;
                match audience {
                    Ok(audience) => {
                        hub.typing(user, &key, audience, Instant::now());
                        Ok(Response::Ok)
                    }
                    Err(error) => {
                        hub.typing_revoke(user, &key, ticket);
                        Err(error)
                    }
                }
            }
            Request::JoinVoice(p) => {
                // A channel removed or a membership lost while the check read moves the
                // hub's epoch: check again (rare; a few tries).
                for _ in 0..JOIN_VOICE_TRIES {
                    let epoch = hub.live_epoch();
                    let (caller, at) = (user.clone(), p.clone());
                    let audience = self
                        .read(move |domain| {
                            domain.voice_channel(&caller, &at.community_id, &at.channel_id, true)
                        })
                        .await?;
                    match hub.join_voice(user, &p.community_id, &p.channel_id, audience, epoch) {
                        Ok(()) => return Ok(Response::Ok),
                        Err(JoinRefused::Error(error)) => return Err(error),
                        Err(JoinRefused::Stale) => continue,
                    }
                }
                Err(ApiError::new(
                    ErrorCode::INTERNAL,
                    "the community changed while joining; retry",
                ))
            }
            Request::LeaveVoice(_) => {
                hub.leave_voice(user);
                Ok(Response::Ok)
            }
            Request::ListVoice(p) => {
                let (caller, at) = (user.clone(), p.clone());
                self.read(move |domain| {
                    domain.voice_channel(&caller, &at.community_id, &at.channel_id, false)
                })
                .await?;
                let participants = hub.list_voice(&p.community_id, &p.channel_id);
                Ok(Response::Voice(VoiceList { participants }))
            }
            Request::Focus(p) => self.focus(session, p).await,
            Request::SubscribeMemberList(p) => self.subscribe_member_list(session, p).await,
            Request::UnsubscribeMemberList(_) => Ok(self.unsubscribe_member_list(session)),
            other => Err(ApiError::new(
                ErrorCode::INTERNAL,
                format!("{} is not a live operation", other.op()),
            )),
        }
    }

    /// Runs a domain read on a blocking thread (no ordering lock).
    pub(crate) async fn read<T: Send + 'static>(
        self: &Arc<Self>,
        body: impl FnOnce(&Domain) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let shared = Arc::clone(self);
        tokio::task::spawn_blocking(move || body(&shared.domain))
            .await
            .unwrap_or_else(|error| {
                let incident = community_server_domain::incident_id();
                tracing::error!(%error, incident, "read task failed");
                Err(ApiError::incident(
                    ErrorCode::INTERNAL,
                    "the request failed inside the server",
                    incident,
                ))
            })
    }

    /// Registers a new session in the hub with its user's communities, read under the
    /// ordering lock so that no membership change slips between the read and the
    /// registration. The user becomes known to people operations (`Domain::user_seen`).
    pub async fn register(self: &Arc<Self>, session: &Arc<Session>) -> Result<(), ApiError> {
        let shared = Arc::clone(self);
        let session = Arc::clone(session);
        let outcome = tokio::task::spawn_blocking(move || {
            let _order = shared.order.lock().unwrap_or_else(PoisonError::into_inner);
            shared.domain.user_seen(&session.user_id)?;
            let communities = shared.domain.joined_community_ids(&session.user_id)?;
            shared.hub.register(&session, communities);
            Ok(())
        })
        .await;
        outcome.unwrap_or_else(|error| {
            let incident = community_server_domain::incident_id();
            tracing::error!(%error, incident, "login task failed");
            Err(ApiError::incident(
                ErrorCode::INTERNAL,
                "login failed inside the server",
                incident,
            ))
        })
    }

    /// The current run state.
    pub fn run_state(&self) -> RunState {
        *self.run.borrow()
    }
}

/// How many times `join_voice` checks again when the community changed meanwhile.
const JOIN_VOICE_TRIES: usize = 3;

/// Presence, typing and voice requests: answered by the hub, in memory.
fn is_live(request: &Request) -> bool {
    matches!(
        request,
        Request::SetPresence(_)
            | Request::SubscribePresence(_)
            | Request::UnsubscribePresence(_)
            | Request::ViewCommunity(_)
            | Request::Typing(_)
            | Request::JoinVoice(_)
            | Request::LeaveVoice(_)
            | Request::ListVoice(_)
            | Request::Focus(_)
            | Request::SubscribeMemberList(_)
            | Request::UnsubscribeMemberList(_)
    )
}

/// Requests that never change anything (and so need no ordering).
fn is_read_only(request: &Request) -> bool {
    matches!(
        request,
        Request::Sync(_)
            | Request::ListJoinRequests(_)
            | Request::ListJoinedCommunities(_)
            | Request::GetCommunity(_)
            | Request::ListMembers(_)
            | Request::ListChannelMembers(_)
            | Request::GetMessages(_)
            | Request::GetHeads(_)
            | Request::ListPins(_)
            | Request::GetChanges(_)
            | Request::ListBans(_)
            | Request::GetThread(_)
            | Request::ListThreads(_)
            | Request::ListJoinedThreads(_)
            | Request::GetProfiles(_)
            | Request::ListConversations(_)
            | Request::ListBlocked(_)
            | Request::SearchMessages(_)
            | Request::SearchChannels(_)
            | Request::SearchCommunities(_)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn connection_count_waits_for_the_last() {
        let count = Arc::new(ConnectionCount::default());
        assert!(count.wait_idle(Duration::from_millis(1)).await);
        let guard = count.enter();
        assert!(!count.wait_idle(Duration::from_millis(20)).await);
        let waiter = tokio::spawn({
            let count = Arc::clone(&count);
            async move { count.wait_idle(Duration::from_secs(10)).await }
        });
        drop(guard);
        assert!(waiter.await.unwrap());
    }

    #[test]
    fn reads_are_not_ordered() {
        assert!(is_read_only(&Request::GetHeads(
            community_protocol::request::CommunityRef {
                community_id: "c".into()
            }
        )));
        assert!(!is_read_only(&Request::Logout(
            community_protocol::request::Empty {}
        )));
    }
}
