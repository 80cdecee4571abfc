//! The event loop's side of the member pane: one task owns the member list subscription
//! of the shown community, forwards its updates (with the community's group names, read
//! from the SDK's cache) and follows the ranges the pane asks for when it scrolls.

use std::collections::HashMap;

use community_sdk::protocol::CommunityId;
use community_sdk::protocol::member_list::ListRange;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;

use super::{Effects, UiEvent};

/// The member list task: where to send new ranges, and the task.
pub(super) type MembersTask = (UnboundedSender<Vec<ListRange>>, JoinHandle<()>);

impl Effects {
    /// Follows `ranges` of a community's member list (replacing the one followed).
    pub(super) fn follow_members(&mut self, community_id: CommunityId, ranges: Vec<ListRange>) {
        self.unfollow_members();
        let community = self.client.community(&community_id);
        let events = self.events.clone();
        let (scroll, mut scrolled) = unbounded_channel::<Vec<ListRange>>();
        let task = tokio::spawn(async move {
            let mut list = match community.subscribe_member_list(ranges).await {
                Ok(list) => list,
                Err(error) => {
                    let _ = events.send(UiEvent::Notice(format!("member list: {error}")));
                    return;
                }
            };
            loop {
                tokio::select! {
                    update = list.next() => {
                        let Some(update) = update else { return };
                        let names: HashMap<_, _> = community
                            .groups()
                            .into_iter()
                            .map(|g| (g.group_id, g.name))
                            .collect();
                        let event = UiEvent::MemberList(community_id.clone(), update, names);
                        if events.send(event).is_err() {
                            return;
                        }
                    }
                    Some(ranges) = scrolled.recv() => {
                        if let Err(error) = list.set_ranges(ranges).await {
                            let _ = events.send(UiEvent::Notice(format!("member list: {error}")));
                        }
                    }
                }
            }
        });
        self.members = Some((scroll, task));
    }

    /// Follows other ranges of the followed member list.
    pub(super) fn member_ranges(&mut self, ranges: Vec<ListRange>) {
        if let Some((scroll, _)) = &self.members {
            let _ = scroll.send(ranges);
        }
    }

    /// Stops following the member list.
    pub(super) fn unfollow_members(&mut self) {
        if let Some((_, task)) = self.members.take() {
            task.abort();
        }
    }
}
