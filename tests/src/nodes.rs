//! Server nodes as child processes ([`ProcessCluster`]): several `community-server serve`
//! processes over one fresh PostgreSQL database (`--database`), linked through a NATS
//! server of the test's own (`--nats`), with one token secret (`--secret-file`), each on
//! `127.0.0.1:0` with a data directory of its own. A node can be killed with SIGKILL —
//! the crash the in-process [`crate::TestServer`] cannot show — and every node still
//! running is killed when the cluster is dropped.
//!
//! **Which binary.** Cargo tells only the server's own tests where its binary is, so the
//! nodes run the `community-server` found next to this test's executable
//! (`target/<profile>/community-server`, beside `target/<profile>/deps/<test>`), or the
//! one `COMMUNITY_SERVER_BIN` names. The workspace's `cargo test` (tests/run-all.sh)
//! builds it; to run only the end-to-end crate, build it first:
//! `cargo build -p community-server --bin community-server`. A missing binary fails the
//! test with that instruction (never a silent skip).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::{
    NatsServer, TestClient, TestResult, WAIT, eventually_async, fail, fresh_database, large_mode,
    test_builder,
};

/// Names the server binary instead of the one next to the test executable.
pub const SERVER_BIN_VAR: &str = "COMMUNITY_SERVER_BIN";

/// The `community-server` binary the nodes run (see the module documentation).
pub fn server_binary() -> TestResult<PathBuf> {
    if let Some(path) = std::env::var_os(SERVER_BIN_VAR) {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe()?;
    // target/<profile>/deps/<test> → target/<profile>/community-server
    let Some(profile_dir) = exe.parent().and_then(|deps| deps.parent()) else {
        return fail(format!("no target directory above {}", exe.display()));
    };
    let binary = profile_dir.join(format!("community-server{}", std::env::consts::EXE_SUFFIX));
    if !binary.exists() {
        return fail(format!(
            "{} is missing: build it first (`cargo build -p community-server --bin \
             community-server`; the workspace's `cargo test` does) or set {SERVER_BIN_VAR}",
            binary.display()
        ));
    }
    Ok(binary)
}

/// One `community-server serve` child process.
pub struct NodeProcess {
    child: Option<Child>,
    addr: SocketAddr,
    data_dir: tempfile::TempDir,
}

impl NodeProcess {
    /// The node's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The node's WebSocket URL.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// True while the process runs (it was not killed).
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// Kills the process with SIGKILL (no goodbye, no shutdown) and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The node's log (its standard error), for a failure's message.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data_dir.path().join("node.log")).unwrap_or_default()
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Several nodes over one database and one NATS server, sharing one token secret.
pub struct ProcessCluster {
    /// The nodes, in start order (the vector's fields drop first: nodes die before NATS).
    pub nodes: Vec<NodeProcess>,
    /// The NATS server linking them (stop and restart it to cut the link).
    pub nats: NatsServer,
    /// The database's connection string.
    pub database: String,
    secret_dir: tempfile::TempDir,
}

impl ProcessCluster {
    /// Starts `count` nodes and waits until each reports its database and NATS link up;
    /// `Ok(None)` (after a note) when `nats-server` or PostgreSQL is not installed.
    pub async fn start(count: usize) -> TestResult<Option<Self>> {
        crate::init_tracing();
        let binary = server_binary()?;
        let Some(nats) = NatsServer::start().await? else {
            return Ok(None);
        };
        let Some(database) = fresh_database().await? else {
            return Ok(None);
        };
        let secret_dir = tempfile::tempdir()?;
        let mut cluster = Self {
            nodes: Vec::new(),
            nats,
            database,
            secret_dir,
        };
        for _ in 0..count {
            let node = cluster.spawn(&binary).await?;
            cluster.nodes.push(node);
        }
        cluster.linked().await?;
        Ok(Some(cluster))
    }

    fn secret_file(&self) -> PathBuf {
        self.secret_dir.path().join("cluster.secret")
    }

    async fn spawn(&self, binary: &PathBuf) -> TestResult<NodeProcess> {
        let data_dir = tempfile::tempdir()?;
        let log = std::fs::File::create(data_dir.path().join("node.log"))?;
        let mut command = Command::new(binary);
        command
            .arg("serve")
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--data-dir")
            .arg(data_dir.path())
            .arg("--database")
            .arg(&self.database)
            .arg("--nats")
            .arg(self.nats.url())
            .arg("--secret-file")
            .arg(self.secret_file())
            // As the in-process test servers: streams are never throttled.
            .arg("--channel-messages-per-second")
            .arg("100000")
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or("warn".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log));
        if large_mode() {
            command.arg("--limit").arg("large_community_members=0");
        }
        let mut child = command.spawn()?;
        let Some(stdout) = child.stdout.take() else {
            return fail("the node's standard output is not piped");
        };
        // The first line names the address; the rest is read (and dropped) so the node
        // never blocks on a full pipe.
        let (line_tx, line_rx) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let first = lines.next();
            let _ = line_tx.send(first);
            for _ in lines {}
        });
        let mut node = NodeProcess {
            child: Some(child),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir,
        };
        let line = match tokio::time::timeout(WAIT, line_rx).await {
            Ok(Ok(Some(Ok(line)))) => line,
            _ => {
                return fail(format!(
                    "the node never said where it listens; its log:\n{}",
                    node.log()
                ));
            }
        };
        // "community-server listening on ADDR (WebSocket ws://ADDR/ws)"
        let Some(addr) = line
            .strip_prefix("community-server listening on ")
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|addr| addr.parse().ok())
        else {
            return fail(format!("unexpected first line of a node: {line:?}"));
        };
        node.addr = addr;
        Ok(node)
    }

    /// Waits until every running node answers `/healthz` with 200 (database and NATS
    /// link up).
    pub async fn linked(&self) -> TestResult {
        for node in self.nodes.iter().filter(|node| node.is_running()) {
            let addr = node.addr();
            eventually_async(
                "a node reports its database and NATS link up",
                || async move { healthz(addr).await.is_some_and(|(status, _)| status == 200) },
            )
            .await?;
        }
        Ok(())
    }

    /// A token for `user_id` from the cluster's secret, valid for an hour (any node
    /// accepts it).
    pub fn token(&self, user_id: &str) -> TestResult<String> {
        Ok(community_server::issue_token_with_secret(
            &self.secret_file(),
            user_id,
            Duration::from_secs(3600),
        )?)
    }

    /// A new device of `user_id` with an empty cache, logged in through `url` (a node or
    /// a [`crate::Balancer`] in front of the nodes).
    pub async fn login(&self, url: &str, user_id: &str, device_id: &str) -> TestResult<TestClient> {
        let dir = tempfile::tempdir()?;
        let client = test_builder(url, dir.path(), device_id).build().await?;
        client.login(user_id, &self.token(user_id)?).await?;
        Ok(TestClient {
            client,
            user_id: user_id.to_string(),
            dir,
        })
    }
}

/// `GET /healthz` of `addr`: the status and the body, `None` when it does not answer
/// (within [`WAIT`]).
pub async fn healthz(addr: SocketAddr) -> Option<(u16, String)> {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.ok()?;
        let request = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.ok()?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.ok()?;
        let text = String::from_utf8_lossy(&raw).into_owned();
        let status = text.split_whitespace().nth(1)?.parse().ok()?;
        let body = text
            .split_once("\r\n\r\n")
            .map(|(_, body)| body.to_owned())
            .unwrap_or_default();
        Some((status, body))
    };
    tokio::time::timeout(WAIT, exchange).await.ok().flatten()
}
