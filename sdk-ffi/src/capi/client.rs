//! C entry points of the client that are not plain forwarding (those are generated, see
//! `generated.rs`): create, close and free, log in, the user, subscriptions, and creating
//! a community.

use std::ffi::{c_char, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use super::support::{
    Callback, CsdkJsonCallback, CsdkSubscription, clear_out, guard, json_arg, str_arg,
    write_string, write_value,
};
use crate::error::SdkError;
use crate::records::{
    ClientOptions, CommunityListDiff, ConnectionState, MessageUpdate, NewCommunity, SyncState,
    UnreadUpdate, map_vec,
};
use crate::runtime::{self, block_on};
use crate::subscription::{Gate, pump};
use crate::tokens::BlockingTokens;

/// A client (opaque). Create it with `csdk_client_new`, free it with `csdk_client_free`.
pub struct CsdkClient {
    pub(crate) client: community_sdk::Client,
    /// The followed member lists, by community (`csdk_community_set_member_list_ranges`).
    pub(crate) member_lists: crate::capi::member_list_registry::Registry,
}

/// The client behind a handle (a cheap clone).
///
/// # Safety
/// `client` is NULL or a live handle from `csdk_client_new`.
pub(crate) unsafe fn client_arg(
    client: *const CsdkClient,
) -> Result<community_sdk::Client, SdkError> {
    if client.is_null() {
        return Err(SdkError::invalid_argument("`client` is NULL"));
    }
    // SAFETY: not null, and live by the caller's contract.
    Ok(unsafe { &(*client).client }.clone())
}

/// Supplies a fresh token for `user_id`: return a NUL-terminated UTF-8 token, or NULL for
/// none. The SDK copies the string before the next call of this callback, so a buffer the
/// app reuses is fine. Called on an SDK background thread (blocking is allowed).
pub type CsdkTokenCallback =
    Option<unsafe extern "C" fn(user_data: *mut c_void, user_id: *const c_char) -> *const c_char>;

/// The app's token callback as the SDK's token provider.
struct CTokenProvider {
    function: unsafe extern "C" fn(*mut c_void, *const c_char) -> *const c_char,
    user_data: *mut c_void,
    /// Serializes calls, so "valid until the next call" holds.
    calls: std::sync::Mutex<()>,
}

// SAFETY: the header documents that the token callback and its `user_data` are used from
// an SDK background thread; the SDK only hands `user_data` back.
unsafe impl Send for CTokenProvider {}
// SAFETY: calls are serialized by `calls`.
unsafe impl Sync for CTokenProvider {}

impl CTokenProvider {
    fn call(&self, user_id: &str) -> Option<String> {
        let _one_at_a_time = self
            .calls
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let user_id = std::ffi::CString::new(user_id).ok()?;
        // SAFETY: the app's non-null callback with the documented signature.
        let token = unsafe { (self.function)(self.user_data, user_id.as_ptr()) };
        if token.is_null() {
            return None;
        }
        // SAFETY: the callback returned a NUL-terminated string valid until its next call.
        unsafe { std::ffi::CStr::from_ptr(token) }
            .to_str()
            .ok()
            .map(str::to_owned)
    }
}

/// Creates a client from `options_json` (a `ClientOptions` object: `server_url` and
/// `data_dir` required; `device_id`, `request_timeout_ms`, `connect_timeout_ms`,
/// `login_timeout_ms`, `backoff_base_ms`, `backoff_cap_ms`, `max_reconnect_attempts`,
/// `catch_up_limit`, `token_refresh_margin_ms` optional). It opens the cache of the last
/// logged-in user. On success `*out_client` is the new handle; free it with
/// `csdk_client_free`.
///
/// # Safety
/// `options_json` is a NUL-terminated string; `out_client` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_new(
    options_json: *const c_char,
    out_client: *mut *mut CsdkClient,
) -> i32 {
    // SAFETY: the caller's contract, forwarded.
    unsafe {
        csdk_client_new_with_token_provider(options_json, None, std::ptr::null_mut(), out_client)
    }
}

/// As `csdk_client_new`, with a token provider the SDK calls ahead of the token's expiry
/// and when the server says it expired (`token_callback` may be NULL). `user_data` must
/// stay valid until `csdk_client_free` returned.
///
/// # Safety
/// As `csdk_client_new`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_new_with_token_provider(
    options_json: *const c_char,
    token_callback: CsdkTokenCallback,
    user_data: *mut c_void,
    out_client: *mut *mut CsdkClient,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { clear_out(out_client) };
        if out_client.is_null() {
            return Err(SdkError::invalid_argument("`out_client` is NULL"));
        }
        // SAFETY: the caller's contract.
        let options: ClientOptions = unsafe { json_arg(options_json, "options_json", None) }?;
        let mut builder = options.into_builder();
        if let Some(function) = token_callback {
            let provider = CTokenProvider {
                function,
                user_data,
                calls: std::sync::Mutex::new(()),
            };
            let tokens = BlockingTokens::new(move |user_id| provider.call(&user_id));
            builder = builder.token_provider(Arc::new(tokens));
        }
        let client = block_on(async move { builder.build().await.map_err(SdkError::from) })?;
        let handle = Box::new(CsdkClient {
            client,
            member_lists: Default::default(),
        });
        // SAFETY: checked non-null above.
        unsafe { *out_client = Box::into_raw(handle) };
        Ok(())
    })
}

/// Shuts the client down and returns once its connection, its tasks and its cache file
/// are closed (the data directory can be opened again at once). The saved session stays
/// resumable. Later calls on the handle fail with `CSDK_ERR_CLOSED`; free it with
/// `csdk_client_free`.
///
/// # Safety
/// `client` is a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_close(client: *const CsdkClient) -> i32 {
    guard(|| {
        // SAFETY: the caller's contract.
        let client = unsafe { client_arg(client) }?;
        block_on(async move { client.close().await.map_err(SdkError::from) })
    })
}

/// Frees a client: when it was not closed, it shuts down in the background (its
/// subscriptions end). NULL is ignored.
///
/// # Safety
/// `client` is NULL or a live handle, not used again afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_free(client: *mut CsdkClient) {
    if client.is_null() {
        return;
    }
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the caller's contract: a handle from `Box::into_raw`, freed once.
        let handle = unsafe { Box::from_raw(client) };
        // The SDK's tasks live on the runtime: drop the client there.
        if let Ok(rt) = runtime::runtime() {
            rt.spawn(async move { drop(handle) });
        }
    }));
}

/// Logs in as `user_id` with `token` (resuming the saved session when there is one).
/// Returns once logged in and synced; or, when the server cannot be reached in time and
/// this device has a saved session of the user, at once with `*out_offline` true (the
/// cache is usable; the client keeps connecting). `out_offline` may be NULL.
///
/// # Safety
/// `client` is a live handle; the strings are NUL-terminated; `out_offline` is NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_login(
    client: *const CsdkClient,
    user_id: *const c_char,
    token: *const c_char,
    out_offline: *mut bool,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { write_value(out_offline, false) };
        // SAFETY: the caller's contract.
        let (client, user_id, token) = unsafe {
            (
                client_arg(client)?,
                str_arg(user_id, "user_id")?.to_owned(),
                str_arg(token, "token")?.to_owned(),
            )
        };
        let outcome =
            block_on(async move { client.login(user_id, &token).await.map_err(SdkError::from) })?;
        let offline = outcome == community_sdk::LoginOutcome::Offline;
        // SAFETY: the caller's contract.
        unsafe { write_value(out_offline, offline) };
        Ok(())
    })
}

/// The current (or cached) user id into `*out_user_id` (NULL when nobody is logged in).
///
/// # Safety
/// `client` is a live handle; `out_user_id` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_user_id(
    client: *const CsdkClient,
    out_user_id: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { clear_out(out_user_id) };
        // SAFETY: the caller's contract.
        let client = unsafe { client_arg(client) }?;
        if let Some(user_id) = client.user_id() {
            // SAFETY: the caller's contract.
            unsafe { write_string(out_user_id, user_id.into_string()) };
        }
        Ok(())
    })
}

/// Starts a subscription whose values go to `callback` as JSON.
///
/// # Safety
/// `out_subscription` is writable.
pub(crate) unsafe fn subscribe(
    callback: CsdkJsonCallback,
    user_data: *mut c_void,
    out_subscription: *mut *mut CsdkSubscription,
    start: impl FnOnce(Callback) -> Result<Arc<Gate>, SdkError>,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { clear_out(out_subscription) };
        if out_subscription.is_null() {
            return Err(SdkError::invalid_argument("`out_subscription` is NULL"));
        }
        let gate = start(Callback::new(callback, user_data)?)?;
        // SAFETY: checked non-null above.
        unsafe { *out_subscription = CsdkSubscription::into_raw(gate) };
        Ok(())
    })
}

/// Subscribes to connection states: `callback` gets the current `ConnectionState` JSON,
/// then each change. End it with `csdk_subscription_free`.
///
/// # Safety
/// `client` is a live handle; `out_subscription` is writable; `user_data` stays valid
/// until `csdk_subscription_free` returned.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_subscribe_connection(
    client: *const CsdkClient,
    callback: CsdkJsonCallback,
    user_data: *mut c_void,
    out_subscription: *mut *mut CsdkSubscription,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        subscribe(callback, user_data, out_subscription, |cb| {
            let sdk = client_arg(client)?;
            pump(sdk.subscribe_connection(), move |state| {
                cb.call(&ConnectionState::from(state))
            })
        })
    }
}

/// Subscribes to sync states: `callback` gets the current `SyncState` JSON (`"offline"`,
/// `"syncing"`, `"catching_up"`, `"caught_up"`), then each change.
///
/// # Safety
/// As `csdk_client_subscribe_connection`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_subscribe_sync_state(
    client: *const CsdkClient,
    callback: CsdkJsonCallback,
    user_data: *mut c_void,
    out_subscription: *mut *mut CsdkSubscription,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        subscribe(callback, user_data, out_subscription, |cb| {
            let sdk = client_arg(client)?;
            pump(sdk.subscribe_sync_state(), move |state| {
                cb.call(&SyncState::from(state))
            })
        })
    }
}

/// Subscribes to the community list: `callback` gets JSON arrays of `CommunityListDiff`
/// (`{"type":"reset","items":[…]}` first, then `insert` / `update` / `remove`).
///
/// # Safety
/// As `csdk_client_subscribe_connection`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_subscribe_communities(
    client: *const CsdkClient,
    callback: CsdkJsonCallback,
    user_data: *mut c_void,
    out_subscription: *mut *mut CsdkSubscription,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        subscribe(callback, user_data, out_subscription, |cb| {
            let sdk = client_arg(client)?;
            pump(sdk.subscribe_communities(), move |diffs| {
                cb.call(&map_vec::<_, CommunityListDiff>(diffs))
            })
        })
    }
}

/// Subscribes to unread counts: `callback` gets `UnreadUpdate` JSON (everything first,
/// `reset: true`, then what changed).
///
/// # Safety
/// As `csdk_client_subscribe_connection`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_subscribe_unread(
    client: *const CsdkClient,
    callback: CsdkJsonCallback,
    user_data: *mut c_void,
    out_subscription: *mut *mut CsdkSubscription,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        subscribe(callback, user_data, out_subscription, |cb| {
            let sdk = client_arg(client)?;
            pump(sdk.subscribe_unread(), move |update| {
                cb.call(&UnreadUpdate::from(update))
            })
        })
    }
}

/// Subscribes to the outbox of every channel: `callback` gets JSON arrays of
/// `MessageUpdate` (a `reset` with every echo in `pending` first, then `local` and
/// `discarded`).
///
/// # Safety
/// As `csdk_client_subscribe_connection`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_subscribe_outbox(
    client: *const CsdkClient,
    callback: CsdkJsonCallback,
    user_data: *mut c_void,
    out_subscription: *mut *mut CsdkSubscription,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        subscribe(callback, user_data, out_subscription, |cb| {
            let sdk = client_arg(client)?;
            let subscription =
                block_on(async move { sdk.subscribe_outbox().await.map_err(SdkError::from) })?;
            pump(subscription, move |updates| {
                cb.call(&map_vec::<_, MessageUpdate>(updates))
            })
        })
    }
}

/// Creates a community from `params_json` (`NewCommunity`: `name` required; `community_id`,
/// `avatar_url`, `notice`, `join_policy`, `attributes` optional). `*out_community_id` gets
/// its id.
///
/// # Safety
/// `client` is a live handle; `params_json` is NUL-terminated; `out_community_id` is
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_create_community(
    client: *const CsdkClient,
    params_json: *const c_char,
    out_community_id: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { clear_out(out_community_id) };
        // SAFETY: the caller's contract.
        let (client, params) = unsafe {
            (
                client_arg(client)?,
                json_arg::<NewCommunity>(params_json, "params_json", None)?,
            )
        };
        let community = block_on(async move {
            client
                .create_community(params.into())
                .await
                .map_err(SdkError::from)
        })?;
        // SAFETY: the caller's contract.
        unsafe { write_string(out_community_id, community.id().to_string()) };
        Ok(())
    })
}
