//! The one place frames become text and text becomes frames (JSON in v1), and where a
//! negotiated compression turns a large frame's text into a binary message and back
//! (`deflate`, PROTOCOL.md §1).
//!
//! Decoding classifies what is wrong with a bad frame, so the server can answer with the
//! right code (and the request's `id` when it could be read) instead of dropping the
//! connection.

use std::io::{Read, Write};

use serde_json::Value;

use crate::{ApiError, ClientFrame, ErrorCode, Event, Request, ServerFrame};

/// Default largest frame a server accepts, in bytes (a 12 KB text message with its
/// envelope fits many times over).
pub const DEFAULT_MAX_FRAME_BYTES: usize = 64 * 1024;

/// The one compression of v1: each compressed frame is a binary WebSocket message holding
/// its JSON text as raw DEFLATE (RFC 1951), with no context shared between messages.
pub const COMPRESSION_DEFLATE: &str = "deflate";

/// Frames at least this long are compressed by default once `deflate` was agreed
/// (community-server: `compress_min_bytes`).
pub const DEFAULT_COMPRESS_MIN_BYTES: usize = 16 * 1024;

/// The largest text a client inflates from one compressed frame; a larger one is a
/// protocol error (it guards against a frame that inflates without bound).
pub const MAX_INFLATED_BYTES: usize = 256 * 1024 * 1024;

/// Compresses a frame's text for a connection that agreed on `deflate`.
pub fn deflate(text: &str) -> Vec<u8> {
    let mut encoder = flate2::write::DeflateEncoder::new(
        Vec::with_capacity(text.len() / 6 + 64),
        flate2::Compression::new(6),
    );
    // Writing into a Vec cannot fail (an empty result would tell the caller to send text).
    encoder
        .write_all(text.as_bytes())
        .and_then(|()| encoder.finish())
        .unwrap_or_default()
}

/// Inflates a compressed frame back to its text: at most `max_bytes` (else a
/// `frame_too_large` error), valid DEFLATE and UTF-8 (else `bad_frame`).
pub fn inflate(bytes: &[u8], max_bytes: usize) -> Result<String, CodecError> {
    let mut text = Vec::with_capacity(bytes.len().saturating_mul(8).min(max_bytes));
    let limit = u64::try_from(max_bytes)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    flate2::read::DeflateDecoder::new(bytes)
        .take(limit)
        .read_to_end(&mut text)
        .map_err(|e| CodecError::new(None, ErrorCode::BAD_FRAME, format!("bad deflate: {e}")))?;
    if text.len() > max_bytes {
        return Err(CodecError::new(
            None,
            ErrorCode::FRAME_TOO_LARGE,
            format!("a compressed frame inflates beyond {max_bytes} bytes"),
        ));
    }
    String::from_utf8(text).map_err(|_| {
        CodecError::new(
            None,
            ErrorCode::BAD_FRAME,
            "a compressed frame is not UTF-8",
        )
    })
}

/// A frame that could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}")]
pub struct CodecError {
    /// The request's `id`, when the frame was a request whose id could be read.
    pub request_id: Option<u64>,
    /// What is wrong, as a protocol error (1000–1999).
    pub error: ApiError,
}

impl CodecError {
    fn new(request_id: Option<u64>, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            request_id,
            error: ApiError::new(code, message),
        }
    }
}

/// Encodes a client frame.
pub fn encode_client(frame: &ClientFrame) -> Result<String, CodecError> {
    serde_json::to_string(frame)
        .map_err(|e| CodecError::new(None, ErrorCode::INTERNAL, e.to_string()))
}

/// Encodes a server frame.
pub fn encode_server(frame: &ServerFrame) -> Result<String, CodecError> {
    serde_json::to_string(frame)
        .map_err(|e| CodecError::new(None, ErrorCode::INTERNAL, e.to_string()))
}

/// Encodes an event's body once, so the same bytes can be handed to every recipient;
/// [`event_frame`] wraps them with each session's own sequence.
pub fn encode_event(event: &Event) -> Result<String, CodecError> {
    serde_json::to_string(event)
        .map_err(|e| CodecError::new(None, ErrorCode::INTERNAL, e.to_string()))
}

/// Builds the text of an `event` frame from a sequence and a body made by [`encode_event`].
/// The result decodes to `ServerFrame::Event { seq, event }`.
pub fn event_frame(seq: u64, encoded_event: &str) -> String {
    let mut text = String::with_capacity(encoded_event.len() + 40);
    text.push_str(r#"{"type":"event","seq":"#);
    text.push_str(&seq.to_string());
    text.push_str(r#","event":"#);
    text.push_str(encoded_event);
    text.push('}');
    text
}

/// Decodes a server frame (used by clients).
pub fn decode_server(text: &str) -> Result<ServerFrame, CodecError> {
    serde_json::from_str(text)
        .map_err(|e| CodecError::new(None, ErrorCode::BAD_FRAME, e.to_string()))
}

/// A server frame as a client reads it. Everything a client needs to stay in step with a
/// newer server or a damaged stream is told apart here, so clients have one decoder.
// Short-lived like the frames it carries; see `ClientFrame`.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// A frame of this protocol version.
    Frame(ServerFrame),
    /// An event whose `kind` this client does not know (from a newer server): skip it,
    /// but count its sequence (see `docs/PROTOCOL.md`, versioning).
    UnknownEvent {
        /// The event's sequence in the session.
        seq: u64,
        /// The unknown kind, for logs.
        kind: String,
    },
    /// An event of a kind this client knows whose body does not decode (a damaged frame
    /// or a server bug). Its sequence counts, but the state it carried is lost: the
    /// client must re-sync to recover it.
    MalformedEvent {
        /// The event's sequence in the session.
        seq: u64,
        /// Its kind.
        kind: String,
        /// Why it did not decode.
        error: String,
    },
    /// A `goodbye` with a reason this client does not know: follow its `reconnect` flag.
    UnknownGoodbye {
        /// Whether the server asks the client to come back.
        reconnect: bool,
        /// Details for developers.
        message: String,
    },
}

/// Decodes a server frame the forward-compatible way (used by clients): see [`Incoming`].
/// Only text that is not a server frame at all is an error.
pub fn decode_incoming(text: &str) -> Result<Incoming, CodecError> {
    let error = match decode_server(text) {
        Ok(frame) => return Ok(Incoming::Frame(frame)),
        Err(error) => error,
    };
    let value: Value = serde_json::from_str(text).map_err(|_| error.clone())?;
    match value.get("type").and_then(Value::as_str) {
        Some("event") => {
            let seq = value
                .get("seq")
                .and_then(Value::as_u64)
                .ok_or(error.clone())?;
            let kind = value
                .get("event")
                .and_then(|event| event.get("kind"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            if crate::event::KNOWN_KINDS.contains(&kind.as_str()) {
                Ok(Incoming::MalformedEvent {
                    seq,
                    kind,
                    error: error.error.message,
                })
            } else {
                Ok(Incoming::UnknownEvent { seq, kind })
            }
        }
        Some("goodbye") => Ok(Incoming::UnknownGoodbye {
            reconnect: value
                .get("reconnect")
                .and_then(Value::as_bool)
                .unwrap_or(true),
            message: value
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        }),
        _ => Err(error),
    }
}

/// Decodes a client frame (used by the server), classifying failures: too large, not JSON,
/// unknown `type` or `op`, wrong parameters. A request's `id` is reported whenever it can be
/// read, so the error can be answered as that request's response.
pub fn decode_client(text: &str, max_frame_bytes: usize) -> Result<ClientFrame, CodecError> {
    if text.len() > max_frame_bytes {
        return Err(CodecError::new(
            None,
            ErrorCode::FRAME_TOO_LARGE,
            format!("frame of {} bytes exceeds {max_frame_bytes}", text.len()),
        ));
    }
    let value: Value = serde_json::from_str(text)
        .map_err(|e| CodecError::new(None, ErrorCode::BAD_FRAME, format!("invalid JSON: {e}")))?;
    let Some(object) = value.as_object() else {
        return Err(CodecError::new(
            None,
            ErrorCode::BAD_FRAME,
            "a frame must be a JSON object",
        ));
    };
    let frame_type = object
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let request_id = if frame_type == "request" {
        Some(object.get("id").and_then(Value::as_u64).ok_or_else(|| {
            CodecError::new(
                None,
                ErrorCode::INVALID_PARAMS,
                "a request needs an unsigned integer `id`",
            )
        })?)
    } else {
        None
    };
    match frame_type {
        "hello" | "heartbeat" => {}
        "request" => {
            let op = object.get("op").and_then(Value::as_str).unwrap_or_default();
            if !Request::OPS.contains(&op) {
                return Err(CodecError::new(
                    request_id,
                    ErrorCode::UNKNOWN_OP,
                    format!("unknown op `{op}`"),
                ));
            }
        }
        other => {
            return Err(CodecError::new(
                None,
                ErrorCode::UNKNOWN_OP,
                format!("unknown frame type `{other}`"),
            ));
        }
    }
    serde_json::from_value(value)
        .map_err(|e| CodecError::new(request_id, ErrorCode::INVALID_PARAMS, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{Empty, Login};

    #[test]
    fn request_frames_are_flat() {
        let frame = ClientFrame::Request {
            id: 7,
            request: Request::Logout(Empty {}),
        };
        let text = encode_client(&frame).unwrap();
        assert_eq!(
            text,
            r#"{"type":"request","id":7,"op":"logout","params":{}}"#
        );
        assert_eq!(decode_client(&text, 1024).unwrap(), frame);
    }

    #[test]
    fn bad_frames_are_classified() {
        let code = |text: &str| decode_client(text, 200).unwrap_err();
        assert_eq!(code("{nope").error.code, ErrorCode::BAD_FRAME);
        assert_eq!(code("[1,2]").error.code, ErrorCode::BAD_FRAME);
        assert_eq!(
            code(r#"{"type":"shout"}"#).error.code,
            ErrorCode::UNKNOWN_OP
        );
        let unknown = code(r#"{"type":"request","id":3,"op":"fly","params":{}}"#);
        assert_eq!(
            (unknown.request_id, unknown.error.code),
            (Some(3), ErrorCode::UNKNOWN_OP)
        );
        let wrong = code(r#"{"type":"request","id":4,"op":"login","params":{"user_id":5}}"#);
        assert_eq!(
            (wrong.request_id, wrong.error.code),
            (Some(4), ErrorCode::INVALID_PARAMS)
        );
        assert_eq!(
            code(&format!("\"{}\"", "x".repeat(300))).error.code,
            ErrorCode::FRAME_TOO_LARGE
        );
        assert_eq!(
            code(r#"{"type":"request","op":"logout"}"#).error.code,
            ErrorCode::INVALID_PARAMS
        );
    }

    #[test]
    fn login_decodes_with_defaults() {
        let frame = decode_client(
            r#"{"type":"request","id":1,"op":"login","params":{"user_id":"a","token":"t"}}"#,
            1024,
        )
        .unwrap();
        let ClientFrame::Request {
            request: Request::Login(Login {
                device_id, resume, ..
            }),
            ..
        } = frame
        else {
            panic!("not a login: {frame:?}");
        };
        assert_eq!((device_id.as_str(), resume), ("", None));
    }

    #[test]
    fn unknown_event_kinds_are_skipped_with_their_seq() {
        let text = r#"{"type":"event","seq":8,"event":{"kind":"hologram_beamed","x":1}}"#;
        assert_eq!(
            decode_incoming(text).unwrap(),
            Incoming::UnknownEvent {
                seq: 8,
                kind: "hologram_beamed".into()
            }
        );
        let broken = r#"{"type":"event","seq":9,"event":{"kind":"message_created"}}"#;
        assert!(matches!(
            decode_incoming(broken).unwrap(),
            Incoming::MalformedEvent { seq: 9, ref kind, .. } if kind == "message_created"
        ));
        let goodbye = r#"{"type":"goodbye","reason":"moon_phase","reconnect":false}"#;
        assert!(matches!(
            decode_incoming(goodbye).unwrap(),
            Incoming::UnknownGoodbye {
                reconnect: false,
                ..
            }
        ));
        assert_eq!(
            decode_incoming("nope").unwrap_err().error.code,
            ErrorCode::BAD_FRAME
        );
        let seqless = r#"{"type":"event","event":{"kind":"message_created"}}"#;
        assert!(decode_incoming(seqless).is_err());
    }

    #[test]
    fn unknown_content_types_and_channel_kinds_from_a_newer_server_decode() {
        let content: crate::MessageContent =
            serde_json::from_str(r#"{"type":"poll","question":"?"}"#).unwrap();
        assert_eq!(content, crate::MessageContent::Unsupported);
        let kind: crate::ChannelKind = serde_json::from_str(r#""forum""#).unwrap();
        assert_eq!(kind, crate::ChannelKind::Unknown);
    }

    #[test]
    fn event_frames_wrap_shared_bytes() {
        let event = Event::NotificationChanged {
            community_id: "c".into(),
            status: crate::NotificationStatus::DoNotDisturb,
        };
        let body = encode_event(&event).unwrap();
        let decoded = decode_server(&event_frame(42, &body)).unwrap();
        assert_eq!(decoded, ServerFrame::Event { seq: 42, event });
    }
}

#[cfg(test)]
mod response_tests {
    use super::*;
    use crate::Response;
    use crate::frame::Outcome;

    #[test]
    fn responses_round_trip_with_result_or_error() {
        for outcome in [
            Outcome::Result(Response::Ok),
            Outcome::Result(Response::TokenRefreshed(crate::response::TokenRefreshed {
                expires_at_ms: 5,
            })),
            Outcome::Error(ApiError::new(ErrorCode::MUTED, "muted until 12:00")),
        ] {
            let frame = ServerFrame::Response { id: 9, outcome };
            let text = encode_server(&frame).unwrap();
            assert_eq!(decode_server(&text).unwrap(), frame, "{text}");
        }
        let text = encode_server(&ServerFrame::Response {
            id: 1,
            outcome: Outcome::Result(Response::Ok),
        })
        .unwrap();
        assert_eq!(text, r#"{"type":"response","id":1,"result":{"kind":"ok"}}"#);
    }
}

#[cfg(test)]
mod compression_tests {
    use super::*;

    #[test]
    fn deflate_round_trips_and_shrinks_repetitive_json() {
        let text: String = (0..2_000)
            .map(|i| format!(r#"{{"channel_id":"ch_{i:05}","unread_count":{i},"read_seq":0}},"#))
            .collect();
        let packed = deflate(&text);
        assert!(
            packed.len() * 5 < text.len(),
            "{} of {}",
            packed.len(),
            text.len()
        );
        assert_eq!(inflate(&packed, text.len()).unwrap(), text);
    }

    #[test]
    fn inflating_past_the_cap_or_garbage_is_a_typed_error() {
        let text = "x".repeat(100_000);
        let packed = deflate(&text);
        let error = inflate(&packed, 99_999).unwrap_err();
        assert_eq!(error.error.code, ErrorCode::FRAME_TOO_LARGE);
        let error = inflate(&[0xff, 0x00, 0x13, 0x37], 1_000).unwrap_err();
        assert_eq!(error.error.code, ErrorCode::BAD_FRAME);
        let error = inflate(&deflate_bytes(&[0xc3, 0x28]), 1_000).unwrap_err();
        assert_eq!(error.error.code, ErrorCode::BAD_FRAME);
    }

    fn deflate_bytes(bytes: &[u8]) -> Vec<u8> {
        let mut encoder =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }
}
