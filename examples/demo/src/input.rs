//! Keyboard input: which key does what, as a pure mapping from a key press (and the UI's
//! mode) to an [`Action`]. The `?` help screen lists the same keys ([`HELP`]).

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// Whether keys navigate or type into the input line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Keys move around and act.
    #[default]
    Navigate,
    /// Keys type a message.
    Insert,
    /// Keys type a search query (Enter searches, then opens the selected hit).
    Search,
}

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Leave the demo.
    Quit,
    /// Show or hide the keys.
    ToggleHelp,
    /// Select the channel above.
    SelectUp,
    /// Select the channel below.
    SelectDown,
    /// Show the previous community.
    PrevCommunity,
    /// Show the next community.
    NextCommunity,
    /// Open the selected channel (and mark it read).
    Open,
    /// Scroll the messages one line up.
    LineUp,
    /// Scroll the messages one line down.
    LineDown,
    /// Scroll the messages one page up (older pages load at the top).
    PageUp,
    /// Scroll the messages one page down.
    PageDown,
    /// Scroll to the oldest message.
    Top,
    /// Scroll to the newest message.
    Bottom,
    /// Start typing a message.
    StartTyping,
    /// Stop typing (the text stays).
    StopTyping,
    /// Type a character.
    Type(char),
    /// Delete the last character.
    Backspace,
    /// Clear the input line.
    ClearInput,
    /// Send the input line to the open channel.
    Send,
    /// Kill the embedded server, or start it again.
    ToggleServer,
    /// Mark the open channel read.
    MarkRead,
    /// Edit the user's last message (its text goes into the input line).
    EditLast,
    /// Recall the user's last message (delete it for everyone).
    RecallLast,
    /// Add or take back a 👍 on the newest message.
    React,
    /// Pin or unpin the newest message.
    TogglePin,
    /// List the open channel's pinned messages.
    ShowPins,
    /// Reply to the newest message (type the reply).
    Reply,
    /// Show the thread of the newest message with one (again: the next older one).
    OpenThread,
    /// Close the thread pane.
    CloseThread,
    /// Start a thread from the newest message.
    StartThread,
    /// Open the newest conversation (again: the next older one).
    NextConversation,
    /// Open the search pane (type a query).
    OpenSearch,
    /// Show or hide the member list of the selected community.
    ToggleMembers,
    /// Scroll the member list a page up.
    MembersUp,
    /// Scroll the member list a page down.
    MembersDown,
    /// Redraw the screen.
    Redraw,
    /// Nothing.
    None,
}

/// The keys, as the help screen shows them.
pub const HELP: [(&str, &str); 32] = [
    ("↑ ↓  k j", "select a channel"),
    ("← →  h l  Tab", "previous / next community"),
    ("Enter", "open the channel (marks it read)"),
    ("i", "type a message (Enter sends, Esc stops)"),
    (
        "/",
        "search the community (Enter: search, then open the hit ↑ ↓ select)",
    ),
    ("e", "edit your last message (Enter saves, Esc cancels)"),
    ("x", "recall your last message (delete for everyone)"),
    ("+", "add / take back 👍 on the newest message"),
    (
        "p",
        "pin / unpin the newest message (manage_messages: owner, admins, mods)",
    ),
    ("P", "list the pinned messages"),
    (">", "reply to the newest message"),
    (
        "t",
        "open the newest message's thread (again: the next older)",
    ),
    ("n", "start a thread from the newest message"),
    ("T", "close the thread pane (while open, i posts there)"),
    (
        "d",
        "open the newest direct message (again: the next older; i replies)",
    ),
    (
        "m",
        "member list of the community (sections, presence; live)",
    ),
    ("[ ]", "scroll the member list a page up / down"),
    ("PgUp PgDn", "scroll messages (older pages load at the top)"),
    ("Ctrl-U Ctrl-D", "scroll a page up / down"),
    ("Home g / End G", "oldest loaded / newest message"),
    ("r", "mark the open channel read"),
    ("K", "kill / restart the embedded server"),
    ("Ctrl-L", "redraw"),
    ("?", "this help (any key closes it)"),
    ("q  Ctrl-C", "quit"),
    (
        "badges",
        "12 unread · @3 mention you · 🧵2 unread in your threads",
    ),
    ("glyphs", "# text  ! announcements  * private  ~ voice"),
    (
        "messages",
        "(edited)  📌 pinned  ↪ reply  👍 2 reactions ([mine])",
    ),
    ("🧵", "a message's thread: name · replies · last reply"),
    (
        "● ◐ ⊘ ○",
        "online · idle · do not disturb · offline (🔊: sits in voice)",
    ),
    (
        "status bar",
        "connection state, you · your role and @groups here",
    ),
    ("typing", "Ctrl-U clears the line; ↑ ↓ scroll"),
];

/// The action of `key` in `mode`; `help` is true while the help screen (or the list of
/// pins) is shown: any key but Ctrl-C closes it.
pub fn map_key(key: KeyEvent, mode: Mode, help: bool) -> Action {
    if key.kind == KeyEventKind::Release {
        return Action::None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && key.code == KeyCode::Char('c') {
        return Action::Quit;
    }
    if help {
        return Action::ToggleHelp;
    }
    match mode {
        Mode::Navigate => navigate(key.code, ctrl),
        Mode::Insert | Mode::Search => {
            insert(key.code, ctrl, key.modifiers.contains(KeyModifiers::ALT))
        }
    }
}

fn navigate(code: KeyCode, ctrl: bool) -> Action {
    if ctrl {
        return match code {
            KeyCode::Char('u') => Action::PageUp,
            KeyCode::Char('d') => Action::PageDown,
            KeyCode::Char('l') => Action::Redraw,
            _ => Action::None,
        };
    }
    match code {
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Char('?') => Action::ToggleHelp,
        KeyCode::Up | KeyCode::Char('k') => Action::SelectUp,
        KeyCode::Down | KeyCode::Char('j') => Action::SelectDown,
        KeyCode::Left | KeyCode::Char('h') | KeyCode::BackTab => Action::PrevCommunity,
        KeyCode::Right | KeyCode::Char('l') | KeyCode::Tab => Action::NextCommunity,
        KeyCode::Enter => Action::Open,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::PageDown => Action::PageDown,
        KeyCode::Home | KeyCode::Char('g') => Action::Top,
        KeyCode::End | KeyCode::Char('G') => Action::Bottom,
        KeyCode::Char('i') => Action::StartTyping,
        KeyCode::Char('/') => Action::OpenSearch,
        KeyCode::Char('r') => Action::MarkRead,
        KeyCode::Char('K') => Action::ToggleServer,
        KeyCode::Char('e') => Action::EditLast,
        KeyCode::Char('x') => Action::RecallLast,
        KeyCode::Char('+') => Action::React,
        KeyCode::Char('p') => Action::TogglePin,
        KeyCode::Char('P') => Action::ShowPins,
        KeyCode::Char('>') => Action::Reply,
        KeyCode::Char('t') => Action::OpenThread,
        KeyCode::Char('T') => Action::CloseThread,
        KeyCode::Char('n') => Action::StartThread,
        KeyCode::Char('d') => Action::NextConversation,
        KeyCode::Char('m') => Action::ToggleMembers,
        KeyCode::Char('[') => Action::MembersUp,
        KeyCode::Char(']') => Action::MembersDown,
        _ => Action::None,
    }
}

fn insert(code: KeyCode, ctrl: bool, alt: bool) -> Action {
    if ctrl {
        return match code {
            KeyCode::Char('u') => Action::ClearInput,
            KeyCode::Char('l') => Action::Redraw,
            _ => Action::None,
        };
    }
    match code {
        KeyCode::Esc => Action::StopTyping,
        KeyCode::Enter => Action::Send,
        KeyCode::Backspace => Action::Backspace,
        KeyCode::Up => Action::LineUp,
        KeyCode::Down => Action::LineDown,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::PageDown => Action::PageDown,
        KeyCode::Char(c) if !alt => Action::Type(c),
        _ => Action::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn ctrl(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    #[test]
    fn navigation_keys() {
        let nav = |code| map_key(key(code), Mode::Navigate, false);
        assert_eq!(nav(KeyCode::Char('q')), Action::Quit);
        assert_eq!(nav(KeyCode::Char('?')), Action::ToggleHelp);
        assert_eq!(nav(KeyCode::Down), Action::SelectDown);
        assert_eq!(nav(KeyCode::Char('k')), Action::SelectUp);
        assert_eq!(nav(KeyCode::Tab), Action::NextCommunity);
        assert_eq!(nav(KeyCode::Enter), Action::Open);
        assert_eq!(nav(KeyCode::Char('K')), Action::ToggleServer);
        assert_eq!(nav(KeyCode::Char('i')), Action::StartTyping);
        assert_eq!(nav(KeyCode::Char('e')), Action::EditLast);
        assert_eq!(nav(KeyCode::Char('x')), Action::RecallLast);
        assert_eq!(nav(KeyCode::Char('+')), Action::React);
        assert_eq!(nav(KeyCode::Char('p')), Action::TogglePin);
        assert_eq!(nav(KeyCode::Char('P')), Action::ShowPins);
        assert_eq!(nav(KeyCode::Char('>')), Action::Reply);
        assert_eq!(nav(KeyCode::Char('t')), Action::OpenThread);
        assert_eq!(nav(KeyCode::Char('T')), Action::CloseThread);
        assert_eq!(nav(KeyCode::Char('n')), Action::StartThread);
        assert_eq!(nav(KeyCode::Char('d')), Action::NextConversation);
        assert_eq!(nav(KeyCode::Char('/')), Action::OpenSearch);
        assert_eq!(nav(KeyCode::Char('m')), Action::ToggleMembers);
        assert_eq!(nav(KeyCode::Char(']')), Action::MembersDown);
        assert_eq!(map_key(ctrl('c'), Mode::Navigate, false), Action::Quit);
    }

    #[test]
    fn typing_keys_type_even_the_command_letters() {
        let ins = |code| map_key(key(code), Mode::Insert, false);
        assert_eq!(ins(KeyCode::Char('q')), Action::Type('q'));
        assert_eq!(ins(KeyCode::Char('K')), Action::Type('K'));
        assert_eq!(ins(KeyCode::Char('?')), Action::Type('?'));
        assert_eq!(ins(KeyCode::Char('e')), Action::Type('e'));
        assert_eq!(ins(KeyCode::Char('+')), Action::Type('+'));
        assert_eq!(ins(KeyCode::Enter), Action::Send);
        assert_eq!(ins(KeyCode::Esc), Action::StopTyping);
        assert_eq!(map_key(ctrl('u'), Mode::Insert, false), Action::ClearInput);
        assert_eq!(map_key(ctrl('c'), Mode::Insert, false), Action::Quit);
        // The search line types like the input line.
        let search = |code| map_key(key(code), Mode::Search, false);
        assert_eq!(search(KeyCode::Char('/')), Action::Type('/'));
        assert_eq!(search(KeyCode::Char('"')), Action::Type('"'));
        assert_eq!(search(KeyCode::Enter), Action::Send);
        assert_eq!(search(KeyCode::Down), Action::LineDown);
        assert_eq!(search(KeyCode::Esc), Action::StopTyping);
    }

    #[test]
    fn help_closes_on_any_key_but_ctrl_c_still_quits() {
        assert_eq!(
            map_key(key(KeyCode::Char('x')), Mode::Navigate, true),
            Action::ToggleHelp
        );
        assert_eq!(
            map_key(key(KeyCode::Char('q')), Mode::Insert, true),
            Action::ToggleHelp
        );
        assert_eq!(map_key(ctrl('c'), Mode::Navigate, true), Action::Quit);
    }

    #[test]
    fn key_releases_do_nothing() {
        let mut release = key(KeyCode::Char('q'));
        release.kind = KeyEventKind::Release;
        assert_eq!(map_key(release, Mode::Navigate, false), Action::None);
    }
}
