//! The message one node publishes after a commit, and the subjects it goes on.
//!
//! A [`WireCommit`] is the plain data of one `Handled` (the domain's answer) less the
//! response: the membership changes, then the deliveries in order, with the originating
//! node's id so that a node ignores its own. [`Audience::OtherSessionsOfCaller`] is
//! resolved before publishing: on another node every session of the caller is "another
//! session", so it travels as `Users([caller])`.

use std::collections::HashSet;
use std::sync::Arc;

use community_protocol::{
    ChannelId, CommunityId, Event, PresenceStatus, Seq, TimestampMs, UserId, VoiceParticipant,
};
use community_server_domain::routing::{
    Audience, ChannelViewers, Counting, Delivery, FocusedAudience, MembershipChange,
};
use serde::{Deserialize, Serialize};

use crate::hub::{PresenceLook, VoiceOp};

/// The subject prefix of community-scoped commits: `community.<id>.events`.
const COMMUNITY_PREFIX: &str = "community.";
/// The subject suffix of community-scoped commits.
const COMMUNITY_SUFFIX: &str = ".events";
/// The subject of commits that name no community (profiles, conversations, blocks,
/// creating a community): every node takes them.
pub(crate) const GLOBAL_SUBJECT: &str = "cluster.global";
/// The subject of typing indicators (live, unordered, best effort).
pub(crate) const TYPING_SUBJECT: &str = "cluster.typing";
/// The subject of presence looks (`WirePresence`): every node takes every user's.
pub(crate) const PRESENCE_SUBJECT: &str = "cluster.presence";
/// The subject of a status a user chose (`WirePresenceChoice`): the user's status is one
/// for all their devices, whichever node each is connected to.
pub(crate) const CHOICE_SUBJECT: &str = "cluster.presence_choice";
/// The subject of logins on a device (`WireDeviceLogin`): a login replaces the device's
/// sessions on every node.
pub(crate) const DEVICE_SUBJECT: &str = "cluster.device_login";
/// The subject of voice seats taken and left (`WireVoice`).
pub(crate) const VOICE_SUBJECT: &str = "cluster.voice";
/// The subject of the nodes' heartbeats (`WireNode`).
pub(crate) const NODES_SUBJECT: &str = "cluster.nodes";
/// The wildcard every node subscribes to for community commits.
pub(crate) const COMMUNITY_WILDCARD: &str = "community.*.events";

/// The subject of a commit of `community` (`None`: the global subject). A community id
/// that is not a plain subject token (letters, digits, `-`, `_`) is hex-encoded with an
/// `x` prefix, so no id can break the subject's shape.
pub(crate) fn subject_of(community: Option<&CommunityId>) -> String {
    let Some(community) = community else {
        return GLOBAL_SUBJECT.to_owned();
    };
    let id = community.as_str();
    let plain = !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let token = if plain {
        id.to_owned()
    } else {
        format!("x{}", hex::encode(id.as_bytes()))
    };
    format!("{COMMUNITY_PREFIX}{token}{COMMUNITY_SUFFIX}")
}

/// One commit as it crosses nodes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct WireCommit {
    /// The node that committed it.
    pub node: String,
    /// The community it was ordered under (`None`: global scope).
    pub community: Option<CommunityId>,
    /// Membership changes, applied before the deliveries.
    pub membership: Vec<WireMembership>,
    /// Deliveries, in commit order.
    pub deliveries: Vec<WireDelivery>,
}

/// A user typing somewhere, as it crosses nodes: the receiving node runs it through its
/// own typing windows (`Hub::typing`) for its own sessions of `audience`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct WireTyping {
    /// The node where the user typed.
    pub node: String,
    /// Who types.
    pub user_id: UserId,
    /// The community (`@me` for a conversation).
    pub community_id: CommunityId,
    /// The channel, thread or conversation.
    pub channel_id: ChannelId,
    /// Who may see it (the domain's `typing_audience`).
    pub audience: WireAudience,
}

impl WireTyping {
    /// `user` typing at `community`/`channel` for `audience`, from `node`.
    pub fn new(
        node: &str,
        user: &UserId,
        community: &CommunityId,
        channel: &ChannelId,
        audience: &Audience,
    ) -> Self {
        Self {
            node: node.to_owned(),
            user_id: user.clone(),
            community_id: community.clone(),
            channel_id: channel.clone(),
            audience: WireAudience::from_audience(audience, user),
        }
    }

    /// The audience as the hub takes it.
    pub fn audience(&self) -> Audience {
        self.audience.clone().into_audience()
    }
}

/// How users look from one node's sessions (`cluster.presence`): sent when a look
/// changes, and all connected users' when another node appears.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct WirePresence {
    /// The node.
    pub node: String,
    /// The looks.
    pub looks: Vec<PresenceLook>,
}

/// A status and text a user chose with `set_presence` on one node
/// (`cluster.presence_choice`): every node with sessions of theirs applies it, as a
/// single node applies a choice to all of the user's devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct WirePresenceChoice {
    /// The node where it was chosen.
    pub node: String,
    /// The user.
    pub user_id: UserId,
    /// The status chosen (online, idle, do_not_disturb, invisible).
    pub status: PresenceStatus,
    /// The status text chosen.
    #[serde(default)]
    pub text: String,
}

/// A login of `user_id` on `device_id` on one node (`cluster.device_login`): the other
/// nodes end that device's sessions of theirs (`goodbye{session_replaced}`), as a single
/// node does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct WireDeviceLogin {
    /// The node where the login happened.
    pub node: String,
    /// The user.
    pub user_id: UserId,
    /// The device (never empty: devices without an id never replace each other).
    pub device_id: String,
}

/// Voice seats taken and left on one node, in order (`cluster.voice`): sent as they
/// change, and all the node's seats when another node appears.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct WireVoice {
    /// The node.
    pub node: String,
    /// The changes, in order.
    pub ops: Vec<WireVoiceOp>,
}

/// A [`VoiceOp`] on the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum WireVoiceOp {
    /// Seated (any other seat of the user's left).
    Joined {
        /// Who sits where, since when.
        participant: VoiceParticipant,
        /// Who sees that channel.
        audience: WireAudience,
    },
    /// Left.
    Left {
        /// The seat left.
        participant: VoiceParticipant,
    },
}

impl WireVoice {
    /// `ops` of `node`.
    pub fn new(node: &str, ops: &[VoiceOp]) -> Self {
        let ops = ops
            .iter()
            .map(|op| match op {
                VoiceOp::Joined(participant, audience) => WireVoiceOp::Joined {
                    participant: participant.clone(),
                    audience: WireAudience::from_audience(audience, &participant.user_id),
                },
                VoiceOp::Left(participant) => WireVoiceOp::Left {
                    participant: participant.clone(),
                },
            })
            .collect();
        Self {
            node: node.to_owned(),
            ops,
        }
    }

    /// The changes as the hub takes them.
    pub fn into_ops(self) -> Vec<VoiceOp> {
        self.ops
            .into_iter()
            .map(|op| match op {
                WireVoiceOp::Joined {
                    participant,
                    audience,
                } => VoiceOp::Joined(participant, audience.into_audience()),
                WireVoiceOp::Left { participant } => VoiceOp::Left(participant),
            })
            .collect()
    }
}

/// A node's heartbeat (`cluster.nodes`): a node not heard for a few intervals is gone,
/// its users' presence with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct WireNode {
    /// The node.
    pub node: String,
}

/// A [`MembershipChange`] on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct WireMembership {
    /// The community.
    pub community_id: CommunityId,
    /// The user.
    pub user_id: UserId,
    /// Joined (true) or left (false).
    pub joined: bool,
}

/// A [`Delivery`] on the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct WireDelivery {
    /// Who receives it.
    pub audience: WireAudience,
    /// The event.
    pub event: Event,
    /// Counting of a large community's new message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counting: Option<WireCounting>,
}

/// An [`Audience`] on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum WireAudience {
    /// Every member of a community.
    Community {
        /// The community.
        community_id: CommunityId,
    },
    /// A channel's viewers.
    Viewers {
        /// The community.
        community_id: CommunityId,
        /// The answer for members who are not exceptions.
        by_default: bool,
        /// The exceptions.
        exceptions: Vec<UserId>,
    },
    /// These users.
    Users {
        /// The users.
        users: Vec<UserId>,
    },
    /// Sessions focused on a channel, plus every session of `also`.
    Focused {
        /// The community.
        community_id: CommunityId,
        /// The focused channel or thread.
        channel_id: ChannelId,
        /// Who may receive it at all.
        within: Box<WireAudience>,
        /// Users whose every session receives it.
        also: Vec<UserId>,
    },
}

/// A [`Counting`] on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct WireCounting {
    community_id: CommunityId,
    channel_id: ChannelId,
    seq: Seq,
    created_at_ms: TimestampMs,
    sender_id: UserId,
    everyone: bool,
    users: Vec<UserId>,
    group_holders: Option<Vec<UserId>>,
}

impl WireCommit {
    /// The commit of `node` under `community`, `caller` standing for
    /// [`Audience::OtherSessionsOfCaller`].
    pub fn new(
        node: &str,
        community: Option<&CommunityId>,
        caller: &UserId,
        membership: &[MembershipChange],
        deliveries: &[Delivery],
    ) -> Self {
        Self {
            node: node.to_owned(),
            community: community.cloned(),
            membership: membership
                .iter()
                .map(|m| WireMembership {
                    community_id: m.community_id.clone(),
                    user_id: m.user_id.clone(),
                    joined: m.joined,
                })
                .collect(),
            deliveries: deliveries
                .iter()
                .map(|d| WireDelivery {
                    audience: WireAudience::from_audience(&d.audience, caller),
                    event: d.event.clone(),
                    counting: d.counting.as_deref().map(WireCounting::from_counting),
                })
                .collect(),
        }
    }

    /// The membership changes and deliveries as the hub takes them.
    pub fn into_parts(self) -> (Vec<MembershipChange>, Vec<Delivery>) {
        let membership = self
            .membership
            .into_iter()
            .map(|m| MembershipChange {
                community_id: m.community_id,
                user_id: m.user_id,
                joined: m.joined,
            })
            .collect();
        let deliveries = self
            .deliveries
            .into_iter()
            .map(|d| Delivery {
                audience: d.audience.into_audience(),
                event: d.event,
                counting: d.counting.map(|c| Arc::new(c.into_counting())),
            })
            .collect();
        (membership, deliveries)
    }
}

impl WireAudience {
    fn from_audience(audience: &Audience, caller: &UserId) -> Self {
        match audience {
            Audience::Community(community_id) => WireAudience::Community {
                community_id: community_id.clone(),
            },
            Audience::Viewers(viewers) => {
                let mut exceptions: Vec<UserId> = viewers.exceptions.iter().cloned().collect();
                exceptions.sort();
                WireAudience::Viewers {
                    community_id: viewers.community_id.clone(),
                    by_default: viewers.by_default,
                    exceptions,
                }
            }
            Audience::Users(users) => WireAudience::Users {
                users: users.clone(),
            },
            Audience::OtherSessionsOfCaller => WireAudience::Users {
                users: vec![caller.clone()],
            },
            Audience::Focused(focused) => WireAudience::Focused {
                community_id: focused.community_id.clone(),
                channel_id: focused.channel_id.clone(),
                within: Box::new(WireAudience::from_audience(&focused.within, caller)),
                also: focused.also.clone(),
            },
        }
    }

    fn into_audience(self) -> Audience {
        match self {
            WireAudience::Community { community_id } => Audience::Community(community_id),
            WireAudience::Viewers {
                community_id,
                by_default,
                exceptions,
            } => Audience::Viewers(Arc::new(ChannelViewers {
                community_id,
                by_default,
                exceptions: exceptions.into_iter().collect(),
            })),
            WireAudience::Users { users } => Audience::Users(users),
            WireAudience::Focused {
                community_id,
                channel_id,
                within,
                also,
            } => Audience::Focused(Arc::new(FocusedAudience {
                community_id,
                channel_id,
                within: within.into_audience(),
                also,
            })),
        }
    }
}

impl WireCounting {
    fn from_counting(c: &Counting) -> Self {
        Self {
            community_id: c.community_id.clone(),
            channel_id: c.channel_id.clone(),
            seq: c.seq,
            created_at_ms: c.created_at_ms,
            sender_id: c.sender_id.clone(),
            everyone: c.everyone,
            users: c.users.clone(),
            group_holders: c.group_holders.as_ref().map(|h| {
                let mut holders: Vec<UserId> = h.iter().cloned().collect();
                holders.sort();
                holders
            }),
        }
    }

    fn into_counting(self) -> Counting {
        Counting {
            community_id: self.community_id,
            channel_id: self.channel_id,
            seq: self.seq,
            created_at_ms: self.created_at_ms,
            sender_id: self.sender_id,
            everyone: self.everyone,
            users: self.users,
            group_holders: self
                .group_holders
                .map(|h| Arc::new(h.into_iter().collect::<HashSet<UserId>>())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_plain_tokens() {
        assert_eq!(subject_of(None), GLOBAL_SUBJECT);
        let plain = CommunityId::from("guild-1");
        assert_eq!(subject_of(Some(&plain)), "community.guild-1.events");
        let odd = CommunityId::from("a.b c");
        assert_eq!(subject_of(Some(&odd)), "community.x612e622063.events");
    }

    #[test]
    fn other_sessions_of_caller_travel_as_the_caller() {
        let caller = UserId::from("alice");
        let delivery = Delivery::new(
            Audience::OtherSessionsOfCaller,
            Event::CommunityRemoved {
                community_id: CommunityId::from("c"),
                reason: community_protocol::RemovalReason::Left,
            },
        );
        let commit = WireCommit::new("n1", None, &caller, &[], &[delivery]);
        let text = serde_json::to_string(&commit).unwrap_or_default();
        let back: WireCommit = serde_json::from_str(&text).unwrap_or_else(|_| commit.clone());
        let (_, deliveries) = back.into_parts();
        assert_eq!(deliveries[0].audience, Audience::Users(vec![caller]));
    }
}
