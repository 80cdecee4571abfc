//! Benchmark of the push hand-off's domain queries (docs/BENCHMARKS.md "Push candidates"):
//! what `Domain::push_candidates` costs per message in a community of 100,000 members
//! (large: only mentions push), for a message with no mention, one mentioning a user and
//! one mentioning a group; what it costs in a community at the large threshold where every
//! member's level is `all` (every member a target); and what the recipients' tokens and
//! badges cost (`Domain::push_recipients`: all of that community's, and one).
//!
//! The domain runs in-process over a temporary data directory; the communities and
//! messages are made through `Domain::handle`, then the members, their push tokens and
//! the group's holders are written straight into the database (every member has a token:
//! the worst case), and the domain is opened again.
//!
//! Run (release!):
//!
//! ```text
//! cargo run --release -p community-server --example push_bench -- --members 100000
//! ```

use std::time::{Duration, Instant};

use clap::Parser;
use community_protocol::request::{CreateCommunity, CreateGroup, SendMessage};
use community_protocol::{
    ChannelId, CommunityId, GroupId, Limits, Mentions, MessageContent, Permissions, Priority,
    Request, Response, UserId,
};
use community_server_domain::Domain;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Parser, Debug, Clone)]
struct Args {
    /// Members of the large community (seeded into the database).
    #[arg(long, default_value_t = 100_000)]
    members: usize,
    /// Members of the community at the large threshold (`large_community_members`).
    #[arg(long, default_value_t = 1_000)]
    threshold: usize,
    /// Holders of the mentioned group.
    #[arg(long, default_value_t = 100)]
    holders: usize,
    /// Timed runs of each query.
    #[arg(long, default_value_t = 200)]
    runs: usize,
}

fn member(prefix: &str, i: usize) -> String {
    format!("{prefix}{i:06}")
}

fn handle(domain: &Domain, caller: &str, request: Request) -> Result<Response, BoxError> {
    Ok(domain.handle(&UserId::from(caller), request)?.response)
}

fn community(domain: &Domain, id: &str) -> Result<(CommunityId, ChannelId), BoxError> {
    let create = Request::CreateCommunity(CreateCommunity {
        community_id: Some(id.into()),
        name: id.into(),
        system_messages: Some(false),
        ..Default::default()
    });
    let Response::Community(snapshot) = handle(domain, "owner", create)? else {
        return Err("no community".into());
    };
    Ok((snapshot.info.community_id, snapshot.info.default_channel_id))
}

fn send(
    domain: &Domain,
    community: &CommunityId,
    channel: &ChannelId,
    key: &str,
    mentions: Mentions,
) -> Result<u64, BoxError> {
    let request = Request::SendMessage(SendMessage {
        community_id: community.clone(),
        channel_id: channel.clone(),
        idempotency_key: key.into(),
        content: MessageContent::Text {
            text: "a message of an ordinary length, about as long as most chat lines are".into(),
        },
        mentions,
        reply_to: None,
        priority: Priority::Normal,
        custom_data: String::new(),
        forward_of: None,
    });
    match handle(domain, "owner", request)? {
        Response::MessageSent(message) => Ok(message.seq),
        other => Err(format!("unexpected {}", other.kind()).into()),
    }
}

/// Writes `count` members (`prefix000000`…), each with a push token, the first `holders`
/// of them holding `group`.
fn seed(
    dir: &std::path::Path,
    community: &CommunityId,
    prefix: &str,
    count: usize,
    group: Option<(&GroupId, usize)>,
) -> Result<(), BoxError> {
    let mut db = rusqlite::Connection::open(dir.join("community.db"))?;
    let tx = db.transaction()?;
    {
        let mut insert_member = tx.prepare(
            "INSERT INTO members (community_id, user_id, role, nickname, joined_at_ms)
             VALUES (?1, ?2, 'member', '', 0)",
        )?;
        let mut insert_user =
            tx.prepare("INSERT OR IGNORE INTO users (user_id, first_seen_ms) VALUES (?1, 0)")?;
        let mut insert_token = tx.prepare(
            "INSERT INTO push_tokens (token, user_id, platform, registered_at_ms)
             VALUES (?1, ?2, 'fcm', 0)",
        )?;
        let mut insert_holder = tx.prepare(
            "INSERT INTO member_groups (community_id, user_id, group_id) VALUES (?1, ?2, ?3)",
        )?;
        for i in 0..count {
            let id = member(prefix, i);
            insert_member.execute(rusqlite::params![community.as_str(), id])?;
            insert_user.execute(rusqlite::params![id])?;
            insert_token.execute(rusqlite::params![format!("token-{id}"), id])?;
            if let Some((group, holders)) = group
                && i < holders
            {
                insert_holder.execute(rusqlite::params![community.as_str(), id, group.as_str()])?;
            }
        }
    }
    tx.execute(
        "UPDATE communities SET member_count = member_count + ?2 WHERE community_id = ?1",
        rusqlite::params![community.as_str(), count as i64],
    )?;
    tx.commit()?;
    Ok(())
}

/// Runs `body` `runs` times; prints the median and the 99th percentile.
fn time(
    what: &str,
    runs: usize,
    mut body: impl FnMut() -> Result<usize, BoxError>,
) -> Result<(), BoxError> {
    let mut took: Vec<Duration> = Vec::with_capacity(runs);
    let mut found = 0;
    body()?; // warm the caches
    for _ in 0..runs {
        let start = Instant::now();
        found = body()?;
        took.push(start.elapsed());
    }
    took.sort();
    let at = |q: f64| took[((took.len() - 1) as f64 * q) as usize];
    println!(
        "{what:<58} targets {found:>5}   median {:>9.1} µs   p99 {:>9.1} µs",
        at(0.5).as_secs_f64() * 1e6,
        at(0.99).as_secs_f64() * 1e6
    );
    Ok(())
}

fn main() -> Result<(), BoxError> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let limits = Limits {
        large_community_members: args.threshold as u64,
        channel_messages_per_second: 1_000_000,
        ..Limits::default()
    };
    let domain = Domain::open(dir.path(), limits.clone())?;
    let (large, large_channel) = community(&domain, "large")?;
    let (small, small_channel) = community(&domain, "threshold")?;
    let create_group = Request::CreateGroup(CreateGroup {
        community_id: large.clone(),
        name: "mods".into(),
        permissions: Permissions::NONE,
        mentionable: true,
        ..Default::default()
    });
    let Response::Group(group) = handle(&domain, "owner", create_group)? else {
        return Err("no group".into());
    };
    drop(domain);
    let seeding = Instant::now();
    seed(
        dir.path(),
        &large,
        "m",
        args.members,
        Some((&group.group_id, args.holders)),
    )?;
    // The owner counts too: the threshold community is exactly at the limit.
    seed(dir.path(), &small, "s", args.threshold - 1, None)?;
    println!(
        "seeded {} + {} members with tokens in {:.1} s",
        args.members,
        args.threshold - 1,
        seeding.elapsed().as_secs_f64()
    );
    let domain = Domain::open(dir.path(), limits)?;

    let plain = send(&domain, &large, &large_channel, "p", Mentions::default())?;
    let one = send(
        &domain,
        &large,
        &large_channel,
        "u",
        Mentions {
            users: vec![UserId::from(member("m", 4242))],
            ..Default::default()
        },
    )?;
    let grouped = send(
        &domain,
        &large,
        &large_channel,
        "g",
        Mentions {
            groups: vec![group.group_id.clone()],
            ..Default::default()
        },
    )?;
    let everyone = send(
        &domain,
        &large,
        &large_channel,
        "e",
        Mentions {
            everyone: true,
            ..Default::default()
        },
    )?;
    let at_threshold = send(&domain, &small, &small_channel, "t", Mentions::default())?;

    let candidates = |community: &CommunityId, channel: &ChannelId, seq: u64| {
        let found = domain.push_candidates(community, channel, seq)?;
        Ok(found.map_or(0, |c| c.targets.len()))
    };
    let label = |text: &str| format!("{} members: {text}", args.members);
    time(&label("no mention"), args.runs, || {
        candidates(&large, &large_channel, plain)
    })?;
    time(&label("@everyone (pushes nobody)"), args.runs, || {
        candidates(&large, &large_channel, everyone)
    })?;
    time(&label("one user mentioned"), args.runs, || {
        candidates(&large, &large_channel, one)
    })?;
    time(
        &label(&format!("a group of {} mentioned", args.holders)),
        args.runs,
        || candidates(&large, &large_channel, grouped),
    )?;
    time(
        &format!("{} members, level all: no mention", args.threshold),
        args.runs.min(50),
        || candidates(&small, &small_channel, at_threshold),
    )?;
    let everyone_small: Vec<UserId> = (0..args.threshold - 1)
        .map(|i| UserId::from(member("s", i)))
        .collect();
    time(
        &format!("{} recipients' tokens and badges", everyone_small.len()),
        args.runs.min(20),
        || {
            Ok(domain
                .push_recipients(&small_channel, at_threshold, &everyone_small)?
                .len())
        },
    )?;
    let recipient = [UserId::from(member("m", 4242))];
    time("one recipient's tokens and badge", args.runs, || {
        Ok(domain
            .push_recipients(&large_channel, one, &recipient)?
            .len())
    })?;
    Ok(())
}
