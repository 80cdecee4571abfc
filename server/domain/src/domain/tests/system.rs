//! System messages written by the server, forwards, custom data and reply previews.

use community_protocol::request::*;
use community_protocol::{
    ErrorCode, Event, Message, MessageContent, Origin, PreviewState, Request, Response,
};

use crate::routing::Audience;
use crate::test_support::*;

fn system_events(messages: &[Message]) -> Vec<(String, String)> {
    messages
        .iter()
        .filter_map(|m| match &m.content {
            MessageContent::System { event, text } if m.sender_id.as_str().is_empty() => {
                Some((event.clone(), text.clone()))
            }
            _ => None,
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(e, t)| ((*e).to_owned(), (*t).to_owned()))
        .collect()
}

#[test]
fn the_server_writes_member_and_channel_events() {
    let env = Env::new();
    let general = env
        .create_with_system("alice", "g")
        .info
        .default_channel_id
        .to_string();
    let joined = env.ok("bob", join("g"));
    // The joiner hears of the community first, then of the message.
    let kinds = event_kinds(&joined);
    assert_eq!(
        kinds,
        [
            "community_added",
            "member_joined",
            "message_created",
            "community_updated"
        ]
    );
    let created = events(&joined, |e| match e {
        Event::MessageCreated { message } => Some(message.clone()),
        _ => None,
    });
    assert_eq!(created[0].0, &Audience::Community("g".into()));
    assert_eq!(created[0].1.seq, 1);
    // The joiner starts reading after their own join message.
    assert_eq!(env.head("bob", "g", &general).read_seq, 1);
    env.join("carol", "g");
    env.join("dave", "g");
    env.ok(
        "carol",
        Request::LeaveCommunity(CommunityRef {
            community_id: "g".into(),
        }),
    );
    env.ok("alice", Request::KickMember(member_ref("g", "dave")));
    assert_eq!(
        system_events(&env.all_messages("bob", "g", &general)),
        pairs(&[
            ("member_joined", "bob joined"),
            ("member_joined", "carol joined"),
            ("member_joined", "dave joined"),
            ("member_left", "carol left"),
            ("member_kicked", "dave was kicked"),
        ])
    );
    // Channels: the first message of a new one, and renames.
    let raids = env.channel("alice", "g", "raids", false);
    env.ok(
        "alice",
        Request::UpdateChannel(UpdateChannel {
            community_id: "g".into(),
            channel_id: raids.as_str().into(),
            name: Some("raids-eu".into()),
            ..Default::default()
        }),
    );
    env.ok(
        "alice",
        Request::UpdateChannel(UpdateChannel {
            community_id: "g".into(),
            channel_id: raids.as_str().into(),
            notice: Some("no rename, no message".into()),
            ..Default::default()
        }),
    );
    assert_eq!(
        system_events(&env.all_messages("bob", "g", &raids)),
        pairs(&[
            ("channel_created", "alice created #raids"),
            ("channel_renamed", "alice renamed #raids to #raids-eu"),
        ])
    );
    // None of it is unread for anyone.
    for user in ["alice", "bob"] {
        for channel in [&general, &raids] {
            let head = env.head(user, "g", channel);
            assert_eq!((head.unread_count, head.mention_count), (0, 0), "{user}");
        }
    }
    // A private channel's first message reaches its viewers only.
    let handled = env.ok(
        "alice",
        Request::CreateChannel(CreateChannel {
            community_id: "g".into(),
            name: "officers".into(),
            private: true,
            ..Default::default()
        }),
    );
    let created = events(&handled, |e| match e {
        Event::MessageCreated { message } => Some(message.seq),
        _ => None,
    });
    assert_eq!(created.len(), 1);
    assert_eq!(
        users(created[0].0),
        [community_protocol::UserId::from("alice")]
    );
    assert_eq!(event_kinds(&handled), ["channel_added", "message_created"]);
}

#[test]
fn the_switch_stops_them_and_is_a_structure_change() {
    let env = Env::new();
    let snapshot = env.create("alice", "g");
    assert!(!snapshot.info.system_messages);
    let general = snapshot.info.default_channel_id.to_string();
    env.join("bob", "g");
    env.channel("alice", "g", "quiet", false);
    assert!(env.all_messages("bob", "g", &general).is_empty());
    let update = |on| {
        Request::UpdateCommunity(UpdateCommunity {
            community_id: "g".into(),
            system_messages: Some(on),
            ..Default::default()
        })
    };
    assert_eq!(env.err("bob", update(true)), ErrorCode::PERMISSION_DENIED);
    let handled = env.ok("alice", update(true));
    let Response::CommunityInfo(info) = &handled.response else {
        panic!()
    };
    assert!(info.system_messages);
    assert_eq!(
        info.version,
        snapshot.info.version + 2,
        "channel, then switch"
    );
    assert_eq!(event_kinds(&handled), ["community_updated"]);
    env.join("carol", "g");
    assert_eq!(env.all_messages("bob", "g", &general).len(), 1);
    // The product default is on.
    let handled = env.ok(
        "erin",
        Request::CreateCommunity(CreateCommunity {
            community_id: Some("d".into()),
            name: "Default".into(),
            ..Default::default()
        }),
    );
    let Response::Community(snapshot) = handled.response else {
        panic!()
    };
    assert!(snapshot.info.system_messages);
}

#[test]
fn a_forward_copies_the_content_and_keeps_the_first_origin() {
    let env = Env::new();
    let general = env.create("alice", "g").info.default_channel_id.to_string();
    env.join("bob", "g");
    let other = env.create("bob", "h").info.default_channel_id.to_string();
    let original = env.send("alice", "g", &general, "a1", "worth sharing");
    let forward =
        |key: &str, community: &str, channel: &str, of: community_protocol::MessageRef| {
            let mut p = send_message(community, channel, key, text("ignored"));
            p.forward_of = Some(of);
            p.custom_data = "mine".into();
            Request::SendMessage(p)
        };
    let Response::MessageSent(first) = env
        .ok(
            "bob",
            forward("f1", "h", &other, message_ref("g", &general, 1)),
        )
        .response
    else {
        panic!()
    };
    let origin = Origin {
        community_id: "g".into(),
        channel_id: general.as_str().into(),
        seq: 1,
        sender_id: "alice".into(),
        created_at_ms: original.created_at_ms,
    };
    assert_eq!(first.content, original.content);
    assert_eq!(first.forwarded_from.as_ref(), Some(&origin));
    assert_eq!(
        (first.sender_id.as_str(), first.custom_data.as_str()),
        ("bob", "mine")
    );
    // A forward of the forward points at the first original.
    let Response::MessageSent(second) = env
        .ok(
            "bob",
            forward("f2", "h", &other, message_ref("h", &other, first.seq)),
        )
        .response
    else {
        panic!()
    };
    assert_eq!(second.forwarded_from, Some(origin));
    // The caller must be able to read the original.
    env.join("carol", "h");
    assert_eq!(
        env.err(
            "carol",
            forward("f3", "h", &other, message_ref("g", &general, 1))
        ),
        ErrorCode::NOT_MEMBER
    );
    let secret = env.channel("alice", "g", "secret", true);
    env.send("alice", "g", &secret, "s1", "hush");
    assert_eq!(
        env.err(
            "bob",
            forward("f4", "h", &other, message_ref("g", &secret, 1))
        ),
        ErrorCode::NOT_CHANNEL_MEMBER
    );
    assert_eq!(
        env.err(
            "bob",
            forward("f5", "h", &other, message_ref("g", &general, 9))
        ),
        ErrorCode::MESSAGE_NOT_FOUND
    );
    // Not a tombstone, not a system notification.
    env.change(
        "alice",
        Request::RecallMessage(message_ref("g", &general, 1)),
    );
    assert_eq!(
        env.err(
            "bob",
            forward("f6", "h", &other, message_ref("g", &general, 1))
        ),
        ErrorCode::MESSAGE_RECALLED
    );
    let system = MessageContent::System {
        event: "notice".into(),
        text: "maintenance tonight".into(),
    };
    env.ok(
        "alice",
        Request::SendMessage(send_message("g", &general, "a2", system)),
    );
    assert_eq!(
        env.err(
            "bob",
            forward("f7", "h", &other, message_ref("g", &general, 2))
        ),
        ErrorCode::INVALID_ARGUMENT
    );
    // Custom data has its own limit.
    let mut p = send_message("g", &general, "big", text("x"));
    p.custom_data = "d".repeat(1025);
    assert_eq!(
        env.err("bob", Request::SendMessage(p)),
        ErrorCode::CUSTOM_DATA_TOO_LARGE
    );
}

#[test]
fn a_reply_preview_follows_its_original() {
    let env = Env::new();
    let general = env.create("alice", "g").info.default_channel_id.to_string();
    env.join("bob", "g");
    env.send("alice", "g", &general, "a1", "first line\nsecond line");
    let mut p = send_message("g", &general, "b1", text("re"));
    p.reply_to = Some(1);
    let handled = env.ok("bob", Request::SendMessage(p.clone()));
    let Response::MessageSent(reply) = &handled.response else {
        panic!()
    };
    let preview = reply.reply_preview.clone().expect("a preview");
    assert_eq!(
        (
            preview.seq,
            preview.sender_id.as_str(),
            preview.text.as_str(),
            preview.state
        ),
        (1, "alice", "first line", PreviewState::Normal)
    );
    let created = events(&handled, |e| match e {
        Event::MessageCreated { message } => Some(message.clone()),
        _ => None,
    });
    assert_eq!(&created[0].1, reply, "the event carries the preview too");
    p.reply_to = Some(7);
    p.idempotency_key = "b2".into();
    assert_eq!(
        env.err("bob", Request::SendMessage(p)),
        ErrorCode::MESSAGE_NOT_FOUND
    );

    env.change("alice", edit_text("g", &general, 1, "e1", "edited line"));
    let preview = env.message("bob", "g", &general, 2).reply_preview.unwrap();
    assert_eq!(
        (preview.text.as_str(), preview.state),
        ("edited line", PreviewState::Edited)
    );
    env.change(
        "alice",
        Request::RecallMessage(message_ref("g", &general, 1)),
    );
    let reply = env.message("bob", "g", &general, 2);
    let preview = reply.reply_preview.clone().unwrap();
    assert_eq!(
        (preview.text.as_str(), preview.state),
        ("", PreviewState::Recalled)
    );
    // Pinned replies show it too, and a resend of the reply returns it as it is now.
    env.change("alice", Request::PinMessage(message_ref("g", &general, 2)));
    let Response::Messages(pins) = env
        .ok(
            "bob",
            Request::ListPins(ChannelRef {
                community_id: "g".into(),
                channel_id: general.as_str().into(),
            }),
        )
        .response
    else {
        panic!()
    };
    assert_eq!(pins.messages[0].reply_preview, Some(preview));
    let mut resend = send_message("g", &general, "b1", text("re"));
    resend.reply_to = Some(1);
    let Response::MessageSent(again) = env.ok("bob", Request::SendMessage(resend)).response else {
        panic!()
    };
    assert_eq!(again.reply_preview, reply.reply_preview);
    // A recalled reply shows no preview.
    let recalled = env.change("bob", Request::RecallMessage(message_ref("g", &general, 2)));
    assert_eq!(recalled.message.reply_preview, None);
    assert_eq!(recalled.message.reply_to, Some(1));
}
