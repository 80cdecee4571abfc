//! Connection set-up and the numbered schema migrations.
//!
//! The schema version lives in SQLite's `user_version`. Migration N (1-based) is
//! `MIGRATIONS[N - 1]`; each runs in its own transaction together with the bump of
//! `user_version`, so a crash mid-way leaves the file at the previous version. Reopening a
//! file that is up to date changes nothing. Migrations are append-only: never edit one
//! that has shipped, add the next.

use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::{StoreError, StoreOptions};

/// Migration 1: session, communities, categories, channels, heads, messages, outbox.
pub(super) const V1: &str = r#"
CREATE TABLE session (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    user_id         TEXT NOT NULL,
    device_id       TEXT NOT NULL,
    session_id      TEXT NOT NULL,
    last_event_seq  INTEGER NOT NULL
);

CREATE TABLE communities (
    community_id       TEXT PRIMARY KEY NOT NULL,
    name               TEXT NOT NULL,
    avatar_url         TEXT NOT NULL,
    notice             TEXT NOT NULL,
    owner_id           TEXT NOT NULL,
    join_policy        TEXT NOT NULL,
    mute_all           INTEGER NOT NULL,
    member_count       INTEGER NOT NULL,
    attributes         TEXT NOT NULL,
    default_channel_id TEXT NOT NULL,
    created_at_ms      INTEGER NOT NULL,
    version            INTEGER NOT NULL,
    notification       TEXT NOT NULL,
    me_user_id         TEXT NOT NULL,
    me_role            TEXT NOT NULL,
    me_nickname        TEXT NOT NULL,
    me_joined_at_ms    INTEGER NOT NULL,
    me_muted_until_ms  INTEGER
);

CREATE TABLE categories (
    community_id  TEXT NOT NULL REFERENCES communities(community_id) ON DELETE CASCADE,
    category_id   TEXT NOT NULL,
    name          TEXT NOT NULL,
    position      INTEGER NOT NULL,
    PRIMARY KEY (community_id, category_id)
) WITHOUT ROWID;

CREATE TABLE channels (
    channel_id     TEXT PRIMARY KEY NOT NULL,
    community_id   TEXT NOT NULL REFERENCES communities(community_id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    introduction   TEXT NOT NULL,
    notice         TEXT NOT NULL,
    custom         TEXT NOT NULL,
    kind           TEXT NOT NULL,
    category_id    TEXT,
    position       INTEGER NOT NULL,
    private        INTEGER NOT NULL,
    is_default     INTEGER NOT NULL,
    created_at_ms  INTEGER NOT NULL
);
CREATE INDEX channels_by_community ON channels(community_id);

CREATE TABLE heads (
    channel_id        TEXT PRIMARY KEY NOT NULL,
    community_id      TEXT NOT NULL REFERENCES communities(community_id) ON DELETE CASCADE,
    last_seq          INTEGER NOT NULL,
    last_activity_ms  INTEGER NOT NULL,
    read_seq          INTEGER NOT NULL,
    unread_count      INTEGER NOT NULL,
    mention_count     INTEGER NOT NULL
);
CREATE INDEX heads_by_community ON heads(community_id);

-- Messages: clustered on (channel_id, seq) so a page is one range scan of the table
-- itself. No secondary index: ingest stays close to a bare insert.
CREATE TABLE messages (
    channel_id       TEXT NOT NULL,
    seq              INTEGER NOT NULL,
    community_id     TEXT NOT NULL,
    sender_id        TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL,
    content          TEXT NOT NULL,
    mentions         TEXT,
    reply_to         INTEGER,
    priority         TEXT NOT NULL,
    created_at_ms    INTEGER NOT NULL,
    PRIMARY KEY (channel_id, seq)
) WITHOUT ROWID;

-- Which channels have cached messages, and of which community: lets removing a
-- community delete its messages without an index on messages.community_id.
CREATE TABLE message_channels (
    channel_id    TEXT PRIMARY KEY NOT NULL,
    community_id  TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX message_channels_by_community ON message_channels(community_id);

-- The outbox: rowid order is enqueue order.
CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key  TEXT NOT NULL UNIQUE,
    community_id     TEXT NOT NULL,
    channel_id       TEXT NOT NULL,
    content          TEXT NOT NULL,
    mentions         TEXT,
    reply_to         INTEGER,
    priority         TEXT NOT NULL,
    created_at_ms    INTEGER NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('sending', 'sent', 'failed')),
    sent_seq         INTEGER,
    error_code       INTEGER,
    error_message    TEXT
);
CREATE INDEX outbox_by_channel ON outbox(channel_id, id);
CREATE INDEX outbox_by_state ON outbox(state, id);
"#;

/// Migration 2: the whole life of messages (issue "messages"):
/// - `messages.extras`: what a message gains after it is sent or that few messages have
///   (custom data, edits, reactions, pin, reply preview, forwarding origin), as JSON;
///   NULL for a plain message, so ingest binds one more NULL.
/// - `messages_by_reply`: the replies to a message, to keep their previews in step with
///   edits and recalls of the original (partial: only replies pay for it).
/// - `message_channels.change_seq`: how far the cached messages of a channel have applied
///   the channel's change sequence (NULL: not known, e.g. a cache from version 1).
/// - `heads.change_seq`, `heads.hidden`: the server's newest change and the user's
///   locally deleted messages of the channel.
/// - `communities.system_messages`, and `outbox.custom_data` / `outbox.forward_of`.
/// - `pending_changes`: the durable queue of edits, recalls, reactions, pins and hides
///   made on this device and not confirmed by the server yet.
const V2: &str = r#"
ALTER TABLE messages ADD COLUMN extras TEXT;
CREATE INDEX messages_by_reply ON messages(channel_id, reply_to) WHERE reply_to IS NOT NULL;

ALTER TABLE message_channels ADD COLUMN change_seq INTEGER;

ALTER TABLE heads ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE heads ADD COLUMN hidden TEXT;

ALTER TABLE communities ADD COLUMN system_messages INTEGER NOT NULL DEFAULT 1;

ALTER TABLE outbox ADD COLUMN custom_data TEXT;
ALTER TABLE outbox ADD COLUMN forward_of TEXT;

-- Rowid order is the order the user made the changes in.
CREATE TABLE pending_changes (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    key            TEXT NOT NULL UNIQUE,
    community_id   TEXT NOT NULL,
    channel_id     TEXT NOT NULL,
    seq            INTEGER NOT NULL,
    action         TEXT NOT NULL,
    created_at_ms  INTEGER NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
    change_seq     INTEGER,
    error_code     INTEGER,
    error_message  TEXT
);
CREATE INDEX pending_changes_by_state ON pending_changes(state, id);
"#;

/// Migration 3: roles and permissions (issue "roles and permissions"), as JSON columns
/// NULL for the common case: the community's permission groups and my groups and custom
/// fields (`communities.groups`, `communities.me_extras`), a channel's overrides,
/// follows-category and mute-all (`channels.access`), a category's overrides, and my
/// notification level of a channel (`heads.notification_level`, NULL: all).
const V3: &str = r#"
ALTER TABLE communities ADD COLUMN groups TEXT;
ALTER TABLE communities ADD COLUMN me_extras TEXT;
ALTER TABLE channels ADD COLUMN access TEXT;
ALTER TABLE categories ADD COLUMN overrides TEXT;
ALTER TABLE heads ADD COLUMN notification_level TEXT;
"#;

/// Migration 4: threads. The threads the user joined, a column per field (a warm start
/// reads thousands of them); their heads and messages use the channels' tables, keyed by
/// thread id.
const V4: &str = r#"
CREATE TABLE threads (
    thread_id          TEXT PRIMARY KEY NOT NULL,
    community_id       TEXT NOT NULL REFERENCES communities(community_id) ON DELETE CASCADE,
    parent_channel_id  TEXT NOT NULL,
    parent_seq         INTEGER,
    name               TEXT NOT NULL,
    created_by         TEXT NOT NULL,
    created_at_ms      INTEGER NOT NULL,
    archived           INTEGER NOT NULL,
    locked             INTEGER NOT NULL,
    auto_archive_ms    INTEGER NOT NULL,
    last_activity_ms   INTEGER NOT NULL,
    message_count      INTEGER NOT NULL,
    member_count       INTEGER NOT NULL
);
CREATE INDEX threads_by_community ON threads(community_id);
CREATE INDEX threads_by_channel ON threads(parent_channel_id);
"#;

/// Migration 5. People: conversations (in the reserved community `@me`, whose `communities` row only
/// anchors their heads) and the profiles of users the app has seen.
const V5: &str = r#"
CREATE TABLE conversations (
    conversation_id   TEXT PRIMARY KEY NOT NULL,
    community_id      TEXT NOT NULL REFERENCES communities(community_id) ON DELETE CASCADE,
    kind              TEXT NOT NULL,
    participants      TEXT NOT NULL,
    name              TEXT NOT NULL,
    created_by        TEXT NOT NULL,
    created_at_ms     INTEGER NOT NULL,
    last_seq          INTEGER NOT NULL,
    last_activity_ms  INTEGER NOT NULL
);

CREATE TABLE profiles (
    user_id        TEXT PRIMARY KEY NOT NULL,
    display_name   TEXT NOT NULL,
    avatar_url     TEXT NOT NULL,
    fields         TEXT,
    updated_at_ms  INTEGER NOT NULL
) WITHOUT ROWID;
"#;

/// Migration 6: local full-text search of cached messages (see `search_index`).
/// - `messages.search_id`: the message's document id in the index (NULL: not indexed —
///   nothing to find, recalled, hidden, or its indexing still queued).
/// - `search_pending`: the index's queue. Every cache write records here, in its own
///   transaction, what the index must do (index a message as it is then, drop a stale
///   document); the writer works it off when idle and before every search.
/// - `search_docs`: document id → message, and the number of tokens it holds.
/// - `search_stats`: documents and tokens in all (BM25's averages).
/// - `message_search`: contentless FTS5 (`contentless_delete=1`, so a document can be
///   deleted by id alone) over the protocol's index text (`body`) and three filter
///   tokens (`meta`); `unicode61 remove_diacritics 2` folds case and accents; prefix
///   indexes of two and three characters (`prefix='2 3'`) make short prefixes (`to*`)
///   as quick as words. Merges are left to the writer's idle time (`automerge=0`;
///   `crisismerge=64` bounds the segments a long catch-up leaves).
///
/// Then every cached message is queued for indexing ([`super::search_index::backfill`]):
/// the upgrade itself stays quick, the writer indexes them when idle.
const V6: &str = r#"
ALTER TABLE messages ADD COLUMN search_id INTEGER;

-- Rowid order is the order the work was queued in. `doc`: remove that document;
-- `channel_id, seq..=last_seq`: index the channel's cached messages in that range as they
-- are when the work is done (those not indexed yet, not hidden, with something to find).
-- Either part may be NULL.
CREATE TABLE search_pending (
    id          INTEGER PRIMARY KEY,
    channel_id  TEXT,
    seq         INTEGER,
    last_seq    INTEGER,
    doc         INTEGER
);

CREATE TABLE search_docs (
    id          INTEGER PRIMARY KEY,
    channel_id  TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    tokens      INTEGER NOT NULL
);

CREATE TABLE search_stats (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    docs    INTEGER NOT NULL,
    tokens  INTEGER NOT NULL
);
INSERT INTO search_stats (id, docs, tokens) VALUES (1, 0, 0);

CREATE VIRTUAL TABLE message_search USING fts5(
    body, meta,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);
INSERT INTO message_search (message_search, rank) VALUES ('automerge', 0);
INSERT INTO message_search (message_search, rank) VALUES ('crisismerge', 64);
"#;

/// Version 7: this device's push token (protocol §23.1) — the one the app registered, with
/// the server session that acknowledged it (`''`: still to send) — and the tokens still
/// to unregister on the server (replaced or unregistered while offline).
const V7: &str = r#"
CREATE TABLE push_token (
    id                  INTEGER PRIMARY KEY CHECK (id = 1),
    platform            TEXT NOT NULL,
    token               TEXT NOT NULL,
    registered_session  TEXT NOT NULL DEFAULT ''
);

CREATE TABLE push_unregister (
    token   TEXT PRIMARY KEY
);
"#;

/// A migration step that needs Rust (a back-fill).
type Step = fn(&Connection) -> Result<(), StoreError>;

/// One numbered migration: SQL, then (optionally) a step that needs Rust, in the same
/// transaction.
struct Migration {
    sql: &'static str,
    then: Option<Step>,
}

const fn sql(sql: &'static str) -> Migration {
    Migration { sql, then: None }
}

/// Every migration, in order. The schema version is `MIGRATIONS.len()`.
const MIGRATIONS: &[Migration] = &[
    sql(V1),
    sql(V2),
    sql(V3),
    sql(V4),
    sql(V5),
    Migration {
        sql: V6,
        then: Some(super::search_index::backfill),
    },
    sql(V7),
];

/// The schema version this SDK writes.
pub(crate) fn current_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// Opens the writer connection: creates the file if needed, sets the pragmas and brings
/// the schema up to date.
pub(crate) fn open_writer(
    path: &std::path::Path,
    options: &StoreOptions,
) -> Result<Connection, StoreError> {
    let connection = Connection::open(path).map_err(|e| open_error(path, e))?;
    connection
        .busy_timeout(Duration::from_millis(options.busy_timeout_ms))
        .map_err(|e| open_error(path, e))?;
    // journal_mode returns a row, so it is queried rather than executed.
    let mode: String = connection.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(mode, "SQLite refused WAL mode; continuing in this mode");
    }
    connection.execute_batch(
        "PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -16000;
         PRAGMA journal_size_limit = 67108864;",
    )?;
    migrate(&connection)?;
    connection.set_prepared_statement_cache_capacity(64);
    Ok(connection)
}

/// Opens one reader connection (after the writer has migrated the file).
pub(crate) fn open_reader(
    path: &std::path::Path,
    options: &StoreOptions,
) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connection = Connection::open_with_flags(path, flags).map_err(|e| open_error(path, e))?;
    connection
        .busy_timeout(Duration::from_millis(options.busy_timeout_ms))
        .map_err(|e| open_error(path, e))?;
    connection.execute_batch(
        "PRAGMA query_only = ON;
         PRAGMA cache_size = -16000;
         PRAGMA mmap_size = 268435456;",
    )?;
    connection.set_prepared_statement_cache_capacity(64);
    Ok(connection)
}

/// Applies every pending migration; refuses a file from a newer SDK.
pub(crate) fn migrate(connection: &Connection) -> Result<(), StoreError> {
    let found: i64 = connection.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let supported = current_version();
    if found > supported {
        return Err(StoreError::SchemaTooNew { found, supported });
    }
    migrate_to(connection, supported)
}

/// Applies the pending migrations up to schema `target` (tests build older files with it).
pub(crate) fn migrate_to(connection: &Connection, target: i64) -> Result<(), StoreError> {
    let found: i64 = connection.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let pending = MIGRATIONS
        .iter()
        .enumerate()
        .skip(found.max(0) as usize)
        .take((target - found).max(0) as usize);
    for (index, migration) in pending {
        let version = index as i64 + 1;
        let _span = tracing::info_span!("store.migrate", version).entered();
        connection.execute_batch("BEGIN IMMEDIATE")?;
        let applied = connection
            .execute_batch(migration.sql)
            .map_err(StoreError::from)
            .and_then(|()| migration.then.map_or(Ok(()), |then| then(connection)))
            .and_then(|()| {
                connection
                    .execute_batch(&format!("PRAGMA user_version = {version}"))
                    .map_err(StoreError::from)
            });
        match applied {
            Ok(()) => connection.execute_batch("COMMIT")?,
            Err(error) => {
                // The migration failed: undo it, keep the previous version.
                let _ = connection.execute_batch("ROLLBACK");
                return Err(error);
            }
        }
    }
    Ok(())
}

fn open_error(path: &std::path::Path, error: rusqlite::Error) -> StoreError {
    match StoreError::from(error) {
        corrupt @ StoreError::Corrupt { .. } => corrupt,
        other => StoreError::Open {
            path: path.display().to_string(),
            detail: other.to_string(),
        },
    }
}
