//! Search: the one query language of local and server message search, the text both
//! index, the snippets both show, and the records of the search operations.
//!
//! - [`query`]: what a user types, parsed into a [`SearchQuery`] (words, `prefix*`,
//!   `"phrases"`, all required) or refused with `invalid_search_query`. FTS operators are
//!   never interpreted: every term is quoted when rendered ([`SearchQuery::fts5`]), so no
//!   input reaches SQL as syntax and no query matches everything.
//! - [`text`]: what an index holds for a message ([`indexable_text`], [`index_text`]):
//!   scripts written without spaces (Han, Kana, Hangul) become overlapping bigrams, so
//!   any substring of two characters or more is found as a phrase and one character as a
//!   prefix; other scripts are words (SQLite's `unicode61` folds case and diacritics).
//! - [`snippet`]: the excerpt of a hit with the query's matches highlighted (byte
//!   ranges), computed on the original text.
//!
//! The server's `search_messages` and the SDK's local search use all three, so the same
//! query finds the same messages in both.

pub mod query;
pub mod snippet;
pub mod text;

use serde::{Deserialize, Serialize};

use crate::ids::{ChannelId, CommunityId, UserId};
use crate::message::Message;
use crate::model::TimestampMs;

pub use query::{SearchQuery, Term};
pub use snippet::{Highlight, Snippet, snippet};
pub use text::{index_text, indexable_text, is_cjk};

/// Characters of a hit's snippet (before the `…` marks).
pub const SNIPPET_CHARS: usize = 120;

/// Parameters of `search_messages`: a query over the full history of one community (or
/// of the caller's conversations, community `@me`), within what the caller may read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SearchMessages {
    /// The community (`@me`: the caller's conversations).
    pub community_id: CommunityId,
    /// What to find (see [`SearchQuery`]).
    pub query: String,
    /// Only in this channel, thread or conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<ChannelId>,
    /// Only messages of this sender.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_id: Option<UserId>,
    /// Only messages created at or after this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_ms: Option<TimestampMs>,
    /// Only messages created before this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_ms: Option<TimestampMs>,
    /// The `next_cursor` of the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// Page size, 1..=100 (default 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// One message found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    /// The message as it is now.
    pub message: Message,
    /// Its excerpt with the matches highlighted.
    pub snippet: Snippet,
}

/// Answer to `search_messages`: hits ranked by relevance, then newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SearchPage {
    /// The hits of this page.
    pub hits: Vec<SearchHit>,
    /// Pass it back for the next page; absent on the last one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Parameters of `search_channels`: channels of a community the caller can see whose
/// name contains the text (case-insensitive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SearchChannels {
    /// The community.
    pub community_id: CommunityId,
    /// Text the name contains (1..=`search_query_bytes` bytes).
    pub query: String,
    /// At most this many (1..=100, default 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// Parameters of `search_communities`: communities the caller can see (joined ones, and
/// those anyone may ask to join) whose name contains the text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SearchCommunities {
    /// Text the name contains (1..=`search_query_bytes` bytes).
    pub query: String,
    /// At most this many (1..=100, default 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// Answer to `search_channels`: best first (names starting with the text, then by name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ChannelMatches {
    /// The channels.
    pub channels: Vec<crate::model::ChannelInfo>,
}

/// Answer to `search_communities`: best first (joined, names starting with the text,
/// then by name).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct CommunityMatches {
    /// The communities.
    pub communities: Vec<crate::model::CommunityInfo>,
}
