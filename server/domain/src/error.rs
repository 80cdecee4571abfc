//! Storage failures, before they become wire errors.
//!
//! Everything the store can fail with is a [`StoreError`]; at the domain boundary it turns
//! into an [`ApiError`] with [`ErrorCode::STORAGE`], which tells a client to retry later.

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
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        tracing::error!(%error, "storage failure");
        ApiError::new(ErrorCode::STORAGE, error.to_string())
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(error: serde_json::Error) -> Self {
        StoreError::Corrupt(error.to_string())
    }
}
