//! P5 of issue "large communities": the cold login of a new device (empty cache) to 100
//! communities of 100 channels each, with some unread messages in every channel, until
//! every count is exact — time and bytes on the wire.
//!
//! A real `community-server` on loopback. Alice owns 100 communities of 100 channels and
//! writes one or two messages in each channel (every seventh channel's second message
//! mentions bob). Bob joins them all from a first device. Then bob logs in from a new
//! device with an empty cache, through a counting TCP forwarder; the program measures the
//! time from `login` to `SyncState::CaughtUp` and the bytes each way, and checks every
//! channel's counts against what was written. Finally it asks the server for the same
//! `sync` answer directly and says which parts of it carry the bytes (per channel).
//!
//! ```sh
//! cargo run --release -p community-e2e --example large_login_bench [-- --rounds 3]
//! ```
//!
//! `RUST_LOG=community_sdk=debug` prints each span's time when it closes. With
//! `SYNC_DUMP=<file>` the whole `sync` answer is written there too (to see what a
//! compressed transport would make of it).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use community_e2e::RawClient;
use community_protocol::request::{CreateCommunity, Sync as SyncParams};
use community_protocol::{ChannelId, CommunityId, Mentions, MessageContent, Request, Response};
use community_sdk::{Client, SendOptions, SyncState};
use community_server::{RunningServer, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

type AnyError = Box<dyn std::error::Error + Send + Sync>;

const COMMUNITIES: usize = 100;
const CHANNELS: usize = 100;

async fn client(url: &str, dir: &Path, device: &str) -> Result<Client, AnyError> {
    Ok(Client::builder()
        .server_url(url)
        .data_dir(dir)
        .device_id(device)
        .request_timeout(Duration::from_secs(60))
        .build()
        .await?)
}

async fn token(data: &Path, user: &str) -> Result<String, AnyError> {
    Ok(community_server::issue_token(
        data,
        user,
        Duration::from_secs(3600),
    )?)
}

/// Bytes a [`Forwarder`] carried each way.
#[derive(Default)]
struct Counted {
    to_server: AtomicU64,
    to_client: AtomicU64,
}

/// A TCP forwarder on loopback that counts the bytes it carries.
struct Forwarder {
    addr: std::net::SocketAddr,
    counted: Arc<Counted>,
    task: tokio::task::JoinHandle<()>,
}

impl Forwarder {
    async fn start(upstream: std::net::SocketAddr) -> Result<Self, AnyError> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let counted = Arc::new(Counted::default());
        let shared = counted.clone();
        let task = tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let Ok(outbound) = TcpStream::connect(upstream).await else {
                    continue;
                };
                let _ = inbound.set_nodelay(true);
                let _ = outbound.set_nodelay(true);
                let (client_read, client_write) = inbound.into_split();
                let (server_read, server_write) = outbound.into_split();
                let up = shared.clone();
                tokio::spawn(pump(client_read, server_write, move |n| {
                    up.to_server.fetch_add(n, Ordering::Relaxed);
                }));
                let down = shared.clone();
                tokio::spawn(pump(server_read, client_write, move |n| {
                    down.to_client.fetch_add(n, Ordering::Relaxed);
                }));
            }
        });
        Ok(Self {
            addr,
            counted,
            task,
        })
    }

    fn url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    count: impl Fn(u64),
) {
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        match from.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                count(n as u64);
                if to.write_all(&buffer[..n]).await.is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown().await;
}

/// What one channel should show bob: (unread, mentions).
fn expected(community: usize, channel: usize) -> (u64, u64) {
    let n = community * CHANNELS + channel;
    let unread = 1 + (n % 2) as u64;
    let mentions = u64::from(unread == 2 && n.is_multiple_of(7));
    (unread, mentions)
}

struct World {
    _data: tempfile::TempDir,
    data_path: std::path::PathBuf,
    caches: tempfile::TempDir,
    server: RunningServer,
    channels: Vec<(CommunityId, Vec<ChannelId>)>,
}

async fn build_world() -> Result<World, AnyError> {
    let data = tempfile::tempdir()?;
    let data_path = data.path().to_path_buf();
    let server =
        RunningServer::start(ServerConfig::new(([127, 0, 0, 1], 0).into(), &data_path)).await?;
    let url = format!("ws://{}/ws", server.local_addr());
    let caches = tempfile::tempdir()?;
    let alice = client(&url, &caches.path().join("alice"), "alice-phone").await?;
    alice
        .login("alice", &token(&data_path, "alice").await?)
        .await?;
    let bob = client(&url, &caches.path().join("bob"), "bob-phone").await?;
    bob.login("bob", &token(&data_path, "bob").await?).await?;
    let started = Instant::now();
    let mut channels = Vec::new();
    for c in 0..COMMUNITIES {
        let community = alice
            .create_community(CreateCommunity {
                name: format!("Large {c:03}"),
                system_messages: Some(false),
                ..Default::default()
            })
            .await?;
        let mut ids = vec![
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
            ids.push(channel.id().clone());
        }
        bob.join_community(community.id(), "").await?;
        channels.push((community.id().clone(), ids));
    }
    eprintln!(
        "{COMMUNITIES} communities × {CHANNELS} channels in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let mut last = None;
    for (c, (community_id, ids)) in channels.iter().enumerate() {
        for (i, channel_id) in ids.iter().enumerate() {
            let channel = alice.community(community_id).channel(channel_id);
            let (unread, mentions) = expected(c, i);
            last = Some(channel.send_text("hello").await?);
            if unread == 2 {
                let options = SendOptions {
                    mentions: Mentions {
                        users: if mentions == 1 {
                            vec!["bob".into()]
                        } else {
                            Vec::new()
                        },
                        ..Default::default()
                    },
                    ..Default::default()
                };
                let text = MessageContent::Text {
                    text: "again".into(),
                };
                last = Some(channel.send(text, options).await?);
            }
        }
    }
    if let Some(last) = last {
        last.sent().await?;
    }
    eprintln!(
        "messages written in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    for c in [alice, bob] {
        c.close().await?;
    }
    Ok(World {
        _data: data,
        data_path,
        caches,
        server,
        channels,
    })
}

struct Round {
    elapsed: Duration,
    /// Until the `sync` answer was applied and stored (`CatchingUp`).
    synced: Duration,
    to_client: u64,
    to_server: u64,
}

async fn round(world: &World, n: usize) -> Result<Round, AnyError> {
    let forwarder = Forwarder::start(world.server.local_addr()).await?;
    let dir = world.caches.path().join(format!("bob-new-{n}"));
    let device = client(&forwarder.url(), &dir, &format!("bob-new-{n}")).await?;
    let token = token(&world.data_path, "bob").await?;
    let mut states = device.subscribe_sync_state();
    let started = Instant::now();
    device.login("bob", &token).await?;
    let mut synced_at = None;
    let wait = async {
        while let Some(state) = states.next().await {
            match state {
                SyncState::CatchingUp if synced_at.is_none() => synced_at = Some(started.elapsed()),
                SyncState::CaughtUp => return true,
                _ => {}
            }
        }
        false
    };
    if !tokio::time::timeout(Duration::from_secs(300), wait).await? {
        return Err("the new device did not catch up".into());
    }
    let elapsed = started.elapsed();
    let synced = synced_at.unwrap_or(elapsed);
    let to_client = forwarder.counted.to_client.load(Ordering::Relaxed);
    let to_server = forwarder.counted.to_server.load(Ordering::Relaxed);
    for (c, (community_id, ids)) in world.channels.iter().enumerate() {
        for (i, channel_id) in ids.iter().enumerate() {
            let unread = device
                .community(community_id)
                .channel(channel_id)
                .unread()
                .ok_or("a channel is missing")?;
            let got = (unread.unread_count, unread.mention_count);
            if got != expected(c, i) {
                return Err(format!(
                    "{community_id}/{channel_id}: counts {got:?}, expected {:?}",
                    expected(c, i)
                )
                .into());
            }
        }
    }
    device.close().await?;
    Ok(Round {
        elapsed,
        synced,
        to_client,
        to_server,
    })
}

/// Which parts of the `sync` answer carry its bytes.
async fn breakdown(world: &World) -> Result<(), AnyError> {
    let url = format!("ws://{}/ws", world.server.local_addr());
    let token = token(&world.data_path, "bob").await?;
    let mut raw = RawClient::login(&url, "bob", &token).await?;
    let asked = Instant::now();
    let answer = raw
        .request(Request::Sync(SyncParams::default()))
        .await?
        .map_err(|e| format!("sync refused: {e}"))?;
    let raw_sync = asked.elapsed();
    let Response::Synced(synced) = answer else {
        return Err("not a sync answer".into());
    };
    let size = |synced: &community_protocol::response::Synced| -> Result<usize, AnyError> {
        let frame = community_protocol::ServerFrame::Response {
            id: 1,
            outcome: community_protocol::frame::Outcome::Result(Response::Synced(synced.clone())),
        };
        Ok(community_protocol::codec::encode_server(&frame)?.len())
    };
    let whole = size(&synced)?;
    if let Ok(path) = std::env::var("SYNC_DUMP") {
        // The whole answer as sent, to measure what compression would make of it.
        let frame = community_protocol::ServerFrame::Response {
            id: 1,
            outcome: community_protocol::frame::Outcome::Result(Response::Synced(synced.clone())),
        };
        std::fs::write(&path, community_protocol::codec::encode_server(&frame)?)?;
    }
    let channels: usize = synced.changed.iter().map(|s| s.channels.len()).sum();
    let mut without_channels = synced.clone();
    let mut without_heads = synced.clone();
    let mut without_groups = synced.clone();
    for s in &mut without_channels.changed {
        s.channels.clear();
    }
    for s in &mut without_heads.changed {
        s.heads.clear();
    }
    for s in &mut without_groups.changed {
        s.groups.clear();
    }
    let channel_bytes = whole - size(&without_channels)?;
    let head_bytes = whole - size(&without_heads)?;
    let group_bytes = whole - size(&without_groups)?;
    let rest = whole - channel_bytes - head_bytes - group_bytes;
    let per = |b: usize| b as f64 / channels.max(1) as f64;
    println!(
        "\n`sync` answer: {whole} bytes for {} communities, {channels} channels ({:.0} B per channel); \
         a bare client's `sync` (server, transfer, decoding) took {:.0} ms",
        synced.changed.len(),
        per(whole),
        raw_sync.as_secs_f64() * 1e3
    );
    println!("| part | bytes | per channel |");
    println!("| --- | --- | --- |");
    println!(
        "| channels (ChannelInfo) | {channel_bytes} | {:.0} B |",
        per(channel_bytes)
    );
    println!(
        "| heads (ChannelHead) | {head_bytes} | {:.0} B |",
        per(head_bytes)
    );
    println!("| groups | {group_bytes} | {:.0} B |", per(group_bytes));
    println!(
        "| the rest (community info, me, categories…) | {rest} | {:.0} B |",
        per(rest)
    );
    // One community with one channel and its head, to read the fields.
    let mut one = synced.clone();
    one.changed.truncate(1);
    one.unchanged.clear();
    one.conversations.clear();
    for s in &mut one.changed {
        s.channels.truncate(2);
        s.heads.truncate(2);
    }
    let frame = community_protocol::ServerFrame::Response {
        id: 1,
        outcome: community_protocol::frame::Outcome::Result(Response::Synced(one)),
    };
    println!(
        "\none community cut to two channels:\n{}",
        community_protocol::codec::encode_server(&frame)?
    );
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), AnyError> {
    if std::env::var_os("RUST_LOG").is_some() {
        // Where the time goes: every span's duration when it closes.
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
            .with_writer(std::io::stderr)
            .init();
    }
    let args: Vec<String> = std::env::args().collect();
    let rounds: usize = args
        .iter()
        .position(|a| a == "--rounds")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(3);
    let world = build_world().await?;
    println!(
        "| round | login → sync applied and stored | login → caught up | bytes to the client | bytes to the server |"
    );
    println!("| --- | --- | --- | --- | --- |");
    for n in 1..=rounds {
        let round = round(&world, n).await?;
        println!(
            "| {n} | {:.0} ms | {:.0} ms | {} ({:.2} MB) | {} |",
            round.synced.as_secs_f64() * 1e3,
            round.elapsed.as_secs_f64() * 1e3,
            round.to_client,
            round.to_client as f64 / 1e6,
            round.to_server,
        );
    }
    println!(
        "\n{COMMUNITIES} communities × {CHANNELS} channels, every count exact (1–2 unread per channel)"
    );
    breakdown(&world).await?;
    world.server.shutdown().await;
    Ok(())
}
