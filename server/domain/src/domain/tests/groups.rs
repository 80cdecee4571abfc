//! Permission groups: `@everyone` in every community, create / update / delete / reorder
//! with `groups_changed`, assignments with `member_updated`, the hierarchy (nobody acts
//! at or above their own rank) and the group limit.

use community_protocol::request::*;
use community_protocol::{ErrorCode, Event, Group, Limits, Permissions, Request, Response};

use crate::routing::Audience;
use crate::test_support::*;

/// alice owns "g"; bob, carol, dave and erin are members.
fn guild() -> Env {
    let env = Env::new();
    env.create("alice", "g");
    for user in ["bob", "carol", "dave", "erin"] {
        env.join(user, "g");
    }
    env
}

fn groups(env: &Env, user: &str) -> Vec<Group> {
    env.snapshot(user, "g").groups
}

fn position(env: &Env, id: &str) -> i64 {
    groups(env, "alice")
        .into_iter()
        .find(|g| g.group_id == id)
        .map(|g| g.position)
        .unwrap()
}

fn update(id: &str) -> UpdateGroup {
    UpdateGroup {
        community_id: "g".into(),
        group_id: id.into(),
        ..Default::default()
    }
}

fn delete(id: &str) -> Request {
    Request::DeleteGroup(GroupRef {
        community_id: "g".into(),
        group_id: id.into(),
    })
}

fn reorder(ids: &[&str]) -> Request {
    Request::ReorderGroups(ReorderGroups {
        community_id: "g".into(),
        group_ids: ids.iter().map(|id| (*id).into()).collect(),
    })
}

/// What a moderator holds in these tests.
const MODERATE: Permissions = Permissions(
    Permissions::KICK_MEMBERS.0
        | Permissions::BAN_MEMBERS.0
        | Permissions::MUTE_MEMBERS.0
        | Permissions::MANAGE_ROLES.0
        | Permissions::MANAGE_MESSAGES.0,
);

#[test]
fn every_community_starts_with_everyone_and_new_groups_start_at_the_bottom() {
    let env = guild();
    let start = groups(&env, "bob");
    assert_eq!(start.len(), 1);
    assert!(start[0].group_id.is_everyone());
    assert_eq!(
        (start[0].position, start[0].permissions),
        (0, Permissions::EVERYONE_DEFAULT)
    );
    assert_eq!(
        Permissions::EVERYONE_DEFAULT.0,
        127,
        "the migration's value"
    );

    let version = env.snapshot("alice", "g").info.version;
    let handled = env.ok(
        "alice",
        Request::CreateGroup(CreateGroup {
            community_id: "g".into(),
            name: "mods".into(),
            color: 0x00ff00,
            mentionable: true,
            permissions: MODERATE,
        }),
    );
    let Response::Group(mods) = &handled.response else {
        panic!()
    };
    assert!(mods.group_id.as_str().starts_with("g_"));
    assert_eq!(
        (mods.position, mods.color, mods.mentionable),
        (1, 0x00ff00, true)
    );
    assert_eq!(event_kinds(&handled), ["groups_changed"]);
    assert_eq!(
        handled.deliveries[0].audience,
        Audience::Community("g".into())
    );
    let Event::GroupsChanged {
        groups: told,
        version: v,
        ..
    } = &handled.deliveries[0].event
    else {
        panic!()
    };
    assert_eq!(*v, version + 1);
    assert_eq!(told.len(), 2);
    assert!(told[0].group_id.is_everyone());

    let helpers = env.group("alice", "g", "helpers", Permissions::KICK_MEMBERS);
    assert_eq!(position(&env, helpers.as_str()), 1);
    assert_eq!(position(&env, mods.group_id.as_str()), 2, "moved up");
    let names: Vec<String> = groups(&env, "bob").into_iter().map(|g| g.name).collect();
    assert_eq!(
        names,
        ["@everyone", "helpers", "mods"],
        "@everyone first, then by position"
    );
}

#[test]
fn groups_change_and_go() {
    let env = guild();
    let mods = env.group("alice", "g", "mods", MODERATE);
    let helpers = env.group("alice", "g", "helpers", Permissions::KICK_MEMBERS);
    env.assign("alice", "g", "bob", mods.as_str());

    let handled = env.ok(
        "alice",
        Request::UpdateGroup(UpdateGroup {
            name: Some("moderators".into()),
            color: Some(7),
            mentionable: Some(true),
            permissions: Some(MODERATE.union(Permissions::MANAGE_CHANNELS)),
            ..update(mods.as_str())
        }),
    );
    assert_eq!(event_kinds(&handled), ["groups_changed"]);
    let Response::Group(group) = handled.response else {
        panic!()
    };
    assert_eq!(
        (group.name.as_str(), group.color, group.mentionable),
        ("moderators", 7, true)
    );
    // The same values again change nothing.
    let same = env.ok(
        "alice",
        Request::UpdateGroup(UpdateGroup {
            color: Some(7),
            ..update(mods.as_str())
        }),
    );
    assert!(same.deliveries.is_empty());

    // @everyone changes but keeps its name, and stays.
    let rename = Request::UpdateGroup(UpdateGroup {
        name: Some("all".into()),
        ..update("everyone")
    });
    assert_eq!(env.err("alice", rename), ErrorCode::INVALID_ARGUMENT);
    assert_eq!(
        env.err("alice", delete("everyone")),
        ErrorCode::INVALID_ARGUMENT
    );
    assert_eq!(
        env.err("alice", delete("g_nope")),
        ErrorCode::GROUP_NOT_FOUND
    );
    let empty_name = Request::UpdateGroup(UpdateGroup {
        name: Some(" ".into()),
        ..update(mods.as_str())
    });
    assert_eq!(
        env.err("alice", empty_name),
        ErrorCode::CHANNEL_NAME_TOO_LONG
    );

    // Deleting: holders lose it, the groups above move down, overrides naming it go.
    let general = env
        .snapshot("alice", "g")
        .info
        .default_channel_id
        .to_string();
    env.set_override(
        "alice",
        "g",
        &general,
        for_group(helpers.as_str()),
        Permissions::NONE,
        Permissions::ADD_REACTIONS,
    );
    let handled = env.ok("alice", delete(helpers.as_str()));
    assert_eq!(event_kinds(&handled), ["groups_changed"]);
    assert_eq!(position(&env, mods.as_str()), 1);
    let channel = &env.snapshot("alice", "g").channels[0];
    assert!(channel.overrides.is_empty());
    let handled = env.ok("alice", delete(mods.as_str()));
    assert_eq!(event_kinds(&handled), ["groups_changed"]);
    assert!(env.snapshot("bob", "g").me.groups.is_empty());
    assert_eq!(groups(&env, "bob").len(), 1);
}

#[test]
fn assignments_are_told_as_member_updates() {
    let env = guild();
    let mods = env.group("alice", "g", "mods", MODERATE);
    let version = env.snapshot("alice", "g").info.version;
    let handled = env.ok("alice", assign_group("g", "bob", mods.as_str(), true));
    assert_eq!(event_kinds(&handled), ["member_updated"]);
    let Response::Member(member) = &handled.response else {
        panic!()
    };
    assert_eq!(member.groups, std::slice::from_ref(&mods));
    assert_eq!(
        env.snapshot("bob", "g").me.groups,
        std::slice::from_ref(&mods)
    );
    assert_eq!(env.snapshot("bob", "g").info.version, version + 1);
    // Assigning again changes nothing.
    let again = env.ok("alice", assign_group("g", "bob", mods.as_str(), true));
    assert!(again.deliveries.is_empty());
    let handled = env.ok("alice", assign_group("g", "bob", mods.as_str(), false));
    assert_eq!(event_kinds(&handled), ["member_updated"]);
    assert!(env.snapshot("bob", "g").me.groups.is_empty());

    assert_eq!(
        env.err("alice", assign_group("g", "bob", "everyone", true)),
        ErrorCode::INVALID_ARGUMENT
    );
    assert_eq!(
        env.err("alice", assign_group("g", "bob", "g_nope", true)),
        ErrorCode::GROUP_NOT_FOUND
    );
    assert_eq!(
        env.err("alice", assign_group("g", "zed", mods.as_str(), true)),
        ErrorCode::NOT_MEMBER
    );
    assert_eq!(
        env.err("carol", assign_group("g", "bob", mods.as_str(), true)),
        ErrorCode::PERMISSION_DENIED
    );
}

#[test]
fn nobody_acts_at_or_above_their_own_rank() {
    let env = guild();
    // positions: helpers 1, mods 2, seniors 3.
    let seniors = env.group("alice", "g", "seniors", MODERATE);
    let mods = env.group("alice", "g", "mods", MODERATE);
    let helpers = env.group("alice", "g", "helpers", Permissions::NONE);
    assert_eq!(
        (
            position(&env, helpers.as_str()),
            position(&env, mods.as_str()),
            position(&env, seniors.as_str())
        ),
        (1, 2, 3)
    );
    env.assign("alice", "g", "bob", mods.as_str());
    env.assign("alice", "g", "carol", mods.as_str());
    env.assign("alice", "g", "dave", seniors.as_str());
    env.assign("alice", "g", "erin", helpers.as_str());

    // On members at or above: kick, ban, mute, assign, fields.
    for target in ["carol", "dave"] {
        assert_eq!(
            env.err("bob", Request::KickMember(member_ref("g", target))),
            ErrorCode::CANNOT_ACT_ON_HIGHER,
            "kick {target}"
        );
        assert_eq!(
            env.err(
                "bob",
                Request::BanMember(BanMember {
                    community_id: "g".into(),
                    user_id: target.into(),
                    until_ms: None,
                    reason: String::new(),
                })
            ),
            ErrorCode::CANNOT_ACT_ON_HIGHER,
            "ban {target}"
        );
        assert_eq!(
            env.err(
                "bob",
                Request::MuteMember(MuteMember {
                    community_id: "g".into(),
                    user_id: target.into(),
                    until_ms: Some(T0 + 1_000),
                })
            ),
            ErrorCode::CANNOT_ACT_ON_HIGHER,
            "mute {target}"
        );
        assert_eq!(
            env.err("bob", assign_group("g", target, helpers.as_str(), true)),
            ErrorCode::CANNOT_ACT_ON_HIGHER,
            "assign to {target}"
        );
    }
    // On groups at or above: update, delete, assign (even to a lower member).
    for group in [&mods, &seniors] {
        let rename = Request::UpdateGroup(UpdateGroup {
            name: Some("x".into()),
            ..update(group.as_str())
        });
        assert_eq!(env.err("bob", rename), ErrorCode::CANNOT_ACT_ON_HIGHER);
        assert_eq!(
            env.err("bob", delete(group.as_str())),
            ErrorCode::CANNOT_ACT_ON_HIGHER
        );
        assert_eq!(
            env.err("bob", assign_group("g", "erin", group.as_str(), true)),
            ErrorCode::CANNOT_ACT_ON_HIGHER
        );
    }
    // Below: fine. A group may only get flags its author holds.
    env.ok("bob", assign_group("g", "erin", helpers.as_str(), false));
    env.ok("bob", assign_group("g", "bob", helpers.as_str(), true));
    let grant = Request::UpdateGroup(UpdateGroup {
        permissions: Some(Permissions::MANAGE_COMMUNITY),
        ..update(helpers.as_str())
    });
    assert_eq!(env.err("bob", grant), ErrorCode::PERMISSION_DENIED);
    let create = Request::CreateGroup(CreateGroup {
        community_id: "g".into(),
        name: "x".into(),
        permissions: Permissions::ADMINISTRATOR,
        ..Default::default()
    });
    assert_eq!(env.err("bob", create), ErrorCode::PERMISSION_DENIED);
    env.ok(
        "bob",
        Request::UpdateGroup(UpdateGroup {
            permissions: Some(Permissions::MUTE_MEMBERS),
            ..update(helpers.as_str())
        }),
    );
    env.ok("bob", Request::KickMember(member_ref("g", "erin")));
    // Nobody acts on the owner; an admin not on an admin; the owner on anyone else.
    assert_eq!(
        env.err("dave", Request::KickMember(member_ref("g", "alice"))),
        ErrorCode::CANNOT_ACT_ON_OWNER
    );
    env.promote("alice", "g", "carol");
    env.join("frank", "g");
    env.promote("alice", "g", "frank");
    assert_eq!(
        env.err("carol", Request::KickMember(member_ref("g", "frank"))),
        ErrorCode::CANNOT_ACT_ON_ADMIN
    );
    assert_eq!(
        env.err("dave", Request::KickMember(member_ref("g", "carol"))),
        ErrorCode::CANNOT_ACT_ON_ADMIN
    );
    env.ok("carol", Request::KickMember(member_ref("g", "dave")));
    env.ok("alice", Request::KickMember(member_ref("g", "frank")));
}

#[test]
fn reorder_gives_positions_in_order_below_the_caller() {
    let env = guild();
    let a = env.group("alice", "g", "a", MODERATE);
    let b = env.group("alice", "g", "b", Permissions::NONE);
    let c = env.group("alice", "g", "c", Permissions::NONE);
    // positions: c 1, b 2, a 3.
    let handled = env.ok("alice", reorder(&[b.as_str(), c.as_str(), a.as_str()]));
    assert_eq!(event_kinds(&handled), ["groups_changed"]);
    let Response::Groups(list) = handled.response else {
        panic!()
    };
    let order: Vec<_> = list.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(order, ["@everyone", "b", "c", "a"]);
    assert_eq!(
        env.err("alice", reorder(&[b.as_str(), c.as_str()])),
        ErrorCode::INVALID_ARGUMENT
    );
    assert_eq!(
        env.err("alice", reorder(&[b.as_str(), b.as_str(), a.as_str()])),
        ErrorCode::INVALID_ARGUMENT
    );
    assert_eq!(
        env.err("alice", reorder(&[b.as_str(), "everyone", a.as_str()])),
        ErrorCode::INVALID_ARGUMENT
    );
    assert_eq!(
        env.err("alice", reorder(&[b.as_str(), "g_x", a.as_str()])),
        ErrorCode::GROUP_NOT_FOUND
    );
    // bob holds a (3): he may swap b and c, not move a.
    env.assign("alice", "g", "bob", a.as_str());
    env.ok("bob", reorder(&[c.as_str(), b.as_str(), a.as_str()]));
    assert_eq!(
        env.err("bob", reorder(&[a.as_str(), b.as_str(), c.as_str()])),
        ErrorCode::CANNOT_ACT_ON_HIGHER
    );
    assert_eq!(
        env.err("carol", reorder(&[b.as_str(), c.as_str(), a.as_str()])),
        ErrorCode::PERMISSION_DENIED
    );
    // The same order again changes nothing.
    let same = env.ok("bob", reorder(&[c.as_str(), b.as_str(), a.as_str()]));
    assert!(same.deliveries.is_empty());
}

#[test]
fn a_community_holds_at_most_max_groups() {
    let env = Env::with_limits(Limits {
        max_groups_per_community: 250,
        ..Limits::default()
    });
    env.create("alice", "g");
    for i in 1..250 {
        env.group("alice", "g", &format!("g{i}"), Permissions::NONE);
    }
    assert_eq!(env.snapshot("alice", "g").groups.len(), 250);
    let one_more = Request::CreateGroup(CreateGroup {
        community_id: "g".into(),
        name: "251st".into(),
        ..Default::default()
    });
    assert_eq!(env.err("alice", one_more), ErrorCode::TOO_MANY_GROUPS);
}
