//! Sending and reading messages.
//!
//! A send is checked (key, size, mentioned ids, membership, private channel, system
//! content, announcement, mute, mute-all, reply target, rate), then stored with the
//! channel's next sequence in the same write transaction. A resend of a
//! `(sender, idempotency_key)` already stored returns the first message unchanged and
//! emits nothing, so a client may retry blindly after a lost acknowledgement.

use community_protocol::limits::{check_idempotency_key, check_user_id};
use community_protocol::request::{GetMessages, SendMessage};
use community_protocol::response::MessagesPage;
use community_protocol::{ApiError, ChannelKind, ErrorCode, Event, MessageContent, Response, Role};

use super::context::Ctx;
use crate::store::{HistoryRange, NewMessage};

/// `send_message`.
pub(crate) fn send(cx: &mut Ctx<'_>, p: SendMessage) -> Result<Response, ApiError> {
    check_idempotency_key(&p.idempotency_key)?;
    cx.limits.check_message(&p.content, &p.mentions)?;
    // An empty id would read as @everyone in the store's mention index.
    for user_id in &p.mentions.users {
        check_user_id(user_id.as_str())?;
    }
    if let Some(stored) = cx.tx.message_by_key(cx.caller, &p.idempotency_key)? {
        if stored.community_id != p.community_id || stored.channel_id != p.channel_id {
            return Err(ApiError::new(
                ErrorCode::INVALID_IDEMPOTENCY_KEY,
                "this idempotency key was already used for a message in another channel",
            ));
        }
        return Ok(Response::MessageSent(stored));
    }
    let membership = cx.membership(&p.community_id)?;
    let channel = cx.visible_channel(&membership, &p.channel_id)?;
    let me = &membership.me;
    let is_manager = membership.is_manager();
    if matches!(p.content, MessageContent::System { .. }) && !is_manager {
        return Err(ApiError::new(
            ErrorCode::PERMISSION_DENIED,
            "only the owner and admins send system messages",
        ));
    }
    if channel.info.kind == ChannelKind::Announcement && !is_manager {
        return Err(ApiError::new(
            ErrorCode::ANNOUNCEMENT_READ_ONLY,
            "only the owner and admins post in an announcement channel",
        ));
    }
    if let Some(until) = me.muted_until_ms.filter(|until| *until > cx.now) {
        return Err(ApiError::new(
            ErrorCode::MUTED,
            format!("you are muted until {until} (ms since epoch)"),
        ));
    }
    if membership.info.mute_all && me.role == Role::Member {
        return Err(ApiError::new(
            ErrorCode::MUTE_ALL,
            "the community is muted: only the owner and admins speak",
        ));
    }
    if let Some(reply_to) = p
        .reply_to
        .filter(|seq| *seq == 0 || *seq > channel.last_seq)
    {
        return Err(ApiError::new(
            ErrorCode::MESSAGE_NOT_FOUND,
            format!("no message {reply_to} to reply to in this channel"),
        ));
    }
    cx.rate.admit(
        &p.channel_id,
        p.priority,
        cx.limits.channel_messages_per_second,
        cx.now,
    )?;
    let message = cx.tx.append_message(&NewMessage {
        community_id: &p.community_id,
        channel_id: &p.channel_id,
        sender_id: cx.caller,
        idempotency_key: &p.idempotency_key,
        content: &p.content,
        mentions: &p.mentions,
        reply_to: p.reply_to,
        priority: p.priority,
        created_at_ms: cx.now,
    })?;
    let audience = cx.channel_audience(&channel)?;
    cx.emit(
        audience,
        Event::MessageCreated {
            message: message.clone(),
        },
    );
    Ok(Response::MessageSent(message))
}

/// `get_messages`: ascending by sequence. `before_seq`: the newest below it; `after_seq`:
/// the oldest above it; both: the oldest strictly between them; neither: the newest.
pub(crate) fn get(cx: &mut Ctx<'_>, p: GetMessages) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    cx.visible_channel(&membership, &p.channel_id)?;
    let limit = cx.limits.page_size(p.limit)?;
    let range = HistoryRange {
        after: p.after_seq,
        before: p.before_seq,
        limit,
        newest: p.after_seq.is_none(),
    };
    let (messages, has_more) = cx.tx.messages(&p.channel_id, range)?;
    Ok(Response::Messages(MessagesPage { messages, has_more }))
}
