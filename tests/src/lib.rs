//! Shared harness of the end-to-end tests: a real `community-server` on an ephemeral
//! loopback port with a temporary data directory, SDK clients with their own temporary
//! cache directories and fast reconnects, bounded waits, the services a cluster of nodes
//! runs on ([`NatsServer`], [`fresh_database`]), a fault-injecting TCP proxy
//! ([`FaultProxy`]) and a frame-rewriting WebSocket proxy ([`FrameProxy`]) to put between
//! a client and the server.
//!
//! Two modes change every test server: large mode ([`LARGE_MODE_VAR`], every community
//! large) and cluster mode ([`CLUSTER_MODE_VAR`], two nodes over one PostgreSQL database
//! and one NATS server, clients spread over both; docs/MULTINODE.md).
//!
//! Every wait here is bounded ([`WAIT`]) and fails the test with a message saying what
//! did not happen; nothing asserts on how long something took.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod backends;
mod balancer;
mod cluster;
mod frame_proxy;
mod nodes;
mod proxy;
mod raw;

pub use backends::{NATS_BIN, NatsServer, fresh_database};
pub use balancer::Balancer;
pub use cluster::{CLUSTER_MODE_VAR, CLUSTER_NODES, cluster_mode};
pub use frame_proxy::{FrameProxy, Rewrite, Verdict};
pub use nodes::{NodeProcess, ProcessCluster, SERVER_BIN_VAR, healthz, server_binary};
pub use proxy::{CHUNK, FaultProxy};
pub use raw::RawClient;

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use community_protocol::{ChannelId, CommunityId, Message, MessageContent};
use community_sdk::{Client, ClientBuilder, ConnectionState, MessageUpdate, SdkError};
use community_server::{RunningServer, ServerConfig};

use cluster::{ClusterServices, Node};

/// The longest any single wait of a test may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(30);

/// A test failure with a message (the harness never panics itself).
pub type TestResult<T = ()> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Turns a message into a test error.
pub fn fail<T>(message: impl Into<String>) -> TestResult<T> {
    Err(message.into().into())
}

/// Installs a `tracing` subscriber once, filtered by `RUST_LOG` (quiet by default).
pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_test_writer()
        .try_init();
}

/// A server the test controls: stop it, kill it, start it again on the same address with
/// the same data directory. In cluster mode ([`CLUSTER_MODE_VAR`]) it is two nodes over one
/// shared database and NATS server, and its address alternates between them (see
/// [`cluster_mode`]).
pub struct TestServer {
    /// One node, or [`CLUSTER_NODES`] in cluster mode.
    nodes: Vec<Node>,
    /// What the nodes share in cluster mode (`None`: a single node).
    services: Option<ClusterServices>,
    /// The node the next [`TestServer::addr`] or [`TestServer::ws_url`] names.
    next: AtomicUsize,
    tune: fn(&mut ServerConfig),
}

/// Set (to anything but `0`) to run the suite with every community large: whole messages
/// only for the focused channel, `channel_activity` for the rest (PROTOCOL.md §9.5). The
/// test command runs the end-to-end suite in both modes.
pub const LARGE_MODE_VAR: &str = "COMMUNITY_E2E_LARGE";

/// True when the suite runs with every community large ([`LARGE_MODE_VAR`]).
pub fn large_mode() -> bool {
    std::env::var(LARGE_MODE_VAR).is_ok_and(|v| !v.is_empty() && v != "0")
}

/// The configuration every test server starts from: the defaults, plus a channel rate
/// limit high enough that tests which stream messages are never throttled, and in large
/// mode a size threshold of 0 so every community takes the slow path.
pub fn test_config(listen: SocketAddr, data_dir: &Path) -> ServerConfig {
    let mut config = ServerConfig::new(listen, data_dir);
    config.limits.channel_messages_per_second = 100_000;
    if large_mode() {
        config.limits.large_community_members = 0;
    }
    config.shutdown_grace = Duration::from_secs(2);
    config
}

impl TestServer {
    /// Starts a server on `127.0.0.1:0` with a fresh data directory (two nodes in cluster
    /// mode).
    pub async fn start() -> TestResult<Self> {
        Self::start_with(|_| {}).await
    }

    /// Starts a server whose configuration `tune` adjusts (every node's, in cluster mode).
    pub async fn start_with(tune: fn(&mut ServerConfig)) -> TestResult<Self> {
        init_tracing();
        let (services, count) = if cluster_mode() {
            (Some(ClusterServices::start().await?), CLUSTER_NODES)
        } else {
            (None, 1)
        };
        let mut nodes = Vec::with_capacity(count);
        for _ in 0..count {
            nodes.push(Node::start(tune, services.as_ref()).await?);
        }
        if services.is_some() {
            cluster::wait_linked(&nodes).await?;
        }
        Ok(Self {
            nodes,
            services,
            next: AtomicUsize::new(0),
            tune,
        })
    }

    /// True when this server is a cluster of nodes (cluster mode).
    pub fn is_cluster(&self) -> bool {
        self.services.is_some()
    }

    /// The node the next address names: always the one node, or in cluster mode each
    /// node in turn, so that clients connecting through successive calls are spread.
    fn pick(&self) -> Option<&Node> {
        let index = self.next.fetch_add(1, Ordering::Relaxed) % self.nodes.len().max(1);
        self.nodes.get(index)
    }

    /// The server's address (stays the same across restarts); what a [`FaultProxy`]
    /// forwards to. In cluster mode each call names the next node.
    pub fn addr(&self) -> SocketAddr {
        self.pick()
            .map_or(SocketAddr::from(([127, 0, 0, 1], 0)), |node| node.addr)
    }

    /// Connections the server has open right now (0 while it is stopped; every node's
    /// in cluster mode).
    pub fn connection_count(&self) -> usize {
        self.nodes
            .iter()
            .filter_map(|node| node.server.as_ref())
            .map(RunningServer::connection_count)
            .sum()
    }

    /// Connections each node has open right now, in node order (one entry on a single
    /// node; 0 for a stopped node): which node the clients of a test sit on.
    pub fn node_connection_counts(&self) -> Vec<usize> {
        self.nodes
            .iter()
            .map(|node| {
                node.server
                    .as_ref()
                    .map_or(0, RunningServer::connection_count)
            })
            .collect()
    }

    /// The server's data directory (its token secret and admin key live there). Fails in
    /// cluster mode: every node has its own.
    pub fn data_dir(&self) -> TestResult<PathBuf> {
        match (&self.services, self.nodes.first()) {
            (None, Some(node)) => Ok(node.data_dir.path().to_path_buf()),
            (None, None) => fail("the server has no node"),
            (Some(_), _) => cluster::single_node_only("the server's data directory"),
        }
    }

    /// The admin API's key (`Authorization: Bearer …` of `/admin/v1/…`): the data
    /// directory's, or in cluster mode the one key file every node shares.
    pub fn admin_key(&self) -> TestResult<String> {
        let path = match &self.services {
            Some(services) => services.admin_key_file(),
            None => self.data_dir()?.join(community_server::admin::KEY_FILE),
        };
        Ok(community_server::admin::load_or_create_key(&path)?)
    }

    /// The WebSocket URL (stays the same across restarts). In cluster mode each call
    /// names the next node.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr())
    }

    /// A token for `user_id`, valid for an hour (valid on every node in cluster mode).
    pub fn token(&self, user_id: &str) -> TestResult<String> {
        self.token_issuer()?
            .issue(user_id, Duration::from_secs(3600))
    }

    /// What issues tokens this server accepts, for as long as a test wants (e.g. inside
    /// a token provider): its data directory's secret, or the cluster's shared one.
    pub fn token_issuer(&self) -> TestResult<TokenIssuer> {
        match (&self.services, self.nodes.first()) {
            (Some(services), _) => Ok(TokenIssuer::Secret(services.secret_file())),
            (None, Some(node)) => Ok(TokenIssuer::DataDir(node.data_dir.path().to_path_buf())),
            (None, None) => fail("the server has no node"),
        }
    }

    /// The push tokens the server keeps for `user_id` (platform and token, newest first),
    /// read straight from its database through a read-only connection (WAL: the running
    /// server is not disturbed); in cluster mode from the nodes' PostgreSQL database.
    /// Test-only: the server has no operation that lists them.
    pub async fn push_tokens(&self, user_id: &str) -> TestResult<Vec<(String, String)>> {
        if let Some(services) = &self.services {
            let (database, user_id) = (services.database().to_owned(), user_id.to_owned());
            return tokio::task::spawn_blocking(move || cluster::push_tokens(&database, &user_id))
                .await?;
        }
        let path = self.data_dir()?.join("community.db");
        let user_id = user_id.to_owned();
        let read =
            tokio::task::spawn_blocking(move || -> rusqlite::Result<Vec<(String, String)>> {
                let connection = rusqlite::Connection::open_with_flags(
                    path,
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
                )?;
                connection.busy_timeout(Duration::from_secs(5))?;
                let mut statement = connection.prepare(
                    "SELECT platform, token FROM push_tokens WHERE user_id = ?1
                 ORDER BY registered_at_ms DESC, token DESC",
                )?;
                let rows = statement.query_map([user_id], |row| Ok((row.get(0)?, row.get(1)?)))?;
                rows.collect()
            });
        Ok(read.await??)
    }

    /// Graceful shutdown (goodbye `server_shutdown` to every client; every node in
    /// cluster mode).
    pub async fn stop(&mut self) -> TestResult {
        for node in &mut self.nodes {
            node.stop().await;
        }
        Ok(())
    }

    /// Abrupt stop: connections drop without a goodbye (every node in cluster mode).
    pub async fn kill(&mut self) -> TestResult {
        for node in &mut self.nodes {
            node.kill().await;
        }
        Ok(())
    }

    /// Starts again on the same address with the same data directory (retrying the bind
    /// for a bounded time while the old socket goes away).
    pub async fn restart(&mut self) -> TestResult {
        self.stop().await?;
        self.start_again().await
    }

    /// Starts a stopped (or killed) server again on the same address with the same data
    /// directory (in cluster mode every node, over the same database, then waits until
    /// they are linked again).
    pub async fn start_again(&mut self) -> TestResult {
        for node in &mut self.nodes {
            node.start_again(self.tune, self.services.as_ref()).await?;
        }
        if self.services.is_some() {
            cluster::wait_linked(&self.nodes).await?;
        }
        Ok(())
    }
}

/// Issues tokens a [`TestServer`] accepts (see [`TestServer::token_issuer`]).
#[derive(Clone, Debug)]
pub enum TokenIssuer {
    /// With the secret in a single server's data directory.
    DataDir(PathBuf),
    /// With the secret file every node of a cluster reads.
    Secret(PathBuf),
}

impl TokenIssuer {
    /// A token for `user_id`, valid for `ttl`.
    pub fn issue(&self, user_id: &str, ttl: Duration) -> TestResult<String> {
        Ok(match self {
            TokenIssuer::DataDir(dir) => community_server::issue_token(dir, user_id, ttl)?,
            TokenIssuer::Secret(file) => {
                community_server::issue_token_with_secret(file, user_id, ttl)?
            }
        })
    }
}

/// Builds a client for `url` with its cache in `data_dir`, fast reconnects and short
/// timeouts (not logged in yet).
pub async fn build_client(url: &str, data_dir: &Path, device_id: &str) -> Result<Client, SdkError> {
    test_builder(url, data_dir, device_id).build().await
}

/// The builder behind [`build_client`], for tests that tune more.
pub fn test_builder(url: &str, data_dir: &Path, device_id: &str) -> ClientBuilder {
    Client::builder()
        .server_url(url)
        .data_dir(data_dir)
        .device_id(device_id)
        .backoff(Duration::from_millis(20), Duration::from_millis(300))
        .request_timeout(Duration::from_secs(10))
        .connect_timeout(Duration::from_secs(5))
}

/// A logged-in test client that owns its cache directory.
pub struct TestClient {
    /// The SDK client.
    pub client: Client,
    /// The user.
    pub user_id: String,
    dir: tempfile::TempDir,
}

impl TestClient {
    /// A new device of `user_id` with an empty cache, logged in to `server`.
    pub async fn login(server: &TestServer, user_id: &str, device_id: &str) -> TestResult<Self> {
        Self::login_at(server, &server.ws_url(), user_id, device_id).await
    }

    /// Like [`TestClient::login`], connecting to `url` instead of the server's own
    /// address (e.g. a [`FaultProxy`] in front of it).
    pub async fn login_at(
        server: &TestServer,
        url: &str,
        user_id: &str,
        device_id: &str,
    ) -> TestResult<Self> {
        Self::login_tuned(server, url, user_id, device_id, |builder| builder).await
    }

    /// Like [`TestClient::login_at`], with the client's builder tuned by `tune`.
    pub async fn login_tuned(
        server: &TestServer,
        url: &str,
        user_id: &str,
        device_id: &str,
        tune: impl FnOnce(ClientBuilder) -> ClientBuilder,
    ) -> TestResult<Self> {
        let dir = tempfile::tempdir()?;
        let client = tune(test_builder(url, dir.path(), device_id))
            .build()
            .await?;
        client.login(user_id, &server.token(user_id)?).await?;
        Ok(Self {
            client,
            user_id: user_id.to_string(),
            dir,
        })
    }

    /// The cache directory (to reopen it in another client).
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// Closes the client (every task and the cache file, as [`Client::close`] promises)
    /// but keeps its cache directory; returns the directory guard, ready to be reopened.
    pub async fn close(self) -> TestResult<tempfile::TempDir> {
        self.client.close().await?;
        Ok(self.dir)
    }
}

/// Polls `check` every 20 ms until it returns true; fails after [`WAIT`] with `what`.
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) -> TestResult {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if check() {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return fail(format!("timed out waiting until {what}"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Like [`eventually`] with an async check.
pub async fn eventually_async<F, Fut>(what: &str, mut check: F) -> TestResult
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if check().await {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return fail(format!("timed out waiting until {what}"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the client is connected.
pub async fn connected(client: &Client) -> TestResult {
    eventually("the client is connected", || {
        client.connection_state() == ConnectionState::Connected
    })
    .await
}

/// A text message's text (empty for other kinds).
pub fn text_of(message: &Message) -> &str {
    match &message.content {
        MessageContent::Text { text } => text,
        _ => "",
    }
}

/// Reads a channel's whole history (ascending) through the SDK, page by page from the
/// newest, at most `max` messages.
pub async fn whole_history(
    client: &Client,
    community_id: &CommunityId,
    channel_id: &ChannelId,
    max: usize,
) -> TestResult<Vec<Message>> {
    let channel = client.community(community_id).channel(channel_id);
    let mut all: Vec<Message> = Vec::new();
    let mut before = None;
    while all.len() < max {
        let page = channel.messages(before, 100).await?;
        let Some(oldest) = page.first().map(|m| m.seq) else {
            break;
        };
        let mut merged = page;
        merged.append(&mut all);
        all = merged;
        if oldest <= 1 {
            break;
        }
        before = Some(oldest);
    }
    Ok(all)
}

/// `owner` creates a community named `name` (without system messages) and every client of
/// `members` joins it;
/// waits until every member's cache holds it. Returns the community id and its default
/// channel id.
pub async fn guild(
    owner: &TestClient,
    name: &str,
    members: &[&TestClient],
) -> TestResult<(CommunityId, ChannelId)> {
    let community = owner
        .client
        .create_community(community_protocol::request::CreateCommunity {
            name: name.into(),
            // Tests count sequences exactly; the server's system messages (member joined…)
            // would take sequences too. Tests of system messages switch them on.
            system_messages: Some(false),
            ..Default::default()
        })
        .await?;
    let Some(entry) = community.entry() else {
        return fail("the created community is not cached");
    };
    let community_id = entry.info.community_id.clone();
    for member in members {
        if member.client.community(&community_id).entry().is_none() {
            match member.client.join_community(&community_id, "").await {
                Ok(_) => {}
                Err(error) if error.name() == "already_member" => {}
                Err(error) => return Err(error.into()),
            }
        }
        eventually("a member's cache holds the community", || {
            member.client.community(&community_id).entry().is_some()
        })
        .await?;
    }
    Ok((community_id, entry.info.default_channel_id))
}

/// Waits until `client` has no unsent message left in `channel_id` (every message of the
/// outbox is sent or failed).
pub async fn outbox_drained(
    client: &Client,
    community_id: &CommunityId,
    channel_id: &ChannelId,
) -> TestResult {
    let channel = client.community(community_id).channel(channel_id);
    eventually_async("the outbox is drained", || {
        let channel = channel.clone();
        async move {
            channel.pending().await.is_ok_and(|pending| {
                pending
                    .iter()
                    .all(|m| !matches!(m.state, community_sdk::SendState::Sending))
            })
        }
    })
    .await
}

/// Asserts that `history` is exactly the sequences `1..=n` (no gap, no duplicate) and
/// returns its texts in order.
pub fn contiguous_texts(history: &[Message]) -> TestResult<Vec<String>> {
    for (index, message) in history.iter().enumerate() {
        if message.seq != index as u64 + 1 {
            return fail(format!(
                "history is not contiguous at position {index}: seq {}",
                message.seq
            ));
        }
    }
    Ok(history.iter().map(|m| text_of(m).to_string()).collect())
}

/// Reads `subscription` until a value satisfies `check`; fails after [`WAIT`] with `what`.
pub async fn until<T>(
    subscription: &mut community_sdk::Subscription<T>,
    what: &str,
    mut check: impl FnMut(&T) -> bool,
) -> TestResult {
    let found = tokio::time::timeout(WAIT, async {
        while let Some(value) = subscription.next().await {
            if check(&value) {
                return true;
            }
        }
        false
    })
    .await;
    match found {
        Ok(true) => Ok(()),
        Ok(false) => fail(format!("the subscription ended before {what}")),
        Err(_) => fail(format!("timed out waiting until {what}")),
    }
}

/// The device shows the channel (an open timeline, as an app does while it displays the
/// messages): in a large community (the suite's large mode) only a shown channel gets
/// whole messages, message changes and typing; keep the subscription alive.
pub async fn shows(
    client: &TestClient,
    community_id: &CommunityId,
    channel_id: &ChannelId,
) -> TestResult<community_sdk::Subscription<Vec<MessageUpdate>>> {
    let mut timeline = client
        .client
        .community(community_id)
        .channel(channel_id)
        .subscribe_messages()
        .await?;
    timeline.next().await;
    // In a large community, typing reaches only a session the server knows shows the
    // channel: wait for the focus to be confirmed (the SDK sends it by itself).
    let channel = client.client.community(community_id).channel(channel_id);
    if large_mode() {
        eventually("the server confirms the focus", || channel.is_focused()).await?;
    }
    Ok(timeline)
}
