//! Conversations and their participants in SQLite.
//!
//! A conversation is a `channels` row of community `@me` (its messages and counters are
//! the channel tables') plus a `conversations` row. A conversation is read in one query:
//! its channel row, its own row and its participants (a JSON array built from a
//! primary-key range). A user's conversations are a range of
//! `conversation_members_by_user`, sorted by activity.

use community_protocol::{
    ChannelId, CommunityId, ConversationInfo, ConversationKind, TimestampMs, UserId,
};
use rusqlite::{OptionalExtension, Row, params};

use super::SqliteTx;
use super::convert::{enum_from, enum_text, id, in_row, unsigned};
use crate::StoreError;
use crate::store::{ConversationStore, NewConversation, ReadStore, StoreResult};

/// The columns [`conversation_from_row`] reads, from `conversations v` joined with its
/// channel row `c`.
const CONVERSATION_SELECT: &str = "SELECT v.conversation_id, v.kind, c.name, v.created_by,
        c.created_at_ms, c.last_seq, c.last_activity_ms,
        (SELECT json_group_array(user_id) FROM (
            SELECT user_id FROM conversation_members p
             WHERE p.conversation_id = v.conversation_id ORDER BY user_id))
     FROM conversations v JOIN channels c ON c.channel_id = v.conversation_id";

fn conversation_from_row(row: &Row<'_>) -> rusqlite::Result<ConversationInfo> {
    let participants: Vec<UserId> =
        serde_json::from_str(&row.get::<_, String>(7)?).map_err(|e| in_row(e.into()))?;
    Ok(ConversationInfo {
        conversation_id: id(row, 0)?,
        kind: enum_from(&row.get::<_, String>(1)?).map_err(in_row)?,
        name: row.get(2)?,
        created_by: id(row, 3)?,
        created_at_ms: row.get(4)?,
        last_seq: unsigned(row.get(5)?),
        last_activity_ms: row.get(6)?,
        participants,
    })
}

/// The pair of a direct conversation, in order.
fn pair<'u>(a: &'u UserId, b: &'u UserId) -> (&'u str, &'u str) {
    if a.as_str() <= b.as_str() {
        (a.as_str(), b.as_str())
    } else {
        (b.as_str(), a.as_str())
    }
}

impl SqliteTx<'_> {
    fn conversations_where(
        &self,
        condition: &str,
        params: impl rusqlite::Params,
    ) -> StoreResult<Vec<ConversationInfo>> {
        let mut statement = self
            .conn
            .prepare_cached(&format!("{CONVERSATION_SELECT} {condition}"))?;
        let rows = statement.query_map(params, conversation_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

impl ConversationStore for SqliteTx<'_> {
    fn conversation(&self, conversation_id: &ChannelId) -> StoreResult<Option<ConversationInfo>> {
        Ok(self
            .conversations_where("WHERE v.conversation_id = ?1", [conversation_id.as_str()])?
            .into_iter()
            .next())
    }

    fn direct_conversation(&self, a: &UserId, b: &UserId) -> StoreResult<Option<ChannelId>> {
        let (low, high) = pair(a, b);
        Ok(self
            .conn
            .prepare_cached(
                "SELECT conversation_id FROM conversations
                 WHERE direct_low = ?1 AND direct_high = ?2",
            )?
            .query_row(params![low, high], |row| id(row, 0))
            .optional()?)
    }

    fn insert_conversation(&self, conversation: &NewConversation<'_>) -> StoreResult<()> {
        let direct = match (conversation.kind, conversation.participants) {
            (ConversationKind::Direct, [a, b]) => Some(pair(a, b)),
            (ConversationKind::Direct, _) => {
                return Err(StoreError::Corrupt(
                    "a direct conversation has exactly two participants".into(),
                ));
            }
            _ => None,
        };
        self.conn
            .prepare_cached(
                "INSERT INTO channels (community_id, channel_id, name, introduction, notice, custom,
                        kind, category_id, position, private, is_default, created_at_ms, last_seq,
                        last_activity_ms, change_seq, mute_all, follows_category)
                 VALUES (?1, ?2, ?3, '', '', '', 'text', NULL, 0, 1, 0, ?4, 0, ?4, 0, 0, 0)",
            )?
            .execute(params![
                CommunityId::DIRECT,
                conversation.conversation_id.as_str(),
                conversation.name,
                conversation.created_at_ms,
            ])?;
        self.conn
            .prepare_cached(
                "INSERT INTO conversations (conversation_id, kind, created_by, direct_low,
                        direct_high)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                conversation.conversation_id.as_str(),
                enum_text(&conversation.kind)?,
                conversation.created_by.as_str(),
                direct.map(|(low, _)| low),
                direct.map(|(_, high)| high),
            ])?;
        for user_id in conversation.participants {
            self.add_participant(
                conversation.conversation_id,
                user_id,
                conversation.created_at_ms,
            )?;
        }
        Ok(())
    }

    fn rename_conversation(&self, conversation_id: &ChannelId, name: &str) -> StoreResult<()> {
        self.conn
            .prepare_cached("UPDATE channels SET name = ?2 WHERE channel_id = ?1")?
            .execute(params![conversation_id.as_str(), name])?;
        Ok(())
    }

    fn add_participant(
        &self,
        conversation_id: &ChannelId,
        user_id: &UserId,
        joined_at_ms: TimestampMs,
    ) -> StoreResult<bool> {
        let added = self
            .conn
            .prepare_cached(
                "INSERT OR IGNORE INTO conversation_members (conversation_id, user_id,
                        joined_at_ms)
                 VALUES (?1, ?2, ?3)",
            )?
            .execute(params![
                conversation_id.as_str(),
                user_id.as_str(),
                joined_at_ms
            ])?;
        if added == 0 {
            return Ok(false);
        }
        self.start_reading(user_id, conversation_id)?;
        Ok(true)
    }

    fn remove_participant(
        &self,
        conversation_id: &ChannelId,
        user_id: &UserId,
    ) -> StoreResult<bool> {
        let removed = self
            .conn
            .prepare_cached(
                "DELETE FROM conversation_members WHERE conversation_id = ?1 AND user_id = ?2",
            )?
            .execute(params![conversation_id.as_str(), user_id.as_str()])?;
        if removed == 0 {
            return Ok(false);
        }
        self.forget_reading(user_id, conversation_id)?;
        Ok(true)
    }

    fn delete_conversation(&self, conversation_id: &ChannelId) -> StoreResult<bool> {
        // Foreign keys cascade to its row, participants, messages, keys, mentions, changes,
        // reactions, pins and read positions.
        let deleted = self
            .conn
            .prepare_cached("DELETE FROM channels WHERE channel_id = ?1 AND community_id = ?2")?
            .execute(params![conversation_id.as_str(), CommunityId::DIRECT])?;
        Ok(deleted > 0)
    }

    fn is_participant(&self, conversation_id: &ChannelId, user_id: &UserId) -> StoreResult<bool> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT 1 FROM conversation_members WHERE conversation_id = ?1 AND user_id = ?2",
            )?
            .query_row(params![conversation_id.as_str(), user_id.as_str()], |_| {
                Ok(())
            })
            .optional()?
            .is_some())
    }

    fn participant_ids(&self, conversation_id: &ChannelId) -> StoreResult<Vec<UserId>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT user_id FROM conversation_members WHERE conversation_id = ?1 ORDER BY user_id",
        )?;
        let rows = statement.query_map([conversation_id.as_str()], |row| id(row, 0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn conversations_of(
        &self,
        user_id: &UserId,
        after: Option<(TimestampMs, &str)>,
        limit: Option<u32>,
    ) -> StoreResult<Vec<ConversationInfo>> {
        let (at, after_id) = match after {
            Some((at, id)) => (Some(at), Some(id)),
            None => (None, None),
        };
        self.conversations_where(
            "JOIN conversation_members j ON j.conversation_id = v.conversation_id
             WHERE j.user_id = ?1
               AND (?2 IS NULL OR c.last_activity_ms < ?2
                    OR (c.last_activity_ms = ?2 AND v.conversation_id < ?3))
             ORDER BY c.last_activity_ms DESC, v.conversation_id DESC LIMIT ?4",
            params![user_id.as_str(), at, after_id, limit.map_or(-1, i64::from)],
        )
    }
}
