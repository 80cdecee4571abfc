//! SQL for the threads the user joined: their info (JSON) by thread id, with the channel
//! they live in (so a channel's removal takes its threads along). Their heads are in the
//! `heads` table like channels' (keyed by thread id), their messages in `messages`.

use community_protocol::{ChannelId, CommunityId, CommunitySnapshot, ThreadInfo};
use rusqlite::{Connection, params};

use super::StoreError;
use super::columns::*;
use super::messages;

/// Inserts or replaces a joined thread (skipped when its community is not cached).
pub(crate) fn upsert(connection: &Connection, thread: &ThreadInfo) -> Result<bool, StoreError> {
    let changed = connection
        .prepare_cached(
            "INSERT INTO threads (thread_id, community_id, parent_channel_id, parent_seq, name,
                 created_by, created_at_ms, archived, locked, auto_archive_ms,
                 last_activity_ms, message_count, member_count)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13 WHERE EXISTS
                 (SELECT 1 FROM communities WHERE community_id = ?2)
             ON CONFLICT (thread_id) DO UPDATE SET
                 community_id = excluded.community_id,
                 parent_channel_id = excluded.parent_channel_id,
                 parent_seq = excluded.parent_seq, name = excluded.name,
                 created_by = excluded.created_by, created_at_ms = excluded.created_at_ms,
                 archived = excluded.archived, locked = excluded.locked,
                 auto_archive_ms = excluded.auto_archive_ms,
                 last_activity_ms = excluded.last_activity_ms,
                 message_count = excluded.message_count, member_count = excluded.member_count",
        )?
        .execute(params![
            thread.thread_id.as_str(),
            thread.community_id.as_str(),
            thread.parent_channel_id.as_str(),
            thread.parent_seq.map(int),
            thread.name,
            thread.created_by.as_str(),
            thread.created_at_ms,
            thread.archived,
            thread.locked,
            int(thread.auto_archive_ms),
            thread.last_activity_ms,
            int(thread.message_count),
            int(thread.member_count),
        ])?;
    Ok(changed > 0)
}

/// Replaces a joined thread's info; false when it is not joined.
pub(crate) fn update(connection: &Connection, thread: &ThreadInfo) -> Result<bool, StoreError> {
    if !connection
        .prepare_cached("SELECT 1 FROM threads WHERE thread_id = ?1")?
        .exists([thread.thread_id.as_str()])?
    {
        return Ok(false);
    }
    upsert(connection, thread)
}

/// Forgets a joined thread with its head and cached messages.
pub(crate) fn remove(
    connection: &Connection,
    community_id: &CommunityId,
    thread_id: &ChannelId,
) -> Result<(), StoreError> {
    connection
        .prepare_cached("DELETE FROM threads WHERE thread_id = ?1")?
        .execute([thread_id.as_str()])?;
    connection
        .prepare_cached("DELETE FROM heads WHERE community_id = ?1 AND channel_id = ?2")?
        .execute([community_id.as_str(), thread_id.as_str()])?;
    messages::delete_channel(connection, thread_id)
}

/// Forgets the joined threads of a channel (it was removed).
pub(crate) fn remove_of_channel(
    connection: &Connection,
    community_id: &CommunityId,
    channel_id: &ChannelId,
) -> Result<(), StoreError> {
    for thread_id in ids(connection, "parent_channel_id", channel_id.as_str())? {
        remove(connection, community_id, &thread_id)?;
    }
    Ok(())
}

/// Replaces a community's joined threads with `threads` (their heads come separately).
pub(crate) fn replace(
    connection: &Connection,
    community_id: &CommunityId,
    threads: &[ThreadInfo],
) -> Result<(), StoreError> {
    let kept: std::collections::HashSet<&str> =
        threads.iter().map(|t| t.thread_id.as_str()).collect();
    for thread_id in ids(connection, "community_id", community_id.as_str())? {
        if !kept.contains(thread_id.as_str()) {
            remove(connection, community_id, &thread_id)?;
        }
    }
    for thread in threads {
        upsert(connection, thread)?;
    }
    Ok(())
}

fn ids(connection: &Connection, column: &str, value: &str) -> Result<Vec<ChannelId>, StoreError> {
    let sql = format!("SELECT thread_id FROM threads WHERE {column} = ?1");
    let mut statement = connection.prepare_cached(&sql)?;
    let ids = statement
        .query_map([value], |row| row.get::<_, String>(0))?
        .map(|id| id.map(ChannelId::from))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ids)
}

/// Adds the joined threads to loaded snapshots (`index`: community id → position).
pub(crate) fn load_into(
    connection: &Connection,
    snapshots: &mut [CommunitySnapshot],
    index: &std::collections::HashMap<CommunityId, usize>,
) -> Result<(), StoreError> {
    let mut statement = connection.prepare_cached(
        "SELECT community_id, thread_id, parent_channel_id, parent_seq, name, created_by,
             created_at_ms, archived, locked, auto_archive_ms, last_activity_ms,
             message_count, member_count
         FROM threads",
    )?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        let community_id = CommunityId::from(row.get::<_, String>(0)?);
        let Some(&i) = index.get(&community_id) else {
            continue;
        };
        let thread = ThreadInfo {
            community_id,
            thread_id: row.get::<_, String>(1)?.into(),
            parent_channel_id: row.get::<_, String>(2)?.into(),
            parent_seq: row
                .get::<_, Option<i64>>(3)?
                .map(|seq| uint(seq, "parent_seq"))
                .transpose()?,
            name: row.get(4)?,
            created_by: row.get::<_, String>(5)?.into(),
            created_at_ms: row.get(6)?,
            archived: row.get(7)?,
            locked: row.get(8)?,
            auto_archive_ms: uint(row.get(9)?, "auto_archive_ms")?,
            last_activity_ms: row.get(10)?,
            message_count: uint(row.get(11)?, "message_count")?,
            member_count: uint(row.get(12)?, "member_count")?,
        };
        snapshots[i].threads.push(thread);
    }
    Ok(())
}
