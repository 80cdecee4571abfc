//! The change log: gap-free change sequences across every kind of change, paging, the
//! channel's change sequence in heads and pages, and a client that applies the log to its
//! copy ending equal to the server.

use community_protocol::request::*;
use community_protocol::{ChannelHead, ErrorCode, Event, Limits, Request, Response, UserId};

use crate::test_support::*;

/// Alice owns `g`, bob is a member; bob sent messages 1..=3, alice 4.
fn guild() -> (Env, String) {
    let env = Env::new();
    let general = env.create("alice", "g").info.default_channel_id.to_string();
    env.join("bob", "g");
    for i in 1..=3 {
        env.send("bob", "g", &general, &format!("b{i}"), &format!("bob {i}"));
    }
    env.send("alice", "g", &general, "a1", "alice 4");
    (env, general)
}

/// One change of each kind and a few no-ops, in one channel.
fn every_kind(env: &Env, general: &str) {
    env.change("bob", edit_text("g", general, 1, "e1", "bob 1 v2"));
    env.change("alice", react("g", general, 1, "👍", true));
    env.change("bob", react("g", general, 1, "👍", true));
    env.change("bob", react("g", general, 1, "👍", true)); // no-op
    env.change("alice", react("g", general, 2, "🎉", true));
    env.change("alice", react("g", general, 1, "👍", false));
    env.change("alice", react("g", general, 3, "🦉", false)); // no-op
    env.change("alice", Request::PinMessage(message_ref("g", general, 2)));
    env.change("alice", Request::PinMessage(message_ref("g", general, 2))); // no-op
    env.change("alice", Request::PinMessage(message_ref("g", general, 4)));
    env.change("alice", Request::UnpinMessage(message_ref("g", general, 4)));
    env.change("bob", edit_text("g", general, 2, "e2", "bob 2 v2"));
    env.change("bob", Request::RecallMessage(message_ref("g", general, 2)));
    env.change("bob", Request::RecallMessage(message_ref("g", general, 2))); // no-op
    env.change(
        "alice",
        Request::RecallMessage(message_ref("g", general, 3)),
    );
}

#[test]
fn change_sequences_are_gap_free_across_kinds() {
    let (env, general) = guild();
    every_kind(&env, &general);
    let changes = env.all_changes("bob", "g", &general, None);
    let seqs: Vec<u64> = changes.iter().map(|c| c.change_seq).collect();
    assert_eq!(seqs, (1..=11).collect::<Vec<_>>());
    let kinds: Vec<&str> = changes.iter().map(|c| c.kind.name()).collect();
    assert_eq!(
        kinds,
        [
            "edited",
            "reaction_added",
            "reaction_added",
            "reaction_added",
            "reaction_removed",
            "pinned",
            "pinned",
            "unpinned",
            "edited",
            "recalled",
            "recalled"
        ]
    );
    assert!(changes.iter().all(|c| c.community_id == "g"));
    // Heads and pages carry the channel's newest change.
    assert_eq!(env.head("bob", "g", &general).change_seq, 11);
    let Response::Messages(page) = env
        .ok(
            "bob",
            Request::GetMessages(GetMessages {
                community_id: "g".into(),
                channel_id: general.as_str().into(),
                before_seq: None,
                after_seq: None,
                limit: Some(1),
            }),
        )
        .response
    else {
        panic!()
    };
    assert_eq!(page.change_seq, 11);
    // Another channel has its own sequence.
    let other = env.channel("alice", "g", "other", false);
    env.send("bob", "g", &other, "o1", "x");
    let outcome = env.change("alice", react("g", &other, 1, "👍", true));
    assert_eq!(outcome.change.map(|c| c.change_seq), Some(1));
}

#[test]
fn get_changes_pages_and_checks_access() {
    let env = Env::with_limits(Limits {
        channel_messages_per_second: 0,
        ..Limits::default()
    });
    let general = env.create("alice", "g").info.default_channel_id.to_string();
    env.join("bob", "g");
    env.send("bob", "g", &general, "b1", "x");
    for i in 0..25 {
        let emoji = format!("e{}", i % 20);
        let add = i < 20;
        env.change("alice", react("g", &general, 1, &emoji, add));
    }
    let all = env.all_changes("bob", "g", &general, Some(7));
    assert_eq!(all.len(), 25);
    let page = |after, limit| match env
        .ok("bob", get_changes("g", &general, after, limit))
        .response
    {
        Response::Changes(page) => page,
        other => panic!("{other:?}"),
    };
    let first = page(0, Some(7));
    assert_eq!(
        (first.changes.len(), first.has_more, first.change_seq),
        (7, true, 25)
    );
    let last = page(21, Some(7));
    assert_eq!(
        last.changes
            .iter()
            .map(|c| c.change_seq)
            .collect::<Vec<_>>(),
        [22, 23, 24, 25]
    );
    assert!(!last.has_more);
    let beyond = page(25, None);
    assert!(beyond.changes.is_empty() && !beyond.has_more);
    assert_eq!(beyond.change_seq, 25);
    assert_eq!(
        env.err("bob", get_changes("g", &general, 0, Some(101))),
        ErrorCode::PAGE_SIZE_TOO_LARGE
    );
    assert_eq!(
        env.err("carol", get_changes("g", &general, 0, None)),
        ErrorCode::NOT_MEMBER
    );
    let secret = env.channel("alice", "g", "secret", true);
    assert_eq!(
        env.err("bob", get_changes("g", &secret, 0, None)),
        ErrorCode::NOT_CHANNEL_MEMBER
    );
}

#[test]
fn changes_reach_the_channels_audience_only() {
    let (env, _) = guild();
    let secret = env.channel("alice", "g", "secret", true);
    env.send("alice", "g", &secret, "s1", "hush");
    let handled = env.ok("alice", react("g", &secret, 1, "🤫", true));
    let audiences = events(&handled, |e| match e {
        Event::MessageChanged { .. } => Some(()),
        _ => None,
    });
    assert_eq!(audiences.len(), 1);
    assert_eq!(users(audiences[0].0), [UserId::from("alice")]);
    assert_eq!(
        env.err("bob", react("g", &secret, 1, "👀", true)),
        ErrorCode::NOT_CHANNEL_MEMBER
    );
}

/// A client that cached the history before the changes and applies the log with
/// `Message::apply_change` ends with exactly the server's messages, as each user sees
/// them (`me` of reactions included).
#[test]
fn applying_the_log_to_a_cached_copy_gives_the_servers_messages() {
    let (env, general) = guild();
    let users = ["alice", "bob"];
    let mut cached: Vec<_> = users
        .iter()
        .map(|user| env.all_messages(user, "g", &general))
        .collect();
    every_kind(&env, &general);
    for (user, cached) in users.iter().zip(&mut cached) {
        let me = UserId::from(*user);
        for change in env.all_changes(user, "g", &general, Some(3)) {
            let message = cached
                .iter_mut()
                .find(|m| m.seq == change.seq)
                .expect("cached");
            message.apply_change(&change, &me);
        }
        assert_eq!(*cached, env.all_messages(user, "g", &general), "as {user}");
    }
    let head: ChannelHead = env.head("alice", "g", &general);
    assert_eq!(head.change_seq, 11);
}

/// 10,000 changes in 100 channels come back to one client in 100 pages of 100, in order
/// and complete. The time is printed for the record (`--nocapture`), never asserted.
#[test]
fn ten_thousand_changes_in_a_hundred_channels_page_back_completely() {
    let env = Env::new();
    let general = env.create("alice", "g").info.default_channel_id.to_string();
    let mut channels = vec![general];
    for i in 1..100 {
        channels.push(env.channel("alice", "g", &format!("c{i}"), false));
    }
    for channel in &channels {
        env.send("alice", "g", channel, &format!("k-{channel}"), "x");
    }
    // Written straight into the log (one transaction), as 10,000 requests would.
    env.domain
        .store
        .write("test", |tx| {
            for channel in &channels {
                for i in 0..100 {
                    let kind = if i % 2 == 0 {
                        community_protocol::ChangeKind::Pinned
                    } else {
                        community_protocol::ChangeKind::Unpinned
                    };
                    tx.append_change(&crate::store::NewChange {
                        community_id: &"g".into(),
                        channel_id: &channel.as_str().into(),
                        seq: 1,
                        by: &"alice".into(),
                        at_ms: T0,
                        kind,
                    })?;
                }
            }
            Ok(())
        })
        .unwrap();
    let started = std::time::Instant::now();
    let mut total = 0;
    for channel in &channels {
        let changes = env.all_changes("alice", "g", channel, Some(100));
        assert_eq!(
            changes.iter().map(|c| c.change_seq).collect::<Vec<_>>(),
            (1..=100).collect::<Vec<_>>()
        );
        total += changes.len();
    }
    assert_eq!(total, 10_000);
    eprintln!(
        "10,000 changes in 100 channels fetched in {:?}",
        started.elapsed()
    );
}

/// Deleting a channel, and dismissing a community, take the message life along (changes,
/// edit keys, reactions, pins, hidden messages) in the same transaction.
#[test]
fn deletes_take_the_message_life_along() {
    let (env, general) = guild();
    let raids = env.channel("alice", "g", "raids", false);
    for channel in [general.as_str(), raids.as_str()] {
        env.send("bob", "g", channel, &format!("k-{channel}"), "x");
        let seq = env.head("bob", "g", channel).last_seq;
        env.change(
            "bob",
            edit_text("g", channel, seq, &format!("e-{channel}"), "y"),
        );
        env.change("alice", react("g", channel, seq, "👍", true));
        env.change("alice", Request::PinMessage(message_ref("g", channel, seq)));
        env.ok("bob", Request::HideMessage(message_ref("g", channel, seq)));
    }
    env.ok(
        "alice",
        Request::DeleteChannel(ChannelRef {
            community_id: "g".into(),
            channel_id: raids.as_str().into(),
        }),
    );
    assert_eq!(
        env.err("bob", get_changes("g", &raids, 0, None)),
        ErrorCode::CHANNEL_NOT_FOUND
    );
    assert_eq!(env.all_changes("bob", "g", &general, None).len(), 3);
    env.ok(
        "alice",
        Request::DismissCommunity(CommunityRef {
            community_id: "g".into(),
        }),
    );
    for table in [
        "messages",
        "message_changes",
        "edit_keys",
        "reactions",
        "pins",
        "hidden",
        "uncounted",
        "mentions",
    ] {
        let rows = env.count_rows(&format!("SELECT COUNT(*) FROM {table}"), None);
        assert_eq!(rows, 0, "{table}");
    }
}
