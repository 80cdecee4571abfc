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
//! When no job has come for a while after writes, the writer merges the search index's
//! segments in small steps, each its own transaction, checking for jobs between steps
//! (`search_index::merge_step`): writes only append segments.
//!
//! Threads stop by themselves when the last `Store` clone is dropped (the job channels
//! close); queued writes are still committed first.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::sync::{Arc, Mutex};

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

/// How long the writer waits without a job before it does deferred index maintenance.
const IDLE_AFTER: std::time::Duration = std::time::Duration::from_millis(200);
/// Pages of search-index merging per idle step (a few milliseconds of work, so a write
/// arriving meanwhile waits at most that long).
const MERGE_PAGES: i64 = 64;

/// Runs the writer loop until every sender is gone, then closes the connection. When no
/// job has come for a while after some writes, it merges the search index's segments in
/// small steps (each its own transaction), checking for jobs between steps.
pub(crate) fn run_writer(
    connection: Connection,
    jobs: Receiver<WriteJob>,
    max_batch: usize,
    write_delay: std::time::Duration,
) {
    let mut batch: Vec<WriteJob> = Vec::with_capacity(max_batch);
    let mut maintenance_due = true;
    // True while maintaining: steps follow each other as long as no job comes.
    let mut maintaining = false;
    loop {
        let first = if maintenance_due {
            let next = if maintaining {
                jobs.try_recv().map_err(|error| match error {
                    TryRecvError::Empty => mpsc::RecvTimeoutError::Timeout,
                    TryRecvError::Disconnected => mpsc::RecvTimeoutError::Disconnected,
                })
            } else {
                jobs.recv_timeout(IDLE_AFTER)
            };
            match next {
                Ok(job) => job,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    maintenance_due = idle_step(&connection);
                    maintaining = maintenance_due;
                    continue;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        } else {
            match jobs.recv() {
                Ok(job) => job,
                Err(_) => break,
            }
        };
        if !write_delay.is_zero() {
            std::thread::sleep(write_delay);
        }
        batch.push(first);
        while batch.len() < max_batch {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
        run_batch(&connection, &mut batch);
        maintenance_due = true;
        maintaining = false;
    }
    tracing::debug!("store writer stopped");
    if let Err((_, error)) = connection.close() {
        tracing::warn!(%error, "closing the store's writer connection failed");
    }
}

/// One step of idle maintenance in its own transaction; true when there is more to do.
fn idle_step(connection: &Connection) -> bool {
    let step = begin(connection).and_then(|()| {
        let more = super::search_index::merge_step(connection, MERGE_PAGES);
        match more {
            Ok(more) => commit(connection).map(|()| more),
            Err(error) => Err(error),
        }
    });
    match step {
        Ok(more) => more,
        Err(error) => {
            if !connection.is_autocommit() {
                let _ = connection.execute_batch("ROLLBACK");
            }
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
    /// Write jobs, to the writer thread.
    pub(crate) writer: Sender<WriteJob>,
    /// Read jobs, to the reader threads.
    pub(crate) readers: Sender<ReadJob>,
}

/// Creates the job channels.
pub(crate) fn channels() -> (Channels, Receiver<WriteJob>, Arc<Mutex<Receiver<ReadJob>>>) {
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
