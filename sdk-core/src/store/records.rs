//! The store's own records: what it keeps besides the protocol's records (session,
//! outbox) and what it returns in bulk (the cached world at start-up, write outcomes).

use community_protocol::{
    ChannelId, CommunityId, CommunitySnapshot, Mentions, Message, MessageContent, MessageRef,
    Priority, Seq, TimestampMs, UserId,
};

/// The session to resume after a restart or reconnect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// The logged-in user (the store file belongs to this user).
    pub user_id: UserId,
    /// This device's stable id.
    pub device_id: String,
    /// The server's session id from `logged_in`.
    pub session_id: String,
    /// The last event sequence the client processed (for `resume`).
    pub last_event_seq: u64,
}

/// Where an outbox entry stands: the same states as its local echo's
/// [`SendState`](crate::SendState) (sending, sent at `seq`, failed with the server's error;
/// a failed entry stays until the user retries or discards it).
pub use crate::model::SendState as OutboxState;

/// A message the user sent, kept durably until the server has it (the local echo).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// The message's idempotency key, which is also its local id (unique in the store).
    pub idempotency_key: String,
    /// The community.
    pub community_id: CommunityId,
    /// The channel.
    pub channel_id: ChannelId,
    /// The body.
    pub content: MessageContent,
    /// Who it mentions.
    pub mentions: Mentions,
    /// The message it replies to.
    pub reply_to: Option<Seq>,
    /// Priority under overload.
    pub priority: Priority,
    /// When the user sent it (local clock).
    pub created_at_ms: TimestampMs,
    /// Sending, sent or failed. `outbox_enqueue` stores whatever is given (normally
    /// [`OutboxState::Sending`]).
    pub state: OutboxState,
    /// App-defined data of the message.
    pub custom_data: String,
    /// The message it forwards (the server copies its content).
    pub forward_of: Option<MessageRef>,
}

/// Everything cached, as needed to build the in-memory state at start-up.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CachedWorld {
    /// The saved session, if any.
    pub session: Option<SessionRecord>,
    /// Every cached community, ordered by id, each complete: info, categories (by
    /// position), channels (by category and position), my membership, notification status
    /// and heads.
    pub communities: Vec<CommunitySnapshot>,
    /// The user's conversations, newest activity first.
    pub conversations: Vec<community_protocol::ConversationInfo>,
    /// The user's heads of their conversations (community `@me`).
    pub conversation_heads: Vec<community_protocol::ChannelHead>,
    /// Every cached profile.
    pub profiles: Vec<community_protocol::Profile>,
}

/// A copy of a message to store in place of the cached one.
#[derive(Debug, Clone, PartialEq)]
pub struct Replacement {
    /// The copy.
    pub message: Message,
    /// The channel's change sequence the copy includes (a copy from the server); the
    /// cached message is kept when its channel applied later changes. `None`: a local
    /// echo, always shown.
    pub as_of: Option<u64>,
}

/// What a batch of [`Change`](super::Change)s did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Applied {
    /// Messages that were not cached before, in the order they were given.
    pub new_messages: Vec<Message>,
    /// Cached messages that changes, echoes or replacements changed, as they are now.
    pub updated_messages: Vec<Message>,
    /// Channels whose cached messages miss changes (a gap in the change sequence): fetch
    /// them with `get_changes`.
    pub behind: Vec<(CommunityId, ChannelId)>,
    /// Changes that were skipped because their community is not cached (an event for a
    /// community the user already left, for example).
    pub skipped: usize,
}

/// What [`Store::outbox_mark_sent`](super::Store::outbox_mark_sent) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SentOutcome {
    /// True when the message was not cached before (it was just inserted).
    pub message_inserted: bool,
    /// True when an outbox entry with that key existed and is now `sent`.
    pub entry_updated: bool,
}

/// How to open a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreOptions {
    /// Reader connections (and threads) for queries: 1..=8, default 3.
    pub readers: usize,
    /// Most write requests folded into one transaction (default 256).
    pub max_batch: usize,
    /// SQLite busy timeout in milliseconds (default 10,000).
    pub busy_timeout_ms: u64,
    /// Test hook: the writer sleeps this long before each batch (a slow device, to test
    /// back-pressure). Zero (the default) in real use.
    #[doc(hidden)]
    pub write_delay: std::time::Duration,
    /// Test and benchmark hook: when false, the writer never works the search index's
    /// queue by itself when idle; only searches (and `flush_search_index`) have it done.
    /// True (the default) in real use.
    #[doc(hidden)]
    pub idle_indexing: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            readers: 3,
            max_batch: 256,
            busy_timeout_ms: 10_000,
            write_delay: std::time::Duration::ZERO,
            idle_indexing: true,
        }
    }
}
