//! A loopback TCP load balancer for tests with several server nodes ([`Balancer`]): it
//! listens on `127.0.0.1:0` and forwards each new connection to the first backend of its
//! list that accepts a TCP connection, then copies bytes both ways until either side
//! closes. When a backend dies its forwarded connections close, and the clients'
//! reconnects land on the next live backend — as behind a real load balancer with health
//! checks, without stickiness. Give two balancers the same nodes in different orders to
//! spread clients over the nodes.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::TestResult;

/// A running balancer; its accept loop and every forwarded connection end on drop.
pub struct Balancer {
    addr: SocketAddr,
    accept: JoinHandle<()>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Balancer {
    /// Starts a balancer in front of `backends`, tried in this order for each connection.
    pub async fn start(backends: Vec<SocketAddr>) -> TestResult<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let accept = {
            let links = links.clone();
            tokio::spawn(async move {
                while let Ok((client, _)) = listener.accept().await {
                    let backends = backends.clone();
                    let link = tokio::spawn(forward(client, backends));
                    let mut links = links.lock().unwrap_or_else(|e| e.into_inner());
                    links.retain(|link| !link.is_finished());
                    links.push(link);
                }
            })
        };
        Ok(Self {
            addr,
            accept,
            links,
        })
    }

    /// The balancer's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The WebSocket URL through the balancer.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }
}

/// Connects `client` to the first backend that accepts and copies until either side
/// closes; with no live backend the client's connection is closed at once.
async fn forward(mut client: TcpStream, backends: Vec<SocketAddr>) {
    for backend in backends {
        if let Ok(mut server) = TcpStream::connect(backend).await {
            let _ = client.set_nodelay(true);
            let _ = server.set_nodelay(true);
            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            return;
        }
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        self.accept.abort();
        for link in self
            .links
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
        {
            link.abort();
        }
    }
}
