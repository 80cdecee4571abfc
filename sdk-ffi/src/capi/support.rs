//! The plumbing every C entry point shares: the panic guard, the thread's last error,
//! string and JSON conversion, callbacks with `user_data`, and subscription handles.

use std::cell::RefCell;
use std::ffi::{CStr, CString, c_char, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::codes::CSDK_OK;
use crate::error::SdkError;
use crate::subscription::Gate;

thread_local! {
    static LAST_ERROR: RefCell<Option<SdkError>> = const { RefCell::new(None) };
}

fn set_last_error(error: Option<SdkError>) {
    LAST_ERROR.with(|slot| *slot.borrow_mut() = error);
}

/// Runs one C entry point: catches panics, records the error of this thread and returns
/// its code (or `CSDK_OK`).
pub(crate) fn guard(body: impl FnOnce() -> Result<(), SdkError>) -> i32 {
    let result = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(result) => result,
        Err(_) => Err(SdkError::internal("a panic was caught at the C boundary")),
    };
    match result {
        Ok(()) => {
            set_last_error(None);
            CSDK_OK
        }
        Err(error) => {
            let code = i32::try_from(error.code()).unwrap_or(i32::MAX);
            set_last_error(Some(error));
            code
        }
    }
}

/// Borrows a required C string argument.
///
/// # Safety
/// `ptr` is null or points to a NUL-terminated string that lives for `'a`.
pub(crate) unsafe fn str_arg<'a>(ptr: *const c_char, what: &str) -> Result<&'a str, SdkError> {
    if ptr.is_null() {
        return Err(SdkError::invalid_argument(format!("`{what}` is NULL")));
    }
    // SAFETY: not null; the caller promises a NUL-terminated string (function contract).
    let cstr = unsafe { CStr::from_ptr(ptr) };
    cstr.to_str()
        .map_err(|_| SdkError::invalid_argument(format!("`{what}` is not valid UTF-8")))
}

/// An optional C string argument (NULL means absent).
///
/// # Safety
/// As [`str_arg`].
pub(crate) unsafe fn opt_str_arg(
    ptr: *const c_char,
    what: &str,
) -> Result<Option<String>, SdkError> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded contract.
    unsafe { str_arg(ptr, what) }.map(|s| Some(s.to_owned()))
}

/// Parses a JSON argument; NULL (or an empty string) gives `T::default()` when
/// `default` is given, and an error otherwise.
///
/// # Safety
/// As [`str_arg`].
pub(crate) unsafe fn json_arg<T: DeserializeOwned>(
    ptr: *const c_char,
    what: &str,
    default: Option<fn() -> T>,
) -> Result<T, SdkError> {
    // SAFETY: forwarded contract.
    let text = if ptr.is_null() {
        ""
    } else {
        unsafe { str_arg(ptr, what) }?
    };
    match (text.trim().is_empty(), default) {
        (true, Some(default)) => Ok(default()),
        (true, None) => Err(SdkError::invalid_argument(format!("`{what}` is missing"))),
        (false, _) => serde_json::from_str(text).map_err(|e| {
            SdkError::invalid_argument(format!("`{what}` is not valid JSON for this call: {e}"))
        }),
    }
}

/// A string the caller will free with `csdk_string_free`.
pub(crate) fn owned_c_string(text: String) -> *mut c_char {
    // Interior NULs cannot be represented; replace them (JSON never contains raw NULs).
    let bytes: Vec<u8> = text
        .into_bytes()
        .into_iter()
        .map(|b| if b == 0 { b' ' } else { b })
        .collect();
    CString::new(bytes)
        .map(CString::into_raw)
        .unwrap_or(std::ptr::null_mut())
}

/// The JSON text of `value`.
pub(crate) fn to_json<T: Serialize>(value: &T) -> Result<String, SdkError> {
    serde_json::to_string(value).map_err(|e| SdkError::internal(format!("cannot encode JSON: {e}")))
}

/// Writes `value` as JSON into `*out` (when `out` is not NULL).
///
/// # Safety
/// `out` is null or valid for one pointer write.
pub(crate) unsafe fn write_json<T: Serialize>(
    out: *mut *mut c_char,
    value: &T,
) -> Result<(), SdkError> {
    let json = to_json(value)?;
    if !out.is_null() {
        // SAFETY: not null; the caller promises it is writable (function contract).
        unsafe { *out = owned_c_string(json) };
    }
    Ok(())
}

/// Writes a plain string into `*out` (when `out` is not NULL).
///
/// # Safety
/// As [`write_json`].
pub(crate) unsafe fn write_string(out: *mut *mut c_char, text: String) {
    if !out.is_null() {
        // SAFETY: as above.
        unsafe { *out = owned_c_string(text) };
    }
}

/// Sets a plain out value (a flag, a number) when `out` is not NULL. Calls set it to its
/// default first, so it is `false` / 0 on failure, as pointers are NULL.
///
/// # Safety
/// `out` is null or valid for one write.
pub(crate) unsafe fn write_value<T>(out: *mut T, value: T) {
    if !out.is_null() {
        // SAFETY: not null; the caller promises it is writable (function contract).
        unsafe { *out = value };
    }
}

/// Clears `*out` at the start of a call, so it is NULL on failure.
///
/// # Safety
/// As [`write_json`].
pub(crate) unsafe fn clear_out<T>(out: *mut *mut T) {
    if !out.is_null() {
        // SAFETY: as above.
        unsafe { *out = std::ptr::null_mut() };
    }
}

/// A callback that receives one JSON value. `json` is valid only during the call (copy it
/// to keep it). Called on the `community-sdk-callbacks` thread.
pub type CsdkJsonCallback =
    Option<unsafe extern "C" fn(user_data: *mut c_void, json: *const c_char)>;

/// The app's callback and its `user_data`, carried to the callback thread.
#[derive(Clone, Copy)]
pub(crate) struct Callback {
    function: unsafe extern "C" fn(*mut c_void, *const c_char),
    user_data: *mut c_void,
}

// SAFETY: the C contract (documented in the header) is that `user_data` may be used from
// the callback thread; the SDK never dereferences it, it only hands it back.
unsafe impl Send for Callback {}
// SAFETY: as above; calls are serialized on the callback thread.
unsafe impl Sync for Callback {}

impl Callback {
    /// The callback, or an error when the function pointer is NULL.
    pub(crate) fn new(
        function: CsdkJsonCallback,
        user_data: *mut c_void,
    ) -> Result<Self, SdkError> {
        let function = function.ok_or_else(|| SdkError::invalid_argument("`callback` is NULL"))?;
        Ok(Self {
            function,
            user_data,
        })
    }

    /// Calls it with the JSON of `value`.
    pub(crate) fn call<T: Serialize>(&self, value: &T) {
        let json = match to_json(value) {
            Ok(json) => json,
            Err(error) => {
                tracing::error!(%error, "cannot encode a callback value");
                return;
            }
        };
        let Ok(text) = CString::new(json) else { return };
        // SAFETY: a non-null function pointer given by the app with the documented
        // signature; `text` outlives the call.
        unsafe { (self.function)(self.user_data, text.as_ptr()) };
    }
}

/// A live subscription of the C API. Free it with `csdk_subscription_free`, which ends it.
pub struct CsdkSubscription {
    gate: Arc<Gate>,
    /// What lives as long as the handle (a member list).
    keep: Option<Arc<dyn std::any::Any + Send + Sync>>,
}

impl CsdkSubscription {
    /// Boxes a gate into a handle for C.
    pub(crate) fn into_raw(gate: Arc<Gate>) -> *mut CsdkSubscription {
        Box::into_raw(Box::new(CsdkSubscription { gate, keep: None }))
    }

    /// Boxes a gate into a handle for C that also keeps `keep` until freed.
    pub(crate) fn into_raw_keeping(
        gate: Arc<Gate>,
        keep: Arc<dyn std::any::Any + Send + Sync>,
    ) -> *mut CsdkSubscription {
        Box::into_raw(Box::new(CsdkSubscription {
            gate,
            keep: Some(keep),
        }))
    }
}

/// Returns the JSON of the calling thread's last error
/// (`{"code":5000,"name":"name_too_long","kind":"limit","detail":"…"}`), or NULL when the
/// last call on this thread succeeded. Free it with `csdk_string_free`.
#[unsafe(no_mangle)]
pub extern "C" fn csdk_last_error() -> *mut c_char {
    let json = catch_unwind(|| {
        LAST_ERROR.with(|slot| {
            slot.borrow()
                .as_ref()
                .and_then(|e| serde_json::to_string(&e.to_json()).ok())
        })
    });
    match json {
        Ok(Some(json)) => owned_c_string(json),
        _ => std::ptr::null_mut(),
    }
}

/// Frees a string returned by the SDK. NULL is ignored.
///
/// # Safety
/// `text` is NULL or a string returned by this library that was not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_string_free(text: *mut c_char) {
    if text.is_null() {
        return;
    }
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the caller promises it came from `CString::into_raw` here, once.
        drop(unsafe { CString::from_raw(text) });
    }));
}

/// Ends a subscription and frees it. When it returns, the callback is not running and
/// will not be called again, so `user_data` may be freed (this holds also when called
/// from inside a callback). NULL is ignored.
///
/// # Safety
/// `subscription` is NULL or a handle returned by this library that was not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_subscription_free(subscription: *mut CsdkSubscription) {
    if subscription.is_null() {
        return;
    }
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the caller promises it came from `Box::into_raw` here, once.
        let subscription = unsafe { Box::from_raw(subscription) };
        subscription.gate.cancel();
        drop(subscription.keep);
    }));
}

/// The library's version (static; do not free), e.g. `"0.1.0"`.
#[unsafe(no_mangle)]
pub extern "C" fn csdk_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// Parses a plain string argument naming an enum value (`"admin"`, `"do_not_disturb"`).
///
/// # Safety
/// As [`str_arg`].
pub(crate) unsafe fn enum_arg<T: DeserializeOwned>(
    ptr: *const c_char,
    what: &str,
) -> Result<T, SdkError> {
    // SAFETY: forwarded contract.
    let text = unsafe { str_arg(ptr, what) }?;
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|e| SdkError::invalid_argument(format!("`{what}`: {e}")))
}

/// Routes the SDK's log to `callback` (JSON of `LogRecord`:
/// `{"level":"info","target":"community_sdk::connection","message":"…"}`) for records at
/// `level` (`"error"`, `"warn"`, `"info"`, `"debug"` or `"trace"`) and above; a NULL
/// `callback` stops forwarding. Replaces an earlier callback. Called on the
/// `community-sdk-callbacks` thread; `user_data` must stay valid until it is replaced or
/// removed.
///
/// # Safety
/// `level` is NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn csdk_set_log_callback(
    level: *const c_char,
    callback: CsdkJsonCallback,
    user_data: *mut c_void,
) -> i32 {
    guard(|| {
        // SAFETY: forwarded contract.
        let level: crate::logging::LogLevel = unsafe { enum_arg(level, "level") }?;
        let deliver = match callback {
            None => None,
            Some(_) => {
                let callback = Callback::new(callback, user_data)?;
                let deliver: Arc<dyn Fn(crate::logging::LogRecord) + Send + Sync> =
                    Arc::new(move |record| callback.call(&record));
                Some(deliver)
            }
        };
        crate::logging::set_sink(level, deliver)
    })
}
