//! Subscriptions about people: the conversation list, profiles, presence, online counts,
//! who is typing in a stream, who sits in a community's voice channels. Their sinks and
//! how a batch of publications reaches each (kept apart from the hub's core).

use std::collections::HashSet;

use community_protocol::{ChannelId, CommunityId, Presence, Profile, UserId, VoiceParticipant};

use super::Publication;
use super::subscription::Outlet;
use crate::model::{ConversationEntry, ListDiff};

/// Where a people subscriber's batches go.
pub(crate) enum PeopleSink {
    /// Conversation list diffs.
    Conversations(Outlet<Vec<ListDiff<ConversationEntry>>>),
    /// Profiles that changed (of these users only, when given).
    Profiles(Option<HashSet<UserId>>, Outlet<Vec<Profile>>),
    /// Presence changes (of these users only, when given).
    Presence(Option<HashSet<UserId>>, Outlet<Vec<Presence>>),
    /// A community's online member count.
    OnlineCount(CommunityId, Outlet<u64>),
    /// Who is typing in one stream (the whole list after each change).
    Typing(CommunityId, ChannelId, Outlet<Vec<UserId>>),
    /// Who sits in a community's voice channels (the whole list after each change).
    Voice(CommunityId, Outlet<Vec<VoiceParticipant>>),
}

impl PeopleSink {
    pub(super) fn is_closed(&self) -> bool {
        match self {
            PeopleSink::Conversations(s) => s.is_closed(),
            PeopleSink::Profiles(_, s) => s.is_closed(),
            PeopleSink::Presence(_, s) => s.is_closed(),
            PeopleSink::OnlineCount(_, s) => s.is_closed(),
            PeopleSink::Typing(_, _, s) => s.is_closed(),
            PeopleSink::Voice(_, s) => s.is_closed(),
        }
    }

    pub(super) fn clone_sink(&self) -> PeopleSink {
        match self {
            PeopleSink::Conversations(s) => PeopleSink::Conversations(s.clone()),
            PeopleSink::Profiles(f, s) => PeopleSink::Profiles(f.clone(), s.clone()),
            PeopleSink::Presence(f, s) => PeopleSink::Presence(f.clone(), s.clone()),
            PeopleSink::OnlineCount(c, s) => PeopleSink::OnlineCount(c.clone(), s.clone()),
            PeopleSink::Typing(c, ch, s) => PeopleSink::Typing(c.clone(), ch.clone(), s.clone()),
            PeopleSink::Voice(c, s) => PeopleSink::Voice(c.clone(), s.clone()),
        }
    }

    /// Sends the publications that concern this subscriber; false when it is gone or
    /// lagging.
    pub(super) fn deliver<'a>(&self, relevant: impl Iterator<Item = &'a Publication>) -> bool {
        match self {
            PeopleSink::Conversations(sender) => {
                let diffs: Vec<_> = relevant
                    .filter_map(|p| match p {
                        Publication::Conversation(diff) => Some(diff.clone()),
                        _ => None,
                    })
                    .collect();
                diffs.is_empty() || sender.send(diffs)
            }
            PeopleSink::Profiles(filter, sender) => {
                let profiles: Vec<_> = relevant
                    .filter_map(|p| match p {
                        Publication::Profile(profile)
                            if filter.as_ref().is_none_or(|f| f.contains(&profile.user_id)) =>
                        {
                            Some(profile.clone())
                        }
                        _ => None,
                    })
                    .collect();
                profiles.is_empty() || sender.send(profiles)
            }
            PeopleSink::Presence(filter, sender) => {
                let presences: Vec<_> = relevant
                    .filter_map(|p| match p {
                        Publication::Presence(presence)
                            if filter
                                .as_ref()
                                .is_none_or(|f| f.contains(&presence.user_id)) =>
                        {
                            Some(presence.clone())
                        }
                        _ => None,
                    })
                    .collect();
                presences.is_empty() || sender.send(presences)
            }
            PeopleSink::OnlineCount(community, sender) => {
                let latest = relevant
                    .filter_map(|p| match p {
                        Publication::OnlineCount {
                            community_id,
                            online,
                        } if community_id == community => Some(*online),
                        _ => None,
                    })
                    .last();
                latest.is_none_or(|online| sender.send(online))
            }
            PeopleSink::Typing(community, channel, sender) => {
                let latest = relevant
                    .filter_map(|p| match p {
                        Publication::Typing {
                            community_id,
                            channel_id,
                            users,
                        } if community_id == community && channel_id == channel => Some(users),
                        _ => None,
                    })
                    .last();
                latest.is_none_or(|users| sender.send(users.clone()))
            }
            PeopleSink::Voice(community, sender) => {
                let latest = relevant
                    .filter_map(|p| match p {
                        Publication::Voice {
                            community_id,
                            participants,
                        } if community_id == community => Some(participants),
                        _ => None,
                    })
                    .last();
                latest.is_none_or(|participants| sender.send(participants.clone()))
            }
        }
    }
}
