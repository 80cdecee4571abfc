//! Bans (`ban_members`): a ban removes the member (as a kick does, with reason `banned`)
//! and keeps them out — joining, invitations and approvals answer `banned` — until
//! `until_ms`, or for ever. A user who is not a member may be banned too. `unban_member`
//! lifts a ban; `list_bans` lists those in force, newest first. A ban whose time has
//! passed is over without anyone lifting it.

use community_protocol::limits::check_user_id;
use community_protocol::request::{BanMember, CommunityRef, MemberRef};
use community_protocol::response::BanList;
use community_protocol::{ApiError, Ban, ErrorCode, Permissions, RemovalReason, Response};

use super::context::Ctx;
use super::members::check_can_act_on;
use super::membership::remove_member;

/// Longest ban reason, in characters.
const REASON_CHARS: usize = 500;

/// `ban_member`: removes the member if they are one (ranking below the caller) and
/// records the ban (replacing an earlier one).
pub(crate) fn ban(cx: &mut Ctx<'_>, p: BanMember) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    cx.require_op(&membership, "ban_member", None, Permissions::NONE)?;
    check_user_id(p.user_id.as_str())?;
    if p.reason.chars().count() > REASON_CHARS {
        return Err(ApiError::new(
            ErrorCode::INVALID_ARGUMENT,
            format!("a ban reason has at most {REASON_CHARS} characters"),
        ));
    }
    if p.until_ms.is_some_and(|until| until <= cx.now) {
        return Err(ApiError::new(
            ErrorCode::INVALID_ARGUMENT,
            "a ban must end in the future (or never: no until_ms)",
        ));
    }
    if p.user_id == *cx.caller {
        return Err(ApiError::new(
            ErrorCode::INVALID_ARGUMENT,
            "you cannot ban yourself",
        ));
    }
    if let Some(target) = cx.tx.member(&p.community_id, &p.user_id)? {
        check_can_act_on(&membership, &target, "ban")?;
        remove_member(cx, &p.community_id, &p.user_id, RemovalReason::Banned)?;
    }
    cx.tx.delete_join_request(&p.community_id, &p.user_id)?;
    cx.tx.put_ban(&Ban {
        community_id: p.community_id,
        user_id: p.user_id,
        by: cx.caller.to_owned(),
        reason: p.reason,
        at_ms: cx.now,
        until_ms: p.until_ms,
    })?;
    Ok(Response::Ok)
}

/// `unban_member`: `BAN_NOT_FOUND` unless a ban is in force.
pub(crate) fn unban(cx: &mut Ctx<'_>, p: MemberRef) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    cx.require_op(&membership, "unban_member", None, Permissions::NONE)?;
    if cx.tx.ban(&p.community_id, &p.user_id, cx.now)?.is_none() {
        return Err(ApiError::new(
            ErrorCode::BAN_NOT_FOUND,
            format!("{:?} is not banned", p.user_id),
        ));
    }
    cx.tx.delete_ban(&p.community_id, &p.user_id)?;
    Ok(Response::Ok)
}

/// `list_bans`: the bans in force, newest first.
pub(crate) fn list(cx: &mut Ctx<'_>, p: CommunityRef) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    cx.require_op(&membership, "list_bans", None, Permissions::NONE)?;
    Ok(Response::Bans(BanList {
        bans: cx.tx.bans(&p.community_id, cx.now)?,
    }))
}
