//! SQL for pending changes: the durable queue of edits, recalls, reactions, pins and
//! hides made on this device. Rowid order is the order the user made them in; the key is
//! unique. Done and failed entries stay (the newest [`SETTLED_KEPT`]) so a change can
//! still be looked up by its key after it settled.

use community_protocol::ApiError;
use rusqlite::{Connection, Row, params};

use super::StoreError;
use super::columns::*;
use crate::model::{ChangeState, PendingChange};

const COLUMNS: &str = "key, community_id, channel_id, seq, action, created_at_ms, state, \
     change_seq, error_code, error_message";

/// Settled (done or failed) entries kept.
pub(crate) const SETTLED_KEPT: usize = 1_000;

/// Queues a change; false when one with that key exists already (nothing changes).
pub(crate) fn enqueue(connection: &Connection, entry: &PendingChange) -> Result<bool, StoreError> {
    let (state, change_seq, error_code, error_message) = state_columns(&entry.state);
    let changed = connection
        .prepare_cached(
            "INSERT INTO pending_changes (key, community_id, channel_id, seq, action,
                 created_at_ms, state, change_seq, error_code, error_message)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT (key) DO NOTHING",
        )?
        .execute(params![
            entry.key,
            entry.community_id.as_str(),
            entry.channel_id.as_str(),
            int(entry.seq),
            to_json(&entry.action, "change action")?,
            entry.created_at_ms,
            state,
            change_seq,
            error_code,
            error_message,
        ])?;
    Ok(changed > 0)
}

/// Settles an entry (done or failed); prunes settled entries beyond the newest
/// [`SETTLED_KEPT`]. False when no pending entry has that key.
pub(crate) fn settle(
    connection: &Connection,
    key: &str,
    state: &ChangeState,
) -> Result<bool, StoreError> {
    let (state, change_seq, error_code, error_message) = state_columns(state);
    let changed = connection
        .prepare_cached(
            "UPDATE pending_changes SET state = ?2, change_seq = ?3, error_code = ?4,
                 error_message = ?5
             WHERE key = ?1 AND state = 'pending'",
        )?
        .execute(params![key, state, change_seq, error_code, error_message])?;
    connection
        .prepare_cached(
            "DELETE FROM pending_changes WHERE state != 'pending' AND id <=
                 (SELECT id FROM pending_changes WHERE state != 'pending'
                  ORDER BY id DESC LIMIT 1 OFFSET ?1)",
        )?
        .execute([i64::try_from(SETTLED_KEPT).unwrap_or(i64::MAX)])?;
    Ok(changed > 0)
}

/// Entries still to carry out, in the order they were made.
pub(crate) fn pending(connection: &Connection) -> Result<Vec<PendingChange>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM pending_changes WHERE state = 'pending' ORDER BY id");
    query(connection, &sql, [])
}

/// Every entry (any state), in the order they were made.
pub(crate) fn all(connection: &Connection) -> Result<Vec<PendingChange>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM pending_changes ORDER BY id");
    query(connection, &sql, [])
}

/// One entry by key.
pub(crate) fn get(connection: &Connection, key: &str) -> Result<Option<PendingChange>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM pending_changes WHERE key = ?1");
    Ok(query(connection, &sql, [key])?.pop())
}

fn state_columns(state: &ChangeState) -> (&'static str, Option<i64>, Option<u16>, Option<&str>) {
    match state {
        ChangeState::Pending => ("pending", None, None, None),
        ChangeState::Done { change_seq } => ("done", change_seq.map(int), None, None),
        ChangeState::Failed { error } => ("failed", None, Some(error.code.0), Some(&error.message)),
    }
}

fn query<P: rusqlite::Params>(
    connection: &Connection,
    sql: &str,
    params: P,
) -> Result<Vec<PendingChange>, StoreError> {
    let mut statement = connection.prepare_cached(sql)?;
    let mut rows = statement.query(params)?;
    let mut entries = Vec::new();
    while let Some(row) = rows.next()? {
        entries.push(entry_from_row(row)?);
    }
    Ok(entries)
}

fn entry_from_row(row: &Row<'_>) -> Result<PendingChange, StoreError> {
    let action: String = row.get(4)?;
    let state: String = row.get(6)?;
    let state = match state.as_str() {
        "pending" => ChangeState::Pending,
        "done" => ChangeState::Done {
            change_seq: row
                .get::<_, Option<i64>>(7)?
                .map(|seq| uint(seq, "change_seq"))
                .transpose()?,
        },
        "failed" => ChangeState::Failed {
            error: ApiError::new(
                error_code(row.get::<_, Option<i64>>(8)?.unwrap_or_default())?,
                row.get::<_, Option<String>>(9)?.unwrap_or_default(),
            ),
        },
        other => {
            return Err(StoreError::decode(
                "pending change state",
                format!("unknown value {other:?}"),
            ));
        }
    };
    Ok(PendingChange {
        key: row.get(0)?,
        community_id: row.get::<_, String>(1)?.into(),
        channel_id: row.get::<_, String>(2)?.into(),
        seq: uint(row.get(3)?, "seq")?,
        action: from_json(&action, "change action")?,
        created_at_ms: row.get(5)?,
        state,
    })
}
