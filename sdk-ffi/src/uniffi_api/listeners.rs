//! The traits the foreign language implements: one listener per subscription kind, and
//! the token provider. All are called on the SDK's callback thread (listeners) or a
//! blocking-pool thread (token provider), never on a runtime worker.

use crate::records::{
    ChannelListDiff, CommunityListDiff, ConnectionState, ConversationListDiff, MessageUpdate,
    Presence, Profile, SyncState, ThreadListDiff, UnreadUpdate, VoiceParticipant,
};

/// What a listener returns when it fails. Any exception a foreign listener throws arrives
/// as this error; it is logged and delivery goes on.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum ListenerError {
    /// The listener threw.
    #[error("the listener failed: {reason}")]
    Failed {
        /// What it threw.
        reason: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for ListenerError {
    fn from(error: uniffi::UnexpectedUniFFICallbackError) -> Self {
        ListenerError::Failed {
            reason: error.reason,
        }
    }
}

/// Logs a failed listener call.
pub(crate) fn report(result: Result<(), ListenerError>) {
    if let Err(error) = result {
        tracing::warn!(%error, "a listener failed; delivery goes on");
    }
}

/// Receives connection states: the current one, then each change.
#[uniffi::export(foreign)]
pub trait ConnectionListener: Send + Sync {
    /// A new state.
    fn on_update(&self, state: ConnectionState) -> Result<(), ListenerError>;
}

/// Receives sync states: the current one, then each change (`CaughtUp` after every login
/// and reconnect).
#[uniffi::export(foreign)]
pub trait SyncStateListener: Send + Sync {
    /// A new state.
    fn on_update(&self, state: SyncState) -> Result<(), ListenerError>;
}

/// Receives the joined-community list: `Reset` first, then diffs, in batches.
#[uniffi::export(foreign)]
pub trait CommunityListListener: Send + Sync {
    /// A batch of changes.
    fn on_update(&self, diffs: Vec<CommunityListDiff>) -> Result<(), ListenerError>;
}

/// Receives a community's channel list: `Reset` first, then diffs, in batches.
#[uniffi::export(foreign)]
pub trait ChannelListListener: Send + Sync {
    /// A batch of changes.
    fn on_update(&self, diffs: Vec<ChannelListDiff>) -> Result<(), ListenerError>;
}

/// Receives a channel's thread list: `Reset` with its active threads (the first page)
/// first, then threads started or changed (`Update`: renamed, archived, locked, active) and
/// deleted (`Remove`, by thread id), in batches.
#[uniffi::export(foreign)]
pub trait ThreadListListener: Send + Sync {
    /// A batch of changes.
    fn on_update(&self, diffs: Vec<ThreadListDiff>) -> Result<(), ListenerError>;
}

/// Receives a channel's timeline: `Reset` first, then new messages and echo changes.
#[uniffi::export(foreign)]
pub trait MessageListener: Send + Sync {
    /// A batch of changes.
    fn on_update(&self, updates: Vec<MessageUpdate>) -> Result<(), ListenerError>;
}

/// Receives the outbox of every channel: a `Reset` with every echo in `pending` first,
/// then `Local` and `Discarded` changes.
#[uniffi::export(foreign)]
pub trait OutboxListener: Send + Sync {
    /// A batch of changes.
    fn on_update(&self, updates: Vec<MessageUpdate>) -> Result<(), ListenerError>;
}

/// Receives unread counts: everything first (`reset = true`), then what changed.
#[uniffi::export(foreign)]
pub trait UnreadListener: Send + Sync {
    /// New counts.
    fn on_update(&self, update: UnreadUpdate) -> Result<(), ListenerError>;
}

/// Receives the user's conversation list: `Reset` (newest activity first) first, then
/// conversations started, renamed, grown, active or read (`Insert` / `Update`) and left
/// (`Remove`, by conversation id), in batches.
#[uniffi::export(foreign)]
pub trait ConversationListListener: Send + Sync {
    /// A batch of changes.
    fn on_update(&self, diffs: Vec<ConversationListDiff>) -> Result<(), ListenerError>;
}

/// Receives profiles: the cached ones of the followed users first, then each batch of
/// changed profiles.
#[uniffi::export(foreign)]
pub trait ProfileListener: Send + Sync {
    /// Profiles as they are now.
    fn on_update(&self, profiles: Vec<Profile>) -> Result<(), ListenerError>;
}

/// Receives presence: the known values first, then each batch of changes.
#[uniffi::export(foreign)]
pub trait PresenceListener: Send + Sync {
    /// Presence values as they are now.
    fn on_update(&self, presences: Vec<Presence>) -> Result<(), ListenerError>;
}

/// Receives who is typing in a channel, thread or conversation: the list now, then the
/// whole list after every change (sorted user ids, never the user).
#[uniffi::export(foreign)]
pub trait TypingListener: Send + Sync {
    /// Who is typing now.
    fn on_update(&self, user_ids: Vec<String>) -> Result<(), ListenerError>;
}

/// Receives who sits in a community's voice channels: the list now, then the whole list
/// after every change.
#[uniffi::export(foreign)]
pub trait VoiceListener: Send + Sync {
    /// Everyone sitting in a voice channel of the community, in the order they sat down.
    fn on_update(&self, participants: Vec<VoiceParticipant>) -> Result<(), ListenerError>;
}

/// Receives a viewed community's online member count: the count now (0 until known),
/// then its changes.
#[uniffi::export(foreign)]
pub trait OnlineCountListener: Send + Sync {
    /// Members online now.
    fn on_update(&self, online: u64) -> Result<(), ListenerError>;
}

/// Supplies fresh tokens (usually from the app's backend). Called ahead of the token's
/// expiry and when the server says it expired, on a background thread (blocking is fine).
/// Return `None` when no token is available.
#[uniffi::export(foreign)]
pub trait TokenProvider: Send + Sync {
    /// A fresh token for `user_id`, or `None`.
    fn fetch_token(&self, user_id: String) -> Option<String>;
}
