//! Starting and stopping a server: [`RunningServer`] owns the listening task and the
//! shared state, and offers a graceful [`RunningServer::shutdown`] (goodbye to every
//! connection, then close) and an abrupt [`RunningServer::kill`] (for fault tests).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::admin::AdminKey;
use crate::shared::{RunState, Shared};
use crate::token::{TokenKey, unix_now};
use crate::webhooks::{Hooks, WebhookSecret};
use crate::{ServerConfig, ServerError, http, listener};

/// A server running in the background tasks of the current tokio runtime.
pub struct RunningServer {
    shared: Arc<Shared>,
    local_addr: SocketAddr,
    serve: JoinHandle<()>,
    digests: JoinHandle<()>,
    live: JoinHandle<()>,
    feed: Option<JoinHandle<()>>,
    /// Applies the other nodes' commits (`--nats` only).
    remote: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for RunningServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningServer")
            .field("local_addr", &self.local_addr)
            .finish_non_exhaustive()
    }
}

impl RunningServer {
    /// Checks the configuration ([`ServerConfig::validate`]), opens the data directory
    /// (database and secret), binds `config.listen` (port 0 picks a free port) and serves
    /// in background tasks until shut down or killed.
    pub async fn start(config: ServerConfig) -> Result<RunningServer, ServerError> {
        config.validate()?;
        let data_dir = config.data_dir.clone();
        let admin_key_path = config.admin_key_path();
        let limits = config.limits.clone();
        let hook_secret = config.webhooks.secret.clone();
        let hooks_config = config.webhooks.clone();
        let secret_path = config.secret_path();
        let storage = crate::storage::StorageChoice::of(&config);
        let opened = tokio::task::spawn_blocking(move || -> Result<_, ServerError> {
            let tokens = TokenKey::load_or_create_file(&secret_path)?;
            let hook_secret = match &hook_secret {
                Some(secret) => WebhookSecret::new(secret.as_bytes()),
                None => WebhookSecret::load_or_create(&data_dir)?,
            };
            let admin_key = AdminKey::open(&admin_key_path)?;
            let domain = storage.open(&data_dir, limits)?;
            let events = Hooks::open_queue(&hooks_config, &data_dir)
                .map_err(|e| ServerError::Task(e.to_string()))?;
            // Which communities are large (§9.5); the hub keeps it up to date from here.
            let large = domain.large_community_ids().unwrap_or_else(|error| {
                tracing::error!(%error, "large communities not read; learnt as they change");
                Vec::new()
            });
            Ok((tokens, admin_key, domain, large, hook_secret, events))
        })
        .await
        .map_err(|e| ServerError::Task(e.to_string()))?;
        let (tokens, admin_key, domain, large, hook_secret, events) = opened?;
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| ServerError::Bind {
                    addr: config.listen,
                    source,
                })?;
        let local_addr = listener.local_addr().map_err(|source| ServerError::Bind {
            addr: config.listen,
            source,
        })?;
        let cluster = match &config.nats {
            Some(url) => Some(crate::cluster::node::Cluster::start(url).map_err(|error| {
                ServerError::InvalidConfig {
                    field: "nats".into(),
                    reason: error.to_string(),
                }
            })?),
            None => None,
        };
        let mut shared = Shared::new(config, domain, tokens).with_webhook_secret(hook_secret);
        let inbound = match cluster {
            Some((cluster, inbound)) => {
                shared = shared.with_cluster(cluster);
                Some(inbound)
            }
            None => None,
        };
        let shared = Arc::new(shared);
        let remote = inbound
            .map(|inbound| tokio::spawn(crate::cluster::run_inbound(Arc::clone(&shared), inbound)));
        shared.hub.note_large(large.into_iter().map(|c| (c, true)));
        let feed = events.and_then(|queue| shared.hooks.start_feed(queue));
        let app = http::router(Arc::clone(&shared), Arc::new(admin_key));
        let serve = tokio::spawn(listener::serve(listener, app, Arc::clone(&shared)));
        let digests = tokio::spawn({
            let shared = Arc::clone(&shared);
            async move { shared.hub.run_digest_timer().await }
        });
        let live = tokio::spawn({
            let shared = Arc::clone(&shared);
            async move { shared.hub.run_live_timer().await }
        });
        tracing::info!(%local_addr, data_dir = %shared.config.data_dir.display(), "listening");
        Ok(RunningServer {
            shared,
            local_addr,
            serve,
            digests,
            live,
            feed,
            remote,
        })
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The admin API's key in force now (read from its file; see `docs/ADMIN.md`).
    pub fn admin_key(&self) -> Result<String, ServerError> {
        crate::admin::load_or_create_key(&self.shared.config.admin_key_path())
    }

    /// The WebSocket URL, e.g. `ws://127.0.0.1:7600/ws`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.local_addr)
    }

    /// Issues a token for `user_id`, valid for `ttl`, with this server's secret.
    pub fn issue_token(&self, user_id: &str, ttl: Duration) -> Result<String, ServerError> {
        issue_with(&self.shared.tokens, user_id, ttl)
    }

    /// WebSocket connections open right now.
    pub fn connection_count(&self) -> usize {
        self.shared.connections.live()
    }

    /// TCP connections open right now, upgraded or not (what `max_connections` bounds).
    pub fn socket_count(&self) -> usize {
        self.shared.sockets.open()
    }

    /// Sessions the server keeps right now (connected or lingering for resume).
    pub fn session_count(&self) -> usize {
        self.shared.hub.session_count()
    }

    /// Whether the link to the other nodes is up (`None`: no `--nats`, a single node).
    pub fn cluster_up(&self) -> Option<bool> {
        self.shared.cluster.as_ref().map(|c| c.is_up())
    }

    /// Waits until the link to the other nodes is `up` (or down), at most `timeout`.
    /// True when it is; false at the timeout or without `--nats`.
    pub async fn wait_cluster(&self, up: bool, timeout: Duration) -> bool {
        let Some(cluster) = &self.shared.cluster else {
            return false;
        };
        let mut watch = cluster.watch();
        tokio::time::timeout(timeout, watch.wait_for(|now| *now == up))
            .await
            .is_ok_and(|seen| seen.is_ok())
    }

    /// Graceful shutdown: stops accepting, sends `goodbye{server_shutdown, reconnect:true}`
    /// to every connection, waits (at most `shutdown_grace`) for them to flush and close,
    /// drops any that did not, and stops listening.
    pub async fn shutdown(self) {
        tracing::info!("shutting down");
        self.shared.run.send_replace(RunState::Draining);
        let grace = self.shared.config.shutdown_grace;
        if !self.shared.connections.wait_idle(grace).await {
            tracing::warn!(
                left = self.shared.connections.live(),
                "connections still open after the grace period; dropping them"
            );
            self.shared.run.send_replace(RunState::Killed);
            self.shared
                .connections
                .wait_idle(Duration::from_secs(2))
                .await;
        }
        self.digests.abort();
        self.live.abort();
        if let Some(feed) = &self.feed {
            feed.abort();
        }
        if let Some(remote) = &self.remote {
            remote.abort();
        }
        self.stop_listening(grace).await;
        tracing::info!("stopped");
    }

    /// Abrupt stop, for fault tests: every connection is dropped without a goodbye and
    /// the server stops listening at once.
    pub async fn kill(self) {
        tracing::info!("killed");
        self.digests.abort();
        self.live.abort();
        if let Some(feed) = &self.feed {
            feed.abort();
        }
        if let Some(remote) = &self.remote {
            remote.abort();
        }
        self.shared.run.send_replace(RunState::Killed);
        self.serve.abort();
        let _ = self.serve.await;
        self.shared
            .connections
            .wait_idle(Duration::from_secs(2))
            .await;
    }

    async fn stop_listening(mut self, grace: Duration) {
        if tokio::time::timeout(grace, &mut self.serve).await.is_err() {
            self.serve.abort();
            let _ = self.serve.await;
        }
    }
}

/// Issues a token for `user_id`, valid for `ttl`, with the secret of the server that uses
/// `data_dir` (created there if it does not exist yet).
pub fn issue_token(data_dir: &Path, user_id: &str, ttl: Duration) -> Result<String, ServerError> {
    let key = TokenKey::load_or_create(data_dir)?;
    issue_with(&key, user_id, ttl)
}

/// Issues a token for `user_id`, valid for `ttl`, with the secret in `secret_file` (created
/// if it does not exist yet): the `secret_file` of the nodes the token is for.
pub fn issue_token_with_secret(
    secret_file: &Path,
    user_id: &str,
    ttl: Duration,
) -> Result<String, ServerError> {
    let key = TokenKey::load_or_create_file(secret_file)?;
    issue_with(&key, user_id, ttl)
}

fn issue_with(key: &TokenKey, user_id: &str, ttl: Duration) -> Result<String, ServerError> {
    crate::token::check_login_user_id(user_id).map_err(ServerError::InvalidUserId)?;
    let expires_at = unix_now().saturating_add(ttl.as_secs());
    Ok(key.issue(user_id, expires_at))
}
