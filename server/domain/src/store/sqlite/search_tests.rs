//! Tests of the search schema (versions 6 and 7): the upgrade from version 5 indexes the
//! messages already there (and only those with searchable text), and the queue of
//! pending work keeps the index exact through sends, edits, recalls and every deletion,
//! across restarts, whether the background indexer or a search works it off.

use community_protocol::search::SearchQuery;
use community_protocol::{
    ChannelId, CommunityId, Limits, Mentions, MessageContent, Priority, Seq, UserId,
};
use rusqlite::Connection;

use super::schema::{MIGRATIONS, SCHEMA_VERSION};
use super::{DATABASE_FILE, SqliteOptions, SqliteStore};
use crate::store::{MessageEdit, MessageSearch, NewMessage, NewThread, Store, Tx};

/// A version-5 database: community `c` with channels `ch` and `other`, a thread `th_1` of
/// `ch`, and messages of every kind of content at times 1000, 1000, 1001, …
fn version_5(dir: &std::path::Path) {
    let conn = Connection::open(dir.join(DATABASE_FILE)).unwrap();
    for migration in &MIGRATIONS[..5] {
        conn.execute_batch(migration).unwrap();
    }
    conn.pragma_update(None, "user_version", 5).unwrap();
    conn.execute_batch(
        r#"INSERT INTO communities (community_id, name, avatar_url, notice, owner_id,
                  join_policy, mute_all, member_count, default_channel_id, created_at_ms, version)
                  VALUES ('c', 'Old', '', '', 'alice', 'free', 0, 1, 'ch', 5, 3);
           INSERT INTO members VALUES ('c', 'alice', 'owner', '', 5, NULL);
           INSERT INTO channels (channel_id, community_id, name, introduction, notice, custom,
                  kind, category_id, position, private, is_default, created_at_ms, last_seq,
                  last_activity_ms)
                  VALUES ('ch', 'c', 'general', '', '', '', 'text', NULL, 0, 0, 1, 5, 6, 1004),
                         ('other', 'c', 'other', '', '', '', 'text', NULL, 1, 0, 0, 5, 0, 5);
           INSERT INTO channels (channel_id, community_id, name, introduction, notice, custom,
                  kind, category_id, position, private, is_default, created_at_ms, last_seq,
                  last_activity_ms, parent_channel_id)
                  VALUES ('th_1', 'c', 'plans', '', '', '', 'text', NULL, 0, 0, 0, 5, 1, 1005, 'ch');
           INSERT INTO threads (thread_id, parent_channel_id, parent_seq, created_by,
                  auto_archive_ms) VALUES ('th_1', 'ch', 1, 'alice', 86400000);
           INSERT INTO messages (channel_id, seq, community_id, sender_id, idempotency_key,
                  content, mentions, reply_to, priority, created_at_ms) VALUES
             ('ch', 1, 'c', 'alice', 'k1', '{"type":"text","text":"Raid tonight"}', '{}', NULL, 'normal', 1000),
             ('ch', 2, 'c', 'alice', 'k2', '{"type":"text","text":"明日東京都に行きます"}', '{}', NULL, 'normal', 1000),
             ('ch', 3, 'c', '', 'k3', '{"type":"system","event":"member_joined","text":"raid joined"}', '{}', NULL, 'normal', 1001),
             ('ch', 4, 'c', 'alice', 'k4', '{"type":"recalled","by":"alice","at_ms":1003}', '{}', NULL, 'normal', 1002),
             ('ch', 5, 'c', 'alice', 'k5', '{"type":"image","url":"u","name":"raid-map.png"}', '{}', NULL, 'normal', 1003),
             ('ch', 6, 'c', 'alice', 'k6', '{"type":"custom","data":"{}","description":"raid poll"}', '{}', NULL, 'normal', 1004),
             ('th_1', 1, 'c', 'alice', 'k7', '{"type":"text","text":"raid plan in the thread"}', '{}', NULL, 'normal', 1005);"#,
    )
    .unwrap();
}

fn query(text: &str) -> SearchQuery {
    SearchQuery::parse(text, &Limits::default()).unwrap()
}

/// The (stream, seq) of the messages of community `c` matching `text`, newest first.
fn found(tx: &dyn Tx, text: &str) -> Vec<(String, Seq)> {
    found_in(tx, "c", text)
}

/// Like [`found`], in a write transaction, after indexing its writes.
fn found_now(tx: &dyn Tx, text: &str) -> Vec<(String, Seq)> {
    tx.index_pending().unwrap();
    found(tx, text)
}

fn found_in(tx: &dyn Tx, community: &str, text: &str) -> Vec<(String, Seq)> {
    let community = CommunityId::from(community);
    let viewer = UserId::from("viewer");
    let query = query(text);
    let search = MessageSearch {
        community_id: &community,
        query: &query,
        stream: None,
        sender: None,
        after_ms: None,
        before_ms: None,
        excluded_channels: &[],
        only_streams: None,
        viewer: &viewer,
    };
    tx.search_candidates(&search, i64::MAX, 100)
        .unwrap()
        .into_iter()
        .map(|c| (c.channel_id.to_string(), c.seq))
        .collect()
}

fn row_counts(dir: &std::path::Path) -> (i64, i64) {
    let conn = Connection::open(dir.join(DATABASE_FILE)).unwrap();
    conn.execute_batch("INSERT INTO message_search (message_search) VALUES ('integrity-check')")
        .unwrap();
    let docs = conn
        .query_row("SELECT COUNT(*) FROM message_search_docs", [], |r| r.get(0))
        .unwrap();
    let rows = conn
        .query_row("SELECT COUNT(*) FROM message_search", [], |r| r.get(0))
        .unwrap();
    (docs, rows)
}

#[test]
fn a_version_5_database_upgrades_and_indexes_its_searchable_messages() {
    let dir = tempfile::tempdir().unwrap();
    version_5(dir.path());
    let opened = SqliteStore::open(dir.path(), &SqliteOptions::default()).unwrap();
    let store: &dyn Store = &opened;
    store
        .read("test", |tx| {
            // Text, a media's file name, a custom payload's description, a thread's
            // message; not the system message nor the recalled one. Newest first.
            assert_eq!(
                found(tx, "raid*"),
                [
                    ("th_1".into(), 1),
                    ("ch".into(), 6),
                    ("ch".into(), 5),
                    ("ch".into(), 1)
                ]
            );
            assert_eq!(found(tx, "東京"), [("ch".into(), 2)]);
            assert_eq!(found(tx, "京都"), [("ch".into(), 2)]);
            assert_eq!(found(tx, "東"), [("ch".into(), 2)]);
            assert!(found(tx, "大阪").is_empty());
            assert!(found(tx, "joined").is_empty());
            Ok(())
        })
        .unwrap();
    drop(opened);
    assert_eq!(row_counts(dir.path()), (5, 5));
    let conn = Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
    // Two messages of the same millisecond get consecutive positions; positions follow
    // time.
    let positions: Vec<(String, i64, i64)> = conn
        .prepare("SELECT channel_id, seq, doc_id FROM message_search_docs ORDER BY doc_id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(positions[0], ("ch".into(), 1, 1000 << 20));
    assert_eq!(positions[1], ("ch".into(), 2, (1000 << 20) + 1));
    assert_eq!(positions[4], ("th_1".into(), 1, 1005 << 20));
    let scope: String = conn
        .query_row(
            "SELECT scope_id FROM message_search_docs WHERE channel_id = 'th_1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(scope, "ch", "a thread's messages are read in its channel");
    let version: u32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
}

fn append(tx: &dyn Tx, channel: &str, key: &str, content: MessageContent, at: i64) -> Seq {
    let community = CommunityId::from("c");
    let channel = ChannelId::from(channel);
    let sender = UserId::from("alice");
    tx.append_message(&NewMessage {
        community_id: &community,
        channel_id: &channel,
        sender_id: &sender,
        idempotency_key: key,
        content: &content,
        mentions: &Mentions::default(),
        reply_to: None,
        priority: Priority::Normal,
        created_at_ms: at,
        custom_data: "",
        forwarded_from: None,
    })
    .unwrap()
    .seq
}

fn text(text: &str) -> MessageContent {
    MessageContent::Text { text: text.into() }
}

#[test]
fn the_index_follows_every_write_once_its_queue_is_worked_off() {
    let dir = tempfile::tempdir().unwrap();
    version_5(dir.path());
    let store = SqliteStore::open(dir.path(), &SqliteOptions::default()).unwrap();
    let store: &dyn Store = &store;
    let alice = UserId::from("alice");
    store
        .write("test", |tx| {
            // A send is indexed; a message of the same millisecond too.
            let seq = append(tx, "other", "n1", text("Dragons at dawn"), 2000);
            append(tx, "other", "n2", text("dragons again"), 2000);
            assert_eq!(
                found_now(tx, "dragons"),
                [("other".into(), seq + 1), ("other".into(), seq)]
            );
            // An edit re-indexes: the old word is gone, the new one found.
            tx.edit_message(&MessageEdit {
                channel_id: &"other".into(),
                seq,
                sender_id: &alice,
                content: &text("Wyverns at dusk"),
                mentions: &Mentions::default(),
                custom_data: "",
                edited_at_ms: 2001,
                edit_count: 1,
            })?;
            assert_eq!(found_now(tx, "dawn"), []);
            assert_eq!(found_now(tx, "wyverns"), [("other".into(), seq)]);
            // An edit to nothing searchable drops it, an edit back indexes it again.
            tx.edit_message(&MessageEdit {
                channel_id: &"other".into(),
                seq,
                sender_id: &alice,
                content: &text("…"),
                mentions: &Mentions::default(),
                custom_data: "",
                edited_at_ms: 2002,
                edit_count: 2,
            })?;
            assert_eq!(found_now(tx, "wyverns"), []);
            tx.edit_message(&MessageEdit {
                channel_id: &"other".into(),
                seq,
                sender_id: &alice,
                content: &text("wyverns"),
                mentions: &Mentions::default(),
                custom_data: "",
                edited_at_ms: 2003,
                edit_count: 3,
            })?;
            assert_eq!(found_now(tx, "wyverns"), [("other".into(), seq)]);
            // A recall drops it.
            let tombstone = MessageContent::Recalled {
                by: alice.clone(),
                at_ms: 2004,
            };
            tx.recall_message(&"other".into(), seq, &tombstone)?;
            assert_eq!(found_now(tx, "wyverns"), []);
            assert_eq!(found_now(tx, "dragons"), [("other".into(), seq + 1)]);
            Ok(())
        })
        .unwrap();
    assert_eq!(row_counts(dir.path()), (6, 6));
    // A failed transaction leaves the index as it was.
    let failed: Result<(), _> = store.write("test", |tx| {
        append(tx, "other", "n3", text("phoenix"), 3000);
        Err(community_protocol::ApiError::new(
            community_protocol::ErrorCode::INTERNAL,
            "roll back",
        ))
    });
    assert!(failed.is_err());
    store
        .read_indexed("test", |tx| {
            assert_eq!(found(tx, "phoenix"), []);
            Ok(())
        })
        .unwrap();
    // Deleting a thread, a channel, then the community takes their messages out.
    store
        .write("test", |tx| {
            let thread = ChannelId::from("th_2");
            tx.insert_thread(&NewThread {
                community_id: &"c".into(),
                thread_id: &thread,
                parent_channel_id: &"other".into(),
                parent_seq: None,
                name: "t",
                created_by: &alice,
                created_at_ms: 3000,
                auto_archive_ms: 86_400_000,
            })?;
            append(tx, "th_2", "n4", text("dragons in a thread"), 3001);
            assert_eq!(found_now(tx, "dragons").len(), 2);
            assert!(tx.delete_thread(&thread)?);
            assert_eq!(found_now(tx, "dragons").len(), 1);
            assert!(tx.delete_channel(&"other".into())?);
            assert_eq!(found_now(tx, "dragons"), []);
            Ok(())
        })
        .unwrap();
    // `ch` keeps 4 rows and its thread 1.
    assert_eq!(row_counts(dir.path()), (5, 5));
    store
        .write("test", |tx| {
            assert!(tx.delete_community(&"c".into())?);
            assert_eq!(found_now(tx, "raid*"), []);
            Ok(())
        })
        .unwrap();
    assert_eq!(row_counts(dir.path()), (0, 0));
}

#[test]
fn candidates_are_walked_from_the_index_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), &SqliteOptions::default()).unwrap();
    drop(store);
    let conn = Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
    super::search_doc::register_functions(&conn).unwrap();
    let plan: Vec<String> = conn
        .prepare(&format!(
            "EXPLAIN QUERY PLAN {}",
            super::search::CANDIDATES_SQL
        ))
        .unwrap()
        .query_map(
            rusqlite::params!["x", 0, 1, None::<String>, None::<String>, "v", 10],
            |r| r.get::<_, String>(3),
        )
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(
        plan[0].starts_with("SCAN message_search VIRTUAL TABLE"),
        "{plan:?}"
    );
    assert!(
        !plan.iter().any(|step| step.contains("TEMP B-TREE")),
        "{plan:?}"
    );
    assert_eq!(SCHEMA_VERSION, 9);
}

/// Rows queued for the indexer.
fn pending(dir: &std::path::Path) -> i64 {
    let conn = Connection::open(dir.join(DATABASE_FILE)).unwrap();
    conn.query_row("SELECT COUNT(*) FROM search_pending", [], |r| r.get(0))
        .unwrap()
}

/// Waits (bounded) until nothing is queued.
fn wait_until_indexed(dir: &std::path::Path) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while pending(dir) > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the indexer did not empty the queue"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

fn without_indexer() -> SqliteOptions {
    SqliteOptions {
        index_batch: 0,
        ..SqliteOptions::default()
    }
}

#[test]
fn queued_work_survives_a_restart_and_is_indexed_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    version_5(dir.path());
    let seqs = {
        let opened = SqliteStore::open(dir.path(), &without_indexer()).unwrap();
        let store: &dyn Store = &opened;
        let seqs = store
            .write("test", |tx| {
                Ok((
                    append(tx, "other", "n1", text("kraken rising"), 2000),
                    append(tx, "other", "n2", text("the kraken again"), 2001),
                ))
            })
            .unwrap();
        // Queued with the messages, not indexed yet.
        store
            .read("test", |tx| {
                assert_eq!(found(tx, "kraken"), []);
                Ok(())
            })
            .unwrap();
        seqs
    };
    assert_eq!(pending(dir.path()), 2);
    let opened = SqliteStore::open(dir.path(), &SqliteOptions::default()).unwrap();
    wait_until_indexed(dir.path());
    let store: &dyn Store = &opened;
    store
        .read("test", |tx| {
            assert_eq!(
                found(tx, "kraken"),
                [("other".into(), seqs.1), ("other".into(), seqs.0)]
            );
            Ok(())
        })
        .unwrap();
}

#[test]
fn the_indexer_empties_the_queue_without_any_search() {
    let dir = tempfile::tempdir().unwrap();
    version_5(dir.path());
    let opened = SqliteStore::open(dir.path(), &SqliteOptions::default()).unwrap();
    let store: &dyn Store = &opened;
    let mut last = 0;
    for i in 0..150 {
        last = store
            .write("test", |tx| {
                Ok(append(
                    tx,
                    "other",
                    &format!("g{i}"),
                    text("gryphon"),
                    2000 + i,
                ))
            })
            .unwrap();
    }
    wait_until_indexed(dir.path());
    store
        .read("test", |tx| {
            let hits = found(tx, "gryphon");
            assert_eq!(hits.len(), 100);
            assert_eq!(hits[0], ("other".into(), last));
            Ok(())
        })
        .unwrap();
    drop(opened);
    assert_eq!(row_counts(dir.path()), (155, 155));
}

/// The contents of the candidates of `text` in community `c`.
fn found_contents(tx: &dyn Tx, text: &str) -> Vec<MessageContent> {
    let community = CommunityId::from("c");
    let viewer = UserId::from("viewer");
    let query = query(text);
    let search = MessageSearch {
        community_id: &community,
        query: &query,
        stream: None,
        sender: None,
        after_ms: None,
        before_ms: None,
        excluded_channels: &[],
        only_streams: None,
        viewer: &viewer,
    };
    tx.search_candidates(&search, i64::MAX, 1000)
        .unwrap()
        .into_iter()
        .map(|c| c.content)
        .collect()
}

#[test]
fn a_recall_racing_the_indexer_is_never_found() {
    let dir = tempfile::tempdir().unwrap();
    version_5(dir.path());
    let store = SqliteStore::open(
        dir.path(),
        &SqliteOptions {
            index_batch: 1,
            ..SqliteOptions::default()
        },
    )
    .unwrap();
    let store: &dyn Store = &store;
    let alice = UserId::from("alice");
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        // A searcher beside the writer: whatever it finds is not recalled in its
        // snapshot.
        scope.spawn(|| {
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                store
                    .read_indexed("test", |tx| {
                        for content in found_contents(tx, "basilisk") {
                            assert!(matches!(content, MessageContent::Text { .. }));
                        }
                        Ok(())
                    })
                    .unwrap();
            }
        });
        for i in 0..200 {
            let seq = store
                .write("test", |tx| {
                    Ok(append(
                        tx,
                        "other",
                        &format!("b{i}"),
                        text("basilisk"),
                        2000 + i,
                    ))
                })
                .unwrap();
            if i % 2 == 0 {
                store
                    .read_indexed("test", |tx| {
                        assert_eq!(found_contents(tx, "basilisk").len(), 1);
                        Ok(())
                    })
                    .unwrap();
            }
            store
                .write("test", |tx| {
                    let tombstone = MessageContent::Recalled {
                        by: alice.clone(),
                        at_ms: 2000 + i,
                    };
                    tx.recall_message(&"other".into(), seq, &tombstone)?;
                    Ok(())
                })
                .unwrap();
            // Once the recall is committed, no search finds it.
            store
                .read_indexed("test", |tx| {
                    assert_eq!(found_contents(tx, "basilisk"), []);
                    Ok(())
                })
                .unwrap();
        }
        done.store(true, std::sync::atomic::Ordering::Relaxed);
    });
}

#[test]
fn deleting_a_channel_with_queued_work_leaves_nothing_to_find() {
    let dir = tempfile::tempdir().unwrap();
    version_5(dir.path());
    let opened = SqliteStore::open(dir.path(), &without_indexer()).unwrap();
    let store: &dyn Store = &opened;
    let alice = UserId::from("alice");
    store
        .write("test", |tx| {
            for i in 0..5 {
                append(tx, "other", &format!("h{i}"), text("hydra"), 2000 + i);
            }
            Ok(())
        })
        .unwrap();
    // Indexed by a search; then more sends, an edit, and the channel deleted, all queued.
    store
        .read_indexed("test", |tx| {
            assert_eq!(found(tx, "hydra").len(), 5);
            Ok(())
        })
        .unwrap();
    store
        .write("test", |tx| {
            let seq = append(tx, "other", "h5", text("hydra"), 3000);
            append(tx, "other", "h6", text("more hydra"), 3001);
            tx.edit_message(&MessageEdit {
                channel_id: &"other".into(),
                seq,
                sender_id: &alice,
                content: &text("hydra heads"),
                mentions: &Mentions::default(),
                custom_data: "",
                edited_at_ms: 3002,
                edit_count: 1,
            })?;
            Ok(())
        })
        .unwrap();
    store
        .write("test", |tx| {
            assert!(tx.delete_channel(&"other".into())?);
            Ok(())
        })
        .unwrap();
    assert_eq!(pending(dir.path()), 3 + 7);
    store
        .read_indexed("test", |tx| {
            assert_eq!(found(tx, "hydra"), []);
            assert_eq!(found(tx, "raid*").len(), 4);
            Ok(())
        })
        .unwrap();
    assert_eq!(pending(dir.path()), 0);
    drop(opened);
    assert_eq!(row_counts(dir.path()), (5, 5));
}
