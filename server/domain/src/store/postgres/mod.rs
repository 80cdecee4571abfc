//! The PostgreSQL engine (cargo feature `postgres`; issue 15, work in progress — see
//! `docs/MULTINODE.md` for what is implemented): several server nodes share one database.
//!
//! - Connections: a small bounded pool (`pool`) of synchronous `postgres` clients; each
//!   connection prepares every statement once and keeps it (`PgTx::statement`).
//! - Transactions: a *write* transaction is `READ COMMITTED`. By default it first takes one
//!   database-wide advisory lock ([`PgOptions::serialize_writes`]): one writer at a time
//!   across nodes, as with SQLite, until per-community locks exist. Independently of it,
//!   what must be serialised across nodes takes a row lock (the next message sequence is
//!   `UPDATE channels SET last_seq = last_seq + 1 … RETURNING`, so sequences are gap-free:
//!   a rolled-back transaction gives its number back) or a transaction-scoped advisory
//!   lock (an idempotency key is locked before it is looked up, so the same key sent to
//!   two nodes at once stores one message). A *read* transaction is
//!   `REPEATABLE READ READ ONLY`: one consistent snapshot.
//! - Schema: numbered migrations (`schema`) under an advisory lock, so nodes starting
//!   together migrate once.
//!
//! The per-concern queries live in the sibling modules, one per concern, as in the SQLite
//! engine; every store trait is implemented (search: `search`, over a `tsvector` index
//! kept inside each write).

mod pool;
mod schema;

mod bans;
mod changes;
mod channels;
mod communities;
mod conversations;
mod convert;
mod groups;
mod members;
mod messages;
mod overrides;
mod people;
mod push_targets;
mod reactions;
mod reads;
mod search;
mod threads;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use community_protocol::ApiError;
use postgres::types::ToSql;
use postgres::{Row, Statement};
use tracing::{debug_span, info};

use super::{Store, TxBody};
use crate::StoreError;
use pool::{Conn, Pool};

/// How the PostgreSQL engine is set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgOptions {
    /// Connections kept open at most (at least 1).
    pub max_connections: usize,
    /// How long a transaction waits for a free connection before failing.
    pub acquire_timeout: Duration,
    /// Every write transaction first takes one database-wide advisory lock, so writes run
    /// one at a time across all nodes, as SQLite's single writer does: the domain's
    /// check-then-write guards (limits, "already a member") cannot race. Sequences and
    /// idempotency keys are safe without it (row and key locks); turning it off needs the
    /// per-community locks of `docs/MULTINODE.md` first.
    pub serialize_writes: bool,
}

impl Default for PgOptions {
    fn default() -> Self {
        Self {
            max_connections: 8,
            acquire_timeout: Duration::from_secs(30),
            serialize_writes: true,
        }
    }
}

/// The PostgreSQL implementation of [`Store`].
pub struct PgStore {
    pool: Pool,
    serialize_writes: bool,
}

/// The advisory lock key of [`PgOptions::serialize_writes`] (any constant; "cmtw").
const WRITE_LOCK: i64 = 0x636d_7477;

/// Statement parameters.
type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// A transaction's view of a connection; the per-concern traits are implemented on it.
pub(crate) struct PgTx<'c> {
    conn: Mutex<&'c mut Conn>,
    /// A write transaction (may take locks; reads are read-only snapshots).
    write: bool,
}

impl PgStore {
    /// Connects to `url` (a libpq-style connection string or `postgres://` URL) and brings
    /// the schema up to date. Reopening an up-to-date database changes nothing.
    pub fn open(url: &str, options: &PgOptions) -> Result<Self, StoreError> {
        let _span = debug_span!("pg_store_open").entered();
        let pool = Pool::new(url, options.max_connections.max(1), options.acquire_timeout)?;
        let version = {
            let mut conn = pool.take()?;
            schema::migrate(&mut conn.client)?
        };
        info!(schema_version = version, "postgres database open");
        Ok(Self {
            pool,
            serialize_writes: options.serialize_writes,
        })
    }

    /// A pooled connection inside a fresh transaction. A connection that cannot even
    /// begin one was lost while idle (the database restarted, an administrator or a
    /// network cut ended it): it is discarded and the next one tried — nothing ran on it,
    /// so trying again is safe — up to once per pooled connection plus a fresh one. Only
    /// when that fails too does the caller get the storage error.
    fn begin(&self, write: bool) -> Result<pool::Loan<'_>, StoreError> {
        let begin = if write {
            "BEGIN ISOLATION LEVEL READ COMMITTED"
        } else {
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
        };
        let mut discarded = 0;
        loop {
            let mut conn = self.pool.take()?;
            match conn.client.batch_execute(begin) {
                Ok(()) => {
                    // Until COMMIT succeeds the connection is in a transaction: a guard
                    // that drops early (an error, a panic) rolls it back, or discards
                    // the connection.
                    conn.in_transaction = true;
                    return Ok(conn);
                }
                Err(error) if discarded < self.pool.max() => {
                    tracing::warn!(%error, "database connection lost while idle; reconnecting");
                    conn.broken = true;
                    discarded += 1;
                }
                Err(error) => return Err(error.into()),
            }
        }
    }

    fn run(&self, write: bool, body: &mut TxBody<'_>) -> Result<(), ApiError> {
        let mut conn = self.begin(write)?;
        if write && self.serialize_writes {
            conn.client
                .execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
                .map_err(StoreError::from)?;
        }
        let result = body(&PgTx {
            conn: Mutex::new(&mut conn),
            write,
        });
        match result {
            Ok(()) => {
                conn.client
                    .batch_execute("COMMIT")
                    .map_err(StoreError::from)?;
                conn.in_transaction = false;
                Ok(())
            }
            Err(error) => Err(error),
        }
    }
}

impl Store for PgStore {
    fn read_tx(&self, op: &'static str, body: &mut TxBody<'_>) -> Result<(), ApiError> {
        let _span = debug_span!("pg_read", op).entered();
        self.run(false, body)
    }

    fn write_tx(&self, op: &'static str, body: &mut TxBody<'_>) -> Result<(), ApiError> {
        let _span = debug_span!("pg_write", op).entered();
        self.run(true, body)
    }
}

impl PgTx<'_> {
    /// `sql` prepared on this connection (once: later calls reuse it).
    fn statement(conn: &mut Conn, sql: &str) -> Result<Statement, StoreError> {
        if let Some(statement) = conn.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = conn.client.prepare(sql)?;
        conn.statements.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    fn with<T>(
        &self,
        sql: &str,
        run: impl FnOnce(&mut postgres::Client, &Statement) -> Result<T, postgres::Error>,
    ) -> Result<T, StoreError> {
        let mut guard = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        let conn: &mut Conn = &mut guard;
        let result = Self::statement(conn, sql)
            .and_then(|statement| run(&mut conn.client, &statement).map_err(StoreError::from));
        // Tests have no log subscriber: show the statement that failed.
        #[cfg(test)]
        if let Err(error) = &result {
            eprintln!("postgres store: {error:?} in {sql}");
        }
        result
    }

    /// Every row `sql` returns.
    pub(crate) fn query(&self, sql: &str, params: Params<'_>) -> StoreResult<Vec<Row>> {
        self.with(sql, |client, statement| client.query(statement, params))
    }

    /// The row `sql` returns, if any (more than one is an error).
    pub(crate) fn query_opt(&self, sql: &str, params: Params<'_>) -> StoreResult<Option<Row>> {
        self.with(sql, |client, statement| client.query_opt(statement, params))
    }

    /// The one row `sql` returns.
    pub(crate) fn query_one(&self, sql: &str, params: Params<'_>) -> StoreResult<Row> {
        self.with(sql, |client, statement| client.query_one(statement, params))
    }

    /// How many rows `sql` changed.
    pub(crate) fn execute(&self, sql: &str, params: Params<'_>) -> StoreResult<u64> {
        self.with(sql, |client, statement| client.execute(statement, params))
    }

    /// Whether this is a write transaction.
    pub(crate) fn is_write(&self) -> bool {
        self.write
    }
}

use super::StoreResult;

/// Keeps the statements of one connection, by their SQL text.
pub(crate) type StatementCache = HashMap<String, Statement>;
