//! Permission checks: the store's groups, overrides and memberships fed into the
//! protocol's one computation (`community_protocol::permissions`), which the SDK runs too,
//! so that server and SDK always give the same answer.
//!
//! Nothing here decides a rule: what an operation needs comes from
//! `OPERATION_PERMISSIONS` ([`needed`]), the effective flags and the error for each reason
//! from `channel_permissions` / `community_permissions` / `require`, ranks from `rank`,
//! `may_act_on` and `may_manage_group`. This module only finds the inputs: the member as
//! an [`Actor`], the community's groups and mute-all, and a channel's [`ChannelRules`]
//! (its kind, private flag, mute-all and the overrides in force: the category's when it
//! follows its category and has one). A thread's stream is checked in its channel
//! (`threads::rules`), a conversation's by its own rules (`conversations::rules`): the
//! helpers below hand such a record over to them.

use community_protocol::permissions::{
    self, Actor, ChannelScope, CommunityScope, Scope, channel_permissions, community_permissions,
};
use community_protocol::{
    ApiError, CategoryInfo, ChannelId, ChannelKind, ErrorCode, Group, MemberInfo, Override,
    Permissions, Role, UserId,
};

use super::context::{Ctx, Membership};
use super::conversations::rules::{PARTICIPANT_FLAGS, is_conversation};
use crate::store::ChannelRecord;

/// What `op` needs according to the protocol's table (`NONE` when the table names no
/// flag for it: open to every member, or owner-only).
pub(crate) fn needed(op: &str) -> Permissions {
    permissions::operation_permission(op).map_or(Permissions::NONE, |(_, flags)| flags)
}

/// Whether the table checks `op` in a channel (else in the community at large).
pub(crate) fn in_channel(op: &str) -> bool {
    matches!(
        permissions::operation_permission(op),
        Some((Scope::Channel, _))
    )
}

/// A member as the permission functions see them.
pub(crate) fn actor(member: &MemberInfo) -> Actor<'_> {
    Actor {
        user_id: &member.user_id,
        is_owner: member.role == Role::Owner,
        role: member.role,
        groups: &member.groups,
        muted_until_ms: member.muted_until_ms,
    }
}

/// What a channel contributes to a permission question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChannelRules {
    /// The channel.
    pub channel_id: ChannelId,
    /// Its kind (announcement channels deny `send_messages` to `@everyone`).
    pub kind: ChannelKind,
    /// Private channels deny `view_channel` to `@everyone`, allow it to their members.
    pub private: bool,
    /// Channel mute-all.
    pub mute_all: bool,
    /// The overrides in force.
    pub overrides: Vec<Override>,
}

impl ChannelRules {
    /// The rules of `record`, given its community's categories (for a channel that
    /// follows its category). A channel without a category uses its own overrides.
    pub fn with_categories(record: &ChannelRecord, categories: &[CategoryInfo]) -> Self {
        let info = &record.info;
        let overrides = match (&info.category_id, info.follows_category) {
            (Some(category_id), true) => categories
                .iter()
                .find(|c| c.category_id == *category_id)
                .map_or_else(Vec::new, |c| c.overrides.clone()),
            _ => info.overrides.clone(),
        };
        Self {
            channel_id: info.channel_id.clone(),
            kind: info.kind,
            private: info.private,
            mute_all: info.mute_all,
            overrides,
        }
    }

    /// The rules of `record`, reading its category's overrides when it follows them.
    pub fn load(cx: &Ctx<'_>, record: &ChannelRecord) -> Result<Self, ApiError> {
        let info = &record.info;
        let categories = match (&info.category_id, info.follows_category) {
            (Some(category_id), true) => cx
                .tx
                .category(&info.community_id, category_id)?
                .into_iter()
                .collect(),
            _ => Vec::new(),
        };
        Ok(Self::with_categories(record, &categories))
    }

    /// The channel side of a permission question for a member who is (or is not) one of
    /// its explicit private members.
    pub fn scope(&self, private_member: bool) -> ChannelScope<'_> {
        ChannelScope {
            kind: self.kind,
            private: self.private,
            private_member,
            mute_all: self.mute_all,
            overrides: &self.overrides,
        }
    }

    /// The users the overrides name.
    pub fn member_targets(&self) -> impl Iterator<Item = &UserId> {
        self.overrides.iter().filter_map(|o| match &o.target {
            community_protocol::OverrideTarget::Member { user_id } => Some(user_id),
            community_protocol::OverrideTarget::Group { .. } => None,
        })
    }
}

impl Membership {
    /// The community side of a permission question.
    pub fn scope(&self, now: community_protocol::TimestampMs) -> CommunityScope<'_> {
        CommunityScope {
            groups: &self.groups,
            mute_all: self.info.mute_all,
            now_ms: now,
        }
    }

    /// The flags the caller holds in the community at large, mutes and mute-all aside:
    /// what they may hand out to a group or in an override (of a channel or a category:
    /// an override of a channel cannot lock its author out of handing out a flag).
    pub fn held(&self, now: community_protocol::TimestampMs) -> Permissions {
        let unmuted = Actor {
            muted_until_ms: None,
            ..actor(&self.me)
        };
        let open = CommunityScope {
            mute_all: false,
            ..self.scope(now)
        };
        community_permissions(&unmuted, &open)
    }
}

impl Ctx<'_> {
    /// Whether `user_id` is one of the explicit members of a private channel (false for a
    /// public channel, where it does not matter).
    pub fn private_member(
        &self,
        record: &ChannelRecord,
        user_id: &UserId,
    ) -> Result<bool, ApiError> {
        Ok(record.info.private
            && self
                .tx
                .is_channel_member(&record.info.channel_id, user_id)?)
    }

    /// What the caller may do in a channel (for a thread: in its channel).
    pub fn channel_flags(
        &self,
        membership: &Membership,
        record: &ChannelRecord,
    ) -> Result<Permissions, ApiError> {
        if let Some(link) = record.thread.as_deref() {
            return self.channel_flags(membership, &link.parent);
        }
        if is_conversation(record) {
            // Over others' messages: nothing (only the author edits or recalls).
            return Ok(PARTICIPANT_FLAGS.without(Permissions::MANAGE_MESSAGES));
        }
        let rules = ChannelRules::load(self, record)?;
        let private_member = self.private_member(record, &membership.me.user_id)?;
        Ok(channel_permissions(
            &actor(&membership.me),
            &membership.scope(self.now),
            &rules.scope(private_member),
        ))
    }

    /// Fails unless the caller holds `needed` in the community at large (the protocol's
    /// `require`: `permission_denied`, `muted`, `mute_all`).
    pub fn require(&self, membership: &Membership, needed: Permissions) -> Result<(), ApiError> {
        permissions::require(
            &actor(&membership.me),
            &membership.scope(self.now),
            None,
            needed,
        )
    }

    /// Fails unless the caller holds `needed` in a channel (the protocol's `require`:
    /// `channel_not_found` or `not_channel_member` without sight of it, then `muted`,
    /// `mute_all`, `announcement_read_only`, `permission_denied`). For a thread: in its
    /// channel, `thread_not_found` without sight of it.
    pub fn require_in(
        &self,
        membership: &Membership,
        record: &ChannelRecord,
        needed: Permissions,
    ) -> Result<(), ApiError> {
        if let Some(link) = record.thread.as_deref() {
            return self.require_in_thread(membership, link, needed);
        }
        if is_conversation(record) {
            return self.require_in_conversation(needed);
        }
        let rules = ChannelRules::load(self, record)?;
        let private_member = self.private_member(record, &membership.me.user_id)?;
        permissions::require(
            &actor(&membership.me),
            &membership.scope(self.now),
            Some(&rules.scope(private_member)),
            needed,
        )
    }

    /// Fails unless the caller may do `op` (the protocol's table, checked where it says:
    /// in `channel` or in the community), with `extra` flags a content condition adds. In
    /// a thread, its state may refuse it too (archived, locked: `require_open`).
    pub fn require_op(
        &self,
        membership: &Membership,
        op: &str,
        channel: Option<&ChannelRecord>,
        extra: Permissions,
    ) -> Result<(), ApiError> {
        let flags = needed(op).union(extra);
        match channel {
            Some(record) if in_channel(op) => {
                self.require_in(membership, record, flags)?;
                self.require_open(membership, record, op)
            }
            _ => self.require(membership, flags),
        }
    }

    /// Whether `member` may view a channel, given the community's groups and categories.
    pub fn sees(
        &self,
        groups: &[Group],
        member: &MemberInfo,
        record: &ChannelRecord,
        categories: &[CategoryInfo],
    ) -> Result<bool, ApiError> {
        let rules = ChannelRules::with_categories(record, categories);
        let private_member = self.private_member(record, &member.user_id)?;
        let community = CommunityScope {
            groups,
            mute_all: false,
            now_ms: self.now,
        };
        Ok(
            channel_permissions(&actor(member), &community, &rules.scope(private_member))
                .contains(Permissions::VIEW_CHANNEL),
        )
    }
}

/// Fails with `PERMISSION_DENIED` unless the caller holds every flag of `given` (a group
/// or an override can only hand out flags its author holds).
pub(crate) fn require_holds(held: Permissions, given: Permissions) -> Result<(), ApiError> {
    let missing = given.intersection(Permissions::ALL).without(held);
    if missing.is_empty() {
        return Ok(());
    }
    Err(ApiError::new(
        ErrorCode::PERMISSION_DENIED,
        format!(
            "you can only hand out flags you hold; missing: {}",
            missing.names().join(", ")
        ),
    ))
}
