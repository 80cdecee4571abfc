//! Conversations as operations: starting one (direct: at most one per pair; group: up to
//! `max_conversation_members`), the argument checks, renaming, growing, leaving, the list
//! and its pages, `@me` as no community, and `Domain::conversation_participants`. The
//! message model inside conversations is in `conversation_messages`; policies and blocks
//! in `dm_policy`. The fixtures here serve all three.

use community_protocol::request::*;
use community_protocol::response::{ConversationEntry, ConversationsPage};
use community_protocol::{
    ChannelId, ConversationKind, ErrorCode, Event, Request, Response, UserId,
};

use crate::routing::Audience;
use crate::test_support::*;

/// `create_conversation` with these users.
pub(super) fn start_request(users: &[&str], name: &str, group: bool) -> Request {
    Request::CreateConversation(CreateConversation {
        user_ids: users.iter().map(|u| UserId::from(*u)).collect(),
        name: name.into(),
        group,
    })
}

/// Starts a conversation that must be created (or found); returns the caller's entry.
#[track_caller]
pub(super) fn start(env: &Env, caller: &str, users: &[&str], group: bool) -> ConversationEntry {
    match env.ok(caller, start_request(users, "", group)).response {
        Response::Conversation(entry) => entry,
        other => panic!("unexpected {other:?}"),
    }
}

/// The direct conversation of two users (known first); its id.
#[track_caller]
pub(super) fn direct(env: &Env, caller: &str, other: &str) -> String {
    env.login(&[caller, other]);
    start(env, caller, &[other], false)
        .conversation
        .conversation_id
        .to_string()
}

/// The caller's conversations, one page.
#[track_caller]
pub(super) fn page(
    env: &Env,
    caller: &str,
    cursor: Option<String>,
    limit: u32,
) -> ConversationsPage {
    let request = Request::ListConversations(PageQuery {
        cursor,
        limit: Some(limit),
    });
    match env.ok(caller, request).response {
        Response::Conversations(page) => page,
        other => panic!("unexpected {other:?}"),
    }
}

fn rename(id: &str, name: &str) -> Request {
    Request::UpdateConversation(UpdateConversation {
        conversation_id: id.into(),
        name: name.into(),
    })
}

fn add(id: &str, users: &[&str]) -> Request {
    Request::AddConversationMembers(ConversationMembers {
        conversation_id: id.into(),
        user_ids: users.iter().map(|u| UserId::from(*u)).collect(),
    })
}

fn leave(id: &str) -> Request {
    Request::LeaveConversation(ConversationRef {
        conversation_id: id.into(),
    })
}

/// The `conversation_updated` events of a request: (audience, conversation id, head's
/// reader is implied by the audience, unread count).
fn updates(handled: &crate::routing::Handled) -> Vec<(Audience, ChannelId, Vec<UserId>)> {
    events(handled, |e| match e {
        Event::ConversationUpdated { conversation, head } => {
            assert!(head.community_id.is_direct());
            assert_eq!(head.channel_id, conversation.conversation_id);
            Some((
                conversation.conversation_id.clone(),
                conversation.participants.clone(),
            ))
        }
        _ => None,
    })
    .into_iter()
    .map(|(audience, (id, participants))| (audience.clone(), id, participants))
    .collect()
}

#[test]
fn a_direct_conversation_is_one_per_pair_and_told_to_both() {
    let env = Env::new();
    env.login(&["alice", "bob"]);
    let handled = env.ok("alice", start_request(&["bob"], "", false));
    let Response::Conversation(entry) = &handled.response else {
        panic!("conversation expected")
    };
    let info = &entry.conversation;
    assert!(info.conversation_id.as_str().starts_with("dm_"));
    assert_eq!(info.kind, ConversationKind::Direct);
    assert_eq!(info.participants, vec![UserId::from("alice"), "bob".into()]);
    assert_eq!(
        (info.created_by.as_str(), info.created_at_ms),
        ("alice", T0)
    );
    assert_eq!((info.last_seq, info.last_activity_ms), (0, T0));
    assert!(entry.head.community_id.is_direct());
    assert_eq!((entry.head.read_seq, entry.head.unread_count), (0, 0));
    let told = updates(&handled);
    assert_eq!(told.len(), 2);
    assert!(told.contains(&(
        Audience::OtherSessionsOfCaller,
        info.conversation_id.clone(),
        info.participants.clone()
    )));
    assert!(told.contains(&(
        Audience::Users(vec!["bob".into()]),
        info.conversation_id.clone(),
        info.participants.clone()
    )));
    // Either side asking again gets the same one, and nobody is told again.
    env.clock.advance(5);
    for (caller, other) in [("alice", "bob"), ("bob", "alice")] {
        let again = env.ok(caller, start_request(&[other], "", false));
        let Response::Conversation(found) = &again.response else {
            panic!("conversation expected")
        };
        assert_eq!(found.conversation, *info);
        assert!(again.deliveries.is_empty());
    }
    // `group: true` starts a new one with the same two.
    let group = start(&env, "alice", &["bob"], true);
    assert_eq!(group.conversation.kind, ConversationKind::Group);
    assert_ne!(group.conversation.conversation_id, info.conversation_id);
}

#[test]
fn bad_arguments_are_refused_with_typed_codes() {
    let env = Env::new();
    env.login(&["alice", "bob"]);
    let cases: Vec<(Request, ErrorCode)> = vec![
        (start_request(&[], "", false), ErrorCode::INVALID_ARGUMENT),
        (
            start_request(&["alice"], "", false),
            ErrorCode::INVALID_ARGUMENT,
        ),
        (
            start_request(&["bob", "bob"], "", true),
            ErrorCode::INVALID_ARGUMENT,
        ),
        (
            start_request(&["nobody"], "", false),
            ErrorCode::USER_NOT_FOUND,
        ),
        (
            start_request(&["bob", "ghost"], "", false),
            ErrorCode::USER_NOT_FOUND,
        ),
        (start_request(&[""], "", false), ErrorCode::INVALID_USER_ID),
        (
            start_request(&["bob"], "named", false),
            ErrorCode::INVALID_ARGUMENT,
        ),
        (
            start_request(&["bob"], &"n".repeat(101), true),
            ErrorCode::CHANNEL_NAME_TOO_LONG,
        ),
    ];
    for (request, code) in cases {
        assert_eq!(env.err("alice", request.clone()), code, "{request:?}");
    }
    let named = env.ok("alice", start_request(&["bob"], &"n".repeat(100), true));
    assert!(matches!(named.response, Response::Conversation(_)));
}

#[test]
fn a_group_holds_ten_participants_the_creator_included() {
    let env = Env::new();
    let users: Vec<String> = (1..=10).map(|n| format!("u{n:02}")).collect();
    let names: Vec<&str> = users.iter().map(String::as_str).collect();
    env.login(&names);
    env.login(&["alice"]);
    assert_eq!(
        env.err("alice", start_request(&names, "", true)),
        ErrorCode::TOO_MANY_PARTICIPANTS
    );
    let handled = env.ok("alice", start_request(&names[..9], "ten", false));
    let Response::Conversation(entry) = &handled.response else {
        panic!("conversation expected")
    };
    assert_eq!(entry.conversation.kind, ConversationKind::Group);
    assert_eq!(entry.conversation.participants.len(), 10);
    // Each of the nine others is told on their own, the caller's other sessions too.
    assert_eq!(updates(&handled).len(), 10);
    let id = entry.conversation.conversation_id.to_string();
    assert_eq!(
        env.err("u01", add(&id, &["u10"])),
        ErrorCode::TOO_MANY_PARTICIPANTS
    );
    // Users already in it are passed over: nothing changes, nobody is told.
    let same = env.ok("u01", add(&id, &["u02", "alice"]));
    assert!(same.deliveries.is_empty());
}

#[test]
fn groups_are_renamed_and_grown_by_participants_and_direct_ones_are_not() {
    let env = Env::new();
    env.login(&["alice", "bob", "carol", "dave", "erin"]);
    let group = start(&env, "alice", &["bob", "carol"], true);
    let id = group.conversation.conversation_id.to_string();
    let handled = env.ok("bob", rename(&id, "plans"));
    let Response::Conversation(entry) = &handled.response else {
        panic!("conversation expected")
    };
    assert_eq!(entry.conversation.name, "plans");
    assert_eq!(updates(&handled).len(), 3);
    assert!(env.ok("carol", rename(&id, "plans")).deliveries.is_empty());
    assert_eq!(
        env.err("bob", rename(&id, &"x".repeat(101))),
        ErrorCode::CHANNEL_NAME_TOO_LONG
    );
    // Outsiders and unknown ids: not found.
    assert_eq!(
        env.err("dave", rename(&id, "x")),
        ErrorCode::CONVERSATION_NOT_FOUND
    );
    assert_eq!(
        env.err("dave", add(&id, &["dave"])),
        ErrorCode::CONVERSATION_NOT_FOUND
    );
    assert_eq!(
        env.err("bob", rename("dm_nothing", "x")),
        ErrorCode::CONVERSATION_NOT_FOUND
    );
    // A new participant reads from the end: the history is there, not unread.
    env.send("alice", "@me", &id, "k1", "before dave");
    let grown = env.ok("carol", add(&id, &["dave"]));
    let Response::Conversation(entry) = &grown.response else {
        panic!("conversation expected")
    };
    assert_eq!(entry.conversation.participants.len(), 4);
    let told = updates(&grown);
    assert_eq!(told.len(), 4);
    assert!(
        told.iter()
            .any(|(a, ..)| *a == Audience::Users(vec!["dave".into()]))
    );
    let daves = env.head("dave", "@me", &id);
    assert_eq!(
        (daves.last_seq, daves.read_seq, daves.unread_count),
        (1, 1, 0)
    );
    assert_eq!(env.all_messages("dave", "@me", &id).len(), 1);
    // A direct conversation is neither renamed, nor grown, nor left.
    let dm = direct(&env, "alice", "erin");
    for request in [rename(&dm, "x"), add(&dm, &["bob"]), leave(&dm)] {
        assert_eq!(env.err("alice", request), ErrorCode::INVALID_ARGUMENT);
    }
}

#[test]
fn leaving_a_group_stops_its_messages_and_the_last_one_deletes_it() {
    let env = Env::new();
    env.login(&["alice", "bob", "carol"]);
    let group = start(&env, "alice", &["bob", "carol"], false);
    let id = group.conversation.conversation_id.to_string();
    env.send("bob", "@me", &id, "k1", "hello");
    let handled = env.ok("carol", leave(&id));
    assert_eq!(handled.response, Response::Ok);
    let removed = events(&handled, |e| match e {
        Event::ConversationRemoved { conversation_id } => Some(conversation_id.clone()),
        _ => None,
    });
    assert_eq!(
        removed,
        vec![(
            &Audience::OtherSessionsOfCaller,
            ChannelId::from(id.as_str())
        )]
    );
    let told = updates(&handled);
    assert_eq!(told.len(), 2);
    for (audience, _, participants) in &told {
        assert_eq!(participants, &vec![UserId::from("alice"), "bob".into()]);
        assert_ne!(*audience, Audience::OtherSessionsOfCaller);
    }
    // Carol is out: no sending, reading, or listing; the others' messages skip her.
    assert_eq!(
        env.err("carol", send("@me", &id, "k2", "back?")),
        ErrorCode::CONVERSATION_NOT_FOUND
    );
    assert_eq!(
        env.err("carol", leave(&id)),
        ErrorCode::CONVERSATION_NOT_FOUND
    );
    assert!(page(&env, "carol", None, 10).conversations.is_empty());
    let sent = env.ok("alice", send("@me", &id, "k3", "without carol"));
    let (audience, _) = events(&sent, |e| match e {
        Event::MessageCreated { message } => Some(message.seq),
        _ => None,
    })[0];
    assert_eq!(users(audience), vec![UserId::from("alice"), "bob".into()]);
    env.ok("alice", leave(&id));
    let last = env.ok("bob", leave(&id));
    assert!(updates(&last).is_empty());
    assert!(page(&env, "bob", None, 10).conversations.is_empty());
    assert_eq!(
        env.err(
            "bob",
            Request::GetMessages(GetMessages {
                community_id: "@me".into(),
                channel_id: id.as_str().into(),
                before_seq: None,
                after_seq: None,
                limit: None,
            })
        ),
        ErrorCode::CONVERSATION_NOT_FOUND
    );
}

#[test]
fn the_list_pages_by_activity_newest_first() {
    let env = Env::new();
    let others = ["b1", "b2", "b3", "b4", "b5"];
    env.login(&others);
    env.login(&["alice"]);
    let mut ids = Vec::new();
    for other in others {
        env.clock.advance(10);
        ids.push(direct(&env, "alice", other));
    }
    // The oldest becomes the newest.
    env.clock.advance(10);
    env.send("b1", "@me", &ids[0], "k1", "up");
    let expected = [&ids[0], &ids[4], &ids[3], &ids[2], &ids[1]];
    let mut seen = Vec::new();
    let mut cursor = None;
    for _ in 0..3 {
        let page = page(&env, "alice", cursor, 2);
        for entry in &page.conversations {
            assert!(entry.head.community_id.is_direct());
            assert_eq!(entry.head.channel_id, entry.conversation.conversation_id);
            seen.push(entry.conversation.conversation_id.to_string());
        }
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(seen, expected.map(String::clone));
    let first = page(&env, "alice", None, 1).conversations.remove(0);
    assert_eq!((first.head.last_seq, first.head.unread_count), (1, 1));
    let bad = Request::ListConversations(PageQuery {
        cursor: Some("garbage".into()),
        limit: None,
    });
    assert_eq!(env.err("alice", bad), ErrorCode::INVALID_CURSOR);
}

#[test]
fn at_me_is_no_community_and_has_no_threads() {
    let env = Env::new();
    let dm = direct(&env, "alice", "bob");
    assert_eq!(
        env.err("alice", community_ref_get("@me")),
        ErrorCode::COMMUNITY_NOT_FOUND
    );
    assert_eq!(
        env.err("alice", join("@me")),
        ErrorCode::COMMUNITY_NOT_FOUND
    );
    let thread = Request::CreateThread(CreateThread {
        community_id: "@me".into(),
        channel_id: dm.as_str().into(),
        name: "t".into(),
        parent_seq: None,
        auto_archive_ms: None,
    });
    assert_eq!(env.err("alice", thread), ErrorCode::INVALID_ARGUMENT);
    // A client that sends `@me` among its known communities does not see it removed.
    let mut known = std::collections::BTreeMap::new();
    known.insert("@me".into(), 0);
    let Response::Synced(synced) = env.ok("alice", Request::Sync(Sync { known })).response else {
        panic!("synced expected")
    };
    assert!(synced.removed.is_empty() && synced.changed.is_empty());
    assert_eq!(synced.conversations.len(), 1);
}

#[test]
fn participants_are_told_to_the_transport_for_participants_only() {
    let env = Env::new();
    let dm = direct(&env, "alice", "bob");
    env.login(&["carol"]);
    let group = start(&env, "alice", &["bob", "carol"], true);
    let participants = |caller: &str, id: &str| {
        env.domain
            .conversation_participants(&caller.into(), &id.into())
    };
    assert_eq!(
        participants("bob", &dm).unwrap(),
        vec![UserId::from("alice"), "bob".into()]
    );
    let code = |r: Result<Vec<UserId>, community_protocol::ApiError>| r.unwrap_err().code;
    assert_eq!(
        code(participants("carol", &dm)),
        ErrorCode::CONVERSATION_NOT_FOUND
    );
    assert_eq!(
        code(participants("bob", "dm_x")),
        ErrorCode::CONVERSATION_NOT_FOUND
    );
    env.ok(
        "bob",
        Request::BlockUser(UserRef {
            user_id: "alice".into(),
        }),
    );
    assert_eq!(code(participants("alice", &dm)), ErrorCode::BLOCKED);
    let group_id = group.conversation.conversation_id.to_string();
    assert_eq!(participants("alice", &group_id).unwrap().len(), 3);
}
