//! Time helpers shared by the connection and the API: the local wall clock in protocol
//! milliseconds, and deadlines that cannot overflow whatever duration they are given
//! (a configured `Duration::MAX`, an absurd interval announced by a server).

use std::time::Duration;

use tokio::time::Instant;

/// The longest wait a deadline is set for: far enough to mean "never" for a client.
pub(crate) const FAR: Duration = Duration::from_secs(86_400 * 365);

/// Milliseconds since the Unix epoch (local clock); 0 before 1970.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The instant `after` from now, with `after` capped at [`FAR`] (adding a huge duration to
/// an instant would panic).
pub(crate) fn deadline_in(after: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(after.min(FAR)).unwrap_or(now)
}

/// A duration in whole milliseconds, saturating.
pub(crate) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_durations_give_far_deadlines_instead_of_panics() {
        let far = deadline_in(Duration::MAX);
        assert!(far > Instant::now() + Duration::from_secs(86_400));
        assert!(deadline_in(Duration::from_secs(1)) < far);
        assert_eq!(millis(Duration::MAX), u64::MAX);
        assert_eq!(millis(Duration::from_secs(2)), 2_000);
        assert!(now_ms() > 1_600_000_000_000);
    }
}
