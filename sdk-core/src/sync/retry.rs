//! Retrying the sync task's background fetches (catch-up, hole and timeline fetches,
//! change repair) while the connection stays up.
//!
//! A fetch that fails for a passing reason — a timeout, a connection that is being
//! replaced, a server node that is busy taking over another node's clients (`9xxx`) — is
//! tried again after a pause that doubles from [`FIRST_PAUSE`] up to [`MAX_PAUSE`], for
//! as long as the connection lasts; a new login starts from the first pause. A refusal
//! that will not change by asking again (the channel is gone, the user may no longer read
//! it, the request is malformed) is not retried: that channel is skipped, and the rest is
//! fetched. Without this, what a fetch missed stayed missing until the next fresh login,
//! which a resumed session never does.

use std::time::Duration;

use community_protocol::ErrorKind;
use tokio::time::Instant;

use crate::error::SdkError;

/// The pause after the first failure.
pub(super) const FIRST_PAUSE: Duration = Duration::from_millis(250);
/// The longest pause between two attempts.
pub(super) const MAX_PAUSE: Duration = Duration::from_secs(30);

/// True when asking again later may succeed: the request failed on its way (connection,
/// timeout), in the local store, or the server said it failed or is going away (`9xxx`).
fn worth_retrying(error: &SdkError) -> bool {
    match error {
        SdkError::Api(error) => matches!(error.kind(), ErrorKind::Server | ErrorKind::Unknown),
        SdkError::Connection(_) | SdkError::Store(_) | SdkError::NotLoggedIn => true,
        SdkError::InvalidArgument(_) | SdkError::Closed | SdkError::UnexpectedResponse(_) => false,
    }
}

/// What a fetch's `result` means for the rest of the work (`what` names the fetch in the
/// log): true when it failed for a passing reason — the caller stops and tries again
/// later; false when it succeeded or was refused for good (that channel is skipped).
pub(super) fn interrupted(what: &'static str, result: Result<(), SdkError>) -> bool {
    match result {
        Ok(()) => false,
        Err(error) if !worth_retrying(&error) => {
            tracing::info!(%error, what, "refused for good; skipped");
            false
        }
        Err(error) => {
            tracing::debug!(%error, what, "interrupted; tried again after a pause");
            true
        }
    }
}

/// Attempts of one request made again after a login ([`again`]) before it is left to
/// the next login.
const AGAIN_ATTEMPTS: u32 = 6;

/// Runs `call` until it succeeds, fails for good, or has failed [`AGAIN_ATTEMPTS`]
/// times for a passing reason, pausing in between: for what a login restores by asking
/// again (presence subscriptions, the chosen status, the viewed community), which a node
/// that has just started may refuse for a moment (its link to the other nodes not up).
pub(super) async fn again<T, F, Fut>(what: &'static str, mut call: F) -> Result<T, SdkError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError>>,
{
    let mut failures = 0;
    loop {
        match call().await {
            Err(error) if worth_retrying(&error) && failures + 1 < AGAIN_ATTEMPTS => {
                failures += 1;
                tracing::debug!(%error, what, failures, "failed; asking again after a pause");
                tokio::time::sleep(pause_after(failures)).await;
            }
            outcome => return outcome,
        }
    }
}

/// The pause before the attempt that follows `failures` failed ones.
fn pause_after(failures: u32) -> Duration {
    let factor = 1u32 << failures.saturating_sub(1).min(16);
    FIRST_PAUSE.saturating_mul(factor).min(MAX_PAUSE)
}

/// When a failed fetch may run again: the failures since its last success and the
/// instant before which it waits.
#[derive(Debug, Default)]
pub(super) struct Retry {
    failures: u32,
    not_before: Option<Instant>,
}

impl Retry {
    /// Notes a failure: the next attempt waits [`pause_after`] the failures so far.
    pub(super) fn failed(&mut self) {
        self.failures = self.failures.saturating_add(1);
        self.not_before = Some(Instant::now() + pause_after(self.failures));
    }

    /// Notes a success (or a new connection): the next failure pauses briefly again.
    pub(super) fn reset(&mut self) {
        self.failures = 0;
        self.not_before = None;
    }

    /// True when an attempt may run now.
    pub(super) fn due(&self) -> bool {
        self.not_before.is_none_or(|at| Instant::now() >= at)
    }

    /// The instant the sync task should wake to try again, while one is pending.
    pub(super) fn wake_at(&self) -> Option<Instant> {
        self.not_before
    }

    /// The pause ran out: the attempt may run (the failure count stays).
    pub(super) fn woke(&mut self) {
        if self.due() {
            self.not_before = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use community_protocol::{ApiError, ErrorCode};

    #[test]
    fn pauses_double_up_to_the_cap() {
        assert_eq!(pause_after(1), FIRST_PAUSE);
        assert_eq!(pause_after(2), FIRST_PAUSE * 2);
        assert_eq!(pause_after(3), FIRST_PAUSE * 4);
        assert_eq!(pause_after(20), MAX_PAUSE);
        assert_eq!(pause_after(u32::MAX), MAX_PAUSE);
    }

    /// The pause `retry` waits now, taken between two instants around its failure.
    fn pause_of(retry: &Retry, before: Instant) -> Duration {
        retry.wake_at().expect("a pause") - before
    }

    #[tokio::test]
    async fn a_failure_waits_and_a_reset_forgets() {
        let mut retry = Retry::default();
        assert!(retry.due());
        assert_eq!(retry.wake_at(), None);
        let before = Instant::now();
        retry.failed();
        assert!(!retry.due());
        assert!(pause_of(&retry, before) >= FIRST_PAUSE);
        tokio::time::sleep_until(retry.wake_at().expect("a pause")).await;
        assert!(retry.due());
        retry.woke();
        assert_eq!(retry.wake_at(), None);
        let before = Instant::now();
        retry.failed();
        let second = pause_of(&retry, before);
        assert!(second >= FIRST_PAUSE * 2 && second < FIRST_PAUSE * 3);
        retry.reset();
        assert!(retry.due());
        let before = Instant::now();
        retry.failed();
        let first = pause_of(&retry, before);
        assert!(first >= FIRST_PAUSE && first < FIRST_PAUSE * 2);
    }

    #[test]
    fn only_passing_failures_are_retried() {
        let api = |code| SdkError::Api(ApiError::new(code, "x"));
        assert!(worth_retrying(&api(ErrorCode::INTERNAL)));
        assert!(worth_retrying(&api(ErrorCode::CLUSTER_UNAVAILABLE)));
        assert!(worth_retrying(&SdkError::Connection(
            crate::error::ConnectionError::Timeout(1)
        )));
        assert!(!worth_retrying(&api(ErrorCode::CHANNEL_NOT_FOUND)));
        assert!(!worth_retrying(&api(ErrorCode::INVALID_PARAMS)));
        assert!(!worth_retrying(&SdkError::Closed));
        // What the fetches do with it: stop on a passing failure, go on otherwise.
        assert!(!interrupted("test", Ok(())));
        assert!(interrupted("test", Err(api(ErrorCode::INTERNAL))));
        assert!(!interrupted("test", Err(api(ErrorCode::CHANNEL_NOT_FOUND))));
    }

    #[tokio::test]
    async fn a_request_asked_again_stops_at_success_refusal_or_the_last_attempt() {
        use std::sync::atomic::{AtomicU32, Ordering};
        let api = |code| SdkError::Api(ApiError::new(code, "x"));
        // Two passing failures, then an answer.
        let calls = AtomicU32::new(0);
        let answer = again("test", || async {
            match calls.fetch_add(1, Ordering::SeqCst) {
                0 | 1 => Err(api(ErrorCode::CLUSTER_UNAVAILABLE)),
                n => Ok(n),
            }
        })
        .await;
        assert_eq!(answer.ok(), Some(2));
        // A refusal for good: asked once.
        let calls = AtomicU32::new(0);
        let refused: Result<(), _> = again("test", || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(api(ErrorCode::PERMISSION_DENIED))
        })
        .await;
        assert!(refused.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
