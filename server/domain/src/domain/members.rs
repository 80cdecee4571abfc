//! Members and roles: the member list (filtered by text, group or custom field), roles,
//! ownership transfer, kick, mute, mute-all and nicknames. Acting on a member needs the
//! operation's flag and to rank above them (`may_act_on`: nobody acts on the owner, an
//! admin not on another admin, the others only below their highest group).

use community_protocol::permissions::may_act_on;
use community_protocol::request::{
    ListMembers, MemberRef, MuteMember, SetMemberRole, SetMuteAll, SetNickname,
};
use community_protocol::response::MembersPage;
use community_protocol::{
    ApiError, ErrorCode, Event, MemberInfo, Page, Permissions, RemovalReason, Response, Role,
};

use super::access::actor;
use super::context::{Ctx, Membership};
use super::membership::remove_member;
use super::visibility::{self, MemberSight};
use crate::cursor::{self, CursorKind, Position};
use crate::routing::Audience;
use crate::store::MemberFilter;

/// Fails unless the caller may act on `target`: not on themselves (`INVALID_ARGUMENT`),
/// then the protocol's `may_act_on` (owner, admins, ranks).
pub(crate) fn check_can_act_on(
    membership: &Membership,
    target: &MemberInfo,
    what: &str,
) -> Result<(), ApiError> {
    if membership.me.user_id == target.user_id {
        return Err(ApiError::new(
            ErrorCode::INVALID_ARGUMENT,
            format!("you cannot {what} yourself"),
        ));
    }
    may_act_on(&actor(&membership.me), &actor(target), &membership.groups)
}

/// Tells the community a member as they are now.
pub(crate) fn member_updated(cx: &mut Ctx<'_>, member: &MemberInfo) -> Result<(), ApiError> {
    let audience = cx.member_audience(&member.community_id, Some(&member.user_id))?;
    cx.emit(
        audience,
        Event::MemberUpdated {
            member: member.clone(),
        },
    );
    Ok(())
}

/// `list_members`: by join time then user id, filtered by id or nickname, by group and by
/// custom field, with the exact count of matches.
pub(crate) fn list(cx: &mut Ctx<'_>, p: ListMembers) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    if let Some(group_id) = &p.group_id {
        membership.group(group_id)?;
    }
    let limit = cx.limits.page_size(p.limit)?;
    let after = cursor::decode_optional(CursorKind::Members, p.cursor.as_deref())?;
    let filter = MemberFilter {
        query: p.query.as_deref(),
        group_id: p.group_id.as_ref(),
        field: p.field.as_ref().map(|f| (f.key.as_str(), f.value.as_str())),
    };
    let rows = cx.tx.members_page(
        &p.community_id,
        filter,
        after.as_ref().map(|a| (a.at_ms, a.id.as_str())),
        limit.saturating_add(1),
    )?;
    let (items, next_cursor) =
        cursor::cut_page(rows, limit, CursorKind::Members, |last| Position {
            at_ms: last.joined_at_ms,
            id: last.user_id.to_string(),
        });
    let total_count = cx.tx.members_count(&p.community_id, filter)?;
    Ok(Response::Members(MembersPage {
        page: Page { items, next_cursor },
        total_count,
    }))
}

/// `set_member_role` (owner only): admin or member.
pub(crate) fn set_role(cx: &mut Ctx<'_>, p: SetMemberRole) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    membership.require_owner("set roles")?;
    if p.role == Role::Owner {
        return Err(ApiError::new(
            ErrorCode::INVALID_ARGUMENT,
            "ownership moves with transfer_ownership, not set_member_role",
        ));
    }
    let before = cx.member(&p.community_id, &p.user_id)?;
    if before.role == Role::Owner {
        return Err(ApiError::new(
            ErrorCode::CANNOT_ACT_ON_OWNER,
            "the owner's role cannot be changed",
        ));
    }
    if before.role == p.role {
        return Ok(Response::Member(before));
    }
    let sight = MemberSight::capture(cx, &p.community_id, &p.user_id)?;
    let mut after = before.clone();
    after.role = p.role;
    cx.tx.update_member(&after)?;
    cx.access_changed(&p.community_id)?;
    let moved = sight.settle(cx)?;
    let version = cx.bump_version(&p.community_id)?;
    member_updated(cx, &after)?;
    visibility::tell(cx, &moved, version)?;
    Ok(Response::Member(after))
}

/// `kick_member` (`kick_members`, on a member ranking below the caller).
pub(crate) fn kick(cx: &mut Ctx<'_>, p: MemberRef) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    cx.require_op(&membership, "kick_member", None, Permissions::NONE)?;
    let target = cx.member(&p.community_id, &p.user_id)?;
    check_can_act_on(&membership, &target, "kick")?;
    remove_member(cx, &p.community_id, &p.user_id, RemovalReason::Kicked)?;
    Ok(Response::Ok)
}

/// `transfer_ownership` (owner only): the old owner becomes an admin.
pub(crate) fn transfer(cx: &mut Ctx<'_>, p: MemberRef) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    membership.require_owner("transfer ownership")?;
    let before = cx.member(&p.community_id, &p.user_id)?;
    if before.user_id == *cx.caller {
        return Err(ApiError::new(
            ErrorCode::INVALID_ARGUMENT,
            "you own the community already",
        ));
    }
    let sight = MemberSight::capture(cx, &p.community_id, &p.user_id)?;
    let mut new_owner = before.clone();
    new_owner.role = Role::Owner;
    new_owner.muted_until_ms = None;
    let mut old_owner = membership.me;
    old_owner.role = Role::Admin;
    cx.tx.update_member(&new_owner)?;
    cx.tx.update_member(&old_owner)?;
    cx.access_changed(&p.community_id)?;
    let moved = sight.settle(cx)?;
    let mut info = membership.info;
    info.owner_id = new_owner.user_id.clone();
    let version = cx.save_structure(&mut info)?;
    member_updated(cx, &new_owner)?;
    member_updated(cx, &old_owner)?;
    cx.emit(
        Audience::Community(info.community_id.clone()),
        Event::CommunityUpdated { info },
    );
    visibility::tell(cx, &moved, version)?;
    Ok(Response::Member(new_owner))
}

/// `mute_member` (`mute_members`, on a member ranking below the caller): until a time, or
/// unmute when absent (a time in the past unmutes too).
pub(crate) fn mute(cx: &mut Ctx<'_>, p: MuteMember) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    cx.require_op(&membership, "mute_member", None, Permissions::NONE)?;
    let mut target = cx.member(&p.community_id, &p.user_id)?;
    check_can_act_on(&membership, &target, "mute")?;
    let until = p.until_ms.filter(|until| *until > cx.now);
    if target.muted_until_ms != until {
        target.muted_until_ms = until;
        cx.tx.update_member(&target)?;
        member_updated(cx, &target)?;
    }
    Ok(Response::Member(target))
}

/// `set_mute_all` (`mute_members`): only members holding `mute_members` may speak while
/// it is on.
pub(crate) fn mute_all(cx: &mut Ctx<'_>, p: SetMuteAll) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    cx.require_op(&membership, "set_mute_all", None, Permissions::NONE)?;
    let mut info = membership.info;
    if info.mute_all != p.muted {
        info.mute_all = p.muted;
        cx.save_structure(&mut info)?;
        cx.emit(
            Audience::Community(info.community_id.clone()),
            Event::CommunityUpdated { info: info.clone() },
        );
    }
    Ok(Response::CommunityInfo(info))
}

/// `set_nickname`: the caller's own name card (empty clears it).
pub(crate) fn nickname(cx: &mut Ctx<'_>, p: SetNickname) -> Result<Response, ApiError> {
    let mut me = cx.membership(&p.community_id)?.me;
    cx.limits.check_nickname(&p.nickname)?;
    if me.nickname != p.nickname {
        me.nickname = p.nickname;
        cx.tx.update_member(&me)?;
        member_updated(cx, &me)?;
    }
    Ok(Response::Member(me))
}
