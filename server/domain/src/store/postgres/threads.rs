//! Threads, their members and their digests in PostgreSQL.
//!
//! A thread is a `channels` row with a `parent_channel_id` (its messages and counters are
//! the channel tables') plus a `threads` row. A thread is read in one query: its channel
//! row, its own row and its member count. The digests of a page of messages are read in
//! one more query (`fill_threads`), never one per message.

use std::collections::HashMap;

use community_protocol::{
    ChannelId, CommunityId, DigestLast, Message, MessageContent, Seq, ThreadDigest, ThreadInfo,
    TimestampMs, UserId,
};
use postgres::Row;
use postgres::types::ToSql;

use super::PgTx;
use super::convert::{json, signed, unsigned};

use crate::store::{NewThread, ReadStore, StoreResult, ThreadRecord, ThreadStore};

/// The columns [`thread_from_row`] reads (`threads t JOIN channels c`).
macro_rules! thread_select {
    () => {
        "SELECT c.community_id, t.thread_id, t.parent_channel_id, t.parent_seq, c.name,
                t.created_by, c.created_at_ms, t.archived, t.locked, t.auto_archive_ms,
                c.last_activity_ms, c.last_seq,
                (SELECT COUNT(*) FROM thread_members m WHERE m.thread_id = t.thread_id),
                c.change_seq, t.participant_count, t.digest_seq, t.digest_sender_id,
                t.digest_text, t.digest_at_ms
         FROM threads t JOIN channels c ON c.channel_id = t.thread_id "
    };
}

fn thread_from_row(row: &Row) -> ThreadRecord {
    let digest_seq = unsigned(row.get(15));
    let last = (digest_seq > 0).then(|| DigestLast {
        seq: digest_seq,
        sender_id: row.get::<_, String>(16).into(),
        text: row.get(17),
        at_ms: row.get(18),
    });
    ThreadRecord {
        info: ThreadInfo {
            community_id: row.get::<_, String>(0).into(),
            thread_id: row.get::<_, String>(1).into(),
            parent_channel_id: row.get::<_, String>(2).into(),
            parent_seq: row.get::<_, Option<i64>>(3).map(unsigned),
            name: row.get(4),
            created_by: row.get::<_, String>(5).into(),
            created_at_ms: row.get(6),
            archived: row.get(7),
            locked: row.get(8),
            auto_archive_ms: unsigned(row.get(9)),
            last_activity_ms: row.get(10),
            message_count: unsigned(row.get(11)),
            member_count: unsigned(row.get(12)),
        },
        change_seq: unsigned(row.get(13)),
        participant_count: unsigned(row.get(14)),
        last,
    }
}

impl PgTx<'_> {
    fn threads_where(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> StoreResult<Vec<ThreadRecord>> {
        Ok(self
            .query(sql, params)?
            .iter()
            .map(thread_from_row)
            .collect())
    }

    /// Fills in the digests of the threads started from `messages` (one query).
    pub(super) fn fill_threads(
        &self,
        channel_id: &ChannelId,
        messages: &mut [Message],
    ) -> StoreResult<()> {
        if messages.is_empty() {
            return Ok(());
        }
        let seqs: Vec<i64> = messages.iter().map(|m| signed(m.seq)).collect();
        let mut by_seq: HashMap<Seq, ThreadDigest> = self
            .threads_where(
                concat!(
                    thread_select!(),
                    "WHERE t.parent_channel_id = $1 AND t.parent_seq = ANY($2)"
                ),
                &[&channel_id.as_str(), &seqs],
            )?
            .into_iter()
            .filter_map(|thread| Some((thread.info.parent_seq?, thread.digest())))
            .collect();
        for message in messages {
            message.thread = by_seq.remove(&message.seq);
        }
        Ok(())
    }

    fn set_digest_last(&self, thread_id: &ChannelId, last: Option<&DigestLast>) -> StoreResult<()> {
        self.execute(
            "UPDATE threads SET digest_seq = $2, digest_sender_id = $3, digest_text = $4,
                    digest_at_ms = $5
             WHERE thread_id = $1",
            &[
                &thread_id.as_str(),
                &last.map_or(0, |l| signed(l.seq)),
                &last.map_or("", |l| l.sender_id.as_str()),
                &last.map_or("", |l| l.text.as_str()),
                &last.map_or(0, |l| l.at_ms),
            ],
        )?;
        Ok(())
    }
}

impl ThreadStore for PgTx<'_> {
    fn thread(
        &self,
        community_id: &CommunityId,
        thread_id: &ChannelId,
    ) -> StoreResult<Option<ThreadRecord>> {
        Ok(self
            .threads_where(
                concat!(
                    thread_select!(),
                    "WHERE t.thread_id = $2 AND c.community_id = $1"
                ),
                &[&community_id.as_str(), &thread_id.as_str()],
            )?
            .into_iter()
            .next())
    }

    fn thread_of_message(
        &self,
        channel_id: &ChannelId,
        seq: Seq,
    ) -> StoreResult<Option<ChannelId>> {
        Ok(self
            .query_opt(
                "SELECT thread_id FROM threads WHERE parent_channel_id = $1 AND parent_seq = $2",
                &[&channel_id.as_str(), &signed(seq)],
            )?
            .map(|row| ChannelId::from(row.get::<_, String>(0))))
    }

    fn insert_thread(&self, thread: &NewThread<'_>) -> StoreResult<()> {
        self.execute(
            "INSERT INTO channels (community_id, channel_id, name, introduction, notice, custom,
                    kind, category_id, position, private, is_default, created_at_ms, last_seq,
                    last_activity_ms, change_seq, mute_all, follows_category,
                    parent_channel_id)
             VALUES ($1, $2, $3, '', '', '', 'text', NULL, 0, FALSE, FALSE, $4, 0, $4, 0,
                     FALSE, FALSE, $5)",
            &[
                &thread.community_id.as_str(),
                &thread.thread_id.as_str(),
                &thread.name,
                &thread.created_at_ms,
                &thread.parent_channel_id.as_str(),
            ],
        )?;
        self.execute(
            "INSERT INTO threads (thread_id, parent_channel_id, parent_seq, created_by,
                    auto_archive_ms)
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &thread.thread_id.as_str(),
                &thread.parent_channel_id.as_str(),
                &thread.parent_seq.map(signed),
                &thread.created_by.as_str(),
                &signed(thread.auto_archive_ms),
            ],
        )?;
        Ok(())
    }

    fn update_thread(&self, info: &ThreadInfo) -> StoreResult<()> {
        self.execute(
            "UPDATE channels SET name = $2, last_activity_ms = $3
             WHERE channel_id = $1 AND parent_channel_id IS NOT NULL",
            &[&info.thread_id.as_str(), &info.name, &info.last_activity_ms],
        )?;
        self.execute(
            "UPDATE threads SET archived = $2, locked = $3, auto_archive_ms = $4
             WHERE thread_id = $1",
            &[
                &info.thread_id.as_str(),
                &info.archived,
                &info.locked,
                &signed(info.auto_archive_ms),
            ],
        )?;
        Ok(())
    }

    fn delete_thread(&self, thread_id: &ChannelId) -> StoreResult<bool> {
        // Foreign keys cascade to its row in `threads`, its members, messages, keys,
        // mentions, changes, reactions, pins and read positions.
        let deleted = self.execute(
            "DELETE FROM channels WHERE channel_id = $1 AND parent_channel_id IS NOT NULL",
            &[&thread_id.as_str()],
        )?;
        Ok(deleted > 0)
    }

    fn note_thread_message(&self, thread_id: &ChannelId, message: &Message) -> StoreResult<bool> {
        // A sender's first message makes them a participant (server-written messages have
        // no sender). One statement for the participant and the newest message.
        let recalled = message.content.is_recalled();
        let new_sender = self
            .query_opt(
                "UPDATE threads SET
                        participant_count = participant_count + (($2::text <> '' AND NOT EXISTS (
                            SELECT 1 FROM messages
                             WHERE channel_id = $1 AND sender_id = $2::text AND seq < $3))::int),
                        digest_seq = CASE WHEN $6 THEN digest_seq ELSE $3 END,
                        digest_sender_id = CASE WHEN $6 THEN digest_sender_id ELSE $2::text END,
                        digest_text = CASE WHEN $6 THEN digest_text ELSE $4::text END,
                        digest_at_ms = CASE WHEN $6 THEN digest_at_ms ELSE $5 END
                 WHERE thread_id = $1
                 RETURNING ($2::text <> '' AND NOT EXISTS (
                            SELECT 1 FROM messages
                             WHERE channel_id = $1 AND sender_id = $2::text AND seq < $3))",
                &[
                    &thread_id.as_str(),
                    &message.sender_id.as_str(),
                    &signed(message.seq),
                    &message.content.preview_text(),
                    &message.created_at_ms,
                    &recalled,
                ],
            )?
            .is_some_and(|row| row.get::<_, bool>(0));
        Ok(new_sender)
    }

    fn refresh_thread_last(&self, thread_id: &ChannelId) -> StoreResult<()> {
        // Newest first; recalled messages are passed over until one that is not recalled
        // (read in small pages: recalls at the end are rare).
        let mut last = None;
        let mut before = i64::MAX;
        'pages: loop {
            let rows = self.query(
                "SELECT seq, sender_id, content, created_at_ms FROM messages
                 WHERE channel_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT 16",
                &[&thread_id.as_str(), &before],
            )?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                before = row.get(0);
                let content: MessageContent = json(row.get::<_, &str>(2))?;
                if content.is_recalled() {
                    continue;
                }
                last = Some(DigestLast {
                    seq: unsigned(row.get(0)),
                    sender_id: row.get::<_, String>(1).into(),
                    text: content.preview_text(),
                    at_ms: row.get(3),
                });
                break 'pages;
            }
        }
        self.set_digest_last(thread_id, last.as_ref())
    }

    fn active_thread_count(&self, channel_id: &ChannelId, now: TimestampMs) -> StoreResult<u64> {
        let count: i64 = self
            .query_one(
                "SELECT COUNT(*) FROM channels c JOIN threads t ON t.thread_id = c.channel_id
                 WHERE c.parent_channel_id = $1 AND NOT t.archived
                   AND c.last_activity_ms + t.auto_archive_ms > $2",
                &[&channel_id.as_str(), &now],
            )?
            .get(0);
        Ok(unsigned(count))
    }

    fn threads_page(
        &self,
        channel_id: &ChannelId,
        archived: bool,
        now: TimestampMs,
        after: Option<(TimestampMs, &str)>,
        limit: u32,
    ) -> StoreResult<Vec<ThreadRecord>> {
        let (at, after_id) = after.unzip();
        self.threads_where(
            concat!(
                thread_select!(),
                "WHERE c.parent_channel_id = $1
                   AND (t.archived OR c.last_activity_ms + t.auto_archive_ms <= $2) = $3
                   AND ($4::bigint IS NULL OR c.last_activity_ms < $4::bigint
                        OR (c.last_activity_ms = $4::bigint AND t.thread_id < $5::text))
                 ORDER BY c.last_activity_ms DESC, t.thread_id DESC LIMIT $6"
            ),
            &[
                &channel_id.as_str(),
                &now,
                &archived,
                &at,
                &after_id,
                &i64::from(limit),
            ],
        )
    }

    fn joined_threads(
        &self,
        community_id: &CommunityId,
        user_id: &UserId,
        after: Option<(TimestampMs, &str)>,
        limit: Option<u32>,
    ) -> StoreResult<Vec<ThreadRecord>> {
        let (at, after_id) = after.unzip();
        self.threads_where(
            concat!(
                thread_select!(),
                "JOIN thread_members j ON j.thread_id = t.thread_id AND j.user_id = $2
                 WHERE c.community_id = $1
                   AND ($3::bigint IS NULL OR c.last_activity_ms < $3::bigint
                        OR (c.last_activity_ms = $3::bigint AND t.thread_id < $4::text))
                 ORDER BY c.last_activity_ms DESC, t.thread_id DESC LIMIT $5::bigint"
            ),
            &[
                &community_id.as_str(),
                &user_id.as_str(),
                &at,
                &after_id,
                &limit.map(i64::from),
            ],
        )
    }

    fn thread_member_ids(&self, thread_id: &ChannelId) -> StoreResult<Vec<UserId>> {
        self.ids(
            "SELECT user_id FROM thread_members WHERE thread_id = $1 ORDER BY user_id",
            thread_id.as_str(),
        )
    }

    fn is_thread_member(&self, thread_id: &ChannelId, user_id: &UserId) -> StoreResult<bool> {
        Ok(self
            .query_opt(
                "SELECT 1 FROM thread_members WHERE thread_id = $1 AND user_id = $2",
                &[&thread_id.as_str(), &user_id.as_str()],
            )?
            .is_some())
    }

    fn join_thread(
        &self,
        thread_id: &ChannelId,
        user_id: &UserId,
        joined_at_ms: TimestampMs,
        read_seq: Seq,
    ) -> StoreResult<bool> {
        let joined = self.execute(
            "INSERT INTO thread_members (thread_id, user_id, joined_at_ms) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
            &[&thread_id.as_str(), &user_id.as_str(), &joined_at_ms],
        )?;
        if joined == 0 {
            return Ok(false);
        }
        self.set_read_seq(user_id, thread_id, read_seq)?;
        Ok(true)
    }

    fn leave_thread(&self, thread_id: &ChannelId, user_id: &UserId) -> StoreResult<bool> {
        let left = self.execute(
            "DELETE FROM thread_members WHERE thread_id = $1 AND user_id = $2",
            &[&thread_id.as_str(), &user_id.as_str()],
        )?;
        if left == 0 {
            return Ok(false);
        }
        self.forget_reading(user_id, thread_id)?;
        Ok(true)
    }

    fn leave_threads_in(
        &self,
        channel_id: &ChannelId,
        user_id: &UserId,
    ) -> StoreResult<Vec<ChannelId>> {
        let args: [&(dyn ToSql + Sync); 2] = [&channel_id.as_str(), &user_id.as_str()];
        let joined: Vec<ChannelId> = self
            .query(
                "SELECT j.thread_id FROM thread_members j
                   JOIN channels c ON c.channel_id = j.thread_id
                  WHERE j.user_id = $2 AND c.parent_channel_id = $1
                  ORDER BY j.thread_id",
                &args,
            )?
            .iter()
            .map(|row| ChannelId::from(row.get::<_, String>(0)))
            .collect();
        for sql in [
            "DELETE FROM thread_members WHERE user_id = $2
                AND thread_id IN (SELECT channel_id FROM channels WHERE parent_channel_id = $1)",
            "DELETE FROM read_positions WHERE user_id = $2
                AND channel_id IN (SELECT channel_id FROM channels WHERE parent_channel_id = $1)",
            "DELETE FROM hidden WHERE user_id = $2
                AND channel_id IN (SELECT channel_id FROM channels WHERE parent_channel_id = $1)",
        ] {
            self.execute(sql, &args)?;
        }
        Ok(joined)
    }
}
