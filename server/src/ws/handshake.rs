//! The server's side of the WebSocket opening handshake (RFC 6455 §4.2) on top of an HTTP
//! request: the checks of the upgrade request and the `101 Switching Protocols` answer.
//! No subprotocol and no extension is negotiated.

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use sha1::{Digest, Sha1};

/// The GUID every accept key is derived with (§1.3).
const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// Why a request is not a WebSocket upgrade, answered with an HTTP error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Not a `GET` (405).
    MethodNotGet,
    /// `Connection` does not list `upgrade` (400).
    ConnectionHeader,
    /// `Upgrade` is not `websocket` (400).
    UpgradeHeader,
    /// `Sec-WebSocket-Version` is not 13 (400).
    VersionHeader,
    /// No `Sec-WebSocket-Key` (400).
    KeyMissing,
    /// The connection cannot be upgraded (426).
    NotUpgradable,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (status, text) = match self {
            Self::MethodNotGet => (
                StatusCode::METHOD_NOT_ALLOWED,
                "Request method must be `GET`",
            ),
            Self::ConnectionHeader => (
                StatusCode::BAD_REQUEST,
                "Connection header did not include 'upgrade'",
            ),
            Self::UpgradeHeader => (
                StatusCode::BAD_REQUEST,
                "`Upgrade` header did not include 'websocket'",
            ),
            Self::VersionHeader => (
                StatusCode::BAD_REQUEST,
                "`Sec-WebSocket-Version` header did not include '13'",
            ),
            Self::KeyMissing => (
                StatusCode::BAD_REQUEST,
                "`Sec-WebSocket-Key` header missing",
            ),
            Self::NotUpgradable => (
                StatusCode::UPGRADE_REQUIRED,
                "WebSocket request couldn't be upgraded since no upgrade state was present",
            ),
        };
        (status, text).into_response()
    }
}

/// Checks an upgrade request; returns its `Sec-WebSocket-Key`.
pub(crate) fn check(method: &Method, headers: &HeaderMap) -> Result<HeaderValue, Refusal> {
    if method != Method::GET {
        return Err(Refusal::MethodNotGet);
    }
    if !lists(headers, header::CONNECTION, "upgrade") {
        return Err(Refusal::ConnectionHeader);
    }
    if !lists(headers, header::UPGRADE, "websocket") {
        return Err(Refusal::UpgradeHeader);
    }
    let version = headers.get(header::SEC_WEBSOCKET_VERSION);
    if version.is_none_or(|v| v.as_bytes() != b"13") {
        return Err(Refusal::VersionHeader);
    }
    headers
        .get(header::SEC_WEBSOCKET_KEY)
        .cloned()
        .ok_or(Refusal::KeyMissing)
}

/// True when header `name` lists `token` (case-insensitive, comma-separated).
fn lists(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers.get_all(name).iter().any(|value| {
        value.to_str().is_ok_and(|text| {
            text.split(',')
                .any(|part| part.trim().eq_ignore_ascii_case(token))
        })
    })
}

/// The `Sec-WebSocket-Accept` value for a client's key (§4.2.2).
pub(crate) fn accept_key(key: &[u8]) -> String {
    let mut sha1 = Sha1::new();
    sha1.update(key);
    sha1.update(GUID.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(sha1.finalize())
}

/// The `101 Switching Protocols` answer to a request with `key`.
pub(crate) fn switching(key: &HeaderValue) -> Response {
    let accept = accept_key(key.as_bytes());
    let mut response = StatusCode::SWITCHING_PROTOCOLS.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    if let Ok(value) = HeaderValue::from_str(&accept) {
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_accept_key_matches_the_rfc_example() {
        assert_eq!(
            accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn upgrade_requests_are_checked() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONNECTION,
            HeaderValue::from_static("keep-alive, Upgrade"),
        );
        headers.insert(header::UPGRADE, HeaderValue::from_static("WebSocket"));
        headers.insert(
            header::SEC_WEBSOCKET_VERSION,
            HeaderValue::from_static("13"),
        );
        assert_eq!(check(&Method::GET, &headers), Err(Refusal::KeyMissing));
        headers.insert(header::SEC_WEBSOCKET_KEY, HeaderValue::from_static("abc"));
        assert!(check(&Method::GET, &headers).is_ok());
        assert_eq!(check(&Method::POST, &headers), Err(Refusal::MethodNotGet));
        headers.insert(header::SEC_WEBSOCKET_VERSION, HeaderValue::from_static("8"));
        assert_eq!(check(&Method::GET, &headers), Err(Refusal::VersionHeader));
        headers.insert(header::UPGRADE, HeaderValue::from_static("h2c"));
        assert_eq!(check(&Method::GET, &headers), Err(Refusal::UpgradeHeader));
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        assert_eq!(
            check(&Method::GET, &headers),
            Err(Refusal::ConnectionHeader)
        );
    }
}
