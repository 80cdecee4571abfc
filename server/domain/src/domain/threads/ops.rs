//! Starting, changing and deleting threads.
//!
//! - `create_thread` (`create_threads` in the channel): from a message of the channel (not
//!   recalled; at most one thread per message, `thread_exists`) or free-standing; at most
//!   `max_active_threads_per_channel` active threads per channel (`too_many_threads`); the
//!   creator joins. Threads do not nest (a thread's id is refused as the channel).
//! - `update_thread`: its creator may rename it and archive or unarchive it while it is
//!   not locked; members holding `manage_threads` may change everything (lock, auto-archive
//!   delay). Unarchiving also revives a thread archived by inactivity: its last activity
//!   becomes now, so `ThreadInfo::is_archived` answers false on both sides; it counts
//!   towards the active threads again (`too_many_threads`).
//! - `delete_thread` (`manage_threads`): the thread and its messages go.
//!
//! Each change is told to the channel's readers (`thread_updated` / `thread_removed`),
//! followed by the digest when it changed (`thread_digest`).

use community_protocol::request::{CreateThread, ThreadRef, UpdateThread};
use community_protocol::{
    ApiError, ChannelId, ErrorCode, Event, Permissions, Response, ThreadInfo,
};

use super::digest::{announce, updated};
use super::membership::join_creator;
use super::rules::is_thread_id;
use crate::domain::changes::message_not_found;
use crate::domain::context::{Ctx, Membership};
use crate::ids;
use crate::store::{ChannelRecord, NewThread, ThreadLink, ThreadRecord};

/// Fails with `TOO_MANY_THREADS` when the channel has its maximum of active threads.
fn check_room(cx: &Ctx<'_>, channel_id: &ChannelId) -> Result<(), ApiError> {
    let max = cx.limits.max_active_threads_per_channel;
    let active = cx.tx.active_thread_count(channel_id, cx.now)?;
    if usize::try_from(active).unwrap_or(usize::MAX) >= max {
        return Err(ApiError::new(
            ErrorCode::TOO_MANY_THREADS,
            format!("a channel has at most {max} active threads"),
        ));
    }
    Ok(())
}

/// `create_thread`.
pub(crate) fn create(cx: &mut Ctx<'_>, p: CreateThread) -> Result<Response, ApiError> {
    if p.community_id.is_direct() {
        return Err(ApiError::new(
            ErrorCode::INVALID_ARGUMENT,
            "conversations have no threads",
        ));
    }
    let membership = cx.membership(&p.community_id)?;
    if is_thread_id(&p.channel_id) {
        return Err(ApiError::new(
            ErrorCode::INVALID_ARGUMENT,
            "threads live in channels: a thread cannot have threads",
        ));
    }
    let channel = cx.channel(&p.community_id, &p.channel_id)?;
    cx.require_op(
        &membership,
        "create_thread",
        Some(&channel),
        Permissions::NONE,
    )?;
    cx.limits.check_channel_name(&p.name)?;
    let auto_archive_ms = p
        .auto_archive_ms
        .unwrap_or(cx.limits.thread_auto_archive_ms);
    cx.limits.check_auto_archive(auto_archive_ms)?;
    if let Some(seq) = p.parent_seq {
        let message = cx
            .tx
            .message(&p.channel_id, seq, None)?
            .ok_or_else(|| message_not_found(seq))?;
        if message.content.is_recalled() {
            return Err(ApiError::new(
                ErrorCode::MESSAGE_RECALLED,
                format!("message {seq} was recalled"),
            ));
        }
        if let Some(existing) = cx.tx.thread_of_message(&p.channel_id, seq)? {
            return Err(ApiError::new(
                ErrorCode::THREAD_EXISTS,
                format!("message {seq} already has thread {existing:?}"),
            ));
        }
    }
    check_room(cx, &p.channel_id)?;
    let thread_id: ChannelId = ids::generate(ids::THREAD_PREFIX);
    cx.tx.insert_thread(&NewThread {
        community_id: &p.community_id,
        thread_id: &thread_id,
        parent_channel_id: &p.channel_id,
        parent_seq: p.parent_seq,
        name: &p.name,
        created_by: cx.caller,
        created_at_ms: cx.now,
        auto_archive_ms,
    })?;
    let record = cx.thread_stream(&p.community_id, &thread_id)?;
    let Some(link) = record.thread.as_deref() else {
        return Err(super::rules::thread_not_found(&thread_id));
    };
    updated(cx, &link.thread, &channel)?;
    join_creator(cx, &record)?;
    let thread = stored(cx, &link.thread)?;
    announce(cx, &thread, &channel)?;
    tracing::debug!(thread_id = thread_id.as_str(), "thread created");
    Ok(Response::Thread(thread.info))
}

/// The thread as stored now.
fn stored(cx: &Ctx<'_>, thread: &ThreadRecord) -> Result<ThreadRecord, ApiError> {
    let info = &thread.info;
    cx.tx
        .thread(&info.community_id, &info.thread_id)?
        .ok_or_else(|| super::rules::thread_not_found(&info.thread_id))
}

/// A thread the caller can see, with their membership (`thread_not_found` otherwise).
fn visible(cx: &Ctx<'_>, p: &ThreadRef) -> Result<(Membership, ChannelRecord), ApiError> {
    let membership = cx.membership(&p.community_id)?;
    let record = cx.thread_stream(&p.community_id, &p.thread_id)?;
    let Some(link) = record.thread.as_deref() else {
        return Err(super::rules::thread_not_found(&p.thread_id));
    };
    cx.require_in_thread(&membership, link, Permissions::VIEW_CHANNEL)?;
    Ok((membership, record))
}

/// The fields `p` changes, applied to `info` (validated); unarchiving revives.
fn apply(cx: &Ctx<'_>, info: &ThreadInfo, p: &UpdateThread) -> Result<ThreadInfo, ApiError> {
    let mut next = info.clone();
    if let Some(name) = &p.name {
        cx.limits.check_channel_name(name)?;
        next.name = name.clone();
    }
    if let Some(ms) = p.auto_archive_ms {
        cx.limits.check_auto_archive(ms)?;
        next.auto_archive_ms = ms;
    }
    if let Some(locked) = p.locked {
        next.locked = locked;
    }
    match p.archived {
        Some(true) => next.archived = true,
        Some(false) => {
            next.archived = false;
            if next.is_archived(cx.now) {
                // Archived by inactivity: revived from now.
                next.last_activity_ms = cx.now;
            }
        }
        None => {}
    }
    Ok(next)
}

/// Fails unless the caller may make the change from `before` to `after`: everything with
/// `manage_threads`; the creator renames and (un)archives an unlocked thread.
fn check_update(
    cx: &Ctx<'_>,
    membership: &Membership,
    link: &ThreadLink,
    after: &ThreadInfo,
) -> Result<(), ApiError> {
    let before = &link.thread.info;
    if cx
        .channel_flags(membership, &link.parent)?
        .contains(Permissions::MANAGE_THREADS)
    {
        return Ok(());
    }
    let creator_may = before.created_by == *cx.caller
        && !before.locked
        && after.locked == before.locked
        && after.auto_archive_ms == before.auto_archive_ms;
    if creator_may {
        return Ok(());
    }
    Err(ApiError::new(
        ErrorCode::PERMISSION_DENIED,
        "missing permission: manage_threads (a thread's creator may only rename it and \
         archive or unarchive it while it is not locked)",
    ))
}

/// `update_thread`: absent fields stay; a change to nothing answers without events.
pub(crate) fn update(cx: &mut Ctx<'_>, p: UpdateThread) -> Result<Response, ApiError> {
    let reference = ThreadRef {
        community_id: p.community_id.clone(),
        thread_id: p.thread_id.clone(),
    };
    let (membership, record) = visible(cx, &reference)?;
    let Some(link) = record.thread.as_deref() else {
        return Err(super::rules::thread_not_found(&p.thread_id));
    };
    let before = &link.thread.info;
    let after = apply(cx, before, &p)?;
    if after == *before {
        return Ok(Response::Thread(after));
    }
    check_update(cx, &membership, link, &after)?;
    if before.is_archived(cx.now) && !after.is_archived(cx.now) {
        check_room(cx, &before.parent_channel_id)?;
    }
    cx.tx.update_thread(&after)?;
    let thread = stored(cx, &link.thread)?;
    updated(cx, &thread, &link.parent)?;
    if thread.digest() != link.thread.digest() {
        announce(cx, &thread, &link.parent)?;
    }
    Ok(Response::Thread(thread.info))
}

/// `delete_thread` (`manage_threads` in its channel).
pub(crate) fn delete(cx: &mut Ctx<'_>, p: ThreadRef) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    let record = cx.thread_stream(&p.community_id, &p.thread_id)?;
    let Some(link) = record.thread.as_deref() else {
        return Err(super::rules::thread_not_found(&p.thread_id));
    };
    cx.require_in_thread(
        &membership,
        link,
        crate::domain::access::needed("delete_thread"),
    )?;
    let audience = cx.channel_audience(&link.parent)?;
    cx.tx.delete_thread(&p.thread_id)?;
    cx.emit(
        audience,
        Event::ThreadRemoved {
            community_id: p.community_id,
            thread_id: p.thread_id,
            parent_channel_id: link.parent.info.channel_id.clone(),
        },
    );
    Ok(Response::Ok)
}
