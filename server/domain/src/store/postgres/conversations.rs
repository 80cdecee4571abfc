//! Conversations and their participants in PostgreSQL.
//!
//! A conversation is a `channels` row of community `@me` (its messages and counters are
//! the channel tables') plus a `conversations` row. A conversation is read in one query:
//! its channel row, its own row and its participants (an array built from a primary-key
//! range).

use community_protocol::{
    ChannelId, CommunityId, ConversationInfo, ConversationKind, TimestampMs, UserId,
};
use postgres::Row;
use postgres::types::ToSql;

use super::PgTx;
use super::convert::{enum_from, enum_text, unsigned};
use crate::StoreError;
use crate::store::{ConversationStore, NewConversation, ReadStore, StoreResult};

/// The columns [`conversation_from_row`] reads.
macro_rules! conversation_select {
    () => {
        "SELECT v.conversation_id, v.kind, c.name, v.created_by, c.created_at_ms, c.last_seq,
                c.last_activity_ms,
                ARRAY(SELECT user_id FROM conversation_members p
                       WHERE p.conversation_id = v.conversation_id ORDER BY user_id)
         FROM conversations v JOIN channels c ON c.channel_id = v.conversation_id "
    };
}

fn conversation_from_row(row: &Row) -> Result<ConversationInfo, StoreError> {
    Ok(ConversationInfo {
        conversation_id: row.get::<_, String>(0).into(),
        kind: enum_from(row.get::<_, &str>(1))?,
        name: row.get(2),
        created_by: row.get::<_, String>(3).into(),
        created_at_ms: row.get(4),
        last_seq: unsigned(row.get(5)),
        last_activity_ms: row.get(6),
        participants: row
            .get::<_, Vec<String>>(7)
            .into_iter()
            .map(UserId::from)
            .collect(),
    })
}

fn pair<'u>(a: &'u UserId, b: &'u UserId) -> (&'u str, &'u str) {
    if a.as_str() <= b.as_str() {
        (a.as_str(), b.as_str())
    } else {
        (b.as_str(), a.as_str())
    }
}

impl PgTx<'_> {
    fn conversations_where(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> StoreResult<Vec<ConversationInfo>> {
        self.query(sql, params)?
            .iter()
            .map(conversation_from_row)
            .collect()
    }
}

impl ConversationStore for PgTx<'_> {
    fn conversation(&self, conversation_id: &ChannelId) -> StoreResult<Option<ConversationInfo>> {
        Ok(self
            .conversations_where(
                concat!(conversation_select!(), "WHERE v.conversation_id = $1"),
                &[&conversation_id.as_str()],
            )?
            .into_iter()
            .next())
    }

    fn direct_conversation(&self, a: &UserId, b: &UserId) -> StoreResult<Option<ChannelId>> {
        let (low, high) = pair(a, b);
        Ok(self
            .query_opt(
                "SELECT conversation_id FROM conversations
                 WHERE direct_low = $1 AND direct_high = $2",
                &[&low, &high],
            )?
            .map(|row| ChannelId::from(row.get::<_, String>(0))))
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
        self.execute(
            "INSERT INTO channels (community_id, channel_id, name, introduction, notice, custom,
                    kind, category_id, position, private, is_default, created_at_ms, last_seq,
                    last_activity_ms, change_seq, mute_all, follows_category)
             VALUES ($1, $2, $3, '', '', '', 'text', NULL, 0, TRUE, FALSE, $4, 0, $4, 0,
                     FALSE, FALSE)",
            &[
                &CommunityId::DIRECT,
                &conversation.conversation_id.as_str(),
                &conversation.name,
                &conversation.created_at_ms,
            ],
        )?;
        self.execute(
            "INSERT INTO conversations (conversation_id, kind, created_by, direct_low,
                    direct_high)
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &conversation.conversation_id.as_str(),
                &enum_text(&conversation.kind)?,
                &conversation.created_by.as_str(),
                &direct.map(|(low, _)| low),
                &direct.map(|(_, high)| high),
            ],
        )?;
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
        self.execute(
            "UPDATE channels SET name = $2 WHERE channel_id = $1",
            &[&conversation_id.as_str(), &name],
        )?;
        Ok(())
    }

    fn add_participant(
        &self,
        conversation_id: &ChannelId,
        user_id: &UserId,
        joined_at_ms: TimestampMs,
    ) -> StoreResult<bool> {
        let added = self.execute(
            "INSERT INTO conversation_members (conversation_id, user_id, joined_at_ms)
             VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&conversation_id.as_str(), &user_id.as_str(), &joined_at_ms],
        )?;
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
        let removed = self.execute(
            "DELETE FROM conversation_members WHERE conversation_id = $1 AND user_id = $2",
            &[&conversation_id.as_str(), &user_id.as_str()],
        )?;
        if removed == 0 {
            return Ok(false);
        }
        self.forget_reading(user_id, conversation_id)?;
        Ok(true)
    }

    fn delete_conversation(&self, conversation_id: &ChannelId) -> StoreResult<bool> {
        // Foreign keys cascade to its row, participants, messages, keys, mentions, changes,
        // reactions, pins and read positions.
        let deleted = self.execute(
            "DELETE FROM channels WHERE channel_id = $1 AND community_id = $2",
            &[&conversation_id.as_str(), &CommunityId::DIRECT],
        )?;
        Ok(deleted > 0)
    }

    fn is_participant(&self, conversation_id: &ChannelId, user_id: &UserId) -> StoreResult<bool> {
        Ok(self
            .query_opt(
                "SELECT 1 FROM conversation_members WHERE conversation_id = $1 AND user_id = $2",
                &[&conversation_id.as_str(), &user_id.as_str()],
            )?
            .is_some())
    }

    fn participant_ids(&self, conversation_id: &ChannelId) -> StoreResult<Vec<UserId>> {
        self.ids(
            "SELECT user_id FROM conversation_members WHERE conversation_id = $1 ORDER BY user_id",
            conversation_id.as_str(),
        )
    }

    fn conversations_of(
        &self,
        user_id: &UserId,
        after: Option<(TimestampMs, &str)>,
        limit: Option<u32>,
    ) -> StoreResult<Vec<ConversationInfo>> {
        let (at, after_id) = after.unzip();
        self.conversations_where(
            concat!(
                conversation_select!(),
                "JOIN conversation_members j ON j.conversation_id = v.conversation_id
                 WHERE j.user_id = $1
                   AND ($2::bigint IS NULL OR c.last_activity_ms < $2::bigint
                        OR (c.last_activity_ms = $2::bigint AND v.conversation_id < $3::text))
                 ORDER BY c.last_activity_ms DESC, v.conversation_id DESC LIMIT $4::bigint"
            ),
            &[&user_id.as_str(), &at, &after_id, &limit.map(i64::from)],
        )
    }
}
