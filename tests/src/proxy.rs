//! A fault-injecting TCP proxy for the fault tests: clients connect to the proxy, the
//! proxy forwards to the server, and the test breaks the network in between.
//!
//! It exists because the interesting failures of a real network are not "the server went
//! away" but a connection that stops carrying bytes without closing (a dead Wi-Fi, a NAT
//! that forgot the mapping), a connection reset in the middle of a stream, and a server
//! that cannot be reached for a while. [`FaultProxy`] owns a listener on `127.0.0.1:0`
//! and, per accepted client, one task that forwards both directions through fixed-size
//! buffers (at most [`CHUNK`] bytes held per direction; everything else stays in the
//! kernel's socket buffers, so a stalled side pushes back instead of growing memory).
//!
//! Controls, all taking effect on every live connection (and on new ones where it makes
//! sense):
//! - [`FaultProxy::freeze`] / [`FaultProxy::thaw`]: stop / resume forwarding in both
//!   directions without closing anything — a zombie connection. New connections are
//!   accepted while frozen but reach the server only after the thaw.
//!   [`FaultProxy::freeze_to_client`] and [`FaultProxy::freeze_to_server`] hold one
//!   direction only (e.g. requests arrive but their answers are lost in the network).
//! - [`FaultProxy::cut`]: abruptly closes (TCP reset) every connection proxied so far, on
//!   both sides; connections accepted afterwards are not affected.
//! - [`FaultProxy::cut_after`]: the next connection accepted is reset when it would carry
//!   more than a given number of bytes toward the client (a cut at an exact point).
//! - [`FaultProxy::refuse`]: while set, new connections are reset right after the accept.
//!
//! Dropping the proxy stops the accept loop and every connection task (they are owned by
//! the accept task's `JoinSet` and also watch the control channel); nothing polls or
//! spins: every task sleeps on a socket or on the control channel.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

/// The most bytes one direction of one connection holds at a time.
pub const CHUNK: usize = 16 * 1024;

/// What the test asked for; every connection task watches it.
#[derive(Debug, Clone, Copy, Default)]
struct Control {
    /// Forward nothing from the client to the server while set.
    hold_to_server: bool,
    /// Forward nothing from the server to the client while set.
    hold_to_client: bool,
    /// Reset new connections right after accepting them while set.
    refusing: bool,
    /// Incremented by every cut; a connection dies when it differs from its own.
    cuts: u64,
}

/// Counters a test can read to know where the proxy stands, and the armed byte budget.
#[derive(Debug, Default)]
struct Counters {
    accepted: AtomicU64,
    refused: AtomicU64,
    live: AtomicU64,
    /// Bytes toward the client the next accepted connection may carry before its reset.
    budget: Mutex<Option<u64>>,
}

/// A loopback TCP proxy in front of one upstream address; see the module docs.
pub struct FaultProxy {
    addr: SocketAddr,
    control: watch::Sender<Control>,
    counters: Arc<Counters>,
    accept_task: JoinHandle<()>,
}

impl FaultProxy {
    /// Listens on `127.0.0.1:0` and forwards every accepted connection to `upstream`
    /// (which must be a loopback address).
    pub async fn start(upstream: SocketAddr) -> std::io::Result<Self> {
        if !upstream.ip().is_loopback() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("the proxy only forwards to loopback addresses, not {upstream}"),
            ));
        }
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let addr = listener.local_addr()?;
        let (control, watcher) = watch::channel(Control::default());
        let counters = Arc::new(Counters::default());
        let accept_task = tokio::spawn(accept_loop(listener, upstream, watcher, counters.clone()));
        Ok(Self {
            addr,
            control,
            counters,
            accept_task,
        })
    }

    /// The proxy's own address (what clients connect to).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The WebSocket URL of the server behind the proxy.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// Stops forwarding in both directions on every connection, keeping the sockets open.
    pub fn freeze(&self) {
        self.control.send_modify(|c| {
            c.hold_to_server = true;
            c.hold_to_client = true;
        });
    }

    /// Stops forwarding from the server to the clients only: requests still arrive, their
    /// answers (and the heartbeat acks) are held.
    pub fn freeze_to_client(&self) {
        self.control.send_modify(|c| c.hold_to_client = true);
    }

    /// Stops forwarding from the clients to the server only.
    pub fn freeze_to_server(&self) {
        self.control.send_modify(|c| c.hold_to_server = true);
    }

    /// Resumes forwarding in both directions after any freeze (what was held is
    /// delivered, unless a cut came in between).
    pub fn thaw(&self) {
        self.control.send_modify(|c| {
            c.hold_to_server = false;
            c.hold_to_client = false;
        });
    }

    /// Resets every connection proxied so far, on both sides, mid-stream.
    pub fn cut(&self) {
        self.control.send_modify(|c| c.cuts += 1);
    }

    /// While `refusing`, new connections are reset right after the accept (the server is
    /// unreachable); existing connections are not affected.
    pub fn refuse(&self, refusing: bool) {
        self.control.send_modify(|c| c.refusing = refusing);
    }

    /// The next connection accepted from now on carries at most `bytes` bytes from the
    /// server to the client: it is reset (both sides) when more would pass, so the cut may
    /// fall inside a frame.
    pub fn cut_after(&self, bytes: u64) {
        *self
            .counters
            .budget
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(bytes);
    }

    /// How many connections were accepted and forwarded (refused ones not counted).
    pub fn accepted(&self) -> u64 {
        self.counters.accepted.load(Ordering::SeqCst)
    }

    /// How many connections were refused.
    pub fn refused(&self) -> u64 {
        self.counters.refused.load(Ordering::SeqCst)
    }

    /// How many connections are being forwarded right now.
    pub fn live(&self) -> u64 {
        self.counters.live.load(Ordering::SeqCst)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        // Dropping the accept task drops its JoinSet, which aborts every connection.
        self.accept_task.abort();
    }
}

async fn accept_loop(
    listener: TcpListener,
    upstream: SocketAddr,
    mut control: watch::Receiver<Control>,
    counters: Arc<Counters>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((client, _)) = accepted else {
                    // Accept errors (e.g. too many open files) are usually transient; a
                    // short pause keeps a persistent one from spinning.
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                };
                let Control { refusing, cuts: born, .. } = *control.borrow();
                if refusing {
                    counters.refused.fetch_add(1, Ordering::SeqCst);
                    let _ = client.set_zero_linger();
                    drop(client);
                    continue;
                }
                counters.accepted.fetch_add(1, Ordering::SeqCst);
                let budget = counters
                    .budget
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take();
                connections.spawn(connection(
                    client,
                    upstream,
                    budget,
                    born,
                    control.clone(),
                    LiveGuard::new(counters.clone()),
                ));
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            changed = control.changed() => {
                if changed.is_err() {
                    return;
                }
            }
        }
    }
}

/// Counts a connection as live from its accept until its task ends, however it ends
/// (also when aborted before its first poll: the guard is an argument of the task's
/// future, so it drops with it).
struct LiveGuard(Arc<Counters>);

impl LiveGuard {
    fn new(counters: Arc<Counters>) -> Self {
        counters.live.fetch_add(1, Ordering::SeqCst);
        Self(counters)
    }
}

impl Drop for LiveGuard {
    fn drop(&mut self) {
        self.0.live.fetch_sub(1, Ordering::SeqCst);
    }
}

/// One proxied connection: forwards both ways until both sides are done, an error, a cut
/// or the proxy's end.
async fn connection(
    client: TcpStream,
    upstream: SocketAddr,
    budget: Option<u64>,
    born: u64,
    mut control: watch::Receiver<Control>,
    _live: LiveGuard,
) {
    let _ = client.set_nodelay(true);
    // Like a dead network, a frozen proxy does not even reach the server: the upstream
    // connection is opened once client-to-server traffic may flow.
    let mut waiting = control.clone();
    let dial = async {
        if thawed(&mut waiting, Toward::Server).await {
            TcpStream::connect(upstream).await.ok()
        } else {
            None
        }
    };
    let server = tokio::select! {
        server = dial => server,
        _ = cut_or_end(&mut control, born) => None,
    };
    let Some(server) = server else {
        let _ = client.set_zero_linger();
        return;
    };
    let _ = server.set_nodelay(true);
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let graceful = {
        let mut up = std::pin::pin!(pump(
            &mut client_read,
            &mut server_write,
            Toward::Server,
            None,
            control.clone()
        ));
        let mut down = std::pin::pin!(pump(
            &mut server_read,
            &mut client_write,
            Toward::Client,
            budget,
            control.clone()
        ));
        let (mut up_open, mut down_open) = (true, true);
        loop {
            if !up_open && !down_open {
                break true;
            }
            tokio::select! {
                end = &mut up, if up_open => {
                    if end == PumpEnd::Broken {
                        break false;
                    }
                    up_open = false;
                }
                end = &mut down, if down_open => {
                    if end == PumpEnd::Broken {
                        break false;
                    }
                    down_open = false;
                }
                _ = cut_or_end(&mut control, born) => break false,
            }
        }
    };
    if !graceful {
        // A cut, an error on one side or the proxy's end: reset both sockets (zero
        // linger) instead of closing them in order, like a network that broke.
        let _ = client_read.as_ref().set_zero_linger();
        let _ = server_read.as_ref().set_zero_linger();
    }
}

/// Resolves when a cut newer than `born` happened or the proxy is gone.
async fn cut_or_end(control: &mut watch::Receiver<Control>, born: u64) {
    // `wait_for` also checks the current value first; an error means the proxy is gone.
    let _ = control.wait_for(|c| c.cuts != born).await;
}

/// The direction one pump forwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Toward {
    Server,
    Client,
}

/// Waits until `toward` is not frozen; false when the proxy is gone.
async fn thawed(control: &mut watch::Receiver<Control>, toward: Toward) -> bool {
    control
        .wait_for(|c| match toward {
            Toward::Server => !c.hold_to_server,
            Toward::Client => !c.hold_to_client,
        })
        .await
        .is_ok()
}

/// How one direction ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PumpEnd {
    /// The source closed; the other side's write half was shut down (a half close).
    Closed,
    /// An error, or the proxy is gone: the whole connection ends.
    Broken,
}

/// Forwards one direction through a buffer of [`CHUNK`] bytes, honouring freezes before
/// every read and every write; with a `budget`, forwards that many bytes and then ends
/// the connection.
async fn pump(
    from: &mut OwnedReadHalf,
    to: &mut OwnedWriteHalf,
    toward: Toward,
    mut budget: Option<u64>,
    mut control: watch::Receiver<Control>,
) -> PumpEnd {
    let mut buffer = vec![0u8; CHUNK];
    loop {
        if !thawed(&mut control, toward).await {
            return PumpEnd::Broken;
        }
        let read = match from.read(&mut buffer).await {
            Ok(0) => break,
            Ok(read) => read,
            Err(_) => return PumpEnd::Broken,
        };
        // A freeze that came while the read was waiting holds these bytes back too.
        if !thawed(&mut control, toward).await {
            return PumpEnd::Broken;
        }
        let allowed = budget.map_or(read, |left| read.min(usize::try_from(left).unwrap_or(read)));
        if to.write_all(&buffer[..allowed]).await.is_err() {
            return PumpEnd::Broken;
        }
        if let Some(left) = budget.as_mut() {
            *left -= allowed as u64;
            if allowed < read {
                return PumpEnd::Broken;
            }
        }
    }
    match to.shutdown().await {
        Ok(()) => PumpEnd::Closed,
        Err(_) => PumpEnd::Broken,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};
    use tokio::time::timeout;

    use super::FaultProxy;
    use crate::WAIT;

    /// An upstream that echoes every byte back, on `127.0.0.1:0`.
    async fn echo_server() -> std::net::SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let (mut read, mut write) = stream.into_split();
                    let _ = tokio::io::copy(&mut read, &mut write).await;
                    let _ = write.shutdown().await;
                });
            }
        });
        addr
    }

    async fn echo(stream: &mut TcpStream, text: &[u8]) -> Vec<u8> {
        stream.write_all(text).await.unwrap();
        let mut got = vec![0u8; text.len()];
        timeout(WAIT, stream.read_exact(&mut got))
            .await
            .unwrap()
            .unwrap();
        got
    }

    /// True when the stream ends (EOF or reset) within [`WAIT`].
    async fn ends(stream: &mut TcpStream) -> bool {
        let mut byte = [0u8; 1];
        matches!(
            timeout(WAIT, stream.read(&mut byte)).await,
            Ok(Ok(0) | Err(_))
        )
    }

    #[tokio::test]
    async fn forwards_both_ways_and_passes_a_half_close_on() {
        let proxy = FaultProxy::start(echo_server().await).await.unwrap();
        let mut stream = TcpStream::connect(proxy.addr()).await.unwrap();
        assert_eq!(echo(&mut stream, b"hello").await, b"hello");
        let big = vec![7u8; 5 * super::CHUNK + 3];
        assert_eq!(echo(&mut stream, &big).await, big);
        stream.shutdown().await.unwrap();
        assert!(ends(&mut stream).await, "the upstream's close came through");
        assert_eq!(proxy.accepted(), 1);
    }

    #[tokio::test]
    async fn a_freeze_holds_bytes_until_the_thaw() {
        let proxy = FaultProxy::start(echo_server().await).await.unwrap();
        let mut stream = TcpStream::connect(proxy.addr()).await.unwrap();
        assert_eq!(echo(&mut stream, b"a").await, b"a");
        proxy.freeze();
        stream.write_all(b"held").await.unwrap();
        let mut got = [0u8; 4];
        let early = timeout(Duration::from_millis(200), stream.read_exact(&mut got)).await;
        assert!(early.is_err(), "nothing passes a frozen proxy");
        proxy.thaw();
        timeout(WAIT, stream.read_exact(&mut got))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&got, b"held");
    }

    #[tokio::test]
    async fn a_cut_resets_existing_connections_only() {
        let proxy = FaultProxy::start(echo_server().await).await.unwrap();
        let mut old = TcpStream::connect(proxy.addr()).await.unwrap();
        assert_eq!(echo(&mut old, b"x").await, b"x");
        proxy.cut();
        assert!(ends(&mut old).await, "the cut connection ends");
        let mut new = TcpStream::connect(proxy.addr()).await.unwrap();
        assert_eq!(echo(&mut new, b"y").await, b"y");
        crate::eventually("only the new connection is live", || proxy.live() == 1)
            .await
            .unwrap();
        assert_eq!(proxy.accepted(), 2);
    }

    #[tokio::test]
    async fn cut_after_resets_the_next_connection_at_an_exact_byte() {
        let proxy = FaultProxy::start(echo_server().await).await.unwrap();
        let mut before = TcpStream::connect(proxy.addr()).await.unwrap();
        assert_eq!(echo(&mut before, b"0123").await, b"0123");
        proxy.cut_after(6);
        let mut budgeted = TcpStream::connect(proxy.addr()).await.unwrap();
        assert_eq!(echo(&mut budgeted, b"abcd").await, b"abcd");
        budgeted.write_all(b"efgh").await.unwrap();
        let mut got = Vec::new();
        let end = timeout(WAIT, budgeted.read_to_end(&mut got)).await.unwrap();
        assert!(
            end.is_err() || got.len() <= 2,
            "at most 6 bytes in all: {got:?}"
        );
        assert!(b"ef".starts_with(&got));
        // Other connections carry on.
        assert_eq!(echo(&mut before, b"more").await, b"more");
        let mut after = TcpStream::connect(proxy.addr()).await.unwrap();
        assert_eq!(echo(&mut after, b"0123456789").await, b"0123456789");
    }

    #[tokio::test]
    async fn refusing_resets_new_connections_until_lifted() {
        let proxy = FaultProxy::start(echo_server().await).await.unwrap();
        proxy.refuse(true);
        let mut refused = TcpStream::connect(proxy.addr()).await.unwrap();
        assert!(ends(&mut refused).await, "a refused connection ends");
        assert_eq!((proxy.refused(), proxy.accepted()), (1, 0));
        proxy.refuse(false);
        let mut accepted = TcpStream::connect(proxy.addr()).await.unwrap();
        assert_eq!(echo(&mut accepted, b"z").await, b"z");
    }

    #[tokio::test]
    async fn dropping_the_proxy_ends_its_connections() {
        let proxy = FaultProxy::start(echo_server().await).await.unwrap();
        let mut stream = TcpStream::connect(proxy.addr()).await.unwrap();
        assert_eq!(echo(&mut stream, b"q").await, b"q");
        proxy.freeze();
        drop(proxy);
        assert!(
            ends(&mut stream).await,
            "the connection ends with the proxy"
        );
    }

    #[tokio::test]
    async fn only_loopback_upstreams_are_accepted() {
        let result = FaultProxy::start("192.0.2.1:80".parse().unwrap()).await;
        assert!(result.is_err());
    }
}
