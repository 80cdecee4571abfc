//! Ranking and paging of `search_messages`.
//!
//! Matches are ranked in *windows*: the newest [`WINDOW`] matches (below a ceiling) are
//! scored and sorted best first, then the next [`WINDOW`] older ones, and so on, so a
//! query matching half a million messages costs the same as one matching a thousand
//! (docs/DECISIONS.md, "Search on the server"). Within a window the order is relevance,
//! then newest first.
//!
//! Relevance is BM25's term-frequency saturation and length normalisation (k1 = 1.2,
//! b = 0.75) over the protocol's index tokens, with the window's mean length as the
//! average. Every hit contains every term (the query is a conjunction), so the inverse
//! document frequency, which only weighs terms against each other, is left out: it would
//! need a scan of each term's whole posting list (what makes FTS5's own `bm25()` cost
//! 20–40 ms on common words over a million messages). Scores depend only on the message
//! and on the window's mean length, which the cursor carries: a page resumes exactly
//! where the previous one stopped, whatever was written in between.

use std::cmp::Ordering;

use community_protocol::search::{SearchQuery, indexable_text};
use community_protocol::{ApiError, ChannelId, Seq};

use super::tokens::Tokens;
use crate::store::SearchCandidate;

/// Matches ranked together.
pub(crate) const WINDOW: u32 = 1_000;

/// BM25's term-frequency saturation.
const K1: f64 = 1.2;
/// BM25's length normalisation.
const B: f64 = 0.75;

/// A place in a window's ranking: the score and index position of the last hit given.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Mark {
    /// Its score.
    pub score: f64,
    /// Its index position.
    pub position: i64,
}

impl Mark {
    /// Whether a hit at `self` ranks after `mark` (lower score, then older).
    fn is_after(&self, mark: &Mark) -> bool {
        match self.score.total_cmp(&mark.score) {
            Ordering::Less => true,
            Ordering::Equal => self.position < mark.position,
            Ordering::Greater => false,
        }
    }
}

/// Where a page starts: the window of the newest matches at positions up to `ceiling`,
/// ranked with `avgdl` (the window's own mean when `None`), after `after`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Resume {
    /// The newest position of the window.
    pub ceiling: i64,
    /// The mean length the window's scores use.
    pub avgdl: Option<f64>,
    /// The last hit given from the window.
    pub after: Option<Mark>,
}

impl Resume {
    /// The first page.
    pub fn start() -> Resume {
        Resume {
            ceiling: i64::MAX,
            avgdl: None,
            after: None,
        }
    }
}

/// A ranked match.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Ranked {
    /// Its score and position.
    pub mark: Mark,
    /// Its stream.
    pub channel_id: ChannelId,
    /// Its sequence.
    pub seq: Seq,
}

/// The score of a message of `length` tokens with these term frequencies.
fn score(frequencies: &[usize], length: usize, avgdl: f64) -> f64 {
    let norm = K1 * (1.0 - B + B * length as f64 / avgdl);
    frequencies
        .iter()
        .map(|&f| {
            let f = f as f64;
            f * (K1 + 1.0) / (f + norm)
        })
        .sum()
}

/// Ranks a window (best first: score, then newest); returns it with the mean length used.
pub(crate) fn rank(
    window: Vec<SearchCandidate>,
    query: &SearchQuery,
    avgdl: Option<f64>,
) -> (Vec<Ranked>, f64) {
    let terms = query.terms();
    let mut tokens = Tokens::default();
    // Each candidate's length, then its term frequencies (at least 1: the index matched
    // every term, through folding diacritics too, which this count does not do).
    let mut lengths = Vec::with_capacity(window.len());
    let mut frequencies = Vec::with_capacity(window.len() * terms.len());
    for candidate in &window {
        tokens.cut(indexable_text(&candidate.content).unwrap_or_default());
        lengths.push(tokens.len().max(1));
        frequencies.extend(terms.iter().map(|term| tokens.count(term).max(1)));
    }
    let avgdl =
        avgdl.unwrap_or_else(|| lengths.iter().sum::<usize>() as f64 / lengths.len().max(1) as f64);
    let mut ranked: Vec<Ranked> = window
        .into_iter()
        .enumerate()
        .map(|(i, candidate)| Ranked {
            mark: Mark {
                score: score(
                    &frequencies[i * terms.len()..(i + 1) * terms.len()],
                    lengths[i],
                    avgdl,
                ),
                position: candidate.position,
            },
            channel_id: candidate.channel_id,
            seq: candidate.seq,
        })
        .collect();
    ranked.sort_by(|a, b| {
        b.mark
            .score
            .total_cmp(&a.mark.score)
            .then(b.mark.position.cmp(&a.mark.position))
    });
    (ranked, avgdl)
}

/// One page of at most `limit` hits from `from` on, and where the next one starts (none
/// when no match is left). `fetch(ceiling, n)` gives the newest `n` matches at positions
/// up to `ceiling`, newest first.
pub(crate) fn page(
    query: &SearchQuery,
    from: Resume,
    limit: usize,
    mut fetch: impl FnMut(i64, u32) -> Result<Vec<SearchCandidate>, ApiError>,
) -> Result<(Vec<Ranked>, Option<Resume>), ApiError> {
    let mut at = from;
    let mut hits: Vec<Ranked> = Vec::new();
    loop {
        let window = fetch(at.ceiling, WINDOW)?;
        let (Some(top), Some(floor)) = (
            window.first().map(|c| c.position),
            window.last().map(|c| c.position),
        ) else {
            return Ok((hits, None));
        };
        let full = window.len() >= WINDOW as usize;
        let (ranked, avgdl) = rank(window, query, at.avgdl);
        let mut rest = ranked
            .into_iter()
            .filter(|r| at.after.is_none_or(|mark| r.mark.is_after(&mark)))
            .peekable();
        while hits.len() < limit {
            match rest.next() {
                Some(hit) => hits.push(hit),
                None => break,
            }
        }
        if let (Some(_), Some(last)) = (rest.peek(), hits.last()) {
            // The page is full and this window has more: resume in it (its ceiling
            // fixed at its newest match, so newer messages never join it).
            let next = Resume {
                ceiling: top,
                avgdl: Some(avgdl),
                after: Some(last.mark),
            };
            return Ok((hits, Some(next)));
        }
        if !full {
            return Ok((hits, None));
        }
        let next = Resume {
            ceiling: floor.saturating_sub(1),
            avgdl: None,
            after: None,
        };
        if hits.len() >= limit {
            let more = !fetch(next.ceiling, 1)?.is_empty();
            return Ok((hits, more.then_some(next)));
        }
        at = next;
    }
}

#[cfg(test)]
mod tests {
    use community_protocol::{Limits, MessageContent};

    use super::*;

    fn candidate(position: i64, text: &str) -> SearchCandidate {
        SearchCandidate {
            position,
            channel_id: "ch".into(),
            seq: u64::try_from(position).unwrap(),
            content: MessageContent::Text { text: text.into() },
        }
    }

    fn query(text: &str) -> SearchQuery {
        SearchQuery::parse(text, &Limits::default()).unwrap()
    }

    #[test]
    fn more_occurrences_and_shorter_texts_rank_first_then_newer() {
        let window = vec![
            candidate(5, "raid"),
            candidate(4, "raid raid tonight"),
            candidate(
                3,
                "a long message that mentions the raid once among many words",
            ),
            candidate(2, "raid"),
        ];
        let (ranked, _) = rank(window, &query("raid"), None);
        let order: Vec<i64> = ranked.iter().map(|r| r.mark.position).collect();
        assert_eq!(order, [4, 5, 2, 3]);
    }

    #[test]
    fn prefixes_phrases_and_cjk_count_their_occurrences() {
        let mut tokens = Tokens::default();
        tokens.cut("Raiders raid; 東京都と東京");
        assert_eq!(tokens.count(&query("raid*").terms()[0]), 2);
        assert_eq!(tokens.count(&query("東京").terms()[0]), 2);
        assert_eq!(tokens.count(&query("\"raiders raid\"").terms()[0]), 1);
        assert_eq!(tokens.count(&query("zzz").terms()[0]), 0);
    }

    /// Pages over `all` (newest first) with `limit`, as the domain does, in windows of
    /// [`WINDOW`].
    fn pages(all: &[SearchCandidate], limit: usize) -> (Vec<Vec<i64>>, usize) {
        let mut fetches = 0;
        let mut from = Resume::start();
        let mut out = Vec::new();
        loop {
            let (hits, next) = page(&query("w"), from, limit, |ceiling, n| {
                fetches += 1;
                Ok(all
                    .iter()
                    .filter(|c| c.position <= ceiling)
                    .take(n as usize)
                    .cloned()
                    .collect())
            })
            .unwrap();
            out.push(hits.iter().map(|h| h.mark.position).collect());
            match next {
                Some(next) => from = next,
                None => return (out, fetches),
            }
        }
    }

    #[test]
    fn pages_cover_every_match_once_across_windows() {
        // 2,500 matches of varied lengths: three windows.
        let all: Vec<SearchCandidate> = (1..=2_500)
            .rev()
            .map(|n| candidate(n, &format!("w {}", "x ".repeat((n % 7) as usize))))
            .collect();
        let (got, _) = pages(&all, 100);
        assert_eq!(got.len(), 25, "no empty last page");
        let mut seen: Vec<i64> = got.concat();
        assert_eq!(seen.len(), 2_500);
        // Window by window: the first 1,000 hits are the newest 1,000 matches.
        assert!(seen[..1_000].iter().all(|p| *p > 1_500));
        assert!(seen[1_000..2_000].iter().all(|p| (501..=1_500).contains(p)));
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 2_500, "no duplicate, no gap");
    }

    #[test]
    fn a_page_ending_a_full_window_says_whether_more_follow() {
        let all: Vec<SearchCandidate> = (1..=1_000).rev().map(|n| candidate(n, "w")).collect();
        let (got, fetches) = pages(&all, 500);
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].len(), 500);
        // Two windows read and one probe that finds nothing older.
        assert_eq!(fetches, 3);
        let (got, _) = pages(&all[..10], 10);
        assert_eq!(got, vec![(991..=1_000).rev().collect::<Vec<i64>>()]);
    }
}
