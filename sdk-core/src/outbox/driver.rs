//! The driver: sends the outbox and carries out the changes made on this device, in
//! order, while the session is `Ready`.
//!
//! Transient refusals (rate limit, server trouble) and connection losses leave an entry
//! to be retried after a pause; permanent refusals (`message_rejected` by the content
//! check among them) settle it failed with the server's typed error. A send answered
//! with `seq` 0 was discarded by the content check: it is done, its echo goes away.

use std::time::Duration;

use community_protocol::request::{EditMessage, GetMessages, MessageReaction, SendMessage};
use community_protocol::{ApiError, ErrorCode, ErrorKind, Message, MessageRef, op};
use tokio::sync::watch;
use tracing::Instrument;

use super::changes::ChangeBook;
use super::{Book, RETRY_PAUSE};
use crate::connection::ConnectionHandle;
use crate::error::SdkError;
use crate::model::{ChangeAction, PendingChange};
use crate::phase::Phase;
use crate::store::OutboxEntry;
use crate::sync::{Applier, LocalUpdate};

/// What the driver works with.
pub(crate) struct OutboxContext {
    pub book: Book,
    pub changes: ChangeBook,
    pub connection: ConnectionHandle,
    pub phase: watch::Receiver<Phase>,
    pub applier: Applier,
}

/// What to do after one entry.
enum Next {
    /// Go on with the next entry.
    Continue,
    /// Stop this round and try again after a pause.
    Pause(Duration),
}

/// The driver's body.
pub(crate) async fn run(mut cx: OutboxContext) {
    loop {
        loop {
            match &*cx.phase.borrow_and_update() {
                Phase::Ready => break,
                // The session stopped for good: so does the driver.
                Phase::Ended(_) => return,
                Phase::Offline | Phase::Syncing => {}
            }
            if cx.phase.changed().await.is_err() {
                return;
            }
        }
        let queued = async {
            let sends = cx.book.store.outbox_pending().await?;
            let changes = cx.changes.pending().await?;
            Ok::<_, SdkError>((sends, changes))
        };
        let (pending, changes) = match queued.await {
            Ok(queued) => queued,
            Err(error) => {
                tracing::error!(%error, "cannot read the outbox");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if pending.is_empty() && changes.is_empty() {
            tokio::select! {
                _ = cx.book.wake.notified() => {}
                _ = cx.phase.changed() => {}
            }
            continue;
        }
        tracing::debug!(
            sends = pending.len(),
            changes = changes.len(),
            "working through the outbox"
        );
        let mut paused = false;
        for entry in pending {
            if *cx.phase.borrow() != Phase::Ready {
                paused = true;
                break;
            }
            let span = tracing::debug_span!("outbox.send", key = %entry.idempotency_key);
            match send_entry(&cx, entry).instrument(span).await {
                Next::Continue => {}
                Next::Pause(pause) => {
                    tokio::time::sleep(pause).await;
                    paused = true;
                    break;
                }
            }
        }
        if paused {
            continue;
        }
        for entry in changes {
            if *cx.phase.borrow() != Phase::Ready {
                break;
            }
            let span = tracing::debug_span!("outbox.change", key = %entry.key, seq = entry.seq);
            match carry_out(&cx, entry).instrument(span).await {
                Next::Continue => {}
                Next::Pause(pause) => {
                    tokio::time::sleep(pause).await;
                    break;
                }
            }
        }
    }
}

/// True for refusals that may pass later: the entry is retried.
fn transient(error: &ApiError) -> bool {
    error.code == ErrorCode::CHANNEL_RATE_LIMITED
        || error.code == ErrorCode::NOT_LOGGED_IN
        || error.code == ErrorCode::CLIENT_RATE_LIMITED
        || error.kind() == ErrorKind::Server
}

/// Carries out one change made on this device.
async fn carry_out(cx: &OutboxContext, entry: PendingChange) -> Next {
    let result = request_change(&cx.connection, &entry).await;
    let settled = match result {
        Ok(Answer::Changed(outcome)) => {
            let change_seq = outcome.change.as_ref().map(|c| c.change_seq);
            cx.applier.apply(LocalUpdate::Changed(outcome)).await;
            cx.changes.mark_done(entry, change_seq).await
        }
        Ok(Answer::Head(head)) => {
            cx.applier.apply(LocalUpdate::Head(head)).await;
            cx.changes.mark_done(entry, None).await
        }
        Err(SdkError::Api(error)) if transient(&error) => {
            tracing::debug!(%error, "change refused for now; will retry");
            return Next::Pause(RETRY_PAUSE);
        }
        Err(SdkError::Api(error)) => {
            tracing::info!(%error, "change refused");
            let current = current_copy(&cx.connection, &entry).await;
            cx.changes.mark_failed(entry, error, current).await
        }
        Err(error) => {
            tracing::debug!(%error, "change interrupted; will retry");
            return Next::Pause(RETRY_PAUSE);
        }
    };
    match settled {
        Ok(()) => Next::Continue,
        Err(error) => {
            tracing::error!(%error, "cannot settle a change");
            Next::Pause(Duration::from_secs(1))
        }
    }
}

/// What the server answers to a change.
enum Answer {
    /// The message changed (or needed no change).
    Changed(Box<community_protocol::response::ChangeOutcome>),
    /// The user's head after a hide.
    Head(community_protocol::ChannelHead),
}

async fn request_change(
    connection: &ConnectionHandle,
    entry: &PendingChange,
) -> Result<Answer, SdkError> {
    let message = MessageRef {
        community_id: entry.community_id.clone(),
        channel_id: entry.channel_id.clone(),
        seq: entry.seq,
    };
    let reaction = |emoji: &String| MessageReaction {
        community_id: entry.community_id.clone(),
        channel_id: entry.channel_id.clone(),
        seq: entry.seq,
        emoji: emoji.clone(),
    };
    let outcome = match &entry.action {
        ChangeAction::Edit(edit) => {
            connection
                .call(op::EditMessage(EditMessage {
                    community_id: entry.community_id.clone(),
                    channel_id: entry.channel_id.clone(),
                    seq: entry.seq,
                    idempotency_key: entry.key.clone(),
                    content: edit.content.clone(),
                    mentions: edit.mentions.clone(),
                    custom_data: edit.custom_data.clone(),
                }))
                .await?
        }
        ChangeAction::Recall => connection.call(op::RecallMessage(message)).await?,
        ChangeAction::AddReaction { emoji } => {
            connection.call(op::AddReaction(reaction(emoji))).await?
        }
        ChangeAction::RemoveReaction { emoji } => {
            connection.call(op::RemoveReaction(reaction(emoji))).await?
        }
        ChangeAction::Pin => connection.call(op::PinMessage(message)).await?,
        ChangeAction::Unpin => connection.call(op::UnpinMessage(message)).await?,
        ChangeAction::Hide => {
            return Ok(Answer::Head(
                connection.call(op::HideMessage(message)).await?,
            ));
        }
    };
    Ok(Answer::Changed(Box::new(outcome)))
}

/// The server's copy of the message a refused change was about (to roll the echo back),
/// with the channel's change sequence it includes.
async fn current_copy(
    connection: &ConnectionHandle,
    entry: &PendingChange,
) -> Option<(Message, u64)> {
    let page = connection
        .call(op::GetMessages(GetMessages {
            community_id: entry.community_id.clone(),
            channel_id: entry.channel_id.clone(),
            before_seq: None,
            after_seq: Some(entry.seq.saturating_sub(1)),
            limit: Some(1),
        }))
        .await
        .ok()?;
    let change_seq = page.change_seq;
    page.messages
        .into_iter()
        .find(|m| m.seq == entry.seq)
        .map(|m| (m, change_seq))
}

async fn send_entry(cx: &OutboxContext, entry: OutboxEntry) -> Next {
    let request = op::SendMessage(SendMessage {
        community_id: entry.community_id.clone(),
        channel_id: entry.channel_id.clone(),
        idempotency_key: entry.idempotency_key.clone(),
        content: entry.content.clone(),
        mentions: entry.mentions.clone(),
        reply_to: entry.reply_to,
        priority: entry.priority,
        custom_data: entry.custom_data.clone(),
        forward_of: entry.forward_of.clone(),
    });
    match cx.connection.call(request).await {
        Ok(message) if message.seq == 0 => {
            // The deployment's content check discarded it silently (protocol §23.2): the
            // send is done, nothing is stored, the echo goes away.
            tracing::info!("send discarded by the server's content check");
            if let Err(error) = cx.book.mark_dropped(entry, &message).await {
                tracing::error!(%error, "cannot mark an outbox entry sent");
                return Next::Pause(Duration::from_secs(1));
            }
            Next::Continue
        }
        Ok(message) => {
            let inserted = match cx.book.mark_sent(entry, &message).await {
                Ok(inserted) => inserted,
                Err(error) => {
                    tracing::error!(%error, "cannot mark an outbox entry sent");
                    return Next::Pause(Duration::from_secs(1));
                }
            };
            if inserted {
                crate::sync::publish_new_messages(&cx.book.hub, vec![message.clone()]);
            }
            cx.applier.apply(LocalUpdate::Sent(message)).await;
            Next::Continue
        }
        Err(SdkError::Api(error)) if transient(&error) => {
            tracing::debug!(%error, "send refused for now; will retry");
            Next::Pause(RETRY_PAUSE)
        }
        Err(SdkError::Api(error)) => {
            tracing::info!(%error, "send refused");
            if let Err(store_error) = cx.book.mark_failed(entry, error).await {
                tracing::error!(%store_error, "cannot mark an outbox entry failed");
                return Next::Pause(Duration::from_secs(1));
            }
            Next::Continue
        }
        Err(error) => {
            tracing::debug!(%error, "send interrupted; will retry");
            Next::Pause(RETRY_PAUSE)
        }
    }
}
