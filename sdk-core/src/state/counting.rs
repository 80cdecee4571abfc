//! The counting side of the state: heads, messages, changes and activity moving the unread
//! and mention counters of channels and joined threads, and the sums kept by delta.
//!
//! A channel and a joined thread are counted alike (a [`Slot`]: counter, hidden messages,
//! notification level); a thread counts at its channel's level. Every change publishes the
//! stream's new counts, its community's sums and the totals.

use std::collections::BTreeSet;

use community_protocol::{
    ChangeKind, ChannelHead, ChannelId, ChannelNotification, CommunityId, Mentions, Message,
    MessageChange, NotificationStatus, Seq,
};

use super::community::{CommunityState, counted};
use super::unread::{Activity, Counter, Effect, HeadOutcome, Impact};
use super::{MessageOutcome, State};
use crate::events::{Publication, UnreadChange};
use crate::model::{ChannelUnread, MessageUpdate};

/// The unread state of a channel or of a joined thread.
pub(super) struct Slot<'a> {
    pub counter: &'a mut Counter,
    pub hidden: &'a mut BTreeSet<Seq>,
    /// The notification level it counts at (a thread: its channel's).
    pub level: ChannelNotification,
}

/// The slot of `id` (a channel, else a joined thread) in `community`.
pub(super) fn slot<'a>(community: &'a mut CommunityState, id: &ChannelId) -> Option<Slot<'a>> {
    if community.channels.contains_key(id) {
        let channel = community.channels.get_mut(id)?;
        return Some(Slot {
            counter: &mut channel.counter,
            hidden: &mut channel.hidden,
            level: channel.level,
        });
    }
    let thread = community.threads.get_mut(id)?;
    let level = community
        .channels
        .get(&thread.info.parent_channel_id)
        .map(|c| c.level)
        .unwrap_or_default();
    Some(Slot {
        counter: &mut thread.counter,
        hidden: &mut thread.hidden,
        level,
    })
}

/// The published counts of `id` (a channel or a joined thread).
fn unread_of(community: &CommunityState, id: &ChannelId) -> Option<ChannelUnread> {
    let counter = match community.channels.get(id) {
        Some(channel) => channel.counter,
        None => community.threads.get(id)?.counter,
    };
    Some(ChannelUnread {
        community_id: community.info.community_id.clone(),
        channel_id: id.clone(),
        read_seq: counter.read_seq,
        last_seq: counter.last_seq,
        unread_count: counter.unread,
        mention_count: counter.mentions,
    })
}

impl State {
    /// A server-computed head (of a channel or a joined thread). With `force`, it replaces
    /// the counter even when older (answers the server computed after every event already
    /// applied: sync, get_heads). Returns `None` when the stream is unknown.
    pub(crate) fn apply_head(
        &mut self,
        head: &ChannelHead,
        force: bool,
        out: &mut Vec<Publication>,
    ) -> Option<HeadOutcome> {
        let community = self.communities.get_mut(&head.community_id)?;
        // A channel's level comes with its head; a thread counts at its channel's.
        let level_changed = match community.channels.get_mut(&head.channel_id) {
            Some(channel) => {
                let changed = channel.level != head.notification_level;
                channel.level = head.notification_level;
                changed
            }
            None => false,
        };
        let slot = slot(community, &head.channel_id)?;
        let hidden_before = slot.hidden.clone();
        let before = *slot.counter;
        let outcome = if force {
            *slot.counter = Counter::from_head(head);
            *slot.hidden = head.hidden.iter().copied().collect();
            if *slot.counter == before {
                HeadOutcome::Unchanged
            } else {
                HeadOutcome::Applied
            }
        } else {
            let outcome = slot.counter.apply_head(head);
            // Hidden messages only ever grow: a stale head may still add some.
            if outcome == HeadOutcome::Stale {
                slot.hidden.extend(head.hidden.iter().copied());
            } else {
                *slot.hidden = head.hidden.iter().copied().collect();
            }
            outcome
        };
        let newly_hidden: Vec<Seq> = slot.hidden.difference(&hidden_before).copied().collect();
        let after = *slot.counter;
        // Messages hidden on another device (or confirmed for this one) leave timelines.
        for seq in newly_hidden {
            out.push(Publication::Message {
                community_id: head.community_id.clone(),
                channel_id: head.channel_id.clone(),
                update: MessageUpdate::Removed { seq },
            });
        }
        if level_changed {
            // The channel's share of the sums changed (its threads' too): recompute them.
            self.recount(&head.community_id, &head.channel_id, out);
        } else {
            self.counter_changed(&head.community_id, &head.channel_id, before, after, out);
        }
        Some(outcome)
    }

    /// A message arrived (event, catch-up, or own send) in a channel or a joined thread.
    pub(crate) fn on_message(
        &mut self,
        message: &Message,
        out: &mut Vec<Publication>,
    ) -> MessageOutcome {
        let from_me = self.is_me(&message.sender_id);
        let counts_at_all = !from_me && !message.is_from_server() && !message.content.is_recalled();
        let mentions_me = self.mentions_me(&message.community_id, &message.mentions);
        let Some(slot) = self
            .communities
            .get_mut(&message.community_id)
            .and_then(|c| slot(c, &message.channel_id))
        else {
            return MessageOutcome::UnknownChannel;
        };
        let before = *slot.counter;
        let counts = counts_at_all && !slot.hidden.contains(&message.seq);
        let effect =
            slot.counter
                .on_message(message.seq, message.created_at_ms, counts, mentions_me);
        let after = *slot.counter;
        self.counter_changed(
            &message.community_id,
            &message.channel_id,
            before,
            after,
            out,
        );
        MessageOutcome::Counted(effect)
    }

    /// Whether `mentions` name the user (directly, through @everyone or a group they hold).
    fn mentions_me(&self, community_id: &CommunityId, mentions: &Mentions) -> bool {
        let my_groups = self
            .community(community_id)
            .map(|c| c.me.groups.as_slice())
            .unwrap_or_default();
        self.user_id
            .as_ref()
            .is_some_and(|me| mentions.mentions_member(me, my_groups))
    }

    /// A change to an existing message (an event, or the answer to the user's own
    /// change). Returns `None` when the channel or thread is unknown.
    pub(crate) fn on_change(
        &mut self,
        change: &MessageChange,
        out: &mut Vec<Publication>,
    ) -> Option<Effect> {
        let (sender, impact) = match &change.kind {
            ChangeKind::Edited {
                mentions,
                previous_mentions,
                ..
            } => (
                &change.by,
                Impact::Mentions {
                    before: self.mentions_me(&change.community_id, previous_mentions),
                    after: self.mentions_me(&change.community_id, mentions),
                },
            ),
            ChangeKind::Recalled {
                sender_id,
                mentions,
            } => (
                sender_id,
                Impact::Uncount {
                    mentioned: self.mentions_me(&change.community_id, mentions),
                },
            ),
            _ => (&change.by, Impact::None),
        };
        let from_me_or_server = self.is_me(sender) || sender.as_str().is_empty();
        let slot = slot(
            self.communities.get_mut(&change.community_id)?,
            &change.channel_id,
        )?;
        let counts = !from_me_or_server && !slot.hidden.contains(&change.seq);
        let before = *slot.counter;
        let effect = slot
            .counter
            .on_change(change.change_seq, change.seq, counts, impact);
        let after = *slot.counter;
        self.counter_changed(&change.community_id, &change.channel_id, before, after, out);
        Some(effect)
    }

    /// The user's hidden messages of a channel or joined thread (empty when unknown).
    pub(crate) fn hidden(
        &self,
        community_id: &CommunityId,
        channel_id: &ChannelId,
    ) -> BTreeSet<Seq> {
        let Some(community) = self.community(community_id) else {
            return BTreeSet::new();
        };
        match community.channels.get(channel_id) {
            Some(channel) => channel.hidden.clone(),
            None => community
                .threads
                .get(channel_id)
                .map(|t| t.hidden.clone())
                .unwrap_or_default(),
        }
    }

    /// The counter of a channel or joined thread.
    pub(crate) fn counter(
        &self,
        community_id: &CommunityId,
        channel_id: &ChannelId,
    ) -> Option<Counter> {
        let community = self.community(community_id)?;
        match community.channels.get(channel_id) {
            Some(channel) => Some(channel.counter),
            None => community.threads.get(channel_id).map(|t| t.counter),
        }
    }

    /// Slow-path activity of a channel or joined thread (exact when it follows the
    /// counter, see [`Counter::on_activity`]). Returns `None` when the stream is unknown.
    pub(crate) fn on_activity(
        &mut self,
        community_id: &CommunityId,
        channel_id: &ChannelId,
        activity: &Activity,
        out: &mut Vec<Publication>,
    ) -> Option<Effect> {
        let slot = slot(self.communities.get_mut(community_id)?, channel_id)?;
        let before = *slot.counter;
        let effect = slot.counter.on_activity(activity);
        let after = *slot.counter;
        self.counter_changed(community_id, channel_id, before, after, out);
        Some(effect)
    }

    /// Adjusts the sums by the difference of one stream's counter and publishes it.
    pub(super) fn counter_changed(
        &mut self,
        community_id: &CommunityId,
        channel_id: &ChannelId,
        before: Counter,
        after: Counter,
        out: &mut Vec<Publication>,
    ) {
        if before == after {
            return;
        }
        let Some(community) = self.communities.get_mut(community_id) else {
            return;
        };
        let Some(level) = slot(community, channel_id).map(|s| s.level) else {
            return;
        };
        // What reaches the sums at the stream's notification level.
        let (before, after) = (counted(level, before), counted(level, after));
        community.unread = shift(community.unread, before.0, after.0);
        community.mentions = shift(community.mentions, before.1, after.1);
        if community.notification == NotificationStatus::Notify {
            self.totals.total_unread = shift(self.totals.total_unread, before.0, after.0);
        }
        self.totals.total_mentions = shift(self.totals.total_mentions, before.1, after.1);
        let summary = community.unread();
        out.push(Publication::Unread(UnreadChange {
            channels: unread_of(community, channel_id).into_iter().collect(),
            communities: vec![summary],
            removed_communities: vec![],
            reset: false,
            totals: self.totals,
        }));
    }

    /// Recomputes a community's sums and the totals (after a level changed, a thread was
    /// joined or left) and publishes them with the counts of `channel_id`.
    pub(super) fn recount(
        &mut self,
        community_id: &CommunityId,
        channel_id: &ChannelId,
        out: &mut Vec<Publication>,
    ) {
        let Some(community) = self.communities.get_mut(community_id) else {
            return;
        };
        community.recompute();
        let summary = community.unread();
        let channel = unread_of(community, channel_id);
        self.recompute_totals();
        out.push(Publication::Unread(UnreadChange {
            channels: channel.into_iter().collect(),
            communities: vec![summary],
            removed_communities: vec![],
            reset: false,
            totals: self.totals,
        }));
    }
}

/// `total - before + after`, never below zero.
fn shift(total: u64, before: u64, after: u64) -> u64 {
    total.saturating_sub(before).saturating_add(after)
}
