//! [`Client`]: the entry point, wrapping `community_sdk::Client`.

use std::sync::Arc;
use std::time::Duration;

use super::Community;
use super::listeners::ForeignTokenProvider;
use super::listeners::report;
use super::{CommunityListListener, ConnectionListener, TokenProvider, UnreadListener};
use crate::error::SdkError;
use crate::records::{
    ClientOptions, CommunityEntry, CommunityPage, ConnectionState, JoinOutcome, Limits,
    NewCommunity, UnreadTotals, UnreadUpdate, map_vec,
};
use crate::runtime::{self, run};
use crate::subscription::{TaskHandle, pump};

/// One user's connection, cache and state. Build it with `Client.create` (async) or the
/// blocking constructor, then `login`.
#[derive(uniffi::Object)]
pub struct Client {
    inner: Option<community_sdk::Client>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("inner", &self.inner)
            .finish()
    }
}

impl Client {
    pub(crate) fn sdk(&self) -> Result<community_sdk::Client, SdkError> {
        self.inner
            .clone()
            .ok_or_else(|| SdkError::from(community_sdk::SdkError::Closed))
    }

    pub(crate) async fn build(
        options: ClientOptions,
        token_provider: Option<Arc<dyn TokenProvider>>,
    ) -> Result<Client, SdkError> {
        let ms = Duration::from_millis;
        let mut builder = community_sdk::Client::builder()
            .server_url(options.server_url)
            .data_dir(options.data_dir)
            .device_id(options.device_id);
        if let Some(v) = options.request_timeout_ms {
            builder = builder.request_timeout(ms(v));
        }
        if let Some(v) = options.connect_timeout_ms {
            builder = builder.connect_timeout(ms(v));
        }
        if let (Some(base), Some(cap)) = (options.backoff_base_ms, options.backoff_cap_ms) {
            builder = builder.backoff(ms(base), ms(cap));
        }
        if let Some(v) = options.max_reconnect_attempts {
            builder = builder.max_reconnect_attempts(v);
        }
        if let Some(v) = options.catch_up_limit {
            builder = builder.catch_up_limit(v);
        }
        if let Some(v) = options.token_refresh_margin_ms {
            builder = builder.token_refresh_margin(ms(v));
        }
        if let Some(provider) = token_provider {
            builder = builder.token_provider(Arc::new(ForeignTokenProvider(provider)));
        }
        let inner = run(async move { builder.build().await.map_err(SdkError::from) }).await?;
        Ok(Client { inner: Some(inner) })
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        // Shut the SDK client down inside its runtime (its tasks live there).
        if let (Some(inner), Ok(rt)) = (self.inner.take(), runtime::runtime()) {
            rt.spawn(async move { drop(inner) });
        }
    }
}

#[uniffi::export]
impl Client {
    /// Builds a client, blocking the calling thread while the cache opens (do not call it
    /// on a UI thread; prefer `create`).
    #[uniffi::constructor(default(token_provider = None))]
    pub fn new(
        options: ClientOptions,
        token_provider: Option<Arc<dyn TokenProvider>>,
    ) -> Result<Arc<Client>, SdkError> {
        runtime::block_on(async move { Client::build(options, token_provider).await }).map(Arc::new)
    }

    /// Builds a client: opens the cache of the last logged-in user, if any, so that
    /// communities, unread counts and history are there at once, even offline.
    #[uniffi::constructor(default(token_provider = None))]
    pub async fn create(
        options: ClientOptions,
        token_provider: Option<Arc<dyn TokenProvider>>,
    ) -> Result<Arc<Client>, SdkError> {
        Client::build(options, token_provider).await.map(Arc::new)
    }

    /// Logs in (resuming the saved session when there is one). Returns once logged in and
    /// synced, or at once from the cache when offline with a saved session.
    pub async fn login(&self, user_id: String, token: String) -> Result<(), SdkError> {
        let client = self.sdk()?;
        run(async move { Ok(client.login(&user_id, &token).await?) }).await
    }

    /// Logs out: ends the session on the server and forgets it (the cache stays).
    pub async fn logout(&self) -> Result<(), SdkError> {
        let client = self.sdk()?;
        run(async move { Ok(client.logout().await?) }).await
    }

    /// Sends a new token now; returns its expiry (ms since the epoch).
    pub async fn refresh_token(&self, token: String) -> Result<i64, SdkError> {
        let client = self.sdk()?;
        run(async move { Ok(client.refresh_token(&token).await?) }).await
    }

    /// The current (or cached) user.
    pub fn user_id(&self) -> Option<String> {
        self.inner.as_ref().and_then(|c| c.user_id())
    }

    /// The connection state now.
    pub fn connection_state(&self) -> Result<ConnectionState, SdkError> {
        Ok(self.sdk()?.connection_state().into())
    }

    /// Connection states: the current one, then each change.
    pub fn subscribe_connection(
        &self,
        listener: Arc<dyn ConnectionListener>,
    ) -> Result<Arc<TaskHandle>, SdkError> {
        let subscription = self.sdk()?.subscribe_connection();
        pump(subscription, move |state| {
            report(listener.on_update(state.into()))
        })
        .map(TaskHandle::new)
    }

    /// The deployment's limits (announced at login; defaults before).
    pub fn limits(&self) -> Result<Limits, SdkError> {
        Ok(self.sdk()?.limits().into())
    }

    /// The joined communities held in the cache, whole.
    pub fn communities(&self) -> Result<Vec<CommunityEntry>, SdkError> {
        Ok(map_vec(self.sdk()?.communities()))
    }

    /// Community list changes: the whole list first, then diffs.
    pub fn subscribe_communities(
        &self,
        listener: Arc<dyn CommunityListListener>,
    ) -> Result<Arc<TaskHandle>, SdkError> {
        let subscription = self.sdk()?.subscribe_communities();
        pump(subscription, move |diffs| {
            report(listener.on_update(map_vec(diffs)))
        })
        .map(TaskHandle::new)
    }

    /// Total unread (communities in notify status) and total mentions.
    pub fn unread_totals(&self) -> Result<UnreadTotals, SdkError> {
        Ok(self.sdk()?.unread_totals().into())
    }

    /// Every unread count now (per channel, per community, totals).
    pub fn unread(&self) -> Result<UnreadUpdate, SdkError> {
        Ok(self.sdk()?.unread().into())
    }

    /// Unread changes: every count first (`reset = true`), then the changed ones.
    pub fn subscribe_unread(
        &self,
        listener: Arc<dyn UnreadListener>,
    ) -> Result<Arc<TaskHandle>, SdkError> {
        let subscription = self.sdk()?.subscribe_unread();
        pump(subscription, move |update| {
            report(listener.on_update(update.into()))
        })
        .map(TaskHandle::new)
    }

    /// A handle on one community (no network; it may not be joined).
    pub fn community(&self, community_id: String) -> Result<Arc<Community>, SdkError> {
        Ok(Community::new(self.sdk()?.community(community_id)))
    }

    /// Creates a community; the user becomes its owner.
    pub async fn create_community(&self, params: NewCommunity) -> Result<Arc<Community>, SdkError> {
        let client = self.sdk()?;
        run(async move { Ok(client.create_community(params.into()).await?) })
            .await
            .map(Community::new)
    }

    /// Joins a community (or files a join request for an approval community).
    pub async fn join_community(
        &self,
        community_id: String,
        message: String,
    ) -> Result<JoinOutcome, SdkError> {
        let client = self.sdk()?;
        run(async move { Ok(client.join_community(&community_id, &message).await?.into()) }).await
    }

    /// One page of the joined communities from the server, whole (`cursor`: the previous
    /// page's `next_cursor`; `limit` 1..=100, default 100).
    pub async fn joined_communities_page(
        &self,
        cursor: Option<String>,
        limit: Option<u32>,
    ) -> Result<CommunityPage, SdkError> {
        let client = self.sdk()?;
        run(async move { Ok(client.joined_communities_page(cursor, limit).await?.into()) }).await
    }
}
