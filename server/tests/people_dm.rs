//! People over the wire: conversations in `@me` (direct and group), DM policies, blocks,
//! the message model inside conversations (counts, read sync across sessions, edits,
//! recalls, reactions, idempotent sends), profiles and who hears of them, `sync` with
//! exact heads, and conversations across a resume and a restart. Every wait is bounded;
//! "nobody else got it" is checked by reading up to a later sentinel event.

mod common;

use common::*;
use community_protocol::request::*;
use community_protocol::response::{ConversationEntry, Heads, ProfileList};
use community_protocol::*;

/// The community of conversations.
fn me() -> CommunityId {
    CommunityId::direct()
}

fn start_request(users: &[&str], name: &str, group: bool) -> Request {
    Request::CreateConversation(CreateConversation {
        user_ids: users.iter().map(|u| UserId::from(*u)).collect(),
        name: name.into(),
        group,
    })
}

/// Starts (or finds) a conversation; the caller's entry.
async fn start(client: &mut Client, users: &[&str], group: bool) -> ConversationEntry {
    match client.ok(start_request(users, "", group)).await {
        Response::Conversation(entry) => entry,
        other => panic!("unexpected {other:?}"),
    }
}

fn dm_policy(policy: DmPolicy) -> Request {
    Request::SetDmPolicy(SetDmPolicy { policy })
}

fn user_ref(user: &str) -> UserRef {
    UserRef {
        user_id: user.into(),
    }
}

/// The next `conversation_updated` a client reads.
async fn next_update(client: &mut Client) -> (ConversationInfo, ChannelHead) {
    match client
        .event_where(|e| matches!(e, Event::ConversationUpdated { .. }))
        .await
    {
        Event::ConversationUpdated { conversation, head } => (conversation, head),
        _ => unreachable!(),
    }
}

/// The kinds of the events a client reads before the first that `until` matches.
async fn kinds_until(client: &mut Client, mut until: impl FnMut(&Event) -> bool) -> Vec<String> {
    let mut kinds = Vec::new();
    for _ in 0..1_000 {
        let (_, event) = client.next_event().await;
        if until(&event) {
            return kinds;
        }
        kinds.push(event.kind().to_owned());
    }
    panic!("no sentinel among 1,000 events");
}

/// Whether an event is the message with this text.
fn is_text(text: &'static str) -> impl FnMut(&Event) -> bool {
    move |event| {
        matches!(event, Event::MessageCreated { message }
            if message.content == MessageContent::Text { text: text.into() })
    }
}

/// The caller's heads in `@me`.
async fn me_heads(client: &mut Client) -> Vec<ChannelHead> {
    let request = Request::GetHeads(CommunityRef { community_id: me() });
    match client.ok(request).await {
        Response::Heads(Heads { heads }) => heads,
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn dm_policies_let_in_whom_they_say() {
    let server = TestServer::start().await;
    let mut alice = server.login("alice").await;
    let mut bob = server.login("bob").await;
    let mut carol = server.login("carol").await;
    let mut dave = server.login("dave").await;
    // Alice and bob share a community with dave; carol shares nothing.
    let guild = create_community(&mut alice, "Guild").await;
    bob.ok(join(guild.info.community_id.as_str())).await;
    dave.ok(join(guild.info.community_id.as_str())).await;
    // shared_community: alice yes, carol no.
    dave.ok(dm_policy(DmPolicy::SharedCommunity)).await;
    carol
        .fails(
            start_request(&["dave"], "", false),
            ErrorCode::DM_NOT_ALLOWED,
        )
        .await;
    let direct = start(&mut alice, &["dave"], false).await;
    let (told, head) = next_update(&mut dave).await;
    assert_eq!(told, direct.conversation);
    assert_eq!((head.community_id.clone(), head.unread_count), (me(), 0));
    // nobody: bob is refused, the existing conversation with alice goes on.
    dave.ok(dm_policy(DmPolicy::Nobody)).await;
    bob.fails(
        start_request(&["dave"], "", false),
        ErrorCode::DM_NOT_ALLOWED,
    )
    .await;
    let again = start(&mut alice, &["dave"], false).await;
    assert_eq!(
        again.conversation.conversation_id,
        direct.conversation.conversation_id
    );
    let id = direct.conversation.conversation_id.clone();
    send(&mut alice, &me(), &id, "k1", "still open").await;
    assert_eq!(dave.next_message().await.channel_id, id);
    // anyone: everyone again.
    dave.ok(dm_policy(DmPolicy::Anyone)).await;
    start(&mut carol, &["dave"], false).await;
    start(&mut bob, &["dave"], false).await;
}

#[tokio::test]
async fn blocks_refuse_starting_and_direct_sends_either_way_until_lifted() {
    let server = TestServer::start().await;
    let mut alice = server.login("alice").await;
    let mut bob = server.login("bob").await;
    let id = start(&mut alice, &["bob"], false)
        .await
        .conversation
        .conversation_id;
    bob.ok(Request::BlockUser(user_ref("alice"))).await;
    for (client, other) in [(&mut alice, "bob"), (&mut bob, "alice")] {
        client
            .fails(start_request(&[other], "", false), ErrorCode::BLOCKED)
            .await;
        client
            .fails(
                send_text(me().as_str(), id.as_str(), "blocked", "hello?"),
                ErrorCode::BLOCKED,
            )
            .await;
    }
    let Response::Blocked(list) = bob.ok(Request::ListBlocked(Empty {})).await else {
        panic!("blocked list expected")
    };
    assert_eq!(list.user_ids, vec![UserId::from("alice")]);
    bob.ok(Request::UnblockUser(user_ref("alice"))).await;
    send(&mut alice, &me(), &id, "k1", "from alice").await;
    assert_eq!(bob.next_message().await.sender_id.as_str(), "alice");
    send(&mut bob, &me(), &id, "k2", "from bob").await;
    let seen = kinds_until(&mut alice, is_text("from bob")).await;
    assert!(seen.iter().all(|k| k == "message_created"), "{seen:?}");
}

#[tokio::test]
async fn a_group_of_ten_hears_every_message_and_change() {
    let server = TestServer::start().await;
    let names: Vec<String> = (0..11).map(|n| format!("u{n:02}")).collect();
    let mut clients = Vec::new();
    for name in &names {
        clients.push(server.login(name).await);
    }
    let mut second = server.login("u00").await;
    let others: Vec<&str> = names[1..10].iter().map(String::as_str).collect();
    let all: Vec<&str> = names[1..].iter().map(String::as_str).collect();
    clients[0]
        .fails(
            start_request(&all, "", true),
            ErrorCode::TOO_MANY_PARTICIPANTS,
        )
        .await;
    let entry = start(&mut clients[0], &others, true).await;
    let id = entry.conversation.conversation_id.clone();
    assert_eq!(entry.conversation.participants.len(), 10);
    for client in clients[1..10].iter_mut().chain([&mut second]) {
        let (conversation, head) = next_update(client).await;
        assert_eq!(conversation, entry.conversation);
        assert_eq!(head.channel_id, id);
    }
    clients[3]
        .fails(
            Request::AddConversationMembers(ConversationMembers {
                conversation_id: id.clone(),
                user_ids: vec!["u10".into()],
            }),
            ErrorCode::TOO_MANY_PARTICIPANTS,
        )
        .await;
    send(&mut clients[5], &me(), &id, "k1", "hello ten").await;
    for client in clients[..10].iter_mut().chain([&mut second]) {
        let message = client.next_message().await;
        assert_eq!((message.community_id.clone(), message.seq), (me(), 1));
    }
    // Renamed: everyone hears it, each with their head (one unread but for the sender).
    let Response::Conversation(renamed) = clients[2]
        .ok(Request::UpdateConversation(UpdateConversation {
            conversation_id: id.clone(),
            name: "the ten".into(),
        }))
        .await
    else {
        panic!("conversation expected")
    };
    assert_eq!(renamed.conversation.name, "the ten");
    // The renaming session has its answer; everyone else, u00's second one included,
    // an event.
    assert_eq!(next_update(&mut second).await.0.name, "the ten");
    for (n, client) in clients[..10].iter_mut().enumerate() {
        if n == 2 {
            continue;
        }
        let (conversation, head) = next_update(client).await;
        assert_eq!(conversation.name, "the ten");
        assert_eq!(head.unread_count, u64::from(n != 5));
    }
    // The eleventh hears nothing of it.
    start(&mut clients[1], &["u10"], false).await;
    let before = kinds_until(&mut clients[10], |e| {
        matches!(e, Event::ConversationUpdated { conversation, .. }
            if conversation.kind == ConversationKind::Direct)
    })
    .await;
    assert!(before.is_empty(), "{before:?}");
}

#[tokio::test]
async fn leaving_a_group_is_told_and_stops_its_messages() {
    let server = TestServer::start().await;
    let mut alice = server.login("alice").await;
    let mut bob = server.login("bob").await;
    let mut carol = server.login("carol").await;
    let mut carol2 = server.login("carol").await;
    let id = start(&mut alice, &["bob", "carol"], true)
        .await
        .conversation
        .conversation_id;
    next_update(&mut carol2).await;
    carol
        .ok(Request::LeaveConversation(ConversationRef {
            conversation_id: id.clone(),
        }))
        .await;
    let removed = carol2
        .event_where(|e| matches!(e, Event::ConversationRemoved { .. }))
        .await;
    assert_eq!(
        removed,
        Event::ConversationRemoved {
            conversation_id: id.clone()
        }
    );
    for client in [&mut alice, &mut bob] {
        let (conversation, _) = next_update(client).await;
        if conversation.participants.len() == 2 {
            continue;
        }
        let (conversation, _) = next_update(client).await;
        assert_eq!(conversation.participants.len(), 2);
    }
    send(&mut alice, &me(), &id, "k1", "without carol").await;
    // Carol's sessions do not get it: a direct message from bob comes first.
    let dm = start(&mut bob, &["carol"], false).await.conversation;
    send(&mut bob, &me(), &dm.conversation_id, "k2", "just you").await;
    let seen = kinds_until(&mut carol, is_text("just you")).await;
    // The group's start and the direct conversation's: no message of the group.
    assert_eq!(seen, vec!["conversation_updated", "conversation_updated"]);
    let Response::Conversations(page) = carol
        .ok(Request::ListConversations(PageQuery::default()))
        .await
    else {
        panic!("conversations expected")
    };
    assert_eq!(page.conversations.len(), 1);
    assert_eq!(
        page.conversations[0].conversation.conversation_id,
        dm.conversation_id
    );
    carol
        .fails(
            history_after(me().as_str(), id.as_str(), 0, None),
            ErrorCode::CONVERSATION_NOT_FOUND,
        )
        .await;
}

#[tokio::test]
async fn the_list_pages_by_activity() {
    let server = TestServer::start().await;
    let mut alice = server.login("alice").await;
    let mut ids = Vec::new();
    for n in 0..5 {
        let name = format!("p{n}");
        let mut other = server.login(&name).await;
        let entry = start(&mut alice, &[name.as_str()], false).await;
        ids.push(entry.conversation.conversation_id.clone());
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
        if n == 0 {
            continue;
        }
        send(
            &mut other,
            &me(),
            &entry.conversation.conversation_id,
            "k",
            "hi",
        )
        .await;
    }
    // The first one, quiet so far, becomes the newest.
    tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    send(&mut alice, &me(), &ids[0], "k", "up").await;
    let mut seen = Vec::new();
    let mut cursor = None;
    for _ in 0..5 {
        let request = Request::ListConversations(PageQuery {
            cursor: cursor.take(),
            limit: Some(2),
        });
        let Response::Conversations(page) = alice.ok(request).await else {
            panic!("conversations expected")
        };
        seen.extend(
            page.conversations
                .into_iter()
                .map(|e| e.conversation.conversation_id),
        );
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    let expected = vec![
        ids[0].clone(),
        ids[4].clone(),
        ids[3].clone(),
        ids[2].clone(),
        ids[1].clone(),
    ];
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn counts_and_read_state_follow_a_user_across_sessions() {
    let server = TestServer::start().await;
    let mut alice = server.login("alice").await;
    let mut bob = server.login("bob").await;
    let mut bob2 = server.login("bob").await;
    let id = start(&mut alice, &["bob"], false)
        .await
        .conversation
        .conversation_id;
    send(&mut alice, &me(), &id, "k1", "one").await;
    let mut mention = send_text(me().as_str(), id.as_str(), "k2", "@bob two");
    if let Request::SendMessage(p) = &mut mention {
        p.mentions.users = vec!["bob".into()];
    }
    alice.ok(mention).await;
    send(&mut alice, &me(), &id, "k3", "three").await;
    let heads = me_heads(&mut bob).await;
    assert_eq!(heads.len(), 1);
    assert_eq!(
        (
            heads[0].last_seq,
            heads[0].unread_count,
            heads[0].mention_count
        ),
        (3, 3, 1)
    );
    let Response::ReadState(head) = bob.ok(mark_read_request(&id, 3)).await else {
        panic!("read state expected")
    };
    assert_eq!(
        (head.read_seq, head.unread_count, head.mention_count),
        (3, 0, 0)
    );
    let synced = bob2
        .event_where(|e| matches!(e, Event::ReadStateChanged { .. }))
        .await;
    assert_eq!(synced, Event::ReadStateChanged { head: head.clone() });
    assert_eq!(me_heads(&mut bob2).await, vec![head]);
}

fn mark_read_request(id: &ChannelId, seq: u64) -> Request {
    Request::MarkRead(MarkRead {
        community_id: me(),
        channel_id: id.clone(),
        seq,
    })
}

#[tokio::test]
async fn messages_are_edited_recalled_reacted_to_and_sent_once() {
    let server = TestServer::start().await;
    let mut alice = server.login("alice").await;
    let mut bob = server.login("bob").await;
    let id = start(&mut alice, &["bob"], false)
        .await
        .conversation
        .conversation_id;
    let first = send(&mut alice, &me(), &id, "k1", "hello").await;
    // The same key again: the same message, nothing new for bob.
    assert_eq!(send(&mut alice, &me(), &id, "k1", "hello").await, first);
    let reference = MessageRef {
        community_id: me(),
        channel_id: id.clone(),
        seq: first.seq,
    };
    bob.fails(
        Request::EditMessage(EditMessage {
            community_id: me(),
            channel_id: id.clone(),
            seq: 1,
            idempotency_key: "e0".into(),
            content: Some(MessageContent::Text { text: "no".into() }),
            mentions: None,
            custom_data: None,
        }),
        ErrorCode::NOT_AUTHOR,
    )
    .await;
    alice
        .ok(Request::EditMessage(EditMessage {
            community_id: me(),
            channel_id: id.clone(),
            seq: 1,
            idempotency_key: "e1".into(),
            content: Some(MessageContent::Text {
                text: "hello, edited".into(),
            }),
            mentions: None,
            custom_data: None,
        }))
        .await;
    bob.ok(Request::AddReaction(MessageReaction {
        community_id: me(),
        channel_id: id.clone(),
        seq: 1,
        emoji: "👍".into(),
    }))
    .await;
    alice.ok(Request::RecallMessage(reference)).await;
    let mut kinds = Vec::new();
    for _ in 0..3 {
        match bob
            .event_where(|e| matches!(e, Event::MessageChanged { .. }))
            .await
        {
            Event::MessageChanged { change } => kinds.push((change.change_seq, change.kind.name())),
            _ => unreachable!(),
        }
    }
    assert_eq!(
        kinds,
        vec![(1, "edited"), (2, "reaction_added"), (3, "recalled")]
    );
    let history = all_messages(&mut bob, &me(), &id).await;
    assert_eq!(history.len(), 1);
    assert!(history[0].content.is_recalled());
    // The message events bob read: one creation only.
    let second = send(&mut alice, &me(), &id, "k2", "again").await;
    assert_eq!(second.seq, 2);
}

#[tokio::test]
async fn profiles_are_set_read_and_told_to_who_shares_something() {
    let server = TestServer::start().await;
    let mut alice = server.login("alice").await;
    let mut alice2 = server.login("alice").await;
    let mut bob = server.login("bob").await;
    let mut carol = server.login("carol").await;
    let mut dave = server.login("dave").await;
    let mut erin = server.login("erin").await;
    // Bob shares a community with alice, carol only a conversation; dave nothing.
    let guild = create_community(&mut alice, "Guild").await;
    bob.ok(join(guild.info.community_id.as_str())).await;
    start(&mut carol, &["alice"], false).await;
    let set = Request::SetProfile(SetProfile {
        display_name: Some("Alice".into()),
        avatar_url: Some("https://example.org/a.png".into()),
        fields: [("city".to_owned(), "Lyon".to_owned())].into(),
    });
    let Response::Profile(profile) = alice.ok(set).await else {
        panic!("profile expected")
    };
    assert!(profile.updated_at_ms > 0);
    for client in [&mut alice2, &mut bob, &mut carol] {
        let told = client
            .event_where(|e| matches!(e, Event::ProfileUpdated { .. }))
            .await;
        assert_eq!(
            told,
            Event::ProfileUpdated {
                profile: profile.clone()
            }
        );
    }
    // Dave hears nothing of it: erin's conversation with him comes first.
    start(&mut erin, &["dave"], false).await;
    let before = kinds_until(&mut dave, |e| {
        matches!(e, Event::ConversationUpdated { .. })
    })
    .await;
    assert!(before.is_empty(), "{before:?}");
    // Reading: the known ones, an empty profile for who never set one.
    let get = |users: &[&str]| {
        Request::GetProfiles(UserIds {
            user_ids: users.iter().map(|u| UserId::from(*u)).collect(),
        })
    };
    let Response::Profiles(ProfileList { profiles }) =
        dave.ok(get(&["alice", "dave", "ghost"])).await
    else {
        panic!("profiles expected")
    };
    assert_eq!(profiles.len(), 2);
    assert_eq!(profiles[0], profile);
    assert_eq!(
        (profiles[1].user_id.as_str(), profiles[1].updated_at_ms),
        ("dave", 0)
    );
    let many: Vec<String> = (0..101).map(|n| format!("u{n}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    dave.fails(get(&many), ErrorCode::TOO_MANY_USERS).await;
    dave.fails(
        Request::SetProfile(SetProfile {
            display_name: Some("d".repeat(65)),
            ..Default::default()
        }),
        ErrorCode::PROFILE_TOO_LARGE,
    )
    .await;
}

#[tokio::test]
async fn sync_lists_conversations_with_exact_heads() {
    let server = TestServer::start().await;
    let mut alice = server.login("alice").await;
    let mut bob = server.login("bob").await;
    server.login("carol").await;
    let dm = start(&mut alice, &["bob"], false).await.conversation;
    let group = start(&mut bob, &["alice", "carol"], true)
        .await
        .conversation;
    send(&mut bob, &me(), &dm.conversation_id, "k1", "one").await;
    // The group's activity comes strictly later (times are in milliseconds).
    tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    send(&mut bob, &me(), &group.conversation_id, "k2", "two").await;
    send(&mut bob, &me(), &group.conversation_id, "k3", "three").await;
    alice.ok(mark_read_request(&group.conversation_id, 1)).await;
    let Response::Synced(synced) = alice.ok(sync_all()).await else {
        panic!("synced expected")
    };
    let heads = me_heads(&mut alice).await;
    assert_eq!(synced.conversations.len(), 2);
    assert_eq!(
        synced.conversations[0].conversation.conversation_id,
        group.conversation_id
    );
    for entry in &synced.conversations {
        let head = heads
            .iter()
            .find(|h| h.channel_id == entry.conversation.conversation_id)
            .expect("a head per conversation");
        assert_eq!(&entry.head, head);
    }
    let group_head = &synced.conversations[0].head;
    assert_eq!(
        (
            group_head.last_seq,
            group_head.read_seq,
            group_head.unread_count
        ),
        (2, 1, 1)
    );
}

#[tokio::test]
async fn conversations_survive_a_resume_and_a_restart() {
    let mut server = TestServer::start().await;
    let mut alice = server.login("alice").await;
    let bob = server.login("bob").await;
    let id = start(&mut alice, &["bob"], false)
        .await
        .conversation
        .conversation_id;
    // Bob drops; the messages he misses are replayed by his resume.
    let mut bob = bob;
    next_update(&mut bob).await;
    let resume = bob.resume();
    bob.drop_connection();
    for n in 0..3 {
        send(&mut alice, &me(), &id, &format!("k{n}"), &format!("m{n}")).await;
    }
    let mut bob = Client::connect(&server.url()).await;
    bob.hello().await;
    let logged_in = bob
        .login_ok("bob", &server.token("bob"), "", Some(resume))
        .await;
    assert!(logged_in.resumed);
    for n in 0..3 {
        assert_eq!(bob.next_message().await.seq, n + 1);
    }
    // A restart keeps the conversation, its messages and its keys.
    server.restart().await;
    let mut bob = server.login("bob").await;
    let Response::Synced(synced) = bob.ok(sync_all()).await else {
        panic!("synced expected")
    };
    assert_eq!(synced.conversations.len(), 1);
    assert_eq!(synced.conversations[0].head.last_seq, 3);
    assert_eq!(synced.conversations[0].head.unread_count, 3);
    let history = all_messages(&mut bob, &me(), &id).await;
    assert_eq!(
        history.iter().map(|m| m.seq).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    let mut alice = server.login("alice").await;
    assert_eq!(send(&mut alice, &me(), &id, "k0", "m0").await.seq, 1);
    assert_eq!(send(&mut alice, &me(), &id, "k3", "m3").await.seq, 4);
    assert_eq!(bob.next_message().await.seq, 4);
}
