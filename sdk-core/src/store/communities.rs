//! SQL for the community structure: communities (info + my membership + notification
//! status), categories, channels and unread heads. Synchronous functions on a
//! connection; the `Store` runs them on its threads.
//!
//! Writes that need the community to be cached (a channel, a head, a changed info)
//! return `false` and change nothing when it is not: an event may arrive for a
//! community the user has just left, and that is not an error.

use community_protocol::{CategoryId, ChannelId};
use std::collections::{BTreeMap, HashMap, HashSet};

use community_protocol::response::{Synced, UnchangedCommunity};
use community_protocol::{
    CategoryInfo, ChannelHead, ChannelInfo, CommunityId, CommunityInfo, CommunitySnapshot, Group,
    MemberInfo, NotificationStatus, Seq,
};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::StoreError;
use super::columns::*;
use super::community_rows::*;
use super::{conversations, messages, search_index, threads};

/// True when the community is cached.
pub(crate) fn exists(
    connection: &Connection,
    community_id: &CommunityId,
) -> Result<bool, StoreError> {
    let mut statement =
        connection.prepare_cached("SELECT 1 FROM communities WHERE community_id = ?1")?;
    Ok(statement.exists([community_id.as_str()])?)
}

/// Inserts or replaces a community's row (info, my membership, notification status),
/// keeping its channels, categories and heads.
pub(crate) fn upsert_community(
    connection: &Connection,
    snapshot: &CommunitySnapshot,
) -> Result<(), StoreError> {
    let (info, me, notification) = (&snapshot.info, &snapshot.me, snapshot.notification);
    let mut statement = connection.prepare_cached(
        "INSERT INTO communities (community_id, name, avatar_url, notice, owner_id, join_policy,
             mute_all, member_count, attributes, default_channel_id, created_at_ms, version,
             notification, me_user_id, me_role, me_nickname, me_joined_at_ms, me_muted_until_ms,
             system_messages, groups, me_extras)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
             ?19, ?20, ?21)
         ON CONFLICT (community_id) DO UPDATE SET
             name = excluded.name, avatar_url = excluded.avatar_url, notice = excluded.notice,
             owner_id = excluded.owner_id, join_policy = excluded.join_policy,
             mute_all = excluded.mute_all, member_count = excluded.member_count,
             attributes = excluded.attributes, default_channel_id = excluded.default_channel_id,
             created_at_ms = excluded.created_at_ms, version = excluded.version,
             notification = excluded.notification, me_user_id = excluded.me_user_id,
             me_role = excluded.me_role, me_nickname = excluded.me_nickname,
             me_joined_at_ms = excluded.me_joined_at_ms,
             me_muted_until_ms = excluded.me_muted_until_ms,
             system_messages = excluded.system_messages, groups = excluded.groups,
             me_extras = excluded.me_extras",
    )?;
    statement.execute(params![
        info.community_id.as_str(),
        info.name,
        info.avatar_url,
        info.notice,
        info.owner_id.as_str(),
        join_policy_text(info.join_policy),
        info.mute_all,
        int(info.member_count),
        to_json(&info.attributes, "attributes")?,
        info.default_channel_id.as_str(),
        info.created_at_ms,
        int(info.version),
        notification_text(notification),
        me.user_id.as_str(),
        role_text(me.role),
        me.nickname,
        me.joined_at_ms,
        me.muted_until_ms,
        info.system_messages,
        groups_json(&snapshot.groups)?,
        me_extras_json(me)?,
    ])?;
    Ok(())
}

/// Replaces a cached community's info (not my membership nor notification status).
pub(crate) fn update_info(
    connection: &Connection,
    info: &CommunityInfo,
) -> Result<bool, StoreError> {
    let mut statement = connection.prepare_cached(
        "UPDATE communities SET name = ?2, avatar_url = ?3, notice = ?4, owner_id = ?5,
             join_policy = ?6, mute_all = ?7, member_count = ?8, attributes = ?9,
             default_channel_id = ?10, created_at_ms = ?11, version = ?12,
             system_messages = ?13
         WHERE community_id = ?1",
    )?;
    let changed = statement.execute(params![
        info.community_id.as_str(),
        info.name,
        info.avatar_url,
        info.notice,
        info.owner_id.as_str(),
        join_policy_text(info.join_policy),
        info.mute_all,
        int(info.member_count),
        to_json(&info.attributes, "attributes")?,
        info.default_channel_id.as_str(),
        info.created_at_ms,
        int(info.version),
        info.system_messages,
    ])?;
    Ok(changed > 0)
}

/// Replaces everything about one community with `snapshot`, in the caller's
/// transaction. Channels that are no longer in it lose their cached messages.
pub(crate) fn apply_snapshot(
    connection: &Connection,
    snapshot: &CommunitySnapshot,
) -> Result<(), StoreError> {
    let community_id = &snapshot.info.community_id;
    upsert_community(connection, snapshot)?;
    let kept: HashSet<&str> = snapshot
        .channels
        .iter()
        .map(|c| c.channel_id.as_str())
        .collect::<HashSet<&str>>();
    for channel_id in channel_ids(connection, community_id)? {
        if !kept.contains(channel_id.as_str()) {
            messages::delete_channel(connection, &channel_id)?;
        }
    }
    // Hidden messages as they were, so that the search index follows the new heads.
    let hidden_before = hidden_sets(connection, community_id)?;
    for table in ["categories", "channels", "heads"] {
        connection
            .prepare_cached(&format!("DELETE FROM {table} WHERE community_id = ?1"))?
            .execute([community_id.as_str()])?;
    }
    for category in &snapshot.categories {
        write_category(connection, category)?;
    }
    for channel in &snapshot.channels {
        write_channel(connection, channel)?;
    }
    threads::replace(connection, community_id, &snapshot.threads)?;
    for head in &snapshot.heads {
        write_new_head(connection, head)?;
    }
    // No previous head was stored (deleted above): what the new heads hide was indexed
    // out; put back what they no longer hide.
    for (channel_id, before) in hidden_before {
        let after = search_index::hidden_of(connection, channel_id.as_str())?;
        let shown: Vec<Seq> = before.into_iter().filter(|s| !after.contains(s)).collect();
        search_index::hidden_changed(connection, &channel_id, &shown, &[])?;
    }
    Ok(())
}

/// The non-empty hidden sets of a community's heads.
fn hidden_sets(
    connection: &Connection,
    community_id: &CommunityId,
) -> Result<Vec<(ChannelId, Vec<Seq>)>, StoreError> {
    let mut statement = connection.prepare_cached(
        "SELECT channel_id, hidden FROM heads WHERE community_id = ?1 AND hidden IS NOT NULL",
    )?;
    let mut rows = statement.query([community_id.as_str()])?;
    let mut sets = Vec::new();
    while let Some(row) = rows.next()? {
        let hidden: String = row.get(1)?;
        sets.push((
            ChannelId::from(row.get::<_, String>(0)?),
            from_json(&hidden, "hidden")?,
        ));
    }
    Ok(sets)
}

/// Applies a known community's unchanged-structure update: status, me, member count,
/// heads. False when it is not cached.
pub(crate) fn apply_unchanged(
    connection: &Connection,
    unchanged: &UnchangedCommunity,
) -> Result<bool, StoreError> {
    let id = unchanged.community_id.as_str();
    if !set_notification(connection, &CommunityId::from(id), unchanged.notification)? {
        return Ok(false);
    }
    set_me(connection, &unchanged.me)?;
    set_member_count(connection, &CommunityId::from(id), unchanged.member_count)?;
    threads::replace(connection, &CommunityId::from(id), &unchanged.threads)?;
    let skipped = upsert_heads(connection, &unchanged.heads)?;
    if skipped > 0 {
        tracing::debug!(
            community = id,
            skipped,
            "heads of uncached channels skipped"
        );
    }
    Ok(true)
}

/// Applies a whole `sync` answer; returns how many unchanged communities were skipped
/// because they are not cached.
pub(crate) fn apply_synced(connection: &Connection, synced: &Synced) -> Result<usize, StoreError> {
    for community_id in &synced.removed {
        remove_community(connection, community_id)?;
    }
    for snapshot in &synced.changed {
        apply_snapshot(connection, snapshot)?;
    }
    let mut skipped = 0;
    for unchanged in &synced.unchanged {
        if !apply_unchanged(connection, unchanged)? {
            skipped += 1;
        }
    }
    let conversations: Vec<_> = synced
        .conversations
        .iter()
        .map(|entry| (entry.conversation.clone(), entry.head.clone()))
        .collect();
    conversations::replace_all(connection, &conversations)?;
    Ok(skipped)
}

/// Removes a community with its categories, channels, heads and cached messages.
pub(crate) fn remove_community(
    connection: &Connection,
    community_id: &CommunityId,
) -> Result<bool, StoreError> {
    let mut channels: HashSet<ChannelId> =
        channel_ids(connection, community_id)?.into_iter().collect();
    channels.extend(messages::channels_of_community(connection, community_id)?);
    for channel_id in &channels {
        messages::delete_channel(connection, channel_id)?;
    }
    // Categories, channels and heads go by ON DELETE CASCADE.
    let removed = connection
        .prepare_cached("DELETE FROM communities WHERE community_id = ?1")?
        .execute([community_id.as_str()])?;
    Ok(removed > 0)
}

/// Removes every cached community not in `keep`; returns the removed ids.
pub(crate) fn retain(
    connection: &Connection,
    keep: &[CommunityId],
) -> Result<Vec<CommunityId>, StoreError> {
    let keep: HashSet<&str> = keep.iter().map(CommunityId::as_str).collect();
    let gone: Vec<CommunityId> = known_versions(connection)?
        .into_keys()
        .filter(|id| !keep.contains(id.as_str()))
        .collect();
    for community_id in &gone {
        remove_community(connection, community_id)?;
    }
    Ok(gone)
}

/// Sets the custom attributes and the structure version.
pub(crate) fn set_attributes(
    connection: &Connection,
    community_id: &CommunityId,
    attributes: &BTreeMap<String, String>,
    version: u64,
) -> Result<bool, StoreError> {
    let changed = connection
        .prepare_cached(
            "UPDATE communities SET attributes = ?2, version = ?3 WHERE community_id = ?1",
        )?
        .execute(params![
            community_id.as_str(),
            to_json(attributes, "attributes")?,
            int(version)
        ])?;
    Ok(changed > 0)
}

/// Runs one `UPDATE communities SET <column> = ?2 WHERE community_id = ?1`; false when
/// the community is not cached.
fn update_community(
    connection: &Connection,
    sql: &'static str,
    community_id: &CommunityId,
    value: impl rusqlite::ToSql,
) -> Result<bool, StoreError> {
    let changed = connection
        .prepare_cached(sql)?
        .execute(params![community_id.as_str(), value])?;
    Ok(changed > 0)
}

/// Sets the exact member count.
pub(crate) fn set_member_count(
    connection: &Connection,
    community_id: &CommunityId,
    count: u64,
) -> Result<bool, StoreError> {
    let sql = "UPDATE communities SET member_count = ?2 WHERE community_id = ?1";
    update_community(connection, sql, community_id, int(count))
}

/// Sets the structure version.
pub(crate) fn set_version(
    connection: &Connection,
    community_id: &CommunityId,
    version: u64,
) -> Result<bool, StoreError> {
    let sql = "UPDATE communities SET version = ?2 WHERE community_id = ?1";
    update_community(connection, sql, community_id, int(version))
}

/// Sets my notification status.
pub(crate) fn set_notification(
    connection: &Connection,
    community_id: &CommunityId,
    status: NotificationStatus,
) -> Result<bool, StoreError> {
    let sql = "UPDATE communities SET notification = ?2 WHERE community_id = ?1";
    update_community(connection, sql, community_id, notification_text(status))
}

/// Replaces my membership record.
pub(crate) fn set_me(connection: &Connection, me: &MemberInfo) -> Result<bool, StoreError> {
    let changed = connection
        .prepare_cached(
            "UPDATE communities SET me_user_id = ?2, me_role = ?3, me_nickname = ?4,
                 me_joined_at_ms = ?5, me_muted_until_ms = ?6, me_extras = ?7
             WHERE community_id = ?1",
        )?
        .execute(params![
            me.community_id.as_str(),
            me.user_id.as_str(),
            role_text(me.role),
            me.nickname,
            me.joined_at_ms,
            me.muted_until_ms,
            me_extras_json(me)?,
        ])?;
    Ok(changed > 0)
}

/// Replaces a community's permission groups and sets its structure version.
pub(crate) fn set_groups(
    connection: &Connection,
    community_id: &CommunityId,
    groups: &[Group],
    version: u64,
) -> Result<bool, StoreError> {
    let changed = connection
        .prepare_cached("UPDATE communities SET groups = ?2, version = ?3 WHERE community_id = ?1")?
        .execute(params![
            community_id.as_str(),
            groups_json(groups)?,
            int(version)
        ])?;
    Ok(changed > 0)
}

/// Inserts or replaces a channel of a cached community.
pub(crate) fn upsert_channel(
    connection: &Connection,
    channel: &ChannelInfo,
) -> Result<bool, StoreError> {
    if !exists(connection, &channel.community_id)? {
        return Ok(false);
    }
    write_channel(connection, channel)?;
    Ok(true)
}

/// Removes a channel, its head and its cached messages.
pub(crate) fn remove_channel(
    connection: &Connection,
    community_id: &CommunityId,
    channel_id: &ChannelId,
) -> Result<(), StoreError> {
    for table in ["channels", "heads"] {
        connection
            .prepare_cached(&format!(
                "DELETE FROM {table} WHERE community_id = ?1 AND channel_id = ?2"
            ))?
            .execute([community_id.as_str(), channel_id.as_str()])?;
    }
    threads::remove_of_channel(connection, community_id, channel_id)?;
    messages::delete_channel(connection, channel_id)
}

/// Inserts or replaces a category of a cached community.
pub(crate) fn upsert_category(
    connection: &Connection,
    category: &CategoryInfo,
) -> Result<bool, StoreError> {
    if !exists(connection, &category.community_id)? {
        return Ok(false);
    }
    write_category(connection, category)?;
    Ok(true)
}

/// Removes a category; its channels fall back to no category.
pub(crate) fn remove_category(
    connection: &Connection,
    community_id: &CommunityId,
    category_id: &CategoryId,
) -> Result<(), StoreError> {
    connection
        .prepare_cached("DELETE FROM categories WHERE community_id = ?1 AND category_id = ?2")?
        .execute([community_id.as_str(), category_id.as_str()])?;
    connection
        .prepare_cached(
            "UPDATE channels SET category_id = NULL WHERE community_id = ?1 AND category_id = ?2",
        )?
        .execute([community_id.as_str(), category_id.as_str()])?;
    Ok(())
}

/// Inserts or replaces heads; returns how many were skipped because their channel (in
/// that community) is not cached: a head without its channel is of no use to anyone.
pub(crate) fn upsert_heads(
    connection: &Connection,
    heads: &[ChannelHead],
) -> Result<usize, StoreError> {
    let mut skipped = 0;
    let mut known = connection.prepare_cached(
        "SELECT 1 FROM channels WHERE channel_id = ?1 AND community_id = ?2
         UNION ALL SELECT 1 FROM threads WHERE thread_id = ?1 AND community_id = ?2
         UNION ALL SELECT 1 FROM conversations WHERE conversation_id = ?1 AND community_id = ?2",
    )?;
    for head in heads {
        if known.exists([head.channel_id.as_str(), head.community_id.as_str()])? {
            write_head(connection, head)?;
        } else {
            skipped += 1;
        }
    }
    Ok(skipped)
}

fn channel_ids(
    connection: &Connection,
    community_id: &CommunityId,
) -> Result<Vec<ChannelId>, StoreError> {
    let mut statement =
        connection.prepare_cached("SELECT channel_id FROM channels WHERE community_id = ?1")?;
    let ids = statement
        .query_map([community_id.as_str()], |row| row.get::<_, String>(0))?
        .map(|id| id.map(ChannelId::from))
        .collect::<Result<Vec<ChannelId>, _>>()?;
    Ok(ids)
}

// ----- reads -----

/// Structure version of every cached community (not `@me`, which is no community).
pub(crate) fn known_versions(
    connection: &Connection,
) -> Result<BTreeMap<CommunityId, u64>, StoreError> {
    let mut statement = connection.prepare_cached(
        "SELECT community_id, version FROM communities WHERE community_id <> '@me'",
    )?;
    let mut rows = statement.query([])?;
    let mut versions = BTreeMap::new();
    while let Some(row) = rows.next()? {
        versions.insert(
            CommunityId::from(row.get::<_, String>(0)?),
            uint(row.get(1)?, "version")?,
        );
    }
    Ok(versions)
}

/// Every cached community, complete, ordered by id (or just `only`, when given). The
/// anchor row of `@me` is no community and never loaded here.
pub(crate) fn load(
    connection: &Connection,
    only: Option<&CommunityId>,
) -> Result<Vec<CommunitySnapshot>, StoreError> {
    let filter = if only.is_some() {
        "WHERE community_id = ?1 AND community_id <> '@me'"
    } else {
        "WHERE community_id <> '@me'"
    };
    let bind: Vec<&str> = only.into_iter().map(CommunityId::as_str).collect();
    let bind = rusqlite::params_from_iter(bind);

    let mut snapshots = Vec::new();
    let mut index: HashMap<CommunityId, usize> = HashMap::new();
    {
        let sql =
            format!("SELECT {COMMUNITY_COLUMNS} FROM communities {filter} ORDER BY community_id");
        let mut statement = connection.prepare_cached(&sql)?;
        let mut rows = statement.query(bind.clone())?;
        while let Some(row) = rows.next()? {
            let snapshot = community_from_row(row)?;
            index.insert(snapshot.info.community_id.clone(), snapshots.len());
            snapshots.push(snapshot);
        }
    }
    let sql = format!(
        "SELECT {CATEGORY_COLUMNS} FROM categories {filter} ORDER BY community_id, position, category_id"
    );
    for_each_row(connection, &sql, bind.clone(), |row| {
        let category = category_from_row(row)?;
        if let Some(&i) = index.get(&category.community_id) {
            snapshots[i].categories.push(category);
        }
        Ok(())
    })?;
    let sql = format!(
        "SELECT {CHANNEL_COLUMNS} FROM channels {filter} ORDER BY community_id, position, channel_id"
    );
    for_each_row(connection, &sql, bind.clone(), |row| {
        let channel = channel_from_row(row)?;
        if let Some(&i) = index.get(&channel.community_id) {
            snapshots[i].channels.push(channel);
        }
        Ok(())
    })?;
    let sql =
        format!("SELECT {HEAD_COLUMNS} FROM heads {filter} ORDER BY community_id, channel_id");
    for_each_row(connection, &sql, bind, |row| {
        let head = head_from_row(row)?;
        if let Some(&i) = index.get(&head.community_id) {
            snapshots[i].heads.push(head);
        }
        Ok(())
    })?;
    threads::load_into(connection, &mut snapshots, &index)?;
    Ok(snapshots)
}

/// Cached heads, of one community or of all, ordered by community and channel.
pub(crate) fn heads(
    connection: &Connection,
    only: Option<&CommunityId>,
) -> Result<Vec<ChannelHead>, StoreError> {
    let filter = if only.is_some() {
        "WHERE community_id = ?1"
    } else {
        ""
    };
    let sql =
        format!("SELECT {HEAD_COLUMNS} FROM heads {filter} ORDER BY community_id, channel_id");
    let mut heads = Vec::new();
    for_each_row(
        connection,
        &sql,
        rusqlite::params_from_iter(only.map(CommunityId::as_str)),
        |row| {
            heads.push(head_from_row(row)?);
            Ok(())
        },
    )?;
    Ok(heads)
}

/// One cached channel.
pub(crate) fn channel(
    connection: &Connection,
    channel_id: &ChannelId,
) -> Result<Option<ChannelInfo>, StoreError> {
    let sql = format!("SELECT {CHANNEL_COLUMNS} FROM channels WHERE channel_id = ?1");
    let mut statement = connection.prepare_cached(&sql)?;
    let mut rows = statement.query([channel_id.as_str()])?;
    match rows.next()? {
        Some(row) => Ok(Some(channel_from_row(row)?)),
        None => Ok(None),
    }
}

/// The version of one cached community.
pub(crate) fn version(
    connection: &Connection,
    community_id: &CommunityId,
) -> Result<Option<u64>, StoreError> {
    let version: Option<i64> = connection
        .prepare_cached("SELECT version FROM communities WHERE community_id = ?1")?
        .query_row([community_id.as_str()], |row| row.get(0))
        .optional()?;
    version.map(|v| uint(v, "version")).transpose()
}

fn for_each_row<P: rusqlite::Params>(
    connection: &Connection,
    sql: &str,
    params: P,
    mut each: impl FnMut(&Row<'_>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let mut statement = connection.prepare_cached(sql)?;
    let mut rows = statement.query(params)?;
    while let Some(row) = rows.next()? {
        each(row)?;
    }
    Ok(())
}
