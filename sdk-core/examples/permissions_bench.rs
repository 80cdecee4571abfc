//! Effective-permissions benchmark: how long the SDK takes to compute what the user may do
//! in every channel of a large community from its cache (issue "roles and permissions":
//! 1,000 channels × 50 groups ≤ 1 ms).
//!
//! ```text
//! cargo run --release -p community-sdk --example permissions_bench
//! ```
//!
//! Set-up (not measured): a cache with one community of 1,000 channels in 10 categories
//! and 50 permission groups; the user holds 10 of them; every channel has 6 overrides (the
//! `@everyone` group, four groups, the user), every other channel follows its category
//! (whose overrides are alike), a tenth are private. A client is built on that cache
//! (offline). Measured, `PERMISSIONS_RUNS` times (default 200): `ChannelHandle::
//! permissions()` for all 1,000 channels (the call a UI makes per channel), and
//! `CommunityHandle::channel_permissions()` (all channels in one pass). Prints a Markdown
//! table and checks that both agree and stay the same between runs.

use std::time::{Duration, Instant};

use community_protocol::{
    CategoryInfo, ChannelHead, ChannelInfo, ChannelKind, CommunityInfo, CommunitySnapshot, Group,
    GroupId, JoinPolicy, MemberInfo, NotificationStatus, Override, OverrideTarget, Permissions,
    Role, UserId,
};
use community_sdk::store::{SessionRecord, Store};
use community_sdk::{Client, cache_path};

const USER: &str = "bench-user";
const CHANNELS: usize = 1_000;
const GROUPS: usize = 50;

type AnyError = Box<dyn std::error::Error + Send + Sync>;

fn flag(n: usize) -> Permissions {
    Permissions::NAMED[n % Permissions::NAMED.len()].1
}

fn overrides(n: usize) -> Vec<Override> {
    let mut rules = vec![Override {
        target: OverrideTarget::Group {
            group_id: GroupId::everyone(),
        },
        allow: Permissions::NONE,
        deny: flag(n + 2),
    }];
    for k in 0..4 {
        rules.push(Override {
            target: OverrideTarget::Group {
                group_id: format!("g{:02}", (n * 7 + k * 13) % GROUPS).into(),
            },
            allow: flag(n + k),
            deny: flag(n + k + 5),
        });
    }
    rules.push(Override {
        target: OverrideTarget::Member {
            user_id: USER.into(),
        },
        allow: flag(n + 3),
        deny: flag(n + 9),
    });
    rules
}

fn snapshot() -> CommunitySnapshot {
    let id = "big".to_string();
    let groups = std::iter::once(Group {
        community_id: id.clone().into(),
        group_id: GroupId::everyone(),
        name: "everyone".into(),
        color: 0,
        position: 0,
        mentionable: false,
        permissions: Permissions::EVERYONE_DEFAULT,
    })
    .chain((0..GROUPS).map(|g| Group {
        community_id: id.clone().into(),
        group_id: format!("g{g:02}").into(),
        name: format!("group {g}"),
        color: 0,
        position: g as i64 + 1,
        mentionable: false,
        permissions: flag(g).union(flag(g + 4)),
    }))
    .collect();
    let categories = (0..10)
        .map(|k| CategoryInfo {
            community_id: id.clone().into(),
            category_id: format!("cat{k}").into(),
            name: format!("category {k}"),
            position: k,
            overrides: overrides(k as usize),
        })
        .collect();
    let channels: Vec<ChannelInfo> = (0..CHANNELS)
        .map(|n| ChannelInfo {
            community_id: id.clone().into(),
            channel_id: format!("ch{n:04}").into(),
            name: format!("channel {n}"),
            introduction: String::new(),
            notice: String::new(),
            custom: String::new(),
            kind: if n % 50 == 0 {
                ChannelKind::Announcement
            } else {
                ChannelKind::Text
            },
            category_id: Some(format!("cat{}", n % 10).into()),
            position: n as i64,
            private: n % 10 == 0,
            is_default: n == 0,
            created_at_ms: 0,
            overrides: overrides(n),
            follows_category: n % 2 == 1,
            mute_all: n % 97 == 0,
        })
        .collect();
    let heads = channels
        .iter()
        .map(|c| ChannelHead {
            community_id: id.clone().into(),
            channel_id: c.channel_id.clone(),
            last_seq: 10,
            last_activity_ms: 0,
            read_seq: 5,
            unread_count: 5,
            mention_count: 0,
            change_seq: 0,
            hidden: Vec::new(),
            notification_level: Default::default(),
        })
        .collect();
    CommunitySnapshot {
        info: CommunityInfo {
            community_id: id.clone().into(),
            name: "Big".into(),
            avatar_url: String::new(),
            notice: String::new(),
            owner_id: "someone-else".into(),
            join_policy: JoinPolicy::Free,
            mute_all: false,
            member_count: 100_000,
            attributes: Default::default(),
            default_channel_id: "ch0000".into(),
            created_at_ms: 0,
            version: 1,
            system_messages: true,
        },
        categories,
        channels,
        me: MemberInfo {
            community_id: id.into(),
            user_id: USER.into(),
            role: Role::Member,
            nickname: String::new(),
            joined_at_ms: 0,
            muted_until_ms: None,
            groups: (0..10).map(|g| format!("g{:02}", g * 5).into()).collect(),
            custom_fields: Default::default(),
        },
        notification: NotificationStatus::Notify,
        heads,
        groups,
        threads: Vec::new(),
        voice: Vec::new(),
    }
}

async fn prepare(dir: &std::path::Path) -> Result<Client, AnyError> {
    let store = Store::open(cache_path(dir, &UserId::from(USER))).await?;
    store
        .apply(vec![community_sdk::store::Change::Snapshot(snapshot())])
        .await?;
    store
        .save_session(SessionRecord {
            user_id: USER.into(),
            device_id: "bench".into(),
            session_id: "s_bench".into(),
            last_event_seq: 0,
        })
        .await?;
    store.close().await;
    let client = Client::builder()
        .server_url("ws://127.0.0.1:9/ws")
        .data_dir(dir)
        .device_id("bench")
        .build()
        .await?;
    client.login(USER, "offline-token").await?;
    Ok(client)
}

#[tokio::main]
async fn main() -> Result<(), AnyError> {
    let runs: usize = std::env::var("PERMISSIONS_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
        .max(1);
    let dir = tempfile::tempdir()?;
    let client = prepare(dir.path()).await?;
    let community = client.community("big");
    let channels: Vec<_> = (0..CHANNELS)
        .map(|n| community.channel(format!("ch{n:04}")))
        .collect();
    let first: Vec<Option<Permissions>> = channels.iter().map(|c| c.permissions()).collect();
    if first.iter().any(Option::is_none) {
        return Err("a channel is not cached".into());
    }
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        let all: Vec<Option<Permissions>> = channels.iter().map(|c| c.permissions()).collect();
        samples.push(started.elapsed());
        if all != first {
            return Err("the answers changed between runs".into());
        }
    }
    let mut batch = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        let all = community
            .channel_permissions()
            .ok_or("the community is not cached")?;
        batch.push(started.elapsed());
        let same = all
            .iter()
            .zip(&first)
            .all(|((_, held), one)| Some(*held) == *one);
        if all.len() != CHANNELS || !same {
            return Err("the batch disagrees with the per-channel answers".into());
        }
    }
    samples.sort();
    batch.sort();
    let at = |p: f64| samples[((samples.len() - 1) as f64 * p).round() as usize];
    let at_batch = |p: f64| batch[((batch.len() - 1) as f64 * p).round() as usize];
    let us = |d: Duration| format!("{:.0} µs", d.as_secs_f64() * 1e6);
    let allowed = first
        .iter()
        .flatten()
        .filter(|p| p.contains(Permissions::SEND_MESSAGES))
        .count();
    println!("| benchmark | goal | result |");
    println!("| --- | --- | --- |");
    println!(
        "| `permissions()` of {CHANNELS} channels, {GROUPS} groups, 6 overrides each ({runs} runs) | ≤ 1 ms | p50 {}, p95 {}, max {} |",
        us(at(0.5)),
        us(at(0.95)),
        us(at(1.0))
    );
    println!(
        "| `CommunityHandle::channel_permissions()` (all {CHANNELS} in one pass, {runs} runs) | ≤ 1 ms | p50 {}, p95 {}, max {} |",
        us(at_batch(0.5)),
        us(at_batch(0.95)),
        us(at_batch(1.0))
    );
    println!("\n{allowed} of {CHANNELS} channels allow sending");
    client.close().await?;
    Ok(())
}
