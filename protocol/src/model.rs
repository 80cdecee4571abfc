//! The data records carried by requests, responses and events.
//!
//! Records are plain data (no behaviour) so that every binding can hand them to the host
//! language whole, in one call. Times are milliseconds since the Unix epoch (UTC).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use crate::change::{ChangeKind, MessageChange};
pub use crate::ids::{CategoryId, ChannelId, CommunityId, GroupId, UserId};
pub use crate::message::*;
use crate::permissions::{Group, Override};
pub use crate::primitives::{ChannelKind, Role, Seq, TimestampMs};

/// How users get into a community.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum JoinPolicy {
    /// Anyone may join.
    #[default]
    Free,
    /// Only invited users become members; `join_community` is refused.
    InviteOnly,
    /// `join_community` files a request that an owner or admin approves or rejects.
    Approval,
}

/// Whether a community's messages notify the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum NotificationStatus {
    /// Unread counts of this community count towards the total.
    #[default]
    Notify,
    /// Do not disturb: excluded from the total unread count; mentions still count.
    DoNotDisturb,
}

/// A community as every member sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommunityInfo {
    /// The community's id.
    pub community_id: CommunityId,
    /// Display name (≤ 300 characters).
    pub name: String,
    /// Avatar URL (≤ 100 characters).
    #[serde(default)]
    pub avatar_url: String,
    /// Notice / announcement text (≤ 500 characters).
    #[serde(default)]
    pub notice: String,
    /// The owner's user id.
    pub owner_id: UserId,
    /// How users join.
    pub join_policy: JoinPolicy,
    /// When true only the owner and admins may send messages.
    #[serde(default)]
    pub mute_all: bool,
    /// Exact number of members.
    pub member_count: u64,
    /// Custom attributes (≤ 10 pairs).
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// The channel every member is in.
    pub default_channel_id: ChannelId,
    /// Creation time.
    pub created_at_ms: TimestampMs,
    /// Version of the community's structure (info, channels, categories); grows on every
    /// change, so a re-syncing client only fetches what changed.
    pub version: u64,
    /// When true (the default) the server writes system messages into history: member
    /// joined / left / kicked in the default channel, channel created / renamed in the
    /// channel.
    #[serde(default = "yes")]
    pub system_messages: bool,
}

fn yes() -> bool {
    true
}

/// A category, which groups channels for display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryInfo {
    /// The community it belongs to.
    pub community_id: CommunityId,
    /// The category's id.
    pub category_id: CategoryId,
    /// Display name (≤ 100 bytes).
    pub name: String,
    /// Sort key among the community's categories (ascending).
    pub position: i64,
    /// Permission overrides of the category (channels that follow it use them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<Override>,
}

/// A channel as the caller may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelInfo {
    /// The community it belongs to.
    pub community_id: CommunityId,
    /// The channel's id.
    pub channel_id: ChannelId,
    /// Display name (≤ 100 bytes).
    pub name: String,
    /// Introduction (≤ 240 bytes).
    #[serde(default)]
    pub introduction: String,
    /// Notice (≤ 300 bytes).
    #[serde(default)]
    pub notice: String,
    /// App-defined string.
    #[serde(default)]
    pub custom: String,
    /// Text, voice or announcement. On the wire `channel_kind`: a `kind` field would
    /// collide with the `kind` tag of the `channel` response, which flattens this record.
    #[serde(rename = "channel_kind")]
    pub kind: ChannelKind,
    /// The category it is shown under, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_id: Option<CategoryId>,
    /// Sort key within its category (ascending).
    pub position: i64,
    /// Private channels hold only members added explicitly.
    pub private: bool,
    /// The community's default channel (cannot be deleted or made private).
    pub is_default: bool,
    /// Creation time.
    pub created_at_ms: TimestampMs,
    /// Permission overrides of the channel (see [`crate::permissions`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<Override>,
    /// When true the channel uses its category's overrides instead of its own.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub follows_category: bool,
    /// When true only members who may mute others speak in the channel.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mute_all: bool,
}

/// A user's membership in a community.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberInfo {
    /// The community.
    pub community_id: CommunityId,
    /// The member.
    pub user_id: UserId,
    /// Owner, admin or member.
    pub role: Role,
    /// Name card in this community (≤ 50 bytes); empty when unset.
    #[serde(default)]
    pub nickname: String,
    /// When the user joined.
    pub joined_at_ms: TimestampMs,
    /// Muted until this time, if muted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub muted_until_ms: Option<TimestampMs>,
    /// The permission groups the member holds besides `@everyone`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupId>,
    /// Custom fields set by managers (≤ `max_member_fields`, values ≤
    /// `member_field_bytes`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_fields: BTreeMap<String, String>,
}

/// The unread state of one channel for the caller: everything the badges need, with no
/// message downloaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelHead {
    /// The community.
    pub community_id: CommunityId,
    /// The channel.
    pub channel_id: ChannelId,
    /// The newest message's sequence (0 when the channel is empty).
    pub last_seq: Seq,
    /// Time of the newest message (or the channel's creation).
    pub last_activity_ms: TimestampMs,
    /// The caller's read position: every message with `seq <= read_seq` is read.
    pub read_seq: Seq,
    /// Messages after `read_seq` that count as unread: not the caller's own, not written
    /// by the server, not recalled, not hidden by the caller.
    pub unread_count: u64,
    /// Unread messages that mention the caller (directly or through @everyone).
    pub mention_count: u64,
    /// The channel's newest change sequence (0: no message was ever changed). A client
    /// whose cache applied fewer changes asks for the rest with `get_changes`.
    #[serde(default)]
    pub change_seq: u64,
    /// The messages of this channel the caller deleted locally (`hide_message`),
    /// ascending; every device of the caller hides them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hidden: Vec<Seq>,
    /// How the channel's counts reach the community's and the total: the caller's level.
    #[serde(default, skip_serializing_if = "ChannelNotification::is_all")]
    pub notification_level: ChannelNotification,
}

/// A user's notification level for one channel: what of its counts reaches the
/// community's sums and the totals (the channel's own counts are always exact).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ChannelNotification {
    /// Unread and mentions count.
    #[default]
    All,
    /// Only mentions count.
    MentionsOnly,
    /// Nothing counts.
    None,
    /// A level this version does not know (from a newer server): counts as `all`.
    #[serde(other)]
    Unknown,
}

impl ChannelNotification {
    /// True for `all` (the default, left out on the wire).
    pub fn is_all(&self) -> bool {
        *self == ChannelNotification::All
    }

    /// Whether the channel's unread count reaches the sums.
    pub fn counts_unread(self) -> bool {
        matches!(
            self,
            ChannelNotification::All | ChannelNotification::Unknown
        )
    }

    /// Whether the channel's mention count reaches the sums.
    pub fn counts_mentions(self) -> bool {
        self != ChannelNotification::None
    }
}

/// A ban: the user was removed and may not come back until it ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ban {
    /// The community.
    pub community_id: CommunityId,
    /// The banned user.
    pub user_id: UserId,
    /// Who banned them.
    pub by: UserId,
    /// Why (≤ 500 characters; may be empty).
    #[serde(default)]
    pub reason: String,
    /// When.
    pub at_ms: TimestampMs,
    /// Until when; absent: for ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_ms: Option<TimestampMs>,
}

/// Everything a member needs about one community, in one record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommunitySnapshot {
    /// The community.
    pub info: CommunityInfo,
    /// Its categories.
    pub categories: Vec<CategoryInfo>,
    /// The channels the caller can see.
    pub channels: Vec<ChannelInfo>,
    /// The caller's own membership.
    pub me: MemberInfo,
    /// The caller's notification status for this community.
    pub notification: NotificationStatus,
    /// Unread heads of the visible channels.
    pub heads: Vec<ChannelHead>,
    /// The community's permission groups, `@everyone` first, then by position.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<Group>,
    /// The threads the caller joined (their heads are in `heads`, by thread id).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub threads: Vec<crate::thread::ThreadInfo>,
    /// Who sits in which voice channel now.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub voice: Vec<crate::people::VoiceParticipant>,
}

/// A page of items with a cursor: `next_cursor` is `None` when there is nothing more.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Pass this back to get the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// A key that could not be set or deleted, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedKey {
    /// The attribute key.
    pub key: String,
    /// Why it failed.
    pub error: crate::ApiError,
}

/// A user that could not be invited (or added), and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedUser {
    /// The user.
    pub user_id: UserId,
    /// Why it failed.
    pub error: crate::ApiError,
}

/// A pending request to join an approval-only community.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinRequest {
    /// The community.
    pub community_id: CommunityId,
    /// Who asks.
    pub user_id: UserId,
    /// Their message to the admins.
    #[serde(default)]
    pub message: String,
    /// When they asked.
    pub requested_at_ms: TimestampMs,
}

/// Why a community disappeared from a user's list.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemovalReason {
    /// The user left.
    Left,
    /// The user was kicked.
    Kicked,
    /// The user was banned.
    Banned,
    /// The owner dismissed the community.
    Dismissed,
}

/// Why a channel disappeared from a user's view.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelRemovalReason {
    /// The channel was deleted.
    Deleted,
    /// The user was removed from the private channel (or it became private).
    AccessRevoked,
}
