//! Errors of starting, running and administering a server (not wire errors: those are
//! `community_protocol::ApiError`s sent to clients).

use std::path::PathBuf;

use community_protocol::ApiError;
use community_server_domain::StoreError;

/// A failure of the server as a whole (start-up, secret, token issuing).
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The data directory or a file in it could not be used.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The deployment secret file exists but is not a valid secret.
    #[error("{path}: not a valid secret ({reason})")]
    BadSecret {
        /// The secret file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The storage could not be opened.
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    /// The user id is not acceptable (empty, too long, control characters).
    #[error("{0}")]
    InvalidUserId(ApiError),
    /// The server task failed unexpectedly.
    #[error("server task failed: {0}")]
    Task(String),
    /// A configuration value is out of range (nothing was started).
    #[error("invalid configuration: `{field}`: {reason}")]
    InvalidConfig {
        /// The field, as named in the configuration file (e.g. `limits.text_bytes`).
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The configuration file cannot be read or parsed (unknown keys included).
    #[error("configuration file {path}: {reason}")]
    ConfigFile {
        /// The file.
        path: PathBuf,
        /// Why it was refused.
        reason: String,
    },
}
