//! The search rows of the operations table: messages (the cache alone, or merged with the
//! server's full history), communities, channels and members by name. A thread's or a
//! conversation's messages are searched through its channel handle (the channel row is
//! marked `in_threads`).

use crate::ops_table::On::{Channel as Ch, Client as Cl, Community as Cm};
use crate::ops_table::P::*;
use crate::ops_table::{Op, R, op};

/// The search operations.
pub(super) const SEARCH: &[Op] = &[
    op(
        Cl,
        "search_local",
        &[Json("options", "SearchOptions")],
        R::Record("SearchResults"),
        "c.search_local(options.into())",
        "Searches the cached messages only (works offline): ranked by relevance, then newest first; `server` is `not_asked`. A malformed query fails with `invalid_search_query` (5037) before anything is read; hidden, recalled and system messages are never found. Highlights are byte ranges of the snippet's UTF-8 text.",
    ),
    op(
        Cl,
        "search",
        &[Json("options", "SearchOptions")],
        R::Record("SearchResults"),
        "c.search(options.into())",
        "Searches the cached messages and, when `options.community_id` is set, the server's full history of that community, merged with each message once (the server's copy wins; `source` says where a hit came from). When the server cannot answer, the local hits come back with `server` = `failed` and its error: a server failure never fails the search, a malformed query (5037) does.",
    ),
    op(
        Cl,
        "search_communities",
        &[Str("text")],
        R::Record("CommunitySearchResults"),
        "c.search_communities(&text)",
        "Communities whose name contains `text` (case-insensitive): the joined ones in the cache and those the server knows (joined, or open to joining), each once; joined ones first, then names starting with the text.",
    ),
    op(
        Cm,
        "search",
        &[Json("options", "SearchOptions")],
        R::Record("SearchResults"),
        "c.search(options.into())",
        "Searches this community's messages (the cache merged with the server's history; see `Client.search`); `options.community_id` is this community.",
    ),
    op(
        Cm,
        "search_channels",
        &[Str("text")],
        R::Record("ChannelSearchResults"),
        "c.search_channels(&text)",
        "Channels of this community whose name contains `text` (case-insensitive): the cached visible ones and those the server lists, each once, names starting with the text first.",
    ),
    op(
        Cm,
        "search_members",
        &[Str("text"), U32OrZero("limit")],
        R::Record("MemberPage"),
        "c.search_members(&text, limit)",
        "A page of the members whose display name, nickname or id contains `text` (case-insensitive), from the server (`limit` 1..=100, default 100); an empty or too long text is `invalid_search_query`.",
    ),
    op(
        Ch,
        "search",
        &[Json("options", "SearchOptions")],
        R::Record("SearchResults"),
        "c.search(options.into())",
        "Searches this channel's, thread's or conversation's messages (the cache merged with the server's history; see `Client.search`); `options.community_id` and `options.channel_id` are this stream's.",
    )
    .in_threads(),
];
