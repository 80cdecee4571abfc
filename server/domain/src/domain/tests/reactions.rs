//! Reactions and pins: counts, first users, `me`, limits, who may, and no-ops.

use community_protocol::request::*;
use community_protocol::response::MessagesPage;
use community_protocol::{
    ChangeKind, ChannelKind, ErrorCode, Event, Limits, Reaction, Request, Response, UserId,
};

use crate::test_support::*;

/// Alice owns `g`; bob is a member and sent message 1. Rate limit off (the clock stands).
fn guild() -> (Env, String) {
    let env = Env::with_limits(Limits {
        channel_messages_per_second: 0,
        ..Limits::default()
    });
    let general = env.create("alice", "g").info.default_channel_id.to_string();
    env.join("bob", "g");
    env.send("bob", "g", &general, "b1", "react to me");
    (env, general)
}

fn reactions(env: &Env, user: &str, general: &str) -> Vec<Reaction> {
    env.message(user, "g", general, 1).reactions
}

#[test]
fn reactions_count_show_the_first_users_and_me() {
    let (env, general) = guild();
    let fans: Vec<String> = (0..12).map(|i| format!("fan{i:02}")).collect();
    for fan in &fans {
        env.join(fan, "g");
        env.clock.advance(1);
        env.change(fan, react("g", &general, 1, "👍", true));
    }
    let outcome = env.change("alice", react("g", &general, 1, "🎉", true));
    let change = outcome.change.expect("a change");
    assert_eq!(
        change.kind,
        ChangeKind::ReactionAdded {
            emoji: "🎉".into(),
            count: 1,
            users: vec!["alice".into()],
        }
    );
    // Emoji in the order of first use; users oldest first, at most 10.
    let first_ten: Vec<UserId> = fans[..10].iter().map(|f| f.as_str().into()).collect();
    let seen_by_alice = outcome.message.reactions;
    assert_eq!(
        seen_by_alice,
        [
            Reaction {
                emoji: "👍".into(),
                count: 12,
                users: first_ten.clone(),
                me: false
            },
            Reaction {
                emoji: "🎉".into(),
                count: 1,
                users: vec!["alice".into()],
                me: true
            },
        ]
    );
    assert_eq!(reactions(&env, "alice", &general), seen_by_alice);
    // `me` is the caller's: fan11 (not among the first ten) sees it on 👍.
    let seen_by_fan = reactions(&env, "fan11", &general);
    assert!(seen_by_fan[0].me && !seen_by_fan[1].me);
    assert_eq!(seen_by_fan[0].users, first_ten);
    // Events never say `me`.
    let handled = env.ok("fan05", react("g", &general, 1, "👍", false));
    let changes = events(&handled, |e| match e {
        Event::MessageChanged { change } => Some(change.clone()),
        _ => None,
    });
    assert_eq!(changes.len(), 1);
    let ChangeKind::ReactionRemoved {
        count: 11, users, ..
    } = &changes[0].1.kind
    else {
        panic!("{:?}", changes[0].1)
    };
    assert_eq!(users.len(), 10);
    assert!(!users.contains(&"fan05".into()));
    assert_eq!(users[9], UserId::from("fan10"), "the next one moves up");
    // No-ops: no change, no event.
    for (user, request) in [
        ("fan00", react("g", &general, 1, "👍", true)),
        ("fan05", react("g", &general, 1, "👍", false)),
        ("bob", react("g", &general, 1, "🦉", false)),
    ] {
        let handled = env.ok(user, request);
        assert!(handled.deliveries.is_empty());
        let Response::Changed(outcome) = handled.response else {
            panic!()
        };
        assert!(outcome.change.is_none());
    }
    // The last reaction of an emoji takes it away.
    env.change("alice", react("g", &general, 1, "🎉", false));
    assert_eq!(reactions(&env, "bob", &general).len(), 1);
}

#[test]
fn reaction_limits() {
    let (env, general) = guild();
    for bad in ["", " ", "a\nb", &"x".repeat(33)] {
        assert_eq!(
            env.err("bob", react("g", &general, 1, bad, true)),
            ErrorCode::INVALID_EMOJI
        );
    }
    for i in 0..20 {
        env.change("bob", react("g", &general, 1, &format!(":e{i}:"), true));
    }
    assert_eq!(
        env.err("alice", react("g", &general, 1, ":e20:", true)),
        ErrorCode::TOO_MANY_REACTIONS,
        "the 21st distinct emoji"
    );
    // One of the twenty is fine for another user.
    env.change("alice", react("g", &general, 1, ":e3:", true));
    assert_eq!(
        env.err("alice", react("g", &general, 9, "👍", true)),
        ErrorCode::MESSAGE_NOT_FOUND
    );
}

#[test]
fn muted_members_do_not_react_but_may_take_back() {
    let (env, general) = guild();
    env.change("bob", react("g", &general, 1, "👍", true));
    env.ok(
        "alice",
        Request::MuteMember(MuteMember {
            community_id: "g".into(),
            user_id: "bob".into(),
            until_ms: Some(T0 + 1_000),
        }),
    );
    assert_eq!(
        env.err("bob", react("g", &general, 1, "🎉", true)),
        ErrorCode::MUTED
    );
    env.change("bob", react("g", &general, 1, "👍", false));
    env.clock.advance(1_000);
    env.ok(
        "alice",
        Request::SetMuteAll(SetMuteAll {
            community_id: "g".into(),
            muted: true,
        }),
    );
    assert_eq!(
        env.err("bob", react("g", &general, 1, "🎉", true)),
        ErrorCode::MUTE_ALL
    );
    env.change("alice", react("g", &general, 1, "🎉", true));
}

#[test]
fn everyone_reacts_in_announcement_channels() {
    let (env, _) = guild();
    let news = match env
        .ok(
            "alice",
            Request::CreateChannel(CreateChannel {
                community_id: "g".into(),
                name: "news".into(),
                kind: ChannelKind::Announcement,
                ..Default::default()
            }),
        )
        .response
    {
        Response::Channel(channel) => channel.channel_id.to_string(),
        other => panic!("{other:?}"),
    };
    env.send("alice", "g", &news, "n1", "big news");
    assert_eq!(
        env.err("bob", send("g", &news, "b-n1", "me too")),
        ErrorCode::ANNOUNCEMENT_READ_ONLY
    );
    env.change("bob", react("g", &news, 1, "🎉", true));
}

#[test]
fn pins_are_for_owner_and_admins_and_limited() {
    let (env, general) = guild();
    for i in 2..=51 {
        env.send("bob", "g", &general, &format!("b{i}"), "x");
    }
    let pin = |seq| Request::PinMessage(message_ref("g", &general, seq));
    let unpin = |seq| Request::UnpinMessage(message_ref("g", &general, seq));
    assert_eq!(env.err("bob", pin(1)), ErrorCode::PERMISSION_DENIED);
    assert_eq!(
        env.err("bob", pin(99)),
        ErrorCode::PERMISSION_DENIED,
        "the role is checked first"
    );
    assert_eq!(env.err("alice", pin(99)), ErrorCode::MESSAGE_NOT_FOUND);
    for seq in 1..=50 {
        env.clock.advance(1);
        env.change("alice", pin(seq));
    }
    assert_eq!(env.err("alice", pin(51)), ErrorCode::TOO_MANY_PINS);
    assert!(
        env.change("alice", pin(50)).change.is_none(),
        "pinned already"
    );
    env.promote("alice", "g", "bob");
    let outcome = env.change("bob", unpin(1));
    assert!(outcome.message.pinned.is_none());
    env.clock.advance(1);
    let outcome = env.change("bob", pin(51));
    assert_eq!(
        outcome.message.pinned.map(|p| (p.by, p.at_ms)),
        Some(("bob".into(), T0 + 51))
    );
    assert!(
        env.change("bob", unpin(1)).change.is_none(),
        "unpinned already"
    );

    let list = || {
        Request::ListPins(ChannelRef {
            community_id: "g".into(),
            channel_id: general.as_str().into(),
        })
    };
    let Response::Messages(MessagesPage {
        messages,
        has_more,
        change_seq,
    }) = env.ok("bob", list()).response
    else {
        panic!("messages expected")
    };
    let pinned: Vec<u64> = messages.iter().map(|m| m.seq).collect();
    let expected: Vec<u64> = (2..=51).rev().collect();
    assert_eq!(pinned, expected, "most recently pinned first");
    assert!(!has_more);
    assert_eq!(change_seq, 52);
    assert_eq!(env.err("carol", list()), ErrorCode::NOT_MEMBER);
}
