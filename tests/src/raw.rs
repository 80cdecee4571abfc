//! A bare protocol client: hello, login, requests and their answers, events skipped. The
//! tests use it to ask the server directly, past the SDK's local checks (to compare the
//! server's answer with the SDK's local one).

use community_protocol::codec;
use community_protocol::frame::Outcome;
use community_protocol::request::Login;
use community_protocol::{ApiError, ClientFrame, PROTOCOL_VERSION, Request, Response, ServerFrame};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::MaybeTlsStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::{TestResult, WAIT, fail};

type Socket = tokio_tungstenite::WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// One logged-in protocol connection.
pub struct RawClient {
    ws: Socket,
    next_id: u64,
}

impl RawClient {
    /// Connects to `url`, says hello and logs `user` in with `token`.
    pub async fn login(url: &str, user: &str, token: &str) -> TestResult<Self> {
        let (ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url)).await??;
        let mut client = Self { ws, next_id: 1 };
        client
            .send(&ClientFrame::Hello {
                protocol_version: PROTOCOL_VERSION,
                client: "e2e-raw".into(),
                compression: Vec::new(),
            })
            .await?;
        match client.next_non_event().await? {
            ServerFrame::Welcome { .. } => {}
            other => return fail(format!("expected welcome, got {other:?}")),
        }
        client
            .request(Request::Login(Login {
                user_id: user.into(),
                token: token.into(),
                device_id: "raw".into(),
                resume: None,
            }))
            .await?
            .map_err(|e| format!("login failed: {e}"))?;
        Ok(client)
    }

    async fn send(&mut self, frame: &ClientFrame) -> TestResult {
        let text = codec::encode_client(frame)?;
        self.ws.send(WsMessage::text(text)).await?;
        Ok(())
    }

    async fn next_non_event(&mut self) -> TestResult<ServerFrame> {
        loop {
            let message = tokio::time::timeout(WAIT, self.ws.next()).await?;
            let text = match message {
                Some(Ok(WsMessage::Text(text))) => text,
                Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_) | WsMessage::Frame(_))) => {
                    continue;
                }
                other => return fail(format!("the connection ended: {other:?}")),
            };
            match codec::decode_server(text.as_str())? {
                ServerFrame::Event { .. } => continue,
                frame => return Ok(frame),
            }
        }
    }

    /// Sends `request` and returns the server's answer (its typed error included).
    pub async fn request(&mut self, request: Request) -> TestResult<Result<Response, ApiError>> {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&ClientFrame::Request { id, request }).await?;
        match self.next_non_event().await? {
            ServerFrame::Response { id: got, outcome } if got == id => Ok(match outcome {
                Outcome::Result(response) => Ok(response),
                Outcome::Error(error) => Err(error),
            }),
            other => fail(format!("expected the answer to {id}, got {other:?}")),
        }
    }
}
