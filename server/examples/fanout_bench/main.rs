//! Fan-out benchmark of `community-server` (a program, not a test).
//!
//! For each client count N it starts an in-process server with a temporary data
//! directory, creates one community with a channel `bench`, invites N users and a
//! sender, and connects N WebSocket clients on loopback — in a *child process* (this same
//! program with `child`), so that the server's memory can be read from this process's
//! `/proc/self/status` without the clients' memory in it. Then the sender (a member, in
//! this process) sends text messages into `bench` at a fixed rate (or as fast as a window
//! of in-flight requests allows, `--rate 0`); every client receives every message.
//!
//! Modes (`--modes`): `plain` — `bench` is an ordinary public channel; `groups` — the
//! community has 20 permission groups, the members (sender included) are spread over
//! them (every seventh holds two), and `bench` is hidden from `@everyone` and shown again
//! through 20 group overrides (with other flags varied) and 10 member overrides: the same
//! N recipients, found through permissions. `--repeat R` alternates the modes R times,
//! so both see the same machine load; a summary gives the ratio of their medians.
//!
//! Threads: `thread` — the sender posts into a thread of `bench` that it and 19 other
//! members (`u0..u18`) joined, while all N members are online reading `bench`: the 19
//! get every message, everyone gets the thread's digest (coalesced: at most one a second
//! per session); `participants` — the same stream into `bench` itself with only those 20
//! participants online (19 clients and the sender), whatever N says. The summary
//! compares the server CPU of the whole run (medians) and gives each session's digest
//! pacing: digests per session per second, the most any session got within 1 s, the
//! shortest gap between two. It reports:
//!
//! - deliveries per second: messages received by all clients / (last receive − first send);
//! - send → receive latency p50 / p99 / max (the send time is carried in the text);
//! - server memory per connection: (RSS after the N logins − RSS before) / N.
//!
//! Run (release!):
//!
//! ```text
//! cargo run --release -p community-server --example fanout_bench -- --clients 100,1000,5000 --rate 60 --seconds 5
//! cargo run --release -p community-server --example fanout_bench -- --clients 1000 --rate 60 --seconds 5 --modes plain,groups --repeat 5
//! cargo run --release -p community-server --example fanout_bench -- --clients 1000 --rate 40 --seconds 10 --modes thread,participants --repeat 5
//! ```
//!
//! The open-files limit is raised to its hard limit by the program itself (each client
//! and each server connection needs a descriptor; check `ulimit -Hn` ≥ N + 100).

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use community_protocol::request::{CreateChannel, CreateCommunity, InviteMembers, SendMessage};
use community_protocol::{
    ChannelId, ClientFrame, CommunityId, Mentions, MessageContent, Priority, Request, Response,
    UserId, codec,
};
use community_server::{RunningServer, ServerConfig};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message as WsMessage;

mod client;
mod setup;

use client::Stats;

#[path = "../shared/wire.rs"]
mod wire;

use wire::{BoxError, Ws, cpu_us, hello_login, request, user};

/// The name this bench gives in its `hello`.
const CLIENT_NAME: &str = "fanout-bench";

#[derive(Debug, Parser)]
struct Args {
    /// Client counts to measure, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "100,1000,5000")]
    clients: Vec<usize>,
    /// Messages per second sent (0: as fast as `--window` requests in flight allow).
    #[arg(long, default_value_t = 60)]
    rate: u64,
    /// Seconds of sending (with `--rate 0`: messages = 200 × seconds).
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Requests in flight at most (pipelining of the sender).
    #[arg(long, default_value_t = 32)]
    window: usize,
    /// Modes to measure, comma-separated: `plain`, `groups` (see the module docs).
    #[arg(long, value_delimiter = ',', default_value = "plain")]
    modes: Vec<Mode>,
    /// The server's thread digest window, in milliseconds
    /// (`ServerConfig::thread_digest_interval`; its default when absent).
    #[arg(long)]
    digest_interval_ms: Option<u64>,
    /// How many times to run the modes, alternating.
    #[arg(long, default_value_t = 1)]
    repeat: usize,
    /// Run as the client process (internal).
    #[arg(long, hide = true)]
    child: bool,
    #[arg(long, hide = true, default_value = "")]
    url: String,
    #[arg(long, hide = true, default_value = "")]
    data_dir: String,
}

/// How `bench` is set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Mode {
    /// An ordinary public channel.
    Plain,
    /// 20 groups, members spread over them, the channel shown through overrides.
    Groups,
    /// A thread of `bench` with 20 participants, all N members online.
    Thread,
    /// `bench` itself with only the 20 participants online.
    Participants,
}

/// Members of the thread in the `thread` mode (the sender included).
const PARTICIPANTS: usize = 20;

/// What one run measured.
struct Measured {
    mode: Mode,
    /// Server CPU per delivery of a message, µs.
    per_delivery: f64,
    /// Server CPU of the whole run, µs.
    cpu_us: u64,
    /// What the clients saw.
    stats: Stats,
    /// Clients connected.
    clients: usize,
}

/// Groups of the `groups` mode.
const GROUPS: usize = 20;
/// Member overrides of the `groups` mode.
const MEMBER_OVERRIDES: usize = 10;

fn main() -> Result<(), BoxError> {
    let args = Args::parse();
    raise_open_files_limit();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    if args.child {
        return runtime.block_on(client::child(args));
    }
    println!(
        "| mode | clients | rate (msg/s) | messages | deliveries/s | server CPU µs/delivery | p50 | p99 | max | RSS/connection | connect+login all |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for &n in &args.clients {
        let mut runs: Vec<Measured> = Vec::new();
        for _ in 0..args.repeat.max(1) {
            for &mode in &args.modes {
                runs.push(runtime.block_on(measure(&args, n, mode))?);
            }
        }
        summarize(n, &runs);
    }
    Ok(())
}

/// Seconds from the first message sent to the last digest received (the span over which
/// the digests came).
fn digest_span(r: &Measured) -> f64 {
    (r.stats.last_digest_us.saturating_sub(r.stats.first_sent_us) as f64 / 1e6).max(1e-3)
}

/// The median of `values`.
fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied()
}

/// Prints the medians of each comparison the runs allow: CPU per delivery of `groups`
/// against `plain`; the CPU of the whole run of `thread` against `participants`, with the
/// digests' pacing.
fn summarize(n: usize, runs: &[Measured]) {
    let of = |mode: Mode, value: &dyn Fn(&Measured) -> f64| {
        median(runs.iter().filter(|r| r.mode == mode).map(value).collect())
    };
    let per_delivery = |r: &Measured| r.per_delivery;
    if let (Some(plain), Some(groups)) = (
        of(Mode::Plain, &per_delivery),
        of(Mode::Groups, &per_delivery),
    ) {
        eprintln!(
            "  N={n}: median server CPU per delivery: plain {plain:.2} µs, groups {groups:.2} µs, ratio {:.3}",
            groups / plain
        );
    }
    let cpu_ms = |r: &Measured| r.cpu_us as f64 / 1_000.0;
    if let (Some(thread), Some(participants)) =
        (of(Mode::Thread, &cpu_ms), of(Mode::Participants, &cpu_ms))
    {
        let threads: Vec<&Measured> = runs.iter().filter(|r| r.mode == Mode::Thread).collect();
        let rate = median(
            threads
                .iter()
                .map(|r| r.stats.digests as f64 / r.clients.max(1) as f64 / digest_span(r))
                .collect(),
        )
        .unwrap_or(0.0);
        let most = threads
            .iter()
            .map(|r| r.stats.max_digests_per_second)
            .max()
            .unwrap_or(0);
        let gap = threads
            .iter()
            .map(|r| r.stats.min_digest_gap_us)
            .min()
            .unwrap_or(0);
        let complete = threads
            .iter()
            .all(|r| r.stats.final_digests == r.clients as u64);
        eprintln!(
            "  N={n}: median server CPU of a run: thread {thread:.0} ms, {PARTICIPANTS} participants only {participants:.0} ms, ratio {:.3}; digests per session per second (median) {rate:.3}, at most {most} within 1 s, shortest gap {:.0} ms, last digest reached every session: {complete}",
            thread / participants,
            gap as f64 / 1_000.0,
        );
    }
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

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

async fn measure(args: &Args, n: usize, mode: Mode) -> Result<Measured, BoxError> {
    let n = if mode == Mode::Participants {
        PARTICIPANTS - 1
    } else {
        n
    };
    let dir = tempfile::tempdir()?;
    let mut config = ServerConfig::new("127.0.0.1:0".parse()?, dir.path());
    config.limits.channel_messages_per_second = 1_000_000;
    config.heartbeat_interval = Duration::from_secs(600);
    if let Some(ms) = args.digest_interval_ms {
        config.thread_digest_interval = Duration::from_millis(ms);
    }
    let server = RunningServer::start(config).await?;
    let url = server.ws_url();
    let mut owner = hello_login(
        &url,
        "owner",
        server.issue_token("owner", Duration::from_secs(3600))?,
    )
    .await?;
    // No "uN joined" system messages: the bench measures the messages it sends.
    let create = Request::CreateCommunity(CreateCommunity {
        name: "bench".into(),
        system_messages: Some(false),
        ..Default::default()
    });
    let Response::Community(snapshot) = request(&mut owner, 2, create).await? else {
        return Err("no community".into());
    };
    let community = snapshot.info.community_id;
    let create_channel = Request::CreateChannel(CreateChannel {
        community_id: community.clone(),
        name: "bench".into(),
        ..Default::default()
    });
    let Response::Channel(bench) = request(&mut owner, 3, create_channel).await? else {
        return Err("no channel".into());
    };
    let channel = bench.channel_id;
    let mut users: Vec<UserId> = (0..n).map(|i| user(i).into()).collect();
    users.push(SENDER.into());
    for (i, batch) in users.chunks(100).enumerate() {
        let invite = Request::InviteMembers(InviteMembers {
            community_id: community.clone(),
            user_ids: batch.to_vec(),
        });
        request(&mut owner, 10 + i as u64, invite).await?;
    }
    if mode == Mode::Groups {
        setup::set_up_groups(&mut owner, &community, &channel, &users).await?;
    }
    // The owner's work is done: only the recipients and the sender stay connected.
    drop(owner);
    let mut sender = hello_login(
        &url,
        SENDER,
        server.issue_token(SENDER, Duration::from_secs(3600))?,
    )
    .await?;
    // Where the messages go, and who receives every one (the rest: the digests).
    let (target, members, final_digest) = match mode {
        Mode::Thread => {
            let participants = PARTICIPANTS - 1;
            let thread =
                setup::set_up_thread(&server, &mut sender, &community, &channel, participants)
                    .await?;
            (thread, participants, true)
        }
        _ => (channel.clone(), n, false),
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_before = rss_kib();

    let exe = std::env::current_exe()?;
    let mut child = Command::new(exe)
        .args(["--child", "--url", &url, "--data-dir"])
        .arg(dir.path())
        .args(["--clients", &n.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut child_out = BufReader::new(child.stdout.take().ok_or("child stdout")?);
    let mut child_in = child.stdin.take().ok_or("child stdin")?;
    let ready = tokio::task::block_in_place(|| read_line(&mut child_out))?;
    let connect_ms: u64 = ready
        .strip_prefix("READY ")
        .ok_or_else(|| format!("child said {ready}"))?
        .trim()
        .parse()?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_after = rss_kib();
    let connections = server.connection_count();

    let messages = if args.rate == 0 {
        200 * args.seconds
    } else {
        args.rate * args.seconds
    };
    let final_digest = if final_digest { messages } else { 0 };
    writeln!(child_in, "GO {messages} {members} {final_digest}")?;
    child_in.flush()?;
    let cpu_before = cpu_us();
    let sending = send_messages(
        sender,
        &community,
        &target,
        messages,
        args.rate,
        args.window,
    )
    .await?;
    let result = tokio::task::block_in_place(|| read_line(&mut child_out))?;
    let server_cpu = cpu_us() - cpu_before;
    let _ = child.wait();
    server.shutdown().await;

    let stats = Stats::parse(&result).ok_or_else(|| format!("child said {result}"))?;
    let per_connection =
        (rss_after.saturating_sub(rss_before) as f64 * 1024.0) / connections.max(1) as f64;
    let rate = if args.rate == 0 {
        format!("max (window {})", args.window)
    } else {
        args.rate.to_string()
    };
    let window = stats
        .last_recv_us
        .saturating_sub(stats.first_sent_us)
        .max(1);
    let cpu_per_delivery = server_cpu as f64 / stats.deliveries.max(1) as f64;
    println!(
        "| {mode:?} | {n} | {rate} | {messages} | {:.0} | {:.2} | {:.1} ms | {:.1} ms | {:.1} ms | {:.2} KiB | {connect_ms} ms |",
        stats.deliveries as f64 * 1e6 / window as f64,
        cpu_per_delivery,
        stats.p50_us as f64 / 1000.0,
        stats.p99_us as f64 / 1000.0,
        stats.max_us as f64 / 1000.0,
        per_connection / 1024.0,
    );
    eprintln!(
        "  N={n}: {} of {} deliveries, {} clients cut off, sender {:.0} msg/s, RSS {} -> {} KiB over {connections} connections, server CPU {:.2} s, clients CPU {:.2} s",
        stats.deliveries,
        messages * members as u64,
        stats.cut_off,
        messages as f64 / sending.as_secs_f64(),
        rss_before,
        rss_after,
        server_cpu as f64 / 1e6,
        stats.cpu_us as f64 / 1e6,
    );
    if final_digest > 0 {
        eprintln!(
            "  N={n}: {} digests ({:.3} per session per second), at most {} within 1 s, shortest gap {:.0} ms, {} of {n} sessions got the last one",
            stats.digests,
            stats.digests as f64
                / n.max(1) as f64
                / (stats.last_digest_us.saturating_sub(stats.first_sent_us) as f64 / 1e6).max(1e-3),
            stats.max_digests_per_second,
            stats.min_digest_gap_us as f64 / 1_000.0,
            stats.final_digests,
        );
    }
    Ok(Measured {
        mode,
        per_delivery: cpu_per_delivery,
        cpu_us: server_cpu,
        clients: n,
        stats,
    })
}

/// The member who sends (not the owner, who would bypass every permission check).
const SENDER: &str = "sender";

fn read_line(reader: &mut impl BufRead) -> Result<String, BoxError> {
    let mut line = String::new();
    reader.read_line(&mut line)?;
    Ok(line.trim().to_owned())
}

/// Sends `count` messages at `rate` per second (0: back to back), at most `window` in
/// flight; returns how long sending took.
async fn send_messages(
    ws: Ws,
    community: &CommunityId,
    channel: &ChannelId,
    count: u64,
    rate: u64,
    window: usize,
) -> Result<Duration, BoxError> {
    let (mut sink, mut stream) = ws.split();
    let acked = Arc::new(AtomicU64::new(0));
    let reader = tokio::spawn({
        let acked = Arc::clone(&acked);
        async move {
            while let Ok(Some(Ok(message))) =
                tokio::time::timeout(Duration::from_secs(60), stream.next()).await
            {
                if let WsMessage::Text(text) = message
                    && text.as_str().starts_with(r#"{"type":"response""#)
                    && acked.fetch_add(1, Ordering::AcqRel) + 1 == count
                {
                    break;
                }
            }
        }
    });
    let start = Instant::now();
    let period = (rate > 0).then(|| Duration::from_secs_f64(1.0 / rate as f64));
    for i in 0..count {
        if let Some(period) = period {
            tokio::time::sleep_until((start + period * i as u32).into()).await;
        }
        while i - acked.load(Ordering::Acquire) >= window as u64 {
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        let request = Request::SendMessage(SendMessage {
            community_id: community.into(),
            channel_id: channel.into(),
            idempotency_key: format!("bench-{i}"),
            content: MessageContent::Text {
                text: format!("t={};", now_us()),
            },
            mentions: Mentions::default(),
            reply_to: None,
            priority: Priority::Normal,
            custom_data: String::new(),
            forward_of: None,
        });
        sink.send(WsMessage::text(codec::encode_client(
            &ClientFrame::Request {
                id: 1000 + i,
                request,
            },
        )?))
        .await?;
    }
    let elapsed = start.elapsed();
    let _ = tokio::time::timeout(Duration::from_secs(60), reader).await;
    Ok(elapsed)
}
