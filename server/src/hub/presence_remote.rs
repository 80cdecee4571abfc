//! The presence of users connected to other nodes ([`RemotePresences`], sans I/O), and
//! the look one node tells the others about a user of its own ([`PresenceLook`]).
//!
//! Each node tells the others how its own sessions make a user look (`cluster.presence`,
//! see `docs/MULTINODE-NATS.md`): connected or not, the status others see (`offline`
//! when invisible) and its text, and the user's communities (so the viewers of those
//! communities on the other nodes follow them and count them online). Every node keeps a
//! `user → {node: look}` map of the other nodes' connected users; what others see of a
//! user is the *most online* of this node's look and those ([`most_online`]). A node's
//! entries go when it says the user disconnected, or when the node falls silent (the
//! hub sets each of its users disconnected, [`RemotePresences::users_on`]).

use std::collections::{HashMap, HashSet};

use community_protocol::{CommunityId, PresenceStatus, TimestampMs, UserId};
use serde::{Deserialize, Serialize};

/// How a user looks from one node's sessions, as it crosses nodes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PresenceLook {
    /// The user.
    pub user_id: UserId,
    /// Whether a session of theirs is connected to that node (or within its grace).
    pub connected: bool,
    /// The status others see (`offline` when invisible or not connected).
    pub status: PresenceStatus,
    /// The status text others see.
    #[serde(default)]
    pub text: String,
    /// When others last saw them online there.
    #[serde(default)]
    pub last_seen_ms: Option<TimestampMs>,
    /// The communities they are a member of, as that node knows them.
    #[serde(default)]
    pub communities: Vec<CommunityId>,
}

/// One node's look of a connected user.
#[derive(Debug, Clone)]
struct Entry {
    status: PresenceStatus,
    text: String,
    communities: Vec<CommunityId>,
}

/// How online a status is: online, then do-not-disturb, then idle (the user is at a
/// device in all three), then nothing.
fn rank(status: PresenceStatus) -> u8 {
    match status {
        PresenceStatus::Online => 3,
        PresenceStatus::DoNotDisturb => 2,
        PresenceStatus::Idle => 1,
        _ => 0,
    }
}

/// The most online of two shown looks (`None`: not shown online).
pub(crate) fn most_online<'a>(
    a: Option<(PresenceStatus, &'a str)>,
    b: Option<(PresenceStatus, &'a str)>,
) -> Option<(PresenceStatus, &'a str)> {
    match (a, b) {
        (Some(a), Some(b)) if rank(b.0) > rank(a.0) => Some(b),
        (Some(a), _) => Some(a),
        (None, b) => b,
    }
}

/// The other nodes' connected users. See the module documentation.
#[derive(Default)]
pub(crate) struct RemotePresences {
    users: HashMap<UserId, HashMap<String, Entry>>,
    /// When others last saw each user online on another node (since this node started).
    last_seen: HashMap<UserId, TimestampMs>,
    /// The users of each community with a remote entry that lists it.
    members: HashMap<CommunityId, HashSet<UserId>>,
}

impl RemotePresences {
    /// The most online look of `user` on the other nodes.
    pub fn best(&self, user: &UserId) -> Option<(PresenceStatus, &str)> {
        self.users
            .get(user)?
            .values()
            .filter(|e| rank(e.status) > 0)
            .map(|e| (e.status, e.text.as_str()))
            .fold(None, |best, look| most_online(best, Some(look)))
    }

    /// Whether a session of `user` is connected to another node.
    pub fn connected(&self, user: &UserId) -> bool {
        self.users.contains_key(user)
    }

    /// When others last saw `user` online on another node.
    pub fn last_seen(&self, user: &UserId) -> Option<TimestampMs> {
        self.last_seen.get(user).copied()
    }

    /// The users with a remote look listing `community`.
    pub fn members_of(&self, community: &CommunityId) -> impl Iterator<Item = &UserId> {
        self.members.get(community).into_iter().flatten()
    }

    /// `node` tells how `look.user_id` looks there. Returns the communities concerned
    /// (listed before or now).
    pub fn set(&mut self, node: &str, look: PresenceLook) -> HashSet<CommunityId> {
        let user = look.user_id;
        let mut concerned = self.communities_of(&user);
        if let Some(at) = look.last_seen_ms {
            let seen = self.last_seen.entry(user.clone()).or_insert(at);
            *seen = (*seen).max(at);
        }
        let nodes = self.users.entry(user.clone()).or_default();
        if look.connected {
            nodes.insert(
                node.to_owned(),
                Entry {
                    status: look.status,
                    text: look.text,
                    communities: look.communities,
                },
            );
        } else {
            nodes.remove(node);
        }
        if nodes.is_empty() {
            self.users.remove(&user);
        }
        self.reindex(&user, &concerned);
        concerned.extend(self.communities_of(&user));
        concerned
    }

    /// The users `node` has an entry for.
    pub fn users_on(&self, node: &str) -> Vec<UserId> {
        self.users
            .iter()
            .filter(|(_, nodes)| nodes.contains_key(node))
            .map(|(user, _)| user.clone())
            .collect()
    }

    fn communities_of(&self, user: &UserId) -> HashSet<CommunityId> {
        self.users
            .get(user)
            .into_iter()
            .flat_map(|nodes| nodes.values())
            .flat_map(|e| e.communities.iter().cloned())
            .collect()
    }

    /// Moves `user` in the community index from `before` to what its entries list now.
    fn reindex(&mut self, user: &UserId, before: &HashSet<CommunityId>) {
        let now = self.communities_of(user);
        for gone in before.difference(&now) {
            if let Some(users) = self.members.get_mut(gone) {
                users.remove(user);
                if users.is_empty() {
                    self.members.remove(gone);
                }
            }
        }
        for community in now {
            self.members
                .entry(community)
                .or_default()
                .insert(user.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn look(user: &str, status: PresenceStatus, communities: &[&str]) -> PresenceLook {
        PresenceLook {
            user_id: user.into(),
            connected: status != PresenceStatus::Offline,
            status,
            text: String::new(),
            last_seen_ms: None,
            communities: communities.iter().map(|c| (*c).into()).collect(),
        }
    }

    #[test]
    fn the_most_online_node_wins_and_a_silent_node_goes() {
        let mut remote = RemotePresences::default();
        let a = UserId::from("a");
        remote.set("n1", look("a", PresenceStatus::Idle, &["c1"]));
        remote.set("n2", look("a", PresenceStatus::Online, &["c1", "c2"]));
        assert_eq!(remote.best(&a).map(|b| b.0), Some(PresenceStatus::Online));
        assert_eq!(remote.members_of(&"c2".into()).count(), 1);
        assert_eq!(remote.users_on("n2"), std::slice::from_ref(&a));
        let concerned = remote.set("n2", look("a", PresenceStatus::Offline, &[]));
        assert!(concerned.contains(&CommunityId::from("c2")));
        assert_eq!(remote.best(&a).map(|b| b.0), Some(PresenceStatus::Idle));
        assert_eq!(remote.members_of(&"c2".into()).count(), 0);
        // Invisible on n1: connected, shown offline.
        remote.set("n1", look("a", PresenceStatus::Offline, &[]));
        assert!(!remote.connected(&a));
        let mut hidden = look("a", PresenceStatus::Offline, &["c1"]);
        hidden.connected = true;
        hidden.last_seen_ms = Some(7);
        remote.set("n1", hidden);
        assert!(remote.connected(&a) && remote.best(&a).is_none());
        assert_eq!(remote.last_seen(&a), Some(7));
    }
}
