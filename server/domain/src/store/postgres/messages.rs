//! Messages, sequences, idempotency keys and mentions in PostgreSQL.
//!
//! A message is read back in one query with its pin and the preview of the message it
//! replies to (two `LEFT JOIN`s), then its reactions for the whole page in one more query
//! (`reactions::fill_reactions`) and the digests of the threads started from its messages in
//! another (`threads::fill_threads`): never one query per message.
//!
//! Across nodes: the next sequence is taken with `UPDATE channels SET last_seq =
//! last_seq + 1 … RETURNING`, whose row lock queues concurrent senders of one channel
//! until the holder commits (gap-free: a rollback gives the number back). In a write
//! transaction [`MessageStore::message_by_key`] first takes a transaction-scoped advisory
//! lock on the (sender, key) pair, so a resend of the same key on another node waits for
//! the first send to commit and then finds its message (`READ COMMITTED`: each statement
//! sees what committed before it began).

use std::collections::BTreeSet;

use community_protocol::{
    ChannelId, Mentions, Message, MessageContent, Pin, Priority, ReplyPreview, Seq, UserId,
};
use postgres::Row;
use postgres::types::ToSql;
use tracing::trace_span;

use super::PgTx;
use super::convert::{enum_from, enum_text, json, signed, unsigned};
use crate::StoreError;
use crate::store::{HistoryRange, MessageEdit, MessageStore, NewMessage, StoreResult};

/// The columns [`message_from_row`] reads, from `messages m` joined with its pin `p` and
/// the message it replies to `r` (the joins of [`message_joins`]).
macro_rules! message_select {
    () => {
        "SELECT m.community_id, m.channel_id, m.seq, m.sender_id, m.idempotency_key,
                m.content, m.mentions::text, m.reply_to, m.priority, m.created_at_ms,
                m.custom_data, m.edited_at_ms, m.edit_count, m.forwarded_from::text,
                p.by_user, p.at_ms, r.sender_id, r.content, r.edit_count"
    };
}

/// The joins behind [`message_select`].
macro_rules! message_joins {
    () => {
        " LEFT JOIN pins p ON p.channel_id = m.channel_id AND p.seq = m.seq
          LEFT JOIN messages r ON r.channel_id = m.channel_id AND r.seq = m.reply_to "
    };
}

/// The `mentions.user_id` that stands for @everyone.
const EVERYONE: &str = "";

fn message_from_row(row: &Row) -> Result<Message, StoreError> {
    let content: MessageContent = json(row.get::<_, &str>(5))?;
    let forwarded_from = match row.get::<_, Option<&str>>(13) {
        Some(origin) => Some(json(origin)?),
        None => None,
    };
    let pinned = row.get::<_, Option<String>>(14).map(|by| Pin {
        by: by.into(),
        at_ms: row.get(15),
    });
    let mut message = Message {
        community_id: row.get::<_, String>(0).into(),
        channel_id: row.get::<_, String>(1).into(),
        seq: unsigned(row.get(2)),
        sender_id: row.get::<_, String>(3).into(),
        idempotency_key: row.get(4),
        mentions: json(row.get::<_, &str>(6))?,
        reply_to: row.get::<_, Option<i64>>(7).map(unsigned),
        priority: enum_from(row.get::<_, &str>(8))?,
        created_at_ms: row.get(9),
        custom_data: row.get(10),
        edited_at_ms: row.get(11),
        edit_count: u32::try_from(row.get::<_, i64>(12)).unwrap_or(u32::MAX),
        forwarded_from,
        pinned,
        reactions: Vec::new(),
        reply_preview: None,
        content,
        thread: None,
    };
    if let (Some(reply_to), Some(sender)) = (message.reply_to, row.get::<_, Option<String>>(16)) {
        // A recalled message shows no preview (its reply is part of what was recalled).
        if !message.content.is_recalled() {
            let content: MessageContent = json(row.get::<_, &str>(17))?;
            let edit_count = u32::try_from(row.get::<_, i64>(18)).unwrap_or(u32::MAX);
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

impl PgTx<'_> {
    /// Rows of `sql` (which selects [`message_select`]) with their reactions filled in.
    fn load_messages(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
        channel_id: &ChannelId,
        viewer: Option<&UserId>,
    ) -> StoreResult<Vec<Message>> {
        let mut messages = self
            .query(sql, params)?
            .iter()
            .map(message_from_row)
            .collect::<Result<Vec<_>, _>>()?;
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
        mentions: &Mentions,
    ) -> StoreResult<()> {
        for sql in [
            "DELETE FROM mentions WHERE channel_id = $1 AND seq = $2",
            "DELETE FROM group_mentions WHERE channel_id = $1 AND seq = $2",
        ] {
            self.execute(sql, &[&channel_id.as_str(), &seq])?;
        }
        let mut mentioned: BTreeSet<&str> = mentions.users.iter().map(UserId::as_str).collect();
        if mentions.everyone {
            mentioned.insert(EVERYONE);
        }
        for user_id in mentioned {
            self.execute(
                "INSERT INTO mentions (channel_id, user_id, seq, sender_id) VALUES ($1, $2, $3, $4)
                 ON CONFLICT DO NOTHING",
                &[&channel_id.as_str(), &user_id, &seq, &sender_id.as_str()],
            )?;
        }
        for group_id in &mentions.groups {
            self.execute(
                "INSERT INTO group_mentions (channel_id, group_id, seq, sender_id)
                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                &[
                    &channel_id.as_str(),
                    &group_id.as_str(),
                    &seq,
                    &sender_id.as_str(),
                ],
            )?;
        }
        Ok(())
    }
}

impl MessageStore for PgTx<'_> {
    fn message_by_key(
        &self,
        sender_id: &UserId,
        idempotency_key: &str,
    ) -> StoreResult<Option<Message>> {
        if self.is_write() {
            // Held until commit: the same key sent through another node waits here, then
            // finds the message the first send stored.
            self.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended($1::text || '/' || $2::text, 0))",
                &[&sender_id.as_str(), &idempotency_key],
            )?;
        }
        let Some(row) = self.query_opt(
            "SELECT channel_id FROM idempotency WHERE sender_id = $1 AND idempotency_key = $2",
            &[&sender_id.as_str(), &idempotency_key],
        )?
        else {
            return Ok(None);
        };
        let channel_id = ChannelId::from(row.get::<_, String>(0));
        let messages = self.load_messages(
            concat!(
                message_select!(),
                " FROM idempotency i
                 JOIN messages m ON m.channel_id = i.channel_id AND m.seq = i.seq",
                message_joins!(),
                "WHERE i.sender_id = $1 AND i.idempotency_key = $2"
            ),
            &[&sender_id.as_str(), &idempotency_key],
            &channel_id,
            Some(sender_id),
        )?;
        Ok(messages.into_iter().next())
    }

    fn append_message(&self, new: &NewMessage<'_>) -> StoreResult<Message> {
        let _span = trace_span!("append_message", channel_id = new.channel_id.as_str()).entered();
        // The row lock of this UPDATE queues the other senders of the channel (on every
        // node) until this transaction ends: sequences are gap-free and never reused.
        let seq: i64 = self
            .query_opt(
                "UPDATE channels
                 SET last_seq = last_seq + 1, last_activity_ms = GREATEST(last_activity_ms, $2)
                 WHERE channel_id = $1 RETURNING last_seq",
                &[&new.channel_id.as_str(), &new.created_at_ms],
            )?
            .ok_or_else(|| StoreError::Corrupt(format!("channel {} vanished", new.channel_id)))?
            .get(0);
        let forwarded_from = new.forwarded_from.map(serde_json::to_string).transpose()?;
        self.execute(
            "INSERT INTO messages (channel_id, seq, community_id, sender_id, idempotency_key,
                    content, mentions, reply_to, priority, created_at_ms, custom_data,
                    forwarded_from)
             VALUES ($1, $2, $3, $4, $5, $6, $7::text::jsonb, $8, $9, $10, $11,
                     $12::text::jsonb)",
            &[
                &new.channel_id.as_str(),
                &seq,
                &new.community_id.as_str(),
                &new.sender_id.as_str(),
                &new.idempotency_key,
                &serde_json::to_string(new.content)?,
                &serde_json::to_string(new.mentions)?,
                &new.reply_to.map(signed),
                &enum_text(&new.priority)?,
                &new.created_at_ms,
                &new.custom_data,
                &forwarded_from,
            ],
        )?;
        if new.sender_id.as_str().is_empty() {
            // Written by the server: no key to resend with, and unread for nobody.
            self.execute(
                "INSERT INTO uncounted (channel_id, seq, sender_id) VALUES ($1, $2, '')
                 ON CONFLICT DO NOTHING",
                &[&new.channel_id.as_str(), &seq],
            )?;
        } else {
            self.execute(
                "INSERT INTO idempotency (sender_id, idempotency_key, channel_id, seq)
                 VALUES ($1, $2, $3, $4)",
                &[
                    &new.sender_id.as_str(),
                    &new.idempotency_key,
                    &new.channel_id.as_str(),
                    &seq,
                ],
            )?;
        }
        self.index_mentions(new.channel_id, seq, new.sender_id, new.mentions)?;
        self.reindex(new.channel_id, seq)?;
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
            concat!(
                message_select!(),
                " FROM messages m",
                message_joins!(),
                "WHERE m.channel_id = $1 AND m.seq = $2"
            ),
            &[&channel_id.as_str(), &signed(seq)],
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
        let after = range.after.map_or(0, signed);
        let before = range.before.map_or(i64::MAX, signed);
        let fetch = i64::from(range.limit) + 1;
        let sql = if range.newest {
            concat!(
                message_select!(),
                " FROM messages m",
                message_joins!(),
                "WHERE m.channel_id = $1 AND m.seq > $2 AND m.seq < $3
                 ORDER BY m.seq DESC LIMIT $4"
            )
        } else {
            concat!(
                message_select!(),
                " FROM messages m",
                message_joins!(),
                "WHERE m.channel_id = $1 AND m.seq > $2 AND m.seq < $3
                 ORDER BY m.seq ASC LIMIT $4"
            )
        };
        let mut messages = self.load_messages(
            sql,
            &[&channel_id.as_str(), &after, &before, &fetch],
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
            concat!(
                message_select!(),
                " FROM pins q JOIN messages m ON m.channel_id = q.channel_id AND m.seq = q.seq",
                message_joins!(),
                "WHERE q.channel_id = $1 ORDER BY q.at_ms DESC, q.seq DESC"
            ),
            &[&channel_id.as_str()],
            channel_id,
            viewer,
        )
    }

    fn edit_message(&self, edit: &MessageEdit<'_>) -> StoreResult<()> {
        let seq = signed(edit.seq);
        self.execute(
            "UPDATE messages SET content = $3, mentions = $4::text::jsonb, custom_data = $5,
                    edited_at_ms = $6, edit_count = $7
             WHERE channel_id = $1 AND seq = $2",
            &[
                &edit.channel_id.as_str(),
                &seq,
                &serde_json::to_string(edit.content)?,
                &serde_json::to_string(edit.mentions)?,
                &edit.custom_data,
                &edit.edited_at_ms,
                &i64::from(edit.edit_count),
            ],
        )?;
        self.index_mentions(edit.channel_id, seq, edit.sender_id, edit.mentions)?;
        self.reindex(edit.channel_id, seq)
    }

    fn recall_message(
        &self,
        channel_id: &ChannelId,
        seq: Seq,
        tombstone: &MessageContent,
    ) -> StoreResult<()> {
        let seq = signed(seq);
        let no_mentions = serde_json::to_string(&Mentions::default())?;
        self.execute(
            "UPDATE messages SET content = $3, mentions = $4::text::jsonb, custom_data = '',
                    forwarded_from = NULL
             WHERE channel_id = $1 AND seq = $2",
            &[
                &channel_id.as_str(),
                &seq,
                &serde_json::to_string(tombstone)?,
                &no_mentions,
            ],
        )?;
        for sql in [
            "DELETE FROM mentions WHERE channel_id = $1 AND seq = $2",
            "DELETE FROM group_mentions WHERE channel_id = $1 AND seq = $2",
            "DELETE FROM reactions WHERE channel_id = $1 AND seq = $2",
            "DELETE FROM pins WHERE channel_id = $1 AND seq = $2",
            "INSERT INTO uncounted (channel_id, seq, sender_id)
                SELECT channel_id, seq, sender_id FROM messages WHERE channel_id = $1 AND seq = $2
                ON CONFLICT DO NOTHING",
        ] {
            self.execute(sql, &[&channel_id.as_str(), &seq])?;
        }
        self.reindex(channel_id, seq)
    }
}
