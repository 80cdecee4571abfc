//! SQL for the user's conversations (direct and group), which live in the reserved
//! community `@me`. Its `communities` row exists only to anchor the conversations' heads
//! (the `heads` table references communities); it is never listed as a community. A
//! conversation's head is in `heads` keyed by its id, its messages in `messages`, like a
//! channel's.

use community_protocol::{ChannelHead, ChannelId, CommunityId, ConversationInfo, UserId};
use rusqlite::{Connection, params};

use super::StoreError;
use super::columns::*;
use super::messages;

/// Creates the anchor row of `@me` when missing (neutral values: it is never read as a
/// community).
fn ensure_direct(connection: &Connection) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "INSERT OR IGNORE INTO communities (community_id, name, avatar_url, notice,
                 owner_id, join_policy, mute_all, member_count, attributes, default_channel_id,
                 created_at_ms, version, notification, me_user_id, me_role, me_nickname,
                 me_joined_at_ms, me_muted_until_ms)
             VALUES (?1, '', '', '', '', 'invite_only', 0, 0, '{}', '', 0, 0, 'notify', '',
                 'member', '', 0, NULL)",
        )?
        .execute([CommunityId::DIRECT])?;
    Ok(())
}

/// Inserts or replaces a conversation.
pub(crate) fn upsert(connection: &Connection, info: &ConversationInfo) -> Result<(), StoreError> {
    ensure_direct(connection)?;
    connection
        .prepare_cached(
            "INSERT INTO conversations (conversation_id, community_id, kind, participants,
                 name, created_by, created_at_ms, last_seq, last_activity_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (conversation_id) DO UPDATE SET
                 kind = excluded.kind, participants = excluded.participants,
                 name = excluded.name, created_by = excluded.created_by,
                 created_at_ms = excluded.created_at_ms,
                 last_seq = MAX(last_seq, excluded.last_seq),
                 last_activity_ms = MAX(last_activity_ms, excluded.last_activity_ms)",
        )?
        .execute(params![
            info.conversation_id.as_str(),
            CommunityId::DIRECT,
            conversation_kind_text(info.kind),
            to_json(&info.participants, "participants")?,
            info.name,
            info.created_by.as_str(),
            info.created_at_ms,
            int(info.last_seq),
            info.last_activity_ms,
        ])?;
    Ok(())
}

/// Forgets a conversation with its head and cached messages.
pub(crate) fn remove(
    connection: &Connection,
    conversation_id: &ChannelId,
) -> Result<(), StoreError> {
    connection
        .prepare_cached("DELETE FROM conversations WHERE conversation_id = ?1")?
        .execute([conversation_id.as_str()])?;
    connection
        .prepare_cached("DELETE FROM heads WHERE community_id = ?1 AND channel_id = ?2")?
        .execute([CommunityId::DIRECT, conversation_id.as_str()])?;
    messages::delete_channel(connection, conversation_id)
}

/// Replaces every conversation with `conversations` and their heads (a `sync` answer).
pub(crate) fn replace_all(
    connection: &Connection,
    conversations: &[(ConversationInfo, ChannelHead)],
) -> Result<(), StoreError> {
    let kept: std::collections::HashSet<&str> = conversations
        .iter()
        .map(|(c, _)| c.conversation_id.as_str())
        .collect();
    for conversation_id in ids(connection)? {
        if !kept.contains(conversation_id.as_str()) {
            remove(connection, &conversation_id)?;
        }
    }
    for (info, head) in conversations {
        upsert(connection, info)?;
        super::community_rows::write_head(connection, head)?;
    }
    Ok(())
}

fn ids(connection: &Connection) -> Result<Vec<ChannelId>, StoreError> {
    let mut statement = connection.prepare_cached("SELECT conversation_id FROM conversations")?;
    let ids = statement
        .query_map([], |row| row.get::<_, String>(0))?
        .map(|id| id.map(ChannelId::from))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ids)
}

/// Every cached conversation, newest activity first.
pub(crate) fn load(connection: &Connection) -> Result<Vec<ConversationInfo>, StoreError> {
    let mut statement = connection.prepare_cached(
        "SELECT conversation_id, kind, participants, name, created_by, created_at_ms,
             last_seq, last_activity_ms
         FROM conversations ORDER BY last_activity_ms DESC, conversation_id",
    )?;
    let mut rows = statement.query([])?;
    let mut conversations = Vec::new();
    while let Some(row) = rows.next()? {
        let participants: Vec<UserId> = from_json(&row.get::<_, String>(2)?, "participants")?;
        conversations.push(ConversationInfo {
            conversation_id: row.get::<_, String>(0)?.into(),
            kind: conversation_kind_from(&row.get::<_, String>(1)?)?,
            participants,
            name: row.get(3)?,
            created_by: row.get::<_, String>(4)?.into(),
            created_at_ms: row.get(5)?,
            last_seq: uint(row.get(6)?, "last_seq")?,
            last_activity_ms: row.get(7)?,
        });
    }
    Ok(conversations)
}
