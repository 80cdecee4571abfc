//! The push candidates of a message (`Domain::push_candidates`) and the recipients'
//! badges (`Domain::push_recipients`): tokens, the community's notification status, the
//! channel's level, do-not-disturb, conversations and the large-community rule.

use community_protocol::push::{PushPlatform, RegisterPushToken};
use community_protocol::request::{SetChannelNotification, SetNotification};
use community_protocol::{
    ChannelNotification, Limits, Mentions, NotificationStatus, Permissions, PresenceStatus,
    Request, Response, UserId,
};

use super::conversations::direct;
use crate::push_plan::{PushPlace, PushTarget};
use crate::test_support::*;

fn token(env: &Env, user: &str) {
    env.ok(
        user,
        Request::RegisterPushToken(RegisterPushToken {
            platform: PushPlatform::Fcm,
            token: format!("token-{user}"),
        }),
    );
}

fn send_with(env: &Env, community: &str, channel: &str, key: &str, mentions: Mentions) -> u64 {
    let mut p = send_message(community, channel, key, text("hello there"));
    p.mentions = mentions;
    match env.ok("alice", Request::SendMessage(p)).response {
        Response::MessageSent(message) => message.seq,
        other => panic!("unexpected {other:?}"),
    }
}

fn named(users: &[&str]) -> Mentions {
    Mentions {
        users: users.iter().map(|u| UserId::from(*u)).collect(),
        ..Default::default()
    }
}

fn targets(env: &Env, community: &str, channel: &str, seq: u64) -> Vec<(String, bool)> {
    env.domain
        .push_candidates(&community.into(), &channel.into(), seq)
        .unwrap()
        .unwrap()
        .targets
        .into_iter()
        .map(|PushTarget { user_id, mentioned }| (user_id.to_string(), mentioned))
        .collect()
}

fn badge(env: &Env, user: &str) -> u64 {
    badge_at(env, user, "none", 0)
}

fn badge_at(env: &Env, user: &str, channel: &str, seq: u64) -> u64 {
    let found = env
        .domain
        .push_recipients(&channel.into(), seq, &[UserId::from(user)])
        .unwrap();
    assert_eq!(found.len(), 1, "{user} has tokens");
    found[0].badge
}

#[test]
fn settings_decide_who_a_message_may_notify() {
    let env = Env::new();
    let snapshot = env.create("alice", "c");
    let channel = snapshot.channels[0].channel_id.to_string();
    for user in ["bob", "carol", "dave", "erin", "frank", "gina"] {
        env.join(user, "c");
        if user != "carol" {
            token(&env, user);
        }
    }
    token(&env, "alice");
    env.ok(
        "dave",
        Request::SetNotification(SetNotification {
            community_id: "c".into(),
            status: NotificationStatus::DoNotDisturb,
        }),
    );
    for (user, level) in [
        ("erin", ChannelNotification::MentionsOnly),
        ("frank", ChannelNotification::None),
    ] {
        env.ok(
            user,
            Request::SetChannelNotification(SetChannelNotification {
                community_id: "c".into(),
                channel_id: channel.as_str().into(),
                level,
            }),
        );
    }
    env.domain
        .set_presence_choice(&"gina".into(), PresenceStatus::DoNotDisturb)
        .unwrap();

    let plain = send_with(&env, "c", &channel, "k1", Mentions::default());
    assert_eq!(targets(&env, "c", &channel, plain), [("bob".into(), false)]);
    let candidates = env
        .domain
        .push_candidates(&"c".into(), &channel.as_str().into(), plain)
        .unwrap()
        .unwrap();
    assert_eq!(candidates.message.place, PushPlace::Channel);
    assert_eq!(candidates.message.community_name, "Community c");
    assert_eq!(candidates.message.sender_name, "alice");
    assert_eq!(candidates.message.preview, "hello there");
    assert!(!candidates.truncated && !candidates.message.large);

    let mention = send_with(
        &env,
        "c",
        &channel,
        "k2",
        named(&["erin", "frank", "carol"]),
    );
    assert_eq!(
        targets(&env, "c", &channel, mention),
        [("bob".into(), false), ("erin".into(), true)]
    );
    let everyone = Mentions {
        everyone: true,
        ..Default::default()
    };
    let all = send_with(&env, "c", &channel, "k3", everyone);
    assert_eq!(
        targets(&env, "c", &channel, all),
        [("bob".into(), true), ("erin".into(), true)]
    );
    // Gina's choice ends: she is told again.
    env.domain
        .set_presence_choice(&"gina".into(), PresenceStatus::Online)
        .unwrap();
    assert_eq!(
        targets(&env, "c", &channel, plain),
        [("bob".into(), false), ("gina".into(), false)]
    );
    // No such message: nothing.
    assert!(
        env.domain
            .push_candidates(&"c".into(), &channel.as_str().into(), 99)
            .unwrap()
            .is_none()
    );
}

#[test]
fn the_badge_is_the_unread_that_notifies() {
    let env = Env::new();
    let snapshot = env.create("alice", "c");
    let channel = snapshot.channels[0].channel_id.to_string();
    env.create("alice", "muted");
    let muted = env.snapshot("alice", "muted").channels[0]
        .channel_id
        .to_string();
    env.join("bob", "c");
    env.join("bob", "muted");
    token(&env, "bob");
    env.ok(
        "bob",
        Request::SetNotification(SetNotification {
            community_id: "muted".into(),
            status: NotificationStatus::DoNotDisturb,
        }),
    );
    assert_eq!(badge(&env, "bob"), 0);
    send_with(&env, "c", &channel, "k1", Mentions::default());
    assert_eq!(badge(&env, "bob"), 1);
    let second = send_with(&env, "c", &channel, "k2", Mentions::default());
    assert_eq!(badge(&env, "bob"), 2);
    // As of the first message: the second is not counted yet.
    assert_eq!(badge_at(&env, "bob", &channel, second - 1), 1);
    // A muted community does not count; a conversation does.
    send_with(&env, "muted", &muted, "k3", named(&["bob"]));
    let dm = direct(&env, "alice", "bob");
    send_with(&env, "@me", &dm, "k4", Mentions::default());
    assert_eq!(badge(&env, "bob"), 3);
    env.ok("bob", mark_read("c", &channel, second));
    assert_eq!(badge(&env, "bob"), 1);
    // No token: not a recipient.
    assert!(
        env.domain
            .push_recipients(&"none".into(), 0, &[UserId::from("carol")])
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_direct_conversation_notifies_the_other_participant() {
    let env = Env::new();
    let dm = direct(&env, "alice", "bob");
    token(&env, "alice");
    token(&env, "bob");
    let seq = send_with(&env, "@me", &dm, "k1", Mentions::default());
    assert_eq!(targets(&env, "@me", &dm, seq), [("bob".into(), false)]);
    let candidates = env
        .domain
        .push_candidates(&"@me".into(), &dm.as_str().into(), seq)
        .unwrap()
        .unwrap();
    assert_eq!(candidates.message.place, PushPlace::Direct);
    assert_eq!(candidates.message.community_name, "");
}

#[test]
fn a_large_community_pushes_mentions_by_name_and_group_only() {
    let env = Env::with_limits(Limits {
        large_community_members: 3,
        ..Limits::default()
    });
    let snapshot = env.create("alice", "big");
    let channel = snapshot.channels[0].channel_id.to_string();
    for user in ["bob", "carol", "dave", "erin"] {
        env.join(user, "big");
        token(&env, user);
    }
    let group = env.group("alice", "big", "mods", Permissions::NONE);
    env.assign("alice", "big", "carol", group.as_str());
    env.assign("alice", "big", "dave", group.as_str());

    let plain = send_with(&env, "big", &channel, "k1", Mentions::default());
    assert!(targets(&env, "big", &channel, plain).is_empty());
    let everyone = Mentions {
        everyone: true,
        ..Default::default()
    };
    let all = send_with(&env, "big", &channel, "k2", everyone);
    assert!(targets(&env, "big", &channel, all).is_empty());
    let one = send_with(&env, "big", &channel, "k3", named(&["bob", "stranger"]));
    assert_eq!(targets(&env, "big", &channel, one), [("bob".into(), true)]);
    let mods = send_with(
        &env,
        "big",
        &channel,
        "k4",
        Mentions {
            groups: vec![group],
            ..Default::default()
        },
    );
    assert_eq!(
        targets(&env, "big", &channel, mods),
        [("carol".into(), true), ("dave".into(), true)]
    );
}

#[test]
fn a_thread_notifies_its_members_at_its_channels_level() {
    use super::threads::{guild, start, thread_ref};
    let env = Env::new();
    let general = guild(&env);
    for user in ["bob", "carol", "dave"] {
        token(&env, user);
    }
    let thread = start(&env, "alice", &general, "Route ideas", None);
    let id = thread.thread_id.to_string();
    env.ok("bob", Request::JoinThread(thread_ref(&thread)));
    let plain = send_with(&env, "c", &id, "t1", Mentions::default());
    assert_eq!(targets(&env, "c", &id, plain), [("bob".into(), false)]);
    let candidates = env
        .domain
        .push_candidates(&"c".into(), &id.as_str().into(), plain)
        .unwrap()
        .unwrap();
    assert_eq!(candidates.message.place, PushPlace::Thread);
    assert_eq!(candidates.message.channel_name, "Route ideas");
    // Dave is mentioned: he joins the thread and is told.
    let mention = send_with(&env, "c", &id, "t2", named(&["dave"]));
    assert_eq!(
        targets(&env, "c", &id, mention),
        [("bob".into(), false), ("dave".into(), true)]
    );
    // Bob silences the channel: its threads follow.
    env.ok(
        "bob",
        Request::SetChannelNotification(SetChannelNotification {
            community_id: "c".into(),
            channel_id: general.as_str().into(),
            level: ChannelNotification::None,
        }),
    );
    assert_eq!(targets(&env, "c", &id, mention), [("dave".into(), true)]);
}

#[test]
fn a_group_conversation_notifies_its_participants_at_their_level() {
    use super::conversations::start_request;
    let env = Env::new();
    env.login(&["alice", "bob", "carol", "dave"]);
    for user in ["bob", "carol", "dave"] {
        token(&env, user);
    }
    let id = match env
        .ok("alice", start_request(&["bob", "carol"], "Trip", true))
        .response
    {
        Response::Conversation(entry) => entry.conversation.conversation_id.to_string(),
        other => panic!("unexpected {other:?}"),
    };
    env.ok(
        "carol",
        Request::SetChannelNotification(SetChannelNotification {
            community_id: "@me".into(),
            channel_id: id.as_str().into(),
            level: ChannelNotification::MentionsOnly,
        }),
    );
    let seq = send_with(&env, "@me", &id, "g1", Mentions::default());
    assert_eq!(targets(&env, "@me", &id, seq), [("bob".into(), false)]);
    let mention = send_with(&env, "@me", &id, "g2", named(&["carol"]));
    assert_eq!(
        targets(&env, "@me", &id, mention),
        [("bob".into(), false), ("carol".into(), true)]
    );
    let message = env
        .domain
        .push_candidates(&"@me".into(), &id.as_str().into(), seq)
        .unwrap()
        .unwrap()
        .message;
    assert_eq!(
        (message.place, message.channel_name.as_str()),
        (PushPlace::Group, "Trip")
    );
}
