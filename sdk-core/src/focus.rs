//! Which place the app shows, for the server's `focus` (protocol §9.5, §22.1).
//!
//! In a large community the server sends whole messages only to the sessions focused on
//! their channel; every other session gets coalesced `channel_activity`. The SDK focuses
//! what the app shows without the app asking: every live message timeline (a channel's,
//! a thread's or a conversation's `subscribe_messages`) registers here while it is alive,
//! and the place focused is the most recently opened timeline still alive. When it is
//! dropped, focus falls back to the previous still-open one, or to none.
//!
//! The [`FocusTracker`] only keeps that stack and publishes the wanted place on a watch
//! channel; the sync task sends `focus` when the wanted place differs from what the
//! server's session holds (never while offline — the newest wish wins), applies the
//! answer's head and catches the place up.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use community_protocol::{ChannelId, CommunityId};
use tokio::sync::watch;

/// A channel, thread or conversation (`@me`) the app shows.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Place {
    /// The community (`@me` for a conversation).
    pub community_id: CommunityId,
    /// The channel, thread or conversation.
    pub channel_id: ChannelId,
}

/// The open timelines, oldest first, each with its registration number.
#[derive(Default)]
struct Stack {
    next_id: u64,
    open: Vec<(u64, Place)>,
}

impl Stack {
    fn top(&self) -> Option<Place> {
        self.open.last().map(|(_, place)| place.clone())
    }
}

/// The stack of live timelines and the place to focus (the newest).
pub(crate) struct FocusTracker {
    stack: Mutex<Stack>,
    wanted: watch::Sender<Option<Place>>,
}

impl std::fmt::Debug for FocusTracker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FocusTracker")
            .field("wanted", &*self.wanted.borrow())
            .finish_non_exhaustive()
    }
}

impl FocusTracker {
    /// A tracker with nothing open.
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            stack: Mutex::new(Stack::default()),
            wanted: watch::Sender::new(None),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Stack> {
        // The stack is a plain Vec changed in single statements; a panic elsewhere leaves
        // it consistent.
        self.stack.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The place to focus, as it changes (for the sync task).
    pub(crate) fn watch(&self) -> watch::Receiver<Option<Place>> {
        self.wanted.subscribe()
    }

    /// The place to focus now.
    #[cfg(test)]
    pub(crate) fn wanted(&self) -> Option<Place> {
        self.wanted.borrow().clone()
    }

    /// A timeline of `place` opened: it is focused until it is dropped or a newer one
    /// opens. The guard unregisters it when dropped.
    pub(crate) fn open(self: &Arc<Self>, place: Place) -> FocusGuard {
        let (id, top) = {
            let mut stack = self.lock();
            let id = stack.next_id;
            stack.next_id += 1;
            stack.open.push((id, place));
            (id, stack.top())
        };
        self.publish(top);
        FocusGuard {
            tracker: Arc::downgrade(self),
            id,
        }
    }

    fn close(&self, id: u64) {
        let top = {
            let mut stack = self.lock();
            stack.open.retain(|(open, _)| *open != id);
            stack.top()
        };
        self.publish(top);
    }

    fn publish(&self, top: Option<Place>) {
        self.wanted.send_if_modified(|wanted| {
            if *wanted == top {
                false
            } else {
                *wanted = top;
                true
            }
        });
    }
}

/// Keeps one timeline's place on the focus stack while alive.
#[derive(Debug)]
pub(crate) struct FocusGuard {
    tracker: Weak<FocusTracker>,
    id: u64,
}

impl Drop for FocusGuard {
    fn drop(&mut self) {
        if let Some(tracker) = self.tracker.upgrade() {
            tracker.close(self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(channel: &str) -> Place {
        Place {
            community_id: "c".into(),
            channel_id: channel.into(),
        }
    }

    #[test]
    fn the_newest_live_timeline_is_focused_and_focus_falls_back() {
        let tracker = FocusTracker::new();
        let mut wanted = tracker.watch();
        assert_eq!(tracker.wanted(), None);
        let a = tracker.open(place("a"));
        let b = tracker.open(place("b"));
        assert_eq!(tracker.wanted(), Some(place("b")));
        assert!(wanted.has_changed().unwrap_or(false));
        wanted.mark_unchanged();
        // A second timeline of `a` makes it the newest.
        let a2 = tracker.open(place("a"));
        assert_eq!(tracker.wanted(), Some(place("a")));
        drop(a2);
        assert_eq!(tracker.wanted(), Some(place("b")));
        // Dropping an older one changes nothing.
        drop(a);
        assert_eq!(tracker.wanted(), Some(place("b")));
        wanted.mark_unchanged();
        drop(b);
        assert_eq!(tracker.wanted(), None);
        assert!(wanted.has_changed().unwrap_or(false));
    }

    #[test]
    fn a_guard_outliving_its_tracker_is_harmless() {
        let tracker = FocusTracker::new();
        let guard = tracker.open(place("a"));
        drop(tracker);
        drop(guard);
    }
}
