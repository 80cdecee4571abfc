//! Everything a deployment can tune, in one record with sensible defaults.
//!
//! [`ServerConfig`] is what the CLI builds from its configuration file and flags (see
//! [`crate::config_file`]) and what tests and benchmarks build directly (usually with
//! [`ServerConfig::new`] and a few fields overwritten). [`ServerConfig::validate`] is the one
//! place that says which values make sense; `RunningServer::start` refuses anything else.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use community_protocol::Limits;
use community_protocol::codec::DEFAULT_MAX_FRAME_BYTES;

use crate::ServerError;

/// Room in a client frame for the rest of a `send_message` request around its text (the
/// envelope, ids, idempotency key). `text_bytes` (and `custom_payload_bytes`) plus
/// `custom_data_bytes` plus this must fit in `max_frame_bytes`. A sanity check, not a guarantee: text that JSON escapes
/// heavily, or many mentions, can still make a frame too large (`frame_too_large`).
pub const FRAME_OVERHEAD_BYTES: usize = 768;

/// The smallest `max_frame_bytes` a server accepts.
pub const MIN_FRAME_BYTES: usize = 1024;

/// The largest `limits.search_query_bytes` a deployment may set.
pub const MAX_SEARCH_QUERY_BYTES: usize = 4096;

/// The largest `limits.search_max_terms` a deployment may set.
pub const MAX_SEARCH_TERMS: usize = 64;

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
    /// Frames to a client that offered `deflate` in its `hello` are compressed from this
    /// size on (PROTOCOL.md §1; 0: never compress, and refuse the offer).
    pub compress_min_bytes: usize,
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
    /// Bytes a WebSocket asks of its socket at once (more when a large frame is known to
    /// follow). The read buffer exists only while bytes are being read and decoded, or
    /// while a frame is incomplete: an idle connection holds none.
    pub ws_read_buffer_bytes: usize,
    /// Frames written together are gathered into one buffer of up to this many bytes
    /// before it reaches the socket (a payload this large or larger is written from where
    /// it is); the buffer is released after each batch, so an idle connection holds none.
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
    /// A TCP connection must complete the HTTP request (and, for `/ws`, the upgrade and
    /// the protocol's `hello`) within this time from being accepted, or it is closed.
    /// Also the longest time the server waits for an HTTP request's header (slowloris).
    pub handshake_timeout: Duration,
    /// TCP connections served at once (upgraded or not). Beyond it a new connection gets
    /// an immediate `503 Service Unavailable` and is closed.
    pub max_connections: usize,
    /// A session gets at most one `thread_digest` per thread per this long (the newest
    /// wins; the last one is always delivered, at most this late; a quiet thread's digest
    /// goes at once). 3 s by default: at 1 s the digests of one busy thread cost its
    /// channel's 1,000 online readers ~1.5× the CPU of the thread's stream itself
    /// (docs/BENCHMARKS.md, "Thread digests").
    pub thread_digest_interval: Duration,
    /// How long a user stays online after their last session's connection closed (so a
    /// reconnect does not flap their presence, nor empty their voice seat). Not applied
    /// after a heartbeat timeout: that connection was silent for two heartbeat intervals
    /// already, and the user goes offline at once. Never longer than one heartbeat timeout
    /// (twice `heartbeat_interval`: a longer value is cut to it); 5 s by default.
    pub presence_grace: Duration,
    /// Calls to the app's backend: before-send, after-events, push hand-off (none by
    /// default; docs/WEBHOOKS.md).
    pub webhooks: crate::webhooks::WebhookConfig,
    /// The admin API's key file (`None`: `<data_dir>/admin.key`, created on first start;
    /// see `docs/ADMIN.md`).
    pub admin_key_file: Option<PathBuf>,
    /// The NATS server that links this node to the others (`nats://host:port`; see
    /// `docs/MULTINODE-NATS.md`). `None`: a single node, nothing published.
    pub nats: Option<String>,
    /// The PostgreSQL database every node shares (`postgres://user@host:port/db`, or a
    /// libpq `key=value` string; `docs/MULTINODE.md`). `None`: the embedded SQLite
    /// database `<data_dir>/community.db` (the single-node default).
    pub database: Option<String>,
    /// Connections this node keeps open to [`ServerConfig::database`] at most.
    pub database_connections: usize,
    /// The token secret's file (`None`: `<data_dir>/server.secret`, created on first
    /// start). Every node of a cluster must read the same secret so that a token issued
    /// for one node is valid on all of them.
    pub secret_file: Option<PathBuf>,
    /// With `nats`: how long a node holds a channel's message that arrived before an
    /// earlier one (committed on another node) before letting the gap through (the
    /// clients repair gaps); 200 ms by default (`docs/MULTINODE-NATS.md`).
    pub cluster_reorder_window: Duration,
    /// With `nats`: at most this many messages held per channel (beyond it, the oldest
    /// gap is let through at once); 256 by default.
    pub cluster_reorder_held: usize,
    /// With `nats`: how often a node tells the others it is alive; a node not heard for
    /// three intervals is gone, and its users' presence with it. 1 s by default.
    pub cluster_heartbeat_interval: Duration,
}

impl ServerConfig {
    /// A configuration with the defaults: PRODUCT.md limits, heartbeat every 15 s, 64 KiB
    /// frames, 256 queued events per session, 512 events kept for resume, sessions
    /// resumable for 120 s, 32 sessions per user, 2 KiB WebSocket buffers, a 10 s
    /// handshake deadline, at most 10,000 connections and one thread digest per thread
    /// and session every 3 s, and a presence grace of 5 s.
    pub fn new(listen: SocketAddr, data_dir: impl Into<PathBuf>) -> Self {
        Self {
            listen,
            data_dir: data_dir.into(),
            limits: Limits::default(),
            heartbeat_interval: Duration::from_secs(15),
            max_frame_bytes: DEFAULT_MAX_FRAME_BYTES,
            compress_min_bytes: community_protocol::codec::DEFAULT_COMPRESS_MIN_BYTES,
            session_queue_capacity: 256,
            resume_buffer_events: 512,
            session_linger: Duration::from_secs(120),
            max_sessions_per_user: 32,
            ws_read_buffer_bytes: 2 * 1024,
            ws_write_buffer_bytes: 4 * 1024,
            write_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(5),
            max_pending_responses: 32,
            handshake_timeout: Duration::from_secs(10),
            max_connections: 10_000,
            thread_digest_interval: Duration::from_secs(3),
            presence_grace: crate::hub::DEFAULT_PRESENCE_GRACE,
            webhooks: crate::webhooks::WebhookConfig::default(),
            admin_key_file: None,
            nats: None,
            database: None,
            database_connections: 16,
            secret_file: None,
            cluster_reorder_window: crate::cluster::reorder::DEFAULT_REORDER_WINDOW,
            cluster_reorder_held: crate::cluster::reorder::DEFAULT_REORDER_HELD,
            cluster_heartbeat_interval: crate::cluster::presence::DEFAULT_HEARTBEAT,
        }
    }

    /// The token secret's file: `secret_file`, else `<data_dir>/server.secret`.
    pub fn secret_path(&self) -> PathBuf {
        self.secret_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join(crate::token::SECRET_FILE))
    }

    /// The admin API's key file: `admin_key_file`, else `<data_dir>/admin.key`.
    pub fn admin_key_path(&self) -> PathBuf {
        self.admin_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join(crate::admin::KEY_FILE))
    }

    /// Checks every value: the limits against their ceilings (`Limits::validate`), that
    /// the largest message fits in a frame, and that counts, sizes and durations are not
    /// zero. The error names the field.
    pub fn validate(&self) -> Result<(), ServerError> {
        self.limits
            .validate()
            .map_err(|error| ServerError::InvalidConfig {
                field: format!("limits.{}", error.field),
                reason: format!("{} is out of range: {}", error.value, error.allowed),
            })?;
        let invalid = |field: &str, reason: String| {
            Err(ServerError::InvalidConfig {
                field: field.to_owned(),
                reason,
            })
        };
        if self.max_frame_bytes < MIN_FRAME_BYTES {
            return invalid(
                "max_frame_bytes",
                format!(
                    "{} is below the minimum of {MIN_FRAME_BYTES}",
                    self.max_frame_bytes
                ),
            );
        }
        let largest = self
            .limits
            .text_bytes
            .max(self.limits.custom_payload_bytes)
            .saturating_add(self.limits.custom_data_bytes);
        if largest.saturating_add(FRAME_OVERHEAD_BYTES) > self.max_frame_bytes {
            return invalid(
                "max_frame_bytes",
                format!(
                    "{} cannot carry a message of limits.text_bytes / custom_payload_bytes \
                     with limits.custom_data_bytes = {largest} (needs at least {} bytes)",
                    self.max_frame_bytes,
                    largest.saturating_add(FRAME_OVERHEAD_BYTES)
                ),
            );
        }
        for (field, value) in [
            ("session_queue_capacity", self.session_queue_capacity),
            ("max_sessions_per_user", self.max_sessions_per_user),
            ("ws_read_buffer_bytes", self.ws_read_buffer_bytes),
            ("ws_write_buffer_bytes", self.ws_write_buffer_bytes),
            ("max_pending_responses", self.max_pending_responses),
            ("max_connections", self.max_connections),
            ("database_connections", self.database_connections),
            ("cluster_reorder_held", self.cluster_reorder_held),
        ] {
            if value == 0 {
                return invalid(field, "must be at least 1".to_owned());
            }
        }
        for (field, value) in [
            ("heartbeat_interval", self.heartbeat_interval),
            (
                "cluster_heartbeat_interval",
                self.cluster_heartbeat_interval,
            ),
            ("write_timeout", self.write_timeout),
            ("handshake_timeout", self.handshake_timeout),
            ("thread_digest_interval", self.thread_digest_interval),
        ] {
            if value.is_zero() {
                return invalid(field, "must be longer than 0".to_owned());
            }
        }
        if let Err(error) = self
            .limits
            .check_auto_archive(self.limits.thread_auto_archive_ms)
        {
            return invalid("limits.thread_auto_archive_ms", error.message);
        }
        if let Some(url) = &self.database {
            check_database_url(url).or_else(|reason| invalid("database", reason))?;
        }
        // The search limits bound the full-text expression the store runs.
        for (field, value, ceiling) in [
            (
                "limits.search_query_bytes",
                self.limits.search_query_bytes,
                MAX_SEARCH_QUERY_BYTES,
            ),
            (
                "limits.search_max_terms",
                self.limits.search_max_terms,
                MAX_SEARCH_TERMS,
            ),
        ] {
            if value == 0 || value > ceiling {
                return invalid(field, format!("{value} is out of range: 1..={ceiling}"));
            }
        }
        Ok(())
    }

    /// The storage engine this configuration asks for, for logs and `/healthz`:
    /// `postgres` or `sqlite`.
    pub fn storage_engine(&self) -> &'static str {
        if self.database.is_some() {
            "postgres"
        } else {
            "sqlite"
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

/// Checks that `url` names a PostgreSQL database: a `postgres://` / `postgresql://` URL or
/// a libpq `key=value` string. The reason says what is wrong.
fn check_database_url(url: &str) -> Result<(), String> {
    let url = url.trim();
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(());
    }
    if url.contains('=') && !url.contains("://") {
        return Ok(());
    }
    Err(format!(
        "{url:?} is not a PostgreSQL connection string (postgres://user@host:port/database); \
         without `database` the server uses SQLite in the data directory"
    ))
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
    fn defaults_are_valid_and_bad_values_name_their_field() {
        let config = ServerConfig::new(([127, 0, 0, 1], 0).into(), "/tmp/x");
        config.validate().unwrap();
        let field = |adjust: fn(&mut ServerConfig)| {
            let mut config = config.clone();
            adjust(&mut config);
            match config.validate() {
                Err(ServerError::InvalidConfig { field, .. }) => field,
                other => panic!("expected an invalid config, got {other:?}"),
            }
        };
        assert_eq!(
            field(|c| c.limits.max_channels_per_community = 1_001),
            "limits.max_channels_per_community"
        );
        assert_eq!(
            field(|c| c.limits.max_joined_communities = 501),
            "limits.max_joined_communities"
        );
        assert_eq!(
            field(|c| c.limits.text_bytes = 64 * 1024),
            "max_frame_bytes"
        );
        assert_eq!(field(|c| c.max_connections = 0), "max_connections");
        assert_eq!(
            field(|c| c.handshake_timeout = Duration::ZERO),
            "handshake_timeout"
        );
        assert_eq!(
            field(|c| c.thread_digest_interval = Duration::ZERO),
            "thread_digest_interval"
        );
        assert_eq!(
            field(|c| c.limits.thread_auto_archive_ms = 60_000),
            "limits.thread_auto_archive_ms"
        );
        assert_eq!(
            field(|c| c.limits.search_query_bytes = 0),
            "limits.search_query_bytes"
        );
        assert_eq!(
            field(|c| c.limits.search_max_terms = MAX_SEARCH_TERMS + 1),
            "limits.search_max_terms"
        );
        let mut at_ceilings = config.clone();
        at_ceilings.limits.max_channels_per_community = 1_000;
        at_ceilings.limits.max_joined_communities = 500;
        at_ceilings.limits.max_members_per_community = 0;
        at_ceilings.limits.search_query_bytes = MAX_SEARCH_QUERY_BYTES;
        at_ceilings.limits.search_max_terms = MAX_SEARCH_TERMS;
        at_ceilings.validate().unwrap();
    }

    #[test]
    fn hard_limit_exceeds_frame_limit() {
        let config = ServerConfig::new(([127, 0, 0, 1], 0).into(), "/tmp/x");
        assert!(config.ws_hard_limit_bytes() > config.max_frame_bytes);
    }

    #[test]
    fn database_must_be_postgres() {
        let mut config = ServerConfig::new(([127, 0, 0, 1], 0).into(), "d");
        assert_eq!(config.storage_engine(), "sqlite");
        for good in [
            "postgres://u@127.0.0.1:5432/db",
            "postgresql://127.0.0.1/db",
            "host=127.0.0.1 port=5432 user=u dbname=db",
        ] {
            config.database = Some(good.to_owned());
            assert!(config.validate().is_ok(), "{good}");
        }
        assert_eq!(config.storage_engine(), "postgres");
        config.database = Some("mysql://127.0.0.1/db".into());
        assert!(matches!(
            config.validate(),
            Err(ServerError::InvalidConfig { field, .. }) if field == "database"
        ));
        config.database = None;
        config.database_connections = 0;
        assert!(config.validate().is_err());
        assert_eq!(
            config.secret_path(),
            std::path::Path::new("d/server.secret")
        );
    }
}
