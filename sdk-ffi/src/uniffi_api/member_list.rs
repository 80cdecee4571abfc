//! The member list of a community (protocol §22.2) in Kotlin, Swift and Python:
//! `Community.subscribe_member_list` returns a [`MemberListSubscription`] whose listener
//! gets a `Reset` first, then `Changed` operations; `set_ranges` scrolls.

use std::sync::Arc;

use super::Community;
use super::listeners::{ListenerError, report};
use crate::error::SdkError;
use crate::member_list::MemberList;
use crate::records::{ListRange, MemberListSnapshot, MemberListUpdate};

/// Receives a member list's updates: `Reset` first (and after every `set_ranges`), then
/// `Changed`; `Failed` or `Replaced` last.
#[uniffi::export(foreign)]
pub trait MemberListListener: Send + Sync {
    /// One update.
    fn on_update(&self, update: MemberListUpdate) -> Result<(), ListenerError>;
}

/// A followed member list. Cancel it (or drop it: close it in Kotlin, let it go in Swift
/// and Python) to stop following.
#[derive(Debug, uniffi::Object)]
pub struct MemberListSubscription {
    inner: MemberList,
}

#[uniffi::export(async_runtime = "tokio")]
impl MemberListSubscription {
    /// The community.
    pub fn community_id(&self) -> String {
        self.inner.community_id().to_owned()
    }

    /// The list as of the last update delivered (or being delivered): counts, sections and
    /// each window with the operations received so far applied.
    pub fn snapshot(&self) -> MemberListSnapshot {
        self.inner.snapshot()
    }

    /// Whether this is still the session's member list subscription (not replaced, not
    /// failed, not cancelled).
    pub fn is_active(&self) -> bool {
        self.inner.is_active()
    }

    /// Follows other ranges (scrolling), checked as in `subscribe_member_list`
    /// (`invalid_member_list_range`, 5038). The new windows arrive as a `Reset`.
    pub async fn set_ranges(&self, ranges: Vec<ListRange>) -> Result<(), SdkError> {
        self.inner.set_ranges(ranges).await
    }

    /// Stops following. After it returns the listener is not called again.
    pub fn cancel(&self) {
        self.inner.cancel();
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl Community {
    /// Follows ranges of the community's member list (e.g. `[ListRange(0, 99)]`, the first
    /// hundred), sorted by highest group, online before offline, then name. The listener
    /// gets a `Reset` with the counts, sections and windows first, then `Changed`
    /// operations. One community per session: this replaces the session's previous member
    /// list subscription (whose listener gets `Replaced`). Ranges are checked first: 1 to
    /// `member_list_max_ranges`, each at most `member_list_range_items` positions, not
    /// overlapping, else `invalid_member_list_range` (5038). Needs a connection.
    pub async fn subscribe_member_list(
        &self,
        ranges: Vec<ListRange>,
        listener: Arc<dyn MemberListListener>,
    ) -> Result<Arc<MemberListSubscription>, SdkError> {
        let inner = MemberList::start(self.inner.clone(), ranges, move |update| {
            report(listener.on_update(update))
        })
        .await?;
        Ok(Arc::new(MemberListSubscription { inner }))
    }
}
