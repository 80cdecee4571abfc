//! Reactions (ordered by `reaction_id`, an identity column: time of first use) and pins in
//! PostgreSQL.

use std::collections::HashMap;

use community_protocol::{
    ChannelId, Message, REACTION_USERS_SHOWN, Reaction, Seq, TimestampMs, UserId,
};

use super::PgTx;
use super::convert::{signed, unsigned};
use crate::store::{PinStore, ReactionStore, StoreResult};

fn shown() -> i64 {
    i64::try_from(REACTION_USERS_SHOWN).unwrap_or(i64::MAX)
}

impl PgTx<'_> {
    /// Fills in the reactions of `messages` (all of `channel_id`) as `viewer` sees them
    /// (one query for the whole page).
    pub(super) fn fill_reactions(
        &self,
        channel_id: &ChannelId,
        messages: &mut [Message],
        viewer: Option<&UserId>,
    ) -> StoreResult<()> {
        if messages.is_empty() {
            return Ok(());
        }
        let seqs: Vec<i64> = messages.iter().map(|m| signed(m.seq)).collect();
        let rows = self.query(
            "SELECT seq, emoji, user_id, rn, cnt FROM (
                SELECT seq, emoji, user_id,
                       ROW_NUMBER() OVER (PARTITION BY seq, emoji ORDER BY reaction_id) AS rn,
                       COUNT(*) OVER (PARTITION BY seq, emoji) AS cnt,
                       MIN(reaction_id) OVER (PARTITION BY seq, emoji) AS first
                FROM reactions
                WHERE channel_id = $1 AND seq = ANY($2)) r
             WHERE rn <= $3 OR user_id = $4::text
             ORDER BY seq, first, rn",
            &[
                &channel_id.as_str(),
                &seqs,
                &shown(),
                &viewer.map(UserId::as_str),
            ],
        )?;
        let mut by_seq: HashMap<Seq, Vec<Reaction>> = HashMap::new();
        for row in rows {
            let seq = unsigned(row.get(0));
            let emoji: String = row.get(1);
            let user_id = UserId::from(row.get::<_, String>(2));
            let rank: i64 = row.get(3);
            let count: i64 = row.get(4);
            let reactions = by_seq.entry(seq).or_default();
            if reactions.last().is_none_or(|r| r.emoji != emoji) {
                reactions.push(Reaction {
                    emoji,
                    count: u32::try_from(count).unwrap_or(u32::MAX),
                    users: Vec::new(),
                    me: false,
                });
            }
            let Some(reaction) = reactions.last_mut() else {
                continue;
            };
            if viewer == Some(&user_id) {
                reaction.me = true;
            }
            if rank <= shown() {
                reaction.users.push(user_id);
            }
        }
        for message in messages {
            if let Some(reactions) = by_seq.remove(&message.seq) {
                message.reactions = reactions;
            }
        }
        Ok(())
    }
}

impl ReactionStore for PgTx<'_> {
    fn add_reaction(
        &self,
        channel_id: &ChannelId,
        seq: Seq,
        emoji: &str,
        user_id: &UserId,
        at_ms: TimestampMs,
    ) -> StoreResult<bool> {
        let added = self.execute(
            "INSERT INTO reactions (channel_id, seq, emoji, user_id, at_ms)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            &[
                &channel_id.as_str(),
                &signed(seq),
                &emoji,
                &user_id.as_str(),
                &at_ms,
            ],
        )?;
        Ok(added > 0)
    }

    fn remove_reaction(
        &self,
        channel_id: &ChannelId,
        seq: Seq,
        emoji: &str,
        user_id: &UserId,
    ) -> StoreResult<bool> {
        let removed = self.execute(
            "DELETE FROM reactions
             WHERE channel_id = $1 AND seq = $2 AND emoji = $3 AND user_id = $4",
            &[
                &channel_id.as_str(),
                &signed(seq),
                &emoji,
                &user_id.as_str(),
            ],
        )?;
        Ok(removed > 0)
    }

    fn reaction_count(&self, channel_id: &ChannelId, seq: Seq, emoji: &str) -> StoreResult<u32> {
        let count: i64 = self
            .query_one(
                "SELECT COUNT(*) FROM reactions WHERE channel_id = $1 AND seq = $2 AND emoji = $3",
                &[&channel_id.as_str(), &signed(seq), &emoji],
            )?
            .get(0);
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    fn first_reactors(
        &self,
        channel_id: &ChannelId,
        seq: Seq,
        emoji: &str,
    ) -> StoreResult<Vec<UserId>> {
        Ok(self
            .query(
                "SELECT user_id FROM reactions WHERE channel_id = $1 AND seq = $2 AND emoji = $3
                 ORDER BY reaction_id LIMIT $4",
                &[&channel_id.as_str(), &signed(seq), &emoji, &shown()],
            )?
            .iter()
            .map(|row| UserId::from(row.get::<_, String>(0)))
            .collect())
    }
}

impl PinStore for PgTx<'_> {
    fn pin(
        &self,
        channel_id: &ChannelId,
        seq: Seq,
        by: &UserId,
        at_ms: TimestampMs,
    ) -> StoreResult<bool> {
        let pinned = self.execute(
            "INSERT INTO pins (channel_id, seq, by_user, at_ms) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING",
            &[&channel_id.as_str(), &signed(seq), &by.as_str(), &at_ms],
        )?;
        Ok(pinned > 0)
    }

    fn unpin(&self, channel_id: &ChannelId, seq: Seq) -> StoreResult<bool> {
        let unpinned = self.execute(
            "DELETE FROM pins WHERE channel_id = $1 AND seq = $2",
            &[&channel_id.as_str(), &signed(seq)],
        )?;
        Ok(unpinned > 0)
    }

    fn pin_count(&self, channel_id: &ChannelId) -> StoreResult<usize> {
        let count: i64 = self
            .query_one(
                "SELECT COUNT(*) FROM pins WHERE channel_id = $1",
                &[&channel_id.as_str()],
            )?
            .get(0);
        Ok(usize::try_from(count).unwrap_or(usize::MAX))
    }
}
