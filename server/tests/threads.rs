//! Threads over the wire: who gets which thread event (members the messages, the
//! channel's readers the updates and digests, every session of a joiner its
//! `thread_joined`, the other sessions of a leaver its `thread_left`), digests coalesced
//! with the last state delivered, and a resumed session replaying the thread events it
//! missed. The coalescing window is shortened by configuration; nothing else depends on
//! timing, and every wait is bounded.

mod common;

use std::time::{Duration, Instant};

use common::*;
use community_protocol::request::{CreateThread, ThreadRef, UpdateThread};
use community_protocol::*;

/// The community of these tests: alice owns it, bob and carol are members.
struct Guild {
    server: TestServer,
    alice: Client,
    bob: Client,
    carol: Client,
    id: CommunityId,
    general: ChannelId,
}

async fn guild(window: Duration) -> Guild {
    let server = TestServer::start_with(|c| c.thread_digest_interval = window).await;
    let mut alice = server.login("alice").await;
    let mut bob = server.login("bob").await;
    let mut carol = server.login("carol").await;
    let snapshot = create_community(&mut alice, "Guild").await;
    let id = snapshot.info.community_id.clone();
    let general = snapshot.info.default_channel_id.clone();
    bob.ok(join(id.as_str())).await;
    carol.ok(join(id.as_str())).await;
    // Every client starts from here: the events of the set-up are read.
    send(&mut alice, &id, &general, "setup", "sentinel").await;
    for client in [&mut alice, &mut bob, &mut carol] {
        kinds_until(client, is_sentinel).await;
    }
    Guild {
        server,
        alice,
        bob,
        carol,
        id,
        general,
    }
}

async fn start_thread(client: &mut Client, id: &CommunityId, channel: &ChannelId) -> ThreadInfo {
    let request = Request::CreateThread(CreateThread {
        community_id: id.clone(),
        channel_id: channel.clone(),
        name: "plans".into(),
        parent_seq: None,
        auto_archive_ms: None,
    });
    match client.ok(request).await {
        Response::Thread(thread) => thread,
        other => panic!("unexpected {other:?}"),
    }
}

fn thread_ref(id: &CommunityId, thread: &ThreadInfo) -> ThreadRef {
    ThreadRef {
        community_id: id.clone(),
        thread_id: thread.thread_id.clone(),
    }
}

/// Reads events until `until` matches one; returns the kinds of those before it (a thread
/// message's kind is `message_created@thread`, a digest's `thread_digest:<count>`).
async fn kinds_until(client: &mut Client, mut until: impl FnMut(&Event) -> bool) -> Vec<String> {
    let mut kinds = Vec::new();
    for _ in 0..1_000 {
        let (_, event) = client.next_event().await;
        if until(&event) {
            return kinds;
        }
        kinds.push(match &event {
            Event::MessageCreated { message } if message.channel_id.as_str().starts_with("th_") => {
                "message_created@thread".to_owned()
            }
            Event::ThreadDigest { digest, .. } => format!("thread_digest:{}", digest.message_count),
            other => other.kind().to_owned(),
        });
    }
    panic!("no matching event among 1,000");
}

/// A message to `general` that ends what a test reads of a client's events.
async fn sentinel(g: &mut Guild, key: &str) {
    send(&mut g.alice, &g.id, &g.general, key, "sentinel").await;
}

fn is_sentinel(event: &Event) -> bool {
    matches!(event, Event::MessageCreated { message } if message.content
        == MessageContent::Text { text: "sentinel".into() })
}

#[tokio::test]
async fn thread_events_reach_exactly_the_sessions_they_are_for() {
    // A long window: only the first digest of the thread reaches each session here.
    let mut g = guild(Duration::from_secs(60)).await;
    let mut bob2 = g.server.login("bob").await;
    let thread = start_thread(&mut g.bob, &g.id, &g.general).await;
    let th = thread.thread_id.clone();
    // Carol posts: she joins (before her message), the members get it, alice does not.
    let reply = send(&mut g.carol, &g.id, &th, "r1", "count me in").await;
    assert_eq!((reply.channel_id.clone(), reply.seq), (th.clone(), 1));
    sentinel(&mut g, "s1").await;
    assert_eq!(
        kinds_until(&mut g.alice, is_sentinel).await,
        ["thread_updated", "thread_digest:0"]
    );
    for bob in [&mut g.bob, &mut bob2] {
        assert_eq!(
            kinds_until(bob, is_sentinel).await,
            [
                "thread_updated",
                "thread_joined",
                "thread_digest:0",
                "message_created@thread"
            ]
        );
    }
    assert_eq!(
        kinds_until(&mut g.carol, is_sentinel).await,
        [
            "thread_updated",
            "thread_digest:0",
            "thread_joined",
            "message_created@thread"
        ]
    );
    // Leaving: the leaver's other session hears of it, the leaver only the answer.
    g.bob
        .ok(Request::LeaveThread(thread_ref(&g.id, &thread)))
        .await;
    send(&mut g.carol, &g.id, &th, "r2", "still here").await;
    sentinel(&mut g, "s2").await;
    assert!(kinds_until(&mut g.bob, is_sentinel).await.is_empty());
    assert_eq!(kinds_until(&mut bob2, is_sentinel).await, ["thread_left"]);
    assert_eq!(
        kinds_until(&mut g.carol, is_sentinel).await,
        ["message_created@thread"]
    );
    // Joining again: every session of bob's hears of it.
    g.bob
        .ok(Request::JoinThread(thread_ref(&g.id, &thread)))
        .await;
    sentinel(&mut g, "s3").await;
    assert_eq!(
        kinds_until(&mut g.bob, is_sentinel).await,
        ["thread_joined"]
    );
    assert_eq!(kinds_until(&mut bob2, is_sentinel).await, ["thread_joined"]);
}

#[tokio::test]
async fn digests_are_coalesced_and_the_last_state_arrives() {
    let window = Duration::from_millis(300);
    let mut g = guild(window).await;
    let started = Instant::now();
    let thread = start_thread(&mut g.bob, &g.id, &g.general).await;
    let th = thread.thread_id.clone();
    const MESSAGES: u64 = 30;
    for i in 0..MESSAGES {
        send(&mut g.bob, &g.id, &th, &format!("m{i}"), "busy").await;
    }
    // Alice reads the channel: digests only, the newest always arriving at the end.
    let mut counts = Vec::new();
    while counts.last() != Some(&MESSAGES) {
        match g
            .alice
            .event_where(|e| matches!(e, Event::ThreadDigest { .. }))
            .await
        {
            Event::ThreadDigest { digest, .. } => counts.push(digest.message_count),
            _ => unreachable!(),
        }
    }
    let elapsed = started.elapsed();
    assert!(
        counts.windows(2).all(|w| w[0] < w[1]),
        "never an older state after a newer one: {counts:?}"
    );
    // The creation's digest, then at most one per window that passed (and the last).
    let windows = (elapsed.as_millis() / window.as_millis()) as usize;
    assert!(
        counts.len() <= windows + 2,
        "{} digests in {elapsed:?}: {counts:?}",
        counts.len()
    );
    assert!(
        counts.len() < MESSAGES as usize,
        "coalesced: {counts:?} for {MESSAGES} messages"
    );
}

#[tokio::test]
async fn a_resumed_session_gets_the_thread_events_it_missed() {
    let mut g = guild(Duration::from_millis(100)).await;
    let thread = start_thread(&mut g.alice, &g.id, &g.general).await;
    let th = thread.thread_id.clone();
    g.carol
        .ok(Request::JoinThread(thread_ref(&g.id, &thread)))
        .await;
    sentinel(&mut g, "s1").await;
    kinds_until(&mut g.carol, is_sentinel).await;
    let resume = g.carol.resume();
    g.carol.drop_connection();
    send(&mut g.alice, &g.id, &th, "m1", "while carol is away").await;
    g.alice
        .ok(Request::UpdateThread(UpdateThread {
            community_id: g.id.clone(),
            thread_id: th.clone(),
            name: Some("new plans".into()),
            ..Default::default()
        }))
        .await;
    let mut carol = Client::connect(&g.server.url()).await;
    carol.hello().await;
    let logged_in = carol
        .login_ok("carol", &g.server.token("carol"), "", Some(resume))
        .await;
    assert!(logged_in.resumed);
    // The replay, then (if its window had not closed yet) the newest digest: it is the
    // renamed thread with its message, whether it waited in the ring or comes live.
    let missed = kinds_until(&mut carol, |e| {
        matches!(e, Event::ThreadDigest { digest, .. }
            if digest.name == "new plans" && digest.message_count == 1)
    })
    .await;
    assert_eq!(missed[0], "message_created@thread", "{missed:?}");
    assert!(missed.contains(&"thread_updated".to_owned()), "{missed:?}");
    assert_eq!(
        missed
            .iter()
            .filter(|k| *k == "message_created@thread")
            .count(),
        1,
        "the message once: {missed:?}"
    );
}
