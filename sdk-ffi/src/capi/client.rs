//! C entry points of the client: create and free, session, cached reads, subscriptions,
//! and the operations on the community list.

use std::ffi::{c_char, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use super::support::{
    Callback, CsdkJsonCallback, CsdkSubscription, clear_out, guard, json_arg, opt_str_arg, str_arg,
    write_json, write_string, write_value,
};
use crate::error::SdkError;
use crate::records::{ClientOptions, NewCommunity};
use crate::runtime::block_on;
use crate::uniffi_api::{self, Client};

/// A client (opaque). Create it with `csdk_client_new`, free it with `csdk_client_free`.
pub struct CsdkClient {
    pub(crate) client: Arc<Client>,
}

/// Borrows the client behind a handle.
///
/// # Safety
/// `client` is NULL or a live handle from `csdk_client_new`.
pub(crate) unsafe fn client_arg(client: *const CsdkClient) -> Result<Arc<Client>, SdkError> {
    if client.is_null() {
        return Err(SdkError::invalid_argument("`client` is NULL"));
    }
    // SAFETY: not null, and live by the caller's contract.
    Ok(Arc::clone(unsafe { &(*client).client }))
}

/// Supplies a fresh token for `user_id`: return a NUL-terminated UTF-8 token, or NULL for
/// none. The SDK copies the string before the next call of this callback, so a buffer the
/// app reuses is fine. Called on an SDK background thread (blocking is allowed).
pub type CsdkTokenCallback =
    Option<unsafe extern "C" fn(user_data: *mut c_void, user_id: *const c_char) -> *const c_char>;

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

impl uniffi_api::TokenProvider for CTokenProvider {
    fn fetch_token(&self, user_id: String) -> Option<String> {
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
/// `backoff_base_ms`, `backoff_cap_ms`, `max_reconnect_attempts`, `catch_up_limit`,
/// `token_refresh_margin_ms` optional). It opens the cache of the last logged-in user.
/// On success `*out_client` is the new handle; free it with `csdk_client_free`.
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
        let provider = token_callback.map(|function| {
            Arc::new(CTokenProvider {
                function,
                user_data,
                calls: std::sync::Mutex::new(()),
            }) as Arc<dyn uniffi_api::TokenProvider>
        });
        let client = block_on(async move { Client::build(options, provider).await })?;
        let handle = Box::new(CsdkClient {
            client: Arc::new(client),
        });
        // SAFETY: checked non-null above.
        unsafe { *out_client = Box::into_raw(handle) };
        Ok(())
    })
}

/// Frees a client: its connection closes and its subscriptions end. NULL is ignored.
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
        drop(unsafe { Box::from_raw(client) });
    }));
}

/// Logs in as `user_id` with `token` (resuming the saved session when there is one).
/// Returns once logged in and synced, or at once from the cache when offline with a saved
/// session.
///
/// # Safety
/// `client` is a live handle; the strings are NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_login(
    client: *const CsdkClient,
    user_id: *const c_char,
    token: *const c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's contract.
        let (client, user_id, token) = unsafe {
            (
                client_arg(client)?,
                str_arg(user_id, "user_id")?.to_owned(),
                str_arg(token, "token")?.to_owned(),
            )
        };
        block_on(async move { client.login(user_id, token).await })
    })
}

/// Logs out (ends the session on the server; the cache stays on disk).
///
/// # Safety
/// `client` is a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_logout(client: *const CsdkClient) -> i32 {
    guard(|| {
        // SAFETY: the caller's contract.
        let client = unsafe { client_arg(client) }?;
        block_on(async move { client.logout().await })
    })
}

/// Sends a new token now; `*out_expires_at_ms` gets its expiry (ms since the epoch; 0 on
/// failure).
///
/// # Safety
/// `client` is a live handle; `token` is NUL-terminated; `out_expires_at_ms` is NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_refresh_token(
    client: *const CsdkClient,
    token: *const c_char,
    out_expires_at_ms: *mut i64,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { write_value(out_expires_at_ms, 0) };
        // SAFETY: the caller's contract.
        let (client, token) = unsafe { (client_arg(client)?, str_arg(token, "token")?.to_owned()) };
        let expires = block_on(async move { client.refresh_token(token).await })?;
        // SAFETY: the caller's contract.
        unsafe { write_value(out_expires_at_ms, expires) };
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
            unsafe { write_string(out_user_id, user_id) };
        }
        Ok(())
    })
}

/// Writes the JSON of a cached read of the client into `*out_json`.
///
/// # Safety
/// `client` is a live handle; `out_json` is writable.
unsafe fn client_read<T: serde::Serialize>(
    client: *const CsdkClient,
    out_json: *mut *mut c_char,
    read: impl FnOnce(&Client) -> Result<T, SdkError>,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { clear_out(out_json) };
        // SAFETY: the caller's contract.
        let client = unsafe { client_arg(client) }?;
        let value = read(&client)?;
        // SAFETY: the caller's contract.
        unsafe { write_json(out_json, &value) }
    })
}

/// The connection state now (`ConnectionState` JSON, e.g. `{"type":"connected"}`).
///
/// # Safety
/// `client` is a live handle; `out_json` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_connection_state(
    client: *const CsdkClient,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe { client_read(client, out_json, Client::connection_state) }
}

/// The deployment's limits (`Limits` JSON).
///
/// # Safety
/// `client` is a live handle; `out_json` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_limits(
    client: *const CsdkClient,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe { client_read(client, out_json, Client::limits) }
}

/// The joined communities held in the cache (JSON array of `CommunityEntry`).
///
/// # Safety
/// `client` is a live handle; `out_json` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_communities(
    client: *const CsdkClient,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe { client_read(client, out_json, Client::communities) }
}

/// Total unread and total mentions (`UnreadTotals` JSON).
///
/// # Safety
/// `client` is a live handle; `out_json` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_unread_totals(
    client: *const CsdkClient,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe { client_read(client, out_json, Client::unread_totals) }
}

/// Every unread count now (`UnreadUpdate` JSON with `reset: true`).
///
/// # Safety
/// `client` is a live handle; `out_json` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_unread(
    client: *const CsdkClient,
    out_json: *mut *mut c_char,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe { client_read(client, out_json, Client::unread) }
}

/// Starts a subscription whose values go to `callback` as JSON.
///
/// # Safety
/// `out_subscription` is writable.
pub(crate) unsafe fn subscribe(
    callback: CsdkJsonCallback,
    user_data: *mut c_void,
    out_subscription: *mut *mut CsdkSubscription,
    start: impl FnOnce(Callback) -> Result<Arc<crate::subscription::Gate>, SdkError>,
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
            let sdk = client_arg(client)?.sdk()?;
            crate::subscription::pump(sdk.subscribe_connection(), move |state| {
                cb.call(&crate::records::ConnectionState::from(state))
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
            let sdk = client_arg(client)?.sdk()?;
            crate::subscription::pump(sdk.subscribe_communities(), move |diffs| {
                cb.call(&crate::records::map_vec::<
                    _,
                    crate::records::CommunityListDiff,
                >(diffs))
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
            let sdk = client_arg(client)?.sdk()?;
            crate::subscription::pump(sdk.subscribe_unread(), move |update| {
                cb.call(&crate::records::UnreadUpdate::from(update))
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
        let community = block_on(async move { client.create_community(params).await })?;
        // SAFETY: the caller's contract.
        unsafe { write_string(out_community_id, community.id()) };
        Ok(())
    })
}

/// Joins a community (`message` may be NULL; it goes to the admins of an approval
/// community). `*out_json` gets a `JoinOutcome` (`{"type":"joined","snapshot":{…}}` or
/// `{"type":"pending"}`).
///
/// # Safety
/// `client` is a live handle; strings are NUL-terminated; `out_json` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_join_community(
    client: *const CsdkClient,
    community_id: *const c_char,
    message: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { clear_out(out_json) };
        // SAFETY: the caller's contract.
        let (client, id, message) = unsafe {
            (
                client_arg(client)?,
                str_arg(community_id, "community_id")?.to_owned(),
                opt_str_arg(message, "message")?.unwrap_or_default(),
            )
        };
        let outcome = block_on(async move { client.join_community(id, message).await })?;
        // SAFETY: the caller's contract.
        unsafe { write_json(out_json, &outcome) }
    })
}

/// One page of the joined communities from the server (`CommunityPage` JSON).
/// `cursor` may be NULL (first page); `limit` 0 means the default (100).
///
/// # Safety
/// `client` is a live handle; `cursor` is NULL or NUL-terminated; `out_json` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_client_joined_communities_page(
    client: *const CsdkClient,
    cursor: *const c_char,
    limit: u32,
    out_json: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { clear_out(out_json) };
        // SAFETY: the caller's contract.
        let (client, cursor) = unsafe { (client_arg(client)?, opt_str_arg(cursor, "cursor")?) };
        let limit = (limit != 0).then_some(limit);
        let page = block_on(async move { client.joined_communities_page(cursor, limit).await })?;
        // SAFETY: the caller's contract.
        unsafe { write_json(out_json, &page) }
    })
}
