//! [`Client`]: the entry point, wrapping `community_sdk::Client`. The plain forwarding
//! methods are generated (`generated.rs`, from `ops_table/rows.rs`); these are the others:
//! construction, login and close, subscriptions, and creating a community.

use std::sync::Arc;

use super::Community;
use super::listeners::report;
use super::{
    CommunityListListener, ConnectionListener, OutboxListener, SyncStateListener, TokenProvider,
    UnreadListener,
};
use crate::error::SdkError;
use crate::records::{ClientOptions, LoginOutcome, NewCommunity, map_vec};
use crate::runtime::{self, run};
use crate::subscription::{TaskHandle, pump};
use crate::tokens::BlockingTokens;

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
    /// The SDK client (`closed` once dropped).
    pub(crate) fn sdk(&self) -> Result<community_sdk::Client, SdkError> {
        self.inner
            .clone()
            .ok_or_else(|| SdkError::from(community_sdk::SdkError::Closed))
    }

    async fn build(
        options: ClientOptions,
        token_provider: Option<Arc<dyn TokenProvider>>,
    ) -> Result<Client, SdkError> {
        let mut builder = options.into_builder();
        if let Some(provider) = token_provider {
            let tokens = BlockingTokens::new(move |user_id| provider.fetch_token(user_id));
            builder = builder.token_provider(Arc::new(tokens));
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

#[uniffi::export(async_runtime = "tokio")]
impl Client {
    /// Builds a client, blocking the calling thread while the cache opens (do not call it
    /// on a UI thread; prefer `create`).
    #[uniffi::constructor(default(token_provider = None))]
    pub fn new(
        options: ClientOptions,
        token_provider: Option<Arc<dyn TokenProvider>>,
    ) -> Result<Arc<Client>, SdkError> {
        runtime::block_on(Client::build(options, token_provider)).map(Arc::new)
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

    /// Logs in (resuming the saved session when there is one). Returns `Synced` once
    /// logged in and synced (every count exact), or `Offline` when the server cannot be
    /// reached in time but this device has a saved session of the user (the cache is
    /// usable; the client keeps connecting). Anything else is an error.
    pub async fn login(&self, user_id: String, token: String) -> Result<LoginOutcome, SdkError> {
        let client = self.sdk()?;
        run(async move { Ok(client.login(user_id, &token).await?.into()) }).await
    }

    /// Shuts the client down and returns once its connection, tasks and cache file are
    /// closed (the same data directory can be opened again at once). The saved session
    /// stays resumable. Every later call fails with `closed`. (Rust's `Client::close`;
    /// named `shutdown` here because `close()` already frees the object in Kotlin.)
    pub async fn shutdown(&self) -> Result<(), SdkError> {
        let client = self.sdk()?;
        run(async move { Ok(client.close().await?) }).await
    }

    /// The current (or cached) user.
    pub fn user_id(&self) -> Option<String> {
        self.inner
            .as_ref()
            .and_then(|c| c.user_id())
            .map(Into::into)
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

    /// Sync states: the current one, then each change (`CaughtUp` after every login and
    /// reconnect).
    pub fn subscribe_sync_state(
        &self,
        listener: Arc<dyn SyncStateListener>,
    ) -> Result<Arc<TaskHandle>, SdkError> {
        let subscription = self.sdk()?.subscribe_sync_state();
        pump(subscription, move |state| {
            report(listener.on_update(state.into()))
        })
        .map(TaskHandle::new)
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

    /// Outbox changes of every channel: every echo first (a `Reset`), then `Local` and
    /// `Discarded` changes.
    pub async fn subscribe_outbox(
        &self,
        listener: Arc<dyn OutboxListener>,
    ) -> Result<Arc<TaskHandle>, SdkError> {
        let client = self.sdk()?;
        let subscription = run(async move { Ok(client.subscribe_outbox().await?) }).await?;
        pump(subscription, move |updates| {
            report(listener.on_update(map_vec(updates)))
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
}
