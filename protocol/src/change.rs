//! Changes to messages that already exist: edits, recalls, reactions and pins.
//!
//! Every change gets the next number of its channel's *change sequence* (1, 2, 3…,
//! gap-free, assigned when the server stores it). Online clients receive each change as a
//! `message_changed` event; a client that was away asks for the changes after the last
//! one it applied (`get_changes`), so its cached messages equal the server's, field by
//! field. A change carries what a client needs to keep exact unread and mention counts
//! without having the message cached (its sender, its mentions before and after).

use serde::{Deserialize, Serialize};

use crate::ids::{ChannelId, CommunityId, UserId};
use crate::message::{Mentions, MessageContent};
use crate::model::{Seq, TimestampMs};

/// One change to one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageChange {
    /// The community.
    pub community_id: CommunityId,
    /// The channel.
    pub channel_id: ChannelId,
    /// The change's number in its channel: 1 for the first change, +1 for each next one.
    pub change_seq: u64,
    /// The message changed.
    pub seq: Seq,
    /// Who made the change.
    pub by: UserId,
    /// When the server stored it.
    pub at_ms: TimestampMs,
    /// What changed, tagged by `change` on the wire.
    #[serde(flatten)]
    pub kind: ChangeKind,
}

/// What a [`MessageChange`] did.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum ChangeKind {
    /// The author replaced the content (and the mentions and custom data).
    Edited {
        /// The new body.
        content: MessageContent,
        /// Who it mentions now.
        #[serde(default, skip_serializing_if = "Mentions::is_empty")]
        mentions: Mentions,
        /// Who it mentioned before the edit (for mention counts).
        #[serde(default, skip_serializing_if = "Mentions::is_empty")]
        previous_mentions: Mentions,
        /// The custom data now.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        custom_data: String,
        /// The message's edit count after this edit.
        edit_count: u32,
    },
    /// The message was recalled (deleted for everyone); only a tombstone remains.
    Recalled {
        /// The recalled message's sender (the change's `by` may be a moderator).
        sender_id: UserId,
        /// Who it mentioned (for mention counts).
        #[serde(default, skip_serializing_if = "Mentions::is_empty")]
        mentions: Mentions,
    },
    /// A user added a reaction.
    ReactionAdded {
        /// The emoji.
        emoji: String,
        /// How many users reacted with it now.
        count: u32,
    },
    /// A user took a reaction back.
    ReactionRemoved {
        /// The emoji.
        emoji: String,
        /// How many users reacted with it now (0: the emoji is gone).
        count: u32,
    },
    /// The message was pinned (by `by`, at `at_ms`).
    Pinned,
    /// The message was unpinned.
    Unpinned,
    /// A change this version does not know (from a newer server): the client keeps its
    /// place in the change sequence and refetches the message.
    #[serde(other)]
    Unknown,
}

impl ChangeKind {
    /// The change's tag on the wire.
    pub fn name(&self) -> &'static str {
        match self {
            ChangeKind::Edited { .. } => "edited",
            ChangeKind::Recalled { .. } => "recalled",
            ChangeKind::ReactionAdded { .. } => "reaction_added",
            ChangeKind::ReactionRemoved { .. } => "reaction_removed",
            ChangeKind::Pinned => "pinned",
            ChangeKind::Unpinned => "unpinned",
            ChangeKind::Unknown => "unknown",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_is_flat_on_the_wire() {
        let change = MessageChange {
            community_id: "c".into(),
            channel_id: "ch".into(),
            change_seq: 3,
            seq: 7,
            by: "bob".into(),
            at_ms: 1,
            kind: ChangeKind::ReactionAdded {
                emoji: "👍".into(),
                count: 2,
            },
        };
        let json = serde_json::to_value(&change).unwrap();
        assert_eq!(json["change"], "reaction_added");
        assert_eq!(json["emoji"], "👍");
        let back: MessageChange = serde_json::from_value(json).unwrap();
        assert_eq!(back, change);
    }

    #[test]
    fn a_change_from_a_newer_server_is_unknown() {
        let json = r#"{"community_id":"c","channel_id":"ch","change_seq":1,"seq":1,
            "by":"bob","at_ms":1,"change":"translated","language":"fr"}"#;
        let change: MessageChange = serde_json::from_str(json).unwrap();
        assert_eq!(change.kind, ChangeKind::Unknown);
    }
}
