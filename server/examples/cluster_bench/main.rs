//! Several nodes against one (issue 15): fan-out and send acknowledgements of
//! `community-server` run as one node on SQLite, one node on PostgreSQL with its NATS
//! link, and two nodes on PostgreSQL linked through NATS with the subscribers split over
//! them — on the same machine, in the same run, with the same clients (a program, not a
//! test).
//!
//! Every node is a process of its own on 127.0.0.1 (the release binary next to this
//! program's directory), as are `nats-server` and PostgreSQL (a throwaway cluster,
//! `pg_test_cluster`: `fsync` and `synchronous_commit` off, as for the tests). The
//! clients are the cheap hand-written WebSocket clients of `fanout_vs_nats` (shared
//! through `#[path]`), all in this process. Two nodes share one token secret: each node
//! is started through a small wrapper script that adds `--database`, `--nats` and
//! `--secret-file` and links the shared secret into the node's data directory, so
//! `fanout_vs_nats`'s server handle issues tokens every node accepts. Every node runs with
//! `--limit large_community_members=1000000000`: the community stays small, every member
//! online gets every message whole (with the default, 1,000, a community of 1,000
//! subscribers and more would get channel activity instead, protocol §9.5).
//!
//! For each setup (`--setups`: `sqlite`, `pg1`, `pg2`) and each N of `--clients`:
//! a community with N subscribers online (with `pg2`: the first half on node A, the
//! other half on node B; the sender on node A, so half of the deliveries cross NATS),
//!
//! - **fixed rate**: `--rate` messages per second for `--seconds`: p50/p99 send →
//!   receive over all deliveries, acknowledgement p99;
//! - **throughput**: `--deliveries` / N messages as fast as `--window` unacknowledged
//!   sends allow: deliveries per second (all received / (last receive − first send)),
//!   the nodes' CPU per delivery (all nodes), NATS's CPU per message (PostgreSQL's is
//!   not counted).
//!
//! Then, per setup, **acknowledgements**: `--ack-rate` messages per second for
//! `--ack-seconds` into one channel with `--ack-clients` subscribers: ack p50/p99/max.
//!
//! Run (release):
//!
//! ```text
//! cargo build --release -p community-server --bin community-server --example cluster_bench
//! target/release/examples/cluster_bench --clients 1000,5000
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use community_server_domain::store::pg_test_cluster::{Durability, TestCluster};

#[allow(dead_code)]
#[path = "../fanout_vs_nats/load.rs"]
mod load;
#[allow(dead_code)]
#[path = "../fanout_vs_nats/ours.rs"]
mod ours;
#[allow(dead_code)]
#[path = "../shared/wire.rs"]
mod shared_wire;
#[allow(dead_code)]
#[path = "../fanout_vs_nats/wire.rs"]
mod wire;

use load::{Crowd, Load, Phase, Process, Stat, phase};

/// The name this bench gives in its `hello`.
const CLIENT_NAME: &str = "cluster-bench";

/// Any error of the bench.
type BoxError = shared_wire::BoxError;

#[derive(Debug, Parser)]
struct Args {
    /// Subscriber counts, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1000,5000")]
    clients: Vec<usize>,
    /// Setups: `sqlite` (one node), `pg1` (one node on PostgreSQL, NATS link up), `pg2`
    /// (two nodes on PostgreSQL linked through NATS, subscribers split).
    #[arg(long, value_delimiter = ',', default_value = "sqlite,pg1,pg2")]
    setups: Vec<String>,
    /// Deliveries per throughput run (messages = this / N).
    #[arg(long, default_value_t = 1_000_000)]
    deliveries: u64,
    /// Unacknowledged sends at most in the throughput run.
    #[arg(long, default_value_t = 32)]
    window: u64,
    /// Messages per second of the fixed-rate run.
    #[arg(long, default_value_t = 20)]
    rate: u64,
    /// Seconds of the fixed-rate run.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Messages per second of the acknowledgement run.
    #[arg(long, default_value_t = 200)]
    ack_rate: u64,
    /// Seconds of the acknowledgement run.
    #[arg(long, default_value_t = 10)]
    ack_seconds: u64,
    /// Subscribers of the acknowledgement run's channel.
    #[arg(long, default_value_t = 10)]
    ack_clients: usize,
    /// The `community-server` binary (default: next to this program's directory).
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// The `nats-server` binary.
    #[arg(long, default_value = "/usr/sbin/nats-server")]
    nats_bin: String,
    /// PostgreSQL with its defaults (`fsync`, `synchronous_commit`, `full_page_writes`
    /// on: a commit is answered after its WAL reaches the disk) instead of the tests'
    /// throwaway settings.
    #[arg(long)]
    pg_durable: bool,
}

/// One setup at one N.
struct Row {
    setup: String,
    clients: usize,
    fixed: Phase,
    throughput: Phase,
    /// All nodes' CPU per delivery in the throughput run, µs.
    nodes_cpu_us: f64,
    /// NATS's CPU per message in the throughput run, µs (one publish per message,
    /// delivered to each other node).
    nats_cpu_us: f64,
}

fn main() -> Result<(), BoxError> {
    let args = Args::parse();
    raise_open_files_limit();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
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
    let pg = if args.setups.iter().any(|s| s.starts_with("pg")) {
        let durability = if args.pg_durable {
            Durability::Durable
        } else {
            Durability::Throwaway
        };
        let cluster =
            tokio::task::spawn_blocking(move || TestCluster::start_with(durability)).await??;
        let cluster = cluster.ok_or("PostgreSQL is not installed (apt-get install postgresql)")?;
        // Never dropped: its watcher stops it and deletes its directory once this
        // process has ended.
        let cluster: &'static TestCluster = Box::leak(Box::new(cluster));
        Some(cluster)
    } else {
        None
    };
    let mut rows = Vec::new();
    let mut acks = Vec::new();
    for setup in &args.setups {
        for &n in &args.clients {
            let row = measure(&args, &bin, pg, setup, n).await?;
            print_row(&row);
            rows.push(row);
        }
        let ack = acknowledgements(&args, &bin, pg, setup).await?;
        eprintln!(
            "  {setup} acks at {}/s with {} subscribers: p50 {:.1} ms p99 {:.1} ms max {:.1} ms; \
             send→receive p99 {:.1} ms",
            args.ack_rate,
            args.ack_clients,
            ack.ack_p50_ms,
            ack.ack_p99_ms,
            ack.ack_max_ms,
            ack.p99_ms
        );
        acks.push((setup.clone(), ack));
    }
    summarize(&args, &rows, &acks);
    Ok(())
}

/// The nodes of one setup, their NATS server and the scratch files; everything stops on
/// drop.
struct Setup {
    nodes: Vec<Arc<ours::Server>>,
    nats: Option<Process>,
    _scratch: tempfile::TempDir,
}

impl Setup {
    async fn start(
        args: &Args,
        bin: &Path,
        pg: Option<&'static TestCluster>,
        setup: &str,
    ) -> Result<Setup, BoxError> {
        let scratch = tempfile::tempdir()?;
        let nodes = match setup {
            "sqlite" => 1,
            "pg1" => 1,
            "pg2" => 2,
            other => return Err(format!("unknown setup {other}").into()),
        };
        // Every community stays small (whole messages to every member online, as in
        // `fanout_vs_nats`; above `large_community_members`, 1,000 by default, members
        // would get channel activity instead, §9.5).
        let small = "--limit large_community_members=1000000000";
        if setup == "sqlite" {
            let wrapper = wrapper(
                scratch.path(),
                &format!("exec {} \"$@\" {small}", quote(&bin.display().to_string())),
            )?;
            let node = Arc::new(ours::start(&wrapper)?);
            return Ok(Setup {
                nodes: vec![node],
                nats: None,
                _scratch: scratch,
            });
        }
        let pg = pg.ok_or("no PostgreSQL")?;
        let database =
            tokio::task::spawn_blocking(move || pg.create_database().map(|name| pg.url(&name)))
                .await??;
        let (nats, nats_url) = start_nats(&args.nats_bin).await?;
        let secret = scratch.path().join("cluster.secret");
        community_server::issue_token_with_secret(&secret, "owner", Duration::from_secs(60))?;
        let wrapper = wrapper(
            scratch.path(),
            &format!(
                "[ \"$4\" = --data-dir ] || exit 2\n\
                 mkdir -p \"$5\" && ln -sf {secret} \"$5/server.secret\" || exit 2\n\
                 exec {bin} \"$@\" {small} --database {database} --nats {nats} --secret-file {secret}",
                secret = quote(&secret.display().to_string()),
                bin = quote(&bin.display().to_string()),
                database = quote(&database),
                nats = quote(&nats_url),
            ),
        )?;
        let mut started = Vec::new();
        for _ in 0..nodes {
            let node = Arc::new(ours::start(&wrapper)?);
            wait_healthy(&node.addr).await?;
            started.push(node);
        }
        Ok(Setup {
            nodes: started,
            nats: Some(nats),
            _scratch: scratch,
        })
    }

    /// Every node's CPU time so far, µs.
    fn nodes_cpu_us(&self) -> u64 {
        self.nodes.iter().map(|n| n.process.stat().cpu_us()).sum()
    }

    fn nats_cpu_us(&self) -> u64 {
        self.nats.as_ref().map_or(0, |p| p.stat().cpu_us())
    }

    /// A community of `n` subscribers (split over the nodes in contiguous halves) and a
    /// sender on the first node.
    async fn crowd(&self, n: usize) -> Result<(Crowd, ours::Sender), BoxError> {
        let mut members: Vec<String> = (0..n).map(|i| format!("u{i}")).collect();
        members.push("sender".into());
        let (community, channel) = self.nodes[0].community("A", &members).await?;
        let sample = Arc::new(std::sync::Mutex::new(String::new()));
        let mut crowd = Crowd::default();
        let share = n.div_ceil(self.nodes.len());
        for (node, users) in self.nodes.iter().zip(members[..n].chunks(share.max(1))) {
            node.subscribe(users, &mut crowd, &sample).await?;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        let sender = ours::Sender::new(&self.nodes[0], "sender", &community, &channel).await?;
        Ok((crowd, sender))
    }
}

async fn measure(
    args: &Args,
    bin: &Path,
    pg: Option<&'static TestCluster>,
    setup_name: &str,
    n: usize,
) -> Result<Row, BoxError> {
    let setup = Setup::start(args, bin, pg, setup_name).await?;
    let (crowd, mut sender) = setup.crowd(n).await?;
    let first: Stat = setup.nodes[0].process.stat();
    let members = n as u64;
    let warm = Load {
        messages: 5,
        rate: 0,
        window: 1,
    };
    phase(&crowd, members, &mut sender, &first, warm).await?;
    let fixed = Load {
        messages: args.rate * args.seconds,
        rate: args.rate,
        window: args.window,
    };
    let fixed = phase(&crowd, members, &mut sender, &first, fixed).await?;
    let (nodes_before, nats_before) = (setup.nodes_cpu_us(), setup.nats_cpu_us());
    let throughput = Load {
        messages: (args.deliveries / members.max(1)).max(20),
        rate: 0,
        window: args.window,
    };
    let throughput = phase(&crowd, members, &mut sender, &first, throughput).await?;
    let delivered = throughput.delivered.max(1) as f64;
    let nodes_cpu_us = setup.nodes_cpu_us().saturating_sub(nodes_before) as f64 / delivered;
    let nats_cpu_us =
        setup.nats_cpu_us().saturating_sub(nats_before) as f64 / throughput.messages.max(1) as f64;
    Ok(Row {
        setup: setup_name.to_owned(),
        clients: n,
        fixed,
        throughput,
        nodes_cpu_us,
        nats_cpu_us,
    })
}

async fn acknowledgements(
    args: &Args,
    bin: &Path,
    pg: Option<&'static TestCluster>,
    setup_name: &str,
) -> Result<Phase, BoxError> {
    let setup = Setup::start(args, bin, pg, setup_name).await?;
    let (crowd, mut sender) = setup.crowd(args.ack_clients).await?;
    let first = setup.nodes[0].process.stat();
    let members = args.ack_clients as u64;
    let warm = Load {
        messages: 20,
        rate: 0,
        window: 1,
    };
    phase(&crowd, members, &mut sender, &first, warm).await?;
    let load = Load {
        messages: args.ack_rate * args.ack_seconds,
        rate: args.ack_rate,
        window: args.window,
    };
    Ok(phase(&crowd, members, &mut sender, &first, load).await?)
}

/// Writes an executable `sh` script `node.sh` into `dir` that runs `body`; what
/// `fanout_vs_nats`'s `ours::start` runs as the server binary (it passes `serve --listen
/// 127.0.0.1:0 --data-dir DIR …`; the script adds flags and `exec`s the real binary, so
/// the process measured is the node itself).
fn wrapper(dir: &Path, body: &str) -> Result<PathBuf, BoxError> {
    let path = dir.join("node.sh");
    let mut script = std::fs::File::create(&path)?;
    writeln!(script, "#!/bin/sh\n{body}")?;
    drop(script);
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    Ok(path)
}

/// Starts `nats-server` on a free port of 127.0.0.1; its process and URL.
async fn start_nats(bin: &str) -> Result<(Process, String), BoxError> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = std::process::Command::new(bin)
        .args(["-a", "127.0.0.1", "-p", &port.to_string()])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let process = Process { child };
    for _ in 0..500 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok((process, format!("nats://127.0.0.1:{port}")));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Err("nats-server never listened".into())
}

/// Waits (at most 30 s) until the node's `/healthz` answers 200: database and NATS up.
async fn wait_healthy(addr: &str) -> Result<(), BoxError> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    for _ in 0..300 {
        if let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await {
            let request =
                format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
            let mut answer = Vec::new();
            if stream.write_all(request.as_bytes()).await.is_ok()
                && stream.read_to_end(&mut answer).await.is_ok()
                && answer.starts_with(b"HTTP/1.1 200")
            {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("node {addr} never became healthy").into())
}

/// Single-quotes `text` for `sh`.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

fn print_row(row: &Row) {
    let (f, t) = (&row.fixed, &row.throughput);
    eprintln!(
        "  {} N={}: {} msg at a fixed rate: {} of {} deliveries, p50 {:.1} ms p99 {:.1} ms, ack p99 {:.1} ms; \
         throughput {} of {} deliveries, {:.0}/s, p99 {:.1} ms, nodes {:.2} µs CPU/delivery, NATS {:.1} µs CPU/message",
        row.setup,
        row.clients,
        f.messages,
        f.delivered,
        f.expected,
        f.p50_ms,
        f.p99_ms,
        f.ack_p99_ms,
        t.delivered,
        t.expected,
        t.per_second,
        t.p99_ms,
        row.nodes_cpu_us,
        row.nats_cpu_us
    );
}

fn summarize(args: &Args, rows: &[Row], acks: &[(String, Phase)]) {
    println!(
        "\n| setup | N | deliveries/s | p99 (throughput) | nodes CPU µs/delivery | NATS CPU µs/message | p50 / p99 at {}/s | ack p99 at {}/s |",
        args.rate, args.rate
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        let (f, t) = (&row.fixed, &row.throughput);
        let complete = |p: &Phase| {
            if p.delivered == p.expected {
                ""
            } else {
                " (incomplete)"
            }
        };
        println!(
            "| {} | {} | {:.0}{} | {:.1} ms | {:.2} | {:.1} | {:.1} / {:.1} ms{} | {:.1} ms |",
            row.setup,
            row.clients,
            t.per_second,
            complete(t),
            t.p99_ms,
            row.nodes_cpu_us,
            row.nats_cpu_us,
            f.p50_ms,
            f.p99_ms,
            complete(f),
            f.ack_p99_ms
        );
    }
    println!(
        "\n| setup | acks at {}/s, {} subscribers: p50 | p99 | max | send→receive p99 |",
        args.ack_rate, args.ack_clients
    );
    println!("|---|---:|---:|---:|---:|");
    for (setup, ack) in acks {
        println!(
            "| {setup} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms |",
            ack.ack_p50_ms, ack.ack_p99_ms, ack.ack_max_ms, ack.p99_ms
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
