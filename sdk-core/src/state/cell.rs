//! [`StateCell`]: the in-memory [`State`] behind its lock, together with the hub its
//! changes are published to — the one way the model is read and changed.
//!
//! The lock is a std mutex, never held across an `.await`; a mutation queues its
//! publications in the hub while still holding it (a plain queue, nothing is sent and no
//! listener runs), so subscribers see diffs in the order the state changed.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::State;
use crate::events::{Hub, Publication};
use crate::model::ListDiff;

/// The state and the hub, shared by the API, the sync task and the outbox driver.
pub(crate) struct StateCell {
    state: Mutex<State>,
    hub: Arc<Hub>,
}

impl StateCell {
    /// A cell holding `state`, publishing to `hub`.
    pub(crate) fn new(state: State, hub: Arc<Hub>) -> Self {
        Self {
            state: Mutex::new(state),
            hub,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent between statements; a panic elsewhere must not take
        // the whole client down.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The hub changes are published to.
    pub(crate) fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }

    /// Reads the state.
    pub(crate) fn read<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        f(&self.lock())
    }

    /// Changes the state; the publications are queued before the lock is released.
    pub(crate) fn update<R>(&self, f: impl FnOnce(&mut State, &mut Vec<Publication>) -> R) -> R {
        let mut state = self.lock();
        let mut out = Vec::new();
        let result = f(&mut state, &mut out);
        self.hub.publish(out);
        drop(state);
        result
    }

    /// Publishes the whole state as resets (when this session becomes the client's).
    pub(crate) fn publish_reset(&self) {
        self.update(|state, out| {
            out.push(Publication::Community(ListDiff::Reset(
                state.community_entries(),
            )));
            for id in state.community_ids() {
                if let Some(channels) = state.channel_entries(&id) {
                    out.push(Publication::Channel {
                        community_id: id,
                        diff: ListDiff::Reset(channels),
                    });
                }
            }
            out.push(Publication::Conversation(ListDiff::Reset(
                state.conversation_entries(),
            )));
            out.push(state.unread_reset());
        });
    }
}
