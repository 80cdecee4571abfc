//! Cluster mode of the harness (issue 15, docs/MULTINODE.md "End-to-end suite on two
//! nodes"): with [`CLUSTER_MODE_VAR`] set, every [`crate::TestServer`] is two
//! `community-server` nodes on 127.0.0.1 over one fresh PostgreSQL database and one
//! `nats-server` of the test's own, sharing one token secret, each with its own temporary
//! data directory and the same tuned configuration. The server's address and WebSocket URL
//! alternate between the nodes from one call to the next, so the users of a test (each
//! logs in through its own call) sit on different nodes.
//!
//! What only a single node has — its data directory — is refused with a message saying
//! so; what the nodes share (token secret, admin key, the database) is read from where
//! they share it. Stopping, killing and restarting the server act on every node
//! (the database and NATS stay up).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use community_server::{RunningServer, ServerConfig};

use crate::{NatsServer, TestResult, WAIT, fail, fresh_database, test_config};

/// Set (to anything but `0`) to run the suite on two nodes: every test server is a
/// cluster, clients spread over both nodes. The test command runs a subset of the suite
/// in this mode (docs/MULTINODE.md).
pub const CLUSTER_MODE_VAR: &str = "COMMUNITY_E2E_CLUSTER";

/// How many nodes a test server has in cluster mode.
pub const CLUSTER_NODES: usize = 2;

/// Connections each node keeps open to the shared database at most.
const DATABASE_CONNECTIONS: usize = 4;

/// True when the suite runs on two nodes ([`CLUSTER_MODE_VAR`]).
pub fn cluster_mode() -> bool {
    std::env::var(CLUSTER_MODE_VAR).is_ok_and(|v| !v.is_empty() && v != "0")
}

/// What the nodes of one test server share: the NATS server that links them, the database
/// they store in and the token secret every node reads.
pub(crate) struct ClusterServices {
    nats: NatsServer,
    database: String,
    secret_dir: tempfile::TempDir,
}

impl ClusterServices {
    /// Starts a NATS server and creates a fresh database; fails when either cannot be had
    /// (cluster mode needs both installed: `apt-get install nats-server postgresql`).
    pub(crate) async fn start() -> TestResult<Self> {
        let Some(nats) = NatsServer::start().await? else {
            return fail(format!(
                "{CLUSTER_MODE_VAR} is set but nats-server is not installed"
            ));
        };
        let Some(database) = fresh_database().await? else {
            return fail(format!(
                "{CLUSTER_MODE_VAR} is set but PostgreSQL is not installed"
            ));
        };
        Ok(Self {
            nats,
            database,
            secret_dir: tempfile::tempdir()?,
        })
    }

    /// The token secret's file every node reads.
    pub(crate) fn secret_file(&self) -> PathBuf {
        self.secret_dir.path().join("cluster.secret")
    }

    /// The admin API's key file every node reads (as a deployment shares one through
    /// `admin_key_file`).
    pub(crate) fn admin_key_file(&self) -> PathBuf {
        self.secret_dir.path().join("admin.key")
    }

    /// The database every node stores in (a connection URL).
    pub(crate) fn database(&self) -> &str {
        &self.database
    }

    /// Points a node's configuration at the shared database, NATS server, token secret
    /// and admin key.
    fn apply(&self, config: &mut ServerConfig) {
        config.database = Some(self.database.clone());
        config.database_connections = DATABASE_CONNECTIONS;
        config.nats = Some(self.nats.url());
        config.secret_file = Some(self.secret_file());
        config.admin_key_file = Some(self.admin_key_file());
    }
}

/// The push tokens the nodes keep for `user_id` in the database at `url` (platform and
/// token, most recently registered first), through the store's own query. Blocking.
pub(crate) fn push_tokens(url: &str, user_id: &str) -> TestResult<Vec<(String, String)>> {
    use community_server_domain::store::Store;
    use community_server_domain::store::postgres::{PgOptions, PgStore};
    let options = PgOptions {
        max_connections: 1,
        ..PgOptions::default()
    };
    let store = PgStore::open(url, &options)?;
    let store: &dyn Store = &store;
    let tokens = store.read(
        "test_push_tokens",
        |tx| Ok(tx.push_tokens(&user_id.into())?),
    )?;
    Ok(tokens
        .into_iter()
        .map(|t| (t.platform.as_str().to_owned(), t.token))
        .collect())
}

/// One node of a test server: its address (kept across restarts), its data directory and
/// the running server (`None` while stopped).
pub(crate) struct Node {
    pub(crate) server: Option<RunningServer>,
    pub(crate) addr: SocketAddr,
    pub(crate) data_dir: tempfile::TempDir,
}

impl Node {
    /// Starts a node on `127.0.0.1:0` with a fresh data directory, its configuration
    /// tuned by `tune` and, in a cluster, pointed at `services`.
    pub(crate) async fn start(
        tune: fn(&mut ServerConfig),
        services: Option<&ClusterServices>,
    ) -> TestResult<Self> {
        let data_dir = tempfile::tempdir()?;
        let config = node_config(
            SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir.path(),
            tune,
            services,
        );
        let server = RunningServer::start(config).await?;
        Ok(Self {
            addr: server.local_addr(),
            server: Some(server),
            data_dir,
        })
    }

    /// Starts a stopped (or killed) node again on the same address with the same data
    /// directory (retrying the bind for a bounded time while the old socket goes away).
    pub(crate) async fn start_again(
        &mut self,
        tune: fn(&mut ServerConfig),
        services: Option<&ClusterServices>,
    ) -> TestResult {
        let config = node_config(self.addr, self.data_dir.path(), tune, services);
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            match RunningServer::start(config.clone()).await {
                Ok(server) => {
                    self.server = Some(server);
                    return Ok(());
                }
                Err(error) if tokio::time::Instant::now() < deadline => {
                    tracing::debug!(%error, "restart: bind not possible yet");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(error) => return Err(error.into()),
            }
        }
    }

    /// Graceful shutdown (goodbye `server_shutdown` to every client of this node).
    pub(crate) async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
    }

    /// Abrupt stop: this node's connections drop without a goodbye.
    pub(crate) async fn kill(&mut self) {
        if let Some(server) = self.server.take() {
            server.kill().await;
        }
    }
}

/// The configuration of a node: [`test_config`], tuned by the test, and in a cluster the
/// shared services.
fn node_config(
    listen: SocketAddr,
    data_dir: &Path,
    tune: fn(&mut ServerConfig),
    services: Option<&ClusterServices>,
) -> ServerConfig {
    let mut config = test_config(listen, data_dir);
    tune(&mut config);
    if let Some(services) = services {
        services.apply(&mut config);
    }
    config
}

/// Waits until every running node of a cluster is linked to the others through NATS, so
/// that what one node commits reaches the sessions of the other.
pub(crate) async fn wait_linked(nodes: &[Node]) -> TestResult {
    for (index, node) in nodes.iter().enumerate() {
        let Some(server) = &node.server else {
            continue;
        };
        if !server.wait_cluster(true, WAIT).await {
            return fail(format!("node {index} never linked to the cluster (NATS)"));
        }
    }
    Ok(())
}

/// The error of an operation only a single node supports, naming it.
pub(crate) fn single_node_only<T>(what: &str) -> TestResult<T> {
    fail(format!(
        "{what} needs a single node; the suite runs on {CLUSTER_NODES} nodes \
         ({CLUSTER_MODE_VAR} is set): this test is not part of the cluster subset \
         (docs/MULTINODE.md)"
    ))
}
