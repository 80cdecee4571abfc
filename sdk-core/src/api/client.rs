//! [`Client`] and [`ClientBuilder`]: the entry point of the SDK.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use community_protocol::request::{CreateCommunity, JoinCommunity, PageQuery, RefreshToken};
use community_protocol::{
    CommunityInfo, ErrorKind, Limits, Page, Request, Response, TimestampMs, UserId, limits,
};
use tokio::task::JoinHandle;
use tracing::Instrument;

use super::{CommunityHandle, JoinOutcome};
use crate::backoff::BackoffConfig;
use crate::config::{ClientConfig, TokenProvider};
use crate::error::SdkError;
use crate::events::{Hub, Outlet, Publication, Sink, Subscription, UnreadChange, queue};
use crate::model::{
    CommunityEntry, ConnectionState, DisconnectReason, ListDiff, UnreadTotals, UnreadUpdate,
};
use crate::session::{Phase, UserSession};
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

    /// Reconnect backoff: first ceiling `base`, largest delay `cap` (full jitter).
    pub fn backoff(mut self, base: Duration, cap: Duration) -> Self {
        self.config.backoff = BackoffConfig { base, cap };
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
        dispatcher,
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
    limits::check_user_id(&user).ok().map(|()| user)
}

async fn write_last_user(config: &ClientConfig, user_id: &str) {
    let path = config.data_dir.join(LAST_USER_FILE);
    if let Err(error) = tokio::fs::write(path, user_id).await {
        tracing::warn!(%error, "cannot remember the last user");
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Holds a plain Option; a panic elsewhere leaves it consistent.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) struct ClientInner {
    pub(crate) config: ClientConfig,
    pub(crate) hub: Arc<Hub>,
    session: Mutex<Option<Arc<UserSession>>>,
    login_lock: tokio::sync::Mutex<()>,
    dispatcher: JoinHandle<()>,
}

impl ClientInner {
    /// The current user's session (cached or logged in).
    pub(crate) fn session(&self) -> Result<Arc<UserSession>, SdkError> {
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
        self.dispatcher.abort();
        if let Some(session) = lock(&self.session).take() {
            session.stop();
        }
    }
}

/// The SDK client: one user's connection, cache and state. Cheap to clone (all clones
/// share the same client); it shuts down when the last clone and handle are dropped.
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
    /// Returns once logged in and synced (unread counts exact). When the server cannot be
    /// reached but this device has a saved session of the user, it returns `Ok` at once
    /// and keeps connecting in the background (offline start; the cache is usable).
    /// Logging in as another user closes the previous user's session first.
    pub async fn login(&self, user_id: &str, token: &str) -> Result<(), SdkError> {
        limits::check_user_id(user_id)?;
        if token.is_empty() {
            return Err(SdkError::InvalidArgument("the token is empty".into()));
        }
        let span = tracing::info_span!("client.login", user = %user_id);
        self.login_inner(user_id, token).instrument(span).await
    }

    async fn login_inner(&self, user_id: &str, token: &str) -> Result<(), SdkError> {
        let _login = self.inner.login_lock.lock().await;
        let current = lock(&self.inner.session).clone();
        let session = match current {
            Some(session) if session.user_id == user_id => {
                if session.is_started() {
                    // Already logged in (or reconnecting): keep the connection, take the
                    // new token for the next login or refresh.
                    session.set_token(token);
                    return self.wait_ready(&session).await;
                }
                session
            }
            previous => {
                if let Some(previous) = previous {
                    previous.stop();
                }
                let session =
                    UserSession::open(self.inner.config.clone(), self.inner.hub.clone(), user_id)
                        .await?;
                let mut slot = lock(&self.inner.session);
                *slot = Some(session.clone());
                session.publish_reset();
                drop(slot);
                session
            }
        };
        let first = session.start(token.to_string()).await?;
        let result = first.await.unwrap_or(Err(SdkError::Closed));
        match result {
            Ok(_) => {
                write_last_user(&self.inner.config, user_id).await;
                self.wait_ready(&session).await
            }
            Err(error) if offline_capable(&error) && session.store.session().await?.is_some() => {
                tracing::info!(%error, "server unreachable; starting offline from the cache");
                write_last_user(&self.inner.config, user_id).await;
                Ok(())
            }
            Err(error) => {
                session.stop();
                Err(error)
            }
        }
    }

    async fn wait_ready(&self, session: &UserSession) -> Result<(), SdkError> {
        let mut phase = session.phase.subscribe();
        let limit = self.inner.config.request_timeout.saturating_mul(2);
        let waited = tokio::time::timeout(limit, async {
            loop {
                match phase.borrow_and_update().clone() {
                    Phase::Ready => return Ok(()),
                    Phase::Ended(reason) => return Err(ended_error(reason)),
                    Phase::Offline | Phase::Syncing => {}
                }
                if phase.changed().await.is_err() {
                    return Err(SdkError::Closed);
                }
            }
        })
        .await;
        waited.unwrap_or(Ok(()))
    }

    /// Logs out: ends the session on the server (not resumable), stops reconnecting and
    /// forgets the saved session. The user's cache file stays on disk.
    pub async fn logout(&self) -> Result<(), SdkError> {
        let _login = self.inner.login_lock.lock().await;
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

    /// Sends a new token now (the token provider does this by itself ahead of expiry).
    /// Returns the new expiry.
    pub async fn refresh_token(&self, token: &str) -> Result<TimestampMs, SdkError> {
        let session = self.inner.session()?;
        let response = session
            .request(Request::RefreshToken(RefreshToken {
                token: token.to_string(),
            }))
            .await?;
        match response {
            Response::TokenRefreshed { expires_at_ms } => Ok(expires_at_ms),
            other => Err(SdkError::unexpected("refresh_token", &other)),
        }
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

    /// A handle on one community (no network; it may not be joined).
    pub fn community(&self, community_id: impl Into<String>) -> CommunityHandle {
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
                limits::check_community_id(id)?;
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
        match session.request(Request::CreateCommunity(params)).await? {
            Response::Community(snapshot) => {
                let id = snapshot.info.community_id.clone();
                session.apply(LocalUpdate::Snapshot(snapshot)).await;
                Ok(self.community(id))
            }
            other => Err(SdkError::unexpected("create_community", &other)),
        }
    }

    /// Joins a community (or files a join request for an approval community).
    pub async fn join_community(
        &self,
        community_id: &str,
        message: &str,
    ) -> Result<JoinOutcome, SdkError> {
        let session = self.inner.session()?;
        let request = Request::JoinCommunity(JoinCommunity {
            community_id: community_id.to_string(),
            message: message.to_string(),
        });
        match session.request(request).await? {
            Response::Community(snapshot) => {
                session.apply(LocalUpdate::Snapshot(snapshot.clone())).await;
                Ok(JoinOutcome::Joined(Box::new(snapshot)))
            }
            Response::JoinPending => Ok(JoinOutcome::Pending),
            other => Err(SdkError::unexpected("join_community", &other)),
        }
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
        match session
            .request(Request::ListJoinedCommunities(PageQuery { cursor, limit }))
            .await?
        {
            Response::Communities(page) => Ok(page),
            other => Err(SdkError::unexpected("list_joined_communities", &other)),
        }
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
