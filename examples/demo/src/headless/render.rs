//! The open channel's history as the terminal UI's messages pane draws it: the paged
//! history goes through the same [`Timeline`] and message layout, and the drawn lines
//! must show every edited marker, recall tombstone, pin, reply preview, reaction, thread
//! digest and system line the messages call for.

use community_sdk::MessageUpdate;
use community_sdk::protocol::{Message, MessageContent, UserId};

use crate::message_view::{EDITED_MARK, LineKind, PIN_MARK, REPLY_MARK, THREAD_MARK};
use crate::scrollback::Timeline;

/// Columns of the pane the history is drawn in.
const WIDTH: usize = 120;
/// Rows: enough for every line of the history.
const ALL_ROWS: usize = 1_000_000;

/// What a drawn history shows (or should show), counted per message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shown {
    /// Messages marked "(edited)".
    pub edited: u64,
    /// Tombstones ("message recalled").
    pub recalled: u64,
    /// Pinned messages (📌).
    pub pinned: u64,
    /// Reply previews (↪).
    pub replies: u64,
    /// Messages with a reactions line (`👍 2`).
    pub reacted: u64,
    /// Of those, messages the user reacted to (`[👍 2]`).
    pub mine: u64,
    /// Server-written system lines.
    pub system: u64,
    /// Thread digests (🧵) under their parent messages.
    pub threads: u64,
}

/// The drawn history against what its messages call for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenderCheck {
    /// Lines drawn.
    pub lines: u64,
    /// What the lines show.
    pub shown: Shown,
    /// What the messages call for.
    pub expected: Shown,
}

impl RenderCheck {
    /// Draws `history` (every message of a channel) as `me` sees it and counts.
    pub fn of(history: &[Message], me: &UserId) -> Self {
        let mut timeline = Timeline::new(me.clone());
        timeline.apply(MessageUpdate::Reset {
            messages: history.to_vec(),
            pending: Vec::new(),
        });
        let view = timeline.view(WIDTH, ALL_ROWS);
        let mut shown = Shown::default();
        let mut previous = None;
        // Whether the current message's reactions counted one of the user's already.
        let mut mine_counted = false;
        for line in &view.lines {
            let first = !line.prefix.trim().is_empty();
            // A message's reactions are one line, or several when they wrap.
            if line.kind == LineKind::Reactions && previous != Some(LineKind::Reactions) {
                shown.reacted += 1;
                mine_counted = false;
            }
            previous = Some(line.kind);
            match line.kind {
                LineKind::Meta if line.text.starts_with(REPLY_MARK) => shown.replies += 1,
                LineKind::Reactions if !mine_counted && line.text.contains('[') => {
                    shown.mine += 1;
                    mine_counted = true;
                }
                LineKind::Recalled => shown.recalled += 1,
                LineKind::System if first => shown.system += 1,
                LineKind::Thread if line.text.starts_with(THREAD_MARK) => shown.threads += 1,
                _ => {}
            }
            if !matches!(
                line.kind,
                LineKind::Meta | LineKind::Reactions | LineKind::Thread
            ) {
                if line.text.contains(EDITED_MARK) {
                    shown.edited += 1;
                }
                if line.text.starts_with(PIN_MARK) {
                    shown.pinned += 1;
                }
            }
        }
        Self {
            lines: view.lines.len() as u64,
            shown,
            expected: expected(history),
        }
    }

    /// The summary line.
    pub fn line(&self, channel: &str) -> String {
        let s = &self.shown;
        format!(
            "rendered {channel}: {} lines, {} edited, {} recalled, {} pinned, {} reply previews, {} with reactions ({} mine), {} system lines, {} thread digests",
            self.lines,
            s.edited,
            s.recalled,
            s.pinned,
            s.replies,
            s.reacted,
            s.mine,
            s.system,
            s.threads
        )
    }

    /// Every way the drawing differs from what the messages call for.
    pub fn mismatches(&self) -> Vec<String> {
        let (s, e) = (&self.shown, &self.expected);
        [
            ("edited markers", s.edited, e.edited),
            ("recall tombstones", s.recalled, e.recalled),
            ("pin markers", s.pinned, e.pinned),
            ("reply previews", s.replies, e.replies),
            ("reaction lines", s.reacted, e.reacted),
            ("own reactions", s.mine, e.mine),
            ("system lines", s.system, e.system),
            ("thread digests", s.threads, e.threads),
        ]
        .into_iter()
        .filter(|(_, shown, expected)| shown != expected)
        .map(|(what, shown, expected)| format!("drawn {what}: {shown}, expected {expected}"))
        .collect()
    }
}

/// What the messages call for.
fn expected(history: &[Message]) -> Shown {
    let mut e = Shown::default();
    for m in history {
        if m.is_from_server() || matches!(m.content, MessageContent::System { .. }) {
            e.system += 1;
            continue;
        }
        e.threads += u64::from(m.thread.is_some());
        if m.content.is_recalled() {
            e.recalled += 1;
            continue;
        }
        e.edited += u64::from(m.edit_count > 0);
        e.pinned += u64::from(m.pinned.is_some());
        e.replies += u64::from(m.reply_preview.is_some());
        e.reacted += u64::from(!m.reactions.is_empty());
        e.mine += u64::from(m.reactions.iter().any(|r| r.me));
    }
    e
}

#[cfg(test)]
mod tests {
    use community_sdk::protocol::{
        DigestLast, Mentions, Pin, Priority, Reaction, ReplyPreview, ThreadDigest,
    };

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

    #[test]
    fn every_marker_of_the_history_is_drawn() {
        let mut history = vec![
            message(1, "", "demo created #general"),
            message(2, "nova", "hello"),
            message(3, "demo", "hi"),
            message(4, "rook", "oops"),
            message(5, "demo", &"long reply ".repeat(40)),
        ];
        history[0].content = MessageContent::System {
            event: "channel_created".into(),
            text: "demo created #general".into(),
        };
        history[1].edit_count = 1;
        history[1].reactions = vec![Reaction {
            emoji: "👍".into(),
            count: 2,
            users: Vec::new(),
            me: true,
        }];
        history[2].pinned = Some(Pin {
            by: "demo".into(),
            at_ms: 0,
        });
        history[3].content = MessageContent::Recalled {
            by: "rook".into(),
            at_ms: 0,
        };
        history[4].reply_to = Some(2);
        history[4].reply_preview = Some(ReplyPreview::of(&history[1]));
        history[1].thread = Some(ThreadDigest {
            thread_id: "th_1".into(),
            name: "hello thread ".repeat(20),
            message_count: 2,
            last: Some(DigestLast {
                seq: 2,
                sender_id: "rook".into(),
                text: "indeed".into(),
                at_ms: 0,
            }),
            participant_count: 2,
            last_activity_ms: 0,
            archived: false,
        });
        let check = RenderCheck::of(&history, &"demo".into());
        assert!(check.mismatches().is_empty(), "{check:?}");
        assert_eq!(
            check.shown,
            Shown {
                edited: 1,
                recalled: 1,
                pinned: 1,
                replies: 1,
                reacted: 1,
                mine: 1,
                system: 1,
                threads: 1,
            }
        );
        assert!(
            check
                .line("#general")
                .contains("1 edited, 1 recalled, 1 pinned")
        );
    }
}
