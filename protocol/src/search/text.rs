//! What a search index holds for a message, and how text is cut into index tokens — the
//! same cut for messages and for queries.
//!
//! Words are runs of letters and digits (as SQLite's `unicode61` tokenizer cuts them),
//! lower-cased. Scripts written without spaces (Han, Hiragana, Katakana, Hangul) are cut
//! into overlapping bigrams, plus the run's last character alone: "東京都" is indexed as
//! `東京 京都 都`, so a query of two characters or more is the phrase of its bigrams, and
//! one character is a prefix (it starts a bigram or ends the run). This is the CJK
//! bigram scheme of Lucene's `CJKBigramFilter`, chosen over SQLite's `trigram` tokenizer
//! because two-character words are the common case in Chinese and Japanese and trigrams
//! cannot find them.

use crate::message::MessageContent;

/// A piece of text: a word, or a run of characters of a script without spaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    /// A lower-cased word.
    Word(String),
    /// A run of CJK characters.
    Cjk(Vec<char>),
}

/// True for characters of scripts written without spaces between words.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // Hiragana, Katakana
        | 0x31F0..=0x31FF    // Katakana phonetic extensions
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xF900..=0xFAFF    // CJK compatibility ideographs
        | 0xFF66..=0xFF9F    // half-width Katakana
        | 0x1100..=0x11FF    // Hangul Jamo
        | 0x3130..=0x318F    // Hangul compatibility Jamo
        | 0xAC00..=0xD7AF    // Hangul syllables
        | 0x20000..=0x2FA1F  // CJK extensions B–F, compatibility supplement
    )
}

/// Cuts `text` into words and CJK runs; everything else separates them.
pub(crate) fn pieces(text: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut run: Vec<char> = Vec::new();
    for c in text.chars() {
        if is_cjk(c) {
            if !word.is_empty() {
                out.push(Piece::Word(std::mem::take(&mut word)));
            }
            run.push(c);
        } else if c.is_alphanumeric() {
            if !run.is_empty() {
                out.push(Piece::Cjk(std::mem::take(&mut run)));
            }
            word.extend(c.to_lowercase());
        } else {
            if !word.is_empty() {
                out.push(Piece::Word(std::mem::take(&mut word)));
            }
            if !run.is_empty() {
                out.push(Piece::Cjk(std::mem::take(&mut run)));
            }
        }
    }
    if !word.is_empty() {
        out.push(Piece::Word(word));
    }
    if !run.is_empty() {
        out.push(Piece::Cjk(run));
    }
    out
}

/// The text an index stores for `text`: words as they are (lower-cased), CJK runs as
/// their bigrams followed by their last character, separated by spaces.
pub fn index_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 2);
    let mut push = |token: &str| {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(token);
    };
    for piece in pieces(text) {
        match piece {
            Piece::Word(word) => push(&word),
            Piece::Cjk(run) => {
                for pair in run.windows(2) {
                    push(&pair.iter().collect::<String>());
                }
                if let Some(last) = run.last() {
                    push(&last.to_string());
                }
            }
        }
    }
    out
}

/// The searchable text of a message's content: a text's text, a custom payload's
/// description, a media's file name. `None` for what is never found: recalled, system
/// and unsupported messages.
pub fn indexable_text(content: &MessageContent) -> Option<&str> {
    match content {
        MessageContent::Text { text } => Some(text.as_str()),
        MessageContent::Custom { description, .. } => Some(description.as_str()),
        MessageContent::Image(media)
        | MessageContent::File(media)
        | MessageContent::Audio(media)
        | MessageContent::Video(media) => Some(media.name.as_str()),
        _ => None,
    }
    .filter(|text| !text.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lower_cased_and_cjk_runs_become_bigrams_and_their_last_character() {
        assert_eq!(index_text("Raid at 9, OK?"), "raid at 9 ok");
        assert_eq!(index_text("東京都に行く"), "東京 京都 都に に行 行く く");
        assert_eq!(index_text("iPhone発売"), "iphone 発売 売");
        assert_eq!(index_text("한국어"), "한국 국어 어");
        assert_eq!(index_text("東"), "東");
    }

    #[test]
    fn recalled_and_system_messages_have_no_searchable_text() {
        let recalled = MessageContent::Recalled {
            by: "alice".into(),
            at_ms: 1,
        };
        assert_eq!(indexable_text(&recalled), None);
        let text = MessageContent::Text { text: "hi".into() };
        assert_eq!(indexable_text(&text), Some("hi"));
    }
}
