//! A `nats-server` of the test's own on 127.0.0.1 with a free port (stopped on drop),
//! and a hand-driven NATS peer speaking the text protocol (bounded waits everywhere).
//! Tests skip when the binary is missing ([`NatsServer::start`] answers `None`).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

use super::WAIT;

/// Where the Debian package puts the server.
pub const NATS_BIN: &str = "/usr/sbin/nats-server";

/// A running `nats-server`, killed on drop.
pub struct NatsServer {
    child: Option<Child>,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

impl NatsServer {
    /// Starts one on a free port; `None` (after a note) when the binary is missing.
    pub async fn start() -> Option<NatsServer> {
        if !Path::new(NATS_BIN).exists() {
            eprintln!("skipped: {NATS_BIN} is not installed (apt-get install nats-server)");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let mut server = NatsServer { child: None, port };
        server.run().await;
        Some(server)
    }

    /// `nats://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Kills it (the port stays this fixture's for [`NatsServer::restart`]).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port.
    pub async fn restart(&mut self) {
        self.stop();
        self.run().await;
    }

    async fn run(&mut self) {
        let child = Command::new(NATS_BIN)
            .args(["-a", "127.0.0.1", "-p", &self.port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server starts");
        self.child = Some(child);
        let deadline = tokio::time::Instant::now() + WAIT;
        while TcpStream::connect(("127.0.0.1", self.port)).await.is_err() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "nats-server never listened"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A message a [`Peer`] received.
#[derive(Debug, Clone)]
pub struct Msg {
    /// Its subject.
    pub subject: String,
    /// Its payload.
    pub payload: Vec<u8>,
}

/// A hand-driven NATS client: subscribes, publishes, reads messages.
pub struct Peer {
    read: BufReader<OwnedReadHalf>,
    write: OwnedWriteHalf,
}

impl Peer {
    /// Connects to `server` and subscribes to `subjects` (in force on return).
    pub async fn connect(server: &NatsServer, subjects: &[&str]) -> Peer {
        let stream = TcpStream::connect(("127.0.0.1", server.port))
            .await
            .expect("peer connects");
        let (read, write) = stream.into_split();
        let mut peer = Peer {
            read: BufReader::new(read),
            write,
        };
        let info = peer.line().await;
        assert!(info.starts_with("INFO "), "{info}");
        let mut hello = String::from("CONNECT {\"verbose\":false,\"pedantic\":false}\r\n");
        for (sid, subject) in subjects.iter().enumerate() {
            hello.push_str(&format!("SUB {subject} {}\r\n", sid + 1));
        }
        hello.push_str("PING\r\n");
        peer.write
            .write_all(hello.as_bytes())
            .await
            .expect("peer writes");
        loop {
            if peer.line().await == "PONG" {
                return peer;
            }
        }
    }

    /// Publishes `payload` on `subject` (flushed with a PING round trip).
    pub async fn publish(&mut self, subject: &str, payload: &[u8]) {
        let mut frame = format!("PUB {subject} {}\r\n", payload.len()).into_bytes();
        frame.extend_from_slice(payload);
        frame.extend_from_slice(b"\r\n");
        self.write.write_all(&frame).await.expect("peer publishes");
    }

    /// The next message, or `None` after `wait`.
    pub async fn next_within(&mut self, wait: Duration) -> Option<Msg> {
        tokio::time::timeout(wait, self.next()).await.ok()
    }

    /// The next message (bounded by [`WAIT`]).
    pub async fn next_msg(&mut self) -> Msg {
        self.next_within(WAIT)
            .await
            .expect("a NATS message in time")
    }

    async fn next(&mut self) -> Msg {
        loop {
            let line = self.line().await;
            if line == "PING" {
                self.write.write_all(b"PONG\r\n").await.expect("pong");
                continue;
            }
            let Some(rest) = line.strip_prefix("MSG ") else {
                continue;
            };
            let parts: Vec<&str> = rest.split_ascii_whitespace().collect();
            let size: usize = parts.last().and_then(|s| s.parse().ok()).expect("MSG size");
            let mut payload = vec![0; size + 2];
            self.read
                .read_exact(&mut payload)
                .await
                .expect("MSG payload");
            payload.truncate(size);
            return Msg {
                subject: parts[0].to_owned(),
                payload,
            };
        }
    }

    async fn line(&mut self) -> String {
        let mut line = String::new();
        let read = tokio::time::timeout(WAIT, self.read.read_line(&mut line))
            .await
            .expect("a NATS line in time")
            .expect("NATS read");
        assert!(read > 0, "NATS closed the peer");
        line.trim_end().to_owned()
    }
}
