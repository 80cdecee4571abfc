//! Messages, sequences, idempotency keys and mentions in SQLite.
//!
//! A message is read back in one query with its pin and the preview of the message it
//! replies to (two `LEFT JOIN`s), then its reactions for the whole page in one more query
//! (`reactions::reactions_of`) and the digests of the threads started from its messages in
//! another (`threads::fill_threads`): never one query per message.

use std::collections::BTreeSet;

use community_protocol::{
    ChannelId, Message, MessageContent, Pin, Priority, ReplyPreview, Seq, UserId,
};
use rusqlite::{OptionalExtension, Row, params};
use tracing::trace_span;

use super::SqliteTx;
use super::convert::{enum_from, enum_text, id, in_row, signed, unsigned};
use crate::StoreError;
use crate::store::{HistoryRange, MessageEdit, MessageStore, NewMessage, StoreResult};

/// The columns [`message_from_row`] reads, from `messages m` joined with its pin `p` and
/// the message it replies to `r`.
const MESSAGE_SELECT: &str = "SELECT m.community_id, m.channel_id, m.seq, m.sender_id,
        m.idempotency_key, m.content, m.mentions, m.reply_to, m.priority, m.created_at_ms,
        m.custom_data, m.edited_at_ms, m.edit_count, m.forwarded_from,
        p.by_user, p.at_ms, r.sender_id, r.content, r.edit_count";

/// The joins behind [`MESSAGE_SELECT`].
const MESSAGE_JOINS: &str = "LEFT JOIN pins p ON p.channel_id = m.channel_id AND p.seq = m.seq
        LEFT JOIN messages r ON r.channel_id = m.channel_id AND r.seq = m.reply_to";

/// The `mentions.user_id` that stands for @everyone.
const EVERYONE: &str = "";

fn json<T: serde::de::DeserializeOwned>(text: &str) -> rusqlite::Result<T> {
    serde_json::from_str(text).map_err(|e| in_row(e.into()))
}

fn message_from_row(row: &Row<'_>) -> rusqlite::Result<Message> {
    let content: MessageContent = json(&row.get::<_, String>(5)?)?;
    let forwarded_from = match row.get::<_, Option<String>>(13)? {
        Some(origin) => Some(json(&origin)?),
        None => None,
    };
    let pinned = match row.get::<_, Option<String>>(14)? {
        Some(by) => Some(Pin {
            by: by.into(),
            at_ms: row.get(15)?,
        }),
        None => None,
    };
    let mut message = Message {
        community_id: id(row, 0)?,
        channel_id: id(row, 1)?,
        seq: unsigned(row.get(2)?),
        sender_id: id(row, 3)?,
        idempotency_key: row.get(4)?,
        mentions: json(&row.get::<_, String>(6)?)?,
        reply_to: row.get::<_, Option<i64>>(7)?.map(unsigned),
        priority: enum_from(&row.get::<_, String>(8)?).map_err(in_row)?,
        created_at_ms: row.get(9)?,
        custom_data: row.get(10)?,
        edited_at_ms: row.get(11)?,
        edit_count: u32::try_from(row.get::<_, i64>(12)?).unwrap_or(u32::MAX),
        forwarded_from,
        pinned,
        reactions: Vec::new(),
        reply_preview: None,
        content,
        thread: None,
    };
    if let (Some(reply_to), Some(sender)) = (message.reply_to, row.get::<_, Option<String>>(16)?) {
        // A recalled message shows no preview (its reply is part of what was recalled).
        if !message.content.is_recalled() {
            let content: MessageContent = json(&row.get::<_, String>(17)?)?;
            let edit_count = u32::try_from(row.get::<_, i64>(18)?).unwrap_or(u32::MAX);
            message.reply_preview = Some(preview(
                &message,
                reply_to,
                sender.into(),
                content,
                edit_count,
            ));
        }
    }
    Ok(message)
}

/// The preview of the original `seq` of `reply`'s channel, through the protocol's own
/// [`ReplyPreview::of`] (one definition of what a preview shows).
fn preview(
    reply: &Message,
    seq: Seq,
    sender_id: UserId,
    content: MessageContent,
    edit_count: u32,
) -> ReplyPreview {
    ReplyPreview::of(&Message {
        community_id: reply.community_id.clone(),
        channel_id: reply.channel_id.clone(),
        seq,
        sender_id,
        idempotency_key: String::new(),
        content,
        mentions: Default::default(),
        reply_to: None,
        priority: Priority::Normal,
        created_at_ms: 0,
        custom_data: String::new(),
        edited_at_ms: None,
        edit_count,
        reactions: Vec::new(),
        pinned: None,
        reply_preview: None,
        forwarded_from: None,
        thread: None,
    })
}

impl SqliteTx<'_> {
    /// Rows of `sql` (which selects [`MESSAGE_SELECT`]) with their reactions filled in.
    fn load_messages(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        channel_id: &ChannelId,
        viewer: Option<&UserId>,
    ) -> StoreResult<Vec<Message>> {
        let mut statement = self.conn.prepare_cached(sql)?;
        let rows = statement.query_map(params, message_from_row)?;
        let mut messages: Vec<Message> = rows.collect::<Result<_, _>>()?;
        self.fill_reactions(channel_id, &mut messages, viewer)?;
        self.fill_threads(channel_id, &mut messages)?;
        Ok(messages)
    }

    /// Replaces the mention indexes of a message (users and @everyone; groups) by
    /// `mentions`.
    fn index_mentions(
        &self,
        channel_id: &ChannelId,
        seq: i64,
        sender_id: &UserId,
        mentions: &community_protocol::Mentions,
    ) -> StoreResult<()> {
        for sql in [
            "DELETE FROM mentions WHERE channel_id = ?1 AND seq = ?2",
            "DELETE FROM group_mentions WHERE channel_id = ?1 AND seq = ?2",
        ] {
            self.conn
                .prepare_cached(sql)?
                .execute(params![channel_id.as_str(), seq])?;
        }
        let mut mentioned: BTreeSet<&str> = mentions.users.iter().map(UserId::as_str).collect();
        if mentions.everyone {
            mentioned.insert(EVERYONE);
        }
        let mut insert = self.conn.prepare_cached(
            "INSERT OR IGNORE INTO mentions (channel_id, user_id, seq, sender_id) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for user_id in mentioned {
            insert.execute(params![
                channel_id.as_str(),
                user_id,
                seq,
                sender_id.as_str()
            ])?;
        }
        let mut insert = self.conn.prepare_cached(
            "INSERT OR IGNORE INTO group_mentions (channel_id, group_id, seq, sender_id)
             VALUES (?1, ?2, ?3, ?4)",
        )?;
        for group_id in &mentions.groups {
            insert.execute(params![
                channel_id.as_str(),
                group_id.as_str(),
                seq,
                sender_id.as_str()
            ])?;
        }
        Ok(())
    }
}

impl MessageStore for SqliteTx<'_> {
    fn message_by_key(
        &self,
        sender_id: &UserId,
        idempotency_key: &str,
    ) -> StoreResult<Option<Message>> {
        let channel_id: Option<String> = self
            .conn
            .prepare_cached(
                "SELECT channel_id FROM idempotency WHERE sender_id = ?1 AND idempotency_key = ?2",
            )?
            .query_row(params![sender_id.as_str(), idempotency_key], |row| {
                row.get(0)
            })
            .optional()?;
        let Some(channel_id) = channel_id.map(ChannelId::from) else {
            return Ok(None);
        };
        let messages = self.load_messages(
            &format!(
                "{MESSAGE_SELECT} FROM idempotency i
                 JOIN messages m ON m.channel_id = i.channel_id AND m.seq = i.seq
                 {MESSAGE_JOINS}
                 WHERE i.sender_id = ?1 AND i.idempotency_key = ?2"
            ),
            params![sender_id.as_str(), idempotency_key],
            &channel_id,
            Some(sender_id),
        )?;
        Ok(messages.into_iter().next())
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
        let forwarded_from = new.forwarded_from.map(serde_json::to_string).transpose()?;
        self.conn
            .prepare_cached(
                "INSERT INTO messages (channel_id, seq, community_id, sender_id, idempotency_key, content,
                        mentions, reply_to, priority, created_at_ms, custom_data, forwarded_from)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
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
                new.custom_data,
                forwarded_from,
            ])?;
        if new.sender_id.as_str().is_empty() {
            // Written by the server: no key to resend with, and unread for nobody.
            self.conn
                .prepare_cached(
                    "INSERT OR IGNORE INTO uncounted (channel_id, seq, sender_id) VALUES (?1, ?2, '')",
                )?
                .execute(params![new.channel_id.as_str(), seq])?;
        } else {
            self.conn
                .prepare_cached(
                    "INSERT INTO idempotency (sender_id, idempotency_key, channel_id, seq) VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![new.sender_id.as_str(), new.idempotency_key, new.channel_id.as_str(), seq])?;
        }
        self.index_mentions(new.channel_id, seq, new.sender_id, new.mentions)?;
        let mut message = Message {
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
            custom_data: new.custom_data.to_owned(),
            edited_at_ms: None,
            edit_count: 0,
            reactions: Vec::new(),
            pinned: None,
            reply_preview: None,
            forwarded_from: new.forwarded_from.cloned(),
            thread: None,
        };
        if let Some(reply_to) = new.reply_to {
            message.reply_preview = self
                .message(new.channel_id, reply_to, None)?
                .map(|original| ReplyPreview::of(&original));
        }
        Ok(message)
    }

    fn message(
        &self,
        channel_id: &ChannelId,
        seq: Seq,
        viewer: Option<&UserId>,
    ) -> StoreResult<Option<Message>> {
        let messages = self.load_messages(
            &format!("{MESSAGE_SELECT} FROM messages m {MESSAGE_JOINS} WHERE m.channel_id = ?1 AND m.seq = ?2"),
            params![channel_id.as_str(), signed(seq)],
            channel_id,
            viewer,
        )?;
        Ok(messages.into_iter().next())
    }

    fn messages(
        &self,
        channel_id: &ChannelId,
        range: HistoryRange,
        viewer: Option<&UserId>,
    ) -> StoreResult<(Vec<Message>, bool)> {
        let order = if range.newest { "DESC" } else { "ASC" };
        let after = range.after.map_or(0, signed);
        let before = range.before.map_or(i64::MAX, signed);
        let fetch = i64::from(range.limit) + 1;
        let mut messages = self.load_messages(
            &format!(
                "{MESSAGE_SELECT} FROM messages m {MESSAGE_JOINS}
                 WHERE m.channel_id = ?1 AND m.seq > ?2 AND m.seq < ?3
                 ORDER BY m.seq {order} LIMIT ?4"
            ),
            params![channel_id.as_str(), after, before, fetch],
            channel_id,
            viewer,
        )?;
        let has_more = messages.len() > range.limit as usize;
        messages.truncate(range.limit as usize);
        if range.newest {
            messages.reverse();
        }
        Ok((messages, has_more))
    }

    fn pinned_messages(
        &self,
        channel_id: &ChannelId,
        viewer: Option<&UserId>,
    ) -> StoreResult<Vec<Message>> {
        self.load_messages(
            &format!(
                "{MESSAGE_SELECT} FROM pins q JOIN messages m ON m.channel_id = q.channel_id AND m.seq = q.seq
                 {MESSAGE_JOINS}
                 WHERE q.channel_id = ?1 ORDER BY q.at_ms DESC, q.seq DESC"
            ),
            params![channel_id.as_str()],
            channel_id,
            viewer,
        )
    }

    fn edit_message(&self, edit: &MessageEdit<'_>) -> StoreResult<()> {
        let seq = signed(edit.seq);
        self.conn
            .prepare_cached(
                "UPDATE messages SET content = ?3, mentions = ?4, custom_data = ?5, edited_at_ms = ?6,
                        edit_count = ?7
                 WHERE channel_id = ?1 AND seq = ?2",
            )?
            .execute(params![
                edit.channel_id.as_str(),
                seq,
                serde_json::to_string(edit.content)?,
                serde_json::to_string(edit.mentions)?,
                edit.custom_data,
                edit.edited_at_ms,
                edit.edit_count,
            ])?;
        self.index_mentions(edit.channel_id, seq, edit.sender_id, edit.mentions)
    }

    fn recall_message(
        &self,
        channel_id: &ChannelId,
        seq: Seq,
        tombstone: &MessageContent,
    ) -> StoreResult<()> {
        let seq = signed(seq);
        let no_mentions = serde_json::to_string(&community_protocol::Mentions::default())?;
        self.conn
            .prepare_cached(
                "UPDATE messages SET content = ?3, mentions = ?4, custom_data = '', forwarded_from = NULL
                 WHERE channel_id = ?1 AND seq = ?2",
            )?
            .execute(params![
                channel_id.as_str(),
                seq,
                serde_json::to_string(tombstone)?,
                no_mentions,
            ])?;
        for sql in [
            "DELETE FROM mentions WHERE channel_id = ?1 AND seq = ?2",
            "DELETE FROM group_mentions WHERE channel_id = ?1 AND seq = ?2",
            "DELETE FROM reactions WHERE channel_id = ?1 AND seq = ?2",
            "DELETE FROM pins WHERE channel_id = ?1 AND seq = ?2",
            "INSERT OR IGNORE INTO uncounted (channel_id, seq, sender_id)
                SELECT channel_id, seq, sender_id FROM messages WHERE channel_id = ?1 AND seq = ?2",
        ] {
            self.conn
                .prepare_cached(sql)?
                .execute(params![channel_id.as_str(), seq])?;
        }
        Ok(())
    }
}
