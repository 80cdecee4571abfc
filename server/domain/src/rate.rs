//! The per-channel message rate limit, with priority-aware dropping.
//!
//! Each channel keeps the times of the messages it accepted in the last second (a sliding
//! window, in memory only: a restart forgets it, which is harmless). With `R` =
//! `channel_messages_per_second`:
//! - a **low** priority message is refused once `R` messages were accepted in the window;
//! - a **normal** one once `2R` were;
//! - a **high** priority message is never refused (it is still counted), so owners' and
//!   bots' important messages always get through — the price is that a flood of high
//!   priority messages is not limited here. Any member may choose high priority, and the
//!   transport has no per-connection frame limit yet (it only runs one request of a
//!   connection at a time), so such a flood is bounded by write throughput alone.
//!
//! A refused message gets `CHANNEL_RATE_LIMITED`, so the sender knows it was dropped.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};

use community_protocol::{ApiError, ChannelId, ErrorCode, Priority, TimestampMs};

/// The sliding window's length.
const WINDOW_MS: TimestampMs = 1_000;

/// Sliding one-second windows of accepted messages, per channel.
///
/// Memory is bounded by recent activity, not by history: a window keeps at most the
/// `2R` newest times (no decision looks further back, so a flood of high priority
/// messages cannot grow it), and at most once per window length every window with no
/// message in the last second is dropped, so deleted and idle channels are forgotten
/// within about two seconds.
#[derive(Default)]
pub(crate) struct RateLimiter {
    state: Mutex<Windows>,
}

#[derive(Default)]
struct Windows {
    by_channel: HashMap<ChannelId, VecDeque<TimestampMs>>,
    last_sweep_ms: TimestampMs,
}

impl Windows {
    /// Drops every window that saw no message in the last `WINDOW_MS`, at most once per
    /// `WINDOW_MS` (or at once when the clock went backwards).
    fn sweep(&mut self, now_ms: TimestampMs) {
        let since = now_ms.saturating_sub(self.last_sweep_ms);
        if (0..WINDOW_MS).contains(&since) {
            return;
        }
        self.last_sweep_ms = now_ms;
        self.by_channel.retain(|_, window| {
            window
                .back()
                .is_some_and(|last| now_ms.saturating_sub(*last) < WINDOW_MS)
        });
    }
}

impl RateLimiter {
    /// Admits (and counts) one message of `priority` in `channel_id` at `now_ms`, or
    /// refuses it with `CHANNEL_RATE_LIMITED`. `per_second` 0 disables the limit.
    pub(crate) fn admit(
        &self,
        channel_id: &ChannelId,
        priority: Priority,
        per_second: u32,
        now_ms: TimestampMs,
    ) -> Result<(), ApiError> {
        if per_second == 0 {
            return Ok(());
        }
        let low_limit = per_second as usize;
        let normal_limit = low_limit.saturating_mul(2);
        let mut windows = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        windows.sweep(now_ms);
        let window = windows.by_channel.entry(channel_id.clone()).or_default();
        while window
            .front()
            .is_some_and(|first| now_ms.saturating_sub(*first) >= WINDOW_MS)
        {
            window.pop_front();
        }
        let (allowed, name) = match priority {
            Priority::High => (usize::MAX, "high"),
            Priority::Normal => (normal_limit, "normal"),
            Priority::Low => (low_limit, "low"),
        };
        if window.len() >= allowed {
            return Err(ApiError::new(
                ErrorCode::CHANNEL_RATE_LIMITED,
                format!(
                    "channel receives more than {allowed} messages per second; this {name} priority message was dropped"
                ),
            ));
        }
        window.push_back(now_ms);
        // Only the newest `2R` times decide anything (the oldest expire first).
        while window.len() > normal_limit {
            window.pop_front();
        }
        Ok(())
    }

    /// Channels with a window right now.
    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .by_channel
            .len()
    }

    /// Times kept for `channel_id`.
    #[cfg(test)]
    fn window_len(&self, channel_id: &ChannelId) -> usize {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .by_channel
            .get(channel_id)
            .map_or(0, VecDeque::len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn low_then_normal_are_dropped_high_never() {
        let limiter = RateLimiter::default();
        for _ in 0..4 {
            limiter
                .admit(&ChannelId::from("ch"), Priority::Low, 4, 1_000)
                .unwrap();
        }
        assert_eq!(
            limiter
                .admit(&ChannelId::from("ch"), Priority::Low, 4, 1_000)
                .unwrap_err()
                .code,
            ErrorCode::CHANNEL_RATE_LIMITED
        );
        for _ in 0..4 {
            limiter
                .admit(&ChannelId::from("ch"), Priority::Normal, 4, 1_001)
                .unwrap();
        }
        assert_eq!(
            limiter
                .admit(&ChannelId::from("ch"), Priority::Normal, 4, 1_002)
                .unwrap_err()
                .code,
            ErrorCode::CHANNEL_RATE_LIMITED
        );
        for _ in 0..100 {
            limiter
                .admit(&ChannelId::from("ch"), Priority::High, 4, 1_003)
                .unwrap();
        }
        // Other channels are independent.
        limiter
            .admit(&ChannelId::from("other"), Priority::Low, 4, 1_003)
            .unwrap();
        // A second later the window has slid past everything.
        limiter
            .admit(&ChannelId::from("ch"), Priority::Low, 4, 2_003)
            .unwrap();
    }

    #[test]
    fn a_high_priority_flood_keeps_the_window_bounded() {
        let limiter = RateLimiter::default();
        for _ in 0..10_000 {
            limiter
                .admit(&ChannelId::from("ch"), Priority::High, 4, 1_000)
                .unwrap();
        }
        assert_eq!(
            limiter.window_len(&ChannelId::from("ch")),
            8,
            "only the newest 2R times are kept"
        );
        for priority in [Priority::Low, Priority::Normal] {
            assert_eq!(
                limiter
                    .admit(&ChannelId::from("ch"), priority, 4, 1_999)
                    .unwrap_err()
                    .code,
                ErrorCode::CHANNEL_RATE_LIMITED
            );
        }
        limiter
            .admit(&ChannelId::from("ch"), Priority::Low, 4, 2_000)
            .unwrap();
    }

    #[test]
    fn idle_channels_are_forgotten() {
        let limiter = RateLimiter::default();
        for channel in 0..5_000 {
            limiter
                .admit(&format!("ch{channel}").into(), Priority::Normal, 4, 10_000)
                .unwrap();
        }
        assert_eq!(limiter.tracked(), 5_000);
        // Within the window nothing is swept.
        limiter
            .admit(&ChannelId::from("busy"), Priority::Normal, 4, 10_500)
            .unwrap();
        assert_eq!(limiter.tracked(), 5_001);
        // A second later every channel without a recent message is gone.
        limiter
            .admit(&ChannelId::from("busy"), Priority::Normal, 4, 11_000)
            .unwrap();
        assert_eq!(limiter.tracked(), 1);
        // A clock that went backwards sweeps at once instead of never.
        limiter
            .admit(&ChannelId::from("other"), Priority::Normal, 4, 5_000)
            .unwrap();
        assert!(limiter.tracked() <= 2);
    }

    #[test]
    fn zero_disables_the_limit() {
        let limiter = RateLimiter::default();
        for _ in 0..1_000 {
            limiter
                .admit(&ChannelId::from("ch"), Priority::Low, 0, 5)
                .unwrap();
        }
    }
}
