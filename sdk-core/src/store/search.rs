//! Local full-text search over the cached messages: the query side of
//! [`super::search_index`].
//!
//! A search takes the *window* of the newest [`WINDOW`] matches (one FTS5 scan in rowid
//! order — newest first — that stops there; filters are `meta` tokens and rowid bounds in
//! the same scan), ranks it by Okapi BM25 (FTS5's constants, `k1` 1.2, `b` 0.75),
//! newest first on a tie, and returns one page of it. Later pages walk the ranked window,
//! then the next older window, and so on: every match is reached, and a page costs the
//! same however many messages match. Within a window the ranking is exact BM25 over the
//! whole cache's statistics, except that a term's document frequency is counted up to
//! [`DF_CAP`] (terms found in more messages than that weigh alike). FTS5's own `bm25()`
//! is not used: it counts every query term's whole document list on each query, which
//! is tens of milliseconds for a common word in a million messages.
//!
//! Every search is exact although indexing is deferred (see [`super::search_index`]):
//! `Store::search` first has the writer finish the queued index work, and a candidate
//! counts only while its message's `search_id` is still the document's id (a write that
//! makes a document stale clears it in its own transaction).
//!
//! The MATCH expression is always the protocol's [`SearchQuery::fts5`] (every term
//! quoted) inside a `body : (…)` column filter, plus `meta` tokens this module makes from
//! hashes; it is bound as a parameter, so what the user typed never reaches SQL as syntax.

use community_protocol::search::{
    SNIPPET_CHARS, SearchHit, SearchQuery, Term, index_text, indexable_text, snippet,
};
use community_protocol::{
    ChannelId, CommunityId, Limits, MessageContent, Seq, TimestampMs, UserId,
};
use rusqlite::{Connection, params};

use super::StoreError;
use super::columns::{from_json, uint};
use super::messages;
use super::search_index::{id_bounds, meta_token};

/// Matches ranked together: the newest this many (then the next older ones).
pub const WINDOW: usize = 500;
/// A term's document frequency is counted up to this many messages.
pub const DF_CAP: i64 = 5_000;
const K1: f64 = 1.2;
const B: f64 = 0.75;

/// A local search: the parsed query (see [`SearchQuery::parse`]), filters, and the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchRequest {
    /// What to find.
    pub query: SearchQuery,
    /// Only in this community (`@me`: conversations).
    pub community_id: Option<CommunityId>,
    /// Only in this channel, thread or conversation.
    pub channel_id: Option<ChannelId>,
    /// Only messages of this sender.
    pub sender_id: Option<UserId>,
    /// Only messages created at or after this time.
    pub after_ms: Option<TimestampMs>,
    /// Only messages created before this time.
    pub before_ms: Option<TimestampMs>,
    /// Where the page starts (the previous page's `next_cursor`).
    pub cursor: Option<SearchCursor>,
    /// Page size (at least 1).
    pub limit: u32,
}

impl SearchRequest {
    /// A first page of `limit` hits of `query`, without filters.
    pub fn new(query: SearchQuery, limit: u32) -> Self {
        Self {
            query,
            community_id: None,
            channel_id: None,
            sender_id: None,
            after_ms: None,
            before_ms: None,
            cursor: None,
            limit,
        }
    }
}

/// Where the next page of a local search starts: a window of document ids (`lo..=hi`;
/// `hi` unknown: the newest [`WINDOW`] matches from `lo` on — ids grow with age) and a
/// position in its ranking. Its text form (`Display` / [`SearchCursor::parse`]) is
/// opaque to apps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchCursor {
    lo: i64,
    hi: Option<i64>,
    offset: u32,
}

impl SearchCursor {
    /// Reads a cursor written by `to_string`; `None` when it is not one.
    pub fn parse(text: &str) -> Option<SearchCursor> {
        let mut parts = text.strip_prefix("s1:")?.split(':');
        let lo = parts.next()?.parse().ok()?;
        let hi = match parts.next()? {
            "-" => None,
            hi => Some(hi.parse().ok()?),
        };
        let offset = parts.next()?.parse().ok()?;
        if parts.next().is_some() || hi.is_some_and(|hi| hi < lo) {
            return None;
        }
        Some(SearchCursor { lo, hi, offset })
    }
}

impl std::fmt::Display for SearchCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.hi {
            Some(hi) => write!(f, "s1:{}:{}:{}", self.lo, hi, self.offset),
            None => write!(f, "s1:{}:-:{}", self.lo, self.offset),
        }
    }
}

/// One page of a local search.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LocalSearchPage {
    /// The hits, best first.
    pub hits: Vec<SearchHit>,
    /// Where the next page starts; `None` after the last.
    pub next_cursor: Option<SearchCursor>,
}

/// Runs `request` in one read transaction.
pub(crate) fn search(
    connection: &Connection,
    request: &SearchRequest,
) -> Result<LocalSearchPage, StoreError> {
    connection.prepare_cached("BEGIN")?.execute([])?;
    let page = run(connection, request);
    if let Ok(mut commit) = connection.prepare_cached("COMMIT") {
        let _ = commit.execute([]);
    }
    page
}

/// The MATCH expression: the query in `body`, the filters in `meta`.
fn expression(request: &SearchRequest) -> String {
    let mut expression = format!("body : ({})", request.query.fts5());
    let filters = [
        ('k', request.community_id.as_ref().map(|id| id.as_str())),
        ('c', request.channel_id.as_ref().map(|id| id.as_str())),
        ('s', request.sender_id.as_ref().map(|id| id.as_str())),
    ];
    for (kind, id) in filters {
        if let Some(id) = id {
            expression.push_str(&format!(" AND meta : \"{}\"", meta_token(kind, id)));
        }
    }
    expression
}

/// A match to rank.
struct Candidate {
    id: i64,
    channel_id: String,
    seq: Seq,
    score: f64,
}

fn run(connection: &Connection, request: &SearchRequest) -> Result<LocalSearchPage, StoreError> {
    let (lower, upper) = id_bounds(request.after_ms, request.before_ms);
    let (lo, hi, offset) = match request.cursor {
        Some(cursor) => (cursor.lo.max(lower), cursor.hi, cursor.offset as usize),
        None => (lower, None, 0),
    };
    let empty = LocalSearchPage::default();
    if lo > upper || request.limit == 0 {
        return Ok(empty);
    }
    let expression = expression(request);
    let ids: Vec<i64> = match hi {
        Some(hi) => connection
            .prepare_cached(
                "SELECT rowid FROM message_search WHERE message_search MATCH ?1
                 AND rowid BETWEEN ?2 AND ?3 ORDER BY rowid",
            )?
            .query_map(params![expression, lo, hi.min(upper)], |row| row.get(0))?
            .collect::<Result<_, _>>()?,
        None => connection
            .prepare_cached(
                "SELECT rowid FROM message_search WHERE message_search MATCH ?1
                 AND rowid BETWEEN ?2 AND ?3 ORDER BY rowid LIMIT ?4",
            )?
            .query_map(params![expression, lo, upper, WINDOW as i64], |row| {
                row.get(0)
            })?
            .collect::<Result<_, _>>()?,
    };
    let hi = match (hi, ids.last()) {
        (Some(hi), _) => hi.min(upper),
        (None, Some(last)) if ids.len() == WINDOW => *last,
        (None, _) => upper,
    };
    let mut ranked = rank(connection, request, &ids)?;
    // Best first; equal scores newest (lowest id) first.
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));

    let end = (offset + request.limit as usize).min(ranked.len());
    let mut hits = Vec::with_capacity(end.saturating_sub(offset));
    for candidate in ranked.get(offset..end).unwrap_or_default() {
        let channel_id = ChannelId::from(candidate.channel_id.as_str());
        let Some(message) = messages::get(connection, &channel_id, candidate.seq)? else {
            continue;
        };
        let text = indexable_text(&message.content).unwrap_or_default();
        let snippet = snippet(text, &request.query, SNIPPET_CHARS);
        hits.push(SearchHit { message, snippet });
    }
    let next_cursor = if end < ranked.len() {
        Some(SearchCursor {
            lo,
            hi: Some(hi),
            offset: end as u32,
        })
    } else if hi < upper {
        // Older matches: the next window starts just after this one.
        Some(SearchCursor {
            lo: hi + 1,
            hi: None,
            offset: 0,
        })
    } else {
        None
    };
    Ok(LocalSearchPage { hits, next_cursor })
}

/// Reads the candidates, drops those the filters exclude (hash collisions of the `meta`
/// tokens, times past the ids' range) and scores the rest.
fn rank(
    connection: &Connection,
    request: &SearchRequest,
    ids: &[i64],
) -> Result<Vec<Candidate>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let (docs, tokens): (i64, i64) = connection
        .prepare_cached("SELECT docs, tokens FROM search_stats WHERE id = 1")?
        .query_row([], |row| Ok((row.get(0)?, row.get(1)?)))?;
    let docs = docs.max(1) as f64;
    let average = (tokens.max(1) as f64 / docs).max(1.0);
    let terms = request.query.terms();
    let weights: Vec<f64> = terms
        .iter()
        .map(|term| {
            let found = document_frequency(connection, term)? as f64;
            let idf = ((docs - found + 0.5) / (found + 0.5)).ln();
            Ok(if idf > 0.0 { idf } else { 1e-6 })
        })
        .collect::<Result<_, StoreError>>()?;

    // Documents first, in id order (`search_docs` is clustered by id, and a window is a
    // run of ids: a few pages) …
    let mut docs: Vec<(i64, String, i64, i64)> = Vec::with_capacity(ids.len());
    {
        let mut statement = connection
            .prepare_cached("SELECT channel_id, seq, tokens FROM search_docs WHERE id = ?1")?;
        for id in ids {
            let mut rows = statement.query([id])?;
            if let Some(row) = rows.next()? {
                docs.push((*id, row.get(0)?, row.get(1)?, row.get(2)?));
            }
        }
    }
    // … then the messages in `(channel_id, seq)` order: a channel's recent messages share
    // pages of the table, so the reads follow each other.
    docs.sort_by(|a, b| (&a.1, a.2).cmp(&(&b.1, b.2)));
    let mut statement = connection.prepare_cached(
        "SELECT community_id, sender_id, created_at_ms, content, search_id FROM messages
         WHERE channel_id = ?1 AND seq = ?2",
    )?;
    let mut ranked = Vec::with_capacity(docs.len());
    for (id, channel_id, seq, length) in docs {
        let mut rows = statement.query(params![channel_id, seq])?;
        let Some(row) = rows.next()? else { continue };
        // A document counts only while its message still points to it: a write that
        // makes a document stale (an edit, a recall, a hide, a removal) clears
        // `search_id` in its own transaction, before the document itself is removed.
        if row.get::<_, Option<i64>>(4)? != Some(id) {
            continue;
        }
        let community_id: String = row.get(0)?;
        let sender_id: String = row.get(1)?;
        let created_at_ms: i64 = row.get(2)?;
        let excluded = request
            .channel_id
            .as_ref()
            .is_some_and(|c| c.as_str() != channel_id)
            || request
                .community_id
                .as_ref()
                .is_some_and(|c| c.as_str() != community_id)
            || request
                .sender_id
                .as_ref()
                .is_some_and(|s| s.as_str() != sender_id)
            || request.after_ms.is_some_and(|after| created_at_ms < after)
            || request
                .before_ms
                .is_some_and(|before| created_at_ms >= before);
        if excluded {
            continue;
        }
        let seq = uint(seq, "seq")?;
        let length = length.max(1) as f64;
        let content: MessageContent = from_json(&row.get::<_, String>(3)?, "message content")?;
        let text = indexable_text(&content).unwrap_or_default();
        let indexed;
        let tokens: Vec<&str> = if text.is_ascii() {
            // The index's tokens of ASCII text, without building them (see `body`).
            text.split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|t| !t.is_empty())
                .collect()
        } else {
            indexed = index_text(text);
            indexed.split(' ').filter(|t| !t.is_empty()).collect()
        };
        let norm = K1 * (1.0 - B + B * length / average);
        let score = terms
            .iter()
            .zip(&weights)
            .map(|(term, idf)| {
                // FTS5 found every term in this message; counting can miss a match that
                // only its accent folding makes (`é` = `e`), so at least once.
                let tf = f64::from(frequency(&tokens, term).max(1));
                idf * tf * (K1 + 1.0) / (tf + norm)
            })
            .sum();
        ranked.push(Candidate {
            id,
            channel_id,
            seq,
            score,
        });
    }
    Ok(ranked)
}

/// How often `term` occurs in `tokens` (a phrase: its tokens in a row; a prefix: tokens
/// starting with it). Query tokens are lower-cased; document tokens are lower-cased or
/// raw ASCII, hence the ASCII-insensitive comparison.
fn frequency(tokens: &[&str], term: &Term) -> u32 {
    match term {
        Term::Phrase(phrase) if !phrase.is_empty() => tokens
            .windows(phrase.len())
            .filter(|window| {
                window
                    .iter()
                    .zip(phrase)
                    .all(|(t, p)| t.eq_ignore_ascii_case(p))
            })
            .count() as u32,
        Term::Phrase(_) => 0,
        Term::Prefix(prefix) => tokens
            .iter()
            .filter(|t| {
                t.len() >= prefix.len()
                    && t.is_char_boundary(prefix.len())
                    && t[..prefix.len()].eq_ignore_ascii_case(prefix)
            })
            .count() as u32,
    }
}

/// Messages containing `term`, counted up to [`DF_CAP`] (one term at a time, its MATCH
/// expression again from [`SearchQuery::fts5`]); a prefix counts as [`DF_CAP`].
fn document_frequency(connection: &Connection, term: &Term) -> Result<i64, StoreError> {
    // A prefix weighs as a common term: a prefix of any other length than the index's
    // prefix indexes (two and three characters) merges the lists of every word it
    // starts before the first match comes out, so counting it would cost as much as
    // the search.
    let Some(query) = single_term_query(term).filter(|_| matches!(term, Term::Phrase(_))) else {
        return Ok(DF_CAP);
    };
    let found = connection
        .prepare_cached(
            "SELECT count(*) FROM (SELECT 1 FROM message_search
             WHERE message_search MATCH ?1 LIMIT ?2)",
        )?
        .query_row(
            params![format!("body : ({})", query.fts5()), DF_CAP],
            |row| row.get(0),
        )?;
    Ok(found)
}

/// The query of one term alone, parsed again from its text; `None` when that does not
/// give the same term back.
fn single_term_query(term: &Term) -> Option<SearchQuery> {
    let text = match term {
        Term::Phrase(tokens) => format!("\"{}\"", tokens.join(" ")),
        Term::Prefix(prefix) => format!("{prefix}*"),
    };
    let limits = Limits {
        search_query_bytes: usize::MAX,
        search_max_terms: usize::MAX,
        ..Limits::default()
    };
    let query = SearchQuery::parse(&text, &limits).ok()?;
    (query.terms() == std::slice::from_ref(term)).then_some(query)
}

/// Does the queued index work, then runs deferred merges of the index until none is
/// left (the writer also does both when idle).
pub(crate) fn compact(connection: &Connection) -> Result<(), StoreError> {
    super::search_index::index_all(connection)?;
    while super::search_index::merge_step(connection, 4_096)? {}
    Ok(())
}

/// Figures about the index: documents and tokens.
pub(crate) fn stats(connection: &Connection) -> Result<(u64, u64), StoreError> {
    let (docs, tokens): (i64, i64) = connection
        .prepare_cached("SELECT docs, tokens FROM search_stats WHERE id = 1")?
        .query_row([], |row| Ok((row.get(0)?, row.get(1)?)))?;
    Ok((uint(docs, "docs")?, uint(tokens, "tokens")?))
}
