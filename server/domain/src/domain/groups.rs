//! Permission groups (Discord's roles): create, update, delete, reorder, and assigning
//! them to members (`manage_roles`).
//!
//! Ranks follow positions: `@everyone` is 0, the other groups 1, 2, 3… (kept contiguous);
//! a member ranks at their highest group. Members act only on groups below their rank
//! (`may_manage_group`) and only hand out flags they hold themselves. A new group starts
//! at the bottom (position 1, the others move up). Every change of the list goes to the
//! community as `groups_changed` (all groups, with the structure version it bumps); an
//! assignment as `member_updated`. Changes that may alter who sees which channel are
//! followed by `channel_added` / `channel_removed` to exactly those concerned.

use std::collections::HashSet;

use community_protocol::permissions::{may_act_on, may_manage_group};
use community_protocol::request::{CreateGroup, GroupRef, MemberGroup, ReorderGroups, UpdateGroup};
use community_protocol::response::GroupList;
use community_protocol::{
    ApiError, CommunityId, ErrorCode, Event, Group, GroupId, Permissions, Response,
};

use super::access::{actor, require_holds};
use super::context::{Ctx, Membership};
use super::members::member_updated;
use super::visibility::{self, ChannelSight, MemberSight};
use crate::ids;
use crate::routing::Audience;

/// Flags whose change may change who sees a channel.
const SIGHT: Permissions = Permissions(Permissions::VIEW_CHANNEL.0 | Permissions::ADMINISTRATOR.0);

/// Bumps the structure version and tells the community every group as it is now;
/// returns the version and the groups.
fn groups_changed(
    cx: &mut Ctx<'_>,
    community_id: &CommunityId,
) -> Result<(u64, Vec<Group>), ApiError> {
    let version = cx.bump_version(community_id)?;
    let groups = cx.tx.groups(community_id)?;
    cx.emit(
        Audience::Community(community_id.clone()),
        Event::GroupsChanged {
            community_id: community_id.clone(),
            groups: groups.clone(),
            version,
        },
    );
    Ok((version, groups))
}

/// The group the caller manages: `GROUP_NOT_FOUND`, then `CANNOT_ACT_ON_HIGHER` unless it
/// ranks below them.
fn managed<'m>(membership: &'m Membership, group_id: &GroupId) -> Result<&'m Group, ApiError> {
    let group = membership.group(group_id)?;
    may_manage_group(&actor(&membership.me), group, &membership.groups)?;
    Ok(group)
}

/// `create_group`: at the bottom, with flags the caller holds.
pub(crate) fn create(cx: &mut Ctx<'_>, p: CreateGroup) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    cx.require_op(&membership, "create_group", None, Permissions::NONE)?;
    cx.limits.check_group_name(&p.name)?;
    require_holds(membership.held(cx.now), p.permissions)?;
    let max = cx.limits.max_groups_per_community;
    if membership.groups.len() >= max {
        return Err(ApiError::new(
            ErrorCode::TOO_MANY_GROUPS,
            format!("a community has at most {max} permission groups (@everyone included)"),
        ));
    }
    for group in membership
        .groups
        .iter()
        .filter(|g| !g.group_id.is_everyone())
    {
        let mut moved = group.clone();
        moved.position += 1;
        cx.tx.update_group(&moved)?;
    }
    let group = Group {
        community_id: p.community_id.clone(),
        group_id: ids::generate(ids::GROUP_PREFIX),
        name: p.name,
        color: p.color,
        position: 1,
        mentionable: p.mentionable,
        permissions: p.permissions,
    };
    cx.tx.insert_group(&group)?;
    groups_changed(cx, &p.community_id)?;
    Ok(Response::Group(group))
}

/// `update_group`: a group below the caller; `@everyone` may change but keeps its name;
/// flags added must be flags the caller holds.
pub(crate) fn update(cx: &mut Ctx<'_>, p: UpdateGroup) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    cx.require_op(&membership, "update_group", None, Permissions::NONE)?;
    let before = managed(&membership, &p.group_id)?.clone();
    let mut group = before.clone();
    if let Some(name) = p.name {
        if group.group_id.is_everyone() && name != group.name {
            return Err(ApiError::new(
                ErrorCode::INVALID_ARGUMENT,
                "@everyone cannot be renamed",
            ));
        }
        cx.limits.check_group_name(&name)?;
        group.name = name;
    }
    if let Some(color) = p.color {
        group.color = color;
    }
    if let Some(mentionable) = p.mentionable {
        group.mentionable = mentionable;
    }
    if let Some(permissions) = p.permissions {
        require_holds(
            membership.held(cx.now),
            permissions.without(before.permissions),
        )?;
        group.permissions = permissions;
    }
    if group == before {
        return Ok(Response::Group(group));
    }
    let sight_changes = !Permissions(group.permissions.0 ^ before.permissions.0)
        .intersection(SIGHT)
        .is_empty();
    let sight = sight_changes
        .then(|| ChannelSight::capture(cx, &p.community_id, |_| true))
        .transpose()?;
    cx.tx.update_group(&group)?;
    if sight_changes {
        cx.access_changed(&p.community_id)?;
    }
    let moved = sight
        .map(|sight| sight.settle(cx))
        .transpose()?
        .unwrap_or_default();
    let (version, _) = groups_changed(cx, &p.community_id)?;
    visibility::tell(cx, &moved, version)?;
    Ok(Response::Group(group))
}

/// `delete_group`: a group below the caller, never `@everyone`; its holders lose it and
/// the overrides naming it go too. The groups above move down one position.
pub(crate) fn delete(cx: &mut Ctx<'_>, p: GroupRef) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    cx.require_op(&membership, "delete_group", None, Permissions::NONE)?;
    if p.group_id.is_everyone() {
        membership.group(&p.group_id)?;
        return Err(ApiError::new(
            ErrorCode::INVALID_ARGUMENT,
            "@everyone cannot be deleted",
        ));
    }
    let deleted = managed(&membership, &p.group_id)?.clone();
    let sight = ChannelSight::capture(cx, &p.community_id, |_| true)?;
    cx.tx.delete_group(&p.community_id, &p.group_id)?;
    for group in &membership.groups {
        if !group.group_id.is_everyone() && group.position > deleted.position {
            let mut moved = group.clone();
            moved.position -= 1;
            cx.tx.update_group(&moved)?;
        }
    }
    cx.access_changed(&p.community_id)?;
    let moved = sight.settle(cx)?;
    let (version, _) = groups_changed(cx, &p.community_id)?;
    visibility::tell(cx, &moved, version)?;
    Ok(Response::Ok)
}

/// `reorder_groups`: every group but `@everyone`, lowest first, gets the positions 1, 2,
/// 3…; the groups at or above the caller's rank must keep theirs.
pub(crate) fn reorder(cx: &mut Ctx<'_>, p: ReorderGroups) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    cx.require_op(&membership, "reorder_groups", None, Permissions::NONE)?;
    let mut seen = HashSet::new();
    for group_id in &p.group_ids {
        if group_id.is_everyone() {
            return Err(ApiError::new(
                ErrorCode::INVALID_ARGUMENT,
                "@everyone has no place in the order",
            ));
        }
        membership.group(group_id)?;
        if !seen.insert(group_id) {
            return Err(ApiError::new(
                ErrorCode::INVALID_ARGUMENT,
                format!("{group_id:?} is named twice"),
            ));
        }
    }
    let others = membership.groups.len().saturating_sub(1);
    if p.group_ids.len() != others {
        return Err(ApiError::new(
            ErrorCode::INVALID_ARGUMENT,
            format!("name every group but @everyone: {others} groups"),
        ));
    }
    let me = actor(&membership.me);
    let rank = community_protocol::permissions::rank(&me, &membership.groups);
    let mut changed = false;
    for (index, group_id) in p.group_ids.iter().enumerate() {
        let position = i64::try_from(index).unwrap_or(i64::MAX).saturating_add(1);
        let group = membership.group(group_id)?;
        if group.position == position {
            continue;
        }
        if may_manage_group(&me, group, &membership.groups).is_err() || position >= rank {
            return Err(ApiError::new(
                ErrorCode::CANNOT_ACT_ON_HIGHER,
                "you may only move groups below your highest group, and keep them below it",
            ));
        }
        let mut moved = group.clone();
        moved.position = position;
        cx.tx.update_group(&moved)?;
        changed = true;
    }
    let groups = if changed {
        groups_changed(cx, &p.community_id)?.1
    } else {
        membership.groups
    };
    Ok(Response::Groups(GroupList { groups }))
}

/// `assign_group` (`add`) and `unassign_group`: a group below the caller, to or from a
/// member below the caller (or the caller themself).
pub(crate) fn assign(cx: &mut Ctx<'_>, p: MemberGroup, add: bool) -> Result<Response, ApiError> {
    let op = if add {
        "assign_group"
    } else {
        "unassign_group"
    };
    let membership = cx.membership(&p.community_id)?;
    cx.require_op(&membership, op, None, Permissions::NONE)?;
    let group = membership.group(&p.group_id)?;
    if group.group_id.is_everyone() {
        return Err(ApiError::new(
            ErrorCode::INVALID_ARGUMENT,
            "every member holds @everyone",
        ));
    }
    let target = cx.member(&p.community_id, &p.user_id)?;
    managed(&membership, &p.group_id)?;
    if target.user_id != membership.me.user_id {
        may_act_on(&actor(&membership.me), &actor(&target), &membership.groups)?;
    }
    if target.groups.contains(&p.group_id) == add {
        return Ok(Response::Member(target));
    }
    let sight = MemberSight::capture(cx, &p.community_id, &p.user_id)?;
    if add {
        cx.tx
            .assign_group(&p.community_id, &p.user_id, &p.group_id)?;
    } else {
        cx.tx
            .unassign_group(&p.community_id, &p.user_id, &p.group_id)?;
    }
    cx.access_changed(&p.community_id)?;
    let moved = sight.settle(cx)?;
    let version = cx.bump_version(&p.community_id)?;
    let member = cx.member(&p.community_id, &p.user_id)?;
    member_updated(cx, &member)?;
    visibility::tell(cx, &moved, version)?;
    Ok(Response::Member(member))
}
