//! Typing indicators: never stored, never sequenced, coalesced.
//!
//! Two rules keep a busy channel cheap, both in [`TypingGates`] (sans I/O, `now` passed
//! in):
//!
//! - **rate**: at most one `typing` per user and channel is forwarded per
//!   `typing_interval_ms` (3 s); the others are answered `ok` and dropped
//!   ([`TypingGates::admit`]) — before any authorisation read, so a client typing fast costs
//!   one lookup. The read is made for the typing that is forwarded; one that is refused
//!   gives its slot back ([`TypingGates::revoke`]), so the next try is checked again.
//! - **coalescing**: one *window* per channel (thread, conversation). The first typing in
//!   a quiet channel is fanned out at once and opens a one-second window; typings inside
//!   the window are gathered (deduplicated, newest first, at most `typing_batch_users`)
//!   and fanned out as one `typing` event when it closes, which opens the next window; a
//!   window that closes with nothing gathered ends. So every receiving session gets at
//!   most one `typing` per channel per second, and the hub visits the channel's readers
//!   at most once a second whatever the number of typers — the gate of
//!   [`super::gates`], applied to typing.
//!
//! The audience is the one a message would have (the domain's `typing_audience`); each
//! receiving session's own user is left out of the users it is told about (a typer's own
//! sessions never hear of their typing; a session whose user is the only typer gets
//! nothing).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use community_protocol::{Event, UserId, codec};
use community_server_domain::Audience;

use super::live_base::{LiveTarget, TypingKey, wall_ms};
use super::{Hub, Index, for_each_session};

/// How long typings are gathered before they go out together (the protocol's second).
pub(crate) const TYPING_WINDOW: Duration = Duration::from_secs(1);

/// An open window of a channel.
struct Window {
    /// When the last fan-out happened (the window runs from here).
    opened_at: Instant,
    /// Typers gathered since, newest first.
    pending: Vec<UserId>,
    /// Who the newest typing is for.
    audience: Audience,
}

#[derive(Default)]
struct ChannelTyping {
    /// When each user's last forwarded typing arrived (the rate).
    forwarded: HashMap<UserId, Instant>,
    window: Option<Window>,
}

/// Typers to fan out now.
#[derive(Debug, PartialEq)]
pub(crate) struct Batch {
    /// Newest first.
    pub users: Vec<UserId>,
    /// To whom.
    pub audience: Audience,
    /// When the window this fan-out opens closes (set its timer).
    pub closes: Instant,
}

/// What a forwarded typing does.
#[derive(Debug, PartialEq)]
pub(crate) enum TypingOffer {
    /// Fan out now.
    Now(Batch),
    /// Gathered into the open window.
    Held,
}

/// What a channel's timer finds.
#[derive(Debug, PartialEq)]
pub(crate) enum TypingDue {
    /// The window closed with typers gathered: fan them out (a new window opens).
    Push(Batch),
    /// Nothing to send; rate entries are left: look again at this instant.
    Sweep(Instant),
    /// Nothing to do (a stale timer, or the channel is quiet and forgotten).
    Nothing,
}

/// The typing state of every channel with recent typing.
#[derive(Default)]
pub(crate) struct TypingGates {
    channels: HashMap<TypingKey, ChannelTyping>,
}

/// Puts `user` first in `users`, once, keeping at most `most`.
fn add_newest(users: &mut Vec<UserId>, user: &UserId, most: usize) {
    users.retain(|u| u != user);
    users.insert(0, user.clone());
    users.truncate(most.max(1));
}

impl TypingGates {
    /// A typing of `user` in `key` at `now`: true when it is to be forwarded (its slot is
    /// taken), false when the user's last forwarded one is less than `interval` old.
    pub fn admit(
        &mut self,
        key: &TypingKey,
        user: &UserId,
        now: Instant,
        interval: Duration,
    ) -> bool {
        let channel = self.channels.entry(key.clone()).or_default();
        match channel.forwarded.get(user) {
            Some(at) if now < *at + interval => false,
            _ => {
                channel.forwarded.insert(user.clone(), now);
                true
            }
        }
    }

    /// Gives back the slot `admit` took at `at` (the typing was refused).
    pub fn revoke(&mut self, key: &TypingKey, user: &UserId, at: Instant) {
        let Some(channel) = self.channels.get_mut(key) else {
            return;
        };
        if channel.forwarded.get(user) == Some(&at) {
            channel.forwarded.remove(user);
        }
        if channel.forwarded.is_empty() && channel.window.is_none() {
            self.channels.remove(key);
        }
    }

    /// An admitted typing of `user`, for `audience`, at `now`.
    pub fn offer(
        &mut self,
        key: &TypingKey,
        user: &UserId,
        audience: Audience,
        now: Instant,
        window: Duration,
        most: usize,
    ) -> TypingOffer {
        let channel = self.channels.entry(key.clone()).or_default();
        match &mut channel.window {
            Some(open) if now < open.opened_at + window => {
                add_newest(&mut open.pending, user, most);
                open.audience = audience;
                TypingOffer::Held
            }
            Some(open) => {
                // The window is over but its timer has not run yet: this one goes now,
                // with what was gathered.
                let mut users = std::mem::take(&mut open.pending);
                add_newest(&mut users, user, most);
                open.opened_at = now;
                open.audience = audience.clone();
                TypingOffer::Now(Batch {
                    users,
                    audience,
                    closes: now + window,
                })
            }
            None => {
                channel.window = Some(Window {
                    opened_at: now,
                    pending: Vec::new(),
                    audience: audience.clone(),
                });
                TypingOffer::Now(Batch {
                    users: vec![user.clone()],
                    audience,
                    closes: now + window,
                })
            }
        }
    }

    /// The timer of `key` ran at `now`.
    pub fn due(
        &mut self,
        key: &TypingKey,
        now: Instant,
        window: Duration,
        interval: Duration,
    ) -> TypingDue {
        let Some(channel) = self.channels.get_mut(key) else {
            return TypingDue::Nothing;
        };
        channel.forwarded.retain(|_, at| now < *at + interval);
        match &mut channel.window {
            Some(open) if now < open.opened_at + window => return TypingDue::Nothing,
            Some(open) if !open.pending.is_empty() => {
                open.opened_at = now;
                return TypingDue::Push(Batch {
                    users: std::mem::take(&mut open.pending),
                    audience: open.audience.clone(),
                    closes: now + window,
                });
            }
            _ => channel.window = None,
        }
        match channel.forwarded.values().min() {
            Some(oldest) => TypingDue::Sweep(*oldest + interval),
            None => {
                self.channels.remove(key);
                TypingDue::Nothing
            }
        }
    }

    /// Forgets `key` (its channel or thread is gone): a gathered batch is not sent.
    pub fn forget(&mut self, key: &TypingKey) {
        self.channels.remove(key);
    }

    /// The fan-out that opened the window of `key` ended at `at`: the window runs from
    /// there, so no session gets two `typing` events of a channel less than a window
    /// apart, however long a fan-out took. Returns when it closes.
    pub fn opened(&mut self, key: &TypingKey, at: Instant, window: Duration) -> Instant {
        if let Some(open) = self
            .channels
            .get_mut(key)
            .and_then(|channel| channel.window.as_mut())
        {
            open.opened_at = at;
        }
        at + window
    }

    /// Channels with typing state now.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.channels.len()
    }
}

impl Hub {
    /// Admits a `typing` of `user` in `key` (the rate): `Some(ticket)` when it is to be
    /// checked and forwarded, `None` when it is dropped (answered `ok`).
    pub fn typing_admit(&self, user: &UserId, key: &TypingKey, now: Instant) -> Option<Instant> {
        let interval = self.live.typing_interval;
        let mut index = self.lock();
        index
            .live
            .typing
            .admit(key, user, now, interval)
            .then_some(now)
    }

    /// The typing admitted with `ticket` was refused: its slot is given back.
    pub fn typing_revoke(&self, user: &UserId, key: &TypingKey, ticket: Instant) {
        self.lock().live.typing.revoke(key, user, ticket);
    }

    /// Forwards an admitted typing of `user` to `audience` (a message's audience there):
    /// at once in a quiet channel, else with the window's batch.
    pub fn typing(&self, user: &UserId, key: &TypingKey, audience: Audience, now: Instant) {
        let mut index = self.lock();
        let index = &mut *index;
        let offer = index.live.typing.offer(
            key,
            user,
            audience,
            now,
            TYPING_WINDOW,
            self.live.typing_batch_users,
        );
        if let TypingOffer::Now(batch) = offer {
            self.typing_fan_out(index, key, &batch);
            let closes = index.live.typing.opened(key, Instant::now(), TYPING_WINDOW);
            self.live_timer
                .schedule(closes, LiveTarget::Typing(key.clone()));
        }
    }

    /// The window of `key` closed: its batch goes out, or the channel winds down.
    pub(super) fn typing_due(&self, key: &TypingKey, now: Instant) {
        let mut index = self.lock();
        let index = &mut *index;
        match index
            .live
            .typing
            .due(key, now, TYPING_WINDOW, self.live.typing_interval)
        {
            TypingDue::Push(batch) => {
                self.typing_fan_out(index, key, &batch);
                let closes = index.live.typing.opened(key, Instant::now(), TYPING_WINDOW);
                self.live_timer
                    .schedule(closes, LiveTarget::Typing(key.clone()));
            }
            TypingDue::Sweep(at) => self
                .live_timer
                .schedule(at, LiveTarget::Typing(key.clone())),
            TypingDue::Nothing => {}
        }
    }

    /// Pushes one `typing` event to every session of the batch's audience: the same
    /// encoded body to all, except that a session of one of the typers gets the others
    /// only (nothing when it was the only one). Returns the pushes.
    fn typing_fan_out(&self, index: &mut Index, key: &TypingKey, batch: &Batch) -> usize {
        let until_ms =
            wall_ms().saturating_add(i64::try_from(self.live.typing_ttl_ms).unwrap_or(i64::MAX));
        let encode = |users: Vec<UserId>| -> Option<Arc<str>> {
            let event = Event::Typing {
                community_id: key.community_id.clone(),
                channel_id: key.channel_id.clone(),
                user_ids: users,
                until_ms,
            };
            match codec::encode_event(&event) {
                Ok(text) => Some(Arc::from(text)),
                Err(error) => {
                    tracing::error!(%error, "typing event could not be encoded; not delivered");
                    None
                }
            }
        };
        let Some(all) = encode(batch.users.clone()) else {
            return 0;
        };
        // The bodies without one typer, made when a session of theirs is met.
        let mut without: Vec<(UserId, Option<Arc<str>>)> = Vec::new();
        let mut pushes = 0;
        for_each_session(index, &batch.audience, None, |session| {
            let body = if batch.users.contains(&session.user_id) {
                match without.iter().find(|(user, _)| *user == session.user_id) {
                    Some((_, body)) => body.clone(),
                    None => {
                        let others: Vec<UserId> = batch
                            .users
                            .iter()
                            .filter(|u| **u != session.user_id)
                            .cloned()
                            .collect();
                        let body = if others.is_empty() {
                            None
                        } else {
                            encode(others)
                        };
                        without.push((session.user_id.clone(), body.clone()));
                        body
                    }
                }
            } else {
                Some(Arc::clone(&all))
            };
            if let Some(body) = body {
                session.push_event(&body, None);
                pushes += 1;
            }
        });
        pushes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INTERVAL: Duration = Duration::from_secs(3);

    fn key(channel: &str) -> TypingKey {
        TypingKey {
            community_id: "c".into(),
            channel_id: channel.into(),
        }
    }

    fn user(name: &str) -> UserId {
        UserId::from(name)
    }

    fn audience() -> Audience {
        Audience::Community("c".into())
    }

    #[test]
    fn one_typing_per_user_and_channel_per_interval_and_refusals_give_the_slot_back() {
        let t0 = Instant::now();
        let later = |ms| t0 + Duration::from_millis(ms);
        let mut gates = TypingGates::default();
        let (a, b) = (user("a"), user("b"));
        assert!(gates.admit(&key("x"), &a, t0, INTERVAL));
        assert!(!gates.admit(&key("x"), &a, later(2_999), INTERVAL));
        assert!(
            gates.admit(&key("y"), &a, later(10), INTERVAL),
            "another channel"
        );
        assert!(
            gates.admit(&key("x"), &b, later(10), INTERVAL),
            "another user"
        );
        assert!(gates.admit(&key("x"), &a, later(3_000), INTERVAL));
        // Refused by the authorisation read: the next one is checked again.
        assert!(gates.admit(&key("z"), &a, later(20), INTERVAL));
        gates.revoke(&key("z"), &a, later(20));
        assert!(gates.admit(&key("z"), &a, later(30), INTERVAL));
    }

    #[test]
    fn the_first_goes_at_once_then_one_batch_per_window_newest_first() {
        let t0 = Instant::now();
        let later = |ms| t0 + Duration::from_millis(ms);
        let window = TYPING_WINDOW;
        let mut gates = TypingGates::default();
        let k = key("x");
        let offer = |gates: &mut TypingGates, name: &str, ms| {
            gates.offer(&k, &user(name), audience(), later(ms), window, 3)
        };
        assert_eq!(
            offer(&mut gates, "a", 0),
            TypingOffer::Now(Batch {
                users: vec![user("a")],
                audience: audience(),
                closes: later(1_000),
            })
        );
        for (name, ms) in [("b", 100), ("c", 200), ("b", 300), ("d", 400), ("e", 500)] {
            assert_eq!(offer(&mut gates, name, ms), TypingOffer::Held);
        }
        assert_eq!(
            gates.due(&k, later(999), window, INTERVAL),
            TypingDue::Nothing
        );
        assert_eq!(
            gates.due(&k, later(1_000), window, INTERVAL),
            TypingDue::Push(Batch {
                users: vec![user("e"), user("d"), user("b")],
                audience: audience(),
                closes: later(2_000),
            }),
            "deduplicated, newest first, at most three"
        );
        // A quiet window ends it; the next typing goes at once.
        assert_eq!(
            gates.due(&k, later(2_000), window, INTERVAL),
            TypingDue::Nothing
        );
        assert!(matches!(offer(&mut gates, "a", 2_500), TypingOffer::Now(_)));
        // A late timer: a typing after the window closed goes now, with what was gathered.
        assert_eq!(offer(&mut gates, "b", 2_600), TypingOffer::Held);
        assert_eq!(
            offer(&mut gates, "c", 3_600),
            TypingOffer::Now(Batch {
                users: vec![user("c"), user("b")],
                audience: audience(),
                closes: later(4_600),
            })
        );
        assert_eq!(
            gates.due(&k, later(3_650), window, INTERVAL),
            TypingDue::Nothing,
            "the stale timer finds a newer window"
        );
    }

    #[test]
    fn a_window_runs_from_the_end_of_its_fan_out() {
        let t0 = Instant::now();
        let later = |ms| t0 + Duration::from_millis(ms);
        let window = TYPING_WINDOW;
        let mut gates = TypingGates::default();
        let k = key("x");
        assert!(matches!(
            gates.offer(&k, &user("a"), audience(), t0, window, 10),
            TypingOffer::Now(_)
        ));
        // The fan-out to every reader took 40 ms: the window closes a second after it.
        assert_eq!(gates.opened(&k, later(40), window), later(1_040));
        assert_eq!(
            gates.offer(&k, &user("b"), audience(), later(1_020), window, 10),
            TypingOffer::Held,
            "still inside the window"
        );
        assert_eq!(
            gates.due(&k, later(1_000), window, INTERVAL),
            TypingDue::Nothing
        );
        assert!(matches!(
            gates.due(&k, later(1_040), window, INTERVAL),
            TypingDue::Push(_)
        ));
    }

    #[test]
    fn rate_entries_are_swept_and_quiet_channels_forgotten() {
        let t0 = Instant::now();
        let later = |ms| t0 + Duration::from_millis(ms);
        let window = TYPING_WINDOW;
        let mut gates = TypingGates::default();
        let k = key("x");
        assert!(gates.admit(&k, &user("a"), t0, INTERVAL));
        gates.offer(&k, &user("a"), audience(), t0, window, 10);
        assert_eq!(
            gates.due(&k, later(1_000), window, INTERVAL),
            TypingDue::Sweep(later(3_000)),
            "the rate entry stays until its interval ends"
        );
        assert_eq!(gates.len(), 1);
        assert_eq!(
            gates.due(&k, later(3_000), window, INTERVAL),
            TypingDue::Nothing
        );
        assert_eq!(gates.len(), 0);
    }
}
