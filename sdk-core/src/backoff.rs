//! Reconnect delays: exponential backoff with full jitter.
//!
//! Attempt `n` (0-based) waits a uniformly random time in `0..=min(cap, base * 2^n)`
//! ("full jitter", which spreads a crowd of clients reconnecting to a restarted server
//! best). Base and cap are configurable so tests can reconnect within milliseconds.

use std::time::Duration;

use rand::Rng;

/// Base and cap of the reconnect backoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffConfig {
    /// The ceiling of the first delay (attempt 0).
    pub base: Duration,
    /// The largest delay ever used.
    pub cap: Duration,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        Self {
            base: Duration::from_millis(500),
            cap: Duration::from_secs(30),
        }
    }
}

/// The state of one backoff sequence.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    config: BackoffConfig,
    attempt: u32,
}

impl Backoff {
    /// A sequence starting at attempt 0.
    pub(crate) fn new(config: BackoffConfig) -> Self {
        Self { config, attempt: 0 }
    }

    /// How many delays were handed out since the last reset.
    pub(crate) fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The ceiling for attempt `attempt`: `min(cap, base * 2^attempt)`.
    pub(crate) fn ceiling(config: &BackoffConfig, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        config
            .base
            .checked_mul(factor)
            .unwrap_or(config.cap)
            .min(config.cap)
    }

    /// The next delay (random, within the current ceiling), advancing the attempt.
    pub(crate) fn next_delay(&mut self) -> Duration {
        self.next_delay_with(&mut rand::rng())
    }

    /// [`Backoff::next_delay`] with a given random source (for tests).
    pub(crate) fn next_delay_with<R: Rng + ?Sized>(&mut self, rng: &mut R) -> Duration {
        let ceiling = Self::ceiling(&self.config, self.attempt);
        self.attempt = self.attempt.saturating_add(1);
        let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rng.random_range(0..=millis))
    }

    /// Starts over at attempt 0 (after a connection that worked).
    pub(crate) fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> BackoffConfig {
        BackoffConfig {
            base: Duration::from_millis(100),
            cap: Duration::from_secs(3),
        }
    }

    #[test]
    fn ceilings_double_then_stop_at_the_cap() {
        let c = config();
        let ceilings: Vec<u128> = (0..8)
            .map(|n| Backoff::ceiling(&c, n).as_millis())
            .collect();
        assert_eq!(ceilings, vec![100, 200, 400, 800, 1600, 3000, 3000, 3000]);
        assert_eq!(Backoff::ceiling(&c, 1_000), Duration::from_secs(3));
    }

    #[test]
    fn delays_stay_within_the_ceiling_and_vary() {
        let mut backoff = Backoff::new(config());
        let mut seen = std::collections::HashSet::new();
        for attempt in 0..200u32 {
            let ceiling = Backoff::ceiling(&config(), attempt);
            let delay = backoff.next_delay();
            assert!(
                delay <= ceiling,
                "attempt {attempt}: {delay:?} > {ceiling:?}"
            );
            seen.insert(delay);
        }
        assert!(
            seen.len() > 10,
            "full jitter should spread the delays: {seen:?}"
        );
        assert_eq!(backoff.attempt(), 200);
    }

    #[test]
    fn reset_starts_over() {
        let mut backoff = Backoff::new(config());
        for _ in 0..10 {
            backoff.next_delay();
        }
        backoff.reset();
        assert_eq!(backoff.attempt(), 0);
        assert!(backoff.next_delay() <= Duration::from_millis(100));
    }

    #[test]
    fn huge_configs_do_not_overflow() {
        let c = BackoffConfig {
            base: Duration::from_secs(u64::MAX / 4),
            cap: Duration::from_secs(u64::MAX / 2),
        };
        let mut backoff = Backoff::new(c);
        for _ in 0..40 {
            assert!(backoff.next_delay() <= c.cap);
        }
    }
}
