//! [`UserSession`]: everything that belongs to one logged-in (or cached) user — the
//! store file, the in-memory state, the connection and the background tasks (sync,
//! outbox). The client holds at most one; switching users or logging out drops it.
//!
//! The session wires the tasks together and hands each only what it needs (a
//! [`SyncContext`](crate::sync::SyncContext), an
//! [`OutboxContext`](crate::outbox::OutboxContext), a
//! [`PushContext`](crate::push::PushContext)); the tasks never see the session.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use community_protocol::request::Resume;
use community_protocol::response::LoggedIn;
use community_protocol::{Operation, UserId};
use tokio::sync::{Notify, oneshot, watch};
use tokio::task::JoinHandle;
use tracing::Instrument;

use crate::config::ClientConfig;
use crate::connection::{self, ConnectionConfig, ConnectionHandle, Credentials, QueueStats};
use crate::error::SdkError;
use crate::events::Hub;
use crate::focus::FocusTracker;
use crate::member_list::MemberLists;
use crate::model::{DisconnectReason, SyncState};
use crate::outbox::{self, OutboxContext};
pub(crate) use crate::phase::Phase;
use crate::push::{self, PushContext};
use crate::state::{State, StateCell};
use crate::store::Store;
use crate::sync::{self, Applier, HistoryReader, LocalUpdate, SyncContext};

/// What one `start` created: the connection and the tasks around it.
struct Link {
    connection: ConnectionHandle,
    applier: Applier,
    tasks: Vec<JoinHandle<()>>,
}

/// How long a graceful stop waits for each task before aborting it.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// One user's cache, state, connection and tasks.
pub(crate) struct UserSession {
    pub user_id: UserId,
    pub config: ClientConfig,
    pub store: Store,
    pub cell: Arc<StateCell>,
    pub credentials: Arc<Mutex<Credentials>>,
    link: Mutex<Option<Link>>,
    /// The last event sequence applied and stored.
    pub applied_seq: Arc<AtomicU64>,
    pub phase: Arc<watch::Sender<Phase>>,
    /// Wakes the outbox driver.
    pub outbox_wake: Arc<Notify>,
    /// Wakes the push hook (a token to send or to unregister).
    pub push_wake: Arc<Notify>,
    /// Queue high-water marks of the current and past connections.
    pub stats: Arc<QueueStats>,
    /// The live timelines, newest last: what the session focuses (protocol §22.1).
    pub focus: Arc<FocusTracker>,
    /// The member list the session follows (protocol §22.2).
    pub member_lists: Arc<MemberLists>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The guarded values stay consistent between statements; a panic elsewhere must not
    // take the whole client down.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The cache file of `user_id` in `data_dir`: the id hex-encoded, so any id is a safe
/// file name.
pub(crate) fn store_path(data_dir: &Path, user_id: &UserId) -> PathBuf {
    let hex: String = user_id
        .as_str()
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect();
    data_dir.join(format!("user-{hex}.sqlite3"))
}

impl UserSession {
    /// Opens the user's cache and builds the state from it (no network).
    pub(crate) async fn open(
        config: ClientConfig,
        hub: Arc<Hub>,
        user_id: &UserId,
    ) -> Result<Arc<Self>, SdkError> {
        let span = tracing::info_span!("session.open", user = %user_id);
        Self::open_inner(config, hub, user_id)
            .instrument(span)
            .await
    }

    async fn open_inner(
        config: ClientConfig,
        hub: Arc<Hub>,
        user_id: &UserId,
    ) -> Result<Arc<Self>, SdkError> {
        tokio::fs::create_dir_all(&config.data_dir)
            .await
            .map_err(|e| {
                SdkError::InvalidArgument(format!(
                    "cannot create {}: {e}",
                    config.data_dir.display()
                ))
            })?;
        let store =
            Store::open_with(store_path(&config.data_dir, user_id), config.store.clone()).await?;
        let world = store.load_all().await?;
        let saved = world.session.filter(|s| &s.user_id == user_id);
        let mut state = State::from_snapshots(Some(user_id.clone()), world.communities);
        state.load_conversations(world.conversations, world.conversation_heads);
        state.load_profiles(world.profiles);
        let applied = saved.as_ref().map_or(0, |s| s.last_event_seq);
        tracing::debug!(communities = state.community_ids().len(), "session opened");
        Ok(Arc::new(Self {
            user_id: user_id.clone(),
            credentials: Arc::new(Mutex::new(Credentials {
                user_id: user_id.clone(),
                token: String::new(),
            })),
            config,
            store,
            cell: Arc::new(StateCell::new(state, hub)),
            link: Mutex::new(None),
            applied_seq: Arc::new(AtomicU64::new(applied)),
            phase: Arc::new(watch::Sender::new(Phase::Offline)),
            outbox_wake: Arc::new(Notify::new()),
            push_wake: Arc::new(Notify::new()),
            stats: Arc::new(QueueStats::default()),
            focus: FocusTracker::new(),
            member_lists: Arc::new(MemberLists::default()),
        }))
    }

    /// The hub the session publishes to.
    pub(crate) fn hub(&self) -> &Arc<Hub> {
        self.cell.hub()
    }

    /// Reads the state.
    pub(crate) fn read<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        self.cell.read(f)
    }

    /// The current connection, when the session is started.
    pub(crate) fn connection(&self) -> Option<ConnectionHandle> {
        lock(&self.link)
            .as_ref()
            .map(|link| link.connection.clone())
    }

    /// Carries out a typed operation over the connection.
    pub(crate) async fn call<O: Operation>(&self, operation: O) -> Result<O::Output, SdkError> {
        let connection = self.connection().ok_or(SdkError::NotLoggedIn)?;
        connection.call(operation).await
    }

    /// True while a connection task runs (connected or reconnecting).
    pub(crate) fn is_started(&self) -> bool {
        lock(&self.link)
            .as_ref()
            .is_some_and(|link| link.connection.is_running())
    }

    /// Hands a server answer to the sync task and waits until it is applied (state and
    /// store). Without a running sync task the update is dropped (nothing to keep in step).
    pub(crate) async fn apply(&self, update: LocalUpdate) {
        let applier = lock(&self.link).as_ref().map(|link| link.applier.clone());
        if let Some(applier) = applier {
            applier.apply(update).await;
        }
    }

    /// A reader of history: from the cache, filling holes from the server while synced.
    pub(crate) fn history(&self) -> HistoryReader {
        let online = *self.phase.borrow() == Phase::Ready;
        HistoryReader {
            store: self.store.clone(),
            cell: self.cell.clone(),
            connection: online.then(|| self.connection()).flatten(),
            behind: lock(&self.link)
                .as_ref()
                .map(|link| link.applier.behind_reports()),
        }
    }

    /// What the outbox functions need (the store, the hub, the user).
    pub(crate) fn outbox(&self) -> outbox::Book {
        outbox::Book::new(
            self.user_id.clone(),
            self.store.clone(),
            self.hub().clone(),
            self.outbox_wake.clone(),
        )
    }

    /// The queue of changes made on this device (edits, recalls, reactions, pins, hides).
    pub(crate) fn changes(&self) -> outbox::ChangeBook {
        outbox::ChangeBook::new(
            self.user_id.clone(),
            self.store.clone(),
            self.hub().clone(),
            self.outbox_wake.clone(),
        )
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
        self.stop().await;
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
        let shared = connection::Shared {
            credentials: self.credentials.clone(),
            applied_seq: self.applied_seq.clone(),
            hub: self.hub().clone(),
            stats: self.stats.clone(),
        };
        let spawned = connection::spawn(config, shared, resume);
        self.phase.send_replace(Phase::Offline);
        let sync_context = SyncContext {
            user_id: self.user_id.clone(),
            device_id: self.config.device_id.clone(),
            catch_up_limit: self.config.catch_up_limit,
            store: self.store.clone(),
            cell: self.cell.clone(),
            connection: spawned.handle.clone(),
            phase: self.phase.clone(),
            applied_seq: self.applied_seq.clone(),
            outbox_wake: self.outbox_wake.clone(),
            focus: self.focus.watch(),
            member_lists: self.member_lists.clone(),
        };
        let (applier, sync_task) = sync::spawn(sync_context, spawned.inbound);
        let outbox_context = OutboxContext {
            book: self.outbox(),
            changes: self.changes(),
            connection: spawned.handle.clone(),
            phase: self.phase.subscribe(),
            applier: applier.clone(),
        };
        let outbox_task = tokio::spawn(outbox::run(outbox_context));
        let push_task = tokio::spawn(push::run(PushContext {
            store: self.store.clone(),
            connection: spawned.handle.clone(),
            phase: self.phase.subscribe(),
            wake: self.push_wake.clone(),
        }));
        *lock(&self.link) = Some(Link {
            connection: spawned.handle,
            applier,
            tasks: vec![spawned.task, sync_task, outbox_task, push_task],
        });
        Ok(spawned.first_login)
    }

    /// Logs out on the server (when connected) and stops every task. The push token is
    /// unregistered first, while the server session still exists (best effort), and
    /// forgotten.
    pub(crate) async fn logout(&self) -> Result<(), SdkError> {
        let connection = self.connection();
        let ready = *self.phase.borrow() == Phase::Ready;
        push::unregister_at_logout(&self.store, connection.as_ref(), ready).await;
        if let Some(connection) = connection {
            connection.logout().await?;
        }
        self.stop().await;
        self.store.clear_session().await?;
        Ok(())
    }

    /// Stops every task and waits until they have ended (the saved session stays
    /// resumable). The connection task says goodbye to nobody: it just closes.
    pub(crate) async fn stop(&self) {
        self.member_lists.close();
        let link = lock(&self.link).take();
        let Some(link) = link else {
            self.phase.send_replace(Phase::Offline);
            return;
        };
        link.connection.stop();
        drop(link.applier);
        // Ends the outbox driver; the sync task ends once the connection task has handed
        // over its last items.
        self.phase
            .send_replace(Phase::Ended(DisconnectReason::LoggedOut));
        for mut task in link.tasks {
            if tokio::time::timeout(STOP_GRACE, &mut task).await.is_err() {
                task.abort();
                let _ = task.await;
            }
        }
        self.phase.send_replace(Phase::Offline);
        self.hub().publish_sync(SyncState::Offline);
        let disconnected = crate::model::ConnectionState::Disconnected {
            reason: DisconnectReason::LoggedOut,
        };
        if self.hub().connection_state() != disconnected {
            self.hub()
                .publish_connection(link.connection.epoch(), disconnected);
        }
    }

    /// Stops at once, without waiting (when the client is dropped without `close`).
    pub(crate) fn abort(&self) {
        self.member_lists.close();
        if let Some(link) = lock(&self.link).take() {
            link.connection.stop();
            for task in link.tasks {
                task.abort();
            }
        }
    }
}
