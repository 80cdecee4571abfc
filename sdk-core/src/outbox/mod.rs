//! The outbox: the durable queue of the user's messages and of the changes they make to
//! existing messages ([`changes`]), and the driver that carries both out ([`driver`]).
//!
//! [`Book`] is the one place an outbox entry changes: each change is written to the store
//! and its local echo published in the same step (queued, sent, failed, put back,
//! discarded), so a timeline never shows an echo the store no longer holds. A message is
//! stored (state `sending`) and its echo published before anything touches the network,
//! so a message the app was told about survives a crash or a restart.
//!
//! The driver ([`run`]) works while the session is `Ready`: it sends the pending entries
//! one by one with their idempotency keys (a resend after a lost answer returns the
//! message stored the first time: never a duplicate) and ends each in `Sent { seq }` or
//! `Failed { error }` — `Sent { seq: 0 }` when the deployment's content check discarded
//! it silently (protocol §23.2: nothing is stored, its echo is removed with `Discarded`).
//! Transient refusals (rate limit, server trouble) and connection
//! losses leave the entry `sending` to be retried; permanent refusals mark it failed with
//! the server's typed error. Sent entries stay (the newest 1,000) so a local message can
//! still be looked up by its id.

pub(crate) mod changes;
mod driver;

use std::sync::Arc;
use std::time::Duration;

use community_protocol::{ApiError, ErrorCode, Message, Seq, UserId};
use tokio::sync::Notify;

use crate::error::SdkError;
use crate::events::{Hub, Publication, Sink, Subscription, queue};
use crate::model::{LocalMessage, MessageUpdate, SendState};
use crate::store::{OutboxEntry, OutboxState, Store};

pub(crate) use changes::ChangeBook;
pub(crate) use driver::{OutboxContext, run};

/// The future of [`Book::subscribe`] (named, so that a resync can make another).
pub(crate) type SubscribeFuture = std::pin::Pin<
    Box<dyn Future<Output = Result<Subscription<Vec<MessageUpdate>>, SdkError>> + Send>,
>;

/// Pause after a transient failure before trying the queue again.
pub(super) const RETRY_PAUSE: Duration = Duration::from_millis(250);

/// The outbox as the rest of the SDK sees it: every change written and published at once.
#[derive(Clone)]
pub(crate) struct Book {
    user_id: UserId,
    pub(super) store: Store,
    pub(super) hub: Arc<Hub>,
    pub(super) wake: Arc<Notify>,
}

impl Book {
    /// The book of `user_id`'s outbox in `store`, publishing to `hub`; `wake` wakes the
    /// driver.
    pub(crate) fn new(user_id: UserId, store: Store, hub: Arc<Hub>, wake: Arc<Notify>) -> Self {
        Self {
            user_id,
            store,
            hub,
            wake,
        }
    }

    /// The local echo of an entry.
    pub(crate) fn echo(&self, entry: &OutboxEntry) -> LocalMessage {
        LocalMessage {
            local_id: entry.idempotency_key.clone(),
            community_id: entry.community_id.clone(),
            channel_id: entry.channel_id.clone(),
            sender_id: self.user_id.clone(),
            content: entry.content.clone(),
            mentions: entry.mentions.clone(),
            reply_to: entry.reply_to,
            priority: entry.priority,
            created_at_ms: entry.created_at_ms,
            state: entry.state.clone(),
            custom_data: entry.custom_data.clone(),
            forward_of: entry.forward_of.clone(),
        }
    }

    fn publish(&self, entry: &OutboxEntry, update: MessageUpdate) {
        self.hub.publish([Publication::Message {
            community_id: entry.community_id.clone(),
            channel_id: entry.channel_id.clone(),
            update,
        }]);
    }

    fn publish_echo(&self, entry: &OutboxEntry) {
        self.publish(entry, MessageUpdate::Local(self.echo(entry)));
    }

    /// Stores `entry` durably, publishes its echo and wakes the driver.
    pub(crate) async fn enqueue(&self, entry: OutboxEntry) -> Result<LocalMessage, SdkError> {
        self.store.outbox_enqueue(entry.clone()).await?;
        self.publish_echo(&entry);
        self.wake.notify_one();
        Ok(self.echo(&entry))
    }

    /// Puts a failed entry back in the queue; false when it was not failed.
    pub(crate) async fn retry(&self, key: &str) -> Result<bool, SdkError> {
        let retried = self.store.outbox_retry(key.to_string()).await?;
        if retried && let Some(entry) = self.store.outbox_entry(key.to_string()).await? {
            self.publish_echo(&entry);
            self.wake.notify_one();
        }
        Ok(retried)
    }

    /// Discards an entry not sent yet (sending or failed) and publishes its removal;
    /// false when there was none (unknown, or sent already).
    pub(crate) async fn discard(&self, key: &str) -> Result<bool, SdkError> {
        let Some(entry) = self.store.outbox_entry(key.to_string()).await? else {
            return Ok(false);
        };
        let discarded = self.store.outbox_discard(key.to_string()).await?;
        if discarded {
            let local_id = entry.idempotency_key.clone();
            self.publish(&entry, MessageUpdate::Discarded { local_id });
        }
        Ok(discarded)
    }

    /// Marks an entry sent with the server's message (stored in the same transaction) and
    /// publishes the echo; returns whether the message was new to the cache.
    pub(super) async fn mark_sent(
        &self,
        mut entry: OutboxEntry,
        message: &Message,
    ) -> Result<bool, SdkError> {
        let outcome = self
            .store
            .outbox_mark_sent(entry.idempotency_key.clone(), message.clone())
            .await?;
        entry.state = OutboxState::Sent { seq: message.seq };
        self.publish_echo(&entry);
        Ok(outcome.message_inserted)
    }

    /// Marks an entry sent that the server discarded (its answer has `seq` 0, protocol
    /// §23.2): nothing is stored, the entry stays as `Sent { seq: 0 }` (so waiting for it
    /// succeeds) and the echo's removal is published (`Discarded`).
    pub(super) async fn mark_dropped(
        &self,
        entry: OutboxEntry,
        message: &Message,
    ) -> Result<(), SdkError> {
        self.store
            .outbox_mark_sent(entry.idempotency_key.clone(), message.clone())
            .await?;
        let local_id = entry.idempotency_key.clone();
        self.publish(&entry, MessageUpdate::Discarded { local_id });
        Ok(())
    }

    /// Marks an entry failed and publishes the echo.
    pub(super) async fn mark_failed(
        &self,
        mut entry: OutboxEntry,
        error: ApiError,
    ) -> Result<(), SdkError> {
        self.store
            .outbox_mark_failed(entry.idempotency_key.clone(), error.clone())
            .await?;
        entry.state = OutboxState::Failed { error };
        self.publish_echo(&entry);
        Ok(())
    }

    /// One entry's echo by its local id (also recently sent ones).
    pub(crate) async fn get(&self, key: &str) -> Result<Option<LocalMessage>, SdkError> {
        let entry = self.store.outbox_entry(key.to_string()).await?;
        Ok(entry.as_ref().map(|entry| self.echo(entry)))
    }

    /// Every entry's echo (any state; recently sent ones too), in enqueue order.
    pub(crate) async fn all(&self) -> Result<Vec<LocalMessage>, SdkError> {
        let entries = self.store.outbox_all().await?;
        Ok(entries.iter().map(|entry| self.echo(entry)).collect())
    }

    /// Echo changes of every channel from now on (`Local` and `Discarded`). It ends when
    /// it falls far behind (or the client closes).
    fn updates(&self) -> Subscription<Vec<MessageUpdate>> {
        let (outlet, inlet) = queue();
        self.hub.register(Sink::Outbox(outlet));
        Subscription::new(Vec::new(), inlet)
    }

    /// The whole outbox first (one `Reset` with every echo in `pending`), then `Local` and
    /// `Discarded` changes; a subscriber that falls far behind gets a fresh `Reset`.
    pub(crate) fn subscribe(&self) -> SubscribeFuture {
        let book = self.clone();
        Box::pin(async move {
            // Subscribe first, then read: nothing can fall in between (an echo may show
            // up in both; updates are upserts by `local_id`).
            let updates = book.updates();
            let pending = book.all().await?;
            let initial = vec![MessageUpdate::Reset {
                messages: Vec::new(),
                pending,
            }];
            Ok(updates.with_initial(initial).with_resync(move || {
                let fresh = book.subscribe();
                Box::pin(async move { fresh.await.ok() })
            }))
        })
    }

    /// Waits until the message `key` is sent (its sequence; 0 when the server's content
    /// check discarded it) or refused (the server's typed error). Unknown or discarded by
    /// the user: `message_not_found`; the client closed: `closed`.
    pub(crate) async fn wait_for_send(&self, key: &str) -> Result<Seq, SdkError> {
        loop {
            // Subscribe before reading, so no change can fall in between; after falling
            // behind, do both again.
            let mut updates = self.updates();
            let mut current = self.get(key).await?;
            loop {
                match current.as_ref().map(|echo| &echo.state) {
                    None => {
                        return Err(ApiError::new(
                            ErrorCode::MESSAGE_NOT_FOUND,
                            format!("no local message {key} (unknown or discarded)"),
                        )
                        .into());
                    }
                    Some(SendState::Sent { seq }) => return Ok(*seq),
                    Some(SendState::Failed { error }) => {
                        return Err(SdkError::Api(error.clone()));
                    }
                    Some(_) => {}
                }
                let Some(batch) = updates.next().await else {
                    break;
                };
                for update in batch {
                    match update {
                        MessageUpdate::Local(echo) if echo.local_id == key => {
                            current = Some(echo);
                        }
                        MessageUpdate::Discarded { local_id } if local_id == key => {
                            // Gone from the timeline: discarded by the user (no entry
                            // left), or by the server's content check (sent at seq 0).
                            current = self.get(key).await?;
                        }
                        _ => {}
                    }
                }
            }
            if self.hub.is_closed() {
                return Err(SdkError::Closed);
            }
        }
    }
}
