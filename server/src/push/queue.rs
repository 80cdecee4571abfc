//! The hand-off's queue and counters, which [`crate::shared::Shared`] holds: a bounded
//! channel to the worker (started with the first message) and what was offered, dropped,
//! sent and given up. Nothing here reads the domain or the hub (that is `push`'s worker).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use community_protocol::{ChannelId, CommunityId, Seq};
use tokio::sync::mpsc;

/// Messages waiting for their candidates at most; beyond, a message is dropped.
pub(crate) const QUEUE_CAPACITY: usize = 1_024;

/// Push requests in flight or waiting for a retry at most.
pub(crate) const IN_FLIGHT: usize = 64;

/// Counters of the hand-off (read by tests and logs).
#[derive(Debug, Default)]
pub(crate) struct PushStats {
    /// Messages offered to the queue.
    pub offered: AtomicU64,
    /// Messages dropped because the queue was full.
    pub dropped: AtomicU64,
    /// Push requests the endpoint accepted (2xx).
    pub sent: AtomicU64,
    /// Push requests given up (refused, or every attempt failed).
    pub failed: AtomicU64,
}

/// One committed message to consider.
#[derive(Debug)]
pub(crate) struct Job {
    /// Its community.
    pub community_id: CommunityId,
    /// Its channel, thread or conversation.
    pub channel_id: ChannelId,
    /// Its sequence.
    pub seq: Seq,
}

/// The hand-off's state in `Shared`: the queue (its worker starts with the first
/// message) and the counters.
#[derive(Debug, Default)]
pub(crate) struct Pusher {
    queue: OnceLock<mpsc::Sender<Job>>,
    /// The counters.
    pub stats: Arc<PushStats>,
}

impl Pusher {
    /// Puts `job` in the queue (created, and its receiver given to `start`, on first
    /// use); a full queue drops it, logged at 1, 2, 4… drops, and counted.
    pub(crate) fn enqueue(&self, job: Job, start: impl FnOnce(mpsc::Receiver<Job>)) {
        let mut started = None;
        let queue = self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
            started = Some(rx);
            tx
        });
        if let Some(rx) = started {
            start(rx);
        }
        self.stats.offered.fetch_add(1, Ordering::Relaxed);
        if let Err(error) = queue.try_send(job) {
            let dropped = self.stats.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if dropped.is_power_of_two() {
                tracing::warn!(
                    dropped,
                    capacity = QUEUE_CAPACITY,
                    reason = %error,
                    "push queue full: message not pushed"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(seq: Seq) -> Job {
        Job {
            community_id: "c".into(),
            channel_id: "ch".into(),
            seq,
        }
    }

    #[test]
    fn a_full_queue_drops_and_counts() {
        let pusher = Pusher::default();
        let mut receiver = None;
        let extra = 5;
        for seq in 1..=(QUEUE_CAPACITY + extra) as Seq {
            pusher.enqueue(job(seq), |rx| receiver = Some(rx));
        }
        let stats = &pusher.stats;
        assert_eq!(
            stats.offered.load(Ordering::Relaxed),
            (QUEUE_CAPACITY + extra) as u64
        );
        assert_eq!(stats.dropped.load(Ordering::Relaxed), extra as u64);
        // The queue keeps the first ones, in order, and takes more once drained.
        let mut receiver = receiver.expect("the worker's receiver");
        assert_eq!(receiver.try_recv().map(|j| j.seq).ok(), Some(1));
        pusher.enqueue(job(0), |_| panic!("started once"));
        assert_eq!(stats.dropped.load(Ordering::Relaxed), extra as u64);
    }
}
