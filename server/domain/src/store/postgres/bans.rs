//! Bans in PostgreSQL: one row per banned user of a community. A ban whose `until_ms` has
//! passed is over: it is never returned, and the next ban of the user replaces it.

use community_protocol::{Ban, CommunityId, TimestampMs, UserId};
use postgres::Row;

use super::PgTx;
use crate::store::{BanStore, StoreResult};

fn ban_from_row(row: &Row) -> Ban {
    Ban {
        community_id: row.get::<_, String>(0).into(),
        user_id: row.get::<_, String>(1).into(),
        by: row.get::<_, String>(2).into(),
        reason: row.get(3),
        at_ms: row.get(4),
        until_ms: row.get(5),
    }
}

impl BanStore for PgTx<'_> {
    fn ban(
        &self,
        community_id: &CommunityId,
        user_id: &UserId,
        now: TimestampMs,
    ) -> StoreResult<Option<Ban>> {
        Ok(self
            .query_opt(
                "SELECT community_id, user_id, by_user, reason, at_ms, until_ms FROM bans
                 WHERE community_id = $1 AND user_id = $2
                   AND (until_ms IS NULL OR until_ms > $3)",
                &[&community_id.as_str(), &user_id.as_str(), &now],
            )?
            .as_ref()
            .map(ban_from_row))
    }

    fn put_ban(&self, ban: &Ban) -> StoreResult<()> {
        self.execute(
            "INSERT INTO bans (community_id, user_id, by_user, reason, at_ms, until_ms)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (community_id, user_id) DO UPDATE SET by_user = excluded.by_user,
                reason = excluded.reason, at_ms = excluded.at_ms, until_ms = excluded.until_ms",
            &[
                &ban.community_id.as_str(),
                &ban.user_id.as_str(),
                &ban.by.as_str(),
                &ban.reason,
                &ban.at_ms,
                &ban.until_ms,
            ],
        )?;
        Ok(())
    }

    fn delete_ban(&self, community_id: &CommunityId, user_id: &UserId) -> StoreResult<bool> {
        let deleted = self.execute(
            "DELETE FROM bans WHERE community_id = $1 AND user_id = $2",
            &[&community_id.as_str(), &user_id.as_str()],
        )?;
        Ok(deleted > 0)
    }

    fn bans(&self, community_id: &CommunityId, now: TimestampMs) -> StoreResult<Vec<Ban>> {
        Ok(self
            .query(
                "SELECT community_id, user_id, by_user, reason, at_ms, until_ms FROM bans
                 WHERE community_id = $1 AND (until_ms IS NULL OR until_ms > $2)
                 ORDER BY at_ms DESC, user_id",
                &[&community_id.as_str(), &now],
            )?
            .iter()
            .map(ban_from_row)
            .collect())
    }
}
