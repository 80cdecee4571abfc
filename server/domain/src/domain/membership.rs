//! Entering and leaving communities: join (free / invite-only / approval), invitations,
//! join requests, leave, and the shared add / remove steps that kick, ban and dismiss
//! reuse. A banned user is refused at every door (`banned`) until the ban ends.

use community_protocol::limits::check_user_id;
use community_protocol::request::{CommunityRef, DecideJoinRequest, InviteMembers, JoinCommunity};
use community_protocol::response::{JoinRequests, UsersOutcome};
use community_protocol::{
    ApiError, CommunityId, CommunitySnapshot, ErrorCode, ErrorKind, Event, FailedUser, JoinPolicy,
    JoinRequest, MemberInfo, Permissions, RemovalReason, Response, Role, UserId,
};

use super::access::needed;
use super::audience::Roster;
use super::communities::check_can_join_more;
use super::context::Ctx;
use super::{system, view};
use crate::routing::Audience;

/// Longest message a join request may carry, in characters.
const JOIN_MESSAGE_CHARS: usize = 500;

/// Fails with `BANNED` while `user_id` is banned from the community.
pub(crate) fn check_not_banned(
    cx: &Ctx<'_>,
    community_id: &CommunityId,
    user_id: &UserId,
) -> Result<(), ApiError> {
    match cx.tx.ban(community_id, user_id, cx.now)? {
        None => Ok(()),
        Some(ban) => Err(ApiError::new(
            ErrorCode::BANNED,
            match ban.until_ms {
                Some(until) => format!("{user_id:?} is banned until {until} (ms since epoch)"),
                None => format!("{user_id:?} is banned"),
            },
        )),
    }
}

/// Adds `user_id` as an ordinary member, with every check that concerns them
/// (`ALREADY_MEMBER`, `BANNED`, `TOO_MANY_MEMBERS`, `TOO_MANY_JOINED`), and tells them
/// (`CommunityAdded`) and the community (`MemberJoined`, then the `member_joined` system
/// message, written before the joiner's read positions start so that it is read). The
/// caller announces the new member count with [`announce_info`] once per request.
pub(crate) fn add_member(
    cx: &mut Ctx<'_>,
    community_id: &CommunityId,
    user_id: &UserId,
) -> Result<CommunitySnapshot, ApiError> {
    let info = cx.community(community_id)?;
    if cx.tx.member(community_id, user_id)?.is_some() {
        return Err(ApiError::new(
            ErrorCode::ALREADY_MEMBER,
            format!("{user_id:?} is a member of {community_id:?} already"),
        ));
    }
    check_not_banned(cx, community_id, user_id)?;
    let max = cx.limits.max_members_per_community;
    if max != 0 && info.member_count >= max {
        return Err(ApiError::new(
            ErrorCode::TOO_MANY_MEMBERS,
            format!("{community_id:?} has the maximum of {max} members"),
        ));
    }
    check_can_join_more(cx, user_id)?;
    let member = MemberInfo {
        community_id: community_id.to_owned(),
        user_id: user_id.to_owned(),
        role: Role::Member,
        nickname: String::new(),
        joined_at_ms: cx.now,
        muted_until_ms: None,
        groups: Vec::new(),
        custom_fields: Default::default(),
    };
    cx.tx.insert_member(&member)?;
    cx.tx.delete_join_request(community_id, user_id)?;
    let joined = system::write_member_event(cx, community_id, system::MEMBER_JOINED, user_id)?;
    for channel in view::visible_channels(cx, &member)? {
        cx.tx.start_reading(user_id, &channel.info.channel_id)?;
    }
    cx.membership_changed(community_id, user_id, true);
    let info = cx.community(community_id)?;
    let member_count = info.member_count;
    let snapshot = view::snapshot(cx, info, member.clone())?;
    cx.emit_to(
        user_id,
        Event::CommunityAdded {
            snapshot: snapshot.clone(),
        },
    );
    let audience = cx.member_audience(community_id, Some(user_id))?;
    cx.emit(
        audience,
        Event::MemberJoined {
            member,
            member_count,
        },
    );
    if let Some(joined) = joined {
        joined.tell(cx)?;
    }
    Ok(snapshot)
}

/// Removes a member (left, kicked or banned) and tells them and the community (last, the
/// `member_left` / `member_kicked` / `member_banned` system message).
pub(crate) fn remove_member(
    cx: &mut Ctx<'_>,
    community_id: &CommunityId,
    user_id: &UserId,
    reason: RemovalReason,
) -> Result<(), ApiError> {
    cx.tx.delete_member(community_id, user_id)?;
    // Their groups, overrides and private memberships are gone with them.
    cx.access_changed(community_id)?;
    cx.membership_changed(community_id, user_id, false);
    cx.emit_to(
        user_id,
        Event::CommunityRemoved {
            community_id: community_id.to_owned(),
            reason,
        },
    );
    let info = cx.community(community_id)?;
    let audience = cx.member_audience(community_id, None)?;
    cx.emit(
        audience,
        Event::MemberLeft {
            community_id: community_id.to_owned(),
            user_id: user_id.to_owned(),
            reason,
            member_count: info.member_count,
        },
    );
    cx.emit(
        Audience::Community(community_id.to_owned()),
        Event::CommunityUpdated { info },
    );
    let event = match reason {
        RemovalReason::Kicked => system::MEMBER_KICKED,
        RemovalReason::Banned => system::MEMBER_BANNED,
        _ => system::MEMBER_LEFT,
    };
    if let Some(written) = system::write_member_event(cx, community_id, event, user_id)? {
        written.tell(cx)?;
    }
    Ok(())
}

/// Tells the community its info now (after the member count changed).
pub(crate) fn announce_info(cx: &mut Ctx<'_>, community_id: &CommunityId) -> Result<(), ApiError> {
    let info = cx.community(community_id)?;
    cx.emit(
        Audience::Community(community_id.to_owned()),
        Event::CommunityUpdated { info },
    );
    Ok(())
}

/// `join_community`.
pub(crate) fn join(cx: &mut Ctx<'_>, p: JoinCommunity) -> Result<Response, ApiError> {
    let info = cx.community(&p.community_id)?;
    if cx.tx.member(&p.community_id, cx.caller)?.is_some() {
        return Err(ApiError::new(
            ErrorCode::ALREADY_MEMBER,
            "you are a member already",
        ));
    }
    check_not_banned(cx, &p.community_id, cx.caller)?;
    match info.join_policy {
        JoinPolicy::InviteOnly => Err(ApiError::new(
            ErrorCode::INVITE_ONLY,
            format!("{:?} is invite-only", p.community_id),
        )),
        JoinPolicy::Approval => {
            if cx.tx.join_request(&p.community_id, cx.caller)?.is_some() {
                return Err(ApiError::new(
                    ErrorCode::JOIN_REQUEST_PENDING,
                    "your join request is pending",
                ));
            }
            if p.message.chars().count() > JOIN_MESSAGE_CHARS {
                return Err(ApiError::new(
                    ErrorCode::INVALID_ARGUMENT,
                    format!("join request message exceeds {JOIN_MESSAGE_CHARS} characters"),
                ));
            }
            check_can_join_more(cx, cx.caller)?;
            let request = JoinRequest {
                community_id: p.community_id.clone(),
                user_id: cx.caller.to_owned(),
                message: p.message,
                requested_at_ms: cx.now,
            };
            cx.tx.insert_join_request(&request)?;
            // Those who may decide it.
            let deciders =
                Roster::load(cx, &p.community_id)?.holding(needed("decide_join_request"), cx.now);
            cx.emit(deciders, Event::JoinRequested { request });
            Ok(Response::JoinPending)
        }
        JoinPolicy::Free => {
            let snapshot = add_member(cx, &p.community_id, cx.caller)?;
            announce_info(cx, &p.community_id)?;
            Ok(Response::Community(snapshot))
        }
    }
}

/// `leave_community` (not for the owner).
pub(crate) fn leave(cx: &mut Ctx<'_>, p: CommunityRef) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    if membership.me.role == Role::Owner {
        return Err(ApiError::new(
            ErrorCode::OWNER_CANNOT_LEAVE,
            "the owner must transfer ownership before leaving",
        ));
    }
    remove_member(cx, &p.community_id, cx.caller, RemovalReason::Left)?;
    Ok(Response::Ok)
}

/// `invite_members`: any member into a community free to join; `kick_members` (who
/// decides who is in) into the others. Banned users fail one by one (`banned`).
pub(crate) fn invite(cx: &mut Ctx<'_>, p: InviteMembers) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    if membership.info.join_policy != JoinPolicy::Free {
        cx.require(&membership, Permissions::KICK_MEMBERS)?;
    }
    cx.limits.check_invitees(p.user_ids.len())?;
    let mut succeeded = Vec::new();
    let mut failed = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for user_id in p.user_ids {
        if !seen.insert(user_id.clone()) {
            continue;
        }
        let added = check_user_id(user_id.as_str())
            .and_then(|()| check_not_reserved(&user_id))
            .and_then(|()| add_member(cx, &p.community_id, &user_id));
        match added {
            Ok(_) => succeeded.push(user_id),
            // Storage and server failures abort the whole call (and roll it back).
            Err(error) if error.kind() == ErrorKind::Server => return Err(error),
            Err(error) => failed.push(FailedUser { user_id, error }),
        }
    }
    if !succeeded.is_empty() {
        announce_info(cx, &p.community_id)?;
    }
    Ok(Response::Users(UsersOutcome { succeeded, failed }))
}

/// `list_join_requests` (`kick_members`).
pub(crate) fn list_requests(cx: &mut Ctx<'_>, p: CommunityRef) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    cx.require_op(&membership, "list_join_requests", None, Permissions::NONE)?;
    Ok(Response::JoinRequests(JoinRequests {
        requests: cx.tx.join_requests(&p.community_id)?,
    }))
}

/// `decide_join_request` (`kick_members`): approve adds the member (unless banned since),
/// reject drops the request.
pub(crate) fn decide(cx: &mut Ctx<'_>, p: DecideJoinRequest) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    cx.require_op(&membership, "decide_join_request", None, Permissions::NONE)?;
    if !cx.tx.delete_join_request(&p.community_id, &p.user_id)? {
        return Err(ApiError::new(
            ErrorCode::JOIN_REQUEST_NOT_FOUND,
            format!("no pending join request from {:?}", p.user_id),
        ));
    }
    if p.approve {
        add_member(cx, &p.community_id, &p.user_id)?;
        announce_info(cx, &p.community_id)?;
    }
    Ok(Response::Ok)
}

/// `INVALID_USER_ID` for an id reserved for the server (starting with `@`): nobody can be
/// invited or imported under one.
pub(crate) fn check_not_reserved(user_id: &UserId) -> Result<(), ApiError> {
    if user_id.is_reserved() {
        return Err(ApiError::new(
            ErrorCode::INVALID_USER_ID,
            "user ids starting with '@' are reserved for the server",
        ));
    }
    Ok(())
}
