//! Shared by the integration tests: the names of every frame type, response kind and event
//! kind, kept as explicit lists and checked two ways against the types themselves:
//!
//! - the `*_name` functions match on every variant with no wildcard, so adding a variant
//!   does not compile until it is named here (and the tests then require its name in the
//!   list and an example in `docs/PROTOCOL.md`);
//! - [`serde_variants`] reads the variant names serde itself knows (from the error for an
//!   unknown tag), so a list that misses or misspells a name fails at run time.
#![allow(dead_code)]

pub mod large_samples;
pub mod people_samples;
pub mod samples;
pub mod search_samples;
pub mod thread_samples;

use community_protocol::{ClientFrame, Event, GoodbyeReason, Response, ServerFrame};
use serde::de::DeserializeOwned;

/// Every `type` of a client frame.
pub const CLIENT_FRAME_TYPES: &[&str] = &["hello", "request", "heartbeat"];

/// Every `type` of a server frame.
pub const SERVER_FRAME_TYPES: &[&str] = &[
    "welcome",
    "response",
    "event",
    "heartbeat_ack",
    "error",
    "goodbye",
];

/// Every `kind` of a response result.
pub const RESPONSE_KINDS: &[&str] = &[
    "ok",
    "logged_in",
    "token_refreshed",
    "synced",
    "community",
    "join_pending",
    "community_info",
    "communities",
    "users",
    "join_requests",
    "attributes",
    "members",
    "member",
    "channel",
    "channel_members",
    "category",
    "message_sent",
    "messages",
    "read_state",
    "heads",
    "changed",
    "changes",
    "group",
    "groups",
    "bans",
    "thread",
    "threads",
    "thread_joined",
    "profile",
    "profiles",
    "conversation",
    "conversations",
    "blocked",
    "presences",
    "viewing",
    "voice",
    "search_results",
    "channel_matches",
    "community_matches",
    "focused",
    "member_list",
];

/// Every `kind` of an event (the crate's own list, checked against serde's names).
pub const EVENT_KINDS: &[&str] = community_protocol::event::KNOWN_KINDS;

/// Every goodbye `reason`.
pub const GOODBYE_REASONS: &[&str] = &[
    "server_shutdown",
    "token_expired",
    "session_replaced",
    "heartbeat_timeout",
    "protocol_error",
    "slow_consumer",
    "logged_out",
    "kicked",
];

/// The `type` of a client frame. No wildcard: a new frame type must be named here.
pub fn client_frame_type(frame: &ClientFrame) -> &'static str {
    match frame {
        ClientFrame::Hello { .. } => "hello",
        ClientFrame::Request { .. } => "request",
        ClientFrame::Heartbeat { .. } => "heartbeat",
    }
}

/// The `type` of a server frame. No wildcard: a new frame type must be named here.
pub fn server_frame_type(frame: &ServerFrame) -> &'static str {
    match frame {
        ServerFrame::Welcome { .. } => "welcome",
        ServerFrame::Response { .. } => "response",
        ServerFrame::Event { .. } => "event",
        ServerFrame::HeartbeatAck { .. } => "heartbeat_ack",
        ServerFrame::Error { .. } => "error",
        ServerFrame::Goodbye { .. } => "goodbye",
    }
}

/// The `kind` of a response (exhaustive inside the protocol crate).
pub fn response_kind(response: &Response) -> &'static str {
    response.kind()
}

/// The `kind` of an event (exhaustive inside the protocol crate, where a new kind must be
/// named).
pub fn event_kind(event: &Event) -> &'static str {
    event.kind()
}

/// The wire name of a goodbye reason.
pub fn goodbye_reason_name(reason: GoodbyeReason) -> &'static str {
    reason.name()
}

/// The variant names serde knows for `T`, read from the error it gives for an unknown
/// variant. `probe` is a JSON text naming the variant `"\u0000"` (e.g.
/// `{"kind":"\u0000"}` for an internally tagged enum, `"\u0000"` for a plain one).
pub fn serde_variants<T: DeserializeOwned + std::fmt::Debug>(probe: &str) -> Vec<String> {
    let error = serde_json::from_str::<T>(probe)
        .expect_err("the probe names no variant")
        .to_string();
    let (_, expected) = error
        .split_once("expected one of ")
        .unwrap_or_else(|| panic!("not an unknown-variant error: {error}"));
    let expected = expected.split(" at line ").next().unwrap_or(expected);
    expected
        .split(", ")
        .map(|name| name.trim_matches('`').to_owned())
        .collect()
}

/// `names` as owned strings, to compare with [`serde_variants`].
pub fn owned(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| (*name).to_owned()).collect()
}
