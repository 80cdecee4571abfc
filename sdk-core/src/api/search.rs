//! Search: messages (the local full-text index, offline too, merged with the server's
//! `search_messages` when it answers), channels and communities by name (the cache plus
//! `search_channels` / `search_communities`), and members by display name.
//!
//! Every query is parsed by the protocol's [`SearchQuery::parse`] before any I/O, so a bad
//! one fails with `invalid_search_query` whether or not the device is online, and local
//! and server searches understand it alike.
//!
//! Merging (`Client::search`): the first page is the server's first page and the local
//! first page interleaved by rank (server, local, server, …), each message once (the same
//! `(channel_id, seq)` from both: the server's copy, at the better of the two places).
//! Later pages are the server's (it holds the whole history), minus the local hits the
//! first page already showed. When the server cannot answer the first page, the search is
//! local from then on and says why ([`ServerSearch::Failed`]); a later server page that
//! fails comes back empty with the same cursor, to be asked again.

use std::collections::HashSet;

use community_protocol::request::ListMembers;
use community_protocol::search::{
    SearchChannels, SearchCommunities, SearchHit, SearchMessages, SearchQuery, Snippet,
};
use community_protocol::{
    ApiError, ChannelId, ChannelInfo, CommunityId, CommunityInfo, ErrorCode, Limits, Message, Seq,
    TimestampMs, UserId, op,
};
use serde::{Deserialize, Serialize};

use super::{ChannelHandle, Client, CommunityHandle, MembersPage};
use crate::error::SdkError;
use crate::model::{ChangeAction, ChangeState};
use crate::session::UserSession;
use crate::store::{LocalSearchPage, SearchCursor, SearchRequest};

/// Hits per page when the options name no limit.
pub const DEFAULT_SEARCH_LIMIT: u32 = 20;

/// A message search: the query text (words, `prefix*`, `"exact phrases"`; every term
/// required), optional filters, and the page wanted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchOptions {
    /// What to find.
    pub query: String,
    /// Only in this community (`@me`: the user's conversations). The server is asked only
    /// when a community is given (it searches one community at a time).
    pub community_id: Option<CommunityId>,
    /// Only in this channel, thread or conversation.
    pub channel_id: Option<ChannelId>,
    /// Only messages of this sender.
    pub sender_id: Option<UserId>,
    /// Only messages created at or after this time.
    pub after_ms: Option<TimestampMs>,
    /// Only messages created before this time.
    pub before_ms: Option<TimestampMs>,
    /// The `next_cursor` of the previous page (of the same kind of search).
    pub cursor: Option<String>,
    /// Page size, 1..=100 (default 20).
    pub limit: Option<u32>,
}

impl SearchOptions {
    /// A first page of `query`, without filters.
    pub fn new(query: impl Into<String>) -> Self {
        Self {
            query: query.into(),
            ..Self::default()
        }
    }
}

/// Where a hit comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HitSource {
    /// The device's cache.
    Local,
    /// The server's search (its copy of the message).
    Server,
}

/// One message found.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageHit {
    /// The message.
    pub message: Message,
    /// Its excerpt with the matches marked (byte ranges of `snippet.text`).
    pub snippet: Snippet,
    /// Where it comes from.
    pub source: HitSource,
}

/// What the server did for a search.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerSearch {
    /// Not asked: a local search, a search without a community, or a later page of a
    /// search that went on locally.
    NotAsked,
    /// It answered; its hits are in the results.
    Answered,
    /// It could not answer (offline, an older server, a refusal): the results are local
    /// (or, on a later page, empty: ask again with the same cursor).
    Failed(SdkError),
}

/// A page of a message search.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchResults {
    /// The hits, best first.
    pub hits: Vec<MessageHit>,
    /// Pass it back in [`SearchOptions::cursor`] for the next page; `None` after the last.
    pub next_cursor: Option<String>,
    /// What the server did.
    pub server: ServerSearch,
}

/// Channels found by name.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelSearchResults {
    /// Best first: names starting with the text, then by name.
    pub channels: Vec<ChannelInfo>,
    /// What the server did.
    pub server: ServerSearch,
}

/// Communities found by name.
#[derive(Debug, Clone, PartialEq)]
pub struct CommunitySearchResults {
    /// Best first: joined ones, names starting with the text, then by name.
    pub communities: Vec<CommunityInfo>,
    /// What the server did.
    pub server: ServerSearch,
}

// ----- checks (no I/O) -----

/// A message search checked against the limits: the parsed query and the page size.
struct Checked {
    query: SearchQuery,
    limit: u32,
}

fn check_options(limits: &Limits, options: &SearchOptions) -> Result<Checked, ApiError> {
    let query = SearchQuery::parse(&options.query, limits)?;
    let limit = match options.limit {
        None => DEFAULT_SEARCH_LIMIT.min(limits.max_page_size),
        requested => limits.page_size(requested)?,
    };
    Ok(Checked { query, limit })
}

/// The text of a name search: trimmed, not empty, within `search_query_bytes`.
fn check_name_text(limits: &Limits, text: &str) -> Result<String, ApiError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ApiError::new(
            ErrorCode::INVALID_SEARCH_QUERY,
            "the text to look for is empty",
        ));
    }
    if text.len() > limits.search_query_bytes {
        return Err(ApiError::new(
            ErrorCode::INVALID_SEARCH_QUERY,
            format!("a query is at most {} bytes", limits.search_query_bytes),
        ));
    }
    Ok(text.to_owned())
}

fn invalid_cursor() -> SdkError {
    ApiError::new(
        ErrorCode::INVALID_CURSOR,
        "not a cursor of this kind of search",
    )
    .into()
}

// ----- cursors -----

/// The cursor of `Client::search` (JSON, opaque to apps).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
enum MergedCursor {
    /// The server answered the first page: its pages follow, minus `shown`.
    Server {
        server: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        shown: Vec<(ChannelId, Seq)>,
    },
    /// The search goes on in the cache.
    Local { local: String },
}

impl MergedCursor {
    fn parse(text: &str) -> Result<MergedCursor, SdkError> {
        serde_json::from_str(text).map_err(|_| invalid_cursor())
    }

    fn text(&self) -> String {
        // Plain strings and numbers: serialising cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

// ----- merging -----

type Key = (ChannelId, Seq);

fn key(message: &Message) -> Key {
    (message.channel_id.clone(), message.seq)
}

fn local_hit(hit: SearchHit) -> MessageHit {
    MessageHit {
        message: hit.message,
        snippet: hit.snippet,
        source: HitSource::Local,
    }
}

fn server_hit(hit: SearchHit) -> MessageHit {
    MessageHit {
        message: hit.message,
        snippet: hit.snippet,
        source: HitSource::Server,
    }
}

/// Interleaves two ranked lists (server first at each rank), each message once: a
/// message in both lists is the server's copy, at the better of its two places.
fn interleave(server: Vec<SearchHit>, local: Vec<SearchHit>) -> Vec<MessageHit> {
    let on_server: HashSet<Key> = server.iter().map(|h| key(&h.message)).collect();
    let mut server: Vec<Option<SearchHit>> = server.into_iter().map(Some).collect();
    let positions: std::collections::HashMap<Key, usize> = server
        .iter()
        .enumerate()
        .filter_map(|(i, h)| h.as_ref().map(|h| (key(&h.message), i)))
        .collect();
    let mut local = local.into_iter();
    let mut merged = Vec::new();
    for rank in 0.. {
        let mut progressed = false;
        if let Some(slot) = server.get_mut(rank) {
            progressed = true;
            if let Some(hit) = slot.take() {
                merged.push(server_hit(hit));
            }
        }
        if let Some(hit) = local.next() {
            progressed = true;
            let k = key(&hit.message);
            if on_server.contains(&k) {
                // Shown now in the server's copy if its own place is still to come.
                if let Some(slot) = positions.get(&k).and_then(|i| server.get_mut(*i))
                    && let Some(copy) = slot.take()
                {
                    merged.push(server_hit(copy));
                }
            } else {
                merged.push(local_hit(hit));
            }
        }
        if !progressed {
            break;
        }
    }
    merged
}

// ----- searching -----

/// Runs a local search page and leaves out what the user hid (confirmed in the state,
/// or still pending on this device).
async fn local_page(
    session: &UserSession,
    checked: &Checked,
    options: &SearchOptions,
    cursor: Option<SearchCursor>,
) -> Result<LocalSearchPage, SdkError> {
    let request = SearchRequest {
        query: checked.query.clone(),
        community_id: options.community_id.clone(),
        channel_id: options.channel_id.clone(),
        sender_id: options.sender_id.clone(),
        after_ms: options.after_ms,
        before_ms: options.before_ms,
        cursor,
        limit: checked.limit,
    };
    Ok(session.store.search(request).await?)
}

/// Drops hits of messages the user hid (in the state, or a hide still pending).
async fn without_hidden(
    session: &UserSession,
    hits: Vec<MessageHit>,
) -> Result<Vec<MessageHit>, SdkError> {
    let pending: HashSet<Key> = session
        .store
        .pending_changes()
        .await?
        .into_iter()
        .filter(|c| c.action == ChangeAction::Hide && c.state == ChangeState::Pending)
        .map(|c| (c.channel_id, c.seq))
        .collect();
    Ok(session.read(|state| {
        hits.into_iter()
            .filter(|hit| {
                let m = &hit.message;
                !pending.contains(&key(m))
                    && !state
                        .hidden(&m.community_id, &m.channel_id)
                        .contains(&m.seq)
            })
            .collect()
    }))
}

fn server_params(options: &SearchOptions, community_id: CommunityId, limit: u32) -> SearchMessages {
    SearchMessages {
        community_id,
        query: options.query.clone(),
        channel_id: options.channel_id.clone(),
        sender_id: options.sender_id.clone(),
        after_ms: options.after_ms,
        before_ms: options.before_ms,
        cursor: None,
        limit: Some(limit),
    }
}

impl Client {
    /// Searches the cached messages (works offline): ranked by relevance (BM25), then
    /// newest first; `next_cursor` pages on. A bad query fails with
    /// `invalid_search_query` before anything is read; messages the user hid, recalled
    /// ones and system messages are never found.
    pub async fn search_local(&self, options: SearchOptions) -> Result<SearchResults, SdkError> {
        let session = self.inner.session()?;
        let checked = session.read(|state| check_options(&state.limits, &options))?;
        let cursor = match &options.cursor {
            Some(text) => Some(SearchCursor::parse(text).ok_or_else(invalid_cursor)?),
            None => None,
        };
        let page = local_page(&session, &checked, &options, cursor).await?;
        let hits = page.hits.into_iter().map(local_hit).collect();
        Ok(SearchResults {
            hits: without_hidden(&session, hits).await?,
            next_cursor: page.next_cursor.map(|c| c.to_string()),
            server: ServerSearch::NotAsked,
        })
    }

    /// Searches the cached messages and, when a community is given, the server's full
    /// history of it (`search_messages`), merged without duplicates (see the module's
    /// rules: the server's copy wins). When the server cannot answer, the local results
    /// come back with [`ServerSearch::Failed`]: a server error never fails the search.
    pub async fn search(&self, options: SearchOptions) -> Result<SearchResults, SdkError> {
        let session = self.inner.session()?;
        let checked = session.read(|state| check_options(&state.limits, &options))?;
        let cursor = options
            .cursor
            .as_deref()
            .map(MergedCursor::parse)
            .transpose()?;
        match cursor {
            None => self.first_page(&session, &checked, &options).await,
            Some(MergedCursor::Local { local }) => {
                let cursor = SearchCursor::parse(&local).ok_or_else(invalid_cursor)?;
                let page = local_page(&session, &checked, &options, Some(cursor)).await?;
                let hits = page.hits.into_iter().map(local_hit).collect();
                Ok(SearchResults {
                    hits: without_hidden(&session, hits).await?,
                    next_cursor: page.next_cursor.map(|c| {
                        MergedCursor::Local {
                            local: c.to_string(),
                        }
                        .text()
                    }),
                    server: ServerSearch::NotAsked,
                })
            }
            Some(MergedCursor::Server { server, shown }) => {
                let Some(community_id) = options.community_id.clone() else {
                    return Err(invalid_cursor());
                };
                let mut params = server_params(&options, community_id, checked.limit);
                params.cursor = Some(server.clone());
                match session.call(op::SearchMessages(params)).await {
                    Ok(page) => {
                        let hits = page
                            .hits
                            .into_iter()
                            .filter(|h| !shown.contains(&key(&h.message)))
                            .map(server_hit)
                            .collect();
                        Ok(SearchResults {
                            hits: without_hidden(&session, hits).await?,
                            next_cursor: page
                                .next_cursor
                                .map(|server| MergedCursor::Server { server, shown }.text()),
                            server: ServerSearch::Answered,
                        })
                    }
                    Err(error) => Ok(SearchResults {
                        hits: Vec::new(),
                        next_cursor: options.cursor.clone(),
                        server: ServerSearch::Failed(error),
                    }),
                }
            }
        }
    }

    async fn first_page(
        &self,
        session: &UserSession,
        checked: &Checked,
        options: &SearchOptions,
    ) -> Result<SearchResults, SdkError> {
        let Some(community_id) = options.community_id.clone() else {
            let page = local_page(session, checked, options, None).await?;
            let hits = page.hits.into_iter().map(local_hit).collect();
            return Ok(SearchResults {
                hits: without_hidden(session, hits).await?,
                next_cursor: page.next_cursor.map(|c| {
                    MergedCursor::Local {
                        local: c.to_string(),
                    }
                    .text()
                }),
                server: ServerSearch::NotAsked,
            });
        };
        let params = server_params(options, community_id, checked.limit);
        let (local, server) = tokio::join!(
            local_page(session, checked, options, None),
            session.call(op::SearchMessages(params))
        );
        let local = local?;
        match server {
            Ok(page) => {
                let on_server: HashSet<Key> = page.hits.iter().map(|h| key(&h.message)).collect();
                let shown: Vec<Key> = local
                    .hits
                    .iter()
                    .map(|h| key(&h.message))
                    .filter(|k| !on_server.contains(k))
                    .collect();
                let hits = interleave(page.hits, local.hits);
                Ok(SearchResults {
                    hits: without_hidden(session, hits).await?,
                    next_cursor: page
                        .next_cursor
                        .map(|server| MergedCursor::Server { server, shown }.text()),
                    server: ServerSearch::Answered,
                })
            }
            Err(error) => {
                let hits = local.hits.into_iter().map(local_hit).collect();
                Ok(SearchResults {
                    hits: without_hidden(session, hits).await?,
                    next_cursor: local.next_cursor.map(|c| {
                        MergedCursor::Local {
                            local: c.to_string(),
                        }
                        .text()
                    }),
                    server: ServerSearch::Failed(error),
                })
            }
        }
    }

    /// Communities whose name contains `text` (case-insensitive): the joined ones in the
    /// cache, and those the server knows (`search_communities`: joined, or open to asking
    /// to join) when it answers; each once (the server's copy), joined ones first, then
    /// names starting with the text, then by name.
    pub async fn search_communities(&self, text: &str) -> Result<CommunitySearchResults, SdkError> {
        let session = self.inner.session()?;
        let text = session.read(|state| check_name_text(&state.limits, text))?;
        let needle = text.to_lowercase();
        let (joined, local): (HashSet<CommunityId>, Vec<CommunityInfo>) = session.read(|state| {
            let entries = state.community_entries();
            let joined = entries
                .iter()
                .map(|e| e.info.community_id.clone())
                .collect();
            let local = entries
                .into_iter()
                .map(|e| e.info)
                .filter(|info| info.name.to_lowercase().contains(&needle))
                .collect();
            (joined, local)
        });
        let answer = session
            .call(op::SearchCommunities(SearchCommunities {
                query: text,
                limit: None,
            }))
            .await;
        let (found, server) = match answer {
            Ok(matches) => (matches.communities, ServerSearch::Answered),
            Err(error) => (Vec::new(), ServerSearch::Failed(error)),
        };
        let mut communities = merge_by(found, local, |c| c.community_id.clone());
        communities.sort_by_cached_key(|c| {
            (
                !joined.contains(&c.community_id),
                !c.name.to_lowercase().starts_with(&needle),
                c.name.to_lowercase(),
                c.community_id.clone(),
            )
        });
        Ok(CommunitySearchResults {
            communities,
            server,
        })
    }
}

/// The server's records, then the local ones it did not have (by `id`).
fn merge_by<T, K: Eq + std::hash::Hash>(
    server: Vec<T>,
    local: Vec<T>,
    id: impl Fn(&T) -> K,
) -> Vec<T> {
    let seen: HashSet<K> = server.iter().map(&id).collect();
    let mut merged = server;
    merged.extend(local.into_iter().filter(|item| !seen.contains(&id(item))));
    merged
}

impl CommunityHandle {
    /// Searches this community's messages: the cache, merged with the server's full
    /// history when it answers (see [`Client::search`]). `options.community_id` is this
    /// community.
    pub async fn search(&self, mut options: SearchOptions) -> Result<SearchResults, SdkError> {
        options.community_id = Some(self.id().clone());
        Client {
            inner: self.client.clone(),
        }
        .search(options)
        .await
    }

    /// Channels of this community whose name contains `text` (case-insensitive): the
    /// cached visible ones, and those the server lists (`search_channels`) when it
    /// answers; each once (the server's copy), names starting with the text first, then
    /// by name.
    pub async fn search_channels(&self, text: &str) -> Result<ChannelSearchResults, SdkError> {
        let session = self.session()?;
        let text = session.read(|state| check_name_text(&state.limits, text))?;
        let needle = text.to_lowercase();
        let local: Vec<ChannelInfo> = session.read(|state| {
            state
                .channel_entries(self.id())
                .unwrap_or_default()
                .into_iter()
                .map(|entry| entry.info)
                .filter(|info| info.name.to_lowercase().contains(&needle))
                .collect()
        });
        let answer = session
            .call(op::SearchChannels(SearchChannels {
                community_id: self.id().clone(),
                query: text,
                limit: None,
            }))
            .await;
        let (found, server) = match answer {
            Ok(matches) => (matches.channels, ServerSearch::Answered),
            Err(error) => (Vec::new(), ServerSearch::Failed(error)),
        };
        let mut channels = merge_by(found, local, |c| c.channel_id.clone());
        channels.sort_by_cached_key(|c| {
            (
                !c.name.to_lowercase().starts_with(&needle),
                c.name.to_lowercase(),
                c.channel_id.clone(),
            )
        });
        Ok(ChannelSearchResults { channels, server })
    }

    /// Members whose display name, nickname or id contains `text` (case-insensitive), a
    /// page from the server (`list_members`; members are not cached). `text` is checked
    /// like a search query first.
    pub async fn search_members(
        &self,
        text: &str,
        limit: Option<u32>,
    ) -> Result<MembersPage, SdkError> {
        let session = self.session()?;
        let text = session.read(|state| -> Result<String, ApiError> {
            state.limits.page_size(limit)?;
            check_name_text(&state.limits, text)
        })?;
        session
            .call(op::ListMembers(ListMembers {
                community_id: self.id().clone(),
                query: Some(text),
                group_id: None,
                field: None,
                cursor: None,
                limit,
            }))
            .await
    }
}

impl ChannelHandle {
    /// Searches this channel's, thread's or conversation's messages: the cache, merged
    /// with the server's full history when it answers (see [`Client::search`]).
    /// `options.community_id` and `options.channel_id` are this stream's.
    pub async fn search(&self, mut options: SearchOptions) -> Result<SearchResults, SdkError> {
        options.community_id = Some(self.community_id().clone());
        options.channel_id = Some(self.id().clone());
        Client {
            inner: self.client.clone(),
        }
        .search(options)
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use community_protocol::MessageContent;

    fn hit(channel: &str, seq: Seq, text: &str) -> SearchHit {
        let mut message = crate::store::test_support::message("a", channel, seq);
        message.content = MessageContent::Text { text: text.into() };
        SearchHit {
            message,
            snippet: Snippet {
                text: text.into(),
                highlights: Vec::new(),
            },
        }
    }

    fn keys(hits: &[MessageHit]) -> Vec<(String, Seq, HitSource)> {
        hits.iter()
            .map(|h| {
                (
                    h.message.channel_id.as_str().to_owned(),
                    h.message.seq,
                    h.source,
                )
            })
            .collect()
    }

    #[test]
    fn search_merge_interleaves_by_rank_and_keeps_each_message_once_as_the_servers_copy() {
        let server = vec![
            hit("c", 1, "server 1"),
            hit("c", 2, "server 2"),
            hit("c", 3, "server 3"),
        ];
        let local = vec![
            hit("c", 3, "local 3"),
            hit("c", 9, "local 9"),
            hit("c", 1, "local 1"),
        ];
        let merged = interleave(server, local);
        use HitSource::{Local, Server};
        assert_eq!(
            keys(&merged),
            vec![
                ("c".into(), 1, Server),
                // Local #3 ranks first locally: the server's copy moves up to its place.
                ("c".into(), 3, Server),
                ("c".into(), 2, Server),
                ("c".into(), 9, Local),
            ]
        );
        assert_eq!(merged[1].snippet.text, "server 3");
        assert!(interleave(Vec::new(), Vec::new()).is_empty());
        assert_eq!(
            keys(&interleave(Vec::new(), vec![hit("c", 4, "x")])),
            vec![("c".into(), 4, Local)]
        );
    }

    #[test]
    fn search_options_are_checked_before_any_io() {
        let limits = Limits::default();
        let bad = |query: &str, limit: Option<u32>| {
            check_options(
                &limits,
                &SearchOptions {
                    limit,
                    ..SearchOptions::new(query)
                },
            )
            .err()
            .map(|e| e.code)
        };
        assert_eq!(bad("\"open", None), Some(ErrorCode::INVALID_SEARCH_QUERY));
        assert_eq!(bad("", None), Some(ErrorCode::INVALID_SEARCH_QUERY));
        assert_eq!(
            bad(&"x".repeat(10 * 1024), None),
            Some(ErrorCode::INVALID_SEARCH_QUERY)
        );
        assert_eq!(bad("raid", Some(0)), Some(ErrorCode::PAGE_SIZE_TOO_LARGE));
        assert_eq!(bad("raid", Some(101)), Some(ErrorCode::PAGE_SIZE_TOO_LARGE));
        assert_eq!(bad("raid", None), None);
        let checked = check_options(&limits, &SearchOptions::new("raid")).unwrap();
        assert_eq!(checked.limit, DEFAULT_SEARCH_LIMIT);
        assert_eq!(
            check_name_text(&limits, "  ").unwrap_err().code,
            ErrorCode::INVALID_SEARCH_QUERY
        );
        assert_eq!(check_name_text(&limits, " Gen ").unwrap(), "Gen");
    }

    #[test]
    fn search_cursors_round_trip_and_refuse_others() {
        let cursor = MergedCursor::Server {
            server: "opaque".into(),
            shown: vec![("c".into(), 4)],
        };
        assert_eq!(MergedCursor::parse(&cursor.text()).unwrap(), cursor);
        let local = MergedCursor::Local {
            local: "s1:5:-:0".into(),
        };
        assert_eq!(MergedCursor::parse(&local.text()).unwrap(), local);
        assert!(MergedCursor::parse("s1:5:-:0").is_err());
        assert!(MergedCursor::parse("{\"mode\":\"other\"}").is_err());
    }

    #[test]
    fn search_name_merge_keeps_the_servers_copy_once() {
        let merged = merge_by(
            vec![(1, "server"), (2, "server")],
            vec![(2, "local"), (3, "local")],
            |x| x.0,
        );
        assert_eq!(merged, vec![(1, "server"), (2, "server"), (3, "local")]);
    }
}
