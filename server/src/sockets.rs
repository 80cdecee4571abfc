//! The connection cap's accounting: how many TCP connections are open, and the slot each
//! accepted connection holds until it closes (the listener takes slots; the HTTP and
//! WebSocket tasks hold them).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::time::Instant;

/// Open TCP connections, shared by the accept loop and the slots it hands out.
#[derive(Debug, Default)]
pub(crate) struct SocketCount {
    open: Arc<AtomicUsize>,
}

impl SocketCount {
    /// Takes a slot unless `max` are taken.
    pub(crate) fn try_open(&self, max: usize) -> Option<Slot> {
        self.open
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| {
                (open < max).then_some(open + 1)
            })
            .ok()?;
        Some(Slot {
            accepted_at: Instant::now(),
            open: Arc::clone(&self.open),
        })
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::Acquire)
    }
}

/// One accepted connection's place under the cap; given back when dropped.
#[derive(Debug)]
pub(crate) struct Slot {
    accepted_at: Instant,
    open: Arc<AtomicUsize>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::AcqRel);
    }
}

/// An accepted connection: its slot under the cap and when it was accepted. Every request
/// of the connection carries it (a request extension); the WebSocket the connection
/// becomes keeps it for its whole life.
#[derive(Debug, Clone)]
pub(crate) struct Accepted(pub(crate) Arc<Slot>);

impl Accepted {
    /// When the handshake (HTTP upgrade and `hello`) must be complete.
    pub fn deadline(&self, handshake_timeout: Duration) -> Instant {
        self.0.accepted_at + handshake_timeout
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_capped_and_given_back() {
        let count = SocketCount::default();
        let a = count.try_open(2).unwrap();
        let b = count.try_open(2).unwrap();
        assert!(count.try_open(2).is_none());
        assert_eq!(count.open(), 2);
        drop(a);
        let c = count.try_open(2).unwrap();
        drop((b, c));
        assert_eq!(count.open(), 0);
    }
}
