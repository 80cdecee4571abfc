use std::collections::BTreeMap;

use community_protocol::request::*;
use community_protocol::response::AttributesOutcome;
use community_protocol::{
    ChannelKind, ErrorCode, Event, JoinPolicy, Limits, NotificationStatus, RemovalReason, Request,
    Response, Role, UserId,
};

use crate::routing::{Audience, MembershipChange};
use crate::test_support::*;

fn create_req(id: Option<&str>, name: &str) -> Request {
    Request::CreateCommunity(CreateCommunity {
        community_id: id.map(Into::into),
        name: name.into(),
        ..Default::default()
    })
}

fn attrs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn create_makes_owner_and_default_channel() {
    let env = Env::new();
    let handled = env.ok("alice", create_req(Some("guild-1"), "Guild"));
    let Response::Community(snapshot) = &handled.response else {
        panic!()
    };
    assert_eq!(snapshot.info.community_id, "guild-1");
    assert_eq!(snapshot.info.owner_id, "alice");
    assert_eq!(snapshot.info.member_count, 1);
    assert_eq!(snapshot.info.version, 1);
    assert_eq!(snapshot.info.created_at_ms, T0);
    assert_eq!(snapshot.me.role, Role::Owner);
    assert_eq!(snapshot.channels.len(), 1);
    let general = &snapshot.channels[0];
    assert_eq!(general.name, "general");
    assert!(general.is_default && !general.private);
    assert_eq!(general.kind, ChannelKind::Text);
    assert!(general.channel_id.as_str().starts_with("ch_"));
    assert_eq!(snapshot.info.default_channel_id, general.channel_id);
    assert_eq!(snapshot.heads.len(), 1);
    assert_eq!(snapshot.notification, NotificationStatus::Notify);
    assert_eq!(
        handled.membership,
        vec![MembershipChange {
            community_id: "guild-1".into(),
            user_id: "alice".into(),
            joined: true
        }]
    );
    assert_eq!(event_kinds(&handled), ["community_added"]);
    assert_eq!(users(&handled.deliveries[0].audience), ["alice"]);
    assert_eq!(
        env.domain
            .joined_community_ids(&UserId::from("alice"))
            .unwrap(),
        ["guild-1"]
    );
}

#[test]
fn generated_ids_and_id_rules() {
    let env = Env::new();
    let Response::Community(snapshot) = env.ok("alice", create_req(None, "Anon")).response else {
        panic!()
    };
    assert!(snapshot.info.community_id.as_str().starts_with("c_"));
    env.create("alice", "taken");
    assert_eq!(
        env.err("bob", create_req(Some("taken"), "x")),
        ErrorCode::COMMUNITY_EXISTS
    );
    assert_eq!(
        env.err("bob", create_req(Some("no spaces"), "x")),
        ErrorCode::INVALID_COMMUNITY_ID
    );
    assert_eq!(
        env.err("bob", create_req(Some(""), "x")),
        ErrorCode::INVALID_COMMUNITY_ID
    );
}

#[test]
fn create_checks_every_text_limit() {
    let env = Env::new();
    assert_eq!(
        env.err("a", create_req(None, &"é".repeat(301))),
        ErrorCode::NAME_TOO_LONG
    );
    assert_eq!(env.err("a", create_req(None, "")), ErrorCode::NAME_TOO_LONG);
    env.ok("a", create_req(Some("max-name"), &"é".repeat(300)));
    let long_avatar = Request::CreateCommunity(CreateCommunity {
        name: "n".into(),
        avatar_url: "u".repeat(101),
        ..Default::default()
    });
    assert_eq!(env.err("a", long_avatar), ErrorCode::AVATAR_TOO_LONG);
    let long_notice = Request::CreateCommunity(CreateCommunity {
        name: "n".into(),
        notice: "n".repeat(501),
        ..Default::default()
    });
    assert_eq!(env.err("a", long_notice), ErrorCode::NOTICE_TOO_LONG);
    let eleven: Vec<(String, String)> = (0..11).map(|i| (format!("k{i}"), "v".into())).collect();
    let too_many = Request::CreateCommunity(CreateCommunity {
        name: "n".into(),
        attributes: eleven.into_iter().collect(),
        ..Default::default()
    });
    assert_eq!(env.err("a", too_many), ErrorCode::TOO_MANY_ATTRIBUTES);
    let bad_key = Request::CreateCommunity(CreateCommunity {
        name: "n".into(),
        attributes: attrs(&[(&"k".repeat(17), "v")]),
        ..Default::default()
    });
    assert_eq!(env.err("a", bad_key), ErrorCode::ATTRIBUTE_KEY_TOO_LONG);
}

#[test]
fn joined_communities_limit_applies_to_create() {
    let env = Env::with_limits(Limits {
        max_joined_communities: 2,
        ..Limits::default()
    });
    env.create("alice", "one");
    env.create("alice", "two");
    assert_eq!(
        env.err("alice", create_req(Some("three"), "x")),
        ErrorCode::TOO_MANY_JOINED
    );
}

#[test]
fn get_community_needs_membership() {
    let env = Env::new();
    env.create("alice", "g");
    assert_eq!(
        env.err("bob", community_ref_get("g")),
        ErrorCode::NOT_MEMBER
    );
    assert_eq!(
        env.err("bob", community_ref_get("nope")),
        ErrorCode::COMMUNITY_NOT_FOUND
    );
    assert_eq!(env.snapshot("alice", "g").info.name, "Community g");
}

fn update(id: &str, name: Option<&str>, policy: Option<JoinPolicy>) -> Request {
    Request::UpdateCommunity(UpdateCommunity {
        community_id: id.into(),
        name: name.map(Into::into),
        join_policy: policy,
        ..Default::default()
    })
}

#[test]
fn update_community_by_managers_only() {
    let env = Env::new();
    env.create("alice", "g");
    env.join("bob", "g");
    env.join("carol", "g");
    env.promote("alice", "g", "carol");
    let version = env.snapshot("alice", "g").info.version;
    assert_eq!(
        env.err("bob", update("g", Some("Bob's"), None)),
        ErrorCode::PERMISSION_DENIED
    );
    assert_eq!(
        env.err("carol", update("g", Some(&"x".repeat(301)), None)),
        ErrorCode::NAME_TOO_LONG
    );
    let handled = env.ok(
        "carol",
        update("g", Some("Renamed"), Some(JoinPolicy::Approval)),
    );
    let Response::CommunityInfo(info) = &handled.response else {
        panic!()
    };
    assert_eq!(info.name, "Renamed");
    assert_eq!(info.join_policy, JoinPolicy::Approval);
    assert_eq!(info.version, version + 1);
    assert_eq!(
        handled.deliveries[0].audience,
        Audience::Community("g".into())
    );
    assert!(
        matches!(&handled.deliveries[0].event, Event::CommunityUpdated { info } if info.name == "Renamed")
    );
    // No change: no event, no new version.
    let handled = env.ok("alice", update("g", Some("Renamed"), None));
    assert!(handled.deliveries.is_empty());
    assert_eq!(env.snapshot("bob", "g").info.version, version + 1);
    let notice = Request::UpdateCommunity(UpdateCommunity {
        community_id: "g".into(),
        notice: Some("n".repeat(501)),
        ..Default::default()
    });
    assert_eq!(env.err("alice", notice), ErrorCode::NOTICE_TOO_LONG);
}

fn set_attrs(id: &str, pairs: BTreeMap<String, String>) -> Request {
    Request::SetAttributes(SetAttributes {
        community_id: id.into(),
        attributes: pairs,
    })
}

#[test]
fn eleventh_attribute_fails_alone() {
    let env = Env::new();
    env.create("alice", "g");
    let nine: BTreeMap<String, String> =
        (0..9).map(|i| (format!("k{i}"), format!("v{i}"))).collect();
    env.ok("alice", set_attrs("g", nine));
    let handled = env.ok(
        "alice",
        set_attrs(
            "g",
            attrs(&[("k0", "changed"), ("k9", "tenth"), ("kx", "eleventh")]),
        ),
    );
    let Response::Attributes(AttributesOutcome { attributes, failed }) = &handled.response else {
        panic!()
    };
    assert_eq!(attributes.len(), 10);
    assert_eq!(attributes["k0"], "changed");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].key, "kx");
    assert_eq!(failed[0].error.code, ErrorCode::TOO_MANY_ATTRIBUTES);
    assert!(
        matches!(&handled.deliveries[0].event, Event::AttributesChanged { attributes, .. } if attributes.len() == 10)
    );

    let handled = env.ok(
        "alice",
        set_attrs(
            "g",
            attrs(&[(&"k".repeat(17), "v"), ("k1", &"v".repeat(1025)), ("", "v")]),
        ),
    );
    let Response::Attributes(AttributesOutcome { failed, .. }) = &handled.response else {
        panic!()
    };
    let codes: Vec<_> = failed.iter().map(|f| f.error.code).collect();
    assert_eq!(
        codes,
        [
            ErrorCode::ATTRIBUTE_KEY_TOO_LONG,
            ErrorCode::ATTRIBUTE_VALUE_TOO_LONG,
            ErrorCode::ATTRIBUTE_KEY_TOO_LONG
        ]
    );
    assert!(handled.deliveries.is_empty());

    let delete = Request::DeleteAttributes(DeleteAttributes {
        community_id: "g".into(),
        keys: vec!["k0".into(), "missing".into()],
    });
    let Response::Attributes(AttributesOutcome { attributes, failed }) =
        env.ok("alice", delete).response
    else {
        panic!()
    };
    assert_eq!(attributes.len(), 9);
    assert!(failed.is_empty());
    env.ok("alice", set_attrs("g", attrs(&[("kx", "fits now")])));
    assert_eq!(env.snapshot("alice", "g").info.attributes["kx"], "fits now");
}

#[test]
fn attributes_need_a_manager() {
    let env = Env::new();
    env.create("alice", "g");
    env.join("bob", "g");
    assert_eq!(
        env.err("bob", set_attrs("g", attrs(&[("k", "v")]))),
        ErrorCode::PERMISSION_DENIED
    );
    assert_eq!(
        env.err("alice", set_attrs("g", BTreeMap::new())),
        ErrorCode::INVALID_ARGUMENT
    );
    let delete = Request::DeleteAttributes(DeleteAttributes {
        community_id: "g".into(),
        keys: vec!["k".into()],
    });
    assert_eq!(env.err("bob", delete), ErrorCode::PERMISSION_DENIED);
}

#[test]
fn dismiss_is_owner_only_and_cascades() {
    let env = Env::new();
    let snapshot = env.create("alice", "g");
    let general = snapshot.info.default_channel_id.clone();
    env.join("bob", "g");
    env.join("carol", "g");
    env.promote("alice", "g", "carol");
    env.send("bob", "g", general.as_str(), "k1", "hello");
    let dismiss = || {
        Request::DismissCommunity(CommunityRef {
            community_id: "g".into(),
        })
    };
    assert_eq!(env.err("bob", dismiss()), ErrorCode::OWNER_ONLY);
    assert_eq!(env.err("carol", dismiss()), ErrorCode::OWNER_ONLY);
    assert_eq!(env.err("dave", dismiss()), ErrorCode::NOT_MEMBER);

    let handled = env.ok("alice", dismiss());
    let mut left: Vec<_> = handled
        .membership
        .iter()
        .filter(|m| !m.joined)
        .map(|m| m.user_id.clone())
        .collect();
    left.sort();
    assert_eq!(left, ["alice", "bob", "carol"]);
    let removed = events(&handled, |e| match e {
        Event::CommunityRemoved { reason, .. } => Some(*reason),
        _ => None,
    });
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0].1, RemovalReason::Dismissed);
    assert_eq!(users(removed[0].0), ["alice", "bob", "carol"]);
    assert_eq!(
        env.err("alice", community_ref_get("g")),
        ErrorCode::COMMUNITY_NOT_FOUND
    );
    assert!(
        env.domain
            .joined_community_ids(&UserId::from("bob"))
            .unwrap()
            .is_empty()
    );

    // Nothing of it is left in any table.
    for table in [
        "members",
        "channels",
        "attributes",
        "join_requests",
        "notification_settings",
    ] {
        let n = env.count_rows(
            &format!("SELECT COUNT(*) FROM {table} WHERE community_id = 'g'"),
            None,
        );
        assert_eq!(n, 0, "{table}");
    }
    for table in [
        "messages",
        "idempotency",
        "mentions",
        "read_positions",
        "channel_members",
    ] {
        let n = env.count_rows(
            &format!("SELECT COUNT(*) FROM {table} WHERE channel_id = ?1"),
            Some(general.as_str()),
        );
        assert_eq!(n, 0, "{table}");
    }
    // The id is free again, and the old idempotency key does not resurrect anything.
    let again = env.create("bob", "g");
    assert_eq!(again.info.member_count, 1);
    let message = env.send(
        "bob",
        "g",
        again.info.default_channel_id.as_str(),
        "k1",
        "fresh",
    );
    assert_eq!(message.seq, 1);
}

fn list_joined(cursor: Option<String>, limit: Option<u32>) -> Request {
    Request::ListJoinedCommunities(PageQuery { cursor, limit })
}

#[test]
fn joined_list_pages_with_cursors() {
    let env = Env::new();
    for i in 0..5 {
        env.create("owner", &format!("g{i}"));
        env.clock.advance(1);
        env.join("bob", &format!("g{i}"));
    }
    let mut seen = Vec::new();
    let mut cursor = None;
    for _ in 0..10 {
        let Response::Communities(page) =
            env.ok("bob", list_joined(cursor.clone(), Some(2))).response
        else {
            panic!()
        };
        assert!(page.items.len() <= 2);
        seen.extend(page.items.into_iter().map(|c| c.community_id));
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(seen, ["g0", "g1", "g2", "g3", "g4"]);
    assert_eq!(
        env.err("bob", list_joined(Some("garbage".into()), None)),
        ErrorCode::INVALID_CURSOR
    );
    assert_eq!(
        env.err("bob", list_joined(None, Some(101))),
        ErrorCode::PAGE_SIZE_TOO_LARGE
    );
    assert_eq!(
        env.err("bob", list_joined(None, Some(0))),
        ErrorCode::PAGE_SIZE_TOO_LARGE
    );
    let Response::Communities(page) = env.ok("bob", list_joined(None, None)).response else {
        panic!()
    };
    assert_eq!(page.items.len(), 5);
    assert!(page.next_cursor.is_none());
}

#[test]
fn notification_status_syncs_to_other_sessions() {
    let env = Env::new();
    env.create("alice", "g");
    let set = |status| {
        Request::SetNotification(SetNotification {
            community_id: "g".into(),
            status,
        })
    };
    let handled = env.ok("alice", set(NotificationStatus::DoNotDisturb));
    assert_eq!(handled.deliveries.len(), 1);
    assert_eq!(
        handled.deliveries[0].audience,
        Audience::OtherSessionsOfCaller
    );
    assert!(matches!(
        handled.deliveries[0].event,
        Event::NotificationChanged {
            status: NotificationStatus::DoNotDisturb,
            ..
        }
    ));
    assert_eq!(
        env.snapshot("alice", "g").notification,
        NotificationStatus::DoNotDisturb
    );
    assert!(
        env.ok("alice", set(NotificationStatus::DoNotDisturb))
            .deliveries
            .is_empty()
    );
    assert_eq!(
        env.err("bob", set(NotificationStatus::Notify)),
        ErrorCode::NOT_MEMBER
    );
}
