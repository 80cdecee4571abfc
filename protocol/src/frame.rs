//! The envelopes: every WebSocket text frame is one [`ClientFrame`] (client → server) or
//! one [`ServerFrame`] (server → client), tagged by `type`.

use serde::{Deserialize, Serialize};

use crate::{ApiError, Event, Request, Response};

/// A frame sent by a client.
// Frames are short-lived values decoded one at a time; boxing the request would only add an
// allocation and a less direct API.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    /// The first frame of every connection.
    Hello {
        /// The protocol version the client speaks.
        protocol_version: u32,
        /// Client name and version, for logs (e.g. `community-sdk/0.1.0`).
        #[serde(default)]
        client: String,
        /// Compressions the client can read, preferred first (`deflate`, §1); empty: none.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        compression: Vec<String>,
    },
    /// A request; answered by one `response` with the same `id`.
    Request {
        /// Chosen by the client, unique among its requests in flight.
        id: u64,
        /// The operation and its parameters.
        #[serde(flatten)]
        request: Request,
    },
    /// Keeps the connection alive and acknowledges events up to `last_event_seq`.
    Heartbeat {
        /// The last event sequence the client processed.
        #[serde(default)]
        last_event_seq: u64,
    },
}

/// A frame sent by the server.
// A frame is decoded once and moved to its consumer; boxing the large variants would add
// an allocation to every message frame for no saving.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// Answer to `hello`.
    Welcome {
        /// The protocol version the server will speak on this connection.
        protocol_version: u32,
        /// Server name and version.
        server: String,
        /// Send a heartbeat at least this often; the server closes a connection that stays
        /// silent for twice this long.
        heartbeat_interval_ms: u64,
        /// The largest frame the server accepts.
        max_frame_bytes: usize,
        /// The compression the server may use for its large frames on this connection
        /// (one the client offered), absent: none (§1).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        compression: Option<String>,
    },
    /// The answer to one request.
    Response {
        /// The request's `id`.
        id: u64,
        /// Success or a typed error.
        #[serde(flatten)]
        outcome: Outcome,
    },
    /// An event, numbered in this session's event sequence.
    Event {
        /// This session's event sequence: 1, 2, 3… without gaps.
        seq: u64,
        /// The event.
        event: Event,
    },
    /// Answer to a heartbeat.
    HeartbeatAck {
        /// The session's current event sequence.
        event_seq: u64,
    },
    /// An error not tied to a request (a frame that could not be read at all).
    Error {
        /// What went wrong.
        error: ApiError,
    },
    /// The server is about to close the connection.
    Goodbye {
        /// Why.
        reason: GoodbyeReason,
        /// True when the client should reconnect (and resume).
        reconnect: bool,
        /// Details for developers.
        #[serde(default)]
        message: String,
    },
}

/// The outcome of a request: `{"result":{…}}` or `{"error":{…}}`.
// Short-lived like the frames that carry it; see `ClientFrame`.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Success.
    Result(Response),
    /// Failure.
    Error(ApiError),
}

impl From<Result<Response, ApiError>> for Outcome {
    fn from(result: Result<Response, ApiError>) -> Self {
        match result {
            Ok(response) => Outcome::Result(response),
            Err(error) => Outcome::Error(error),
        }
    }
}

impl From<Outcome> for Result<Response, ApiError> {
    fn from(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Result(response) => Ok(response),
            Outcome::Error(error) => Err(error),
        }
    }
}

/// Why the server closes a connection. A client that meets a reason it does not know
/// follows the goodbye's `reconnect` flag.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GoodbyeReason {
    /// The server is shutting down; reconnect (to it or another node) and resume.
    ServerShutdown,
    /// The token expired and was not refreshed; log in again with a new token.
    TokenExpired,
    /// The same user logged in on the same device elsewhere.
    SessionReplaced,
    /// No heartbeat arrived in time.
    HeartbeatTimeout,
    /// The client broke the protocol (e.g. no `hello`, unsupported version).
    ProtocolError,
    /// The client could not keep up with its events; reconnect and resume or sync.
    SlowConsumer,
    /// The client logged out.
    LoggedOut,
    /// The user was removed by the app's backend.
    Kicked,
}

impl GoodbyeReason {
    /// The reason's name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            GoodbyeReason::ServerShutdown => "server_shutdown",
            GoodbyeReason::TokenExpired => "token_expired",
            GoodbyeReason::SessionReplaced => "session_replaced",
            GoodbyeReason::HeartbeatTimeout => "heartbeat_timeout",
            GoodbyeReason::ProtocolError => "protocol_error",
            GoodbyeReason::SlowConsumer => "slow_consumer",
            GoodbyeReason::LoggedOut => "logged_out",
            GoodbyeReason::Kicked => "kicked",
        }
    }
}
