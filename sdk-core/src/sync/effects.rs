//! [`Effects`]: what applying one batch of events or answers did besides changing the
//! state — the store writes to make in one transaction, messages and their changes to
//! cache, heads to persist, communities whose heads to refetch. Filled by `apply` and
//! `people`, written by the sync task.

use std::collections::BTreeSet;

use community_protocol::{ChannelHead, ChannelId, CommunityId, Message, MessageChange, Seq};

use crate::state::State;
use crate::store::{Change, Replacement};

/// What the sync task does with a batch's effects: the store writes, the communities
/// whose heads to refetch, the channels with activity.
#[derive(Debug, Default)]
pub(crate) struct Written {
    /// Store writes, in order.
    pub changes: Vec<Change>,
    /// Communities whose counts are estimates now.
    pub dirty_heads: BTreeSet<CommunityId>,
    /// Channels with slow-path activity up to a sequence.
    pub activity: Vec<(CommunityId, ChannelId, Seq)>,
    /// Holes in channels' live messages: `(after, up_to]` was skipped.
    pub holes: Vec<Hole>,
}

/// Messages a channel's live stream skipped: a message arrived at `up_to + 1` while the
/// newest known was `after` (with several server nodes, a message committed on another
/// node may arrive late or, in the instant a node's link drops, not at all). An open
/// timeline gets them fetched; the counts are repaired by the heads either way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hole {
    /// The community.
    pub community_id: CommunityId,
    /// The channel.
    pub channel_id: ChannelId,
    /// The newest message known before the hole.
    pub after: Seq,
    /// The last message of the hole.
    pub up_to: Seq,
}

/// What a batch did besides changing the state.
#[derive(Debug, Default)]
pub(crate) struct Effects {
    /// Store writes, in order.
    pub changes: Vec<Change>,
    /// Messages to store (the new ones are published after the write).
    pub messages: Vec<Message>,
    /// Where channels whose messages are stored here stand in their change sequence
    /// (taken at each channel's first message of the batch).
    pub baselines: Vec<(CommunityId, ChannelId, u64)>,
    /// Changes to apply to cached messages, in order.
    pub message_changes: Vec<MessageChange>,
    /// Cached messages to replace.
    pub replacements: Vec<Replacement>,
    /// Channels whose heads changed (persisted at the end of the batch).
    pub touched: BTreeSet<(CommunityId, ChannelId)>,
    /// Communities whose counts are estimates now: refetch their heads.
    pub dirty_heads: BTreeSet<CommunityId>,
    /// Channels with slow-path activity up to a sequence (their messages were not sent).
    pub activity: Vec<(CommunityId, ChannelId, Seq)>,
    /// Holes in channels' live messages.
    pub holes: Vec<Hole>,
}

impl Effects {
    /// The store writes of the batch: the collected changes, then messages and heads.
    pub(crate) fn into_changes(mut self, state: &State) -> Written {
        if !self.messages.is_empty() {
            self.changes
                .push(Change::Messages(std::mem::take(&mut self.messages)));
            self.changes
                .push(Change::Baselines(std::mem::take(&mut self.baselines)));
        }
        if !self.message_changes.is_empty()
            && let Some(me) = state.user_id.clone()
        {
            self.changes.push(Change::MessageChanges {
                changes: std::mem::take(&mut self.message_changes),
                me,
            });
        }
        if !self.replacements.is_empty() {
            self.changes.push(Change::ReplaceMessages(std::mem::take(
                &mut self.replacements,
            )));
        }
        let heads: Vec<ChannelHead> = self
            .touched
            .iter()
            .filter_map(|(community, channel)| state.head(community, channel))
            .collect();
        if !heads.is_empty() {
            self.changes.push(Change::Heads(heads));
        }
        Written {
            changes: self.changes,
            dirty_heads: self.dirty_heads,
            activity: self.activity,
            holes: self.holes,
        }
    }

    pub(super) fn snapshot_of(&mut self, state: &State, community_id: &CommunityId) {
        if let Some(community) = state.community(community_id) {
            self.changes.push(Change::Snapshot(community.snapshot()));
        }
    }
}
