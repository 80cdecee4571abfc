//! Who receives the events of a channel: the members who may view it.
//!
//! Fan-out must stay cheap, so the set is not computed per message. It depends only on
//! groups, assignments, roles, overrides, private memberships and members leaving, all of
//! which renew the community's access stamp in the store ([`Ctx::access_changed`]); the
//! `ViewerCache` keeps one audience per channel under the stamp it was computed at, so a
//! message costs one stamp lookup and a shared `Arc`. The stamp is part of the
//! transaction: a change that rolls back leaves the old stamp, so an audience computed
//! from uncommitted data is never used.
//!
//! A set is computed from the members who rank above a plain member (a role or a group),
//! the channel's private members and the members its overrides name; everyone else holds
//! only `@everyone`, so one answer covers them all, members who join later included
//! ([`ChannelViewers::by_default`]).
//!
//! A thread's messages go to its joined members instead (`threads::membership`); its
//! own events (updates, digests) to its channel's viewers. A conversation's go to its
//! participants (`conversations::rules`).

use std::collections::{HashMap, HashSet};

use community_protocol::permissions::{Actor, CommunityScope, channel_permissions};
use community_protocol::{
    ApiError, CommunityId, Group, GroupId, Permissions, Role, TimestampMs, UserId,
};

use super::access::ChannelRules;
use super::context::Ctx;
use crate::routing::{Audience, ChannelViewers};
use crate::store::{ChannelRecord, RankedMember};

/// The members of a community who rank above a plain member, with its groups: what a
/// channel's viewers are computed from.
pub(crate) struct Roster {
    /// The community.
    pub community_id: CommunityId,
    /// Every group, `@everyone` first.
    pub groups: Vec<Group>,
    /// Members with a role or a group, by user id.
    pub ranked: HashMap<UserId, RankedMember>,
}

impl Roster {
    /// Reads the roster of a community.
    pub fn load(cx: &Ctx<'_>, community_id: &CommunityId) -> Result<Roster, ApiError> {
        Ok(Roster {
            community_id: community_id.clone(),
            groups: cx.tx.groups(community_id)?,
            ranked: cx
                .tx
                .ranked_members(community_id)?
                .into_iter()
                .map(|m| (m.user_id.clone(), m))
                .collect(),
        })
    }

    fn sees(
        &self,
        user_id: &UserId,
        rules: &ChannelRules,
        private_member: bool,
        now: TimestampMs,
    ) -> bool {
        let (role, groups): (Role, &[GroupId]) = match self.ranked.get(user_id) {
            Some(ranked) => (ranked.role, &ranked.groups),
            None => (Role::Member, &[]),
        };
        let actor = Actor {
            user_id,
            is_owner: role == Role::Owner,
            role,
            groups,
            muted_until_ms: None,
        };
        let community = CommunityScope {
            groups: &self.groups,
            mute_all: false,
            now_ms: now,
        };
        channel_permissions(&actor, &community, &rules.scope(private_member))
            .contains(Permissions::VIEW_CHANNEL)
    }

    /// Who may view a channel with these rules and private members.
    pub fn viewers(
        &self,
        rules: &ChannelRules,
        private_members: &[UserId],
        now: TimestampMs,
    ) -> ChannelViewers {
        // No user id is empty: this is a member with no role, group or override.
        let plain = UserId::from(String::new());
        let by_default = self.sees(&plain, rules, false, now);
        let private: HashSet<&UserId> = private_members.iter().collect();
        let candidates = self
            .ranked
            .keys()
            .chain(private_members)
            .chain(rules.member_targets());
        let mut exceptions = HashSet::new();
        for user_id in candidates {
            if !exceptions.contains(user_id)
                && self.sees(user_id, rules, private.contains(user_id), now) != by_default
            {
                exceptions.insert(user_id.clone());
            }
        }
        ChannelViewers {
            community_id: self.community_id.clone(),
            by_default,
            exceptions,
        }
    }

    /// Who may view `record` now (read from the store, not cached).
    pub fn viewers_of(
        &self,
        cx: &Ctx<'_>,
        record: &ChannelRecord,
        rules: &ChannelRules,
    ) -> Result<ChannelViewers, ApiError> {
        let private_members = if record.info.private {
            cx.tx.channel_member_ids(&record.info.channel_id)?
        } else {
            Vec::new()
        };
        Ok(self.viewers(rules, &private_members, cx.now))
    }

    /// The members who hold `flags` in the community at large (mute-all and mutes aside):
    /// the whole community when `@everyone` holds them.
    pub fn holding(&self, flags: Permissions, now: TimestampMs) -> Audience {
        let community = CommunityScope {
            groups: &self.groups,
            mute_all: false,
            now_ms: now,
        };
        let holds = |user_id: &UserId, role: Role, groups: &[GroupId]| {
            let actor = Actor {
                user_id,
                is_owner: role == Role::Owner,
                role,
                groups,
                muted_until_ms: None,
            };
            community_protocol::permissions::community_permissions(&actor, &community)
                .contains(flags)
        };
        let plain = UserId::from(String::new());
        if holds(&plain, Role::Member, &[]) {
            return Audience::Community(self.community_id.clone());
        }
        let mut users: Vec<UserId> = self
            .ranked
            .values()
            .filter(|m| holds(&m.user_id, m.role, &m.groups))
            .map(|m| m.user_id.clone())
            .collect();
        users.sort();
        Audience::Users(users)
    }
}

impl Ctx<'_> {
    /// Who receives events about a channel: the members who may view it (cached until
    /// who may see what changes in the community). For a thread's stream: its joined
    /// members and the caller; for a conversation: its participants.
    pub fn channel_audience(&self, record: &ChannelRecord) -> Result<Audience, ApiError> {
        if let Some(link) = record.thread.as_deref() {
            return self.thread_audience(link);
        }
        if record.info.community_id.is_direct() {
            return self.conversation_audience(record);
        }
        let community_id = &record.info.community_id;
        let stamp = self.tx.access_stamp(community_id)?;
        if let Some(audience) = self.viewers.get(&record.info.channel_id, stamp) {
            return Ok(audience);
        }
        let _span = tracing::debug_span!(
            "channel_audience",
            channel_id = record.info.channel_id.as_str()
        )
        .entered();
        let rules = ChannelRules::load(self, record)?;
        let roster = Roster::load(self, community_id)?;
        let audience = roster.viewers_of(self, record, &rules)?.into_audience();
        self.viewers.put(&record.info.channel_id, stamp, &audience);
        Ok(audience)
    }
}
