//! Column encodings: the protocol's enums as stable snake_case text, numbers as SQLite
//! integers, and JSON text for nested values. Decoding never panics; a bad value is a
//! typed [`StoreError::Decode`].

use community_protocol::{
    ChannelKind, ConversationKind, ErrorCode, JoinPolicy, Mentions, MessageContent,
    NotificationStatus, Priority, Role,
};
use serde::{Serialize, de::DeserializeOwned};

use super::StoreError;

/// Defines `to_text` / `from_text` for a fieldless enum.
macro_rules! text_enum {
    ($to:ident, $from:ident, $ty:ty, $what:literal, { $($variant:path => $text:literal),* $(,)? }) => {
        pub(crate) fn $to(value: $ty) -> &'static str {
            #[allow(unreachable_patterns)] // `ChannelKind` is non-exhaustive
            match value {
                $($variant => $text,)*
                _ => "unknown",
            }
        }

        pub(crate) fn $from(text: &str) -> Result<$ty, StoreError> {
            match text {
                $($text => Ok($variant),)*
                other => Err(StoreError::decode($what, format!("unknown value {other:?}"))),
            }
        }
    };
}

text_enum!(join_policy_text, join_policy_from, JoinPolicy, "join_policy", {
    JoinPolicy::Free => "free",
    JoinPolicy::InviteOnly => "invite_only",
    JoinPolicy::Approval => "approval",
});

text_enum!(role_text, role_from, Role, "role", {
    Role::Member => "member",
    Role::Admin => "admin",
    Role::Owner => "owner",
});

text_enum!(notification_text, notification_from, NotificationStatus, "notification", {
    NotificationStatus::Notify => "notify",
    NotificationStatus::DoNotDisturb => "do_not_disturb",
});

text_enum!(kind_text, kind_from, ChannelKind, "channel kind", {
    ChannelKind::Text => "text",
    ChannelKind::Voice => "voice",
    ChannelKind::Announcement => "announcement",
    ChannelKind::Unknown => "unknown",
});

text_enum!(conversation_kind_text, conversation_kind_from, ConversationKind, "conversation kind", {
    ConversationKind::Direct => "direct",
    ConversationKind::Group => "group",
    ConversationKind::Unknown => "unknown",
});

text_enum!(priority_text, priority_from, Priority, "priority", {
    Priority::High => "high",
    Priority::Normal => "normal",
    Priority::Low => "low",
});

/// A `u64` as SQLite's signed integer (values above `i64::MAX` are clamped; no protocol
/// number gets near it).
pub(crate) fn int(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// A stored integer back as `u64`.
pub(crate) fn uint(value: i64, what: &'static str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::decode(what, format!("negative value {value}")))
}

/// A stored integer back as an [`ErrorCode`].
pub(crate) fn error_code(value: i64) -> Result<ErrorCode, StoreError> {
    u16::try_from(value)
        .map(ErrorCode)
        .map_err(|_| StoreError::decode("error code", format!("out of range: {value}")))
}

/// Any serde value as JSON text.
pub(crate) fn to_json<T: Serialize>(value: &T, what: &'static str) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Encode {
        what,
        detail: e.to_string(),
    })
}

/// JSON text back into a serde value.
pub(crate) fn from_json<T: DeserializeOwned>(
    text: &str,
    what: &'static str,
) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::decode(what, e))
}

/// A message body as JSON text.
pub(crate) fn content_json(content: &MessageContent) -> Result<String, StoreError> {
    to_json(content, "message content")
}

/// Mentions as JSON text, or NULL when nobody is mentioned (the common case).
pub(crate) fn mentions_json(mentions: &Mentions) -> Result<Option<String>, StoreError> {
    if mentions.is_empty() {
        Ok(None)
    } else {
        to_json(mentions, "mentions").map(Some)
    }
}

/// Mentions from nullable JSON text.
pub(crate) fn mentions_from(text: Option<String>) -> Result<Mentions, StoreError> {
    match text {
        None => Ok(Mentions::default()),
        Some(text) => from_json(&text, "mentions"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_enum_texts_round_trip_and_match_serde() {
        for kind in [
            ChannelKind::Text,
            ChannelKind::Voice,
            ChannelKind::Announcement,
        ] {
            assert_eq!(kind_from(kind_text(kind)).unwrap(), kind);
            assert_eq!(
                serde_json::to_string(&kind).unwrap(),
                format!("\"{}\"", kind_text(kind))
            );
        }
        for role in [Role::Member, Role::Admin, Role::Owner] {
            assert_eq!(role_from(role_text(role)).unwrap(), role);
            assert_eq!(
                serde_json::to_string(&role).unwrap(),
                format!("\"{}\"", role_text(role))
            );
        }
        for p in [Priority::High, Priority::Normal, Priority::Low] {
            assert_eq!(priority_from(priority_text(p)).unwrap(), p);
        }
        for p in [
            JoinPolicy::Free,
            JoinPolicy::InviteOnly,
            JoinPolicy::Approval,
        ] {
            assert_eq!(join_policy_from(join_policy_text(p)).unwrap(), p);
            assert_eq!(
                serde_json::to_string(&p).unwrap(),
                format!("\"{}\"", join_policy_text(p))
            );
        }
        for n in [NotificationStatus::Notify, NotificationStatus::DoNotDisturb] {
            assert_eq!(notification_from(notification_text(n)).unwrap(), n);
        }
        assert!(matches!(
            kind_from("hologram"),
            Err(StoreError::Decode { .. })
        ));
        assert!(matches!(uint(-1, "x"), Err(StoreError::Decode { .. })));
    }
}
