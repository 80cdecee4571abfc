//! Opaque page cursors. A cursor is the keyset position of the last item of a page
//! (a time — `joined_at_ms`, or a thread's or conversation's `last_activity_ms` — and an
//! id), tagged with the list it belongs to and base64url-encoded, so clients cannot depend
//! on its shape and garbage is refused with `INVALID_CURSOR`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use community_protocol::{ApiError, ErrorCode, TimestampMs};

/// Which paged list a cursor belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CursorKind {
    /// `list_members`.
    Members,
    /// `list_joined_communities`.
    Joined,
    /// `list_threads`.
    Threads,
    /// `list_joined_threads`.
    JoinedThreads,
    /// `list_conversations`.
    Conversations,
    /// The admin API's list of every community (by id; `at_ms` unused).
    Communities,
}

impl CursorKind {
    fn tag(self) -> &'static str {
        match self {
            CursorKind::Members => "m1",
            CursorKind::Joined => "j1",
            CursorKind::Threads => "t1",
            CursorKind::JoinedThreads => "jt1",
            CursorKind::Conversations => "cv1",
            CursorKind::Communities => "ac1",
        }
    }
}

/// A keyset position: items strictly after `(at_ms, id)` come next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Position {
    /// The sort time of the last item seen.
    pub at_ms: TimestampMs,
    /// The id of the last item seen (the tie-breaker).
    pub id: String,
}

/// Encodes a position as an opaque cursor.
pub(crate) fn encode(kind: CursorKind, position: &Position) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{}:{}", kind.tag(), position.at_ms, position.id))
}

/// Decodes a cursor of `kind`; anything else is `INVALID_CURSOR`.
pub(crate) fn decode(kind: CursorKind, cursor: &str) -> Result<Position, ApiError> {
    let invalid = || {
        ApiError::new(
            ErrorCode::INVALID_CURSOR,
            "the cursor is not one this server issued for this list",
        )
    };
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let mut parts = text.splitn(3, ':');
    let (Some(tag), Some(at), Some(id)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(invalid());
    };
    if tag != kind.tag() || id.is_empty() {
        return Err(invalid());
    }
    let at_ms = at.parse().map_err(|_| invalid())?;
    Ok(Position {
        at_ms,
        id: id.to_owned(),
    })
}

/// Decodes the cursor of a paged request, if it has one.
pub(crate) fn decode_optional(
    kind: CursorKind,
    cursor: Option<&str>,
) -> Result<Option<Position>, ApiError> {
    cursor.map(|cursor| decode(kind, cursor)).transpose()
}

/// Cuts rows fetched with `limit + 1` (the extra row only says that more exist) to one
/// page, and returns it with the cursor of the next page, if there is one.
pub(crate) fn cut_page<T>(
    mut rows: Vec<T>,
    limit: u32,
    kind: CursorKind,
    position_of: impl Fn(&T) -> Position,
) -> (Vec<T>, Option<String>) {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let has_more = rows.len() > limit;
    rows.truncate(limit);
    let next_cursor = match (has_more, rows.last()) {
        (true, Some(last)) => Some(encode(kind, &position_of(last))),
        _ => None,
    };
    (rows, next_cursor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_garbage() {
        let position = Position {
            at_ms: 42,
            id: "a:b".into(),
        };
        let cursor = encode(CursorKind::Members, &position);
        assert_eq!(decode(CursorKind::Members, &cursor).unwrap(), position);
        assert_eq!(
            decode(CursorKind::Joined, &cursor).unwrap_err().code,
            ErrorCode::INVALID_CURSOR
        );
        assert_eq!(decode_optional(CursorKind::Members, None).unwrap(), None);
        for garbage in ["", "!!!", "bTE6eDp5", &URL_SAFE_NO_PAD.encode("m1:12:")] {
            assert_eq!(
                decode(CursorKind::Members, garbage).unwrap_err().code,
                ErrorCode::INVALID_CURSOR
            );
        }
    }

    #[test]
    fn pages_are_cut_with_a_cursor_only_when_more_exist() {
        let position = |n: &i64| Position {
            at_ms: *n,
            id: n.to_string(),
        };
        let (page, next) = cut_page(vec![1, 2, 3], 2, CursorKind::Joined, position);
        assert_eq!(page, vec![1, 2]);
        let next = decode(CursorKind::Joined, &next.unwrap()).unwrap();
        assert_eq!(next, position(&2));
        let (page, next) = cut_page(vec![1, 2], 2, CursorKind::Joined, position);
        assert_eq!((page, next), (vec![1, 2], None));
    }
}
