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
use crate::message::{
    Mentions, Message, MessageContent, Pin, PreviewState, Reaction, ReplyPreview,
};
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
    /// A user (`by`) added a reaction.
    ReactionAdded {
        /// The emoji.
        emoji: String,
        /// How many users reacted with it now.
        count: u32,
        /// The first users who reacted with it now (as [`crate::Reaction::users`]).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        users: Vec<UserId>,
    },
    /// A user (`by`) took a reaction back.
    ReactionRemoved {
        /// The emoji.
        emoji: String,
        /// How many users reacted with it now (0: the emoji is gone).
        count: u32,
        /// The first users who reacted with it now (as [`crate::Reaction::users`]).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        users: Vec<UserId>,
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

impl Message {
    /// Applies `change` to this copy of the message, as seen by `me` (for
    /// [`crate::Reaction::me`]): the one definition of what each change does, used by the
    /// server and the SDK alike. Every field is set to an absolute value from the change,
    /// so applying a change twice leaves the same message.
    ///
    /// - `edited`: content, mentions and custom data replaced; `edited_at_ms` = the
    ///   change's time; `edit_count` from the change.
    /// - `recalled`: content becomes [`MessageContent::Recalled`]; mentions, custom data,
    ///   reactions, pin, reply preview and forwarding origin are cleared; `seq`, sender,
    ///   time, edit count and edit time stay.
    /// - reactions: the emoji's count and first users from the change; an emoji whose
    ///   count reaches 0 disappears; a new emoji goes last; `me` follows `by == me`.
    /// - `pinned` / `unpinned`: [`crate::Pin`] set from `by` and `at_ms`, or cleared.
    pub fn apply_change(&mut self, change: &MessageChange, me: &UserId) {
        match &change.kind {
            ChangeKind::Edited {
                content,
                mentions,
                custom_data,
                edit_count,
                ..
            } => {
                self.content = content.clone();
                self.mentions = mentions.clone();
                self.custom_data = custom_data.clone();
                self.edit_count = *edit_count;
                self.edited_at_ms = Some(change.at_ms);
            }
            ChangeKind::Recalled { .. } => {
                self.content = MessageContent::Recalled {
                    by: change.by.clone(),
                    at_ms: change.at_ms,
                };
                self.mentions = Mentions::default();
                self.custom_data.clear();
                self.reactions.clear();
                self.pinned = None;
                self.reply_preview = None;
                self.forwarded_from = None;
            }
            ChangeKind::ReactionAdded {
                emoji,
                count,
                users,
            }
            | ChangeKind::ReactionRemoved {
                emoji,
                count,
                users,
            } => {
                let added = matches!(change.kind, ChangeKind::ReactionAdded { .. });
                let position = self.reactions.iter().position(|r| &r.emoji == emoji);
                if *count == 0 {
                    if let Some(index) = position {
                        self.reactions.remove(index);
                    }
                    return;
                }
                let index = match position {
                    Some(index) => index,
                    None => {
                        self.reactions.push(Reaction {
                            emoji: emoji.clone(),
                            count: 0,
                            users: Vec::new(),
                            me: false,
                        });
                        self.reactions.len() - 1
                    }
                };
                let reaction = &mut self.reactions[index];
                reaction.count = *count;
                reaction.users = users.clone();
                if &change.by == me {
                    reaction.me = added;
                }
            }
            ChangeKind::Pinned => {
                self.pinned = Some(Pin {
                    by: change.by.clone(),
                    at_ms: change.at_ms,
                });
            }
            ChangeKind::Unpinned => self.pinned = None,
            ChangeKind::Unknown => {}
        }
    }
}

impl ReplyPreview {
    /// Follows a change of the original message (`change.seq == self.seq`): an edit
    /// replaces the text and marks the preview edited; a recall empties it and marks it
    /// recalled. Other changes leave it as it is. Returns whether it changed.
    pub fn follow(&mut self, change: &MessageChange) -> bool {
        if change.seq != self.seq {
            return false;
        }
        let before = self.clone();
        match &change.kind {
            ChangeKind::Edited { content, .. } => {
                self.text = content.preview_text();
                self.state = PreviewState::Edited;
            }
            ChangeKind::Recalled { .. } => {
                self.text.clear();
                self.state = PreviewState::Recalled;
            }
            _ => {}
        }
        *self != before
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
                users: vec!["ann".into(), "bob".into()],
            },
        };
        let json = serde_json::to_value(&change).unwrap();
        assert_eq!(json["change"], "reaction_added");
        assert_eq!(json["emoji"], "👍");
        let back: MessageChange = serde_json::from_value(json).unwrap();
        assert_eq!(back, change);
    }

    fn message() -> Message {
        serde_json::from_str(
            r#"{"community_id":"c","channel_id":"ch","seq":7,"sender_id":"ann",
                "idempotency_key":"k","content":{"type":"text","text":"hi"},
                "mentions":{"users":["bob"]},"created_at_ms":1,"custom_data":"x"}"#,
        )
        .unwrap()
    }

    fn change(by: &str, change_seq: u64, kind: ChangeKind) -> MessageChange {
        MessageChange {
            community_id: "c".into(),
            channel_id: "ch".into(),
            change_seq,
            seq: 7,
            by: by.into(),
            at_ms: 100 + i64::try_from(change_seq).unwrap(),
            kind,
        }
    }

    #[test]
    fn changes_apply_absolutely_and_twice_is_once() {
        let me: UserId = "bob".into();
        let mut message = message();
        let mut preview = ReplyPreview::of(&message);
        let changes = [
            change(
                "bob",
                1,
                ChangeKind::ReactionAdded {
                    emoji: "👍".into(),
                    count: 1,
                    users: vec!["bob".into()],
                },
            ),
            change("ann", 2, ChangeKind::Pinned),
            change(
                "ann",
                3,
                ChangeKind::Edited {
                    content: MessageContent::Text {
                        text: "hello\nworld".into(),
                    },
                    mentions: Mentions::default(),
                    previous_mentions: message.mentions.clone(),
                    custom_data: String::new(),
                    edit_count: 1,
                },
            ),
        ];
        for change in &changes {
            message.apply_change(change, &me);
            message.apply_change(change, &me);
            preview.follow(change);
        }
        assert_eq!(message.reactions.len(), 1);
        assert!(message.reactions[0].me);
        assert_eq!(message.pinned.as_ref().map(|p| p.at_ms), Some(102));
        assert_eq!((message.edit_count, message.edited_at_ms), (1, Some(103)));
        assert!(message.mentions.is_empty() && message.custom_data.is_empty());
        assert_eq!(
            (preview.text.as_str(), preview.state),
            ("hello", PreviewState::Edited)
        );

        let removed = change(
            "bob",
            4,
            ChangeKind::ReactionRemoved {
                emoji: "👍".into(),
                count: 0,
                users: vec![],
            },
        );
        message.apply_change(&removed, &me);
        assert!(message.reactions.is_empty());

        let recalled = change(
            "ann",
            5,
            ChangeKind::Recalled {
                sender_id: "ann".into(),
                mentions: Mentions::default(),
            },
        );
        message.apply_change(&recalled, &me);
        assert!(preview.follow(&recalled));
        assert!(message.content.is_recalled());
        assert_eq!(message.pinned, None);
        assert_eq!(message.edit_count, 1);
        assert_eq!(preview.state, PreviewState::Recalled);
        assert!(preview.text.is_empty());
    }

    #[test]
    fn a_change_from_a_newer_server_is_unknown() {
        let json = r#"{"community_id":"c","channel_id":"ch","change_seq":1,"seq":1,
            "by":"bob","at_ms":1,"change":"translated","language":"fr"}"#;
        let change: MessageChange = serde_json::from_str(json).unwrap();
        assert_eq!(change.kind, ChangeKind::Unknown);
    }
}
