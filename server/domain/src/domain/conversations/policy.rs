//! Who may start a conversation with whom: users the server knows, DM policies and
//! blocks (`set_dm_policy`, `block_user`, `unblock_user`, `list_blocked`).
//!
//! The server has no user directory (the app's backend issues tokens): a user is known
//! once a login recorded them or while they are a member of a community. An unknown user
//! is `not_member` (the protocol's not-found code for users). Starting a conversation with
//! a user, or adding them to a group, is refused with `blocked` when either blocks the
//! other, then with `dm_not_allowed` unless their policy lets the caller in: `anyone`;
//! `shared_community` when the two are members of one same community; never `nobody` (nor
//! a policy this version does not know). Existing conversations go on whatever the
//! policy; only blocks refuse their direct posts (`rules`).

use community_protocol::limits::check_user_id;
use community_protocol::request::{SetDmPolicy, UserRef};
use community_protocol::response::BlockedList;
use community_protocol::{ApiError, DmPolicy, ErrorCode, Response, UserId};

use super::rules::blocked;
use crate::domain::context::Ctx;

/// Fails unless `user_id` is well formed (`invalid_user_id`) and known (`user_not_found`).
pub(crate) fn require_known(cx: &Ctx<'_>, user_id: &UserId) -> Result<(), ApiError> {
    check_user_id(user_id.as_str())?;
    if cx.tx.user_exists(user_id)? {
        return Ok(());
    }
    Err(ApiError::new(
        ErrorCode::USER_NOT_FOUND,
        format!("no user {user_id:?} is known to this server"),
    ))
}

/// Fails unless the caller may bring `other` into a new conversation (or a group):
/// `blocked` when a block stands between them, `dm_not_allowed` when `other`'s policy
/// keeps the caller out.
pub(crate) fn require_may_reach(cx: &Ctx<'_>, other: &UserId) -> Result<(), ApiError> {
    if cx.tx.blocks_between(cx.caller, other)? {
        return Err(blocked(other));
    }
    let allowed = match cx.tx.dm_policy(other)? {
        DmPolicy::Anyone => true,
        DmPolicy::SharedCommunity => cx.tx.shares_community(cx.caller, other)?,
        _ => false,
    };
    if allowed {
        return Ok(());
    }
    Err(ApiError::new(
        ErrorCode::DM_NOT_ALLOWED,
        format!("{other:?} does not take conversations from you"),
    ))
}

/// `set_dm_policy`: `anyone`, `shared_community` or `nobody`.
pub(crate) fn set_dm_policy(cx: &mut Ctx<'_>, p: SetDmPolicy) -> Result<Response, ApiError> {
    if !matches!(
        p.policy,
        DmPolicy::Anyone | DmPolicy::SharedCommunity | DmPolicy::Nobody
    ) {
        return Err(ApiError::new(
            ErrorCode::INVALID_ARGUMENT,
            "a DM policy is anyone, shared_community or nobody",
        ));
    }
    cx.tx.set_dm_policy(cx.caller, p.policy)?;
    Ok(Response::Ok)
}

/// The target of a block or unblock: not the caller (`invalid_argument`), known.
fn block_target(cx: &Ctx<'_>, p: &UserRef) -> Result<(), ApiError> {
    if p.user_id == *cx.caller {
        return Err(ApiError::new(
            ErrorCode::INVALID_ARGUMENT,
            "you cannot block yourself",
        ));
    }
    require_known(cx, &p.user_id)
}

/// `block_user` (blocking again changes nothing).
pub(crate) fn block(cx: &mut Ctx<'_>, p: UserRef) -> Result<Response, ApiError> {
    block_target(cx, &p)?;
    cx.tx.block(cx.caller, &p.user_id, cx.now)?;
    Ok(Response::Ok)
}

/// `unblock_user` (unblocking a user not blocked changes nothing).
pub(crate) fn unblock(cx: &mut Ctx<'_>, p: UserRef) -> Result<Response, ApiError> {
    block_target(cx, &p)?;
    cx.tx.unblock(cx.caller, &p.user_id)?;
    Ok(Response::Ok)
}

/// `list_blocked`: the users the caller blocks, sorted.
pub(crate) fn list_blocked(cx: &mut Ctx<'_>) -> Result<Response, ApiError> {
    Ok(Response::Blocked(BlockedList {
        user_ids: cx.tx.blocked_by(cx.caller)?,
    }))
}
