//! The after-events queue on disk, `<data_dir>/webhooks.db`: events are written here right
//! after the domain commits (on the request's blocking thread, in commit order per
//! community) and removed when the app's backend acknowledges them, so a restart resumes
//! sending where the last server stopped. Events that failed every attempt move to the
//! `dead_letters` table.
//!
//! A database of its own rather than tables in `community.db`: the feed's writes (one per
//! acknowledgement) never contend with the domain's single writer, and a deployment
//! without webhooks has no such file. Every method blocks (SQLite): call them from blocking
//! threads only.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, params};

/// The queue's file in the data directory.
pub const QUEUE_FILE: &str = "webhooks.db";

/// The numbered migrations; `PRAGMA user_version` is how many ran.
const MIGRATIONS: &[&str] = &[
    // 1: pending events in enqueue order, and the dead letters.
    "CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id TEXT NOT NULL UNIQUE,
        partition TEXT NOT NULL,
        kind TEXT NOT NULL,
        body TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at_ms INTEGER NOT NULL
    );
    CREATE INDEX events_by_partition ON events (partition, id);
    CREATE TABLE dead_letters (
        id INTEGER PRIMARY KEY,
        event_id TEXT NOT NULL,
        partition TEXT NOT NULL,
        kind TEXT NOT NULL,
        body TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        last_error TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL,
        dead_at_ms INTEGER NOT NULL
    );",
];

/// Why the queue failed.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// SQLite refused.
    #[error("webhooks.db: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The data directory could not be created.
    #[error("cannot create {path}: {source}")]
    Io {
        /// The directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file's schema is newer than this server.
    #[error("webhooks.db has schema version {0}, newer than this server's")]
    TooNew(usize),
    /// A blocking task failed.
    #[error("queue task failed: {0}")]
    Task(String),
}

/// An event to enqueue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// Its id (also in the body and the `x-community-event-id` header).
    pub event_id: String,
    /// What it is kept in order with (see `events::AfterEvent::partition`).
    pub partition: String,
    /// Its `type`.
    pub kind: String,
    /// The JSON body sent.
    pub body: String,
    /// When it was enqueued.
    pub created_at_ms: i64,
}

/// An event waiting to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    /// Its position in the queue.
    pub id: i64,
    /// What was enqueued.
    pub event: NewEvent,
    /// Failed attempts so far.
    pub attempts: u32,
}

/// An event that failed every attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// What was enqueued.
    pub event: NewEvent,
    /// Attempts made.
    pub attempts: u32,
    /// The last attempt's failure.
    pub last_error: String,
    /// When it was given up.
    pub dead_at_ms: i64,
}

/// The queue (one connection; its methods block).
pub struct EventQueue {
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for EventQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventQueue").finish_non_exhaustive()
    }
}

impl EventQueue {
    /// Opens (creating and migrating) `<data_dir>/webhooks.db` in WAL mode.
    pub fn open(data_dir: &Path) -> Result<EventQueue, QueueError> {
        std::fs::create_dir_all(data_dir).map_err(|source| QueueError::Io {
            path: data_dir.to_owned(),
            source,
        })?;
        let mut conn = Connection::open(data_dir.join(QUEUE_FILE))?;
        conn.busy_timeout(Duration::from_secs(5))?;
        let _mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))?;
        conn.execute_batch("PRAGMA synchronous=NORMAL;")?;
        migrate(&mut conn)?;
        Ok(EventQueue {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic inside a statement leaves SQLite consistent (the transaction rolls back).
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends `events`, in order, in one transaction.
    pub fn push(&self, events: &[NewEvent]) -> Result<(), QueueError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO events (event_id, partition, kind, body, created_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for event in events {
                insert.execute(params![
                    event.event_id,
                    event.partition,
                    event.kind,
                    event.body,
                    event.created_at_ms
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The partitions with events waiting.
    pub fn partitions(&self) -> Result<Vec<String>, QueueError> {
        let conn = self.conn();
        let mut query = conn.prepare("SELECT DISTINCT partition FROM events")?;
        let rows = query.query_map([], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The oldest `limit` events of `partition` after position `after`.
    pub fn next(&self, partition: &str, after: i64, limit: u32) -> Result<Vec<Queued>, QueueError> {
        let conn = self.conn();
        let mut query = conn.prepare_cached(
            "SELECT id, event_id, partition, kind, body, created_at_ms, attempts FROM events
             WHERE partition = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
        )?;
        let rows = query.query_map(params![partition, after, limit], |row| {
            Ok(Queued {
                id: row.get(0)?,
                event: NewEvent {
                    event_id: row.get(1)?,
                    partition: row.get(2)?,
                    kind: row.get(3)?,
                    body: row.get(4)?,
                    created_at_ms: row.get(5)?,
                },
                attempts: row.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Removes an acknowledged event.
    pub fn ack(&self, id: i64) -> Result<(), QueueError> {
        self.conn()
            .prepare_cached("DELETE FROM events WHERE id = ?1")?
            .execute([id])?;
        Ok(())
    }

    /// Records how many attempts an event failed (kept across restarts).
    pub fn note_attempts(&self, id: i64, attempts: u32) -> Result<(), QueueError> {
        self.conn()
            .prepare_cached("UPDATE events SET attempts = ?2 WHERE id = ?1")?
            .execute(params![id, attempts])?;
        Ok(())
    }

    /// Moves an event to the dead letters.
    pub fn dead_letter(
        &self,
        queued: &Queued,
        attempts: u32,
        last_error: &str,
        now_ms: i64,
    ) -> Result<(), QueueError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let event = &queued.event;
        tx.execute(
            "INSERT INTO dead_letters (event_id, partition, kind, body, attempts, last_error,
                                       created_at_ms, dead_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                event.event_id,
                event.partition,
                event.kind,
                event.body,
                attempts,
                last_error,
                event.created_at_ms,
                now_ms
            ],
        )?;
        tx.execute("DELETE FROM events WHERE id = ?1", [queued.id])?;
        tx.commit()?;
        Ok(())
    }

    /// Events waiting.
    pub fn pending(&self) -> Result<u64, QueueError> {
        Ok(self
            .conn()
            .query_row("SELECT COUNT(*) FROM events", [], |row| row.get(0))?)
    }

    /// Every dead letter, oldest first.
    pub fn dead_letters(&self) -> Result<Vec<DeadLetter>, QueueError> {
        let conn = self.conn();
        let mut query = conn.prepare(
            "SELECT event_id, partition, kind, body, created_at_ms, attempts, last_error,
                    dead_at_ms FROM dead_letters ORDER BY id",
        )?;
        let rows = query.query_map([], |row| {
            Ok(DeadLetter {
                event: NewEvent {
                    event_id: row.get(0)?,
                    partition: row.get(1)?,
                    kind: row.get(2)?,
                    body: row.get(3)?,
                    created_at_ms: row.get(4)?,
                },
                attempts: row.get(5)?,
                last_error: row.get(6)?,
                dead_at_ms: row.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

fn migrate(conn: &mut Connection) -> Result<(), QueueError> {
    let version: usize = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if version > MIGRATIONS.len() {
        return Err(QueueError::TooNew(version));
    }
    for (done, migration) in MIGRATIONS.iter().enumerate().skip(version) {
        let tx = conn.transaction()?;
        tx.execute_batch(migration)?;
        tx.pragma_update(None, "user_version", done + 1)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(n: u32, partition: &str) -> NewEvent {
        NewEvent {
            event_id: format!("ev_{n}"),
            partition: partition.into(),
            kind: "message_sent".into(),
            body: format!("{{\"n\":{n}}}"),
            created_at_ms: i64::from(n),
        }
    }

    #[test]
    fn events_wait_per_partition_in_order_and_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let queue = EventQueue::open(dir.path()).unwrap();
        queue
            .push(&[event(1, "a"), event(2, "b"), event(3, "a")])
            .unwrap();
        let mut partitions = queue.partitions().unwrap();
        partitions.sort();
        assert_eq!(partitions, ["a", "b"]);
        let a = queue.next("a", 0, 10).unwrap();
        assert_eq!(
            a.iter()
                .map(|q| q.event.event_id.as_str())
                .collect::<Vec<_>>(),
            ["ev_1", "ev_3"]
        );
        queue.ack(a[0].id).unwrap();
        queue.note_attempts(a[1].id, 2).unwrap();
        drop(queue);
        let queue = EventQueue::open(dir.path()).unwrap();
        let a = queue.next("a", 0, 10).unwrap();
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].attempts, 2);
        queue.dead_letter(&a[0], 3, "status 503", 99).unwrap();
        assert_eq!(queue.pending().unwrap(), 1);
        let dead = queue.dead_letters().unwrap();
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].event, event(3, "a"));
        assert_eq!(dead[0].last_error, "status 503");
    }
}
