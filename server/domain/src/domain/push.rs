//! Push tokens (PROTOCOL.md §23.1): a device registers the token its push service gave
//! it, and the transport's push hand-off reads a user's tokens when a message should
//! notify them while no session of theirs is online.

use community_protocol::push::{RegisterPushToken, UnregisterPushToken, check_push_token};
use community_protocol::{ApiError, Response};

use super::context::Ctx;

/// `register_push_token`: the token is checked, then stored to the caller (moved from any
/// other user; the least recent past `max_push_tokens_per_user` forgotten).
pub(crate) fn register(cx: &mut Ctx<'_>, p: RegisterPushToken) -> Result<Response, ApiError> {
    check_push_token(cx.limits, &p.token)?;
    let token = community_protocol::push::PushToken {
        platform: p.platform,
        token: p.token,
    };
    cx.tx.put_push_token(
        cx.caller,
        &token,
        cx.now,
        cx.limits.max_push_tokens_per_user,
    )?;
    Ok(Response::Ok)
}

/// `unregister_push_token`: forgets one of the caller's tokens (an unknown one, or another
/// user's, changes nothing).
pub(crate) fn unregister(cx: &mut Ctx<'_>, p: UnregisterPushToken) -> Result<Response, ApiError> {
    check_push_token(cx.limits, &p.token)?;
    cx.tx.delete_push_token(cx.caller, &p.token)?;
    Ok(Response::Ok)
}
