//! Calls from the server to the app's own backend (docs/WEBHOOKS.md): the before-send
//! content check, the after-events feed and the offline push hand-off all POST signed JSON
//! to endpoints the deployment configures.
//!
//! This module owns what the three share: their configuration ([`WebhookConfig`]), the
//! endpoint addresses ([`HookUrl`]), the signing secret ([`WebhookSecret`], created in the
//! data directory like the token secret) and one HTTP client ([`HookClient`]) that keeps
//! idle connections per endpoint. What each hook sends and how it reacts to the answer
//! lives in a module of its own.

mod client;
mod config;
mod secret;
mod url;

pub use client::{HookClient, HookError, HookReply};
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
}

impl Hooks {
    /// Hooks with this configuration and secret.
    pub fn new(config: WebhookConfig, secret: WebhookSecret) -> Self {
        Self {
            config,
            client: HookClient::new(secret.clone()),
            secret,
        }
    }

    /// True when any hook is configured.
    pub fn any(&self) -> bool {
        self.config.before_send_url.is_some()
            || self.config.events_url.is_some()
            || self.config.push_url.is_some()
    }
}
