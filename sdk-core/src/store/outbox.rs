//! SQL for the outbox: the durable queue of messages the user sent that the server has
//! not confirmed yet. The table's rowid order is the enqueue order; the idempotency key
//! is unique, so enqueueing the same key twice keeps the first entry.

use community_protocol::ChannelId;
use community_protocol::{ApiError, Message};
use rusqlite::{Connection, Row, params};

use super::columns::*;
use super::messages;
use super::{OutboxEntry, OutboxState, SentOutcome, StoreError};

const OUTBOX_COLUMNS: &str = "idempotency_key, community_id, channel_id, content, mentions, \
     reply_to, priority, created_at_ms, state, sent_seq, error_code, error_message, \
     custom_data, forward_of";

/// Queues an entry; false when an entry with that key exists already (nothing changes).
pub(crate) fn enqueue(connection: &Connection, entry: &OutboxEntry) -> Result<bool, StoreError> {
    let (state, sent_seq, error_code, error_message) = state_columns(&entry.state);
    let changed = connection
        .prepare_cached(
            "INSERT INTO outbox (idempotency_key, community_id, channel_id, content, mentions,
                 reply_to, priority, created_at_ms, state, sent_seq, error_code, error_message,
                 custom_data, forward_of)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
             ON CONFLICT (idempotency_key) DO NOTHING",
        )?
        .execute(params![
            entry.idempotency_key,
            entry.community_id.as_str(),
            entry.channel_id.as_str(),
            content_json(&entry.content)?,
            mentions_json(&entry.mentions)?,
            entry.reply_to.map(int),
            priority_text(entry.priority),
            entry.created_at_ms,
            state,
            sent_seq,
            error_code,
            error_message,
            (!entry.custom_data.is_empty()).then_some(&entry.custom_data),
            entry
                .forward_of
                .as_ref()
                .map(|origin| to_json(origin, "forward_of"))
                .transpose()?,
        ])?;
    Ok(changed > 0)
}

/// Sent entries kept (newest first) so a local message can still be looked up by its id
/// after it was sent; older ones are pruned as new ones are sent.
pub(crate) const SENT_KEPT: usize = 1_000;

/// Stores the server's message and marks the entry sent, in the caller's transaction;
/// prunes sent entries beyond the newest [`SENT_KEPT`]. A message at `seq` 0 (discarded
/// by the deployment's content check, protocol §23.2) is not stored: only the entry is
/// marked sent.
pub(crate) fn mark_sent(
    connection: &Connection,
    key: &str,
    message: &Message,
) -> Result<SentOutcome, StoreError> {
    let message_inserted = message.seq != 0 && messages::insert_one(connection, message)?;
    let updated = connection
        .prepare_cached(
            "UPDATE outbox SET state = 'sent', sent_seq = ?2, error_code = NULL,
                 error_message = NULL
             WHERE idempotency_key = ?1",
        )?
        .execute(params![key, int(message.seq)])?;
    connection
        .prepare_cached(
            "DELETE FROM outbox WHERE state = 'sent' AND id <=
                 (SELECT id FROM outbox WHERE state = 'sent' ORDER BY id DESC LIMIT 1 OFFSET ?1)",
        )?
        .execute([i64::try_from(SENT_KEPT).unwrap_or(i64::MAX)])?;
    Ok(SentOutcome {
        message_inserted,
        entry_updated: updated > 0,
    })
}

/// Marks an entry failed (unless it was sent already); false when nothing changed.
pub(crate) fn mark_failed(
    connection: &Connection,
    key: &str,
    error: &ApiError,
) -> Result<bool, StoreError> {
    let changed = connection
        .prepare_cached(
            "UPDATE outbox SET state = 'failed', error_code = ?2, error_message = ?3
             WHERE idempotency_key = ?1 AND state != 'sent'",
        )?
        .execute(params![key, error.code.0, error.message])?;
    Ok(changed > 0)
}

/// Puts a failed entry back to sending; false when it is not failed.
pub(crate) fn retry(connection: &Connection, key: &str) -> Result<bool, StoreError> {
    let changed = connection
        .prepare_cached(
            "UPDATE outbox SET state = 'sending', error_code = NULL, error_message = NULL
             WHERE idempotency_key = ?1 AND state = 'failed'",
        )?
        .execute([key])?;
    Ok(changed > 0)
}

/// Deletes an entry not sent yet (sending or failed); false when there was none.
pub(crate) fn discard(connection: &Connection, key: &str) -> Result<bool, StoreError> {
    let changed = connection
        .prepare_cached("DELETE FROM outbox WHERE idempotency_key = ?1 AND state != 'sent'")?
        .execute([key])?;
    Ok(changed > 0)
}

/// Every entry (any state), in enqueue order.
pub(crate) fn all(connection: &Connection) -> Result<Vec<OutboxEntry>, StoreError> {
    let sql = format!("SELECT {OUTBOX_COLUMNS} FROM outbox ORDER BY id");
    query(connection, &sql, [])
}

/// Deletes every entry already sent; returns how many.
pub(crate) fn remove_sent(connection: &Connection) -> Result<usize, StoreError> {
    Ok(connection
        .prepare_cached("DELETE FROM outbox WHERE state = 'sent'")?
        .execute([])?)
}

/// Entries still to send, in enqueue order.
pub(crate) fn pending(connection: &Connection) -> Result<Vec<OutboxEntry>, StoreError> {
    let sql = format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE state = 'sending' ORDER BY id");
    query(connection, &sql, [])
}

/// Every entry of one channel (any state), in enqueue order.
pub(crate) fn of_channel(
    connection: &Connection,
    channel_id: &ChannelId,
) -> Result<Vec<OutboxEntry>, StoreError> {
    let sql = format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE channel_id = ?1 ORDER BY id");
    query(connection, &sql, [channel_id.as_str()])
}

/// One entry by key.
pub(crate) fn get(connection: &Connection, key: &str) -> Result<Option<OutboxEntry>, StoreError> {
    let sql = format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE idempotency_key = ?1");
    Ok(query(connection, &sql, [key])?.pop())
}

fn state_columns(state: &OutboxState) -> (&'static str, Option<i64>, Option<u16>, Option<&str>) {
    match state {
        OutboxState::Sending => ("sending", None, None, None),
        OutboxState::Sent { seq } => ("sent", Some(int(*seq)), None, None),
        OutboxState::Failed { error } => ("failed", None, Some(error.code.0), Some(&error.message)),
    }
}

fn query<P: rusqlite::Params>(
    connection: &Connection,
    sql: &str,
    params: P,
) -> Result<Vec<OutboxEntry>, StoreError> {
    let mut statement = connection.prepare_cached(sql)?;
    let mut rows = statement.query(params)?;
    let mut entries = Vec::new();
    while let Some(row) = rows.next()? {
        entries.push(entry_from_row(row)?);
    }
    Ok(entries)
}

fn entry_from_row(row: &Row<'_>) -> Result<OutboxEntry, StoreError> {
    let content: String = row.get(3)?;
    let reply_to: Option<i64> = row.get(5)?;
    let state: String = row.get(8)?;
    let state = match state.as_str() {
        "sending" => OutboxState::Sending,
        "sent" => OutboxState::Sent {
            seq: uint(
                row.get::<_, Option<i64>>(9)?.unwrap_or_default(),
                "sent_seq",
            )?,
        },
        "failed" => OutboxState::Failed {
            error: ApiError::new(
                error_code(row.get::<_, Option<i64>>(10)?.unwrap_or_default())?,
                row.get::<_, Option<String>>(11)?.unwrap_or_default(),
            ),
        },
        other => {
            return Err(StoreError::decode(
                "outbox state",
                format!("unknown value {other:?}"),
            ));
        }
    };
    Ok(OutboxEntry {
        idempotency_key: row.get(0)?,
        community_id: row.get::<_, String>(1)?.into(),
        channel_id: row.get::<_, String>(2)?.into(),
        content: from_json(&content, "message content")?,
        mentions: mentions_from(row.get(4)?)?,
        reply_to: reply_to.map(|r| uint(r, "reply_to")).transpose()?,
        priority: priority_from(&row.get::<_, String>(6)?)?,
        created_at_ms: row.get(7)?,
        state,
        custom_data: row.get::<_, Option<String>>(12)?.unwrap_or_default(),
        forward_of: row
            .get::<_, Option<String>>(13)?
            .map(|text| from_json(&text, "forward_of"))
            .transpose()?,
    })
}
