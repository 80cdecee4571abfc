//! What a user does to messages that exist: edit, recall, react, pin, hide (delete for
//! themselves), list pins and forward. Every change is shown at once (local echo), kept
//! durably and carried out when connected (see `outbox::changes`); each method returns
//! the queued [`PendingChange`], whose end [`ChannelHandle::wait_for_change`] awaits.
//! What the cache can tell is checked first, with the server's error codes.

use community_protocol::request::ChannelRef;
use community_protocol::{
    ApiError, ErrorCode, Message, MessageContent, MessageRef, Permissions, Seq, UserId, op,
};

use super::channel::ChannelHandle;
use super::checks;
use super::outgoing::OutgoingMessage;
use crate::error::SdkError;
use crate::model::{ChangeAction, ChangeState, MessageEdit, PendingChange, SendOptions};
use crate::state::State;

impl ChannelHandle {
    /// Edits one's own text or custom message: new content, mentions or custom data
    /// (absent fields stay). Shown at once; refused edits roll back with the server's
    /// error (`not_author`, `message_recalled`, `not_editable`, limits).
    pub async fn edit_message(
        &self,
        seq: Seq,
        edit: MessageEdit,
    ) -> Result<PendingChange, SdkError> {
        if edit.content.is_none() && edit.mentions.is_none() && edit.custom_data.is_none() {
            return Err(
                ApiError::new(ErrorCode::INVALID_ARGUMENT, "the edit changes nothing").into(),
            );
        }
        let cached = self.cached(seq).await?;
        self.check(|state, me| {
            let limits = &state.limits;
            if let Some(content) = &edit.content {
                if !content.is_editable() {
                    return Err(not_editable());
                }
                let mentions = edit.mentions.clone().unwrap_or_default();
                limits.check_message(content, &mentions)?;
            }
            if let Some(data) = &edit.custom_data {
                limits.check_custom_data(data)?;
            }
            if let Some(message) = &cached {
                if &message.sender_id != me {
                    return Err(ApiError::new(
                        ErrorCode::NOT_AUTHOR,
                        "only the author may edit a message",
                    ));
                }
                not_recalled(message)?;
                if !message.content.is_editable() {
                    return Err(not_editable());
                }
            }
            let content = edit
                .content
                .clone()
                .or_else(|| cached.as_ref().map(|m| m.content.clone()))
                .unwrap_or(MessageContent::Text {
                    text: String::new(),
                });
            let mentions = edit.mentions.clone().unwrap_or_default();
            checks::may_send(
                state,
                self.community_id(),
                self.id(),
                self.thread_parent(),
                &content,
                &mentions,
            )
        })?;
        self.queue(seq, ChangeAction::Edit(edit)).await
    }

    /// Recalls a message for everyone: one's own within the deployment's recall window
    /// (`Limits::recall_window_ms`), any message for the owner and admins. Recalling a
    /// recalled message changes nothing.
    pub async fn recall_message(&self, seq: Seq) -> Result<PendingChange, SdkError> {
        let cached = self.cached(seq).await?;
        self.check(|state, me| {
            state.require_op_at(
                "recall_message",
                self.community_id(),
                self.id(),
                self.thread_parent(),
            )?;
            if let Some(message) = &cached
                && &message.sender_id != me
            {
                state
                    .require(
                        self.community_id(),
                        Some(self.id()),
                        Permissions::MANAGE_MESSAGES,
                    )
                    .map_err(|_| {
                        ApiError::new(
                            ErrorCode::NOT_AUTHOR,
                            "only the author and members who manage messages may recall it",
                        )
                    })?;
            }
            Ok(())
        })?;
        self.queue(seq, ChangeAction::Recall).await
    }

    /// Reacts to a message with an emoji (any string of 1..=`emoji_bytes` bytes). Adding
    /// a reaction one has changes nothing.
    pub async fn add_reaction(
        &self,
        seq: Seq,
        emoji: impl Into<String>,
    ) -> Result<PendingChange, SdkError> {
        let emoji = emoji.into();
        let cached = self.cached(seq).await?;
        self.check(|state, _| {
            state.limits.check_emoji(&emoji)?;
            state.require_op_at(
                "add_reaction",
                self.community_id(),
                self.id(),
                self.thread_parent(),
            )?;
            if let Some(message) = &cached {
                not_recalled(message)?;
                let new_emoji = message.reaction(&emoji).is_none();
                if new_emoji && message.reactions.len() >= state.limits.max_reactions_per_message {
                    return Err(ApiError::new(
                        ErrorCode::TOO_MANY_REACTIONS,
                        format!(
                            "a message has at most {} different emoji",
                            state.limits.max_reactions_per_message
                        ),
                    ));
                }
            }
            Ok(())
        })?;
        self.queue(seq, ChangeAction::AddReaction { emoji }).await
    }

    /// Takes one's reaction back. Taking back one not made changes nothing.
    pub async fn remove_reaction(
        &self,
        seq: Seq,
        emoji: impl Into<String>,
    ) -> Result<PendingChange, SdkError> {
        let emoji = emoji.into();
        self.check(|state, _| state.limits.check_emoji(&emoji))?;
        self.queue(seq, ChangeAction::RemoveReaction { emoji })
            .await
    }

    /// Pins a message in the channel (owner / admin; at most `max_pins_per_channel`).
    pub async fn pin_message(&self, seq: Seq) -> Result<PendingChange, SdkError> {
        let cached = self.cached(seq).await?;
        self.check(|state, _| {
            state.require_op_at(
                "pin_message",
                self.community_id(),
                self.id(),
                self.thread_parent(),
            )?;
            cached.as_ref().map_or(Ok(()), not_recalled)
        })?;
        self.queue(seq, ChangeAction::Pin).await
    }

    /// Unpins a message (owner / admin).
    pub async fn unpin_message(&self, seq: Seq) -> Result<PendingChange, SdkError> {
        self.check(|state, _| {
            state.require_op_at(
                "unpin_message",
                self.community_id(),
                self.id(),
                self.thread_parent(),
            )
        })?;
        self.queue(seq, ChangeAction::Unpin).await
    }

    /// Deletes a message for the user only: it leaves the timelines of all their devices
    /// and no longer counts as unread or as a mention for them.
    pub async fn hide_message(&self, seq: Seq) -> Result<PendingChange, SdkError> {
        self.check(|state, _| {
            let hidden = state.hidden(self.community_id(), self.id());
            if !hidden.contains(&seq) && hidden.len() >= state.limits.max_hidden_per_channel {
                return Err(ApiError::new(
                    ErrorCode::TOO_MANY_HIDDEN,
                    format!(
                        "at most {} messages per channel can be hidden",
                        state.limits.max_hidden_per_channel
                    ),
                ));
            }
            Ok(())
        })?;
        self.queue(seq, ChangeAction::Hide).await
    }

    /// Waits until a change made on this device is carried out (the change's number in
    /// the channel's change sequence, absent when nothing needed changing) or refused
    /// (the server's typed error; its echo is rolled back by then).
    pub async fn wait_for_change(&self, key: &str) -> Result<Option<u64>, SdkError> {
        self.client.session()?.changes().wait(key).await
    }

    /// The channel's pinned messages, the most recently pinned first (asks the server).
    pub async fn pins(&self) -> Result<Vec<Message>, SdkError> {
        let session = self.client.session()?;
        let page = session
            .call(op::ListPins(ChannelRef {
                community_id: self.community_id().clone(),
                channel_id: self.id().clone(),
            }))
            .await?;
        let hidden = session.read(|state| state.hidden(self.community_id(), self.id()));
        Ok(page
            .messages
            .into_iter()
            .filter(|m| !hidden.contains(&m.seq))
            .collect())
    }

    /// Forwards a message (of any channel the user can read) to this channel: the server
    /// copies its content and records where it came from. Queued like any send; the echo
    /// shows the original's content when it is cached.
    pub async fn forward(
        &self,
        original: MessageRef,
        options: SendOptions,
    ) -> Result<OutgoingMessage, SdkError> {
        let session = self.client.session()?;
        let content = session
            .store
            .cached_message(original.channel_id.clone(), original.seq)
            .await?
            .map(|message| {
                not_recalled(&message)?;
                Ok::<_, ApiError>(message.content)
            })
            .transpose()?
            .unwrap_or(MessageContent::Text {
                text: String::from("[forwarded message]"),
            });
        self.enqueue_send(content, options, Some(original)).await
    }

    // ----- helpers -----

    /// The cached copy of a message of this channel, if any.
    async fn cached(&self, seq: Seq) -> Result<Option<Message>, SdkError> {
        let session = self.client.session()?;
        Ok(session.store.cached_message(self.id().clone(), seq).await?)
    }

    /// Runs a local check with the state and the logged-in user.
    fn check(
        &self,
        check: impl FnOnce(&State, &UserId) -> Result<(), ApiError>,
    ) -> Result<(), SdkError> {
        let session = self.client.session()?;
        let me = session.user_id.clone();
        session.read(|state| check(state, &me))?;
        Ok(())
    }

    /// Queues a change of message `seq`: durable, echoed, carried out when connected.
    async fn queue(&self, seq: Seq, action: ChangeAction) -> Result<PendingChange, SdkError> {
        if seq == 0 {
            return Err(
                ApiError::new(ErrorCode::INVALID_ARGUMENT, "messages are numbered from 1").into(),
            );
        }
        let session = self.client.session()?;
        let entry = PendingChange {
            key: uuid::Uuid::new_v4().simple().to_string(),
            community_id: self.community_id().clone(),
            channel_id: self.id().clone(),
            seq,
            action,
            created_at_ms: crate::clock::now_ms(),
            state: ChangeState::Pending,
        };
        session.changes().enqueue(entry).await
    }
}

fn not_recalled(message: &Message) -> Result<(), ApiError> {
    if message.content.is_recalled() {
        return Err(ApiError::new(
            ErrorCode::MESSAGE_RECALLED,
            "the message was recalled",
        ));
    }
    Ok(())
}

fn not_editable() -> ApiError {
    ApiError::new(
        ErrorCode::NOT_EDITABLE,
        "only text and custom messages can be edited (into text or custom)",
    )
}
