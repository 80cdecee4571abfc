//! Search in PostgreSQL: the full-text index of messages, the name lookups of communities
//! and the conversation list.
//!
//! The index (`message_search_docs`, migration 2) is kept inside the transaction of every
//! write to a message ([`PgTx::reindex`]), so a search sees exactly what its snapshot
//! holds and [`SearchStore::index_pending`] has nothing to do. A document's `body` is a
//! `tsvector` built from the protocol's index tokens (`index_text`: words lower-cased, CJK
//! runs as bigrams) with their positions, and a query is a `tsquery` built from the
//! parsed terms (a phrase: its tokens joined by `<->`; a prefix: `'…':*`; every term
//! `&`), so no text-search parser or dictionary of PostgreSQL takes part: messages and
//! queries are cut by the same protocol code, as with SQLite's FTS5. Diacritics of Latin
//! letters are removed from both sides ([`fold_diacritics`]), as FTS5's
//! `remove_diacritics` does. Candidates come newest first by position, as the domain
//! ranks them.

use std::collections::BTreeMap;

use community_protocol::search::{SearchQuery, Term, index_text, indexable_text};
use community_protocol::{ChannelId, CommunityId, MessageContent, TimestampMs, UserId};

use super::PgTx;
use super::convert::{json, unsigned};
use crate::store::{MessageSearch, SearchCandidate, SearchStore, StoreResult};

/// Bits of a position below the millisecond (as in the SQLite engine).
const POSITION_SHIFT: u32 = 20;

/// The largest millisecond a position can hold.
const MAX_POSITION_MS: i64 = (1 << 43) - 1;

/// The largest position PostgreSQL keeps in a `tsvector`.
const MAX_TS_POSITION: usize = 16_383;

/// The first position of millisecond `ms`.
fn position_of(ms: TimestampMs) -> i64 {
    ms.clamp(0, MAX_POSITION_MS) << POSITION_SHIFT
}

/// `token` without the diacritics of its Latin letters (`café` → `cafe`): each letter of
/// the Latin blocks is decomposed and its combining marks dropped; other scripts (Hangul
/// syllables would decompose into jamo) are left alone.
fn fold_diacritics(token: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::is_combining_mark;
    let latin = |c: char| matches!(c, '\u{00C0}'..='\u{024F}' | '\u{1E00}'..='\u{1EFF}');
    let mut out = String::with_capacity(token.len());
    for c in token.chars() {
        if latin(c) {
            out.extend(
                std::iter::once(c)
                    .nfd()
                    .filter(|&part| !is_combining_mark(part)),
            );
        } else {
            out.push(c);
        }
    }
    out
}

/// The longest lexeme PostgreSQL accepts, in bytes.
const MAX_LEXEME_BYTES: usize = 2046;

/// A lexeme (diacritics folded; a longer token cut to its first [`MAX_LEXEME_BYTES`]
/// bytes, on both sides, so it still finds itself) quoted for `tsvector` / `tsquery`
/// input.
fn lexeme(token: &str) -> String {
    let mut token = fold_diacritics(token);
    if token.len() > MAX_LEXEME_BYTES {
        let mut end = MAX_LEXEME_BYTES;
        while !token.is_char_boundary(end) {
            end -= 1;
        }
        token.truncate(end);
    }
    format!("'{}'", token.replace('\\', "\\\\").replace('\'', "''"))
}

/// The `tsvector` of an index text: every token with its positions.
fn ts_vector(body: &str) -> String {
    let mut positions: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (at, token) in body.split(' ').filter(|t| !t.is_empty()).enumerate() {
        positions
            .entry(token)
            .or_default()
            .push((at + 1).min(MAX_TS_POSITION));
    }
    positions
        .iter()
        .map(|(token, at)| {
            let at: Vec<String> = at.iter().map(usize::to_string).collect();
            format!("{}:{}", lexeme(token), at.join(","))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `tsquery` of a parsed query (`None` when it has no term).
fn ts_query(query: &SearchQuery) -> Option<String> {
    let terms: Vec<String> = query
        .terms()
        .iter()
        .filter_map(|term| match term {
            Term::Phrase(tokens) if tokens.is_empty() => None,
            Term::Phrase(tokens) => {
                let joined: Vec<String> = tokens.iter().map(|t| lexeme(t)).collect();
                Some(format!("({})", joined.join(" <-> ")))
            }
            Term::Prefix(text) => Some(format!("{}:*", lexeme(text))),
        })
        .collect();
    (!terms.is_empty()).then(|| terms.join(" & "))
}

impl PgTx<'_> {
    /// Brings the index entry of one message in line with the message as stored now:
    /// indexed (at a new position) when it has searchable text and none yet, re-indexed
    /// in place when it has one, dropped when it has no searchable text any more.
    pub(super) fn reindex(&self, channel_id: &ChannelId, seq: i64) -> StoreResult<()> {
        let Some(row) = self.query_opt(
            "SELECT m.community_id, m.sender_id, m.created_at_ms, m.content,
                    COALESCE(c.parent_channel_id, m.channel_id)
               FROM messages m JOIN channels c ON c.channel_id = m.channel_id
              WHERE m.channel_id = $1 AND m.seq = $2",
            &[&channel_id.as_str(), &seq],
        )?
        else {
            return Ok(());
        };
        let content: MessageContent = json(row.get::<_, &str>(3))?;
        let body = indexable_text(&content)
            .map(index_text)
            .filter(|body| !body.is_empty());
        let Some(body) = body else {
            self.execute(
                "DELETE FROM message_search_docs WHERE channel_id = $1 AND seq = $2",
                &[&channel_id.as_str(), &seq],
            )?;
            return Ok(());
        };
        let vector = ts_vector(&body);
        let updated = self.execute(
            "UPDATE message_search_docs SET body = $3::text::tsvector
              WHERE channel_id = $1 AND seq = $2",
            &[&channel_id.as_str(), &seq, &vector],
        )?;
        if updated > 0 {
            return Ok(());
        }
        let base = position_of(row.get(2));
        // Positions within one millisecond are handed out one writer at a time.
        self.execute("SELECT pg_advisory_xact_lock($1)", &[&base])?;
        self.execute(
            "INSERT INTO message_search_docs (doc_id, channel_id, seq, scope_id, community_id,
                    sender_id, body)
             SELECT COALESCE(MAX(doc_id) + 1, $1), $2, $3, $4, $5, $6, $7::text::tsvector
               FROM message_search_docs WHERE doc_id BETWEEN $1 AND $1 + 1048575",
            &[
                &base,
                &channel_id.as_str(),
                &seq,
                &row.get::<_, &str>(4),
                &row.get::<_, &str>(0),
                &row.get::<_, &str>(1),
                &vector,
            ],
        )?;
        Ok(())
    }
}

impl SearchStore for PgTx<'_> {
    fn search_candidates(
        &self,
        search: &MessageSearch<'_>,
        ceiling: i64,
        limit: u32,
    ) -> StoreResult<Vec<SearchCandidate>> {
        if search.only_streams.is_some_and(<[ChannelId]>::is_empty) {
            return Ok(Vec::new());
        }
        let Some(query) = ts_query(search.query) else {
            return Ok(Vec::new());
        };
        let lowest = search.after_ms.map_or(0, position_of);
        let highest = search
            .before_ms
            .map_or(i64::MAX, |ms| position_of(ms).saturating_sub(1))
            .min(ceiling);
        if lowest > highest {
            return Ok(Vec::new());
        }
        let excluded: Vec<&str> = search
            .excluded_channels
            .iter()
            .map(ChannelId::as_str)
            .collect();
        let only: Option<Vec<&str>> = search
            .only_streams
            .map(|ids| ids.iter().map(ChannelId::as_str).collect());
        let rows = self.query(
            "SELECT d.doc_id, d.channel_id, d.seq, m.content
               FROM message_search_docs d
               JOIN messages m ON m.channel_id = d.channel_id AND m.seq = d.seq
              WHERE d.community_id = $1 AND d.body @@ $2::text::tsquery
                AND ($3::text IS NULL OR d.channel_id = $3::text)
                AND ($4::text IS NULL OR d.sender_id = $4::text)
                AND d.doc_id BETWEEN $5 AND $6
                AND NOT (d.scope_id = ANY($7::text[]))
                AND ($8::text[] IS NULL OR d.channel_id = ANY($8::text[]))
                AND NOT EXISTS (SELECT 1 FROM hidden h WHERE h.user_id = $9
                                AND h.channel_id = d.channel_id AND h.seq = d.seq)
              ORDER BY d.doc_id DESC LIMIT $10",
            &[
                &search.community_id.as_str(),
                &query,
                &search.stream.map(ChannelId::as_str),
                &search.sender.map(UserId::as_str),
                &lowest,
                &highest,
                &excluded,
                &only,
                &search.viewer.as_str(),
                &i64::from(limit),
            ],
        )?;
        rows.iter()
            .map(|row| {
                Ok(SearchCandidate {
                    position: row.get(0),
                    channel_id: row.get::<_, String>(1).into(),
                    seq: unsigned(row.get(2)),
                    content: json(row.get::<_, &str>(3))?,
                })
            })
            .collect()
    }

    fn index_pending(&self) -> StoreResult<()> {
        Ok(())
    }

    fn conversation_ids(&self, user_id: &UserId) -> StoreResult<Vec<ChannelId>> {
        self.ids(
            "SELECT conversation_id FROM conversation_members WHERE user_id = $1
             ORDER BY conversation_id",
            user_id.as_str(),
        )
    }

    fn search_communities(
        &self,
        user_id: &UserId,
        folded: &str,
        now: TimestampMs,
        limit: u32,
    ) -> StoreResult<Vec<CommunityId>> {
        self.ids_with(
            "SELECT community_id FROM (
                SELECT c.community_id, c.name, c.join_policy,
                       EXISTS (SELECT 1 FROM members m
                               WHERE m.community_id = c.community_id AND m.user_id = $1)
                           AS joined,
                       strpos(fold_case(c.name), $2::text) AS at
                  FROM communities c WHERE c.community_id <> '@me') s
             WHERE at > 0
               AND (joined OR (join_policy <> 'invite_only'
                    AND NOT EXISTS (SELECT 1 FROM bans b
                                    WHERE b.community_id = s.community_id AND b.user_id = $1
                                      AND (b.until_ms IS NULL OR b.until_ms > $3))))
             ORDER BY joined DESC, at = 1 DESC, fold_case(name) COLLATE \"C\", community_id
             LIMIT $4",
            &[&user_id.as_str(), &folded, &now, &i64::from(limit)],
        )
    }
}

impl PgTx<'_> {
    /// The first column of every row of `sql`, as typed ids.
    fn ids_with<T: From<String>>(
        &self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> StoreResult<Vec<T>> {
        Ok(self
            .query(sql, params)?
            .iter()
            .map(|row| T::from(row.get::<_, String>(0)))
            .collect())
    }
}
