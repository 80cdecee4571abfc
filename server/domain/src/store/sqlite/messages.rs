//! Messages, sequences, idempotency keys and mentions in SQLite.

use std::collections::BTreeSet;

use community_protocol::{ChannelId, Message, UserId};
use rusqlite::{OptionalExtension, Row, params};
use tracing::trace_span;

use super::SqliteTx;
use super::convert::{enum_from, enum_text, id, in_row, signed, unsigned};
use crate::StoreError;
use crate::store::{HistoryRange, MessageStore, NewMessage, StoreResult};

const MESSAGE_COLUMNS: &str =
    "m.community_id, m.channel_id, m.seq, m.sender_id, m.idempotency_key, m.content,
    m.mentions, m.reply_to, m.priority, m.created_at_ms";

/// The `mentions.user_id` that stands for @everyone.
const EVERYONE: &str = "";

fn message_from_row(row: &Row<'_>) -> rusqlite::Result<Message> {
    let content: String = row.get(5)?;
    let mentions: String = row.get(6)?;
    Ok(Message {
        community_id: id(row, 0)?,
        channel_id: id(row, 1)?,
        seq: unsigned(row.get(2)?),
        sender_id: id(row, 3)?,
        idempotency_key: row.get(4)?,
        content: serde_json::from_str(&content).map_err(|e| in_row(e.into()))?,
        mentions: serde_json::from_str(&mentions).map_err(|e| in_row(e.into()))?,
        reply_to: row.get::<_, Option<i64>>(7)?.map(unsigned),
        priority: enum_from(&row.get::<_, String>(8)?).map_err(in_row)?,
        created_at_ms: row.get(9)?,
    })
}

impl MessageStore for SqliteTx<'_> {
    fn message_by_key(
        &self,
        sender_id: &UserId,
        idempotency_key: &str,
    ) -> StoreResult<Option<Message>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM idempotency i
                 JOIN messages m ON m.channel_id = i.channel_id AND m.seq = i.seq
                 WHERE i.sender_id = ?1 AND i.idempotency_key = ?2"
            ))?
            .query_row(
                params![sender_id.as_str(), idempotency_key],
                message_from_row,
            )
            .optional()?)
    }

    fn append_message(&self, new: &NewMessage<'_>) -> StoreResult<Message> {
        let _span = trace_span!("append_message", channel_id = new.channel_id.as_str()).entered();
        // Sequence assignment and insert share the caller's write transaction: sequences are
        // gap-free and never reused, whatever the number of concurrent senders.
        let seq: i64 = self
            .conn
            .prepare_cached(
                "UPDATE channels SET last_seq = last_seq + 1, last_activity_ms = MAX(last_activity_ms, ?2)
                 WHERE channel_id = ?1 RETURNING last_seq",
            )?
            .query_row(params![new.channel_id.as_str(), new.created_at_ms], |row| row.get(0))
            .optional()?
            .ok_or_else(|| StoreError::Corrupt(format!("channel {} vanished", new.channel_id)))?;
        self.conn
            .prepare_cached(
                "INSERT INTO messages (channel_id, seq, community_id, sender_id, idempotency_key, content,
                        mentions, reply_to, priority, created_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                new.channel_id.as_str(),
                seq,
                new.community_id.as_str(),
                new.sender_id.as_str(),
                new.idempotency_key,
                serde_json::to_string(new.content)?,
                serde_json::to_string(new.mentions)?,
                new.reply_to.map(signed),
                enum_text(&new.priority)?,
                new.created_at_ms,
            ])?;
        self.conn
            .prepare_cached(
                "INSERT INTO idempotency (sender_id, idempotency_key, channel_id, seq) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![new.sender_id.as_str(), new.idempotency_key, new.channel_id.as_str(), seq])?;
        let mut mentioned: BTreeSet<&str> = new.mentions.users.iter().map(UserId::as_str).collect();
        if new.mentions.everyone {
            mentioned.insert(EVERYONE);
        }
        let mut insert_mention = self.conn.prepare_cached(
            "INSERT OR IGNORE INTO mentions (channel_id, user_id, seq, sender_id) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for user_id in mentioned {
            insert_mention.execute(params![
                new.channel_id.as_str(),
                user_id,
                seq,
                new.sender_id.as_str()
            ])?;
        }
        Ok(Message {
            community_id: new.community_id.to_owned(),
            channel_id: new.channel_id.to_owned(),
            seq: unsigned(seq),
            sender_id: new.sender_id.to_owned(),
            idempotency_key: new.idempotency_key.to_owned(),
            content: new.content.clone(),
            mentions: new.mentions.clone(),
            reply_to: new.reply_to,
            priority: new.priority,
            created_at_ms: new.created_at_ms,
        })
    }

    fn messages(
        &self,
        channel_id: &ChannelId,
        range: HistoryRange,
    ) -> StoreResult<(Vec<Message>, bool)> {
        let order = if range.newest { "DESC" } else { "ASC" };
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m
             WHERE m.channel_id = ?1 AND m.seq > ?2 AND m.seq < ?3
             ORDER BY m.seq {order} LIMIT ?4"
        ))?;
        let after = range.after.map_or(0, signed);
        let before = range.before.map_or(i64::MAX, signed);
        let fetch = i64::from(range.limit) + 1;
        let rows = statement.query_map(
            params![channel_id.as_str(), after, before, fetch],
            message_from_row,
        )?;
        let mut messages: Vec<Message> = rows.collect::<Result<_, _>>()?;
        let has_more = messages.len() > range.limit as usize;
        messages.truncate(range.limit as usize);
        if range.newest {
            messages.reverse();
        }
        Ok((messages, has_more))
    }
}
