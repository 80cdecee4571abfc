//! C entry points of a channel (`csdk_channel_*`): the channel is named by its community
//! id and channel id on each call. Results are JSON into `*out_json` (NULL on failure).

use std::ffi::{c_char, c_void};
use std::future::Future;
use std::sync::Arc;

use serde::Serialize;

use super::client::{CsdkClient, subscribe};
use super::community::community_arg;
use super::support::{
    CsdkJsonCallback, CsdkSubscription, clear_out, guard, json_arg, str_arg, write_json,
    write_value,
};
use crate::error::SdkError;
use crate::records::{ChannelUpdate, MessageContent, MessageUpdate, SendOptions, map_vec};
use crate::runtime::block_on;
use crate::uniffi_api::Channel;

/// The channel `channel_id` of community `community_id`.
///
/// # Safety
/// `client` is NULL or live; the ids are NULL or NUL-terminated.
unsafe fn channel_arg(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
) -> Result<Arc<Channel>, SdkError> {
    // SAFETY: forwarded contract.
    let (community, id) = unsafe {
        (
            community_arg(client, community_id)?,
            str_arg(channel_id, "channel_id")?,
        )
    };
    Ok(community.channel(id.to_owned()))
}

/// Runs one blocking call on a channel and writes its JSON result (when `out_json` is not
/// NULL).
///
/// # Safety
/// As [`channel_arg`]; `out_json` is NULL or writable.
unsafe fn channel_call<T, Fut>(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    out_json: *mut *mut c_char,
    op: impl FnOnce(Arc<Channel>) -> Result<Fut, SdkError>,
) -> i32
where
    T: Serialize + Send + 'static,
    Fut: Future<Output = Result<T, SdkError>> + Send + 'static,
{
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { clear_out(out_json) };
        // SAFETY: the caller's contract.
        let channel = unsafe { channel_arg(client, community_id, channel_id) }?;
        let value = block_on(op(channel)?)?;
        // SAFETY: the caller's contract.
        unsafe { write_json(out_json, &value) }
    })
}

/// The channel as cached with its head (`ChannelEntry` JSON, or `null`).
///
/// # Safety
/// `client` is live; the ids are NUL-terminated; `out_json` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_entry(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        channel_call(client, community_id, channel_id, out_json, |c| {
            Ok(async move { Ok(c.entry()) })
        })
    }
}

/// Its unread and mention counts (`ChannelUnread` JSON, or `null`).
///
/// # Safety
/// As `csdk_channel_entry`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_unread(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        channel_call(client, community_id, channel_id, out_json, |c| {
            Ok(async move { Ok(c.unread()) })
        })
    }
}

/// Sends a message: `content_json` is a `MessageContent` (e.g.
/// `{"type":"text","text":"hi"}`), `options_json` a `SendOptions` (`mentions`, `reply_to`,
/// `priority`) or NULL. Returns at once with the local echo (`LocalMessage` JSON, state
/// `sending`); the message is durable and sent when connected.
///
/// # Safety
/// As `csdk_channel_entry`; `content_json` is NUL-terminated, `options_json` NULL or
/// NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_send(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    content_json: *const c_char,
    options_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        channel_call(client, community_id, channel_id, out_json, |c| {
            let content: MessageContent = json_arg(content_json, "content_json", None)?;
            let options: SendOptions =
                json_arg(options_json, "options_json", Some(SendOptions::default))?;
            Ok(async move { c.send(content, options).await })
        })
    }
}

/// Sends a text message with default options (`LocalMessage` JSON of the echo).
///
/// # Safety
/// As `csdk_channel_entry`; `text` is NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_send_text(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    text: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        channel_call(client, community_id, channel_id, out_json, |c| {
            let text = str_arg(text, "text")?.to_owned();
            Ok(async move { c.send_text(text).await })
        })
    }
}

/// Puts a failed message back in the queue; `*out_done` is false when it was not failed.
///
/// # Safety
/// As `csdk_channel_entry`; `local_id` is NUL-terminated; `out_done` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_retry_send(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    local_id: *const c_char,
    out_done: *mut bool,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe { outbox_call(client, community_id, channel_id, local_id, out_done, true) }
}

/// Discards an unsent or failed message; `*out_done` is false when it was unknown.
///
/// # Safety
/// As `csdk_channel_retry_send`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_discard(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    local_id: *const c_char,
    out_done: *mut bool,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe { outbox_call(client, community_id, channel_id, local_id, out_done, false) }
}

/// Retry (`retry` true) or discard an outbox entry.
///
/// # Safety
/// As `csdk_channel_retry_send`.
unsafe fn outbox_call(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    local_id: *const c_char,
    out_done: *mut bool,
    retry: bool,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { write_value(out_done, false) };
        // SAFETY: the caller's contract.
        let (channel, local_id) = unsafe {
            (
                channel_arg(client, community_id, channel_id)?,
                str_arg(local_id, "local_id")?.to_owned(),
            )
        };
        let done = block_on(async move {
            if retry {
                channel.retry_send(local_id).await
            } else {
                channel.discard(local_id).await
            }
        })?;
        // SAFETY: the caller's contract.
        unsafe { write_value(out_done, done) };
        Ok(())
    })
}

/// The user's messages of this channel not sent yet, or failed (JSON array of
/// `LocalMessage`).
///
/// # Safety
/// As `csdk_channel_entry`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_pending(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        channel_call(client, community_id, channel_id, out_json, |c| {
            Ok(async move { c.pending().await })
        })
    }
}

/// A page of history, ascending (JSON array of `Message`): up to `limit` (1..=100)
/// messages with `seq < before_seq`, the newest when `before_seq` is 0.
///
/// # Safety
/// As `csdk_channel_entry`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_messages(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    before_seq: u64,
    limit: u32,
    out_json: *mut *mut c_char,
) -> i32 {
    let before = (before_seq != 0).then_some(before_seq);
    // SAFETY: forwarded contract.
    unsafe {
        channel_call(client, community_id, channel_id, out_json, |c| {
            Ok(async move { c.messages(before, limit).await })
        })
    }
}

/// Subscribes to the timeline: `callback` gets JSON arrays of `MessageUpdate` (`reset`
/// with the newest cached messages and pending echoes first, then `inserted` and `local`).
///
/// # Safety
/// As `csdk_channel_entry`; `out_subscription` is writable; `user_data` stays valid
/// until `csdk_subscription_free` returned.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_subscribe_messages(
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
            let sdk = channel.sdk_handle();
            let subscription = block_on(async move { Ok(sdk.subscribe_messages().await?) })?;
            crate::subscription::pump(subscription, move |updates| {
                cb.call(&map_vec::<_, MessageUpdate>(updates))
            })
        })
    }
}

/// Marks everything up to `seq` read (never backwards). `ChannelHead` JSON.
///
/// # Safety
/// As `csdk_channel_entry`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_mark_read(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    seq: u64,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        channel_call(client, community_id, channel_id, out_json, |c| {
            Ok(async move { c.mark_read(seq).await })
        })
    }
}

/// Marks every message read. `ChannelHead` JSON.
///
/// # Safety
/// As `csdk_channel_entry`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_mark_all_read(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        channel_call(client, community_id, channel_id, out_json, |c| {
            Ok(async move { c.mark_all_read().await })
        })
    }
}

/// Changes the channel (`ChannelUpdate` JSON; absent fields stay). `ChannelInfo` JSON.
///
/// # Safety
/// As `csdk_channel_entry`; `update_json` is NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_update(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    update_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        channel_call(client, community_id, channel_id, out_json, |c| {
            let update: ChannelUpdate = json_arg(update_json, "update_json", None)?;
            Ok(async move { c.update(update).await })
        })
    }
}

/// Deletes the channel and its messages (owner / admin; not the default channel).
///
/// # Safety
/// `client` is live; the ids are NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_delete(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        channel_call(
            client,
            community_id,
            channel_id,
            std::ptr::null_mut(),
            |c| Ok(async move { c.delete().await }),
        )
    }
}

/// Adds members to a private channel (`user_ids_json`: JSON array). `UsersOutcome` JSON.
///
/// # Safety
/// As `csdk_channel_entry`; `user_ids_json` is NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_add_members(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    user_ids_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        channel_call(client, community_id, channel_id, out_json, |c| {
            let ids: Vec<String> = json_arg(user_ids_json, "user_ids_json", None)?;
            Ok(async move { c.add_members(ids).await })
        })
    }
}

/// Removes members from a private channel (`user_ids_json`: JSON array). `UsersOutcome`.
///
/// # Safety
/// As `csdk_channel_add_members`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_remove_members(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    user_ids_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        channel_call(client, community_id, channel_id, out_json, |c| {
            let ids: Vec<String> = json_arg(user_ids_json, "user_ids_json", None)?;
            Ok(async move { c.remove_members(ids).await })
        })
    }
}

/// The explicit members of a private channel (JSON array of user ids).
///
/// # Safety
/// As `csdk_channel_entry`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_channel_members(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        channel_call(client, community_id, channel_id, out_json, |c| {
            Ok(async move { c.members().await })
        })
    }
}
