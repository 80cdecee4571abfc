//! Why a client's bytes could not be read as WebSocket messages ([`ReadError`]): the one
//! error type of the frame parser and the codec, mapped by the connection to a close
//! code.

/// Why a client's bytes could not be read as messages. Every one ends the connection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ReadError {
    /// A frame or message over the size limit (closed with 1009).
    #[error("WebSocket message too large")]
    TooLarge,
    /// A text message (or a close reason) that is not UTF-8 (closed with 1007).
    #[error("WebSocket text is not valid UTF-8")]
    InvalidUtf8,
    /// Anything else that breaks RFC 6455 (its description).
    #[error("WebSocket protocol error: {0}")]
    Protocol(&'static str),
}
