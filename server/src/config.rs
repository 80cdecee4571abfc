//! Everything a deployment can tune, in one record with sensible defaults.
//!
//! [`ServerConfig`] is what the CLI builds from its flags and what tests and benchmarks
//! build directly (usually with [`ServerConfig::new`] and a few fields overwritten).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use community_protocol::Limits;
use community_protocol::codec::DEFAULT_MAX_FRAME_BYTES;

/// Configuration of one server instance.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Where to listen (port 0 picks a free port; see `RunningServer::local_addr`).
    pub listen: SocketAddr,
    /// The data directory: `community.db` (SQLite) and `server.secret` (token key).
    pub data_dir: PathBuf,
    /// The limits enforced by the domain and announced to clients at login.
    pub limits: Limits,
    /// Clients heartbeat at least this often; a connection silent for twice this long is
    /// closed with `goodbye{heartbeat_timeout}`.
    pub heartbeat_interval: Duration,
    /// The largest frame the server reads. Bigger frames are answered with
    /// `frame_too_large`; frames over [`ServerConfig::ws_hard_limit_bytes`] cannot even
    /// be read, and close the connection.
    pub max_frame_bytes: usize,
    /// Events a connected session may have written to it but not yet sent before it is
    /// a slow consumer (disconnected with `goodbye{slow_consumer, reconnect:true}`).
    pub session_queue_capacity: usize,
    /// Recent events each session keeps for resume (at least `session_queue_capacity`).
    pub resume_buffer_events: usize,
    /// How long a disconnected session can still be resumed.
    pub session_linger: Duration,
    /// Sessions one user may have at once, connected or lingering. A login beyond it
    /// forgets the user's oldest lingering session or, when all are connected, ends the
    /// oldest with `goodbye{session_replaced}` (so reconnect loops cannot pile up
    /// sessions, each with its resume buffer and its share of every fan-out).
    pub max_sessions_per_user: usize,
    /// Read buffer of each WebSocket, in bytes (tungstenite's default is 128 KiB).
    pub ws_read_buffer_bytes: usize,
    /// Bytes buffered before a WebSocket write reaches the socket (every batch is flushed
    /// anyway); small, so that idle connections stay cheap.
    pub ws_write_buffer_bytes: usize,
    /// A write to a client that makes no progress for this long (the client stopped
    /// reading) ends the connection.
    pub write_timeout: Duration,
    /// How long a graceful shutdown waits for connections to say goodbye and close.
    pub shutdown_grace: Duration,
    /// Response frames one connection may have waiting for its writer before the server
    /// stops reading that connection's requests (back-pressure on a client that does
    /// not read).
    pub max_pending_responses: usize,
}

impl ServerConfig {
    /// A configuration with the defaults: PRODUCT.md limits, heartbeat every 15 s, 64 KiB
    /// frames, 256 queued events per session, 512 events kept for resume, sessions
    /// resumable for 120 s, 32 sessions per user, 2 KiB WebSocket buffers.
    pub fn new(listen: SocketAddr, data_dir: impl Into<PathBuf>) -> Self {
        Self {
            listen,
            data_dir: data_dir.into(),
            limits: Limits::default(),
            heartbeat_interval: Duration::from_secs(15),
            max_frame_bytes: DEFAULT_MAX_FRAME_BYTES,
            session_queue_capacity: 256,
            resume_buffer_events: 512,
            session_linger: Duration::from_secs(120),
            max_sessions_per_user: 32,
            ws_read_buffer_bytes: 2 * 1024,
            ws_write_buffer_bytes: 4 * 1024,
            write_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(5),
            max_pending_responses: 32,
        }
    }

    /// The largest message the WebSocket layer reads at all: four times
    /// `max_frame_bytes`, so that a frame slightly over the limit is answered with a typed
    /// error and the connection keeps serving; anything larger closes the connection.
    pub fn ws_hard_limit_bytes(&self) -> usize {
        self.max_frame_bytes.saturating_mul(4).max(1024)
    }

    /// The number of events a session keeps for resume (never below the queue capacity,
    /// because unsent events live in the same buffer).
    pub(crate) fn ring_capacity(&self) -> usize {
        self.resume_buffer_events
            .max(self.session_queue_capacity)
            .max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_never_smaller_than_queue() {
        let mut config = ServerConfig::new(([127, 0, 0, 1], 0).into(), "/tmp/x");
        config.session_queue_capacity = 1000;
        config.resume_buffer_events = 10;
        assert_eq!(config.ring_capacity(), 1000);
        config.session_queue_capacity = 0;
        config.resume_buffer_events = 0;
        assert_eq!(config.ring_capacity(), 1);
    }

    #[test]
    fn hard_limit_exceeds_frame_limit() {
        let config = ServerConfig::new(([127, 0, 0, 1], 0).into(), "/tmp/x");
        assert!(config.ws_hard_limit_bytes() > config.max_frame_bytes);
    }
}
