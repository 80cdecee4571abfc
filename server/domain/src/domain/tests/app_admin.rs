//! The app admin (`@admin`): an owner in every community without being a member, and its
//! own operations (import, system posts, listing every community).

use community_protocol::request::*;
use community_protocol::{ErrorCode, MessageContent, Request, Response, Role, UserId};

use crate::test_support::*;

const ADMIN: &str = UserId::APP_ADMIN;

fn update_name(id: &str, name: &str) -> Request {
    Request::UpdateCommunity(UpdateCommunity {
        community_id: id.into(),
        name: Some(name.into()),
        ..Default::default()
    })
}

#[test]
fn the_app_admin_is_an_owner_everywhere_without_being_a_member() {
    let env = Env::new();
    env.create("alice", "g");
    env.join("bob", "g");
    env.ok(ADMIN, update_name("g", "renamed"));
    env.ok(
        ADMIN,
        Request::SetMemberRole(SetMemberRole {
            community_id: "g".into(),
            user_id: "bob".into(),
            role: Role::Admin,
        }),
    );
    env.ok(ADMIN, Request::KickMember(member_ref("g", "bob")));
    assert!(
        env.domain
            .joined_community_ids(&UserId::app_admin())
            .unwrap()
            .is_empty(),
        "the app admin is no member"
    );
    // The owner stays untouchable, even for the app admin.
    assert_eq!(
        env.err(ADMIN, Request::KickMember(member_ref("g", "alice"))),
        ErrorCode::CANNOT_ACT_ON_OWNER
    );
    // Not-found answers are the WebSocket API's.
    assert_eq!(
        env.err(ADMIN, update_name("nope", "x")),
        ErrorCode::COMMUNITY_NOT_FOUND
    );
    env.ok(
        ADMIN,
        Request::DismissCommunity(CommunityRef {
            community_id: "g".into(),
        }),
    );
}

#[test]
fn the_app_admin_does_not_become_a_member_author_or_participant() {
    let env = Env::new();
    let snapshot = env.create("alice", "g");
    let general = snapshot.info.default_channel_id.to_string();
    for request in [
        Request::CreateCommunity(CreateCommunity {
            name: "mine".into(),
            ..Default::default()
        }),
        join("g"),
        send("g", &general, "k", "hello"),
        Request::TransferOwnership(member_ref("g", "alice")),
    ] {
        assert_eq!(env.err(ADMIN, request), ErrorCode::INVALID_ARGUMENT);
    }
    assert!(
        env.domain
            .joined_community_ids(&UserId::app_admin())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn reserved_ids_cannot_be_invited() {
    let env = Env::new();
    env.create("alice", "g");
    let handled = env.ok(
        "alice",
        Request::InviteMembers(InviteMembers {
            community_id: "g".into(),
            user_ids: vec!["@admin".into(), "bob".into()],
        }),
    );
    let Response::Users(outcome) = &handled.response else {
        panic!("unexpected {:?}", handled.response);
    };
    assert_eq!(outcome.succeeded, vec!["bob"]);
    assert_eq!(outcome.failed[0].user_id, "@admin");
    assert_eq!(outcome.failed[0].error.code, ErrorCode::INVALID_USER_ID);
}

#[test]
fn an_ordinary_member_gets_nothing_of_it() {
    let env = Env::new();
    env.create("alice", "g");
    env.join("bob", "g");
    assert_eq!(
        env.err("bob", update_name("g", "x")),
        ErrorCode::PERMISSION_DENIED
    );
}

#[test]
fn import_adds_members_reports_each_refusal_and_caps_the_batch() {
    let env = Env::new();
    env.create("alice", "g");
    env.join("bob", "g");
    let users = ["carol", "dan", "bob", "carol", "@bot", ""]
        .into_iter()
        .map(UserId::from)
        .collect();
    let handled = env.domain.admin_import_members(&"g".into(), users).unwrap();
    let Response::Users(outcome) = &handled.response else {
        panic!("unexpected {:?}", handled.response);
    };
    assert_eq!(outcome.succeeded, vec!["carol", "dan"]);
    let failed: Vec<_> = outcome
        .failed
        .iter()
        .map(|f| (f.user_id.as_str(), f.error.code))
        .collect();
    assert_eq!(
        failed,
        vec![
            ("bob", ErrorCode::ALREADY_MEMBER),
            ("@bot", ErrorCode::INVALID_USER_ID),
            ("", ErrorCode::INVALID_USER_ID),
        ]
    );
    assert_eq!(handled.membership.len(), 2);
    let kinds = event_kinds(&handled);
    assert_eq!(
        kinds.iter().filter(|k| *k == "member_joined").count(),
        2,
        "{kinds:?}"
    );
    assert_eq!(env.snapshot("carol", "g").info.member_count, 4);
    let too_many = (0..=crate::IMPORT_BATCH_MAX)
        .map(|i| UserId::from(format!("u{i}")))
        .collect();
    let error = env
        .domain
        .admin_import_members(&"g".into(), too_many)
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::TOO_MANY_INVITEES);
    let error = env
        .domain
        .admin_import_members(&"nope".into(), vec!["x".into()])
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::COMMUNITY_NOT_FOUND);
}

#[test]
fn system_posts_land_in_the_default_channel_and_communities_are_listed() {
    let env = Env::new();
    let snapshot = env.create("alice", "g");
    env.create("bob", "h");
    let handled = env
        .domain
        .admin_post_system(&"g".into(), None, "maintenance tonight".into())
        .unwrap();
    let Response::MessageSent(message) = &handled.response else {
        panic!("unexpected {:?}", handled.response);
    };
    assert_eq!(message.channel_id, snapshot.info.default_channel_id);
    assert!(message.sender_id.is_empty());
    assert!(
        matches!(&message.content, MessageContent::System { event, .. } if event == crate::ADMIN_EVENT)
    );
    assert_eq!(event_kinds(&handled), vec!["message_created"]);
    let error = env
        .domain
        .admin_post_system(&"g".into(), Some(&"ch_nope".into()), "x".into())
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::CHANNEL_NOT_FOUND);
    let first = env.domain.admin_communities(None, Some(1)).unwrap();
    assert_eq!(first.items.len(), 1);
    assert_eq!(first.items[0].community_id, "g");
    let cursor = first.next_cursor.expect("a second page");
    let rest = env.domain.admin_communities(Some(&cursor), None).unwrap();
    assert_eq!(rest.items.len(), 1);
    assert_eq!(rest.items[0].community_id, "h");
    assert_eq!(rest.next_cursor, None);
    let code = |r: Result<_, community_protocol::ApiError>| r.unwrap_err().code;
    assert_eq!(
        code(env.domain.admin_communities(Some("garbage"), None)),
        ErrorCode::INVALID_CURSOR
    );
    assert_eq!(
        code(env.domain.admin_communities(None, Some(0))),
        ErrorCode::PAGE_SIZE_TOO_LARGE
    );
}

#[test]
fn system_posts_reach_threads_too() {
    let env = Env::new();
    let snapshot = env.create("alice", "g");
    let general = snapshot.info.default_channel_id.clone();
    let created = env.ok(
        "alice",
        Request::CreateThread(CreateThread {
            community_id: "g".into(),
            channel_id: general,
            name: "plans".into(),
            parent_seq: None,
            auto_archive_ms: None,
        }),
    );
    let Response::Thread(thread) = &created.response else {
        panic!("unexpected {:?}", created.response);
    };
    let handled = env
        .domain
        .admin_post_system(&"g".into(), Some(&thread.thread_id), "in the thread".into())
        .unwrap();
    let Response::MessageSent(message) = &handled.response else {
        panic!("unexpected {:?}", handled.response);
    };
    assert_eq!(message.channel_id, thread.thread_id);
    let error = env
        .domain
        .admin_post_system(&"g".into(), Some(&"th_nope".into()), "x".into())
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::THREAD_NOT_FOUND);
}
