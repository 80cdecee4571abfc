//! Local fail-fast permission checks from the cached membership (protocol §14). They
//! only refuse what the server would certainly refuse; when the community is not cached
//! they let the request through, and the server stays the authority either way.

use community_protocol::{
    ApiError, ChannelId, CommunityId, ErrorCode, Mentions, MessageContent, Permissions, Role,
    UserId,
};

use crate::state::State;

/// The caller must hold what operation `op` needs in the community at large (the
/// protocol's table; channel-scoped operations are checked with
/// `State::require_op` and their channel).
pub(crate) fn op(op: &'static str) -> impl Fn(&State, &CommunityId) -> Result<(), ApiError> {
    move |state, community_id| state.require_op(op, community_id, None)
}

/// The caller must be the owner.
pub(crate) fn owner(state: &State, community_id: &CommunityId) -> Result<(), ApiError> {
    match state.role(community_id) {
        Some(Role::Member | Role::Admin) => Err(ApiError::new(
            ErrorCode::OWNER_ONLY,
            "only the owner may do this",
        )),
        _ => Ok(()),
    }
}

/// Acting on another member (kick, mute, role): nobody acts on the owner.
pub(crate) fn not_the_owner(
    state: &State,
    community_id: &CommunityId,
    target: &UserId,
) -> Result<(), ApiError> {
    match state.community(community_id) {
        Some(community) if &community.info.owner_id == target => Err(ApiError::new(
            ErrorCode::CANNOT_ACT_ON_OWNER,
            "nobody may act on the owner",
        )),
        _ => Ok(()),
    }
}

/// The owner cannot leave.
pub(crate) fn may_leave(state: &State, community_id: &CommunityId) -> Result<(), ApiError> {
    match state.role(community_id) {
        Some(Role::Owner) => Err(ApiError::new(
            ErrorCode::OWNER_CANNOT_LEAVE,
            "the owner must transfer ownership before leaving",
        )),
        _ => Ok(()),
    }
}

/// The caller may post `content` mentioning `mentions` in the channel: `send_messages`,
/// and `attach_media` for media, `mention_everyone` for `@everyone` or a group that is
/// not mentionable (silences and presets give their own codes).
pub(crate) fn may_send(
    state: &State,
    community_id: &CommunityId,
    channel_id: &ChannelId,
    thread_parent: Option<&ChannelId>,
    content: &MessageContent,
    mentions: &Mentions,
) -> Result<(), ApiError> {
    let mut needed = Permissions::SEND_MESSAGES;
    if matches!(
        content,
        MessageContent::Image(_)
            | MessageContent::File(_)
            | MessageContent::Audio(_)
            | MessageContent::Video(_)
    ) {
        needed = needed.union(Permissions::ATTACH_MEDIA);
    }
    let unmentionable = state.community(community_id).is_some_and(|community| {
        mentions.groups.iter().any(|g| {
            g.is_everyone()
                || community
                    .groups
                    .iter()
                    .any(|group| &group.group_id == g && !group.mentionable)
        })
    });
    if mentions.everyone || unmentionable {
        needed = needed.union(Permissions::MENTION_EVERYONE);
    }
    match thread_parent {
        None => state.require(community_id, Some(channel_id), needed),
        Some(parent) => state.require_in_thread(community_id, channel_id, parent, needed),
    }
}
