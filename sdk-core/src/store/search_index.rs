//! The full-text index of cached messages: deferred, and exact whenever it is read.
//!
//! A cache write never does FTS5 work. In its own transaction it records what the index
//! must do in a small queue, `search_pending`: index this message (an insert, a message
//! no longer hidden, a new text after an edit or a replacement), drop this document (an
//! edit, a recall, a hide, a channel's cache dropped). A document that stops being true
//! is cut off at once, in that same transaction: `messages.search_id` is cleared, so
//! nothing can lead from the document back to the message any more, and its removal is
//! queued. The queue row commits with the message, so nothing is lost: after a crash the
//! queue is still there and is worked off after the next open.
//!
//! The store's writer works the queue off ([`index_step`], bounded batches, each its own
//! transaction) when it is idle, and at once, before it answers, when a search asks:
//! every search first waits until nothing queued before it is left, so it sees every
//! message cached before it started, and a hit counts only when the message's
//! `search_id` is still the document's (see `search::rank`).
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
//! - `search_docs`: document id → `(channel_id, seq)` and the body's token count (a
//!   document queued for removal keeps its row, so its id is not reused meanwhile);
//!   `messages.search_id` is the way back (NULL: not indexed).
//! - `search_stats`: documents and tokens in all (for BM25's averages).
//!
//! Merges are deferred to the writer's idle time too (`automerge=0`; [`merge_step`]):
//! an indexing step only appends a segment; FTS5's `crisismerge` still bounds the
//! segments per level during long catch-ups.

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
fn first_id(channel_id: &str, seq: i64, created_at_ms: i64) -> i64 {
    let low = fnv(&[channel_id.as_bytes(), &(seq as u64).to_le_bytes()]) as i64 & LOW_MASK;
    time_key(created_at_ms) | low
}

/// The `meta` token of a filter value: `kind` (`k` community, `c` channel, `s` sender)
/// and 16 hex digits of its hash. A collision only costs a few extra candidates: hits are
/// checked against the message itself.
pub(crate) fn meta_token(kind: char, id: &str) -> String {
    format!("{kind}{:016x}", fnv(&[id.as_bytes()]))
}

fn meta(community_id: &str, channel_id: &str, sender_id: &str) -> String {
    format!(
        "{} {} {}",
        meta_token('k', community_id),
        meta_token('c', channel_id),
        meta_token('s', sender_id),
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

// ----- the queue: what a cache write records, in its own transaction -----

const ENQUEUE_SQL: &str =
    "INSERT INTO search_pending (channel_id, seq, last_seq, doc) VALUES (?1, ?2, ?3, ?4)";

/// Sequences a run of new messages may skip and still be queued as one row (the indexer
/// then reads the few cached messages in between too, and leaves them as they are).
const RUN_GAP: i64 = 32;

/// The messages a write inserted, queued as runs of close sequences of a channel: one
/// queue row for a run, not one per message (a received batch is a few runs).
#[derive(Default)]
pub(crate) struct NewMessages {
    /// `(channel_id, first seq, last seq)`.
    runs: Vec<(String, i64, i64)>,
}

impl NewMessages {
    /// Adds a message that was just inserted (not cached before); nothing when it has
    /// nothing to find.
    pub(crate) fn add(&mut self, message: &Message) {
        if !may_index(&message.content) {
            return;
        }
        let channel_id = message.channel_id.as_str();
        let seq = int(message.seq);
        // Batches hold few channels, usually in runs: look from the end.
        if let Some(run) = self.runs.iter_mut().rev().find(|run| run.0 == channel_id) {
            if seq > run.2 && seq <= run.2 + RUN_GAP {
                run.2 = seq;
                return;
            }
            if seq < run.1 && seq >= run.1 - RUN_GAP {
                run.1 = seq;
                return;
            }
        }
        self.runs.push((channel_id.to_owned(), seq, seq));
    }

    /// Queues the runs (in the write's transaction).
    pub(crate) fn queue(self, connection: &Connection) -> Result<(), StoreError> {
        if self.runs.is_empty() {
            return Ok(());
        }
        let mut statement = connection.prepare_cached(ENQUEUE_SQL)?;
        for (channel_id, first, last) in &self.runs {
            statement.execute(params![channel_id, first, last, None::<i64>])?;
        }
        Ok(())
    }
}

fn enqueue(
    connection: &Connection,
    message: Option<(&ChannelId, Seq)>,
    doc: Option<i64>,
) -> Result<(), StoreError> {
    let (channel_id, seq) = message.map_or((None, None), |(c, s)| (Some(c.as_str()), Some(int(s))));
    connection
        .prepare_cached(ENQUEUE_SQL)?
        .execute(params![channel_id, seq, seq, doc])?;
    Ok(())
}

/// Cuts a cached message off its document: clears `search_id` and returns the document,
/// whose removal the caller queues.
fn take_search_id(
    connection: &Connection,
    channel_id: &ChannelId,
    seq: Seq,
) -> Result<Option<i64>, StoreError> {
    let found: Option<Option<i64>> = connection
        .prepare_cached("SELECT search_id FROM messages WHERE channel_id = ?1 AND seq = ?2")?
        .query_row(params![channel_id.as_str(), int(seq)], |row| row.get(0))
        .optional()?;
    let doc = found.flatten();
    if doc.is_some() {
        connection
            .prepare_cached(
                "UPDATE messages SET search_id = NULL WHERE channel_id = ?1 AND seq = ?2",
            )?
            .execute(params![channel_id.as_str(), int(seq)])?;
    }
    Ok(doc)
}

/// Brings the index in line with a cached message that was just rewritten from `old`
/// (`None`: not known) to `new`: when its searchable text (or sender, or time) changed,
/// its document stops counting now and the message is queued to be indexed again.
pub(crate) fn rewritten(
    connection: &Connection,
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
    let doc = take_search_id(connection, &new.channel_id, new.seq)?;
    let index = may_index(&new.content);
    if doc.is_some() || index {
        let message = index.then_some((&new.channel_id, new.seq));
        enqueue(connection, message, doc)?;
    }
    Ok(())
}

/// Applies a change of a channel's hidden set (`before` → `after`): newly hidden
/// messages stop counting now (their documents are queued for removal), messages no
/// longer hidden are queued to be indexed again.
pub(crate) fn hidden_changed(
    connection: &Connection,
    channel_id: &ChannelId,
    before: &[Seq],
    after: &[Seq],
) -> Result<(), StoreError> {
    if before == after {
        return Ok(());
    }
    for seq in after.iter().filter(|seq| !before.contains(seq)) {
        if let Some(doc) = take_search_id(connection, channel_id, *seq)? {
            enqueue(connection, None, Some(doc))?;
        }
    }
    for seq in before.iter().filter(|seq| !after.contains(seq)) {
        enqueue(connection, Some((channel_id, *seq)), None)?;
    }
    Ok(())
}

/// Removes a channel's messages from the index (call before deleting them): its queued
/// work is dropped and its documents are queued for removal (they stop counting at once:
/// their messages are gone).
pub(crate) fn remove_channel(
    connection: &Connection,
    channel_id: &ChannelId,
) -> Result<(), StoreError> {
    connection
        .prepare_cached("DELETE FROM search_pending WHERE channel_id = ?1 AND doc IS NULL")?
        .execute([channel_id.as_str()])?;
    connection
        .prepare_cached(
            "UPDATE search_pending SET channel_id = NULL, seq = NULL, last_seq = NULL
             WHERE channel_id = ?1",
        )?
        .execute([channel_id.as_str()])?;
    connection
        .prepare_cached(
            "INSERT INTO search_pending (doc)
             SELECT search_id FROM messages WHERE channel_id = ?1 AND search_id IS NOT NULL",
        )?
        .execute([channel_id.as_str()])?;
    Ok(())
}

/// Schema 6's back-fill: queues every message cached before the index existed (the
/// writer indexes them when idle, or when a search asks).
pub(crate) fn backfill(connection: &Connection) -> Result<(), StoreError> {
    connection.execute(
        "INSERT INTO search_pending (channel_id, seq, last_seq)
         SELECT channel_id, min(seq), max(seq) FROM messages GROUP BY channel_id
         ORDER BY channel_id",
        [],
    )?;
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

// ----- the indexing: the writer's work, off the write path -----

/// Entries of the queue not done yet (a run of messages counts once).
pub(crate) fn backlog(connection: &Connection) -> Result<u64, StoreError> {
    let count: i64 = connection
        .prepare_cached("SELECT count(*) FROM search_pending")?
        .query_row([], |row| row.get(0))?;
    Ok(count.max(0) as u64)
}

/// The newest queued operation (what a search must wait for), `None` when none is queued.
pub(crate) fn last_queued(connection: &Connection) -> Result<Option<i64>, StoreError> {
    Ok(connection
        .prepare_cached("SELECT max(id) FROM search_pending")?
        .query_row([], |row| row.get(0))?)
}

/// The oldest queued operation, `None` when none is queued.
pub(crate) fn first_queued(connection: &Connection) -> Result<Option<i64>, StoreError> {
    Ok(connection
        .prepare_cached("SELECT min(id) FROM search_pending")?
        .query_row([], |row| row.get(0))?)
}

/// Does about `limit` operations of the queue, oldest first (a document removed, a
/// message read — indexed or left as it is), in the caller's transaction, and takes what
/// it finished off the queue (a run it stopped in stays, shortened). Returns how many
/// operations it did and whether work is left.
pub(crate) fn index_step(
    connection: &Connection,
    limit: usize,
) -> Result<(usize, bool), StoreError> {
    type Work = (i64, Option<String>, Option<i64>, Option<i64>, Option<i64>);
    let limit = limit.max(1);
    let work: Vec<Work> = connection
        .prepare_cached(
            "SELECT id, channel_id, seq, last_seq, doc FROM search_pending ORDER BY id LIMIT ?1",
        )?
        .query_map([limit as i64], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    let mut indexer = Indexer::new(connection);
    let mut done = 0;
    let mut finished: Option<i64> = None;
    let mut stopped = false;
    for (id, channel_id, first, last, doc) in &work {
        if done >= limit {
            stopped = true;
            break;
        }
        if let Some(doc) = doc {
            indexer.remove(*doc)?;
        }
        done += 1;
        if let (Some(channel_id), Some(first)) = (channel_id, first) {
            let last = last.unwrap_or(*first);
            let (read, next) = indexer.index_run(channel_id, *first, last, limit - done + 1)?;
            done += read.saturating_sub(1);
            if let Some(next) = next {
                // Stopped inside the run: the rest stays queued (its removal is done).
                connection
                    .prepare_cached("UPDATE search_pending SET seq = ?2, doc = NULL WHERE id = ?1")?
                    .execute(params![id, next])?;
                stopped = true;
                break;
            }
        }
        finished = Some(*id);
    }
    indexer.finish()?;
    if let Some(finished) = finished {
        connection
            .prepare_cached("DELETE FROM search_pending WHERE id <= ?1")?
            .execute([finished])?;
    }
    Ok((done, stopped || work.len() == limit))
}

/// Does every queued operation now, in steps (in the caller's transaction).
pub(crate) fn index_all(connection: &Connection) -> Result<(), StoreError> {
    while index_step(connection, 5_000)?.1 {}
    Ok(())
}

/// A change of the FTS5 table, applied by [`Indexer::finish`].
enum FtsWrite {
    Insert { body: String, meta: String },
    Delete,
}

/// The index writes of one step. Caches the channels' hidden sets, and holds the FTS5
/// writes back until [`Indexer::finish`], which applies them in ascending document id (a
/// stable sort: one document's delete and insert keep their order): FTS5 flushes its
/// pending terms into a new segment whenever a document id is not above the previous
/// one, so unsorted writes would cost a segment (and merges) per message.
struct Indexer<'c> {
    connection: &'c Connection,
    hidden: HashMap<String, Vec<Seq>>,
    writes: Vec<(i64, FtsWrite)>,
    docs: i64,
    tokens: i64,
}

impl<'c> Indexer<'c> {
    fn new(connection: &'c Connection) -> Self {
        Self {
            connection,
            hidden: HashMap::new(),
            writes: Vec::new(),
            docs: 0,
            tokens: 0,
        }
    }

    fn is_hidden(&mut self, channel_id: &str, seq: i64) -> Result<bool, StoreError> {
        if !self.hidden.contains_key(channel_id) {
            let set = hidden_of(self.connection, channel_id)?;
            self.hidden.insert(channel_id.to_owned(), set);
        }
        Ok(self
            .hidden
            .get(channel_id)
            .is_some_and(|set| set.iter().any(|hidden| int(*hidden) == seq)))
    }

    /// Indexes the cached messages of `channel_id` in `first..=last` as they are now,
    /// but those indexed already, hidden by the user or with nothing to find; reads at
    /// most `limit` of them. Returns how many it read and, when it stopped before the
    /// end, the sequence to go on from.
    fn index_run(
        &mut self,
        channel_id: &str,
        first: i64,
        last: i64,
        limit: usize,
    ) -> Result<(usize, Option<i64>), StoreError> {
        type Row = (i64, String, String, i64, String, Option<i64>);
        let rows: Vec<Row> = self
            .connection
            .prepare_cached(
                "SELECT seq, community_id, sender_id, created_at_ms, content, search_id
                 FROM messages WHERE channel_id = ?1 AND seq BETWEEN ?2 AND ?3
                 ORDER BY seq LIMIT ?4",
            )?
            .query_map(params![channel_id, first, last, limit as i64 + 1], |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                    row.get(5)?,
                ))
            })?
            .collect::<Result<_, _>>()?;
        let next = rows.get(limit).map(|row| row.0);
        let read = rows.len().min(limit);
        for (seq, community_id, sender_id, created_at_ms, content, search_id) in
            rows.into_iter().take(limit)
        {
            if search_id.is_some() || self.is_hidden(channel_id, seq)? {
                continue;
            }
            self.index(
                channel_id,
                seq,
                &community_id,
                &sender_id,
                created_at_ms,
                &content,
            )?;
        }
        Ok((read, next))
    }

    /// Indexes one message (not indexed, not hidden) from its stored columns.
    fn index(
        &mut self,
        channel_id: &str,
        seq: i64,
        community_id: &str,
        sender_id: &str,
        created_at_ms: i64,
        content: &str,
    ) -> Result<(), StoreError> {
        let content: MessageContent = match from_json(content, "message content") {
            Ok(content) => content,
            Err(error) => {
                // A row this build cannot read: leave it out of the index, go on.
                tracing::warn!(%error, channel_id, seq, "message not indexed");
                return Ok(());
            }
        };
        let Some((body, tokens)) = body(&content) else {
            return Ok(());
        };
        let id = self.claim(
            channel_id,
            seq,
            first_id(channel_id, seq, created_at_ms),
            tokens,
        )?;
        self.connection
            .prepare_cached(
                "UPDATE messages SET search_id = ?3 WHERE channel_id = ?1 AND seq = ?2",
            )?
            .execute(params![channel_id, seq, id])?;
        self.writes.push((
            id,
            FtsWrite::Insert {
                body: body.into_owned(),
                meta: meta(community_id, channel_id, sender_id),
            },
        ));
        self.docs += 1;
        self.tokens += tokens;
        Ok(())
    }

    /// Takes the first free document id from `planned` upwards (within its millisecond).
    fn claim(
        &self,
        channel_id: &str,
        seq: i64,
        planned: i64,
        tokens: i64,
    ) -> Result<i64, StoreError> {
        let mut insert = self.connection.prepare_cached(
            "INSERT INTO search_docs (id, channel_id, seq, tokens) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO NOTHING",
        )?;
        let base = planned & !LOW_MASK;
        for probe in 0..MAX_PROBES {
            let id = base | ((planned + probe) & LOW_MASK);
            if insert.execute(params![id, channel_id, seq, tokens])? > 0 {
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

    /// Removes document `id` from the index (its message no longer points to it).
    fn remove(&mut self, id: i64) -> Result<(), StoreError> {
        let tokens: Option<i64> = self
            .connection
            .prepare_cached("DELETE FROM search_docs WHERE id = ?1 RETURNING tokens")?
            .query_row([id], |row| row.get(0))
            .optional()?;
        if let Some(tokens) = tokens {
            self.writes.push((id, FtsWrite::Delete));
            self.docs -= 1;
            self.tokens -= tokens;
        }
        Ok(())
    }

    /// Applies the FTS5 writes (in ascending id) and the statistics' change.
    fn finish(mut self) -> Result<(), StoreError> {
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
    fn store_search_new_messages_are_queued_as_runs_of_close_sequences() {
        let mut new = NewMessages::default();
        let message =
            |channel: &str, seq: u64| crate::store::test_support::message("a", channel, seq);
        for (channel, seq) in [
            ("a", 1),
            ("a", 2),
            ("a", 3),
            ("b", 1),
            ("a", 5),
            ("a", 5 + RUN_GAP as u64 + 1),
            ("a", 5 + RUN_GAP as u64),
            ("b", 2),
        ] {
            new.add(&message(channel, seq));
        }
        let mut recalled = message("c", 1);
        recalled.content = MessageContent::Recalled {
            by: "bob".into(),
            at_ms: 1,
        };
        new.add(&recalled);
        let runs: Vec<(&str, i64, i64)> = new
            .runs
            .iter()
            .map(|(channel, first, last)| (channel.as_str(), *first, *last))
            .collect();
        let far = 5 + RUN_GAP;
        assert_eq!(runs, vec![("a", 1, 5), ("b", 1, 2), ("a", far, far + 1)]);
    }

    #[test]
    fn store_search_document_ids_follow_time_and_meta_tokens_are_stable() {
        let mut early = crate::store::test_support::message("a", "a-ch000", 1);
        early.created_at_ms = 1_000;
        let mut late = early.clone();
        late.seq = 2;
        late.created_at_ms = 1_001;
        let first_id =
            |m: &Message| super::first_id(m.channel_id.as_str(), int(m.seq), m.created_at_ms);
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
