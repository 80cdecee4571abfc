//! Cached messages: idempotent insert, pages across gaps, gap detection.

use super::super::test_support::*;

const CH: &str = "a-ch000";

#[tokio::test]
async fn store_inserting_a_message_twice_keeps_one_row() {
    let temp = temp_store().await;
    let store = &temp.store;
    let first = store
        .insert_messages(messages("a", CH, 1..=10))
        .await
        .unwrap();
    assert_eq!(first, messages("a", CH, 1..=10));

    // Overlapping batch, with a duplicate inside the batch itself and a changed body that
    // must not replace the stored one.
    let mut batch = messages("a", CH, 8..=12);
    batch.push(message("a", CH, 12));
    let mut changed = message("a", CH, 9);
    changed.sender_id = "mallory".into();
    batch.push(changed);
    let new = store.insert_messages(batch).await.unwrap();
    assert_eq!(seqs(&new), vec![11, 12]);

    assert_eq!(store.message_count(Some(CH.into())).await.unwrap(), 12);
    assert_eq!(
        store.message(CH.into(), 9).await.unwrap(),
        Some(message("a", CH, 9))
    );
    // Again, all known: nothing new.
    assert!(
        store
            .insert_messages(messages("a", CH, 1..=12))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.message_count(None).await.unwrap(), 12);
}

#[tokio::test]
async fn store_messages_round_trip_every_field() {
    let temp = temp_store().await;
    let store = &temp.store;
    let all = messages("a", CH, 1..=40);
    store.insert_messages(all.clone()).await.unwrap();
    assert_eq!(store.messages_after(CH.into(), 0, 100).await.unwrap(), all);
    assert_eq!(store.message(CH.into(), 41).await.unwrap(), None);
    assert_eq!(store.message("other".into(), 1).await.unwrap(), None);
}

#[tokio::test]
async fn store_paging_walks_back_across_gaps() {
    let temp = temp_store().await;
    let store = &temp.store;
    // Cached: 1..=39 and 60..=100 (a gap of 40..=59), plus another channel.
    store
        .insert_messages(messages("a", CH, 60..=100))
        .await
        .unwrap();
    store
        .insert_messages(messages("a", CH, 1..=39))
        .await
        .unwrap();
    store
        .insert_messages(messages("a", "a-ch001", 1..=500))
        .await
        .unwrap();

    let newest = store.messages_before(CH.into(), None, 10).await.unwrap();
    assert_eq!(seqs(&newest), (91..=100).collect::<Vec<_>>());

    let across = store
        .messages_before(CH.into(), Some(65), 10)
        .await
        .unwrap();
    assert_eq!(seqs(&across), vec![35, 36, 37, 38, 39, 60, 61, 62, 63, 64]);

    // Walking every page back from the newest yields every cached message once, in order.
    let mut walked = Vec::new();
    let mut before = None;
    for _ in 0..100 {
        let page = store.messages_before(CH.into(), before, 7).await.unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 7);
        assert!(page.windows(2).all(|w| w[0].seq < w[1].seq));
        before = Some(page[0].seq);
        let mut seqs = seqs(&page);
        seqs.extend(walked);
        walked = seqs;
    }
    let expected: Vec<u64> = (1..=39).chain(60..=100).collect();
    assert_eq!(walked, expected);

    let forward = store.messages_after(CH.into(), 35, 8).await.unwrap();
    assert_eq!(seqs(&forward), vec![36, 37, 38, 39, 60, 61, 62, 63]);
    assert!(
        store
            .messages_before(CH.into(), Some(1), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn store_missing_ranges_and_contiguity() {
    let temp = temp_store().await;
    let store = &temp.store;
    assert_eq!(store.max_seq(CH.into()).await.unwrap(), 0);
    assert_eq!(
        store.missing_ranges(CH.into(), 1, 10).await.unwrap(),
        vec![(1, 10)]
    );
    let cached: Vec<u64> = (3..=5).chain(9..=9).chain(12..=20).collect();
    store
        .insert_messages(messages("a", CH, cached))
        .await
        .unwrap();

    assert_eq!(store.max_seq(CH.into()).await.unwrap(), 20);
    assert_eq!(
        store.missing_ranges(CH.into(), 1, 25).await.unwrap(),
        vec![(1, 2), (6, 8), (10, 11), (21, 25)]
    );
    assert_eq!(
        store.missing_ranges(CH.into(), 0, 25).await.unwrap(),
        vec![(1, 2), (6, 8), (10, 11), (21, 25)]
    );
    assert_eq!(
        store.missing_ranges(CH.into(), 12, 20).await.unwrap(),
        vec![]
    );
    assert_eq!(
        store.missing_ranges(CH.into(), 5, 9).await.unwrap(),
        vec![(6, 8)]
    );
    assert_eq!(store.missing_ranges(CH.into(), 9, 3).await.unwrap(), vec![]);

    assert_eq!(store.max_contiguous_seq(CH.into(), 3).await.unwrap(), 5);
    assert_eq!(store.max_contiguous_seq(CH.into(), 12).await.unwrap(), 20);
    assert_eq!(store.max_contiguous_seq(CH.into(), 6).await.unwrap(), 5);
    assert_eq!(store.max_contiguous_seq(CH.into(), 1).await.unwrap(), 0);

    // Filling a gap closes it.
    store
        .insert_messages(messages("a", CH, 6..=8))
        .await
        .unwrap();
    assert_eq!(store.max_contiguous_seq(CH.into(), 3).await.unwrap(), 9);
    assert_eq!(
        store.missing_ranges(CH.into(), 1, 20).await.unwrap(),
        vec![(1, 2), (10, 11)]
    );
}
