//! One logged-in session: its event sequence, its ring buffer of recent events and the
//! connection (outbox) currently serving it, if any.
//!
//! Every event pushed to a session gets the next number of the session's sequence (1, 2,
//! 3… without gaps) and goes into the ring buffer as the *shared* encoded body (an
//! `Arc<str>` made once per delivery, never copied per recipient). The ring is both the
//! send queue and the resume buffer: the writer of the attached connection sends the
//! events after its cursor `written`; after a disconnect the same ring replays them.
//!
//! Memory is bounded: the ring holds at most `ring_capacity` events. A connected session
//! that falls more than `queue_capacity` events behind (counting from when it attached),
//! or whose unsent events would be evicted from the ring, is a slow consumer: it is
//! detached and its connection told `goodbye{slow_consumer, reconnect:true}`; the client
//! resumes from the ring if it still covers the gap, or syncs.
//!
//! Thread digests are coalesced per thread before they reach the ring (see
//! [`super::digests`]): the session holds their slots under the same lock as its ring.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use community_protocol::{GoodbyeReason, UserId};

use super::digests::{DigestKey, DigestSlots, Due, Offer, Purge, SlotId};
use super::outbox::{Ending, Goodbye, Outbox};

/// Most events the writer takes in one go (then it writes them and comes back).
pub(crate) const TAKE_BATCH: usize = 64;

/// A logged-in session. See the module documentation.
pub(crate) struct Session {
    /// Key in the hub's indexes (unique in this process).
    pub key: u64,
    /// The id the client resumes with.
    pub id: String,
    /// The logged-in user.
    pub user_id: UserId,
    /// The device the client announced (may be empty).
    pub device_id: String,
    ring_capacity: usize,
    queue_capacity: usize,
    state: Mutex<State>,
}

struct Attachment {
    outbox: Arc<Outbox>,
    written: u64,
    attached_at: u64,
}

#[derive(Default)]
struct State {
    last_seq: u64,
    ring: VecDeque<Arc<str>>,
    attachment: Option<Attachment>,
    attach_count: u64,
    forgotten: bool,
    digests: DigestSlots,
}

impl State {
    fn first_seq(&self) -> u64 {
        self.last_seq + 1 - self.ring.len() as u64
    }

    fn covers_after(&self, seq: u64) -> bool {
        seq <= self.last_seq && seq + 1 >= self.first_seq()
    }
}

/// The outcome of [`Session::take_events`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Taken {
    /// This many events were appended to the buffer (possibly none).
    Events(usize),
    /// The session is no longer served by this connection.
    Detached,
}

impl Session {
    /// A new session with an empty sequence.
    pub fn new(
        key: u64,
        id: String,
        user_id: UserId,
        device_id: String,
        ring_capacity: usize,
        queue_capacity: usize,
    ) -> Self {
        Self {
            key,
            id,
            user_id,
            device_id,
            ring_capacity: ring_capacity.max(1),
            queue_capacity: queue_capacity.max(1),
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent between statements that could panic: keep going.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The sequence of the newest event.
    pub fn last_seq(&self) -> u64 {
        self.lock().last_seq
    }

    /// True when the ring still holds every event after `seq` (a resume from `seq` would
    /// replay them all).
    #[cfg(test)]
    pub fn covers_after(&self, seq: u64) -> bool {
        let state = self.lock();
        !state.forgotten && state.covers_after(seq)
    }

    /// Appends an event (numbering it) and wakes the connection serving the session; a
    /// slow consumer is detached and told goodbye instead.
    #[cfg(test)]
    pub fn push(&self, body: &Arc<str>) {
        self.push_event(body, None);
    }

    /// [`Session::push`], first dropping the pending digests `purge` makes pointless.
    pub fn push_event(&self, body: &Arc<str>, purge: Option<&Purge>) {
        self.push_event_at(body, purge, Instant::now());
    }

    /// [`Session::push_event`] at `now` (the clock of the writer's coalescing window,
    /// read once per delivery by the caller).
    pub fn push_event_at(&self, body: &Arc<str>, purge: Option<&Purge>, now: Instant) {
        let mut state = self.lock();
        if state.forgotten {
            return;
        }
        if let Some(purge) = purge {
            state.digests.purge(purge);
        }
        self.append(state, body, now);
    }

    /// A thread digest arrived at `now`: pushed at once when its thread's window is open
    /// (returning when the window closes, for the slot's timer), else kept as the pending
    /// one.
    pub fn push_digest(
        &self,
        key: &DigestKey,
        body: &Arc<str>,
        now: Instant,
        window: Duration,
    ) -> Option<Instant> {
        let mut state = self.lock();
        if state.forgotten {
            return None;
        }
        match state.digests.offer(key, body, now, window) {
            Offer::Push(closes) => {
                self.append(state, body, now);
                Some(closes)
            }
            Offer::Held => None,
        }
    }

    /// The window of slot `slot`'s digests closed at `now`: the pending digest is pushed
    /// (returning when the next window closes).
    pub fn flush_digest(&self, slot: SlotId, now: Instant, window: Duration) -> Option<Instant> {
        let mut state = self.lock();
        if state.forgotten {
            return None;
        }
        match state.digests.due(slot, now, window) {
            Due::Push(body, closes) => {
                self.append(state, &body, now);
                Some(closes)
            }
            Due::Nothing => None,
        }
    }

    /// Appends an event to the ring under the session's lock (released before a slow
    /// consumer is told goodbye) and wakes the writer (coalesced under load, see
    /// [`Outbox::wake_events`]).
    fn append(&self, mut state: MutexGuard<'_, State>, body: &Arc<str>, now: Instant) {
        state.last_seq += 1;
        state.ring.push_back(Arc::clone(body));
        if state.ring.len() > self.ring_capacity {
            state.ring.pop_front();
        }
        let first = state.first_seq();
        let last = state.last_seq;
        let Some(attachment) = &state.attachment else {
            return;
        };
        let live_backlog = last - attachment.written.max(attachment.attached_at);
        if attachment.written + 1 < first || live_backlog > self.queue_capacity as u64 {
            if let Some(attachment) = state.attachment.take() {
                drop(state);
                tracing::info!(session = %self.id, user = %self.user_id, "slow consumer disconnected");
                attachment.outbox.end(Ending::Goodbye(Goodbye::new(
                    GoodbyeReason::SlowConsumer,
                    true,
                    "too many events waiting to be sent; reconnect and resume",
                )));
            }
        } else {
            // Woken at once when the backlog nears the limit: a coalescing window must
            // never turn a fast reader into a slow consumer.
            let urgent = live_backlog >= self.urgent_backlog();
            attachment.outbox.wake_events(now, urgent);
        }
    }

    /// Unsent events from which the writer is woken at once, whatever its coalescing
    /// window: a quarter of the queue capacity, at most a batch.
    fn urgent_backlog(&self) -> u64 {
        (self.queue_capacity / 4).clamp(1, TAKE_BATCH) as u64
    }

    /// Attaches a connection: its writer will send every event after `from_seq`. Any
    /// connection serving the session before is returned (to be told goodbye). Fails when
    /// the ring no longer covers the events after `from_seq` or the session was forgotten.
    /// On success returns the newest sequence and the previous connection.
    pub fn attach(
        &self,
        outbox: &Arc<Outbox>,
        from_seq: u64,
    ) -> Option<(u64, Option<Arc<Outbox>>)> {
        let mut state = self.lock();
        if state.forgotten || !state.covers_after(from_seq) {
            return None;
        }
        let last = state.last_seq;
        let previous = state.attachment.replace(Attachment {
            outbox: Arc::clone(outbox),
            written: from_seq,
            attached_at: last,
        });
        state.attach_count += 1;
        Some((last, previous.map(|a| a.outbox)))
    }

    /// Appends to `out` up to [`TAKE_BATCH`] events the writer of `outbox_id` has not
    /// sent yet, with their sequence numbers (the writer reuses `out` between batches).
    pub fn take_events(&self, outbox_id: u64, out: &mut Vec<(u64, Arc<str>)>) -> Taken {
        let mut guard = self.lock();
        let state = &mut *guard;
        let first = state.first_seq();
        let ring_len = state.ring.len();
        let Some(attachment) = &mut state.attachment else {
            return Taken::Detached;
        };
        if attachment.outbox.id != outbox_id {
            return Taken::Detached;
        }
        let start = attachment.written + 1;
        if start < first {
            // Unsent events were evicted: `push` prevents this, but never send a gap.
            if let Some(attachment) = state.attachment.take() {
                attachment.outbox.end(Ending::Goodbye(Goodbye::new(
                    GoodbyeReason::SlowConsumer,
                    true,
                    "events were lost before they could be sent",
                )));
            }
            return Taken::Detached;
        }
        let offset = (start - first) as usize;
        let count = ring_len.saturating_sub(offset).min(TAKE_BATCH);
        attachment.written += count as u64;
        out.extend(
            state
                .ring
                .range(offset..offset + count)
                .enumerate()
                .map(|(i, body)| (start + i as u64, Arc::clone(body))),
        );
        Taken::Events(count)
    }

    /// Detaches the connection `outbox_id` if it still serves the session. Returns the
    /// attach count when the session is now lingering (detached and not forgotten), for
    /// [`Session::expired`].
    pub fn release(&self, outbox_id: u64) -> Option<u64> {
        let mut state = self.lock();
        if state
            .attachment
            .as_ref()
            .is_some_and(|a| a.outbox.id == outbox_id)
        {
            state.attachment = None;
        }
        (state.attachment.is_none() && !state.forgotten).then_some(state.attach_count)
    }

    /// True when the session lingered, unattached, since the release that returned
    /// `attach_count`.
    pub fn expired(&self, attach_count: u64) -> bool {
        let state = self.lock();
        state.attachment.is_none() && !state.forgotten && state.attach_count == attach_count
    }

    /// Marks the session as gone: no more events, buffer freed. Returns the connection
    /// serving it, if any.
    pub fn forget(&self) -> Option<Arc<Outbox>> {
        let mut state = self.lock();
        state.forgotten = true;
        state.ring = VecDeque::new();
        state.digests = DigestSlots::default();
        state.attachment.take().map(|a| a.outbox)
    }

    /// True when a connection serves the session now (false while it lingers).
    pub fn is_attached(&self) -> bool {
        self.lock().attachment.is_some()
    }

    /// True when the session was forgotten.
    pub fn is_forgotten(&self) -> bool {
        self.lock().forgotten
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(ring: usize, queue: usize) -> Session {
        Session::new(1, "s".into(), "u".into(), String::new(), ring, queue)
    }

    fn body(text: &str) -> Arc<str> {
        Arc::from(text)
    }

    fn take(session: &Session, outbox_id: u64) -> Taken {
        session.take_events(outbox_id, &mut Vec::new())
    }

    fn events(session: &Session, outbox_id: u64) -> Vec<(u64, String)> {
        let mut out = Vec::new();
        let taken = session.take_events(outbox_id, &mut out);
        assert!(matches!(taken, Taken::Events(_)), "detached");
        out.into_iter().map(|(s, b)| (s, b.to_string())).collect()
    }

    #[test]
    fn events_are_numbered_and_taken_once() {
        let s = session(8, 8);
        let outbox = Arc::new(Outbox::new(7, 4));
        assert_eq!(s.attach(&outbox, 0).map(|(last, _)| last), Some(0));
        s.push(&body("a"));
        s.push(&body("b"));
        assert_eq!(events(&s, 7), vec![(1, "a".into()), (2, "b".into())]);
        assert!(events(&s, 7).is_empty());
        s.push(&body("c"));
        assert_eq!(events(&s, 7), vec![(3, "c".into())]);
        assert!(take(&s, 8) == Taken::Detached);
    }

    #[test]
    fn resume_replays_after_the_cursor() {
        let s = session(4, 4);
        for i in 0..6 {
            s.push(&body(&i.to_string()));
        }
        // Ring holds 3..=6.
        assert!(s.covers_after(2));
        assert!(s.covers_after(6));
        assert!(!s.covers_after(1));
        assert!(!s.covers_after(7));
        let outbox = Arc::new(Outbox::new(1, 4));
        assert!(s.attach(&outbox, 1).is_none());
        let (last, previous) = s.attach(&outbox, 4).unwrap();
        assert_eq!((last, previous.is_none()), (6, true));
        assert_eq!(events(&s, 1), vec![(5, "4".into()), (6, "5".into())]);
    }

    #[test]
    fn slow_consumer_is_detached_with_goodbye() {
        let s = session(16, 3);
        let outbox = Arc::new(Outbox::new(1, 4));
        s.attach(&outbox, 0).unwrap();
        for _ in 0..3 {
            s.push(&body("x"));
        }
        assert!(!outbox.is_ending());
        s.push(&body("x"));
        assert!(outbox.is_ending());
        let ending = outbox.take().ending.unwrap();
        assert!(
            matches!(ending, Ending::Goodbye(g) if g.reason == GoodbyeReason::SlowConsumer && g.reconnect)
        );
        assert!(take(&s, 1) == Taken::Detached);
        // Still buffered for a resume.
        assert!(s.covers_after(0));
        assert_eq!(s.release(1), Some(1));
    }

    #[test]
    fn a_new_attachment_replaces_the_old_and_expiry_sees_it() {
        let s = session(4, 4);
        let first = Arc::new(Outbox::new(1, 4));
        let second = Arc::new(Outbox::new(2, 4));
        s.attach(&first, 0).unwrap();
        let (_, previous) = s.attach(&second, 0).unwrap();
        assert_eq!(previous.map(|o| o.id), Some(1));
        assert_eq!(
            s.release(1),
            None,
            "releasing the old connection keeps the new one"
        );
        let count = s.release(2).unwrap();
        assert!(s.expired(count));
        s.attach(&first, 0).unwrap();
        assert!(!s.expired(count));
        assert!(s.forget().is_some());
        assert!(s.is_forgotten());
        s.push(&body("ignored"));
        assert_eq!(s.last_seq(), 0);
    }
}
