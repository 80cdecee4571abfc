//! Back-pressure: a device whose store is slow (an old phone, a busy disk) under a flood
//! of messages. The connection must stop reading instead of queueing without bound (the
//! server's slow-consumer policy takes over), and nothing acknowledged may be lost: the
//! slow device ends with every message once and exact counts.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use community_e2e::{
    TestClient, TestResult, TestServer, contiguous_texts, eventually, guild, whole_history,
};
use community_sdk::store::StoreOptions;

/// Messages each of the three senders floods at least.
const PER_SENDER: usize = 1_000;

/// Messages each sender floods at most: beyond [`PER_SENDER`] a sender goes on only
/// until the slow device's connection has paused once (a flood through two server nodes
/// in debug builds can be slower than the device's store).
const MAX_PER_SENDER: usize = 3_000;

#[tokio::test]
async fn a_slow_store_under_a_flood_keeps_memory_bounded_and_loses_nothing() -> TestResult {
    community_e2e::init_tracing();
    let server = TestServer::start_with(|config| {
        config.limits.channel_messages_per_second = 1_000_000;
    })
    .await?;
    let senders = [
        TestClient::login(&server, "alice", "alice-phone").await?,
        TestClient::login(&server, "carol", "carol-phone").await?,
        TestClient::login(&server, "dave", "dave-phone").await?,
    ];
    let slow = StoreOptions {
        // Slow enough that any server fills the queue while a batch is written, however
        // much a send costs it (debug builds, a busy machine).
        write_delay: Duration::from_millis(2_000),
        ..StoreOptions::default()
    };
    let bob = TestClient::login_tuned(&server, &server.ws_url(), "bob", "bob-phone", |b| {
        b.store_options(slow)
    })
    .await?;
    let (community_id, general) =
        guild(&senders[0], "Flood", &[&senders[1], &senders[2], &bob]).await?;

    // Bob shows the channel: in a large community (the suite's large mode) only the
    // focused channel's messages come whole, and this test needs the whole flood.
    let _shown = bob
        .client
        .community(&community_id)
        .channel(&general)
        .subscribe_messages()
        .await?;

    // The flood: three senders at once, every message acknowledged; past PER_SENDER each
    // stops once Bob's connection has paused.
    let paused = Arc::new(AtomicBool::new(false));
    let mut floods = Vec::new();
    for sender in &senders {
        let channel = sender.client.community(&community_id).channel(&general);
        let name = sender.user_id.clone();
        let paused = Arc::clone(&paused);
        floods.push(tokio::spawn(async move {
            let mut outgoing = Vec::with_capacity(PER_SENDER);
            for i in 0..MAX_PER_SENDER {
                if i >= PER_SENDER && paused.load(Ordering::Acquire) {
                    break;
                }
                outgoing.push(channel.send_text(format!("{name} {i:04}")).await?);
            }
            for message in &outgoing {
                message.sent().await?;
            }
            Ok::<_, community_sdk::SdkError>(outgoing.len())
        }));
    }
    // Bounded: the floods end by themselves (at most MAX_PER_SENDER each).
    while !floods.iter().all(|flood| flood.is_finished()) {
        if bob.client.queue_stats().backpressure_pauses > 0 {
            paused.store(true, Ordering::Release);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut total = 0u64;
    for flood in floods {
        total += flood.await?? as u64;
    }

    // Bob's counts become exact and his cache holds every message once.
    let channel = bob.client.community(&community_id).channel(&general);
    eventually("bob counts every message of the flood", || {
        channel
            .unread()
            .is_some_and(|u| u.last_seq == total && u.unread_count == total)
    })
    .await?;
    let bob_history = whole_history(&bob.client, &community_id, &general, 10_000).await?;
    let alice_history = whole_history(&senders[0].client, &community_id, &general, 10_000).await?;
    assert_eq!(contiguous_texts(&bob_history)?.len() as u64, total);
    assert_eq!(
        contiguous_texts(&bob_history)?,
        contiguous_texts(&alice_history)?
    );

    // The connection stopped reading while the store was behind, and never held more
    // than its bound.
    let stats = bob.client.queue_stats();
    assert!(
        stats.backpressure_pauses > 0,
        "the flood never filled the inbound queue: {stats:?}"
    );
    assert!(
        stats.inbound_peak <= stats.inbound_capacity,
        "the inbound queue grew past its bound: {stats:?}"
    );
    Ok(())
}
