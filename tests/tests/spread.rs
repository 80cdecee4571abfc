//! Clients spread over the nodes (docs/MULTINODE.md, "End-to-end suite on two nodes"): in
//! cluster mode (`COMMUNITY_E2E_CLUSTER=1`) the users of one community sit on different
//! nodes, and two senders on two nodes writing into one channel at once leave every reader,
//! on either node, with one gap-free history holding each message once, exact unread
//! counts, and a read position that follows the user across nodes. On a single node the
//! same tests run with everyone on the one node.

use std::collections::BTreeSet;

use community_e2e::{
    TestClient, TestResult, TestServer, cluster_mode, contiguous_texts, eventually, guild,
    outbox_drained, shows, whole_history,
};

/// Messages each of the two senders writes.
const EACH: u64 = 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_users_of_one_community_sit_on_every_node() -> TestResult {
    let server = TestServer::start().await?;
    let alice = TestClient::login(&server, "alice", "alice-phone").await?;
    let bob = TestClient::login(&server, "bob", "bob-phone").await?;
    let (community_id, channel_id) = guild(&alice, "Spread", &[&bob]).await?;
    let counts = server.node_connection_counts();
    if cluster_mode() {
        assert_eq!(counts, [1, 1], "one client on each node");
    } else {
        assert_eq!(counts, [2], "both clients on the one node");
    }
    // What one writes the other reads, whichever node each sits on.
    alice
        .client
        .community(&community_id)
        .channel(&channel_id)
        .send_text("across")
        .await?;
    let channel = bob.client.community(&community_id).channel(&channel_id);
    eventually("bob's cache holds alice's message", || {
        channel.entry().is_some_and(|e| e.head.last_seq >= 1)
    })
    .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_senders_on_two_nodes_leave_one_gap_free_history_everywhere() -> TestResult {
    let server = TestServer::start().await?;
    // Logins alternate between the nodes: alice and carol's phone on one, bob and carol's
    // laptop on the other.
    let alice = TestClient::login(&server, "alice", "alice-phone").await?;
    let bob = TestClient::login(&server, "bob", "bob-phone").await?;
    let carol_phone = TestClient::login(&server, "carol", "carol-phone").await?;
    let carol_laptop = TestClient::login(&server, "carol", "carol-laptop").await?;
    let (community_id, channel_id) =
        guild(&alice, "Crossfire", &[&bob, &carol_phone, &carol_laptop]).await?;
    // Both of carol's devices show the channel while the messages arrive.
    let _phone_timeline = shows(&carol_phone, &community_id, &channel_id).await?;
    let _laptop_timeline = shows(&carol_laptop, &community_id, &channel_id).await?;

    let write = |sender: &TestClient, name: &'static str| {
        let channel = sender.client.community(&community_id).channel(&channel_id);
        async move {
            for i in 0..EACH {
                channel.send_text(format!("{name}-{i}")).await?;
            }
            TestResult::Ok(())
        }
    };
    let (from_alice, from_bob) = tokio::join!(write(&alice, "alice"), write(&bob, "bob"));
    from_alice?;
    from_bob?;
    for sender in [&alice, &bob] {
        outbox_drained(&sender.client, &community_id, &channel_id).await?;
    }

    let total = 2 * EACH;
    let expected: BTreeSet<String> = (0..EACH)
        .flat_map(|i| [format!("alice-{i}"), format!("bob-{i}")])
        .collect();
    for reader in [&carol_phone, &carol_laptop, &alice, &bob] {
        let channel = reader.client.community(&community_id).channel(&channel_id);
        eventually("the reader's cache reaches the last message", || {
            channel.entry().is_some_and(|e| e.head.last_seq >= total)
        })
        .await?;
        let history = whole_history(&reader.client, &community_id, &channel_id, 1000).await?;
        let texts = contiguous_texts(&history)?;
        assert_eq!(
            texts.len() as u64,
            total,
            "{}: every message once",
            reader.user_id
        );
        let seen: BTreeSet<String> = texts.into_iter().collect();
        assert_eq!(
            seen, expected,
            "{}: the messages of both senders",
            reader.user_id
        );
        // Each sender's own messages are in the order they were sent.
        for name in ["alice", "bob"] {
            let own: Vec<u64> = history
                .iter()
                .filter_map(|m| community_e2e::text_of(m).strip_prefix(&format!("{name}-")))
                .filter_map(|n| n.parse().ok())
                .collect();
            assert_eq!(
                own,
                (0..EACH).collect::<Vec<_>>(),
                "{name}'s messages in order"
            );
        }
    }

    // Carol has everything unread on both devices; reading on the phone (one node) clears
    // the laptop (the other node).
    for device in [&carol_phone, &carol_laptop] {
        let channel = device.client.community(&community_id).channel(&channel_id);
        eventually("carol's device counts every message unread", || {
            channel.unread().is_some_and(|u| u.unread_count == total)
        })
        .await?;
    }
    carol_phone
        .client
        .community(&community_id)
        .channel(&channel_id)
        .mark_read(total)
        .await?;
    let laptop = carol_laptop
        .client
        .community(&community_id)
        .channel(&channel_id);
    eventually("carol's laptop counts nothing unread", || {
        laptop.unread().is_some_and(|u| u.unread_count == 0)
    })
    .await?;
    assert_eq!(carol_laptop.client.unread_totals().total_unread, 0);
    Ok(())
}
