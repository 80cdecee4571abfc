//! Before-send benchmark of `community-server` (a program, not a test): what the content
//! check costs the sender, and that a hanging check delays only the messages it is asked
//! about.
//!
//! It starts a webhook receiver (axum, in this process) that answers `allow` after
//! `--hook-ms` (5 ms), and for messages containing the marker `HANG` only after 10 s, and
//! an in-process server with a temporary data directory whose `before_send_url` points at
//! it (`before_send_timeout` 500 ms, default `allow`). `--senders` members (10) send text
//! messages into one channel at `--rate` messages per second in total (200), each on its
//! own connection, for `--seconds` (20); the time from sending a `send_message` to reading
//! its `message_sent` is the acknowledgement latency. Three runs:
//!
//! - `no hook`: the same load without a check (the baseline);
//! - `hook 5 ms`: every message is checked;
//! - `hook + hanging`: as above, and one more member sends a `HANG` message into the same
//!   channel every 500 ms: each waits the 500 ms timeout, the others should not notice;
//! - `events only`: no check, but `events_url` set (answered at once): what writing each
//!   message's after-event to `webhooks.db` costs the sender.
//!
//! Run (release!):
//!
//! ```text
//! cargo run --release -p community-server --example before_send_bench
//! ```

use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use clap::Parser;
use community_protocol::request::{CreateCommunity, JoinCommunity, SendMessage};
use community_protocol::{
    ChannelId, ClientFrame, CommunityId, Mentions, MessageContent, Priority, Request, Response,
};
use community_server::webhooks::HookUrl;
use community_server::{RunningServer, ServerConfig};

// Shared by the benches; this one uses no CPU time and no numbered users.
#[allow(dead_code)]
#[path = "../shared/wire.rs"]
mod wire;

use wire::{BoxError, Ws, hello_login, request, response, send_frame};

/// The name this bench gives in its `hello`.
const CLIENT_NAME: &str = "before-send-bench";

/// The text that makes the receiver hang.
const MARKER: &str = "HANG";

#[derive(Debug, Parser)]
struct Args {
    /// Messages per second, over all senders.
    #[arg(long, default_value_t = 200)]
    rate: u64,
    /// Sending connections.
    #[arg(long, default_value_t = 10)]
    senders: usize,
    /// Seconds of sending per run.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// How long the hook takes to answer, in milliseconds.
    #[arg(long, default_value_t = 5)]
    hook_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Run {
    NoHook,
    Hook,
    Hanging,
    Events,
}

impl Run {
    fn name(self) -> &'static str {
        match self {
            Run::NoHook => "no hook",
            Run::Hook => "hook",
            Run::Hanging => "hook + hanging",
            Run::Events => "events only",
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args = Args::parse();
    let hook = start_receiver(Duration::from_millis(args.hook_ms)).await?;
    println!(
        "before-send bench: {} msg/s over {} senders into one channel, {} s per run, hook answers after {} ms",
        args.rate, args.senders, args.seconds, args.hook_ms
    );
    println!(
        "{:<16} {:>8} {:>9} {:>9} {:>9} | {:>7} {:>9} {:>9}",
        "run", "acks", "p50 ms", "p99 ms", "max ms", "hanging", "p50 ms", "max ms"
    );
    for run in [Run::NoHook, Run::Hook, Run::Hanging, Run::Events] {
        let (others, hanging) = measure(&args, run, &hook).await?;
        let (p50, p99, max) = summary(&others);
        let (h50, _, hmax) = summary(&hanging);
        println!(
            "{:<16} {:>8} {:>9.2} {:>9.2} {:>9.2} | {:>7} {:>9.1} {:>9.1}",
            run.name(),
            others.len(),
            p50,
            p99,
            max,
            hanging.len(),
            h50,
            hmax
        );
    }
    Ok(())
}

/// p50, p99 and max in milliseconds.
fn summary(latencies: &[Duration]) -> (f64, f64, f64) {
    if latencies.is_empty() {
        return (0.0, 0.0, 0.0);
    }
    let mut sorted = latencies.to_vec();
    sorted.sort();
    let at = |q: f64| {
        let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
        sorted[index].as_secs_f64() * 1000.0
    };
    (at(0.5), at(0.99), at(1.0))
}

/// The receiver: `allow` after `delay`, or after 10 s for a message with the marker.
async fn start_receiver(delay: Duration) -> Result<String, BoxError> {
    let app = Router::new()
        .route(
            "/events",
            axum::routing::post(|| async { axum::Json(serde_json::json!({})) }),
        )
        .fallback(move |body: Bytes| async move {
            let hang = std::str::from_utf8(&body).is_ok_and(|text| text.contains(MARKER));
            tokio::time::sleep(if hang { Duration::from_secs(10) } else { delay }).await;
            axum::Json(serde_json::json!({"action": "allow"}))
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/check", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(url)
}

/// One run: the acknowledgement latencies of the ordinary messages and of the hanging
/// ones.
async fn measure(
    args: &Args,
    run: Run,
    hook: &str,
) -> Result<(Vec<Duration>, Vec<Duration>), BoxError> {
    let dir = tempfile::tempdir()?;
    let mut config = ServerConfig::new("127.0.0.1:0".parse()?, dir.path());
    config.limits.channel_messages_per_second = 100_000;
    config.webhooks.secret = Some("bench".into());
    match run {
        Run::NoHook => {}
        Run::Hook | Run::Hanging => config.webhooks.before_send_url = Some(HookUrl::parse(hook)?),
        Run::Events => {
            config.webhooks.events_url = Some(HookUrl::parse(&hook.replace("/check", "/events"))?)
        }
    }
    let server = RunningServer::start(config).await?;
    let url = server.ws_url();
    let token = |user: &str| server.issue_token(user, Duration::from_secs(3600));
    let mut owner = hello_login(&url, "owner", token("owner")?).await?;
    let create = Request::CreateCommunity(CreateCommunity {
        name: "Bench".into(),
        system_messages: Some(false),
        ..Default::default()
    });
    let Response::Community(snapshot) = request(&mut owner, 2, create).await? else {
        return Err("no community".into());
    };
    let community = snapshot.info.community_id;
    let channel = snapshot.info.default_channel_id;
    let period = Duration::from_secs_f64(args.senders as f64 / args.rate as f64);
    let mut tasks = Vec::new();
    for i in 0..args.senders {
        let ws = member(&url, &format!("s{i}"), token(&format!("s{i}"))?, &community).await?;
        tasks.push(tokio::spawn(sender(
            ws,
            (community.clone(), channel.clone()),
            format!("s{i}"),
            period,
            args.seconds,
            "",
        )));
    }
    let hanging = if run == Run::Hanging {
        let ws = member(&url, "hanger", token("hanger")?, &community).await?;
        Some(tokio::spawn(sender(
            ws,
            (community.clone(), channel.clone()),
            "hanger".into(),
            Duration::from_millis(500),
            args.seconds,
            MARKER,
        )))
    } else {
        None
    };
    let mut others = Vec::new();
    for task in tasks {
        others.extend(task.await??);
    }
    let hanging = match hanging {
        Some(task) => task.await??,
        None => Vec::new(),
    };
    if run == Run::Events {
        // The feed sends one event at a time per community: did it keep up?
        let queue = community_server::webhooks::queue::EventQueue::open(dir.path())?;
        let end = Instant::now();
        let mut pending = queue.pending()?;
        while pending > 0 && end.elapsed() < Duration::from_secs(30) {
            tokio::time::sleep(Duration::from_millis(10)).await;
            pending = queue.pending()?;
        }
        println!(
            "  events queued when sending stopped drained in {:.0} ms ({pending} left)",
            end.elapsed().as_secs_f64() * 1000.0
        );
    }
    server.shutdown().await;
    Ok((others, hanging))
}

/// A member of `community`, logged in.
async fn member(
    url: &str,
    user: &str,
    token: String,
    community: &CommunityId,
) -> Result<Ws, BoxError> {
    let mut ws = hello_login(url, user, token).await?;
    let join = Request::JoinCommunity(JoinCommunity {
        community_id: community.clone(),
        message: String::new(),
    });
    request(&mut ws, 2, join).await?;
    Ok(ws)
}

/// Sends one message every `period` for `seconds` (one in flight at a time, as the
/// server handles a connection's requests), and returns each acknowledgement latency.
async fn sender(
    mut ws: Ws,
    (community, channel): (CommunityId, ChannelId),
    name: String,
    period: Duration,
    seconds: u64,
    marker: &'static str,
) -> Result<Vec<Duration>, BoxError> {
    let stop = Instant::now() + Duration::from_secs(seconds);
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut latencies = Vec::new();
    let mut id = 10;
    while Instant::now() < stop {
        ticks.tick().await;
        id += 1;
        let message = Request::SendMessage(SendMessage {
            community_id: community.clone(),
            channel_id: channel.clone(),
            idempotency_key: format!("{name}-{id}"),
            content: MessageContent::Text {
                text: format!("{marker} message {id} from {name}"),
            },
            mentions: Mentions::default(),
            reply_to: None,
            priority: Priority::Normal,
            custom_data: String::new(),
            forward_of: None,
        });
        let sent = Instant::now();
        send_frame(
            &mut ws,
            &ClientFrame::Request {
                id,
                request: message,
            },
        )
        .await?;
        let Response::MessageSent(_) = response(&mut ws, id).await? else {
            return Err("unexpected answer".into());
        };
        latencies.push(sent.elapsed());
    }
    Ok(latencies)
}
