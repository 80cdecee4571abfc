//! The hand-off point between everything that wants to write to one connection and that
//! connection's single writer task.
//!
//! Responses, acks and errors are queued here as encoded frames (the reader of the same
//! connection produces them, at most `max_pending_responses` at a time); events are not:
//! they stay in the session's ring buffer, and the outbox only wakes the writer. A goodbye
//! (from this connection, the hub or the server) is remembered here until written.
//!
//! Event wake-ups are coalesced under load ([`Coalescer`]): a writer that wrote less than
//! a window ago is not woken for each new event; it is put on the coalescer's list, and
//! one timer wakes everything on that list once per window. The first event after a quiet
//! window wakes the writer at once, so latency is unchanged at low rates, while a flood
//! costs one socket write per connection per window instead of one per event.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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
    /// True while the outbox is on the coalescer's list.
    deferred: AtomicBool,
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
            deferred: AtomicBool::new(false),
        }
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

    /// New events at `now` in the attached session: wakes the writer at once, unless it
    /// took events less than the coalescing window ago; then the coalescer wakes it when
    /// the window ends (see the module documentation).
    pub fn wake_events(self: &Arc<Self>, now: Instant) {
        if let Some(coalescer) = &self.coalescer {
            let wrote_at = self.wrote_at.load(Ordering::Relaxed);
            if wrote_at != 0 && coalescer.micros(now) < wrote_at + coalescer.window_us {
                if !self.deferred.swap(true, Ordering::AcqRel) && !coalescer.defer(self) {
                    self.deferred.store(false, Ordering::Release);
                    self.wake.notify();
                }
                return;
            }
        }
        self.wake.notify();
    }

    /// The writer takes events now (the start of its coalescing window).
    pub fn taking_events(&self) {
        if let Some(coalescer) = &self.coalescer {
            let now = coalescer.micros(Instant::now()).max(1);
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

/// Wakes writers whose event wake-ups were deferred, once per window, from one timer
/// task for the whole server (see the module documentation). The task starts with the
/// first deferral and stops after a second without any.
pub(crate) struct Coalescer {
    window_us: u64,
    epoch: Instant,
    state: Mutex<Deferred>,
}

#[derive(Default)]
struct Deferred {
    outboxes: Vec<Arc<Outbox>>,
    /// True while the timer task runs.
    ticking: bool,
}

/// Windows without a deferral before the timer task stops.
const IDLE_TICKS: u32 = 100;

impl Coalescer {
    /// A coalescer with this window (at least 1 ms).
    pub fn new(window: Duration) -> Self {
        Self {
            window_us: u64::try_from(window.as_micros())
                .unwrap_or(u64::MAX)
                .max(1_000),
            epoch: Instant::now(),
            state: Mutex::new(Deferred::default()),
        }
    }

    fn micros(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.epoch).as_micros()).unwrap_or(u64::MAX)
    }

    fn lock(&self) -> MutexGuard<'_, Deferred> {
        // A plain list and a flag: keep going after a panic.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Puts `outbox` on the list for the next tick (starting the timer task if needed).
    /// False when no timer can run (no runtime here): the caller wakes the writer itself.
    fn defer(self: &Arc<Self>, outbox: &Arc<Outbox>) -> bool {
        let mut state = self.lock();
        if !state.ticking {
            let Ok(runtime) = tokio::runtime::Handle::try_current() else {
                return false;
            };
            state.ticking = true;
            runtime.spawn(Arc::clone(self).tick());
        }
        state.outboxes.push(Arc::clone(outbox));
        true
    }

    /// The timer task: every window, wakes the writers deferred meanwhile.
    async fn tick(self: Arc<Self>) {
        let window = Duration::from_micros(self.window_us);
        let mut idle = 0;
        let mut due = Vec::new();
        loop {
            tokio::time::sleep(window).await;
            {
                let mut state = self.lock();
                if state.outboxes.is_empty() {
                    idle += 1;
                    if idle >= IDLE_TICKS {
                        state.ticking = false;
                        return;
                    }
                    continue;
                }
                idle = 0;
                std::mem::swap(&mut state.outboxes, &mut due);
            }
            for outbox in due.drain(..) {
                outbox.deferred.store(false, Ordering::Release);
                outbox.wake.notify();
            }
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

    #[tokio::test]
    async fn a_wake_before_waiting_is_not_lost() {
        let outbox = Outbox::new(1, 2);
        outbox.wake();
        tokio::time::timeout(Duration::from_secs(5), outbox.woken())
            .await
            .unwrap();
    }
}
