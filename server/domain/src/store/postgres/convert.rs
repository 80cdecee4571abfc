//! Conversions between protocol values and PostgreSQL columns. Enums are stored as their
//! protocol (serde) names, as the SQLite engine stores them, so both read like the wire
//! format.

use crate::StoreError;

/// The protocol name of a unit enum value (e.g. `Role::Admin` → `"admin"`).
pub(super) fn enum_text<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    match serde_json::to_value(value)? {
        serde_json::Value::String(text) => Ok(text),
        other => Err(StoreError::Corrupt(format!(
            "{other} is not a unit enum value"
        ))),
    }
}

/// Reads an enum stored by [`enum_text`].
pub(super) fn enum_from<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|e| StoreError::Corrupt(format!("unknown stored value {text:?}: {e}")))
}

/// Reads a non-negative `BIGINT` as `u64`.
pub(super) fn unsigned(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// Writes a `u64` (sequences, counts) as a `BIGINT`.
pub(super) fn signed(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Reads a JSON value stored as text or `JSONB` (selected as `::text`).
pub(super) fn json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    Ok(serde_json::from_str(text)?)
}
