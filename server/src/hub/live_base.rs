//! What the parts of the hub's live state share (presence, typing, voice, member lists,
//! large communities): the wall clock of the wire, the live configuration, what a live
//! timer closes ([`LiveTarget`]) and the one timer queue ([`LiveTimer`]). It imports none
//! of those parts, so each of them can use it without importing the others.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use community_protocol::{ChannelId, CommunityId, Limits, TimestampMs, UserId};
use tokio::sync::Notify;

/// Milliseconds since the Unix epoch (the wire's times).
pub(crate) fn wall_ms() -> TimestampMs {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The knobs of the live state.
#[derive(Debug, Clone)]
pub(crate) struct LiveConfig {
    /// How long a user stays online after their last session detached.
    pub presence_grace: Duration,
    /// The deployment's limits (presence text, users per subscription, typing).
    pub limits: Limits,
    /// `limits.typing_interval_ms`.
    pub typing_interval: Duration,
    /// `limits.typing_ttl_ms`.
    pub typing_ttl_ms: u64,
    /// `limits.typing_batch_users`.
    pub typing_batch_users: usize,
}

/// How long a presence grace lasts unless configured (`ServerConfig`'s default).
pub(crate) const DEFAULT_PRESENCE_GRACE: Duration = Duration::from_secs(5);

impl LiveConfig {
    /// The `online_count` window (the protocol's second).
    pub const WINDOW: Duration = Duration::from_secs(1);

    /// The configuration for these limits and grace.
    pub fn new(limits: &Limits, presence_grace: Duration) -> Self {
        Self {
            presence_grace,
            typing_interval: Duration::from_millis(limits.typing_interval_ms),
            typing_ttl_ms: limits.typing_ttl_ms,
            typing_batch_users: limits.typing_batch_users,
            limits: limits.clone(),
        }
    }
}

impl Default for LiveConfig {
    fn default() -> Self {
        Self::new(&Limits::default(), DEFAULT_PRESENCE_GRACE)
    }
}

/// Where someone types: a channel or thread of a community, or a conversation of `@me`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct TypingKey {
    /// The community (`@me` for a conversation).
    pub community_id: CommunityId,
    /// The channel, thread or conversation.
    pub channel_id: ChannelId,
}

/// How a live window closes: (when, what).
pub(crate) type Timers = Vec<(Instant, LiveTarget)>;

/// What a live timer closes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LiveTarget {
    /// A user's presence grace.
    Offline(UserId),
    /// A channel's typing window.
    Typing(TypingKey),
    /// A community's `online_count` window.
    Count(CommunityId),
    /// A session's `channel_activity` window in a channel (`super::large`).
    Activity(u64, community_protocol::ChannelId),
    /// A community's member list counts window (`super::member_list`).
    ListCounts(CommunityId),
}

struct Entry {
    at: Instant,
    order: u64,
    target: LiveTarget,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.order) == (other.at, other.order)
    }
}

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.order).cmp(&(other.at, other.order))
    }
}

#[derive(Default)]
struct Queue {
    heap: BinaryHeap<Reverse<Entry>>,
    next_order: u64,
}

/// The live timers, run by one task. Lock order: the hub's index, then this queue (the
/// task never holds the queue while it takes the index).
#[derive(Default)]
pub(crate) struct LiveTimer {
    queue: Mutex<Queue>,
    wake: Notify,
}

impl LiveTimer {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // A heap of plain entries: whatever a panic left is still a valid heap.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `target` at `at`.
    pub fn schedule(&self, at: Instant, target: LiveTarget) {
        let mut queue = self.lock();
        let earliest = queue.heap.peek().is_none_or(|Reverse(e)| at < e.at);
        let order = queue.next_order;
        queue.next_order += 1;
        queue.heap.push(Reverse(Entry { at, order, target }));
        drop(queue);
        if earliest {
            self.wake.notify_one();
        }
    }

    /// Resolves when a timer was scheduled earlier than every other (the timer task waits
    /// on it beside its sleep).
    pub(super) fn rescheduled(&self) -> tokio::sync::futures::Notified<'_> {
        self.wake.notified()
    }

    pub(super) fn next(&self) -> Option<Instant> {
        self.lock().heap.peek().map(|Reverse(e)| e.at)
    }

    pub(super) fn take_due(&self, now: Instant) -> Vec<LiveTarget> {
        let mut queue = self.lock();
        let mut due = Vec::new();
        while queue.heap.peek().is_some_and(|Reverse(e)| e.at <= now) {
            if let Some(Reverse(entry)) = queue.heap.pop() {
                due.push(entry.target);
            }
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_timers_come_out_in_order() {
        let timer = LiveTimer::default();
        let t0 = Instant::now();
        let later = |ms| t0 + Duration::from_millis(ms);
        timer.schedule(later(300), LiveTarget::Count("b".into()));
        timer.schedule(later(100), LiveTarget::Offline("a".into()));
        timer.schedule(later(300), LiveTarget::Count("c".into()));
        assert_eq!(timer.next(), Some(later(100)));
        assert!(timer.take_due(later(99)).is_empty());
        assert_eq!(
            timer.take_due(later(300)),
            [
                LiveTarget::Offline("a".into()),
                LiveTarget::Count("b".into()),
                LiveTarget::Count("c".into())
            ]
        );
        assert_eq!(timer.next(), None);
    }
}
