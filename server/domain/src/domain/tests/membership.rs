use community_protocol::request::*;
use community_protocol::response::{JoinRequests, UsersOutcome};
use community_protocol::{
    ErrorCode, Event, JoinPolicy, Limits, RemovalReason, Request, Response, UserId,
};

use crate::routing::{Audience, MembershipChange};
use crate::test_support::*;

fn invite(id: &str, users: &[&str]) -> Request {
    Request::InviteMembers(InviteMembers {
        community_id: id.into(),
        user_ids: users.iter().map(|u| (*u).into()).collect(),
    })
}

fn decide(id: &str, user: &str, approve: bool) -> Request {
    Request::DecideJoinRequest(DecideJoinRequest {
        community_id: id.into(),
        user_id: user.into(),
        approve,
    })
}

fn leave(id: &str) -> Request {
    Request::LeaveCommunity(CommunityRef {
        community_id: id.into(),
    })
}

#[test]
fn free_join_adds_member_and_tells_everyone() {
    let env = Env::new();
    env.create("alice", "g");
    env.clock.advance(5);
    let handled = env.ok("bob", join("g"));
    let Response::Community(snapshot) = &handled.response else {
        panic!()
    };
    assert_eq!(snapshot.me.user_id, "bob");
    assert_eq!(snapshot.me.joined_at_ms, T0 + 5);
    assert_eq!(snapshot.info.member_count, 2);
    assert_eq!(
        handled.membership,
        vec![MembershipChange {
            community_id: "g".into(),
            user_id: "bob".into(),
            joined: true
        }]
    );
    assert_eq!(
        event_kinds(&handled),
        ["community_added", "member_joined", "community_updated"]
    );
    assert_eq!(users(&handled.deliveries[0].audience), ["bob"]);
    assert_eq!(
        handled.deliveries[1].audience,
        Audience::Community("g".into())
    );
    assert!(matches!(
        &handled.deliveries[1].event,
        Event::MemberJoined {
            member_count: 2,
            ..
        }
    ));
    assert!(
        matches!(&handled.deliveries[2].event, Event::CommunityUpdated { info } if info.member_count == 2)
    );
    assert_eq!(env.err("bob", join("g")), ErrorCode::ALREADY_MEMBER);
    assert_eq!(
        env.err("bob", join("missing")),
        ErrorCode::COMMUNITY_NOT_FOUND
    );
    assert_eq!(
        env.domain
            .joined_community_ids(&UserId::from("bob"))
            .unwrap(),
        ["g"]
    );
}

#[test]
fn invite_only_refuses_join_and_member_invites() {
    let env = Env::new();
    env.create_with("alice", "g", JoinPolicy::InviteOnly);
    assert_eq!(env.err("bob", join("g")), ErrorCode::INVITE_ONLY);
    env.ok("alice", invite("g", &["bob"]));
    assert_eq!(
        env.err("bob", invite("g", &["carol"])),
        ErrorCode::PERMISSION_DENIED
    );
    env.promote("alice", "g", "bob");
    let Response::Users(UsersOutcome { succeeded, .. }) =
        env.ok("bob", invite("g", &["carol"])).response
    else {
        panic!()
    };
    assert_eq!(succeeded, ["carol"]);
}

#[test]
fn members_invite_in_free_communities() {
    let env = Env::new();
    env.create("alice", "g");
    env.join("bob", "g");
    let handled = env.ok("bob", invite("g", &["carol", "dave", "carol"]));
    let Response::Users(UsersOutcome { succeeded, failed }) = &handled.response else {
        panic!()
    };
    assert_eq!(succeeded, &["carol", "dave"]);
    assert!(failed.is_empty());
    let added = events(&handled, |e| match e {
        Event::CommunityAdded { snapshot } => Some(snapshot.me.user_id.clone()),
        _ => None,
    });
    assert_eq!(added.len(), 2);
    assert_eq!(users(added[0].0), ["carol"]);
    let updates = events(&handled, |e| match e {
        Event::CommunityUpdated { info } => Some(info.member_count),
        _ => None,
    });
    assert_eq!(updates.len(), 1, "one count update per request");
    assert_eq!(updates[0].1, 4);
    assert_eq!(handled.membership.len(), 2);
}

#[test]
fn invite_reports_failures_per_user() {
    let env = Env::with_limits(Limits {
        max_joined_communities: 1,
        ..Limits::default()
    });
    env.create("alice", "g");
    env.create("busy", "other");
    env.join("bob", "g");
    let bad_id = "x".repeat(65);
    let handled = env.ok("alice", invite("g", &["bob", "busy", "carol", &bad_id]));
    let Response::Users(UsersOutcome { succeeded, failed }) = handled.response else {
        panic!()
    };
    assert_eq!(succeeded, ["carol"]);
    let codes: Vec<_> = failed
        .iter()
        .map(|f| (f.user_id.as_str(), f.error.code))
        .collect();
    assert_eq!(
        codes,
        [
            ("bob", ErrorCode::ALREADY_MEMBER),
            ("busy", ErrorCode::TOO_MANY_JOINED),
            (bad_id.as_str(), ErrorCode::INVALID_USER_ID)
        ]
    );
    let many: Vec<String> = (0..101).map(|i| format!("u{i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    assert_eq!(
        env.err("alice", invite("g", &many)),
        ErrorCode::TOO_MANY_INVITEES
    );
    assert_eq!(
        env.err("alice", invite("g", &[])),
        ErrorCode::INVALID_ARGUMENT
    );
    // A hundred is fine.
    let Response::Users(UsersOutcome { succeeded, .. }) =
        env.ok("alice", invite("g", &many[..100])).response
    else {
        panic!()
    };
    assert_eq!(succeeded.len(), 100);
}

#[test]
fn community_member_limit() {
    let env = Env::with_limits(Limits {
        max_members_per_community: 2,
        ..Limits::default()
    });
    env.create("alice", "g");
    env.join("bob", "g");
    assert_eq!(env.err("carol", join("g")), ErrorCode::TOO_MANY_MEMBERS);
    let Response::Users(UsersOutcome { failed, .. }) =
        env.ok("alice", invite("g", &["carol"])).response
    else {
        panic!()
    };
    assert_eq!(failed[0].error.code, ErrorCode::TOO_MANY_MEMBERS);
    env.ok("bob", leave("g"));
    env.join("carol", "g");
}

#[test]
fn joined_limit_applies_to_join() {
    let env = Env::with_limits(Limits {
        max_joined_communities: 1,
        ..Limits::default()
    });
    env.create("alice", "a");
    env.create("bob", "b");
    assert_eq!(env.err("bob", join("a")), ErrorCode::TOO_MANY_JOINED);
}

#[test]
fn approval_flow() {
    let env = Env::new();
    env.create_with("alice", "g", JoinPolicy::Approval);
    env.ok("alice", invite("g", &["admin"]));
    env.promote("alice", "g", "admin");
    env.ok("alice", invite("g", &["member"]));

    let request = Request::JoinCommunity(JoinCommunity {
        community_id: "g".into(),
        message: "let me in".into(),
    });
    let handled = env.ok("bob", request);
    assert_eq!(handled.response, Response::JoinPending);
    assert!(handled.membership.is_empty());
    let asked = events(&handled, |e| match e {
        Event::JoinRequested { request } => Some(request.clone()),
        _ => None,
    });
    assert_eq!(users(asked[0].0), ["admin", "alice"]);
    assert_eq!(asked[0].1.message, "let me in");
    assert_eq!(env.err("bob", join("g")), ErrorCode::JOIN_REQUEST_PENDING);
    assert_eq!(
        env.err("bob", community_ref_get("g")),
        ErrorCode::NOT_MEMBER
    );
    let long = Request::JoinCommunity(JoinCommunity {
        community_id: "g".into(),
        message: "m".repeat(501),
    });
    assert_eq!(env.err("carol", long), ErrorCode::INVALID_ARGUMENT);

    let list = || {
        Request::ListJoinRequests(CommunityRef {
            community_id: "g".into(),
        })
    };
    assert_eq!(env.err("member", list()), ErrorCode::PERMISSION_DENIED);
    let Response::JoinRequests(JoinRequests { requests }) = env.ok("admin", list()).response else {
        panic!()
    };
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].user_id, "bob");

    assert_eq!(
        env.err("member", decide("g", "bob", true)),
        ErrorCode::PERMISSION_DENIED
    );
    assert_eq!(
        env.err("admin", decide("g", "nobody", true)),
        ErrorCode::JOIN_REQUEST_NOT_FOUND
    );
    let handled = env.ok("admin", decide("g", "bob", true));
    assert_eq!(handled.membership.len(), 1);
    assert!(handled.membership[0].joined);
    assert!(event_kinds(&handled).contains(&"community_added".to_string()));
    assert_eq!(env.snapshot("bob", "g").me.user_id, "bob");
    assert_eq!(
        env.err("admin", decide("g", "bob", true)),
        ErrorCode::JOIN_REQUEST_NOT_FOUND
    );

    env.ok("carol", join("g"));
    let handled = env.ok("alice", decide("g", "carol", false));
    assert!(handled.membership.is_empty());
    assert_eq!(
        env.err("carol", community_ref_get("g")),
        ErrorCode::NOT_MEMBER
    );
    let Response::JoinRequests(JoinRequests { requests }) = env.ok("alice", list()).response else {
        panic!()
    };
    assert!(requests.is_empty());
    // Rejected users may ask again; an invitation settles a pending request.
    env.ok("carol", join("g"));
    env.ok("alice", invite("g", &["carol"]));
    let Response::JoinRequests(JoinRequests { requests }) = env.ok("alice", list()).response else {
        panic!()
    };
    assert!(requests.is_empty());
}

#[test]
fn leave_rules_and_events() {
    let env = Env::new();
    env.create("alice", "g");
    env.join("bob", "g");
    assert_eq!(env.err("alice", leave("g")), ErrorCode::OWNER_CANNOT_LEAVE);
    assert_eq!(env.err("carol", leave("g")), ErrorCode::NOT_MEMBER);
    assert_eq!(
        env.err("carol", leave("nope")),
        ErrorCode::COMMUNITY_NOT_FOUND
    );
    let handled = env.ok("bob", leave("g"));
    assert_eq!(
        handled.membership,
        vec![MembershipChange {
            community_id: "g".into(),
            user_id: "bob".into(),
            joined: false
        }]
    );
    assert_eq!(
        event_kinds(&handled),
        ["community_removed", "member_left", "community_updated"]
    );
    assert_eq!(users(&handled.deliveries[0].audience), ["bob"]);
    assert!(matches!(
        handled.deliveries[0].event,
        Event::CommunityRemoved {
            reason: RemovalReason::Left,
            ..
        }
    ));
    assert!(matches!(
        handled.deliveries[1].event,
        Event::MemberLeft {
            member_count: 1,
            ..
        }
    ));
    assert!(
        env.domain
            .joined_community_ids(&UserId::from("bob"))
            .unwrap()
            .is_empty()
    );
    assert_eq!(env.snapshot("alice", "g").info.member_count, 1);
}
