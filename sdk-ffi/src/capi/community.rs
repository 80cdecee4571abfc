//! C entry points of a community (`csdk_community_*`): the community is named by its id on
//! each call (no handle to free). Results are JSON into `*out_json` (NULL on failure).

use std::collections::HashMap;
use std::ffi::{c_char, c_void};
use std::future::Future;
use std::sync::Arc;

use serde::Serialize;

use super::client::{CsdkClient, client_arg, subscribe};
use super::support::{
    CsdkJsonCallback, CsdkSubscription, clear_out, enum_arg, guard, json_arg, opt_str_arg, str_arg,
    write_json, write_string,
};
use crate::error::SdkError;
use crate::records::{
    ChannelListDiff, CommunityUpdate, NewChannel, NotificationStatus, Role, map_vec,
};
use crate::runtime::block_on;
use crate::uniffi_api::Community;

/// The community `community_id` of `client`.
///
/// # Safety
/// `client` is NULL or live; `community_id` is NULL or NUL-terminated.
pub(crate) unsafe fn community_arg(
    client: *const CsdkClient,
    community_id: *const c_char,
) -> Result<Arc<Community>, SdkError> {
    // SAFETY: forwarded contract.
    let (client, id) = unsafe { (client_arg(client)?, str_arg(community_id, "community_id")?) };
    client.community(id.to_owned())
}

/// Runs one blocking call on a community and writes its JSON result (when `out_json` is
/// not NULL).
///
/// # Safety
/// As [`community_arg`]; `out_json` is NULL or writable.
unsafe fn community_call<T, Fut>(
    client: *const CsdkClient,
    community_id: *const c_char,
    out_json: *mut *mut c_char,
    op: impl FnOnce(Arc<Community>) -> Result<Fut, SdkError>,
) -> i32
where
    T: Serialize + Send + 'static,
    Fut: Future<Output = Result<T, SdkError>> + Send + 'static,
{
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { clear_out(out_json) };
        // SAFETY: the caller's contract.
        let community = unsafe { community_arg(client, community_id) }?;
        let value = block_on(op(community)?)?;
        // SAFETY: the caller's contract.
        unsafe { write_json(out_json, &value) }
    })
}

/// The community as cached (`CommunityEntry` JSON, or `null` when not joined).
///
/// # Safety
/// `client` is live; `community_id` is NUL-terminated; `out_json` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_entry(
    client: *const CsdkClient,
    community_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        community_call(client, community_id, out_json, |c| {
            Ok(async move { Ok(c.entry()) })
        })
    }
}

/// Its visible channels as cached, in display order (JSON array of `ChannelEntry`).
///
/// # Safety
/// As `csdk_community_entry`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_channels(
    client: *const CsdkClient,
    community_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        community_call(client, community_id, out_json, |c| {
            Ok(async move { Ok(c.channels()) })
        })
    }
}

/// Its categories as cached, in display order (JSON array of `CategoryInfo`).
///
/// # Safety
/// As `csdk_community_entry`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_categories(
    client: *const CsdkClient,
    community_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        community_call(client, community_id, out_json, |c| {
            Ok(async move { Ok(c.categories()) })
        })
    }
}

/// Its unread sums (`CommunityUnread` JSON, or `null`).
///
/// # Safety
/// As `csdk_community_entry`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_unread(
    client: *const CsdkClient,
    community_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        community_call(client, community_id, out_json, |c| {
            Ok(async move { Ok(c.unread()) })
        })
    }
}

/// Subscribes to its channel list: `callback` gets JSON arrays of `ChannelListDiff`.
///
/// # Safety
/// `client` is live; `community_id` is NUL-terminated; `out_subscription` is writable;
/// `user_data` stays valid until `csdk_subscription_free` returned.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_subscribe_channels(
    client: *const CsdkClient,
    community_id: *const c_char,
    callback: CsdkJsonCallback,
    user_data: *mut c_void,
    out_subscription: *mut *mut CsdkSubscription,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        subscribe(callback, user_data, out_subscription, |cb| {
            let client = client_arg(client)?;
            let id = str_arg(community_id, "community_id")?.to_owned();
            let subscription = client.sdk()?.community(id).subscribe_channels();
            crate::subscription::pump(subscription, move |diffs| {
                cb.call(&map_vec::<_, ChannelListDiff>(diffs))
            })
        })
    }
}

/// Fetches the community from the server (`CommunityEntry` JSON).
///
/// # Safety
/// As `csdk_community_entry`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_refresh(
    client: *const CsdkClient,
    community_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        community_call(client, community_id, out_json, |c| {
            Ok(async move { c.refresh().await })
        })
    }
}

/// Deletes the community and everything in it (owner only).
///
/// # Safety
/// `client` is live; `community_id` is NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_dismiss(
    client: *const CsdkClient,
    community_id: *const c_char,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        community_call(client, community_id, std::ptr::null_mut(), |c| {
            Ok(async move { c.dismiss().await })
        })
    }
}

/// Leaves the community (the owner must transfer ownership first).
///
/// # Safety
/// `client` is live; `community_id` is NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_leave(
    client: *const CsdkClient,
    community_id: *const c_char,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        community_call(client, community_id, std::ptr::null_mut(), |c| {
            Ok(async move { c.leave().await })
        })
    }
}

/// Invites users (`user_ids_json`: a JSON array of ids, ≤ 100). `UsersOutcome` JSON.
///
/// # Safety
/// As `csdk_community_entry`; `user_ids_json` is NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_invite(
    client: *const CsdkClient,
    community_id: *const c_char,
    user_ids_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        community_call(client, community_id, out_json, |c| {
            let ids: Vec<String> = json_arg(user_ids_json, "user_ids_json", None)?;
            Ok(async move { c.invite(ids).await })
        })
    }
}

/// Pending join requests (JSON array of `JoinRequest`; owner / admin).
///
/// # Safety
/// As `csdk_community_entry`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_join_requests(
    client: *const CsdkClient,
    community_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        community_call(client, community_id, out_json, |c| {
            Ok(async move { c.join_requests().await })
        })
    }
}

/// Approves (`approve` true) or rejects a join request (owner / admin).
///
/// # Safety
/// `client` is live; strings are NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_decide_join_request(
    client: *const CsdkClient,
    community_id: *const c_char,
    user_id: *const c_char,
    approve: bool,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        community_call(client, community_id, std::ptr::null_mut(), |c| {
            let user = str_arg(user_id, "user_id")?.to_owned();
            Ok(async move { c.decide_join_request(user, approve).await })
        })
    }
}

/// Changes name, avatar, notice or join policy (`CommunityUpdate` JSON; absent fields stay).
/// `*out_json` gets the `CommunityInfo`.
///
/// # Safety
/// As `csdk_community_invite`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_update(
    client: *const CsdkClient,
    community_id: *const c_char,
    update_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        community_call(client, community_id, out_json, |c| {
            let update: CommunityUpdate = json_arg(update_json, "update_json", None)?;
            Ok(async move { c.update(update).await })
        })
    }
}

/// Sets custom attributes (`attributes_json`: a JSON object of strings). `AttributesOutcome`.
///
/// # Safety
/// As `csdk_community_invite`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_set_attributes(
    client: *const CsdkClient,
    community_id: *const c_char,
    attributes_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        community_call(client, community_id, out_json, |c| {
            let attributes: HashMap<String, String> =
                json_arg(attributes_json, "attributes_json", None)?;
            Ok(async move { c.set_attributes(attributes).await })
        })
    }
}

/// Deletes custom attributes (`keys_json`: a JSON array of keys). `AttributesOutcome`.
///
/// # Safety
/// As `csdk_community_invite`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_delete_attributes(
    client: *const CsdkClient,
    community_id: *const c_char,
    keys_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        community_call(client, community_id, out_json, |c| {
            let keys: Vec<String> = json_arg(keys_json, "keys_json", None)?;
            Ok(async move { c.delete_attributes(keys).await })
        })
    }
}

/// Sets the user's notification status: `status` is `"notify"` or `"do_not_disturb"`.
///
/// # Safety
/// `client` is live; strings are NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_set_notification(
    client: *const CsdkClient,
    community_id: *const c_char,
    status: *const c_char,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        community_call(client, community_id, std::ptr::null_mut(), |c| {
            let status: NotificationStatus = enum_arg(status, "status")?;
            Ok(async move { c.set_notification(status).await })
        })
    }
}

/// A page of members (`MemberPage` JSON: `items`, `next_cursor`, `total_count`). `query`
/// and `cursor` may be NULL; `limit` 0 means the default (100).
///
/// # Safety
/// As `csdk_community_entry`; `query` and `cursor` are NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_members(
    client: *const CsdkClient,
    community_id: *const c_char,
    query: *const c_char,
    cursor: *const c_char,
    limit: u32,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        community_call(client, community_id, out_json, |c| {
            let (query, cursor) = (opt_str_arg(query, "query")?, opt_str_arg(cursor, "cursor")?);
            let limit = (limit != 0).then_some(limit);
            Ok(async move { c.members(query, cursor, limit).await })
        })
    }
}

/// Makes a member `"admin"` or `"member"` (owner only). `MemberInfo` JSON.
///
/// # Safety
/// As `csdk_community_entry`; strings are NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_set_member_role(
    client: *const CsdkClient,
    community_id: *const c_char,
    user_id: *const c_char,
    role: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        community_call(client, community_id, out_json, |c| {
            let (user, role) = (
                str_arg(user_id, "user_id")?.to_owned(),
                enum_arg::<Role>(role, "role")?,
            );
            Ok(async move { c.set_member_role(user, role).await })
        })
    }
}

/// Removes a member.
///
/// # Safety
/// `client` is live; strings are NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_kick(
    client: *const CsdkClient,
    community_id: *const c_char,
    user_id: *const c_char,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        community_call(client, community_id, std::ptr::null_mut(), |c| {
            let user = str_arg(user_id, "user_id")?.to_owned();
            Ok(async move { c.kick(user).await })
        })
    }
}

/// Gives ownership to another member. `MemberInfo` JSON of the new owner.
///
/// # Safety
/// As `csdk_community_set_member_role`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_transfer_ownership(
    client: *const CsdkClient,
    community_id: *const c_char,
    user_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        community_call(client, community_id, out_json, |c| {
            let user = str_arg(user_id, "user_id")?.to_owned();
            Ok(async move { c.transfer_ownership(user).await })
        })
    }
}

/// Mutes a member until `until_ms` (ms since the epoch), or unmutes when `until_ms` ≤ 0.
/// `MemberInfo` JSON.
///
/// # Safety
/// As `csdk_community_set_member_role`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_mute_member(
    client: *const CsdkClient,
    community_id: *const c_char,
    user_id: *const c_char,
    until_ms: i64,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        community_call(client, community_id, out_json, |c| {
            let user = str_arg(user_id, "user_id")?.to_owned();
            let until = (until_ms > 0).then_some(until_ms);
            Ok(async move { c.mute_member(user, until).await })
        })
    }
}

/// Mutes or unmutes everyone but the owner and admins. `CommunityInfo` JSON.
///
/// # Safety
/// As `csdk_community_entry`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_set_mute_all(
    client: *const CsdkClient,
    community_id: *const c_char,
    muted: bool,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        community_call(client, community_id, out_json, |c| {
            Ok(async move { c.set_mute_all(muted).await })
        })
    }
}

/// Sets the user's own nickname (empty clears it). `MemberInfo` JSON.
///
/// # Safety
/// As `csdk_community_set_member_role`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_set_nickname(
    client: *const CsdkClient,
    community_id: *const c_char,
    nickname: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        community_call(client, community_id, out_json, |c| {
            let nickname = str_arg(nickname, "nickname")?.to_owned();
            Ok(async move { c.set_nickname(nickname).await })
        })
    }
}

/// Creates a channel from `channel_json` (`NewChannel`: `name` required; `kind`,
/// `introduction`, `notice`, `custom`, `category_id`, `position`, `private`, `member_ids`
/// optional). `*out_channel_id` gets its id.
///
/// # Safety
/// As `csdk_community_invite`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_create_channel(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_json: *const c_char,
    out_channel_id: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { clear_out(out_channel_id) };
        // SAFETY: the caller's contract.
        let (community, channel) = unsafe {
            (
                community_arg(client, community_id)?,
                json_arg::<NewChannel>(channel_json, "channel_json", None)?,
            )
        };
        let created = block_on(async move { community.create_channel(channel).await })?;
        // SAFETY: the caller's contract.
        unsafe { write_string(out_channel_id, created.id()) };
        Ok(())
    })
}

/// Creates a category (`position` < 0 means "after the last"). `CategoryInfo` JSON.
///
/// # Safety
/// As `csdk_community_set_member_role`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_create_category(
    client: *const CsdkClient,
    community_id: *const c_char,
    name: *const c_char,
    position: i64,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        community_call(client, community_id, out_json, |c| {
            let name = str_arg(name, "name")?.to_owned();
            let position = (position >= 0).then_some(position);
            Ok(async move { c.create_category(name, position).await })
        })
    }
}

/// Renames (`name` not NULL) or moves (`position` ≥ 0) a category. `CategoryInfo` JSON.
///
/// # Safety
/// As `csdk_community_set_member_role`; `name` may be NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_update_category(
    client: *const CsdkClient,
    community_id: *const c_char,
    category_id: *const c_char,
    name: *const c_char,
    position: i64,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        community_call(client, community_id, out_json, |c| {
            let category = str_arg(category_id, "category_id")?.to_owned();
            let name = opt_str_arg(name, "name")?;
            let position = (position >= 0).then_some(position);
            Ok(async move { c.update_category(category, name, position).await })
        })
    }
}

/// Deletes a category; its channels fall back to no category.
///
/// # Safety
/// `client` is live; strings are NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_delete_category(
    client: *const CsdkClient,
    community_id: *const c_char,
    category_id: *const c_char,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        community_call(client, community_id, std::ptr::null_mut(), |c| {
            let category = str_arg(category_id, "category_id")?.to_owned();
            Ok(async move { c.delete_category(category).await })
        })
    }
}

/// Fetches the unread heads of every visible channel (JSON array of `ChannelHead`).
///
/// # Safety
/// As `csdk_community_entry`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_refresh_heads(
    client: *const CsdkClient,
    community_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        community_call(client, community_id, out_json, |c| {
            Ok(async move { c.refresh_heads().await })
        })
    }
}
