//! The headless run's summary: every seeded channel's counts against what the bots did,
//! the open channel's history (gap-free, every message, every edit and recall) and its
//! drawing, its threads, roles and permissions, people, search, and the printed report.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use community_sdk::protocol::{ChannelId, CommunityId, Message, Seq, UserId};

use super::life::LifeCheck;
use super::members::MembersCheck;
use super::people::PeopleCheck;
use super::render::RenderCheck;
use super::roles::RolesCheck;
use super::search::SearchCheck;
use super::threads::ThreadsCheck;
use crate::format::channel_glyph;
use crate::ledger::LedgerSnapshot;
use crate::seed::SeededCommunity;

/// A channel: (community id, channel id).
pub type ChannelRef = (CommunityId, ChannelId);

/// Unread and mention counts per channel.
pub type Counts = HashMap<ChannelRef, (u64, u64)>;

/// One channel's counts against the expectation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelCheck {
    /// Community name.
    pub community: String,
    /// Channel name with its glyph.
    pub channel: String,
    /// The demo user opened (and so read) it.
    pub opened: bool,
    /// Unread count the SDK reports.
    pub unread: u64,
    /// Unread count expected.
    pub expected_unread: u64,
    /// Mention count the SDK reports.
    pub mentions: u64,
    /// Mention count expected.
    pub expected_mentions: u64,
}

impl ChannelCheck {
    /// True when both counts match.
    pub fn ok(&self) -> bool {
        self.unread == self.expected_unread && self.mentions == self.expected_mentions
    }
}

/// Checks every seeded channel: an opened channel must be read (0 / 0); any other one
/// must count exactly what the bots got stored there and did not recall.
pub fn compare(
    communities: &[SeededCommunity],
    opened: &HashSet<ChannelRef>,
    ledger: &LedgerSnapshot,
    counts: &Counts,
) -> Vec<ChannelCheck> {
    let mut checks = Vec::new();
    for community in communities {
        for channel in &community.channels {
            let key = (community.community_id.clone(), channel.channel_id.clone());
            let is_open = opened.contains(&key);
            let tally = ledger.tally(&community.community_id, &channel.channel_id);
            let (unread, mentions) = counts.get(&key).copied().unwrap_or((0, 0));
            let (expected_unread, expected_mentions) = if is_open {
                (0, 0)
            } else {
                (tally.expected_unread(), tally.expected_mentions())
            };
            checks.push(ChannelCheck {
                community: community.name.clone(),
                channel: format!(
                    "{}{}",
                    channel_glyph(channel.kind, channel.private),
                    channel.name
                ),
                opened: is_open,
                unread,
                expected_unread,
                mentions,
                expected_mentions,
            });
        }
    }
    checks
}

/// The open channel's history, paged from the SDK cache after the run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryCheck {
    /// Messages read.
    pub messages: u64,
    /// Pages read.
    pub pages: u32,
    /// The newest sequence.
    pub newest: Seq,
    /// Sequences run 1..=newest without a gap or a duplicate.
    pub gap_free: bool,
    /// Messages from the bots (recalled ones included: their tombstones keep the sender).
    pub from_bots: u64,
    /// Messages from the demo user.
    pub from_demo: u64,
    /// Lines the server wrote (sender `""`: member joined, channel created…).
    pub from_server: u64,
    /// Bot messages edited (and not recalled).
    pub bots_edited: u64,
    /// Bot messages recalled (tombstones).
    pub bots_recalled: u64,
}

impl HistoryCheck {
    /// The check of a channel's whole history (in any order), read in `pages` pages.
    pub fn of(history: &[Message], me: &UserId, pages: u32) -> Self {
        let mut seqs: Vec<Seq> = history.iter().map(|m| m.seq).collect();
        seqs.sort_unstable();
        let mut check = HistoryCheck {
            messages: seqs.len() as u64,
            pages,
            newest: seqs.last().copied().unwrap_or(0),
            gap_free: seqs.iter().zip(1..).all(|(seq, expected)| *seq == expected),
            ..HistoryCheck::default()
        };
        for message in history {
            if message.is_from_server() {
                check.from_server += 1;
            } else if message.sender_id == *me {
                check.from_demo += 1;
            } else {
                check.from_bots += 1;
                if message.content.is_recalled() {
                    check.bots_recalled += 1;
                } else if message.edit_count > 0 {
                    check.bots_edited += 1;
                }
            }
        }
        check
    }
}

/// What the headless run saw.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// How long the bots chatted.
    pub seconds: u64,
    /// How many bots.
    pub bots: usize,
    /// The server's URL.
    pub server_url: String,
    /// The demo user.
    pub user_id: UserId,
    /// What the bots did.
    pub ledger: LedgerSnapshot,
    /// Messages the demo user got stored.
    pub demo_sent: u64,
    /// Messages the demo user tried to send that were refused.
    pub demo_refused: u64,
    /// Messages from others the demo user saw arrive in the open channel.
    pub demo_received: u64,
    /// The open channel's name.
    pub open_channel: String,
    /// Bot messages stored in the open channel.
    pub bots_in_open_channel: u64,
    /// Of those, the ones their bots edited.
    pub bots_edited_in_open_channel: u64,
    /// Of those, the ones their bots recalled.
    pub bots_recalled_in_open_channel: u64,
    /// Message changes (`Updated`) the demo user saw arrive live in the open channel.
    pub changes_seen: u64,
    /// What the demo user did to messages of the open channel, checked in its history.
    pub life: LifeCheck,
    /// The open channel's history as the messages pane draws it.
    pub rendered: RenderCheck,
    /// Roles and permissions as the demo user saw them.
    pub roles: RolesCheck,
    /// The open channel's threads as the demo user saw them.
    pub threads: ThreadsCheck,
    /// Direct messages, typing, presence, voice and display names as the demo user saw
    /// them.
    pub people: PeopleCheck,
    /// Searches of the demo user's cache and of the guild.
    pub search: SearchCheck,
    /// The guild's member list as the member pane showed it.
    pub members: MembersCheck,
    /// The open channel's history.
    pub history: HistoryCheck,
    /// Every channel's counts.
    pub channels: Vec<ChannelCheck>,
}

impl Summary {
    /// Every way the run's counts differ from what the bots and the demo user did.
    pub fn mismatches(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .channels
            .iter()
            .filter(|c| !c.ok())
            .map(|c| {
                format!(
                    "{} {}: unread {} (expected {}), mentions {} (expected {})",
                    c.community,
                    c.channel,
                    c.unread,
                    c.expected_unread,
                    c.mentions,
                    c.expected_mentions
                )
            })
            .collect();
        if self.ledger.total_sent() == 0 {
            out.push("the bots got no message stored".into());
        }
        let h = &self.history;
        if !h.gap_free {
            out.push(format!(
                "{} history is not gap-free 1..={}",
                self.open_channel, h.newest
            ));
        }
        if h.from_bots != self.bots_in_open_channel {
            out.push(format!(
                "{} history holds {} bot messages, the bots sent {}",
                self.open_channel, h.from_bots, self.bots_in_open_channel
            ));
        }
        if h.from_demo != self.demo_sent {
            out.push(format!(
                "{} history holds {} of the demo user's messages, it sent {}",
                self.open_channel, h.from_demo, self.demo_sent
            ));
        }
        if h.bots_edited != self.bots_edited_in_open_channel {
            out.push(format!(
                "{} history holds {} edited bot messages, the bots edited {}",
                self.open_channel, h.bots_edited, self.bots_edited_in_open_channel
            ));
        }
        if h.bots_recalled != self.bots_recalled_in_open_channel {
            out.push(format!(
                "{} history holds {} recalled bot messages, the bots recalled {}",
                self.open_channel, h.bots_recalled, self.bots_recalled_in_open_channel
            ));
        }
        if self.life.refused > 0 || self.life.unconfirmed > 0 {
            out.push(format!(
                "{} of the demo user's changes were refused, {} unconfirmed",
                self.life.refused, self.life.unconfirmed
            ));
        }
        out.extend(self.life.problems.iter().cloned());
        out.extend(self.roles.problems());
        out.extend(self.people.problems.iter().cloned());
        out.extend(self.search.problems.iter().cloned());
        out.extend(self.members.problems.iter().cloned());
        out.extend(
            self.threads
                .problems
                .iter()
                .map(|p| format!("{}: {p}", self.open_channel)),
        );
        out.extend(
            self.rendered
                .mismatches()
                .into_iter()
                .map(|m| format!("{}: {m}", self.open_channel)),
        );
        out
    }

    /// The printed summary (its last line says `RESULT: OK` or `RESULT: MISMATCH`).
    pub fn render(&self) -> String {
        let mut out = String::new();
        let l = &self.ledger;
        let h = &self.history;
        let _ = writeln!(out, "== community-demo headless summary ==");
        let _ = writeln!(
            out,
            "ran {} s with {} bots on {}",
            self.seconds, self.bots, self.server_url
        );
        let _ = writeln!(
            out,
            "bots sent: {} messages ({} mentioning {}), {} refused, {} unconfirmed",
            l.total_sent(),
            l.total_mentions(),
            self.user_id,
            l.refused,
            l.unconfirmed
        );
        let _ = writeln!(
            out,
            "bots changed: {} edited, {} recalled, {} reactions; {} refused, {} unconfirmed",
            l.total_edited(),
            l.total_recalled(),
            l.reactions,
            l.changes_refused,
            l.changes_unconfirmed
        );
        let _ = writeln!(
            out,
            "demo sent: {} messages ({} refused); received: {} messages and {} changes live in {}",
            self.demo_sent,
            self.demo_refused,
            self.demo_received,
            self.changes_seen,
            self.open_channel
        );
        let _ = writeln!(out, "{}", self.life.line());
        let _ = writeln!(
            out,
            "history of {}: {} messages in {} page(s), sequences 1..={} {}, {} from bots (bots sent {}), {} from {}",
            self.open_channel,
            h.messages,
            h.pages,
            h.newest,
            if h.gap_free { "gap-free" } else { "WITH GAPS" },
            h.from_bots,
            self.bots_in_open_channel,
            h.from_demo,
            self.user_id
        );
        let _ = writeln!(
            out,
            "  {} server lines; bot messages edited {} (bots edited {}), recalled {} (bots recalled {})",
            h.from_server,
            h.bots_edited,
            self.bots_edited_in_open_channel,
            h.bots_recalled,
            self.bots_recalled_in_open_channel
        );
        let _ = writeln!(out, "{}", self.rendered.line(&self.open_channel));
        let _ = writeln!(out, "{}", self.threads.line(&self.open_channel));
        let _ = writeln!(out, "{}", self.roles.line());
        let _ = writeln!(out, "{}", self.people.lines());
        let _ = writeln!(out, "{}", self.search.lines(&self.open_channel));
        let _ = writeln!(out, "{}", self.members.lines());
        let _ = writeln!(
            out,
            "unread per channel (unread/expected, mentions/expected):"
        );
        for c in &self.channels {
            let label = format!("{} {}", c.community, c.channel);
            let unread = format!("{}/{}", c.unread, c.expected_unread);
            let mentions = format!("@{}/{}", c.mentions, c.expected_mentions);
            let _ = writeln!(
                out,
                "  {label:<32} {unread:>9} {mentions:>8}  {}{}",
                if c.ok() { "ok" } else { "MISMATCH" },
                if c.opened { " (opened)" } else { "" }
            );
        }
        let sum = |f: fn(&ChannelCheck) -> u64| self.channels.iter().map(f).sum::<u64>();
        let _ = writeln!(
            out,
            "total unread: {} (expected {}); mentions: {} (expected {})",
            sum(|c| c.unread),
            sum(|c| c.expected_unread),
            sum(|c| c.mentions),
            sum(|c| c.expected_mentions)
        );
        let mismatches = self.mismatches();
        if mismatches.is_empty() {
            let _ = writeln!(
                out,
                "RESULT: OK (unread and mention counts match what the bots sent)"
            );
        } else {
            for mismatch in &mismatches {
                let _ = writeln!(out, "mismatch: {mismatch}");
            }
            let _ = writeln!(out, "RESULT: MISMATCH ({} problem(s))", mismatches.len());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use community_sdk::protocol::ChannelKind;

    use super::*;
    use crate::ledger::Ledger;
    use crate::seed::SeededChannel;

    fn community() -> SeededCommunity {
        let channel = |id: &str, default: bool| SeededChannel {
            channel_id: id.into(),
            name: id.into(),
            kind: ChannelKind::Text,
            private: false,
            is_default: default,
            read_only: false,
        };
        SeededCommunity {
            community_id: "c".into(),
            name: "Guild".into(),
            categories: Vec::new(),
            channels: vec![
                channel("general", true),
                channel("music", false),
                channel("quiet", false),
            ],
        }
    }

    fn key(channel: &str) -> ChannelRef {
        ("c".into(), channel.into())
    }

    fn record(ledger: &Ledger, channel: &str, mentions_demo: bool) {
        let (community_id, channel_id) = key(channel);
        ledger.record_sent(&community_id, &channel_id, mentions_demo);
    }

    #[test]
    fn opened_channels_must_be_read_and_others_count_every_bot_message() {
        let ledger = Ledger::default();
        for _ in 0..5 {
            record(&ledger, "general", true);
        }
        record(&ledger, "music", false);
        record(&ledger, "music", true);
        let opened: HashSet<_> = [key("general")].into_iter().collect();
        let mut counts = Counts::new();
        counts.insert(key("general"), (0, 0));
        counts.insert(key("music"), (2, 1));
        let checks = compare(&[community()], &opened, &ledger.snapshot(), &counts);
        assert_eq!(checks.len(), 3);
        assert!(checks.iter().all(ChannelCheck::ok), "{checks:?}");
        assert!(checks[0].opened);
        assert_eq!(checks[2].expected_unread, 0, "no bot posted in #quiet");

        counts.insert(key("music"), (1, 1));
        counts.insert(key("general"), (1, 0));
        let checks = compare(&[community()], &opened, &ledger.snapshot(), &counts);
        let bad: Vec<&str> = checks
            .iter()
            .filter(|c| !c.ok())
            .map(|c| c.channel.as_str())
            .collect();
        assert_eq!(bad, vec!["#general", "#music"]);
    }

    #[test]
    fn summary_reports_ok_or_each_mismatch() {
        let ledger = Ledger::default();
        record(&ledger, "general", false);
        record(&ledger, "music", true);
        let opened: HashSet<_> = [key("general")].into_iter().collect();
        let mut counts = Counts::new();
        counts.insert(key("music"), (1, 1));
        let snapshot = ledger.snapshot();
        let mut summary = Summary {
            seconds: 1,
            bots: 1,
            user_id: "demo".into(),
            channels: compare(&[community()], &opened, &snapshot, &counts),
            ledger: snapshot,
            open_channel: "Guild #general".into(),
            bots_in_open_channel: 1,
            roles: RolesCheck {
                channel: "Club #rules".into(),
                may_view: true,
                check_refused: Some(4000),
                send_refused: Some((4000, "permission_denied".into())),
                mods_flags_ok: true,
                ..RolesCheck::default()
            },
            history: HistoryCheck {
                messages: 1,
                pages: 1,
                newest: 1,
                gap_free: true,
                from_bots: 1,
                from_demo: 0,
                ..HistoryCheck::default()
            },
            ..Summary::default()
        };
        let text = summary.render();
        assert!(text.contains("RESULT: OK"), "{text}");
        assert!(
            text.contains("total unread: 1 (expected 1); mentions: 1 (expected 1)"),
            "{text}"
        );

        summary.history.gap_free = false;
        summary.channels[1].unread = 0;
        let text = summary.render();
        assert!(text.contains("RESULT: MISMATCH (2 problem(s))"), "{text}");
        assert!(
            text.contains("mismatch: Guild #music: unread 0 (expected 1)"),
            "{text}"
        );
    }
}
