//! The offline push hand-off (docs/PUSH.md): for a message that should notify a user with
//! no online session, a signed push request to the app's push endpoint
//! (`[webhooks] push_url`), which talks to APNs / FCM.
//!
//! The request path only *offers* a committed message ([`Shared::offer_pushes`]: a `try_send`
//! into a bounded queue, nothing awaited), so a push never delays an acknowledgement or
//! another request. One worker task takes the queue in order: the domain's candidates on a
//! blocking thread (`Domain::push_candidates`), the users with an attached session
//! dropped (the hub; with several nodes, also those connected to another node, as the
//! cross-node presence says), their tokens and badges read (`Domain::push_recipients`), then one
//! delivery task per recipient ([`deliver`]), with retries on the configured delays.
//!
//! Memory is bounded: at most [`queue::QUEUE_CAPACITY`] messages wait, and at most
//! [`IN_FLIGHT`] push requests are in flight or waiting for a retry; while they are all
//! taken the worker waits, the queue fills, and further messages are dropped, logged and
//! counted (`PushStats::dropped`).
//!
//! The presence status a user chooses is recorded in the domain
//! ([`Shared::record_presence_choice`]): the hub forgets it with the user's last session, and
//! `do_not_disturb` silences the user's pushes.

mod deliver;
pub(crate) mod queue;
mod request;

use std::sync::{Arc, Weak};

use community_protocol::{Event, UserId};
use community_server_domain::Handled;
use tokio::sync::{Semaphore, mpsc};

use crate::shared::Shared;
use queue::{IN_FLIGHT, Job};

impl Shared {
    /// Offers every message `handled` created (not written by the server) to the queue;
    /// nothing when no push endpoint is configured. Never blocks: a full queue drops the
    /// message (logged, counted). Called on the request's blocking thread, after delivery.
    pub(crate) fn offer_pushes(self: &Arc<Self>, handled: &Handled) {
        if self.hooks.config.push_url.is_none() {
            return;
        }
        for delivery in &handled.deliveries {
            let Event::MessageCreated { message } = &delivery.event else {
                continue;
            };
            if message.sender_id.as_str().is_empty() || message.seq == 0 {
                continue;
            }
            self.offer_push(Job {
                community_id: message.community_id.clone(),
                channel_id: message.channel_id.clone(),
                seq: message.seq,
            });
        }
    }

    fn offer_push(self: &Arc<Self>, job: Job) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let weak = Arc::downgrade(self);
        self.push.enqueue(job, |rx| {
            runtime.spawn(work(weak, rx));
        });
    }

    /// Records the status `user` chose, as the hub holds it when the write runs (so two
    /// quick changes cannot land out of order), on a blocking thread. Awaited by
    /// `set_presence`, so its answer means the choice is kept; a failure is logged only.
    pub(crate) async fn record_presence_choice(self: &Arc<Self>, user: &UserId) {
        let shared = Arc::clone(self);
        let user = user.clone();
        let done = tokio::task::spawn_blocking(move || {
            let status = shared.hub.own_status(&user);
            if matches!(
                status,
                community_protocol::PresenceStatus::Offline
                    | community_protocol::PresenceStatus::Unknown
            ) {
                return;
            }
            if let Err(error) = shared.domain.set_presence_choice(&user, status) {
                tracing::warn!(%error, user = %user, "presence choice not recorded");
            }
        })
        .await;
        if let Err(error) = done {
            tracing::warn!(%error, "presence choice task failed");
        }
    }
}

/// The worker: one message at a time, in commit order; ends when the server is gone.
async fn work(shared: Weak<Shared>, mut queue: mpsc::Receiver<Job>) {
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    while let Some(job) = queue.recv().await {
        let Some(strong) = shared.upgrade() else {
            break;
        };
        let pushes = match prepare(strong, job).await {
            Ok(pushes) => pushes,
            Err(error) => {
                tracing::warn!(%error, "push candidates could not be read");
                continue;
            }
        };
        for push in pushes {
            let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
                return;
            };
            tokio::spawn(deliver::deliver(push, slot));
        }
    }
}

/// The push requests of one message: candidates, the online ones dropped, recipients.
async fn prepare(shared: Arc<Shared>, job: Job) -> Result<Vec<deliver::Push>, PushError> {
    let Some(url) = shared.hooks.config.push_url.clone() else {
        return Ok(Vec::new());
    };
    let reader = Arc::clone(&shared);
    let candidates = tokio::task::spawn_blocking(move || {
        reader
            .domain
            .push_candidates(&job.community_id, &job.channel_id, job.seq)
    })
    .await??;
    let Some(candidates) = candidates else {
        return Ok(Vec::new());
    };
    if candidates.truncated {
        tracing::warn!(
            channel = %candidates.message.channel_id,
            seq = candidates.message.seq,
            "push targets truncated"
        );
    }
    let (offline, mentioned): (Vec<UserId>, Vec<bool>) = candidates
        .targets
        .iter()
        .filter(|target| {
            !shared.hub.is_attached(&target.user_id)
                && !shared.hub.connected_elsewhere(&target.user_id)
        })
        .map(|target| (target.user_id.clone(), target.mentioned))
        .unzip();
    if offline.is_empty() {
        return Ok(Vec::new());
    }
    let reader = Arc::clone(&shared);
    let asked = offline.clone();
    let (channel_id, seq) = (
        candidates.message.channel_id.clone(),
        candidates.message.seq,
    );
    let recipients = tokio::task::spawn_blocking(move || {
        reader.domain.push_recipients(&channel_id, seq, &asked)
    })
    .await??;
    let hooks = Arc::clone(&shared.hooks);
    let stats = Arc::clone(&shared.push.stats);
    drop(shared);
    let mut pushes = Vec::with_capacity(recipients.len());
    for recipient in recipients {
        let at = offline.iter().position(|u| *u == recipient.user_id);
        let mentioned = at.and_then(|i| mentioned.get(i).copied()).unwrap_or(false);
        let (push_id, body) = request::body(&candidates.message, &recipient, mentioned)?;
        pushes.push(deliver::Push {
            hooks: Arc::clone(&hooks),
            stats: Arc::clone(&stats),
            url: url.clone(),
            push_id,
            body,
        });
    }
    Ok(pushes)
}

/// Why a message's pushes could not be prepared.
#[derive(Debug, thiserror::Error)]
enum PushError {
    /// The domain failed.
    #[error("domain: {0}")]
    Domain(#[from] community_protocol::ApiError),
    /// The blocking task failed.
    #[error("task: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// The body could not be encoded.
    #[error("encoding: {0}")]
    Encode(#[from] serde_json::Error),
}
