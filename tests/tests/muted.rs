//! A message queued while its sender did not know they were muted ends `Failed` with the
//! typed `muted` error once the server refuses it; later sends fail fast locally.

use community_e2e::{
    TestClient, TestResult, TestServer, build_client, connected, eventually_async, guild,
};
use community_protocol::ErrorCode;
use community_sdk::{MessageUpdate, SendState};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_message_of_a_muted_sender_fails_with_muted() -> TestResult {
    let mut server = TestServer::start().await?;
    let alice = TestClient::login(&server, "alice", "alice-phone").await?;
    let bob = TestClient::login(&server, "bob", "bob-phone").await?;
    let (community_id, general) = guild(&alice, "Strict", &[&bob]).await?;

    // Bob queues a message while the server is away, then quits the app.
    server.stop().await?;
    let echo = bob
        .client
        .community(&community_id)
        .channel(&general)
        .send_text("you can't stop me")
        .await?;
    assert_eq!(echo.echo().state, SendState::Sending);
    let bob_dir = bob.close().await?;

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
    assert_eq!(pending[0].local_id, echo.local_id());
    // Awaited by its local id (as after a restart), the send ends with the typed refusal.
    let outcome = bob_again.wait_for_send(echo.local_id()).await;
    assert_eq!(
        outcome.map_err(|e| e.api().map(|e| e.code)),
        Err(Some(ErrorCode::MUTED))
    );
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
    // Discarding the failed message removes its echo from the timeline and the outbox,
    // published like every other change; a second discard finds nothing.
    let mut timeline = channel.subscribe_messages().await?;
    let first = timeline.next().await;
    assert!(
        matches!(first.as_deref(), Some([MessageUpdate::Reset { pending, .. }]) if pending.len() == 1),
        "{first:?}"
    );
    assert!(channel.discard(echo.local_id()).await?);
    let removal = tokio::time::timeout(std::time::Duration::from_secs(10), timeline.next()).await?;
    assert!(
        matches!(removal.as_deref(), Some([MessageUpdate::Discarded { local_id }]) if local_id == echo.local_id()),
        "{removal:?}"
    );
    assert!(channel.pending().await?.is_empty());
    assert!(!channel.discard(echo.local_id()).await?);
    assert!(bob_again.local_message(echo.local_id()).await?.is_none());

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
