//! The push hand-off's reads in SQLite: every one a primary-key or index lookup, so the
//! cost of a message's candidates grows with the people it may notify, never with the
//! community (`members` range by community, `push_tokens_by_user`, `member_groups`'s key,
//! `presence_choices`'s key).

use community_protocol::{CommunityId, GroupId, PresenceStatus, TimestampMs, UserId};
use rusqlite::{OptionalExtension, params};

use super::SqliteTx;
use super::convert::{enum_from, enum_text};
use crate::store::{PushTargetStore, StoreResult};

impl PushTargetStore for SqliteTx<'_> {
    fn members_with_push_tokens(&self, community_id: &CommunityId) -> StoreResult<Vec<UserId>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT m.user_id FROM members m
              WHERE m.community_id = ?1
                AND EXISTS (SELECT 1 FROM push_tokens p WHERE p.user_id = m.user_id)
              ORDER BY m.user_id",
        )?;
        let rows = statement.query_map(params![community_id.as_str()], |row| {
            row.get::<_, String>(0).map(UserId::from)
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn has_push_token(&self, user_id: &UserId) -> StoreResult<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM push_tokens WHERE user_id = ?1 LIMIT 1")?
            .query_row(params![user_id.as_str()], |_| Ok(()))
            .optional()?
            .is_some())
    }

    fn holds_any_group(
        &self,
        community_id: &CommunityId,
        user_id: &UserId,
        groups: &[GroupId],
    ) -> StoreResult<bool> {
        let mut statement = self.conn.prepare_cached(
            "SELECT 1 FROM member_groups
              WHERE community_id = ?1 AND user_id = ?2 AND group_id = ?3",
        )?;
        for group in groups {
            let found = statement
                .query_row(
                    params![community_id.as_str(), user_id.as_str(), group.as_str()],
                    |_| Ok(()),
                )
                .optional()?;
            if found.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn presence_choice(&self, user_id: &UserId) -> StoreResult<Option<PresenceStatus>> {
        let status: Option<String> = self
            .conn
            .prepare_cached("SELECT status FROM presence_choices WHERE user_id = ?1")?
            .query_row(params![user_id.as_str()], |row| row.get(0))
            .optional()?;
        status.map(|text| enum_from(&text)).transpose()
    }

    fn set_presence_choice(
        &self,
        user_id: &UserId,
        status: PresenceStatus,
        at_ms: TimestampMs,
    ) -> StoreResult<()> {
        if status == PresenceStatus::Online {
            self.conn
                .prepare_cached("DELETE FROM presence_choices WHERE user_id = ?1")?
                .execute(params![user_id.as_str()])?;
        } else {
            self.conn
                .prepare_cached(
                    "INSERT INTO presence_choices (user_id, status, chosen_at_ms)
                     VALUES (?1, ?2, ?3)
                     ON CONFLICT (user_id) DO UPDATE
                     SET status = excluded.status, chosen_at_ms = excluded.chosen_at_ms",
                )?
                .execute(params![user_id.as_str(), enum_text(&status)?, at_ms])?;
        }
        Ok(())
    }
}
