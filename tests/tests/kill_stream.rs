//! The server is killed (no goodbye) while a client streams 1,000 messages. After both
//! clients reconnect to the restarted server, the receiver holds all 1,000 exactly once
//! with contiguous sequences, and the sender's outbox sent each exactly once.

use std::collections::HashMap;

use community_e2e::{
    TestClient, TestResult, TestServer, contiguous_texts, eventually, fail, guild, outbox_drained,
    text_of, whole_history,
};
use community_sdk::MessageUpdate;

const COUNT: usize = 1_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_loses_nothing_of_a_stream_and_duplicates_nothing() -> TestResult {
    let mut server = TestServer::start().await?;
    let alice = TestClient::login(&server, "alice", "alice-phone").await?;
    let bob = TestClient::login(&server, "bob", "bob-phone").await?;
    let (community_id, general) = guild(&alice, "Stream", &[&bob]).await?;

    // Bob watches the channel: every message new to his cache is reported once.
    let mut timeline = bob
        .client
        .community(&community_id)
        .channel(&general)
        .subscribe_messages()
        .await?;
    timeline.next().await;
    let received = std::sync::Arc::new(std::sync::Mutex::new(HashMap::<String, usize>::new()));
    let collector = {
        let received = received.clone();
        tokio::spawn(async move {
            while let Some(updates) = timeline.next().await {
                for update in updates {
                    if let MessageUpdate::Inserted(message) = update {
                        let mut seen = received.lock().unwrap_or_else(|e| e.into_inner());
                        *seen.entry(text_of(&message).to_string()).or_default() += 1;
                    }
                }
            }
        })
    };

    let sender = {
        let channel = alice.client.community(&community_id).channel(&general);
        tokio::spawn(async move {
            for i in 0..COUNT {
                channel.send_text(format!("m{i:04}")).await?;
            }
            Ok::<_, community_sdk::SdkError>(())
        })
    };

    // Kill the server once bob has part of the stream.
    eventually("bob received part of the stream", || {
        bob.client
            .community(&community_id)
            .channel(&general)
            .unread()
            .is_some_and(|u| u.last_seq >= 150)
    })
    .await?;
    server.kill().await?;
    let at_kill = bob
        .client
        .community(&community_id)
        .channel(&general)
        .unread()
        .map_or(0, |u| u.last_seq);
    assert!(
        at_kill < COUNT as u64,
        "the kill must interrupt the stream (bob had {at_kill})"
    );
    server.restart().await?;
    sender.await??;
    outbox_drained(&alice.client, &community_id, &general).await?;

    eventually("bob's timeline reported all 1,000 messages", || {
        received.lock().unwrap_or_else(|e| e.into_inner()).len() == COUNT
    })
    .await?;
    {
        let seen = received.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((text, times)) = seen.iter().find(|(_, times)| **times != 1) {
            return fail(format!("{text} was reported {times} times"));
        }
    }
    collector.abort();

    let expected: Vec<String> = (0..COUNT).map(|i| format!("m{i:04}")).collect();
    let history = whole_history(&bob.client, &community_id, &general, COUNT + 10).await?;
    assert_eq!(
        contiguous_texts(&history)?,
        expected,
        "all 1,000, once, in order"
    );
    let unread = bob
        .client
        .community(&community_id)
        .channel(&general)
        .unread();
    assert_eq!(
        unread.map(|u| (u.last_seq, u.unread_count)),
        Some((COUNT as u64, COUNT as u64)),
        "the counts agree with the history"
    );
    Ok(())
}
