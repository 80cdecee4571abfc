//! Presence operations and their fan-out: `set_presence`, `subscribe_presence`,
//! `unsubscribe_presence`, `view_community`, and telling followers when a user's presence
//! changes (see [`super::presence`] for the state and its rules).
//!
//! A change is told to the sessions subscribed to the user and to the sessions viewing a
//! community the user is a member of, each once, with the look it may see (a session of
//! the user themselves sees their own look: `invisible` stays `invisible`); `set_presence`
//! also tells every session of the user, so all their devices follow. Each look is
//! encoded once per change. When a change makes the user appear or disappear for others,
//! the `online_count` of each of their viewed communities is recounted through its window
//! ([`super::presence::CountGates`]): at most one count per community per second, the
//! newest, to the community's viewers.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use community_protocol::response::ViewedCommunity;
use community_protocol::{
    ApiError, CommunityId, ErrorCode, Event, Presence, PresenceStatus, UserId, codec,
};

use super::live_base::{LiveConfig, LiveTarget, Timers, wall_ms};
use super::live_state::LiveState;
use super::presence::{CountOffer, Looks, Presences};
use super::{Hub, Session};

/// Most presences a `viewing` answer lists.
pub(crate) const VIEWING_PRESENCES: usize = 1_000;

/// The online sessions of each community (the hub index's own map).
pub(super) type SessionsOf = HashMap<CommunityId, HashMap<u64, Arc<Session>>>;

/// A presence change to tell.
pub(super) struct Moved<'a> {
    /// Whose.
    pub user: &'a UserId,
    /// How they looked before.
    pub before: Looks,
    /// The communities they are a member of (the viewers of each follow them).
    pub member_of: Option<&'a HashSet<CommunityId>>,
    /// Sessions of theirs told their own look whatever they follow (`set_presence`).
    pub own: &'a [Arc<Session>],
}

/// Encodes a `presence_changed` event.
fn encode_presence(presence: &Presence) -> Option<Arc<str>> {
    let event = Event::PresenceChanged {
        presence: presence.clone(),
    };
    match codec::encode_event(&event) {
        Ok(text) => Some(Arc::from(text)),
        Err(error) => {
            tracing::error!(%error, "presence event could not be encoded; not delivered");
            None
        }
    }
}

/// Tells the followers of `moved.user` how they look now, if that changed, and opens
/// the count windows of their viewed communities when they appeared or disappeared.
/// Returns the pushes.
pub(super) fn tell_moved(
    live: &mut LiveState,
    sessions_of: &SessionsOf,
    moved: Moved<'_>,
    now: Instant,
    timers: &mut Timers,
) -> usize {
    let after = live.presence.looks(moved.user);
    let others_changed = after.others != moved.before.others;
    let own_changed = after.own != moved.before.own;
    if after.others.status != moved.before.others.status {
        super::member_list::presence_moved(
            &mut live.lists,
            moved.user,
            after.others.status,
            now,
            timers,
        );
    }
    if !others_changed && !own_changed {
        return 0;
    }
    let others = if others_changed {
        encode_presence(&after.others)
    } else {
        None
    };
    let own = if own_changed {
        encode_presence(&after.own)
    } else {
        None
    };
    // Who follows: the user's own sessions (set_presence), their subscribers, the viewers
    // of each of their communities. A session is told once: the user's own sessions are
    // told first (when listed) and skipped afterwards; the others need bookkeeping only
    // when more than one group has sessions.
    let viewed: Vec<&CommunityId> = moved
        .member_of
        .into_iter()
        .flatten()
        .filter(|c| live.follow.has_viewers(c))
        .collect();
    // In a large community the viewers get the count only; the presence goes to the
    // sessions whose member list ranges show the member (§9.5).
    let ranged: Vec<Arc<Session>> = moved
        .member_of
        .into_iter()
        .flatten()
        .filter(|c| live.large.contains(*c))
        .flat_map(|c| super::member_list::range_sessions(&live.lists, c, moved.user))
        .collect();
    let subscribed = live.follow.subscribers_of(moved.user).next().is_some();
    let groups = usize::from(subscribed) + viewed.len() + usize::from(!ranged.is_empty());
    let mut told: Option<HashSet<u64>> = (groups > 1).then(HashSet::new);
    let mut pushes = 0;
    let mut push = |session: &Arc<Session>| {
        let body = if session.user_id == *moved.user {
            &own
        } else {
            &others
        };
        if let Some(body) = body {
            session.push_event(body, None);
            pushes += 1;
        }
    };
    moved.own.iter().for_each(&mut push);
    let own_told = !moved.own.is_empty();
    let mut tell = |session: &Arc<Session>| {
        if own_told && session.user_id == *moved.user {
            return;
        }
        if let Some(told) = told.as_mut()
            && !told.insert(session.key)
        {
            return;
        }
        push(session);
    };
    live.follow.subscribers_of(moved.user).for_each(&mut tell);
    for community in viewed.iter().filter(|c| !live.large.contains(**c)) {
        live.follow.viewers_of(community).for_each(&mut tell);
    }
    ranged.iter().for_each(&mut tell);
    let shown_before = moved.before.others.status != PresenceStatus::Offline;
    let shown_after = after.others.status != PresenceStatus::Offline;
    if shown_before != shown_after {
        for community in viewed {
            pushes += touch_count(live, sessions_of, community, now, timers);
        }
    }
    pushes
}

/// The members of `community` others see online (connected, not invisible, here or on
/// another node), by user id.
fn online_members<'a>(
    presences: &'a Presences,
    sessions_of: &'a SessionsOf,
    community: &CommunityId,
) -> Vec<&'a UserId> {
    let mut seen: HashSet<&UserId> = HashSet::new();
    let here = sessions_of
        .get(community)
        .into_iter()
        .flat_map(|sessions| sessions.values().map(|s| &s.user_id));
    here.chain(presences.remote.members_of(community))
        .filter(|user| seen.insert(user) && presences.shown_online(user))
        .collect()
}

/// The online count of a viewed community may have changed: sent now through its
/// window, or held until the window closes. Returns the pushes.
pub(super) fn touch_count(
    live: &mut LiveState,
    sessions_of: &SessionsOf,
    community: &CommunityId,
    now: Instant,
    timers: &mut Timers,
) -> usize {
    match live.counts.touch(community, now, LiveConfig::WINDOW) {
        CountOffer::Now(_) => {
            let pushes = send_count(live, sessions_of, community);
            let closes = live
                .counts
                .opened(community, Instant::now(), LiveConfig::WINDOW);
            timers.push((closes, LiveTarget::Count(community.clone())));
            pushes
        }
        CountOffer::Held => 0,
    }
}

/// Counts `community`'s online members and tells its viewers if the count is not the
/// one they were told last.
fn send_count(live: &mut LiveState, sessions_of: &SessionsOf, community: &CommunityId) -> usize {
    let online = online_members(&live.presence, sessions_of, community).len() as u64;
    if !live.counts.changed(community, online) {
        return 0;
    }
    let event = Event::OnlineCount {
        community_id: community.clone(),
        online,
    };
    let body: Arc<str> = match codec::encode_event(&event) {
        Ok(text) => Arc::from(text),
        Err(error) => {
            tracing::error!(%error, "online count could not be encoded; not delivered");
            return 0;
        }
    };
    let mut pushes = 0;
    for session in live.follow.viewers_of(community) {
        session.push_event(&body, None);
        pushes += 1;
    }
    pushes
}

impl Hub {
    /// `set_presence`: the status (online, idle, do-not-disturb or invisible) and text of
    /// every session of the caller's user.
    pub fn set_presence(
        &self,
        session: &Session,
        status: PresenceStatus,
        text: String,
    ) -> Result<(), ApiError> {
        if matches!(status, PresenceStatus::Offline | PresenceStatus::Unknown) {
            return Err(ApiError::new(
                ErrorCode::INVALID_ARGUMENT,
                "a status is online, idle, do_not_disturb or invisible",
            ));
        }
        let most = self.live.limits.presence_text_bytes;
        if text.len() > most {
            return Err(ApiError::new(
                ErrorCode::PROFILE_TOO_LARGE,
                format!("a status text is at most {most} bytes"),
            ));
        }
        self.apply_presence_choice(&session.user_id, status, text, true);
        Ok(())
    }

    /// A status `user` chose on another node of the cluster: applied as if chosen here
    /// when they have a session here (their devices share one status); otherwise nothing
    /// (that node's look tells this one how they look).
    pub fn remote_presence_choice(&self, user: &UserId, status: PresenceStatus, text: String) {
        if matches!(status, PresenceStatus::Offline | PresenceStatus::Unknown) {
            return;
        }
        self.apply_presence_choice(user, status, text, false);
    }

    /// Sets `user`'s chosen status and tells whoever sees the change (`local`: chosen by
    /// a session here; otherwise only applied when a session of the user is here).
    fn apply_presence_choice(
        &self,
        user: &UserId,
        status: PresenceStatus,
        text: String,
        local: bool,
    ) {
        let now = Instant::now();
        let mut timers = Timers::new();
        {
            let mut index = self.lock();
            let index = &mut *index;
            let here = index
                .users
                .get(user)
                .is_some_and(|entry| !entry.sessions.is_empty());
            if !local && !here {
                return;
            }
            let before = index.live.presence.looks(user);
            index.live.presence.set(user, status, text, wall_ms());
            let entry = index.users.get(user);
            let moved = Moved {
                user,
                before,
                member_of: entry.map(|e| &e.communities),
                own: entry.map_or(&[], |e| e.sessions.as_slice()),
            };
            tell_moved(&mut index.live, &index.communities, moved, now, &mut timers);
        }
        self.schedule_live(timers);
    }

    /// `subscribe_presence`: the users' presence now, and their changes from now on (at
    /// most `max_presence_users` per call and followed by one session).
    pub fn subscribe_presence(
        &self,
        session: &Arc<Session>,
        users: &[UserId],
    ) -> Result<Vec<Presence>, ApiError> {
        let most = self.live.limits.max_presence_users;
        self.live.limits.check_user_count(users.len(), most)?;
        for user in users {
            community_protocol::limits::check_user_id(user.as_str())?;
        }
        let mut index = self.lock();
        let live = &mut index.live;
        live.follow
            .subscribe(session, users, most)
            .map_err(|after| {
                ApiError::new(
                    ErrorCode::TOO_MANY_USERS,
                    format!("a session follows at most {most} users ({after} with these)"),
                )
            })?;
        Ok(users
            .iter()
            .map(|user| live.presence.seen(user, *user == session.user_id))
            .collect())
    }

    /// `unsubscribe_presence`.
    pub fn unsubscribe_presence(&self, session: &Session, users: &[UserId]) {
        self.lock().live.follow.unsubscribe(session.key, users);
    }

    /// `view_community`: the session follows the members of `community` (`None`: stops).
    /// `Err(None)` when the user is not a member as far as the hub knows (the caller
    /// asks the domain for the precise error).
    pub fn view_community(
        &self,
        session: &Arc<Session>,
        community: Option<CommunityId>,
    ) -> Result<ViewedCommunity, Option<ApiError>> {
        let mut index = self.lock();
        let index = &mut *index;
        let Some(community) = community else {
            index.live.follow.view(session, None);
            return Ok(ViewedCommunity {
                community_id: CommunityId::from(String::new()),
                online_count: 0,
                presences: Vec::new(),
            });
        };
        let member = index
            .users
            .get(&session.user_id)
            .is_some_and(|entry| entry.communities.contains(&community));
        if !member {
            return Err(None);
        }
        let presences = &index.live.presence;
        let mut online = online_members(presences, &index.communities, &community);
        let online_count = online.len() as u64;
        if index.live.large.contains(&community) {
            // A large community's viewers get the count only (§9.5).
            online.clear();
        }
        online.sort_unstable();
        let presences = online
            .into_iter()
            .take(VIEWING_PRESENCES)
            .map(|user| presences.seen(user, false))
            .collect();
        index.live.follow.view(session, Some(community.clone()));
        Ok(ViewedCommunity {
            community_id: community,
            online_count,
            presences,
        })
    }

    /// The count window of `community` closed at `now`: the newest count goes to its
    /// viewers if one is pending.
    pub(super) fn count_due(&self, community: &CommunityId, now: Instant) {
        let mut index = self.lock();
        let index = &mut *index;
        if index
            .live
            .counts
            .due(community, now, LiveConfig::WINDOW)
            .is_some()
        {
            if index.live.follow.has_viewers(community) {
                send_count(&mut index.live, &index.communities, community);
            }
            let closes = index
                .live
                .counts
                .opened(community, Instant::now(), LiveConfig::WINDOW);
            self.live_timer
                .schedule(closes, LiveTarget::Count(community.clone()));
        }
    }
}
