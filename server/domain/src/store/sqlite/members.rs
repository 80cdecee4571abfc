//! Memberships (with their groups and custom fields), join requests and notification
//! settings in SQLite.
//!
//! A member is read with its groups and custom fields; a page of members gets them in two
//! more queries for the whole page (`json_each` over the page's ids), never two per member.

use std::collections::HashMap;

use community_protocol::{
    CommunityId, GroupId, JoinRequest, MemberInfo, NotificationStatus, TimestampMs, UserId,
};
use rusqlite::{OptionalExtension, Row, params};

use super::SqliteTx;
use super::convert::{enum_from, enum_text, id, in_row, unsigned};
use crate::store::{MemberFilter, MemberStore, StoreResult};

const MEMBER_COLUMNS: &str = "community_id, user_id, role, nickname, joined_at_ms, muted_until_ms";

fn member_from_row(row: &Row<'_>) -> rusqlite::Result<MemberInfo> {
    Ok(MemberInfo {
        community_id: id(row, 0)?,
        user_id: id(row, 1)?,
        role: enum_from(&row.get::<_, String>(2)?).map_err(in_row)?,
        nickname: row.get(3)?,
        joined_at_ms: row.get(4)?,
        muted_until_ms: row.get(5)?,
        groups: Vec::new(),
        custom_fields: Default::default(),
    })
}

/// The `WHERE` conditions of a member list: ?1 community, ?2 folded query, ?3 group,
/// ?4 field key, ?5 field value (each condition is off when its parameter is NULL).
const MEMBER_FILTER: &str = "community_id = ?1
    AND (?2 IS NULL OR instr(fold_case(user_id), ?2) > 0 OR instr(fold_case(nickname), ?2) > 0
         OR EXISTS (SELECT 1 FROM profiles p WHERE p.user_id = members.user_id
                    AND instr(fold_case(p.display_name), ?2) > 0))
    AND (?3 IS NULL OR ?3 = 'everyone' OR EXISTS (SELECT 1 FROM member_groups g
            WHERE g.community_id = ?1 AND g.user_id = members.user_id AND g.group_id = ?3))
    AND (?4 IS NULL OR EXISTS (SELECT 1 FROM member_fields f
            WHERE f.community_id = ?1 AND f.user_id = members.user_id AND f.key = ?4
              AND f.value = ?5))";

/// True when `filter` selects every member.
fn selects_all(filter: &MemberFilter<'_>) -> bool {
    folded(filter.query).is_none()
        && filter.group_id.is_none_or(GroupId::is_everyone)
        && filter.field.is_none()
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

    /// Fills in the groups and custom fields of members of one community (two queries).
    fn fill_members(&self, members: &mut [MemberInfo]) -> StoreResult<()> {
        let Some(first) = members.first() else {
            return Ok(());
        };
        let community_id = first.community_id.clone();
        let ids = serde_json::to_string(
            &members
                .iter()
                .map(|m| m.user_id.as_str())
                .collect::<Vec<_>>(),
        )?;
        let at: HashMap<UserId, usize> = members
            .iter()
            .enumerate()
            .map(|(i, m)| (m.user_id.clone(), i))
            .collect();
        let mut statement = self.conn.prepare_cached(
            "SELECT user_id, group_id FROM member_groups
             WHERE community_id = ?1 AND user_id IN (SELECT value FROM json_each(?2))
             ORDER BY user_id, group_id",
        )?;
        let mut rows = statement.query(params![community_id.as_str(), ids])?;
        while let Some(row) = rows.next()? {
            let user: UserId = id(row, 0)?;
            if let Some(&i) = at.get(&user) {
                members[i].groups.push(id(row, 1)?);
            }
        }
        let mut statement = self.conn.prepare_cached(
            "SELECT user_id, key, value FROM member_fields
             WHERE community_id = ?1 AND user_id IN (SELECT value FROM json_each(?2))",
        )?;
        let mut rows = statement.query(params![community_id.as_str(), ids])?;
        while let Some(row) = rows.next()? {
            let user: UserId = id(row, 0)?;
            if let Some(&i) = at.get(&user) {
                members[i].custom_fields.insert(row.get(1)?, row.get(2)?);
            }
        }
        Ok(())
    }
}

impl MemberStore for SqliteTx<'_> {
    fn member(
        &self,
        community_id: &CommunityId,
        user_id: &UserId,
    ) -> StoreResult<Option<MemberInfo>> {
        let member = self
            .conn
            .prepare_cached(&format!(
                "SELECT {MEMBER_COLUMNS} FROM members WHERE community_id = ?1 AND user_id = ?2"
            ))?
            .query_row(
                params![community_id.as_str(), user_id.as_str()],
                member_from_row,
            )
            .optional()?;
        let Some(member) = member else {
            return Ok(None);
        };
        let mut one = [member];
        self.fill_members(&mut one)?;
        let [member] = one;
        Ok(Some(member))
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

    fn set_member_field(
        &self,
        community_id: &CommunityId,
        user_id: &UserId,
        key: &str,
        value: &str,
    ) -> StoreResult<()> {
        let args = params![community_id.as_str(), user_id.as_str(), key, value];
        let sql = if value.is_empty() {
            "DELETE FROM member_fields
             WHERE community_id = ?1 AND user_id = ?2 AND key = ?3 AND ?4 = ''"
        } else {
            "INSERT INTO member_fields (community_id, user_id, key, value) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (community_id, user_id, key) DO UPDATE SET value = excluded.value"
        };
        self.conn.prepare_cached(sql)?.execute(args)?;
        Ok(())
    }

    fn delete_member(&self, community_id: &CommunityId, user_id: &UserId) -> StoreResult<bool> {
        // Groups and custom fields go with the row (foreign keys).
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
            "DELETE FROM thread_members WHERE user_id = ?2
                AND thread_id IN (SELECT channel_id FROM channels WHERE community_id = ?1)",
            "DELETE FROM read_positions WHERE user_id = ?2
                AND channel_id IN (SELECT channel_id FROM channels WHERE community_id = ?1)",
            "DELETE FROM hidden WHERE user_id = ?2
                AND channel_id IN (SELECT channel_id FROM channels WHERE community_id = ?1)",
            "DELETE FROM channel_notifications WHERE user_id = ?2
                AND channel_id IN (SELECT channel_id FROM channels WHERE community_id = ?1)",
            "DELETE FROM channel_overrides WHERE target_kind = 'member' AND target_id = ?2
                AND channel_id IN (SELECT channel_id FROM channels WHERE community_id = ?1)",
            "DELETE FROM category_overrides WHERE target_kind = 'member' AND target_id = ?2
                AND category_id IN (SELECT category_id FROM categories WHERE community_id = ?1)",
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

    fn member_ids(&self, community_id: &CommunityId) -> StoreResult<Vec<UserId>> {
        self.ids(
            "SELECT user_id FROM members WHERE community_id = ?1 ORDER BY user_id",
            community_id.as_str(),
        )
    }

    fn members_page(
        &self,
        community_id: &CommunityId,
        filter: MemberFilter<'_>,
        after: Option<(TimestampMs, &str)>,
        limit: u32,
    ) -> StoreResult<Vec<MemberInfo>> {
        let (after_ms, after_id) = after.unzip();
        let (key, value) = filter.field.unzip();
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT {MEMBER_COLUMNS} FROM members
             WHERE {MEMBER_FILTER}
               AND (?6 IS NULL OR (joined_at_ms, user_id) > (?6, ?7))
             ORDER BY joined_at_ms, user_id LIMIT ?8"
        ))?;
        let rows = statement.query_map(
            params![
                community_id.as_str(),
                folded(filter.query),
                filter.group_id.map(GroupId::as_str),
                key,
                value,
                after_ms,
                after_id,
                limit
            ],
            member_from_row,
        )?;
        let mut members: Vec<MemberInfo> = rows.collect::<Result<_, _>>()?;
        self.fill_members(&mut members)?;
        Ok(members)
    }

    fn members_count(
        &self,
        community_id: &CommunityId,
        filter: MemberFilter<'_>,
    ) -> StoreResult<u64> {
        let count: i64 = if selects_all(&filter) {
            self.conn
                .prepare_cached("SELECT member_count FROM communities WHERE community_id = ?1")?
                .query_row([community_id.as_str()], |row| row.get(0))
                .optional()?
                .unwrap_or(0)
        } else {
            let (key, value) = filter.field.unzip();
            self.conn
                .prepare_cached(&format!(
                    "SELECT COUNT(*) FROM members WHERE {MEMBER_FILTER}"
                ))?
                .query_row(
                    params![
                        community_id.as_str(),
                        folded(filter.query),
                        filter.group_id.map(GroupId::as_str),
                        key,
                        value
                    ],
                    |row| row.get(0),
                )?
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
