//! The seam between the domain and the transport's offline push hand-off (docs/PUSH.md):
//! plain data, like [`crate::routing`]. The domain answers *who may be told of a message
//! and what it says* ([`PushCandidates`]); the transport drops those with an online
//! session, asks for the rest's tokens and badges ([`PushRecipient`]) and posts one push
//! request per user to the app's push endpoint.

use community_protocol::push::PushToken;
use community_protocol::{ChannelId, CommunityId, Seq, UserId};

/// Where a message was written, as its push request names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushPlace {
    /// A channel of a community.
    Channel,
    /// A thread of a channel.
    Thread,
    /// A direct (one-to-one) conversation.
    Direct,
    /// A group conversation.
    Group,
}

impl PushPlace {
    /// Its name in the push request (`"channel"`, `"thread"`, `"direct"`, `"group"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Channel => "channel",
            Self::Thread => "thread",
            Self::Direct => "direct",
            Self::Group => "group",
        }
    }
}

/// What a push request says about the message (the same for every recipient).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushMessage {
    /// The community (`@me` for a conversation).
    pub community_id: CommunityId,
    /// The channel, thread or conversation.
    pub channel_id: ChannelId,
    /// The message's sequence.
    pub seq: Seq,
    /// Its sender.
    pub sender_id: UserId,
    /// The sender's name: their nickname in the community, else their profile's display
    /// name, else their user id.
    pub sender_name: String,
    /// The community's name (empty for a conversation).
    pub community_name: String,
    /// The channel's or thread's name, or the group conversation's (empty for a direct
    /// conversation).
    pub channel_name: String,
    /// Where it was written.
    pub place: PushPlace,
    /// A preview of its content: its text (at most [`PREVIEW_CHARS`] characters, `…`
    /// added when cut) or a description (`[image]`, `[file]`…).
    pub preview: String,
    /// The community is large (docs/PUSH.md: only mentions push there).
    pub large: bool,
}

/// The longest text preview, in characters.
pub const PREVIEW_CHARS: usize = 120;

/// A user the message may notify, before the transport's checks (online sessions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushTarget {
    /// The user.
    pub user_id: UserId,
    /// The message mentions them: by name, through a group they hold, or `@everyone`.
    pub mentioned: bool,
}

/// The candidates of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushCandidates {
    /// What the push requests say.
    pub message: PushMessage,
    /// Who may be told, by user id; every one is a member who may read the message, not
    /// its sender, has a push token, and whose settings let this message notify them.
    pub targets: Vec<PushTarget>,
    /// More users qualified than [`MAX_PUSH_TARGETS`]: the rest were left out.
    pub truncated: bool,
}

/// The most users one message pushes to (a mention of a huge group in a large community
/// stops there; docs/PUSH.md).
pub const MAX_PUSH_TARGETS: usize = 10_000;

/// One user's push: their tokens and badge, read when the push is handed over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushRecipient {
    /// The user.
    pub user_id: UserId,
    /// Their push tokens, most recently registered first (never empty).
    pub tokens: Vec<PushToken>,
    /// Their badge: the total unread count (docs/PUSH.md) — the unread messages of the
    /// channels and joined threads whose level counts unread (`all`), in the communities
    /// whose notification status is `notify`, plus those of their conversations whose
    /// level counts unread.
    pub badge: u64,
}
