//! The query language: words (all required), `prefix*` and `"exact phrases"`, nothing
//! else. Punctuation separates words as the index does; `AND`, `OR`, `NEAR`, `^`, `:`
//! and parentheses are plain text. Rendering quotes every term, so the FTS5 expression
//! can never carry an operator the user typed.

use crate::error::{ApiError, ErrorCode};
use crate::limits::Limits;

use super::text::{Piece, pieces};

/// One required part of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// Index tokens that must follow each other (a word, a phrase, a CJK run as bigrams).
    Phrase(Vec<String>),
    /// Tokens starting with this text.
    Prefix(String),
}

/// A parsed query: every term must match. Also keeps the words as typed, for snippets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    terms: Vec<Term>,
    words: Vec<String>,
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::INVALID_SEARCH_QUERY, message)
}

impl SearchQuery {
    /// Parses what the user typed, within `limits` (`search_query_bytes`,
    /// `search_max_terms`). Refused with `invalid_search_query`: empty (or only
    /// punctuation), too long, too many terms, an unbalanced `"`, a `*` not ending a word.
    pub fn parse(input: &str, limits: &Limits) -> Result<SearchQuery, ApiError> {
        if input.len() > limits.search_query_bytes {
            return Err(invalid(format!(
                "a query is at most {} bytes",
                limits.search_query_bytes
            )));
        }
        if input.chars().filter(|c| *c == '"').count() % 2 == 1 {
            return Err(invalid("a quote is not closed"));
        }
        let mut terms = Vec::new();
        let mut words = Vec::new();
        for (index, part) in input.split('"').enumerate() {
            let quoted = index % 2 == 1;
            if quoted {
                let tokens = phrase_tokens(part);
                if !tokens.is_empty() {
                    terms.push(phrase_term(tokens));
                    words.push(part.trim().to_string());
                }
                continue;
            }
            for word in part.split_whitespace() {
                parse_word(word, &mut terms, &mut words)?;
            }
        }
        if terms.is_empty() {
            return Err(invalid("the query has no word to look for"));
        }
        if terms.len() > limits.search_max_terms {
            return Err(invalid(format!(
                "at most {} terms in a query",
                limits.search_max_terms
            )));
        }
        Ok(SearchQuery { terms, words })
    }

    /// The required terms.
    pub fn terms(&self) -> &[Term] {
        &self.terms
    }

    /// The words and phrases as typed (without `*` and quotes), for highlighting.
    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// The FTS5 `MATCH` expression: every term quoted (`"` doubled), prefixes as
    /// `"text"*`, all joined by `AND`.
    pub fn fts5(&self) -> String {
        let quote = |token: &str| format!("\"{}\"", token.replace('"', "\"\""));
        self.terms
            .iter()
            .map(|term| match term {
                Term::Phrase(tokens) => {
                    let joined: Vec<String> = tokens.iter().map(|t| quote(t)).collect();
                    joined.join(" + ")
                }
                Term::Prefix(text) => format!("{}*", quote(text)),
            })
            .collect::<Vec<_>>()
            .join(" AND ")
    }
}

/// One unquoted word: a prefix when it ends with `*`.
fn parse_word(word: &str, terms: &mut Vec<Term>, words: &mut Vec<String>) -> Result<(), ApiError> {
    let (body, prefix) = match word.strip_suffix('*') {
        Some(body) => (body, true),
        None => (word, false),
    };
    if body.contains('*') {
        return Err(invalid("`*` may only end a word"));
    }
    let found = pieces(body);
    if found.is_empty() {
        // Only punctuation: nothing to look for in this word.
        return Ok(());
    }
    words.push(body.to_string());
    let last = found.len() - 1;
    for (i, piece) in found.into_iter().enumerate() {
        match piece {
            Piece::Word(w) if prefix && i == last => terms.push(Term::Prefix(w)),
            Piece::Word(w) => terms.push(Term::Phrase(vec![w])),
            Piece::Cjk(run) => terms.push(cjk_term(&run)),
        }
    }
    Ok(())
}

/// A run of CJK characters: one character is a prefix of the index's bigrams (or its
/// final unigram), longer runs are the phrase of their bigrams.
fn cjk_term(run: &[char]) -> Term {
    if run.len() == 1 {
        return Term::Prefix(run[0].to_string());
    }
    Term::Phrase(run.windows(2).map(|w| w.iter().collect()).collect())
}

/// A quoted phrase's term: one CJK character alone is a prefix, as unquoted (the index
/// stores it alone only at the end of a run).
fn phrase_term(tokens: Vec<String>) -> Term {
    match tokens.as_slice() {
        [one] if one.chars().count() == 1 && one.chars().all(super::text::is_cjk) => {
            Term::Prefix(one.clone())
        }
        _ => Term::Phrase(tokens),
    }
}

/// The index tokens of a quoted phrase, in order.
fn phrase_tokens(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    for piece in pieces(text) {
        match piece {
            Piece::Word(w) => tokens.push(w),
            Piece::Cjk(run) if run.len() == 1 => tokens.push(run[0].to_string()),
            Piece::Cjk(run) => tokens.extend(run.windows(2).map(|w| w.iter().collect())),
        }
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(input: &str) -> Result<SearchQuery, ApiError> {
        SearchQuery::parse(input, &Limits::default())
    }

    #[test]
    fn words_prefixes_and_phrases_are_quoted_terms() {
        let query = parse("Raid tonight* \"at nine\"").unwrap();
        assert_eq!(
            query.fts5(),
            "\"raid\" AND \"tonight\"* AND \"at\" + \"nine\""
        );
        assert_eq!(query.words(), ["Raid", "tonight", "at nine"]);
    }

    #[test]
    fn operators_and_punctuation_are_plain_text() {
        let query = parse("a AND b OR NEAR(c) body:x ^y").unwrap();
        assert_eq!(
            query.fts5(),
            "\"a\" AND \"and\" AND \"b\" AND \"or\" AND \"near\" AND \"c\" AND \"body\" AND \"x\" AND \"y\""
        );
        assert_eq!(parse("don't").unwrap().fts5(), "\"don\" AND \"t\"");
    }

    #[test]
    fn cjk_runs_become_bigram_phrases_and_one_character_a_prefix() {
        assert_eq!(parse("東京都").unwrap().fts5(), "\"東京\" + \"京都\"");
        assert_eq!(parse("東").unwrap().fts5(), "\"東\"*");
        assert_eq!(parse("\"東\"").unwrap().fts5(), "\"東\"*");
        assert_eq!(
            parse("iPhone発売").unwrap().fts5(),
            "\"iphone\" AND \"発売\""
        );
    }

    #[test]
    fn bad_queries_are_refused_with_a_typed_error() {
        let too_long = "x".repeat(10 * 1024);
        for bad in ["", "   ", "\"open", "!!! ???", "a*b", too_long.as_str()] {
            let error = parse(bad).unwrap_err();
            assert_eq!(error.code, ErrorCode::INVALID_SEARCH_QUERY, "{bad:?}");
        }
        let many = (0..40)
            .map(|n| format!("w{n}"))
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(
            parse(&many).unwrap_err().code,
            ErrorCode::INVALID_SEARCH_QUERY
        );
    }
}
