//! Search: `search_messages` (the full history of a community, or of the caller's
//! conversations, by the protocol's query language), `search_channels` and
//! `search_communities` (by name, in [`names`]).
//!
//! A message search parses the query with the protocol's [`SearchQuery::parse`] (its
//! `invalid_search_query` errors as they are), works out what the caller may read
//! ([`scope`]), asks the store for the newest matches there (the SQLite full-text index,
//! in a read transaction whose snapshot has every message indexed: the store works off
//! its queue of writes not yet indexed first), ranks them in windows
//! ([`rank`]: relevance, then newest first) and answers each hit with the message as
//! `get_messages` shows it now and its snippet. The caller's hidden messages are never
//! found; recalled messages and system messages have no searchable text.
//!
//! Decisions (docs/DECISIONS.md, "Search on the server"): ranking within windows of the
//! newest 1,000 matches; a cursor that fixes the window and the score it stopped at, so
//! paging has no duplicate and no gap while messages keep coming.

pub(crate) mod cursor;
pub(crate) mod names;
pub(crate) mod rank;
pub(crate) mod scope;
mod tokens;

use community_protocol::search::{
    SNIPPET_CHARS, SearchHit, SearchMessages, SearchPage, SearchQuery, indexable_text, snippet,
};
use community_protocol::{ApiError, Limits, Response};

use super::context::Ctx;
use crate::store::MessageSearch;
use rank::Resume;

/// Hits per page when the request names no limit.
pub(crate) const DEFAULT_LIMIT: u32 = 20;

/// A page size: 1..=`max_page_size` (`page_size_too_large`), [`DEFAULT_LIMIT`] by
/// default.
pub(crate) fn limit_of(limits: &Limits, requested: Option<u32>) -> Result<u32, ApiError> {
    match requested {
        None => Ok(DEFAULT_LIMIT.min(limits.max_page_size)),
        Some(n) => limits.page_size(Some(n)),
    }
}

/// `search_messages`.
pub(crate) fn messages(cx: &mut Ctx<'_>, p: SearchMessages) -> Result<Response, ApiError> {
    let query = SearchQuery::parse(&p.query, cx.limits)?;
    let limit = limit_of(cx.limits, p.limit)?;
    let hash = cursor::search_hash(&p);
    let from = match p.cursor.as_deref() {
        Some(text) => cursor::decode(hash, text)?,
        None => Resume::start(),
    };
    let scope = scope::scope(cx, &p.community_id, p.channel_id.as_ref())?;
    let search = MessageSearch {
        community_id: &p.community_id,
        query: &query,
        stream: scope.stream.as_ref(),
        sender: p.sender_id.as_ref(),
        after_ms: p.after_ms,
        before_ms: p.before_ms,
        excluded_channels: &scope.excluded,
        only_streams: scope.only.as_deref(),
        viewer: cx.caller,
    };
    let tx = cx.tx;
    let (ranked, next) = rank::page(
        &query,
        from,
        usize::try_from(limit).unwrap_or(usize::MAX),
        |ceiling, n| Ok(tx.search_candidates(&search, ceiling, n)?),
    )?;
    let mut hits = Vec::with_capacity(ranked.len());
    for found in ranked {
        // Read in the same transaction as the index: it exists.
        let Some(message) = tx.message(&found.channel_id, found.seq, Some(cx.caller))? else {
            continue;
        };
        let text = indexable_text(&message.content).unwrap_or_default();
        hits.push(SearchHit {
            snippet: snippet(text, &query, SNIPPET_CHARS),
            message,
        });
    }
    Ok(Response::SearchResults(SearchPage {
        hits,
        next_cursor: next.map(|resume| cursor::encode(hash, &resume)),
    }))
}
