//! The app's backend over real HTTP (docs/WEBHOOKS.md): the before-send content check
//! (allow, reject, discard, replace, the default when it does not answer, a slow check
//! holding up nothing else) and the after-events feed (in order per community, retried,
//! dead-lettered, kept across a restart).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::http::StatusCode;
use common::hooks::{HookAnswer, HookReceiver, HookRequest};
use common::*;
use community_protocol::request::{CreateChannel, EditMessage};
use community_protocol::*;
use community_server::ServerConfig;
use community_server::webhooks::queue::EventQueue;
use community_server::webhooks::{BeforeSendDefault, HookUrl};
use serde_json::{Value, json};

const SECRET: &str = "test-secret";

fn hooks(config: &mut ServerConfig, receiver: &HookReceiver) {
    config.webhooks.secret = Some(SECRET.into());
    config.webhooks.before_send_url = Some(HookUrl::parse(&receiver.url("/check")).unwrap());
}

fn events(config: &mut ServerConfig, receiver: &HookReceiver, delays_ms: &[u64]) {
    config.webhooks.secret = Some(SECRET.into());
    config.webhooks.events_url = Some(HookUrl::parse(&receiver.url("/events")).unwrap());
    config.webhooks.event_retry_delays = delays_ms
        .iter()
        .copied()
        .map(Duration::from_millis)
        .collect();
}

fn text_of(request: &HookRequest) -> &str {
    request.body["content"]["text"]
        .as_str()
        .or_else(|| request.body["message"]["content"]["text"].as_str())
        .unwrap_or("")
}

/// A community of alice that bob joined: (community, default channel).
async fn guild(alice: &mut Client, bob: &mut Client) -> (CommunityId, ChannelId) {
    let guild = create_community(alice, "Guild").await;
    let id = guild.info.community_id.clone();
    bob.ok(join(id.as_str())).await;
    (id, guild.info.default_channel_id)
}

#[tokio::test]
async fn the_check_allows_rejects_discards_and_replaces() {
    let receiver = HookReceiver::start(SECRET).await;
    receiver.respond(|request| {
        HookAnswer::ok(match text_of(request) {
            "bad" => json!({"action": "reject", "reason": "no bad words"}),
            "drop" => json!({"action": "discard"}),
            "swap" => {
                json!({"action": "replace", "content": {"type": "text", "text": "[removed]"}})
            }
            _ => json!({"action": "allow"}),
        })
    });
    let server = TestServer::start_with(|c| hooks(c, &receiver)).await;
    let mut alice = server.login("alice").await;
    let mut bob = server.login("bob").await;
    let (id, ch) = guild(&mut alice, &mut bob).await;

    let allowed = send(&mut alice, &id, &ch, "k-ok", "ok").await;
    assert_eq!(allowed.seq, 1);
    let error = alice
        .fails(
            send_text(id.as_str(), ch.as_str(), "k-bad", "bad"),
            ErrorCode::MESSAGE_REJECTED,
        )
        .await;
    assert_eq!(error.message, "no bad words");
    let discarded = send(&mut alice, &id, &ch, "k-drop", "drop").await;
    assert_eq!(
        discarded.seq, 0,
        "a discarded message is answered with seq 0"
    );
    assert_eq!(discarded.sender_id.as_str(), "alice");
    assert_eq!(discarded.idempotency_key, "k-drop");
    assert_eq!(
        discarded.content,
        MessageContent::Text {
            text: "drop".into()
        }
    );
    let replaced = send(&mut alice, &id, &ch, "k-swap", "swap").await;
    assert_eq!(replaced.seq, 2);
    let removed = MessageContent::Text {
        text: "[removed]".into(),
    };
    assert_eq!(replaced.content, removed);

    // Bob got the allowed and the replaced message, nothing in between.
    let first = bob.next_message().await;
    let second = bob.next_message().await;
    assert_eq!((first.seq, second.seq), (1, 2));
    assert_eq!(second.content, removed);
    let history = all_messages(&mut bob, &id, &ch).await;
    assert_eq!(history.len(), 2);

    let checks = receiver.requests_to("/check");
    assert_eq!(checks.len(), 4);
    assert!(checks.iter().all(|r| r.signed));
    let ask = &checks[0].body;
    assert_eq!(ask["type"], "before_send");
    assert_eq!(ask["community_id"], id.as_str());
    assert_eq!(ask["channel_id"], ch.as_str());
    assert_eq!(ask["sender_id"], "alice");
    assert_eq!(ask["idempotency_key"], "k-ok");
    assert_eq!(ask["content"], json!({"type": "text", "text": "ok"}));

    // A resend of a stored message is not asked about again.
    let again = send(&mut alice, &id, &ch, "k-ok", "ok").await;
    assert_eq!(again.seq, 1);
    assert_eq!(receiver.requests_to("/check").len(), 4);
}

async fn silent_check(default: BeforeSendDefault) -> (TestServer, HookReceiver) {
    let receiver = HookReceiver::start(SECRET).await;
    receiver.respond(|_| HookAnswer::ok(json!({"action": "reject"})).after(WAIT));
    let server = TestServer::start_with(|c| {
        hooks(c, &receiver);
        c.webhooks.before_send_timeout = Duration::from_millis(200);
        c.webhooks.before_send_default = default;
    })
    .await;
    (server, receiver)
}

#[tokio::test]
async fn a_silent_check_gets_the_default_allow() {
    let (server, _receiver) = silent_check(BeforeSendDefault::Allow).await;
    let mut alice = server.login("alice").await;
    let mut bob = server.login("bob").await;
    let (id, ch) = guild(&mut alice, &mut bob).await;
    let sent = send(&mut alice, &id, &ch, "k1", "hello").await;
    assert_eq!(sent.seq, 1);
    assert_eq!(bob.next_message().await.seq, 1);
}

#[tokio::test]
async fn a_silent_or_failing_check_gets_the_default_reject() {
    let (server, receiver) = silent_check(BeforeSendDefault::Reject).await;
    let mut alice = server.login("alice").await;
    let mut bob = server.login("bob").await;
    let (id, ch) = guild(&mut alice, &mut bob).await;
    alice
        .fails(
            send_text(id.as_str(), ch.as_str(), "k1", "hello"),
            ErrorCode::MESSAGE_REJECTED,
        )
        .await;
    // A failure status and an answer that says nothing known count as no answer.
    receiver.respond(|request| match text_of(request) {
        "down" => HookAnswer::status(StatusCode::SERVICE_UNAVAILABLE),
        _ => HookAnswer::ok(json!({"action": "maybe"})),
    });
    for (key, text) in [("k2", "down"), ("k3", "odd")] {
        alice
            .fails(
                send_text(id.as_str(), ch.as_str(), key, text),
                ErrorCode::MESSAGE_REJECTED,
            )
            .await;
    }
    assert!(all_messages(&mut bob, &id, &ch).await.is_empty());
}

#[tokio::test]
async fn conversation_messages_are_checked_and_reported() {
    let receiver = HookReceiver::start(SECRET).await;
    receiver.respond(|request| match (request.path.as_str(), text_of(request)) {
        ("/check", "bad") => HookAnswer::ok(json!({"action": "reject", "reason": "no"})),
        ("/check", _) => HookAnswer::ok(json!({"action": "allow"})),
        _ => HookAnswer::ok(json!({})),
    });
    let server = TestServer::start_with(|c| {
        hooks(c, &receiver);
        events(c, &receiver, &[20]);
    })
    .await;
    let mut alice = server.login("alice").await;
    let mut bob = server.login("bob").await;
    guild(&mut alice, &mut bob).await;
    let direct = match alice
        .ok(Request::CreateConversation(
            community_protocol::request::CreateConversation {
                user_ids: vec!["bob".into()],
                name: String::new(),
                group: false,
            },
        ))
        .await
    {
        Response::Conversation(entry) => entry.conversation.conversation_id,
        other => panic!("unexpected {other:?}"),
    };
    let me = CommunityId::direct();
    alice
        .fails(
            send_text(me.as_str(), direct.as_str(), "k1", "bad"),
            ErrorCode::MESSAGE_REJECTED,
        )
        .await;
    let sent = send(&mut alice, &me, &direct, "k2", "hi").await;
    assert_eq!(sent.seq, 1);
    let seen = receiver
        .wait_until("the conversation's message", |seen| {
            of(seen, &me).iter().any(|r| text_of(r) == "hi")
        })
        .await;
    let check = &receiver.requests_to("/check")[0].body;
    assert_eq!(check["community_id"], "@me");
    assert_eq!(check["channel_id"], direct.as_str());
    let reported = of(&seen, &me);
    assert_eq!(kinds(&reported), ["message_sent:hi"]);
    assert_eq!(reported[0].body["channel_id"], direct.as_str());
}

#[tokio::test]
async fn a_slow_check_holds_up_no_other_channel() {
    let receiver = HookReceiver::start(SECRET).await;
    receiver.respond(|request| {
        let answer = HookAnswer::ok(json!({"action": "allow"}));
        if text_of(request) == "slow" {
            answer.after(Duration::from_secs(2))
        } else {
            answer
        }
    });
    let server = TestServer::start_with(|c| {
        hooks(c, &receiver);
        c.webhooks.before_send_timeout = WAIT;
    })
    .await;
    let mut alice = server.login("alice").await;
    let mut bob = server.login("bob").await;
    let (id, general) = guild(&mut alice, &mut bob).await;
    let other = match alice
        .ok(Request::CreateChannel(CreateChannel {
            community_id: id.clone(),
            name: "other".into(),
            ..Default::default()
        }))
        .await
    {
        Response::Channel(channel) => channel.channel_id,
        other => panic!("unexpected {other:?}"),
    };
    let mut carol = server.login("carol").await;
    carol.ok(join(id.as_str())).await;

    let slow = alice
        .send_request(send_text(id.as_str(), general.as_str(), "k-slow", "slow"))
        .await;
    receiver
        .wait_until("the slow message is being checked", |seen| {
            seen.iter().any(|r| text_of(r) == "slow")
        })
        .await;
    // Carol's message in the other channel is checked, stored and delivered while
    // alice's still waits for its check.
    let quick = send(&mut carol, &id, &other, "k-quick", "quick").await;
    assert_eq!(quick.seq, 1);
    let first = bob.next_message().await;
    assert_eq!(first.channel_id, other, "the quick message comes first");
    let Ok(Response::MessageSent(slow)) = alice.response(slow).await else {
        panic!("the slow message is stored once checked");
    };
    assert_eq!(bob.next_message().await.seq, slow.seq);
}

/// The events to `/events` whose community is `community` (or that created it).
fn of(requests: &[HookRequest], community: &CommunityId) -> Vec<HookRequest> {
    requests
        .iter()
        .filter(|r| r.path == "/events" && r.body["community_id"] == community.as_str())
        .cloned()
        .collect()
}

fn kinds(requests: &[HookRequest]) -> Vec<String> {
    requests
        .iter()
        .map(|r| {
            let kind = r.body["type"].as_str().unwrap_or("?");
            match text_of(r) {
                "" => kind.to_owned(),
                text => format!("{kind}:{text}"),
            }
        })
        .collect()
}

#[tokio::test]
async fn events_arrive_in_order_and_a_failed_one_is_retried_before_the_next() {
    let receiver = HookReceiver::start(SECRET).await;
    let failures = Arc::new(AtomicUsize::new(0));
    receiver.respond({
        let failures = Arc::clone(&failures);
        move |request| {
            if text_of(request) == "first" && failures.fetch_add(1, Ordering::SeqCst) < 2 {
                HookAnswer::status(StatusCode::SERVICE_UNAVAILABLE)
            } else {
                HookAnswer::ok(json!({}))
            }
        }
    });
    let server = TestServer::start_with(|c| events(c, &receiver, &[20, 20, 20])).await;
    let mut alice = server.login("alice").await;
    let mut bob = server.login("bob").await;
    let (id, ch) = guild(&mut alice, &mut bob).await;
    for (key, text) in [("k1", "first"), ("k2", "second"), ("k3", "third")] {
        send(&mut alice, &id, &ch, key, text).await;
    }
    alice
        .ok(Request::EditMessage(EditMessage {
            community_id: id.clone(),
            channel_id: ch.clone(),
            seq: 2,
            idempotency_key: "e1".into(),
            content: Some(MessageContent::Text {
                text: "second!".into(),
            }),
            mentions: None,
            custom_data: None,
        }))
        .await;
    alice
        .ok(Request::RecallMessage(MessageRef {
            community_id: id.clone(),
            channel_id: ch.clone(),
            seq: 3,
        }))
        .await;
    bob.ok(Request::LeaveCommunity(community_ref(id.as_str())))
        .await;
    let seen = receiver
        .wait_until("every event", |seen| {
            of(seen, &id)
                .iter()
                .any(|r| r.body["type"] == "member_left")
        })
        .await;
    let seen = of(&seen, &id);
    assert!(seen.iter().all(|r| r.signed));
    assert_eq!(
        kinds(&seen),
        [
            "community_created",
            "member_joined",
            "message_sent:first",
            "message_sent:first",
            "message_sent:first",
            "message_sent:second",
            "message_sent:third",
            "message_edited:second!",
            "message_recalled",
            "member_left",
        ]
    );
    let ids: Vec<&str> = seen[2..5]
        .iter()
        .map(|r| r.body["event_id"].as_str().unwrap())
        .collect();
    assert!(
        ids.iter().all(|i| *i == ids[0]),
        "a retry keeps its event id"
    );
    for request in &seen {
        assert_eq!(
            request.header("x-community-event-id"),
            request.body["event_id"].as_str()
        );
        assert!(request.body["at_ms"].as_i64().unwrap() > 0);
    }
    assert_eq!(seen[1].body["user_id"], "bob");
    assert_eq!(seen[6].body["message"]["seq"], 3);
}

#[tokio::test]
async fn a_dead_letter_holds_up_only_its_community_until_given_up() {
    let receiver = HookReceiver::start(SECRET).await;
    receiver.respond(|request| {
        if text_of(request) == "doomed" {
            HookAnswer::status(StatusCode::INTERNAL_SERVER_ERROR)
        } else {
            HookAnswer::ok(json!({}))
        }
    });
    let server = TestServer::start_with(|c| events(c, &receiver, &[300, 300])).await;
    let mut alice = server.login("alice").await;
    let mut bob = server.login("bob").await;
    let (a, a_ch) = guild(&mut alice, &mut bob).await;
    let (b, b_ch) = guild(&mut alice, &mut bob).await;
    send(&mut alice, &a, &a_ch, "k1", "doomed").await;
    send(&mut alice, &a, &a_ch, "k2", "after").await;
    send(&mut alice, &b, &b_ch, "k3", "elsewhere").await;
    let seen = receiver
        .wait_until("the event after the dead letter", |seen| {
            kinds(&of(seen, &a)).contains(&"message_sent:after".to_owned())
        })
        .await;
    assert_eq!(
        kinds(&of(&seen, &a))[2..],
        [
            "message_sent:doomed",
            "message_sent:doomed",
            "message_sent:doomed",
            "message_sent:after"
        ]
    );
    let position = |text: &str| seen.iter().position(|r| text_of(r) == text).unwrap();
    assert!(
        position("elsewhere") < position("after"),
        "another community's events go on meanwhile"
    );
    let queue = EventQueue::open(server.dir.path()).unwrap();
    let dead = queue.dead_letters().unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].attempts, 3);
    assert_eq!(dead[0].event.kind, "message_sent");
    let body: Value = serde_json::from_str(&dead[0].event.body).unwrap();
    assert_eq!(body["message"]["content"]["text"], "doomed");
}

#[tokio::test]
async fn waiting_events_are_sent_after_a_restart() {
    waiting_events_survive(false).await;
}

#[tokio::test]
async fn waiting_events_are_sent_after_a_kill() {
    waiting_events_survive(true).await;
}

/// Events wait while the backend fails; the server stops (`kill`: abruptly) and starts
/// again on the same data; they arrive, in order.
async fn waiting_events_survive(kill: bool) {
    let receiver = HookReceiver::start(SECRET).await;
    receiver.respond(|_| HookAnswer::status(StatusCode::SERVICE_UNAVAILABLE));
    // One attempt now, the next one long after the test.
    let mut server = TestServer::start_with(|c| events(c, &receiver, &[600_000])).await;
    let mut alice = server.login("alice").await;
    let mut bob = server.login("bob").await;
    let (id, ch) = guild(&mut alice, &mut bob).await;
    send(&mut alice, &id, &ch, "k1", "one").await;
    send(&mut alice, &id, &ch, "k2", "two").await;
    receiver
        .wait_until("a first attempt", |seen| !of(seen, &id).is_empty())
        .await;
    alice.close().await;
    bob.close().await;
    // The backend is back; the stopped server's next attempt would have come much later.
    receiver.respond(|_| HookAnswer::ok(json!({})));
    if kill {
        server.server.take().unwrap().kill().await;
        server.start_again().await;
    } else {
        server.restart().await;
    }
    let seen = receiver
        .wait_until("the events after the restart", |seen| {
            kinds(&of(seen, &id)).contains(&"message_sent:two".to_owned())
        })
        .await;
    let delivered: Vec<String> = kinds(&of(&seen, &id)).into_iter().skip(1).collect();
    assert_eq!(
        delivered,
        [
            "community_created",
            "member_joined",
            "message_sent:one",
            "message_sent:two"
        ]
    );
    let queue = EventQueue::open(server.dir.path()).unwrap();
    // Acknowledged events leave the queue (the last one just after its answer).
    for _ in 0..100 {
        if queue.pending().unwrap() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(queue.pending().unwrap(), 0);
}

#[tokio::test]
async fn thread_messages_are_checked_replaced_and_reported() {
    let receiver = HookReceiver::start(SECRET).await;
    receiver.respond(|request| match request.path.as_str() {
        "/check" => HookAnswer::ok(
            json!({"action": "replace", "content": {"type": "text", "text": "clean"}}),
        ),
        _ => HookAnswer::ok(json!({})),
    });
    let server = TestServer::start_with(|c| {
        hooks(c, &receiver);
        events(c, &receiver, &[20]);
    })
    .await;
    let mut alice = server.login("alice").await;
    let mut bob = server.login("bob").await;
    let (id, ch) = guild(&mut alice, &mut bob).await;
    let thread = match alice
        .ok(Request::CreateThread(
            community_protocol::request::CreateThread {
                community_id: id.clone(),
                channel_id: ch.clone(),
                name: "plans".into(),
                parent_seq: None,
                auto_archive_ms: None,
            },
        ))
        .await
    {
        Response::Thread(thread) => thread.thread_id,
        other => panic!("unexpected {other:?}"),
    };
    let sent = send(&mut alice, &id, &thread, "k1", "dirty").await;
    assert_eq!(
        sent.content,
        MessageContent::Text {
            text: "clean".into()
        }
    );
    let seen = receiver
        .wait_until("the thread's message", |seen| {
            of(seen, &id).iter().any(|r| text_of(r) == "clean")
        })
        .await;
    let check = &receiver.requests_to("/check")[0].body;
    assert_eq!(check["channel_id"], thread.as_str());
    assert_eq!(check["content"]["text"], "dirty");
    let reported: Vec<_> = of(&seen, &id)
        .into_iter()
        .filter(|r| r.body["type"] == "message_sent")
        .collect();
    assert_eq!(kinds(&reported), ["message_sent:clean"]);
    assert_eq!(reported[0].body["channel_id"], thread.as_str());
}
