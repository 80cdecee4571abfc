//! Permission groups, who holds them, and the community's access stamp in SQLite.
//!
//! The `@everyone` group is a row like the others (id `everyone`, position 0); holding it
//! is implicit, so `member_groups` lists only the other groups. Deleting a group cascades
//! to its assignments (foreign key) and removes the overrides that name it.

use community_protocol::{CommunityId, Group, GroupId, UserId};
use rusqlite::{Row, params};

use super::SqliteTx;
use super::convert::{bits, enum_from, flags, id, in_row};
use crate::store::{GroupStore, MemberListRow, RankedMember, StoreResult};

const GROUP_COLUMNS: &str =
    "community_id, group_id, name, color, position, mentionable, permissions";

fn group_from_row(row: &Row<'_>) -> rusqlite::Result<Group> {
    Ok(Group {
        community_id: id(row, 0)?,
        group_id: id(row, 1)?,
        name: row.get(2)?,
        color: row.get(3)?,
        position: row.get(4)?,
        mentionable: row.get(5)?,
        permissions: flags(row.get(6)?),
    })
}

impl GroupStore for SqliteTx<'_> {
    fn groups(&self, community_id: &CommunityId) -> StoreResult<Vec<Group>> {
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT {GROUP_COLUMNS} FROM permission_groups WHERE community_id = ?1
             ORDER BY group_id <> 'everyone', position, group_id"
        ))?;
        let rows = statement.query_map([community_id.as_str()], group_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn insert_group(&self, group: &Group) -> StoreResult<()> {
        self.conn
            .prepare_cached(&format!(
                "INSERT INTO permission_groups ({GROUP_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
            ))?
            .execute(params![
                group.community_id.as_str(),
                group.group_id.as_str(),
                group.name,
                group.color,
                group.position,
                group.mentionable,
                bits(group.permissions),
            ])?;
        Ok(())
    }

    fn update_group(&self, group: &Group) -> StoreResult<()> {
        self.conn
            .prepare_cached(
                "UPDATE permission_groups SET name = ?3, color = ?4, position = ?5, mentionable = ?6,
                        permissions = ?7
                 WHERE community_id = ?1 AND group_id = ?2",
            )?
            .execute(params![
                group.community_id.as_str(),
                group.group_id.as_str(),
                group.name,
                group.color,
                group.position,
                group.mentionable,
                bits(group.permissions),
            ])?;
        Ok(())
    }

    fn delete_group(&self, community_id: &CommunityId, group_id: &GroupId) -> StoreResult<bool> {
        let args = params![community_id.as_str(), group_id.as_str()];
        for sql in [
            "DELETE FROM channel_overrides WHERE target_kind = 'group' AND target_id = ?2
                AND channel_id IN (SELECT channel_id FROM channels WHERE community_id = ?1)",
            "DELETE FROM category_overrides WHERE target_kind = 'group' AND target_id = ?2
                AND category_id IN (SELECT category_id FROM categories WHERE community_id = ?1)",
        ] {
            self.conn.prepare_cached(sql)?.execute(args)?;
        }
        let deleted = self
            .conn
            .prepare_cached(
                "DELETE FROM permission_groups WHERE community_id = ?1 AND group_id = ?2",
            )?
            .execute(args)?;
        Ok(deleted > 0)
    }

    fn assign_group(
        &self,
        community_id: &CommunityId,
        user_id: &UserId,
        group_id: &GroupId,
    ) -> StoreResult<bool> {
        let added = self
            .conn
            .prepare_cached(
                "INSERT OR IGNORE INTO member_groups (community_id, user_id, group_id)
                 VALUES (?1, ?2, ?3)",
            )?
            .execute(params![
                community_id.as_str(),
                user_id.as_str(),
                group_id.as_str()
            ])?;
        Ok(added > 0)
    }

    fn unassign_group(
        &self,
        community_id: &CommunityId,
        user_id: &UserId,
        group_id: &GroupId,
    ) -> StoreResult<bool> {
        let removed = self
            .conn
            .prepare_cached(
                "DELETE FROM member_groups WHERE community_id = ?1 AND user_id = ?2 AND group_id = ?3",
            )?
            .execute(params![
                community_id.as_str(),
                user_id.as_str(),
                group_id.as_str()
            ])?;
        Ok(removed > 0)
    }

    fn group_holders(
        &self,
        community_id: &CommunityId,
        group_id: &GroupId,
    ) -> StoreResult<Vec<UserId>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT user_id FROM member_groups WHERE community_id = ?1 AND group_id = ?2
             ORDER BY user_id",
        )?;
        let rows = statement
            .query_map(params![community_id.as_str(), group_id.as_str()], |row| {
                id(row, 0)
            })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn member_list_rows(
        &self,
        community_id: &CommunityId,
        user_id: Option<&UserId>,
    ) -> StoreResult<Vec<MemberListRow>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT m.user_id, m.nickname, COALESCE(p.display_name, ''),
                    COALESCE(p.avatar_url, ''),
                    (SELECT g.group_id FROM member_groups mg
                       JOIN permission_groups g
                         ON g.community_id = mg.community_id AND g.group_id = mg.group_id
                      WHERE mg.community_id = m.community_id AND mg.user_id = m.user_id
                      ORDER BY g.position DESC, g.group_id LIMIT 1)
               FROM members m LEFT JOIN profiles p ON p.user_id = m.user_id
              WHERE m.community_id = ?1 AND (?2 IS NULL OR m.user_id = ?2)",
        )?;
        let rows = statement.query_map(
            params![community_id.as_str(), user_id.map(UserId::as_str)],
            |row| {
                Ok(MemberListRow {
                    user_id: id(row, 0)?,
                    nickname: row.get(1)?,
                    profile_name: row.get(2)?,
                    avatar_url: row.get(3)?,
                    group_id: row.get::<_, Option<String>>(4)?.map(GroupId::from),
                })
            },
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn ranked_members(&self, community_id: &CommunityId) -> StoreResult<Vec<RankedMember>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT m.user_id, m.role, g.group_id FROM members m
               LEFT JOIN member_groups g ON g.community_id = m.community_id AND g.user_id = m.user_id
             WHERE m.community_id = ?1
               AND (m.role <> 'member' OR g.group_id IS NOT NULL)
             ORDER BY m.user_id, g.group_id",
        )?;
        let mut rows = statement.query([community_id.as_str()])?;
        let mut ranked: Vec<RankedMember> = Vec::new();
        while let Some(row) = rows.next()? {
            let user_id: UserId = id(row, 0)?;
            let group: Option<String> = row.get(2)?;
            if ranked.last().is_none_or(|last| last.user_id != user_id) {
                ranked.push(RankedMember {
                    user_id,
                    role: enum_from(&row.get::<_, String>(1)?).map_err(in_row)?,
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
            .conn
            .prepare_cached("SELECT access_stamp FROM communities WHERE community_id = ?1")?
            .query_row([community_id.as_str()], |row| row.get(0))
            .or_else(|error| match error {
                rusqlite::Error::QueryReturnedNoRows => Ok(0),
                other => Err(other),
            })?)
    }

    fn renew_access_stamp(&self, community_id: &CommunityId) -> StoreResult<()> {
        let stamp: i64 = rand::random();
        self.conn
            .prepare_cached("UPDATE communities SET access_stamp = ?2 WHERE community_id = ?1")?
            .execute(params![community_id.as_str(), stamp])?;
        Ok(())
    }
}
