//! Messages the server writes into history ("carol joined", "alice created #raids") when
//! the community's `system_messages` switch is on (the default).
//!
//! They are ordinary messages with a `seq` (sender `""`, content `system`), delivered as
//! `message_created` to whoever can read the channel, but they never count as unread or
//! as a mention for anyone. Member events go to the community's default channel; channel
//! events to the channel itself. Writing and telling are two steps ([`write`], then
//! [`Written::tell`]) so that a caller can order the `message_created` after the events
//! that make the channel known (a joiner's `community_added`).

use community_protocol::{
    ApiError, CommunityId, Mentions, Message, MessageContent, Priority, UserId,
};

use super::context::Ctx;
use crate::store::{ChannelRecord, NewMessage};

/// `member_joined`: a member joined (freely, invited or approved).
pub(crate) const MEMBER_JOINED: &str = "member_joined";
/// `member_left`: a member left.
pub(crate) const MEMBER_LEFT: &str = "member_left";
/// `member_kicked`: a member was removed by the owner or an admin.
pub(crate) const MEMBER_KICKED: &str = "member_kicked";
/// `member_banned`: a member was banned (removed and kept out).
pub(crate) const MEMBER_BANNED: &str = "member_banned";
/// `channel_created`: the first message of a new channel.
pub(crate) const CHANNEL_CREATED: &str = "channel_created";
/// `channel_renamed`: the channel got a new name.
pub(crate) const CHANNEL_RENAMED: &str = "channel_renamed";

/// A system message stored but not told yet.
#[must_use = "a written system message must be told to its channel"]
pub(crate) struct Written {
    message: Message,
    channel: ChannelRecord,
}

impl Written {
    /// Queues `message_created` for everyone who can read the channel.
    pub fn tell(self, cx: &mut Ctx<'_>) -> Result<(), ApiError> {
        let audience = cx.channel_audience(&self.channel)?;
        cx.emit_message(audience, self.message, None)
    }
}

/// Stores a system message in `channel` if the community writes them; `subject` (a user
/// or channel id) only makes the informational idempotency key readable.
pub(crate) fn write(
    cx: &Ctx<'_>,
    community_id: &CommunityId,
    channel: &ChannelRecord,
    event: &str,
    subject: &str,
    text: String,
) -> Result<Option<Written>, ApiError> {
    if !cx.community(community_id)?.system_messages {
        return Ok(None);
    }
    let content = MessageContent::System {
        event: event.to_owned(),
        text,
    };
    let message = cx.tx.append_message(&NewMessage {
        community_id,
        channel_id: &channel.info.channel_id,
        sender_id: &UserId::from(String::new()),
        idempotency_key: &format!("sys-{event}-{subject}"),
        content: &content,
        mentions: &Mentions::default(),
        reply_to: None,
        priority: Priority::Normal,
        created_at_ms: cx.now,
        custom_data: "",
        forwarded_from: None,
    })?;
    tracing::debug!(
        channel_id = channel.info.channel_id.as_str(),
        seq = message.seq,
        event,
        "system message"
    );
    Ok(Some(Written {
        message,
        channel: channel.clone(),
    }))
}

/// Stores a member event in the community's default channel.
pub(crate) fn write_member_event(
    cx: &Ctx<'_>,
    community_id: &CommunityId,
    event: &str,
    user_id: &UserId,
) -> Result<Option<Written>, ApiError> {
    let info = cx.community(community_id)?;
    if !info.system_messages {
        return Ok(None);
    }
    let channel = cx.channel(community_id, &info.default_channel_id)?;
    let text = match event {
        MEMBER_LEFT => format!("{user_id} left"),
        MEMBER_KICKED => format!("{user_id} was kicked"),
        MEMBER_BANNED => format!("{user_id} was banned"),
        _ => format!("{user_id} joined"),
    };
    write(cx, community_id, &channel, event, user_id.as_str(), text)
}

/// Stores and tells a system message, if the community writes them.
pub(crate) fn post(
    cx: &mut Ctx<'_>,
    community_id: &CommunityId,
    channel: &ChannelRecord,
    event: &str,
    text: String,
) -> Result<(), ApiError> {
    let subject = channel.info.channel_id.to_string();
    if let Some(written) = write(cx, community_id, channel, event, &subject, text)? {
        written.tell(cx)?;
    }
    Ok(())
}
