//! What the user may do, from the cache: the protocol's one permission computation
//! (`community_protocol::permissions`) fed with the cached groups, membership, channel
//! and category overrides. The server runs the same computation, so a refusal here is
//! the refusal the server would give (with its code), and `permissions()` lets a UI grey
//! out what the user may not do. Nothing cached: no opinion (the server decides).

use community_protocol::permissions::{
    self, Actor, ChannelScope, CommunityScope, Permissions, Scope,
};
use community_protocol::{ApiError, ChannelId, CommunityId, Override};

use super::State;
use super::community::{ChannelState, CommunityState};
use crate::clock::now_ms;

/// What every participant of a conversation may do (no roles, no overrides there; every
/// participant may also pin, and only authors change their messages).
pub(crate) const CONVERSATION_PERMISSIONS: Permissions = Permissions::VIEW_CHANNEL
    .union(Permissions::READ_HISTORY)
    .union(Permissions::SEND_MESSAGES)
    .union(Permissions::ADD_REACTIONS)
    .union(Permissions::ATTACH_MEDIA);

fn actor(community: &CommunityState) -> Actor<'_> {
    Actor {
        user_id: &community.me.user_id,
        is_owner: community.me.user_id == community.info.owner_id,
        role: community.me.role,
        groups: &community.me.groups,
        muted_until_ms: community.me.muted_until_ms,
    }
}

fn community_scope(community: &CommunityState) -> CommunityScope<'_> {
    CommunityScope {
        groups: &community.groups,
        mute_all: community.info.mute_all,
        now_ms: now_ms(),
    }
}

/// The overrides in force in a channel: its category's when it follows it.
fn overrides<'a>(community: &'a CommunityState, channel: &'a ChannelState) -> &'a [Override] {
    if channel.info.follows_category
        && let Some(category_id) = &channel.info.category_id
        && let Some(category) = community
            .categories
            .iter()
            .find(|c| &c.category_id == category_id)
    {
        return &category.overrides;
    }
    &channel.info.overrides
}

fn channel_scope<'a>(community: &'a CommunityState, channel: &'a ChannelState) -> ChannelScope<'a> {
    ChannelScope {
        kind: channel.info.kind,
        private: channel.info.private,
        // The channel is in the cache, so the server showed it to us: for a private
        // channel we are one of its members.
        private_member: true,
        mute_all: channel.info.mute_all,
        overrides: overrides(community, channel),
    }
}

impl State {
    /// What the user may do in a community at large (`None` when it is not cached).
    pub(crate) fn community_permissions(&self, community_id: &CommunityId) -> Option<Permissions> {
        let community = self.community(community_id)?;
        Some(permissions::community_permissions(
            &actor(community),
            &community_scope(community),
        ))
    }

    /// What the user may do in a channel (`None` when it is not cached). In a
    /// conversation: what every participant may do ([`CONVERSATION_PERMISSIONS`]).
    pub(crate) fn channel_permissions(
        &self,
        community_id: &CommunityId,
        channel_id: &ChannelId,
    ) -> Option<Permissions> {
        let community = self.community(community_id)?;
        let channel = community.channels.get(channel_id)?;
        if community_id.is_direct() {
            return Some(CONVERSATION_PERMISSIONS);
        }
        Some(permissions::channel_permissions_from(
            &actor(community),
            community.base,
            &community_scope(community),
            &channel_scope(community, channel),
        ))
    }

    /// What the user may do in every cached channel of a community (`None` when it is
    /// not cached): one pass, the base computed once.
    pub(crate) fn all_channel_permissions(
        &self,
        community_id: &CommunityId,
    ) -> Option<Vec<(ChannelId, Permissions)>> {
        let community = self.community(community_id)?;
        let (actor, scope) = (actor(community), community_scope(community));
        Some(
            community
                .channels
                .iter()
                .map(|(id, channel)| {
                    let held = permissions::channel_permissions_from(
                        &actor,
                        community.base,
                        &scope,
                        &channel_scope(community, channel),
                    );
                    (id.clone(), held)
                })
                .collect(),
        )
    }

    /// Checks that the user holds `needed` (in the channel when given), with the error
    /// the server would give. No opinion (Ok) when the community is not cached; a channel
    /// not cached is `channel_not_found`.
    pub(crate) fn require(
        &self,
        community_id: &CommunityId,
        channel_id: Option<&ChannelId>,
        needed: Permissions,
    ) -> Result<(), ApiError> {
        let Some(community) = self.community(community_id) else {
            return Ok(());
        };
        if community_id.is_direct() {
            // No roles in conversations: participants may do everything but change
            // others' messages, which the server checks.
            return match channel_id {
                Some(id) if !community.channels.contains_key(id) => Err(ApiError::new(
                    community_protocol::ErrorCode::CONVERSATION_NOT_FOUND,
                    "no such conversation",
                )),
                _ => Ok(()),
            };
        }
        let channel = match channel_id {
            Some(channel_id) => match community.channels.get(channel_id) {
                Some(channel) => Some(channel_scope(community, channel)),
                None => {
                    return Err(ApiError::new(
                        community_protocol::ErrorCode::CHANNEL_NOT_FOUND,
                        "no such channel in this community",
                    ));
                }
            },
            None => None,
        };
        permissions::require(
            &actor(community),
            &community_scope(community),
            channel.as_ref(),
            needed,
        )
    }

    /// Checks that the user may manage `group_id` (change, delete, give, take): only a
    /// group below their rank. No opinion when the community or the group is not cached.
    pub(crate) fn may_manage_group(
        &self,
        community_id: &CommunityId,
        group_id: &community_protocol::GroupId,
    ) -> Result<(), ApiError> {
        let Some(community) = self.community(community_id) else {
            return Ok(());
        };
        let Some(group) = community.groups.iter().find(|g| &g.group_id == group_id) else {
            return Ok(());
        };
        permissions::may_manage_group(&actor(community), group, &community.groups)
    }

    /// Like [`require`](Self::require) for a thread of channel `parent`: checked in the
    /// channel with `send_in_threads` in place of `send_messages`
    /// (`permissions::in_thread`); posting in a joined thread that is archived is
    /// `thread_archived`, in a locked one without `manage_threads` `thread_locked`.
    pub(crate) fn require_in_thread(
        &self,
        community_id: &CommunityId,
        thread_id: &ChannelId,
        parent: &ChannelId,
        needed: Permissions,
    ) -> Result<(), ApiError> {
        let needed = permissions::in_thread(needed);
        self.require(community_id, Some(parent), needed)?;
        if !needed.contains(Permissions::SEND_IN_THREADS) {
            return Ok(());
        }
        let Some(thread) = self.joined_thread(community_id, thread_id) else {
            return Ok(());
        };
        if thread.is_archived(crate::clock::now_ms()) {
            return Err(ApiError::new(
                community_protocol::ErrorCode::THREAD_ARCHIVED,
                "the thread is archived: unarchive it to post",
            ));
        }
        if thread.locked
            && self
                .require(community_id, Some(parent), Permissions::MANAGE_THREADS)
                .is_err()
        {
            return Err(ApiError::new(
                community_protocol::ErrorCode::THREAD_LOCKED,
                "the thread is locked: only members who manage threads post",
            ));
        }
        Ok(())
    }

    /// What operation `op` needs in a channel, or in a thread when `parent` (its channel)
    /// is given.
    pub(crate) fn require_op_at(
        &self,
        op: &str,
        community_id: &CommunityId,
        channel_id: &ChannelId,
        parent: Option<&ChannelId>,
    ) -> Result<(), ApiError> {
        match parent {
            None => self.require_op(op, community_id, Some(channel_id)),
            Some(parent) => match permissions::operation_permission(op) {
                None => Ok(()),
                Some((_, needed)) => {
                    self.require_in_thread(community_id, channel_id, parent, needed)
                }
            },
        }
    }

    /// Checks what operation `op` needs (the protocol's table), in the channel when the
    /// operation is checked there.
    pub(crate) fn require_op(
        &self,
        op: &str,
        community_id: &CommunityId,
        channel_id: Option<&ChannelId>,
    ) -> Result<(), ApiError> {
        match permissions::operation_permission(op) {
            None => Ok(()),
            Some((Scope::Community, needed)) => self.require(community_id, None, needed),
            Some((Scope::Channel, needed)) => self.require(community_id, channel_id, needed),
        }
    }
}
