//! Communities over the wire: the happy path across three users, every permission denial
//! the product names, and every limit the product names.

mod common;

use std::collections::BTreeMap;

use common::*;
use community_protocol::request::*;
use community_protocol::response::{AttributesOutcome, MembersPage, UsersOutcome};
use community_protocol::*;

async fn join_ok(client: &mut Client, community: &str) -> CommunitySnapshot {
    match client.ok(join(community)).await {
        Response::Community(snapshot) => snapshot,
        other => panic!("unexpected {other:?}"),
    }
}

fn member_ref(community: &str, user: &str) -> MemberRef {
    MemberRef {
        community_id: community.into(),
        user_id: user.into(),
    }
}

#[tokio::test]
async fn three_users_create_join_chat_and_read_history() {
    let server = TestServer::start().await;
    let mut alice = server.login("alice").await;
    let mut bob = server.login("bob").await;
    let mut carol = server.login("carol").await;

    let guild = create_community(&mut alice, "Guild").await;
    let id = guild.info.community_id.clone();
    assert_eq!(guild.me.role, Role::Owner);
    assert!(matches!(
        alice.next_event().await.1,
        Event::CommunityAdded { .. }
    ));

    let joined = join_ok(&mut bob, id.as_str()).await;
    assert_eq!(joined.info.member_count, 2);
    join_ok(&mut carol, id.as_str()).await;
    let joined_event = alice
        .event_where(
            |e| matches!(e, Event::MemberJoined { member, .. } if member.user_id == "carol"),
        )
        .await;
    assert!(matches!(
        joined_event,
        Event::MemberJoined {
            member_count: 3,
            ..
        }
    ));

    let channel = match alice
        .ok(Request::CreateChannel(CreateChannel {
            community_id: id.clone(),
            name: "raids".into(),
            ..Default::default()
        }))
        .await
    {
        Response::Channel(channel) => channel,
        other => panic!("unexpected {other:?}"),
    };
    let ch = channel.channel_id.clone();
    for client in [&mut bob, &mut carol] {
        let added = client
            .event_where(
                |e| matches!(e, Event::ChannelAdded { channel, .. } if channel.channel_id == ch),
            )
            .await;
        assert!(matches!(added, Event::ChannelAdded { .. }));
    }

    let first = send(&mut bob, &id, &ch, "k1", "hello from bob").await;
    let second = send(&mut carol, &id, &ch, "k1", "hello from carol").await;
    assert_eq!((first.seq, second.seq), (1, 2));
    for client in [&mut alice, &mut bob, &mut carol] {
        let got: Vec<(u64, UserId)> =
            vec![client.next_message().await, client.next_message().await]
                .into_iter()
                .map(|m| (m.seq, m.sender_id))
                .collect();
        assert_eq!(got, vec![(1, "bob".into()), (2, "carol".into())]);
    }

    let history = all_messages(&mut alice, &id, &ch).await;
    let texts: Vec<_> = history
        .iter()
        .map(|m| match &m.content {
            MessageContent::Text { text } => text.as_str(),
            _ => "",
        })
        .collect();
    assert_eq!(texts, ["hello from bob", "hello from carol"]);
    match alice
        .ok(Request::ListMembers(ListMembers {
            community_id: id.clone(),
            query: None,
            cursor: None,
            limit: None,
            group_id: None,
            field: None,
        }))
        .await
    {
        Response::Members(MembersPage { total_count, .. }) => assert_eq!(total_count, 3),
        other => panic!("unexpected {other:?}"),
    }
}

struct Fixture {
    _server: TestServer,
    alice: Client,
    bob: Client,
    carol: Client,
    dave: Client,
    id: CommunityId,
    default_channel: ChannelId,
}

/// alice owns a community; bob is an admin; carol and dave are members.
async fn fixture() -> Fixture {
    let server = TestServer::start().await;
    let mut alice = server.login("alice").await;
    let mut bob = server.login("bob").await;
    let mut carol = server.login("carol").await;
    let mut dave = server.login("dave").await;
    let guild = create_community(&mut alice, "Guild").await;
    let id = guild.info.community_id.clone();
    for client in [&mut bob, &mut carol, &mut dave] {
        join_ok(client, id.as_str()).await;
    }
    let request = Request::SetMemberRole(SetMemberRole {
        community_id: id.clone(),
        user_id: "bob".into(),
        role: Role::Admin,
    });
    alice.ok(request).await;
    Fixture {
        _server: server,
        alice,
        bob,
        carol,
        dave,
        default_channel: guild.info.default_channel_id,
        id,
    }
}

#[tokio::test]
async fn members_cannot_kick_and_admins_cannot_kick_the_owner() {
    let mut f = fixture().await;
    f.carol
        .fails(
            Request::KickMember(member_ref(f.id.as_str(), "dave")),
            ErrorCode::PERMISSION_DENIED,
        )
        .await;
    f.bob
        .fails(
            Request::KickMember(member_ref(f.id.as_str(), "alice")),
            ErrorCode::CANNOT_ACT_ON_OWNER,
        )
        .await;
    // The admin may kick an ordinary member, who is told.
    assert_eq!(
        f.bob
            .ok(Request::KickMember(member_ref(f.id.as_str(), "dave")))
            .await,
        Response::Ok
    );
    let removed = f
        .dave
        .event_where(|e| matches!(e, Event::CommunityRemoved { .. }))
        .await;
    assert!(matches!(
        removed,
        Event::CommunityRemoved {
            reason: RemovalReason::Kicked,
            ..
        }
    ));
}

#[tokio::test]
async fn non_members_of_a_private_channel_cannot_read_it() {
    let mut f = fixture().await;
    let request = Request::CreateChannel(CreateChannel {
        community_id: f.id.clone(),
        name: "staff".into(),
        private: true,
        member_ids: vec!["dave".into()],
        ..Default::default()
    });
    let Response::Channel(channel) = f.alice.ok(request).await else {
        panic!("no channel")
    };
    let ch = channel.channel_id;
    send(&mut f.alice, &f.id, &ch, "s1", "secret plans").await;
    f.carol
        .fails(
            history_after(f.id.as_str(), ch.as_str(), 0, None),
            ErrorCode::NOT_CHANNEL_MEMBER,
        )
        .await;
    f.carol
        .fails(
            send_text(f.id.as_str(), ch.as_str(), "c1", "let me in"),
            ErrorCode::NOT_CHANNEL_MEMBER,
        )
        .await;
    assert_eq!(all_messages(&mut f.dave, &f.id, &ch).await.len(), 1);
    // The secret never reached carol: her next message event is from the default channel.
    send(&mut f.alice, &f.id, &f.default_channel, "p1", "public").await;
    let message = f.carol.next_message().await;
    assert_eq!(message.channel_id, f.default_channel);
}

#[tokio::test]
async fn muted_members_and_mute_all_cannot_send() {
    let mut f = fixture().await;
    let until = 4_102_444_800_000; // 2100-01-01
    let request = Request::MuteMember(MuteMember {
        community_id: f.id.clone(),
        user_id: "carol".into(),
        until_ms: Some(until),
    });
    f.alice.ok(request).await;
    f.carol
        .fails(
            send_text(f.id.as_str(), f.default_channel.as_str(), "c1", "hi"),
            ErrorCode::MUTED,
        )
        .await;
    send(
        &mut f.dave,
        &f.id,
        &f.default_channel,
        "d1",
        "still allowed",
    )
    .await;
    f.alice
        .ok(Request::SetMuteAll(SetMuteAll {
            community_id: f.id.clone(),
            muted: true,
        }))
        .await;
    f.dave
        .fails(
            send_text(f.id.as_str(), f.default_channel.as_str(), "d2", "hi"),
            ErrorCode::MUTE_ALL,
        )
        .await;
    send(&mut f.bob, &f.id, &f.default_channel, "b1", "admins speak").await;
    send(
        &mut f.alice,
        &f.id,
        &f.default_channel,
        "a1",
        "owners speak",
    )
    .await;
}

#[tokio::test]
async fn every_named_limit_answers_with_its_code() {
    let mut f = fixture().await;
    let long = "n".repeat(301);
    f.alice
        .fails(create(&long, None), ErrorCode::NAME_TOO_LONG)
        .await;
    create_community(&mut f.alice, &"n".repeat(300)).await;

    let ten: BTreeMap<String, String> = (0..10).map(|i| (format!("k{i}"), "v".into())).collect();
    let set = |attributes| {
        Request::SetAttributes(SetAttributes {
            community_id: f.id.clone(),
            attributes,
        })
    };
    match f.alice.ok(set(ten)).await {
        Response::Attributes(AttributesOutcome { attributes, failed }) => {
            assert_eq!((attributes.len(), failed.len()), (10, 0))
        }
        other => panic!("unexpected {other:?}"),
    }
    let eleventh = BTreeMap::from([("k10".to_string(), "v".to_string())]);
    match f.alice.ok(set(eleventh)).await {
        Response::Attributes(AttributesOutcome { attributes, failed }) => {
            assert_eq!(attributes.len(), 10);
            assert_eq!(failed.len(), 1);
            assert_eq!(failed[0].error.code, ErrorCode::TOO_MANY_ATTRIBUTES);
        }
        other => panic!("unexpected {other:?}"),
    }

    let page = Request::ListMembers(ListMembers {
        community_id: f.id.clone(),
        query: None,
        cursor: None,
        limit: Some(101),
        group_id: None,
        field: None,
    });
    f.alice.fails(page, ErrorCode::PAGE_SIZE_TOO_LARGE).await;
    f.alice
        .fails(
            history_after(f.id.as_str(), f.default_channel.as_str(), 0, Some(101)),
            ErrorCode::PAGE_SIZE_TOO_LARGE,
        )
        .await;

    let invitees: Vec<UserId> = (0..101).map(|i| format!("user{i}").into()).collect();
    let invite = |user_ids| {
        Request::InviteMembers(InviteMembers {
            community_id: f.id.clone(),
            user_ids,
        })
    };
    f.alice
        .fails(invite(invitees.clone()), ErrorCode::TOO_MANY_INVITEES)
        .await;
    match f.alice.ok(invite(invitees[..100].to_vec())).await {
        Response::Users(UsersOutcome { succeeded, failed }) => {
            assert_eq!((succeeded.len(), failed.len()), (100, 0))
        }
        other => panic!("unexpected {other:?}"),
    }
}
