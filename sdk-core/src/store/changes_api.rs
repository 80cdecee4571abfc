//! The store's methods for the life of messages after they are sent: changes applied in
//! their channel's order, pages stored at the change sequence they were read at, the
//! durable queue of changes made on this device, and the message a change applies to.

use community_protocol::{ChannelId, CommunityId, Message, MessageChange, Seq, UserId};

use super::message_changes::{self, CacheOutcome};
use super::{Store, StoreResult, messages, pending};
use crate::model::{ChangeState, PendingChange};

impl Store {
    /// Applies changes received from the server to the cached messages, each channel's
    /// in order (see `message_changes`): duplicates are skipped, a gap reports the channel
    /// as behind.
    pub(crate) async fn apply_message_changes(
        &self,
        changes: Vec<MessageChange>,
        me: UserId,
    ) -> StoreResult<CacheOutcome> {
        let span = tracing::debug_span!("store.apply_message_changes", count = changes.len());
        self.write(span, move |c| {
            message_changes::apply_changes(c, &changes, &me)
        })
        .await
    }

    /// Stores a page of messages the server read at `change_seq`.
    pub(crate) async fn insert_page(
        &self,
        community_id: CommunityId,
        channel_id: ChannelId,
        page: Vec<Message>,
        change_seq: u64,
    ) -> StoreResult<CacheOutcome> {
        let span = tracing::debug_span!(
            "store.insert_page",
            channel = %channel_id,
            count = page.len(),
            change_seq
        );
        self.write(span, move |c| {
            message_changes::insert_page(c, &community_id, &channel_id, page, change_seq)
        })
        .await
    }

    /// Every channel with cached messages and how far its cache applied the channel's
    /// change sequence.
    pub(crate) async fn cached_channels(&self) -> StoreResult<Vec<(CommunityId, ChannelId, u64)>> {
        let span = tracing::debug_span!("store.cached_channels");
        self.read(span, message_changes::cached_channels).await
    }

    /// Deletes the cached messages of a channel (its cache is too far behind to catch up
    /// change by change; it refills when read).
    pub(crate) async fn forget_messages(&self, channel_id: ChannelId) -> StoreResult<()> {
        let span = tracing::debug_span!("store.forget_messages", channel = %channel_id);
        self.write(span, move |c| messages::delete_channel(c, &channel_id))
            .await
    }

    /// Queues a change made on this device; false when one with that key exists already.
    pub(crate) async fn pending_enqueue(&self, entry: PendingChange) -> StoreResult<bool> {
        let span = tracing::debug_span!("store.pending_enqueue", key = %entry.key);
        self.write(span, move |c| pending::enqueue(c, &entry)).await
    }

    /// Settles a pending change as done or failed; false when none is pending with `key`.
    pub(crate) async fn pending_settle(
        &self,
        key: String,
        state: ChangeState,
    ) -> StoreResult<bool> {
        let span = tracing::debug_span!("store.pending_settle", key = %key);
        self.write(span, move |c| pending::settle(c, &key, &state))
            .await
    }

    /// Changes made on this device still to carry out, in order.
    pub(crate) async fn pending_changes(&self) -> StoreResult<Vec<PendingChange>> {
        let span = tracing::debug_span!("store.pending_changes");
        self.read(span, pending::pending).await
    }

    /// Every change made on this device that is kept (pending, and recently settled).
    pub(crate) async fn pending_all(&self) -> StoreResult<Vec<PendingChange>> {
        let span = tracing::debug_span!("store.pending_all");
        self.read(span, pending::all).await
    }

    /// One change made on this device, by key.
    pub(crate) async fn pending_entry(&self, key: String) -> StoreResult<Option<PendingChange>> {
        let span = tracing::debug_span!("store.pending_entry", key = %key);
        self.read(span, move |c| pending::get(c, &key)).await
    }

    /// One cached message, read on the writer's side of pending writes (use after a write
    /// that changed it).
    pub(crate) async fn cached_message(
        &self,
        channel_id: ChannelId,
        seq: Seq,
    ) -> StoreResult<Option<Message>> {
        let span = tracing::trace_span!("store.cached_message", channel = %channel_id, seq);
        self.read(span, move |c| messages::get(c, &channel_id, seq))
            .await
    }
}
