//! The message model inside conversations (`@me` and the conversation's id): sending
//! with gap-free sequences and idempotency keys, history, heads with unread and mention
//! counts, read state synced to the user's other sessions, hiding, edits, recalls,
//! reactions, pins, replies, forwards, the change log, who receives what, what a
//! participant may not do, and `sync` with exact heads, across a reopen.

use community_protocol::request::*;
use community_protocol::response::Heads;
use community_protocol::{
    ChangeKind, ErrorCode, Event, Mentions, MessageContent, Request, Response, UserId,
};

use super::conversations::{direct, start};
use crate::routing::Audience;
use crate::test_support::*;

/// A send into a conversation mentioning `users`.
fn send_mentioning(channel: &str, key: &str, body: &str, users: &[&str]) -> Request {
    let mut p = send_message("@me", channel, key, text(body));
    p.mentions = Mentions {
        users: users.iter().map(|u| UserId::from(*u)).collect(),
        ..Default::default()
    };
    Request::SendMessage(p)
}

#[test]
fn messages_flow_with_sequences_keys_and_counts() {
    let env = Env::new();
    env.login(&["alice", "bob", "carol"]);
    let group = start(&env, "alice", &["bob", "carol"], true);
    let id = group.conversation.conversation_id.to_string();
    let sent = env.ok("alice", send("@me", &id, "k1", "one"));
    let Response::MessageSent(first) = &sent.response else {
        panic!("message expected")
    };
    assert_eq!((first.seq, first.community_id.as_str()), (1, "@me"));
    assert_eq!(first.channel_id.as_str(), id);
    let created = events(&sent, |e| match e {
        Event::MessageCreated { message } => Some(message.seq),
        _ => None,
    });
    assert_eq!(
        users(created[0].0),
        vec![UserId::from("alice"), "bob".into(), "carol".into()]
    );
    // A resend answers the stored message and tells nobody.
    let again = env.ok("alice", send("@me", &id, "k1", "one"));
    assert_eq!(again.response, Response::MessageSent(first.clone()));
    assert!(again.deliveries.is_empty());
    env.send("bob", "@me", &id, "k2", "two");
    env.ok("bob", send_mentioning(&id, "k3", "hey @alice", &["alice"]));
    let mut everyone = send_message("@me", &id, "k4", text("all"));
    everyone.mentions.everyone = true;
    everyone.reply_to = Some(1);
    let Response::MessageSent(reply) = env.ok("carol", Request::SendMessage(everyone)).response
    else {
        panic!("message expected")
    };
    assert_eq!(reply.reply_to, Some(1));
    let seqs: Vec<u64> = env
        .all_messages("carol", "@me", &id)
        .iter()
        .map(|m| m.seq)
        .collect();
    assert_eq!(seqs, vec![1, 2, 3, 4]);
    let head = env.head("alice", "@me", &id);
    assert!(head.community_id.is_direct());
    assert_eq!(
        (head.last_seq, head.unread_count, head.mention_count),
        (4, 3, 2)
    );
    // Marking read moves the head and is told to the reader's other sessions.
    let read = env.ok("alice", mark_read("@me", &id, 3));
    let Response::ReadState(head) = &read.response else {
        panic!("read state expected")
    };
    assert_eq!(
        (head.read_seq, head.unread_count, head.mention_count),
        (3, 1, 1)
    );
    let told = events(&read, |e| match e {
        Event::ReadStateChanged { head } => Some(head.clone()),
        _ => None,
    });
    assert_eq!(told, vec![(&Audience::OtherSessionsOfCaller, head.clone())]);
    // Hiding is the reader's own, told the same way.
    let hidden = env.ok("alice", Request::HideMessage(message_ref("@me", &id, 4)));
    let Response::ReadState(head) = &hidden.response else {
        panic!("read state expected")
    };
    assert_eq!((head.hidden.clone(), head.unread_count), (vec![4], 0));
    // get_heads of @me: one per conversation of the caller.
    let other = direct(&env, "alice", "bob");
    let Response::Heads(Heads { heads }) = env
        .ok(
            "alice",
            Request::GetHeads(CommunityRef {
                community_id: "@me".into(),
            }),
        )
        .response
    else {
        panic!("heads expected")
    };
    let mut ids: Vec<String> = heads.iter().map(|h| h.channel_id.to_string()).collect();
    ids.sort();
    let mut expected = vec![id.clone(), other];
    expected.sort();
    assert_eq!(ids, expected);
}

#[test]
fn changes_follow_the_channel_rules_without_roles() {
    let env = Env::new();
    env.login(&["alice", "bob", "carol"]);
    let group = start(&env, "alice", &["bob", "carol"], true);
    let id = group.conversation.conversation_id.to_string();
    env.send("bob", "@me", &id, "k1", "bob's");
    env.send("alice", "@me", &id, "k2", "alice's");
    // Only the author edits or recalls.
    assert_eq!(
        env.err("alice", edit_text("@me", &id, 1, "e1", "mine now")),
        ErrorCode::NOT_AUTHOR
    );
    assert_eq!(
        env.err("alice", Request::RecallMessage(message_ref("@me", &id, 1))),
        ErrorCode::NOT_AUTHOR
    );
    let edited = env.ok("bob", edit_text("@me", &id, 1, "e2", "bob's, edited"));
    let changed = events(&edited, |e| match e {
        Event::MessageChanged { change } => Some(change.change_seq),
        _ => None,
    });
    assert_eq!(changed.len(), 1);
    assert_eq!(users(changed[0].0).len(), 3);
    // Every participant reacts and pins.
    env.change("carol", react("@me", &id, 1, "👍", true));
    env.change("alice", Request::PinMessage(message_ref("@me", &id, 1)));
    let recalled = env.change("alice", Request::RecallMessage(message_ref("@me", &id, 2)));
    assert!(recalled.message.content.is_recalled());
    let Response::Changes(log) = env.ok("carol", get_changes("@me", &id, 0, None)).response else {
        panic!("changes expected")
    };
    let kinds: Vec<&str> = log.changes.iter().map(|c| c.kind.name()).collect();
    assert_eq!(
        kinds,
        vec!["edited", "reaction_added", "pinned", "recalled"]
    );
    assert_eq!(log.change_seq, 4);
    assert!(matches!(log.changes[0].kind, ChangeKind::Edited { .. }));
    let pins = Request::ListPins(ChannelRef {
        community_id: "@me".into(),
        channel_id: id.as_str().into(),
    });
    let Response::Messages(pinned) = env.ok("bob", pins).response else {
        panic!("messages expected")
    };
    assert_eq!(pinned.messages.len(), 1);
    // No roles: server content and group mentions are not a participant's.
    let system = send_message(
        "@me",
        &id,
        "k3",
        MessageContent::System {
            event: "x".into(),
            text: "y".into(),
        },
    );
    assert_eq!(
        env.err("alice", Request::SendMessage(system)),
        ErrorCode::PERMISSION_DENIED
    );
    let mut group_mention = send_message("@me", &id, "k4", text("@mods"));
    group_mention.mentions.groups = vec!["mods".into()];
    assert_eq!(
        env.err("alice", Request::SendMessage(group_mention)),
        ErrorCode::GROUP_NOT_FOUND
    );
    // Outsiders find nothing, whatever they try.
    env.login(&["dave"]);
    for request in [
        send("@me", &id, "k5", "let me in"),
        mark_read("@me", &id, 1),
        react("@me", &id, 1, "👍", true),
        get_changes("@me", &id, 0, None),
    ] {
        assert_eq!(env.err("dave", request), ErrorCode::CONVERSATION_NOT_FOUND);
    }
}

#[test]
fn messages_forward_between_conversations_and_channels() {
    let env = Env::new();
    let general = env.create("alice", "c").info.default_channel_id.to_string();
    let dm = direct(&env, "alice", "bob");
    let original = env.send("bob", "@me", &dm, "k1", "secret plan");
    let mut forward = send_message("c", &general, "k2", text(""));
    forward.forward_of = Some(message_ref("@me", &dm, original.seq));
    let Response::MessageSent(copy) = env
        .ok("alice", Request::SendMessage(forward.clone()))
        .response
    else {
        panic!("message expected")
    };
    assert_eq!(copy.content, original.content);
    assert!(copy.forwarded_from.unwrap().community_id.is_direct());
    // Someone outside the conversation cannot forward from it.
    env.join("carol", "c");
    forward.idempotency_key = "k3".into();
    assert_eq!(
        env.err("carol", Request::SendMessage(forward)),
        ErrorCode::CONVERSATION_NOT_FOUND
    );
}

#[test]
fn sync_lists_every_conversation_with_exact_heads_across_a_reopen() {
    let env = Env::new();
    env.login(&["alice", "bob", "carol"]);
    let dm = direct(&env, "alice", "bob");
    let group = start(&env, "carol", &["alice", "bob"], true);
    let gid = group.conversation.conversation_id.to_string();
    env.clock.advance(1);
    env.send("bob", "@me", &dm, "k1", "one");
    env.send("bob", "@me", &dm, "k2", "two");
    env.clock.advance(1);
    env.ok("bob", send_mentioning(&gid, "k3", "@alice", &["alice"]));
    env.ok("alice", mark_read("@me", &dm, 1));
    let env = env.reopen();
    let Response::Synced(synced) = env.ok("alice", Request::Sync(Sync::default())).response else {
        panic!("synced expected")
    };
    assert_eq!(synced.conversations.len(), 2);
    // Newest activity first: the group got the last message.
    let first = &synced.conversations[0];
    assert_eq!(first.conversation.conversation_id.as_str(), gid);
    assert_eq!(
        (
            first.head.last_seq,
            first.head.unread_count,
            first.head.mention_count
        ),
        (1, 1, 1)
    );
    let second = &synced.conversations[1];
    assert_eq!(second.conversation.conversation_id.as_str(), dm);
    assert_eq!(
        (
            second.head.last_seq,
            second.head.read_seq,
            second.head.unread_count
        ),
        (2, 1, 1)
    );
    for entry in &synced.conversations {
        assert_eq!(
            entry.head,
            env.head("alice", "@me", entry.head.channel_id.as_str())
        );
        assert_eq!(entry.conversation.last_seq, entry.head.last_seq);
    }
    let texts: Vec<String> = env
        .all_messages("alice", "@me", &dm)
        .iter()
        .map(|m| m.content.preview_text())
        .collect();
    assert_eq!(texts, vec!["one", "two"]);
}
