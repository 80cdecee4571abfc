//! Large communities end to end (PROTOCOL.md §9.5, §22): the SDK against the real server
//! with a size threshold of 2, so a community of three is large. A device that never
//! opens a channel gets only coalesced `channel_activity` and still shows exact unread and
//! mention counts (own messages, user mentions, `@everyone`) — only the user's own
//! messages reach it whole; opening the channel focuses
//! it, fetches what the cache lacks and then receives whole messages; the lazy member list
//! follows a nickname change exactly as a fresh subscription sees it.

use community_e2e::{
    TestClient, TestResult, TestServer, eventually, guild, outbox_drained, whole_history,
};
use community_protocol::member_list::ListRange;
use community_protocol::{Mentions, MessageContent};
use community_sdk::{MemberListUpdate, MessageUpdate, SendOptions};
use community_server::ServerConfig;

fn large_from_three(config: &mut ServerConfig) {
    config.limits.large_community_members = 2;
}

fn mentioning(users: &[&str], everyone: bool) -> SendOptions {
    SendOptions {
        mentions: Mentions {
            users: users.iter().map(|u| (*u).into()).collect(),
            everyone,
            groups: Vec::new(),
        },
        ..Default::default()
    }
}

fn text(text: String) -> MessageContent {
    MessageContent::Text { text }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_stay_exact_without_focus_and_opening_the_channel_shows_every_message() -> TestResult
{
    let server = TestServer::start_with(large_from_three).await?;
    let alice = TestClient::login(&server, "alice", "alice-phone").await?;
    let bob = TestClient::login(&server, "bob", "bob-phone").await?;
    let carol = TestClient::login(&server, "carol", "carol-phone").await?;
    let (community_id, general) = guild(&alice, "Big", &[&bob, &carol]).await?;
    let tablet = TestClient::login(&server, "bob", "bob-tablet").await?;

    // 40 from alice (4 mention bob, 1 mentions everyone), 40 from carol, 10 from bob's
    // other device: 80 unread for bob, 5 mentions, 90 messages.
    let from_alice = alice.client.community(&community_id).channel(&general);
    let from_carol = carol.client.community(&community_id).channel(&general);
    let from_tablet = tablet.client.community(&community_id).channel(&general);
    for i in 0..40 {
        let options = match i {
            5 => mentioning(&[], true),
            i if i % 10 == 0 => mentioning(&["bob"], false),
            _ => SendOptions::default(),
        };
        from_alice.send(text(format!("a{i:02}")), options).await?;
        from_carol
            .send(text(format!("c{i:02}")), SendOptions::default())
            .await?;
        if i % 4 == 0 {
            from_tablet.send_text(format!("b{i:02}")).await?;
        }
    }
    for (client, channel) in [
        (&alice, &from_alice),
        (&carol, &from_carol),
        (&tablet, &from_tablet),
    ] {
        let _ = channel;
        outbox_drained(&client.client, &community_id, &general).await?;
    }

    let phone = bob.client.community(&community_id).channel(&general);
    eventually(
        "bob's phone counts 80 unread, 5 mentions, 90 messages",
        || {
            phone
                .unread()
                .is_some_and(|u| (u.last_seq, u.unread_count, u.mention_count) == (90, 80, 5))
        },
    )
    .await?;
    let totals = bob.client.unread_totals();
    assert_eq!((totals.total_unread, totals.total_mentions), (80, 5));

    // Opening the channel focuses it: the timeline starts from the (empty) cache, then the
    // messages arrive fetched, then new ones whole.
    let mut timeline = phone.subscribe_messages().await?;
    // Only bob's own messages (from his tablet) reached the unfocused phone whole.
    match timeline.next().await {
        Some(updates) => assert!(
            matches!(updates.first(), Some(MessageUpdate::Reset { messages, .. })
                if messages.len() == 10 && messages.iter().all(|m| m.sender_id.as_str() == "bob")),
            "only the user's own messages come whole to an unfocused device: {updates:?}"
        ),
        None => return Err("the timeline ended".into()),
    }
    eventually("the opened channel holds all 90", || {
        phone.unread().is_some_and(|u| u.last_seq == 90)
    })
    .await?;
    let history = whole_history(&bob.client, &community_id, &general, 200).await?;
    assert_eq!(history.len(), 90, "every message once");
    assert!(history.windows(2).all(|w| w[0].seq + 1 == w[1].seq));

    from_alice.send_text("live").await?;
    let live = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while let Some(updates) = timeline.next().await {
            for update in updates {
                if let MessageUpdate::Inserted(message) = update
                    && message.seq == 91
                {
                    return Some(message);
                }
            }
        }
        None
    })
    .await?;
    assert!(
        live.is_some_and(|m| matches!(&m.content, MessageContent::Text { text } if text == "live")),
        "the focused channel's new message arrives"
    );
    eventually("91 messages, 81 unread", || {
        phone
            .unread()
            .is_some_and(|u| (u.last_seq, u.unread_count, u.mention_count) == (91, 81, 5))
    })
    .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_member_list_follows_a_nickname_as_a_fresh_subscription_sees_it() -> TestResult {
    let server = TestServer::start_with(large_from_three).await?;
    let alice = TestClient::login(&server, "alice", "alice-phone").await?;
    let bob = TestClient::login(&server, "bob", "bob-phone").await?;
    let carol = TestClient::login(&server, "carol", "carol-phone").await?;
    let dave = TestClient::login(&server, "dave", "dave-phone").await?;
    let (community_id, _) = guild(&alice, "Roster", &[&bob, &carol, &dave]).await?;

    let community = bob.client.community(&community_id);
    let mut list = community
        .subscribe_member_list(vec![ListRange::new(0, 9)])
        .await?;
    match list.next().await {
        Some(MemberListUpdate::Reset(snapshot)) => {
            assert_eq!(snapshot.total, 4);
            let names: Vec<_> = snapshot.windows[0]
                .items
                .iter()
                .map(|i| i.user_id.as_str().to_owned())
                .collect();
            assert_eq!(names, ["alice", "bob", "carol", "dave"], "by name");
        }
        other => return Err(format!("first a reset, got {other:?}").into()),
    }

    // Carol renames herself to the front of the list.
    carol
        .client
        .community(&community_id)
        .set_nickname("Aaron")
        .await?;
    let changed = tokio::time::timeout(std::time::Duration::from_secs(10), list.next()).await?;
    assert!(
        matches!(changed, Some(MemberListUpdate::Changed { ref ops, .. }) if !ops.is_empty()),
        "{changed:?}"
    );
    let fresh = dave
        .client
        .community(&community_id)
        .subscribe_member_list(vec![ListRange::new(0, 9)])
        .await?;
    eventually("bob's window equals a fresh subscription", || {
        let mine = list.snapshot();
        let theirs = fresh.snapshot();
        !theirs.windows.is_empty() && mine.windows == theirs.windows
    })
    .await?;
    let first = list.snapshot().windows[0].items[0].clone();
    assert_eq!(
        (first.user_id.as_str(), first.display_name.as_str()),
        ("carol", "Aaron")
    );

    // A bad range is refused before it leaves the device, with the protocol's code.
    let error = community
        .subscribe_member_list(vec![ListRange::new(10, 5)])
        .await
        .err()
        .ok_or("a reversed range is refused")?;
    assert_eq!(
        error.code(),
        u32::from(community_protocol::ErrorCode::INVALID_MEMBER_LIST_RANGE.0)
    );
    Ok(())
}
