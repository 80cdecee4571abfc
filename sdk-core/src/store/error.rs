//! [`StoreError`]: every way a store operation can fail, typed.
//!
//! The error is `Clone` so that one failure (a commit that did not go through) can be
//! handed to every caller whose write was in the failed transaction, and so that the
//! runtime can pass it on to several waiters or across the FFI unchanged.

use rusqlite::ffi;

/// A failure of the local store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The database file could not be opened or created.
    #[error("cannot open the store at {path}: {detail}")]
    Open {
        /// The file.
        path: String,
        /// What went wrong.
        detail: String,
    },
    /// The file exists but is not a (healthy) SQLite database.
    #[error("the store is corrupt: {detail}")]
    Corrupt {
        /// What SQLite or the decoder reported.
        detail: String,
    },
    /// A stored row could not be turned back into a record (bad JSON, unknown enum text,
    /// out-of-range number). The row is left as it is.
    #[error("cannot decode {what} from the store: {detail}")]
    Decode {
        /// Which record or column.
        what: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// A record could not be encoded for storage.
    #[error("cannot encode {what} for the store: {detail}")]
    Encode {
        /// Which record or column.
        what: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// The file was written by a newer SDK whose schema this one does not know.
    #[error("the store's schema version {found} is newer than this SDK's {supported}")]
    SchemaTooNew {
        /// `user_version` found in the file.
        found: i64,
        /// The newest version this SDK knows.
        supported: i64,
    },
    /// SQLite reported an error.
    #[error("SQLite error (code {code:?}): {message}")]
    Sqlite {
        /// SQLite's extended result code, when there is one.
        code: Option<i32>,
        /// SQLite's message.
        message: String,
    },
    /// The store's threads have stopped (the store was closed, or a thread died).
    #[error("the store is closed")]
    Closed,
}

impl StoreError {
    /// A decode error for `what`.
    pub(crate) fn decode(what: &'static str, detail: impl ToString) -> Self {
        StoreError::Decode {
            what,
            detail: detail.to_string(),
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        match &error {
            rusqlite::Error::SqliteFailure(failure, message) => {
                if matches!(
                    failure.code,
                    ffi::ErrorCode::DatabaseCorrupt | ffi::ErrorCode::NotADatabase
                ) {
                    return StoreError::Corrupt {
                        detail: error.to_string(),
                    };
                }
                StoreError::Sqlite {
                    code: Some(failure.extended_code),
                    message: message.clone().unwrap_or_else(|| error.to_string()),
                }
            }
            rusqlite::Error::FromSqlConversionFailure(..)
            | rusqlite::Error::IntegralValueOutOfRange(..)
            | rusqlite::Error::InvalidColumnType(..) => StoreError::Decode {
                what: "column",
                detail: error.to_string(),
            },
            _ => StoreError::Sqlite {
                code: None,
                message: error.to_string(),
            },
        }
    }
}

impl StoreError {
    /// True when SQLite reported the database busy or locked (retried internally; this
    /// only tells the store whether to retry).
    pub(crate) fn is_busy(&self) -> bool {
        match self {
            StoreError::Sqlite {
                code: Some(code), ..
            } => {
                let primary = code & 0xff;
                primary == ffi::SQLITE_BUSY || primary == ffi::SQLITE_LOCKED
            }
            _ => false,
        }
    }
}
