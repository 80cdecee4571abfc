//! Mirrors of the SDK's own records (`community_sdk::model`): connection state, unread
//! counts, list entries and diffs, local echoes and timeline updates (the records of
//! changes to messages are in `change.rs`).

use community_sdk as sdk;
use serde::{Deserialize, Serialize};

use super::{
    ChannelHead, ChannelInfo, CommunityInfo, ErrorInfo, MemberInfo, Mentions, Message,
    MessageContent, MessageRef, NotificationStatus, PendingChange, Priority, list_diff, map_vec,
};

/// Why the client is disconnected (and does not retry by itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Enum)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DisconnectReason {
    /// The token expired and no new one was available.
    TokenExpired,
    /// The same user logged in on the same device elsewhere.
    SessionReplaced,
    /// The server shut down.
    ServerShutdown,
    /// The network failed more often than the retry limit allows.
    Network,
    /// Logged out (also the state before the first login).
    LoggedOut,
    /// The app's backend removed the user.
    Kicked,
    /// The server refused the credentials.
    AuthFailed {
        /// Why.
        error: ErrorInfo,
    },
    /// The server reported a protocol violation.
    ProtocolError {
        /// What it said.
        detail: String,
    },
}

impl From<sdk::DisconnectReason> for DisconnectReason {
    fn from(v: sdk::DisconnectReason) -> Self {
        use sdk::DisconnectReason as S;
        match v {
            S::TokenExpired => Self::TokenExpired,
            S::SessionReplaced => Self::SessionReplaced,
            S::ServerShutdown => Self::ServerShutdown,
            S::Network => Self::Network,
            S::LoggedOut => Self::LoggedOut,
            S::Kicked => Self::Kicked,
            S::AuthFailed(error) => Self::AuthFailed {
                error: error.into(),
            },
            S::ProtocolError(detail) => Self::ProtocolError { detail },
            // A reason newer than this binding: no automatic retry either way.
            other => Self::ProtocolError {
                detail: format!("{other:?}"),
            },
        }
    }
}

/// The state of the connection to the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Enum)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ConnectionState {
    /// Opening the first connection of a login.
    Connecting,
    /// Connected and logged in.
    Connected,
    /// The connection dropped; the client retries after `next_delay_ms`.
    Reconnecting {
        /// Which retry this is (from 1).
        attempt: u32,
        /// Wait before this attempt, in milliseconds.
        next_delay_ms: u64,
    },
    /// No connection and no automatic retry.
    Disconnected {
        /// Why.
        reason: DisconnectReason,
    },
}

impl From<sdk::ConnectionState> for ConnectionState {
    fn from(v: sdk::ConnectionState) -> Self {
        use sdk::ConnectionState as S;
        match v {
            S::Connecting => Self::Connecting,
            S::Connected => Self::Connected,
            S::Reconnecting {
                attempt,
                next_delay,
            } => Self::Reconnecting {
                attempt,
                next_delay_ms: u64::try_from(next_delay.as_millis()).unwrap_or(u64::MAX),
            },
            S::Disconnected { reason } => Self::Disconnected {
                reason: reason.into(),
            },
            // A state newer than this binding: shown as connecting.
            _ => Self::Connecting,
        }
    }
}

/// Unread and mention counts of one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct ChannelUnread {
    /// The community.
    pub community_id: String,
    /// The channel.
    pub channel_id: String,
    /// Messages up to this sequence are read.
    pub read_seq: u64,
    /// The newest sequence known.
    pub last_seq: u64,
    /// Unread messages.
    pub unread_count: u64,
    /// Unread messages that mention the user.
    pub mention_count: u64,
}

impl From<sdk::ChannelUnread> for ChannelUnread {
    fn from(v: sdk::ChannelUnread) -> Self {
        Self {
            community_id: v.community_id.to_string(),
            channel_id: v.channel_id.to_string(),
            read_seq: v.read_seq,
            last_seq: v.last_seq,
            unread_count: v.unread_count,
            mention_count: v.mention_count,
        }
    }
}

/// Unread and mention counts of one community (sums over its channels).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct CommunityUnread {
    /// The community.
    pub community_id: String,
    /// Notify or do-not-disturb.
    pub notification: NotificationStatus,
    /// Sum of its channels' unread counts.
    pub unread_count: u64,
    /// Sum of its channels' mention counts.
    pub mention_count: u64,
}

impl From<sdk::CommunityUnread> for CommunityUnread {
    fn from(v: sdk::CommunityUnread) -> Self {
        Self {
            community_id: v.community_id.to_string(),
            notification: v.notification.into(),
            unread_count: v.unread_count,
            mention_count: v.mention_count,
        }
    }
}

/// The badges of the whole app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, uniffi::Record)]
pub struct UnreadTotals {
    /// Sum of the unread counts of communities in notify status.
    pub total_unread: u64,
    /// Sum of the mention counts of every community.
    pub total_mentions: u64,
}

impl From<sdk::UnreadTotals> for UnreadTotals {
    fn from(v: sdk::UnreadTotals) -> Self {
        Self {
            total_unread: v.total_unread,
            total_mentions: v.total_mentions,
        }
    }
}

/// A change of unread counts (everything when `reset`: the first value of a subscription,
/// and again after a listener fell far behind).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, uniffi::Record)]
pub struct UnreadUpdate {
    /// True when this lists every channel and community.
    pub reset: bool,
    /// Channels whose counts changed.
    pub channels: Vec<ChannelUnread>,
    /// Communities whose sums changed.
    pub communities: Vec<CommunityUnread>,
    /// Communities that are gone.
    pub removed_communities: Vec<String>,
    /// The totals now.
    pub totals: UnreadTotals,
}

impl From<sdk::UnreadUpdate> for UnreadUpdate {
    fn from(v: sdk::UnreadUpdate) -> Self {
        Self {
            reset: v.reset,
            channels: map_vec(v.channels),
            communities: map_vec(v.communities),
            removed_communities: map_vec(v.removed_communities),
            totals: v.totals.into(),
        }
    }
}

/// One joined community as the client holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, uniffi::Record)]
pub struct CommunityEntry {
    /// Its information.
    pub info: CommunityInfo,
    /// The user's own membership.
    pub me: MemberInfo,
    /// The user's notification status.
    pub notification: NotificationStatus,
}

impl From<sdk::CommunityEntry> for CommunityEntry {
    fn from(v: sdk::CommunityEntry) -> Self {
        Self {
            info: v.info.into(),
            me: v.me.into(),
            notification: v.notification.into(),
        }
    }
}

/// One visible channel as the client holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct ChannelEntry {
    /// Its information.
    pub info: ChannelInfo,
    /// Its head: last sequence, read position, counts.
    pub head: ChannelHead,
}

impl From<sdk::ChannelEntry> for ChannelEntry {
    fn from(v: sdk::ChannelEntry) -> Self {
        Self {
            info: v.info.into(),
            head: v.head.into(),
        }
    }
}

list_diff!(
    /// A change of the joined-community list.
    CommunityListDiff of CommunityEntry = sdk::CommunityEntry
);
list_diff!(
    /// A change of a community's channel list.
    ChannelListDiff of ChannelEntry = sdk::ChannelEntry
);

/// Options of a send.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, uniffi::Record)]
pub struct SendOptions {
    /// Who the message mentions.
    #[serde(default)]
    #[uniffi(default)]
    pub mentions: Mentions,
    /// The message it replies to.
    #[serde(default)]
    #[uniffi(default = None)]
    pub reply_to: Option<u64>,
    /// Priority under overload.
    #[serde(default)]
    pub priority: Priority,
    /// App-defined data of the message (≤ `custom_data_bytes`), editable later.
    #[serde(default)]
    #[uniffi(default = "")]
    pub custom_data: String,
}

impl From<SendOptions> for sdk::SendOptions {
    fn from(v: SendOptions) -> Self {
        Self {
            mentions: v.mentions.into(),
            reply_to: v.reply_to,
            priority: v.priority.into(),
            custom_data: v.custom_data,
        }
    }
}

/// Where a message the user sent stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Enum)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SendState {
    /// In the outbox; sent when connected.
    Sending,
    /// The server stored it at this sequence.
    Sent {
        /// Its sequence.
        seq: u64,
    },
    /// Refused; it will not be resent.
    Failed {
        /// Why.
        error: ErrorInfo,
    },
}

impl From<sdk::SendState> for SendState {
    fn from(v: sdk::SendState) -> Self {
        match v {
            sdk::SendState::Sending => Self::Sending,
            sdk::SendState::Sent { seq } => Self::Sent { seq },
            sdk::SendState::Failed { error } => Self::Failed {
                error: error.into(),
            },
            // A state newer than this binding: not sent yet as far as it can tell.
            _ => Self::Sending,
        }
    }
}

/// A message the user sent, as a local echo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct LocalMessage {
    /// The idempotency key, which is also the local id.
    pub local_id: String,
    /// The community.
    pub community_id: String,
    /// The channel.
    pub channel_id: String,
    /// The sender.
    pub sender_id: String,
    /// The body.
    pub content: MessageContent,
    /// Who it mentions.
    pub mentions: Mentions,
    /// The message it replies to.
    pub reply_to: Option<u64>,
    /// Priority under overload.
    pub priority: Priority,
    /// When the user sent it (local clock).
    pub created_at_ms: i64,
    /// Sending, sent or failed.
    pub state: SendState,
    /// App-defined data of the message.
    pub custom_data: String,
    /// The message it forwards, if it is a forward.
    pub forward_of: Option<MessageRef>,
}

impl From<sdk::LocalMessage> for LocalMessage {
    fn from(v: sdk::LocalMessage) -> Self {
        Self {
            local_id: v.local_id,
            community_id: v.community_id.to_string(),
            channel_id: v.channel_id.to_string(),
            sender_id: v.sender_id.to_string(),
            content: v.content.into(),
            mentions: v.mentions.into(),
            reply_to: v.reply_to,
            priority: v.priority.into(),
            created_at_ms: v.created_at_ms,
            state: v.state.into(),
            custom_data: v.custom_data,
            forward_of: v.forward_of.map(Into::into),
        }
    }
}

/// A change in a channel's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, uniffi::Enum)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MessageUpdate {
    /// The newest cached messages and the unsent or failed local echoes (the first value,
    /// and again after a listener fell far behind: replace the timeline with it).
    Reset {
        /// Cached messages, ascending by sequence.
        messages: Vec<Message>,
        /// Local echoes not yet sent, or failed.
        pending: Vec<LocalMessage>,
    },
    /// A message arrived; an upsert by sequence.
    Inserted {
        /// The message.
        message: Message,
    },
    /// A cached message changed: edited, recalled (its content is then `Recalled`: show a
    /// tombstone), reacted to, pinned or unpinned, its reply preview followed the
    /// original, or a local change was shown or rolled back. Replace it by sequence.
    Updated {
        /// The message as it is now.
        message: Message,
    },
    /// The user deleted this message for themselves (on this or another device): remove it.
    Removed {
        /// The message's sequence.
        seq: u64,
    },
    /// A change the user made on this device was queued, carried out or refused (with
    /// the server's typed error; the message itself comes as `Updated`).
    Change {
        /// The change and its state.
        change: PendingChange,
    },
    /// A local echo appeared or changed state.
    Local {
        /// The echo.
        message: LocalMessage,
    },
    /// An unsent or failed local echo was discarded: remove it.
    Discarded {
        /// The echo's `local_id`.
        local_id: String,
    },
    /// A change this version of the binding does not know (ignore it).
    Unknown,
}

impl From<sdk::MessageUpdate> for MessageUpdate {
    fn from(v: sdk::MessageUpdate) -> Self {
        match v {
            sdk::MessageUpdate::Reset { messages, pending } => Self::Reset {
                messages: map_vec(messages),
                pending: map_vec(pending),
            },
            sdk::MessageUpdate::Inserted(message) => Self::Inserted {
                message: message.into(),
            },
            sdk::MessageUpdate::Updated(message) => Self::Updated {
                message: message.into(),
            },
            sdk::MessageUpdate::Removed { seq } => Self::Removed { seq },
            sdk::MessageUpdate::Change(change) => Self::Change {
                change: change.into(),
            },
            sdk::MessageUpdate::Local(message) => Self::Local {
                message: message.into(),
            },
            sdk::MessageUpdate::Discarded { local_id } => Self::Discarded { local_id },
            _ => Self::Unknown,
        }
    }
}

/// How far the client's cache is from the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    /// Not connected: the cache is shown as it is.
    Offline,
    /// Logged in, bringing communities, channels and counts up to date.
    Syncing,
    /// Counts are exact; missed messages (or a resume's replay) are still arriving.
    CatchingUp,
    /// Everything the server had when the connection opened is applied.
    CaughtUp,
}

impl From<sdk::SyncState> for SyncState {
    fn from(v: sdk::SyncState) -> Self {
        match v {
            sdk::SyncState::Offline => Self::Offline,
            sdk::SyncState::Syncing => Self::Syncing,
            sdk::SyncState::CatchingUp => Self::CatchingUp,
            sdk::SyncState::CaughtUp => Self::CaughtUp,
            // A state newer than this binding.
            _ => Self::Syncing,
        }
    }
}

/// How `login` ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum LoginOutcome {
    /// Logged in and synced: every count is exact.
    Synced,
    /// The server could not be reached in time; the saved session's cache is usable and
    /// the client keeps connecting in the background.
    Offline,
}

impl From<sdk::LoginOutcome> for LoginOutcome {
    fn from(v: sdk::LoginOutcome) -> Self {
        match v {
            sdk::LoginOutcome::Offline => Self::Offline,
            _ => Self::Synced,
        }
    }
}

impl From<sdk::OutgoingMessage> for LocalMessage {
    fn from(v: sdk::OutgoingMessage) -> Self {
        sdk::LocalMessage::from(v).into()
    }
}
