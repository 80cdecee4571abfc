//! The context of one request inside its transaction ([`Ctx`]): who asks, when, the
//! limits, and the effects collected so far (membership changes and deliveries), plus the
//! lookups every operation starts with (community, membership, channel) and the role
//! checks that follow them.

use community_protocol::{
    ApiError, ChannelId, ChannelKind, CommunityId, CommunityInfo, ErrorCode, Event, Limits,
    MemberInfo, Role, TimestampMs, UserId,
};

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
    /// Membership changes, in order.
    pub membership: Vec<MembershipChange>,
    /// Events to deliver, in order.
    pub deliveries: Vec<Delivery>,
}

/// A caller's membership together with the community it is in.
pub(crate) struct Membership {
    /// The community (with attributes).
    pub info: CommunityInfo,
    /// The caller's membership.
    pub me: MemberInfo,
}

impl Membership {
    /// True for the owner and admins.
    pub fn is_manager(&self) -> bool {
        self.me.role >= Role::Admin
    }

    /// Fails with `PERMISSION_DENIED` unless the caller is the owner or an admin.
    pub fn require_manager(&self, what: &str) -> Result<(), ApiError> {
        if self.is_manager() {
            Ok(())
        } else {
            Err(ApiError::new(
                ErrorCode::PERMISSION_DENIED,
                format!("only the owner and admins may {what}"),
            ))
        }
    }

    /// Fails with `MUTED` while the caller is muted, and with `MUTE_ALL` for an ordinary
    /// member while the community is muted (what sending, editing and reacting need).
    pub fn require_voice(&self, now: TimestampMs) -> Result<(), ApiError> {
        if let Some(until) = self.me.muted_until_ms.filter(|until| *until > now) {
            return Err(ApiError::new(
                ErrorCode::MUTED,
                format!("you are muted until {until} (ms since epoch)"),
            ));
        }
        if self.info.mute_all && self.me.role == Role::Member {
            return Err(ApiError::new(
                ErrorCode::MUTE_ALL,
                "the community is muted: only the owner and admins speak",
            ));
        }
        Ok(())
    }

    /// Fails unless the caller may post in `channel`: `ANNOUNCEMENT_READ_ONLY` for an
    /// ordinary member in an announcement channel, then [`Membership::require_voice`].
    /// Sending and editing need this.
    pub fn require_post(&self, channel: &ChannelRecord, now: TimestampMs) -> Result<(), ApiError> {
        if channel.info.kind == ChannelKind::Announcement && !self.is_manager() {
            return Err(ApiError::new(
                ErrorCode::ANNOUNCEMENT_READ_ONLY,
                "only the owner and admins post in an announcement channel",
            ));
        }
        self.require_voice(now)
    }

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
}

impl<'a> Ctx<'a> {
    /// A context with no effects yet.
    pub fn new(
        tx: &'a dyn Tx,
        caller: &'a UserId,
        now: TimestampMs,
        limits: &'a Limits,
        rate: &'a RateLimiter,
    ) -> Self {
        Self {
            tx,
            caller,
            now,
            limits,
            rate,
            membership: Vec::new(),
            deliveries: Vec::new(),
        }
    }

    /// Queues `event` for `audience`.
    pub fn emit(&mut self, audience: Audience, event: Event) {
        self.deliveries.push(Delivery { audience, event });
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

    /// The community, or `COMMUNITY_NOT_FOUND`.
    pub fn community(&self, community_id: &CommunityId) -> Result<CommunityInfo, ApiError> {
        self.tx.community(community_id)?.ok_or_else(|| {
            ApiError::new(
                ErrorCode::COMMUNITY_NOT_FOUND,
                format!("no community {community_id:?}"),
            )
        })
    }

    /// The community and the caller's membership: `COMMUNITY_NOT_FOUND` or `NOT_MEMBER`.
    pub fn membership(&self, community_id: &CommunityId) -> Result<Membership, ApiError> {
        let info = self.community(community_id)?;
        let me = self.tx.member(community_id, self.caller)?.ok_or_else(|| {
            ApiError::new(
                ErrorCode::NOT_MEMBER,
                format!("you are not a member of {community_id:?}"),
            )
        })?;
        Ok(Membership { info, me })
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

    /// Whether `member` can see `channel`: public channels are seen by every member,
    /// private ones by their explicit members, the owner and the admins.
    pub fn can_see(&self, channel: &ChannelRecord, member: &MemberInfo) -> Result<bool, ApiError> {
        Ok(!channel.info.private
            || member.role >= Role::Admin
            || self
                .tx
                .is_channel_member(&channel.info.channel_id, &member.user_id)?)
    }

    /// A channel the caller can see: `CHANNEL_NOT_FOUND` or `NOT_CHANNEL_MEMBER`.
    pub fn visible_channel(
        &self,
        membership: &Membership,
        channel_id: &ChannelId,
    ) -> Result<ChannelRecord, ApiError> {
        let channel = self.channel(&membership.info.community_id, channel_id)?;
        if !self.can_see(&channel, &membership.me)? {
            return Err(ApiError::new(
                ErrorCode::NOT_CHANNEL_MEMBER,
                format!("channel {channel_id:?} is private and you are not in it"),
            ));
        }
        Ok(channel)
    }

    /// Everyone who can see a private channel: explicit members, owner and admins.
    pub fn private_viewers(
        &self,
        community_id: &CommunityId,
        channel_id: &ChannelId,
    ) -> Result<Vec<UserId>, ApiError> {
        let mut users = self.tx.channel_member_ids(channel_id)?;
        users.extend(self.tx.privileged_ids(community_id)?);
        users.sort();
        users.dedup();
        Ok(users)
    }

    /// Who receives events about a channel.
    pub fn channel_audience(&self, channel: &ChannelRecord) -> Result<Audience, ApiError> {
        if channel.info.private {
            Ok(Audience::Users(self.private_viewers(
                &channel.info.community_id,
                &channel.info.channel_id,
            )?))
        } else {
            Ok(Audience::Community(channel.info.community_id.clone()))
        }
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
}
