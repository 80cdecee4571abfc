//! Push tokens: how a device tells the server where to reach it while it is offline
//! (§23). The server never talks to APNs or FCM itself: for a message that should notify
//! a user with no online session it hands a push request (the user's tokens, a title, a
//! body, the badge count) to the app's own push endpoint, which does.
//!
//! A token belongs to one device and so to at most one user: registering a token that
//! another user registered before moves it (a device that logs out and in as someone else
//! keeps one token). A user keeps at most `max_push_tokens_per_user` tokens; registering
//! one more forgets the least recently registered.

use serde::{Deserialize, Serialize};

use crate::limits::Limits;
use crate::{ApiError, ErrorCode};

/// The push service a token belongs to; the app's push endpoint picks its sender by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PushPlatform {
    /// Apple Push Notification service (iOS, iPadOS, macOS), production.
    Apns,
    /// Apple Push Notification service, sandbox (development builds).
    ApnsSandbox,
    /// Firebase Cloud Messaging (Android, web).
    Fcm,
    /// Huawei Push Kit.
    Hms,
    /// A Web Push subscription (the token is its JSON or endpoint URL).
    WebPush,
    /// Anything else the app's push endpoint understands (game consoles, desktop
    /// services); the server hands it over unchanged.
    Other,
}

impl PushPlatform {
    /// Every platform, in wire order.
    pub const ALL: [PushPlatform; 6] = [
        PushPlatform::Apns,
        PushPlatform::ApnsSandbox,
        PushPlatform::Fcm,
        PushPlatform::Hms,
        PushPlatform::WebPush,
        PushPlatform::Other,
    ];

    /// The wire name (`"apns"`, `"apns_sandbox"`, `"fcm"`, `"hms"`, `"web_push"`,
    /// `"other"`).
    pub fn as_str(self) -> &'static str {
        match self {
            PushPlatform::Apns => "apns",
            PushPlatform::ApnsSandbox => "apns_sandbox",
            PushPlatform::Fcm => "fcm",
            PushPlatform::Hms => "hms",
            PushPlatform::WebPush => "web_push",
            PushPlatform::Other => "other",
        }
    }

    /// The platform of a wire name, if it is one.
    pub fn parse(name: &str) -> Option<PushPlatform> {
        PushPlatform::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

impl std::fmt::Display for PushPlatform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parameters of `register_push_token`: this device's token for offline pushes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterPushToken {
    /// The push service the token belongs to.
    pub platform: PushPlatform,
    /// The token as the push service gave it (1 to `push_token_bytes` bytes, no control
    /// characters).
    pub token: String,
}

/// Parameters of `unregister_push_token`: forget a token of the caller's (at logout).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnregisterPushToken {
    /// The token registered before.
    pub token: String,
}

/// A push token as the server keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushToken {
    /// Its push service.
    pub platform: PushPlatform,
    /// The token.
    pub token: String,
}

/// Checks a token against the limits: `INVALID_PUSH_TOKEN` when it is empty, longer than
/// `push_token_bytes`, or holds a control character or surrounding whitespace.
pub fn check_push_token(limits: &Limits, token: &str) -> Result<(), ApiError> {
    let refuse = |message: String| Err(ApiError::new(ErrorCode::INVALID_PUSH_TOKEN, message));
    if token.is_empty() {
        return refuse("the push token is empty".to_owned());
    }
    if token.len() > limits.push_token_bytes {
        return refuse(format!(
            "a push token is at most {} bytes",
            limits.push_token_bytes
        ));
    }
    if token.chars().any(char::is_control) || token.trim() != token {
        return refuse(
            "a push token holds no control characters and no surrounding whitespace".to_owned(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms_have_stable_wire_names() {
        for platform in PushPlatform::ALL {
            let json = serde_json::to_string(&platform).unwrap();
            assert_eq!(json, format!("\"{}\"", platform.as_str()));
            assert_eq!(PushPlatform::parse(platform.as_str()), Some(platform));
        }
        assert_eq!(PushPlatform::parse("gcm"), None);
    }

    #[test]
    fn tokens_are_checked() {
        let limits = Limits::default();
        assert!(check_push_token(&limits, "a1b2c3").is_ok());
        for bad in ["", " a", "a\n", "a\u{0}b"] {
            let error = check_push_token(&limits, bad).unwrap_err();
            assert_eq!(error.code, ErrorCode::INVALID_PUSH_TOKEN);
        }
        let long = "x".repeat(limits.push_token_bytes + 1);
        assert!(check_push_token(&limits, &long).is_err());
    }
}
