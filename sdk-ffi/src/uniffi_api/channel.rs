//! [`Channel`]: a handle on one channel, wrapping `community_sdk::ChannelHandle`.

use std::sync::Arc;

use super::MessageListener;
use super::call_on;
use super::listeners::report;
use crate::error::SdkError;
use crate::records::{
    ChannelEntry, ChannelHead, ChannelInfo, ChannelUnread, ChannelUpdate, LocalMessage, Message,
    MessageContent, SendOptions, UsersOutcome, map_vec,
};
use crate::subscription::{TaskHandle, pump};

/// A handle on one channel. Cheap; reads come from the cache.
#[derive(Debug, uniffi::Object)]
pub struct Channel {
    inner: community_sdk::ChannelHandle,
}

impl Channel {
    pub(crate) fn new(inner: community_sdk::ChannelHandle) -> Arc<Channel> {
        Arc::new(Channel { inner })
    }

    /// The SDK's handle (for the C ABI's subscriptions).
    pub(crate) fn sdk_handle(&self) -> community_sdk::ChannelHandle {
        self.inner.clone()
    }
}

#[uniffi::export]
impl Channel {
    /// The community's id.
    pub fn community_id(&self) -> String {
        self.inner.community_id().to_owned()
    }

    /// The channel's id.
    pub fn id(&self) -> String {
        self.inner.id().to_owned()
    }

    /// The channel as cached, with its head (`None` when not visible or not cached).
    pub fn entry(&self) -> Option<ChannelEntry> {
        self.inner.entry().map(Into::into)
    }

    /// Its unread and mention counts (`None` when not cached).
    pub fn unread(&self) -> Option<ChannelUnread> {
        self.inner.unread().map(Into::into)
    }

    /// Sends a message. Returns at once with the local echo (state `Sending`), already
    /// durable; it is sent when connected and ends `Sent` or `Failed` (see
    /// `subscribe_messages`).
    pub async fn send(
        &self,
        content: MessageContent,
        options: SendOptions,
    ) -> Result<LocalMessage, SdkError> {
        call_on(&self.inner, |c| async move {
            c.send(content.into(), options.into()).await.map(Into::into)
        })
        .await
    }

    /// Sends a text message with default options.
    pub async fn send_text(&self, text: String) -> Result<LocalMessage, SdkError> {
        call_on(&self.inner, |c| async move {
            c.send_text(text).await.map(Into::into)
        })
        .await
    }

    /// Puts a failed message back in the queue. False when it was not failed.
    pub async fn retry_send(&self, local_id: String) -> Result<bool, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.retry_send(&local_id).await
        })
        .await
    }

    /// Discards an unsent or failed message. False when unknown.
    pub async fn discard(&self, local_id: String) -> Result<bool, SdkError> {
        call_on(
            &self.inner,
            move |c| async move { c.discard(&local_id).await },
        )
        .await
    }

    /// The user's messages of this channel not sent yet, or failed.
    pub async fn pending(&self) -> Result<Vec<LocalMessage>, SdkError> {
        call_on(
            &self.inner,
            |c| async move { c.pending().await.map(map_vec) },
        )
        .await
    }

    /// A page of history, whole and ascending: up to `limit` (1..=100) messages with
    /// `seq < before_seq` (the newest when `None`). Gaps are filled from the server.
    pub async fn messages(
        &self,
        before_seq: Option<u64>,
        limit: u32,
    ) -> Result<Vec<Message>, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.messages(before_seq, limit).await.map(map_vec)
        })
        .await
    }

    /// Timeline changes: the newest cached messages and pending echoes first, then new
    /// messages and echo state changes.
    pub async fn subscribe_messages(
        &self,
        listener: Arc<dyn MessageListener>,
    ) -> Result<Arc<TaskHandle>, SdkError> {
        let subscription =
            call_on(&self.inner, |c| async move { c.subscribe_messages().await }).await?;
        pump(subscription, move |updates| {
            report(listener.on_update(map_vec(updates)))
        })
        .map(TaskHandle::new)
    }

    /// Marks everything up to `seq` read (never backwards); returns the new head.
    pub async fn mark_read(&self, seq: u64) -> Result<ChannelHead, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.mark_read(seq).await.map(Into::into)
        })
        .await
    }

    /// Marks every message read.
    pub async fn mark_all_read(&self) -> Result<ChannelHead, SdkError> {
        call_on(&self.inner, |c| async move {
            c.mark_all_read().await.map(Into::into)
        })
        .await
    }

    /// Changes the channel (owner / admin).
    pub async fn update(&self, update: ChannelUpdate) -> Result<ChannelInfo, SdkError> {
        call_on(&self.inner, |c| async move {
            c.update(update.into()).await.map(Into::into)
        })
        .await
    }

    /// Deletes the channel and its messages (owner / admin; not the default channel).
    pub async fn delete(&self) -> Result<(), SdkError> {
        call_on(&self.inner, |c| async move { c.delete().await }).await
    }

    /// Adds members to a private channel (owner / admin).
    pub async fn add_members(&self, user_ids: Vec<String>) -> Result<UsersOutcome, SdkError> {
        call_on(&self.inner, |c| async move {
            c.add_members(user_ids).await.map(Into::into)
        })
        .await
    }

    /// Removes members from a private channel (owner / admin).
    pub async fn remove_members(&self, user_ids: Vec<String>) -> Result<UsersOutcome, SdkError> {
        call_on(&self.inner, |c| async move {
            c.remove_members(user_ids).await.map(Into::into)
        })
        .await
    }

    /// The explicit members of a private channel.
    pub async fn members(&self) -> Result<Vec<String>, SdkError> {
        call_on(&self.inner, |c| async move { c.members().await }).await
    }
}
