//! C entry points of a channel that are not plain forwarding (those are generated, see
//! `generated.rs`): the timeline subscription. The channel is named by its community id
//! and channel id on each call.

use std::ffi::{c_char, c_void};

use super::client::{CsdkClient, subscribe};
use super::forward::channel_arg;
use super::support::{CsdkJsonCallback, CsdkSubscription};
use crate::error::SdkError;
use crate::records::{MessageUpdate, map_vec};
use crate::runtime::block_on;
use crate::subscription::pump;

/// Subscribes to the timeline: `callback` gets JSON arrays of `MessageUpdate` (`reset`
/// with the newest cached messages and pending echoes first, then `inserted`, `updated`
/// (replace by `seq`: edits, recalls, reactions, pins, reply previews), `removed`
/// (hidden), `change` (a change made on this device: pending, done or failed), `local`
/// and `discarded`).
///
/// # Safety
/// `client` is live; the ids are NUL-terminated; `out_subscription` is writable;
/// `user_data` stays valid until `csdk_subscription_free` returned.
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
            let subscription =
                block_on(
                    async move { channel.subscribe_messages().await.map_err(SdkError::from) },
                )?;
            pump(subscription, move |updates| {
                cb.call(&map_vec::<_, MessageUpdate>(updates))
            })
        })
    }
}
