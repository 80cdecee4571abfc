//! The `community-server` command line: `serve` runs a server until SIGINT/SIGTERM (then
//! shuts down gracefully); `token` prints a login token made with the data directory's
//! secret (for development and for an app backend's scripts).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::{RunningServer, ServerConfig, ServerError, issue_token};

/// The self-hostable Community server (protocol v1 over WebSocket, embedded SQLite).
#[derive(Debug, Parser)]
#[command(name = "community-server", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (WebSocket at /ws, health check at /healthz).
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:7600")]
        listen: SocketAddr,
        /// Data directory (database and token secret; created if missing).
        #[arg(long, default_value = "./data")]
        data_dir: PathBuf,
        /// Heartbeat interval announced to clients, in seconds.
        #[arg(long, default_value_t = 15)]
        heartbeat_secs: u64,
        /// How long a disconnected session stays resumable, in seconds.
        #[arg(long, default_value_t = 120)]
        session_linger_secs: u64,
        /// Messages per second per channel before priority-based dropping.
        #[arg(long)]
        channel_messages_per_second: Option<u32>,
    },
    /// Print a login token for a user.
    Token {
        /// Data directory of the server the token is for.
        #[arg(long, default_value = "./data")]
        data_dir: PathBuf,
        /// The user id.
        #[arg(long)]
        user: String,
        /// Validity in seconds.
        #[arg(long, default_value_t = 86_400)]
        ttl: u64,
    },
}

/// Runs a parsed command line to completion.
pub async fn run(cli: Cli) -> Result<(), ServerError> {
    match cli.command {
        Command::Serve {
            listen,
            data_dir,
            heartbeat_secs,
            session_linger_secs,
            channel_messages_per_second,
        } => {
            let mut config = ServerConfig::new(listen, data_dir);
            config.heartbeat_interval = Duration::from_secs(heartbeat_secs.max(1));
            config.session_linger = Duration::from_secs(session_linger_secs);
            if let Some(rate) = channel_messages_per_second {
                config.limits.channel_messages_per_second = rate;
            }
            let server = RunningServer::start(config).await?;
            println!(
                "community-server listening on {} (WebSocket {})",
                server.local_addr(),
                server.ws_url()
            );
            wait_for_signal().await;
            server.shutdown().await;
            Ok(())
        }
        Command::Token {
            data_dir,
            user,
            ttl,
        } => {
            let token = tokio::task::spawn_blocking(move || {
                issue_token(&data_dir, &user, Duration::from_secs(ttl))
            })
            .await
            .map_err(|e| ServerError::Task(e.to_string()))??;
            println!("{token}");
            Ok(())
        }
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(error) => {
                tracing::warn!(%error, "cannot watch SIGTERM; only SIGINT stops the server");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    tracing::info!("signal received");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_serve_and_token() {
        let cli = Cli::parse_from([
            "community-server",
            "serve",
            "--listen",
            "127.0.0.1:9",
            "--data-dir",
            "d",
        ]);
        assert!(matches!(cli.command, Command::Serve { listen, .. } if listen.port() == 9));
        let cli = Cli::parse_from([
            "community-server",
            "token",
            "--data-dir",
            "d",
            "--user",
            "alice",
            "--ttl",
            "5",
        ]);
        assert!(matches!(cli.command, Command::Token { ttl: 5, ref user, .. } if user == "alice"));
        assert!(
            Cli::try_parse_from(["community-server", "token"]).is_err(),
            "--user is required"
        );
    }
}
