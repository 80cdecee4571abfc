//! The ledger: what the bots got stored by the server, per channel, so the headless run
//! can check the demo user's unread and mention counts against it.
//!
//! A message counts only once the server has acknowledged it (the bot awaited
//! `OutgoingMessage::sent`); refused and unconfirmed sends are counted apart.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use community_sdk::protocol::{ChannelId, CommunityId};

/// What the bots got stored in one channel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Messages stored.
    pub sent: u64,
    /// Of those, messages that mention the demo user.
    pub mentions: u64,
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

    /// A send that was refused.
    pub fn record_refused(&self) {
        self.lock().refused += 1;
    }

    /// A send without an answer in time.
    pub fn record_unconfirmed(&self) {
        self.lock().unconfirmed += 1;
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
        let snapshot = ledger.snapshot();
        assert_eq!(
            snapshot.tally(&c, &a),
            Tally {
                sent: 2,
                mentions: 1
            }
        );
        assert_eq!(snapshot.tally(&c, &"zzz".into()), Tally::default());
        assert_eq!((snapshot.total_sent(), snapshot.total_mentions()), (3, 2));
        assert_eq!((snapshot.refused, snapshot.unconfirmed), (1, 0));
    }
}
