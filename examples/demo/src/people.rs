//! How people look in the UI: a [`Roster`] of display names (from the SDK's
//! `Client::display_name`) and presence statuses, the presence dots drawn next to names,
//! the "X is typing…" line, a conversation's row in the DM list and a voice participant's
//! row under its voice channel. Pure helpers: the event loop fills the roster from the
//! SDK's cache and subscriptions; the UI and the headless check draw with the same
//! functions.

use std::collections::HashMap;

use community_sdk::ConversationEntry;
use community_sdk::protocol::{ConversationKind, PresenceStatus, UserId, VoiceParticipant};

use crate::format::badge;

/// The dot of an online user.
pub const ONLINE_DOT: char = '●';
/// The dot of an idle user.
pub const IDLE_DOT: char = '◐';
/// The dot of a user who does not want to be disturbed.
pub const DND_DOT: char = '⊘';
/// The dot of an offline (or invisible) user.
pub const OFFLINE_DOT: char = '○';
/// Every presence dot, for the UI's colouring.
pub const DOTS: [char; 4] = [ONLINE_DOT, IDLE_DOT, DND_DOT, OFFLINE_DOT];

/// The dot of a presence status (an unknown status from a newer server shows online).
pub fn presence_dot(status: PresenceStatus) -> char {
    match status {
        PresenceStatus::Idle => IDLE_DOT,
        PresenceStatus::DoNotDisturb => DND_DOT,
        PresenceStatus::Offline | PresenceStatus::Invisible => OFFLINE_DOT,
        _ => ONLINE_DOT,
    }
}

/// What the UI knows of people: display names and presence, by user.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roster {
    names: HashMap<UserId, String>,
    presence: HashMap<UserId, PresenceStatus>,
}

impl Roster {
    /// Sets what to show for `user` (their display name, or their id).
    pub fn set_name(&mut self, user: &UserId, name: String) -> bool {
        if self.names.get(user) == Some(&name) {
            return false;
        }
        self.names.insert(user.clone(), name);
        true
    }

    /// Sets `user`'s presence.
    pub fn set_presence(&mut self, user: &UserId, status: PresenceStatus) -> bool {
        self.presence.insert(user.clone(), status) != Some(status)
    }

    /// `user`'s presence, when known.
    pub fn presence(&self, user: &UserId) -> Option<PresenceStatus> {
        self.presence.get(user).copied()
    }

    /// What to show for `user`: their display name when known, else their id (`server`
    /// for the lines the server writes).
    pub fn name(&self, user: &UserId) -> String {
        if user.is_empty() {
            return "server".to_string();
        }
        self.names
            .get(user)
            .filter(|name| !name.is_empty())
            .cloned()
            .unwrap_or_else(|| user.to_string())
    }

    /// The name with the presence dot before it, when the presence is known
    /// (`● Nova Starfall`).
    pub fn label(&self, user: &UserId) -> String {
        match self.presence(user) {
            Some(status) if !user.is_empty() => {
                format!("{} {}", presence_dot(status), self.name(user))
            }
            _ => self.name(user),
        }
    }
}

/// The line under the open channel's messages while others type: `Nova is typing…`,
/// `Nova and Rook are typing…`, `several people are typing…`; none while nobody types.
pub fn typing_line(typers: &[UserId], roster: &Roster) -> Option<String> {
    let names: Vec<String> = typers.iter().map(|u| roster.name(u)).collect();
    match names.as_slice() {
        [] => None,
        [one] => Some(format!("{one} is typing…")),
        [one, two] => Some(format!("{one} and {two} are typing…")),
        [one, two, three] => Some(format!("{one}, {two} and {three} are typing…")),
        _ => Some("several people are typing…".to_string()),
    }
}

/// The title of a conversation: a group's name, else the other participants' names.
pub fn conversation_title(entry: &ConversationEntry, me: &UserId, roster: &Roster) -> String {
    if entry.info.kind == ConversationKind::Group && !entry.info.name.is_empty() {
        return entry.info.name.clone();
    }
    let others: Vec<String> = entry
        .info
        .participants
        .iter()
        .filter(|u| *u != me)
        .map(|u| roster.label(u))
        .collect();
    if others.is_empty() {
        "(just you)".to_string()
    } else {
        others.join(", ")
    }
}

/// A conversation's row in the DM list: `@ ● Ember Vale  3` (its unread count last).
pub fn conversation_row(entry: &ConversationEntry, me: &UserId, roster: &Roster) -> String {
    let title = conversation_title(entry, me, roster);
    let counts = badge(entry.head.unread_count, entry.head.mention_count);
    if counts.is_empty() {
        format!("@ {title}")
    } else {
        format!("@ {title}  {counts}")
    }
}

/// Someone in a voice channel, as the row under it: `  🔊 ◐ Rook Keeper`.
pub fn voice_row(participant: &VoiceParticipant, roster: &Roster) -> String {
    format!("  🔊 {}", roster.label(&participant.user_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_dots() {
        let mut roster = Roster::default();
        let nova = UserId::from("nova");
        assert_eq!(roster.label(&nova), "nova");
        assert!(roster.set_name(&nova, "Nova Starfall".into()));
        assert!(!roster.set_name(&nova, "Nova Starfall".into()));
        assert_eq!(roster.label(&nova), "Nova Starfall");
        assert!(roster.set_presence(&nova, PresenceStatus::Idle));
        assert_eq!(roster.label(&nova), "◐ Nova Starfall");
        roster.set_presence(&nova, PresenceStatus::Invisible);
        assert_eq!(roster.label(&nova), "○ Nova Starfall");
        assert_eq!(roster.name(&UserId::from("")), "server");
        assert_eq!(presence_dot(PresenceStatus::DoNotDisturb), DND_DOT);
        assert_eq!(presence_dot(PresenceStatus::Unknown), ONLINE_DOT);
    }

    #[test]
    fn who_is_typing() {
        let mut roster = Roster::default();
        roster.set_name(&"nova".into(), "Nova".into());
        let users = |ids: &[&str]| ids.iter().map(|u| UserId::from(*u)).collect::<Vec<_>>();
        assert_eq!(typing_line(&[], &roster), None);
        assert_eq!(
            typing_line(&users(&["nova"]), &roster).as_deref(),
            Some("Nova is typing…")
        );
        assert_eq!(
            typing_line(&users(&["nova", "rook"]), &roster).as_deref(),
            Some("Nova and rook are typing…")
        );
        assert_eq!(
            typing_line(&users(&["a", "b", "c", "d"]), &roster).as_deref(),
            Some("several people are typing…")
        );
    }
}
