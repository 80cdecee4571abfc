//! [`SdkError`]: the one error type every binding sees, typed all the way to the caller.
//!
//! Each variant is a *kind* of failure (so Kotlin can `catch (e: SdkException.Limit)`,
//! Swift can `catch SdkError.Limit`, Python can `except SdkError.Limit`), and every variant
//! carries the same three fields: the stable numeric `code`, its snake_case `name` and a
//! `detail` message for developers. (The field is not called `message` because that would
//! clash with Kotlin's `Throwable.message`.) The C ABI returns the same codes.
//!
//! Codes: the protocol's [`ErrorCode`] numbers (1000–9999, kind from the range), and
//! SDK-local codes from 10000 up: 10000–10099 come from `community-sdk`
//! ([`community_sdk::SdkError::code`]), 10100–10199 from the bindings themselves ([`codes`]).

use community_protocol::{ErrorCode, ErrorKind as WireKind};
use serde::{Deserialize, Serialize};

/// Codes the bindings add (SDK-local range 10100–10199), and the SDK core's local codes
/// (10000–10099, from their one list, `community_sdk::codes`).
pub mod codes {
    pub use community_sdk::codes::*;

    /// A panic inside the SDK was caught at the boundary (a bug: please report it).
    pub const INTERNAL: u32 = 10_100;
    /// A blocking C call was made from an SDK runtime thread.
    pub const WRONG_THREAD: u32 = 10_101;
    /// An invalid argument (the protocol's `invalid_argument`).
    pub const INVALID_ARGUMENT: u32 = 5018;

    /// The codes the bindings add, with their names.
    pub const BINDINGS: &[(u32, &str)] =
        &[(INTERNAL, "internal_panic"), (WRONG_THREAD, "wrong_thread")];
}

/// What kind of failure an error is: the protocol's kinds plus the SDK-local ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// 1000–1999, or a protocol mismatch (10004): the frame or response was wrong.
    Protocol,
    /// 2000–2999: login, tokens, sessions (also "not logged in").
    Auth,
    /// 3000–3999: the thing does not exist, or already exists.
    NotFound,
    /// 4000–4999: the caller may not do this.
    Permission,
    /// 5000–5999: a limit was exceeded or an argument is invalid.
    Limit,
    /// 9000–9999: the server failed or is going away; retry later.
    Server,
    /// 10001, 10005–10007: the request could not be carried over the connection (not
    /// connected, answer lost, timed out, transport failure); retry later.
    Connection,
    /// 10002: the local cache failed.
    Store,
    /// 10003: the client was closed.
    Closed,
    /// 10100–10199: a failure of the bindings (a caught panic, a call from the wrong thread).
    Internal,
    /// A code this version does not know (from a newer server).
    Unknown,
}

impl ErrorKind {
    /// The kind of a numeric code.
    pub fn of_code(code: u32) -> ErrorKind {
        if code < 10_000 {
            let wire = u16::try_from(code).map(ErrorCode).map(ErrorCode::kind);
            return match wire {
                Ok(WireKind::Protocol) => ErrorKind::Protocol,
                Ok(WireKind::Auth) => ErrorKind::Auth,
                Ok(WireKind::NotFound) => ErrorKind::NotFound,
                Ok(WireKind::Permission) => ErrorKind::Permission,
                Ok(WireKind::Limit) => ErrorKind::Limit,
                Ok(WireKind::Server) => ErrorKind::Server,
                Ok(_) | Err(_) => ErrorKind::Unknown,
            };
        }
        match code {
            codes::NOT_CONNECTED | codes::CONNECTION_LOST | codes::TIMED_OUT | codes::TRANSPORT => {
                ErrorKind::Connection
            }
            codes::STORE => ErrorKind::Store,
            codes::CLOSED => ErrorKind::Closed,
            codes::UNEXPECTED_RESPONSE => ErrorKind::Protocol,
            10_100..=10_199 => ErrorKind::Internal,
            _ => ErrorKind::Unknown,
        }
    }
}

/// The stable snake_case name of a code: the protocol's names, then the SDK core's local
/// codes, then the bindings' own.
pub fn code_name(code: u32) -> &'static str {
    if let Some(name) = codes::name(code) {
        return name;
    }
    if let Some((_, name)) = codes::BINDINGS.iter().find(|(c, _)| *c == code) {
        return name;
    }
    u16::try_from(code)
        .map(|c| ErrorCode(c).name())
        .unwrap_or("unknown")
}

/// A failed SDK call. The variant is the kind; every variant carries `code`, `name` and
/// `detail`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
#[allow(missing_docs)] // the fields are documented once, on the enum
pub enum SdkError {
    /// The frame or a response was wrong (1000–1999, 10004).
    #[error("{name} ({code}): {detail}")]
    Protocol {
        code: u32,
        name: String,
        detail: String,
    },
    /// Login, token or session (2000–2999).
    #[error("{name} ({code}): {detail}")]
    Auth {
        code: u32,
        name: String,
        detail: String,
    },
    /// Not found, or already exists (3000–3999).
    #[error("{name} ({code}): {detail}")]
    NotFound {
        code: u32,
        name: String,
        detail: String,
    },
    /// Not allowed (4000–4999).
    #[error("{name} ({code}): {detail}")]
    Permission {
        code: u32,
        name: String,
        detail: String,
    },
    /// A limit was exceeded or an argument is invalid (5000–5999).
    #[error("{name} ({code}): {detail}")]
    Limit {
        code: u32,
        name: String,
        detail: String,
    },
    /// The server failed or is going away (9000–9999).
    #[error("{name} ({code}): {detail}")]
    Server {
        code: u32,
        name: String,
        detail: String,
    },
    /// The connection could not carry the request (10001, 10005–10007).
    #[error("{name} ({code}): {detail}")]
    Connection {
        code: u32,
        name: String,
        detail: String,
    },
    /// The local cache failed (10002).
    #[error("{name} ({code}): {detail}")]
    Store {
        code: u32,
        name: String,
        detail: String,
    },
    /// The client was closed (10003).
    #[error("{name} ({code}): {detail}")]
    Closed {
        code: u32,
        name: String,
        detail: String,
    },
    /// A failure of the bindings (10100–10199).
    #[error("{name} ({code}): {detail}")]
    Internal {
        code: u32,
        name: String,
        detail: String,
    },
    /// A code this version does not know.
    #[error("{name} ({code}): {detail}")]
    Unknown {
        code: u32,
        name: String,
        detail: String,
    },
}

/// The JSON form of an error (what the C ABI's `csdk_last_error` returns).
#[derive(Debug, Clone, Serialize)]
pub struct ErrorJson<'a> {
    /// The numeric code.
    pub code: u32,
    /// Its name.
    pub name: &'a str,
    /// Its kind.
    pub kind: ErrorKind,
    /// Details for developers.
    pub detail: &'a str,
}

impl SdkError {
    /// An error from its code (the kind and name follow from it) and a detail text.
    pub fn new(code: u32, detail: impl Into<String>) -> SdkError {
        SdkError::with_name(code, code_name(code), detail)
    }

    fn with_name(code: u32, name: &str, detail: impl Into<String>) -> SdkError {
        let (name, detail) = (name.to_owned(), detail.into());
        match ErrorKind::of_code(code) {
            ErrorKind::Protocol => SdkError::Protocol { code, name, detail },
            ErrorKind::Auth => SdkError::Auth { code, name, detail },
            ErrorKind::NotFound => SdkError::NotFound { code, name, detail },
            ErrorKind::Permission => SdkError::Permission { code, name, detail },
            ErrorKind::Limit => SdkError::Limit { code, name, detail },
            ErrorKind::Server => SdkError::Server { code, name, detail },
            ErrorKind::Connection => SdkError::Connection { code, name, detail },
            ErrorKind::Store => SdkError::Store { code, name, detail },
            ErrorKind::Closed => SdkError::Closed { code, name, detail },
            ErrorKind::Internal => SdkError::Internal { code, name, detail },
            ErrorKind::Unknown => SdkError::Unknown { code, name, detail },
        }
    }

    /// A caught panic or a runtime failure.
    pub fn internal(detail: impl Into<String>) -> SdkError {
        SdkError::new(codes::INTERNAL, detail)
    }

    /// A blocking call from a runtime thread.
    pub fn wrong_thread() -> SdkError {
        SdkError::new(
            codes::WRONG_THREAD,
            "blocking SDK calls are not allowed on an SDK runtime thread",
        )
    }

    /// An unusable argument (`invalid_argument`, 5018).
    pub fn invalid_argument(detail: impl Into<String>) -> SdkError {
        SdkError::new(codes::INVALID_ARGUMENT, detail)
    }

    fn parts(&self) -> (u32, &str, &str) {
        match self {
            SdkError::Protocol { code, name, detail }
            | SdkError::Auth { code, name, detail }
            | SdkError::NotFound { code, name, detail }
            | SdkError::Permission { code, name, detail }
            | SdkError::Limit { code, name, detail }
            | SdkError::Server { code, name, detail }
            | SdkError::Connection { code, name, detail }
            | SdkError::Store { code, name, detail }
            | SdkError::Closed { code, name, detail }
            | SdkError::Internal { code, name, detail }
            | SdkError::Unknown { code, name, detail } => (*code, name, detail),
        }
    }

    /// The JSON form.
    pub fn to_json(&self) -> ErrorJson<'_> {
        let (code, name, detail) = self.parts();
        ErrorJson {
            code,
            name,
            kind: self.kind(),
            detail,
        }
    }
}

impl SdkError {
    /// The stable numeric code (the protocol's, or an SDK-local one ≥ 10000). In Kotlin,
    /// Swift and Python it is the `code` field of every variant.
    pub fn code(&self) -> u32 {
        self.parts().0
    }

    /// The code's stable snake_case name, e.g. `name_too_long` (the `name` field).
    pub fn name(&self) -> String {
        self.parts().1.to_owned()
    }

    /// Details for developers, English (the `detail` field).
    pub fn detail(&self) -> String {
        self.parts().2.to_owned()
    }
}

// Only `kind` is exported as a method: methods named like the fields would be shadowed by
// them in Python (`error.code` is the field there).
#[uniffi::export]
impl SdkError {
    /// The kind of failure (the same as the variant).
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::of_code(self.code())
    }
}

impl From<community_sdk::SdkError> for SdkError {
    fn from(error: community_sdk::SdkError) -> SdkError {
        let detail = match &error {
            community_sdk::SdkError::Api(api) => api.message.clone(),
            other => other.to_string(),
        };
        SdkError::with_name(error.code(), error.name(), detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use community_protocol::ApiError;

    #[test]
    fn sdk_errors_keep_code_name_kind_and_detail() {
        let api =
            community_sdk::SdkError::Api(ApiError::new(ErrorCode::NAME_TOO_LONG, "301 > 300"));
        let error = SdkError::from(api);
        assert!(matches!(error, SdkError::Limit { code: 5000, .. }));
        assert_eq!(
            (error.name().as_str(), error.detail().as_str()),
            ("name_too_long", "301 > 300")
        );
        assert_eq!(error.kind(), ErrorKind::Limit);

        let closed = SdkError::from(community_sdk::SdkError::Closed);
        assert_eq!(
            (closed.code(), closed.kind()),
            (codes::CLOSED, ErrorKind::Closed)
        );
        assert_eq!(
            SdkError::from(community_sdk::SdkError::NotLoggedIn).kind(),
            ErrorKind::Auth
        );
        let unexpected = community_sdk::SdkError::UnexpectedResponse("x".into());
        assert_eq!(unexpected.code(), codes::UNEXPECTED_RESPONSE);
        let store = SdkError::from(community_sdk::SdkError::Store(
            community_sdk::store::StoreError::Closed,
        ));
        assert_eq!(store.code(), codes::STORE);
        assert_eq!(SdkError::new(7777, "x").kind(), ErrorKind::Unknown);
        assert_eq!(SdkError::wrong_thread().kind(), ErrorKind::Internal);
        let json = serde_json::to_string(&error.to_json()).unwrap();
        assert!(json.contains(r#""kind":"limit""#), "{json}");
    }

    /// The kind each SDK error must map to. The match is exhaustive on purpose: a new
    /// variant in `community-sdk` does not compile here until it is mapped and tested.
    fn expected_kind(error: &community_sdk::SdkError) -> ErrorKind {
        use community_sdk::SdkError as Core;
        match error {
            Core::Api(api) => ErrorKind::of_code(u32::from(api.code.0)),
            Core::NotLoggedIn => ErrorKind::Auth,
            Core::Store(_) => ErrorKind::Store,
            Core::Connection(_) => ErrorKind::Connection,
            Core::InvalidArgument(_) => ErrorKind::Limit,
            Core::Closed => ErrorKind::Closed,
            Core::UnexpectedResponse(_) => ErrorKind::Protocol,
            _ => ErrorKind::Unknown,
        }
    }

    #[test]
    fn every_sdk_error_variant_keeps_its_code_name_kind_and_detail() {
        use community_sdk::{ConnectionError, SdkError as Core};
        let all = [
            Core::Api(ApiError::new(ErrorCode::MUTED, "muted until 5")),
            Core::Api(ApiError::new(ErrorCode::STORAGE, "disk")),
            Core::NotLoggedIn,
            Core::Store(community_sdk::store::StoreError::Closed),
            Core::Connection(ConnectionError::Lost),
            Core::Connection(ConnectionError::Timeout(15_000)),
            Core::Connection(ConnectionError::NotConnected),
            Core::Connection(ConnectionError::Transport("reset".into())),
            Core::InvalidArgument("empty url".into()),
            Core::Closed,
            Core::UnexpectedResponse("pong".into()),
        ];
        for core in all {
            let mapped = SdkError::from(core.clone());
            assert_eq!(mapped.code(), core.code(), "{core:?}");
            assert_eq!(mapped.name(), core.name(), "{core:?}");
            assert_eq!(mapped.kind(), expected_kind(&core), "{core:?}");
            assert_ne!(mapped.kind(), ErrorKind::Unknown, "{core:?}");
            let detail = mapped.detail();
            match core.api() {
                Some(api) => assert_eq!(detail, api.message),
                None => assert_eq!(detail, core.to_string()),
            }
        }
    }
}
