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
//!
//! Changes to existing messages move counts too: a recall takes the message out of the
//! unread and mention counts, an edit can add or remove a mention. Each channel's changes
//! are numbered (`change_seq`); the counter applies each number once, so a change that
//! comes both as the answer to one's own request and as an event counts once, and a jump
//! in the numbers means changes were missed (`Gap`: refetch the heads).

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
    /// Newest change of the channel whose effect on the counts is included.
    pub change_seq: u64,
}

/// What a change does to the counts of a message that counts for the user (not their
/// own, not written by the server, not hidden) and is unread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Impact {
    /// Nothing (reactions, pins).
    None,
    /// The message no longer counts (recalled); `mentioned` when it mentioned the user.
    Uncount {
        /// It mentioned the user.
        mentioned: bool,
    },
    /// The mentions changed (edited): whether the user was mentioned before and after.
    Mentions {
        /// Mentioned before the edit.
        before: bool,
        /// Mentioned after it.
        after: bool,
    },
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
            change_seq: head.change_seq,
        }
    }

    /// This counter as a protocol head, with the user's hidden messages of the channel.
    pub(crate) fn to_head(
        self,
        community_id: &CommunityId,
        channel_id: &ChannelId,
        hidden: Vec<Seq>,
    ) -> ChannelHead {
        ChannelHead {
            community_id: community_id.to_string().into(),
            channel_id: channel_id.to_string().into(),
            last_seq: self.last_seq,
            last_activity_ms: self.last_activity_ms,
            read_seq: self.read_seq,
            unread_count: self.unread,
            mention_count: self.mentions,
            change_seq: self.change_seq,
            hidden,
            notification_level: Default::default(),
        }
    }

    /// A message at `seq` arrived; `counts` when it counts for the user at all (not their
    /// own, not written by the server, not recalled, not hidden).
    pub(crate) fn on_message(
        &mut self,
        seq: Seq,
        created_at_ms: TimestampMs,
        counts: bool,
        mentions_me: bool,
    ) -> Effect {
        if seq <= self.last_seq {
            return Effect::Duplicate;
        }
        let effect = self.count_missing(seq - 1);
        self.last_seq = seq;
        self.last_activity_ms = self.last_activity_ms.max(created_at_ms);
        if counts && seq > self.read_seq {
            self.unread = self.unread.saturating_add(1);
            if mentions_me {
                self.mentions = self.mentions.saturating_add(1);
            }
        }
        effect
    }

    /// Change `change_seq` of the channel was made to message `seq`; `counts` when that
    /// message counts for the user at all (as in [`on_message`](Self::on_message), before
    /// the change). Its impact applies when the message is unread.
    pub(crate) fn on_change(
        &mut self,
        change_seq: u64,
        seq: Seq,
        counts: bool,
        impact: Impact,
    ) -> Effect {
        if change_seq <= self.change_seq {
            return Effect::Duplicate;
        }
        let effect = if change_seq == self.change_seq + 1 {
            Effect::Applied
        } else {
            Effect::Gap
        };
        self.change_seq = change_seq;
        if !counts || seq <= self.read_seq || seq > self.last_seq {
            return effect;
        }
        match impact {
            Impact::None => {}
            Impact::Uncount { mentioned } => {
                self.unread = self.unread.saturating_sub(1);
                if mentioned {
                    self.mentions = self.mentions.saturating_sub(1);
                }
            }
            Impact::Mentions { before, after } => {
                if after && !before {
                    self.mentions = self.mentions.saturating_add(1);
                } else if before && !after {
                    self.mentions = self.mentions.saturating_sub(1);
                }
            }
        }
        effect
    }

    /// Slow path (protocol §9.5): `channel_activity` covering the messages
    /// `first_seq..=last_seq`, of which `unread` count as unread for the user and
    /// `mentions` of those mention them.
    ///
    /// - Everything covered already seen (`last_seq` at or below ours): `Duplicate`.
    /// - The activity starts right after our newest sequence: exact. Its counts are added
    ///   when our read position lies before the covered messages; when the read position
    ///   already covers them all (another device read ahead), nothing is added. `Applied`.
    /// - Otherwise — messages before `first_seq` were never seen, some covered ones were
    ///   (an overlap), the read position lies inside the covered range, or the server does
    ///   not say where the activity starts (`first_seq` 0, an older server) — the counts
    ///   are estimated as [`on_activity_estimate`](Self::on_activity_estimate) does and
    ///   `Gap` asks the caller to refetch the heads.
    pub(crate) fn on_activity(&mut self, activity: &Activity) -> Effect {
        if activity.last_seq <= self.last_seq {
            return Effect::Duplicate;
        }
        let follows = activity.first_seq != 0 && self.last_seq == activity.first_seq - 1;
        if follows && self.read_seq < activity.first_seq {
            self.unread = self.unread.saturating_add(activity.unread);
            self.mentions = self.mentions.saturating_add(activity.mentions);
        } else if !(follows && self.read_seq >= activity.last_seq) {
            return self.on_activity_estimate(
                activity.last_seq,
                activity.at_ms,
                activity.mentioned || activity.mentions > 0,
            );
        }
        self.last_seq = activity.last_seq;
        self.last_activity_ms = self.last_activity_ms.max(activity.at_ms);
        Effect::Applied
    }

    /// The estimate for activity that cannot be counted exactly: the channel's newest
    /// sequence is now `last_seq`, senders unknown. The new messages are counted as unread
    /// (some may be the user's own), with one mention when `mentioned`; always `Gap`, so
    /// the caller refetches the heads for exact values.
    pub(crate) fn on_activity_estimate(
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

/// A `channel_activity` as the counter needs it (protocol §9.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Activity {
    /// The first sequence covered (0: the server does not say).
    pub first_seq: Seq,
    /// The newest sequence covered.
    pub last_seq: Seq,
    /// Time of the newest covered message.
    pub at_ms: TimestampMs,
    /// Covered messages that count as unread for the user.
    pub unread: u64,
    /// Of those, the ones mentioning the user.
    pub mentions: u64,
    /// Whether any covered message mentions the user.
    pub mentioned: bool,
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
            change_seq: 0,
            hidden: Vec::new(),
            notification_level: Default::default(),
        }
    }

    #[test]
    fn messages_from_others_count_and_own_do_not() {
        let mut counter = Counter::from_head(&head(10, 10, 0, 0));
        assert_eq!(counter.on_message(11, 5, true, false), Effect::Applied);
        assert_eq!(counter.on_message(12, 6, false, false), Effect::Applied);
        assert_eq!(counter.on_message(13, 7, true, true), Effect::Applied);
        assert_eq!(
            (counter.last_seq, counter.unread, counter.mentions),
            (13, 2, 1)
        );
        assert_eq!(counter.last_activity_ms, 7);
    }

    #[test]
    fn replays_are_duplicates() {
        let mut counter = Counter::from_head(&head(3, 0, 3, 1));
        assert_eq!(counter.on_message(3, 0, true, true), Effect::Duplicate);
        assert_eq!(counter.on_message(1, 0, true, true), Effect::Duplicate);
        assert_eq!((counter.unread, counter.mentions), (3, 1));
        assert_eq!(counter.on_message(4, 0, true, false), Effect::Applied);
        assert_eq!(counter.on_message(4, 0, true, false), Effect::Duplicate);
        assert_eq!(counter.unread, 4);
    }

    #[test]
    fn a_gap_is_estimated_and_reported() {
        let mut counter = Counter::from_head(&head(5, 5, 0, 0));
        // 6..=8 unseen, 9 arrives.
        assert_eq!(counter.on_message(9, 0, true, false), Effect::Gap);
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
        assert_eq!(counter.on_message(15, 0, true, true), Effect::Gap);
        assert_eq!((counter.unread, counter.mentions), (0, 0));
        assert_eq!(counter.on_message(21, 0, true, false), Effect::Gap);
        assert_eq!(counter.unread, 1);
    }

    #[test]
    fn activity_estimates_and_asks_for_a_refetch() {
        let mut counter = Counter::from_head(&head(4, 2, 2, 0));
        // An older server: no `first_seq`.
        let old = Activity {
            last_seq: 10,
            at_ms: 99,
            mentioned: true,
            ..Default::default()
        };
        assert_eq!(counter.on_activity(&old), Effect::Gap);
        assert_eq!(
            (counter.last_seq, counter.unread, counter.mentions),
            (10, 8, 1)
        );
        assert_eq!(counter.on_activity(&old), Effect::Duplicate);
        assert_eq!(counter.last_activity_ms, 99);
    }

    fn activity(first_seq: Seq, last_seq: Seq, unread: u64, mentions: u64) -> Activity {
        Activity {
            first_seq,
            last_seq,
            at_ms: i64::try_from(last_seq).unwrap_or_default(),
            unread,
            mentions,
            mentioned: mentions > 0,
        }
    }

    #[test]
    fn activity_right_after_the_counter_is_exact() {
        // 10 messages, read up to 8: 2 unread. 11..=15 arrive, 3 of them unread (2 were
        // the user's own from another device), 1 mentions them.
        let mut counter = Counter::from_head(&head(10, 8, 2, 0));
        assert_eq!(
            counter.on_activity(&activity(11, 15, 3, 1)),
            Effect::Applied
        );
        assert_eq!(
            (counter.last_seq, counter.unread, counter.mentions),
            (15, 5, 1)
        );
        assert_eq!(counter.last_activity_ms, 15);
        // The next window follows on.
        assert_eq!(
            counter.on_activity(&activity(16, 16, 1, 0)),
            Effect::Applied
        );
        assert_eq!((counter.last_seq, counter.unread), (16, 6));
        // Only own messages: the sequence moves, the counts do not.
        assert_eq!(
            counter.on_activity(&activity(17, 18, 0, 0)),
            Effect::Applied
        );
        assert_eq!(
            (counter.last_seq, counter.unread, counter.mentions),
            (18, 6, 1)
        );
    }

    #[test]
    fn activity_already_seen_is_a_duplicate() {
        let mut counter = Counter::from_head(&head(15, 10, 5, 1));
        assert_eq!(
            counter.on_activity(&activity(11, 15, 5, 1)),
            Effect::Duplicate
        );
        assert_eq!(
            counter.on_activity(&activity(12, 14, 3, 0)),
            Effect::Duplicate
        );
        assert_eq!(
            (counter.last_seq, counter.unread, counter.mentions),
            (15, 5, 1)
        );
    }

    #[test]
    fn activity_after_missed_messages_is_an_estimate_and_a_gap() {
        // 11..=12 were never seen; 13..=15 come as activity.
        let mut counter = Counter::from_head(&head(10, 10, 0, 0));
        assert_eq!(counter.on_activity(&activity(13, 15, 3, 1)), Effect::Gap);
        assert_eq!(
            (counter.last_seq, counter.unread, counter.mentions),
            (15, 5, 1)
        );
        // The heads refetched replace the estimate.
        assert_eq!(
            counter.apply_head(&head(15, 10, 4, 1)),
            HeadOutcome::Applied
        );
        assert_eq!((counter.unread, counter.mentions), (4, 1));
    }

    #[test]
    fn activity_overlapping_what_was_seen_is_a_gap() {
        // Message 11 came whole (the user's own), then activity covering 11..=13.
        let mut counter = Counter::from_head(&head(10, 10, 0, 0));
        counter.on_message(11, 0, false, false);
        assert_eq!(counter.on_activity(&activity(11, 13, 2, 0)), Effect::Gap);
        assert_eq!(counter.last_seq, 13);
    }

    #[test]
    fn activity_and_a_read_position_moved_by_another_device() {
        // Another device read everything (read_state_changed) before the activity: the
        // activity's counts start from zero.
        let mut counter = Counter::from_head(&head(10, 5, 5, 2));
        assert_eq!(
            counter.apply_head(&head(10, 10, 0, 0)),
            HeadOutcome::Applied
        );
        assert_eq!(
            counter.on_activity(&activity(11, 13, 3, 1)),
            Effect::Applied
        );
        assert_eq!(
            (counter.last_seq, counter.unread, counter.mentions),
            (13, 3, 1)
        );
        // The other device reads on after the activity: the head replaces the counts.
        assert_eq!(
            counter.apply_head(&head(13, 13, 0, 0)),
            HeadOutcome::Applied
        );
        assert_eq!((counter.unread, counter.mentions), (0, 0));

        // The read position already lies past everything the activity covers (the other
        // device's mark_read came first): nothing covered is unread, exactly.
        let mut counter = Counter::from_head(&head(10, 10, 0, 0));
        counter.read_seq = 20;
        assert_eq!(
            counter.on_activity(&activity(11, 15, 5, 1)),
            Effect::Applied
        );
        assert_eq!(
            (counter.last_seq, counter.unread, counter.mentions),
            (15, 0, 0)
        );

        // The read position lies inside the covered range: the server may have counted
        // before or after the read, so the counts are estimated and refetched.
        let mut counter = Counter::from_head(&head(10, 10, 0, 0));
        counter.read_seq = 12;
        assert_eq!(counter.on_activity(&activity(11, 15, 5, 1)), Effect::Gap);
        assert_eq!((counter.last_seq, counter.unread), (15, 3));
    }

    #[test]
    fn activity_counts_saturate() {
        let mut counter = Counter::from_head(&head(1, 0, u64::MAX - 1, u64::MAX));
        assert_eq!(counter.on_activity(&activity(2, 9, 8, 8)), Effect::Applied);
        assert_eq!((counter.unread, counter.mentions), (u64::MAX, u64::MAX));
    }

    #[test]
    fn changes_count_once_and_only_for_unread_messages() {
        // 10 messages, read up to 5: 5 unread, 2 of them mention the user.
        let mut counter = Counter::from_head(&head(10, 5, 5, 2));
        let recall = Impact::Uncount { mentioned: true };
        assert_eq!(counter.on_change(1, 8, true, recall), Effect::Applied);
        assert_eq!((counter.unread, counter.mentions), (4, 1));
        // The same change again (answer and event): once.
        assert_eq!(counter.on_change(1, 8, true, recall), Effect::Duplicate);
        assert_eq!((counter.unread, counter.mentions), (4, 1));
        // A read message, or one that never counted (own): no effect.
        assert_eq!(counter.on_change(2, 3, true, recall), Effect::Applied);
        assert_eq!(counter.on_change(3, 9, false, recall), Effect::Applied);
        assert_eq!((counter.unread, counter.mentions), (4, 1));
        // An edit adds a mention, another takes it away.
        let gained = Impact::Mentions {
            before: false,
            after: true,
        };
        assert_eq!(counter.on_change(4, 7, true, gained), Effect::Applied);
        assert_eq!(counter.mentions, 2);
        let lost = Impact::Mentions {
            before: true,
            after: false,
        };
        // Change 5 was missed: a gap, the effect still applies, the heads are refetched.
        assert_eq!(counter.on_change(6, 7, true, lost), Effect::Gap);
        assert_eq!(
            (counter.unread, counter.mentions, counter.change_seq),
            (4, 1, 6)
        );
        // A message above `last_seq` (not counted yet) is left to `on_message`.
        assert_eq!(counter.on_change(7, 11, true, recall), Effect::Applied);
        assert_eq!(counter.unread, 4);
    }

    #[test]
    fn stale_heads_are_refused_but_keep_a_newer_read_position() {
        let mut counter = Counter::from_head(&head(10, 0, 10, 0));
        counter.on_message(11, 0, true, false);
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
