//! The plain data records every binding receives whole, in one call (never one foreign
//! call per field), and their conversions from the protocol's and the SDK's types.
//!
//! They mirror `community_protocol` and `community_sdk` records field by field, in forms
//! uniffi can carry (`HashMap` instead of `BTreeMap`, numbers instead of newtypes,
//! milliseconds instead of `Duration`). They also derive serde: the C ABI's JSON payloads
//! are exactly these records, so C sees the same field names as Kotlin, Swift and Python
//! (snake_case in JSON; enums as snake_case strings; enums with data tagged by `"type"`).

mod api;
mod change;
mod message;
mod protocol;
mod roles;
mod sdk;

pub use api::*;
pub use change::*;
pub use message::*;
pub use protocol::*;
pub use roles::*;
pub use sdk::*;

/// Implements `From` both ways between a field-less protocol/SDK enum and its mirror.
macro_rules! mirror_enum {
    ($mirror:ident <=> $original:path { $($variant:ident),* $(,)? }) => {
        impl From<$original> for $mirror {
            fn from(value: $original) -> Self {
                use $original as O;
                match value { $( O::$variant => $mirror::$variant, )* }
            }
        }
        impl From<$mirror> for $original {
            fn from(value: $mirror) -> Self {
                use $original as O;
                match value { $( $mirror::$variant => O::$variant, )* }
            }
        }
    };
}
pub(crate) use mirror_enum;

/// Converts every item of a vector.
pub(crate) fn map_vec<A, B: From<A>>(items: Vec<A>) -> Vec<B> {
    items.into_iter().map(B::from).collect()
}
