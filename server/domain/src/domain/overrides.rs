//! Channel and category overrides (`manage_channels`): flags allowed and denied for a
//! group or a member, in one channel or in a category (used by the channels that follow
//! it). Setting an override with nothing allowed and nothing denied removes it.
//!
//! Only flags the caller holds in the community (mutes aside) may be allowed or denied, a group override needs the
//! group below the caller (`may_manage_group`; `@everyone` is below everyone who may
//! manage channels) and a member override the member below the caller (`may_act_on`). A
//! channel or category holds at most `max_overrides_per_channel` overrides. The change
//! goes out as `channel_updated` / `category_updated`, followed by `channel_added` /
//! `channel_removed` for whoever gains or loses sight.

use community_protocol::permissions::{may_act_on, may_manage_group};
use community_protocol::request::{SetCategoryOverride, SetChannelOverride};
use community_protocol::{
    ApiError, CategoryId, ErrorCode, Event, Override, OverrideTarget, Permissions, Response,
};

use super::access::{actor, require_holds};
use super::categories::category_updated;
use super::context::{Ctx, Membership};
use super::visibility::{self, ChannelSight};

/// Checks the override's target (`GROUP_NOT_FOUND`, `NOT_MEMBER`), the caller's rank over
/// it and the flags it hands out (`PERMISSION_DENIED`), and that a new one fits
/// (`TOO_MANY_OVERRIDES`). Returns false when it would change nothing.
fn check(
    cx: &Ctx<'_>,
    membership: &Membership,
    rule: &Override,
    held: Permissions,
    existing: &[Override],
) -> Result<bool, ApiError> {
    let me = actor(&membership.me);
    match &rule.target {
        OverrideTarget::Group { group_id } => {
            let group = membership.group(group_id)?;
            if !group_id.is_everyone() {
                may_manage_group(&me, group, &membership.groups)?;
            }
        }
        OverrideTarget::Member { user_id } => {
            let target = cx.member(&membership.info.community_id, user_id)?;
            may_act_on(&me, &actor(&target), &membership.groups)?;
        }
    }
    require_holds(held, rule.allow.union(rule.deny))?;
    let current = existing.iter().find(|o| o.target == rule.target);
    let removing = rule.allow.is_empty() && rule.deny.is_empty();
    match current {
        Some(o) if o.allow == rule.allow && o.deny == rule.deny => return Ok(false),
        None if removing => return Ok(false),
        _ => {}
    }
    let max = cx.limits.max_overrides_per_channel;
    if current.is_none() && existing.len() >= max {
        return Err(ApiError::new(
            ErrorCode::TOO_MANY_OVERRIDES,
            format!("a channel or category has at most {max} overrides"),
        ));
    }
    Ok(true)
}

/// `set_channel_override` (`manage_channels` in the channel).
pub(crate) fn set_channel(cx: &mut Ctx<'_>, p: SetChannelOverride) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    let record = cx.channel(&p.community_id, &p.channel_id)?;
    cx.require_op(
        &membership,
        "set_channel_override",
        Some(&record),
        Permissions::NONE,
    )?;
    if !check(
        cx,
        &membership,
        &p.rule,
        membership.held(cx.now),
        &record.info.overrides,
    )? {
        return Ok(Response::Channel(record.info));
    }
    let channel_id = p.channel_id.clone();
    let sight = ChannelSight::capture(cx, &p.community_id, |r| r.info.channel_id == channel_id)?;
    cx.tx.set_channel_override(&p.channel_id, &p.rule)?;
    cx.access_changed(&p.community_id)?;
    let moved = sight.settle(cx)?;
    let version = cx.bump_version(&p.community_id)?;
    let record = cx.channel(&p.community_id, &p.channel_id)?;
    let updated = Event::ChannelUpdated {
        channel: record.info.clone(),
        version,
    };
    match moved.first() {
        Some(channel) => cx.emit(channel.kept(), updated),
        None => {
            let audience = cx.channel_audience(&record)?;
            cx.emit(audience, updated);
        }
    }
    visibility::tell(cx, &moved, version)?;
    Ok(Response::Channel(record.info))
}

/// `set_category_override` (`manage_channels`).
pub(crate) fn set_category(cx: &mut Ctx<'_>, p: SetCategoryOverride) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    cx.require_op(
        &membership,
        "set_category_override",
        None,
        Permissions::NONE,
    )?;
    let category = cx
        .tx
        .category(&p.community_id, &p.category_id)?
        .ok_or_else(|| not_found(&p.category_id))?;
    if !check(
        cx,
        &membership,
        &p.rule,
        membership.held(cx.now),
        &category.overrides,
    )? {
        return Ok(Response::Category(category));
    }
    let followers = |record: &crate::store::ChannelRecord| {
        record.info.follows_category && record.info.category_id.as_ref() == Some(&p.category_id)
    };
    let sight = ChannelSight::capture(cx, &p.community_id, followers)?;
    cx.tx.set_category_override(&p.category_id, &p.rule)?;
    cx.access_changed(&p.community_id)?;
    let moved = sight.settle(cx)?;
    let category = cx
        .tx
        .category(&p.community_id, &p.category_id)?
        .ok_or_else(|| not_found(&p.category_id))?;
    let version = category_updated(cx, &category)?;
    visibility::tell(cx, &moved, version)?;
    Ok(Response::Category(category))
}

fn not_found(category_id: &CategoryId) -> ApiError {
    ApiError::new(
        ErrorCode::CATEGORY_NOT_FOUND,
        format!("no category {category_id:?}"),
    )
}
