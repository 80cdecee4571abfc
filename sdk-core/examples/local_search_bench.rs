//! Local search benchmark: query latency over a million cached messages, and the cost of
//! indexing received messages.
//!
//! ```text
//! cargo run --release -p community-sdk --example local_search_bench
//! ```
//!
//! Data: texts of 3–24 words drawn from a Zipf vocabulary (50,000 words, exponent 1.05,
//! so the most common word is in three messages out of four and the second in half of
//! them, as "the" and "to" are), one message in 20 a run of 5–24 Han characters drawn
//! from 3,000 by Zipf too; 1,000 channels in 20 communities, 2,000 senders, sequences and
//! times increasing. All from a fixed seed, so runs are comparable.
//!
//! 1. **query**: the cache is filled through `Store::insert_messages` (batches of 5,000
//!    messages over 10 channels; indexing is only queued), the queue is worked off
//!    (`flush_search_index`) and the index merged (`compact_search_index`), then
//!    `SEARCH_BENCH_QUERIES` (default 1,000) two-word queries whose words are drawn from
//!    the same Zipf distribution as the texts (so common words are queried as often as
//!    they are written) are timed from the caller's side (`Store::search`, first page of
//!    20, thread hop included); also with a channel filter, a community filter, a
//!    prefix (three letters, and two) and a two-character CJK query. Then the
//!    **drain**: bursts of 1,000, 10,000 and 100,000 received messages (batches of
//!    1,000; after an unmeasured burst that warms the caches) are inserted into that
//!    cache with the writer's idle indexing off (`StoreOptions::idle_indexing`), and the
//!    first search right after each is timed: it has the whole burst indexed before it
//!    reads. The bursts' channels are removed again afterwards.
//! 2. **ingest**: 100 received batches of 1,000 messages (10 channels each, in runs)
//!    through `Store::insert_messages` — the real write path, which queues the indexing —
//!    against a plain rusqlite batched insert of the same rows into the same `messages`
//!    table without any index (one transaction per batch, prepared statement, same JSON
//!    encoding, same pragmas), 5 rotating rounds, medians; ratio = plain time / store
//!    time (1.0 = as fast as the bare insert). Then the deferred work, timed apart: the
//!    writer's idle indexing of those 100,000 messages (from the end of the ingest until
//!    the queue is empty, polled), the same work asked for at once (`flush_search_index`
//!    right after an ingest with idle indexing off: what a search right after the burst
//!    waits for), and the merges; and the total (ingest + indexing + merges) against the
//!    bare insert.
//!
//! Environment: `SEARCH_BENCH_ONLY=query|ingest`, `SEARCH_BENCH_MESSAGES` (default
//! 1,000,000), `SEARCH_BENCH_QUERIES`, `SEARCH_BENCH_DIR` (keep the filled cache there and
//! reuse it), `SEARCH_BENCH_CASE` (one query case by name), `SEARCH_BENCH_VERBOSE` (print
//! each case's slowest queries). Prints a Markdown table.

use std::path::Path;
use std::time::{Duration, Instant};

use community_protocol::search::SearchQuery;
use community_protocol::{Limits, Mentions, Message, MessageContent, Priority};
use community_sdk::store::{SearchRequest, Store, StoreOptions};

const VOCABULARY: usize = 50_000;
const ZIPF_EXPONENT: f64 = 1.05;
const HAN: usize = 3_000;
const COMMUNITIES: u64 = 20;
const CHANNELS: u64 = 1_000;
const SENDERS: u64 = 2_000;
const FILL_BATCH: u64 = 5_000;
const INGEST_BATCHES: u64 = 100;
const INGEST_BATCH_SIZE: u64 = 1_000;
const INGEST_ROUNDS: usize = 5;

/// xorshift64*: a fixed-seed generator so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Ranks 0.. drawn with probability proportional to 1 / (rank + 1)^s.
struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    fn new(n: usize, exponent: f64) -> Self {
        let mut cumulative = Vec::with_capacity(n);
        let mut sum = 0.0;
        for rank in 1..=n {
            sum += 1.0 / (rank as f64).powf(exponent);
            cumulative.push(sum);
        }
        for value in &mut cumulative {
            *value /= sum;
        }
        Zipf { cumulative }
    }

    fn sample(&self, rng: &mut Rng) -> usize {
        let u = rng.unit();
        self.cumulative
            .partition_point(|c| *c < u)
            .min(self.cumulative.len() - 1)
    }
}

/// Word `rank` of the vocabulary: distinct, pronounceable, 2–10 letters.
fn word(rank: usize) -> String {
    const SYLLABLES: [&str; 16] = [
        "ka", "to", "ri", "mo", "se", "la", "vi", "nu", "pe", "do", "zu", "ga", "hi", "wo", "be",
        "ty",
    ];
    let mut n = rank + 1;
    let mut out = String::new();
    while n > 0 {
        out.push_str(SYLLABLES[n % 16]);
        n /= 16;
    }
    out
}

struct Corpus {
    words: Zipf,
    han: Zipf,
    rng: Rng,
    seqs: Vec<u64>,
    clock: i64,
}

impl Corpus {
    fn new(seed: u64) -> Self {
        Corpus {
            words: Zipf::new(VOCABULARY, ZIPF_EXPONENT),
            han: Zipf::new(HAN, 1.0),
            rng: Rng(seed),
            seqs: vec![0; CHANNELS as usize],
            clock: 1_700_000_000_000,
        }
    }

    fn text(&mut self) -> String {
        if self.rng.below(20) == 0 {
            let length = 5 + self.rng.below(20);
            (0..length)
                .map(|_| {
                    char::from_u32(0x4E00 + self.han.sample(&mut self.rng) as u32).unwrap_or('中')
                })
                .collect()
        } else {
            let length = 3 + self.rng.below(22);
            (0..length)
                .map(|_| word(self.words.sample(&mut self.rng)))
                .collect::<Vec<_>>()
                .join(" ")
        }
    }

    fn message(&mut self, channel: u64) -> Message {
        self.seqs[channel as usize] += 1;
        self.clock += 37;
        let seq = self.seqs[channel as usize];
        Message {
            community_id: format!("community-{:02}", channel % COMMUNITIES).into(),
            channel_id: format!("channel-{channel:04}").into(),
            seq,
            sender_id: format!("user{:04}", self.rng.below(SENDERS)).into(),
            idempotency_key: format!("k-{channel}-{seq}-0123456789abcdef"),
            content: MessageContent::Text { text: self.text() },
            mentions: Mentions::default(),
            reply_to: None,
            priority: Priority::Normal,
            created_at_ms: self.clock,
            custom_data: String::new(),
            edited_at_ms: None,
            edit_count: 0,
            reactions: Vec::new(),
            pinned: None,
            reply_preview: None,
            forwarded_from: None,
            thread: None,
        }
    }

    /// A received batch: `size` messages over 10 channels, in runs.
    fn batch(&mut self, first_channel: u64, size: u64) -> Vec<Message> {
        (0..size)
            .map(|i| self.message((first_channel + i * 10 / size) % CHANNELS))
            .collect()
    }
}

/// CPU time of the whole process so far (user + system, all threads), from
/// `/proc/self/stat` (Linux; 10 ms ticks): less disturbed than wall time by other work on
/// the machine. Zero where it cannot be read.
fn cpu_time() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    // Fields after the command name (which is in parentheses and may hold spaces).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn millis(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn open(path: &Path) -> Store {
    open_with(path, StoreOptions::default()).await
}

async fn open_with(path: &Path, options: StoreOptions) -> Store {
    Store::open_with(path, options)
        .await
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()))
}

/// Options under which the writer indexes only when asked (a search, a flush).
fn deferred() -> StoreOptions {
    StoreOptions {
        idle_indexing: false,
        ..StoreOptions::default()
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("cannot build the tokio runtime: {e}"));
    let temp = tempfile::tempdir().unwrap_or_else(|e| panic!("cannot create a temp dir: {e}"));
    // `SEARCH_BENCH_DIR`: keep the query cache there and reuse it when it is full.
    let kept = std::env::var("SEARCH_BENCH_DIR")
        .ok()
        .map(std::path::PathBuf::from);
    let dir = kept.as_deref().unwrap_or(temp.path());
    println!("| benchmark | result |");
    println!("| --- | --- |");
    let only = std::env::var("SEARCH_BENCH_ONLY").unwrap_or_default();
    let run = |name: &str| only.is_empty() || only == name;
    runtime.block_on(async {
        if run("query") {
            bench_query(dir).await;
        }
        if run("ingest") {
            bench_ingest(dir).await;
        }
    });
}

// ----- 1. query -----

async fn bench_query(dir: &Path) {
    let total = env("SEARCH_BENCH_MESSAGES", 1_000_000);
    let samples = env("SEARCH_BENCH_QUERIES", 1_000) as usize;
    let store = open(&dir.join("query.sqlite3")).await;
    let mut corpus = Corpus::new(0x9e37_79b9_7f4a_7c15);
    let started = Instant::now();
    let mut filled = store
        .search_stats()
        .await
        .unwrap_or_else(|e| panic!("stats: {e}"))
        .0;
    let mut first_channel = 0;
    if filled > 0 && filled != total {
        panic!(
            "{} holds {filled} indexed messages, not {total}",
            dir.display()
        );
    }
    let reused = filled == total;
    while filled < total {
        let size = FILL_BATCH.min(total - filled);
        let batch = corpus.batch(first_channel, size);
        store
            .insert_messages(batch)
            .await
            .unwrap_or_else(|e| panic!("fill: {e}"));
        filled += size;
        first_channel = (first_channel + 10) % CHANNELS;
    }
    let fill = started.elapsed();
    let started = Instant::now();
    store
        .flush_search_index()
        .await
        .unwrap_or_else(|e| panic!("flush: {e}"));
    let indexing = started.elapsed();
    let started = Instant::now();
    store
        .compact_search_index()
        .await
        .unwrap_or_else(|e| panic!("compact: {e}"));
    let compact = started.elapsed();
    let (docs, tokens) = store
        .search_stats()
        .await
        .unwrap_or_else(|e| panic!("stats: {e}"));
    let size = std::fs::metadata(dir.join("query.sqlite3")).map_or(0, |m| m.len());
    if reused {
        println!(
            "| cache reused from `SEARCH_BENCH_DIR` ({docs} messages indexed, {tokens} tokens; file {} MB) | |",
            size / 1_000_000
        );
    } else {
        println!(
            "| fill: {filled} messages, {CHANNELS} channels, batches of {FILL_BATCH} (indexed: {docs} messages, {tokens} tokens; file {} MB) | {:.1} s ({:.0} msg/s), then indexing {:.1} s, merges {:.1} s |",
            size / 1_000_000,
            fill.as_secs_f64(),
            filled as f64 / fill.as_secs_f64(),
            indexing.as_secs_f64(),
            compact.as_secs_f64()
        );
    }

    let words = Zipf::new(VOCABULARY, ZIPF_EXPONENT);
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let limits = Limits::default();
    let mut two_words = || {
        let text = format!(
            "{} {}",
            word(words.sample(&mut rng)),
            word(words.sample(&mut rng))
        );
        SearchQuery::parse(&text, &limits).unwrap_or_else(|e| panic!("{text}: {e}"))
    };
    let queries: Vec<SearchQuery> = (0..samples).map(|_| two_words()).collect();
    let mut rng = Rng(7);
    let mut cases: Vec<(&str, Vec<SearchRequest>)> = Vec::new();
    cases.push((
        "two words",
        queries
            .iter()
            .map(|q| SearchRequest::new(q.clone(), 20))
            .collect(),
    ));
    cases.push((
        "two words, one channel",
        queries
            .iter()
            .map(|q| {
                let mut request = SearchRequest::new(q.clone(), 20);
                request.channel_id = Some(format!("channel-{:04}", rng.below(CHANNELS)).into());
                request
            })
            .collect(),
    ));
    cases.push((
        "two words, one community",
        queries
            .iter()
            .map(|q| {
                let mut request = SearchRequest::new(q.clone(), 20);
                request.community_id =
                    Some(format!("community-{:02}", rng.below(COMMUNITIES)).into());
                request
            })
            .collect(),
    ));
    for (name, letters, seed) in [
        ("a word and a prefix (`word pre*`)", 3, 11),
        ("a word and a two-letter prefix (`word pr*`)", 2, 17),
    ] {
        let mut prefix_rng = Rng(seed);
        cases.push((
            name,
            (0..samples)
                .map(|_| {
                    let first = word(words.sample(&mut prefix_rng));
                    let second = word(words.sample(&mut prefix_rng));
                    let prefix: String = second.chars().take(letters).collect();
                    let text = format!("{first} {prefix}*");
                    SearchRequest::new(
                        SearchQuery::parse(&text, &limits).unwrap_or_else(|e| panic!("{e}")),
                        20,
                    )
                })
                .collect(),
        ));
    }
    let han = Zipf::new(HAN, 1.0);
    let mut han_rng = Rng(13);
    cases.push((
        "two Han characters (a bigram phrase)",
        (0..samples)
            .map(|_| {
                let text: String = (0..2)
                    .map(|_| {
                        char::from_u32(0x4E00 + han.sample(&mut han_rng) as u32).unwrap_or('中')
                    })
                    .collect();
                SearchRequest::new(
                    SearchQuery::parse(&text, &limits).unwrap_or_else(|e| panic!("{e}")),
                    20,
                )
            })
            .collect(),
    ));
    let only_case = std::env::var("SEARCH_BENCH_CASE").unwrap_or_default();
    for (name, requests) in cases {
        if !only_case.is_empty() && name != only_case {
            continue;
        }
        // Warm-up, not measured.
        for request in requests.iter().take(100) {
            store
                .search(request.clone())
                .await
                .unwrap_or_else(|e| panic!("search: {e}"));
        }
        let mut times = Vec::with_capacity(requests.len());
        let mut slowest: Vec<(Duration, String)> = Vec::new();
        let mut hits = 0;
        let mut full = 0;
        for request in &requests {
            let started = Instant::now();
            let page = store
                .search(request.clone())
                .await
                .unwrap_or_else(|e| panic!("search: {e}"));
            let elapsed = started.elapsed();
            times.push(elapsed);
            slowest.push((elapsed, request.query.fts5()));
            hits += page.hits.len();
            full += usize::from(page.hits.len() == 20);
        }
        times.sort();
        if std::env::var("SEARCH_BENCH_VERBOSE").is_ok() {
            slowest.sort();
            for (elapsed, query) in slowest.iter().rev().take(5) {
                eprintln!("  {name}: {} {query}", millis(*elapsed));
            }
        }
        println!(
            "| {name}: first page of 20, {} queries (pages full: {full}; hits: {hits}): p50 / p99 / max | {} / **{}** / {} |",
            requests.len(),
            millis(percentile(&times, 0.50)),
            millis(percentile(&times, 0.99)),
            millis(times[times.len() - 1]),
        );
    }
    store.close().await;
    if only_case.is_empty() {
        bench_drain(dir, &mut corpus, &queries).await;
    }
}

/// The first search right after a burst of unindexed messages: it waits for the burst to
/// be indexed. The writer's idle indexing is off, so all of the burst is still queued.
async fn bench_drain(dir: &Path, corpus: &mut Corpus, queries: &[SearchQuery]) {
    let store = open_with(&dir.join("query.sqlite3"), deferred()).await;
    let mut next_query = queries.iter().cycle();
    // The first burst (1,000, not measured) warms the caches after the reopen.
    for (measured, burst) in [
        (false, 1_000_u64),
        (true, 1_000),
        (true, 10_000),
        (true, 100_000),
    ] {
        let mut channels = Vec::new();
        let mut inserted = 0;
        let started = Instant::now();
        while inserted < burst {
            let size = INGEST_BATCH_SIZE.min(burst - inserted);
            let mut batch = corpus.batch(0, size);
            for message in &mut batch {
                // The burst's own channels, removed again below.
                let channel = format!("burst-{}", message.channel_id.as_str());
                message.channel_id = channel.as_str().into();
                if !channels.contains(&channel) {
                    channels.push(channel);
                }
            }
            store
                .insert_messages(batch)
                .await
                .unwrap_or_else(|e| panic!("burst: {e}"));
            inserted += size;
        }
        let ingest = started.elapsed();
        let backlog = store
            .search_backlog()
            .await
            .unwrap_or_else(|e| panic!("backlog: {e}"));
        let query = next_query
            .next()
            .cloned()
            .unwrap_or_else(|| panic!("no query"));
        let started = Instant::now();
        store
            .search(SearchRequest::new(query, 20))
            .await
            .unwrap_or_else(|e| panic!("search: {e}"));
        let first = started.elapsed();
        let query = next_query
            .next()
            .cloned()
            .unwrap_or_else(|| panic!("no query"));
        let started = Instant::now();
        store
            .search(SearchRequest::new(query, 20))
            .await
            .unwrap_or_else(|e| panic!("search: {e}"));
        let second = started.elapsed();
        if measured {
            println!(
                "| first search right after a burst of {burst} received messages (ingest {}, queue {backlog}), then the next search | **{}** ({:.0} msg/s indexed while it waits), then {} |",
                millis(ingest),
                millis(first),
                burst as f64 / first.as_secs_f64(),
                millis(second),
            );
        }
        for channel in channels {
            let community = format!("community-{:02}", 0);
            store
                .remove_channel(community.into(), channel.into())
                .await
                .unwrap_or_else(|e| panic!("remove: {e}"));
        }
        store
            .compact_search_index()
            .await
            .unwrap_or_else(|e| panic!("compact: {e}"));
    }
    store.close().await;
}

// ----- 2. ingest -----

/// What one ingest through the store cost, and the deferred work after it.
struct StoreRun {
    ingest: Duration,
    ingest_cpu: Duration,
    /// Until the queue was empty (idle indexing, polled; or a flush).
    indexing: Duration,
    indexing_cpu: Duration,
    merges: Duration,
}

fn median(times: &[Duration]) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    sorted[sorted.len() / 2]
}

fn list(times: &[Duration]) -> String {
    times
        .iter()
        .map(|t| format!("{:.0}", t.as_secs_f64() * 1e3))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn bench_ingest(dir: &Path) {
    let mut corpus = Corpus::new(0x1234_5678_9abc_def1);
    let batches: Vec<Vec<Message>> = (0..INGEST_BATCHES)
        .map(|b| corpus.batch((b % 10) * 10, INGEST_BATCH_SIZE))
        .collect();
    let rows = INGEST_BATCHES * INGEST_BATCH_SIZE;
    let mut idle_runs: Vec<StoreRun> = Vec::new();
    let mut flush_runs: Vec<StoreRun> = Vec::new();
    let mut plain_times = Vec::new();
    let mut plain_cpu = Vec::new();
    for round in 0..INGEST_ROUNDS {
        // Rotate which goes first so none always gets the warmer page cache. 0: plain,
        // 1: store with idle indexing, 2: store, then a flush at once.
        let mut order = [0, 1, 2];
        order.rotate_left(round % 3);
        for kind in order {
            let path = dir.join(format!("ingest-{round}-{kind}.sqlite3"));
            // Same schema for both: the store creates the file.
            open(&path).await.close().await;
            match kind {
                1 => idle_runs.push(ingest_store(&path, &batches, true).await),
                2 => flush_runs.push(ingest_store(&path, &batches, false).await),
                _ => {
                    let path = path.clone();
                    let batches = batches.clone();
                    let (elapsed, cpu) =
                        tokio::task::spawn_blocking(move || ingest_plain(&path, batches))
                            .await
                            .unwrap_or_else(|e| panic!("plain ingest: {e}"));
                    plain_times.push(elapsed);
                    plain_cpu.push(cpu);
                }
            }
            let _ = std::fs::remove_file(&path);
            let _ = std::fs::remove_file(path.with_extension("sqlite3-wal"));
            let _ = std::fs::remove_file(path.with_extension("sqlite3-shm"));
        }
    }
    let per_second = |d: Duration| rows as f64 / d.as_secs_f64();
    let all = |runs: &[StoreRun], pick: fn(&StoreRun) -> Duration| -> Vec<Duration> {
        runs.iter().map(pick).collect()
    };
    let runs: Vec<&StoreRun> = idle_runs.iter().chain(&flush_runs).collect();
    let store_times: Vec<Duration> = runs.iter().map(|r| r.ingest).collect();
    let store_cpu: Vec<Duration> = runs.iter().map(|r| r.ingest_cpu).collect();
    let store_median = median(&store_times);
    let plain_median = median(&plain_times);
    println!(
        "| ingest {INGEST_BATCHES} x {INGEST_BATCH_SIZE} via insert_messages, indexing queued (median of {}; all: {} ms) | {} ({:.0} msg/s) |",
        store_times.len(),
        list(&store_times),
        millis(store_median),
        per_second(store_median)
    );
    println!(
        "| same rows, plain rusqlite batched insert, no index (median of {INGEST_ROUNDS}; all: {} ms) | {} ({:.0} msg/s) |",
        list(&plain_times),
        millis(plain_median),
        per_second(plain_median)
    );
    println!(
        "| **ingest ratio store / plain (throughput)** | **{:.2}** |",
        plain_median.as_secs_f64() / store_median.as_secs_f64()
    );
    let plain_cpu_median = median(&plain_cpu);
    let store_cpu_median = median(&store_cpu);
    if !plain_cpu_median.is_zero() && !store_cpu_median.is_zero() {
        println!(
            "| CPU time (process, medians): store {} (all: {} ms), plain {} (all: {} ms); **CPU ratio {:.2}** |  |",
            millis(store_cpu_median),
            list(&store_cpu),
            millis(plain_cpu_median),
            list(&plain_cpu),
            plain_cpu_median.as_secs_f64() / store_cpu_median.as_secs_f64()
        );
    }
    let idle = all(&idle_runs, |r| r.indexing);
    let idle_cpu = all(&idle_runs, |r| r.indexing_cpu);
    println!(
        "| then the writer's idle indexing of those {rows} messages, from the end of the ingest until the queue is empty (its 25 ms idle wait and 10 ms polling included; median of {}; all: {} ms) | {} ({:.0} msg/s; CPU {}) |",
        idle.len(),
        list(&idle),
        millis(median(&idle)),
        per_second(median(&idle)),
        millis(median(&idle_cpu)),
    );
    let flush = all(&flush_runs, |r| r.indexing);
    let flush_cpu = all(&flush_runs, |r| r.indexing_cpu);
    println!(
        "| the same work asked for at once (`flush_search_index` right after an ingest with idle indexing off: what a search right after the burst waits for; median of {}; all: {} ms) | {} ({:.0} msg/s; CPU {}) |",
        flush.len(),
        list(&flush),
        millis(median(&flush)),
        per_second(median(&flush)),
        millis(median(&flush_cpu)),
    );
    let idle_merges = all(&idle_runs, |r| r.merges);
    let flush_merges = all(&flush_runs, |r| r.merges);
    println!(
        "| then the merges (`compact_search_index`): after idle indexing (the idle writer may have begun them; all: {} ms), after a flush (all: {} ms) | {} / {} (medians) |",
        list(&idle_merges),
        list(&flush_merges),
        millis(median(&idle_merges)),
        millis(median(&flush_merges))
    );
    let totals: Vec<Duration> = idle_runs
        .iter()
        .map(|r| r.ingest + r.indexing + r.merges)
        .collect();
    let total_cpu: Vec<Duration> = idle_runs
        .iter()
        .map(|r| r.ingest_cpu + r.indexing_cpu)
        .collect();
    println!(
        "| total: ingest + idle indexing + merges (median of {}; all: {} ms) vs plain: **ratio {:.2}** (CPU, ingest + indexing: {:.2}) | {} ({:.0} msg/s) |",
        totals.len(),
        list(&totals),
        plain_median.as_secs_f64() / median(&totals).as_secs_f64(),
        plain_cpu_median.as_secs_f64() / median(&total_cpu).as_secs_f64().max(1e-9),
        millis(median(&totals)),
        per_second(median(&totals)),
    );
}

/// Ingests `batches` through a store opened on `path`, then times the deferred work: the
/// writer's own idle indexing (`idle`, polled until the queue is empty) or a flush asked
/// at once (idle indexing off), then the merges.
async fn ingest_store(path: &Path, batches: &[Vec<Message>], idle: bool) -> StoreRun {
    let options = if idle {
        StoreOptions::default()
    } else {
        deferred()
    };
    let store = open_with(path, options).await;
    let batches = batches.to_vec();
    let cpu = cpu_time();
    let started = Instant::now();
    for batch in batches {
        let new = store
            .insert_messages(batch)
            .await
            .unwrap_or_else(|e| panic!("ingest: {e}"));
        assert_eq!(new.len() as u64, INGEST_BATCH_SIZE);
    }
    let ingest = started.elapsed();
    let ingest_cpu = cpu_time().saturating_sub(cpu);
    let cpu = cpu_time();
    let started = Instant::now();
    if idle {
        while store
            .search_backlog()
            .await
            .unwrap_or_else(|e| panic!("backlog: {e}"))
            > 0
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    } else {
        store
            .flush_search_index()
            .await
            .unwrap_or_else(|e| panic!("flush: {e}"));
    }
    let indexing = started.elapsed();
    let indexing_cpu = cpu_time().saturating_sub(cpu);
    let started = Instant::now();
    store
        .compact_search_index()
        .await
        .unwrap_or_else(|e| panic!("compact: {e}"));
    let merges = started.elapsed();
    let (docs, _) = store
        .search_stats()
        .await
        .unwrap_or_else(|e| panic!("stats: {e}"));
    assert_eq!(docs, INGEST_BATCHES * INGEST_BATCH_SIZE);
    store.close().await;
    StoreRun {
        ingest,
        ingest_cpu,
        indexing,
        indexing_cpu,
        merges,
    }
}

/// The baseline: one connection, the same pragmas as the store's bench baseline, one
/// transaction per batch, a prepared insert of the same columns (content serialized to
/// JSON the same way, NULL extras), no search index. Like the store path it owns the
/// received batches and frees each one once stored.
fn ingest_plain(path: &Path, batches: Vec<Vec<Message>>) -> (Duration, Duration) {
    let connection = rusqlite::Connection::open(path).unwrap_or_else(|e| panic!("open: {e}"));
    connection
        .execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
        .unwrap_or_else(|e| panic!("pragmas: {e}"));
    let cpu = cpu_time();
    let started = Instant::now();
    for batch in batches {
        let tx = connection
            .unchecked_transaction()
            .unwrap_or_else(|e| panic!("begin: {e}"));
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO messages (channel_id, seq, community_id, sender_id,
                         idempotency_key, content, mentions, reply_to, priority, created_at_ms,
                         extras)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                )
                .unwrap_or_else(|e| panic!("prepare: {e}"));
            for m in &batch {
                let content = serde_json::to_string(&m.content).unwrap_or_default();
                let mentions = (!m.mentions.is_empty())
                    .then(|| serde_json::to_string(&m.mentions).unwrap_or_default());
                insert
                    .execute(rusqlite::params![
                        m.channel_id.as_str(),
                        m.seq as i64,
                        m.community_id.as_str(),
                        m.sender_id.as_str(),
                        m.idempotency_key,
                        content,
                        mentions,
                        m.reply_to.map(|r| r as i64),
                        "normal",
                        m.created_at_ms,
                        Option::<String>::None,
                    ])
                    .unwrap_or_else(|e| panic!("insert: {e}"));
            }
        }
        tx.commit().unwrap_or_else(|e| panic!("commit: {e}"));
        drop(batch);
    }
    (started.elapsed(), cpu_time().saturating_sub(cpu))
}
