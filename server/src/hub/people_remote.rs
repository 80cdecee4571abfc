//! Presence across nodes, the hub's side: the looks this node tells the others
//! ([`Hub::presence_looks`]), and what they tell it ([`Hub::remote_presence`],
//! [`Hub::drop_node`]), told to this node's followers like a local change (see
//! [`super::presence_remote`] and `docs/MULTINODE-NATS.md`).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use community_protocol::{CommunityId, PresenceStatus, UserId};
use tokio::sync::Notify;

use super::live_base::Timers;
use super::people::{Moved, tell_moved, touch_count};
use super::presence::Looks;
use super::presence_remote::PresenceLook;
use super::{Hub, Index};

impl Hub {
    /// From now on, local presence changes are noted for the other nodes; the returned
    /// notifier wakes at each (take them with [`Hub::presence_looks`]).
    /// Seats taken and left here are noted too (take them with [`Hub::voice_ops`]).
    pub fn note_presence_changes(&self) -> Arc<Notify> {
        let mut index = self.lock();
        let wake = index.live.presence.note_changes();
        index.live.voice.note_to(Arc::clone(&wake));
        wake
    }

    /// The local looks of the users whose presence changed here since the last call, or
    /// (`all`) of every user connected here (for a node that just appeared).
    pub fn presence_looks(&self, all: bool) -> Vec<PresenceLook> {
        let mut index = self.lock();
        let index = &mut *index;
        let users = if all {
            index.live.presence.connected_here()
        } else {
            index.live.presence.take_changed()
        };
        users
            .into_iter()
            .map(|user| {
                let (connected, presence) = index.live.presence.local_look(&user);
                let communities = index
                    .users
                    .get(&user)
                    .map(|e| e.communities.iter().cloned().collect())
                    .unwrap_or_default();
                PresenceLook {
                    user_id: user,
                    connected,
                    status: presence.status,
                    text: presence.text,
                    last_seen_ms: presence.last_seen_ms,
                    communities,
                }
            })
            .collect()
    }

    /// Node `node` tells how users look there: their followers here are told what
    /// changes for them.
    pub fn remote_presence(&self, node: &str, looks: Vec<PresenceLook>) {
        let now = Instant::now();
        let mut timers = Timers::new();
        {
            let mut index = self.lock();
            let index = &mut *index;
            for look in looks {
                let user = look.user_id.clone();
                let before = index.live.presence.looks(&user);
                let concerned = index.live.presence.remote.set(node, look);
                tell_remote(index, &user, before, concerned, now, &mut timers);
            }
        }
        self.schedule_live(timers);
    }

    /// Node `node` fell silent: its users are disconnected there, the seats taken there
    /// go.
    pub fn drop_node(&self, node: &str) {
        self.drop_node_seats(node);
        let now = Instant::now();
        let mut timers = Timers::new();
        {
            let mut index = self.lock();
            let index = &mut *index;
            for user in index.live.presence.remote.users_on(node) {
                let before = index.live.presence.looks(&user);
                let gone = PresenceLook {
                    user_id: user.clone(),
                    connected: false,
                    status: PresenceStatus::Offline,
                    text: String::new(),
                    last_seen_ms: None,
                    communities: Vec::new(),
                };
                let concerned = index.live.presence.remote.set(node, gone);
                tell_remote(index, &user, before, concerned, now, &mut timers);
            }
        }
        self.schedule_live(timers);
    }

    /// Whether a session of `user` is connected to another node (the push hand-off
    /// pushes to users connected nowhere).
    pub fn connected_elsewhere(&self, user: &UserId) -> bool {
        self.lock().live.presence.remote.connected(user)
    }
}

/// Tells `user`'s followers here how they look now (the viewers of the communities
/// `concerned` and of the user's communities known here included).
fn tell_remote(
    index: &mut Index,
    user: &UserId,
    before: Looks,
    mut concerned: HashSet<CommunityId>,
    now: Instant,
    timers: &mut Timers,
) {
    let listed: Vec<CommunityId> = concerned
        .iter()
        .filter(|c| index.live.follow.has_viewers(c))
        .cloned()
        .collect();
    if let Some(entry) = index.users.get(user) {
        concerned.extend(entry.communities.iter().cloned());
    }
    let moved = Moved {
        user,
        before,
        member_of: Some(&concerned),
        own: &[],
    };
    tell_moved(&mut index.live, &index.communities, moved, now, timers);
    // The communities the look lists (or listed) may count them differently now even if
    // they did not appear or disappear (they joined or left one): recounted through the
    // count windows (an unchanged count is not sent again).
    for community in &listed {
        touch_count(&mut index.live, &index.communities, community, now, timers);
    }
}
