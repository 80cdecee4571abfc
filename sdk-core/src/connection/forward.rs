//! The bounded way from the connection task to the sync task.
//!
//! Items go into a bounded queue of [`INBOUND_CAPACITY`]. When it is full, the item is
//! parked here (with whatever control items follow it, to keep the order) and the
//! connection task stops reading the socket until the sync task has made room: the
//! server then sees a client that does not read, and its slow-consumer policy applies
//! (it ends the session; the client resumes or syncs). So client memory is bounded by
//! the queue, however slow the app's store is, and nothing is dropped: parked items are
//! sent before anything newer.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;

use super::{Inbound, QueueStats};

/// Items the sync task may have waiting at once.
pub(crate) const INBOUND_CAPACITY: usize = 512;

/// Hands [`Inbound`] items to the sync task, in order, without ever blocking the caller.
pub(super) struct Forwarder {
    sender: mpsc::Sender<Inbound>,
    parked: VecDeque<Inbound>,
    stats: Arc<QueueStats>,
}

impl Forwarder {
    pub(super) fn new(sender: mpsc::Sender<Inbound>, stats: Arc<QueueStats>) -> Self {
        Self {
            sender,
            parked: VecDeque::new(),
            stats,
        }
    }

    /// Queues `item`, or parks it when the queue is full (or items are parked already).
    /// Items for a sync task that is gone are dropped (the session is stopping).
    pub(super) fn push(&mut self, item: Inbound) {
        if !self.parked.is_empty() {
            self.parked.push_back(item);
            return;
        }
        match self.sender.try_send(item) {
            Ok(()) => self.observe(),
            Err(TrySendError::Full(item)) => {
                self.stats
                    .backpressure_pauses
                    .fetch_add(1, Ordering::Relaxed);
                tracing::debug!("the sync task is behind; pausing reads");
                self.parked.push_back(item);
            }
            Err(TrySendError::Closed(_)) => {}
        }
    }

    /// True while items wait here: the caller must not read more events.
    pub(super) fn is_blocked(&self) -> bool {
        !self.parked.is_empty()
    }

    /// Moves one parked item into the queue once there is room (pending forever when
    /// nothing is parked).
    pub(super) async fn flush_one(&mut self) {
        if self.parked.is_empty() {
            return std::future::pending().await;
        }
        match self.sender.reserve().await {
            Ok(permit) => {
                if let Some(item) = self.parked.pop_front() {
                    permit.send(item);
                }
                self.observe();
            }
            Err(_) => self.parked.clear(),
        }
    }

    /// Moves every parked item into the queue, waiting for room (at the end of the task,
    /// so nothing received is lost).
    pub(super) async fn drain(&mut self) {
        while let Some(item) = self.parked.pop_front() {
            if self.sender.send(item).await.is_err() {
                self.parked.clear();
                return;
            }
        }
    }

    fn observe(&self) {
        let depth = self
            .sender
            .max_capacity()
            .saturating_sub(self.sender.capacity());
        self.stats.observe_depth(depth);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(seq: u64) -> Inbound {
        Inbound::Event { seq, event: None }
    }

    fn seq_of(item: Inbound) -> u64 {
        match item {
            Inbound::Event { seq, .. } => seq,
            other => panic!("not an event: {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_full_queue_parks_in_order_and_flushes_without_loss() {
        let (sender, mut receiver) = mpsc::channel(2);
        let stats = Arc::new(QueueStats::default());
        let mut forwarder = Forwarder::new(sender, stats.clone());
        for seq in 1..=4 {
            forwarder.push(event(seq));
        }
        assert!(forwarder.is_blocked(), "items 3 and 4 wait");
        assert_eq!(stats.inbound_peak.load(Ordering::Relaxed), 2);
        assert_eq!(seq_of(receiver.recv().await.unwrap()), 1);
        forwarder.flush_one().await;
        assert_eq!(seq_of(receiver.recv().await.unwrap()), 2);
        assert_eq!(seq_of(receiver.recv().await.unwrap()), 3);
        forwarder.drain().await;
        assert!(!forwarder.is_blocked());
        assert_eq!(seq_of(receiver.recv().await.unwrap()), 4);
        assert_eq!(stats.backpressure_pauses.load(Ordering::Relaxed), 1);
        assert!(
            stats.inbound_peak.load(Ordering::Relaxed) <= 2,
            "never more than the capacity"
        );
    }
}
