//! People records: mirrors of the protocol's `Profile`, `ConversationInfo`,
//! `ConversationKind`, `DmPolicy`, `PresenceStatus`, `Presence`, `VoiceParticipant`,
//! `ViewedCommunity` and `ConversationsPage`, of the SDK's `ConversationEntry` and
//! `NewConversation`, the profile change (`SetProfile`) and the conversation-list diff.
//!
//! A conversation's messages are a channel's, in the reserved community `@me`
//! ([`direct_community_id`]): its id goes wherever a channel id goes.

use std::collections::HashMap;

use community_protocol as wire;
use community_sdk as sdk;
use serde::{Deserialize, Serialize};

use super::{ChannelHead, list_diff, map_vec};

/// The id of the reserved community of direct and group conversations (`@me`): a
/// conversation is the channel `conversation_id` of this community in every message call.
#[uniffi::export]
pub fn direct_community_id() -> String {
    wire::CommunityId::DIRECT.to_string()
}

/// What a user shows of themselves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct Profile {
    /// The user.
    pub user_id: String,
    /// Display name (empty: none set; `display_name` then shows the user id).
    pub display_name: String,
    /// Avatar URL.
    pub avatar_url: String,
    /// Custom fields.
    pub fields: HashMap<String, String>,
    /// When it last changed (ms since the epoch; 0: never set).
    pub updated_at_ms: i64,
}

impl From<wire::Profile> for Profile {
    fn from(v: wire::Profile) -> Self {
        Self {
            user_id: v.user_id.to_string(),
            display_name: v.display_name,
            avatar_url: v.avatar_url,
            fields: v.fields.into_iter().collect(),
            updated_at_ms: v.updated_at_ms,
        }
    }
}

/// Changes to the user's own profile; none leaves a field as it is.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, uniffi::Record)]
pub struct ProfileUpdate {
    /// New display name (≤ `profile_field_bytes`; empty clears it).
    #[serde(default)]
    #[uniffi(default = None)]
    pub display_name: Option<String>,
    /// New avatar URL (≤ 300 bytes; empty clears it).
    #[serde(default)]
    #[uniffi(default = None)]
    pub avatar_url: Option<String>,
    /// Fields to set (≤ `max_profile_fields` in all); an empty value removes one.
    #[serde(default)]
    #[uniffi(default)]
    pub fields: HashMap<String, String>,
}

impl From<ProfileUpdate> for wire::request::SetProfile {
    fn from(v: ProfileUpdate) -> Self {
        Self {
            display_name: v.display_name,
            avatar_url: v.avatar_url,
            fields: v.fields.into_iter().collect(),
        }
    }
}

/// One-to-one or group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum ConversationKind {
    /// Two users; at most one between the same two.
    Direct,
    /// Up to `max_conversation_members` users.
    Group,
    /// A kind this version does not know (from a newer server).
    Unknown,
}

impl From<wire::ConversationKind> for ConversationKind {
    fn from(value: wire::ConversationKind) -> Self {
        match value {
            wire::ConversationKind::Direct => Self::Direct,
            wire::ConversationKind::Group => Self::Group,
            _ => Self::Unknown,
        }
    }
}

/// A conversation as its participants see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct ConversationInfo {
    /// Its id (`dm_…`): the channel id of its messages, in community `@me`.
    pub conversation_id: String,
    /// Direct or group.
    pub kind: ConversationKind,
    /// Everyone in it, the user included, sorted.
    pub participants: Vec<String>,
    /// A group's name (empty for direct conversations).
    pub name: String,
    /// Who started it.
    pub created_by: String,
    /// When (ms since the epoch).
    pub created_at_ms: i64,
    /// Its newest message's sequence (0: none yet).
    pub last_seq: u64,
    /// Time of its newest message (or of its creation).
    pub last_activity_ms: i64,
}

impl From<wire::ConversationInfo> for ConversationInfo {
    fn from(v: wire::ConversationInfo) -> Self {
        Self {
            conversation_id: v.conversation_id.to_string(),
            kind: v.kind.into(),
            participants: map_vec(v.participants),
            name: v.name,
            created_by: v.created_by.to_string(),
            created_at_ms: v.created_at_ms,
            last_seq: v.last_seq,
            last_activity_ms: v.last_activity_ms,
        }
    }
}

/// A conversation of the user with their head of it (its unread counts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct ConversationEntry {
    /// The conversation.
    pub info: ConversationInfo,
    /// Its unread state for the user (`community_id` is `@me`).
    pub head: ChannelHead,
}

impl From<sdk::ConversationEntry> for ConversationEntry {
    fn from(v: sdk::ConversationEntry) -> Self {
        Self {
            info: v.info.into(),
            head: v.head.into(),
        }
    }
}

impl From<wire::response::ConversationEntry> for ConversationEntry {
    fn from(v: wire::response::ConversationEntry) -> Self {
        Self {
            info: v.conversation.into(),
            head: v.head.into(),
        }
    }
}

/// A page of the user's conversations, newest activity first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct ConversationsPage {
    /// The conversations.
    pub conversations: Vec<ConversationEntry>,
    /// Pass this back for the next page; none on the last page.
    pub next_cursor: Option<String>,
}

impl From<wire::response::ConversationsPage> for ConversationsPage {
    fn from(v: wire::response::ConversationsPage) -> Self {
        Self {
            conversations: map_vec(v.conversations),
            next_cursor: v.next_cursor,
        }
    }
}

/// A new conversation.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, uniffi::Record)]
pub struct NewConversation {
    /// The other users (one for a direct conversation).
    pub user_ids: Vec<String>,
    /// A group's name (≤ 100 bytes).
    #[serde(default)]
    #[uniffi(default = "")]
    pub name: String,
    /// Make a group even with one other user.
    #[serde(default)]
    #[uniffi(default = false)]
    pub group: bool,
}

impl From<NewConversation> for sdk::NewConversation {
    fn from(v: NewConversation) -> Self {
        Self {
            user_ids: map_vec(v.user_ids),
            name: v.name,
            group: v.group,
        }
    }
}

list_diff!(
    /// A change of the user's conversation list (`Remove` carries the conversation's id).
    ConversationListDiff of ConversationEntry = sdk::ConversationEntry
);

/// Who may start a conversation with the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum DmPolicy {
    /// Anyone.
    #[default]
    Anyone,
    /// Only users who share a community with the user.
    SharedCommunity,
    /// Nobody (existing conversations go on).
    Nobody,
    /// A policy this version does not know (treated as `nobody`).
    Unknown,
}

impl From<DmPolicy> for wire::DmPolicy {
    fn from(value: DmPolicy) -> Self {
        match value {
            DmPolicy::Anyone => Self::Anyone,
            DmPolicy::SharedCommunity => Self::SharedCommunity,
            DmPolicy::Nobody => Self::Nobody,
            DmPolicy::Unknown => Self::Unknown,
        }
    }
}

impl From<wire::DmPolicy> for DmPolicy {
    fn from(value: wire::DmPolicy) -> Self {
        match value {
            wire::DmPolicy::Anyone => Self::Anyone,
            wire::DmPolicy::SharedCommunity => Self::SharedCommunity,
            wire::DmPolicy::Nobody => Self::Nobody,
            _ => Self::Unknown,
        }
    }
}

/// What a user shows of their presence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum PresenceStatus {
    /// Connected and available.
    #[default]
    Online,
    /// Connected, away.
    Idle,
    /// Connected, not to be disturbed.
    DoNotDisturb,
    /// Connected but shown as offline to others (the user sees their own `Invisible`).
    Invisible,
    /// No device connected (or invisible, as others see it).
    Offline,
    /// A status this version does not know (show it as online).
    Unknown,
}

impl From<PresenceStatus> for wire::PresenceStatus {
    fn from(value: PresenceStatus) -> Self {
        match value {
            PresenceStatus::Online => Self::Online,
            PresenceStatus::Idle => Self::Idle,
            PresenceStatus::DoNotDisturb => Self::DoNotDisturb,
            PresenceStatus::Invisible => Self::Invisible,
            PresenceStatus::Offline => Self::Offline,
            PresenceStatus::Unknown => Self::Unknown,
        }
    }
}

impl From<wire::PresenceStatus> for PresenceStatus {
    fn from(value: wire::PresenceStatus) -> Self {
        match value {
            wire::PresenceStatus::Online => Self::Online,
            wire::PresenceStatus::Idle => Self::Idle,
            wire::PresenceStatus::DoNotDisturb => Self::DoNotDisturb,
            wire::PresenceStatus::Invisible => Self::Invisible,
            wire::PresenceStatus::Offline => Self::Offline,
            _ => Self::Unknown,
        }
    }
}

/// A user's presence as the user may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct Presence {
    /// The user.
    pub user_id: String,
    /// Their status (`Offline` when no device is connected or they are invisible).
    pub status: PresenceStatus,
    /// Their custom status text (empty when offline).
    pub text: String,
    /// When they were last connected (none while online, or never seen).
    pub last_seen_ms: Option<i64>,
}

impl From<wire::Presence> for Presence {
    fn from(v: wire::Presence) -> Self {
        Self {
            user_id: v.user_id.to_string(),
            status: v.status.into(),
            text: v.text,
            last_seen_ms: v.last_seen_ms,
        }
    }
}

/// Someone sitting in a voice channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct VoiceParticipant {
    /// The community.
    pub community_id: String,
    /// The voice channel.
    pub channel_id: String,
    /// Who.
    pub user_id: String,
    /// Since when (ms since the epoch).
    pub joined_at_ms: i64,
}

impl From<wire::VoiceParticipant> for VoiceParticipant {
    fn from(v: wire::VoiceParticipant) -> Self {
        Self {
            community_id: v.community_id.to_string(),
            channel_id: v.channel_id.to_string(),
            user_id: v.user_id.to_string(),
            joined_at_ms: v.joined_at_ms,
        }
    }
}

/// The community the app shows: its online members now and how many are online (their
/// changes follow while it is viewed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct ViewedCommunity {
    /// The community.
    pub community_id: String,
    /// Members online now (invisible ones are not).
    pub online_count: u64,
    /// The presence of online members (the first 1,000).
    pub presences: Vec<Presence>,
}

impl From<wire::response::ViewedCommunity> for ViewedCommunity {
    fn from(v: wire::response::ViewedCommunity) -> Self {
        Self {
            community_id: v.community_id.to_string(),
            online_count: v.online_count,
            presences: map_vec(v.presences),
        }
    }
}
