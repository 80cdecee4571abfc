//! Threads, their members and their digests in SQLite.
//!
//! A thread is a `channels` row with a `parent_channel_id` (its messages and counters are
//! the channel tables') plus a `threads` row. A thread is read in one query: its channel
//! row, its own row and its member count (a primary-key range count). The digests of a
//! page of messages are read in one more query (`fill_threads`), never one per message.

use std::collections::HashMap;

use community_protocol::{
    ChannelId, CommunityId, DigestLast, Message, MessageContent, Seq, ThreadDigest, ThreadInfo,
    TimestampMs, UserId,
};
use rusqlite::{OptionalExtension, Row, params};

use super::SqliteTx;
use super::convert::{id, in_row, signed, unsigned};
use crate::store::{NewThread, ReadStore, StoreResult, ThreadRecord, ThreadStore};

/// The columns [`thread_from_row`] reads, from `threads t` joined with its channel row `c`.
const THREAD_SELECT: &str = "SELECT c.community_id, t.thread_id, t.parent_channel_id,
        t.parent_seq, c.name, t.created_by, c.created_at_ms, t.archived, t.locked,
        t.auto_archive_ms, c.last_activity_ms, c.last_seq,
        (SELECT COUNT(*) FROM thread_members m WHERE m.thread_id = t.thread_id),
        c.change_seq, t.participant_count, t.digest_seq, t.digest_sender_id, t.digest_text,
        t.digest_at_ms
     FROM threads t JOIN channels c ON c.channel_id = t.thread_id";

/// Keyset condition of a page, newest activity first: ?a the last activity and ?b the id
/// of the previous page's last thread (both NULL for the first page).
fn after_clause(at: usize, id: usize) -> String {
    format!(
        "(?{at} IS NULL OR c.last_activity_ms < ?{at}
          OR (c.last_activity_ms = ?{at} AND t.thread_id < ?{id}))"
    )
}

fn thread_from_row(row: &Row<'_>) -> rusqlite::Result<ThreadRecord> {
    let digest_seq = unsigned(row.get(15)?);
    let last = (digest_seq > 0)
        .then(|| -> rusqlite::Result<DigestLast> {
            Ok(DigestLast {
                seq: digest_seq,
                sender_id: id(row, 16)?,
                text: row.get(17)?,
                at_ms: row.get(18)?,
            })
        })
        .transpose()?;
    Ok(ThreadRecord {
        info: ThreadInfo {
            community_id: id(row, 0)?,
            thread_id: id(row, 1)?,
            parent_channel_id: id(row, 2)?,
            parent_seq: row.get::<_, Option<i64>>(3)?.map(unsigned),
            name: row.get(4)?,
            created_by: id(row, 5)?,
            created_at_ms: row.get(6)?,
            archived: row.get(7)?,
            locked: row.get(8)?,
            auto_archive_ms: unsigned(row.get(9)?),
            last_activity_ms: row.get(10)?,
            message_count: unsigned(row.get(11)?),
            member_count: unsigned(row.get(12)?),
        },
        change_seq: unsigned(row.get(13)?),
        participant_count: unsigned(row.get(14)?),
        last,
    })
}

/// A thread's time, as a keyset position bound: NULL for the first page.
fn split_after(after: Option<(TimestampMs, &str)>) -> (Option<i64>, Option<&str>) {
    match after {
        Some((at, id)) => (Some(at), Some(id)),
        None => (None, None),
    }
}

impl SqliteTx<'_> {
    fn threads_where(
        &self,
        condition: &str,
        params: impl rusqlite::Params,
    ) -> StoreResult<Vec<ThreadRecord>> {
        let mut statement = self
            .conn
            .prepare_cached(&format!("{THREAD_SELECT} {condition}"))?;
        let rows = statement.query_map(params, thread_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Fills in the digest of every message of `messages` (all of `channel_id`) that a
    /// thread started from: one query for the page.
    pub(super) fn fill_threads(
        &self,
        channel_id: &ChannelId,
        messages: &mut [Message],
    ) -> StoreResult<()> {
        if messages.is_empty() {
            return Ok(());
        }
        let seqs = serde_json::to_string(&messages.iter().map(|m| m.seq).collect::<Vec<_>>())?;
        let mut by_seq: HashMap<Seq, ThreadDigest> = self
            .threads_where(
                "WHERE t.parent_channel_id = ?1
                   AND t.parent_seq IN (SELECT value FROM json_each(?2))",
                params![channel_id.as_str(), seqs],
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
        self.conn
            .prepare_cached(
                "UPDATE threads SET digest_seq = ?2, digest_sender_id = ?3, digest_text = ?4,
                        digest_at_ms = ?5
                 WHERE thread_id = ?1",
            )?
            .execute(params![
                thread_id.as_str(),
                last.map_or(0, |l| signed(l.seq)),
                last.map_or("", |l| l.sender_id.as_str()),
                last.map_or("", |l| l.text.as_str()),
                last.map_or(0, |l| l.at_ms),
            ])?;
        Ok(())
    }
}

impl ThreadStore for SqliteTx<'_> {
    fn thread(
        &self,
        community_id: &CommunityId,
        thread_id: &ChannelId,
    ) -> StoreResult<Option<ThreadRecord>> {
        Ok(self
            .threads_where(
                "WHERE t.thread_id = ?2 AND c.community_id = ?1",
                params![community_id.as_str(), thread_id.as_str()],
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
            .conn
            .prepare_cached(
                "SELECT thread_id FROM threads WHERE parent_channel_id = ?1 AND parent_seq = ?2",
            )?
            .query_row(params![channel_id.as_str(), signed(seq)], |row| id(row, 0))
            .optional()?)
    }

    fn insert_thread(&self, thread: &NewThread<'_>) -> StoreResult<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO channels (community_id, channel_id, name, introduction, notice, custom,
                        kind, category_id, position, private, is_default, created_at_ms, last_seq,
                        last_activity_ms, change_seq, mute_all, follows_category,
                        parent_channel_id)
                 VALUES (?1, ?2, ?3, '', '', '', 'text', NULL, 0, 0, 0, ?4, 0, ?4, 0, 0, 0, ?5)",
            )?
            .execute(params![
                thread.community_id.as_str(),
                thread.thread_id.as_str(),
                thread.name,
                thread.created_at_ms,
                thread.parent_channel_id.as_str(),
            ])?;
        self.conn
            .prepare_cached(
                "INSERT INTO threads (thread_id, parent_channel_id, parent_seq, created_by,
                        auto_archive_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                thread.thread_id.as_str(),
                thread.parent_channel_id.as_str(),
                thread.parent_seq.map(signed),
                thread.created_by.as_str(),
                signed(thread.auto_archive_ms),
            ])?;
        Ok(())
    }

    fn update_thread(&self, info: &ThreadInfo) -> StoreResult<()> {
        self.conn
            .prepare_cached(
                "UPDATE channels SET name = ?2, last_activity_ms = ?3
                 WHERE channel_id = ?1 AND parent_channel_id IS NOT NULL",
            )?
            .execute(params![
                info.thread_id.as_str(),
                info.name,
                info.last_activity_ms
            ])?;
        self.conn
            .prepare_cached(
                "UPDATE threads SET archived = ?2, locked = ?3, auto_archive_ms = ?4
                 WHERE thread_id = ?1",
            )?
            .execute(params![
                info.thread_id.as_str(),
                info.archived,
                info.locked,
                signed(info.auto_archive_ms),
            ])?;
        Ok(())
    }

    fn delete_thread(&self, thread_id: &ChannelId) -> StoreResult<bool> {
        // Foreign keys cascade to its row in `threads`, its members, messages, keys,
        // mentions, changes, reactions, pins and read positions.
        let deleted = self
            .conn
            .prepare_cached(
                "DELETE FROM channels WHERE channel_id = ?1 AND parent_channel_id IS NOT NULL",
            )?
            .execute([thread_id.as_str()])?;
        Ok(deleted > 0)
    }

    fn note_thread_message(&self, thread_id: &ChannelId, message: &Message) -> StoreResult<bool> {
        // A sender's first message makes them a participant (server-written messages have
        // no sender); the index `messages_by_sender` answers in one seek. One statement
        // for the participant and the newest message.
        let recalled = message.content.is_recalled();
        let new_sender: bool = self
            .conn
            .prepare_cached(
                "UPDATE threads SET
                        participant_count = participant_count + (?2 <> '' AND NOT EXISTS (
                            SELECT 1 FROM messages
                             WHERE channel_id = ?1 AND sender_id = ?2 AND seq < ?3)),
                        digest_seq = CASE WHEN ?6 THEN digest_seq ELSE ?3 END,
                        digest_sender_id = CASE WHEN ?6 THEN digest_sender_id ELSE ?2 END,
                        digest_text = CASE WHEN ?6 THEN digest_text ELSE ?4 END,
                        digest_at_ms = CASE WHEN ?6 THEN digest_at_ms ELSE ?5 END
                 WHERE thread_id = ?1
                 RETURNING (?2 <> '' AND NOT EXISTS (
                            SELECT 1 FROM messages
                             WHERE channel_id = ?1 AND sender_id = ?2 AND seq < ?3))",
            )?
            .query_row(
                params![
                    thread_id.as_str(),
                    message.sender_id.as_str(),
                    signed(message.seq),
                    message.content.preview_text(),
                    message.created_at_ms,
                    recalled,
                ],
                |row| row.get(0),
            )
            .optional()?
            .unwrap_or(false);
        Ok(new_sender)
    }

    fn refresh_thread_last(&self, thread_id: &ChannelId) -> StoreResult<()> {
        // Newest first; recalled messages (rare, and only ever at the end being skipped)
        // are passed over until one that is not recalled.
        let mut last = None;
        {
            let mut statement = self.conn.prepare_cached(
                "SELECT seq, sender_id, content, created_at_ms FROM messages
                 WHERE channel_id = ?1 ORDER BY seq DESC",
            )?;
            let mut rows = statement.query([thread_id.as_str()])?;
            while let Some(row) = rows.next()? {
                let content: MessageContent = serde_json::from_str(&row.get::<_, String>(2)?)
                    .map_err(|e| in_row(e.into()))?;
                if content.is_recalled() {
                    continue;
                }
                last = Some(DigestLast {
                    seq: unsigned(row.get(0)?),
                    sender_id: id(row, 1)?,
                    text: content.preview_text(),
                    at_ms: row.get(3)?,
                });
                break;
            }
        }
        self.set_digest_last(thread_id, last.as_ref())
    }

    fn active_thread_count(&self, channel_id: &ChannelId, now: TimestampMs) -> StoreResult<u64> {
        let count: i64 = self
            .conn
            .prepare_cached(
                "SELECT COUNT(*) FROM channels c JOIN threads t ON t.thread_id = c.channel_id
                 WHERE c.parent_channel_id = ?1 AND NOT t.archived
                   AND c.last_activity_ms + t.auto_archive_ms > ?2",
            )?
            .query_row(params![channel_id.as_str(), now], |row| row.get(0))?;
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
        let (at, after_id) = split_after(after);
        self.threads_where(
            &format!(
                "WHERE c.parent_channel_id = ?1
                   AND (t.archived OR c.last_activity_ms + t.auto_archive_ms <= ?2) = ?3
                   AND {}
                 ORDER BY c.last_activity_ms DESC, t.thread_id DESC LIMIT ?6",
                after_clause(4, 5)
            ),
            params![
                channel_id.as_str(),
                now,
                archived,
                at,
                after_id,
                i64::from(limit)
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
        let (at, after_id) = split_after(after);
        self.threads_where(
            &format!(
                "JOIN thread_members j ON j.thread_id = t.thread_id AND j.user_id = ?2
                 WHERE c.community_id = ?1 AND {}
                 ORDER BY c.last_activity_ms DESC, t.thread_id DESC LIMIT ?5",
                after_clause(3, 4)
            ),
            params![
                community_id.as_str(),
                user_id.as_str(),
                at,
                after_id,
                limit.map_or(-1, i64::from)
            ],
        )
    }

    fn thread_member_ids(&self, thread_id: &ChannelId) -> StoreResult<Vec<UserId>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT user_id FROM thread_members WHERE thread_id = ?1 ORDER BY user_id",
        )?;
        let rows = statement.query_map([thread_id.as_str()], |row| id(row, 0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn is_thread_member(&self, thread_id: &ChannelId, user_id: &UserId) -> StoreResult<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM thread_members WHERE thread_id = ?1 AND user_id = ?2")?
            .query_row(params![thread_id.as_str(), user_id.as_str()], |_| Ok(()))
            .optional()?
            .is_some())
    }

    fn join_thread(
        &self,
        thread_id: &ChannelId,
        user_id: &UserId,
        joined_at_ms: TimestampMs,
        read_seq: Seq,
    ) -> StoreResult<bool> {
        let joined = self
            .conn
            .prepare_cached(
                "INSERT OR IGNORE INTO thread_members (thread_id, user_id, joined_at_ms)
                 VALUES (?1, ?2, ?3)",
            )?
            .execute(params![thread_id.as_str(), user_id.as_str(), joined_at_ms])?;
        if joined == 0 {
            return Ok(false);
        }
        self.set_read_seq(user_id, thread_id, read_seq)?;
        Ok(true)
    }

    fn leave_thread(&self, thread_id: &ChannelId, user_id: &UserId) -> StoreResult<bool> {
        let left = self
            .conn
            .prepare_cached("DELETE FROM thread_members WHERE thread_id = ?1 AND user_id = ?2")?
            .execute(params![thread_id.as_str(), user_id.as_str()])?;
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
        let joined: Vec<ChannelId> = {
            let mut statement = self.conn.prepare_cached(
                "SELECT j.thread_id FROM thread_members j
                   JOIN channels c ON c.channel_id = j.thread_id
                  WHERE j.user_id = ?2 AND c.parent_channel_id = ?1
                  ORDER BY j.thread_id",
            )?;
            let rows = statement
                .query_map(params![channel_id.as_str(), user_id.as_str()], |row| {
                    id(row, 0)
                })?;
            rows.collect::<Result<_, _>>()?
        };
        for sql in [
            "DELETE FROM thread_members WHERE user_id = ?2
                AND thread_id IN (SELECT channel_id FROM channels WHERE parent_channel_id = ?1)",
            "DELETE FROM read_positions WHERE user_id = ?2
                AND channel_id IN (SELECT channel_id FROM channels WHERE parent_channel_id = ?1)",
            "DELETE FROM hidden WHERE user_id = ?2
                AND channel_id IN (SELECT channel_id FROM channels WHERE parent_channel_id = ?1)",
        ] {
            self.conn
                .prepare_cached(sql)?
                .execute(params![channel_id.as_str(), user_id.as_str()])?;
        }
        Ok(joined)
    }
}
