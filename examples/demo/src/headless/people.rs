//! People in the headless run: the direct messages one bot wrote to the demo user (the
//! conversation is in the DM list with exactly that many unread, its newest message the
//! bot's, its row drawn with the bot's display name), typing (the open channel's typing
//! subscription saw bots type, drawn as "X is typing…" with display names), presence (the
//! demo user views the guild: every bot's presence is known and drawn as a dot next to
//! its messages), the bot sitting in the guild's voice channel (in the demo user's cache,
//! drawn under the channel) and senders drawn by display name.

use std::time::Duration;

use community_sdk::protocol::{Message, MessageContent, PresenceStatus, UserId};
use community_sdk::{Client, MessageUpdate};
use tokio::time::Instant;

use crate::flow::Cast;
use crate::ledger::LedgerSnapshot;
use crate::people::{DOTS, Roster, conversation_row, typing_line, voice_row};
use crate::scrollback::{LineKind, Timeline};

/// How long the DM list and the voice state may take to settle after the bots stop.
const SETTLE: Duration = Duration::from_secs(10);

/// What the open channel's typing subscription showed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TypingWatch {
    /// Updates that showed a bot typing.
    pub seen: u64,
    /// The first one, drawn.
    pub drawn: Option<String>,
}

impl TypingWatch {
    /// A typing update of the open channel.
    pub fn on_typing(&mut self, client: &Client, typers: &[UserId]) {
        if typers.is_empty() {
            return;
        }
        self.seen += 1;
        if self.drawn.is_none() {
            self.drawn = typing_line(typers, &roster_of(client, typers.iter()));
        }
    }
}

/// The roster the UI would draw with: display names and presence from the SDK's cache.
fn roster_of<'a>(client: &Client, users: impl Iterator<Item = &'a UserId>) -> Roster {
    let mut roster = Roster::default();
    for user in users {
        roster.set_name(user, client.display_name(user));
        if let Some(presence) = client.presence(user) {
            roster.set_presence(user, presence.status);
        }
    }
    roster
}

/// What the demo user saw of people.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeopleCheck {
    /// The bot that wrote directly, and how many of its messages were stored.
    pub direct_from: Option<UserId>,
    /// Direct messages stored (the ledger).
    pub direct_sent: u64,
    /// The conversation's unread count in the demo user's DM list.
    pub direct_unread: u64,
    /// Its row in the DM list, drawn.
    pub direct_row: String,
    /// Typing as the open channel's subscription showed it.
    pub typing: TypingWatch,
    /// Typing indicators the bots sent.
    pub typing_sent: u64,
    /// Bots whose presence the demo user knows (not offline), of all bots.
    pub presence_known: (usize, usize),
    /// Lines of the open channel drawn with a presence dot before the sender.
    pub dotted_lines: u64,
    /// The voice bot's row under its channel, drawn.
    pub voice_row: Option<String>,
    /// Bot messages of the open channel drawn under their bot's display name, of all.
    pub named: (u64, u64),
    /// What is wrong.
    pub problems: Vec<String>,
}

impl PeopleCheck {
    /// Checks the demo user's view of people after the run; `history` is the open
    /// channel's whole history.
    pub async fn run(
        client: &Client,
        me: &UserId,
        cast: &Cast,
        ledger: &LedgerSnapshot,
        history: &[Message],
        typing: TypingWatch,
    ) -> Self {
        let roster = roster_of(client, cast.names.keys());
        let mut check = PeopleCheck {
            direct_from: cast.dm_bot.clone(),
            direct_sent: ledger.direct.values().sum(),
            typing,
            typing_sent: ledger.typing_sent,
            ..PeopleCheck::default()
        };
        check.direct(client, me, cast, ledger, &roster).await;
        check.voice(client, cast, &roster).await;
        check.draw(history, me, cast, &roster);
        let known = cast
            .names
            .keys()
            .filter(|bot| {
                client
                    .presence(bot)
                    .is_some_and(|p| p.status != PresenceStatus::Offline)
            })
            .count();
        check.presence_known = (known, cast.names.len());
        if known < cast.names.len() {
            check.problems.push(format!(
                "presence known for {known} of {} bots",
                cast.names.len()
            ));
        }
        if check.typing.seen == 0 {
            check.problems.push("no bot was seen typing".into());
        }
        check
    }

    /// The bot's direct conversation: listed, exactly as many unread as it wrote, the
    /// bot's newest message last, its row drawn with the bot's display name.
    async fn direct(
        &mut self,
        client: &Client,
        me: &UserId,
        cast: &Cast,
        ledger: &LedgerSnapshot,
        roster: &Roster,
    ) {
        let Some(bot) = &cast.dm_bot else {
            return;
        };
        let deadline = Instant::now() + SETTLE;
        let entry = loop {
            let entry = client
                .conversations()
                .into_iter()
                .find(|c| c.info.participants.contains(bot));
            let settled = entry.as_ref().is_some_and(|e| {
                ledger
                    .direct
                    .get(&e.info.conversation_id)
                    .copied()
                    .unwrap_or(0)
                    == e.head.unread_count
            });
            if settled || Instant::now() >= deadline {
                break entry;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let Some(entry) = entry else {
            self.problems
                .push(format!("no conversation with {bot} in the DM list"));
            return;
        };
        self.direct_unread = entry.head.unread_count;
        self.direct_row = conversation_row(&entry, me, roster);
        if self.direct_unread != self.direct_sent || self.direct_sent == 0 {
            self.problems.push(format!(
                "the DM from {bot} shows {} unread, {} were stored",
                self.direct_unread, self.direct_sent
            ));
        }
        let name = roster.name(bot);
        if !self.direct_row.contains(&name) {
            self.problems.push(format!(
                "the DM row `{}` does not name {name}",
                self.direct_row
            ));
        }
        let newest = client
            .conversation(entry.info.conversation_id.clone())
            .messages(None, 1)
            .await
            .ok()
            .and_then(|page| page.into_iter().last());
        if newest.is_none_or(|m| {
            m.sender_id != *bot || !matches!(m.content, MessageContent::Text { .. })
        }) {
            self.problems
                .push(format!("the DM's newest message is not {bot}'s text"));
        }
    }

    /// The voice bot in the demo user's cache of the guild's voice state, drawn.
    async fn voice(&mut self, client: &Client, cast: &Cast, roster: &Roster) {
        let Some((bot, community_id, channel_id)) = &cast.voice_bot else {
            return;
        };
        let deadline = Instant::now() + SETTLE;
        loop {
            let seated = client
                .community(community_id)
                .voice()
                .into_iter()
                .find(|p| p.user_id == *bot && p.channel_id == *channel_id);
            if let Some(participant) = seated {
                self.voice_row = Some(voice_row(&participant, roster));
                break;
            }
            if Instant::now() >= deadline {
                self.problems
                    .push(format!("{bot} does not show in the voice channel"));
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Draws the open channel as the UI does and counts bot messages under their display
    /// names and lines with a presence dot.
    fn draw(&mut self, history: &[Message], me: &UserId, cast: &Cast, roster: &Roster) {
        let mut timeline = Timeline::new(me.clone());
        timeline.set_roster(std::sync::Arc::new(roster.clone()));
        timeline.apply(MessageUpdate::Reset {
            messages: history.to_vec(),
            pending: Vec::new(),
        });
        let view = timeline.view(120, 1_000_000);
        let names: Vec<&String> = cast.names.values().collect();
        for line in view.lines.iter().filter(|l| !l.prefix.trim().is_empty()) {
            if line
                .prefix
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.chars().next())
                .is_some_and(|c| DOTS.contains(&c))
            {
                self.dotted_lines += 1;
            }
        }
        let bot_messages = history
            .iter()
            .filter(|m| cast.names.contains_key(&m.sender_id))
            .count() as u64;
        let named = view
            .lines
            .iter()
            .filter(|l| !l.prefix.trim().is_empty() && l.kind != LineKind::System)
            .filter(|l| names.iter().any(|n| l.prefix.contains(n.as_str())))
            .count() as u64;
        self.named = (named, bot_messages);
        if named != bot_messages {
            self.problems.push(format!(
                "{named} of {bot_messages} bot messages drawn under a display name"
            ));
        }
        if self.dotted_lines == 0 && !cast.names.is_empty() {
            self.problems
                .push("no sender drawn with a presence dot".into());
        }
    }

    /// The summary lines: numbers first (for the test), then what was drawn.
    pub fn lines(&self) -> String {
        let from = self
            .direct_from
            .as_ref()
            .map_or_else(|| "nobody".to_string(), ToString::to_string);
        let mut out = format!(
            "people: direct {} unread of {} sent from {from}; typing seen {} (bots typed {}); presence {}/{} bots; {} lines dotted; voice {}; named {}/{}",
            self.direct_unread,
            self.direct_sent,
            self.typing.seen,
            self.typing_sent,
            self.presence_known.0,
            self.presence_known.1,
            self.dotted_lines,
            u8::from(self.voice_row.is_some()),
            self.named.0,
            self.named.1,
        );
        out.push_str(&format!("\n  DM list: {}", self.direct_row));
        if let Some(typing) = &self.typing.drawn {
            out.push_str(&format!("\n  typing: {typing}"));
        }
        if let Some(voice) = &self.voice_row {
            out.push_str(&format!("\n  voice: {}", voice.trim()));
        }
        out
    }
}
