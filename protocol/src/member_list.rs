//! The lazy member list of a community (§22.2): ranges of a sorted list a session follows,
//! and the one definition of how a range's window changes under the server's operations.
//!
//! A community of 100,000 members cannot send its member list to every client, nor every
//! member change to every online session. A client instead follows up to
//! `member_list_max_ranges` ranges (e.g. 0–99 and 100–199) of the list as the server sorts
//! it — highest group first (by position; members with no group last), online before
//! offline, then display name, then user id — and receives only the operations that fall
//! into its ranges. This module owns the records and [`MemberListWindow`], the pure
//! application of those operations, so the server's tests and the SDK agree on their meaning.

use serde::{Deserialize, Serialize};

use crate::ids::{CommunityId, GroupId, UserId};
use crate::people::PresenceStatus;

/// One range of list positions, both ends included (`[0, 99]` is the first hundred).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "[u32; 2]", into = "[u32; 2]")]
pub struct ListRange {
    /// The first position.
    pub start: u32,
    /// The last position (≥ `start`).
    pub end: u32,
}

impl ListRange {
    /// A range from `start` to `end`, both included.
    pub fn new(start: u32, end: u32) -> Self {
        Self { start, end }
    }

    /// How many positions the range spans.
    pub fn len(&self) -> u64 {
        u64::from(self.end.saturating_sub(self.start)) + 1
    }

    /// Never true: a range spans at least one position.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Whether `index` lies in the range.
    pub fn contains(&self, index: u32) -> bool {
        (self.start..=self.end).contains(&index)
    }
}

impl From<[u32; 2]> for ListRange {
    fn from([start, end]: [u32; 2]) -> Self {
        Self { start, end }
    }
}

impl From<ListRange> for [u32; 2] {
    fn from(range: ListRange) -> Self {
        [range.start, range.end]
    }
}

/// One member as the member list shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberListItem {
    /// The member.
    pub user_id: UserId,
    /// The name shown: the community nickname, else the profile's display name, else the
    /// user id.
    pub display_name: String,
    /// The member's highest permission group (absent: only `@everyone`); the list is
    /// sectioned by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<GroupId>,
    /// Their presence as the receiver may see it (`invisible` shows as `offline`).
    pub status: PresenceStatus,
    /// The profile's avatar URL (empty when unset).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub avatar_url: String,
}

/// A section of the list: the members whose highest group is one group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberListSection {
    /// The group (absent: members with no group besides `@everyone`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<GroupId>,
    /// Members in the section.
    pub count: u64,
    /// Of them online (invisible ones are not).
    pub online: u64,
}

/// The items of one followed range, as they are now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberListRange {
    /// The range followed.
    pub range: ListRange,
    /// The members at its positions, in order (fewer when the list ends inside it).
    pub items: Vec<MemberListItem>,
}

/// Answer to `subscribe_member_list`: the list's counts and the followed ranges' items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberList {
    /// The community.
    pub community_id: CommunityId,
    /// Members in the list.
    pub total: u64,
    /// Of them online.
    pub online: u64,
    /// The sections in list order (empty sections left out).
    pub sections: Vec<MemberListSection>,
    /// Each followed range with its items.
    pub ranges: Vec<MemberListRange>,
}

/// Parameters of `subscribe_member_list`: follow ranges of one community's member list
/// (one community per session; a new subscription replaces the previous one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SubscribeMemberList {
    /// The community.
    pub community_id: CommunityId,
    /// The ranges followed (1 to `member_list_max_ranges`, each at most
    /// `member_list_range_items` positions, not overlapping).
    pub ranges: Vec<ListRange>,
}

/// One change to a followed range's window (`index` is a position of the whole list and
/// lies in one of the session's ranges).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum MemberListOp {
    /// `item` now stands at `index`; the window's items from there move one position on,
    /// and the one pushed past the range's end leaves it.
    Insert {
        /// The position.
        index: u32,
        /// The member now there.
        item: MemberListItem,
    },
    /// The item at `index` leaves; the window's items after it move one position back
    /// (a following `insert` at the range's end fills the last position, if the list
    /// reaches that far).
    Delete {
        /// The position.
        index: u32,
    },
    /// The item at `index` changed in place (status, name or avatar; its position did not).
    Update {
        /// The position.
        index: u32,
        /// The member as they are now.
        item: MemberListItem,
    },
}

impl MemberListOp {
    /// The position the operation addresses.
    pub fn index(&self) -> u32 {
        match self {
            MemberListOp::Insert { index, .. }
            | MemberListOp::Delete { index }
            | MemberListOp::Update { index, .. } => *index,
        }
    }
}

/// Why an operation did not fit a window (the client then subscribes again).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    /// The position lies outside the range.
    #[error("position {index} is outside the range {start}..={end}")]
    OutOfRange {
        /// The operation's position.
        index: u32,
        /// The range's first position.
        start: u32,
        /// The range's last position.
        end: u32,
    },
    /// The position lies beyond the window's last item (a gap would open).
    #[error("position {index} is past the window's {len} items")]
    PastEnd {
        /// The operation's position.
        index: u32,
        /// Items in the window.
        len: usize,
    },
}

/// The items a client holds for one followed range, changed only by [`MemberListOp`]s.
///
/// After every operation of one `member_list_update` is applied, the window equals the
/// list's items at the range's positions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberListWindow {
    /// The range followed.
    pub range: ListRange,
    /// The items at its positions, from `range.start` on.
    pub items: Vec<MemberListItem>,
}

impl MemberListWindow {
    /// A window holding a range's items as the answer gave them.
    pub fn new(range: MemberListRange) -> Self {
        Self {
            range: range.range,
            items: range.items,
        }
    }

    /// Applies one operation addressed to this window.
    pub fn apply(&mut self, op: &MemberListOp) -> Result<(), WindowError> {
        let index = op.index();
        if !self.range.contains(index) {
            return Err(WindowError::OutOfRange {
                index,
                start: self.range.start,
                end: self.range.end,
            });
        }
        let at = (index - self.range.start) as usize;
        let past_end = WindowError::PastEnd {
            index,
            len: self.items.len(),
        };
        match op {
            MemberListOp::Insert { item, .. } => {
                if at > self.items.len() {
                    return Err(past_end);
                }
                self.items.insert(at, item.clone());
                let room = usize::try_from(self.range.len()).unwrap_or(usize::MAX);
                self.items.truncate(room);
            }
            MemberListOp::Delete { .. } => {
                if at >= self.items.len() {
                    return Err(past_end);
                }
                self.items.remove(at);
            }
            MemberListOp::Update { item, .. } => {
                let slot = self.items.get_mut(at).ok_or(past_end)?;
                *slot = item.clone();
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
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

    fn names(window: &MemberListWindow) -> Vec<&str> {
        window
            .items
            .iter()
            .map(|i| i.display_name.as_str())
            .collect()
    }

    fn window(start: u32, end: u32, items: &[&str]) -> MemberListWindow {
        MemberListWindow::new(MemberListRange {
            range: ListRange::new(start, end),
            items: items.iter().map(|n| item(n)).collect(),
        })
    }

    #[test]
    fn insert_pushes_the_last_item_out_of_a_full_window() {
        let mut w = window(10, 12, &["a", "b", "c"]);
        w.apply(&MemberListOp::Insert {
            index: 11,
            item: item("x"),
        })
        .unwrap();
        assert_eq!(names(&w), ["a", "x", "b"]);
    }

    #[test]
    fn a_shift_from_before_the_range_is_a_delete_at_the_end_and_an_insert_at_the_start() {
        let mut w = window(10, 12, &["a", "b", "c"]);
        w.apply(&MemberListOp::Delete { index: 12 }).unwrap();
        w.apply(&MemberListOp::Insert {
            index: 10,
            item: item("z"),
        })
        .unwrap();
        assert_eq!(names(&w), ["z", "a", "b"]);
    }

    #[test]
    fn delete_then_fill_the_end() {
        let mut w = window(0, 2, &["a", "b", "c"]);
        w.apply(&MemberListOp::Delete { index: 0 }).unwrap();
        w.apply(&MemberListOp::Insert {
            index: 2,
            item: item("d"),
        })
        .unwrap();
        assert_eq!(names(&w), ["b", "c", "d"]);
    }

    #[test]
    fn update_replaces_in_place_and_bad_positions_are_refused() {
        let mut w = window(0, 4, &["a", "b"]);
        w.apply(&MemberListOp::Update {
            index: 1,
            item: item("B"),
        })
        .unwrap();
        assert_eq!(names(&w), ["a", "B"]);
        assert!(matches!(
            w.apply(&MemberListOp::Delete { index: 9 }),
            Err(WindowError::OutOfRange { .. })
        ));
        assert!(matches!(
            w.apply(&MemberListOp::Insert {
                index: 4,
                item: item("x")
            }),
            Err(WindowError::PastEnd { .. })
        ));
        // Appending right after the last item grows a window the list did not fill.
        w.apply(&MemberListOp::Insert {
            index: 2,
            item: item("c"),
        })
        .unwrap();
        assert_eq!(names(&w), ["a", "B", "c"]);
    }

    #[test]
    fn ranges_travel_as_pairs() {
        let json = serde_json::to_string(&ListRange::new(100, 199)).unwrap();
        assert_eq!(json, "[100,199]");
        let back: ListRange = serde_json::from_str(&json).unwrap();
        assert_eq!(back, ListRange::new(100, 199));
    }
}
