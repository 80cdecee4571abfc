//! Benchmarks of the SDK store (`cargo bench -p community-sdk --bench store`).
//!
//! A plain program (no harness) so that it reports exactly the figures the project
//! tracks, as percentiles and ratios, in one run of a few minutes:
//!
//! 1. history page: 50 messages before a random position from a cache of 1M+ messages,
//!    timed from the caller's side (thread hop included), p50 / p99 / max;
//! 2. ingest: 100 received batches of 1,000 messages through `Store::insert_messages`,
//!    against a plain rusqlite batched insert of the same rows into the same table shape
//!    in the same run (ratio = plain time / store time; 1.0 = as fast as bare SQLite);
//! 3. `load_all` with 100 communities x 100 channels.
//!
//! Environment: `STORE_BENCH_ONLY=page|ingest|load` runs one of the three;
//! `STORE_BENCH_MESSAGES` overrides the cache size of (1) (default 1,050,000). Results go
//! to stdout as a Markdown table.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use community_protocol::{
    CategoryInfo, ChannelHead, ChannelInfo, ChannelKind, CommunityInfo, CommunitySnapshot,
    JoinPolicy, MemberInfo, Mentions, Message, MessageContent, NotificationStatus, Priority, Role,
};
use community_sdk::store::Store;

const PAGE: u32 = 50;
const PAGE_SAMPLES: usize = 20_000;
const CHANNELS_1M: u64 = 100;
const INGEST_BATCHES: u64 = 100;
const INGEST_BATCH_SIZE: u64 = 1_000;
const INGEST_ROUNDS: usize = 5;
const LOAD_SAMPLES: usize = 30;

fn main() {
    // `cargo bench` passes `--bench`; accept and ignore harness-style arguments.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("cannot build the tokio runtime: {e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("cannot create a temp dir: {e}"));
    println!("| benchmark | result |");
    println!("| --- | --- |");
    let only = std::env::var("STORE_BENCH_ONLY").unwrap_or_default();
    let run = |name: &str| only.is_empty() || only == name;
    runtime.block_on(async {
        if run("page") {
            bench_page(dir.path()).await;
        }
        if run("ingest") {
            bench_ingest(dir.path()).await;
        }
        if run("load") {
            bench_load_all(dir.path()).await;
        }
    });
}

// ----- data -----

/// A message of realistic size: a text of ~80 bytes, some mentions and replies.
fn message(channel: u64, seq: u64) -> Message {
    Message {
        community_id: format!("c{:03}", channel % 100).into(),
        channel_id: format!("ch{channel:05}").into(),
        seq,
        sender_id: format!("user{:04}", seq % 997).into(),
        idempotency_key: format!("k-{channel}-{seq}-0123456789abcdef"),
        content: MessageContent::Text {
            text: format!("message {seq} in channel {channel}: the quick brown fox jumps over it"),
        },
        mentions: if seq.is_multiple_of(10) {
            Mentions {
                users: vec!["alice".into()],
                everyone: false,
                groups: Vec::new(),
            }
        } else {
            Mentions::default()
        },
        reply_to: (seq.is_multiple_of(13)).then(|| seq - 1),
        priority: Priority::Normal,
        created_at_ms: 1_700_000_000_000 + seq as i64 * 1000,
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

fn snapshot(community: usize, channels: usize) -> CommunitySnapshot {
    let id = format!("c{community:03}");
    CommunitySnapshot {
        info: CommunityInfo {
            community_id: id.clone().into(),
            name: format!("Community {community}"),
            avatar_url: "https://example.invalid/a.png".into(),
            notice: "Welcome! Read the rules in #rules before posting.".into(),
            owner_id: "owner".into(),
            join_policy: JoinPolicy::Free,
            mute_all: false,
            member_count: 12_345,
            attributes: BTreeMap::from([("lang".to_string(), "en".to_string())]),
            default_channel_id: format!("{id}-ch000").into(),
            created_at_ms: 1_700_000_000_000,
            version: 7,
            system_messages: true,
        },
        categories: (0..5)
            .map(|n| CategoryInfo {
                community_id: id.clone().into(),
                category_id: format!("{id}-cat{n}").into(),
                name: format!("Category {n}"),
                position: n,
                overrides: Vec::new(),
            })
            .collect(),
        channels: (0..channels)
            .map(|n| ChannelInfo {
                community_id: id.clone().into(),
                channel_id: format!("{id}-ch{n:03}").into(),
                name: format!("channel-{n}"),
                introduction: "What this channel is about, in a sentence or two.".into(),
                notice: String::new(),
                custom: String::new(),
                kind: ChannelKind::Text,
                category_id: Some(format!("{id}-cat{}", n % 5).into()),
                position: n as i64,
                private: n % 10 == 9,
                is_default: n == 0,
                created_at_ms: 1_700_000_000_000,
                overrides: Vec::new(),
                follows_category: false,
                mute_all: false,
            })
            .collect(),
        me: MemberInfo {
            community_id: id.clone().into(),
            user_id: "alice".into(),
            role: Role::Member,
            nickname: String::new(),
            joined_at_ms: 1_700_000_000_000,
            muted_until_ms: None,
            groups: Vec::new(),
            custom_fields: Default::default(),
        },
        notification: NotificationStatus::Notify,
        heads: (0..channels)
            .map(|n| ChannelHead {
                community_id: id.clone().into(),
                channel_id: format!("{id}-ch{n:03}").into(),
                last_seq: 1_000 + n as u64,
                last_activity_ms: 1_700_000_500_000,
                read_seq: 990,
                unread_count: 10 + n as u64,
                mention_count: (n % 3) as u64,
                change_seq: 0,
                hidden: Vec::new(),
                notification_level: Default::default(),
            })
            .collect(),
        groups: Vec::new(),
        threads: Vec::new(),
        voice: Vec::new(),
    }
}

/// xorshift64*: a fixed-seed generator so runs are comparable.
struct Rng(u64);

impl Rng {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % bound
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn micros(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

fn millis(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

async fn open(path: &Path) -> Store {
    Store::open(path)
        .await
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()))
}

// ----- 1. history pages -----

async fn bench_page(dir: &Path) {
    let total: u64 = std::env::var("STORE_BENCH_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_050_000);
    let per_channel = total / CHANNELS_1M;
    let store = open(&dir.join("page.sqlite3")).await;
    let started = Instant::now();
    // Fill channel by channel in received-batch sized chunks.
    for channel in 0..CHANNELS_1M {
        let mut seq = 1;
        while seq <= per_channel {
            let end = (seq + 5_000).min(per_channel + 1);
            let batch: Vec<Message> = (seq..end).map(|s| message(channel, s)).collect();
            store
                .insert_messages(batch)
                .await
                .unwrap_or_else(|e| panic!("fill: {e}"));
            seq = end;
        }
    }
    let fill = started.elapsed();
    let cached = store
        .message_count(None)
        .await
        .unwrap_or_else(|e| panic!("count: {e}"));
    println!(
        "| fill: {cached} messages in {CHANNELS_1M} channels (batches of 5,000) | {:.1} s ({:.0} msg/s) |",
        fill.as_secs_f64(),
        cached as f64 / fill.as_secs_f64()
    );

    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    // Warm-up, not measured.
    for _ in 0..1_000 {
        let channel = rng.below(CHANNELS_1M);
        let before = PAGE as u64 + 1 + rng.below(per_channel - PAGE as u64);
        store
            .messages_before(format!("ch{channel:05}").into(), Some(before), PAGE)
            .await
            .unwrap_or_else(|e| panic!("page: {e}"));
    }
    let mut samples = Vec::with_capacity(PAGE_SAMPLES);
    for _ in 0..PAGE_SAMPLES {
        let channel = rng.below(CHANNELS_1M);
        let before = PAGE as u64 + 1 + rng.below(per_channel - PAGE as u64);
        let id = format!("ch{channel:05}");
        let started = Instant::now();
        let page = store
            .messages_before(id.into(), Some(before), PAGE)
            .await
            .unwrap_or_else(|e| panic!("page: {e}"));
        samples.push(started.elapsed());
        assert_eq!(page.len(), PAGE as usize, "a page must be full");
        assert_eq!(page[page.len() - 1].seq, before - 1);
    }
    samples.sort();
    println!(
        "| page of {PAGE} before a random seq, {PAGE_SAMPLES} samples: p50 / p99 / max | {} / {} / {} |",
        micros(percentile(&samples, 0.50)),
        micros(percentile(&samples, 0.99)),
        micros(samples[samples.len() - 1]),
    );
    store.close().await;
}

// ----- 2. ingest -----

async fn bench_ingest(dir: &Path) {
    let batches: Vec<Vec<Message>> = (0..INGEST_BATCHES)
        .map(|b| {
            // Each received batch spreads over 10 channels, like a busy sync.
            (0..INGEST_BATCH_SIZE)
                .map(|i| message(b % 10, (b / 10) * INGEST_BATCH_SIZE + i + 1))
                .collect()
        })
        .collect();
    let rows = INGEST_BATCHES * INGEST_BATCH_SIZE;
    let mut store_times = Vec::new();
    let mut plain_times = Vec::new();
    for round in 0..INGEST_ROUNDS {
        // Alternate which goes first so neither always gets the warmer page cache.
        let order = if round % 2 == 0 {
            [true, false]
        } else {
            [false, true]
        };
        for through_store in order {
            let path = dir.join(format!("ingest-{round}-{through_store}.sqlite3"));
            // Same schema for both: the store creates the file.
            open(&path).await.close().await;
            let elapsed = if through_store {
                ingest_store(&path, &batches).await
            } else {
                let path = path.clone();
                let batches = batches.clone();
                tokio::task::spawn_blocking(move || ingest_plain(&path, batches))
                    .await
                    .unwrap_or_else(|e| panic!("plain ingest: {e}"))
            };
            if through_store {
                store_times.push(elapsed);
            } else {
                plain_times.push(elapsed);
            }
            let _ = std::fs::remove_file(&path);
        }
    }
    store_times.sort();
    plain_times.sort();
    let store_median = store_times[store_times.len() / 2];
    let plain_median = plain_times[plain_times.len() / 2];
    println!(
        "| ingest {INGEST_BATCHES} x {INGEST_BATCH_SIZE} via insert_messages (median of {INGEST_ROUNDS}) | {} ({:.0} msg/s) |",
        millis(store_median),
        rows as f64 / store_median.as_secs_f64()
    );
    println!(
        "| same rows, plain rusqlite batched insert (median of {INGEST_ROUNDS}) | {} ({:.0} msg/s) |",
        millis(plain_median),
        rows as f64 / plain_median.as_secs_f64()
    );
    println!(
        "| ingest ratio store / plain (throughput) | {:.2} |",
        plain_median.as_secs_f64() / store_median.as_secs_f64()
    );
}

async fn ingest_store(path: &Path, batches: &[Vec<Message>]) -> Duration {
    let store = open(path).await;
    let batches = batches.to_vec();
    let started = Instant::now();
    for batch in batches {
        let new = store
            .insert_messages(batch)
            .await
            .unwrap_or_else(|e| panic!("ingest: {e}"));
        assert_eq!(new.len() as u64, INGEST_BATCH_SIZE);
    }
    let elapsed = started.elapsed();
    store.close().await;
    elapsed
}

/// The baseline: one connection, same pragmas, one transaction per batch, a prepared
/// insert of the same columns (content serialized to JSON the same way, NULL extras). Like the store
/// path it owns the received batches and frees each one once stored.
fn ingest_plain(path: &Path, batches: Vec<Vec<Message>>) -> Duration {
    let connection = rusqlite::Connection::open(path).unwrap_or_else(|e| panic!("open: {e}"));
    connection
        .execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
        .unwrap_or_else(|e| panic!("pragmas: {e}"));
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
                        // A plain message has no extras (custom data, edits, reactions…).
                        Option::<String>::None,
                    ])
                    .unwrap_or_else(|e| panic!("insert: {e}"));
            }
        }
        tx.commit().unwrap_or_else(|e| panic!("commit: {e}"));
        drop(batch);
    }
    started.elapsed()
}

// ----- 3. load_all -----

async fn bench_load_all(dir: &Path) {
    let path = dir.join("load.sqlite3");
    let store = open(&path).await;
    let started = Instant::now();
    store
        .apply(
            (0..100)
                .map(|c| community_sdk::store::Change::Snapshot(snapshot(c, 100)))
                .collect(),
        )
        .await
        .unwrap_or_else(|e| panic!("snapshots: {e}"));
    let applied = started.elapsed();
    store.close().await;

    let store = open(&path).await;
    let started = Instant::now();
    let world = store
        .load_all()
        .await
        .unwrap_or_else(|e| panic!("load_all: {e}"));
    let first = started.elapsed();
    let channels: usize = world.communities.iter().map(|c| c.channels.len()).sum();
    assert_eq!((world.communities.len(), channels), (100, 10_000));
    let mut samples = Vec::with_capacity(LOAD_SAMPLES);
    for _ in 0..LOAD_SAMPLES {
        let started = Instant::now();
        let world = store
            .load_all()
            .await
            .unwrap_or_else(|e| panic!("load_all: {e}"));
        samples.push(started.elapsed());
        assert_eq!(world.communities.len(), 100);
    }
    samples.sort();
    println!(
        "| apply 100 snapshots of 100 channels (one batch) | {} |",
        millis(applied)
    );
    println!(
        "| load_all 100 x 100, first after reopen | {} |",
        millis(first)
    );
    println!(
        "| load_all 100 x 100, {LOAD_SAMPLES} runs: p50 / max | {} / {} |",
        millis(percentile(&samples, 0.50)),
        millis(samples[samples.len() - 1])
    );
    store.close().await;
}
