//! C entry points of a community that are not plain forwarding (those are generated, see
//! `generated.rs`): the channel-list subscription and creating a channel. The community is
//! named by its id on each call (no handle to free).

use std::ffi::{c_char, c_void};

use super::client::{CsdkClient, subscribe};
use super::forward::community_arg;
use super::support::{
    CsdkJsonCallback, CsdkSubscription, clear_out, guard, json_arg, write_string,
};
use crate::error::SdkError;
use crate::records::{ChannelListDiff, NewChannel, map_vec};
use crate::runtime::block_on;
use crate::subscription::pump;

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
            let community = community_arg(client, community_id)?;
            pump(community.subscribe_channels(), move |diffs| {
                cb.call(&map_vec::<_, ChannelListDiff>(diffs))
            })
        })
    }
}

/// Creates a channel from `channel_json` (`NewChannel`: `name` required; `kind`,
/// `introduction`, `notice`, `custom`, `category_id`, `position`, `private`, `member_ids`
/// optional). `*out_channel_id` gets its id.
///
/// # Safety
/// `client` is live; the strings are NUL-terminated; `out_channel_id` is writable.
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
        let created = block_on(async move {
            community
                .create_channel(channel.into())
                .await
                .map_err(SdkError::from)
        })?;
        // SAFETY: the caller's contract.
        unsafe { write_string(out_channel_id, created.id().to_string()) };
        Ok(())
    })
}
