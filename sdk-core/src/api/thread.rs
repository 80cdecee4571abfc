//! Threads from the app's side: [`ThreadHandle`] (join, leave, rename, archive, lock,
//! delete, and its message stream), starting threads and listing them from a channel, and
//! the joined threads of a community.
//!
//! A thread's messages are a stream like a channel's: [`ThreadHandle::messages`] is a
//! [`ChannelHandle`] on the thread's id (send, history, timeline, read position, edits,
//! reactions…), checked in the thread's channel as the server checks it.

use std::sync::Arc;

use community_protocol::request::{
    CreateThread, ListJoinedThreads, ListThreads, ThreadRef, UpdateThread,
};
use community_protocol::response::ThreadsPage;
use community_protocol::{
    ApiError, ChannelHead, ChannelId, CommunityId, ErrorCode, Permissions, Seq, ThreadInfo, op,
};

use super::channel::ChannelHandle;
use super::client::ClientInner;
use super::community::CommunityHandle;
use crate::error::SdkError;
use crate::events::{Sink, Subscription, queue};
use crate::model::{ChannelUnread, ListDiff, ThreadEntry};
use crate::sync::LocalUpdate;

/// A new thread.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewThread {
    /// Its name (1..=100 bytes).
    pub name: String,
    /// The message of the channel it starts from (one thread per message); `None` for a
    /// free-standing thread.
    pub parent_seq: Option<Seq>,
    /// Archive after this long without a message (the deployment's default when `None`).
    pub auto_archive_ms: Option<u64>,
}

/// A change to a thread: absent fields stay as they are.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ThreadUpdate {
    /// New name.
    pub name: Option<String>,
    /// Archive or unarchive.
    pub archived: Option<bool>,
    /// Lock or unlock (`manage_threads`).
    pub locked: Option<bool>,
    /// New auto-archive delay (`manage_threads`).
    pub auto_archive_ms: Option<u64>,
}

/// A handle on one thread. Cheap to clone; creating one does no I/O.
#[derive(Clone)]
pub struct ThreadHandle {
    client: Arc<ClientInner>,
    community_id: CommunityId,
    thread_id: ChannelId,
    channel_id: ChannelId,
}

impl std::fmt::Debug for ThreadHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreadHandle")
            .field("community_id", &self.community_id)
            .field("thread_id", &self.thread_id)
            .field("channel_id", &self.channel_id)
            .finish()
    }
}

impl ThreadHandle {
    pub(crate) fn new(
        client: Arc<ClientInner>,
        community_id: CommunityId,
        thread_id: ChannelId,
        channel_id: ChannelId,
    ) -> Self {
        Self {
            client,
            community_id,
            thread_id,
            channel_id,
        }
    }

    /// The thread's id.
    pub fn id(&self) -> &ChannelId {
        &self.thread_id
    }

    /// The channel it lives in.
    pub fn channel_id(&self) -> &ChannelId {
        &self.channel_id
    }

    fn thread_ref(&self) -> ThreadRef {
        ThreadRef {
            community_id: self.community_id.clone(),
            thread_id: self.thread_id.clone(),
        }
    }

    /// Its message stream: send, history, timeline, read position, edits, reactions,
    /// pins — as a channel's.
    pub fn messages(&self) -> ChannelHandle {
        ChannelHandle::of_thread(
            self.client.clone(),
            self.community_id.clone(),
            self.thread_id.clone(),
            self.channel_id.clone(),
        )
    }

    /// The thread as cached (`None` when not joined).
    pub fn info(&self) -> Option<ThreadInfo> {
        self.client.session().ok()?.read(|state| {
            state
                .joined_thread(&self.community_id, &self.thread_id)
                .cloned()
        })
    }

    /// Its unread and mention counts (`None` when not joined).
    pub fn unread(&self) -> Option<ChannelUnread> {
        let session = self.client.session().ok()?;
        session.read(|state| {
            let counter = state.counter(&self.community_id, &self.thread_id)?;
            Some(ChannelUnread {
                community_id: self.community_id.clone(),
                channel_id: self.thread_id.clone(),
                read_seq: counter.read_seq,
                last_seq: counter.last_seq,
                unread_count: counter.unread,
                mention_count: counter.mentions,
            })
        })
    }

    /// The thread from the server (and the cache refreshed when joined).
    pub async fn fetch(&self) -> Result<ThreadInfo, SdkError> {
        let session = self.client.session()?;
        let thread = session.call(op::GetThread(self.thread_ref())).await?;
        session.apply(LocalUpdate::Thread(thread.clone())).await;
        Ok(thread)
    }

    /// Joins the thread: its messages come live, its unread messages count (on every
    /// device of the user). Returns the user's head for it.
    pub async fn join(&self) -> Result<ChannelHead, SdkError> {
        let session = self.client.session()?;
        session.read(|state| {
            state.require_op_at("join_thread", &self.community_id, &self.channel_id, None)
        })?;
        let joined = session.call(op::JoinThread(self.thread_ref())).await?;
        let head = joined.head.clone();
        session.apply(LocalUpdate::ThreadJoined(joined)).await;
        Ok(head)
    }

    /// Leaves the thread.
    pub async fn leave(&self) -> Result<(), SdkError> {
        let session = self.client.session()?;
        session.call(op::LeaveThread(self.thread_ref())).await?;
        session
            .apply(LocalUpdate::ThreadLeft(
                self.community_id.clone(),
                self.thread_id.clone(),
            ))
            .await;
        Ok(())
    }

    /// Renames, archives or unarchives, locks or unlocks the thread (its creator may
    /// rename and archive; `manage_threads` may do everything).
    pub async fn update(&self, update: ThreadUpdate) -> Result<ThreadInfo, SdkError> {
        let session = self.client.session()?;
        session.read(|state| -> Result<(), ApiError> {
            if let Some(name) = &update.name {
                state.limits.check_channel_name(name)?;
            }
            if let Some(ms) = update.auto_archive_ms {
                state.limits.check_auto_archive(ms)?;
            }
            if update.locked.is_some() || update.auto_archive_ms.is_some() {
                state.require(
                    &self.community_id,
                    Some(&self.channel_id),
                    Permissions::MANAGE_THREADS,
                )?;
            }
            Ok(())
        })?;
        let thread = session
            .call(op::UpdateThread(UpdateThread {
                community_id: self.community_id.clone(),
                thread_id: self.thread_id.clone(),
                name: update.name,
                archived: update.archived,
                locked: update.locked,
                auto_archive_ms: update.auto_archive_ms,
            }))
            .await?;
        session.apply(LocalUpdate::Thread(thread.clone())).await;
        Ok(thread)
    }

    /// Deletes the thread and its messages (`manage_threads`).
    pub async fn delete(&self) -> Result<(), SdkError> {
        let session = self.client.session()?;
        session.read(|state| {
            state.require_op_at("delete_thread", &self.community_id, &self.channel_id, None)
        })?;
        session.call(op::DeleteThread(self.thread_ref())).await?;
        session
            .apply(LocalUpdate::ThreadLeft(
                self.community_id.clone(),
                self.thread_id.clone(),
            ))
            .await;
        Ok(())
    }
}

impl ChannelHandle {
    /// Starts a thread here, from one of this channel's messages or free-standing
    /// (`create_threads`); the user joins it.
    pub async fn create_thread(&self, thread: NewThread) -> Result<ThreadHandle, SdkError> {
        if self.thread_parent().is_some() {
            return Err(ApiError::new(
                ErrorCode::INVALID_ARGUMENT,
                "threads are started in channels, not in threads",
            )
            .into());
        }
        let session = self.client.session()?;
        session.read(|state| -> Result<(), ApiError> {
            state.limits.check_channel_name(&thread.name)?;
            if let Some(ms) = thread.auto_archive_ms {
                state.limits.check_auto_archive(ms)?;
            }
            state.require_op_at("create_thread", self.community_id(), self.id(), None)
        })?;
        let info = session
            .call(op::CreateThread(CreateThread {
                community_id: self.community_id().clone(),
                channel_id: self.id().clone(),
                name: thread.name,
                parent_seq: thread.parent_seq,
                auto_archive_ms: thread.auto_archive_ms,
            }))
            .await?;
        session.apply(LocalUpdate::Thread(info.clone())).await;
        Ok(self.thread(info.thread_id))
    }

    /// A handle on one of this channel's threads (no I/O).
    pub fn thread(&self, thread_id: impl Into<ChannelId>) -> ThreadHandle {
        ThreadHandle::new(
            self.client.clone(),
            self.community_id().clone(),
            thread_id.into(),
            self.id().clone(),
        )
    }

    /// A page of this channel's threads, active or archived, newest activity first.
    pub async fn threads(
        &self,
        archived: bool,
        cursor: Option<String>,
        limit: Option<u32>,
    ) -> Result<ThreadsPage, SdkError> {
        let session = self.client.session()?;
        session.read(|state| state.limits.page_size(limit))?;
        session
            .call(op::ListThreads(ListThreads {
                community_id: self.community_id().clone(),
                channel_id: self.id().clone(),
                archived,
                cursor,
                limit,
            }))
            .await
    }

    /// The channel's active threads (first page), then their changes as they happen:
    /// started, renamed, archived, active (`Update`), deleted (`Remove`).
    pub async fn subscribe_threads(
        &self,
    ) -> Result<Subscription<Vec<ListDiff<ThreadInfo>>>, SdkError> {
        let (outlet, inlet) = queue();
        // Register first, then read: nothing can fall in between (a thread may show up in
        // both; diffs are upserts by id).
        self.client.hub.register(Sink::Threads(
            self.community_id().clone(),
            self.id().clone(),
            outlet,
        ));
        let page = self.threads(false, None, None).await?;
        Ok(Subscription::new(
            vec![ListDiff::Reset(page.threads)],
            inlet,
        ))
    }

    /// Unread and mention counts summed over the user's joined threads of this channel.
    pub fn threads_unread(&self) -> (u64, u64) {
        let Ok(session) = self.client.session() else {
            return (0, 0);
        };
        session.read(|state| {
            state
                .joined_threads(self.community_id())
                .iter()
                .filter(|(info, _)| &info.parent_channel_id == self.id())
                .fold((0, 0), |(u, m), (_, head)| {
                    (u + head.unread_count, m + head.mention_count)
                })
        })
    }
}

impl CommunityHandle {
    /// The threads the user joined here, as cached, newest activity first.
    pub fn joined_threads(&self) -> Vec<ThreadEntry> {
        let Ok(session) = self.session() else {
            return Vec::new();
        };
        session.read(|state| {
            state
                .joined_threads(self.id())
                .into_iter()
                .map(|(info, head)| ThreadEntry { info, head })
                .collect()
        })
    }

    /// A page of the user's joined threads from the server, newest activity first.
    pub async fn joined_threads_page(
        &self,
        cursor: Option<String>,
        limit: Option<u32>,
    ) -> Result<ThreadsPage, SdkError> {
        let session = self.session()?;
        session.read(|state| state.limits.page_size(limit))?;
        session
            .call(op::ListJoinedThreads(ListJoinedThreads {
                community_id: self.id().clone(),
                cursor,
                limit,
            }))
            .await
    }

    /// A handle on a thread of channel `channel_id` (no I/O).
    pub fn thread(
        &self,
        thread_id: impl Into<ChannelId>,
        channel_id: impl Into<ChannelId>,
    ) -> ThreadHandle {
        self.channel(channel_id.into()).thread(thread_id)
    }
}
