//! Voice-channel state: who sits in which voice channel, in memory.
//!
//! A user sits in at most one voice channel ([`VoiceRooms`], sans I/O): joining another
//! leaves the first (`voice_left` there, then `voice_joined` here); rejoining the same one
//! changes nothing. A seat keeps the audience of its channel as the domain gave it at
//! join time (who sees the channel: the community's members for a public one), and both
//! events go to the online sessions of that audience — a private voice channel does not
//! show who sits in it to members who cannot see it. `sync` (and the snapshot of
//! `create_community` / `join_community`) lists the participants of the channels the
//! caller sees ([`Hub::fill_voice`]).
//!
//! A seat is cleared (`voice_left`) when the user leaves it, when they go offline (their
//! last session detached and not back within the presence grace, or gone), when they
//! leave or are removed from the community, lose sight of a private channel, or the
//! channel is deleted (`super::live`, after the domain's change).
//!
//! With several nodes, a seat belongs to the node where it was taken (`Seat::node`,
//! `None`: this one). Once the cluster asks ([`VoiceRooms::note_to`]), the seats taken and
//! left here are noted in order ([`VoiceOp`]) for the other nodes, which keep them beside
//! their own (`super::voice_remote`); going offline here leaves only a seat taken here.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use tokio::sync::Notify;

use community_protocol::{
    ApiError, ChannelId, CommunityId, ErrorCode, Event, Response, UserId, VoiceParticipant, codec,
};
use community_server_domain::Audience;

use super::live_base::wall_ms;
use super::{Hub, Index, for_each_session};

/// A user's seat.
struct Seat {
    participant: VoiceParticipant,
    audience: Audience,
    /// The node where it was taken (`None`: this one).
    node: Option<String>,
}

/// A seat taken or left here, for the other nodes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum VoiceOp {
    /// Seated (any other seat of the user's left).
    Joined(VoiceParticipant, Audience),
    /// Left.
    Left(VoiceParticipant),
}

/// Most seat changes noted for the other nodes before the cluster takes them (beyond,
/// the oldest are dropped; the next snapshot repairs).
const NOTED_OPS: usize = 16_384;

/// A seat that was left: who is told.
#[derive(Debug, PartialEq)]
pub(crate) struct Left {
    /// Who left where.
    pub participant: VoiceParticipant,
    /// Who sees that channel.
    pub audience: Audience,
}

/// The outcome of a join.
#[derive(Debug, PartialEq)]
pub(crate) enum Joined {
    /// Already sitting there: nothing changes.
    Already,
    /// Seated; the seat left for it, if any.
    Seated(Option<Left>),
}

/// Every seat, by user and by channel.
#[derive(Default)]
pub(crate) struct VoiceRooms {
    seats: HashMap<UserId, Seat>,
    /// Per community, per channel: who sits there, in join order.
    rooms: HashMap<CommunityId, BTreeMap<ChannelId, Vec<UserId>>>,
    /// Seat changes made here, for the other nodes (while noted).
    ops: Vec<VoiceOp>,
    /// Woken at each noted change, once the cluster asked.
    noted: Option<Arc<Notify>>,
}

impl VoiceRooms {
    /// From now on, notes the seats taken and left here and wakes `wake`.
    pub fn note_to(&mut self, wake: Arc<Notify>) {
        self.noted = Some(wake);
    }

    /// The seat changes noted since the last call, in order.
    pub fn take_ops(&mut self) -> Vec<VoiceOp> {
        std::mem::take(&mut self.ops)
    }

    fn note(&mut self, op: VoiceOp) {
        if let Some(wake) = &self.noted {
            if self.ops.len() >= NOTED_OPS {
                self.ops.remove(0);
            }
            self.ops.push(op);
            wake.notify_one();
        }
    }

    /// A seat taken here (see [`VoiceRooms::join`]), noted for the other nodes.
    pub fn join_here(&mut self, participant: VoiceParticipant, audience: Audience) -> Joined {
        let joined = self.join(participant.clone(), audience.clone(), None);
        if matches!(joined, Joined::Seated(_)) {
            self.note(VoiceOp::Joined(participant, audience));
        }
        joined
    }

    /// `user` leaves a seat taken here (going offline here), noted for the other nodes;
    /// a seat taken on another node stays.
    pub fn leave_here(&mut self, user: &UserId) -> Option<Left> {
        if self.seats.get(user)?.node.is_some() {
            return None;
        }
        let left = self.leave(user)?;
        self.note(VoiceOp::Left(left.participant.clone()));
        Some(left)
    }

    /// `user` asked to leave their seat (wherever it was taken), noted for the other
    /// nodes.
    pub fn leave_asked(&mut self, user: &UserId) -> Option<Left> {
        let left = self.leave(user)?;
        self.note(VoiceOp::Left(left.participant.clone()));
        Some(left)
    }

    /// The seats taken here (for a node that just appeared).
    pub fn seats_here(&self) -> Vec<VoiceOp> {
        self.seats
            .values()
            .filter(|seat| seat.node.is_none())
            .map(|seat| VoiceOp::Joined(seat.participant.clone(), seat.audience.clone()))
            .collect()
    }

    /// Another node says this seat was left: it goes if it is still the user's seat
    /// (same channel, same join time), wherever it was taken.
    pub fn leave_seat(&mut self, participant: &VoiceParticipant) -> Option<Left> {
        let seat = self.seats.get(&participant.user_id)?;
        if seat.participant == *participant {
            self.leave(&participant.user_id)
        } else {
            None
        }
    }

    /// `node` fell silent: the seats it gave go.
    pub fn leave_node(&mut self, node: &str) -> Vec<Left> {
        let users: Vec<UserId> = self
            .seats
            .iter()
            .filter(|(_, seat)| seat.node.as_deref() == Some(node))
            .map(|(user, _)| user.clone())
            .collect();
        users.iter().filter_map(|user| self.leave(user)).collect()
    }

    /// Seats `participant` (whose channel `audience` sees; taken on `node`, `None`: here),
    /// leaving any other seat.
    pub fn join(
        &mut self,
        participant: VoiceParticipant,
        audience: Audience,
        node: Option<String>,
    ) -> Joined {
        if let Some(seat) = self.seats.get(&participant.user_id)
            && seat.participant.community_id == participant.community_id
            && seat.participant.channel_id == participant.channel_id
        {
            return Joined::Already;
        }
        let left = self.leave(&participant.user_id);
        self.rooms
            .entry(participant.community_id.clone())
            .or_default()
            .entry(participant.channel_id.clone())
            .or_default()
            .push(participant.user_id.clone());
        self.seats.insert(
            participant.user_id.clone(),
            Seat {
                participant,
                audience,
                node,
            },
        );
        Joined::Seated(left)
    }

    /// `user` leaves their seat, if any.
    pub fn leave(&mut self, user: &UserId) -> Option<Left> {
        let seat = self.seats.remove(user)?;
        let (community, channel) = (&seat.participant.community_id, &seat.participant.channel_id);
        if let Some(channels) = self.rooms.get_mut(community) {
            if let Some(room) = channels.get_mut(channel) {
                room.retain(|u| u != user);
                if room.is_empty() {
                    channels.remove(channel);
                }
            }
            if channels.is_empty() {
                self.rooms.remove(community);
            }
        }
        Some(Left {
            participant: seat.participant,
            audience: seat.audience,
        })
    }

    /// `user` leaves their seat if it is in `community` (and in `channel`, when given).
    pub fn leave_in(
        &mut self,
        user: &UserId,
        community: &CommunityId,
        channel: Option<&ChannelId>,
    ) -> Option<Left> {
        let seat = self.seats.get(user)?;
        let here = seat.participant.community_id == *community
            && channel.is_none_or(|c| seat.participant.channel_id == *c);
        if here { self.leave(user) } else { None }
    }

    /// Everyone leaves `channel` (deleted).
    pub fn clear_channel(&mut self, community: &CommunityId, channel: &ChannelId) -> Vec<Left> {
        let users = self
            .rooms
            .get(community)
            .and_then(|channels| channels.get(channel))
            .cloned()
            .unwrap_or_default();
        users.iter().filter_map(|user| self.leave(user)).collect()
    }

    /// Who sits in `channel`, in join order.
    pub fn list(&self, community: &CommunityId, channel: &ChannelId) -> Vec<VoiceParticipant> {
        self.rooms
            .get(community)
            .and_then(|channels| channels.get(channel))
            .map(|users| self.participants(users))
            .unwrap_or_default()
    }

    /// Who sits in the voice channels of `community` that `sees` accepts, by channel id,
    /// each channel in join order.
    pub fn in_community(
        &self,
        community: &CommunityId,
        mut sees: impl FnMut(&ChannelId) -> bool,
    ) -> Vec<VoiceParticipant> {
        let Some(channels) = self.rooms.get(community) else {
            return Vec::new();
        };
        channels
            .iter()
            .filter(|(channel, _)| sees(channel))
            .flat_map(|(_, users)| self.participants(users))
            .collect()
    }

    fn participants(&self, users: &[UserId]) -> Vec<VoiceParticipant> {
        users
            .iter()
            .filter_map(|user| self.seats.get(user))
            .map(|seat| seat.participant.clone())
            .collect()
    }
}

/// Why a seat could not be taken.
pub(crate) enum JoinRefused {
    /// Something the check read may have changed meanwhile (a channel removed, a member
    /// gone): check again.
    Stale,
    /// Refused with this error.
    Error(ApiError),
}

impl Hub {
    /// A counter that moves whenever a channel is removed or a member loses a community:
    /// read before the `join_voice` check, compared when seating.
    pub fn live_epoch(&self) -> u64 {
        self.lock().live.epoch
    }

    /// Seats the user of `session` in `channel` (checked by the domain, which gave
    /// `audience`, while the epoch was `epoch`): `voice_left` for any other seat, then
    /// `voice_joined`.
    pub fn join_voice(
        &self,
        user: &UserId,
        community: &CommunityId,
        channel: &ChannelId,
        audience: Audience,
        epoch: u64,
    ) -> Result<(), JoinRefused> {
        let mut index = self.lock();
        let index = &mut *index;
        if index.live.epoch != epoch {
            return Err(JoinRefused::Stale);
        }
        if !index
            .users
            .get(user)
            .is_some_and(|entry| entry.communities.contains(community))
        {
            return Err(JoinRefused::Error(ApiError::new(
                ErrorCode::NOT_MEMBER,
                format!("you are not a member of {community:?}"),
            )));
        }
        let participant = VoiceParticipant {
            community_id: community.clone(),
            channel_id: channel.clone(),
            user_id: user.clone(),
            joined_at_ms: wall_ms(),
        };
        match index
            .live
            .voice
            .join_here(participant.clone(), audience.clone())
        {
            Joined::Already => {}
            Joined::Seated(left) => {
                if let Some(left) = left {
                    voice_left(index, &left);
                }
                announce(index, &audience, &Event::VoiceJoined { participant });
            }
        }
        Ok(())
    }

    /// The user leaves their voice channel, if they sit in one.
    pub fn leave_voice(&self, user: &UserId) {
        let mut index = self.lock();
        let index = &mut *index;
        if let Some(left) = index.live.voice.leave_asked(user) {
            voice_left(index, &left);
        }
    }

    /// Who sits in `channel`, in join order.
    pub fn list_voice(
        &self,
        community: &CommunityId,
        channel: &ChannelId,
    ) -> Vec<VoiceParticipant> {
        self.lock().live.voice.list(community, channel)
    }

    /// Adds who sits where to a `synced` or `community` answer: the participants of the
    /// voice channels each snapshot lists (or whose heads an unchanged community has).
    pub fn fill_voice(&self, response: &mut Response) {
        let index = self.lock();
        let voice = &index.live.voice;
        match response {
            Response::Synced(synced) => {
                for snapshot in &mut synced.changed {
                    let community = &snapshot.info.community_id;
                    let channels = &snapshot.channels;
                    snapshot.voice = voice
                        .in_community(community, |id| channels.iter().any(|c| c.channel_id == *id));
                }
                for unchanged in &mut synced.unchanged {
                    let heads = &unchanged.heads;
                    unchanged.voice = voice.in_community(&unchanged.community_id, |id| {
                        heads.iter().any(|h| h.channel_id == *id)
                    });
                }
            }
            Response::Community(snapshot) => {
                let channels = &snapshot.channels;
                snapshot.voice = voice.in_community(&snapshot.info.community_id, |id| {
                    channels.iter().any(|c| c.channel_id == *id)
                });
            }
            _ => {}
        }
    }
}

/// Tells a seat's audience it was left.
pub(super) fn voice_left(index: &mut Index, left: &Left) {
    let event = Event::VoiceLeft {
        community_id: left.participant.community_id.clone(),
        channel_id: left.participant.channel_id.clone(),
        user_id: left.participant.user_id.clone(),
    };
    announce(index, &left.audience, &event);
}

/// Pushes `event` (encoded once) to every online session of `audience`.
pub(super) fn announce(index: &mut Index, audience: &Audience, event: &Event) {
    let body: Arc<str> = match codec::encode_event(event) {
        Ok(text) => Arc::from(text),
        Err(error) => {
            tracing::error!(%error, "voice event could not be encoded; not delivered");
            return;
        }
    };
    for_each_session(index, audience, None, |session| {
        session.push_event(&body, None);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seat(user: &str, channel: &str, at: i64) -> VoiceParticipant {
        VoiceParticipant {
            community_id: "c".into(),
            channel_id: channel.into(),
            user_id: user.into(),
            joined_at_ms: at,
        }
    }

    fn everyone() -> Audience {
        Audience::Community("c".into())
    }

    fn users(list: &[VoiceParticipant]) -> Vec<&str> {
        list.iter().map(|p| p.user_id.as_str()).collect()
    }

    #[test]
    fn one_seat_per_user_in_join_order() {
        let mut rooms = VoiceRooms::default();
        assert_eq!(
            rooms.join(seat("a", "v1", 1), everyone(), None),
            Joined::Seated(None)
        );
        assert_eq!(
            rooms.join(seat("b", "v1", 2), everyone(), None),
            Joined::Seated(None)
        );
        assert_eq!(
            rooms.join(seat("a", "v1", 3), everyone(), None),
            Joined::Already
        );
        assert_eq!(users(&rooms.list(&"c".into(), &"v1".into())), ["a", "b"]);
        // Moving: the old seat is left first.
        let Joined::Seated(Some(left)) = rooms.join(seat("a", "v2", 4), everyone(), None) else {
            panic!("a moved");
        };
        assert_eq!(left.participant, seat("a", "v1", 1));
        assert_eq!(users(&rooms.list(&"c".into(), &"v1".into())), ["b"]);
        assert_eq!(
            users(&rooms.in_community(&"c".into(), |_| true)),
            ["b", "a"]
        );
        assert_eq!(
            users(&rooms.in_community(&"c".into(), |c| c.as_str() == "v2")),
            ["a"]
        );
        assert!(
            rooms
                .leave_in(&"a".into(), &"c".into(), Some(&"v1".into()))
                .is_none()
        );
        assert!(rooms.leave_in(&"a".into(), &"d".into(), None).is_none());
        assert!(rooms.leave_in(&"a".into(), &"c".into(), None).is_some());
        rooms.join(seat("c", "v1", 5), everyone(), None);
        let cleared = rooms.clear_channel(&"c".into(), &"v1".into());
        assert_eq!(cleared.len(), 2);
        assert!(rooms.leave(&"b".into()).is_none());
        assert!(rooms.rooms.is_empty() && rooms.seats.is_empty());
    }

    #[test]
    fn seats_of_other_nodes_stay_theirs() {
        let mut rooms = VoiceRooms::default();
        let wake = Arc::new(Notify::new());
        rooms.note_to(Arc::clone(&wake));
        rooms.join_here(seat("a", "v1", 1), everyone());
        rooms.join(seat("b", "v1", 2), everyone(), Some("n2".into()));
        assert_eq!(
            rooms.take_ops(),
            [VoiceOp::Joined(seat("a", "v1", 1), everyone())],
            "only seats taken here are noted"
        );
        assert_eq!(rooms.seats_here().len(), 1);
        // Going offline here leaves only a seat taken here.
        assert!(rooms.leave_here(&"b".into()).is_none());
        assert!(rooms.leave_here(&"a".into()).is_some());
        assert_eq!(rooms.take_ops(), [VoiceOp::Left(seat("a", "v1", 1))]);
        // A stale leave (another seat of the user's) changes nothing.
        assert!(rooms.leave_seat(&seat("b", "v1", 9)).is_none());
        rooms.join(seat("c", "v2", 3), everyone(), Some("n2".into()));
        assert_eq!(rooms.leave_node("n2").len(), 2);
        assert!(rooms.rooms.is_empty() && rooms.seats.is_empty());
    }
}
