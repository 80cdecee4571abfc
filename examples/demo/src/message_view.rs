//! How one message looks in the messages pane, as display lines: the time and sender, the
//! body (with "(edited)", a 📌 when pinned, "message recalled" for a recalled message's
//! tombstone), a forward's origin and a reply's preview above it, its reactions
//! (`👍 2`, the user's own in brackets) and the digest of the thread started from it
//! (`🧵 raid plan · 12 replies · last: bob: …`) below it, and server-written system lines.
//!
//! Pure functions of a message and the pane's width; the timeline (`scrollback`) decides
//! which messages to lay out.

use community_sdk::protocol::{
    Message, MessageContent, PreviewState, Reaction, ThreadDigest, UserId,
};
use community_sdk::{LocalMessage, SendState};

use crate::format::clock;
use crate::people::Roster;
use crate::wrap::{display_width, wrap};

/// How a display line should look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// Someone else's message.
    Other,
    /// Someone else's message that mentions the user.
    Mention,
    /// The user's own message, stored by the server.
    Own,
    /// The user's message, not sent yet.
    Sending,
    /// The user's message, refused.
    Failed,
    /// A message written by the server (sender `""`).
    System,
    /// What is left of a recalled message.
    Recalled,
    /// Above a message: its reply preview, its forward origin.
    Meta,
    /// Below a message: its reactions.
    Reactions,
    /// Below a message: the digest of the thread started from it.
    Thread,
}

/// One line of the messages pane: a prefix (time and sender on a message's first line,
/// spaces below it) and a piece of the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayLine {
    /// Time and sender, or indentation.
    pub prefix: String,
    /// The text on this line.
    pub text: String,
    /// How it looks.
    pub kind: LineKind,
}

/// Below this many columns for the text, the text starts under the sender instead of
/// beside it.
const MIN_TEXT_COLUMNS: usize = 16;

/// What a recalled message shows instead of its body.
pub const RECALLED_TEXT: &str = "message recalled";
/// The marker after an edited message's body.
pub const EDITED_MARK: &str = "(edited)";
/// The marker in front of a pinned message's body.
pub const PIN_MARK: &str = "📌";
/// The marker in front of a reply's preview.
pub const REPLY_MARK: &str = "↪";
/// The marker in front of a forward's origin.
pub const FORWARD_MARK: &str = "↗";
/// The marker in front of a thread's digest.
pub const THREAD_MARK: &str = "🧵";

/// The text shown for a message body.
pub fn content_text(content: &MessageContent) -> String {
    match content {
        MessageContent::Text { text } => text.clone(),
        MessageContent::Custom { description, .. } if !description.is_empty() => {
            format!("[custom] {description}")
        }
        MessageContent::Custom { .. } => "[custom message]".to_string(),
        MessageContent::Image(media) => format!("[image] {} {}", media.name, media.url),
        MessageContent::File(media) => format!("[file] {} {}", media.name, media.url),
        MessageContent::Audio(media) => format!("[audio] {} {}", media.name, media.url),
        MessageContent::Video(media) => format!("[video] {} {}", media.name, media.url),
        MessageContent::System { text, .. } => text.clone(),
        MessageContent::Recalled { .. } => RECALLED_TEXT.to_string(),
        // `Unsupported` (a content type from a newer server) and any later variant.
        _ => "[unsupported message]".to_string(),
    }
}

/// Lays one message out at `width` columns: `prefix` beside the first line of the text
/// (continuation lines indented under the text), or above it when the pane is narrow.
pub fn layout(prefix: &str, text: &str, kind: LineKind, width: usize) -> Vec<DisplayLine> {
    layout_parts(prefix, &[(text.to_string(), kind)], width)
}

/// Lays several parts of one message out (e.g. reply preview, body, reactions): the
/// prefix beside the first line of the first part, every other line indented under it.
pub fn layout_parts(prefix: &str, parts: &[(String, LineKind)], width: usize) -> Vec<DisplayLine> {
    let width = width.max(1);
    let prefix_width = display_width(prefix);
    let wide = width >= prefix_width + MIN_TEXT_COLUMNS;
    let indent_width = if wide {
        prefix_width
    } else {
        2.min(width.saturating_sub(1))
    };
    let indent = " ".repeat(indent_width);
    let mut lines = Vec::new();
    if !wide {
        let kind = parts.first().map_or(LineKind::Other, |(_, kind)| *kind);
        lines.push(DisplayLine {
            prefix: crate::wrap::truncate(prefix, width),
            text: String::new(),
            kind,
        });
    }
    for (text, kind) in parts {
        for piece in wrap(text, width - indent_width) {
            let prefix = if wide && lines.is_empty() {
                prefix.to_string()
            } else {
                indent.clone()
            };
            lines.push(DisplayLine {
                prefix,
                text: piece,
                kind: *kind,
            });
        }
    }
    lines
}

/// `HH:MM sender  `, the sender as the roster shows them (a presence dot and their
/// display name, when known), with `server` for the lines the server writes.
fn prefix(sender: &UserId, at_ms: i64, roster: &Roster) -> String {
    format!("{} {}  ", clock(at_ms), roster.label(sender))
}

/// The reactions of a message as one line: `👍 2  🎉 1`, the user's own in brackets.
pub fn reactions_text(reactions: &[Reaction]) -> String {
    reactions
        .iter()
        .map(|r| {
            if r.me {
                format!("[{} {}]", r.emoji, r.count)
            } else {
                format!("{} {}", r.emoji, r.count)
            }
        })
        .collect::<Vec<_>>()
        .join("  ")
}

/// The digest of a thread as one line: `🧵 raid plan · 12 replies · last: bob: see you`
/// (`· archived` for an archived thread).
pub fn thread_text(digest: &ThreadDigest) -> String {
    let replies = match digest.message_count {
        1 => "1 reply".to_string(),
        n => format!("{n} replies"),
    };
    let mut text = format!("{THREAD_MARK} {} · {replies}", digest.name);
    if let Some(last) = &digest.last {
        let first_line = last.text.lines().next().unwrap_or_default();
        text.push_str(&format!(" · last: {}: {first_line}", last.sender_id));
    }
    if digest.archived {
        text.push_str(" · archived");
    }
    text
}

/// The lines of a stored message, as `me` sees it, at `width` columns (senders by id).
pub fn message_lines(message: &Message, me: &UserId, width: usize) -> Vec<DisplayLine> {
    message_lines_as(message, me, &Roster::default(), width)
}

/// The lines of a stored message, as `me` sees it, at `width` columns, its sender shown
/// as `roster` names them.
pub fn message_lines_as(
    message: &Message,
    me: &UserId,
    roster: &Roster,
    width: usize,
) -> Vec<DisplayLine> {
    let recalled = message.content.is_recalled();
    let kind =
        if message.is_from_server() || matches!(message.content, MessageContent::System { .. }) {
            LineKind::System
        } else if recalled {
            LineKind::Recalled
        } else if message.sender_id == *me {
            LineKind::Own
        } else if message.mentions.mentions(me) {
            LineKind::Mention
        } else {
            LineKind::Other
        };
    let mut parts = Vec::new();
    if let Some(origin) = &message.forwarded_from {
        parts.push((
            format!("{FORWARD_MARK} forwarded from {}", origin.sender_id),
            LineKind::Meta,
        ));
    }
    if let Some(preview) = &message.reply_preview {
        let text = match preview.state {
            PreviewState::Recalled => RECALLED_TEXT.to_string(),
            PreviewState::Edited => format!("{} {EDITED_MARK}", preview.text),
            _ => preview.text.clone(),
        };
        parts.push((
            format!("{REPLY_MARK} {}: {text}", preview.sender_id),
            LineKind::Meta,
        ));
    }
    let body = match &message.content {
        MessageContent::Recalled { by, .. } if *by != message.sender_id => {
            format!("{RECALLED_TEXT} by {by}")
        }
        content => {
            let mut text = content_text(content);
            if message.pinned.is_some() {
                text = format!("{PIN_MARK} {text}");
            }
            if message.edit_count > 0 && !recalled {
                text = format!("{text} {EDITED_MARK}");
            }
            text
        }
    };
    parts.push((body, kind));
    if !message.reactions.is_empty() {
        parts.push((reactions_text(&message.reactions), LineKind::Reactions));
    }
    if let Some(digest) = &message.thread {
        parts.push((thread_text(digest), LineKind::Thread));
    }
    layout_parts(
        &prefix(&message.sender_id, message.created_at_ms, roster),
        &parts,
        width,
    )
}

/// The lines of one of the user's local echoes (not stored yet, or refused), the user
/// shown as `roster` names them.
pub fn echo_lines(echo: &LocalMessage, roster: &Roster, width: usize) -> Vec<DisplayLine> {
    let (kind, note) = match &echo.state {
        SendState::Sent { .. } => (LineKind::Own, String::new()),
        SendState::Failed { error } => {
            (LineKind::Failed, format!(" (not sent: {})", error.message))
        }
        // `Sending`, and any later state: not stored yet.
        _ => (LineKind::Sending, " (sending…)".to_string()),
    };
    let text = format!("{}{note}", content_text(&echo.content));
    layout(
        &prefix(&echo.sender_id, echo.created_at_ms, roster),
        &text,
        kind,
        width,
    )
}

#[cfg(test)]
mod tests {
    use community_sdk::protocol::{Mentions, Origin, Pin, Priority, ReplyPreview};

    use super::*;

    fn message(seq: u64, sender: &str, text: &str) -> Message {
        Message {
            community_id: "c".into(),
            channel_id: "ch".into(),
            seq,
            sender_id: sender.into(),
            idempotency_key: format!("k{seq}"),
            content: MessageContent::Text { text: text.into() },
            mentions: Mentions::default(),
            reply_to: None,
            priority: Priority::Normal,
            created_at_ms: 0,
            custom_data: String::new(),
            edited_at_ms: None,
            edit_count: 0,
            reactions: Vec::new(),
            pinned: None,
            reply_preview: None,
            forwarded_from: None,
            thread: None,
        }
    }

    fn texts(lines: &[DisplayLine]) -> Vec<String> {
        lines.iter().map(|l| l.text.clone()).collect()
    }

    #[test]
    fn edited_pinned_and_reacted_messages_show_their_markers() {
        let mut m = message(1, "nova", "hello");
        m.edit_count = 2;
        m.pinned = Some(Pin {
            by: "demo".into(),
            at_ms: 0,
        });
        m.reactions = vec![
            Reaction {
                emoji: "👍".into(),
                count: 2,
                users: vec!["demo".into(), "rook".into()],
                me: true,
            },
            Reaction {
                emoji: "🎉".into(),
                count: 1,
                users: vec!["rook".into()],
                me: false,
            },
        ];
        let lines = message_lines(&m, &"demo".into(), 80);
        assert_eq!(texts(&lines), vec!["📌 hello (edited)", "[👍 2]  🎉 1"]);
        assert_eq!(lines[0].prefix, "00:00 nova  ");
        assert_eq!(lines[1].prefix, " ".repeat(12));
        assert_eq!(
            (lines[0].kind, lines[1].kind),
            (LineKind::Other, LineKind::Reactions)
        );
    }

    #[test]
    fn recalled_messages_are_tombstones() {
        let mut m = message(1, "nova", "oops");
        m.content = MessageContent::Recalled {
            by: "nova".into(),
            at_ms: 5,
        };
        m.edit_count = 1;
        let lines = message_lines(&m, &"demo".into(), 80);
        assert_eq!(texts(&lines), vec![RECALLED_TEXT]);
        assert_eq!(lines[0].kind, LineKind::Recalled);
        m.content = MessageContent::Recalled {
            by: "demo".into(),
            at_ms: 5,
        };
        assert_eq!(
            texts(&message_lines(&m, &"demo".into(), 80)),
            vec!["message recalled by demo"]
        );
    }

    #[test]
    fn replies_and_forwards_show_where_they_come_from() {
        let mut m = message(3, "demo", "agreed");
        m.reply_to = Some(1);
        m.reply_preview = Some(ReplyPreview {
            seq: 1,
            sender_id: "nova".into(),
            text: "gg everyone".into(),
            state: PreviewState::Edited,
        });
        m.forwarded_from = Some(Origin {
            community_id: "c".into(),
            channel_id: "other".into(),
            seq: 9,
            sender_id: "rook".into(),
            created_at_ms: 0,
        });
        let lines = message_lines(&m, &"demo".into(), 80);
        assert_eq!(
            texts(&lines),
            vec![
                "↗ forwarded from rook",
                "↪ nova: gg everyone (edited)",
                "agreed"
            ]
        );
        assert_eq!(lines[2].kind, LineKind::Own);
        if let Some(preview) = m.reply_preview.as_mut() {
            preview.state = PreviewState::Recalled;
            preview.text.clear();
        }
        assert_eq!(
            texts(&message_lines(&m, &"demo".into(), 80))[1],
            "↪ nova: message recalled"
        );
    }

    #[test]
    fn a_thread_shows_its_digest_under_its_parent_message() {
        let mut m = message(4, "nova", "raid tonight?");
        m.thread = Some(ThreadDigest {
            thread_id: "th_1".into(),
            name: "raid plan".into(),
            message_count: 12,
            last: Some(community_sdk::protocol::DigestLast {
                seq: 12,
                sender_id: "bob".into(),
                text: "see you there\nand bring snacks".into(),
                at_ms: 0,
            }),
            participant_count: 3,
            last_activity_ms: 0,
            archived: false,
        });
        let lines = message_lines(&m, &"demo".into(), 80);
        assert_eq!(
            texts(&lines),
            vec![
                "raid tonight?",
                "🧵 raid plan · 12 replies · last: bob: see you there"
            ]
        );
        assert_eq!(lines[1].kind, LineKind::Thread);
        if let Some(digest) = m.thread.as_mut() {
            digest.message_count = 1;
            digest.last = None;
            digest.archived = true;
        }
        assert_eq!(
            texts(&message_lines(&m, &"demo".into(), 80))[1],
            "🧵 raid plan · 1 reply · archived"
        );
    }

    #[test]
    fn server_messages_are_system_lines() {
        let mut m = message(1, "", "demo created #music");
        m.content = MessageContent::System {
            event: "channel_created".into(),
            text: "demo created #music".into(),
        };
        let lines = message_lines(&m, &"demo".into(), 80);
        assert_eq!(lines[0].kind, LineKind::System);
        assert_eq!(lines[0].prefix, "00:00 server  ");
    }

    #[test]
    fn every_part_fits_any_width() {
        let mut m = message(1, "nova", &"word ".repeat(50));
        m.reactions = vec![Reaction {
            emoji: "👍".into(),
            count: 1,
            users: Vec::new(),
            me: false,
        }];
        // Tiny panes only must not panic (a wide emoji cannot fit into one column).
        for width in [1, 2, 3] {
            assert!(!message_lines(&m, &"demo".into(), width).is_empty());
        }
        for width in [4, 10, 20, 80] {
            let lines = message_lines(&m, &"demo".into(), width);
            assert!(lines.len() > 1);
            assert!(
                lines
                    .iter()
                    .all(
                        |l| display_width(&l.prefix) + display_width(&l.text) <= width.max(1)
                            || l.text.is_empty()
                    ),
                "width {width}: {lines:?}"
            );
        }
    }
}
