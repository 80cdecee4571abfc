use community_protocol::request::*;
use community_protocol::response::{ChannelMemberList, MessagesPage, UsersOutcome};
use community_protocol::{
    ChannelKind, ChannelRemovalReason, ErrorCode, Event, Limits, Request, Response,
};

use crate::routing::Audience;
use crate::test_support::*;

fn create(name: &str) -> CreateChannel {
    CreateChannel {
        community_id: "g".into(),
        name: name.into(),
        ..Default::default()
    }
}

fn update(channel: &str) -> UpdateChannel {
    UpdateChannel {
        community_id: "g".into(),
        channel_id: channel.into(),
        ..Default::default()
    }
}

fn channel_members(channel: &str, users: &[&str], add: bool) -> Request {
    let p = ChannelMembers {
        community_id: "g".into(),
        channel_id: channel.into(),
        user_ids: users.iter().map(|u| (*u).into()).collect(),
    };
    if add {
        Request::AddChannelMembers(p)
    } else {
        Request::RemoveChannelMembers(p)
    }
}

fn get_messages(channel: &str) -> Request {
    Request::GetMessages(GetMessages {
        community_id: "g".into(),
        channel_id: channel.into(),
        before_seq: None,
        after_seq: None,
        limit: None,
    })
}

/// alice owns "g", carol is an admin, bob a member.
fn guild() -> (Env, String) {
    let env = Env::new();
    let general = env.create("alice", "g").info.default_channel_id;
    env.join("bob", "g");
    env.join("carol", "g");
    env.promote("alice", "g", "carol");
    (env, general.to_string())
}

#[test]
fn create_channel_rules_and_limits() {
    let (env, _) = guild();
    assert_eq!(
        env.err("bob", Request::CreateChannel(create("x"))),
        ErrorCode::PERMISSION_DENIED
    );
    let version = env.snapshot("alice", "g").info.version;
    let handled = env.ok("carol", Request::CreateChannel(create("news")));
    let Response::Channel(channel) = &handled.response else {
        panic!()
    };
    assert!(channel.channel_id.as_str().starts_with("ch_") && !channel.is_default);
    assert_eq!(channel.position, 1, "after the default channel");
    assert_eq!(
        handled.deliveries[0].audience,
        Audience::Community("g".into())
    );
    let Event::ChannelAdded {
        head, version: v, ..
    } = &handled.deliveries[0].event
    else {
        panic!()
    };
    assert_eq!((head.last_seq, head.unread_count, *v), (0, 0, version + 1));
    assert_eq!(env.snapshot("bob", "g").channels.len(), 2);

    let long = |f: fn(&mut CreateChannel)| {
        let mut p = create("ok");
        f(&mut p);
        env.err("alice", Request::CreateChannel(p))
    };
    assert_eq!(
        long(|p| p.name = "n".repeat(101)),
        ErrorCode::CHANNEL_NAME_TOO_LONG
    );
    assert_eq!(
        long(|p| p.name = " ".into()),
        ErrorCode::CHANNEL_NAME_TOO_LONG
    );
    assert_eq!(
        long(|p| p.introduction = "i".repeat(241)),
        ErrorCode::CHANNEL_INTRO_TOO_LONG
    );
    assert_eq!(
        long(|p| p.notice = "n".repeat(301)),
        ErrorCode::CHANNEL_NOTICE_TOO_LONG
    );
    assert_eq!(
        long(|p| p.category_id = Some("cat_missing".into())),
        ErrorCode::CATEGORY_NOT_FOUND
    );
    assert_eq!(
        long(|p| p.member_ids = vec!["bob".into()]),
        ErrorCode::INVALID_ARGUMENT
    );
    assert_eq!(
        long(|p| {
            p.private = true;
            p.member_ids = vec!["stranger".into()];
        }),
        ErrorCode::NOT_MEMBER
    );
}

#[test]
fn channels_per_community_limit() {
    let env = Env::with_limits(Limits {
        max_channels_per_community: 3,
        ..Limits::default()
    });
    env.create("alice", "g");
    env.channel("alice", "g", "two", false);
    env.channel("alice", "g", "three", false);
    assert_eq!(
        env.err("alice", Request::CreateChannel(create("four"))),
        ErrorCode::TOO_MANY_CHANNELS
    );
}

#[test]
fn private_channels_are_seen_by_members_owner_and_admins_only() {
    let (env, _) = guild();
    env.join("dave", "g");
    let handled = env.ok(
        "alice",
        Request::CreateChannel(CreateChannel {
            private: true,
            member_ids: vec!["dave".into()],
            ..create("secret")
        }),
    );
    let Response::Channel(secret) = handled.response.clone() else {
        panic!()
    };
    assert_eq!(
        users(&handled.deliveries[0].audience),
        ["alice", "carol", "dave"]
    );
    let secret = secret.channel_id;

    let sees = |user: &str| {
        env.snapshot(user, "g")
            .channels
            .iter()
            .any(|c| c.channel_id == secret)
    };
    assert!(sees("alice") && sees("carol") && sees("dave"));
    assert!(!sees("bob"));
    assert_eq!(env.snapshot("bob", "g").heads.len(), 1);
    assert_eq!(
        env.err("bob", send("g", secret.as_str(), "k", "hi")),
        ErrorCode::NOT_CHANNEL_MEMBER
    );
    assert_eq!(
        env.err("bob", get_messages(secret.as_str())),
        ErrorCode::NOT_CHANNEL_MEMBER
    );
    assert_eq!(
        env.err("bob", mark_read("g", secret.as_str(), 1)),
        ErrorCode::NOT_CHANNEL_MEMBER
    );

    let handled = env.ok("dave", send("g", secret.as_str(), "k", "psst"));
    assert_eq!(
        users(&handled.deliveries[0].audience),
        ["alice", "carol", "dave"]
    );

    // Adding bob: he gets the channel, with its history counted as read. (Managing a
    // channel is checked in it: bob, who cannot see it, is told so.)
    assert_eq!(
        env.err("bob", channel_members(secret.as_str(), &["bob"], true)),
        ErrorCode::NOT_CHANNEL_MEMBER
    );
    let handled = env.ok(
        "carol",
        channel_members(secret.as_str(), &["bob", "dave", "zed"], true),
    );
    let Response::Users(UsersOutcome { succeeded, failed }) = &handled.response else {
        panic!()
    };
    assert_eq!(succeeded, &["bob"]);
    let codes: Vec<_> = failed.iter().map(|f| f.error.code).collect();
    assert_eq!(codes, [ErrorCode::ALREADY_MEMBER, ErrorCode::NOT_MEMBER]);
    assert_eq!(users(&handled.deliveries[0].audience), ["bob"]);
    let Event::ChannelAdded { head, .. } = &handled.deliveries[0].event else {
        panic!()
    };
    assert_eq!((head.last_seq, head.read_seq, head.unread_count), (1, 1, 0));
    env.send("bob", "g", secret.as_str(), "k", "hello");
    let list = Request::ListChannelMembers(ChannelRef {
        community_id: "g".into(),
        channel_id: secret.clone(),
    });
    let Response::ChannelMembers(ChannelMemberList { user_ids }) = env.ok("bob", list).response
    else {
        panic!()
    };
    assert_eq!(user_ids, ["bob", "dave"]);

    // Removing him revokes access.
    let handled = env.ok(
        "alice",
        channel_members(secret.as_str(), &["bob", "carol"], false),
    );
    let Response::Users(UsersOutcome { succeeded, failed }) = &handled.response else {
        panic!()
    };
    assert_eq!(succeeded, &["bob"]);
    assert_eq!(failed[0].error.code, ErrorCode::NOT_CHANNEL_MEMBER);
    assert_eq!(users(&handled.deliveries[0].audience), ["bob"]);
    assert!(matches!(
        handled.deliveries[0].event,
        Event::ChannelRemoved {
            reason: ChannelRemovalReason::AccessRevoked,
            ..
        }
    ));
    assert_eq!(
        env.err("bob", get_messages(secret.as_str())),
        ErrorCode::NOT_CHANNEL_MEMBER
    );

    // Public channels have no explicit members.
    let general = env.snapshot("alice", "g").info.default_channel_id;
    assert_eq!(
        env.err("alice", channel_members(general.as_str(), &["bob"], true)),
        ErrorCode::INVALID_ARGUMENT
    );
}

#[test]
fn role_changes_move_private_channel_access() {
    let (env, _) = guild();
    let secret = env.channel("alice", "g", "secret", true);
    env.send("alice", "g", &secret, "k", "before bob could see");
    let promote = Request::SetMemberRole(SetMemberRole {
        community_id: "g".into(),
        user_id: "bob".into(),
        role: community_protocol::Role::Admin,
    });
    let handled = env.ok("alice", promote);
    let added = events(&handled, |e| match e {
        Event::ChannelAdded { channel, head, .. } => {
            Some((channel.channel_id.clone(), head.unread_count))
        }
        _ => None,
    });
    assert_eq!(added.len(), 1);
    assert_eq!(users(added[0].0), ["bob"]);
    assert_eq!(added[0].1, (secret.as_str().into(), 0));
    env.send("bob", "g", &secret, "k", "now I see");

    let demote = Request::SetMemberRole(SetMemberRole {
        community_id: "g".into(),
        user_id: "bob".into(),
        role: community_protocol::Role::Member,
    });
    let handled = env.ok("alice", demote);
    assert!(event_kinds(&handled).contains(&"channel_removed".to_string()));
    assert_eq!(
        env.err("bob", get_messages(&secret)),
        ErrorCode::NOT_CHANNEL_MEMBER
    );
}

#[test]
fn default_channel_is_protected() {
    let (env, general) = guild();
    let delete = Request::DeleteChannel(ChannelRef {
        community_id: "g".into(),
        channel_id: general.clone().into(),
    });
    assert_eq!(
        env.err("alice", delete),
        ErrorCode::DEFAULT_CHANNEL_PROTECTED
    );
    let private = Request::UpdateChannel(UpdateChannel {
        private: Some(true),
        ..update(&general)
    });
    assert_eq!(
        env.err("alice", private),
        ErrorCode::DEFAULT_CHANNEL_PROTECTED
    );
    // Renaming is fine.
    let rename = Request::UpdateChannel(UpdateChannel {
        name: Some("lobby".into()),
        ..update(&general)
    });
    env.ok("carol", rename);
    assert_eq!(env.snapshot("bob", "g").channels[0].name, "lobby");
}

#[test]
fn update_channel_fields_and_visibility() {
    let (env, _) = guild();
    let news = env.channel("alice", "g", "news", false);
    let rename = Request::UpdateChannel(UpdateChannel {
        name: Some("n".repeat(101)),
        ..update(&news)
    });
    assert_eq!(env.err("alice", rename), ErrorCode::CHANNEL_NAME_TOO_LONG);
    let by_member = Request::UpdateChannel(UpdateChannel {
        name: Some("x".into()),
        ..update(&news)
    });
    assert_eq!(env.err("bob", by_member), ErrorCode::PERMISSION_DENIED);
    let missing = Request::UpdateChannel(UpdateChannel {
        name: Some("x".into()),
        ..update("ch_missing")
    });
    assert_eq!(env.err("alice", missing), ErrorCode::CHANNEL_NOT_FOUND);

    let handled = env.ok(
        "alice",
        Request::UpdateChannel(UpdateChannel {
            introduction: Some("about".into()),
            custom: Some("{\"x\":1}".into()),
            position: Some(7),
            ..update(&news)
        }),
    );
    let Response::Channel(channel) = &handled.response else {
        panic!()
    };
    assert_eq!(
        (channel.introduction.as_str(), channel.position),
        ("about", 7)
    );
    assert_eq!(
        handled.deliveries[0].audience,
        Audience::Community("g".into())
    );
    assert_eq!(event_kinds(&handled), ["channel_updated"]);

    // Public -> private: bob loses it, the managers are told of the change.
    env.send("bob", "g", &news, "k1", "hello");
    let handled = env.ok(
        "carol",
        Request::UpdateChannel(UpdateChannel {
            private: Some(true),
            ..update(&news)
        }),
    );
    assert_eq!(
        event_kinds(&handled),
        ["channel_updated", "channel_removed"]
    );
    assert_eq!(users(&handled.deliveries[0].audience), ["alice", "carol"]);
    assert_eq!(users(&handled.deliveries[1].audience), ["bob"]);
    assert_eq!(
        env.err("bob", get_messages(&news)),
        ErrorCode::NOT_CHANNEL_MEMBER
    );

    // Private -> public: bob gets it back.
    env.send("alice", "g", &news, "k1", "while private");
    let handled = env.ok(
        "carol",
        Request::UpdateChannel(UpdateChannel {
            private: Some(false),
            ..update(&news)
        }),
    );
    assert_eq!(event_kinds(&handled), ["channel_updated", "channel_added"]);
    assert_eq!(users(&handled.deliveries[1].audience), ["bob"]);
    assert_eq!(env.head("bob", "g", &news).unread_count, 0);
    assert_eq!(env.head("bob", "g", &news).last_seq, 2);
}

#[test]
fn delete_channel_tells_viewers_and_removes_history() {
    let (env, _) = guild();
    let news = env.channel("alice", "g", "news", false);
    env.send("bob", "g", &news, "k", "hello");
    let delete = || {
        Request::DeleteChannel(ChannelRef {
            community_id: "g".into(),
            channel_id: news.clone().into(),
        })
    };
    assert_eq!(env.err("bob", delete()), ErrorCode::PERMISSION_DENIED);
    let handled = env.ok("carol", delete());
    assert_eq!(
        handled.deliveries[0].audience,
        Audience::Community("g".into())
    );
    assert!(matches!(
        handled.deliveries[0].event,
        Event::ChannelRemoved {
            reason: ChannelRemovalReason::Deleted,
            ..
        }
    ));
    assert_eq!(
        env.err("bob", get_messages(&news)),
        ErrorCode::CHANNEL_NOT_FOUND
    );
    assert_eq!(env.err("carol", delete()), ErrorCode::CHANNEL_NOT_FOUND);
    // Its idempotency keys are gone with it: the key works in another channel now.
    let general = env.snapshot("bob", "g").info.default_channel_id;
    assert_eq!(
        env.send("bob", "g", general.as_str(), "k", "elsewhere").seq,
        1
    );
}

#[test]
fn categories_of_equal_position_keep_their_creation_order() {
    let (env, _) = guild();
    let names: Vec<String> = (0..8).map(|i| format!("cat{i}")).collect();
    for name in &names {
        env.clock.advance(1);
        env.ok(
            "alice",
            Request::CreateCategory(CreateCategory {
                community_id: "g".into(),
                name: name.clone(),
                position: Some(0),
            }),
        );
    }
    let listed: Vec<String> = env
        .snapshot("bob", "g")
        .categories
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(
        listed, names,
        "ties are broken by creation time, not by random id"
    );
}

#[test]
fn categories_crud() {
    let (env, _) = guild();
    let create_cat = |name: &str| {
        Request::CreateCategory(CreateCategory {
            community_id: "g".into(),
            name: name.into(),
            position: None,
        })
    };
    assert_eq!(
        env.err("bob", create_cat("x")),
        ErrorCode::PERMISSION_DENIED
    );
    assert_eq!(
        env.err("alice", create_cat(&"c".repeat(101))),
        ErrorCode::CHANNEL_NAME_TOO_LONG
    );
    let handled = env.ok("carol", create_cat("Voice"));
    let Response::Category(voice) = handled.response.clone() else {
        panic!()
    };
    assert!(voice.category_id.as_str().starts_with("cat_"));
    assert_eq!(event_kinds(&handled), ["category_updated"]);
    let Response::Category(text) = env.ok("alice", create_cat("Text")).response else {
        panic!()
    };
    assert_eq!((voice.position, text.position), (0, 1));

    let lounge = Request::CreateChannel(CreateChannel {
        kind: ChannelKind::Voice,
        category_id: Some(voice.category_id.clone()),
        ..create("lounge")
    });
    let Response::Channel(lounge) = env.ok("alice", lounge).response else {
        panic!()
    };
    assert_eq!(
        lounge.category_id.as_ref().map(|c| c.as_str()),
        Some(voice.category_id.as_str())
    );
    assert_eq!(lounge.position, 0, "first in its category");

    let rename = Request::UpdateCategory(UpdateCategory {
        community_id: "g".into(),
        category_id: voice.category_id.clone(),
        name: Some("Voice rooms".into()),
        position: Some(5),
    });
    assert_eq!(env.err("bob", rename.clone()), ErrorCode::PERMISSION_DENIED);
    let Response::Category(renamed) = env.ok("carol", rename).response else {
        panic!()
    };
    assert_eq!(
        (renamed.name.as_str(), renamed.position),
        ("Voice rooms", 5)
    );
    let cats = env.snapshot("bob", "g").categories;
    assert_eq!(
        cats.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        ["Text", "Voice rooms"]
    );

    // Move the channel out and back in through update_channel ("" = no category).
    let out = Request::UpdateChannel(UpdateChannel {
        category_id: Some(String::new().into()),
        ..update(lounge.channel_id.as_str())
    });
    let Response::Channel(moved) = env.ok("alice", out).response else {
        panic!()
    };
    assert_eq!(moved.category_id, None);
    let back = Request::UpdateChannel(UpdateChannel {
        category_id: Some(voice.category_id.clone()),
        ..update(lounge.channel_id.as_str())
    });
    env.ok("alice", back);

    let delete = |id: &str| {
        Request::DeleteCategory(CategoryRef {
            community_id: "g".into(),
            category_id: id.into(),
        })
    };
    assert_eq!(
        env.err("bob", delete(voice.category_id.as_str())),
        ErrorCode::PERMISSION_DENIED
    );
    let handled = env.ok("alice", delete(voice.category_id.as_str()));
    assert_eq!(event_kinds(&handled), ["category_removed"]);
    let snapshot = env.snapshot("bob", "g");
    assert_eq!(snapshot.categories.len(), 1);
    let lounge_now = snapshot
        .channels
        .iter()
        .find(|c| c.channel_id == lounge.channel_id)
        .unwrap();
    assert_eq!(
        lounge_now.category_id, None,
        "channels fall back to no category"
    );
    assert_eq!(
        env.err("alice", delete(voice.category_id.as_str())),
        ErrorCode::CATEGORY_NOT_FOUND
    );
    let missing = Request::UpdateCategory(UpdateCategory {
        community_id: "g".into(),
        category_id: "cat_missing".into(),
        name: Some("x".into()),
        position: None,
    });
    assert_eq!(env.err("alice", missing), ErrorCode::CATEGORY_NOT_FOUND);
}

#[test]
fn announcement_channels_are_read_only_for_members() {
    let (env, _) = guild();
    let request = Request::CreateChannel(CreateChannel {
        kind: ChannelKind::Announcement,
        ..create("news")
    });
    let Response::Channel(news) = env.ok("alice", request).response else {
        panic!()
    };
    assert_eq!(
        env.err("bob", send("g", news.channel_id.as_str(), "k", "hi")),
        ErrorCode::ANNOUNCEMENT_READ_ONLY
    );
    env.send("carol", "g", news.channel_id.as_str(), "k", "announcement");
    env.send("alice", "g", news.channel_id.as_str(), "k", "another");
    let Response::Messages(MessagesPage { messages, .. }) = env
        .ok("bob", get_messages(news.channel_id.as_str()))
        .response
    else {
        panic!()
    };
    assert_eq!(messages.len(), 2);
}

#[test]
fn a_channel_of_an_unknown_kind_is_refused() {
    let (env, _) = guild();
    // What `"kind":"forum"` (a kind from a newer version) decodes to.
    let kind: ChannelKind = serde_json::from_str(r#""forum""#).unwrap();
    assert_eq!(kind, ChannelKind::Unknown);
    let request = Request::CreateChannel(CreateChannel {
        kind,
        ..create("forum")
    });
    assert_eq!(env.err("alice", request), ErrorCode::INVALID_ARGUMENT);
    assert_eq!(
        env.snapshot("alice", "g").channels.len(),
        1,
        "nothing created"
    );
}
