//! One HTTP/1.1 client for every hook: a signed JSON `POST`, a deadline for the whole
//! exchange, and a few idle connections kept per endpoint so that a busy before-send
//! check does not pay a TCP handshake per message.
//!
//! Built on hyper's connection API (the server already links hyper) rather than a full
//! client crate: the hooks need no redirects, cookies, proxies or TLS (see `url`).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Request, StatusCode, header};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::{HookUrl, SIGNATURE_HEADER, WebhookSecret};

/// The largest answer body read from a hook; a bigger one is a failed call.
pub const MAX_REPLY_BYTES: usize = 1024 * 1024;

/// Idle connections kept per endpoint.
const IDLE_PER_ENDPOINT: usize = 32;

/// The header naming an after-event or push request, so a receiver can drop duplicates.
pub const EVENT_ID_HEADER: &str = "x-community-event-id";

/// Why a hook call failed.
#[derive(Debug, thiserror::Error)]
pub enum HookError {
    /// No answer within the deadline.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The endpoint could not be reached.
    #[error("cannot connect: {0}")]
    Connect(#[source] std::io::Error),
    /// The HTTP exchange failed (connection closed, bad response).
    #[error("HTTP exchange failed: {0}")]
    Http(String),
    /// The answer's body was over [`MAX_REPLY_BYTES`].
    #[error("answer larger than {MAX_REPLY_BYTES} bytes")]
    ReplyTooLarge,
}

/// A hook's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookReply {
    /// The HTTP status.
    pub status: StatusCode,
    /// The body.
    pub body: Bytes,
}

impl HookReply {
    /// True for a 2xx status.
    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }
}

type Sender = SendRequest<Full<Bytes>>;

/// Sends signed JSON to hook endpoints.
pub struct HookClient {
    secret: WebhookSecret,
    idle: Mutex<HashMap<(String, u16), Vec<Sender>>>,
    user_agent: String,
}

impl std::fmt::Debug for HookClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HookClient").finish_non_exhaustive()
    }
}

impl HookClient {
    /// A client signing with `secret`.
    pub fn new(secret: WebhookSecret) -> Self {
        Self {
            secret,
            idle: Mutex::new(HashMap::new()),
            user_agent: format!("community-server/{}", env!("CARGO_PKG_VERSION")),
        }
    }

    /// POSTs `body` (JSON) to `url`, signed, with `event_id` in its header when given;
    /// the whole exchange (connect, send, read the answer) within `timeout`.
    pub async fn post_json(
        &self,
        url: &HookUrl,
        event_id: Option<&str>,
        body: Vec<u8>,
        timeout: Duration,
    ) -> Result<HookReply, HookError> {
        tokio::time::timeout(timeout, self.exchange(url, event_id, body))
            .await
            .unwrap_or(Err(HookError::Timeout(timeout)))
    }

    async fn exchange(
        &self,
        url: &HookUrl,
        event_id: Option<&str>,
        body: Vec<u8>,
    ) -> Result<HookReply, HookError> {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        let signature = self.secret.sign(now_ms, &body);
        let mut builder = Request::post(url.path())
            .header(header::HOST, url.authority())
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::USER_AGENT, &self.user_agent)
            .header(SIGNATURE_HEADER, signature);
        if let Some(event_id) = event_id {
            builder = builder.header(EVENT_ID_HEADER, event_id);
        }
        let request = builder
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| HookError::Http(e.to_string()))?;
        let mut sender = match self.take_idle(url) {
            Some(sender) => sender,
            None => connect(url).await?,
        };
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| HookError::Http(e.to_string()))?;
        let status = response.status();
        let keep_alive = !response
            .headers()
            .get(header::CONNECTION)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
        let body = Limited::new(response.into_body(), MAX_REPLY_BYTES)
            .collect()
            .await
            .map_err(|e| {
                if e.downcast_ref::<http_body_util::LengthLimitError>()
                    .is_some()
                {
                    HookError::ReplyTooLarge
                } else {
                    HookError::Http(e.to_string())
                }
            })?
            .to_bytes();
        if keep_alive {
            self.put_idle(url, sender);
        }
        Ok(HookReply { status, body })
    }

    fn take_idle(&self, url: &HookUrl) -> Option<Sender> {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        let senders = idle.get_mut(&(url.host().to_owned(), url.port()))?;
        while let Some(sender) = senders.pop() {
            if !sender.is_closed() && sender.is_ready() {
                return Some(sender);
            }
        }
        None
    }

    fn put_idle(&self, url: &HookUrl, sender: Sender) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        let senders = idle.entry((url.host().to_owned(), url.port())).or_default();
        if senders.len() < IDLE_PER_ENDPOINT {
            senders.push(sender);
        }
    }
}

async fn connect(url: &HookUrl) -> Result<Sender, HookError> {
    let stream = TcpStream::connect((url.host(), url.port()))
        .await
        .map_err(HookError::Connect)?;
    stream.set_nodelay(true).map_err(HookError::Connect)?;
    let (sender, connection) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| HookError::Http(e.to_string()))?;
    // The connection task ends when the endpoint or the last sender closes it.
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "webhook connection ended");
        }
    });
    Ok(sender)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// A one-connection HTTP server answering every request with `answer`, handing the
    /// raw requests it read to the test.
    async fn serve(answer: &'static str) -> (HookUrl, tokio::sync::mpsc::Receiver<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url =
            HookUrl::parse(&format!("http://{}/hook", listener.local_addr().unwrap())).unwrap();
        let (seen, requests) = tokio::sync::mpsc::channel(8);
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buffer = vec![0; 64 * 1024];
            loop {
                let read = socket.read(&mut buffer).await.unwrap();
                if read == 0 {
                    return;
                }
                let _ = seen
                    .send(String::from_utf8_lossy(&buffer[..read]).into_owned())
                    .await;
                socket.write_all(answer.as_bytes()).await.unwrap();
            }
        });
        (url, requests)
    }

    #[tokio::test]
    async fn posts_are_signed_and_connections_reused() {
        let (url, mut requests) =
            serve("HTTP/1.1 200 OK\r\ncontent-length: 15\r\n\r\n{\"action\":\"ok\"}").await;
        let secret = WebhookSecret::new("k");
        let client = HookClient::new(secret.clone());
        for _ in 0..2 {
            let reply = client
                .post_json(
                    &url,
                    Some("ev_1"),
                    b"{\"a\":1}".to_vec(),
                    Duration::from_secs(5),
                )
                .await
                .unwrap();
            assert!(reply.is_success());
            assert_eq!(&reply.body[..], b"{\"action\":\"ok\"}");
            let request = requests.recv().await.unwrap();
            assert!(request.starts_with("POST /hook HTTP/1.1\r\n"), "{request}");
            assert!(request.contains("x-community-event-id: ev_1\r\n"));
            let signature = request
                .lines()
                .find_map(|l| l.strip_prefix("x-community-signature: "))
                .unwrap();
            assert!(secret.verify(signature, b"{\"a\":1}"));
        }
    }

    #[tokio::test]
    async fn a_silent_endpoint_times_out_and_a_closed_one_fails() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = HookUrl::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
        let client = HookClient::new(WebhookSecret::new("k"));
        let error = client
            .post_json(&url, None, b"{}".to_vec(), Duration::from_millis(50))
            .await
            .unwrap_err();
        assert!(matches!(error, HookError::Timeout(_)), "{error}");
        drop(listener);
        let error = client
            .post_json(&url, None, b"{}".to_vec(), Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(matches!(error, HookError::Connect(_)), "{error}");
    }
}
