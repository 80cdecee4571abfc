//! Network faults through a [`FaultProxy`] between an SDK client and the server: a zombie
//! connection that carries nothing without closing (resumed, and away too long to resume),
//! a catch-up cut short, connections reset mid-stream on the receiving side (with the
//! server unreachable for a while), and on the sending side (with a lost answer). Every
//! time the end state is checked exactly: every message present once with contiguous
//! sequences, reported once to the timeline, counts right, no echo sent twice.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use community_e2e::{
    FaultProxy, TestClient, TestResult, TestServer, contiguous_texts, eventually, fail, guild,
    outbox_drained, until, whole_history,
};
use community_protocol::{ChannelId, CommunityId};
use community_sdk::{ChannelHandle, ConnectionState, MessageUpdate, SendState, Subscription};
use community_server::ServerConfig;
use tokio::task::JoinHandle;

/// Heartbeats every 300 ms: a dead connection is noticed within about a second.
fn fast_heartbeat(config: &mut ServerConfig) {
    config.heartbeat_interval = Duration::from_millis(300);
}

/// How many times each sequence was reported as `Inserted` by a channel's timeline.
/// How often each sequence was reported inserted since the timeline's last `Reset`, and
/// whether one came (a subscriber that fell far behind gets a `Reset` instead of the
/// updates it missed, so completeness is then proven by the history alone).
#[derive(Default)]
struct Seen {
    inserts: HashMap<u64, usize>,
    reset: bool,
}

type Inserts = Arc<Mutex<Seen>>;

/// Watches `channel`'s timeline in the background, counting `Inserted` reports per
/// sequence (the task ends when the client does, or is aborted by the caller).
async fn count_inserts(channel: &ChannelHandle) -> TestResult<(Inserts, JoinHandle<()>)> {
    let mut timeline = channel.subscribe_messages().await?;
    timeline.next().await;
    let inserts = Inserts::default();
    let task = {
        let inserts = inserts.clone();
        tokio::spawn(async move {
            while let Some(updates) = timeline.next().await {
                let mut seen = inserts.lock().unwrap_or_else(PoisonError::into_inner);
                for update in updates {
                    match update {
                        MessageUpdate::Inserted(message) => {
                            *seen.inserts.entry(message.seq).or_default() += 1;
                        }
                        MessageUpdate::Reset { messages, .. } => {
                            seen.reset = true;
                            seen.inserts = messages.iter().map(|m| (m.seq, 1)).collect();
                        }
                        _ => {}
                    }
                }
            }
        })
    };
    Ok((inserts, task))
}

/// Waits until sequences `1..=count` were all reported (after a `Reset`: up to `count`,
/// the history proving the rest), then checks none twice.
async fn inserted_once(inserts: &Inserts, count: u64) -> TestResult {
    let reported = eventually("the timeline reported every message", || {
        let seen = inserts.lock().unwrap_or_else(PoisonError::into_inner);
        if seen.reset {
            seen.inserts.contains_key(&count)
        } else {
            (1..=count).all(|seq| seen.inserts.contains_key(&seq))
        }
    })
    .await;
    if let Err(error) = reported {
        let seen = inserts.lock().unwrap_or_else(PoisonError::into_inner);
        let missing: Vec<u64> = (1..=count)
            .filter(|seq| !seen.inserts.contains_key(seq))
            .collect();
        return fail(format!(
            "{error}: reset {}, {} missing (first {:?})",
            seen.reset,
            missing.len(),
            &missing[..missing.len().min(10)]
        ));
    }
    let seen = inserts.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((seq, times)) = seen.inserts.iter().find(|(_, times)| **times != 1) {
        return fail(format!("seq {seq} was reported as inserted {times} times"));
    }
    if !seen.reset && seen.inserts.len() as u64 != count {
        return fail(format!(
            "{} sequences reported, {count} expected",
            seen.inserts.len()
        ));
    }
    Ok(())
}

/// Bob ends with exactly `expected` in `general`: counted (last sequence and unread both
/// `expected.len()`, the total too), reported once each to his timeline (then the watcher
/// stops), and in his history once each, in order.
async fn ends_with_every_message_once(
    bob: &TestClient,
    community_id: &CommunityId,
    general: &ChannelId,
    (inserts, watcher): (Inserts, JoinHandle<()>),
    expected: Vec<String>,
) -> TestResult {
    let count = expected.len() as u64;
    let channel = bob.client.community(community_id).channel(general);
    eventually("bob counts every message", || {
        channel
            .unread()
            .is_some_and(|u| u.last_seq == count && u.unread_count == count)
    })
    .await?;
    inserted_once(&inserts, count).await?;
    watcher.abort();
    let history = whole_history(&bob.client, community_id, general, expected.len() + 100).await?;
    assert_eq!(
        contiguous_texts(&history)?,
        expected,
        "every message, once, in order"
    );
    assert_eq!(bob.client.unread_totals().total_unread, count);
    Ok(())
}

/// Waits for a connection state matching `check` on `states`.
async fn state(
    states: &mut Subscription<ConnectionState>,
    what: &str,
    check: impl Fn(&ConnectionState) -> bool,
) -> TestResult {
    until(states, what, |s| check(s)).await
}

fn reconnecting(state: &ConnectionState) -> bool {
    matches!(state, ConnectionState::Reconnecting { .. })
}

fn connected(state: &ConnectionState) -> bool {
    *state == ConnectionState::Connected
}

/// The newest sequence `channel` knows of.
fn last_seq(channel: &ChannelHandle) -> u64 {
    channel.unread().map_or(0, |u| u.last_seq)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zombie_connection_is_noticed_and_nothing_is_missed() -> TestResult {
    let server = TestServer::start_with(fast_heartbeat).await?;
    let proxy = FaultProxy::start(server.addr()).await?;
    let alice = TestClient::login(&server, "alice", "alice-phone").await?;
    let bob = TestClient::login_at(&server, &proxy.ws_url(), "bob", "bob-phone").await?;
    let (community_id, general) = guild(&alice, "Zombies", &[&bob]).await?;
    let bob_channel = bob.client.community(&community_id).channel(&general);
    let timeline = count_inserts(&bob_channel).await?;
    let mut states = bob.client.subscribe_connection();
    state(&mut states, "bob is connected", connected).await?;

    // The network dies without closing anything: only the missing heartbeat acks tell.
    let accepted_before = proxy.accepted();
    proxy.freeze();
    state(
        &mut states,
        "bob notices the dead connection by itself",
        reconnecting,
    )
    .await?;

    // The server notices the silence too and drops its end (bob's session lingers).
    eventually("the server drops the zombie connection", || {
        server.connection_count() == 1
    })
    .await?;

    let channel = alice.client.community(&community_id).channel(&general);
    for i in 0..50 {
        channel.send_text(format!("z{i:02}")).await?;
    }
    outbox_drained(&alice.client, &community_id, &general).await?;
    assert_eq!(
        last_seq(&bob_channel),
        0,
        "nothing reached bob while frozen"
    );

    proxy.thaw();
    state(&mut states, "bob is connected again", connected).await?;
    assert!(
        proxy.accepted() > accepted_before,
        "bob came back on a new connection"
    );
    let expected = (0..50).map(|i| format!("z{i:02}")).collect();
    ends_with_every_message_once(&bob, &community_id, &general, timeline, expected).await?;
    assert_eq!(
        bob_channel.unread().map(|u| (u.read_seq, u.unread_count)),
        Some((0, 50))
    );
    Ok(())
}

/// Heartbeats every 300 ms, and a resume buffer far smaller than what a test sends while
/// a client is away: the client cannot resume and must sync and catch up.
fn fast_heartbeat_small_resume(config: &mut ServerConfig) {
    fast_heartbeat(config);
    config.resume_buffer_events = 20;
    config.session_queue_capacity = 20;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zombie_away_too_long_to_resume_syncs_and_catches_up() -> TestResult {
    let server = TestServer::start_with(fast_heartbeat_small_resume).await?;
    let proxy = FaultProxy::start(server.addr()).await?;
    let alice = TestClient::login(&server, "alice", "alice-phone").await?;
    let bob = TestClient::login_at(&server, &proxy.ws_url(), "bob", "bob-phone").await?;
    let (community_id, general) = guild(&alice, "Sleepers", &[&bob]).await?;
    let bob_channel = bob.client.community(&community_id).channel(&general);
    let timeline = count_inserts(&bob_channel).await?;
    let mut states = bob.client.subscribe_connection();
    state(&mut states, "bob is connected", connected).await?;

    // Bob caches the first 5 live, so the catch-up after his sync has holes to fill.
    let channel = alice.client.community(&community_id).channel(&general);
    for i in 0..5 {
        channel.send_text(format!("w{i:02}")).await?;
    }
    eventually("bob got the first 5", || last_seq(&bob_channel) == 5).await?;

    proxy.freeze();
    state(&mut states, "bob notices the dead connection", reconnecting).await?;
    eventually("the server drops the zombie connection", || {
        server.connection_count() == 1
    })
    .await?;
    // 50 events overflow the 20 the server keeps for bob's resume.
    for i in 5..55 {
        channel.send_text(format!("w{i:02}")).await?;
    }
    outbox_drained(&alice.client, &community_id, &general).await?;
    assert_eq!(
        last_seq(&bob_channel),
        5,
        "nothing reached bob while frozen"
    );

    proxy.thaw();
    state(&mut states, "bob is connected again", connected).await?;
    let expected = (0..55).map(|i| format!("w{i:02}")).collect();
    ends_with_every_message_once(&bob, &community_id, &general, timeline, expected).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_catch_up_cut_short_starts_over_after_the_resume() -> TestResult {
    const COUNT: u64 = 901;
    let server = TestServer::start_with(fast_heartbeat_small_resume).await?;
    let proxy = FaultProxy::start(server.addr()).await?;
    let alice = TestClient::login(&server, "alice", "alice-phone").await?;
    let bob = TestClient::login_at(&server, &proxy.ws_url(), "bob", "bob-phone").await?;
    let (community_id, general) = guild(&alice, "Catch-up", &[&bob]).await?;
    let bob_channel = bob.client.community(&community_id).channel(&general);
    let timeline = count_inserts(&bob_channel).await?;
    let mut states = bob.client.subscribe_connection();
    state(&mut states, "bob is connected", connected).await?;

    let channel = alice.client.community(&community_id).channel(&general);
    channel.send_text("c000").await?;
    eventually("bob cached the first message", || {
        last_seq(&bob_channel) == 1
    })
    .await?;
    proxy.freeze();
    state(&mut states, "bob notices the dead connection", reconnecting).await?;
    eventually("the server drops the zombie connection", || {
        server.connection_count() == 1
    })
    .await?;
    for i in 1..COUNT {
        channel.send_text(format!("c{i:03}")).await?;
    }
    outbox_drained(&alice.client, &community_id, &general).await?;

    // Bob's next connection cannot resume (900 events > the 20 kept), so he syncs and
    // catches up 900 messages in pages; it breaks after 40 KB toward bob: login and sync
    // fit, the 900 messages (well over 100 bytes each) cannot.
    proxy.refuse(true);
    proxy.cut();
    proxy.cut_after(40_000);
    proxy.thaw();
    let accepted = proxy.accepted();
    proxy.refuse(false);
    state(&mut states, "bob logs in (and syncs)", connected).await?;
    state(&mut states, "bob's catch-up is cut short", reconnecting).await?;
    state(&mut states, "bob resumes", connected).await?;
    assert!(proxy.accepted() >= accepted + 2, "bob came back twice");

    // The resume replays no message; the catch-up must start over by itself.
    let expected = (0..COUNT).map(|i| format!("c{i:03}")).collect();
    ends_with_every_message_once(&bob, &community_id, &general, timeline, expected).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_cut_three_times_mid_stream_ends_with_every_message_once() -> TestResult {
    const COUNT: u64 = 300;
    const BATCH: u64 = 75;
    let server = TestServer::start_with(fast_heartbeat).await?;
    let proxy = FaultProxy::start(server.addr()).await?;
    let alice = TestClient::login(&server, "alice", "alice-phone").await?;
    let bob = TestClient::login_at(&server, &proxy.ws_url(), "bob", "bob-phone").await?;
    let (community_id, general) = guild(&alice, "Cuts", &[&bob]).await?;
    let bob_channel = bob.client.community(&community_id).channel(&general);
    let timeline = count_inserts(&bob_channel).await?;
    let mut states = bob.client.subscribe_connection();
    state(&mut states, "bob is connected", connected).await?;

    // Four batches; after each of the first three, bob's connection is cut once he has
    // part of it (a different depth each time), while the rest of the batch streams.
    // After the second cut the proxy refuses bob's next attempts for a while.
    let channel = alice.client.community(&community_id).channel(&general);
    for batch in 0..COUNT / BATCH {
        for i in batch * BATCH..(batch + 1) * BATCH {
            channel.send_text(format!("s{i:03}")).await?;
        }
        if batch == COUNT / BATCH - 1 {
            break;
        }
        let depth = batch * BATCH + 10 + 20 * batch;
        eventually("bob received part of the batch", || {
            last_seq(&bob_channel) >= depth
        })
        .await?;
        let at_cut = last_seq(&bob_channel);
        // The second time the server also stays unreachable for a few attempts.
        let unreachable = batch == 1;
        proxy.refuse(unreachable);
        proxy.cut();
        assert!(
            at_cut < COUNT,
            "the cut interrupts the stream (bob had {at_cut})"
        );
        state(&mut states, "bob notices the cut", reconnecting).await?;
        if unreachable {
            state(
                &mut states,
                "bob keeps retrying",
                |s| matches!(s, ConnectionState::Reconnecting { attempt, .. } if *attempt >= 3),
            )
            .await?;
            assert!(proxy.refused() >= 2, "bob's attempts were refused");
            proxy.refuse(false);
        }
        state(&mut states, "bob is back", connected).await?;
    }
    outbox_drained(&alice.client, &community_id, &general).await?;

    let expected = (0..COUNT).map(|i| format!("s{i:03}")).collect();
    ends_with_every_message_once(&bob, &community_id, &general, timeline, expected).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_cut_twice_sends_every_message_exactly_once() -> TestResult {
    const COUNT: usize = 100;
    let server = TestServer::start_with(fast_heartbeat).await?;
    let proxy = FaultProxy::start(server.addr()).await?;
    let alice = TestClient::login_at(&server, &proxy.ws_url(), "alice", "alice-phone").await?;
    let bob = TestClient::login(&server, "bob", "bob-phone").await?;
    let (community_id, general) = guild(&alice, "Senders", &[&bob]).await?;
    let channel = alice.client.community(&community_id).channel(&general);
    let bob_channel = bob.client.community(&community_id).channel(&general);
    let mut timeline = channel.subscribe_messages().await?;
    timeline.next().await;
    let mut states = alice.client.subscribe_connection();
    state(&mut states, "alice is connected", connected).await?;

    let mut local_ids = Vec::new();
    let send = |range: std::ops::Range<usize>| {
        let channel = channel.clone();
        async move {
            let mut ids = Vec::new();
            for i in range {
                ids.push(
                    channel
                        .send_text(format!("o{i:03}"))
                        .await?
                        .local_id()
                        .to_string(),
                );
            }
            Ok::<_, community_sdk::SdkError>(ids)
        }
    };
    local_ids.extend(send(0..20).await?);
    outbox_drained(&alice.client, &community_id, &general).await?;

    // Cut 1, a lost answer: the server stores o020 but its answer never reaches alice;
    // she must resend it with the same idempotency key after reconnecting.
    proxy.freeze_to_client();
    local_ids.extend(send(20..60).await?);
    eventually("the server stored o020", || last_seq(&bob_channel) >= 21).await?;
    assert_eq!(
        last_seq(&bob_channel),
        21,
        "one request went through unanswered"
    );
    proxy.cut();
    proxy.thaw();
    state(
        &mut states,
        "alice notices the lost connection",
        reconnecting,
    )
    .await?;
    state(&mut states, "alice is back", connected).await?;

    // Cut 2, mid-stream: while the rest of the 60 queued messages go out.
    eventually("the server stored part of the outbox", || {
        last_seq(&bob_channel) >= 40
    })
    .await?;
    let at_cut = last_seq(&bob_channel);
    proxy.cut();
    assert!(
        at_cut < COUNT as u64,
        "the cut interrupts the outbox (the server had {at_cut})"
    );
    state(&mut states, "alice notices the cut", reconnecting).await?;
    local_ids.extend(send(60..COUNT).await?);
    state(&mut states, "alice is back", connected).await?;
    outbox_drained(&alice.client, &community_id, &general).await?;

    // Every echo ends Sent, once, with distinct sequences 1..=100.
    let mut sent: BTreeMap<String, u64> = BTreeMap::new();
    let mut repeated = Vec::new();
    let mut failed = Vec::new();
    // A subscriber that falls far behind gets a `Reset` instead of the updates it missed
    // (the newest cached messages and what is still pending): after one, the wait ends
    // when nothing is pending any more, and the sequences the missed updates would have
    // reported are read from alice's history (a message's key is its echo's local id).
    let mut after_reset: Option<BTreeSet<String>> = None;
    until(&mut timeline, "every echo reports Sent", |updates| {
        for update in updates {
            match update {
                MessageUpdate::Local(echo) => match &echo.state {
                    SendState::Sent { seq } => {
                        if sent.insert(echo.local_id.clone(), *seq).is_some() {
                            repeated.push(echo.local_id.clone());
                        }
                        if let Some(outstanding) = after_reset.as_mut() {
                            outstanding.remove(&echo.local_id);
                        }
                    }
                    SendState::Failed { error } => failed.push(error.clone()),
                    _ => {}
                },
                MessageUpdate::Reset { pending, .. } => {
                    after_reset = Some(pending.iter().map(|e| e.local_id.clone()).collect());
                }
                _ => {}
            }
        }
        sent.len() == COUNT || after_reset.as_ref().is_some_and(BTreeSet::is_empty)
    })
    .await?;
    if sent.len() < COUNT {
        let history = whole_history(&alice.client, &community_id, &general, 200).await?;
        for message in history.iter().filter(|m| m.sender_id.as_str() == "alice") {
            sent.entry(message.idempotency_key.clone())
                .or_insert(message.seq);
        }
    }
    assert!(failed.is_empty(), "no message failed: {failed:?}");
    assert!(repeated.is_empty(), "echoes sent twice: {repeated:?}");
    // The outbox sends in order, so the i-th message has sequence i + 1.
    let seqs: Vec<Option<u64>> = local_ids.iter().map(|id| sent.get(id).copied()).collect();
    let expected_seqs: Vec<Option<u64>> = (1..=COUNT as u64).map(Some).collect();
    assert_eq!(seqs, expected_seqs, "distinct sequences 1..=100, in order");
    assert!(channel.pending().await?.is_empty(), "nothing left pending");

    // The server holds each message once, in the order it was sent.
    eventually("bob's head shows the 100 messages", || {
        bob_channel
            .unread()
            .is_some_and(|u| u.last_seq == COUNT as u64 && u.unread_count == COUNT as u64)
    })
    .await?;
    let expected: Vec<String> = (0..COUNT).map(|i| format!("o{i:03}")).collect();
    for client in [&bob.client, &alice.client] {
        let history = whole_history(client, &community_id, &general, 200).await?;
        assert_eq!(
            contiguous_texts(&history)?,
            expected,
            "exactly once, in order"
        );
    }
    Ok(())
}
