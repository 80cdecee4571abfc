//! A message queued while its sender did not know they were muted ends `Failed` with the
//! typed `muted` error once the server refuses it; later sends fail fast locally.

use community_e2e::{
    TestClient, TestResult, TestServer, build_client, connected, eventually_async, guild,
};
use community_protocol::ErrorCode;
use community_sdk::SendState;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_message_of_a_muted_sender_fails_with_muted() -> TestResult {
    let mut server = TestServer::start().await?;
    let alice = TestClient::login(&server, "alice", "alice-phone").await?;
    let bob = TestClient::login(&server, "bob", "bob-phone").await?;
    let (community_id, general) = guild(&alice, "Strict", &[&bob]).await?;

    // Bob queues a message while the server is away, then quits the app.
    server.stop().await;
    let echo = bob
        .client
        .community(&community_id)
        .channel(&general)
        .send_text("you can't stop me")
        .await?;
    assert_eq!(echo.state, SendState::Sending);
    let bob_dir = bob.close();

    // Meanwhile alice mutes bob for an hour.
    server.restart().await?;
    connected(&alice.client).await?;
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis() as i64;
    alice
        .client
        .community(&community_id)
        .mute_member("bob", Some(now_ms + 3_600_000))
        .await?;

    // Bob restarts his app: the outbox sends the queued message, the server refuses it.
    let bob_again = build_client(&server.ws_url(), bob_dir.path(), "bob-phone").await?;
    bob_again.login("bob", &server.token("bob")?).await?;
    let channel = bob_again.community(&community_id).channel(&general);
    eventually_async("the queued message failed", || {
        let channel = channel.clone();
        async move {
            channel.pending().await.is_ok_and(|pending| {
                pending
                    .iter()
                    .any(|m| matches!(&m.state, SendState::Failed { .. }))
            })
        }
    })
    .await?;
    let pending = channel.pending().await?;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].local_id, echo.local_id);
    match &pending[0].state {
        SendState::Failed { error } => assert_eq!(error.code, ErrorCode::MUTED),
        other => panic!("expected a failure, got {other:?}"),
    }

    // The sync told bob's cache about the mute: a new send fails fast, typed.
    let refused = channel.send_text("still here").await;
    match refused {
        Err(error) => {
            assert_eq!(error.api().map(|e| e.code), Some(ErrorCode::MUTED));
            assert_eq!(error.code(), 4004);
        }
        Ok(echo) => panic!("a muted user's send was queued: {echo:?}"),
    }
    // Nothing reached alice.
    let history = alice
        .client
        .community(&community_id)
        .channel(&general)
        .messages(None, 10)
        .await?;
    assert!(history.is_empty());
    Ok(())
}
