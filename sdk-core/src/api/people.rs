//! People from the app's side: profiles (cached, fetched, set; shown as message
//! senders), who may start conversations with the user and whom they block, presence
//! (the user's own, subscriptions to others', the viewed community's online members and
//! count).
//!
//! What the app follows (its chosen presence, the users it subscribed to, the community
//! it views) is remembered by the client and asked again after every new session, so a
//! reconnect changes nothing the app sees.

use std::collections::HashSet;

use community_protocol::request::{
    Empty, SetDmPolicy, SetPresence, SetProfile, UserIds, UserRef, ViewCommunity,
};
use community_protocol::response::ViewedCommunity;
use community_protocol::{
    ApiError, CommunityId, DmPolicy, ErrorCode, Presence, PresenceStatus, Profile, UserId, op,
};

use super::client::Client;
use super::community::CommunityHandle;
use crate::error::SdkError;
use crate::events::{PeopleSink, Sink, Subscription};
use crate::sync::{LocalUpdate, PeopleUpdate};

/// Most users in one `get_profiles` request.
const PROFILES_PER_REQUEST: usize = 100;

impl Client {
    // ----- profiles -----

    /// A user's profile as cached.
    pub fn profile(&self, user_id: &UserId) -> Option<Profile> {
        self.inner
            .session()
            .ok()?
            .read(|state| state.profile(user_id).cloned())
    }

    /// What to show for a user: their display name when they set one (cached), else
    /// their id.
    pub fn display_name(&self, user_id: &UserId) -> String {
        self.profile(user_id)
            .map(|p| p.display_name)
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| user_id.to_string())
    }

    /// Profiles of `user_ids`: the cached ones, the others fetched (100 per request) and
    /// cached. Unknown users are left out.
    pub async fn profiles(&self, user_ids: Vec<UserId>) -> Result<Vec<Profile>, SdkError> {
        let session = self.inner.session()?;
        let (mut found, missing): (Vec<Profile>, Vec<UserId>) = session.read(|state| {
            let mut found = Vec::new();
            let mut missing = Vec::new();
            let mut seen = HashSet::new();
            for user in user_ids {
                if !seen.insert(user.clone()) {
                    continue;
                }
                match state.profile(&user) {
                    Some(profile) => found.push(profile.clone()),
                    None => missing.push(user),
                }
            }
            (found, missing)
        });
        if !missing.is_empty() {
            found.extend(self.fetch_profiles(missing).await?);
        }
        Ok(found)
    }

    /// Fetches profiles from the server (100 per request) and caches them.
    pub async fn fetch_profiles(&self, user_ids: Vec<UserId>) -> Result<Vec<Profile>, SdkError> {
        let session = self.inner.session()?;
        let mut profiles = Vec::new();
        for chunk in user_ids.chunks(PROFILES_PER_REQUEST) {
            let list = session
                .call(op::GetProfiles(UserIds {
                    user_ids: chunk.to_vec(),
                }))
                .await?;
            profiles.extend(list.profiles);
        }
        session
            .apply(LocalUpdate::People(PeopleUpdate::Profiles(
                profiles.clone(),
            )))
            .await;
        Ok(profiles)
    }

    /// Changes the user's own profile: `display_name` / `avatar_url` when given (empty
    /// clears), each field of `fields` (an empty value removes it). Everyone who shares a
    /// community or a conversation with the user sees the change.
    pub async fn set_profile(&self, change: SetProfile) -> Result<Profile, SdkError> {
        let session = self.inner.session()?;
        session.read(|state| -> Result<(), ApiError> {
            let held = state
                .user_id
                .as_ref()
                .and_then(|me| state.profile(me))
                .map(|p| p.fields.clone())
                .unwrap_or_default();
            let mut after: HashSet<&String> = held.keys().collect();
            for (key, value) in &change.fields {
                if value.is_empty() {
                    after.remove(key);
                } else {
                    after.insert(key);
                }
            }
            let set: std::collections::BTreeMap<String, String> = change
                .fields
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            state.limits.check_profile(
                change.display_name.as_deref(),
                change.avatar_url.as_deref(),
                &set,
                after.len(),
            )
        })?;
        let profile = session.call(op::SetProfile(change)).await?;
        session
            .apply(LocalUpdate::People(PeopleUpdate::Profiles(vec![
                profile.clone(),
            ])))
            .await;
        Ok(profile)
    }

    /// Profiles as they change from now on (of `user_ids` only, when given): the first
    /// value is the cached profiles of those users (empty when following everyone).
    pub fn subscribe_profiles(&self, user_ids: Option<Vec<UserId>>) -> Subscription<Vec<Profile>> {
        let filter: Option<HashSet<UserId>> = user_ids.map(|ids| ids.into_iter().collect());
        let initial_filter = filter.clone();
        self.inner.subscribe(
            move |state| match (state, &initial_filter) {
                (Some(state), Some(users)) => users
                    .iter()
                    .filter_map(|u| state.profile(u).cloned())
                    .collect(),
                _ => Vec::new(),
            },
            move |outlet| Sink::People(PeopleSink::Profiles(filter.clone(), outlet)),
        )
    }

    // ----- who may reach the user -----

    /// Who may start a conversation with the user.
    pub async fn set_dm_policy(&self, policy: DmPolicy) -> Result<(), SdkError> {
        let session = self.inner.session()?;
        session
            .call(op::SetDmPolicy(SetDmPolicy { policy }))
            .await?;
        Ok(())
    }

    /// Blocks a user: they can no longer start a conversation with the user nor send into
    /// their direct conversation (and neither can the user).
    pub async fn block_user(&self, user_id: impl Into<UserId>) -> Result<(), SdkError> {
        let session = self.inner.session()?;
        session
            .call(op::BlockUser(UserRef {
                user_id: user_id.into(),
            }))
            .await?;
        Ok(())
    }

    /// Unblocks a user.
    pub async fn unblock_user(&self, user_id: impl Into<UserId>) -> Result<(), SdkError> {
        let session = self.inner.session()?;
        session
            .call(op::UnblockUser(UserRef {
                user_id: user_id.into(),
            }))
            .await?;
        Ok(())
    }

    /// The users the user blocked.
    pub async fn blocked_users(&self) -> Result<Vec<UserId>, SdkError> {
        let session = self.inner.session()?;
        Ok(session.call(op::ListBlocked(Empty {})).await?.user_ids)
    }

    // ----- presence -----

    /// Sets the user's presence on every device: online, idle, do-not-disturb or
    /// invisible (shown as offline to others), with a custom status text. Kept for the
    /// next sessions of this client.
    pub async fn set_presence(&self, status: PresenceStatus, text: &str) -> Result<(), SdkError> {
        let session = self.inner.session()?;
        session.read(|state| -> Result<(), ApiError> {
            if matches!(status, PresenceStatus::Offline | PresenceStatus::Unknown) {
                return Err(ApiError::new(
                    ErrorCode::INVALID_ARGUMENT,
                    "online, idle, do_not_disturb or invisible",
                ));
            }
            if text.len() > state.limits.presence_text_bytes {
                return Err(ApiError::new(
                    ErrorCode::PROFILE_TOO_LARGE,
                    format!(
                        "a status text is at most {} bytes",
                        state.limits.presence_text_bytes
                    ),
                ));
            }
            Ok(())
        })?;
        let chosen = SetPresence {
            status,
            text: text.to_string(),
        };
        session.call(op::SetPresence(chosen.clone())).await?;
        session
            .cell
            .update(|state, _| state.people.chosen = Some(chosen));
        Ok(())
    }

    /// Follows the presence of `user_ids` (≤ `max_presence_users` per call): their
    /// presence now as the first value, then every change. The client keeps following
    /// them across reconnects until [`unsubscribe_presence`](Self::unsubscribe_presence).
    pub async fn subscribe_presence(
        &self,
        user_ids: Vec<UserId>,
    ) -> Result<Subscription<Vec<Presence>>, SdkError> {
        let session = self.inner.session()?;
        session.read(|state| {
            state
                .limits
                .check_user_count(user_ids.len(), state.limits.max_presence_users)
        })?;
        session
            .call(op::SubscribePresence(UserIds {
                user_ids: user_ids.clone(),
            }))
            .await?;
        session.cell.update(|state, _| {
            state.people.followed.extend(user_ids.iter().cloned());
        });
        // The answer's presences are applied in order with the events (a newer change is
        // never overwritten by them); wait for that, so the stream starts from them.
        session.apply(LocalUpdate::Barrier).await;
        Ok(self.presence_stream(Some(user_ids)))
    }

    /// Stops following the presence of `user_ids`.
    pub async fn unsubscribe_presence(&self, user_ids: Vec<UserId>) -> Result<(), SdkError> {
        let session = self.inner.session()?;
        session.cell.update(|state, _| {
            for user in &user_ids {
                state.people.followed.remove(user);
            }
        });
        session
            .call(op::UnsubscribePresence(UserIds { user_ids }))
            .await?;
        Ok(())
    }

    /// The presence of users as last known (followed users, members of the viewed
    /// community); `None` when unknown.
    pub fn presence(&self, user_id: &UserId) -> Option<Presence> {
        self.inner
            .session()
            .ok()?
            .read(|state| state.presence(user_id).cloned())
    }

    /// Presence values as they change (of `user_ids` only, when given; every followed
    /// user and member of the viewed community otherwise): the known values first.
    pub fn presence_stream(&self, user_ids: Option<Vec<UserId>>) -> Subscription<Vec<Presence>> {
        let filter: Option<HashSet<UserId>> = user_ids.map(|ids| ids.into_iter().collect());
        let initial_filter = filter.clone();
        self.inner.subscribe(
            move |state| match (state, &initial_filter) {
                (Some(state), Some(users)) => users
                    .iter()
                    .filter_map(|u| state.presence(u).cloned())
                    .collect(),
                _ => Vec::new(),
            },
            move |outlet| Sink::People(PeopleSink::Presence(filter.clone(), outlet)),
        )
    }

    /// Says which community the app shows (`None`: none): its online members' presence
    /// and its online count follow without subscribing. Kept across reconnects.
    pub async fn view_community(
        &self,
        community_id: Option<CommunityId>,
    ) -> Result<Option<ViewedCommunity>, SdkError> {
        let session = self.inner.session()?;
        let viewing = session
            .call(op::ViewCommunity(ViewCommunity {
                community_id: community_id.clone(),
            }))
            .await?;
        session
            .cell
            .update(|state, _| state.people.viewed = community_id.clone());
        if community_id.is_none() {
            return Ok(None);
        }
        // Its presences and online count are applied in order with the events.
        session.apply(LocalUpdate::Barrier).await;
        Ok(Some(viewing))
    }
}

impl CommunityHandle {
    /// Shows this community: its online members' presence and online count follow (see
    /// [`Client::view_community`]).
    pub async fn view(&self) -> Result<ViewedCommunity, SdkError> {
        let client = Client {
            inner: self.client.clone(),
        };
        client
            .view_community(Some(self.id().clone()))
            .await?
            .ok_or_else(|| SdkError::InvalidArgument("the community was not viewed".into()))
    }

    /// How many members are online, when known (the community was viewed).
    pub fn online_count(&self) -> Option<u64> {
        self.session().ok()?.read(|state| state.online(self.id()))
    }

    /// The online member count (0 until known), then its changes while the community is
    /// viewed (coalesced by the server).
    pub fn subscribe_online_count(&self) -> Subscription<u64> {
        let id = self.id().clone();
        let sink_id = id.clone();
        self.client.subscribe(
            move |state| state.and_then(|s| s.online(&id)).unwrap_or(0),
            move |outlet| Sink::People(PeopleSink::OnlineCount(sink_id.clone(), outlet)),
        )
    }
}
