//! Search in SQLite: the SQL functions the schema-6 migration calls, the FTS5 `MATCH`
//! expression of a search, and the queries of [`SearchStore`]. The index is kept up to
//! date after the writes, from a queue (`indexer`).
//!
//! The index (schema version 6) is the contentless FTS5 table `message_search` with two
//! columns: `body`, the protocol's index text of a message, and `tags`, one token per
//! exact filter (`k…` the community, `s…` the stream, `u…` the sender: a letter and the
//! id's bytes in lower-case hex, so any id is one token). `message_search_docs` maps a
//! row to its message under its position (the candidate's [`SearchCandidate::position`]):
//! the message's creation time shifted left by 20 bits plus its rank within that
//! millisecond. The index row id is minus the position, so that FTS5, which reads posting
//! lists fastest in ascending id order, meets the newest matches first.
//!
//! No user text is ever written into SQL: the user's part of the expression is
//! [`SearchQuery::fts5`] (every term quoted), wrapped in a column filter on `body`; the
//! tags are hex; the whole expression is bound as a parameter.

use community_protocol::{ChannelId, CommunityId, TimestampMs, UserId};
use rusqlite::params;
use tracing::trace_span;

use super::SqliteTx;
use super::convert::{id, in_row, unsigned};
use super::search_doc::{position_of, tag};
use crate::store::{MessageSearch, SearchCandidate, SearchStore, StoreResult};

/// Above this many conversations the expression does not list them (the join filter
/// alone restricts the rows).
const MAX_LISTED_STREAMS: usize = 256;

/// The candidate query: the index walked from the newest match down, joined with each
/// row's message (its content, for ranking and snippets), filtered by what the caller may
/// read and by what they hid. `CROSS JOIN` keeps the index as the outer loop.
/// ?1 expression, ?2 lowest row id (minus the highest position), ?3 highest row id, ?4
/// JSON array of excluded channels, ?5 JSON array of the only streams, ?6 viewer, ?7
/// limit.
pub(super) const CANDIDATES_SQL: &str = "SELECT d.doc_id, d.channel_id, d.seq, m.content
    FROM message_search
    CROSS JOIN message_search_docs d ON d.doc_id = -message_search.rowid
    CROSS JOIN messages m ON m.channel_id = d.channel_id AND m.seq = d.seq
    WHERE message_search MATCH ?1
      AND message_search.rowid >= ?2 AND message_search.rowid <= ?3
      AND (?4 IS NULL OR d.scope_id NOT IN (SELECT value FROM json_each(?4)))
      AND (?5 IS NULL OR d.channel_id IN (SELECT value FROM json_each(?5)))
      AND NOT EXISTS (SELECT 1 FROM hidden h
                      WHERE h.user_id = ?6 AND h.channel_id = d.channel_id AND h.seq = d.seq)
    ORDER BY message_search.rowid
    LIMIT ?7";

/// Communities a user may find by name. ?1 user, ?2 folded text, ?3 now, ?4 limit.
const COMMUNITIES_SQL: &str = "SELECT c.community_id,
        EXISTS (SELECT 1 FROM members m
                WHERE m.community_id = c.community_id AND m.user_id = ?1) AS joined,
        instr(fold_case(c.name), ?2) AS at
    FROM communities c
    WHERE c.community_id <> '@me' AND at > 0
      AND (joined OR (c.join_policy <> 'invite_only'
           AND NOT EXISTS (SELECT 1 FROM bans b
                           WHERE b.community_id = c.community_id AND b.user_id = ?1
                             AND (b.until_ms IS NULL OR b.until_ms > ?3))))
    ORDER BY joined DESC, at = 1 DESC, fold_case(c.name), c.community_id
    LIMIT ?4";

/// The FTS5 expression of a search: the filters' tags, then the query on `body`.
fn match_expression(search: &MessageSearch<'_>) -> String {
    let quoted = |token: String| format!("\"{token}\"");
    let mut parts = vec![format!(
        "tags : {}",
        quoted(tag('k', search.community_id.as_str()))
    )];
    if let Some(stream) = search.stream {
        parts.push(format!("tags : {}", quoted(tag('s', stream.as_str()))));
    }
    if let Some(sender) = search.sender {
        parts.push(format!("tags : {}", quoted(tag('u', sender.as_str()))));
    }
    if let Some(only) = search.only_streams
        && only.len() <= MAX_LISTED_STREAMS
    {
        let any: Vec<String> = only
            .iter()
            .map(|id| quoted(tag('s', id.as_str())))
            .collect();
        parts.push(format!("tags : ({})", any.join(" OR ")));
    }
    parts.push(format!("body : ({})", search.query.fts5()));
    parts.join(" AND ")
}

/// A list of ids as a JSON array (for `json_each`), `None` for no list.
fn id_list<T: AsRef<str>>(ids: Option<&[T]>) -> StoreResult<Option<String>> {
    ids.map(|ids| {
        let ids: Vec<&str> = ids.iter().map(AsRef::as_ref).collect();
        serde_json::to_string(&ids)
    })
    .transpose()
    .map_err(Into::into)
}

impl SearchStore for SqliteTx<'_> {
    fn search_candidates(
        &self,
        search: &MessageSearch<'_>,
        ceiling: i64,
        limit: u32,
    ) -> StoreResult<Vec<SearchCandidate>> {
        let _span = trace_span!("search_candidates", limit).entered();
        if search.only_streams.is_some_and(<[ChannelId]>::is_empty) {
            return Ok(Vec::new());
        }
        let lowest = search.after_ms.map_or(0, position_of);
        let highest = search
            .before_ms
            .map_or(i64::MAX, |ms| position_of(ms).saturating_sub(1))
            .min(ceiling);
        if lowest > highest {
            return Ok(Vec::new());
        }
        let excluded = (!search.excluded_channels.is_empty()).then_some(search.excluded_channels);
        let mut statement = self.conn.prepare_cached(CANDIDATES_SQL)?;
        let rows = statement.query_map(
            params![
                match_expression(search),
                highest.saturating_neg(),
                lowest.saturating_neg(),
                id_list(excluded)?,
                id_list(search.only_streams)?,
                search.viewer.as_str(),
                limit,
            ],
            |row| {
                let content: String = row.get(3)?;
                Ok(SearchCandidate {
                    position: row.get(0)?,
                    channel_id: id(row, 1)?,
                    seq: unsigned(row.get(2)?),
                    content: serde_json::from_str(&content).map_err(|e| in_row(e.into()))?,
                })
            },
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn index_pending(&self) -> StoreResult<()> {
        super::indexer::index_pending(self.conn, None, None)?;
        Ok(())
    }

    fn conversation_ids(&self, user_id: &UserId) -> StoreResult<Vec<ChannelId>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT conversation_id FROM conversation_members WHERE user_id = ?1
             ORDER BY conversation_id",
        )?;
        let rows = statement.query_map([user_id.as_str()], |row| id(row, 0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn search_communities(
        &self,
        user_id: &UserId,
        folded: &str,
        now: TimestampMs,
        limit: u32,
    ) -> StoreResult<Vec<CommunityId>> {
        let mut statement = self.conn.prepare_cached(COMMUNITIES_SQL)?;
        let rows = statement.query_map(params![user_id.as_str(), folded, now, limit], |row| {
            id(row, 0)
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::super::search_doc::{MAX_POSITION_MS, search_body, tags};
    use community_protocol::Limits;
    use community_protocol::search::SearchQuery;

    use super::*;

    #[test]
    fn tags_are_hex_tokens_and_the_query_is_confined_to_the_body() {
        assert_eq!(tags("c", "ch", "@"), "k63 s6368 u40");
        let query = SearchQuery::parse("raid OR \"x\" body:y", &Limits::default()).unwrap();
        let community: CommunityId = "c".into();
        let sender: UserId = "u".into();
        let only = ["a".into(), "b".into()];
        let viewer: UserId = "v".into();
        let search = MessageSearch {
            community_id: &community,
            query: &query,
            stream: None,
            sender: Some(&sender),
            after_ms: None,
            before_ms: None,
            excluded_channels: &[],
            only_streams: Some(&only),
            viewer: &viewer,
        };
        assert_eq!(
            match_expression(&search),
            "tags : \"k63\" AND tags : \"u75\" AND tags : (\"s61\" OR \"s62\") AND \
             body : (\"raid\" AND \"or\" AND \"x\" AND \"body\" AND \"y\")"
        );
    }

    #[test]
    fn bodies_come_from_searchable_content_only() {
        assert_eq!(
            search_body(r#"{"type":"text","text":"Raid at 9"}"#).as_deref(),
            Some("raid at 9")
        );
        assert_eq!(search_body(r#"{"type":"text","text":"?!"}"#), None);
        assert_eq!(
            search_body(r#"{"type":"recalled","by":"a","at_ms":1}"#),
            None
        );
        assert_eq!(search_body("not json"), None);
    }

    #[test]
    fn positions_follow_time_and_are_clamped() {
        assert_eq!(position_of(1), 1 << 20);
        assert_eq!(position_of(-5), 0);
        assert_eq!(position_of(i64::MAX), MAX_POSITION_MS << 20);
    }
}
