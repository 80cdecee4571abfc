//! The threads' rows of the operations table: a thread's own operations (its message
//! stream is the channel's rows, see `rows/channel.rs`), listing a channel's threads and
//! the user's joined threads of a community.

use crate::ops_table::On::{Channel as Ch, Community as Cm, Thread as Th};
use crate::ops_table::P::*;
use crate::ops_table::{Op, R, cached, op};

/// The threads' operations.
pub(super) const THREAD: &[Op] = &[
    // ----- thread: cached reads -----
    cached(
        Th,
        "info",
        R::OptRecord("ThreadInfo"),
        "c.info()",
        "The thread as cached (none when the user has not joined it; `fetch` asks the server).",
    ),
    cached(
        Th,
        "unread",
        R::OptRecord("ChannelUnread"),
        "c.unread()",
        "Its unread and mention counts (none when the user has not joined it).",
    ),
    // ----- thread: operations -----
    op(
        Th,
        "fetch",
        &[],
        R::Record("ThreadInfo"),
        "c.fetch()",
        "The thread from the server (the cache refreshed when joined).",
    ),
    op(
        Th,
        "join",
        &[],
        R::Record("ChannelHead"),
        "c.join()",
        "Joins the thread: its messages come live and its unread messages and mentions count, on every device of the user (posting in it or being mentioned there joins too). Returns the user's head for it.",
    ),
    op(
        Th,
        "leave",
        &[],
        R::Unit,
        "c.leave()",
        "Leaves the thread: it no longer counts.",
    ),
    op(
        Th,
        "update",
        &[Json("update", "ThreadUpdate")],
        R::Record("ThreadInfo"),
        "c.update(update.into())",
        "Renames, archives or unarchives (its creator, or `manage_threads`), locks or unlocks and changes the auto-archive delay (`manage_threads`); absent fields stay. An archived thread refuses posts with `thread_archived`, a locked one with `thread_locked`.",
    ),
    op(
        Th,
        "delete",
        &[],
        R::Unit,
        "c.delete()",
        "Deletes the thread and its messages (`manage_threads`).",
    ),
    // ----- channel: its threads -----
    op(
        Ch,
        "threads",
        &[
            Plain("archived", "bool"),
            OptStr("cursor"),
            U32OrZero("limit"),
        ],
        R::Record("ThreadsPage"),
        "c.threads(archived, cursor, limit)",
        "A page of the channel's threads from the server, active (`archived` false) or archived, newest activity first (`cursor`: the previous page's `next_cursor`; `limit` 1..=100).",
    ),
    cached(
        Ch,
        "threads_unread",
        R::Record("ThreadsUnread"),
        "c.threads_unread()",
        "Unread and mention counts summed over the user's joined threads of this channel (the channel's \"threads have unread messages\" mark).",
    ),
    // ----- community: joined threads -----
    cached(
        Cm,
        "joined_threads",
        R::List("ThreadEntry"),
        "c.joined_threads()",
        "The threads the user joined in the community, with their heads (counts), as cached, newest activity first.",
    ),
    op(
        Cm,
        "joined_threads_page",
        &[OptStr("cursor"), U32OrZero("limit")],
        R::Record("ThreadsPage"),
        "c.joined_threads_page(cursor, limit)",
        "A page of the threads the user joined in the community, from the server, newest activity first.",
    ),
];
