//! The store's threads: one writer thread owning the only writing connection, and a few
//! reader threads, each owning a read-only connection.
//!
//! Callers never touch a connection. They send a job (a closure) down a channel and
//! await its result on a tokio oneshot, so no async thread ever waits on SQLite.
//!
//! The writer takes one job, then every job already queued behind it (up to
//! `max_batch`), and runs them all in ONE transaction, each inside its own savepoint: a
//! failing job rolls back only its own changes, the others commit together. Results
//! are delivered only after the commit, so a caller that got `Ok` knows its write is
//! durable (as WAL + `synchronous=NORMAL` makes it) and visible to every later read.
//!
//! Readers share one job queue. In WAL mode readers never block the writer nor each
//! other; a busy/locked answer (possible only while another process holds the file) is
//! retried a bounded number of times after SQLite's own busy timeout.
//!
//! The writer also does the search index's deferred work (`search_index`): writes only
//! queue it. When no request has come for a short while, or at once while a search waits
//! for it, the writer works the queue off in bounded steps, each its own transaction,
//! serving the writes that arrive between steps; then it merges the index's segments the
//! same way. A search asks with [`Request::Index`] and reads once it is answered.
//!
//! Threads stop by themselves when the last `Store` clone is dropped (the job channels
//! close); queued writes are still committed first.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::StoreError;

/// The result of a job, waiting for its transaction to commit.
pub(crate) trait Completion: Send {
    /// True when the job itself succeeded (its savepoint is kept).
    fn succeeded(&self) -> bool;
    /// Delivers the result, or `commit`'s error when the job succeeded but the
    /// transaction did not commit.
    fn finish(self: Box<Self>, commit: Result<(), StoreError>);
}

struct Pending<R> {
    reply: oneshot::Sender<Result<R, StoreError>>,
    result: Result<R, StoreError>,
}

impl<R: Send> Completion for Pending<R> {
    fn succeeded(&self) -> bool {
        self.result.is_ok()
    }

    fn finish(self: Box<Self>, commit: Result<(), StoreError>) {
        let outcome = match (self.result, commit) {
            (Ok(value), Ok(())) => Ok(value),
            (Ok(_), Err(error)) | (Err(error), _) => Err(error),
        };
        // The caller may have stopped waiting (its future was dropped): nothing to do.
        let _ = self.reply.send(outcome);
    }
}

/// A unit of work for the writer thread.
pub(crate) trait WriteWork: Send {
    /// Runs the work inside the batch transaction; the result waits for the commit.
    fn run(self: Box<Self>, connection: &Connection) -> Box<dyn Completion>;
    /// Answers the caller with `error` without running (the batch could not start).
    fn fail(self: Box<Self>, error: StoreError);
}

/// A write job: runs on the writer connection inside the batch transaction.
pub(crate) type WriteJob = Box<dyn WriteWork>;
/// A read job: runs on one reader connection.
pub(crate) type ReadJob = Box<dyn FnOnce(&Connection) + Send>;

struct Job<F, R> {
    work: F,
    reply: oneshot::Sender<Result<R, StoreError>>,
}

impl<R, F> WriteWork for Job<F, R>
where
    R: Send + 'static,
    F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
{
    fn run(self: Box<Self>, connection: &Connection) -> Box<dyn Completion> {
        let Job { work, reply } = *self;
        let result = work(connection);
        Box::new(Pending { reply, result })
    }

    fn fail(self: Box<Self>, error: StoreError) {
        let _ = self.reply.send(Err(error));
    }
}

/// Wraps `work` into a write job and the receiver of its result.
pub(crate) fn write_job<R, F>(work: F) -> (WriteJob, oneshot::Receiver<Result<R, StoreError>>)
where
    R: Send + 'static,
    F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
{
    let (reply, receiver) = oneshot::channel();
    (Box::new(Job { work, reply }), receiver)
}

/// Wraps `work` into a read job (retrying busy answers) and the receiver of its result.
pub(crate) fn read_job<R, F>(work: F) -> (ReadJob, oneshot::Receiver<Result<R, StoreError>>)
where
    R: Send + 'static,
    F: Fn(&Connection) -> Result<R, StoreError> + Send + 'static,
{
    let (reply, receiver) = oneshot::channel();
    let job: ReadJob = Box::new(move |connection| {
        let mut result = work(connection);
        let mut attempts = 1;
        while attempts < BUSY_RETRIES && result.as_ref().err().is_some_and(StoreError::is_busy) {
            tracing::debug!(attempts, "store reader busy, retrying");
            std::thread::sleep(std::time::Duration::from_millis(5 * attempts));
            result = work(connection);
            attempts += 1;
        }
        let _ = reply.send(result);
    });
    (job, receiver)
}

/// How often a busy read or batch commit is tried in all (each after SQLite's own busy
/// timeout expired).
const BUSY_RETRIES: u64 = 5;

/// How long the writer waits without a request before it works on the search index
/// (a burst of writes, whose requests follow each other closely, is never slowed).
const IDLE_AFTER: Duration = Duration::from_millis(25);
/// Queued index operations per idle step (a message read, indexed or not, or a document
/// removed; about 20 ms of work, so a write arriving meanwhile waits at most that long).
const IDLE_STEP: usize = 1_000;
/// Queued index operations per step while a search waits (larger steps index faster;
/// writes arriving meanwhile are still served between steps).
const WAIT_STEP: usize = 5_000;
/// When writes keep coming without a pause for this long, one idle step runs between two
/// batches anyway, so a steady stream of writes cannot starve the index.
const STARVED_AFTER: Duration = Duration::from_secs(1);
/// Pages of search-index merging per idle step (a few milliseconds of work).
const MERGE_PAGES: i64 = 64;

/// A request to the writer thread.
pub(crate) enum Request {
    /// A write job, run in a batch transaction.
    Write(WriteJob),
    /// Answer once every search-index operation queued before this request is done (a
    /// search sends it before it reads the index).
    Index(oneshot::Sender<Result<(), StoreError>>),
}

/// The writer thread's state.
struct Writer {
    connection: Connection,
    requests: Receiver<Request>,
    max_batch: usize,
    write_delay: Duration,
    /// Whether the queue is worked off when idle (else only while a search waits).
    idle_indexing: bool,
    /// Set when the writer knows the search index has no queued work (cleared before any
    /// write runs): a search that sees it set need not ask the writer.
    index_clean: Arc<AtomicBool>,
    /// Searches waiting for the index, each with the last queued operation it waits for.
    waiting: Vec<(i64, oneshot::Sender<Result<(), StoreError>>)>,
    /// Queued index work may exist (false only once a step found the queue empty).
    queued: bool,
    /// The index's segments may need merging.
    merges_due: bool,
    /// Idle maintenance is under way: the next step follows without waiting.
    maintaining: bool,
    /// When the writer last paused (nothing to do, or idle maintenance) or indexed: how
    /// long writes have kept it busy.
    rested_at: Instant,
}

/// Runs the writer loop until every sender is gone, then closes the connection. Write
/// jobs come first; the search index's queue is worked off in bounded steps (each its own
/// transaction) when no request has come for [`IDLE_AFTER`], or at once while a search
/// waits, with the writes that arrive meanwhile served between steps; then segments are
/// merged, in steps too.
pub(crate) fn run_writer(
    connection: Connection,
    requests: Receiver<Request>,
    options: &super::StoreOptions,
    index_clean: Arc<AtomicBool>,
) {
    let mut writer = Writer {
        connection,
        requests,
        max_batch: options.max_batch.max(1),
        write_delay: options.write_delay,
        idle_indexing: options.idle_indexing,
        index_clean,
        waiting: Vec::new(),
        queued: true,
        merges_due: true,
        maintaining: false,
        rested_at: Instant::now(),
    };
    writer.run();
    let Writer { connection, .. } = writer;
    tracing::debug!("store writer stopped");
    if let Err((_, error)) = connection.close() {
        tracing::warn!(%error, "closing the store's writer connection failed");
    }
}

impl Writer {
    fn run(&mut self) {
        let mut batch: Vec<WriteJob> = Vec::with_capacity(self.max_batch);
        loop {
            let next = if !self.waiting.is_empty() || self.maintaining {
                match self.requests.try_recv() {
                    Ok(request) => Some(request),
                    Err(TryRecvError::Empty) => None,
                    Err(TryRecvError::Disconnected) => break,
                }
            } else if (self.queued && self.idle_indexing) || self.merges_due {
                match self.requests.recv_timeout(IDLE_AFTER) {
                    Ok(request) => Some(request),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            } else {
                let next = self.requests.recv();
                self.rested_at = Instant::now();
                match next {
                    Ok(request) => Some(request),
                    Err(_) => break,
                }
            };
            match next {
                Some(Request::Write(job)) => self.write(job, &mut batch),
                Some(Request::Index(reply)) => self.wait_for_index(reply),
                None => self.maintain(),
            }
        }
    }

    /// Runs `first` and every write already queued behind it (up to `max_batch`) in one
    /// transaction; index requests met on the way wait for what the batch queued.
    fn write(&mut self, first: WriteJob, batch: &mut Vec<WriteJob>) {
        if !self.write_delay.is_zero() {
            std::thread::sleep(self.write_delay);
        }
        let mut index_requests = Vec::new();
        batch.push(first);
        while batch.len() < self.max_batch {
            match self.requests.try_recv() {
                Ok(Request::Write(job)) => batch.push(job),
                Ok(Request::Index(reply)) => index_requests.push(reply),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
        // Cleared before any write runs (so before its caller hears back): a search
        // after that write asks the writer.
        self.index_clean.store(false, Ordering::Release);
        self.queued = true;
        self.merges_due = true;
        self.maintaining = false;
        run_batch(&self.connection, batch);
        for reply in index_requests {
            self.wait_for_index(reply);
        }
        if self.idle_indexing
            && self.waiting.is_empty()
            && self.rested_at.elapsed() >= STARVED_AFTER
        {
            // Writes have kept coming for a while: one bounded step, then on.
            self.index_step(IDLE_STEP);
        }
    }

    /// Answers at once when nothing is queued, else once the last operation queued now
    /// is done.
    fn wait_for_index(&mut self, reply: oneshot::Sender<Result<(), StoreError>>) {
        if !self.queued {
            let _ = reply.send(Ok(()));
            return;
        }
        match super::search_index::last_queued(&self.connection) {
            Ok(Some(last)) => self.waiting.push((last, reply)),
            Ok(None) => {
                self.queued = false;
                self.index_clean.store(true, Ordering::Release);
                let _ = reply.send(Ok(()));
            }
            Err(error) => {
                let _ = reply.send(Err(error));
            }
        }
    }

    /// One step of maintenance: index work first, then merges.
    fn maintain(&mut self) {
        self.rested_at = Instant::now();
        if self.queued && (self.idle_indexing || !self.waiting.is_empty()) {
            let limit = if self.waiting.is_empty() {
                IDLE_STEP
            } else {
                WAIT_STEP
            };
            self.maintaining = self.index_step(limit);
        } else if self.merges_due {
            self.merges_due = merge_step(&self.connection);
            self.maintaining = self.merges_due;
        } else {
            self.maintaining = false;
        }
        if !self.queued && !self.waiting.is_empty() {
            // Nothing left to wait for.
            for (_, reply) in self.waiting.drain(..) {
                let _ = reply.send(Ok(()));
            }
        }
    }

    /// Does up to `limit` queued index operations in their own transaction and answers
    /// the searches that no longer wait for anything; true when there is more to do.
    fn index_step(&mut self, limit: usize) -> bool {
        let connection = &self.connection;
        let step = catch_unwind(AssertUnwindSafe(|| {
            in_transaction(connection, |c| {
                let (done, more) = super::search_index::index_step(c, limit)?;
                let first = if more {
                    super::search_index::first_queued(c)?
                } else {
                    None
                };
                Ok((done, first))
            })
        }))
        .unwrap_or_else(|_| {
            Err(StoreError::Sqlite {
                code: None,
                message: "search indexing panicked".into(),
            })
        });
        self.rested_at = Instant::now();
        match step {
            Ok((done, first)) => {
                if done > 0 {
                    self.merges_due = true;
                }
                self.queued = first.is_some();
                if !self.queued {
                    self.index_clean.store(true, Ordering::Release);
                }
                let waiting = std::mem::take(&mut self.waiting);
                for (last, reply) in waiting {
                    if first.is_none_or(|first| first > last) {
                        let _ = reply.send(Ok(()));
                    } else {
                        self.waiting.push((last, reply));
                    }
                }
                self.queued
            }
            Err(error) => {
                // Left for the next write to retry (no loop on a persistent error); the
                // searches waiting get the error rather than a stale answer.
                tracing::warn!(%error, "search indexing failed");
                self.queued = false;
                for (_, reply) in self.waiting.drain(..) {
                    let _ = reply.send(Err(error.clone()));
                }
                false
            }
        }
    }
}

/// Runs `work` in its own transaction (rolled back when it fails).
fn in_transaction<R>(
    connection: &Connection,
    work: impl FnOnce(&Connection) -> Result<R, StoreError>,
) -> Result<R, StoreError> {
    begin(connection)?;
    let result = work(connection).and_then(|value| commit(connection).map(|()| value));
    if result.is_err() && !connection.is_autocommit() {
        let _ = connection.execute_batch("ROLLBACK");
    }
    result
}

/// One step of merging in its own transaction; true when there is more to do.
fn merge_step(connection: &Connection) -> bool {
    match in_transaction(connection, |c| {
        super::search_index::merge_step(c, MERGE_PAGES)
    }) {
        Ok(more) => more,
        Err(error) => {
            tracing::warn!(%error, "search index maintenance failed");
            false
        }
    }
}

fn run_batch(connection: &Connection, batch: &mut Vec<WriteJob>) {
    let span = tracing::debug_span!("store.write_batch", jobs = batch.len());
    let _entered = span.enter();
    let mut completions: Vec<Box<dyn Completion>> = Vec::with_capacity(batch.len());
    let mut open = false;
    for job in batch.drain(..) {
        if !open {
            match begin(connection) {
                Ok(()) => open = true,
                Err(error) => {
                    tracing::error!(%error, "store transaction could not start");
                    job.fail(error);
                    continue;
                }
            }
        }
        if let Err(error) = connection.execute_batch("SAVEPOINT job") {
            job.fail(StoreError::from(error));
            continue;
        }
        let completion = match catch_unwind(AssertUnwindSafe(|| job.run(connection))) {
            Ok(completion) => Some(completion),
            Err(_) => {
                // The job panicked; its reply sender was dropped, so its caller sees
                // `Closed`. Its changes are undone below; the others go on.
                tracing::error!("a store write panicked; its changes were rolled back");
                None
            }
        };
        if connection.is_autocommit() {
            // SQLite itself rolled the whole transaction back (disk full, I/O error):
            // every job of it so far is lost and must say so. Later jobs get a new one.
            let error = StoreError::Sqlite {
                code: None,
                message: "SQLite rolled the write transaction back".into(),
            };
            tracing::error!(%error, "store batch lost");
            for done in completions.drain(..).chain(completion) {
                done.finish(Err(error.clone()));
            }
            open = false;
            continue;
        }
        let keep = completion.as_ref().is_some_and(|c| c.succeeded());
        finish_savepoint(connection, keep);
        completions.extend(completion);
    }
    if !open {
        return;
    }
    let commit = commit(connection);
    if let Err(error) = &commit {
        tracing::error!(%error, "store batch failed to commit");
        let _ = connection.execute_batch("ROLLBACK");
    }
    for completion in completions {
        completion.finish(commit.clone());
    }
}

fn begin(connection: &Connection) -> Result<(), StoreError> {
    retry_busy(|| {
        connection
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(StoreError::from)
    })
}

fn commit(connection: &Connection) -> Result<(), StoreError> {
    retry_busy(|| connection.execute_batch("COMMIT").map_err(StoreError::from))
}

fn retry_busy(mut step: impl FnMut() -> Result<(), StoreError>) -> Result<(), StoreError> {
    let mut attempts = 1;
    loop {
        match step() {
            Err(error) if error.is_busy() && attempts < BUSY_RETRIES => {
                tracing::warn!(attempts, "store writer busy, retrying");
                std::thread::sleep(std::time::Duration::from_millis(5 * attempts));
                attempts += 1;
            }
            other => return other,
        }
    }
}

fn finish_savepoint(connection: &Connection, keep: bool) {
    let sql = if keep {
        "RELEASE job"
    } else {
        "ROLLBACK TO job; RELEASE job"
    };
    if let Err(error) = connection.execute_batch(sql) {
        tracing::error!(%error, "store savepoint could not be closed");
    }
}

/// Runs one reader loop: takes jobs from the shared queue until it closes.
pub(crate) fn run_reader(connection: Connection, jobs: Arc<Mutex<Receiver<ReadJob>>>) {
    loop {
        // The lock is held only while waiting for the next job; other readers wait for
        // the lock instead, which is the same thing. A poisoned lock means another reader
        // panicked while waiting, which cannot corrupt the receiver: keep going.
        let next = {
            let guard = jobs.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            guard.recv()
        };
        let Ok(job) = next else { break };
        if catch_unwind(AssertUnwindSafe(|| job(&connection))).is_err() {
            tracing::error!("a store read panicked");
        }
    }
    tracing::debug!("store reader stopped");
}

/// The senders through which a `Store` reaches its threads.
pub(crate) struct Channels {
    /// Write jobs and index requests, to the writer thread.
    pub(crate) writer: Sender<Request>,
    /// Read jobs, to the reader threads.
    pub(crate) readers: Sender<ReadJob>,
}

/// Creates the job channels.
pub(crate) fn channels() -> (Channels, Receiver<Request>, Arc<Mutex<Receiver<ReadJob>>>) {
    let (writer, write_jobs) = mpsc::channel();
    let (readers, read_jobs) = mpsc::channel();
    (
        Channels { writer, readers },
        write_jobs,
        Arc::new(Mutex::new(read_jobs)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insert(connection: &Connection, n: i64) -> Result<(), StoreError> {
        connection.execute("INSERT INTO t (n) VALUES (?1)", [n])?;
        Ok(())
    }

    #[test]
    fn store_writer_batch_isolates_failing_and_panicking_jobs() {
        let connection = Connection::open_in_memory().unwrap();
        connection
            .execute_batch("CREATE TABLE t (n INTEGER)")
            .unwrap();
        let (ok, ok_reply) = write_job(|c| insert(c, 1).map(|()| "first"));
        let (failing, failing_reply) = write_job(|c| {
            insert(c, 2)?;
            Err::<(), _>(StoreError::decode("test", "refused"))
        });
        let (panicking, panicking_reply) = write_job(|c| -> Result<(), StoreError> {
            insert(c, 3)?;
            panic!("job panics on purpose")
        });
        let (last, last_reply) = write_job(|c| insert(c, 4));
        let mut batch = vec![ok, failing, panicking, last];
        run_batch(&connection, &mut batch);

        assert_eq!(ok_reply.blocking_recv().unwrap(), Ok("first"));
        assert!(matches!(
            failing_reply.blocking_recv().unwrap(),
            Err(StoreError::Decode { .. })
        ));
        // The panicking job's reply was dropped: its caller maps that to `Closed`.
        assert!(panicking_reply.blocking_recv().is_err());
        assert_eq!(last_reply.blocking_recv().unwrap(), Ok(()));
        let kept: Vec<i64> = connection
            .prepare("SELECT n FROM t ORDER BY n")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(kept, vec![1, 4]);
        assert!(
            connection.is_autocommit(),
            "the batch transaction is closed"
        );
    }
}
