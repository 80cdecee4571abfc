//! The SDK's own plain data records (besides the protocol's): connection state, unread
//! counts, list entries and local messages. Plain data, no behaviour, so every binding can
//! hand them to the host language in one piece.

use std::time::Duration;

use community_protocol::{
    ApiError, ChannelHead, ChannelId, ChannelInfo, CommunityId, CommunityInfo, MemberInfo,
    Mentions, Message, MessageContent, MessageRef, NotificationStatus, Priority, Seq, TimestampMs,
    UserId,
};
use serde::{Deserialize, Serialize};

/// The state of the client's connection to the server.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionState {
    /// Opening the first connection of a login.
    Connecting,
    /// Connected and logged in.
    Connected,
    /// The connection dropped; the client tries again after `next_delay` (attempt
    /// `attempt`, from 1).
    Reconnecting {
        /// Which retry this is (1 for the first).
        attempt: u32,
        /// How long the client waits before this attempt.
        next_delay: Duration,
    },
    /// No connection and no automatic retry: log in (again) to reconnect.
    Disconnected {
        /// Why.
        reason: DisconnectReason,
    },
}

/// Why the client is disconnected (and does not retry by itself).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DisconnectReason {
    /// The token expired and the token provider gave no new one.
    TokenExpired,
    /// The same user logged in on the same device elsewhere.
    SessionReplaced,
    /// The server shut down and asked clients not to come back.
    ServerShutdown,
    /// The network failed more often than the configured retry limit allows.
    Network,
    /// Logged out (also the state before the first login).
    LoggedOut,
    /// The app's backend removed the user.
    Kicked,
    /// The server refused the credentials (malformed or forged token, wrong user).
    AuthFailed(ApiError),
    /// The server reported a protocol violation (a bug or an unsupported version).
    ProtocolError(String),
}

/// Unread and mention counts of one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelUnread {
    /// The community.
    pub community_id: CommunityId,
    /// The channel.
    pub channel_id: ChannelId,
    /// The read position: messages up to this sequence are read.
    pub read_seq: Seq,
    /// The newest sequence known.
    pub last_seq: Seq,
    /// Unread messages (not the user's own).
    pub unread_count: u64,
    /// Unread messages that mention the user.
    pub mention_count: u64,
}

/// Unread and mention counts of one community: the sums over its channels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunityUnread {
    /// The community.
    pub community_id: CommunityId,
    /// Notify or do-not-disturb (the latter is left out of the total unread count).
    pub notification: NotificationStatus,
    /// Sum of its channels' unread counts.
    pub unread_count: u64,
    /// Sum of its channels' mention counts.
    pub mention_count: u64,
}

/// The badges of the whole app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UnreadTotals {
    /// Sum of the unread counts of communities in notify status.
    pub total_unread: u64,
    /// Sum of the mention counts of every community (do-not-disturb included).
    pub total_mentions: u64,
}

/// A change of unread counts: the new values of what changed (or of everything when
/// `reset` is true: always the first value of a subscription, and again after a
/// subscriber fell far behind).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UnreadUpdate {
    /// True when this lists every channel and community (forget earlier values).
    pub reset: bool,
    /// Channels whose counts changed, with their new counts.
    pub channels: Vec<ChannelUnread>,
    /// Communities whose sums changed, with their new sums.
    pub communities: Vec<CommunityUnread>,
    /// Communities that are gone (left, kicked, dismissed).
    pub removed_communities: Vec<CommunityId>,
    /// The totals now.
    pub totals: UnreadTotals,
}

/// One joined community as the client holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct CommunityEntry {
    /// Its information.
    pub info: CommunityInfo,
    /// The user's own membership (role, mute, nickname).
    pub me: MemberInfo,
    /// The user's notification status.
    pub notification: NotificationStatus,
}

/// One visible channel as the client holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelEntry {
    /// Its information.
    pub info: ChannelInfo,
    /// Its head: last sequence, read position, unread and mention counts.
    pub head: ChannelHead,
}

/// A thread the user joined, with their head for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadEntry {
    /// The thread.
    pub info: community_protocol::ThreadInfo,
    /// Its unread state for the user.
    pub head: ChannelHead,
}

/// A conversation in the user's list, with their head of it (community `@me`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationEntry {
    /// The conversation.
    pub info: community_protocol::ConversationInfo,
    /// Its unread state for the user.
    pub head: ChannelHead,
}

/// A diff of a keyed list (communities, channels). Keys are the items' ids.
#[derive(Debug, Clone, PartialEq)]
pub enum ListDiff<T> {
    /// The whole list (the first value of a subscription, or after a full resync).
    Reset(Vec<T>),
    /// A new item.
    Insert(T),
    /// An item changed (the new value).
    Update(T),
    /// The item with this id is gone.
    Remove(String),
}

/// Options of [`ChannelHandle::send`](crate::ChannelHandle::send).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SendOptions {
    /// Who the message mentions.
    pub mentions: Mentions,
    /// The message it replies to.
    pub reply_to: Option<Seq>,
    /// Priority under overload.
    pub priority: Priority,
    /// App-defined data of the message (≤ `custom_data_bytes`), editable later.
    pub custom_data: String,
}

/// Where a message the user sent stands.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendState {
    /// Stored in the outbox; sent when connected (and resent after a reconnect or restart
    /// with the same idempotency key).
    Sending,
    /// The server stored it at this sequence.
    Sent {
        /// Its sequence in the channel.
        seq: Seq,
    },
    /// The server (or a local check at send time) refused it; it will not be resent.
    Failed {
        /// Why.
        error: ApiError,
    },
}

/// A message the user sent, as a local echo: shown at once, updated as it is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalMessage {
    /// The idempotency key, which is also the local id.
    pub local_id: String,
    /// The community.
    pub community_id: CommunityId,
    /// The channel.
    pub channel_id: ChannelId,
    /// The sender (the logged-in user).
    pub sender_id: UserId,
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
    /// Sending, sent or failed.
    pub state: SendState,
    /// App-defined data of the message.
    pub custom_data: String,
    /// The message it forwards, if it is a forward.
    pub forward_of: Option<MessageRef>,
}

/// A change to one's own message's content, mentions or custom data: absent fields stay.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MessageEdit {
    /// The new body (text or custom).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<MessageContent>,
    /// Who it mentions now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mentions: Option<Mentions>,
    /// The new custom data (empty clears it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<String>,
}

/// What a change made on this device does to a message.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum ChangeAction {
    /// Edit one's own text or custom message.
    Edit(MessageEdit),
    /// Recall (delete for everyone).
    Recall,
    /// React with an emoji.
    AddReaction {
        /// The emoji.
        emoji: String,
    },
    /// Take a reaction back.
    RemoveReaction {
        /// The emoji.
        emoji: String,
    },
    /// Pin in the channel.
    Pin,
    /// Unpin.
    Unpin,
    /// Delete for this user only (every device of theirs).
    Hide,
}

/// Where a change made on this device stands.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeState {
    /// Shown already (local echo), kept durably, carried out when connected.
    Pending,
    /// The server carried it out. `change_seq` is the change it made in the channel's
    /// change sequence, absent when nothing needed changing (a reaction already there, a
    /// recalled message recalled again, a hide).
    Done {
        /// The change's number in the channel.
        change_seq: Option<u64>,
    },
    /// Refused: the local echo was rolled back to the server's copy.
    Failed {
        /// Why.
        error: ApiError,
    },
}

/// A change to a message made on this device: edit, recall, reaction, pin, hide. Shown at
/// once, kept in the store until the server carried it out (resent after a reconnect or
/// a restart, carried out once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingChange {
    /// Its id (also the edit's idempotency key).
    pub key: String,
    /// The community.
    pub community_id: CommunityId,
    /// The channel.
    pub channel_id: ChannelId,
    /// The message.
    pub seq: Seq,
    /// What it does.
    pub action: ChangeAction,
    /// When the user made it (local clock).
    pub created_at_ms: TimestampMs,
    /// Pending, done or failed.
    pub state: ChangeState,
}

/// A change in a channel's timeline.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub enum MessageUpdate {
    /// The current newest cached messages (ascending) and the user's unsent or failed
    /// messages of the channel: the first value of a subscription (and again after a
    /// subscriber fell far behind; replace the timeline with it).
    Reset {
        /// Cached messages, ascending by sequence.
        messages: Vec<Message>,
        /// Local echoes not yet sent, or failed.
        pending: Vec<LocalMessage>,
    },
    /// A message arrived (or was fetched while catching up). Treat as an upsert by
    /// sequence.
    Inserted(Message),
    /// A cached message changed: edited, recalled (its content is then `recalled`: show a
    /// tombstone), reacted to, pinned or unpinned, its reply preview followed the
    /// original, or a local change was shown or rolled back. Replace it by sequence.
    Updated(Message),
    /// The user deleted this message for themselves (on this or another device): remove it.
    Removed {
        /// The message's sequence.
        seq: Seq,
    },
    /// A change the user made on this device was queued, carried out or refused (with
    /// the server's typed error; the message itself comes as `Updated`).
    Change(PendingChange),
    /// A local echo appeared or changed state (sending, sent, failed). Treat as an upsert
    /// by `local_id`.
    Local(LocalMessage),
    /// A local echo was discarded: remove it. Either the user discarded it (unsent or
    /// failed), or the deployment's content check discarded the message silently
    /// (protocol §23.2: the send succeeded with `seq` 0 and nothing was stored).
    Discarded {
        /// The echo's `local_id`.
        local_id: String,
    },
}

/// How far the client's cache is from the server, as an app shows it ("connecting…",
/// "updating…", nothing).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SyncState {
    /// Not connected: the cache is shown as it is, counts may be behind.
    #[default]
    Offline,
    /// Logged in, bringing communities, channels and counts up to date.
    Syncing,
    /// Counts and structure are exact; the messages missed in cached channels (and, after
    /// a resume, the replayed events) are still arriving.
    CatchingUp,
    /// Everything the server had when the connection opened is applied. Reached after
    /// every login and every reconnect.
    CaughtUp,
}

/// How [`Client::login`](crate::Client::login) ended.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginOutcome {
    /// Logged in and synced: communities, channels and every count are exact.
    Synced,
    /// The server could not be reached (or did not answer in time) and this device has a
    /// saved session of the user: the cache is usable and the client keeps connecting in
    /// the background (watch [`SyncState`]).
    Offline,
}
