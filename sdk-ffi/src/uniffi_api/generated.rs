// Generated from `sdk-ffi/src/ops_table/rows.rs` by its test `generated_bindings_are_fresh`.
// Do not edit: change the table and run `UPDATE_GENERATED=1 cargo test -p community-sdk-ffi generated_bindings_are_fresh`.
//! The forwarded methods of [`Client`], [`Community`], [`Channel`] and
//! [`ChannelThread`] (see `ops_table/rows.rs`).

use std::collections::HashMap;

use super::{Channel, ChannelThread, Client, Community, call_on};
use crate::error::SdkError;
use crate::records::*;

#[uniffi::export(async_runtime = "tokio")]
impl Client {
    /// The connection state now.
    pub fn connection_state(&self) -> Result<ConnectionState, SdkError> {
        let c = self.sdk()?;
        Ok(ConnectionState::from(c.connection_state()))
    }

    /// How far the cache is from the server now.
    pub fn sync_state(&self) -> Result<SyncState, SdkError> {
        let c = self.sdk()?;
        Ok(SyncState::from(c.sync_state()))
    }

    /// The deployment's limits (announced at login; defaults before).
    pub fn limits(&self) -> Result<Limits, SdkError> {
        let c = self.sdk()?;
        Ok(Limits::from(c.limits()))
    }

    /// The joined communities held in the cache, whole.
    pub fn communities(&self) -> Result<Vec<CommunityEntry>, SdkError> {
        let c = self.sdk()?;
        Ok(map_vec::<_, CommunityEntry>(c.communities()))
    }

    /// Total unread (communities in notify status) and total mentions.
    pub fn unread_totals(&self) -> Result<UnreadTotals, SdkError> {
        let c = self.sdk()?;
        Ok(UnreadTotals::from(c.unread_totals()))
    }

    /// Every unread count now (per channel, per community, totals; `reset` is true).
    pub fn unread(&self) -> Result<UnreadUpdate, SdkError> {
        let c = self.sdk()?;
        Ok(UnreadUpdate::from(c.unread()))
    }

    /// Logs out: unregisters the push token (best effort), ends the session on the server and forgets it (the cache stays on disk).
    pub async fn logout(&self) -> Result<(), SdkError> {
        call_on(&self.sdk()?, move |c| async move { c.logout().await }).await
    }

    /// Registers this device's push token for offline pushes. Checked first (1 to `push_token_bytes` bytes, no control characters, no surrounding whitespace), else `invalid_push_token` (5039). Succeeds once the SDK holds the token and the server has it, or will get it after the next login (not logged in yet, offline, or a transient failure): it is kept in the cache. Registering the same token again is free; a replaced token is unregistered. `logout` unregisters it.
    pub async fn register_push_token(
        &self,
        platform: PushPlatform,
        token: String,
    ) -> Result<(), SdkError> {
        call_on(&self.sdk()?, move |c| async move {
            c.register_push_token(platform.into(), &token).await
        })
        .await
    }

    /// Unregisters a push token of this device's (checked like `register_push_token`'s, `invalid_push_token`): forgotten at once, and the server asked now when synced, else after the next login. An unknown token is no error.
    pub async fn unregister_push_token(&self, token: String) -> Result<(), SdkError> {
        call_on(&self.sdk()?, move |c| async move {
            c.unregister_push_token(&token).await
        })
        .await
    }

    /// Sends a new token now; returns its expiry.
    pub async fn refresh_token(&self, token: String) -> Result<i64, SdkError> {
        call_on(&self.sdk()?, move |c| async move {
            c.refresh_token(&token).await
        })
        .await
    }

    /// Joins a community (or files a join request for an approval community).
    pub async fn join_community(
        &self,
        community_id: String,
        message: Option<String>,
    ) -> Result<JoinOutcome, SdkError> {
        call_on(&self.sdk()?, move |c| async move {
            c.join_community(community_id, &message.unwrap_or_default())
                .await
                .map(JoinOutcome::from)
        })
        .await
    }

    /// One page of the joined communities from the server, whole (`cursor`: the previous page's `next_cursor`; `limit` 1..=100, default 100).
    pub async fn joined_communities_page(
        &self,
        cursor: Option<String>,
        limit: Option<u32>,
    ) -> Result<CommunityPage, SdkError> {
        call_on(&self.sdk()?, move |c| async move {
            c.joined_communities_page(cursor, limit)
                .await
                .map(CommunityPage::from)
        })
        .await
    }

    /// Every message of the outbox (unsent, failed, and the most recently sent), in the order they were sent.
    pub async fn outbox(&self) -> Result<Vec<LocalMessage>, SdkError> {
        call_on(&self.sdk()?, move |c| async move {
            c.outbox().await.map(map_vec::<_, LocalMessage>)
        })
        .await
    }

    /// One message of the outbox by its local id (also a recently sent one); none when unknown.
    pub async fn local_message(&self, local_id: String) -> Result<Option<LocalMessage>, SdkError> {
        call_on(&self.sdk()?, move |c| async move {
            c.local_message(&local_id)
                .await
                .map(|v| v.map(LocalMessage::from))
        })
        .await
    }

    /// Waits until the message `local_id` is sent (its sequence) or refused (the server's typed error); `message_not_found` when unknown or discarded.
    pub async fn wait_for_send(&self, local_id: String) -> Result<u64, SdkError> {
        call_on(&self.sdk()?, move |c| async move {
            c.wait_for_send(&local_id).await
        })
        .await
    }

    /// The changes made on this device to existing messages (edits, recalls, reactions, pins, hides) that are pending, and the most recently settled ones, in order.
    pub async fn pending_changes(&self) -> Result<Vec<PendingChange>, SdkError> {
        call_on(&self.sdk()?, move |c| async move {
            c.pending_changes().await.map(map_vec::<_, PendingChange>)
        })
        .await
    }

    /// Waits until the change `key` (made on this device) is carried out (its number in the channel's change sequence; none when nothing needed changing) or refused (the server's typed error; its echo is rolled back by then); `message_not_found` when unknown.
    pub async fn wait_for_change(&self, key: String) -> Result<Option<u64>, SdkError> {
        call_on(&self.sdk()?, move |c| async move {
            c.wait_for_change(&key).await
        })
        .await
    }

    /// The user's conversations as cached, newest activity first, with their heads (unread counts).
    pub fn conversations(&self) -> Result<Vec<ConversationEntry>, SdkError> {
        let c = self.sdk()?;
        Ok(map_vec::<_, ConversationEntry>(c.conversations()))
    }

    /// One conversation as cached (none when unknown).
    pub fn conversation_entry(
        &self,
        conversation_id: String,
    ) -> Result<Option<ConversationEntry>, SdkError> {
        let c = self.sdk()?;
        Ok(c.conversation_entry(&conversation_id.into())
            .map(ConversationEntry::from))
    }

    /// Starts a conversation: with one other user a direct one (the existing one, if any), with more (or `group`) a group of up to `max_conversation_members`. Refused with `dm_not_allowed` by a user's policy and `blocked` by a block either way.
    pub async fn start_conversation(
        &self,
        conversation: NewConversation,
    ) -> Result<ConversationEntry, SdkError> {
        call_on(&self.sdk()?, move |c| async move {
            c.start_conversation(conversation.into())
                .await
                .map(ConversationEntry::from)
        })
        .await
    }

    /// Renames a group conversation (a participant).
    pub async fn rename_conversation(
        &self,
        conversation_id: String,
        name: String,
    ) -> Result<ConversationEntry, SdkError> {
        call_on(&self.sdk()?, move |c| async move {
            c.rename_conversation(&conversation_id.into(), &name)
                .await
                .map(ConversationEntry::from)
        })
        .await
    }

    /// Adds users to a group conversation (each one's policy and blocks apply).
    pub async fn add_conversation_members(
        &self,
        conversation_id: String,
        user_ids: Vec<String>,
    ) -> Result<ConversationEntry, SdkError> {
        call_on(&self.sdk()?, move |c| async move {
            c.add_conversation_members(
                &conversation_id.into(),
                user_ids.into_iter().map(Into::into).collect(),
            )
            .await
            .map(ConversationEntry::from)
        })
        .await
    }

    /// Leaves a group conversation: it leaves the list and its cache is dropped.
    pub async fn leave_conversation(&self, conversation_id: String) -> Result<(), SdkError> {
        call_on(&self.sdk()?, move |c| async move {
            c.leave_conversation(&conversation_id.into()).await
        })
        .await
    }

    /// A page of the user's conversations from the server, newest activity first (each also brought into the cache; `cursor`: the previous page's `next_cursor`; `limit` 1..=100).
    pub async fn conversations_page(
        &self,
        cursor: Option<String>,
        limit: Option<u32>,
    ) -> Result<ConversationsPage, SdkError> {
        call_on(&self.sdk()?, move |c| async move {
            c.conversations_page(cursor, limit)
                .await
                .map(ConversationsPage::from)
        })
        .await
    }

    /// A user's profile as cached (none when unknown).
    pub fn profile(&self, user_id: String) -> Result<Option<Profile>, SdkError> {
        let c = self.sdk()?;
        Ok(c.profile(&user_id.into()).map(Profile::from))
    }

    /// What to show for a user: their display name when they set one (cached), else their id.
    pub fn display_name(&self, user_id: String) -> Result<String, SdkError> {
        let c = self.sdk()?;
        Ok(c.display_name(&user_id.into()))
    }

    /// Profiles of users: the cached ones, the others fetched (100 per request) and cached. Unknown users are left out.
    pub async fn profiles(&self, user_ids: Vec<String>) -> Result<Vec<Profile>, SdkError> {
        call_on(&self.sdk()?, move |c| async move {
            c.profiles(user_ids.into_iter().map(Into::into).collect())
                .await
                .map(map_vec::<_, Profile>)
        })
        .await
    }

    /// Fetches profiles from the server (100 per request) and caches them.
    pub async fn fetch_profiles(&self, user_ids: Vec<String>) -> Result<Vec<Profile>, SdkError> {
        call_on(&self.sdk()?, move |c| async move {
            c.fetch_profiles(user_ids.into_iter().map(Into::into).collect())
                .await
                .map(map_vec::<_, Profile>)
        })
        .await
    }

    /// Changes the user's own profile: the display name and avatar URL when given (empty clears), each field (an empty value removes it); `profile_too_large` over the limits. Everyone who shares a community or a conversation with the user sees the change.
    pub async fn set_profile(&self, update: ProfileUpdate) -> Result<Profile, SdkError> {
        call_on(&self.sdk()?, move |c| async move {
            c.set_profile(update.into()).await.map(Profile::from)
        })
        .await
    }

    /// Who may start a conversation with the user (`anyone`, `shared_community`, `nobody`); others are refused with `dm_not_allowed`.
    pub async fn set_dm_policy(&self, policy: DmPolicy) -> Result<(), SdkError> {
        call_on(&self.sdk()?, move |c| async move {
            c.set_dm_policy(policy.into()).await
        })
        .await
    }

    /// Blocks a user: they can no longer start a conversation with the user nor send into their direct conversation, and neither can the user (`blocked`).
    pub async fn block_user(&self, user_id: String) -> Result<(), SdkError> {
        call_on(
            &self.sdk()?,
            move |c| async move { c.block_user(user_id).await },
        )
        .await
    }

    /// Unblocks a user.
    pub async fn unblock_user(&self, user_id: String) -> Result<(), SdkError> {
        call_on(&self.sdk()?, move |c| async move {
            c.unblock_user(user_id).await
        })
        .await
    }

    /// The users the user blocked (asks the server).
    pub async fn blocked_users(&self) -> Result<Vec<String>, SdkError> {
        call_on(&self.sdk()?, move |c| async move {
            c.blocked_users().await.map(map_vec::<_, String>)
        })
        .await
    }

    /// Sets the user's presence on every device: `online`, `idle`, `do_not_disturb` or `invisible` (shown as offline to others), with a status text (≤ `presence_text_bytes`). Kept for the next sessions of this client.
    pub async fn set_presence(&self, status: PresenceStatus, text: String) -> Result<(), SdkError> {
        call_on(&self.sdk()?, move |c| async move {
            c.set_presence(status.into(), &text).await
        })
        .await
    }

    /// Stops following the presence of users.
    pub async fn unsubscribe_presence(&self, user_ids: Vec<String>) -> Result<(), SdkError> {
        call_on(&self.sdk()?, move |c| async move {
            c.unsubscribe_presence(user_ids.into_iter().map(Into::into).collect())
                .await
        })
        .await
    }

    /// A user's presence as last known (followed users, members of the viewed community); none when unknown.
    pub fn presence(&self, user_id: String) -> Result<Option<Presence>, SdkError> {
        let c = self.sdk()?;
        Ok(c.presence(&user_id.into()).map(Presence::from))
    }

    /// Says which community the app shows (none: none): its online members' presence and its online count follow without subscribing, across reconnects. Returns its online members now.
    pub async fn view_community(
        &self,
        community_id: Option<String>,
    ) -> Result<Option<ViewedCommunity>, SdkError> {
        call_on(&self.sdk()?, move |c| async move {
            c.view_community(community_id.map(Into::into))
                .await
                .map(|v| v.map(ViewedCommunity::from))
        })
        .await
    }

    /// Searches the cached messages only (works offline): ranked by relevance, then newest first; `server` is `not_asked`. A malformed query fails with `invalid_search_query` (5037) before anything is read; hidden, recalled and system messages are never found. Highlights are byte ranges of the snippet's UTF-8 text.
    pub async fn search_local(&self, options: SearchOptions) -> Result<SearchResults, SdkError> {
        call_on(&self.sdk()?, move |c| async move {
            c.search_local(options.into())
                .await
                .map(SearchResults::from)
        })
        .await
    }

    /// Searches the cached messages and, when `options.community_id` is set, the server's full history of that community, merged with each message once (the server's copy wins; `source` says where a hit came from). When the server cannot answer, the local hits come back with `server` = `failed` and its error: a server failure never fails the search, a malformed query (5037) does.
    pub async fn search(&self, options: SearchOptions) -> Result<SearchResults, SdkError> {
        call_on(&self.sdk()?, move |c| async move {
            c.search(options.into()).await.map(SearchResults::from)
        })
        .await
    }

    /// Communities whose name contains `text` (case-insensitive): the joined ones in the cache and those the server knows (joined, or open to joining), each once; joined ones first, then names starting with the text.
    pub async fn search_communities(
        &self,
        text: String,
    ) -> Result<CommunitySearchResults, SdkError> {
        call_on(&self.sdk()?, move |c| async move {
            c.search_communities(&text)
                .await
                .map(CommunitySearchResults::from)
        })
        .await
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl Community {
    /// The community as cached (none when not joined or not cached).
    pub fn entry(&self) -> Option<CommunityEntry> {
        let c = &self.inner;
        c.entry().map(CommunityEntry::from)
    }

    /// Its visible channels as cached, in display order, whole.
    pub fn channels(&self) -> Vec<ChannelEntry> {
        let c = &self.inner;
        map_vec::<_, ChannelEntry>(c.channels())
    }

    /// Its categories as cached, in display order, whole.
    pub fn categories(&self) -> Vec<CategoryInfo> {
        let c = &self.inner;
        map_vec::<_, CategoryInfo>(c.categories())
    }

    /// Its unread sums (none when not cached).
    pub fn unread(&self) -> Option<CommunityUnread> {
        let c = &self.inner;
        c.unread().map(CommunityUnread::from)
    }

    /// Fetches the community from the server and refreshes the cache.
    pub async fn refresh(&self) -> Result<CommunityEntry, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.refresh().await.map(CommunityEntry::from)
        })
        .await
    }

    /// Deletes the community and everything in it (owner only).
    pub async fn dismiss(&self) -> Result<(), SdkError> {
        call_on(&self.inner, move |c| async move { c.dismiss().await }).await
    }

    /// Leaves the community (not for its owner).
    pub async fn leave(&self) -> Result<(), SdkError> {
        call_on(&self.inner, move |c| async move { c.leave().await }).await
    }

    /// Adds up to 100 users; failures are reported per user.
    pub async fn invite(&self, user_ids: Vec<String>) -> Result<UsersOutcome, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.invite(user_ids.into_iter().map(Into::into).collect())
                .await
                .map(UsersOutcome::from)
        })
        .await
    }

    /// Pending join requests (`kick_members`).
    pub async fn join_requests(&self) -> Result<Vec<JoinRequest>, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.join_requests().await.map(map_vec::<_, JoinRequest>)
        })
        .await
    }

    /// Approves or rejects a join request (`kick_members`).
    pub async fn decide_join_request(
        &self,
        user_id: String,
        approve: bool,
    ) -> Result<(), SdkError> {
        call_on(&self.inner, move |c| async move {
            c.decide_join_request(user_id, approve).await
        })
        .await
    }

    /// Changes name, avatar, notice or join policy (`manage_community`); absent fields stay.
    pub async fn update(&self, update: CommunityUpdate) -> Result<CommunityInfo, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.update(update.into()).await.map(CommunityInfo::from)
        })
        .await
    }

    /// Sets custom attributes (`manage_community`); keys that fail are reported one by one.
    pub async fn set_attributes(
        &self,
        attributes: HashMap<String, String>,
    ) -> Result<AttributesOutcome, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.set_attributes(attributes.into_iter().collect())
                .await
                .map(AttributesOutcome::from)
        })
        .await
    }

    /// Deletes custom attributes (`manage_community`).
    pub async fn delete_attributes(
        &self,
        keys: Vec<String>,
    ) -> Result<AttributesOutcome, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.delete_attributes(keys).await.map(AttributesOutcome::from)
        })
        .await
    }

    /// The user's notification status for this community (synced to their devices).
    pub async fn set_notification(&self, status: NotificationStatus) -> Result<(), SdkError> {
        call_on(&self.inner, move |c| async move {
            c.set_notification(status.into()).await
        })
        .await
    }

    /// A page of members, optionally filtered by id, nickname or display name (`limit` 1..=100, default 100).
    pub async fn members(
        &self,
        query: Option<String>,
        cursor: Option<String>,
        limit: Option<u32>,
    ) -> Result<MemberPage, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.members(query, cursor, limit).await.map(MemberPage::from)
        })
        .await
    }

    /// Makes a member an admin or an ordinary member (owner only).
    pub async fn set_member_role(
        &self,
        user_id: String,
        role: Role,
    ) -> Result<MemberInfo, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.set_member_role(user_id, role.into())
                .await
                .map(MemberInfo::from)
        })
        .await
    }

    /// Removes a member (`kick_members`; the member must rank below the user).
    pub async fn kick(&self, user_id: String) -> Result<(), SdkError> {
        call_on(&self.inner, move |c| async move { c.kick(user_id).await }).await
    }

    /// Gives ownership to another member (owner only); the user becomes an admin.
    pub async fn transfer_ownership(&self, user_id: String) -> Result<MemberInfo, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.transfer_ownership(user_id).await.map(MemberInfo::from)
        })
        .await
    }

    /// Mutes a member until a time (ms since the epoch), or unmutes (none) (`mute_members`; the member must rank below the user).
    pub async fn mute_member(
        &self,
        user_id: String,
        until_ms: Option<i64>,
    ) -> Result<MemberInfo, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.mute_member(user_id, until_ms).await.map(MemberInfo::from)
        })
        .await
    }

    /// Mutes or unmutes everyone without `mute_members` (`mute_members`).
    pub async fn set_mute_all(&self, muted: bool) -> Result<CommunityInfo, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.set_mute_all(muted).await.map(CommunityInfo::from)
        })
        .await
    }

    /// Sets the user's own nickname in this community (empty clears it).
    pub async fn set_nickname(&self, nickname: String) -> Result<MemberInfo, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.set_nickname(&nickname).await.map(MemberInfo::from)
        })
        .await
    }

    /// Creates a category (`manage_channels`); no position means after the last.
    pub async fn create_category(
        &self,
        name: String,
        position: Option<i64>,
    ) -> Result<CategoryInfo, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.create_category(&name, position)
                .await
                .map(CategoryInfo::from)
        })
        .await
    }

    /// Renames or moves a category (`manage_channels`).
    pub async fn update_category(
        &self,
        category_id: String,
        name: Option<String>,
        position: Option<i64>,
    ) -> Result<CategoryInfo, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.update_category(category_id, name, position)
                .await
                .map(CategoryInfo::from)
        })
        .await
    }

    /// Deletes a category; its channels fall back to no category (`manage_channels`).
    pub async fn delete_category(&self, category_id: String) -> Result<(), SdkError> {
        call_on(&self.inner, move |c| async move {
            c.delete_category(category_id).await
        })
        .await
    }

    /// Fetches the exact heads of every visible channel and refreshes the counts.
    pub async fn refresh_heads(&self) -> Result<Vec<ChannelHead>, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.refresh_heads().await.map(map_vec::<_, ChannelHead>)
        })
        .await
    }

    /// The community's permission groups as cached, `@everyone` first, then by position (lowest first).
    pub fn groups(&self) -> Vec<Group> {
        let c = &self.inner;
        map_vec::<_, Group>(c.groups())
    }

    /// What the user may do in the community at large (a `PermissionFlag` bit set), computed from the cache as the server computes it; none when not cached.
    pub fn permissions(&self) -> Option<u64> {
        let c = &self.inner;
        c.permissions().map(|p| p.0)
    }

    /// What the user may do in every cached channel of the community, computed in one pass (empty when not cached).
    pub fn channel_permissions(&self) -> Vec<ChannelPermissions> {
        let c = &self.inner;
        map_vec::<_, ChannelPermissions>(c.channel_permissions().unwrap_or_default())
    }

    /// Whether the user may do operation `op` (a protocol operation name such as `kick_member`) in the community at large, from the cache: nothing when allowed (or when the cache cannot tell), else the error the server would give (e.g. `permission_denied`). Conditions on a target (its rank) are left to the server.
    pub fn check_operation(&self, op: String) -> Result<(), SdkError> {
        let c = &self.inner;
        c.check_operation(&op).map_err(SdkError::from)
    }

    /// Creates a permission group (`manage_roles`; only flags the user holds); it starts at the bottom (position 1).
    pub async fn create_group(&self, group: NewGroup) -> Result<Group, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.create_group(group.into()).await.map(Group::from)
        })
        .await
    }

    /// Changes a group below the user's highest (`manage_roles`); absent fields stay.
    pub async fn update_group(
        &self,
        group_id: String,
        update: GroupUpdate,
    ) -> Result<Group, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.update_group(group_id, update.into())
                .await
                .map(Group::from)
        })
        .await
    }

    /// Deletes a group below the user's highest (`manage_roles`; not `everyone`).
    pub async fn delete_group(&self, group_id: String) -> Result<(), SdkError> {
        call_on(&self.inner, move |c| async move {
            c.delete_group(group_id).await
        })
        .await
    }

    /// Gives the groups the positions 1, 2, 3… in this order, lowest first (`manage_roles`); returns every group now.
    pub async fn reorder_groups(&self, group_ids: Vec<String>) -> Result<Vec<Group>, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.reorder_groups(group_ids.into_iter().map(Into::into).collect())
                .await
                .map(map_vec::<_, Group>)
        })
        .await
    }

    /// Gives a member a group (`manage_roles`; the member and the group below the user).
    pub async fn assign_group(
        &self,
        user_id: String,
        group_id: String,
    ) -> Result<MemberInfo, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.assign_group(user_id, group_id)
                .await
                .map(MemberInfo::from)
        })
        .await
    }

    /// Takes a group from a member (as `assign_group`).
    pub async fn unassign_group(
        &self,
        user_id: String,
        group_id: String,
    ) -> Result<MemberInfo, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.unassign_group(user_id, group_id)
                .await
                .map(MemberInfo::from)
        })
        .await
    }

    /// Sets a member's custom fields (an empty value removes one): the user's own, or another's with `manage_roles` and ranking above them.
    pub async fn set_member_fields(
        &self,
        user_id: String,
        fields: HashMap<String, String>,
    ) -> Result<MemberInfo, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.set_member_fields(user_id, fields.into_iter().collect())
                .await
                .map(MemberInfo::from)
        })
        .await
    }

    /// Sets a category's override for a group or a member; nothing allowed or denied removes it (`manage_channels`). Channels that follow the category use it.
    pub async fn set_category_override(
        &self,
        category_id: String,
        rule: Override,
    ) -> Result<CategoryInfo, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.set_category_override(category_id, rule.into())
                .await
                .map(CategoryInfo::from)
        })
        .await
    }

    /// Bans a user (`ban_members`; a member must rank below the user): removed now and refused (`banned`) until `until_ms` (ms since the epoch; none: for ever).
    pub async fn ban(
        &self,
        user_id: String,
        until_ms: Option<i64>,
        reason: String,
    ) -> Result<(), SdkError> {
        call_on(&self.inner, move |c| async move {
            c.ban(user_id, until_ms, reason).await
        })
        .await
    }

    /// Lifts a ban (`ban_members`).
    pub async fn unban(&self, user_id: String) -> Result<(), SdkError> {
        call_on(&self.inner, move |c| async move { c.unban(user_id).await }).await
    }

    /// The bans in force, newest first (`ban_members`).
    pub async fn bans(&self) -> Result<Vec<Ban>, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.bans().await.map(map_vec::<_, Ban>)
        })
        .await
    }

    /// A page of members filtered by id or nickname, group and custom field.
    pub async fn find_members(&self, query: MembersQuery) -> Result<MemberPage, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.find_members(query.into()).await.map(MemberPage::from)
        })
        .await
    }

    /// The threads the user joined in the community, with their heads (counts), as cached, newest activity first.
    pub fn joined_threads(&self) -> Vec<ThreadEntry> {
        let c = &self.inner;
        map_vec::<_, ThreadEntry>(c.joined_threads())
    }

    /// A page of the threads the user joined in the community, from the server, newest activity first.
    pub async fn joined_threads_page(
        &self,
        cursor: Option<String>,
        limit: Option<u32>,
    ) -> Result<ThreadsPage, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.joined_threads_page(cursor, limit)
                .await
                .map(ThreadsPage::from)
        })
        .await
    }

    /// Shows this community (see the client's `view_community`): its online members' presence and online count follow.
    pub async fn view(&self) -> Result<ViewedCommunity, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.view().await.map(ViewedCommunity::from)
        })
        .await
    }

    /// How many members are online, when known (the community is viewed).
    pub fn online_count(&self) -> Option<u64> {
        let c = &self.inner;
        c.online_count()
    }

    /// Stands the user up from the voice channel they sit in.
    pub async fn leave_voice(&self) -> Result<(), SdkError> {
        call_on(&self.inner, move |c| async move { c.leave_voice().await }).await
    }

    /// Who sits in this community's voice channels, as last known, in the order they sat down.
    pub fn voice(&self) -> Vec<VoiceParticipant> {
        let c = &self.inner;
        map_vec::<_, VoiceParticipant>(c.voice())
    }

    /// Searches this community's messages (the cache merged with the server's history; see `Client.search`); `options.community_id` is this community.
    pub async fn search(&self, options: SearchOptions) -> Result<SearchResults, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.search(options.into()).await.map(SearchResults::from)
        })
        .await
    }

    /// Channels of this community whose name contains `text` (case-insensitive): the cached visible ones and those the server lists, each once, names starting with the text first.
    pub async fn search_channels(&self, text: String) -> Result<ChannelSearchResults, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.search_channels(&text)
                .await
                .map(ChannelSearchResults::from)
        })
        .await
    }

    /// A page of the members whose display name, nickname or id contains `text` (case-insensitive), from the server (`limit` 1..=100, default 100); an empty or too long text is `invalid_search_query`.
    pub async fn search_members(
        &self,
        text: String,
        limit: Option<u32>,
    ) -> Result<MemberPage, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.search_members(&text, limit).await.map(MemberPage::from)
        })
        .await
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl Channel {
    /// The channel as cached, with its head (none when not visible or not cached).
    pub fn entry(&self) -> Option<ChannelEntry> {
        let c = &self.inner;
        c.entry().map(ChannelEntry::from)
    }

    /// Its unread and mention counts (none when not cached).
    pub fn unread(&self) -> Option<ChannelUnread> {
        let c = &self.inner;
        c.unread().map(ChannelUnread::from)
    }

    /// Sends a message. Returns at once with the local echo (state `sending`), already durable; it is sent when connected and ends `sent` or `failed` (await it with the client's `wait_for_send`).
    pub async fn send(
        &self,
        content: MessageContent,
        options: SendOptions,
    ) -> Result<LocalMessage, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.send(content.into(), options.into())
                .await
                .map(LocalMessage::from)
        })
        .await
    }

    /// Sends a text message with default options (the local echo; see `send`).
    pub async fn send_text(&self, text: String) -> Result<LocalMessage, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.send_text(text).await.map(LocalMessage::from)
        })
        .await
    }

    /// Puts a failed message back in the queue; false when it was not failed.
    pub async fn retry_send(&self, local_id: String) -> Result<bool, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.retry_send(&local_id).await
        })
        .await
    }

    /// Discards an unsent or failed message (timelines drop its echo); false when unknown or sent.
    pub async fn discard(&self, local_id: String) -> Result<bool, SdkError> {
        call_on(
            &self.inner,
            move |c| async move { c.discard(&local_id).await },
        )
        .await
    }

    /// The user's messages of this channel not sent yet, or failed.
    pub async fn pending(&self) -> Result<Vec<LocalMessage>, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.pending().await.map(map_vec::<_, LocalMessage>)
        })
        .await
    }

    /// A page of history, whole and ascending: up to `limit` (1..=100) messages with `seq < before_seq` (the newest when none). Gaps are filled from the server.
    pub async fn messages(
        &self,
        before_seq: Option<u64>,
        limit: u32,
    ) -> Result<Vec<Message>, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.messages(before_seq, limit)
                .await
                .map(map_vec::<_, Message>)
        })
        .await
    }

    /// Marks everything up to `seq` read (never backwards); returns the new head.
    pub async fn mark_read(&self, seq: u64) -> Result<ChannelHead, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.mark_read(seq).await.map(ChannelHead::from)
        })
        .await
    }

    /// Marks every message read; returns the new head.
    pub async fn mark_all_read(&self) -> Result<ChannelHead, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.mark_all_read().await.map(ChannelHead::from)
        })
        .await
    }

    /// Changes the channel (`manage_channels`): also `follows_category` and `mute_all`; absent fields stay.
    pub async fn update(&self, update: ChannelUpdate) -> Result<ChannelInfo, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.update(update.into()).await.map(ChannelInfo::from)
        })
        .await
    }

    /// Deletes the channel and its messages (`manage_channels`; not the default channel).
    pub async fn delete(&self) -> Result<(), SdkError> {
        call_on(&self.inner, move |c| async move { c.delete().await }).await
    }

    /// Adds members to a private channel (`manage_channels`).
    pub async fn add_members(&self, user_ids: Vec<String>) -> Result<UsersOutcome, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.add_members(user_ids.into_iter().map(Into::into).collect())
                .await
                .map(UsersOutcome::from)
        })
        .await
    }

    /// Removes members from a private channel (`manage_channels`).
    pub async fn remove_members(&self, user_ids: Vec<String>) -> Result<UsersOutcome, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.remove_members(user_ids.into_iter().map(Into::into).collect())
                .await
                .map(UsersOutcome::from)
        })
        .await
    }

    /// The explicit members of a private channel (user ids).
    pub async fn members(&self) -> Result<Vec<String>, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.members().await.map(map_vec::<_, String>)
        })
        .await
    }

    /// Edits one's own text or custom message: new content, mentions or custom data (absent fields stay). Shown at once (`Updated`), kept durably and carried out when connected; a refused edit rolls back with the server's error (`not_author`, `message_recalled`, `not_editable`, limits). Await it with `wait_for_change`.
    pub async fn edit_message(
        &self,
        seq: u64,
        edit: MessageEdit,
    ) -> Result<PendingChange, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.edit_message(seq, edit.into())
                .await
                .map(PendingChange::from)
        })
        .await
    }

    /// Recalls a message for everyone (its content becomes `recalled`): one's own within `recall_window_ms`, any message with `manage_messages` (queued like an edit).
    pub async fn recall_message(&self, seq: u64) -> Result<PendingChange, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.recall_message(seq).await.map(PendingChange::from)
        })
        .await
    }

    /// Reacts to a message with an emoji (1..=`emoji_bytes` bytes); adding one the user has changes nothing (queued like an edit).
    pub async fn add_reaction(&self, seq: u64, emoji: String) -> Result<PendingChange, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.add_reaction(seq, emoji).await.map(PendingChange::from)
        })
        .await
    }

    /// Takes the user's reaction back (queued like an edit).
    pub async fn remove_reaction(
        &self,
        seq: u64,
        emoji: String,
    ) -> Result<PendingChange, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.remove_reaction(seq, emoji).await.map(PendingChange::from)
        })
        .await
    }

    /// Pins a message in the channel (`manage_messages`; at most `max_pins_per_channel`; queued like an edit).
    pub async fn pin_message(&self, seq: u64) -> Result<PendingChange, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.pin_message(seq).await.map(PendingChange::from)
        })
        .await
    }

    /// Unpins a message (`manage_messages`; queued like an edit).
    pub async fn unpin_message(&self, seq: u64) -> Result<PendingChange, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.unpin_message(seq).await.map(PendingChange::from)
        })
        .await
    }

    /// Deletes a message for the user only: it leaves the timelines of all their devices (`Removed`) and no longer counts as unread or as a mention (queued like an edit).
    pub async fn hide_message(&self, seq: u64) -> Result<PendingChange, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.hide_message(seq).await.map(PendingChange::from)
        })
        .await
    }

    /// Waits until a change made on this device is carried out (its number in the channel's change sequence; none when nothing needed changing) or refused (the server's typed error; its echo is rolled back by then).
    pub async fn wait_for_change(&self, key: String) -> Result<Option<u64>, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.wait_for_change(&key).await
        })
        .await
    }

    /// The channel's pinned messages, the most recently pinned first (asks the server).
    pub async fn pins(&self) -> Result<Vec<Message>, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.pins().await.map(map_vec::<_, Message>)
        })
        .await
    }

    /// What the user may do in this channel (a `PermissionFlag` bit set), computed from the cache as the server computes it (a greyed-out button here is a refusal there); none when not cached.
    pub fn permissions(&self) -> Option<u64> {
        let c = &self.inner;
        c.permissions().map(|p| p.0)
    }

    /// Whether the user may do operation `op` (a protocol operation name such as `send_message` or `pin_message`) in this channel, from the cache: nothing when allowed (or when the cache cannot tell), else the error the server would give.
    pub fn check_operation(&self, op: String) -> Result<(), SdkError> {
        let c = &self.inner;
        c.check_operation(&op).map_err(SdkError::from)
    }

    /// Whether the user may post `content` mentioning `mentions` here, from the cache: `send_messages`, plus `attach_media` for media and `mention_everyone` for `@everyone` or a group that is not mentionable; else the error the server would give.
    pub fn check_send(&self, content: MessageContent, mentions: Mentions) -> Result<(), SdkError> {
        let c = &self.inner;
        c.check_send(&content.into(), &mentions.into())
            .map_err(SdkError::from)
    }

    /// Sets the channel's override for a group or a member; nothing allowed or denied removes it (`manage_channels`).
    pub async fn set_override(&self, rule: Override) -> Result<ChannelInfo, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.set_override(rule.into()).await.map(ChannelInfo::from)
        })
        .await
    }

    /// Sets the user's notification level of this channel on all their devices: what of its counts reaches the community's sums and the totals (mentions still count with `mentions_only`).
    pub async fn set_notification_level(
        &self,
        level: ChannelNotification,
    ) -> Result<ChannelHead, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.set_notification_level(level.into())
                .await
                .map(ChannelHead::from)
        })
        .await
    }

    /// Forwards a message (of any channel the user can read) to this channel: the server copies its content and records where it came from (`forwarded_from`). Queued like a send (the local echo; await it with `wait_for_send`).
    pub async fn forward(
        &self,
        original: MessageRef,
        options: SendOptions,
    ) -> Result<LocalMessage, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.forward(original.into(), options.into())
                .await
                .map(LocalMessage::from)
        })
        .await
    }

    /// A page of the channel's threads from the server, active (`archived` false) or archived, newest activity first (`cursor`: the previous page's `next_cursor`; `limit` 1..=100).
    pub async fn threads(
        &self,
        archived: bool,
        cursor: Option<String>,
        limit: Option<u32>,
    ) -> Result<ThreadsPage, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.threads(archived, cursor, limit)
                .await
                .map(ThreadsPage::from)
        })
        .await
    }

    /// Unread and mention counts summed over the user's joined threads of this channel (the channel's "threads have unread messages" mark).
    pub fn threads_unread(&self) -> ThreadsUnread {
        let c = &self.inner;
        ThreadsUnread::from(c.threads_unread())
    }

    /// Tells the readers of this channel, thread or conversation that the user is typing. Call it on every keystroke: it reaches the server at most once per `typing_interval_ms` (returns whether this call was sent). Refused where sending is.
    pub async fn typing(&self) -> Result<bool, SdkError> {
        call_on(&self.inner, move |c| async move { c.typing().await }).await
    }

    /// Who is typing here now (not the user), sorted.
    pub fn typers(&self) -> Vec<String> {
        let c = &self.inner;
        map_vec::<_, String>(c.typers())
    }

    /// Sits the user down in this voice channel (standing up from any other).
    pub async fn join_voice(&self) -> Result<(), SdkError> {
        call_on(&self.inner, move |c| async move { c.join_voice().await }).await
    }

    /// Who sits in this voice channel, from the server (the cache is refreshed).
    pub async fn voice_participants(&self) -> Result<Vec<VoiceParticipant>, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.voice_participants()
                .await
                .map(map_vec::<_, VoiceParticipant>)
        })
        .await
    }

    /// Searches this channel's, thread's or conversation's messages (the cache merged with the server's history; see `Client.search`); `options.community_id` and `options.channel_id` are this stream's.
    pub async fn search(&self, options: SearchOptions) -> Result<SearchResults, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.search(options.into()).await.map(SearchResults::from)
        })
        .await
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl ChannelThread {
    /// The thread as cached (none when the user has not joined it; `fetch` asks the server).
    pub fn info(&self) -> Option<ThreadInfo> {
        let c = &self.inner;
        c.info().map(ThreadInfo::from)
    }

    /// Its unread and mention counts (none when the user has not joined it).
    pub fn unread(&self) -> Option<ChannelUnread> {
        let c = &self.inner;
        c.unread().map(ChannelUnread::from)
    }

    /// The thread from the server (the cache refreshed when joined).
    pub async fn fetch(&self) -> Result<ThreadInfo, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.fetch().await.map(ThreadInfo::from)
        })
        .await
    }

    /// Joins the thread: its messages come live and its unread messages and mentions count, on every device of the user (posting in it or being mentioned there joins too). Returns the user's head for it.
    pub async fn join(&self) -> Result<ChannelHead, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.join().await.map(ChannelHead::from)
        })
        .await
    }

    /// Leaves the thread: it no longer counts.
    pub async fn leave(&self) -> Result<(), SdkError> {
        call_on(&self.inner, move |c| async move { c.leave().await }).await
    }

    /// Renames, archives or unarchives (its creator, or `manage_threads`), locks or unlocks and changes the auto-archive delay (`manage_threads`); absent fields stay. An archived thread refuses posts with `thread_archived`, a locked one with `thread_locked`.
    pub async fn update(&self, update: ThreadUpdate) -> Result<ThreadInfo, SdkError> {
        call_on(&self.inner, move |c| async move {
            c.update(update.into()).await.map(ThreadInfo::from)
        })
        .await
    }

    /// Deletes the thread and its messages (`manage_threads`).
    pub async fn delete(&self) -> Result<(), SdkError> {
        call_on(&self.inner, move |c| async move { c.delete().await }).await
    }
}
