//! The `community-server` command line: `serve` runs a server until SIGINT/SIGTERM (then
//! shuts down gracefully); `token` prints a login token made with the data directory's
//! secret (for development and for an app backend's scripts); `admin-key rotate` / `show`
//! manage the admin API's key (`docs/ADMIN.md`).
//!
//! `serve` takes its configuration from an optional TOML file (`--config`, see
//! [`crate::config_file`]) and then from flags, which override the file; every limit can
//! be set either way (`[limits]` in the file, `--limit NAME=VALUE` on the command line).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::config_file::ConfigFile;
use crate::{RunningServer, ServerConfig, ServerError};

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
    Serve(Box<ServeArgs>),
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
        /// The token secret's file, when not `<data-dir>/server.secret`.
        #[arg(long)]
        secret_file: Option<PathBuf>,
    },
    /// Manage the admin API's key.
    AdminKey {
        /// What to do with the key.
        #[command(subcommand)]
        action: AdminKeyAction,
    },
}

/// `admin-key` subcommands.
#[derive(Debug, Subcommand)]
pub enum AdminKeyAction {
    /// Replace the key with a new random one and print it. A running server of that data
    /// directory refuses the old key from its next admin call on.
    Rotate {
        /// Data directory of the server.
        #[arg(long, default_value = "./data")]
        data_dir: PathBuf,
        /// The key file, when not `<data-dir>/admin.key`.
        #[arg(long)]
        key_file: Option<PathBuf>,
    },
    /// Print the current key (creating it if missing).
    Show {
        /// Data directory of the server.
        #[arg(long, default_value = "./data")]
        data_dir: PathBuf,
        /// The key file, when not `<data-dir>/admin.key`.
        #[arg(long)]
        key_file: Option<PathBuf>,
    },
}

/// The flags of `serve`. Each one given overrides the configuration file.
#[derive(Debug, Clone, Default, Args)]
pub struct ServeArgs {
    /// A TOML configuration file (see community-server.example.toml).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:7600].
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// Data directory (database and token secret; created if missing) [default: ./data].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// The admin API's key file [default: <data-dir>/admin.key].
    #[arg(long)]
    pub admin_key_file: Option<PathBuf>,
    /// Heartbeat interval announced to clients, in seconds [default: 15].
    #[arg(long)]
    pub heartbeat_secs: Option<u64>,
    /// How long a disconnected session stays resumable, in seconds [default: 120].
    #[arg(long)]
    pub session_linger_secs: Option<u64>,
    /// Time from accept to a complete upgrade and hello, in seconds [default: 10].
    #[arg(long)]
    pub handshake_timeout_secs: Option<u64>,
    /// TCP connections served at once [default: 10000].
    #[arg(long)]
    pub max_connections: Option<usize>,
    /// Largest client frame, in bytes [default: 65536].
    #[arg(long)]
    pub max_frame_bytes: Option<usize>,
    /// Messages per second per channel before priority-based dropping (same as
    /// `--limit channel_messages_per_second=N`).
    #[arg(long)]
    pub channel_messages_per_second: Option<u32>,
    /// Sets one limit, e.g. `--limit max_channels_per_community=500` (repeatable; the
    /// names are the keys of `[limits]` in the configuration file).
    #[arg(long = "limit", value_name = "NAME=VALUE", value_parser = parse_limit)]
    pub limits: Vec<(String, i64)>,
    /// The NATS server linking this node to the others, e.g. `nats://127.0.0.1:4222`
    /// (none: a single node).
    #[arg(long)]
    pub nats: Option<String>,
    /// The PostgreSQL database shared by every node, e.g.
    /// `postgres://community@127.0.0.1:5432/community` (none: SQLite in the data
    /// directory).
    #[arg(long)]
    pub database: Option<String>,
    /// The token secret's file, the same on every node [default: <data-dir>/server.secret].
    #[arg(long)]
    pub secret_file: Option<PathBuf>,
}

fn parse_limit(text: &str) -> Result<(String, i64), String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=VALUE, got {text:?}"))?;
    let value = value
        .trim()
        .parse()
        .map_err(|_| format!("the value of {name} must be an integer"))?;
    Ok((name.trim().to_owned(), value))
}

impl ServeArgs {
    /// The server configuration: the file's (if any), then every flag given on top, then
    /// validated.
    pub fn server_config(&self) -> Result<ServerConfig, ServerError> {
        let mut file = match &self.config {
            Some(path) => ConfigFile::load(path)?,
            None => ConfigFile::default(),
        };
        fn over<T: Clone>(file: &mut Option<T>, flag: &Option<T>) {
            if flag.is_some() {
                file.clone_from(flag);
            }
        }
        over(&mut file.listen, &self.listen);
        over(&mut file.data_dir, &self.data_dir);
        over(&mut file.admin_key_file, &self.admin_key_file);
        over(&mut file.heartbeat_secs, &self.heartbeat_secs);
        over(&mut file.session_linger_secs, &self.session_linger_secs);
        over(
            &mut file.handshake_timeout_secs,
            &self.handshake_timeout_secs,
        );
        over(&mut file.max_connections, &self.max_connections);
        over(&mut file.max_frame_bytes, &self.max_frame_bytes);
        over(&mut file.nats, &self.nats);
        over(&mut file.database, &self.database);
        over(&mut file.secret_file, &self.secret_file);
        if let Some(rate) = self.channel_messages_per_second {
            file.set_limit("channel_messages_per_second", i64::from(rate));
        }
        for (name, value) in &self.limits {
            file.set_limit(name, *value);
        }
        file.into_config()
    }
}

/// Runs a parsed command line to completion.
pub async fn run(cli: Cli) -> Result<(), ServerError> {
    match cli.command {
        Command::Serve(args) => {
            let config = args.server_config()?;
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
            secret_file,
        } => {
            let token = tokio::task::spawn_blocking(move || {
                let secret =
                    secret_file.unwrap_or_else(|| data_dir.join(crate::token::SECRET_FILE));
                crate::server::issue_token_with_secret(&secret, &user, Duration::from_secs(ttl))
            })
            .await
            .map_err(|e| ServerError::Task(e.to_string()))??;
            println!("{token}");
            Ok(())
        }
        Command::AdminKey { action } => {
            let key = tokio::task::spawn_blocking(move || match action {
                AdminKeyAction::Rotate { data_dir, key_file } => {
                    crate::admin::rotate_key(&key_file.unwrap_or_else(|| default_key(&data_dir)))
                }
                AdminKeyAction::Show { data_dir, key_file } => crate::admin::load_or_create_key(
                    &key_file.unwrap_or_else(|| default_key(&data_dir)),
                ),
            })
            .await
            .map_err(|e| ServerError::Task(e.to_string()))??;
            println!("{key}");
            Ok(())
        }
    }
}

fn default_key(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join(crate::admin::KEY_FILE)
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
        assert!(
            matches!(cli.command, Command::Serve(ref args) if args.listen.is_some_and(|l| l.port() == 9))
        );
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

    fn serve(args: &[&str]) -> ServeArgs {
        let mut line = vec!["community-server", "serve"];
        line.extend_from_slice(args);
        match Cli::parse_from(line).command {
            Command::Serve(args) => *args,
            other => panic!("not serve: {other:?}"),
        }
    }

    #[test]
    fn admin_key_rotate_parses_and_changes_the_key() {
        let cli = Cli::parse_from(["community-server", "admin-key", "rotate", "--data-dir", "d"]);
        assert!(matches!(
            cli.command,
            Command::AdminKey {
                action: AdminKeyAction::Rotate { .. }
            }
        ));
        let dir = tempfile::tempdir().unwrap();
        let path = default_key(dir.path());
        let first = crate::admin::load_or_create_key(&path).unwrap();
        let second = crate::admin::rotate_key(&path).unwrap();
        assert_ne!(first, second);
        assert_eq!(crate::admin::load_or_create_key(&path).unwrap(), second);
        // The key file: the data directory's by default, or the one named.
        let config = serve(&["--data-dir", "d"]).server_config().unwrap();
        assert_eq!(
            config.admin_key_path(),
            PathBuf::from("d").join("admin.key")
        );
        let config = serve(&["--admin-key-file", "/etc/k"])
            .server_config()
            .unwrap();
        assert_eq!(config.admin_key_path(), PathBuf::from("/etc/k"));
    }

    #[test]
    fn nats_from_the_flag_or_the_file() {
        assert_eq!(serve(&[]).server_config().unwrap().nats, None);
        let config = serve(&["--nats", "nats://127.0.0.1:4222"])
            .server_config()
            .unwrap();
        assert_eq!(config.nats.as_deref(), Some("nats://127.0.0.1:4222"));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.toml");
        std::fs::write(&path, "nats = \"nats://10.0.0.1:4222\"\n").unwrap();
        let file = path.to_str().unwrap();
        let from_file = serve(&["--config", file]).server_config().unwrap();
        assert_eq!(from_file.nats.as_deref(), Some("nats://10.0.0.1:4222"));
        let flag = serve(&["--config", file, "--nats", "nats://127.0.0.1:1"])
            .server_config()
            .unwrap();
        assert_eq!(flag.nats.as_deref(), Some("nats://127.0.0.1:1"));
    }

    #[test]
    fn database_and_secret_from_the_flags_or_the_file() {
        let default = serve(&["--data-dir", "d"]).server_config().unwrap();
        assert_eq!(default.database, None);
        assert_eq!(
            default.secret_path(),
            PathBuf::from("d").join("server.secret")
        );
        let config = serve(&[
            "--database",
            "postgres://community@127.0.0.1:5432/community",
            "--secret-file",
            "/etc/community/secret",
        ])
        .server_config()
        .unwrap();
        assert_eq!(
            config.database.as_deref(),
            Some("postgres://community@127.0.0.1:5432/community")
        );
        assert_eq!(config.secret_path(), PathBuf::from("/etc/community/secret"));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.toml");
        std::fs::write(
            &path,
            "database = \"postgres://10.0.0.2/c\"\ndatabase_connections = 4\nsecret_file = \"/s\"\n",
        )
        .unwrap();
        let from_file = serve(&["--config", path.to_str().unwrap()])
            .server_config()
            .unwrap();
        assert_eq!(from_file.database.as_deref(), Some("postgres://10.0.0.2/c"));
        assert_eq!(from_file.database_connections, 4);
        assert_eq!(from_file.secret_path(), PathBuf::from("/s"));
        let wrong = serve(&["--database", "sqlite:///tmp/x"]).server_config();
        assert!(matches!(
            wrong,
            Err(ServerError::InvalidConfig { field, .. }) if field == "database"
        ));
    }

    #[test]
    fn flags_override_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:7001\"\nheartbeat_secs = 30\nmax_connections = 50\n\
             [limits]\nmax_channels_per_community = 200\ntext_bytes = 1000\n",
        )
        .unwrap();
        let file = path.to_str().unwrap();
        let from_file = serve(&["--config", file]).server_config().unwrap();
        assert_eq!(from_file.listen.port(), 7001);
        assert_eq!(from_file.heartbeat_interval, Duration::from_secs(30));
        assert_eq!(from_file.max_connections, 50);
        assert_eq!(from_file.limits.max_channels_per_community, 200);
        let config = serve(&[
            "--config",
            file,
            "--listen",
            "127.0.0.1:7002",
            "--max-connections",
            "60",
            "--limit",
            "max_channels_per_community=300",
            "--channel-messages-per-second",
            "7",
        ])
        .server_config()
        .unwrap();
        assert_eq!(config.listen.port(), 7002);
        assert_eq!(config.max_connections, 60);
        assert_eq!(config.limits.max_channels_per_community, 300);
        assert_eq!(config.limits.channel_messages_per_second, 7);
        // What no flag named still comes from the file.
        assert_eq!(config.heartbeat_interval, Duration::from_secs(30));
        assert_eq!(config.limits.text_bytes, 1000);
    }

    #[test]
    fn flags_alone_are_validated_too() {
        let error = serve(&["--limit", "max_joined_communities=501"])
            .server_config()
            .unwrap_err();
        assert!(
            error.to_string().contains("limits.max_joined_communities"),
            "{error}"
        );
        assert!(
            serve(&["--limit", "max_joined_communities=500"])
                .server_config()
                .is_ok()
        );
        assert!(Cli::try_parse_from(["community-server", "serve", "--limit", "nonsense"]).is_err());
    }
}
