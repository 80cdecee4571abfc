//! Wire protocol v1 of the Community SDK: every frame that travels between an SDK client
//! and `community-server`, as serde types, plus the one codec that turns them into text.
//!
//! The crate owns the *contract* and nothing else: no I/O, no storage, no policy. Both the
//! SDK (`community-sdk`) and the server (`community-server`) depend on it, never on each
//! other. The full description, with a JSON example of every frame, is `docs/PROTOCOL.md`.
//!
//! Layout:
//! - [`frame`]: the envelopes ([`ClientFrame`], [`ServerFrame`]).
//! - [`request`]: every operation a client can ask for, and its parameters.
//! - [`response`]: the successful results of requests.
//! - [`event`]: what the server pushes on its own.
//! - [`ids`]: typed ids ([`CommunityId`], [`ChannelId`], [`UserId`], [`CategoryId`]).
//! - [`model`]: the data records shared by the three above.
//! - [`primitives`]: sequence numbers, times, roles and channel kinds the records share.
//! - [`message`]: messages, their reactions, pins, reply previews and origins.
//! - [`change`]: changes to existing messages, numbered per channel.
//! - [`people`]: profiles, conversations (in the reserved community `@me`), presence,
//!   typing and voice state.
//! - [`thread`]: threads, the third level, and the digest their first message shows.
//! - [`focus`]: the place a session shows, which picks a large community's fast path.
//! - [`member_list`]: the lazy member list: followed ranges and their operations.
//! - [`push`]: push tokens a device registers for offline pushes.
//! - [`search`]: the search query language, the text an index holds, snippets, and the
//!   search operations' records.
//! - [`permissions`]: flags, permission groups, overrides, and the one computation of
//!   effective permissions (used by the server to enforce, by the SDK to fail fast).
//! - [`error`]: numeric error codes in documented ranges, and [`ApiError`].
//! - [`limits`]: the default limits of PRODUCT.md, shared so the SDK can fail fast.
//! - [`codec`]: JSON text encoding and classified decoding errors.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod change;
pub mod codec;
pub mod error;
pub mod event;
pub mod focus;
pub mod frame;
pub mod ids;
pub mod limits;
pub mod member_list;
pub mod message;
pub mod model;
pub mod people;
pub mod permissions;
pub mod primitives;
pub mod push;
pub mod request;
pub mod response;
pub mod search;
pub mod thread;

pub use codec::CodecError;
pub use error::{ApiError, ErrorCode, ErrorKind};
pub use event::Event;
pub use frame::{ClientFrame, GoodbyeReason, ServerFrame};
pub use limits::Limits;
pub use model::*;
pub use people::{
    ConversationInfo, ConversationKind, DmPolicy, Presence, PresenceStatus, Profile,
    VoiceParticipant,
};
pub use permissions::{Group, Override, OverrideTarget, Permissions};
pub use request::{JoinAnswer, Operation, Request, op};
pub use response::Response;
pub use thread::{DigestLast, ThreadDigest, ThreadInfo};

/// The protocol version this crate speaks. A client announces it in its `hello`; a server
/// that cannot speak it answers `unsupported_version` and closes.
pub const PROTOCOL_VERSION: u32 = 1;
