//! Direct and group conversations, in the reserved community `@me`.
//!
//! A conversation lives in the channel id space: its id (`dm_…`) is used as `channel_id`
//! with `community_id: "@me"` by every message operation, and its message stream is
//! stored as a channel row of `@me`, so sequences, idempotency keys, the change log, pins,
//! reactions, mentions, hidden messages, read positions and counts are the channel
//! machinery, unchanged (the precedent of threads). What differs is decided here:
//!
//! - [`rules`]: resolving `@me` and an id to a conversation's stream for its participants
//!   (`conversation_not_found` for anyone else), what a participant may do (no roles), the
//!   blocks that close a direct conversation's posts, and who gets its messages (its
//!   participants);
//! - [`policy`]: known users, DM policies and blocks — who may start a conversation with
//!   whom;
//! - [`ops`]: start (direct: the existing one between the two; group), rename, grow, leave;
//! - [`lists`]: the caller's conversations with their heads (`list_conversations`,
//!   `get_heads` of `@me`, `sync`), and `conversation_updated` to the participants.
//!
//! Decisions (docs/DECISIONS.md, "People: conversations, DM policy, blocks, profiles"):
//! a block refuses starting a conversation and posting in a direct one, either way; in a
//! group it refuses adding the user but not posting; threads are not offered in
//! conversations; no system messages are written in them.

pub(crate) mod lists;
pub(crate) mod ops;
pub(crate) mod policy;
pub(crate) mod rules;
