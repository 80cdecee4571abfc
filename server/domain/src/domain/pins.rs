//! Pinned messages: members holding `manage_messages` in the channel pin and unpin (at
//! most `max_pins_per_channel` per channel); everyone who reads the channel
//! (`read_history`) lists them, the most recently pinned first. Pinning a pinned message or unpinning an unpinned one changes nothing. A recall
//! unpins its message without an `unpinned` change (the `recalled` change says it all).

use community_protocol::request::ChannelRef;
use community_protocol::response::MessagesPage;
use community_protocol::{ApiError, ChangeKind, ErrorCode, MessageRef, Permissions, Response};

use super::changes::{Target, changed, record};
use super::context::Ctx;

fn managed_target(cx: &Ctx<'_>, p: &MessageRef, op: &str) -> Result<Target, ApiError> {
    Target::load_checked(
        cx,
        &p.community_id,
        &p.channel_id,
        p.seq,
        |cx, membership, channel| cx.require_op(membership, op, Some(channel), Permissions::NONE),
    )
}

/// `pin_message` (`manage_messages`).
pub(crate) fn pin(cx: &mut Ctx<'_>, p: MessageRef) -> Result<Response, ApiError> {
    let target = managed_target(cx, &p, "pin_message")?;
    target.require_not_recalled()?;
    if target.message.pinned.is_some() {
        return changed(cx, target, None);
    }
    let max = cx.limits.max_pins_per_channel;
    if cx.tx.pin_count(&p.channel_id)? >= max {
        return Err(ApiError::new(
            ErrorCode::TOO_MANY_PINS,
            format!("a channel has at most {max} pinned messages"),
        ));
    }
    cx.tx.pin(&p.channel_id, p.seq, cx.caller, cx.now)?;
    let change = record(cx, &target, ChangeKind::Pinned)?;
    changed(cx, target, Some(change))
}

/// `unpin_message` (`manage_messages`).
pub(crate) fn unpin(cx: &mut Ctx<'_>, p: MessageRef) -> Result<Response, ApiError> {
    let target = managed_target(cx, &p, "unpin_message")?;
    target.require_not_recalled()?;
    if !cx.tx.unpin(&p.channel_id, p.seq)? {
        return changed(cx, target, None);
    }
    let change = record(cx, &target, ChangeKind::Unpinned)?;
    changed(cx, target, Some(change))
}

/// `list_pins` (`read_history`): every pinned message of a channel.
pub(crate) fn list(cx: &mut Ctx<'_>, p: ChannelRef) -> Result<Response, ApiError> {
    let (membership, channel) = cx.message_stream(&p.community_id, &p.channel_id)?;
    cx.require_op(&membership, "list_pins", Some(&channel), Permissions::NONE)?;
    Ok(Response::Messages(MessagesPage {
        messages: cx.tx.pinned_messages(&p.channel_id, Some(cx.caller))?,
        has_more: false,
        change_seq: channel.change_seq,
    }))
}
