//! The outbox driver: sends the durable queue of the user's messages, in order.
//!
//! [`enqueue`] stores a message in the store's outbox (state `sending`) and publishes its
//! local echo before anything touches the network, so a message the app was told about
//! survives a crash or a restart. The driver runs while the session is `Ready`, sends the
//! pending entries one by one with their idempotency keys (a resend after a lost answer
//! returns the message stored the first time: never a duplicate), and ends each in
//! `Sent { seq }` or `Failed { error }`. Transient refusals (rate limit, server trouble)
//! and connection losses leave the entry `sending` to be retried; permanent refusals mark
//! it failed with the server's typed error.

use std::sync::Arc;
use std::time::Duration;

use community_protocol::request::SendMessage;
use community_protocol::{ErrorCode, ErrorKind, Request, Response};
use tracing::Instrument;

use crate::error::SdkError;
use crate::events::Publication;
use crate::model::{LocalMessage, MessageUpdate};
use crate::session::{Phase, UserSession};
use crate::store::{OutboxEntry, OutboxState};
use crate::sync::{LocalUpdate, publish_new_messages};

/// Pause after a transient failure before trying the queue again.
const RETRY_PAUSE: Duration = Duration::from_millis(250);

/// The local echo of an outbox entry.
pub(crate) fn echo(entry: &OutboxEntry, sender_id: &str) -> LocalMessage {
    LocalMessage {
        local_id: entry.idempotency_key.clone(),
        community_id: entry.community_id.clone(),
        channel_id: entry.channel_id.clone(),
        sender_id: sender_id.to_string(),
        content: entry.content.clone(),
        mentions: entry.mentions.clone(),
        reply_to: entry.reply_to,
        priority: entry.priority,
        created_at_ms: entry.created_at_ms,
        state: entry.state.clone(),
    }
}

fn publish_echo(session: &UserSession, echo: LocalMessage) {
    session.hub.publish([Publication::Message {
        community_id: echo.community_id.clone(),
        channel_id: echo.channel_id.clone(),
        update: MessageUpdate::Local(echo),
    }]);
}

/// Stores `entry` durably, publishes its echo and wakes the driver.
pub(crate) async fn enqueue(
    session: &UserSession,
    entry: OutboxEntry,
) -> Result<LocalMessage, SdkError> {
    session.store.outbox_enqueue(entry.clone()).await?;
    let echo = echo(&entry, &session.user_id);
    publish_echo(session, echo.clone());
    session.outbox_wake.notify_one();
    Ok(echo)
}

/// What to do after one entry.
enum Next {
    /// Go on with the next entry.
    Continue,
    /// Stop this round and try again after a pause.
    Pause(Duration),
}

/// The driver's body.
pub(crate) async fn run(session: Arc<UserSession>) {
    // An entry is marked sent, then removed; a stop in between leaves it behind.
    match session.store.outbox_remove_sent().await {
        Ok(0) => {}
        Ok(count) => tracing::debug!(count, "sent outbox entries cleaned up"),
        Err(error) => tracing::warn!(%error, "cannot clean up sent outbox entries"),
    }
    let mut phase = session.phase.subscribe();
    loop {
        while *phase.borrow_and_update() != Phase::Ready {
            if phase.changed().await.is_err() {
                return;
            }
        }
        let pending = match session.store.outbox_pending().await {
            Ok(pending) => pending,
            Err(error) => {
                tracing::error!(%error, "cannot read the outbox");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if pending.is_empty() {
            tokio::select! {
                _ = session.outbox_wake.notified() => {}
                _ = phase.changed() => {}
            }
            continue;
        }
        tracing::debug!(count = pending.len(), "sending the outbox");
        for entry in pending {
            if *session.phase.borrow() != Phase::Ready {
                break;
            }
            match send_one(&session, entry).await {
                Next::Continue => {}
                Next::Pause(pause) => {
                    tokio::time::sleep(pause).await;
                    break;
                }
            }
        }
    }
}

async fn send_one(session: &UserSession, entry: OutboxEntry) -> Next {
    let span = tracing::debug_span!("outbox.send", key = %entry.idempotency_key);
    send_entry(session, entry).instrument(span).await
}

async fn send_entry(session: &UserSession, entry: OutboxEntry) -> Next {
    let key = entry.idempotency_key.clone();
    let request = Request::SendMessage(SendMessage {
        community_id: entry.community_id.clone(),
        channel_id: entry.channel_id.clone(),
        idempotency_key: key.clone(),
        content: entry.content.clone(),
        mentions: entry.mentions.clone(),
        reply_to: entry.reply_to,
        priority: entry.priority,
    });
    match session.request(request).await {
        Ok(Response::MessageSent(message)) => {
            let outcome = match session
                .store
                .outbox_mark_sent(key.clone(), message.clone())
                .await
            {
                Ok(outcome) => outcome,
                Err(error) => {
                    tracing::error!(%error, "cannot mark an outbox entry sent");
                    return Next::Pause(Duration::from_secs(1));
                }
            };
            let mut sent = entry;
            sent.state = OutboxState::Sent { seq: message.seq };
            publish_echo(session, echo(&sent, &session.user_id));
            if outcome.message_inserted {
                publish_new_messages(session, vec![message.clone()]);
            }
            session.apply(LocalUpdate::Sent(message)).await;
            if let Err(error) = session.store.outbox_remove(key).await {
                tracing::warn!(%error, "cannot drop a sent outbox entry");
            }
            Next::Continue
        }
        Ok(other) => {
            tracing::warn!(?other, "unexpected answer to send_message");
            Next::Pause(Duration::from_secs(1))
        }
        Err(SdkError::Api(error))
            if error.code == ErrorCode::CHANNEL_RATE_LIMITED
                || error.code == ErrorCode::NOT_LOGGED_IN
                || error.code == ErrorCode::CLIENT_RATE_LIMITED
                || error.kind() == ErrorKind::Server =>
        {
            tracing::debug!(%error, "send refused for now; will retry");
            Next::Pause(RETRY_PAUSE)
        }
        Err(SdkError::Api(error)) => {
            tracing::info!(%error, "send refused");
            if let Err(store_error) = session.store.outbox_mark_failed(key, error.clone()).await {
                tracing::error!(%store_error, "cannot mark an outbox entry failed");
                return Next::Pause(Duration::from_secs(1));
            }
            let mut failed = entry;
            failed.state = OutboxState::Failed { error };
            publish_echo(session, echo(&failed, &session.user_id));
            Next::Continue
        }
        Err(error) => {
            tracing::debug!(%error, "send interrupted; will retry");
            Next::Pause(RETRY_PAUSE)
        }
    }
}

/// Puts a failed entry back in the queue.
pub(crate) async fn retry(session: &UserSession, key: &str) -> Result<bool, SdkError> {
    let retried = session.store.outbox_retry(key.to_string()).await?;
    if retried && let Some(entry) = session.store.outbox_entry(key.to_string()).await? {
        publish_echo(session, echo(&entry, &session.user_id));
        session.outbox_wake.notify_one();
    }
    Ok(retried)
}
