//! The `uniffi-bindgen` command line, built from the same uniffi version as
//! `community-sdk-ffi` so the generated code matches the library's scaffolding.
//!
//! It is a workspace member but not a default member: building it together with the
//! cdylib would unify uniffi's `cli` features into the library. Build it alone:
//! `cargo build -p uniffi-bindgen`, then
//! `target/debug/uniffi-bindgen generate --library target/debug/libcommunity_sdk_ffi.so …`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
