//! [`ChannelThread`]: a handle on one thread of a channel, wrapping
//! `community_sdk::ThreadHandle`. Its own plain forwarding methods (info, counts, join,
//! leave, update, delete) are generated (`generated.rs`, from `ops_table/rows/thread.rs`);
//! its message stream is a [`Channel`] ([`ChannelThread::messages`]), so sending, history,
//! the timeline, read positions and changes to messages are the channel's calls.
//!
//! It is named `ChannelThread`, not `Thread`, so that it never shadows
//! `java.lang.Thread` in Kotlin or Foundation's `Thread` in Swift.

use std::sync::Arc;

use super::Channel;

/// A handle on one thread. Cheap; creating one does no I/O; reads come from the cache.
#[derive(Debug, uniffi::Object)]
pub struct ChannelThread {
    pub(super) inner: community_sdk::ThreadHandle,
}

impl ChannelThread {
    pub(crate) fn new(inner: community_sdk::ThreadHandle) -> Arc<ChannelThread> {
        Arc::new(ChannelThread { inner })
    }
}

#[uniffi::export]
impl ChannelThread {
    /// The thread's id (its messages carry it as their `channel_id`).
    pub fn id(&self) -> String {
        self.inner.id().to_string()
    }

    /// The channel it lives in.
    pub fn channel_id(&self) -> String {
        self.inner.channel_id().to_string()
    }

    /// Its message stream: a `Channel` on the thread's id whose calls (`send`,
    /// `messages`, `subscribe_messages`, `mark_read`, `edit_message`, `add_reaction`,
    /// `pin_message`…) work as in a channel, checked in the thread's channel as the server
    /// checks them (`send_in_threads`; `thread_archived`, `thread_locked`).
    pub fn messages(&self) -> Arc<Channel> {
        Channel::new(self.inner.messages())
    }
}
