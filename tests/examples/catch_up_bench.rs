//! How fast a device that was offline catches up the changes made to messages it has
//! cached (issue "messages": 10,000 changes in 100 channels applied to an exact cache in
//! ≤ 500 ms).
//!
//! A real `community-server` on loopback. Alice owns a community of 100 channels and
//! writes 10 messages in each; bob's device caches all 1,000 as they arrive, then closes.
//! Alice then makes 10,000 changes through her SDK — per message four edits, three
//! reactions added and two taken back, and a recall for every other message (a fourth
//! reaction for the others) — so every channel has 100 changes. Bob's app starts again on
//! the same cache and logs in; the program measures the time from `login` to
//! `SyncState::CaughtUp` (structure sync, message catch-up and the change catch-up), and
//! from `CatchingUp` to `CaughtUp` (the change catch-up, as nothing else is missing).
//! Then it checks the result: every cached message of every channel equals a fresh
//! device's copy from the server, field by field, and the counts equal the server's.
//!
//! ```sh
//! cargo run --release -p community-e2e --example catch_up_bench [-- --rounds 3]
//! ```

use std::path::Path;
use std::time::{Duration, Instant};

use community_protocol::request::CreateCommunity;
use community_protocol::{ChannelId, CommunityId, Message, MessageContent};
use community_sdk::{Client, MessageEdit, SyncState};
use community_server::{RunningServer, ServerConfig};

type AnyError = Box<dyn std::error::Error + Send + Sync>;

const CHANNELS: usize = 100;
const MESSAGES: u64 = 10;
const EMOJI: [&str; 4] = ["👍", "🎉", "❤️", "🔥"];

async fn client(url: &str, dir: &Path, device: &str) -> Result<Client, AnyError> {
    Ok(Client::builder()
        .server_url(url)
        .data_dir(dir)
        .device_id(device)
        .request_timeout(Duration::from_secs(30))
        .build()
        .await?)
}

async fn login(client: &Client, data: &Path, user: &str) -> Result<(), AnyError> {
    let token = community_server::issue_token(data, user, Duration::from_secs(3600))?;
    client.login(user, &token).await?;
    Ok(())
}

async fn caught_up(client: &Client) -> Result<(), AnyError> {
    let mut states = client.subscribe_sync_state();
    let wait = async {
        while let Some(state) = states.next().await {
            if state == SyncState::CaughtUp {
                return true;
            }
        }
        false
    };
    match tokio::time::timeout(Duration::from_secs(120), wait).await {
        Ok(true) => Ok(()),
        _ => Err("the client did not catch up".into()),
    }
}

/// A cached page of a channel (the whole channel fits).
async fn history(
    client: &Client,
    community: &CommunityId,
    channel: &ChannelId,
) -> Result<Vec<Message>, AnyError> {
    Ok(client
        .community(community)
        .channel(channel)
        .messages(None, 100)
        .await?)
}

struct Round {
    login_to_caught_up: Duration,
    change_catch_up: Duration,
    changes: usize,
}

async fn round() -> Result<Round, AnyError> {
    let data = tempfile::tempdir()?;
    let server =
        RunningServer::start(ServerConfig::new(([127, 0, 0, 1], 0).into(), data.path())).await?;
    let url = format!("ws://{}/ws", server.local_addr());
    let caches = tempfile::tempdir()?;

    let alice = client(&url, &caches.path().join("alice"), "alice-phone").await?;
    login(&alice, data.path(), "alice").await?;
    let community = alice
        .create_community(CreateCommunity {
            name: "Catch-up".into(),
            system_messages: Some(false),
            ..Default::default()
        })
        .await?;
    let community_id = community.id().clone();
    let mut channels = vec![
        community
            .entry()
            .ok_or("no community")?
            .info
            .default_channel_id,
    ];
    for i in 1..CHANNELS {
        let channel = community
            .create_channel(community_sdk::NewChannel {
                name: format!("room-{i:03}"),
                ..Default::default()
            })
            .await?;
        channels.push(channel.id().clone());
    }

    let bob_dir = caches.path().join("bob");
    let bob = client(&url, &bob_dir, "bob-phone").await?;
    login(&bob, data.path(), "bob").await?;
    bob.join_community(&community_id, "").await?;
    caught_up(&bob).await?;

    // Alice writes 10 messages per channel; bob caches them as they arrive.
    let mut last = None;
    for channel_id in &channels {
        let channel = alice.community(&community_id).channel(channel_id);
        for i in 1..=MESSAGES {
            last = Some(channel.send_text(format!("m{i}")).await?);
        }
    }
    if let Some(last) = last {
        last.sent().await?;
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    for channel_id in &channels {
        while history(&bob, &community_id, channel_id).await?.len() < MESSAGES as usize {
            if Instant::now() > deadline {
                return Err("bob did not cache every message".into());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    bob.close().await?;
    drop(bob);

    // 10,000 changes while bob is away.
    let mut keys = Vec::new();
    for channel_id in &channels {
        let channel = alice.community(&community_id).channel(channel_id);
        for seq in 1..=MESSAGES {
            for n in 0..4 {
                let edit = MessageEdit {
                    content: Some(MessageContent::Text {
                        text: format!("m{seq} edit {n}"),
                    }),
                    custom_data: Some(format!("{{\"n\":{n}}}")),
                    ..Default::default()
                };
                keys.push(channel.edit_message(seq, edit).await?.key);
            }
            for emoji in &EMOJI[..3] {
                keys.push(channel.add_reaction(seq, *emoji).await?.key);
            }
            for emoji in &EMOJI[..2] {
                keys.push(channel.remove_reaction(seq, *emoji).await?.key);
            }
            if seq % 2 == 0 {
                keys.push(channel.recall_message(seq).await?.key);
            } else {
                keys.push(channel.add_reaction(seq, EMOJI[3]).await?.key);
            }
        }
    }
    let changes = keys.len();
    // The driver carries changes out in order: once the last is done, all are (settled
    // ones are kept for the newest 1,000 only, so earlier keys may be gone already).
    if let Some(last) = keys.last() {
        alice.wait_for_change(last).await?;
    }
    let refused = alice
        .pending_changes()
        .await?
        .into_iter()
        .filter(|c| !matches!(c.state, community_sdk::ChangeState::Done { .. }))
        .count();
    if refused > 0 {
        return Err(format!("{refused} changes were not carried out").into());
    }

    // Bob's app starts again on the same cache and logs in.
    let bob = client(&url, &bob_dir, "bob-phone").await?;
    let mut states = bob.subscribe_sync_state();
    let started = Instant::now();
    login(&bob, data.path(), "bob").await?;
    let mut catching_up_at = None;
    let timed = async {
        while let Some(state) = states.next().await {
            match state {
                SyncState::CatchingUp if catching_up_at.is_none() => {
                    catching_up_at = Some(Instant::now());
                }
                SyncState::CaughtUp => return true,
                _ => {}
            }
        }
        false
    };
    if !tokio::time::timeout(Duration::from_secs(120), timed).await? {
        return Err("bob did not catch up".into());
    }
    let done = Instant::now();
    let login_to_caught_up = done - started;
    let change_catch_up = done - catching_up_at.unwrap_or(started);

    // Exact: every cached message equals the server's, and the counts too.
    let fresh_dir = caches.path().join("bob-fresh");
    let fresh = client(&url, &fresh_dir, "bob-fresh").await?;
    login(&fresh, data.path(), "bob").await?;
    caught_up(&fresh).await?;
    for channel_id in &channels {
        let ours = history(&bob, &community_id, channel_id).await?;
        let theirs = history(&fresh, &community_id, channel_id).await?;
        if ours != theirs {
            return Err(format!("channel {channel_id}: the cache differs from the server").into());
        }
        let ours = bob.community(&community_id).channel(channel_id).unread();
        let theirs = fresh.community(&community_id).channel(channel_id).unread();
        if ours != theirs {
            return Err(format!("channel {channel_id}: counts {ours:?} != {theirs:?}").into());
        }
    }
    for c in [bob, fresh, alice] {
        c.close().await?;
    }
    server.shutdown().await;
    Ok(Round {
        login_to_caught_up,
        change_catch_up,
        changes,
    })
}

#[tokio::main]
async fn main() -> Result<(), AnyError> {
    let args: Vec<String> = std::env::args().collect();
    let rounds: usize = args
        .iter()
        .position(|a| a == "--rounds")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(3);
    println!("| round | changes | login → caught up | change catch-up (catching up → caught up) |");
    println!("| --- | --- | --- | --- |");
    for n in 1..=rounds {
        let round = round().await?;
        println!(
            "| {n} | {} in {CHANNELS} channels | {:.0} ms | {:.0} ms |",
            round.changes,
            round.login_to_caught_up.as_secs_f64() * 1e3,
            round.change_catch_up.as_secs_f64() * 1e3,
        );
    }
    println!("\nevery cached message equal to the server's copy, every count exact");
    Ok(())
}
