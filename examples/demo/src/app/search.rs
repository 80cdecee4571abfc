//! The search pane: `/` opens a query line over the messages pane; Enter searches the
//! selected community's messages (the SDK's cache merged with the server's full history:
//! `CommunityHandle::search`), and the hits list under the query with their snippets,
//! matches highlighted, and where each came from (this device or the server). ↑ ↓ select
//! a hit, Enter opens its channel (or conversation, or the thread pane over its channel)
//! scrolled to that message; Esc closes the pane. A refused query shows the SDK's typed
//! error (`invalid_search_query`, 5037) in place of the hits.

use community_sdk::protocol::{ChannelId, CommunityId, Seq};
use community_sdk::{MessageHit, SdkError, SearchResults};

use super::{App, ChannelKey, Effect, ThreadKey};
use crate::input::{Action, Mode};
use crate::people::conversation_title;

/// The longest query line, in bytes (the protocol's `search_query_bytes`).
const MAX_QUERY_BYTES: usize = 256;

/// The search pane's state.
#[derive(Debug, Default)]
pub struct SearchPane {
    /// The query line.
    pub query: String,
    /// The community searched (none: every cached message, this device only).
    pub community_id: Option<CommunityId>,
    /// The query of the results shown, and what came back.
    pub shown: Option<(String, Result<SearchResults, SdkError>)>,
    /// The query of the search on its way.
    pub pending: Option<String>,
    /// The selected hit.
    pub selected: usize,
}

impl SearchPane {
    /// The hits shown (none while a search runs for the first time, or after a refusal).
    pub fn hits(&self) -> &[MessageHit] {
        match &self.shown {
            Some((_, Ok(results))) => &results.hits,
            _ => &[],
        }
    }
}

impl App {
    /// `/`: opens the search pane on the selected community.
    pub(super) fn open_search(&mut self) -> Vec<Effect> {
        self.search = Some(SearchPane {
            community_id: self.community().map(|c| c.info.community_id.clone()),
            ..SearchPane::default()
        });
        self.mode = Mode::Search;
        Vec::new()
    }

    /// A key while the search pane is open.
    pub(super) fn on_search_key(&mut self, action: Action) -> Vec<Effect> {
        let Some(pane) = self.search.as_mut() else {
            self.mode = Mode::Navigate;
            return Vec::new();
        };
        match action {
            Action::Quit => self.quit = true,
            Action::StopTyping => {
                self.search = None;
                self.mode = Mode::Navigate;
            }
            Action::Type(c) if pane.query.len() + c.len_utf8() <= MAX_QUERY_BYTES => {
                pane.query.push(c);
            }
            Action::Backspace => {
                pane.query.pop();
            }
            Action::ClearInput => pane.query.clear(),
            Action::LineUp | Action::PageUp => pane.selected = pane.selected.saturating_sub(1),
            Action::LineDown | Action::PageDown => {
                pane.selected = (pane.selected + 1).min(pane.hits().len().saturating_sub(1));
            }
            Action::Send => {
                let query = pane.query.trim().to_string();
                let shown = pane.shown.as_ref().map(|(q, _)| q.as_str());
                if !query.is_empty() && shown != Some(query.as_str()) {
                    pane.pending = Some(query.clone());
                    return vec![Effect::Search {
                        community_id: pane.community_id.clone(),
                        query,
                    }];
                }
                return self.open_hit();
            }
            _ => {}
        }
        Vec::new()
    }

    /// A search's results (or its refusal); ignored unless it is the latest one asked.
    pub fn on_search_results(&mut self, query: String, result: Result<SearchResults, SdkError>) {
        let Some(pane) = self.search.as_mut() else {
            return;
        };
        if pane.pending.as_deref() != Some(query.as_str()) {
            return;
        }
        pane.pending = None;
        pane.selected = 0;
        pane.shown = Some((query, result));
    }

    /// Enter on a hit: opens where it is, scrolled to it, and closes the pane.
    fn open_hit(&mut self) -> Vec<Effect> {
        let Some(hit) = self
            .search
            .as_ref()
            .and_then(|pane| pane.hits().get(pane.selected))
            .cloned()
        else {
            return Vec::new();
        };
        let message = &hit.message;
        let (community_id, channel_id) = (&message.community_id, &message.channel_id);
        let place = self.place_of(community_id, channel_id);
        let thread = self.joined_thread(community_id, channel_id);
        let (key, focus) = match &thread {
            // A thread's message: its channel at the thread's first message, the thread
            // in the pane.
            Some((parent, _, parent_seq)) => (
                ChannelKey {
                    community_id: community_id.clone(),
                    channel_id: parent.clone(),
                },
                *parent_seq,
            ),
            None => (
                ChannelKey {
                    community_id: community_id.clone(),
                    channel_id: channel_id.clone(),
                },
                Some(message.seq),
            ),
        };
        self.search = None;
        self.mode = Mode::Navigate;
        self.select_channel(&key);
        let mut effects = self.open_stream(key.clone());
        if let (Some((_, timeline)), Some(seq)) = (self.open.as_mut(), focus) {
            timeline.focus(seq);
        }
        if let Some((_, name, parent_seq)) = thread {
            let thread_key = ThreadKey {
                community_id: key.community_id,
                channel_id: key.channel_id,
                thread_id: channel_id.clone(),
            };
            effects.extend(self.show_thread(thread_key, name, parent_seq));
        }
        self.notice = Some(format!("found in {place}: message #{}", message.seq));
        effects
    }

    /// Selects `key`'s community and channel in the lists, when they show it.
    fn select_channel(&mut self, key: &ChannelKey) {
        let Some(community) = self
            .communities
            .iter()
            .position(|c| c.info.community_id == key.community_id)
        else {
            return;
        };
        self.selected_community = community;
        self.selected_channel = self
            .visible_channels()
            .iter()
            .position(|c| c.info.channel_id == key.channel_id)
            .unwrap_or(0);
    }

    /// A joined thread of the community: its channel, name and first message.
    fn joined_thread(
        &self,
        community_id: &CommunityId,
        thread_id: &ChannelId,
    ) -> Option<(ChannelId, String, Option<Seq>)> {
        self.joined_threads
            .get(community_id)?
            .iter()
            .find(|t| t.info.thread_id == *thread_id)
            .map(|t| {
                (
                    t.info.parent_channel_id.clone(),
                    t.info.name.clone(),
                    t.info.parent_seq,
                )
            })
    }

    /// Where a message is, as the hit list names it: `#general`, `🧵 raid plan`, or
    /// `@ Ember Vale` for a conversation.
    pub fn place_of(&self, community_id: &CommunityId, channel_id: &ChannelId) -> String {
        if community_id.is_direct() {
            let title = self
                .people
                .conversations
                .iter()
                .find(|c| c.info.conversation_id == *channel_id)
                .map_or_else(
                    || channel_id.to_string(),
                    |c| conversation_title(c, &self.me, &self.people.roster),
                );
            return format!("@ {title}");
        }
        let channel = self
            .channels
            .get(community_id)
            .and_then(|list| list.iter().find(|c| c.info.channel_id == *channel_id));
        if let Some(entry) = channel {
            return format!(
                "{}{}",
                crate::format::channel_glyph(entry.info.kind, entry.info.private),
                entry.info.name
            );
        }
        match self.joined_thread(community_id, channel_id) {
            Some((_, name, _)) => format!("{} {name}", crate::message_view::THREAD_MARK),
            None => format!("#{channel_id}"),
        }
    }
}
