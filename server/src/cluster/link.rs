//! A minimal NATS client over tokio: `CONNECT`, `SUB`, `PUB`, `MSG`, `PING`/`PONG`, with
//! reconnection and a watched up/down state.
//!
//! One task owns the link. It connects, subscribes to the cluster's subjects, waits for
//! the server's `PONG` (the subscriptions are in force from then on) and reports the link
//! up; then it writes what [`Link::publish`] queued and hands every `MSG` to the inbound
//! channel, in the order the server sent them. A dead socket, an `-ERR` or two
//! unanswered keep-alive pings report the link down and start over after a backoff
//! (100 ms doubling to 2 s). While down, queued publications are dropped (the write path
//! refuses writes while down; what was committed in the instant before is repaired by
//! the clients' gap repair, see `docs/MULTINODE-NATS.md`).
//!
//! The outbox is bounded ([`OUTBOX_CAPACITY`] publications): a NATS server that stalls
//! while the socket stays open (until the keep-alive declares the link down, ~4 s) cannot
//! grow it without end. A publication that finds it full is dropped, counted and logged
//! (at the first drop and at every power of two after).

use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};

/// The first wait before reconnecting.
const BACKOFF_MIN: Duration = Duration::from_millis(100);
/// The longest wait before reconnecting.
const BACKOFF_MAX: Duration = Duration::from_secs(2);
/// How often the link pings the server to find a silent death.
const PING_EVERY: Duration = Duration::from_secs(2);
/// How long connecting and the first `PONG` may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// The largest message accepted from the server.
const MAX_PAYLOAD: usize = 64 * 1024 * 1024;
/// The most publications queued for the link task.
pub(crate) const OUTBOX_CAPACITY: usize = 8_192;

/// A queued publication: subject and payload.
type Publication = (String, Vec<u8>);

/// Why a NATS address or connection failed.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The address is not `nats://host:port` (or `host:port`).
    #[error("invalid NATS address {0:?}: expected nats://host:port")]
    Address(String),
    /// The socket failed.
    #[error("NATS connection: {0}")]
    Io(#[from] std::io::Error),
    /// The server said something this client does not understand, or refused.
    #[error("NATS protocol: {0}")]
    Protocol(String),
    /// Connecting or the handshake took too long.
    #[error("NATS handshake timed out")]
    Timeout,
}

/// One message received on a subscription.
#[derive(Debug, Clone)]
pub(crate) struct Inbound {
    /// Its subject.
    pub subject: String,
    /// Its payload.
    pub payload: Vec<u8>,
}

/// The handle to the link task: queue publications, watch the state.
#[derive(Debug)]
pub(crate) struct Link {
    outbox: Outbox,
    up: watch::Receiver<bool>,
}

/// The bounded queue of publications, counting what it dropped.
#[derive(Debug)]
struct Outbox {
    queue: mpsc::Sender<Publication>,
    dropped: AtomicU64,
}

impl Outbox {
    /// Queues `item`; false (counted, logged) when the queue is full.
    fn push(&self, item: Publication) -> bool {
        match self.queue.try_send(item) {
            Ok(()) => true,
            // The task ended: the node is stopping.
            Err(mpsc::error::TrySendError::Closed(_)) => false,
            Err(mpsc::error::TrySendError::Full((subject, _))) => {
                let dropped = self.dropped.fetch_add(1, AtomicOrdering::Relaxed) + 1;
                if dropped.is_power_of_two() {
                    tracing::warn!(%subject, dropped, "NATS outbox full; publication dropped");
                }
                false
            }
        }
    }
}

impl Link {
    /// Starts the link task to `url`, subscribed to `subjects`; received messages go to
    /// `inbound`. The task ends when the returned [`Link`] is dropped.
    pub fn start(
        url: &str,
        subjects: Vec<String>,
        inbound: mpsc::UnboundedSender<Inbound>,
    ) -> Result<(Link, tokio::task::JoinHandle<()>), LinkError> {
        let addr = address_of(url)?;
        let (queue, queued) = mpsc::channel(OUTBOX_CAPACITY);
        let (up_tx, up) = watch::channel(false);
        let task = tokio::spawn(run(addr, subjects, queued, inbound, up_tx));
        let outbox = Outbox {
            queue,
            dropped: AtomicU64::new(0),
        };
        Ok((Link { outbox, up }, task))
    }

    /// Queues a publication (never blocks; dropped while the link is down, and when
    /// [`OUTBOX_CAPACITY`] publications wait already).
    pub fn publish(&self, subject: String, payload: Vec<u8>) {
        self.outbox.push((subject, payload));
    }

    /// Whether the link is up now.
    pub fn is_up(&self) -> bool {
        *self.up.borrow()
    }

    /// Publications dropped so far because the outbox was full.
    pub fn dropped(&self) -> u64 {
        self.outbox.dropped.load(AtomicOrdering::Relaxed)
    }

    /// A receiver of the up/down state.
    pub fn watch(&self) -> watch::Receiver<bool> {
        self.up.clone()
    }
}

/// `host:port` from `nats://host:port` (or a bare `host:port`).
pub(crate) fn address_of(url: &str) -> Result<String, LinkError> {
    let rest = url.strip_prefix("nats://").unwrap_or(url);
    let rest = rest.trim_end_matches('/');
    // Credentials in the URL are not supported by this client.
    if rest.is_empty() || rest.contains('@') || rest.contains('/') {
        return Err(LinkError::Address(url.to_owned()));
    }
    if rest
        .rsplit_once(':')
        .is_some_and(|(_, port)| port.parse::<u16>().is_ok())
    {
        Ok(rest.to_owned())
    } else {
        Ok(format!("{rest}:4222"))
    }
}

async fn run(
    addr: String,
    subjects: Vec<String>,
    mut queued: mpsc::Receiver<Publication>,
    inbound: mpsc::UnboundedSender<Inbound>,
    up: watch::Sender<bool>,
) {
    let mut backoff = BACKOFF_MIN;
    loop {
        match session(&addr, &subjects, &mut queued, &inbound, &up).await {
            Ok(Ended::Closed) => return,
            Ok(Ended::Lost) => backoff = BACKOFF_MIN,
            Err(error) => tracing::warn!(%error, %addr, "NATS link down"),
        }
        up.send_replace(false);
        let wake = tokio::time::Instant::now() + backoff;
        // While down, publications are dropped (the write path refuses writes).
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(wake) => break,
                item = queued.recv() => if item.is_none() { return },
            }
        }
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
}

enum Ended {
    /// The handle was dropped: stop.
    Closed,
    /// The connection was lost after it had been up.
    Lost,
}

/// What the reader task hands the writer.
enum Read {
    Msg(Inbound),
    Ping,
    Pong,
    Err(String),
}

async fn session(
    addr: &str,
    subjects: &[String],
    queued: &mut mpsc::Receiver<Publication>,
    inbound: &mpsc::UnboundedSender<Inbound>,
    up: &watch::Sender<bool>,
) -> Result<Ended, LinkError> {
    let stream = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr))
        .await
        .map_err(|_| LinkError::Timeout)??;
    stream.set_nodelay(true)?;
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let mut line = String::new();
    tokio::time::timeout(CONNECT_TIMEOUT, read.read_line(&mut line))
        .await
        .map_err(|_| LinkError::Timeout)??;
    if !line.starts_with("INFO ") {
        return Err(LinkError::Protocol(format!("expected INFO, got {line:?}")));
    }
    let mut hello = String::from(
        "CONNECT {\"verbose\":false,\"pedantic\":false,\"name\":\"community-server\",\"lang\":\"rust\",\"protocol\":1}\r\n",
    );
    for (sid, subject) in subjects.iter().enumerate() {
        hello.push_str(&format!("SUB {subject} {}\r\n", sid + 1));
    }
    hello.push_str("PING\r\n");
    write.write_all(hello.as_bytes()).await?;
    let (reads_tx, mut reads) = mpsc::unbounded_channel();
    let reader = tokio::spawn(read_loop(read, reads_tx));
    let _reader = AbortOnDrop(reader);
    // Up once the server answered the first PING: the subscriptions are in force.
    match tokio::time::timeout(CONNECT_TIMEOUT, reads.recv()).await {
        Ok(Some(Read::Pong)) => {}
        Ok(Some(Read::Err(error))) => return Err(LinkError::Protocol(error)),
        Ok(_) => return Err(LinkError::Protocol("no PONG after CONNECT".into())),
        Err(_) => return Err(LinkError::Timeout),
    }
    up.send_replace(true);
    tracing::info!(%addr, "NATS link up");
    let mut pings = tokio::time::interval(PING_EVERY);
    pings.tick().await;
    let mut unanswered = 0u32;
    loop {
        tokio::select! {
            item = queued.recv() => {
                let Some((subject, payload)) = item else { return Ok(Ended::Closed) };
                let mut frame = format!("PUB {subject} {}\r\n", payload.len()).into_bytes();
                frame.extend_from_slice(&payload);
                frame.extend_from_slice(b"\r\n");
                write.write_all(&frame).await?;
            }
            read = reads.recv() => match read {
                Some(Read::Msg(message)) => { let _ = inbound.send(message); }
                Some(Read::Ping) => write.write_all(b"PONG\r\n").await?,
                Some(Read::Pong) => unanswered = 0,
                Some(Read::Err(error)) => {
                    tracing::warn!(%error, "NATS server error");
                    return Ok(Ended::Lost);
                }
                None => return Ok(Ended::Lost),
            },
            _ = pings.tick() => {
                if unanswered >= 2 {
                    tracing::warn!("NATS server silent; reconnecting");
                    return Ok(Ended::Lost);
                }
                unanswered += 1;
                write.write_all(b"PING\r\n").await?;
            }
        }
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Reads the server's lines until the socket ends or says something wrong.
async fn read_loop(
    mut read: BufReader<tokio::net::tcp::OwnedReadHalf>,
    out: mpsc::UnboundedSender<Read>,
) {
    let mut line = String::new();
    loop {
        line.clear();
        match read.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let text = line.trim_end();
        let item = if let Some(rest) = text.strip_prefix("MSG ") {
            match read_msg(&mut read, rest).await {
                Ok(message) => Read::Msg(message),
                Err(error) => Read::Err(error.to_string()),
            }
        } else if text == "PING" {
            Read::Ping
        } else if text == "PONG" {
            Read::Pong
        } else if text.starts_with("+OK") || text.starts_with("INFO ") || text.is_empty() {
            continue;
        } else {
            Read::Err(text.to_owned())
        };
        let fatal = matches!(item, Read::Err(_));
        if out.send(item).is_err() || fatal {
            return;
        }
    }
}

/// The payload of `MSG <subject> <sid> [reply-to] <#bytes>`.
async fn read_msg(
    read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    header: &str,
) -> Result<Inbound, LinkError> {
    let parts: Vec<&str> = header.split_ascii_whitespace().collect();
    let (subject, size) = match parts.as_slice() {
        [subject, _sid, size] | [subject, _sid, _, size] => (*subject, *size),
        _ => return Err(LinkError::Protocol(format!("bad MSG line {header:?}"))),
    };
    let size: usize = size
        .parse()
        .map_err(|_| LinkError::Protocol(format!("bad MSG size {size:?}")))?;
    if size > MAX_PAYLOAD {
        return Err(LinkError::Protocol(format!("MSG of {size} bytes")));
    }
    let mut payload = vec![0; size + 2];
    read.read_exact(&mut payload).await?;
    payload.truncate(size);
    Ok(Inbound {
        subject: subject.to_owned(),
        payload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(
            address_of("nats://127.0.0.1:4333").ok(),
            Some("127.0.0.1:4333".into())
        );
        assert_eq!(
            address_of("nats://localhost").ok(),
            Some("localhost:4222".into())
        );
        assert!(address_of("nats://user:pw@host:1").is_err());
    }

    #[test]
    fn a_full_outbox_drops_and_counts() {
        let (queue, mut queued) = mpsc::channel(2);
        let outbox = Outbox {
            queue,
            dropped: AtomicU64::new(0),
        };
        let item = || ("s".to_owned(), vec![1]);
        assert!(outbox.push(item()) && outbox.push(item()));
        assert!(!outbox.push(item()), "full");
        assert_eq!(outbox.dropped.load(AtomicOrdering::Relaxed), 1);
        assert!(queued.try_recv().is_ok());
        assert!(outbox.push(item()), "room again");
        assert_eq!(outbox.dropped.load(AtomicOrdering::Relaxed), 1);
    }
}
