//! One push request's delivery: a signed POST to the push endpoint within
//! `request_timeout`, retried after each of `event_retry_delays` while the push is still
//! fresh ([`MAX_AGE`]: a notification minutes late is worse than none). A 2xx answer is
//! delivered; a 4xx other than 408 and 429 is a refusal, not retried. Every end is
//! counted; a push given up is logged.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio::sync::OwnedSemaphorePermit;

use super::queue::PushStats;
use crate::webhooks::{HookUrl, Hooks};

/// A push is not retried later than this after its first attempt.
pub(crate) const MAX_AGE: Duration = Duration::from_secs(180);

/// One push request ready to go.
pub(crate) struct Push {
    pub hooks: Arc<Hooks>,
    pub stats: Arc<PushStats>,
    pub url: HookUrl,
    pub push_id: String,
    pub body: Vec<u8>,
}

/// Sends `push`, retrying as configured; `slot` is held until it ends.
pub(crate) async fn deliver(push: Push, slot: OwnedSemaphorePermit) {
    let started = Instant::now();
    let config = &push.hooks.config;
    let mut delays = config.event_retry_delays.iter();
    loop {
        let outcome = push
            .hooks
            .client
            .post_json(
                &push.url,
                Some(&push.push_id),
                push.body.clone(),
                config.request_timeout,
            )
            .await;
        let reason = match outcome {
            Ok(reply) if reply.is_success() => {
                push.stats.sent.fetch_add(1, Ordering::Relaxed);
                break;
            }
            Ok(reply) if refused(reply.status.as_u16()) => {
                push.stats.failed.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(push_id = %push.push_id, status = %reply.status, "push refused");
                break;
            }
            Ok(reply) => format!("status {}", reply.status),
            Err(error) => error.to_string(),
        };
        match delays.next() {
            Some(delay) if started.elapsed() + *delay <= MAX_AGE => {
                tracing::debug!(push_id = %push.push_id, %reason, ?delay, "push retried");
                tokio::time::sleep(*delay).await;
            }
            _ => {
                push.stats.failed.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(push_id = %push.push_id, %reason, "push given up");
                break;
            }
        }
    }
    drop(slot);
}

/// A 4xx other than 408 (timeout) and 429 (too many requests): the endpoint refused this
/// push for good.
fn refused(status: u16) -> bool {
    (400..500).contains(&status) && status != 408 && status != 429
}
