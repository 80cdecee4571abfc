//! Thread records: mirrors of the protocol's `ThreadInfo`, `ThreadDigest` (the digest a
//! thread's parent message carries), `DigestLast` and `ThreadsPage`, of the SDK's
//! `ThreadEntry`, `NewThread` and `ThreadUpdate`, the thread-list diff of a channel's
//! thread subscription, and the summed counts of a channel's joined threads.

use community_protocol as wire;
use community_sdk as sdk;
use serde::{Deserialize, Serialize};

use super::{ChannelHead, list_diff, map_vec};

/// A thread as its channel's readers see it. A thread's messages carry its id as their
/// `channel_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct ThreadInfo {
    /// The community.
    pub community_id: String,
    /// The thread's id (in the channel id space: `th_…`).
    pub thread_id: String,
    /// The channel it lives in.
    pub parent_channel_id: String,
    /// The message of the channel it was started from; none for a free-standing thread.
    pub parent_seq: Option<u64>,
    /// Display name (1..=100 bytes).
    pub name: String,
    /// Who started it.
    pub created_by: String,
    /// When (ms since the epoch).
    pub created_at_ms: i64,
    /// Archived by hand (`thread_is_archived` also tells archived by inactivity).
    pub archived: bool,
    /// Locked: only members who manage threads post.
    pub locked: bool,
    /// Archived by itself after this long without a message, in milliseconds.
    pub auto_archive_ms: u64,
    /// Time of the newest message (or of the creation).
    pub last_activity_ms: i64,
    /// Messages in the thread (its newest `seq`).
    pub message_count: u64,
    /// Members who joined it.
    pub member_count: u64,
}

impl From<wire::ThreadInfo> for ThreadInfo {
    fn from(v: wire::ThreadInfo) -> Self {
        Self {
            community_id: v.community_id.to_string(),
            thread_id: v.thread_id.to_string(),
            parent_channel_id: v.parent_channel_id.to_string(),
            parent_seq: v.parent_seq,
            name: v.name,
            created_by: v.created_by.to_string(),
            created_at_ms: v.created_at_ms,
            archived: v.archived,
            locked: v.locked,
            auto_archive_ms: v.auto_archive_ms,
            last_activity_ms: v.last_activity_ms,
            message_count: v.message_count,
            member_count: v.member_count,
        }
    }
}

impl From<ThreadInfo> for wire::ThreadInfo {
    fn from(v: ThreadInfo) -> Self {
        Self {
            community_id: v.community_id.into(),
            thread_id: v.thread_id.into(),
            parent_channel_id: v.parent_channel_id.into(),
            parent_seq: v.parent_seq,
            name: v.name,
            created_by: v.created_by.into(),
            created_at_ms: v.created_at_ms,
            archived: v.archived,
            locked: v.locked,
            auto_archive_ms: v.auto_archive_ms,
            last_activity_ms: v.last_activity_ms,
            message_count: v.message_count,
            member_count: v.member_count,
        }
    }
}

/// Whether `thread` is archived at `now_ms` (ms since the epoch): by hand, or inactive for
/// its `auto_archive_ms` — the rule the server and the SDK both apply. An archived thread
/// is read-only until unarchived.
#[uniffi::export]
pub fn thread_is_archived(thread: ThreadInfo, now_ms: i64) -> bool {
    wire::ThreadInfo::from(thread).is_archived(now_ms)
}

/// What the message a thread started from shows of it (`Message.thread`), kept up to
/// date: a new digest arrives as an `Updated` message on the channel's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct ThreadDigest {
    /// The thread.
    pub thread_id: String,
    /// Its name.
    pub name: String,
    /// Messages in it (recalled ones included: they keep their place).
    pub message_count: u64,
    /// Its newest message that is not recalled, if any.
    pub last: Option<DigestLast>,
    /// Distinct senders in it.
    pub participant_count: u64,
    /// Time of its newest message (or of its creation).
    pub last_activity_ms: i64,
    /// Archived by hand.
    pub archived: bool,
}

impl From<wire::ThreadDigest> for ThreadDigest {
    fn from(v: wire::ThreadDigest) -> Self {
        Self {
            thread_id: v.thread_id.to_string(),
            name: v.name,
            message_count: v.message_count,
            last: v.last.map(Into::into),
            participant_count: v.participant_count,
            last_activity_ms: v.last_activity_ms,
            archived: v.archived,
        }
    }
}

/// The newest message of a thread, as its digest shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct DigestLast {
    /// Its sequence in the thread.
    pub seq: u64,
    /// Its sender.
    pub sender_id: String,
    /// Its first line (≤ 100 characters) or a label such as `[image]`.
    pub text: String,
    /// When it was sent.
    pub at_ms: i64,
}

impl From<wire::DigestLast> for DigestLast {
    fn from(v: wire::DigestLast) -> Self {
        Self {
            seq: v.seq,
            sender_id: v.sender_id.to_string(),
            text: v.text,
            at_ms: v.at_ms,
        }
    }
}

/// A thread the user joined, with their head for it (its counts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct ThreadEntry {
    /// The thread.
    pub info: ThreadInfo,
    /// Its unread state for the user.
    pub head: ChannelHead,
}

impl From<sdk::ThreadEntry> for ThreadEntry {
    fn from(v: sdk::ThreadEntry) -> Self {
        Self {
            info: v.info.into(),
            head: v.head.into(),
        }
    }
}

/// A page of threads, newest activity first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct ThreadsPage {
    /// The threads.
    pub threads: Vec<ThreadInfo>,
    /// Pass this back for the next page; none on the last page.
    pub next_cursor: Option<String>,
}

impl From<wire::response::ThreadsPage> for ThreadsPage {
    fn from(v: wire::response::ThreadsPage) -> Self {
        Self {
            threads: map_vec(v.threads),
            next_cursor: v.next_cursor,
        }
    }
}

/// A new thread.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, uniffi::Record)]
pub struct NewThread {
    /// Its name (1..=100 bytes).
    pub name: String,
    /// The message of the channel it starts from (one thread per message); none for a
    /// free-standing thread.
    #[serde(default)]
    #[uniffi(default = None)]
    pub parent_seq: Option<u64>,
    /// Archive after this long without a message, one hour to thirty days (none: the
    /// deployment's `thread_auto_archive_ms`).
    #[serde(default)]
    #[uniffi(default = None)]
    pub auto_archive_ms: Option<u64>,
}

impl From<NewThread> for sdk::NewThread {
    fn from(v: NewThread) -> Self {
        Self {
            name: v.name,
            parent_seq: v.parent_seq,
            auto_archive_ms: v.auto_archive_ms,
        }
    }
}

/// Changes to a thread; none leaves a field as it is.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, uniffi::Record)]
pub struct ThreadUpdate {
    /// New name.
    #[serde(default)]
    #[uniffi(default = None)]
    pub name: Option<String>,
    /// Archive (true) or unarchive (false; also revives a thread archived by inactivity).
    #[serde(default)]
    #[uniffi(default = None)]
    pub archived: Option<bool>,
    /// Lock or unlock (`manage_threads`).
    #[serde(default)]
    #[uniffi(default = None)]
    pub locked: Option<bool>,
    /// New auto-archive delay (`manage_threads`).
    #[serde(default)]
    #[uniffi(default = None)]
    pub auto_archive_ms: Option<u64>,
}

impl From<ThreadUpdate> for sdk::ThreadUpdate {
    fn from(v: ThreadUpdate) -> Self {
        Self {
            name: v.name,
            archived: v.archived,
            locked: v.locked,
            auto_archive_ms: v.auto_archive_ms,
        }
    }
}

/// Unread and mention counts summed over the user's joined threads of a channel (the
/// channel's "threads have unread messages" mark).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct ThreadsUnread {
    /// Unread messages.
    pub unread_count: u64,
    /// Unread messages that mention the user.
    pub mention_count: u64,
}

impl From<(u64, u64)> for ThreadsUnread {
    fn from((unread_count, mention_count): (u64, u64)) -> Self {
        Self {
            unread_count,
            mention_count,
        }
    }
}

list_diff!(
    /// A change of a channel's thread list (`Remove` carries the thread's id).
    ThreadListDiff of ThreadInfo = wire::ThreadInfo
);
