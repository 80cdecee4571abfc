//! Two users converse: both see the right unread and mention counts, own messages never
//! count, and marking read on one device of a user clears the count on the other.

use community_e2e::{TestClient, TestResult, TestServer, eventually, fail, text_of, whole_history};
use community_protocol::request::CreateCommunity;
use community_protocol::{Mentions, MessageContent};
use community_sdk::{SendOptions, SendState};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_users_converse_and_read_positions_follow_the_user() -> TestResult {
    let server = TestServer::start().await?;
    let alice = TestClient::login(&server, "alice", "alice-phone").await?;
    let bob_phone = TestClient::login(&server, "bob", "bob-phone").await?;
    let bob_laptop = TestClient::login(&server, "bob", "bob-laptop").await?;

    let guild = alice
        .client
        .create_community(CreateCommunity {
            name: "Night Owls".into(),
            ..Default::default()
        })
        .await?;
    let community_id = guild.id().clone();
    let Some(entry) = guild.entry() else {
        return fail("the created community is not cached");
    };
    let general = entry.info.default_channel_id.clone();
    bob_phone.client.join_community(&community_id, "").await?;
    eventually("bob's laptop learns about the community", || {
        bob_laptop.client.community(&community_id).entry().is_some()
    })
    .await?;

    // Alice writes three messages, the last one mentioning bob.
    let channel = alice.client.community(&community_id).channel(&general);
    channel.send_text("hello").await?;
    channel.send_text("anyone?").await?;
    let mention = SendOptions {
        mentions: Mentions {
            users: vec!["bob".into()],
            everyone: false,
            groups: Vec::new(),
        },
        ..Default::default()
    };
    channel
        .send(
            MessageContent::Text {
                text: "@bob raid at 9".into(),
            },
            mention,
        )
        .await?;

    for bob in [&bob_phone, &bob_laptop] {
        eventually("bob sees 3 unread, 1 mention", || {
            let unread = bob
                .client
                .community(&community_id)
                .channel(&general)
                .unread();
            unread.is_some_and(|u| u.unread_count == 3 && u.mention_count == 1)
        })
        .await?;
        let totals = bob.client.unread_totals();
        assert_eq!((totals.total_unread, totals.total_mentions), (3, 1));
    }
    // Alice's own messages never count for her.
    eventually("alice's messages are sent", || {
        alice
            .client
            .community(&community_id)
            .channel(&general)
            .entry()
            .is_some_and(|e| e.head.last_seq >= 3)
    })
    .await?;
    assert_eq!(alice.client.unread_totals().total_unread, 0);

    // Bob answers twice; alice gets 2 unread, bob none for his own.
    let bob_channel = bob_phone.client.community(&community_id).channel(&general);
    let echo = bob_channel.send_text("on my way").await?;
    assert_eq!(echo.echo().state, SendState::Sending);
    bob_channel.send_text("bringing snacks").await?;
    eventually("alice sees bob's 2 messages as unread", || {
        alice.client.unread_totals().total_unread == 2
    })
    .await?;

    // Bob reads on his phone: his laptop's counts clear too.
    bob_channel.mark_all_read().await?;
    assert_eq!(bob_phone.client.unread_totals().total_unread, 0);
    eventually(
        "bob's laptop shows no unread after reading on the phone",
        || {
            let totals = bob_laptop.client.unread_totals();
            totals.total_unread == 0 && totals.total_mentions == 0
        },
    )
    .await?;

    // Everyone holds the same 5 messages in order.
    for client in [&alice.client, &bob_phone.client, &bob_laptop.client] {
        let history = whole_history(client, &community_id, &general, 100).await?;
        let texts: Vec<&str> = history
            .iter()
            .map(text_of)
            .filter(|t| !t.is_empty())
            .collect();
        assert_eq!(
            texts,
            vec![
                "hello",
                "anyone?",
                "@bob raid at 9",
                "on my way",
                "bringing snacks"
            ]
        );
    }
    Ok(())
}
