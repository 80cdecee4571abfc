//! The search pane's effect: a search of the selected community's messages (the SDK's
//! cache merged with the server's history), or of every cached message, in the
//! background; its results (or its typed refusal) come back as a [`UiEvent`].

use community_sdk::SearchOptions;
use community_sdk::protocol::CommunityId;

use super::{Effects, UiEvent};

impl Effects {
    /// Searches `query` (in `community_id`, else in the whole cache).
    pub(super) fn search(&mut self, community_id: Option<CommunityId>, query: String) {
        let client = self.client.clone();
        let events = self.events.clone();
        self.spawn(async move {
            let options = SearchOptions::new(query.clone());
            let result = match &community_id {
                Some(id) => client.community(id).search(options).await,
                None => client.search(options).await,
            };
            let _ = events.send(UiEvent::Search(query, result));
        });
    }
}
