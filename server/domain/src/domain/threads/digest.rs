//! The digest a thread shows under the message it started from, and the thread events
//! its channel's readers get.
//!
//! The digest (message count, newest message that is not recalled with its sender,
//! preview and time, distinct senders, last activity, archived) is kept exact in the same
//! transaction as what changes it: a message stored in the thread (`posted`), an edit or a
//! recall of the message the digest shows (`message_changed`: the newest one not recalled
//! takes its place), a rename, an archive or an unarchive. Every change sends
//! `thread_digest` to the readers of the thread's channel; the transport coalesces those
//! per thread and session (at most one a second, the newest wins). Answers carry the
//! digest in `Message.thread`, read with the page (`store::sqlite::threads`).

use community_protocol::{ApiError, Event, Message, Seq};

use super::rules::thread_not_found;
use crate::domain::context::Ctx;
use crate::store::{ChannelRecord, ThreadRecord};

/// The thread as stored now.
fn reload(cx: &Ctx<'_>, thread: &ThreadRecord) -> Result<ThreadRecord, ApiError> {
    let info = &thread.info;
    cx.tx
        .thread(&info.community_id, &info.thread_id)?
        .ok_or_else(|| thread_not_found(&info.thread_id))
}

/// `thread_digest` with `thread` as it is, to the readers of its channel `parent`.
pub(crate) fn announce(
    cx: &mut Ctx<'_>,
    thread: &ThreadRecord,
    parent: &ChannelRecord,
) -> Result<(), ApiError> {
    let audience = cx.channel_audience(parent)?;
    cx.emit(
        audience,
        Event::ThreadDigest {
            community_id: thread.info.community_id.clone(),
            channel_id: thread.info.parent_channel_id.clone(),
            parent_seq: thread.info.parent_seq,
            digest: thread.digest(),
        },
    );
    Ok(())
}

/// `thread_updated` with `thread` as it is, to the readers of its channel `parent`.
pub(crate) fn updated(
    cx: &mut Ctx<'_>,
    thread: &ThreadRecord,
    parent: &ChannelRecord,
) -> Result<(), ApiError> {
    let audience = cx.channel_audience(parent)?;
    cx.emit(
        audience,
        Event::ThreadUpdated {
            thread: thread.info.clone(),
        },
    );
    Ok(())
}

/// After `message` was stored in a stream (nothing for a channel): the thread's digest
/// takes it in and its channel's readers are told.
pub(crate) fn posted(
    cx: &mut Ctx<'_>,
    record: &ChannelRecord,
    message: &Message,
) -> Result<(), ApiError> {
    let Some(link) = record.thread.as_deref() else {
        return Ok(());
    };
    let new_sender = cx
        .tx
        .note_thread_message(&link.thread.info.thread_id, message)?;
    let thread = link.thread.with_message(message, new_sender);
    announce(cx, &thread, &link.parent)
}

/// After an edit or a recall of message `seq` of a stream (nothing for a channel): when
/// the digest shows that message, it is read again (the edited text, or the newest
/// message not recalled) and announced.
pub(crate) fn message_changed(
    cx: &mut Ctx<'_>,
    record: &ChannelRecord,
    seq: Seq,
) -> Result<(), ApiError> {
    let Some(link) = record.thread.as_deref() else {
        return Ok(());
    };
    if link.thread.last.as_ref().is_none_or(|last| last.seq != seq) {
        return Ok(());
    }
    cx.tx.refresh_thread_last(&link.thread.info.thread_id)?;
    let thread = reload(cx, &link.thread)?;
    announce(cx, &thread, &link.parent)
}
