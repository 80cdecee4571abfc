//! Roles and permissions over the wire: groups and their events, visibility following
//! overrides and assignments (online and after a resume, to exactly the right users),
//! bans, hierarchy refusals, channel notification levels on every device.

mod common;

use common::*;
use community_protocol::request::*;
use community_protocol::*;

/// Reads events until the next `message_created`; returns the events before it (their
/// kinds and the channels they name) and the message.
async fn until_message(client: &mut Client) -> (Vec<String>, Message) {
    let mut before = Vec::new();
    for _ in 0..1_000 {
        let (_, event) = client.next_event().await;
        match event {
            Event::MessageCreated { message } => return (before, message),
            other => before.push(describe(&other)),
        }
    }
    panic!("no message among 1,000 events")
}

/// Whether a described event adds or removes a channel.
fn moves(described: &str) -> bool {
    described.starts_with("channel_added") || described.starts_with("channel_removed")
}

/// `kind` or `kind:channel` for the events about a channel.
fn describe(event: &Event) -> String {
    match event {
        Event::ChannelAdded { channel, .. } => format!("channel_added:{}", channel.name),
        Event::ChannelRemoved { channel_id, .. } => format!("channel_removed:{channel_id}"),
        other => other.kind().to_owned(),
    }
}

async fn group(
    client: &mut Client,
    community: &CommunityId,
    name: &str,
    flags: Permissions,
) -> GroupId {
    match client
        .ok(Request::CreateGroup(CreateGroup {
            community_id: community.clone(),
            name: name.into(),
            permissions: flags,
            ..Default::default()
        }))
        .await
    {
        Response::Group(group) => group.group_id,
        other => panic!("unexpected {other:?}"),
    }
}

fn assign(community: &CommunityId, user: &str, group: &GroupId) -> Request {
    Request::AssignGroup(MemberGroup {
        community_id: community.clone(),
        user_id: user.into(),
        group_id: group.clone(),
    })
}

fn hide_from(
    community: &CommunityId,
    channel: &ChannelId,
    target: OverrideTarget,
    allow: bool,
) -> Request {
    let (allow, deny) = if allow {
        (Permissions::VIEW_CHANNEL, Permissions::NONE)
    } else {
        (Permissions::NONE, Permissions::VIEW_CHANNEL)
    };
    Request::SetChannelOverride(SetChannelOverride {
        community_id: community.clone(),
        channel_id: channel.clone(),
        rule: Override {
            target,
            allow,
            deny,
        },
    })
}

#[tokio::test]
async fn visibility_follows_overrides_online_and_after_a_resume() {
    let server = TestServer::start().await;
    let mut alice = server.login("alice").await;
    let guild = create_community(&mut alice, "Guild").await;
    let id = guild.info.community_id.clone();
    let general = guild.info.default_channel_id.clone();
    let Response::Channel(staff) = alice
        .ok(Request::CreateChannel(CreateChannel {
            community_id: id.clone(),
            name: "staff".into(),
            ..Default::default()
        }))
        .await
    else {
        panic!("channel expected")
    };
    let staff_id = staff.channel_id.clone();
    let mut bob = server.login("bob").await;
    let mut carol = server.login("carol").await;
    let mut erin = server.login("erin").await;
    for client in [&mut bob, &mut carol, &mut erin] {
        client.ok(join(id.as_str())).await;
    }
    let team = group(&mut alice, &id, "team", Permissions::NONE).await;
    alice.ok(assign(&id, "bob", &team)).await;
    alice
        .ok(hide_from(
            &id,
            &staff_id,
            OverrideTarget::Group {
                group_id: team.clone(),
            },
            true,
        ))
        .await;
    // erin goes away (her session lingers).
    send(&mut bob, &id, &general, "mark", "mark").await;
    for client in [&mut bob, &mut carol, &mut erin] {
        assert_eq!(client.next_message().await.idempotency_key, "mark");
    }
    let resume = erin.resume();
    erin.drop_connection();

    // @everyone loses the channel: carol and erin lose it, bob (team) keeps it.
    alice
        .ok(hide_from(
            &id,
            &staff_id,
            OverrideTarget::Group {
                group_id: GroupId::everyone(),
            },
            false,
        ))
        .await;
    send(&mut bob, &id, &staff_id, "s1", "team only").await;
    send(&mut alice, &id, &general, "g1", "to everyone").await;
    let (before, message) = until_message(&mut carol).await;
    assert_eq!(
        message.channel_id, general,
        "carol never gets the staff message"
    );
    assert!(
        before.contains(&format!("channel_removed:{staff_id}")),
        "{before:?}"
    );
    let (before, message) = until_message(&mut bob).await;
    assert_eq!(message.channel_id, staff_id);
    assert!(!before.iter().any(|e| moves(e)), "{before:?}");

    // erin resumes: the removal waited in her ring, the staff message never did.
    let mut erin = Client::connect(&server.url()).await;
    erin.hello().await;
    let logged_in = erin
        .login_ok("erin", &server.token("erin"), "", Some(resume))
        .await;
    assert!(logged_in.resumed);
    let (before, message) = until_message(&mut erin).await;
    assert!(
        before.contains(&format!("channel_removed:{staff_id}")),
        "{before:?}"
    );
    assert_eq!(message.channel_id, general);
    let Response::Community(snapshot) = erin
        .ok(Request::GetCommunity(community_ref(id.as_str())))
        .await
    else {
        panic!()
    };
    assert!(snapshot.channels.iter().all(|c| c.channel_id != staff_id));

    // carol joins the team: she alone gains it, reading from its end.
    alice.ok(assign(&id, "carol", &team)).await;
    send(&mut alice, &id, &general, "g2", "after").await;
    let (before, _) = until_message(&mut carol).await;
    assert!(
        before.contains(&"channel_added:staff".to_owned()),
        "{before:?}"
    );
    let (before, _) = until_message(&mut erin).await;
    assert!(!before.iter().any(|e| moves(e)), "{before:?}");
    let Response::Heads(heads) = carol
        .ok(Request::GetHeads(community_ref(id.as_str())))
        .await
    else {
        panic!()
    };
    let head = heads
        .heads
        .iter()
        .find(|h| h.channel_id == staff_id)
        .expect("head");
    assert_eq!((head.last_seq, head.read_seq, head.unread_count), (1, 1, 0));
}

#[tokio::test]
async fn groups_bans_and_the_hierarchy_over_the_wire() {
    let server = TestServer::start().await;
    let mut alice = server.login("alice").await;
    let guild = create_community(&mut alice, "Guild").await;
    let id = guild.info.community_id.clone();
    let general = guild.info.default_channel_id.clone();
    let mut bob = server.login("bob").await;
    let mut carol = server.login("carol").await;
    bob.ok(join(id.as_str())).await;
    carol.ok(join(id.as_str())).await;

    let mods = group(
        &mut alice,
        &id,
        "mods",
        Permissions::BAN_MEMBERS.union(Permissions::KICK_MEMBERS),
    )
    .await;
    let Event::GroupsChanged {
        groups, version, ..
    } = carol
        .event_where(|e| matches!(e, Event::GroupsChanged { .. }))
        .await
    else {
        unreachable!()
    };
    assert_eq!(groups.len(), 2);
    assert!(version > guild.info.version);
    alice.ok(assign(&id, "bob", &mods)).await;
    alice.ok(assign(&id, "carol", &mods)).await;
    let ban = |user: &str| {
        Request::BanMember(BanMember {
            community_id: id.clone(),
            user_id: user.into(),
            until_ms: None,
            reason: "spam".into(),
        })
    };
    // bob and carol rank alike: neither bans the other.
    bob.fails(ban("carol"), ErrorCode::CANNOT_ACT_ON_HIGHER)
        .await;
    alice
        .ok(Request::UnassignGroup(MemberGroup {
            community_id: id.clone(),
            user_id: "carol".into(),
            group_id: mods.clone(),
        }))
        .await;
    bob.ok(ban("carol")).await;
    let removed = carol
        .event_where(|e| matches!(e, Event::CommunityRemoved { .. }))
        .await;
    assert!(matches!(
        removed,
        Event::CommunityRemoved {
            reason: RemovalReason::Banned,
            ..
        }
    ));
    let left = alice
        .event_where(|e| matches!(e, Event::MemberLeft { .. }))
        .await;
    assert!(matches!(
        left,
        Event::MemberLeft {
            reason: RemovalReason::Banned,
            ..
        }
    ));
    carol.fails(join(id.as_str()), ErrorCode::BANNED).await;
    let Response::Bans(list) = bob.ok(Request::ListBans(community_ref(id.as_str()))).await else {
        panic!()
    };
    assert_eq!(list.bans.len(), 1);
    assert_eq!(
        (list.bans[0].user_id.as_str(), list.bans[0].by.as_str()),
        ("carol", "bob")
    );
    bob.ok(Request::UnbanMember(MemberRef {
        community_id: id.clone(),
        user_id: "carol".into(),
    }))
    .await;
    carol.ok(join(id.as_str())).await;
    send(&mut alice, &id, &general, "k", "welcome back").await;
    assert_eq!(carol.next_message().await.channel_id, general);
}

#[tokio::test]
async fn a_notification_level_reaches_the_users_other_devices() {
    let server = TestServer::start().await;
    let mut alice = server.login("alice").await;
    let guild = create_community(&mut alice, "Guild").await;
    let id = guild.info.community_id.clone();
    let general = guild.info.default_channel_id.clone();
    let mut phone = server.login("bob").await;
    phone.ok(join(id.as_str())).await;
    let mut laptop = server.login("bob").await;
    let Response::ReadState(head) = phone
        .ok(Request::SetChannelNotification(SetChannelNotification {
            community_id: id.clone(),
            channel_id: general.clone(),
            level: ChannelNotification::MentionsOnly,
        }))
        .await
    else {
        panic!()
    };
    assert_eq!(head.notification_level, ChannelNotification::MentionsOnly);
    let Event::ReadStateChanged { head } = laptop
        .event_where(|e| matches!(e, Event::ReadStateChanged { .. }))
        .await
    else {
        unreachable!()
    };
    assert_eq!(
        (head.channel_id.clone(), head.notification_level),
        (general, ChannelNotification::MentionsOnly)
    );
}

#[tokio::test]
async fn mute_all_group_mentions_and_member_fields_over_the_wire() {
    let server = TestServer::start().await;
    let mut alice = server.login("alice").await;
    let guild = create_community(&mut alice, "Guild").await;
    let id = guild.info.community_id.clone();
    let general = guild.info.default_channel_id.clone();
    let mut bob = server.login("bob").await;
    let mut carol = server.login("carol").await;
    bob.ok(join(id.as_str())).await;
    carol.ok(join(id.as_str())).await;
    let raid = group(&mut alice, &id, "raid", Permissions::NONE).await;
    alice.ok(assign(&id, "bob", &raid)).await;

    // A group mention: alice (owner) may mention any group; bob counts it, carol not.
    let mut p = match send_text(id.as_str(), general.as_str(), "m1", "@raid go") {
        Request::SendMessage(p) => p,
        _ => unreachable!(),
    };
    p.mentions.groups = vec![raid.clone()];
    alice.ok(Request::SendMessage(p)).await;
    let counts = |heads: Response| match heads {
        Response::Heads(heads) => (heads.heads[0].unread_count, heads.heads[0].mention_count),
        other => panic!("unexpected {other:?}"),
    };
    let heads = bob.ok(Request::GetHeads(community_ref(id.as_str()))).await;
    assert_eq!(counts(heads), (1, 1));
    let heads = carol
        .ok(Request::GetHeads(community_ref(id.as_str())))
        .await;
    assert_eq!(counts(heads), (1, 0));

    // Channel mute-all: members without mute_members are silenced there.
    alice
        .ok(Request::UpdateChannel(UpdateChannel {
            community_id: id.clone(),
            channel_id: general.clone(),
            mute_all: Some(true),
            ..Default::default()
        }))
        .await;
    let updated = carol
        .event_where(|e| matches!(e, Event::ChannelUpdated { .. }))
        .await;
    assert!(matches!(updated, Event::ChannelUpdated { channel, .. } if channel.mute_all));
    carol
        .fails(
            send_text(id.as_str(), general.as_str(), "c1", "x"),
            ErrorCode::MUTE_ALL,
        )
        .await;

    // Fields, set by oneself, filter the member list.
    bob.ok(Request::SetMemberFields(SetMemberFields {
        community_id: id.clone(),
        user_id: "bob".into(),
        fields: [("team".to_owned(), "red".to_owned())].into(),
    }))
    .await;
    let Response::Members(page) = carol
        .ok(Request::ListMembers(ListMembers {
            community_id: id.clone(),
            query: None,
            group_id: Some(raid.clone()),
            field: Some(FieldFilter {
                key: "team".into(),
                value: "red".into(),
            }),
            cursor: None,
            limit: None,
        }))
        .await
    else {
        panic!()
    };
    assert_eq!(page.total_count, 1);
    assert_eq!(page.page.items[0].user_id, "bob");
}
