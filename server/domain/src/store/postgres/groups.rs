//! Permission groups, who holds them, and the community's access stamp in PostgreSQL.
//!
//! The `@everyone` group is a row like the others (id `everyone`, position 0); holding it
//! is implicit, so `member_groups` lists only the other groups. Deleting a group cascades
//! to its assignments (foreign key) and removes the overrides that name it.

use community_protocol::{CommunityId, Group, GroupId, UserId};
use postgres::Row;
use postgres::types::ToSql;

use super::PgTx;
use super::convert::enum_from;
use super::overrides::{bits, flags};
use crate::store::{GroupStore, MemberListRow, RankedMember, StoreResult};

fn group_from_row(row: &Row) -> Group {
    Group {
        community_id: row.get::<_, String>(0).into(),
        group_id: row.get::<_, String>(1).into(),
        name: row.get(2),
        color: u32::try_from(row.get::<_, i64>(3)).unwrap_or(0),
        position: row.get(4),
        mentionable: row.get(5),
        permissions: flags(row.get(6)),
    }
}

impl GroupStore for PgTx<'_> {
    fn groups(&self, community_id: &CommunityId) -> StoreResult<Vec<Group>> {
        Ok(self
            .query(
                "SELECT community_id, group_id, name, color, position, mentionable, permissions
                 FROM permission_groups WHERE community_id = $1
                 ORDER BY group_id <> 'everyone', position, group_id",
                &[&community_id.as_str()],
            )?
            .iter()
            .map(group_from_row)
            .collect())
    }

    fn insert_group(&self, group: &Group) -> StoreResult<()> {
        self.execute(
            "INSERT INTO permission_groups (community_id, group_id, name, color, position,
                    mentionable, permissions)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &group.community_id.as_str(),
                &group.group_id.as_str(),
                &group.name,
                &i64::from(group.color),
                &group.position,
                &group.mentionable,
                &bits(group.permissions),
            ],
        )?;
        Ok(())
    }

    fn update_group(&self, group: &Group) -> StoreResult<()> {
        self.execute(
            "UPDATE permission_groups SET name = $3, color = $4, position = $5,
                    mentionable = $6, permissions = $7
             WHERE community_id = $1 AND group_id = $2",
            &[
                &group.community_id.as_str(),
                &group.group_id.as_str(),
                &group.name,
                &i64::from(group.color),
                &group.position,
                &group.mentionable,
                &bits(group.permissions),
            ],
        )?;
        Ok(())
    }

    fn delete_group(&self, community_id: &CommunityId, group_id: &GroupId) -> StoreResult<bool> {
        let args: [&(dyn ToSql + Sync); 2] = [&community_id.as_str(), &group_id.as_str()];
        for sql in [
            "DELETE FROM channel_overrides WHERE target_kind = 'group' AND target_id = $2
                AND channel_id IN (SELECT channel_id FROM channels WHERE community_id = $1)",
            "DELETE FROM category_overrides WHERE target_kind = 'group' AND target_id = $2
                AND category_id IN (SELECT category_id FROM categories WHERE community_id = $1)",
        ] {
            self.execute(sql, &args)?;
        }
        let deleted = self.execute(
            "DELETE FROM permission_groups WHERE community_id = $1 AND group_id = $2",
            &args,
        )?;
        Ok(deleted > 0)
    }

    fn assign_group(
        &self,
        community_id: &CommunityId,
        user_id: &UserId,
        group_id: &GroupId,
    ) -> StoreResult<bool> {
        let added = self.execute(
            "INSERT INTO member_groups (community_id, user_id, group_id) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
            &[
                &community_id.as_str(),
                &user_id.as_str(),
                &group_id.as_str(),
            ],
        )?;
        Ok(added > 0)
    }

    fn unassign_group(
        &self,
        community_id: &CommunityId,
        user_id: &UserId,
        group_id: &GroupId,
    ) -> StoreResult<bool> {
        let removed = self.execute(
            "DELETE FROM member_groups WHERE community_id = $1 AND user_id = $2 AND group_id = $3",
            &[
                &community_id.as_str(),
                &user_id.as_str(),
                &group_id.as_str(),
            ],
        )?;
        Ok(removed > 0)
    }

    fn group_holders(
        &self,
        community_id: &CommunityId,
        group_id: &GroupId,
    ) -> StoreResult<Vec<UserId>> {
        Ok(self
            .query(
                "SELECT user_id FROM member_groups WHERE community_id = $1 AND group_id = $2
                 ORDER BY user_id",
                &[&community_id.as_str(), &group_id.as_str()],
            )?
            .iter()
            .map(|row| UserId::from(row.get::<_, String>(0)))
            .collect())
    }

    fn member_list_rows(
        &self,
        community_id: &CommunityId,
        user_id: Option<&UserId>,
    ) -> StoreResult<Vec<MemberListRow>> {
        Ok(self
            .query(
                "SELECT m.user_id, m.nickname, COALESCE(p.display_name, ''),
                        COALESCE(p.avatar_url, ''),
                        (SELECT g.group_id FROM member_groups mg
                           JOIN permission_groups g
                             ON g.community_id = mg.community_id AND g.group_id = mg.group_id
                          WHERE mg.community_id = m.community_id AND mg.user_id = m.user_id
                          ORDER BY g.position DESC, g.group_id LIMIT 1)
                   FROM members m LEFT JOIN profiles p ON p.user_id = m.user_id
                  WHERE m.community_id = $1 AND ($2::text IS NULL OR m.user_id = $2::text)",
                &[&community_id.as_str(), &user_id.map(UserId::as_str)],
            )?
            .iter()
            .map(|row| MemberListRow {
                user_id: row.get::<_, String>(0).into(),
                nickname: row.get(1),
                profile_name: row.get(2),
                avatar_url: row.get(3),
                group_id: row.get::<_, Option<String>>(4).map(GroupId::from),
            })
            .collect())
    }

    fn ranked_members(&self, community_id: &CommunityId) -> StoreResult<Vec<RankedMember>> {
        let rows = self.query(
            "SELECT m.user_id, m.role, g.group_id FROM members m
               LEFT JOIN member_groups g
                 ON g.community_id = m.community_id AND g.user_id = m.user_id
             WHERE m.community_id = $1
               AND (m.role <> 'member' OR g.group_id IS NOT NULL)
             ORDER BY m.user_id, g.group_id",
            &[&community_id.as_str()],
        )?;
        let mut ranked: Vec<RankedMember> = Vec::new();
        for row in rows {
            let user_id = UserId::from(row.get::<_, String>(0));
            let group: Option<String> = row.get(2);
            if ranked.last().is_none_or(|last| last.user_id != user_id) {
                ranked.push(RankedMember {
                    user_id,
                    role: enum_from(row.get::<_, &str>(1))?,
                    groups: Vec::new(),
                });
            }
            if let (Some(last), Some(group)) = (ranked.last_mut(), group) {
                last.groups.push(GroupId::from(group));
            }
        }
        Ok(ranked)
    }

    fn access_stamp(&self, community_id: &CommunityId) -> StoreResult<i64> {
        Ok(self
            .query_opt(
                "SELECT access_stamp FROM communities WHERE community_id = $1",
                &[&community_id.as_str()],
            )?
            .map_or(0, |row| row.get(0)))
    }

    fn renew_access_stamp(&self, community_id: &CommunityId) -> StoreResult<()> {
        let stamp: i64 = rand::random();
        self.execute(
            "UPDATE communities SET access_stamp = $2 WHERE community_id = $1",
            &[&community_id.as_str(), &stamp],
        )?;
        Ok(())
    }
}
