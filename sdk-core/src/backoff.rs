//! Reconnect delays: exponential backoff with full jitter, and a cap that is low while an
//! outage is young.
//!
//! Attempt `n` (0-based) waits a uniformly random time in `0..=min(cap, base * 2^n)`
//! ("full jitter", which spreads a crowd of clients reconnecting to a restarted server
//! best). The cap depends on how long the client has been failing:
//! - during the first [`BackoffConfig::patience`] of an outage (30 s by default) it is
//!   [`BackoffConfig::cap`], 2.5 s by default: a server restart or a deploy takes seconds,
//!   and a client must be back within about `downtime + cap` of the server's return, not
//!   half a minute later;
//! - after that it is [`BackoffConfig::outage_cap`], 30 s by default: a long outage (a
//!   phone in a tunnel, a server down for maintenance) should not cost a battery or a
//!   recovering server a reconnect every second or two per client.
//!
//! The sequence starts over after a connection that lived (logged in). Base and caps are
//! configurable so tests can reconnect within milliseconds.

use std::time::Duration;

use rand::Rng;

/// Base and caps of the reconnect backoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffConfig {
    /// The ceiling of the first delay (attempt 0).
    pub base: Duration,
    /// The largest delay while the outage is younger than `patience`.
    pub cap: Duration,
    /// How long an outage counts as young.
    pub patience: Duration,
    /// The largest delay once the outage is older than `patience`.
    pub outage_cap: Duration,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        Self {
            base: Duration::from_millis(250),
            cap: Duration::from_millis(2_500),
            patience: Duration::from_secs(30),
            outage_cap: Duration::from_secs(30),
        }
    }
}

impl BackoffConfig {
    /// A configuration with `base` and `cap`, and the default patience and outage cap
    /// (never below `cap`).
    pub fn new(base: Duration, cap: Duration) -> Self {
        let defaults = Self::default();
        Self {
            base,
            cap,
            patience: defaults.patience,
            outage_cap: defaults.outage_cap.max(cap),
        }
    }
}

/// The state of one backoff sequence.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    config: BackoffConfig,
    attempt: u32,
    /// When the current run of failures started.
    failing_since: Option<tokio::time::Instant>,
}

impl Backoff {
    /// A sequence starting at attempt 0.
    pub(crate) fn new(config: BackoffConfig) -> Self {
        Self {
            config,
            attempt: 0,
            failing_since: None,
        }
    }

    /// How many delays were handed out since the last reset.
    pub(crate) fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The ceiling for attempt `attempt` of an outage that has lasted `outage`.
    pub(crate) fn ceiling(config: &BackoffConfig, attempt: u32, outage: Duration) -> Duration {
        let cap = if outage < config.patience {
            config.cap
        } else {
            config.outage_cap.max(config.cap)
        };
        let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        config.base.checked_mul(factor).unwrap_or(cap).min(cap)
    }

    /// The next delay (random, within the current ceiling), advancing the attempt.
    pub(crate) fn next_delay(&mut self) -> Duration {
        let now = tokio::time::Instant::now();
        let since = *self.failing_since.get_or_insert(now);
        let outage = now.saturating_duration_since(since);
        self.next_delay_with(outage, &mut rand::rng())
    }

    /// [`Backoff::next_delay`] for an outage of a given age, with a given random source.
    pub(crate) fn next_delay_with<R: Rng + ?Sized>(
        &mut self,
        outage: Duration,
        rng: &mut R,
    ) -> Duration {
        let ceiling = Self::ceiling(&self.config, self.attempt, outage);
        self.attempt = self.attempt.saturating_add(1);
        let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rng.random_range(0..=millis))
    }

    /// Starts over at attempt 0 (after a connection that lived).
    pub(crate) fn reset(&mut self) {
        self.attempt = 0;
        self.failing_since = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> BackoffConfig {
        BackoffConfig {
            base: Duration::from_millis(100),
            cap: Duration::from_secs(3),
            patience: Duration::from_secs(30),
            outage_cap: Duration::from_secs(30),
        }
    }

    #[test]
    fn ceilings_double_then_stop_at_the_cap() {
        let c = config();
        let young = Duration::from_secs(1);
        let ceilings: Vec<u128> = (0..8)
            .map(|n| Backoff::ceiling(&c, n, young).as_millis())
            .collect();
        assert_eq!(ceilings, vec![100, 200, 400, 800, 1600, 3000, 3000, 3000]);
        assert_eq!(Backoff::ceiling(&c, 1_000, young), Duration::from_secs(3));
        let old = Duration::from_secs(31);
        assert_eq!(Backoff::ceiling(&c, 1_000, old), Duration::from_secs(30));
    }

    /// The promise behind "a server back after a short restart has its clients back
    /// within the downtime plus a few seconds": with the defaults, every delay of an
    /// outage younger than 30 s is at most 2.5 s, whatever the attempt count.
    #[test]
    fn a_young_outage_never_waits_longer_than_the_short_cap() {
        let defaults = BackoffConfig::default();
        let mut backoff = Backoff::new(defaults);
        let mut rng = rand::rng();
        let mut elapsed = Duration::ZERO;
        while elapsed < defaults.patience {
            let delay = backoff.next_delay_with(elapsed, &mut rng);
            assert!(
                delay <= Duration::from_millis(2_500),
                "{delay:?} at {elapsed:?}"
            );
            // Failed attempts against a stopped server are refused at once.
            elapsed += delay + Duration::from_millis(1);
        }
        let late = backoff.next_delay_with(Duration::from_secs(600), &mut rng);
        assert!(late <= Duration::from_secs(30));
    }

    #[test]
    fn delays_stay_within_the_ceiling_and_vary() {
        let mut backoff = Backoff::new(config());
        let mut seen = std::collections::HashSet::new();
        let mut rng = rand::rng();
        for attempt in 0..200u32 {
            let ceiling = Backoff::ceiling(&config(), attempt, Duration::ZERO);
            let delay = backoff.next_delay_with(Duration::ZERO, &mut rng);
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
            backoff.next_delay_with(Duration::from_secs(60), &mut rand::rng());
        }
        backoff.reset();
        assert_eq!(backoff.attempt(), 0);
        assert!(backoff.next_delay_with(Duration::ZERO, &mut rand::rng()) <= config().base);
    }

    #[test]
    fn huge_configs_do_not_overflow() {
        let c = BackoffConfig {
            base: Duration::from_secs(u64::MAX / 4),
            cap: Duration::from_secs(u64::MAX / 2),
            patience: Duration::MAX,
            outage_cap: Duration::MAX,
        };
        let mut backoff = Backoff::new(c);
        for _ in 0..40 {
            assert!(backoff.next_delay_with(Duration::ZERO, &mut rand::rng()) <= c.cap);
        }
    }
}
