//! The Community SDK for other languages: one library (cdylib + staticlib) with
//! - uniffi exports (proc-macros, no UDL) for Kotlin, Swift and Python: objects for the
//!   client and its handles, records for data, async methods, listener traits implemented
//!   in the foreign language ([`uniffi_api`]);
//! - a C ABI for game engines, described by the cbindgen header `include/community_sdk.h`
//!   ([`capi`]).
//!
//! A log bridge ([`logging`]) forwards the SDK's `tracing` events to the host app's logger.
//!
//! Permission flags get names in every language ([`permissions`]).
//!
//! It has no logic of its own: it converts the SDK's types into [`records`] and forwards
//! calls to `community-sdk`, on the tokio runtime it owns ([`runtime`]). The operations
//! both layers merely forward come from one table (`ops_table/rows.rs`), which generates
//! `uniffi_api/generated.rs` and `capi/generated.rs`. Errors keep their code, name and
//! kind ([`error`]).
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod capi;
pub mod error;
pub mod logging;
pub mod member_list;
#[cfg(test)]
mod ops_table;
pub mod permissions;
pub mod records;
pub mod runtime;
pub mod subscription;
mod tokens;
pub mod uniffi_api;

pub use error::{ErrorKind, SdkError};

uniffi::setup_scaffolding!();

/// The SDK's version, e.g. `"0.1.0"`: the workspace version (`[workspace.package]` in the
/// root `Cargo.toml`), the same string as the C ABI's `csdk_version()` and every package's
/// version (wheel, jar, C package, Unity package, server).
#[uniffi::export]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
