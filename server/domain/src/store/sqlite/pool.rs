//! The pool of read-only connections. A reader is taken for one transaction and comes back
//! when its guard drops (also on panic), so the pool cannot leak connections.

use std::ops::{Deref, DerefMut};
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use crate::StoreError;

/// How long a query waits for a free reader before failing with a storage error.
const TAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// Idle read-only connections.
pub(super) struct ReaderPool {
    idle: Mutex<Vec<Connection>>,
    returned: Condvar,
}

/// A reader on loan; returns to the pool on drop.
pub(super) struct Reader<'p> {
    pool: &'p ReaderPool,
    conn: Option<Connection>,
}

impl ReaderPool {
    pub(super) fn new(connections: Vec<Connection>) -> Self {
        Self {
            idle: Mutex::new(connections),
            returned: Condvar::new(),
        }
    }

    /// Takes an idle reader, waiting (bounded) for one to come back.
    pub(super) fn take(&self) -> Result<Reader<'_>, StoreError> {
        let deadline = Instant::now() + TAKE_TIMEOUT;
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(conn) = idle.pop() {
                return Ok(Reader {
                    pool: self,
                    conn: Some(conn),
                });
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(StoreError::Busy(
                    "no read connection became free in time".into(),
                ));
            }
            idle = self
                .returned
                .wait_timeout(idle, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(conn);
            self.pool.returned.notify_one();
        }
    }
}

impl Deref for Reader<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        // Invariant: `conn` is Some until drop.
        #[allow(clippy::expect_used)]
        self.conn.as_ref().expect("reader used after return")
    }
}

impl DerefMut for Reader<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        // Invariant: `conn` is Some until drop.
        #[allow(clippy::expect_used)]
        self.conn.as_mut().expect("reader used after return")
    }
}
