//! Sending and reading messages.
//!
//! A send is checked (key, size, custom data, mentioned ids and groups, membership, then
//! the permissions: `send_messages`, and by content `attach_media`, `mention_everyone`,
//! `administrator` for system content — with the protocol's errors for sight, mute,
//! mute-all and announcement channels — then reply target, forwarded original, rate),
//! then stored with the channel's next sequence in the same write transaction. A resend
//! of a `(sender, idempotency_key)` already stored returns the first message (as it is
//! now) and emits nothing, so a client may retry blindly after a lost acknowledgement.
//!
//! A forward (`forward_of`) copies the content of a message the caller can read, whatever
//! content the request carries, and records where it came from (the first origin when the
//! original was itself a forward); its mentions and custom data are the sender's own.
//!
//! `channel_id` may name a thread (`threads`): the checks are made in its channel with
//! `send_in_threads`, an archived or locked thread refuses, the sender and the users it
//! mentions join it before the message is stored, the message goes to its members, and
//! its digest goes to the channel's readers.

use community_protocol::limits::{check_idempotency_key, check_user_id};
use community_protocol::request::{GetMessages, SendMessage};
use community_protocol::response::MessagesPage;
use community_protocol::{
    ApiError, ErrorCode, Mentions, MessageContent, MessageRef, Origin, Permissions, Response,
};

use super::changes::Target;
use super::context::{Ctx, Membership, group_not_found};
use super::threads;
use crate::store::{HistoryRange, NewMessage};

/// The flags a message's content adds to `send_messages` (the protocol's content
/// conditions): media needs `attach_media`; system content needs `administrator`.
pub(crate) fn content_flags(content: &MessageContent) -> Permissions {
    let mut flags = Permissions::NONE;
    if matches!(
        content,
        MessageContent::Image(_)
            | MessageContent::File(_)
            | MessageContent::Audio(_)
            | MessageContent::Video(_)
    ) {
        flags = flags.union(Permissions::ATTACH_MEDIA);
    }
    if matches!(content, MessageContent::System { .. }) {
        flags = flags.union(Permissions::ADMINISTRATOR);
    }
    flags
}

/// The flags mentions add to `send_messages`: `@everyone` or a group that is not
/// mentionable needs `mention_everyone`. Mentioned groups must be groups of the community
/// other than `everyone` (`GROUP_NOT_FOUND`, `INVALID_ARGUMENT`).
pub(crate) fn mention_flags(
    membership: &Membership,
    mentions: &Mentions,
) -> Result<Permissions, ApiError> {
    let mut flags = Permissions::NONE;
    if mentions.everyone {
        flags = flags.union(Permissions::MENTION_EVERYONE);
    }
    for group_id in &mentions.groups {
        if group_id.is_everyone() {
            return Err(ApiError::new(
                ErrorCode::INVALID_ARGUMENT,
                "mention @everyone with `everyone: true`, not as a group",
            ));
        }
        let group = membership
            .groups
            .iter()
            .find(|g| g.group_id == *group_id)
            .ok_or_else(|| group_not_found(group_id))?;
        if !group.mentionable {
            flags = flags.union(Permissions::MENTION_EVERYONE);
        }
    }
    Ok(flags)
}

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
    let (membership, channel) = cx.message_stream(&p.community_id, &p.channel_id)?;
    let mention_flags = mention_flags(&membership, &p.mentions)?;
    // A forward's content is the original's, checked below once it is known.
    let flags = match &p.forward_of {
        None => mention_flags.union(content_flags(&p.content)),
        Some(_) => mention_flags,
    };
    cx.require_op(&membership, "send_message", Some(&channel), flags)?;
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
            let flags = mention_flags.union(content_flags(&content));
            cx.require_op(&membership, "send_message", Some(&channel), flags)?;
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
    threads::membership::join_on_post(cx, &membership, &channel, &p.mentions)?;
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
    let large = cx.large_count(membership.info.member_count);
    cx.emit_message(audience, message.clone(), Some(large))?;
    threads::digest::posted(cx, &channel, &message)?;
    Ok(Response::MessageSent(message))
}

/// The content and origin of a message to forward: the caller must be able to read it
/// (`read_history` in its channel, with the usual not-found and permission errors); a
/// tombstone is `MESSAGE_RECALLED`; a system notification is `INVALID_ARGUMENT` (it
/// describes an event of its own channel).
fn forwarded(cx: &Ctx<'_>, original: &MessageRef) -> Result<(MessageContent, Origin), ApiError> {
    let target = Target::load_checked(
        cx,
        &original.community_id,
        &original.channel_id,
        original.seq,
        |cx, membership, channel| cx.require_in(membership, channel, Permissions::READ_HISTORY),
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

/// `get_messages` (`read_history`): ascending by sequence. `before_seq`: the newest below
/// it; `after_seq`: the oldest above it; both: the oldest strictly between them; neither:
/// the newest.
pub(crate) fn get(cx: &mut Ctx<'_>, p: GetMessages) -> Result<Response, ApiError> {
    let (membership, channel) = cx.message_stream(&p.community_id, &p.channel_id)?;
    cx.require_op(
        &membership,
        "get_messages",
        Some(&channel),
        Permissions::NONE,
    )?;
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
