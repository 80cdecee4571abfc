//! Reactions: an emoji per user per message.
//!
//! Anyone who can read the channel may react, announcement channels included, unless
//! muted (personally, or by mute-all for ordinary members); taking a reaction back is
//! always allowed. A message carries at most `max_reactions_per_message` distinct emoji.
//! Adding a reaction one has, or removing one not made, changes nothing (no change, no
//! event). Recalled messages take no reactions.

use community_protocol::request::MessageReaction;
use community_protocol::{ApiError, ChangeKind, ErrorCode, Response};

use super::changes::{Target, changed, record};
use super::context::Ctx;

/// `add_reaction`.
pub(crate) fn add(cx: &mut Ctx<'_>, p: MessageReaction) -> Result<Response, ApiError> {
    cx.limits.check_emoji(&p.emoji)?;
    let target = Target::load(cx, &p.community_id, &p.channel_id, p.seq)?;
    target.require_not_recalled()?;
    target.membership.require_voice(cx.now)?;
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
