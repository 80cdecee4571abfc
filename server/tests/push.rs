//! The offline push hand-off against a real push endpoint (the tests' HTTP receiver): a
//! message pushes exactly to the members with no online session whose settings let it
//! notify them and who have tokens, with the right title, body and badge; direct
//! conversations; the large-community rule; retries.
//!
//! No test asserts on time. "Nobody else got a push" is checked after the push of a later
//! message arrived: the hand-off works messages off in order, so by then every push of
//! the earlier ones was handed over.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::http::StatusCode;
use common::hooks::{HookAnswer, HookReceiver, HookRequest};
use common::*;
use community_protocol::push::{PushPlatform, RegisterPushToken};
use community_protocol::request::{
    CreateConversation, Empty, SetChannelNotification, SetNotification, SetPresence,
};
use community_protocol::*;
use community_server::webhooks::HookUrl;
use serde_json::{Value, json};

const SECRET: &str = "push-secret";

/// A server handing pushes to `receiver`, retrying quickly; communities of more than
/// `large` members are large.
async fn server(receiver: &HookReceiver, large: u64) -> TestServer {
    let url = HookUrl::parse(&receiver.url("/push")).expect("url");
    TestServer::start_with(|config| {
        config.webhooks.push_url = Some(url);
        config.webhooks.secret = Some(SECRET.into());
        config.webhooks.event_retry_delays = vec![Duration::from_millis(20); 3];
        config.limits.large_community_members = large;
    })
    .await
}

fn register(user: &str) -> Request {
    Request::RegisterPushToken(RegisterPushToken {
        platform: PushPlatform::Apns,
        token: format!("apns-{user}"),
    })
}

fn mentioning(community: &CommunityId, channel: &ChannelId, key: &str, users: &[&str]) -> Request {
    let Request::SendMessage(mut p) = send_text(community.as_str(), channel.as_str(), key, "hey")
    else {
        unreachable!()
    };
    p.mentions.users = users.iter().map(|u| UserId::from(*u)).collect();
    Request::SendMessage(p)
}

async fn sent(client: &mut Client, request: Request) -> u64 {
    match client.ok(request).await {
        Response::MessageSent(message) => message.seq,
        other => panic!("unexpected {other:?}"),
    }
}

/// `(user_id, seq)` of every push so far, in arrival order.
fn pushes(requests: &[HookRequest]) -> Vec<(String, u64)> {
    requests
        .iter()
        .map(|r| {
            (
                r.body["user_id"].as_str().unwrap_or_default().to_owned(),
                r.body["seq"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}

fn has(requests: &[HookRequest], user: &str, seq: u64) -> bool {
    pushes(requests).contains(&(user.to_owned(), seq))
}

fn push_of<'a>(requests: &'a [HookRequest], user: &str, seq: u64) -> &'a Value {
    &requests
        .iter()
        .find(|r| r.body["user_id"] == user && r.body["seq"] == seq)
        .expect("the push")
        .body
}

/// Logs `user` in, joins `community`, registers a token when `token`, lets `setup` run
/// requests, then logs out (the session is gone: the user is offline).
async fn offline_member(
    server: &TestServer,
    user: &str,
    community: &CommunityId,
    token: bool,
    setup: Vec<Request>,
) {
    let mut client = server.login(user).await;
    client.ok(join(community.as_str())).await;
    if token {
        client.ok(register(user)).await;
    }
    for request in setup {
        client.ok(request).await;
    }
    client.ok(Request::Logout(Empty {})).await;
}

#[tokio::test]
async fn offline_members_whose_settings_notify_get_one_push_each() {
    let receiver = HookReceiver::start(SECRET).await;
    let server = server(&receiver, 1_000).await;
    let mut alice = server.login("alice").await;
    alice.ok(register("alice")).await;
    let snapshot = create_community(&mut alice, "Climbers").await;
    let community = snapshot.info.community_id.clone();
    let channel = snapshot.info.default_channel_id.clone();
    let channel_name = snapshot
        .channels
        .iter()
        .find(|c| c.channel_id == channel)
        .map(|c| c.name.clone())
        .expect("default channel");
    let level = |level| {
        Request::SetChannelNotification(SetChannelNotification {
            community_id: community.clone(),
            channel_id: channel.clone(),
            level,
        })
    };
    offline_member(&server, "bob", &community, true, vec![]).await;
    offline_member(&server, "carol", &community, false, vec![]).await;
    let mute = Request::SetNotification(SetNotification {
        community_id: community.clone(),
        status: NotificationStatus::DoNotDisturb,
    });
    offline_member(&server, "erin", &community, true, vec![mute]).await;
    let mentions_only = level(ChannelNotification::MentionsOnly);
    offline_member(&server, "frank", &community, true, vec![mentions_only]).await;
    let dnd = Request::SetPresence(SetPresence {
        status: PresenceStatus::DoNotDisturb,
        text: String::new(),
    });
    offline_member(&server, "gina", &community, true, vec![dnd]).await;
    // Dave stays online.
    let mut dave = server.login("dave").await;
    dave.ok(join(community.as_str())).await;
    dave.ok(register("dave")).await;

    let first = sent(
        &mut alice,
        send_text(community.as_str(), channel.as_str(), "m1", "first climb"),
    )
    .await;
    let second = sent(
        &mut alice,
        mentioning(&community, &channel, "m2", &["frank", "gina", "dave"]),
    )
    .await;
    let seen = receiver
        .wait_until("the pushes of both messages", |r| {
            has(r, "bob", first) && has(r, "bob", second) && has(r, "frank", second)
        })
        .await;
    let mut got = pushes(&seen);
    got.sort();
    assert_eq!(
        got,
        [
            ("bob".to_owned(), first),
            ("bob".to_owned(), second),
            ("frank".to_owned(), second)
        ]
    );
    assert!(seen.iter().all(|r| r.signed && r.path == "/push"));
    let push = push_of(&seen, "bob", first);
    assert_eq!(
        push["title"],
        format!("alice in #{channel_name} (Climbers)").as_str()
    );
    assert_eq!(push["body"], "first climb");
    assert_eq!(push["badge"], 1);
    assert_eq!(push["mentioned"], false);
    assert_eq!(push["place"], "channel");
    assert_eq!(push["community_id"], community.as_str());
    assert_eq!(push["channel_id"], channel.as_str());
    assert_eq!(push["sender_id"], "alice");
    assert_eq!(
        push["tokens"],
        json!([{"platform": "apns", "token": "apns-bob"}])
    );
    let request = seen
        .iter()
        .find(|r| r.body["user_id"] == "bob" && r.body["seq"] == first)
        .expect("bob's push");
    assert_eq!(
        request.header("x-community-event-id"),
        push["push_id"].as_str()
    );
    assert_eq!(push_of(&seen, "bob", second)["badge"], 2);
    assert_eq!(push_of(&seen, "frank", second)["mentioned"], true);

    // Gina chooses online again (and goes): she is told of the next message; so is bob.
    let mut gina = server.login("gina").await;
    gina.ok(Request::SetPresence(SetPresence {
        status: PresenceStatus::Online,
        text: String::new(),
    }))
    .await;
    gina.ok(Request::Logout(Empty {})).await;
    let third = sent(
        &mut alice,
        send_text(community.as_str(), channel.as_str(), "m3", "third"),
    )
    .await;
    let seen = receiver
        .wait_until("gina's push", |r| {
            has(r, "gina", third) && has(r, "bob", third)
        })
        .await;
    assert_eq!(push_of(&seen, "bob", third)["badge"], 3);
    assert_eq!(seen.len(), 5, "{:?}", pushes(&seen));
}

#[tokio::test]
async fn a_direct_message_pushes_to_the_offline_participant() {
    let receiver = HookReceiver::start(SECRET).await;
    let server = server(&receiver, 1_000).await;
    let mut bob = server.login("bob").await;
    bob.ok(register("bob")).await;
    bob.ok(Request::Logout(Empty {})).await;
    let mut alice = server.login("alice").await;
    alice.ok(register("alice")).await;
    let conversation = match alice
        .ok(Request::CreateConversation(CreateConversation {
            user_ids: vec!["bob".into()],
            name: String::new(),
            group: false,
        }))
        .await
    {
        Response::Conversation(entry) => entry.conversation.conversation_id,
        other => panic!("unexpected {other:?}"),
    };
    let seq = sent(
        &mut alice,
        send_text("@me", conversation.as_str(), "d1", "are you coming?"),
    )
    .await;
    let seen = receiver
        .wait_until("bob's push", |r| has(r, "bob", seq))
        .await;
    assert_eq!(seen.len(), 1);
    let push = &seen[0].body;
    assert_eq!(push["place"], "direct");
    assert_eq!(push["title"], "alice");
    assert_eq!(push["body"], "are you coming?");
    assert_eq!(push["community_id"], "@me");
    assert_eq!(push["badge"], 1);
}

#[tokio::test]
async fn a_large_community_pushes_only_mentions() {
    let receiver = HookReceiver::start(SECRET).await;
    let server = server(&receiver, 2).await;
    let mut alice = server.login("alice").await;
    let snapshot = create_community(&mut alice, "Big").await;
    let community = snapshot.info.community_id.clone();
    let channel = snapshot.info.default_channel_id.clone();
    for user in ["bob", "carol", "dave"] {
        offline_member(&server, user, &community, true, vec![]).await;
    }
    sent(
        &mut alice,
        send_text(community.as_str(), channel.as_str(), "b1", "to all"),
    )
    .await;
    let mention = sent(
        &mut alice,
        mentioning(&community, &channel, "b2", &["carol"]),
    )
    .await;
    let seen = receiver
        .wait_until("carol's push", |r| has(r, "carol", mention))
        .await;
    assert_eq!(pushes(&seen), [("carol".to_owned(), mention)]);
    assert_eq!(seen[0].body["mentioned"], true);
}

#[tokio::test]
async fn a_failed_push_is_retried_with_the_same_id() {
    let receiver = HookReceiver::start(SECRET).await;
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    receiver.respond(move |_| {
        if counted.fetch_add(1, Ordering::SeqCst) == 0 {
            HookAnswer::status(StatusCode::SERVICE_UNAVAILABLE)
        } else {
            HookAnswer::ok(json!({}))
        }
    });
    let server = server(&receiver, 1_000).await;
    let mut alice = server.login("alice").await;
    let snapshot = create_community(&mut alice, "Retry").await;
    let community = snapshot.info.community_id.clone();
    let channel = snapshot.info.default_channel_id.clone();
    offline_member(&server, "bob", &community, true, vec![]).await;
    let seq = sent(
        &mut alice,
        send_text(community.as_str(), channel.as_str(), "r1", "again"),
    )
    .await;
    let seen = receiver.wait_until("a retry", |r| r.len() == 2).await;
    assert_eq!(pushes(&seen), [("bob".into(), seq), ("bob".into(), seq)]);
    assert_eq!(seen[0].body["push_id"], seen[1].body["push_id"]);
}
