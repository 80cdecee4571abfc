//! The people's methods that are not plain forwarding (those are generated, see
//! `generated.rs` and `ops_table/rows/people.rs`): a conversation's message stream as a
//! [`Channel`] (of the reserved community `@me`), and the subscriptions to the
//! conversation list, profiles, presence, the online count, voice channels and typing.

use std::sync::Arc;

use super::listeners::report;
use super::{
    Channel, Client, Community, ConversationListListener, OnlineCountListener, PresenceListener,
    ProfileListener, TypingListener, VoiceListener, call_on,
};
use crate::error::SdkError;
use crate::records::map_vec;
use crate::runtime::run;
use crate::subscription::{TaskHandle, pump};

fn user_ids(ids: Vec<String>) -> Vec<community_sdk::protocol::UserId> {
    ids.into_iter().map(Into::into).collect()
}

#[uniffi::export(async_runtime = "tokio")]
impl Client {
    /// The message stream of a conversation (no I/O): a `Channel` of community `@me` on
    /// the conversation's id, whose calls (`send`, `messages`, `subscribe_messages`,
    /// `mark_read`, `edit_message`, `add_reaction`, `typing`…) work as in a channel.
    pub fn conversation(&self, conversation_id: String) -> Result<Arc<Channel>, SdkError> {
        Ok(Channel::new(self.sdk()?.conversation(conversation_id)))
    }

    /// The direct conversation with `user_id`: the cached one, else started (or found) on
    /// the server (refused with `dm_not_allowed` or `blocked`). Returns its message
    /// stream; its `id()` is the conversation's id.
    pub async fn direct_conversation(&self, user_id: String) -> Result<Arc<Channel>, SdkError> {
        call_on(&self.sdk()?, |c| async move {
            c.direct_conversation(user_id).await
        })
        .await
        .map(Channel::new)
    }

    /// The conversation list: the cached list (newest activity first) first, then its
    /// changes (`Insert` / `Update`: started, renamed, grown, active, read; `Remove`: left).
    pub fn subscribe_conversations(
        &self,
        listener: Arc<dyn ConversationListListener>,
    ) -> Result<Arc<TaskHandle>, SdkError> {
        let subscription = self.sdk()?.subscribe_conversations();
        pump(subscription, move |diffs| {
            report(listener.on_update(map_vec(diffs)))
        })
        .map(TaskHandle::new)
    }

    /// Profiles as they change from now on (of `user_ids` only, when given): the cached
    /// profiles of those users first (nothing when following everyone).
    pub fn subscribe_profiles(
        &self,
        user_ids: Option<Vec<String>>,
        listener: Arc<dyn ProfileListener>,
    ) -> Result<Arc<TaskHandle>, SdkError> {
        let subscription = self.sdk()?.subscribe_profiles(user_ids.map(self::user_ids));
        pump(subscription, move |profiles| {
            report(listener.on_update(map_vec(profiles)))
        })
        .map(TaskHandle::new)
    }

    /// Follows the presence of users (≤ `max_presence_users`, else `too_many_users`):
    /// their presence now first, then every change. The client keeps following them
    /// across reconnects until `unsubscribe_presence` (cancelling the handle only stops
    /// this listener).
    pub async fn subscribe_presence(
        &self,
        user_ids: Vec<String>,
        listener: Arc<dyn PresenceListener>,
    ) -> Result<Arc<TaskHandle>, SdkError> {
        let client = self.sdk()?;
        let subscription =
            run(async move { Ok(client.subscribe_presence(self::user_ids(user_ids)).await?) })
                .await?;
        pump(subscription, move |presences| {
            report(listener.on_update(map_vec(presences)))
        })
        .map(TaskHandle::new)
    }

    /// Presence values as they change, without asking the server (of `user_ids` only,
    /// when given; every followed user and member of the viewed community otherwise): the
    /// known values of those users first.
    pub fn presence_stream(
        &self,
        user_ids: Option<Vec<String>>,
        listener: Arc<dyn PresenceListener>,
    ) -> Result<Arc<TaskHandle>, SdkError> {
        let subscription = self.sdk()?.presence_stream(user_ids.map(self::user_ids));
        pump(subscription, move |presences| {
            report(listener.on_update(map_vec(presences)))
        })
        .map(TaskHandle::new)
    }
}

#[uniffi::export]
impl Community {
    /// The online member count (0 until known), then its changes while the community is
    /// viewed (`view`).
    pub fn subscribe_online_count(
        &self,
        listener: Arc<dyn OnlineCountListener>,
    ) -> Result<Arc<TaskHandle>, SdkError> {
        pump(self.inner.subscribe_online_count(), move |online| {
            report(listener.on_update(online))
        })
        .map(TaskHandle::new)
    }

    /// Who sits in this community's voice channels: the list now, then the whole list
    /// after every change.
    pub fn subscribe_voice(
        &self,
        listener: Arc<dyn VoiceListener>,
    ) -> Result<Arc<TaskHandle>, SdkError> {
        pump(self.inner.subscribe_voice(), move |participants| {
            report(listener.on_update(map_vec(participants)))
        })
        .map(TaskHandle::new)
    }
}

#[uniffi::export]
impl Channel {
    /// Who is typing here (a channel, a thread's or a conversation's stream): the list
    /// now, then the whole list after every change (someone starts, their message
    /// arrives, or their indicator runs out).
    pub fn subscribe_typing(
        &self,
        listener: Arc<dyn TypingListener>,
    ) -> Result<Arc<TaskHandle>, SdkError> {
        pump(self.inner.subscribe_typing(), move |user_ids| {
            report(listener.on_update(map_vec(user_ids)))
        })
        .map(TaskHandle::new)
    }
}
