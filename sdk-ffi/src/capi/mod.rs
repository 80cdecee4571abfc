//! The C ABI. See `include/community_sdk.h` (generated from this module by cbindgen) and
//! `docs/BINDINGS.md`.
//!
//! Conventions:
//! - Opaque handles (`CsdkClient`, `CsdkSubscription`), each with its free function.
//! - Strings are NUL-terminated UTF-8. Strings the SDK returns (`char *`) belong to the
//!   caller, who frees them with `csdk_string_free`. Structured values travel as JSON, the
//!   serde form of the records in `sdk-ffi/src/records` (the same field names as in
//!   Kotlin, Swift and Python).
//! - Every fallible function returns `int32_t`: `CSDK_OK` (0) or an error code (the
//!   protocol's codes, 1000–9999, and SDK-local ones, 10000–10999; see the `CSDK_ERR_*`
//!   constants). `csdk_last_error` then gives the JSON of the calling thread's last error.
//! - No panic crosses the boundary: every entry point runs inside `catch_unwind`.
//! - Threading: a call drives its work on the calling thread, within the SDK runtime's
//!   context (no task spawned, no other thread woken for it), and returns when it is done;
//!   calls must not be made on an SDK runtime thread (that fails with
//!   `CSDK_ERR_WRONG_THREAD`).
//! - The functions that only forward to the SDK (`generated.rs`) come from one table,
//!   `ops_table/rows.rs`, which also generates the uniffi methods.
//!   Callbacks run on one SDK thread, `community-sdk-callbacks`, one at a time, in order.

mod channel;
mod client;
pub mod codes;
mod community;
mod forward;
pub(crate) mod member_list;
pub(crate) mod member_list_registry;
#[rustfmt::skip]
mod generated;
mod people;
pub mod permissions;
mod search;
mod support;
mod thread;

pub use channel::*;
pub use client::*;
pub use codes::*;
pub use community::*;
pub use generated::*;
pub use member_list::*;
pub use people::*;
pub use permissions::*;
pub use search::*;
pub use support::*;
pub use thread::*;

#[cfg(test)]
mod tests {
    use std::ffi::c_char;

    use super::*;

    #[test]
    fn every_kind_of_out_parameter_is_reset_on_failure() {
        let community = c"c".as_ptr();
        let channel = c"ch".as_ptr();
        let client = std::ptr::null();

        let mut done = true;
        // SAFETY: NULL client (refused), valid strings and out pointer.
        let code = unsafe {
            csdk_channel_retry_send(client, community, channel, c"k".as_ptr(), &mut done)
        };
        assert_eq!((code, done), (CSDK_ERR_INVALID_ARGUMENT, false));

        let mut expires = 42_i64;
        // SAFETY: as above.
        let code = unsafe { csdk_client_refresh_token(client, c"t".as_ptr(), &mut expires) };
        assert_eq!((code, expires), (CSDK_ERR_INVALID_ARGUMENT, 0));

        let mut json: *mut c_char = std::ptr::NonNull::dangling().as_ptr();
        // SAFETY: as above.
        let code = unsafe { csdk_channel_entry(client, community, channel, &mut json) };
        assert_eq!(code, CSDK_ERR_INVALID_ARGUMENT);
        assert!(json.is_null());

        let error = csdk_last_error();
        assert!(!error.is_null());
        // SAFETY: a string returned by the library, freed once.
        unsafe { csdk_string_free(error) };
    }
}
