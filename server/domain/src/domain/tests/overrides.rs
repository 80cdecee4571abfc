//! Channel and category overrides, and visibility following them: hiding a channel from
//! `@everyone` and showing it to a group or a member sends `channel_removed` /
//! `channel_added` to exactly those who lose or gain it, and the channel's events reach
//! exactly its viewers.

use community_protocol::request::*;
use community_protocol::{ErrorCode, Event, Limits, Permissions, Request, Response};

use crate::routing::Audience;
use crate::test_support::*;

const MEMBERS: [&str; 5] = ["alice", "bob", "carol", "dave", "erin"];
const VIEW: Permissions = Permissions::VIEW_CHANNEL;
const NONE: Permissions = Permissions::NONE;

/// alice owns "g"; carol is an admin; bob, dave and erin are members. Returns the env
/// and a public text channel "staff".
fn guild() -> (Env, String) {
    let env = Env::new();
    env.create("alice", "g");
    for user in ["bob", "carol", "dave", "erin"] {
        env.join(user, "g");
    }
    env.promote("alice", "g", "carol");
    let staff = env.channel("alice", "g", "staff", false);
    (env, staff)
}

/// The users a handled request told `channel_added` / `channel_removed` for `channel`.
fn moved(handled: &crate::routing::Handled, channel: &str, added: bool) -> Vec<String> {
    let mut out: Vec<String> = events(handled, |e| match e {
        Event::ChannelAdded { channel: c, .. } if added && c.channel_id == channel => Some(()),
        Event::ChannelRemoved { channel_id, .. } if !added && channel_id == channel => Some(()),
        _ => None,
    })
    .into_iter()
    .flat_map(|(audience, ())| users(audience))
    .map(|u| u.to_string())
    .collect();
    out.sort();
    out
}

fn sees(env: &Env, user: &str, channel: &str) -> bool {
    env.seen(user, "g").iter().any(|c| c == channel)
}

#[test]
fn hiding_a_channel_tells_exactly_those_who_lose_and_gain_it() {
    let (env, staff) = guild();
    env.send("bob", "g", &staff, "b1", "before");
    let team = env.group("alice", "g", "team", NONE);
    env.assign("alice", "g", "dave", team.as_str());

    // @everyone loses view: bob, dave and erin lose it; the owner and the admin keep it.
    let handled = env.set_override("alice", "g", &staff, for_group("everyone"), NONE, VIEW);
    assert_eq!(
        event_kinds(&handled),
        ["channel_updated", "channel_removed"]
    );
    assert_eq!(users(&handled.deliveries[0].audience), ["alice", "carol"]);
    assert_eq!(moved(&handled, &staff, false), ["bob", "dave", "erin"]);
    let Response::Channel(info) = &handled.response else {
        panic!()
    };
    assert_eq!(info.overrides.len(), 1);
    assert!(!sees(&env, "bob", &staff) && sees(&env, "carol", &staff));
    assert_eq!(
        env.err("bob", send("g", &staff, "b2", "hidden")),
        ErrorCode::CHANNEL_NOT_FOUND
    );

    // The team gets it back: only dave gains it, reading from its end.
    let handled = env.set_override("alice", "g", &staff, for_group(team.as_str()), VIEW, NONE);
    assert_eq!(moved(&handled, &staff, true), ["dave"]);
    assert!(moved(&handled, &staff, false).is_empty());
    let head = env.head("dave", "g", &staff);
    assert_eq!((head.read_seq, head.unread_count), (1, 0));

    // A member override shows it to erin; one that denies it hides it from dave again.
    let handled = env.set_override("alice", "g", &staff, for_member("erin"), VIEW, NONE);
    assert_eq!(moved(&handled, &staff, true), ["erin"]);
    let handled = env.set_override("alice", "g", &staff, for_member("dave"), NONE, VIEW);
    assert_eq!(moved(&handled, &staff, false), ["dave"]);
    // Denying the admin changes nothing: administrators bypass overrides.
    let handled = env.set_override("alice", "g", &staff, for_member("carol"), NONE, VIEW);
    assert!(moved(&handled, &staff, false).is_empty());

    // Messages reach exactly the viewers (alice, carol, erin), also a joiner's fate.
    let handled = env.ok("erin", send("g", &staff, "e1", "hi"));
    let audience = &handled.deliveries[0].audience;
    env.join("frank", "g");
    let mut members = MEMBERS.to_vec();
    members.push("frank");
    let reached: Vec<&str> = members
        .iter()
        .copied()
        .filter(|u| reaches(audience, u, &members))
        .collect();
    assert_eq!(reached, ["alice", "carol", "erin"]);
    let handled = env.ok("erin", send("g", &staff, "e2", "again"));
    assert!(!reaches(&handled.deliveries[0].audience, "frank", &members));
    assert!(!sees(&env, "frank", &staff));

    // Removing the @everyone override (nothing allowed, nothing denied) shows it to all
    // but dave (his own deny stays).
    let handled = env.set_override("alice", "g", &staff, for_group("everyone"), NONE, NONE);
    assert_eq!(moved(&handled, &staff, true), ["bob", "frank"]);
    assert!(!sees(&env, "dave", &staff) && sees(&env, "bob", &staff));
}

#[test]
fn overrides_change_what_members_may_do_in_the_order_of_the_protocol() {
    let (env, staff) = guild();
    let team = env.group("alice", "g", "team", NONE);
    env.assign("alice", "g", "bob", team.as_str());
    env.set_override(
        "alice",
        "g",
        &staff,
        for_group("everyone"),
        NONE,
        Permissions::SEND_MESSAGES,
    );
    assert_eq!(
        env.err("dave", send("g", &staff, "d1", "x")),
        ErrorCode::PERMISSION_DENIED
    );
    env.set_override(
        "alice",
        "g",
        &staff,
        for_group(team.as_str()),
        Permissions::SEND_MESSAGES,
        NONE,
    );
    env.send("bob", "g", &staff, "b1", "team may");
    env.set_override(
        "alice",
        "g",
        &staff,
        for_member("bob"),
        NONE,
        Permissions::SEND_MESSAGES,
    );
    assert_eq!(
        env.err("bob", send("g", &staff, "b2", "x")),
        ErrorCode::PERMISSION_DENIED
    );
    // Reading is still allowed, reacting too.
    env.change("bob", react("g", &staff, 1, "👍", true));
}

#[test]
fn override_rules_targets_flags_and_limits() {
    let (env, staff) = guild();
    let mods = env.group("alice", "g", "mods", Permissions::MANAGE_CHANNELS);
    env.assign("alice", "g", "bob", mods.as_str());
    // Flags the caller does not hold cannot be handed out.
    assert_eq!(
        env.err(
            "bob",
            channel_override(
                "g",
                &staff,
                for_group("everyone"),
                Permissions::BAN_MEMBERS,
                NONE
            )
        ),
        ErrorCode::PERMISSION_DENIED
    );
    env.ok(
        "bob",
        channel_override(
            "g",
            &staff,
            for_group("everyone"),
            NONE,
            Permissions::ADD_REACTIONS,
        ),
    );
    // Not on their own group, nor on members at or above them.
    assert_eq!(
        env.err(
            "bob",
            channel_override(
                "g",
                &staff,
                for_group(mods.as_str()),
                NONE,
                Permissions::ADD_REACTIONS
            )
        ),
        ErrorCode::CANNOT_ACT_ON_HIGHER
    );
    assert_eq!(
        env.err(
            "bob",
            channel_override(
                "g",
                &staff,
                for_member("alice"),
                NONE,
                Permissions::ADD_REACTIONS
            )
        ),
        ErrorCode::CANNOT_ACT_ON_OWNER
    );
    assert_eq!(
        env.err(
            "dave",
            channel_override(
                "g",
                &staff,
                for_member("erin"),
                NONE,
                Permissions::ADD_REACTIONS
            )
        ),
        ErrorCode::PERMISSION_DENIED
    );
    assert_eq!(
        env.err(
            "alice",
            channel_override("g", &staff, for_group("g_nope"), NONE, VIEW)
        ),
        ErrorCode::GROUP_NOT_FOUND
    );
    assert_eq!(
        env.err(
            "alice",
            channel_override("g", &staff, for_member("zed"), NONE, VIEW)
        ),
        ErrorCode::NOT_MEMBER
    );
    assert_eq!(
        env.err(
            "alice",
            channel_override("g", "ch_nope", for_member("bob"), NONE, VIEW)
        ),
        ErrorCode::CHANNEL_NOT_FOUND
    );
    // The same override again changes nothing.
    let same = env.ok(
        "bob",
        channel_override(
            "g",
            &staff,
            for_group("everyone"),
            NONE,
            Permissions::ADD_REACTIONS,
        ),
    );
    assert!(same.deliveries.is_empty());
}

#[test]
fn a_channel_holds_at_most_max_overrides() {
    let env = Env::with_limits(Limits {
        max_overrides_per_channel: 100,
        ..Limits::default()
    });
    env.create("alice", "g");
    let general = env
        .snapshot("alice", "g")
        .info
        .default_channel_id
        .to_string();
    for i in 0..101 {
        env.join(&format!("u{i}"), "g");
    }
    for i in 0..100 {
        env.set_override(
            "alice",
            "g",
            &general,
            for_member(&format!("u{i}")),
            NONE,
            Permissions::ADD_REACTIONS,
        );
    }
    assert_eq!(
        env.err(
            "alice",
            channel_override(
                "g",
                &general,
                for_member("u100"),
                NONE,
                Permissions::ADD_REACTIONS
            )
        ),
        ErrorCode::TOO_MANY_OVERRIDES
    );
    // Changing or removing an existing one is still fine.
    env.set_override("alice", "g", &general, for_member("u0"), NONE, VIEW);
    env.set_override("alice", "g", &general, for_member("u1"), NONE, NONE);
    env.set_override(
        "alice",
        "g",
        &general,
        for_member("u100"),
        NONE,
        Permissions::ADD_REACTIONS,
    );
}

#[test]
fn channels_that_follow_their_category_use_its_overrides() {
    let (env, staff) = guild();
    let Response::Category(category) = env
        .ok(
            "alice",
            Request::CreateCategory(CreateCategory {
                community_id: "g".into(),
                name: "Staff".into(),
                position: None,
            }),
        )
        .response
    else {
        panic!()
    };
    let category_id = category.category_id;
    let hide = |allow, deny| {
        Request::SetCategoryOverride(SetCategoryOverride {
            community_id: "g".into(),
            category_id: category_id.clone(),
            rule: community_protocol::Override {
                target: for_group("everyone"),
                allow,
                deny,
            },
        })
    };
    // A channel in the category that follows it: hidden with it.
    let handled = env.ok(
        "alice",
        Request::UpdateChannel(UpdateChannel {
            community_id: "g".into(),
            channel_id: staff.clone().into(),
            category_id: Some(category_id.clone()),
            follows_category: Some(true),
            ..Default::default()
        }),
    );
    assert_eq!(event_kinds(&handled), ["channel_updated"]);
    let handled = env.ok("alice", hide(NONE, VIEW));
    assert_eq!(event_kinds(&handled)[0], "category_updated");
    assert_eq!(
        handled.deliveries[0].audience,
        Audience::Community("g".into())
    );
    assert_eq!(moved(&handled, &staff, false), ["bob", "dave", "erin"]);
    let Response::Category(category) = &handled.response else {
        panic!()
    };
    assert_eq!(category.overrides.len(), 1);
    // Its own overrides do not count while it follows.
    let handled = env.set_override("alice", "g", &staff, for_member("bob"), VIEW, NONE);
    assert!(moved(&handled, &staff, true).is_empty());
    // Unfollowing: its own overrides again (everyone sees it; bob had it allowed anyway).
    let handled = env.ok(
        "alice",
        Request::UpdateChannel(UpdateChannel {
            community_id: "g".into(),
            channel_id: staff.clone().into(),
            follows_category: Some(false),
            ..Default::default()
        }),
    );
    assert_eq!(event_kinds(&handled), ["channel_updated", "channel_added"]);
    assert_eq!(users(&handled.deliveries[0].audience), ["alice", "carol"]);
    assert_eq!(moved(&handled, &staff, true), ["bob", "dave", "erin"]);
    // Following again, then the category goes: the channel falls back to its own.
    let follow = Request::UpdateChannel(UpdateChannel {
        community_id: "g".into(),
        channel_id: staff.clone().into(),
        follows_category: Some(true),
        ..Default::default()
    });
    let handled = env.ok("alice", follow);
    assert_eq!(moved(&handled, &staff, false), ["bob", "dave", "erin"]);
    let handled = env.ok(
        "alice",
        Request::DeleteCategory(CategoryRef {
            community_id: "g".into(),
            category_id: category_id.clone(),
        }),
    );
    assert_eq!(event_kinds(&handled)[0], "category_removed");
    assert_eq!(moved(&handled, &staff, true), ["bob", "dave", "erin"]);
    assert!(sees(&env, "dave", &staff));
}

#[test]
fn a_channel_a_member_cannot_see_answers_not_found() {
    let (env, staff) = guild();
    env.set_override("alice", "g", &staff, for_group("everyone"), NONE, VIEW);
    for request in [
        send("g", &staff, "k", "x"),
        mark_read("g", &staff, 1),
        get_changes("g", &staff, 0, None),
    ] {
        assert_eq!(env.err("bob", request), ErrorCode::CHANNEL_NOT_FOUND);
    }
    // Seeing without reading the history: get_messages is refused, the head is there.
    env.set_override(
        "alice",
        "g",
        &staff,
        for_group("everyone"),
        NONE,
        Permissions::READ_HISTORY,
    );
    assert!(sees(&env, "bob", &staff));
    let history = Request::GetMessages(GetMessages {
        community_id: "g".into(),
        channel_id: staff.clone().into(),
        before_seq: None,
        after_seq: None,
        limit: None,
    });
    assert_eq!(env.err("bob", history), ErrorCode::PERMISSION_DENIED);
}
