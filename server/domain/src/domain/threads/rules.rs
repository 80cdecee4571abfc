//! How an operation addressed to a thread is checked.
//!
//! A thread is addressed like a channel (its id in `channel_id`), so every message
//! operation first resolves the id to a *stream* ([`Ctx::stream`]): a channel, or a thread
//! linked to its channel ([`ThreadLink`]). The permission helpers of `access` call into
//! this module for a linked stream:
//!
//! - sight and flags are checked in the thread's channel, with `send_in_threads` in place
//!   of `send_messages` (`permissions::in_thread`); a caller who cannot see the channel
//!   gets `thread_not_found`, never the channel's own not-found or not-member codes;
//! - the thread's state then gates what would change it ([`Gate`]): an archived thread
//!   (by hand or by inactivity, `ThreadInfo::is_archived`) refuses posts and changes to
//!   its messages with `thread_archived`; a locked one refuses posts (send, edit) from
//!   members without `manage_threads` with `thread_locked`. Recalls, hiding, reading and
//!   marking read stay open: taking words back and one's own read state are not posting.

use community_protocol::permissions;
use community_protocol::{ApiError, ChannelId, CommunityId, ErrorCode, Permissions};

use crate::domain::context::{Ctx, Membership};
use crate::ids;
use crate::store::{ChannelRecord, ThreadLink};

/// What a thread's state refuses of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gate {
    /// A post (send, edit): refused when archived, and when locked unless the caller
    /// manages threads.
    Post,
    /// A change to a message (reactions, pins): refused when archived.
    Change,
    /// Nothing (reads, read state, recalls).
    Open,
}

impl Gate {
    /// The gate of an operation.
    pub fn of(op: &str) -> Gate {
        match op {
            "send_message" | "edit_message" => Gate::Post,
            "add_reaction" | "remove_reaction" | "pin_message" | "unpin_message" => Gate::Change,
            _ => Gate::Open,
        }
    }
}

/// `THREAD_NOT_FOUND` for `thread_id`.
pub(crate) fn thread_not_found(thread_id: &ChannelId) -> ApiError {
    ApiError::new(
        ErrorCode::THREAD_NOT_FOUND,
        format!("no thread {thread_id:?} you can read"),
    )
}

/// A refusal for lack of sight of a thread's channel becomes `THREAD_NOT_FOUND` (whether
/// the channel exists, or is private, is not the caller's business).
fn hide_channel(error: ApiError, thread_id: &ChannelId) -> ApiError {
    if error.code == ErrorCode::CHANNEL_NOT_FOUND || error.code == ErrorCode::NOT_CHANNEL_MEMBER {
        thread_not_found(thread_id)
    } else {
        error
    }
}

/// Whether an id names a thread (the server gives threads ids of their own prefix).
pub(crate) fn is_thread_id(id: &ChannelId) -> bool {
    id.as_str().starts_with(ids::THREAD_PREFIX)
}

impl Ctx<'_> {
    /// The message stream `channel_id` names: a channel (`CHANNEL_NOT_FOUND`), or a thread
    /// linked to its channel (`THREAD_NOT_FOUND`).
    pub fn stream(
        &self,
        community_id: &CommunityId,
        channel_id: &ChannelId,
    ) -> Result<ChannelRecord, ApiError> {
        if is_thread_id(channel_id) {
            self.thread_stream(community_id, channel_id)
        } else {
            self.channel(community_id, channel_id)
        }
    }

    /// A thread's stream linked to its thread and channel, or `THREAD_NOT_FOUND`.
    pub fn thread_stream(
        &self,
        community_id: &CommunityId,
        thread_id: &ChannelId,
    ) -> Result<ChannelRecord, ApiError> {
        let thread = self
            .tx
            .thread(community_id, thread_id)?
            .ok_or_else(|| thread_not_found(thread_id))?;
        let parent = self
            .tx
            .channel(community_id, &thread.info.parent_channel_id)?
            .ok_or_else(|| thread_not_found(thread_id))?;
        Ok(link(thread.stream(), thread, parent))
    }

    /// Fails unless the caller holds `needed` (as a channel operation would need it) in a
    /// thread: checked in its channel with `send_in_threads` for `send_messages`.
    pub fn require_in_thread(
        &self,
        membership: &Membership,
        link: &ThreadLink,
        needed: Permissions,
    ) -> Result<(), ApiError> {
        self.require_in(membership, &link.parent, permissions::in_thread(needed))
            .map_err(|error| hide_channel(error, &link.thread.info.thread_id))
    }

    /// Fails when the thread's state refuses `op` (see [`Gate`]); nothing for a channel;
    /// for a conversation, its blocks (`conversations::rules`).
    pub fn require_open(
        &self,
        membership: &Membership,
        record: &ChannelRecord,
        op: &str,
    ) -> Result<(), ApiError> {
        if record.info.community_id.is_direct() {
            return self.require_conversation_open(record, op);
        }
        let Some(link) = record.thread.as_deref() else {
            return Ok(());
        };
        let gate = Gate::of(op);
        let info = &link.thread.info;
        if gate != Gate::Open && info.is_archived(self.now) {
            return Err(ApiError::new(
                ErrorCode::THREAD_ARCHIVED,
                "the thread is archived: unarchive it first",
            ));
        }
        if gate == Gate::Post
            && info.locked
            && !self
                .channel_flags(membership, &link.parent)?
                .contains(Permissions::MANAGE_THREADS)
        {
            return Err(ApiError::new(
                ErrorCode::THREAD_LOCKED,
                "the thread is locked: only members who manage threads post",
            ));
        }
        Ok(())
    }
}

/// `stream` linked to its thread and channel.
pub(crate) fn link(
    stream: ChannelRecord,
    thread: crate::store::ThreadRecord,
    parent: ChannelRecord,
) -> ChannelRecord {
    ChannelRecord {
        thread: Some(Box::new(ThreadLink { thread, parent })),
        ..stream
    }
}
