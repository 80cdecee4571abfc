//! [`Change`]: one write to the cache, as data. The runtime turns a batch of received
//! frames into a `Vec<Change>` and hands it to [`Store::apply`](super::Store::apply),
//! which applies it in one transaction: either the whole batch is stored or none of it.

use std::collections::BTreeMap;

use community_protocol::response::Synced;
use community_protocol::{
    CategoryId, CategoryInfo, ChannelHead, ChannelId, ChannelInfo, CommunityId, CommunityInfo,
    CommunitySnapshot, ConversationInfo, Group, MemberInfo, Message, MessageChange,
    NotificationStatus, Profile, ThreadInfo, UserId,
};
use rusqlite::Connection;

use super::{
    Applied, Replacement, StoreError, communities, conversations, message_changes, messages,
    profiles, session, threads,
};

/// One write to the cache.
// Changes are built once and moved into one batch; boxing the snapshot variant would add
// an allocation to every write for no saving.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Replace everything about one community (info, categories, channels, me,
    /// notification, heads); channels no longer in it lose their cached messages.
    Snapshot(CommunitySnapshot),
    /// Apply a `sync` answer: removed communities go, changed snapshots replace, unchanged
    /// communities get their status, membership, member count and heads.
    Synced(Synced),
    /// Replace a cached community's info (skipped when not cached).
    CommunityInfo(CommunityInfo),
    /// Remove a community with its channels, categories, heads and messages.
    RemoveCommunity(CommunityId),
    /// Set custom attributes and the structure version (skipped when not cached).
    Attributes {
        /// The community.
        community_id: CommunityId,
        /// All attributes now.
        attributes: BTreeMap<String, String>,
        /// The structure version now.
        version: u64,
    },
    /// Set the exact member count (skipped when not cached).
    MemberCount {
        /// The community.
        community_id: CommunityId,
        /// Member count now.
        member_count: u64,
    },
    /// Replace my own membership record (skipped when not cached).
    Me(MemberInfo),
    /// Replace a community's permission groups and set its structure version (skipped
    /// when not cached).
    Groups {
        /// The community.
        community_id: CommunityId,
        /// Every group now.
        groups: Vec<Group>,
        /// The structure version now.
        version: u64,
    },
    /// Set my notification status (skipped when not cached).
    Notification {
        /// The community.
        community_id: CommunityId,
        /// The status now.
        status: NotificationStatus,
    },
    /// Set a community's structure version (skipped when not cached). Events that change
    /// the structure carry it; apply it in the same batch as their change.
    Version {
        /// The community.
        community_id: CommunityId,
        /// The structure version now.
        version: u64,
    },
    /// Insert or replace a channel (skipped when its community is not cached).
    Channel(ChannelInfo),
    /// Remove a channel with its head and cached messages.
    RemoveChannel {
        /// The community.
        community_id: CommunityId,
        /// The channel.
        channel_id: ChannelId,
    },
    /// Insert or replace a category (skipped when its community is not cached).
    Category(CategoryInfo),
    /// Remove a category; its channels fall back to no category.
    RemoveCategory {
        /// The community.
        community_id: CommunityId,
        /// The category.
        category_id: CategoryId,
    },
    /// A thread's digest: put it on the cached message it started from (returned in
    /// [`Applied::updated_messages`] when it changed).
    ThreadDigest {
        /// The thread's channel.
        channel_id: ChannelId,
        /// The message it started from.
        seq: community_protocol::Seq,
        /// The digest now.
        digest: community_protocol::ThreadDigest,
    },
    /// The user joined a thread: insert or replace it (its head comes in `Heads`, after).
    JoinThread(ThreadInfo),
    /// A joined thread's info changed (skipped when not joined).
    ThreadInfo(ThreadInfo),
    /// The user left a thread (or lost it): forget it with its head and cached messages.
    LeaveThread {
        /// The community.
        community_id: CommunityId,
        /// The thread.
        thread_id: ChannelId,
    },
    /// Insert or replace heads (each skipped when its channel is not cached: put the
    /// `Channel` change first).
    Heads(Vec<ChannelHead>),
    /// Insert messages; already cached `(channel_id, seq)` pairs are left as they are.
    /// The new ones are returned in [`Applied::new_messages`].
    Messages(Vec<Message>),
    /// Where channels whose first cached messages are in this batch stand in their change
    /// sequence (put after `Messages`; a channel whose position is known keeps it).
    Baselines(Vec<(CommunityId, ChannelId, u64)>),
    /// Apply changes to cached messages as `me` sees them, each channel's in order;
    /// changed messages are returned in [`Applied::updated_messages`], channels with a gap
    /// in [`Applied::behind`].
    MessageChanges {
        /// The changes.
        changes: Vec<MessageChange>,
        /// The logged-in user.
        me: UserId,
    },
    /// Replace cached messages with these copies (an answer of the server, a local echo,
    /// a roll-back); messages not cached are skipped. Changed ones are returned in
    /// [`Applied::updated_messages`].
    ReplaceMessages(Vec<Replacement>),
    /// Move the saved session's resume cursor (skipped when no session is saved).
    LastEventSeq(u64),
    /// Insert or replace a conversation (its head comes in `Heads`, after).
    Conversation(ConversationInfo),
    /// The user left a conversation: forget it with its head and cached messages.
    RemoveConversation(ChannelId),
    /// Insert or replace profiles (each unless the cached one is newer).
    Profiles(Vec<Profile>),
}

impl Change {
    /// A short name for logs and spans.
    pub fn name(&self) -> &'static str {
        match self {
            Change::Snapshot(_) => "snapshot",
            Change::Synced(_) => "synced",
            Change::CommunityInfo(_) => "community_info",
            Change::RemoveCommunity(_) => "remove_community",
            Change::Attributes { .. } => "attributes",
            Change::MemberCount { .. } => "member_count",
            Change::Me(_) => "me",
            Change::Groups { .. } => "groups",
            Change::Notification { .. } => "notification",
            Change::Version { .. } => "version",
            Change::Channel(_) => "channel",
            Change::RemoveChannel { .. } => "remove_channel",
            Change::Category(_) => "category",
            Change::RemoveCategory { .. } => "remove_category",
            Change::Heads(_) => "heads",
            Change::ThreadDigest { .. } => "thread_digest",
            Change::JoinThread(_) => "join_thread",
            Change::ThreadInfo(_) => "thread_info",
            Change::LeaveThread { .. } => "leave_thread",
            Change::Messages(_) => "messages",
            Change::Baselines(_) => "baselines",
            Change::MessageChanges { .. } => "message_changes",
            Change::ReplaceMessages(_) => "replace_messages",
            Change::LastEventSeq(_) => "last_event_seq",
            Change::Conversation(_) => "conversation",
            Change::RemoveConversation(_) => "remove_conversation",
            Change::Profiles(_) => "profiles",
        }
    }
}

/// Applies `changes` in order on `connection` (inside the caller's transaction).
pub(crate) fn apply(connection: &Connection, changes: Vec<Change>) -> Result<Applied, StoreError> {
    let mut applied = Applied::default();
    for change in changes {
        apply_one(connection, change, &mut applied)?;
    }
    Ok(applied)
}

fn apply_one(
    connection: &Connection,
    change: Change,
    applied: &mut Applied,
) -> Result<(), StoreError> {
    let done = match change {
        Change::Snapshot(snapshot) => {
            communities::apply_snapshot(connection, &snapshot)?;
            true
        }
        Change::Synced(synced) => {
            applied.skipped += communities::apply_synced(connection, &synced)?;
            true
        }
        Change::CommunityInfo(info) => communities::update_info(connection, &info)?,
        Change::RemoveCommunity(community_id) => {
            communities::remove_community(connection, &community_id)?;
            true
        }
        Change::Attributes {
            community_id,
            attributes,
            version,
        } => communities::set_attributes(connection, &community_id, &attributes, version)?,
        Change::MemberCount {
            community_id,
            member_count,
        } => communities::set_member_count(connection, &community_id, member_count)?,
        Change::Me(me) => communities::set_me(connection, &me)?,
        Change::Groups {
            community_id,
            groups,
            version,
        } => communities::set_groups(connection, &community_id, &groups, version)?,
        Change::Notification {
            community_id,
            status,
        } => communities::set_notification(connection, &community_id, status)?,
        Change::Version {
            community_id,
            version,
        } => communities::set_version(connection, &community_id, version)?,
        Change::Channel(channel) => communities::upsert_channel(connection, &channel)?,
        Change::RemoveChannel {
            community_id,
            channel_id,
        } => {
            communities::remove_channel(connection, &community_id, &channel_id)?;
            true
        }
        Change::Category(category) => communities::upsert_category(connection, &category)?,
        Change::RemoveCategory {
            community_id,
            category_id,
        } => {
            communities::remove_category(connection, &community_id, &category_id)?;
            true
        }
        Change::ThreadDigest {
            channel_id,
            seq,
            digest,
        } => {
            applied.updated_messages.extend(message_changes::set_digest(
                connection,
                &channel_id,
                seq,
                digest,
            )?);
            true
        }
        Change::JoinThread(thread) => threads::upsert(connection, &thread)?,
        Change::ThreadInfo(thread) => threads::update(connection, &thread)?,
        Change::LeaveThread {
            community_id,
            thread_id,
        } => {
            threads::remove(connection, &community_id, &thread_id)?;
            true
        }
        Change::Heads(heads) => {
            applied.skipped += communities::upsert_heads(connection, &heads)?;
            true
        }
        Change::Messages(batch) => {
            applied
                .new_messages
                .extend(messages::insert(connection, batch)?);
            true
        }
        Change::Baselines(baselines) => {
            for (community_id, channel_id, change_seq) in baselines {
                message_changes::set_baseline(connection, &community_id, &channel_id, change_seq)?;
            }
            true
        }
        Change::MessageChanges { changes, me } => {
            let outcome = message_changes::apply_changes(connection, &changes, &me)?;
            applied.updated_messages.extend(outcome.updated);
            applied.behind.extend(outcome.behind);
            true
        }
        Change::ReplaceMessages(replacements) => {
            applied
                .updated_messages
                .extend(message_changes::replace(connection, replacements)?);
            true
        }
        Change::LastEventSeq(seq) => session::set_last_event_seq(connection, seq)?,
        Change::Conversation(info) => {
            conversations::upsert(connection, &info)?;
            true
        }
        Change::RemoveConversation(conversation_id) => {
            conversations::remove(connection, &conversation_id)?;
            true
        }
        Change::Profiles(list) => {
            profiles::upsert(connection, &list)?;
            true
        }
    };
    if !done {
        applied.skipped += 1;
    }
    Ok(())
}
