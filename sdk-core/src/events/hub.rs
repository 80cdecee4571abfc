//! The hub: where changes are queued and the one dispatcher task that delivers them.
//!
//! Producers push [`Publication`]s into a plain queue under the hub's mutex (no channel is
//! sent to and no listener runs under any lock), then wake the dispatcher. The dispatcher
//! takes the queue and the subscriber list under the lock, lets go of it, and only then
//! sends each subscriber its batch. Each publication is numbered; a subscriber registered
//! when the counter stood at `n` receives only publications numbered `n` or later, so a
//! snapshot taken under the same lock as the registration plus the later diffs is exactly
//! the current state. Sending never waits: a subscriber whose bounded backlog is full is
//! dropped from the list and flagged lagged (its [`Subscription`] starts over from a fresh
//! value), so a slow subscriber costs a bounded amount of memory.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use community_protocol::{
    ChannelId, CommunityId, Presence, Profile, Seq, ThreadInfo, UserId, VoiceParticipant,
};
use tokio::sync::Notify;

use super::Subscription;
use super::people::PeopleSink;
use super::subscription::{Outlet, queue};
use crate::model::{
    ChannelEntry, ChannelUnread, CommunityEntry, CommunityUnread, ConnectionState,
    ConversationEntry, DisconnectReason, ListDiff, MessageUpdate, SyncState, UnreadTotals,
    UnreadUpdate,
};

/// One change, as produced.
// Publications are built once and moved into the hub's queue; boxing the message variant
// would add an allocation to every message published.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub(crate) enum Publication {
    /// The connection state changed.
    Connection(ConnectionState),
    /// The sync state changed.
    Sync(SyncState),
    /// The community list changed.
    Community(ListDiff<CommunityEntry>),
    /// A community's channel list changed.
    Channel {
        /// The community.
        community_id: CommunityId,
        /// The change.
        diff: ListDiff<ChannelEntry>,
    },
    /// A channel's thread list changed (a thread started, renamed, archived, active,
    /// deleted).
    Thread {
        /// The community.
        community_id: CommunityId,
        /// The channel.
        channel_id: ChannelId,
        /// The change.
        diff: ListDiff<ThreadInfo>,
    },
    /// A channel's timeline changed.
    Message {
        /// The community.
        community_id: CommunityId,
        /// The channel.
        channel_id: ChannelId,
        /// The change.
        update: MessageUpdate,
    },
    /// Unread counts changed.
    Unread(UnreadChange),
    /// The conversation list changed.
    Conversation(ListDiff<ConversationEntry>),
    /// A profile changed.
    Profile(Profile),
    /// A user's presence changed.
    Presence(Presence),
    /// A viewed community's online member count changed.
    OnlineCount {
        /// The community.
        community_id: CommunityId,
        /// Members online now.
        online: u64,
    },
    /// Who is typing in a stream changed.
    Typing {
        /// The community (`@me` for a conversation).
        community_id: CommunityId,
        /// The channel, thread or conversation.
        channel_id: ChannelId,
        /// Who types there now.
        users: Vec<UserId>,
    },
    /// Who sits in a community's voice channels changed.
    Voice {
        /// The community.
        community_id: CommunityId,
        /// Everyone sitting in its voice channels now.
        participants: Vec<VoiceParticipant>,
    },
}

/// New unread values after one state change.
#[derive(Debug, Clone, Default)]
pub(crate) struct UnreadChange {
    /// True when this lists everything (earlier values are void).
    pub reset: bool,
    /// Channels whose counts changed.
    pub channels: Vec<ChannelUnread>,
    /// Communities whose sums changed.
    pub communities: Vec<CommunityUnread>,
    /// Communities that are gone.
    pub removed_communities: Vec<CommunityId>,
    /// Totals now.
    pub totals: UnreadTotals,
}

/// Where a subscriber's batches go.
pub(crate) enum Sink {
    /// Connection states.
    Connection(Outlet<ConnectionState>),
    /// Sync states.
    Sync(Outlet<SyncState>),
    /// Local echo changes of every channel (`Local`, `Discarded` and the states of
    /// changes made on this device, `Change`): the client-wide outbox view.
    Outbox(Outlet<Vec<MessageUpdate>>),
    /// Community list diffs.
    Communities(Outlet<Vec<ListDiff<CommunityEntry>>>),
    /// Channel list diffs of one community.
    Channels(CommunityId, Outlet<Vec<ListDiff<ChannelEntry>>>),
    /// Timeline changes of one channel, and the sequence up to which the timeline had
    /// shown it when it opened (see [`Hub::timeline_floor`]).
    Messages(CommunityId, ChannelId, Outlet<Vec<MessageUpdate>>, Seq),
    /// Thread list changes of one channel.
    Threads(CommunityId, ChannelId, Outlet<Vec<ListDiff<ThreadInfo>>>),
    /// Unread changes.
    Unread(Outlet<UnreadUpdate>),
    /// Conversations, profiles, presence, typing, voice.
    People(PeopleSink),
}

impl Sink {
    fn is_closed(&self) -> bool {
        match self {
            Sink::Connection(s) => s.is_closed(),
            Sink::Sync(s) => s.is_closed(),
            Sink::Outbox(s) => s.is_closed(),
            Sink::Communities(s) => s.is_closed(),
            Sink::Channels(_, s) => s.is_closed(),
            Sink::Messages(_, _, s, _) => s.is_closed(),
            Sink::Threads(_, _, s) => s.is_closed(),
            Sink::Unread(s) => s.is_closed(),
            Sink::People(s) => s.is_closed(),
        }
    }

    fn clone_sink(&self) -> Sink {
        match self {
            Sink::Connection(s) => Sink::Connection(s.clone()),
            Sink::Sync(s) => Sink::Sync(s.clone()),
            Sink::Outbox(s) => Sink::Outbox(s.clone()),
            Sink::Communities(s) => Sink::Communities(s.clone()),
            Sink::Channels(c, s) => Sink::Channels(c.clone(), s.clone()),
            Sink::Messages(c, ch, s, floor) => {
                Sink::Messages(c.clone(), ch.clone(), s.clone(), *floor)
            }
            Sink::Threads(c, ch, s) => Sink::Threads(c.clone(), ch.clone(), s.clone()),
            Sink::Unread(s) => Sink::Unread(s.clone()),
            Sink::People(s) => Sink::People(s.clone_sink()),
        }
    }
}

struct Subscriber {
    id: u64,
    from: u64,
    sink: Sink,
}

struct Inner {
    next: u64,
    next_subscriber: u64,
    /// The connection task whose states are current; states of older tasks are dropped.
    connection_epoch: u64,
    queue: VecDeque<(u64, Publication)>,
    subscribers: Vec<Subscriber>,
    connection: ConnectionState,
    sync: SyncState,
    /// The client closed: no subscriber is kept any more.
    closed: bool,
}

/// The publication queue and subscriber list.
pub(crate) struct Hub {
    inner: Mutex<Inner>,
    wake: Notify,
    epochs: std::sync::atomic::AtomicU64,
}

impl Hub {
    /// An empty hub; the connection state starts as `Disconnected { LoggedOut }`.
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            epochs: std::sync::atomic::AtomicU64::new(0),
            inner: Mutex::new(Inner {
                next: 0,
                next_subscriber: 0,
                connection_epoch: 0,
                queue: VecDeque::new(),
                subscribers: Vec::new(),
                connection: ConnectionState::Disconnected {
                    reason: DisconnectReason::LoggedOut,
                },
                sync: SyncState::Offline,
                closed: false,
            }),
            wake: Notify::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding this lock leaves only plain queues behind; keep going.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues publications (in order) and wakes the dispatcher. Safe to call while holding
    /// the state lock: nothing is sent here.
    pub(crate) fn publish(&self, publications: impl IntoIterator<Item = Publication>) {
        let mut queued = false;
        {
            let mut inner = self.lock();
            for publication in publications {
                match &publication {
                    Publication::Connection(state) => inner.connection = state.clone(),
                    Publication::Sync(state) => inner.sync = *state,
                    _ => {}
                }
                let n = inner.next;
                inner.next += 1;
                inner.queue.push_back((n, publication));
                queued = true;
            }
        }
        if queued {
            self.wake.notify_one();
        }
    }

    /// A new connection epoch: each connection task publishes its states under its own
    /// epoch, and the states of an older task (one being stopped) never override a newer
    /// one's.
    pub(crate) fn next_connection_epoch(&self) -> u64 {
        self.epochs
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1
    }

    /// Publishes the connection state of the task with `epoch`, unless a newer task has
    /// published already.
    pub(crate) fn publish_connection(&self, epoch: u64, state: ConnectionState) {
        {
            let mut inner = self.lock();
            if epoch < inner.connection_epoch {
                return;
            }
            inner.connection_epoch = epoch;
            inner.connection = state.clone();
            let n = inner.next;
            inner.next += 1;
            inner.queue.push_back((n, Publication::Connection(state)));
        }
        self.wake.notify_one();
    }

    /// The current connection state.
    pub(crate) fn connection_state(&self) -> ConnectionState {
        self.lock().connection.clone()
    }

    /// Publishes the sync state, unless it is the current one already.
    pub(crate) fn publish_sync(&self, state: SyncState) {
        if self.lock().sync != state {
            self.publish([Publication::Sync(state)]);
        }
    }

    /// The current sync state.
    pub(crate) fn sync_state(&self) -> SyncState {
        self.lock().sync
    }

    /// Subscribes to sync states (the current one first).
    pub(crate) fn subscribe_sync(self: &Arc<Self>) -> Subscription<SyncState> {
        let (outlet, inlet) = queue();
        let mut inner = self.lock();
        Inner::register(&mut inner, Sink::Sync(outlet));
        let current = inner.sync;
        drop(inner);
        let hub: Weak<Hub> = Arc::downgrade(self);
        Subscription::new(current, inlet).with_resync(move || {
            let fresh = hub.upgrade().map(|hub| hub.subscribe_sync());
            Box::pin(std::future::ready(fresh))
        })
    }

    /// Ends every subscription (their `next` gives `None` once drained) and keeps no new
    /// one: the client closed.
    pub(crate) fn close(&self) {
        let mut inner = self.lock();
        inner.closed = true;
        inner.subscribers.clear();
        inner.queue.clear();
    }

    /// True once [`Hub::close`] ran.
    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Registers a sink; it receives publications queued from now on. Call while holding
    /// the lock that guards the snapshot given to the subscriber as its first value.
    pub(crate) fn register(&self, sink: Sink) {
        Inner::register(&mut self.lock(), sink);
    }

    /// Whether a live message timeline of the channel (or thread, or conversation) is
    /// subscribed: its new messages are then fetched even when only activity arrives.
    pub(crate) fn has_timeline(&self, community_id: &CommunityId, channel_id: &ChannelId) -> bool {
        self.timeline_floor(community_id, channel_id).is_some()
    }

    /// The lowest sequence up to which the channel's live timelines had shown it when they
    /// opened (`None`: no timeline is open): every message above it must reach them, the
    /// ones the cache lacks fetched.
    pub(crate) fn timeline_floor(
        &self,
        community_id: &CommunityId,
        channel_id: &ChannelId,
    ) -> Option<Seq> {
        self.lock()
            .subscribers
            .iter()
            .filter_map(|s| match &s.sink {
                Sink::Messages(community, channel, outlet, floor)
                    if community == community_id
                        && channel == channel_id
                        && !outlet.is_closed() =>
                {
                    Some(*floor)
                }
                _ => None,
            })
            .min()
    }

    /// Subscribes to connection states (the current one first; the current one again
    /// after falling behind).
    pub(crate) fn subscribe_connection(self: &Arc<Self>) -> Subscription<ConnectionState> {
        let (outlet, inlet) = queue();
        let mut inner = self.lock();
        Inner::register(&mut inner, Sink::Connection(outlet));
        let current = inner.connection.clone();
        drop(inner);
        let hub: Weak<Hub> = Arc::downgrade(self);
        Subscription::new(current, inlet).with_resync(move || {
            let fresh = hub.upgrade().map(|hub| hub.subscribe_connection());
            Box::pin(std::future::ready(fresh))
        })
    }

    /// The dispatcher: delivers queued publications until the task is aborted.
    pub(crate) async fn run_dispatcher(self: Arc<Self>) {
        loop {
            self.wake.notified().await;
            loop {
                let (batch, targets) = {
                    let mut inner = self.lock();
                    if inner.queue.is_empty() {
                        break;
                    }
                    let batch: Vec<(u64, Publication)> = inner.queue.drain(..).collect();
                    inner.subscribers.retain(|s| !s.sink.is_closed());
                    let targets: Vec<(u64, u64, Sink)> = inner
                        .subscribers
                        .iter()
                        .map(|s| (s.id, s.from, s.sink.clone_sink()))
                        .collect();
                    (batch, targets)
                };
                let gone: Vec<u64> = targets
                    .iter()
                    .filter(|(_, from, sink)| !deliver(&batch, *from, sink))
                    .map(|(id, _, _)| *id)
                    .collect();
                if !gone.is_empty() {
                    tracing::debug!(count = gone.len(), "subscribers dropped or lagging");
                    self.lock().subscribers.retain(|s| !gone.contains(&s.id));
                }
            }
        }
    }
}

impl Inner {
    fn register(&mut self, sink: Sink) {
        if self.closed {
            // Dropping the sink ends the subscription at once.
            return;
        }
        let (id, from) = (self.next_subscriber, self.next);
        self.next_subscriber += 1;
        self.subscribers.push(Subscriber { id, from, sink });
    }
}

/// Sends one subscriber the publications of `batch` that concern it (no lock held).
/// False when the subscriber is gone or lagging: it is fed no more.
fn deliver(batch: &[(u64, Publication)], from: u64, sink: &Sink) -> bool {
    let relevant = batch.iter().filter(|(n, _)| *n >= from).map(|(_, p)| p);
    match sink {
        Sink::Connection(sender) => {
            for publication in relevant {
                if let Publication::Connection(state) = publication
                    && !sender.send(state.clone())
                {
                    return false;
                }
            }
            true
        }
        Sink::Sync(sender) => {
            for publication in relevant {
                if let Publication::Sync(state) = publication
                    && !sender.send(*state)
                {
                    return false;
                }
            }
            true
        }
        Sink::Outbox(sender) => {
            let echoes: Vec<_> = relevant
                .filter_map(|p| match p {
                    Publication::Message {
                        update:
                            update @ (MessageUpdate::Local(_)
                            | MessageUpdate::Discarded { .. }
                            | MessageUpdate::Change(_)),
                        ..
                    } => Some(update.clone()),
                    _ => None,
                })
                .collect();
            echoes.is_empty() || sender.send(echoes)
        }
        Sink::Communities(sender) => {
            let diffs: Vec<_> = relevant
                .filter_map(|p| match p {
                    Publication::Community(diff) => Some(diff.clone()),
                    _ => None,
                })
                .collect();
            diffs.is_empty() || sender.send(diffs)
        }
        Sink::Channels(community, sender) => {
            let diffs: Vec<_> = relevant
                .filter_map(|p| match p {
                    Publication::Channel { community_id, diff } if community_id == community => {
                        Some(diff.clone())
                    }
                    _ => None,
                })
                .collect();
            diffs.is_empty() || sender.send(diffs)
        }
        Sink::Threads(community, channel, sender) => {
            let diffs: Vec<_> = relevant
                .filter_map(|p| match p {
                    Publication::Thread {
                        community_id,
                        channel_id,
                        diff,
                    } if community_id == community && channel_id == channel => Some(diff.clone()),
                    _ => None,
                })
                .collect();
            diffs.is_empty() || sender.send(diffs)
        }
        Sink::Messages(community, channel, sender, _) => {
            let updates: Vec<_> = relevant
                .filter_map(|p| match p {
                    Publication::Message {
                        community_id,
                        channel_id,
                        update,
                    } if community_id == community && channel_id == channel => Some(update.clone()),
                    _ => None,
                })
                .collect();
            updates.is_empty() || sender.send(updates)
        }
        Sink::Unread(sender) => match merge_unread(relevant) {
            Some(update) => sender.send(update),
            None => true,
        },
        Sink::People(sink) => sink.deliver(relevant),
    }
}

/// Folds several unread changes into one update holding the latest value of each item.
fn merge_unread<'a>(publications: impl Iterator<Item = &'a Publication>) -> Option<UnreadUpdate> {
    let mut channels: BTreeMap<(CommunityId, ChannelId), ChannelUnread> = BTreeMap::new();
    let mut communities: BTreeMap<CommunityId, CommunityUnread> = BTreeMap::new();
    let mut removed: Vec<CommunityId> = Vec::new();
    let mut totals = None;
    let mut reset = false;
    for publication in publications {
        let Publication::Unread(change) = publication else {
            continue;
        };
        if change.reset {
            reset = true;
            channels.clear();
            communities.clear();
            removed.clear();
        }
        for gone in &change.removed_communities {
            communities.remove(gone);
            channels.retain(|(community, _), _| community != gone);
            if !removed.contains(gone) {
                removed.push(gone.clone());
            }
        }
        for channel in &change.channels {
            let key = (channel.community_id.clone(), channel.channel_id.clone());
            channels.insert(key, channel.clone());
        }
        for community in &change.communities {
            removed.retain(|gone| gone != &community.community_id);
            communities.insert(community.community_id.clone(), community.clone());
        }
        totals = Some(change.totals);
    }
    totals.map(|totals| UnreadUpdate {
        reset,
        channels: channels.into_values().collect(),
        communities: communities.into_values().collect(),
        removed_communities: removed,
        totals,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::subscription::BACKLOG;
    use std::time::Duration;

    fn unread(channel: &ChannelId, count: u64) -> Publication {
        Publication::Unread(UnreadChange {
            channels: vec![ChannelUnread {
                community_id: "c".into(),
                channel_id: channel.into(),
                read_seq: 0,
                last_seq: count,
                unread_count: count,
                mention_count: 0,
            }],
            communities: vec![],
            removed_communities: vec![],
            reset: false,
            totals: UnreadTotals {
                total_unread: count,
                total_mentions: 0,
            },
        })
    }

    #[tokio::test]
    async fn subscribers_get_only_what_follows_their_registration_coalesced() {
        let hub = Hub::new();
        let dispatcher = tokio::spawn(hub.clone().run_dispatcher());
        hub.publish([unread(&ChannelId::from("a"), 1)]);
        let (outlet, inlet) = queue();
        hub.register(Sink::Unread(outlet));
        let mut subscription = Subscription::new(UnreadUpdate::default(), inlet);
        assert_eq!(subscription.try_next(), Some(UnreadUpdate::default()));
        hub.publish([
            unread(&ChannelId::from("a"), 2),
            unread(&ChannelId::from("a"), 3),
            unread(&ChannelId::from("b"), 1),
        ]);
        let update = tokio::time::timeout(Duration::from_secs(5), subscription.next())
            .await
            .unwrap()
            .unwrap();
        let counts: Vec<(&str, u64)> = update
            .channels
            .iter()
            .map(|c| (c.channel_id.as_str(), c.unread_count))
            .collect();
        assert_eq!(counts, vec![("a", 3), ("b", 1)]);
        assert_eq!(update.totals.total_unread, 1);
        dispatcher.abort();
    }

    #[tokio::test]
    async fn connection_subscribers_see_current_then_changes_and_dropped_ones_go_away() {
        let hub = Hub::new();
        let dispatcher = tokio::spawn(hub.clone().run_dispatcher());
        let dropped = hub.subscribe_connection();
        drop(dropped);
        let mut subscription = hub.subscribe_connection();
        let old = hub.next_connection_epoch();
        let new = hub.next_connection_epoch();
        hub.publish_connection(new, ConnectionState::Connecting);
        hub.publish_connection(
            old,
            ConnectionState::Disconnected {
                reason: DisconnectReason::Kicked,
            },
        );
        hub.publish([Publication::Connection(ConnectionState::Connected)]);
        let mut seen = Vec::new();
        for _ in 0..3 {
            let state = tokio::time::timeout(Duration::from_secs(5), subscription.next())
                .await
                .unwrap()
                .unwrap();
            seen.push(state);
        }
        assert_eq!(
            seen,
            vec![
                ConnectionState::Disconnected {
                    reason: DisconnectReason::LoggedOut
                },
                ConnectionState::Connecting,
                ConnectionState::Connected
            ]
        );
        assert_eq!(hub.connection_state(), ConnectionState::Connected);
        assert_eq!(hub.lock().subscribers.len(), 1);
        dispatcher.abort();
    }

    #[tokio::test]
    async fn a_subscriber_that_never_reads_is_cut_off_then_starts_over_from_the_current_state() {
        let hub = Hub::new();
        let dispatcher = tokio::spawn(hub.clone().run_dispatcher());
        let mut subscription = hub.subscribe_connection();
        let epoch = hub.next_connection_epoch();
        let states = u32::try_from(BACKLOG).unwrap() + 50;
        for attempt in 1..=states {
            let next_delay = Duration::ZERO;
            hub.publish_connection(
                epoch,
                ConnectionState::Reconnecting {
                    attempt,
                    next_delay,
                },
            );
        }
        hub.publish_connection(epoch, ConnectionState::Connected);
        for _ in 0..500 {
            if hub.lock().subscribers.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(
            hub.lock().subscribers.is_empty(),
            "a full backlog cuts it off"
        );
        let mut seen = Vec::new();
        for _ in 0..BACKLOG + 2 {
            let state = tokio::time::timeout(Duration::from_secs(5), subscription.next())
                .await
                .unwrap()
                .unwrap();
            seen.push(state);
        }
        let attempt = u32::try_from(BACKLOG).unwrap();
        assert_eq!(
            seen[BACKLOG],
            ConnectionState::Reconnecting {
                attempt,
                next_delay: Duration::ZERO
            },
            "everything queued before the cut is delivered"
        );
        assert_eq!(
            seen[BACKLOG + 1],
            ConnectionState::Connected,
            "then the current state"
        );
        assert_eq!(
            hub.lock().subscribers.len(),
            1,
            "and it is registered again"
        );
        hub.publish_connection(epoch, ConnectionState::Connecting);
        let next = tokio::time::timeout(Duration::from_secs(5), subscription.next()).await;
        assert_eq!(next.unwrap(), Some(ConnectionState::Connecting));
        dispatcher.abort();
    }
}
