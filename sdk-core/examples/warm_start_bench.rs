//! Warm-start benchmark: how long an app restart takes from `Client::builder().build()`
//! to every unread count being ready, with 100 communities x 100 channels and 2,000
//! joined threads (20 per community) cached.
//!
//! ```text
//! cargo run --release -p community-sdk --example warm_start_bench
//! ```
//!
//! Set-up (not measured): a cache file is filled through the store's API with 100
//! communities of 100 channels (5 categories each, heads with unread and mention counts,
//! a fifth of the communities in do-not-disturb) and a saved session; one offline login
//! (server unreachable) marks the user as the last one. Then, `WARM_START_RUNS` times
//! (default 30): build a client on that directory and read every count
//! (`Client::unread`, which lists all 10,000 channels, and `Client::unread_totals`),
//! checking them against the expected sums. Prints a Markdown table.

use std::time::{Duration, Instant};

use community_protocol::UserId;
use community_protocol::{
    CategoryInfo, ChannelHead, ChannelInfo, ChannelKind, CommunityInfo, CommunitySnapshot,
    JoinPolicy, MemberInfo, NotificationStatus, Role, ThreadInfo,
};
use community_sdk::store::{SessionRecord, Store};
use community_sdk::{Client, cache_path};

const USER: &str = "bench-user";
const COMMUNITIES: usize = 100;
const CHANNELS: usize = 100;
/// Joined threads per community.
const THREADS: usize = 20;

type AnyError = Box<dyn std::error::Error + Send + Sync>;

fn snapshot(c: usize) -> CommunitySnapshot {
    let community_id = format!("community-{c:03}");
    let categories = (0..5)
        .map(|k| CategoryInfo {
            community_id: community_id.clone().into(),
            category_id: format!("cat_{c}_{k}").into(),
            name: format!("category {k}"),
            position: k as i64,
            overrides: Vec::new(),
        })
        .collect();
    let channels: Vec<ChannelInfo> = (0..CHANNELS)
        .map(|h| ChannelInfo {
            community_id: community_id.clone().into(),
            channel_id: format!("ch_{c}_{h}").into(),
            name: format!("channel-{h}"),
            introduction: "a channel of the warm-start benchmark".into(),
            notice: String::new(),
            custom: String::new(),
            kind: ChannelKind::Text,
            category_id: Some(format!("cat_{c}_{}", h % 5).into()),
            position: h as i64,
            private: false,
            is_default: h == 0,
            created_at_ms: 1_767_225_600_000,
            overrides: Vec::new(),
            follows_category: false,
            mute_all: false,
        })
        .collect();
    // 20 joined threads per community (2,000 in all), each with its head.
    let threads: Vec<ThreadInfo> = (0..THREADS)
        .map(|t| ThreadInfo {
            community_id: community_id.clone().into(),
            thread_id: format!("th_{c}_{t}").into(),
            parent_channel_id: format!("ch_{c}_{}", t % CHANNELS).into(),
            parent_seq: Some(t as u64 + 1),
            name: format!("thread {t}"),
            created_by: "someone".into(),
            created_at_ms: 1_767_225_600_000,
            archived: false,
            locked: false,
            auto_archive_ms: 86_400_000,
            last_activity_ms: 1_767_229_260_000,
            message_count: 50,
            member_count: 3,
        })
        .collect();
    let thread_heads: Vec<ChannelHead> = threads
        .iter()
        .enumerate()
        .map(|(t, th)| ChannelHead {
            community_id: community_id.clone().into(),
            channel_id: th.thread_id.clone(),
            last_seq: 50,
            last_activity_ms: 1_767_229_260_000,
            read_seq: 50 - thread_unread_of(c, t),
            unread_count: thread_unread_of(c, t),
            mention_count: 0,
            change_seq: 0,
            hidden: Vec::new(),
            notification_level: Default::default(),
        })
        .collect();
    let heads: Vec<ChannelHead> = channels
        .iter()
        .enumerate()
        .map(|(h, ch)| ChannelHead {
            community_id: community_id.clone().into(),
            channel_id: ch.channel_id.clone(),
            last_seq: 1_000 + h as u64,
            last_activity_ms: 1_767_229_260_000,
            read_seq: 1_000 + h as u64 - unread_of(c, h),
            unread_count: unread_of(c, h),
            mention_count: mentions_of(c, h),
            change_seq: 0,
            hidden: Vec::new(),
            notification_level: Default::default(),
        })
        .collect();
    CommunitySnapshot {
        info: CommunityInfo {
            community_id: community_id.clone().into(),
            name: format!("Community {c}"),
            avatar_url: String::new(),
            notice: String::new(),
            owner_id: "someone".into(),
            join_policy: JoinPolicy::Free,
            mute_all: false,
            member_count: 1_000,
            attributes: Default::default(),
            default_channel_id: format!("ch_{c}_0").into(),
            created_at_ms: 1_767_225_600_000,
            version: 7,
            system_messages: true,
        },
        categories,
        channels,
        me: MemberInfo {
            community_id: community_id.into(),
            user_id: USER.into(),
            role: Role::Member,
            nickname: String::new(),
            joined_at_ms: 1_767_225_600_000,
            muted_until_ms: None,
            groups: Vec::new(),
            custom_fields: Default::default(),
        },
        notification: notification_of(c),
        heads: heads.into_iter().chain(thread_heads).collect(),
        groups: Vec::new(),
        threads,
        voice: Vec::new(),
    }
}

fn thread_unread_of(c: usize, t: usize) -> u64 {
    ((c + t * 5) % 7) as u64
}

fn unread_of(c: usize, h: usize) -> u64 {
    ((c * 7 + h * 3) % 11) as u64
}

fn mentions_of(c: usize, h: usize) -> u64 {
    u64::from((c + h).is_multiple_of(13))
}

fn notification_of(c: usize) -> NotificationStatus {
    if c.is_multiple_of(5) {
        NotificationStatus::DoNotDisturb
    } else {
        NotificationStatus::Notify
    }
}

fn expected_totals() -> (u64, u64) {
    let mut unread = 0;
    let mut mentions = 0;
    for c in 0..COMMUNITIES {
        for h in 0..CHANNELS {
            if notification_of(c) == NotificationStatus::Notify {
                unread += unread_of(c, h);
            }
            mentions += mentions_of(c, h);
        }
        for t in 0..THREADS {
            if notification_of(c) == NotificationStatus::Notify {
                unread += thread_unread_of(c, t);
            }
        }
    }
    (unread, mentions)
}

async fn prepare(dir: &std::path::Path) -> Result<(), AnyError> {
    let store = Store::open(cache_path(dir, &UserId::from(USER))).await?;
    let changes = (0..COMMUNITIES)
        .map(|c| community_sdk::store::Change::Snapshot(snapshot(c)))
        .collect();
    store.apply(changes).await?;
    store
        .save_session(SessionRecord {
            user_id: USER.into(),
            device_id: "bench".into(),
            session_id: "s_bench".into(),
            last_event_seq: 0,
        })
        .await?;
    store.close().await;
    // One offline login (nothing listens on the URL) makes this the last user.
    let client = build(dir).await?;
    client.login(USER, "offline-token").await?;
    drop(client);
    Ok(())
}

async fn build(dir: &std::path::Path) -> Result<Client, AnyError> {
    Ok(Client::builder()
        .server_url("ws://127.0.0.1:9/ws")
        .data_dir(dir)
        .device_id("bench")
        .build()
        .await?)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1_000.0)
}

#[tokio::main]
async fn main() -> Result<(), AnyError> {
    let runs: usize = std::env::var("WARM_START_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30)
        .max(1);
    let dir = tempfile::tempdir()?;
    let started = Instant::now();
    prepare(dir.path()).await?;
    let prepared = started.elapsed();
    let (want_unread, want_mentions) = expected_totals();

    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let client = build(dir.path()).await?;
        let all = client.unread();
        let totals = client.unread_totals();
        let elapsed = start.elapsed();
        if all.channels.len() != COMMUNITIES * CHANNELS || all.communities.len() != COMMUNITIES {
            return Err(format!(
                "counts incomplete: {} channels, {} communities",
                all.channels.len(),
                all.communities.len()
            )
            .into());
        }
        if (totals.total_unread, totals.total_mentions) != (want_unread, want_mentions) {
            return Err(
                format!("wrong totals {totals:?}, want {want_unread}/{want_mentions}").into(),
            );
        }
        samples.push(elapsed);
        // Every thread of the client and its store is gone when `close` returns.
        client.close().await?;
    }
    // The store's share: opening it and `load_all` (what the state is built from).
    let mut loads = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let store = Store::open(cache_path(dir.path(), &UserId::from(USER))).await?;
        let world = store.load_all().await?;
        loads.push(start.elapsed());
        if world.communities.len() != COMMUNITIES {
            return Err("the store lost communities".into());
        }
        store.close().await;
    }
    loads.sort();
    let first = samples[0];
    let mut sorted = samples.clone();
    sorted.sort();
    println!("| warm start, {COMMUNITIES} x {CHANNELS} cached, {runs} runs | goal | result |");
    println!("| --- | --- | --- |");
    println!(
        "| `build()` + every unread count (10,000 channels + 2,000 joined threads, totals {want_unread} unread / {want_mentions} mentions) | ≤ 50 ms | p50 {}, p95 {}, max {}, first {} |",
        ms(percentile(&sorted, 0.5)),
        ms(percentile(&sorted, 0.95)),
        ms(percentile(&sorted, 1.0)),
        ms(first)
    );
    println!(
        "| of which `Store::open` + `load_all` | — | p50 {}, p95 {}, max {} |",
        ms(percentile(&loads, 0.5)),
        ms(percentile(&loads, 0.95)),
        ms(percentile(&loads, 1.0)),
    );
    println!(
        "| set-up (fill the cache, offline login) | — | {} |",
        ms(prepared)
    );
    Ok(())
}
