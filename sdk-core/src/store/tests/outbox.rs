//! The outbox: durable across restarts, ordered, sent / failed transitions.

use community_protocol::{ApiError, ErrorCode};

use super::super::OutboxState;
use super::super::test_support::*;

const CH: &str = "a-ch000";

#[tokio::test]
async fn store_outbox_survives_reopen_in_enqueue_order() {
    let temp = temp_store().await;
    // Created-at times deliberately out of order: enqueue order is what counts.
    for (key, at) in [("k3", 30), ("k1", 10), ("k2", 20)] {
        assert!(
            temp.store
                .outbox_enqueue(outbox_entry(key, "a", CH, at))
                .await
                .unwrap()
        );
    }
    temp.store
        .outbox_enqueue(outbox_entry("other", "a", "a-ch001", 5))
        .await
        .unwrap();
    let temp = temp.reopen().await;
    let pending = temp.store.outbox_pending().await.unwrap();
    let keys: Vec<_> = pending.iter().map(|e| e.idempotency_key.as_str()).collect();
    assert_eq!(keys, vec!["k3", "k1", "k2", "other"]);
    assert_eq!(pending[1], outbox_entry("k1", "a", CH, 10));
    let in_channel = temp.store.outbox_entries(CH.into()).await.unwrap();
    assert_eq!(in_channel.len(), 3);
}

#[tokio::test]
async fn store_outbox_enqueue_is_idempotent_by_key() {
    let temp = temp_store().await;
    let store = &temp.store;
    assert!(
        store
            .outbox_enqueue(outbox_entry("k", "a", CH, 1))
            .await
            .unwrap()
    );
    let mut again = outbox_entry("k", "a", CH, 2);
    again.channel_id = "elsewhere".into();
    assert!(!store.outbox_enqueue(again).await.unwrap());
    assert_eq!(
        store.outbox_entry("k".into()).await.unwrap(),
        Some(outbox_entry("k", "a", CH, 1))
    );
    assert_eq!(store.outbox_pending().await.unwrap().len(), 1);
}

#[tokio::test]
async fn store_outbox_mark_sent_stores_the_message_atomically() {
    let temp = temp_store().await;
    let entry = outbox_entry("k1", "a", CH, 10);
    temp.store.outbox_enqueue(entry.clone()).await.unwrap();
    temp.store
        .outbox_enqueue(outbox_entry("k2", "a", CH, 11))
        .await
        .unwrap();
    let sent = sent_message(&entry, 17);

    let outcome = temp
        .store
        .outbox_mark_sent("k1".into(), sent.clone())
        .await
        .unwrap();
    assert!(outcome.message_inserted && outcome.entry_updated);
    // The echo of the same message arriving as an event is not new.
    assert!(
        temp.store
            .insert_messages(vec![sent.clone()])
            .await
            .unwrap()
            .is_empty()
    );

    let temp = temp.reopen().await;
    let store = &temp.store;
    assert_eq!(
        store.message(CH.into(), 17).await.unwrap(),
        Some(sent.clone())
    );
    let stored = store.outbox_entry("k1".into()).await.unwrap().unwrap();
    assert_eq!(stored.state, OutboxState::Sent { seq: 17 });
    let pending = store.outbox_pending().await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].idempotency_key, "k2");

    // Marking sent again (a resend answered with the same message) changes nothing new.
    let again = store
        .outbox_mark_sent("k1".into(), sent.clone())
        .await
        .unwrap();
    assert!(!again.message_inserted && again.entry_updated);
    // An unknown key still stores the acknowledged message.
    let stray = sent_message(&outbox_entry("stray", "a", CH, 1), 18);
    let outcome = store.outbox_mark_sent("stray".into(), stray).await.unwrap();
    assert!(outcome.message_inserted && !outcome.entry_updated);
    assert_eq!(store.message_count(Some(CH.into())).await.unwrap(), 2);

    // A sent entry cannot be discarded; an unsent one can, once.
    assert!(!store.outbox_discard("k1".into()).await.unwrap());
    assert!(store.outbox_discard("k2".into()).await.unwrap());
    assert!(!store.outbox_discard("k2".into()).await.unwrap());
    assert_eq!(store.outbox_entries(CH.into()).await.unwrap().len(), 1);
}

#[tokio::test]
async fn store_outbox_sent_leftovers_are_removed_and_nothing_else() {
    let temp = temp_store().await;
    let store = &temp.store;
    for (key, at) in [("sent", 1), ("sending", 2), ("failed", 3)] {
        store
            .outbox_enqueue(outbox_entry(key, "a", CH, at))
            .await
            .unwrap();
    }
    let sent = sent_message(&outbox_entry("sent", "a", CH, 1), 5);
    store.outbox_mark_sent("sent".into(), sent).await.unwrap();
    let refused = ApiError::new(ErrorCode::MUTED, "muted");
    store
        .outbox_mark_failed("failed".into(), refused)
        .await
        .unwrap();
    assert_eq!(store.outbox_remove_sent().await.unwrap(), 1);
    assert_eq!(store.outbox_remove_sent().await.unwrap(), 0);
    let keys: Vec<String> = store
        .outbox_entries(CH.into())
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.idempotency_key)
        .collect();
    assert_eq!(keys, vec!["sending", "failed"]);
    assert_eq!(store.message_count(Some(CH.into())).await.unwrap(), 1);
}

#[tokio::test]
async fn store_outbox_mark_failed_and_retry() {
    let temp = temp_store().await;
    temp.store
        .outbox_enqueue(outbox_entry("k1", "a", CH, 10))
        .await
        .unwrap();
    let error = ApiError::new(ErrorCode::MUTED, "muted until tomorrow");
    assert!(
        temp.store
            .outbox_mark_failed("k1".into(), error.clone())
            .await
            .unwrap()
    );
    assert!(
        !temp
            .store
            .outbox_mark_failed("nope".into(), error.clone())
            .await
            .unwrap()
    );

    let temp = temp.reopen().await;
    let store = &temp.store;
    assert!(store.outbox_pending().await.unwrap().is_empty());
    let failed = store.outbox_entry("k1".into()).await.unwrap().unwrap();
    assert_eq!(
        failed.state,
        OutboxState::Failed {
            error: error.clone()
        }
    );

    assert!(store.outbox_retry("k1".into()).await.unwrap());
    assert!(!store.outbox_retry("k1".into()).await.unwrap());
    assert_eq!(store.outbox_pending().await.unwrap().len(), 1);

    // A sent entry cannot become failed.
    let entry = outbox_entry("k1", "a", CH, 10);
    store
        .outbox_mark_sent("k1".into(), sent_message(&entry, 1))
        .await
        .unwrap();
    assert!(!store.outbox_mark_failed("k1".into(), error).await.unwrap());
    assert_eq!(
        store
            .outbox_entry("k1".into())
            .await
            .unwrap()
            .unwrap()
            .state,
        OutboxState::Sent { seq: 1 }
    );
}
