//! Conversations from the app's side: starting direct and group conversations, the
//! conversation list (cached, newest activity first, with unread counts), renaming,
//! adding people, leaving. A conversation's messages are a stream like a channel's:
//! [`Client::conversation`] is a [`ChannelHandle`] in the reserved community `@me`
//! (send, history, timeline, read position, edits, reactions, pins, typing).

use community_protocol::request::{
    ConversationMembers, ConversationRef, CreateConversation, PageQuery, UpdateConversation,
};
use community_protocol::response::ConversationsPage;
use community_protocol::{ApiError, ChannelId, CommunityId, ErrorCode, UserId, op};

use super::channel::ChannelHandle;
use super::client::Client;
use crate::error::SdkError;
use crate::events::{PeopleSink, Sink, Subscription};
use crate::model::{ConversationEntry, ListDiff};
use crate::sync::{LocalUpdate, PeopleUpdate};

/// A new conversation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewConversation {
    /// The other users (one for a direct conversation).
    pub user_ids: Vec<UserId>,
    /// A group's name (≤ 100 bytes).
    pub name: String,
    /// Make a group even with one other user.
    pub group: bool,
}

impl Client {
    /// The user's conversations as cached, newest activity first, with their heads.
    pub fn conversations(&self) -> Vec<ConversationEntry> {
        self.inner
            .session()
            .map(|s| s.read(|state| state.conversation_entries()))
            .unwrap_or_default()
    }

    /// The conversation list now (one `Reset`), then its changes: started, renamed, grown,
    /// active, read (`Insert`/`Update`), left (`Remove`).
    pub fn subscribe_conversations(&self) -> Subscription<Vec<ListDiff<ConversationEntry>>> {
        self.inner.subscribe(
            |state| {
                vec![ListDiff::Reset(
                    state.map(|s| s.conversation_entries()).unwrap_or_default(),
                )]
            },
            |outlet| Sink::People(PeopleSink::Conversations(outlet)),
        )
    }

    /// The message stream of a conversation (no I/O): send, history, timeline, read
    /// position, edits, reactions, pins, typing — as a channel's, in community `@me`.
    pub fn conversation(&self, conversation_id: impl Into<ChannelId>) -> ChannelHandle {
        ChannelHandle::new(
            self.inner.clone(),
            CommunityId::direct(),
            conversation_id.into(),
        )
    }

    /// One conversation as cached.
    pub fn conversation_entry(&self, conversation_id: &ChannelId) -> Option<ConversationEntry> {
        self.inner
            .session()
            .ok()?
            .read(|state| state.conversation_entry(conversation_id))
    }

    /// Starts a conversation: with one other user a direct one (the existing one, if
    /// any), with more (or `group`) a group of up to `max_conversation_members`. Refused
    /// with `dm_not_allowed` by a user's policy and `blocked` by a block either way.
    pub async fn start_conversation(
        &self,
        conversation: NewConversation,
    ) -> Result<ConversationEntry, SdkError> {
        let session = self.inner.session()?;
        session.read(|state| -> Result<(), ApiError> {
            let others = conversation.user_ids.len();
            if others == 0 {
                return Err(ApiError::new(
                    ErrorCode::INVALID_ARGUMENT,
                    "name at least one other user",
                ));
            }
            if others + 1 > state.limits.max_conversation_members {
                return Err(ApiError::new(
                    ErrorCode::TOO_MANY_PARTICIPANTS,
                    format!(
                        "at most {} participants, you included",
                        state.limits.max_conversation_members
                    ),
                ));
            }
            Ok(())
        })?;
        let entry = session
            .call(op::CreateConversation(CreateConversation {
                user_ids: conversation.user_ids,
                name: conversation.name,
                group: conversation.group,
            }))
            .await?;
        apply(&session, entry).await
    }

    /// The direct conversation with `user_id`: the cached one, else started (or found) on
    /// the server.
    pub async fn direct_conversation(
        &self,
        user_id: impl Into<UserId>,
    ) -> Result<ChannelHandle, SdkError> {
        let user_id = user_id.into();
        let session = self.inner.session()?;
        if let Some(id) = session.read(|state| state.direct_with(&user_id)) {
            return Ok(self.conversation(id));
        }
        let entry = self
            .start_conversation(NewConversation {
                user_ids: vec![user_id],
                ..NewConversation::default()
            })
            .await?;
        Ok(self.conversation(entry.info.conversation_id))
    }

    /// Renames a group conversation.
    pub async fn rename_conversation(
        &self,
        conversation_id: &ChannelId,
        name: &str,
    ) -> Result<ConversationEntry, SdkError> {
        let session = self.inner.session()?;
        let entry = session
            .call(op::UpdateConversation(UpdateConversation {
                conversation_id: conversation_id.clone(),
                name: name.to_string(),
            }))
            .await?;
        apply(&session, entry).await
    }

    /// Adds users to a group conversation (each one's policy and blocks apply).
    pub async fn add_conversation_members(
        &self,
        conversation_id: &ChannelId,
        user_ids: Vec<UserId>,
    ) -> Result<ConversationEntry, SdkError> {
        let session = self.inner.session()?;
        let entry = session
            .call(op::AddConversationMembers(ConversationMembers {
                conversation_id: conversation_id.clone(),
                user_ids,
            }))
            .await?;
        apply(&session, entry).await
    }

    /// Leaves a group conversation: it leaves the list, its cache is dropped.
    pub async fn leave_conversation(&self, conversation_id: &ChannelId) -> Result<(), SdkError> {
        let session = self.inner.session()?;
        session
            .call(op::LeaveConversation(ConversationRef {
                conversation_id: conversation_id.clone(),
            }))
            .await?;
        session
            .apply(LocalUpdate::People(PeopleUpdate::ConversationLeft(
                conversation_id.clone(),
            )))
            .await;
        Ok(())
    }

    /// A page of the user's conversations from the server, newest activity first (each
    /// is also brought into the cache).
    pub async fn conversations_page(
        &self,
        cursor: Option<String>,
        limit: Option<u32>,
    ) -> Result<ConversationsPage, SdkError> {
        let session = self.inner.session()?;
        session.read(|state| state.limits.page_size(limit))?;
        let page = session
            .call(op::ListConversations(PageQuery { cursor, limit }))
            .await?;
        for entry in &page.conversations {
            session
                .apply(LocalUpdate::People(PeopleUpdate::Conversation(
                    entry.clone(),
                )))
                .await;
        }
        Ok(page)
    }
}

async fn apply(
    session: &crate::session::UserSession,
    entry: community_protocol::response::ConversationEntry,
) -> Result<ConversationEntry, SdkError> {
    let id = entry.conversation.conversation_id.clone();
    session
        .apply(LocalUpdate::People(PeopleUpdate::Conversation(
            entry.clone(),
        )))
        .await;
    Ok(session
        .read(|state| state.conversation_entry(&id))
        .unwrap_or(ConversationEntry {
            info: entry.conversation,
            head: entry.head,
        }))
}
