//! The event loop's side of people: the conversation list, presence and profile
//! subscriptions (for the whole run), each watched community's voice subscription, the
//! open channel's typing subscription, telling the others the user types, viewing the
//! open channel's community (its members' presence follows), and the display names and
//! presence of the people on screen, read from the SDK's cache after each batch of events
//! (profiles not cached yet are fetched once).

use std::collections::{HashMap, HashSet};

use community_sdk::Client;
use community_sdk::protocol::{CommunityId, UserId};
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use super::{Effects, UiEvent, forward};
use crate::app::{App, ChannelKey, ThreadKey};

/// The people subscriptions that come and go with what the UI shows.
#[derive(Default)]
pub(super) struct PeopleTasks {
    voice: HashMap<CommunityId, JoinHandle<()>>,
    typing: Option<JoinHandle<()>>,
    /// Users whose profile was asked for (once each).
    requested: HashSet<UserId>,
}

impl PeopleTasks {
    /// Ends every subscription.
    pub(super) fn stop(&mut self) {
        for (_, task) in self.voice.drain() {
            task.abort();
        }
        if let Some(task) = self.typing.take() {
            task.abort();
        }
    }
}

/// The subscriptions for the whole run: the conversation list, presence changes (followed
/// users and the viewed community's members) and profile changes.
pub(super) fn background(
    client: &Client,
    events: &UnboundedSender<UiEvent>,
) -> Vec<JoinHandle<()>> {
    vec![
        forward(
            client.subscribe_conversations(),
            events.clone(),
            UiEvent::Conversations,
        ),
        forward(
            client.presence_stream(None),
            events.clone(),
            UiEvent::Presence,
        ),
        forward(client.subscribe_profiles(None), events.clone(), |_| {
            UiEvent::ProfilesChanged
        }),
    ]
}

impl Effects {
    /// Follows who sits in the voice channels of a community.
    pub(super) fn watch_voice(&mut self, id: &CommunityId) {
        let subscription = self.client.community(id).subscribe_voice();
        let key = id.clone();
        let task = forward(subscription, self.events.clone(), move |list| {
            UiEvent::Voice(key.clone(), list)
        });
        if let Some(old) = self.people.voice.insert(id.clone(), task) {
            old.abort();
        }
    }

    /// Stops following a community's voice channels.
    pub(super) fn unwatch_voice(&mut self, id: &CommunityId) {
        if let Some(task) = self.people.voice.remove(id) {
            task.abort();
        }
    }

    /// With a channel opened: follows who types there, and views its community (its
    /// members' presence and online count follow).
    pub(super) fn follow_open(&mut self, key: &ChannelKey) {
        if let Some(task) = self.people.typing.take() {
            task.abort();
        }
        let subscription = self
            .client
            .community(&key.community_id)
            .channel(&key.channel_id)
            .subscribe_typing();
        let typing_key = key.clone();
        self.people.typing = Some(forward(subscription, self.events.clone(), move |typers| {
            UiEvent::Typing(typing_key.clone(), typers)
        }));
        if !key.community_id.is_direct() {
            let client = self.client.clone();
            let community_id = key.community_id.clone();
            self.spawn_call("presence", async move {
                client.view_community(Some(community_id)).await.map(drop)
            });
        }
    }

    /// The user types in a channel or a conversation (the SDK sends at most one
    /// indicator per `typing_interval_ms`; where the user may not post it is refused,
    /// quietly).
    pub(super) fn typing(&mut self, key: &ChannelKey) {
        let channel = self
            .client
            .community(&key.community_id)
            .channel(&key.channel_id);
        self.spawn(async move {
            if let Err(error) = channel.typing().await {
                tracing::debug!(%error, "typing not sent");
            }
        });
    }

    /// The user types in a thread.
    pub(super) fn typing_in_thread(&mut self, key: &ThreadKey) {
        let stream = self
            .client
            .community(&key.community_id)
            .thread(key.thread_id.clone(), key.channel_id.clone())
            .messages();
        self.spawn(async move {
            if let Err(error) = stream.typing().await {
                tracing::debug!(%error, "typing not sent");
            }
        });
    }

    /// Reads the display names and presence of the people on screen from the SDK's cache
    /// (`Client::display_name`, `Client::presence`); fetches the profiles it lacks, once.
    pub(super) fn refresh_people(&mut self, app: &mut App) {
        let shown = app.people_shown();
        let missing: Vec<UserId> = shown
            .iter()
            .filter(|u| {
                self.client.profile(u).is_none() && self.people.requested.insert((*u).clone())
            })
            .cloned()
            .collect();
        if !missing.is_empty() {
            let client = self.client.clone();
            let events = self.events.clone();
            self.spawn(async move {
                // Fetched profiles are cached; the next refresh shows their names.
                if client.profiles(missing).await.is_ok() {
                    let _ = events.send(UiEvent::ProfilesChanged);
                }
            });
        }
        let people = shown
            .into_iter()
            .map(|user| {
                let name = self.client.display_name(&user);
                let status = self.client.presence(&user).map(|p| p.status);
                (user, name, status)
            })
            .collect();
        app.set_people(people);
    }
}
