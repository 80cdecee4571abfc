//! [`Subscription`]: the receiving end of one change stream, and [`Outlet`], the sending
//! end the hub holds.
//!
//! The queue between them is bounded ([`BACKLOG`] batches). A subscriber that falls that
//! far behind (a listener that is slow, or an app that never calls `next`) is cut off
//! instead of growing memory without bound: the hub stops feeding it and flags it
//! *lagged*. Its next `next()` first yields what was queued before the cut, then starts
//! over: it takes a fresh current value (a reset: the whole list, every count, the newest
//! messages) exactly as a new subscription would, and carries on with the changes after
//! it. Nothing is lost that the fresh value does not hold.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::mpsc::{self, error::TrySendError};

/// How many undelivered batches one subscriber may have before it is cut off and starts
/// over from a fresh current value.
pub(crate) const BACKLOG: usize = 256;

/// A filter applied to every delivered batch; `None` drops the batch.
type Filter<T> = Box<dyn FnMut(T) -> Option<T> + Send>;

/// A future yielding a fresh subscription (`None`: the client is gone).
pub(crate) type Fresh<T> = Pin<Box<dyn Future<Output = Option<Subscription<T>>> + Send>>;

/// Makes a fresh subscription of the same stream, for a subscriber that lagged.
type Resync<T> = Box<dyn FnMut() -> Fresh<T> + Send>;

/// The hub's end of one subscription.
pub(crate) struct Outlet<T> {
    sender: mpsc::Sender<T>,
    lagged: Arc<AtomicBool>,
}

impl<T> Clone for Outlet<T> {
    fn clone(&self) -> Self {
        Self {
            sender: self.sender.clone(),
            lagged: Arc::clone(&self.lagged),
        }
    }
}

impl<T> Outlet<T> {
    /// Queues `value` without waiting. False when the subscriber is gone, or when its
    /// backlog is full: it is then flagged lagged and must not be fed any more.
    pub(crate) fn send(&self, value: T) -> bool {
        match self.sender.try_send(value) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                self.lagged.store(true, Ordering::SeqCst);
                false
            }
            Err(TrySendError::Closed(_)) => false,
        }
    }

    /// True once the subscription was dropped.
    pub(crate) fn is_closed(&self) -> bool {
        self.sender.is_closed()
    }
}

/// The subscription's end of the queue.
pub(crate) struct Inlet<T> {
    receiver: mpsc::Receiver<T>,
    lagged: Arc<AtomicBool>,
}

/// A new bounded queue between the hub and one subscription.
pub(crate) fn queue<T>() -> (Outlet<T>, Inlet<T>) {
    let (sender, receiver) = mpsc::channel(BACKLOG);
    let lagged = Arc::new(AtomicBool::new(false));
    (
        Outlet {
            sender,
            lagged: Arc::clone(&lagged),
        },
        Inlet { receiver, lagged },
    )
}

/// A stream of values: the current value first, then changes. Dropping it (or calling
/// [`Subscription::cancel`]) ends it; it also ends (`next` returns `None`) when the client
/// shuts down. A subscriber that falls far behind gets a fresh current value (a reset)
/// instead of an ever-growing backlog (see the module docs).
pub struct Subscription<T> {
    initial: Option<T>,
    inlet: Inlet<T>,
    filter: Option<Filter<T>>,
    resync: Option<Resync<T>>,
    /// Kept alive as long as the subscription (e.g. its place on the focus stack).
    _guard: Option<Box<dyn std::any::Any + Send + Sync>>,
}

impl<T> std::fmt::Debug for Subscription<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("initial_pending", &self.initial.is_some())
            .field("lagged", &self.inlet.lagged.load(Ordering::SeqCst))
            .finish_non_exhaustive()
    }
}

impl<T> Subscription<T> {
    pub(crate) fn new(initial: T, inlet: Inlet<T>) -> Self {
        Self {
            initial: Some(initial),
            inlet,
            filter: None,
            resync: None,
            _guard: None,
        }
    }

    /// Keeps `guard` alive until the subscription is dropped (a start over keeps it).
    pub(crate) fn with_guard(mut self, guard: impl std::any::Any + Send + Sync) -> Self {
        self._guard = Some(Box::new(guard));
        self
    }

    /// Replaces the first value (the current value of the stream).
    pub(crate) fn with_initial(mut self, initial: T) -> Self {
        self.initial = Some(initial);
        self
    }

    /// Applies `filter` to every later batch (not to the initial value).
    pub(crate) fn with_filter(
        mut self,
        filter: impl FnMut(T) -> Option<T> + Send + 'static,
    ) -> Self {
        self.filter = Some(Box::new(filter));
        self
    }

    /// How to start over after lagging: `resync` makes a fresh subscription of the same
    /// stream. Without it, a lagged subscription ends.
    pub(crate) fn with_resync(mut self, resync: impl FnMut() -> Fresh<T> + Send + 'static) -> Self {
        self.resync = Some(Box::new(resync));
        self
    }

    /// The next value: the current value on the first call, then each batch of changes
    /// (and a fresh current value after falling behind). `None` once the client has shut
    /// down.
    pub async fn next(&mut self) -> Option<T> {
        loop {
            if let Some(initial) = self.initial.take() {
                return Some(initial);
            }
            match self.inlet.receiver.recv().await {
                Some(value) => {
                    if let Some(value) = self.apply_filter(value) {
                        return Some(value);
                    }
                }
                None if self.inlet.lagged.load(Ordering::SeqCst) => {
                    let resync = self.resync.as_mut()?;
                    let fresh = resync().await?;
                    tracing::debug!("a lagging subscriber starts over from the current value");
                    self.initial = fresh.initial;
                    self.inlet = fresh.inlet;
                    self.filter = fresh.filter;
                }
                None => return None,
            }
        }
    }

    /// The next value if one is ready, without waiting. (A subscriber that lagged starts
    /// over in [`next`](Self::next) only.)
    pub fn try_next(&mut self) -> Option<T> {
        if let Some(initial) = self.initial.take() {
            return Some(initial);
        }
        loop {
            let value = self.inlet.receiver.try_recv().ok()?;
            if let Some(value) = self.apply_filter(value) {
                return Some(value);
            }
        }
    }

    /// Ends the subscription (the same as dropping it).
    pub fn cancel(self) {}

    fn apply_filter(&mut self, value: T) -> Option<T> {
        match self.filter.as_mut() {
            Some(filter) => filter(value),
            None => Some(value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn initial_value_comes_first_then_filtered_changes() {
        let (outlet, inlet) = queue();
        let mut subscription =
            Subscription::new(0, inlet).with_filter(|v| (v % 2 == 0).then_some(v));
        for value in 1..=4 {
            assert!(outlet.send(value));
        }
        drop(outlet);
        assert_eq!(subscription.next().await, Some(0));
        assert_eq!(subscription.next().await, Some(2));
        assert_eq!(subscription.try_next(), Some(4));
        assert_eq!(subscription.next().await, None);
    }

    #[tokio::test]
    async fn a_full_backlog_cuts_the_subscriber_off_and_it_starts_over_fresh() {
        let (outlet, inlet) = queue();
        // Stands in for the hub, which holds the fresh subscription's outlet.
        let hub = Arc::new(std::sync::Mutex::new(Vec::new()));
        let held = Arc::clone(&hub);
        let mut subscription = Subscription::new(0usize, inlet).with_resync(move || {
            let (outlet, inlet) = queue();
            assert!(outlet.send(1_000_001));
            held.lock().unwrap().push(outlet);
            Box::pin(std::future::ready(Some(Subscription::new(
                1_000_000, inlet,
            ))))
        });
        let accepted = (1..=BACKLOG + 10).take_while(|&v| outlet.send(v)).count();
        assert_eq!(accepted, BACKLOG, "the backlog is bounded");
        assert!(!outlet.send(7), "a lagged subscriber is not fed any more");
        drop(outlet);
        let mut seen = Vec::new();
        for _ in 0..BACKLOG + 3 {
            seen.push(subscription.next().await);
        }
        assert_eq!(seen[0], Some(0));
        assert_eq!(
            seen[BACKLOG],
            Some(BACKLOG),
            "what was queued is still delivered"
        );
        assert_eq!(
            seen[BACKLOG + 1],
            Some(1_000_000),
            "then a fresh current value"
        );
        assert_eq!(
            seen[BACKLOG + 2],
            Some(1_000_001),
            "then the changes after it"
        );
        assert_eq!(hub.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_lagged_subscription_without_a_way_to_resync_ends() {
        let (outlet, inlet) = queue();
        let mut subscription = Subscription::new(0usize, inlet);
        while outlet.send(1) {}
        drop(outlet);
        assert_eq!(subscription.next().await, Some(0));
        for _ in 0..BACKLOG {
            assert_eq!(subscription.next().await, Some(1));
        }
        assert_eq!(subscription.next().await, None);
    }
}
