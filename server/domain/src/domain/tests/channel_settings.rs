//! Channel mute-all, per-user channel notification levels in every head, and group
//! mentions counted exactly for every holder.

use community_protocol::request::*;
use community_protocol::{
    ChannelNotification, ErrorCode, Event, GroupId, Mentions, Permissions, Request, Response,
};

use crate::routing::Audience;
use crate::test_support::*;

/// alice owns "g"; carol is an admin; bob, dave and erin are members; dave holds "mods"
/// (`mute_members`).
fn guild() -> (Env, String, GroupId) {
    let env = Env::new();
    let general = env.create("alice", "g").info.default_channel_id.to_string();
    for user in ["bob", "carol", "dave", "erin"] {
        env.join(user, "g");
    }
    env.promote("alice", "g", "carol");
    let mods = env.group("alice", "g", "mods", Permissions::MUTE_MEMBERS);
    env.assign("alice", "g", "dave", mods.as_str());
    (env, general, mods)
}

fn mute_channel(channel: &str, on: bool) -> Request {
    Request::UpdateChannel(UpdateChannel {
        community_id: "g".into(),
        channel_id: channel.into(),
        mute_all: Some(on),
        ..Default::default()
    })
}

fn level(channel: &str, level: ChannelNotification) -> Request {
    Request::SetChannelNotification(SetChannelNotification {
        community_id: "g".into(),
        channel_id: channel.into(),
        level,
    })
}

fn mentioning(channel: &str, key: &str, users: &[&str], groups: &[&GroupId]) -> Request {
    let mut p = send_message("g", channel, key, text("@"));
    p.mentions = Mentions {
        users: users.iter().map(|u| (*u).into()).collect(),
        everyone: false,
        groups: groups.iter().map(|g| (*g).clone()).collect(),
    };
    Request::SendMessage(p)
}

#[test]
fn channel_mute_all_silences_those_who_may_not_mute() {
    let (env, general, _) = guild();
    let other = env.channel("alice", "g", "other", false);
    env.send("bob", "g", &general, "b0", "before");
    let handled = env.ok("carol", mute_channel(&general, true));
    assert_eq!(event_kinds(&handled), ["channel_updated"]);
    let Response::Channel(info) = &handled.response else {
        panic!()
    };
    assert!(info.mute_all);
    assert_eq!(
        env.err("bob", send("g", &general, "b1", "x")),
        ErrorCode::MUTE_ALL
    );
    assert_eq!(
        env.err("bob", react("g", &general, 1, "👍", true)),
        ErrorCode::MUTE_ALL
    );
    env.send("dave", "g", &general, "d1", "mods speak");
    env.send("carol", "g", &general, "c1", "admins speak");
    env.send("bob", "g", &other, "b2", "other channels are open");
    assert_eq!(
        env.err("bob", mute_channel(&general, false)),
        ErrorCode::PERMISSION_DENIED
    );
    env.ok("carol", mute_channel(&general, false));
    env.send("bob", "g", &general, "b3", "open again");
}

#[test]
fn notification_levels_are_kept_per_user_and_shown_in_every_head() {
    let (env, general, _) = guild();
    let handled = env.ok("bob", level(&general, ChannelNotification::MentionsOnly));
    let Response::ReadState(head) = &handled.response else {
        panic!()
    };
    assert_eq!(head.notification_level, ChannelNotification::MentionsOnly);
    assert_eq!(event_kinds(&handled), ["read_state_changed"]);
    assert_eq!(
        handled.deliveries[0].audience,
        Audience::OtherSessionsOfCaller
    );
    // The same level again: the head, nothing told.
    let again = env.ok("bob", level(&general, ChannelNotification::MentionsOnly));
    assert!(again.deliveries.is_empty());
    // Every way a head reaches the client carries it; it is bob's alone.
    assert_eq!(
        env.head("bob", "g", &general).notification_level,
        ChannelNotification::MentionsOnly
    );
    assert_eq!(
        env.snapshot("bob", "g").heads[0].notification_level,
        ChannelNotification::MentionsOnly
    );
    assert_eq!(
        env.head("erin", "g", &general).notification_level,
        ChannelNotification::All
    );
    let Response::Synced(synced) = env.ok("bob", Request::Sync(Sync::default())).response else {
        panic!()
    };
    assert_eq!(
        synced.changed[0].heads[0].notification_level,
        ChannelNotification::MentionsOnly
    );
    // Messages still count in the channel's own head.
    env.send("erin", "g", &general, "e1", "hi");
    assert_eq!(env.head("bob", "g", &general).unread_count, 1);
    env.ok("bob", level(&general, ChannelNotification::None));
    env.ok("bob", level(&general, ChannelNotification::All));
    assert_eq!(
        env.head("bob", "g", &general).notification_level,
        ChannelNotification::All
    );
    assert_eq!(
        env.err("bob", level(&general, ChannelNotification::Unknown)),
        ErrorCode::INVALID_ARGUMENT
    );
    // A channel bob cannot see.
    let secret = env.channel("alice", "g", "secret", true);
    assert_eq!(
        env.err("bob", level(&secret, ChannelNotification::None)),
        ErrorCode::NOT_CHANNEL_MEMBER
    );
    // Losing sight of a channel forgets the level with the read position.
    env.ok("erin", level(&general, ChannelNotification::None));
    let news = env.channel("alice", "g", "news", false);
    env.ok("erin", level(&news, ChannelNotification::None));
    env.set_override(
        "alice",
        "g",
        &news,
        for_member("erin"),
        Permissions::NONE,
        Permissions::VIEW_CHANNEL,
    );
    let handled = env.set_override(
        "alice",
        "g",
        &news,
        for_member("erin"),
        Permissions::NONE,
        Permissions::NONE,
    );
    let added = events(&handled, |e| match e {
        Event::ChannelAdded { head, .. } => Some(head.notification_level),
        _ => None,
    });
    assert_eq!(added[0].1, ChannelNotification::All);
}

#[test]
fn a_group_mention_counts_for_every_holder_exactly() {
    let (env, general, mods) = guild();
    let raid = env.group("alice", "g", "raid", Permissions::NONE);
    env.ok(
        "alice",
        Request::UpdateGroup(UpdateGroup {
            community_id: "g".into(),
            group_id: raid.clone(),
            mentionable: Some(true),
            ..Default::default()
        }),
    );
    env.assign("alice", "g", "bob", raid.as_str());
    env.assign("alice", "g", "erin", raid.as_str());
    // A mentionable group: any member may mention it; a direct mention of a holder too
    // counts once. mods is not: the owner may mention it (mention_everyone).
    env.ok("carol", mentioning(&general, "c1", &["bob"], &[&raid]));
    env.ok("erin", mentioning(&general, "e1", &[], &[&raid]));
    env.ok("alice", mentioning(&general, "a1", &[], &[&mods]));
    let count = |user: &str| {
        let head = env.head(user, "g", &general);
        (head.unread_count, head.mention_count)
    };
    assert_eq!(count("bob"), (3, 2));
    assert_eq!(count("erin"), (2, 1), "her own message does not count");
    assert_eq!(count("dave"), (3, 1), "mods: mentioned by alice");
    assert_eq!(count("alice"), (2, 0));
    // Holders are the current ones: dave joins raid, erin leaves it.
    env.assign("alice", "g", "dave", raid.as_str());
    env.ok("alice", assign_group("g", "erin", raid.as_str(), false));
    assert_eq!(count("dave"), (3, 3));
    assert_eq!(count("erin"), (2, 0));
    // mods is not mentionable: an ordinary member needs mention_everyone for it.
    assert_eq!(
        env.err("bob", mentioning(&general, "b1", &[], &[&mods])),
        ErrorCode::PERMISSION_DENIED
    );
    assert_eq!(
        env.err("bob", mentioning(&general, "b2", &[], &[&"g_nope".into()])),
        ErrorCode::GROUP_NOT_FOUND
    );
    assert_eq!(
        env.err(
            "bob",
            mentioning(&general, "b3", &[], &[&GroupId::everyone()])
        ),
        ErrorCode::INVALID_ARGUMENT
    );
    // Edits and recalls move group mentions like user mentions.
    let edit = Request::EditMessage(EditMessage {
        community_id: "g".into(),
        channel_id: general.clone().into(),
        seq: 1,
        idempotency_key: "c1-edit".into(),
        content: None,
        mentions: Some(Mentions::default()),
        custom_data: None,
    });
    env.change("carol", edit);
    assert_eq!(count("bob"), (3, 1));
    assert_eq!(count("dave"), (3, 2));
    env.change(
        "erin",
        Request::RecallMessage(message_ref("g", &general, 2)),
    );
    assert_eq!(count("bob"), (2, 0));
    assert_eq!(count("dave"), (2, 1));
}
