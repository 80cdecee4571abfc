//! Who is there, in the state: cached profiles, the presence of users the app follows,
//! the online counts of viewed communities, who is typing where, who sits in which voice
//! channel, and what the app asked the server to follow (so a new session asks again).
//!
//! All of it is plain data changed by the sync task (events, answers) and read by the
//! API; every change publishes what subscribers need (the whole typing list of a channel,
//! the whole voice list of a community: both are small).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use community_protocol::{
    ChannelId, CommunityId, Message, Presence, Profile, TimestampMs, UserId, VoiceParticipant,
};

use super::State;
use crate::events::Publication;

/// People data of the state.
#[derive(Debug, Default)]
pub(crate) struct People {
    /// Profiles by user (cached in the store too).
    profiles: HashMap<UserId, Profile>,
    /// The last known presence of users the app follows or sees in a viewed community.
    presence: HashMap<UserId, Presence>,
    /// Users whose presence the app subscribed to (asked again after a new session).
    pub followed: BTreeSet<UserId>,
    /// The community the app shows, if any (asked again after a new session).
    pub viewed: Option<CommunityId>,
    /// The presence the user chose (set again after a new session).
    pub chosen: Option<community_protocol::request::SetPresence>,
    /// Online member counts of viewed communities.
    online: HashMap<CommunityId, u64>,
    /// Who is typing where, until when (the client's clock).
    typing: BTreeMap<(CommunityId, ChannelId), BTreeMap<UserId, TimestampMs>>,
    /// When this device last told the server it types in a channel.
    pub typing_sent: HashMap<(CommunityId, ChannelId), TimestampMs>,
}

impl State {
    // ----- profiles -----

    /// Puts cached profiles in place (at start).
    pub(crate) fn load_profiles(&mut self, profiles: Vec<Profile>) {
        for profile in profiles {
            self.people
                .profiles
                .insert(profile.user_id.clone(), profile);
        }
    }

    /// Takes profiles that are not older than the held ones; returns those taken (to
    /// store) and publishes each.
    pub(crate) fn put_profiles(
        &mut self,
        profiles: Vec<Profile>,
        out: &mut Vec<Publication>,
    ) -> Vec<Profile> {
        let mut taken = Vec::new();
        for profile in profiles {
            let newer = self
                .people
                .profiles
                .get(&profile.user_id)
                .is_none_or(|held| held.updated_at_ms <= profile.updated_at_ms && held != &profile);
            if newer {
                self.people
                    .profiles
                    .insert(profile.user_id.clone(), profile.clone());
                out.push(Publication::Profile(profile.clone()));
                taken.push(profile);
            }
        }
        taken
    }

    /// A cached profile.
    pub(crate) fn profile(&self, user_id: &UserId) -> Option<&Profile> {
        self.people.profiles.get(user_id)
    }

    // ----- presence -----

    /// Takes presence values (an answer or an event) and publishes each.
    pub(crate) fn put_presence(&mut self, presences: Vec<Presence>, out: &mut Vec<Publication>) {
        for presence in presences {
            if self.people.presence.get(&presence.user_id) != Some(&presence) {
                self.people
                    .presence
                    .insert(presence.user_id.clone(), presence.clone());
                out.push(Publication::Presence(presence));
            }
        }
    }

    /// The last known presence of a user.
    pub(crate) fn presence(&self, user_id: &UserId) -> Option<&Presence> {
        self.people.presence.get(user_id)
    }

    /// A viewed community's online count changed.
    pub(crate) fn set_online(
        &mut self,
        community_id: CommunityId,
        online: u64,
        out: &mut Vec<Publication>,
    ) {
        if self.people.online.insert(community_id.clone(), online) != Some(online) {
            out.push(Publication::OnlineCount {
                community_id,
                online,
            });
        }
    }

    /// A community's online count, when known (the app viewed it).
    pub(crate) fn online(&self, community_id: &CommunityId) -> Option<u64> {
        self.people.online.get(community_id).copied()
    }

    // ----- typing -----

    /// Users started or renewed typing in a stream, shown until `until` (the client's
    /// clock). The user's own typing (from another device) is not shown.
    pub(crate) fn typing(
        &mut self,
        community_id: CommunityId,
        channel_id: ChannelId,
        users: Vec<UserId>,
        until: TimestampMs,
        out: &mut Vec<Publication>,
    ) {
        let me = self.user_id.clone();
        let key = (community_id, channel_id);
        let typers = self.people.typing.entry(key.clone()).or_default();
        let mut changed = false;
        for user in users.into_iter().filter(|u| Some(u) != me.as_ref()) {
            changed |= typers.insert(user, until).is_none();
        }
        if changed {
            out.push(typing_publication(&key, typers));
        }
    }

    /// A message ends its sender's typing there.
    pub(crate) fn typing_done(&mut self, message: &Message, out: &mut Vec<Publication>) {
        let key = (message.community_id.clone(), message.channel_id.clone());
        let Some(typers) = self.people.typing.get_mut(&key) else {
            return;
        };
        if typers.remove(&message.sender_id).is_some() {
            out.push(typing_publication(&key, typers));
        }
        if typers.is_empty() {
            self.people.typing.remove(&key);
        }
    }

    /// Drops typing that ran out by `now`; returns when the next one runs out.
    pub(crate) fn expire_typing(
        &mut self,
        now: TimestampMs,
        out: &mut Vec<Publication>,
    ) -> Option<TimestampMs> {
        let mut next: Option<TimestampMs> = None;
        for (key, typers) in self.people.typing.iter_mut() {
            let before = typers.len();
            typers.retain(|_, until| *until > now);
            if typers.len() != before {
                out.push(typing_publication(key, typers));
            }
            if let Some(soonest) = typers.values().min() {
                next = Some(next.map_or(*soonest, |n| n.min(*soonest)));
            }
        }
        self.people.typing.retain(|_, typers| !typers.is_empty());
        next
    }

    /// When the next typing indicator runs out, if any shows.
    pub(crate) fn next_typing_expiry(&self) -> Option<TimestampMs> {
        self.people
            .typing
            .values()
            .filter_map(|typers| typers.values().min().copied())
            .min()
    }

    /// Who is typing in a stream now (sorted).
    pub(crate) fn typers(&self, community_id: &CommunityId, channel_id: &ChannelId) -> Vec<UserId> {
        self.people
            .typing
            .get(&(community_id.clone(), channel_id.clone()))
            .map(|typers| typers.keys().cloned().collect())
            .unwrap_or_default()
    }

    // ----- voice -----

    /// Replaces who sits in a community's voice channels (a snapshot, `sync`).
    pub(crate) fn set_voice(
        &mut self,
        community_id: &CommunityId,
        participants: Vec<VoiceParticipant>,
        out: &mut Vec<Publication>,
    ) {
        let Some(community) = self.communities.get_mut(community_id) else {
            return;
        };
        if community.voice != participants {
            community.voice = participants;
            out.push(voice_publication(community_id, &community.voice));
        }
    }

    /// Someone sat down in a voice channel (leaving any other of the community).
    pub(crate) fn voice_joined(
        &mut self,
        participant: VoiceParticipant,
        out: &mut Vec<Publication>,
    ) {
        let Some(community) = self.communities.get_mut(&participant.community_id) else {
            return;
        };
        community.voice.retain(|p| p.user_id != participant.user_id);
        let community_id = participant.community_id.clone();
        community.voice.push(participant);
        out.push(voice_publication(&community_id, &community.voice));
    }

    /// Someone left a voice channel.
    pub(crate) fn voice_left(
        &mut self,
        community_id: &CommunityId,
        channel_id: &ChannelId,
        user_id: &UserId,
        out: &mut Vec<Publication>,
    ) {
        let Some(community) = self.communities.get_mut(community_id) else {
            return;
        };
        let before = community.voice.len();
        community
            .voice
            .retain(|p| !(&p.user_id == user_id && &p.channel_id == channel_id));
        if community.voice.len() != before {
            out.push(voice_publication(community_id, &community.voice));
        }
    }

    /// Who sits in a community's voice channels, in the order they sat down.
    pub(crate) fn voice(&self, community_id: &CommunityId) -> Vec<VoiceParticipant> {
        self.community(community_id)
            .map(|c| c.voice.clone())
            .unwrap_or_default()
    }
}

fn typing_publication(
    key: &(CommunityId, ChannelId),
    typers: &BTreeMap<UserId, TimestampMs>,
) -> Publication {
    Publication::Typing {
        community_id: key.0.clone(),
        channel_id: key.1.clone(),
        users: typers.keys().cloned().collect(),
    }
}

fn voice_publication(community_id: &CommunityId, voice: &[VoiceParticipant]) -> Publication {
    Publication::Voice {
        community_id: community_id.clone(),
        participants: voice.to_vec(),
    }
}
