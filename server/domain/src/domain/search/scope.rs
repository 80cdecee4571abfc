//! Where a message search may look: the streams the caller may read.
//!
//! - one stream (`channel_id`): resolved and checked exactly as `get_messages` does
//!   (`Ctx::message_stream`, then the `get_messages` row of the permission table), so a
//!   channel, thread or conversation the caller may not read answers with the same code;
//! - a community: its channels where the caller holds `read_history` (the protocol's
//!   `channel_permissions`: groups, the category's or the channel's overrides, private
//!   membership) and the threads of those channels; the others are excluded;
//! - `@me`: the caller's conversations.

use community_protocol::permissions::channel_permissions;
use community_protocol::{ApiError, ChannelId, CommunityId, Permissions};

use crate::domain::access::{ChannelRules, actor};
use crate::domain::context::{Ctx, Membership};

/// The streams a search covers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Scope {
    /// Only this stream.
    pub stream: Option<ChannelId>,
    /// Channels (with their threads) left out.
    pub excluded: Vec<ChannelId>,
    /// When set, only these streams.
    pub only: Option<Vec<ChannelId>>,
}

/// What the caller may search in `community_id`, narrowed to `channel_id` when given.
pub(crate) fn scope(
    cx: &Ctx<'_>,
    community_id: &CommunityId,
    channel_id: Option<&ChannelId>,
) -> Result<Scope, ApiError> {
    if let Some(channel_id) = channel_id {
        let (membership, stream) = cx.message_stream(community_id, channel_id)?;
        cx.require_op(
            &membership,
            "get_messages",
            Some(&stream),
            Permissions::NONE,
        )?;
        return Ok(Scope {
            stream: Some(channel_id.clone()),
            ..Scope::default()
        });
    }
    if community_id.is_direct() {
        return Ok(Scope {
            only: Some(cx.tx.conversation_ids(cx.caller)?),
            ..Scope::default()
        });
    }
    let membership = cx.membership(community_id)?;
    Ok(Scope {
        excluded: unreadable_channels(cx, &membership)?,
        ..Scope::default()
    })
}

/// The channels of the community where the caller does not hold `read_history`.
fn unreadable_channels(cx: &Ctx<'_>, membership: &Membership) -> Result<Vec<ChannelId>, ApiError> {
    let community_id = &membership.info.community_id;
    let categories = cx.tx.categories(community_id)?;
    let me = actor(&membership.me);
    let community = membership.scope(cx.now);
    let mut unreadable = Vec::new();
    for record in cx.tx.channels(community_id)? {
        let rules = ChannelRules::with_categories(&record, &categories);
        let private_member = cx.private_member(&record, &membership.me.user_id)?;
        let flags = channel_permissions(&me, &community, &rules.scope(private_member));
        if !flags.contains(Permissions::READ_HISTORY) {
            unreadable.push(record.info.channel_id);
        }
    }
    Ok(unreadable)
}
