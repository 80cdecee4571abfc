//! The push service of a push token (protocol §23.1), as every binding sees it: a
//! field-less enum (C: its snake_case name, e.g. `"apns_sandbox"`).

use serde::{Deserialize, Serialize};

use super::mirror_enum;

/// The push service a token belongs to; the app's push endpoint picks its sender by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, uniffi::Enum)]
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
    /// Anything else the app's push endpoint understands.
    Other,
}

mirror_enum!(PushPlatform <=> community_protocol::push::PushPlatform {
    Apns, ApnsSandbox, Fcm, Hms, WebPush, Other
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_protocols() {
        for wire in community_protocol::push::PushPlatform::ALL {
            let mirror = PushPlatform::from(wire);
            let json = serde_json::to_string(&mirror).unwrap();
            assert_eq!(json, format!("\"{}\"", wire.as_str()));
            assert_eq!(community_protocol::push::PushPlatform::from(mirror), wire);
        }
    }
}
