//! Applying what concerns people: conversation, profile, presence, online-count, typing
//! and voice events, and the API answers that carry the same data. Conversations change
//! the state and the store like channels; the rest is live data (profiles are also
//! stored so names show offline).

use community_protocol::response::{ConversationEntry, ViewedCommunity};
use community_protocol::{
    ChannelId, CommunityId, Event, Message, Presence, Profile, VoiceParticipant,
};

use super::effects::Effects;
use crate::clock::now_ms;
use crate::events::Publication;
use crate::state::State;
use crate::store::Change;

/// An answer about people the API received, applied like the matching event.
#[derive(Debug, Clone)]
pub(crate) enum PeopleUpdate {
    /// A conversation started or changed, with the user's head of it.
    Conversation(ConversationEntry),
    /// The user left a conversation.
    ConversationLeft(ChannelId),
    /// Profiles fetched or set.
    Profiles(Vec<Profile>),
    /// Presence values (`subscribe_presence`).
    Presences(Vec<Presence>),
    /// The viewed community's online members and count (`view_community`).
    Viewing(ViewedCommunity),
    /// Who sits in one voice channel (`list_voice`).
    Voice {
        /// The community.
        community_id: CommunityId,
        /// The voice channel.
        channel_id: ChannelId,
        /// Who sits there.
        participants: Vec<VoiceParticipant>,
    },
}

/// Applies a people event; gives the event back when it is not one.
pub(crate) fn apply_event(
    state: &mut State,
    event: Event,
    fx: &mut Effects,
    out: &mut Vec<Publication>,
) -> Option<Event> {
    match event {
        Event::ProfileUpdated { profile } => put_profiles(state, vec![profile], fx, out),
        Event::ConversationUpdated { conversation, head } => {
            conversation_updated(state, ConversationEntry { conversation, head }, fx, out)
        }
        Event::ConversationRemoved { conversation_id } => {
            conversation_left(state, conversation_id, fx, out)
        }
        Event::PresenceChanged { presence } => state.put_presence(vec![presence], out),
        Event::OnlineCount {
            community_id,
            online,
        } => state.set_online(community_id, online, out),
        Event::Typing {
            community_id,
            channel_id,
            user_ids,
            until_ms: _,
        } => {
            // Shown for the deployment's time from now on this device's clock: the
            // server's `until_ms` is on the server's clock.
            let until = now_ms().saturating_add(ttl(state));
            state.typing(community_id, channel_id, user_ids, until, out);
        }
        Event::VoiceJoined { participant } => state.voice_joined(participant, out),
        Event::VoiceLeft {
            community_id,
            channel_id,
            user_id,
        } => state.voice_left(&community_id, &channel_id, &user_id, out),
        other => return Some(other),
    }
    None
}

fn ttl(state: &State) -> i64 {
    i64::try_from(state.limits.typing_ttl_ms).unwrap_or(i64::MAX)
}

/// Applies a people answer.
pub(crate) fn apply_local(
    state: &mut State,
    update: PeopleUpdate,
    fx: &mut Effects,
    out: &mut Vec<Publication>,
) {
    match update {
        PeopleUpdate::Conversation(entry) => conversation_updated(state, entry, fx, out),
        PeopleUpdate::ConversationLeft(conversation_id) => {
            conversation_left(state, conversation_id, fx, out)
        }
        PeopleUpdate::Profiles(profiles) => put_profiles(state, profiles, fx, out),
        PeopleUpdate::Presences(presences) => state.put_presence(presences, out),
        PeopleUpdate::Viewing(viewing) => {
            state.put_presence(viewing.presences, out);
            state.set_online(viewing.community_id, viewing.online_count, out);
        }
        PeopleUpdate::Voice {
            community_id,
            channel_id,
            participants,
        } => {
            let mut voice: Vec<VoiceParticipant> = state
                .voice(&community_id)
                .into_iter()
                .filter(|p| {
                    p.channel_id != channel_id
                        && !participants.iter().any(|q| q.user_id == p.user_id)
                })
                .collect();
            voice.extend(participants);
            voice.sort_by_key(|p| p.joined_at_ms);
            state.set_voice(&community_id, voice, out);
        }
    }
}

/// What a message means for people: its sender stops typing there; a conversation's
/// activity moves.
pub(crate) fn on_message(state: &mut State, message: &Message, out: &mut Vec<Publication>) {
    state.typing_done(message, out);
    if message.community_id.is_direct() {
        state.conversation_activity(message, out);
    }
}

fn put_profiles(
    state: &mut State,
    profiles: Vec<Profile>,
    fx: &mut Effects,
    out: &mut Vec<Publication>,
) {
    let taken = state.put_profiles(profiles, out);
    if !taken.is_empty() {
        fx.changes.push(Change::Profiles(taken));
    }
}

fn conversation_updated(
    state: &mut State,
    entry: ConversationEntry,
    fx: &mut Effects,
    out: &mut Vec<Publication>,
) {
    let ConversationEntry { conversation, head } = entry;
    let id = conversation.conversation_id.clone();
    let known = state.conversation(&id).is_some();
    fx.changes.push(Change::Conversation(conversation.clone()));
    if known {
        state.upsert_conversation(conversation, None, out);
        // A head that lags behind what events brought is not forced on the counter.
        state.apply_head(&head, false, out);
    } else {
        state.upsert_conversation(conversation, Some(&head), out);
    }
    fx.touched.insert((CommunityId::direct(), id));
}

fn conversation_left(
    state: &mut State,
    conversation_id: ChannelId,
    fx: &mut Effects,
    out: &mut Vec<Publication>,
) {
    if state.remove_conversation(&conversation_id, out) {
        fx.touched
            .remove(&(CommunityId::direct(), conversation_id.clone()));
        fx.changes.push(Change::RemoveConversation(conversation_id));
    }
}

/// The state an answer routed in wire order carries (`Inbound::InOrder`): the presences of
/// `subscribe_presence`, the presences and online count of `view_community` (none when it
/// stopped viewing).
pub(super) fn answer_update(response: community_protocol::Response) -> Option<PeopleUpdate> {
    use community_protocol::Response;
    match response {
        Response::Presences(list) => Some(PeopleUpdate::Presences(list.presences)),
        Response::Viewing(viewing) if !viewing.community_id.as_str().is_empty() => {
            Some(PeopleUpdate::Viewing(viewing))
        }
        _ => None,
    }
}

/// After a login, asks the server again for what the app follows (the presence it chose,
/// the users it subscribed to, the community it views): a new session starts with none
/// of it. The answers reach the state through the connection, in order with the events
/// (`Inbound::InOrder`).
pub(super) async fn restore(
    connection: crate::connection::ConnectionHandle,
    cell: std::sync::Arc<crate::state::StateCell>,
) {
    use community_protocol::op;
    use community_protocol::request::{UserIds, ViewCommunity};

    let (chosen, followed, viewed, chunk) = cell.read(|state| {
        (
            state.people.chosen.clone(),
            state.people.followed.iter().cloned().collect::<Vec<_>>(),
            state.people.viewed.clone(),
            state.limits.max_presence_users.max(1),
        )
    });
    // Each is asked again after a pause while it fails for a passing reason (a node that
    // has just started may refuse for a moment).
    if let Some(chosen) = chosen {
        let set = super::retry::again("set_presence", || {
            connection.call(op::SetPresence(chosen.clone()))
        })
        .await;
        if let Err(error) = set {
            tracing::debug!(%error, "could not set the chosen presence again");
        }
    }
    for users in followed.chunks(chunk) {
        let subscribed = super::retry::again("subscribe_presence", || {
            connection.call(op::SubscribePresence(UserIds {
                user_ids: users.to_vec(),
            }))
        })
        .await;
        if let Err(error) = subscribed {
            tracing::debug!(%error, "could not subscribe to presence again");
        }
    }
    if let Some(community_id) = viewed {
        let viewing = super::retry::again("view_community", || {
            connection.call(op::ViewCommunity(ViewCommunity {
                community_id: Some(community_id.clone()),
            }))
        })
        .await;
        if let Err(error) = viewing {
            tracing::debug!(%error, "could not view the community again");
        }
    }
}
