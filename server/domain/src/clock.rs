//! Where the domain gets "now" from: the system clock in production, a hand-moved clock in
//! tests (so mutes and the rate limiter are tested without sleeping or timing).

use std::time::{SystemTime, UNIX_EPOCH};

use community_protocol::TimestampMs;

/// A source of the current time in milliseconds since the Unix epoch.
pub(crate) trait Clock: Send + Sync {
    /// Now.
    fn now_ms(&self) -> TimestampMs;
}

/// The system's wall clock.
pub(crate) struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> TimestampMs {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }
}
