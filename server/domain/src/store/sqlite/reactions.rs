//! Reactions and pins in SQLite.
//!
//! A reaction is one row per (message, emoji, user); its rowid orders it in time, so a
//! message's emoji come in the order they were first used and each emoji's users oldest
//! first. The reactions of a whole page of messages are read in one query that counts
//! every emoji and keeps only its first [`REACTION_USERS_SHOWN`] users (and the viewer's
//! own row, for `me`).

use std::collections::HashMap;

use community_protocol::{
    ChannelId, Message, REACTION_USERS_SHOWN, Reaction, Seq, TimestampMs, UserId,
};
use rusqlite::params;

use super::SqliteTx;
use super::convert::{signed, unsigned};
use crate::store::{PinStore, ReactionStore, StoreResult};

impl SqliteTx<'_> {
    /// Fills in the reactions of `messages` (all of `channel_id`) as `viewer` sees them.
    pub(super) fn fill_reactions(
        &self,
        channel_id: &ChannelId,
        messages: &mut [Message],
        viewer: Option<&UserId>,
    ) -> StoreResult<()> {
        if messages.is_empty() {
            return Ok(());
        }
        let seqs = serde_json::to_string(&messages.iter().map(|m| m.seq).collect::<Vec<_>>())?;
        let mut statement = self.conn.prepare_cached(
            "SELECT seq, emoji, user_id, rn, cnt FROM (
                SELECT seq, emoji, user_id,
                       ROW_NUMBER() OVER (PARTITION BY seq, emoji ORDER BY rowid) AS rn,
                       COUNT(*) OVER (PARTITION BY seq, emoji) AS cnt,
                       MIN(rowid) OVER (PARTITION BY seq, emoji) AS first
                FROM reactions
                WHERE channel_id = ?1 AND seq IN (SELECT value FROM json_each(?2)))
             WHERE rn <= ?3 OR user_id = ?4
             ORDER BY seq, first, rn",
        )?;
        let shown = i64::try_from(REACTION_USERS_SHOWN).unwrap_or(i64::MAX);
        let rows = statement.query_map(
            params![channel_id.as_str(), seqs, shown, viewer.map(UserId::as_str)],
            |row| {
                Ok((
                    unsigned(row.get(0)?),
                    row.get::<_, String>(1)?,
                    UserId::from(row.get::<_, String>(2)?),
                    row.get::<_, i64>(3)?,
                    row.get::<_, i64>(4)?,
                ))
            },
        )?;
        let mut by_seq: HashMap<Seq, Vec<Reaction>> = HashMap::new();
        for row in rows {
            let (seq, emoji, user_id, rank, count) = row?;
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
            if rank <= shown {
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

impl ReactionStore for SqliteTx<'_> {
    fn add_reaction(
        &self,
        channel_id: &ChannelId,
        seq: Seq,
        emoji: &str,
        user_id: &UserId,
        at_ms: TimestampMs,
    ) -> StoreResult<bool> {
        let added = self
            .conn
            .prepare_cached(
                "INSERT OR IGNORE INTO reactions (channel_id, seq, emoji, user_id, at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                channel_id.as_str(),
                signed(seq),
                emoji,
                user_id.as_str(),
                at_ms
            ])?;
        Ok(added > 0)
    }

    fn remove_reaction(
        &self,
        channel_id: &ChannelId,
        seq: Seq,
        emoji: &str,
        user_id: &UserId,
    ) -> StoreResult<bool> {
        let removed = self
            .conn
            .prepare_cached(
                "DELETE FROM reactions
                 WHERE channel_id = ?1 AND seq = ?2 AND emoji = ?3 AND user_id = ?4",
            )?
            .execute(params![
                channel_id.as_str(),
                signed(seq),
                emoji,
                user_id.as_str()
            ])?;
        Ok(removed > 0)
    }

    fn reaction_count(&self, channel_id: &ChannelId, seq: Seq, emoji: &str) -> StoreResult<u32> {
        let count: i64 = self
            .conn
            .prepare_cached(
                "SELECT COUNT(*) FROM reactions WHERE channel_id = ?1 AND seq = ?2 AND emoji = ?3",
            )?
            .query_row(params![channel_id.as_str(), signed(seq), emoji], |row| {
                row.get(0)
            })?;
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    fn first_reactors(
        &self,
        channel_id: &ChannelId,
        seq: Seq,
        emoji: &str,
    ) -> StoreResult<Vec<UserId>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT user_id FROM reactions WHERE channel_id = ?1 AND seq = ?2 AND emoji = ?3
             ORDER BY rowid LIMIT ?4",
        )?;
        let shown = i64::try_from(REACTION_USERS_SHOWN).unwrap_or(i64::MAX);
        let rows = statement.query_map(
            params![channel_id.as_str(), signed(seq), emoji, shown],
            |row| row.get::<_, String>(0).map(UserId::from),
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

impl PinStore for SqliteTx<'_> {
    fn pin(
        &self,
        channel_id: &ChannelId,
        seq: Seq,
        by: &UserId,
        at_ms: TimestampMs,
    ) -> StoreResult<bool> {
        let pinned = self
            .conn
            .prepare_cached(
                "INSERT OR IGNORE INTO pins (channel_id, seq, by_user, at_ms) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![channel_id.as_str(), signed(seq), by.as_str(), at_ms])?;
        Ok(pinned > 0)
    }

    fn unpin(&self, channel_id: &ChannelId, seq: Seq) -> StoreResult<bool> {
        let unpinned = self
            .conn
            .prepare_cached("DELETE FROM pins WHERE channel_id = ?1 AND seq = ?2")?
            .execute(params![channel_id.as_str(), signed(seq)])?;
        Ok(unpinned > 0)
    }

    fn pin_count(&self, channel_id: &ChannelId) -> StoreResult<usize> {
        let count: i64 = self
            .conn
            .prepare_cached("SELECT COUNT(*) FROM pins WHERE channel_id = ?1")?
            .query_row(params![channel_id.as_str()], |row| row.get(0))?;
        Ok(usize::try_from(count).unwrap_or(usize::MAX))
    }
}
