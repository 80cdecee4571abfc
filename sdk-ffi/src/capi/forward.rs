//! What every forwarded C function does (the generated ones in `generated.rs` and the
//! hand-written ones): resolve the handle, clear the out parameter, drive the SDK call on
//! the calling thread within the SDK runtime ([`crate::runtime::block_on`]), write the
//! result, and turn failures into a code plus the thread's last error.

use std::ffi::c_char;
use std::future::Future;

use serde::Serialize;

use super::client::{CsdkClient, client_arg};
use super::support::{clear_out, guard, str_arg, write_json, write_string, write_value};
use crate::error::SdkError;
use crate::runtime::block_on;

/// Where a C function puts its result: a JSON string, a flag, or nowhere.
pub(crate) trait Out<T>: Copy {
    /// Resets the out parameter, so it reads NULL / false when the call fails.
    ///
    /// # Safety
    /// The pointer is NULL or valid for one write.
    unsafe fn clear(self);

    /// Writes the result.
    ///
    /// # Safety
    /// As [`Out::clear`].
    unsafe fn put(self, value: T) -> Result<(), SdkError>;
}

impl<T: Serialize> Out<T> for *mut *mut c_char {
    unsafe fn clear(self) {
        // SAFETY: forwarded contract.
        unsafe { clear_out(self) }
    }

    unsafe fn put(self, value: T) -> Result<(), SdkError> {
        // SAFETY: forwarded contract.
        unsafe { write_json(self, &value) }
    }
}

impl Out<bool> for *mut bool {
    unsafe fn clear(self) {
        // SAFETY: forwarded contract.
        unsafe { write_value(self, false) }
    }

    unsafe fn put(self, value: bool) -> Result<(), SdkError> {
        // SAFETY: forwarded contract.
        unsafe { write_value(self, value) };
        Ok(())
    }
}

/// Plain numbers (`int64_t *`, `uint64_t *`), 0 on failure.
macro_rules! number_out {
    ($($t:ty),*) => {$(
        impl Out<$t> for *mut $t {
            unsafe fn clear(self) {
                // SAFETY: forwarded contract.
                unsafe { write_value(self, 0) }
            }

            unsafe fn put(self, value: $t) -> Result<(), SdkError> {
                // SAFETY: forwarded contract.
                unsafe { write_value(self, value) };
                Ok(())
            }
        }
    )*};
}
number_out!(i64, u64);

/// A plain string result (C: `char *`, not JSON), e.g. a display name.
pub(crate) struct Text(pub(crate) String);

impl Out<Text> for *mut *mut c_char {
    unsafe fn clear(self) {
        // SAFETY: forwarded contract.
        unsafe { clear_out(self) }
    }

    unsafe fn put(self, value: Text) -> Result<(), SdkError> {
        // SAFETY: forwarded contract.
        unsafe { write_string(self, value.0) };
        Ok(())
    }
}

impl Out<()> for *mut () {
    unsafe fn clear(self) {}

    unsafe fn put(self, _: ()) -> Result<(), SdkError> {
        Ok(())
    }
}

/// Runs one SDK call: `make` checks the arguments and returns the call's future, which
/// runs to its end before the result goes into `out`.
///
/// # Safety
/// `out` is NULL or valid for one write; `make` upholds the contracts of the pointers it
/// reads.
pub(crate) unsafe fn forward<T, O, Fut>(out: O, make: impl FnOnce() -> Result<Fut, SdkError>) -> i32
where
    O: Out<T>,
    Fut: Future<Output = Result<T, community_sdk::SdkError>>,
{
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { out.clear() };
        let call = make()?;
        let value = block_on(async move { call.await.map_err(SdkError::from) })?;
        // SAFETY: the caller's contract.
        unsafe { out.put(value) }
    })
}

/// Runs one read of the cache (no waiting) and puts its result into `out`.
///
/// # Safety
/// As [`forward`].
pub(crate) unsafe fn read<T, O>(out: O, make: impl FnOnce() -> Result<T, SdkError>) -> i32
where
    O: Out<T>,
{
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { out.clear() };
        let value = make()?;
        // SAFETY: the caller's contract.
        unsafe { out.put(value) }
    })
}

/// The community `community_id` of `client`.
///
/// # Safety
/// `client` is NULL or a live handle; `community_id` is NULL or NUL-terminated.
pub(crate) unsafe fn community_arg(
    client: *const CsdkClient,
    community_id: *const c_char,
) -> Result<community_sdk::CommunityHandle, SdkError> {
    // SAFETY: forwarded contract.
    let (client, id) = unsafe { (client_arg(client)?, str_arg(community_id, "community_id")?) };
    Ok(client.community(id))
}

/// The channel `channel_id` of community `community_id`.
///
/// # Safety
/// As [`community_arg`]; `channel_id` is NULL or NUL-terminated.
pub(crate) unsafe fn channel_arg(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
) -> Result<community_sdk::ChannelHandle, SdkError> {
    // SAFETY: forwarded contract.
    let (community, id) = unsafe {
        (
            community_arg(client, community_id)?,
            str_arg(channel_id, "channel_id")?,
        )
    };
    Ok(community.channel(id))
}

/// Thread `thread_id` of channel `channel_id` of community `community_id`.
///
/// # Safety
/// As [`channel_arg`]; `thread_id` is NULL or NUL-terminated.
pub(crate) unsafe fn thread_arg(
    client: *const CsdkClient,
    community_id: *const c_char,
    channel_id: *const c_char,
    thread_id: *const c_char,
) -> Result<community_sdk::ThreadHandle, SdkError> {
    // SAFETY: forwarded contract.
    let (channel, id) = unsafe {
        (
            channel_arg(client, community_id, channel_id)?,
            str_arg(thread_id, "thread_id")?,
        )
    };
    Ok(channel.thread(id))
}
