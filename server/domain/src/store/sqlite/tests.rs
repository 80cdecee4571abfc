//! Tests of the SQLite engine itself: migrations, reopening, connection settings and the
//! split between the writer and the read-only pool.

use community_protocol::{CommunityId, ErrorCode, UserId};
use rusqlite::Connection;

use super::schema::{MIGRATIONS, SCHEMA_VERSION};
use super::{DATABASE_FILE, SqliteOptions, SqliteStore, Synchronous};
use crate::StoreError;
use crate::store::Store;

/// A community row with `id` and default channel `channel`, everything else plain.
fn community_info(id: &str, channel: &str) -> community_protocol::CommunityInfo {
    community_protocol::CommunityInfo {
        community_id: id.into(),
        name: "n".into(),
        avatar_url: String::new(),
        notice: String::new(),
        owner_id: "o".into(),
        join_policy: community_protocol::JoinPolicy::Free,
        mute_all: false,
        member_count: 0,
        attributes: Default::default(),
        default_channel_id: channel.into(),
        created_at_ms: 0,
        version: 1,
        system_messages: true,
    }
}

/// One integer that `sql` reads on the store's writer connection.
fn writer_value(store: &SqliteStore, sql: &str) -> i64 {
    store
        .writer
        .conn
        .lock()
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

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
        "edit_keys",
        "hidden",
        "idempotency",
        "join_requests",
        "members",
        "mentions",
        "message_changes",
        "messages",
        "notification_settings",
        "pins",
        "reactions",
        "read_positions",
        "uncounted",
    ] {
        assert!(created.iter().any(|t| t == table), "missing {table}");
    }
    conn.execute(
        "INSERT INTO communities (community_id, name, avatar_url, notice, owner_id, join_policy,
                mute_all, member_count, default_channel_id, created_at_ms, version)
         VALUES ('c', 'n', '', '', 'o', 'free', 0, 0, 'ch', 0, 1)",
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
        // `@me`, the conversations' reserved row, is not a community.
        .query_row(
            "SELECT COUNT(*) FROM communities WHERE community_id <> '@me'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn a_version_1_database_upgrades_and_keeps_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DATABASE_FILE);
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(MIGRATIONS[0]).unwrap();
    conn.pragma_update(None, "user_version", 1).unwrap();
    conn.execute_batch(
        r#"INSERT INTO communities VALUES ('c', 'Old', '', '', 'alice', 'free', 0, 1, 'ch', 5, 3);
           INSERT INTO members VALUES ('c', 'alice', 'owner', '', 5, NULL);
           INSERT INTO channels VALUES ('ch', 'c', 'general', '', '', '', 'text', NULL, 0, 0, 1,
                                        5, 1, 6);
           INSERT INTO messages VALUES ('ch', 1, 'c', 'alice', 'k1',
                                        '{"type":"text","text":"from v1"}', '{}', NULL, 'normal', 6);
           INSERT INTO idempotency VALUES ('alice', 'k1', 'ch', 1);"#,
    )
    .unwrap();
    drop(conn);

    let store = SqliteStore::open(dir.path(), &SqliteOptions::default()).unwrap();
    let store: &dyn Store = &store;
    let (info, channel, message) = store
        .read("test", |tx| {
            let info = tx.community(&CommunityId::from("c"))?.unwrap();
            let channel = tx.channel(&info.community_id, &"ch".into())?.unwrap();
            let message = tx.message(&"ch".into(), 1, None)?.unwrap();
            Ok((info, channel, message))
        })
        .unwrap();
    assert_eq!((info.name.as_str(), info.version), ("Old", 3));
    assert!(info.system_messages, "the switch defaults to on");
    assert_eq!((channel.last_seq, channel.change_seq), (1, 0));
    assert_eq!(
        message.content,
        community_protocol::MessageContent::Text {
            text: "from v1".into()
        }
    );
    assert_eq!((message.edit_count, message.custom_data.as_str()), (0, ""));
    assert!(message.reactions.is_empty() && message.pinned.is_none());
    let conn = Connection::open(&path).unwrap();
    assert_eq!(user_version(&conn), SCHEMA_VERSION);
    assert_eq!(SCHEMA_VERSION, 9);
}

#[test]
fn a_version_2_database_upgrades_to_permissions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DATABASE_FILE);
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(MIGRATIONS[0]).unwrap();
    conn.execute_batch(MIGRATIONS[1]).unwrap();
    conn.pragma_update(None, "user_version", 2).unwrap();
    conn.execute_batch(
        r#"INSERT INTO communities (community_id, name, avatar_url, notice, owner_id,
                  join_policy, mute_all, member_count, default_channel_id, created_at_ms, version)
                  VALUES ('c', 'Old', '', '', 'alice', 'free', 0, 2, 'ch', 5, 3);
           INSERT INTO members VALUES ('c', 'alice', 'owner', '', 5, NULL);
           INSERT INTO members VALUES ('c', 'bob', 'member', '', 6, NULL);
           INSERT INTO channels (channel_id, community_id, name, introduction, notice, custom,
                  kind, category_id, position, private, is_default, created_at_ms, last_seq,
                  last_activity_ms)
                  VALUES ('ch', 'c', 'general', '', '', '', 'text', NULL, 0, 0, 1, 5, 1, 6);
           INSERT INTO messages (channel_id, seq, community_id, sender_id, idempotency_key,
                  content, mentions, reply_to, priority, created_at_ms)
                  VALUES ('ch', 1, 'c', 'alice', 'k1', '{"type":"text","text":"hi @bob"}',
                          '{"users":["bob"]}', NULL, 'normal', 6);
           INSERT INTO mentions VALUES ('ch', 'bob', 1, 'alice');"#,
    )
    .unwrap();
    drop(conn);

    let store = SqliteStore::open(dir.path(), &SqliteOptions::default()).unwrap();
    let store: &dyn Store = &store;
    let (groups, bob, channel, counts, level) = store
        .read("test", |tx| {
            let c = CommunityId::from("c");
            let bob = UserId::from("bob");
            Ok((
                tx.groups(&c)?,
                tx.member(&c, &bob)?.unwrap(),
                tx.channel(&c, &"ch".into())?.unwrap(),
                tx.unread_counts(&bob, &"ch".into(), 0)?,
                tx.channel_notification(&bob, &"ch".into())?,
            ))
        })
        .unwrap();
    assert_eq!(groups.len(), 1, "the community got its @everyone");
    assert!(groups[0].group_id.is_everyone());
    assert_eq!(
        (groups[0].position, groups[0].permissions),
        (0, community_protocol::Permissions::EVERYONE_DEFAULT)
    );
    assert!(bob.groups.is_empty() && bob.custom_fields.is_empty());
    assert!(!channel.info.mute_all && !channel.info.follows_category);
    assert!(channel.info.overrides.is_empty());
    assert_eq!(counts, (1, 1), "mentions from before still count");
    assert_eq!(level, community_protocol::ChannelNotification::All);
    let conn = Connection::open(&path).unwrap();
    assert_eq!(user_version(&conn), SCHEMA_VERSION);
    for table in [
        "permission_groups",
        "member_groups",
        "channel_overrides",
        "category_overrides",
        "bans",
        "channel_notifications",
        "member_fields",
        "group_mentions",
    ] {
        assert!(tables(&conn).iter().any(|t| t == table), "missing {table}");
    }
}

/// Version 3 → 4: the channels and messages stay, threads can start from an old message,
/// and deleting a channel takes its threads and their messages along.
#[test]
fn a_version_3_database_upgrades_to_threads() {
    use crate::store::{NewMessage, NewThread};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DATABASE_FILE);
    let conn = Connection::open(&path).unwrap();
    for migration in &MIGRATIONS[..3] {
        conn.execute_batch(migration).unwrap();
    }
    conn.pragma_update(None, "user_version", 3).unwrap();
    conn.execute_batch(
        r#"INSERT INTO communities (community_id, name, avatar_url, notice, owner_id,
                  join_policy, mute_all, member_count, default_channel_id, created_at_ms, version)
                  VALUES ('c', 'Old', '', '', 'alice', 'free', 0, 1, 'ch', 5, 3);
           INSERT INTO members VALUES ('c', 'alice', 'owner', '', 5, NULL);
           INSERT INTO channels (channel_id, community_id, name, introduction, notice, custom,
                  kind, category_id, position, private, is_default, created_at_ms, last_seq,
                  last_activity_ms)
                  VALUES ('ch', 'c', 'general', '', '', '', 'text', NULL, 0, 0, 1, 5, 1, 6);
           INSERT INTO messages (channel_id, seq, community_id, sender_id, idempotency_key,
                  content, mentions, reply_to, priority, created_at_ms)
                  VALUES ('ch', 1, 'c', 'alice', 'k1', '{"type":"text","text":"v3"}', '{}',
                          NULL, 'normal', 6);"#,
    )
    .unwrap();
    drop(conn);

    let store = SqliteStore::open(dir.path(), &SqliteOptions::default()).unwrap();
    let store: &dyn Store = &store;
    let (c, ch, th) = (
        CommunityId::from("c"),
        community_protocol::ChannelId::from("ch"),
        community_protocol::ChannelId::from("th_1"),
    );
    let alice = UserId::from("alice");
    store
        .write("test", |tx| {
            let channel = tx.channel(&c, &ch)?.unwrap();
            assert!(channel.thread.is_none() && channel.last_seq == 1);
            assert!(tx.message(&ch, 1, None)?.unwrap().thread.is_none());
            tx.insert_thread(&NewThread {
                community_id: &c,
                thread_id: &th,
                parent_channel_id: &ch,
                parent_seq: Some(1),
                name: "from v3",
                created_by: &alice,
                created_at_ms: 7,
                auto_archive_ms: 3_600_000,
            })?;
            let reply = tx.append_message(&NewMessage {
                community_id: &c,
                channel_id: &th,
                sender_id: &alice,
                idempotency_key: "k2",
                content: &community_protocol::MessageContent::Text {
                    text: "in it".into(),
                },
                mentions: &Default::default(),
                reply_to: None,
                priority: community_protocol::Priority::Normal,
                created_at_ms: 8,
                custom_data: "",
                forwarded_from: None,
            })?;
            tx.note_thread_message(&th, &reply)?;
            assert!(tx.join_thread(&th, &alice, 8, 0)?);
            assert_eq!(tx.channels(&c)?.len(), 1, "threads are not channels");
            assert_eq!(tx.channel_count(&c)?, 1);
            assert!(tx.channel(&c, &th)?.is_none());
            let digest = tx.message(&ch, 1, None)?.unwrap().thread.unwrap();
            assert_eq!((digest.message_count, digest.participant_count), (1, 1));
            assert_eq!(digest.last.unwrap().text, "in it");
            assert_eq!(tx.thread_of_message(&ch, 1)?, Some(th.clone()));
            assert!(tx.delete_channel(&ch)?);
            assert!(tx.thread(&c, &th)?.is_none());
            assert!(tx.message(&th, 1, None)?.is_none(), "its messages went too");
            assert!(tx.thread_member_ids(&th)?.is_empty());
            Ok(())
        })
        .unwrap();
    let conn = Connection::open(&path).unwrap();
    assert_eq!(user_version(&conn), SCHEMA_VERSION);
    for table in ["threads", "thread_members"] {
        assert!(tables(&conn).iter().any(|t| t == table), "missing {table}");
    }
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
    let writer = store.writer.conn.lock().unwrap();
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
    assert_eq!(writer_value(&normal, "PRAGMA synchronous"), 1, "NORMAL");
}

#[test]
fn read_transactions_cannot_write_and_failed_writes_roll_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), &SqliteOptions::default()).unwrap();
    let store: &dyn Store = &store;
    let info = community_info("c", "ch");
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

/// The plan SQLite chooses for `sql`: one line per step.
fn plan(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> Vec<String> {
    let mut statement = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    statement
        .query_map(params, |row| row.get::<_, String>(3))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// True when a plan step reads a whole table (scanning a subquery's rows is fine).
fn scans_a_table(step: &str) -> bool {
    step.starts_with("SCAN") && !step.starts_with("SCAN (subquery")
}

/// Heads and the change log stay index lookups: no step of their queries scans a table.
#[test]
fn counts_and_change_pages_use_indexes_only() {
    let dir = tempfile::tempdir().unwrap();
    drop(SqliteStore::open(dir.path(), &SqliteOptions::default()).unwrap());
    let conn = Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
    for (name, sql) in [
        ("unread", super::reads::UNREAD_SQL),
        ("mentions", super::reads::MENTIONS_SQL),
    ] {
        let steps = plan(&conn, sql, rusqlite::params!["u", "ch", 0]);
        assert!(
            !steps.iter().any(|step| scans_a_table(step)),
            "{name}: {steps:?}"
        );
    }
    let steps = plan(
        &conn,
        super::changes::CHANGES_SQL,
        rusqlite::params!["ch", 0, 101],
    );
    assert!(
        !steps.iter().any(|step| scans_a_table(step)),
        "changes: {steps:?}"
    );
    assert!(
        steps.iter().any(|step| step.contains("PRIMARY KEY")),
        "changes: {steps:?}"
    );
}

#[test]
fn checkpoints_run_on_their_own_thread_not_in_a_commit() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join(DATABASE_FILE);
    let store = SqliteStore::open(dir.path(), &SqliteOptions::default()).unwrap();
    assert_eq!(
        writer_value(&store, "PRAGMA wal_autocheckpoint"),
        0,
        "no checkpoint inside a commit"
    );
    let before = std::fs::metadata(&db).unwrap().len();
    let count = |store: &SqliteStore| writer_value(store, "SELECT COUNT(*) FROM communities");
    let existing = count(&store);
    let runs = store.checkpointer.runs();
    {
        let store: &dyn Store = &store;
        for i in 0..200 {
            let info = community_info(&format!("c{i}"), &format!("ch{i}"));
            store
                .write("test", |tx| Ok(tx.insert_community(&info)?))
                .unwrap();
        }
    }
    // The thread checkpoints within its interval (bounded wait).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while store.checkpointer.runs() == runs && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(store.checkpointer.runs() > runs, "a checkpoint ran");
    // The pages reached the database file itself.
    assert!(std::fs::metadata(&db).unwrap().len() > before);
    drop(store);
    let reopened = SqliteStore::open(dir.path(), &SqliteOptions::default()).unwrap();
    assert_eq!(count(&reopened), existing + 200);
}
