//! Storage failures, before they become wire errors.
//!
//! Everything the store can fail with is a [`StoreError`]; at the domain boundary it turns
//! into an [`ApiError`] with [`ErrorCode::STORAGE`], which tells a client to retry later.
//! The client never sees the cause (SQLite's text names tables and columns): the server
//! logs the full error under a fresh incident id and answers with that id only, so an
//! operator can find the log line a user reports.

use std::fmt::Write as _;

use community_protocol::{ApiError, ErrorCode};

/// A failure of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite reported an error.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The data directory could not be created or opened.
    #[error("data directory: {0}")]
    Io(#[from] std::io::Error),
    /// A stored value could not be read back (corrupt row or unknown enum value).
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    /// No connection became free in time.
    #[error("storage busy: {0}")]
    Busy(String),
    /// The database was written by a newer version of the server.
    #[error("database schema version {found} is newer than this server's {supported}")]
    SchemaTooNew {
        /// The version found in the file.
        found: u32,
        /// The newest version this build knows.
        supported: u32,
    },
    /// PostgreSQL reported an error (or the connection to it failed).
    #[cfg(feature = "postgres")]
    #[error("postgres: {0}")]
    Postgres(#[from] postgres::Error),
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        let incident = incident_id();
        tracing::error!(%error, incident, "storage failure");
        ApiError::incident(ErrorCode::STORAGE, "storage failure", incident)
    }
}

/// A fresh incident id: 16 random lowercase hex digits (64 bits), unique enough to find one
/// log line among a deployment's.
pub fn incident_id() -> String {
    let bytes: [u8; 8] = rand::random();
    let mut id = String::with_capacity(16);
    for byte in bytes {
        // Writing to a String cannot fail.
        let _ = write!(id, "{byte:02x}");
    }
    id
}

impl From<serde_json::Error> for StoreError {
    fn from(error: serde_json::Error) -> Self {
        StoreError::Corrupt(error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_errors_reach_clients_without_their_cause() {
        let cause = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(1),
            Some("no such table: messages".into()),
        );
        let error = ApiError::from(StoreError::from(cause));
        assert_eq!(error.code, ErrorCode::STORAGE);
        let incident = error.incident_id.clone().unwrap();
        assert_eq!(incident.len(), 16);
        assert!(error.message.contains(&incident));
        assert!(!error.message.contains("no such table"));
        assert!(!error.message.to_lowercase().contains("sqlite"));
        assert_ne!(incident_id(), incident_id());
    }
}
