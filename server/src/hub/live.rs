//! The hub's ephemeral people state — presence, typing, voice — and what drives it: the
//! connection's hooks (a session attached, detached, forgotten), what a domain change means
//! for it ([`Hub::after_domain`]), and one timer task ([`Hub::run_live_timer`]) that closes
//! the typing and `online_count` windows and ends presence grace periods.
//!
//! Nothing here is stored or sequenced per channel: it lives in `LiveState`
//! (`live_state`), inside the hub's index, under the same lock as the sessions, so a change
//! and its fan-out see one picture of who is online. The requests that change it (`set_presence`, `typing`,
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

use std::time::{Duration, Instant};

use community_protocol::{ChannelRemovalReason, Event, UserId};
use community_server_domain::{Audience, Handled};

use super::live_base::{LiveTarget, Timers, TypingKey, wall_ms};
use super::people::{Moved, tell_moved, touch_count};
use super::voice::voice_left;
use super::{Hub, Index, Session, UserEntry};

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
            if let Some(left) = index.live.voice.leave_here(user) {
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
            if let Some(left) = index.live.voice.leave_here(user) {
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
                if index.users.contains_key(user) {
                    // The other nodes learn the user's communities with their look.
                    index.live.presence.note(user);
                }
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
            let rescheduled = self.live_timer.rescheduled();
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
