//! SQL for cached messages: idempotent batch insert, pages, gap detection.
//!
//! A message is identified by `(channel_id, seq)`, the table's clustered primary key, so
//! inserting one twice keeps one row (the first) and a page is one range scan. The body
//! is kept as the JSON text of `MessageContent`; the fields every message has are
//! columns, and what only some messages have (custom data, edits, reactions, pin, reply
//! preview, origin) is one nullable JSON column, `extras`, NULL for a plain message.
//! Changes to cached messages are in [`super::message_changes`].

use community_protocol::{ChannelId, CommunityId};
use community_protocol::{
    Message, Origin, Pin, Reaction, ReplyPreview, Seq, ThreadDigest, TimestampMs,
};
use rusqlite::{Connection, Row, params};
use serde::{Deserialize, Serialize};

use super::StoreError;
use super::columns::*;
use super::search_index;

pub(crate) const MESSAGE_COLUMNS: &str = "channel_id, seq, community_id, sender_id, \
     idempotency_key, content, mentions, reply_to, priority, created_at_ms, extras";

/// Inserts `messages` and queues the new ones for search indexing (see
/// [`search_index`]); returns those that were not cached before, in the given order.
pub(crate) fn insert(
    connection: &Connection,
    messages: Vec<Message>,
) -> Result<Vec<Message>, StoreError> {
    // The (channel, community) pairs seen; batches hold few channels, usually in runs,
    // so a short list checked from its end beats hashing every message.
    let mut channels: Vec<(&str, &str)> = Vec::new();
    let mut fresh = Vec::with_capacity(messages.len());
    {
        let mut statement = connection.prepare_cached(INSERT_SQL)?;
        let mut new = search_index::NewMessages::default();
        for (position, message) in messages.iter().enumerate() {
            if insert_queued(&mut statement, &mut new, message)? {
                fresh.push(position);
            }
            let pair = (message.channel_id.as_str(), message.community_id.as_str());
            if !channels.iter().rev().any(|seen| *seen == pair) {
                channels.push(pair);
            }
        }
        new.queue(connection)?;
        let mut known = connection.prepare_cached(
            "INSERT INTO message_channels (channel_id, community_id) VALUES (?1, ?2)
             ON CONFLICT (channel_id) DO NOTHING",
        )?;
        for (channel_id, community_id) in channels {
            known.execute([channel_id, community_id])?;
        }
    }
    if fresh.len() == messages.len() {
        return Ok(messages);
    }
    let mut fresh = fresh.into_iter().peekable();
    Ok(messages
        .into_iter()
        .enumerate()
        .filter_map(|(index, message)| {
            if fresh.peek() == Some(&index) {
                fresh.next();
                Some(message)
            } else {
                None
            }
        })
        .collect())
}

/// Inserts one message (queued for search indexing); true when it was not cached before.
pub(crate) fn insert_one(connection: &Connection, message: &Message) -> Result<bool, StoreError> {
    let mut statement = connection.prepare_cached(INSERT_SQL)?;
    let mut new = search_index::NewMessages::default();
    let inserted = insert_queued(&mut statement, &mut new, message)?;
    new.queue(connection)?;
    connection
        .prepare_cached(
            "INSERT INTO message_channels (channel_id, community_id) VALUES (?1, ?2)
             ON CONFLICT (channel_id) DO NOTHING",
        )?
        .execute([message.channel_id.as_str(), message.community_id.as_str()])?;
    Ok(inserted)
}

/// Inserts a message that may not be cached (first copy wins), and adds it to the
/// messages to queue for search indexing when it was new; true when it was.
pub(crate) fn insert_queued(
    statement: &mut rusqlite::CachedStatement<'_>,
    new: &mut search_index::NewMessages,
    message: &Message,
) -> Result<bool, StoreError> {
    let changed = statement.execute(params![
        message.channel_id.as_str(),
        int(message.seq),
        message.community_id.as_str(),
        message.sender_id.as_str(),
        message.idempotency_key,
        content_json(&message.content)?,
        mentions_json(&message.mentions)?,
        message.reply_to.map(int),
        priority_text(message.priority),
        message.created_at_ms,
        extras_json(message)?,
    ])?;
    if changed == 0 {
        return Ok(false);
    }
    new.add(message);
    Ok(true)
}

pub(crate) const INSERT_SQL: &str = "INSERT INTO messages (channel_id, seq, community_id,
         sender_id, idempotency_key, content, mentions, reply_to, priority, created_at_ms,
         extras)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
     ON CONFLICT (channel_id, seq) DO NOTHING";

/// Replaces every column of a cached message but its search document id (insert when
/// absent); the index is the caller's ([`search_index::rewritten`]).
pub(crate) const UPSERT_SQL: &str = "INSERT INTO messages (channel_id, seq, community_id,
         sender_id, idempotency_key, content, mentions, reply_to, priority, created_at_ms,
         extras)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
     ON CONFLICT (channel_id, seq) DO UPDATE SET
         community_id = excluded.community_id, sender_id = excluded.sender_id,
         idempotency_key = excluded.idempotency_key, content = excluded.content,
         mentions = excluded.mentions, reply_to = excluded.reply_to,
         priority = excluded.priority, created_at_ms = excluded.created_at_ms,
         extras = excluded.extras";

/// Runs [`UPSERT_SQL`] for `message`; true when a row was written.
pub(crate) fn upsert_with(
    statement: &mut rusqlite::CachedStatement<'_>,
    message: &Message,
) -> Result<bool, StoreError> {
    let changed = statement.execute(params![
        message.channel_id.as_str(),
        int(message.seq),
        message.community_id.as_str(),
        message.sender_id.as_str(),
        message.idempotency_key,
        content_json(&message.content)?,
        mentions_json(&message.mentions)?,
        message.reply_to.map(int),
        priority_text(message.priority),
        message.created_at_ms,
        extras_json(message)?,
    ])?;
    Ok(changed > 0)
}

/// Deletes every cached message of a channel (its search documents stop counting at
/// once and are queued for removal).
pub(crate) fn delete_channel(
    connection: &Connection,
    channel_id: &ChannelId,
) -> Result<(), StoreError> {
    search_index::remove_channel(connection, channel_id)?;
    connection
        .prepare_cached("DELETE FROM messages WHERE channel_id = ?1")?
        .execute([channel_id.as_str()])?;
    connection
        .prepare_cached("DELETE FROM message_channels WHERE channel_id = ?1")?
        .execute([channel_id.as_str()])?;
    Ok(())
}

/// Channels with cached messages that belong to `community_id`.
pub(crate) fn channels_of_community(
    connection: &Connection,
    community_id: &CommunityId,
) -> Result<Vec<ChannelId>, StoreError> {
    let mut statement = connection
        .prepare_cached("SELECT channel_id FROM message_channels WHERE community_id = ?1")?;
    let ids = statement
        .query_map([community_id.as_str()], |row| row.get::<_, String>(0))?
        .map(|id| id.map(ChannelId::from))
        .collect::<Result<Vec<ChannelId>, _>>()?;
    Ok(ids)
}

/// Up to `limit` cached messages with `seq < before` (all when `None`), the newest ones,
/// returned ascending.
pub(crate) fn before(
    connection: &Connection,
    channel_id: &ChannelId,
    before: Option<Seq>,
    limit: u32,
) -> Result<Vec<Message>, StoreError> {
    let before = before.map_or(i64::MAX, int);
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages WHERE channel_id = ?1 AND seq < ?2
         ORDER BY seq DESC LIMIT ?3"
    );
    let mut page = query(
        connection,
        &sql,
        params![channel_id.as_str(), before, limit],
    )?;
    page.reverse();
    Ok(page)
}

/// Up to `limit` cached messages with `seq > after`, the oldest ones, ascending.
pub(crate) fn after(
    connection: &Connection,
    channel_id: &ChannelId,
    after: Seq,
    limit: u32,
) -> Result<Vec<Message>, StoreError> {
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages WHERE channel_id = ?1 AND seq > ?2
         ORDER BY seq ASC LIMIT ?3"
    );
    query(
        connection,
        &sql,
        params![channel_id.as_str(), int(after), limit],
    )
}

/// One cached message.
pub(crate) fn get(
    connection: &Connection,
    channel_id: &ChannelId,
    seq: Seq,
) -> Result<Option<Message>, StoreError> {
    let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE channel_id = ?1 AND seq = ?2");
    Ok(query(connection, &sql, params![channel_id.as_str(), int(seq)])?.pop())
}

/// The highest cached sequence of a channel (0 when none is cached).
pub(crate) fn max_seq(connection: &Connection, channel_id: &ChannelId) -> Result<Seq, StoreError> {
    let max: Option<i64> = connection
        .prepare_cached("SELECT MAX(seq) FROM messages WHERE channel_id = ?1")?
        .query_row([channel_id.as_str()], |row| row.get(0))?;
    max.map_or(Ok(0), |max| uint(max, "seq"))
}

/// The highest `s` such that every sequence in `from..=s` is cached; `from - 1` when
/// `from` itself is missing.
pub(crate) fn max_contiguous(
    connection: &Connection,
    channel_id: &ChannelId,
    from: Seq,
) -> Result<Seq, StoreError> {
    let from = from.max(1);
    let mut statement = connection.prepare_cached(
        "SELECT seq FROM messages WHERE channel_id = ?1 AND seq >= ?2 ORDER BY seq",
    )?;
    let mut rows = statement.query(params![channel_id.as_str(), int(from)])?;
    let mut last = from - 1;
    while let Some(row) = rows.next()? {
        let seq = uint(row.get(0)?, "seq")?;
        if seq != last + 1 {
            break;
        }
        last = seq;
    }
    Ok(last)
}

/// The inclusive ranges of `from..=to` that are not cached, ascending.
pub(crate) fn missing_ranges(
    connection: &Connection,
    channel_id: &ChannelId,
    from: Seq,
    to: Seq,
) -> Result<Vec<(Seq, Seq)>, StoreError> {
    let from = from.max(1);
    if to < from {
        return Ok(Vec::new());
    }
    let mut statement = connection.prepare_cached(
        "SELECT seq FROM messages WHERE channel_id = ?1 AND seq BETWEEN ?2 AND ?3 ORDER BY seq",
    )?;
    let mut rows = statement.query(params![channel_id.as_str(), int(from), int(to)])?;
    let mut missing = Vec::new();
    let mut next = from;
    while let Some(row) = rows.next()? {
        let seq = uint(row.get(0)?, "seq")?;
        if seq > next {
            missing.push((next, seq - 1));
        }
        next = seq + 1;
    }
    if next <= to {
        missing.push((next, to));
    }
    Ok(missing)
}

/// Number of cached messages, of one channel or in all.
pub(crate) fn count(
    connection: &Connection,
    channel_id: Option<&ChannelId>,
) -> Result<u64, StoreError> {
    let count: i64 = match channel_id {
        Some(channel_id) => connection
            .prepare_cached("SELECT COUNT(*) FROM messages WHERE channel_id = ?1")?
            .query_row([channel_id.as_str()], |row| row.get(0))?,
        None => connection
            .prepare_cached("SELECT COUNT(*) FROM messages")?
            .query_row([], |row| row.get(0))?,
    };
    uint(count, "count")
}

pub(crate) fn query<P: rusqlite::Params>(
    connection: &Connection,
    sql: &str,
    params: P,
) -> Result<Vec<Message>, StoreError> {
    let mut statement = connection.prepare_cached(sql)?;
    let mut rows = statement.query(params)?;
    let mut messages = Vec::new();
    while let Some(row) = rows.next()? {
        messages.push(message_from_row(row)?);
    }
    Ok(messages)
}

fn message_from_row(row: &Row<'_>) -> Result<Message, StoreError> {
    let content: String = row.get(5)?;
    let reply_to: Option<i64> = row.get(7)?;
    Message {
        channel_id: row.get::<_, String>(0)?.into(),
        seq: uint(row.get(1)?, "seq")?,
        community_id: row.get::<_, String>(2)?.into(),
        sender_id: row.get::<_, String>(3)?.into(),
        idempotency_key: row.get(4)?,
        content: from_json(&content, "message content")?,
        mentions: mentions_from(row.get(6)?)?,
        reply_to: reply_to.map(|r| uint(r, "reply_to")).transpose()?,
        priority: priority_from(&row.get::<_, String>(8)?)?,
        created_at_ms: row.get(9)?,
        custom_data: String::new(),
        edited_at_ms: None,
        edit_count: 0,
        reactions: Vec::new(),
        pinned: None,
        reply_preview: None,
        forwarded_from: None,
        thread: None,
    }
    .with_extras(row.get(10)?)
}

/// What only some messages have, as stored in `extras` (borrowed to write).
#[derive(Serialize)]
struct ExtrasOut<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    custom_data: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    edited_at_ms: Option<TimestampMs>,
    #[serde(skip_serializing_if = "is_zero")]
    edit_count: u32,
    #[serde(skip_serializing_if = "<[Reaction]>::is_empty")]
    reactions: &'a [Reaction],
    #[serde(skip_serializing_if = "Option::is_none")]
    pinned: Option<&'a Pin>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply_preview: Option<&'a ReplyPreview>,
    #[serde(skip_serializing_if = "Option::is_none")]
    forwarded_from: Option<&'a Origin>,
    #[serde(skip_serializing_if = "Option::is_none")]
    thread: Option<&'a ThreadDigest>,
}

/// `extras` read back.
#[derive(Deserialize)]
struct ExtrasIn {
    #[serde(default)]
    custom_data: String,
    #[serde(default)]
    edited_at_ms: Option<TimestampMs>,
    #[serde(default)]
    edit_count: u32,
    #[serde(default)]
    reactions: Vec<Reaction>,
    #[serde(default)]
    pinned: Option<Pin>,
    #[serde(default)]
    reply_preview: Option<ReplyPreview>,
    #[serde(default)]
    forwarded_from: Option<Origin>,
    #[serde(default)]
    thread: Option<ThreadDigest>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// The `extras` of a message: NULL when it has none (most messages).
fn extras_json(message: &Message) -> Result<Option<String>, StoreError> {
    let plain = message.custom_data.is_empty()
        && message.edited_at_ms.is_none()
        && message.edit_count == 0
        && message.reactions.is_empty()
        && message.pinned.is_none()
        && message.reply_preview.is_none()
        && message.forwarded_from.is_none()
        && message.thread.is_none();
    if plain {
        return Ok(None);
    }
    let extras = ExtrasOut {
        custom_data: &message.custom_data,
        edited_at_ms: message.edited_at_ms,
        edit_count: message.edit_count,
        reactions: &message.reactions,
        pinned: message.pinned.as_ref(),
        reply_preview: message.reply_preview.as_ref(),
        forwarded_from: message.forwarded_from.as_ref(),
        thread: message.thread.as_ref(),
    };
    to_json(&extras, "message extras").map(Some)
}

/// Fills a message's optional fields from its stored `extras`.
trait WithExtras: Sized {
    fn with_extras(self, extras: Option<String>) -> Result<Self, StoreError>;
}

impl WithExtras for Message {
    fn with_extras(mut self, extras: Option<String>) -> Result<Message, StoreError> {
        if let Some(text) = extras {
            let extras: ExtrasIn = from_json(&text, "message extras")?;
            self.custom_data = extras.custom_data;
            self.edited_at_ms = extras.edited_at_ms;
            self.edit_count = extras.edit_count;
            self.reactions = extras.reactions;
            self.pinned = extras.pinned;
            self.reply_preview = extras.reply_preview;
            self.forwarded_from = extras.forwarded_from;
            self.thread = extras.thread;
        }
        Ok(self)
    }
}
