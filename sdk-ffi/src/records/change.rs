//! Mirrors of the SDK's records of changes to existing messages (`community_sdk::model`):
//! an edit, what a change does, where it stands, and the change itself as the device
//! queued it (edit, recall, reaction, pin, hide).

use community_sdk as sdk;
use serde::{Deserialize, Serialize};

use super::{ErrorInfo, Mentions, MessageContent};

/// A change to one's own message: new content, mentions or custom data; `None` leaves a
/// field as it is (at least one must be set).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, uniffi::Record)]
pub struct MessageEdit {
    /// The new body (text or custom).
    #[serde(default)]
    #[uniffi(default = None)]
    pub content: Option<MessageContent>,
    /// Who it mentions now.
    #[serde(default)]
    #[uniffi(default = None)]
    pub mentions: Option<Mentions>,
    /// The new custom data (empty clears it).
    #[serde(default)]
    #[uniffi(default = None)]
    pub custom_data: Option<String>,
}

impl From<MessageEdit> for sdk::MessageEdit {
    fn from(v: MessageEdit) -> Self {
        Self {
            content: v.content.map(Into::into),
            mentions: v.mentions.map(Into::into),
            custom_data: v.custom_data,
        }
    }
}

impl From<sdk::MessageEdit> for MessageEdit {
    fn from(v: sdk::MessageEdit) -> Self {
        Self {
            content: v.content.map(Into::into),
            mentions: v.mentions.map(Into::into),
            custom_data: v.custom_data,
        }
    }
}

/// What a change made on this device does to a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Enum)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChangeAction {
    /// Edit one's own text or custom message.
    Edit {
        /// The edit.
        edit: MessageEdit,
    },
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
    /// An action this version of the binding does not know.
    Unknown,
}

impl From<sdk::ChangeAction> for ChangeAction {
    fn from(v: sdk::ChangeAction) -> Self {
        use sdk::ChangeAction as S;
        match v {
            S::Edit(edit) => Self::Edit { edit: edit.into() },
            S::Recall => Self::Recall,
            S::AddReaction { emoji } => Self::AddReaction { emoji },
            S::RemoveReaction { emoji } => Self::RemoveReaction { emoji },
            S::Pin => Self::Pin,
            S::Unpin => Self::Unpin,
            S::Hide => Self::Hide,
            _ => Self::Unknown,
        }
    }
}

/// Where a change made on this device stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Enum)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChangeState {
    /// Shown already (local echo), kept durably, carried out when connected.
    Pending,
    /// The server carried it out.
    Done {
        /// Its number in the channel's change sequence; none when nothing needed
        /// changing (a reaction already there, a recalled message recalled again, a hide).
        change_seq: Option<u64>,
    },
    /// Refused: the local echo was rolled back to the server's copy.
    Failed {
        /// Why.
        error: ErrorInfo,
    },
}

impl From<sdk::ChangeState> for ChangeState {
    fn from(v: sdk::ChangeState) -> Self {
        match v {
            sdk::ChangeState::Done { change_seq } => Self::Done { change_seq },
            sdk::ChangeState::Failed { error } => Self::Failed {
                error: error.into(),
            },
            // `Pending`, and a state newer than this binding: not settled as far as it
            // can tell.
            _ => Self::Pending,
        }
    }
}

/// A change to a message made on this device (edit, recall, reaction, pin, hide): shown
/// at once, kept until the server carried it out (resent after a reconnect or a restart,
/// carried out once). Await its end with `wait_for_change(key)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct PendingChange {
    /// Its id (pass it to `wait_for_change`).
    pub key: String,
    /// The community.
    pub community_id: String,
    /// The channel.
    pub channel_id: String,
    /// The message's sequence.
    pub seq: u64,
    /// What it does.
    pub action: ChangeAction,
    /// When the user made it (local clock).
    pub created_at_ms: i64,
    /// Pending, done or failed.
    pub state: ChangeState,
}

impl From<sdk::PendingChange> for PendingChange {
    fn from(v: sdk::PendingChange) -> Self {
        Self {
            key: v.key,
            community_id: v.community_id.to_string(),
            channel_id: v.channel_id.to_string(),
            seq: v.seq,
            action: v.action.into(),
            created_at_ms: v.created_at_ms,
            state: v.state.into(),
        }
    }
}
