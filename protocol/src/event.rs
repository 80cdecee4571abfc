//! What the server pushes without being asked. Each event reaches exactly the sessions
//! that may see it: members of the community, and for a private channel only its members
//! (plus owner and admins).
//!
//! On the wire: `{"type":"event","seq":42,"event":{"kind":"message_created",…}}`, where
//! `seq` is the receiving session's event sequence (see `docs/PROTOCOL.md`, resume).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::*;

/// Every event `kind` this version knows; any other kind comes from a newer server and is
/// skipped by clients (see [`crate::codec::decode_incoming`]).
pub const KNOWN_KINDS: &[&str] = &[
    "message_created",
    "community_added",
    "community_removed",
    "community_updated",
    "attributes_changed",
    "notification_changed",
    "member_joined",
    "member_left",
    "member_updated",
    "join_requested",
    "channel_added",
    "channel_updated",
    "channel_removed",
    "category_updated",
    "category_removed",
    "read_state_changed",
    "channel_activity",
    "message_changed",
    "groups_changed",
    "thread_updated",
    "thread_removed",
    "thread_digest",
    "thread_joined",
    "thread_left",
    "profile_updated",
    "conversation_updated",
    "conversation_removed",
    "presence_changed",
    "online_count",
    "typing",
    "voice_joined",
    "voice_left",
    "member_list_update",
];

/// A server event, tagged by `kind`. New kinds are added in later versions; a client
/// skips kinds it does not know (counting their sequence), see [`KNOWN_KINDS`].
// An event is decoded once and moved to its consumer; boxing the large variants would add
// an allocation to every message event for no saving.
#[allow(clippy::large_enum_variant)]
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// A new message in a channel the user can see.
    MessageCreated {
        /// The stored message.
        message: Message,
    },
    /// The user now belongs to a community (created, joined, invited, approved).
    CommunityAdded {
        /// Everything about it.
        snapshot: CommunitySnapshot,
    },
    /// The community left the user's list.
    CommunityRemoved {
        /// The community.
        community_id: CommunityId,
        /// Why.
        reason: RemovalReason,
    },
    /// Name, avatar, notice, join policy, mute-all, owner or member count changed.
    CommunityUpdated {
        /// The community as it is now.
        info: CommunityInfo,
    },
    /// Custom attributes changed.
    AttributesChanged {
        /// The community.
        community_id: CommunityId,
        /// All attributes now.
        attributes: BTreeMap<String, String>,
        /// The community's structure version now.
        version: u64,
    },
    /// The user's notification status changed (on another device of theirs).
    NotificationChanged {
        /// The community.
        community_id: CommunityId,
        /// The status now.
        status: NotificationStatus,
    },
    /// A user joined.
    MemberJoined {
        /// The new member.
        member: MemberInfo,
        /// Member count now.
        member_count: u64,
    },
    /// A user left or was removed.
    MemberLeft {
        /// The community.
        community_id: CommunityId,
        /// Who.
        user_id: UserId,
        /// Left or kicked.
        reason: RemovalReason,
        /// Member count now.
        member_count: u64,
    },
    /// A member's role, mute or nickname changed.
    MemberUpdated {
        /// The member as it is now.
        member: MemberInfo,
    },
    /// Someone asked to join an approval-only community (to owner and admins).
    JoinRequested {
        /// The request.
        request: JoinRequest,
    },
    /// A channel appeared for the user (created, or they got access to it).
    ChannelAdded {
        /// The channel.
        channel: ChannelInfo,
        /// The caller's head for it.
        head: ChannelHead,
        /// The community's structure version now.
        version: u64,
    },
    /// A channel changed.
    ChannelUpdated {
        /// The channel as it is now.
        channel: ChannelInfo,
        /// The community's structure version now.
        version: u64,
    },
    /// A channel disappeared for the user.
    ChannelRemoved {
        /// The community.
        community_id: CommunityId,
        /// The channel.
        channel_id: ChannelId,
        /// Deleted, or access revoked.
        reason: ChannelRemovalReason,
        /// The community's structure version now.
        version: u64,
    },
    /// A category was created or changed.
    CategoryUpdated {
        /// The category as it is now.
        category: CategoryInfo,
        /// The community's structure version now.
        version: u64,
    },
    /// A category was deleted; its channels now have no category.
    CategoryRemoved {
        /// The community.
        community_id: CommunityId,
        /// The category.
        category_id: CategoryId,
        /// The community's structure version now.
        version: u64,
    },
    /// The user's read position moved (sent to the user's *other* sessions).
    ReadStateChanged {
        /// The user's head after the change.
        head: ChannelHead,
    },
    /// Slow path (§9.5): new messages in a channel or thread of a large community that the
    /// session does not focus, coalesced per session and channel. It covers every message
    /// from `first_seq` to `last_seq`, and counts those of them that are unread for the
    /// receiver, so a client whose counter stood at `first_seq - 1` stays exact without
    /// fetching anything; the messages are fetched when the channel is opened.
    ChannelActivity {
        /// The community.
        community_id: CommunityId,
        /// The channel or thread.
        channel_id: ChannelId,
        /// The newest sequence.
        last_seq: Seq,
        /// Time of the newest message.
        last_activity_ms: TimestampMs,
        /// True when one of the coalesced messages mentions the user.
        mentioned: bool,
        /// The first sequence the event covers (0 from a server that does not say: then
        /// the client asks for the head).
        #[serde(default)]
        first_seq: Seq,
        /// Of the covered messages, those that count as unread for the receiver (not
        /// their own, not written by the server).
        #[serde(default)]
        unread: u64,
        /// Of those, the ones that mention the receiver (directly, through a group they
        /// hold, or `@everyone`).
        #[serde(default)]
        mentions: u64,
    },
    /// A message of a channel the user can see was edited, recalled, reacted to, pinned
    /// or unpinned.
    MessageChanged {
        /// The change, with the channel's change sequence.
        change: MessageChange,
    },
    /// The community's permission groups changed (created, changed, deleted, reordered):
    /// all of them as they are now.
    GroupsChanged {
        /// The community.
        community_id: CommunityId,
        /// Every group, `@everyone` first, then by position.
        groups: Vec<crate::permissions::Group>,
        /// The community's structure version now.
        version: u64,
    },
    /// A thread was started, renamed, archived or unarchived, locked or unlocked (to the
    /// readers of its channel).
    ThreadUpdated {
        /// The thread as it is now.
        thread: crate::thread::ThreadInfo,
    },
    /// A thread was deleted (to the readers of its channel).
    ThreadRemoved {
        /// The community.
        community_id: CommunityId,
        /// The thread.
        thread_id: ChannelId,
        /// Its channel.
        parent_channel_id: ChannelId,
    },
    /// A thread's digest changed (a message, an edit or recall of its newest message, a
    /// rename): to the readers of its channel, at most once per second per thread and
    /// session (the newest digest wins).
    ThreadDigest {
        /// The community.
        community_id: CommunityId,
        /// The thread's channel.
        channel_id: ChannelId,
        /// The message it started from (absent for a free-standing thread).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parent_seq: Option<Seq>,
        /// The digest now.
        digest: crate::thread::ThreadDigest,
    },
    /// The user joined a thread (by asking, by posting, by being mentioned; to every
    /// session of theirs).
    ThreadJoined {
        /// The thread.
        thread: crate::thread::ThreadInfo,
        /// The user's head for it.
        head: ChannelHead,
    },
    /// The user left a thread (to their other sessions), or lost sight of it.
    ThreadLeft {
        /// The community.
        community_id: CommunityId,
        /// The thread.
        thread_id: ChannelId,
    },
    /// A user who shares a community or a conversation with the receiver changed their
    /// profile.
    ProfileUpdated {
        /// The profile now.
        profile: crate::people::Profile,
    },
    /// A conversation of the user was started or changed (name, participants), with the
    /// user's head of it.
    ConversationUpdated {
        /// The conversation now.
        conversation: crate::people::ConversationInfo,
        /// The user's head of it.
        head: ChannelHead,
    },
    /// The user left a conversation (to their other sessions).
    ConversationRemoved {
        /// The conversation.
        conversation_id: ChannelId,
    },
    /// The presence of a user the receiver subscribed to, or of a member of the community
    /// they view, changed.
    PresenceChanged {
        /// The presence now.
        presence: crate::people::Presence,
    },
    /// How many members of the community the receiver views are online (coalesced).
    OnlineCount {
        /// The community.
        community_id: CommunityId,
        /// Members online now.
        online: u64,
    },
    /// Users are typing in a channel, thread or conversation the receiver reads. Coalesced
    /// per receiving session and channel: the first `typing` in a quiet channel comes at
    /// once, later ones within the next second are gathered into one event (at most one
    /// per second per session and channel; at most `typing_batch_users` users in it, the
    /// newest first). Each user shows until `until_ms` unless renewed, or until their
    /// message arrives. Never stored, never sequenced.
    Typing {
        /// The community (`@me` for a conversation).
        community_id: CommunityId,
        /// The channel, thread or conversation.
        channel_id: ChannelId,
        /// Who started or renewed typing since the last `typing` to this session.
        user_ids: Vec<UserId>,
        /// When their indicators stop showing unless renewed.
        until_ms: TimestampMs,
    },
    /// Someone sat down in a voice channel of the community.
    VoiceJoined {
        /// Who and where.
        participant: crate::people::VoiceParticipant,
    },
    /// Someone left a voice channel (or their last session went away).
    VoiceLeft {
        /// The community.
        community_id: CommunityId,
        /// The voice channel.
        channel_id: ChannelId,
        /// Who.
        user_id: UserId,
    },
    /// The followed ranges of a community's member list changed (§22.2): the operations,
    /// in order, turn each window held into the list's items at its positions.
    MemberListUpdate {
        /// The community.
        community_id: CommunityId,
        /// Members in the list now.
        total: u64,
        /// Of them online.
        online: u64,
        /// The sections in list order.
        sections: Vec<crate::member_list::MemberListSection>,
        /// The operations on the followed ranges (empty when only the counts changed).
        ops: Vec<crate::member_list::MemberListOp>,
    },
}

impl Event {
    /// The event's `kind` on the wire (one of [`KNOWN_KINDS`]).
    pub fn kind(&self) -> &'static str {
        match self {
            Event::MessageCreated { .. } => "message_created",
            Event::CommunityAdded { .. } => "community_added",
            Event::CommunityRemoved { .. } => "community_removed",
            Event::CommunityUpdated { .. } => "community_updated",
            Event::AttributesChanged { .. } => "attributes_changed",
            Event::NotificationChanged { .. } => "notification_changed",
            Event::MemberJoined { .. } => "member_joined",
            Event::MemberLeft { .. } => "member_left",
            Event::MemberUpdated { .. } => "member_updated",
            Event::JoinRequested { .. } => "join_requested",
            Event::ChannelAdded { .. } => "channel_added",
            Event::ChannelUpdated { .. } => "channel_updated",
            Event::ChannelRemoved { .. } => "channel_removed",
            Event::CategoryUpdated { .. } => "category_updated",
            Event::CategoryRemoved { .. } => "category_removed",
            Event::ReadStateChanged { .. } => "read_state_changed",
            Event::ChannelActivity { .. } => "channel_activity",
            Event::MessageChanged { .. } => "message_changed",
            Event::GroupsChanged { .. } => "groups_changed",
            Event::ThreadUpdated { .. } => "thread_updated",
            Event::ThreadRemoved { .. } => "thread_removed",
            Event::ThreadDigest { .. } => "thread_digest",
            Event::ThreadJoined { .. } => "thread_joined",
            Event::ThreadLeft { .. } => "thread_left",
            Event::ProfileUpdated { .. } => "profile_updated",
            Event::ConversationUpdated { .. } => "conversation_updated",
            Event::ConversationRemoved { .. } => "conversation_removed",
            Event::PresenceChanged { .. } => "presence_changed",
            Event::OnlineCount { .. } => "online_count",
            Event::Typing { .. } => "typing",
            Event::VoiceJoined { .. } => "voice_joined",
            Event::VoiceLeft { .. } => "voice_left",
            Event::MemberListUpdate { .. } => "member_list_update",
        }
    }
}
