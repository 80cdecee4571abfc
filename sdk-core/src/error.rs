//! [`SdkError`]: every way a call into the SDK can fail, typed all the way to the caller.
//!
//! Server refusals and local fail-fast checks share one variant ([`SdkError::Api`]) with the
//! same [`ErrorCode`] the server would have answered, so an app handles "muted" the same way
//! whether the SDK caught it early or the server did. Everything else is local: no session,
//! the store, the connection, a misused argument. [`SdkError::code`] and
//! [`SdkError::name`] give bindings a stable number and name for every case.

use community_protocol::{ApiError, ErrorCode};

use crate::store::StoreError;

/// Local error codes (outside the protocol's ranges, 10000–10099), returned by
/// [`SdkError::code`]: the one list the bindings, the C header and the docs are checked
/// against.
pub mod codes {
    macro_rules! local_codes {
        ($( $(#[$doc:meta])* $name:ident = $num:literal, $text:literal; )*) => {
            $( $(#[$doc])* pub const $name: u32 = $num; )*

            /// Every local code with its stable name, ascending.
            pub const ALL: &[(u32, &str)] = &[$(($num, $text)),*];

            /// The stable name of a local code.
            pub fn name(code: u32) -> Option<&'static str> {
                match code {
                    $( $num => Some($text), )*
                    _ => None,
                }
            }
        };
    }

    local_codes! {
        /// [`super::ConnectionError::NotConnected`]: nothing was sent; retry once connected.
        NOT_CONNECTED = 10_001, "not_connected";
        /// [`super::SdkError::Store`].
        STORE = 10_002, "store";
        /// [`super::SdkError::Closed`].
        CLOSED = 10_003, "closed";
        /// [`super::SdkError::UnexpectedResponse`].
        UNEXPECTED_RESPONSE = 10_004, "unexpected_response";
        /// [`super::ConnectionError::Lost`]: the request may or may not have been carried out.
        CONNECTION_LOST = 10_005, "connection_lost";
        /// [`super::ConnectionError::Timeout`]: no answer in time; it may have been carried out.
        TIMED_OUT = 10_006, "timed_out";
        /// [`super::ConnectionError::Transport`]: the WebSocket could not be opened or broke.
        TRANSPORT = 10_007, "transport";
    }
}

/// A failure of an SDK call.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SdkError {
    /// The server refused the request, or a local check refused it before it was sent
    /// (same code the server would give).
    #[error("{0}")]
    Api(#[from] ApiError),
    /// There is no session: log in first (also after a terminal disconnect such as an
    /// expired token or a session replaced by another login).
    #[error("not logged in")]
    NotLoggedIn,
    /// The local store failed.
    #[error("local store: {0}")]
    Store(#[from] StoreError),
    /// The request could not be carried out over the connection.
    #[error("connection: {0}")]
    Connection(#[from] ConnectionError),
    /// An argument given to the SDK is unusable (for example an empty server URL).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The client was shut down.
    #[error("the client is closed")]
    Closed,
    /// The server answered with a response of the wrong kind (a protocol mismatch).
    #[error("unexpected response: {0}")]
    UnexpectedResponse(String),
}

/// Why a request could not be carried out over the connection.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectionError {
    /// The client is not connected right now (it reconnects by itself).
    #[error("not connected")]
    NotConnected,
    /// The connection dropped before the answer arrived; the request may or may not have
    /// been carried out.
    #[error("the connection was lost before the answer arrived")]
    Lost,
    /// No answer arrived in time.
    #[error("no answer within {0} ms")]
    Timeout(u64),
    /// The WebSocket could not be opened or broke.
    #[error("transport: {0}")]
    Transport(String),
}

impl ConnectionError {
    /// Its local code: a request that was *not* sent (`not_connected`, `transport`) can be
    /// retried blindly; one whose answer was lost (`connection_lost`, `timed_out`) may have
    /// been carried out.
    pub fn code(&self) -> u32 {
        match self {
            ConnectionError::NotConnected => codes::NOT_CONNECTED,
            ConnectionError::Lost => codes::CONNECTION_LOST,
            ConnectionError::Timeout(_) => codes::TIMED_OUT,
            ConnectionError::Transport(_) => codes::TRANSPORT,
        }
    }

    /// Its stable snake_case name.
    pub fn name(&self) -> &'static str {
        codes::name(self.code()).unwrap_or("unknown")
    }
}

impl SdkError {
    /// A stable number for this error: the protocol code for [`SdkError::Api`],
    /// `2000` (`not_logged_in`) for [`SdkError::NotLoggedIn`], `5018`
    /// (`invalid_argument`) for [`SdkError::InvalidArgument`], and the local codes of
    /// [`codes`] for the rest.
    pub fn code(&self) -> u32 {
        match self {
            SdkError::Api(error) => u32::from(error.code.0),
            SdkError::NotLoggedIn => u32::from(ErrorCode::NOT_LOGGED_IN.0),
            SdkError::InvalidArgument(_) => u32::from(ErrorCode::INVALID_ARGUMENT.0),
            SdkError::Connection(error) => error.code(),
            SdkError::Store(_) => codes::STORE,
            SdkError::Closed => codes::CLOSED,
            SdkError::UnexpectedResponse(_) => codes::UNEXPECTED_RESPONSE,
        }
    }

    /// A stable snake_case name for this error (the protocol's name for API errors).
    pub fn name(&self) -> &'static str {
        let code = self.code();
        codes::name(code)
            .unwrap_or_else(|| u16::try_from(code).map_or("unknown", |code| ErrorCode(code).name()))
    }

    /// The API error, when this is one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            SdkError::Api(error) => Some(error),
            _ => None,
        }
    }

    /// True when retrying later may succeed (connection trouble, a server-side failure).
    pub fn is_transient(&self) -> bool {
        match self {
            SdkError::Connection(_) => true,
            SdkError::Api(error) => error.kind() == community_protocol::ErrorKind::Server,
            _ => false,
        }
    }

    pub(crate) fn unexpected(op: &str, response: &community_protocol::Response) -> Self {
        SdkError::UnexpectedResponse(format!("`{op}` answered with `{}`", response.kind()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_stable() {
        let muted = SdkError::Api(ApiError::new(ErrorCode::MUTED, "muted"));
        assert_eq!((muted.code(), muted.name()), (4004, "muted"));
        assert_eq!(SdkError::NotLoggedIn.code(), 2000);
        let lost = SdkError::Connection(ConnectionError::Lost);
        assert_eq!(
            (lost.code(), lost.name()),
            (codes::CONNECTION_LOST, "connection_lost")
        );
        assert!(lost.is_transient());
        for (error, code, name) in [
            (
                ConnectionError::NotConnected,
                codes::NOT_CONNECTED,
                "not_connected",
            ),
            (ConnectionError::Timeout(5), codes::TIMED_OUT, "timed_out"),
            (
                ConnectionError::Transport("reset".into()),
                codes::TRANSPORT,
                "transport",
            ),
        ] {
            let error = SdkError::Connection(error);
            assert_eq!((error.code(), error.name()), (code, name));
        }
        assert!(!muted.is_transient());
        assert_eq!(muted.api().map(|e| e.code), Some(ErrorCode::MUTED));
    }
}
