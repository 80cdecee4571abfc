//! The connection task's loop: connect, handshake, login, serve, reconnect.

mod handshake;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use community_protocol::frame::Outcome;
use community_protocol::request::{Empty, Resume};
use community_protocol::response::LoggedIn;
use community_protocol::{ClientFrame, ErrorCode, Request, Response, ServerFrame, codec};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use rand::Rng;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, sleep_until, timeout};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tracing::Instrument;

use super::frames::{self, Incoming};
use super::{Command, ConnectionConfig, Credentials, Inbound};
use crate::backoff::Backoff;
use crate::clock::{FAR, deadline_in, millis, now_ms};
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
    commands: mpsc::UnboundedReceiver<Command>,
    inbound: mpsc::UnboundedSender<Inbound>,
    first_login: Option<oneshot::Sender<Result<LoggedIn, SdkError>>>,
    tokens_tx: mpsc::UnboundedSender<Option<String>>,
    tokens_rx: mpsc::UnboundedReceiver<Option<String>>,
    next_id: u64,
    state: Option<ConnectionState>,
    epoch: u64,
}

/// Where the answer to one request goes.
type Reply = oneshot::Sender<Result<Response, SdkError>>;

/// Per-connection bookkeeping of the serve loop.
struct Live {
    /// Requests sent and not answered yet, by id.
    pending: HashMap<u64, Reply>,
    refreshing: HashMap<u64, String>,
    logout: Option<(u64, oneshot::Sender<Result<(), SdkError>>)>,
    heartbeat_every: Duration,
    next_heartbeat: Instant,
    awaiting_ack: bool,
    refresh_at: Option<Instant>,
    /// Server clock minus local clock, in ms.
    clock_offset_ms: i64,
}

impl Task {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        config: ConnectionConfig,
        credentials: Arc<Mutex<Credentials>>,
        resume: Option<Resume>,
        applied_seq: Arc<AtomicU64>,
        hub: Arc<Hub>,
        commands: mpsc::UnboundedReceiver<Command>,
        inbound: mpsc::UnboundedSender<Inbound>,
        first_login: oneshot::Sender<Result<LoggedIn, SdkError>>,
    ) -> Self {
        let (tokens_tx, tokens_rx) = mpsc::unbounded_channel();
        let epoch = hub.next_connection_epoch();
        Self {
            epoch,
            config,
            credentials,
            resume,
            applied_seq,
            hub,
            commands,
            inbound,
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

    /// The task's body: sessions until a stop or a terminal ending.
    pub(crate) async fn run(mut self) {
        let user = self.credentials().user_id;
        let span = tracing::info_span!("connection", user = %user);
        async move {
            let mut backoff = Backoff::new(self.config.backoff);
            self.set_state(ConnectionState::Connecting);
            loop {
                let ending = self.session().await;
                match ending {
                    Ending::Stop => {
                        self.finish(DisconnectReason::LoggedOut);
                        return;
                    }
                    Ending::Terminal(reason) => {
                        self.finish(reason);
                        return;
                    }
                    Ending::Retry { connected } => {
                        let _ = self.inbound.send(Inbound::Lost);
                        if connected {
                            backoff.reset();
                        }
                        if self
                            .config
                            .max_reconnect_attempts
                            .is_some_and(|max| backoff.attempt() >= max)
                        {
                            self.finish(DisconnectReason::Network);
                            return;
                        }
                        let delay = backoff.next_delay();
                        self.set_state(ConnectionState::Reconnecting {
                            attempt: backoff.attempt(),
                            next_delay: delay,
                        });
                        tracing::info!(attempt = backoff.attempt(), ?delay, "reconnecting");
                        if !self.idle(delay).await {
                            self.finish(DisconnectReason::LoggedOut);
                            return;
                        }
                    }
                }
            }
        }
        .instrument(span)
        .await
    }

    fn finish(&mut self, reason: DisconnectReason) {
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
        let _ = self.inbound.send(Inbound::Ended(reason));
        tracing::info!("connection ended");
    }

    /// Waits `delay` while answering commands as offline. False when told to stop.
    async fn idle(&mut self, delay: Duration) -> bool {
        let until = deadline_in(delay);
        loop {
            tokio::select! {
                _ = sleep_until(until) => return true,
                command = self.commands.recv() => match command {
                    Some(Command::Request { reply, .. }) => {
                        let _ = reply.send(Err(ConnectionError::NotConnected.into()));
                    }
                    Some(Command::Logout { reply }) => {
                        let _ = reply.send(Ok(()));
                        return false;
                    }
                    Some(Command::Stop) | None => return false,
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

    /// The logged-in loop: requests, responses, events, heartbeats, token refresh.
    async fn serve(
        &mut self,
        mut sink: Sink,
        mut stream: Stream,
        heartbeat_every: Duration,
        logged_in: LoggedIn,
    ) -> Ending {
        let resumed = logged_in.resumed;
        let last_seq = match (&self.resume, resumed) {
            (Some(resume), true) => resume.last_event_seq,
            _ => logged_in.event_seq,
        };
        self.resume = Some(Resume {
            session_id: logged_in.session_id.clone(),
            last_event_seq: last_seq,
        });
        let mut live = Live {
            pending: HashMap::new(),
            refreshing: HashMap::new(),
            logout: None,
            heartbeat_every,
            next_heartbeat: deadline_in(
                heartbeat_every.mul_f64(rand::rng().random_range(0.0..1.0)),
            ),
            awaiting_ack: false,
            refresh_at: None,
            clock_offset_ms: logged_in.server_time_ms.saturating_sub(now_ms()),
        };
        self.schedule_refresh(&mut live, logged_in.token_expires_at_ms);
        tracing::info!(resumed, session = %logged_in.session_id, "logged in");
        let _ = self
            .inbound
            .send(Inbound::LoggedIn(Box::new(logged_in.clone())));
        self.set_state(ConnectionState::Connected);
        self.report_first(Ok(logged_in));

        let ending = self.serve_loop(&mut sink, &mut stream, &mut live).await;
        for (_, reply) in live.pending.drain() {
            let _ = reply.send(Err(ConnectionError::Lost.into()));
        }
        if let Some((_, reply)) = live.logout.take() {
            let _ = reply.send(Ok(()));
        }
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, sink.close()).await;
        ending
    }

    async fn serve_loop(
        &mut self,
        sink: &mut Sink,
        stream: &mut Stream,
        live: &mut Live,
    ) -> Ending {
        let far = deadline_in(FAR);
        loop {
            let refresh_at = live.refresh_at.unwrap_or(far);
            tokio::select! {
                incoming = next_incoming(stream) => {
                    let incoming = match incoming {
                        Some(Ok(incoming)) => incoming,
                        Some(Err(error)) => {
                            tracing::info!(%error, "connection broke");
                            return Ending::Retry { connected: true };
                        }
                        None => {
                            tracing::info!("connection closed by the server");
                            return Ending::Retry { connected: true };
                        }
                    };
                    if let Some(ending) = self.on_incoming(incoming, live).await {
                        return ending;
                    }
                }
                command = self.commands.recv() => {
                    let Some(command) = command else { return Ending::Stop };
                    if let Some(ending) = self.on_command(command, sink, live).await {
                        return ending;
                    }
                }
                token = self.tokens_rx.recv() => {
                    if let Some(Some(token)) = token {
                        let id = self.next_id();
                        live.refreshing.insert(id, token.clone());
                        let frame = ClientFrame::Request { id, request: Request::RefreshToken(community_protocol::request::RefreshToken { token }) };
                        if send(sink, &frame).await.is_err() {
                            return Ending::Retry { connected: true };
                        }
                    }
                }
                _ = sleep_until(live.next_heartbeat) => {
                    if live.awaiting_ack {
                        tracing::info!("no heartbeat ack: the connection is dead");
                        return Ending::Retry { connected: true };
                    }
                    let received = self.resume.as_ref().map_or(0, |r| r.last_event_seq);
                    let applied = self.applied_seq.load(Ordering::Acquire);
                    let frame = ClientFrame::Heartbeat { last_event_seq: received.min(applied) };
                    if send(sink, &frame).await.is_err() {
                        return Ending::Retry { connected: true };
                    }
                    live.awaiting_ack = true;
                    live.next_heartbeat = deadline_in(live.heartbeat_every);
                }
                _ = sleep_until(refresh_at), if live.refresh_at.is_some() => {
                    live.refresh_at = None;
                    if let Some(provider) = self.config.token_provider.clone() {
                        let user = self.credentials().user_id;
                        let tokens = self.tokens_tx.clone();
                        tokio::spawn(async move {
                            let token = provider.fetch_token(&user).await;
                            let _ = tokens.send(token);
                        });
                    }
                }
            }
        }
    }

    async fn on_incoming(&mut self, incoming: Incoming, live: &mut Live) -> Option<Ending> {
        match incoming {
            Incoming::Frame(frame) => match *frame {
                ServerFrame::Response { id, outcome } => {
                    self.on_response(id, outcome, live);
                    if live
                        .logout
                        .as_ref()
                        .is_some_and(|(logout_id, _)| *logout_id == id)
                    {
                        if let Some((_, reply)) = live.logout.take() {
                            let _ = reply.send(Ok(()));
                        }
                        return Some(Ending::Terminal(DisconnectReason::LoggedOut));
                    }
                    None
                }
                ServerFrame::Event { seq, event } => self.on_event(seq, Some(Box::new(event))),
                ServerFrame::HeartbeatAck { .. } => {
                    live.awaiting_ack = false;
                    None
                }
                ServerFrame::Goodbye {
                    reason,
                    reconnect,
                    message,
                } => Some(self.goodbye(Some(reason), reconnect, &message).await),
                ServerFrame::Error { error } => {
                    tracing::warn!(%error, "server reported an error");
                    None
                }
                ServerFrame::Welcome { .. } => None,
            },
            Incoming::UnknownEvent { seq } => self.on_event(seq, None),
            Incoming::UnknownGoodbye { reconnect, message } => {
                Some(self.goodbye(None, reconnect, &message).await)
            }
            Incoming::Unreadable(error) => {
                tracing::warn!(%error, "unreadable frame skipped");
                None
            }
        }
    }

    fn on_response(&mut self, id: u64, outcome: Outcome, live: &mut Live) {
        if let Some(token) = live.refreshing.remove(&id) {
            match &outcome {
                Outcome::Result(Response::TokenRefreshed { expires_at_ms }) => {
                    self.set_token(token);
                    let expires_at_ms = *expires_at_ms;
                    self.schedule_refresh(live, expires_at_ms);
                    tracing::info!(expires_at_ms, "token refreshed");
                }
                Outcome::Error(error) => tracing::warn!(%error, "token refresh refused"),
                Outcome::Result(_) => {}
            }
        }
        if let Some(reply) = live.pending.remove(&id) {
            let result: Result<Response, community_protocol::ApiError> = outcome.into();
            let _ = reply.send(result.map_err(SdkError::Api));
        }
    }

    fn on_event(
        &mut self,
        seq: u64,
        event: Option<Box<community_protocol::Event>>,
    ) -> Option<Ending> {
        let resume = self.resume.as_mut()?;
        if seq <= resume.last_event_seq {
            tracing::debug!(seq, "duplicate event skipped");
            return None;
        }
        if seq > resume.last_event_seq + 1 {
            tracing::warn!(
                seq,
                expected = resume.last_event_seq + 1,
                "event stream broken; resuming"
            );
            return Some(Ending::Retry { connected: true });
        }
        resume.last_event_seq = seq;
        let _ = self.inbound.send(Inbound::Event { seq, event });
        None
    }

    async fn on_command(
        &mut self,
        command: Command,
        sink: &mut Sink,
        live: &mut Live,
    ) -> Option<Ending> {
        match command {
            Command::Request { request, reply } => {
                let id = self.next_id();
                if let Request::RefreshToken(refresh) = request.as_ref() {
                    live.refreshing.insert(id, refresh.token.clone());
                }
                let frame = ClientFrame::Request {
                    id,
                    request: *request,
                };
                if let Err(error) = send(sink, &frame).await {
                    tracing::info!(%error, "send failed");
                    let _ = reply.send(Err(ConnectionError::Lost.into()));
                    return Some(Ending::Retry { connected: true });
                }
                live.await_answer(id, reply);
                None
            }
            Command::Logout { reply } => {
                let id = self.next_id();
                let frame = ClientFrame::Request {
                    id,
                    request: Request::Logout(Empty {}),
                };
                if send(sink, &frame).await.is_err() {
                    let _ = reply.send(Ok(()));
                    return Some(Ending::Terminal(DisconnectReason::LoggedOut));
                }
                live.logout = Some((id, reply));
                None
            }
            Command::Stop => Some(Ending::Stop),
        }
    }

    /// Plans the next token refresh `margin` before `expires_at_ms` (server clock), or
    /// half-way when the token lives shorter than twice the margin.
    fn schedule_refresh(&self, live: &mut Live, expires_at_ms: i64) {
        if self.config.token_provider.is_none() {
            live.refresh_at = None;
            return;
        }
        let server_now_ms = now_ms().saturating_add(live.clock_offset_ms);
        let wait = refresh_wait(
            expires_at_ms,
            server_now_ms,
            self.config.token_refresh_margin,
        );
        live.refresh_at = Some(deadline_in(wait));
    }
}

/// How long to wait before refreshing a token that expires at `expires_at_ms` when the
/// server's clock reads `server_now_ms`: `margin` before the expiry, or half-way when the
/// token lives shorter than twice the margin. Saturates on absurd values (server input).
fn refresh_wait(expires_at_ms: i64, server_now_ms: i64, margin: Duration) -> Duration {
    let remaining_ms = u64::try_from(expires_at_ms.saturating_sub(server_now_ms)).unwrap_or(0);
    let margin_ms = millis(margin);
    let wait_ms = if remaining_ms > margin_ms.saturating_mul(2) {
        remaining_ms - margin_ms
    } else {
        remaining_ms / 2
    };
    Duration::from_millis(wait_ms)
}

impl Live {
    /// Remembers a request awaiting its answer, and forgets those whose caller stopped
    /// waiting (timed out or dropped): answers that never come cannot grow the map.
    fn await_answer(&mut self, id: u64, reply: Reply) {
        self.pending.retain(|_, waiting| !waiting.is_closed());
        self.pending.insert(id, reply);
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

/// The next meaningful frame: `None` when the socket closed, `Err` when it broke.
async fn next_incoming(stream: &mut Stream) -> Option<Result<Incoming, String>> {
    loop {
        match stream.next().await? {
            Ok(WsMessage::Text(text)) => return Some(Ok(frames::decode(text.as_str()))),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_waits_saturate_on_absurd_server_clocks() {
        let minute = Duration::from_secs(60);
        assert_eq!(
            refresh_wait(1_000_000, 0, minute),
            Duration::from_millis(940_000)
        );
        assert_eq!(
            refresh_wait(100_000, 0, minute),
            Duration::from_millis(50_000),
            "short-lived: half-way"
        );
        assert_eq!(refresh_wait(0, 5_000, minute), Duration::ZERO, "expired");
        assert_eq!(refresh_wait(i64::MIN, i64::MAX, minute), Duration::ZERO);
        let far = refresh_wait(i64::MAX, i64::MIN, Duration::MAX);
        let max_ms = u64::try_from(i64::MAX).unwrap();
        assert_eq!(far, Duration::from_millis(max_ms / 2));
        // And the deadline built from it does not overflow.
        assert!(deadline_in(far) > Instant::now());
    }

    #[test]
    fn requests_whose_callers_gave_up_are_forgotten() {
        let mut live = Live {
            pending: HashMap::new(),
            refreshing: HashMap::new(),
            logout: None,
            heartbeat_every: Duration::from_secs(1),
            next_heartbeat: Instant::now(),
            awaiting_ack: false,
            refresh_at: None,
            clock_offset_ms: 0,
        };
        let mut waiting = Vec::new();
        for id in 0..1_000 {
            let (reply, answer) = oneshot::channel();
            live.await_answer(id, reply);
            if id % 100 == 0 {
                waiting.push(answer);
            }
            // Every other caller timed out and dropped its receiver.
        }
        assert_eq!(
            live.pending.len(),
            waiting.len() + 1,
            "only live callers stay"
        );
        assert!(live.pending.contains_key(&999));
    }
}
