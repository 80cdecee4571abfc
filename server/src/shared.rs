//! What every connection of one server shares: configuration, domain, hub, token key,
//! the run state, the event wake-up coalescer, and the ordering locks that keep
//! deliveries in commit order.
//!
//! Ordering ([`Ordering`]): a mutating request runs `Domain::handle`, applies the
//! membership changes and pushes the deliveries while holding its *scope's* lock, on a
//! blocking thread. The scope of a request naming a community (`community_id`, including
//! `@me` for direct messages) is that community: requests of one community are ordered
//! among themselves, so two messages committed one after the other in a channel reach
//! every session in that order, while a flood in one community never makes a request of
//! another wait behind its fan-out. Every other mutating request (profile, conversations,
//! blocks, creating a community…) and a login's registration are *global*: they wait for
//! the community scopes in flight and exclude them all while they run, so a login's
//! community list never misses a membership change. Read-only requests take no lock.
//! Nothing awaits while holding one. (The store has a single writer: two communities'
//! commits still take turns there, but only for the commit itself.)
//!
//! Presence, typing and voice requests ([`Shared::handle_live`]) are answered by the hub,
//! in memory: they take no ordering lock and write nothing; their authorisation reads
//! (may the caller type here, see this voice channel, is it a member) run on a blocking
//! thread first. After every domain change the hub updates that state
//! ([`Hub::after_domain`]: viewers and voice seats of members who left, deleted
//! channels), and `sync` / community snapshots get the voice participants added
//! ([`Hub::fill_voice`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use community_protocol::response::{PresenceList, VoiceList};
use community_protocol::{ApiError, CommunityId, ErrorCode, Request, Response, UserId};
use community_server_domain::{Domain, Handled};
use tokio::sync::{Notify, watch};

use crate::ServerConfig;
use crate::hub::outbox::Coalescer;
use crate::hub::{Hub, JoinRefused, LiveConfig, Session, TypingKey};
use crate::sockets::SocketCount;
use crate::token::TokenKey;
use crate::webhooks::{Hooks, WebhookSecret};

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
        if self.0.live.fetch_sub(1, AtomicOrdering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl ConnectionCount {
    /// Counts one more connection until the guard is dropped.
    pub fn enter(&self) -> ConnectionGuard<'_> {
        self.live.fetch_add(1, AtomicOrdering::AcqRel);
        ConnectionGuard(self)
    }

    /// Connections alive now.
    pub fn live(&self) -> usize {
        self.live.load(AtomicOrdering::Acquire)
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
    /// Coalesces the writers' event wake-ups under load.
    pub coalescer: Arc<Coalescer>,
    /// Calls to the app's backend (configuration, secret, HTTP client).
    pub hooks: Arc<Hooks>,
    /// The offline push hand-off's queue and counters.
    pub push: crate::push::queue::Pusher,
    /// The link to the other nodes (`--nats`; `None`: a single node).
    pub cluster: Option<crate::cluster::node::Cluster>,
    /// The ordering locks (see the module documentation).
    pub(crate) order: Ordering,
}

/// How long a busy writer's event wake-ups are coalesced at first (see [`Coalescer`]):
/// a connection written to less than this ago gets its next events at the end of the
/// window, in one write.
pub(crate) const COALESCE_WINDOW: Duration = Duration::from_millis(10);

/// The longest coalescing window, reached while a flood lasts (the window doubles at
/// each coalesced write).
pub(crate) const COALESCE_WINDOW_MAX: Duration = Duration::from_millis(40);

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
        // Until the data directory's secret is given (`with_webhook_secret`), the
        // configured one, or an empty key.
        let hooks = Arc::new(Hooks::new(
            config.webhooks.clone(),
            WebhookSecret::new(config.webhooks.secret.clone().unwrap_or_default()),
        ));
        Self {
            config,
            domain,
            hub,
            tokens,
            run: watch::channel(RunState::Running).0,
            connections: ConnectionCount::default(),
            sockets: SocketCount::default(),
            coalescer: Arc::new(Coalescer::new(COALESCE_WINDOW, COALESCE_WINDOW_MAX)),
            hooks,
            push: crate::push::queue::Pusher::default(),
            cluster: None,
            order: Ordering::default(),
        }
    }

    /// Signs webhook requests with `secret` (the data directory's, read at start).
    pub fn with_webhook_secret(mut self, secret: WebhookSecret) -> Self {
        self.hooks = Arc::new(Hooks::new(self.config.webhooks.clone(), secret));
        self
    }

    /// Links this node to the others (see `crate::cluster`).
    pub fn with_cluster(mut self, cluster: crate::cluster::node::Cluster) -> Self {
        self.cluster = Some(cluster);
        self
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
        // The content check, before the ordering lane (a slow backend holds up only this).
        let request =
            match crate::webhooks::before_send::check(&self.hooks, &session.user_id, request).await
            {
                crate::webhooks::before_send::Verdict::Proceed(request) => request,
                crate::webhooks::before_send::Verdict::Answer(answer) => return answer,
            };
        let shared = Arc::clone(self);
        let session = Arc::clone(session);
        let scope = (!is_read_only(&request)).then(|| Scope::of(&request));
        let outcome = tokio::task::spawn_blocking(move || {
            let caller = &session.user_id;
            shared.commit(scope.as_ref(), Some(&*session), caller, op, |domain| {
                domain.handle(caller, request)
            })
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

    /// The blocking part of a change (on a blocking thread): under `scope`'s ordering lock
    /// (none for a read), runs `change` in the domain, applies its membership changes,
    /// delivers its events (`from`: the session that asked, if any) and updates the hub's
    /// live state and member lists; `caller` and `op` name the change for the after-events
    /// (webhooks). WebSocket requests and the admin API share it.
    pub(crate) fn commit(
        self: &Arc<Self>,
        scope: Option<&Scope>,
        from: Option<&Session>,
        caller: &UserId,
        op: &str,
        change: impl FnOnce(&Domain) -> Result<Handled, ApiError>,
    ) -> Result<Response, ApiError> {
        if scope.is_some() && self.cluster.as_ref().is_some_and(|c| !c.is_up()) {
            return Err(crate::cluster::node::cluster_down());
        }
        let lane = scope.and_then(|scope| self.order.lane(scope));
        let _all = scope.map(|scope| self.order.all(scope));
        let _lane = lane.as_deref().map(lock_lane);
        let handled = change(&self.domain)?;
        if let Some(cluster) = &self.cluster {
            let community = match scope {
                Some(Scope::Community(community)) => Some(community),
                _ => None,
            };
            cluster.publish(community, caller, &handled);
        }
        // Under the lane, so the after-events of one community are queued in commit order.
        self.hooks.after_domain(caller, op, &handled);
        self.hub.apply(&handled.membership);
        let lane_community = match scope {
            Some(Scope::Community(community)) => Some(community),
            _ => None,
        };
        self.deliver_in_order(lane_community, &handled.deliveries, from);
        self.hub.after_domain(&handled);
        self.update_member_lists(&handled);
        self.offer_pushes(&handled);
        let mut response = handled.response;
        self.hub.fill_voice(&mut response);
        Ok(response)
    }

    /// Applies another node's commit (see `crate::cluster`) to the hub, under the same
    /// ordering lane as a local commit of its community: membership first, then the
    /// deliveries, the live state and the member lists. Webhooks and push were handled
    /// by the node that committed it.
    pub(crate) fn apply_remote(&self, community: Option<&CommunityId>, handled: &Handled) {
        let scope = community.map_or(Scope::Global, |c| Scope::Community(c.clone()));
        let lane = self.order.lane(&scope);
        let _all = self.order.all(&scope);
        let _lane = lane.as_deref().map(lock_lane);
        self.hub.apply(&handled.membership);
        self.deliver_in_order(community, &handled.deliveries, None);
        self.hub.after_domain(handled);
        self.update_member_lists(handled);
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
                let text = self.cluster.as_ref().map(|_| p.text.clone());
                hub.set_presence(session, p.status, p.text)?;
                if let (Some(cluster), Some(text)) = (&self.cluster, text) {
                    cluster.publish_presence_choice(user, p.status, &text);
                }
                self.record_presence_choice(user).await;
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
                        if let Some(cluster) = &self.cluster {
                            cluster.publish_typing(user, &key, &audience);
                        }
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
    /// global ordering scope so that no membership change slips between the read and the
    /// registration. The user becomes known to people operations (`Domain::user_seen`).
    pub async fn register(self: &Arc<Self>, session: &Arc<Session>) -> Result<(), ApiError> {
        let shared = Arc::clone(self);
        let session = Arc::clone(session);
        let outcome = tokio::task::spawn_blocking(move || {
            let _all = shared.order.all(&Scope::Global);
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

/// What a mutating request is ordered with (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scope {
    /// The requests of one community (`@me`: all direct messages).
    Community(CommunityId),
    /// Everything: waits for the scopes in flight and excludes them.
    Global,
}

impl Scope {
    /// The scope of `request`: the community it names, else global.
    pub fn of(request: &Request) -> Scope {
        match community_of(request) {
            Some(community) => Scope::Community(community.clone()),
            None => Scope::Global,
        }
    }
}

/// The ordering locks: one per community that had a mutating request, under one
/// reader-writer lock that global requests take exclusively. A community's lane is a few
/// dozen bytes and stays for the server's life.
#[derive(Default)]
pub(crate) struct Ordering {
    all: RwLock<()>,
    lanes: Mutex<HashMap<CommunityId, Arc<Mutex<()>>>>,
}

/// Held while a request of some scope runs: the shared side of the outer lock for a
/// community, its exclusive side for global.
pub(crate) struct AllGuard<'a> {
    _shared: Option<RwLockReadGuard<'a, ()>>,
    _exclusive: Option<RwLockWriteGuard<'a, ()>>,
}

impl Ordering {
    /// The lane of a community scope (none for the global scope). Lock it with
    /// [`lock_lane`] after [`Ordering::all`].
    pub fn lane(&self, scope: &Scope) -> Option<Arc<Mutex<()>>> {
        let Scope::Community(community) = scope else {
            return None;
        };
        // Only map updates happen under this lock.
        let mut lanes = self.lanes.lock().unwrap_or_else(PoisonError::into_inner);
        Some(Arc::clone(lanes.entry(community.clone()).or_default()))
    }

    /// The outer lock of `scope`: shared for a community, exclusive for global.
    pub fn all(&self, scope: &Scope) -> AllGuard<'_> {
        // The locks guard no data: a panic elsewhere leaves nothing inconsistent here.
        match scope {
            Scope::Community(_) => AllGuard {
                _shared: Some(self.all.read().unwrap_or_else(PoisonError::into_inner)),
                _exclusive: None,
            },
            Scope::Global => AllGuard {
                _shared: None,
                _exclusive: Some(self.all.write().unwrap_or_else(PoisonError::into_inner)),
            },
        }
    }
}

/// Locks a community's lane (it guards no data: poisoning is ignored).
pub(crate) fn lock_lane(lane: &Mutex<()>) -> MutexGuard<'_, ()> {
    lane.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The community a request names, if any.
fn community_of(request: &Request) -> Option<&CommunityId> {
    use Request as R;
    Some(match request {
        R::DismissCommunity(p)
        | R::LeaveCommunity(p)
        | R::ListJoinRequests(p)
        | R::GetCommunity(p)
        | R::GetHeads(p)
        | R::ListBans(p) => &p.community_id,
        R::JoinCommunity(p) => &p.community_id,
        R::InviteMembers(p) => &p.community_id,
        R::DecideJoinRequest(p) => &p.community_id,
        R::UpdateCommunity(p) => &p.community_id,
        R::SetAttributes(p) => &p.community_id,
        R::DeleteAttributes(p) => &p.community_id,
        R::SetNotification(p) => &p.community_id,
        R::ListMembers(p) => &p.community_id,
        R::SetMemberRole(p) => &p.community_id,
        R::KickMember(p) | R::TransferOwnership(p) | R::UnbanMember(p) => &p.community_id,
        R::MuteMember(p) => &p.community_id,
        R::SetMuteAll(p) => &p.community_id,
        R::SetNickname(p) => &p.community_id,
        R::CreateChannel(p) => &p.community_id,
        R::UpdateChannel(p) => &p.community_id,
        R::DeleteChannel(p)
        | R::ListChannelMembers(p)
        | R::ListPins(p)
        | R::Typing(p)
        | R::JoinVoice(p)
        | R::ListVoice(p) => &p.community_id,
        R::AddChannelMembers(p) | R::RemoveChannelMembers(p) => &p.community_id,
        R::CreateCategory(p) => &p.community_id,
        R::UpdateCategory(p) => &p.community_id,
        R::DeleteCategory(p) => &p.community_id,
        R::SendMessage(p) => &p.community_id,
        R::GetMessages(p) => &p.community_id,
        R::MarkRead(p) => &p.community_id,
        R::EditMessage(p) => &p.community_id,
        R::RecallMessage(p) | R::PinMessage(p) | R::UnpinMessage(p) | R::HideMessage(p) => {
            &p.community_id
        }
        R::AddReaction(p) | R::RemoveReaction(p) => &p.community_id,
        R::GetChanges(p) => &p.community_id,
        R::CreateGroup(p) => &p.community_id,
        R::UpdateGroup(p) => &p.community_id,
        R::DeleteGroup(p) => &p.community_id,
        R::ReorderGroups(p) => &p.community_id,
        R::AssignGroup(p) | R::UnassignGroup(p) => &p.community_id,
        R::SetChannelOverride(p) => &p.community_id,
        R::SetCategoryOverride(p) => &p.community_id,
        R::BanMember(p) => &p.community_id,
        R::SetChannelNotification(p) => &p.community_id,
        R::SetMemberFields(p) => &p.community_id,
        R::CreateThread(p) => &p.community_id,
        R::UpdateThread(p) => &p.community_id,
        R::DeleteThread(p) | R::GetThread(p) | R::JoinThread(p) | R::LeaveThread(p) => {
            &p.community_id
        }
        R::ListThreads(p) => &p.community_id,
        R::ListJoinedThreads(p) => &p.community_id,
        _ => return None,
    })
}

/// How many times `join_voice` checks again when the community changed meanwhile.
const JOIN_VOICE_TRIES: usize = 3;

/// Presence, typing and voice requests: answered by the hub, in memory.
pub(crate) fn is_live(request: &Request) -> bool {
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
pub(crate) fn is_read_only(request: &Request) -> bool {
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
#[path = "shared_tests.rs"]
mod tests;
