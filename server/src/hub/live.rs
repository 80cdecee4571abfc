//! The hub's ephemeral people state — presence, typing, voice — and what drives it: the
//! connection's hooks (a session attached, detached, forgotten), what a domain change means
//! for it ([`Hub::after_domain`]), and one timer task ([`Hub::run_live_timer`]) that closes
//! the typing and `online_count` windows and ends presence grace periods.
//!
//! Nothing here is stored or sequenced per channel: it lives in [`LiveState`], inside the
//! hub's index, under the same lock as the sessions, so a change and its fan-out see one
//! picture of who is online. The requests that change it (`set_presence`, `typing`,
//! `join_voice`…) never take the server's ordering lock and never write SQLite; their
//! authorisation reads run on blocking threads before the hub is touched (`Shared`).
//!
//! **Online** (see [`super::presence`]): a user is connected while any session of theirs
//! is attached. When the last one detaches, they stay connected for
//! `ServerConfig::presence_grace` (5 s by default, so a reconnect does not flap) — except
//! after a heartbeat timeout, where the connection was already silent for two heartbeat
//! intervals: then they go offline at once. So a user goes offline at most one heartbeat
//! timeout (or, after a clean close, one grace) after their last device went away. A
//! logout or the end of the last lingering session takes them offline at once. Going
//! offline also leaves their voice seat.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use community_protocol::{ChannelRemovalReason, CommunityId, Event, Limits, TimestampMs, UserId};
use community_server_domain::{Audience, Handled};
use tokio::sync::Notify;

use super::people::{Moved, Timers, tell_moved, touch_count};
use super::presence::{CountGates, Followers, Presences};
use super::typing::{TypingGates, TypingKey};
use super::voice::{VoiceRooms, voice_left};
use super::{Hub, Index, Session, UserEntry};

/// Milliseconds since the Unix epoch (the wire's times).
pub(crate) fn wall_ms() -> TimestampMs {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The knobs of the live state.
#[derive(Debug, Clone)]
pub(crate) struct LiveConfig {
    /// How long a user stays online after their last session detached.
    pub presence_grace: Duration,
    /// The deployment's limits (presence text, users per subscription, typing).
    pub limits: Limits,
    /// `limits.typing_interval_ms`.
    pub typing_interval: Duration,
    /// `limits.typing_ttl_ms`.
    pub typing_ttl_ms: u64,
    /// `limits.typing_batch_users`.
    pub typing_batch_users: usize,
}

/// How long a presence grace lasts unless configured (`ServerConfig`'s default).
pub(crate) const DEFAULT_PRESENCE_GRACE: Duration = Duration::from_secs(5);

impl LiveConfig {
    /// The `online_count` window (the protocol's second).
    pub const WINDOW: Duration = Duration::from_secs(1);

    /// The configuration for these limits and grace.
    pub fn new(limits: &Limits, presence_grace: Duration) -> Self {
        Self {
            presence_grace,
            typing_interval: Duration::from_millis(limits.typing_interval_ms),
            typing_ttl_ms: limits.typing_ttl_ms,
            typing_batch_users: limits.typing_batch_users,
            limits: limits.clone(),
        }
    }
}

impl Default for LiveConfig {
    fn default() -> Self {
        Self::new(&Limits::default(), DEFAULT_PRESENCE_GRACE)
    }
}

/// The ephemeral people state, kept in the hub's index.
#[derive(Default)]
pub(crate) struct LiveState {
    /// What each user shows.
    pub presence: Presences,
    /// Subscriptions and viewed communities.
    pub follow: Followers,
    /// `online_count` windows.
    pub counts: CountGates,
    /// Typing rate and windows.
    pub typing: TypingGates,
    /// Voice seats.
    pub voice: VoiceRooms,
    /// The member lists followed (`super::member_list`).
    pub lists: super::member_list::MemberLists,
    /// The communities known to be large (§9.5): read at start, then kept by the member
    /// counts of `member_joined` / `member_left` and by what the domain's answers say.
    pub large: std::collections::HashSet<CommunityId>,
    /// Moves when a channel is removed or a member loses a community (`join_voice`
    /// checks it did not move while it read).
    pub epoch: u64,
}

/// What a live timer closes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LiveTarget {
    /// A user's presence grace.
    Offline(UserId),
    /// A channel's typing window.
    Typing(TypingKey),
    /// A community's `online_count` window.
    Count(CommunityId),
    /// A session's `channel_activity` window in a channel (`super::large`).
    Activity(u64, community_protocol::ChannelId),
    /// A community's member list counts window (`super::member_list`).
    ListCounts(CommunityId),
}

struct Entry {
    at: Instant,
    order: u64,
    target: LiveTarget,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.order) == (other.at, other.order)
    }
}

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.order).cmp(&(other.at, other.order))
    }
}

#[derive(Default)]
struct Queue {
    heap: BinaryHeap<Reverse<Entry>>,
    next_order: u64,
}

/// The live timers, run by one task. Lock order: the hub's index, then this queue (the
/// task never holds the queue while it takes the index).
#[derive(Default)]
pub(crate) struct LiveTimer {
    queue: Mutex<Queue>,
    wake: Notify,
}

impl LiveTimer {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // A heap of plain entries: whatever a panic left is still a valid heap.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `target` at `at`.
    pub fn schedule(&self, at: Instant, target: LiveTarget) {
        let mut queue = self.lock();
        let earliest = queue.heap.peek().is_none_or(|Reverse(e)| at < e.at);
        let order = queue.next_order;
        queue.next_order += 1;
        queue.heap.push(Reverse(Entry { at, order, target }));
        drop(queue);
        if earliest {
            self.wake.notify_one();
        }
    }

    fn next(&self) -> Option<Instant> {
        self.lock().heap.peek().map(|Reverse(e)| e.at)
    }

    fn take_due(&self, now: Instant) -> Vec<LiveTarget> {
        let mut queue = self.lock();
        let mut due = Vec::new();
        while queue.heap.peek().is_some_and(|Reverse(e)| e.at <= now) {
            if let Some(Reverse(entry)) = queue.heap.pop() {
                due.push(entry.target);
            }
        }
        due
    }
}

/// Whether any session of the entry is attached to a connection.
fn any_attached(entry: Option<&UserEntry>) -> bool {
    entry.is_some_and(|e| e.sessions.iter().any(|s| s.is_attached()))
}

impl Hub {
    /// Whether a session of `user` is attached to a live connection now (the push
    /// hand-off pushes to users with none).
    pub fn is_attached(&self, user: &UserId) -> bool {
        any_attached(self.lock().users.get(user))
    }

    /// The status `user` set, as their own sessions see it (`offline` when not
    /// connected).
    pub fn own_status(&self, user: &UserId) -> community_protocol::PresenceStatus {
        self.lock().live.presence.seen(user, true).status
    }
}

impl Hub {
    /// Schedules the timers a change collected.
    pub(super) fn schedule_live(&self, timers: Timers) {
        for (at, target) in timers {
            self.live_timer.schedule(at, target);
        }
    }

    /// A connection now serves `session` (a login or a resume): its user is online.
    pub fn attached(&self, session: &Session) {
        let now = Instant::now();
        let mut timers = Timers::new();
        {
            let mut index = self.lock();
            let index = &mut *index;
            let user = &session.user_id;
            let before = index.live.presence.looks(user);
            index.live.presence.connect(user, wall_ms());
            let moved = Moved {
                user,
                before,
                member_of: index.users.get(user).map(|e| &e.communities),
                own: &[],
            };
            tell_moved(&mut index.live, &index.communities, moved, now, &mut timers);
        }
        self.schedule_live(timers);
    }

    /// The connection that served `session` ended (`silent`: by heartbeat timeout). When
    /// no session of the user is attached any more they go offline after the grace (at
    /// once after a heartbeat timeout).
    pub fn detached(&self, session: &Session, silent: bool) {
        let now = Instant::now();
        let grace = if silent {
            Duration::ZERO
        } else {
            self.live.presence_grace
        };
        let mut index = self.lock();
        let index = &mut *index;
        let user = &session.user_id;
        if any_attached(index.users.get(user)) {
            return;
        }
        if index.live.presence.disconnect_at(user, now + grace) {
            self.live_timer
                .schedule(now + grace, LiveTarget::Offline(user.clone()));
        }
    }

    /// `session` was forgotten (called by `forget` with the index locked and the session
    /// unlinked; `entry` is its user's entry with the sessions left, out of the index).
    /// It follows nothing any more; the user's last session takes them offline at once,
    /// their status reset and their voice seat left.
    pub(super) fn live_forgotten(
        &self,
        index: &mut Index,
        session: &Session,
        entry: &UserEntry,
        timers: &mut Timers,
    ) {
        let now = Instant::now();
        index.live.follow.forget(session.key);
        let user = &session.user_id;
        if entry.sessions.is_empty() {
            let before = index.live.presence.looks(user);
            index.live.presence.reset(user, wall_ms());
            if let Some(left) = index.live.voice.leave(user) {
                voice_left(index, &left);
            }
            let moved = Moved {
                user,
                before,
                member_of: Some(&entry.communities),
                own: &[],
            };
            tell_moved(&mut index.live, &index.communities, moved, now, timers);
        } else if !any_attached(Some(entry)) {
            let due = now + self.live.presence_grace;
            if index.live.presence.disconnect_at(user, due) {
                timers.push((due, LiveTarget::Offline(user.clone())));
            }
        }
    }

    /// The grace of `user` may have ended: offline (and out of voice) unless a session of
    /// theirs is attached again.
    fn offline_due(&self, user: &UserId, now: Instant) {
        let mut timers = Timers::new();
        {
            let mut index = self.lock();
            let index = &mut *index;
            if any_attached(index.users.get(user)) {
                return;
            }
            let before = index.live.presence.looks(user);
            if !index.live.presence.settle(user, now, wall_ms()) {
                return;
            }
            if let Some(left) = index.live.voice.leave(user) {
                voice_left(index, &left);
            }
            let moved = Moved {
                user,
                before,
                member_of: index.users.get(user).map(|e| &e.communities),
                own: &[],
            };
            tell_moved(&mut index.live, &index.communities, moved, now, &mut timers);
        }
        self.schedule_live(timers);
    }

    /// What a committed domain change means for the live state (called after its
    /// membership changes were applied and its events delivered, under the ordering
    /// lock): a member who lost a community stops viewing it and leaves its voice
    /// channel; a deleted channel empties (and its typing window goes, as a deleted
    /// thread's); a member who lost sight of a private channel leaves its seat there;
    /// viewed communities whose membership changed are recounted.
    pub fn after_domain(&self, handled: &Handled) {
        let removals = handled.deliveries.iter().any(|d| {
            matches!(
                d.event,
                Event::ChannelRemoved { .. } | Event::ThreadRemoved { .. }
            )
        });
        if handled.membership.is_empty() && !removals {
            return;
        }
        let now = Instant::now();
        let mut timers = Timers::new();
        {
            let mut index = self.lock();
            let index = &mut *index;
            for change in &handled.membership {
                let (user, community) = (&change.user_id, &change.community_id);
                if !change.joined {
                    index.live.epoch += 1;
                    let keys: Vec<u64> = index
                        .users
                        .get(user)
                        .map(|e| e.sessions.iter().map(|s| s.key).collect())
                        .unwrap_or_default();
                    index.live.follow.stop_viewing(&keys, community);
                    if let Some(left) = index.live.voice.leave_in(user, community, None) {
                        voice_left(index, &left);
                    }
                }
                if index.live.presence.shown_online(user)
                    && index.live.follow.has_viewers(community)
                {
                    touch_count(
                        &mut index.live,
                        &index.communities,
                        community,
                        now,
                        &mut timers,
                    );
                }
            }
            for delivery in &handled.deliveries {
                if let Event::ThreadRemoved {
                    community_id,
                    thread_id,
                    ..
                } = &delivery.event
                {
                    index.live.typing.forget(&TypingKey {
                        community_id: community_id.clone(),
                        channel_id: thread_id.clone(),
                    });
                }
                let Event::ChannelRemoved {
                    community_id,
                    channel_id,
                    reason,
                    ..
                } = &delivery.event
                else {
                    continue;
                };
                index.live.epoch += 1;
                if *reason == ChannelRemovalReason::Deleted {
                    index.live.typing.forget(&TypingKey {
                        community_id: community_id.clone(),
                        channel_id: channel_id.clone(),
                    });
                }
                let left = match (reason, &delivery.audience) {
                    (ChannelRemovalReason::AccessRevoked, Audience::Users(users)) => users
                        .iter()
                        .filter_map(|u| {
                            index.live.voice.leave_in(u, community_id, Some(channel_id))
                        })
                        .collect(),
                    (ChannelRemovalReason::AccessRevoked, _) => Vec::new(),
                    _ => index.live.voice.clear_channel(community_id, channel_id),
                };
                for left in &left {
                    voice_left(index, left);
                }
            }
        }
        self.schedule_live(timers);
    }

    /// Runs the timer `target` at `now`.
    fn live_due(&self, target: LiveTarget, now: Instant) {
        match target {
            LiveTarget::Offline(user) => self.offline_due(&user, now),
            LiveTarget::Typing(key) => self.typing_due(&key, now),
            LiveTarget::Count(community) => self.count_due(&community, now),
            LiveTarget::Activity(key, channel) => self.activity_due(key, &channel, now),
            LiveTarget::ListCounts(community) => self.list_counts_due(&community, now),
        }
    }

    /// The task that closes live windows and graces on time (runs until aborted).
    pub async fn run_live_timer(&self) {
        loop {
            let rescheduled = self.live_timer.wake.notified();
            match self.live_timer.next() {
                Some(at) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(at.into()) => {}
                        () = rescheduled => {}
                    }
                }
                None => rescheduled.await,
            }
            let now = Instant::now();
            for target in self.live_timer.take_due(now) {
                self.live_due(target, now);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_timers_come_out_in_order() {
        let timer = LiveTimer::default();
        let t0 = Instant::now();
        let later = |ms| t0 + Duration::from_millis(ms);
        timer.schedule(later(300), LiveTarget::Count("b".into()));
        timer.schedule(later(100), LiveTarget::Offline("a".into()));
        timer.schedule(later(300), LiveTarget::Count("c".into()));
        assert_eq!(timer.next(), Some(later(100)));
        assert!(timer.take_due(later(99)).is_empty());
        assert_eq!(
            timer.take_due(later(300)),
            [
                LiveTarget::Offline("a".into()),
                LiveTarget::Count("b".into()),
                LiveTarget::Count("c".into())
            ]
        );
        assert_eq!(timer.next(), None);
    }
}
