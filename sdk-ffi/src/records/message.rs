//! Mirrors of the protocol's message records (`community_protocol::message`): the body,
//! mentions, reactions, pins, reply previews, forwarding origin and message references.

use community_protocol as wire;
use serde::{Deserialize, Serialize};

use super::{Priority, ThreadDigest, map_vec};

/// Metadata of an uploaded file.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, uniffi::Record)]
pub struct Media {
    /// Where the file is.
    pub url: String,
    /// File name.
    #[serde(default)]
    #[uniffi(default = "")]
    pub name: String,
    /// MIME type.
    #[serde(default)]
    #[uniffi(default = "")]
    pub mime: String,
    /// Size in bytes.
    #[serde(default)]
    #[uniffi(default = 0)]
    pub size: u64,
    /// Pixel width.
    #[serde(default)]
    #[uniffi(default = None)]
    pub width: Option<u32>,
    /// Pixel height.
    #[serde(default)]
    #[uniffi(default = None)]
    pub height: Option<u32>,
    /// Duration (audio, video).
    #[serde(default)]
    #[uniffi(default = None)]
    pub duration_ms: Option<u64>,
}

impl From<wire::Media> for Media {
    fn from(v: wire::Media) -> Self {
        Self {
            url: v.url,
            name: v.name,
            mime: v.mime,
            size: v.size,
            width: v.width,
            height: v.height,
            duration_ms: v.duration_ms,
        }
    }
}

impl From<Media> for wire::Media {
    fn from(v: Media) -> Self {
        Self {
            url: v.url,
            name: v.name,
            mime: v.mime,
            size: v.size,
            width: v.width,
            height: v.height,
            duration_ms: v.duration_ms,
        }
    }
}

/// The body of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Enum)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MessageContent {
    /// Plain text (≤ 12 KB).
    Text {
        /// The text.
        text: String,
    },
    /// An app-defined payload (≤ 8 KB).
    Custom {
        /// The payload.
        data: String,
        /// A human-readable fallback.
        description: String,
    },
    /// An image.
    Image {
        /// Its metadata.
        media: Media,
    },
    /// A file.
    File {
        /// Its metadata.
        media: Media,
    },
    /// An audio clip.
    Audio {
        /// Its metadata.
        media: Media,
    },
    /// A video.
    Video {
        /// Its metadata.
        media: Media,
    },
    /// A notification written by the server.
    System {
        /// What happened, e.g. `member_joined`.
        event: String,
        /// A human-readable text.
        text: String,
    },
    /// What is left of a recalled message ("deleted for everyone"): it keeps its `seq`,
    /// sender and time; body, mentions, custom data, reactions, pin and reply preview are
    /// gone. Show a tombstone. Written by the server only.
    Recalled {
        /// Who recalled it (the sender, or an owner / admin).
        by: String,
        /// When (ms since the Unix epoch).
        at_ms: i64,
    },
    /// A content type this version does not know (from a newer server): the message
    /// keeps its place but its body cannot be shown. Sending one is refused.
    Unsupported,
}

impl From<wire::MessageContent> for MessageContent {
    fn from(v: wire::MessageContent) -> Self {
        use wire::MessageContent as W;
        match v {
            W::Text { text } => Self::Text { text },
            W::Custom { data, description } => Self::Custom { data, description },
            W::Image(m) => Self::Image { media: m.into() },
            W::File(m) => Self::File { media: m.into() },
            W::Audio(m) => Self::Audio { media: m.into() },
            W::Video(m) => Self::Video { media: m.into() },
            W::System { event, text } => Self::System { event, text },
            W::Recalled { by, at_ms } => Self::Recalled {
                by: by.to_string(),
                at_ms,
            },
            _ => Self::Unsupported,
        }
    }
}

impl From<MessageContent> for wire::MessageContent {
    fn from(v: MessageContent) -> Self {
        use wire::MessageContent as W;
        match v {
            MessageContent::Text { text } => W::Text { text },
            MessageContent::Custom { data, description } => W::Custom { data, description },
            MessageContent::Image { media } => W::Image(media.into()),
            MessageContent::File { media } => W::File(media.into()),
            MessageContent::Audio { media } => W::Audio(media.into()),
            MessageContent::Video { media } => W::Video(media.into()),
            MessageContent::System { event, text } => W::System { event, text },
            MessageContent::Recalled { by, at_ms } => W::Recalled {
                by: by.into(),
                at_ms,
            },
            MessageContent::Unsupported => W::Unsupported,
        }
    }
}

/// Who a message mentions.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, uniffi::Record)]
pub struct Mentions {
    /// Mentioned users.
    #[serde(default)]
    #[uniffi(default = [])]
    pub users: Vec<String>,
    /// `@everyone`.
    #[serde(default)]
    #[uniffi(default = false)]
    pub everyone: bool,
    /// Mentioned permission groups (ids): every holder is mentioned. A group that is not
    /// mentionable needs `mention_everyone`.
    #[serde(default)]
    #[uniffi(default = [])]
    pub groups: Vec<String>,
}

impl From<wire::Mentions> for Mentions {
    fn from(v: wire::Mentions) -> Self {
        Self {
            users: map_vec(v.users),
            everyone: v.everyone,
            groups: map_vec(v.groups),
        }
    }
}

impl From<Mentions> for wire::Mentions {
    fn from(v: Mentions) -> Self {
        Self {
            users: map_vec(v.users),
            everyone: v.everyone,
            groups: map_vec(v.groups),
        }
    }
}

/// A stored message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct Message {
    /// The community.
    pub community_id: String,
    /// The channel.
    pub channel_id: String,
    /// Position in the channel, gap-free from 1.
    pub seq: u64,
    /// The sender (`""` for system messages).
    pub sender_id: String,
    /// The sender's idempotency key.
    pub idempotency_key: String,
    /// The body (`Recalled` once recalled: show a tombstone).
    pub content: MessageContent,
    /// Who it mentions.
    pub mentions: Mentions,
    /// The message it replies to.
    pub reply_to: Option<u64>,
    /// Priority under overload.
    pub priority: Priority,
    /// Server time of storage.
    pub created_at_ms: i64,
    /// App-defined data, set by the author when sending and editable by them.
    pub custom_data: String,
    /// When it was last edited; none when never edited.
    pub edited_at_ms: Option<i64>,
    /// How many times it was edited (show "(edited)" when above 0).
    pub edit_count: u32,
    /// Reactions, in the order their emoji were first used.
    pub reactions: Vec<Reaction>,
    /// Set while the message is pinned in its channel.
    pub pinned: Option<Pin>,
    /// What the message it replies to looks like now (present with `reply_to`).
    pub reply_preview: Option<ReplyPreview>,
    /// The original of a forwarded message.
    pub forwarded_from: Option<Origin>,
    /// The thread started from this message, as a digest (message count, last reply,
    /// participants, last activity); kept up to date on the timeline (`Updated`).
    pub thread: Option<ThreadDigest>,
}

impl From<wire::Message> for Message {
    fn from(v: wire::Message) -> Self {
        Self {
            community_id: v.community_id.to_string(),
            channel_id: v.channel_id.to_string(),
            seq: v.seq,
            sender_id: v.sender_id.to_string(),
            idempotency_key: v.idempotency_key,
            content: v.content.into(),
            mentions: v.mentions.into(),
            reply_to: v.reply_to,
            priority: v.priority.into(),
            created_at_ms: v.created_at_ms,
            custom_data: v.custom_data,
            edited_at_ms: v.edited_at_ms,
            edit_count: v.edit_count,
            reactions: map_vec(v.reactions),
            pinned: v.pinned.map(Into::into),
            reply_preview: v.reply_preview.map(Into::into),
            forwarded_from: v.forwarded_from.map(Into::into),
            thread: v.thread.map(Into::into),
        }
    }
}

/// One emoji's reactions on a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct Reaction {
    /// The emoji: any string of 1..=`emoji_bytes` bytes (e.g. `"👍"` or `":party:"`).
    pub emoji: String,
    /// How many users reacted with it.
    pub count: u32,
    /// The first users who reacted with it, oldest first (at most 10).
    pub users: Vec<String>,
    /// True when the user is one of them.
    pub me: bool,
}

impl From<wire::Reaction> for Reaction {
    fn from(v: wire::Reaction) -> Self {
        Self {
            emoji: v.emoji,
            count: v.count,
            users: map_vec(v.users),
            me: v.me,
        }
    }
}

/// Who pinned a message, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct Pin {
    /// Who pinned it.
    pub by: String,
    /// When (ms since the Unix epoch).
    pub at_ms: i64,
}

impl From<wire::Pin> for Pin {
    fn from(v: wire::Pin) -> Self {
        Self {
            by: v.by.to_string(),
            at_ms: v.at_ms,
        }
    }
}

/// What a reply shows of the message it answers, kept up to date when the original is
/// edited or recalled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct ReplyPreview {
    /// The original's sequence (the reply's `reply_to`).
    pub seq: u64,
    /// The original's sender.
    pub sender_id: String,
    /// The original's first line (≤ 100 characters), a label like `[image]` for other
    /// contents, or empty when recalled.
    pub text: String,
    /// Whether the original was edited or recalled since.
    pub state: PreviewState,
}

impl From<wire::ReplyPreview> for ReplyPreview {
    fn from(v: wire::ReplyPreview) -> Self {
        Self {
            seq: v.seq,
            sender_id: v.sender_id.to_string(),
            text: v.text,
            state: v.state.into(),
        }
    }
}

/// The state of a replied-to message, as its preview shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum PreviewState {
    /// As it was sent.
    #[default]
    Normal,
    /// Edited since.
    Edited,
    /// Recalled: show "recalled" and no text.
    Recalled,
    /// A state this version does not know (from a newer server).
    Unknown,
}

impl From<wire::PreviewState> for PreviewState {
    fn from(v: wire::PreviewState) -> Self {
        match v {
            wire::PreviewState::Normal => Self::Normal,
            wire::PreviewState::Edited => Self::Edited,
            wire::PreviewState::Recalled => Self::Recalled,
            _ => Self::Unknown,
        }
    }
}

/// The original of a forwarded message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct Origin {
    /// The community of the original.
    pub community_id: String,
    /// Its channel.
    pub channel_id: String,
    /// Its sequence.
    pub seq: u64,
    /// Its sender.
    pub sender_id: String,
    /// When it was sent.
    pub created_at_ms: i64,
}

impl From<wire::Origin> for Origin {
    fn from(v: wire::Origin) -> Self {
        Self {
            community_id: v.community_id.to_string(),
            channel_id: v.channel_id.to_string(),
            seq: v.seq,
            sender_id: v.sender_id.to_string(),
            created_at_ms: v.created_at_ms,
        }
    }
}

/// Where a message is: a community, a channel and a sequence (e.g. what to forward).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, uniffi::Record)]
pub struct MessageRef {
    /// The community.
    pub community_id: String,
    /// The channel.
    pub channel_id: String,
    /// The message's sequence in the channel.
    pub seq: u64,
}

impl From<wire::MessageRef> for MessageRef {
    fn from(v: wire::MessageRef) -> Self {
        Self {
            community_id: v.community_id.to_string(),
            channel_id: v.channel_id.to_string(),
            seq: v.seq,
        }
    }
}

impl From<MessageRef> for wire::MessageRef {
    fn from(v: MessageRef) -> Self {
        Self {
            community_id: v.community_id.into(),
            channel_id: v.channel_id.into(),
            seq: v.seq,
        }
    }
}
