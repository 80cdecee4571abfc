//! [`MemberListSubscription`]: following ranges of a community's sorted member list
//! (protocol §22.2), the way a large community shows its members.
//!
//! [`CommunityHandle::subscribe_member_list`](super::CommunityHandle::subscribe_member_list)
//! asks the server for ranges of positions (e.g. `[0, 99]`, the first hundred) and
//! returns a subscription holding one window per range, the total and online counts and
//! the sections. Its [`next`](MemberListSubscription::next) yields a
//! [`MemberListUpdate`] per change: first a `Reset` with everything, then `Changed` with
//! the operations as received (the SDK has already applied them to its windows, so
//! [`snapshot`](MemberListSubscription::snapshot) is current), a `Reset` whenever the SDK
//! had to subscribe again, and `Replaced` when a newer subscription of the session took
//! over (one community per session). [`set_ranges`](MemberListSubscription::set_ranges)
//! scrolls; dropping the subscription unsubscribes. After a new session the SDK follows
//! the same ranges again by itself (a resumed session keeps them on the server).

use std::sync::{Arc, Weak};

use community_protocol::member_list::{ListRange, SubscribeMemberList};
use community_protocol::request::Empty;
use community_protocol::{CommunityId, op};

use super::client::ClientInner;
use crate::error::SdkError;
pub use crate::member_list::{MemberListSnapshot, MemberListUpdate};
use crate::member_list::{MemberLists, Shared};

impl super::CommunityHandle {
    /// Follows ranges of the community's member list (protocol §22.2), sorted by highest
    /// group, online first, then name: e.g. `vec![ListRange::new(0, 99)]` for the first
    /// hundred. One community per session: this replaces the session's previous member
    /// list subscription (its stream yields `Replaced` and ends).
    ///
    /// Ranges are checked locally first (1 to `member_list_max_ranges`, each at most
    /// `member_list_range_items` positions, not overlapping):
    /// [`SdkError::Api`] with
    /// [`ErrorCode::INVALID_MEMBER_LIST_RANGE`](community_protocol::ErrorCode::INVALID_MEMBER_LIST_RANGE)
    /// (5038), as the server would answer. Needs a connection.
    pub async fn subscribe_member_list(
        &self,
        ranges: Vec<ListRange>,
    ) -> Result<MemberListSubscription, SdkError> {
        let session = self.client.session()?;
        session.read(|state| state.limits.check_member_list_ranges(&ranges))?;
        MemberListSubscription::start(&self.client, self.id().clone(), ranges).await
    }
}

/// A followed member list. Dropping it (or [`cancel`](Self::cancel)) stops following.
pub struct MemberListSubscription {
    client: Weak<ClientInner>,
    lists: Arc<MemberLists>,
    id: u64,
    community_id: CommunityId,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for MemberListSubscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemberListSubscription")
            .field("community_id", &self.community_id)
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl MemberListSubscription {
    /// Subscribes (the caller checked the ranges): registers first, so the answer found
    /// in the event stream is installed, then asks the server.
    pub(crate) async fn start(
        client: &Arc<ClientInner>,
        community_id: CommunityId,
        ranges: Vec<ListRange>,
    ) -> Result<Self, SdkError> {
        let session = client.session()?;
        let lists = session.member_lists.clone();
        let order = lists.clone();
        let _order = order.order.lock().await;
        let (id, shared) = lists.begin(community_id.clone(), ranges.clone());
        let subscription = Self {
            client: Arc::downgrade(client),
            lists,
            id,
            community_id: community_id.clone(),
            shared,
        };
        let answer = session
            .call(op::SubscribeMemberList(SubscribeMemberList {
                community_id,
                ranges,
            }))
            .await?;
        // The sync task installs the answer in wire order; until it has, show it here.
        {
            let mut state = subscription.shared.lock();
            if !state.filled && !state.ended {
                state.view = MemberListSnapshot {
                    community_id: answer.community_id.clone(),
                    total: answer.total,
                    online: answer.online,
                    sections: answer.sections.clone(),
                    windows: answer
                        .ranges
                        .into_iter()
                        .map(community_protocol::member_list::MemberListWindow::new)
                        .collect(),
                };
            }
        }
        Ok(subscription)
    }

    /// The community whose list this follows.
    pub fn community_id(&self) -> &CommunityId {
        &self.community_id
    }

    /// The list as the SDK holds it now: counts, sections and every window with the
    /// operations received so far applied.
    pub fn snapshot(&self) -> MemberListSnapshot {
        self.shared.lock().view.clone()
    }

    /// Whether this is still the session's member list subscription (not replaced, not
    /// failed).
    pub fn is_active(&self) -> bool {
        self.lists.is_active(self.id)
    }

    /// The next update: a `Reset` first, then each change. `None` once the stream has
    /// ended (after `Replaced` or `Failed`, or when the session stops: logout, close).
    pub async fn next(&mut self) -> Option<MemberListUpdate> {
        loop {
            let notified = self.shared.notify.notified();
            {
                let mut state = self.shared.lock();
                if let Some(update) = state.queue.pop_front() {
                    return Some(update);
                }
                if state.ended {
                    return None;
                }
            }
            // The client is gone: nothing will come.
            self.client.upgrade()?;
            notified.await;
        }
    }

    /// The next update if one is ready, without waiting.
    pub fn try_next(&mut self) -> Option<MemberListUpdate> {
        self.shared.lock().queue.pop_front()
    }

    /// Follows other ranges (scrolling): 1 to `member_list_max_ranges`, each at most
    /// `member_list_range_items` positions, not overlapping (checked here first:
    /// [`ErrorCode::INVALID_MEMBER_LIST_RANGE`](community_protocol::ErrorCode::INVALID_MEMBER_LIST_RANGE)).
    /// The new windows arrive as a `Reset`. Fails with [`SdkError::InvalidArgument`]
    /// when this subscription was replaced.
    pub async fn set_ranges(&self, ranges: Vec<ListRange>) -> Result<(), SdkError> {
        let client = self.client.upgrade().ok_or(SdkError::Closed)?;
        let session = client.session()?;
        session.read(|state| state.limits.check_member_list_ranges(&ranges))?;
        let _order = self.lists.order.lock().await;
        if !self.lists.set_ranges(self.id, ranges.clone()) {
            return Err(SdkError::InvalidArgument(
                "this member list subscription was replaced".into(),
            ));
        }
        session
            .call(op::SubscribeMemberList(SubscribeMemberList {
                community_id: self.community_id.clone(),
                ranges,
            }))
            .await?;
        Ok(())
    }

    /// Stops following (as dropping does).
    pub fn cancel(self) {}
}

impl Drop for MemberListSubscription {
    fn drop(&mut self) {
        if self.lists.end(self.id).is_none() {
            return;
        }
        let Some(session) = self.client.upgrade().and_then(|c| c.session().ok()) else {
            return;
        };
        let Some(connection) = session.connection() else {
            return;
        };
        // Dropped outside a runtime: the server forgets it with the session.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let lists = self.lists.clone();
            runtime.spawn(async move {
                let _order = lists.order.lock().await;
                if lists.any_active() {
                    // A newer subscription replaced it on the server already.
                    return;
                }
                if let Err(error) = connection.call(op::UnsubscribeMemberList(Empty {})).await {
                    tracing::debug!(%error, "unsubscribe_member_list not sent");
                }
            });
        }
    }
}
