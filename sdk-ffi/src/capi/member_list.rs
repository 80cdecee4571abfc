//! The member list in C (protocol §22.2): `csdk_community_subscribe_member_list` follows
//! ranges of a community's sorted member list, `csdk_community_set_member_list_ranges`
//! scrolls, `csdk_community_member_list_snapshot` reads the windows as they are.
//! One community per session: a new subscription replaces the previous one (whose
//! callback gets `{"type":"replaced"}`). Ranges out of the server's limits fail with
//! `CSDK_ERR_INVALID_MEMBER_LIST_RANGE` (5038).

use std::ffi::{c_char, c_void};
use std::sync::Arc;

use super::client::CsdkClient;
use super::forward::{community_arg, read};
use super::support::{
    Callback, CsdkJsonCallback, CsdkSubscription, clear_out, guard, json_arg, str_arg,
};
use crate::error::SdkError;
use crate::member_list::MemberList;
use crate::records::{ListRange, MemberListSnapshot};

/// The member list subscription of `community_id`.
///
/// # Safety
/// `client` is NULL or live; `community_id` is NULL or NUL-terminated.
unsafe fn list_arg(
    client: *const CsdkClient,
    community_id: *const c_char,
) -> Result<Arc<MemberList>, SdkError> {
    if client.is_null() {
        return Err(SdkError::invalid_argument("`client` is NULL"));
    }
    // SAFETY: the caller's contract.
    let id = unsafe { str_arg(community_id, "community_id")? };
    // SAFETY: not null, and live by the caller's contract.
    unsafe { &(*client).member_lists }.get(id)
}

/// Follows ranges of the community's member list, sorted by highest group, online before
/// offline, then name: `callback` gets `MemberListUpdate` JSON, `{"type":"reset",
/// "snapshot":{…}}` first (counts, sections, one window of items per range), then
/// `{"type":"changed",…}` with the operations to apply to the windows in order (`insert`,
/// `delete`, `update` at a position), and `failed` or `replaced` last. Replaces the
/// session's previous member list subscription. Ranges are checked first: 1 to
/// `member_list_max_ranges`, each at most `member_list_range_items` positions, not
/// overlapping, else `CSDK_ERR_INVALID_MEMBER_LIST_RANGE`. Needs a connection. End it with
/// `csdk_subscription_free`.
///
/// `ranges_json`: `Vec<ListRange>` JSON, e.g. `[{"start":0,"end":99}]`.
///
/// # Safety
/// `client` is live; the strings are NUL-terminated; `out_subscription` is writable;
/// `user_data` stays valid until `csdk_subscription_free` returned.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_subscribe_member_list(
    client: *const CsdkClient,
    community_id: *const c_char,
    ranges_json: *const c_char,
    callback: CsdkJsonCallback,
    user_data: *mut c_void,
    out_subscription: *mut *mut CsdkSubscription,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { clear_out(out_subscription) };
        if out_subscription.is_null() {
            return Err(SdkError::invalid_argument("`out_subscription` is NULL"));
        }
        // SAFETY: the caller's contract.
        let (community, ranges) = unsafe {
            (
                community_arg(client, community_id)?,
                json_arg::<Vec<ListRange>>(ranges_json, "ranges_json", None)?,
            )
        };
        let callback = Callback::new(callback, user_data)?;
        let list = Arc::new(MemberList::start_blocking(
            community,
            ranges,
            move |update| callback.call(&update),
        )?);
        // SAFETY: `client` was checked by `community_arg`; live by the contract.
        unsafe { &(*client).member_lists }.put(list.community_id().to_owned(), &list);
        let raw = CsdkSubscription::into_raw_keeping(list.gate(), list);
        // SAFETY: checked non-null above.
        unsafe { *out_subscription = raw };
        Ok(())
    })
}

/// Follows other ranges of the community's member list (scrolling); the new windows
/// arrive as a `reset`. Fails with `CSDK_ERR_INVALID_MEMBER_LIST_RANGE` for ranges out of
/// the limits, and `CSDK_ERR_INVALID_ARGUMENT` when there is no live subscription of
/// the community.
///
/// `ranges_json`: `Vec<ListRange>` JSON.
///
/// # Safety
/// `client` is live; the strings are NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_set_member_list_ranges(
    client: *const CsdkClient,
    community_id: *const c_char,
    ranges_json: *const c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's contract.
        let (list, ranges) = unsafe {
            (
                list_arg(client, community_id)?,
                json_arg::<Vec<ListRange>>(ranges_json, "ranges_json", None)?,
            )
        };
        list.set_ranges_blocking(ranges)
    })
}

/// The community's followed member list as of the last update delivered: counts,
/// sections and each window with the operations received so far applied.
///
/// `*out_json` gets `MemberListSnapshot` JSON.
///
/// # Safety
/// `client` is live; `community_id` is NUL-terminated; `out_json` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_community_member_list_snapshot(
    client: *const CsdkClient,
    community_id: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: the caller's contract.
    unsafe {
        read(out_json, || -> Result<MemberListSnapshot, SdkError> {
            Ok(list_arg(client, community_id)?.snapshot())
        })
    }
}
