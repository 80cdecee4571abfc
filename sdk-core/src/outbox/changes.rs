//! Changes made on this device to existing messages (edit, recall, reactions, pins, hide):
//! shown at once, kept durably, carried out once, rolled back when refused.
//!
//! [`ChangeBook`] is the one place such a change's state moves. Queuing it stores it
//! (state `pending`) and shows its local echo before anything touches the network: the
//! cached message is replaced by what it will look like (published `Updated`), or, for a
//! hide, removed from timelines (`Removed`). The driver (`super::driver`) carries the
//! queue out in order while connected; an edit carries its key as idempotency key and
//! every other change is idempotent on the server, so a resend after a lost answer changes
//! nothing twice. The server's answer settles it `done` (its change applied like an event,
//! counted once) or `failed` with the typed error; a refused change's echo is rolled back
//! to the server's copy of the message.

use std::sync::Arc;

use community_protocol::{
    ApiError, ChangeKind, ErrorCode, Message, MessageChange, REACTION_USERS_SHOWN, UserId,
};
use tokio::sync::Notify;

use crate::error::SdkError;
use crate::events::{Hub, Publication, Sink, Subscription, queue};
use crate::model::{ChangeAction, ChangeState, MessageUpdate, PendingChange};
use crate::store::{Change, Replacement, Store};
use crate::sync::{publish_new_messages, publish_updated};

/// The queue of changes made on this device, as the rest of the SDK sees it.
#[derive(Clone)]
pub(crate) struct ChangeBook {
    user_id: UserId,
    pub(super) store: Store,
    pub(super) hub: Arc<Hub>,
    pub(super) wake: Arc<Notify>,
}

impl ChangeBook {
    /// The change queue of `user_id` in `store`, publishing to `hub`; `wake` wakes the
    /// driver.
    pub(crate) fn new(user_id: UserId, store: Store, hub: Arc<Hub>, wake: Arc<Notify>) -> Self {
        Self {
            user_id,
            store,
            hub,
            wake,
        }
    }

    fn publish(&self, entry: &PendingChange, update: MessageUpdate) {
        self.hub.publish([Publication::Message {
            community_id: entry.community_id.clone(),
            channel_id: entry.channel_id.clone(),
            update,
        }]);
    }

    /// Stores `entry` durably, shows its echo, publishes its state and wakes the driver.
    pub(crate) async fn enqueue(&self, entry: PendingChange) -> Result<PendingChange, SdkError> {
        self.store.pending_enqueue(entry.clone()).await?;
        self.show_echo(&entry).await?;
        self.publish(&entry, MessageUpdate::Change(entry.clone()));
        self.wake.notify_one();
        Ok(entry)
    }

    /// Shows what the change will do to the cached message (nothing when not cached).
    async fn show_echo(&self, entry: &PendingChange) -> Result<(), SdkError> {
        if entry.action == ChangeAction::Hide {
            self.publish(entry, MessageUpdate::Removed { seq: entry.seq });
            return Ok(());
        }
        let Some(cached) = self
            .store
            .cached_message(entry.channel_id.clone(), entry.seq)
            .await?
        else {
            return Ok(());
        };
        if let Some(echo) = echo(&cached, entry, &self.user_id) {
            let echo = Replacement {
                message: echo,
                as_of: None,
            };
            let applied = self
                .store
                .apply(vec![Change::ReplaceMessages(vec![echo])])
                .await?;
            publish_updated(&self.hub, applied.updated_messages);
        }
        Ok(())
    }

    /// Settles an entry done (its change, if any, is applied by the caller).
    pub(super) async fn mark_done(
        &self,
        mut entry: PendingChange,
        change_seq: Option<u64>,
    ) -> Result<(), SdkError> {
        entry.state = ChangeState::Done { change_seq };
        self.store
            .pending_settle(entry.key.clone(), entry.state.clone())
            .await?;
        self.publish(&entry, MessageUpdate::Change(entry.clone()));
        Ok(())
    }

    /// Settles an entry failed and rolls its echo back to `current` (the server's copy
    /// of the message, when it could be read, and the change sequence it includes).
    pub(super) async fn mark_failed(
        &self,
        mut entry: PendingChange,
        error: ApiError,
        current: Option<(Message, u64)>,
    ) -> Result<(), SdkError> {
        entry.state = ChangeState::Failed { error };
        self.store
            .pending_settle(entry.key.clone(), entry.state.clone())
            .await?;
        if let Some((current, as_of)) = current {
            if entry.action == ChangeAction::Hide {
                // The message was taken out of timelines: put it back.
                let new = self.store.insert_messages(vec![current.clone()]).await?;
                if new.is_empty() {
                    self.publish(&entry, MessageUpdate::Inserted(current));
                } else {
                    publish_new_messages(&self.hub, new);
                }
            } else {
                let rollback = Replacement {
                    message: current,
                    as_of: Some(as_of),
                };
                let applied = self
                    .store
                    .apply(vec![Change::ReplaceMessages(vec![rollback])])
                    .await?;
                publish_updated(&self.hub, applied.updated_messages);
            }
        }
        self.publish(&entry, MessageUpdate::Change(entry.clone()));
        Ok(())
    }

    /// Changes still to carry out, in order.
    pub(super) async fn pending(&self) -> Result<Vec<PendingChange>, SdkError> {
        Ok(self.store.pending_changes().await?)
    }

    /// Every change kept (pending, and the recently settled ones), in order.
    pub(crate) async fn all(&self) -> Result<Vec<PendingChange>, SdkError> {
        Ok(self.store.pending_all().await?)
    }

    /// Waits until the change `key` is done (the change's number in its channel, absent
    /// when nothing needed changing) or refused (the server's typed error). Unknown:
    /// `message_not_found`; the client closed: `closed`.
    pub(crate) async fn wait(&self, key: &str) -> Result<Option<u64>, SdkError> {
        loop {
            // Subscribe before reading, so no change can fall in between.
            let mut updates = self.updates();
            let mut current = self.store.pending_entry(key.to_string()).await?;
            loop {
                match current.as_ref().map(|entry| &entry.state) {
                    None => {
                        return Err(ApiError::new(
                            ErrorCode::MESSAGE_NOT_FOUND,
                            format!("no change {key} made on this device"),
                        )
                        .into());
                    }
                    Some(ChangeState::Done { change_seq }) => return Ok(*change_seq),
                    Some(ChangeState::Failed { error }) => {
                        return Err(SdkError::Api(error.clone()));
                    }
                    Some(_) => {}
                }
                let Some(batch) = updates.next().await else {
                    break;
                };
                for update in batch {
                    if let MessageUpdate::Change(entry) = update
                        && entry.key == key
                    {
                        current = Some(entry);
                    }
                }
            }
            if self.hub.is_closed() {
                return Err(SdkError::Closed);
            }
        }
    }

    fn updates(&self) -> Subscription<Vec<MessageUpdate>> {
        let (outlet, inlet) = queue();
        self.hub.register(Sink::Outbox(outlet));
        Subscription::new(Vec::new(), inlet)
    }
}

/// What `entry` will make of `message` (`None`: nothing visible changes).
pub(crate) fn echo(message: &Message, entry: &PendingChange, me: &UserId) -> Option<Message> {
    let kind = match &entry.action {
        ChangeAction::Edit(edit) => ChangeKind::Edited {
            content: edit
                .content
                .clone()
                .unwrap_or_else(|| message.content.clone()),
            mentions: edit
                .mentions
                .clone()
                .unwrap_or_else(|| message.mentions.clone()),
            previous_mentions: message.mentions.clone(),
            custom_data: edit
                .custom_data
                .clone()
                .unwrap_or_else(|| message.custom_data.clone()),
            edit_count: message.edit_count.saturating_add(1),
        },
        ChangeAction::Recall => ChangeKind::Recalled {
            sender_id: message.sender_id.clone(),
            mentions: message.mentions.clone(),
        },
        ChangeAction::AddReaction { emoji } => {
            let current = message.reaction(emoji);
            if current.is_some_and(|r| r.me) {
                return None;
            }
            let mut users = current.map(|r| r.users.clone()).unwrap_or_default();
            if users.len() < REACTION_USERS_SHOWN {
                users.push(me.clone());
            }
            ChangeKind::ReactionAdded {
                emoji: emoji.clone(),
                count: current.map_or(1, |r| r.count.saturating_add(1)),
                users,
            }
        }
        ChangeAction::RemoveReaction { emoji } => {
            let current = message.reaction(emoji).filter(|r| r.me)?;
            ChangeKind::ReactionRemoved {
                emoji: emoji.clone(),
                count: current.count.saturating_sub(1),
                users: current.users.iter().filter(|u| *u != me).cloned().collect(),
            }
        }
        ChangeAction::Pin => ChangeKind::Pinned,
        ChangeAction::Unpin => ChangeKind::Unpinned,
        ChangeAction::Hide => return None,
    };
    let change = MessageChange {
        community_id: entry.community_id.clone(),
        channel_id: entry.channel_id.clone(),
        change_seq: 0,
        seq: entry.seq,
        by: me.clone(),
        at_ms: entry.created_at_ms,
        kind,
    };
    let mut echoed = message.clone();
    echoed.apply_change(&change, me);
    (echoed != *message).then_some(echoed)
}
