//! The in-memory model: joined communities, their visible channels and categories, the
//! user's membership and notification status, and every channel's unread counter.
//!
//! It is derived from the store at start (`Store::load_all`) and kept up to date by the
//! runtime (events, sync answers, responses). Every mutation appends the matching
//! [`Publication`]s (list diffs, unread changes), which the caller hands to the hub while
//! still holding the state lock, so subscribers see changes in the order they happened.
//! Aggregates (community sums, totals) are kept by delta on the hot path (a message) and
//! recomputed on structural changes; nothing ever counts messages.

mod access;
mod cell;
mod community;
mod counting;
mod direct;
mod people;
mod threads;
pub(crate) mod unread;

use community_protocol::{CategoryId, ChannelId, Group};
use std::collections::BTreeMap;

use community_protocol::{
    CategoryInfo, ChannelHead, ChannelInfo, CommunityId, CommunityInfo, CommunitySnapshot, Limits,
    MemberInfo, NotificationStatus, Role, UserId,
};

use crate::events::{Publication, UnreadChange};
use crate::model::{
    ChannelEntry, ChannelUnread, CommunityEntry, CommunityUnread, ListDiff, UnreadTotals,
    UnreadUpdate,
};
pub(crate) use cell::StateCell;
use community::channel_unread;
pub(crate) use community::{ChannelState, CommunityState};
pub(crate) use people::People;
use unread::Effect;

/// What applying a message did, for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MessageOutcome {
    /// The channel is not known (not cached, or not visible).
    UnknownChannel,
    /// Counted (or a duplicate).
    Counted(Effect),
}

/// The whole in-memory model.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// The logged-in (or last logged-in) user.
    pub user_id: Option<UserId>,
    /// The deployment's limits (defaults until a login announces them).
    pub limits: Limits,
    communities: BTreeMap<CommunityId, CommunityState>,
    /// The user's conversations (their streams are the channels of `@me`).
    conversations: BTreeMap<ChannelId, community_protocol::ConversationInfo>,
    /// Profiles, presence, typing and what the app asked to follow.
    pub people: People,
    totals: UnreadTotals,
    /// The place the server's session focuses (protocol §22.1), as it confirmed it.
    pub focused: Option<(CommunityId, ChannelId)>,
}

impl State {
    /// Whether `channel_id` of `community_id` gets only part of its message changes: in
    /// a large community (§9.5) a place the session does not focus receives only the
    /// changes that move counts, so its change numbers jump without counts being lost.
    pub(crate) fn partial_changes(
        &self,
        community_id: &CommunityId,
        channel_id: &ChannelId,
    ) -> bool {
        let large = self
            .communities
            .get(community_id)
            .is_some_and(|c| c.info.member_count > self.limits.large_community_members);
        let focused = self
            .focused
            .as_ref()
            .is_some_and(|(c, ch)| c == community_id && ch == channel_id);
        large && !focused
    }

    /// A state holding the cached communities.
    pub(crate) fn from_snapshots(
        user_id: Option<UserId>,
        snapshots: Vec<CommunitySnapshot>,
    ) -> Self {
        let mut state = Self {
            user_id,
            ..Self::default()
        };
        for snapshot in snapshots {
            let community = CommunityState::from_snapshot(snapshot);
            state
                .communities
                .insert(community.info.community_id.clone(), community);
        }
        state.recompute_totals();
        state
    }

    fn recompute_totals(&mut self) {
        self.totals = UnreadTotals::default();
        for community in self.communities.values() {
            let totals = &mut self.totals;
            if community.notification == NotificationStatus::Notify {
                totals.total_unread = totals.total_unread.saturating_add(community.unread);
            }
            totals.total_mentions = totals.total_mentions.saturating_add(community.mentions);
        }
    }

    fn is_me(&self, user: &UserId) -> bool {
        self.user_id.as_ref() == Some(user)
    }

    // ----- queries -----

    /// One community.
    pub(crate) fn community(&self, community_id: &CommunityId) -> Option<&CommunityState> {
        self.communities.get(community_id)
    }

    /// Every held community id, `@me` (the conversations) included.
    pub(crate) fn community_ids(&self) -> Vec<CommunityId> {
        self.communities.keys().cloned().collect()
    }

    /// The ids of the communities the user joined (not `@me`).
    pub(crate) fn joined_community_ids(&self) -> Vec<CommunityId> {
        self.communities
            .keys()
            .filter(|id| !id.is_direct())
            .cloned()
            .collect()
    }

    /// The community list (not `@me`).
    pub(crate) fn community_entries(&self) -> Vec<CommunityEntry> {
        self.communities
            .values()
            .filter(|c| !c.info.community_id.is_direct())
            .map(CommunityState::entry)
            .collect()
    }

    /// One community's channel list (display order); `None` when not joined.
    pub(crate) fn channel_entries(&self, community_id: &CommunityId) -> Option<Vec<ChannelEntry>> {
        self.communities
            .get(community_id)
            .map(CommunityState::channel_entries)
    }

    /// One channel.
    pub(crate) fn channel(
        &self,
        community_id: &CommunityId,
        channel_id: &ChannelId,
    ) -> Option<&ChannelState> {
        self.communities.get(community_id)?.channels.get(channel_id)
    }

    /// One channel's entry.
    pub(crate) fn channel_entry(
        &self,
        community_id: &CommunityId,
        channel_id: &ChannelId,
    ) -> Option<ChannelEntry> {
        let community = self.communities.get(community_id)?;
        community
            .channels
            .get(channel_id)
            .map(|c| community.channel_entry(c))
    }

    /// The user's role in a community, if joined.
    pub(crate) fn role(&self, community_id: &CommunityId) -> Option<Role> {
        self.communities.get(community_id).map(|c| c.me.role)
    }

    /// Totals now.
    pub(crate) fn totals(&self) -> UnreadTotals {
        self.totals
    }

    /// One channel's counts.
    pub(crate) fn channel_unread(
        &self,
        community_id: &CommunityId,
        channel_id: &ChannelId,
    ) -> Option<ChannelUnread> {
        self.channel(community_id, channel_id)
            .map(|c| channel_unread(community_id, c))
    }

    /// One community's sums.
    pub(crate) fn community_unread(&self, community_id: &CommunityId) -> Option<CommunityUnread> {
        self.communities
            .get(community_id)
            .map(CommunityState::unread)
    }

    /// Every count as a reset publication (after the session changed).
    pub(crate) fn unread_reset(&self) -> Publication {
        let snapshot = self.unread_snapshot();
        Publication::Unread(UnreadChange {
            reset: true,
            channels: snapshot.channels,
            communities: snapshot.communities,
            removed_communities: vec![],
            totals: snapshot.totals,
        })
    }

    /// Every count (the first value of an unread subscription).
    pub(crate) fn unread_snapshot(&self) -> UnreadUpdate {
        let mut update = UnreadUpdate {
            reset: true,
            totals: self.totals,
            ..UnreadUpdate::default()
        };
        for community in self.communities.values() {
            update.communities.push(community.unread());
            for channel in community.channels.values() {
                update
                    .channels
                    .push(channel_unread(&community.info.community_id, channel));
            }
        }
        update
    }

    /// Cached structure versions (for `sync`; `@me` is no community).
    pub(crate) fn known_versions(&self) -> BTreeMap<CommunityId, u64> {
        self.communities
            .iter()
            .filter(|(id, _)| !id.is_direct())
            .map(|(id, c)| (id.clone(), c.info.version))
            .collect()
    }

    // ----- mutations -----

    /// Inserts or replaces a whole community.
    pub(crate) fn upsert_community(
        &mut self,
        snapshot: CommunitySnapshot,
        out: &mut Vec<Publication>,
    ) {
        let community = CommunityState::from_snapshot(snapshot);
        let id = community.info.community_id.clone();
        let existed = self.communities.contains_key(&id);
        out.push(Publication::Community(if existed {
            ListDiff::Update(community.entry())
        } else {
            ListDiff::Insert(community.entry())
        }));
        out.push(Publication::Channel {
            community_id: id.clone(),
            diff: ListDiff::Reset(community.channel_entries()),
        });
        let channels: Vec<ChannelUnread> = community
            .channels
            .values()
            .map(|c| channel_unread(&id, c))
            .collect();
        let summary = community.unread();
        self.communities.insert(id, community);
        self.recompute_totals();
        out.push(Publication::Unread(UnreadChange {
            channels,
            communities: vec![summary],
            removed_communities: vec![],
            reset: false,
            totals: self.totals,
        }));
    }

    /// Merges a snapshot that may be older than what events already brought: a community
    /// not held yet is inserted; a held one takes the snapshot's structure when its
    /// version is not older, and each head unless the held counter is already further.
    pub(crate) fn merge_snapshot(
        &mut self,
        snapshot: CommunitySnapshot,
        out: &mut Vec<Publication>,
    ) {
        let Some(existing) = self.communities.get(&snapshot.info.community_id) else {
            self.upsert_community(snapshot, out);
            return;
        };
        let mut merged = snapshot;
        if merged.info.version < existing.info.version {
            let mut kept = existing.snapshot();
            kept.me = merged.me;
            kept.notification = merged.notification;
            kept.info.member_count = merged.info.member_count;
            kept.heads = merged.heads;
            kept.voice = merged.voice;
            merged = kept;
        }
        for head in &mut merged.heads {
            if let Some(channel) = existing.channels.get(&head.channel_id)
                && channel.counter.last_seq > head.last_seq
            {
                *head = channel.head(&head.community_id);
            }
        }
        self.upsert_community(merged, out);
    }

    /// Removes a community (left, kicked, dismissed). Returns whether it was known.
    pub(crate) fn remove_community(
        &mut self,
        community_id: &CommunityId,
        out: &mut Vec<Publication>,
    ) -> bool {
        if self.communities.remove(community_id).is_none() {
            return false;
        }
        self.recompute_totals();
        out.push(Publication::Community(ListDiff::Remove(
            community_id.to_string(),
        )));
        out.push(Publication::Channel {
            community_id: community_id.to_string().into(),
            diff: ListDiff::Reset(vec![]),
        });
        out.push(Publication::Unread(UnreadChange {
            removed_communities: vec![community_id.to_string().into()],
            totals: self.totals,
            ..UnreadChange::default()
        }));
        true
    }

    /// Changes a community's info, membership or notification through `change`, then
    /// publishes the entry (and the unread sums when the notification status moved).
    fn update_community(
        &mut self,
        community_id: &CommunityId,
        out: &mut Vec<Publication>,
        change: impl FnOnce(&mut CommunityState),
    ) -> bool {
        let Some(community) = self.communities.get_mut(community_id) else {
            return false;
        };
        let before = community.notification;
        change(community);
        community.refresh_base();
        let entry = community.entry();
        let notification_moved = community.notification != before;
        let summary = community.unread();
        out.push(Publication::Community(ListDiff::Update(entry)));
        if notification_moved {
            self.recompute_totals();
            out.push(Publication::Unread(UnreadChange {
                communities: vec![summary],
                totals: self.totals,
                ..UnreadChange::default()
            }));
        }
        true
    }

    /// A community's info changed.
    pub(crate) fn set_info(&mut self, info: CommunityInfo, out: &mut Vec<Publication>) -> bool {
        let id = info.community_id.clone();
        self.update_community(&id, out, |c| c.info = info)
    }

    /// Attributes (and the structure version) changed.
    pub(crate) fn set_attributes(
        &mut self,
        community_id: &CommunityId,
        attributes: BTreeMap<String, String>,
        version: u64,
        out: &mut Vec<Publication>,
    ) -> bool {
        self.update_community(community_id, out, |c| {
            c.info.attributes = attributes;
            c.info.version = c.info.version.max(version);
        })
    }

    /// The member count changed.
    pub(crate) fn set_member_count(
        &mut self,
        community_id: &CommunityId,
        count: u64,
        out: &mut Vec<Publication>,
    ) -> bool {
        self.update_community(community_id, out, |c| c.info.member_count = count)
    }

    /// The community's permission groups changed (`version`: the structure version they
    /// came with; `None` for an answer, which carries none). Permissions are computed from
    /// them when asked, so nothing else moves.
    pub(crate) fn set_groups(
        &mut self,
        community_id: &CommunityId,
        groups: Vec<Group>,
        version: Option<u64>,
        out: &mut Vec<Publication>,
    ) -> bool {
        self.update_community(community_id, out, |c| {
            c.groups = groups;
            if let Some(version) = version {
                c.info.version = c.info.version.max(version);
            }
        })
    }

    /// The user's own membership changed.
    pub(crate) fn set_me(&mut self, me: MemberInfo, out: &mut Vec<Publication>) -> bool {
        let id = me.community_id.clone();
        self.update_community(&id, out, |c| c.me = me)
    }

    /// The notification status changed.
    pub(crate) fn set_notification(
        &mut self,
        community_id: &CommunityId,
        status: NotificationStatus,
        out: &mut Vec<Publication>,
    ) -> bool {
        self.update_community(community_id, out, |c| c.notification = status)
    }

    /// Raises a community's structure version.
    pub(crate) fn set_version(&mut self, community_id: &CommunityId, version: u64) {
        if let Some(community) = self.communities.get_mut(community_id) {
            community.info.version = community.info.version.max(version);
        }
    }

    /// A channel appeared or changed; `head` replaces its counter when given.
    pub(crate) fn upsert_channel(
        &mut self,
        info: ChannelInfo,
        head: Option<&ChannelHead>,
        out: &mut Vec<Publication>,
    ) -> bool {
        let community_id = info.community_id.clone();
        let Some(community) = self.communities.get_mut(&community_id) else {
            return false;
        };
        let channel_id = info.channel_id.clone();
        let existed = community.channels.contains_key(&channel_id);
        let channel = match (head, community.channels.get(&channel_id)) {
            (None, Some(existing)) => ChannelState {
                info,
                ..existing.clone()
            },
            (head, _) => ChannelState::new(info, head),
        };
        let entry = community.channel_entry(&channel);
        let unread = channel_unread(&community_id, &channel);
        community.channels.insert(channel_id, channel);
        community.recompute();
        let summary = community.unread();
        self.recompute_totals();
        out.push(Publication::Channel {
            community_id,
            diff: if existed {
                ListDiff::Update(entry)
            } else {
                ListDiff::Insert(entry)
            },
        });
        out.push(Publication::Unread(UnreadChange {
            channels: vec![unread],
            communities: vec![summary],
            removed_communities: vec![],
            reset: false,
            totals: self.totals,
        }));
        true
    }

    /// A channel disappeared.
    pub(crate) fn remove_channel(
        &mut self,
        community_id: &CommunityId,
        channel_id: &ChannelId,
        out: &mut Vec<Publication>,
    ) -> bool {
        let Some(community) = self.communities.get_mut(community_id) else {
            return false;
        };
        if community.channels.remove(channel_id).is_none() {
            return false;
        }
        community.recompute();
        let summary = community.unread();
        self.recompute_totals();
        out.push(Publication::Channel {
            community_id: community_id.to_string().into(),
            diff: ListDiff::Remove(channel_id.to_string()),
        });
        out.push(Publication::Unread(UnreadChange {
            communities: vec![summary],
            totals: self.totals,
            ..UnreadChange::default()
        }));
        true
    }

    /// A category was created or changed (the channel list is re-sent in display order).
    pub(crate) fn upsert_category(
        &mut self,
        category: CategoryInfo,
        out: &mut Vec<Publication>,
    ) -> bool {
        let community_id = category.community_id.clone();
        let Some(community) = self.communities.get_mut(&community_id) else {
            return false;
        };
        community
            .categories
            .retain(|c| c.category_id != category.category_id);
        community.categories.push(category);
        community
            .categories
            .sort_by_key(|c| (c.position, c.category_id.clone()));
        out.push(Publication::Channel {
            community_id,
            diff: ListDiff::Reset(community.channel_entries()),
        });
        true
    }

    /// A category was deleted; its channels lose their category.
    pub(crate) fn remove_category(
        &mut self,
        community_id: &CommunityId,
        category_id: &CategoryId,
        out: &mut Vec<Publication>,
    ) -> bool {
        let Some(community) = self.communities.get_mut(community_id) else {
            return false;
        };
        community
            .categories
            .retain(|c| &c.category_id != category_id);
        for channel in community.channels.values_mut() {
            if channel.info.category_id.as_ref() == Some(category_id) {
                channel.info.category_id = None;
            }
        }
        out.push(Publication::Channel {
            community_id: community_id.to_string().into(),
            diff: ListDiff::Reset(community.channel_entries()),
        });
        true
    }

    /// The current head of one channel (for storage).
    pub(crate) fn head(
        &self,
        community_id: &CommunityId,
        channel_id: &ChannelId,
    ) -> Option<ChannelHead> {
        let community = self.community(community_id)?;
        match community.channels.get(channel_id) {
            Some(channel) => Some(channel.head(community_id)),
            None => community
                .threads
                .get(channel_id)
                .map(|t| t.head(community_id)),
        }
    }

    /// Every held community as snapshots.
    #[cfg(test)]
    pub(crate) fn snapshots(&self) -> Vec<CommunitySnapshot> {
        self.communities
            .values()
            .map(CommunityState::snapshot)
            .collect()
    }
}

#[cfg(test)]
mod people_tests;
#[cfg(test)]
pub(crate) mod tests;
