//! Large communities in the domain (§9.5): what the deliveries of a community above
//! `large_community_members` carry — the counting of a new message, the narrowed
//! audiences of count-neutral changes, typing and member events — and the reads of
//! `focus` and the member list.

use community_protocol::request::{EditMessage, MessageReaction};
use community_protocol::*;

use crate::routing::{Audience, Delivery};
use crate::test_support::{Env, send_message, text};

/// A community `g` of `members` (alice the owner first) where more than 3 is large.
fn env_with(members: &[&str]) -> (Env, String) {
    let env = Env::with_limits(Limits {
        large_community_members: 3,
        ..Limits::default()
    });
    let general = env.create("alice", "g").info.default_channel_id.to_string();
    for member in members {
        env.join(member, "g");
    }
    (env, general)
}

fn created(deliveries: &[Delivery]) -> &Delivery {
    deliveries
        .iter()
        .find(|d| matches!(d.event, Event::MessageCreated { .. }))
        .expect("a message_created")
}

#[test]
fn messages_carry_their_counting_once_the_community_is_large() {
    let (env, general) = env_with(&["bob"]);
    let small = env.ok(
        "alice",
        crate::test_support::send("g", &general, "k1", "hi"),
    );
    assert!(created(&small.deliveries).counting.is_none());
    env.join("carol", "g");
    env.join("dave", "g");
    let raid = env.group("alice", "g", "raid", Permissions::NONE);
    env.assign("alice", "g", "carol", raid.as_str());
    let mut message = send_message("g", &general, "k2", text("all of you"));
    message.mentions = Mentions {
        users: vec!["bob".into()],
        everyone: false,
        groups: vec![raid.clone()],
    };
    let large = env.ok("alice", Request::SendMessage(message));
    let counting = created(&large.deliveries)
        .counting
        .clone()
        .expect("counting in a large community");
    assert_eq!(counting.sender_id, UserId::from("alice"));
    assert!(!counting.unread_for(&"alice".into()));
    assert!(counting.mentions(&"bob".into()));
    assert!(counting.mentions(&"carol".into()), "through the group");
    assert!(!counting.mentions(&"dave".into()));
    assert!(counting.unread_for(&"dave".into()));
    // The holders' set is shared while the access stays the same.
    let mut again = send_message("g", &general, "k3", text("again"));
    again.mentions.groups = vec![raid];
    let again = env.ok("alice", Request::SendMessage(again));
    let again = created(&again.deliveries)
        .counting
        .clone()
        .expect("counting");
    assert!(std::sync::Arc::ptr_eq(
        counting.group_holders.as_ref().expect("holders"),
        again.group_holders.as_ref().expect("holders")
    ));
}

#[test]
fn count_neutral_changes_typing_and_member_events_are_narrowed() {
    let (env, general) = env_with(&["bob", "carol", "dave"]);
    let seq = env.send("bob", "g", &general, "k", "hello").seq;
    let reacted = env.ok(
        "carol",
        Request::AddReaction(MessageReaction {
            community_id: "g".into(),
            channel_id: general.as_str().into(),
            seq,
            emoji: "👍".into(),
        }),
    );
    let Some(Audience::Focused(focused)) = reacted.deliveries.first().map(|d| &d.audience) else {
        panic!("{:?}", reacted.deliveries);
    };
    assert_eq!(focused.also, [UserId::from("carol")]);
    // An edit that changes the mentions moves counts: everyone.
    let edited = env.ok(
        "bob",
        Request::EditMessage(EditMessage {
            community_id: "g".into(),
            channel_id: general.as_str().into(),
            seq,
            idempotency_key: "e1".into(),
            content: Some(text("hello @carol")),
            mentions: Some(Mentions {
                users: vec!["carol".into()],
                ..Default::default()
            }),
            custom_data: None,
        }),
    );
    assert!(matches!(
        edited.deliveries.first().map(|d| &d.audience),
        Some(Audience::Community(_))
    ));
    // Typing: the focused sessions.
    let typing = env
        .domain
        .typing_audience(&"dave".into(), &"g".into(), &general.as_str().into())
        .expect("typing");
    assert!(matches!(typing, Audience::Focused(_)));
    // A joining member is told to themselves only; the one who leaves to nobody.
    let joined = env.ok("erin", crate::test_support::join("g"));
    let member_joined = joined
        .deliveries
        .iter()
        .find(|d| matches!(d.event, Event::MemberJoined { .. }))
        .expect("member_joined");
    assert_eq!(member_joined.audience, Audience::Users(vec!["erin".into()]));
    let left = env.ok(
        "erin",
        Request::LeaveCommunity(request::CommunityRef {
            community_id: "g".into(),
        }),
    );
    let member_left = left
        .deliveries
        .iter()
        .find(|d| matches!(d.event, Event::MemberLeft { .. }))
        .expect("member_left");
    assert_eq!(member_left.audience, Audience::Users(Vec::new()));
}

#[test]
fn focus_and_member_list_reads() {
    let (env, general) = env_with(&["bob", "carol", "dave"]);
    env.send("alice", "g", &general, "k", "hello");
    let (head, large) = env
        .domain
        .focus_head(&"bob".into(), &"g".into(), &general.as_str().into())
        .expect("focus");
    assert!(large);
    assert_eq!((head.last_seq, head.unread_count), (1, 1));
    let code = |r: Result<(ChannelHead, bool), ApiError>| r.map(|_| ()).unwrap_err().code;
    assert_eq!(
        code(
            env.domain
                .focus_head(&"zed".into(), &"g".into(), &general.as_str().into())
        ),
        ErrorCode::NOT_MEMBER
    );
    assert_eq!(
        code(
            env.domain
                .focus_head(&"bob".into(), &"g".into(), &"nope".into())
        ),
        ErrorCode::CHANNEL_NOT_FOUND
    );
    let raid = env.group("alice", "g", "raid", Permissions::NONE);
    env.assign("alice", "g", "carol", raid.as_str());
    let rows = env
        .domain
        .member_list_rows(&"bob".into(), &"g".into(), None)
        .expect("rows");
    assert_eq!(rows.rows.len(), 4);
    assert!(rows.positions.contains_key(&raid));
    let carol = rows
        .rows
        .iter()
        .find(|r| r.user_id == "carol")
        .expect("carol");
    assert_eq!(carol.group_id.as_ref(), Some(&raid));
    let one = env
        .domain
        .member_list_rows(
            &"bob".into(),
            &"g".into(),
            Some(&["dave".into(), "zed".into()]),
        )
        .expect("rows");
    assert_eq!(one.rows.len(), 1);
    assert_eq!(
        env.domain.large_community_ids().expect("ids"),
        [CommunityId::from("g")]
    );
}
