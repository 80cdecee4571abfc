//! Client configuration and the token provider hook.
//!
//! [`ClientConfig`] is what [`ClientBuilder`](crate::ClientBuilder) produces: where the
//! server is, where the cache lives, this device's id and the timing knobs (backoff,
//! timeouts) that tests turn down to milliseconds. [`TokenProvider`] is the app's hook for
//! fresh tokens: the SDK calls it ahead of the token's expiry and whenever the server says
//! the token expired.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::backoff::BackoffConfig;
use crate::store::StoreOptions;

/// A boxed future returned by [`TokenProvider::fetch_token`].
pub type TokenFuture<'a> = Pin<Box<dyn Future<Output = Option<String>> + Send + 'a>>;

/// Supplies fresh tokens (usually by asking the app's backend).
///
/// The SDK calls it from one of its tasks, never while holding a lock: shortly before the
/// current token expires (then it sends `refresh_token`), and when the server refuses an
/// expired token (then it logs in again with the new one and resumes). Returning `None`
/// means no token is available; the client then ends in
/// `Disconnected { reason: TokenExpired }` once the old token is no longer accepted.
pub trait TokenProvider: Send + Sync + 'static {
    /// A fresh token for `user_id`, or `None`.
    fn fetch_token<'a>(&'a self, user_id: &'a str) -> TokenFuture<'a>;
}

/// Any `Fn(&str) -> Option<String>` is a (synchronous) token provider.
impl<F> TokenProvider for F
where
    F: Fn(&str) -> Option<String> + Send + Sync + 'static,
{
    fn fetch_token<'a>(&'a self, user_id: &'a str) -> TokenFuture<'a> {
        let token = self(user_id);
        Box::pin(async move { token })
    }
}

/// Everything a [`Client`](crate::Client) is configured with.
#[derive(Clone)]
pub struct ClientConfig {
    /// WebSocket URL of the server, e.g. `ws://127.0.0.1:7000/ws`.
    pub server_url: String,
    /// Directory for the cache files (one SQLite file per user).
    pub data_dir: PathBuf,
    /// A stable id of this installation; a second login with the same user and device id
    /// replaces the first session. Empty means "never replace".
    pub device_id: String,
    /// Reconnect backoff (full jitter).
    pub backoff: BackoffConfig,
    /// How long a request may wait for its answer.
    pub request_timeout: Duration,
    /// How long opening a connection (TCP, WebSocket, hello) may take.
    pub connect_timeout: Duration,
    /// Stop reconnecting after this many failed attempts in a row (`None`: never stop).
    pub max_reconnect_attempts: Option<u32>,
    /// How many of the newest missed messages per channel are fetched after a reconnect
    /// (older ones are fetched when history is read).
    pub catch_up_limit: u32,
    /// Refresh the token this long before it expires.
    pub token_refresh_margin: Duration,
    /// The token provider, if the app gave one.
    pub token_provider: Option<Arc<dyn TokenProvider>>,
    /// How long `login` waits to be synced before it answers "offline" (with a saved
    /// session) or fails with `timed_out`.
    pub login_timeout: Duration,
    /// Options of the cache file.
    pub store: StoreOptions,
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("server_url", &self.server_url)
            .field("data_dir", &self.data_dir)
            .field("device_id", &self.device_id)
            .field("backoff", &self.backoff)
            .field("request_timeout", &self.request_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_reconnect_attempts", &self.max_reconnect_attempts)
            .field("catch_up_limit", &self.catch_up_limit)
            .field("token_provider", &self.token_provider.is_some())
            .field("login_timeout", &self.login_timeout)
            .finish_non_exhaustive()
    }
}

impl ClientConfig {
    /// Defaults for everything but the server URL and data directory.
    pub fn new(server_url: impl Into<String>, data_dir: impl Into<PathBuf>) -> Self {
        Self {
            server_url: server_url.into(),
            data_dir: data_dir.into(),
            device_id: String::new(),
            backoff: BackoffConfig::default(),
            request_timeout: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(10),
            max_reconnect_attempts: None,
            catch_up_limit: 1_000,
            token_refresh_margin: Duration::from_secs(60),
            token_provider: None,
            login_timeout: Duration::from_secs(30),
            store: StoreOptions::default(),
        }
    }
}
