//! [`CommunityHandle`]: every operation on one community.

use std::collections::BTreeMap;
use std::sync::Arc;

use community_protocol::request::{
    CategoryRef, CommunityRef, CreateCategory, CreateChannel, DecideJoinRequest, DeleteAttributes,
    InviteMembers, ListMembers, MemberRef, MuteMember, SetAttributes, SetMemberRole, SetMuteAll,
    SetNickname, SetNotification, UpdateCategory, UpdateCommunity,
};
use community_protocol::{
    ApiError, CategoryInfo, ChannelHead, ChannelInfo, CommunityId, CommunityInfo, ErrorCode,
    JoinRequest, MemberInfo, NotificationStatus, Request, Response, Role, TimestampMs, UserId,
};

use super::checks;
use super::client::ClientInner;
use super::{
    AttributesOutcome, ChannelHandle, CommunityUpdate, MembersPage, NewChannel, UsersOutcome,
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
    client: Arc<ClientInner>,
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
    pub fn id(&self) -> &str {
        &self.community_id
    }

    /// A handle on one of its channels.
    pub fn channel(&self, channel_id: impl Into<String>) -> ChannelHandle {
        ChannelHandle::new(
            self.client.clone(),
            self.community_id.clone(),
            channel_id.into(),
        )
    }

    fn session(&self) -> Result<Arc<UserSession>, SdkError> {
        self.client.session()
    }

    fn check(
        &self,
        check: impl FnOnce(&State, &str) -> Result<(), ApiError>,
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

    fn member_ref(&self, user_id: &str) -> MemberRef {
        MemberRef {
            community_id: self.community_id.clone(),
            user_id: user_id.to_string(),
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
        match session
            .request(Request::GetCommunity(self.community_ref()))
            .await?
        {
            Response::Community(snapshot) => {
                let entry = CommunityEntry {
                    info: snapshot.info.clone(),
                    me: snapshot.me.clone(),
                    notification: snapshot.notification,
                };
                session.apply(LocalUpdate::Snapshot(snapshot)).await;
                Ok(entry)
            }
            other => Err(SdkError::unexpected("get_community", &other)),
        }
    }

    /// Deletes the community and everything in it (owner only).
    pub async fn dismiss(&self) -> Result<(), SdkError> {
        let request = Request::DismissCommunity(self.community_ref());
        self.depart(checks::owner, "dismiss_community", request)
            .await
    }

    /// Leaves the community (not for its owner).
    pub async fn leave(&self) -> Result<(), SdkError> {
        let request = Request::LeaveCommunity(self.community_ref());
        self.depart(checks::may_leave, "leave_community", request)
            .await
    }

    /// Sends `request` (after `check`), then drops the community from the cache.
    async fn depart(
        &self,
        check: impl FnOnce(&State, &str) -> Result<(), ApiError>,
        op: &str,
        request: Request,
    ) -> Result<(), SdkError> {
        let session = self.check(check)?;
        expect_ok(op, session.request(request).await?)?;
        session
            .apply(LocalUpdate::RemoveCommunity(self.community_id.clone()))
            .await;
        Ok(())
    }

    /// Adds up to 100 users; failures are reported per user.
    pub async fn invite(&self, user_ids: Vec<UserId>) -> Result<UsersOutcome, SdkError> {
        let session = self.session()?;
        session.read(|state| state.limits.check_invitees(user_ids.len()))?;
        let request = Request::InviteMembers(InviteMembers {
            community_id: self.community_id.clone(),
            user_ids,
        });
        users_outcome("invite_members", session.request(request).await?)
    }

    /// Pending join requests (owner / admin).
    pub async fn join_requests(&self) -> Result<Vec<JoinRequest>, SdkError> {
        let session = self.check(checks::admin)?;
        match session
            .request(Request::ListJoinRequests(self.community_ref()))
            .await?
        {
            Response::JoinRequests { requests } => Ok(requests),
            other => Err(SdkError::unexpected("list_join_requests", &other)),
        }
    }

    /// Approves or rejects a join request (owner / admin).
    pub async fn decide_join_request(&self, user_id: &str, approve: bool) -> Result<(), SdkError> {
        let session = self.check(checks::admin)?;
        let request = Request::DecideJoinRequest(DecideJoinRequest {
            community_id: self.community_id.clone(),
            user_id: user_id.to_string(),
            approve,
        });
        expect_ok("decide_join_request", session.request(request).await?)
    }

    /// Changes name, avatar, notice or join policy (owner / admin).
    pub async fn update(&self, update: CommunityUpdate) -> Result<CommunityInfo, SdkError> {
        let session = self.check(checks::admin)?;
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
        let request = Request::UpdateCommunity(UpdateCommunity {
            community_id: self.community_id.clone(),
            name: update.name,
            avatar_url: update.avatar_url,
            notice: update.notice,
            join_policy: update.join_policy,
        });
        self.info_answer(&session, "update_community", request)
            .await
    }

    async fn info_answer(
        &self,
        session: &UserSession,
        op: &str,
        request: Request,
    ) -> Result<CommunityInfo, SdkError> {
        match session.request(request).await? {
            Response::CommunityInfo(info) => {
                session.apply(LocalUpdate::Info(info.clone())).await;
                Ok(info)
            }
            other => Err(SdkError::unexpected(op, &other)),
        }
    }

    /// Sets custom attributes (owner / admin); keys that fail are reported one by one.
    pub async fn set_attributes(
        &self,
        attributes: BTreeMap<String, String>,
    ) -> Result<AttributesOutcome, SdkError> {
        let session = self.check(checks::admin)?;
        let request = Request::SetAttributes(SetAttributes {
            community_id: self.community_id.clone(),
            attributes,
        });
        self.attributes_answer(&session, "set_attributes", request)
            .await
    }

    /// Deletes custom attributes (owner / admin).
    pub async fn delete_attributes(
        &self,
        keys: Vec<String>,
    ) -> Result<AttributesOutcome, SdkError> {
        let session = self.check(checks::admin)?;
        let request = Request::DeleteAttributes(DeleteAttributes {
            community_id: self.community_id.clone(),
            keys,
        });
        self.attributes_answer(&session, "delete_attributes", request)
            .await
    }

    async fn attributes_answer(
        &self,
        session: &UserSession,
        op: &str,
        request: Request,
    ) -> Result<AttributesOutcome, SdkError> {
        match session.request(request).await? {
            Response::Attributes { attributes, failed } => {
                session
                    .apply(LocalUpdate::Attributes(
                        self.community_id.clone(),
                        attributes.clone(),
                    ))
                    .await;
                Ok(AttributesOutcome { attributes, failed })
            }
            other => Err(SdkError::unexpected(op, &other)),
        }
    }

    /// Sets the user's notification status (do-not-disturb leaves the community out of the
    /// total unread count; mentions still count).
    pub async fn set_notification(&self, status: NotificationStatus) -> Result<(), SdkError> {
        let session = self.session()?;
        let request = Request::SetNotification(SetNotification {
            community_id: self.community_id.clone(),
            status,
        });
        expect_ok("set_notification", session.request(request).await?)?;
        session
            .apply(LocalUpdate::Notification(self.community_id.clone(), status))
            .await;
        Ok(())
    }

    // ----- members -----

    /// A page of members, optionally filtered by id or nickname.
    pub async fn members(
        &self,
        query: Option<String>,
        cursor: Option<String>,
        limit: Option<u32>,
    ) -> Result<MembersPage, SdkError> {
        let session = self.session()?;
        session.read(|state| state.limits.page_size(limit))?;
        let request = Request::ListMembers(ListMembers {
            community_id: self.community_id.clone(),
            query,
            cursor,
            limit,
        });
        match session.request(request).await? {
            Response::Members { page, total_count } => Ok(MembersPage { page, total_count }),
            other => Err(SdkError::unexpected("list_members", &other)),
        }
    }

    /// Makes a member an admin or an ordinary member (owner only).
    pub async fn set_member_role(&self, user_id: &str, role: Role) -> Result<MemberInfo, SdkError> {
        let session = self.check(checks::owner)?;
        session.read(|state| checks::not_the_owner(state, &self.community_id, user_id))?;
        if role == Role::Owner {
            return Err(ApiError::new(
                ErrorCode::INVALID_ARGUMENT,
                "ownership moves with transfer_ownership",
            )
            .into());
        }
        let request = Request::SetMemberRole(SetMemberRole {
            community_id: self.community_id.clone(),
            user_id: user_id.to_string(),
            role,
        });
        self.member_answer(&session, "set_member_role", request)
            .await
    }

    /// Removes a member (owner: anyone else; admin: ordinary members).
    pub async fn kick(&self, user_id: &str) -> Result<(), SdkError> {
        let session = self.check(checks::admin)?;
        session.read(|state| checks::not_the_owner(state, &self.community_id, user_id))?;
        expect_ok(
            "kick_member",
            session
                .request(Request::KickMember(self.member_ref(user_id)))
                .await?,
        )
    }

    /// Gives ownership to another member (owner only); the user becomes an admin.
    pub async fn transfer_ownership(&self, user_id: &str) -> Result<MemberInfo, SdkError> {
        let session = self.check(checks::owner)?;
        let request = Request::TransferOwnership(self.member_ref(user_id));
        let member = self
            .member_answer(&session, "transfer_ownership", request)
            .await?;
        // The user's own role changed too; refresh the community to pick it up.
        if let Err(error) = self.refresh().await {
            tracing::debug!(%error, "refresh after an ownership transfer failed");
        }
        Ok(member)
    }

    /// Mutes a member until a time, or unmutes (`None`).
    pub async fn mute_member(
        &self,
        user_id: &str,
        until_ms: Option<TimestampMs>,
    ) -> Result<MemberInfo, SdkError> {
        let session = self.check(checks::admin)?;
        session.read(|state| checks::not_the_owner(state, &self.community_id, user_id))?;
        let request = Request::MuteMember(MuteMember {
            community_id: self.community_id.clone(),
            user_id: user_id.to_string(),
            until_ms,
        });
        self.member_answer(&session, "mute_member", request).await
    }

    /// Mutes or unmutes everyone but the owner and admins (owner / admin).
    pub async fn set_mute_all(&self, muted: bool) -> Result<CommunityInfo, SdkError> {
        let session = self.check(checks::admin)?;
        let request = Request::SetMuteAll(SetMuteAll {
            community_id: self.community_id.clone(),
            muted,
        });
        self.info_answer(&session, "set_mute_all", request).await
    }

    /// Sets the user's own nickname in this community (`""` clears it).
    pub async fn set_nickname(&self, nickname: &str) -> Result<MemberInfo, SdkError> {
        let session = self.session()?;
        session.read(|state| state.limits.check_nickname(nickname))?;
        let request = Request::SetNickname(SetNickname {
            community_id: self.community_id.clone(),
            nickname: nickname.to_string(),
        });
        self.member_answer(&session, "set_nickname", request).await
    }

    async fn member_answer(
        &self,
        session: &UserSession,
        op: &str,
        request: Request,
    ) -> Result<MemberInfo, SdkError> {
        match session.request(request).await? {
            Response::Member(member) => {
                if member.user_id == session.user_id {
                    session.apply(LocalUpdate::Me(member.clone())).await;
                }
                Ok(member)
            }
            other => Err(SdkError::unexpected(op, &other)),
        }
    }

    // ----- channels and categories -----

    /// Creates a channel (owner / admin).
    pub async fn create_channel(&self, channel: NewChannel) -> Result<ChannelHandle, SdkError> {
        let session = self.check(checks::admin)?;
        session.read(|state| -> Result<(), ApiError> {
            state.limits.check_channel_name(&channel.name)?;
            state.limits.check_channel_intro(&channel.introduction)?;
            state.limits.check_channel_notice(&channel.notice)
        })?;
        let request = Request::CreateChannel(CreateChannel {
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
        });
        let info = channel_answer(&session, "create_channel", request).await?;
        Ok(self.channel(info.channel_id))
    }

    /// Creates a category (owner / admin).
    pub async fn create_category(
        &self,
        name: &str,
        position: Option<i64>,
    ) -> Result<CategoryInfo, SdkError> {
        let session = self.check(checks::admin)?;
        session.read(|state| state.limits.check_channel_name(name))?;
        let request = Request::CreateCategory(CreateCategory {
            community_id: self.community_id.clone(),
            name: name.to_string(),
            position,
        });
        category_answer(&session, "create_category", request).await
    }

    /// Renames or moves a category (owner / admin).
    pub async fn update_category(
        &self,
        category_id: &str,
        name: Option<String>,
        position: Option<i64>,
    ) -> Result<CategoryInfo, SdkError> {
        let session = self.check(checks::admin)?;
        if let Some(name) = &name {
            session.read(|state| state.limits.check_channel_name(name))?;
        }
        let request = Request::UpdateCategory(UpdateCategory {
            community_id: self.community_id.clone(),
            category_id: category_id.to_string(),
            name,
            position,
        });
        category_answer(&session, "update_category", request).await
    }

    /// Deletes a category; its channels fall back to no category (owner / admin).
    pub async fn delete_category(&self, category_id: &str) -> Result<(), SdkError> {
        let session = self.check(checks::admin)?;
        let request = Request::DeleteCategory(CategoryRef {
            community_id: self.community_id.clone(),
            category_id: category_id.to_string(),
        });
        expect_ok("delete_category", session.request(request).await?)?;
        session
            .apply(LocalUpdate::RemoveCategory(
                self.community_id.clone(),
                category_id.to_string(),
            ))
            .await;
        Ok(())
    }

    /// Fetches the exact heads of every visible channel and refreshes the counts.
    pub async fn refresh_heads(&self) -> Result<Vec<ChannelHead>, SdkError> {
        let session = self.session()?;
        match session
            .request(Request::GetHeads(self.community_ref()))
            .await?
        {
            Response::Heads { heads } => {
                session.apply(LocalUpdate::Heads(heads.clone())).await;
                Ok(heads)
            }
            other => Err(SdkError::unexpected("get_heads", &other)),
        }
    }
}

pub(crate) fn expect_ok(op: &str, response: Response) -> Result<(), SdkError> {
    match response {
        Response::Ok => Ok(()),
        other => Err(SdkError::unexpected(op, &other)),
    }
}

pub(crate) fn users_outcome(op: &str, response: Response) -> Result<UsersOutcome, SdkError> {
    match response {
        Response::Users { succeeded, failed } => Ok(UsersOutcome { succeeded, failed }),
        other => Err(SdkError::unexpected(op, &other)),
    }
}

pub(crate) async fn channel_answer(
    session: &UserSession,
    op: &str,
    request: Request,
) -> Result<ChannelInfo, SdkError> {
    match session.request(request).await? {
        Response::Channel(info) => {
            session.apply(LocalUpdate::Channel(info.clone())).await;
            Ok(info)
        }
        other => Err(SdkError::unexpected(op, &other)),
    }
}

async fn category_answer(
    session: &UserSession,
    op: &str,
    request: Request,
) -> Result<CategoryInfo, SdkError> {
    match session.request(request).await? {
        Response::Category(category) => {
            session.apply(LocalUpdate::Category(category.clone())).await;
            Ok(category)
        }
        other => Err(SdkError::unexpected(op, &other)),
    }
}
