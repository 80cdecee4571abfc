//! The after-events feed: records the events of each committed request in the queue
//! ([`EventSink::record`], on the request's blocking thread, under its ordering lane) and
//! delivers them to `events_url` ([`run`], a task of the running server).
//!
//! Delivery is at least once and in order per partition (a community, or one
//! conversation): one worker per partition with events waiting sends them one at a time,
//! retrying a failed one on the configured delays before moving it to the dead letters, so
//! a failing community holds up only its own later events. Workers of different
//! partitions run side by side (at most [`MAX_IN_FLIGHT`] requests at once).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use community_protocol::UserId;
use community_server_domain::Handled;
use serde::Serialize;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

use super::events::{self, AfterEvent};
use super::queue::{EventQueue, NewEvent, QueueError, Queued};
use super::{HookUrl, Hooks};

/// Event requests in flight at once, over all partitions.
pub const MAX_IN_FLIGHT: usize = 32;

/// Events read from the queue at a time by one partition's worker.
const BATCH: u32 = 64;

/// How long a worker waits before reading the queue again after a database error.
const QUEUE_RETRY: std::time::Duration = std::time::Duration::from_secs(1);

/// The recording side of the feed, kept in [`Hooks`].
#[derive(Debug)]
pub struct EventSink {
    queue: Arc<EventQueue>,
    wake: mpsc::UnboundedSender<String>,
}

/// What is POSTed: the event with its id.
#[derive(Serialize)]
struct Envelope<'a> {
    event_id: &'a str,
    #[serde(flatten)]
    event: &'a AfterEvent,
}

impl EventSink {
    /// A sink writing to `queue` and waking the delivery task through `wake`.
    pub fn new(queue: Arc<EventQueue>, wake: mpsc::UnboundedSender<String>) -> Self {
        Self { queue, wake }
    }

    /// Writes the after-events of a committed request to the queue and wakes their
    /// partitions' workers. Blocks (SQLite): call it on the request's blocking thread,
    /// right after the commit and before the ordering lane is released. A failure is
    /// logged: the request itself has succeeded.
    pub fn record(&self, caller: &UserId, op: &str, handled: &Handled) {
        let now_ms = now_ms();
        let derived = events::derive(op, caller, handled, now_ms);
        if derived.is_empty() {
            return;
        }
        let mut rows = Vec::with_capacity(derived.len());
        for event in &derived {
            let event_id = format!("ev_{}", uuid::Uuid::new_v4().simple());
            let body = match serde_json::to_string(&Envelope {
                event_id: &event_id,
                event,
            }) {
                Ok(body) => body,
                Err(error) => {
                    tracing::error!(%error, kind = event.kind(), "after-event not encoded");
                    continue;
                }
            };
            rows.push(NewEvent {
                event_id,
                partition: event.partition(),
                kind: event.kind().to_owned(),
                body,
                created_at_ms: now_ms,
            });
        }
        if let Err(error) = self.queue.push(&rows) {
            tracing::error!(%error, op, lost = rows.len(), "after-events not written to the queue");
            return;
        }
        for row in rows {
            // The task is gone only when the server stops: the queue keeps the events.
            let _ = self.wake.send(row.partition);
        }
    }

    /// The queue (tests and tools read its dead letters).
    pub fn queue(&self) -> &Arc<EventQueue> {
        &self.queue
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// What every worker shares.
struct Worker {
    hooks: Arc<Hooks>,
    url: HookUrl,
    queue: Arc<EventQueue>,
    in_flight: Semaphore,
}

/// Delivers the queued events until the task is aborted (server shutdown or kill; the
/// workers are aborted with it and the queue keeps what was not acknowledged). `wake`
/// names partitions that got new events.
pub async fn run(
    hooks: Arc<Hooks>,
    url: HookUrl,
    queue: Arc<EventQueue>,
    mut wake: mpsc::UnboundedReceiver<String>,
) {
    let shared = Arc::new(Worker {
        hooks,
        url,
        queue,
        in_flight: Semaphore::new(MAX_IN_FLIGHT),
    });
    // Partition → whether it was woken again since its worker started.
    let mut running: HashMap<String, bool> = HashMap::new();
    let mut tasks: HashMap<tokio::task::Id, String> = HashMap::new();
    let mut workers = JoinSet::new();
    let start = |partition: String,
                 workers: &mut JoinSet<()>,
                 tasks: &mut HashMap<tokio::task::Id, String>| {
        let worker = Arc::clone(&shared);
        let name = partition.clone();
        let handle = workers.spawn(async move { drain(&worker, &name).await });
        tasks.insert(handle.id(), partition);
    };
    match blocking(&shared.queue, EventQueue::partitions).await {
        Ok(waiting) => {
            for partition in waiting {
                running.insert(partition.clone(), false);
                start(partition, &mut workers, &mut tasks);
            }
        }
        Err(error) => tracing::error!(%error, "after-events waiting in the queue not read"),
    }
    loop {
        tokio::select! {
            Some(partition) = wake.recv() => {
                if let Some(woken) = running.get_mut(&partition) {
                    *woken = true;
                } else {
                    running.insert(partition.clone(), false);
                    start(partition, &mut workers, &mut tasks);
                }
            }
            Some(done) = workers.join_next_with_id() => {
                let id = match &done {
                    Ok((id, ())) => *id,
                    Err(error) => {
                        tracing::error!(%error, "after-event worker failed");
                        error.id()
                    }
                };
                let Some(partition) = tasks.remove(&id) else { continue };
                // Woken meanwhile: its newest events may have come after the last read.
                if running.remove(&partition) == Some(true) {
                    running.insert(partition.clone(), false);
                    start(partition, &mut workers, &mut tasks);
                }
            }
            else => return,
        }
    }
}

/// Sends the partition's waiting events in order until none is left.
async fn drain(worker: &Worker, partition: &str) {
    let mut after = 0;
    loop {
        let name = partition.to_owned();
        let batch = blocking(&worker.queue, move |queue| queue.next(&name, after, BATCH)).await;
        let batch = match batch {
            Ok(batch) => batch,
            Err(error) => {
                tracing::error!(%error, partition, "after-events not read from the queue");
                tokio::time::sleep(QUEUE_RETRY).await;
                continue;
            }
        };
        if batch.is_empty() {
            return;
        }
        for queued in batch {
            after = queued.id;
            deliver(worker, queued).await;
        }
    }
}

/// Sends one event until it is acknowledged or dead.
async fn deliver(worker: &Worker, queued: Queued) {
    let config = &worker.hooks.config;
    let mut attempts = queued.attempts;
    loop {
        let outcome = {
            let _permit = worker.in_flight.acquire().await;
            worker
                .hooks
                .client
                .post_json(
                    &worker.url,
                    Some(&queued.event.event_id),
                    queued.event.body.clone().into_bytes(),
                    config.request_timeout,
                )
                .await
        };
        let failure = match outcome {
            Ok(reply) if reply.is_success() => {
                let id = queued.id;
                if let Err(error) = blocking(&worker.queue, move |queue| queue.ack(id)).await {
                    tracing::error!(%error, "acknowledged after-event not removed; sent again later");
                }
                return;
            }
            Ok(reply) => format!("answered {}", reply.status),
            Err(error) => error.to_string(),
        };
        attempts = attempts.saturating_add(1);
        let Some(delay) = usize::try_from(attempts - 1)
            .ok()
            .and_then(|at| config.event_retry_delays.get(at))
            .copied()
        else {
            tracing::error!(
                event_id = queued.event.event_id,
                kind = queued.event.kind,
                partition = queued.event.partition,
                attempts,
                failure,
                "after-event failed every attempt: moved to the dead letters"
            );
            let now = now_ms();
            let dead = queued.clone();
            let written = blocking(&worker.queue, move |queue| {
                queue.dead_letter(&dead, attempts, &failure, now)
            })
            .await;
            if let Err(error) = written {
                tracing::error!(%error, "dead letter not written");
            }
            return;
        };
        tracing::debug!(
            event_id = queued.event.event_id,
            attempts,
            failure,
            "after-event failed; retrying"
        );
        let id = queued.id;
        if let Err(error) = blocking(&worker.queue, move |queue| {
            queue.note_attempts(id, attempts)
        })
        .await
        {
            tracing::warn!(%error, "after-event attempts not recorded");
        }
        tokio::time::sleep(delay).await;
    }
}

/// Runs a queue operation on a blocking thread.
pub async fn blocking<T: Send + 'static>(
    queue: &Arc<EventQueue>,
    body: impl FnOnce(&EventQueue) -> Result<T, QueueError> + Send + 'static,
) -> Result<T, QueueError> {
    let queue = Arc::clone(queue);
    tokio::task::spawn_blocking(move || body(&queue))
        .await
        .map_err(|e| QueueError::Task(e.to_string()))?
}
