//! Nodes linked through NATS (`--nats`, `docs/MULTINODE-NATS.md`): a local commit is
//! published once; a commit published by another node reaches the local sessions; while
//! NATS is down writes are refused with a typed error and `/healthz` says so, and the
//! node recovers on its own. Each test starts its own `nats-server` on 127.0.0.1 and
//! skips when the binary is missing.

mod common;

use std::time::Duration;

use common::nats::{NatsServer, Peer};
use common::*;
use community_protocol::{ErrorCode, Event, PresenceStatus, Request, request};
use serde_json::Value;

/// A server linked to `nats`, once its link is up.
async fn node(nats: &NatsServer) -> TestServer {
    let url = nats.url();
    let server = TestServer::start_with(|config| config.nats = Some(url)).await;
    assert!(server.server().wait_cluster(true, WAIT).await, "link up");
    server
}

/// The counter lines of a node's `/healthz` before anything was dropped or reordered.
const COUNTERS: &str = "nats_dropped: 0\nreorder_held: 0\nreorder_gaps: 0\nreorder_late: 0\n";

/// `GET /healthz` of `server`: status and body.
async fn healthz(server: &TestServer) -> (u16, String) {
    common::http::healthz(server.server().local_addr()).await
}

/// The commits on the peer that carry a `message_created`, read until none comes for
/// `quiet`.
async fn message_commits(peer: &mut Peer, quiet: Duration) -> Vec<Value> {
    let mut found = Vec::new();
    while let Some(msg) = peer.next_within(quiet).await {
        let commit: Value = serde_json::from_slice(&msg.payload).expect("a JSON commit");
        let has_message = commit["deliveries"]
            .as_array()
            .is_some_and(|d| d.iter().any(|d| d["event"]["kind"] == "message_created"));
        if has_message {
            found.push(commit);
        }
    }
    found
}

/// Replaces every string equal to `from` by `to`, and bumps every `seq` by `by`.
fn rewrite(value: &mut Value, from: &str, to: &str, by: u64) {
    match value {
        Value::String(text) if text == from => *text = to.to_owned(),
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite(v, from, to, by)),
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match (key.as_str(), v.as_u64()) {
                    ("seq", Some(seq)) => *v = Value::from(seq + by),
                    _ => rewrite(v, from, to, by),
                }
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn a_commit_is_published_once_and_a_remote_commit_reaches_local_sessions() {
    let Some(nats) = NatsServer::start().await else {
        return;
    };
    let server = node(&nats).await;
    let mut peer = Peer::connect(&nats, &["community.*.events", "cluster.global"]).await;
    let mut alice = server.login("alice").await;
    let guild = create_community(&mut alice, "Guild").await;
    let channel = guild.info.default_channel_id.clone();
    let sent = send(
        &mut alice,
        &guild.info.community_id,
        &channel,
        "k1",
        "hello",
    )
    .await;

    let commits = message_commits(&mut peer, Duration::from_millis(500)).await;
    assert_eq!(commits.len(), 1, "published once: {commits:?}");
    let mut commit = commits[0].clone();
    assert_eq!(commit["community"], guild.info.community_id.as_str());
    let subject = format!("community.{}.events", guild.info.community_id.as_str());

    // The same commit as another node would publish it: the next message of the channel.
    commit["node"] = Value::from("another-node");
    rewrite(&mut commit, "hello", "from another node", 1);
    let payload = serde_json::to_vec(&commit).expect("encode");
    peer.publish(&subject, &payload).await;
    // Every message event up to the remote one: the local message once (its echo from
    // NATS is ignored, it carries this node's id), then the remote one.
    let mut seqs = Vec::new();
    let message = loop {
        if let (_, Event::MessageCreated { message }) = alice.next_event().await {
            seqs.push(message.seq);
            if message.seq == sent.seq + 1 {
                break message;
            }
        }
    };
    assert_eq!(seqs, vec![sent.seq, sent.seq + 1]);
    assert_eq!(message.channel_id, channel);
    assert_eq!(message.sender_id, sent.sender_id);
}

#[tokio::test]
async fn without_nats_writes_are_refused_and_the_node_recovers() {
    let Some(mut nats) = NatsServer::start().await else {
        return;
    };
    let server = node(&nats).await;
    assert_eq!(
        healthz(&server).await,
        (200, format!("ok\nnats: up\n{COUNTERS}"))
    );
    let mut alice = server.login("alice").await;
    let guild = create_community(&mut alice, "Guild").await;
    let (community, channel) = (guild.info.community_id, guild.info.default_channel_id);
    send(&mut alice, &community, &channel, "k1", "before").await;

    nats.stop();
    assert!(server.server().wait_cluster(false, WAIT).await, "link down");
    let (status, body) = healthz(&server).await;
    assert_eq!(status, 503);
    assert!(body.starts_with("nats: down\nnats_dropped: "), "{body}");
    let refused = alice
        .fails(
            send_text(community.as_str(), channel.as_str(), "k2", "during"),
            ErrorCode::CLUSTER_UNAVAILABLE,
        )
        .await;
    assert!(
        refused.message.contains("other server nodes"),
        "{refused:?}"
    );
    // Reads still work.
    alice
        .ok(history_after(community.as_str(), channel.as_str(), 0, None))
        .await;

    nats.restart().await;
    assert!(server.server().wait_cluster(true, WAIT).await, "link back");
    assert_eq!(healthz(&server).await.0, 200);
    let mut peer = Peer::connect(&nats, &["community.*.events"]).await;
    send(&mut alice, &community, &channel, "k3", "after").await;
    let commits = message_commits(&mut peer, Duration::from_millis(500)).await;
    assert_eq!(commits.len(), 1, "published after recovery");
}

#[tokio::test]
async fn without_the_flag_healthz_is_unchanged() {
    let server = TestServer::start().await;
    assert_eq!(server.server().cluster_up(), None);
    assert_eq!(healthz(&server).await, (200, "ok\n".to_owned()));
}

#[tokio::test]
async fn two_nodes_over_one_data_directory_deliver_each_others_commits() {
    let Some(nats) = NatsServer::start().await else {
        return;
    };
    let a = node(&nats).await;
    let mut config = a.config.clone();
    config.listen = "127.0.0.1:0".parse().expect("addr");
    let b = match community_server::RunningServer::start(config).await {
        Ok(b) => b,
        Err(error) => panic!("a second node over the same data directory: {error}"),
    };
    assert!(b.wait_cluster(true, WAIT).await, "second link up");

    let mut alice = a.login("alice").await;
    let guild = create_community(&mut alice, "Guild").await;
    let (community, channel) = (guild.info.community_id, guild.info.default_channel_id);
    let mut bob = Client::connect(&b.ws_url()).await;
    bob.hello().await;
    let token = b.issue_token("bob", HOUR).expect("token");
    bob.login_ok("bob", &token, "", None).await;
    bob.ok(join(community.as_str())).await;
    // Alice (node A) learns of Bob's join, committed on node B.
    alice
        .event_where(|event| matches!(event, Event::MemberJoined { member, .. } if member.user_id.as_str() == "bob"))
        .await;
    // Bob (node B) gets Alice's messages, committed on node A, in seq order.
    let mut sent = Vec::new();
    for i in 0..5 {
        sent.push(
            send(&mut alice, &community, &channel, &format!("k{i}"), "hi")
                .await
                .seq,
        );
    }
    let mut seen = Vec::new();
    while seen.len() < sent.len() {
        if let Event::MessageCreated { message } = bob
            .event_where(|e| matches!(e, Event::MessageCreated { .. }))
            .await
        {
            seen.push(message.seq);
        }
    }
    assert_eq!(seen, sent);
    // Bob types on node B; Alice sees it on node A.
    bob.ok(community_protocol::Request::Typing(
        community_protocol::request::ChannelRef {
            community_id: community.clone(),
            channel_id: channel.clone(),
        },
    ))
    .await;
    alice
        .event_where(|e| matches!(e, Event::Typing { user_ids, .. } if user_ids.iter().any(|u| u.as_str() == "bob")))
        .await;
    // And Alice gets Bob's, committed on node B.
    let from_bob = send(&mut bob, &community, &channel, "b1", "hello").await;
    assert!(
        from_bob.seq > *sent.last().unwrap_or(&0),
        "the database orders seq"
    );
    alice
        .event_where(
            |e| matches!(e, Event::MessageCreated { message } if message.seq == from_bob.seq),
        )
        .await;
    b.shutdown().await;
}

#[tokio::test]
async fn concurrent_writers_on_two_nodes_deliver_in_seq_order_each_once() {
    let Some(nats) = NatsServer::start().await else {
        return;
    };
    // A long reorder window: the order asserted must not depend on this machine's load.
    let url = nats.url();
    let a = TestServer::start_with(|config| {
        config.nats = Some(url);
        config.cluster_reorder_window = Duration::from_secs(5);
    })
    .await;
    assert!(a.server().wait_cluster(true, WAIT).await, "link up");
    let mut config = a.config.clone();
    config.listen = "127.0.0.1:0".parse().expect("addr");
    let b = community_server::RunningServer::start(config)
        .await
        .expect("second node");
    assert!(b.wait_cluster(true, WAIT).await, "second link up");
    let mut alice = a.login("alice").await;
    let guild = create_community(&mut alice, "Guild").await;
    let (community, channel) = (guild.info.community_id, guild.info.default_channel_id);
    let mut bob = Client::connect(&b.ws_url()).await;
    bob.hello().await;
    let token = b.issue_token("bob", HOUR).expect("token");
    bob.login_ok("bob", &token, "", None).await;
    bob.ok(join(community.as_str())).await;
    // One message seen by both nodes first: each node's starting point in the channel.
    let first = send(&mut alice, &community, &channel, "w", "first")
        .await
        .seq;
    bob.event_where(|e| matches!(e, Event::MessageCreated { message } if message.seq == first))
        .await;

    const EACH: usize = 10;
    let (c1, ch1) = (community.clone(), channel.clone());
    let (c2, ch2) = (community.clone(), channel.clone());
    let (mut alice, mut bob) = tokio::join!(
        async move {
            for i in 0..EACH {
                send(&mut alice, &c1, &ch1, &format!("a{i}"), "a").await;
            }
            alice
        },
        async move {
            for i in 0..EACH {
                send(&mut bob, &c2, &ch2, &format!("b{i}"), "b").await;
            }
            bob
        }
    );
    // Every receiver gets all 2 × EACH messages (live, through either node), each once,
    // in seq order.
    for client in [&mut alice, &mut bob] {
        let mut seqs = Vec::new();
        while seqs.len() < 2 * EACH {
            if let Event::MessageCreated { message } = client
                .event_where(|e| matches!(e, Event::MessageCreated { message } if message.channel_id == channel && message.seq > first))
                .await
            {
                seqs.push(message.seq);
            }
        }
        let expected: Vec<u64> = (first + 1..=first + 2 * EACH as u64).collect();
        assert_eq!(seqs, expected, "every message once, in seq order");
    }
    b.shutdown().await;
}

/// A fresh login of `user` on `server` (another node than the test server's).
async fn login_on(server: &community_server::RunningServer, user: &str) -> Client {
    let mut client = Client::connect(&server.ws_url()).await;
    client.hello().await;
    let token = server.issue_token(user, HOUR).expect("token");
    client.login_ok(user, &token, "", None).await;
    client
}

/// The next `presence_changed` of `user`'s status.
async fn presence_of(client: &mut Client, user: &str) -> PresenceStatus {
    match client
        .event_where(|e| matches!(e, Event::PresenceChanged { presence } if presence.user_id.as_str() == user))
        .await
    {
        Event::PresenceChanged { presence } => presence.status,
        other => panic!("not a presence: {other:?}"),
    }
}

fn set_presence(status: PresenceStatus) -> Request {
    Request::SetPresence(request::SetPresence {
        status,
        text: String::new(),
    })
}

/// Two nodes with a short presence grace and heartbeat.
async fn quick_pair(nats: &NatsServer) -> (TestServer, community_server::RunningServer) {
    let url = nats.url();
    let a = TestServer::start_with(|config| {
        config.nats = Some(url);
        config.presence_grace = Duration::from_millis(200);
        config.cluster_heartbeat_interval = Duration::from_millis(200);
    })
    .await;
    assert!(a.server().wait_cluster(true, WAIT).await, "link up");
    let mut config = a.config.clone();
    config.listen = "127.0.0.1:0".parse().expect("addr");
    let b = community_server::RunningServer::start(config)
        .await
        .expect("second node");
    assert!(b.wait_cluster(true, WAIT).await, "second link up");
    (a, b)
}

#[tokio::test]
async fn presence_crosses_nodes_until_the_last_session_anywhere_ends() {
    let Some(nats) = NatsServer::start().await else {
        return;
    };
    let (a, b) = quick_pair(&nats).await;
    let mut looks = Peer::connect(&nats, &["cluster.presence"]).await;
    let mut dora = a.login("dora").await;
    let guild = create_community(&mut dora, "Guild").await;
    let (community, channel) = (guild.info.community_id, guild.info.default_channel_id);
    let mut bob = login_on(&b, "bob").await;
    bob.ok(join(community.as_str())).await;
    // Dora (on A, who made the community after logging in) counts online for Bob (on B),
    // viewing it: her look crossed with her communities.
    let view = Request::ViewCommunity(request::ViewCommunity {
        community_id: Some(community.clone()),
    });
    let community_protocol::Response::Viewing(viewing) = bob.ok(view).await else {
        panic!("not a viewing answer");
    };
    if viewing.online_count < 2 {
        bob.event_where(|e| matches!(e, Event::OnlineCount { online: 2, .. }))
            .await;
    }
    let subscribe = Request::SubscribePresence(request::UserIds {
        user_ids: vec!["alice".into()],
    });
    bob.ok(subscribe).await;

    // Alice comes online on A: Bob (on B) sees it, and her status.
    let mut alice = a.login("alice").await;
    assert_eq!(presence_of(&mut bob, "alice").await, PresenceStatus::Online);
    alice.ok(set_presence(PresenceStatus::DoNotDisturb)).await;
    assert_eq!(
        presence_of(&mut bob, "alice").await,
        PresenceStatus::DoNotDisturb
    );
    // A second session on B: the most online of the two nodes shows.
    let alice_b = login_on(&b, "alice").await;
    assert_eq!(presence_of(&mut bob, "alice").await, PresenceStatus::Online);

    // Her session on A ends: once A told the others (seen on the wire), and a later
    // message of A reached Bob (A's publications arrive in order), she is still online.
    alice.close().await;
    loop {
        let msg = looks.next_msg().await;
        let presence: Value = serde_json::from_slice(&msg.payload).expect("JSON");
        let gone = presence["looks"].as_array().is_some_and(|looks| {
            looks
                .iter()
                .any(|l| l["user_id"] == "alice" && l["connected"] == false)
        });
        if gone {
            break;
        }
    }
    let fence = send(&mut dora, &community, &channel, "f", "fence")
        .await
        .seq;
    loop {
        match bob.next_event().await.1 {
            Event::PresenceChanged { presence } if presence.user_id.as_str() == "alice" => {
                panic!("alice is still online on B: {presence:?}")
            }
            Event::MessageCreated { message } if message.seq == fence => break,
            _ => {}
        }
    }
    // Her last session anywhere ends: offline after the grace.
    alice_b.close().await;
    assert_eq!(
        presence_of(&mut bob, "alice").await,
        PresenceStatus::Offline
    );
    b.shutdown().await;
}

#[tokio::test]
async fn a_silent_node_takes_its_users_offline() {
    let Some(nats) = NatsServer::start().await else {
        return;
    };
    let (_a, b) = quick_pair(&nats).await;
    let mut bob = login_on(&b, "bob").await;
    let subscribe = Request::SubscribePresence(request::UserIds {
        user_ids: vec!["carol".into()],
    });
    bob.ok(subscribe).await;
    // A node that says Carol is online there, beats once, then falls silent.
    let mut ghost = Peer::connect(&nats, &[]).await;
    let look = serde_json::json!({
        "node": "ghost",
        "looks": [{"user_id": "carol", "connected": true, "status": "online", "communities": []}],
    });
    ghost
        .publish(
            "cluster.presence",
            &serde_json::to_vec(&look).expect("encode"),
        )
        .await;
    ghost.publish("cluster.nodes", br#"{"node":"ghost"}"#).await;
    assert_eq!(presence_of(&mut bob, "carol").await, PresenceStatus::Online);
    assert_eq!(
        presence_of(&mut bob, "carol").await,
        PresenceStatus::Offline
    );
    b.shutdown().await;
}

#[tokio::test]
async fn a_user_online_on_another_node_gets_no_push() {
    use common::hooks::HookReceiver;
    let Some(nats) = NatsServer::start().await else {
        return;
    };
    let receiver = HookReceiver::start("push-secret").await;
    let push_url = community_server::webhooks::HookUrl::parse(&receiver.url("/push")).expect("url");
    let url = nats.url();
    let a = TestServer::start_with(|config| {
        config.nats = Some(url);
        config.webhooks.push_url = Some(push_url);
        config.webhooks.secret = Some("push-secret".into());
    })
    .await;
    assert!(a.server().wait_cluster(true, WAIT).await, "link up");
    let mut config = a.config.clone();
    config.listen = "127.0.0.1:0".parse().expect("addr");
    let b = community_server::RunningServer::start(config)
        .await
        .expect("second node");
    assert!(b.wait_cluster(true, WAIT).await, "second link up");
    let register = |user: &str| {
        Request::RegisterPushToken(community_protocol::push::RegisterPushToken {
            platform: community_protocol::push::PushPlatform::Apns,
            token: format!("apns-{user}"),
        })
    };
    let mut alice = a.login("alice").await;
    let guild = create_community(&mut alice, "Guild").await;
    let (community, channel) = (guild.info.community_id, guild.info.default_channel_id);
    // Carol: a member with a token, logged out (offline everywhere).
    let mut carol = a.login("carol").await;
    carol.ok(join(community.as_str())).await;
    carol.ok(register("carol")).await;
    carol.ok(Request::Logout(request::Empty {})).await;
    // Bob: a member with a token, online on node B only; node A knows it.
    let mut bob = login_on(&b, "bob").await;
    bob.ok(join(community.as_str())).await;
    bob.ok(register("bob")).await;
    let online = presence_now_or_next(&mut alice, "bob").await;
    assert_eq!(online, PresenceStatus::Online);

    let first = send(&mut alice, &community, &channel, "m1", "one")
        .await
        .seq;
    let second = send(&mut alice, &community, &channel, "m2", "two")
        .await
        .seq;
    // Pushes are handed over message after message: once Carol's push of the second
    // arrived, every push of the first was handed over.
    let pushed = |user: &str, seq: u64, requests: &[common::hooks::HookRequest]| {
        requests
            .iter()
            .any(|r| r.body["user_id"] == user && r.body["seq"] == seq)
    };
    let requests = receiver
        .wait_until("Carol's pushes", |r| pushed("carol", second, r))
        .await;
    assert!(
        pushed("carol", first, &requests),
        "Carol is offline everywhere"
    );
    assert!(
        !pushed("bob", first, &requests) && !pushed("bob", second, &requests),
        "Bob is online on node B"
    );
    b.shutdown().await;
}

/// `user`'s status: the last `presence_changed` if one came with the subscription's
/// answer already (Online), else the next one.
async fn presence_now_or_next(client: &mut Client, user: &str) -> PresenceStatus {
    let now = client
        .ok(Request::SubscribePresence(request::UserIds {
            user_ids: vec![user.into()],
        }))
        .await;
    match now {
        community_protocol::Response::Presences(list)
            if list
                .presences
                .iter()
                .any(|p| p.status == PresenceStatus::Online) =>
        {
            PresenceStatus::Online
        }
        _ => presence_of(client, user).await,
    }
}

#[tokio::test]
async fn voice_seats_cross_nodes_and_go_with_their_node() {
    let Some(nats) = NatsServer::start().await else {
        return;
    };
    let (a, b) = quick_pair(&nats).await;
    let mut dora = a.login("dora").await;
    let guild = create_community(&mut dora, "Guild").await;
    let community = guild.info.community_id;
    let create = Request::CreateChannel(request::CreateChannel {
        community_id: community.clone(),
        name: "lounge".into(),
        kind: community_protocol::ChannelKind::Voice,
        ..Default::default()
    });
    let community_protocol::Response::Channel(lounge) = dora.ok(create).await else {
        panic!("no voice channel");
    };
    let lounge = lounge.channel_id;
    let at = request::ChannelRef {
        community_id: community.clone(),
        channel_id: lounge.clone(),
    };
    let mut bob = login_on(&b, "bob").await;
    bob.ok(join(community.as_str())).await;
    let mut alice = a.login("alice").await;
    alice.ok(join(community.as_str())).await;
    let joined = |user: &'static str| move |e: &Event| matches!(e, Event::VoiceJoined { participant } if participant.user_id.as_str() == user);
    let left = |user: &'static str| move |e: &Event| matches!(e, Event::VoiceLeft { user_id, .. } if user_id.as_str() == user);
    let seated = |list: community_protocol::Response| match list {
        community_protocol::Response::Voice(list) => list
            .participants
            .iter()
            .map(|p| p.user_id.as_str().to_owned())
            .collect::<Vec<_>>(),
        other => panic!("not a voice list: {other:?}"),
    };

    // Alice sits down on A: Bob (B) sees it and lists her; Bob sits down on B: Dora (A)
    // sees it and lists both, in join order.
    alice.ok(Request::JoinVoice(at.clone())).await;
    bob.event_where(joined("alice")).await;
    assert_eq!(
        seated(bob.ok(Request::ListVoice(at.clone())).await),
        ["alice"]
    );
    bob.ok(Request::JoinVoice(at.clone())).await;
    dora.event_where(joined("bob")).await;
    assert_eq!(
        seated(dora.ok(Request::ListVoice(at.clone())).await),
        ["alice", "bob"]
    );
    // Alice goes offline on A: her seat goes on B too.
    alice.close().await;
    bob.event_where(left("alice")).await;
    assert_eq!(
        seated(bob.ok(Request::ListVoice(at.clone())).await),
        ["bob"]
    );
    // Bob leaves on B: Dora sees it.
    bob.ok(Request::LeaveVoice(request::Empty {})).await;
    dora.event_where(left("bob")).await;

    // A node seats Carol, beats once, falls silent: her seat goes.
    let mut ghost = Peer::connect(&nats, &[]).await;
    let seat = serde_json::json!({
        "node": "ghost",
        "ops": [{
            "op": "joined",
            "participant": {
                "community_id": community.as_str(),
                "channel_id": lounge.as_str(),
                "user_id": "carol",
                "joined_at_ms": 1,
            },
            "audience": {"kind": "community", "community_id": community.as_str()},
        }],
    });
    ghost
        .publish("cluster.voice", &serde_json::to_vec(&seat).expect("encode"))
        .await;
    ghost.publish("cluster.nodes", br#"{"node":"ghost"}"#).await;
    bob.event_where(joined("carol")).await;
    bob.event_where(left("carol")).await;
    assert!(seated(bob.ok(Request::ListVoice(at)).await).is_empty());
    b.shutdown().await;
}

#[tokio::test]
async fn a_member_online_on_another_node_who_joins_counts_online() {
    let Some(nats) = NatsServer::start().await else {
        return;
    };
    let (a, b) = quick_pair(&nats).await;
    let mut dora = a.login("dora").await;
    let mut bob = login_on(&b, "bob").await;
    // B knows Dora (on A) is online.
    assert_eq!(
        presence_now_or_next(&mut bob, "dora").await,
        PresenceStatus::Online
    );
    let guild = create_community(&mut bob, "Guild").await;
    let community = guild.info.community_id;
    let view = Request::ViewCommunity(request::ViewCommunity {
        community_id: Some(community.clone()),
    });
    let community_protocol::Response::Viewing(viewing) = bob.ok(view).await else {
        panic!("not a viewing answer");
    };
    assert_eq!(viewing.online_count, 1);
    // Dora joins on A: still online, now in the community Bob views on B.
    dora.ok(join(community.as_str())).await;
    bob.event_where(|e| matches!(e, Event::OnlineCount { online: 2, .. }))
        .await;
    b.shutdown().await;
}
