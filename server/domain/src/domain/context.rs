//! The context of one request inside its transaction ([`Ctx`]): who asks, when, the
//! limits, and the effects collected so far (membership changes and deliveries), plus the
//! lookups every operation starts with (community, membership, channel). Permission
//! checks on these live in [`super::access`].

use community_protocol::{
    ApiError, ChannelId, CommunityId, CommunityInfo, ErrorCode, Event, Group, GroupId, Limits,
    MemberInfo, Role, TimestampMs, UserId,
};

use super::viewer_cache::ViewerCache;
use crate::rate::RateLimiter;
use crate::routing::{Audience, Delivery, MembershipChange};
use crate::store::{ChannelRecord, Tx};

/// One request in progress.
pub(crate) struct Ctx<'a> {
    /// The transaction.
    pub tx: &'a dyn Tx,
    /// The authenticated caller.
    pub caller: &'a UserId,
    /// The request's time.
    pub now: TimestampMs,
    /// The deployment's limits.
    pub limits: &'a Limits,
    /// The per-channel rate limiter.
    pub rate: &'a RateLimiter,
    /// Who may view which channel, kept between requests.
    pub viewers: &'a ViewerCache,
    /// Membership changes, in order.
    pub membership: Vec<MembershipChange>,
    /// Events to deliver, in order.
    pub deliveries: Vec<Delivery>,
}

/// A caller's membership together with the community it is in and its groups.
pub(crate) struct Membership {
    /// The community (with attributes).
    pub info: CommunityInfo,
    /// The caller's membership (with their groups).
    pub me: MemberInfo,
    /// Every permission group of the community, `@everyone` first.
    pub groups: Vec<Group>,
}

impl Membership {
    /// Fails with `OWNER_ONLY` unless the caller is the owner.
    pub fn require_owner(&self, what: &str) -> Result<(), ApiError> {
        if self.me.role == Role::Owner {
            Ok(())
        } else {
            Err(ApiError::new(
                ErrorCode::OWNER_ONLY,
                format!("only the owner may {what}"),
            ))
        }
    }

    /// The group `group_id` of the community, or `GROUP_NOT_FOUND`.
    pub fn group(&self, group_id: &GroupId) -> Result<&Group, ApiError> {
        self.groups
            .iter()
            .find(|g| g.group_id == *group_id)
            .ok_or_else(|| group_not_found(group_id))
    }
}

/// `GROUP_NOT_FOUND` for `group_id`.
pub(crate) fn group_not_found(group_id: &GroupId) -> ApiError {
    ApiError::new(
        ErrorCode::GROUP_NOT_FOUND,
        format!("no permission group {group_id:?} in this community"),
    )
}

impl<'a> Ctx<'a> {
    /// A context with no effects yet.
    pub fn new(
        tx: &'a dyn Tx,
        caller: &'a UserId,
        now: TimestampMs,
        limits: &'a Limits,
        rate: &'a RateLimiter,
        viewers: &'a ViewerCache,
    ) -> Self {
        Self {
            tx,
            caller,
            now,
            limits,
            rate,
            viewers,
            membership: Vec::new(),
            deliveries: Vec::new(),
        }
    }

    /// Queues `event` for `audience`.
    pub fn emit(&mut self, audience: Audience, event: Event) {
        self.deliveries.push(Delivery::new(audience, event));
    }

    /// Queues `event` for every online session of one user.
    pub fn emit_to(&mut self, user_id: &UserId, event: Event) {
        self.emit(Audience::Users(vec![user_id.to_owned()]), event);
    }

    /// Records that `user_id` entered (`joined`) or left a community.
    pub fn membership_changed(
        &mut self,
        community_id: &CommunityId,
        user_id: &UserId,
        joined: bool,
    ) {
        self.membership.push(MembershipChange {
            community_id: community_id.to_owned(),
            user_id: user_id.to_owned(),
            joined,
        });
    }

    /// The community, or `COMMUNITY_NOT_FOUND` (also for `@me`, the conversations'
    /// reserved community, which is no community: see `conversations::rules`).
    pub fn community(&self, community_id: &CommunityId) -> Result<CommunityInfo, ApiError> {
        let found = if community_id.is_direct() {
            None
        } else {
            self.tx.community(community_id)?
        };
        found.ok_or_else(|| {
            ApiError::new(
                ErrorCode::COMMUNITY_NOT_FOUND,
                format!("no community {community_id:?}"),
            )
        })
    }

    /// The community, its groups and the caller's membership: `COMMUNITY_NOT_FOUND` or
    /// `NOT_MEMBER`. The app admin (`@admin`, docs/ADMIN.md) holds a synthesized
    /// membership in every community: role owner, no groups, never muted, so every rule
    /// lets it do what an owner does.
    pub fn membership(&self, community_id: &CommunityId) -> Result<Membership, ApiError> {
        let info = self.community(community_id)?;
        let me = if self.caller.is_app_admin() {
            Some(MemberInfo {
                community_id: info.community_id.clone(),
                user_id: UserId::app_admin(),
                role: Role::Owner,
                nickname: String::new(),
                joined_at_ms: info.created_at_ms,
                muted_until_ms: None,
                groups: Vec::new(),
                custom_fields: Default::default(),
            })
        } else {
            self.tx.member(community_id, self.caller)?
        };
        let me = me.ok_or_else(|| {
            ApiError::new(
                ErrorCode::NOT_MEMBER,
                format!("you are not a member of {community_id:?}"),
            )
        })?;
        let groups = self.tx.groups(community_id)?;
        Ok(Membership { info, me, groups })
    }

    /// Another member of the community, or `NOT_MEMBER`.
    pub fn member(
        &self,
        community_id: &CommunityId,
        user_id: &UserId,
    ) -> Result<MemberInfo, ApiError> {
        self.tx.member(community_id, user_id)?.ok_or_else(|| {
            ApiError::new(
                ErrorCode::NOT_MEMBER,
                format!("{user_id:?} is not a member of {community_id:?}"),
            )
        })
    }

    /// A channel of the community, or `CHANNEL_NOT_FOUND`.
    pub fn channel(
        &self,
        community_id: &CommunityId,
        channel_id: &ChannelId,
    ) -> Result<ChannelRecord, ApiError> {
        self.tx.channel(community_id, channel_id)?.ok_or_else(|| {
            ApiError::new(
                ErrorCode::CHANNEL_NOT_FOUND,
                format!("no channel {channel_id:?} in {community_id:?}"),
            )
        })
    }

    /// Bumps the community's structure version and saves its info; returns the new
    /// version.
    pub fn save_structure(&self, info: &mut CommunityInfo) -> Result<u64, ApiError> {
        info.version += 1;
        self.tx.update_community(info)?;
        Ok(info.version)
    }

    /// Bumps the structure version of a community by id (channel and category changes).
    pub fn bump_version(&self, community_id: &CommunityId) -> Result<u64, ApiError> {
        let mut info = self.community(community_id)?;
        self.save_structure(&mut info)
    }

    /// Records that who may see what changed in a community (groups, assignments, roles,
    /// overrides, private channels, members leaving): cached audiences are recomputed.
    pub fn access_changed(&self, community_id: &CommunityId) -> Result<(), ApiError> {
        Ok(self.tx.renew_access_stamp(community_id)?)
    }
}
