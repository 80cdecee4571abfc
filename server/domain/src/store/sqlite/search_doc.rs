//! What one message is in the search index: its body (the protocol's index text of its
//! searchable content), its filter tags, and its position (time-ordered), plus the SQL
//! functions the schema migrations call to compute the first two. Shared by the queries
//! (`search`) and the indexer that keeps the index up to date (`indexer`).

use community_protocol::search::{index_text, indexable_text};
use community_protocol::{MessageContent, TimestampMs};
use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;

/// Index positions are `created_at_ms << POSITION_SHIFT` plus a rank in the millisecond.
const POSITION_SHIFT: u32 = 20;

/// The largest time an index position can hold (2^43 - 1 ms: the year 2248); the schema's
/// triggers clamp to the same bound.
pub(super) const MAX_POSITION_MS: i64 = (1 << 43) - 1;

/// The searchable body of a stored content (JSON): the protocol's index text of its
/// indexable text; `None` when there is nothing to find (recalled, system, unsupported,
/// only punctuation) or the JSON is not a content.
pub(crate) fn search_body(content_json: &str) -> Option<String> {
    let content: MessageContent = serde_json::from_str(content_json).ok()?;
    let body = index_text(indexable_text(&content)?);
    (!body.is_empty()).then_some(body)
}

/// One filter token: `kind` and the id's bytes in lower-case hex.
pub(super) fn tag(kind: char, id: &str) -> String {
    let mut out = String::with_capacity(1 + 2 * id.len());
    out.push(kind);
    for byte in id.bytes() {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// The `tags` of a message.
pub(super) fn tags(community_id: &str, channel_id: &str, sender_id: &str) -> String {
    format!(
        "{} {} {}",
        tag('k', community_id),
        tag('s', channel_id),
        tag('u', sender_id)
    )
}

/// Registers the functions the schema migration calls.
pub(super) fn register_functions(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("search_text", 1, flags, |ctx| {
        Ok(ctx
            .get::<Option<String>>(0)?
            .and_then(|json| search_body(&json)))
    })?;
    conn.create_scalar_function("search_tags", 3, flags, |ctx| {
        Ok(tags(
            &ctx.get::<String>(0)?,
            &ctx.get::<String>(1)?,
            &ctx.get::<String>(2)?,
        ))
    })
}

/// The index position of the first message of millisecond `ms` (clamped as the schema
/// does).
pub(super) fn position_of(ms: TimestampMs) -> i64 {
    ms.clamp(0, MAX_POSITION_MS) << POSITION_SHIFT
}
