//! The full-text index of cached messages, kept exact in the caller's transaction: every
//! write to `messages` that changes what can be found (an insert, an edit, a recall, a
//! replacement, a hidden message, a channel's cache dropped) changes the index in the
//! same transaction, so a search never sees a recalled word or misses a stored message.
//!
//! Shape (schema 6, see `docs/DECISIONS.md`, "Search in the SDK"):
//! - `message_search`: a contentless FTS5 table (`contentless_delete=1`) with two
//!   columns: `body`, the protocol's [`index_text`] of the message's
//!   [`indexable_text`] (words; CJK runs as bigrams), and `meta`, three filter tokens
//!   (community, channel, sender: a kind letter and 16 hex digits of a stable hash), so
//!   filters are intersections inside the index, not scans.
//! - The rowid (the *document id*) is the message's age: milliseconds before the year
//!   2109 (the latest time an id holds) shifted left 20 bits, plus 20 bits of a hash of
//!   `(channel_id, seq)` (probed upwards on a collision). Ascending ids are newest first,
//!   so "the newest matches" is a forward FTS5 scan that stops early (FTS5 walks its
//!   lists backwards more slowly), and time filters are rowid bounds of the same scan.
//! - `search_docs`: document id → `(channel_id, seq)` and the body's token count;
//!   `messages.search_id` is the way back (NULL: not indexed).
//! - `search_stats`: documents and tokens in all (for BM25's averages).
//!
//! Merges are deferred to the writer's idle time (`automerge=0`; [`merge_step`]), so a
//! write only appends a segment; FTS5's `crisismerge` still bounds the segments per level
//! during long ingests.

use std::borrow::Cow;
use std::collections::HashMap;

use community_protocol::search::{index_text, indexable_text};
use community_protocol::{ChannelId, Message, MessageContent, Seq};
use rusqlite::{Connection, OptionalExtension, params};

use super::StoreError;
use super::columns::{from_json, int};

/// Bits of a document id below the creation time.
const TIME_SHIFT: u32 = 20;
/// The latest creation time an id can hold (year 2109); later times share it.
const MAX_TIME_MS: i64 = (1 << 42) - 1;
const LOW_MASK: i64 = (1 << TIME_SHIFT) - 1;
/// Collisions probed before giving up (two messages in the same millisecond collide with
/// probability 2^-20; thousands in one millisecond would be needed to get this far).
const MAX_PROBES: i64 = 4096;

/// The lowest document id of messages created at `ms` (their ids are
/// `time_key(ms)..=time_key(ms) | LOW_MASK`); newer messages have lower ids.
pub(crate) fn time_key(ms: i64) -> i64 {
    (MAX_TIME_MS - ms.clamp(0, MAX_TIME_MS)) << TIME_SHIFT
}

/// The document ids of messages created in `after_ms..before_ms` (either end open) are
/// within the returned inclusive bounds (times beyond the ids' range share bounds: check
/// the messages themselves).
pub(crate) fn id_bounds(after_ms: Option<i64>, before_ms: Option<i64>) -> (i64, i64) {
    let lower = before_ms.map_or(0, |before| time_key(before.saturating_sub(1)));
    let upper = after_ms.map_or(i64::MAX, |after| time_key(after) | LOW_MASK);
    (lower, upper)
}

/// 64-bit FNV-1a: stable across Rust versions and platforms (the index outlives builds).
pub(crate) fn fnv(parts: &[&[u8]]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in *part {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        // A separator, so ("ab", "c") and ("a", "bc") differ.
        hash ^= 0xff;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// The first document id tried for a message.
fn first_id(message: &Message) -> i64 {
    let low = fnv(&[
        message.channel_id.as_str().as_bytes(),
        &message.seq.to_le_bytes(),
    ]) as i64
        & LOW_MASK;
    time_key(message.created_at_ms) | low
}

/// The `meta` token of a filter value: `kind` (`k` community, `c` channel, `s` sender)
/// and 16 hex digits of its hash. A collision only costs a few extra candidates: hits are
/// checked against the message itself.
pub(crate) fn meta_token(kind: char, id: &str) -> String {
    format!("{kind}{:016x}", fnv(&[id.as_bytes()]))
}

fn meta(message: &Message) -> String {
    format!(
        "{} {} {}",
        meta_token('k', message.community_id.as_str()),
        meta_token('c', message.channel_id.as_str()),
        meta_token('s', message.sender_id.as_str()),
    )
}

/// What the index holds for `content` and its number of tokens; `None` when there is
/// nothing to find (recalled, system, unsupported, only punctuation).
///
/// ASCII text is given to FTS5 as it is: `unicode61` then cuts and folds it exactly as
/// [`index_text`] would (runs of ASCII letters and digits, lower-cased), without building
/// a second string; a test checks the two give the same tokens.
pub(crate) fn body(content: &MessageContent) -> Option<(Cow<'_, str>, i64)> {
    let text = indexable_text(content)?;
    let (body, tokens) = if text.is_ascii() {
        let tokens = ascii_tokens(text);
        (Cow::Borrowed(text), tokens)
    } else {
        let indexed = index_text(text);
        let tokens = indexed.split(' ').filter(|t| !t.is_empty()).count() as i64;
        (Cow::Owned(indexed), tokens)
    };
    (tokens > 0).then_some((body, tokens))
}

fn ascii_tokens(text: &str) -> i64 {
    let mut count = 0;
    let mut inside = false;
    for byte in text.bytes() {
        let token = byte.is_ascii_alphanumeric();
        if token && !inside {
            count += 1;
        }
        inside = token;
    }
    count
}

/// True when `content` may have something to find (cheap: no text is built).
fn may_index(content: &MessageContent) -> bool {
    indexable_text(content).is_some()
}

/// A change of the FTS5 table, applied by [`Indexer::finish`].
enum FtsWrite {
    Insert { body: String, meta: String },
    Delete,
}

/// Index writes of one store operation. Caches the channels' hidden sets, and holds the
/// FTS5 writes back until [`Indexer::finish`], which applies them in ascending document
/// id (a stable sort: one document's delete and insert keep their order): FTS5 flushes
/// its pending terms into a new segment whenever a document id is not above the previous
/// one, so unsorted writes would cost a segment (and merges) per message.
pub(crate) struct Indexer<'c> {
    connection: &'c Connection,
    hidden: HashMap<String, Vec<Seq>>,
    writes: Vec<(i64, FtsWrite)>,
    docs: i64,
    tokens: i64,
}

impl<'c> Indexer<'c> {
    pub(crate) fn new(connection: &'c Connection) -> Self {
        Self {
            connection,
            hidden: HashMap::new(),
            writes: Vec::new(),
            docs: 0,
            tokens: 0,
        }
    }

    fn is_hidden(&mut self, channel_id: &ChannelId, seq: Seq) -> Result<bool, StoreError> {
        if !self.hidden.contains_key(channel_id.as_str()) {
            let set = hidden_of(self.connection, channel_id.as_str())?;
            self.hidden.insert(channel_id.as_str().to_owned(), set);
        }
        Ok(self
            .hidden
            .get(channel_id.as_str())
            .is_some_and(|set| set.contains(&seq)))
    }

    /// The document id to store with a message about to be inserted, `None` when it is
    /// not to be indexed (nothing to find, or hidden by the user). After the insert,
    /// [`Indexer::add`] indexes it under that id.
    pub(crate) fn plan(&mut self, message: &Message) -> Result<Option<i64>, StoreError> {
        if !may_index(&message.content) || self.is_hidden(&message.channel_id, message.seq)? {
            return Ok(None);
        }
        Ok(Some(first_id(message)))
    }

    /// Indexes a message just inserted with `search_id = planned`.
    pub(crate) fn add(&mut self, message: &Message, planned: i64) -> Result<(), StoreError> {
        let Some((body, tokens)) = body(&message.content) else {
            set_search_id(self.connection, message, None)?;
            return Ok(());
        };
        let id = self.claim(message, planned, tokens)?;
        if id != planned {
            set_search_id(self.connection, message, Some(id))?;
        }
        self.writes.push((
            id,
            FtsWrite::Insert {
                body: body.into_owned(),
                meta: meta(message),
            },
        ));
        self.docs += 1;
        self.tokens += tokens;
        Ok(())
    }

    /// Takes the first free document id from `planned` upwards (within its millisecond).
    fn claim(&self, message: &Message, planned: i64, tokens: i64) -> Result<i64, StoreError> {
        let mut insert = self.connection.prepare_cached(
            "INSERT INTO search_docs (id, channel_id, seq, tokens) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO NOTHING",
        )?;
        let base = planned & !LOW_MASK;
        for probe in 0..MAX_PROBES {
            let id = base | ((planned + probe) & LOW_MASK);
            let inserted = insert.execute(params![
                id,
                message.channel_id.as_str(),
                int(message.seq),
                tokens
            ])?;
            if inserted > 0 {
                return Ok(id);
            }
        }
        Err(StoreError::Encode {
            what: "search document id",
            detail: format!(
                "{MAX_PROBES} messages created in the same millisecond collide; not indexed"
            ),
        })
    }

    /// Removes document `id` from the index (the message row is the caller's).
    pub(crate) fn remove(&mut self, id: i64) -> Result<(), StoreError> {
        self.writes.push((id, FtsWrite::Delete));
        let tokens: Option<i64> = self
            .connection
            .prepare_cached("DELETE FROM search_docs WHERE id = ?1 RETURNING tokens")?
            .query_row([id], |row| row.get(0))
            .optional()?;
        if let Some(tokens) = tokens {
            self.docs -= 1;
            self.tokens -= tokens;
        }
        Ok(())
    }

    /// Brings the index in line with a cached message that was just rewritten from `old`
    /// (`None`: it was not cached) to `new`: re-indexed when its searchable text changed.
    pub(crate) fn rewritten(
        &mut self,
        old: Option<&Message>,
        new: &Message,
    ) -> Result<(), StoreError> {
        let same_text = old.is_some_and(|old| {
            indexable_text(&old.content) == indexable_text(&new.content)
                && old.sender_id == new.sender_id
                && old.created_at_ms == new.created_at_ms
        });
        if same_text {
            return Ok(());
        }
        if let Some(id) = search_id(self.connection, &new.channel_id, new.seq)? {
            self.remove(id)?;
        }
        match self.plan(new)? {
            Some(planned) => {
                set_search_id(self.connection, new, Some(planned))?;
                self.add(new, planned)
            }
            None => set_search_id(self.connection, new, None),
        }
    }

    /// Takes a message out of the index and marks it not indexed (hidden by the user).
    pub(crate) fn hide(&mut self, channel_id: &ChannelId, seq: Seq) -> Result<(), StoreError> {
        if let Some(id) = search_id(self.connection, channel_id, seq)? {
            self.remove(id)?;
            self.connection
                .prepare_cached(
                    "UPDATE messages SET search_id = NULL WHERE channel_id = ?1 AND seq = ?2",
                )?
                .execute(params![channel_id.as_str(), int(seq)])?;
        }
        Ok(())
    }

    /// Indexes a cached message again (no longer hidden).
    pub(crate) fn unhide(&mut self, channel_id: &ChannelId, seq: Seq) -> Result<(), StoreError> {
        self.hidden.remove(channel_id.as_str());
        if search_id(self.connection, channel_id, seq)?.is_some() {
            return Ok(());
        }
        if let Some(message) = super::messages::get(self.connection, channel_id, seq)? {
            self.rewritten(None, &message)?;
        }
        Ok(())
    }

    /// Removes every indexed message of a channel (before its rows are deleted).
    pub(crate) fn remove_channel(&mut self, channel_id: &ChannelId) -> Result<(), StoreError> {
        let ids: Vec<i64> = self
            .connection
            .prepare_cached(
                "SELECT search_id FROM messages WHERE channel_id = ?1 AND search_id IS NOT NULL",
            )?
            .query_map([channel_id.as_str()], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        for id in ids {
            self.remove(id)?;
        }
        Ok(())
    }

    /// Applies the FTS5 writes (in ascending id) and the statistics' change.
    pub(crate) fn finish(mut self) -> Result<(), StoreError> {
        self.writes.sort_by_key(|(id, _)| *id);
        if !self.writes.is_empty() {
            let mut insert = self.connection.prepare_cached(
                "INSERT INTO message_search (rowid, body, meta) VALUES (?1, ?2, ?3)",
            )?;
            let mut delete = self
                .connection
                .prepare_cached("DELETE FROM message_search WHERE rowid = ?1")?;
            for (id, write) in &self.writes {
                match write {
                    FtsWrite::Insert { body, meta } => insert.execute(params![id, body, meta])?,
                    FtsWrite::Delete => delete.execute([id])?,
                };
            }
        }
        if self.docs != 0 || self.tokens != 0 {
            self.connection
                .prepare_cached(
                    "UPDATE search_stats SET docs = docs + ?1, tokens = tokens + ?2 WHERE id = 1",
                )?
                .execute(params![self.docs, self.tokens])?;
        }
        Ok(())
    }
}

fn search_id(
    connection: &Connection,
    channel_id: &ChannelId,
    seq: Seq,
) -> Result<Option<i64>, StoreError> {
    let found: Option<Option<i64>> = connection
        .prepare_cached("SELECT search_id FROM messages WHERE channel_id = ?1 AND seq = ?2")?
        .query_row(params![channel_id.as_str(), int(seq)], |row| row.get(0))
        .optional()?;
    Ok(found.flatten())
}

fn set_search_id(
    connection: &Connection,
    message: &Message,
    id: Option<i64>,
) -> Result<(), StoreError> {
    connection
        .prepare_cached("UPDATE messages SET search_id = ?3 WHERE channel_id = ?1 AND seq = ?2")?
        .execute(params![message.channel_id.as_str(), int(message.seq), id])?;
    Ok(())
}

/// The user's hidden messages of a channel, as stored with its head.
pub(crate) fn hidden_of(connection: &Connection, channel_id: &str) -> Result<Vec<Seq>, StoreError> {
    let hidden: Option<Option<String>> = connection
        .prepare_cached("SELECT hidden FROM heads WHERE channel_id = ?1")?
        .query_row([channel_id], |row| row.get(0))
        .optional()?;
    match hidden.flatten() {
        Some(json) => from_json(&json, "hidden"),
        None => Ok(Vec::new()),
    }
}

/// Applies a change of a channel's hidden set (`before` → `after`) to the index.
pub(crate) fn hidden_changed(
    connection: &Connection,
    channel_id: &ChannelId,
    before: &[Seq],
    after: &[Seq],
) -> Result<(), StoreError> {
    if before == after {
        return Ok(());
    }
    let mut indexer = Indexer::new(connection);
    for seq in after.iter().filter(|seq| !before.contains(seq)) {
        indexer.hide(channel_id, *seq)?;
    }
    for seq in before.iter().filter(|seq| !after.contains(seq)) {
        indexer.unhide(channel_id, *seq)?;
    }
    indexer.finish()
}

/// Removes a channel's messages from the index (call before deleting them).
pub(crate) fn remove_channel(
    connection: &Connection,
    channel_id: &ChannelId,
) -> Result<(), StoreError> {
    let mut indexer = Indexer::new(connection);
    indexer.remove_channel(channel_id)?;
    indexer.finish()
}

/// Schema 6's back-fill: indexes every message cached before the index existed, in
/// chunks (each read, then written, so no statement reads the table it writes).
pub(crate) fn backfill(connection: &Connection) -> Result<(), StoreError> {
    const CHUNK: i64 = 2_000;
    let mut after: Option<(String, i64)> = None;
    loop {
        let chunk: Vec<Message> = {
            let sql = format!(
                "SELECT {} FROM messages WHERE (channel_id, seq) > (?1, ?2)
                 ORDER BY channel_id, seq LIMIT ?3",
                super::messages::MESSAGE_COLUMNS
            );
            let (channel, seq) = after.clone().unwrap_or_default();
            let from = if after.is_some() { seq } else { i64::MIN };
            super::messages::query(connection, &sql, params![channel, from, CHUNK])?
        };
        let Some(last) = chunk.last() else { break };
        after = Some((last.channel_id.as_str().to_owned(), int(last.seq)));
        let mut indexer = Indexer::new(connection);
        for message in &chunk {
            if let Some(planned) = indexer.plan(message)? {
                set_search_id(connection, message, Some(planned))?;
                indexer.add(message, planned)?;
            }
        }
        indexer.finish()?;
    }
    Ok(())
}

/// One step of deferred index maintenance (the writer runs it when idle, in its own
/// transaction): merges about `pages` pages of segments when some level holds
/// `usermerge` (4) or more. True when it did some work (call again).
pub(crate) fn merge_step(connection: &Connection, pages: i64) -> Result<bool, StoreError> {
    let before = connection.total_changes();
    connection
        .prepare_cached("INSERT INTO message_search (message_search, rank) VALUES ('merge', ?1)")?
        .execute([pages])?;
    Ok(connection.total_changes() - before > 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tokens (with positions) FTS5 stores for `text` in a fresh table.
    fn fts_tokens(connection: &Connection, rowid: i64, text: &str) -> Vec<(String, i64)> {
        connection
            .execute(
                "INSERT INTO t (rowid, body) VALUES (?1, ?2)",
                params![rowid, text],
            )
            .unwrap();
        connection
            .prepare("SELECT term, offset FROM v WHERE doc = ?1 ORDER BY offset")
            .unwrap()
            .query_map([rowid], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn store_search_ascii_text_gives_fts5_the_tokens_of_index_text() {
        let connection = Connection::open_in_memory().unwrap();
        connection
            .execute_batch(
                "CREATE VIRTUAL TABLE t USING fts5(body,
                     tokenize = 'unicode61 remove_diacritics 2');
                 CREATE VIRTUAL TABLE v USING fts5vocab(t, instance);",
            )
            .unwrap();
        // Every printable ASCII character and a few controls, in fixed pseudo-random
        // texts, plus hand-picked edge cases.
        let alphabet: Vec<char> = (0x20u8..0x7f)
            .map(char::from)
            .chain(['\t', '\n', '\r'])
            .collect();
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut texts: Vec<String> = vec![
            "Raid at 9, OK?".into(),
            "snake_case and kebab-case, CamelCase; x2y".into(),
            "don't stop___believing!!".into(),
            "   ".into(),
        ];
        for _ in 0..300 {
            let length = (state % 60) as usize;
            let mut text = String::new();
            for _ in 0..length {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                text.push(alphabet[(state % alphabet.len() as u64) as usize]);
            }
            texts.push(text);
        }
        for (n, text) in texts.iter().enumerate() {
            let raw = fts_tokens(&connection, 2 * n as i64 + 1, text);
            let indexed = fts_tokens(&connection, 2 * n as i64 + 2, &index_text(text));
            assert_eq!(raw, indexed, "{text:?}");
            assert_eq!(ascii_tokens(text), raw.len() as i64, "{text:?}");
        }
    }

    #[test]
    fn store_search_document_ids_follow_time_and_meta_tokens_are_stable() {
        let mut early = crate::store::test_support::message("a", "a-ch000", 1);
        early.created_at_ms = 1_000;
        let mut late = early.clone();
        late.seq = 2;
        late.created_at_ms = 1_001;
        // Newer messages have lower ids.
        assert!(first_id(&late) < first_id(&early));
        assert_eq!(first_id(&early) >> TIME_SHIFT, MAX_TIME_MS - 1_000);
        let (lower, upper) = id_bounds(Some(1_000), Some(1_001));
        assert!((lower..=upper).contains(&first_id(&early)));
        assert!(!(lower..=upper).contains(&first_id(&late)));
        early.created_at_ms = -5;
        assert_eq!(first_id(&early) >> TIME_SHIFT, MAX_TIME_MS);
        early.created_at_ms = i64::MAX;
        assert_eq!(first_id(&early) >> TIME_SHIFT, 0);
        assert_eq!(id_bounds(None, Some(i64::MAX)).0, 0);
        assert_eq!(
            id_bounds(Some(i64::MIN), None).1,
            (MAX_TIME_MS << TIME_SHIFT) | LOW_MASK
        );
        // Written to files: must never change between builds.
        assert_eq!(meta_token('c', "general"), "c9683c8f351dbc99c");
    }
}
