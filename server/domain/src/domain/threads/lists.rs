//! Reading threads: one (`get_thread`), a channel's (`list_threads`, active or archived)
//! and the caller's in a community (`list_joined_threads`). Lists come newest activity
//! first, paged with an opaque keyset cursor (last activity, then id). A thread whose
//! activity moves while a client pages may show up again or be passed over (it moved to
//! the front); a client that wants the newest state reads the first page again.

use community_protocol::request::{ListJoinedThreads, ListThreads, ThreadRef};
use community_protocol::response::ThreadsPage;
use community_protocol::{ApiError, Response};

use super::membership::readable;
use crate::cursor::{self, CursorKind, Position};
use crate::domain::context::Ctx;
use crate::store::ThreadRecord;

fn position(thread: &ThreadRecord) -> Position {
    Position {
        at_ms: thread.info.last_activity_ms,
        id: thread.info.thread_id.to_string(),
    }
}

/// `get_thread` (sight of its channel).
pub(crate) fn get(cx: &mut Ctx<'_>, p: ThreadRef) -> Result<Response, ApiError> {
    let (_, record) = readable(cx, &p, "get_thread")?;
    let Some(link) = record.thread else {
        return Err(super::rules::thread_not_found(&p.thread_id));
    };
    Ok(Response::Thread(link.thread.info))
}

/// `list_threads` (sight of the channel): its active or its archived threads.
pub(crate) fn list(cx: &mut Ctx<'_>, p: ListThreads) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    let channel = cx.channel(&p.community_id, &p.channel_id)?;
    cx.require_op(
        &membership,
        "list_threads",
        Some(&channel),
        community_protocol::Permissions::NONE,
    )?;
    let limit = cx.limits.page_size(p.limit)?;
    let after = cursor::decode_optional(CursorKind::Threads, p.cursor.as_deref())?;
    let rows = cx.tx.threads_page(
        &p.channel_id,
        p.archived,
        cx.now,
        after.as_ref().map(|a| (a.at_ms, a.id.as_str())),
        limit.saturating_add(1),
    )?;
    let (rows, next_cursor) = cursor::cut_page(rows, limit, CursorKind::Threads, position);
    Ok(Response::Threads(ThreadsPage {
        threads: rows.into_iter().map(|t| t.info).collect(),
        next_cursor,
    }))
}

/// `list_joined_threads`: the threads the caller joined in a community (members always
/// see their threads' channels: losing sight of a channel leaves its threads).
pub(crate) fn list_joined(cx: &mut Ctx<'_>, p: ListJoinedThreads) -> Result<Response, ApiError> {
    cx.membership(&p.community_id)?;
    let limit = cx.limits.page_size(p.limit)?;
    let after = cursor::decode_optional(CursorKind::JoinedThreads, p.cursor.as_deref())?;
    let rows = cx.tx.joined_threads(
        &p.community_id,
        cx.caller,
        after.as_ref().map(|a| (a.at_ms, a.id.as_str())),
        Some(limit.saturating_add(1)),
    )?;
    let (rows, next_cursor) = cursor::cut_page(rows, limit, CursorKind::JoinedThreads, position);
    Ok(Response::Threads(ThreadsPage {
        threads: rows.into_iter().map(|t| t.info).collect(),
        next_cursor,
    }))
}
