//! Rows of the community tables: the column lists and how each record is written to and
//! read from its row (communities with my membership, categories, channels, heads).
//! Nested values that few rows have (groups, overrides, my groups and fields) are JSON
//! columns, NULL when empty.

use std::collections::BTreeMap;

use community_protocol::{
    CategoryId, CategoryInfo, ChannelHead, ChannelInfo, CommunityInfo, CommunitySnapshot, Group,
    GroupId, MemberInfo, Override,
};
use rusqlite::{Connection, Row, params};
use serde::{Deserialize, Serialize};

use super::StoreError;
use super::columns::*;

pub(super) const COMMUNITY_COLUMNS: &str = "community_id, name, avatar_url, notice, owner_id, join_policy, \
     mute_all, member_count, attributes, default_channel_id, created_at_ms, version, \
     notification, me_user_id, me_role, me_nickname, me_joined_at_ms, me_muted_until_ms, \
     system_messages, groups, me_extras";
pub(super) const CATEGORY_COLUMNS: &str = "community_id, category_id, name, position, overrides";
pub(super) const CHANNEL_COLUMNS: &str = "community_id, channel_id, name, introduction, notice, custom, \
     kind, category_id, position, private, is_default, created_at_ms, access";
pub(super) const HEAD_COLUMNS: &str = "community_id, channel_id, last_seq, last_activity_ms, read_seq, \
     unread_count, mention_count, change_seq, hidden, notification_level";

/// My groups and custom fields, as stored in `communities.me_extras`.
#[derive(Serialize, Deserialize, Default)]
struct MeExtras {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    groups: Vec<GroupId>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    custom_fields: BTreeMap<String, String>,
}

/// A channel's access settings, as stored in `channels.access`.
#[derive(Serialize, Deserialize, Default)]
struct Access {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    overrides: Vec<Override>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    follows_category: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    mute_all: bool,
}

/// JSON of `value`, or NULL when `empty`.
fn json_or_null<T: Serialize>(
    value: &T,
    empty: bool,
    what: &'static str,
) -> Result<Option<String>, StoreError> {
    if empty {
        Ok(None)
    } else {
        to_json(value, what).map(Some)
    }
}

/// A nullable JSON column back as a value (its default when NULL).
fn json_or_default<T: serde::de::DeserializeOwned + Default>(
    text: Option<String>,
    what: &'static str,
) -> Result<T, StoreError> {
    text.map_or(Ok(T::default()), |text| from_json(&text, what))
}

/// The `communities.groups` value of a snapshot (NULL when none came).
pub(super) fn groups_json(groups: &[Group]) -> Result<Option<String>, StoreError> {
    json_or_null(&groups, groups.is_empty(), "groups")
}

/// The `communities.me_extras` value of my membership.
pub(super) fn me_extras_json(me: &MemberInfo) -> Result<Option<String>, StoreError> {
    let extras = MeExtras {
        groups: me.groups.clone(),
        custom_fields: me.custom_fields.clone(),
    };
    json_or_null(
        &extras,
        me.groups.is_empty() && me.custom_fields.is_empty(),
        "my groups and fields",
    )
}

pub(super) fn write_category(
    connection: &Connection,
    category: &CategoryInfo,
) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "INSERT INTO categories (community_id, category_id, name, position, overrides)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (community_id, category_id) DO UPDATE SET
                 name = excluded.name, position = excluded.position,
                 overrides = excluded.overrides",
        )?
        .execute(params![
            category.community_id.as_str(),
            category.category_id.as_str(),
            category.name,
            category.position,
            json_or_null(
                &category.overrides,
                category.overrides.is_empty(),
                "category overrides"
            )?,
        ])?;
    Ok(())
}

pub(super) fn category_from_row(row: &Row<'_>) -> Result<CategoryInfo, StoreError> {
    Ok(CategoryInfo {
        community_id: row.get::<_, String>(0)?.into(),
        category_id: row.get::<_, String>(1)?.into(),
        name: row.get(2)?,
        position: row.get(3)?,
        overrides: json_or_default(row.get(4)?, "category overrides")?,
    })
}

pub(super) fn write_channel(
    connection: &Connection,
    channel: &ChannelInfo,
) -> Result<(), StoreError> {
    let access = Access {
        overrides: channel.overrides.clone(),
        follows_category: channel.follows_category,
        mute_all: channel.mute_all,
    };
    let plain = channel.overrides.is_empty() && !channel.follows_category && !channel.mute_all;
    connection
        .prepare_cached(
            "INSERT INTO channels (community_id, channel_id, name, introduction, notice, custom,
                 kind, category_id, position, private, is_default, created_at_ms, access)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
             ON CONFLICT (channel_id) DO UPDATE SET
                 community_id = excluded.community_id, name = excluded.name,
                 introduction = excluded.introduction, notice = excluded.notice,
                 custom = excluded.custom, kind = excluded.kind,
                 category_id = excluded.category_id, position = excluded.position,
                 private = excluded.private, is_default = excluded.is_default,
                 created_at_ms = excluded.created_at_ms, access = excluded.access",
        )?
        .execute(params![
            channel.community_id.as_str(),
            channel.channel_id.as_str(),
            channel.name,
            channel.introduction,
            channel.notice,
            channel.custom,
            kind_text(channel.kind),
            channel.category_id.as_ref().map(|c| c.as_str()),
            channel.position,
            channel.private,
            channel.is_default,
            channel.created_at_ms,
            json_or_null(&access, plain, "channel access")?,
        ])?;
    Ok(())
}

/// Writes a head; messages it newly hides leave the search index (and ones it no longer
/// hides come back).
pub(super) fn write_head(connection: &Connection, head: &ChannelHead) -> Result<(), StoreError> {
    let before = super::search_index::hidden_of(connection, head.channel_id.as_str())?;
    write_head_row(connection, head)?;
    super::search_index::hidden_changed(connection, &head.channel_id, &before, &head.hidden)
}

/// Writes the head of a channel that has none stored (its community's heads were just
/// deleted): nothing was hidden before, so only what it hides leaves the search index.
/// Saves a query per channel when a snapshot of many channels is stored.
pub(super) fn write_new_head(
    connection: &Connection,
    head: &ChannelHead,
) -> Result<(), StoreError> {
    write_head_row(connection, head)?;
    super::search_index::hidden_changed(connection, &head.channel_id, &[], &head.hidden)
}

fn write_head_row(connection: &Connection, head: &ChannelHead) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "INSERT INTO heads (community_id, channel_id, last_seq, last_activity_ms, read_seq,
                 unread_count, mention_count, change_seq, hidden, notification_level)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT (channel_id) DO UPDATE SET
                 community_id = excluded.community_id, last_seq = excluded.last_seq,
                 last_activity_ms = excluded.last_activity_ms, read_seq = excluded.read_seq,
                 unread_count = excluded.unread_count, mention_count = excluded.mention_count,
                 change_seq = excluded.change_seq, hidden = excluded.hidden,
                 notification_level = excluded.notification_level",
        )?
        .execute(params![
            head.community_id.as_str(),
            head.channel_id.as_str(),
            int(head.last_seq),
            head.last_activity_ms,
            int(head.read_seq),
            int(head.unread_count),
            int(head.mention_count),
            int(head.change_seq),
            json_or_null(&head.hidden, head.hidden.is_empty(), "hidden")?,
            json_or_null(
                &head.notification_level,
                head.notification_level.is_all(),
                "notification level"
            )?,
        ])?;
    Ok(())
}

pub(super) fn community_from_row(row: &Row<'_>) -> Result<CommunitySnapshot, StoreError> {
    let community_id: String = row.get(0)?;
    let attributes: String = row.get(8)?;
    let info = CommunityInfo {
        community_id: community_id.clone().into(),
        name: row.get(1)?,
        avatar_url: row.get(2)?,
        notice: row.get(3)?,
        owner_id: row.get::<_, String>(4)?.into(),
        join_policy: join_policy_from(&row.get::<_, String>(5)?)?,
        mute_all: row.get(6)?,
        member_count: uint(row.get(7)?, "member_count")?,
        attributes: from_json(&attributes, "attributes")?,
        default_channel_id: row.get::<_, String>(9)?.into(),
        created_at_ms: row.get(10)?,
        version: uint(row.get(11)?, "version")?,
        system_messages: row.get(18)?,
    };
    let extras: MeExtras = json_or_default(row.get(20)?, "my groups and fields")?;
    let me = MemberInfo {
        community_id: community_id.into(),
        user_id: row.get::<_, String>(13)?.into(),
        role: role_from(&row.get::<_, String>(14)?)?,
        nickname: row.get(15)?,
        joined_at_ms: row.get(16)?,
        muted_until_ms: row.get(17)?,
        groups: extras.groups,
        custom_fields: extras.custom_fields,
    };
    Ok(CommunitySnapshot {
        info,
        categories: Vec::new(),
        channels: Vec::new(),
        me,
        notification: notification_from(&row.get::<_, String>(12)?)?,
        heads: Vec::new(),
        groups: json_or_default(row.get(19)?, "groups")?,
        threads: Vec::new(),
        voice: Vec::new(),
    })
}

pub(super) fn channel_from_row(row: &Row<'_>) -> Result<ChannelInfo, StoreError> {
    let access: Access = json_or_default(row.get(12)?, "channel access")?;
    Ok(ChannelInfo {
        community_id: row.get::<_, String>(0)?.into(),
        channel_id: row.get::<_, String>(1)?.into(),
        name: row.get(2)?,
        introduction: row.get(3)?,
        notice: row.get(4)?,
        custom: row.get(5)?,
        kind: kind_from(&row.get::<_, String>(6)?)?,
        category_id: row.get::<_, Option<String>>(7)?.map(CategoryId::from),
        position: row.get(8)?,
        private: row.get(9)?,
        is_default: row.get(10)?,
        created_at_ms: row.get(11)?,
        overrides: access.overrides,
        follows_category: access.follows_category,
        mute_all: access.mute_all,
    })
}

pub(super) fn head_from_row(row: &Row<'_>) -> Result<ChannelHead, StoreError> {
    Ok(ChannelHead {
        community_id: row.get::<_, String>(0)?.into(),
        channel_id: row.get::<_, String>(1)?.into(),
        last_seq: uint(row.get(2)?, "last_seq")?,
        last_activity_ms: row.get(3)?,
        read_seq: uint(row.get(4)?, "read_seq")?,
        unread_count: uint(row.get(5)?, "unread_count")?,
        mention_count: uint(row.get(6)?, "mention_count")?,
        change_seq: uint(row.get(7)?, "change_seq")?,
        hidden: json_or_default(row.get(8)?, "hidden")?,
        notification_level: json_or_default(row.get(9)?, "notification level")?,
    })
}
