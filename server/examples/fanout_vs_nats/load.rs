//! What both servers' runs share: the subscribers' counters, the publisher's window and
//! acknowledgements, one timed phase, and the server process's CPU time and memory.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::wire::now_us;

/// One subscriber's receipts.
#[derive(Default)]
pub struct Receipts {
    /// Send → receive latencies of the current phase, µs.
    pub latencies: Mutex<Vec<u32>>,
    /// When the last message of the phase arrived (µs since the epoch).
    pub last_us: AtomicU64,
}

impl Receipts {
    /// Records the messages of one read, stamped `stamps`, received at `now`.
    pub fn record(&self, now: u64, stamps: &[u64], delivered: &AtomicU64) {
        if stamps.is_empty() {
            return;
        }
        {
            let mut latencies = self.latencies.lock().unwrap_or_else(|e| e.into_inner());
            latencies.extend(
                stamps
                    .iter()
                    .map(|&t| now.saturating_sub(t).min(u64::from(u32::MAX)) as u32),
            );
        }
        self.last_us.store(now, Ordering::Relaxed);
        delivered.fetch_add(stamps.len() as u64, Ordering::Relaxed);
    }
}

/// All subscribers of a run.
#[derive(Default, Clone)]
pub struct Crowd {
    /// Each subscriber's receipts.
    pub receipts: Vec<Arc<Receipts>>,
    /// Messages received by all, in total.
    pub delivered: Arc<AtomicU64>,
}

impl Crowd {
    /// A new subscriber's receipts.
    pub fn join(&mut self) -> Arc<Receipts> {
        let receipts = Arc::new(Receipts::default());
        self.receipts.push(Arc::clone(&receipts));
        receipts
    }

    /// Forgets the receipts of earlier phases.
    fn reset(&self) {
        for r in &self.receipts {
            r.latencies
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clear();
            r.last_us.store(0, Ordering::Relaxed);
        }
        self.delivered.store(0, Ordering::Relaxed);
    }
}

/// The publisher's acknowledgements: send times waiting for their ack, and the ack
/// latencies.
#[derive(Default)]
pub struct Acks {
    sent: Mutex<VecDeque<Instant>>,
    latencies: Mutex<Vec<u32>>,
    /// Acks received.
    pub count: AtomicU64,
}

impl Acks {
    /// A send is about to go out.
    pub fn sending(&self) {
        self.sent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back(Instant::now());
    }

    /// The oldest send was acknowledged now (acks come in order).
    pub fn acked(&self) {
        let sent = self
            .sent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front();
        if let Some(sent) = sent {
            let us = sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
            self.latencies
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(us);
        }
        self.count.fetch_add(1, Ordering::Release);
    }

    /// The ack latencies so far (and forgets them).
    pub fn take_latencies(&self) -> Vec<u32> {
        std::mem::take(&mut *self.latencies.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// Sends one message stamped with the current time (the publisher of either server).
pub trait Publish {
    /// Sends message `i` (its text carries `t=<now µs>;`).
    fn publish(&mut self, i: u64) -> impl Future<Output = std::io::Result<()>>;
    /// The publisher's acknowledgements.
    fn acks(&self) -> &Acks;
}

/// What one phase measured.
#[derive(Debug, Default, Clone)]
pub struct Phase {
    pub messages: u64,
    pub expected: u64,
    pub delivered: u64,
    pub per_second: f64,
    pub cpu_us_per_delivery: f64,
    pub server_cpu_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub ack_p50_ms: f64,
    pub ack_p99_ms: f64,
    pub ack_max_ms: f64,
}

/// The value at quantile `q` of sorted `values`, in ms.
pub fn quantile_ms(sorted: &[u32], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let at = ((sorted.len() as f64 * q) as usize).min(sorted.len() - 1);
    f64::from(sorted[at]) / 1000.0
}

/// How a phase sends.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    /// Messages sent.
    pub messages: u64,
    /// Per second (0: as fast as `window` allows).
    pub rate: u64,
    /// Unacknowledged sends at most.
    pub window: u64,
}

/// How long a phase waits for its last deliveries and acknowledgements.
const PATIENCE: Duration = Duration::from_secs(120);

/// Sends `load` to `members` subscribers of `crowd`, waits (at most [`PATIENCE`]) until
/// every message and acknowledgement has arrived, and measures the server process
/// `server`.
pub async fn phase(
    crowd: &Crowd,
    members: u64,
    publisher: &mut impl Publish,
    server: &Stat,
    load: Load,
) -> std::io::Result<Phase> {
    let Load {
        messages,
        rate,
        window,
    } = load;
    crowd.reset();
    publisher.acks().take_latencies();
    let expected = messages * members;
    let acked_before = publisher.acks().count.load(Ordering::Acquire);
    let cpu_before = server.cpu_us();
    let first_us = now_us();
    let start = Instant::now();
    let period = (rate > 0).then(|| Duration::from_secs_f64(1.0 / rate as f64));
    for i in 0..messages {
        if let Some(period) = period {
            tokio::time::sleep_until((start + period * i as u32).into()).await;
        }
        while i - (publisher.acks().count.load(Ordering::Acquire) - acked_before) >= window {
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        publisher.publish(i).await?;
    }
    let deadline = Instant::now() + PATIENCE;
    let acked = || publisher.acks().count.load(Ordering::Acquire) - acked_before;
    while (crowd.delivered.load(Ordering::Relaxed) < expected || acked() < messages)
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let cpu = server.cpu_us().saturating_sub(cpu_before);
    let delivered = crowd.delivered.load(Ordering::Relaxed);
    let last_us = crowd
        .receipts
        .iter()
        .map(|r| r.last_us.load(Ordering::Relaxed))
        .max()
        .unwrap_or(0);
    let mut all: Vec<u32> = Vec::with_capacity(delivered as usize);
    for r in &crowd.receipts {
        all.extend_from_slice(&r.latencies.lock().unwrap_or_else(|e| e.into_inner()));
    }
    all.sort_unstable();
    let mut acks = publisher.acks().take_latencies();
    acks.sort_unstable();
    let span_s = (last_us.saturating_sub(first_us) as f64 / 1e6).max(1e-6);
    Ok(Phase {
        messages,
        expected,
        delivered,
        per_second: delivered as f64 / span_s,
        cpu_us_per_delivery: cpu as f64 / delivered.max(1) as f64,
        server_cpu_s: cpu as f64 / 1e6,
        p50_ms: quantile_ms(&all, 0.5),
        p99_ms: quantile_ms(&all, 0.99),
        max_ms: all.last().map_or(0.0, |&m| f64::from(m) / 1000.0),
        ack_p50_ms: quantile_ms(&acks, 0.5),
        ack_p99_ms: quantile_ms(&acks, 0.99),
        ack_max_ms: acks.last().map_or(0.0, |&m| f64::from(m) / 1000.0),
    })
}

/// A server process (killed when dropped).
pub struct Process {
    pub child: std::process::Child,
}

impl Process {
    /// Its figures.
    pub fn stat(&self) -> Stat {
        Stat {
            pid: self.child.id(),
        }
    }

    /// Resident memory, KiB.
    pub fn rss_kib(&self) -> u64 {
        self.stat().rss_kib()
    }
}

/// A process's figures, read from `/proc/<pid>`.
#[derive(Debug, Clone, Copy)]
pub struct Stat {
    pid: u32,
}

impl Stat {
    /// User + system CPU time of the whole process (all threads), µs.
    pub fn cpu_us(&self) -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).unwrap_or_default();
        // The fields after the command name (which may hold spaces) in parentheses.
        let rest = stat.rsplit_once(") ").map_or("", |(_, rest)| rest);
        let fields: Vec<&str> = rest.split(' ').collect();
        // utime and stime are fields 14 and 15 of the line: 11 and 12 after the name.
        let ticks = |i: usize| {
            fields
                .get(i)
                .and_then(|f| f.parse::<u64>().ok())
                .unwrap_or(0)
        };
        // SAFETY: sysconf only reads a constant of the system.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
        (ticks(11) + ticks(12)) * 1_000_000 / hz
    }

    /// Resident memory, KiB.
    pub fn rss_kib(&self) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.pid))
            .unwrap_or_default()
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        // SIGTERM first (a wrapper such as a profiler then stops its child too), SIGKILL
        // after 5 s.
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // SAFETY: kill only sends a signal to the process we started.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while std::time::Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
