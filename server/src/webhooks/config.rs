//! What a deployment configures about its webhooks (`[webhooks]` in the configuration
//! file): the three endpoints, the before-send deadline and fallback, the after-events
//! retry schedule. Every endpoint is optional; none configured means no hook is called.

use std::time::Duration;

use super::HookUrl;

/// What a before-send check that does not answer in time (or fails) decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BeforeSendDefault {
    /// The message goes through unchanged (the default: a backend outage does not stop
    /// the chat).
    #[default]
    Allow,
    /// The message is refused with `message_rejected`.
    Reject,
}

impl BeforeSendDefault {
    /// `"allow"` or `"reject"`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "allow" => Some(Self::Allow),
            "reject" => Some(Self::Reject),
            _ => None,
        }
    }
}

/// The webhook configuration of a deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookConfig {
    /// The content check asked about every message before it is stored.
    pub before_send_url: Option<HookUrl>,
    /// How long a message waits for the check (500 ms by default).
    pub before_send_timeout: Duration,
    /// What a check that does not answer in time decides.
    pub before_send_default: BeforeSendDefault,
    /// Where the after-events (community created, member joined, message sent…) go.
    pub events_url: Option<HookUrl>,
    /// Delays between the attempts of one after-event; when all failed, the event goes to
    /// the dead-letter log (1 s, 5 s, 30 s, 2 min, 10 min by default).
    pub event_retry_delays: Vec<Duration>,
    /// How long one after-event or push request may take before it counts as failed
    /// (5 s by default).
    pub request_timeout: Duration,
    /// Where push requests for offline users go.
    pub push_url: Option<HookUrl>,
    /// The signing secret as configured (else `<data_dir>/webhook.secret`).
    pub secret: Option<String>,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            before_send_url: None,
            before_send_timeout: Duration::from_millis(500),
            before_send_default: BeforeSendDefault::Allow,
            events_url: None,
            event_retry_delays: [1, 5, 30, 120, 600]
                .into_iter()
                .map(Duration::from_secs)
                .collect(),
            request_timeout: Duration::from_secs(5),
            push_url: None,
            secret: None,
        }
    }
}
