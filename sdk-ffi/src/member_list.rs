//! A followed member list shared by both binding layers: the SDK's
//! `MemberListSubscription` pumped to a listener or C callback (like every subscription,
//! see [`crate::subscription`]), while `set_ranges` and `snapshot` stay callable.
//!
//! The SDK subscription's `next` takes it mutably and `set_ranges` borrows it, so it sits
//! behind an async lock: the pump holds the lock while it waits for the next update and
//! lets go of it whenever `set_ranges` asks (`set_ranges` queues for the fair lock
//! first, then signals, so the lock passes to it; `next` loses nothing when abandoned).
//! `snapshot` and `is_active` read the copy the pump refreshes after every update (and
//! `set_ranges` after its call), so they never wait.

use std::sync::{Arc, Mutex, PoisonError};

use community_sdk::MemberListSubscription;
use tokio::sync::Notify;

use crate::error::SdkError;
use crate::records::{ListRange, MemberListSnapshot, MemberListUpdate, wire_ranges};
use crate::runtime::{self, run};
use crate::subscription::{Gate, Source, pump_source};

/// One followed member list. Dropping it cancels it.
#[derive(Debug)]
pub struct MemberList {
    community_id: String,
    shared: Arc<Shared>,
    gate: Arc<Gate>,
}

/// What the pump shares with the handle.
#[derive(Debug)]
struct Shared {
    sdk: tokio::sync::Mutex<Option<MemberListSubscription>>,
    /// Asks the pump to let go of `sdk`.
    interrupt: Notify,
    /// The snapshot and activity as of the last update.
    seen: Mutex<(MemberListSnapshot, bool)>,
}

impl Shared {
    fn seen(&self) -> std::sync::MutexGuard<'_, (MemberListSnapshot, bool)> {
        self.seen.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The pump's source: the next update, letting go of the lock when interrupted.
struct Pump(Arc<Shared>);

impl Source<MemberListUpdate> for Pump {
    fn next_value(&mut self) -> impl Future<Output = Option<MemberListUpdate>> + Send {
        let shared = Arc::clone(&self.0);
        async move {
            loop {
                let mut guard = shared.sdk.lock().await;
                let sdk = guard.as_mut()?;
                let next = tokio::select! {
                    biased;
                    next = sdk.next() => next,
                    () = shared.interrupt.notified() => {
                        // The caller waiting for the lock gets it (see `set_ranges`).
                        drop(guard);
                        continue;
                    }
                };
                let Some(update) = next else {
                    shared.seen().1 = false;
                    return None;
                };
                let snapshot = MemberListSnapshot::from(sdk.snapshot());
                let active = sdk.is_active();
                *shared.seen() = (snapshot, active);
                match MemberListUpdate::mirror(update) {
                    Some(update) => return Some(update),
                    // A kind of update this binding does not know: the snapshot has it.
                    None => continue,
                }
            }
        }
    }
}

impl MemberList {
    /// Subscribes to `ranges` of `community`'s member list, delivering each update to
    /// `listener` on the callback thread (a `Reset` first).
    pub async fn start<L>(
        community: community_sdk::CommunityHandle,
        ranges: Vec<ListRange>,
        listener: L,
    ) -> Result<MemberList, SdkError>
    where
        L: Fn(MemberListUpdate) + Send + Sync + 'static,
    {
        let ranges = wire_ranges(ranges);
        let sdk = run(async move { Ok(community.subscribe_member_list(ranges).await?) }).await?;
        Self::pumped(sdk, listener)
    }

    /// As [`start`](Self::start), blocking (the C ABI).
    pub fn start_blocking<L>(
        community: community_sdk::CommunityHandle,
        ranges: Vec<ListRange>,
        listener: L,
    ) -> Result<MemberList, SdkError>
    where
        L: Fn(MemberListUpdate) + Send + Sync + 'static,
    {
        let ranges = wire_ranges(ranges);
        let sdk =
            runtime::block_on(async move { Ok(community.subscribe_member_list(ranges).await?) })?;
        Self::pumped(sdk, listener)
    }

    fn pumped<L>(sdk: MemberListSubscription, listener: L) -> Result<MemberList, SdkError>
    where
        L: Fn(MemberListUpdate) + Send + Sync + 'static,
    {
        let community_id = sdk.community_id().to_string();
        let shared = Arc::new(Shared {
            seen: Mutex::new((sdk.snapshot().into(), sdk.is_active())),
            sdk: tokio::sync::Mutex::new(Some(sdk)),
            interrupt: Notify::new(),
        });
        let gate = pump_source(Pump(Arc::clone(&shared)), listener)?;
        Ok(MemberList {
            community_id,
            shared,
            gate,
        })
    }

    /// The switch of the pump (the C ABI's subscription handle).
    pub(crate) fn gate(&self) -> Arc<Gate> {
        Arc::clone(&self.gate)
    }

    /// The community.
    pub fn community_id(&self) -> &str {
        &self.community_id
    }

    /// The list as of the last update delivered (or being delivered): counts, sections and
    /// windows with its operations applied.
    pub fn snapshot(&self) -> MemberListSnapshot {
        self.shared.seen().0.clone()
    }

    /// Whether this is still the session's member list subscription (not replaced, not
    /// failed, not cancelled).
    pub fn is_active(&self) -> bool {
        self.shared.seen().1
    }

    /// Follows other ranges; the new windows arrive as a `Reset`.
    pub async fn set_ranges(&self, ranges: Vec<ListRange>) -> Result<(), SdkError> {
        let shared = Arc::clone(&self.shared);
        run(async move { set_ranges(&shared, ranges).await }).await
    }

    /// As [`set_ranges`](Self::set_ranges), blocking (the C ABI).
    pub fn set_ranges_blocking(&self, ranges: Vec<ListRange>) -> Result<(), SdkError> {
        runtime::block_on(set_ranges(&self.shared, ranges))
    }

    /// Stops following: no update is delivered after this returns, and the server
    /// forgets the ranges.
    pub fn cancel(&self) {
        if self.gate.is_cancelled() {
            return;
        }
        self.gate.cancel();
        self.shared.seen().1 = false;
        // Dropped on the runtime (the SDK sends `unsubscribe_member_list` from there),
        // once the aborted pump has let go of the lock.
        let shared = Arc::clone(&self.shared);
        if let Ok(rt) = runtime::runtime() {
            drop(rt.spawn(async move {
                let sdk = shared.sdk.lock().await.take();
                drop(sdk);
            }));
        }
    }
}

async fn set_ranges(shared: &Shared, ranges: Vec<ListRange>) -> Result<(), SdkError> {
    // Queue for the lock first, then ask the pump to let go: the (fair) lock passes to
    // the first in its queue, so the pump cannot take it back in between.
    let lock = shared.sdk.lock();
    tokio::pin!(lock);
    let guard = tokio::select! {
        biased;
        guard = &mut lock => guard,
        () = std::future::ready(()) => {
            shared.interrupt.notify_one();
            lock.await
        }
    };
    let sdk = guard
        .as_ref()
        .ok_or_else(|| SdkError::invalid_argument("this member list subscription was cancelled"))?;
    sdk.set_ranges(wire_ranges(ranges)).await?;
    let active = sdk.is_active();
    shared.seen().1 = active;
    Ok(())
}

impl Drop for MemberList {
    fn drop(&mut self) {
        self.cancel();
    }
}
