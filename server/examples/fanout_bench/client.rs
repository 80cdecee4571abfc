//! The client process of the benchmark: connects N clients, says `READY`, waits for
//! `GO <messages> <members> <final_digest>`, then every client reads until it has what it
//! is owed — the first `members` clients every message, and every client (when
//! `final_digest` > 0) the thread digest counting `final_digest` messages — and the
//! process prints one `RESULT` line: deliveries, latencies, and the digests' pacing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::{Args, BoxError, Ws, cpu_us, hello_login, now_us, read_line, user};

/// What the parent asks the clients to wait for.
#[derive(Debug, Clone, Copy)]
struct Plan {
    /// Messages sent.
    messages: u64,
    /// Clients `0..members` receive every message.
    members: usize,
    /// Every client waits for a thread digest with this message count (0: none).
    final_digest: u64,
}

/// The figures the client process reports.
pub struct Stats {
    pub deliveries: u64,
    pub first_sent_us: u64,
    pub last_recv_us: u64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
    pub cut_off: u64,
    pub cpu_us: u64,
    /// Thread digests received by all clients.
    pub digests: u64,
    /// The most digests one client received within any 1 s.
    pub max_digests_per_second: u64,
    /// The shortest time between two digests of one client, in µs (0: fewer than two).
    pub min_digest_gap_us: u64,
    /// Clients that received the final digest.
    pub final_digests: u64,
    /// When the last digest arrived (µs since the epoch; 0: none).
    pub last_digest_us: u64,
}

impl Stats {
    fn format(&self) -> String {
        format!(
            "RESULT {} {} {} {} {} {} {} {} {} {} {} {} {}",
            self.deliveries,
            self.first_sent_us,
            self.last_recv_us,
            self.p50_us,
            self.p99_us,
            self.max_us,
            self.cut_off,
            self.cpu_us,
            self.digests,
            self.max_digests_per_second,
            self.min_digest_gap_us,
            self.final_digests,
            self.last_digest_us,
        )
    }

    /// Reads a `RESULT` line.
    pub fn parse(line: &str) -> Option<Stats> {
        let v: Vec<u64> = line
            .strip_prefix("RESULT ")?
            .split(' ')
            .filter_map(|x| x.parse().ok())
            .collect();
        let [
            deliveries,
            first_sent_us,
            last_recv_us,
            p50_us,
            p99_us,
            max_us,
            cut_off,
            cpu_us,
            digests,
            max_digests_per_second,
            min_digest_gap_us,
            final_digests,
            last_digest_us,
        ] = v[..]
        else {
            return None;
        };
        Some(Stats {
            deliveries,
            first_sent_us,
            last_recv_us,
            p50_us,
            p99_us,
            max_us,
            cut_off,
            cpu_us,
            digests,
            max_digests_per_second,
            min_digest_gap_us,
            final_digests,
            last_digest_us,
        })
    }
}

/// One receiving client's outcome.
#[derive(Default)]
struct Received {
    latencies_us: Vec<u32>,
    first_sent_us: u64,
    last_recv_us: u64,
    cut_off: bool,
    /// When each digest arrived.
    digests: Vec<Instant>,
    /// When the last one arrived, µs since the epoch.
    last_digest_us: u64,
    final_digest: bool,
}

impl Received {
    /// The most digests within any 1 s, and the shortest gap between two.
    fn digest_pacing(&self) -> (u64, u64) {
        let second = Duration::from_secs(1);
        let mut most = 0;
        let mut start = 0;
        for end in 0..self.digests.len() {
            while self.digests[end] - self.digests[start] >= second {
                start += 1;
            }
            most = most.max(end - start + 1);
        }
        let gap = self
            .digests
            .windows(2)
            .map(|w| (w[1] - w[0]).as_micros() as u64)
            .min()
            .unwrap_or(0);
        (most as u64, gap)
    }
}

/// Runs the client process.
pub async fn child(args: Args) -> Result<(), BoxError> {
    let n = args.clients.first().copied().unwrap_or(0);
    let data_dir = std::path::PathBuf::from(&args.data_dir);
    let started = Instant::now();
    let gate = Arc::new(tokio::sync::Semaphore::new(64));
    let mut logins = Vec::with_capacity(n);
    for i in 0..n {
        let token = community_server::issue_token(&data_dir, &user(i), Duration::from_secs(3600))?;
        let (url, gate) = (args.url.clone(), Arc::clone(&gate));
        logins.push(tokio::spawn(async move {
            let _permit = gate.acquire().await?;
            hello_login(&url, &user(i), token).await
        }));
    }
    let mut clients = Vec::with_capacity(n);
    for login in logins {
        clients.push(login.await??);
    }
    println!("READY {}", started.elapsed().as_millis());
    let go = tokio::task::spawn_blocking(|| read_line(&mut std::io::stdin().lock())).await??;
    let numbers: Vec<u64> = go
        .strip_prefix("GO ")
        .ok_or("expected GO")?
        .split(' ')
        .filter_map(|x| x.parse().ok())
        .collect();
    let [messages, members, final_digest] = numbers[..] else {
        return Err(format!("bad GO line {go}").into());
    };
    let plan = Plan {
        messages,
        members: members as usize,
        final_digest,
    };
    let cpu_before = cpu_us();
    let tasks: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(i, ws)| tokio::spawn(receive(ws, i, plan)))
        .collect();
    let mut all = Vec::new();
    let mut stats = Stats {
        deliveries: 0,
        first_sent_us: u64::MAX,
        last_recv_us: 0,
        p50_us: 0,
        p99_us: 0,
        max_us: 0,
        cut_off: 0,
        cpu_us: 0,
        digests: 0,
        max_digests_per_second: 0,
        min_digest_gap_us: u64::MAX,
        final_digests: 0,
        last_digest_us: 0,
    };
    for task in tasks {
        let received = task.await?;
        stats.first_sent_us = stats.first_sent_us.min(received.first_sent_us);
        stats.last_recv_us = stats.last_recv_us.max(received.last_recv_us);
        stats.cut_off += u64::from(received.cut_off);
        stats.digests += received.digests.len() as u64;
        stats.final_digests += u64::from(received.final_digest);
        stats.last_digest_us = stats.last_digest_us.max(received.last_digest_us);
        let (most, gap) = received.digest_pacing();
        stats.max_digests_per_second = stats.max_digests_per_second.max(most);
        if received.digests.len() > 1 {
            stats.min_digest_gap_us = stats.min_digest_gap_us.min(gap);
        }
        all.extend(received.latencies_us);
    }
    if stats.min_digest_gap_us == u64::MAX {
        stats.min_digest_gap_us = 0;
    }
    stats.cpu_us = cpu_us() - cpu_before;
    all.sort_unstable();
    stats.deliveries = all.len() as u64;
    let at = |q: f64| {
        all.get(((all.len() as f64 * q) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0) as u64
    };
    (stats.p50_us, stats.p99_us, stats.max_us) =
        (at(0.5), at(0.99), all.last().copied().unwrap_or(0) as u64);
    println!("{}", stats.format());
    Ok(())
}

/// The `message_count` of a `thread_digest` event's text (a cheap scan, no parsing).
fn digest_count(text: &str) -> Option<u64> {
    let rest = text.split("\"message_count\":").nth(1)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Reads events until the client has what `plan` owes it (or a goodbye, or 60 s of
/// silence).
async fn receive(mut ws: Ws, index: usize, plan: Plan) -> Received {
    let mut received = Received {
        first_sent_us: u64::MAX,
        ..Default::default()
    };
    let expected = if index < plan.members {
        plan.messages
    } else {
        0
    };
    while (received.latencies_us.len() as u64) < expected
        || (plan.final_digest > 0 && !received.final_digest)
    {
        let Ok(Some(Ok(message))) = tokio::time::timeout(Duration::from_secs(60), ws.next()).await
        else {
            break;
        };
        let WsMessage::Text(text) = message else {
            continue;
        };
        let text = text.as_str();
        if text.contains(r#""type":"goodbye""#) {
            received.cut_off = true;
            break;
        }
        if text.contains(r#""kind":"thread_digest""#) {
            received.digests.push(Instant::now());
            received.last_digest_us = now_us();
            if digest_count(text) == Some(plan.final_digest) {
                received.final_digest = true;
            }
            continue;
        }
        // Cheap parse: the body carries "t=<micros>;".
        let Some(sent) = text
            .split("t=")
            .nth(1)
            .and_then(|rest| rest.split(';').next())
            .and_then(|t| t.parse::<u64>().ok())
        else {
            continue;
        };
        let now = now_us();
        received
            .latencies_us
            .push(now.saturating_sub(sent).min(u32::MAX as u64) as u32);
        received.first_sent_us = received.first_sent_us.min(sent);
        received.last_recv_us = now;
    }
    received
}
