//! The index tokens of a candidate, cut without an allocation per token: the same cut as
//! the protocol's `index_text` (words lower-cased; runs of CJK characters as overlapping
//! pairs and their last character), written into one reused buffer. Ranking cuts a
//! thousand messages per page, and a `String` per word was a fifth of a search's time.

use community_protocol::search::{Term, is_cjk};

/// A reusable cut of one text into index tokens.
#[derive(Debug, Default)]
pub(crate) struct Tokens {
    /// Every token's characters, one after the other.
    arena: String,
    /// Each token's byte range in `arena`.
    spans: Vec<(usize, usize)>,
    /// The CJK run being read.
    run: Vec<char>,
}

impl Tokens {
    /// Cuts `text`, replacing the previous cut.
    pub fn cut(&mut self, text: &str) {
        self.arena.clear();
        self.spans.clear();
        self.run.clear();
        let mut word_start: Option<usize> = None;
        for c in text.chars() {
            if is_cjk(c) {
                self.end_word(&mut word_start);
                self.run.push(c);
            } else if c.is_alphanumeric() {
                self.end_run();
                word_start.get_or_insert(self.arena.len());
                self.arena.extend(c.to_lowercase());
            } else {
                self.end_word(&mut word_start);
                self.end_run();
            }
        }
        self.end_word(&mut word_start);
        self.end_run();
    }

    fn end_word(&mut self, start: &mut Option<usize>) {
        if let Some(start) = start.take() {
            self.spans.push((start, self.arena.len()));
        }
    }

    fn end_run(&mut self) {
        if self.run.is_empty() {
            return;
        }
        for i in 0..self.run.len() {
            // A pair with the next character, then the run's last character alone.
            let start = self.arena.len();
            self.arena.push(self.run[i]);
            if let Some(next) = self.run.get(i + 1) {
                self.arena.push(*next);
            }
            self.spans.push((start, self.arena.len()));
        }
        self.run.clear();
    }

    /// The number of tokens.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    fn token(&self, i: usize) -> &str {
        let (start, end) = self.spans[i];
        &self.arena[start..end]
    }

    /// How often `term` occurs (a phrase: its tokens in a row; a prefix: tokens starting
    /// with it).
    pub fn count(&self, term: &Term) -> usize {
        match term {
            Term::Prefix(prefix) => (0..self.len())
                .filter(|&i| self.token(i).starts_with(prefix.as_str()))
                .count(),
            Term::Phrase(words) if words.is_empty() || words.len() > self.len() => 0,
            Term::Phrase(words) => (0..=self.len() - words.len())
                .filter(|&i| {
                    words
                        .iter()
                        .enumerate()
                        .all(|(k, word)| self.token(i + k) == word)
                })
                .count(),
        }
    }
}

#[cfg(test)]
mod tests {
    use community_protocol::search::index_text;

    use super::*;

    #[test]
    fn the_cut_is_the_protocols_index_text() {
        let mut tokens = Tokens::default();
        for text in [
            "",
            "Raid at 9, OK?",
            "東京都に行く",
            "iPhone発売、明日東京都に行きます!",
            "한국어 text 東",
            "ÀÉÎ straße İstanbul ǅ",
            "a—b…c  d\te\nf",
            "x東y京z",
            "!!!",
        ] {
            tokens.cut(text);
            let joined: Vec<&str> = (0..tokens.len()).map(|i| tokens.token(i)).collect();
            assert_eq!(joined.join(" "), index_text(text), "{text:?}");
        }
    }
}
