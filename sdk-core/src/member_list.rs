//! The member list the session follows (protocol §22.2): the one active subscription,
//! its windows, and the updates waiting for the app.
//!
//! One community's list per session (the protocol's rule): a new subscription replaces
//! the previous one, whose stream then reports `Replaced` and ends. The windows change in
//! one place only, the sync task, in wire order: the answer to `subscribe_member_list`
//! reaches it as an ordered marker from the connection (between the events sent before
//! and after it), so every `member_list_update` is applied to exactly the windows the
//! server meant. Operations are applied with the protocol's
//! [`MemberListWindow::apply`]; a window that does not fit one, a new session (the
//! server forgot the subscription; a resume keeps it) or a subscriber too far behind
//! makes the sync task subscribe again, and the answer arrives as a `Reset` with the full
//! windows. Nothing here waits or calls the app: updates are queued (bounded) and the
//! subscriber is woken.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use community_protocol::member_list::{
    ListRange, MemberList, MemberListOp, MemberListSection, MemberListWindow,
};
use community_protocol::{ApiError, CommunityId};
use tokio::sync::Notify;

/// Updates one subscriber may have waiting; beyond, they are replaced by one `Reset`.
const BACKLOG: usize = 1_024;

/// The state of a followed member list: counts, sections and one window per range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberListSnapshot {
    /// The community.
    pub community_id: CommunityId,
    /// Members in the list.
    pub total: u64,
    /// Of them online.
    pub online: u64,
    /// The sections in list order (empty ones left out).
    pub sections: Vec<MemberListSection>,
    /// One window per followed range, in the order the server answered them (the order
    /// they were asked in): the list's items at the range's positions.
    pub windows: Vec<MemberListWindow>,
}

impl MemberListSnapshot {
    fn empty(community_id: CommunityId, ranges: &[ListRange]) -> Self {
        Self {
            community_id,
            total: 0,
            online: 0,
            sections: Vec::new(),
            windows: ranges
                .iter()
                .map(|range| MemberListWindow {
                    range: *range,
                    items: Vec::new(),
                })
                .collect(),
        }
    }

    fn from_answer(list: &MemberList) -> Self {
        Self {
            community_id: list.community_id.clone(),
            total: list.total,
            online: list.online,
            sections: list.sections.clone(),
            windows: list
                .ranges
                .iter()
                .cloned()
                .map(MemberListWindow::new)
                .collect(),
        }
    }

    /// Applies `ops` in order to the windows they address; false when one does not fit
    /// (the windows are then unusable until the next `Reset`).
    fn apply(&mut self, ops: &[MemberListOp]) -> bool {
        for op in ops {
            let index = op.index();
            let Some(window) = self.windows.iter_mut().find(|w| w.range.contains(index)) else {
                return false;
            };
            if let Err(error) = window.apply(op) {
                tracing::debug!(%error, "a member list operation did not fit");
                return false;
            }
        }
        true
    }
}

/// One change of a followed member list, as the subscription yields it.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberListUpdate {
    /// The whole list state: the first value, and after the SDK subscribed again (new
    /// ranges, a new session, a window that did not fit, a subscriber far behind).
    /// Earlier windows are void.
    Reset(MemberListSnapshot),
    /// Operations applied to the windows, as received (in order; each lies in one
    /// window), with the counts and sections after them. Empty `ops`: only the counts
    /// changed.
    Changed {
        /// Members in the list now.
        total: u64,
        /// Of them online.
        online: u64,
        /// The sections in list order.
        sections: Vec<MemberListSection>,
        /// The operations, in order.
        ops: Vec<MemberListOp>,
    },
    /// The server refused to follow the list again (e.g. the ranges no longer fit its
    /// limits); the stream ends after this.
    Failed(ApiError),
    /// A newer member list subscription of this session replaced this one; the stream
    /// ends after this.
    Replaced,
}

/// What one subscription shares with the registry.
#[derive(Debug)]
pub(crate) struct Shared {
    state: Mutex<SubState>,
    pub(crate) notify: Notify,
}

#[derive(Debug)]
pub(crate) struct SubState {
    /// The windows as they are now.
    pub view: MemberListSnapshot,
    /// Whether `view` holds an answer yet.
    pub filled: bool,
    /// Updates not yet taken by the subscriber.
    pub queue: VecDeque<MemberListUpdate>,
    /// Replaced, failed or unsubscribed: nothing more comes.
    pub ended: bool,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, SubState> {
        // Plain data changed in single steps; a panic elsewhere leaves it consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn push(&self, update: MemberListUpdate) {
        {
            let mut state = self.lock();
            if state.ended {
                return;
            }
            if matches!(
                update,
                MemberListUpdate::Replaced | MemberListUpdate::Failed(_)
            ) {
                state.ended = true;
            }
            state.queue.push_back(update);
        }
        self.notify.notify_one();
    }
}

/// The active subscription as the sync task sees it.
struct Active {
    id: u64,
    community_id: CommunityId,
    ranges: Vec<ListRange>,
    /// An answer for `ranges` was applied in wire order; updates apply from then on.
    installed: bool,
    /// The sync task should subscribe again.
    resubscribe: bool,
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Registry {
    next_id: u64,
    active: Option<Active>,
}

/// The session's member list subscription (at most one active).
#[derive(Default)]
pub(crate) struct MemberLists {
    registry: Mutex<Registry>,
    /// Held while a (un)subscribe request is decided and sent, so the server sees them in
    /// the order the app made them (an unsubscribe of a dropped subscription never
    /// overtakes the subscription that followed it).
    pub(crate) order: tokio::sync::Mutex<()>,
}

/// What the sync task should ask the server for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resubscribe {
    pub community_id: CommunityId,
    pub ranges: Vec<ListRange>,
}

impl MemberLists {
    fn lock(&self) -> MutexGuard<'_, Registry> {
        // Plain data changed in single steps; a panic elsewhere leaves it consistent.
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A new subscription (before its request is sent): the previous one is replaced.
    pub(crate) fn begin(
        &self,
        community_id: CommunityId,
        ranges: Vec<ListRange>,
    ) -> (u64, Arc<Shared>) {
        let shared = Arc::new(Shared {
            state: Mutex::new(SubState {
                view: MemberListSnapshot::empty(community_id.clone(), &ranges),
                filled: false,
                queue: VecDeque::new(),
                ended: false,
            }),
            notify: Notify::new(),
        });
        let previous = {
            let mut registry = self.lock();
            registry.next_id += 1;
            let id = registry.next_id;
            let previous = registry.active.replace(Active {
                id,
                community_id,
                ranges,
                installed: false,
                resubscribe: false,
                shared: shared.clone(),
            });
            (id, previous)
        };
        let (id, previous) = previous;
        if let Some(previous) = previous {
            previous.shared.push(MemberListUpdate::Replaced);
        }
        (id, shared)
    }

    /// New ranges for subscription `id` (before the request is sent). False when it is
    /// no longer the active one.
    pub(crate) fn set_ranges(&self, id: u64, ranges: Vec<ListRange>) -> bool {
        let mut registry = self.lock();
        match registry.active.as_mut() {
            Some(active) if active.id == id => {
                active.ranges = ranges;
                active.installed = false;
                true
            }
            _ => false,
        }
    }

    /// Whether any subscription is active.
    pub(crate) fn any_active(&self) -> bool {
        self.lock().active.is_some()
    }

    /// Whether `id` is the active subscription.
    pub(crate) fn is_active(&self, id: u64) -> bool {
        self.lock().active.as_ref().is_some_and(|a| a.id == id)
    }

    /// Subscription `id` ends (dropped or cancelled). Returns its community when it was
    /// the active one: the server should stop sending its updates.
    pub(crate) fn end(&self, id: u64) -> Option<CommunityId> {
        let mut registry = self.lock();
        if registry.active.as_ref().is_some_and(|a| a.id == id) {
            return registry.active.take().map(|a| a.community_id);
        }
        None
    }

    /// Subscription `id` cannot go on (its request was refused): it ends with `error`.
    pub(crate) fn fail(&self, id: u64, error: ApiError) {
        let shared = {
            let mut registry = self.lock();
            if registry.active.as_ref().is_none_or(|a| a.id != id) {
                return;
            }
            registry.active.take().map(|a| a.shared)
        };
        if let Some(shared) = shared {
            shared.push(MemberListUpdate::Failed(error));
        }
    }

    /// The active subscription's answer, in wire order (sync task): it becomes the
    /// windows updates apply to, and the subscriber gets it as a `Reset`.
    pub(crate) fn install(&self, list: &MemberList) {
        let shared = {
            let mut registry = self.lock();
            let Some(active) = registry.active.as_mut() else {
                return;
            };
            // The same ranges in any order (the answer's order is the windows' order).
            let mut answered: Vec<(u32, u32)> = list
                .ranges
                .iter()
                .map(|r| (r.range.start, r.range.end))
                .collect();
            let mut asked: Vec<(u32, u32)> =
                active.ranges.iter().map(|r| (r.start, r.end)).collect();
            answered.sort_unstable();
            asked.sort_unstable();
            if active.community_id != list.community_id || asked != answered {
                // The answer to a request the active subscription no longer stands for.
                return;
            }
            active.installed = true;
            active.resubscribe = false;
            active.shared.clone()
        };
        let snapshot = MemberListSnapshot::from_answer(list);
        {
            let mut state = shared.lock();
            if state.ended {
                return;
            }
            state.view = snapshot.clone();
            state.filled = true;
            state.queue.clear();
            state.queue.push_back(MemberListUpdate::Reset(snapshot));
        }
        shared.notify.notify_one();
    }

    /// A `member_list_update` (sync task, in wire order).
    pub(crate) fn on_update(
        &self,
        community_id: &CommunityId,
        total: u64,
        online: u64,
        sections: Vec<MemberListSection>,
        ops: Vec<MemberListOp>,
    ) {
        let mut registry = self.lock();
        let Some(active) = registry.active.as_mut() else {
            return;
        };
        if !active.installed || &active.community_id != community_id {
            // Meant for windows this session no longer holds (before the answer).
            return;
        }
        let shared = active.shared.clone();
        let fits = {
            let mut state = shared.lock();
            if state.ended {
                return;
            }
            let fits = state.view.apply(&ops);
            if fits && state.queue.len() < BACKLOG {
                state.view.total = total;
                state.view.online = online;
                state.view.sections = sections.clone();
                state.queue.push_back(MemberListUpdate::Changed {
                    total,
                    online,
                    sections,
                    ops,
                });
                true
            } else {
                false
            }
        };
        if fits {
            drop(registry);
            shared.notify.notify_one();
        } else {
            // Subscribe again; the answer comes as a Reset.
            active.installed = false;
            active.resubscribe = true;
        }
    }

    /// The session stops (logout, close): the active subscription's stream ends.
    pub(crate) fn close(&self) {
        let active = self.lock().active.take();
        if let Some(active) = active {
            active.shared.lock().ended = true;
            active.shared.notify.notify_one();
        }
    }

    /// A session that did not resume: the server forgot the subscription.
    pub(crate) fn on_new_session(&self) {
        if let Some(active) = self.lock().active.as_mut() {
            active.installed = false;
            active.resubscribe = true;
        }
    }

    /// What the sync task should subscribe to again, if anything (taken: put it back
    /// with [`retry_later`](Self::retry_later) when the request could not be made).
    pub(crate) fn take_resubscribe(&self) -> Option<(u64, Resubscribe)> {
        let mut registry = self.lock();
        let active = registry.active.as_mut()?;
        if !active.resubscribe {
            return None;
        }
        active.resubscribe = false;
        Some((
            active.id,
            Resubscribe {
                community_id: active.community_id.clone(),
                ranges: active.ranges.clone(),
            },
        ))
    }

    /// What subscription `id` follows now, if it is the active one.
    pub(crate) fn current(&self, id: u64) -> Option<Resubscribe> {
        let registry = self.lock();
        let active = registry.active.as_ref().filter(|a| a.id == id)?;
        Some(Resubscribe {
            community_id: active.community_id.clone(),
            ranges: active.ranges.clone(),
        })
    }

    /// The re-subscription of `id` could not be sent (offline): try again later.
    pub(crate) fn retry_later(&self, id: u64) {
        if let Some(active) = self.lock().active.as_mut()
            && active.id == id
        {
            active.resubscribe = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use community_protocol::UserId;
    use community_protocol::member_list::{MemberListItem, MemberListRange};
    use community_protocol::people::PresenceStatus;

    use super::*;

    fn item(name: &str) -> MemberListItem {
        MemberListItem {
            user_id: UserId::from(name),
            display_name: name.to_owned(),
            group_id: None,
            status: PresenceStatus::Online,
            avatar_url: String::new(),
        }
    }

    fn answer(ranges: &[(u32, u32, &[&str])]) -> MemberList {
        MemberList {
            community_id: "c".into(),
            total: 10,
            online: 3,
            sections: Vec::new(),
            ranges: ranges
                .iter()
                .map(|(start, end, names)| MemberListRange {
                    range: ListRange::new(*start, *end),
                    items: names.iter().map(|n| item(n)).collect(),
                })
                .collect(),
        }
    }

    fn names(shared: &Shared, window: usize) -> Vec<String> {
        shared.lock().view.windows[window]
            .items
            .iter()
            .map(|i| i.display_name.clone())
            .collect()
    }

    fn take(shared: &Shared) -> Vec<MemberListUpdate> {
        shared.lock().queue.drain(..).collect()
    }

    #[test]
    fn updates_apply_only_after_the_answer_in_wire_order() {
        let lists = MemberLists::default();
        let (_, shared) = lists.begin("c".into(), vec![ListRange::new(0, 2)]);
        let insert = MemberListOp::Insert {
            index: 0,
            item: item("x"),
        };
        // An update sent before the answer (for a previous subscription) is ignored.
        lists.on_update(&"c".into(), 11, 4, Vec::new(), vec![insert.clone()]);
        assert!(take(&shared).is_empty());
        lists.install(&answer(&[(0, 2, &["a", "b", "c"])]));
        assert!(matches!(&take(&shared)[..], [MemberListUpdate::Reset(_)]));
        lists.on_update(&"c".into(), 11, 4, Vec::new(), vec![insert]);
        assert_eq!(names(&shared, 0), ["x", "a", "b"]);
        let updates = take(&shared);
        assert!(matches!(
            &updates[..],
            [MemberListUpdate::Changed { total: 11, online: 4, ops, .. }] if ops.len() == 1
        ));
        assert_eq!(shared.lock().view.total, 11);
    }

    #[test]
    fn a_window_that_does_not_fit_subscribes_again() {
        let lists = MemberLists::default();
        let (id, shared) = lists.begin("c".into(), vec![ListRange::new(0, 4)]);
        lists.install(&answer(&[(0, 4, &["a", "b"])]));
        take(&shared);
        assert_eq!(lists.take_resubscribe(), None);
        // Position 3 lies past the window's two items.
        lists.on_update(
            &"c".into(),
            3,
            1,
            Vec::new(),
            vec![MemberListOp::Delete { index: 3 }],
        );
        let (again, request) = lists.take_resubscribe().expect("a resubscription");
        assert_eq!(again, id);
        assert_eq!(request.ranges, vec![ListRange::new(0, 4)]);
        // Until the new answer, updates are not applied.
        lists.on_update(
            &"c".into(),
            3,
            1,
            Vec::new(),
            vec![MemberListOp::Delete { index: 0 }],
        );
        assert_eq!(names(&shared, 0), ["a", "b"]);
        lists.install(&answer(&[(0, 4, &["b"])]));
        assert!(
            matches!(&take(&shared)[..], [MemberListUpdate::Reset(s)] if s.windows[0].items.len() == 1)
        );
    }

    #[test]
    fn an_answer_listing_the_ranges_in_another_order_is_installed() {
        let lists = MemberLists::default();
        let ranges = vec![ListRange::new(100, 101), ListRange::new(0, 1)];
        let (_, shared) = lists.begin("c".into(), ranges);
        lists.install(&answer(&[(0, 1, &["a", "b"]), (100, 101, &["y", "z"])]));
        assert!(shared.lock().filled);
        lists.on_update(
            &"c".into(),
            10,
            3,
            Vec::new(),
            vec![MemberListOp::Delete { index: 101 }],
        );
        assert_eq!(names(&shared, 1), ["y"]);
    }

    #[test]
    fn a_new_subscription_replaces_the_previous_one() {
        let lists = MemberLists::default();
        let (first, old) = lists.begin("c".into(), vec![ListRange::new(0, 9)]);
        let (second, new) = lists.begin("d".into(), vec![ListRange::new(0, 9)]);
        assert!(matches!(&take(&old)[..], [MemberListUpdate::Replaced]));
        assert!(old.lock().ended);
        assert!(!lists.is_active(first));
        assert!(lists.is_active(second));
        // Ending the replaced one does not unsubscribe the new one.
        assert_eq!(lists.end(first), None);
        assert_eq!(lists.end(second), Some("d".into()));
        assert!(take(&new).is_empty());
    }

    #[test]
    fn new_ranges_take_effect_with_their_answer_and_a_new_session_resubscribes() {
        let lists = MemberLists::default();
        let (id, shared) = lists.begin("c".into(), vec![ListRange::new(0, 1)]);
        lists.install(&answer(&[(0, 1, &["a", "b"])]));
        assert!(lists.set_ranges(id, vec![ListRange::new(2, 3)]));
        // The answer to the old ranges (late) is not installed.
        lists.install(&answer(&[(0, 1, &["a", "b"])]));
        take(&shared);
        lists.install(&answer(&[(2, 3, &["c", "d"])]));
        assert_eq!(names(&shared, 0), ["c", "d"]);
        lists.on_new_session();
        let (_, request) = lists.take_resubscribe().expect("a resubscription");
        assert_eq!(request.ranges, vec![ListRange::new(2, 3)]);
        lists.retry_later(id);
        assert!(lists.take_resubscribe().is_some());
        lists.fail(
            id,
            ApiError::new(
                community_protocol::ErrorCode::INVALID_MEMBER_LIST_RANGE,
                "no",
            ),
        );
        assert!(matches!(
            take(&shared).last(),
            Some(MemberListUpdate::Failed(_))
        ));
        assert!(!lists.is_active(id));
    }
}
