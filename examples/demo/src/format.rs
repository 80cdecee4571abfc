//! Small pure formatting rules of the UI and the headless summary: unread / mention
//! badges, channel glyphs, connection and sync state labels, message times and the names
//! of threads started from a message.

use community_sdk::protocol::{ChannelKind, TimestampMs};
use community_sdk::{ConnectionState, DisconnectReason, SyncState};

/// Unread counts above this show as `99+`.
const BADGE_CAP: u64 = 99;

/// The badge after a channel or community name: `""` when nothing is unread, `12` for
/// twelve unread messages, `99+` above 99, and ` @3` appended when three of them mention
/// the user (mentions are never capped: each one matters).
pub fn badge(unread: u64, mentions: u64) -> String {
    let mut out = String::new();
    if unread > BADGE_CAP {
        out.push_str(&format!("{BADGE_CAP}+"));
    } else if unread > 0 {
        out.push_str(&unread.to_string());
    }
    if mentions > 0 {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&format!("@{mentions}"));
    }
    out
}

/// The glyph in front of a channel name: `#` text, `!` announcement, `~` voice, `*` a
/// private channel of any kind. A kind this version does not know (from a newer server)
/// shows as a plain channel, `#`.
pub fn channel_glyph(kind: ChannelKind, private: bool) -> char {
    if private {
        return '*';
    }
    match kind {
        ChannelKind::Announcement => '!',
        ChannelKind::Voice => '~',
        // Text, `Unknown` and any later kind.
        _ => '#',
    }
}

/// How bad a connection state is, for its colour in the status bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Connected.
    Good,
    /// Connecting or reconnecting: it may come back by itself.
    Waiting,
    /// Disconnected: it will not come back without a new login.
    Bad,
}

/// A short label of the connection state for the status bar.
pub fn connection_label(state: &ConnectionState) -> (String, Tone) {
    match state {
        ConnectionState::Connecting => ("connecting…".to_string(), Tone::Waiting),
        ConnectionState::Connected => ("connected".to_string(), Tone::Good),
        ConnectionState::Reconnecting {
            attempt,
            next_delay,
        } => (
            format!(
                "reconnecting (attempt {attempt}, next in {:.1} s)",
                next_delay.as_secs_f64()
            ),
            Tone::Waiting,
        ),
        ConnectionState::Disconnected { reason } => {
            (format!("disconnected: {}", reason_label(reason)), Tone::Bad)
        }
        // A state of a later SDK version: say what it is, without guessing how bad.
        other => (format!("{other:?}").to_lowercase(), Tone::Waiting),
    }
}

/// What the status bar adds after the connection state while the cache is not caught up
/// with the server (`None` when caught up, and offline, which the connection state
/// already says).
pub fn sync_label(state: SyncState) -> Option<&'static str> {
    match state {
        SyncState::Syncing => Some("syncing…"),
        SyncState::CatchingUp => Some("catching up…"),
        _ => None,
    }
}

fn reason_label(reason: &DisconnectReason) -> String {
    match reason {
        DisconnectReason::TokenExpired => "token expired".into(),
        DisconnectReason::SessionReplaced => "logged in elsewhere".into(),
        DisconnectReason::ServerShutdown => "server shut down".into(),
        DisconnectReason::Network => "network (gave up retrying)".into(),
        DisconnectReason::LoggedOut => "logged out".into(),
        DisconnectReason::Kicked => "removed by the server".into(),
        DisconnectReason::AuthFailed(error) => format!("login refused ({})", error.code.name()),
        DisconnectReason::ProtocolError(text) => format!("protocol error ({text})"),
        other => format!("{other:?}").to_lowercase(),
    }
}

/// The longest thread name given from a message, in characters.
const THREAD_NAME_CHARS: usize = 40;

/// A thread's name from the message it starts from: its first line, cut at a word.
pub fn thread_name(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default().trim();
    if line.chars().count() <= THREAD_NAME_CHARS {
        return if line.is_empty() {
            "thread".to_string()
        } else {
            line.to_string()
        };
    }
    // One character more: a space right after the limit ends the last word.
    let cut: String = line.chars().take(THREAD_NAME_CHARS + 1).collect();
    let cut = match cut.rsplit_once(' ') {
        Some((head, _)) if !head.trim_end().is_empty() => head.trim_end().to_string(),
        _ => line.chars().take(THREAD_NAME_CHARS).collect(),
    };
    format!("{cut}…")
}

/// `HH:MM` of a timestamp, in UTC (the demo has no time zone database).
pub fn clock(ms: TimestampMs) -> String {
    let minutes = ms.div_euclid(60_000);
    let hour = minutes.div_euclid(60).rem_euclid(24);
    let minute = minutes.rem_euclid(60);
    format!("{hour:02}:{minute:02}")
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn badges() {
        assert_eq!(badge(0, 0), "");
        assert_eq!(badge(7, 0), "7");
        assert_eq!(badge(99, 0), "99");
        assert_eq!(badge(100, 0), "99+");
        assert_eq!(badge(12, 3), "12 @3");
        assert_eq!(badge(250, 120), "99+ @120");
        // A mention always counts as unread, but the badge shows it even if the counts
        // arrive out of step.
        assert_eq!(badge(0, 2), "@2");
    }

    #[test]
    fn glyphs() {
        assert_eq!(channel_glyph(ChannelKind::Text, false), '#');
        assert_eq!(channel_glyph(ChannelKind::Announcement, false), '!');
        assert_eq!(channel_glyph(ChannelKind::Voice, false), '~');
        assert_eq!(channel_glyph(ChannelKind::Text, true), '*');
        assert_eq!(channel_glyph(ChannelKind::Unknown, false), '#');
        assert_eq!(channel_glyph(ChannelKind::Unknown, true), '*');
    }

    #[test]
    fn sync_labels() {
        assert_eq!(sync_label(SyncState::Syncing), Some("syncing…"));
        assert_eq!(sync_label(SyncState::CatchingUp), Some("catching up…"));
        assert_eq!(sync_label(SyncState::CaughtUp), None);
        assert_eq!(sync_label(SyncState::Offline), None);
    }

    #[test]
    fn connection_labels() {
        assert_eq!(
            connection_label(&ConnectionState::Connected),
            ("connected".to_string(), Tone::Good)
        );
        let (text, tone) = connection_label(&ConnectionState::Reconnecting {
            attempt: 3,
            next_delay: Duration::from_millis(1500),
        });
        assert_eq!(text, "reconnecting (attempt 3, next in 1.5 s)");
        assert_eq!(tone, Tone::Waiting);
        let (text, tone) = connection_label(&ConnectionState::Disconnected {
            reason: DisconnectReason::TokenExpired,
        });
        assert_eq!(
            (text.as_str(), tone),
            ("disconnected: token expired", Tone::Bad)
        );
    }

    #[test]
    fn thread_names_are_the_first_line_cut_at_a_word() {
        assert_eq!(thread_name("gg everyone"), "gg everyone");
        assert_eq!(thread_name("  \n"), "thread");
        assert_eq!(thread_name("first line\nsecond"), "first line");
        let long = thread_name("Long post incoming. We have been talking about the schedule");
        assert_eq!(long, "Long post incoming. We have been talking…");
        let cut = thread_name("Long post incoming. We have been talkingabout the schedule");
        assert_eq!(cut, "Long post incoming. We have been…");
        assert_eq!(
            thread_name(&"x".repeat(60)).chars().count(),
            THREAD_NAME_CHARS + 1
        );
    }

    #[test]
    fn clock_is_utc_hours_and_minutes() {
        assert_eq!(clock(0), "00:00");
        assert_eq!(clock((13 * 60 + 7) * 60_000 + 59_999), "13:07");
        assert_eq!(clock(86_400_000 + 60_000), "00:01");
    }
}
