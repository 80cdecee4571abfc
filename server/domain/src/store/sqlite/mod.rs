//! The embedded SQLite engine: one file `<data_dir>/community.db` in WAL mode, ONE writer
//! connection behind a mutex (so writes never meet "database is locked") and a small pool
//! of read-only connections for queries, which WAL lets run beside the writer.
//!
//! Durability: with the default `synchronous=NORMAL` in WAL mode every committed
//! transaction survives a crash or kill of the process; after a power loss or OS crash the
//! last transactions may be rolled back (the database stays consistent).
//! [`Synchronous::Full`] also survives power loss, at the cost of one fsync per commit.
//!
//! The per-concern queries live in the sibling modules (`communities`, `members`,
//! `channels`, `messages`, `reactions` (and pins), `changes`, `reads`, `groups`,
//! `overrides`, `bans`, `threads`, `conversations`, `people`, `search`); `schema` owns the
//! numbered migrations; `indexer` keeps the search index up to date after the writes.

mod bans;
mod changes;
mod channels;
mod checkpointer;
mod communities;
mod conversations;
mod convert;
mod groups;
mod indexer;
mod members;
mod messages;
mod overrides;
mod people;
mod pool;
mod push_targets;
mod reactions;
mod reads;
mod schema;
mod search;
mod search_doc;
mod threads;

#[cfg(test)]
mod people_tests;
#[cfg(test)]
mod search_tests;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use community_protocol::ApiError;
use rusqlite::functions::FunctionFlags;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use tracing::{debug_span, info};

use super::{Store, TxBody};
use crate::StoreError;
use checkpointer::Checkpointer;
use indexer::{BATCH_BUDGET, Indexer, Writer};
use pool::ReaderPool;

/// The database file's name inside the data directory.
pub const DATABASE_FILE: &str = "community.db";

/// The default memory map (1 GiB of address space; pages are shared with the OS page
/// cache, so it costs no memory of its own): searches read much of the full-text index,
/// and through a map they read it in place instead of copying every page in with `pread`
/// (a quarter to a third of a search's time over a million messages). A database larger
/// than the map reads the rest with `pread`.
pub const DEFAULT_MMAP_BYTES: u64 = 1 << 30;

/// The default [`SqliteOptions::index_batch`].
pub const DEFAULT_INDEX_BATCH: usize = 1000;

/// Prepared statements kept per connection (the domain has about 150 distinct ones).
const STATEMENT_CACHE: usize = 256;

/// SQLite's `synchronous` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Synchronous {
    /// Commits survive a process crash; the newest ones may be lost on power loss.
    #[default]
    Normal,
    /// Commits survive power loss too (an fsync per commit).
    Full,
}

/// How the SQLite engine is set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteOptions {
    /// Durability of commits.
    pub synchronous: Synchronous,
    /// Read-only connections for queries (at least 1).
    pub readers: usize,
    /// How long a connection waits for a lock before failing.
    pub busy_timeout: Duration,
    /// How much of the database file connections read through a memory map (`PRAGMA
    /// mmap_size`; 0: none, every page is copied in with a system call).
    pub mmap_bytes: u64,
    /// Most queued messages the background search indexer indexes per transaction (each
    /// transaction also stops after about 5 ms); 0: no background indexer (searches
    /// still index whatever is queued before they read).
    pub index_batch: usize,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self {
            synchronous: Synchronous::Normal,
            readers: 4,
            busy_timeout: Duration::from_secs(5),
            mmap_bytes: DEFAULT_MMAP_BYTES,
            index_batch: DEFAULT_INDEX_BATCH,
        }
    }
}

/// The SQLite implementation of [`Store`].
pub struct SqliteStore {
    /// Dropped first: the indexer stops (and is joined) before the connections close.
    indexer: Option<Indexer>,
    /// Dropped next: checkpoints stop before the connections close (the writer's, closed
    /// last, checkpoints the rest).
    checkpointer: Checkpointer,
    path: PathBuf,
    writer: Arc<Writer>,
    readers: ReaderPool,
}

/// A transaction's view of a connection; the per-concern traits are implemented on it.
pub(crate) struct SqliteTx<'c> {
    pub(crate) conn: &'c Connection,
}

impl SqliteStore {
    /// Opens (creating if needed) `<data_dir>/community.db` and brings its schema up to
    /// date. Reopening an up-to-date database changes nothing.
    pub fn open(data_dir: &Path, options: &SqliteOptions) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir)?;
        let path = data_dir.join(DATABASE_FILE);
        let _span = debug_span!("store_open", path = %path.display()).entered();
        let mut writer = open_connection(&path, options, false)?;
        let mode: String = writer.query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Corrupt(format!(
                "could not switch to WAL (journal_mode={mode})"
            )));
        }
        // Checkpoints run on a thread of their own (see `checkpointer`), never inside a
        // commit.
        writer.execute_batch("PRAGMA wal_autocheckpoint=0;")?;
        let version = schema::migrate(&mut writer)?;
        info!(path = %path.display(), schema_version = version, "database open");
        let mut readers = Vec::with_capacity(options.readers.max(1));
        for _ in 0..options.readers.max(1) {
            readers.push(open_connection(&path, options, true)?);
        }
        let checkpointer = Checkpointer::start(&path, options)?;
        let writer = Arc::new(Writer::new(writer));
        let indexer = (options.index_batch > 0)
            .then(|| Indexer::start(Arc::clone(&writer), options.index_batch))
            .transpose()?;
        Ok(Self {
            path,
            writer,
            readers: ReaderPool::new(readers),
            indexer,
            checkpointer,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Store for SqliteStore {
    fn read_tx(&self, op: &'static str, body: &mut TxBody<'_>) -> Result<(), ApiError> {
        let _span = debug_span!("store_read", op).entered();
        let mut conn = self.readers.take()?;
        let tx = conn.transaction().map_err(StoreError::from)?;
        body(&SqliteTx { conn: &tx })?;
        tx.finish().map_err(StoreError::from)?;
        Ok(())
    }

    fn write_tx(&self, op: &'static str, body: &mut TxBody<'_>) -> Result<(), ApiError> {
        let _span = debug_span!("store_write", op).entered();
        // A panic inside a body rolls its transaction back (the Transaction is dropped),
        // so the connection behind a poisoned lock is still sound.
        let mut conn = self
            .writer
            .conn
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::from)?;
        body(&SqliteTx { conn: &tx })?;
        tx.commit().map_err(StoreError::from)?;
        drop(conn);
        self.checkpointer.written();
        if self.indexer.is_some() {
            self.writer.written();
        }
        Ok(())
    }

    /// Works off the search queue through the writer, in batches of at most about 5 ms
    /// with the write lock free in between, and starts the read snapshot under the write
    /// lock once the queue is empty: the snapshot sees exactly the indexed state. The
    /// batches are bounded in time, not in number: once the rows queued when the search
    /// came are indexed, the rest (queued meanwhile) is indexed in one go, so a flood of
    /// sends cannot keep a search waiting.
    fn read_indexed_tx(&self, op: &'static str, body: &mut TxBody<'_>) -> Result<(), ApiError> {
        let _span = debug_span!("store_read_indexed", op).entered();
        // The reader first, then the write lock (never the other way round).
        let mut reader = self.readers.take()?;
        let tx = reader.transaction().map_err(StoreError::from)?;
        let mut target = None;
        loop {
            let mut conn = self
                .writer
                .conn
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let more = if indexer::anything_pending(&conn)? {
                let target = *target.get_or_insert(indexer::last_pending(&conn)?);
                let drained =
                    indexer::index_batch(&mut conn, Some(DEFAULT_INDEX_BATCH), Some(BATCH_BUDGET))?;
                if drained.more && drained.last_id >= target {
                    indexer::index_batch(&mut conn, None, None)?;
                    false
                } else {
                    drained.more
                }
            } else {
                false
            };
            if !more {
                // The snapshot starts here, with nothing queued.
                tx.query_row("SELECT COUNT(*) FROM search_pending", [], |row| {
                    row.get::<_, i64>(0)
                })
                .map_err(StoreError::from)?;
                break;
            }
            drop(conn);
            std::thread::yield_now();
        }
        body(&SqliteTx { conn: &tx })?;
        tx.finish().map_err(StoreError::from)?;
        Ok(())
    }
}

fn open_connection(
    path: &Path,
    options: &SqliteOptions,
    read_only: bool,
) -> Result<Connection, StoreError> {
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI
    };
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(options.busy_timeout)?;
    let synchronous = match options.synchronous {
        Synchronous::Normal => "NORMAL",
        Synchronous::Full => "FULL",
    };
    conn.execute_batch(&format!(
        "PRAGMA foreign_keys=ON; PRAGMA synchronous={synchronous}; PRAGMA mmap_size={};",
        options.mmap_bytes
    ))?;
    if read_only {
        conn.execute_batch("PRAGMA query_only=ON;")?;
    }
    // Every statement the domain runs stays prepared (rusqlite keeps 16 by default, fewer
    // than one request may use: a thread's message alone needs about 20, and a cache that
    // thrashes parses SQL on every request).
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    // Unicode-aware case folding for member search (SQLite's lower() is ASCII-only).
    conn.create_scalar_function(
        "fold_case",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| Ok(ctx.get::<String>(0)?.to_lowercase()),
    )?;
    // The search index's text and tags (its triggers and its migration call them).
    search_doc::register_functions(&conn)?;
    Ok(conn)
}
