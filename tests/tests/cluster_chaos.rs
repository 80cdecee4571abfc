//! Chaos with several server nodes (issue 15): two `community-server` processes over one
//! PostgreSQL database, linked through NATS (`community_e2e::ProcessCluster`), SDK clients spread
//! over them, four senders streaming into one channel while
//!
//! - one node is killed with SIGKILL: its clients' connections drop, their reconnects go
//!   through a loopback load balancer (`community_e2e::Balancer`) to the other node, where
//!   resume fails (sessions live on one node), the SDK logs in fresh, syncs, and the
//!   senders' outboxes resend what was not acknowledged;
//! - the NATS server is killed and started again on the same port: while a node's link
//!   is down it refuses writes (`cluster_unavailable`, which the SDK outbox retries), and what one node
//!   committed in the instant its link dropped reaches the other node's receivers through
//!   the SDK's gap repair.
//!
//! Each time the end state is checked exactly on every receiver: every message reported
//! to its open timeline once (a message a node committed but never published is fetched
//! by the SDK: the hole the next live message or a refetched head shows, or the catch-up
//! after a fresh login on the other node, each tried again while reads fail), every
//! message once in the history, sequences `1..=N` without a gap, each sender's messages in
//! the order sent, the unread count equal to N; every sender's outbox empty (nothing
//! failed). Both tests skip with a note without `nats-server` or PostgreSQL; the server
//! binary must be built (see `community_e2e::server_binary`).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use community_e2e::{
    Balancer, ProcessCluster, TestClient, TestResult, contiguous_texts, eventually,
    eventually_async, fail, guild, healthz, outbox_drained, whole_history,
};
use community_protocol::{ChannelId, CommunityId};
use community_sdk::{ChannelHandle, MessageUpdate};
use tokio::task::JoinHandle;

/// Messages each sender streams.
const PER_SENDER: usize = 250;
/// Senders.
const SENDERS: usize = 4;
/// Messages in the channel at the end.
const TOTAL: u64 = (PER_SENDER * SENDERS) as u64;

/// How often each sequence was reported inserted since the timeline's last `Reset`, and
/// whether one came (a subscriber that fell far behind gets a `Reset` instead of the
/// updates it missed; completeness is then proven by the history alone).
#[derive(Default)]
struct Seen {
    inserts: HashMap<u64, usize>,
    reset: bool,
}

type Inserts = Arc<Mutex<Seen>>;

/// Watches `channel`'s timeline in the background, counting `Inserted` reports per
/// sequence (aborted by the caller).
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

/// The clients of a scenario: senders and receivers spread over the nodes, all members
/// of one community, every receiver watching its default channel.
struct Crowd {
    senders: Vec<TestClient>,
    receivers: Vec<(TestClient, Inserts, JoinHandle<()>)>,
    community_id: CommunityId,
    channel: ChannelId,
}

impl Crowd {
    /// Logs in `SENDERS` senders and two receivers, alternating between `fronts` (the
    /// addresses clients connect to: a node each, or a balancer each).
    async fn gather(cluster: &ProcessCluster, fronts: [&str; 2]) -> TestResult<Self> {
        let mut receivers = Vec::new();
        for r in 0..2 {
            let user = format!("reader{r}");
            receivers.push(
                cluster
                    .login(fronts[r % 2], &user, &format!("{user}-phone"))
                    .await?,
            );
        }
        let mut senders = Vec::new();
        for s in 0..SENDERS {
            let user = format!("sender{s}");
            senders.push(
                cluster
                    .login(fronts[s % 2], &user, &format!("{user}-phone"))
                    .await?,
            );
        }
        let members: Vec<&TestClient> = receivers[1..].iter().chain(senders.iter()).collect();
        let (community_id, channel) = guild(&receivers[0], "Chaos", &members).await?;
        let mut watching = Vec::new();
        for receiver in receivers {
            let handle = receiver.client.community(&community_id).channel(&channel);
            let (inserts, task) = count_inserts(&handle).await?;
            watching.push((receiver, inserts, task));
        }
        Ok(Self {
            senders,
            receivers: watching,
            community_id,
            channel,
        })
    }

    /// Every sender queues its `PER_SENDER` messages (`s<k>-<i>`), one after another, as
    /// an app does; the outbox sends them.
    fn stream(&self) -> Vec<JoinHandle<Result<(), community_sdk::SdkError>>> {
        self.senders
            .iter()
            .enumerate()
            .map(|(k, sender)| {
                let channel = sender
                    .client
                    .community(&self.community_id)
                    .channel(&self.channel);
                tokio::spawn(async move {
                    for i in 0..PER_SENDER {
                        channel.send_text(format!("s{k}-{i:04}")).await?;
                    }
                    Ok(())
                })
            })
            .collect()
    }

    /// The highest sequence `receiver` counts in the channel.
    fn last_seq(&self, receiver: usize) -> u64 {
        self.receivers[receiver]
            .0
            .client
            .community(&self.community_id)
            .channel(&self.channel)
            .unread()
            .map_or(0, |u| u.last_seq)
    }

    /// The end state, checked exactly: every sender's outbox empty; on every receiver
    /// every message reported to the open timeline once, the history `1..=TOTAL` with every message once and each sender's
    /// in order, the unread count `TOTAL`.
    async fn every_message_once(
        self,
        streams: Vec<JoinHandle<Result<(), community_sdk::SdkError>>>,
    ) -> TestResult {
        for stream in streams {
            stream.await??;
        }
        for sender in &self.senders {
            outbox_drained(&sender.client, &self.community_id, &self.channel).await?;
            let left = sender
                .client
                .community(&self.community_id)
                .channel(&self.channel)
                .pending()
                .await?;
            if !left.is_empty() {
                return fail(format!(
                    "{} has {} messages left in the outbox (failed: {:?})",
                    sender.user_id,
                    left.len(),
                    left.iter().map(|m| &m.state).take(3).collect::<Vec<_>>()
                ));
            }
        }
        let mut expected: Vec<String> = (0..SENDERS)
            .flat_map(|k| (0..PER_SENDER).map(move |i| format!("s{k}-{i:04}")))
            .collect();
        expected.sort();
        for (receiver, inserts, watcher) in self.receivers {
            let channel = receiver
                .client
                .community(&self.community_id)
                .channel(&self.channel);
            let counted = eventually("the receiver counts every message", || {
                channel
                    .unread()
                    .is_some_and(|u| u.last_seq == TOTAL && u.unread_count == TOTAL)
            })
            .await;
            if let Err(error) = counted {
                return fail(format!(
                    "{}: {error} (counts {:?})",
                    receiver.user_id,
                    channel.unread().map(|u| (u.last_seq, u.unread_count))
                ));
            }
            inserted_once(&receiver.user_id, &inserts, TOTAL).await?;
            let history = whole_history(
                &receiver.client,
                &self.community_id,
                &self.channel,
                TOTAL as usize + 100,
            )
            .await?;
            let texts = contiguous_texts(&history)?;
            // Each sender's messages in the order it sent them…
            let mut by_sender: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
            for text in &texts {
                let sender = text.split('-').next().unwrap_or_default();
                by_sender.entry(sender).or_default().push(text);
            }
            for (sender, sent) in &by_sender {
                if !sent.is_sorted() {
                    return fail(format!(
                        "{}: {sender}'s messages are out of order",
                        receiver.user_id
                    ));
                }
            }
            // …and every message exactly once.
            let mut sorted = texts.clone();
            sorted.sort();
            if sorted != expected {
                let mut counts: HashMap<&str, usize> = HashMap::new();
                for text in &texts {
                    *counts.entry(text).or_default() += 1;
                }
                let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).take(5).collect();
                let missing: Vec<_> = expected
                    .iter()
                    .filter(|t| !counts.contains_key(t.as_str()))
                    .take(5)
                    .collect();
                return fail(format!(
                    "{}: {} messages in the history, {TOTAL} expected; twice {twice:?}, \
                     missing {missing:?}",
                    receiver.user_id,
                    texts.len()
                ));
            }
            assert_eq!(receiver.client.unread_totals().total_unread, TOTAL);
            watcher.abort();
        }
        Ok(())
    }
}

/// Waits until sequences `1..=count` were all reported to `user`'s timeline (after a
/// `Reset`: up to `count`, the history proving the rest), then checks none twice.
async fn inserted_once(user: &str, inserts: &Inserts, count: u64) -> TestResult {
    let reported = eventually("the timeline reported every message", || {
        let seen = inserts.lock().unwrap_or_else(PoisonError::into_inner);
        if seen.reset {
            seen.inserts.contains_key(&count)
        } else {
            (1..=count).all(|seq| seen.inserts.contains_key(&seq))
        }
    })
    .await;
    let seen = inserts.lock().unwrap_or_else(PoisonError::into_inner);
    if let Err(error) = reported {
        let missing: Vec<u64> = (1..=count)
            .filter(|seq| !seen.inserts.contains_key(seq))
            .collect();
        return fail(format!(
            "{user}: {error}: reset {}, {} missing (first {:?})",
            seen.reset,
            missing.len(),
            &missing[..missing.len().min(10)]
        ));
    }
    if let Some((seq, times)) = seen.inserts.iter().find(|(_, times)| **times != 1) {
        return fail(format!(
            "{user}: seq {seq} was reported as inserted {times} times"
        ));
    }
    if !seen.reset && seen.inserts.len() as u64 != count {
        return fail(format!(
            "{user}: {} sequences reported, {count} expected",
            seen.inserts.len()
        ));
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_mid_stream_loses_nothing_and_duplicates_nothing() -> TestResult {
    let Some(mut cluster) = ProcessCluster::start(2).await? else {
        return Ok(());
    };
    let (a, b) = (cluster.nodes[0].addr(), cluster.nodes[1].addr());
    // Two balancers over the same nodes, in opposite orders: clients start spread over
    // A and B; once A is dead, both send every new connection to B.
    let front_a = Balancer::start(vec![a, b]).await?;
    let front_b = Balancer::start(vec![b, a]).await?;
    let crowd = Crowd::gather(&cluster, [&front_a.ws_url(), &front_b.ws_url()]).await?;
    let streams = crowd.stream();

    // Kill node A (SIGKILL: no goodbye, no shutdown) once the receiver on B has a quarter
    // of the stream.
    eventually("the receiver on node B has a quarter of the stream", || {
        crowd.last_seq(1) >= TOTAL / 4
    })
    .await?;
    cluster.nodes[0].kill();
    let at_kill = crowd.last_seq(1);
    assert!(
        at_kill < TOTAL,
        "the kill must interrupt the stream (node B's receiver had {at_kill})"
    );
    // reader1 stayed on node B; reader0 moved from A: what A committed and acknowledged in
    // the instant it died, without publishing it, reaches reader0 through the catch-up
    // after its fresh login on B (tried again while B, busy taking every client over,
    // fails a read), and reader1 through its hole fetch. Both timelines see every message.
    let result = crowd.every_message_once(streams).await;
    if result.is_err() {
        eprintln!("node B's log:\n{}", cluster.nodes[1].log());
    }
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_restarted_mid_stream_loses_nothing_and_duplicates_nothing() -> TestResult {
    let Some(mut cluster) = ProcessCluster::start(2).await? else {
        return Ok(());
    };
    let (a, b) = (cluster.nodes[0].ws_url(), cluster.nodes[1].ws_url());
    let crowd = Crowd::gather(&cluster, [&a, &b]).await?;
    let streams = crowd.stream();

    eventually("the receiver on node B has a quarter of the stream", || {
        crowd.last_seq(1) >= TOTAL / 4
    })
    .await?;
    cluster.nats.stop();
    // Both nodes notice: their health check reports the link down (writes are refused
    // meanwhile, and the senders' outboxes wait and retry).
    for node in &cluster.nodes {
        let addr = node.addr();
        eventually_async("a node reports its NATS link down", || async move {
            healthz(addr).await.is_some_and(|(status, _)| status == 503)
        })
        .await?;
    }
    let at_stop = crowd.last_seq(1);
    assert!(
        at_stop < TOTAL,
        "the NATS stop must interrupt the stream (node B's receiver had {at_stop})"
    );
    cluster.nats.restart().await?;
    cluster.linked().await?;
    let result = crowd.every_message_once(streams).await;
    if result.is_err() {
        for node in &cluster.nodes {
            eprintln!("node log:\n{}", node.log());
        }
    }
    result
}
