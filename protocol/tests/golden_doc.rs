//! `docs/PROTOCOL.md` is part of the contract: every JSON example in it must be a complete
//! frame that the real codec decodes and re-encodes to the same JSON, every frame type,
//! operation, response kind, event kind and goodbye reason must have an example, and the
//! error-code and limits tables must match the code.

mod common;

use std::collections::BTreeSet;

use common::*;
use community_protocol::codec::{self, DEFAULT_MAX_FRAME_BYTES};
use community_protocol::frame::Outcome;
use community_protocol::limits::{ID_BYTES, IDEMPOTENCY_KEY_BYTES};
use community_protocol::{
    ClientFrame, ErrorCode, Event, GoodbyeReason, Limits, MessageContent, PROTOCOL_VERSION,
    Request, Response, ServerFrame,
};
use serde_json::Value;

fn doc() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/PROTOCOL.md");
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// One ```json block: the line it starts on (1-based) and its text.
struct Block {
    line: usize,
    text: String,
}

fn json_blocks(doc: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut current: Option<Block> = None;
    for (index, line) in doc.lines().enumerate() {
        match current.as_mut() {
            None if line.trim_end() == "```json" => {
                current = Some(Block {
                    line: index + 1,
                    text: String::new(),
                });
            }
            None => {}
            Some(_) if line.trim_end() == "```" => blocks.extend(current.take()),
            Some(block) => {
                block.text.push_str(line);
                block.text.push('\n');
            }
        }
    }
    assert!(current.is_none(), "a ```json block is not closed");
    blocks
}

/// What the examples of the document cover.
#[derive(Default)]
struct Coverage {
    frame_types: BTreeSet<String>,
    ops: BTreeSet<String>,
    response_kinds: BTreeSet<String>,
    event_kinds: BTreeSet<String>,
    goodbye_reasons: BTreeSet<String>,
    error_responses: usize,
    unknown_error_codes: usize,
}

fn parse(text: &str, line: usize) -> Value {
    serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("block at line {line}: not one JSON value: {e}"))
}

/// Decodes one example with the codec, re-encodes it, compares, and records what it shows.
fn check_block(block: &Block, coverage: &mut Coverage) {
    let line = block.line;
    let original = parse(&block.text, line);
    let frame_type = original
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("block at line {line}: a frame needs a string `type`"))
        .to_owned();
    let reencoded = if CLIENT_FRAME_TYPES.contains(&frame_type.as_str()) {
        let frame = codec::decode_client(&block.text, usize::MAX).unwrap_or_else(|e| {
            panic!("block at line {line}: client frame does not decode: {e:?}")
        });
        assert_eq!(
            client_frame_type(&frame),
            frame_type,
            "block at line {line}"
        );
        match &frame {
            ClientFrame::Request { request, .. } => {
                assert_eq!(
                    Some(request.op()),
                    original.get("op").and_then(Value::as_str),
                    "line {line}"
                );
                coverage.ops.insert(request.op().to_owned());
            }
            ClientFrame::Hello {
                protocol_version, ..
            } => {
                assert_eq!(
                    *protocol_version, PROTOCOL_VERSION,
                    "hello at line {line} names another version"
                );
            }
            ClientFrame::Heartbeat { .. } => {}
        }
        codec::encode_client(&frame).unwrap_or_else(|e| panic!("line {line}: {e}"))
    } else {
        let frame = codec::decode_server(&block.text).unwrap_or_else(|e| {
            panic!("block at line {line}: server frame does not decode: {e:?}")
        });
        assert_eq!(
            server_frame_type(&frame),
            frame_type,
            "block at line {line}"
        );
        match &frame {
            ServerFrame::Response {
                outcome: Outcome::Result(response),
                ..
            } => {
                let kind = response_kind(response);
                assert_eq!(
                    Some(kind),
                    original["result"].get("kind").and_then(Value::as_str),
                    "line {line}"
                );
                coverage.response_kinds.insert(kind.to_owned());
            }
            ServerFrame::Response {
                outcome: Outcome::Error(error),
                ..
            } => {
                coverage.error_responses += 1;
                if !ErrorCode::ALL.contains(&error.code) {
                    coverage.unknown_error_codes += 1;
                }
            }
            ServerFrame::Event { seq, event } => {
                let kind = event_kind(event);
                assert_eq!(
                    Some(kind),
                    original["event"].get("kind").and_then(Value::as_str),
                    "line {line}"
                );
                coverage.event_kinds.insert(kind.to_owned());
                // The shared-bytes path of the server yields the same frame.
                let body =
                    codec::encode_event(event).unwrap_or_else(|e| panic!("line {line}: {e}"));
                assert_eq!(
                    parse(&codec::event_frame(*seq, &body), line),
                    original,
                    "event_frame at line {line}"
                );
            }
            ServerFrame::Goodbye { reason, .. } => {
                coverage
                    .goodbye_reasons
                    .insert(goodbye_reason_name(*reason).to_owned());
            }
            ServerFrame::Welcome {
                protocol_version,
                max_frame_bytes,
                ..
            } => {
                assert_eq!(
                    *protocol_version, PROTOCOL_VERSION,
                    "welcome at line {line}"
                );
                assert_eq!(
                    *max_frame_bytes, DEFAULT_MAX_FRAME_BYTES,
                    "welcome at line {line}"
                );
            }
            ServerFrame::HeartbeatAck { .. } | ServerFrame::Error { .. } => {}
        }
        codec::encode_server(&frame).unwrap_or_else(|e| panic!("line {line}: {e}"))
    };
    assert_eq!(
        parse(&reencoded, line),
        original,
        "block at line {line} is not exact: decoding and re-encoding it gives\n{reencoded}"
    );
    coverage.frame_types.insert(frame_type);
}

fn coverage() -> Coverage {
    let doc = doc();
    let blocks = json_blocks(&doc);
    assert!(
        blocks.len() > 80,
        "only {} JSON examples found",
        blocks.len()
    );
    let mut coverage = Coverage::default();
    for block in &blocks {
        check_block(block, &mut coverage);
    }
    coverage
}

fn assert_all_covered(what: &str, expected: &[&str], covered: &BTreeSet<String>) {
    let missing: Vec<_> = expected
        .iter()
        .filter(|name| !covered.contains(**name))
        .collect();
    assert!(
        missing.is_empty(),
        "{what} without an example in docs/PROTOCOL.md: {missing:?}"
    );
    let unknown: Vec<_> = covered
        .iter()
        .filter(|name| !expected.contains(&name.as_str()))
        .collect();
    assert!(
        unknown.is_empty(),
        "{what} in the examples but not in the test's list: {unknown:?}"
    );
}

#[test]
fn every_example_is_an_exact_frame() {
    // Decoding, re-encoding and comparing happens in `check_block` for every block.
    let coverage = coverage();
    assert!(
        coverage.error_responses >= 2,
        "need error response examples"
    );
    assert!(
        coverage.unknown_error_codes >= 1,
        "need an example of an unknown error code being kept"
    );
}

#[test]
fn every_frame_type_op_kind_and_reason_has_an_example() {
    let coverage = coverage();
    let frame_types: Vec<&str> = CLIENT_FRAME_TYPES
        .iter()
        .chain(SERVER_FRAME_TYPES)
        .copied()
        .collect();
    assert_all_covered("frame types", &frame_types, &coverage.frame_types);
    assert_all_covered("operations", Request::OPS, &coverage.ops);
    assert_all_covered("response kinds", RESPONSE_KINDS, &coverage.response_kinds);
    assert_all_covered("event kinds", EVENT_KINDS, &coverage.event_kinds);
    assert!(
        !coverage.goodbye_reasons.is_empty(),
        "need a goodbye example"
    );
}

#[test]
fn the_test_lists_name_every_variant() {
    assert_eq!(
        serde_variants::<ClientFrame>(r#"{"type":"\u0000"}"#),
        owned(CLIENT_FRAME_TYPES)
    );
    assert_eq!(
        serde_variants::<ServerFrame>(r#"{"type":"\u0000"}"#),
        owned(SERVER_FRAME_TYPES)
    );
    assert_eq!(
        serde_variants::<Response>(r#"{"kind":"\u0000"}"#),
        owned(RESPONSE_KINDS)
    );
    assert_eq!(
        serde_variants::<Event>(r#"{"kind":"\u0000"}"#),
        owned(EVENT_KINDS)
    );
    assert_eq!(
        serde_variants::<GoodbyeReason>(r#""\u0000""#),
        owned(GOODBYE_REASONS)
    );
    assert_eq!(
        serde_variants::<Request>(r#"{"op":"\u0000","params":{}}"#),
        owned(Request::OPS)
    );
}

#[test]
fn every_goodbye_reason_and_message_content_type_is_documented() {
    let doc = doc();
    for reason in GOODBYE_REASONS {
        assert!(
            doc.contains(&format!("\n| `{reason}` |")),
            "goodbye reason `{reason}` missing from the table"
        );
    }
    for content_type in MessageContent::KNOWN_TYPES {
        assert!(
            doc.contains(&format!(r#""content":{{"type":"{content_type}""#)),
            "no example of a `{content_type}` message"
        );
    }
}

/// Rows of a Markdown table whose first cell parses as a number: (cells).
fn numbered_rows(doc: &str) -> Vec<Vec<String>> {
    doc.lines()
        .filter(|line| line.starts_with('|'))
        .map(|line| {
            line.trim_matches('|')
                .split(" | ")
                .map(|cell| cell.trim().to_owned())
                .collect::<Vec<_>>()
        })
        .filter(|cells| {
            cells
                .first()
                .is_some_and(|cell| cell.parse::<u16>().is_ok())
        })
        .collect()
}

#[test]
fn error_table_lists_every_code_exactly() {
    let doc = doc();
    let rows = numbered_rows(&doc);
    for code in ErrorCode::ALL {
        let kind = serde_json::to_value(code.kind()).expect("kinds serialize");
        let kind = kind.as_str().expect("kinds are strings");
        let row = rows
            .iter()
            .find(|cells| cells[0] == code.0.to_string())
            .unwrap_or_else(|| panic!("error {code} has no row in the error table"));
        assert_eq!(
            row.get(1).map(String::as_str),
            Some(format!("`{}`", code.name()).as_str()),
            "row of {code}"
        );
        assert_eq!(
            row.get(2).map(String::as_str),
            Some(kind),
            "kind column of {code}"
        );
        assert!(
            row.get(3).is_some_and(|meaning| !meaning.is_empty()),
            "meaning of {code}"
        );
    }
    for row in &rows {
        let number: u16 = row[0].parse().expect("filtered on numbers");
        assert!(
            ErrorCode::ALL.contains(&ErrorCode(number)),
            "the error table lists unknown code {number}"
        );
    }
    assert_eq!(
        rows.len(),
        ErrorCode::ALL.len(),
        "duplicate rows in the error table"
    );
}

#[test]
fn limits_table_shows_the_defaults() {
    let doc = doc();
    let defaults = serde_json::to_value(Limits::default()).expect("limits serialize");
    let defaults = defaults.as_object().expect("limits are an object");
    for (field, value) in defaults {
        let row = format!("\n| `{field}` | {value} |");
        assert!(
            doc.contains(&row),
            "limits table: expected a row starting `{}`",
            row.trim()
        );
    }
    assert!(doc.contains(&format!(
        "| 1–{IDEMPOTENCY_KEY_BYTES} bytes | `invalid_idempotency_key` |"
    )));
    assert!(doc.contains(&format!(
        "| 1–{ID_BYTES} bytes | `invalid_user_id`, `invalid_community_id` |"
    )));
    assert!(doc.contains(&format!(
        "| {DEFAULT_MAX_FRAME_BYTES} bytes | `frame_too_large` |"
    )));
}
