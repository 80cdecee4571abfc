//! Benchmark of the slow path of large communities (P8, docs/BENCHMARKS.md "Large
//! communities (server)"): what a busy channel of a 100,000-member community costs in
//! server egress when only the sessions focused on it get whole messages.
//!
//! An in-process server with a temporary data directory; `owner` creates a community
//! with a channel `busy`; the server is stopped and `--members` members are written
//! straight into its database (`m000000`…), then it starts again. `--clients` of those
//! members connect (raw WebSocket clients in this process), `--focused` of them focus
//! `busy`, and `owner` posts `--rate` text messages a second into it for `--seconds`.
//! Every client counts the bytes of the text frames it reads from the moment the first
//! message is sent until `--drain` seconds after the last (so the last coalesced
//! `channel_activity` is counted). The figure compared is the egress the same messages
//! would cost whole to every client: messages × clients × the mean size of the
//! `message_created` frames the focused clients read. Before that, three clients
//! subscribe to the member list (the first builds it) and the times are printed.
//!
//! Run (release!):
//!
//! ```text
//! cargo run --release -p community-server --example large_bench -- --members 100000 --clients 5000 --focused 250 --rate 20 --seconds 20
//! ```
//!
//! The open-files limit is raised to its hard limit by the program itself (check
//! `ulimit -Hn` ≥ clients + 100).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use community_protocol::focus::Focus;
use community_protocol::member_list::{ListRange, SubscribeMemberList};
use community_protocol::request::{CreateChannel, CreateCommunity, SendMessage};
use community_protocol::{
    ChannelId, CommunityId, Mentions, MessageContent, Priority, Request, Response,
};
use community_server::{RunningServer, ServerConfig};
use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message as WsMessage;

// Shared with the other benches; this one needs no CPU figures nor numbered users.
#[allow(dead_code)]
#[path = "../shared/wire.rs"]
mod wire;

use wire::{BoxError, Ws, hello_login, request};

/// The name this bench gives in its `hello`.
const CLIENT_NAME: &str = "large-bench";

#[derive(Parser, Debug, Clone)]
struct Args {
    /// Members of the community (seeded into the database).
    #[arg(long, default_value_t = 100_000)]
    members: usize,
    /// Members online (connected clients).
    #[arg(long, default_value_t = 5_000)]
    clients: usize,
    /// Of them, focused on the busy channel.
    #[arg(long, default_value_t = 250)]
    focused: usize,
    /// Messages a second into the busy channel.
    #[arg(long, default_value_t = 20)]
    rate: u64,
    /// Seconds of sending.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Seconds of reading after the last message.
    #[arg(long, default_value_t = 3)]
    drain: u64,
    /// Characters of each message's text.
    #[arg(long, default_value_t = 100)]
    text: usize,
}

/// What the clients read while measuring.
#[derive(Default)]
struct Counters {
    measuring: AtomicBool,
    bytes: AtomicU64,
    frames: AtomicU64,
    whole_frames: AtomicU64,
    whole_bytes: AtomicU64,
    activity_frames: AtomicU64,
    activity_bytes: AtomicU64,
}

fn main() -> Result<(), BoxError> {
    let args = Args::parse();
    raise_open_files_limit();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(args))
}

fn raise_open_files_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

fn member(i: usize) -> String {
    format!("m{i:06}")
}

/// Writes `count` members into the stopped server's database.
fn seed(dir: &std::path::Path, community: &CommunityId, count: usize) -> Result<(), BoxError> {
    let mut db = rusqlite::Connection::open(dir.join("community.db"))?;
    let tx = db.transaction()?;
    {
        let mut insert_member = tx.prepare(
            "INSERT INTO members (community_id, user_id, role, nickname, joined_at_ms)
             VALUES (?1, ?2, 'member', '', 0)",
        )?;
        let mut insert_user =
            tx.prepare("INSERT OR IGNORE INTO users (user_id, first_seen_ms) VALUES (?1, 0)")?;
        for i in 0..count {
            let id = member(i);
            insert_member.execute(rusqlite::params![community.as_str(), id])?;
            insert_user.execute(rusqlite::params![id])?;
        }
    }
    tx.execute(
        "UPDATE communities SET member_count = member_count + ?2 WHERE community_id = ?1",
        rusqlite::params![community.as_str(), count as i64],
    )?;
    tx.commit()?;
    Ok(())
}

fn config(dir: &std::path::Path, listen: std::net::SocketAddr) -> ServerConfig {
    let mut config = ServerConfig::new(listen, dir);
    config.limits.channel_messages_per_second = 1_000_000;
    config.heartbeat_interval = Duration::from_secs(600);
    config.max_connections = 100_000;
    config
}

/// Reads every frame of one client, counting while measuring.
async fn read_all(mut ws: Ws, counters: Arc<Counters>) {
    while let Some(Ok(message)) = ws.next().await {
        let WsMessage::Text(text) = message else {
            continue;
        };
        if !counters.measuring.load(Ordering::Relaxed) {
            continue;
        }
        let len = text.len() as u64;
        counters.bytes.fetch_add(len, Ordering::Relaxed);
        counters.frames.fetch_add(1, Ordering::Relaxed);
        if text.contains("\"kind\":\"message_created\"") {
            counters.whole_frames.fetch_add(1, Ordering::Relaxed);
            counters.whole_bytes.fetch_add(len, Ordering::Relaxed);
        } else if text.contains("\"kind\":\"channel_activity\"") {
            counters.activity_frames.fetch_add(1, Ordering::Relaxed);
            counters.activity_bytes.fetch_add(len, Ordering::Relaxed);
        }
    }
}

async fn run(args: Args) -> Result<(), BoxError> {
    let dir = tempfile::tempdir()?;
    let server = RunningServer::start(config(dir.path(), "127.0.0.1:0".parse()?)).await?;
    let listen = server.local_addr();
    let hour = Duration::from_secs(3600);
    let mut owner = hello_login(
        &server.ws_url(),
        "owner",
        server.issue_token("owner", hour)?,
    )
    .await?;
    let create = Request::CreateCommunity(CreateCommunity {
        name: "large".into(),
        system_messages: Some(false),
        ..Default::default()
    });
    let Response::Community(snapshot) = request(&mut owner, 2, create).await? else {
        return Err("no community".into());
    };
    let community = snapshot.info.community_id;
    let create_channel = Request::CreateChannel(CreateChannel {
        community_id: community.clone(),
        name: "busy".into(),
        ..Default::default()
    });
    let Response::Channel(busy) = request(&mut owner, 3, create_channel).await? else {
        return Err("no channel".into());
    };
    drop(owner);
    server.shutdown().await;
    let started = Instant::now();
    seed(dir.path(), &community, args.members)?;
    eprintln!("seeded {} members in {:?}", args.members, started.elapsed());
    let server = RunningServer::start(config(dir.path(), listen)).await?;
    let url = server.ws_url();

    let started = Instant::now();
    let mut clients: Vec<Ws> = Vec::with_capacity(args.clients);
    for chunk in (0..args.clients).collect::<Vec<_>>().chunks(200) {
        let logins = chunk.iter().map(|&i| {
            let token = server.issue_token(&member(i), hour);
            let url = url.clone();
            async move { hello_login(&url, &member(i), token?).await }
        });
        for ws in futures_util::future::join_all(logins).await {
            clients.push(ws?);
        }
    }
    eprintln!(
        "{} clients online in {:?}",
        clients.len(),
        started.elapsed()
    );
    for ws in clients.iter_mut().take(args.focused) {
        let focus = Request::Focus(Focus {
            community_id: Some(community.clone()),
            channel_id: Some(busy.channel_id.clone()),
        });
        request(ws, 2, focus).await?;
    }
    // The member list of the whole community: the first subscription builds it (one read
    // of every member, a sort), the next ones read it.
    for (i, ws) in clients.iter_mut().enumerate().skip(args.focused).take(3) {
        let started = Instant::now();
        let subscribe = Request::SubscribeMemberList(SubscribeMemberList {
            community_id: community.clone(),
            ranges: vec![ListRange::new(0, 99), ListRange::new(100, 199)],
        });
        let Response::MemberList(list) = request(ws, 3, subscribe).await? else {
            return Err("no member list".into());
        };
        eprintln!(
            "subscribe_member_list #{} ({} members, {} online): {:?}",
            i - args.focused + 1,
            list.total,
            list.online,
            started.elapsed()
        );
    }
    let counters = Arc::new(Counters::default());
    let readers: Vec<_> = clients
        .into_iter()
        .map(|ws| tokio::spawn(read_all(ws, Arc::clone(&counters))))
        .collect();
    let mut owner = hello_login(&url, "owner", server.issue_token("owner", hour)?).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;

    counters.measuring.store(true, Ordering::Relaxed);
    let messages = send_all(&mut owner, &community, &busy.channel_id, &args).await?;
    tokio::time::sleep(Duration::from_secs(args.drain)).await;
    counters.measuring.store(false, Ordering::Relaxed);
    report(&args, &counters, messages);
    for reader in readers {
        reader.abort();
    }
    server.shutdown().await;
    Ok(())
}

async fn send_all(
    owner: &mut Ws,
    community: &CommunityId,
    channel: &ChannelId,
    args: &Args,
) -> Result<u64, BoxError> {
    let total = args.rate * args.seconds;
    let text: String = "lorem ipsum dolor sit amet "
        .chars()
        .cycle()
        .take(args.text)
        .collect();
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / args.rate.max(1)));
    let mut next_id = 10;
    for i in 0..total {
        tick.tick().await;
        let send = Request::SendMessage(SendMessage {
            community_id: community.clone(),
            channel_id: channel.clone(),
            idempotency_key: format!("k{i}"),
            content: MessageContent::Text { text: text.clone() },
            mentions: Mentions::default(),
            reply_to: None,
            priority: Priority::Normal,
            custom_data: String::new(),
            forward_of: None,
        });
        next_id += 1;
        request(owner, next_id, send).await?;
    }
    Ok(total)
}

fn report(args: &Args, counters: &Counters, messages: u64) {
    let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
    let bytes = get(&counters.bytes);
    let whole_frames = get(&counters.whole_frames);
    let mean_whole = get(&counters.whole_bytes) as f64 / whole_frames.max(1) as f64;
    let all_whole = messages as f64 * args.clients as f64 * mean_whole;
    let activity = get(&counters.activity_frames);
    let mean_activity = get(&counters.activity_bytes) as f64 / activity.max(1) as f64;
    println!(
        "| members | online | focused | messages | egress read by the clients | whole to all (estimate) | ratio | message_created frames | channel_activity frames (mean bytes) |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    println!(
        "| {} | {} | {} | {messages} ({} /s × {} s) | {:.1} MB | {:.1} MB ({messages} × {} × {mean_whole:.0} B) | {:.2} % | {whole_frames} | {activity} ({mean_activity:.0} B) |",
        args.members,
        args.clients,
        args.focused,
        args.rate,
        args.seconds,
        bytes as f64 / 1e6,
        all_whole / 1e6,
        args.clients,
        bytes as f64 * 100.0 / all_whole.max(1.0),
    );
    println!(
        "frames read while measuring: {}; channel_activity per unfocused client per second: {:.2}",
        get(&counters.frames),
        activity as f64
            / ((args.clients - args.focused.min(args.clients)).max(1) as f64
                * (args.seconds + args.drain) as f64),
    );
}
