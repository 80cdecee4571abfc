//! Finding channels and communities by name: `search_channels` and `search_communities`.
//!
//! The text is matched case-insensitively (`str::to_lowercase` on both sides, the SQL
//! `fold_case` for communities) anywhere in the name, after trimming; it must be
//! 1..=`search_query_bytes` bytes and not only spaces (`invalid_search_query`). Names
//! starting with the text come first, then the others, each by name.
//!
//! - Channels: those of a community the caller is a member of that they may view (what
//!   `get_community` lists; threads are not channels).
//! - Communities: those the caller is a member of, and those they could join or ask to
//!   join (not invite-only, not banning them), joined ones first. `@me` is no community.

use community_protocol::search::{
    ChannelMatches, CommunityMatches, SearchChannels, SearchCommunities,
};
use community_protocol::{ApiError, ErrorCode, Limits, Response};

use super::limit_of;
use crate::domain::context::Ctx;
use crate::domain::view::visible_channels;

/// The folded text of a name search, or `INVALID_SEARCH_QUERY`.
fn name_text(limits: &Limits, query: &str) -> Result<String, ApiError> {
    if query.len() > limits.search_query_bytes {
        return Err(ApiError::new(
            ErrorCode::INVALID_SEARCH_QUERY,
            format!("a query is at most {} bytes", limits.search_query_bytes),
        ));
    }
    let text = query.trim();
    if text.is_empty() {
        return Err(ApiError::new(
            ErrorCode::INVALID_SEARCH_QUERY,
            "the query has no text to look for",
        ));
    }
    Ok(text.to_lowercase())
}

/// `search_channels`.
pub(crate) fn channels(cx: &mut Ctx<'_>, p: SearchChannels) -> Result<Response, ApiError> {
    let text = name_text(cx.limits, &p.query)?;
    let limit = usize::try_from(limit_of(cx.limits, p.limit)?).unwrap_or(usize::MAX);
    let membership = cx.membership(&p.community_id)?;
    let mut found: Vec<(bool, String, _)> = visible_channels(cx, &membership.me)?
        .into_iter()
        .filter_map(|record| {
            let folded = record.info.name.to_lowercase();
            let at = folded.find(&text)?;
            Some((at != 0, folded, record.info))
        })
        .collect();
    found.sort_by(|a, b| (a.0, &a.1, &a.2.channel_id).cmp(&(b.0, &b.1, &b.2.channel_id)));
    Ok(Response::ChannelMatches(ChannelMatches {
        channels: found
            .into_iter()
            .take(limit)
            .map(|(_, _, info)| info)
            .collect(),
    }))
}

/// `search_communities`.
pub(crate) fn communities(cx: &mut Ctx<'_>, p: SearchCommunities) -> Result<Response, ApiError> {
    let text = name_text(cx.limits, &p.query)?;
    let limit = limit_of(cx.limits, p.limit)?;
    let ids = cx.tx.search_communities(cx.caller, &text, cx.now, limit)?;
    let mut communities = Vec::with_capacity(ids.len());
    for community_id in ids {
        if let Some(info) = cx.tx.community(&community_id)? {
            communities.push(info);
        }
    }
    Ok(Response::CommunityMatches(CommunityMatches { communities }))
}
