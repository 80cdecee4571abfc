//! Resolving a channel's viewers ([`ChannelViewers`]) to the sessions online, kept while
//! nothing changes.
//!
//! The domain shares one `Arc<ChannelViewers>` per channel for as long as who may see it
//! stays the same, so the hub resolves each shared set once — through the community's
//! sessions (skipping the exceptions) when most members see the channel, through the few
//! users' sessions otherwise — and keeps the list of sessions under the `Arc`'s identity.
//! A message to a restricted channel then costs what a message to the whole community
//! costs: one walk over a list of sessions. Every change of the index (a session
//! registered or forgotten, a membership change) drops the lists.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Weak};

use community_protocol::{CommunityId, UserId};
use community_server_domain::ChannelViewers;

use super::{Session, UserEntry};

/// Lists kept at most; beyond it they are dropped and resolved again.
const MAX_LISTS: usize = 4_096;

/// One resolved set: the `Weak` pins the `Arc`'s allocation, so its address identifies it
/// for as long as the entry lives.
struct Resolved {
    viewers: Weak<ChannelViewers>,
    sessions: Vec<Arc<Session>>,
}

/// Resolved viewer sets, by the address of their `Arc`.
#[derive(Default)]
pub(super) struct ViewerSessions {
    resolved: HashMap<usize, Resolved>,
}

impl ViewerSessions {
    /// Drops every list (the index changed).
    pub fn invalidate(&mut self) {
        self.resolved.clear();
    }

    /// The online sessions of `viewers`, resolved now or earlier.
    pub fn sessions(
        &mut self,
        users: &HashMap<UserId, UserEntry>,
        communities: &HashMap<CommunityId, HashMap<u64, Arc<Session>>>,
        viewers: &Arc<ChannelViewers>,
    ) -> &[Arc<Session>] {
        let key = Arc::as_ptr(viewers) as usize;
        let fresh = self.resolved.get(&key).is_some_and(|r| {
            r.viewers
                .upgrade()
                .is_some_and(|v| Arc::ptr_eq(&v, viewers))
        });
        if !fresh {
            if self.resolved.len() >= MAX_LISTS {
                self.resolved.clear();
            }
            let sessions = resolve(users, communities, viewers);
            self.resolved.insert(
                key,
                Resolved {
                    viewers: Arc::downgrade(viewers),
                    sessions,
                },
            );
        }
        self.resolved
            .get(&key)
            .map_or(&[], |r| r.sessions.as_slice())
    }
}

/// The online sessions of the members who see the channel.
fn resolve(
    users: &HashMap<UserId, UserEntry>,
    communities: &HashMap<CommunityId, HashMap<u64, Arc<Session>>>,
    viewers: &ChannelViewers,
) -> Vec<Arc<Session>> {
    let mut sessions = Vec::new();
    if viewers.by_default {
        if let Some(members) = communities.get(&viewers.community_id) {
            sessions.extend(
                members
                    .values()
                    .filter(|s| !viewers.exceptions.contains(&s.user_id))
                    .cloned(),
            );
        }
    } else {
        let mut seen = HashSet::new();
        for user in &viewers.exceptions {
            let Some(entry) = users.get(user) else {
                continue;
            };
            // Only while a member (the index follows membership changes).
            if !entry.communities.contains(&viewers.community_id) {
                continue;
            }
            for session in &entry.sessions {
                if seen.insert(session.key) {
                    sessions.push(Arc::clone(session));
                }
            }
        }
    }
    sessions
}
