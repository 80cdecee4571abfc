//! The connection: ONE task that owns the WebSocket. Nothing else touches the socket.
//!
//! The task connects (hello / welcome), logs in (resuming the saved session when it has
//! one), correlates requests with responses by id, beats at the announced interval (a
//! missing ack means a dead connection), refreshes the token ahead of expiry through the
//! app's [`TokenProvider`](crate::TokenProvider), reconnects with full-jitter backoff and
//! reacts to each `goodbye` reason. Frames are read with `community_protocol::codec`'s
//! forward-compatible decoder; events are checked against the session's event sequence
//! (duplicates dropped, a jump means a broken stream: reconnect and resume) and forwarded
//! in order, with the login markers, to the sync task through a bounded queue of
//! [`Inbound`] items ([`forward`]): when the sync task (or the store behind it) is slow,
//! the task stops reading the socket, and the server's slow-consumer policy applies
//! instead of client memory growing.
//!
//! Callers talk to the task through a [`ConnectionHandle`]: `call` sends a typed
//! operation and awaits its answer, bounded by the request timeout.

mod forward;
mod task;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use community_protocol::request::Resume;
use community_protocol::response::LoggedIn;
use community_protocol::{Event, Operation, Request, Response, UserId};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::backoff::BackoffConfig;
use crate::config::TokenProvider;
use crate::error::{ConnectionError, SdkError};
use crate::events::Hub;
use crate::model::DisconnectReason;

pub(crate) use forward::INBOUND_CAPACITY;

/// Commands (requests, logout) that may wait for the connection task at once; callers
/// beyond it wait for room.
const COMMAND_CAPACITY: usize = 256;

/// What the connection needs to know.
#[derive(Clone)]
pub(crate) struct ConnectionConfig {
    pub url: String,
    pub device_id: String,
    pub backoff: BackoffConfig,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub max_reconnect_attempts: Option<u32>,
    pub token_refresh_margin: Duration,
    pub token_provider: Option<Arc<dyn TokenProvider>>,
}

/// The user and their current token (replaced on refresh).
#[derive(Debug, Clone)]
pub(crate) struct Credentials {
    pub user_id: UserId,
    pub token: String,
}

/// What the connection hands to the sync task, in order.
#[derive(Debug)]
pub(crate) enum Inbound {
    /// A login succeeded (first connection or reconnect). Events that follow belong to
    /// this session.
    LoggedIn(Box<LoggedIn>),
    /// An event of the session, in sequence order. `None`: an event of a kind this SDK
    /// does not know (its sequence still counts).
    Event { seq: u64, event: Option<Box<Event>> },
    /// An event of a known kind that did not decode: its sequence counts, and the state
    /// it carried must be recovered by a re-sync.
    Malformed { seq: u64, kind: String },
    /// The answer to `subscribe_member_list`, at its place among the events (the
    /// events before it were meant for the previous windows, those after it for its).
    MemberList(Box<community_protocol::member_list::MemberList>),
    /// An answer carrying presences (`subscribe_presence`, `view_community`), at its place
    /// among the events: applied in that order, so an answer never overwrites a newer
    /// change the events brought (the caller's copy is not applied).
    InOrder(Box<community_protocol::Response>),
    /// The connection dropped; the task reconnects by itself.
    Lost,
    /// The connection ended for good.
    Ended(DisconnectReason),
}

pub(crate) enum Command {
    Request {
        request: Box<Request>,
        reply: oneshot::Sender<Result<Response, SdkError>>,
    },
    Logout {
        reply: oneshot::Sender<Result<(), SdkError>>,
    },
    /// Drop the connection and connect again (a sync that failed after a login).
    Reconnect,
}

/// High-water marks of the connection's queues, for tests and diagnostics.
#[derive(Debug, Default)]
pub(crate) struct QueueStats {
    /// The most items ever waiting in the inbound queue at once.
    pub inbound_peak: AtomicUsize,
    /// How many times the task stopped reading because the inbound queue was full.
    pub backpressure_pauses: AtomicU64,
}

impl QueueStats {
    pub(crate) fn observe_depth(&self, depth: usize) {
        self.inbound_peak.fetch_max(depth, Ordering::Relaxed);
    }
}

/// The way into the connection task. Cheap to clone.
#[derive(Clone)]
pub(crate) struct ConnectionHandle {
    commands: mpsc::Sender<Command>,
    stop: Arc<watch::Sender<bool>>,
    request_timeout: Duration,
    epoch: u64,
}

impl ConnectionHandle {
    /// Sends a request and waits for its response (bounded by the request timeout).
    /// Fails at once with `NotConnected` while the client is offline.
    pub(crate) async fn request(&self, request: Request) -> Result<Response, SdkError> {
        let op = request.op();
        let (reply, answer) = oneshot::channel();
        let command = Command::Request {
            request: Box::new(request),
            reply,
        };
        let waited = tokio::time::timeout(self.request_timeout, async {
            self.commands
                .send(command)
                .await
                .map_err(|_| SdkError::NotLoggedIn)?;
            answer
                .await
                .map_err(|_| SdkError::from(ConnectionError::Lost))?
        })
        .await;
        waited.unwrap_or_else(|_| {
            tracing::debug!(op, "request timed out");
            Err(ConnectionError::Timeout(crate::clock::millis(self.request_timeout)).into())
        })
    }

    /// Carries out a typed operation: its answer, or a typed error (a response of the
    /// wrong kind is [`SdkError::UnexpectedResponse`]).
    pub(crate) async fn call<O: Operation>(&self, operation: O) -> Result<O::Output, SdkError> {
        let response = self.request(operation.into()).await?;
        O::output(response).map_err(|other| SdkError::unexpected(O::NAME, &other))
    }

    /// Logs out on the server (when connected) and ends the task.
    pub(crate) async fn logout(&self) -> Result<(), SdkError> {
        let (reply, answer) = oneshot::channel();
        let sent = tokio::time::timeout(
            self.request_timeout,
            self.commands.send(Command::Logout { reply }),
        )
        .await;
        if !matches!(sent, Ok(Ok(()))) {
            return Ok(());
        }
        match tokio::time::timeout(self.request_timeout, answer).await {
            Ok(Ok(result)) => result,
            _ => Ok(()),
        }
    }

    /// Asks the task to drop the connection and connect again (with backoff).
    pub(crate) fn reconnect(&self) {
        let _ = self.commands.try_send(Command::Reconnect);
    }

    /// Ends the task without telling the server (the session stays resumable).
    pub(crate) fn stop(&self) {
        self.stop.send_replace(true);
    }

    /// The epoch the task publishes its connection states under.
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch
    }

    /// True while the task runs.
    pub(crate) fn is_running(&self) -> bool {
        !self.commands.is_closed()
    }
}

/// A started connection.
pub(crate) struct Spawned {
    pub handle: ConnectionHandle,
    pub inbound: mpsc::Receiver<Inbound>,
    /// The outcome of the first login attempt: `Ok` once logged in, or the first error
    /// (a network error is reported while the task keeps retrying).
    pub first_login: oneshot::Receiver<Result<LoggedIn, SdkError>>,
    pub task: JoinHandle<()>,
}

/// What the task shares with the rest of the session.
pub(crate) struct Shared {
    pub credentials: Arc<Mutex<Credentials>>,
    /// The last event sequence applied and stored (acknowledged in heartbeats).
    pub applied_seq: Arc<AtomicU64>,
    pub hub: Arc<Hub>,
    pub stats: Arc<QueueStats>,
}

/// Starts the connection task.
pub(crate) fn spawn(config: ConnectionConfig, shared: Shared, resume: Option<Resume>) -> Spawned {
    let (commands, command_rx) = mpsc::channel(COMMAND_CAPACITY);
    let (inbound_tx, inbound) = mpsc::channel(INBOUND_CAPACITY);
    let (first_tx, first_login) = oneshot::channel();
    let (stop, stop_rx) = watch::channel(false);
    let request_timeout = config.request_timeout;
    let task = task::Task::new(
        config, shared, resume, command_rx, stop_rx, inbound_tx, first_tx,
    );
    let epoch = task.epoch();
    let task = tokio::spawn(task.run());
    Spawned {
        handle: ConnectionHandle {
            commands,
            stop: Arc::new(stop),
            request_timeout,
            epoch,
        },
        inbound,
        first_login,
        task,
    }
}
