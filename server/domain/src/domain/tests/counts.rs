//! Unread and mention counts stay exact through edits, recalls, hidden and system
//! messages: after every step each user's head equals a brute-force recount of the
//! history. Also `hide_message` itself.

use community_protocol::request::*;
use community_protocol::{ErrorCode, Event, Limits, Mentions, Request, Response};

use crate::routing::Audience;
use crate::test_support::*;

const USERS: [&str; 3] = ["alice", "bob", "carol"];

/// The counts of `user` in a channel, recounted from the whole history as the protocol
/// defines them.
fn recount(env: &Env, user: &str, channel: &str) -> (u64, u64) {
    let head = env.head(user, "g", channel);
    let me = user.into();
    let counted: Vec<_> = env
        .all_messages(user, "g", channel)
        .into_iter()
        .filter(|m| m.seq > head.read_seq && m.counts_for(&me) && !head.hidden.contains(&m.seq))
        .collect();
    let mentions = counted.iter().filter(|m| m.mentions.mentions(&me)).count();
    (counted.len() as u64, mentions as u64)
}

#[track_caller]
fn assert_exact(env: &Env, channel: &str, step: &str) {
    for user in USERS {
        if env.handle(user, community_ref_get("g")).is_err() {
            continue;
        }
        let head = env.head(user, "g", channel);
        assert_eq!(
            (head.unread_count, head.mention_count),
            recount(env, user, channel),
            "{user} after {step}"
        );
    }
}

fn send_mentioning(
    env: &Env,
    user: &str,
    channel: &str,
    key: &str,
    users: &[&str],
    everyone: bool,
) -> u64 {
    let mut p = send_message("g", channel, key, text("@"));
    p.mentions = Mentions {
        users: users.iter().map(|u| (*u).into()).collect(),
        everyone,
        groups: Vec::new(),
    };
    match env.ok(user, Request::SendMessage(p)).response {
        Response::MessageSent(message) => message.seq,
        other => panic!("{other:?}"),
    }
}

fn edit_mentions(channel: &str, seq: u64, key: &str, users: &[&str]) -> Request {
    Request::EditMessage(EditMessage {
        community_id: "g".into(),
        channel_id: channel.into(),
        seq,
        idempotency_key: key.into(),
        content: None,
        mentions: Some(Mentions {
            users: users.iter().map(|u| (*u).into()).collect(),
            everyone: false,
            groups: Vec::new(),
        }),
        custom_data: None,
    })
}

fn hide(channel: &str, seq: u64) -> Request {
    Request::HideMessage(message_ref("g", channel, seq))
}

#[test]
fn counts_equal_a_recount_through_every_kind_of_change() {
    let env = Env::with_limits(Limits {
        channel_messages_per_second: 0,
        ..Limits::default()
    });
    let general = env
        .create_with_system("alice", "g")
        .info
        .default_channel_id
        .to_string();
    env.join("bob", "g");
    env.join("carol", "g");
    env.join("dave", "g");
    // Ordinary members mention @everyone only with `mention_everyone`.
    env.grant_everyone(
        "alice",
        "g",
        community_protocol::Permissions::MENTION_EVERYONE,
    );
    let ch = general.as_str();
    assert_exact(&env, ch, "joins (system messages)");

    let to_carol = send_mentioning(&env, "bob", ch, "b1", &["carol"], false);
    let everyone = send_mentioning(&env, "alice", ch, "a1", &[], true);
    let plain = env.send("carol", "g", ch, "c1", "plain").seq;
    let bobs_own = env.send("bob", "g", ch, "b2", "mine").seq;
    assert_exact(&env, ch, "sends");

    // An edit moves a mention from carol to alice.
    env.change("bob", edit_mentions(ch, to_carol, "e1", &["alice"]));
    assert_exact(&env, ch, "edit moving a mention");
    // Carol reads everything; a later edit mentioning her does not count for her.
    let last = env.head("carol", "g", ch).last_seq;
    env.ok("carol", mark_read("g", ch, last));
    env.change(
        "bob",
        edit_mentions(ch, to_carol, "e2", &["carol", "alice"]),
    );
    assert_eq!(env.head("carol", "g", ch).mention_count, 0);
    assert_exact(&env, ch, "edit behind the read position");

    // Recalls: someone else's (by the owner) and one's own.
    env.change("alice", Request::RecallMessage(message_ref("g", ch, plain)));
    env.change(
        "bob",
        Request::RecallMessage(message_ref("g", ch, bobs_own)),
    );
    assert_exact(&env, ch, "recalls");

    // Hiding: another's message with @everyone, a system message, one's own.
    for seq in [everyone, 1, to_carol] {
        env.ok("bob", hide(ch, seq));
    }
    assert_exact(&env, ch, "hides");
    let bob = env.head("bob", "g", ch);
    assert_eq!(bob.hidden, [1, to_carol, everyone]);

    // A recall of a hidden message is subtracted once.
    env.change(
        "alice",
        Request::RecallMessage(message_ref("g", ch, everyone)),
    );
    assert_exact(&env, ch, "recall of a hidden message");

    // Kick and leave write system messages; a rename too.
    env.ok("alice", Request::KickMember(member_ref("g", "dave")));
    env.ok(
        "alice",
        Request::UpdateChannel(UpdateChannel {
            community_id: "g".into(),
            channel_id: ch.into(),
            name: Some("lobby".into()),
            ..Default::default()
        }),
    );
    send_mentioning(&env, "carol", ch, "c2", &["bob"], true);
    assert_exact(&env, ch, "kick, rename and a new mention");
    let alice = env.head("alice", "g", ch);
    assert!(alice.unread_count > 0 && alice.last_seq > alice.unread_count);
}

#[test]
fn hidden_messages_are_per_user_and_told_to_the_other_devices() {
    let env = Env::new();
    let general = env.create("alice", "g").info.default_channel_id.to_string();
    env.join("bob", "g");
    env.send("alice", "g", &general, "a1", "hide me");
    let handled = env.ok("bob", hide(&general, 1));
    let Response::ReadState(head) = &handled.response else {
        panic!()
    };
    assert_eq!((head.hidden.as_slice(), head.unread_count), (&[1][..], 0));
    let told = events(&handled, |e| match e {
        Event::ReadStateChanged { head } => Some(head.clone()),
        _ => None,
    });
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].0, &Audience::OtherSessionsOfCaller);
    assert_eq!(&told[0].1, head);
    // Again: the same head, no event.
    let again = env.ok("bob", hide(&general, 1));
    assert!(again.deliveries.is_empty());
    assert_eq!(again.response, handled.response);
    // Alice still has it; the history still holds it.
    assert!(env.head("alice", "g", &general).hidden.is_empty());
    assert_eq!(env.all_messages("bob", "g", &general).len(), 1);
    assert_eq!(
        env.err("bob", hide(&general, 2)),
        ErrorCode::MESSAGE_NOT_FOUND
    );
    assert_eq!(env.err("carol", hide(&general, 1)), ErrorCode::NOT_MEMBER);
    // Leaving forgets them.
    env.ok(
        "bob",
        Request::LeaveCommunity(CommunityRef {
            community_id: "g".into(),
        }),
    );
    env.join("bob", "g");
    assert!(env.head("bob", "g", &general).hidden.is_empty());
}

#[test]
fn at_most_max_hidden_per_channel() {
    let env = Env::with_limits(Limits {
        channel_messages_per_second: 0,
        ..Limits::default()
    });
    let general = env.create("alice", "g").info.default_channel_id.to_string();
    env.join("bob", "g");
    for i in 1..=1_001 {
        env.send("alice", "g", &general, &format!("a{i}"), "x");
    }
    for seq in 1..=1_000 {
        env.ok("bob", hide(&general, seq));
    }
    assert_eq!(
        env.err("bob", hide(&general, 1_001)),
        ErrorCode::TOO_MANY_HIDDEN
    );
    env.ok("bob", hide(&general, 1_000));
    let head = env.head("bob", "g", &general);
    assert_eq!((head.hidden.len(), head.unread_count), (1_000, 1));
}
