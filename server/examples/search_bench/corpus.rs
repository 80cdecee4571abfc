//! The synthetic corpus: a vocabulary of pronounceable words whose frequencies follow
//! Zipf's law (rank r has weight 1/r, like English text), messages of 2–32 words (12 on
//! average) spread over the channels with different weights, and the queries built from
//! them.
//!
//! Everything is drawn from one seeded generator, so a run is reproducible.

/// A small, fast, deterministic random generator (SplitMix64).
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A float in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// An integer in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize % n.max(1)
    }
}

/// Syllables words are made of.
const SYLLABLES: &[&str] = &[
    "ka", "ro", "mi", "te", "la", "su", "no", "pe", "di", "ga", "vo", "ri", "sa", "tu", "me", "lo",
    "ne", "bi", "fa", "ho", "ju", "ze", "ti", "ma", "ra", "so", "ku", "le", "po", "de", "an", "en",
    "in", "on", "un", "ar", "er", "or", "al", "el", "ist", "ang", "ost", "ver", "tra", "ble",
    "cri", "dro", "fle", "gru", "pla", "sto", "shi", "cha", "tho", "wen",
];

/// The vocabulary, most frequent first, and its cumulative Zipf weights.
pub struct Vocabulary {
    /// The words by rank (0 = most frequent).
    pub words: Vec<String>,
    cumulative: Vec<f64>,
}

impl Vocabulary {
    /// `size` distinct words; frequent words are short (1–2 syllables), rare ones long.
    pub fn new(size: usize, rng: &mut Rng) -> Vocabulary {
        let mut words = Vec::with_capacity(size);
        let mut seen = std::collections::HashSet::new();
        while words.len() < size {
            let rank = words.len();
            let syllables = match rank {
                0..100 => 1 + rng.below(2),
                100..2_000 => 2 + rng.below(2),
                2_000..20_000 => 3 + rng.below(2),
                _ => 4 + rng.below(2),
            };
            let word: String = (0..syllables)
                .map(|_| SYLLABLES[rng.below(SYLLABLES.len())])
                .collect();
            if seen.insert(word.clone()) {
                words.push(word);
            }
        }
        let mut total = 0.0;
        let cumulative = (1..=size)
            .map(|r| {
                total += 1.0 / r as f64;
                total
            })
            .collect();
        Vocabulary { words, cumulative }
    }

    /// A word's rank drawn by frequency.
    pub fn draw(&self, rng: &mut Rng) -> u32 {
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        let target = rng.unit() * total;
        self.cumulative.partition_point(|c| *c < target) as u32
    }
}

/// One generated message: its words (ranks), channel and sender (indexes).
pub struct Draft {
    /// The words, by rank.
    pub words: Vec<u32>,
    /// Which channel (index into the bench's channel list).
    pub channel: usize,
    /// Which sender.
    pub sender: usize,
}

impl Draft {
    /// The text.
    pub fn text(&self, vocabulary: &Vocabulary) -> String {
        let words: Vec<&str> = self
            .words
            .iter()
            .map(|&r| vocabulary.words[r as usize].as_str())
            .collect();
        words.join(" ")
    }
}

/// Draws a message: 2–32 words, a channel by `weights`, one of `senders`.
pub fn draft(vocabulary: &Vocabulary, weights: &[f64], senders: usize, rng: &mut Rng) -> Draft {
    let length = 2 + (rng.unit().powi(2) * 31.0) as usize;
    let words = (0..length).map(|_| vocabulary.draw(rng)).collect();
    let total: f64 = weights.iter().sum();
    let mut pick = rng.unit() * total;
    let mut channel = weights.len() - 1;
    for (i, w) in weights.iter().enumerate() {
        if pick < *w {
            channel = i;
            break;
        }
        pick -= w;
    }
    Draft {
        words,
        channel,
        sender: rng.below(senders),
    }
}

/// Ranks below this are common words.
pub const COMMON: u32 = 100;
/// Ranks from this on are rare words.
pub const RARE: u32 = 2_000;

/// A two-word query built from one message's words: `common` and `rare` pick by rank
/// class; `None` when the message has no such pair.
pub fn pair(draft: &Draft, first_common: bool, second_common: bool) -> Option<(u32, u32)> {
    let pick = |common: bool, not: Option<u32>| {
        draft
            .words
            .iter()
            .copied()
            .filter(|r| Some(*r) != not)
            .find(|r| if common { *r < COMMON } else { *r >= RARE })
    };
    let a = pick(first_common, None)?;
    let b = pick(second_common, Some(a))?;
    Some((a, b))
}
