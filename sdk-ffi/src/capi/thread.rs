//! C entry points of threads that are not plain forwarding (those are generated, see
//! `generated.rs`): starting a thread, a channel's thread-list subscription and a thread's
//! timeline subscription. A thread is named by its community id, its channel's id and its
//! own id on each call; its message stream's calls are the `csdk_thread_*` twins of the
//! `csdk_channel_*` message calls.

use std::ffi::{c_char, c_void};

use super::client::{CsdkClient, subscribe};
use super::forward::{channel_arg, thread_arg};
use super::support::{
    CsdkJsonCallback, CsdkSubscription, clear_out, guard, json_arg, write_string,
};
use crate::error::SdkError;
use crate::records::{MessageUpdate, NewThread, ThreadListDiff, map_vec};
use crate::runtime::block_on;
use crate::subscription::pump;

/// Starts a thread in the channel from `thread_json` (`NewThread`: `name` required;
/// `parent_seq` (the message it starts from; absent: free-standing) and `auto_archive_ms`
/// optional); the user joins it. `*out_thread_id` gets its id.
///
/// # Safety
/// `client` is live; the strings are NUL-terminated; `out_thread_id` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_create_thread(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    thread_json: *const c_char,
    out_thread_id: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { clear_out(out_thread_id) };
        // SAFETY: the caller's contract.
        let (channel, thread) = unsafe {
            (
                channel_arg(client, community_id, channel_id)?,
                json_arg::<NewThread>(thread_json, "thread_json", None)?,
            )
        };
        let created = block_on(async move {
            channel
                .create_thread(thread.into())
                .await
                .map_err(SdkError::from)
        })?;
        // SAFETY: the caller's contract.
        unsafe { write_string(out_thread_id, created.id().to_string()) };
        Ok(())
    })
}

/// Subscribes to the channel's thread list: `callback` gets JSON arrays of
/// `ThreadListDiff` (`reset` with the active threads first, then `update` for a thread
/// started or changed and `remove` with the id of a deleted one).
///
/// # Safety
/// `client` is live; the ids are NUL-terminated; `out_subscription` is writable;
/// `user_data` stays valid until `csdk_subscription_free` returned.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_subscribe_threads(
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
            let subscription =
                block_on(async move { channel.subscribe_threads().await.map_err(SdkError::from) })?;
            pump(subscription, move |diffs| {
                cb.call(&map_vec::<_, ThreadListDiff>(diffs))
            })
        })
    }
}

/// Subscribes to the thread's timeline: as `csdk_channel_subscribe_messages`, on the
/// thread's messages.
///
/// # Safety
/// `client` is live; the ids are NUL-terminated; `out_subscription` is writable;
/// `user_data` stays valid until `csdk_subscription_free` returned.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_thread_subscribe_messages(
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
            let subscription =
                block_on(async move { stream.subscribe_messages().await.map_err(SdkError::from) })?;
            pump(subscription, move |updates| {
                cb.call(&map_vec::<_, MessageUpdate>(updates))
            })
        })
    }
}
