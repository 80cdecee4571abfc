//! Snippets: the excerpt of a found message shown in a result list, with the query's
//! matches marked as byte ranges of the excerpt (so every UI can draw them its own way).
//! Computed on the message's own text, not on the index's tokens.

use serde::{Deserialize, Serialize};

use super::query::{SearchQuery, Term};
use super::text::{Piece, is_cjk, pieces};

/// A marked match: bytes `start..end` of [`Snippet::text`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Highlight {
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

/// An excerpt with its matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Snippet {
    /// The excerpt (`…` marks text cut at either end).
    pub text: String,
    /// The matches in it, in order, not overlapping.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub highlights: Vec<Highlight>,
}

/// What to look for in the text: lower-cased characters, and whether the match must end
/// at a word's end (a whole word) or may go on (a prefix, a CJK run).
struct Needle {
    chars: Vec<char>,
    whole_word: bool,
}

fn needles(query: &SearchQuery) -> Vec<Needle> {
    let prefixes: Vec<&str> = query
        .terms()
        .iter()
        .filter_map(|t| match t {
            Term::Prefix(p) => Some(p.as_str()),
            Term::Phrase(_) => None,
        })
        .collect();
    let mut out = Vec::new();
    for word in query.words() {
        for piece in pieces(word) {
            match piece {
                Piece::Word(w) => out.push(Needle {
                    whole_word: !prefixes.contains(&w.as_str()),
                    chars: w.chars().collect(),
                }),
                Piece::Cjk(run) => out.push(Needle {
                    chars: run,
                    whole_word: false,
                }),
            }
        }
    }
    out
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() && !is_cjk(c)
}

/// The excerpt of `text` of at most `max_chars` characters around the first match of
/// `query`, with every match in it marked.
pub fn snippet(text: &str, query: &SearchQuery, max_chars: usize) -> Snippet {
    // One lower-cased character per original character (the first of its lower case),
    // with the original's byte range.
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let lower: Vec<char> = chars
        .iter()
        .map(|(_, c)| c.to_lowercase().next().unwrap_or(*c))
        .collect();
    let mut found: Vec<(usize, usize)> = Vec::new(); // char ranges
    for needle in needles(query) {
        let n = needle.chars.len();
        if n == 0 || n > lower.len() {
            continue;
        }
        for start in 0..=lower.len() - n {
            if lower[start..start + n] != needle.chars[..] {
                continue;
            }
            let first_is_word = is_word_char(needle.chars[0]);
            if first_is_word && start > 0 && is_word_char(lower[start - 1]) {
                continue;
            }
            if needle.whole_word && start + n < lower.len() && is_word_char(lower[start + n]) {
                continue;
            }
            found.push((start, start + n));
        }
    }
    found.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (s, e) in found {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    // The window, in characters.
    let total = chars.len();
    let (from, to) = if total <= max_chars {
        (0, total)
    } else {
        let first = merged.first().map_or(0, |m| m.0);
        let from = first.saturating_sub(max_chars / 3).min(total - max_chars);
        (from, from + max_chars)
    };
    let byte = |i: usize| chars.get(i).map_or(text.len(), |(b, _)| *b);
    let mut out = String::new();
    if from > 0 {
        out.push('…');
    }
    let base = out.len();
    out.push_str(&text[byte(from)..byte(to)]);
    let highlights = merged
        .into_iter()
        .filter(|(s, e)| *s >= from && *e <= to)
        .map(|(s, e)| Highlight {
            start: u32::try_from(base + byte(s) - byte(from)).unwrap_or(u32::MAX),
            end: u32::try_from(base + byte(e) - byte(from)).unwrap_or(u32::MAX),
        })
        .collect();
    if to < total {
        out.push('…');
    }
    Snippet {
        text: out,
        highlights,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limits;

    fn marked(text: &str, query: &str, max: usize) -> String {
        let query = SearchQuery::parse(query, &Limits::default()).unwrap();
        let snippet = snippet(text, &query, max);
        let mut out = String::new();
        let mut at = 0;
        for h in &snippet.highlights {
            out.push_str(&snippet.text[at..h.start as usize]);
            out.push('[');
            out.push_str(&snippet.text[h.start as usize..h.end as usize]);
            out.push(']');
            at = h.end as usize;
        }
        out.push_str(&snippet.text[at..]);
        out
    }

    #[test]
    fn whole_words_prefixes_and_cjk_substrings_are_marked() {
        assert_eq!(
            marked("Raid raiders RAID", "raid", 100),
            "[Raid] raiders [RAID]"
        );
        assert_eq!(marked("Raid raiders", "raid*", 100), "[Raid] [raid]ers");
        assert_eq!(
            marked("明日東京都に行く", "東京", 100),
            "明日[東京]都に行く"
        );
        assert_eq!(
            marked("meet at nine sharp", "\"at nine\"", 100),
            "meet [at] [nine] sharp"
        );
    }

    #[test]
    fn long_texts_are_cut_around_the_first_match() {
        let text = format!("{} needle {}", "a ".repeat(100), "b ".repeat(100));
        let cut = marked(&text, "needle", 30);
        assert!(cut.starts_with('…') && cut.ends_with('…'), "{cut}");
        assert!(cut.contains("[needle]"));
        assert!(cut.chars().count() <= 30 + 2 + 2);
    }
}
