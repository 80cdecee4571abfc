//! Wrapping message text to the width of the messages pane.
//!
//! Pure functions (no terminal): a message of any length (up to the 12 KB limit, with
//! newlines, tabs, wide characters or one endless word) becomes lines that each fit the
//! given number of terminal columns, so the renderer never overflows or panics.

use unicode_width::UnicodeWidthChar;

/// The display width of `c` in terminal columns (control characters count as one, since
/// [`sanitize`] turns them into a visible replacement).
fn char_width(c: char) -> usize {
    UnicodeWidthChar::width(c).unwrap_or(1)
}

/// The display width of `text` in terminal columns.
pub fn display_width(text: &str) -> usize {
    text.chars().map(char_width).sum()
}

/// Replaces tabs with spaces and other control characters with `�`, which would otherwise
/// move the terminal's cursor.
pub fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' => ' ',
            c if c.is_control() => '\u{fffd}',
            c => c,
        })
        .collect()
}

/// Wraps `text` into lines of at most `width` columns (a width of 0 is treated as 1).
///
/// Newlines start a new line; lines break at spaces where possible, and a word longer
/// than the width is cut. A character wider than the width (a wide character in a
/// one-column pane) gets a line of its own. An empty text gives one empty line.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        wrap_paragraph(
            &sanitize(paragraph.trim_end_matches('\r')),
            width,
            &mut lines,
        );
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

fn wrap_paragraph(paragraph: &str, width: usize, lines: &mut Vec<String>) {
    let mut line = String::new();
    let mut line_width = 0;
    for word in split_keeping_spaces(paragraph) {
        let word_width = display_width(word);
        if line_width + word_width <= width {
            line.push_str(word);
            line_width += word_width;
            continue;
        }
        if word.trim().is_empty() {
            // A space at the end of a full line: break here and drop it.
            push_line(lines, &mut line);
            line_width = 0;
            continue;
        }
        if line_width > 0 && word_width <= width {
            push_line(lines, &mut line);
            line.push_str(word);
            line_width = word_width;
            continue;
        }
        // The word does not fit on any line: cut it, filling the current line first.
        for c in word.chars() {
            let w = char_width(c);
            if line_width + w > width && line_width > 0 {
                push_line(lines, &mut line);
                line_width = 0;
            }
            line.push(c);
            line_width += w;
        }
    }
    push_line(lines, &mut line);
}

/// Ends a line, without the spaces it ended with.
fn push_line(lines: &mut Vec<String>, line: &mut String) {
    let taken = std::mem::take(line);
    lines.push(taken.trim_end_matches(' ').to_string());
}

/// Splits into words and runs of spaces, keeping both (so spacing inside a line survives).
fn split_keeping_spaces(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut in_space = None;
    for (index, c) in text.char_indices() {
        let space = c == ' ';
        match in_space {
            Some(previous) if previous != space => {
                parts.push(&text[start..index]);
                start = index;
            }
            _ => {}
        }
        in_space = Some(space);
    }
    if start < text.len() {
        parts.push(&text[start..]);
    }
    parts
}

/// Cuts `text` to at most `width` columns, ending with `…` when something was cut.
pub fn truncate(text: &str, width: usize) -> String {
    if display_width(text) <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = char_width(c);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// The last `width` columns of `text` (what an input line shows while the user types
/// past its end).
pub fn tail(text: &str, width: usize) -> String {
    let mut used = 0;
    let mut start = text.len();
    for (index, c) in text.char_indices().rev() {
        let w = char_width(c);
        if used + w > width {
            break;
        }
        used += w;
        start = index;
    }
    text[start..].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn widths_fit(lines: &[String], width: usize) -> bool {
        lines.iter().all(|line| display_width(line) <= width)
    }

    #[test]
    fn short_text_is_one_line() {
        assert_eq!(wrap("hello world", 20), vec!["hello world"]);
    }

    #[test]
    fn breaks_at_spaces() {
        let lines = wrap("the quick brown fox jumps over the lazy dog", 10);
        assert_eq!(
            lines,
            vec!["the quick", "brown fox", "jumps over", "the lazy", "dog"]
        );
        assert!(widths_fit(&lines, 10));
    }

    #[test]
    fn cuts_words_longer_than_the_width() {
        let word = "x".repeat(25);
        let lines = wrap(&format!("ab {word}"), 10);
        assert_eq!(lines, vec!["ab xxxxxxx", "xxxxxxxxxx", "xxxxxxxx"]);
        assert_eq!(lines.concat().matches('x').count(), 25);
    }

    #[test]
    fn very_long_message_keeps_every_character_and_fits() {
        let text = "lorem ipsum dolor sit amet ".repeat(450); // about 12 KB
        for width in [1, 2, 7, 40, 200] {
            let lines = wrap(&text, width);
            assert!(widths_fit(&lines, width), "width {width}");
            let kept: usize = lines.iter().map(|l| l.replace(' ', "").len()).sum();
            assert_eq!(kept, text.replace(' ', "").len(), "width {width}");
        }
    }

    #[test]
    fn newlines_tabs_and_controls() {
        assert_eq!(wrap("a\nb\r\n\nc", 5), vec!["a", "b", "", "c"]);
        assert_eq!(wrap("a\tb\u{7}", 10), vec!["a b\u{fffd}"]);
        assert_eq!(wrap("", 10), vec![""]);
    }

    #[test]
    fn wide_characters_count_two_columns() {
        let lines = wrap("日本語のテキスト", 5);
        assert!(widths_fit(&lines, 5));
        assert_eq!(lines.concat(), "日本語のテキスト");
        // A wide character in a one-column pane still appears, on its own line.
        assert_eq!(wrap("日本", 1), vec!["日", "本"]);
        assert_eq!(wrap("x", 0), vec!["x"]);
    }

    #[test]
    fn truncate_and_tail() {
        assert_eq!(truncate("general", 10), "general");
        assert_eq!(truncate("announcements", 6), "annou…");
        assert_eq!(truncate("abc", 0), "");
        assert_eq!(tail("hello world", 5), "world");
        assert_eq!(tail("hi", 5), "hi");
        assert_eq!(tail("日本語", 4), "本語");
    }
}
