//! Memberships (with their groups and custom fields), join requests and notification
//! settings in PostgreSQL.
//!
//! A member is read with its groups and custom fields; a page of members gets them in two
//! more queries for the whole page (`= ANY($2)` over the page's ids), never two per member.

use std::collections::HashMap;

use community_protocol::{
    CommunityId, GroupId, JoinRequest, MemberInfo, NotificationStatus, TimestampMs, UserId,
};
use postgres::Row;

use super::PgTx;
use super::convert::{enum_from, enum_text, unsigned};
use crate::StoreError;
use crate::store::{MemberFilter, MemberStore, StoreResult};

fn member_from_row(row: &Row) -> Result<MemberInfo, StoreError> {
    Ok(MemberInfo {
        community_id: row.get::<_, String>(0).into(),
        user_id: row.get::<_, String>(1).into(),
        role: enum_from(row.get::<_, &str>(2))?,
        nickname: row.get(3),
        joined_at_ms: row.get(4),
        muted_until_ms: row.get(5),
        groups: Vec::new(),
        custom_fields: Default::default(),
    })
}

/// The `WHERE` conditions of a member list (`$1` community, `$2` folded query, `$3`
/// group, `$4` field key, `$5` field value; each condition is off when its parameter is
/// NULL), spelled out in every statement below (statements are `&'static str`).
macro_rules! member_filter {
    () => {
        "community_id = $1
        AND ($2::text IS NULL OR strpos(fold_case(user_id), $2::text) > 0
             OR strpos(fold_case(nickname), $2::text) > 0
             OR EXISTS (SELECT 1 FROM profiles p WHERE p.user_id = members.user_id
                        AND strpos(fold_case(p.display_name), $2::text) > 0))
        AND ($3::text IS NULL OR $3::text = 'everyone' OR EXISTS (SELECT 1 FROM member_groups g
                WHERE g.community_id = $1 AND g.user_id = members.user_id
                  AND g.group_id = $3::text))
        AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM member_fields f
                WHERE f.community_id = $1 AND f.user_id = members.user_id
                  AND f.key = $4::text AND f.value = $5::text))"
    };
}

/// True when `filter` selects every member.
fn selects_all(filter: &MemberFilter<'_>) -> bool {
    folded(filter.query).is_none()
        && filter.group_id.is_none_or(GroupId::is_everyone)
        && filter.field.is_none()
}

fn join_request_from_row(row: &Row) -> JoinRequest {
    JoinRequest {
        community_id: row.get::<_, String>(0).into(),
        user_id: row.get::<_, String>(1).into(),
        message: row.get(2),
        requested_at_ms: row.get(3),
    }
}

/// The search text, case-folded like the `fold_case` SQL function; `None` matches all.
fn folded(query: Option<&str>) -> Option<String> {
    query.filter(|q| !q.is_empty()).map(str::to_lowercase)
}

impl PgTx<'_> {
    /// The first column of every row of `sql` (one text parameter), as typed ids.
    pub(super) fn ids<T: From<String>>(&self, sql: &str, key: &str) -> StoreResult<Vec<T>> {
        Ok(self
            .query(sql, &[&key])?
            .iter()
            .map(|row| T::from(row.get::<_, String>(0)))
            .collect())
    }

    /// Fills in the groups and custom fields of members of one community (two queries).
    fn fill_members(&self, members: &mut [MemberInfo]) -> StoreResult<()> {
        let Some(first) = members.first() else {
            return Ok(());
        };
        let community_id = first.community_id.clone();
        let ids: Vec<&str> = members.iter().map(|m| m.user_id.as_str()).collect();
        let at: HashMap<String, usize> = members
            .iter()
            .enumerate()
            .map(|(i, m)| (m.user_id.as_str().to_owned(), i))
            .collect();
        let groups = self.query(
            "SELECT user_id, group_id FROM member_groups
             WHERE community_id = $1 AND user_id = ANY($2)
             ORDER BY user_id, group_id",
            &[&community_id.as_str(), &ids],
        )?;
        let fields = self.query(
            "SELECT user_id, key, value FROM member_fields
             WHERE community_id = $1 AND user_id = ANY($2)",
            &[&community_id.as_str(), &ids],
        )?;
        for row in groups {
            if let Some(&i) = at.get(row.get::<_, &str>(0)) {
                members[i].groups.push(row.get::<_, String>(1).into());
            }
        }
        for row in fields {
            if let Some(&i) = at.get(row.get::<_, &str>(0)) {
                members[i].custom_fields.insert(row.get(1), row.get(2));
            }
        }
        Ok(())
    }
}

impl MemberStore for PgTx<'_> {
    fn member(
        &self,
        community_id: &CommunityId,
        user_id: &UserId,
    ) -> StoreResult<Option<MemberInfo>> {
        let Some(row) = self.query_opt(
            "SELECT community_id, user_id, role, nickname, joined_at_ms, muted_until_ms
             FROM members WHERE community_id = $1 AND user_id = $2",
            &[&community_id.as_str(), &user_id.as_str()],
        )?
        else {
            return Ok(None);
        };
        let mut one = [member_from_row(&row)?];
        self.fill_members(&mut one)?;
        let [member] = one;
        Ok(Some(member))
    }

    fn insert_member(&self, member: &MemberInfo) -> StoreResult<()> {
        self.execute(
            "INSERT INTO members (community_id, user_id, role, nickname, joined_at_ms,
                    muted_until_ms)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &member.community_id.as_str(),
                &member.user_id.as_str(),
                &enum_text(&member.role)?,
                &member.nickname,
                &member.joined_at_ms,
                &member.muted_until_ms,
            ],
        )?;
        self.execute(
            "UPDATE communities SET member_count = member_count + 1 WHERE community_id = $1",
            &[&member.community_id.as_str()],
        )?;
        Ok(())
    }

    fn update_member(&self, member: &MemberInfo) -> StoreResult<()> {
        self.execute(
            "UPDATE members SET role = $3, nickname = $4, muted_until_ms = $5
             WHERE community_id = $1 AND user_id = $2",
            &[
                &member.community_id.as_str(),
                &member.user_id.as_str(),
                &enum_text(&member.role)?,
                &member.nickname,
                &member.muted_until_ms,
            ],
        )?;
        Ok(())
    }

    fn set_member_field(
        &self,
        community_id: &CommunityId,
        user_id: &UserId,
        key: &str,
        value: &str,
    ) -> StoreResult<()> {
        if value.is_empty() {
            self.execute(
                "DELETE FROM member_fields WHERE community_id = $1 AND user_id = $2 AND key = $3",
                &[&community_id.as_str(), &user_id.as_str(), &key],
            )?;
        } else {
            self.execute(
                "INSERT INTO member_fields (community_id, user_id, key, value)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (community_id, user_id, key) DO UPDATE SET value = excluded.value",
                &[&community_id.as_str(), &user_id.as_str(), &key, &value],
            )?;
        }
        Ok(())
    }

    fn delete_member(&self, community_id: &CommunityId, user_id: &UserId) -> StoreResult<bool> {
        // Groups and custom fields go with the row (foreign keys).
        let args: [&(dyn postgres::types::ToSql + Sync); 2] =
            [&community_id.as_str(), &user_id.as_str()];
        let deleted = self.execute(
            "DELETE FROM members WHERE community_id = $1 AND user_id = $2",
            &args,
        )?;
        if deleted == 0 {
            return Ok(false);
        }
        for sql in [
            "DELETE FROM channel_members WHERE user_id = $2
                AND channel_id IN (SELECT channel_id FROM channels WHERE community_id = $1)",
            "DELETE FROM thread_members WHERE user_id = $2
                AND thread_id IN (SELECT channel_id FROM channels WHERE community_id = $1)",
            "DELETE FROM read_positions WHERE user_id = $2
                AND channel_id IN (SELECT channel_id FROM channels WHERE community_id = $1)",
            "DELETE FROM hidden WHERE user_id = $2
                AND channel_id IN (SELECT channel_id FROM channels WHERE community_id = $1)",
            "DELETE FROM channel_notifications WHERE user_id = $2
                AND channel_id IN (SELECT channel_id FROM channels WHERE community_id = $1)",
            "DELETE FROM channel_overrides WHERE target_kind = 'member' AND target_id = $2
                AND channel_id IN (SELECT channel_id FROM channels WHERE community_id = $1)",
            "DELETE FROM category_overrides WHERE target_kind = 'member' AND target_id = $2
                AND category_id IN (SELECT category_id FROM categories WHERE community_id = $1)",
            "DELETE FROM notification_settings WHERE community_id = $1 AND user_id = $2",
        ] {
            self.execute(sql, &args)?;
        }
        self.execute(
            "UPDATE communities SET member_count = member_count - 1 WHERE community_id = $1",
            &[&community_id.as_str()],
        )?;
        Ok(true)
    }

    fn joined_count(&self, user_id: &UserId) -> StoreResult<u64> {
        let row = self.query_one(
            "SELECT COUNT(*) FROM members WHERE user_id = $1",
            &[&user_id.as_str()],
        )?;
        Ok(unsigned(row.get(0)))
    }

    fn joined_page(
        &self,
        user_id: &UserId,
        after: Option<(TimestampMs, &str)>,
        limit: u32,
    ) -> StoreResult<Vec<(TimestampMs, CommunityId)>> {
        let (after_ms, after_id) = after.unzip();
        let rows = self.query(
            "SELECT joined_at_ms, community_id FROM members
             WHERE user_id = $1
               AND ($2::bigint IS NULL OR (joined_at_ms, community_id) > ($2::bigint, $3::text))
             ORDER BY joined_at_ms, community_id LIMIT $4",
            &[&user_id.as_str(), &after_ms, &after_id, &i64::from(limit)],
        )?;
        Ok(rows
            .iter()
            .map(|row| (row.get(0), row.get::<_, String>(1).into()))
            .collect())
    }

    fn joined_ids(&self, user_id: &UserId) -> StoreResult<Vec<CommunityId>> {
        self.ids(
            "SELECT community_id FROM members WHERE user_id = $1 ORDER BY joined_at_ms, community_id",
            user_id.as_str(),
        )
    }

    fn member_ids(&self, community_id: &CommunityId) -> StoreResult<Vec<UserId>> {
        self.ids(
            "SELECT user_id FROM members WHERE community_id = $1 ORDER BY user_id",
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
        let rows = self.query(
            concat!(
                "SELECT community_id, user_id, role, nickname, joined_at_ms, muted_until_ms
                 FROM members WHERE ",
                member_filter!(),
                " AND ($6::bigint IS NULL OR (joined_at_ms, user_id) > ($6::bigint, $7::text))
                 ORDER BY joined_at_ms, user_id LIMIT $8"
            ),
            &[
                &community_id.as_str(),
                &folded(filter.query),
                &filter.group_id.map(GroupId::as_str),
                &key,
                &value,
                &after_ms,
                &after_id,
                &i64::from(limit),
            ],
        )?;
        let mut members = rows
            .iter()
            .map(member_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        self.fill_members(&mut members)?;
        Ok(members)
    }

    fn members_count(
        &self,
        community_id: &CommunityId,
        filter: MemberFilter<'_>,
    ) -> StoreResult<u64> {
        let count: i64 = if selects_all(&filter) {
            self.query_opt(
                "SELECT member_count FROM communities WHERE community_id = $1",
                &[&community_id.as_str()],
            )?
            .map_or(0, |row| row.get(0))
        } else {
            let (key, value) = filter.field.unzip();
            self.query_one(
                concat!("SELECT COUNT(*) FROM members WHERE ", member_filter!()),
                &[
                    &community_id.as_str(),
                    &folded(filter.query),
                    &filter.group_id.map(GroupId::as_str),
                    &key,
                    &value,
                ],
            )?
            .get(0)
        };
        Ok(unsigned(count))
    }

    fn join_request(
        &self,
        community_id: &CommunityId,
        user_id: &UserId,
    ) -> StoreResult<Option<JoinRequest>> {
        Ok(self
            .query_opt(
                "SELECT community_id, user_id, message, requested_at_ms FROM join_requests
                 WHERE community_id = $1 AND user_id = $2",
                &[&community_id.as_str(), &user_id.as_str()],
            )?
            .as_ref()
            .map(join_request_from_row))
    }

    fn insert_join_request(&self, request: &JoinRequest) -> StoreResult<()> {
        self.execute(
            "INSERT INTO join_requests (community_id, user_id, message, requested_at_ms)
             VALUES ($1, $2, $3, $4)",
            &[
                &request.community_id.as_str(),
                &request.user_id.as_str(),
                &request.message,
                &request.requested_at_ms,
            ],
        )?;
        Ok(())
    }

    fn delete_join_request(
        &self,
        community_id: &CommunityId,
        user_id: &UserId,
    ) -> StoreResult<bool> {
        let deleted = self.execute(
            "DELETE FROM join_requests WHERE community_id = $1 AND user_id = $2",
            &[&community_id.as_str(), &user_id.as_str()],
        )?;
        Ok(deleted > 0)
    }

    fn join_requests(&self, community_id: &CommunityId) -> StoreResult<Vec<JoinRequest>> {
        Ok(self
            .query(
                "SELECT community_id, user_id, message, requested_at_ms FROM join_requests
                 WHERE community_id = $1 ORDER BY requested_at_ms, user_id",
                &[&community_id.as_str()],
            )?
            .iter()
            .map(join_request_from_row)
            .collect())
    }

    fn notification(
        &self,
        user_id: &UserId,
        community_id: &CommunityId,
    ) -> StoreResult<NotificationStatus> {
        match self.query_opt(
            "SELECT status FROM notification_settings WHERE user_id = $1 AND community_id = $2",
            &[&user_id.as_str(), &community_id.as_str()],
        )? {
            Some(row) => enum_from(row.get::<_, &str>(0)),
            None => Ok(NotificationStatus::default()),
        }
    }

    fn set_notification(
        &self,
        user_id: &UserId,
        community_id: &CommunityId,
        status: NotificationStatus,
    ) -> StoreResult<()> {
        self.execute(
            "INSERT INTO notification_settings (user_id, community_id, status) VALUES ($1, $2, $3)
             ON CONFLICT (user_id, community_id) DO UPDATE SET status = excluded.status",
            &[
                &user_id.as_str(),
                &community_id.as_str(),
                &enum_text(&status)?,
            ],
        )?;
        Ok(())
    }
}
