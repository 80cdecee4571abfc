//! `community-server`: the self-hostable server of the Community SDK.
//!
//! It speaks protocol v1 (`community-protocol`) over WebSocket at `/ws`, stores everything
//! in an embedded SQLite database in its data directory — or, for several nodes, in one
//! PostgreSQL database (`--database`, docs/MULTINODE.md) — through
//! `community-server-domain`, and enforces every permission and limit of PRODUCT.md. It is
//! a library too, so tests, benchmarks and the demo can embed a real server in-process:
//!
//! ```no_run
//! # async fn demo() -> Result<(), community_server::ServerError> {
//! use community_server::{RunningServer, ServerConfig};
//! let config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), "/tmp/community-data");
//! let server = RunningServer::start(config).await?;
//! let token = server.issue_token("alice", std::time::Duration::from_secs(3600))?;
//! println!("{} {token}", server.ws_url());
//! server.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Layout:
//! - [`config`]: [`ServerConfig`], its defaults and its validation.
//! - [`config_file`]: the TOML configuration file and the command-line overrides.
//! - `listener`: the accept loop (connection cap, handshake deadline).
//! - [`token`]: the deployment secret and HMAC login tokens.
//! - `hub`: sessions (event sequence, ring buffer, resume) and encode-once fan-out.
//! - `connection`: one task per WebSocket, owning its socket: it reads (hello, login,
//!   requests, heartbeats) and writes (responses and events, from its outbox) in turn.
//! - `ws`: the server's WebSocket (RFC 6455): upgrade handshake, frames, messages; no
//!   buffer held while a connection is idle.
//! - `shared`: what connections share, and the lock that orders deliveries.
//! - `large`: focus and the lazy member list of large communities (§22).
//! - [`admin`]: the admin HTTP API (`/admin/v1/…`) for the app's backend.
//! - `http`: `/healthz`, the `/ws` upgrade and the admin routes.
//! - `push`: the offline push hand-off (docs/PUSH.md): a bounded queue, the candidates
//!   from the domain, the online filter, signed push requests with retries.
//! - `server`: [`RunningServer`] (start, shutdown, kill) and [`issue_token`].
//! - `storage`: which database the domain runs over (SQLite in the data directory, or the
//!   PostgreSQL database of a cluster) and whether it answers.
//! - [`webhooks`]: calls to the app's backend (before-send, after-events, push hand-off):
//!   configuration, signing secret, HTTP client, the before-send check, the after-events
//!   queue (`webhooks.db`) and its delivery task.
//! - [`cli`]: the `community-server` command line.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod admin;
pub mod cli;
mod cluster;
pub mod config;
pub mod config_file;
mod connection;
mod error;
mod http;
mod hub;
mod large;
mod listener;
mod push;
mod server;
mod shared;
mod sockets;
mod storage;
pub mod token;
pub mod webhooks;
mod ws;

pub use config::ServerConfig;
pub use error::ServerError;
pub use server::{RunningServer, issue_token, issue_token_with_secret};
