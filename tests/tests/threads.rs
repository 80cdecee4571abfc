//! Threads across devices on a real server: a 300-reply thread with three members and a
//! late device (digests and counts exact on all, a recall of the last reply updates the
//! digest), archived and locked threads refusing posts with typed errors, permission
//! overrides on creating and posting, and a thread stream that survives cut connections
//! and a killed server with nothing lost or doubled.

use std::time::Duration;

use community_e2e::{
    FaultProxy, TestClient, TestResult, TestServer, contiguous_texts, eventually, eventually_async,
    fail, guild, outbox_drained,
};
use community_protocol::{
    ChannelId, CommunityId, ErrorCode, Mentions, MessageContent, Override, OverrideTarget,
    Permissions, ThreadDigest,
};
use community_sdk::{
    ChannelHandle, ConnectionState, NewThread, SdkError, SendOptions, ThreadHandle, ThreadUpdate,
};
use community_server::ServerConfig;

fn code_of(error: &SdkError) -> Option<ErrorCode> {
    match error {
        SdkError::Api(error) => Some(error.code),
        _ => None,
    }
}

/// The digest on the cached copy of message `seq` of `channel`.
async fn digest(channel: &ChannelHandle, seq: u64) -> Option<ThreadDigest> {
    channel
        .messages(Some(seq + 1), 1)
        .await
        .ok()?
        .into_iter()
        .find(|m| m.seq == seq)?
        .thread
}

/// A thread's whole history through the SDK, ascending.
async fn thread_history(thread: &ThreadHandle, max: usize) -> TestResult<Vec<String>> {
    let stream = thread.messages();
    let mut all = Vec::new();
    let mut before = None;
    while all.len() < max {
        let page = stream.messages(before, 100).await?;
        let Some(oldest) = page.first().map(|m| m.seq) else {
            break;
        };
        let mut merged = page;
        merged.append(&mut all);
        all = merged;
        if oldest <= 1 {
            break;
        }
        before = Some(oldest);
    }
    contiguous_texts(&all)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_300_reply_thread_is_exact_on_every_device() -> TestResult {
    const REPLIES: u64 = 300;
    let server = TestServer::start().await?;
    let alice = TestClient::login(&server, "alice", "alice-phone").await?;
    let bob = TestClient::login(&server, "bob", "bob-phone").await?;
    let carol = TestClient::login(&server, "carol", "carol-phone").await?;
    let (community_id, general) = guild(&alice, "Threads", &[&bob, &carol]).await?;
    let at = |c: &TestClient| c.client.community(&community_id).channel(&general);
    at(&alice).send_text("raid tonight?").await?;
    outbox_drained(&alice.client, &community_id, &general).await?;
    eventually("bob has the message", || {
        at(&bob).unread().is_some_and(|u| u.last_seq == 1)
    })
    .await?;

    // Bob starts a thread from it; alice and carol join.
    let thread = at(&bob)
        .create_thread(NewThread {
            name: "raid plan".into(),
            parent_seq: Some(1),
            ..Default::default()
        })
        .await?;
    let thread_id = thread.id().clone();
    for member in [&alice, &carol] {
        at(member).thread(thread_id.clone()).join().await?;
    }
    let refused = at(&carol)
        .create_thread(NewThread {
            name: "again".into(),
            parent_seq: Some(1),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(code_of(&refused), Some(ErrorCode::THREAD_EXISTS));

    // 300 replies, 100 from each; every 50th of alice's mentions carol.
    for n in 0..REPLIES {
        let sender = [&alice, &bob, &carol][(n % 3) as usize];
        let stream = at(sender).thread(thread_id.clone()).messages();
        let options = if n % 150 == 0 {
            SendOptions {
                mentions: Mentions {
                    users: vec!["carol".into()],
                    ..Default::default()
                },
                ..Default::default()
            }
        } else {
            SendOptions::default()
        };
        stream
            .send(
                MessageContent::Text {
                    text: format!("r{n:03}"),
                },
                options,
            )
            .await?;
    }
    for member in [&alice, &bob, &carol] {
        outbox_drained(&member.client, &community_id, &thread_id).await?;
    }

    // Counts: each member has the others' 200 replies unread; carol 2 mentions.
    for (member, mentions) in [(&alice, 0), (&bob, 0), (&carol, 2)] {
        let handle = at(member).thread(thread_id.clone());
        eventually("the thread's counts are exact", || {
            handle.unread().is_some_and(|u| {
                u.last_seq == REPLIES && u.unread_count == 200 && u.mention_count == mentions
            })
        })
        .await?;
    }
    // The three senders' replies interleave: the thread's order is the server's. Read it
    // from a device of carol that was not there (a late device).
    let late = TestClient::login(&server, "carol", "carol-laptop").await?;
    let late_thread = at(&late).thread(thread_id.clone());
    let history = thread_history(&late_thread, 400).await?;
    let mut sorted = history.clone();
    sorted.sort();
    let expected: Vec<String> = (0..REPLIES).map(|n| format!("r{n:03}")).collect();
    assert_eq!(sorted, expected, "every reply once");
    let last_text = history[history.len() - 1].clone();
    let before_last = history[history.len() - 2].clone();
    // Digests on the parent message: 300 messages, 3 participants, the last reply.
    for member in [&alice, &bob, &carol] {
        let channel = at(member);
        let exact = eventually_async("the digest is exact", || async {
            digest(&channel, 1).await.is_some_and(|d| {
                d.message_count == REPLIES
                    && d.participant_count == 3
                    && d.last
                        .as_ref()
                        .is_some_and(|l| l.text == last_text && l.seq == REPLIES)
            })
        })
        .await;
        if exact.is_err() {
            let seen = digest(&channel, 1).await;
            return fail(format!("{}'s digest: {seen:?}", member.user_id));
        }
    }
    // The late device of carol: same counts and digest.
    eventually("the late device counts the thread", || {
        late_thread
            .unread()
            .is_some_and(|u| u.unread_count == 200 && u.mention_count == 2)
    })
    .await?;
    assert_eq!(
        digest(&at(&late), 1).await.map(|d| d.message_count),
        Some(REPLIES)
    );

    // Its sender recalls the last reply: the digest's last reply is the one before it.
    let n: usize = last_text[1..].parse()?;
    let sender = [&alice, &bob, &carol][n % 3];
    let stream = at(sender).thread(thread_id.clone()).messages();
    let recall = stream.recall_message(REPLIES).await?;
    stream.wait_for_change(&recall.key).await?;
    for member in [&alice, &bob, &carol, &late] {
        let channel = at(member);
        eventually_async("the digest follows the recall", || async {
            digest(&channel, 1)
                .await
                .and_then(|d| d.last)
                .is_some_and(|l| l.text == before_last)
        })
        .await?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archived_locked_and_forbidden_threads_refuse_with_typed_errors() -> TestResult {
    let server = TestServer::start().await?;
    let alice = TestClient::login(&server, "alice", "alice-phone").await?;
    let bob = TestClient::login(&server, "bob", "bob-phone").await?;
    let (community_id, general) = guild(&alice, "Rules", &[&bob]).await?;
    let channel = alice.client.community(&community_id).channel(&general);
    let thread = channel
        .create_thread(NewThread {
            name: "free-standing".into(),
            ..Default::default()
        })
        .await?;
    let bob_thread = bob
        .client
        .community(&community_id)
        .channel(&general)
        .thread(thread.id().clone());
    bob_thread.join().await?;
    bob_thread.messages().send_text("before").await?;
    outbox_drained(&bob.client, &community_id, thread.id()).await?;

    // Archived: posts refused, by the SDK (it knows) and the server.
    thread
        .update(ThreadUpdate {
            archived: Some(true),
            ..Default::default()
        })
        .await?;
    eventually("bob's cache knows it is archived", || {
        bob_thread.info().is_some_and(|t| t.archived)
    })
    .await?;
    let refused = bob_thread.messages().send_text("after").await.unwrap_err();
    assert_eq!(code_of(&refused), Some(ErrorCode::THREAD_ARCHIVED));
    thread
        .update(ThreadUpdate {
            archived: Some(false),
            locked: Some(true),
            ..Default::default()
        })
        .await?;
    eventually("bob's cache knows it is locked", || {
        bob_thread.info().is_some_and(|t| t.locked && !t.archived)
    })
    .await?;
    let refused = bob_thread.messages().send_text("locked").await.unwrap_err();
    assert_eq!(code_of(&refused), Some(ErrorCode::THREAD_LOCKED));
    // The owner still posts in a locked thread.
    thread
        .messages()
        .send_text("mods only")
        .await?
        .sent()
        .await?;

    // Overrides: @everyone may not create threads, nor post in them, in general.
    let deny = |flags| Override {
        target: OverrideTarget::Group {
            group_id: community_protocol::GroupId::everyone(),
        },
        allow: Permissions::NONE,
        deny: flags,
    };
    channel
        .set_override(deny(
            Permissions::CREATE_THREADS.union(Permissions::SEND_IN_THREADS),
        ))
        .await?;
    let bob_channel = bob.client.community(&community_id).channel(&general);
    eventually("bob's cache has the override", || {
        bob_channel
            .permissions()
            .is_some_and(|p| !p.contains(Permissions::CREATE_THREADS))
    })
    .await?;
    let refused = bob_channel
        .create_thread(NewThread {
            name: "mine".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(code_of(&refused), Some(ErrorCode::PERMISSION_DENIED));
    thread
        .update(ThreadUpdate {
            locked: Some(false),
            ..Default::default()
        })
        .await?;
    eventually("bob's cache knows it is unlocked", || {
        bob_thread.info().is_some_and(|t| !t.locked)
    })
    .await?;
    let refused = bob_thread.messages().send_text("no").await.unwrap_err();
    assert_eq!(code_of(&refused), Some(ErrorCode::PERMISSION_DENIED));
    // Sending in the channel itself is still allowed.
    bob_channel
        .send_text("in the channel")
        .await?
        .sent()
        .await?;
    Ok(())
}

fn fast_heartbeat(config: &mut ServerConfig) {
    config.heartbeat_interval = Duration::from_millis(300);
}

async fn state(
    states: &mut community_sdk::Subscription<ConnectionState>,
    what: &str,
    check: impl Fn(&ConnectionState) -> bool,
) -> TestResult {
    community_e2e::until(states, what, |s| check(s)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thread_stream_survives_cuts_and_a_killed_server_once() -> TestResult {
    const COUNT: usize = 120;
    let mut server = TestServer::start_with(fast_heartbeat).await?;
    let proxy = FaultProxy::start(server.addr()).await?;
    let alice = TestClient::login_at(&server, &proxy.ws_url(), "alice", "alice-phone").await?;
    let bob = TestClient::login(&server, "bob", "bob-phone").await?;
    let (community_id, general): (CommunityId, ChannelId) =
        guild(&alice, "Stream", &[&bob]).await?;
    let thread = alice
        .client
        .community(&community_id)
        .channel(&general)
        .create_thread(NewThread {
            name: "stream".into(),
            ..Default::default()
        })
        .await?;
    let thread_id = thread.id().clone();
    let bob_thread = bob
        .client
        .community(&community_id)
        .channel(&general)
        .thread(thread_id.clone());
    bob_thread.join().await?;
    let stream = thread.messages();
    let mut states = alice.client.subscribe_connection();
    for i in 0..40 {
        stream.send_text(format!("s{i:03}")).await?;
    }
    // Cut 1: mid-stream.
    eventually("part of the stream arrived", || {
        bob_thread.unread().is_some_and(|u| u.last_seq >= 10)
    })
    .await?;
    proxy.cut();
    state(&mut states, "alice notices the cut", |s| {
        matches!(s, ConnectionState::Reconnecting { .. })
    })
    .await?;
    for i in 40..80 {
        stream.send_text(format!("s{i:03}")).await?;
    }
    state(&mut states, "alice is back", |s| {
        *s == ConnectionState::Connected
    })
    .await?;
    // The server is killed while more are queued, then comes back.
    server.kill().await?;
    for i in 80..COUNT {
        stream.send_text(format!("s{i:03}")).await?;
    }
    server.start_again().await?;
    outbox_drained(&alice.client, &community_id, &thread_id).await?;
    eventually("bob counts every message once", || {
        bob_thread
            .unread()
            .is_some_and(|u| u.last_seq == COUNT as u64 && u.unread_count == COUNT as u64)
    })
    .await?;
    let expected: Vec<String> = (0..COUNT).map(|i| format!("s{i:03}")).collect();
    let history = thread_history(&bob_thread, COUNT + 50).await?;
    if history != expected {
        return fail(format!("the thread holds {history:?}"));
    }
    assert_eq!(thread_history(&thread, COUNT + 50).await?, expected);
    Ok(())
}
