//! The member list pane: the current community's members as the member list subscription
//! (protocol §22.2) delivers them — sections (a group, or the plain members) with their
//! counts, a presence dot and the display name of each member in the followed window, and
//! scrolling, which moves the window (new ranges) by a page. Pure: the event loop feeds
//! it the subscription's updates and follows the ranges it asks for; the headless check
//! draws it and checks its order.

use std::cmp::Ordering;
use std::collections::HashMap;

use community_sdk::protocol::member_list::{
    ListRange, MemberListItem, MemberListSection, MemberListWindow,
};
use community_sdk::protocol::{GroupId, PresenceStatus};
use community_sdk::{MemberListSnapshot, MemberListUpdate};

use crate::people::presence_dot;

/// Rows of members the pane follows at once.
pub const PAGE: u32 = 40;

/// The member list of one community as the pane shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberPane {
    /// Members in the list.
    pub total: u64,
    /// Of them online.
    pub online: u64,
    /// The sections in list order.
    pub sections: Vec<MemberListSection>,
    /// The followed window (empty until the first `Reset`).
    pub window: Option<MemberListWindow>,
    /// The first position the pane wants to show.
    pub start: u32,
    /// Set when the list ended (`Failed`, `Replaced`): why.
    pub ended: Option<String>,
}

impl MemberPane {
    /// The ranges to follow for the wanted first position.
    pub fn ranges(&self) -> Vec<ListRange> {
        vec![ListRange::new(self.start, self.start + PAGE - 1)]
    }

    /// Applies one update of the subscription.
    pub fn apply(&mut self, update: MemberListUpdate) {
        match update {
            MemberListUpdate::Reset(snapshot) => self.reset(snapshot),
            MemberListUpdate::Changed {
                total,
                online,
                sections,
                ops,
            } => {
                (self.total, self.online, self.sections) = (total, online, sections);
                if let Some(window) = self.window.as_mut() {
                    for op in &ops {
                        if window.apply(op).is_err() {
                            // The SDK subscribes again and sends a `Reset`.
                            break;
                        }
                    }
                }
            }
            MemberListUpdate::Failed(error) => self.ended = Some(error.to_string()),
            MemberListUpdate::Replaced => self.ended = Some("replaced".into()),
            _ => {}
        }
    }

    fn reset(&mut self, snapshot: MemberListSnapshot) {
        self.total = snapshot.total;
        self.online = snapshot.online;
        self.sections = snapshot.sections;
        self.window = snapshot.windows.into_iter().next();
        self.ended = None;
    }

    /// Moves the wanted window by `pages` (negative: up); returns the new ranges when
    /// the window moved.
    pub fn scroll(&mut self, pages: i64) -> Option<Vec<ListRange>> {
        let last_page =
            u32::try_from(self.total.saturating_sub(1) / u64::from(PAGE) * u64::from(PAGE))
                .unwrap_or(u32::MAX - PAGE);
        let wanted = i64::from(self.start) + pages * i64::from(PAGE);
        let start = u32::try_from(wanted.max(0)).unwrap_or(0).min(last_page);
        if start == self.start {
            return None;
        }
        self.start = start;
        Some(self.ranges())
    }

    /// The members shown.
    pub fn items(&self) -> &[MemberListItem] {
        self.window.as_ref().map_or(&[], |w| w.items.as_slice())
    }

    /// The pane's lines: a header per section (its name and counts) before its first
    /// member in the window, then one line per member (presence dot, display name).
    pub fn lines(&self, group_names: &HashMap<GroupId, String>) -> Vec<String> {
        let mut lines = vec![format!("Members — {} ({} online)", self.total, self.online)];
        if let Some(why) = &self.ended {
            lines.push(format!("(member list ended: {why})"));
        }
        let mut section: Option<Option<&GroupId>> = None;
        for item in self.items() {
            let group = item.group_id.as_ref();
            if section != Some(group) {
                section = Some(group);
                lines.push(self.header(group, group_names));
            }
            lines.push(format!(
                "{} {}",
                presence_dot(item.status),
                item.display_name
            ));
        }
        if self.window.is_none() && self.ended.is_none() {
            lines.push("loading…".into());
        }
        lines
    }

    fn header(&self, group: Option<&GroupId>, group_names: &HashMap<GroupId, String>) -> String {
        let name = match group {
            Some(id) => group_names
                .get(id)
                .cloned()
                .unwrap_or_else(|| id.to_string()),
            None => "Members".to_owned(),
        };
        let counts = self
            .sections
            .iter()
            .find(|s| s.group_id.as_ref() == group)
            .map(|s| format!(" — {} ({} online)", s.count, s.online))
            .unwrap_or_default();
        format!("{}{counts}", name.to_uppercase())
    }
}

/// Whether a member shows as online in the list (invisible counts as offline).
pub fn shows_online(status: PresenceStatus) -> bool {
    !matches!(
        status,
        PresenceStatus::Offline | PresenceStatus::Invisible | PresenceStatus::Unknown
    )
}

/// The documented order of two members of the list: highest group first (`positions`:
/// each group's position; no group last), online before offline, then display name
/// case-insensitively, then user id.
pub fn list_order(
    a: &MemberListItem,
    b: &MemberListItem,
    positions: &HashMap<GroupId, i64>,
) -> Ordering {
    let rank = |item: &MemberListItem| {
        item.group_id.as_ref().map_or(i64::MIN, |g| {
            positions.get(g).copied().unwrap_or(i64::MIN + 1)
        })
    };
    rank(b)
        .cmp(&rank(a))
        .then_with(|| shows_online(b.status).cmp(&shows_online(a.status)))
        .then_with(|| {
            a.display_name
                .to_lowercase()
                .cmp(&b.display_name.to_lowercase())
        })
        .then_with(|| a.user_id.as_str().cmp(b.user_id.as_str()))
}

/// The pairs of neighbours out of the documented order, described.
pub fn order_problems(items: &[MemberListItem], positions: &HashMap<GroupId, i64>) -> Vec<String> {
    items
        .windows(2)
        .filter(|pair| list_order(&pair[0], &pair[1], positions) == Ordering::Greater)
        .map(|pair| {
            format!(
                "{} ({:?}) is listed before {} ({:?})",
                pair[0].display_name, pair[0].status, pair[1].display_name, pair[1].status
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use community_sdk::protocol::member_list::MemberListOp;
    use community_sdk::protocol::{CommunityId, UserId};

    fn item(id: &str, group: Option<&str>, status: PresenceStatus) -> MemberListItem {
        MemberListItem {
            user_id: UserId::from(id),
            display_name: id.to_owned(),
            group_id: group.map(GroupId::from),
            status,
            avatar_url: String::new(),
        }
    }

    fn pane(items: Vec<MemberListItem>) -> MemberPane {
        let mut pane = MemberPane::default();
        pane.apply(MemberListUpdate::Reset(MemberListSnapshot {
            community_id: CommunityId::from("c"),
            total: items.len() as u64,
            online: 1,
            sections: vec![
                MemberListSection {
                    group_id: Some(GroupId::from("mods")),
                    count: 1,
                    online: 0,
                },
                MemberListSection {
                    group_id: None,
                    count: items.len() as u64 - 1,
                    online: 1,
                },
            ],
            windows: vec![MemberListWindow {
                range: ListRange::new(0, PAGE - 1),
                items,
            }],
        }));
        pane
    }

    #[test]
    fn sections_get_a_header_with_counts_and_members_a_dot() {
        let pane = pane(vec![
            item("carol", Some("mods"), PresenceStatus::Offline),
            item("alice", None, PresenceStatus::Online),
            item("bob", None, PresenceStatus::Offline),
        ]);
        let names = HashMap::from([(GroupId::from("mods"), "Mods".to_owned())]);
        assert_eq!(
            pane.lines(&names),
            vec![
                "Members — 3 (1 online)",
                "MODS — 1 (0 online)",
                "○ carol",
                "MEMBERS — 2 (1 online)",
                "● alice",
                "○ bob",
            ]
        );
        let positions = HashMap::from([(GroupId::from("mods"), 2)]);
        assert!(order_problems(pane.items(), &positions).is_empty());
    }

    #[test]
    fn operations_change_the_window_and_the_order_is_checked() {
        let mut pane = pane(vec![
            item("bob", None, PresenceStatus::Online),
            item("alice", None, PresenceStatus::Offline),
        ]);
        pane.apply(MemberListUpdate::Changed {
            total: 2,
            online: 2,
            sections: vec![],
            ops: vec![
                MemberListOp::Delete { index: 1 },
                MemberListOp::Insert {
                    index: 0,
                    item: item("alice", None, PresenceStatus::Online),
                },
            ],
        });
        let ids: Vec<&str> = pane.items().iter().map(|i| i.user_id.as_str()).collect();
        assert_eq!(ids, ["alice", "bob"]);
        assert!(order_problems(pane.items(), &HashMap::new()).is_empty());
        let wrong = [
            item("bob", None, PresenceStatus::Offline),
            item("alice", None, PresenceStatus::Online),
        ];
        assert_eq!(order_problems(&wrong, &HashMap::new()).len(), 1);
    }

    #[test]
    fn scrolling_moves_by_pages_within_the_list() {
        let mut pane = MemberPane {
            total: 100,
            ..MemberPane::default()
        };
        assert_eq!(pane.scroll(-1), None);
        assert_eq!(
            pane.scroll(1),
            Some(vec![ListRange::new(PAGE, 2 * PAGE - 1)])
        );
        assert_eq!(pane.scroll(5).map(|r| r[0].start), Some(80));
        assert_eq!(pane.scroll(1), None);
    }
}
