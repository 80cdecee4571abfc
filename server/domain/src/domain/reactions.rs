//! Reactions: an emoji per user per message.
//!
//! Reacting needs `add_reactions` in the channel (a speaking flag: muted members, and
//! everyone without `mute_members` under mute-all, lose it; announcement channels keep
//! it); taking a reaction back needs only sight of the channel. A message carries at most `max_reactions_per_message` distinct emoji.
//! Adding a reaction one has, or removing one not made, changes nothing (no change, no
//! event). Recalled messages take no reactions.

use community_protocol::request::MessageReaction;
use community_protocol::{ApiError, ChangeKind, ErrorCode, Permissions, Response};

use super::changes::{Target, changed, record};
use super::context::Ctx;

/// `add_reaction`.
pub(crate) fn add(cx: &mut Ctx<'_>, p: MessageReaction) -> Result<Response, ApiError> {
    cx.limits.check_emoji(&p.emoji)?;
    // The permission comes before the message: refused whatever the `seq`.
    let target = Target::load_checked(
        cx,
        &p.community_id,
        &p.channel_id,
        p.seq,
        |cx, membership, channel| {
            cx.require_op(membership, "add_reaction", Some(channel), Permissions::NONE)
        },
    )?;
    target.require_not_recalled()?;
    let existing = target.message.reaction(&p.emoji);
    if existing.is_some_and(|reaction| reaction.me) {
        return changed(cx, target, None);
    }
    let max = cx.limits.max_reactions_per_message;
    if existing.is_none() && target.message.reactions.len() >= max {
        return Err(ApiError::new(
            ErrorCode::TOO_MANY_REACTIONS,
            format!("a message takes at most {max} different emoji"),
        ));
    }
    if !cx
        .tx
        .add_reaction(&p.channel_id, p.seq, &p.emoji, cx.caller, cx.now)?
    {
        return changed(cx, target, None);
    }
    let kind = ChangeKind::ReactionAdded {
        count: cx.tx.reaction_count(&p.channel_id, p.seq, &p.emoji)?,
        users: cx.tx.first_reactors(&p.channel_id, p.seq, &p.emoji)?,
        emoji: p.emoji,
    };
    let change = record(cx, &target, kind)?;
    changed(cx, target, Some(change))
}

/// `remove_reaction`.
pub(crate) fn remove(cx: &mut Ctx<'_>, p: MessageReaction) -> Result<Response, ApiError> {
    cx.limits.check_emoji(&p.emoji)?;
    let target = Target::load(cx, &p.community_id, &p.channel_id, p.seq)?;
    cx.require_open(&target.membership, &target.channel, "remove_reaction")?;
    target.require_not_recalled()?;
    if !cx
        .tx
        .remove_reaction(&p.channel_id, p.seq, &p.emoji, cx.caller)?
    {
        return changed(cx, target, None);
    }
    let kind = ChangeKind::ReactionRemoved {
        count: cx.tx.reaction_count(&p.channel_id, p.seq, &p.emoji)?,
        users: cx.tx.first_reactors(&p.channel_id, p.seq, &p.emoji)?,
        emoji: p.emoji,
    };
    let change = record(cx, &target, kind)?;
    changed(cx, target, Some(change))
}
