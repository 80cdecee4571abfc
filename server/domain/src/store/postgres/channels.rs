//! Channels, categories and private channel memberships in PostgreSQL. Channels and
//! categories are read with their overrides (one more query for a whole community).
//! Threads are rows of `channels` too (with a `parent_channel_id`): every query here
//! leaves them out.

use std::collections::HashMap;

use community_protocol::{
    CategoryId, CategoryInfo, ChannelId, ChannelInfo, CommunityId, Override, TimestampMs, UserId,
};
use postgres::Row;

use super::PgTx;
use super::convert::{enum_from, enum_text, unsigned};
use super::overrides::override_from_row;
use crate::StoreError;
use crate::store::{ChannelRecord, ChannelStore, OverrideStore, StoreResult};

/// The columns [`channel_from_row`] reads.
macro_rules! channel_columns {
    () => {
        "community_id, channel_id, name, introduction, notice, custom, kind, category_id,
         position, private, is_default, created_at_ms, last_seq, last_activity_ms, change_seq,
         mute_all, follows_category"
    };
}

impl PgTx<'_> {
    fn community_overrides(
        &self,
        sql: &str,
        community_id: &CommunityId,
    ) -> StoreResult<HashMap<String, Vec<Override>>> {
        let mut by_scope: HashMap<String, Vec<Override>> = HashMap::new();
        for row in self.query(sql, &[&community_id.as_str()])? {
            by_scope
                .entry(row.get(0))
                .or_default()
                .push(override_from_row(&row, 1)?);
        }
        Ok(by_scope)
    }
}

/// A channel from the columns of `channel_columns!`.
pub(super) fn channel_from_row(row: &Row) -> Result<ChannelRecord, StoreError> {
    Ok(ChannelRecord {
        info: ChannelInfo {
            community_id: row.get::<_, String>(0).into(),
            channel_id: row.get::<_, String>(1).into(),
            name: row.get(2),
            introduction: row.get(3),
            notice: row.get(4),
            custom: row.get(5),
            kind: enum_from(row.get::<_, &str>(6))?,
            category_id: row.get::<_, Option<String>>(7).map(CategoryId::from),
            position: row.get(8),
            private: row.get(9),
            is_default: row.get(10),
            created_at_ms: row.get(11),
            overrides: Vec::new(),
            mute_all: row.get(15),
            follows_category: row.get(16),
        },
        last_seq: unsigned(row.get(12)),
        last_activity_ms: row.get(13),
        change_seq: unsigned(row.get(14)),
        thread: None,
    })
}

fn category_from_row(row: &Row) -> CategoryInfo {
    CategoryInfo {
        community_id: row.get::<_, String>(0).into(),
        category_id: row.get::<_, String>(1).into(),
        name: row.get(2),
        position: row.get(3),
        overrides: Vec::new(),
    }
}

impl ChannelStore for PgTx<'_> {
    fn channel(
        &self,
        community_id: &CommunityId,
        channel_id: &ChannelId,
    ) -> StoreResult<Option<ChannelRecord>> {
        let Some(row) = self.query_opt(
            concat!(
                "SELECT ",
                channel_columns!(),
                " FROM channels
                 WHERE channel_id = $2 AND community_id = $1 AND parent_channel_id IS NULL"
            ),
            &[&community_id.as_str(), &channel_id.as_str()],
        )?
        else {
            return Ok(None);
        };
        let mut record = channel_from_row(&row)?;
        record.info.overrides = self.channel_overrides(channel_id)?;
        Ok(Some(record))
    }

    fn channels(&self, community_id: &CommunityId) -> StoreResult<Vec<ChannelRecord>> {
        let mut records = self
            .query(
                concat!(
                    "SELECT ",
                    channel_columns!(),
                    " FROM channels WHERE community_id = $1 AND parent_channel_id IS NULL
                     ORDER BY position, created_at_ms, channel_id"
                ),
                &[&community_id.as_str()],
            )?
            .iter()
            .map(channel_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let mut overrides = self.community_overrides(
            "SELECT o.channel_id, o.target_kind, o.target_id, o.allow, o.deny
             FROM channel_overrides o JOIN channels c ON c.channel_id = o.channel_id
             WHERE c.community_id = $1 ORDER BY o.target_kind, o.target_id",
            community_id,
        )?;
        for record in &mut records {
            if let Some(found) = overrides.remove(record.info.channel_id.as_str()) {
                record.info.overrides = found;
            }
        }
        Ok(records)
    }

    fn channel_count(&self, community_id: &CommunityId) -> StoreResult<u64> {
        let row = self.query_one(
            "SELECT COUNT(*) FROM channels WHERE community_id = $1 AND parent_channel_id IS NULL",
            &[&community_id.as_str()],
        )?;
        Ok(unsigned(row.get(0)))
    }

    fn insert_channel(&self, info: &ChannelInfo) -> StoreResult<()> {
        self.execute(
            concat!(
                "INSERT INTO channels (",
                channel_columns!(),
                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, $12, 0, $13, $14)"
            ),
            &[
                &info.community_id.as_str(),
                &info.channel_id.as_str(),
                &info.name,
                &info.introduction,
                &info.notice,
                &info.custom,
                &enum_text(&info.kind)?,
                &info.category_id.as_ref().map(CategoryId::as_str),
                &info.position,
                &info.private,
                &info.is_default,
                &info.created_at_ms,
                &info.mute_all,
                &info.follows_category,
            ],
        )?;
        for rule in &info.overrides {
            self.set_channel_override(&info.channel_id, rule)?;
        }
        Ok(())
    }

    fn update_channel(&self, info: &ChannelInfo) -> StoreResult<()> {
        self.execute(
            "UPDATE channels SET name = $2, introduction = $3, notice = $4, custom = $5,
                    kind = $6, category_id = $7, position = $8, private = $9, mute_all = $10,
                    follows_category = $11
             WHERE channel_id = $1",
            &[
                &info.channel_id.as_str(),
                &info.name,
                &info.introduction,
                &info.notice,
                &info.custom,
                &enum_text(&info.kind)?,
                &info.category_id.as_ref().map(CategoryId::as_str),
                &info.position,
                &info.private,
                &info.mute_all,
                &info.follows_category,
            ],
        )?;
        Ok(())
    }

    fn delete_channel(&self, channel_id: &ChannelId) -> StoreResult<bool> {
        // Foreign keys cascade to messages, keys, mentions, read positions and members, and
        // to the channel's threads with theirs.
        let deleted = self.execute(
            "DELETE FROM channels WHERE channel_id = $1 AND parent_channel_id IS NULL",
            &[&channel_id.as_str()],
        )?;
        Ok(deleted > 0)
    }

    fn next_channel_position(
        &self,
        community_id: &CommunityId,
        category_id: Option<&CategoryId>,
    ) -> StoreResult<i64> {
        let max: Option<i64> = self
            .query_one(
                "SELECT MAX(position) FROM channels
                 WHERE community_id = $1 AND category_id IS NOT DISTINCT FROM $2::text
                   AND parent_channel_id IS NULL",
                &[&community_id.as_str(), &category_id.map(CategoryId::as_str)],
            )?
            .get(0);
        Ok(max.map_or(0, |m| m.saturating_add(1)))
    }

    fn channel_member_ids(&self, channel_id: &ChannelId) -> StoreResult<Vec<UserId>> {
        self.ids(
            "SELECT user_id FROM channel_members WHERE channel_id = $1 ORDER BY user_id",
            channel_id.as_str(),
        )
    }

    fn is_channel_member(&self, channel_id: &ChannelId, user_id: &UserId) -> StoreResult<bool> {
        Ok(self
            .query_opt(
                "SELECT 1 FROM channel_members WHERE channel_id = $1 AND user_id = $2",
                &[&channel_id.as_str(), &user_id.as_str()],
            )?
            .is_some())
    }

    fn add_channel_member(&self, channel_id: &ChannelId, user_id: &UserId) -> StoreResult<bool> {
        let added = self.execute(
            "INSERT INTO channel_members (channel_id, user_id) VALUES ($1, $2)
             ON CONFLICT DO NOTHING",
            &[&channel_id.as_str(), &user_id.as_str()],
        )?;
        Ok(added > 0)
    }

    fn remove_channel_member(&self, channel_id: &ChannelId, user_id: &UserId) -> StoreResult<bool> {
        let removed = self.execute(
            "DELETE FROM channel_members WHERE channel_id = $1 AND user_id = $2",
            &[&channel_id.as_str(), &user_id.as_str()],
        )?;
        Ok(removed > 0)
    }

    fn categories(&self, community_id: &CommunityId) -> StoreResult<Vec<CategoryInfo>> {
        let mut categories: Vec<CategoryInfo> = self
            .query(
                "SELECT community_id, category_id, name, position FROM categories
                 WHERE community_id = $1 ORDER BY position, created_at_ms, category_id",
                &[&community_id.as_str()],
            )?
            .iter()
            .map(category_from_row)
            .collect();
        let mut overrides = self.community_overrides(
            "SELECT o.category_id, o.target_kind, o.target_id, o.allow, o.deny
             FROM category_overrides o JOIN categories c ON c.category_id = o.category_id
             WHERE c.community_id = $1 ORDER BY o.target_kind, o.target_id",
            community_id,
        )?;
        for category in &mut categories {
            if let Some(found) = overrides.remove(category.category_id.as_str()) {
                category.overrides = found;
            }
        }
        Ok(categories)
    }

    fn category(
        &self,
        community_id: &CommunityId,
        category_id: &CategoryId,
    ) -> StoreResult<Option<CategoryInfo>> {
        let Some(row) = self.query_opt(
            "SELECT community_id, category_id, name, position FROM categories
             WHERE category_id = $2 AND community_id = $1",
            &[&community_id.as_str(), &category_id.as_str()],
        )?
        else {
            return Ok(None);
        };
        let mut category = category_from_row(&row);
        category.overrides = self.category_overrides(category_id)?;
        Ok(Some(category))
    }

    fn insert_category(
        &self,
        category: &CategoryInfo,
        created_at_ms: TimestampMs,
    ) -> StoreResult<()> {
        self.execute(
            "INSERT INTO categories (community_id, category_id, name, position, created_at_ms)
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &category.community_id.as_str(),
                &category.category_id.as_str(),
                &category.name,
                &category.position,
                &created_at_ms,
            ],
        )?;
        Ok(())
    }

    fn update_category(&self, category: &CategoryInfo) -> StoreResult<()> {
        self.execute(
            "UPDATE categories SET name = $2, position = $3 WHERE category_id = $1",
            &[
                &category.category_id.as_str(),
                &category.name,
                &category.position,
            ],
        )?;
        Ok(())
    }

    fn delete_category(
        &self,
        community_id: &CommunityId,
        category_id: &CategoryId,
    ) -> StoreResult<bool> {
        // The foreign key sets the category of its channels to NULL.
        let deleted = self.execute(
            "DELETE FROM categories WHERE community_id = $1 AND category_id = $2",
            &[&community_id.as_str(), &category_id.as_str()],
        )?;
        Ok(deleted > 0)
    }

    fn next_category_position(&self, community_id: &CommunityId) -> StoreResult<i64> {
        let max: Option<i64> = self
            .query_one(
                "SELECT MAX(position) FROM categories WHERE community_id = $1",
                &[&community_id.as_str()],
            )?
            .get(0);
        Ok(max.map_or(0, |m| m.saturating_add(1)))
    }
}
