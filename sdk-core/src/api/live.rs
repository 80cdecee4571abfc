//! Live presence in a stream or a community: telling the others the user is typing (at
//! most once per `typing_interval_ms` per stream, the rest skipped here), who is typing
//! now (a subscription), and voice channels (sit down, stand up, who sits where).
//! Nothing here is stored: it lives while the connection does.

use community_protocol::request::ChannelRef;
use community_protocol::request::Empty;
use community_protocol::{UserId, VoiceParticipant, op};

use super::channel::ChannelHandle;
use super::community::CommunityHandle;
use crate::clock::now_ms;
use crate::error::SdkError;
use crate::events::{PeopleSink, Sink, Subscription};
use crate::sync::{LocalUpdate, PeopleUpdate};

impl ChannelHandle {
    fn stream_ref(&self) -> ChannelRef {
        ChannelRef {
            community_id: self.community_id().clone(),
            channel_id: self.id().clone(),
        }
    }

    /// Tells the readers of this channel, thread or conversation that the user is
    /// typing. Call it on every keystroke: it reaches the server at most once per
    /// `typing_interval_ms` (returns whether this call was sent). Refused where sending is.
    pub async fn typing(&self) -> Result<bool, SdkError> {
        let session = self.client.session()?;
        let key = (self.community_id().clone(), self.id().clone());
        let now = now_ms();
        let due = session.read(|state| -> Result<bool, community_protocol::ApiError> {
            state.require_op_at(
                "typing",
                self.community_id(),
                self.id(),
                self.thread_parent(),
            )?;
            let interval = i64::try_from(state.limits.typing_interval_ms).unwrap_or(i64::MAX);
            Ok(state
                .people
                .typing_sent
                .get(&key)
                .is_none_or(|last| now.saturating_sub(*last) >= interval))
        })?;
        if !due {
            return Ok(false);
        }
        session
            .cell
            .update(|state, _| state.people.typing_sent.insert(key.clone(), now));
        if let Err(error) = session.call(op::Typing(self.stream_ref())).await {
            session
                .cell
                .update(|state, _| state.people.typing_sent.remove(&key));
            return Err(error);
        }
        Ok(true)
    }

    /// Whether the server confirmed this place as the session's focus (protocol §22.1):
    /// the newest live message timeline is focused by itself, and in a large community
    /// only the focused place gets whole messages, changes and typing as they happen.
    pub fn is_focused(&self) -> bool {
        self.client
            .session()
            .map(|s| {
                s.read(|state| {
                    state
                        .focused
                        .as_ref()
                        .is_some_and(|(c, ch)| c == self.community_id() && ch == self.id())
                })
            })
            .unwrap_or(false)
    }

    /// Who is typing here now (not the user), sorted.
    pub fn typers(&self) -> Vec<UserId> {
        self.client
            .session()
            .map(|s| s.read(|state| state.typers(self.community_id(), self.id())))
            .unwrap_or_default()
    }

    /// Who is typing here: the list now, then the whole list after every change (someone
    /// starts, their message arrives, or their indicator runs out).
    pub fn subscribe_typing(&self) -> Subscription<Vec<UserId>> {
        let (community_id, channel_id) = (self.community_id().clone(), self.id().clone());
        let (sink_community, sink_channel) = (community_id.clone(), channel_id.clone());
        self.client.subscribe(
            move |state| {
                state
                    .map(|s| s.typers(&community_id, &channel_id))
                    .unwrap_or_default()
            },
            move |outlet| {
                Sink::People(PeopleSink::Typing(
                    sink_community.clone(),
                    sink_channel.clone(),
                    outlet,
                ))
            },
        )
    }

    /// Sits the user down in this voice channel (standing up from any other).
    pub async fn join_voice(&self) -> Result<(), SdkError> {
        let session = self.client.session()?;
        session
            .read(|state| state.require_op("join_voice", self.community_id(), Some(self.id())))?;
        session.call(op::JoinVoice(self.stream_ref())).await?;
        Ok(())
    }

    /// Who sits in this voice channel, from the server (the cache is refreshed).
    pub async fn voice_participants(&self) -> Result<Vec<VoiceParticipant>, SdkError> {
        let session = self.client.session()?;
        session
            .read(|state| state.require_op("list_voice", self.community_id(), Some(self.id())))?;
        let list = session.call(op::ListVoice(self.stream_ref())).await?;
        session
            .apply(LocalUpdate::People(PeopleUpdate::Voice {
                community_id: self.community_id().clone(),
                channel_id: self.id().clone(),
                participants: list.participants.clone(),
            }))
            .await;
        Ok(list.participants)
    }
}

impl CommunityHandle {
    /// Stands the user up from the voice channel they sit in.
    pub async fn leave_voice(&self) -> Result<(), SdkError> {
        let session = self.session()?;
        session.call(op::LeaveVoice(Empty {})).await?;
        Ok(())
    }

    /// Who sits in this community's voice channels, as last known, in the order they
    /// sat down.
    pub fn voice(&self) -> Vec<VoiceParticipant> {
        self.session()
            .map(|s| s.read(|state| state.voice(self.id())))
            .unwrap_or_default()
    }

    /// Who sits in this community's voice channels: the list now, then the whole list
    /// after every change.
    pub fn subscribe_voice(&self) -> Subscription<Vec<VoiceParticipant>> {
        let id = self.id().clone();
        let sink_id = id.clone();
        self.client.subscribe(
            move |state| state.map(|s| s.voice(&id)).unwrap_or_default(),
            move |outlet| Sink::People(PeopleSink::Voice(sink_id.clone(), outlet)),
        )
    }
}
