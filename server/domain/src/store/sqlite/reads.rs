//! Read positions and unread / mention counts in SQLite.
//!
//! Counts come from sequences and indexes, never from scanning what a client loaded:
//! unread = (last_seq − read_seq) − the caller's own messages after read_seq (index
//! `messages_by_sender`); mentions = distinct mentioned sequences after read_seq not sent
//! by the caller (index on `mentions`).

use community_protocol::{ChannelId, CommunityId, Seq, UserId};
use rusqlite::{OptionalExtension, params};

use super::SqliteTx;
use super::convert::{signed, unsigned};
use crate::store::{ReadStore, StoreResult};

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
        self.conn
            .prepare_cached("DELETE FROM read_positions WHERE user_id = ?1 AND channel_id = ?2")?
            .execute(params![user_id.as_str(), channel_id.as_str()])?;
        Ok(())
    }

    fn unread_counts(
        &self,
        user_id: &UserId,
        channel_id: &ChannelId,
        read_seq: Seq,
    ) -> StoreResult<(u64, u64)> {
        let (after_read, own): (i64, i64) = self
            .conn
            .prepare_cached(
                "SELECT MAX(c.last_seq - ?3, 0),
                        (SELECT COUNT(*) FROM messages m
                          WHERE m.channel_id = ?2 AND m.sender_id = ?1 AND m.seq > ?3)
                 FROM channels c WHERE c.channel_id = ?2",
            )?
            .query_row(
                params![user_id.as_str(), channel_id.as_str(), signed(read_seq)],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?
            .unwrap_or((0, 0));
        let mentions: i64 = self
            .conn
            .prepare_cached(
                "SELECT COUNT(DISTINCT seq) FROM mentions
                 WHERE channel_id = ?2 AND user_id IN (?1, '') AND seq > ?3 AND sender_id <> ?1",
            )?
            .query_row(
                params![user_id.as_str(), channel_id.as_str(), signed(read_seq)],
                |row| row.get(0),
            )?;
        Ok((unsigned(after_read - own), unsigned(mentions)))
    }
}
