//! Bans: a ban is a kick with reason `banned` plus a record that keeps the user out
//! (join, invitation, join request) until it ends or is lifted.

use community_protocol::request::*;
use community_protocol::response::UsersOutcome;
use community_protocol::{ErrorCode, Event, JoinPolicy, RemovalReason, Request, Response};

use crate::test_support::*;

fn ban(user: &str, until_ms: Option<i64>, reason: &str) -> Request {
    Request::BanMember(BanMember {
        community_id: "g".into(),
        user_id: user.into(),
        until_ms,
        reason: reason.into(),
    })
}

fn bans(env: &Env, user: &str) -> Vec<(String, Option<i64>)> {
    let request = Request::ListBans(CommunityRef {
        community_id: "g".into(),
    });
    match env.ok(user, request).response {
        Response::Bans(list) => list
            .bans
            .into_iter()
            .map(|b| (b.user_id.to_string(), b.until_ms))
            .collect(),
        other => panic!("unexpected {other:?}"),
    }
}

fn invite(users: &[&str]) -> Request {
    Request::InviteMembers(InviteMembers {
        community_id: "g".into(),
        user_ids: users.iter().map(|u| (*u).into()).collect(),
    })
}

#[test]
fn a_ban_removes_the_member_and_keeps_them_out_until_lifted() {
    let env = Env::new();
    env.create_with_system("alice", "g");
    env.join("bob", "g");
    env.join("carol", "g");
    let handled = env.ok("alice", ban("bob", None, "spam"));
    assert_eq!(
        event_kinds(&handled),
        [
            "community_removed",
            "member_left",
            "community_updated",
            "message_created"
        ]
    );
    assert_eq!(users(&handled.deliveries[0].audience), ["bob"]);
    assert!(matches!(
        handled.deliveries[0].event,
        Event::CommunityRemoved {
            reason: RemovalReason::Banned,
            ..
        }
    ));
    assert!(matches!(
        handled.deliveries[1].event,
        Event::MemberLeft {
            reason: RemovalReason::Banned,
            member_count: 2,
            ..
        }
    ));
    assert!(!handled.membership[0].joined);
    assert_eq!(env.err("bob", join("g")), ErrorCode::BANNED);
    let Response::Users(UsersOutcome { succeeded, failed }) =
        env.ok("carol", invite(&["bob", "dave"])).response
    else {
        panic!()
    };
    assert_eq!(succeeded, ["dave"]);
    assert_eq!(failed[0].error.code, ErrorCode::BANNED);

    // A user who is not a member can be banned too; newest first.
    env.clock.advance(5);
    env.ok("alice", ban("mallory", Some(T0 + 60_000), ""));
    assert_eq!(
        bans(&env, "alice"),
        [
            ("mallory".to_owned(), Some(T0 + 60_000)),
            ("bob".to_owned(), None)
        ]
    );
    assert_eq!(env.err("mallory", join("g")), ErrorCode::BANNED);

    // Unban: bob may come back; unbanning twice is not found.
    let unban = || Request::UnbanMember(member_ref("g", "bob"));
    env.ok("alice", unban());
    assert_eq!(env.err("alice", unban()), ErrorCode::BAN_NOT_FOUND);
    env.join("bob", "g");
}

#[test]
fn a_ban_ends_at_its_time() {
    let env = Env::new();
    env.create("alice", "g");
    env.join("bob", "g");
    env.ok("alice", ban("bob", Some(T0 + 60_000), ""));
    env.clock.advance(59_999);
    assert_eq!(env.err("bob", join("g")), ErrorCode::BANNED);
    env.clock.advance(1);
    assert!(bans(&env, "alice").is_empty());
    assert_eq!(
        env.err("alice", Request::UnbanMember(member_ref("g", "bob"))),
        ErrorCode::BAN_NOT_FOUND
    );
    env.join("bob", "g");
}

#[test]
fn a_banned_user_cannot_ask_to_join_and_a_ban_drops_a_pending_request() {
    let env = Env::new();
    env.create_with("alice", "g", JoinPolicy::Approval);
    assert!(matches!(
        env.ok("bob", join("g")).response,
        Response::JoinPending
    ));
    env.ok("alice", ban("bob", None, ""));
    let decide = Request::DecideJoinRequest(DecideJoinRequest {
        community_id: "g".into(),
        user_id: "bob".into(),
        approve: true,
    });
    assert_eq!(env.err("alice", decide), ErrorCode::JOIN_REQUEST_NOT_FOUND);
    assert_eq!(env.err("bob", join("g")), ErrorCode::BANNED);
    // The owner's invitation is refused as well.
    let Response::Users(UsersOutcome { failed, .. }) = env.ok("alice", invite(&["bob"])).response
    else {
        panic!()
    };
    assert_eq!(failed[0].error.code, ErrorCode::BANNED);
}

#[test]
fn ban_rules() {
    let env = Env::new();
    env.create("alice", "g");
    for user in ["bob", "carol", "dave"] {
        env.join(user, "g");
    }
    env.promote("alice", "g", "carol");
    env.promote("alice", "g", "dave");
    assert_eq!(
        env.err("bob", ban("carol", None, "")),
        ErrorCode::PERMISSION_DENIED
    );
    assert_eq!(
        env.err(
            "bob",
            Request::ListBans(CommunityRef {
                community_id: "g".into()
            })
        ),
        ErrorCode::PERMISSION_DENIED
    );
    assert_eq!(
        env.err("carol", ban("alice", None, "")),
        ErrorCode::CANNOT_ACT_ON_OWNER
    );
    assert_eq!(
        env.err("carol", ban("dave", None, "")),
        ErrorCode::CANNOT_ACT_ON_ADMIN
    );
    assert_eq!(
        env.err("carol", ban("carol", None, "")),
        ErrorCode::INVALID_ARGUMENT
    );
    assert_eq!(
        env.err("carol", ban("bob", Some(T0), "")),
        ErrorCode::INVALID_ARGUMENT
    );
    assert_eq!(
        env.err("carol", ban("bob", None, &"x".repeat(501))),
        ErrorCode::INVALID_ARGUMENT
    );
    assert_eq!(
        env.err("carol", ban("", None, "")),
        ErrorCode::INVALID_USER_ID
    );
    env.ok("carol", ban("bob", None, &"x".repeat(500)));
    // Banning again replaces the ban.
    env.ok("carol", ban("bob", Some(T0 + 10), "shorter"));
    assert_eq!(bans(&env, "alice"), [("bob".to_owned(), Some(T0 + 10))]);
}
