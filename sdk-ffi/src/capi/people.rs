//! C entry points of the people's features that are not plain forwarding (those are
//! generated, see `generated.rs`): the direct conversation with a user, and the
//! subscriptions to the conversation list, profiles, presence, a community's online count
//! and voice channels, and who is typing. A conversation's messages are the `csdk_channel_*`
//! calls with the community id `"@me"` (`csdk_direct_community_id()`) and the
//! conversation's id as the channel id.

use std::ffi::{c_char, c_void};

use super::client::{CsdkClient, client_arg, subscribe};
use super::forward::{channel_arg, community_arg, thread_arg};
use super::support::{
    CsdkJsonCallback, CsdkSubscription, clear_out, guard, json_arg, str_arg, write_string,
};
use crate::error::SdkError;
use crate::records::{ConversationListDiff, Presence, Profile, VoiceParticipant, map_vec};
use crate::runtime::block_on;
use crate::subscription::pump;

/// `"@me"`, the id of the reserved community of direct and group conversations: pass it
/// as `community_id` and a conversation's id as `channel_id` to the `csdk_channel_*` calls.
/// A static string: do not free it.
#[unsafe(no_mangle)]
pub extern "C" fn csdk_direct_community_id() -> *const c_char {
    c"@me".as_ptr()
}

/// An optional JSON array of user ids: NULL (or empty text) for none.
///
/// # Safety
/// `ptr` is NULL or NUL-terminated.
unsafe fn opt_user_ids(
    ptr: *const c_char,
    what: &str,
) -> Result<Option<Vec<community_sdk::protocol::UserId>>, SdkError> {
    // SAFETY: forwarded contract.
    let ids: Option<Vec<String>> = unsafe { json_arg(ptr, what, Some(|| None)) }?;
    Ok(ids.map(|ids| ids.into_iter().map(Into::into).collect()))
}

/// The direct conversation with `user_id`: the cached one, else started (or found) on the
/// server (refused with `CSDK_ERR_DM_NOT_ALLOWED` or `CSDK_ERR_BLOCKED`).
/// `*out_conversation_id` gets its id (the channel id of its messages in `"@me"`).
///
/// # Safety
/// `client` is live; `user_id` is NUL-terminated; `out_conversation_id` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_direct_conversation(
    client: *const CsdkClient,
    user_id: *const c_char,
    out_conversation_id: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { clear_out(out_conversation_id) };
        // SAFETY: the caller's contract.
        let (client, user_id) = unsafe { (client_arg(client)?, str_arg(user_id, "user_id")?) };
        let user_id = user_id.to_owned();
        let stream = block_on(async move {
            client
                .direct_conversation(user_id)
                .await
                .map_err(SdkError::from)
        })?;
        // SAFETY: the caller's contract.
        unsafe { write_string(out_conversation_id, stream.id().to_string()) };
        Ok(())
    })
}

/// Subscribes to the conversation list: `callback` gets JSON arrays of
/// `ConversationListDiff` (`reset` with the cached list, newest activity first, then
/// `insert` / `update` for a conversation started, renamed, grown, active or read, and
/// `remove` with the id of one left).
///
/// # Safety
/// `client` is live; `out_subscription` is writable; `user_data` stays valid until
/// `csdk_subscription_free` returned.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_subscribe_conversations(
    client: *const CsdkClient,
    callback: CsdkJsonCallback,
    user_data: *mut c_void,
    out_subscription: *mut *mut CsdkSubscription,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        subscribe(callback, user_data, out_subscription, |cb| {
            let sdk = client_arg(client)?;
            pump(sdk.subscribe_conversations(), move |diffs| {
                cb.call(&map_vec::<_, ConversationListDiff>(diffs))
            })
        })
    }
}

/// Subscribes to profiles as they change (of the users of `user_ids_json`, a JSON array
/// of user ids, or of everyone when NULL): `callback` gets JSON arrays of `Profile`, the
/// cached profiles of those users first.
///
/// # Safety
/// As `csdk_client_subscribe_conversations`; `user_ids_json` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_subscribe_profiles(
    client: *const CsdkClient,
    user_ids_json: *const c_char,
    callback: CsdkJsonCallback,
    user_data: *mut c_void,
    out_subscription: *mut *mut CsdkSubscription,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        subscribe(callback, user_data, out_subscription, |cb| {
            let sdk = client_arg(client)?;
            let users = opt_user_ids(user_ids_json, "user_ids_json")?;
            pump(sdk.subscribe_profiles(users), move |profiles| {
                cb.call(&map_vec::<_, Profile>(profiles))
            })
        })
    }
}

/// Follows the presence of the users of `user_ids_json` (a JSON array of user ids, at most
/// `max_presence_users`, else `CSDK_ERR_TOO_MANY_USERS`): `callback` gets JSON arrays of
/// `Presence`, their presence now first, then every change. The client keeps following
/// them across reconnects until `csdk_client_unsubscribe_presence` (freeing the
/// subscription only stops this callback).
///
/// # Safety
/// As `csdk_client_subscribe_conversations`; `user_ids_json` is NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_subscribe_presence(
    client: *const CsdkClient,
    user_ids_json: *const c_char,
    callback: CsdkJsonCallback,
    user_data: *mut c_void,
    out_subscription: *mut *mut CsdkSubscription,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        subscribe(callback, user_data, out_subscription, |cb| {
            let sdk = client_arg(client)?;
            let users: Vec<String> = json_arg(user_ids_json, "user_ids_json", None)?;
            let users = users.into_iter().map(Into::into).collect();
            let subscription =
                block_on(
                    async move { sdk.subscribe_presence(users).await.map_err(SdkError::from) },
                )?;
            pump(subscription, move |presences| {
                cb.call(&map_vec::<_, Presence>(presences))
            })
        })
    }
}

/// Presence values as they change, without asking the server (of the users of
/// `user_ids_json`, or, when NULL, of every followed user and member of the viewed
/// community): `callback` gets JSON arrays of `Presence`, the known values first.
///
/// # Safety
/// As `csdk_client_subscribe_profiles`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_presence_stream(
    client: *const CsdkClient,
    user_ids_json: *const c_char,
    callback: CsdkJsonCallback,
    user_data: *mut c_void,
    out_subscription: *mut *mut CsdkSubscription,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        subscribe(callback, user_data, out_subscription, |cb| {
            let sdk = client_arg(client)?;
            let users = opt_user_ids(user_ids_json, "user_ids_json")?;
            pump(sdk.presence_stream(users), move |presences| {
                cb.call(&map_vec::<_, Presence>(presences))
            })
        })
    }
}

/// Subscribes to the community's online member count: `callback` gets a JSON number, the
/// count now (0 until known) first, then its changes while the community is viewed
/// (`csdk_community_view`).
///
/// # Safety
/// `client` is live; `community_id` is NUL-terminated; `out_subscription` is writable;
/// `user_data` stays valid until `csdk_subscription_free` returned.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_subscribe_online_count(
    client: *const CsdkClient,
    community_id: *const c_char,
    callback: CsdkJsonCallback,
    user_data: *mut c_void,
    out_subscription: *mut *mut CsdkSubscription,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        subscribe(callback, user_data, out_subscription, |cb| {
            let community = community_arg(client, community_id)?;
            pump(community.subscribe_online_count(), move |online| {
                cb.call(&online)
            })
        })
    }
}

/// Subscribes to who sits in the community's voice channels: `callback` gets JSON arrays
/// of `VoiceParticipant`, the list now first, then the whole list after every change.
///
/// # Safety
/// As `csdk_community_subscribe_online_count`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_subscribe_voice(
    client: *const CsdkClient,
    community_id: *const c_char,
    callback: CsdkJsonCallback,
    user_data: *mut c_void,
    out_subscription: *mut *mut CsdkSubscription,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        subscribe(callback, user_data, out_subscription, |cb| {
            let community = community_arg(client, community_id)?;
            pump(community.subscribe_voice(), move |participants| {
                cb.call(&map_vec::<_, VoiceParticipant>(participants))
            })
        })
    }
}

/// Subscribes to who is typing in the channel (or, with `"@me"`, the conversation):
/// `callback` gets JSON arrays of user ids (sorted, never the user), the list now first,
/// then the whole list after every change.
///
/// # Safety
/// `client` is live; the ids are NUL-terminated; `out_subscription` is writable;
/// `user_data` stays valid until `csdk_subscription_free` returned.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_subscribe_typing(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    callback: CsdkJsonCallback,
    user_data: *mut c_void,
    out_subscription: *mut *mut CsdkSubscription,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        subscribe(callback, user_data, out_subscription, |cb| {
            let channel = channel_arg(client, community_id, channel_id)?;
            pump(channel.subscribe_typing(), move |users| {
                cb.call(&map_vec::<_, String>(users))
            })
        })
    }
}

/// Subscribes to who is typing in the thread: as `csdk_channel_subscribe_typing`.
///
/// # Safety
/// As `csdk_channel_subscribe_typing`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_thread_subscribe_typing(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    thread_id: *const c_char,
    callback: CsdkJsonCallback,
    user_data: *mut c_void,
    out_subscription: *mut *mut CsdkSubscription,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        subscribe(callback, user_data, out_subscription, |cb| {
            let stream = thread_arg(client, community_id, channel_id, thread_id)?.messages();
            pump(stream.subscribe_typing(), move |users| {
                cb.call(&map_vec::<_, String>(users))
            })
        })
    }
}
