//! Unread arithmetic of one channel, from sequence numbers only.
//!
//! A [`Counter`] starts from a server-computed [`ChannelHead`] (login sync, `get_heads`,
//! `mark_read`, `read_state_changed`) and moves with each message event: a message above
//! the head's `last_seq` from someone else counts as unread, and as a mention when it
//! mentions the user. A message at or below `last_seq` is a duplicate and changes nothing,
//! which makes replays harmless. A jump in sequence means events were missed: the missing
//! messages are counted as unread (the best estimate) and the caller refetches the heads,
//! which replace the estimate with the server's exact values. Nothing here ever counts
//! loaded rows, so counts are exact on a cold cache. Heads come from the server, so every
//! sum saturates instead of overflowing (a read position above `last_seq` counts nothing).

use community_protocol::{ChannelHead, Seq, TimestampMs};
use community_protocol::{ChannelId, CommunityId};

/// Unread state of one channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Counter {
    /// Newest sequence known.
    pub last_seq: Seq,
    /// Read position.
    pub read_seq: Seq,
    /// Unread messages.
    pub unread: u64,
    /// Unread messages mentioning the user.
    pub mentions: u64,
    /// Time of the newest message.
    pub last_activity_ms: TimestampMs,
}

/// What a message (or an activity notice) did to a counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    /// Already counted: nothing changed.
    Duplicate,
    /// Counted exactly.
    Applied,
    /// Counted, but messages before it were never seen: the counts are an estimate until
    /// the heads are refetched.
    Gap,
}

impl Counter {
    /// A counter holding the server's head.
    pub(crate) fn from_head(head: &ChannelHead) -> Self {
        Self {
            last_seq: head.last_seq,
            read_seq: head.read_seq,
            unread: head.unread_count,
            mentions: head.mention_count,
            last_activity_ms: head.last_activity_ms,
        }
    }

    /// This counter as a protocol head.
    pub(crate) fn to_head(self, community_id: &CommunityId, channel_id: &ChannelId) -> ChannelHead {
        ChannelHead {
            community_id: community_id.to_string().into(),
            channel_id: channel_id.to_string().into(),
            last_seq: self.last_seq,
            last_activity_ms: self.last_activity_ms,
            read_seq: self.read_seq,
            unread_count: self.unread,
            mention_count: self.mentions,
        }
    }

    /// A message at `seq` arrived.
    pub(crate) fn on_message(
        &mut self,
        seq: Seq,
        created_at_ms: TimestampMs,
        from_me: bool,
        mentions_me: bool,
    ) -> Effect {
        if seq <= self.last_seq {
            return Effect::Duplicate;
        }
        let effect = self.count_missing(seq - 1);
        self.last_seq = seq;
        self.last_activity_ms = self.last_activity_ms.max(created_at_ms);
        if !from_me && seq > self.read_seq {
            self.unread = self.unread.saturating_add(1);
            if mentions_me {
                self.mentions = self.mentions.saturating_add(1);
            }
        }
        effect
    }

    /// Slow path: the channel's newest sequence is now `last_seq`, senders unknown. The
    /// new messages are counted as unread (an estimate: some may be the user's own), with
    /// one mention when `mentioned`; the caller refetches the heads for exact values.
    pub(crate) fn on_activity(
        &mut self,
        last_seq: Seq,
        at_ms: TimestampMs,
        mentioned: bool,
    ) -> Effect {
        if last_seq <= self.last_seq {
            return Effect::Duplicate;
        }
        self.count_missing(last_seq);
        self.last_seq = last_seq;
        self.last_activity_ms = self.last_activity_ms.max(at_ms);
        if mentioned {
            self.mentions = self.mentions.saturating_add(1);
        }
        Effect::Gap
    }

    /// Counts the unseen messages in `(last_seq, up_to]` above the read position as
    /// unread. Returns `Gap` when there were any unseen messages.
    fn count_missing(&mut self, up_to: Seq) -> Effect {
        if up_to <= self.last_seq {
            return Effect::Applied;
        }
        let from = self.last_seq.max(self.read_seq);
        self.unread = self.unread.saturating_add(up_to.saturating_sub(from));
        Effect::Gap
    }

    /// Replaces the counter with a head computed by the server, unless the head is older
    /// than what this counter already holds. Returns whether it was applied; a head that is
    /// older than the counter (`last_seq` below ours) is refused so the caller can refetch.
    pub(crate) fn apply_head(&mut self, head: &ChannelHead) -> HeadOutcome {
        let before = *self;
        if head.last_seq < self.last_seq {
            // Our events are newer than the head; keep the read position if it moved.
            if head.read_seq > self.read_seq {
                self.read_seq = head.read_seq;
            }
            return HeadOutcome::Stale;
        }
        *self = Self::from_head(head);
        if *self == before {
            HeadOutcome::Unchanged
        } else {
            HeadOutcome::Applied
        }
    }
}

/// What [`Counter::apply_head`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HeadOutcome {
    /// The head replaced the counter.
    Applied,
    /// The head equals the counter.
    Unchanged,
    /// The head is older than the counter; refetch to be exact.
    Stale,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(last_seq: Seq, read_seq: Seq, unread: u64, mentions: u64) -> ChannelHead {
        ChannelHead {
            community_id: "c".into(),
            channel_id: "ch".into(),
            last_seq,
            last_activity_ms: 0,
            read_seq,
            unread_count: unread,
            mention_count: mentions,
        }
    }

    #[test]
    fn messages_from_others_count_and_own_do_not() {
        let mut counter = Counter::from_head(&head(10, 10, 0, 0));
        assert_eq!(counter.on_message(11, 5, false, false), Effect::Applied);
        assert_eq!(counter.on_message(12, 6, true, false), Effect::Applied);
        assert_eq!(counter.on_message(13, 7, false, true), Effect::Applied);
        assert_eq!(
            (counter.last_seq, counter.unread, counter.mentions),
            (13, 2, 1)
        );
        assert_eq!(counter.last_activity_ms, 7);
    }

    #[test]
    fn replays_are_duplicates() {
        let mut counter = Counter::from_head(&head(3, 0, 3, 1));
        assert_eq!(counter.on_message(3, 0, false, true), Effect::Duplicate);
        assert_eq!(counter.on_message(1, 0, false, true), Effect::Duplicate);
        assert_eq!((counter.unread, counter.mentions), (3, 1));
        assert_eq!(counter.on_message(4, 0, false, false), Effect::Applied);
        assert_eq!(counter.on_message(4, 0, false, false), Effect::Duplicate);
        assert_eq!(counter.unread, 4);
    }

    #[test]
    fn a_gap_is_estimated_and_reported() {
        let mut counter = Counter::from_head(&head(5, 5, 0, 0));
        // 6..=8 unseen, 9 arrives.
        assert_eq!(counter.on_message(9, 0, false, false), Effect::Gap);
        assert_eq!((counter.last_seq, counter.unread), (9, 4));
        // Heads refetched: the server knows 2 of the missing ones were ours.
        assert_eq!(counter.apply_head(&head(9, 5, 2, 0)), HeadOutcome::Applied);
        assert_eq!(counter.unread, 2);
    }

    #[test]
    fn messages_at_or_below_the_read_position_never_count() {
        // The read position moved ahead (another device read up to 20) before the events.
        let mut counter = Counter::from_head(&head(10, 20, 0, 0));
        counter.last_seq = 10;
        counter.read_seq = 20;
        assert_eq!(counter.on_message(15, 0, false, true), Effect::Gap);
        assert_eq!((counter.unread, counter.mentions), (0, 0));
        assert_eq!(counter.on_message(21, 0, false, false), Effect::Gap);
        assert_eq!(counter.unread, 1);
    }

    #[test]
    fn activity_estimates_and_asks_for_a_refetch() {
        let mut counter = Counter::from_head(&head(4, 2, 2, 0));
        assert_eq!(counter.on_activity(10, 99, true), Effect::Gap);
        assert_eq!(
            (counter.last_seq, counter.unread, counter.mentions),
            (10, 8, 1)
        );
        assert_eq!(counter.on_activity(10, 99, true), Effect::Duplicate);
        assert_eq!(counter.last_activity_ms, 99);
    }

    #[test]
    fn stale_heads_are_refused_but_keep_a_newer_read_position() {
        let mut counter = Counter::from_head(&head(10, 0, 10, 0));
        counter.on_message(11, 0, false, false);
        assert_eq!(counter.apply_head(&head(10, 10, 0, 0)), HeadOutcome::Stale);
        assert_eq!(
            (counter.last_seq, counter.read_seq, counter.unread),
            (11, 10, 11)
        );
        assert_eq!(
            counter.apply_head(&head(11, 10, 1, 0)),
            HeadOutcome::Applied
        );
        assert_eq!(
            counter.apply_head(&head(11, 10, 1, 0)),
            HeadOutcome::Unchanged
        );
        assert_eq!(counter.unread, 1);
    }
}
