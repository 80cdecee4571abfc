//! Benchmark of presence and typing in `community-server` (a program, not a test).
//!
//! Built like `fanout_bench`: an in-process server with a temporary data directory, one
//! community with a channel `bench` and N invited members (plus a member `sender`); the
//! N clients run in a *child process* (this same program with `--child`), so the server's
//! CPU time (getrusage of this process) holds no client work. The child connects every
//! client, says `READY`, waits for `GO`, runs the mode's workload for `--seconds`, keeps
//! reading for `--drain` seconds more, and prints one `RESULT` line. Every request of a
//! mode — typings, presence changes, messages — is sent from the child, so the server's
//! CPU counts only serving.
//!
//! Modes (`--modes`, run in turn, `--repeat` times alternating):
//!
//! - `typing`: every member types in `bench` about every 3 s, like a real client
//!   (each client every 3,000–3,200 ms, starts spread over the first 3 s); every member
//!   reads. Reported: `typing` events per receiving session per second, the most one
//!   session got within any 1 s, and how many users an event carried.
//! - `messages`: the same members online; `sender` posts `--rate` text messages a second
//!   into `bench` (40 by default, the channel's limit), every member receives them.
//! - `presence`: the N members online, the first `--viewers` of them view the community
//!   (`view_community`); `--changes` members a second (1% of N: 50 of 5,000) change their
//!   status (online ↔ idle), each change delivered to every viewer.
//! - `presence-messages`: the same N online and viewers; `sender` posts at
//!   `changes × viewers / N` messages a second, so the deliveries per second match the
//!   `presence` mode's (each message goes to all N).
//!
//! The summary gives the medians of the server CPU per run and per delivery, and their
//! ratios (`typing` / `messages`, `presence` / `presence-messages`).
//!
//! Run (release!):
//!
//! ```text
//! cargo run --release -p community-server --example people_bench -- --modes typing,messages --clients 1000 --seconds 30
//! cargo run --release -p community-server --example people_bench -- --modes presence,presence-messages --clients 5000 --viewers 1000 --changes 50 --seconds 30
//! ```
//!
//! The open-files limit is raised to its hard limit by the program itself (check
//! `ulimit -Hn` ≥ N + 100).

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use clap::Parser;
use community_protocol::request::{CreateChannel, CreateCommunity, InviteMembers};
use community_protocol::{Request, Response, UserId};
use community_server::{RunningServer, ServerConfig};

mod client;

use client::Stats;

#[path = "../shared/wire.rs"]
mod wire;

use wire::{BoxError, Ws, cpu_us, hello_login, request, send_frame, user};

/// The name this bench gives in its `hello`.
const CLIENT_NAME: &str = "people-bench";

#[derive(Debug, Clone, Parser)]
struct Args {
    /// Modes to run, comma-separated: typing, messages, presence, presence-messages.
    #[arg(long, value_delimiter = ',', default_value = "typing,messages")]
    modes: Vec<Mode>,
    /// Members online.
    #[arg(long, default_value_t = 1000)]
    clients: usize,
    /// Seconds of load.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// Seconds of reading after the load (every mode gets the same).
    #[arg(long, default_value_t = 2)]
    drain: u64,
    /// Messages per second of the `messages` mode.
    #[arg(long, default_value_t = 40)]
    rate: u64,
    /// Members viewing the community in the presence modes.
    #[arg(long, default_value_t = 1000)]
    viewers: usize,
    /// Presence changes per second in the `presence` mode.
    #[arg(long, default_value_t = 50)]
    changes: u64,
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
    #[arg(long, hide = true, default_value = "")]
    community: String,
    #[arg(long, hide = true, default_value = "")]
    channel: String,
}

/// What a run loads the server with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Mode {
    /// Every member types in `bench` every ~3 s.
    Typing,
    /// `sender` posts `--rate` messages a second into `bench`.
    Messages,
    /// `--changes` presence changes a second, `--viewers` viewers.
    Presence,
    /// Messages at the presence mode's delivery rate.
    PresenceMessages,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Typing => "typing",
            Mode::Messages => "messages",
            Mode::Presence => "presence",
            Mode::PresenceMessages => "presence-messages",
        }
    }

    /// Messages a second `sender` posts in this mode.
    fn message_rate(self, args: &Args) -> u64 {
        match self {
            Mode::Messages => args.rate,
            Mode::PresenceMessages => {
                (args.changes * args.viewers as u64 / args.clients.max(1) as u64).max(1)
            }
            Mode::Typing | Mode::Presence => 0,
        }
    }
}

/// What one run measured.
struct Measured {
    mode: Mode,
    cpu_us: u64,
    stats: Stats,
}

impl Measured {
    /// Server CPU per delivered event (of the mode's kind), µs.
    fn per_delivery(&self) -> f64 {
        self.cpu_us as f64 / self.stats.deliveries.max(1) as f64
    }
}

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
        "| mode | clients | load | seconds | server CPU | deliveries | server CPU / delivery | events / session / s | most in 1 s (one session) | shortest gap | users per typing event | clients CPU |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let mut runs = Vec::new();
    for _ in 0..args.repeat.max(1) {
        for &mode in &args.modes {
            runs.push(runtime.block_on(measure(&args, mode))?);
        }
    }
    summarize(&runs);
    Ok(())
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied()
}

fn summarize(runs: &[Measured]) {
    let of = |mode: Mode, value: &dyn Fn(&Measured) -> f64| {
        median(runs.iter().filter(|r| r.mode == mode).map(value).collect())
    };
    let cpu_ms = |r: &Measured| r.cpu_us as f64 / 1_000.0;
    let per_delivery = |r: &Measured| r.per_delivery();
    if let (Some(typing), Some(messages)) = (of(Mode::Typing, &cpu_ms), of(Mode::Messages, &cpu_ms))
    {
        let most = runs
            .iter()
            .filter(|r| r.mode == Mode::Typing)
            .map(|r| r.stats.most_in_a_second)
            .max()
            .unwrap_or(0);
        eprintln!(
            "  median server CPU of a run: typing {typing:.0} ms, messages {messages:.0} ms, ratio {:.3}; most typing events one session got within 1 s: {most}",
            typing / messages
        );
    }
    if let (Some(presence), Some(messages)) = (
        of(Mode::Presence, &per_delivery),
        of(Mode::PresenceMessages, &per_delivery),
    ) {
        eprintln!(
            "  median server CPU per delivery: presence {presence:.2} µs, messages {messages:.2} µs, ratio {:.3}",
            presence / messages
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

/// The member who posts in the message modes.
const SENDER: &str = "sender";

fn read_line(reader: &mut impl BufRead) -> Result<String, BoxError> {
    let mut line = String::new();
    reader.read_line(&mut line)?;
    Ok(line.trim().to_owned())
}

async fn measure(args: &Args, mode: Mode) -> Result<Measured, BoxError> {
    let n = args.clients;
    let dir = tempfile::tempdir()?;
    let mut config = ServerConfig::new("127.0.0.1:0".parse()?, dir.path());
    config.limits.channel_messages_per_second = 1_000_000;
    config.limits.max_members_per_community = 0;
    config.heartbeat_interval = Duration::from_secs(600);
    let server = RunningServer::start(config).await?;
    let url = server.ws_url();
    let mut owner = hello_login(
        &url,
        "owner",
        server.issue_token("owner", Duration::from_secs(3600))?,
    )
    .await?;
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
    let mut users: Vec<UserId> = (0..n).map(|i| user(i).into()).collect();
    users.push(SENDER.into());
    for (i, batch) in users.chunks(100).enumerate() {
        let invite = Request::InviteMembers(InviteMembers {
            community_id: community.clone(),
            user_ids: batch.to_vec(),
        });
        request(&mut owner, 10 + i as u64, invite).await?;
    }
    // The owner stays connected (idle) until the run is over, so its going offline is
    // not part of what is measured.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let exe = std::env::current_exe()?;
    let mut child = Command::new(exe)
        .args(["--child", "--url", &url, "--data-dir"])
        .arg(dir.path())
        .args(["--modes", mode.name()])
        .args(["--clients", &n.to_string()])
        .args(["--seconds", &args.seconds.to_string()])
        .args(["--drain", &args.drain.to_string()])
        .args(["--rate", &mode.message_rate(args).to_string()])
        .args(["--viewers", &args.viewers.to_string()])
        .args(["--changes", &args.changes.to_string()])
        .args(["--community", community.as_str()])
        .args(["--channel", bench.channel_id.as_str()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut child_out = BufReader::new(child.stdout.take().ok_or("child stdout")?);
    let mut child_in = child.stdin.take().ok_or("child stdin")?;
    let ready = tokio::task::block_in_place(|| read_line(&mut child_out))?;
    if !ready.starts_with("READY") {
        return Err(format!("child said {ready}").into());
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let cpu_before = cpu_us();
    writeln!(child_in, "GO")?;
    child_in.flush()?;
    let result = tokio::task::block_in_place(|| read_line(&mut child_out))?;
    let cpu = cpu_us() - cpu_before;
    let _ = child.wait();
    drop(owner);
    server.shutdown().await;
    let stats = Stats::parse(&result).ok_or_else(|| format!("child said {result}"))?;
    let measured = Measured {
        mode,
        cpu_us: cpu,
        stats,
    };
    let load = match mode {
        Mode::Typing => format!("{n} typing every ~3 s"),
        Mode::Messages | Mode::PresenceMessages => {
            format!("{} msg/s", mode.message_rate(args))
        }
        Mode::Presence => format!("{} changes/s, {} viewers", args.changes, args.viewers),
    };
    let s = &measured.stats;
    let span = (args.seconds + args.drain) as f64;
    println!(
        "| {} | {n} | {load} | {} | {:.0} ms | {} | {:.2} µs | {:.3} | {} | {:.0} ms | {:.2} | {:.0} ms |",
        mode.name(),
        args.seconds,
        cpu as f64 / 1_000.0,
        s.deliveries,
        measured.per_delivery(),
        s.deliveries as f64 / s.receivers.max(1) as f64 / span,
        s.most_in_a_second,
        s.min_gap_us as f64 / 1_000.0,
        s.users_per_event(),
        s.cpu_us as f64 / 1_000.0,
    );
    eprintln!(
        "  {}: requests sent {}, refused {}, clients cut off {}, typing users delivered {}",
        mode.name(),
        s.requests,
        s.refused,
        s.cut_off,
        s.typing_users
    );
    Ok(measured)
}
