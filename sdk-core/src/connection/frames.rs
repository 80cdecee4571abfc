//! Tolerant decoding of server frames (protocol §2): an event of an unknown kind is
//! skipped but its `seq` still counts, and a `goodbye` with an unknown reason is followed
//! by its `reconnect` flag. Everything goes through `community_protocol::codec` first.

use community_protocol::{ServerFrame, codec};
use serde_json::Value;

/// A frame as the connection task sees it.
#[derive(Debug)]
pub(crate) enum Incoming {
    /// A frame this SDK understands.
    Frame(Box<ServerFrame>),
    /// An event this SDK cannot decode (a newer kind): count its sequence, skip it.
    UnknownEvent { seq: u64 },
    /// A goodbye with a reason this SDK does not know.
    UnknownGoodbye { reconnect: bool, message: String },
    /// Not a frame at all.
    Unreadable(String),
}

/// Decodes one text frame.
pub(crate) fn decode(text: &str) -> Incoming {
    let error = match codec::decode_server(text) {
        Ok(frame) => return Incoming::Frame(Box::new(frame)),
        Err(error) => error,
    };
    let Ok(value) = serde_json::from_str::<Value>(text) else {
        return Incoming::Unreadable(error.to_string());
    };
    match value.get("type").and_then(Value::as_str) {
        Some("event") => match value.get("seq").and_then(Value::as_u64) {
            Some(seq) => Incoming::UnknownEvent { seq },
            None => Incoming::Unreadable(error.to_string()),
        },
        Some("goodbye") => Incoming::UnknownGoodbye {
            reconnect: value
                .get("reconnect")
                .and_then(Value::as_bool)
                .unwrap_or(true),
            message: value
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        },
        _ => Incoming::Unreadable(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_kinds_keep_their_sequence_and_flags() {
        assert!(matches!(
            decode(r#"{"type":"event","seq":9,"event":{"kind":"from_the_future","x":1}}"#),
            Incoming::UnknownEvent { seq: 9 }
        ));
        assert!(matches!(
            decode(r#"{"type":"goodbye","reason":"moon_phase","reconnect":false}"#),
            Incoming::UnknownGoodbye {
                reconnect: false,
                ..
            }
        ));
        assert!(matches!(decode("nope"), Incoming::Unreadable(_)));
        assert!(matches!(
            decode(r#"{"type":"heartbeat_ack","event_seq":3}"#),
            Incoming::Frame(_)
        ));
    }
}
