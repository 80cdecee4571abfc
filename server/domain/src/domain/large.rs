//! Large communities (§9.5, §22): what the domain tells the transport so that a community
//! of 100,000 members costs per message what its focused readers cost.
//!
//! A community is **large** while its `member_count` exceeds
//! `Limits::large_community_members`. The domain keeps every rule of who may see what; it
//! only annotates or narrows the deliveries of a large community:
//!
//! - `message_created` carries a [`Counting`]: the transport sends the message whole to
//!   the sessions focused on its channel and to the sender's, and `channel_activity` with
//!   exact counts to the others. The counting is built once per message — sender, sequence,
//!   mentioned users, `@everyone` — and the holders of mentioned groups come from a set
//!   shared between messages while the community's access stamp stays the same, so an
//!   `@everyone` in a community of 100,000 builds nothing per recipient.
//! - `message_changed` that moves no counts (anything but a recall or an edit changing the
//!   mentions) and `typing` go to [`Audience::Focused`]: the focused sessions (and the
//!   actor's).
//! - `member_joined` and `member_updated` go to the member only (`member_left`: to nobody;
//!   the member gets `community_removed`): the others see members through the member
//!   list (§22.2), which the transport maintains from these same events.
//!
//! It also answers the reads the transport's `focus` and `subscribe_member_list` need:
//! [`Domain::focus_head`] and [`Domain::member_list_rows`].

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use community_protocol::{
    ApiError, ChangeKind, ChannelHead, ChannelId, CommunityId, GroupId, Message, Permissions,
    UserId,
};

use super::Domain;
use super::context::Ctx;
use crate::routing::{Audience, Counting, FocusedAudience};
use crate::store::{ChannelRecord, MemberListRow};

impl Ctx<'_> {
    /// Whether a community of `member_count` members is large.
    pub fn large_count(&self, member_count: u64) -> bool {
        member_count > self.limits.large_community_members
    }

    /// Whether `community_id` is large now (a conversation never is).
    pub fn is_large(&self, community_id: &CommunityId) -> Result<bool, ApiError> {
        if community_id.is_direct() {
            return Ok(false);
        }
        Ok(self
            .tx
            .community(community_id)?
            .is_some_and(|info| self.large_count(info.member_count)))
    }

    /// The holders of the groups `message` mentions (one group: the cached set itself).
    fn group_holders(&self, message: &Message) -> Result<Option<Arc<HashSet<UserId>>>, ApiError> {
        let groups = &message.mentions.groups;
        if groups.is_empty() {
            return Ok(None);
        }
        let community_id = &message.community_id;
        let stamp = self.tx.access_stamp(community_id)?;
        let mut sets = Vec::with_capacity(groups.len());
        for group in groups {
            let set = match self.viewers.holders.get(community_id, stamp, group) {
                Some(set) => set,
                None => {
                    let set: Arc<HashSet<UserId>> = Arc::new(
                        self.tx
                            .group_holders(community_id, group)?
                            .into_iter()
                            .collect(),
                    );
                    self.viewers.holders.put(community_id, stamp, group, &set);
                    set
                }
            };
            sets.push(set);
        }
        if sets.len() == 1 {
            return Ok(sets.pop());
        }
        let union: HashSet<UserId> = sets.iter().flat_map(|s| s.iter().cloned()).collect();
        Ok(Some(Arc::new(union)))
    }

    /// Queues `message_created` for `audience`, with its counting when the community is
    /// large (`large`: known by the caller; `None`: read here).
    pub fn emit_message(
        &mut self,
        audience: Audience,
        message: Message,
        large: Option<bool>,
    ) -> Result<(), ApiError> {
        let large = match large {
            Some(large) => large && !message.community_id.is_direct(),
            None => self.is_large(&message.community_id)?,
        };
        let counting = if large {
            Some(Arc::new(Counting {
                community_id: message.community_id.clone(),
                channel_id: message.channel_id.clone(),
                seq: message.seq,
                created_at_ms: message.created_at_ms,
                sender_id: message.sender_id.clone(),
                everyone: message.mentions.everyone,
                users: message.mentions.users.clone(),
                group_holders: self.group_holders(&message)?,
            }))
        } else {
            None
        };
        self.emit(
            audience,
            community_protocol::Event::MessageCreated { message },
        );
        if let (Some(counting), Some(last)) = (counting, self.deliveries.last_mut()) {
            last.counting = Some(counting);
        }
        Ok(())
    }

    /// Who gets a `message_changed` in `channel` (of a community of `member_count`):
    /// everyone who may read it, or in a large community, when the change moves no
    /// counts, the focused sessions and the actor's.
    pub fn change_audience(
        &self,
        channel: &ChannelRecord,
        member_count: u64,
        kind: &ChangeKind,
        audience: Audience,
    ) -> Result<Audience, ApiError> {
        let moves_counts = match kind {
            ChangeKind::Recalled { .. } => true,
            ChangeKind::Edited {
                mentions,
                previous_mentions,
                ..
            } => mentions != previous_mentions,
            _ => false,
        };
        let large = !channel.info.community_id.is_direct() && self.large_count(member_count);
        if moves_counts || !large {
            return Ok(audience);
        }
        Ok(focused(channel, audience, vec![self.caller.clone()]))
    }

    /// Who gets a member event about `user_id`: the community, or in a large community
    /// the member only (`None`: nobody, for a member who left).
    pub fn member_audience(
        &self,
        community_id: &CommunityId,
        user_id: Option<&UserId>,
    ) -> Result<Audience, ApiError> {
        if !self.is_large(community_id)? {
            return Ok(Audience::Community(community_id.clone()));
        }
        Ok(Audience::Users(user_id.into_iter().cloned().collect()))
    }
}

/// The sessions focused on `channel` within `audience`, and the `also` users'.
pub(crate) fn focused(channel: &ChannelRecord, audience: Audience, also: Vec<UserId>) -> Audience {
    Audience::Focused(Arc::new(FocusedAudience {
        community_id: channel.info.community_id.clone(),
        channel_id: channel.info.channel_id.clone(),
        within: audience,
        also,
    }))
}

/// A community's members as the member list sorts them, read in one go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberListRows {
    /// Whether the community is large now.
    pub large: bool,
    /// The position of each group besides `@everyone`.
    pub positions: HashMap<GroupId, i64>,
    /// The members asked for (absent ones: not members).
    pub rows: Vec<MemberListRow>,
}

impl Domain {
    /// `focus`: checks the caller may read `channel_id` of `community_id` as
    /// `get_messages` would (same errors) and answers its head with the caller's exact
    /// counts, and whether the community is large. Blocking: SQLite.
    pub fn focus_head(
        &self,
        caller: &UserId,
        community_id: &CommunityId,
        channel_id: &ChannelId,
    ) -> Result<(ChannelHead, bool), ApiError> {
        self.query("focus", caller, |cx| {
            let (membership, channel) = cx.message_stream(community_id, channel_id)?;
            cx.require_op(
                &membership,
                "get_messages",
                Some(&channel),
                Permissions::NONE,
            )?;
            let head = super::view::head(cx, cx.caller, &channel)?;
            let large = !community_id.is_direct() && cx.large_count(membership.info.member_count);
            Ok((head, large))
        })
    }

    /// The member list's rows of `community_id` — every member, or only `users` — once
    /// the caller was found a member (`COMMUNITY_NOT_FOUND`, `NOT_MEMBER`). Blocking:
    /// SQLite (100,000 members: one indexed scan).
    pub fn member_list_rows(
        &self,
        caller: &UserId,
        community_id: &CommunityId,
        users: Option<&[UserId]>,
    ) -> Result<MemberListRows, ApiError> {
        self.query("member_list", caller, |cx| {
            let membership = cx.membership(community_id)?;
            let positions = membership
                .groups
                .iter()
                .filter(|g| !g.group_id.is_everyone())
                .map(|g| (g.group_id.clone(), g.position))
                .collect();
            let rows = match users {
                None => cx.tx.member_list_rows(community_id, None)?,
                Some(users) => {
                    let mut rows = Vec::with_capacity(users.len());
                    for user in users {
                        rows.extend(cx.tx.member_list_rows(community_id, Some(user))?);
                    }
                    rows
                }
            };
            Ok(MemberListRows {
                large: cx.large_count(membership.info.member_count),
                positions,
                rows,
            })
        })
    }

    /// The large communities now (the transport learns the rest from member events,
    /// which carry the member count). Blocking: SQLite.
    pub fn large_community_ids(&self) -> Result<Vec<CommunityId>, ApiError> {
        let above = self.limits.large_community_members;
        self.store
            .read("large_communities", |tx| Ok(tx.communities_above(above)?))
    }

    /// The member list rows of `community_id` for the transport itself (no caller
    /// check): every member, or only `users`. Blocking: SQLite.
    pub fn member_list_rows_unchecked(
        &self,
        community_id: &CommunityId,
        users: Option<&[UserId]>,
    ) -> Result<MemberListRows, ApiError> {
        let owner = self
            .store
            .read("member_list", |tx| Ok(tx.community(community_id)?))?
            .map(|info| info.owner_id);
        match owner {
            Some(owner) => self.member_list_rows(&owner, community_id, users),
            None => Ok(MemberListRows {
                large: false,
                positions: HashMap::new(),
                rows: Vec::new(),
            }),
        }
    }
}
