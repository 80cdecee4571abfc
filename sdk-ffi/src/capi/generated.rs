// Generated from `sdk-ffi/src/ops_table/rows.rs` by its test `generated_bindings_are_fresh`.
// Do not edit: change the table and run `UPDATE_GENERATED=1 cargo test -p community-sdk-ffi generated_bindings_are_fresh`.
//! The forwarded `csdk_client_*`, `csdk_community_*`, `csdk_channel_*` and
//! `csdk_thread_*` functions (see `ops_table/rows.rs`). Each runs on the SDK's runtime,
//! blocking the calling thread.

use std::collections::HashMap;
use std::ffi::c_char;

use super::client::{CsdkClient, client_arg};
use super::forward::{Text, channel_arg, community_arg, forward, read, thread_arg};
use super::support::{enum_arg, json_arg, opt_str_arg, str_arg};
use crate::records::*;

/// The connection state now.
///
/// `*out_json` gets `ConnectionState` JSON.
///
/// # Safety
/// `client` is a live handle; the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_connection_state(
    client: *const CsdkClient,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        read(out_json, || {
            let c = client_arg(client)?;
            Ok(ConnectionState::from(c.connection_state()))
        })
    }
}

/// How far the cache is from the server now.
///
/// `*out_json` gets `SyncState` JSON.
///
/// # Safety
/// `client` is a live handle; the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_sync_state(
    client: *const CsdkClient,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        read(out_json, || {
            let c = client_arg(client)?;
            Ok(SyncState::from(c.sync_state()))
        })
    }
}

/// The deployment's limits (announced at login; defaults before).
///
/// `*out_json` gets `Limits` JSON.
///
/// # Safety
/// `client` is a live handle; the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_limits(
    client: *const CsdkClient,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        read(out_json, || {
            let c = client_arg(client)?;
            Ok(Limits::from(c.limits()))
        })
    }
}

/// The joined communities held in the cache, whole.
///
/// `*out_json` gets a JSON array of `CommunityEntry`.
///
/// # Safety
/// `client` is a live handle; the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_communities(
    client: *const CsdkClient,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        read(out_json, || {
            let c = client_arg(client)?;
            Ok(map_vec::<_, CommunityEntry>(c.communities()))
        })
    }
}

/// Total unread (communities in notify status) and total mentions.
///
/// `*out_json` gets `UnreadTotals` JSON.
///
/// # Safety
/// `client` is a live handle; the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_unread_totals(
    client: *const CsdkClient,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        read(out_json, || {
            let c = client_arg(client)?;
            Ok(UnreadTotals::from(c.unread_totals()))
        })
    }
}

/// Every unread count now (per channel, per community, totals; `reset` is true).
///
/// `*out_json` gets `UnreadUpdate` JSON.
///
/// # Safety
/// `client` is a live handle; the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_unread(
    client: *const CsdkClient,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        read(out_json, || {
            let c = client_arg(client)?;
            Ok(UnreadUpdate::from(c.unread()))
        })
    }
}

/// Logs out: unregisters the push token (best effort), ends the session on the server and forgets it (the cache stays on disk).
///
/// # Safety
/// `client` is a live handle; the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_logout(client: *const CsdkClient) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(std::ptr::null_mut::<()>(), || {
            let c = client_arg(client)?;
            Ok(async move { c.logout().await })
        })
    }
}

/// Registers this device's push token for offline pushes. Checked first (1 to `push_token_bytes` bytes, no control characters, no surrounding whitespace), else `invalid_push_token` (5039). Succeeds once the SDK holds the token and the server has it, or will get it after the next login (not logged in yet, offline, or a transient failure): it is kept in the cache. Registering the same token again is free; a replaced token is unregistered. `logout` unregisters it.
///
/// `platform`: a `PushPlatform` name, e.g. as in the JSON records.
///
/// # Safety
/// `client` is a live handle; the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_register_push_token(
    client: *const CsdkClient,
    platform: *const c_char,
    token: *const c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(std::ptr::null_mut::<()>(), || {
            let c = client_arg(client)?;
            let platform: PushPlatform = enum_arg(platform, "platform")?;
            let token = str_arg(token, "token")?.to_owned();
            Ok(async move { c.register_push_token(platform.into(), &token).await })
        })
    }
}

/// Unregisters a push token of this device's (checked like `register_push_token`'s, `invalid_push_token`): forgotten at once, and the server asked now when synced, else after the next login. An unknown token is no error.
///
/// # Safety
/// `client` is a live handle; the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_unregister_push_token(
    client: *const CsdkClient,
    token: *const c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(std::ptr::null_mut::<()>(), || {
            let c = client_arg(client)?;
            let token = str_arg(token, "token")?.to_owned();
            Ok(async move { c.unregister_push_token(&token).await })
        })
    }
}

/// Sends a new token now; returns its expiry.
///
/// `*out_expires_at_ms` gets the value (0 on failure).
///
/// # Safety
/// `client` is a live handle; the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_refresh_token(
    client: *const CsdkClient,
    token: *const c_char,
    out_expires_at_ms: *mut i64,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_expires_at_ms, || {
            let c = client_arg(client)?;
            let token = str_arg(token, "token")?.to_owned();
            Ok(async move { c.refresh_token(&token).await })
        })
    }
}

/// Joins a community (or files a join request for an approval community).
///
/// `message` may be NULL.
/// `*out_json` gets `JoinOutcome` JSON.
///
/// # Safety
/// `client` is a live handle; the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_join_community(
    client: *const CsdkClient,
    community_id: *const c_char,
    message: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = client_arg(client)?;
            let community_id = str_arg(community_id, "community_id")?.to_owned();
            let message = opt_str_arg(message, "message")?;
            Ok(async move {
                c.join_community(community_id, &message.unwrap_or_default())
                    .await
                    .map(JoinOutcome::from)
            })
        })
    }
}

/// One page of the joined communities from the server, whole (`cursor`: the previous page's `next_cursor`; `limit` 1..=100, default 100).
///
/// `cursor` may be NULL.
/// `limit`: 0 for none.
/// `*out_json` gets `CommunityPage` JSON.
///
/// # Safety
/// `client` is a live handle; the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_joined_communities_page(
    client: *const CsdkClient,
    cursor: *const c_char,
    limit: u32,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = client_arg(client)?;
            let cursor = opt_str_arg(cursor, "cursor")?;
            let limit = (limit != 0).then_some(limit);
            Ok(async move {
                c.joined_communities_page(cursor, limit)
                    .await
                    .map(CommunityPage::from)
            })
        })
    }
}

/// Every message of the outbox (unsent, failed, and the most recently sent), in the order they were sent.
///
/// `*out_json` gets a JSON array of `LocalMessage`.
///
/// # Safety
/// `client` is a live handle; the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_outbox(
    client: *const CsdkClient,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = client_arg(client)?;
            Ok(async move { c.outbox().await.map(map_vec::<_, LocalMessage>) })
        })
    }
}

/// One message of the outbox by its local id (also a recently sent one); none when unknown.
///
/// `*out_json` gets `LocalMessage` JSON, or `null`.
///
/// # Safety
/// `client` is a live handle; the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_local_message(
    client: *const CsdkClient,
    local_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = client_arg(client)?;
            let local_id = str_arg(local_id, "local_id")?.to_owned();
            Ok(async move {
                c.local_message(&local_id)
                    .await
                    .map(|v| v.map(LocalMessage::from))
            })
        })
    }
}

/// Waits until the message `local_id` is sent (its sequence) or refused (the server's typed error); `message_not_found` when unknown or discarded.
///
/// `*out_seq` gets the value (0 on failure).
///
/// # Safety
/// `client` is a live handle; the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_wait_for_send(
    client: *const CsdkClient,
    local_id: *const c_char,
    out_seq: *mut u64,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_seq, || {
            let c = client_arg(client)?;
            let local_id = str_arg(local_id, "local_id")?.to_owned();
            Ok(async move { c.wait_for_send(&local_id).await })
        })
    }
}

/// The changes made on this device to existing messages (edits, recalls, reactions, pins, hides) that are pending, and the most recently settled ones, in order.
///
/// `*out_json` gets a JSON array of `PendingChange`.
///
/// # Safety
/// `client` is a live handle; the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_pending_changes(
    client: *const CsdkClient,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = client_arg(client)?;
            Ok(async move { c.pending_changes().await.map(map_vec::<_, PendingChange>) })
        })
    }
}

/// Waits until the change `key` (made on this device) is carried out (its number in the channel's change sequence; none when nothing needed changing) or refused (the server's typed error; its echo is rolled back by then); `message_not_found` when unknown.
///
/// `*out_change_seq` gets the value, 0 for none (0 on failure).
///
/// # Safety
/// `client` is a live handle; the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_wait_for_change(
    client: *const CsdkClient,
    key: *const c_char,
    out_change_seq: *mut u64,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_change_seq, || {
            let c = client_arg(client)?;
            let key = str_arg(key, "key")?.to_owned();
            Ok(async move { c.wait_for_change(&key).await.map(Option::unwrap_or_default) })
        })
    }
}

/// The community as cached (none when not joined or not cached).
///
/// `*out_json` gets `CommunityEntry` JSON, or `null`.
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_entry(
    client: *const CsdkClient,
    community_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        read(out_json, || {
            let c = community_arg(client, community_id)?;
            Ok(c.entry().map(CommunityEntry::from))
        })
    }
}

/// Its visible channels as cached, in display order, whole.
///
/// `*out_json` gets a JSON array of `ChannelEntry`.
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_channels(
    client: *const CsdkClient,
    community_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        read(out_json, || {
            let c = community_arg(client, community_id)?;
            Ok(map_vec::<_, ChannelEntry>(c.channels()))
        })
    }
}

/// Its categories as cached, in display order, whole.
///
/// `*out_json` gets a JSON array of `CategoryInfo`.
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_categories(
    client: *const CsdkClient,
    community_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        read(out_json, || {
            let c = community_arg(client, community_id)?;
            Ok(map_vec::<_, CategoryInfo>(c.categories()))
        })
    }
}

/// Its unread sums (none when not cached).
///
/// `*out_json` gets `CommunityUnread` JSON, or `null`.
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_unread(
    client: *const CsdkClient,
    community_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        read(out_json, || {
            let c = community_arg(client, community_id)?;
            Ok(c.unread().map(CommunityUnread::from))
        })
    }
}

/// Fetches the community from the server and refreshes the cache.
///
/// `*out_json` gets `CommunityEntry` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_refresh(
    client: *const CsdkClient,
    community_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = community_arg(client, community_id)?;
            Ok(async move { c.refresh().await.map(CommunityEntry::from) })
        })
    }
}

/// Deletes the community and everything in it (owner only).
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_dismiss(
    client: *const CsdkClient,
    community_id: *const c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(std::ptr::null_mut::<()>(), || {
            let c = community_arg(client, community_id)?;
            Ok(async move { c.dismiss().await })
        })
    }
}

/// Leaves the community (not for its owner).
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_leave(
    client: *const CsdkClient,
    community_id: *const c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(std::ptr::null_mut::<()>(), || {
            let c = community_arg(client, community_id)?;
            Ok(async move { c.leave().await })
        })
    }
}

/// Adds up to 100 users; failures are reported per user.
///
/// `user_ids_json`: `Vec<String>` JSON.
/// `*out_json` gets `UsersOutcome` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_invite(
    client: *const CsdkClient,
    community_id: *const c_char,
    user_ids_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = community_arg(client, community_id)?;
            let user_ids: Vec<String> = json_arg(user_ids_json, "user_ids_json", None)?;
            Ok(async move {
                c.invite(user_ids.into_iter().map(Into::into).collect())
                    .await
                    .map(UsersOutcome::from)
            })
        })
    }
}

/// Pending join requests (`kick_members`).
///
/// `*out_json` gets a JSON array of `JoinRequest`.
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_join_requests(
    client: *const CsdkClient,
    community_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = community_arg(client, community_id)?;
            Ok(async move { c.join_requests().await.map(map_vec::<_, JoinRequest>) })
        })
    }
}

/// Approves or rejects a join request (`kick_members`).
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_decide_join_request(
    client: *const CsdkClient,
    community_id: *const c_char,
    user_id: *const c_char,
    approve: bool,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(std::ptr::null_mut::<()>(), || {
            let c = community_arg(client, community_id)?;
            let user_id = str_arg(user_id, "user_id")?.to_owned();
            Ok(async move { c.decide_join_request(user_id, approve).await })
        })
    }
}

/// Changes name, avatar, notice or join policy (`manage_community`); absent fields stay.
///
/// `update_json`: `CommunityUpdate` JSON.
/// `*out_json` gets `CommunityInfo` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_update(
    client: *const CsdkClient,
    community_id: *const c_char,
    update_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = community_arg(client, community_id)?;
            let update: CommunityUpdate = json_arg(update_json, "update_json", None)?;
            Ok(async move { c.update(update.into()).await.map(CommunityInfo::from) })
        })
    }
}

/// Sets custom attributes (`manage_community`); keys that fail are reported one by one.
///
/// `attributes_json`: `HashMap<String, String>` JSON.
/// `*out_json` gets `AttributesOutcome` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_set_attributes(
    client: *const CsdkClient,
    community_id: *const c_char,
    attributes_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = community_arg(client, community_id)?;
            let attributes: HashMap<String, String> =
                json_arg(attributes_json, "attributes_json", None)?;
            Ok(async move {
                c.set_attributes(attributes.into_iter().collect())
                    .await
                    .map(AttributesOutcome::from)
            })
        })
    }
}

/// Deletes custom attributes (`manage_community`).
///
/// `keys_json`: `Vec<String>` JSON.
/// `*out_json` gets `AttributesOutcome` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_delete_attributes(
    client: *const CsdkClient,
    community_id: *const c_char,
    keys_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = community_arg(client, community_id)?;
            let keys: Vec<String> = json_arg(keys_json, "keys_json", None)?;
            Ok(async move { c.delete_attributes(keys).await.map(AttributesOutcome::from) })
        })
    }
}

/// The user's notification status for this community (synced to their devices).
///
/// `status`: a `NotificationStatus` name, e.g. as in the JSON records.
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_set_notification(
    client: *const CsdkClient,
    community_id: *const c_char,
    status: *const c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(std::ptr::null_mut::<()>(), || {
            let c = community_arg(client, community_id)?;
            let status: NotificationStatus = enum_arg(status, "status")?;
            Ok(async move { c.set_notification(status.into()).await })
        })
    }
}

/// A page of members, optionally filtered by id, nickname or display name (`limit` 1..=100, default 100).
///
/// `query` may be NULL.
/// `cursor` may be NULL.
/// `limit`: 0 for none.
/// `*out_json` gets `MemberPage` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_members(
    client: *const CsdkClient,
    community_id: *const c_char,
    query: *const c_char,
    cursor: *const c_char,
    limit: u32,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = community_arg(client, community_id)?;
            let query = opt_str_arg(query, "query")?;
            let cursor = opt_str_arg(cursor, "cursor")?;
            let limit = (limit != 0).then_some(limit);
            Ok(async move { c.members(query, cursor, limit).await.map(MemberPage::from) })
        })
    }
}

/// Makes a member an admin or an ordinary member (owner only).
///
/// `role`: a `Role` name, e.g. as in the JSON records.
/// `*out_json` gets `MemberInfo` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_set_member_role(
    client: *const CsdkClient,
    community_id: *const c_char,
    user_id: *const c_char,
    role: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = community_arg(client, community_id)?;
            let user_id = str_arg(user_id, "user_id")?.to_owned();
            let role: Role = enum_arg(role, "role")?;
            Ok(async move {
                c.set_member_role(user_id, role.into())
                    .await
                    .map(MemberInfo::from)
            })
        })
    }
}

/// Removes a member (`kick_members`; the member must rank below the user).
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_kick(
    client: *const CsdkClient,
    community_id: *const c_char,
    user_id: *const c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(std::ptr::null_mut::<()>(), || {
            let c = community_arg(client, community_id)?;
            let user_id = str_arg(user_id, "user_id")?.to_owned();
            Ok(async move { c.kick(user_id).await })
        })
    }
}

/// Gives ownership to another member (owner only); the user becomes an admin.
///
/// `*out_json` gets `MemberInfo` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_transfer_ownership(
    client: *const CsdkClient,
    community_id: *const c_char,
    user_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = community_arg(client, community_id)?;
            let user_id = str_arg(user_id, "user_id")?.to_owned();
            Ok(async move { c.transfer_ownership(user_id).await.map(MemberInfo::from) })
        })
    }
}

/// Mutes a member until a time (ms since the epoch), or unmutes (none) (`mute_members`; the member must rank below the user).
///
/// `until_ms`: 0 or negative for none.
/// `*out_json` gets `MemberInfo` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_mute_member(
    client: *const CsdkClient,
    community_id: *const c_char,
    user_id: *const c_char,
    until_ms: i64,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = community_arg(client, community_id)?;
            let user_id = str_arg(user_id, "user_id")?.to_owned();
            let until_ms = (until_ms > 0).then_some(until_ms);
            Ok(async move { c.mute_member(user_id, until_ms).await.map(MemberInfo::from) })
        })
    }
}

/// Mutes or unmutes everyone without `mute_members` (`mute_members`).
///
/// `*out_json` gets `CommunityInfo` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_set_mute_all(
    client: *const CsdkClient,
    community_id: *const c_char,
    muted: bool,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = community_arg(client, community_id)?;
            Ok(async move { c.set_mute_all(muted).await.map(CommunityInfo::from) })
        })
    }
}

/// Sets the user's own nickname in this community (empty clears it).
///
/// `*out_json` gets `MemberInfo` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_set_nickname(
    client: *const CsdkClient,
    community_id: *const c_char,
    nickname: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = community_arg(client, community_id)?;
            let nickname = str_arg(nickname, "nickname")?.to_owned();
            Ok(async move { c.set_nickname(&nickname).await.map(MemberInfo::from) })
        })
    }
}

/// Creates a category (`manage_channels`); no position means after the last.
///
/// `position`: negative for none.
/// `*out_json` gets `CategoryInfo` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_create_category(
    client: *const CsdkClient,
    community_id: *const c_char,
    name: *const c_char,
    position: i64,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = community_arg(client, community_id)?;
            let name = str_arg(name, "name")?.to_owned();
            let position = (position >= 0).then_some(position);
            Ok(async move {
                c.create_category(&name, position)
                    .await
                    .map(CategoryInfo::from)
            })
        })
    }
}

/// Renames or moves a category (`manage_channels`).
///
/// `name` may be NULL.
/// `position`: negative for none.
/// `*out_json` gets `CategoryInfo` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_update_category(
    client: *const CsdkClient,
    community_id: *const c_char,
    category_id: *const c_char,
    name: *const c_char,
    position: i64,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = community_arg(client, community_id)?;
            let category_id = str_arg(category_id, "category_id")?.to_owned();
            let name = opt_str_arg(name, "name")?;
            let position = (position >= 0).then_some(position);
            Ok(async move {
                c.update_category(category_id, name, position)
                    .await
                    .map(CategoryInfo::from)
            })
        })
    }
}

/// Deletes a category; its channels fall back to no category (`manage_channels`).
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_delete_category(
    client: *const CsdkClient,
    community_id: *const c_char,
    category_id: *const c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(std::ptr::null_mut::<()>(), || {
            let c = community_arg(client, community_id)?;
            let category_id = str_arg(category_id, "category_id")?.to_owned();
            Ok(async move { c.delete_category(category_id).await })
        })
    }
}

/// Fetches the exact heads of every visible channel and refreshes the counts.
///
/// `*out_json` gets a JSON array of `ChannelHead`.
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_refresh_heads(
    client: *const CsdkClient,
    community_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = community_arg(client, community_id)?;
            Ok(async move { c.refresh_heads().await.map(map_vec::<_, ChannelHead>) })
        })
    }
}

/// The community's permission groups as cached, `@everyone` first, then by position (lowest first).
///
/// `*out_json` gets a JSON array of `Group`.
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_groups(
    client: *const CsdkClient,
    community_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        read(out_json, || {
            let c = community_arg(client, community_id)?;
            Ok(map_vec::<_, Group>(c.groups()))
        })
    }
}

/// What the user may do in the community at large (a `PermissionFlag` bit set), computed from the cache as the server computes it; none when not cached.
///
/// `*out_permissions` gets the value, 0 for none (0 on failure).
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_permissions(
    client: *const CsdkClient,
    community_id: *const c_char,
    out_permissions: *mut u64,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        read(out_permissions, || {
            let c = community_arg(client, community_id)?;
            Ok(c.permissions().map(|p| p.0).unwrap_or_default())
        })
    }
}

/// What the user may do in every cached channel of the community, computed in one pass (empty when not cached).
///
/// `*out_json` gets a JSON array of `ChannelPermissions`.
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_channel_permissions(
    client: *const CsdkClient,
    community_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        read(out_json, || {
            let c = community_arg(client, community_id)?;
            Ok(map_vec::<_, ChannelPermissions>(
                c.channel_permissions().unwrap_or_default(),
            ))
        })
    }
}

/// Whether the user may do operation `op` (a protocol operation name such as `kick_member`) in the community at large, from the cache: nothing when allowed (or when the cache cannot tell), else the error the server would give (e.g. `permission_denied`). Conditions on a target (its rank) are left to the server.
///
/// Returns `CSDK_OK` when allowed, else the refusal's code.
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_check_operation(
    client: *const CsdkClient,
    community_id: *const c_char,
    op: *const c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        read(std::ptr::null_mut::<()>(), || {
            let c = community_arg(client, community_id)?;
            let op = str_arg(op, "op")?.to_owned();
            c.check_operation(&op).map_err(crate::error::SdkError::from)
        })
    }
}

/// Creates a permission group (`manage_roles`; only flags the user holds); it starts at the bottom (position 1).
///
/// `group_json`: `NewGroup` JSON.
/// `*out_json` gets `Group` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_create_group(
    client: *const CsdkClient,
    community_id: *const c_char,
    group_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = community_arg(client, community_id)?;
            let group: NewGroup = json_arg(group_json, "group_json", None)?;
            Ok(async move { c.create_group(group.into()).await.map(Group::from) })
        })
    }
}

/// Changes a group below the user's highest (`manage_roles`); absent fields stay.
///
/// `update_json`: `GroupUpdate` JSON.
/// `*out_json` gets `Group` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_update_group(
    client: *const CsdkClient,
    community_id: *const c_char,
    group_id: *const c_char,
    update_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = community_arg(client, community_id)?;
            let group_id = str_arg(group_id, "group_id")?.to_owned();
            let update: GroupUpdate = json_arg(update_json, "update_json", None)?;
            Ok(async move {
                c.update_group(group_id, update.into())
                    .await
                    .map(Group::from)
            })
        })
    }
}

/// Deletes a group below the user's highest (`manage_roles`; not `everyone`).
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_delete_group(
    client: *const CsdkClient,
    community_id: *const c_char,
    group_id: *const c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(std::ptr::null_mut::<()>(), || {
            let c = community_arg(client, community_id)?;
            let group_id = str_arg(group_id, "group_id")?.to_owned();
            Ok(async move { c.delete_group(group_id).await })
        })
    }
}

/// Gives the groups the positions 1, 2, 3… in this order, lowest first (`manage_roles`); returns every group now.
///
/// `group_ids_json`: `Vec<String>` JSON.
/// `*out_json` gets a JSON array of `Group`.
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_reorder_groups(
    client: *const CsdkClient,
    community_id: *const c_char,
    group_ids_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = community_arg(client, community_id)?;
            let group_ids: Vec<String> = json_arg(group_ids_json, "group_ids_json", None)?;
            Ok(async move {
                c.reorder_groups(group_ids.into_iter().map(Into::into).collect())
                    .await
                    .map(map_vec::<_, Group>)
            })
        })
    }
}

/// Gives a member a group (`manage_roles`; the member and the group below the user).
///
/// `*out_json` gets `MemberInfo` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_assign_group(
    client: *const CsdkClient,
    community_id: *const c_char,
    user_id: *const c_char,
    group_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = community_arg(client, community_id)?;
            let user_id = str_arg(user_id, "user_id")?.to_owned();
            let group_id = str_arg(group_id, "group_id")?.to_owned();
            Ok(async move {
                c.assign_group(user_id, group_id)
                    .await
                    .map(MemberInfo::from)
            })
        })
    }
}

/// Takes a group from a member (as `assign_group`).
///
/// `*out_json` gets `MemberInfo` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_unassign_group(
    client: *const CsdkClient,
    community_id: *const c_char,
    user_id: *const c_char,
    group_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = community_arg(client, community_id)?;
            let user_id = str_arg(user_id, "user_id")?.to_owned();
            let group_id = str_arg(group_id, "group_id")?.to_owned();
            Ok(async move {
                c.unassign_group(user_id, group_id)
                    .await
                    .map(MemberInfo::from)
            })
        })
    }
}

/// Sets a member's custom fields (an empty value removes one): the user's own, or another's with `manage_roles` and ranking above them.
///
/// `fields_json`: `HashMap<String, String>` JSON.
/// `*out_json` gets `MemberInfo` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_set_member_fields(
    client: *const CsdkClient,
    community_id: *const c_char,
    user_id: *const c_char,
    fields_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = community_arg(client, community_id)?;
            let user_id = str_arg(user_id, "user_id")?.to_owned();
            let fields: HashMap<String, String> = json_arg(fields_json, "fields_json", None)?;
            Ok(async move {
                c.set_member_fields(user_id, fields.into_iter().collect())
                    .await
                    .map(MemberInfo::from)
            })
        })
    }
}

/// Sets a category's override for a group or a member; nothing allowed or denied removes it (`manage_channels`). Channels that follow the category use it.
///
/// `rule_json`: `Override` JSON.
/// `*out_json` gets `CategoryInfo` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_set_category_override(
    client: *const CsdkClient,
    community_id: *const c_char,
    category_id: *const c_char,
    rule_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = community_arg(client, community_id)?;
            let category_id = str_arg(category_id, "category_id")?.to_owned();
            let rule: Override = json_arg(rule_json, "rule_json", None)?;
            Ok(async move {
                c.set_category_override(category_id, rule.into())
                    .await
                    .map(CategoryInfo::from)
            })
        })
    }
}

/// Bans a user (`ban_members`; a member must rank below the user): removed now and refused (`banned`) until `until_ms` (ms since the epoch; none: for ever).
///
/// `until_ms`: 0 or negative for none.
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_ban(
    client: *const CsdkClient,
    community_id: *const c_char,
    user_id: *const c_char,
    until_ms: i64,
    reason: *const c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(std::ptr::null_mut::<()>(), || {
            let c = community_arg(client, community_id)?;
            let user_id = str_arg(user_id, "user_id")?.to_owned();
            let until_ms = (until_ms > 0).then_some(until_ms);
            let reason = str_arg(reason, "reason")?.to_owned();
            Ok(async move { c.ban(user_id, until_ms, reason).await })
        })
    }
}

/// Lifts a ban (`ban_members`).
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_unban(
    client: *const CsdkClient,
    community_id: *const c_char,
    user_id: *const c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(std::ptr::null_mut::<()>(), || {
            let c = community_arg(client, community_id)?;
            let user_id = str_arg(user_id, "user_id")?.to_owned();
            Ok(async move { c.unban(user_id).await })
        })
    }
}

/// The bans in force, newest first (`ban_members`).
///
/// `*out_json` gets a JSON array of `Ban`.
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_bans(
    client: *const CsdkClient,
    community_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = community_arg(client, community_id)?;
            Ok(async move { c.bans().await.map(map_vec::<_, Ban>) })
        })
    }
}

/// A page of members filtered by id or nickname, group and custom field.
///
/// `query_json`: `MembersQuery` JSON, or NULL for the default.
/// `*out_json` gets `MemberPage` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_find_members(
    client: *const CsdkClient,
    community_id: *const c_char,
    query_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = community_arg(client, community_id)?;
            let query: MembersQuery =
                json_arg(query_json, "query_json", Some(MembersQuery::default))?;
            Ok(async move { c.find_members(query.into()).await.map(MemberPage::from) })
        })
    }
}

/// The channel as cached, with its head (none when not visible or not cached).
///
/// `*out_json` gets `ChannelEntry` JSON, or `null`.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_entry(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        read(out_json, || {
            let c = channel_arg(client, community_id, channel_id)?;
            Ok(c.entry().map(ChannelEntry::from))
        })
    }
}

/// Its unread and mention counts (none when not cached).
///
/// `*out_json` gets `ChannelUnread` JSON, or `null`.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_unread(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        read(out_json, || {
            let c = channel_arg(client, community_id, channel_id)?;
            Ok(c.unread().map(ChannelUnread::from))
        })
    }
}

/// Sends a message. Returns at once with the local echo (state `sending`), already durable; it is sent when connected and ends `sent` or `failed` (await it with the client's `wait_for_send`).
///
/// `content_json`: `MessageContent` JSON.
/// `options_json`: `SendOptions` JSON, or NULL for the default.
/// `*out_json` gets `LocalMessage` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_send(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    content_json: *const c_char,
    options_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = channel_arg(client, community_id, channel_id)?;
            let content: MessageContent = json_arg(content_json, "content_json", None)?;
            let options: SendOptions =
                json_arg(options_json, "options_json", Some(SendOptions::default))?;
            Ok(async move {
                c.send(content.into(), options.into())
                    .await
                    .map(LocalMessage::from)
            })
        })
    }
}

/// Sends a text message with default options (the local echo; see `send`).
///
/// `*out_json` gets `LocalMessage` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_send_text(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    text: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = channel_arg(client, community_id, channel_id)?;
            let text = str_arg(text, "text")?.to_owned();
            Ok(async move { c.send_text(text).await.map(LocalMessage::from) })
        })
    }
}

/// Puts a failed message back in the queue; false when it was not failed.
///
/// `*out_done` gets the flag (false on failure).
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_retry_send(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    local_id: *const c_char,
    out_done: *mut bool,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_done, || {
            let c = channel_arg(client, community_id, channel_id)?;
            let local_id = str_arg(local_id, "local_id")?.to_owned();
            Ok(async move { c.retry_send(&local_id).await })
        })
    }
}

/// Discards an unsent or failed message (timelines drop its echo); false when unknown or sent.
///
/// `*out_done` gets the flag (false on failure).
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_discard(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    local_id: *const c_char,
    out_done: *mut bool,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_done, || {
            let c = channel_arg(client, community_id, channel_id)?;
            let local_id = str_arg(local_id, "local_id")?.to_owned();
            Ok(async move { c.discard(&local_id).await })
        })
    }
}

/// The user's messages of this channel not sent yet, or failed.
///
/// `*out_json` gets a JSON array of `LocalMessage`.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_pending(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = channel_arg(client, community_id, channel_id)?;
            Ok(async move { c.pending().await.map(map_vec::<_, LocalMessage>) })
        })
    }
}

/// A page of history, whole and ascending: up to `limit` (1..=100) messages with `seq < before_seq` (the newest when none). Gaps are filled from the server.
///
/// `before_seq`: 0 for none.
/// `*out_json` gets a JSON array of `Message`.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_messages(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    before_seq: u64,
    limit: u32,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = channel_arg(client, community_id, channel_id)?;
            let before_seq = (before_seq != 0).then_some(before_seq);
            Ok(async move {
                c.messages(before_seq, limit)
                    .await
                    .map(map_vec::<_, Message>)
            })
        })
    }
}

/// Marks everything up to `seq` read (never backwards); returns the new head.
///
/// `*out_json` gets `ChannelHead` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_mark_read(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    seq: u64,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = channel_arg(client, community_id, channel_id)?;
            Ok(async move { c.mark_read(seq).await.map(ChannelHead::from) })
        })
    }
}

/// Marks every message read; returns the new head.
///
/// `*out_json` gets `ChannelHead` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_mark_all_read(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = channel_arg(client, community_id, channel_id)?;
            Ok(async move { c.mark_all_read().await.map(ChannelHead::from) })
        })
    }
}

/// Changes the channel (`manage_channels`): also `follows_category` and `mute_all`; absent fields stay.
///
/// `update_json`: `ChannelUpdate` JSON.
/// `*out_json` gets `ChannelInfo` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_update(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    update_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = channel_arg(client, community_id, channel_id)?;
            let update: ChannelUpdate = json_arg(update_json, "update_json", None)?;
            Ok(async move { c.update(update.into()).await.map(ChannelInfo::from) })
        })
    }
}

/// Deletes the channel and its messages (`manage_channels`; not the default channel).
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_delete(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(std::ptr::null_mut::<()>(), || {
            let c = channel_arg(client, community_id, channel_id)?;
            Ok(async move { c.delete().await })
        })
    }
}

/// Adds members to a private channel (`manage_channels`).
///
/// `user_ids_json`: `Vec<String>` JSON.
/// `*out_json` gets `UsersOutcome` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_add_members(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    user_ids_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = channel_arg(client, community_id, channel_id)?;
            let user_ids: Vec<String> = json_arg(user_ids_json, "user_ids_json", None)?;
            Ok(async move {
                c.add_members(user_ids.into_iter().map(Into::into).collect())
                    .await
                    .map(UsersOutcome::from)
            })
        })
    }
}

/// Removes members from a private channel (`manage_channels`).
///
/// `user_ids_json`: `Vec<String>` JSON.
/// `*out_json` gets `UsersOutcome` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_remove_members(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    user_ids_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = channel_arg(client, community_id, channel_id)?;
            let user_ids: Vec<String> = json_arg(user_ids_json, "user_ids_json", None)?;
            Ok(async move {
                c.remove_members(user_ids.into_iter().map(Into::into).collect())
                    .await
                    .map(UsersOutcome::from)
            })
        })
    }
}

/// The explicit members of a private channel (user ids).
///
/// `*out_json` gets a JSON array of `String`.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_members(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = channel_arg(client, community_id, channel_id)?;
            Ok(async move { c.members().await.map(map_vec::<_, String>) })
        })
    }
}

/// Edits one's own text or custom message: new content, mentions or custom data (absent fields stay). Shown at once (`Updated`), kept durably and carried out when connected; a refused edit rolls back with the server's error (`not_author`, `message_recalled`, `not_editable`, limits). Await it with `wait_for_change`.
///
/// `edit_json`: `MessageEdit` JSON.
/// `*out_json` gets `PendingChange` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_edit_message(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    seq: u64,
    edit_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = channel_arg(client, community_id, channel_id)?;
            let edit: MessageEdit = json_arg(edit_json, "edit_json", None)?;
            Ok(async move {
                c.edit_message(seq, edit.into())
                    .await
                    .map(PendingChange::from)
            })
        })
    }
}

/// Recalls a message for everyone (its content becomes `recalled`): one's own within `recall_window_ms`, any message with `manage_messages` (queued like an edit).
///
/// `*out_json` gets `PendingChange` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_recall_message(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    seq: u64,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = channel_arg(client, community_id, channel_id)?;
            Ok(async move { c.recall_message(seq).await.map(PendingChange::from) })
        })
    }
}

/// Reacts to a message with an emoji (1..=`emoji_bytes` bytes); adding one the user has changes nothing (queued like an edit).
///
/// `*out_json` gets `PendingChange` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_add_reaction(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    seq: u64,
    emoji: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = channel_arg(client, community_id, channel_id)?;
            let emoji = str_arg(emoji, "emoji")?.to_owned();
            Ok(async move { c.add_reaction(seq, emoji).await.map(PendingChange::from) })
        })
    }
}

/// Takes the user's reaction back (queued like an edit).
///
/// `*out_json` gets `PendingChange` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_remove_reaction(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    seq: u64,
    emoji: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = channel_arg(client, community_id, channel_id)?;
            let emoji = str_arg(emoji, "emoji")?.to_owned();
            Ok(async move { c.remove_reaction(seq, emoji).await.map(PendingChange::from) })
        })
    }
}

/// Pins a message in the channel (`manage_messages`; at most `max_pins_per_channel`; queued like an edit).
///
/// `*out_json` gets `PendingChange` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_pin_message(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    seq: u64,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = channel_arg(client, community_id, channel_id)?;
            Ok(async move { c.pin_message(seq).await.map(PendingChange::from) })
        })
    }
}

/// Unpins a message (`manage_messages`; queued like an edit).
///
/// `*out_json` gets `PendingChange` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_unpin_message(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    seq: u64,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = channel_arg(client, community_id, channel_id)?;
            Ok(async move { c.unpin_message(seq).await.map(PendingChange::from) })
        })
    }
}

/// Deletes a message for the user only: it leaves the timelines of all their devices (`Removed`) and no longer counts as unread or as a mention (queued like an edit).
///
/// `*out_json` gets `PendingChange` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_hide_message(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    seq: u64,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = channel_arg(client, community_id, channel_id)?;
            Ok(async move { c.hide_message(seq).await.map(PendingChange::from) })
        })
    }
}

/// Waits until a change made on this device is carried out (its number in the channel's change sequence; none when nothing needed changing) or refused (the server's typed error; its echo is rolled back by then).
///
/// `*out_change_seq` gets the value, 0 for none (0 on failure).
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_wait_for_change(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    key: *const c_char,
    out_change_seq: *mut u64,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_change_seq, || {
            let c = channel_arg(client, community_id, channel_id)?;
            let key = str_arg(key, "key")?.to_owned();
            Ok(async move { c.wait_for_change(&key).await.map(Option::unwrap_or_default) })
        })
    }
}

/// The channel's pinned messages, the most recently pinned first (asks the server).
///
/// `*out_json` gets a JSON array of `Message`.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_pins(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = channel_arg(client, community_id, channel_id)?;
            Ok(async move { c.pins().await.map(map_vec::<_, Message>) })
        })
    }
}

/// What the user may do in this channel (a `PermissionFlag` bit set), computed from the cache as the server computes it (a greyed-out button here is a refusal there); none when not cached.
///
/// `*out_permissions` gets the value, 0 for none (0 on failure).
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_permissions(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    out_permissions: *mut u64,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        read(out_permissions, || {
            let c = channel_arg(client, community_id, channel_id)?;
            Ok(c.permissions().map(|p| p.0).unwrap_or_default())
        })
    }
}

/// Whether the user may do operation `op` (a protocol operation name such as `send_message` or `pin_message`) in this channel, from the cache: nothing when allowed (or when the cache cannot tell), else the error the server would give.
///
/// Returns `CSDK_OK` when allowed, else the refusal's code.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_check_operation(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    op: *const c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        read(std::ptr::null_mut::<()>(), || {
            let c = channel_arg(client, community_id, channel_id)?;
            let op = str_arg(op, "op")?.to_owned();
            c.check_operation(&op).map_err(crate::error::SdkError::from)
        })
    }
}

/// Whether the user may post `content` mentioning `mentions` here, from the cache: `send_messages`, plus `attach_media` for media and `mention_everyone` for `@everyone` or a group that is not mentionable; else the error the server would give.
///
/// `content_json`: `MessageContent` JSON.
/// `mentions_json`: `Mentions` JSON, or NULL for the default.
/// Returns `CSDK_OK` when allowed, else the refusal's code.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_check_send(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    content_json: *const c_char,
    mentions_json: *const c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        read(std::ptr::null_mut::<()>(), || {
            let c = channel_arg(client, community_id, channel_id)?;
            let content: MessageContent = json_arg(content_json, "content_json", None)?;
            let mentions: Mentions =
                json_arg(mentions_json, "mentions_json", Some(Mentions::default))?;
            c.check_send(&content.into(), &mentions.into())
                .map_err(crate::error::SdkError::from)
        })
    }
}

/// Sets the channel's override for a group or a member; nothing allowed or denied removes it (`manage_channels`).
///
/// `rule_json`: `Override` JSON.
/// `*out_json` gets `ChannelInfo` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_set_override(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    rule_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = channel_arg(client, community_id, channel_id)?;
            let rule: Override = json_arg(rule_json, "rule_json", None)?;
            Ok(async move { c.set_override(rule.into()).await.map(ChannelInfo::from) })
        })
    }
}

/// Sets the user's notification level of this channel on all their devices: what of its counts reaches the community's sums and the totals (mentions still count with `mentions_only`).
///
/// `level`: a `ChannelNotification` name, e.g. as in the JSON records.
/// `*out_json` gets `ChannelHead` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_set_notification_level(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    level: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = channel_arg(client, community_id, channel_id)?;
            let level: ChannelNotification = enum_arg(level, "level")?;
            Ok(async move {
                c.set_notification_level(level.into())
                    .await
                    .map(ChannelHead::from)
            })
        })
    }
}

/// Forwards a message (of any channel the user can read) to this channel: the server copies its content and records where it came from (`forwarded_from`). Queued like a send (the local echo; await it with `wait_for_send`).
///
/// `original_json`: `MessageRef` JSON.
/// `options_json`: `SendOptions` JSON, or NULL for the default.
/// `*out_json` gets `LocalMessage` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_forward(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    original_json: *const c_char,
    options_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = channel_arg(client, community_id, channel_id)?;
            let original: MessageRef = json_arg(original_json, "original_json", None)?;
            let options: SendOptions =
                json_arg(options_json, "options_json", Some(SendOptions::default))?;
            Ok(async move {
                c.forward(original.into(), options.into())
                    .await
                    .map(LocalMessage::from)
            })
        })
    }
}

/// The thread as cached (none when the user has not joined it; `fetch` asks the server).
///
/// `*out_json` gets `ThreadInfo` JSON, or `null`.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id`, `thread_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_thread_info(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    thread_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        read(out_json, || {
            let c = thread_arg(client, community_id, channel_id, thread_id)?;
            Ok(c.info().map(ThreadInfo::from))
        })
    }
}

/// Its unread and mention counts (none when the user has not joined it).
///
/// `*out_json` gets `ChannelUnread` JSON, or `null`.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id`, `thread_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_thread_unread(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    thread_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        read(out_json, || {
            let c = thread_arg(client, community_id, channel_id, thread_id)?;
            Ok(c.unread().map(ChannelUnread::from))
        })
    }
}

/// The thread from the server (the cache refreshed when joined).
///
/// `*out_json` gets `ThreadInfo` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id`, `thread_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_thread_fetch(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    thread_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = thread_arg(client, community_id, channel_id, thread_id)?;
            Ok(async move { c.fetch().await.map(ThreadInfo::from) })
        })
    }
}

/// Joins the thread: its messages come live and its unread messages and mentions count, on every device of the user (posting in it or being mentioned there joins too). Returns the user's head for it.
///
/// `*out_json` gets `ChannelHead` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id`, `thread_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_thread_join(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    thread_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = thread_arg(client, community_id, channel_id, thread_id)?;
            Ok(async move { c.join().await.map(ChannelHead::from) })
        })
    }
}

/// Leaves the thread: it no longer counts.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id`, `thread_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_thread_leave(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    thread_id: *const c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(std::ptr::null_mut::<()>(), || {
            let c = thread_arg(client, community_id, channel_id, thread_id)?;
            Ok(async move { c.leave().await })
        })
    }
}

/// Renames, archives or unarchives (its creator, or `manage_threads`), locks or unlocks and changes the auto-archive delay (`manage_threads`); absent fields stay. An archived thread refuses posts with `thread_archived`, a locked one with `thread_locked`.
///
/// `update_json`: `ThreadUpdate` JSON.
/// `*out_json` gets `ThreadInfo` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id`, `thread_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_thread_update(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    thread_id: *const c_char,
    update_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = thread_arg(client, community_id, channel_id, thread_id)?;
            let update: ThreadUpdate = json_arg(update_json, "update_json", None)?;
            Ok(async move { c.update(update.into()).await.map(ThreadInfo::from) })
        })
    }
}

/// Deletes the thread and its messages (`manage_threads`).
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id`, `thread_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_thread_delete(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    thread_id: *const c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(std::ptr::null_mut::<()>(), || {
            let c = thread_arg(client, community_id, channel_id, thread_id)?;
            Ok(async move { c.delete().await })
        })
    }
}

/// A page of the channel's threads from the server, active (`archived` false) or archived, newest activity first (`cursor`: the previous page's `next_cursor`; `limit` 1..=100).
///
/// `cursor` may be NULL.
/// `limit`: 0 for none.
/// `*out_json` gets `ThreadsPage` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_threads(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    archived: bool,
    cursor: *const c_char,
    limit: u32,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = channel_arg(client, community_id, channel_id)?;
            let cursor = opt_str_arg(cursor, "cursor")?;
            let limit = (limit != 0).then_some(limit);
            Ok(async move {
                c.threads(archived, cursor, limit)
                    .await
                    .map(ThreadsPage::from)
            })
        })
    }
}

/// Unread and mention counts summed over the user's joined threads of this channel (the channel's "threads have unread messages" mark).
///
/// `*out_json` gets `ThreadsUnread` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_threads_unread(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        read(out_json, || {
            let c = channel_arg(client, community_id, channel_id)?;
            Ok(ThreadsUnread::from(c.threads_unread()))
        })
    }
}

/// The threads the user joined in the community, with their heads (counts), as cached, newest activity first.
///
/// `*out_json` gets a JSON array of `ThreadEntry`.
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_joined_threads(
    client: *const CsdkClient,
    community_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        read(out_json, || {
            let c = community_arg(client, community_id)?;
            Ok(map_vec::<_, ThreadEntry>(c.joined_threads()))
        })
    }
}

/// A page of the threads the user joined in the community, from the server, newest activity first.
///
/// `cursor` may be NULL.
/// `limit`: 0 for none.
/// `*out_json` gets `ThreadsPage` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_joined_threads_page(
    client: *const CsdkClient,
    community_id: *const c_char,
    cursor: *const c_char,
    limit: u32,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = community_arg(client, community_id)?;
            let cursor = opt_str_arg(cursor, "cursor")?;
            let limit = (limit != 0).then_some(limit);
            Ok(async move {
                c.joined_threads_page(cursor, limit)
                    .await
                    .map(ThreadsPage::from)
            })
        })
    }
}

/// The user's conversations as cached, newest activity first, with their heads (unread counts).
///
/// `*out_json` gets a JSON array of `ConversationEntry`.
///
/// # Safety
/// `client` is a live handle; the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_conversations(
    client: *const CsdkClient,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        read(out_json, || {
            let c = client_arg(client)?;
            Ok(map_vec::<_, ConversationEntry>(c.conversations()))
        })
    }
}

/// One conversation as cached (none when unknown).
///
/// `*out_json` gets `ConversationEntry` JSON, or `null`.
///
/// # Safety
/// `client` is a live handle; the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_conversation_entry(
    client: *const CsdkClient,
    conversation_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        read(out_json, || {
            let c = client_arg(client)?;
            let conversation_id = str_arg(conversation_id, "conversation_id")?.to_owned();
            Ok(c.conversation_entry(&conversation_id.into())
                .map(ConversationEntry::from))
        })
    }
}

/// Starts a conversation: with one other user a direct one (the existing one, if any), with more (or `group`) a group of up to `max_conversation_members`. Refused with `dm_not_allowed` by a user's policy and `blocked` by a block either way.
///
/// `conversation_json`: `NewConversation` JSON.
/// `*out_json` gets `ConversationEntry` JSON.
///
/// # Safety
/// `client` is a live handle; the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_start_conversation(
    client: *const CsdkClient,
    conversation_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = client_arg(client)?;
            let conversation: NewConversation =
                json_arg(conversation_json, "conversation_json", None)?;
            Ok(async move {
                c.start_conversation(conversation.into())
                    .await
                    .map(ConversationEntry::from)
            })
        })
    }
}

/// Renames a group conversation (a participant).
///
/// `*out_json` gets `ConversationEntry` JSON.
///
/// # Safety
/// `client` is a live handle; the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_rename_conversation(
    client: *const CsdkClient,
    conversation_id: *const c_char,
    name: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = client_arg(client)?;
            let conversation_id = str_arg(conversation_id, "conversation_id")?.to_owned();
            let name = str_arg(name, "name")?.to_owned();
            Ok(async move {
                c.rename_conversation(&conversation_id.into(), &name)
                    .await
                    .map(ConversationEntry::from)
            })
        })
    }
}

/// Adds users to a group conversation (each one's policy and blocks apply).
///
/// `user_ids_json`: `Vec<String>` JSON.
/// `*out_json` gets `ConversationEntry` JSON.
///
/// # Safety
/// `client` is a live handle; the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_add_conversation_members(
    client: *const CsdkClient,
    conversation_id: *const c_char,
    user_ids_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = client_arg(client)?;
            let conversation_id = str_arg(conversation_id, "conversation_id")?.to_owned();
            let user_ids: Vec<String> = json_arg(user_ids_json, "user_ids_json", None)?;
            Ok(async move {
                c.add_conversation_members(
                    &conversation_id.into(),
                    user_ids.into_iter().map(Into::into).collect(),
                )
                .await
                .map(ConversationEntry::from)
            })
        })
    }
}

/// Leaves a group conversation: it leaves the list and its cache is dropped.
///
/// # Safety
/// `client` is a live handle; the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_leave_conversation(
    client: *const CsdkClient,
    conversation_id: *const c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(std::ptr::null_mut::<()>(), || {
            let c = client_arg(client)?;
            let conversation_id = str_arg(conversation_id, "conversation_id")?.to_owned();
            Ok(async move { c.leave_conversation(&conversation_id.into()).await })
        })
    }
}

/// A page of the user's conversations from the server, newest activity first (each also brought into the cache; `cursor`: the previous page's `next_cursor`; `limit` 1..=100).
///
/// `cursor` may be NULL.
/// `limit`: 0 for none.
/// `*out_json` gets `ConversationsPage` JSON.
///
/// # Safety
/// `client` is a live handle; the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_conversations_page(
    client: *const CsdkClient,
    cursor: *const c_char,
    limit: u32,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = client_arg(client)?;
            let cursor = opt_str_arg(cursor, "cursor")?;
            let limit = (limit != 0).then_some(limit);
            Ok(async move {
                c.conversations_page(cursor, limit)
                    .await
                    .map(ConversationsPage::from)
            })
        })
    }
}

/// A user's profile as cached (none when unknown).
///
/// `*out_json` gets `Profile` JSON, or `null`.
///
/// # Safety
/// `client` is a live handle; the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_profile(
    client: *const CsdkClient,
    user_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        read(out_json, || {
            let c = client_arg(client)?;
            let user_id = str_arg(user_id, "user_id")?.to_owned();
            Ok(c.profile(&user_id.into()).map(Profile::from))
        })
    }
}

/// What to show for a user: their display name when they set one (cached), else their id.
///
/// `*out_text` gets the string (not JSON; free it with `csdk_string_free`).
///
/// # Safety
/// `client` is a live handle; the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_display_name(
    client: *const CsdkClient,
    user_id: *const c_char,
    out_text: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        read(out_text, || {
            let c = client_arg(client)?;
            let user_id = str_arg(user_id, "user_id")?.to_owned();
            Ok(Text(c.display_name(&user_id.into())))
        })
    }
}

/// Profiles of users: the cached ones, the others fetched (100 per request) and cached. Unknown users are left out.
///
/// `user_ids_json`: `Vec<String>` JSON.
/// `*out_json` gets a JSON array of `Profile`.
///
/// # Safety
/// `client` is a live handle; the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_profiles(
    client: *const CsdkClient,
    user_ids_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = client_arg(client)?;
            let user_ids: Vec<String> = json_arg(user_ids_json, "user_ids_json", None)?;
            Ok(async move {
                c.profiles(user_ids.into_iter().map(Into::into).collect())
                    .await
                    .map(map_vec::<_, Profile>)
            })
        })
    }
}

/// Fetches profiles from the server (100 per request) and caches them.
///
/// `user_ids_json`: `Vec<String>` JSON.
/// `*out_json` gets a JSON array of `Profile`.
///
/// # Safety
/// `client` is a live handle; the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_fetch_profiles(
    client: *const CsdkClient,
    user_ids_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = client_arg(client)?;
            let user_ids: Vec<String> = json_arg(user_ids_json, "user_ids_json", None)?;
            Ok(async move {
                c.fetch_profiles(user_ids.into_iter().map(Into::into).collect())
                    .await
                    .map(map_vec::<_, Profile>)
            })
        })
    }
}

/// Changes the user's own profile: the display name and avatar URL when given (empty clears), each field (an empty value removes it); `profile_too_large` over the limits. Everyone who shares a community or a conversation with the user sees the change.
///
/// `update_json`: `ProfileUpdate` JSON.
/// `*out_json` gets `Profile` JSON.
///
/// # Safety
/// `client` is a live handle; the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_set_profile(
    client: *const CsdkClient,
    update_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = client_arg(client)?;
            let update: ProfileUpdate = json_arg(update_json, "update_json", None)?;
            Ok(async move { c.set_profile(update.into()).await.map(Profile::from) })
        })
    }
}

/// Who may start a conversation with the user (`anyone`, `shared_community`, `nobody`); others are refused with `dm_not_allowed`.
///
/// `policy`: a `DmPolicy` name, e.g. as in the JSON records.
///
/// # Safety
/// `client` is a live handle; the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_set_dm_policy(
    client: *const CsdkClient,
    policy: *const c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(std::ptr::null_mut::<()>(), || {
            let c = client_arg(client)?;
            let policy: DmPolicy = enum_arg(policy, "policy")?;
            Ok(async move { c.set_dm_policy(policy.into()).await })
        })
    }
}

/// Blocks a user: they can no longer start a conversation with the user nor send into their direct conversation, and neither can the user (`blocked`).
///
/// # Safety
/// `client` is a live handle; the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_block_user(
    client: *const CsdkClient,
    user_id: *const c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(std::ptr::null_mut::<()>(), || {
            let c = client_arg(client)?;
            let user_id = str_arg(user_id, "user_id")?.to_owned();
            Ok(async move { c.block_user(user_id).await })
        })
    }
}

/// Unblocks a user.
///
/// # Safety
/// `client` is a live handle; the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_unblock_user(
    client: *const CsdkClient,
    user_id: *const c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(std::ptr::null_mut::<()>(), || {
            let c = client_arg(client)?;
            let user_id = str_arg(user_id, "user_id")?.to_owned();
            Ok(async move { c.unblock_user(user_id).await })
        })
    }
}

/// The users the user blocked (asks the server).
///
/// `*out_json` gets a JSON array of `String`.
///
/// # Safety
/// `client` is a live handle; the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_blocked_users(
    client: *const CsdkClient,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = client_arg(client)?;
            Ok(async move { c.blocked_users().await.map(map_vec::<_, String>) })
        })
    }
}

/// Sets the user's presence on every device: `online`, `idle`, `do_not_disturb` or `invisible` (shown as offline to others), with a status text (≤ `presence_text_bytes`). Kept for the next sessions of this client.
///
/// `status`: a `PresenceStatus` name, e.g. as in the JSON records.
///
/// # Safety
/// `client` is a live handle; the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_set_presence(
    client: *const CsdkClient,
    status: *const c_char,
    text: *const c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(std::ptr::null_mut::<()>(), || {
            let c = client_arg(client)?;
            let status: PresenceStatus = enum_arg(status, "status")?;
            let text = str_arg(text, "text")?.to_owned();
            Ok(async move { c.set_presence(status.into(), &text).await })
        })
    }
}

/// Stops following the presence of users.
///
/// `user_ids_json`: `Vec<String>` JSON.
///
/// # Safety
/// `client` is a live handle; the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_unsubscribe_presence(
    client: *const CsdkClient,
    user_ids_json: *const c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(std::ptr::null_mut::<()>(), || {
            let c = client_arg(client)?;
            let user_ids: Vec<String> = json_arg(user_ids_json, "user_ids_json", None)?;
            Ok(async move {
                c.unsubscribe_presence(user_ids.into_iter().map(Into::into).collect())
                    .await
            })
        })
    }
}

/// A user's presence as last known (followed users, members of the viewed community); none when unknown.
///
/// `*out_json` gets `Presence` JSON, or `null`.
///
/// # Safety
/// `client` is a live handle; the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_presence(
    client: *const CsdkClient,
    user_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        read(out_json, || {
            let c = client_arg(client)?;
            let user_id = str_arg(user_id, "user_id")?.to_owned();
            Ok(c.presence(&user_id.into()).map(Presence::from))
        })
    }
}

/// Says which community the app shows (none: none): its online members' presence and its online count follow without subscribing, across reconnects. Returns its online members now.
///
/// `community_id` may be NULL.
/// `*out_json` gets `ViewedCommunity` JSON, or `null`.
///
/// # Safety
/// `client` is a live handle; the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_view_community(
    client: *const CsdkClient,
    community_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = client_arg(client)?;
            let community_id = opt_str_arg(community_id, "community_id")?;
            Ok(async move {
                c.view_community(community_id.map(Into::into))
                    .await
                    .map(|v| v.map(ViewedCommunity::from))
            })
        })
    }
}

/// Shows this community (see the client's `view_community`): its online members' presence and online count follow.
///
/// `*out_json` gets `ViewedCommunity` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_view(
    client: *const CsdkClient,
    community_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = community_arg(client, community_id)?;
            Ok(async move { c.view().await.map(ViewedCommunity::from) })
        })
    }
}

/// How many members are online, when known (the community is viewed).
///
/// `*out_online_count` gets the value, 0 for none (0 on failure).
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_online_count(
    client: *const CsdkClient,
    community_id: *const c_char,
    out_online_count: *mut u64,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        read(out_online_count, || {
            let c = community_arg(client, community_id)?;
            Ok(c.online_count().unwrap_or_default())
        })
    }
}

/// Stands the user up from the voice channel they sit in.
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_leave_voice(
    client: *const CsdkClient,
    community_id: *const c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(std::ptr::null_mut::<()>(), || {
            let c = community_arg(client, community_id)?;
            Ok(async move { c.leave_voice().await })
        })
    }
}

/// Who sits in this community's voice channels, as last known, in the order they sat down.
///
/// `*out_json` gets a JSON array of `VoiceParticipant`.
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_voice(
    client: *const CsdkClient,
    community_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        read(out_json, || {
            let c = community_arg(client, community_id)?;
            Ok(map_vec::<_, VoiceParticipant>(c.voice()))
        })
    }
}

/// Tells the readers of this channel, thread or conversation that the user is typing. Call it on every keystroke: it reaches the server at most once per `typing_interval_ms` (returns whether this call was sent). Refused where sending is.
///
/// `*out_done` gets the flag (false on failure).
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_typing(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    out_done: *mut bool,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_done, || {
            let c = channel_arg(client, community_id, channel_id)?;
            Ok(async move { c.typing().await })
        })
    }
}

/// Who is typing here now (not the user), sorted.
///
/// `*out_json` gets a JSON array of `String`.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_typers(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        read(out_json, || {
            let c = channel_arg(client, community_id, channel_id)?;
            Ok(map_vec::<_, String>(c.typers()))
        })
    }
}

/// Sits the user down in this voice channel (standing up from any other).
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_join_voice(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(std::ptr::null_mut::<()>(), || {
            let c = channel_arg(client, community_id, channel_id)?;
            Ok(async move { c.join_voice().await })
        })
    }
}

/// Who sits in this voice channel, from the server (the cache is refreshed).
///
/// `*out_json` gets a JSON array of `VoiceParticipant`.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_voice_participants(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = channel_arg(client, community_id, channel_id)?;
            Ok(async move {
                c.voice_participants()
                    .await
                    .map(map_vec::<_, VoiceParticipant>)
            })
        })
    }
}

/// Searches the cached messages only (works offline): ranked by relevance, then newest first; `server` is `not_asked`. A malformed query fails with `invalid_search_query` (5037) before anything is read; hidden, recalled and system messages are never found. Highlights are byte ranges of the snippet's UTF-8 text.
///
/// `options_json`: `SearchOptions` JSON.
/// `*out_json` gets `SearchResults` JSON.
///
/// # Safety
/// `client` is a live handle; the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_search_local(
    client: *const CsdkClient,
    options_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = client_arg(client)?;
            let options: SearchOptions = json_arg(options_json, "options_json", None)?;
            Ok(async move {
                c.search_local(options.into())
                    .await
                    .map(SearchResults::from)
            })
        })
    }
}

/// Searches the cached messages and, when `options.community_id` is set, the server's full history of that community, merged with each message once (the server's copy wins; `source` says where a hit came from). When the server cannot answer, the local hits come back with `server` = `failed` and its error: a server failure never fails the search, a malformed query (5037) does.
///
/// `options_json`: `SearchOptions` JSON.
/// `*out_json` gets `SearchResults` JSON.
///
/// # Safety
/// `client` is a live handle; the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_search(
    client: *const CsdkClient,
    options_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = client_arg(client)?;
            let options: SearchOptions = json_arg(options_json, "options_json", None)?;
            Ok(async move { c.search(options.into()).await.map(SearchResults::from) })
        })
    }
}

/// Communities whose name contains `text` (case-insensitive): the joined ones in the cache and those the server knows (joined, or open to joining), each once; joined ones first, then names starting with the text.
///
/// `*out_json` gets `CommunitySearchResults` JSON.
///
/// # Safety
/// `client` is a live handle; the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_search_communities(
    client: *const CsdkClient,
    text: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = client_arg(client)?;
            let text = str_arg(text, "text")?.to_owned();
            Ok(async move {
                c.search_communities(&text)
                    .await
                    .map(CommunitySearchResults::from)
            })
        })
    }
}

/// Searches this community's messages (the cache merged with the server's history; see `Client.search`); `options.community_id` is this community.
///
/// `options_json`: `SearchOptions` JSON.
/// `*out_json` gets `SearchResults` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_search(
    client: *const CsdkClient,
    community_id: *const c_char,
    options_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = community_arg(client, community_id)?;
            let options: SearchOptions = json_arg(options_json, "options_json", None)?;
            Ok(async move { c.search(options.into()).await.map(SearchResults::from) })
        })
    }
}

/// Channels of this community whose name contains `text` (case-insensitive): the cached visible ones and those the server lists, each once, names starting with the text first.
///
/// `*out_json` gets `ChannelSearchResults` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_search_channels(
    client: *const CsdkClient,
    community_id: *const c_char,
    text: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = community_arg(client, community_id)?;
            let text = str_arg(text, "text")?.to_owned();
            Ok(async move {
                c.search_channels(&text)
                    .await
                    .map(ChannelSearchResults::from)
            })
        })
    }
}

/// A page of the members whose display name, nickname or id contains `text` (case-insensitive), from the server (`limit` 1..=100, default 100); an empty or too long text is `invalid_search_query`.
///
/// `limit`: 0 for none.
/// `*out_json` gets `MemberPage` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_search_members(
    client: *const CsdkClient,
    community_id: *const c_char,
    text: *const c_char,
    limit: u32,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = community_arg(client, community_id)?;
            let text = str_arg(text, "text")?.to_owned();
            let limit = (limit != 0).then_some(limit);
            Ok(async move { c.search_members(&text, limit).await.map(MemberPage::from) })
        })
    }
}

/// Searches this channel's, thread's or conversation's messages (the cache merged with the server's history; see `Client.search`); `options.community_id` and `options.channel_id` are this stream's.
///
/// `options_json`: `SearchOptions` JSON.
/// `*out_json` gets `SearchResults` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_search(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    options_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = channel_arg(client, community_id, channel_id)?;
            let options: SearchOptions = json_arg(options_json, "options_json", None)?;
            Ok(async move { c.search(options.into()).await.map(SearchResults::from) })
        })
    }
}

/// `csdk_channel_send` on the message stream of thread `thread_id` of channel
/// `channel_id` (checked in the channel, as the server checks it):
/// Sends a message. Returns at once with the local echo (state `sending`), already durable; it is sent when connected and ends `sent` or `failed` (await it with the client's `wait_for_send`).
///
/// `content_json`: `MessageContent` JSON.
/// `options_json`: `SendOptions` JSON, or NULL for the default.
/// `*out_json` gets `LocalMessage` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id`, `thread_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_thread_send(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    thread_id: *const c_char,
    content_json: *const c_char,
    options_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = thread_arg(client, community_id, channel_id, thread_id)?.messages();
            let content: MessageContent = json_arg(content_json, "content_json", None)?;
            let options: SendOptions =
                json_arg(options_json, "options_json", Some(SendOptions::default))?;
            Ok(async move {
                c.send(content.into(), options.into())
                    .await
                    .map(LocalMessage::from)
            })
        })
    }
}

/// `csdk_channel_send_text` on the message stream of thread `thread_id` of channel
/// `channel_id` (checked in the channel, as the server checks it):
/// Sends a text message with default options (the local echo; see `send`).
///
/// `*out_json` gets `LocalMessage` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id`, `thread_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_thread_send_text(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    thread_id: *const c_char,
    text: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = thread_arg(client, community_id, channel_id, thread_id)?.messages();
            let text = str_arg(text, "text")?.to_owned();
            Ok(async move { c.send_text(text).await.map(LocalMessage::from) })
        })
    }
}

/// `csdk_channel_retry_send` on the message stream of thread `thread_id` of channel
/// `channel_id` (checked in the channel, as the server checks it):
/// Puts a failed message back in the queue; false when it was not failed.
///
/// `*out_done` gets the flag (false on failure).
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id`, `thread_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_thread_retry_send(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    thread_id: *const c_char,
    local_id: *const c_char,
    out_done: *mut bool,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_done, || {
            let c = thread_arg(client, community_id, channel_id, thread_id)?.messages();
            let local_id = str_arg(local_id, "local_id")?.to_owned();
            Ok(async move { c.retry_send(&local_id).await })
        })
    }
}

/// `csdk_channel_discard` on the message stream of thread `thread_id` of channel
/// `channel_id` (checked in the channel, as the server checks it):
/// Discards an unsent or failed message (timelines drop its echo); false when unknown or sent.
///
/// `*out_done` gets the flag (false on failure).
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id`, `thread_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_thread_discard(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    thread_id: *const c_char,
    local_id: *const c_char,
    out_done: *mut bool,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_done, || {
            let c = thread_arg(client, community_id, channel_id, thread_id)?.messages();
            let local_id = str_arg(local_id, "local_id")?.to_owned();
            Ok(async move { c.discard(&local_id).await })
        })
    }
}

/// `csdk_channel_pending` on the message stream of thread `thread_id` of channel
/// `channel_id` (checked in the channel, as the server checks it):
/// The user's messages of this channel not sent yet, or failed.
///
/// `*out_json` gets a JSON array of `LocalMessage`.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id`, `thread_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_thread_pending(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    thread_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = thread_arg(client, community_id, channel_id, thread_id)?.messages();
            Ok(async move { c.pending().await.map(map_vec::<_, LocalMessage>) })
        })
    }
}

/// `csdk_channel_messages` on the message stream of thread `thread_id` of channel
/// `channel_id` (checked in the channel, as the server checks it):
/// A page of history, whole and ascending: up to `limit` (1..=100) messages with `seq < before_seq` (the newest when none). Gaps are filled from the server.
///
/// `before_seq`: 0 for none.
/// `*out_json` gets a JSON array of `Message`.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id`, `thread_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_thread_messages(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    thread_id: *const c_char,
    before_seq: u64,
    limit: u32,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = thread_arg(client, community_id, channel_id, thread_id)?.messages();
            let before_seq = (before_seq != 0).then_some(before_seq);
            Ok(async move {
                c.messages(before_seq, limit)
                    .await
                    .map(map_vec::<_, Message>)
            })
        })
    }
}

/// `csdk_channel_mark_read` on the message stream of thread `thread_id` of channel
/// `channel_id` (checked in the channel, as the server checks it):
/// Marks everything up to `seq` read (never backwards); returns the new head.
///
/// `*out_json` gets `ChannelHead` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id`, `thread_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_thread_mark_read(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    thread_id: *const c_char,
    seq: u64,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = thread_arg(client, community_id, channel_id, thread_id)?.messages();
            Ok(async move { c.mark_read(seq).await.map(ChannelHead::from) })
        })
    }
}

/// `csdk_channel_mark_all_read` on the message stream of thread `thread_id` of channel
/// `channel_id` (checked in the channel, as the server checks it):
/// Marks every message read; returns the new head.
///
/// `*out_json` gets `ChannelHead` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id`, `thread_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_thread_mark_all_read(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    thread_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = thread_arg(client, community_id, channel_id, thread_id)?.messages();
            Ok(async move { c.mark_all_read().await.map(ChannelHead::from) })
        })
    }
}

/// `csdk_channel_edit_message` on the message stream of thread `thread_id` of channel
/// `channel_id` (checked in the channel, as the server checks it):
/// Edits one's own text or custom message: new content, mentions or custom data (absent fields stay). Shown at once (`Updated`), kept durably and carried out when connected; a refused edit rolls back with the server's error (`not_author`, `message_recalled`, `not_editable`, limits). Await it with `wait_for_change`.
///
/// `edit_json`: `MessageEdit` JSON.
/// `*out_json` gets `PendingChange` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id`, `thread_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_thread_edit_message(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    thread_id: *const c_char,
    seq: u64,
    edit_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = thread_arg(client, community_id, channel_id, thread_id)?.messages();
            let edit: MessageEdit = json_arg(edit_json, "edit_json", None)?;
            Ok(async move {
                c.edit_message(seq, edit.into())
                    .await
                    .map(PendingChange::from)
            })
        })
    }
}

/// `csdk_channel_recall_message` on the message stream of thread `thread_id` of channel
/// `channel_id` (checked in the channel, as the server checks it):
/// Recalls a message for everyone (its content becomes `recalled`): one's own within `recall_window_ms`, any message with `manage_messages` (queued like an edit).
///
/// `*out_json` gets `PendingChange` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id`, `thread_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_thread_recall_message(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    thread_id: *const c_char,
    seq: u64,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = thread_arg(client, community_id, channel_id, thread_id)?.messages();
            Ok(async move { c.recall_message(seq).await.map(PendingChange::from) })
        })
    }
}

/// `csdk_channel_add_reaction` on the message stream of thread `thread_id` of channel
/// `channel_id` (checked in the channel, as the server checks it):
/// Reacts to a message with an emoji (1..=`emoji_bytes` bytes); adding one the user has changes nothing (queued like an edit).
///
/// `*out_json` gets `PendingChange` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id`, `thread_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_thread_add_reaction(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    thread_id: *const c_char,
    seq: u64,
    emoji: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = thread_arg(client, community_id, channel_id, thread_id)?.messages();
            let emoji = str_arg(emoji, "emoji")?.to_owned();
            Ok(async move { c.add_reaction(seq, emoji).await.map(PendingChange::from) })
        })
    }
}

/// `csdk_channel_remove_reaction` on the message stream of thread `thread_id` of channel
/// `channel_id` (checked in the channel, as the server checks it):
/// Takes the user's reaction back (queued like an edit).
///
/// `*out_json` gets `PendingChange` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id`, `thread_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_thread_remove_reaction(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    thread_id: *const c_char,
    seq: u64,
    emoji: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = thread_arg(client, community_id, channel_id, thread_id)?.messages();
            let emoji = str_arg(emoji, "emoji")?.to_owned();
            Ok(async move { c.remove_reaction(seq, emoji).await.map(PendingChange::from) })
        })
    }
}

/// `csdk_channel_pin_message` on the message stream of thread `thread_id` of channel
/// `channel_id` (checked in the channel, as the server checks it):
/// Pins a message in the channel (`manage_messages`; at most `max_pins_per_channel`; queued like an edit).
///
/// `*out_json` gets `PendingChange` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id`, `thread_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_thread_pin_message(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    thread_id: *const c_char,
    seq: u64,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = thread_arg(client, community_id, channel_id, thread_id)?.messages();
            Ok(async move { c.pin_message(seq).await.map(PendingChange::from) })
        })
    }
}

/// `csdk_channel_unpin_message` on the message stream of thread `thread_id` of channel
/// `channel_id` (checked in the channel, as the server checks it):
/// Unpins a message (`manage_messages`; queued like an edit).
///
/// `*out_json` gets `PendingChange` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id`, `thread_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_thread_unpin_message(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    thread_id: *const c_char,
    seq: u64,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = thread_arg(client, community_id, channel_id, thread_id)?.messages();
            Ok(async move { c.unpin_message(seq).await.map(PendingChange::from) })
        })
    }
}

/// `csdk_channel_hide_message` on the message stream of thread `thread_id` of channel
/// `channel_id` (checked in the channel, as the server checks it):
/// Deletes a message for the user only: it leaves the timelines of all their devices (`Removed`) and no longer counts as unread or as a mention (queued like an edit).
///
/// `*out_json` gets `PendingChange` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id`, `thread_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_thread_hide_message(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    thread_id: *const c_char,
    seq: u64,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = thread_arg(client, community_id, channel_id, thread_id)?.messages();
            Ok(async move { c.hide_message(seq).await.map(PendingChange::from) })
        })
    }
}

/// `csdk_channel_wait_for_change` on the message stream of thread `thread_id` of channel
/// `channel_id` (checked in the channel, as the server checks it):
/// Waits until a change made on this device is carried out (its number in the channel's change sequence; none when nothing needed changing) or refused (the server's typed error; its echo is rolled back by then).
///
/// `*out_change_seq` gets the value, 0 for none (0 on failure).
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id`, `thread_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_thread_wait_for_change(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    thread_id: *const c_char,
    key: *const c_char,
    out_change_seq: *mut u64,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_change_seq, || {
            let c = thread_arg(client, community_id, channel_id, thread_id)?.messages();
            let key = str_arg(key, "key")?.to_owned();
            Ok(async move { c.wait_for_change(&key).await.map(Option::unwrap_or_default) })
        })
    }
}

/// `csdk_channel_pins` on the message stream of thread `thread_id` of channel
/// `channel_id` (checked in the channel, as the server checks it):
/// The channel's pinned messages, the most recently pinned first (asks the server).
///
/// `*out_json` gets a JSON array of `Message`.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id`, `thread_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_thread_pins(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    thread_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = thread_arg(client, community_id, channel_id, thread_id)?.messages();
            Ok(async move { c.pins().await.map(map_vec::<_, Message>) })
        })
    }
}

/// `csdk_channel_check_operation` on the message stream of thread `thread_id` of channel
/// `channel_id` (checked in the channel, as the server checks it):
/// Whether the user may do operation `op` (a protocol operation name such as `send_message` or `pin_message`) in this channel, from the cache: nothing when allowed (or when the cache cannot tell), else the error the server would give.
///
/// Returns `CSDK_OK` when allowed, else the refusal's code.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id`, `thread_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_thread_check_operation(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    thread_id: *const c_char,
    op: *const c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        read(std::ptr::null_mut::<()>(), || {
            let c = thread_arg(client, community_id, channel_id, thread_id)?.messages();
            let op = str_arg(op, "op")?.to_owned();
            c.check_operation(&op).map_err(crate::error::SdkError::from)
        })
    }
}

/// `csdk_channel_check_send` on the message stream of thread `thread_id` of channel
/// `channel_id` (checked in the channel, as the server checks it):
/// Whether the user may post `content` mentioning `mentions` here, from the cache: `send_messages`, plus `attach_media` for media and `mention_everyone` for `@everyone` or a group that is not mentionable; else the error the server would give.
///
/// `content_json`: `MessageContent` JSON.
/// `mentions_json`: `Mentions` JSON, or NULL for the default.
/// Returns `CSDK_OK` when allowed, else the refusal's code.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id`, `thread_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_thread_check_send(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    thread_id: *const c_char,
    content_json: *const c_char,
    mentions_json: *const c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        read(std::ptr::null_mut::<()>(), || {
            let c = thread_arg(client, community_id, channel_id, thread_id)?.messages();
            let content: MessageContent = json_arg(content_json, "content_json", None)?;
            let mentions: Mentions =
                json_arg(mentions_json, "mentions_json", Some(Mentions::default))?;
            c.check_send(&content.into(), &mentions.into())
                .map_err(crate::error::SdkError::from)
        })
    }
}

/// `csdk_channel_forward` on the message stream of thread `thread_id` of channel
/// `channel_id` (checked in the channel, as the server checks it):
/// Forwards a message (of any channel the user can read) to this channel: the server copies its content and records where it came from (`forwarded_from`). Queued like a send (the local echo; await it with `wait_for_send`).
///
/// `original_json`: `MessageRef` JSON.
/// `options_json`: `SendOptions` JSON, or NULL for the default.
/// `*out_json` gets `LocalMessage` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id`, `thread_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_thread_forward(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    thread_id: *const c_char,
    original_json: *const c_char,
    options_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = thread_arg(client, community_id, channel_id, thread_id)?.messages();
            let original: MessageRef = json_arg(original_json, "original_json", None)?;
            let options: SendOptions =
                json_arg(options_json, "options_json", Some(SendOptions::default))?;
            Ok(async move {
                c.forward(original.into(), options.into())
                    .await
                    .map(LocalMessage::from)
            })
        })
    }
}

/// `csdk_channel_typing` on the message stream of thread `thread_id` of channel
/// `channel_id` (checked in the channel, as the server checks it):
/// Tells the readers of this channel, thread or conversation that the user is typing. Call it on every keystroke: it reaches the server at most once per `typing_interval_ms` (returns whether this call was sent). Refused where sending is.
///
/// `*out_done` gets the flag (false on failure).
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id`, `thread_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_thread_typing(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    thread_id: *const c_char,
    out_done: *mut bool,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_done, || {
            let c = thread_arg(client, community_id, channel_id, thread_id)?.messages();
            Ok(async move { c.typing().await })
        })
    }
}

/// `csdk_channel_typers` on the message stream of thread `thread_id` of channel
/// `channel_id` (checked in the channel, as the server checks it):
/// Who is typing here now (not the user), sorted.
///
/// `*out_json` gets a JSON array of `String`.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id`, `thread_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_thread_typers(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    thread_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        read(out_json, || {
            let c = thread_arg(client, community_id, channel_id, thread_id)?.messages();
            Ok(map_vec::<_, String>(c.typers()))
        })
    }
}

/// `csdk_channel_search` on the message stream of thread `thread_id` of channel
/// `channel_id` (checked in the channel, as the server checks it):
/// Searches this channel's, thread's or conversation's messages (the cache merged with the server's history; see `Client.search`); `options.community_id` and `options.channel_id` are this stream's.
///
/// `options_json`: `SearchOptions` JSON.
/// `*out_json` gets `SearchResults` JSON.
///
/// # Safety
/// `client` is a live handle; `community_id`, `channel_id`, `thread_id` and the string arguments are NUL-terminated
/// (or NULL where allowed); out pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_thread_search(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    thread_id: *const c_char,
    options_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract (above), forwarded.
    unsafe {
        forward(out_json, || {
            let c = thread_arg(client, community_id, channel_id, thread_id)?.messages();
            let options: SearchOptions = json_arg(options_json, "options_json", None)?;
            Ok(async move { c.search(options.into()).await.map(SearchResults::from) })
        })
    }
}
