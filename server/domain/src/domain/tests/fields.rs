//! Member custom fields (their limits and who may set them) and the member list's group
//! and field filters.

use std::collections::BTreeMap;

use community_protocol::request::*;
use community_protocol::response::MembersPage;
use community_protocol::{ErrorCode, Limits, Permissions, Request, Response};

use crate::test_support::*;

fn fields(user: &str, pairs: &[(&str, &str)]) -> Request {
    Request::SetMemberFields(SetMemberFields {
        community_id: "g".into(),
        user_id: user.into(),
        fields: pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    })
}

fn list(group: Option<&str>, field: Option<(&str, &str)>, limit: Option<u32>) -> ListMembers {
    ListMembers {
        community_id: "g".into(),
        query: None,
        cursor: None,
        limit,
        group_id: group.map(Into::into),
        field: field.map(|(key, value)| FieldFilter {
            key: key.into(),
            value: value.into(),
        }),
    }
}

/// Every member a filtered list returns (paging through), and its total count.
fn listed(env: &Env, p: ListMembers) -> (Vec<String>, u64) {
    let mut users = Vec::new();
    let mut p = p;
    for _ in 0..100 {
        let Response::Members(MembersPage { page, total_count }) =
            env.ok("alice", Request::ListMembers(p.clone())).response
        else {
            panic!()
        };
        users.extend(page.items.iter().map(|m| m.user_id.to_string()));
        match page.next_cursor {
            Some(cursor) => p.cursor = Some(cursor),
            None => return (users, total_count),
        }
    }
    panic!("more than 100 pages")
}

#[test]
fn members_set_their_own_fields_and_managers_those_below_them() {
    let env = Env::with_limits(Limits::default());
    env.create("alice", "g");
    for user in ["bob", "carol", "dave"] {
        env.join(user, "g");
    }
    let handled = env.ok("bob", fields("bob", &[("team", "red"), ("rank", "7")]));
    assert_eq!(event_kinds(&handled), ["member_updated"]);
    let Response::Member(bob) = handled.response else {
        panic!()
    };
    assert_eq!(
        bob.custom_fields,
        BTreeMap::from([
            ("rank".to_owned(), "7".to_owned()),
            ("team".to_owned(), "red".to_owned())
        ])
    );
    assert_eq!(env.snapshot("bob", "g").me.custom_fields, bob.custom_fields);
    // An empty value removes a field; the same values change nothing.
    env.ok("bob", fields("bob", &[("rank", "")]));
    let same = env.ok("bob", fields("bob", &[("team", "red")]));
    assert!(same.deliveries.is_empty());
    assert_eq!(env.snapshot("bob", "g").me.custom_fields.len(), 1);
    // Another's fields: manage_roles and a rank above them.
    assert_eq!(
        env.err("carol", fields("bob", &[("team", "blue")])),
        ErrorCode::PERMISSION_DENIED
    );
    let managers = env.group("alice", "g", "managers", Permissions::MANAGE_ROLES);
    env.assign("alice", "g", "carol", managers.as_str());
    env.ok("carol", fields("bob", &[("team", "blue")]));
    env.assign("alice", "g", "dave", managers.as_str());
    assert_eq!(
        env.err("carol", fields("dave", &[("team", "blue")])),
        ErrorCode::CANNOT_ACT_ON_HIGHER
    );
    assert_eq!(
        env.err("carol", fields("alice", &[("team", "blue")])),
        ErrorCode::CANNOT_ACT_ON_OWNER
    );
    assert_eq!(
        env.err("carol", fields("zed", &[("team", "blue")])),
        ErrorCode::NOT_MEMBER
    );
}

#[test]
fn field_limits() {
    let env = Env::new();
    env.create("alice", "g");
    env.join("bob", "g");
    let five: Vec<(String, String)> = (0..5).map(|i| (format!("k{i}"), "v".to_owned())).collect();
    let five: Vec<(&str, &str)> = five.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    env.ok("bob", fields("bob", &five));
    assert_eq!(
        env.err("bob", fields("bob", &[("k5", "v")])),
        ErrorCode::TOO_MANY_MEMBER_FIELDS
    );
    // Replacing one of the five, or removing one and adding another, is fine.
    env.ok(
        "bob",
        fields("bob", &[("k0", "w"), ("k1", ""), ("k5", "v")]),
    );
    let long = "v".repeat(65);
    assert_eq!(
        env.err("bob", fields("bob", &[("k0", &long)])),
        ErrorCode::MEMBER_FIELD_TOO_LONG
    );
    env.ok("bob", fields("bob", &[("k0", &"v".repeat(64))]));
    assert_eq!(
        env.err("bob", fields("bob", &[("", "v")])),
        ErrorCode::MEMBER_FIELD_TOO_LONG
    );
    assert_eq!(
        env.err("bob", fields("bob", &[])),
        ErrorCode::INVALID_ARGUMENT
    );
}

#[test]
fn the_member_list_filters_by_group_and_by_field() {
    let env = Env::new();
    env.create("alice", "g");
    let raid = env.group("alice", "g", "raid", Permissions::NONE);
    for i in 0..7 {
        let user = format!("u{i}");
        env.clock.advance(1);
        env.join(&user, "g");
        if i % 2 == 0 {
            env.assign("alice", "g", &user, raid.as_str());
        }
        let team = if i < 3 { "red" } else { "blue" };
        env.ok(&user, fields(&user, &[("team", team)]));
    }
    let (users, total) = listed(&env, list(Some(raid.as_str()), None, Some(2)));
    assert_eq!(users, ["u0", "u2", "u4", "u6"]);
    assert_eq!(total, 4);
    let (users, total) = listed(&env, list(None, Some(("team", "red")), Some(2)));
    assert_eq!(users, ["u0", "u1", "u2"]);
    assert_eq!(total, 3);
    let (users, total) = listed(
        &env,
        list(Some(raid.as_str()), Some(("team", "blue")), None),
    );
    assert_eq!(users, ["u4", "u6"]);
    assert_eq!(total, 2);
    let (users, total) = listed(&env, list(Some("everyone"), None, None));
    assert_eq!((users.len(), total), (8, 8));
    assert_eq!(
        env.err(
            "alice",
            Request::ListMembers(list(Some("g_nope"), None, None))
        ),
        ErrorCode::GROUP_NOT_FOUND
    );
    // Members come with their groups and fields.
    let Response::Members(MembersPage { page, .. }) = env
        .ok(
            "u1",
            Request::ListMembers(list(Some(raid.as_str()), None, Some(1))),
        )
        .response
    else {
        panic!()
    };
    assert_eq!(page.items[0].groups, std::slice::from_ref(&raid));
    assert_eq!(page.items[0].custom_fields["team"], "red");
}
