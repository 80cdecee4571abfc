//! A small bounded pool of PostgreSQL connections. A connection is taken for one
//! transaction and comes back when its guard drops (also on panic); one still inside a
//! transaction then (an error or a panic in the body) is rolled back first, and one that
//! fails to roll back or is broken is closed and replaced by a fresh one later, so the
//! pool cannot leak connections or hand out a poisoned one. (A connection lost while idle
//! is found out when it cannot begin a transaction; the store then tries the next one.)

use std::ops::{Deref, DerefMut};
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use postgres::{Client, NoTls};

use super::StatementCache;
use crate::StoreError;

/// One pooled connection with the statements prepared on it.
pub(crate) struct Conn {
    /// The client.
    pub(crate) client: Client,
    /// Its prepared statements.
    pub(crate) statements: StatementCache,
    /// Set between BEGIN and a successful COMMIT.
    pub(crate) in_transaction: bool,
    /// Known to be unusable (set by the store): closed instead of returned.
    pub(crate) broken: bool,
}

struct State {
    idle: Vec<Conn>,
    /// Connections open (idle or on loan).
    open: usize,
}

/// The pool.
pub(super) struct Pool {
    url: String,
    max: usize,
    timeout: Duration,
    state: Mutex<State>,
    returned: Condvar,
}

/// A connection on loan; returns to the pool on drop.
pub(super) struct Loan<'p> {
    pool: &'p Pool,
    conn: Option<Conn>,
}

impl Pool {
    /// A pool of at most `max` connections to `url`; opens one now, so a wrong URL fails
    /// here.
    pub(super) fn new(url: &str, max: usize, timeout: Duration) -> Result<Self, StoreError> {
        let pool = Self {
            url: url.to_owned(),
            max,
            timeout,
            state: Mutex::new(State {
                idle: Vec::new(),
                open: 0,
            }),
            returned: Condvar::new(),
        };
        let first = pool.connect()?;
        let mut state = pool.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.idle.push(first);
        state.open = 1;
        drop(state);
        Ok(pool)
    }

    fn connect(&self) -> Result<Conn, StoreError> {
        Ok(Conn {
            client: Client::connect(&self.url, NoTls)?,
            statements: StatementCache::new(),
            in_transaction: false,
            broken: false,
        })
    }

    /// Connections kept open at most.
    pub(super) fn max(&self) -> usize {
        self.max
    }

    /// Takes an idle connection, opens a new one below the limit, or waits (bounded) for
    /// one to come back.
    pub(super) fn take(&self) -> Result<Loan<'_>, StoreError> {
        let deadline = Instant::now() + self.timeout;
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(conn) = state.idle.pop() {
                return Ok(Loan {
                    pool: self,
                    conn: Some(conn),
                });
            }
            if state.open < self.max {
                state.open += 1;
                drop(state);
                return match self.connect() {
                    Ok(conn) => Ok(Loan {
                        pool: self,
                        conn: Some(conn),
                    }),
                    Err(error) => {
                        self.forget_one();
                        Err(error)
                    }
                };
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(StoreError::Busy(
                    "no database connection became free in time".into(),
                ));
            }
            state = self
                .returned
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// A connection was closed: one more may be opened.
    fn forget_one(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.open = state.open.saturating_sub(1);
        drop(state);
        self.returned.notify_one();
    }
}

/// Closes connections on a thread of their own: a blocking `postgres::Client` closes
/// itself by running a small runtime, which panics on a thread that is already inside an
/// async runtime (a server dropped from an async task, or a runtime shutting down). The
/// thread only sends each connection's terminate message and ends.
fn close_off_runtime(conns: Vec<Conn>) {
    if conns.is_empty() {
        return;
    }
    // Not dropped here even if no thread can start (the closure is dropped then).
    let conns = std::mem::ManuallyDrop::new(conns);
    let spawned = std::thread::Builder::new()
        .name("pg-close".into())
        .spawn(move || drop(std::mem::ManuallyDrop::into_inner(conns)));
    if let Err(error) = spawned {
        // No thread: the connections are leaked rather than closed here (the database
        // ends them when the process exits).
        tracing::warn!(%error, "database connections not closed");
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(PoisonError::into_inner);
        close_off_runtime(std::mem::take(&mut state.idle));
    }
}

impl Drop for Loan<'_> {
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        if conn.in_transaction && !conn.broken && conn.client.batch_execute("ROLLBACK").is_ok() {
            conn.in_transaction = false;
        }
        if conn.in_transaction || conn.broken || conn.client.is_closed() {
            // Closed, not returned.
            close_off_runtime(vec![conn]);
            self.pool.forget_one();
            return;
        }
        self.pool
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .idle
            .push(conn);
        self.pool.returned.notify_one();
    }
}

impl Deref for Loan<'_> {
    type Target = Conn;

    fn deref(&self) -> &Conn {
        // Invariant: `conn` is Some until drop.
        #[allow(clippy::expect_used)]
        self.conn.as_ref().expect("connection used after return")
    }
}

impl DerefMut for Loan<'_> {
    fn deref_mut(&mut self) -> &mut Conn {
        // Invariant: `conn` is Some until drop.
        #[allow(clippy::expect_used)]
        self.conn.as_mut().expect("connection used after return")
    }
}
