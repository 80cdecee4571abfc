//! Messages: their content, mentions, reactions, pins, reply previews and forwarding
//! origin.
//!
//! A message is identified by its channel and its `seq`; everything that happens to it
//! after it was sent is a [`crate::MessageChange`].

use serde::{Deserialize, Serialize};

use crate::ids::{ChannelId, CommunityId, GroupId, UserId};
use crate::model::{Seq, TimestampMs};

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
    /// What is left of a recalled message ("deleted for everyone"): the message keeps its
    /// `seq`, sender and time, so no gap appears; its body, mentions, custom data,
    /// reactions, pin and reply preview are gone. Written by the server only.
    Recalled {
        /// Who recalled it (the sender, or a member who manages messages).
        by: UserId,
        /// When.
        at_ms: TimestampMs,
    },
    /// A content type this version does not know (from a newer server): the message keeps
    /// its place (`seq`, sender, time) but its body cannot be shown. Never sent by a
    /// client (the server refuses it).
    #[serde(other)]
    Unsupported,
}

impl MessageContent {
    /// Every content `type` this version knows (`system` and `recalled` are written by
    /// the server only).
    pub const KNOWN_TYPES: &'static [&'static str] = &[
        "text", "custom", "image", "file", "audio", "video", "system", "recalled",
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
            MessageContent::Recalled { .. } => "recalled",
            MessageContent::Unsupported => "unsupported",
        }
    }

    /// True for a recalled message's tombstone.
    pub fn is_recalled(&self) -> bool {
        matches!(self, MessageContent::Recalled { .. })
    }

    /// True for the contents an author may edit (text and custom).
    pub fn is_editable(&self) -> bool {
        matches!(
            self,
            MessageContent::Text { .. } | MessageContent::Custom { .. }
        )
    }

    /// The first line of the body as a reply preview shows it (at most
    /// [`PREVIEW_CHARS`] characters), or a label such as `[image]` for other contents.
    pub fn preview_text(&self) -> String {
        let label = |kind: &str| format!("[{kind}]");
        match self {
            MessageContent::Text { text } => first_line(text),
            MessageContent::Custom { description, .. } if !description.is_empty() => {
                first_line(description)
            }
            MessageContent::System { text, .. } => first_line(text),
            MessageContent::Recalled { .. } => String::new(),
            other => label(other.content_type()),
        }
    }
}

/// Characters of a reply preview's text.
pub const PREVIEW_CHARS: usize = 100;

fn first_line(text: &str) -> String {
    text.lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(PREVIEW_CHARS)
        .collect()
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
    /// Mentioned permission groups: every holder is mentioned.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupId>,
}

impl Mentions {
    /// True when the message mentions nobody.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty() && !self.everyone && self.groups.is_empty()
    }

    /// True when `user` is mentioned, directly or through @everyone.
    pub fn mentions(&self, user: &UserId) -> bool {
        self.everyone || self.users.iter().any(|u| u == user)
    }

    /// True when a member holding `groups` is mentioned: directly, through @everyone, or
    /// through one of their groups.
    pub fn mentions_member(&self, user: &UserId, groups: &[GroupId]) -> bool {
        self.mentions(user) || self.groups.iter().any(|g| groups.contains(g))
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
    /// The message it replies to (same channel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<Seq>,
    /// Priority under overload.
    #[serde(default)]
    pub priority: Priority,
    /// Server time of storage.
    pub created_at_ms: TimestampMs,
    /// App-defined data of the message (≤ `custom_data_bytes`), set by the author when
    /// sending and editable by them.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub custom_data: String,
    /// When it was last edited; absent when never edited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_at_ms: Option<TimestampMs>,
    /// How many times it was edited.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub edit_count: u32,
    /// Reactions, in the order their emoji were first used.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<Reaction>,
    /// Set while the message is pinned in its channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned: Option<Pin>,
    /// What the message it replies to looks like now (present with `reply_to`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_preview: Option<ReplyPreview>,
    /// The original of a forwarded message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forwarded_from: Option<Origin>,
    /// The thread started from this message, as a digest (filled in answers; kept up to
    /// date by `thread_digest` events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<crate::thread::ThreadDigest>,
}

impl Message {
    /// True when the message was written by the server (system messages): such messages
    /// never count as unread or as a mention.
    pub fn is_from_server(&self) -> bool {
        self.sender_id.as_str().is_empty()
    }

    /// Whether this message counts towards `user`'s unread count when it is after their
    /// read position: not their own, not written by the server, not recalled. (Hidden
    /// messages are excluded by the caller, who knows the user's hidden set.)
    pub fn counts_for(&self, user: &UserId) -> bool {
        &self.sender_id != user && !self.is_from_server() && !self.content.is_recalled()
    }

    /// The reaction with `emoji`, if anyone reacted with it.
    pub fn reaction(&self, emoji: &str) -> Option<&Reaction> {
        self.reactions.iter().find(|r| r.emoji == emoji)
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// One emoji's reactions on a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reaction {
    /// The emoji: any string of 1..=`emoji_bytes` bytes (e.g. `"👍"` or `":party:"`).
    pub emoji: String,
    /// How many users reacted with it.
    pub count: u32,
    /// The first users who reacted with it, oldest first (at most
    /// [`REACTION_USERS_SHOWN`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<UserId>,
    /// True when the caller is one of them. Filled in answers to the caller; always
    /// false in events (which go to many users; clients work it out from `user_id` of
    /// the change).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub me: bool,
}

/// How many reacting users a [`Reaction`] lists.
pub const REACTION_USERS_SHOWN: usize = 10;

/// Who pinned a message, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pin {
    /// Who pinned it.
    pub by: UserId,
    /// When.
    pub at_ms: TimestampMs,
}

/// What a reply shows of the message it answers: kept up to date by the server in every
/// answer and by the SDK when the original is edited or recalled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyPreview {
    /// The original's sequence (the reply's `reply_to`).
    pub seq: Seq,
    /// The original's sender.
    pub sender_id: UserId,
    /// The original's first line (≤ 100 characters), a label like `[image]` for other
    /// contents, or empty when recalled.
    #[serde(default)]
    pub text: String,
    /// Whether the original was edited or recalled since.
    #[serde(default)]
    pub state: PreviewState,
}

/// The state of a replied-to message, as its preview shows it.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PreviewState {
    /// As it was sent.
    #[default]
    Normal,
    /// Edited since.
    Edited,
    /// Recalled: the preview shows "recalled" and no text.
    Recalled,
    /// A state this version does not know (from a newer server).
    #[serde(other)]
    Unknown,
}

impl ReplyPreview {
    /// The preview of `original` as it is now.
    pub fn of(original: &Message) -> Self {
        let state = if original.content.is_recalled() {
            PreviewState::Recalled
        } else if original.edit_count > 0 {
            PreviewState::Edited
        } else {
            PreviewState::Normal
        };
        Self {
            seq: original.seq,
            sender_id: original.sender_id.clone(),
            text: original.content.preview_text(),
            state,
        }
    }
}

/// Where a message points: a community, a channel and a sequence.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MessageRef {
    /// The community.
    pub community_id: CommunityId,
    /// The channel.
    pub channel_id: ChannelId,
    /// The message's sequence in the channel.
    pub seq: Seq,
}

/// The original of a forwarded message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    /// The community of the original.
    pub community_id: CommunityId,
    /// Its channel.
    pub channel_id: ChannelId,
    /// Its sequence.
    pub seq: Seq,
    /// Its sender.
    pub sender_id: UserId,
    /// When it was sent.
    pub created_at_ms: TimestampMs,
}
