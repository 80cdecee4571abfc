//! Members and roles: the member list, roles, ownership transfer, kick, mute, mute-all
//! and nicknames, with the rule that nobody acts on the owner and admins do not act on
//! admins.

use community_protocol::request::{
    ListMembers, MemberRef, MuteMember, SetMemberRole, SetMuteAll, SetNickname,
};
use community_protocol::response::MembersPage;
use community_protocol::{
    ApiError, ErrorCode, Event, MemberInfo, Page, RemovalReason, Response, Role,
};

use super::channels::private_access_changed;
use super::context::Ctx;
use super::membership::remove_member;
use crate::cursor::{self, CursorKind, Position};
use crate::routing::Audience;

/// Fails unless `actor` (owner or admin) may act on `target`: not on themselves, never on
/// the owner, and an admin not on another admin.
fn check_can_act_on(actor: &MemberInfo, target: &MemberInfo, what: &str) -> Result<(), ApiError> {
    if actor.user_id == target.user_id {
        return Err(ApiError::new(
            ErrorCode::INVALID_ARGUMENT,
            format!("you cannot {what} yourself"),
        ));
    }
    if target.role == Role::Owner {
        return Err(ApiError::new(
            ErrorCode::CANNOT_ACT_ON_OWNER,
            format!("nobody may {what} the owner"),
        ));
    }
    if actor.role == Role::Admin && target.role == Role::Admin {
        return Err(ApiError::new(
            ErrorCode::CANNOT_ACT_ON_ADMIN,
            format!("an admin may not {what} another admin"),
        ));
    }
    Ok(())
}

fn member_updated(cx: &mut Ctx<'_>, member: &MemberInfo) {
    cx.emit(
        Audience::Community(member.community_id.clone()),
        Event::MemberUpdated {
            member: member.clone(),
        },
    );
}

/// `list_members`: by join time then user id, filtered by id or nickname, with the exact
/// count of matches.
pub(crate) fn list(cx: &mut Ctx<'_>, p: ListMembers) -> Result<Response, ApiError> {
    cx.membership(&p.community_id)?;
    let limit = cx.limits.page_size(p.limit)?;
    let after = cursor::decode_optional(CursorKind::Members, p.cursor.as_deref())?;
    let query = p.query.as_deref();
    let rows = cx.tx.members_page(
        &p.community_id,
        query,
        after.as_ref().map(|a| (a.at_ms, a.id.as_str())),
        limit.saturating_add(1),
    )?;
    let (items, next_cursor) =
        cursor::cut_page(rows, limit, CursorKind::Members, |last| Position {
            at_ms: last.joined_at_ms,
            id: last.user_id.to_string(),
        });
    let total_count = cx.tx.members_count(&p.community_id, query)?;
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
    let mut after = before.clone();
    after.role = p.role;
    cx.tx.update_member(&after)?;
    let version = cx.bump_version(&p.community_id)?;
    member_updated(cx, &after);
    private_access_changed(cx, &before, &after, version)?;
    Ok(Response::Member(after))
}

/// `kick_member`: owner kicks anyone else; admins kick ordinary members.
pub(crate) fn kick(cx: &mut Ctx<'_>, p: MemberRef) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    membership.require_manager("kick members")?;
    let target = cx.member(&p.community_id, &p.user_id)?;
    check_can_act_on(&membership.me, &target, "kick")?;
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
    let mut new_owner = before.clone();
    new_owner.role = Role::Owner;
    new_owner.muted_until_ms = None;
    let mut old_owner = membership.me;
    old_owner.role = Role::Admin;
    cx.tx.update_member(&new_owner)?;
    cx.tx.update_member(&old_owner)?;
    let mut info = membership.info;
    info.owner_id = new_owner.user_id.clone();
    let version = cx.save_structure(&mut info)?;
    member_updated(cx, &new_owner);
    member_updated(cx, &old_owner);
    cx.emit(
        Audience::Community(info.community_id.clone()),
        Event::CommunityUpdated { info },
    );
    private_access_changed(cx, &before, &new_owner, version)?;
    Ok(Response::Member(new_owner))
}

/// `mute_member`: until a time, or unmute when absent (a time in the past unmutes too).
pub(crate) fn mute(cx: &mut Ctx<'_>, p: MuteMember) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    membership.require_manager("mute members")?;
    let mut target = cx.member(&p.community_id, &p.user_id)?;
    check_can_act_on(&membership.me, &target, "mute")?;
    let until = p.until_ms.filter(|until| *until > cx.now);
    if target.muted_until_ms != until {
        target.muted_until_ms = until;
        cx.tx.update_member(&target)?;
        member_updated(cx, &target);
    }
    Ok(Response::Member(target))
}

/// `set_mute_all` (owner / admin): only the owner and admins may speak while it is on.
pub(crate) fn mute_all(cx: &mut Ctx<'_>, p: SetMuteAll) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    membership.require_manager("mute everyone")?;
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
        member_updated(cx, &me);
    }
    Ok(Response::Member(me))
}
