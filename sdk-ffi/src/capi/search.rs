//! Search in C. The calls themselves are generated (`csdk_client_search_local`,
//! `csdk_client_search`, `csdk_client_search_communities`, `csdk_community_search`,
//! `csdk_community_search_channels`, `csdk_community_search_members`,
//! `csdk_channel_search`, `csdk_thread_search`): each takes `SearchOptions` JSON (only
//! `"query"` is required) or a text, and returns `SearchResults`, `ChannelSearchResults`,
//! `CommunitySearchResults` or `MemberPage` JSON. A malformed query returns
//! `CSDK_ERR_INVALID_SEARCH_QUERY` (5037).
//!
//! A hit's `snippet.highlights` are byte ranges (`start`, `end`) of `snippet.text`, which
//! is UTF-8 like every string of this API: in C they index the decoded string's bytes
//! directly (`text + start`, `end - start` bytes), also for CJK text.

/// Hits per page of a message search when its options name no `"limit"`.
pub const CSDK_DEFAULT_SEARCH_LIMIT: u32 = 20;

#[cfg(test)]
mod tests {
    #[test]
    fn the_c_default_search_limit_is_the_sdks() {
        assert_eq!(
            super::CSDK_DEFAULT_SEARCH_LIMIT,
            community_sdk::DEFAULT_SEARCH_LIMIT
        );
    }
}
