//! The ledger: what the bots got stored by the server, per channel, what they did to
//! their messages afterwards (edits, recalls, reactions), and the threads they started and
//! replied in, and the direct messages they wrote to the demo user, so the headless run can
//! check the demo user's unread and mention counts, the open channel's history, its
//! threads' digests and the DM list against it.
//!
//! A message counts only once the server has acknowledged it (the bot awaited
//! `OutgoingMessage::sent`), a change once it was carried out (`wait_for_change`);
//! refused and unconfirmed ones are counted apart. A recalled message no longer counts as
//! unread (nor as a mention).

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use community_sdk::protocol::{ChannelId, CommunityId, Seq};

/// What the bots got stored in one channel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Messages stored.
    pub sent: u64,
    /// Of those, messages that mention the demo user.
    pub mentions: u64,
    /// Of those, messages their bot edited afterwards (never recalled).
    pub edited: u64,
    /// Of those, messages their bot recalled afterwards.
    pub recalled: u64,
    /// Of the recalled ones, messages that mentioned the demo user.
    pub recalled_mentions: u64,
}

impl Tally {
    /// The unread count the demo user should see when it never read the channel: every
    /// stored message that was not recalled.
    pub fn expected_unread(&self) -> u64 {
        self.sent.saturating_sub(self.recalled)
    }

    /// The mention count the demo user should see when it never read the channel.
    pub fn expected_mentions(&self) -> u64 {
        self.mentions.saturating_sub(self.recalled_mentions)
    }
}

/// A thread a bot started, and the replies the bots got stored in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadTally {
    /// The community.
    pub community_id: CommunityId,
    /// The channel it lives in.
    pub channel_id: ChannelId,
    /// The message it was started from.
    pub parent_seq: Seq,
    /// Its name.
    pub name: String,
    /// Replies stored in it.
    pub replies: u64,
}

/// Everything the bots did, at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerSnapshot {
    /// Per channel (community id, channel id).
    pub channels: BTreeMap<(CommunityId, ChannelId), Tally>,
    /// Sends the SDK or the server refused.
    pub refused: u64,
    /// Sends with no answer in time (they may still be stored later).
    pub unconfirmed: u64,
    /// Reactions the bots added.
    pub reactions: u64,
    /// Changes (edits, recalls, reactions) the SDK or the server refused, e.g. a reaction
    /// to a message recalled meanwhile.
    pub changes_refused: u64,
    /// Changes with no answer in time.
    pub changes_unconfirmed: u64,
    /// The threads the bots started, by thread id.
    pub threads: BTreeMap<ChannelId, ThreadTally>,
    /// Thread starts and thread replies the SDK or the server refused, or that had no
    /// answer in time.
    pub threads_failed: u64,
    /// Direct messages to the demo user the server stored, per conversation.
    pub direct: BTreeMap<ChannelId, u64>,
    /// Direct messages refused, or with no answer in time.
    pub direct_failed: u64,
    /// Typing indicators the bots sent (`ChannelHandle::typing` answered `true`).
    pub typing_sent: u64,
}

impl LedgerSnapshot {
    /// Messages stored, over every channel.
    pub fn total_sent(&self) -> u64 {
        self.channels.values().map(|t| t.sent).sum()
    }

    /// Messages mentioning the demo user, over every channel.
    pub fn total_mentions(&self) -> u64 {
        self.channels.values().map(|t| t.mentions).sum()
    }

    /// Messages edited, over every channel.
    pub fn total_edited(&self) -> u64 {
        self.channels.values().map(|t| t.edited).sum()
    }

    /// Messages recalled, over every channel.
    pub fn total_recalled(&self) -> u64 {
        self.channels.values().map(|t| t.recalled).sum()
    }

    /// Replies stored in threads, over every thread.
    pub fn total_thread_replies(&self) -> u64 {
        self.threads.values().map(|t| t.replies).sum()
    }

    /// The threads started in one channel.
    pub fn threads_in<'a>(
        &'a self,
        community_id: &'a CommunityId,
        channel_id: &'a ChannelId,
    ) -> impl Iterator<Item = (&'a ChannelId, &'a ThreadTally)> + 'a {
        self.threads
            .iter()
            .filter(move |(_, t)| t.community_id == *community_id && t.channel_id == *channel_id)
    }

    /// The tally of one channel (zero when the bots never posted there).
    pub fn tally(&self, community_id: &CommunityId, channel_id: &ChannelId) -> Tally {
        self.channels
            .get(&(community_id.clone(), channel_id.clone()))
            .copied()
            .unwrap_or_default()
    }
}

/// The shared ledger of every bot.
#[derive(Debug, Default)]
pub struct Ledger {
    inner: Mutex<LedgerSnapshot>,
}

impl Ledger {
    fn lock(&self) -> MutexGuard<'_, LedgerSnapshot> {
        // Plain counters: a panic elsewhere cannot leave them half-updated.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A message the server stored.
    pub fn record_sent(
        &self,
        community_id: &CommunityId,
        channel_id: &ChannelId,
        mentions_demo: bool,
    ) {
        let mut inner = self.lock();
        let tally = inner
            .channels
            .entry((community_id.clone(), channel_id.clone()))
            .or_default();
        tally.sent += 1;
        if mentions_demo {
            tally.mentions += 1;
        }
    }

    /// A stored message its bot edited.
    pub fn record_edited(&self, community_id: &CommunityId, channel_id: &ChannelId) {
        let mut inner = self.lock();
        inner
            .channels
            .entry((community_id.clone(), channel_id.clone()))
            .or_default()
            .edited += 1;
    }

    /// A stored message its bot recalled.
    pub fn record_recalled(
        &self,
        community_id: &CommunityId,
        channel_id: &ChannelId,
        mentions_demo: bool,
    ) {
        let mut inner = self.lock();
        let tally = inner
            .channels
            .entry((community_id.clone(), channel_id.clone()))
            .or_default();
        tally.recalled += 1;
        if mentions_demo {
            tally.recalled_mentions += 1;
        }
    }

    /// A reaction a bot added.
    pub fn record_reaction(&self) {
        self.lock().reactions += 1;
    }

    /// A change that was refused.
    pub fn record_change_refused(&self) {
        self.lock().changes_refused += 1;
    }

    /// A change without an answer in time.
    pub fn record_change_unconfirmed(&self) {
        self.lock().changes_unconfirmed += 1;
    }

    /// A thread a bot started from message `parent_seq` of a channel.
    pub fn record_thread(
        &self,
        community_id: &CommunityId,
        channel_id: &ChannelId,
        thread_id: &ChannelId,
        parent_seq: Seq,
        name: &str,
    ) {
        self.lock().threads.insert(
            thread_id.clone(),
            ThreadTally {
                community_id: community_id.clone(),
                channel_id: channel_id.clone(),
                parent_seq,
                name: name.to_string(),
                replies: 0,
            },
        );
    }

    /// A reply a bot got stored in a thread.
    pub fn record_thread_reply(&self, thread_id: &ChannelId) {
        if let Some(thread) = self.lock().threads.get_mut(thread_id) {
            thread.replies += 1;
        }
    }

    /// A thread start or a thread reply that failed (refused, or no answer in time).
    pub fn record_thread_failed(&self) {
        self.lock().threads_failed += 1;
    }

    /// How many threads the bots started.
    pub fn thread_count(&self) -> usize {
        self.lock().threads.len()
    }

    /// The threads the bots started: (community, channel, thread).
    pub fn thread_ids(&self) -> Vec<(CommunityId, ChannelId, ChannelId)> {
        self.lock()
            .threads
            .iter()
            .map(|(id, t)| (t.community_id.clone(), t.channel_id.clone(), id.clone()))
            .collect()
    }

    /// A send that was refused.
    pub fn record_refused(&self) {
        self.lock().refused += 1;
    }

    /// A send without an answer in time.
    pub fn record_unconfirmed(&self) {
        self.lock().unconfirmed += 1;
    }

    /// A direct message to the demo user, stored in conversation `conversation_id`.
    pub fn record_direct(&self, conversation_id: &ChannelId) {
        *self
            .lock()
            .direct
            .entry(conversation_id.clone())
            .or_default() += 1;
    }

    /// A direct message that was refused or had no answer in time.
    pub fn record_direct_failed(&self) {
        self.lock().direct_failed += 1;
    }

    /// A typing indicator that reached the server.
    pub fn record_typing(&self) {
        self.lock().typing_sent += 1;
    }

    /// A copy of everything now.
    pub fn snapshot(&self) -> LedgerSnapshot {
        self.lock().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tallies_per_channel() {
        let ledger = Ledger::default();
        let c = CommunityId::from("c");
        let (a, b) = (ChannelId::from("a"), ChannelId::from("b"));
        ledger.record_sent(&c, &a, false);
        ledger.record_sent(&c, &a, true);
        ledger.record_sent(&c, &b, true);
        ledger.record_refused();
        ledger.record_recalled(&c, &a, true);
        ledger.record_edited(&c, &b);
        ledger.record_reaction();
        let snapshot = ledger.snapshot();
        assert_eq!(
            snapshot.tally(&c, &a),
            Tally {
                sent: 2,
                mentions: 1,
                recalled: 1,
                recalled_mentions: 1,
                ..Tally::default()
            }
        );
        let a_tally = snapshot.tally(&c, &a);
        assert_eq!(
            (a_tally.expected_unread(), a_tally.expected_mentions()),
            (1, 0)
        );
        assert_eq!(snapshot.tally(&c, &b).edited, 1);
        assert_eq!(
            (
                snapshot.total_edited(),
                snapshot.total_recalled(),
                snapshot.reactions
            ),
            (1, 1, 1)
        );
        assert_eq!(snapshot.tally(&c, &"zzz".into()), Tally::default());
        assert_eq!((snapshot.total_sent(), snapshot.total_mentions()), (3, 2));
        assert_eq!((snapshot.refused, snapshot.unconfirmed), (1, 0));
    }

    #[test]
    fn threads_count_their_replies_apart_from_their_channel() {
        let ledger = Ledger::default();
        let c = CommunityId::from("c");
        let (general, music) = (ChannelId::from("general"), ChannelId::from("music"));
        ledger.record_sent(&c, &general, false);
        ledger.record_thread(&c, &general, &"th_1".into(), 1, "raid");
        ledger.record_thread(&c, &music, &"th_2".into(), 4, "songs");
        ledger.record_thread_reply(&"th_1".into());
        ledger.record_thread_reply(&"th_1".into());
        ledger.record_thread_reply(&"th_unknown".into());
        ledger.record_thread_failed();
        let snapshot = ledger.snapshot();
        assert_eq!(
            snapshot.tally(&c, &general).sent,
            1,
            "replies are not channel sends"
        );
        assert_eq!(snapshot.total_thread_replies(), 2);
        let in_general: Vec<_> = snapshot.threads_in(&c, &general).collect();
        assert_eq!(in_general.len(), 1);
        assert_eq!(
            (in_general[0].1.parent_seq, in_general[0].1.replies),
            (1, 2)
        );
        assert_eq!(snapshot.threads_failed, 1);
    }
}
