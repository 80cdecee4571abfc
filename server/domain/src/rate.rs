//! The per-channel message rate limit, with priority-aware dropping.
//!
//! Each channel keeps the times of the messages it accepted in the last second (a sliding
//! window, in memory only: a restart forgets it, which is harmless). With `R` =
//! `channel_messages_per_second`:
//! - a **low** priority message is refused once `R` messages were accepted in the window;
//! - a **normal** one once `2R` were;
//! - a **high** priority message is never refused (it is still counted), so owners' and
//!   bots' important messages always get through — the price is that a flood of high
//!   priority messages is not limited here (the transport's per-connection limit is).
//!
//! A refused message gets `CHANNEL_RATE_LIMITED`, so the sender knows it was dropped.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use community_protocol::{ApiError, ErrorCode, Priority, TimestampMs};

/// The sliding window's length.
const WINDOW_MS: TimestampMs = 1_000;
/// Above this many tracked channels, idle ones are forgotten.
const PRUNE_ABOVE: usize = 4_096;

/// Sliding one-second windows of accepted messages, per channel.
#[derive(Default)]
pub(crate) struct RateLimiter {
    windows: Mutex<HashMap<String, VecDeque<TimestampMs>>>,
}

impl RateLimiter {
    /// Admits (and counts) one message of `priority` in `channel_id` at `now_ms`, or
    /// refuses it with `CHANNEL_RATE_LIMITED`. `per_second` 0 disables the limit.
    pub(crate) fn admit(
        &self,
        channel_id: &str,
        priority: Priority,
        per_second: u32,
        now_ms: TimestampMs,
    ) -> Result<(), ApiError> {
        if per_second == 0 {
            return Ok(());
        }
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if windows.len() > PRUNE_ABOVE {
            windows.retain(|_, window| window.back().is_some_and(|last| now_ms - last < WINDOW_MS));
        }
        let window = windows.entry(channel_id.to_owned()).or_default();
        while window
            .front()
            .is_some_and(|first| now_ms - first >= WINDOW_MS)
        {
            window.pop_front();
        }
        let allowed = match priority {
            Priority::High => usize::MAX,
            Priority::Normal => 2 * per_second as usize,
            Priority::Low => per_second as usize,
        };
        if window.len() >= allowed {
            return Err(ApiError::new(
                ErrorCode::CHANNEL_RATE_LIMITED,
                format!(
                    "channel receives more than {} messages per second; this {} priority message was dropped",
                    if priority == Priority::Low {
                        per_second
                    } else {
                        2 * per_second
                    },
                    match priority {
                        Priority::Low => "low",
                        _ => "normal",
                    }
                ),
            ));
        }
        window.push_back(now_ms);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn low_then_normal_are_dropped_high_never() {
        let limiter = RateLimiter::default();
        for _ in 0..4 {
            limiter.admit("ch", Priority::Low, 4, 1_000).unwrap();
        }
        assert_eq!(
            limiter
                .admit("ch", Priority::Low, 4, 1_000)
                .unwrap_err()
                .code,
            ErrorCode::CHANNEL_RATE_LIMITED
        );
        for _ in 0..4 {
            limiter.admit("ch", Priority::Normal, 4, 1_001).unwrap();
        }
        assert_eq!(
            limiter
                .admit("ch", Priority::Normal, 4, 1_002)
                .unwrap_err()
                .code,
            ErrorCode::CHANNEL_RATE_LIMITED
        );
        for _ in 0..100 {
            limiter.admit("ch", Priority::High, 4, 1_003).unwrap();
        }
        // Other channels are independent.
        limiter.admit("other", Priority::Low, 4, 1_003).unwrap();
        // A second later the window has slid past everything.
        limiter.admit("ch", Priority::Low, 4, 2_003).unwrap();
    }

    #[test]
    fn zero_disables_the_limit() {
        let limiter = RateLimiter::default();
        for _ in 0..1_000 {
            limiter.admit("ch", Priority::Low, 0, 5).unwrap();
        }
    }
}
