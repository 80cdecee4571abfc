//! Mirrors of the protocol's data records (`community_protocol::model`); the message
//! records are in `message.rs`.

use std::collections::HashMap;

use community_protocol as wire;
use serde::{Deserialize, Serialize};

use super::{
    ChannelNotification, Group, Override, ThreadInfo, VoiceParticipant, map_vec, mirror_enum,
};
use crate::error::{ErrorKind, code_name};

/// How users get into a community.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum JoinPolicy {
    /// Anyone may join.
    #[default]
    Free,
    /// Only invited users become members.
    InviteOnly,
    /// Joining files a request that an owner or admin decides.
    Approval,
}
mirror_enum!(JoinPolicy <=> wire::JoinPolicy { Free, InviteOnly, Approval });

/// A member's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// An ordinary member.
    Member,
    /// An administrator.
    Admin,
    /// The owner.
    Owner,
}
mirror_enum!(Role <=> wire::Role { Member, Admin, Owner });

/// Whether a community's messages notify the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum NotificationStatus {
    /// Counts towards the total unread count.
    #[default]
    Notify,
    /// Do not disturb: left out of the total (mentions still count).
    DoNotDisturb,
}
mirror_enum!(NotificationStatus <=> wire::NotificationStatus { Notify, DoNotDisturb });

/// What a channel is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// Text chat.
    #[default]
    Text,
    /// Voice (presence state only).
    Voice,
    /// `@everyone` may not send (a group override may allow it back).
    Announcement,
    /// A kind this version does not know (from a newer server): show it as a plain
    /// channel. Creating one is refused.
    Unknown,
}

impl From<wire::ChannelKind> for ChannelKind {
    fn from(value: wire::ChannelKind) -> Self {
        match value {
            wire::ChannelKind::Text => ChannelKind::Text,
            wire::ChannelKind::Voice => ChannelKind::Voice,
            wire::ChannelKind::Announcement => ChannelKind::Announcement,
            _ => ChannelKind::Unknown,
        }
    }
}

impl From<ChannelKind> for wire::ChannelKind {
    fn from(value: ChannelKind) -> Self {
        match value {
            ChannelKind::Text => wire::ChannelKind::Text,
            ChannelKind::Voice => wire::ChannelKind::Voice,
            ChannelKind::Announcement => wire::ChannelKind::Announcement,
            ChannelKind::Unknown => wire::ChannelKind::Unknown,
        }
    }
}

/// How important a message is when a channel is overloaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// Dropped last.
    High,
    /// The default.
    #[default]
    Normal,
    /// Dropped first.
    Low,
}
mirror_enum!(Priority <=> wire::Priority { High, Normal, Low });

/// A community as every member sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, uniffi::Record)]
pub struct CommunityInfo {
    /// The community's id.
    pub community_id: String,
    /// Display name (≤ 300 characters).
    pub name: String,
    /// Avatar URL (≤ 100 characters).
    pub avatar_url: String,
    /// Notice (≤ 500 characters).
    pub notice: String,
    /// The owner's user id.
    pub owner_id: String,
    /// How users join.
    pub join_policy: JoinPolicy,
    /// Only members with `mute_members` (and the owner and admins) may speak.
    pub mute_all: bool,
    /// Exact number of members.
    pub member_count: u64,
    /// Custom attributes (≤ 10 pairs).
    pub attributes: HashMap<String, String>,
    /// The channel every member is in.
    pub default_channel_id: String,
    /// Creation time (ms since the Unix epoch).
    pub created_at_ms: i64,
    /// Structure version.
    pub version: u64,
    /// The server writes system messages (member joined / left / kicked in the default
    /// channel, channel created / renamed in the channel; sender `""`).
    pub system_messages: bool,
}

impl From<wire::CommunityInfo> for CommunityInfo {
    fn from(v: wire::CommunityInfo) -> Self {
        Self {
            community_id: v.community_id.to_string(),
            name: v.name,
            avatar_url: v.avatar_url,
            notice: v.notice,
            owner_id: v.owner_id.to_string(),
            join_policy: v.join_policy.into(),
            mute_all: v.mute_all,
            member_count: v.member_count,
            attributes: v.attributes.into_iter().collect(),
            default_channel_id: v.default_channel_id.to_string(),
            created_at_ms: v.created_at_ms,
            version: v.version,
            system_messages: v.system_messages,
        }
    }
}

/// A category, which groups channels for display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct CategoryInfo {
    /// The community.
    pub community_id: String,
    /// The category's id.
    pub category_id: String,
    /// Display name.
    pub name: String,
    /// Sort key (ascending).
    pub position: i64,
    /// Permission overrides of the category (channels that follow it use them).
    pub overrides: Vec<Override>,
}

impl From<wire::CategoryInfo> for CategoryInfo {
    fn from(v: wire::CategoryInfo) -> Self {
        Self {
            community_id: v.community_id.to_string(),
            category_id: v.category_id.to_string(),
            name: v.name,
            position: v.position,
            overrides: map_vec(v.overrides),
        }
    }
}

/// A channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct ChannelInfo {
    /// The community.
    pub community_id: String,
    /// The channel's id.
    pub channel_id: String,
    /// Display name.
    pub name: String,
    /// Introduction.
    pub introduction: String,
    /// Notice.
    pub notice: String,
    /// App-defined string.
    pub custom: String,
    /// Text, voice or announcement.
    pub kind: ChannelKind,
    /// The category it is shown under.
    pub category_id: Option<String>,
    /// Sort key within its category.
    pub position: i64,
    /// Private channels hold only members added explicitly.
    pub private: bool,
    /// The community's default channel.
    pub is_default: bool,
    /// Creation time.
    pub created_at_ms: i64,
    /// Permission overrides of the channel (per group or member).
    pub overrides: Vec<Override>,
    /// The channel uses its category's overrides instead of its own.
    pub follows_category: bool,
    /// Only members with `mute_members` speak in the channel.
    pub mute_all: bool,
}

impl From<wire::ChannelInfo> for ChannelInfo {
    fn from(v: wire::ChannelInfo) -> Self {
        Self {
            community_id: v.community_id.to_string(),
            channel_id: v.channel_id.to_string(),
            name: v.name,
            introduction: v.introduction,
            notice: v.notice,
            custom: v.custom,
            kind: v.kind.into(),
            category_id: v.category_id.map(Into::into),
            position: v.position,
            private: v.private,
            is_default: v.is_default,
            created_at_ms: v.created_at_ms,
            overrides: map_vec(v.overrides),
            follows_category: v.follows_category,
            mute_all: v.mute_all,
        }
    }
}

/// A user's membership in a community.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct MemberInfo {
    /// The community.
    pub community_id: String,
    /// The member.
    pub user_id: String,
    /// Owner, admin or member.
    pub role: Role,
    /// Name card in this community; empty when unset.
    pub nickname: String,
    /// When the user joined.
    pub joined_at_ms: i64,
    /// Muted until this time, if muted.
    pub muted_until_ms: Option<i64>,
    /// The permission groups the member holds besides `@everyone` (ids).
    pub groups: Vec<String>,
    /// Custom fields set by managers (or the member).
    pub custom_fields: HashMap<String, String>,
}

impl From<wire::MemberInfo> for MemberInfo {
    fn from(v: wire::MemberInfo) -> Self {
        Self {
            community_id: v.community_id.to_string(),
            user_id: v.user_id.to_string(),
            role: v.role.into(),
            nickname: v.nickname,
            joined_at_ms: v.joined_at_ms,
            muted_until_ms: v.muted_until_ms,
            groups: map_vec(v.groups),
            custom_fields: v.custom_fields.into_iter().collect(),
        }
    }
}

/// The unread state of one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct ChannelHead {
    /// The community.
    pub community_id: String,
    /// The channel.
    pub channel_id: String,
    /// The newest message's sequence (0 when empty).
    pub last_seq: u64,
    /// Time of the newest message.
    pub last_activity_ms: i64,
    /// Every message with `seq <= read_seq` is read.
    pub read_seq: u64,
    /// Unread messages.
    pub unread_count: u64,
    /// Unread messages that mention the user.
    pub mention_count: u64,
    /// The channel's newest change sequence (0: no message was ever changed).
    pub change_seq: u64,
    /// The messages of this channel the user deleted for themselves, ascending.
    pub hidden: Vec<u64>,
    /// The user's notification level of the channel (what of its counts reaches the sums).
    pub notification_level: ChannelNotification,
}

impl From<wire::ChannelHead> for ChannelHead {
    fn from(v: wire::ChannelHead) -> Self {
        Self {
            community_id: v.community_id.to_string(),
            channel_id: v.channel_id.to_string(),
            last_seq: v.last_seq,
            last_activity_ms: v.last_activity_ms,
            read_seq: v.read_seq,
            unread_count: v.unread_count,
            mention_count: v.mention_count,
            change_seq: v.change_seq,
            hidden: v.hidden,
            notification_level: v.notification_level.into(),
        }
    }
}

/// Everything a member needs about one community, in one record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, uniffi::Record)]
pub struct CommunitySnapshot {
    /// The community.
    pub info: CommunityInfo,
    /// Its categories.
    pub categories: Vec<CategoryInfo>,
    /// The channels the user can see.
    pub channels: Vec<ChannelInfo>,
    /// The user's own membership.
    pub me: MemberInfo,
    /// The user's notification status.
    pub notification: NotificationStatus,
    /// Unread heads of the visible channels and of the joined threads.
    pub heads: Vec<ChannelHead>,
    /// The community's permission groups, `@everyone` first, then by position.
    pub groups: Vec<Group>,
    /// The threads the user joined (their heads are in `heads`, by thread id).
    pub threads: Vec<ThreadInfo>,
    /// Who sits in which voice channel now.
    pub voice: Vec<VoiceParticipant>,
}

impl From<wire::CommunitySnapshot> for CommunitySnapshot {
    fn from(v: wire::CommunitySnapshot) -> Self {
        Self {
            info: v.info.into(),
            categories: map_vec(v.categories),
            channels: map_vec(v.channels),
            me: v.me.into(),
            notification: v.notification.into(),
            heads: map_vec(v.heads),
            groups: map_vec(v.groups),
            threads: map_vec(v.threads),
            voice: map_vec(v.voice),
        }
    }
}

/// A typed failure carried as data (a failed send, a key or user an operation skipped, a
/// server search that could not answer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct ErrorInfo {
    /// The numeric code.
    pub code: u32,
    /// Its snake_case name.
    pub name: String,
    /// Its kind.
    pub kind: ErrorKind,
    /// Details for developers.
    pub detail: String,
}

impl From<wire::ApiError> for ErrorInfo {
    fn from(v: wire::ApiError) -> Self {
        let code = u32::from(v.code.0);
        Self {
            code,
            name: code_name(code).to_owned(),
            kind: ErrorKind::of_code(code),
            detail: v.message,
        }
    }
}

impl From<crate::error::SdkError> for ErrorInfo {
    fn from(v: crate::error::SdkError) -> Self {
        Self {
            code: v.code(),
            name: v.name(),
            kind: v.kind(),
            detail: v.detail(),
        }
    }
}

/// An attribute key that could not be set or deleted, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct FailedKey {
    /// The key.
    pub key: String,
    /// Why.
    pub error: ErrorInfo,
}

impl From<wire::FailedKey> for FailedKey {
    fn from(v: wire::FailedKey) -> Self {
        Self {
            key: v.key,
            error: v.error.into(),
        }
    }
}

/// A user an operation could not apply to, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct FailedUser {
    /// The user.
    pub user_id: String,
    /// Why.
    pub error: ErrorInfo,
}

impl From<wire::FailedUser> for FailedUser {
    fn from(v: wire::FailedUser) -> Self {
        Self {
            user_id: v.user_id.to_string(),
            error: v.error.into(),
        }
    }
}

/// A pending request to join an approval-only community.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct JoinRequest {
    /// The community.
    pub community_id: String,
    /// Who asks.
    pub user_id: String,
    /// Their message to the admins.
    pub message: String,
    /// When they asked.
    pub requested_at_ms: i64,
}

impl From<wire::JoinRequest> for JoinRequest {
    fn from(v: wire::JoinRequest) -> Self {
        Self {
            community_id: v.community_id.to_string(),
            user_id: v.user_id.to_string(),
            message: v.message,
            requested_at_ms: v.requested_at_ms,
        }
    }
}
