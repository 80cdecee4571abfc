//! Joined threads in the state: joining (with the head), leaving, changes to a thread's
//! info, and the list of joined threads. Their counters live in [`super::counting`].

use community_protocol::{ChannelHead, ChannelId, CommunityId, ThreadInfo};

use super::State;
use super::community::ThreadState;
use crate::events::Publication;

impl State {
    /// The user joined a thread (or its info came again with the head): it counts now.
    /// Returns false when the community is not held.
    pub(crate) fn join_thread(
        &mut self,
        thread: ThreadInfo,
        head: Option<&ChannelHead>,
        out: &mut Vec<Publication>,
    ) -> bool {
        let community_id = thread.community_id.clone();
        let thread_id = thread.thread_id.clone();
        let Some(community) = self.communities.get_mut(&community_id) else {
            return false;
        };
        let state = match (head, community.threads.remove(&thread_id)) {
            (None, Some(mut known)) => {
                known.info = thread;
                known
            }
            (head, _) => ThreadState::new(thread, head),
        };
        community.threads.insert(thread_id.clone(), state);
        self.recount(&community_id, &thread_id, out);
        true
    }

    /// A thread's info changed (renamed, archived, locked, activity): kept when joined.
    /// Returns whether it is joined.
    pub(crate) fn update_thread(&mut self, thread: &ThreadInfo) -> bool {
        let Some(joined) = self
            .communities
            .get_mut(&thread.community_id)
            .and_then(|c| c.threads.get_mut(&thread.thread_id))
        else {
            return false;
        };
        joined.info = thread.clone();
        true
    }

    /// The user left a thread (or it was deleted, or they lost sight of it). Returns
    /// whether it was joined.
    pub(crate) fn leave_thread(
        &mut self,
        community_id: &CommunityId,
        thread_id: &ChannelId,
        out: &mut Vec<Publication>,
    ) -> bool {
        let Some(community) = self.communities.get_mut(community_id) else {
            return false;
        };
        if community.threads.remove(thread_id).is_none() {
            return false;
        }
        self.recount(community_id, thread_id, out);
        true
    }

    /// A joined thread's info.
    pub(crate) fn joined_thread(
        &self,
        community_id: &CommunityId,
        thread_id: &ChannelId,
    ) -> Option<&ThreadInfo> {
        Some(&self.community(community_id)?.threads.get(thread_id)?.info)
    }

    /// The threads the user joined in a community with their heads, newest activity
    /// first.
    pub(crate) fn joined_threads(
        &self,
        community_id: &CommunityId,
    ) -> Vec<(ThreadInfo, ChannelHead)> {
        let Some(community) = self.community(community_id) else {
            return Vec::new();
        };
        let mut threads: Vec<(ThreadInfo, ChannelHead)> = community
            .threads
            .values()
            .map(|t| (t.info.clone(), t.head(community_id)))
            .collect();
        threads.sort_by_key(|(info, _)| std::cmp::Reverse(info.last_activity_ms));
        threads
    }
}
