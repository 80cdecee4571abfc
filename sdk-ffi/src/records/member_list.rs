//! Member list records (protocol §22.2): mirrors of the protocol's `ListRange`,
//! `MemberListItem`, `MemberListSection`, `MemberListOp` and `MemberListWindow`, and of the
//! SDK's `MemberListSnapshot` and `MemberListUpdate`.

use community_protocol::member_list as wire;
use community_sdk as sdk;
use serde::{Deserialize, Serialize};

use super::{ErrorInfo, PresenceStatus, map_vec};

/// A range of positions of the sorted member list, both ends included (`start` ≤ `end`):
/// `{start: 0, end: 99}` is the first hundred.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct ListRange {
    /// The first position (0-based).
    pub start: u32,
    /// The last position, included.
    pub end: u32,
}

impl From<wire::ListRange> for ListRange {
    fn from(v: wire::ListRange) -> Self {
        Self {
            start: v.start,
            end: v.end,
        }
    }
}

impl From<ListRange> for wire::ListRange {
    fn from(v: ListRange) -> Self {
        wire::ListRange::new(v.start, v.end)
    }
}

/// One member at one position of the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct MemberListItem {
    /// The member.
    pub user_id: String,
    /// The name shown: the nickname in the community, else the profile's name, else the id.
    pub display_name: String,
    /// The section the member is shown in: their highest hoisted group; none for plain members.
    pub group_id: Option<String>,
    /// Their presence as others see it.
    pub status: PresenceStatus,
    /// Their avatar (empty for none).
    pub avatar_url: String,
}

impl From<wire::MemberListItem> for MemberListItem {
    fn from(v: wire::MemberListItem) -> Self {
        Self {
            user_id: v.user_id.to_string(),
            display_name: v.display_name,
            group_id: v.group_id.map(|g| g.to_string()),
            status: v.status.into(),
            avatar_url: v.avatar_url,
        }
    }
}

/// One section of the list (a group, or the plain members), with its counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct MemberListSection {
    /// The group; none for the members of no hoisted group.
    pub group_id: Option<String>,
    /// Members in the section.
    pub count: u64,
    /// Of them online.
    pub online: u64,
}

impl From<wire::MemberListSection> for MemberListSection {
    fn from(v: wire::MemberListSection) -> Self {
        Self {
            group_id: v.group_id.map(|g| g.to_string()),
            count: v.count,
            online: v.online,
        }
    }
}

/// One change at a position of the list; apply the operations in order to the window
/// whose range holds `index` (an `insert` pushes the window's last item out when full).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Enum)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MemberListOp {
    /// A member comes in at `index` (the items from there move down one).
    Insert {
        /// The position.
        index: u32,
        /// The member.
        item: MemberListItem,
    },
    /// The member at `index` leaves the window (the items after it move up one).
    Delete {
        /// The position.
        index: u32,
    },
    /// The member at `index` changed in place (name, avatar, presence within its rank).
    Update {
        /// The position.
        index: u32,
        /// The member now.
        item: MemberListItem,
    },
}

impl MemberListOp {
    /// The mirror of an operation this binding knows (a newer kind is left out; the
    /// subscription's `snapshot` has it applied).
    pub(crate) fn mirror(v: wire::MemberListOp) -> Option<Self> {
        Some(match v {
            wire::MemberListOp::Insert { index, item } => Self::Insert {
                index,
                item: item.into(),
            },
            wire::MemberListOp::Delete { index } => Self::Delete { index },
            wire::MemberListOp::Update { index, item } => Self::Update {
                index,
                item: item.into(),
            },
            _ => return None,
        })
    }
}

/// The items of the list at one followed range's positions (fewer than the range holds
/// when the list ends inside it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct MemberListWindow {
    /// The range.
    pub range: ListRange,
    /// The members at its positions, in list order.
    pub items: Vec<MemberListItem>,
}

impl From<wire::MemberListWindow> for MemberListWindow {
    fn from(v: wire::MemberListWindow) -> Self {
        Self {
            range: v.range.into(),
            items: map_vec(v.items),
        }
    }
}

/// A followed member list: counts, sections and one window per range. The list is
/// sorted by section (highest group first, plain members last), online before offline,
/// then by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct MemberListSnapshot {
    /// The community.
    pub community_id: String,
    /// Members in the list.
    pub total: u64,
    /// Of them online.
    pub online: u64,
    /// The sections in list order (empty ones left out).
    pub sections: Vec<MemberListSection>,
    /// One window per followed range, in the order the ranges were asked for.
    pub windows: Vec<MemberListWindow>,
}

impl From<sdk::MemberListSnapshot> for MemberListSnapshot {
    fn from(v: sdk::MemberListSnapshot) -> Self {
        Self {
            community_id: v.community_id.to_string(),
            total: v.total,
            online: v.online,
            sections: map_vec(v.sections),
            windows: map_vec(v.windows),
        }
    }
}

/// One update of a member list subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Enum)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MemberListUpdate {
    /// The whole state: the first update, and whenever the SDK subscribed again (new
    /// ranges after `set_ranges`, a new session, a subscriber far behind). Earlier
    /// windows are void.
    Reset {
        /// The list now.
        snapshot: MemberListSnapshot,
    },
    /// Operations to apply to the windows, in order, with the counts and sections after
    /// them (no operations: only the counts changed). The subscription's `snapshot` has
    /// them applied already.
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
    /// limits); no update follows.
    Failed {
        /// Why.
        error: ErrorInfo,
    },
    /// A newer member list subscription of this session took over (one community per
    /// session); no update follows.
    Replaced,
}

impl MemberListUpdate {
    /// The mirror of an SDK update (a newer kind is left out).
    pub(crate) fn mirror(v: sdk::MemberListUpdate) -> Option<Self> {
        Some(match v {
            sdk::MemberListUpdate::Reset(snapshot) => Self::Reset {
                snapshot: snapshot.into(),
            },
            sdk::MemberListUpdate::Changed {
                total,
                online,
                sections,
                ops,
            } => Self::Changed {
                total,
                online,
                sections: map_vec(sections),
                ops: ops.into_iter().filter_map(MemberListOp::mirror).collect(),
            },
            sdk::MemberListUpdate::Failed(error) => Self::Failed {
                error: error.into(),
            },
            sdk::MemberListUpdate::Replaced => Self::Replaced,
            _ => return None,
        })
    }
}

/// The ranges of a call, as the protocol's.
pub(crate) fn wire_ranges(ranges: Vec<ListRange>) -> Vec<wire::ListRange> {
    map_vec(ranges)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_sees_ranges_operations_and_updates_as_documented_json() {
        let range: Vec<ListRange> = serde_json::from_str(r#"[{"start":0,"end":99}]"#).unwrap();
        assert_eq!(wire_ranges(range), vec![wire::ListRange::new(0, 99)]);
        let item = wire::MemberListItem {
            user_id: "bob".into(),
            display_name: "Aaron".into(),
            group_id: None,
            status: community_protocol::PresenceStatus::Online,
            avatar_url: String::new(),
        };
        let update = MemberListUpdate::mirror(sdk::MemberListUpdate::Changed {
            total: 3,
            online: 2,
            sections: vec![],
            ops: vec![
                wire::MemberListOp::Delete { index: 2 },
                wire::MemberListOp::Insert { index: 1, item },
            ],
        })
        .unwrap();
        assert_eq!(
            serde_json::to_string(&update).unwrap(),
            r#"{"type":"changed","total":3,"online":2,"sections":[],"ops":[{"type":"delete","index":2},{"type":"insert","index":1,"item":{"user_id":"bob","display_name":"Aaron","group_id":null,"status":"online","avatar_url":""}}]}"#
        );
        let replaced = MemberListUpdate::mirror(sdk::MemberListUpdate::Replaced).unwrap();
        assert_eq!(
            serde_json::to_string(&replaced).unwrap(),
            r#"{"type":"replaced"}"#
        );
    }
}
