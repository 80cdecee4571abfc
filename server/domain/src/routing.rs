//! The seam between the domain (what happened) and the transport (who gets told).
//!
//! The domain answers every request with a [`Handled`]: the response for the caller, the
//! events to deliver and the membership changes the transport must apply to its routing
//! index *before* delivering those events. The transport never decides who may see what;
//! it only resolves an [`Audience`] to the sessions online right now.

use std::collections::HashSet;
use std::sync::Arc;

use community_protocol::{ChannelId, CommunityId, Event, Response, Seq, UserId};

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
    /// For a `message_created` in a large community (§9.5): what the transport needs to
    /// send it whole only to the focused sessions and the sender's, and exact counts in
    /// `channel_activity` to every other recipient. `None`: whole to every recipient.
    pub counting: Option<Arc<Counting>>,
}

impl Delivery {
    /// `event` for `audience`, whole to every recipient.
    pub fn new(audience: Audience, event: Event) -> Self {
        Self {
            audience,
            event,
            counting: None,
        }
    }
}

/// What a new message of a large community means for each recipient's counts: whether
/// it is unread for them (not their own, not written by the server) and whether it
/// mentions them. Built once per message; nothing in it grows with the community (the
/// holders of mentioned groups are a set shared between messages while the community's
/// access stays the same).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counting {
    /// The community.
    pub community_id: CommunityId,
    /// The channel, thread or conversation (the `channel_activity`'s `channel_id`).
    pub channel_id: ChannelId,
    /// The message's sequence.
    pub seq: Seq,
    /// When it was written.
    pub created_at_ms: community_protocol::TimestampMs,
    /// Its sender (empty: written by the server, unread for nobody).
    pub sender_id: UserId,
    /// `@everyone` is mentioned.
    pub everyone: bool,
    /// The users mentioned by name.
    pub users: Vec<UserId>,
    /// The members holding a mentioned group (none mentioned: `None`).
    pub group_holders: Option<Arc<HashSet<UserId>>>,
}

impl Counting {
    /// Whether the message counts as unread for `user_id`.
    pub fn unread_for(&self, user_id: &UserId) -> bool {
        !self.sender_id.as_str().is_empty() && self.sender_id != *user_id
    }

    /// Whether the message is unread for `user_id` and mentions them (by name, through a
    /// group they hold, or `@everyone`).
    pub fn mentions(&self, user_id: &UserId) -> bool {
        self.unread_for(user_id)
            && (self.everyone
                || self.users.contains(user_id)
                || self
                    .group_holders
                    .as_ref()
                    .is_some_and(|holders| holders.contains(user_id)))
    }
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
    /// In a large community (§9.5): the sessions focused on one channel or thread that
    /// `within` reaches, and every session of the `also` users that `within` reaches
    /// (typing, changes that move no counts).
    Focused(Arc<FocusedAudience>),
}

/// The recipients of [`Audience::Focused`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FocusedAudience {
    /// The community.
    pub community_id: CommunityId,
    /// The channel or thread focused.
    pub channel_id: ChannelId,
    /// Who may receive it at all.
    pub within: Audience,
    /// Users whose every session receives it, focused or not (the actor).
    pub also: Vec<UserId>,
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
