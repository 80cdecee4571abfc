//! WAL checkpoints off the write path.
//!
//! SQLite's automatic checkpoint runs inside the commit that pushes the WAL past 1,000
//! pages, on the committing connection: that commit (and every write queued behind the
//! one writer) waits for the checkpoint's copy and its `fsync`s, several milliseconds on
//! an ordinary disk — the tail of the server's acknowledgement latency at any load. So
//! the writer's automatic checkpoint is off (`wal_autocheckpoint=0`) and this thread, with
//! a connection of its own, runs `PRAGMA wal_checkpoint(PASSIVE)` after writes: at most
//! every [`INTERVAL`], sooner after [`EARLY_COMMITS`] commits. A passive checkpoint never
//! waits for the writer or the readers (WAL lets them go on while it copies), so no
//! request waits for it; what it cannot copy yet (pages a reader still needs) it copies
//! the next time. Durability is unchanged: a commit is in the WAL (and, with
//! `synchronous=FULL`, flushed) before it is answered, checkpointed or not.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;
use tracing::{debug, debug_span, warn};

use super::{SqliteOptions, open_connection};
use crate::StoreError;

/// The longest time written pages wait for a checkpoint.
const INTERVAL: Duration = Duration::from_millis(500);

/// Commits after which the checkpoint runs without waiting for [`INTERVAL`] (bounds the
/// WAL's growth under a heavy write load).
const EARLY_COMMITS: u64 = 1_000;

#[derive(Debug, Default)]
struct State {
    /// Commits since the last checkpoint started.
    commits: u64,
    /// The store is closing.
    stop: bool,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    /// Checkpoints run so far (for tests and diagnostics).
    runs: AtomicU64,
}

/// The checkpoint thread: started with the store, stopped (and joined) when it closes.
pub(super) struct Checkpointer {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Opens the thread's connection to `path` and starts the thread.
    pub(super) fn start(path: &Path, options: &SqliteOptions) -> Result<Self, StoreError> {
        let conn = open_connection(path, options, false)?;
        let shared = Arc::new(Shared::default());
        let thread = std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn({
                let shared = Arc::clone(&shared);
                move || run(&shared, &conn)
            })?;
        Ok(Self {
            shared,
            thread: Some(thread),
        })
    }

    /// Counts a commit of the writer.
    pub(super) fn written(&self) {
        let mut state = self.lock();
        state.commits += 1;
        if state.commits == EARLY_COMMITS {
            self.shared.wake.notify_one();
        }
    }

    /// Checkpoints run so far.
    #[cfg(test)]
    pub(super) fn runs(&self) -> u64 {
        self.shared.runs.load(Ordering::Acquire)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A counter and a flag: keep going after a panic.
        self.shared
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.lock().stop = true;
        self.shared.wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The thread: waits for commits (at most [`INTERVAL`], less after [`EARLY_COMMITS`]),
/// then checkpoints passively; ends when the store closes (the writer's connection,
/// closed last, checkpoints what is left).
fn run(shared: &Shared, conn: &Connection) {
    loop {
        {
            let state = shared.state.lock().unwrap_or_else(PoisonError::into_inner);
            let (mut state, _) = shared
                .wake
                .wait_timeout_while(state, INTERVAL, |s| !s.stop && s.commits < EARLY_COMMITS)
                .unwrap_or_else(PoisonError::into_inner);
            if state.stop {
                return;
            }
            if state.commits == 0 {
                continue;
            }
            state.commits = 0;
        }
        let _span = debug_span!("store_checkpoint").entered();
        match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
            Ok((row.get::<_, i64>(1)?, row.get::<_, i64>(2)?))
        }) {
            Ok((wal_pages, copied)) => debug!(wal_pages, copied, "checkpoint"),
            Err(error) => warn!(%error, "checkpoint failed; retried after the next write"),
        }
        shared.runs.fetch_add(1, Ordering::AcqRel);
    }
}
