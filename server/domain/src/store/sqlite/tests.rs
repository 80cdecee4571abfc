//! Tests of the SQLite engine itself: migrations, reopening, connection settings and the
//! split between the writer and the read-only pool.

use community_protocol::{CommunityId, ErrorCode, UserId};
use rusqlite::Connection;

use super::schema::SCHEMA_VERSION;
use super::{DATABASE_FILE, SqliteOptions, SqliteStore, Synchronous};
use crate::StoreError;
use crate::store::Store;

fn user_version(conn: &Connection) -> u32 {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap()
}

fn tables(conn: &Connection) -> Vec<String> {
    let mut statement = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap();
    statement
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn migrates_an_empty_directory_and_reopens_idempotently() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("nested").join("data");
    let store = SqliteStore::open(&data_dir, &SqliteOptions::default()).unwrap();
    assert_eq!(store.path(), data_dir.join(DATABASE_FILE));
    drop(store);

    let conn = Connection::open(data_dir.join(DATABASE_FILE)).unwrap();
    assert_eq!(user_version(&conn), SCHEMA_VERSION);
    let created = tables(&conn);
    for table in [
        "attributes",
        "categories",
        "channel_members",
        "channels",
        "communities",
        "idempotency",
        "join_requests",
        "members",
        "mentions",
        "messages",
        "notification_settings",
        "read_positions",
    ] {
        assert!(created.iter().any(|t| t == table), "missing {table}");
    }
    conn.execute(
        "INSERT INTO communities VALUES ('c', 'n', '', '', 'o', 'free', 0, 0, 'ch', 0, 1)",
        [],
    )
    .unwrap();
    drop(conn);

    // Reopening runs nothing and keeps the data.
    SqliteStore::open(&data_dir, &SqliteOptions::default()).unwrap();
    let conn = Connection::open(data_dir.join(DATABASE_FILE)).unwrap();
    assert_eq!(user_version(&conn), SCHEMA_VERSION);
    assert_eq!(tables(&conn), created);
    let n: i64 = conn
        .query_row("SELECT COUNT(*) FROM communities", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn refuses_a_database_from_a_newer_server() {
    let dir = tempfile::tempdir().unwrap();
    drop(SqliteStore::open(dir.path(), &SqliteOptions::default()).unwrap());
    let conn = Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
    conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    drop(conn);
    let error = SqliteStore::open(dir.path(), &SqliteOptions::default())
        .err()
        .unwrap();
    assert!(matches!(error, StoreError::SchemaTooNew { found, .. } if found == SCHEMA_VERSION + 1));
}

#[test]
fn connections_use_wal_foreign_keys_and_the_chosen_durability() {
    let dir = tempfile::tempdir().unwrap();
    let options = SqliteOptions {
        synchronous: Synchronous::Full,
        readers: 2,
        ..SqliteOptions::default()
    };
    let store = SqliteStore::open(dir.path(), &options).unwrap();
    let writer = store.writer.lock().unwrap();
    let mode: String = writer
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = writer
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap();
    assert_eq!(fk, 1);
    let sync: i64 = writer
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sync, 2, "FULL");
    drop(writer);
    let reader = store.readers.take().unwrap();
    let sync: i64 = reader
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sync, 2);
    drop(reader);

    let normal = SqliteStore::open(dir.path(), &SqliteOptions::default()).unwrap();
    let sync: i64 = normal
        .writer
        .lock()
        .unwrap()
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sync, 1, "NORMAL");
}

#[test]
fn read_transactions_cannot_write_and_failed_writes_roll_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), &SqliteOptions::default()).unwrap();
    let store: &dyn Store = &store;
    let info = community_protocol::CommunityInfo {
        community_id: "c".into(),
        name: "n".into(),
        avatar_url: String::new(),
        notice: String::new(),
        owner_id: "o".into(),
        join_policy: community_protocol::JoinPolicy::Free,
        mute_all: false,
        member_count: 0,
        attributes: Default::default(),
        default_channel_id: "ch".into(),
        created_at_ms: 0,
        version: 1,
    };
    let error = store
        .read("test", |tx| Ok(tx.insert_community(&info)?))
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::STORAGE);

    let error = store
        .write("test", |tx| {
            tx.insert_community(&info)?;
            Err::<(), _>(community_protocol::ApiError::new(
                ErrorCode::INVALID_ARGUMENT,
                "abort",
            ))
        })
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::INVALID_ARGUMENT);
    assert!(
        store
            .read("test", |tx| Ok(tx.community(&CommunityId::from("c"))?))
            .unwrap()
            .is_none()
    );

    store
        .write("test", |tx| Ok(tx.insert_community(&info)?))
        .unwrap();
    let stored = store
        .read("test", |tx| Ok(tx.community(&CommunityId::from("c"))?))
        .unwrap()
        .unwrap();
    assert_eq!(stored, info);
}

#[test]
fn readers_run_beside_an_open_write_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), &SqliteOptions::default()).unwrap();
    let store: &dyn Store = &store;
    // Inside a write transaction, a query on the reader pool still answers (WAL).
    let seen = store
        .write("outer", |_| {
            store.read("inner", |tx| Ok(tx.joined_ids(&UserId::from("nobody"))?))
        })
        .unwrap();
    assert!(seen.is_empty());
}
