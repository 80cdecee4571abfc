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
            "INSERT INTO threads (thread_id, community_id, parent_channel_id, info)
             SELECT ?1, ?2, ?3, ?4 WHERE EXISTS
                 (SELECT 1 FROM communities WHERE community_id = ?2)
             ON CONFLICT (thread_id) DO UPDATE SET
                 community_id = excluded.community_id,
                 parent_channel_id = excluded.parent_channel_id, info = excluded.info",
        )?
        .execute(params![
            thread.thread_id.as_str(),
            thread.community_id.as_str(),
            thread.parent_channel_id.as_str(),
            to_json(thread, "thread")?,
        ])?;
    Ok(changed > 0)
}

/// Replaces a joined thread's info; false when it is not joined.
pub(crate) fn update(connection: &Connection, thread: &ThreadInfo) -> Result<bool, StoreError> {
    let changed = connection
        .prepare_cached("UPDATE threads SET info = ?2 WHERE thread_id = ?1")?
        .execute(params![
            thread.thread_id.as_str(),
            to_json(thread, "thread")?
        ])?;
    Ok(changed > 0)
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
    let mut statement =
        connection.prepare_cached("SELECT community_id, info FROM threads ORDER BY thread_id")?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        let community_id = CommunityId::from(row.get::<_, String>(0)?);
        if let Some(&i) = index.get(&community_id) {
            let info: String = row.get(1)?;
            snapshots[i].threads.push(from_json(&info, "thread")?);
        }
    }
    Ok(())
}
