//! The per-channel change log and the idempotency keys of edits in PostgreSQL.
//!
//! A change's number comes from `channels.change_seq`, bumped by a row-locked `UPDATE …
//! RETURNING` in the same write transaction as the insert (like message sequences), so
//! change sequences are gap-free across nodes. An edit key is looked up under a
//! transaction-scoped advisory lock in a write transaction (as message keys are), so the
//! same edit sent through two nodes applies once.

use community_protocol::{
    ChangeKind, ChannelId, CommunityId, MessageChange, MessageContent, Seq, UserId,
};
use postgres::Row;

use super::PgTx;
use super::convert::{json, signed, unsigned};
use crate::StoreError;
use crate::store::{ChangeStore, EditKey, NewChange, StoreResult};

fn change_from_row(
    community_id: &CommunityId,
    channel_id: &ChannelId,
    row: &Row,
) -> Result<MessageChange, StoreError> {
    Ok(MessageChange {
        community_id: community_id.to_owned(),
        channel_id: channel_id.to_owned(),
        change_seq: unsigned(row.get(0)),
        seq: unsigned(row.get(1)),
        by: row.get::<_, String>(2).into(),
        at_ms: row.get(3),
        kind: json(row.get::<_, &str>(4))?,
    })
}

impl ChangeStore for PgTx<'_> {
    fn append_change(&self, change: &NewChange<'_>) -> StoreResult<MessageChange> {
        let change_seq: i64 = self
            .query_opt(
                "UPDATE channels SET change_seq = change_seq + 1 WHERE channel_id = $1
                 RETURNING change_seq",
                &[&change.channel_id.as_str()],
            )?
            .ok_or_else(|| StoreError::Corrupt(format!("channel {} vanished", change.channel_id)))?
            .get(0);
        self.execute(
            "INSERT INTO message_changes (channel_id, change_seq, seq, by_user, at_ms, body)
             VALUES ($1, $2, $3, $4, $5, $6::text::jsonb)",
            &[
                &change.channel_id.as_str(),
                &change_seq,
                &signed(change.seq),
                &change.by.as_str(),
                &change.at_ms,
                &serde_json::to_string(&change.kind)?,
            ],
        )?;
        Ok(MessageChange {
            community_id: change.community_id.to_owned(),
            channel_id: change.channel_id.to_owned(),
            change_seq: unsigned(change_seq),
            seq: change.seq,
            by: change.by.to_owned(),
            at_ms: change.at_ms,
            kind: change.kind.clone(),
        })
    }

    fn change(
        &self,
        community_id: &CommunityId,
        channel_id: &ChannelId,
        change_seq: u64,
    ) -> StoreResult<Option<MessageChange>> {
        self.query_opt(
            "SELECT change_seq, seq, by_user, at_ms, body::text FROM message_changes
             WHERE channel_id = $1 AND change_seq = $2",
            &[&channel_id.as_str(), &signed(change_seq)],
        )?
        .map(|row| change_from_row(community_id, channel_id, &row))
        .transpose()
    }

    fn changes(
        &self,
        community_id: &CommunityId,
        channel_id: &ChannelId,
        after: u64,
        limit: u32,
    ) -> StoreResult<(Vec<MessageChange>, bool)> {
        let mut changes = self
            .query(
                "SELECT change_seq, seq, by_user, at_ms, body::text
                 FROM message_changes WHERE channel_id = $1 AND change_seq > $2
                 ORDER BY change_seq LIMIT $3",
                &[
                    &channel_id.as_str(),
                    &signed(after),
                    &(i64::from(limit) + 1),
                ],
            )?
            .iter()
            .map(|row| change_from_row(community_id, channel_id, row))
            .collect::<Result<Vec<_>, _>>()?;
        let has_more = changes.len() > limit as usize;
        changes.truncate(limit as usize);
        Ok((changes, has_more))
    }

    fn scrub_edits(
        &self,
        channel_id: &ChannelId,
        seq: Seq,
        tombstone: &MessageContent,
    ) -> StoreResult<()> {
        let rows = self.query(
            "SELECT change_seq, body::text FROM message_changes
             WHERE channel_id = $1 AND seq = $2",
            &[&channel_id.as_str(), &signed(seq)],
        )?;
        for row in rows {
            let change_seq: i64 = row.get(0);
            let mut kind: ChangeKind = json(row.get::<_, &str>(1))?;
            if let ChangeKind::Edited {
                content,
                custom_data,
                ..
            } = &mut kind
            {
                *content = tombstone.clone();
                custom_data.clear();
                self.execute(
                    "UPDATE message_changes SET body = $3::text::jsonb
                     WHERE channel_id = $1 AND change_seq = $2",
                    &[
                        &channel_id.as_str(),
                        &change_seq,
                        &serde_json::to_string(&kind)?,
                    ],
                )?;
            }
        }
        Ok(())
    }

    fn edit_by_key(
        &self,
        editor_id: &UserId,
        idempotency_key: &str,
    ) -> StoreResult<Option<EditKey>> {
        if self.is_write() {
            // Held until commit: the same edit through another node waits, then finds it.
            self.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended('edit/' || $1::text || '/' || $2::text, 0))",
                &[&editor_id.as_str(), &idempotency_key],
            )?;
        }
        Ok(self
            .query_opt(
                "SELECT channel_id, seq, change_seq FROM edit_keys
                 WHERE editor_id = $1 AND idempotency_key = $2",
                &[&editor_id.as_str(), &idempotency_key],
            )?
            .map(|row| EditKey {
                channel_id: row.get::<_, String>(0).into(),
                seq: unsigned(row.get(1)),
                change_seq: unsigned(row.get(2)),
            }))
    }

    fn insert_edit_key(
        &self,
        editor_id: &UserId,
        idempotency_key: &str,
        key: &EditKey,
    ) -> StoreResult<()> {
        self.execute(
            "INSERT INTO edit_keys (editor_id, idempotency_key, channel_id, seq, change_seq)
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &editor_id.as_str(),
                &idempotency_key,
                &key.channel_id.as_str(),
                &signed(key.seq),
                &signed(key.change_seq),
            ],
        )?;
        Ok(())
    }
}
