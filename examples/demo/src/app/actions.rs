//! What the user does to the messages of the open channel, as key actions: edit their
//! last message (its text goes into the input line), recall it, add or take back a 👍 on
//! the newest message, pin or unpin it, reply to it, list the pins; and the notice when
//! the server refuses one of these changes.
//!
//! Targets come from the loaded timeline: "the user's last message" is their newest one
//! that is not recalled; "the newest message" is the newest one a person wrote (not a
//! server line) that is not recalled.

use community_sdk::protocol::{Message, MessageContent};
use community_sdk::{ChangeAction, ChangeState, PendingChange};

use super::{App, Effect};
use crate::input::Mode;

/// The notice for a change of this device the server refused (none otherwise).
pub(super) fn refusal(change: &PendingChange) -> Option<String> {
    let ChangeState::Failed { error } = &change.state else {
        return None;
    };
    let what = match &change.action {
        ChangeAction::Edit(_) => "edit",
        ChangeAction::Recall => "recall",
        ChangeAction::AddReaction { .. } | ChangeAction::RemoveReaction { .. } => "reaction",
        ChangeAction::Pin | ChangeAction::Unpin => "pin",
        ChangeAction::Hide => "hide",
        // A later kind of change.
        _ => "change",
    };
    Some(format!(
        "{what} of #{} refused: {} ({})",
        change.seq,
        error.message,
        error.code.name()
    ))
}

/// A message a person wrote that is still there (a target for reactions, pins, replies).
fn is_live(message: &Message) -> bool {
    !message.is_from_server()
        && !message.content.is_recalled()
        && !matches!(message.content, MessageContent::System { .. })
}

impl App {
    /// The user's newest message of the open channel that is not recalled.
    fn last_own(&self) -> Option<&Message> {
        let (_, timeline) = self.open.as_ref()?;
        timeline
            .newest_first()
            .find(|m| m.sender_id == self.me && !m.content.is_recalled())
    }

    /// The newest message of the open channel a person wrote, not recalled.
    fn newest_live(&self) -> Option<&Message> {
        let (_, timeline) = self.open.as_ref()?;
        timeline.newest_first().find(|m| is_live(m))
    }

    /// `e`: puts the text of the user's last message into the input line; Enter saves it
    /// as an edit, Esc cancels.
    pub(super) fn edit_last(&mut self) {
        if self.refuse_typing() {
            return;
        }
        let target = self.last_own().map(|m| match &m.content {
            MessageContent::Text { text } => Some((m.seq, text.clone())),
            _ => None,
        });
        let (seq, text) = match target {
            Some(Some(target)) => target,
            Some(None) => {
                self.notice = Some("only text messages can be edited here".into());
                return;
            }
            None => {
                self.notice = Some("you have no message here to edit".into());
                return;
            }
        };
        self.input = text;
        self.editing = Some(seq);
        self.replying = None;
        self.mode = Mode::Insert;
    }

    /// `x`: recalls the user's last message.
    pub(super) fn recall_last(&mut self) -> Vec<Effect> {
        let (Some(key), Some(seq)) = (self.open_key().cloned(), self.last_own().map(|m| m.seq))
        else {
            self.notice = Some("you have no message here to recall".into());
            return Vec::new();
        };
        self.notice = Some(format!("recalling #{seq}"));
        vec![Effect::Recall { key, seq }]
    }

    /// `+`: adds `emoji` to the newest message, or takes the user's back.
    pub(super) fn react_newest(&mut self, emoji: &str) -> Vec<Effect> {
        let target = self.newest_live().map(|m| {
            let mine = m.reactions.iter().any(|r| r.emoji == emoji && r.me);
            (m.seq, !mine)
        });
        let (Some(key), Some((seq, add))) = (self.open_key().cloned(), target) else {
            self.notice = Some("no message to react to".into());
            return Vec::new();
        };
        vec![Effect::React {
            key,
            seq,
            emoji: emoji.to_string(),
            add,
        }]
    }

    /// `p`: pins the newest message, or unpins it when it is pinned.
    pub(super) fn toggle_pin_newest(&mut self) -> Vec<Effect> {
        if self.refuse_pinning() {
            return Vec::new();
        }
        let target = self.newest_live().map(|m| (m.seq, m.pinned.is_none()));
        let (Some(key), Some((seq, pin))) = (self.open_key().cloned(), target) else {
            self.notice = Some("no message to pin".into());
            return Vec::new();
        };
        vec![Effect::Pin { key, seq, pin }]
    }

    /// `P`: fetches the pinned messages; they are listed when they arrive.
    pub(super) fn show_pins(&mut self) -> Vec<Effect> {
        match self.open_key().cloned() {
            Some(key) => vec![Effect::LoadPins(key)],
            None => {
                self.notice = Some("open a channel first".into());
                Vec::new()
            }
        }
    }

    /// `>`: starts typing a reply to the newest message.
    pub(super) fn reply_newest(&mut self) {
        if self.refuse_typing() {
            return;
        }
        let Some(target) = self.newest_live().map(|m| (m.seq, m.sender_id.clone())) else {
            self.notice = Some("no message to reply to".into());
            return;
        };
        if self.editing.take().is_some() {
            self.input.clear();
        }
        self.replying = Some(target);
        self.mode = Mode::Insert;
    }

    /// The pinned messages of a channel arrived (or failed): list them over the screen.
    pub fn on_pins(
        &mut self,
        key: &super::ChannelKey,
        pins: Result<Vec<Message>, community_sdk::SdkError>,
    ) {
        if self.open_key() != Some(key) {
            return;
        }
        match pins {
            Ok(pins) => {
                self.show_help = false;
                self.pins = Some(pins);
            }
            Err(error) => self.notice = Some(format!("pins: {error}")),
        }
    }
}
