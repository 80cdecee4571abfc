//! Offline send: messages sent while the server is down are kept in the outbox, show as
//! `Sending`, and all arrive exactly once, in order, once the server is back.

use community_e2e::{
    TestClient, TestResult, TestServer, contiguous_texts, eventually, guild, outbox_drained, until,
    whole_history,
};
use community_sdk::{ConnectionState, MessageUpdate, SendState};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_messages_sent_offline_arrive_once_in_order_after_a_restart() -> TestResult {
    let mut server = TestServer::start().await?;
    let alice = TestClient::login(&server, "alice", "alice-phone").await?;
    let bob = TestClient::login(&server, "bob", "bob-phone").await?;
    let (community_id, general) = guild(&alice, "Offline", &[&bob]).await?;
    let channel = alice.client.community(&community_id).channel(&general);
    let mut timeline = channel.subscribe_messages().await?;
    timeline.next().await;

    server.stop().await?;
    eventually("alice notices the server is gone", || {
        alice.client.connection_state() != ConnectionState::Connected
    })
    .await?;

    let mut local_ids = Vec::new();
    let mut outgoing = Vec::new();
    for i in 0..20 {
        let message = channel.send_text(format!("offline {i:02}")).await?;
        assert_eq!(message.echo().state, SendState::Sending);
        local_ids.push(message.local_id().to_string());
        outgoing.push(message);
    }
    let pending = channel.pending().await?;
    assert_eq!(pending.len(), 20, "all 20 wait in the outbox");
    assert!(pending.iter().all(|m| m.state == SendState::Sending));

    server.restart().await?;
    outbox_drained(&alice.client, &community_id, &general).await?;

    // Each local echo ends Sent exactly once, with distinct sequences.
    let mut sent = std::collections::BTreeMap::new();
    let mut repeated = 0;
    until(&mut timeline, "every echo reports Sent", |updates| {
        for update in updates {
            if let MessageUpdate::Local(echo) = update
                && let SendState::Sent { seq } = echo.state
                && sent.insert(echo.local_id.clone(), seq).is_some()
            {
                repeated += 1;
            }
        }
        sent.len() == 20
    })
    .await?;
    assert_eq!(repeated, 0, "no echo reported Sent twice");
    assert!(local_ids.iter().all(|id| sent.contains_key(id)));
    // Each send, awaited directly, ends with the same sequence the timeline showed; and a
    // sent message can still be looked up by its local id.
    for message in &outgoing {
        let seq = message.sent().await?;
        assert_eq!(Some(&seq), sent.get(message.local_id()));
        let looked_up = alice.client.local_message(message.local_id()).await?;
        assert_eq!(looked_up.map(|m| m.state), Some(SendState::Sent { seq }));
    }

    let expected: Vec<String> = (0..20).map(|i| format!("offline {i:02}")).collect();
    eventually("bob's head shows the 20 messages", || {
        bob.client
            .community(&community_id)
            .channel(&general)
            .unread()
            .is_some_and(|u| u.last_seq == 20 && u.unread_count == 20)
    })
    .await?;
    for client in [&alice.client, &bob.client] {
        let history = whole_history(client, &community_id, &general, 1_000).await?;
        assert_eq!(
            contiguous_texts(&history)?,
            expected,
            "exactly once, in order"
        );
    }
    Ok(())
}
