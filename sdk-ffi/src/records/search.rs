//! Search records: mirrors of the SDK's `SearchOptions`, `SearchResults`, `MessageHit`,
//! `HitSource`, `ServerSearch`, `ChannelSearchResults` and `CommunitySearchResults`, and of
//! the protocol's `Snippet` and `Highlight`.
//!
//! A snippet's highlights are **byte** ranges of its UTF-8 `text`, as the SDK gives them
//! (C reads them as they are). The bindings convert them for their own strings: Kotlin's
//! `Snippet.highlightRanges()` (UTF-16 indices), Python's `highlight_spans(snippet)` (code
//! point indices), Swift's `Snippet.highlightRanges` (`String.Index`), C#'s
//! `Snippet.HighlightRanges()` (UTF-16 indices); each also gives the highlighted substrings.

use community_protocol as wire;
use community_sdk as sdk;
use serde::{Deserialize, Serialize};

use super::{ChannelInfo, CommunityInfo, ErrorInfo, Message, map_vec, mirror_enum};

/// Hits per page of a message search when its options name no limit.
#[uniffi::export]
pub fn default_search_limit() -> u32 {
    sdk::DEFAULT_SEARCH_LIMIT
}

/// A message search: the query text (words, `prefix*`, `"exact phrases"`; every term
/// required; a malformed one is refused with `invalid_search_query`, 5037), optional
/// filters, and the page wanted. Only `query` is required.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, uniffi::Record)]
pub struct SearchOptions {
    /// What to find.
    pub query: String,
    /// Only in this community (`@me`: the user's conversations). The server is asked only
    /// when a community is given (set by `Community.search` and `Channel.search`).
    #[serde(default)]
    #[uniffi(default = None)]
    pub community_id: Option<String>,
    /// Only in this channel, thread or conversation.
    #[serde(default)]
    #[uniffi(default = None)]
    pub channel_id: Option<String>,
    /// Only messages of this sender.
    #[serde(default)]
    #[uniffi(default = None)]
    pub sender_id: Option<String>,
    /// Only messages created at or after this time (ms since the epoch).
    #[serde(default)]
    #[uniffi(default = None)]
    pub after_ms: Option<i64>,
    /// Only messages created before this time (ms since the epoch).
    #[serde(default)]
    #[uniffi(default = None)]
    pub before_ms: Option<i64>,
    /// The `next_cursor` of the previous page (of the same kind of search).
    #[serde(default)]
    #[uniffi(default = None)]
    pub cursor: Option<String>,
    /// Page size 1..=100 (default `default_search_limit()`, 20).
    #[serde(default)]
    #[uniffi(default = None)]
    pub limit: Option<u32>,
}

impl From<SearchOptions> for sdk::SearchOptions {
    fn from(v: SearchOptions) -> Self {
        Self {
            query: v.query,
            community_id: v.community_id.map(Into::into),
            channel_id: v.channel_id.map(Into::into),
            sender_id: v.sender_id.map(Into::into),
            after_ms: v.after_ms,
            before_ms: v.before_ms,
            cursor: v.cursor,
            limit: v.limit,
        }
    }
}

/// A marked match: bytes `start..end` of the snippet's UTF-8 text (convert them for your
/// strings: see the module's docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct Highlight {
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

/// The excerpt of a found message, with the query's matches marked.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, uniffi::Record)]
pub struct Snippet {
    /// The excerpt (`…` marks text cut at either end).
    pub text: String,
    /// The matches in it, in order, not overlapping (byte ranges of `text`).
    pub highlights: Vec<Highlight>,
}

impl From<wire::search::Snippet> for Snippet {
    fn from(v: wire::search::Snippet) -> Self {
        Self {
            text: v.text,
            highlights: v
                .highlights
                .into_iter()
                .map(|h| Highlight {
                    start: h.start,
                    end: h.end,
                })
                .collect(),
        }
    }
}

/// Where a hit comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum HitSource {
    /// The device's cache.
    Local,
    /// The server's search (its copy of the message).
    Server,
}
mirror_enum!(HitSource <=> sdk::HitSource { Local, Server });

/// One message found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct MessageHit {
    /// The message.
    pub message: Message,
    /// Its excerpt with the matches marked.
    pub snippet: Snippet,
    /// Where it comes from.
    pub source: HitSource,
}

impl From<sdk::MessageHit> for MessageHit {
    fn from(v: sdk::MessageHit) -> Self {
        Self {
            message: v.message.into(),
            snippet: v.snippet.into(),
            source: v.source.into(),
        }
    }
}

/// What the server did for a search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Enum)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerSearch {
    /// Not asked: a local search, a message search without a community, or a later page
    /// of a search that went on locally.
    NotAsked,
    /// It answered; its hits are in the results.
    Answered,
    /// It could not answer (offline, an older server, a refusal): the results are local
    /// (or, on a later page, empty: ask again with the same cursor).
    Failed {
        /// Why, typed like any error (code, name, kind, detail).
        error: ErrorInfo,
    },
}

impl From<sdk::ServerSearch> for ServerSearch {
    fn from(v: sdk::ServerSearch) -> Self {
        match v {
            sdk::ServerSearch::NotAsked => Self::NotAsked,
            sdk::ServerSearch::Answered => Self::Answered,
            sdk::ServerSearch::Failed(error) => Self::Failed {
                error: crate::error::SdkError::from(error).into(),
            },
        }
    }
}

/// A page of a message search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct SearchResults {
    /// The hits, best first; each message once.
    pub hits: Vec<MessageHit>,
    /// Pass it back in `SearchOptions.cursor` for the next page; none after the last.
    pub next_cursor: Option<String>,
    /// What the server did.
    pub server: ServerSearch,
}

impl From<sdk::SearchResults> for SearchResults {
    fn from(v: sdk::SearchResults) -> Self {
        Self {
            hits: map_vec(v.hits),
            next_cursor: v.next_cursor,
            server: v.server.into(),
        }
    }
}

/// Channels found by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct ChannelSearchResults {
    /// Best first: names starting with the text, then by name.
    pub channels: Vec<ChannelInfo>,
    /// What the server did.
    pub server: ServerSearch,
}

impl From<sdk::ChannelSearchResults> for ChannelSearchResults {
    fn from(v: sdk::ChannelSearchResults) -> Self {
        Self {
            channels: map_vec(v.channels),
            server: v.server.into(),
        }
    }
}

/// Communities found by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, uniffi::Record)]
pub struct CommunitySearchResults {
    /// Best first: joined ones, names starting with the text, then by name.
    pub communities: Vec<CommunityInfo>,
    /// What the server did.
    pub server: ServerSearch,
}

impl From<sdk::CommunitySearchResults> for CommunitySearchResults {
    fn from(v: sdk::CommunitySearchResults) -> Self {
        Self {
            communities: map_vec(v.communities),
            server: v.server.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use community_protocol::{ApiError, ErrorCode};

    #[test]
    fn search_options_take_only_a_query_in_json_and_convert_every_field() {
        let options: SearchOptions = serde_json::from_str(r#"{"query":"raid"}"#).unwrap();
        assert_eq!(
            options,
            SearchOptions {
                query: "raid".into(),
                ..SearchOptions::default()
            }
        );
        let full = SearchOptions {
            query: "東京".into(),
            community_id: Some("c".into()),
            channel_id: Some("ch".into()),
            sender_id: Some("u".into()),
            after_ms: Some(1),
            before_ms: Some(2),
            cursor: Some("k".into()),
            limit: Some(5),
        };
        let sdk_options = sdk::SearchOptions::from(full);
        assert_eq!(sdk_options.query, "東京");
        assert_eq!(sdk_options.community_id.unwrap().as_str(), "c");
        assert_eq!(sdk_options.channel_id.unwrap().as_str(), "ch");
        assert_eq!(sdk_options.sender_id.unwrap().as_str(), "u");
        assert_eq!(
            (sdk_options.after_ms, sdk_options.before_ms),
            (Some(1), Some(2))
        );
        assert_eq!(
            (sdk_options.cursor.as_deref(), sdk_options.limit),
            (Some("k"), Some(5))
        );
        assert_eq!(default_search_limit(), 20);
    }

    #[test]
    fn a_failed_server_search_is_a_typed_error_record_in_json() {
        let failed = ServerSearch::from(sdk::ServerSearch::Failed(
            ApiError::new(ErrorCode::INVALID_SEARCH_QUERY, "an unclosed quote").into(),
        ));
        let json = serde_json::to_string(&failed).unwrap();
        assert_eq!(
            json,
            r#"{"type":"failed","error":{"code":5037,"name":"invalid_search_query","kind":"limit","detail":"an unclosed quote"}}"#
        );
        assert_eq!(
            serde_json::to_string(&ServerSearch::NotAsked).unwrap(),
            r#"{"type":"not_asked"}"#
        );
        let snippet = Snippet::from(wire::search::Snippet {
            text: "明日東京都に行きます".into(),
            highlights: vec![wire::search::Highlight { start: 6, end: 12 }],
        });
        let h = snippet.highlights[0];
        assert_eq!(&snippet.text[h.start as usize..h.end as usize], "東京");
    }
}
