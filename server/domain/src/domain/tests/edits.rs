//! Edits and recalls: who may, what they change, idempotency, and what the change log
//! keeps of a recalled message.

use community_protocol::request::*;
use community_protocol::{
    ChangeKind, ErrorCode, Event, Limits, Media, Mentions, MessageContent, Request, Role, UserId,
};

use crate::routing::Audience;
use crate::test_support::*;

/// Alice owns `g`; bob and carol are members; bob has sent message 1 ("hello", mentions
/// carol, custom data "x").
fn guild_with(limits: Limits) -> (Env, String) {
    let env = Env::with_limits(limits);
    let general = env.create("alice", "g").info.default_channel_id.to_string();
    env.join("bob", "g");
    env.join("carol", "g");
    let mut p = send_message("g", &general, "b1", text("hello"));
    p.mentions = Mentions {
        users: vec!["carol".into()],
        everyone: false,
        groups: Vec::new(),
    };
    p.custom_data = "x".into();
    env.ok("bob", Request::SendMessage(p));
    (env, general)
}

fn guild() -> (Env, String) {
    guild_with(Limits::default())
}

#[test]
fn only_the_author_edits_and_absent_fields_stay() {
    let (env, general) = guild();
    assert_eq!(
        env.err("carol", edit_text("g", &general, 1, "c1", "mine now")),
        ErrorCode::NOT_AUTHOR
    );
    assert_eq!(
        env.err("alice", edit_text("g", &general, 1, "a1", "owner edit")),
        ErrorCode::NOT_AUTHOR,
        "not even the owner edits someone else's words"
    );
    assert_eq!(
        env.err("bob", edit_text("g", &general, 9, "b9", "x")),
        ErrorCode::MESSAGE_NOT_FOUND
    );
    env.clock.advance(5_000);
    let handled = env.ok("bob", edit_text("g", &general, 1, "e1", "hello, edited"));
    let events = events(&handled, |e| match e {
        Event::MessageChanged { change } => Some(change.clone()),
        _ => None,
    });
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].0, &Audience::Community("g".into()));
    let change = &events[0].1;
    assert_eq!(
        (change.change_seq, change.seq, change.by.as_str()),
        (1, 1, "bob")
    );
    let ChangeKind::Edited {
        content,
        mentions,
        previous_mentions,
        custom_data,
        edit_count,
    } = &change.kind
    else {
        panic!("edited expected: {change:?}")
    };
    assert_eq!(content, &text("hello, edited"));
    assert_eq!(mentions, previous_mentions, "mentions absent: kept");
    assert_eq!((custom_data.as_str(), *edit_count), ("x", 1));
    let message = env.message("carol", "g", &general, 1);
    assert_eq!(message.content, text("hello, edited"));
    assert_eq!(message.edited_at_ms, Some(T0 + 5_000));
    assert_eq!((message.edit_count, message.custom_data.as_str()), (1, "x"));
    assert_eq!(message.mentions.users, [UserId::from("carol")]);

    // Only the custom data, then only the mentions.
    let edit = |key: &str, mentions: Option<Mentions>, custom_data: Option<&str>| {
        Request::EditMessage(EditMessage {
            community_id: "g".into(),
            channel_id: general.as_str().into(),
            seq: 1,
            idempotency_key: key.into(),
            content: None,
            mentions,
            custom_data: custom_data.map(Into::into),
        })
    };
    env.change("bob", edit("e2", None, Some("")));
    env.change("bob", edit("e3", Some(Mentions::default()), None));
    let message = env.message("carol", "g", &general, 1);
    assert_eq!(message.content, text("hello, edited"));
    assert!(message.custom_data.is_empty() && message.mentions.is_empty());
    assert_eq!(message.edit_count, 3);
    assert_eq!(
        env.err("bob", edit("e4", None, None)),
        ErrorCode::INVALID_ARGUMENT
    );
}

#[test]
fn edit_limits_and_editable_contents() {
    let (env, general) = guild();
    let edit = |key: &str, content: Option<MessageContent>, custom_data: Option<String>| {
        Request::EditMessage(EditMessage {
            community_id: "g".into(),
            channel_id: general.as_str().into(),
            seq: 1,
            idempotency_key: key.into(),
            content,
            mentions: None,
            custom_data,
        })
    };
    assert_eq!(
        env.err("bob", edit("e1", None, Some("d".repeat(1025)))),
        ErrorCode::CUSTOM_DATA_TOO_LARGE
    );
    env.change("bob", edit("e2", None, Some("d".repeat(1024))));
    assert_eq!(
        env.err(
            "bob",
            edit("e3", Some(text(&"x".repeat(12 * 1024 + 1))), None)
        ),
        ErrorCode::MESSAGE_TOO_LARGE
    );
    let image = MessageContent::Image(Media {
        url: "https://x/y.png".into(),
        ..Default::default()
    });
    assert_eq!(
        env.err("bob", edit("e4", Some(image.clone()), None)),
        ErrorCode::NOT_EDITABLE,
        "text cannot become an image"
    );
    let custom = MessageContent::Custom {
        data: "{}".into(),
        description: "dice".into(),
    };
    env.change("bob", edit("e5", Some(custom), None));
    assert_eq!(
        env.err("bob", edit("", Some(text("x")), None)),
        ErrorCode::INVALID_IDEMPOTENCY_KEY
    );
    // An image message is not editable at all.
    env.ok(
        "bob",
        Request::SendMessage(send_message("g", &general, "img", image)),
    );
    assert_eq!(
        env.err("bob", edit_text("g", &general, 2, "e6", "caption")),
        ErrorCode::NOT_EDITABLE
    );
}

#[test]
fn an_edit_resent_with_its_key_is_stored_once() {
    let (env, general) = guild();
    let first = env.ok("bob", edit_text("g", &general, 1, "same", "v2"));
    assert_eq!(first.deliveries.len(), 1);
    env.clock.advance(1_000);
    let again = env.ok("bob", edit_text("g", &general, 1, "same", "v2 (retry)"));
    assert!(again.deliveries.is_empty(), "a resend emits nothing");
    assert_eq!(first.response, again.response, "same change, same message");
    let message = env.message("bob", "g", &general, 1);
    assert_eq!((message.edit_count, message.content), (1, text("v2")));
    assert_eq!(env.all_changes("bob", "g", &general, None).len(), 1);
    // The key names that edit: another message with it is refused.
    env.send("bob", "g", &general, "b2", "second");
    assert_eq!(
        env.err("bob", edit_text("g", &general, 2, "same", "x")),
        ErrorCode::INVALID_IDEMPOTENCY_KEY
    );
    // Keys are per editor.
    env.send("carol", "g", &general, "c1", "carol's");
    env.change("carol", edit_text("g", &general, 3, "same", "carol's v2"));
}

#[test]
fn an_edit_needs_the_right_to_post() {
    let (env, general) = guild();
    env.ok(
        "alice",
        Request::MuteMember(MuteMember {
            community_id: "g".into(),
            user_id: "bob".into(),
            until_ms: Some(T0 + 60_000),
        }),
    );
    assert_eq!(
        env.err("bob", edit_text("g", &general, 1, "e1", "x")),
        ErrorCode::MUTED
    );
    env.clock.advance(60_000);
    env.change("bob", edit_text("g", &general, 1, "e2", "unmuted"));
    env.ok(
        "alice",
        Request::SetMuteAll(SetMuteAll {
            community_id: "g".into(),
            muted: true,
        }),
    );
    assert_eq!(
        env.err("bob", edit_text("g", &general, 1, "e3", "x")),
        ErrorCode::MUTE_ALL
    );
    env.send("alice", "g", &general, "a1", "owner speaks");
    env.change("alice", edit_text("g", &general, 2, "a-e1", "owner edits"));
}

#[test]
fn recall_rights_and_window() {
    let (env, general) = guild_with(Limits {
        recall_window_ms: 1_000,
        ..Limits::default()
    });
    env.send("carol", "g", &general, "c1", "carol 2");
    env.send("carol", "g", &general, "c2", "carol 3");
    let recall = |seq| Request::RecallMessage(message_ref("g", &general, seq));
    assert_eq!(env.err("carol", recall(1)), ErrorCode::NOT_AUTHOR);
    assert_eq!(env.err("carol", recall(7)), ErrorCode::MESSAGE_NOT_FOUND);
    env.clock.advance(999);
    env.change("carol", recall(2));
    env.clock.advance(1);
    assert_eq!(
        env.err("carol", recall(3)),
        ErrorCode::RECALL_WINDOW_PASSED,
        "the window is over at recall_window_ms"
    );
    // Owner and admins recall anything at any time.
    env.clock.advance(3_600_000);
    env.promote("alice", "g", "bob");
    env.change("bob", recall(3));
    env.change("alice", recall(1));
    let roles: Vec<Role> = ["alice", "bob"]
        .iter()
        .map(|u| env.snapshot(u, "g").me.role)
        .collect();
    assert_eq!(roles, [Role::Owner, Role::Admin]);
}

#[test]
fn a_recall_empties_the_message_and_a_second_changes_nothing() {
    let (env, general) = guild();
    env.change("alice", react("g", &general, 1, "👍", true));
    env.change("alice", Request::PinMessage(message_ref("g", &general, 1)));
    env.change("bob", edit_text("g", &general, 1, "e1", "secret v2"));
    env.clock.advance(10);
    let recall = || Request::RecallMessage(message_ref("g", &general, 1));
    let outcome = env.change("bob", recall());
    let change = outcome.change.expect("a change");
    assert_eq!(change.change_seq, 4, "no separate unpinned change");
    assert_eq!(
        change.kind,
        ChangeKind::Recalled {
            sender_id: "bob".into(),
            mentions: Mentions {
                users: vec!["carol".into()],
                everyone: false,
                groups: Vec::new(),
            },
        }
    );
    let message = outcome.message;
    assert_eq!(
        message.content,
        MessageContent::Recalled {
            by: "bob".into(),
            at_ms: T0 + 10
        }
    );
    assert!(message.mentions.is_empty() && message.custom_data.is_empty());
    assert!(message.reactions.is_empty() && message.pinned.is_none());
    assert_eq!((message.seq, message.sender_id.as_str()), (1, "bob"));
    assert_eq!(message.created_at_ms, T0);
    assert_eq!(env.message("carol", "g", &general, 1), message);

    // Idempotent: no change, no event.
    let again = env.ok("bob", recall());
    assert!(again.deliveries.is_empty());
    let again = env.change("alice", recall());
    assert_eq!((again.change, again.message), (None, message));

    // Nothing else happens to a tombstone.
    for (user, request) in [
        ("bob", edit_text("g", &general, 1, "e2", "back")),
        ("alice", react("g", &general, 1, "🎉", true)),
        ("alice", react("g", &general, 1, "👍", false)),
        ("alice", Request::PinMessage(message_ref("g", &general, 1))),
        (
            "alice",
            Request::UnpinMessage(message_ref("g", &general, 1)),
        ),
    ] {
        assert_eq!(env.err(user, request), ErrorCode::MESSAGE_RECALLED);
    }
    // The log no longer shows what was recalled.
    let changes = env.all_changes("carol", "g", &general, None);
    assert_eq!(changes.len(), 4);
    let ChangeKind::Edited {
        content,
        custom_data,
        ..
    } = &changes[2].kind
    else {
        panic!("edited expected")
    };
    assert!(content.is_recalled(), "{content:?}");
    assert!(custom_data.is_empty());
}
