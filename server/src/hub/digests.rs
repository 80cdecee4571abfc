//! Coalescing of `thread_digest` events: at most one per thread per session per window
//! (`ServerConfig::thread_digest_interval`, 1 s by default), the newest winning.
//!
//! A busy thread changes its digest with every message, and the digest goes to every
//! reader of its channel: without coalescing, 40 messages a second in a channel read by
//! 1,000 sessions would be 40,000 frames a second. Each session keeps one *slot* per
//! thread it recently got a digest of ([`DigestSlots`]): the first digest is pushed at
//! once and opens a window; digests arriving inside the window only replace the slot's
//! pending one (a pointer swap of the shared encoded body); when the window closes
//! ([`DigestTimer`]) the pending digest, if any, is pushed and opens the next window, else
//! the slot is dropped. So the newest state always arrives, at most one window late.
//!
//! A pending digest is pushed into the session's ring like any event, connected or not,
//! so a session resuming after a disconnect gets it in the replay (as long as the ring
//! covers the gap; otherwise the client syncs and reads digests in its answers). An event
//! that ends a thread's story for a session drops its pending digests before it is pushed
//! ([`Purge`]): `thread_removed`, `channel_removed` (its threads), `community_removed`, so
//! a digest never arrives after the thread, channel or community is gone.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use community_protocol::{ChannelId, CommunityId, Event};
use tokio::sync::Notify;

use super::Session;

/// Which slot a digest goes to: its thread, and where the thread lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DigestKey {
    /// The community.
    pub community_id: CommunityId,
    /// The thread's channel.
    pub channel_id: ChannelId,
    /// The thread.
    pub thread_id: ChannelId,
}

impl DigestKey {
    /// The key of a `thread_digest` event (`None` for any other event).
    pub fn of(event: &Event) -> Option<DigestKey> {
        match event {
            Event::ThreadDigest {
                community_id,
                channel_id,
                digest,
                ..
            } => Some(DigestKey {
                community_id: community_id.clone(),
                channel_id: channel_id.clone(),
                thread_id: digest.thread_id.clone(),
            }),
            _ => None,
        }
    }
}

/// Pending digests an event makes pointless (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Purge {
    /// A thread was deleted.
    Thread(ChannelId),
    /// A channel is gone for the session (deleted, or sight lost): its threads.
    Channel(ChannelId),
    /// The community is gone for the session.
    Community(CommunityId),
}

impl Purge {
    /// What `event` purges, if anything.
    pub fn of(event: &Event) -> Option<Purge> {
        match event {
            Event::ThreadRemoved { thread_id, .. } => Some(Purge::Thread(thread_id.clone())),
            Event::ChannelRemoved { channel_id, .. } => Some(Purge::Channel(channel_id.clone())),
            Event::CommunityRemoved { community_id, .. } => {
                Some(Purge::Community(community_id.clone()))
            }
            _ => None,
        }
    }
}

struct Slot {
    community_id: CommunityId,
    channel_id: ChannelId,
    /// When the last digest of this thread was pushed (the window runs from here).
    pushed_at: Instant,
    /// The newest digest that arrived inside the window.
    pending: Option<Arc<str>>,
}

/// What to do with a digest that arrived.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Offer {
    /// Push it now; the window closes at this instant (schedule the slot's timer).
    Push(Instant),
    /// Kept as pending (the slot's timer is already scheduled).
    Held,
}

/// What a slot's timer finds.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Due {
    /// Push this pending digest; the next window closes at this instant.
    Push(Arc<str>, Instant),
    /// Nothing to do (the slot was dropped, or a later push moved its window).
    Nothing,
}

/// One session's digest slots, by thread.
#[derive(Default)]
pub(crate) struct DigestSlots {
    slots: HashMap<ChannelId, Slot>,
}

impl DigestSlots {
    /// A digest for `key` arrived at `now`.
    pub fn offer(
        &mut self,
        key: &DigestKey,
        body: &Arc<str>,
        now: Instant,
        window: Duration,
    ) -> Offer {
        match self.slots.get_mut(&key.thread_id) {
            Some(slot) if now < slot.pushed_at + window => {
                slot.pending = Some(Arc::clone(body));
                Offer::Held
            }
            Some(slot) => {
                // The window closed but its timer has not run yet: this one is newer.
                slot.pushed_at = now;
                slot.pending = None;
                Offer::Push(now + window)
            }
            None => {
                self.slots.insert(
                    key.thread_id.clone(),
                    Slot {
                        community_id: key.community_id.clone(),
                        channel_id: key.channel_id.clone(),
                        pushed_at: now,
                        pending: None,
                    },
                );
                Offer::Push(now + window)
            }
        }
    }

    /// The timer of `thread_id`'s slot ran at `now`.
    pub fn due(&mut self, thread_id: &ChannelId, now: Instant, window: Duration) -> Due {
        let Some(slot) = self.slots.get_mut(thread_id) else {
            return Due::Nothing;
        };
        if now < slot.pushed_at + window {
            return Due::Nothing;
        }
        match slot.pending.take() {
            Some(body) => {
                slot.pushed_at = now;
                Due::Push(body, now + window)
            }
            None => {
                self.slots.remove(thread_id);
                Due::Nothing
            }
        }
    }

    /// Drops the slots `purge` names.
    pub fn purge(&mut self, purge: &Purge) {
        if self.slots.is_empty() {
            return;
        }
        match purge {
            Purge::Thread(thread_id) => {
                self.slots.remove(thread_id);
            }
            Purge::Channel(channel_id) => self.slots.retain(|_, s| s.channel_id != *channel_id),
            Purge::Community(community_id) => {
                self.slots.retain(|_, s| s.community_id != *community_id);
            }
        }
    }

    /// Slots held now.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.slots.len()
    }
}

/// A slot's timer.
struct Entry {
    at: Instant,
    order: u64,
    session: Weak<Session>,
    thread_id: ChannelId,
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

/// The timers of every session's slots, run by one task (`Hub::run_digest_timer`).
#[derive(Default)]
pub(crate) struct DigestTimer {
    queue: Mutex<Queue>,
    wake: Notify,
}

impl DigestTimer {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // A heap of plain entries: whatever a panic left is still a valid heap.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `flush` for `thread_id` of `session` at `at`.
    pub fn schedule(&self, at: Instant, session: &Arc<Session>, thread_id: ChannelId) {
        let mut queue = self.lock();
        let earliest = queue.heap.peek().is_none_or(|Reverse(e)| at < e.at);
        let order = queue.next_order;
        queue.next_order += 1;
        queue.heap.push(Reverse(Entry {
            at,
            order,
            session: Arc::downgrade(session),
            thread_id,
        }));
        drop(queue);
        if earliest {
            self.wake.notify_one();
        }
    }

    /// The earliest scheduled instant.
    pub fn next(&self) -> Option<Instant> {
        self.lock().heap.peek().map(|Reverse(e)| e.at)
    }

    /// Takes every timer due at `now`, earliest first.
    pub fn take_due(&self, now: Instant) -> Vec<(Weak<Session>, ChannelId)> {
        let mut queue = self.lock();
        let mut due = Vec::new();
        while queue.heap.peek().is_some_and(|Reverse(e)| e.at <= now) {
            if let Some(Reverse(entry)) = queue.heap.pop() {
                due.push((entry.session, entry.thread_id));
            }
        }
        due
    }

    /// Timers scheduled now.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.lock().heap.len()
    }

    /// Resolves when a timer earlier than every other was scheduled (a wake-up that came
    /// while nobody waited is kept).
    pub async fn rescheduled(&self) {
        self.wake.notified().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(thread: &str) -> DigestKey {
        DigestKey {
            community_id: "c".into(),
            channel_id: "ch".into(),
            thread_id: thread.into(),
        }
    }

    fn body(text: &str) -> Arc<str> {
        Arc::from(text)
    }

    const WINDOW: Duration = Duration::from_millis(1_000);

    #[test]
    fn the_first_digest_goes_at_once_and_the_newest_of_a_window_at_its_end() {
        let t0 = Instant::now();
        let mut slots = DigestSlots::default();
        assert_eq!(
            slots.offer(&key("th_1"), &body("d1"), t0, WINDOW),
            Offer::Push(t0 + WINDOW)
        );
        let later = |ms| t0 + Duration::from_millis(ms);
        for (i, ms) in [10, 200, 999].into_iter().enumerate() {
            let digest = body(&format!("d{}", i + 2));
            assert_eq!(
                slots.offer(&key("th_1"), &digest, later(ms), WINDOW),
                Offer::Held
            );
        }
        // Another thread has its own window.
        assert!(matches!(
            slots.offer(&key("th_2"), &body("x"), later(500), WINDOW),
            Offer::Push(_)
        ));
        assert_eq!(slots.due(&"th_1".into(), later(999), WINDOW), Due::Nothing);
        assert_eq!(
            slots.due(&"th_1".into(), later(1_000), WINDOW),
            Due::Push(body("d4"), later(2_000)),
            "the newest pending digest, and a new window"
        );
        // Nothing arrived in the second window: the slot goes, the next digest is sent
        // at once.
        assert_eq!(
            slots.due(&"th_1".into(), later(2_000), WINDOW),
            Due::Nothing
        );
        assert_eq!(slots.len(), 1);
        assert_eq!(
            slots.offer(&key("th_1"), &body("d5"), later(2_100), WINDOW),
            Offer::Push(later(3_100))
        );
    }

    #[test]
    fn a_late_timer_loses_to_a_newer_push_and_purges_drop_pending_digests() {
        let t0 = Instant::now();
        let later = |ms| t0 + Duration::from_millis(ms);
        let mut slots = DigestSlots::default();
        slots.offer(&key("th_1"), &body("a"), t0, WINDOW);
        slots.offer(&key("th_1"), &body("b"), later(500), WINDOW);
        // The window closed, the timer is late, a newer digest comes first: pushed now.
        assert_eq!(
            slots.offer(&key("th_1"), &body("c"), later(1_200), WINDOW),
            Offer::Push(later(2_200))
        );
        assert_eq!(
            slots.due(&"th_1".into(), later(1_250), WINDOW),
            Due::Nothing,
            "the stale timer finds a newer window"
        );
        slots.offer(&key("th_1"), &body("d"), later(1_300), WINDOW);
        let other_channel = DigestKey {
            channel_id: "ch2".into(),
            ..key("th_9")
        };
        slots.offer(&other_channel, &body("e"), later(1_300), WINDOW);
        slots.purge(&Purge::Channel("ch".into()));
        assert_eq!(
            slots.due(&"th_1".into(), later(2_200), WINDOW),
            Due::Nothing
        );
        assert_eq!(slots.len(), 1);
        slots.purge(&Purge::Thread("th_9".into()));
        assert_eq!(slots.len(), 0);
        slots.offer(&key("th_1"), &body("f"), later(3_000), WINDOW);
        slots.purge(&Purge::Community("c".into()));
        assert_eq!(slots.len(), 0);
    }

    #[test]
    fn timers_come_out_in_order() {
        let timer = DigestTimer::default();
        let session = Arc::new(Session::new(1, "s".into(), "u".into(), String::new(), 8, 8));
        let t0 = Instant::now();
        let later = |ms| t0 + Duration::from_millis(ms);
        timer.schedule(later(300), &session, "b".into());
        timer.schedule(later(100), &session, "a".into());
        timer.schedule(later(300), &session, "c".into());
        assert_eq!(timer.next(), Some(later(100)));
        assert!(timer.take_due(later(99)).is_empty());
        let due: Vec<ChannelId> = timer
            .take_due(later(300))
            .into_iter()
            .map(|(_, thread)| thread)
            .collect();
        assert_eq!(due, ["a", "b", "c"].map(ChannelId::from));
        assert_eq!((timer.len(), timer.next()), (0, None));
    }
}
