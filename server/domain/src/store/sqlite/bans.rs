//! Bans in SQLite: one row per banned user of a community. A ban whose `until_ms` has
//! passed is over: it is never returned, and the next ban of the user replaces it.

use community_protocol::{Ban, CommunityId, TimestampMs, UserId};
use rusqlite::{OptionalExtension, Row, params};

use super::SqliteTx;
use super::convert::id;
use crate::store::{BanStore, StoreResult};

const BAN_COLUMNS: &str = "community_id, user_id, by_user, reason, at_ms, until_ms";

fn ban_from_row(row: &Row<'_>) -> rusqlite::Result<Ban> {
    Ok(Ban {
        community_id: id(row, 0)?,
        user_id: id(row, 1)?,
        by: id(row, 2)?,
        reason: row.get(3)?,
        at_ms: row.get(4)?,
        until_ms: row.get(5)?,
    })
}

impl BanStore for SqliteTx<'_> {
    fn ban(
        &self,
        community_id: &CommunityId,
        user_id: &UserId,
        now: TimestampMs,
    ) -> StoreResult<Option<Ban>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {BAN_COLUMNS} FROM bans WHERE community_id = ?1 AND user_id = ?2
                   AND (until_ms IS NULL OR until_ms > ?3)"
            ))?
            .query_row(
                params![community_id.as_str(), user_id.as_str(), now],
                ban_from_row,
            )
            .optional()?)
    }

    fn put_ban(&self, ban: &Ban) -> StoreResult<()> {
        self.conn
            .prepare_cached(&format!(
                "INSERT INTO bans ({BAN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (community_id, user_id) DO UPDATE SET by_user = excluded.by_user,
                    reason = excluded.reason, at_ms = excluded.at_ms, until_ms = excluded.until_ms"
            ))?
            .execute(params![
                ban.community_id.as_str(),
                ban.user_id.as_str(),
                ban.by.as_str(),
                ban.reason,
                ban.at_ms,
                ban.until_ms,
            ])?;
        Ok(())
    }

    fn delete_ban(&self, community_id: &CommunityId, user_id: &UserId) -> StoreResult<bool> {
        let deleted = self
            .conn
            .prepare_cached("DELETE FROM bans WHERE community_id = ?1 AND user_id = ?2")?
            .execute(params![community_id.as_str(), user_id.as_str()])?;
        Ok(deleted > 0)
    }

    fn bans(&self, community_id: &CommunityId, now: TimestampMs) -> StoreResult<Vec<Ban>> {
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT {BAN_COLUMNS} FROM bans WHERE community_id = ?1
               AND (until_ms IS NULL OR until_ms > ?2)
             ORDER BY at_ms DESC, user_id"
        ))?;
        let rows = statement.query_map(params![community_id.as_str(), now], ban_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
