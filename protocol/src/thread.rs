//! Threads: the third level of a community (community → channel → thread).
//!
//! A thread lives in a channel, started from one of its messages (at most one thread per
//! message) or free-standing. It has its own message stream with the channel's whole
//! message model (gap-free `seq`, idempotency keys, edits, recalls, reactions, pins,
//! replies, its own change sequence): on the wire a thread is addressed like a channel, by
//! its id in the `channel_id` of `send_message`, `get_messages`, `mark_read`,
//! `edit_message`…, and its messages carry the thread's id as their `channel_id`. Who may
//! read a channel may read its threads; posting needs `send_in_threads`, starting one
//! `create_threads`.
//!
//! A member *joins* a thread (explicitly, or by posting or being mentioned in it) to get
//! its messages live and to count its unread messages and mentions; joined threads have
//! heads like channels. The message a thread started from carries a [`ThreadDigest`]
//! (count, last message, participants, last activity), kept exact through edits and
//! recalls, pushed to the channel's readers at most once per second per thread.

use serde::{Deserialize, Serialize};

use crate::ids::{ChannelId, CommunityId, UserId};
use crate::primitives::{Seq, TimestampMs};

/// A thread as its channel's readers see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadInfo {
    /// The community.
    pub community_id: CommunityId,
    /// The thread's id (in the channel id space: `th_…`); its messages carry it as their
    /// `channel_id`.
    pub thread_id: ChannelId,
    /// The channel it lives in.
    pub parent_channel_id: ChannelId,
    /// The message of the channel it was started from; absent for a free-standing thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_seq: Option<Seq>,
    /// Display name (1..=100 bytes).
    pub name: String,
    /// Who started it.
    pub created_by: UserId,
    /// When.
    pub created_at_ms: TimestampMs,
    /// Archived by hand (see [`ThreadInfo::is_archived`] for inactivity).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub archived: bool,
    /// Locked: only members who manage threads post.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub locked: bool,
    /// Archived by itself after this long without a message, in milliseconds.
    pub auto_archive_ms: u64,
    /// Time of the newest message (or of the creation).
    pub last_activity_ms: TimestampMs,
    /// Messages in the thread (its newest `seq`).
    pub message_count: u64,
    /// Members who joined it.
    pub member_count: u64,
}

impl ThreadInfo {
    /// Archived at `now_ms`: by hand, or inactive for `auto_archive_ms` (the server and the
    /// SDK both answer with this function, so no sweep is needed). An archived thread is
    /// read-only until unarchived.
    pub fn is_archived(&self, now_ms: TimestampMs) -> bool {
        let idle = now_ms.saturating_sub(self.last_activity_ms);
        self.archived || u64::try_from(idle).is_ok_and(|idle| idle >= self.auto_archive_ms)
    }
}

/// What the message a thread started from shows of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadDigest {
    /// The thread.
    pub thread_id: ChannelId,
    /// Its name.
    pub name: String,
    /// Messages in it (recalled ones included: they keep their place).
    pub message_count: u64,
    /// Its newest message that is not recalled, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<DigestLast>,
    /// Distinct senders in it.
    pub participant_count: u64,
    /// Time of its newest message (or of its creation).
    pub last_activity_ms: TimestampMs,
    /// Archived by hand.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub archived: bool,
}

/// The newest message of a thread, as its digest shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestLast {
    /// Its sequence in the thread.
    pub seq: Seq,
    /// Its sender.
    pub sender_id: UserId,
    /// Its first line (≤ 100 characters) or a label such as `[image]`.
    pub text: String,
    /// When it was sent.
    pub at_ms: TimestampMs,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_archive_by_hand_or_by_inactivity() {
        let mut thread = ThreadInfo {
            community_id: "c".into(),
            thread_id: "th_1".into(),
            parent_channel_id: "ch".into(),
            parent_seq: Some(4),
            name: "raid plan".into(),
            created_by: "ann".into(),
            created_at_ms: 0,
            archived: false,
            locked: false,
            auto_archive_ms: 1_000,
            last_activity_ms: 500,
            message_count: 3,
            member_count: 2,
        };
        assert!(!thread.is_archived(1_499));
        assert!(thread.is_archived(1_500));
        assert!(
            !thread.is_archived(-5),
            "a clock behind the activity is not idle"
        );
        thread.archived = true;
        assert!(thread.is_archived(600));
    }
}
