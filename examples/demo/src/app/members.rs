//! The member pane's state: `m` shows the selected community's member list on the right
//! (sections with counts, presence dots, names), fed by the member list subscription;
//! `[` and `]` scroll it a page, which moves the followed range. Switching community
//! follows the new one (one member list per session).

use std::collections::HashMap;

use community_sdk::MemberListUpdate;
use community_sdk::protocol::{CommunityId, GroupId};

use super::{App, Effect};
use crate::members::MemberPane;

/// The member pane, while shown.
#[derive(Debug, Clone, Default)]
pub struct MembersView {
    /// The community whose list it shows.
    pub community_id: CommunityId,
    /// The list.
    pub pane: MemberPane,
    /// The community's group names (section headers).
    pub group_names: HashMap<GroupId, String>,
}

impl MembersView {
    /// The pane's lines.
    pub fn lines(&self) -> Vec<String> {
        self.pane.lines(&self.group_names)
    }
}

impl App {
    /// Shows or hides the member pane.
    pub(super) fn toggle_members(&mut self) -> Vec<Effect> {
        if self.members.take().is_some() {
            return vec![Effect::UnfollowMembers];
        }
        self.follow_members()
    }

    /// Follows the selected community's member list from the top.
    fn follow_members(&mut self) -> Vec<Effect> {
        let Some(community_id) = self.community().map(|c| c.info.community_id.clone()) else {
            self.notice = Some("no community to list the members of".into());
            return Vec::new();
        };
        let pane = MemberPane::default();
        let ranges = pane.ranges();
        self.members = Some(MembersView {
            community_id: community_id.clone(),
            pane,
            group_names: HashMap::new(),
        });
        vec![Effect::FollowMembers {
            community_id,
            ranges,
        }]
    }

    /// After a community switch: the shown member pane follows the new community.
    pub(super) fn members_follow_selection(&mut self) -> Vec<Effect> {
        let selected = self.community().map(|c| &c.info.community_id);
        match &self.members {
            Some(view) if Some(&view.community_id) != selected => self.follow_members(),
            _ => Vec::new(),
        }
    }

    /// Scrolls the member pane by `pages`.
    pub(super) fn scroll_members(&mut self, pages: i64) -> Vec<Effect> {
        let Some(view) = self.members.as_mut() else {
            self.notice = Some("m shows the member list".into());
            return Vec::new();
        };
        view.pane
            .scroll(pages)
            .map(Effect::MemberRanges)
            .into_iter()
            .collect()
    }

    /// An update of the followed member list, with the community's group names.
    pub fn on_member_list(
        &mut self,
        community_id: &CommunityId,
        update: MemberListUpdate,
        group_names: HashMap<GroupId, String>,
    ) {
        if let Some(view) = self.members.as_mut()
            && view.community_id == *community_id
        {
            view.pane.apply(update);
            view.group_names = group_names;
        }
    }
}
