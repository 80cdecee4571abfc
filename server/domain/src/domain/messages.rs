//! Sending and reading messages.
//!
//! A send is checked (key, size, custom data, mentioned ids, membership, private channel,
//! system content, announcement, mute, mute-all, reply target, forwarded original, rate),
//! then stored with the channel's next sequence in the same write transaction. A resend
//! of a `(sender, idempotency_key)` already stored returns the first message (as it is
//! now) and emits nothing, so a client may retry blindly after a lost acknowledgement.
//!
//! A forward (`forward_of`) copies the content of a message the caller can read, whatever
//! content the request carries, and records where it came from (the first origin when the
//! original was itself a forward); its mentions and custom data are the sender's own.

use community_protocol::limits::{check_idempotency_key, check_user_id};
use community_protocol::request::{GetMessages, SendMessage};
use community_protocol::response::MessagesPage;
use community_protocol::{
    ApiError, ErrorCode, Event, MessageContent, MessageRef, Origin, Response,
};

use super::changes::Target;
use super::context::Ctx;
use crate::store::{HistoryRange, NewMessage};

/// `send_message`.
pub(crate) fn send(cx: &mut Ctx<'_>, p: SendMessage) -> Result<Response, ApiError> {
    check_idempotency_key(&p.idempotency_key)?;
    if p.forward_of.is_none() {
        cx.limits.check_message(&p.content, &p.mentions)?;
    }
    cx.limits.check_custom_data(&p.custom_data)?;
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
    if p.forward_of.is_none()
        && matches!(p.content, MessageContent::System { .. })
        && !membership.is_manager()
    {
        return Err(ApiError::new(
            ErrorCode::PERMISSION_DENIED,
            "only the owner and admins send system messages",
        ));
    }
    membership.require_post(&channel, cx.now)?;
    if let Some(reply_to) = p
        .reply_to
        .filter(|seq| *seq == 0 || *seq > channel.last_seq)
    {
        return Err(ApiError::new(
            ErrorCode::MESSAGE_NOT_FOUND,
            format!("no message {reply_to} to reply to in this channel"),
        ));
    }
    let (content, forwarded_from) = match &p.forward_of {
        Some(original) => {
            let (content, origin) = forwarded(cx, original)?;
            cx.limits.check_message(&content, &p.mentions)?;
            (content, Some(origin))
        }
        None => (p.content, None),
    };
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
        content: &content,
        mentions: &p.mentions,
        reply_to: p.reply_to,
        priority: p.priority,
        created_at_ms: cx.now,
        custom_data: &p.custom_data,
        forwarded_from: forwarded_from.as_ref(),
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

/// The content and origin of a message to forward: the caller must be able to read it
/// (the usual not-found and permission errors); a tombstone is `MESSAGE_RECALLED`; a
/// system notification is `INVALID_ARGUMENT` (it describes an event of its own channel).
fn forwarded(cx: &Ctx<'_>, original: &MessageRef) -> Result<(MessageContent, Origin), ApiError> {
    let target = Target::load(
        cx,
        &original.community_id,
        &original.channel_id,
        original.seq,
    )?;
    target.require_not_recalled()?;
    let message = target.message;
    if matches!(message.content, MessageContent::System { .. }) {
        return Err(ApiError::new(
            ErrorCode::INVALID_ARGUMENT,
            "system messages cannot be forwarded",
        ));
    }
    let origin = message.forwarded_from.unwrap_or(Origin {
        community_id: message.community_id,
        channel_id: message.channel_id,
        seq: message.seq,
        sender_id: message.sender_id,
        created_at_ms: message.created_at_ms,
    });
    Ok((message.content, origin))
}

/// `get_messages`: ascending by sequence. `before_seq`: the newest below it; `after_seq`:
/// the oldest above it; both: the oldest strictly between them; neither: the newest.
pub(crate) fn get(cx: &mut Ctx<'_>, p: GetMessages) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    let channel = cx.visible_channel(&membership, &p.channel_id)?;
    let limit = cx.limits.page_size(p.limit)?;
    let range = HistoryRange {
        after: p.after_seq,
        before: p.before_seq,
        limit,
        newest: p.after_seq.is_none(),
    };
    let (messages, has_more) = cx.tx.messages(&p.channel_id, range, Some(cx.caller))?;
    Ok(Response::Messages(MessagesPage {
        messages,
        has_more,
        change_seq: channel.change_seq,
    }))
}
