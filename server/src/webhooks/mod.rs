//! Calls from the server to the app's own backend (docs/WEBHOOKS.md): the before-send
//! content check, the after-events feed and the offline push hand-off all POST signed JSON
//! to endpoints the deployment configures.
//!
//! This module owns what the three share: their configuration ([`WebhookConfig`]), the
//! endpoint addresses ([`HookUrl`]), the signing secret ([`WebhookSecret`], created in the
//! data directory like the token secret) and one HTTP client ([`HookClient`]) that keeps
//! idle connections per endpoint. What each hook sends and how it reacts to the answer
//! lives in a module of its own.

pub mod before_send;
mod client;
mod config;
pub mod events;
pub mod feed;
pub mod queue;
mod secret;
mod url;

use std::sync::{Arc, OnceLock};

use community_protocol::UserId;
use community_server_domain::Handled;

pub use client::{EVENT_ID_HEADER, HookClient, HookError, HookReply};
pub use config::{BeforeSendDefault, WebhookConfig};
pub use secret::{SIGNATURE_HEADER, WebhookSecret};
pub use url::HookUrl;

/// Everything a hook needs at run time: the configuration, the secret and the client.
#[derive(Debug)]
pub struct Hooks {
    /// The deployment's webhook configuration.
    pub config: WebhookConfig,
    /// Signs every request body.
    pub secret: WebhookSecret,
    /// Sends them.
    pub client: HookClient,
    /// Resends that need no before-send check.
    stored: before_send::StoredKeys,
    /// Where after-events are recorded (set when `events_url` is configured and the queue
    /// is open).
    events: OnceLock<feed::EventSink>,
}

impl Hooks {
    /// Hooks with this configuration and secret.
    pub fn new(config: WebhookConfig, secret: WebhookSecret) -> Self {
        Self {
            config,
            client: HookClient::new(secret.clone()),
            secret,
            stored: before_send::StoredKeys::default(),
            events: OnceLock::new(),
        }
    }

    /// Opens the after-events queue in `data_dir` when `events_url` is configured (blocks:
    /// SQLite) and returns it for [`Hooks::start_feed`].
    pub fn open_queue(
        config: &WebhookConfig,
        data_dir: &std::path::Path,
    ) -> Result<Option<Arc<queue::EventQueue>>, queue::QueueError> {
        match config.events_url {
            Some(_) => Ok(Some(Arc::new(queue::EventQueue::open(data_dir)?))),
            None => Ok(None),
        }
    }

    /// Starts delivering after-events from `queue` (waiting ones first) and recording new
    /// ones into it; the returned task runs until aborted. None when `events_url` is not
    /// configured or the feed was already started.
    pub fn start_feed(
        self: &Arc<Self>,
        queue: Arc<queue::EventQueue>,
    ) -> Option<tokio::task::JoinHandle<()>> {
        let url = self.config.events_url.clone()?;
        let (wake, woken) = tokio::sync::mpsc::unbounded_channel();
        self.events
            .set(feed::EventSink::new(Arc::clone(&queue), wake))
            .ok()?;
        Some(tokio::spawn(feed::run(Arc::clone(self), url, queue, woken)))
    }

    /// The after-events queue, once the feed started.
    pub fn event_queue(&self) -> Option<&Arc<queue::EventQueue>> {
        self.events.get().map(feed::EventSink::queue)
    }

    /// What the hooks note about a request the domain carried out: its after-events go
    /// to the queue, a sent message skips the before-send check when resent. Blocks
    /// (SQLite): call it on the request's blocking thread, under its ordering lane.
    pub fn after_domain(&self, caller: &UserId, op: &str, handled: &Handled) {
        before_send::note_sent(self, &handled.response);
        if let Some(sink) = self.events.get() {
            sink.record(caller, op, handled);
        }
    }

    /// True when any hook is configured.
    pub fn any(&self) -> bool {
        self.config.before_send_url.is_some()
            || self.config.events_url.is_some()
            || self.config.push_url.is_some()
    }
}
