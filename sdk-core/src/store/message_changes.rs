//! Keeping cached messages equal to the server's: the channel's change sequence applied
//! in order, pages that replace older copies, and local echoes.
//!
//! Each channel with cached messages has an *applied* change sequence
//! (`message_channels.change_seq`): every cached message of the channel includes every
//! change up to it. A change is applied only when it is the next one (`applied + 1`);
//! one at or below is a duplicate (replays are harmless), one further on reveals a gap:
//! the channel is reported *behind* and the caller fetches the missing changes
//! (`get_changes`), which arrive in order and apply. NULL (a cache written before changes
//! existed, or a channel cached by a sent message) counts as 0.
//!
//! Every change sets absolute values ([`Message::apply_change`]), so applying an older
//! change over a newer copy is corrected by the changes that follow it.

use std::collections::HashMap;

use community_protocol::{
    ChangeKind, ChannelId, CommunityId, Message, MessageChange, ReplyPreview, Seq, ThreadDigest,
    UserId,
};
use rusqlite::{Connection, OptionalExtension, params};

use super::columns::*;
use super::messages::{self, INSERT_SQL, MESSAGE_COLUMNS, UPSERT_SQL, insert_queued, upsert_with};
use super::search_index;
use super::{Replacement, StoreError};

/// What a batch of changes or a page did to the cache.
#[derive(Debug, Default)]
pub(crate) struct CacheOutcome {
    /// Messages that were not cached before.
    pub new: Vec<Message>,
    /// Cached messages that changed (each once, as it is now).
    pub updated: Vec<Message>,
    /// Channels whose cache misses changes: fetch them with `get_changes`.
    pub behind: Vec<(CommunityId, ChannelId)>,
}

impl CacheOutcome {
    fn update(&mut self, index: &mut HashMap<(ChannelId, Seq), usize>, message: Message) {
        let key = (message.channel_id.clone(), message.seq);
        match index.get(&key) {
            Some(&at) => self.updated[at] = message,
            None => {
                index.insert(key, self.updated.len());
                self.updated.push(message);
            }
        }
    }

    fn behind(&mut self, community_id: &CommunityId, channel_id: &ChannelId) {
        let pair = (community_id.clone(), channel_id.clone());
        if !self.behind.contains(&pair) {
            self.behind.push(pair);
        }
    }
}

/// The applied change sequence of a channel: `None` when it has no cached messages.
pub(crate) fn applied(
    connection: &Connection,
    channel_id: &ChannelId,
) -> Result<Option<u64>, StoreError> {
    let value: Option<Option<i64>> = connection
        .prepare_cached("SELECT change_seq FROM message_channels WHERE channel_id = ?1")?
        .query_row([channel_id.as_str()], |row| row.get(0))
        .optional()?;
    value
        .map(|seq| uint(seq.unwrap_or(0), "change_seq"))
        .transpose()
}

fn set_applied(
    connection: &Connection,
    channel_id: &ChannelId,
    change_seq: u64,
) -> Result<(), StoreError> {
    connection
        .prepare_cached("UPDATE message_channels SET change_seq = ?2 WHERE channel_id = ?1")?
        .execute(params![channel_id.as_str(), int(change_seq)])?;
    Ok(())
}

/// Sets where a channel's cache stands when that is not known yet (a channel whose first
/// cached messages came as events: they are new, so the channel's change sequence as the
/// sync task knows it is exact for them).
pub(crate) fn set_baseline(
    connection: &Connection,
    community_id: &CommunityId,
    channel_id: &ChannelId,
    change_seq: u64,
) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "INSERT INTO message_channels (channel_id, community_id, change_seq)
             VALUES (?1, ?2, ?3)
             ON CONFLICT (channel_id) DO UPDATE SET
                 change_seq = COALESCE(message_channels.change_seq, excluded.change_seq)",
        )?
        .execute(params![
            channel_id.as_str(),
            community_id.as_str(),
            int(change_seq)
        ])?;
    Ok(())
}

/// Every channel with cached messages and its applied change sequence.
pub(crate) fn cached_channels(
    connection: &Connection,
) -> Result<Vec<(CommunityId, ChannelId, u64)>, StoreError> {
    let mut statement = connection
        .prepare_cached("SELECT community_id, channel_id, change_seq FROM message_channels")?;
    let mut rows = statement.query([])?;
    let mut channels = Vec::new();
    while let Some(row) = rows.next()? {
        let applied: Option<i64> = row.get(2)?;
        channels.push((
            CommunityId::from(row.get::<_, String>(0)?),
            ChannelId::from(row.get::<_, String>(1)?),
            uint(applied.unwrap_or(0), "change_seq")?,
        ));
    }
    Ok(channels)
}

/// Applies `changes` (any channels, each channel's in ascending order) as seen by `me`.
pub(crate) fn apply_changes(
    connection: &Connection,
    changes: &[MessageChange],
    me: &UserId,
) -> Result<CacheOutcome, StoreError> {
    let mut outcome = CacheOutcome::default();
    let mut index = HashMap::new();
    // Applied sequence per channel for this batch (`None`: not cached), written at the end.
    let mut positions: HashMap<ChannelId, Option<u64>> = HashMap::new();
    for change in changes {
        let position = match positions.get(&change.channel_id) {
            Some(position) => *position,
            None => {
                let position = applied(connection, &change.channel_id)?;
                positions.insert(change.channel_id.clone(), position);
                position
            }
        };
        let Some(position) = position else {
            continue; // nothing of this channel is cached
        };
        if change.change_seq <= position {
            continue; // applied already
        }
        if change.change_seq > position + 1 {
            outcome.behind(&change.community_id, &change.channel_id);
            continue;
        }
        apply_one(connection, change, me, &mut outcome, &mut index)?;
        positions.insert(change.channel_id.clone(), Some(change.change_seq));
    }
    for (channel_id, position) in positions {
        if let Some(position) = position {
            set_applied(connection, &channel_id, position)?;
        }
    }
    Ok(outcome)
}

fn apply_one(
    connection: &Connection,
    change: &MessageChange,
    me: &UserId,
    outcome: &mut CacheOutcome,
    index: &mut HashMap<(ChannelId, Seq), usize>,
) -> Result<(), StoreError> {
    if let Some(mut message) = current(connection, &change.channel_id, change.seq, outcome, index)?
    {
        let before = message.clone();
        message.apply_change(change, me);
        if message != before {
            rewrite(connection, &before, &message)?;
            outcome.update(index, message);
        }
    }
    if matches!(
        change.kind,
        ChangeKind::Edited { .. } | ChangeKind::Recalled { .. }
    ) {
        for mut reply in replies(connection, &change.channel_id, change.seq)? {
            let key = (reply.channel_id.clone(), reply.seq);
            if let Some(&at) = index.get(&key) {
                reply = outcome.updated[at].clone();
            }
            let Some(preview) = reply.reply_preview.as_mut() else {
                reply.reply_preview = Some(preview_from_change(change));
                write_fields(connection, &reply)?;
                outcome.update(index, reply);
                continue;
            };
            if preview.follow(change) {
                write_fields(connection, &reply)?;
                outcome.update(index, reply);
            }
        }
    }
    Ok(())
}

/// A preview for a cached reply that had none (from a server that did not fill it).
fn preview_from_change(change: &MessageChange) -> ReplyPreview {
    let sender_id = match &change.kind {
        ChangeKind::Recalled { sender_id, .. } => sender_id.clone(),
        _ => change.by.clone(),
    };
    let mut preview = ReplyPreview {
        seq: change.seq,
        sender_id,
        text: String::new(),
        state: Default::default(),
    };
    preview.follow(change);
    preview
}

/// The message as this batch left it, else as cached.
fn current(
    connection: &Connection,
    channel_id: &ChannelId,
    seq: Seq,
    outcome: &CacheOutcome,
    index: &HashMap<(ChannelId, Seq), usize>,
) -> Result<Option<Message>, StoreError> {
    if let Some(&at) = index.get(&(channel_id.clone(), seq)) {
        return Ok(Some(outcome.updated[at].clone()));
    }
    messages::get(connection, channel_id, seq)
}

fn replies(
    connection: &Connection,
    channel_id: &ChannelId,
    seq: Seq,
) -> Result<Vec<Message>, StoreError> {
    let sql =
        format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE channel_id = ?1 AND reply_to = ?2");
    messages::query(connection, &sql, params![channel_id.as_str(), int(seq)])
}

/// Writes what changes can change but the searchable text: mentions and extras (a
/// reply's preview, a thread digest).
fn write_fields(connection: &Connection, message: &Message) -> Result<(), StoreError> {
    let mut statement = connection.prepare_cached(UPSERT_SQL)?;
    upsert_with(&mut statement, message)?;
    Ok(())
}

/// Writes a new copy of a cached message; when its searchable text changed (an edit, a
/// recall: a recalled message is never found), its old document stops counting at once
/// and the new text is queued for indexing.
fn rewrite(connection: &Connection, old: &Message, new: &Message) -> Result<(), StoreError> {
    write_fields(connection, new)?;
    search_index::rewritten(connection, Some(old), new)
}

/// Replaces cached messages with other copies: local echoes, and the server's copies
/// (answers to the user's own changes, a refetch after a refused change) unless the
/// cache applied later changes than the copy includes. Messages not cached are left out.
/// Returns those that changed.
pub(crate) fn replace(
    connection: &Connection,
    replacements: Vec<Replacement>,
) -> Result<Vec<Message>, StoreError> {
    let mut changed = Vec::new();
    for Replacement { message, as_of } in replacements {
        if let Some(as_of) = as_of
            && applied(connection, &message.channel_id)?.is_some_and(|applied| applied > as_of)
        {
            continue;
        }
        match messages::get(connection, &message.channel_id, message.seq)? {
            Some(cached) if cached != message => {
                rewrite(connection, &cached, &message)?;
                changed.push(message);
            }
            _ => {}
        }
    }
    Ok(changed)
}

/// Puts a thread's digest on the cached message it started from; returns the message
/// when it is cached and changed.
pub(crate) fn set_digest(
    connection: &Connection,
    channel_id: &ChannelId,
    seq: Seq,
    digest: ThreadDigest,
) -> Result<Option<Message>, StoreError> {
    let Some(mut message) = messages::get(connection, channel_id, seq)? else {
        return Ok(None);
    };
    if message.thread.as_ref() == Some(&digest) {
        return Ok(None);
    }
    message.thread = Some(digest);
    write_fields(connection, &message)?;
    Ok(Some(message))
}

/// Stores a page the server read at `change_seq` (protocol `MessagesPage.change_seq`):
/// - a channel not cached yet starts at `change_seq`;
/// - a page at least as new as the cache replaces the cached copies of its messages; the
///   channel is behind when the page is newer (other cached messages miss changes);
/// - an older page only adds the messages not cached, and moves the channel back to
///   `change_seq` (the added messages miss the changes since), so it is behind.
pub(crate) fn insert_page(
    connection: &Connection,
    community_id: &CommunityId,
    channel_id: &ChannelId,
    page: Vec<Message>,
    change_seq: u64,
) -> Result<CacheOutcome, StoreError> {
    let mut outcome = CacheOutcome::default();
    if page.is_empty() {
        return Ok(outcome);
    }
    let position = applied(connection, channel_id)?;
    match position {
        None => {
            set_baseline(connection, community_id, channel_id, change_seq)?;
            outcome.new = messages::insert(connection, page)?;
        }
        Some(position) if change_seq >= position => {
            let mut insert = connection.prepare_cached(INSERT_SQL)?;
            let mut new = search_index::NewMessages::default();
            for message in page {
                match messages::get(connection, &message.channel_id, message.seq)? {
                    None => {
                        insert_queued(&mut insert, &mut new, &message)?;
                        outcome.new.push(message);
                    }
                    Some(cached) if cached != message => {
                        rewrite(connection, &cached, &message)?;
                        outcome.updated.push(message);
                    }
                    Some(_) => {}
                }
            }
            new.queue(connection)?;
            if change_seq > position {
                outcome.behind(community_id, channel_id);
            }
        }
        Some(_) => {
            outcome.new = messages::insert(connection, page)?;
            set_applied(connection, channel_id, change_seq)?;
            outcome.behind(community_id, channel_id);
        }
    }
    Ok(outcome)
}
