//! The embedded server: a real `community-server` in this process, on a loopback port,
//! with its data in a directory the demo owns.
//!
//! One task owns the [`RunningServer`] and takes commands, so that the UI can kill the
//! server (clients see `reconnecting`) and start it again on the same address with the
//! same data (clients log in again by themselves and catch up) without sharing a lock.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use community_sdk::protocol::UserId;
use community_server::{RunningServer, ServerConfig};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::error::DemoError;

/// How long tokens issued by the demo stay valid.
pub const TOKEN_TTL: Duration = Duration::from_secs(24 * 3600);
/// Attempts to bind the old address again after a kill (the socket may linger briefly).
const REBIND_ATTEMPTS: u32 = 50;
/// Pause between two bind attempts.
const REBIND_PAUSE: Duration = Duration::from_millis(100);

/// Whether the embedded server is up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerStatus {
    /// Serving.
    Running,
    /// Killed on request; clients are reconnecting.
    Stopped,
    /// Starting again.
    Starting,
    /// Could not start again (the message says why).
    Failed(String),
}

enum Command {
    Toggle,
    Shutdown(oneshot::Sender<()>),
}

/// Control of the embedded server (its owning task runs until [`shutdown`](Self::shutdown)
/// or until this handle is dropped).
#[derive(Debug)]
pub struct ServerControl {
    addr: SocketAddr,
    data_dir: PathBuf,
    commands: mpsc::Sender<Command>,
    status: watch::Receiver<ServerStatus>,
    task: JoinHandle<()>,
}

fn config(addr: SocketAddr, data_dir: &Path) -> ServerConfig {
    let mut config = ServerConfig::new(addr, data_dir);
    config.shutdown_grace = Duration::from_secs(2);
    config
}

impl ServerControl {
    /// Starts a server on `127.0.0.1` (a free port) with its data in `data_dir`.
    pub async fn start(data_dir: &Path) -> Result<Self, DemoError> {
        let listen = SocketAddr::from(([127, 0, 0, 1], 0));
        let server = RunningServer::start(config(listen, data_dir)).await?;
        let addr = server.local_addr();
        let (commands, receiver) = mpsc::channel(8);
        let (status_tx, status) = watch::channel(ServerStatus::Running);
        let task = tokio::spawn(run(
            Some(server),
            addr,
            data_dir.to_path_buf(),
            receiver,
            status_tx,
        ));
        Ok(Self {
            addr,
            data_dir: data_dir.to_path_buf(),
            commands,
            status,
            task,
        })
    }

    /// The server's WebSocket URL (the same across restarts).
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A login token for `user_id`, signed with this server's secret (works while the
    /// server is down too).
    pub fn issue_token(&self, user_id: &UserId) -> Result<String, DemoError> {
        Ok(community_server::issue_token(
            &self.data_dir,
            user_id.as_str(),
            TOKEN_TTL,
        )?)
    }

    /// Kills the server when it runs, starts it again when it does not. Returns false
    /// when the previous request is still being carried out.
    pub fn toggle(&self) -> bool {
        self.commands.try_send(Command::Toggle).is_ok()
    }

    /// The server's status now and its changes.
    pub fn status(&self) -> watch::Receiver<ServerStatus> {
        self.status.clone()
    }

    /// Graceful shutdown (clients are told the server is going away).
    pub async fn shutdown(self) {
        let (ack, done) = oneshot::channel();
        if self.commands.send(Command::Shutdown(ack)).await.is_ok() {
            let _ = tokio::time::timeout(Duration::from_secs(10), done).await;
        }
        self.task.abort();
    }
}

/// The owning task: carries out commands until told to shut down or until every
/// [`ServerControl`] is gone.
async fn run(
    mut server: Option<RunningServer>,
    addr: SocketAddr,
    data_dir: PathBuf,
    mut commands: mpsc::Receiver<Command>,
    status: watch::Sender<ServerStatus>,
) {
    while let Some(command) = commands.recv().await {
        match command {
            Command::Toggle => match server.take() {
                Some(running) => {
                    running.kill().await;
                    status.send_replace(ServerStatus::Stopped);
                }
                None => {
                    status.send_replace(ServerStatus::Starting);
                    match restart(addr, &data_dir).await {
                        Ok(running) => {
                            server = Some(running);
                            status.send_replace(ServerStatus::Running);
                        }
                        Err(error) => {
                            status.send_replace(ServerStatus::Failed(error.to_string()));
                        }
                    }
                }
            },
            Command::Shutdown(ack) => {
                if let Some(running) = server.take() {
                    running.shutdown().await;
                }
                status.send_replace(ServerStatus::Stopped);
                let _ = ack.send(());
                return;
            }
        }
    }
    if let Some(running) = server.take() {
        running.shutdown().await;
    }
}

/// Starts the server again on `addr`, retrying the bind a bounded number of times.
async fn restart(addr: SocketAddr, data_dir: &Path) -> Result<RunningServer, DemoError> {
    let mut last_error = None;
    for _ in 0..REBIND_ATTEMPTS {
        match RunningServer::start(config(addr, data_dir)).await {
            Ok(server) => return Ok(server),
            Err(error) => {
                last_error = Some(error);
                tokio::time::sleep(REBIND_PAUSE).await;
            }
        }
    }
    Err(last_error.map_or_else(
        || DemoError::Setup("the server did not start again".into()),
        DemoError::from,
    ))
}
