//! Cold cache: a new device of a user with 500 unread messages shows 500 (and the right
//! mentions) right after login, before any message is loaded.

use community_e2e::{TestClient, TestResult, TestServer, guild, outbox_drained};
use community_protocol::{Mentions, MessageContent};
use community_sdk::{MessageUpdate, SendOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_device_shows_exact_counts_before_loading_messages() -> TestResult {
    let server = TestServer::start().await?;
    let alice = TestClient::login(&server, "alice", "alice-phone").await?;
    let bob = TestClient::login(&server, "bob", "bob-phone").await?;
    let (community_id, general) = guild(&alice, "Busy", &[&bob]).await?;
    drop(bob);

    let channel = alice.client.community(&community_id).channel(&general);
    for i in 0..500 {
        let options = if i % 100 == 0 {
            SendOptions {
                mentions: Mentions {
                    users: vec!["bob".into()],
                    everyone: false,
                    groups: Vec::new(),
                },
                ..Default::default()
            }
        } else {
            SendOptions::default()
        };
        channel
            .send(
                MessageContent::Text {
                    text: format!("n{i}"),
                },
                options,
            )
            .await?;
    }
    outbox_drained(&alice.client, &community_id, &general).await?;

    let tablet = TestClient::login(&server, "bob", "bob-tablet").await?;
    let bob_channel = tablet.client.community(&community_id).channel(&general);
    let unread = bob_channel.unread();
    assert_eq!(
        unread.map(|u| (u.unread_count, u.mention_count, u.last_seq)),
        Some((500, 5, 500))
    );
    let totals = tablet.client.unread_totals();
    assert_eq!((totals.total_unread, totals.total_mentions), (500, 5));

    // Nothing was loaded: the timeline's first value (from the cache only) is empty.
    let mut timeline = bob_channel.subscribe_messages().await?;
    match timeline.next().await {
        Some(updates) => match updates.first() {
            Some(MessageUpdate::Reset { messages, .. }) => {
                assert!(messages.is_empty(), "no message was cached by the counts")
            }
            other => panic!("first timeline value is not a reset: {other:?}"),
        },
        None => panic!("the timeline ended"),
    }

    // Reading a page loads it; the counts do not move by loading.
    let page = bob_channel.messages(None, 50).await?;
    assert_eq!(page.len(), 50);
    assert_eq!(page.last().map(|m| m.seq), Some(500));
    assert_eq!(tablet.client.unread_totals().total_unread, 500);
    Ok(())
}
