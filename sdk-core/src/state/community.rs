//! One joined community in memory: its info, the user's membership and notification
//! status, categories, visible channels with their unread counters, and the sums.

use community_protocol::{CommunityId, Seq};
use std::collections::{BTreeMap, BTreeSet};

use community_protocol::{
    CategoryInfo, ChannelHead, ChannelId, ChannelInfo, ChannelNotification, CommunityInfo,
    CommunitySnapshot, Group, MemberInfo, NotificationStatus, ThreadInfo,
};

use community_protocol::permissions::{self, Actor, Permissions};

use super::unread::Counter;
use crate::model::{ChannelEntry, ChannelUnread, CommunityEntry, CommunityUnread};

/// One visible channel.
#[derive(Debug, Clone)]
pub(crate) struct ChannelState {
    pub info: ChannelInfo,
    pub counter: Counter,
    /// The user's locally deleted messages of this channel (from the server's head).
    pub hidden: BTreeSet<Seq>,
    /// The user's notification level of this channel: what reaches the sums.
    pub level: ChannelNotification,
}

impl ChannelState {
    /// A channel holding `head` (or nothing known yet).
    pub(crate) fn new(info: ChannelInfo, head: Option<&ChannelHead>) -> Self {
        Self {
            info,
            counter: head.map(Counter::from_head).unwrap_or_default(),
            hidden: head
                .map(|h| h.hidden.iter().copied().collect())
                .unwrap_or_default(),
            level: head.map(|h| h.notification_level).unwrap_or_default(),
        }
    }

    /// What of `counter` reaches the community's sums at this channel's level.
    pub(crate) fn counted(&self, counter: Counter) -> (u64, u64) {
        counted(self.level, counter)
    }

    /// The channel's head as the protocol describes it.
    pub(crate) fn head(&self, community_id: &CommunityId) -> ChannelHead {
        let mut head = self.counter.to_head(
            community_id,
            &self.info.channel_id,
            self.hidden.iter().copied().collect(),
        );
        head.notification_level = self.level;
        head
    }
}

/// One joined community.
#[derive(Debug, Clone)]
pub(crate) struct CommunityState {
    pub info: CommunityInfo,
    pub me: MemberInfo,
    pub notification: NotificationStatus,
    pub categories: Vec<CategoryInfo>,
    pub channels: BTreeMap<ChannelId, ChannelState>,
    /// The threads the user joined, by thread id.
    pub threads: BTreeMap<ChannelId, ThreadState>,
    /// The community's permission groups (`@everyone` first).
    pub groups: Vec<Group>,
    /// The user's base permissions (groups and role, before channel overrides and
    /// silences), kept up to date by [`refresh_base`](Self::refresh_base).
    pub base: Permissions,
    /// Who sits in the community's voice channels now (not stored: it comes with every
    /// `sync` and live events).
    pub voice: Vec<community_protocol::VoiceParticipant>,
    pub(super) unread: u64,
    pub(super) mentions: u64,
}

impl CommunityState {
    pub(super) fn from_snapshot(snapshot: CommunitySnapshot) -> Self {
        let heads: BTreeMap<&str, &ChannelHead> = snapshot
            .heads
            .iter()
            .map(|h| (h.channel_id.as_str(), h))
            .collect();
        let channels = snapshot
            .channels
            .iter()
            .map(|info| {
                let head = heads.get(info.channel_id.as_str()).copied();
                (
                    info.channel_id.clone(),
                    ChannelState::new(info.clone(), head),
                )
            })
            .collect();
        let threads = snapshot
            .threads
            .into_iter()
            .map(|info| {
                let head = heads.get(info.thread_id.as_str()).copied();
                (info.thread_id.clone(), ThreadState::new(info, head))
            })
            .collect();
        let mut community = Self {
            info: snapshot.info,
            me: snapshot.me,
            notification: snapshot.notification,
            categories: snapshot.categories,
            channels,
            threads,
            groups: snapshot.groups,
            base: Permissions::NONE,
            voice: snapshot.voice,
            unread: 0,
            mentions: 0,
        };
        community.refresh_base();
        community.recompute();
        community
    }

    /// Recomputes the sums over the channels (saturating: the counts are server input).
    /// Recomputes the user's base permissions (after the groups or the membership
    /// changed).
    pub(crate) fn refresh_base(&mut self) {
        let actor = Actor {
            user_id: &self.me.user_id,
            is_owner: self.me.user_id == self.info.owner_id,
            role: self.me.role,
            groups: &self.me.groups,
            muted_until_ms: self.me.muted_until_ms,
        };
        self.base = permissions::base_permissions(&actor, &self.groups);
    }

    /// Channels count at their notification level, joined threads at their channel's.
    pub(super) fn recompute(&mut self) {
        let channel_sums = self.channel_sums();
        let thread_sums = self.threads.values().fold((0u64, 0u64), |sums, thread| {
            let level = self
                .channels
                .get(&thread.info.parent_channel_id)
                .map(|c| c.level)
                .unwrap_or_default();
            let counted = counted(level, thread.counter);
            (
                sums.0.saturating_add(counted.0),
                sums.1.saturating_add(counted.1),
            )
        });
        self.unread = channel_sums.0.saturating_add(thread_sums.0);
        self.mentions = channel_sums.1.saturating_add(thread_sums.1);
    }

    fn channel_sums(&self) -> (u64, u64) {
        let counted = self.channels.values().map(|c| c.counted(c.counter));
        counted.fold((0u64, 0u64), |(unread, mentions), c| {
            (unread.saturating_add(c.0), mentions.saturating_add(c.1))
        })
    }

    pub(super) fn entry(&self) -> CommunityEntry {
        CommunityEntry {
            info: self.info.clone(),
            me: self.me.clone(),
            notification: self.notification,
        }
    }

    pub(super) fn unread(&self) -> CommunityUnread {
        CommunityUnread {
            community_id: self.info.community_id.clone(),
            notification: self.notification,
            unread_count: self.unread,
            mention_count: self.mentions,
        }
    }

    pub(super) fn channel_entry(&self, channel: &ChannelState) -> ChannelEntry {
        ChannelEntry {
            info: channel.info.clone(),
            head: channel.head(&self.info.community_id),
        }
    }

    /// Channel entries ordered for display: by category position, then position.
    pub(super) fn channel_entries(&self) -> Vec<ChannelEntry> {
        let category_position: BTreeMap<&str, i64> = self
            .categories
            .iter()
            .map(|c| (c.category_id.as_str(), c.position))
            .collect();
        let mut channels: Vec<&ChannelState> = self.channels.values().collect();
        channels.sort_by_key(|c| {
            let category = c
                .info
                .category_id
                .as_ref()
                .and_then(|id| category_position.get(id.as_str()).copied())
                .unwrap_or(i64::MIN);
            (category, c.info.position, c.info.channel_id.clone())
        });
        channels
            .into_iter()
            .map(|c| self.channel_entry(c))
            .collect()
    }

    /// A snapshot of this community as the protocol describes it (for storage).
    pub(crate) fn snapshot(&self) -> CommunitySnapshot {
        CommunitySnapshot {
            info: self.info.clone(),
            categories: self.categories.clone(),
            channels: self.channels.values().map(|c| c.info.clone()).collect(),
            me: self.me.clone(),
            notification: self.notification,
            heads: self
                .channels
                .values()
                .map(|c| c.head(&self.info.community_id))
                .chain(
                    self.threads
                        .values()
                        .map(|t| t.head(&self.info.community_id)),
                )
                .collect(),
            groups: self.groups.clone(),
            threads: self.threads.values().map(|t| t.info.clone()).collect(),
            voice: self.voice.clone(),
        }
    }
}

/// What of `counter` reaches the sums at `level`.
pub(crate) fn counted(level: ChannelNotification, counter: Counter) -> (u64, u64) {
    (
        if level.counts_unread() {
            counter.unread
        } else {
            0
        },
        if level.counts_mentions() {
            counter.mentions
        } else {
            0
        },
    )
}

/// A thread the user joined: its info and its unread state (it counts at its channel's
/// notification level).
#[derive(Debug, Clone)]
pub(crate) struct ThreadState {
    pub info: ThreadInfo,
    pub counter: Counter,
    /// The user's locally deleted messages of the thread.
    pub hidden: BTreeSet<Seq>,
}

impl ThreadState {
    /// A joined thread holding `head` (or nothing known yet).
    pub(crate) fn new(info: ThreadInfo, head: Option<&ChannelHead>) -> Self {
        Self {
            info,
            counter: head.map(Counter::from_head).unwrap_or_default(),
            hidden: head
                .map(|h| h.hidden.iter().copied().collect())
                .unwrap_or_default(),
        }
    }

    /// The thread's head as the protocol describes it.
    pub(crate) fn head(&self, community_id: &CommunityId) -> ChannelHead {
        self.counter.to_head(
            community_id,
            &self.info.thread_id,
            self.hidden.iter().copied().collect(),
        )
    }
}

pub(super) fn channel_unread(community_id: &CommunityId, channel: &ChannelState) -> ChannelUnread {
    ChannelUnread {
        community_id: community_id.to_string().into(),
        channel_id: channel.info.channel_id.clone(),
        read_seq: channel.counter.read_seq,
        last_seq: channel.counter.last_seq,
        unread_count: channel.counter.unread,
        mention_count: channel.counter.mentions,
    }
}
