//! Quickstart for the Community SDK: log in, list the joined communities with their
//! unread counts, send a message and wait until the server has it.
//!
//! ```text
//! community-quickstart --server ws://127.0.0.1:7600/ws --user alice --token v1.…
//! community-quickstart            # no arguments: runs an embedded server on 127.0.0.1
//! ```
//!
//! With a server of your own, issue a development token with
//! `community-server token --data-dir <dir> --user alice`. Without arguments the example
//! starts a `community-server` in-process on a free loopback port with a temporary data
//! directory, issues the token itself and creates a first community.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

use std::time::Duration;

use clap::Parser;
use community_protocol::request::CreateCommunity;
use community_sdk::{Client, LoginOutcome};

/// Command-line arguments.
#[derive(Debug, Parser)]
#[command(about = "Log in with the Community SDK, list communities, send a message")]
struct Args {
    /// WebSocket URL of a running server (with --user and --token).
    #[arg(long, requires_all = ["user", "token"])]
    server: Option<String>,
    /// The user to log in as.
    #[arg(long)]
    user: Option<String>,
    /// A token for that user.
    #[arg(long)]
    token: Option<String>,
    /// Where the SDK keeps its cache (default: a temporary directory).
    #[arg(long)]
    data_dir: Option<std::path::PathBuf>,
    /// The text to send to the first community's default channel.
    #[arg(long, default_value = "Hello from the quickstart!")]
    message: String,
}

type AnyError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), AnyError> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let args = Args::parse();

    // 1. Where to connect: the given server, or an embedded one.
    let server_dir = tempfile::tempdir()?;
    let (embedded, url, user, token) = match (args.server, args.user, args.token) {
        (Some(url), Some(user), Some(token)) => (None, url, user, token),
        _ => {
            let config =
                community_server::ServerConfig::new("127.0.0.1:0".parse()?, server_dir.path());
            let server = community_server::RunningServer::start(config).await?;
            let token = server.issue_token("alice", Duration::from_secs(3600))?;
            let url = server.ws_url();
            println!("embedded server at {url}");
            (Some(server), url, "alice".to_string(), token)
        }
    };

    // 2. Build the client and log in.
    let cache_dir = tempfile::tempdir()?;
    let data_dir = args
        .data_dir
        .unwrap_or_else(|| cache_dir.path().to_path_buf());
    let client = Client::builder()
        .server_url(&url)
        .data_dir(&data_dir)
        .device_id("quickstart")
        .build()
        .await?;
    match client.login(&user, &token).await? {
        LoginOutcome::Synced => println!("logged in as {user}"),
        LoginOutcome::Offline => {
            println!("logged in as {user} from the cache: the server is unreachable for now")
        }
        other => println!("logged in as {user} ({other:?})"),
    }

    // 3. A community to talk in (the embedded server starts empty).
    if client.communities().is_empty() {
        let created = client
            .create_community(CreateCommunity {
                name: "Quickstart".into(),
                ..Default::default()
            })
            .await?;
        println!("created community {}", created.id());
    }

    // 4. List communities with their unread counts.
    let totals = client.unread_totals();
    println!(
        "{} communities, {} unread, {} mentions",
        client.communities().len(),
        totals.total_unread,
        totals.total_mentions
    );
    for entry in client.communities() {
        let community = client.community(&entry.info.community_id);
        let unread = community.unread().map(|u| u.unread_count).unwrap_or(0);
        println!(
            "- {} ({} members): {unread} unread",
            entry.info.name, entry.info.member_count
        );
        for channel in community.channels() {
            println!(
                "    #{} unread {} mentions {}",
                channel.info.name, channel.head.unread_count, channel.head.mention_count
            );
        }
    }

    // 5. Send a message and wait until the server confirms it.
    let Some(first) = client.communities().into_iter().next() else {
        return Err("no community to send to".into());
    };
    let channel = client
        .community(&first.info.community_id)
        .channel(&first.info.default_channel_id);
    let outgoing = channel.send_text(args.message).await?;
    println!("queued {}", outgoing.local_id());
    match tokio::time::timeout(Duration::from_secs(15), outgoing.sent()).await {
        Ok(Ok(seq)) => println!("sent as #{seq}"),
        Ok(Err(error)) => println!("not sent: {error}"),
        Err(_) => println!("not confirmed yet; the outbox keeps it and sends it when it can"),
    }

    // 6. Shut down: `close` returns once the connection, the tasks and the cache file are
    // closed; the session stays resumable (`logout` would end it on the server).
    client.close().await?;
    if let Some(server) = embedded {
        server.shutdown().await;
    }
    Ok(())
}
