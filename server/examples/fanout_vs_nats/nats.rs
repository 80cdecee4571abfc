//! The reference: `nats-server` (core NATS, no persistence) as its own process on
//! 127.0.0.1, one subject per community, subscribers and publishers as hand-written NATS
//! text protocol clients. A publisher's acknowledgement is the `PONG` to a `PING` sent
//! after each `PUB`: the server has routed the message (nothing is stored).

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::BoxError;
use crate::load::{Acks, Crowd, Process, Publish, Receipts};
use crate::wire::{Reader, Writer, nats_connect, now_us, stamp};

/// Read buffer of a subscriber.
const BUFFER: usize = 16 * 1024;

/// A running `nats-server`.
pub struct Server {
    pub process: Process,
    /// `127.0.0.1:<port>`.
    pub addr: String,
}

/// Starts `bin` on a free loopback port and waits until it accepts connections.
pub async fn start(bin: &str) -> Result<Server, BoxError> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = Command::new(bin)
        .args(["-a", "127.0.0.1", "-p", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let server = Server {
        process: Process { child },
        addr: format!("127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match nats_connect(&server.addr, 1024).await {
            Ok(_) => {
                eprintln!(
                    "  nats-server pid {} on {}",
                    server.process.child.id(),
                    server.addr
                );
                return Ok(server);
            }
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(error) => return Err(format!("nats-server did not start: {error}").into()),
        }
    }
}

impl Server {
    /// Connects `count` subscribers of `subject` (64 at a time) counting into `crowd`.
    pub async fn subscribe(
        &self,
        subject: &str,
        count: usize,
        crowd: &mut Crowd,
    ) -> Result<(), BoxError> {
        let gate = Arc::new(tokio::sync::Semaphore::new(64));
        let mut connects = Vec::with_capacity(count);
        for _ in 0..count {
            let (addr, gate) = (self.addr.clone(), Arc::clone(&gate));
            let sub = format!("SUB {subject} 1\r\nPING\r\n");
            connects.push(tokio::spawn(async move {
                let _permit = gate.acquire().await?;
                let (mut reader, mut writer) = nats_connect(&addr, BUFFER).await?;
                writer.raw(sub.as_bytes()).await?;
                reader.nats_pong().await?;
                Ok::<_, BoxError>((reader, writer))
            }));
        }
        for connect in connects {
            let (reader, writer) = connect.await??;
            let receipts = crowd.join();
            tokio::spawn(subscriber(
                reader,
                writer,
                receipts,
                Arc::clone(&crowd.delivered),
            ));
        }
        Ok(())
    }
}

/// Reads messages until the connection ends; counts each stamped one and answers the
/// server's `PING`s.
async fn subscriber(
    mut reader: Reader,
    mut writer: Writer,
    receipts: Arc<Receipts>,
    delivered: Arc<std::sync::atomic::AtomicU64>,
) {
    let mut stamps = Vec::new();
    loop {
        stamps.clear();
        let mut pings = 0;
        let open = reader
            .nats_items(|kind, payload| match kind {
                b'M' => {
                    if let Some(t) = stamp(payload) {
                        stamps.push(t);
                    }
                }
                b'P' if payload.starts_with(b"PING") => pings += 1,
                _ => {}
            })
            .await;
        receipts.record(now_us(), &stamps, &delivered);
        for _ in 0..pings {
            if writer.raw(b"PONG\r\n").await.is_err() {
                return;
            }
        }
        if !matches!(open, Ok(true)) {
            return;
        }
    }
}

/// A publisher on one subject; its payload has the shape and size of our event frame
/// (`prefix`, the stamp, `suffix`), so the subscribers of both servers do the same work.
pub struct Publisher {
    writer: Writer,
    subject: String,
    prefix: String,
    suffix: String,
    acks: Arc<Acks>,
    buf: String,
}

impl Publisher {
    /// Connects a publisher on `subject`; the payload is `template` with its `t=<µs>`
    /// stamp replaced at each send.
    pub async fn new(addr: &str, subject: &str, template: &str) -> Result<Self, BoxError> {
        let (mut reader, writer) = nats_connect(addr, BUFFER).await?;
        let at = template.find("t=").ok_or("no stamp in the template")? + 2;
        let digits = template[at..]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        let acks = Arc::new(Acks::default());
        tokio::spawn({
            let acks = Arc::clone(&acks);
            async move {
                loop {
                    let mut pongs = 0;
                    let open = reader
                        .nats_items(|kind, line| {
                            if kind == b'P' && line.starts_with(b"PONG") {
                                pongs += 1;
                            }
                        })
                        .await;
                    for _ in 0..pongs {
                        acks.acked();
                    }
                    if !matches!(open, Ok(true)) {
                        return;
                    }
                }
            }
        });
        Ok(Publisher {
            writer,
            subject: subject.into(),
            prefix: template[..at].into(),
            suffix: template[at + digits..].into(),
            acks,
            buf: String::new(),
        })
    }
}

impl Publish for Publisher {
    async fn publish(&mut self, _i: u64) -> std::io::Result<()> {
        let stamp = now_us().to_string();
        let len = self.prefix.len() + stamp.len() + self.suffix.len();
        self.buf.clear();
        self.buf.push_str("PUB ");
        self.buf.push_str(&self.subject);
        self.buf.push(' ');
        self.buf.push_str(&len.to_string());
        self.buf.push_str("\r\n");
        self.buf.push_str(&self.prefix);
        self.buf.push_str(&stamp);
        self.buf.push_str(&self.suffix);
        self.buf.push_str("\r\nPING\r\n");
        self.acks.sending();
        self.writer.raw(self.buf.as_bytes()).await
    }

    fn acks(&self) -> &Acks {
        &self.acks
    }
}
