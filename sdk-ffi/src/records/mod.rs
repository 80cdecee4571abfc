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
mod member_list;
mod message;
mod people;
mod protocol;
mod push;
mod roles;
mod sdk;
mod search;
mod thread;

pub use api::*;
pub use change::*;
pub use member_list::*;
pub use message::*;
pub use people::*;
pub use protocol::*;
pub use push::*;
pub use roles::*;
pub use sdk::*;
pub use search::*;
pub use thread::*;

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

/// Declares the mirror of a `community_sdk::ListDiff` of some item, and its conversion.
macro_rules! list_diff {
    ($(#[$doc:meta])* $name:ident of $item:ident = $original:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, uniffi::Enum)]
        #[serde(tag = "type", rename_all = "snake_case")]
        pub enum $name {
            /// The whole list (first value of a subscription, or after a full resync).
            Reset {
                /// Every item.
                items: Vec<$item>,
            },
            /// A new item.
            Insert {
                /// The item.
                item: $item,
            },
            /// An item changed.
            Update {
                /// The new value.
                item: $item,
            },
            /// The item with this id is gone.
            Remove {
                /// Its id.
                id: String,
            },
        }

        impl From<community_sdk::ListDiff<$original>> for $name {
            fn from(v: community_sdk::ListDiff<$original>) -> Self {
                match v {
                    community_sdk::ListDiff::Reset(items) => Self::Reset { items: $crate::records::map_vec(items) },
                    community_sdk::ListDiff::Insert(item) => Self::Insert { item: item.into() },
                    community_sdk::ListDiff::Update(item) => Self::Update { item: item.into() },
                    community_sdk::ListDiff::Remove(id) => Self::Remove { id },
                }
            }
        }
    };
}
pub(crate) use list_diff;

/// Converts every item of a vector.
pub(crate) fn map_vec<A, B: From<A>>(items: Vec<A>) -> Vec<B> {
    items.into_iter().map(B::from).collect()
}
