//! The wire side shared by the server's bench programs: connecting, hello and login,
//! one request and its answer, and the process's CPU time. Clients stay cheap: frames
//! other than the awaited answer are skipped undecoded where possible.

use std::time::Duration;

use community_protocol::request::Login;
use community_protocol::{ClientFrame, PROTOCOL_VERSION, Request, Response, ServerFrame, codec};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A bench client's WebSocket.
pub(crate) type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;
/// Any error of a bench.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// CPU time (user + system) of this process so far, in microseconds.
pub(crate) fn cpu_us() -> u64 {
    // SAFETY: getrusage only writes the struct we pass.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let us = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    us(usage.ru_utime) + us(usage.ru_stime)
}

pub(crate) async fn connect(url: &str) -> Result<Ws, BoxError> {
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let (ws, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), true).await?;
    Ok(ws)
}

pub(crate) async fn send_frame(ws: &mut Ws, frame: &ClientFrame) -> Result<(), BoxError> {
    ws.send(WsMessage::text(codec::encode_client(frame)?))
        .await?;
    Ok(())
}

/// Reads frames until the response to `id` (events are skipped).
pub(crate) async fn response(ws: &mut Ws, id: u64) -> Result<Response, BoxError> {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(60), ws.next())
            .await?
            .ok_or("connection closed")??;
        let WsMessage::Text(text) = message else {
            continue;
        };
        match codec::decode_server(text.as_str())? {
            ServerFrame::Response { id: got, outcome } if got == id => {
                return Result::<Response, _>::from(outcome).map_err(Into::into);
            }
            ServerFrame::Goodbye { reason, .. } => {
                return Err(format!("goodbye: {reason:?}").into());
            }
            _ => {}
        }
    }
}

pub(crate) async fn request(ws: &mut Ws, id: u64, request: Request) -> Result<Response, BoxError> {
    send_frame(ws, &ClientFrame::Request { id, request }).await?;
    response(ws, id).await
}

pub(crate) async fn hello_login(url: &str, user: &str, token: String) -> Result<Ws, BoxError> {
    let mut ws = connect(url).await?;
    send_frame(
        &mut ws,
        &ClientFrame::Hello {
            protocol_version: PROTOCOL_VERSION,
            client: crate::CLIENT_NAME.into(),
            compression: Vec::new(),
        },
    )
    .await?;
    let login = Request::Login(Login {
        user_id: user.into(),
        token,
        device_id: String::new(),
        resume: None,
    });
    request(&mut ws, 1, login).await?;
    Ok(ws)
}

pub(crate) fn user(i: usize) -> String {
    format!("u{i}")
}
