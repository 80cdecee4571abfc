//! Memberships, join requests and notification settings in SQLite.

use community_protocol::{
    CommunityId, JoinRequest, MemberInfo, NotificationStatus, Role, TimestampMs, UserId,
};
use rusqlite::{OptionalExtension, Row, params};

use super::SqliteTx;
use super::convert::{enum_from, enum_text, id, in_row, unsigned};
use crate::store::{MemberStore, StoreResult};

const MEMBER_COLUMNS: &str = "community_id, user_id, role, nickname, joined_at_ms, muted_until_ms";

fn member_from_row(row: &Row<'_>) -> rusqlite::Result<MemberInfo> {
    Ok(MemberInfo {
        community_id: id(row, 0)?,
        user_id: id(row, 1)?,
        role: enum_from(&row.get::<_, String>(2)?).map_err(in_row)?,
        nickname: row.get(3)?,
        joined_at_ms: row.get(4)?,
        muted_until_ms: row.get(5)?,
    })
}

fn join_request_from_row(row: &Row<'_>) -> rusqlite::Result<JoinRequest> {
    Ok(JoinRequest {
        community_id: id(row, 0)?,
        user_id: id(row, 1)?,
        message: row.get(2)?,
        requested_at_ms: row.get(3)?,
    })
}

/// The search text, case-folded like the `fold_case` SQL function; `None` matches all.
fn folded(query: Option<&str>) -> Option<String> {
    query.filter(|q| !q.is_empty()).map(str::to_lowercase)
}

impl SqliteTx<'_> {
    /// The first column of every row of `sql` (one text parameter), as typed ids.
    fn ids<T: From<String>>(&self, sql: &str, key: &str) -> StoreResult<Vec<T>> {
        let mut statement = self.conn.prepare_cached(sql)?;
        let rows = statement.query_map([key], |row| id(row, 0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

impl MemberStore for SqliteTx<'_> {
    fn member(
        &self,
        community_id: &CommunityId,
        user_id: &UserId,
    ) -> StoreResult<Option<MemberInfo>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {MEMBER_COLUMNS} FROM members WHERE community_id = ?1 AND user_id = ?2"
            ))?
            .query_row(
                params![community_id.as_str(), user_id.as_str()],
                member_from_row,
            )
            .optional()?)
    }

    fn insert_member(&self, member: &MemberInfo) -> StoreResult<()> {
        self.conn
            .prepare_cached(&format!(
                "INSERT INTO members ({MEMBER_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
            ))?
            .execute(params![
                member.community_id.as_str(),
                member.user_id.as_str(),
                enum_text(&member.role)?,
                member.nickname,
                member.joined_at_ms,
                member.muted_until_ms,
            ])?;
        self.conn
            .prepare_cached(
                "UPDATE communities SET member_count = member_count + 1 WHERE community_id = ?1",
            )?
            .execute([member.community_id.as_str()])?;
        Ok(())
    }

    fn update_member(&self, member: &MemberInfo) -> StoreResult<()> {
        self.conn
            .prepare_cached(
                "UPDATE members SET role = ?3, nickname = ?4, muted_until_ms = ?5
                 WHERE community_id = ?1 AND user_id = ?2",
            )?
            .execute(params![
                member.community_id.as_str(),
                member.user_id.as_str(),
                enum_text(&member.role)?,
                member.nickname,
                member.muted_until_ms,
            ])?;
        Ok(())
    }

    fn delete_member(&self, community_id: &CommunityId, user_id: &UserId) -> StoreResult<bool> {
        let deleted = self
            .conn
            .prepare_cached("DELETE FROM members WHERE community_id = ?1 AND user_id = ?2")?
            .execute(params![community_id.as_str(), user_id.as_str()])?;
        if deleted == 0 {
            return Ok(false);
        }
        for sql in [
            "DELETE FROM channel_members WHERE user_id = ?2
                AND channel_id IN (SELECT channel_id FROM channels WHERE community_id = ?1)",
            "DELETE FROM read_positions WHERE user_id = ?2
                AND channel_id IN (SELECT channel_id FROM channels WHERE community_id = ?1)",
            "DELETE FROM hidden WHERE user_id = ?2
                AND channel_id IN (SELECT channel_id FROM channels WHERE community_id = ?1)",
            "DELETE FROM notification_settings WHERE community_id = ?1 AND user_id = ?2",
        ] {
            self.conn
                .prepare_cached(sql)?
                .execute(params![community_id.as_str(), user_id.as_str()])?;
        }
        self.conn
            .prepare_cached(
                "UPDATE communities SET member_count = member_count - 1 WHERE community_id = ?1",
            )?
            .execute([community_id.as_str()])?;
        Ok(true)
    }

    fn joined_count(&self, user_id: &UserId) -> StoreResult<u64> {
        let count: i64 = self
            .conn
            .prepare_cached("SELECT COUNT(*) FROM members WHERE user_id = ?1")?
            .query_row([user_id.as_str()], |row| row.get(0))?;
        Ok(unsigned(count))
    }

    fn joined_page(
        &self,
        user_id: &UserId,
        after: Option<(TimestampMs, &str)>,
        limit: u32,
    ) -> StoreResult<Vec<(TimestampMs, CommunityId)>> {
        let (after_ms, after_id) = after.unzip();
        let mut statement = self.conn.prepare_cached(
            "SELECT joined_at_ms, community_id FROM members
             WHERE user_id = ?1 AND (?2 IS NULL OR (joined_at_ms, community_id) > (?2, ?3))
             ORDER BY joined_at_ms, community_id LIMIT ?4",
        )?;
        let rows = statement.query_map(
            params![user_id.as_str(), after_ms, after_id, limit],
            |row| Ok((row.get(0)?, id(row, 1)?)),
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn joined_ids(&self, user_id: &UserId) -> StoreResult<Vec<CommunityId>> {
        self.ids(
            "SELECT community_id FROM members WHERE user_id = ?1 ORDER BY joined_at_ms, community_id",
            user_id.as_str(),
        )
    }

    fn privileged_ids(&self, community_id: &CommunityId) -> StoreResult<Vec<UserId>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT user_id FROM members WHERE community_id = ?1 AND role IN (?2, ?3) ORDER BY user_id",
        )?;
        let rows = statement.query_map(
            params![
                community_id.as_str(),
                enum_text(&Role::Owner)?,
                enum_text(&Role::Admin)?
            ],
            |row| id(row, 0),
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn member_ids(&self, community_id: &CommunityId) -> StoreResult<Vec<UserId>> {
        self.ids(
            "SELECT user_id FROM members WHERE community_id = ?1 ORDER BY user_id",
            community_id.as_str(),
        )
    }

    fn members_page(
        &self,
        community_id: &CommunityId,
        query: Option<&str>,
        after: Option<(TimestampMs, &str)>,
        limit: u32,
    ) -> StoreResult<Vec<MemberInfo>> {
        let (after_ms, after_id) = after.unzip();
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT {MEMBER_COLUMNS} FROM members
             WHERE community_id = ?1
               AND (?2 IS NULL OR instr(fold_case(user_id), ?2) > 0 OR instr(fold_case(nickname), ?2) > 0)
               AND (?3 IS NULL OR (joined_at_ms, user_id) > (?3, ?4))
             ORDER BY joined_at_ms, user_id LIMIT ?5"
        ))?;
        let rows = statement.query_map(
            params![
                community_id.as_str(),
                folded(query),
                after_ms,
                after_id,
                limit
            ],
            member_from_row,
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn members_count(&self, community_id: &CommunityId, query: Option<&str>) -> StoreResult<u64> {
        let count: i64 = match folded(query) {
            None => self
                .conn
                .prepare_cached("SELECT member_count FROM communities WHERE community_id = ?1")?
                .query_row([community_id.as_str()], |row| row.get(0))
                .optional()?
                .unwrap_or(0),
            Some(query) => self
                .conn
                .prepare_cached(
                    "SELECT COUNT(*) FROM members WHERE community_id = ?1
                       AND (instr(fold_case(user_id), ?2) > 0 OR instr(fold_case(nickname), ?2) > 0)",
                )?
                .query_row(params![community_id.as_str(), query], |row| row.get(0))?,
        };
        Ok(unsigned(count))
    }

    fn join_request(
        &self,
        community_id: &CommunityId,
        user_id: &UserId,
    ) -> StoreResult<Option<JoinRequest>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT community_id, user_id, message, requested_at_ms FROM join_requests
                 WHERE community_id = ?1 AND user_id = ?2",
            )?
            .query_row(
                params![community_id.as_str(), user_id.as_str()],
                join_request_from_row,
            )
            .optional()?)
    }

    fn insert_join_request(&self, request: &JoinRequest) -> StoreResult<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO join_requests (community_id, user_id, message, requested_at_ms)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![
                request.community_id.as_str(),
                request.user_id.as_str(),
                request.message,
                request.requested_at_ms
            ])?;
        Ok(())
    }

    fn delete_join_request(
        &self,
        community_id: &CommunityId,
        user_id: &UserId,
    ) -> StoreResult<bool> {
        let deleted = self
            .conn
            .prepare_cached("DELETE FROM join_requests WHERE community_id = ?1 AND user_id = ?2")?
            .execute(params![community_id.as_str(), user_id.as_str()])?;
        Ok(deleted > 0)
    }

    fn join_requests(&self, community_id: &CommunityId) -> StoreResult<Vec<JoinRequest>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT community_id, user_id, message, requested_at_ms FROM join_requests
             WHERE community_id = ?1 ORDER BY requested_at_ms, user_id",
        )?;
        let rows = statement.query_map([community_id.as_str()], join_request_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn notification(
        &self,
        user_id: &UserId,
        community_id: &CommunityId,
    ) -> StoreResult<NotificationStatus> {
        let status: Option<String> = self
            .conn
            .prepare_cached(
                "SELECT status FROM notification_settings WHERE user_id = ?1 AND community_id = ?2",
            )?
            .query_row(params![user_id.as_str(), community_id.as_str()], |row| {
                row.get(0)
            })
            .optional()?;
        match status {
            Some(text) => enum_from(&text),
            None => Ok(NotificationStatus::default()),
        }
    }

    fn set_notification(
        &self,
        user_id: &UserId,
        community_id: &CommunityId,
        status: NotificationStatus,
    ) -> StoreResult<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO notification_settings (user_id, community_id, status) VALUES (?1, ?2, ?3)
                 ON CONFLICT (user_id, community_id) DO UPDATE SET status = excluded.status",
            )?
            .execute(params![user_id.as_str(), community_id.as_str(), enum_text(&status)?])?;
        Ok(())
    }
}
