//! [`Community`]: a handle on one community, wrapping `community_sdk::CommunityHandle`.
//! The plain forwarding methods are generated (`generated.rs`, from `ops_table/rows.rs`); these
//! are the others.

use std::sync::Arc;

use super::call_on;
use super::listeners::report;
use super::{Channel, ChannelListListener, ChannelThread};
use crate::error::SdkError;
use crate::records::{NewChannel, map_vec};
use crate::subscription::{TaskHandle, pump};

/// A handle on one community. Cheap; holds no data of its own (reads come from the cache).
#[derive(Debug, uniffi::Object)]
pub struct Community {
    pub(super) inner: community_sdk::CommunityHandle,
}

impl Community {
    pub(crate) fn new(inner: community_sdk::CommunityHandle) -> Arc<Community> {
        Arc::new(Community { inner })
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl Community {
    /// The community's id.
    pub fn id(&self) -> String {
        self.inner.id().to_string()
    }

    /// A handle on one of its channels.
    pub fn channel(&self, channel_id: String) -> Arc<Channel> {
        Channel::new(self.inner.channel(channel_id))
    }

    /// A handle on thread `thread_id` of channel `channel_id` (no I/O).
    pub fn thread(&self, thread_id: String, channel_id: String) -> Arc<ChannelThread> {
        ChannelThread::new(self.inner.thread(thread_id, channel_id))
    }

    /// Channel list changes: the whole list first, then diffs.
    pub fn subscribe_channels(
        &self,
        listener: Arc<dyn ChannelListListener>,
    ) -> Result<Arc<TaskHandle>, SdkError> {
        let subscription = self.inner.subscribe_channels();
        pump(subscription, move |diffs| {
            report(listener.on_update(map_vec(diffs)))
        })
        .map(TaskHandle::new)
    }

    /// Creates a channel (`manage_channels`).
    pub async fn create_channel(&self, channel: NewChannel) -> Result<Arc<Channel>, SdkError> {
        call_on(&self.inner, |c| async move {
            c.create_channel(channel.into()).await
        })
        .await
        .map(Channel::new)
    }
}
