//! Read state and catching up: `mark_read`, `hide_message`, `get_heads` and `sync`.
//!
//! A read position only moves forward and never past the channel's last sequence; the
//! user's other devices hear of every move (`ReadStateChanged`). Hiding a message
//! ("delete locally") and the channel's notification level (all / mentions only / none)
//! are part of the user's read state too: kept per user, in every head, and their other
//! devices hear of them the same way. A thread (its id as `channel_id`) has a read
//! position and hidden messages of its own, and its channel's notification level: a new
//! level for a channel is told with the heads of the user's threads there too. A
//! conversation (`@me` and its id) works the same way; `sync` lists every conversation of
//! the user with their head, and `get_heads` of `@me` answers their conversations' heads.

use std::collections::HashSet;

use community_protocol::request::{CommunityRef, MarkRead, SetChannelNotification, Sync};
use community_protocol::response::{Heads, Synced, UnchangedCommunity};
use community_protocol::{
    ApiError, ChannelNotification, CommunityId, ErrorCode, Event, MessageRef, Permissions, Response,
};

use super::changes::message_not_found;
use super::context::Ctx;
use super::conversations;
use super::threads::rules::is_thread_id;
use super::view;
use crate::routing::Audience;

/// `mark_read`: clamped to the last sequence; a position below the current one changes
/// nothing (the current head is returned).
pub(crate) fn mark_read(cx: &mut Ctx<'_>, p: MarkRead) -> Result<Response, ApiError> {
    let (membership, channel) = cx.message_stream(&p.community_id, &p.channel_id)?;
    cx.require_op(&membership, "mark_read", Some(&channel), Permissions::NONE)?;
    let target = p.seq.min(channel.last_seq);
    let current = cx.tx.read_seq(cx.caller, &p.channel_id)?.unwrap_or(0);
    if target > current {
        cx.tx.set_read_seq(cx.caller, &p.channel_id, target)?;
        let head = view::head(cx, cx.caller, &channel)?;
        cx.emit(
            Audience::OtherSessionsOfCaller,
            Event::ReadStateChanged { head: head.clone() },
        );
        return Ok(Response::ReadState(head));
    }
    Ok(Response::ReadState(view::head(cx, cx.caller, &channel)?))
}

/// `hide_message`: hides one message for the caller (at most `max_hidden_per_channel`
/// per channel); hiding it again changes nothing.
pub(crate) fn hide(cx: &mut Ctx<'_>, p: MessageRef) -> Result<Response, ApiError> {
    let (membership, channel) = cx.message_stream(&p.community_id, &p.channel_id)?;
    cx.require_op(
        &membership,
        "hide_message",
        Some(&channel),
        Permissions::NONE,
    )?;
    let message = cx
        .tx
        .message(&p.channel_id, p.seq, None)?
        .ok_or_else(|| message_not_found(p.seq))?;
    let hidden = cx.tx.hidden(cx.caller, &p.channel_id)?;
    if hidden.binary_search(&p.seq).is_ok() {
        return Ok(Response::ReadState(view::head(cx, cx.caller, &channel)?));
    }
    let max = cx.limits.max_hidden_per_channel;
    if hidden.len() >= max {
        return Err(ApiError::new(
            ErrorCode::TOO_MANY_HIDDEN,
            format!("at most {max} messages of a channel can be hidden"),
        ));
    }
    cx.tx
        .hide(cx.caller, &p.channel_id, p.seq, &message.sender_id)?;
    let head = view::head(cx, cx.caller, &channel)?;
    cx.emit(
        Audience::OtherSessionsOfCaller,
        Event::ReadStateChanged { head: head.clone() },
    );
    Ok(Response::ReadState(head))
}

/// `set_channel_notification`: the caller's level for a channel they see; their other
/// devices hear of a change (`ReadStateChanged` with the head, which carries the level).
pub(crate) fn set_channel_notification(
    cx: &mut Ctx<'_>,
    p: SetChannelNotification,
) -> Result<Response, ApiError> {
    if p.level == ChannelNotification::Unknown {
        return Err(ApiError::new(
            ErrorCode::INVALID_ARGUMENT,
            "a notification level must be all, mentions_only or none",
        ));
    }
    if is_thread_id(&p.channel_id) {
        return Err(ApiError::new(
            ErrorCode::INVALID_ARGUMENT,
            "a thread follows its channel's notification level: set the channel's",
        ));
    }
    let (membership, channel) = cx.message_stream(&p.community_id, &p.channel_id)?;
    cx.require_op(
        &membership,
        "set_channel_notification",
        Some(&channel),
        Permissions::NONE,
    )?;
    if cx.tx.channel_notification(cx.caller, &p.channel_id)? == p.level {
        return Ok(Response::ReadState(view::head(cx, cx.caller, &channel)?));
    }
    cx.tx
        .set_channel_notification(cx.caller, &p.channel_id, p.level)?;
    let head = view::head(cx, cx.caller, &channel)?;
    cx.emit(
        Audience::OtherSessionsOfCaller,
        Event::ReadStateChanged { head: head.clone() },
    );
    // The caller's threads there follow: every session of theirs gets their heads (the
    // answer names the channel only).
    let joined = view::joined_threads(cx, &membership.me, std::slice::from_ref(&channel))?;
    for thread in &joined {
        let head = view::head(cx, cx.caller, thread)?;
        cx.emit_to(cx.caller, Event::ReadStateChanged { head });
    }
    Ok(Response::ReadState(head))
}

/// `get_heads`: one head per channel the caller can see; in `@me`, one per conversation
/// of theirs.
pub(crate) fn get_heads(cx: &mut Ctx<'_>, p: CommunityRef) -> Result<Response, ApiError> {
    if p.community_id.is_direct() {
        let heads = conversations::lists::heads(cx)?;
        return Ok(Response::Heads(Heads { heads }));
    }
    let membership = cx.membership(&p.community_id)?;
    let (heads, _) = view::heads(cx, &membership.me)?;
    Ok(Response::Heads(Heads { heads }))
}

/// `sync`: full snapshots of communities the client does not know or knows at another
/// version, heads only for the others, the ids it knows that are gone (never `@me`, which
/// is no community), and every conversation of the user with their head.
pub(crate) fn sync(cx: &mut Ctx<'_>, p: Sync) -> Result<Response, ApiError> {
    let joined = cx.tx.joined_ids(cx.caller)?;
    let mut changed = Vec::new();
    let mut unchanged = Vec::new();
    for community_id in &joined {
        let membership = cx.membership(community_id)?;
        if p.known.get(community_id) == Some(&membership.info.version) {
            let (heads, threads) = view::heads(cx, &membership.me)?;
            unchanged.push(UnchangedCommunity {
                community_id: community_id.clone(),
                notification: cx.tx.notification(cx.caller, community_id)?,
                member_count: membership.info.member_count,
                heads,
                threads,
                me: membership.me,
                // Filled by the transport, which knows who sits where.
                voice: Vec::new(),
            });
        } else {
            changed.push(view::snapshot(cx, membership.info, membership.me)?);
        }
    }
    let joined: HashSet<&CommunityId> = joined.iter().collect();
    let removed = p
        .known
        .into_keys()
        .filter(|id| !joined.contains(id) && !id.is_direct())
        .collect();
    Ok(Response::Synced(Synced {
        changed,
        unchanged,
        removed,
        conversations: conversations::lists::all_entries(cx)?,
    }))
}
