//! Coalescing of `thread_digest` events: at most one per thread per session per window
//! (`ServerConfig::thread_digest_interval`, 3 s by default), the newest winning.
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
//! Before the slots, each thread has a gate (`super::gates`): a busy thread's digests
//! reach the sessions at most once a window, so the hub visits the readers' sessions once
//! a window, not once a message. Slots and gates are keyed by a number the hub gives each
//! thread once ([`DigestIds`]).
//!
//! A pending digest is pushed into the session's ring like any event, connected or not,
//! so a session resuming after a disconnect gets it in the replay (as long as the ring
//! covers the gap; otherwise the client syncs and reads digests in its answers). An event
//! that ends a thread's story for a session drops its pending digests before it is pushed
//! ([`Purge`]): `thread_removed`, `channel_removed` (its threads), `community_removed`, so
//! a digest never arrives after the thread, channel or community is gone.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use community_protocol::{ChannelId, CommunityId, Event};
use tokio::sync::Notify;

use super::Session;

/// The number of a thread's slot (the same in every session).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct SlotId(u64);

/// The slot numbers of the threads digests were delivered for.
#[derive(Default)]
pub(crate) struct DigestIds {
    ids: HashMap<ChannelId, SlotId>,
    next: u64,
}

/// Threads numbered at most before the numbering starts over (a thread numbered again
/// may get one digest early: harmless).
const MAX_IDS: usize = 1 << 20;

impl DigestIds {
    /// The number of `thread_id`'s slot, given now if it has none.
    pub fn id(&mut self, thread_id: &ChannelId) -> SlotId {
        if let Some(id) = self.ids.get(thread_id) {
            return *id;
        }
        if self.ids.len() >= MAX_IDS {
            self.ids.clear();
        }
        self.next += 1;
        let id = SlotId(self.next);
        self.ids.insert(thread_id.clone(), id);
        id
    }

    /// The number of `thread_id`'s slot, if it has one.
    pub fn get(&self, thread_id: &ChannelId) -> Option<SlotId> {
        self.ids.get(thread_id).copied()
    }
}

/// Which slot a digest goes to: its thread's number, and where the thread lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DigestKey {
    /// The community.
    pub community_id: CommunityId,
    /// The thread's channel.
    pub channel_id: ChannelId,
    /// The thread's slot.
    pub slot: SlotId,
}

impl DigestKey {
    /// The key of a `thread_digest` event (`None` for any other event), numbering its
    /// thread if needed.
    pub fn of(event: &Event, ids: &mut DigestIds) -> Option<DigestKey> {
        match event {
            Event::ThreadDigest {
                community_id,
                channel_id,
                digest,
                ..
            } => Some(DigestKey {
                community_id: community_id.clone(),
                channel_id: channel_id.clone(),
                slot: ids.id(&digest.thread_id),
            }),
            _ => None,
        }
    }
}

/// Pending digests an event makes pointless (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Purge {
    /// A thread was deleted.
    Thread(SlotId),
    /// A channel is gone for the session (deleted, or sight lost): its threads.
    Channel(ChannelId),
    /// The community is gone for the session.
    Community(CommunityId),
}

impl Purge {
    /// What `event` purges, if anything (a thread that never had a digest: nothing).
    pub fn of(event: &Event, ids: &DigestIds) -> Option<Purge> {
        match event {
            Event::ThreadRemoved { thread_id, .. } => ids.get(thread_id).map(Purge::Thread),
            Event::ChannelRemoved { channel_id, .. } => Some(Purge::Channel(channel_id.clone())),
            Event::CommunityRemoved { community_id, .. } => {
                Some(Purge::Community(community_id.clone()))
            }
            _ => None,
        }
    }
}

/// Hashes slot numbers (distinct integers) with one multiplication.
#[derive(Default)]
pub(crate) struct SlotHasher(u64);

impl Hasher for SlotHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*byte)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value.wrapping_mul(0x9E37_79B9_7F4A_7C15);
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
    slots: HashMap<SlotId, Slot, BuildHasherDefault<SlotHasher>>,
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
        match self.slots.get_mut(&key.slot) {
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
                    key.slot,
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

    /// The timer of slot `id` ran at `now`.
    pub fn due(&mut self, id: SlotId, now: Instant, window: Duration) -> Due {
        let Some(slot) = self.slots.get_mut(&id) else {
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
                self.slots.remove(&id);
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
            Purge::Thread(id) => {
                self.slots.remove(id);
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

/// What a timer closes the window of.
pub(crate) enum Target {
    /// A session's slot.
    Session(Weak<Session>, SlotId),
    /// A thread's gate (`super::gates`).
    Gate(SlotId),
}

/// A window's timer.
struct Entry {
    at: Instant,
    order: u64,
    target: Target,
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

/// The timers of every gate and session slot, run by one task (`Hub::run_digest_timer`).
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

    /// Closes the window of `target` at `at`.
    pub fn schedule(&self, at: Instant, target: Target) {
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

    /// The earliest scheduled instant.
    pub fn next(&self) -> Option<Instant> {
        self.lock().heap.peek().map(|Reverse(e)| e.at)
    }

    /// Takes every timer due at `now`, earliest first.
    pub fn take_due(&self, now: Instant) -> Vec<Target> {
        let mut queue = self.lock();
        let mut due = Vec::new();
        while queue.heap.peek().is_some_and(|Reverse(e)| e.at <= now) {
            if let Some(Reverse(entry)) = queue.heap.pop() {
                due.push(entry.target);
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

    fn key(thread: u64) -> DigestKey {
        DigestKey {
            community_id: "c".into(),
            channel_id: "ch".into(),
            slot: SlotId(thread),
        }
    }

    #[test]
    fn threads_get_one_number_each() {
        let mut ids = DigestIds::default();
        let (a, b) = (ChannelId::from("th_a"), ChannelId::from("th_b"));
        assert_eq!(ids.get(&a), None);
        let first = ids.id(&a);
        assert_ne!(ids.id(&b), first);
        assert_eq!((ids.id(&a), ids.get(&a)), (first, Some(first)));
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
            slots.offer(&key(1), &body("d1"), t0, WINDOW),
            Offer::Push(t0 + WINDOW)
        );
        let later = |ms| t0 + Duration::from_millis(ms);
        for (i, ms) in [10, 200, 999].into_iter().enumerate() {
            let digest = body(&format!("d{}", i + 2));
            assert_eq!(
                slots.offer(&key(1), &digest, later(ms), WINDOW),
                Offer::Held
            );
        }
        // Another thread has its own window.
        assert!(matches!(
            slots.offer(&key(2), &body("x"), later(500), WINDOW),
            Offer::Push(_)
        ));
        assert_eq!(slots.due(SlotId(1), later(999), WINDOW), Due::Nothing);
        assert_eq!(
            slots.due(SlotId(1), later(1_000), WINDOW),
            Due::Push(body("d4"), later(2_000)),
            "the newest pending digest, and a new window"
        );
        // Nothing arrived in the second window: the slot goes, the next digest is sent
        // at once.
        assert_eq!(slots.due(SlotId(1), later(2_000), WINDOW), Due::Nothing);
        assert_eq!(slots.len(), 1);
        assert_eq!(
            slots.offer(&key(1), &body("d5"), later(2_100), WINDOW),
            Offer::Push(later(3_100))
        );
    }

    #[test]
    fn a_late_timer_loses_to_a_newer_push_and_purges_drop_pending_digests() {
        let t0 = Instant::now();
        let later = |ms| t0 + Duration::from_millis(ms);
        let mut slots = DigestSlots::default();
        slots.offer(&key(1), &body("a"), t0, WINDOW);
        slots.offer(&key(1), &body("b"), later(500), WINDOW);
        // The window closed, the timer is late, a newer digest comes first: pushed now.
        assert_eq!(
            slots.offer(&key(1), &body("c"), later(1_200), WINDOW),
            Offer::Push(later(2_200))
        );
        assert_eq!(
            slots.due(SlotId(1), later(1_250), WINDOW),
            Due::Nothing,
            "the stale timer finds a newer window"
        );
        slots.offer(&key(1), &body("d"), later(1_300), WINDOW);
        let other_channel = DigestKey {
            channel_id: "ch2".into(),
            ..key(9)
        };
        slots.offer(&other_channel, &body("e"), later(1_300), WINDOW);
        slots.purge(&Purge::Channel("ch".into()));
        assert_eq!(slots.due(SlotId(1), later(2_200), WINDOW), Due::Nothing);
        assert_eq!(slots.len(), 1);
        slots.purge(&Purge::Thread(SlotId(9)));
        assert_eq!(slots.len(), 0);
        slots.offer(&key(1), &body("f"), later(3_000), WINDOW);
        slots.purge(&Purge::Community("c".into()));
        assert_eq!(slots.len(), 0);
    }

    #[test]
    fn timers_come_out_in_order() {
        let timer = DigestTimer::default();
        let session = Arc::new(Session::new(1, "s".into(), "u".into(), String::new(), 8, 8));
        let t0 = Instant::now();
        let later = |ms| t0 + Duration::from_millis(ms);
        let target = |slot| Target::Session(Arc::downgrade(&session), SlotId(slot));
        timer.schedule(later(300), target(2));
        timer.schedule(later(100), target(1));
        timer.schedule(later(300), Target::Gate(SlotId(3)));
        assert_eq!(timer.next(), Some(later(100)));
        assert!(timer.take_due(later(99)).is_empty());
        let due: Vec<SlotId> = timer
            .take_due(later(300))
            .into_iter()
            .map(|target| match target {
                Target::Session(_, slot) | Target::Gate(slot) => slot,
            })
            .collect();
        assert_eq!(due, [1, 2, 3].map(SlotId));
        assert_eq!((timer.len(), timer.next()), (0, None));
    }
}
