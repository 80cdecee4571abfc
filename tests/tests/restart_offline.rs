//! App restart offline: a client rebuilt on the same data directory while the server is
//! down shows the communities, unread counts and loaded history from its cache, and a
//! login with the saved session starts offline instead of failing.

use community_e2e::{
    TestClient, TestResult, TestServer, build_client, eventually, guild, outbox_drained, shows,
    text_of,
};
use community_sdk::ConnectionState;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_app_reads_history_and_counts_without_a_server() -> TestResult {
    let mut server = TestServer::start().await?;
    let alice = TestClient::login(&server, "alice", "alice-phone").await?;
    let bob = TestClient::login(&server, "bob", "bob-phone").await?;
    let (community_id, general) = guild(&alice, "Cached", &[&bob]).await?;
    let shown = shows(&bob, &community_id, &general).await?;

    let channel = alice.client.community(&community_id).channel(&general);
    for i in 0..30 {
        channel.send_text(format!("c{i:02}")).await?;
    }
    outbox_drained(&alice.client, &community_id, &general).await?;
    let bob_channel = bob.client.community(&community_id).channel(&general);
    eventually("bob has the 30 messages counted", || {
        bob_channel.unread().is_some_and(|u| u.unread_count == 30)
    })
    .await?;
    // Bob got the messages live (cached) and reads a page; he marks 20 of them read.
    let page = bob_channel.messages(None, 20).await?;
    assert_eq!(page.len(), 20);
    bob_channel.mark_read(20).await?;
    assert_eq!(bob_channel.unread().map(|u| u.unread_count), Some(10));

    // Quit the app: handles keep a client alive, so drop them all.
    drop((bob_channel, shown));
    let dir = bob.close().await?;
    server.stop().await?;

    let reopened = build_client(&server.ws_url(), dir.path(), "bob-phone").await?;
    assert_eq!(reopened.user_id().as_ref().map(|u| u.as_str()), Some("bob"));
    let communities = reopened.communities();
    assert_eq!(communities.len(), 1);
    assert_eq!(communities[0].info.name, "Cached");
    assert_eq!(reopened.unread_totals().total_unread, 10);
    let cached_channel = reopened.community(&community_id).channel(&general);
    assert_eq!(
        cached_channel
            .unread()
            .map(|u| (u.read_seq, u.unread_count)),
        Some((20, 10))
    );
    let cached = cached_channel.messages(None, 50).await?;
    let texts: Vec<&str> = cached.iter().map(text_of).collect();
    let expected: Vec<String> = (0..30).map(|i| format!("c{i:02}")).collect();
    assert_eq!(
        texts,
        expected.iter().map(String::as_str).collect::<Vec<_>>()
    );

    // Logging in with the saved session starts offline and keeps trying.
    reopened.login("bob", &server.token("bob")?).await?;
    assert_ne!(reopened.connection_state(), ConnectionState::Connected);
    assert_eq!(reopened.unread_totals().total_unread, 10);

    // When the server is back, the client connects by itself.
    server.restart().await?;
    eventually("the reopened client reconnects", || {
        reopened.connection_state() == ConnectionState::Connected
    })
    .await?;
    assert_eq!(reopened.unread_totals().total_unread, 10);
    Ok(())
}
