//! Per-channel `seq` order of message deliveries on one node ([`Reorder`]).
//!
//! With several nodes, the database orders a channel's `seq`, but the commits reach a
//! node in arrival order: seq 6 (committed on node B) may arrive before seq 5 (committed
//! on node A). Every commit that creates a message goes through `Shared::deliver_in_order`
//! (local and remote alike): a commit whose message is the channel's next (`last + 1`) is
//! delivered at once, followed by the held commits it makes consecutive; one that comes
//! early is **held** (the whole commit's deliveries, so a commit's events keep their
//! order) for at most `cluster_reorder_window`, after which the gap is let through (the
//! SDK repairs a gap by fetching history). A message at or below the channel's last
//! delivered `seq` is late (the gap was already let through, or it precedes the first
//! message this node saw in the channel): it is delivered at once, out of order, counted
//! and logged at debug level — a client that already fetched it through its gap repair
//! keeps one copy (messages are keyed by `seq`), one that did not gets it live.
//!
//! Ordering: every step of one channel runs under its community's ordering lane (a
//! local commit, a remote apply, and the release of expired holds by
//! `super::ordered::run_timer`), so
//! what this step decides is delivered in that order. The state's mutex is held only for
//! map updates, never while delivering.
//!
//! Memory: per channel seen, its last delivered `seq` (a few dozen bytes, kept for the
//! node's life like the ordering lanes), and at most `cluster_reorder_held` held commits;
//! beyond that, the oldest gap is let through at once. Commits that create no message
//! (edits, reactions, structure changes) are not held: an edit of a held message may
//! reach a session before the message (the change sequence has its own gap repair).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use community_protocol::{ChannelId, CommunityId, Event, Seq};
use community_server_domain::Delivery;
use tokio::sync::Notify;

use crate::hub::Session;

/// How long an early message is held unless configured.
pub(crate) const DEFAULT_REORDER_WINDOW: Duration = Duration::from_millis(200);
/// How many commits one channel holds at most unless configured.
pub(crate) const DEFAULT_REORDER_HELD: usize = 256;

/// A channel: community and channel id.
pub(super) type ChannelKey = (CommunityId, ChannelId);

/// A held commit.
pub(super) struct Held {
    /// The community lane it was ordered under (`None`: global).
    pub(super) lane: Option<CommunityId>,
    /// Its deliveries, in commit order.
    pub(super) deliveries: Vec<Delivery>,
    /// The session that asked (local commits; for `OtherSessionsOfCaller`).
    pub(super) from: Option<Arc<Session>>,
    /// When the gap before it is let through.
    pub(super) until: Instant,
}

#[derive(Default)]
struct ChannelOrder {
    /// The last `seq` delivered (`None`: none seen yet).
    last: Option<Seq>,
    /// Early commits by `seq`.
    held: BTreeMap<Seq, Held>,
}

impl ChannelOrder {
    /// The held commits now consecutive to `last`, in order.
    fn drain(&mut self, out: &mut Vec<Slot>) {
        while let Some(entry) = self.held.first_entry() {
            let seq = *entry.key();
            match self.last {
                Some(last) if seq > last + 1 => return,
                _ => {}
            }
            self.last = Some(self.last.map_or(seq, |last| last.max(seq)));
            out.push(Slot::Held(entry.remove()));
        }
    }

    /// Whether a held commit's window is over by `now` (the gaps before it are let
    /// through, in `seq` order).
    fn overdue(&self, now: Instant) -> bool {
        self.held.values().any(|held| held.until <= now)
    }

    /// Lets the gap before the first held commit through, then drains.
    fn skip_gap(&mut self, out: &mut Vec<Slot>) {
        if let Some((&first, _)) = self.held.first_key_value() {
            self.last = Some(first.saturating_sub(1));
        }
        self.drain(out);
    }
}

/// What to deliver, in this order.
pub(super) enum Slot {
    /// The commit just offered (delivered from the caller's own slice).
    Offered,
    /// A commit held before.
    Held(Held),
}

/// The per-channel reorder state of one node. See the module documentation.
#[derive(Default)]
pub(crate) struct Reorder {
    channels: Mutex<HashMap<ChannelKey, ChannelOrder>>,
    /// Wakes the release timer (`super::ordered::run_timer`) when a hold may have moved
    /// the next deadline.
    pub(super) wake: Notify,
    /// Commits held so far.
    held: AtomicU64,
    /// Gaps let through (by the window or the cap).
    gaps: AtomicU64,
    /// Late messages delivered out of order.
    late: AtomicU64,
}

impl std::fmt::Debug for Reorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reorder")
            .field("held", &self.held.load(AtomicOrdering::Relaxed))
            .field("gaps", &self.gaps.load(AtomicOrdering::Relaxed))
            .field("late", &self.late.load(AtomicOrdering::Relaxed))
            .finish()
    }
}

/// The counters of a [`Reorder`]: commits held, gaps let through, late messages delivered out of order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct ReorderCounts {
    /// Commits held (they came early).
    pub held: u64,
    /// Gaps let through (window over, or too many held).
    pub gaps: u64,
    /// Late messages delivered out of order.
    pub late: u64,
}

impl Reorder {
    fn lock(&self) -> MutexGuard<'_, HashMap<ChannelKey, ChannelOrder>> {
        // Updates keep the maps consistent statement by statement: keep going.
        self.channels.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The counters so far.
    pub fn counts(&self) -> ReorderCounts {
        ReorderCounts {
            held: self.held.load(AtomicOrdering::Relaxed),
            gaps: self.gaps.load(AtomicOrdering::Relaxed),
            late: self.late.load(AtomicOrdering::Relaxed),
        }
    }

    /// Offers a commit carrying message `seq` of `key`: what to deliver now, in order
    /// (empty when it is held or late). `hold` builds the held copy, only when needed.
    pub(super) fn admit(
        &self,
        key: &ChannelKey,
        seq: Seq,
        hold: impl FnOnce(Instant) -> Held,
        now: Instant,
        window: Duration,
        cap: usize,
    ) -> Vec<Slot> {
        let mut out = Vec::new();
        let mut channels = self.lock();
        let channel = channels.entry(key.clone()).or_default();
        match channel.last {
            Some(last) if seq <= last => {
                drop(channels);
                self.late.fetch_add(1, AtomicOrdering::Relaxed);
                tracing::debug!(community = %key.0, channel = %key.1, seq, last, "late message delivered out of order");
                out.push(Slot::Offered);
                return out;
            }
            Some(last) if seq > last + 1 => {
                channel.held.insert(seq, hold(now + window));
                self.held.fetch_add(1, AtomicOrdering::Relaxed);
                let mut skipped = 0;
                while channel.held.len() > cap.max(1) {
                    channel.skip_gap(&mut out);
                    skipped += 1;
                }
                drop(channels);
                self.gaps.fetch_add(skipped, AtomicOrdering::Relaxed);
                self.wake.notify_one();
                return out;
            }
            _ => {}
        }
        channel.last = Some(seq);
        out.push(Slot::Offered);
        channel.drain(&mut out);
        out
    }

    /// The channels with a hold over by `now`, with the lane to take for each.
    pub(super) fn due(&self, now: Instant) -> Vec<(ChannelKey, Option<CommunityId>)> {
        self.lock()
            .iter()
            .filter(|(_, channel)| channel.overdue(now))
            .filter_map(|(key, channel)| {
                let (_, first) = channel.held.first_key_value()?;
                Some((key.clone(), first.lane.clone()))
            })
            .collect()
    }

    /// Lets the gaps of `key` through up to the last held commit whose window is over:
    /// the commits to deliver, in order.
    pub(super) fn expire(&self, key: &ChannelKey, now: Instant) -> Vec<Slot> {
        let mut out = Vec::new();
        let mut skipped = 0;
        {
            let mut channels = self.lock();
            let Some(channel) = channels.get_mut(key) else {
                return out;
            };
            while channel.overdue(now) {
                channel.skip_gap(&mut out);
                skipped += 1;
            }
        }
        self.gaps.fetch_add(skipped, AtomicOrdering::Relaxed);
        out
    }

    /// The earliest deadline of a hold, if any.
    pub(super) fn next_deadline(&self) -> Option<Instant> {
        self.lock()
            .values()
            .filter_map(|c| c.held.values().map(|h| h.until).min())
            .min()
    }
}

/// The channel and `seq` of the message a commit creates, when it creates exactly one
/// (commits creating several, or messages of several channels, are not reordered).
pub(super) fn message_of(deliveries: &[Delivery]) -> Option<(ChannelKey, Seq)> {
    let mut found: Option<(ChannelKey, Seq)> = None;
    for delivery in deliveries {
        if let Event::MessageCreated { message } = &delivery.event {
            let key = (message.community_id.clone(), message.channel_id.clone());
            match &found {
                None => found = Some((key, message.seq)),
                Some((k, seq)) if *k == key && *seq == message.seq => {}
                Some(_) => return None,
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(until: Instant) -> Held {
        Held {
            lane: None,
            deliveries: Vec::new(),
            from: None,
            until,
        }
    }

    fn kinds(slots: &[Slot]) -> Vec<&'static str> {
        slots
            .iter()
            .map(|s| match s {
                Slot::Offered => "offered",
                Slot::Held(_) => "held",
            })
            .collect()
    }

    #[test]
    fn early_messages_wait_for_the_gap_or_the_window() {
        let reorder = Reorder::default();
        let key: ChannelKey = ("c".into(), "ch".into());
        let now = Instant::now();
        let window = Duration::from_millis(200);
        let admit = |seq| reorder.admit(&key, seq, held, now, window, 8);
        assert_eq!(kinds(&admit(4)), ["offered"], "the first seen goes");
        assert!(admit(6).is_empty(), "6 waits for 5");
        assert!(admit(7).is_empty());
        assert_eq!(kinds(&admit(5)), ["offered", "held", "held"]);
        assert_eq!(
            kinds(&admit(5)),
            ["offered"],
            "late: delivered out of order"
        );
        assert!(admit(9).is_empty(), "9 waits for 8");
        assert!(reorder.expire(&key, now).is_empty(), "not yet");
        assert_eq!(reorder.due(now + window).len(), 1);
        assert_eq!(kinds(&reorder.expire(&key, now + window)), ["held"]);
        assert_eq!(
            kinds(&admit(8)),
            ["offered"],
            "late, after its gap was let through"
        );
        // 12 waits, then 11 comes later (and would wait longer): when 12's window is
        // over, both go, in order.
        assert!(admit(12).is_empty());
        let later = reorder.admit(&key, 11, held, now + window / 2, window, 8);
        assert!(later.is_empty());
        assert!(reorder.due(now + window / 2).is_empty());
        assert_eq!(reorder.due(now + window).len(), 1);
        assert_eq!(kinds(&reorder.expire(&key, now + window)), ["held", "held"]);
        assert_eq!(
            reorder.counts(),
            ReorderCounts {
                held: 5,
                gaps: 2,
                late: 2
            }
        );
    }

    #[test]
    fn a_channel_holds_at_most_the_cap() {
        let reorder = Reorder::default();
        let key: ChannelKey = ("c".into(), "ch".into());
        let now = Instant::now();
        let admit = |seq| reorder.admit(&key, seq, held, now, Duration::from_secs(60), 2);
        admit(1);
        assert!(admit(3).is_empty());
        assert!(admit(5).is_empty());
        // A third held one lets the oldest gap through: 3, then 5 waits for 4.
        assert_eq!(kinds(&admit(6)), ["held"]);
        assert_eq!(kinds(&admit(4)), ["offered", "held", "held"]);
    }
}
