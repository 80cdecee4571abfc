//! The slow path of large communities (§9.5, §22.1): each session's focus, and the
//! `channel_activity` that replaces whole messages for the sessions that do not show the
//! channel.
//!
//! A `message_created` the domain marked with a [`Counting`] goes whole to the sessions
//! focused on its channel or thread and to the sender's; every other recipient session
//! gets its exact counts through a *slot* per (session, channel), coalesced like thread
//! digests: the first activity after a quiet window is pushed at once and opens a window
//! of `activity_interval_ms`; the messages inside it only add to the slot's pending
//! activity (sequences, counts), pushed when the window closes (the live timer,
//! `LiveTarget::Activity`). So 20 messages a second cost a session one small event a
//! second, and the hub one map update per recipient per message.
//!
//! A slot's sequences stay contiguous: before anything else of the channel reaches the
//! session whole (its own message, a message after the community became small, a focus),
//! the pending activity is pushed (or, for a focus, dropped: the `focused` answer's head
//! covers it). Pending activity lives in the hub, not the connection, so a resumed session
//! still gets it (into its ring like any event); a forgotten session's slots go with it.
//!
//! Focus is kept per session key: a resume keeps it, a new session starts with none.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use community_protocol::{ChannelId, CommunityId, Event, Seq, TimestampMs, codec};
use community_server_domain::{Audience, Counting, Delivery, FocusedAudience};

use super::live_base::LiveTarget;
use super::live_base::Timers;
use super::{Hub, Index, Session, for_each_session};

/// A channel, thread or conversation a session shows.
pub(crate) type Place = (CommunityId, ChannelId);

/// Activity not pushed yet.
#[derive(Debug, Clone, Copy)]
struct Accum {
    first_seq: Seq,
    last_seq: Seq,
    last_ms: TimestampMs,
    unread: u64,
    mentions: u64,
}

/// One session's coalescing of one channel's activity.
struct Slot {
    session: Weak<Session>,
    community_id: CommunityId,
    /// When the last push opened a window (none yet: closed).
    opened_at: Option<Instant>,
    pending: Option<Accum>,
}

impl Slot {
    fn open(&self, now: Instant, window: Duration) -> bool {
        self.opened_at.is_some_and(|at| now < at + window)
    }
}

/// Focus and activity slots of every session (in the hub's index).
#[derive(Default)]
pub(crate) struct LargeState {
    focus: HashMap<u64, Place>,
    focused: HashMap<ChannelId, HashMap<u64, Arc<Session>>>,
    slots: HashMap<(u64, ChannelId), Slot>,
    /// Slots holding pending activity, per channel (so the fast path checks one map).
    pending: HashMap<ChannelId, HashSet<u64>>,
}

fn encode(community_id: &CommunityId, channel_id: &ChannelId, a: &Accum) -> Option<Arc<str>> {
    let event = Event::ChannelActivity {
        community_id: community_id.clone(),
        channel_id: channel_id.clone(),
        last_seq: a.last_seq,
        last_activity_ms: a.last_ms,
        mentioned: a.mentions > 0,
        first_seq: a.first_seq,
        unread: a.unread,
        mentions: a.mentions,
    };
    match codec::encode_event(&event) {
        Ok(text) => Some(Arc::from(text)),
        Err(error) => {
            tracing::error!(%error, "channel_activity could not be encoded");
            None
        }
    }
}

impl LargeState {
    /// Sets (or clears) the focus of `session`; returns the previous one. Pending activity
    /// of the newly focused place is dropped (the `focused` answer's head covers it).
    pub fn set_focus(&mut self, session: &Arc<Session>, place: Option<Place>) -> Option<Place> {
        let previous = self.focus.remove(&session.key);
        if let Some((_, channel)) = &previous
            && let Some(sessions) = self.focused.get_mut(channel)
        {
            sessions.remove(&session.key);
            if sessions.is_empty() {
                self.focused.remove(channel);
            }
        }
        if let Some(place) = place {
            self.drop_slot(session.key, &place.1);
            self.focused
                .entry(place.1.clone())
                .or_default()
                .insert(session.key, Arc::clone(session));
            self.focus.insert(session.key, place);
        }
        previous
    }

    fn drop_slot(&mut self, key: u64, channel: &ChannelId) {
        self.slots.remove(&(key, channel.clone()));
        self.unmark(key, channel);
    }

    fn unmark(&mut self, key: u64, channel: &ChannelId) {
        if let Some(keys) = self.pending.get_mut(channel) {
            keys.remove(&key);
            if keys.is_empty() {
                self.pending.remove(channel);
            }
        }
    }

    /// Forgets everything of a session that is gone.
    pub fn forget(&mut self, session: &Arc<Session>) {
        self.set_focus(session, None);
        let channels: Vec<ChannelId> = self
            .slots
            .keys()
            .filter(|(key, _)| *key == session.key)
            .map(|(_, channel)| channel.clone())
            .collect();
        for channel in channels {
            self.drop_slot(session.key, &channel);
        }
    }

    /// Drops the pending activity an event ends for `key`'s session: of a channel or
    /// thread that is gone for it, or of every channel of a community it left.
    fn purge(&mut self, key: u64, event: &Event) {
        let gone: Vec<ChannelId> = match event {
            Event::ChannelRemoved { channel_id, .. } => vec![channel_id.clone()],
            Event::ThreadRemoved { thread_id, .. } => vec![thread_id.clone()],
            Event::CommunityRemoved { community_id, .. } => self
                .slots
                .iter()
                .filter(|((k, _), slot)| *k == key && slot.community_id == *community_id)
                .map(|((_, channel), _)| channel.clone())
                .collect(),
            _ => return,
        };
        for channel in gone {
            self.drop_slot(key, &channel);
        }
    }

    fn is_focused(&self, key: u64, channel: &ChannelId) -> bool {
        self.focus.get(&key).is_some_and(|(_, c)| c == channel)
    }

    /// Pushes the pending activity of `session` in `channel` now (before something of
    /// the channel reaches it whole).
    fn flush(&mut self, session: &Session, channel: &ChannelId) {
        if !self.pending.contains_key(channel) {
            return;
        }
        let Some(slot) = self.slots.get_mut(&(session.key, channel.clone())) else {
            return;
        };
        if let Some(accum) = slot.pending.take()
            && let Some(body) = encode(&slot.community_id, channel, &accum)
        {
            session.push_event(&body, None);
        }
        self.unmark(session.key, channel);
    }

    /// Pushes every pending activity of `channel` now (its messages come whole again).
    fn flush_channel(&mut self, channel: &ChannelId) {
        let Some(keys) = self.pending.remove(channel) else {
            return;
        };
        for key in keys {
            let Some(slot) = self.slots.get_mut(&(key, channel.clone())) else {
                continue;
            };
            if let (Some(accum), Some(session)) = (slot.pending.take(), slot.session.upgrade())
                && let Some(body) = encode(&slot.community_id, channel, &accum)
            {
                session.push_event(&body, None);
            }
        }
    }

    /// A message of `counting` for `session`, which does not show its channel: pushed
    /// now when the slot's window is closed (returning when it closes), else added to
    /// the pending activity.
    fn offer(
        &mut self,
        session: &Arc<Session>,
        counting: &Counting,
        now: Instant,
        window: Duration,
    ) -> Option<Instant> {
        let unread = counting.unread_for(&session.user_id);
        let add = Accum {
            first_seq: counting.seq,
            last_seq: counting.seq,
            last_ms: counting.created_at_ms,
            unread: u64::from(unread),
            mentions: u64::from(counting.mentions(&session.user_id)),
        };
        let key = (session.key, counting.channel_id.clone());
        let slot = self.slots.entry(key).or_insert_with(|| Slot {
            session: Arc::downgrade(session),
            community_id: counting.community_id.clone(),
            opened_at: None,
            pending: None,
        });
        if !slot.open(now, window) && slot.pending.is_none() {
            slot.opened_at = Some(now);
            if let Some(body) = encode(&counting.community_id, &counting.channel_id, &add) {
                session.push_event(&body, None);
            }
            return Some(now + window);
        }
        match &mut slot.pending {
            Some(accum) => {
                accum.last_seq = add.last_seq;
                accum.last_ms = add.last_ms;
                accum.unread += add.unread;
                accum.mentions += add.mentions;
            }
            None => slot.pending = Some(add),
        }
        self.pending
            .entry(counting.channel_id.clone())
            .or_default()
            .insert(session.key);
        None
    }

    /// The window of a slot closed at `now`: its pending activity is pushed (returning
    /// when the next window closes), else the slot goes.
    fn due(
        &mut self,
        key: u64,
        channel: &ChannelId,
        now: Instant,
        window: Duration,
    ) -> Option<Instant> {
        let slot_key = (key, channel.clone());
        let slot = self.slots.get_mut(&slot_key)?;
        if slot.open(now, window) {
            return None; // A newer window has its own timer.
        }
        let session = slot.session.upgrade();
        match (slot.pending.take(), session) {
            (Some(accum), Some(session)) => {
                slot.opened_at = Some(now);
                if let Some(body) = encode(&slot.community_id, channel, &accum) {
                    session.push_event(&body, None);
                }
                self.unmark(key, channel);
                Some(now + window)
            }
            _ => {
                self.drop_slot(key, channel);
                None
            }
        }
    }
}

/// Before an event that ends a channel, thread or community for its recipients, their
/// pending activity there is dropped (no activity arrives after the place is gone).
pub(super) fn purge_activity(index: &mut Index, delivery: &Delivery, caller: Option<&Session>) {
    if index.large.slots.is_empty()
        || !matches!(
            delivery.event,
            Event::ChannelRemoved { .. }
                | Event::ThreadRemoved { .. }
                | Event::CommunityRemoved { .. }
        )
    {
        return;
    }
    let mut keys = Vec::new();
    for_each_session(index, &delivery.audience, caller, |s| keys.push(s.key));
    for key in keys {
        index.large.purge(key, &delivery.event);
    }
}

/// `member_updated` and `member_left` of a large community (delivered by the domain to
/// the member only) also reach the sessions whose member list ranges show the member
/// (§9.5; the list is updated after the delivery, so it still shows them): those
/// sessions, the member's own left out.
pub(super) fn range_watchers(index: &Index, delivery: &Delivery) -> Vec<Arc<Session>> {
    let (community, user) = match &delivery.event {
        Event::MemberUpdated { member } => (&member.community_id, &member.user_id),
        Event::MemberLeft {
            community_id,
            user_id,
            ..
        } => (community_id, user_id),
        _ => return Vec::new(),
    };
    if !index.live.large.contains(community) {
        return Vec::new();
    }
    super::member_list::range_sessions(&index.live.lists, community, user)
        .into_iter()
        .filter(|session| session.user_id != *user)
        .collect()
}

/// Whether `session` is among the recipients of `within`.
fn reaches(index: &Index, within: &Audience, session: &Session) -> bool {
    let member_of = |community: &CommunityId| {
        index
            .users
            .get(&session.user_id)
            .is_some_and(|e| e.communities.contains(community))
    };
    match within {
        Audience::Community(community) => member_of(community),
        Audience::Viewers(viewers) => {
            member_of(&viewers.community_id) && viewers.includes(&session.user_id)
        }
        Audience::Users(users) => users.contains(&session.user_id),
        Audience::OtherSessionsOfCaller | Audience::Focused(_) => false,
    }
}

/// Visits the sessions of [`Audience::Focused`]: those focused on its channel and those
/// of its `also` users, each once, all within its `within`.
pub(super) fn for_each_focused(
    index: &mut Index,
    focused: &FocusedAudience,
    mut visit: impl FnMut(&Arc<Session>),
) {
    let mut sessions: Vec<Arc<Session>> = index
        .large
        .focused
        .get(&focused.channel_id)
        .map(|s| s.values().cloned().collect())
        .unwrap_or_default();
    for user in &focused.also {
        if let Some(entry) = index.users.get(user) {
            sessions.extend(entry.sessions.iter().cloned());
        }
    }
    let mut seen = HashSet::with_capacity(sessions.len());
    for session in sessions {
        if seen.insert(session.key) && reaches(index, &focused.within, &session) {
            visit(&session);
        }
    }
}

/// What a delivered event says about the size of its community: a member count
/// (`member_joined`, `member_left`) or a message marked for counting (or not).
pub(super) fn note_size(index: &mut Index, delivery: &Delivery, threshold: u64) {
    let (community, large) = match &delivery.event {
        Event::MemberJoined {
            member,
            member_count,
        } => (&member.community_id, *member_count > threshold),
        Event::MemberLeft {
            community_id,
            member_count,
            ..
        } => (community_id, *member_count > threshold),
        Event::MessageCreated { message } if !message.community_id.is_direct() => {
            (&message.community_id, delivery.counting.is_some())
        }
        _ => return,
    };
    note(&mut index.live.large, community, large);
}

fn note(large: &mut HashSet<CommunityId>, community: &CommunityId, is_large: bool) {
    if is_large {
        if !large.contains(community) {
            large.insert(community.clone());
        }
    } else {
        large.remove(community);
    }
}

impl Hub {
    /// Records whether communities are large (read from the domain).
    pub fn note_large(&self, communities: impl IntoIterator<Item = (CommunityId, bool)>) {
        let mut index = self.lock();
        for (community, large) in communities {
            note(&mut index.live.large, &community, large);
        }
    }

    /// Delivers a `message_created` of a large community (see the module documentation);
    /// collects the activity slots' timers. Returns the pushes.
    pub(super) fn deliver_counted(
        &self,
        index: &mut Index,
        body: &Arc<str>,
        delivery: &Delivery,
        caller: Option<&Session>,
        now: Instant,
        timers: &mut Timers,
    ) -> usize {
        let (audience, Some(counting)) = (&delivery.audience, delivery.counting.as_deref()) else {
            return 0;
        };
        let mut sessions = Vec::new();
        for_each_session(index, audience, caller, |s| sessions.push(Arc::clone(s)));
        let window = Duration::from_millis(self.live.limits.activity_interval_ms);
        let channel = &counting.channel_id;
        let mut pushes = 0;
        for session in &sessions {
            let large = &mut index.large;
            if session.user_id == counting.sender_id || large.is_focused(session.key, channel) {
                large.flush(session, channel);
                session.push_event(body, None);
                pushes += 1;
            } else if let Some(closes) = large.offer(session, counting, now, window) {
                timers.push((closes, LiveTarget::Activity(session.key, channel.clone())));
                pushes += 1;
            }
        }
        pushes
    }

    /// Before a `message_created` of `channel` goes whole to everyone (a community no
    /// longer large), the pending activity of the channel goes first.
    pub(super) fn flush_activity(index: &mut Index, channel: &ChannelId) {
        index.large.flush_channel(channel);
    }

    /// The activity window of session `key` in `channel` closed at `now`.
    pub(super) fn activity_due(&self, key: u64, channel: &ChannelId, now: Instant) {
        let window = Duration::from_millis(self.live.limits.activity_interval_ms);
        let next = {
            let mut index = self.lock();
            index.large.due(key, channel, now, window)
        };
        if let Some(at) = next {
            self.schedule_live(vec![(at, LiveTarget::Activity(key, channel.clone()))]);
        }
    }

    /// Sets `session`'s focus (none: cleared); returns the previous one.
    pub fn set_focus(&self, session: &Arc<Session>, place: Option<Place>) -> Option<Place> {
        self.lock().large.set_focus(session, place)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counting(seq: Seq, sender: &str, everyone: bool) -> Counting {
        Counting {
            community_id: "c".into(),
            channel_id: "ch".into(),
            seq,
            created_at_ms: 1_000 + seq as i64,
            sender_id: sender.into(),
            everyone,
            users: Vec::new(),
            group_holders: None,
        }
    }

    fn session(key: u64, user: &str) -> Arc<Session> {
        Arc::new(Session::new(
            key,
            format!("s{key}"),
            user.into(),
            String::new(),
            64,
            64,
        ))
    }

    #[test]
    fn activity_coalesces_per_window_and_stays_contiguous() {
        let mut state = LargeState::default();
        let bob = session(1, "bob");
        let window = Duration::from_millis(1_000);
        let t0 = Instant::now();
        // The first goes at once; the next two wait for the window's end.
        assert!(
            state
                .offer(&bob, &counting(1, "alice", false), t0, window)
                .is_some()
        );
        assert!(
            state
                .offer(&bob, &counting(2, "", false), t0, window)
                .is_none()
        );
        assert!(
            state
                .offer(&bob, &counting(3, "alice", true), t0, window)
                .is_none()
        );
        assert_eq!(bob.last_seq(), 1);
        let channel = ChannelId::from("ch");
        assert!(state.due(1, &channel, t0 + window, window).is_some());
        assert_eq!(bob.last_seq(), 2);
        let Some(slot) = state.slots.get(&(1, channel.clone())) else {
            panic!("the slot stays for the next window");
        };
        assert!(slot.pending.is_none());
        // A whole message of the channel first pushes what is pending.
        assert!(
            state
                .offer(&bob, &counting(4, "alice", false), t0 + window, window)
                .is_none()
        );
        state.flush(&bob, &channel);
        assert_eq!(bob.last_seq(), 3);
        // A quiet window ends the slot.
        assert!(state.due(1, &channel, t0 + window * 3, window).is_none());
        assert!(state.slots.is_empty());
    }

    #[test]
    fn focus_and_removals_drop_pending_activity() {
        let mut state = LargeState::default();
        let bob = session(1, "bob");
        let window = Duration::from_millis(1_000);
        let t0 = Instant::now();
        let channel = ChannelId::from("ch");
        state.offer(&bob, &counting(1, "alice", false), t0, window);
        state.offer(&bob, &counting(2, "alice", false), t0, window);
        state.set_focus(&bob, Some(("c".into(), channel.clone())));
        assert!(state.slots.is_empty() && state.pending.is_empty());
        state.set_focus(&bob, None);
        state.offer(&bob, &counting(3, "alice", false), t0, window);
        state.offer(&bob, &counting(4, "alice", false), t0, window);
        state.purge(
            1,
            &Event::CommunityRemoved {
                community_id: "c".into(),
                reason: community_protocol::RemovalReason::Left,
            },
        );
        assert!(state.due(1, &channel, t0 + window, window).is_none());
        assert_eq!(
            bob.last_seq(),
            2,
            "the two first pushed at once, nothing after"
        );
        state.forget(&bob);
        assert!(state.focus.is_empty() && state.focused.is_empty());
    }
}
