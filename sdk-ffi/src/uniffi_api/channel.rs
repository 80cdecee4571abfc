//! [`Channel`]: a handle on one channel, wrapping `community_sdk::ChannelHandle`. The
//! plain forwarding methods are generated (`generated.rs`, from `ops_table/rows.rs`); these are
//! the others.

use std::sync::Arc;

use super::MessageListener;
use super::call_on;
use super::listeners::report;
use crate::error::SdkError;
use crate::records::map_vec;
use crate::subscription::{TaskHandle, pump};

/// A handle on one channel. Cheap; reads come from the cache.
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

    /// The channel's id.
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
}
