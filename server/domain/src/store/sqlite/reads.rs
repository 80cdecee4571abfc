//! Read positions, hidden messages and unread / mention counts in SQLite.
//!
//! Counts come from sequences and indexes, never from scanning the messages after the
//! read position: unread = (last_seq − read_seq) − the user's own messages after read_seq
//! (index `messages_by_sender`) − the others' messages that count for nobody (`uncounted`:
//! recalled or written by the server; few) − the others' counted messages the user hid
//! (`hidden`, at most `max_hidden_per_channel`); mentions = distinct mentioned sequences
//! after read_seq not sent by the user and not hidden by them (recalls delete their
//! mention rows, edits replace them). A mention of a group is one row per group
//! (`group_mentions`), joined with the groups the reader holds: other users' mentions are
//! never read.

use community_protocol::{ChannelId, ChannelNotification, CommunityId, Seq, UserId};
use rusqlite::{OptionalExtension, params};

use super::SqliteTx;
use super::convert::{enum_from, enum_text, signed, unsigned};
use crate::store::{ReadStore, StoreResult};

/// `unread_counts`' first query: ?1 user, ?2 channel, ?3 read_seq.
pub(super) const UNREAD_SQL: &str = "SELECT MAX(c.last_seq - ?3, 0),
        (SELECT COUNT(*) FROM messages m
          WHERE m.channel_id = ?2 AND m.sender_id = ?1 AND m.seq > ?3),
        (SELECT COUNT(*) FROM uncounted u
          WHERE u.channel_id = ?2 AND u.seq > ?3 AND u.sender_id <> ?1),
        (SELECT COUNT(*) FROM hidden h
          WHERE h.user_id = ?1 AND h.channel_id = ?2 AND h.seq > ?3 AND h.sender_id <> ?1
            AND NOT EXISTS (SELECT 1 FROM uncounted u
                             WHERE u.channel_id = h.channel_id AND u.seq = h.seq))
     FROM channels c WHERE c.channel_id = ?2";

/// `unread_counts`' mention query: ?1 user, ?2 channel, ?3 read_seq. Range scans of
/// primary keys only: the user's own mentions, @everyone, and for each group the user
/// holds, that group's mentions; so other users' mentions are never read.
pub(super) const MENTIONS_SQL: &str = "SELECT COUNT(*) FROM (
        SELECT seq FROM mentions
         WHERE channel_id = ?2 AND user_id = ?1 AND seq > ?3 AND sender_id <> ?1
        UNION
        SELECT seq FROM mentions
         WHERE channel_id = ?2 AND user_id = '' AND seq > ?3 AND sender_id <> ?1
        UNION
        SELECT gm.seq FROM member_groups mg
          JOIN group_mentions gm ON gm.channel_id = ?2 AND gm.group_id = mg.group_id
         WHERE mg.community_id = (SELECT community_id FROM channels WHERE channel_id = ?2)
           AND mg.user_id = ?1 AND gm.seq > ?3 AND gm.sender_id <> ?1)
     WHERE seq NOT IN (SELECT seq FROM hidden
                        WHERE user_id = ?1 AND channel_id = ?2 AND seq > ?3)";

impl ReadStore for SqliteTx<'_> {
    fn read_seq(&self, user_id: &UserId, channel_id: &ChannelId) -> StoreResult<Option<Seq>> {
        let seq: Option<i64> = self
            .conn
            .prepare_cached(
                "SELECT read_seq FROM read_positions WHERE user_id = ?1 AND channel_id = ?2",
            )?
            .query_row(params![user_id.as_str(), channel_id.as_str()], |row| {
                row.get(0)
            })
            .optional()?;
        Ok(seq.map(unsigned))
    }

    fn set_read_seq(&self, user_id: &UserId, channel_id: &ChannelId, seq: Seq) -> StoreResult<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO read_positions (user_id, channel_id, read_seq) VALUES (?1, ?2, ?3)
                 ON CONFLICT (user_id, channel_id) DO UPDATE SET read_seq = excluded.read_seq",
            )?
            .execute(params![user_id.as_str(), channel_id.as_str(), signed(seq)])?;
        Ok(())
    }

    fn start_reading(&self, user_id: &UserId, channel_id: &ChannelId) -> StoreResult<()> {
        self.conn
            .prepare_cached(
                "INSERT OR IGNORE INTO read_positions (user_id, channel_id, read_seq)
                 SELECT ?1, channel_id, last_seq FROM channels WHERE channel_id = ?2",
            )?
            .execute(params![user_id.as_str(), channel_id.as_str()])?;
        Ok(())
    }

    fn start_reading_all(
        &self,
        community_id: &CommunityId,
        channel_id: &ChannelId,
    ) -> StoreResult<()> {
        self.conn
            .prepare_cached(
                "INSERT OR IGNORE INTO read_positions (user_id, channel_id, read_seq)
                 SELECT m.user_id, c.channel_id, c.last_seq FROM members m, channels c
                 WHERE m.community_id = ?1 AND c.channel_id = ?2",
            )?
            .execute(params![community_id.as_str(), channel_id.as_str()])?;
        Ok(())
    }

    fn forget_reading(&self, user_id: &UserId, channel_id: &ChannelId) -> StoreResult<()> {
        for sql in [
            "DELETE FROM read_positions WHERE user_id = ?1 AND channel_id = ?2",
            "DELETE FROM hidden WHERE user_id = ?1 AND channel_id = ?2",
            "DELETE FROM channel_notifications WHERE user_id = ?1 AND channel_id = ?2",
        ] {
            self.conn
                .prepare_cached(sql)?
                .execute(params![user_id.as_str(), channel_id.as_str()])?;
        }
        Ok(())
    }

    fn unread_counts(
        &self,
        user_id: &UserId,
        channel_id: &ChannelId,
        read_seq: Seq,
    ) -> StoreResult<(u64, u64)> {
        let args = params![user_id.as_str(), channel_id.as_str(), signed(read_seq)];
        let (after_read, own, uncounted, hidden): (i64, i64, i64, i64) = self
            .conn
            .prepare_cached(UNREAD_SQL)?
            .query_row(args, |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })
            .optional()?
            .unwrap_or((0, 0, 0, 0));
        let mentions: i64 = self
            .conn
            .prepare_cached(MENTIONS_SQL)?
            .query_row(args, |row| row.get(0))?;
        Ok((
            unsigned(after_read - own - uncounted - hidden),
            unsigned(mentions),
        ))
    }

    fn hidden(&self, user_id: &UserId, channel_id: &ChannelId) -> StoreResult<Vec<Seq>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT seq FROM hidden WHERE user_id = ?1 AND channel_id = ?2 ORDER BY seq",
        )?;
        let rows = statement.query_map(params![user_id.as_str(), channel_id.as_str()], |row| {
            row.get::<_, i64>(0).map(unsigned)
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn hide(
        &self,
        user_id: &UserId,
        channel_id: &ChannelId,
        seq: Seq,
        sender_id: &UserId,
    ) -> StoreResult<bool> {
        let hidden = self
            .conn
            .prepare_cached(
                "INSERT OR IGNORE INTO hidden (user_id, channel_id, seq, sender_id)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![
                user_id.as_str(),
                channel_id.as_str(),
                signed(seq),
                sender_id.as_str()
            ])?;
        Ok(hidden > 0)
    }

    fn hidden_count(&self, user_id: &UserId, channel_id: &ChannelId) -> StoreResult<usize> {
        let count: i64 = self
            .conn
            .prepare_cached("SELECT COUNT(*) FROM hidden WHERE user_id = ?1 AND channel_id = ?2")?
            .query_row(params![user_id.as_str(), channel_id.as_str()], |row| {
                row.get(0)
            })?;
        Ok(usize::try_from(count).unwrap_or(usize::MAX))
    }

    fn channel_notification(
        &self,
        user_id: &UserId,
        channel_id: &ChannelId,
    ) -> StoreResult<ChannelNotification> {
        let level: Option<String> = self
            .conn
            .prepare_cached(
                "SELECT level FROM channel_notifications WHERE user_id = ?1 AND channel_id = ?2",
            )?
            .query_row(params![user_id.as_str(), channel_id.as_str()], |row| {
                row.get(0)
            })
            .optional()?;
        match level {
            Some(text) => enum_from(&text),
            None => Ok(ChannelNotification::default()),
        }
    }

    fn set_channel_notification(
        &self,
        user_id: &UserId,
        channel_id: &ChannelId,
        level: ChannelNotification,
    ) -> StoreResult<()> {
        if level.is_all() {
            self.conn
                .prepare_cached(
                    "DELETE FROM channel_notifications WHERE user_id = ?1 AND channel_id = ?2",
                )?
                .execute(params![user_id.as_str(), channel_id.as_str()])?;
        } else {
            self.conn
                .prepare_cached(
                    "INSERT INTO channel_notifications (user_id, channel_id, level) VALUES (?1, ?2, ?3)
                     ON CONFLICT (user_id, channel_id) DO UPDATE SET level = excluded.level",
                )?
                .execute(params![
                    user_id.as_str(),
                    channel_id.as_str(),
                    enum_text(&level)?
                ])?;
        }
        Ok(())
    }
}
