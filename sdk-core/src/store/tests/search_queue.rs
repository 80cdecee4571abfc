//! Deferred indexing: cache writes only queue the index's work (`search_pending`), the
//! writer does it when idle or when a search asks, and every search is exact: it finds
//! what was cached before it, never an edited, recalled, hidden or removed message with
//! its old text, and the queue survives a reopen.
//!
//! Most tests open the store with `idle_indexing: false`, so the queue stays until a
//! search (or `flush_search_index`) has it worked off: what they check does not depend on
//! how fast the writer is.

use std::time::{Duration, Instant};

use community_protocol::{ChangeKind, ChannelHead, Mentions, Message};
use rusqlite::{Connection, OpenFlags};

use super::super::test_support::*;
use super::super::{Change, SearchRequest, Store, StoreOptions, search};
use super::search::{A0, A1, B0, change, edited, find, hit, query, seeded_with, text};

/// Options under which only searches have the queue worked off.
fn deferred() -> StoreOptions {
    StoreOptions {
        idle_indexing: false,
        ..StoreOptions::default()
    }
}

/// A read-only connection of its own on the store's file: reads the index as it is,
/// without asking the writer to finish the queue first.
fn raw_reader(path: &std::path::Path) -> Connection {
    Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap()
}

/// What a search that does not wait for the queue returns, as (channel, seq).
fn raw_find(connection: &Connection, text: &str) -> Vec<(String, u64)> {
    search::search(connection, &SearchRequest::new(query(text), 50))
        .unwrap()
        .hits
        .iter()
        .map(|h| (h.message.channel_id.as_str().to_owned(), h.message.seq))
        .collect()
}

/// Documents the FTS5 table itself finds for one word (stale ones included).
fn raw_documents(connection: &Connection, word: &str) -> i64 {
    connection
        .query_row(
            "SELECT count(*) FROM message_search WHERE message_search MATCH ?1",
            [format!("body : \"{word}\"")],
            |row| row.get(0),
        )
        .unwrap()
}

async fn backlog(store: &Store) -> u64 {
    store.search_backlog().await.unwrap()
}

#[tokio::test]
async fn store_search_finds_a_message_searched_right_after_it_was_inserted() {
    let temp = temp_store_with(deferred()).await;
    let store = &temp.store;
    store
        .apply(vec![Change::Snapshot(snapshot("a", 1, 1))])
        .await
        .unwrap();
    store
        .insert_messages(vec![text("a", A0, 1, "bob", "a fresh griffin sighting")])
        .await
        .unwrap();
    assert_eq!(backlog(store).await, 1, "queued, not indexed");
    assert_eq!(raw_find(&raw_reader(&temp.path), "griffin"), vec![]);
    // The search has the queue worked off first.
    assert_eq!(find(store, "griffin").await, vec![hit(A0, 1)]);
    assert_eq!(backlog(store).await, 0);
    assert_eq!(store.search_stats().await.unwrap().0, 1);
    // Messages without anything to find are not even queued.
    let mut system = text("a", A0, 2, "bob", "");
    system.content = community_protocol::MessageContent::Recalled {
        by: "bob".into(),
        at_ms: 1,
    };
    store.insert_messages(vec![system]).await.unwrap();
    assert_eq!(backlog(store).await, 0);
}

#[tokio::test]
async fn store_search_after_an_edit_finds_the_new_words_only() {
    let temp = seeded_with(deferred()).await;
    let store = &temp.store;
    store
        .apply(vec![Change::Baselines(vec![("a".into(), A0.into(), 0)])])
        .await
        .unwrap();
    // Edited while its indexing is still queued…
    store
        .apply(vec![Change::MessageChanges {
            changes: vec![change(1, 1, edited("Dungeon tonight at ten"))],
            me: ME.into(),
        }])
        .await
        .unwrap();
    assert!(find(store, "potions").await.is_empty());
    assert_eq!(find(store, "dungeon").await, vec![hit(A0, 1)]);
    // … and edited again once indexed: the old document stops counting at once, though
    // the index still holds it until the queue is worked off.
    store
        .apply(vec![Change::MessageChanges {
            changes: vec![change(2, 1, edited("Wyvern hunt at dawn"))],
            me: ME.into(),
        }])
        .await
        .unwrap();
    assert!(backlog(store).await > 0);
    let reader = raw_reader(&temp.path);
    assert_eq!(raw_documents(&reader, "dungeon"), 1, "removal still queued");
    assert!(
        raw_find(&reader, "dungeon").is_empty(),
        "never with its old text"
    );
    assert!(find(store, "dungeon").await.is_empty());
    assert_eq!(find(store, "wyvern").await, vec![hit(A0, 1)]);
    assert_eq!(raw_documents(&reader, "dungeon"), 0);
    assert_eq!(store.search_stats().await.unwrap().0, 6);
}

#[tokio::test]
async fn store_search_never_finds_a_recalled_message() {
    let temp = seeded_with(deferred()).await;
    let store = &temp.store;
    store.flush_search_index().await.unwrap();
    store
        .apply(vec![Change::Baselines(vec![("a".into(), A0.into(), 0)])])
        .await
        .unwrap();
    store
        .apply(vec![Change::MessageChanges {
            changes: vec![change(
                1,
                2,
                ChangeKind::Recalled {
                    sender_id: "carol".into(),
                    mentions: Mentions::default(),
                },
            )],
            me: ME.into(),
        }])
        .await
        .unwrap();
    assert_eq!(backlog(store).await, 1, "the document's removal");
    let reader = raw_reader(&temp.path);
    assert_eq!(raw_documents(&reader, "coming"), 1);
    assert!(raw_find(&reader, "coming").is_empty());
    assert!(find(store, "coming").await.is_empty());
    assert_eq!(raw_documents(&reader, "coming"), 0);
    assert_eq!(store.search_stats().await.unwrap().0, 5);
    // A copy from before the recall arriving later changes nothing.
    store
        .insert_messages(vec![text("a", A0, 2, "carol", "Who is coming?")])
        .await
        .unwrap();
    assert!(find(store, "coming").await.is_empty());
}

#[tokio::test]
async fn store_search_leaves_out_a_message_hidden_with_its_indexing_queued_or_done() {
    let temp = seeded_with(deferred()).await;
    let store = &temp.store;
    let head = |hidden: Vec<u64>| ChannelHead {
        hidden,
        ..head("a", 0, 10, 4)
    };
    // Hidden while its indexing is queued: never indexed.
    store.upsert_heads(vec![head(vec![1])]).await.unwrap();
    assert!(find(store, "potions").await.is_empty());
    assert_eq!(store.search_stats().await.unwrap().0, 5);
    // Shown again, then hidden once indexed.
    store.upsert_heads(vec![head(vec![])]).await.unwrap();
    assert_eq!(find(store, "potions").await, vec![hit(A0, 1)]);
    store.upsert_heads(vec![head(vec![1])]).await.unwrap();
    assert!(backlog(store).await > 0);
    let reader = raw_reader(&temp.path);
    assert_eq!(raw_documents(&reader, "potions"), 1);
    assert!(raw_find(&reader, "potions").is_empty());
    assert!(find(store, "potions").await.is_empty());
    assert_eq!(store.search_stats().await.unwrap().0, 5);
}

#[tokio::test]
async fn store_removing_a_channel_drops_its_queued_work_and_its_hits() {
    let temp = seeded_with(deferred()).await;
    let store = &temp.store;
    store.flush_search_index().await.unwrap();
    store
        .insert_messages(vec![
            text("a", A1, 3, "bob", "queued griffins"),
            text("a", A1, 4, "bob", "more queued griffins"),
            text("a", A0, 4, "bob", "griffins elsewhere"),
        ])
        .await
        .unwrap();
    assert_eq!(backlog(store).await, 2, "a run in each channel");
    store.remove_channel("a".into(), A1.into()).await.unwrap();
    // The channel's queued run is gone from the queue; its two indexed documents are
    // queued for removal and no longer count.
    assert_eq!(backlog(store).await, 1 + 2);
    let reader = raw_reader(&temp.path);
    assert!(raw_find(&reader, "cafe").is_empty());
    assert_eq!(find(store, "griffins").await, vec![hit(A0, 4)]);
    assert!(find(store, "cafe").await.is_empty());
    assert!(find(store, "東京").await.is_empty());
    assert_eq!(backlog(store).await, 0);
    assert_eq!(store.search_stats().await.unwrap().0, 5);

    // Cached again while the removal of its old documents is still queued: the new
    // documents never collide with the old ones (same messages, same first ids).
    store.flush_search_index().await.unwrap();
    store
        .insert_messages(vec![text("b", "b-ch001", 1, "bob", "short lived wyvern")])
        .await
        .unwrap();
    store.flush_search_index().await.unwrap();
    store.forget_messages("b-ch001".into()).await.unwrap();
    store
        .insert_messages(vec![text("b", "b-ch001", 1, "bob", "short lived wyvern")])
        .await
        .unwrap();
    assert_eq!(backlog(store).await, 2, "one removal, one insert");
    assert_eq!(find(store, "wyvern").await, vec![hit("b-ch001", 1)]);
    assert_eq!(store.search_stats().await.unwrap().0, 6);
    store.remove_community("a".into()).await.unwrap();
    store.remove_community("b".into()).await.unwrap();
    assert!(find(store, "raid*").await.is_empty());
    assert_eq!(store.search_stats().await.unwrap(), (0, 0));
}

#[tokio::test]
async fn store_search_queue_survives_a_reopen() {
    let temp = seeded_with(deferred()).await;
    // One run of new messages per channel.
    assert_eq!(backlog(&temp.store).await, 3);
    // Closed with its work queued (a crash leaves the same: the queue rows committed
    // with the messages)…
    let temp = temp.reopen_with(deferred()).await;
    assert_eq!(backlog(&temp.store).await, 3);
    let mut raid = find(&temp.store, "raid").await;
    raid.sort();
    assert_eq!(raid, vec![hit(A0, 1), hit(A0, 2), hit(B0, 1)]);
    assert_eq!(backlog(&temp.store).await, 0);

    // … and worked off by the writer after a reopen without any search.
    temp.store
        .insert_messages(vec![text("a", A0, 9, "bob", "after the reopen")])
        .await
        .unwrap();
    let temp = temp.reopen().await;
    wait_for_empty_queue(&temp.store).await;
    assert_eq!(
        raw_find(&raw_reader(&temp.path), "reopen"),
        vec![hit(A0, 9)]
    );
}

/// Polls the queue until the writer has worked it off by itself (bounded: fails after
/// 30 s, far beyond what it needs).
async fn wait_for_empty_queue(store: &Store) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while backlog(store).await > 0 {
        assert!(
            Instant::now() < deadline,
            "the writer never indexed when idle"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn store_writer_indexes_the_queue_when_idle() {
    let temp = temp_store().await;
    let store = &temp.store;
    store
        .apply(vec![Change::Snapshot(snapshot("a", 1, 1))])
        .await
        .unwrap();
    // More than one idle step's worth.
    let messages: Vec<Message> = (1..=2_500)
        .map(|seq| text("a", A0, seq, "bob", &format!("basilisk number {seq}")))
        .collect();
    store.insert_messages(messages).await.unwrap();
    wait_for_empty_queue(store).await;
    let reader = raw_reader(&temp.path);
    assert_eq!(raw_documents(&reader, "basilisk"), 2_500);
    assert_eq!(store.search_stats().await.unwrap().0, 2_500);
}

#[tokio::test]
async fn store_search_waits_for_a_long_queue_while_writes_go_on() {
    let temp = temp_store_with(deferred()).await;
    let store = &temp.store;
    store
        .apply(vec![Change::Snapshot(snapshot("a", 1, 1))])
        .await
        .unwrap();
    // Several steps' worth, a rare word at both ends of the queue.
    let messages: Vec<Message> = (1..=12_000)
        .map(|seq| {
            let word = if seq == 1 || seq == 12_000 {
                "needle"
            } else {
                "hay"
            };
            text("a", A0, seq, "bob", &format!("{word} {seq}"))
        })
        .collect();
    store.insert_messages(messages).await.unwrap();
    let searching = {
        let store = store.clone();
        tokio::spawn(async move { find(&store, "needle").await })
    };
    let writing = {
        let store = store.clone();
        tokio::spawn(async move {
            for seq in 12_001..12_051 {
                store
                    .insert_messages(vec![text("a", A0, seq, "bob", "more hay")])
                    .await
                    .unwrap();
            }
        })
    };
    writing.await.unwrap();
    let mut found = searching.await.unwrap();
    found.sort();
    assert_eq!(found, vec![hit(A0, 1), hit(A0, 12_000)]);
    assert_eq!(store.search_stats().await.unwrap().0, 12_050);
}
