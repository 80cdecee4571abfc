//! The cache of channel audiences ([`ViewerCache`]): one audience per channel under the
//! access stamp it was computed at, plus the holders of mentioned groups. It is plain
//! data the request context carries; how an audience is computed and when the cache is
//! consulted is `super::audience`'s.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use community_protocol::ChannelId;

use crate::routing::Audience;

/// Channels whose audience is kept at most; beyond it the cache starts over.
const CACHE_CHANNELS: usize = 10_000;

/// The audiences of channels, each under the access stamp it was computed at.
#[derive(Default)]
pub(crate) struct ViewerCache {
    entries: Mutex<HashMap<ChannelId, (i64, Audience)>>,
    /// The holders of mentioned groups in large communities (`super::large`).
    pub holders: super::holders::HolderCache,
}

impl ViewerCache {
    pub(super) fn get(&self, channel_id: &ChannelId, stamp: i64) -> Option<Audience> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries
            .get(channel_id)
            .filter(|(at, _)| *at == stamp)
            .map(|(_, audience)| audience.clone())
    }

    pub(super) fn put(&self, channel_id: &ChannelId, stamp: i64, audience: &Audience) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= CACHE_CHANNELS && !entries.contains_key(channel_id) {
            entries.clear();
        }
        entries.insert(channel_id.clone(), (stamp, audience.clone()));
    }
}
