//! [`Community`]: a handle on one community, wrapping `community_sdk::CommunityHandle`.

use std::collections::HashMap;
use std::sync::Arc;

use super::call_on;
use super::listeners::report;
use super::{Channel, ChannelListListener};
use crate::error::SdkError;
use crate::records::{
    AttributesOutcome, CategoryInfo, ChannelEntry, ChannelHead, CommunityEntry, CommunityInfo,
    CommunityUnread, CommunityUpdate, JoinRequest, MemberInfo, MemberPage, NewChannel,
    NotificationStatus, Role, UsersOutcome, map_vec,
};
use crate::subscription::{TaskHandle, pump};

/// A handle on one community. Cheap; holds no data of its own (reads come from the cache).
#[derive(Debug, uniffi::Object)]
pub struct Community {
    inner: community_sdk::CommunityHandle,
}

impl Community {
    pub(crate) fn new(inner: community_sdk::CommunityHandle) -> Arc<Community> {
        Arc::new(Community { inner })
    }
}

#[uniffi::export]
impl Community {
    /// The community's id.
    pub fn id(&self) -> String {
        self.inner.id().to_owned()
    }

    /// A handle on one of its channels.
    pub fn channel(&self, channel_id: String) -> Arc<Channel> {
        Channel::new(self.inner.channel(channel_id))
    }

    /// The community as cached (`None` when not joined or not cached).
    pub fn entry(&self) -> Option<CommunityEntry> {
        self.inner.entry().map(Into::into)
    }

    /// Its visible channels as cached, in display order, whole.
    pub fn channels(&self) -> Vec<ChannelEntry> {
        map_vec(self.inner.channels())
    }

    /// Its categories as cached, in display order, whole.
    pub fn categories(&self) -> Vec<CategoryInfo> {
        map_vec(self.inner.categories())
    }

    /// Its unread sums (`None` when not cached).
    pub fn unread(&self) -> Option<CommunityUnread> {
        self.inner.unread().map(Into::into)
    }

    /// Channel list changes: the whole list first, then diffs.
    pub fn subscribe_channels(
        &self,
        listener: Arc<dyn ChannelListListener>,
    ) -> Result<Arc<TaskHandle>, SdkError> {
        let subscription = self.inner.subscribe_channels();
        pump(subscription, move |diffs| {
            report(listener.on_update(map_vec(diffs)))
        })
        .map(TaskHandle::new)
    }

    /// Fetches the community from the server and refreshes the cache.
    pub async fn refresh(&self) -> Result<CommunityEntry, SdkError> {
        call_on(
            &self.inner,
            |c| async move { c.refresh().await.map(Into::into) },
        )
        .await
    }

    /// Deletes the community and everything in it (owner only).
    pub async fn dismiss(&self) -> Result<(), SdkError> {
        call_on(&self.inner, |c| async move { c.dismiss().await }).await
    }

    /// Leaves the community (the owner must transfer ownership first).
    pub async fn leave(&self) -> Result<(), SdkError> {
        call_on(&self.inner, |c| async move { c.leave().await }).await
    }

    /// Adds up to 100 users.
    pub async fn invite(&self, user_ids: Vec<String>) -> Result<UsersOutcome, SdkError> {
        call_on(&self.inner, |c| async move {
            c.invite(user_ids).await.map(Into::into)
        })
        .await
    }

    /// Pending join requests (owner / admin).
    pub async fn join_requests(&self) -> Result<Vec<JoinRequest>, SdkError> {
        call_on(&self.inner, |c| async move {
            c.join_requests().await.map(map_vec)
        })
        .await
    }

    /// Approves or rejects a join request (owner / admin).
    pub async fn decide_join_request(
        &self,
        user_id: String,
        approve: bool,
    ) -> Result<(), SdkError> {
        call_on(&self.inner, move |c| async move {
            c.decide_join_request(&user_id, approve).await
        })
        .await
    }

    /// Changes name, avatar, notice or join policy (owner / admin).
    pub async fn update(&self, update: CommunityUpdate) -> Result<CommunityInfo, SdkError> {
        call_on(&self.inner, |c| async move {
            c.update(update.into()).await.map(Into::into)
        })
        .await
    }

    /// Sets custom attributes (owner / admin); failed keys are reported one by one.
    pub async fn set_attributes(
        &self,
        attributes: HashMap<String, String>,
    ) -> Result<AttributesOutcome, SdkError> {
        let attributes = attributes.into_iter().collect();
        call_on(&self.inner, |c| async move {
            c.set_attributes(attributes).await.map(Into::into)
        })
        .await
    }

    /// Deletes custom attributes (owner / admin).
    pub async fn delete_attributes(
        &self,
        keys: Vec<String>,
    ) -> Result<AttributesOutcome, SdkError> {
        call_on(&self.inner, |c| async move {
            c.delete_attributes(keys).await.map(Into::into)
        })
        .await
    }

    /// The user's notification status for this community.
    pub async fn set_notification(&self, status: NotificationStatus) -> Result<(), SdkError> {
        call_on(&self.inner, move |c| async move {
            c.set_notification(status.into()).await
        })
        .await
    }

    /// A page of members, whole (optionally those whose id or nickname contains `query`),
    /// with the exact number of matching members.
    pub async fn members(
        &self,
        query: Option<String>,
        cursor: Option<String>,
        limit: Option<u32>,
    ) -> Result<MemberPage, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.members(query, cursor, limit).await.map(Into::into)
        })
        .await
    }

    /// Makes a member an admin or an ordinary member (owner only).
    pub async fn set_member_role(
        &self,
        user_id: String,
        role: Role,
    ) -> Result<MemberInfo, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.set_member_role(&user_id, role.into())
                .await
                .map(Into::into)
        })
        .await
    }

    /// Removes a member.
    pub async fn kick(&self, user_id: String) -> Result<(), SdkError> {
        call_on(&self.inner, move |c| async move { c.kick(&user_id).await }).await
    }

    /// Gives ownership to another member (the old owner becomes an admin).
    pub async fn transfer_ownership(&self, user_id: String) -> Result<MemberInfo, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.transfer_ownership(&user_id).await.map(Into::into)
        })
        .await
    }

    /// Mutes a member until a time (ms since the epoch), or unmutes (`None`).
    pub async fn mute_member(
        &self,
        user_id: String,
        until_ms: Option<i64>,
    ) -> Result<MemberInfo, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.mute_member(&user_id, until_ms).await.map(Into::into)
        })
        .await
    }

    /// Mutes or unmutes everyone but the owner and admins.
    pub async fn set_mute_all(&self, muted: bool) -> Result<CommunityInfo, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.set_mute_all(muted).await.map(Into::into)
        })
        .await
    }

    /// Sets the user's own nickname in this community (empty clears it).
    pub async fn set_nickname(&self, nickname: String) -> Result<MemberInfo, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.set_nickname(&nickname).await.map(Into::into)
        })
        .await
    }

    /// Creates a channel (owner / admin).
    pub async fn create_channel(&self, channel: NewChannel) -> Result<Arc<Channel>, SdkError> {
        call_on(&self.inner, |c| async move {
            c.create_channel(channel.into()).await
        })
        .await
        .map(Channel::new)
    }

    /// Creates a category (owner / admin).
    pub async fn create_category(
        &self,
        name: String,
        position: Option<i64>,
    ) -> Result<CategoryInfo, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.create_category(&name, position).await.map(Into::into)
        })
        .await
    }

    /// Renames or moves a category (owner / admin).
    pub async fn update_category(
        &self,
        category_id: String,
        name: Option<String>,
        position: Option<i64>,
    ) -> Result<CategoryInfo, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.update_category(&category_id, name, position)
                .await
                .map(Into::into)
        })
        .await
    }

    /// Deletes a category; its channels fall back to no category (owner / admin).
    pub async fn delete_category(&self, category_id: String) -> Result<(), SdkError> {
        call_on(&self.inner, move |c| async move {
            c.delete_category(&category_id).await
        })
        .await
    }

    /// Fetches the unread heads of every visible channel from the server.
    pub async fn refresh_heads(&self) -> Result<Vec<ChannelHead>, SdkError> {
        call_on(&self.inner, |c| async move {
            c.refresh_heads().await.map(map_vec)
        })
        .await
    }
}
