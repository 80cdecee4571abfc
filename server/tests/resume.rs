//! Sessions across disconnects and restarts: resume replays every missed event exactly
//! once; an expired or unknown session falls back to sync; a restart keeps all data; a
//! slow consumer is cut off and recovers by resuming.

mod common;

use std::time::Duration;

use common::*;
use community_protocol::request::Resume;
use community_protocol::*;

struct Pair {
    server: TestServer,
    alice: Client,
    bob: Client,
    id: CommunityId,
    ch: ChannelId,
}

async fn pair(server: TestServer) -> Pair {
    let mut alice = server.login("alice").await;
    let mut bob = server.login("bob").await;
    let guild = create_community(&mut alice, "Guild").await;
    let (id, ch) = (
        guild.info.community_id.clone(),
        guild.info.default_channel_id.clone(),
    );
    bob.ok(join(id.as_str())).await;
    Pair {
        server,
        alice,
        bob,
        id,
        ch,
    }
}

async fn reconnect(server: &TestServer, user: &str, resume: Resume) -> (Client, bool) {
    let mut client = Client::connect(&server.url()).await;
    client.hello().await;
    let logged_in = client
        .login_ok(user, &server.token(user), "", Some(resume))
        .await;
    (client, logged_in.resumed)
}

/// Waits (bounded) until the server keeps `count` sessions.
async fn wait_sessions(server: &TestServer, count: usize) {
    for _ in 0..200 {
        if server.server().session_count() == count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "server kept {} sessions, expected {count}",
        server.server().session_count()
    );
}

#[tokio::test]
async fn a_resumed_session_gets_every_missed_event_exactly_once() {
    let Pair {
        server,
        mut alice,
        mut bob,
        id,
        ch,
    } = pair(TestServer::start().await).await;
    send(&mut alice, &id, &ch, "before", "seen live").await;
    assert_eq!(bob.next_message().await.seq, 1);
    let resume = bob.resume();
    bob.drop_connection();
    for i in 0..5 {
        send(&mut alice, &id, &ch, &format!("missed{i}"), "while away").await;
    }
    let (mut bob, resumed) = reconnect(&server, "bob", resume).await;
    assert!(resumed);
    let replayed: Vec<u64> = {
        let mut seqs = Vec::new();
        for _ in 0..5 {
            seqs.push(bob.next_message().await.seq);
        }
        seqs
    };
    assert_eq!(replayed, vec![2, 3, 4, 5, 6]);
    // Then live, with nothing replayed twice.
    send(&mut alice, &id, &ch, "after", "live again").await;
    assert_eq!(bob.next_message().await.seq, 7);
    // A second resume from an older position replays again from there.
    let resume = Resume {
        session_id: bob.session_id.clone(),
        last_event_seq: bob.last_event_seq - 1,
    };
    bob.close().await;
    let (mut bob, resumed) = reconnect(&server, "bob", resume).await;
    assert!(resumed);
    assert_eq!(bob.next_message().await.seq, 7);
}

#[tokio::test]
async fn after_the_linger_the_session_is_gone_and_sync_recovers() {
    let server = TestServer::start_with(|c| c.session_linger = Duration::from_millis(200)).await;
    let Pair {
        server,
        mut alice,
        bob,
        id,
        ch,
    } = pair(server).await;
    let resume = bob.resume();
    bob.close().await;
    wait_sessions(&server, 1).await;
    send(&mut alice, &id, &ch, "m1", "too late to resume").await;
    let (mut bob, resumed) = reconnect(&server, "bob", resume).await;
    assert!(!resumed, "the session expired");
    let Response::Synced(synced) = bob.ok(sync_all()).await else {
        panic!("not synced")
    };
    assert_eq!(synced.changed.len(), 1);
    let head = synced.changed[0]
        .heads
        .iter()
        .find(|h| h.channel_id == ch)
        .expect("head");
    assert_eq!((head.last_seq, head.unread_count), (1, 1));
    // The new session is live.
    send(&mut alice, &id, &ch, "m2", "live").await;
    assert_eq!(bob.next_message().await.seq, 2);
}

#[tokio::test]
async fn a_resume_cannot_take_another_users_session() {
    let Pair { server, bob, .. } = pair(TestServer::start().await).await;
    let (_, resumed) = reconnect(&server, "alice", bob.resume()).await;
    assert!(!resumed);
}

#[tokio::test]
async fn a_restart_keeps_everything() {
    let Pair {
        mut server,
        mut alice,
        bob,
        id,
        ch,
    } = pair(TestServer::start().await).await;
    for i in 0..3 {
        send(
            &mut alice,
            &id,
            &ch,
            &format!("k{i}"),
            &format!("message {i}"),
        )
        .await;
    }
    let resume = bob.resume();
    server.restart().await;
    assert_eq!(
        alice.expect_goodbye().await.reason,
        GoodbyeReason::ServerShutdown
    );
    let (mut bob, resumed) = reconnect(&server, "bob", resume).await;
    assert!(!resumed, "sessions live in memory only");
    let history = all_messages(&mut bob, &id, &ch).await;
    assert_eq!(
        history.iter().map(|m| m.seq).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    let Response::Synced(synced) = bob.ok(sync_all()).await else {
        panic!("not synced")
    };
    assert_eq!(synced.changed.len(), 1);
    assert_eq!(synced.changed[0].info.member_count, 2);
    let mut alice = server.login("alice").await;
    assert_eq!(
        send(&mut alice, &id, &ch, "k3", "after restart").await.seq,
        4
    );
    // An idempotency key from before the restart still deduplicates.
    assert_eq!(send(&mut alice, &id, &ch, "k0", "message 0").await.seq, 1);
}

#[tokio::test]
async fn a_slow_consumer_is_cut_off_and_resumes_without_loss() {
    let server = TestServer::start_with(|c| {
        c.limits.channel_messages_per_second = 1_000_000;
        c.session_queue_capacity = 16;
        c.resume_buffer_events = 20_000;
        c.write_timeout = Duration::from_millis(500);
    })
    .await;
    let Pair {
        server,
        mut alice,
        mut bob,
        id,
        ch,
    } = pair(server).await;
    let text = "x".repeat(12 * 1024);
    // Bob stops reading; alice sends until the server drops bob's connection.
    let mut sent = 0u64;
    for i in 0..5_000 {
        send(&mut alice, &id, &ch, &format!("k{i}"), &text).await;
        alice.events.clear();
        sent += 1;
        if i % 20 == 19 && server.server().connection_count() == 1 {
            break;
        }
    }
    assert_eq!(
        server.server().connection_count(),
        1,
        "bob was disconnected after {sent} messages"
    );
    // Bob reads what reached him, then the close (a goodbye only if it could be written).
    let mut seen = Vec::new();
    for _ in 0..20_000 {
        match bob.next_frame().await {
            None => break,
            Some(ServerFrame::Event { seq, event }) => {
                assert_eq!(seq, bob.last_event_seq + 1);
                bob.last_event_seq = seq;
                if let Event::MessageCreated { message } = event {
                    seen.push(message.seq);
                }
            }
            Some(ServerFrame::Goodbye {
                reason, reconnect, ..
            }) => {
                assert_eq!((reason, reconnect), (GoodbyeReason::SlowConsumer, true));
            }
            Some(other) => panic!("unexpected {other:?}"),
        }
    }
    eprintln!("sent {sent}, seen {}", seen.len());
    assert!((seen.len() as u64) < sent, "bob fell behind");
    let (mut bob, resumed) = reconnect(&server, "bob", bob.resume()).await;
    assert!(resumed, "the ring still covers the gap");
    for _ in seen.len() as u64..sent {
        seen.push(bob.next_message().await.seq);
    }
    assert_eq!(
        seen,
        (1..=sent).collect::<Vec<_>>(),
        "every message exactly once, in order"
    );
}
