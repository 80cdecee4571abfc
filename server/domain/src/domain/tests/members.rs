use community_protocol::request::*;
use community_protocol::response::MembersPage;
use community_protocol::{ErrorCode, Event, RemovalReason, Request, Response, Role};

use crate::routing::Audience;
use crate::test_support::*;

/// alice owns "g"; carol and dan are admins; bob and eve are members.
fn guild() -> (Env, String) {
    let env = Env::new();
    let snapshot = env.create("alice", "g");
    for user in ["bob", "carol", "dan", "eve"] {
        env.clock.advance(1);
        env.join(user, "g");
    }
    env.promote("alice", "g", "carol");
    env.promote("alice", "g", "dan");
    (env, snapshot.info.default_channel_id.to_string())
}

fn role(id: &str, user: &str, role: Role) -> Request {
    Request::SetMemberRole(SetMemberRole {
        community_id: id.into(),
        user_id: user.into(),
        role,
    })
}

fn kick(user: &str) -> Request {
    Request::KickMember(member_ref("g", user))
}

fn mute(user: &str, until_ms: Option<i64>) -> Request {
    Request::MuteMember(MuteMember {
        community_id: "g".into(),
        user_id: user.into(),
        until_ms,
    })
}

#[test]
fn only_the_owner_sets_roles() {
    let (env, _) = guild();
    assert_eq!(
        env.err("carol", role("g", "bob", Role::Admin)),
        ErrorCode::OWNER_ONLY
    );
    assert_eq!(
        env.err("bob", role("g", "eve", Role::Admin)),
        ErrorCode::OWNER_ONLY
    );
    assert_eq!(
        env.err("alice", role("g", "bob", Role::Owner)),
        ErrorCode::INVALID_ARGUMENT
    );
    assert_eq!(
        env.err("alice", role("g", "alice", Role::Member)),
        ErrorCode::CANNOT_ACT_ON_OWNER
    );
    assert_eq!(
        env.err("alice", role("g", "zed", Role::Admin)),
        ErrorCode::NOT_MEMBER
    );
    let handled = env.ok("alice", role("g", "bob", Role::Admin));
    assert!(matches!(handled.response, Response::Member(ref m) if m.role == Role::Admin));
    assert!(
        matches!(&handled.deliveries[0].event, Event::MemberUpdated { member } if member.user_id == "bob")
    );
    assert_eq!(
        handled.deliveries[0].audience,
        Audience::Community("g".into())
    );
    env.ok("alice", role("g", "bob", Role::Member));
    assert_eq!(env.snapshot("bob", "g").me.role, Role::Member);
}

#[test]
fn kick_rules() {
    let (env, _) = guild();
    assert_eq!(env.err("bob", kick("eve")), ErrorCode::PERMISSION_DENIED);
    assert_eq!(
        env.err("carol", kick("alice")),
        ErrorCode::CANNOT_ACT_ON_OWNER
    );
    assert_eq!(
        env.err("carol", kick("dan")),
        ErrorCode::CANNOT_ACT_ON_ADMIN
    );
    assert_eq!(env.err("carol", kick("carol")), ErrorCode::INVALID_ARGUMENT);
    assert_eq!(env.err("carol", kick("zed")), ErrorCode::NOT_MEMBER);
    let handled = env.ok("carol", kick("bob"));
    assert_eq!(handled.membership.len(), 1);
    assert!(!handled.membership[0].joined);
    assert_eq!(users(&handled.deliveries[0].audience), ["bob"]);
    assert!(matches!(
        handled.deliveries[0].event,
        Event::CommunityRemoved {
            reason: RemovalReason::Kicked,
            ..
        }
    ));
    assert!(matches!(
        handled.deliveries[1].event,
        Event::MemberLeft {
            reason: RemovalReason::Kicked,
            member_count: 4,
            ..
        }
    ));
    assert_eq!(
        env.err("bob", community_ref_get("g")),
        ErrorCode::NOT_MEMBER
    );
    // The owner kicks admins.
    env.ok("alice", kick("dan"));
    assert_eq!(env.snapshot("alice", "g").info.member_count, 3);
}

#[test]
fn mute_rules_and_expiry() {
    let (env, general) = guild();
    let until = T0 + 60_000;
    assert_eq!(
        env.err("bob", mute("eve", Some(until))),
        ErrorCode::PERMISSION_DENIED
    );
    assert_eq!(
        env.err("carol", mute("alice", Some(until))),
        ErrorCode::CANNOT_ACT_ON_OWNER
    );
    assert_eq!(
        env.err("carol", mute("dan", Some(until))),
        ErrorCode::CANNOT_ACT_ON_ADMIN
    );
    let handled = env.ok("carol", mute("bob", Some(until)));
    let Response::Member(member) = &handled.response else {
        panic!()
    };
    assert_eq!(member.muted_until_ms, Some(until));
    assert_eq!(event_kinds(&handled), ["member_updated"]);
    assert_eq!(
        env.err("bob", send("g", &general, "k1", "hi")),
        ErrorCode::MUTED
    );
    env.clock.advance(60_001);
    env.send("bob", "g", &general, "k1", "hi again");
    // The owner may mute an admin; unmute with no time.
    env.ok("alice", mute("dan", Some(env.clock.now() + 1_000)));
    assert_eq!(
        env.err("dan", send("g", &general, "k2", "x")),
        ErrorCode::MUTED
    );
    let Response::Member(member) = env.ok("alice", mute("dan", None)).response else {
        panic!()
    };
    assert_eq!(member.muted_until_ms, None);
    env.send("dan", "g", &general, "k2", "x");
    // A time in the past is no mute.
    let Response::Member(member) = env.ok("alice", mute("eve", Some(T0))).response else {
        panic!()
    };
    assert_eq!(member.muted_until_ms, None);
}

#[test]
fn mute_all_silences_ordinary_members() {
    let (env, general) = guild();
    let set = |muted| {
        Request::SetMuteAll(SetMuteAll {
            community_id: "g".into(),
            muted,
        })
    };
    assert_eq!(env.err("bob", set(true)), ErrorCode::PERMISSION_DENIED);
    let version = env.snapshot("alice", "g").info.version;
    let handled = env.ok("carol", set(true));
    let Response::CommunityInfo(info) = &handled.response else {
        panic!()
    };
    assert!(info.mute_all);
    assert_eq!(info.version, version + 1);
    assert_eq!(event_kinds(&handled), ["community_updated"]);
    assert_eq!(
        env.err("bob", send("g", &general, "k1", "hi")),
        ErrorCode::MUTE_ALL
    );
    env.send("carol", "g", &general, "k1", "admins speak");
    env.send("alice", "g", &general, "k1", "owner speaks");
    env.ok("alice", set(false));
    env.send("bob", "g", &general, "k1", "free again");
}

#[test]
fn transfer_ownership() {
    let (env, _) = guild();
    let transfer = |user: &str| Request::TransferOwnership(member_ref("g", user));
    assert_eq!(env.err("carol", transfer("bob")), ErrorCode::OWNER_ONLY);
    assert_eq!(env.err("alice", transfer("zed")), ErrorCode::NOT_MEMBER);
    assert_eq!(
        env.err("alice", transfer("alice")),
        ErrorCode::INVALID_ARGUMENT
    );
    let handled = env.ok("alice", transfer("bob"));
    let Response::Member(new_owner) = &handled.response else {
        panic!()
    };
    assert_eq!(new_owner.role, Role::Owner);
    assert_eq!(
        event_kinds(&handled),
        ["member_updated", "member_updated", "community_updated"]
    );
    let snapshot = env.snapshot("alice", "g");
    assert_eq!(snapshot.info.owner_id, "bob");
    assert_eq!(snapshot.me.role, Role::Admin);
    assert_eq!(
        env.err(
            "bob",
            Request::LeaveCommunity(CommunityRef {
                community_id: "g".into()
            })
        ),
        ErrorCode::OWNER_CANNOT_LEAVE
    );
    // The old owner is an admin now: cannot kick the new owner, may leave.
    assert_eq!(
        env.err("alice", kick("bob")),
        ErrorCode::CANNOT_ACT_ON_OWNER
    );
    env.ok(
        "alice",
        Request::LeaveCommunity(CommunityRef {
            community_id: "g".into(),
        }),
    );
}

#[test]
fn nicknames() {
    let (env, _) = guild();
    let set = |nickname: &str| {
        Request::SetNickname(SetNickname {
            community_id: "g".into(),
            nickname: nickname.into(),
        })
    };
    assert_eq!(
        env.err("bob", set(&"b".repeat(51))),
        ErrorCode::NICKNAME_TOO_LONG
    );
    assert_eq!(env.err("zed", set("z")), ErrorCode::NOT_MEMBER);
    let handled = env.ok("bob", set(&"b".repeat(50)));
    assert_eq!(event_kinds(&handled), ["member_updated"]);
    let handled = env.ok("bob", set("Bobby Tables"));
    let Response::Member(me) = handled.response else {
        panic!()
    };
    assert_eq!(me.nickname, "Bobby Tables");
    assert!(env.ok("bob", set("Bobby Tables")).deliveries.is_empty());
}

fn list(query: Option<&str>, cursor: Option<String>, limit: Option<u32>) -> Request {
    Request::ListMembers(ListMembers {
        community_id: "g".into(),
        query: query.map(Into::into),
        cursor,
        limit,
        group_id: None,
        field: None,
    })
}

fn page(env: &Env, request: Request) -> (Vec<String>, Option<String>, u64) {
    let Response::Members(MembersPage { page, total_count }) = env.ok("alice", request).response
    else {
        panic!()
    };
    (
        page.items
            .into_iter()
            .map(|m| m.user_id.into_string())
            .collect(),
        page.next_cursor,
        total_count,
    )
}

#[test]
fn member_list_pages_searches_and_counts() {
    let (env, _) = guild();
    // Same join time for two users: ordered by id.
    env.join("aaron", "g");
    env.join("abby", "g");
    let (all, next, total) = page(&env, list(None, None, None));
    assert_eq!(
        all,
        ["alice", "bob", "carol", "dan", "aaron", "abby", "eve"]
    );
    assert_eq!(next, None);
    assert_eq!(total, 7);

    let mut seen = Vec::new();
    let mut cursor = None;
    for _ in 0..10 {
        let (ids, next, total) = page(&env, list(None, cursor, Some(3)));
        assert_eq!(total, 7);
        seen.extend(ids);
        cursor = next;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(seen, all);

    let nick = |user: &str, nickname: &str| {
        env.ok(
            user,
            Request::SetNickname(SetNickname {
                community_id: "g".into(),
                nickname: nickname.into(),
            }),
        );
    };
    nick("eve", "ÉCOLE Queen");
    nick("bob", "builder");
    let (found, _, total) = page(&env, list(Some("école"), None, None));
    assert_eq!((found, total), (vec!["eve".to_string()], 1));
    let (found, _, total) = page(&env, list(Some("B"), None, None));
    assert_eq!(found, ["bob", "abby"]);
    assert_eq!(total, 2);
    let (found, next, total) = page(&env, list(Some("a"), None, Some(2)));
    assert_eq!(found, ["alice", "carol"]);
    assert_eq!(total, 5);
    let (found, _, _) = page(&env, list(Some("a"), next, Some(2)));
    assert_eq!(found, ["dan", "aaron"]);

    assert_eq!(
        env.err("alice", list(None, Some("bm90IGEgY3Vyc29y".into()), None)),
        ErrorCode::INVALID_CURSOR
    );
    assert_eq!(
        env.err("alice", list(None, None, Some(101))),
        ErrorCode::PAGE_SIZE_TOO_LARGE
    );
    assert_eq!(
        env.err("zed", list(None, None, None)),
        ErrorCode::NOT_MEMBER
    );
}

/// Every refusal of the operations that act on another member, with its exact code (the
/// list in docs/PROTOCOL.md §14 and §15 is this table).
#[test]
fn refusal_codes_of_acting_on_members() {
    let (env, _) = guild();
    let transfer = |user: &str| Request::TransferOwnership(member_ref("g", user));
    let until = Some(T0 + 60_000);
    let cases: Vec<(&str, Request, ErrorCode)> = vec![
        // kick_member
        ("bob", kick("eve"), ErrorCode::PERMISSION_DENIED),
        ("bob", kick("alice"), ErrorCode::PERMISSION_DENIED),
        ("carol", kick("alice"), ErrorCode::CANNOT_ACT_ON_OWNER),
        ("carol", kick("dan"), ErrorCode::CANNOT_ACT_ON_ADMIN),
        ("alice", kick("alice"), ErrorCode::INVALID_ARGUMENT),
        ("carol", kick("carol"), ErrorCode::INVALID_ARGUMENT),
        ("alice", kick("zed"), ErrorCode::NOT_MEMBER),
        ("zed", kick("bob"), ErrorCode::NOT_MEMBER),
        // mute_member
        ("bob", mute("eve", until), ErrorCode::PERMISSION_DENIED),
        (
            "carol",
            mute("alice", until),
            ErrorCode::CANNOT_ACT_ON_OWNER,
        ),
        ("carol", mute("dan", until), ErrorCode::CANNOT_ACT_ON_ADMIN),
        ("alice", mute("alice", until), ErrorCode::INVALID_ARGUMENT),
        ("alice", mute("zed", until), ErrorCode::NOT_MEMBER),
        // set_member_role
        (
            "carol",
            role("g", "bob", Role::Admin),
            ErrorCode::OWNER_ONLY,
        ),
        ("bob", role("g", "eve", Role::Admin), ErrorCode::OWNER_ONLY),
        (
            "alice",
            role("g", "bob", Role::Owner),
            ErrorCode::INVALID_ARGUMENT,
        ),
        (
            "alice",
            role("g", "alice", Role::Member),
            ErrorCode::CANNOT_ACT_ON_OWNER,
        ),
        (
            "alice",
            role("g", "zed", Role::Admin),
            ErrorCode::NOT_MEMBER,
        ),
        // transfer_ownership
        ("carol", transfer("bob"), ErrorCode::OWNER_ONLY),
        ("alice", transfer("alice"), ErrorCode::INVALID_ARGUMENT),
        ("alice", transfer("zed"), ErrorCode::NOT_MEMBER),
        // every one of them on a community that does not exist
        (
            "alice",
            Request::KickMember(member_ref("nowhere", "bob")),
            ErrorCode::COMMUNITY_NOT_FOUND,
        ),
    ];
    for (caller, request, code) in cases {
        let op = request.op();
        assert_eq!(env.err(caller, request), code, "{op} by {caller}");
    }
}
