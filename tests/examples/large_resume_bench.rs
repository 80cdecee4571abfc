//! P9 of issue "large communities": a device that was offline while 10,000 messages
//! arrived in 100 channels comes back; how long from the connection opening until every
//! channel's counts are exact.
//!
//! A real `community-server` on loopback. Alice owns a community of 100 channels; bob's
//! device is logged in through a TCP forwarder that can refuse and cut connections. The
//! channels each get one message bob's device caches; then the forwarder cuts bob off
//! and refuses him; alice writes `--messages` messages (10,000 by
//! default) round-robin over the channels, every tenth mentioning bob. Then the forwarder
//! lets bob in again: the program measures from the moment it accepts bob's connection
//! until all 100 channels show exactly the counts the server has (polled every
//! millisecond), and reports whether the session was resumed (a replay of the missed
//! events) or new (a `sync` of the heads, then the messages caught up).
//!
//! ```sh
//! cargo run --release -p community-e2e --example large_resume_bench [-- --rounds 3 --messages 10000]
//! ```

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use community_protocol::request::CreateCommunity;
use community_protocol::{ChannelId, CommunityId, Mentions, MessageContent};
use community_sdk::{Client, SendOptions, SyncState};
use community_server::{RunningServer, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

type AnyError = Box<dyn std::error::Error + Send + Sync>;

const CHANNELS: usize = 100;

async fn client(url: &str, dir: &Path, device: &str) -> Result<Client, AnyError> {
    Ok(Client::builder()
        .server_url(url)
        .data_dir(dir)
        .device_id(device)
        .request_timeout(Duration::from_secs(60))
        .backoff(Duration::from_millis(20), Duration::from_millis(50))
        .build()
        .await?)
}

async fn login(client: &Client, data: &Path, user: &str) -> Result<(), AnyError> {
    let token = community_server::issue_token(data, user, Duration::from_secs(3600))?;
    client.login(user, &token).await?;
    Ok(())
}

async fn caught_up(client: &Client) -> Result<(), AnyError> {
    let mut states = client.subscribe_sync_state();
    let wait = async {
        while let Some(state) = states.next().await {
            if state == SyncState::CaughtUp {
                return true;
            }
        }
        false
    };
    match tokio::time::timeout(Duration::from_secs(120), wait).await {
        Ok(true) => Ok(()),
        _ => Err("the client did not catch up".into()),
    }
}

/// A loopback TCP forwarder that can refuse new connections and cut the live ones, and
/// remembers when it last let one through.
struct Gate {
    addr: std::net::SocketAddr,
    refusing: Arc<AtomicBool>,
    generation: Arc<AtomicU64>,
    opened: Arc<Mutex<Option<Instant>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Gate {
    async fn start(upstream: std::net::SocketAddr) -> Result<Self, AnyError> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let refusing = Arc::new(AtomicBool::new(false));
        let generation = Arc::new(AtomicU64::new(0));
        let opened = Arc::new(Mutex::new(None));
        let (r, g, o) = (refusing.clone(), generation.clone(), opened.clone());
        let task = tokio::spawn(async move {
            let mut live = JoinSet::new();
            let mut live_generation = g.load(Ordering::SeqCst);
            loop {
                let accepted = tokio::select! {
                    accepted = listener.accept() => accepted,
                    () = tokio::time::sleep(Duration::from_millis(1)) => {
                        let now = g.load(Ordering::SeqCst);
                        if now != live_generation {
                            live.abort_all();
                            live_generation = now;
                        }
                        continue;
                    }
                };
                let Ok((inbound, _)) = accepted else { break };
                if r.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let Ok(outbound) = TcpStream::connect(upstream).await else {
                    continue;
                };
                if let Ok(mut at) = o.lock() {
                    *at = Some(Instant::now());
                }
                let _ = inbound.set_nodelay(true);
                let _ = outbound.set_nodelay(true);
                let (client_read, client_write) = inbound.into_split();
                let (server_read, server_write) = outbound.into_split();
                live.spawn(async move {
                    tokio::join!(
                        pump(client_read, server_write),
                        pump(server_read, client_write)
                    );
                });
            }
        });
        Ok(Self {
            addr,
            refusing,
            generation,
            opened,
            task,
        })
    }

    fn url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// Cuts every live connection and refuses new ones.
    async fn close(&self) {
        self.refusing.store(true, Ordering::SeqCst);
        self.generation.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    fn open(&self) {
        if let Ok(mut at) = self.opened.lock() {
            *at = None;
        }
        self.refusing.store(false, Ordering::SeqCst);
    }

    fn opened_at(&self) -> Option<Instant> {
        self.opened.lock().ok().and_then(|at| *at)
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn pump(mut from: tokio::net::tcp::OwnedReadHalf, mut to: tokio::net::tcp::OwnedWriteHalf) {
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        match from.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if to.write_all(&buffer[..n]).await.is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown().await;
}

struct Round {
    exact_after_open: Duration,
    resumed: bool,
    caught_up_after_open: Duration,
}

async fn round(messages: usize) -> Result<Round, AnyError> {
    let data = tempfile::tempdir()?;
    let server =
        RunningServer::start(ServerConfig::new(([127, 0, 0, 1], 0).into(), data.path())).await?;
    let url = format!("ws://{}/ws", server.local_addr());
    let caches = tempfile::tempdir()?;
    let alice = client(&url, &caches.path().join("alice"), "alice-phone").await?;
    login(&alice, data.path(), "alice").await?;
    let community = alice
        .create_community(CreateCommunity {
            name: "Resume".into(),
            system_messages: Some(false),
            ..Default::default()
        })
        .await?;
    let community_id: CommunityId = community.id().clone();
    let mut channels: Vec<ChannelId> = vec![
        community
            .entry()
            .ok_or("no community")?
            .info
            .default_channel_id,
    ];
    for i in 1..CHANNELS {
        let channel = community
            .create_channel(community_sdk::NewChannel {
                name: format!("room-{i:03}"),
                ..Default::default()
            })
            .await?;
        channels.push(channel.id().clone());
    }

    let gate = Gate::start(server.local_addr()).await?;
    let bob = client(&gate.url(), &caches.path().join("bob"), "bob-phone").await?;
    login(&bob, data.path(), "bob").await?;
    bob.join_community(&community_id, "").await?;
    caught_up(&bob).await?;

    // One message per channel while bob is online: his device caches them, so the
    // missed messages are caught up after the login too.
    let mut last = None;
    for channel_id in &channels {
        let channel = alice.community(&community_id).channel(channel_id);
        last = Some(channel.send_text("before").await?);
    }
    if let Some(last) = last.take() {
        last.sent().await?;
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    for channel_id in &channels {
        while bob
            .community(&community_id)
            .channel(channel_id)
            .messages(None, 10)
            .await?
            .is_empty()
        {
            if Instant::now() > deadline {
                return Err("bob did not cache the first messages".into());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    gate.close().await;
    let mut expected = vec![(1u64, 0u64); CHANNELS];
    for n in 0..messages {
        let at = n % CHANNELS;
        let channel = alice.community(&community_id).channel(&channels[at]);
        let mention = n % 10 == 0;
        let options = SendOptions {
            mentions: Mentions {
                users: if mention {
                    vec!["bob".into()]
                } else {
                    Vec::new()
                },
                ..Default::default()
            },
            ..Default::default()
        };
        let text = MessageContent::Text {
            text: format!("message {n}"),
        };
        last = Some(channel.send(text, options).await?);
        expected[at].0 += 1;
        expected[at].1 += u64::from(mention);
    }
    if let Some(last) = last {
        last.sent().await?;
    }

    let mut sync_states = bob.subscribe_sync_state();
    gate.open();
    let mut resumed = true;
    let exact_at = loop {
        while let Some(state) = sync_states.try_next() {
            if state == SyncState::Syncing {
                // A `sync` ran: the session was new, not resumed.
                resumed = false;
            }
        }
        let exact = channels.iter().zip(&expected).all(|(channel_id, want)| {
            bob.community(&community_id)
                .channel(channel_id)
                .unread()
                .is_some_and(|u| (u.unread_count, u.mention_count) == *want)
        });
        if exact {
            break Instant::now();
        }
        if gate
            .opened_at()
            .is_some_and(|at| at.elapsed() > Duration::from_secs(60))
        {
            return Err("the counts did not become exact".into());
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    };
    caught_up(&bob).await?;
    let caught_up_at = Instant::now();
    let opened = gate.opened_at().ok_or("the gate never let bob in")?;
    for c in [bob, alice] {
        c.close().await?;
    }
    server.shutdown().await;
    Ok(Round {
        exact_after_open: exact_at.saturating_duration_since(opened),
        resumed,
        caught_up_after_open: caught_up_at.saturating_duration_since(opened),
    })
}

#[tokio::main]
async fn main() -> Result<(), AnyError> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str, default: usize| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|n| n.parse().ok())
            .unwrap_or(default)
    };
    let rounds = arg("--rounds", 3);
    let messages = arg("--messages", 10_000);
    println!("| round | missed | session | connection open → every count exact | → caught up |");
    println!("| --- | --- | --- | --- | --- |");
    for n in 1..=rounds {
        let round = round(messages).await?;
        println!(
            "| {n} | {messages} in {CHANNELS} channels | {} | {:.0} ms | {:.0} ms |",
            if round.resumed {
                "resumed"
            } else {
                "new (sync)"
            },
            round.exact_after_open.as_secs_f64() * 1e3,
            round.caught_up_after_open.as_secs_f64() * 1e3,
        );
    }
    Ok(())
}
