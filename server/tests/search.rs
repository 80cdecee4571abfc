//! Search over the wire: `search_messages` (what is found, for whom, with which filters,
//! over which pages, how bad queries are refused, and the index built for the messages
//! of a database written before search existed), `search_channels`,
//! `search_communities` and `list_members` by display name.

mod common;

use std::time::Duration;

use common::*;
use community_protocol::request::*;
use community_protocol::response::MembersPage;
use community_protocol::search::{SearchChannels, SearchCommunities, SearchMessages, SearchPage};
use community_protocol::*;

fn search_request(community: &str, query: &str) -> SearchMessages {
    SearchMessages {
        community_id: community.into(),
        query: query.into(),
        ..Default::default()
    }
}

async fn search(client: &mut Client, p: SearchMessages) -> SearchPage {
    match client.ok(Request::SearchMessages(p)).await {
        Response::SearchResults(page) => page,
        other => panic!("unexpected {other:?}"),
    }
}

/// The (stream, seq) of the first page of hits.
async fn found(client: &mut Client, community: &CommunityId, query: &str) -> Vec<(String, u64)> {
    hits(&search(client, search_request(community.as_str(), query)).await)
}

fn hits(page: &SearchPage) -> Vec<(String, u64)> {
    page.hits
        .iter()
        .map(|h| (h.message.channel_id.to_string(), h.message.seq))
        .collect()
}

fn message_ref(community: &CommunityId, channel: &ChannelId, seq: u64) -> MessageRef {
    MessageRef {
        community_id: community.clone(),
        channel_id: channel.clone(),
        seq,
    }
}

/// Alice's community with bob in it: (community, default channel).
async fn guild(alice: &mut Client, bob: &mut Client) -> (CommunityId, ChannelId) {
    let guild = create_community(alice, "Guild").await;
    let id = guild.info.community_id.clone();
    bob.ok(join(id.as_str())).await;
    (id, guild.info.default_channel_id)
}

async fn channel(
    client: &mut Client,
    community: &CommunityId,
    name: &str,
    private: bool,
) -> ChannelId {
    let request = Request::CreateChannel(CreateChannel {
        community_id: community.clone(),
        name: name.into(),
        private,
        ..Default::default()
    });
    match client.ok(request).await {
        Response::Channel(info) => info.channel_id,
        other => panic!("unexpected {other:?}"),
    }
}

async fn thread(client: &mut Client, community: &CommunityId, channel: &ChannelId) -> ChannelId {
    let request = Request::CreateThread(CreateThread {
        community_id: community.clone(),
        channel_id: channel.clone(),
        name: "side".into(),
        ..Default::default()
    });
    match client.ok(request).await {
        Response::Thread(info) => info.thread_id,
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn messages_are_found_as_history_shows_them_and_follow_edits_recalls_and_hides() {
    let server = TestServer::start().await;
    let mut alice = server.login("alice").await;
    let mut bob = server.login("bob").await;
    let (id, ch) = guild(&mut alice, &mut bob).await;
    let c = ch.to_string();
    send(&mut alice, &id, &ch, "k1", "Raid tonight at nine").await;
    send(&mut bob, &id, &ch, "k2", "the raiders gather at dawn").await;
    send(&mut bob, &id, &ch, "k3", "old mill, then the bridge").await;
    assert_eq!(found(&mut bob, &id, "raid").await, [(c.clone(), 1)]);
    assert_eq!(found(&mut bob, &id, "raid*").await.len(), 2);
    assert_eq!(found(&mut bob, &id, "\"at nine\"").await, [(c.clone(), 1)]);
    assert_eq!(found(&mut bob, &id, "\"nine at\"").await, []);
    // A hit is the message as get_messages shows it, with its snippet.
    let page = search(&mut bob, search_request(id.as_str(), "dawn")).await;
    let history = all_messages(&mut bob, &id, &ch).await;
    assert_eq!(page.hits[0].message, history[1]);
    let h = page.hits[0].snippet.highlights[0];
    assert_eq!(
        &page.hits[0].snippet.text[h.start as usize..h.end as usize],
        "dawn"
    );
    // A word edited away is not found; the new one is.
    let edit = Request::EditMessage(EditMessage {
        community_id: id.clone(),
        channel_id: ch.clone(),
        seq: 3,
        idempotency_key: "e1".into(),
        content: Some(MessageContent::Text {
            text: "new mill, then the ford".into(),
        }),
        mentions: None,
        custom_data: None,
    });
    bob.ok(edit).await;
    assert_eq!(found(&mut alice, &id, "bridge").await, []);
    assert_eq!(found(&mut alice, &id, "ford").await, [(c.clone(), 3)]);
    // A recalled message is never found.
    bob.ok(Request::RecallMessage(message_ref(&id, &ch, 2)))
        .await;
    assert_eq!(found(&mut alice, &id, "dawn").await, []);
    assert_eq!(found(&mut bob, &id, "raiders").await, []);
    // A hidden message is not found by who hid it, but by the others.
    bob.ok(Request::HideMessage(message_ref(&id, &ch, 1))).await;
    assert_eq!(found(&mut bob, &id, "raid").await, []);
    assert_eq!(found(&mut alice, &id, "raid").await, [(c.clone(), 1)]);
}

#[tokio::test]
async fn only_what_the_caller_may_read_is_searched() {
    let server = TestServer::start().await;
    let mut alice = server.login("alice").await;
    let mut bob = server.login("bob").await;
    let mut carol = server.login("carol").await;
    let (id, ch) = guild(&mut alice, &mut bob).await;
    carol.ok(join(id.as_str())).await;
    let secret = channel(&mut alice, &id, "secret", true).await;
    alice
        .ok(Request::AddChannelMembers(ChannelMembers {
            community_id: id.clone(),
            channel_id: secret.clone(),
            user_ids: vec!["bob".into()],
        }))
        .await;
    let plans = thread(&mut alice, &id, &secret).await;
    send(&mut alice, &id, &secret, "k1", "the vault code").await;
    send(&mut alice, &id, &plans, "k2", "vault plans").await;
    send(&mut alice, &id, &ch, "k3", "vault rumours").await;
    assert_eq!(found(&mut carol, &id, "vault").await, [(ch.to_string(), 1)]);
    assert_eq!(found(&mut bob, &id, "vault").await.len(), 3);
    for stream in [&secret, &plans] {
        let p = SearchMessages {
            channel_id: Some(stream.clone()),
            ..search_request(id.as_str(), "vault")
        };
        let refused = carol.request(Request::SearchMessages(p)).await.unwrap_err();
        let history = carol
            .request(history_after(id.as_str(), stream.as_str(), 0, None))
            .await
            .unwrap_err();
        assert_eq!(refused.code, history.code);
    }
    // Conversations: their participants only.
    let dm = match alice
        .ok(Request::CreateConversation(CreateConversation {
            user_ids: vec!["bob".into()],
            name: String::new(),
            group: false,
        }))
        .await
    {
        Response::Conversation(entry) => entry.conversation.conversation_id,
        other => panic!("unexpected {other:?}"),
    };
    let me = CommunityId::direct();
    send(&mut alice, &me, &dm, "k4", "vault between us").await;
    assert_eq!(found(&mut bob, &me, "vault").await, [(dm.to_string(), 1)]);
    assert_eq!(found(&mut carol, &me, "vault").await, []);
    let p = SearchMessages {
        channel_id: Some(dm.clone()),
        ..search_request("@me", "vault")
    };
    carol
        .fails(
            Request::SearchMessages(p),
            ErrorCode::CONVERSATION_NOT_FOUND,
        )
        .await;
    // Not a member of the community.
    let mut dave = server.login("dave").await;
    dave.fails(
        Request::SearchMessages(search_request(id.as_str(), "vault")),
        ErrorCode::NOT_MEMBER,
    )
    .await;
}

#[tokio::test]
async fn cjk_substrings_and_the_filters() {
    let server = TestServer::start().await;
    let mut alice = server.login("alice").await;
    let mut bob = server.login("bob").await;
    let (id, ch) = guild(&mut alice, &mut bob).await;
    send(&mut alice, &id, &ch, "k1", "明日東京都に行きます").await;
    for query in ["東京", "京都", "東"] {
        assert_eq!(
            found(&mut bob, &id, query).await,
            [(ch.to_string(), 1)],
            "{query}"
        );
    }
    assert_eq!(found(&mut bob, &id, "大阪").await, []);
    let other = channel(&mut alice, &id, "other", false).await;
    let side = thread(&mut alice, &id, &ch).await;
    let a = send(&mut alice, &id, &ch, "k2", "launch plan").await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    let b = send(&mut bob, &id, &other, "k3", "launch party").await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    let c = send(&mut bob, &id, &side, "k4", "launch window").await;
    let mut with = async |change: &dyn Fn(&mut SearchMessages)| {
        let mut p = search_request(id.as_str(), "launch");
        change(&mut p);
        let mut got = hits(&search(&mut alice, p).await);
        got.sort();
        got
    };
    let key = |m: &Message| (m.channel_id.to_string(), m.seq);
    let sorted = |mut v: Vec<(String, u64)>| {
        v.sort();
        v
    };
    assert_eq!(with(&|_| {}).await, sorted(vec![key(&a), key(&b), key(&c)]));
    assert_eq!(with(&|p| p.channel_id = Some(ch.clone())).await, [key(&a)]);
    assert_eq!(
        with(&|p| p.channel_id = Some(side.clone())).await,
        [key(&c)]
    );
    assert_eq!(
        with(&|p| p.sender_id = Some("bob".into())).await,
        sorted(vec![key(&b), key(&c)])
    );
    assert_eq!(
        with(&|p| {
            p.after_ms = Some(b.created_at_ms);
            p.before_ms = Some(c.created_at_ms);
        })
        .await,
        [key(&b)]
    );
    assert_eq!(
        with(&|p| p.before_ms = Some(b.created_at_ms)).await,
        [key(&a)]
    );
}

#[tokio::test]
async fn pages_have_no_duplicate_and_no_gap_while_messages_arrive() {
    let server = TestServer::start_with(|c| c.limits.channel_messages_per_second = 100_000).await;
    let mut alice = server.login("alice").await;
    let mut bob = server.login("bob").await;
    let (id, ch) = guild(&mut alice, &mut bob).await;
    for n in 0..45 {
        let filler = "word ".repeat(n % 4);
        send(
            &mut alice,
            &id,
            &ch,
            &format!("k{n}"),
            &format!("match {filler}{n}"),
        )
        .await;
    }
    let mut p = SearchMessages {
        limit: Some(10),
        ..search_request(id.as_str(), "match")
    };
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = search(&mut bob, p.clone()).await;
        pages += 1;
        assert!(page.hits.len() <= 10);
        seen.extend(page.hits.iter().map(|h| h.message.seq));
        send(&mut alice, &id, &ch, &format!("late{pages}"), "match late").await;
        match page.next_cursor {
            Some(cursor) => p.cursor = Some(cursor),
            None => break,
        }
    }
    assert_eq!(pages, 5);
    seen.sort_unstable();
    assert_eq!(seen, (1..=45).collect::<Vec<u64>>());
    p.cursor = Some("not-a-cursor".into());
    bob.fails(Request::SearchMessages(p), ErrorCode::INVALID_CURSOR)
        .await;
}

#[tokio::test]
async fn malformed_queries_are_typed_errors_and_operators_are_words() {
    let server = TestServer::start().await;
    let mut alice = server.login("alice").await;
    let mut bob = server.login("bob").await;
    let (id, ch) = guild(&mut alice, &mut bob).await;
    send(&mut alice, &id, &ch, "k1", "alpha beta").await;
    send(&mut alice, &id, &ch, "k2", "gamma").await;
    let long = "y".repeat(10 * 1024);
    for bad in ["", "\"alpha", "al*pha", "*", "(", "?!", long.as_str()] {
        let error = bob
            .fails(
                Request::SearchMessages(search_request(id.as_str(), bad)),
                ErrorCode::INVALID_SEARCH_QUERY,
            )
            .await;
        assert!(!error.message.to_lowercase().contains("fts5"), "{error}");
        assert!(!error.message.to_lowercase().contains("sql"), "{error}");
    }
    let alpha = vec![(ch.to_string(), 1)];
    for literal in [
        "-alpha",
        "^alpha",
        "(alpha)",
        "alpha -beta",
        "\"alpha\" + beta",
    ] {
        assert_eq!(found(&mut bob, &id, literal).await, alpha, "{literal}");
    }
    for literal in [
        "alpha OR gamma",
        "NEAR(alpha beta)",
        "body:alpha",
        "alpha AND gamma",
    ] {
        assert_eq!(found(&mut bob, &id, literal).await, [], "{literal}");
    }
}

#[tokio::test]
async fn a_database_from_before_search_is_indexed_on_upgrade() {
    let mut server = TestServer::start().await;
    let mut alice = server.login("alice").await;
    let mut bob = server.login("bob").await;
    let (id, ch) = guild(&mut alice, &mut bob).await;
    send(&mut alice, &id, &ch, "k1", "written before the index").await;
    send(&mut alice, &id, &ch, "k2", "明日東京都に行きます").await;
    bob.ok(Request::HideMessage(message_ref(&id, &ch, 1))).await;
    alice.close().await;
    bob.close().await;
    // Stop, and take the database back to schema 5 (no index), as an older server left it.
    if let Some(running) = server.server.take() {
        running.shutdown().await;
    }
    let path = server.dir.path().join("community.db");
    let db = rusqlite::Connection::open(&path).expect("open the database");
    db.execute_batch(
        "DROP TRIGGER search_pending_insert;
         DROP TRIGGER search_pending_update;
         DROP TRIGGER search_pending_delete;
         DROP TABLE search_pending;
         DROP TABLE message_search;
         DROP TABLE message_search_docs;
         DROP TABLE push_tokens;
         DROP TABLE presence_choices;
         PRAGMA user_version = 5;",
    )
    .expect("back to schema 5");
    drop(db);
    server.start_again().await;
    let mut alice = server.login("alice").await;
    let mut bob = server.login("bob").await;
    assert_eq!(found(&mut alice, &id, "index").await, [(ch.to_string(), 1)]);
    assert_eq!(found(&mut alice, &id, "京都").await, [(ch.to_string(), 2)]);
    assert_eq!(
        found(&mut bob, &id, "index").await,
        [],
        "still hidden for bob"
    );
    // New messages are indexed as usual after the upgrade.
    send(&mut bob, &id, &ch, "k3", "after the index").await;
    assert_eq!(found(&mut alice, &id, "index").await.len(), 2);
    let db = rusqlite::Connection::open(&path).expect("open the database");
    let version: u32 = db
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("version");
    assert_eq!(version, 9);
}

#[tokio::test]
async fn channels_communities_and_members_by_name() {
    let server = TestServer::start().await;
    let mut alice = server.login("alice").await;
    let mut bob = server.login("bob").await;
    let (id, _) = guild(&mut alice, &mut bob).await;
    channel(&mut alice, &id, "Raid-Planning", false).await;
    channel(&mut alice, &id, "old-raids", false).await;
    channel(&mut alice, &id, "raid-leads", true).await;
    let names = |response: Response| match response {
        Response::ChannelMatches(found) => found
            .channels
            .into_iter()
            .map(|c| c.name)
            .collect::<Vec<_>>(),
        other => panic!("unexpected {other:?}"),
    };
    let by_name = |query: &str| {
        Request::SearchChannels(SearchChannels {
            community_id: id.clone(),
            query: query.into(),
            limit: None,
        })
    };
    assert_eq!(
        names(bob.ok(by_name("RAID")).await),
        ["Raid-Planning", "old-raids"]
    );
    assert_eq!(
        names(alice.ok(by_name("raid")).await),
        ["raid-leads", "Raid-Planning", "old-raids"]
    );
    bob.fails(by_name(""), ErrorCode::INVALID_SEARCH_QUERY)
        .await;
    // Communities: joined, or open to joining; never invite-only ones of others.
    let mut carol = server.login("carol").await;
    for (name, policy) in [
        ("Raiders United", JoinPolicy::Free),
        ("Raiders by request", JoinPolicy::Approval),
        ("Raiders inner circle", JoinPolicy::InviteOnly),
    ] {
        carol
            .ok(Request::CreateCommunity(CreateCommunity {
                name: name.into(),
                join_policy: policy,
                ..Default::default()
            }))
            .await;
    }
    let communities = async |client: &mut Client, query: &str| match client
        .ok(Request::SearchCommunities(SearchCommunities {
            query: query.into(),
            limit: None,
        }))
        .await
    {
        Response::CommunityMatches(found) => found
            .communities
            .into_iter()
            .map(|c| c.name)
            .collect::<Vec<_>>(),
        other => panic!("unexpected {other:?}"),
    };
    assert_eq!(
        communities(&mut bob, "raiders").await,
        ["Raiders by request", "Raiders United"]
    );
    assert_eq!(communities(&mut carol, "raiders").await.len(), 3);
    assert_eq!(communities(&mut bob, "guild").await, ["Guild"]);
    // Members by display name.
    bob.ok(Request::SetProfile(SetProfile {
        display_name: Some("Bobby Tables".into()),
        avatar_url: None,
        fields: Default::default(),
    }))
    .await;
    let members = Request::ListMembers(ListMembers {
        community_id: id.clone(),
        query: Some("tables".into()),
        group_id: None,
        field: None,
        cursor: None,
        limit: None,
    });
    match alice.ok(members).await {
        Response::Members(MembersPage { page, total_count }) => {
            assert_eq!(total_count, 1);
            assert_eq!(page.items[0].user_id, UserId::from("bob"));
        }
        other => panic!("unexpected {other:?}"),
    }
}
