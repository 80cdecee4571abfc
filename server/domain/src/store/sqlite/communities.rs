//! Communities and their custom attributes in SQLite.

use std::collections::BTreeMap;

use community_protocol::{CommunityId, CommunityInfo};
use rusqlite::{OptionalExtension, params};

use super::SqliteTx;
use super::convert::{enum_from, enum_text, id, in_row, signed, unsigned};
use crate::store::{CommunityStore, StoreResult};

impl CommunityStore for SqliteTx<'_> {
    fn communities_above(&self, members: u64) -> StoreResult<Vec<CommunityId>> {
        let mut statement = self
            .conn
            .prepare_cached("SELECT community_id FROM communities WHERE member_count > ?1")?;
        let rows = statement.query_map([signed(members)], |row| id(row, 0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn community_ids_after(
        &self,
        after: Option<&CommunityId>,
        limit: u32,
    ) -> StoreResult<Vec<CommunityId>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT community_id FROM communities WHERE community_id > ?1
                    AND community_id NOT LIKE '@%'
             ORDER BY community_id LIMIT ?2",
        )?;
        let after = after.map_or("", CommunityId::as_str);
        let rows = statement.query_map(params![after, i64::from(limit)], |row| id(row, 0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn community(&self, community_id: &CommunityId) -> StoreResult<Option<CommunityInfo>> {
        let info = self
            .conn
            .prepare_cached(
                "SELECT community_id, name, avatar_url, notice, owner_id, join_policy, mute_all,
                        member_count, default_channel_id, created_at_ms, version, system_messages
                 FROM communities WHERE community_id = ?1",
            )?
            .query_row([community_id.as_str()], |row| {
                Ok(CommunityInfo {
                    community_id: id(row, 0)?,
                    name: row.get(1)?,
                    avatar_url: row.get(2)?,
                    notice: row.get(3)?,
                    owner_id: id(row, 4)?,
                    join_policy: enum_from(&row.get::<_, String>(5)?).map_err(in_row)?,
                    mute_all: row.get(6)?,
                    member_count: unsigned(row.get(7)?),
                    attributes: BTreeMap::new(),
                    default_channel_id: id(row, 8)?,
                    created_at_ms: row.get(9)?,
                    version: unsigned(row.get(10)?),
                    system_messages: row.get(11)?,
                })
            })
            .optional()?;
        let Some(mut info) = info else {
            return Ok(None);
        };
        let mut statement = self
            .conn
            .prepare_cached("SELECT key, value FROM attributes WHERE community_id = ?1")?;
        let rows = statement.query_map([community_id.as_str()], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?;
        for row in rows {
            let (key, value): (String, String) = row?;
            info.attributes.insert(key, value);
        }
        Ok(Some(info))
    }

    fn insert_community(&self, info: &CommunityInfo) -> StoreResult<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO communities (community_id, name, avatar_url, notice, owner_id, join_policy,
                        mute_all, member_count, default_channel_id, created_at_ms, version,
                        system_messages)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                info.community_id.as_str(),
                info.name,
                info.avatar_url,
                info.notice,
                info.owner_id.as_str(),
                enum_text(&info.join_policy)?,
                info.mute_all,
                info.default_channel_id.as_str(),
                info.created_at_ms,
                signed(info.version),
                info.system_messages,
            ])?;
        for (key, value) in &info.attributes {
            self.set_attribute(&info.community_id, key, value)?;
        }
        Ok(())
    }

    fn update_community(&self, info: &CommunityInfo) -> StoreResult<()> {
        self.conn
            .prepare_cached(
                "UPDATE communities SET name = ?2, avatar_url = ?3, notice = ?4, owner_id = ?5,
                        join_policy = ?6, mute_all = ?7, version = ?8, system_messages = ?9
                 WHERE community_id = ?1",
            )?
            .execute(params![
                info.community_id.as_str(),
                info.name,
                info.avatar_url,
                info.notice,
                info.owner_id.as_str(),
                enum_text(&info.join_policy)?,
                info.mute_all,
                signed(info.version),
                info.system_messages,
            ])?;
        Ok(())
    }

    fn delete_community(&self, community_id: &CommunityId) -> StoreResult<bool> {
        // Foreign keys cascade to members, channels, messages, read positions and the rest.
        let deleted = self
            .conn
            .prepare_cached("DELETE FROM communities WHERE community_id = ?1")?
            .execute([community_id.as_str()])?;
        Ok(deleted > 0)
    }

    fn set_attribute(&self, community_id: &CommunityId, key: &str, value: &str) -> StoreResult<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO attributes (community_id, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT (community_id, key) DO UPDATE SET value = excluded.value",
            )?
            .execute(params![community_id.as_str(), key, value])?;
        Ok(())
    }

    fn delete_attribute(&self, community_id: &CommunityId, key: &str) -> StoreResult<bool> {
        let deleted = self
            .conn
            .prepare_cached("DELETE FROM attributes WHERE community_id = ?1 AND key = ?2")?
            .execute(params![community_id.as_str(), key])?;
        Ok(deleted > 0)
    }
}
