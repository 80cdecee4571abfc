//! Deferred search indexing: the queue `search_pending` (schema version 7), the work that
//! empties it, and the background thread that does that work.
//!
//! A write to a message records only its key in the queue (a trigger, in the write's own
//! transaction). Indexing a queued message *reconciles* the index with what is stored now:
//! a message with searchable text is (re-)indexed under its position, one without (a
//! recall, an edit to nothing searchable) or one that is gone (deleted, or its channel,
//! thread, conversation or community deleted) leaves the index. So the queue needs no
//! kind of work, a message queued twice is indexed once, and working a queue off twice
//! changes nothing.
//!
//! The work is done through the store's one writer connection, in bounded batches (a
//! number of queued rows and a time budget), each its own short write transaction: the
//! background [`Indexer`] keeps the queue near empty, and a search works off what is left
//! before it reads (`SqliteStore::read_indexed_tx`), so it is exact.

use std::collections::HashSet;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use tracing::{debug, warn};

use super::search_doc::{position_of, search_body, tags};
use crate::StoreError;

/// How long one batch may hold the write lock (it stops after the message that crosses
/// it), so sends wait at most about this long behind the indexer.
pub(super) const BATCH_BUDGET: Duration = Duration::from_millis(5);

/// How long the background indexer lets writes gather after it is woken, so it indexes
/// them in one transaction instead of one each.
const GATHER: Duration = Duration::from_millis(10);

/// The indexer's pause between two full batches (the write lock is free for others).
const PAUSE: Duration = Duration::from_millis(1);

/// How long the indexer waits before retrying after a storage error.
const RETRY: Duration = Duration::from_secs(1);

/// What one batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Drained {
    /// Queued rows worked off.
    pub rows: usize,
    /// The largest queue id worked off (0: none).
    pub last_id: i64,
    /// Whether rows are still queued.
    pub more: bool,
}

/// Works off up to `limit` queued rows (all with `None`), oldest first, stopping early
/// once `budget` has passed, in the caller's (write) transaction.
pub(super) fn index_pending(
    conn: &Connection,
    limit: Option<usize>,
    budget: Option<Duration>,
) -> Result<Drained, StoreError> {
    let started = Instant::now();
    let limit = limit.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
    let queued: Vec<(i64, String, i64)> = conn
        .prepare_cached("SELECT id, channel_id, seq FROM search_pending ORDER BY id LIMIT ?1")?
        .query_map([limit], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut done = HashSet::new();
    let mut last_id = 0;
    let mut rows = 0;
    for (id, channel_id, seq) in queued {
        last_id = id;
        rows += 1;
        // A key queued again within the batch is already reconciled with its latest
        // state (nobody else writes while this transaction holds the write lock).
        if done.insert((channel_id.clone(), seq)) {
            reconcile(conn, &channel_id, seq)?;
        }
        if budget.is_some_and(|budget| started.elapsed() >= budget) {
            break;
        }
    }
    if rows > 0 {
        conn.prepare_cached("DELETE FROM search_pending WHERE id <= ?1")?
            .execute([last_id])?;
    }
    let more = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM search_pending)")?
        .query_row([], |row| row.get(0))?;
    Ok(Drained {
        rows,
        last_id,
        more,
    })
}

/// Brings the index entry of one message in line with the message as stored now.
fn reconcile(conn: &Connection, channel_id: &str, seq: i64) -> Result<(), StoreError> {
    let message: Option<(String, String, String, i64, String)> = conn
        .prepare_cached(
            "SELECT m.community_id, m.sender_id, m.content, m.created_at_ms,
                    COALESCE(c.parent_channel_id, m.channel_id)
             FROM messages m LEFT JOIN channels c ON c.channel_id = m.channel_id
             WHERE m.channel_id = ?1 AND m.seq = ?2",
        )?
        .query_row(params![channel_id, seq], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
            ))
        })
        .optional()?;
    let doc: Option<i64> = conn
        .prepare_cached(
            "SELECT doc_id FROM message_search_docs WHERE channel_id = ?1 AND seq = ?2",
        )?
        .query_row(params![channel_id, seq], |row| row.get(0))
        .optional()?;
    if let Some(doc) = doc {
        conn.prepare_cached("DELETE FROM message_search WHERE rowid = ?1")?
            .execute([-doc])?;
    }
    let body = message
        .as_ref()
        .and_then(|(_, _, content, _, _)| search_body(content));
    let (Some((community_id, sender_id, _, created_at_ms, scope_id)), Some(body)) = (message, body)
    else {
        if let Some(doc) = doc {
            conn.prepare_cached("DELETE FROM message_search_docs WHERE doc_id = ?1")?
                .execute([doc])?;
        }
        return Ok(());
    };
    let doc = match doc {
        Some(doc) => doc,
        None => {
            // The next free position of its millisecond.
            let base = position_of(created_at_ms);
            let doc: i64 = conn
                .prepare_cached(
                    "SELECT COALESCE(MAX(doc_id) + 1, ?1) FROM message_search_docs
                     WHERE doc_id BETWEEN ?1 AND ?1 + 1048575",
                )?
                .query_row([base], |row| row.get(0))?;
            conn.prepare_cached(
                "INSERT INTO message_search_docs (doc_id, channel_id, seq, scope_id)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![doc, channel_id, seq, scope_id])?;
            doc
        }
    };
    conn.prepare_cached("INSERT INTO message_search (rowid, body, tags) VALUES (?1, ?2, ?3)")?
        .execute(params![
            -doc,
            body,
            tags(&community_id, channel_id, &sender_id)
        ])?;
    Ok(())
}

/// Runs one batch in its own write transaction on the writer connection.
pub(super) fn index_batch(
    conn: &mut Connection,
    limit: Option<usize>,
    budget: Option<Duration>,
) -> Result<Drained, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let drained = index_pending(&tx, limit, budget)?;
    tx.commit()?;
    Ok(drained)
}

/// Whether anything is queued (read on the writer, outside a transaction).
pub(super) fn anything_pending(conn: &Connection) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM search_pending)")?
        .query_row([], |row| row.get(0))?)
}

/// The newest queue id (0: none).
pub(super) fn last_pending(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached("SELECT COALESCE(MAX(id), 0) FROM search_pending")?
        .query_row([], |row| row.get(0))?)
}

/// The writer connection and the indexer's wake-up signal.
pub(super) struct Writer {
    pub(super) conn: Mutex<Connection>,
    state: Mutex<State>,
    wake: Condvar,
}

#[derive(Debug, Default)]
struct State {
    /// Something may have been queued since the indexer last looked.
    dirty: bool,
    /// The store is closing.
    stop: bool,
}

impl Writer {
    pub(super) fn new(conn: Connection) -> Self {
        Self {
            conn: Mutex::new(conn),
            // Whatever a previous run left queued is worked off first.
            state: Mutex::new(State {
                dirty: true,
                stop: false,
            }),
            wake: Condvar::new(),
        }
    }

    /// Tells the indexer a write committed.
    pub(super) fn written(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if !state.dirty {
            state.dirty = true;
            self.wake.notify_one();
        }
    }

    /// Waits up to `timeout` unless stopping; true when stopping.
    fn sleep(&self, timeout: Duration) -> bool {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let (state, _) = self
            .wake
            .wait_timeout_while(state, timeout, |state| !state.stop)
            .unwrap_or_else(PoisonError::into_inner);
        state.stop
    }

    /// Waits for work; false when stopping.
    fn wait_for_work(&self) -> bool {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let mut state = self
            .wake
            .wait_while(state, |state| !state.dirty && !state.stop)
            .unwrap_or_else(PoisonError::into_inner);
        state.dirty = false;
        !state.stop
    }

    fn stop(&self) {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .stop = true;
        self.wake.notify_all();
    }
}

/// The background indexer: a thread of its own (never a runtime's), started with the
/// store and stopped (and joined) when the store closes.
pub(super) struct Indexer {
    writer: Arc<Writer>,
    thread: Option<JoinHandle<()>>,
}

impl Indexer {
    /// Starts the thread; it indexes up to `batch` queued rows per transaction.
    pub(super) fn start(writer: Arc<Writer>, batch: usize) -> Result<Self, StoreError> {
        let thread = std::thread::Builder::new()
            .name("search-indexer".into())
            .spawn({
                let writer = Arc::clone(&writer);
                move || run(&writer, batch)
            })?;
        Ok(Self {
            writer,
            thread: Some(thread),
        })
    }
}

impl Drop for Indexer {
    fn drop(&mut self) {
        self.writer.stop();
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            warn!("the search indexer panicked");
        }
    }
}

fn run(writer: &Writer, batch: usize) {
    while writer.wait_for_work() {
        // Let the writes of a burst gather into one batch.
        if writer.sleep(GATHER) {
            return;
        }
        loop {
            let drained = {
                let mut conn = writer.conn.lock().unwrap_or_else(PoisonError::into_inner);
                index_batch(&mut conn, Some(batch), Some(BATCH_BUDGET))
            };
            match drained {
                Ok(drained) if drained.more => {
                    if writer.sleep(PAUSE) {
                        return;
                    }
                }
                Ok(drained) => {
                    if drained.rows > 0 {
                        debug!(rows = drained.rows, "search index up to date");
                    }
                    break;
                }
                Err(error) => {
                    warn!(%error, "search indexing failed; retrying");
                    if writer.sleep(RETRY) {
                        return;
                    }
                    writer.written();
                    break;
                }
            }
        }
    }
}
