//! [`UserSession`]: everything that belongs to one logged-in (or cached) user — the
//! store file, the in-memory state, the connection and the background tasks (sync,
//! outbox). The client holds at most one; switching users or logging out drops it.
//!
//! The state lives behind a std mutex that is never held across an `.await`; mutations
//! queue their publications in the hub while holding it (a plain queue, not a channel),
//! so subscribers see diffs in the order the state changed.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use community_protocol::request::Resume;
use community_protocol::response::LoggedIn;
use community_protocol::{Request, Response, UserId};
use tokio::sync::{Notify, mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tracing::Instrument;

use crate::config::ClientConfig;
use crate::connection::{self, ConnectionConfig, ConnectionHandle, Credentials};
use crate::error::SdkError;
use crate::events::{Hub, Publication};
use crate::model::{DisconnectReason, ListDiff};
use crate::state::State;
use crate::store::Store;
use crate::sync::{LocalJob, LocalUpdate};
use crate::{outbox, sync};

/// Where the session stands with the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Not connected (never started, or reconnecting).
    Offline,
    /// Logged in; bringing the cache up to date.
    Syncing,
    /// Logged in and up to date: requests and the outbox may go.
    Ready,
    /// The connection ended for good.
    Ended(DisconnectReason),
}

/// One user's cache, state, connection and tasks.
pub(crate) struct UserSession {
    pub user_id: UserId,
    pub config: ClientConfig,
    pub store: Store,
    pub hub: Arc<Hub>,
    state: Mutex<State>,
    pub credentials: Arc<Mutex<Credentials>>,
    connection: Mutex<Option<ConnectionHandle>>,
    local: Mutex<Option<mpsc::UnboundedSender<LocalJob>>>,
    /// The last event sequence applied and stored.
    pub applied_seq: Arc<AtomicU64>,
    pub phase: watch::Sender<Phase>,
    /// Wakes the outbox driver.
    pub outbox_wake: Notify,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The guarded values stay consistent between statements; a panic elsewhere must not
    // take the whole client down.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The cache file of `user_id` in `data_dir`: the id hex-encoded, so any id is a safe
/// file name.
pub(crate) fn store_path(data_dir: &Path, user_id: &str) -> PathBuf {
    let hex: String = user_id.bytes().map(|b| format!("{b:02x}")).collect();
    data_dir.join(format!("user-{hex}.sqlite3"))
}

impl UserSession {
    /// Opens the user's cache and builds the state from it (no network).
    pub(crate) async fn open(
        config: ClientConfig,
        hub: Arc<Hub>,
        user_id: &str,
    ) -> Result<Arc<Self>, SdkError> {
        let span = tracing::info_span!("session.open", user = %user_id);
        Self::open_inner(config, hub, user_id)
            .instrument(span)
            .await
    }

    async fn open_inner(
        config: ClientConfig,
        hub: Arc<Hub>,
        user_id: &str,
    ) -> Result<Arc<Self>, SdkError> {
        tokio::fs::create_dir_all(&config.data_dir)
            .await
            .map_err(|e| {
                SdkError::InvalidArgument(format!(
                    "cannot create {}: {e}",
                    config.data_dir.display()
                ))
            })?;
        let store = Store::open(store_path(&config.data_dir, user_id)).await?;
        let world = store.load_all().await?;
        let saved = world.session.filter(|s| s.user_id == user_id);
        let state = State::from_snapshots(Some(user_id.to_string()), world.communities);
        let applied = saved.as_ref().map_or(0, |s| s.last_event_seq);
        tracing::debug!(communities = state.community_ids().len(), "session opened");
        Ok(Arc::new(Self {
            user_id: user_id.to_string(),
            credentials: Arc::new(Mutex::new(Credentials {
                user_id: user_id.to_string(),
                token: String::new(),
            })),
            config,
            store,
            hub,
            state: Mutex::new(state),
            connection: Mutex::new(None),
            local: Mutex::new(None),
            applied_seq: Arc::new(AtomicU64::new(applied)),
            phase: watch::Sender::new(Phase::Offline),
            outbox_wake: Notify::new(),
            tasks: Mutex::new(Vec::new()),
        }))
    }

    /// Reads the state.
    pub(crate) fn read<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        f(&lock(&self.state))
    }

    /// Changes the state; the publications are queued before the lock is released.
    pub(crate) fn update<R>(&self, f: impl FnOnce(&mut State, &mut Vec<Publication>) -> R) -> R {
        let mut state = lock(&self.state);
        let mut out = Vec::new();
        let result = f(&mut state, &mut out);
        self.hub.publish(out);
        drop(state);
        result
    }

    /// Publishes the whole state as resets (when this session becomes the client's).
    pub(crate) fn publish_reset(&self) {
        self.update(|state, out| {
            out.push(Publication::Community(ListDiff::Reset(
                state.community_entries(),
            )));
            for id in state.community_ids() {
                if let Some(channels) = state.channel_entries(&id) {
                    out.push(Publication::Channel {
                        community_id: id,
                        diff: ListDiff::Reset(channels),
                    });
                }
            }
            out.push(state.unread_reset());
        });
    }

    /// Sends a request over the connection.
    pub(crate) async fn request(&self, request: Request) -> Result<Response, SdkError> {
        let connection = lock(&self.connection)
            .clone()
            .ok_or(SdkError::NotLoggedIn)?;
        connection.request(request).await
    }

    /// True while a connection task runs (connected or reconnecting).
    pub(crate) fn is_started(&self) -> bool {
        lock(&self.connection)
            .as_ref()
            .is_some_and(ConnectionHandle::is_running)
    }

    /// Hands a server answer to the sync task and waits until it is applied (state and
    /// store). Without a running sync task the update is dropped (nothing to keep in step).
    pub(crate) async fn apply(&self, update: LocalUpdate) {
        let sender = lock(&self.local).clone();
        let Some(sender) = sender else { return };
        let (done, applied) = oneshot::channel();
        if sender.send(LocalJob { update, done }).is_ok() {
            let _ = applied.await;
        }
    }

    /// Replaces the token used for the next login or refresh.
    pub(crate) fn set_token(&self, token: &str) {
        lock(&self.credentials).token = token.to_string();
    }

    /// Starts the connection, sync and outbox tasks with `token` (resuming the session
    /// saved in the store, if it was this device's); returns the outcome of the first
    /// login attempt.
    pub(crate) async fn start(
        self: &Arc<Self>,
        token: String,
    ) -> Result<oneshot::Receiver<Result<LoggedIn, SdkError>>, SdkError> {
        self.stop();
        self.set_token(&token);
        let resume = self
            .store
            .session()
            .await?
            .filter(|s| {
                s.user_id == self.user_id
                    && s.device_id == self.config.device_id
                    && !s.session_id.is_empty()
            })
            .map(|s| Resume {
                session_id: s.session_id,
                last_event_seq: s.last_event_seq,
            });
        let config = ConnectionConfig {
            url: self.config.server_url.clone(),
            device_id: self.config.device_id.clone(),
            backoff: self.config.backoff,
            connect_timeout: self.config.connect_timeout,
            request_timeout: self.config.request_timeout,
            max_reconnect_attempts: self.config.max_reconnect_attempts,
            token_refresh_margin: self.config.token_refresh_margin,
            token_provider: self.config.token_provider.clone(),
        };
        let spawned = connection::spawn(
            config,
            self.credentials.clone(),
            resume,
            self.applied_seq.clone(),
            self.hub.clone(),
        );
        let (local_tx, local_rx) = mpsc::unbounded_channel();
        *lock(&self.local) = Some(local_tx);
        *lock(&self.connection) = Some(spawned.handle);
        self.phase.send_replace(Phase::Offline);
        let sync_task = tokio::spawn(sync::run(self.clone(), spawned.inbound, local_rx));
        let outbox_task = tokio::spawn(outbox::run(self.clone()));
        let mut tasks = lock(&self.tasks);
        tasks.push(spawned.task);
        tasks.push(sync_task);
        tasks.push(outbox_task);
        drop(tasks);
        Ok(spawned.first_login)
    }

    /// Logs out on the server (when connected) and stops every task.
    pub(crate) async fn logout(&self) -> Result<(), SdkError> {
        let connection = lock(&self.connection).clone();
        if let Some(connection) = connection {
            connection.logout().await?;
        }
        self.stop();
        self.store.clear_session().await?;
        Ok(())
    }

    /// Stops every task (the saved session stays resumable).
    pub(crate) fn stop(&self) {
        let connection = lock(&self.connection).take();
        if let Some(connection) = &connection {
            connection.stop();
        }
        lock(&self.local).take();
        for task in lock(&self.tasks).drain(..) {
            task.abort();
        }
        self.phase.send_replace(Phase::Offline);
        if let Some(connection) = connection {
            let disconnected = crate::model::ConnectionState::Disconnected {
                reason: DisconnectReason::LoggedOut,
            };
            if self.hub.connection_state() != disconnected {
                self.hub
                    .publish_connection(connection.epoch(), disconnected);
            }
        }
    }
}
