//! A community's member list kept sorted in memory (§22.2): an order-statistic structure
//! that answers "who is at position i" and "at which position is this member" and takes
//! a join, a leave or a move in O(√n), so a list of 100,000 members costs microseconds per
//! change.
//!
//! The list is a sequence of sorted *blocks* of at most [`MAX_BLOCK`] entries; an entry's
//! block is found by a binary search over the blocks' last keys, and its position by
//! adding the lengths of the blocks before it (a few hundred additions at 100,000
//! members). A block that grows past the maximum splits in two; an empty one goes. Each
//! member's sort key is also kept by user id, so a change finds its entry without a scan.
//! The counts per section (highest group) and the online count are kept up to date with
//! every insert and removal.
//!
//! Pure: no locks, no I/O; the hub owns one per community that someone follows.

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, HashMap};

use community_protocol::member_list::{MemberListItem, MemberListSection};
use community_protocol::{GroupId, PresenceStatus, UserId};

/// Most entries one block holds before it splits.
pub(crate) const MAX_BLOCK: usize = 512;

/// The position of a member with no group besides `@everyone` (after every group).
const NO_GROUP: i64 = i64::MIN;

/// Where a member sorts: highest group position first (none last), online first, display
/// name case-insensitively, user id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SortKey {
    /// The highest group's position ([`NO_GROUP`] for none).
    position: i64,
    /// Shown online to others.
    online: bool,
    /// The display name, lowercased.
    folded: Box<str>,
    /// The member.
    user_id: UserId,
}

impl Ord for SortKey {
    fn cmp(&self, other: &Self) -> Ordering {
        (
            Reverse(self.position),
            !self.online,
            &self.folded,
            &self.user_id,
        )
            .cmp(&(
                Reverse(other.position),
                !other.online,
                &other.folded,
                &other.user_id,
            ))
    }
}

impl PartialOrd for SortKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// One member of the list: where they sort and what the list shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    key: SortKey,
    item: MemberListItem,
}

/// Whether a status shows online in the list (`invisible` is sent as `offline` already).
fn shows_online(status: PresenceStatus) -> bool {
    !matches!(status, PresenceStatus::Offline | PresenceStatus::Invisible)
}

impl Entry {
    /// A member as the list shows them; `position`: their highest group's (`None`: no
    /// group besides `@everyone`).
    pub fn new(item: MemberListItem, position: Option<i64>) -> Self {
        let mut item = item;
        if item.status == PresenceStatus::Invisible {
            item.status = PresenceStatus::Offline;
        }
        let key = SortKey {
            position: position.unwrap_or(NO_GROUP),
            online: shows_online(item.status),
            folded: item.display_name.to_lowercase().into_boxed_str(),
            user_id: item.user_id.clone(),
        };
        Self { key, item }
    }

    /// What the list shows.
    pub fn item(&self) -> &MemberListItem {
        &self.item
    }

    /// The same member with another status.
    pub fn with_status(&self, status: PresenceStatus) -> Self {
        let mut item = self.item.clone();
        item.status = status;
        Entry::new(item, self.position())
    }

    /// Whether the other entry sorts at exactly the same place (same member, same key).
    pub fn same_place(&self, other: &Entry) -> bool {
        self.key == other.key
    }

    /// The highest group's position (`None`: no group).
    pub fn position(&self) -> Option<i64> {
        (self.key.position != NO_GROUP).then_some(self.key.position)
    }
}

/// Members and online members of one section.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Count {
    count: u64,
    online: u64,
}

/// The sorted member list of one community. See the module documentation.
#[derive(Debug, Default)]
pub(crate) struct MemberIndex {
    /// Boxed entries: a block shifts pointers, not ~150-byte entries, on insert and remove.
    #[allow(clippy::vec_box)]
    blocks: Vec<Vec<Box<Entry>>>,
    keys: HashMap<UserId, SortKey>,
    sections: BTreeMap<(Reverse<i64>, Option<GroupId>), Count>,
    online: u64,
}

impl MemberIndex {
    /// The list of these members.
    pub fn new(mut entries: Vec<Entry>) -> Self {
        entries.sort_by(|a, b| a.key.cmp(&b.key));
        entries.dedup_by(|a, b| a.key.user_id == b.key.user_id);
        let mut index = MemberIndex::default();
        for entry in &entries {
            index.count(entry, true);
            index
                .keys
                .insert(entry.key.user_id.clone(), entry.key.clone());
        }
        let half = MAX_BLOCK / 2;
        let mut rest = entries.into_iter().peekable();
        while rest.peek().is_some() {
            index
                .blocks
                .push(rest.by_ref().take(half).map(Box::new).collect());
        }
        index
    }

    /// Every member, in list order.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.blocks.iter().flatten().map(|e| &**e)
    }

    /// Members in the list.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Members shown online.
    pub fn online(&self) -> u64 {
        self.online
    }

    /// The sections in list order (empty ones left out).
    pub fn sections(&self) -> Vec<MemberListSection> {
        self.sections
            .iter()
            .filter(|(_, c)| c.count > 0)
            .map(|((_, group_id), c)| MemberListSection {
                group_id: group_id.clone(),
                count: c.count,
                online: c.online,
            })
            .collect()
    }

    fn count(&mut self, entry: &Entry, add: bool) {
        let section = (Reverse(entry.key.position), entry.item.group_id.clone());
        let slot = self.sections.entry(section.clone()).or_default();
        let online = u64::from(entry.key.online);
        if add {
            slot.count += 1;
            slot.online += online;
            self.online += online;
        } else {
            slot.count = slot.count.saturating_sub(1);
            slot.online = slot.online.saturating_sub(online);
            self.online = self.online.saturating_sub(online);
            if slot.count == 0 {
                self.sections.remove(&section);
            }
        }
    }

    /// The block where `key` is or would go (the first whose last key is not below it).
    fn block_of(&self, key: &SortKey) -> usize {
        let at = self
            .blocks
            .partition_point(|block| block.last().is_some_and(|last| last.key < *key));
        at.min(self.blocks.len().saturating_sub(1))
    }

    fn before(&self, block: usize) -> usize {
        self.blocks[..block].iter().map(Vec::len).sum()
    }

    /// Whether `user_id` is in the list.
    pub fn contains(&self, user_id: &UserId) -> bool {
        self.keys.contains_key(user_id)
    }

    /// The member `user_id` and their position.
    pub fn find(&self, user_id: &UserId) -> Option<(usize, &Entry)> {
        let key = self.keys.get(user_id)?;
        let block = self.block_of(key);
        let within = self
            .blocks
            .get(block)?
            .binary_search_by(|e| e.key.cmp(key))
            .ok()?;
        Some((self.before(block) + within, &*self.blocks[block][within]))
    }

    /// The member at `position`.
    pub fn get(&self, position: usize) -> Option<&Entry> {
        let mut left = position;
        for block in &self.blocks {
            if left < block.len() {
                return block.get(left).map(|e| &**e);
            }
            left -= block.len();
        }
        None
    }

    /// The items at positions `start..=end` (fewer when the list ends inside).
    pub fn items(&self, start: usize, end: usize) -> Vec<MemberListItem> {
        let mut out = Vec::new();
        let mut skip = start;
        for block in &self.blocks {
            if out.len() > end - start {
                break;
            }
            if skip >= block.len() {
                skip -= block.len();
                continue;
            }
            for entry in &block[skip..] {
                if out.len() > end - start {
                    break;
                }
                out.push(entry.item.clone());
            }
            skip = 0;
        }
        out
    }

    /// Adds a member (replacing one with the same id); returns their position.
    pub fn insert(&mut self, entry: Entry) -> usize {
        self.remove(&entry.key.user_id);
        self.count(&entry, true);
        self.keys
            .insert(entry.key.user_id.clone(), entry.key.clone());
        if self.blocks.is_empty() {
            self.blocks.push(vec![Box::new(entry)]);
            return 0;
        }
        let block = self.block_of(&entry.key);
        let within = match self.blocks[block].binary_search_by(|e| e.key.cmp(&entry.key)) {
            Ok(at) | Err(at) => at,
        };
        let position = self.before(block) + within;
        self.blocks[block].insert(within, Box::new(entry));
        if self.blocks[block].len() > MAX_BLOCK {
            let tail = self.blocks[block].split_off(MAX_BLOCK / 2);
            self.blocks.insert(block + 1, tail);
        }
        position
    }

    /// Removes a member; returns their position and entry.
    pub fn remove(&mut self, user_id: &UserId) -> Option<(usize, Entry)> {
        let key = self.keys.remove(user_id)?;
        let block = self.block_of(&key);
        let entries = self.blocks.get_mut(block)?;
        let within = entries.binary_search_by(|e| e.key.cmp(&key)).ok()?;
        let entry = *entries.remove(within);
        if entries.is_empty() {
            self.blocks.remove(block);
        }
        let position = self.before(block) + within;
        self.count(&entry, false);
        Some((position, entry))
    }

    /// Bytes the list takes, roughly (strings and map entries), for the benchmarks.
    #[cfg(test)]
    pub fn approximate_bytes(&self) -> usize {
        let per_entry = std::mem::size_of::<Entry>() + std::mem::size_of::<SortKey>() * 2;
        self.blocks
            .iter()
            .flatten()
            .map(|e| {
                per_entry
                    + e.item.user_id.as_str().len() * 3
                    + e.item.display_name.len() * 2
                    + e.item.avatar_url.len()
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn member(id: &str, name: &str, online: bool, group: Option<(&str, i64)>) -> Entry {
        Entry::new(
            MemberListItem {
                user_id: UserId::from(id),
                display_name: name.to_owned(),
                group_id: group.map(|(g, _)| GroupId::from(g)),
                status: if online {
                    PresenceStatus::Online
                } else {
                    PresenceStatus::Offline
                },
                avatar_url: String::new(),
            },
            group.map(|(_, p)| p),
        )
    }

    fn ids(index: &MemberIndex) -> Vec<String> {
        index
            .items(0, index.len().max(1) - 1)
            .into_iter()
            .map(|i| i.user_id.to_string())
            .collect()
    }

    #[test]
    fn sorts_by_group_then_online_then_name_then_id() {
        let index = MemberIndex::new(vec![
            member("u1", "zed", true, None),
            member("u2", "Amy", false, None),
            member("u3", "bob", true, Some(("mods", 2))),
            member("u4", "amy", false, None),
            member("u5", "Carl", true, Some(("admins", 5))),
            member("u6", "abe", false, Some(("mods", 2))),
        ]);
        assert_eq!(ids(&index), ["u5", "u3", "u6", "u1", "u2", "u4"]);
        assert_eq!(index.online(), 3);
        let sections = index.sections();
        assert_eq!(sections.len(), 3);
        assert_eq!(sections[1].group_id, Some(GroupId::from("mods")));
        assert_eq!((sections[1].count, sections[1].online), (2, 1));
        assert_eq!(sections[2].group_id, None);
        assert_eq!((sections[2].count, sections[2].online), (3, 1));
    }

    #[test]
    fn positions_stay_right_through_splits_and_removals() {
        let mut index = MemberIndex::default();
        let mut reference: Vec<Entry> = Vec::new();
        // A deterministic shuffle: 3,000 members inserted in a scattered order.
        for i in 0..3_000u32 {
            let n = (i * 7_919) % 3_000;
            let entry = member(
                &format!("u{n:05}"),
                &format!("name {}", n % 97),
                n % 3 == 0,
                None,
            );
            let at = index.insert(entry.clone());
            reference.push(entry);
            reference.sort_by(|a, b| a.key.cmp(&b.key));
            assert_eq!(reference[at], index.get(at).cloned().unwrap());
        }
        assert!(index.blocks.len() > 3_000 / MAX_BLOCK);
        for i in (0..3_000u32).step_by(3) {
            let id = UserId::from(format!("u{i:05}"));
            let (at, _) = index.find(&id).unwrap();
            assert_eq!(reference[at].key.user_id, id);
            let (removed_at, _) = index.remove(&id).unwrap();
            assert_eq!(removed_at, at);
            reference.remove(at);
        }
        assert_eq!(index.len(), reference.len());
        let items = index.items(0, index.len() - 1);
        assert!(
            items
                .iter()
                .zip(&reference)
                .all(|(a, b)| a.user_id == b.item.user_id)
        );
        assert_eq!(index.online(), 0);
        assert_eq!(index.items(1_990, 2_100).len(), 10);
    }
}
