//! Concurrency: readers while the writer commits, many writers at once (folded into
//! batches), and a second store on the same file. No call may fail with "database is
//! locked" or anything else.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::super::test_support::*;
use super::super::{Change, Store};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn store_concurrent_reads_during_writes_never_fail() {
    let temp = temp_store().await;
    temp.store
        .apply_snapshot(snapshot("a", 4, 1))
        .await
        .unwrap();
    let done = Arc::new(AtomicBool::new(false));

    let writer = {
        let store = temp.store.clone();
        tokio::spawn(async move {
            for batch in 0..40_u64 {
                let channel = channel_id("a", (batch % 4) as usize);
                let first = (batch / 4) * 250 + 1;
                let new = store
                    .insert_messages(messages("a", &channel, first..first + 250))
                    .await
                    .unwrap();
                assert_eq!(new.len(), 250);
                store.set_last_event_seq(batch).await.unwrap();
            }
        })
    };
    let mut readers = Vec::new();
    for reader in 0..4_usize {
        let store = temp.store.clone();
        let done = done.clone();
        readers.push(tokio::spawn(async move {
            let channel = channel_id("a", reader);
            let mut last_count = 0;
            let mut rounds = 0;
            while rounds < 2_000 && !(done.load(Ordering::Acquire) && rounds > 10) {
                let page = store
                    .messages_before(channel.clone().into(), None, 50)
                    .await
                    .unwrap();
                assert!(page.windows(2).all(|w| w[0].seq + 1 == w[1].seq));
                let count = store
                    .message_count(Some(channel.clone().into()))
                    .await
                    .unwrap();
                assert!(count >= last_count, "a committed write disappeared");
                last_count = count;
                let max = store.max_seq(channel.clone().into()).await.unwrap();
                // Batches are contiguous from 1, so nothing below max is missing.
                assert!(
                    store
                        .missing_ranges(channel.clone().into(), 1, max)
                        .await
                        .unwrap()
                        .is_empty()
                );
                let world = store.load_all().await.unwrap();
                assert_eq!(world.communities.len(), 1);
                rounds += 1;
            }
            rounds
        }));
    }
    writer.await.unwrap();
    done.store(true, Ordering::Release);
    for reader in readers {
        assert!(reader.await.unwrap() > 0);
    }
    assert_eq!(temp.store.message_count(None).await.unwrap(), 10_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn store_many_concurrent_writers_all_commit_and_a_failure_stays_isolated() {
    let temp = temp_store().await;
    temp.store
        .apply_snapshot(snapshot("a", 1, 1))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..200_i64 {
        let store = temp.store.clone();
        tasks.push(tokio::spawn(async move {
            if i % 50 == 25 {
                // A batch that must fail (a head of an uncached community inside a
                // snapshot): only it is rolled back.
                let mut bad = snapshot("bad", 1, 1);
                bad.heads.push(head("nowhere", 0, 1, 0));
                assert!(store.apply(vec![Change::Snapshot(bad)]).await.is_err());
            } else {
                let key = format!("k{i:03}");
                assert!(
                    store
                        .outbox_enqueue(outbox_entry(&key, "a", "a-ch000", i))
                        .await
                        .unwrap()
                );
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let temp = temp.reopen().await;
    assert_eq!(temp.store.outbox_pending().await.unwrap().len(), 196);
    assert_eq!(temp.store.known_versions().await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn store_two_stores_on_one_file_wait_for_each_other_instead_of_failing() {
    let temp = temp_store().await;
    let second = Store::open(&temp.path).await.unwrap();
    let mut tasks = Vec::new();
    for (n, store) in [temp.store.clone(), second.clone()].into_iter().enumerate() {
        tasks.push(tokio::spawn(async move {
            let channel = format!("x-ch{n}");
            for batch in 0..30_u64 {
                let first = batch * 100 + 1;
                store
                    .insert_messages(messages("x", &channel, first..first + 100))
                    .await
                    .unwrap();
                store.message_count(None).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(second.message_count(None).await.unwrap(), 6_000);
    second.close().await;
    assert_eq!(
        temp.store
            .message_count(Some("x-ch1".into()))
            .await
            .unwrap(),
        3_000
    );
}
