//! The hand-off point between everything that wants to write to one connection and that
//! connection's single writer task.
//!
//! Responses, acks and errors are queued here as encoded frames (the reader of the same
//! connection produces them, at most `max_pending_responses` at a time); events are not:
//! they stay in the session's ring buffer, and the outbox only wakes the writer. A goodbye
//! (from this connection, the hub or the server) is remembered here until written.
//!
//! Under load (see [`Coalescer`]: about 20,000 events a second or more) event wake-ups
//! go through the server's coalescer; below that every event wakes its writer at once.
//! The coalescer wakes the writers from one task, a chunk at a time, yielding between
//! chunks: a fan-out to thousands of connections never queues thousands of writer tasks
//! ahead of everything else (the sender's next request, another community's requests),
//! so requests keep being handled while the writers drain, and a writer that has not run
//! yet takes the newer events in the same write. Wake-ups are also coalesced in time: a
//! writer that took events less than its window ago is woken when the window ends, not
//! for each event, so a flood costs one socket write per connection per window instead
//! of one per event. The window starts short and doubles (up to a cap) while every
//! wake-up of the writer is a coalesced one, i.e. while the flood lasts; any other
//! wake-up resets it. A session whose unsent backlog nears the slow-consumer limit wakes
//! its writer at once, whatever the window.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::Poll;
use std::time::{Duration, Instant};

use community_protocol::GoodbyeReason;
use futures_util::task::AtomicWaker;
use tokio::sync::Notify;

use super::Session;

/// Why and how a connection ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Goodbye {
    /// The reason sent to the client.
    pub reason: GoodbyeReason,
    /// Whether the client should reconnect.
    pub reconnect: bool,
    /// Details for developers.
    pub message: String,
    /// The WebSocket close code (and its short reason) sent after the goodbye; `None`
    /// closes without a code.
    pub close: Option<(u16, &'static str)>,
}

impl Goodbye {
    /// A goodbye with a reason, a reconnect hint and a message.
    pub fn new(reason: GoodbyeReason, reconnect: bool, message: impl Into<String>) -> Self {
        Self {
            reason,
            reconnect,
            message: message.into(),
            close: None,
        }
    }

    /// The same goodbye, followed by a close frame with `code` (RFC 6455 §7.4).
    pub fn with_close_code(mut self, code: u16, reason: &'static str) -> Self {
        self.close = Some((code, reason));
        self
    }
}

/// How the connection should end once pending frames are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ending {
    /// Write this goodbye, then close.
    Goodbye(Goodbye),
    /// Close without a goodbye (the client went away or closed first).
    Close,
}

#[derive(Default)]
struct State {
    frames: VecDeque<String>,
    attach: Option<Arc<Session>>,
    ending: Option<Ending>,
}

/// What the writer has to do now.
pub(crate) struct Work {
    /// Encoded frames to write first, in order.
    pub frames: VecDeque<String>,
    /// A session whose events the writer streams from now on.
    pub attach: Option<Arc<Session>>,
    /// Set when the connection must end after the frames.
    pub ending: Option<Ending>,
}

/// Wakes the one writer task: a flag and a waker, cheaper than a `Notify` on the hot
/// path (a push to a writer that is already due to run costs one atomic swap).
#[derive(Default)]
struct Signal {
    pending: AtomicBool,
    waker: AtomicWaker,
}

impl Signal {
    fn notify(&self) {
        if !self.pending.swap(true, Ordering::AcqRel) {
            self.waker.wake();
        }
    }

    /// Resolves once a notification arrived since the last one was consumed (a
    /// notification that came while nobody waited is kept). Single consumer.
    async fn wait(&self) {
        poll_fn(|cx| {
            if self.pending.swap(false, Ordering::AcqRel) {
                return Poll::Ready(());
            }
            self.waker.register(cx.waker());
            if self.pending.swap(false, Ordering::AcqRel) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await
    }
}

/// One connection's outbox. See the module documentation.
pub(crate) struct Outbox {
    /// Unique among the connections of a server (sessions use it to know who serves them).
    pub id: u64,
    state: Mutex<State>,
    wake: Signal,
    space: Notify,
    max_pending: usize,
    /// Coalesces event wake-ups under load (none: every event wakes the writer).
    coalescer: Option<Arc<Coalescer>>,
    /// When the writer last took events, in µs since the coalescer's epoch (0: never).
    wrote_at: AtomicU64,
    /// The current coalescing window, µs.
    window_us: AtomicU64,
    /// True while the outbox is on the coalescer's list.
    deferred: AtomicBool,
    /// True when the coalescer woke the writer (its window then grows).
    coalesced: AtomicBool,
    /// Frames at least this long go compressed (`deflate`, agreed in the handshake);
    /// 0: none.
    compress_min: AtomicUsize,
}

impl Outbox {
    /// An empty outbox; `max_pending` bounds the frames waiting for the writer.
    pub fn new(id: u64, max_pending: usize) -> Self {
        Self {
            id,
            state: Mutex::new(State::default()),
            wake: Signal::default(),
            space: Notify::new(),
            max_pending: max_pending.max(1),
            coalescer: None,
            wrote_at: AtomicU64::new(0),
            window_us: AtomicU64::new(0),
            deferred: AtomicBool::new(false),
            coalesced: AtomicBool::new(false),
            compress_min: AtomicUsize::new(0),
        }
    }

    /// From now on frames of at least `min_bytes` go compressed (0: none).
    pub fn set_compression(&self, min_bytes: usize) {
        self.compress_min.store(min_bytes, Ordering::Relaxed);
    }

    /// The size from which frames go compressed (0: none).
    pub fn compress_min(&self) -> usize {
        self.compress_min.load(Ordering::Relaxed)
    }

    /// The same outbox, its event wake-ups coalesced by `coalescer` under load.
    pub fn with_coalescer(mut self, coalescer: Arc<Coalescer>) -> Self {
        self.coalescer = Some(coalescer);
        self
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock leaves only plain queues behind: keep going.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues a frame, waiting while `max_pending` frames are already waiting (so a client
    /// that never reads cannot make the server buffer its responses without bound). Once
    /// the connection is ending nobody waits: a frame that finds the queue full is dropped
    /// (the writer may never drain it again; the client retries after reconnecting).
    pub async fn send(&self, frame: String) {
        loop {
            let space = self.space.notified();
            tokio::pin!(space);
            space.as_mut().enable();
            {
                let mut state = self.lock();
                if state.frames.len() < self.max_pending {
                    state.frames.push_back(frame);
                    drop(state);
                    self.wake.notify();
                    return;
                }
                if state.ending.is_some() {
                    tracing::debug!(connection = self.id, "connection ending; frame dropped");
                    return;
                }
            }
            space.await;
        }
    }

    /// Hands a session to the writer, which streams its events after the frames queued so
    /// far.
    pub fn attach(&self, session: Arc<Session>) {
        self.lock().attach = Some(session);
        self.wake.notify();
    }

    /// Asks the writer to say goodbye and close (the first ending asked for wins).
    pub fn end(&self, ending: Ending) {
        let mut state = self.lock();
        if state.ending.is_none() {
            state.ending = Some(ending);
        }
        drop(state);
        self.wake.notify();
        self.space.notify_waiters();
    }

    /// Wakes the writer (new events in the attached session).
    pub fn wake(&self) {
        self.wake.notify();
    }

    /// New events at `now` in the attached session: the writer is woken by the coalescer
    /// (at its next turn, or when the writer's window ends if it took events less than
    /// its window ago), or at once without a coalescer or when `urgent` (so many events
    /// wait that the writer must not wait for its window: the backlog counts towards the
    /// slow-consumer limit). See the module documentation.
    pub fn wake_events(self: &Arc<Self>, now: Instant, urgent: bool) {
        let Some(coalescer) = self.coalescer.as_ref().filter(|_| !urgent) else {
            self.wake.notify();
            return;
        };
        // Under a light load every event wakes the writer at once.
        let now = coalescer.micros(now);
        if !coalescer.busy(now) {
            self.wake.notify();
            return;
        }
        // Already due to run, or already on the coalescer's list: it takes these events.
        if self.wake.pending.load(Ordering::Acquire) || self.deferred.swap(true, Ordering::AcqRel) {
            return;
        }
        let wrote_at = self.wrote_at.load(Ordering::Relaxed);
        let due = wrote_at + self.window_us.load(Ordering::Relaxed);
        let later = (wrote_at != 0 && now < due).then_some(due);
        if !coalescer.defer(self, later) {
            self.deferred.store(false, Ordering::Release);
            self.wake.notify();
        }
    }

    /// The writer takes events now: the start of its next coalescing window, twice as
    /// long as the last one (up to the cap) when the coalescer woke it, else the shortest.
    pub fn taking_events(&self) {
        if let Some(coalescer) = &self.coalescer {
            let now = coalescer.micros(Instant::now()).max(1);
            let window = if self.coalesced.swap(false, Ordering::AcqRel) {
                let last = self.window_us.load(Ordering::Relaxed);
                (last * 2).clamp(coalescer.min_us, coalescer.max_us)
            } else {
                coalescer.min_us
            };
            self.window_us.store(window, Ordering::Relaxed);
            self.wrote_at.store(now, Ordering::Relaxed);
        }
    }

    /// True when an ending was asked for.
    pub fn is_ending(&self) -> bool {
        self.lock().ending.is_some()
    }

    /// Takes everything the writer has to do now.
    pub fn take(&self) -> Work {
        let mut state = self.lock();
        let work = Work {
            frames: std::mem::take(&mut state.frames),
            attach: state.attach.take(),
            ending: state.ending.clone(),
        };
        drop(state);
        if !work.frames.is_empty() {
            self.space.notify_waiters();
        }
        work
    }

    /// Resolves when something was queued or asked since the last wake-up (a wake-up that
    /// came while nobody waited is kept, so none is lost). Only the writer calls this.
    pub async fn woken(&self) {
        self.wake.wait().await;
    }
}

/// Wakes the writers of event wake-ups, from one task for the whole server, a chunk at a
/// time, and those whose coalescing window has not ended when it ends (see the module
/// documentation). The task starts with the first wake-up and stops after a second
/// without any. Lock order: a session's lock, then the coalescer's (wake-ups are asked
/// for under the session's lock); the task holds only its own, never while waking.
pub(crate) struct Coalescer {
    min_us: u64,
    max_us: u64,
    epoch: Instant,
    state: Mutex<Deferred>,
    kick: Notify,
    /// Start of the current counting period (µs since the epoch).
    period_at: AtomicU64,
    /// Event wake-ups asked for in the current period.
    period_events: AtomicU64,
    /// True when the last period saw at least [`BUSY_EVENTS`] per [`PERIOD_US`].
    busy: AtomicBool,
}

/// The period over which event wake-ups are counted, µs.
const PERIOD_US: u64 = 10_000;

/// Event wake-ups per period from which the server counts as busy (20,000 events a
/// second, e.g. 20 messages a second to 1,000 members, or one message to 200 within
/// 10 ms): only then do wake-ups go through the coalescer.
const BUSY_EVENTS: u64 = 200;

#[derive(Default)]
struct Deferred {
    /// Outboxes to wake at the task's next turn.
    now: Vec<Arc<Outbox>>,
    /// Outboxes to wake when their windows end (µs since the epoch).
    later: Vec<(Arc<Outbox>, u64)>,
    /// True while the task runs.
    running: bool,
}

/// Writers woken before the task yields to the others.
const WAKE_CHUNK: usize = 32;

/// How long the task waits without any wake-up before it stops.
const IDLE: Duration = Duration::from_secs(1);

impl Coalescer {
    /// A coalescer whose windows start at `min` (at least 1 ms) and grow to `max` under a
    /// lasting load.
    pub fn new(min: Duration, max: Duration) -> Self {
        let us = |d: Duration| u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1_000);
        Self {
            min_us: us(min),
            max_us: us(max).max(us(min)),
            epoch: Instant::now(),
            state: Mutex::new(Deferred::default()),
            kick: Notify::new(),
            period_at: AtomicU64::new(0),
            period_events: AtomicU64::new(0),
            busy: AtomicBool::new(false),
        }
    }

    /// Counts one event wake-up at `now` (µs); true when the server is busy: the last
    /// counting period or the current one saw at least [`BUSY_EVENTS`] per
    /// [`PERIOD_US`].
    fn busy(&self, now: u64) -> bool {
        let start = self.period_at.load(Ordering::Relaxed);
        let elapsed = now.saturating_sub(start);
        if elapsed >= PERIOD_US
            && self
                .period_at
                .compare_exchange(start, now, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        {
            let events = self.period_events.swap(0, Ordering::AcqRel);
            let rate = events.saturating_mul(PERIOD_US) / elapsed.max(1);
            self.busy.store(rate >= BUSY_EVENTS, Ordering::Release);
        }
        let events = self.period_events.fetch_add(1, Ordering::AcqRel) + 1;
        events >= BUSY_EVENTS || self.busy.load(Ordering::Acquire)
    }

    fn micros(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.epoch).as_micros()).unwrap_or(u64::MAX)
    }

    fn lock(&self) -> MutexGuard<'_, Deferred> {
        // Plain lists and a flag: keep going after a panic.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Puts `outbox` on the list for the task's next turn, or until `later` (starting the
    /// task if needed). False when no task can run (no runtime here): the caller wakes
    /// the writer itself.
    fn defer(self: &Arc<Self>, outbox: &Arc<Outbox>, later: Option<u64>) -> bool {
        let mut state = self.lock();
        if !state.running {
            let Ok(runtime) = tokio::runtime::Handle::try_current() else {
                return false;
            };
            state.running = true;
            runtime.spawn(Arc::clone(self).run());
        }
        match later {
            Some(due) => {
                // The task waits a whole idle second while no window is pending: the first
                // one must wake it, so that it ticks until the window ends.
                if state.later.is_empty() {
                    self.kick.notify_one();
                }
                state.later.push((Arc::clone(outbox), due));
            }
            None => {
                if state.now.is_empty() {
                    self.kick.notify_one();
                }
                state.now.push(Arc::clone(outbox));
            }
        }
        true
    }

    /// The task: wakes what is due, a chunk at a time; then waits for a kick, or for the
    /// next tick (every half of the shortest window) while windows are pending.
    async fn run(self: Arc<Self>) {
        let tick = Duration::from_micros(self.min_us / 2);
        let slack = self.min_us / 4;
        let mut quiet = false;
        let mut due: Vec<(Arc<Outbox>, bool)> = Vec::new();
        loop {
            let kicked = self.kick.notified();
            tokio::pin!(kicked);
            kicked.as_mut().enable();
            let waiting = {
                let mut state = self.lock();
                let now = self.micros(Instant::now()) + slack;
                due.extend(state.now.drain(..).map(|outbox| (outbox, false)));
                state.later.retain(|(outbox, at)| {
                    let ended = *at <= now;
                    if ended {
                        due.push((Arc::clone(outbox), true));
                    }
                    !ended
                });
                if due.is_empty() && state.later.is_empty() && quiet {
                    state.running = false;
                    return;
                }
                !state.later.is_empty()
            };
            quiet = false;
            if !due.is_empty() {
                for chunk in due.chunks(WAKE_CHUNK) {
                    for (outbox, coalesced) in chunk {
                        outbox.coalesced.store(*coalesced, Ordering::Release);
                        outbox.deferred.store(false, Ordering::Release);
                        outbox.wake.notify();
                    }
                    tokio::task::yield_now().await;
                }
                due.clear();
                continue;
            }
            let wait = if waiting { tick } else { IDLE };
            quiet = tokio::time::timeout(wait, kicked).await.is_err() && !waiting;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn frames_come_out_in_order_with_the_ending() {
        let outbox = Outbox::new(1, 4);
        outbox.send("a".into()).await;
        outbox.send("b".into()).await;
        outbox.end(Ending::Close);
        outbox.end(Ending::Goodbye(Goodbye::new(
            GoodbyeReason::LoggedOut,
            false,
            "",
        )));
        let work = outbox.take();
        assert_eq!(work.frames, vec!["a".to_string(), "b".to_string()]);
        assert_eq!(work.ending, Some(Ending::Close), "the first ending wins");
        assert!(outbox.is_ending());
    }

    #[tokio::test]
    async fn a_full_outbox_makes_the_sender_wait() {
        let outbox = Arc::new(Outbox::new(1, 2));
        outbox.send("1".into()).await;
        outbox.send("2".into()).await;
        let third = tokio::spawn({
            let outbox = outbox.clone();
            async move { outbox.send("3".into()).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!third.is_finished(), "the third frame waits for room");
        assert_eq!(outbox.take().frames.len(), 2);
        tokio::time::timeout(Duration::from_secs(5), third)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(outbox.take().frames, vec!["3".to_string()]);
    }

    #[tokio::test]
    async fn an_ending_connection_neither_waits_nor_grows() {
        let outbox = Outbox::new(1, 2);
        outbox.end(Ending::Close);
        for i in 0..1_000 {
            tokio::time::timeout(Duration::from_secs(5), outbox.send(i.to_string()))
                .await
                .unwrap();
        }
        let work = outbox.take();
        assert_eq!(work.frames, vec!["0".to_string(), "1".to_string()]);
        assert_eq!(work.ending, Some(Ending::Close));
    }

    fn coalesced(id: u64) -> Arc<Outbox> {
        let coalescer = Arc::new(Coalescer::new(
            Duration::from_millis(10),
            Duration::from_millis(40),
        ));
        Arc::new(Outbox::new(id, 4).with_coalescer(coalescer))
    }

    #[tokio::test]
    async fn a_quiet_writer_is_woken_for_new_events() {
        let outbox = coalesced(1);
        outbox.wake_events(Instant::now(), false);
        tokio::time::timeout(Duration::from_secs(5), outbox.woken())
            .await
            .unwrap();
        assert!(!outbox.deferred.load(Ordering::Acquire));
    }

    #[tokio::test]
    async fn a_window_deferred_while_the_task_idles_wakes_the_task() {
        // The task runs and waits with no window pending (its idle second): a writer
        // deferred to the end of its window must wake it, or it would wait that second.
        let coalescer = Arc::new(Coalescer::new(
            Duration::from_millis(10),
            Duration::from_millis(40),
        ));
        coalescer.lock().running = true;
        let outbox = Arc::new(Outbox::new(1, 4).with_coalescer(coalescer.clone()));
        let waiting = coalescer.kick.notified();
        tokio::pin!(waiting);
        waiting.as_mut().enable();
        let due = coalescer.micros(Instant::now()) + 10_000;
        assert!(coalescer.defer(&outbox, Some(due)));
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("the task is woken");
        // A second window while one is pending needs no wake-up (the task ticks).
        let again = coalescer.kick.notified();
        tokio::pin!(again);
        again.as_mut().enable();
        let other = Arc::new(Outbox::new(2, 4).with_coalescer(coalescer.clone()));
        assert!(coalescer.defer(&other, Some(due)));
        assert!(
            futures_util::FutureExt::now_or_never(again).is_none(),
            "no second wake-up"
        );
    }

    #[tokio::test]
    async fn a_busy_writer_is_woken_once_when_its_window_ends() {
        let outbox = coalesced(1);
        if let Some(coalescer) = &outbox.coalescer {
            coalescer.busy.store(true, Ordering::Release);
        }
        outbox.taking_events();
        for _ in 0..100 {
            outbox.wake_events(Instant::now(), false);
        }
        {
            let coalescer = outbox.coalescer.as_ref().unwrap();
            let state = coalescer.lock();
            let queued = state.now.len() + state.later.len();
            assert!(queued <= 1, "one entry for any number of events");
        }
        tokio::time::timeout(Duration::from_secs(5), outbox.woken())
            .await
            .unwrap();
        // The window doubles at each coalesced wake-up, up to the cap, and falls back to
        // the shortest after any other.
        let coalescer = Arc::clone(outbox.coalescer.as_ref().unwrap());
        let window = || outbox.window_us.load(Ordering::Relaxed);
        outbox.taking_events();
        let first = window();
        assert!(first == coalescer.min_us || first == 2 * coalescer.min_us);
        for _ in 0..4 {
            let before = window();
            outbox.coalesced.store(true, Ordering::Release);
            outbox.taking_events();
            assert_eq!(window(), (2 * before).min(coalescer.max_us));
        }
        assert_eq!(window(), coalescer.max_us);
        outbox.taking_events();
        assert_eq!(window(), coalescer.min_us);
    }

    #[test]
    fn the_server_counts_as_busy_only_under_load() {
        let coalescer = Coalescer::new(Duration::from_millis(10), Duration::from_millis(40));
        assert!(!coalescer.busy(PERIOD_US), "a period starts");
        for i in 1..BUSY_EVENTS - 1 {
            assert!(!coalescer.busy(PERIOD_US + i), "not yet");
        }
        assert!(
            coalescer.busy(PERIOD_US + BUSY_EVENTS),
            "busy within the period"
        );
        assert!(coalescer.busy(2 * PERIOD_US), "a busy period ended");
        assert!(!coalescer.busy(10 * PERIOD_US), "a quiet one ended");
    }

    #[test]
    fn without_a_runtime_events_wake_the_writer_directly() {
        let outbox = coalesced(1);
        outbox.taking_events();
        outbox.wake_events(Instant::now(), false);
        assert!(outbox.wake.pending.load(Ordering::Acquire));
        assert!(!outbox.deferred.load(Ordering::Acquire));
    }

    #[tokio::test]
    async fn a_wake_before_waiting_is_not_lost() {
        let outbox = Outbox::new(1, 2);
        outbox.wake();
        tokio::time::timeout(Duration::from_secs(5), outbox.woken())
            .await
            .unwrap();
    }
}
