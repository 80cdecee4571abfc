//! The headless run: the same flow as the terminal UI (embedded server, seeding, bots)
//! without a terminal, then a check of the demo user's counts against what the bots did.
//!
//! The demo user opens only the first community's default channel (and keeps it read, as
//! the UI does for the open channel) and sends a few messages there; it reads nothing
//! else. After the bots stop, every other channel's unread count must equal the number
//! of messages the bots got stored there, and its mention count the number of those that
//! mention the demo user; the open channel must be fully read, and its history, paged
//! from the SDK cache, must be gap-free and hold every bot message sent there.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::time::Duration;

use community_sdk::protocol::{ChannelId, ChannelKind, CommunityId, Seq, UserId};
use community_sdk::{ChannelHandle, MessageUpdate, SendState, UnreadUpdate};
use tokio::time::Instant;

use crate::bots::Script;
use crate::error::DemoError;
use crate::flow::{Demo, ReadMarker, Setup};
use crate::format::channel_glyph;
use crate::ledger::LedgerSnapshot;
use crate::seed::SeededCommunity;

/// How often the demo user posts in the open channel.
const SEND_EVERY: Duration = Duration::from_secs(2);
/// How long the counts may take to settle after the bots stop.
const SETTLE: Duration = Duration::from_secs(15);
/// History page size when paging the open channel.
const HISTORY_PAGE: u32 = 100;
/// Most pages read when paging the open channel's history.
const MAX_HISTORY_PAGES: u32 = 1_000;

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
/// must count exactly what the bots got stored there.
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
                (tally.sent, tally.mentions)
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
    /// Messages from the bots.
    pub from_bots: u64,
    /// Messages from the demo user.
    pub from_demo: u64,
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
            "demo sent: {} messages ({} refused); received: {} messages live in {}",
            self.demo_sent, self.demo_refused, self.demo_received, self.open_channel
        );
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

/// The demo user's view of the open channel.
#[derive(Default)]
struct Viewer {
    received: BTreeSet<Seq>,
    sent: u64,
    refused: u64,
    pending: HashSet<String>,
}

impl Viewer {
    fn apply(&mut self, me: &UserId, updates: Vec<MessageUpdate>, marker: &ReadMarker) {
        for update in updates {
            match update {
                MessageUpdate::Reset { messages, .. } => {
                    for message in messages {
                        marker.seen(message.seq);
                        if message.sender_id != *me {
                            self.received.insert(message.seq);
                        }
                    }
                }
                MessageUpdate::Inserted(message) => {
                    marker.seen(message.seq);
                    if message.sender_id != *me {
                        self.received.insert(message.seq);
                    }
                }
                MessageUpdate::Local(echo) => match echo.state {
                    SendState::Sent { seq } => {
                        marker.seen(seq);
                        self.ended(&echo.local_id, true);
                    }
                    SendState::Failed { .. } => self.ended(&echo.local_id, false),
                    // Still sending (or a later state): wait for its end.
                    _ => {}
                },
                // Never stored: the demo does not discard, but count it if it happens.
                MessageUpdate::Discarded { local_id } => self.ended(&local_id, false),
                _ => {}
            }
        }
    }

    /// One of the demo user's sends ended: stored, or not.
    fn ended(&mut self, local_id: &str, stored: bool) {
        if !self.pending.remove(local_id) {
            return;
        }
        if stored {
            self.sent += 1;
        } else {
            self.refused += 1;
        }
    }
}

fn apply_unread(counts: &mut Counts, update: UnreadUpdate) {
    if update.reset {
        counts.clear();
    }
    for channel in update.channels {
        counts.insert(
            (channel.community_id, channel.channel_id),
            (channel.unread_count, channel.mention_count),
        );
    }
}

/// Runs the flow for `seconds` of bot chatter and returns what it saw. Progress goes to
/// standard error.
pub async fn run(seconds: u64, setup: Setup) -> Result<Summary, DemoError> {
    let mut demo = Demo::start(setup, None, &mut |step| eprintln!("[demo] {step}")).await?;
    let result = observe(&mut demo, seconds).await;
    demo.shutdown().await;
    result
}

async fn observe(demo: &mut Demo, seconds: u64) -> Result<Summary, DemoError> {
    let guild = demo
        .communities
        .first()
        .cloned()
        .ok_or_else(|| DemoError::Setup("nothing was seeded".into()))?;
    let general = guild
        .default_channel()
        .cloned()
        .ok_or_else(|| DemoError::Setup("the seeded community has no default channel".into()))?;
    let me = demo.user_id.clone();
    let channel = demo
        .client
        .community(&guild.community_id)
        .channel(&general.channel_id);
    let mut counts = Counts::new();
    let mut unread = demo.client.subscribe_unread();
    let mut messages = channel
        .subscribe_messages()
        .await
        .map_err(DemoError::sdk("subscribe to #general"))?;
    let marker = ReadMarker::spawn(channel.clone());
    marker.seen(channel.entry().map_or(0, |e| e.head.last_seq));
    let mut viewer = Viewer::default();
    demo.release_bots(Script::headless(&me, Duration::from_secs(seconds)));
    let bots = demo.bot_count();
    eprintln!("[demo] {bots} bots chatting for {seconds} s; {me} reads only #general");

    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut send_tick = tokio::time::interval_at(Instant::now() + SEND_EVERY, SEND_EVERY);
    let mut posts = 0_u32;
    loop {
        tokio::select! {
            () = tokio::time::sleep_until(deadline) => break,
            Some(update) = unread.next() => apply_unread(&mut counts, update),
            Some(updates) = messages.next() => viewer.apply(&me, updates, &marker),
            _ = send_tick.tick() => {
                posts += 1;
                match channel.send_text(format!("status update {posts} from the headless demo")).await {
                    Ok(outgoing) => {
                        viewer.pending.insert(outgoing.local_id().to_string());
                    }
                    Err(error) => {
                        eprintln!("[demo] send refused: {error}");
                        viewer.refused += 1;
                    }
                }
            }
        }
    }
    eprintln!("[demo] stopping the bots");
    demo.stop_bots().await;

    let opened: HashSet<ChannelRef> = [(guild.community_id.clone(), general.channel_id.clone())]
        .into_iter()
        .collect();
    let settle_deadline = Instant::now() + SETTLE;
    loop {
        let ledger = demo.ledger.snapshot();
        let settled = compare(&demo.communities, &opened, &ledger, &counts)
            .iter()
            .all(ChannelCheck::ok)
            && viewer.pending.is_empty()
            && marker.is_settled();
        if settled {
            break;
        }
        tokio::select! {
            () = tokio::time::sleep_until(settle_deadline) => break,
            Some(update) = unread.next() => apply_unread(&mut counts, update),
            Some(updates) = messages.next() => viewer.apply(&me, updates, &marker),
            () = tokio::time::sleep(Duration::from_millis(100)) => {}
        }
    }

    let history = page_history(&channel, &me).await?;
    let ledger = demo.ledger.snapshot();
    let bots_in_open_channel = ledger.tally(&guild.community_id, &general.channel_id).sent;
    Ok(Summary {
        seconds,
        bots,
        server_url: demo.server.as_ref().map(|s| s.ws_url()).unwrap_or_default(),
        user_id: me,
        channels: compare(&demo.communities, &opened, &ledger, &counts),
        ledger,
        demo_sent: viewer.sent,
        demo_refused: viewer.refused,
        demo_received: viewer.received.len() as u64,
        open_channel: format!(
            "{} {}{}",
            guild.name,
            channel_glyph(ChannelKind::Text, false),
            general.name
        ),
        bots_in_open_channel,
        history,
    })
}

/// Pages the channel's whole history, newest first, from the SDK cache.
async fn page_history(channel: &ChannelHandle, me: &UserId) -> Result<HistoryCheck, DemoError> {
    let mut check = HistoryCheck::default();
    let mut seqs = Vec::new();
    let mut before = None;
    for _ in 0..MAX_HISTORY_PAGES {
        let page = channel
            .messages(before, HISTORY_PAGE)
            .await
            .map_err(DemoError::sdk("page the history of #general"))?;
        let Some(oldest) = page.first().map(|m| m.seq) else {
            break;
        };
        check.pages += 1;
        for message in &page {
            seqs.push(message.seq);
            if message.sender_id == *me {
                check.from_demo += 1;
            } else {
                check.from_bots += 1;
            }
        }
        if oldest <= 1 {
            break;
        }
        before = Some(oldest);
    }
    seqs.sort_unstable();
    check.messages = seqs.len() as u64;
    check.newest = seqs.last().copied().unwrap_or(0);
    check.gap_free = seqs.iter().zip(1..).all(|(seq, expected)| *seq == expected);
    Ok(check)
}

#[cfg(test)]
mod tests {
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
            history: HistoryCheck {
                messages: 1,
                pages: 1,
                newest: 1,
                gap_free: true,
                from_bots: 1,
                from_demo: 0,
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
