//! Large communities through the real server (§9.5, §22): the switch between the fast
//! and the slow path at `large_community_members`, `focus` under load and across a
//! resume, exact counts for a client that never focuses, and typing, member and presence
//! events only to those who show them. The member list: `tests/member_list.rs`.
//!
//! The threshold is configured small (3 members) so a handful of raw clients make a large
//! community.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::large::*;
use common::*;
use community_protocol::focus::Focus;
use community_protocol::member_list::{ListRange, MemberListOp, SubscribeMemberList};
use community_protocol::request::*;
use community_protocol::*;

#[tokio::test]
async fn paths_switch_when_the_community_crosses_the_threshold() {
    let server = server().await;
    let (mut c, community, channel) = community(&server, &["bob", "carol"], false).await;
    // Three members: small, every message whole.
    let m1 = send(&mut c[0], &community, &channel, "k1", "one").await;
    let bob = &mut c[1];
    assert_eq!(bob.next_message().await.seq, m1.seq);
    // A fourth member makes it large; bob and carol are not told of her (only she is).
    let mut dave = server.login("dave").await;
    dave.ok(join(community.as_str())).await;
    let joined = dave
        .event_where(|e| matches!(e, Event::MemberJoined { .. } | Event::CommunityAdded { .. }))
        .await;
    assert!(matches!(joined, Event::CommunityAdded { .. }));
    let m2 = send(&mut c[0], &community, &channel, "k2", "two").await;
    let seen = events_until(&mut c[1], |e| activity_up_to(e, &channel, m2.seq)).await;
    assert!(
        !seen.iter().any(|e| matches!(e, Event::MemberJoined { .. })),
        "no member_joined of others in a large community: {seen:?}"
    );
    let Some(Event::ChannelActivity {
        first_seq,
        last_seq,
        unread,
        mentions,
        mentioned,
        ..
    }) = seen.last()
    else {
        unreachable!()
    };
    assert_eq!(
        (*first_seq, *last_seq, *unread, *mentions, *mentioned),
        (m2.seq, m2.seq, 1, 0, false)
    );
    // The sender's own session gets its message whole.
    let seen = events_until(&mut c[0], |e| is_message(e, m2.seq)).await;
    assert!(
        !seen
            .iter()
            .any(|e| matches!(e, Event::ChannelActivity { .. })),
        "{seen:?}"
    );
    // Focused: whole again, and the answer's head covers what came before.
    let head = focused(&mut c[1], focus(&community, &channel))
        .await
        .expect("a head");
    assert_eq!(head.last_seq, m2.seq);
    assert_eq!(head.unread_count, 2);
    let m3 = send(&mut c[0], &community, &channel, "k3", "three").await;
    assert_eq!(c[1].next_message().await.seq, m3.seq);
    // Carol never focused: activity for m3 (m2's window may have merged it).
    events_until(&mut c[2], |e| activity_up_to(e, &channel, m3.seq)).await;
    // Dave leaves: small again, whole to everyone (carol's pending activity first).
    dave.ok(Request::LeaveCommunity(community_ref(community.as_str())))
        .await;
    let m4 = send(&mut c[0], &community, &channel, "k4", "four").await;
    let seen = events_until(&mut c[2], |e| is_message(e, m4.seq)).await;
    assert!(
        seen.iter()
            .all(|e| !matches!(e, Event::ChannelActivity { last_seq, .. } if *last_seq >= m4.seq))
    );
    assert_eq!(c[1].next_message().await.seq, m4.seq);
}

#[tokio::test]
async fn focus_is_checked_like_get_messages() {
    let server = server().await;
    let (mut c, community, channel) = community(&server, &["bob"], false).await;
    let bob = &mut c[1];
    bob.fails(
        Request::Focus(Focus {
            community_id: Some(community.clone()),
            channel_id: None,
        }),
        ErrorCode::INVALID_ARGUMENT,
    )
    .await;
    bob.fails(
        Request::Focus(Focus {
            community_id: None,
            channel_id: Some(channel.clone()),
        }),
        ErrorCode::INVALID_ARGUMENT,
    )
    .await;
    bob.fails(
        focus(&"nowhere".into(), &channel),
        ErrorCode::COMMUNITY_NOT_FOUND,
    )
    .await;
    bob.fails(
        focus(&community, &"ch_none".into()),
        ErrorCode::CHANNEL_NOT_FOUND,
    )
    .await;
    bob.fails(
        focus(&CommunityId::direct(), &"dm_none".into()),
        ErrorCode::CONVERSATION_NOT_FOUND,
    )
    .await;
    let mut carol = server.login("carol").await;
    carol
        .fails(focus(&community, &channel), ErrorCode::NOT_MEMBER)
        .await;
    assert!(focused(bob, focus(&community, &channel)).await.is_some());
    assert_eq!(focused(bob, unfocus()).await, None);
}

#[tokio::test]
async fn counts_stay_exact_for_a_client_that_never_focuses() {
    let server = server().await;
    let (mut c, community, channel) = community(&server, &["bob", "carol", "dave"], true).await;
    let raid = match c[0]
        .ok(Request::CreateGroup(CreateGroup {
            community_id: community.clone(),
            name: "raid".into(),
            mentionable: true,
            ..Default::default()
        }))
        .await
    {
        Response::Group(group) => group.group_id,
        other => panic!("unexpected {other:?}"),
    };
    for user in ["bob", "carol"] {
        c[0].ok(Request::AssignGroup(MemberGroup {
            community_id: community.clone(),
            user_id: user.into(),
            group_id: raid.clone(),
        }))
        .await;
    }
    let before = head_of(&mut c[1], &community, &channel).await;
    let users = |u: &[&str]| Mentions {
        users: u.iter().map(|u| UserId::from(*u)).collect(),
        ..Default::default()
    };
    let sends = [
        (0, "plain", Mentions::default()),
        (0, "to bob", users(&["bob"])),
        (2, "to carol", users(&["carol"])),
        (
            0,
            "everyone",
            Mentions {
                everyone: true,
                ..Default::default()
            },
        ),
        (
            2,
            "raid",
            Mentions {
                groups: vec![raid.clone()],
                ..Default::default()
            },
        ),
        (1, "own", users(&["bob"])),
        (
            0,
            "bob twice",
            Mentions {
                users: vec!["bob".into()],
                groups: vec![raid.clone()],
                everyone: true,
            },
        ),
    ];
    let mut last = 0;
    for (i, (from, key, mentions)) in sends.into_iter().enumerate() {
        let sent = c[from]
            .ok(mentioning(
                &community,
                &channel,
                &format!("{key}{i}"),
                mentions,
            ))
            .await;
        let Response::MessageSent(message) = sent else {
            panic!("{sent:?}")
        };
        last = message.seq;
    }
    // A member joining writes a server message into the channel (unread for nobody).
    let mut erin = server.login("erin").await;
    erin.ok(join(community.as_str())).await;
    let after = head_of(&mut c[0], &community, &channel).await;
    assert!(after.last_seq > last, "the join message");
    // Bob sums what the activity told him, up to the channel's end.
    let (mut unread, mut mentions, mut next) = (0, 0, before.last_seq + 1);
    let mut whole = 0;
    while next <= after.last_seq {
        match c[1].next_event().await.1 {
            Event::ChannelActivity {
                channel_id,
                first_seq,
                last_seq,
                unread: u,
                mentions: m,
                mentioned,
                ..
            } if channel_id == channel && last_seq >= next => {
                assert_eq!(first_seq, next, "activity covers every sequence once");
                assert_eq!(mentioned, m > 0);
                unread += u;
                mentions += m;
                next = last_seq + 1;
            }
            Event::MessageCreated { message }
                if message.channel_id == channel && message.seq >= next =>
            {
                assert_eq!(
                    message.sender_id,
                    UserId::from("bob"),
                    "only his own come whole"
                );
                assert_eq!(message.seq, next);
                whole += 1;
                next = message.seq + 1;
            }
            _ => {}
        }
    }
    assert_eq!(whole, 1);
    let bob_head = head_of(&mut c[1], &community, &channel).await;
    assert_eq!(
        (
            unread + before.unread_count,
            mentions + before.mention_count
        ),
        (bob_head.unread_count, bob_head.mention_count)
    );
    assert_eq!((bob_head.unread_count, bob_head.mention_count), (6, 4));
}

/// Most messages the sender of the focus test sends (it stops once the switches are done).
const MAX_SENDS: u64 = 20_000;

#[tokio::test]
async fn focus_switches_under_load_lose_and_double_nothing() {
    let server = server().await;
    let (mut c, community, general) = community(&server, &["bob", "carol", "dave"], false).await;
    let other = match c[0]
        .ok(Request::CreateChannel(CreateChannel {
            community_id: community.clone(),
            name: "other".into(),
            ..Default::default()
        }))
        .await
    {
        Response::Channel(channel) => channel.channel_id,
        other => panic!("unexpected {other:?}"),
    };
    let channels = [general.clone(), other.clone()];
    let mut alice = c.remove(0);
    // Alice keeps sending, alternating the channels, until bob is done switching.
    let stop = Arc::new(AtomicBool::new(false));
    let sender = {
        let (community, channels, stop) = (community.clone(), channels.clone(), stop.clone());
        tokio::spawn(async move {
            let mut sent = [0u64; 2];
            for i in 0..MAX_SENDS {
                if i >= 20 && stop.load(Ordering::Relaxed) {
                    break;
                }
                let at = (i % 2) as usize;
                let message = send(
                    &mut alice,
                    &community,
                    &channels[at],
                    &format!("m{i}"),
                    "load",
                )
                .await;
                sent[at] = message.seq;
                // Alice reads nothing: keep her buffer small.
                alice.events.clear();
            }
            sent
        })
    };
    let bob = &mut c[0];
    // What bob learns of each channel: sequences whole, covered by activity, and heads.
    let mut whole: BTreeMap<ChannelId, Vec<u64>> = BTreeMap::new();
    let mut activity: BTreeMap<ChannelId, Vec<u64>> = BTreeMap::new();
    let mut heads: BTreeMap<ChannelId, u64> = BTreeMap::new();
    let note = |event: Event,
                whole: &mut BTreeMap<ChannelId, Vec<u64>>,
                activity: &mut BTreeMap<ChannelId, Vec<u64>>| match event {
        Event::MessageCreated { message } => whole
            .entry(message.channel_id)
            .or_default()
            .push(message.seq),
        Event::ChannelActivity {
            channel_id,
            first_seq,
            last_seq,
            ..
        } => activity
            .entry(channel_id)
            .or_default()
            .extend(first_seq..=last_seq),
        _ => {}
    };
    let switches = [
        Some(0),
        None,
        Some(1),
        Some(0),
        Some(1),
        None,
        Some(0),
        Some(1),
    ];
    for target in switches.iter().cycle().take(24) {
        let request = match target {
            Some(i) => focus(&community, &channels[*i]),
            None => unfocus(),
        };
        if let Some(head) = focused(bob, request).await {
            let seen = heads.entry(head.channel_id.clone()).or_default();
            *seen = (*seen).max(head.last_seq);
        }
        while let Some((_, event)) = bob.events.pop_front() {
            note(event, &mut whole, &mut activity);
        }
        // Let some messages arrive between switches.
        let (_, event) = bob.next_event().await;
        note(event, &mut whole, &mut activity);
    }
    stop.store(true, Ordering::Relaxed);
    let sent = sender.await.expect("sender");
    // The last messages arrive one way or the other (whole while focused, activity else).
    for (channel, per_channel) in channels.iter().zip(sent) {
        loop {
            let known = whole
                .get(channel)
                .into_iter()
                .flatten()
                .chain(activity.get(channel).into_iter().flatten())
                .copied()
                .max()
                .unwrap_or(0)
                .max(heads.get(channel).copied().unwrap_or(0));
            if known >= per_channel {
                break;
            }
            let (_, event) = bob.next_event().await;
            note(event, &mut whole, &mut activity);
        }
    }
    for (channel, per_channel) in channels.iter().zip(sent) {
        assert!(per_channel >= 10);
        let mut delivered: Vec<u64> = whole.get(channel).cloned().unwrap_or_default();
        delivered.extend(activity.get(channel).cloned().unwrap_or_default());
        let unique: BTreeSet<u64> = delivered.iter().copied().collect();
        assert_eq!(
            unique.len(),
            delivered.len(),
            "nothing doubled in {channel}"
        );
        let head = heads.get(channel).copied().unwrap_or(0);
        for seq in 1..=per_channel {
            assert!(
                seq <= head || unique.contains(&seq),
                "{seq} of {channel} lost"
            );
        }
    }
}

#[tokio::test]
async fn typing_and_member_events_reach_only_those_who_show_them() {
    let server = server().await;
    let (mut c, community, channel) = community(&server, &["bob", "carol", "dave"], false).await;
    focused(&mut c[1], focus(&community, &channel)).await;
    c[3].ok(Request::Typing(ChannelRef {
        community_id: community.clone(),
        channel_id: channel.clone(),
    }))
    .await;
    // Bob (focused) sees dave typing; carol does not, before alice's next message.
    let seen = events_until(&mut c[1], |e| matches!(e, Event::Typing { .. })).await;
    assert!(
        matches!(seen.last(), Some(Event::Typing { user_ids, .. }) if user_ids == &[UserId::from("dave")])
    );
    let marker = send(&mut c[0], &community, &channel, "marker", "after typing").await;
    let seen = events_until(&mut c[2], |e| activity_up_to(e, &channel, marker.seq)).await;
    assert!(
        !seen.iter().any(|e| matches!(e, Event::Typing { .. })),
        "{seen:?}"
    );
    // A nickname change is told to the member and to the sessions whose member list
    // ranges show them.
    c[2].ok(Request::SubscribeMemberList(SubscribeMemberList {
        community_id: community.clone(),
        ranges: vec![ListRange::new(0, 9)],
    }))
    .await;
    c[3].ok(Request::SetNickname(SetNickname {
        community_id: community.clone(),
        nickname: "Aardvark".into(),
    }))
    .await;
    let own = c[3]
        .event_where(|e| matches!(e, Event::MemberUpdated { .. }))
        .await;
    assert!(matches!(own, Event::MemberUpdated { member } if member.nickname == "Aardvark"));
    // Carol's range shows dave: she gets the event (the list still shows him as he was),
    // then the list's operations.
    let told = c[2]
        .event_where(|e| {
            matches!(
                e,
                Event::MemberListUpdate { .. } | Event::MemberUpdated { .. }
            )
        })
        .await;
    assert!(
        matches!(&told, Event::MemberUpdated { member } if member.nickname == "Aardvark"),
        "{told:?}"
    );
    let update = c[2]
        .event_where(|e| matches!(e, Event::MemberListUpdate { .. }))
        .await;
    let Event::MemberListUpdate { ops, .. } = update else {
        panic!("{update:?}")
    };
    assert!(ops.iter().any(
        |op| matches!(op, MemberListOp::Insert { item, .. } if item.display_name == "Aardvark")
    ));
    let marker = send(&mut c[0], &community, &channel, "marker2", "after nickname").await;
    let seen = events_until(&mut c[1], |e| is_message(e, marker.seq)).await;
    assert!(
        !seen
            .iter()
            .any(|e| matches!(e, Event::MemberUpdated { .. })),
        "{seen:?}"
    );
}

#[tokio::test]
async fn presence_in_a_large_community_reaches_subscribers_and_ranges() {
    let server = server().await;
    let (mut c, community, channel) =
        community(&server, &["bob", "carol", "dave", "erin"], false).await;
    // Bob views the community: the count, no presences.
    let viewing = match c[1]
        .ok(Request::ViewCommunity(ViewCommunity {
            community_id: Some(community.clone()),
        }))
        .await
    {
        Response::Viewing(viewing) => viewing,
        other => panic!("unexpected {other:?}"),
    };
    assert_eq!(viewing.online_count, 5);
    assert!(viewing.presences.is_empty(), "{viewing:?}");
    // Dave follows the whole list; erin subscribes to carol's presence.
    member_list(&mut c[3], subscribe(&community, &[(0, 9)])).await;
    c[4].ok(Request::SubscribePresence(UserIds {
        user_ids: vec!["carol".into()],
    }))
    .await;
    c[2].ok(Request::SetPresence(SetPresence {
        status: PresenceStatus::Idle,
        text: String::new(),
    }))
    .await;
    let is_carol = |e: &Event| {
        matches!(e, Event::PresenceChanged { presence }
            if presence.user_id == "carol" && presence.status == PresenceStatus::Idle)
    };
    c[3].event_where(is_carol).await;
    c[4].event_where(is_carol).await;
    let marker = send(&mut c[0], &community, &channel, "marker", "after idle").await;
    let seen = events_until(&mut c[1], |e| activity_up_to(e, &channel, marker.seq)).await;
    assert!(!seen.iter().any(is_carol), "{seen:?}");
}

#[tokio::test]
async fn pending_activity_survives_a_resume_and_focus_is_kept() {
    let server = server().await;
    let (mut c, community, channel) = community(&server, &["bob", "carol", "dave"], false).await;
    let other = match c[0]
        .ok(Request::CreateChannel(CreateChannel {
            community_id: community.clone(),
            name: "other".into(),
            ..Default::default()
        }))
        .await
    {
        Response::Channel(channel) => channel.channel_id,
        other => panic!("unexpected {other:?}"),
    };
    // Bob focuses `other`, then goes away while `general` is busy.
    focused(&mut c[1], focus(&community, &other)).await;
    let bob = c.remove(1);
    let resume = bob.resume();
    bob.close().await;
    let first = send(&mut c[0], &community, &channel, "a", "one").await;
    let mut last = first.seq;
    for i in 0..5 {
        last = send(&mut c[0], &community, &channel, &format!("b{i}"), "more")
            .await
            .seq;
    }
    let mut bob = Client::connect(&server.url()).await;
    bob.hello().await;
    let logged_in = bob
        .login_ok("bob", &server.token("bob"), "", Some(resume))
        .await;
    assert!(logged_in.resumed);
    // Every message of `general` is covered once by the activity replayed or pushed since.
    let mut next = first.seq;
    while next <= last {
        if let (
            _,
            Event::ChannelActivity {
                channel_id,
                first_seq,
                last_seq,
                ..
            },
        ) = bob.next_event().await
            && channel_id == channel
        {
            assert_eq!(first_seq, next);
            next = last_seq + 1;
        }
    }
    // The resumed session still focuses `other`: its messages come whole.
    let m = send(&mut c[0], &community, &other, "o", "in other").await;
    assert_eq!(bob.next_message().await.seq, m.seq);
}
