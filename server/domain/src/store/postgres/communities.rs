//! Communities and their custom attributes in PostgreSQL.

use std::collections::BTreeMap;

use community_protocol::{CommunityId, CommunityInfo};

use super::PgTx;
use super::convert::{enum_from, enum_text, signed, unsigned};
use crate::store::{CommunityStore, StoreResult};

impl CommunityStore for PgTx<'_> {
    fn communities_above(&self, members: u64) -> StoreResult<Vec<CommunityId>> {
        let rows = self.query(
            "SELECT community_id FROM communities WHERE member_count > $1",
            &[&signed(members)],
        )?;
        Ok(rows
            .iter()
            .map(|row| row.get::<_, String>(0).into())
            .collect())
    }

    fn community_ids_after(
        &self,
        after: Option<&CommunityId>,
        limit: u32,
    ) -> StoreResult<Vec<CommunityId>> {
        let after = after.map_or("", CommunityId::as_str);
        let rows = self.query(
            "SELECT community_id FROM communities WHERE community_id > $1
                    AND community_id NOT LIKE '@%'
             ORDER BY community_id COLLATE \"C\" LIMIT $2",
            &[&after, &i64::from(limit)],
        )?;
        Ok(rows
            .iter()
            .map(|row| row.get::<_, String>(0).into())
            .collect())
    }

    fn community(&self, community_id: &CommunityId) -> StoreResult<Option<CommunityInfo>> {
        let Some(row) = self.query_opt(
            "SELECT community_id, name, avatar_url, notice, owner_id, join_policy, mute_all,
                    member_count, default_channel_id, created_at_ms, version, system_messages
             FROM communities WHERE community_id = $1",
            &[&community_id.as_str()],
        )?
        else {
            return Ok(None);
        };
        let mut info = CommunityInfo {
            community_id: row.get::<_, String>(0).into(),
            name: row.get(1),
            avatar_url: row.get(2),
            notice: row.get(3),
            owner_id: row.get::<_, String>(4).into(),
            join_policy: enum_from(row.get::<_, &str>(5))?,
            mute_all: row.get(6),
            member_count: unsigned(row.get(7)),
            attributes: BTreeMap::new(),
            default_channel_id: row.get::<_, String>(8).into(),
            created_at_ms: row.get(9),
            version: unsigned(row.get(10)),
            system_messages: row.get(11),
        };
        for row in self.query(
            "SELECT key, value FROM attributes WHERE community_id = $1",
            &[&community_id.as_str()],
        )? {
            info.attributes.insert(row.get(0), row.get(1));
        }
        Ok(Some(info))
    }

    fn insert_community(&self, info: &CommunityInfo) -> StoreResult<()> {
        self.execute(
            "INSERT INTO communities (community_id, name, avatar_url, notice, owner_id,
                    join_policy, mute_all, member_count, default_channel_id, created_at_ms,
                    version, system_messages, access_stamp)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, $10, $11, $12)",
            &[
                &info.community_id.as_str(),
                &info.name,
                &info.avatar_url,
                &info.notice,
                &info.owner_id.as_str(),
                &enum_text(&info.join_policy)?,
                &info.mute_all,
                &info.default_channel_id.as_str(),
                &info.created_at_ms,
                &signed(info.version),
                &info.system_messages,
                &0_i64,
            ],
        )?;
        for (key, value) in &info.attributes {
            self.set_attribute(&info.community_id, key, value)?;
        }
        Ok(())
    }

    fn update_community(&self, info: &CommunityInfo) -> StoreResult<()> {
        self.execute(
            "UPDATE communities SET name = $2, avatar_url = $3, notice = $4, owner_id = $5,
                    join_policy = $6, mute_all = $7, version = $8, system_messages = $9
             WHERE community_id = $1",
            &[
                &info.community_id.as_str(),
                &info.name,
                &info.avatar_url,
                &info.notice,
                &info.owner_id.as_str(),
                &enum_text(&info.join_policy)?,
                &info.mute_all,
                &signed(info.version),
                &info.system_messages,
            ],
        )?;
        Ok(())
    }

    fn delete_community(&self, community_id: &CommunityId) -> StoreResult<bool> {
        // Foreign keys cascade to members, channels, messages, read positions and the rest.
        let deleted = self.execute(
            "DELETE FROM communities WHERE community_id = $1",
            &[&community_id.as_str()],
        )?;
        Ok(deleted > 0)
    }

    fn set_attribute(&self, community_id: &CommunityId, key: &str, value: &str) -> StoreResult<()> {
        self.execute(
            "INSERT INTO attributes (community_id, key, value) VALUES ($1, $2, $3)
             ON CONFLICT (community_id, key) DO UPDATE SET value = excluded.value",
            &[&community_id.as_str(), &key, &value],
        )?;
        Ok(())
    }

    fn delete_attribute(&self, community_id: &CommunityId, key: &str) -> StoreResult<bool> {
        let deleted = self.execute(
            "DELETE FROM attributes WHERE community_id = $1 AND key = $2",
            &[&community_id.as_str(), &key],
        )?;
        Ok(deleted > 0)
    }
}
