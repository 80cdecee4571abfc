//! Threads: the third level of a community (community → channel → thread).
//!
//! A thread lives in the channel id space: its id (`th_…`) is used as `channel_id` by every
//! message operation, and its message stream is stored as a channel row of its own, so
//! sequences, idempotency keys, the change log, pins, reactions, hidden messages, read
//! positions and counts are the channel machinery, unchanged. What differs is decided here:
//!
//! - [`rules`]: resolving an id to a stream (a channel, or a thread linked to its channel)
//!   and checking an operation on a thread in its channel (`send_in_threads` for
//!   `send_messages`; archived and locked threads refuse posts);
//! - [`membership`]: joining (explicitly, by creating, posting or being mentioned) and
//!   leaving, and who gets a thread's messages (its members);
//! - [`digest`]: the digest its parent message shows, kept exact and announced to the
//!   channel's readers;
//! - [`ops`]: create, update (rename, archive, lock, auto-archive), delete;
//! - [`lists`]: one thread, a channel's threads, the caller's joined threads.
//!
//! Decisions (docs/DECISIONS.md, "Threads on the server"): the readers of a channel read
//! its threads; losing sight of the channel leaves its threads; deleting the channel
//! deletes them (its `channel_removed` says so, no `thread_removed` each); recalling the
//! parent message keeps the thread and its digest.

pub(crate) mod digest;
pub(crate) mod lists;
pub(crate) mod membership;
pub(crate) mod ops;
pub(crate) mod rules;

pub(crate) use rules::link;
