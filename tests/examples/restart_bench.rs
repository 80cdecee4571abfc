//! How fast clients come back after short server restarts, with the SDK's default
//! reconnect backoff (nothing tuned down for tests).
//!
//! A real `community-server` and `CLIENTS` logged-in SDK clients on loopback; twelve times
//! the server goes away (graceful shutdown, or a kill with `--kill`) for a random
//! 0.5–2 s, starts again on the same address and data directory, and the program
//! measures, for every client, the time from the server listening again to the client
//! being connected and caught up. The promise (docs/BENCHMARKS.md): every client is back
//! within 3 s of the server's return, i.e. within the restart's downtime + 3 s.
//!
//! ```sh
//! cargo run --release -p community-e2e --example restart_bench [-- --kill] [-- --clients 20]
//! ```

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use community_protocol::request::CreateCommunity;
use community_sdk::{Client, ConnectionState, SyncState};
use community_server::{RunningServer, ServerConfig};
use rand::Rng;

type AnyError = Box<dyn std::error::Error + Send + Sync>;

const ROUNDS: usize = 12;

#[tokio::main]
async fn main() -> Result<(), AnyError> {
    let args: Vec<String> = std::env::args().collect();
    let kill = args.iter().any(|a| a == "--kill");
    let clients_wanted: usize = args
        .iter()
        .position(|a| a == "--clients")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(20);

    let data = tempfile::tempdir()?;
    let config = |addr: SocketAddr| {
        let mut config = ServerConfig::new(addr, data.path());
        config.shutdown_grace = Duration::from_secs(2);
        config
    };
    let mut server = Some(RunningServer::start(config(([127, 0, 0, 1], 0).into())).await?);
    let addr = server
        .as_ref()
        .map(RunningServer::local_addr)
        .ok_or("no server")?;
    let url = format!("ws://{addr}/ws");

    let caches = tempfile::tempdir()?;
    let mut clients = Vec::new();
    for i in 0..clients_wanted {
        let user = format!("user{i:03}");
        let client = Client::builder()
            .server_url(&url)
            .data_dir(caches.path().join(&user))
            .device_id(format!("{user}-device"))
            .build()
            .await?;
        let token = community_server::issue_token(data.path(), &user, Duration::from_secs(3600))?;
        client.login(user.as_str(), &token).await?;
        clients.push(client);
    }
    clients[0]
        .create_community(CreateCommunity {
            name: "Restarts".into(),
            ..CreateCommunity::default()
        })
        .await?;

    println!(
        "{} restarts ({}), {} clients, default backoff",
        ROUNDS,
        if kill { "kill" } else { "graceful shutdown" },
        clients.len()
    );
    println!("round  downtime_ms  back_p50_ms  back_max_ms");
    let mut all = Vec::new();
    let mut worst_over_downtime = Duration::ZERO;
    for round in 1..=ROUNDS {
        let downtime = Duration::from_millis(rand::rng().random_range(500..=2_000));
        if let Some(running) = server.take() {
            if kill {
                running.kill().await;
            } else {
                running.shutdown().await;
            }
        }
        let went_down = Instant::now();
        tokio::time::sleep(downtime).await;
        let restarted = loop {
            match RunningServer::start(config(addr)).await {
                Ok(running) => break running,
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        };
        let back = Instant::now();
        let real_downtime = back - went_down;
        server = Some(restarted);
        let mut delays = Vec::new();
        for client in &clients {
            let deadline = back + Duration::from_secs(60);
            loop {
                if client.connection_state() == ConnectionState::Connected
                    && client.sync_state() == SyncState::CaughtUp
                {
                    break;
                }
                if Instant::now() > deadline {
                    return Err(format!("a client is not back after 60 s (round {round})").into());
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            delays.push(back.elapsed());
        }
        delays.sort();
        let p50 = delays[delays.len() / 2];
        let max = delays[delays.len() - 1];
        worst_over_downtime = worst_over_downtime.max(max);
        println!(
            "{round:>5}  {:>11}  {:>11}  {:>11}",
            real_downtime.as_millis(),
            p50.as_millis(),
            max.as_millis()
        );
        all.extend(delays);
    }
    all.sort();
    let at = |q: f64| all[((all.len() as f64 * q) as usize).min(all.len() - 1)];
    println!(
        "all: back after the server returned p50 {} ms, p99 {} ms, max {} ms (promise: <= 3000 ms)",
        at(0.5).as_millis(),
        at(0.99).as_millis(),
        worst_over_downtime.as_millis()
    );
    for client in &clients {
        client.close().await?;
    }
    if let Some(running) = server {
        running.shutdown().await;
    }
    Ok(())
}
