//! The push hand-off's reads in PostgreSQL: every one a primary-key or index lookup, as
//! in the SQLite engine.

use community_protocol::{CommunityId, GroupId, PresenceStatus, TimestampMs, UserId};

use super::PgTx;
use super::convert::{enum_from, enum_text};
use crate::store::{PushTargetStore, StoreResult};

impl PushTargetStore for PgTx<'_> {
    fn members_with_push_tokens(&self, community_id: &CommunityId) -> StoreResult<Vec<UserId>> {
        self.ids(
            "SELECT m.user_id FROM members m
              WHERE m.community_id = $1
                AND EXISTS (SELECT 1 FROM push_tokens p WHERE p.user_id = m.user_id)
              ORDER BY m.user_id",
            community_id.as_str(),
        )
    }

    fn has_push_token(&self, user_id: &UserId) -> StoreResult<bool> {
        Ok(self
            .query_opt(
                "SELECT 1 FROM push_tokens WHERE user_id = $1 LIMIT 1",
                &[&user_id.as_str()],
            )?
            .is_some())
    }

    fn holds_any_group(
        &self,
        community_id: &CommunityId,
        user_id: &UserId,
        groups: &[GroupId],
    ) -> StoreResult<bool> {
        let groups: Vec<&str> = groups.iter().map(GroupId::as_str).collect();
        Ok(self
            .query_opt(
                "SELECT 1 FROM member_groups
                  WHERE community_id = $1 AND user_id = $2 AND group_id = ANY($3) LIMIT 1",
                &[&community_id.as_str(), &user_id.as_str(), &groups],
            )?
            .is_some())
    }

    fn presence_choice(&self, user_id: &UserId) -> StoreResult<Option<PresenceStatus>> {
        self.query_opt(
            "SELECT status FROM presence_choices WHERE user_id = $1",
            &[&user_id.as_str()],
        )?
        .map(|row| enum_from(row.get::<_, &str>(0)))
        .transpose()
    }

    fn set_presence_choice(
        &self,
        user_id: &UserId,
        status: PresenceStatus,
        at_ms: TimestampMs,
    ) -> StoreResult<()> {
        if status == PresenceStatus::Online {
            self.execute(
                "DELETE FROM presence_choices WHERE user_id = $1",
                &[&user_id.as_str()],
            )?;
        } else {
            self.execute(
                "INSERT INTO presence_choices (user_id, status, chosen_at_ms) VALUES ($1, $2, $3)
                 ON CONFLICT (user_id) DO UPDATE
                 SET status = excluded.status, chosen_at_ms = excluded.chosen_at_ms",
                &[&user_id.as_str(), &enum_text(&status)?, &at_ms],
            )?;
        }
        Ok(())
    }
}
