//! Search on a real server through the SDK: what the cache finds offline and what the
//! server finds over the whole history, merged once; words edited away, recalled and
//! hidden messages never found; a private channel the user cannot read never searched;
//! CJK substrings; malformed queries refused with a typed error before any I/O; channel
//! and community search by name.

use community_e2e::{
    TestClient, TestResult, TestServer, eventually, eventually_async, fail, guild, outbox_drained,
    shows,
};
use community_protocol::{ChannelKind, CommunityId, ErrorCode, MessageContent};
use community_sdk::{
    ChannelHandle, HitSource, MessageEdit, NewChannel, SdkError, SearchOptions, SearchResults,
    ServerSearch,
};

fn code_of(error: &SdkError) -> Option<ErrorCode> {
    match error {
        SdkError::Api(error) => Some(error.code),
        _ => None,
    }
}

fn in_community(query: &str, community_id: &CommunityId) -> SearchOptions {
    SearchOptions {
        community_id: Some(community_id.clone()),
        ..SearchOptions::new(query)
    }
}

fn seqs(results: &SearchResults) -> Vec<u64> {
    let mut seqs: Vec<u64> = results.hits.iter().map(|h| h.message.seq).collect();
    seqs.sort_unstable();
    seqs
}

fn marked(results: &SearchResults) -> Vec<String> {
    results
        .hits
        .iter()
        .flat_map(|h| {
            h.snippet
                .highlights
                .iter()
                .map(|r| h.snippet.text[r.start as usize..r.end as usize].to_string())
        })
        .collect()
}

async fn send_all(channel: &ChannelHandle, texts: &[&str]) -> TestResult {
    for text in texts {
        channel.send_text(*text).await?.sent().await?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_and_the_server_find_the_same_messages_once() -> TestResult {
    let server = TestServer::start().await?;
    let alice = TestClient::login(&server, "alice", "a").await?;
    let bob = TestClient::login(&server, "bob", "b").await?;
    let (community_id, general) = guild(&alice, "Search", &[&bob]).await?;
    let _shown = shows(&bob, &community_id, &general).await?;
    let at = |c: &TestClient| c.client.community(&community_id).channel(&general);
    send_all(
        &at(&alice),
        &[
            "raid tonight at nine",
            "the raid is cancelled",
            "明日東京都に行きます",
            "nothing to see here",
        ],
    )
    .await?;
    outbox_drained(&alice.client, &community_id, &general).await?;
    eventually("bob has the four messages", || {
        at(&bob).unread().is_some_and(|u| u.last_seq == 4)
    })
    .await?;

    // Bob's cache finds them; the merged search lists each once.
    let local = bob.client.search_local(SearchOptions::new("raid")).await?;
    if seqs(&local) != [1, 2] || local.server != ServerSearch::NotAsked {
        return fail(format!("local raid: {:?}", seqs(&local)));
    }
    let merged = bob
        .client
        .search(in_community("raid", &community_id))
        .await?;
    if seqs(&merged) != [1, 2] || merged.server != ServerSearch::Answered {
        return fail(format!(
            "merged raid: {:?} {:?}",
            seqs(&merged),
            merged.server
        ));
    }
    if !merged.hits.iter().all(|h| h.source == HitSource::Server) {
        return fail("the server's copy wins in a merge");
    }
    if marked(&merged).iter().any(|m| m.to_lowercase() != "raid") {
        return fail(format!("highlights: {:?}", marked(&merged)));
    }
    for query in ["東京", "京都", "東"] {
        let found = at(&bob).search(SearchOptions::new(query)).await?;
        if seqs(&found) != [3] {
            return fail(format!("CJK {query}: {:?}", seqs(&found)));
        }
    }
    let none = at(&bob).search(SearchOptions::new("大阪")).await?;
    if !none.hits.is_empty() {
        return fail("大阪 is not in any message");
    }

    // A device with an empty cache finds the history through the server.
    let carol = TestClient::login(&server, "carol", "c").await?;
    carol.client.join_community(&community_id, "").await?;
    eventually("carol holds the community", || {
        carol.client.community(&community_id).entry().is_some()
    })
    .await?;
    let remote = carol
        .client
        .search(in_community("cancelled", &community_id))
        .await?;
    if seqs(&remote) != [2] {
        return fail(format!(
            "a fresh device through the server: {:?}",
            seqs(&remote)
        ));
    }

    // Malformed queries are typed, before any I/O, and never match everything.
    for bad in ["\"unclosed", "", "a*b", &"x".repeat(10 * 1024)] {
        match bob.client.search(in_community(bad, &community_id)).await {
            Err(error) if code_of(&error) == Some(ErrorCode::INVALID_SEARCH_QUERY) => {}
            other => return fail(format!("{bad:.20}: {other:?}")),
        }
    }
    let literal = bob
        .client
        .search(in_community("raid OR nothing", &community_id))
        .await?;
    if !literal.hits.is_empty() {
        return fail("OR is a plain word: no message has raid, or and nothing");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edited_recalled_hidden_and_unreadable_messages_are_not_found() -> TestResult {
    let server = TestServer::start().await?;
    let alice = TestClient::login(&server, "alice", "a").await?;
    let bob = TestClient::login(&server, "bob", "b").await?;
    let (community_id, general) = guild(&alice, "Secrets", &[&bob]).await?;
    let community = alice.client.community(&community_id);
    let staff = community
        .create_channel(NewChannel {
            name: "staff-room".into(),
            kind: ChannelKind::Text,
            private: true,
            ..NewChannel::default()
        })
        .await?;
    send_all(&staff, &["the password is swordfish"]).await?;
    let at = |c: &TestClient| c.client.community(&community_id).channel(&general);
    send_all(
        &at(&alice),
        &[
            "meet at the old mill",
            "bring the treasure map",
            "a hidden gem",
        ],
    )
    .await?;
    outbox_drained(&alice.client, &community_id, &general).await?;
    eventually("bob has the messages", || {
        at(&bob).unread().is_some_and(|u| u.last_seq == 3)
    })
    .await?;

    // Bob cannot read the private channel: neither his cache nor the server finds it.
    let secret = bob
        .client
        .search(in_community("swordfish", &community_id))
        .await?;
    if !secret.hits.is_empty() {
        return fail("a private channel bob cannot read was searched");
    }
    let owner = alice
        .client
        .search(in_community("swordfish", &community_id))
        .await?;
    if owner.hits.len() != 1 {
        return fail("a member of the private channel finds it");
    }

    // Alice edits "mill" away and recalls the map.
    let edit = at(&alice)
        .edit_message(
            1,
            MessageEdit {
                content: Some(MessageContent::Text {
                    text: "meet at the new bridge".into(),
                }),
                ..MessageEdit::default()
            },
        )
        .await?;
    alice.client.wait_for_change(&edit.key).await?;
    let recall = at(&alice).recall_message(2).await?;
    alice.client.wait_for_change(&recall.key).await?;
    // Bob hides the gem on his devices.
    let hide = at(&bob).hide_message(3).await?;
    bob.client.wait_for_change(&hide.key).await?;
    eventually_async("bob's cache has the edit and the recall", || async {
        at(&bob).messages(None, 10).await.is_ok_and(|page| {
            page.iter().any(|m| {
                m.seq == 1 && matches!(&m.content, MessageContent::Text { text } if text.contains("bridge"))
            }) && page
                .iter()
                .any(|m| m.seq == 2 && m.content.is_recalled())
        })
    })
    .await?;
    for (client, who) in [(&alice, "alice"), (&bob, "bob")] {
        let mill = client
            .client
            .search(in_community("mill", &community_id))
            .await?;
        let bridge = client
            .client
            .search(in_community("bridge", &community_id))
            .await?;
        let map = client
            .client
            .search(in_community("treasure", &community_id))
            .await?;
        if !mill.hits.is_empty() || !map.hits.is_empty() {
            return fail(format!("{who} finds an edited-away or recalled word"));
        }
        if bridge.hits.len() != 1 {
            return fail(format!("{who} does not find the edited-in word"));
        }
    }
    let gem_bob = bob
        .client
        .search(in_community("gem", &community_id))
        .await?;
    let gem_alice = alice
        .client
        .search(in_community("gem", &community_id))
        .await?;
    if !gem_bob.hits.is_empty() || gem_alice.hits.len() != 1 {
        return fail("a hidden message is hidden from its hider only");
    }

    // Channels and communities by name.
    let channels = alice
        .client
        .community(&community_id)
        .search_channels("staff")
        .await?;
    if channels.channels.len() != 1 {
        return fail("alice finds the staff room by name");
    }
    let hidden = bob
        .client
        .community(&community_id)
        .search_channels("staff")
        .await?;
    if !hidden.channels.is_empty() {
        return fail("bob does not see the private staff room");
    }
    let communities = bob.client.search_communities("secr").await?;
    if communities.communities.first().map(|c| &c.community_id) != Some(&community_id) {
        return fail("bob finds his community by name");
    }
    Ok(())
}
