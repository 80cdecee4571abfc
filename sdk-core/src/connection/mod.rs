//! The connection: ONE task that owns the WebSocket. Nothing else touches the socket.
//!
//! The task connects (hello / welcome), logs in (resuming the saved session when it has
//! one), correlates requests with responses by id, beats at the announced interval (a
//! missing ack means a dead connection), refreshes the token ahead of expiry through the
//! app's [`TokenProvider`](crate::TokenProvider), reconnects with full-jitter backoff and
//! reacts to each `goodbye` reason. Events are checked against the session's event
//! sequence (duplicates dropped, a jump means a broken stream: reconnect and resume) and
//! forwarded in order, with the login markers, to the sync task through [`Inbound`].
//!
//! Callers talk to the task through a [`ConnectionHandle`]: `request` sends a command and
//! awaits a oneshot, bounded by the request timeout.

mod frames;
mod task;

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use community_protocol::request::Resume;
use community_protocol::response::LoggedIn;
use community_protocol::{Event, Request, Response, UserId};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::backoff::BackoffConfig;
use crate::config::TokenProvider;
use crate::error::{ConnectionError, SdkError};
use crate::events::Hub;
use crate::model::DisconnectReason;

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
    Stop,
}

/// The way into the connection task. Cheap to clone.
#[derive(Clone)]
pub(crate) struct ConnectionHandle {
    commands: mpsc::UnboundedSender<Command>,
    request_timeout: Duration,
    epoch: u64,
}

impl ConnectionHandle {
    /// Sends a request and waits for its response (bounded by the request timeout).
    /// Fails at once with `NotConnected` while the client is offline.
    pub(crate) async fn request(&self, request: Request) -> Result<Response, SdkError> {
        let op = request.op();
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Request {
                request: Box::new(request),
                reply,
            })
            .map_err(|_| SdkError::NotLoggedIn)?;
        match tokio::time::timeout(self.request_timeout, answer).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(ConnectionError::Lost.into()),
            Err(_) => {
                tracing::debug!(op, "request timed out");
                Err(ConnectionError::Timeout(crate::clock::millis(self.request_timeout)).into())
            }
        }
    }

    /// Logs out on the server (when connected) and ends the task.
    pub(crate) async fn logout(&self) -> Result<(), SdkError> {
        let (reply, answer) = oneshot::channel();
        if self.commands.send(Command::Logout { reply }).is_err() {
            return Ok(());
        }
        match tokio::time::timeout(self.request_timeout, answer).await {
            Ok(Ok(result)) => result,
            _ => Ok(()),
        }
    }

    /// Ends the task without telling the server (the session stays resumable).
    pub(crate) fn stop(&self) {
        let _ = self.commands.send(Command::Stop);
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
    pub inbound: mpsc::UnboundedReceiver<Inbound>,
    /// The outcome of the first login attempt: `Ok` once logged in, or the first error
    /// (a network error is reported while the task keeps retrying).
    pub first_login: oneshot::Receiver<Result<LoggedIn, SdkError>>,
    pub task: JoinHandle<()>,
}

/// Starts the connection task.
pub(crate) fn spawn(
    config: ConnectionConfig,
    credentials: Arc<Mutex<Credentials>>,
    resume: Option<Resume>,
    applied_seq: Arc<AtomicU64>,
    hub: Arc<Hub>,
) -> Spawned {
    let (commands, command_rx) = mpsc::unbounded_channel();
    let (inbound_tx, inbound) = mpsc::unbounded_channel();
    let (first_tx, first_login) = oneshot::channel();
    let request_timeout = config.request_timeout;
    let task = task::Task::new(
        config,
        credentials,
        resume,
        applied_seq,
        hub,
        command_rx,
        inbound_tx,
        first_tx,
    );
    let epoch = task.epoch();
    let task = tokio::spawn(task.run());
    Spawned {
        handle: ConnectionHandle {
            commands,
            request_timeout,
            epoch,
        },
        inbound,
        first_login,
        task,
    }
}
