//! Storage of threads: the records the domain reads and the [`ThreadStore`] trait.
//!
//! A thread's message stream is a channel row of its own (its id is a channel id), so
//! every message table serves threads unchanged; what only a thread has (the message it
//! started from, creator, archive and lock state, members, the digest's counters) is kept
//! beside it. [`ThreadRecord::stream`] turns a thread into the [`ChannelRecord`] the message
//! machinery works on; the domain links it to its channel ([`ThreadLink`]).

use community_protocol::{
    ChannelId, ChannelInfo, ChannelKind, CommunityId, DigestLast, Message, Seq, ThreadDigest,
    ThreadInfo, TimestampMs, UserId,
};

use super::{ChannelRecord, StoreResult};

/// A thread as stored, with the counters of its message stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadRecord {
    /// The thread as its channel's readers see it (`message_count` is its last `seq`,
    /// `member_count` the members who joined).
    pub info: ThreadInfo,
    /// Number of the newest change to one of its messages.
    pub change_seq: u64,
    /// Distinct senders of its messages.
    pub participant_count: u64,
    /// Its newest message that is not recalled.
    pub last: Option<DigestLast>,
}

impl ThreadRecord {
    /// The digest its parent message shows.
    pub fn digest(&self) -> ThreadDigest {
        ThreadDigest {
            thread_id: self.info.thread_id.clone(),
            name: self.info.name.clone(),
            message_count: self.info.message_count,
            last: self.last.clone(),
            participant_count: self.participant_count,
            last_activity_ms: self.info.last_activity_ms,
            archived: self.info.archived,
        }
    }

    /// The thread after `message` was stored in it (what the store now holds, without
    /// reading it back): its count and activity, its newest message, and one more
    /// participant when `new_sender`.
    pub fn with_message(&self, message: &Message, new_sender: bool) -> ThreadRecord {
        let mut next = self.clone();
        next.info.message_count = message.seq;
        next.info.last_activity_ms = next.info.last_activity_ms.max(message.created_at_ms);
        next.participant_count += u64::from(new_sender);
        if !message.content.is_recalled() {
            next.last = Some(DigestLast {
                seq: message.seq,
                sender_id: message.sender_id.clone(),
                text: message.content.preview_text(),
                at_ms: message.created_at_ms,
            });
        }
        next
    }

    /// Its message stream as a channel record (not yet linked to its channel).
    pub fn stream(&self) -> ChannelRecord {
        let info = &self.info;
        ChannelRecord {
            info: ChannelInfo {
                community_id: info.community_id.clone(),
                channel_id: info.thread_id.clone(),
                name: info.name.clone(),
                introduction: String::new(),
                notice: String::new(),
                custom: String::new(),
                kind: ChannelKind::Text,
                category_id: None,
                position: 0,
                private: false,
                is_default: false,
                created_at_ms: info.created_at_ms,
                overrides: Vec::new(),
                follows_category: false,
                mute_all: false,
            },
            last_seq: info.message_count,
            last_activity_ms: info.last_activity_ms,
            change_seq: self.change_seq,
            thread: None,
        }
    }
}

/// A thread's message stream linked to its thread and channel (see
/// [`ChannelRecord::thread`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadLink {
    /// The thread.
    pub thread: ThreadRecord,
    /// The channel it lives in (its permissions, its readers).
    pub parent: ChannelRecord,
}

/// A thread to store: an empty message stream plus the thread's own fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewThread<'a> {
    /// The community.
    pub community_id: &'a CommunityId,
    /// The new thread's id.
    pub thread_id: &'a ChannelId,
    /// The channel it lives in.
    pub parent_channel_id: &'a ChannelId,
    /// The message it starts from, if any.
    pub parent_seq: Option<Seq>,
    /// Its name.
    pub name: &'a str,
    /// Its creator.
    pub created_by: &'a UserId,
    /// Creation time (and its first activity).
    pub created_at_ms: TimestampMs,
    /// Its auto-archive delay.
    pub auto_archive_ms: u64,
}

/// Threads, their members and their digests.
pub trait ThreadStore {
    /// One thread of a community.
    fn thread(
        &self,
        community_id: &CommunityId,
        thread_id: &ChannelId,
    ) -> StoreResult<Option<ThreadRecord>>;
    /// The thread started from message `seq` of a channel, if any.
    fn thread_of_message(&self, channel_id: &ChannelId, seq: Seq)
    -> StoreResult<Option<ChannelId>>;
    /// Stores a new thread with an empty message stream.
    fn insert_thread(&self, thread: &NewThread<'_>) -> StoreResult<()>;
    /// Saves a thread's name, archive and lock state, auto-archive delay and last
    /// activity.
    fn update_thread(&self, info: &ThreadInfo) -> StoreResult<()>;
    /// Deletes a thread with its messages and members. False when it did not exist.
    fn delete_thread(&self, thread_id: &ChannelId) -> StoreResult<bool>;
    /// Takes a message just stored in a thread into its digest: a new sender counts as a
    /// participant, the message becomes the newest. True when the sender is new.
    fn note_thread_message(&self, thread_id: &ChannelId, message: &Message) -> StoreResult<bool>;
    /// Recomputes the digest's newest message that is not recalled (after an edit or a
    /// recall of the newest one).
    fn refresh_thread_last(&self, thread_id: &ChannelId) -> StoreResult<()>;
    /// Threads of a channel that are not archived at `now` (by hand or by inactivity).
    fn active_thread_count(&self, channel_id: &ChannelId, now: TimestampMs) -> StoreResult<u64>;
    /// Threads of a channel, archived (at `now`) or not, newest activity first, strictly
    /// after `after` (`(last_activity_ms, thread_id)` of the previous page's last).
    fn threads_page(
        &self,
        channel_id: &ChannelId,
        archived: bool,
        now: TimestampMs,
        after: Option<(TimestampMs, &str)>,
        limit: u32,
    ) -> StoreResult<Vec<ThreadRecord>>;
    /// The threads of a community `user_id` joined, newest activity first, strictly after
    /// `after`; every one when `limit` is `None`.
    fn joined_threads(
        &self,
        community_id: &CommunityId,
        user_id: &UserId,
        after: Option<(TimestampMs, &str)>,
        limit: Option<u32>,
    ) -> StoreResult<Vec<ThreadRecord>>;
    /// The members who joined a thread.
    fn thread_member_ids(&self, thread_id: &ChannelId) -> StoreResult<Vec<UserId>>;
    /// Whether `user_id` joined a thread.
    fn is_thread_member(&self, thread_id: &ChannelId, user_id: &UserId) -> StoreResult<bool>;
    /// Adds a member to a thread, reading from `read_seq` (everything up to it is read).
    /// False (and nothing changed) when they were one already.
    fn join_thread(
        &self,
        thread_id: &ChannelId,
        user_id: &UserId,
        joined_at_ms: TimestampMs,
        read_seq: Seq,
    ) -> StoreResult<bool>;
    /// Removes a member from a thread and forgets their read position and hidden
    /// messages there. False when they were not one.
    fn leave_thread(&self, thread_id: &ChannelId, user_id: &UserId) -> StoreResult<bool>;
    /// `user_id` leaves every thread of a channel (they lost sight of it): their read
    /// state in its threads is forgotten; returns the threads they had joined.
    fn leave_threads_in(
        &self,
        channel_id: &ChannelId,
        user_id: &UserId,
    ) -> StoreResult<Vec<ChannelId>>;
}
