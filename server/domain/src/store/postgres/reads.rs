//! Read positions, hidden messages and unread / mention counts in PostgreSQL: the same
//! counting as the SQLite engine (from sequences and indexes, never from scanning the
//! messages after the read position; see `sqlite::reads`).

use community_protocol::{ChannelId, ChannelNotification, CommunityId, Seq, UserId};
use postgres::types::ToSql;

use super::PgTx;
use super::convert::{enum_from, enum_text, signed, unsigned};
use crate::store::{ReadStore, StoreResult};

const UNREAD_SQL: &str = "SELECT GREATEST(c.last_seq - $3, 0),
        (SELECT COUNT(*) FROM messages m
          WHERE m.channel_id = $2 AND m.sender_id = $1 AND m.seq > $3),
        (SELECT COUNT(*) FROM uncounted u
          WHERE u.channel_id = $2 AND u.seq > $3 AND u.sender_id <> $1),
        (SELECT COUNT(*) FROM hidden h
          WHERE h.user_id = $1 AND h.channel_id = $2 AND h.seq > $3 AND h.sender_id <> $1
            AND NOT EXISTS (SELECT 1 FROM uncounted u
                             WHERE u.channel_id = h.channel_id AND u.seq = h.seq))
     FROM channels c WHERE c.channel_id = $2";

const MENTIONS_SQL: &str = "SELECT COUNT(*) FROM (
        SELECT seq FROM mentions
         WHERE channel_id = $2 AND user_id = $1 AND seq > $3 AND sender_id <> $1
        UNION
        SELECT seq FROM mentions
         WHERE channel_id = $2 AND user_id = '' AND seq > $3 AND sender_id <> $1
        UNION
        SELECT gm.seq FROM member_groups mg
          JOIN group_mentions gm ON gm.channel_id = $2 AND gm.group_id = mg.group_id
         WHERE mg.community_id = (SELECT community_id FROM channels WHERE channel_id = $2)
           AND mg.user_id = $1 AND gm.seq > $3 AND gm.sender_id <> $1) s
     WHERE seq NOT IN (SELECT seq FROM hidden
                        WHERE user_id = $1 AND channel_id = $2 AND seq > $3)";

impl ReadStore for PgTx<'_> {
    fn read_seq(&self, user_id: &UserId, channel_id: &ChannelId) -> StoreResult<Option<Seq>> {
        Ok(self
            .query_opt(
                "SELECT read_seq FROM read_positions WHERE user_id = $1 AND channel_id = $2",
                &[&user_id.as_str(), &channel_id.as_str()],
            )?
            .map(|row| unsigned(row.get(0))))
    }

    fn set_read_seq(&self, user_id: &UserId, channel_id: &ChannelId, seq: Seq) -> StoreResult<()> {
        self.execute(
            "INSERT INTO read_positions (user_id, channel_id, read_seq) VALUES ($1, $2, $3)
             ON CONFLICT (user_id, channel_id) DO UPDATE SET read_seq = excluded.read_seq",
            &[&user_id.as_str(), &channel_id.as_str(), &signed(seq)],
        )?;
        Ok(())
    }

    fn start_reading(&self, user_id: &UserId, channel_id: &ChannelId) -> StoreResult<()> {
        self.execute(
            "INSERT INTO read_positions (user_id, channel_id, read_seq)
             SELECT $1, channel_id, last_seq FROM channels WHERE channel_id = $2
             ON CONFLICT DO NOTHING",
            &[&user_id.as_str(), &channel_id.as_str()],
        )?;
        Ok(())
    }

    fn start_reading_all(
        &self,
        community_id: &CommunityId,
        channel_id: &ChannelId,
    ) -> StoreResult<()> {
        self.execute(
            "INSERT INTO read_positions (user_id, channel_id, read_seq)
             SELECT m.user_id, c.channel_id, c.last_seq FROM members m, channels c
             WHERE m.community_id = $1 AND c.channel_id = $2
             ON CONFLICT DO NOTHING",
            &[&community_id.as_str(), &channel_id.as_str()],
        )?;
        Ok(())
    }

    fn forget_reading(&self, user_id: &UserId, channel_id: &ChannelId) -> StoreResult<()> {
        for sql in [
            "DELETE FROM read_positions WHERE user_id = $1 AND channel_id = $2",
            "DELETE FROM hidden WHERE user_id = $1 AND channel_id = $2",
            "DELETE FROM channel_notifications WHERE user_id = $1 AND channel_id = $2",
        ] {
            self.execute(sql, &[&user_id.as_str(), &channel_id.as_str()])?;
        }
        Ok(())
    }

    fn unread_counts(
        &self,
        user_id: &UserId,
        channel_id: &ChannelId,
        read_seq: Seq,
    ) -> StoreResult<(u64, u64)> {
        let read_seq = signed(read_seq);
        let args: [&(dyn ToSql + Sync); 3] = [&user_id.as_str(), &channel_id.as_str(), &read_seq];
        let (after_read, own, uncounted, hidden): (i64, i64, i64, i64) = self
            .query_opt(UNREAD_SQL, &args)?
            .map_or((0, 0, 0, 0), |row| {
                (row.get(0), row.get(1), row.get(2), row.get(3))
            });
        let mentions: i64 = self.query_one(MENTIONS_SQL, &args)?.get(0);
        Ok((
            unsigned(after_read - own - uncounted - hidden),
            unsigned(mentions),
        ))
    }

    fn hidden(&self, user_id: &UserId, channel_id: &ChannelId) -> StoreResult<Vec<Seq>> {
        Ok(self
            .query(
                "SELECT seq FROM hidden WHERE user_id = $1 AND channel_id = $2 ORDER BY seq",
                &[&user_id.as_str(), &channel_id.as_str()],
            )?
            .iter()
            .map(|row| unsigned(row.get(0)))
            .collect())
    }

    fn hide(
        &self,
        user_id: &UserId,
        channel_id: &ChannelId,
        seq: Seq,
        sender_id: &UserId,
    ) -> StoreResult<bool> {
        let hidden = self.execute(
            "INSERT INTO hidden (user_id, channel_id, seq, sender_id) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING",
            &[
                &user_id.as_str(),
                &channel_id.as_str(),
                &signed(seq),
                &sender_id.as_str(),
            ],
        )?;
        Ok(hidden > 0)
    }

    fn hidden_count(&self, user_id: &UserId, channel_id: &ChannelId) -> StoreResult<usize> {
        let count: i64 = self
            .query_one(
                "SELECT COUNT(*) FROM hidden WHERE user_id = $1 AND channel_id = $2",
                &[&user_id.as_str(), &channel_id.as_str()],
            )?
            .get(0);
        Ok(usize::try_from(count).unwrap_or(usize::MAX))
    }

    fn channel_notification(
        &self,
        user_id: &UserId,
        channel_id: &ChannelId,
    ) -> StoreResult<ChannelNotification> {
        match self.query_opt(
            "SELECT level FROM channel_notifications WHERE user_id = $1 AND channel_id = $2",
            &[&user_id.as_str(), &channel_id.as_str()],
        )? {
            Some(row) => enum_from(row.get::<_, &str>(0)),
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
            self.execute(
                "DELETE FROM channel_notifications WHERE user_id = $1 AND channel_id = $2",
                &[&user_id.as_str(), &channel_id.as_str()],
            )?;
        } else {
            self.execute(
                "INSERT INTO channel_notifications (user_id, channel_id, level) VALUES ($1, $2, $3)
                 ON CONFLICT (user_id, channel_id) DO UPDATE SET level = excluded.level",
                &[&user_id.as_str(), &channel_id.as_str(), &enum_text(&level)?],
            )?;
        }
        Ok(())
    }
}
