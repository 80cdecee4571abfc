//! The holders of mentioned permission groups, cached per community under its access
//! stamp (every assignment renews it), so counting a mention of a group in a large
//! community (see `large.rs`) reads the holders once, not per message. A plain cache the
//! viewer cache owns; it knows nothing of the domain's context.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use community_protocol::{CommunityId, GroupId, UserId};

/// Communities whose group holders are kept at most; beyond it the cache starts over.
const CACHE_COMMUNITIES: usize = 1_000;

type Holders = HashMap<GroupId, Arc<HashSet<UserId>>>;

/// The holders of each mentioned group, per community, under the access stamp they were
/// read at (every assignment renews the stamp).
#[derive(Default)]
pub(crate) struct HolderCache {
    entries: Mutex<HashMap<CommunityId, (i64, Holders)>>,
}

impl HolderCache {
    pub(super) fn get(
        &self,
        community_id: &CommunityId,
        stamp: i64,
        group: &GroupId,
    ) -> Option<Arc<HashSet<UserId>>> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries
            .get(community_id)
            .filter(|(at, _)| *at == stamp)
            .and_then(|(_, holders)| holders.get(group).cloned())
    }

    pub(super) fn put(
        &self,
        community_id: &CommunityId,
        stamp: i64,
        group: &GroupId,
        set: &Arc<HashSet<UserId>>,
    ) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= CACHE_COMMUNITIES && !entries.contains_key(community_id) {
            entries.clear();
        }
        let entry = entries
            .entry(community_id.clone())
            .or_insert_with(|| (stamp, HashMap::new()));
        if entry.0 != stamp {
            *entry = (stamp, HashMap::new());
        }
        entry.1.insert(group.clone(), Arc::clone(set));
    }
}
