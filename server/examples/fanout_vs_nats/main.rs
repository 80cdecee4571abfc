//! Fan-out of `community-server` against `nats-server` on the same machine, in the same run,
//! with the same subscriber and message counts (a program, not a test; issue 14's P1, P2,
//! P3 and isolation figures).
//!
//! Both servers run as processes of their own on 127.0.0.1, so their CPU time
//! (`/proc/<pid>/stat` utime + stime) and memory (`VmRSS`) are measured apart from the
//! clients, which all live in this process and are equally cheap: hand-written WebSocket
//! and NATS text protocol clients that decode only the send time carried in each message
//! (`wire`). One community is one NATS subject. NATS gets the same payload as our event
//! frame (shape and size, captured from our run), so the clients do the same work per
//! delivery.
//!
//! For each N of `--clients`, for ours and then for NATS:
//!
//! - **P3** idle memory: (RSS after N logged-in / subscribed idle connections − RSS
//!   before) / N;
//! - **P2** (when N = `--p2-clients`): `--p2-rate` messages per second for
//!   `--p2-seconds`, p99 send → receive (ours: each send is acknowledged after its commit
//!   to the store; NATS: `PUB` then `PING`, acknowledged by the `PONG`, nothing stored);
//! - **P1**: `--deliveries` / N messages as fast as `--window` unacknowledged sends
//!   allow: deliveries per second (all received / (last receive − first send)) and server
//!   CPU per delivery.
//!
//! **Isolation** (N = `--isolation-clients`): one sender floods community A (N members
//! online; at each of `--isolation-flood-rates` messages per second, 0: as fast as the
//! window allows) while another sends `--isolation-rate` messages per second into
//! community B from a thread and runtime of its own;
//! the p99 of B's acknowledgements.
//!
//! Run (release; `tests/bench/fanout-vs-nats.sh` builds, installs nats-server if missing
//! and runs this):
//!
//! ```text
//! cargo build --release -p community-server --bin community-server --example fanout_vs_nats
//! target/release/examples/fanout_vs_nats --clients 1000,5000
//! ```

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;

mod load;
mod nats;
mod ours;
mod wire;

#[allow(dead_code)]
#[path = "../shared/wire.rs"]
mod shared_wire;

use load::{Crowd, Load, Phase, Process, Publish, Stat, phase};

/// The name this bench gives in its `hello`.
const CLIENT_NAME: &str = "fanout-vs-nats";

/// Any error of the bench.
type BoxError = shared_wire::BoxError;

#[derive(Debug, Parser)]
struct Args {
    /// Subscriber counts, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1000,5000")]
    clients: Vec<usize>,
    /// Deliveries per P1 run (messages = this / N).
    #[arg(long, default_value_t = 1_000_000)]
    deliveries: u64,
    /// Unacknowledged sends at most (P1 and the isolation flood).
    #[arg(long, default_value_t = 32)]
    window: u64,
    /// The N at which P2 is measured.
    #[arg(long, default_value_t = 5000)]
    p2_clients: usize,
    /// P2's messages per second.
    #[arg(long, default_value_t = 20)]
    p2_rate: u64,
    /// P2's seconds of sending.
    #[arg(long, default_value_t = 10)]
    p2_seconds: u64,
    /// Members of the flooded community in the isolation run (0: no isolation run).
    #[arg(long, default_value_t = 5000)]
    isolation_clients: usize,
    /// Messages per second of the flood (0: as fast as `--window` allows), one isolation
    /// run each.
    #[arg(long, value_delimiter = ',', default_value = "0,20")]
    isolation_flood_rates: Vec<u64>,
    /// Messages per second sent into the quiet community during the flood.
    #[arg(long, default_value_t = 50)]
    isolation_rate: u64,
    /// Seconds the quiet community sends during the flood.
    #[arg(long, default_value_t = 4)]
    isolation_seconds: u64,
    /// Which servers: `ours`, `nats`.
    #[arg(long, value_delimiter = ',', default_value = "ours,nats")]
    servers: Vec<String>,
    /// The `community-server` binary (default: next to this program's directory).
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// The `nats-server` binary.
    #[arg(long, default_value = "nats-server")]
    nats_bin: String,
    /// Nice value of the load's worker threads (the subscribers and the flood's reader;
    /// 0: unchanged). With e.g. 19 the servers and the quiet community's sender (threads of
    /// their own, left at the nice value this program started with) get the two cores
    /// first, as if the crowd ran on other machines: what the isolation figure is about.
    #[arg(long, default_value_t = 0)]
    crowd_nice: i32,
}

/// What one server did at one N.
struct Row {
    server: &'static str,
    clients: usize,
    idle_kib_per_connection: f64,
    p1: Phase,
    p2: Option<Phase>,
}

fn main() -> Result<(), BoxError> {
    let args = Args::parse();
    raise_open_files_limit();
    let crowd_nice = args.crowd_nice;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .on_thread_start(move || lower_priority(crowd_nice))
        .build()?;
    runtime.block_on(run(args))
}

async fn run(args: Args) -> Result<(), BoxError> {
    let bin = match &args.server_bin {
        Some(bin) => bin.clone(),
        None => std::env::current_exe()?
            .parent()
            .and_then(|examples| examples.parent())
            .ok_or("no directory")?
            .join("community-server"),
    };
    let want = |name: &str| args.servers.iter().any(|s| s == name);
    // The NATS payload: our event frame, once seen (else one of about its size).
    let sample = Arc::new(std::sync::Mutex::new(String::new()));
    let mut rows = Vec::new();
    for &n in &args.clients {
        if want("ours") {
            let row = run_ours(&args, &bin, n, &sample).await?;
            print_row(&row);
            rows.push(row);
        }
        if want("nats") {
            let row = run_nats(&args, n, &template(&sample)).await?;
            print_row(&row);
            rows.push(row);
        }
    }
    let mut isolation = Vec::new();
    for &rate in &args.isolation_flood_rates {
        if args.isolation_clients == 0 {
            break;
        }
        if want("ours") {
            isolation.push(("ours", rate, isolation_ours(&args, &bin, rate).await?));
        }
        if want("nats") {
            let template = template(&sample);
            isolation.push(("nats", rate, isolation_nats(&args, &template, rate).await?));
        }
    }
    summarize(&rows, &isolation);
    Ok(())
}

fn template(sample: &std::sync::Mutex<String>) -> String {
    let sample = sample.lock().unwrap_or_else(|e| e.into_inner()).clone();
    if sample.is_empty() {
        format!(
            r#"{{"type":"event","seq":1,"event":{{"text":"t={};","pad":"{}"}}}}"#,
            wire::now_us(),
            "x".repeat(300)
        )
    } else {
        sample
    }
}

fn users(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("u{i}")).collect()
}

async fn settle() {
    tokio::time::sleep(Duration::from_secs(1)).await;
}

fn per_connection_kib(process: &Process, before: u64, n: usize) -> f64 {
    process.rss_kib().saturating_sub(before) as f64 / n.max(1) as f64
}

async fn run_ours(
    args: &Args,
    bin: &std::path::Path,
    n: usize,
    sample: &Arc<std::sync::Mutex<String>>,
) -> Result<Row, BoxError> {
    let server = Arc::new(ours::start(bin)?);
    let mut members = users(n);
    members.push("sender".into());
    let (community, channel) = server.community("A", &members).await?;
    settle().await;
    let before = server.process.rss_kib();
    let mut crowd = Crowd::default();
    server.subscribe(&members[..n], &mut crowd, sample).await?;
    settle().await;
    let idle = per_connection_kib(&server.process, before, n);
    let mut sender = ours::Sender::new(&server, "sender", &community, &channel).await?;
    let p = &server.process.stat();
    let members = n as u64;
    phase(
        &crowd,
        members,
        &mut sender,
        p,
        Load {
            messages: 5,
            rate: 0,
            window: 1,
        },
    )
    .await?;
    let p2 = if n == args.p2_clients {
        let messages = args.p2_rate * args.p2_seconds;
        let measured = phase(
            &crowd,
            members,
            &mut sender,
            p,
            Load {
                messages,
                rate: args.p2_rate,
                window: args.window,
            },
        );
        Some(measured.await?)
    } else {
        None
    };
    let messages = (args.deliveries / members.max(1)).max(20);
    let p1 = phase(
        &crowd,
        members,
        &mut sender,
        p,
        Load {
            messages,
            rate: 0,
            window: args.window,
        },
    )
    .await?;
    Ok(Row {
        server: "ours",
        clients: n,
        idle_kib_per_connection: idle,
        p1,
        p2,
    })
}

async fn run_nats(args: &Args, n: usize, template: &str) -> Result<Row, BoxError> {
    let server = nats::start(&args.nats_bin).await?;
    settle().await;
    let before = server.process.rss_kib();
    let mut crowd = Crowd::default();
    server.subscribe("community.A", n, &mut crowd).await?;
    settle().await;
    let idle = per_connection_kib(&server.process, before, n);
    let mut publisher = nats::Publisher::new(&server.addr, "community.A", template).await?;
    let p = &server.process.stat();
    let members = n as u64;
    phase(
        &crowd,
        members,
        &mut publisher,
        p,
        Load {
            messages: 5,
            rate: 0,
            window: 1,
        },
    )
    .await?;
    let p2 = if n == args.p2_clients {
        let messages = args.p2_rate * args.p2_seconds;
        let measured = phase(
            &crowd,
            members,
            &mut publisher,
            p,
            Load {
                messages,
                rate: args.p2_rate,
                window: args.window,
            },
        );
        Some(measured.await?)
    } else {
        None
    };
    let messages = (args.deliveries / members.max(1)).max(20);
    let p1 = phase(
        &crowd,
        members,
        &mut publisher,
        p,
        Load {
            messages,
            rate: 0,
            window: args.window,
        },
    )
    .await?;
    Ok(Row {
        server: "nats",
        clients: n,
        idle_kib_per_connection: idle,
        p1,
        p2,
    })
}

/// What the isolation run measured: the quiet community's acks and the flood's rate.
struct Isolation {
    quiet: Phase,
    flood: Phase,
    /// True when the flood lasted longer than the quiet community's sending.
    overlapped: bool,
}

/// Messages of the flood at `rate`: enough to outlast the quiet community's sending.
fn flood_messages(args: &Args, rate: u64) -> u64 {
    if rate == 0 {
        (args.deliveries * 4 / args.isolation_clients.max(1) as u64).max(100)
    } else {
        rate * (args.isolation_seconds + 2)
    }
}

async fn isolation_ours(
    args: &Args,
    bin: &std::path::Path,
    rate: u64,
) -> Result<Isolation, BoxError> {
    let n = args.isolation_clients;
    let server = Arc::new(ours::start(bin)?);
    let mut members = users(n);
    members.push("sender".into());
    let (a, a_channel) = server.community("A", &members).await?;
    let (b, b_channel) = server.community("B", &["quiet".to_owned()]).await?;
    let mut crowd = Crowd::default();
    let sample = Arc::new(std::sync::Mutex::new(String::new()));
    server.subscribe(&members[..n], &mut crowd, &sample).await?;
    let mut flood = ours::Sender::new(&server, "sender", &a, &a_channel).await?;
    let quiet = {
        let server = Arc::clone(&server);
        move || async move { ours::Sender::new(&server, "quiet", &b, &b_channel).await }
    };
    let stat = server.process.stat();
    isolation(args, rate, &crowd, &mut flood, stat, quiet).await
}

async fn isolation_nats(args: &Args, template: &str, rate: u64) -> Result<Isolation, BoxError> {
    let n = args.isolation_clients;
    let server = nats::start(&args.nats_bin).await?;
    let mut crowd = Crowd::default();
    server.subscribe("community.A", n, &mut crowd).await?;
    let mut flood = nats::Publisher::new(&server.addr, "community.A", template).await?;
    let quiet = {
        let (addr, template) = (server.addr.clone(), template.to_owned());
        move || async move { nats::Publisher::new(&addr, "community.B", &template).await }
    };
    let stat = server.process.stat();
    isolation(args, rate, &crowd, &mut flood, stat, quiet).await
}

/// Floods community A through `flood` while the quiet community's publisher (made by
/// `quiet`) sends at `--isolation-rate` on a thread and runtime of its own, so that its
/// acknowledgements are read at once, not behind thousands of subscriber tasks.
async fn isolation<P, Q, F>(
    args: &Args,
    flood_rate: u64,
    crowd: &Crowd,
    flood: &mut impl Publish,
    stat: Stat,
    quiet: Q,
) -> Result<Isolation, BoxError>
where
    P: Publish,
    Q: FnOnce() -> F + Send + 'static,
    F: Future<Output = Result<P, BoxError>>,
{
    let load = Load {
        messages: args.isolation_rate * args.isolation_seconds,
        rate: args.isolation_rate,
        window: args.window,
    };
    let (ready, is_ready) = std::sync::mpsc::channel();
    let (go, started) = std::sync::mpsc::channel::<()>();
    let thread = std::thread::spawn(move || -> Result<(Phase, Instant), String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        runtime.block_on(async move {
            let mut publisher = quiet().await.map_err(|e| e.to_string())?;
            let _ = ready.send(());
            started.recv().map_err(|e| e.to_string())?;
            tokio::time::sleep(Duration::from_millis(500)).await;
            let measured = phase(&Crowd::default(), 0, &mut publisher, &stat, load)
                .await
                .map_err(|e| e.to_string())?;
            Ok((measured, Instant::now()))
        })
    });
    tokio::task::block_in_place(|| is_ready.recv_timeout(Duration::from_secs(60)))?;
    settle().await;
    go.send(())?;
    let flood_load = Load {
        messages: flood_messages(args, flood_rate),
        rate: flood_rate,
        window: args.window,
    };
    let flood = phase(
        crowd,
        args.isolation_clients as u64,
        flood,
        &stat,
        flood_load,
    )
    .await?;
    let flood_end = Instant::now();
    let (quiet, quiet_end) = tokio::task::block_in_place(|| thread.join())
        .map_err(|_| "the quiet sender panicked")??;
    Ok(Isolation {
        quiet,
        flood,
        overlapped: flood_end > quiet_end,
    })
}

/// Lowers the calling thread's scheduling priority to `nice` (Linux: a nice value is per
/// thread). Only worker threads call it: the main thread, which starts the servers and the
/// quiet sender's thread, keeps its own, so they inherit that.
fn lower_priority(nice: i32) {
    if nice == 0 {
        return;
    }
    // SAFETY: setpriority reads no memory of ours; `who` 0 is the calling thread on Linux.
    let result = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, nice) };
    if result != 0 {
        eprintln!(
            "could not set nice {nice}: {}",
            std::io::Error::last_os_error()
        );
    }
}

fn print_row(row: &Row) {
    let p1 = &row.p1;
    eprintln!(
        "  {} N={}: P1 {} of {} deliveries, {:.0}/s, {:.2} µs CPU/delivery ({:.2} s), p50 {:.1} ms p99 {:.1} ms; idle {:.2} KiB/connection",
        row.server,
        row.clients,
        p1.delivered,
        p1.expected,
        p1.per_second,
        p1.cpu_us_per_delivery,
        p1.server_cpu_s,
        p1.p50_ms,
        p1.p99_ms,
        row.idle_kib_per_connection
    );
    if let Some(p2) = &row.p2 {
        eprintln!(
            "  {} N={}: P2 {} msg at {:.0}/s deliveries, {} of {}, p50 {:.1} ms p99 {:.1} ms max {:.1} ms, ack p99 {:.1} ms, {:.2} µs CPU/delivery",
            row.server,
            row.clients,
            p2.messages,
            p2.per_second,
            p2.delivered,
            p2.expected,
            p2.p50_ms,
            p2.p99_ms,
            p2.max_ms,
            p2.ack_p99_ms,
            p2.cpu_us_per_delivery
        );
    }
}

fn summarize(rows: &[Row], isolation: &[(&str, u64, Isolation)]) {
    println!("| figure | N | ours | nats-server | ours / nats |\n| --- | --- | --- | --- | --- |");
    let find = |server: &str, n: usize| rows.iter().find(|r| r.server == server && r.clients == n);
    let mut ns: Vec<usize> = rows.iter().map(|r| r.clients).collect();
    ns.dedup();
    let line = |name: &str, n: usize, ours: Option<f64>, nats: Option<f64>, unit: &str| {
        let show = |v: Option<f64>| v.map_or("—".to_owned(), |v| format!("{v:.2}{unit}"));
        let ratio = match (ours, nats) {
            (Some(o), Some(t)) if t > 0.0 => format!("{:.2}×", o / t),
            _ => "—".to_owned(),
        };
        println!(
            "| {name} | {n} | {} | {} | {ratio} |",
            show(ours),
            show(nats)
        );
    };
    for &n in &ns {
        let (o, t) = (find("ours", n), find("nats", n));
        let k = |r: Option<&Row>, f: &dyn Fn(&Row) -> f64| r.map(f);
        line(
            "P1 deliveries/s (thousands)",
            n,
            k(o, &|r| r.p1.per_second / 1e3),
            k(t, &|r| r.p1.per_second / 1e3),
            "k",
        );
        line(
            "P1 server CPU per delivery",
            n,
            k(o, &|r| r.p1.cpu_us_per_delivery),
            k(t, &|r| r.p1.cpu_us_per_delivery),
            " µs",
        );
        line(
            "P1 p99 send → receive",
            n,
            k(o, &|r| r.p1.p99_ms),
            k(t, &|r| r.p1.p99_ms),
            " ms",
        );
        let p2 = |r: Option<&Row>, f: &dyn Fn(&Phase) -> f64| r.and_then(|r| r.p2.as_ref()).map(f);
        if o.is_some_and(|r| r.p2.is_some()) || t.is_some_and(|r| r.p2.is_some()) {
            line(
                "P2 p99 send → receive",
                n,
                p2(o, &|p| p.p99_ms),
                p2(t, &|p| p.p99_ms),
                " ms",
            );
            line(
                "P2 p50 send → receive",
                n,
                p2(o, &|p| p.p50_ms),
                p2(t, &|p| p.p50_ms),
                " ms",
            );
        }
        line(
            "P3 idle memory per connection",
            n,
            k(o, &|r| r.idle_kib_per_connection),
            k(t, &|r| r.idle_kib_per_connection),
            " KiB",
        );
    }
    let mut rates: Vec<u64> = isolation.iter().map(|(_, rate, _)| *rate).collect();
    rates.dedup();
    for rate in rates {
        let get = |name: &str| {
            isolation
                .iter()
                .find(|(s, r, _)| *s == name && *r == rate)
                .map(|(_, _, i)| i)
        };
        let (o, t) = (get("ours"), get("nats"));
        let n = isolation_n(o.or(t));
        let flood = if rate == 0 {
            "max".to_owned()
        } else {
            format!("{rate} msg/s")
        };
        line(
            &format!("Isolation (A floods at {flood}): p99 ack in B"),
            n,
            o.map(|i| i.quiet.ack_p99_ms),
            t.map(|i| i.quiet.ack_p99_ms),
            " ms",
        );
        line(
            &format!("Isolation (A floods at {flood}): p50 ack in B"),
            n,
            o.map(|i| i.quiet.ack_p50_ms),
            t.map(|i| i.quiet.ack_p50_ms),
            " ms",
        );
        line(
            &format!("Isolation (A floods at {flood}): A's deliveries/s (thousands)"),
            n,
            o.map(|i| i.flood.per_second / 1e3),
            t.map(|i| i.flood.per_second / 1e3),
            "k",
        );
    }
    for (server, rate, i) in isolation {
        eprintln!(
            "  {server} isolation (flood rate {rate}): B acks p50 {:.2} ms p99 {:.2} ms max {:.2} ms over {} sends; flood {} of {} deliveries; flood outlasted B's sending: {}",
            i.quiet.ack_p50_ms,
            i.quiet.ack_p99_ms,
            i.quiet.ack_max_ms,
            i.quiet.messages,
            i.flood.delivered,
            i.flood.expected,
            i.overlapped
        );
    }
}

fn isolation_n(i: Option<&Isolation>) -> usize {
    i.map_or(0, |i| (i.flood.expected / i.flood.messages.max(1)) as usize)
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
