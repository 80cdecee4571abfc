use std::collections::BTreeMap;

use community_protocol::request::*;
use community_protocol::response::Heads;
use community_protocol::{
    ErrorCode, Event, Mentions, NotificationStatus, Request, Response, UserId,
};

use crate::routing::Audience;
use crate::test_support::*;

fn guild() -> (Env, String) {
    let env = Env::new();
    let general = env.create("alice", "g").info.default_channel_id;
    env.join("bob", "g");
    // Ordinary members mention @everyone only with `mention_everyone`.
    env.grant_everyone(
        "alice",
        "g",
        community_protocol::Permissions::MENTION_EVERYONE,
    );
    (env, general.to_string())
}

fn mention(env: &Env, sender: &str, channel: &str, key: &str, users: &[&str], everyone: bool) {
    let mut p = send_message("g", channel, key, text("@"));
    p.mentions = Mentions {
        users: users.iter().map(|u| (*u).into()).collect(),
        everyone,
        groups: Vec::new(),
    };
    env.ok(sender, Request::SendMessage(p));
}

#[test]
fn an_empty_mentioned_id_is_refused_not_read_as_everyone() {
    let (env, general) = guild();
    let mut p = send_message("g", &general, "e1", text("@"));
    p.mentions = Mentions {
        users: vec![String::new().into()],
        everyone: false,
        groups: Vec::new(),
    };
    assert_eq!(
        env.err("bob", Request::SendMessage(p)),
        ErrorCode::INVALID_USER_ID
    );
    mention(&env, "bob", &general, "e2", &["bob"], false);
    let alice = env.head("alice", "g", &general);
    assert_eq!((alice.unread_count, alice.mention_count), (1, 0));
}

#[test]
fn unread_and_mention_arithmetic() {
    let (env, general) = guild();
    env.send("alice", "g", &general, "a1", "one"); // 1
    env.send("alice", "g", &general, "a2", "two"); // 2
    mention(&env, "bob", &general, "b1", &["alice"], false); // 3: mentions alice
    mention(&env, "bob", &general, "b2", &["alice", "alice"], true); // 4: alice + everyone
    mention(&env, "alice", &general, "a3", &[], true); // 5: alice's own @everyone
    env.send("bob", "g", &general, "b3", "plain"); // 6

    let alice = env.head("alice", "g", &general);
    assert_eq!((alice.last_seq, alice.read_seq), (6, 0));
    assert_eq!(
        (alice.unread_count, alice.mention_count),
        (3, 2),
        "bob's 3 messages; 2 mention her"
    );
    let bob = env.head("bob", "g", &general);
    assert_eq!(
        (bob.unread_count, bob.mention_count),
        (3, 1),
        "alice's 3; only her @everyone counts"
    );

    let Response::ReadState(head) = env.ok("alice", mark_read("g", &general, 3)).response else {
        panic!()
    };
    assert_eq!(
        (head.read_seq, head.unread_count, head.mention_count),
        (3, 2, 1)
    );
    let Response::ReadState(head) = env.ok("bob", mark_read("g", &general, 4)).response else {
        panic!()
    };
    assert_eq!((head.unread_count, head.mention_count), (1, 1));
    let Response::ReadState(head) = env.ok("bob", mark_read("g", &general, 6)).response else {
        panic!()
    };
    assert_eq!((head.unread_count, head.mention_count), (0, 0));
}

#[test]
fn mark_read_clamps_and_never_goes_back() {
    let (env, general) = guild();
    for i in 0..5 {
        env.send("alice", "g", &general, &format!("k{i}"), "m");
    }
    let handled = env.ok("bob", mark_read("g", &general, 3));
    assert_eq!(handled.deliveries.len(), 1);
    assert_eq!(
        handled.deliveries[0].audience,
        Audience::OtherSessionsOfCaller
    );
    assert!(
        matches!(&handled.deliveries[0].event, Event::ReadStateChanged { head } if head.read_seq == 3)
    );
    let handled = env.ok("bob", mark_read("g", &general, 2));
    assert!(handled.deliveries.is_empty(), "moving back changes nothing");
    assert!(
        matches!(handled.response, Response::ReadState(ref h) if h.read_seq == 3 && h.unread_count == 2)
    );
    let Response::ReadState(head) = env.ok("bob", mark_read("g", &general, 1_000)).response else {
        panic!()
    };
    assert_eq!(
        (head.read_seq, head.unread_count),
        (5, 0),
        "clamped to last_seq"
    );
    assert!(
        env.ok("bob", mark_read("g", &general, 1_000))
            .deliveries
            .is_empty()
    );
    assert_eq!(
        env.err("carol", mark_read("g", &general, 1)),
        ErrorCode::NOT_MEMBER
    );
    assert_eq!(
        env.err("bob", mark_read("g", "ch_missing", 1)),
        ErrorCode::CHANNEL_NOT_FOUND
    );
}

#[test]
fn history_before_joining_is_not_unread() {
    let (env, general) = guild();
    for i in 0..5 {
        env.send("alice", "g", &general, &format!("k{i}"), "m");
    }
    let snapshot = env.join("carol", "g");
    assert_eq!(snapshot.heads[0].read_seq, 5);
    assert_eq!(snapshot.heads[0].unread_count, 0);
    env.send("alice", "g", &general, "k9", "new");
    let head = env.head("carol", "g", &general);
    assert_eq!((head.last_seq, head.unread_count), (6, 1));
    // Leaving forgets the position; rejoining starts at the end again.
    env.ok(
        "carol",
        Request::LeaveCommunity(CommunityRef {
            community_id: "g".into(),
        }),
    );
    env.join("carol", "g");
    assert_eq!(env.head("carol", "g", &general).unread_count, 0);
}

#[test]
fn heads_cover_every_visible_channel() {
    let (env, general) = guild();
    let news = env.channel("alice", "g", "news", false);
    let secret = env.channel("alice", "g", "secret", true);
    env.send("alice", "g", &news, "k", "n");
    let heads = |user: &str| {
        let Response::Heads(Heads { heads }) = env
            .ok(
                user,
                Request::GetHeads(CommunityRef {
                    community_id: "g".into(),
                }),
            )
            .response
        else {
            panic!()
        };
        heads
            .into_iter()
            .map(|h| (h.channel_id, h.unread_count))
            .collect::<BTreeMap<_, _>>()
    };
    let bob = heads("bob");
    assert_eq!(bob.len(), 2);
    assert_eq!(bob[news.as_str()], 1);
    assert_eq!(bob[general.as_str()], 0);
    assert!(heads("alice").contains_key(secret.as_str()));
    assert_eq!(
        env.err(
            "carol",
            Request::GetHeads(CommunityRef {
                community_id: "g".into()
            })
        ),
        ErrorCode::NOT_MEMBER
    );
}

fn sync(known: &[(&str, u64)]) -> Request {
    Request::Sync(Sync {
        known: known.iter().map(|(k, v)| ((*k).into(), *v)).collect(),
    })
}

#[test]
fn sync_returns_what_changed() {
    let (env, general) = guild();
    env.create("alice", "h");
    env.join("bob", "h");
    let Response::Synced(first) = env.ok("bob", sync(&[])).response else {
        panic!()
    };
    assert_eq!(first.changed.len(), 2);
    assert!(first.unchanged.is_empty() && first.removed.is_empty());
    let version_of = |id: &str| {
        first
            .changed
            .iter()
            .find(|s| s.info.community_id == id)
            .unwrap()
            .info
            .version
    };
    let (g, h) = (version_of("g"), version_of("h"));

    env.send("alice", "g", &general, "k", "while away");
    env.channel("alice", "h", "new", false);
    env.create("alice", "gone");
    env.join("bob", "gone");
    env.ok(
        "bob",
        Request::LeaveCommunity(CommunityRef {
            community_id: "gone".into(),
        }),
    );
    env.ok(
        "bob",
        Request::SetNotification(SetNotification {
            community_id: "g".into(),
            status: NotificationStatus::DoNotDisturb,
        }),
    );

    let Response::Synced(next) = env
        .ok(
            "bob",
            sync(&[("g", g), ("h", h), ("gone", 1), ("never", 3)]),
        )
        .response
    else {
        panic!()
    };
    assert_eq!(next.unchanged.len(), 1);
    let unchanged = &next.unchanged[0];
    assert_eq!(unchanged.community_id, "g");
    assert_eq!(unchanged.member_count, 2);
    assert_eq!(unchanged.notification, NotificationStatus::DoNotDisturb);
    assert_eq!(unchanged.heads[0].unread_count, 1);
    assert_eq!(next.changed.len(), 1);
    assert_eq!(next.changed[0].info.community_id, "h");
    assert_eq!(next.changed[0].channels.len(), 2);
    let mut removed = next.removed.clone();
    removed.sort();
    assert_eq!(removed, ["gone", "never"]);
}

#[test]
fn reopen_keeps_everything() {
    let (env, general) = guild();
    let secret = env.channel("alice", "g", "secret", true);
    for i in 0..3 {
        env.send("alice", "g", &general, &format!("k{i}"), "m");
    }
    env.send("alice", "g", &secret, "s", "private");
    env.ok("bob", mark_read("g", &general, 2));
    env.ok(
        "bob",
        Request::SetNickname(SetNickname {
            community_id: "g".into(),
            nickname: "B".into(),
        }),
    );
    let before_bob = env.snapshot("bob", "g");
    let before_alice = env.snapshot("alice", "g");

    let env = env.reopen();
    assert_eq!(env.snapshot("bob", "g"), before_bob);
    assert_eq!(env.snapshot("alice", "g"), before_alice);
    assert_eq!(
        env.domain
            .joined_community_ids(&UserId::from("bob"))
            .unwrap(),
        ["g"]
    );
    let head = env.head("bob", "g", &general);
    assert_eq!((head.read_seq, head.unread_count), (2, 1));
    // Sequences continue; idempotency keys are remembered.
    assert_eq!(env.send("alice", "g", &general, "k0", "again").seq, 1);
    assert_eq!(env.send("alice", "g", &general, "k3", "next").seq, 4);
    assert_eq!(
        env.err("bob", send("g", &secret, "x", "x")),
        ErrorCode::NOT_CHANNEL_MEMBER
    );
}
