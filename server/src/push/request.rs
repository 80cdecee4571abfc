//! The push request's body (docs/PUSH.md): one JSON object per recipient, with a
//! `push_id` that names the message and the user, the same on every retry, so the
//! endpoint can drop duplicates (it is also the `x-community-event-id` header).

use community_server_domain::push_plan::{PushMessage, PushPlace, PushRecipient};
use serde::Serialize;

/// The body of one push request.
#[derive(Debug, Serialize)]
pub(crate) struct PushRequest<'a> {
    /// `<channel_id>:<seq>:<user_id>`: the same on every attempt.
    pub push_id: &'a str,
    /// The user to notify.
    pub user_id: &'a str,
    /// Their devices' tokens, most recently registered first.
    pub tokens: &'a [community_protocol::push::PushToken],
    /// The notification's title.
    pub title: String,
    /// Its body: the message's preview.
    pub body: &'a str,
    /// The user's total unread count (docs/PUSH.md).
    pub badge: u64,
    /// The community (`@me` for a conversation).
    pub community_id: &'a str,
    /// The channel, thread or conversation.
    pub channel_id: &'a str,
    /// The message's sequence there.
    pub seq: u64,
    /// `channel`, `thread`, `direct` or `group`.
    pub place: &'static str,
    /// The sender.
    pub sender_id: &'a str,
    /// The sender's name as shown.
    pub sender_name: &'a str,
    /// The community's name (empty for a conversation).
    pub community_name: &'a str,
    /// The channel's, thread's or group conversation's name.
    pub channel_name: &'a str,
    /// The message mentions the user (by name, a group they hold, `@everyone`).
    pub mentioned: bool,
}

/// The title of a push (docs/PUSH.md): who wrote, and where.
pub(crate) fn title(message: &PushMessage) -> String {
    let sender = &message.sender_name;
    match message.place {
        PushPlace::Channel => format!(
            "{sender} in #{} ({})",
            message.channel_name, message.community_name
        ),
        PushPlace::Thread => format!(
            "{sender} in {} ({})",
            message.channel_name, message.community_name
        ),
        PushPlace::Group if message.channel_name.is_empty() => format!("{sender} in a group"),
        PushPlace::Group => format!("{sender} in {}", message.channel_name),
        PushPlace::Direct => sender.clone(),
    }
}

/// The push id and the encoded body of `message`'s push to `recipient`.
pub(crate) fn body(
    message: &PushMessage,
    recipient: &PushRecipient,
    mentioned: bool,
) -> Result<(String, Vec<u8>), serde_json::Error> {
    let push_id = format!(
        "{}:{}:{}",
        message.channel_id, message.seq, recipient.user_id
    );
    let request = PushRequest {
        push_id: &push_id,
        user_id: recipient.user_id.as_str(),
        tokens: &recipient.tokens,
        title: title(message),
        body: &message.preview,
        badge: recipient.badge,
        community_id: message.community_id.as_str(),
        channel_id: message.channel_id.as_str(),
        seq: message.seq,
        place: message.place.as_str(),
        sender_id: message.sender_id.as_str(),
        sender_name: &message.sender_name,
        community_name: &message.community_name,
        channel_name: &message.channel_name,
        mentioned,
    };
    let body = serde_json::to_vec(&request)?;
    Ok((push_id, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(place: PushPlace, channel_name: &str) -> PushMessage {
        PushMessage {
            community_id: "c".into(),
            channel_id: "ch".into(),
            seq: 7,
            sender_id: "alice".into(),
            sender_name: "Alice".into(),
            community_name: "Climbers".into(),
            channel_name: channel_name.into(),
            place,
            preview: "hi".into(),
            large: false,
        }
    }

    #[test]
    fn titles_name_the_sender_and_the_place() {
        assert_eq!(
            title(&message(PushPlace::Channel, "general")),
            "Alice in #general (Climbers)"
        );
        assert_eq!(
            title(&message(PushPlace::Thread, "Route ideas")),
            "Alice in Route ideas (Climbers)"
        );
        assert_eq!(title(&message(PushPlace::Group, "")), "Alice in a group");
        assert_eq!(title(&message(PushPlace::Group, "Trip")), "Alice in Trip");
        assert_eq!(title(&message(PushPlace::Direct, "")), "Alice");
    }

    #[test]
    fn the_body_names_the_push() {
        let recipient = PushRecipient {
            user_id: "bob".into(),
            tokens: vec![community_protocol::push::PushToken {
                platform: community_protocol::push::PushPlatform::Fcm,
                token: "t".into(),
            }],
            badge: 3,
        };
        let (id, body) = body(&message(PushPlace::Channel, "general"), &recipient, true).unwrap();
        assert_eq!(id, "ch:7:bob");
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(value["badge"], 3);
        assert_eq!(value["tokens"][0]["platform"], "fcm");
        assert_eq!(value["mentioned"], true);
        assert_eq!(value["body"], "hi");
    }
}
