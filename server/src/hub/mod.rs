//! The hub: which sessions exist, which are online for which user and community, and
//! fan-out of the domain's deliveries to them.
//!
//! Fan-out encodes each event once ([`community_protocol::codec::encode_event`]) into an
//! `Arc<str>` and pushes that same allocation to every recipient session (see
//! [`session`]); each connection's writer wraps it with the session's own sequence
//! ([`community_protocol::codec::event_frame`]). Pushing never blocks and never awaits: it
//! appends to a bounded ring and wakes a writer.
//!
//! A channel's audience computed by the domain (`ChannelViewers`) is resolved against the
//! online sessions once and kept while nothing changes ([`viewers`]).
//!
//! Thread digests are coalesced per thread (`gates`) and session ([`digests`]): at most
//! one per `digest_window`, the newest winning, pushed by the timer task
//! ([`Hub::run_digest_timer`]) when a window closes with one pending.
//!
//! Presence, typing and voice state live in the index too ([`live`]): in memory, never
//! stored, fanned out by the hub itself ([`people`], [`typing`], [`voice`]).
//!
//! The index lives under one mutex, held only for map updates and for the pushes of one
//! delivery; nothing awaits while holding it. Lock order: index, then session, then
//! outbox.

#[cfg(test)]
mod digest_tests;
mod digests;
mod gates;
mod large;
mod live;
mod live_base;
mod live_state;
mod member_index;
mod member_list;
mod member_ops;
pub(crate) mod outbox;
mod people;
mod people_remote;
mod presence;
mod presence_remote;
pub(crate) mod session;
mod typing;
mod viewers;
mod voice;
mod voice_remote;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use community_protocol::{CommunityId, GoodbyeReason, UserId, codec};
use community_server_domain::{Audience, Delivery, MembershipChange};

use digests::{DigestIds, DigestKey, DigestTimer, Purge, Target};
use gates::{FanOut, Gates, Offer};
pub(crate) use live_base::TypingKey;
pub(crate) use live_base::{DEFAULT_PRESENCE_GRACE, LiveConfig};
pub(crate) use member_list::{ListStep, Loaded};
pub(crate) use outbox::{Ending, Goodbye, Outbox};
pub(crate) use presence_remote::PresenceLook;
pub(crate) use session::{Session, TAKE_BATCH, Taken};
use viewers::ViewerSessions;
pub(crate) use voice::{JoinRefused, VoiceOp};

#[derive(Default)]
struct UserEntry {
    sessions: Vec<Arc<Session>>,
    communities: HashSet<CommunityId>,
}

#[derive(Default)]
struct Index {
    by_id: HashMap<String, Arc<Session>>,
    users: HashMap<UserId, UserEntry>,
    communities: HashMap<CommunityId, HashMap<u64, Arc<Session>>>,
    /// Channel audiences resolved to sessions; dropped at every change of the above.
    viewers: ViewerSessions,
    /// The numbers of the threads' digest slots.
    digest_ids: DigestIds,
    /// Each busy thread's gate.
    gates: Gates,
    /// Presence, typing and voice.
    live: live_state::LiveState,
    /// Focus and `channel_activity` of large communities.
    large: large::LargeState,
}

/// Visits every online session of `audience` (`caller`: the session of the request, for
/// [`Audience::OtherSessionsOfCaller`]).
fn for_each_session(
    index: &mut Index,
    audience: &Audience,
    caller: Option<&Session>,
    mut visit: impl FnMut(&Arc<Session>),
) {
    match audience {
        Audience::Community(community) => {
            if let Some(members) = index.communities.get(community) {
                members.values().for_each(&mut visit);
            }
        }
        Audience::Viewers(viewers) => {
            index
                .viewers
                .sessions(&index.users, &index.communities, viewers)
                .iter()
                .for_each(&mut visit);
        }
        Audience::Users(users) => {
            let mut seen = HashSet::with_capacity(users.len());
            for user in users {
                if !seen.insert(user.as_str()) {
                    continue;
                }
                if let Some(entry) = index.users.get(user) {
                    entry.sessions.iter().for_each(&mut visit);
                }
            }
        }
        Audience::Focused(focused) => large::for_each_focused(index, focused, visit),
        Audience::OtherSessionsOfCaller => {
            let Some(caller) = caller else { return };
            if let Some(entry) = index.users.get(&caller.user_id) {
                entry
                    .sessions
                    .iter()
                    .filter(|s| s.key != caller.key)
                    .for_each(&mut visit);
            }
        }
    }
}

impl Index {
    /// Unlinks sessions of `user_id` beyond `cap`, never `keep`: the oldest lingering
    /// ones first, then the oldest connected ones. Each victim is marked forgotten (lock
    /// order: index, then session) and returned with the connection that served it.
    fn evict_over(
        &mut self,
        user_id: &UserId,
        cap: usize,
        keep: u64,
    ) -> Vec<(Arc<Session>, Option<Arc<Outbox>>)> {
        let mut evicted = Vec::new();
        let Some(mut entry) = self.users.remove(user_id) else {
            return evicted;
        };
        while entry.sessions.len() > cap {
            let lingering = entry
                .sessions
                .iter()
                .position(|s| s.key != keep && !s.is_attached());
            let oldest = entry.sessions.iter().position(|s| s.key != keep);
            let Some(at) = lingering.or(oldest) else {
                break;
            };
            let victim = entry.sessions.remove(at);
            let outbox = victim.forget();
            self.unlink_from_communities(victim.key, &entry.communities);
            if self
                .by_id
                .get(&victim.id)
                .is_some_and(|s| s.key == victim.key)
            {
                self.by_id.remove(&victim.id);
            }
            evicted.push((victim, outbox));
        }
        self.users.insert(user_id.to_owned(), entry);
        evicted
    }

    fn unlink_from_communities(&mut self, session_key: u64, communities: &HashSet<CommunityId>) {
        for community in communities {
            if let Some(members) = self.communities.get_mut(community) {
                members.remove(&session_key);
                if members.is_empty() {
                    self.communities.remove(community);
                }
            }
        }
    }
}

/// How long thread digests are coalesced unless configured (`ServerConfig`'s default).
pub(crate) const DEFAULT_DIGEST_WINDOW: Duration = Duration::from_secs(3);

/// The registry of sessions and the fan-out engine.
pub(crate) struct Hub {
    index: Mutex<Index>,
    next_key: AtomicU64,
    ring_capacity: usize,
    queue_capacity: usize,
    max_sessions_per_user: usize,
    digest_window: Duration,
    digest_timer: DigestTimer,
    live: LiveConfig,
    live_timer: live_base::LiveTimer,
}

impl Hub {
    /// An empty hub whose sessions keep `ring_capacity` events and tolerate
    /// `queue_capacity` unsent ones, with at most `max_sessions_per_user` sessions per
    /// user (at least 1).
    pub fn new(ring_capacity: usize, queue_capacity: usize, max_sessions_per_user: usize) -> Self {
        Self {
            index: Mutex::new(Index::default()),
            next_key: AtomicU64::new(1),
            ring_capacity,
            queue_capacity,
            max_sessions_per_user: max_sessions_per_user.max(1),
            digest_window: DEFAULT_DIGEST_WINDOW,
            digest_timer: DigestTimer::default(),
            live: LiveConfig::default(),
            live_timer: live_base::LiveTimer::default(),
        }
    }

    /// The same hub with these presence, typing and voice settings.
    pub fn with_live(mut self, live: LiveConfig) -> Self {
        self.live = live;
        self
    }

    /// The same hub, coalescing thread digests over `window` instead of
    /// [`DEFAULT_DIGEST_WINDOW`].
    pub fn with_digest_window(mut self, window: Duration) -> Self {
        self.digest_window = window;
        self
    }

    fn lock(&self) -> MutexGuard<'_, Index> {
        // Every update keeps the maps consistent statement by statement: keep going.
        self.index.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A fresh identifier for a connection or session.
    pub fn next_key(&self) -> u64 {
        self.next_key.fetch_add(1, Ordering::Relaxed)
    }

    /// A new, unregistered session.
    pub fn new_session(&self, user_id: &UserId, device_id: &str) -> Arc<Session> {
        let id = format!("s_{}", uuid::Uuid::new_v4().simple());
        Arc::new(Session::new(
            self.next_key(),
            id,
            user_id.to_owned(),
            device_id.to_owned(),
            self.ring_capacity,
            self.queue_capacity,
        ))
    }

    /// Registers a session whose user is a member of `communities` (the authoritative
    /// list, read under the same ordering lock as every membership change).
    /// A session forgotten meanwhile (its login was abandoned) is not registered.
    ///
    /// A user has at most `max_sessions_per_user` sessions: beyond it the oldest
    /// lingering one is forgotten (its resume will fail and the client syncs), or, when
    /// all are connected, the oldest one is ended with `goodbye{session_replaced}`.
    pub fn register(&self, session: &Arc<Session>, communities: Vec<CommunityId>) {
        let mut index = self.lock();
        // Checked under the index lock; `forget` marks the session before it takes the
        // lock, so a register racing with a forget either is undone by it or skips.
        if session.is_forgotten() {
            return;
        }
        let index_ref = &mut *index;
        index_ref.viewers.invalidate();
        index_ref
            .by_id
            .insert(session.id.clone(), Arc::clone(session));
        let entry = index_ref.users.entry(session.user_id.clone()).or_default();
        entry.sessions.push(Arc::clone(session));
        entry.communities = communities.into_iter().collect();
        for community in &entry.communities {
            let members = index_ref.communities.entry(community.clone()).or_default();
            for s in &entry.sessions {
                members.insert(s.key, Arc::clone(s));
            }
        }
        let evicted =
            index_ref.evict_over(&session.user_id, self.max_sessions_per_user, session.key);
        for (victim, _) in &evicted {
            index_ref.live.follow.forget(victim.key);
            index_ref.large.forget(victim);
            index_ref.live.lists.forget(victim.key);
        }
        drop(index);
        for (victim, outbox) in evicted {
            tracing::info!(user = %victim.user_id, session = %victim.id, "session evicted: too many sessions of one user");
            if let Some(outbox) = outbox {
                outbox.end(Ending::Goodbye(Goodbye::new(
                    GoodbyeReason::SessionReplaced,
                    false,
                    "this user has too many sessions; the oldest was ended",
                )));
            }
        }
    }

    /// Removes a session from every index and frees its buffer. Returns the connection
    /// that served it, if any.
    pub fn forget(&self, session: &Arc<Session>) -> Option<Arc<Outbox>> {
        // Mark first (see `register`), then unlink.
        let outbox = session.forget();
        let mut timers = Vec::new();
        {
            let mut index = self.lock();
            index.viewers.invalidate();
            if index
                .by_id
                .get(&session.id)
                .is_some_and(|s| s.key == session.key)
            {
                index.by_id.remove(&session.id);
            }
            if let Some(mut entry) = index.users.remove(&session.user_id) {
                entry.sessions.retain(|s| s.key != session.key);
                index.unlink_from_communities(session.key, &entry.communities);
                self.live_forgotten(&mut index, session, &entry, &mut timers);
                index.large.forget(session);
                index.live.lists.forget(session.key);
                if !entry.sessions.is_empty() {
                    index.users.insert(session.user_id.clone(), entry);
                }
            }
        }
        self.schedule_live(timers);
        outbox
    }

    /// The session `session_id` of `user_id`, if it exists.
    pub fn find(&self, user_id: &UserId, session_id: &str) -> Option<Arc<Session>> {
        let index = self.lock();
        index
            .by_id
            .get(session_id)
            .filter(|s| s.user_id == *user_id)
            .cloned()
    }

    /// Sessions of `user_id` on `device_id` other than `except_key` (empty for an empty
    /// device id: devices without an id never replace each other).
    pub fn same_device(
        &self,
        user_id: &UserId,
        device_id: &str,
        except_key: u64,
    ) -> Vec<Arc<Session>> {
        if device_id.is_empty() {
            return Vec::new();
        }
        let index = self.lock();
        index
            .users
            .get(user_id)
            .map(|entry| {
                entry
                    .sessions
                    .iter()
                    .filter(|s| s.device_id == device_id && s.key != except_key)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Ends and forgets the sessions of `user_id` on `device_id` other than `except` (a
    /// login on that device, here or — `except` `None` — on another node of the cluster,
    /// replaces them): each gets `goodbye{session_replaced}`. Returns how many.
    pub fn replace_same_device(
        &self,
        user_id: &UserId,
        device_id: &str,
        except: Option<u64>,
    ) -> usize {
        let others = self.same_device(user_id, device_id, except.unwrap_or(u64::MAX));
        for other in &others {
            tracing::info!(user = %user_id, replaced = %other.id, "session replaced by a login on the same device");
            if let Some(old) = self.forget(other) {
                old.end(Ending::Goodbye(Goodbye::new(
                    GoodbyeReason::SessionReplaced,
                    false,
                    "the same user logged in on the same device elsewhere",
                )));
            }
        }
        others.len()
    }

    /// Number of registered sessions (connected or lingering).
    pub fn session_count(&self) -> usize {
        self.lock().by_id.len()
    }

    /// Applies membership changes to the community index (before delivering the events
    /// that go with them).
    pub fn apply(&self, changes: &[MembershipChange]) {
        if changes.is_empty() {
            return;
        }
        let mut index = self.lock();
        let index = &mut *index;
        index.viewers.invalidate();
        for change in changes {
            let Some(entry) = index.users.get_mut(&change.user_id) else {
                continue; // Not online: nothing to route.
            };
            if change.joined {
                entry.communities.insert(change.community_id.clone());
                let members = index
                    .communities
                    .entry(change.community_id.clone())
                    .or_default();
                for s in &entry.sessions {
                    members.insert(s.key, Arc::clone(s));
                }
            } else {
                entry.communities.remove(&change.community_id);
                let keys: Vec<u64> = entry.sessions.iter().map(|s| s.key).collect();
                if let Some(members) = index.communities.get_mut(&change.community_id) {
                    for key in keys {
                        members.remove(&key);
                    }
                    if members.is_empty() {
                        index.communities.remove(&change.community_id);
                    }
                }
            }
        }
    }

    /// Delivers events in order: each is encoded once and pushed to every online session
    /// of its audience (a thread digest through the session's slot for its thread, see
    /// [`digests`]). `caller` is the session that made the request (for
    /// [`Audience::OtherSessionsOfCaller`]). Returns the number of pushes (digests held
    /// for later not counted).
    pub fn deliver(&self, deliveries: &[Delivery], caller: Option<&Session>) -> usize {
        self.deliver_at(deliveries, caller, Instant::now())
    }

    /// [`Hub::deliver`] at `now` (the digest windows' clock).
    fn deliver_at(&self, deliveries: &[Delivery], caller: Option<&Session>, now: Instant) -> usize {
        let mut pushes = 0;
        let mut timers: Vec<(Instant, Target)> = Vec::new();
        let mut live_timers = live_base::Timers::new();
        for delivery in deliveries {
            let body: Arc<str> = match codec::encode_event(&delivery.event) {
                Ok(text) => Arc::from(text),
                Err(error) => {
                    tracing::error!(%error, "event could not be encoded; not delivered");
                    continue;
                }
            };
            let mut guard = self.lock();
            let index = &mut *guard;
            if let Some(key) = DigestKey::of(&delivery.event, &mut index.digest_ids) {
                let offer =
                    index
                        .gates
                        .offer(&key, &body, &delivery.audience, now, self.digest_window);
                if let Offer::FanOut(closes) = offer {
                    timers.push((closes, Target::Gate(key.slot)));
                    let fan_out = FanOut {
                        key,
                        body,
                        audience: delivery.audience.clone(),
                    };
                    pushes += self.fan_out(index, &fan_out, now, &mut timers);
                }
                continue;
            }
            large::purge_activity(index, delivery, caller);
            let purge = Purge::of(&delivery.event, &index.digest_ids);
            if let Some(purge) = &purge {
                // The last state of the threads concerned goes first (see `gates`).
                for fan_out in index.gates.drain(purge) {
                    pushes += self.fan_out(index, &fan_out, now, &mut timers);
                }
            }
            large::note_size(index, delivery, self.live.limits.large_community_members);
            if delivery.counting.is_some() {
                pushes +=
                    self.deliver_counted(index, &body, delivery, caller, now, &mut live_timers);
                continue;
            }
            if let community_protocol::Event::MessageCreated { message } = &delivery.event {
                Hub::flush_activity(index, &message.channel_id);
            }
            // The recipients are taken under the index lock and pushed to after it is
            // released: a fan-out to thousands of sessions never holds up another
            // community's delivery (the caller's ordering lane keeps this community's
            // deliveries in order; a session forgotten meanwhile ignores the push).
            let mut recipients = Vec::new();
            for_each_session(index, &delivery.audience, caller, |session| {
                recipients.push(Arc::clone(session));
            });
            let watchers = large::range_watchers(index, delivery);
            drop(guard);
            for session in &recipients {
                session.push_event_at(&body, purge.as_ref(), now);
            }
            for session in &watchers {
                session.push_event(&body, None);
            }
            pushes += recipients.len() + watchers.len();
        }
        for (at, target) in timers {
            self.digest_timer.schedule(at, target);
        }
        self.schedule_live(live_timers);
        pushes
    }

    /// Offers a digest to every recipient's slot (pushed now, or pending until the slot's
    /// window closes); collects the slots' timers. Returns the pushes.
    fn fan_out(
        &self,
        index: &mut Index,
        fan_out: &FanOut,
        now: Instant,
        timers: &mut Vec<(Instant, Target)>,
    ) -> usize {
        let mut pushes = 0;
        for_each_session(index, &fan_out.audience, None, |session| {
            if let Some(closes) =
                session.push_digest(&fan_out.key, &fan_out.body, now, self.digest_window)
            {
                let target = Target::Session(Arc::downgrade(session), fan_out.key.slot);
                timers.push((closes, target));
                pushes += 1;
            }
        });
        pushes
    }

    /// Closes the digest windows that ended by `now`: a gate fans out its pending digest
    /// (or goes), a session's slot pushes its pending one (or goes); each that pushed opens
    /// the next window. Returns the digests pushed.
    pub fn flush_digests(&self, now: Instant) -> usize {
        let mut pushed = 0;
        let mut timers: Vec<(Instant, Target)> = Vec::new();
        for target in self.digest_timer.take_due(now) {
            match target {
                Target::Session(session, slot) => {
                    let Some(session) = session.upgrade() else {
                        continue;
                    };
                    if let Some(closes) = session.flush_digest(slot, now, self.digest_window) {
                        timers.push((closes, Target::Session(Arc::downgrade(&session), slot)));
                        pushed += 1;
                    }
                }
                Target::Gate(slot) => {
                    let mut index = self.lock();
                    let index = &mut *index;
                    if let Some((fan_out, closes)) = index.gates.due(slot, now, self.digest_window)
                    {
                        timers.push((closes, Target::Gate(slot)));
                        pushed += self.fan_out(index, &fan_out, now, &mut timers);
                    }
                }
            }
        }
        for (at, target) in timers {
            self.digest_timer.schedule(at, target);
        }
        pushed
    }

    /// The task that closes digest windows on time (runs until aborted).
    pub async fn run_digest_timer(&self) {
        loop {
            let rescheduled = self.digest_timer.rescheduled();
            match self.digest_timer.next() {
                Some(at) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(at.into()) => {}
                        () = rescheduled => {}
                    }
                }
                None => rescheduled.await,
            }
            self.flush_digests(Instant::now());
        }
    }
}

#[cfg(test)]
mod tests;
