//! Builders for the server frames the reader queues (responses, errors, acks, welcome).
//! Encoding these records cannot realistically fail; if it ever does, a hand-written
//! `internal` error frame goes out instead, so a request is never left unanswered.

use community_protocol::frame::Outcome;
use community_protocol::{ApiError, ErrorCode, Response, ServerFrame, codec};

fn encode(frame: &ServerFrame, id: Option<u64>) -> String {
    codec::encode_server(frame).unwrap_or_else(|error| {
        tracing::error!(%error, "frame could not be encoded");
        let error = r#"{"code":9000,"message":"the server could not encode its answer"}"#;
        match id {
            Some(id) => format!(r#"{{"type":"response","id":{id},"error":{error}}}"#),
            None => format!(r#"{{"type":"error","error":{error}}}"#),
        }
    })
}

/// The response to request `id`.
pub(crate) fn response(id: u64, outcome: Result<Response, ApiError>) -> String {
    encode(
        &ServerFrame::Response {
            id,
            outcome: Outcome::from(outcome),
        },
        Some(id),
    )
}

/// An error not tied to a request.
pub(crate) fn error(error: ApiError) -> String {
    encode(&ServerFrame::Error { error }, None)
}

/// An error frame with a code and message.
pub(crate) fn error_code(code: ErrorCode, message: impl Into<String>) -> String {
    error(ApiError::new(code, message))
}

/// The answer to a heartbeat.
pub(crate) fn heartbeat_ack(event_seq: u64) -> String {
    encode(&ServerFrame::HeartbeatAck { event_seq }, None)
}

/// The answer to `hello`.
pub(crate) fn welcome(
    heartbeat_interval_ms: u64,
    max_frame_bytes: usize,
    compression: Option<String>,
) -> String {
    encode(
        &ServerFrame::Welcome {
            protocol_version: community_protocol::PROTOCOL_VERSION,
            server: concat!("community-server/", env!("CARGO_PKG_VERSION")).to_owned(),
            heartbeat_interval_ms,
            max_frame_bytes,
            compression,
        },
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_decode_as_server_frames() {
        let ok = codec::decode_server(&response(3, Ok(Response::Ok))).unwrap();
        assert_eq!(
            ok,
            ServerFrame::Response {
                id: 3,
                outcome: Outcome::Result(Response::Ok)
            }
        );
        let err = codec::decode_server(&error_code(ErrorCode::BAD_FRAME, "x")).unwrap();
        assert!(matches!(err, ServerFrame::Error { error } if error.code == ErrorCode::BAD_FRAME));
        let ack = codec::decode_server(&heartbeat_ack(9)).unwrap();
        assert_eq!(ack, ServerFrame::HeartbeatAck { event_seq: 9 });
        let welcome = codec::decode_server(&welcome(1000, 64, None)).unwrap();
        assert!(matches!(
            welcome,
            ServerFrame::Welcome {
                protocol_version: 1,
                ..
            }
        ));
    }
}
