//! Search in the headless run, as the `/` pane does it: a word of a bot message of the
//! open channel is searched in the demo user's cache (`Client::search_local`, the open
//! channel only): it must be found, every hit highlighted on exactly that word and drawn
//! with it marked; the same word in the guild (`CommunityHandle::search`, the cache merged
//! with the server's history) must come back with the server's answer and each message
//! once; a malformed query (`"unclosed`) must be refused with the SDK's typed
//! `invalid_search_query` (5037); and two characters of a Japanese or Chinese bot
//! message must be found as a substring, highlighted on exactly those characters.

use community_sdk::protocol::{ChannelId, CommunityId, Message, MessageContent, UserId};
use community_sdk::{Client, HitSource, SearchOptions, SearchResults, ServerSearch};

use crate::search::{bracketed, cjk_pair, highlighted, server_label, word_to_find};

/// A malformed query: an unclosed quote.
pub const MALFORMED: &str = "\"unclosed";

/// One search of the cache and what its hits showed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found {
    /// What was searched.
    pub query: String,
    /// Hits.
    pub hits: usize,
    /// Hits whose every highlight is exactly the query (case aside), at least one.
    pub marked: usize,
    /// The first hit's snippet, drawn with its matches in brackets.
    pub drawn: Option<String>,
}

impl Found {
    fn of(query: &str, results: &SearchResults) -> Self {
        let wanted = query.to_lowercase();
        let marked = results
            .hits
            .iter()
            .filter(|hit| {
                let parts = highlighted(&hit.snippet);
                !parts.is_empty() && parts.iter().all(|p| p.to_lowercase() == wanted)
            })
            .count();
        Found {
            query: query.to_string(),
            hits: results.hits.len(),
            marked,
            drawn: results.hits.first().map(|hit| bracketed(&hit.snippet)),
        }
    }

    fn line(&self) -> String {
        format!(
            "{} {} hits ({} highlighted)",
            self.query, self.hits, self.marked
        )
    }

    fn problems(&self, what: &str, out: &mut Vec<String>) {
        if self.hits == 0 {
            out.push(format!("search: {what} {} found nothing", self.query));
        } else if self.marked != self.hits {
            out.push(format!(
                "search: {} of {} hits of {} are not highlighted on it",
                self.hits - self.marked,
                self.hits,
                self.query
            ));
        }
        let expected = format!("[{}]", self.query.to_lowercase());
        if !self
            .drawn
            .as_ref()
            .is_some_and(|d| d.to_lowercase().contains(&expected))
        {
            out.push(format!(
                "search: {} is not drawn marked: {:?}",
                self.query, self.drawn
            ));
        }
    }
}

/// What the demo user's searches showed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchCheck {
    /// A word of a bot message, in the open channel's cache.
    pub word: Found,
    /// The same word in the guild, merged with the server: hits from the cache and from
    /// the server, messages found twice, and what the server did.
    pub merged: (usize, usize, usize, String),
    /// The malformed query's refusal: code and name.
    pub malformed: Option<(u32, String)>,
    /// Two CJK characters of a bot message, in the open channel's cache.
    pub cjk: Found,
    /// What is wrong.
    pub problems: Vec<String>,
}

impl SearchCheck {
    /// Searches as `me` of `client`; `history` is the open channel's (newest last).
    pub async fn run(
        client: &Client,
        me: &UserId,
        (community_id, channel_id): (&CommunityId, &ChannelId),
        history: &[Message],
    ) -> Self {
        let mut check = SearchCheck::default();
        let texts: Vec<&str> = history
            .iter()
            .rev()
            .filter(|m| m.sender_id != *me && !m.is_from_server())
            .filter_map(|m| match &m.content {
                MessageContent::Text { text } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        let in_channel = |query: &str| SearchOptions {
            community_id: Some(community_id.clone()),
            channel_id: Some(channel_id.clone()),
            ..SearchOptions::new(query)
        };

        match texts.iter().find_map(|t| word_to_find(t)) {
            None => check
                .problems
                .push("search: no bot message to take a word from".into()),
            Some(word) => {
                match client.search_local(in_channel(&word)).await {
                    Ok(results) => check.word = Found::of(&word, &results),
                    Err(error) => check.problems.push(format!("search {word}: {error}")),
                }
                check.word.problems("the word", &mut check.problems);
                let guild = client.community(community_id);
                match guild.search(SearchOptions::new(word.clone())).await {
                    Ok(results) => {
                        let count =
                            |source| results.hits.iter().filter(|h| h.source == source).count();
                        let mut keys: Vec<_> = results
                            .hits
                            .iter()
                            .map(|h| (h.message.channel_id.clone(), h.message.seq))
                            .collect();
                        keys.sort();
                        keys.dedup();
                        let twice = results.hits.len() - keys.len();
                        check.merged = (
                            count(HitSource::Local),
                            count(HitSource::Server),
                            twice,
                            server_label(&results.server),
                        );
                        if results.server != ServerSearch::Answered {
                            check.problems.push(format!(
                                "search: the server did not answer: {}",
                                check.merged.3
                            ));
                        }
                        if twice > 0 || results.hits.is_empty() {
                            check.problems.push(format!(
                                "search: the guild's {word}: {} hits, {twice} found twice",
                                results.hits.len()
                            ));
                        }
                    }
                    Err(error) => check.problems.push(format!("search the guild: {error}")),
                }
            }
        }

        check.malformed = match client.search_local(SearchOptions::new(MALFORMED)).await {
            Ok(_) => None,
            Err(error) => Some((error.code(), error.name().to_string())),
        };
        if check.malformed != Some((5037, "invalid_search_query".into())) {
            check.problems.push(format!(
                "search: {MALFORMED} was not refused with invalid_search_query 5037: {:?}",
                check.malformed
            ));
        }

        match texts.iter().find_map(|t| cjk_pair(t)) {
            None => check
                .problems
                .push("search: no Japanese or Chinese bot message in the channel".into()),
            Some(pair) => {
                match client.search_local(in_channel(&pair)).await {
                    Ok(results) => check.cjk = Found::of(&pair, &results),
                    Err(error) => check.problems.push(format!("search {pair}: {error}")),
                }
                check.cjk.problems("the CJK substring", &mut check.problems);
            }
        }
        check
    }

    /// The summary lines: the counts, then the first hit of each search as drawn.
    pub fn lines(&self, channel: &str) -> String {
        let (local, server, twice, answered) = &self.merged;
        let malformed = self.malformed.as_ref().map_or_else(
            || "ACCEPTED".to_string(),
            |(code, name)| format!("{name} {code}"),
        );
        format!(
            "search in {channel}: {}; in the guild {} from this device, {} from the server, {} twice ({answered}); {MALFORMED}: {malformed}; CJK {}\n  search drawn: {} | {}",
            self.word.line(),
            local,
            server,
            twice,
            self.cjk.line(),
            self.word.drawn.as_deref().unwrap_or("-"),
            self.cjk.drawn.as_deref().unwrap_or("-"),
        )
    }
}
