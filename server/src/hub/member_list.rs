//! The lazy member list (§22.2) in the hub: which session follows which ranges of which
//! community, one sorted [`MemberIndex`] per community someone follows, and the
//! `member_list_update` events that keep every followed window exact.
//!
//! An index is built from one domain read of every member (`Domain::member_list_rows`)
//! when the first session subscribes and dropped when the last one leaves. While it loads,
//! the changes committed meanwhile are only noted (the members touched, or "rebuild");
//! the subscribing task reads those members again and applies them before the list is
//! *ready* (`Hub::member_list_step`), so nothing committed during the load is missed.
//! Once ready, every committed change that concerns members (`member_joined`, `_left`,
//! `_updated`, `groups_changed`, `profile_updated`) is read back by the request that made
//! it (`Shared`, on its blocking thread, in commit order) and applied here; presence
//! changes come from `super::people` under the hub's lock.
//!
//! Each change is turned into operations per distinct followed range
//! (`super::member_ops`), then per session: a session whose ranges the change touches gets
//! `member_list_update` with its operations and the counts at once; the others only when
//! the counts changed, coalesced to at most one per second per community (the newest
//! counts), by the live timer (`LiveTarget::ListCounts`).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use community_protocol::member_list::{
    ListRange, MemberList, MemberListItem, MemberListOp, MemberListRange, MemberListSection,
};
use community_protocol::{CommunityId, Event, GroupId, PresenceStatus, UserId, codec};
use community_server_domain::{Handled, MemberListRows};

use super::live_base::{LiveTarget, Timers};
use super::member_index::{Entry, MemberIndex};
use super::member_ops::{Change, apply, replace};
use super::presence::Presences;
use super::{Hub, Session};

/// The counts window of a member list.
const COUNTS_WINDOW: Duration = Duration::from_secs(1);

struct Subscriber {
    session: Arc<Session>,
    ranges: Vec<ListRange>,
    /// The counts changed since the last update it got.
    stale: bool,
}

#[derive(Default)]
struct List {
    index: Option<MemberIndex>,
    positions: HashMap<GroupId, i64>,
    ready: bool,
    touched: HashSet<UserId>,
    rebuild: bool,
    subscribers: HashMap<u64, Subscriber>,
    counts_opened: Option<Instant>,
}

/// Every followed member list (in the hub's live state).
#[derive(Default)]
pub(crate) struct MemberLists {
    lists: HashMap<CommunityId, List>,
    by_session: HashMap<u64, CommunityId>,
}

impl MemberLists {
    /// Stops session `key`'s subscription; the list goes with its last subscriber.
    pub fn forget(&mut self, key: u64) {
        let Some(community) = self.by_session.remove(&key) else {
            return;
        };
        if let Some(list) = self.lists.get_mut(&community) {
            list.subscribers.remove(&key);
            if list.subscribers.is_empty() {
                self.lists.remove(&community);
            }
        }
    }
}

/// What a subscribing task does next.
pub(crate) enum ListStep {
    /// Subscribed: the answer.
    Answer(MemberList),
    /// Read every member and call again with them.
    LoadAll,
    /// Read these members again and call again with them.
    Load(Vec<UserId>),
}

/// Rows read for a list: every member, or some.
pub(crate) struct Loaded {
    /// Every member (a build or rebuild) or only the ones asked for.
    pub all: bool,
    /// The asked members (all, or some; absent ones are not members).
    pub users: Vec<UserId>,
    /// What the domain read.
    pub rows: MemberListRows,
    /// Every member's entry sorted already (built off the hub's lock by
    /// [`Hub::member_list_prepare`]).
    pub built: Option<MemberIndex>,
}

/// Work for the request that committed a change: read these members of these lists.
pub(crate) struct ListWork {
    /// The community.
    pub community_id: CommunityId,
    /// Every member (groups changed) or these.
    pub all: bool,
    /// The members to read again.
    pub users: Vec<UserId>,
}

fn entry_of_status(
    row: &community_server_domain::store::MemberListRow,
    positions: &HashMap<GroupId, i64>,
    status: PresenceStatus,
) -> Entry {
    let display_name = [&row.nickname, &row.profile_name]
        .into_iter()
        .find(|name| !name.is_empty())
        .cloned()
        .unwrap_or_else(|| row.user_id.to_string());
    let position = row
        .group_id
        .as_ref()
        .and_then(|g| positions.get(g).copied());
    Entry::new(
        MemberListItem {
            user_id: row.user_id.clone(),
            display_name,
            group_id: row.group_id.clone().filter(|_| position.is_some()),
            status,
            avatar_url: row.avatar_url.clone(),
        },
        position,
    )
}

fn entry_of(
    row: &community_server_domain::store::MemberListRow,
    positions: &HashMap<GroupId, i64>,
    presence: &Presences,
) -> Entry {
    entry_of_status(row, positions, presence.status_seen(&row.user_id))
}

fn counts(index: &MemberIndex) -> (u64, u64, Vec<MemberListSection>) {
    (index.len() as u64, index.online(), index.sections())
}

fn encode(
    community: &CommunityId,
    index: &MemberIndex,
    ops: Vec<MemberListOp>,
) -> Option<Arc<str>> {
    let (total, online, sections) = counts(index);
    let event = Event::MemberListUpdate {
        community_id: community.clone(),
        total,
        online,
        sections,
        ops,
    };
    match codec::encode_event(&event) {
        Ok(text) => Some(Arc::from(text)),
        Err(error) => {
            tracing::error!(%error, "member_list_update could not be encoded");
            None
        }
    }
}

impl List {
    /// Applies rows read for this list (building it when `all`).
    fn load(&mut self, loaded: Loaded, presence: &Presences) -> Vec<Change> {
        self.positions = loaded.rows.positions.clone();
        if loaded.all {
            let index = match loaded.built {
                Some(mut index) => {
                    resync(&mut index, presence);
                    index
                }
                None => MemberIndex::new(
                    loaded
                        .rows
                        .rows
                        .iter()
                        .map(|row| entry_of(row, &self.positions, presence))
                        .collect(),
                ),
            };
            self.index = Some(index);
            return Vec::new();
        }
        let mut found: HashMap<&UserId, Entry> = loaded
            .rows
            .rows
            .iter()
            .map(|row| (&row.user_id, entry_of(row, &self.positions, presence)))
            .collect();
        loaded
            .users
            .iter()
            .map(|user| match found.remove(user) {
                Some(entry) => Change::Upsert(entry),
                None => Change::Remove(user.clone()),
            })
            .collect()
    }

    /// The distinct followed ranges and, per subscriber, where its ranges are in them.
    fn ranges(&self) -> (Vec<ListRange>, Vec<(u64, Vec<usize>)>) {
        let mut distinct: Vec<ListRange> = Vec::new();
        let mut at: HashMap<ListRange, usize> = HashMap::new();
        let mut per = Vec::with_capacity(self.subscribers.len());
        for (key, subscriber) in &self.subscribers {
            let slots = subscriber
                .ranges
                .iter()
                .map(|range| {
                    *at.entry(*range).or_insert_with(|| {
                        distinct.push(*range);
                        distinct.len() - 1
                    })
                })
                .collect();
            per.push((*key, slots));
        }
        (distinct, per)
    }

    /// Applies changes and tells the subscribers (see the module documentation).
    fn change(
        &mut self,
        community: &CommunityId,
        changes: Vec<Change>,
        rebuilt: Option<MemberIndex>,
        now: Instant,
        timers: &mut Timers,
    ) {
        let (distinct, per) = self.ranges();
        let Some(index) = self.index.as_mut() else {
            return;
        };
        let before = counts(index);
        let mut ops: Vec<Vec<MemberListOp>> = vec![Vec::new(); distinct.len()];
        if let Some(rebuilt) = rebuilt {
            let old: Vec<Vec<MemberListItem>> = distinct
                .iter()
                .map(|r| index.items(r.start as usize, r.end as usize))
                .collect();
            *index = rebuilt;
            ops = replace(&old, index, &distinct);
        }
        for change in changes {
            if let Some(step) = apply(index, change, &distinct) {
                for (all, more) in ops.iter_mut().zip(step) {
                    all.extend(more);
                }
            }
        }
        let counts_changed = counts(index) != before;
        let mut bodies: HashMap<Vec<usize>, Option<Arc<str>>> = HashMap::new();
        for (key, slots) in per {
            let Some(subscriber) = self.subscribers.get_mut(&key) else {
                continue;
            };
            if slots.iter().all(|s| ops[*s].is_empty()) {
                subscriber.stale |= counts_changed;
                continue;
            }
            let body = bodies.entry(slots.clone()).or_insert_with(|| {
                let mine: Vec<MemberListOp> =
                    slots.iter().flat_map(|s| ops[*s].iter().cloned()).collect();
                encode(community, index, mine)
            });
            if let Some(body) = body {
                subscriber.session.push_event(body, None);
            }
            subscriber.stale = false;
        }
        if counts_changed
            && self
                .counts_opened
                .is_none_or(|at| now >= at + COUNTS_WINDOW)
        {
            self.push_counts(community);
            self.counts_opened = Some(now);
            timers.push((
                now + COUNTS_WINDOW,
                LiveTarget::ListCounts(community.clone()),
            ));
        }
    }

    /// Pushes the counts to every subscriber whose counts are stale; true when any.
    fn push_counts(&mut self, community: &CommunityId) -> bool {
        let Some(index) = self.index.as_ref() else {
            return false;
        };
        let mut body = None;
        let mut any = false;
        for subscriber in self.subscribers.values_mut().filter(|s| s.stale) {
            let body = body.get_or_insert_with(|| encode(community, index, Vec::new()));
            if let Some(body) = body {
                subscriber.session.push_event(body, None);
            }
            subscriber.stale = false;
            any = true;
        }
        any
    }

    fn answer(&self, community: &CommunityId, ranges: &[ListRange]) -> Option<MemberList> {
        let index = self.index.as_ref()?;
        let (total, online, sections) = counts(index);
        Some(MemberList {
            community_id: community.clone(),
            total,
            online,
            sections,
            ranges: ranges
                .iter()
                .map(|range| MemberListRange {
                    range: *range,
                    items: index.items(range.start as usize, range.end as usize),
                })
                .collect(),
        })
    }
}

/// Brings the statuses of an index built off the lock up to date (presence moved while
/// it was built).
fn resync(index: &mut MemberIndex, presence: &Presences) {
    let moved: Vec<Entry> = index
        .entries()
        .filter_map(|entry| {
            let now = presence.status_seen(&entry.item().user_id);
            (now != entry.item().status).then(|| entry.with_status(now))
        })
        .collect();
    for entry in moved {
        apply(index, Change::Upsert(entry), &[]);
    }
}

/// A presence change of `user` (as others see it now: `status`): their place in every
/// ready list they are in.
pub(super) fn presence_moved(
    lists: &mut MemberLists,
    user: &UserId,
    status: PresenceStatus,
    now: Instant,
    timers: &mut Timers,
) {
    // A list still loading is kept too (it has no subscribers to tell yet).
    for (community, list) in &mut lists.lists {
        let Some(entry) = list
            .index
            .as_ref()
            .and_then(|index| index.find(user))
            .map(|(_, entry)| entry.with_status(status))
        else {
            continue;
        };
        list.change(community, vec![Change::Upsert(entry)], None, now, timers);
    }
}

/// The sessions whose followed ranges of `community`'s list show `user` now.
pub(super) fn range_sessions(
    lists: &MemberLists,
    community: &CommunityId,
    user: &UserId,
) -> Vec<Arc<Session>> {
    let Some(list) = lists.lists.get(community).filter(|l| l.ready) else {
        return Vec::new();
    };
    let Some((at, _)) = list.index.as_ref().and_then(|index| index.find(user)) else {
        return Vec::new();
    };
    list.subscribers
        .values()
        .filter(|s| s.ranges.iter().any(|r| r.contains(at as u32)))
        .map(|s| Arc::clone(&s.session))
        .collect()
}

impl Hub {
    /// Builds the sorted index of every member read (`loaded.all`) with the statuses
    /// now, off the hub's lock (a sort of 100,000 members takes a while); the list
    /// brings the statuses up to date when it takes it.
    pub(crate) fn member_list_prepare(&self, loaded: &mut Loaded) {
        if !loaded.all {
            return;
        }
        let statuses: Vec<PresenceStatus> = {
            let index = self.lock();
            let presence = &index.live.presence;
            loaded
                .rows
                .rows
                .iter()
                .map(|row| presence.status_seen(&row.user_id))
                .collect()
        };
        let positions = &loaded.rows.positions;
        let entries = loaded
            .rows
            .rows
            .iter()
            .zip(statuses)
            .map(|(row, status)| entry_of_status(row, positions, status))
            .collect();
        loaded.built = Some(MemberIndex::new(entries));
    }

    /// One step of a subscription of `session` to `ranges` of `community`'s list (the
    /// caller was found a member), with the rows the last step asked for.
    pub(crate) fn member_list_step(
        &self,
        session: &Arc<Session>,
        community: &CommunityId,
        ranges: &[ListRange],
        loaded: Option<Loaded>,
    ) -> ListStep {
        let mut index = self.lock();
        let live = &mut index.live;
        let list = live.lists.lists.entry(community.clone()).or_default();
        if let Some(loaded) = loaded
            && !list.ready
        {
            let all = loaded.all;
            let changes = list.load(loaded, &live.presence);
            if let Some(index) = list.index.as_mut()
                && !all
            {
                for change in changes {
                    apply(index, change, &[]);
                }
            }
        }
        if list.index.is_none() || (list.rebuild && !list.ready) {
            list.rebuild = false;
            list.touched.clear();
            return ListStep::LoadAll;
        }
        if !list.ready && !list.touched.is_empty() {
            return ListStep::Load(list.touched.drain().collect());
        }
        list.ready = true;
        let Some(answer) = list.answer(community, ranges) else {
            return ListStep::LoadAll;
        };
        list.subscribers.insert(
            session.key,
            Subscriber {
                session: Arc::clone(session),
                ranges: ranges.to_vec(),
                stale: false,
            },
        );
        let previous = live.lists.by_session.insert(session.key, community.clone());
        if let Some(previous) = previous.filter(|p| p != community)
            && let Some(old) = live.lists.lists.get_mut(&previous)
        {
            old.subscribers.remove(&session.key);
            if old.subscribers.is_empty() {
                live.lists.lists.remove(&previous);
            }
        }
        ListStep::Answer(answer)
    }

    /// A subscribing task gave up (its read failed): a list nobody follows goes.
    pub(crate) fn member_list_abandon(&self, community: &CommunityId) {
        let mut index = self.lock();
        let lists = &mut index.live.lists.lists;
        if lists
            .get(community)
            .is_some_and(|l| l.subscribers.is_empty())
        {
            lists.remove(community);
        }
    }

    /// Stops `session`'s subscription.
    pub(crate) fn unsubscribe_member_list(&self, session: &Session) {
        self.lock().live.lists.forget(session.key);
    }

    /// What a committed change means for the followed lists: the members to read again
    /// for the ready ones (the loading ones note them).
    pub(crate) fn member_list_work(&self, handled: &Handled) -> Vec<ListWork> {
        let mut index = self.lock();
        let lists = &mut index.live.lists;
        if lists.lists.is_empty() {
            return Vec::new();
        }
        let mut work: HashMap<CommunityId, (bool, Vec<UserId>)> = HashMap::new();
        let mut touch =
            |lists: &mut MemberLists, community: &CommunityId, user: Option<&UserId>| {
                let Some(list) = lists.lists.get_mut(community) else {
                    return;
                };
                if !list.ready {
                    match user {
                        Some(user) => {
                            list.touched.insert(user.clone());
                        }
                        None => list.rebuild = true,
                    }
                    return;
                }
                let (all, users) = work.entry(community.clone()).or_default();
                match user {
                    Some(user) => users.push(user.clone()),
                    None => *all = true,
                }
            };
        for delivery in &handled.deliveries {
            match &delivery.event {
                Event::MemberJoined { member, .. } | Event::MemberUpdated { member } => {
                    touch(lists, &member.community_id, Some(&member.user_id));
                }
                Event::MemberLeft {
                    community_id,
                    user_id,
                    ..
                } => touch(lists, community_id, Some(user_id)),
                Event::GroupsChanged { community_id, .. } => touch(lists, community_id, None),
                Event::ProfileUpdated { profile } => {
                    let communities: Vec<CommunityId> = lists
                        .lists
                        .iter()
                        .filter(|(_, l)| {
                            l.index
                                .as_ref()
                                .is_some_and(|i| i.contains(&profile.user_id))
                                || !l.ready
                        })
                        .map(|(c, _)| c.clone())
                        .collect();
                    for community in communities {
                        touch(lists, &community, Some(&profile.user_id));
                    }
                }
                _ => {}
            }
        }
        work.into_iter()
            .map(|(community_id, (all, mut users))| {
                users.sort();
                users.dedup();
                ListWork {
                    community_id,
                    all,
                    users,
                }
            })
            .collect()
    }

    /// Applies rows read for [`ListWork`] and tells the subscribers.
    pub(crate) fn member_list_apply(&self, community: &CommunityId, loaded: Loaded) {
        let now = Instant::now();
        let mut timers = Timers::new();
        {
            let mut index = self.lock();
            let live = &mut index.live;
            let Some(list) = live.lists.lists.get_mut(community) else {
                return;
            };
            if !list.ready {
                match loaded.all {
                    true => list.rebuild = true,
                    false => list.touched.extend(loaded.users),
                }
                return;
            }
            if loaded.all {
                let mut fresh = List::default();
                fresh.load(loaded, &live.presence);
                list.positions = fresh.positions;
                list.change(community, Vec::new(), fresh.index, now, &mut timers);
            } else {
                let changes = list.load(loaded, &live.presence);
                list.change(community, changes, None, now, &mut timers);
            }
        }
        self.schedule_live(timers);
    }

    /// The counts window of `community`'s list closed at `now`.
    pub(super) fn list_counts_due(&self, community: &CommunityId, now: Instant) {
        let mut index = self.lock();
        let Some(list) = index.live.lists.lists.get_mut(community) else {
            return;
        };
        if list.push_counts(community) {
            list.counts_opened = Some(now);
            self.live_timer.schedule(
                now + COUNTS_WINDOW,
                LiveTarget::ListCounts(community.clone()),
            );
        } else {
            list.counts_opened = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, name: &str) -> Entry {
        Entry::new(
            MemberListItem {
                user_id: id.into(),
                display_name: name.into(),
                group_id: None,
                status: PresenceStatus::Offline,
                avatar_url: String::new(),
            },
            None,
        )
    }

    fn list_with(names: &[&str], session: &Arc<Session>, range: ListRange) -> List {
        let mut list = List {
            index: Some(MemberIndex::new(
                names.iter().map(|n| entry(n, n)).collect(),
            )),
            ready: true,
            ..List::default()
        };
        list.subscribers.insert(
            session.key,
            Subscriber {
                session: Arc::clone(session),
                ranges: vec![range],
                stale: false,
            },
        );
        list
    }

    #[test]
    fn counts_alone_are_coalesced_and_operations_go_at_once() {
        let session = Arc::new(Session::new(
            1,
            "s".into(),
            "u".into(),
            String::new(),
            64,
            64,
        ));
        let community = CommunityId::from("c");
        let mut list = list_with(&["a", "b", "c", "d"], &session, ListRange::new(0, 1));
        let t0 = Instant::now();
        let mut timers = Timers::new();
        // Outside the range: the counts at once (a quiet window), with its timer.
        list.change(
            &community,
            vec![Change::Upsert(entry("z", "z"))],
            None,
            t0,
            &mut timers,
        );
        assert_eq!((session.last_seq(), timers.len()), (1, 1));
        // Inside the window: held.
        list.change(
            &community,
            vec![Change::Upsert(entry("y", "y"))],
            None,
            t0,
            &mut timers,
        );
        assert_eq!(session.last_seq(), 1);
        // In the range: at once, with the counts (no longer stale).
        list.change(
            &community,
            vec![Change::Upsert(entry("0", "0"))],
            None,
            t0,
            &mut timers,
        );
        assert_eq!(session.last_seq(), 2);
        assert!(!list.push_counts(&community), "nothing stale left");
        // A change that moves nothing and counts nothing: no event.
        list.change(
            &community,
            vec![Change::Upsert(entry("z", "z"))],
            None,
            t0,
            &mut timers,
        );
        assert_eq!(session.last_seq(), 2);
        list.change(
            &community,
            vec![Change::Remove("y".into())],
            None,
            t0,
            &mut timers,
        );
        assert!(list.push_counts(&community));
        assert_eq!(session.last_seq(), 3);
    }
}
