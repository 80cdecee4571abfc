//! An app restart with the server up: the new process resumes the saved session (the
//! server replays what it missed) and ends with the same counts and history as a device
//! that never went away.

use community_e2e::{
    TestClient, TestResult, TestServer, build_client, contiguous_texts, eventually, guild,
    outbox_drained, whole_history,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_app_catches_up_on_what_it_missed() -> TestResult {
    let server = TestServer::start().await?;
    let alice = TestClient::login(&server, "alice", "alice-phone").await?;
    let bob = TestClient::login(&server, "bob", "bob-phone").await?;
    let (community_id, general) = guild(&alice, "Resume", &[&bob]).await?;
    let channel = alice.client.community(&community_id).channel(&general);
    for i in 0..5 {
        channel.send_text(format!("before {i}")).await?;
    }
    outbox_drained(&alice.client, &community_id, &general).await?;
    eventually("bob got the first 5", || {
        bob.client.unread_totals().total_unread == 5
    })
    .await?;

    // Bob's app quits; alice keeps talking and renames the channel.
    let dir = bob.close().await?;
    for i in 0..7 {
        channel.send_text(format!("after {i}")).await?;
    }
    outbox_drained(&alice.client, &community_id, &general).await?;
    channel
        .update(community_sdk::ChannelUpdate {
            name: Some("lobby".into()),
            ..Default::default()
        })
        .await?;

    // Bob's app starts again on the same cache and device.
    let bob_again = build_client(&server.ws_url(), dir.path(), "bob-phone").await?;
    assert_eq!(
        bob_again.unread_totals().total_unread,
        5,
        "the cache shows the old counts at once"
    );
    bob_again.login("bob", &server.token("bob")?).await?;
    eventually("bob's counts include what he missed", || {
        bob_again.unread_totals().total_unread == 12
    })
    .await?;
    eventually("bob sees the new channel name", || {
        bob_again
            .community(&community_id)
            .channel(&general)
            .entry()
            .is_some_and(|e| e.info.name == "lobby")
    })
    .await?;
    let history = whole_history(&bob_again, &community_id, &general, 100).await?;
    let mut expected: Vec<String> = (0..5).map(|i| format!("before {i}")).collect();
    expected.extend((0..7).map(|i| format!("after {i}")));
    assert_eq!(contiguous_texts(&history)?, expected);
    Ok(())
}
