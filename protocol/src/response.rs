//! The successful results of requests. Each [`Request`](crate::Request) answers with the
//! variant named in its documentation in `docs/PROTOCOL.md`; failures are an
//! [`ApiError`](crate::ApiError) instead.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Limits;
use crate::model::*;
use crate::people::{ConversationInfo, Presence, Profile, VoiceParticipant};
use crate::permissions::Group;
use crate::thread::ThreadInfo;

/// The result of a successful request, tagged by `kind`.
///
/// Every variant carries at most one record, so that each operation's answer is one Rust
/// type (see [`crate::op`]): a record's fields sit next to `kind` on the wire.
// An answer is decoded once and moved to its caller; boxing the large variants would add
// an allocation to every answer for no saving.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Response {
    /// The request succeeded and has nothing to return.
    Ok,
    /// Answer to `login`.
    LoggedIn(LoggedIn),
    /// Answer to `refresh_token`.
    TokenRefreshed(TokenRefreshed),
    /// Answer to `sync`.
    Synced(Synced),
    /// Answer to `create_community`, `get_community` and a completed join.
    Community(CommunitySnapshot),
    /// Answer to `join_community` for an approval-only community: the request is pending.
    JoinPending,
    /// Answer to `update_community`, `set_mute_all`.
    CommunityInfo(CommunityInfo),
    /// Answer to `list_joined_communities`.
    Communities(Page<CommunityInfo>),
    /// Answer to `invite_members`, `add_channel_members`, `remove_channel_members`.
    Users(UsersOutcome),
    /// Answer to `list_join_requests`.
    JoinRequests(JoinRequests),
    /// Answer to `set_attributes` and `delete_attributes`.
    Attributes(AttributesOutcome),
    /// Answer to `list_members`.
    Members(MembersPage),
    /// Answer to `set_member_role`, `mute_member`, `set_nickname`, `transfer_ownership`
    /// (the member acted on).
    Member(MemberInfo),
    /// Answer to `create_channel`, `update_channel`.
    Channel(ChannelInfo),
    /// Answer to `list_channel_members`.
    ChannelMembers(ChannelMemberList),
    /// Answer to `create_category`, `update_category`.
    Category(CategoryInfo),
    /// Answer to `send_message` (also for a resend with the same idempotency key).
    MessageSent(Message),
    /// Answer to `get_messages`: ascending by sequence.
    Messages(MessagesPage),
    /// Answer to `mark_read`: the caller's head after the change.
    ReadState(ChannelHead),
    /// Answer to `get_heads`.
    Heads(Heads),
    /// Answer to `edit_message`, `recall_message`, `add_reaction`, `remove_reaction`,
    /// `pin_message` and `unpin_message`.
    Changed(ChangeOutcome),
    /// Answer to `get_changes`.
    Changes(ChangesPage),
    /// Answer to `create_group`, `update_group`.
    Group(Group),
    /// Answer to `reorder_groups`: every group now.
    Groups(GroupList),
    /// Answer to `list_bans`.
    Bans(BanList),
    /// Answer to `create_thread`, `update_thread`, `get_thread`.
    Thread(ThreadInfo),
    /// Answer to `list_threads`, `list_joined_threads`.
    Threads(ThreadsPage),
    /// Answer to `join_thread`: the thread and the caller's head for it.
    ThreadJoined(JoinedThread),
    /// Answer to `set_profile`.
    Profile(Profile),
    /// Answer to `get_profiles`.
    Profiles(ProfileList),
    /// Answer to `create_conversation`, `update_conversation`, `add_conversation_members`.
    Conversation(ConversationEntry),
    /// Answer to `list_conversations`.
    Conversations(ConversationsPage),
    /// Answer to `list_blocked`.
    Blocked(BlockedList),
    /// Answer to `subscribe_presence`.
    Presences(PresenceList),
    /// Answer to `view_community`.
    Viewing(ViewedCommunity),
    /// Answer to `list_voice`.
    Voice(VoiceList),
    /// Answer to `search_messages`.
    SearchResults(crate::search::SearchPage),
    /// Answer to `search_channels`.
    ChannelMatches(crate::search::ChannelMatches),
    /// Answer to `search_communities`.
    CommunityMatches(crate::search::CommunityMatches),
    /// Answer to `focus`.
    Focused(crate::focus::Focused),
    /// Answer to `subscribe_member_list`.
    MemberList(crate::member_list::MemberList),
}

impl Response {
    /// The response's `kind` on the wire, for logs and error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Response::Ok => "ok",
            Response::LoggedIn(_) => "logged_in",
            Response::TokenRefreshed(_) => "token_refreshed",
            Response::Synced(_) => "synced",
            Response::Community(_) => "community",
            Response::JoinPending => "join_pending",
            Response::CommunityInfo(_) => "community_info",
            Response::Communities(_) => "communities",
            Response::Users(_) => "users",
            Response::JoinRequests(_) => "join_requests",
            Response::Attributes(_) => "attributes",
            Response::Members(_) => "members",
            Response::Member(_) => "member",
            Response::Channel(_) => "channel",
            Response::ChannelMembers(_) => "channel_members",
            Response::Category(_) => "category",
            Response::MessageSent(_) => "message_sent",
            Response::Messages(_) => "messages",
            Response::ReadState(_) => "read_state",
            Response::Heads(_) => "heads",
            Response::Changed(_) => "changed",
            Response::Changes(_) => "changes",
            Response::Group(_) => "group",
            Response::Groups(_) => "groups",
            Response::Bans(_) => "bans",
            Response::Thread(_) => "thread",
            Response::Threads(_) => "threads",
            Response::ThreadJoined(_) => "thread_joined",
            Response::Profile(_) => "profile",
            Response::Profiles(_) => "profiles",
            Response::Conversation(_) => "conversation",
            Response::Conversations(_) => "conversations",
            Response::Blocked(_) => "blocked",
            Response::Presences(_) => "presences",
            Response::Viewing(_) => "viewing",
            Response::Voice(_) => "voice",
            Response::SearchResults(_) => "search_results",
            Response::ChannelMatches(_) => "channel_matches",
            Response::CommunityMatches(_) => "community_matches",
            Response::Focused(_) => "focused",
            Response::MemberList(_) => "member_list",
        }
    }
}

/// Answer to `refresh_token`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRefreshed {
    /// When the new token expires.
    pub expires_at_ms: TimestampMs,
}

/// Answer to `invite_members`, `add_channel_members` and `remove_channel_members`: users
/// the operation applied to, and those it did not (each with its error).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct UsersOutcome {
    /// Users the operation applied to.
    pub succeeded: Vec<UserId>,
    /// Users it did not apply to, each with its error.
    pub failed: Vec<FailedUser>,
}

/// Answer to `list_join_requests`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct JoinRequests {
    /// Pending requests, oldest first.
    pub requests: Vec<JoinRequest>,
}

/// Answer to `set_attributes` and `delete_attributes`: every attribute after the
/// operation, and the keys that failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AttributesOutcome {
    /// The attributes after the operation.
    pub attributes: BTreeMap<String, String>,
    /// Keys that could not be set or deleted.
    pub failed: Vec<FailedKey>,
}

/// Answer to `list_members`: a page and the exact number of matching members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MembersPage {
    /// The page.
    pub page: Page<MemberInfo>,
    /// Exact number of members matching the query.
    pub total_count: u64,
}

/// Answer to `list_channel_members`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ChannelMemberList {
    /// Explicit members of the private channel.
    pub user_ids: Vec<UserId>,
}

/// Answer to `get_messages` (ascending by sequence) and `list_pins`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct MessagesPage {
    /// The messages.
    pub messages: Vec<Message>,
    /// True when more messages exist beyond this page in the asked direction.
    pub has_more: bool,
    /// The channel's change sequence when the page was read (in the same transaction):
    /// the messages include every change up to it. A client that caches the page and has
    /// applied fewer changes to its other cached messages of the channel catches up with
    /// `get_changes`.
    #[serde(default)]
    pub change_seq: u64,
}

/// Answer to `get_heads`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Heads {
    /// One head per visible channel.
    pub heads: Vec<ChannelHead>,
}

/// Answer to an operation that changes a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeOutcome {
    /// The change made; absent when the operation changed nothing (a reaction already
    /// there, a recalled message recalled again, an unpinned message unpinned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<MessageChange>,
    /// The message as it is now, as the caller sees it.
    pub message: Message,
    /// The channel's change sequence when `message` was read: the message includes every
    /// change up to it (a client keeps a newer cached copy rather than this one).
    #[serde(default)]
    pub change_seq: u64,
}

/// Answer to `get_changes`: ascending by change sequence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ChangesPage {
    /// The changes.
    pub changes: Vec<MessageChange>,
    /// True when more changes follow this page.
    pub has_more: bool,
    /// The channel's newest change sequence.
    pub change_seq: u64,
}

/// Answer to `reorder_groups`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct GroupList {
    /// Every group of the community, `@everyone` first, then by position.
    pub groups: Vec<Group>,
}

/// Answer to `get_profiles`: the users asked for that exist (a user who never set a
/// profile has an empty one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ProfileList {
    /// The profiles.
    pub profiles: Vec<Profile>,
}

/// A conversation and the caller's head of it (community `@me`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationEntry {
    /// The conversation.
    pub conversation: ConversationInfo,
    /// The caller's unread state of it.
    pub head: ChannelHead,
}

/// A page of conversations, newest activity first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ConversationsPage {
    /// The conversations.
    pub conversations: Vec<ConversationEntry>,
    /// Pass this back to get the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Answer to `list_blocked`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct BlockedList {
    /// The users the caller blocked.
    pub user_ids: Vec<UserId>,
}

/// Answer to `subscribe_presence`: the users' presence now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PresenceList {
    /// One per user asked for.
    pub presences: Vec<Presence>,
}

/// Answer to `view_community`: its online members now (at most 1,000; their changes follow
/// as `presence_changed` while the caller views it) and how many are online.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewedCommunity {
    /// The community.
    pub community_id: CommunityId,
    /// Members online now (invisible ones are not).
    pub online_count: u64,
    /// The presence of online members (the first 1,000).
    pub presences: Vec<Presence>,
}

/// Answer to `list_voice`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct VoiceList {
    /// Who sits in the voice channel, in the order they joined.
    pub participants: Vec<VoiceParticipant>,
}

/// A page of threads, newest activity first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ThreadsPage {
    /// The threads.
    pub threads: Vec<ThreadInfo>,
    /// Pass this back to get the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// A joined thread and the caller's head for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinedThread {
    /// The thread.
    pub thread: ThreadInfo,
    /// The caller's unread state of it.
    pub head: ChannelHead,
}

/// Answer to `list_bans`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct BanList {
    /// The bans in force, newest first.
    pub bans: Vec<Ban>,
}

/// Answer to `login`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoggedIn {
    /// The logged-in user.
    pub user_id: UserId,
    /// The session's id, to resume it after a disconnect.
    pub session_id: String,
    /// True when an earlier session was resumed: the events the client missed follow this
    /// response, in order. False: the client must `sync`.
    pub resumed: bool,
    /// The sequence of the last event the session has sent so far.
    pub event_seq: u64,
    /// When the token expires; refresh before then.
    pub token_expires_at_ms: TimestampMs,
    /// The deployment's limits.
    pub limits: Limits,
    /// Server time, to correct client clocks.
    pub server_time_ms: TimestampMs,
}

/// Answer to `sync`: what changed since the versions the client knows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Synced {
    /// Communities whose structure changed (or that the client did not know): complete.
    pub changed: Vec<CommunitySnapshot>,
    /// Communities the client knew at the same version: only their current heads.
    pub unchanged: Vec<UnchangedCommunity>,
    /// Communities the client knew that the user is no longer in.
    pub removed: Vec<CommunityId>,
    /// Every conversation of the user, with their head of it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conversations: Vec<ConversationEntry>,
}

/// A known community that did not change structure: its notification status and heads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnchangedCommunity {
    /// The community.
    pub community_id: CommunityId,
    /// The caller's notification status.
    pub notification: NotificationStatus,
    /// The caller's membership (role and mute may change without a structure change).
    pub me: MemberInfo,
    /// Exact member count.
    pub member_count: u64,
    /// Unread heads of the visible channels and of the joined threads.
    pub heads: Vec<ChannelHead>,
    /// The threads the caller joined (they change without a structure change).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub threads: Vec<ThreadInfo>,
    /// Who sits in which voice channel now.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub voice: Vec<VoiceParticipant>,
}
