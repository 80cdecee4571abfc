//! Shared helpers of the server's integration tests: a real server on 127.0.0.1:0 with a
//! temporary data directory, and a raw WebSocket client speaking protocol v1 with bounded
//! waits everywhere (every wait panics after [`WAIT`] instead of hanging).
//!
//! The client checks on every event it reads that the session's event sequence has no
//! gap and no repeat, so every test that reads events also checks that invariant.
#![allow(dead_code)]

pub mod hooks;
pub mod http;
pub mod large;
pub mod nats;
pub mod openapi;

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use community_protocol::request::*;
use community_protocol::response::{LoggedIn, MessagesPage};
use community_protocol::*;
use community_server::{RunningServer, ServerConfig};
use futures_util::{SinkExt, StreamExt};
use tempfile::TempDir;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The longest any single wait in a test may take.
pub const WAIT: Duration = Duration::from_secs(15);
/// A token validity long enough for any test.
pub const HOUR: Duration = Duration::from_secs(3600);

/// A running server with its own temporary data directory.
pub struct TestServer {
    /// The server (None only while restarting).
    pub server: Option<RunningServer>,
    /// The configuration it runs with (its `listen` is the bound address after start).
    pub config: ServerConfig,
    /// Keeps the data directory alive.
    pub dir: TempDir,
}

impl TestServer {
    /// A server with the default configuration.
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    /// A server whose configuration `adjust` changes first.
    pub async fn start_with(adjust: impl FnOnce(&mut ServerConfig)) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = ServerConfig::new("127.0.0.1:0".parse().expect("addr"), dir.path());
        adjust(&mut config);
        let server = RunningServer::start(config.clone())
            .await
            .expect("server starts");
        config.listen = server.local_addr();
        TestServer {
            server: Some(server),
            config,
            dir,
        }
    }

    /// The running server.
    pub fn server(&self) -> &RunningServer {
        self.server.as_ref().expect("server is running")
    }

    /// `ws://127.0.0.1:PORT/ws`.
    pub fn url(&self) -> String {
        self.server().ws_url()
    }

    /// A token for `user`, valid for an hour.
    pub fn token(&self, user: &str) -> String {
        self.server().issue_token(user, HOUR).expect("token")
    }

    /// Gracefully stops the server and starts it again on the same address and data.
    pub async fn restart(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
        self.start_again().await;
    }

    /// Starts the server again (after a shutdown or kill) on the same address and data.
    pub async fn start_again(&mut self) {
        let mut last_error = None;
        for _ in 0..50 {
            match RunningServer::start(self.config.clone()).await {
                Ok(server) => {
                    self.server = Some(server);
                    return;
                }
                Err(error) => {
                    last_error = Some(error);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        panic!("server did not restart: {last_error:?}");
    }

    /// Connects, says hello and logs `user` in with a fresh session.
    pub async fn login(&self, user: &str) -> Client {
        let mut client = Client::connect(&self.url()).await;
        client.hello().await;
        client.login_ok(user, &self.token(user), "", None).await;
        client
    }
}

/// What the server said when it closed a connection.
#[derive(Debug, Clone, PartialEq)]
pub struct Bye {
    /// Why.
    pub reason: GoodbyeReason,
    /// Whether to reconnect.
    pub reconnect: bool,
}

/// A raw protocol v1 client.
pub struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    /// Events read while waiting for something else, oldest first.
    pub events: VecDeque<(u64, Event)>,
    /// The last event sequence read (checked for gaps).
    pub last_event_seq: u64,
    /// The code of the server's WebSocket close frame, once one was read.
    pub close_code: Option<u16>,
    /// The session id of the last successful login.
    pub session_id: String,
    /// The user logged in.
    pub user_id: String,
}

impl Client {
    /// Opens a WebSocket to `url` (no hello yet).
    pub async fn connect(url: &str) -> Client {
        let (ws, _) = tokio::time::timeout(
            WAIT,
            tokio_tungstenite::connect_async_with_config(url, None, true),
        )
        .await
        .expect("connect in time")
        .expect("WebSocket connects");
        Client {
            ws,
            next_id: 1,
            events: VecDeque::new(),
            last_event_seq: 0,
            close_code: None,
            session_id: String::new(),
            user_id: String::new(),
        }
    }

    /// Sends a raw text frame.
    pub async fn send_text(&mut self, text: impl Into<String>) {
        self.ws
            .send(WsMessage::text(text.into()))
            .await
            .expect("send frame");
    }

    /// Sends a raw WebSocket message.
    pub async fn send_raw(&mut self, message: WsMessage) {
        self.ws.send(message).await.expect("send frame");
    }

    /// Sends a client frame.
    pub async fn send_frame(&mut self, frame: &ClientFrame) {
        let text = codec::encode_client(frame).expect("encode");
        self.send_text(text).await;
    }

    /// The next WebSocket message, or None when the connection closed.
    pub async fn next_raw(&mut self) -> Option<WsMessage> {
        loop {
            let message = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("a frame in time");
            match message {
                Some(Ok(WsMessage::Close(frame))) => {
                    self.close_code = frame.map(|frame| u16::from(frame.code));
                    return None;
                }
                None | Some(Err(_)) => return None,
                Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_) | WsMessage::Frame(_))) => continue,
                Some(Ok(message)) => return Some(message),
            }
        }
    }

    /// The next server frame, or None when the connection closed.
    pub async fn next_frame(&mut self) -> Option<ServerFrame> {
        let message = self.next_raw().await?;
        let text = match message {
            // A compressed frame (only after `deflate` was agreed, §1).
            WsMessage::Binary(bytes) => {
                codec::inflate(&bytes, codec::MAX_INFLATED_BYTES).expect("a deflated frame")
            }
            other => other.into_text().expect("server sends text").to_string(),
        };
        Some(
            codec::decode_server(text.as_str())
                .unwrap_or_else(|e| panic!("bad server frame {text}: {e}")),
        )
    }

    fn record_event(&mut self, seq: u64, event: Event) {
        assert_eq!(
            seq,
            self.last_event_seq + 1,
            "event sequence must have no gap and no repeat (got {seq} after {}): {event:?}",
            self.last_event_seq
        );
        self.last_event_seq = seq;
        self.events.push_back((seq, event));
    }

    /// The next frame that is not an event (events are buffered in `events`).
    pub async fn next_non_event(&mut self) -> Option<ServerFrame> {
        loop {
            match self.next_frame().await? {
                ServerFrame::Event { seq, event } => self.record_event(seq, event),
                frame => return Some(frame),
            }
        }
    }

    /// Says hello and expects `welcome`.
    pub async fn hello(&mut self) -> ServerFrame {
        self.send_frame(&ClientFrame::Hello {
            protocol_version: PROTOCOL_VERSION,
            client: "server-tests".into(),
            compression: Vec::new(),
        })
        .await;
        let welcome = self.next_non_event().await.expect("welcome");
        assert!(
            matches!(
                welcome,
                ServerFrame::Welcome {
                    protocol_version: 1,
                    ..
                }
            ),
            "{welcome:?}"
        );
        welcome
    }

    /// Sends a request and returns its id (without waiting).
    pub async fn send_request(&mut self, request: Request) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send_frame(&ClientFrame::Request { id, request }).await;
        id
    }

    /// Waits for the response to request `id` (buffering events; other frames fail).
    pub async fn response(&mut self, id: u64) -> Result<Response, ApiError> {
        match self.next_non_event().await {
            Some(ServerFrame::Response { id: got, outcome }) => {
                assert_eq!(got, id, "responses come in request order");
                outcome.into()
            }
            other => panic!("expected the response to {id}, got {other:?}"),
        }
    }

    /// Sends a request and waits for its response.
    pub async fn request(&mut self, request: Request) -> Result<Response, ApiError> {
        let id = self.send_request(request).await;
        self.response(id).await
    }

    /// A request that must succeed.
    pub async fn ok(&mut self, request: Request) -> Response {
        let op = request.op();
        self.request(request)
            .await
            .unwrap_or_else(|e| panic!("{op} failed: {e}"))
    }

    /// A request that must fail with `code`.
    pub async fn fails(&mut self, request: Request, code: ErrorCode) -> ApiError {
        let op = request.op();
        match self.request(request).await {
            Ok(response) => panic!("{op} should fail with {code}, got {response:?}"),
            Err(error) => {
                assert_eq!(error.code, code, "{op}: {error}");
                error
            }
        }
    }

    /// Logs in (optionally resuming) and returns the outcome.
    pub async fn login(
        &mut self,
        user: &str,
        token: &str,
        device: &str,
        resume: Option<Resume>,
    ) -> Result<Response, ApiError> {
        let request = Request::Login(Login {
            user_id: user.into(),
            token: token.into(),
            device_id: device.into(),
            resume,
        });
        self.request(request).await
    }

    /// Logs in and expects success; sets up the event sequence check.
    pub async fn login_ok(
        &mut self,
        user: &str,
        token: &str,
        device: &str,
        resume: Option<Resume>,
    ) -> LoggedIn {
        let resuming_from = resume.as_ref().map(|r| r.last_event_seq);
        match self.login(user, token, device, resume).await {
            Ok(Response::LoggedIn(logged_in)) => {
                // Events buffered before the response belong to no one here.
                assert!(self.events.is_empty(), "no event before logged_in");
                self.last_event_seq = match (logged_in.resumed, resuming_from) {
                    (true, Some(from)) => from,
                    _ => 0,
                };
                self.session_id = logged_in.session_id.clone();
                self.user_id = user.into();
                logged_in
            }
            other => panic!("login of {user} failed: {other:?}"),
        }
    }

    /// The next event (buffered or read), failing if another kind of frame comes.
    pub async fn next_event(&mut self) -> (u64, Event) {
        if let Some(event) = self.events.pop_front() {
            return event;
        }
        match self.next_frame().await {
            Some(ServerFrame::Event { seq, event }) => {
                self.record_event(seq, event);
                self.events.pop_front().expect("just recorded")
            }
            other => panic!("expected an event, got {other:?}"),
        }
    }

    /// Skips events until one matches; returns it. Bounded by [`WAIT`] per frame and
    /// 10,000 events.
    pub async fn event_where(&mut self, mut matches: impl FnMut(&Event) -> bool) -> Event {
        for _ in 0..10_000 {
            let (_, event) = self.next_event().await;
            if matches(&event) {
                return event;
            }
        }
        panic!("no matching event among 10,000");
    }

    /// The next `message_created` event's message.
    pub async fn next_message(&mut self) -> Message {
        match self
            .event_where(|e| matches!(e, Event::MessageCreated { .. }))
            .await
        {
            Event::MessageCreated { message } => message,
            _ => unreachable!(),
        }
    }

    /// Reads until a goodbye (buffering events) and then expects the close.
    pub async fn expect_goodbye(&mut self) -> Bye {
        let frame = self.next_non_event().await;
        let Some(ServerFrame::Goodbye {
            reason, reconnect, ..
        }) = frame
        else {
            panic!("expected goodbye, got {frame:?}");
        };
        self.expect_closed().await;
        Bye { reason, reconnect }
    }

    /// Expects the connection to close (at most 100 more frames, all events).
    pub async fn expect_closed(&mut self) {
        for _ in 0..100 {
            match self.next_frame().await {
                None => return,
                Some(ServerFrame::Event { seq, event }) => self.record_event(seq, event),
                Some(other) => panic!("expected the close, got {other:?}"),
            }
        }
        panic!("connection did not close");
    }

    /// Closes the connection from the client side (no logout: the session lingers).
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }

    /// Drops the TCP connection without a close handshake.
    pub fn drop_connection(self) {}

    /// The resume parameters for this client's session and position.
    pub fn resume(&self) -> Resume {
        Resume {
            session_id: self.session_id.clone(),
            last_event_seq: self.last_event_seq,
        }
    }
}

/// `create_community` with a name (and a custom id when given). Test communities write
/// no system messages, so sequences are those of the messages a test sends; the tests of
/// system messages switch them on.
pub fn create(name: &str, id: Option<&str>) -> Request {
    Request::CreateCommunity(CreateCommunity {
        community_id: id.map(Into::into),
        name: name.into(),
        system_messages: Some(false),
        ..Default::default()
    })
}

/// Creates a community and returns its snapshot.
pub async fn create_community(client: &mut Client, name: &str) -> CommunitySnapshot {
    match client.ok(create(name, None)).await {
        Response::Community(snapshot) => snapshot,
        other => panic!("unexpected {other:?}"),
    }
}

/// `join_community`.
pub fn join(community: &str) -> Request {
    Request::JoinCommunity(JoinCommunity {
        community_id: community.into(),
        message: String::new(),
    })
}

/// `send_message` of a text.
pub fn send_text(community: &str, channel: &str, key: &str, text: &str) -> Request {
    Request::SendMessage(SendMessage {
        community_id: community.into(),
        channel_id: channel.into(),
        idempotency_key: key.into(),
        content: MessageContent::Text { text: text.into() },
        mentions: Mentions::default(),
        reply_to: None,
        priority: Priority::Normal,
        custom_data: String::new(),
        forward_of: None,
    })
}

/// Sends a text and returns the stored message.
pub async fn send(
    client: &mut Client,
    community: &CommunityId,
    channel: &ChannelId,
    key: &str,
    text: &str,
) -> Message {
    match client
        .ok(send_text(community.as_str(), channel.as_str(), key, text))
        .await
    {
        Response::MessageSent(message) => message,
        other => panic!("unexpected {other:?}"),
    }
}

/// `get_messages` after a sequence (oldest first), up to `limit`.
pub fn history_after(community: &str, channel: &str, after: u64, limit: Option<u32>) -> Request {
    Request::GetMessages(GetMessages {
        community_id: community.into(),
        channel_id: channel.into(),
        before_seq: None,
        after_seq: Some(after),
        limit,
    })
}

/// Every message of a channel, ascending (bounded to 100 pages).
pub async fn all_messages(
    client: &mut Client,
    community: &CommunityId,
    channel: &ChannelId,
) -> Vec<Message> {
    let mut all = Vec::new();
    for _ in 0..100 {
        let after = all.last().map(|m: &Message| m.seq).unwrap_or(0);
        match client
            .ok(history_after(
                community.as_str(),
                channel.as_str(),
                after,
                Some(100),
            ))
            .await
        {
            Response::Messages(MessagesPage {
                messages, has_more, ..
            }) => {
                all.extend(messages);
                if !has_more {
                    return all;
                }
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    panic!("more than 100 pages");
}

/// A `sync` knowing nothing.
pub fn sync_all() -> Request {
    Request::Sync(Sync {
        known: BTreeMap::new(),
    })
}

/// A community reference.
pub fn community_ref(community: &str) -> CommunityRef {
    CommunityRef {
        community_id: community.into(),
    }
}
