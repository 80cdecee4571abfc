//! The seam between the domain (what happened) and the transport (who gets told).
//!
//! The domain answers every request with a [`Handled`]: the response for the caller, the
//! events to deliver and the membership changes the transport must apply to its routing
//! index *before* delivering those events. The transport never decides who may see what;
//! it only resolves an [`Audience`] to the sessions online right now.

use std::collections::HashSet;
use std::sync::Arc;

use community_protocol::{CommunityId, Event, Response, UserId};

/// The result of a request that the domain carried out.
#[derive(Debug, Clone, PartialEq)]
pub struct Handled {
    /// The response for the caller.
    pub response: Response,
    /// Membership changes to apply to the routing index first, in order.
    pub membership: Vec<MembershipChange>,
    /// Events to deliver, in order.
    pub deliveries: Vec<Delivery>,
}

impl Handled {
    /// A response with no events.
    pub fn reply(response: Response) -> Self {
        Self {
            response,
            membership: Vec::new(),
            deliveries: Vec::new(),
        }
    }
}

/// One event and who receives it.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// Who receives it.
    pub audience: Audience,
    /// What they receive.
    pub event: Event,
}

/// Who receives an event. The domain has already applied every permission rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// Every online session of every member of the community.
    Community(CommunityId),
    /// Every online session of the members who may view a channel (shared: the domain
    /// keeps one per channel until who may see what changes).
    Viewers(Arc<ChannelViewers>),
    /// Every online session of these users (private channels, personal events).
    Users(Vec<UserId>),
    /// Every online session of this user except the one that made the request (the
    /// user's other devices: read positions, notification status).
    OtherSessionsOfCaller,
}

/// The members of a community who may view a channel: every member whose answer is
/// `by_default`, except the `exceptions`, whose answer is the opposite. A channel seen by
/// a few is `by_default: false` with its viewers as exceptions; a channel hidden from a
/// few is `by_default: true` with those few. Members who join later hold only
/// `@everyone`, so `by_default` is their answer too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelViewers {
    /// The community.
    pub community_id: CommunityId,
    /// Whether a member who is not an exception may view the channel.
    pub by_default: bool,
    /// The members whose answer is the opposite of `by_default`.
    pub exceptions: HashSet<UserId>,
}

impl ChannelViewers {
    /// Whether `user_id` (a member of the community) may view the channel.
    pub fn includes(&self, user_id: &UserId) -> bool {
        self.by_default != self.exceptions.contains(user_id)
    }

    /// The audience: the whole community when everyone may view the channel.
    pub fn into_audience(self) -> Audience {
        if self.by_default && self.exceptions.is_empty() {
            Audience::Community(self.community_id)
        } else {
            Audience::Viewers(Arc::new(self))
        }
    }
}

/// A user entered or left a community; the transport updates its index of which online
/// sessions belong to which community.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipChange {
    /// The community.
    pub community_id: CommunityId,
    /// The user.
    pub user_id: UserId,
    /// True: now a member. False: no longer a member (left, kicked, dismissed).
    pub joined: bool,
}
