//! The data records carried by requests, responses and events.
//!
//! Records are plain data (no behaviour) so that every binding can hand them to the host
//! language whole, in one call. Times are milliseconds since the Unix epoch (UTC).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use crate::ids::{CategoryId, ChannelId, CommunityId, UserId};

/// A message's position in its channel: 1 for the first message, +1 for each next one.
pub type Seq = u64;
/// Milliseconds since the Unix epoch.
pub type TimestampMs = i64;

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

/// A member's role in a community. Ordered: `Member < Admin < Owner`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// An ordinary member.
    Member,
    /// An administrator: manages channels, members (not the owner nor other admins).
    Admin,
    /// The one owner: everything, including dismissing the community.
    Owner,
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

/// What a channel is for.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// Text chat.
    #[default]
    Text,
    /// A voice channel: presence state only (media is out of scope).
    Voice,
    /// Announcements: only owner and admins post.
    Announcement,
    /// A kind this version does not know (from a newer server). Shown as a plain channel;
    /// a server refuses to create one.
    #[serde(other)]
    Unknown,
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
    /// Messages after `read_seq` that count as unread (not the caller's own, not recalled).
    pub unread_count: u64,
    /// Unread messages that mention the caller (directly or through @everyone).
    pub mention_count: u64,
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
}

/// Metadata of an uploaded file (the upload itself goes to the app's storage).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Media {
    /// Where the file is.
    pub url: String,
    /// File name.
    #[serde(default)]
    pub name: String,
    /// MIME type.
    #[serde(default)]
    pub mime: String,
    /// Size in bytes.
    #[serde(default)]
    pub size: u64,
    /// Pixel width (images, video).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// Pixel height (images, video).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Duration (audio, video).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
}

/// The body of a message.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MessageContent {
    /// Plain text (≤ 12 KB).
    Text {
        /// The text.
        text: String,
    },
    /// An app-defined payload (≤ 8 KB).
    Custom {
        /// The payload, opaque to the server.
        data: String,
        /// A human-readable fallback.
        #[serde(default)]
        description: String,
    },
    /// An image.
    Image(Media),
    /// A file.
    File(Media),
    /// An audio clip.
    Audio(Media),
    /// A video.
    Video(Media),
    /// A notification written by the server (member joined, left, kicked, channel changed).
    System {
        /// What happened, e.g. `member_joined`.
        event: String,
        /// A human-readable text.
        text: String,
    },
    /// A content type this version does not know (from a newer server): the message keeps
    /// its place (`seq`, sender, time) but its body cannot be shown. Never sent by a
    /// client (the server refuses it).
    #[serde(other)]
    Unsupported,
}

impl MessageContent {
    /// Every content `type` this version knows (what a client may send).
    pub const KNOWN_TYPES: &'static [&'static str] = &[
        "text", "custom", "image", "file", "audio", "video", "system",
    ];

    /// The content's `type` on the wire (`"unsupported"` for a type from a newer server).
    pub fn content_type(&self) -> &'static str {
        match self {
            MessageContent::Text { .. } => "text",
            MessageContent::Custom { .. } => "custom",
            MessageContent::Image(_) => "image",
            MessageContent::File(_) => "file",
            MessageContent::Audio(_) => "audio",
            MessageContent::Video(_) => "video",
            MessageContent::System { .. } => "system",
            MessageContent::Unsupported => "unsupported",
        }
    }
}

/// Who a message mentions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Mentions {
    /// Mentioned users.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<UserId>,
    /// `@everyone`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub everyone: bool,
}

impl Mentions {
    /// True when the message mentions nobody.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty() && !self.everyone
    }

    /// True when `user` is mentioned, directly or through @everyone.
    pub fn mentions(&self, user: &UserId) -> bool {
        self.everyone || self.users.iter().any(|u| u == user)
    }
}

/// How important a message is when a channel is overloaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
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

/// A stored message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// The community.
    pub community_id: CommunityId,
    /// The channel.
    pub channel_id: ChannelId,
    /// Position in the channel, gap-free from 1.
    pub seq: Seq,
    /// The sender (`""` for system messages).
    pub sender_id: UserId,
    /// The sender's idempotency key.
    pub idempotency_key: String,
    /// The body.
    pub content: MessageContent,
    /// Who it mentions.
    #[serde(default, skip_serializing_if = "Mentions::is_empty")]
    pub mentions: Mentions,
    /// The message it replies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<Seq>,
    /// Priority under overload.
    #[serde(default)]
    pub priority: Priority,
    /// Server time of storage.
    pub created_at_ms: TimestampMs,
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
