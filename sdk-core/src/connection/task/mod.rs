//! The connection task's loop: connect, handshake, login, serve, reconnect.

mod handshake;
mod serve;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use community_protocol::codec::{self, Incoming};
use community_protocol::request::Resume;
use community_protocol::response::LoggedIn;
use community_protocol::{ClientFrame, ErrorCode};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::{Instant, sleep_until, timeout};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tracing::Instrument;

use super::forward::Forwarder;
use super::{Command, ConnectionConfig, Credentials, Inbound, Shared};
use crate::backoff::Backoff;
use crate::clock::deadline_in;
use crate::error::{ConnectionError, SdkError};
use crate::events::Hub;
use crate::model::{ConnectionState, DisconnectReason};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;
type Sink = SplitSink<Ws, WsMessage>;
type Stream = SplitStream<Ws>;

const CLIENT_NAME: &str = concat!("community-sdk/", env!("CARGO_PKG_VERSION"));

/// How one connection ended.
enum Ending {
    /// The client asked the task to stop.
    Stop,
    /// No automatic retry.
    Terminal(DisconnectReason),
    /// Reconnect; `connected` when the connection had logged in (resets the backoff).
    Retry { connected: bool },
}

pub(crate) struct Task {
    config: ConnectionConfig,
    credentials: Arc<Mutex<Credentials>>,
    resume: Option<Resume>,
    applied_seq: Arc<AtomicU64>,
    hub: Arc<Hub>,
    commands: mpsc::Receiver<Command>,
    stop: watch::Receiver<bool>,
    inbound: Forwarder,
    first_login: Option<oneshot::Sender<Result<LoggedIn, SdkError>>>,
    tokens_tx: mpsc::Sender<Option<String>>,
    tokens_rx: mpsc::Receiver<Option<String>>,
    next_id: u64,
    state: Option<ConnectionState>,
    epoch: u64,
}

impl Task {
    pub(crate) fn new(
        config: ConnectionConfig,
        shared: Shared,
        resume: Option<Resume>,
        commands: mpsc::Receiver<Command>,
        stop: watch::Receiver<bool>,
        inbound: mpsc::Sender<Inbound>,
        first_login: oneshot::Sender<Result<LoggedIn, SdkError>>,
    ) -> Self {
        // One token refresh in flight at a time.
        let (tokens_tx, tokens_rx) = mpsc::channel(1);
        let epoch = shared.hub.next_connection_epoch();
        Self {
            epoch,
            config,
            credentials: shared.credentials,
            resume,
            applied_seq: shared.applied_seq,
            hub: shared.hub,
            commands,
            stop,
            inbound: Forwarder::new(inbound, shared.stats),
            first_login: Some(first_login),
            tokens_tx,
            tokens_rx,
            next_id: 0,
            state: None,
        }
    }

    /// The epoch this task publishes its states under.
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch
    }

    fn credentials(&self) -> Credentials {
        self.credentials
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set_token(&self, token: String) {
        self.credentials
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .token = token;
    }

    fn set_state(&mut self, state: ConnectionState) {
        if self.state.as_ref() != Some(&state) {
            self.state = Some(state.clone());
            self.hub.publish_connection(self.epoch, state);
        }
    }

    fn report_first(&mut self, result: Result<LoggedIn, SdkError>) {
        if let Some(first) = self.first_login.take() {
            let _ = first.send(result);
        }
    }

    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn stop_requested(&self) -> bool {
        *self.stop.borrow()
    }

    /// The task's body: sessions until a stop or a terminal ending.
    pub(crate) async fn run(mut self) {
        let user = self.credentials().user_id;
        let span = tracing::info_span!("connection", user = %user);
        async move {
            let mut backoff = Backoff::new(self.config.backoff);
            self.set_state(ConnectionState::Connecting);
            loop {
                let ending = if self.stop_requested() {
                    Ending::Stop
                } else {
                    self.session().await
                };
                match ending {
                    Ending::Stop => return self.finish(DisconnectReason::LoggedOut).await,
                    Ending::Terminal(reason) => return self.finish(reason).await,
                    Ending::Retry { connected } => {
                        self.inbound.push(Inbound::Lost);
                        if connected {
                            backoff.reset();
                        }
                        if self
                            .config
                            .max_reconnect_attempts
                            .is_some_and(|max| backoff.attempt() >= max)
                        {
                            return self.finish(DisconnectReason::Network).await;
                        }
                        let delay = backoff.next_delay();
                        self.set_state(ConnectionState::Reconnecting {
                            attempt: backoff.attempt(),
                            next_delay: delay,
                        });
                        tracing::info!(attempt = backoff.attempt(), ?delay, "reconnecting");
                        if !self.idle(delay).await {
                            return self.finish(DisconnectReason::LoggedOut).await;
                        }
                    }
                }
            }
        }
        .instrument(span)
        .await
    }

    async fn finish(&mut self, reason: DisconnectReason) {
        let error = match &reason {
            DisconnectReason::AuthFailed(error) => SdkError::Api(error.clone()),
            DisconnectReason::TokenExpired => SdkError::Api(community_protocol::ApiError::new(
                ErrorCode::TOKEN_EXPIRED,
                "token expired",
            )),
            _ => SdkError::NotLoggedIn,
        };
        // State first: whoever waits for the first login sees the final state.
        self.set_state(ConnectionState::Disconnected {
            reason: reason.clone(),
        });
        self.report_first(Err(error));
        self.inbound.push(Inbound::Ended(reason));
        // Everything received reaches the sync task (unless it is gone).
        self.inbound.drain().await;
        tracing::info!("connection ended");
    }

    /// Waits `delay` while answering commands as offline. False when told to stop.
    async fn idle(&mut self, delay: Duration) -> bool {
        let until = deadline_in(delay);
        loop {
            tokio::select! {
                _ = sleep_until(until) => return true,
                _ = self.stop.changed() => return false,
                command = self.commands.recv() => match command {
                    Some(Command::Request { reply, .. }) => {
                        let _ = reply.send(Err(ConnectionError::NotConnected.into()));
                    }
                    Some(Command::Logout { reply }) => {
                        let _ = reply.send(Ok(()));
                        return false;
                    }
                    Some(Command::Reconnect) => {}
                    None => return false,
                },
            }
        }
    }

    /// One connection, from TCP connect to its end.
    async fn session(&mut self) -> Ending {
        let url = self.config.url.clone();
        let connect = tokio_tungstenite::connect_async_with_config(url.as_str(), None, true);
        let ws = match timeout(self.config.connect_timeout, connect).await {
            Ok(Ok((ws, _))) => ws,
            Ok(Err(error)) => {
                tracing::debug!(%error, "connect failed");
                self.report_first(Err(ConnectionError::Transport(error.to_string()).into()));
                return Ending::Retry { connected: false };
            }
            Err(_) => {
                self.report_first(Err(
                    ConnectionError::Transport("connect timed out".into()).into()
                ));
                return Ending::Retry { connected: false };
            }
        };
        let (mut sink, mut stream) = ws.split();
        let welcome = match self.handshake(&mut sink, &mut stream).await {
            Ok(interval) => interval,
            Err(ending) => return ending,
        };
        let logged_in = match self.login(&mut sink, &mut stream).await {
            Ok(logged_in) => logged_in,
            Err(ending) => return ending,
        };
        self.serve(sink, stream, welcome, logged_in).await
    }
}

/// How long one frame may take to be written. A dead network with a full socket buffer
/// would otherwise block the loop (and its heartbeat check) until the OS gives up.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long closing a connection may take.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// Sends one frame, within [`WRITE_TIMEOUT`].
async fn send(sink: &mut Sink, frame: &ClientFrame) -> Result<(), String> {
    let text = codec::encode_client(frame).map_err(|e| e.to_string())?;
    match tokio::time::timeout(WRITE_TIMEOUT, sink.send(WsMessage::text(text))).await {
        Ok(sent) => sent.map_err(|e| e.to_string()),
        Err(_) => Err(format!("write timed out after {WRITE_TIMEOUT:?}")),
    }
}

/// A frame as this task reads it: decoded by the protocol's forward-compatible decoder,
/// or text that is no server frame at all (logged and skipped).
// Short-lived, one at a time, like the frames it carries (see `codec::Incoming`).
#[allow(clippy::large_enum_variant)]
enum Read {
    Frame(Incoming),
    Unreadable(String),
}

/// The next meaningful frame: `None` when the socket closed, `Err` when it broke.
async fn next_incoming(stream: &mut Stream) -> Option<Result<Read, String>> {
    loop {
        match stream.next().await? {
            Ok(WsMessage::Text(text)) => {
                let read = match codec::decode_incoming(text.as_str()) {
                    Ok(incoming) => Read::Frame(incoming),
                    Err(error) => Read::Unreadable(error.to_string()),
                };
                return Some(Ok(read));
            }
            // A large frame compressed by the server (only after `welcome` agreed on
            // `deflate`, PROTOCOL.md §1).
            Ok(WsMessage::Binary(bytes)) => {
                let read = match codec::inflate(&bytes, codec::MAX_INFLATED_BYTES)
                    .and_then(|text| codec::decode_incoming(&text))
                {
                    Ok(incoming) => Read::Frame(incoming),
                    Err(error) => Read::Unreadable(error.to_string()),
                };
                return Some(Ok(read));
            }
            Ok(WsMessage::Close(_)) => return None,
            Ok(_) => {}
            Err(error) => return Some(Err(error.to_string())),
        }
    }
}

/// `future` bounded by `deadline`; `None` on timeout or when the future gave `None`.
async fn timeout_at<T>(deadline: Instant, future: impl Future<Output = Option<T>>) -> Option<T> {
    tokio::time::timeout_at(deadline, future)
        .await
        .ok()
        .flatten()
}
