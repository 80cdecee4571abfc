//! What the demo user does to the messages of the open channel in the headless run, as
//! an app's user would with the keys of the terminal UI: on its posting ticks it replies
//! to the newest bot message, edits one of its own messages, reacts 👍 to a bot message,
//! pins one of its own messages and recalls another. Every change is awaited at the end
//! (`wait_for_change`) and the paged history must show each one that was carried out.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::Duration;

use community_sdk::protocol::{Message, MessageContent, Seq, UserId};
use community_sdk::{ChannelHandle, MessageEdit, PendingChange, SdkError};

/// How long the end of one change is awaited.
const CHANGE_TIMEOUT: Duration = Duration::from_secs(10);
/// Recent messages looked at when picking a bot message to reply or react to.
const RECENT: u32 = 30;
/// The emoji the demo user reacts with.
pub const DEMO_EMOJI: &str = "👍";

/// What the demo user did to messages, and what the history showed of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LifeCheck {
    /// Own messages edited.
    pub edited: u64,
    /// Bot messages reacted to.
    pub reacted: u64,
    /// Own messages pinned.
    pub pinned: u64,
    /// Own messages recalled.
    pub recalled: u64,
    /// Replies stored.
    pub replies: u64,
    /// Changes refused (by the SDK or the server).
    pub refused: u64,
    /// Changes with no answer in time.
    pub unconfirmed: u64,
    /// Every way the history disagrees with what was done.
    pub problems: Vec<String>,
}

impl LifeCheck {
    /// The summary line.
    pub fn line(&self) -> String {
        format!(
            "demo changes: {} edited, {} reacted {DEMO_EMOJI}, {} pinned, {} recalled, {} replies; {} refused, {} unconfirmed",
            self.edited,
            self.reacted,
            self.pinned,
            self.recalled,
            self.replies,
            self.refused,
            self.unconfirmed
        )
    }
}

/// A change the demo user makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Edit,
    React,
    Pin,
    Recall,
}

/// The demo user's changes while the run goes on.
#[derive(Debug, Default)]
pub struct DemoLife {
    /// Messages a change was made to, by kind (none twice).
    targets: BTreeMap<Seq, Kind>,
    /// Bot messages reacted to.
    reacted: BTreeSet<Seq>,
    /// Changes to await: key, kind, message.
    queued: Vec<(String, Kind, Seq)>,
    /// Changes carried out.
    done: Vec<(Kind, Seq)>,
    /// Local ids of the replies sent.
    reply_ids: HashSet<String>,
    refused: u64,
    unconfirmed: u64,
}

/// A message a bot wrote that is still there.
fn live_bot_message(message: &Message, me: &UserId) -> bool {
    message.sender_id != *me
        && !message.is_from_server()
        && !message.content.is_recalled()
        && !matches!(message.content, MessageContent::System { .. })
}

impl DemoLife {
    /// The newest live bot message of the channel (from the cache), to reply to.
    pub async fn reply_target(&self, channel: &ChannelHandle, me: &UserId) -> Option<Seq> {
        let recent = channel.messages(None, RECENT).await.ok()?;
        recent
            .iter()
            .rev()
            .find(|m| live_bot_message(m, me))
            .map(|m| m.seq)
    }

    /// A reply the demo user sent (by its local id).
    pub fn replied(&mut self, local_id: &str) {
        self.reply_ids.insert(local_id.to_string());
    }

    /// The change of posting tick `tick`, given the demo user's stored messages (local id
    /// and sequence, oldest first): edit, react, pin, recall in turn (ticks 2, 3, 4, 5,
    /// then again). Each of its own messages gets at most one change, replies none.
    pub async fn act(
        &mut self,
        tick: u32,
        channel: &ChannelHandle,
        me: &UserId,
        own: &[(String, Seq)],
    ) {
        let free_own = own
            .iter()
            .find(|(id, seq)| !self.targets.contains_key(seq) && !self.reply_ids.contains(id))
            .map(|(_, seq)| *seq);
        let queued = match tick % 5 {
            2 => match free_own {
                Some(seq) => {
                    let edit = MessageEdit {
                        content: Some(MessageContent::Text {
                            text: format!("status update #{seq}, corrected by the headless demo"),
                        }),
                        ..MessageEdit::default()
                    };
                    Some((Kind::Edit, seq, channel.edit_message(seq, edit).await))
                }
                None => None,
            },
            3 => match self.react_target(channel, me).await {
                Some(seq) => {
                    self.reacted.insert(seq);
                    let change = channel.add_reaction(seq, DEMO_EMOJI).await;
                    Some((Kind::React, seq, change))
                }
                None => None,
            },
            4 => match free_own {
                Some(seq) => Some((Kind::Pin, seq, channel.pin_message(seq).await)),
                None => None,
            },
            0 => match free_own {
                Some(seq) => Some((Kind::Recall, seq, channel.recall_message(seq).await)),
                None => None,
            },
            _ => None,
        };
        if let Some((kind, seq, change)) = queued {
            self.queued(kind, seq, change);
        }
    }

    async fn react_target(&self, channel: &ChannelHandle, me: &UserId) -> Option<Seq> {
        let recent = channel.messages(None, RECENT).await.ok()?;
        recent
            .iter()
            .rev()
            .find(|m| live_bot_message(m, me) && !self.reacted.contains(&m.seq))
            .map(|m| m.seq)
    }

    fn queued(&mut self, kind: Kind, seq: Seq, change: Result<PendingChange, SdkError>) {
        if kind != Kind::React {
            self.targets.insert(seq, kind);
        }
        match change {
            Ok(change) => self.queued.push((change.key, kind, seq)),
            Err(error) => {
                eprintln!("[demo] {kind:?} of #{seq} refused: {error}");
                self.refused += 1;
            }
        }
    }

    /// Awaits the end of every change made.
    pub async fn settle(&mut self, channel: &ChannelHandle) {
        for (key, kind, seq) in std::mem::take(&mut self.queued) {
            match tokio::time::timeout(CHANGE_TIMEOUT, channel.wait_for_change(&key)).await {
                Ok(Ok(_)) => self.done.push((kind, seq)),
                Ok(Err(error)) => {
                    eprintln!("[demo] {kind:?} of #{seq} refused: {error}");
                    self.refused += 1;
                }
                Err(_) => self.unconfirmed += 1,
            }
        }
    }

    /// Checks the paged history (every message of the open channel) against what was
    /// done; `own` maps the demo user's local ids to their sequences.
    pub fn check(&self, history: &[Message], me: &UserId, own: &[(String, Seq)]) -> LifeCheck {
        let by_seq: BTreeMap<Seq, &Message> = history.iter().map(|m| (m.seq, m)).collect();
        let mut check = LifeCheck {
            refused: self.refused,
            unconfirmed: self.unconfirmed,
            ..LifeCheck::default()
        };
        for &(kind, seq) in &self.done {
            let message = by_seq.get(&seq);
            let (shown, what) = match kind {
                Kind::Edit => {
                    check.edited += 1;
                    let shown =
                        message.is_some_and(|m| m.edit_count > 0 && !m.content.is_recalled());
                    (shown, "edited")
                }
                Kind::React => {
                    check.reacted += 1;
                    // A bot may have recalled it since: a tombstone has no reactions.
                    let shown = message.is_some_and(|m| {
                        m.content.is_recalled()
                            || m.reactions.iter().any(|r| r.emoji == DEMO_EMOJI && r.me)
                    });
                    (shown, "reacted to")
                }
                Kind::Pin => {
                    check.pinned += 1;
                    let shown =
                        message.is_some_and(|m| m.pinned.as_ref().is_some_and(|p| p.by == *me));
                    (shown, "pinned")
                }
                Kind::Recall => {
                    check.recalled += 1;
                    let shown = message.is_some_and(
                        |m| matches!(&m.content, MessageContent::Recalled { by, .. } if by == me),
                    );
                    (shown, "recalled")
                }
            };
            if !shown {
                check.problems.push(format!(
                    "#{seq} was {what} by {me} but the history shows {:?}",
                    message.map(|m| (&m.content, m.edit_count, &m.pinned, &m.reactions))
                ));
            }
        }
        for (local_id, seq) in own {
            if !self.reply_ids.contains(local_id) {
                continue;
            }
            check.replies += 1;
            if !by_seq
                .get(seq)
                .is_some_and(|m| m.reply_to.is_some() && m.reply_preview.is_some())
            {
                check
                    .problems
                    .push(format!("reply #{seq} has no reply preview in the history"));
            }
        }
        check
    }
}

#[cfg(test)]
mod tests {
    use community_sdk::protocol::{Mentions, Pin, Priority, Reaction, ReplyPreview};

    use super::*;

    fn message(seq: Seq, sender: &str) -> Message {
        Message {
            community_id: "c".into(),
            channel_id: "ch".into(),
            seq,
            sender_id: sender.into(),
            idempotency_key: format!("k{seq}"),
            content: MessageContent::Text { text: "t".into() },
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
    fn the_history_must_show_every_change_that_was_carried_out() {
        let me = UserId::from("demo");
        let mut life = DemoLife {
            done: vec![
                (Kind::Edit, 1),
                (Kind::Pin, 2),
                (Kind::Recall, 3),
                (Kind::React, 4),
                (Kind::React, 5),
            ],
            ..DemoLife::default()
        };
        life.replied("r");
        let mut history: Vec<Message> = vec![
            message(1, "demo"),
            message(2, "demo"),
            message(3, "demo"),
            message(4, "nova"),
            message(5, "rook"),
            message(6, "demo"),
        ];
        history[0].edit_count = 1;
        history[1].pinned = Some(Pin {
            by: "demo".into(),
            at_ms: 0,
        });
        history[2].content = MessageContent::Recalled {
            by: "demo".into(),
            at_ms: 0,
        };
        history[3].reactions = vec![Reaction {
            emoji: DEMO_EMOJI.into(),
            count: 1,
            users: vec!["demo".into()],
            me: true,
        }];
        // Recalled by its bot after the reaction: fine.
        history[4].content = MessageContent::Recalled {
            by: "rook".into(),
            at_ms: 0,
        };
        history[5].reply_to = Some(4);
        history[5].reply_preview = Some(ReplyPreview::of(&history[3]));
        let own = vec![("r".to_string(), 6)];
        let check = life.check(&history, &me, &own);
        assert!(check.problems.is_empty(), "{:?}", check.problems);
        assert_eq!(
            (
                check.edited,
                check.pinned,
                check.recalled,
                check.reacted,
                check.replies
            ),
            (1, 1, 1, 2, 1)
        );
        assert!(
            check
                .line()
                .starts_with("demo changes: 1 edited, 2 reacted")
        );

        history[0].edit_count = 0;
        history[5].reply_preview = None;
        let check = life.check(&history, &me, &own);
        assert_eq!(check.problems.len(), 2, "{:?}", check.problems);
    }
}
