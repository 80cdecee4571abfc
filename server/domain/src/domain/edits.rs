//! Editing and recalling messages.
//!
//! - An edit is the author's, on a text or custom message that was not recalled, and needs
//!   what a send of the new content would need (`send_messages`, `mention_everyone` for
//!   new `@everyone` or unmentionable group mentions; muted members, mute-all and
//!   announcement channels refuse it as they refuse a send). It is idempotent by `(editor, idempotency_key)`: a
//!   resend returns the change stored the first time and changes nothing.
//! - A recall is the author's within `recall_window_ms` of sending, or, at any time, of a
//!   member holding `manage_messages` in the channel. It needs no right to post (taking words back is not speaking).
//!   The message becomes a tombstone; the earlier `edited` changes of the log lose their
//!   content too, so catching up never shows what was recalled. Recalling a tombstone
//!   changes nothing.

use community_protocol::limits::{check_idempotency_key, check_user_id};
use community_protocol::request::EditMessage;
use community_protocol::response::ChangeOutcome;
use community_protocol::{
    ApiError, ChangeKind, ErrorCode, MessageContent, MessageRef, Permissions, Response,
};

use super::changes::{Target, changed, record};
use super::context::Ctx;
use super::messages::{content_flags, mention_flags};
use super::threads;
use crate::store::{EditKey, MessageEdit};

fn not_editable(what: &str) -> ApiError {
    ApiError::new(
        ErrorCode::NOT_EDITABLE,
        format!("{what}: only text and custom messages can be edited"),
    )
}

/// `edit_message`.
pub(crate) fn edit(cx: &mut Ctx<'_>, p: EditMessage) -> Result<Response, ApiError> {
    check_idempotency_key(&p.idempotency_key)?;
    if p.content.is_none() && p.mentions.is_none() && p.custom_data.is_none() {
        return Err(ApiError::new(
            ErrorCode::INVALID_ARGUMENT,
            "an edit needs content, mentions or custom_data",
        ));
    }
    // The right to post comes before the message: refused whatever the `seq` (the flags
    // the new content needs are checked below, once the content is known).
    let target = Target::load_checked(
        cx,
        &p.community_id,
        &p.channel_id,
        p.seq,
        |cx, membership, channel| {
            cx.require_op(membership, "edit_message", Some(channel), Permissions::NONE)
        },
    )?;
    if let Some(used) = cx.tx.edit_by_key(cx.caller, &p.idempotency_key)? {
        if used.channel_id != p.channel_id || used.seq != p.seq {
            return Err(ApiError::new(
                ErrorCode::INVALID_IDEMPOTENCY_KEY,
                "this idempotency key was already used to edit another message",
            ));
        }
        let change = cx
            .tx
            .change(&p.community_id, &p.channel_id, used.change_seq)?;
        return Ok(Response::Changed(ChangeOutcome {
            change,
            message: target.message,
            change_seq: target.channel.change_seq,
        }));
    }
    let message = &target.message;
    if message.sender_id != *cx.caller {
        return Err(ApiError::new(
            ErrorCode::NOT_AUTHOR,
            "only its author may edit a message",
        ));
    }
    target.require_not_recalled()?;
    if !message.content.is_editable() {
        return Err(not_editable("this message"));
    }
    let content = p.content.unwrap_or_else(|| message.content.clone());
    if !content.is_editable() {
        return Err(not_editable("the new content"));
    }
    let mentions = p.mentions.unwrap_or_else(|| message.mentions.clone());
    let custom_data = p.custom_data.unwrap_or_else(|| message.custom_data.clone());
    cx.limits.check_message(&content, &mentions)?;
    for user_id in &mentions.users {
        check_user_id(user_id.as_str())?;
    }
    cx.limits.check_custom_data(&custom_data)?;
    let flags = mention_flags(&target.membership, &mentions)?.union(content_flags(&content));
    cx.require_op(
        &target.membership,
        "edit_message",
        Some(&target.channel),
        flags,
    )?;
    let edit_count = message.edit_count.saturating_add(1);
    cx.tx.edit_message(&MessageEdit {
        channel_id: &p.channel_id,
        seq: p.seq,
        sender_id: &message.sender_id,
        content: &content,
        mentions: &mentions,
        custom_data: &custom_data,
        edited_at_ms: cx.now,
        edit_count,
    })?;
    let kind = ChangeKind::Edited {
        content,
        previous_mentions: message.mentions.clone(),
        mentions,
        custom_data,
        edit_count,
    };
    let change = record(cx, &target, kind)?;
    threads::digest::message_changed(cx, &target.channel, p.seq)?;
    cx.tx.insert_edit_key(
        cx.caller,
        &p.idempotency_key,
        &EditKey {
            channel_id: p.channel_id,
            seq: p.seq,
            change_seq: change.change_seq,
        },
    )?;
    changed(cx, target, Some(change))
}

/// `recall_message`.
pub(crate) fn recall(cx: &mut Ctx<'_>, p: MessageRef) -> Result<Response, ApiError> {
    let target = Target::load(cx, &p.community_id, &p.channel_id, p.seq)?;
    let message = &target.message;
    if message.content.is_recalled() {
        return changed(cx, target, None);
    }
    let manages = cx
        .channel_flags(&target.membership, &target.channel)?
        .contains(Permissions::MANAGE_MESSAGES);
    if !manages {
        if message.sender_id != *cx.caller {
            return Err(ApiError::new(
                ErrorCode::NOT_AUTHOR,
                "only its author and members who manage messages may recall a message",
            ));
        }
        let elapsed = u64::try_from(cx.now.saturating_sub(message.created_at_ms)).unwrap_or(0);
        if elapsed >= cx.limits.recall_window_ms {
            return Err(ApiError::new(
                ErrorCode::RECALL_WINDOW_PASSED,
                format!(
                    "messages can be recalled by their author for {} ms after sending",
                    cx.limits.recall_window_ms
                ),
            ));
        }
    }
    let tombstone = MessageContent::Recalled {
        by: cx.caller.to_owned(),
        at_ms: cx.now,
    };
    cx.tx.recall_message(&p.channel_id, p.seq, &tombstone)?;
    cx.tx.scrub_edits(&p.channel_id, p.seq, &tombstone)?;
    let kind = ChangeKind::Recalled {
        sender_id: message.sender_id.clone(),
        mentions: message.mentions.clone(),
    };
    let change = record(cx, &target, kind)?;
    threads::digest::message_changed(cx, &target.channel, p.seq)?;
    changed(cx, target, Some(change))
}
