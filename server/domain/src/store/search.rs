//! Storage of search ([`SearchStore`]): the full-text index of messages and the name
//! lookups of communities.
//!
//! The index is the store's business (the SQLite engine queues every write to a message
//! in its transaction and indexes the queue afterwards, in the background and before
//! every search: `Store::read_indexed_tx`); the domain asks for *candidates*: the
//! newest messages that match a parsed query within what the caller may read, each with
//! an opaque, time-ordered [`SearchCandidate::position`] and its content, and ranks them
//! itself (`domain::search::rank`).

use community_protocol::search::SearchQuery;
use community_protocol::{ChannelId, CommunityId, MessageContent, Seq, TimestampMs, UserId};

use super::StoreResult;

/// What to look for, and where.
#[derive(Debug, Clone, Copy)]
pub struct MessageSearch<'a> {
    /// The community (`@me`: conversations).
    pub community_id: &'a CommunityId,
    /// The parsed query: every term must match.
    pub query: &'a SearchQuery,
    /// Only this stream (a channel, a thread or a conversation).
    pub stream: Option<&'a ChannelId>,
    /// Only messages of this sender.
    pub sender: Option<&'a UserId>,
    /// Only messages created at or after this time.
    pub after_ms: Option<TimestampMs>,
    /// Only messages created before this time.
    pub before_ms: Option<TimestampMs>,
    /// Channels whose messages and whose threads' messages are left out (those the
    /// caller may not read).
    pub excluded_channels: &'a [ChannelId],
    /// When set, only these streams (the caller's conversations).
    pub only_streams: Option<&'a [ChannelId]>,
    /// The reader: the messages they hid are left out.
    pub viewer: &'a UserId,
}

/// A message that matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchCandidate {
    /// Where it sits in the index: larger is newer (creation time first), unique.
    pub position: i64,
    /// Its stream.
    pub channel_id: ChannelId,
    /// Its sequence.
    pub seq: Seq,
    /// Its content now.
    pub content: MessageContent,
}

/// The full-text index and the name lookups.
pub trait SearchStore {
    /// The newest `limit` messages that match `search` at positions up to `ceiling`
    /// (inclusive), newest first.
    fn search_candidates(
        &self,
        search: &MessageSearch<'_>,
        ceiling: i64,
        limit: u32,
    ) -> StoreResult<Vec<SearchCandidate>>;
    /// Indexes every write to a message this transaction sees that is not indexed yet
    /// (in a write transaction: a search in the same transaction then sees its writes).
    fn index_pending(&self) -> StoreResult<()>;
    /// The conversations `user_id` takes part in.
    fn conversation_ids(&self, user_id: &UserId) -> StoreResult<Vec<ChannelId>>;
    /// Communities `user_id` may find by name: those they are a member of, and those that
    /// are not invite-only and do not ban them at `now`; whose name contains `folded`
    /// (lower-cased as `str::to_lowercase` does). Joined ones first, then names starting
    /// with the text, then by name; at most `limit`.
    fn search_communities(
        &self,
        user_id: &UserId,
        folded: &str,
        now: TimestampMs,
        limit: u32,
    ) -> StoreResult<Vec<CommunityId>>;
}
