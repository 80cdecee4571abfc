//! [`CommunityHandle`]: every operation on one community.

use std::collections::BTreeMap;
use std::sync::Arc;

use community_protocol::request::{
    CategoryRef, CommunityRef, CreateCategory, CreateChannel, DecideJoinRequest, DeleteAttributes,
    InviteMembers, ListMembers, MemberRef, MuteMember, SetAttributes, SetMemberRole, SetMuteAll,
    SetNickname, SetNotification, UpdateCategory, UpdateCommunity,
};
use community_protocol::{
    ApiError, CategoryId, CategoryInfo, ChannelHead, ChannelId, CommunityId, CommunityInfo,
    ErrorCode, JoinRequest, MemberInfo, NotificationStatus, Role, TimestampMs, UserId, op,
};

use super::checks;
use super::client::ClientInner;
use super::{
    AttributesOutcome, ChannelHandle, CommunityUpdate, MembersPage, MembersQuery, NewChannel,
    UsersOutcome,
};
use crate::error::SdkError;
use crate::events::{Sink, Subscription};
use crate::model::{ChannelEntry, CommunityEntry, CommunityUnread, ListDiff};
use crate::session::UserSession;
use crate::state::State;
use crate::sync::LocalUpdate;

/// A handle on one community. Cheap to clone; creating one does no I/O.
#[derive(Clone)]
pub struct CommunityHandle {
    pub(super) client: Arc<ClientInner>,
    community_id: CommunityId,
}

impl std::fmt::Debug for CommunityHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommunityHandle")
            .field("community_id", &self.community_id)
            .finish()
    }
}

impl CommunityHandle {
    pub(crate) fn new(client: Arc<ClientInner>, community_id: CommunityId) -> Self {
        Self {
            client,
            community_id,
        }
    }

    /// The community's id.
    pub fn id(&self) -> &CommunityId {
        &self.community_id
    }

    /// A handle on one of its channels.
    pub fn channel(&self, channel_id: impl Into<ChannelId>) -> ChannelHandle {
        ChannelHandle::new(
            self.client.clone(),
            self.community_id.clone(),
            channel_id.into(),
        )
    }

    pub(super) fn session(&self) -> Result<Arc<UserSession>, SdkError> {
        self.client.session()
    }

    /// The session, after `check` passed on the cached state.
    fn check(
        &self,
        check: impl FnOnce(&State, &CommunityId) -> Result<(), ApiError>,
    ) -> Result<Arc<UserSession>, SdkError> {
        let session = self.session()?;
        session.read(|state| check(state, &self.community_id))?;
        Ok(session)
    }

    fn community_ref(&self) -> CommunityRef {
        CommunityRef {
            community_id: self.community_id.clone(),
        }
    }

    fn member_ref(&self, user_id: UserId) -> MemberRef {
        MemberRef {
            community_id: self.community_id.clone(),
            user_id,
        }
    }

    // ----- cached reads -----

    /// The community as cached (`None` when not joined or not cached).
    pub fn entry(&self) -> Option<CommunityEntry> {
        let session = self.session().ok()?;
        session.read(|state| {
            state.community(&self.community_id).map(|c| CommunityEntry {
                info: c.info.clone(),
                me: c.me.clone(),
                notification: c.notification,
            })
        })
    }

    /// Its visible channels as cached, in display order.
    pub fn channels(&self) -> Vec<ChannelEntry> {
        self.session()
            .ok()
            .and_then(|s| s.read(|state| state.channel_entries(&self.community_id)))
            .unwrap_or_default()
    }

    /// Its categories as cached, in display order.
    pub fn categories(&self) -> Vec<CategoryInfo> {
        self.session()
            .ok()
            .and_then(|s| {
                s.read(|state| {
                    state
                        .community(&self.community_id)
                        .map(|c| c.categories.clone())
                })
            })
            .unwrap_or_default()
    }

    /// Its unread sums (`None` when not cached).
    pub fn unread(&self) -> Option<CommunityUnread> {
        self.session()
            .ok()?
            .read(|state| state.community_unread(&self.community_id))
    }

    /// Channel list changes: the whole list first, then diffs.
    pub fn subscribe_channels(&self) -> Subscription<Vec<ListDiff<ChannelEntry>>> {
        let id = self.community_id.clone();
        let sink_id = self.community_id.clone();
        self.client.subscribe(
            move |state| {
                vec![ListDiff::Reset(
                    state
                        .and_then(|s| s.channel_entries(&id))
                        .unwrap_or_default(),
                )]
            },
            move |outlet| Sink::Channels(sink_id.clone(), outlet),
        )
    }

    // ----- community -----

    /// Fetches the community from the server and refreshes the cache.
    pub async fn refresh(&self) -> Result<CommunityEntry, SdkError> {
        let session = self.session()?;
        let snapshot = session.call(op::GetCommunity(self.community_ref())).await?;
        let entry = CommunityEntry {
            info: snapshot.info.clone(),
            me: snapshot.me.clone(),
            notification: snapshot.notification,
        };
        session.apply(LocalUpdate::Snapshot(snapshot)).await;
        Ok(entry)
    }

    /// Deletes the community and everything in it (owner only).
    pub async fn dismiss(&self) -> Result<(), SdkError> {
        let session = self.check(checks::owner)?;
        session
            .call(op::DismissCommunity(self.community_ref()))
            .await?;
        self.forget(&session).await;
        Ok(())
    }

    /// Leaves the community (not for its owner).
    pub async fn leave(&self) -> Result<(), SdkError> {
        let session = self.check(checks::may_leave)?;
        session
            .call(op::LeaveCommunity(self.community_ref()))
            .await?;
        self.forget(&session).await;
        Ok(())
    }

    /// Drops the community from the cache.
    async fn forget(&self, session: &UserSession) {
        session
            .apply(LocalUpdate::RemoveCommunity(self.community_id.clone()))
            .await;
    }

    /// Adds up to 100 users; failures are reported per user.
    pub async fn invite(&self, user_ids: Vec<UserId>) -> Result<UsersOutcome, SdkError> {
        let session = self.session()?;
        session.read(|state| -> Result<(), ApiError> {
            state.limits.check_invitees(user_ids.len())?;
            // Inviting to a community that is not free to join needs `kick_members`.
            let free = state
                .community(&self.community_id)
                .is_none_or(|c| c.info.join_policy == community_protocol::JoinPolicy::Free);
            if free {
                Ok(())
            } else {
                state.require(
                    &self.community_id,
                    None,
                    community_protocol::Permissions::KICK_MEMBERS,
                )
            }
        })?;
        session
            .call(op::InviteMembers(InviteMembers {
                community_id: self.community_id.clone(),
                user_ids,
            }))
            .await
    }

    /// Pending join requests (owner / admin).
    pub async fn join_requests(&self) -> Result<Vec<JoinRequest>, SdkError> {
        let session = self.check(checks::op("list_join_requests"))?;
        let answer = session
            .call(op::ListJoinRequests(self.community_ref()))
            .await?;
        Ok(answer.requests)
    }

    /// Approves or rejects a join request (owner / admin).
    pub async fn decide_join_request(
        &self,
        user_id: impl Into<UserId>,
        approve: bool,
    ) -> Result<(), SdkError> {
        let session = self.check(checks::op("decide_join_request"))?;
        session
            .call(op::DecideJoinRequest(DecideJoinRequest {
                community_id: self.community_id.clone(),
                user_id: user_id.into(),
                approve,
            }))
            .await
    }

    /// Changes name, avatar, notice or join policy (owner / admin).
    pub async fn update(&self, update: CommunityUpdate) -> Result<CommunityInfo, SdkError> {
        let session = self.check(checks::op("update_community"))?;
        session.read(|state| -> Result<(), ApiError> {
            let limits = &state.limits;
            if let Some(name) = &update.name {
                limits.check_community_name(name)?;
            }
            if let Some(url) = &update.avatar_url {
                limits.check_avatar_url(url)?;
            }
            if let Some(notice) = &update.notice {
                limits.check_community_notice(notice)?;
            }
            Ok(())
        })?;
        let info = session
            .call(op::UpdateCommunity(UpdateCommunity {
                community_id: self.community_id.clone(),
                name: update.name,
                avatar_url: update.avatar_url,
                notice: update.notice,
                join_policy: update.join_policy,
                system_messages: update.system_messages,
            }))
            .await?;
        session.apply(LocalUpdate::Info(info.clone())).await;
        Ok(info)
    }

    /// Sets custom attributes (owner / admin); keys that fail are reported one by one.
    pub async fn set_attributes(
        &self,
        attributes: BTreeMap<String, String>,
    ) -> Result<AttributesOutcome, SdkError> {
        let session = self.check(checks::op("set_attributes"))?;
        let outcome = session
            .call(op::SetAttributes(SetAttributes {
                community_id: self.community_id.clone(),
                attributes,
            }))
            .await?;
        self.attributes_applied(&session, outcome).await
    }

    /// Deletes custom attributes (owner / admin).
    pub async fn delete_attributes(
        &self,
        keys: Vec<String>,
    ) -> Result<AttributesOutcome, SdkError> {
        let session = self.check(checks::op("delete_attributes"))?;
        let outcome = session
            .call(op::DeleteAttributes(DeleteAttributes {
                community_id: self.community_id.clone(),
                keys,
            }))
            .await?;
        self.attributes_applied(&session, outcome).await
    }

    async fn attributes_applied(
        &self,
        session: &UserSession,
        outcome: AttributesOutcome,
    ) -> Result<AttributesOutcome, SdkError> {
        session
            .apply(LocalUpdate::Attributes(
                self.community_id.clone(),
                outcome.attributes.clone(),
            ))
            .await;
        Ok(outcome)
    }

    /// The user's notification status for this community (synced to their devices).
    pub async fn set_notification(&self, status: NotificationStatus) -> Result<(), SdkError> {
        let session = self.session()?;
        session
            .call(op::SetNotification(SetNotification {
                community_id: self.community_id.clone(),
                status,
            }))
            .await?;
        session
            .apply(LocalUpdate::Notification(self.community_id.clone(), status))
            .await;
        Ok(())
    }

    // ----- members -----

    /// A page of members, optionally filtered by id, nickname or display name.
    pub async fn members(
        &self,
        query: Option<String>,
        cursor: Option<String>,
        limit: Option<u32>,
    ) -> Result<MembersPage, SdkError> {
        self.find_members(MembersQuery {
            query,
            cursor,
            limit,
            ..MembersQuery::default()
        })
        .await
    }

    /// A page of members filtered by id, nickname or display name, group and custom
    /// field.
    pub async fn find_members(&self, query: MembersQuery) -> Result<MembersPage, SdkError> {
        let session = self.session()?;
        session.read(|state| state.limits.page_size(query.limit))?;
        session
            .call(op::ListMembers(ListMembers {
                community_id: self.community_id.clone(),
                query: query.query,
                group_id: query.group_id,
                field: query
                    .field
                    .map(|(key, value)| community_protocol::request::FieldFilter { key, value }),
                cursor: query.cursor,
                limit: query.limit,
            }))
            .await
    }

    /// Makes a member an admin or an ordinary member (owner only).
    pub async fn set_member_role(
        &self,
        user_id: impl Into<UserId>,
        role: Role,
    ) -> Result<MemberInfo, SdkError> {
        let user_id = user_id.into();
        let session = self.check(checks::owner)?;
        session.read(|state| checks::not_the_owner(state, &self.community_id, &user_id))?;
        if role == Role::Owner {
            return Err(ApiError::new(
                ErrorCode::INVALID_ARGUMENT,
                "ownership moves with transfer_ownership",
            )
            .into());
        }
        let member = session
            .call(op::SetMemberRole(SetMemberRole {
                community_id: self.community_id.clone(),
                user_id,
                role,
            }))
            .await?;
        self.member_applied(&session, member).await
    }

    /// Removes a member (owner: anyone else; admin: ordinary members).
    pub async fn kick(&self, user_id: impl Into<UserId>) -> Result<(), SdkError> {
        let user_id = user_id.into();
        let session = self.check(checks::op("kick_member"))?;
        session.read(|state| checks::not_the_owner(state, &self.community_id, &user_id))?;
        session.call(op::KickMember(self.member_ref(user_id))).await
    }

    /// Gives ownership to another member (owner only); the user becomes an admin.
    pub async fn transfer_ownership(
        &self,
        user_id: impl Into<UserId>,
    ) -> Result<MemberInfo, SdkError> {
        let session = self.check(checks::owner)?;
        let member = session
            .call(op::TransferOwnership(self.member_ref(user_id.into())))
            .await?;
        let member = self.member_applied(&session, member).await?;
        // The user's own role changed too; refresh the community to pick it up.
        if let Err(error) = self.refresh().await {
            tracing::debug!(%error, "refresh after an ownership transfer failed");
        }
        Ok(member)
    }

    /// Mutes a member until a time, or unmutes (`None`).
    pub async fn mute_member(
        &self,
        user_id: impl Into<UserId>,
        until_ms: Option<TimestampMs>,
    ) -> Result<MemberInfo, SdkError> {
        let user_id = user_id.into();
        let session = self.check(checks::op("mute_member"))?;
        session.read(|state| checks::not_the_owner(state, &self.community_id, &user_id))?;
        let member = session
            .call(op::MuteMember(MuteMember {
                community_id: self.community_id.clone(),
                user_id,
                until_ms,
            }))
            .await?;
        self.member_applied(&session, member).await
    }

    /// Mutes or unmutes everyone but the owner and admins (owner / admin).
    pub async fn set_mute_all(&self, muted: bool) -> Result<CommunityInfo, SdkError> {
        let session = self.check(checks::op("set_mute_all"))?;
        let info = session
            .call(op::SetMuteAll(SetMuteAll {
                community_id: self.community_id.clone(),
                muted,
            }))
            .await?;
        session.apply(LocalUpdate::Info(info.clone())).await;
        Ok(info)
    }

    /// Sets the user's own nickname in this community (`""` clears it).
    pub async fn set_nickname(&self, nickname: &str) -> Result<MemberInfo, SdkError> {
        let session = self.session()?;
        session.read(|state| state.limits.check_nickname(nickname))?;
        let member = session
            .call(op::SetNickname(SetNickname {
                community_id: self.community_id.clone(),
                nickname: nickname.to_string(),
            }))
            .await?;
        self.member_applied(&session, member).await
    }

    /// Applies a member answer when it is the user's own membership.
    async fn member_applied(
        &self,
        session: &UserSession,
        member: MemberInfo,
    ) -> Result<MemberInfo, SdkError> {
        if member.user_id == session.user_id {
            session.apply(LocalUpdate::Me(member.clone())).await;
        }
        Ok(member)
    }

    // ----- channels and categories -----

    /// Creates a channel (owner / admin).
    pub async fn create_channel(&self, channel: NewChannel) -> Result<ChannelHandle, SdkError> {
        let session = self.check(checks::op("create_channel"))?;
        session.read(|state| -> Result<(), ApiError> {
            state.limits.check_channel_name(&channel.name)?;
            state.limits.check_channel_intro(&channel.introduction)?;
            state.limits.check_channel_notice(&channel.notice)
        })?;
        let info = session
            .call(op::CreateChannel(CreateChannel {
                community_id: self.community_id.clone(),
                name: channel.name,
                kind: channel.kind,
                introduction: channel.introduction,
                notice: channel.notice,
                custom: channel.custom,
                category_id: channel.category_id,
                position: channel.position,
                private: channel.private,
                member_ids: channel.member_ids,
                follows_category: channel.follows_category,
            }))
            .await?;
        session.apply(LocalUpdate::Channel(info.clone())).await;
        Ok(self.channel(info.channel_id))
    }

    /// Creates a category (owner / admin).
    pub async fn create_category(
        &self,
        name: &str,
        position: Option<i64>,
    ) -> Result<CategoryInfo, SdkError> {
        let session = self.check(checks::op("create_category"))?;
        session.read(|state| state.limits.check_channel_name(name))?;
        let category = session
            .call(op::CreateCategory(CreateCategory {
                community_id: self.community_id.clone(),
                name: name.to_string(),
                position,
            }))
            .await?;
        session.apply(LocalUpdate::Category(category.clone())).await;
        Ok(category)
    }

    /// Renames or moves a category (owner / admin).
    pub async fn update_category(
        &self,
        category_id: impl Into<CategoryId>,
        name: Option<String>,
        position: Option<i64>,
    ) -> Result<CategoryInfo, SdkError> {
        let session = self.check(checks::op("update_category"))?;
        if let Some(name) = &name {
            session.read(|state| state.limits.check_channel_name(name))?;
        }
        let category = session
            .call(op::UpdateCategory(UpdateCategory {
                community_id: self.community_id.clone(),
                category_id: category_id.into(),
                name,
                position,
            }))
            .await?;
        session.apply(LocalUpdate::Category(category.clone())).await;
        Ok(category)
    }

    /// Deletes a category; its channels fall back to no category (owner / admin).
    pub async fn delete_category(
        &self,
        category_id: impl Into<CategoryId>,
    ) -> Result<(), SdkError> {
        let category_id = category_id.into();
        let session = self.check(checks::op("delete_category"))?;
        session
            .call(op::DeleteCategory(CategoryRef {
                community_id: self.community_id.clone(),
                category_id: category_id.clone(),
            }))
            .await?;
        session
            .apply(LocalUpdate::RemoveCategory(
                self.community_id.clone(),
                category_id,
            ))
            .await;
        Ok(())
    }

    /// Fetches the exact heads of every visible channel and refreshes the counts.
    pub async fn refresh_heads(&self) -> Result<Vec<ChannelHead>, SdkError> {
        let session = self.session()?;
        let answer = session.call(op::GetHeads(self.community_ref())).await?;
        session
            .apply(LocalUpdate::Heads(answer.heads.clone()))
            .await;
        Ok(answer.heads)
    }
}
