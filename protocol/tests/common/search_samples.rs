//! Sample search requests and answers for the round-trip tests (split from `samples` to
//! keep each file small): a message search with every filter and a cursor, a found
//! message with its snippet, channel and community matches.

use community_protocol::search::{
    ChannelMatches, CommunityMatches, Highlight, SearchChannels, SearchCommunities, SearchHit,
    SearchMessages, SearchPage, Snippet,
};
use community_protocol::*;

use super::samples::{C, T0, channel, info, message, s};

/// A message search with every field set.
pub fn search_messages() -> SearchMessages {
    SearchMessages {
        community_id: s(C).into(),
        query: s("raid \"at nine\" 東京 pot*"),
        channel_id: Some(s("ch_general").into()),
        sender_id: Some(s("bob").into()),
        after_ms: Some(T0),
        before_ms: Some(T0 + 86_400_000),
        cursor: Some(s("cTE6ZjAwZDoxMjM0OjQwMWMwMDAwMDAwMDAwMDA6LTotOi0")),
        limit: Some(20),
    }
}

/// Every search request.
pub fn requests() -> Vec<Request> {
    vec![
        Request::SearchMessages(search_messages()),
        Request::SearchChannels(SearchChannels {
            community_id: s(C).into(),
            query: s("Raid"),
            limit: Some(10),
        }),
        Request::SearchCommunities(SearchCommunities {
            query: s("owls"),
            limit: None,
        }),
    ]
}

/// One response of every search kind, in declaration order.
pub fn responses() -> Vec<Response> {
    vec![
        Response::SearchResults(SearchPage {
            hits: vec![SearchHit {
                message: message(MessageContent::Text {
                    text: s("Raid at nine — 東京 after"),
                }),
                snippet: Snippet {
                    text: s("Raid at nine — 東京 after"),
                    highlights: vec![
                        Highlight { start: 0, end: 4 },
                        Highlight { start: 5, end: 12 },
                        Highlight { start: 17, end: 23 },
                    ],
                },
            }],
            next_cursor: Some(s("cTE6ZjAwZDoxMjM0OjQwMWMwMDAwMDAwMDAwMDA6LTotOi0")),
        }),
        Response::ChannelMatches(ChannelMatches {
            channels: vec![channel(ChannelKind::Text)],
        }),
        Response::CommunityMatches(CommunityMatches {
            communities: vec![info()],
        }),
    ]
}
