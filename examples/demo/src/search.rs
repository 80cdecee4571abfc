//! How search results look: a hit's snippet cut into plain and highlighted segments (the
//! SDK marks matches as byte ranges of the snippet's UTF-8 text), drawn in reverse video
//! by the UI and in brackets in text (`明日[東京]都に…`), where each hit came from, what
//! the server did, and a refused query. Pure helpers: the UI and the headless check draw
//! with the same functions. Also how the headless check picks what to look for: a word of
//! a message and two CJK characters of another.

use community_sdk::protocol::search::{Snippet, is_cjk};
use community_sdk::{HitSource, MessageHit, SdkError, ServerSearch};

use crate::wrap::sanitize;

/// A part of a snippet: its text, and whether it is a match.
pub type Segment = (String, bool);

/// The snippet's text cut at its highlights, in order (an out-of-range or mid-character
/// highlight is clamped to the text's characters; empty segments are left out). Line
/// breaks become spaces and other control characters `�`, as everywhere the UI draws text.
pub fn segments(snippet: &Snippet) -> Vec<Segment> {
    let text = snippet.text.as_str();
    let boundary = |at: u32| {
        let mut at = usize::try_from(at).unwrap_or(usize::MAX).min(text.len());
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        at
    };
    let mut out = Vec::new();
    let mut push = |part: &str, marked: bool| {
        if !part.is_empty() {
            out.push((sanitize(&part.replace(['\n', '\r'], " ")), marked));
        }
    };
    let mut at = 0;
    for highlight in &snippet.highlights {
        let start = boundary(highlight.start).max(at);
        let end = boundary(highlight.end).max(start);
        push(&text[at..start], false);
        push(&text[start..end], true);
        at = end;
    }
    push(&text[at..], false);
    out
}

/// The snippet with its matches in brackets, e.g. `明日[東京]都に行きます`.
pub fn bracketed(snippet: &Snippet) -> String {
    segments(snippet)
        .into_iter()
        .map(|(text, marked)| if marked { format!("[{text}]") } else { text })
        .collect()
}

/// The highlighted texts of a snippet, in order.
pub fn highlighted(snippet: &Snippet) -> Vec<String> {
    segments(snippet)
        .into_iter()
        .filter_map(|(text, marked)| marked.then_some(text))
        .collect()
}

/// Where a hit came from, as the result list says it.
pub fn source_label(source: HitSource) -> &'static str {
    match source {
        HitSource::Local => "local",
        HitSource::Server => "server",
    }
}

/// The heading of a hit: where it is, who wrote it, where it came from, e.g.
/// `#general · Nova Quinn · #42 · server`.
pub fn hit_heading(hit: &MessageHit, place: &str, sender: &str) -> String {
    format!(
        "{place} · {sender} · #{} · {}",
        hit.message.seq,
        source_label(hit.source)
    )
}

/// What the server did, for the result list's title.
pub fn server_label(server: &ServerSearch) -> String {
    match server {
        ServerSearch::NotAsked => "this device only".into(),
        ServerSearch::Answered => "device + server".into(),
        ServerSearch::Failed(error) => {
            format!(
                "device only: the server could not answer ({})",
                error.name()
            )
        }
    }
}

/// A refused search as the result list shows it, e.g.
/// `invalid_search_query (5037): an unclosed quote`.
pub fn error_label(error: &SdkError) -> String {
    let detail = match error.api() {
        Some(api) => api.message.clone(),
        None => error.to_string(),
    };
    format!("{} ({}): {detail}", error.name(), error.code())
}

/// A word of `text` worth searching for: its longest run of ASCII letters, of 5 letters
/// or more (lower-cased).
pub fn word_to_find(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() >= 5)
        .max_by_key(|w| w.len())
        .map(str::to_ascii_lowercase)
}

/// Two characters of a CJK run of `text` (its first two consecutive CJK characters).
pub fn cjk_pair(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    chars
        .windows(2)
        .find(|pair| pair.iter().all(|c| is_cjk(*c)))
        .map(|pair| pair.iter().collect())
}

#[cfg(test)]
mod tests {
    use community_sdk::protocol::search::Highlight;
    use community_sdk::protocol::{ApiError, ErrorCode};

    use super::*;

    fn snippet(text: &str, ranges: &[(u32, u32)]) -> Snippet {
        Snippet {
            text: text.into(),
            highlights: ranges
                .iter()
                .map(|&(start, end)| Highlight { start, end })
                .collect(),
        }
    }

    #[test]
    fn byte_ranges_mark_the_right_characters_cjk_and_emoji_too() {
        let tokyo = snippet("明日東京都に行きます", &[(6, 12)]);
        assert_eq!(bracketed(&tokyo), "明日[東京]都に行きます");
        assert_eq!(highlighted(&tokyo), vec!["東京"]);
        let mixed = snippet("👍 Raid at 8, raid!", &[(5, 9), (16, 20)]);
        assert_eq!(bracketed(&mixed), "👍 [Raid] at 8, [raid]!");
        assert_eq!(
            segments(&mixed),
            vec![
                ("👍 ".to_string(), false),
                ("Raid".to_string(), true),
                (" at 8, ".to_string(), false),
                ("raid".to_string(), true),
                ("!".to_string(), false),
            ]
        );
    }

    #[test]
    fn bad_ranges_never_split_a_character_or_panic() {
        // Inside 東 (bytes 6..9: nothing marked), past the end, backwards.
        let odd = snippet("明日東京", &[(7, 8), (9, 99), (3, 1)]);
        assert_eq!(bracketed(&odd), "明日東[京]");
        assert_eq!(bracketed(&snippet("", &[(0, 4)])), "");
        assert_eq!(bracketed(&snippet("a\nb", &[])), "a b");
    }

    #[test]
    fn labels_say_where_hits_came_from_and_why_a_query_was_refused() {
        assert_eq!(source_label(HitSource::Server), "server");
        assert_eq!(server_label(&ServerSearch::Answered), "device + server");
        let refused: SdkError =
            ApiError::new(ErrorCode::INVALID_SEARCH_QUERY, "an unclosed quote").into();
        assert_eq!(
            error_label(&refused),
            "invalid_search_query (5037): an unclosed quote"
        );
        assert!(
            server_label(&ServerSearch::Failed(refused)).contains("invalid_search_query"),
            "named"
        );
    }

    #[test]
    fn what_the_headless_check_looks_for() {
        assert_eq!(
            word_to_find("the soundtrack of this season is great").as_deref(),
            Some("soundtrack")
        );
        assert_eq!(word_to_find("lol, gg"), None);
        assert_eq!(cjk_pair("明日東京都に行きます").as_deref(), Some("明日"));
        assert_eq!(cjk_pair("see you at 東京").as_deref(), Some("東京"));
        assert_eq!(cjk_pair("東 x"), None);
    }
}
