//! [`ChannelHandle`]: messages, read state and management of one channel.

use std::collections::HashSet;
use std::sync::Arc;

use community_protocol::request::{ChannelMembers, ChannelRef, MarkRead, UpdateChannel};
use community_protocol::{
    ApiError, ChannelHead, ChannelId, ChannelInfo, CommunityId, ErrorCode, Message, MessageContent,
    MessageRef, Seq, UserId, op,
};

use super::checks;
use super::client::ClientInner;
use super::outgoing::OutgoingMessage;
use super::{ChannelUpdate, UsersOutcome};
use crate::error::SdkError;
use crate::events::{Fresh, Sink, Subscription, queue};
use crate::focus::Place;
use crate::model::{
    ChannelEntry, ChannelUnread, LocalMessage, MessageUpdate, SendOptions, SendState,
};
use crate::session::UserSession;
use crate::store::{OutboxEntry, OutboxState};
use crate::sync::{LocalUpdate, history_page, opening_floor};

/// How many cached messages the first value of a message subscription holds.
const TIMELINE_WINDOW: u32 = 50;

/// A handle on one channel. Cheap to clone; creating one does no I/O.
#[derive(Clone)]
pub struct ChannelHandle {
    pub(super) client: Arc<ClientInner>,
    community_id: CommunityId,
    channel_id: ChannelId,
    /// For the message stream of a thread: the thread's channel (checks are made there).
    thread_parent: Option<ChannelId>,
}

impl std::fmt::Debug for ChannelHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelHandle")
            .field("community_id", &self.community_id)
            .field("channel_id", &self.channel_id)
            .finish()
    }
}

impl ChannelHandle {
    pub(crate) fn new(
        client: Arc<ClientInner>,
        community_id: CommunityId,
        channel_id: ChannelId,
    ) -> Self {
        Self {
            client,
            community_id,
            channel_id,
            thread_parent: None,
        }
    }

    /// The message stream of thread `thread_id` of channel `parent` (sends, history,
    /// timeline, read position and message changes work alike; checks are made in the
    /// channel, as the server makes them).
    pub(crate) fn of_thread(
        client: Arc<ClientInner>,
        community_id: CommunityId,
        thread_id: ChannelId,
        parent: ChannelId,
    ) -> Self {
        Self {
            client,
            community_id,
            channel_id: thread_id,
            thread_parent: Some(parent),
        }
    }

    /// The thread's channel when this is a thread's message stream.
    pub(crate) fn thread_parent(&self) -> Option<&ChannelId> {
        self.thread_parent.as_ref()
    }

    /// The community's id.
    pub fn community_id(&self) -> &CommunityId {
        &self.community_id
    }

    /// The channel's id.
    pub fn id(&self) -> &ChannelId {
        &self.channel_id
    }

    fn session(&self) -> Result<Arc<UserSession>, SdkError> {
        self.client.session()
    }

    fn channel_ref(&self) -> ChannelRef {
        ChannelRef {
            community_id: self.community_id.clone(),
            channel_id: self.channel_id.clone(),
        }
    }

    // ----- cached reads -----

    /// The channel as cached, with its head (`None` when not visible or not cached).
    pub fn entry(&self) -> Option<ChannelEntry> {
        self.session()
            .ok()?
            .read(|state| state.channel_entry(&self.community_id, &self.channel_id))
    }

    /// Its unread and mention counts (`None` when not cached).
    pub fn unread(&self) -> Option<ChannelUnread> {
        self.session()
            .ok()?
            .read(|state| state.channel_unread(&self.community_id, &self.channel_id))
    }

    // ----- messages -----

    /// Sends a message. Returns at once with the local echo (state `Sending`), already
    /// durable in the outbox; the message is sent when connected (resent after a
    /// reconnect or a restart with the same idempotency key) and ends `Sent { seq }` or
    /// `Failed { error }`: await [`OutgoingMessage::sent`] for that end, or watch the
    /// timeline ([`subscribe_messages`](Self::subscribe_messages)). Limits and the cached
    /// membership (muted, mute-all, announcement channel) are checked first.
    pub async fn send(
        &self,
        content: MessageContent,
        options: SendOptions,
    ) -> Result<OutgoingMessage, SdkError> {
        self.enqueue_send(content, options, None).await
    }

    /// Checks and queues a send (or a forward of `forward_of`).
    pub(super) async fn enqueue_send(
        &self,
        content: MessageContent,
        options: SendOptions,
        forward_of: Option<MessageRef>,
    ) -> Result<OutgoingMessage, SdkError> {
        let session = self.session()?;
        session.read(|state| -> Result<(), ApiError> {
            if forward_of.is_none() {
                state.limits.check_message(&content, &options.mentions)?;
            }
            state.limits.check_custom_data(&options.custom_data)?;
            checks::may_send(
                state,
                &self.community_id,
                &self.channel_id,
                self.thread_parent(),
                &content,
                &options.mentions,
            )
        })?;
        if options.reply_to == Some(0) {
            return Err(ApiError::new(
                ErrorCode::INVALID_ARGUMENT,
                "reply_to must be a sequence (from 1)",
            )
            .into());
        }
        let entry = OutboxEntry {
            idempotency_key: uuid::Uuid::new_v4().simple().to_string(),
            community_id: self.community_id.clone(),
            channel_id: self.channel_id.clone(),
            content,
            mentions: options.mentions,
            reply_to: options.reply_to,
            priority: options.priority,
            created_at_ms: crate::clock::now_ms(),
            state: OutboxState::Sending,
            custom_data: options.custom_data,
            forward_of,
        };
        let book = session.outbox();
        let echo = book.enqueue(entry).await?;
        Ok(OutgoingMessage::new(echo, book))
    }

    /// Whether the user may post `content` mentioning `mentions` here, from the cache:
    /// `send_messages`, plus `attach_media` for media and `mention_everyone` for
    /// `@everyone` or a group that is not mentionable; `Ok` when allowed (or when the cache
    /// cannot tell), else the error the server would give.
    pub fn check_send(
        &self,
        content: &MessageContent,
        mentions: &community_protocol::Mentions,
    ) -> Result<(), SdkError> {
        let session = self.session()?;
        session.read(|state| {
            checks::may_send(
                state,
                &self.community_id,
                &self.channel_id,
                self.thread_parent(),
                content,
                mentions,
            )
        })?;
        Ok(())
    }

    /// Sends a text message (see [`send`](Self::send)).
    pub async fn send_text(&self, text: impl Into<String>) -> Result<OutgoingMessage, SdkError> {
        self.send(
            MessageContent::Text { text: text.into() },
            SendOptions::default(),
        )
        .await
    }

    /// Puts a failed message back in the queue. Returns false when it was not failed.
    pub async fn retry_send(&self, local_id: &str) -> Result<bool, SdkError> {
        self.session()?.outbox().retry(local_id).await
    }

    /// Discards an unsent or failed message from the outbox; timelines drop its echo
    /// (`Discarded`). Returns false when unknown or sent already.
    pub async fn discard(&self, local_id: &str) -> Result<bool, SdkError> {
        self.session()?.outbox().discard(local_id).await
    }

    /// The user's messages of this channel that are not sent yet, or failed.
    pub async fn pending(&self) -> Result<Vec<LocalMessage>, SdkError> {
        let session = self.session()?;
        let book = session.outbox();
        let entries = session
            .store
            .outbox_entries(self.channel_id.clone())
            .await?;
        Ok(entries
            .iter()
            .map(|entry| book.echo(entry))
            .filter(|echo| !matches!(echo.state, SendState::Sent { .. }))
            .collect())
    }

    /// A page of history, ascending: up to `limit` (1..=100) messages with
    /// `seq < before_seq`, the newest when `before_seq` is `None`. Served from the cache;
    /// holes are fetched from the server first when connected, so pages are complete
    /// online and whatever is cached offline.
    pub async fn messages(
        &self,
        before_seq: Option<Seq>,
        limit: u32,
    ) -> Result<Vec<Message>, SdkError> {
        let session = self.session()?;
        let limit = session.read(|state| state.limits.page_size(Some(limit)))?;
        let page = history_page(
            &session.history(),
            &self.community_id,
            &self.channel_id,
            before_seq,
            limit,
        )
        .await?;
        let hidden = session.read(|state| state.hidden(&self.community_id, &self.channel_id));
        Ok(page
            .into_iter()
            .filter(|m| !hidden.contains(&m.seq))
            .collect())
    }

    /// Timeline changes: the newest cached messages and the pending local echoes first,
    /// then new messages (`Inserted`, upsert by `seq`) and echo changes (`Local`, upsert by
    /// `local_id`; `Discarded`, remove). A subscriber that falls far behind gets a fresh
    /// `Reset` (see [`Subscription`]).
    ///
    /// While the subscription is alive, the place it shows is the session's **focus**
    /// (protocol §22.1) when it is the most recently opened live timeline (of a channel,
    /// thread or conversation): in a large community only the focused place receives
    /// whole messages, so the SDK focuses it, applies the exact head the server answers
    /// and fetches what the timeline lacks. When it is dropped, focus returns to the
    /// previous timeline still alive, or to none. Focus is sent only while connected (the
    /// newest wish wins) and again after a new session. A timeline that is open but not
    /// focused still gets every message: the SDK fetches them when activity arrives.
    pub async fn subscribe_messages(&self) -> Result<Subscription<Vec<MessageUpdate>>, SdkError> {
        let focus = self.session()?.focus.open(Place {
            community_id: self.community_id.clone(),
            channel_id: self.channel_id.clone(),
        });
        let subscription = self.timeline().await?.with_guard(focus);
        let client = Arc::downgrade(&self.client);
        let (community_id, channel_id) = (self.community_id.clone(), self.channel_id.clone());
        Ok(
            subscription.with_resync(move || -> Fresh<Vec<MessageUpdate>> {
                let channel = client.upgrade().map(|client| {
                    ChannelHandle::new(client, community_id.clone(), channel_id.clone())
                });
                Box::pin(async move { channel?.timeline().await.ok() })
            }),
        )
    }

    /// A timeline subscription starting from what the cache holds now.
    async fn timeline(&self) -> Result<Subscription<Vec<MessageUpdate>>, SdkError> {
        let session = self.session()?;
        let (outlet, inlet) = queue();
        // Read before registering, so a message stored in between only lowers it (more
        // is checked, nothing missed).
        let floor = opening_floor(&session.history(), &self.community_id, &self.channel_id).await?;
        // Register first, then read: a message stored in between shows up in both and is
        // filtered below, but none can fall between the two.
        self.client.hub.register(Sink::Messages(
            self.community_id.clone(),
            self.channel_id.clone(),
            outlet,
            floor,
        ));
        let hidden = session.read(|state| state.hidden(&self.community_id, &self.channel_id));
        let messages: Vec<Message> = session
            .store
            .messages_before(self.channel_id.clone(), None, TIMELINE_WINDOW)
            .await?
            .into_iter()
            .filter(|m| !hidden.contains(&m.seq))
            .collect();
        let pending = self.pending().await?;
        let seen: HashSet<Seq> = messages.iter().map(|m| m.seq).collect();
        let initial = vec![MessageUpdate::Reset { messages, pending }];
        // Messages hidden by the user stay out; the state is read per batch (hides from
        // other devices arrive as `Removed` first).
        let cell = session.cell.clone();
        let (community_id, channel_id) = (self.community_id.clone(), self.channel_id.clone());
        Ok(
            Subscription::new(initial, inlet).with_filter(move |updates: Vec<MessageUpdate>| {
                let hidden = cell.read(|state| state.hidden(&community_id, &channel_id));
                let updates: Vec<MessageUpdate> = updates
                    .into_iter()
                    .filter(|u| match u {
                        MessageUpdate::Inserted(m) => {
                            !seen.contains(&m.seq) && !hidden.contains(&m.seq)
                        }
                        MessageUpdate::Updated(m) => !hidden.contains(&m.seq),
                        _ => true,
                    })
                    .collect();
                (!updates.is_empty()).then_some(updates)
            }),
        )
    }

    // ----- read state -----

    /// Marks everything up to `seq` read (never backwards; clamped to the last message).
    /// The server syncs the position to the user's other devices. Returns the new head.
    pub async fn mark_read(&self, seq: Seq) -> Result<ChannelHead, SdkError> {
        let session = self.session()?;
        let head = session
            .call(op::MarkRead(MarkRead {
                community_id: self.community_id.clone(),
                channel_id: self.channel_id.clone(),
                seq,
            }))
            .await?;
        session.apply(LocalUpdate::Head(head.clone())).await;
        Ok(head)
    }

    /// Marks every message read (up to the newest known sequence).
    pub async fn mark_all_read(&self) -> Result<ChannelHead, SdkError> {
        let last = self.entry().map_or(u64::MAX, |e| e.head.last_seq.max(1));
        self.mark_read(last).await
    }

    // ----- management -----

    /// Changes the channel (owner / admin).
    pub async fn update(&self, update: ChannelUpdate) -> Result<ChannelInfo, SdkError> {
        let session = self.session()?;
        session.read(|state| -> Result<(), ApiError> {
            state.require_op_at(
                "update_channel",
                &self.community_id,
                &self.channel_id,
                self.thread_parent(),
            )?;
            if let Some(name) = &update.name {
                state.limits.check_channel_name(name)?;
            }
            if let Some(text) = &update.introduction {
                state.limits.check_channel_intro(text)?;
            }
            if let Some(text) = &update.notice {
                state.limits.check_channel_notice(text)?;
            }
            Ok(())
        })?;
        let info = session
            .call(op::UpdateChannel(UpdateChannel {
                community_id: self.community_id.clone(),
                channel_id: self.channel_id.clone(),
                name: update.name,
                introduction: update.introduction,
                notice: update.notice,
                custom: update.custom,
                category_id: update.category_id,
                position: update.position,
                private: update.private,
                follows_category: update.follows_category,
                mute_all: update.mute_all,
            }))
            .await?;
        session.apply(LocalUpdate::Channel(info.clone())).await;
        Ok(info)
    }

    /// Deletes the channel and its messages (owner / admin; not the default channel).
    pub async fn delete(&self) -> Result<(), SdkError> {
        let session = self.session()?;
        session.read(|state| -> Result<(), ApiError> {
            state.require_op_at(
                "delete_channel",
                &self.community_id,
                &self.channel_id,
                self.thread_parent(),
            )?;
            if state
                .channel(&self.community_id, &self.channel_id)
                .is_some_and(|c| c.info.is_default)
            {
                return Err(ApiError::new(
                    ErrorCode::DEFAULT_CHANNEL_PROTECTED,
                    "the default channel cannot be deleted",
                ));
            }
            Ok(())
        })?;
        session.call(op::DeleteChannel(self.channel_ref())).await?;
        session
            .apply(LocalUpdate::RemoveChannel(
                self.community_id.clone(),
                self.channel_id.clone(),
            ))
            .await;
        Ok(())
    }

    /// Adds members to a private channel (owner / admin).
    pub async fn add_members(&self, user_ids: Vec<UserId>) -> Result<UsersOutcome, SdkError> {
        let session = self.members_change(&user_ids)?;
        session
            .call(op::AddChannelMembers(self.channel_members(user_ids)))
            .await
    }

    /// Removes members from a private channel (owner / admin).
    pub async fn remove_members(&self, user_ids: Vec<UserId>) -> Result<UsersOutcome, SdkError> {
        let session = self.members_change(&user_ids)?;
        session
            .call(op::RemoveChannelMembers(self.channel_members(user_ids)))
            .await
    }

    fn members_change(&self, user_ids: &[UserId]) -> Result<Arc<UserSession>, SdkError> {
        let session = self.session()?;
        session.read(|state| -> Result<(), ApiError> {
            state.require_op(
                "add_channel_members",
                &self.community_id,
                Some(&self.channel_id),
            )?;
            state.limits.check_invitees(user_ids.len())
        })?;
        Ok(session)
    }

    fn channel_members(&self, user_ids: Vec<UserId>) -> ChannelMembers {
        ChannelMembers {
            community_id: self.community_id.clone(),
            channel_id: self.channel_id.clone(),
            user_ids,
        }
    }

    /// The explicit members of a private channel.
    pub async fn members(&self) -> Result<Vec<UserId>, SdkError> {
        let session = self.session()?;
        let list = session
            .call(op::ListChannelMembers(self.channel_ref()))
            .await?;
        Ok(list.user_ids)
    }
}
