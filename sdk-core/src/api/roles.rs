//! Roles and permissions from the app's side: the community's permission groups and what
//! the user may do (computed from the cache, as the server computes it), managing groups,
//! overrides, bans, member fields, and the user's notification level of a channel.
//! Every call checks locally first (same rules, same codes as the server) and applies the
//! server's answer to the cache before returning.

use std::collections::BTreeMap;

use community_protocol::request::{
    BanMember, CreateGroup, GroupRef, MemberGroup, MemberRef, ReorderGroups, SetCategoryOverride,
    SetChannelNotification, SetChannelOverride, SetMemberFields, UpdateGroup,
};
use community_protocol::{
    ApiError, Ban, CategoryId, CategoryInfo, ChannelHead, ChannelInfo, ChannelNotification,
    ErrorCode, Group, GroupId, MemberInfo, Override, Permissions, TimestampMs, UserId, op,
};

use super::channel::ChannelHandle;
use super::community::CommunityHandle;
use crate::error::SdkError;
use crate::state::State;
use crate::sync::LocalUpdate;

/// A new permission group.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewGroup {
    /// Name (1..=100 bytes).
    pub name: String,
    /// Display color `0xRRGGBB`.
    pub color: u32,
    /// Anyone may mention it.
    pub mentionable: bool,
    /// The flags it grants (only flags the user holds).
    pub permissions: Permissions,
}

/// A change to a permission group: absent fields stay as they are.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupUpdate {
    /// New name.
    pub name: Option<String>,
    /// New color.
    pub color: Option<u32>,
    /// Mentionable or not.
    pub mentionable: Option<bool>,
    /// New flags.
    pub permissions: Option<Permissions>,
}

impl CommunityHandle {
    /// The community's permission groups as cached, `@everyone` first, then by position.
    pub fn groups(&self) -> Vec<Group> {
        self.session()
            .ok()
            .and_then(|s| s.read(|state| state.community(self.id()).map(|c| c.groups.clone())))
            .unwrap_or_default()
    }

    /// What the user may do in every cached channel of the community, computed in one pass
    /// (`None` when the community is not cached).
    pub fn channel_permissions(&self) -> Option<Vec<(community_protocol::ChannelId, Permissions)>> {
        self.session()
            .ok()?
            .read(|state| state.all_channel_permissions(self.id()))
    }

    /// What the user may do in the community at large, from the cache (`None` when it
    /// is not cached).
    pub fn permissions(&self) -> Option<Permissions> {
        self.session()
            .ok()?
            .read(|state| state.community_permissions(self.id()))
    }

    /// Whether the user may do operation `op` (a protocol operation name such as
    /// `"kick_member"`) in the community at large, from the cache: `Ok` when allowed (or
    /// when the cache cannot tell), else the error the server would give. Conditions on
    /// a target (its rank) are left to the server.
    pub fn check_operation(&self, op: &str) -> Result<(), SdkError> {
        let session = self.session()?;
        session.read(|state| state.require_op(op, self.id(), None))?;
        Ok(())
    }

    fn require(
        &self,
        op: &'static str,
    ) -> Result<std::sync::Arc<crate::session::UserSession>, SdkError> {
        let session = self.session()?;
        session.read(|state| state.require_op(op, self.id(), None))?;
        Ok(session)
    }

    /// Applies a group list the server answered with.
    async fn apply_groups(&self, groups: Vec<Group>) -> Result<(), SdkError> {
        self.session()?
            .apply(LocalUpdate::Groups(self.id().clone(), groups))
            .await;
        Ok(())
    }

    /// The cached groups with `group` put in (replacing the one with its id).
    fn with_group(&self, group: &Group) -> Vec<Group> {
        let mut groups = self.groups();
        groups.retain(|g| g.group_id != group.group_id);
        groups.push(group.clone());
        sort_groups(&mut groups);
        groups
    }

    /// Creates a permission group (`manage_roles`); it starts at the bottom.
    pub async fn create_group(&self, group: NewGroup) -> Result<Group, SdkError> {
        let session = self.require("create_group")?;
        session.read(|state| -> Result<(), ApiError> {
            state.limits.check_group_name(&group.name)?;
            grantable(state, self, group.permissions)
        })?;
        let created = session
            .call(op::CreateGroup(CreateGroup {
                community_id: self.id().clone(),
                name: group.name,
                color: group.color,
                mentionable: group.mentionable,
                permissions: group.permissions,
            }))
            .await?;
        // A new group starts at position 1: the others move up (unless the server's
        // `groups_changed` already brought the new list).
        let mut groups = self.groups();
        if !groups.iter().any(|g| g.group_id == created.group_id) {
            for g in groups.iter_mut().filter(|g| !g.group_id.is_everyone()) {
                g.position += 1;
            }
            groups.push(created.clone());
            sort_groups(&mut groups);
            self.apply_groups(groups).await?;
        }
        Ok(created)
    }

    /// Changes a group below the user (`manage_roles`).
    pub async fn update_group(
        &self,
        group_id: impl Into<GroupId>,
        update: GroupUpdate,
    ) -> Result<Group, SdkError> {
        let group_id = group_id.into();
        let session = self.require("update_group")?;
        session.read(|state| -> Result<(), ApiError> {
            state.may_manage_group(self.id(), &group_id)?;
            if let Some(name) = &update.name {
                state.limits.check_group_name(name)?;
            }
            if let Some(flags) = update.permissions {
                grantable(state, self, flags)?;
            }
            Ok(())
        })?;
        let updated = session
            .call(op::UpdateGroup(UpdateGroup {
                community_id: self.id().clone(),
                group_id,
                name: update.name,
                color: update.color,
                mentionable: update.mentionable,
                permissions: update.permissions,
            }))
            .await?;
        self.apply_groups(self.with_group(&updated)).await?;
        Ok(updated)
    }

    /// Deletes a group below the user (`manage_roles`; not `@everyone`).
    pub async fn delete_group(&self, group_id: impl Into<GroupId>) -> Result<(), SdkError> {
        let group_id = group_id.into();
        if group_id.is_everyone() {
            return Err(ApiError::new(
                ErrorCode::PERMISSION_DENIED,
                "the @everyone group cannot be deleted",
            )
            .into());
        }
        let session = self.require("delete_group")?;
        session.read(|state| state.may_manage_group(self.id(), &group_id))?;
        session
            .call(op::DeleteGroup(GroupRef {
                community_id: self.id().clone(),
                group_id: group_id.clone(),
            }))
            .await?;
        let mut groups = self.groups();
        groups.retain(|g| g.group_id != group_id);
        self.apply_groups(groups).await
    }

    /// Gives the groups the positions 1, 2, 3… in this order, lowest first
    /// (`manage_roles`). Returns every group now.
    pub async fn reorder_groups(&self, group_ids: Vec<GroupId>) -> Result<Vec<Group>, SdkError> {
        let session = self.require("reorder_groups")?;
        let list = session
            .call(op::ReorderGroups(ReorderGroups {
                community_id: self.id().clone(),
                group_ids,
            }))
            .await?;
        self.apply_groups(list.groups.clone()).await?;
        Ok(list.groups)
    }

    /// Gives a member a group (`manage_roles`; both below the user).
    pub async fn assign_group(
        &self,
        user_id: impl Into<UserId>,
        group_id: impl Into<GroupId>,
    ) -> Result<MemberInfo, SdkError> {
        self.member_group("assign_group", user_id.into(), group_id.into())
            .await
    }

    /// Takes a group from a member (as [`assign_group`](Self::assign_group)).
    pub async fn unassign_group(
        &self,
        user_id: impl Into<UserId>,
        group_id: impl Into<GroupId>,
    ) -> Result<MemberInfo, SdkError> {
        self.member_group("unassign_group", user_id.into(), group_id.into())
            .await
    }

    async fn member_group(
        &self,
        op_name: &'static str,
        user_id: UserId,
        group_id: GroupId,
    ) -> Result<MemberInfo, SdkError> {
        let session = self.require(op_name)?;
        session.read(|state| -> Result<(), ApiError> {
            super::checks::not_the_owner(state, self.id(), &user_id)?;
            state.may_manage_group(self.id(), &group_id)
        })?;
        let params = MemberGroup {
            community_id: self.id().clone(),
            user_id,
            group_id,
        };
        let member = if op_name == "assign_group" {
            session.call(op::AssignGroup(params)).await?
        } else {
            session.call(op::UnassignGroup(params)).await?
        };
        self.apply_member(&member).await?;
        Ok(member)
    }

    /// Applies a member record when it is the user's own.
    async fn apply_member(&self, member: &MemberInfo) -> Result<(), SdkError> {
        let session = self.session()?;
        if member.user_id == session.user_id {
            session.apply(LocalUpdate::Me(member.clone())).await;
        }
        Ok(())
    }

    /// Sets or clears (empty value) a member's custom fields (`manage_roles` and ranking
    /// above them, or the user's own).
    pub async fn set_member_fields(
        &self,
        user_id: impl Into<UserId>,
        fields: BTreeMap<String, String>,
    ) -> Result<MemberInfo, SdkError> {
        let user_id = user_id.into();
        let session = self.session()?;
        session.read(|state| -> Result<(), ApiError> {
            for (key, value) in &fields {
                state.limits.check_member_field(key, value)?;
            }
            if user_id != session.user_id {
                state.require_op("set_member_fields", self.id(), None)?;
                super::checks::not_the_owner(state, self.id(), &user_id)?;
            }
            Ok(())
        })?;
        let member = session
            .call(op::SetMemberFields(SetMemberFields {
                community_id: self.id().clone(),
                user_id,
                fields,
            }))
            .await?;
        self.apply_member(&member).await?;
        Ok(member)
    }

    /// Sets (or removes, with nothing allowed or denied) a category's override
    /// (`manage_channels`).
    pub async fn set_category_override(
        &self,
        category_id: impl Into<CategoryId>,
        rule: Override,
    ) -> Result<CategoryInfo, SdkError> {
        let session = self.require("set_category_override")?;
        let category = session
            .call(op::SetCategoryOverride(SetCategoryOverride {
                community_id: self.id().clone(),
                category_id: category_id.into(),
                rule,
            }))
            .await?;
        session.apply(LocalUpdate::Category(category.clone())).await;
        Ok(category)
    }

    /// Bans a user (`ban_members`; a member must rank below the user): removed now, kept
    /// out until `until_ms` (for ever when `None`).
    pub async fn ban(
        &self,
        user_id: impl Into<UserId>,
        until_ms: Option<TimestampMs>,
        reason: impl Into<String>,
    ) -> Result<(), SdkError> {
        let user_id = user_id.into();
        let session = self.require("ban_member")?;
        session.read(|state| super::checks::not_the_owner(state, self.id(), &user_id))?;
        session
            .call(op::BanMember(BanMember {
                community_id: self.id().clone(),
                user_id,
                until_ms,
                reason: reason.into(),
            }))
            .await
    }

    /// Lifts a ban (`ban_members`).
    pub async fn unban(&self, user_id: impl Into<UserId>) -> Result<(), SdkError> {
        let session = self.require("unban_member")?;
        session
            .call(op::UnbanMember(MemberRef {
                community_id: self.id().clone(),
                user_id: user_id.into(),
            }))
            .await
    }

    /// The bans in force, newest first (`ban_members`).
    pub async fn bans(&self) -> Result<Vec<Ban>, SdkError> {
        let session = self.require("list_bans")?;
        let list = session
            .call(op::ListBans(community_protocol::request::CommunityRef {
                community_id: self.id().clone(),
            }))
            .await?;
        Ok(list.bans)
    }
}

impl ChannelHandle {
    /// What the user may do in this channel, from the cache (`None` when not cached).
    /// Computed as the server computes it: a greyed-out button here is a refusal there.
    pub fn permissions(&self) -> Option<Permissions> {
        self.client
            .session()
            .ok()?
            // A thread's stream has its channel's permissions (`send_in_threads` is what
            // posting there needs).
            .read(|state| {
                state.channel_permissions(
                    self.community_id(),
                    self.thread_parent().unwrap_or(self.id()),
                )
            })
    }

    /// Whether the user may do operation `op` (such as `"send_message"` or
    /// `"pin_message"`) in this channel, from the cache: `Ok` when allowed (or when the
    /// cache cannot tell), else the error the server would give.
    pub fn check_operation(&self, op: &str) -> Result<(), SdkError> {
        let session = self.client.session()?;
        session.read(|state| {
            state.require_op_at(op, self.community_id(), self.id(), self.thread_parent())
        })?;
        Ok(())
    }

    /// Sets (or removes, with nothing allowed or denied) the channel's override for a
    /// group or a member (`manage_channels`).
    pub async fn set_override(&self, rule: Override) -> Result<ChannelInfo, SdkError> {
        let session = self.client.session()?;
        session.read(|state| {
            state.require_op("set_channel_override", self.community_id(), Some(self.id()))
        })?;
        let channel = session
            .call(op::SetChannelOverride(SetChannelOverride {
                community_id: self.community_id().clone(),
                channel_id: self.id().clone(),
                rule,
            }))
            .await?;
        session.apply(LocalUpdate::Channel(channel.clone())).await;
        Ok(channel)
    }

    /// Sets the user's notification level of this channel (every device of theirs
    /// follows): what of its counts reaches the community's and the total.
    pub async fn set_notification_level(
        &self,
        level: ChannelNotification,
    ) -> Result<ChannelHead, SdkError> {
        let session = self.client.session()?;
        let head = session
            .call(op::SetChannelNotification(SetChannelNotification {
                community_id: self.community_id().clone(),
                channel_id: self.id().clone(),
                level,
            }))
            .await?;
        session.apply(LocalUpdate::Head(head.clone())).await;
        Ok(head)
    }
}

/// `@everyone` first, then by position.
fn sort_groups(groups: &mut [Group]) {
    groups.sort_by_key(|g| (!g.group_id.is_everyone(), g.position));
}

/// Only flags the user holds may be given to a group.
fn grantable(
    state: &State,
    community: &CommunityHandle,
    flags: Permissions,
) -> Result<(), ApiError> {
    let held = state
        .community_permissions(community.id())
        .unwrap_or(Permissions::ALL);
    let missing = flags.without(held);
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::PERMISSION_DENIED,
            format!(
                "a group cannot grant what you do not hold: {}",
                missing.names().join(", ")
            ),
        ))
    }
}
