//! A WebSocket-aware proxy for the fault tests: it relays whole frames between SDK clients
//! and the server, and lets a test rewrite or drop the server's text frames on their way
//! to the client — a damaged event, an answer that never comes.
//!
//! Where [`FaultProxy`](crate::FaultProxy) breaks the byte stream (freezes, resets), this
//! one changes the meaning of single frames while the connection stays healthy. Clients
//! connect to [`FrameProxy::ws_url`]; each connection gets its own upstream connection to
//! the server. Dropping the proxy stops the accept loop and every connection task.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};
use tokio_tungstenite::tungstenite::Message;

/// What happens to one server frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Forward it as it is.
    Pass,
    /// Forward this text instead.
    Replace(String),
    /// Do not forward it.
    Drop,
}

/// Decides the fate of each text frame the server sends (called in order, per connection).
pub type Rewrite = Arc<dyn Fn(&str) -> Verdict + Send + Sync>;

/// The proxy: a listener on `127.0.0.1:0` and its connection tasks.
pub struct FrameProxy {
    addr: SocketAddr,
    accept: JoinHandle<()>,
    changed: Arc<AtomicU64>,
}

impl Drop for FrameProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl FrameProxy {
    /// Starts a proxy in front of the server at `upstream` (a `ws://…/ws` URL), applying
    /// `rewrite` to every text frame from the server.
    pub async fn start(upstream: String, rewrite: Rewrite) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let changed = Arc::new(AtomicU64::new(0));
        let counter = changed.clone();
        let accept = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            while let Ok((tcp, _)) = listener.accept().await {
                connections.spawn(relay(
                    tcp,
                    upstream.clone(),
                    rewrite.clone(),
                    counter.clone(),
                ));
            }
        });
        Ok(Self {
            addr,
            accept,
            changed,
        })
    }

    /// The URL clients connect to.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// How many frames were replaced or dropped so far.
    pub fn changed(&self) -> u64 {
        self.changed.load(Ordering::SeqCst)
    }
}

/// Relays one client connection until either side ends.
async fn relay(tcp: TcpStream, upstream: String, rewrite: Rewrite, changed: Arc<AtomicU64>) {
    let Ok(client) = tokio_tungstenite::accept_async(tcp).await else {
        return;
    };
    let Ok((server, _)) = tokio_tungstenite::connect_async(upstream.as_str()).await else {
        return;
    };
    let (mut to_client, mut from_client) = client.split();
    let (mut to_server, mut from_server) = server.split();
    let upward = async {
        while let Some(Ok(message)) = from_client.next().await {
            if to_server.send(message).await.is_err() {
                break;
            }
        }
    };
    let downward = async {
        while let Some(Ok(message)) = from_server.next().await {
            let message = match message {
                Message::Text(text) => match rewrite(text.as_str()) {
                    Verdict::Pass => Message::Text(text),
                    Verdict::Replace(new) => {
                        changed.fetch_add(1, Ordering::SeqCst);
                        Message::text(new)
                    }
                    Verdict::Drop => {
                        changed.fetch_add(1, Ordering::SeqCst);
                        continue;
                    }
                },
                other => other,
            };
            if to_client.send(message).await.is_err() {
                break;
            }
        }
    };
    tokio::select! {
        () = upward => {}
        () = downward => {}
    }
}
