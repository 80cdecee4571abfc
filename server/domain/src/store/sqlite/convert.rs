//! Conversions between protocol values and SQLite columns. Enums are stored as their
//! protocol (serde) names, so the database reads like the wire format.

use rusqlite::Row;
use rusqlite::types::Type;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::StoreError;

/// The protocol name of a unit enum value (e.g. `Role::Admin` → `"admin"`).
pub(super) fn enum_text<T: Serialize>(value: &T) -> Result<String, StoreError> {
    match serde_json::to_value(value)? {
        serde_json::Value::String(text) => Ok(text),
        other => Err(StoreError::Corrupt(format!(
            "{other} is not a unit enum value"
        ))),
    }
}

/// Reads an enum stored by [`enum_text`].
pub(super) fn enum_from<T: DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|e| StoreError::Corrupt(format!("unknown stored value {text:?}: {e}")))
}

/// Converts a store error raised while mapping a row into a rusqlite error (so it can be
/// returned from a row closure).
pub(super) fn in_row(error: StoreError) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, Type::Text, Box::new(error))
}

/// Reads a non-negative integer column as `u64`.
pub(super) fn unsigned(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// Writes a `u64` (sequences, counts) as SQLite's signed integer.
pub(super) fn signed(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Reads a text column as a typed id (`CommunityId`, `UserId`, …).
pub(super) fn id<T: From<String>>(row: &Row<'_>, index: usize) -> rusqlite::Result<T> {
    row.get::<_, String>(index).map(T::from)
}

/// Reads a nullable text column as an optional typed id.
pub(super) fn opt_id<T: From<String>>(row: &Row<'_>, index: usize) -> rusqlite::Result<Option<T>> {
    Ok(row.get::<_, Option<String>>(index)?.map(T::from))
}

/// Reads permission flags stored bit-for-bit in a signed 64-bit column.
pub(super) fn flags(value: i64) -> community_protocol::Permissions {
    community_protocol::Permissions(u64::from_ne_bytes(value.to_ne_bytes()))
}

/// Writes permission flags bit-for-bit into a signed 64-bit column.
pub(super) fn bits(flags: community_protocol::Permissions) -> i64 {
    i64::from_ne_bytes(flags.0.to_ne_bytes())
}
