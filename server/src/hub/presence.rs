//! Presence state, sans I/O: what each user shows ([`Presences`]), who follows whose
//! presence ([`Followers`]: subscriptions and the community each session views) and the
//! per-community windows of `online_count` ([`CountGates`]). Time comes in as a parameter;
//! the hub ([`super::people`]) does the fan-out.
//!
//! A user is *connected* while any of their sessions is attached to a live connection, and
//! for a grace period after the last one detached (`ServerConfig::presence_grace`), so a
//! reconnect does not flap. What others see ([`Presences::seen`]): the status and text
//! the user set while connected, unless the status is `invisible`; otherwise `offline`
//! without text, with `last_seen_ms` — when others last saw them online. The user's own
//! sessions see their `invisible` as it is. The status and text last as long as any session
//! of the user exists (connected or lingering for resume); when the last one is gone they
//! are reset (the next login starts `online` with no text), and only `last_seen_ms` stays
//! (in memory, since the server started).
//!
//! With several nodes, others see the most online of this node's look and the other
//! nodes' ([`super::presence_remote`]); a user's own sessions see this node's look while
//! connected here. Local changes are noted for the cluster once it asks
//! ([`Presences::note_changes`]).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use community_protocol::{CommunityId, Presence, PresenceStatus, TimestampMs, UserId};
use tokio::sync::Notify;

use super::Session;
use super::presence_remote::{RemotePresences, most_online};

/// What one user set and whether they are connected.
#[derive(Debug, Clone, Default)]
struct UserPresence {
    status: PresenceStatus,
    text: String,
    connected: bool,
    last_seen_ms: Option<TimestampMs>,
    /// When the grace after the last detach ends (while one runs).
    offline_due: Option<Instant>,
}

impl UserPresence {
    fn shown_online(&self) -> bool {
        self.connected && self.status != PresenceStatus::Invisible
    }
}

/// How a user's presence looks to others and to their own sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Looks {
    /// To everyone else.
    pub others: Presence,
    /// To the user's own sessions.
    pub own: Presence,
}

/// Every user's presence.
#[derive(Default)]
pub(crate) struct Presences {
    users: HashMap<UserId, UserPresence>,
    /// The users connected to other nodes.
    pub remote: RemotePresences,
    /// Users whose local look changed since the cluster last took them (while noted).
    changed: HashSet<UserId>,
    /// Woken at each local change, once the cluster asked ([`Presences::note_changes`]).
    noted: Option<Arc<Notify>>,
}

impl Presences {
    /// `user`'s status as others see it (`invisible` and not connected: `offline`),
    /// without building a whole presence (the member list reads it for every member).
    pub fn status_seen(&self, user: &UserId) -> PresenceStatus {
        let local = self
            .users
            .get(user)
            .filter(|p| p.shown_online())
            .map(|p| (p.status, ""));
        most_online(local, self.remote.best(user)).map_or(PresenceStatus::Offline, |l| l.0)
    }

    /// `user`'s presence as their own sessions (`own`) or anyone else sees it: the most
    /// online of this node's and the other nodes' looks (own sessions connected here see
    /// this node's look).
    pub fn seen(&self, user: &UserId, own: bool) -> Presence {
        let local = self.users.get(user);
        if let Some(p) = local.filter(|p| own && p.connected) {
            return Presence {
                user_id: user.clone(),
                status: p.status,
                text: p.text.clone(),
                last_seen_ms: None,
            };
        }
        let shown = local
            .filter(|p| p.shown_online())
            .map(|p| (p.status, p.text.as_str()));
        match most_online(shown, self.remote.best(user)) {
            Some((status, text)) => Presence {
                user_id: user.clone(),
                status,
                text: text.to_owned(),
                last_seen_ms: None,
            },
            None => Presence {
                user_id: user.clone(),
                status: PresenceStatus::Offline,
                text: String::new(),
                last_seen_ms: local
                    .and_then(|p| p.last_seen_ms)
                    .max(self.remote.last_seen(user)),
            },
        }
    }

    /// How `user` looks to others from this node's sessions alone, and whether one of
    /// them is connected (what this node tells the others).
    pub fn local_look(&self, user: &UserId) -> (bool, Presence) {
        let found = self.users.get(user);
        let presence = match found {
            Some(p) if p.shown_online() => Presence {
                user_id: user.clone(),
                status: p.status,
                text: p.text.clone(),
                last_seen_ms: None,
            },
            _ => Presence {
                user_id: user.clone(),
                status: PresenceStatus::Offline,
                text: String::new(),
                last_seen_ms: found.and_then(|p| p.last_seen_ms),
            },
        };
        (found.is_some_and(|p| p.connected), presence)
    }

    /// From now on, notes the users whose local look changes and wakes the returned
    /// notifier (the cluster takes them with [`Presences::take_changed`]).
    pub fn note_changes(&mut self) -> Arc<Notify> {
        Arc::clone(self.noted.get_or_insert_with(Arc::default))
    }

    /// The users whose local look changed since the last call.
    pub fn take_changed(&mut self) -> Vec<UserId> {
        self.changed.drain().collect()
    }

    /// The users connected here (and within their grace).
    pub fn connected_here(&self) -> Vec<UserId> {
        self.users
            .iter()
            .filter(|(_, p)| p.connected)
            .map(|(user, _)| user.clone())
            .collect()
    }

    /// Both looks of `user`.
    pub fn looks(&self, user: &UserId) -> Looks {
        Looks {
            others: self.seen(user, false),
            own: self.seen(user, true),
        }
    }

    /// Whether others see `user` online (connected and not invisible, here or on
    /// another node).
    pub fn shown_online(&self, user: &UserId) -> bool {
        self.users.get(user).is_some_and(UserPresence::shown_online)
            || self.remote.best(user).is_some()
    }

    /// Changes `user`'s record; `last_seen_ms` becomes `now_ms` when others stop seeing
    /// them online.
    fn mutate(
        &mut self,
        user: &UserId,
        now_ms: TimestampMs,
        change: impl FnOnce(&mut UserPresence),
    ) {
        let record = self.users.entry(user.clone()).or_default();
        let was_shown = record.shown_online();
        change(record);
        if was_shown && !record.shown_online() {
            record.last_seen_ms = Some(now_ms);
        }
        self.note(user);
    }

    /// Notes `user` for the cluster (their look or their communities changed here),
    /// once the cluster asked ([`Presences::note_changes`]).
    pub fn note(&mut self, user: &UserId) {
        if let Some(noted) = &self.noted {
            self.changed.insert(user.clone());
            noted.notify_one();
        }
    }

    /// The user set their status and text.
    pub fn set(
        &mut self,
        user: &UserId,
        status: PresenceStatus,
        text: String,
        now_ms: TimestampMs,
    ) {
        self.mutate(user, now_ms, |p| {
            p.status = status;
            p.text = text;
        });
    }

    /// A session of `user` is attached: connected (any grace ends).
    pub fn connect(&mut self, user: &UserId, now_ms: TimestampMs) {
        self.mutate(user, now_ms, |p| {
            p.connected = true;
            p.offline_due = None;
        });
    }

    /// The user's last attached session detached: offline at `due` unless a session
    /// attaches first. True when a timer must be set for `due` (the user was connected).
    pub fn disconnect_at(&mut self, user: &UserId, due: Instant) -> bool {
        match self.users.get_mut(user) {
            Some(p) if p.connected => {
                p.offline_due = Some(due);
                true
            }
            _ => false,
        }
    }

    /// The grace of `user` may have ended at `now`: true when it did (and the caller
    /// found no attached session), the user now offline.
    pub fn settle(&mut self, user: &UserId, now: Instant, now_ms: TimestampMs) -> bool {
        let due = self.users.get(user).and_then(|p| p.offline_due);
        if due.is_none_or(|due| due > now) {
            return false;
        }
        self.disconnect(user, now_ms);
        true
    }

    /// Offline now.
    pub fn disconnect(&mut self, user: &UserId, now_ms: TimestampMs) {
        if self.users.contains_key(user) {
            self.mutate(user, now_ms, |p| {
                p.connected = false;
                p.offline_due = None;
            });
        }
    }

    /// The user's last session is gone: offline, and their status and text reset.
    pub fn reset(&mut self, user: &UserId, now_ms: TimestampMs) {
        self.disconnect(user, now_ms);
        let forget = match self.users.get_mut(user) {
            Some(p) => {
                p.status = PresenceStatus::Online;
                p.text.clear();
                p.last_seen_ms.is_none()
            }
            None => false,
        };
        if forget {
            self.users.remove(user);
        }
    }
}

/// What one session follows.
#[derive(Default)]
struct Following {
    subscribed: HashSet<UserId>,
    viewing: Option<CommunityId>,
}

/// Who follows whose presence: sessions subscribed to users, sessions viewing a
/// community (they follow its members).
#[derive(Default)]
pub(crate) struct Followers {
    subscribers: HashMap<UserId, HashMap<u64, Arc<Session>>>,
    viewers: HashMap<CommunityId, HashMap<u64, Arc<Session>>>,
    sessions: HashMap<u64, Following>,
}

impl Followers {
    /// Subscribes `session` to `users`, unless it would then follow more than `cap`
    /// users (`Err` with that number; nothing changes).
    pub fn subscribe(
        &mut self,
        session: &Arc<Session>,
        users: &[UserId],
        cap: usize,
    ) -> Result<(), usize> {
        let following = self.sessions.entry(session.key).or_default();
        let new: HashSet<&UserId> = users
            .iter()
            .filter(|u| !following.subscribed.contains(*u))
            .collect();
        let after = following.subscribed.len() + new.len();
        if after > cap {
            if following.subscribed.is_empty() && following.viewing.is_none() {
                self.sessions.remove(&session.key);
            }
            return Err(after);
        }
        for user in new {
            following.subscribed.insert(user.clone());
            self.subscribers
                .entry(user.clone())
                .or_default()
                .insert(session.key, Arc::clone(session));
        }
        Ok(())
    }

    /// Ends subscriptions of session `key`.
    pub fn unsubscribe(&mut self, key: u64, users: &[UserId]) {
        let Some(following) = self.sessions.get_mut(&key) else {
            return;
        };
        for user in users {
            if following.subscribed.remove(user) {
                remove_from(&mut self.subscribers, user, key);
            }
        }
        self.drop_if_idle(key);
    }

    /// Session `session` views `community` (`None`: nothing); returns what it viewed.
    pub fn view(
        &mut self,
        session: &Arc<Session>,
        community: Option<CommunityId>,
    ) -> Option<CommunityId> {
        let following = self.sessions.entry(session.key).or_default();
        let previous = std::mem::replace(&mut following.viewing, community.clone());
        if let Some(previous) = &previous {
            remove_from(&mut self.viewers, previous, session.key);
        }
        if let Some(community) = community {
            self.viewers
                .entry(community)
                .or_default()
                .insert(session.key, Arc::clone(session));
        }
        self.drop_if_idle(session.key);
        previous
    }

    /// The community session `key` views.
    #[cfg(test)]
    pub fn viewing(&self, key: u64) -> Option<&CommunityId> {
        self.sessions.get(&key).and_then(|f| f.viewing.as_ref())
    }

    /// How many users session `key` is subscribed to.
    #[cfg(test)]
    pub fn subscribed(&self, key: u64) -> usize {
        self.sessions.get(&key).map_or(0, |f| f.subscribed.len())
    }

    /// Sessions `keys` stop viewing `community` if they do (their user left it).
    pub fn stop_viewing(&mut self, keys: &[u64], community: &CommunityId) {
        for key in keys {
            let viewing = self
                .sessions
                .get_mut(key)
                .filter(|f| f.viewing.as_ref() == Some(community));
            if let Some(following) = viewing {
                following.viewing = None;
                remove_from(&mut self.viewers, community, *key);
                self.drop_if_idle(*key);
            }
        }
    }

    /// Session `key` is gone: it follows nothing any more.
    pub fn forget(&mut self, key: u64) {
        let Some(following) = self.sessions.remove(&key) else {
            return;
        };
        for user in &following.subscribed {
            remove_from(&mut self.subscribers, user, key);
        }
        if let Some(community) = &following.viewing {
            remove_from(&mut self.viewers, community, key);
        }
    }

    /// Whether any session views `community`.
    pub fn has_viewers(&self, community: &CommunityId) -> bool {
        self.viewers.contains_key(community)
    }

    /// The sessions viewing `community`.
    pub fn viewers_of(&self, community: &CommunityId) -> impl Iterator<Item = &Arc<Session>> {
        self.viewers
            .get(community)
            .into_iter()
            .flat_map(|m| m.values())
    }

    /// The sessions subscribed to `user`.
    pub fn subscribers_of(&self, user: &UserId) -> impl Iterator<Item = &Arc<Session>> {
        self.subscribers
            .get(user)
            .into_iter()
            .flat_map(|m| m.values())
    }

    fn drop_if_idle(&mut self, key: u64) {
        if self
            .sessions
            .get(&key)
            .is_some_and(|f| f.subscribed.is_empty() && f.viewing.is_none())
        {
            self.sessions.remove(&key);
        }
    }
}

/// Removes `key` from the set under `at`, and the set when it is empty.
fn remove_from<K: std::hash::Hash + Eq>(
    map: &mut HashMap<K, HashMap<u64, Arc<Session>>>,
    at: &K,
    key: u64,
) {
    if let Some(sessions) = map.get_mut(at) {
        sessions.remove(&key);
        if sessions.is_empty() {
            map.remove(at);
        }
    }
}

/// A community's `online_count` window.
struct CountGate {
    /// When the count was last sent (the window runs from here).
    opened_at: Instant,
    /// A member's presence changed inside the window.
    pending: bool,
    /// The count last sent.
    sent: Option<u64>,
}

/// What to do when a viewed community's online count may have changed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum CountOffer {
    /// Count and send now; the window closes at this instant (set its timer).
    Now(Instant),
    /// Held until the window closes.
    Held,
}

/// The `online_count` windows of the viewed communities: at most one count per community
/// per window reaches its viewers, the newest.
#[derive(Default)]
pub(crate) struct CountGates {
    gates: HashMap<CommunityId, CountGate>,
}

impl CountGates {
    /// The online count of `community` may have changed at `now`.
    pub fn touch(&mut self, community: &CommunityId, now: Instant, window: Duration) -> CountOffer {
        match self.gates.get_mut(community) {
            Some(gate) if now < gate.opened_at + window => {
                gate.pending = true;
                CountOffer::Held
            }
            Some(gate) => {
                gate.opened_at = now;
                gate.pending = false;
                CountOffer::Now(now + window)
            }
            None => {
                self.gates.insert(
                    community.clone(),
                    CountGate {
                        opened_at: now,
                        pending: false,
                        sent: None,
                    },
                );
                CountOffer::Now(now + window)
            }
        }
    }

    /// The window of `community` may have closed at `now`: `Some(next close)` when a
    /// change is pending (count and send now); `None` otherwise (the gate goes when its
    /// window passed quietly).
    pub fn due(
        &mut self,
        community: &CommunityId,
        now: Instant,
        window: Duration,
    ) -> Option<Instant> {
        let gate = self.gates.get_mut(community)?;
        if now < gate.opened_at + window {
            return None;
        }
        if gate.pending {
            gate.pending = false;
            gate.opened_at = now;
            return Some(now + window);
        }
        self.gates.remove(community);
        None
    }

    /// The count of `community` went out at `at` (after the fan-out): its window runs from
    /// there. Returns when it closes.
    pub fn opened(&mut self, community: &CommunityId, at: Instant, window: Duration) -> Instant {
        if let Some(gate) = self.gates.get_mut(community) {
            gate.opened_at = at;
        }
        at + window
    }

    /// Records `count` as sent for `community`: false when it is the count sent last
    /// (nothing to send).
    pub fn changed(&mut self, community: &CommunityId, count: u64) -> bool {
        match self.gates.get_mut(community) {
            Some(gate) if gate.sent == Some(count) => false,
            Some(gate) => {
                gate.sent = Some(count);
                true
            }
            None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: Duration = Duration::from_secs(1);

    fn user(name: &str) -> UserId {
        UserId::from(name)
    }

    #[test]
    fn invisible_looks_offline_to_others_and_invisible_to_oneself() {
        let mut p = Presences::default();
        let a = user("a");
        assert_eq!(p.seen(&a, false).status, PresenceStatus::Offline);
        p.connect(&a, 1_000);
        p.set(&a, PresenceStatus::DoNotDisturb, "busy".into(), 1_500);
        let looks = p.looks(&a);
        assert_eq!(
            (looks.others.status, looks.others.text.as_str()),
            (PresenceStatus::DoNotDisturb, "busy")
        );
        assert!(p.shown_online(&a));
        p.set(&a, PresenceStatus::Invisible, "hidden".into(), 2_000);
        let looks = p.looks(&a);
        assert_eq!(looks.others.status, PresenceStatus::Offline);
        assert_eq!(looks.others.text, "");
        assert_eq!(
            looks.others.last_seen_ms,
            Some(2_000),
            "last seen going invisible"
        );
        assert_eq!(looks.own.status, PresenceStatus::Invisible);
        assert_eq!(looks.own.text, "hidden");
        assert!(!p.shown_online(&a));
    }

    #[test]
    fn offline_after_the_grace_unless_reconnected_and_reset_when_all_sessions_go() {
        let t0 = Instant::now();
        let later = |ms| t0 + Duration::from_millis(ms);
        let mut p = Presences::default();
        let a = user("a");
        p.connect(&a, 0);
        p.set(&a, PresenceStatus::Idle, "away".into(), 0);
        assert!(p.disconnect_at(&a, later(500)));
        assert!(!p.settle(&a, later(499), 499), "the grace still runs");
        assert!(p.shown_online(&a));
        // Reconnected within the grace: the timer finds nothing to do.
        p.connect(&a, 600);
        assert!(!p.settle(&a, later(700), 700));
        assert!(p.disconnect_at(&a, later(1_500)));
        assert!(p.settle(&a, later(1_500), 1_500));
        let seen = p.seen(&a, false);
        assert_eq!(
            (seen.status, seen.last_seen_ms),
            (PresenceStatus::Offline, Some(1_500))
        );
        assert!(
            !p.disconnect_at(&a, later(2_000)),
            "offline already: no timer"
        );
        // The status survives while a session lingers; it resets when all are gone.
        p.connect(&a, 2_000);
        assert_eq!(p.seen(&a, false).status, PresenceStatus::Idle);
        p.reset(&a, 3_000);
        assert_eq!(p.seen(&a, false).last_seen_ms, Some(3_000));
        p.connect(&a, 4_000);
        let seen = p.seen(&a, false);
        assert_eq!(
            (seen.status, seen.text.as_str()),
            (PresenceStatus::Online, "")
        );
        // A user who was never shown online leaves nothing behind.
        let b = user("b");
        p.set(&b, PresenceStatus::Invisible, String::new(), 0);
        p.reset(&b, 10);
        assert!(!p.users.contains_key(&b));
    }

    fn session(key: u64, user: &str) -> Arc<Session> {
        Arc::new(Session::new(
            key,
            format!("s{key}"),
            user.into(),
            String::new(),
            8,
            8,
        ))
    }

    #[test]
    fn subscriptions_are_bounded_per_session_and_end_with_it() {
        let mut f = Followers::default();
        let s = session(1, "x");
        let users: Vec<UserId> = (0..4).map(|i| user(&format!("u{i}"))).collect();
        f.subscribe(&s, &users[..3], 4).unwrap();
        // Already followed users do not count twice.
        f.subscribe(&s, &users[..2], 4).unwrap();
        assert_eq!(f.subscribe(&s, &[user("u8"), user("u9")], 4), Err(5));
        assert_eq!(f.subscribed(1), 3);
        f.subscribe(&s, &users[3..], 4).unwrap();
        assert_eq!(f.subscribers_of(&users[0]).count(), 1);
        f.unsubscribe(1, &users[..1]);
        assert_eq!(f.subscribers_of(&users[0]).count(), 0);
        assert_eq!(f.view(&s, Some("c".into())), None);
        assert_eq!(f.viewing(1), Some(&CommunityId::from("c")));
        assert!(f.has_viewers(&"c".into()));
        assert_eq!(
            f.view(&s, Some("d".into())),
            Some("c".into()),
            "one viewed community"
        );
        assert!(!f.has_viewers(&"c".into()));
        f.stop_viewing(&[1], &"d".into());
        assert!(!f.has_viewers(&"d".into()));
        f.forget(1);
        assert_eq!(f.subscribed(1), 0);
        assert_eq!(f.subscribers_of(&users[3]).count(), 0);
        assert!(f.sessions.is_empty() && f.subscribers.is_empty() && f.viewers.is_empty());
    }

    #[test]
    fn online_counts_are_sent_at_most_once_a_window_the_newest() {
        let t0 = Instant::now();
        let later = |ms| t0 + Duration::from_millis(ms);
        let mut gates = CountGates::default();
        let c = CommunityId::from("c");
        assert_eq!(gates.touch(&c, t0, WINDOW), CountOffer::Now(later(1_000)));
        assert!(gates.changed(&c, 5));
        assert_eq!(gates.touch(&c, later(100), WINDOW), CountOffer::Held);
        assert_eq!(gates.touch(&c, later(900), WINDOW), CountOffer::Held);
        assert_eq!(gates.due(&c, later(999), WINDOW), None);
        assert_eq!(gates.due(&c, later(1_000), WINDOW), Some(later(2_000)));
        assert!(
            !gates.changed(&c, 5),
            "back to the count sent: nothing to send"
        );
        assert_eq!(
            gates.due(&c, later(2_000), WINDOW),
            None,
            "a quiet window: the gate goes"
        );
        assert_eq!(
            gates.touch(&c, later(2_100), WINDOW),
            CountOffer::Now(later(3_100))
        );
        assert!(gates.changed(&c, 6));
        // Counted and sent by 2,150: the window runs from there.
        assert_eq!(gates.opened(&c, later(2_150), WINDOW), later(3_150));
        assert_eq!(gates.touch(&c, later(3_120), WINDOW), CountOffer::Held);
        assert_eq!(gates.due(&c, later(3_100), WINDOW), None);
        assert_eq!(gates.due(&c, later(3_150), WINDOW), Some(later(4_150)));
    }
}
