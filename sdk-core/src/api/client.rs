//! [`Client`] and [`ClientBuilder`]: the entry point of the SDK.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use community_protocol::push::PushPlatform;
use community_protocol::request::{CreateCommunity, JoinCommunity, PageQuery, RefreshToken};
use community_protocol::{
    CommunityId, CommunityInfo, ErrorKind, Limits, Page, Seq, TimestampMs, UserId, limits, op,
};
use tokio::task::JoinHandle;
use tracing::Instrument;

use super::{CommunityHandle, JoinOutcome};
use crate::backoff::BackoffConfig;
use crate::config::{ClientConfig, TokenProvider};
use crate::error::SdkError;
use crate::events::{Hub, Outlet, Publication, Sink, Subscription, UnreadChange, queue};
use crate::model::{
    CommunityEntry, ConnectionState, DisconnectReason, ListDiff, LocalMessage, LoginOutcome,
    MessageUpdate, PendingChange, SyncState, UnreadTotals, UnreadUpdate,
};
use crate::session::{Phase, UserSession};
use crate::store::StoreOptions;
use crate::sync::LocalUpdate;

/// Name of the file in the data directory that remembers the last logged-in user, so a
/// restarted app shows that user's cache before (or without) logging in.
const LAST_USER_FILE: &str = "last_user";

/// Builds a [`Client`].
#[derive(Debug)]
pub struct ClientBuilder {
    server_url: Option<String>,
    data_dir: Option<PathBuf>,
    config: ClientConfig,
}

impl ClientBuilder {
    /// The server's WebSocket URL, e.g. `ws://127.0.0.1:7000/ws` (required).
    pub fn server_url(mut self, url: impl Into<String>) -> Self {
        self.server_url = Some(url.into());
        self
    }

    /// The directory for the cache files (required; created when missing).
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// A stable id of this installation (see [`ClientConfig::device_id`]).
    pub fn device_id(mut self, device_id: impl Into<String>) -> Self {
        self.config.device_id = device_id.into();
        self
    }

    /// Reconnect backoff: first ceiling `base`, largest delay `cap` while an outage is
    /// young (full jitter; see [`BackoffConfig`]).
    pub fn backoff(mut self, base: Duration, cap: Duration) -> Self {
        self.config.backoff = BackoffConfig::new(base, cap);
        self
    }

    /// The whole reconnect backoff configuration.
    pub fn backoff_config(mut self, backoff: BackoffConfig) -> Self {
        self.config.backoff = backoff;
        self
    }

    /// How long a request waits for its answer (default 15 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.config.request_timeout = timeout;
        self
    }

    /// How long opening a connection may take (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout;
        self
    }

    /// How long `login` waits to be synced (default 30 s) before it answers
    /// [`LoginOutcome::Offline`] (with a saved session) or fails with `timed_out`.
    pub fn login_timeout(mut self, timeout: Duration) -> Self {
        self.config.login_timeout = timeout;
        self
    }

    /// Give up reconnecting after this many failed attempts in a row (default: never).
    pub fn max_reconnect_attempts(mut self, attempts: u32) -> Self {
        self.config.max_reconnect_attempts = Some(attempts);
        self
    }

    /// Newest missed messages fetched per cached channel after a reconnect (default
    /// 1,000).
    pub fn catch_up_limit(mut self, limit: u32) -> Self {
        self.config.catch_up_limit = limit;
        self
    }

    /// The app's token provider (called ahead of expiry and on `token_expired`).
    pub fn token_provider(mut self, provider: Arc<dyn TokenProvider>) -> Self {
        self.config.token_provider = Some(provider);
        self
    }

    /// Refresh the token this long before it expires (default 60 s).
    pub fn token_refresh_margin(mut self, margin: Duration) -> Self {
        self.config.token_refresh_margin = margin;
        self
    }

    /// Options of the cache file (readers, batch size; test hooks).
    #[doc(hidden)]
    pub fn store_options(mut self, options: StoreOptions) -> Self {
        self.config.store = options;
        self
    }

    /// Builds the client: opens the cache of the last logged-in user (if any) so that
    /// communities, unread counts and history are available at once, even offline.
    /// Must be called inside a tokio runtime; the client's tasks run on it.
    pub async fn build(self) -> Result<Client, SdkError> {
        let server_url = self
            .server_url
            .filter(|url| !url.trim().is_empty())
            .ok_or_else(|| SdkError::InvalidArgument("a server URL is required".into()))?;
        let data_dir = self
            .data_dir
            .ok_or_else(|| SdkError::InvalidArgument("a data directory is required".into()))?;
        let config = ClientConfig {
            server_url,
            data_dir,
            ..self.config
        };
        let span = tracing::info_span!("client.build", data_dir = %config.data_dir.display());
        build(config).instrument(span).await
    }
}

async fn build(config: ClientConfig) -> Result<Client, SdkError> {
    let hub = Hub::new();
    let dispatcher = tokio::spawn(hub.clone().run_dispatcher());
    let inner = Arc::new(ClientInner {
        hub: hub.clone(),
        session: Mutex::new(None),
        login_lock: tokio::sync::Mutex::new(()),
        dispatcher: Mutex::new(Some(dispatcher)),
        closed: AtomicBool::new(false),
        push_pending: Mutex::new(None),
        config: config.clone(),
    });
    if let Some(user_id) = read_last_user(&config).await {
        let session = UserSession::open(config, hub, &user_id).await?;
        *lock(&inner.session) = Some(session);
    }
    Ok(Client { inner })
}

// The last-user file is read and written with `tokio::fs` (off the async threads).

async fn read_last_user(config: &ClientConfig) -> Option<UserId> {
    let text = tokio::fs::read_to_string(config.data_dir.join(LAST_USER_FILE))
        .await
        .ok()?;
    let user = text.trim().to_string();
    limits::check_user_id(&user)
        .ok()
        .map(|()| UserId::from(user))
}

async fn write_last_user(config: &ClientConfig, user_id: &UserId) {
    let path = config.data_dir.join(LAST_USER_FILE);
    if let Err(error) = tokio::fs::write(path, user_id.as_str()).await {
        tracing::warn!(%error, "cannot remember the last user");
    }
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Holds plain Options; a panic elsewhere leaves them consistent.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) struct ClientInner {
    pub(crate) config: ClientConfig,
    pub(crate) hub: Arc<Hub>,
    session: Mutex<Option<Arc<UserSession>>>,
    login_lock: tokio::sync::Mutex<()>,
    dispatcher: Mutex<Option<JoinHandle<()>>>,
    closed: AtomicBool,
    /// A push token registered while no session was started: the next login takes it.
    pub(super) push_pending: Mutex<Option<(PushPlatform, String)>>,
}

impl ClientInner {
    /// The current user's session (cached or logged in).
    pub(crate) fn session(&self) -> Result<Arc<UserSession>, SdkError> {
        if self.closed.load(Ordering::Acquire) {
            return Err(SdkError::Closed);
        }
        lock(&self.session).clone().ok_or(SdkError::NotLoggedIn)
    }

    /// Registers `sink` with an initial value computed under the same locks, so the
    /// subscriber sees exactly the current value followed by every later change. A
    /// subscriber that falls behind starts over the same way.
    pub(crate) fn subscribe<T: Send + 'static>(
        self: &Arc<Self>,
        initial: impl Fn(Option<&crate::state::State>) -> T + Send + 'static,
        sink: impl Fn(Outlet<T>) -> Sink + Send + 'static,
    ) -> Subscription<T> {
        let subscription = self.subscribe_now(&initial, &sink);
        let client = Arc::downgrade(self);
        subscription.with_resync(move || {
            let fresh = client
                .upgrade()
                .map(|client| client.subscribe_now(&initial, &sink));
            Box::pin(std::future::ready(fresh))
        })
    }

    fn subscribe_now<T>(
        &self,
        initial: &impl Fn(Option<&crate::state::State>) -> T,
        sink: &impl Fn(Outlet<T>) -> Sink,
    ) -> Subscription<T> {
        let (outlet, inlet) = queue();
        let guard = lock(&self.session);
        let value = match guard.as_ref() {
            Some(session) => session.read(|state| {
                let value = initial(Some(state));
                self.hub.register(sink(outlet));
                value
            }),
            None => {
                let value = initial(None);
                self.hub.register(sink(outlet));
                value
            }
        };
        drop(guard);
        Subscription::new(value, inlet)
    }
}

impl Drop for ClientInner {
    fn drop(&mut self) {
        if let Some(dispatcher) = lock(&self.dispatcher).take() {
            dispatcher.abort();
        }
        if let Some(session) = lock(&self.session).take() {
            session.abort();
        }
    }
}

/// The SDK client: one user's connection, cache and state. Cheap to clone (all clones
/// share the same client). [`close`](Self::close) shuts it down and returns once every
/// task and the cache file are closed; dropping the last clone and handle shuts it down
/// in the background.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<ClientInner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.inner.config)
            .field("user", &self.user_id())
            .finish()
    }
}

/// High-water marks of the client's internal queues (diagnostics and tests).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueStats {
    /// The most items ever waiting between the connection and the sync task.
    pub inbound_peak: usize,
    /// The bound of that queue.
    pub inbound_capacity: usize,
    /// How many times the connection stopped reading because the sync task was behind.
    pub backpressure_pauses: u64,
}

impl Client {
    /// A builder.
    pub fn builder() -> ClientBuilder {
        ClientBuilder {
            server_url: None,
            data_dir: None,
            config: ClientConfig::new("", ""),
        }
    }

    /// Logs in as `user_id` with `token`, resuming the saved session when there is one.
    ///
    /// Returns [`LoginOutcome::Synced`] once logged in and synced (every count exact), or
    /// [`LoginOutcome::Offline`] when the server cannot be reached (or does not get the
    /// client synced within the login timeout) but this device has a saved session of the
    /// user: the cache is usable and the client keeps connecting in the background.
    /// Anything else is an error (a refused token, a timeout without a saved session…).
    /// Logging in as another user closes the previous user's session first.
    pub async fn login(
        &self,
        user_id: impl Into<UserId>,
        token: &str,
    ) -> Result<LoginOutcome, SdkError> {
        let user_id = user_id.into();
        limits::check_user_id(user_id.as_str())?;
        if token.is_empty() {
            return Err(SdkError::InvalidArgument("the token is empty".into()));
        }
        if self.inner.closed.load(Ordering::Acquire) {
            return Err(SdkError::Closed);
        }
        let span = tracing::info_span!("client.login", user = %user_id);
        self.login_inner(user_id, token).instrument(span).await
    }

    async fn login_inner(&self, user_id: UserId, token: &str) -> Result<LoginOutcome, SdkError> {
        let _login = self.inner.login_lock.lock().await;
        let current = lock(&self.inner.session).clone();
        let session = match current {
            Some(session) if session.user_id == user_id => {
                if session.is_started() {
                    // Already logged in (or reconnecting): keep the connection, take the
                    // new token for the next login or refresh.
                    session.set_token(token);
                    return self.wait_synced(&session, true).await;
                }
                session
            }
            previous => {
                if let Some(previous) = previous {
                    previous.stop().await;
                }
                let session =
                    UserSession::open(self.inner.config.clone(), self.inner.hub.clone(), &user_id)
                        .await?;
                let mut slot = lock(&self.inner.session);
                *slot = Some(session.clone());
                session.cell.publish_reset();
                drop(slot);
                session
            }
        };
        // A push token registered while no session was started goes to the session that
        // logs in (sent once it is synced; see `api::push`).
        let pending = lock(&self.inner.push_pending).take();
        if let Some((platform, token)) = pending {
            session.store.push_set(platform, token).await?;
        }
        // Only a device that was synced before may start offline from its cache.
        let has_cache = session.store.session().await?.is_some();
        let first = session.start(token.to_string()).await?;
        let result = first.await.unwrap_or(Err(SdkError::Closed));
        match result {
            Ok(_) => {
                write_last_user(&self.inner.config, &user_id).await;
                self.wait_synced(&session, has_cache).await
            }
            Err(error) if offline_capable(&error) && has_cache => {
                tracing::info!(%error, "server unreachable; starting offline from the cache");
                write_last_user(&self.inner.config, &user_id).await;
                Ok(LoginOutcome::Offline)
            }
            Err(error) => {
                session.stop().await;
                Err(error)
            }
        }
    }

    /// Waits until the session is synced, ended, or the login timeout passed (then the
    /// answer is `Offline` when the device has a cache from an earlier sync).
    async fn wait_synced(
        &self,
        session: &UserSession,
        has_cache: bool,
    ) -> Result<LoginOutcome, SdkError> {
        let mut phase = session.phase.subscribe();
        let limit = self.inner.config.login_timeout;
        let waited = tokio::time::timeout(limit, async {
            loop {
                match phase.borrow_and_update().clone() {
                    Phase::Ready => return Ok(LoginOutcome::Synced),
                    Phase::Ended(reason) => return Err(ended_error(reason)),
                    Phase::Offline | Phase::Syncing => {}
                }
                if phase.changed().await.is_err() {
                    return Err(SdkError::Closed);
                }
            }
        })
        .await;
        match waited {
            Ok(outcome) => outcome,
            Err(_) if has_cache => {
                tracing::info!(
                    ?limit,
                    "not synced in time; going on offline from the cache"
                );
                Ok(LoginOutcome::Offline)
            }
            Err(_) => {
                session.stop().await;
                Err(crate::error::ConnectionError::Timeout(crate::clock::millis(limit)).into())
            }
        }
    }

    /// Logs out: ends the session on the server (not resumable), stops reconnecting and
    /// forgets the saved session. The user's cache file stays on disk.
    ///
    /// The device's push token is unregistered on the server first, while the session
    /// still exists (best effort: when synced, a few seconds at most; a failure does not
    /// fail the logout), and forgotten: register it again after the next login.
    pub async fn logout(&self) -> Result<(), SdkError> {
        let _login = self.inner.login_lock.lock().await;
        // A token waiting for a next login does not wait any more.
        lock(&self.inner.push_pending).take();
        let session = lock(&self.inner.session).take();
        if let Some(session) = session {
            let result = session.logout().await;
            let last_user = self.inner.config.data_dir.join(LAST_USER_FILE);
            let _ = tokio::fs::remove_file(last_user).await;
            self.inner.hub.publish([
                Publication::Community(ListDiff::Reset(Vec::new())),
                Publication::Unread(UnreadChange {
                    reset: true,
                    ..UnreadChange::default()
                }),
            ]);
            result?;
        }
        Ok(())
    }

    /// Shuts the client down: the connection closes (the saved session stays resumable,
    /// as after an app restart), the sync and outbox tasks stop, every subscription ends
    /// and the cache file is closed. Returns once all of that is done, so the same data
    /// directory can be opened again at once. Afterwards every call fails with `closed`.
    /// Idempotent.
    pub async fn close(&self) -> Result<(), SdkError> {
        let _login = self.inner.login_lock.lock().await;
        self.inner.closed.store(true, Ordering::Release);
        let session = lock(&self.inner.session).take();
        if let Some(session) = session {
            session.stop().await;
            session.store.shutdown().await;
        }
        // Every subscription ends (its `next` gives `None`).
        self.inner.hub.close();
        let dispatcher = lock(&self.inner.dispatcher).take();
        if let Some(dispatcher) = dispatcher {
            dispatcher.abort();
            let _ = dispatcher.await;
        }
        tracing::info!("client closed");
        Ok(())
    }

    /// Sends a new token now (the token provider does this by itself ahead of expiry).
    /// Returns the new expiry.
    pub async fn refresh_token(&self, token: &str) -> Result<TimestampMs, SdkError> {
        let session = self.inner.session()?;
        let refreshed = session
            .call(op::RefreshToken(RefreshToken {
                token: token.to_string(),
            }))
            .await?;
        Ok(refreshed.expires_at_ms)
    }

    /// The current (or cached) user.
    pub fn user_id(&self) -> Option<UserId> {
        self.inner.session().ok().map(|s| s.user_id.clone())
    }

    /// The connection state now.
    pub fn connection_state(&self) -> ConnectionState {
        self.inner.hub.connection_state()
    }

    /// Connection states: the current one, then each change.
    pub fn subscribe_connection(&self) -> Subscription<ConnectionState> {
        self.inner.hub.subscribe_connection()
    }

    /// How far the cache is from the server now.
    pub fn sync_state(&self) -> SyncState {
        self.inner.hub.sync_state()
    }

    /// Sync states: the current one, then each change (`CaughtUp` after every login and
    /// every reconnect).
    pub fn subscribe_sync_state(&self) -> Subscription<SyncState> {
        self.inner.hub.subscribe_sync()
    }

    /// The deployment's limits (announced at login; defaults before).
    pub fn limits(&self) -> Limits {
        self.inner
            .session()
            .map(|s| s.read(|state| state.limits.clone()))
            .unwrap_or_default()
    }

    /// The joined communities held in the cache.
    pub fn communities(&self) -> Vec<CommunityEntry> {
        self.inner
            .session()
            .map(|s| s.read(|state| state.community_entries()))
            .unwrap_or_default()
    }

    /// Community list changes: the whole list first, then diffs.
    pub fn subscribe_communities(&self) -> Subscription<Vec<ListDiff<CommunityEntry>>> {
        self.inner.subscribe(
            |state| {
                vec![ListDiff::Reset(
                    state.map(|s| s.community_entries()).unwrap_or_default(),
                )]
            },
            Sink::Communities,
        )
    }

    /// Total unread (communities in notify status) and total mentions (all).
    pub fn unread_totals(&self) -> UnreadTotals {
        self.inner
            .session()
            .map(|s| s.read(|state| state.totals()))
            .unwrap_or_default()
    }

    /// Every unread count now (per channel, per community, totals).
    pub fn unread(&self) -> UnreadUpdate {
        self.inner
            .session()
            .map(|s| s.read(|state| state.unread_snapshot()))
            .unwrap_or(UnreadUpdate {
                reset: true,
                ..UnreadUpdate::default()
            })
    }

    /// Unread changes: every count first (`reset: true`), then the changed ones.
    pub fn subscribe_unread(&self) -> Subscription<UnreadUpdate> {
        self.inner.subscribe(
            |state| {
                state.map(|s| s.unread_snapshot()).unwrap_or(UnreadUpdate {
                    reset: true,
                    ..UnreadUpdate::default()
                })
            },
            Sink::Unread,
        )
    }

    // ----- the outbox, client-wide -----

    /// Every message of the outbox (unsent, failed, and the most recently sent), in the
    /// order they were sent.
    pub async fn outbox(&self) -> Result<Vec<LocalMessage>, SdkError> {
        self.inner.session()?.outbox().all().await
    }

    /// Outbox changes of every channel: the whole outbox first (one `Reset` with the
    /// echoes in `pending`), then `Local` and `Discarded` updates.
    pub async fn subscribe_outbox(&self) -> Result<Subscription<Vec<MessageUpdate>>, SdkError> {
        self.inner.session()?.outbox().subscribe().await
    }

    /// One message of the outbox by its local id (also a recently sent one).
    pub async fn local_message(&self, local_id: &str) -> Result<Option<LocalMessage>, SdkError> {
        self.inner.session()?.outbox().get(local_id).await
    }

    /// Waits until the message `local_id` is sent (its sequence; 0 when the server's
    /// content check discarded it silently) or refused (the server's typed error);
    /// `message_not_found` when it is unknown or was discarded by the user.
    pub async fn wait_for_send(&self, local_id: &str) -> Result<Seq, SdkError> {
        self.inner.session()?.outbox().wait_for_send(local_id).await
    }

    /// The changes made on this device to existing messages (edits, recalls, reactions,
    /// pins, hides) that are pending, and the most recently settled ones, in order.
    pub async fn pending_changes(&self) -> Result<Vec<PendingChange>, SdkError> {
        self.inner.session()?.changes().all().await
    }

    /// Waits until the change `key` (made on this device) is carried out (its number in
    /// the channel's change sequence, absent when nothing needed changing) or refused
    /// (the server's typed error); `message_not_found` when it is unknown.
    pub async fn wait_for_change(&self, key: &str) -> Result<Option<u64>, SdkError> {
        self.inner.session()?.changes().wait(key).await
    }

    /// High-water marks of the internal queues.
    #[doc(hidden)]
    pub fn queue_stats(&self) -> QueueStats {
        let stats = self.inner.session().map(|s| s.stats.clone()).ok();
        QueueStats {
            inbound_peak: stats
                .as_ref()
                .map_or(0, |s| s.inbound_peak.load(Ordering::Relaxed)),
            inbound_capacity: crate::connection::INBOUND_CAPACITY,
            backpressure_pauses: stats
                .as_ref()
                .map_or(0, |s| s.backpressure_pauses.load(Ordering::Relaxed)),
        }
    }

    // ----- communities -----

    /// A handle on one community (no network; it may not be joined).
    pub fn community(&self, community_id: impl Into<CommunityId>) -> CommunityHandle {
        CommunityHandle::new(self.inner.clone(), community_id.into())
    }

    /// Creates a community; the user becomes its owner.
    pub async fn create_community(
        &self,
        params: CreateCommunity,
    ) -> Result<CommunityHandle, SdkError> {
        let session = self.inner.session()?;
        session.read(|state| -> Result<(), SdkError> {
            let limits = &state.limits;
            if let Some(id) = &params.community_id {
                limits::check_community_id(id.as_str())?;
            }
            limits.check_community_name(&params.name)?;
            limits.check_avatar_url(&params.avatar_url)?;
            limits.check_community_notice(&params.notice)?;
            if params.attributes.len() > limits.max_attributes {
                return Err(community_protocol::ApiError::new(
                    community_protocol::ErrorCode::TOO_MANY_ATTRIBUTES,
                    format!("more than {} attributes", limits.max_attributes),
                )
                .into());
            }
            for (key, value) in &params.attributes {
                limits.check_attribute(key, value)?;
            }
            Ok(())
        })?;
        let snapshot = session.call(op::CreateCommunity(params)).await?;
        let id = snapshot.info.community_id.clone();
        session.apply(LocalUpdate::Snapshot(snapshot)).await;
        Ok(self.community(id))
    }

    /// Joins a community (or files a join request for an approval community).
    pub async fn join_community(
        &self,
        community_id: impl Into<CommunityId>,
        message: &str,
    ) -> Result<JoinOutcome, SdkError> {
        let session = self.inner.session()?;
        let outcome = session
            .call(op::JoinCommunity(JoinCommunity {
                community_id: community_id.into(),
                message: message.to_string(),
            }))
            .await?;
        if let JoinOutcome::Joined(snapshot) = &outcome {
            session
                .apply(LocalUpdate::Snapshot(snapshot.as_ref().clone()))
                .await;
        }
        Ok(outcome)
    }

    /// One page of the joined communities from the server (`cursor`: the previous page's
    /// `next_cursor`).
    pub async fn joined_communities_page(
        &self,
        cursor: Option<String>,
        limit: Option<u32>,
    ) -> Result<Page<CommunityInfo>, SdkError> {
        let session = self.inner.session()?;
        session.read(|state| state.limits.page_size(limit))?;
        session
            .call(op::ListJoinedCommunities(PageQuery { cursor, limit }))
            .await
    }
}

/// Errors after which a saved session may start offline.
fn offline_capable(error: &SdkError) -> bool {
    match error {
        SdkError::Connection(_) => true,
        SdkError::Api(error) => error.kind() == ErrorKind::Server,
        _ => false,
    }
}

fn ended_error(reason: DisconnectReason) -> SdkError {
    match reason {
        DisconnectReason::AuthFailed(error) => SdkError::Api(error),
        DisconnectReason::TokenExpired => SdkError::Api(community_protocol::ApiError::new(
            community_protocol::ErrorCode::TOKEN_EXPIRED,
            "the token expired",
        )),
        _ => SdkError::NotLoggedIn,
    }
}
