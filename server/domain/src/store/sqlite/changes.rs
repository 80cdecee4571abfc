//! The per-channel change log and the idempotency keys of edits in SQLite.
//!
//! A change's number comes from `channels.change_seq`, bumped in the same write
//! transaction as the insert (like message sequences), so change sequences are gap-free.
//! The log's primary key `(channel_id, change_seq)` serves `get_changes` as one range
//! scan.

use community_protocol::{
    ChangeKind, ChannelId, CommunityId, MessageChange, MessageContent, Seq, UserId,
};
use rusqlite::{OptionalExtension, Row, params};

use super::SqliteTx;
use super::convert::{id, in_row, signed, unsigned};
use crate::StoreError;
use crate::store::{ChangeStore, EditKey, NewChange, StoreResult};

const CHANGE_COLUMNS: &str = "change_seq, seq, by_user, at_ms, body";

/// A page of a channel's log: ?1 channel, ?2 after, ?3 how many. One range scan of the
/// primary key.
pub(super) const CHANGES_SQL: &str = "SELECT change_seq, seq, by_user, at_ms, body
     FROM message_changes WHERE channel_id = ?1 AND change_seq > ?2
     ORDER BY change_seq LIMIT ?3";

fn change_from_row(
    community_id: &CommunityId,
    channel_id: &ChannelId,
    row: &Row<'_>,
) -> rusqlite::Result<MessageChange> {
    let body: String = row.get(4)?;
    Ok(MessageChange {
        community_id: community_id.to_owned(),
        channel_id: channel_id.to_owned(),
        change_seq: unsigned(row.get(0)?),
        seq: unsigned(row.get(1)?),
        by: id(row, 2)?,
        at_ms: row.get(3)?,
        kind: serde_json::from_str(&body).map_err(|e| in_row(e.into()))?,
    })
}

impl ChangeStore for SqliteTx<'_> {
    fn append_change(&self, change: &NewChange<'_>) -> StoreResult<MessageChange> {
        let change_seq: i64 = self
            .conn
            .prepare_cached(
                "UPDATE channels SET change_seq = change_seq + 1 WHERE channel_id = ?1
                 RETURNING change_seq",
            )?
            .query_row([change.channel_id.as_str()], |row| row.get(0))
            .optional()?
            .ok_or_else(|| {
                StoreError::Corrupt(format!("channel {} vanished", change.channel_id))
            })?;
        self.conn
            .prepare_cached(&format!(
                "INSERT INTO message_changes (channel_id, {CHANGE_COLUMNS})
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
            ))?
            .execute(params![
                change.channel_id.as_str(),
                change_seq,
                signed(change.seq),
                change.by.as_str(),
                change.at_ms,
                serde_json::to_string(&change.kind)?,
            ])?;
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
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {CHANGE_COLUMNS} FROM message_changes WHERE channel_id = ?1 AND change_seq = ?2"
            ))?
            .query_row(params![channel_id.as_str(), signed(change_seq)], |row| {
                change_from_row(community_id, channel_id, row)
            })
            .optional()?)
    }

    fn changes(
        &self,
        community_id: &CommunityId,
        channel_id: &ChannelId,
        after: u64,
        limit: u32,
    ) -> StoreResult<(Vec<MessageChange>, bool)> {
        let mut statement = self.conn.prepare_cached(CHANGES_SQL)?;
        let rows = statement.query_map(
            params![channel_id.as_str(), signed(after), i64::from(limit) + 1],
            |row| change_from_row(community_id, channel_id, row),
        )?;
        let mut changes: Vec<MessageChange> = rows.collect::<Result<_, _>>()?;
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
        let mut select = self.conn.prepare_cached(
            "SELECT change_seq, body FROM message_changes WHERE channel_id = ?1 AND seq = ?2",
        )?;
        let rows = select.query_map(params![channel_id.as_str(), signed(seq)], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
        })?;
        let mut scrubbed = Vec::new();
        for row in rows {
            let (change_seq, body) = row?;
            let mut kind: ChangeKind = serde_json::from_str(&body)?;
            if let ChangeKind::Edited {
                content,
                custom_data,
                ..
            } = &mut kind
            {
                *content = tombstone.clone();
                custom_data.clear();
                scrubbed.push((change_seq, serde_json::to_string(&kind)?));
            }
        }
        let mut update = self.conn.prepare_cached(
            "UPDATE message_changes SET body = ?3 WHERE channel_id = ?1 AND change_seq = ?2",
        )?;
        for (change_seq, body) in scrubbed {
            update.execute(params![channel_id.as_str(), change_seq, body])?;
        }
        Ok(())
    }

    fn edit_by_key(
        &self,
        editor_id: &UserId,
        idempotency_key: &str,
    ) -> StoreResult<Option<EditKey>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT channel_id, seq, change_seq FROM edit_keys
                 WHERE editor_id = ?1 AND idempotency_key = ?2",
            )?
            .query_row(params![editor_id.as_str(), idempotency_key], |row| {
                Ok(EditKey {
                    channel_id: id(row, 0)?,
                    seq: unsigned(row.get(1)?),
                    change_seq: unsigned(row.get(2)?),
                })
            })
            .optional()?)
    }

    fn insert_edit_key(
        &self,
        editor_id: &UserId,
        idempotency_key: &str,
        key: &EditKey,
    ) -> StoreResult<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO edit_keys (editor_id, idempotency_key, channel_id, seq, change_seq)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                editor_id.as_str(),
                idempotency_key,
                key.channel_id.as_str(),
                signed(key.seq),
                signed(key.change_seq),
            ])?;
        Ok(())
    }
}
