//! Local fail-fast permission checks from the cached membership (protocol §14). They
//! only refuse what the server would certainly refuse; when the community is not cached
//! they let the request through, and the server stays the authority either way.

use community_protocol::{ApiError, ChannelId, ChannelKind, CommunityId, ErrorCode, Role, UserId};

use crate::clock::now_ms;
use crate::state::State;

/// The caller must be owner or admin.
pub(crate) fn admin(state: &State, community_id: &CommunityId) -> Result<(), ApiError> {
    match state.role(community_id) {
        Some(Role::Member) => Err(ApiError::new(
            ErrorCode::PERMISSION_DENIED,
            "only the owner and admins may do this",
        )),
        _ => Ok(()),
    }
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

/// The caller may post in the channel: not muted, not silenced by mute-all, and staff
/// for an announcement channel.
pub(crate) fn may_send(
    state: &State,
    community_id: &CommunityId,
    channel_id: &ChannelId,
) -> Result<(), ApiError> {
    let Some(community) = state.community(community_id) else {
        return Ok(());
    };
    let Some(channel) = community.channels.get(channel_id) else {
        return Err(ApiError::new(
            ErrorCode::CHANNEL_NOT_FOUND,
            "no such channel in this community",
        ));
    };
    let staff = community.me.role >= Role::Admin;
    if let Some(until) = community.me.muted_until_ms
        && until > now_ms()
        && community.me.role != Role::Owner
    {
        return Err(ApiError::new(
            ErrorCode::MUTED,
            format!("muted until {until} (ms)"),
        ));
    }
    if community.info.mute_all && !staff {
        return Err(ApiError::new(ErrorCode::MUTE_ALL, "the community is muted"));
    }
    if channel.info.kind == ChannelKind::Announcement && !staff {
        return Err(ApiError::new(
            ErrorCode::ANNOUNCEMENT_READ_ONLY,
            "only the owner and admins post in announcement channels",
        ));
    }
    Ok(())
}
