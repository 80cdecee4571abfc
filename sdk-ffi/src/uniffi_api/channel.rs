//! [`Channel`]: a handle on one channel, wrapping `community_sdk::ChannelHandle`. The
//! plain forwarding methods are generated (`generated.rs`, from `ops_table/rows.rs`); these are
//! the others.

use std::sync::Arc;

use super::call_on;
use super::listeners::report;
use super::{ChannelThread, MessageListener, ThreadListListener};
use crate::error::SdkError;
use crate::records::{NewThread, map_vec};
use crate::subscription::{TaskHandle, pump};

/// A handle on one channel, or on a thread's message stream (`ChannelThread.messages()`,
/// whose calls are checked in the thread's channel). Cheap; reads come from the cache.
#[derive(Debug, uniffi::Object)]
pub struct Channel {
    pub(super) inner: community_sdk::ChannelHandle,
}

impl Channel {
    pub(crate) fn new(inner: community_sdk::ChannelHandle) -> Arc<Channel> {
        Arc::new(Channel { inner })
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl Channel {
    /// The community's id.
    pub fn community_id(&self) -> String {
        self.inner.community_id().to_string()
    }

    /// The channel's id (the thread's, for a thread's message stream).
    pub fn id(&self) -> String {
        self.inner.id().to_string()
    }

    /// Timeline changes: the newest cached messages and pending echoes first, then new
    /// messages (`Inserted`), changed ones (`Updated`: edits, recalls, reactions, pins,
    /// reply previews; replace by sequence), hidden ones (`Removed`), the state of changes
    /// made on this device (`Change`) and echo changes (`Local`, `Discarded`).
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

    /// Starts a thread here, from one of this channel's messages (`parent_seq`; one
    /// thread per message, else `thread_exists`) or free-standing (`create_threads`); the
    /// user joins it.
    pub async fn create_thread(&self, thread: NewThread) -> Result<Arc<ChannelThread>, SdkError> {
        call_on(&self.inner, |c| async move {
            c.create_thread(thread.into()).await
        })
        .await
        .map(ChannelThread::new)
    }

    /// A handle on one of this channel's threads (no I/O).
    pub fn thread(&self, thread_id: String) -> Arc<ChannelThread> {
        ChannelThread::new(self.inner.thread(thread_id))
    }

    /// The channel's thread list: its active threads (the first page, from the server)
    /// first, then threads started or changed (`Update`) and deleted (`Remove`).
    pub async fn subscribe_threads(
        &self,
        listener: Arc<dyn ThreadListListener>,
    ) -> Result<Arc<TaskHandle>, SdkError> {
        let subscription =
            call_on(&self.inner, |c| async move { c.subscribe_threads().await }).await?;
        pump(subscription, move |diffs| {
            report(listener.on_update(map_vec(diffs)))
        })
        .map(TaskHandle::new)
    }
}
