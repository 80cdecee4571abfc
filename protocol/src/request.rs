//! Every operation a client can request, with its parameters.
//!
//! On the wire a request is `{"type":"request","id":7,"op":"send_message","params":{…}}`;
//! [`Request`] is the `op` + `params` part. The server answers each with exactly one
//! `response` carrying the same `id`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::focus::{Focus, Focused};
use crate::member_list::{MemberList, SubscribeMemberList};
use crate::model::*;
use crate::people::{DmPolicy, PresenceStatus, Profile};
use crate::permissions::{Group, Override, Permissions};
use crate::push::{RegisterPushToken, UnregisterPushToken};
use crate::response::*;
use crate::search::{
    ChannelMatches, CommunityMatches, SearchChannels, SearchCommunities, SearchMessages, SearchPage,
};
use crate::thread::ThreadInfo;

macro_rules! requests {
    ($( $(#[$doc:meta])* $variant:ident($params:ident) = $name:literal => $answer:ident $(($output:ty))?, )*) => {
        /// A request: the operation and its parameters.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "op", content = "params")]
        pub enum Request {
            $( $(#[$doc])* #[serde(rename = $name)] $variant($params), )*
        }

        impl Request {
            /// The name of every operation, as it appears in `op`.
            pub const OPS: &'static [&'static str] = &[$($name),*];

            /// This request's operation name.
            pub fn op(&self) -> &'static str {
                match self { $( Request::$variant(_) => $name, )* }
            }

            /// True when `response` is the kind of answer this request gets (the server
            /// checks its own answers with it in debug builds and tests).
            pub fn accepts(&self, response: &Response) -> bool {
                match self {
                    $( Request::$variant(_) => <op::$variant as Operation>::accepts(response), )*
                }
            }
        }

        /// One type per operation, tying its parameters to its answer: `session.call(
        /// op::CreateCommunity(params))` yields a `CommunitySnapshot`, and no operation's
        /// name or answer kind is written anywhere else.
        pub mod op {
            use super::*;
            $(
                $(#[$doc])*
                #[derive(Debug, Clone, PartialEq)]
                pub struct $variant(pub super::$params);

                impl From<$variant> for Request {
                    fn from(op: $variant) -> Request {
                        Request::$variant(op.0)
                    }
                }

                requests!(@answer $variant $name $answer $(($output))?);
            )*
        }
    };
    (@answer $variant:ident $name:literal Ok) => {
        impl Operation for $variant {
            const NAME: &'static str = $name;
            type Output = ();

            fn output(response: Response) -> Result<(), Box<Response>> {
                match response {
                    Response::Ok => Ok(()),
                    other => Err(Box::new(other)),
                }
            }

            fn accepts(response: &Response) -> bool {
                matches!(response, Response::Ok)
            }
        }
    };
    (@answer $variant:ident $name:literal $answer:ident ($output:ty)) => {
        impl Operation for $variant {
            const NAME: &'static str = $name;
            type Output = $output;

            fn output(response: Response) -> Result<$output, Box<Response>> {
                match response {
                    Response::$answer(value) => Ok(value),
                    other => Err(Box::new(other)),
                }
            }

            fn accepts(response: &Response) -> bool {
                matches!(response, Response::$answer(_))
            }
        }
    };
    // The operation's `Operation` impl is written by hand (an answer of several kinds).
    (@answer $variant:ident $name:literal Custom) => {};
}

/// An operation of the protocol: its name, its parameters (the type itself) and the one
/// Rust type its successful answer carries. Implemented by every type of [`op`].
pub trait Operation: Into<Request> {
    /// The operation's name on the wire (`op`).
    const NAME: &'static str;
    /// What a successful answer carries.
    type Output;

    /// The typed answer, or the response itself when it is of another kind (a protocol
    /// mismatch, which callers report as such).
    fn output(response: Response) -> Result<Self::Output, Box<Response>>;

    /// True when `response` is of the kind this operation answers with.
    fn accepts(response: &Response) -> bool;
}

requests! {
    /// Authenticate the connection (and optionally resume a previous session).
    Login(Login) = "login" => LoggedIn(LoggedIn),
    /// Replace the session's token before it expires.
    RefreshToken(RefreshToken) = "refresh_token" => TokenRefreshed(TokenRefreshed),
    /// End the session for good (no resume); the server then closes the connection.
    Logout(Empty) = "logout" => Ok,
    /// Bring a client up to date after a session could not be resumed.
    Sync(Sync) = "sync" => Synced(Synced),

    /// Create a community; the caller becomes its owner.
    CreateCommunity(CreateCommunity) = "create_community" => Community(CommunitySnapshot),
    /// Delete a community and everything in it (owner only).
    DismissCommunity(CommunityRef) = "dismiss_community" => Ok,
    /// Join a community (or ask to, for approval-only ones).
    JoinCommunity(JoinCommunity) = "join_community" => Custom,
    /// Leave a community (not for its owner).
    LeaveCommunity(CommunityRef) = "leave_community" => Ok,
    /// Add up to 100 users to a community.
    InviteMembers(InviteMembers) = "invite_members" => Users(UsersOutcome),
    /// List pending join requests (owner / admin).
    ListJoinRequests(CommunityRef) = "list_join_requests" => JoinRequests(JoinRequests),
    /// Approve or reject a join request (owner / admin).
    DecideJoinRequest(DecideJoinRequest) = "decide_join_request" => Ok,
    /// The communities the caller has joined, paged.
    ListJoinedCommunities(PageQuery) = "list_joined_communities" => Communities(Page<CommunityInfo>),
    /// One community's full information for the caller.
    GetCommunity(CommunityRef) = "get_community" => Community(CommunitySnapshot),
    /// Change name, avatar, notice or join policy (owner / admin).
    UpdateCommunity(UpdateCommunity) = "update_community" => CommunityInfo(CommunityInfo),
    /// Set custom attributes (owner / admin); keys that fail are reported one by one.
    SetAttributes(SetAttributes) = "set_attributes" => Attributes(AttributesOutcome),
    /// Delete custom attributes (owner / admin).
    DeleteAttributes(DeleteAttributes) = "delete_attributes" => Attributes(AttributesOutcome),
    /// The caller's notification status for a community.
    SetNotification(SetNotification) = "set_notification" => Ok,

    /// A page of members, optionally filtered by id or nickname.
    ListMembers(ListMembers) = "list_members" => Members(MembersPage),
    /// Make a member an admin or an ordinary member (owner only).
    SetMemberRole(SetMemberRole) = "set_member_role" => Member(MemberInfo),
    /// Remove a member (owner: anyone but themselves; admin: ordinary members).
    KickMember(MemberRef) = "kick_member" => Ok,
    /// Give ownership to another member; the old owner becomes an admin.
    TransferOwnership(MemberRef) = "transfer_ownership" => Member(MemberInfo),
    /// Mute a member until a time, or unmute (`until_ms` absent).
    MuteMember(MuteMember) = "mute_member" => Member(MemberInfo),
    /// Mute or unmute everyone but the owner and admins.
    SetMuteAll(SetMuteAll) = "set_mute_all" => CommunityInfo(CommunityInfo),
    /// Set the caller's own nickname (name card) in a community.
    SetNickname(SetNickname) = "set_nickname" => Member(MemberInfo),

    /// Create a channel (owner / admin).
    CreateChannel(CreateChannel) = "create_channel" => Channel(ChannelInfo),
    /// Change a channel (owner / admin).
    UpdateChannel(UpdateChannel) = "update_channel" => Channel(ChannelInfo),
    /// Delete a channel and its messages (owner / admin; not the default channel).
    DeleteChannel(ChannelRef) = "delete_channel" => Ok,
    /// Add members to a private channel (owner / admin).
    AddChannelMembers(ChannelMembers) = "add_channel_members" => Users(UsersOutcome),
    /// Remove members from a private channel (owner / admin).
    RemoveChannelMembers(ChannelMembers) = "remove_channel_members" => Users(UsersOutcome),
    /// List the explicit members of a private channel.
    ListChannelMembers(ChannelRef) = "list_channel_members" => ChannelMembers(ChannelMemberList),
    /// Create a category (owner / admin).
    CreateCategory(CreateCategory) = "create_category" => Category(CategoryInfo),
    /// Rename or move a category (owner / admin).
    UpdateCategory(UpdateCategory) = "update_category" => Category(CategoryInfo),
    /// Delete a category; its channels fall back to no category (owner / admin).
    DeleteCategory(CategoryRef) = "delete_category" => Ok,

    /// Send a message; resending the same idempotency key returns the stored message.
    SendMessage(SendMessage) = "send_message" => MessageSent(Message),
    /// A range of a channel's history, ascending by sequence.
    GetMessages(GetMessages) = "get_messages" => Messages(MessagesPage),
    /// Move the caller's read position in a channel (never backwards).
    MarkRead(MarkRead) = "mark_read" => ReadState(ChannelHead),
    /// The caller's unread heads of every visible channel of a community.
    GetHeads(CommunityRef) = "get_heads" => Heads(Heads),

    /// Replace the content, mentions or custom data of one's own text or custom message.
    EditMessage(EditMessage) = "edit_message" => Changed(ChangeOutcome),
    /// Recall a message for everyone: its author within the recall window, owner and
    /// admins at any time. Recalling a recalled message changes nothing.
    RecallMessage(MessageRef) = "recall_message" => Changed(ChangeOutcome),
    /// React to a message with an emoji (adding a reaction one has changes nothing).
    AddReaction(MessageReaction) = "add_reaction" => Changed(ChangeOutcome),
    /// Take one's reaction back (taking back one not made changes nothing).
    RemoveReaction(MessageReaction) = "remove_reaction" => Changed(ChangeOutcome),
    /// Pin a message in its channel (owner / admin).
    PinMessage(MessageRef) = "pin_message" => Changed(ChangeOutcome),
    /// Unpin a message (owner / admin).
    UnpinMessage(MessageRef) = "unpin_message" => Changed(ChangeOutcome),
    /// A channel's pinned messages, the most recently pinned first.
    ListPins(ChannelRef) = "list_pins" => Messages(MessagesPage),
    /// The changes of a channel after a change sequence, ascending.
    GetChanges(GetChanges) = "get_changes" => Changes(ChangesPage),
    /// Delete a message for the caller only: every device of theirs hides it, and it no
    /// longer counts as unread or as a mention for them.
    HideMessage(MessageRef) = "hide_message" => ReadState(ChannelHead),

    /// Create a permission group (`manage_roles`); it starts at the bottom (position 1,
    /// the others move up).
    CreateGroup(CreateGroup) = "create_group" => Group(Group),
    /// Change a group below the caller (`manage_roles`).
    UpdateGroup(UpdateGroup) = "update_group" => Group(Group),
    /// Delete a group below the caller (`manage_roles`; not `@everyone`).
    DeleteGroup(GroupRef) = "delete_group" => Ok,
    /// Give groups the positions 1, 2, 3… in the order given, lowest first
    /// (`manage_roles`; only groups below the caller, kept below them).
    ReorderGroups(ReorderGroups) = "reorder_groups" => Groups(GroupList),
    /// Give a member a group below the caller (`manage_roles`, member below the caller).
    AssignGroup(MemberGroup) = "assign_group" => Member(MemberInfo),
    /// Take a group from a member (as `assign_group`).
    UnassignGroup(MemberGroup) = "unassign_group" => Member(MemberInfo),
    /// Set (or, with nothing allowed or denied, remove) a channel's override for a group or
    /// a member (`manage_channels`).
    SetChannelOverride(SetChannelOverride) = "set_channel_override" => Channel(ChannelInfo),
    /// Set (or remove) a category's override (`manage_channels`).
    SetCategoryOverride(SetCategoryOverride) = "set_category_override" => Category(CategoryInfo),
    /// Remove a member and keep them out until a time or for ever (`ban_members`, member
    /// below the caller).
    BanMember(BanMember) = "ban_member" => Ok,
    /// Lift a ban (`ban_members`).
    UnbanMember(MemberRef) = "unban_member" => Ok,
    /// The community's bans, newest first (`ban_members`).
    ListBans(CommunityRef) = "list_bans" => Bans(BanList),
    /// The caller's notification level for a channel; every device of theirs follows.
    SetChannelNotification(SetChannelNotification) = "set_channel_notification" => ReadState(ChannelHead),
    /// Set or clear a member's custom fields (`manage_roles`, member below the caller, or
    /// oneself).
    SetMemberFields(SetMemberFields) = "set_member_fields" => Member(MemberInfo),

    /// Start a thread in a channel, from one of its messages or free-standing
    /// (`create_threads`); the caller joins it.
    CreateThread(CreateThread) = "create_thread" => Thread(ThreadInfo),
    /// Rename, archive / unarchive, lock / unlock a thread, or change its auto-archive
    /// (its creator for name and archive; `manage_threads` for everything).
    UpdateThread(UpdateThread) = "update_thread" => Thread(ThreadInfo),
    /// Delete a thread and its messages (`manage_threads`).
    DeleteThread(ThreadRef) = "delete_thread" => Ok,
    /// One thread of a channel the caller can read.
    GetThread(ThreadRef) = "get_thread" => Thread(ThreadInfo),
    /// Join a thread: its messages come live, its unread messages count.
    JoinThread(ThreadRef) = "join_thread" => ThreadJoined(JoinedThread),
    /// Leave a thread.
    LeaveThread(ThreadRef) = "leave_thread" => Ok,
    /// A channel's threads, active or archived, newest activity first.
    ListThreads(ListThreads) = "list_threads" => Threads(ThreadsPage),
    /// The threads the caller joined in a community, newest activity first.
    ListJoinedThreads(ListJoinedThreads) = "list_joined_threads" => Threads(ThreadsPage),

    /// Set the caller's own profile (absent fields stay; an empty field value removes it).
    SetProfile(SetProfile) = "set_profile" => Profile(Profile),
    /// Profiles of up to 100 users.
    GetProfiles(UserIds) = "get_profiles" => Profiles(ProfileList),
    /// Start a conversation with other users (1: direct, the existing one if any; more: a
    /// group). The caller's policy and blocks of the others apply.
    CreateConversation(CreateConversation) = "create_conversation" => Conversation(ConversationEntry),
    /// Rename a group conversation (a participant).
    UpdateConversation(UpdateConversation) = "update_conversation" => Conversation(ConversationEntry),
    /// Add users to a group conversation (a participant).
    AddConversationMembers(ConversationMembers) = "add_conversation_members" => Conversation(ConversationEntry),
    /// Leave a group conversation (a direct one cannot be left, only hidden from the list
    /// by the client).
    LeaveConversation(ConversationRef) = "leave_conversation" => Ok,
    /// The caller's conversations, newest activity first, with their heads.
    ListConversations(PageQuery) = "list_conversations" => Conversations(ConversationsPage),
    /// Who may start a conversation with the caller.
    SetDmPolicy(SetDmPolicy) = "set_dm_policy" => Ok,
    /// Block a user: they cannot start or send into a conversation with the caller.
    BlockUser(UserRef) = "block_user" => Ok,
    /// Unblock a user.
    UnblockUser(UserRef) = "unblock_user" => Ok,
    /// The users the caller blocked.
    ListBlocked(Empty) = "list_blocked" => Blocked(BlockedList),
    /// Set the caller's presence status and text (every device of theirs).
    SetPresence(SetPresence) = "set_presence" => Ok,
    /// Get the presence of up to 500 users now and their changes from now on.
    SubscribePresence(UserIds) = "subscribe_presence" => Presences(PresenceList),
    /// Stop getting presence changes of users.
    UnsubscribePresence(UserIds) = "unsubscribe_presence" => Ok,
    /// Say which community the client shows (absent: none): its members' presence and
    /// online count follow without subscribing.
    ViewCommunity(ViewCommunity) = "view_community" => Viewing(ViewedCommunity),
    /// The caller is typing in a channel, thread or conversation (ephemeral).
    Typing(ChannelRef) = "typing" => Ok,
    /// Sit in a voice channel (leaving any other).
    JoinVoice(ChannelRef) = "join_voice" => Ok,
    /// Leave the voice channel the caller sits in.
    LeaveVoice(Empty) = "leave_voice" => Ok,
    /// Who sits in a voice channel.
    ListVoice(ChannelRef) = "list_voice" => Voice(VoiceList),
    /// Messages of a community's full history (or of the caller's conversations) that
    /// match a query, among those the caller may read; ranked, paged.
    SearchMessages(SearchMessages) = "search_messages" => SearchResults(SearchPage),
    /// Channels of a community the caller can see, by name.
    SearchChannels(SearchChannels) = "search_channels" => ChannelMatches(ChannelMatches),
    /// Communities the caller can see (joined, or open to asking), by name.
    SearchCommunities(SearchCommunities) = "search_communities" => CommunityMatches(CommunityMatches),

    // Large communities
    /// The one channel, thread or conversation the session shows (none: unfocus).
    Focus(Focus) = "focus" => Focused(Focused),
    /// Follow ranges of a community's sorted member list.
    SubscribeMemberList(SubscribeMemberList) = "subscribe_member_list" => MemberList(MemberList),
    /// Stop following the member list.
    UnsubscribeMemberList(Empty) = "unsubscribe_member_list" => Ok,

    // Push
    /// Register this device's push token for offline pushes (moves it from any other
    /// user; the user's least recent token is forgotten past the limit).
    RegisterPushToken(RegisterPushToken) = "register_push_token" => Ok,
    /// Forget one of the caller's push tokens (no error when it is unknown).
    UnregisterPushToken(UnregisterPushToken) = "unregister_push_token" => Ok,
}

/// The answer to `join_community`: a `community` response when the caller joined, a
/// `join_pending` one when an approval-only community filed the request.
#[derive(Debug, Clone, PartialEq)]
pub enum JoinAnswer {
    /// Joined: the community as the new member sees it.
    Joined(Box<CommunitySnapshot>),
    /// An approval community: the request waits for an owner or admin.
    Pending,
}

impl Operation for op::JoinCommunity {
    const NAME: &'static str = "join_community";
    type Output = JoinAnswer;

    fn output(response: Response) -> Result<JoinAnswer, Box<Response>> {
        match response {
            Response::Community(snapshot) => Ok(JoinAnswer::Joined(Box::new(snapshot))),
            Response::JoinPending => Ok(JoinAnswer::Pending),
            other => Err(Box::new(other)),
        }
    }

    fn accepts(response: &Response) -> bool {
        matches!(response, Response::Community(_) | Response::JoinPending)
    }
}

/// No parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Empty {}

/// Parameters of `login`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Login {
    /// Who logs in.
    pub user_id: UserId,
    /// A token issued by the app's backend for this user.
    pub token: String,
    /// A stable id of this device/installation (used to tell devices apart).
    #[serde(default)]
    pub device_id: String,
    /// Resume this earlier session, replaying the events after `last_event_seq`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume: Option<Resume>,
}

/// Which session to resume, and from where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resume {
    /// The `session_id` of the earlier `logged_in`.
    pub session_id: String,
    /// The last event sequence the client processed.
    pub last_event_seq: u64,
}

/// Parameters of `refresh_token`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshToken {
    /// The new token (same user).
    pub token: String,
}

/// Parameters of `sync`: what the client already knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Sync {
    /// Structure version per community the client has cached.
    #[serde(default)]
    pub known: BTreeMap<CommunityId, u64>,
}

/// Names one community.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommunityRef {
    /// The community.
    pub community_id: CommunityId,
}

/// Names one member of a community.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRef {
    /// The community.
    pub community_id: CommunityId,
    /// The member.
    pub user_id: UserId,
}

/// Names one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelRef {
    /// The community.
    pub community_id: CommunityId,
    /// The channel.
    pub channel_id: ChannelId,
}

/// Names one category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryRef {
    /// The community.
    pub community_id: CommunityId,
    /// The category.
    pub category_id: CategoryId,
}

/// Parameters of `create_community`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CreateCommunity {
    /// A custom id; the server generates one when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub community_id: Option<CommunityId>,
    /// Display name.
    pub name: String,
    /// Avatar URL.
    #[serde(default)]
    pub avatar_url: String,
    /// Notice.
    #[serde(default)]
    pub notice: String,
    /// How users join.
    #[serde(default)]
    pub join_policy: JoinPolicy,
    /// Initial custom attributes.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// Whether the server writes system messages (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_messages: Option<bool>,
}

/// Names one permission group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupRef {
    /// The community.
    pub community_id: CommunityId,
    /// The group.
    pub group_id: GroupId,
}

/// Parameters of `create_group`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CreateGroup {
    /// The community.
    pub community_id: CommunityId,
    /// Name (1..=100 bytes).
    pub name: String,
    /// Display color `0xRRGGBB`.
    #[serde(default)]
    pub color: u32,
    /// Anyone may mention it.
    #[serde(default)]
    pub mentionable: bool,
    /// The flags it grants (only flags the caller holds).
    #[serde(default)]
    pub permissions: Permissions,
}

/// Parameters of `update_group`: absent fields stay as they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct UpdateGroup {
    /// The community.
    pub community_id: CommunityId,
    /// The group (`everyone` may be changed too, not renamed).
    pub group_id: GroupId,
    /// New name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New color.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<u32>,
    /// Mentionable or not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mentionable: Option<bool>,
    /// New flags (only flags the caller holds may be added).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Permissions>,
}

/// Parameters of `reorder_groups`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReorderGroups {
    /// The community.
    pub community_id: CommunityId,
    /// Every group but `@everyone`, lowest first.
    pub group_ids: Vec<GroupId>,
}

/// Names a member and a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberGroup {
    /// The community.
    pub community_id: CommunityId,
    /// The member.
    pub user_id: UserId,
    /// The group.
    pub group_id: GroupId,
}

/// Parameters of `set_channel_override`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetChannelOverride {
    /// The community.
    pub community_id: CommunityId,
    /// The channel.
    pub channel_id: ChannelId,
    /// The override; nothing allowed and nothing denied removes it.
    pub rule: Override,
}

/// Parameters of `set_category_override`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetCategoryOverride {
    /// The community.
    pub community_id: CommunityId,
    /// The category.
    pub category_id: CategoryId,
    /// The override; nothing allowed and nothing denied removes it.
    pub rule: Override,
}

/// Parameters of `ban_member`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BanMember {
    /// The community.
    pub community_id: CommunityId,
    /// Who (a member or not).
    pub user_id: UserId,
    /// Until when; absent: for ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_ms: Option<TimestampMs>,
    /// Why (≤ 500 characters).
    #[serde(default)]
    pub reason: String,
}

/// Parameters of `set_channel_notification`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetChannelNotification {
    /// The community.
    pub community_id: CommunityId,
    /// The channel.
    pub channel_id: ChannelId,
    /// The level.
    pub level: ChannelNotification,
}

/// Names one user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRef {
    /// The user.
    pub user_id: UserId,
}

/// Names up to 100 (profiles) or 500 (presence) users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct UserIds {
    /// The users.
    pub user_ids: Vec<UserId>,
}

/// Parameters of `set_profile`: absent fields stay as they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SetProfile {
    /// New display name (empty clears it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// New avatar URL (empty clears it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
    /// Fields to set; an empty value removes the field.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
}

/// Names one conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationRef {
    /// The conversation.
    pub conversation_id: ChannelId,
}

/// Parameters of `create_conversation`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CreateConversation {
    /// The other users (1 for a direct conversation, up to `max_conversation_members` − 1
    /// for a group).
    pub user_ids: Vec<UserId>,
    /// A group's name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Make a group even with one other user.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub group: bool,
}

/// Parameters of `update_conversation`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateConversation {
    /// The group conversation.
    pub conversation_id: ChannelId,
    /// Its new name.
    pub name: String,
}

/// Parameters of `add_conversation_members`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationMembers {
    /// The group conversation.
    pub conversation_id: ChannelId,
    /// The users to add.
    pub user_ids: Vec<UserId>,
}

/// Parameters of `set_dm_policy`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetDmPolicy {
    /// The policy.
    pub policy: DmPolicy,
}

/// Parameters of `set_presence`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetPresence {
    /// Online, idle, do-not-disturb or invisible (`offline` is not settable).
    pub status: PresenceStatus,
    /// Custom status text (≤ 128 bytes; empty clears it).
    #[serde(default)]
    pub text: String,
}

/// Parameters of `view_community`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ViewCommunity {
    /// The community shown; absent: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub community_id: Option<CommunityId>,
}

/// Names one thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadRef {
    /// The community.
    pub community_id: CommunityId,
    /// The thread.
    pub thread_id: ChannelId,
}

/// Parameters of `create_thread`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CreateThread {
    /// The community.
    pub community_id: CommunityId,
    /// The channel it lives in.
    pub channel_id: ChannelId,
    /// Its name (1..=100 bytes).
    pub name: String,
    /// The message of the channel it starts from (at most one thread per message);
    /// absent for a free-standing thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_seq: Option<Seq>,
    /// Archive after this long without a message (`thread_auto_archive_ms` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_archive_ms: Option<u64>,
}

/// Parameters of `update_thread`: absent fields stay as they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct UpdateThread {
    /// The community.
    pub community_id: CommunityId,
    /// The thread.
    pub thread_id: ChannelId,
    /// New name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Archive (true) or unarchive (false; also revives a thread archived by inactivity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived: Option<bool>,
    /// Lock or unlock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locked: Option<bool>,
    /// New auto-archive delay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_archive_ms: Option<u64>,
}

/// Parameters of `list_threads`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ListThreads {
    /// The community.
    pub community_id: CommunityId,
    /// The channel.
    pub channel_id: ChannelId,
    /// Archived threads (true) or active ones (false).
    #[serde(default)]
    pub archived: bool,
    /// Cursor of the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// Page size, 1..=100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// Parameters of `list_joined_threads`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ListJoinedThreads {
    /// The community.
    pub community_id: CommunityId,
    /// Cursor of the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// Page size, 1..=100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// Parameters of `set_member_fields`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetMemberFields {
    /// The community.
    pub community_id: CommunityId,
    /// The member.
    pub user_id: UserId,
    /// Fields to set; an empty value removes the field.
    pub fields: BTreeMap<String, String>,
}

/// A member-list filter on one custom field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldFilter {
    /// The field.
    pub key: String,
    /// Its exact value.
    pub value: String,
}

/// Parameters of `join_community`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinCommunity {
    /// The community.
    pub community_id: CommunityId,
    /// A message to the admins (approval-only communities).
    #[serde(default)]
    pub message: String,
}

/// Parameters of `invite_members`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteMembers {
    /// The community.
    pub community_id: CommunityId,
    /// Up to 100 users.
    pub user_ids: Vec<UserId>,
}

/// Parameters of `decide_join_request`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecideJoinRequest {
    /// The community.
    pub community_id: CommunityId,
    /// Who asked.
    pub user_id: UserId,
    /// Accept (true) or reject (false).
    pub approve: bool,
}

/// A paged query without filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PageQuery {
    /// The `next_cursor` of the previous page; absent for the first page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// Page size, 1..=100 (default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// Parameters of `update_community`: absent fields stay as they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct UpdateCommunity {
    /// The community.
    pub community_id: CommunityId,
    /// New name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New avatar URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
    /// New notice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    /// New join policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join_policy: Option<JoinPolicy>,
    /// Switch system messages on or off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_messages: Option<bool>,
}

/// Parameters of `set_attributes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetAttributes {
    /// The community.
    pub community_id: CommunityId,
    /// Keys and values to set.
    pub attributes: BTreeMap<String, String>,
}

/// Parameters of `delete_attributes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteAttributes {
    /// The community.
    pub community_id: CommunityId,
    /// Keys to delete.
    pub keys: Vec<String>,
}

/// Parameters of `set_notification`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetNotification {
    /// The community.
    pub community_id: CommunityId,
    /// Notify or do-not-disturb.
    pub status: NotificationStatus,
}

/// Parameters of `list_members`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListMembers {
    /// The community.
    pub community_id: CommunityId,
    /// Only members whose id, nickname or display name contains this text
    /// (case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// Only members holding this group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<GroupId>,
    /// Only members with this custom field value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<FieldFilter>,
    /// Cursor of the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// Page size, 1..=100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// Parameters of `set_member_role`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetMemberRole {
    /// The community.
    pub community_id: CommunityId,
    /// The member.
    pub user_id: UserId,
    /// `admin` or `member` (ownership moves with `transfer_ownership`).
    pub role: Role,
}

/// Parameters of `mute_member`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MuteMember {
    /// The community.
    pub community_id: CommunityId,
    /// The member.
    pub user_id: UserId,
    /// Muted until this time; absent to unmute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_ms: Option<TimestampMs>,
}

/// Parameters of `set_mute_all`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetMuteAll {
    /// The community.
    pub community_id: CommunityId,
    /// Muted or not.
    pub muted: bool,
}

/// Parameters of `set_nickname`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetNickname {
    /// The community.
    pub community_id: CommunityId,
    /// The new nickname (empty clears it).
    pub nickname: String,
}

/// Parameters of `create_channel`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CreateChannel {
    /// The community.
    pub community_id: CommunityId,
    /// Name.
    pub name: String,
    /// Text, voice or announcement.
    #[serde(default)]
    pub kind: ChannelKind,
    /// Introduction.
    #[serde(default)]
    pub introduction: String,
    /// Notice.
    #[serde(default)]
    pub notice: String,
    /// App-defined string.
    #[serde(default)]
    pub custom: String,
    /// Category to show it under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_id: Option<CategoryId>,
    /// Sort key (default: after the last channel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
    /// Private channel: only explicitly added members (plus owner and admins) see it.
    #[serde(default)]
    pub private: bool,
    /// Initial members of a private channel.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub member_ids: Vec<UserId>,
    /// Use the category's overrides.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub follows_category: bool,
}

/// Parameters of `update_channel`: absent fields stay as they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct UpdateChannel {
    /// The community.
    pub community_id: CommunityId,
    /// The channel.
    pub channel_id: ChannelId,
    /// New name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New introduction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introduction: Option<String>,
    /// New notice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    /// New custom string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<String>,
    /// New category: a category id, or `""` for no category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_id: Option<CategoryId>,
    /// New sort key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
    /// Make it private or public.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private: Option<bool>,
    /// Use the category's overrides (true) or its own (false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follows_category: Option<bool>,
    /// Mute or unmute the channel for everyone who may not mute others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mute_all: Option<bool>,
}

/// Parameters of `add_channel_members` and `remove_channel_members`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelMembers {
    /// The community.
    pub community_id: CommunityId,
    /// The private channel.
    pub channel_id: ChannelId,
    /// Up to 100 users.
    pub user_ids: Vec<UserId>,
}

/// Parameters of `create_category`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateCategory {
    /// The community.
    pub community_id: CommunityId,
    /// Name.
    pub name: String,
    /// Sort key (default: after the last category).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
}

/// Parameters of `update_category`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateCategory {
    /// The community.
    pub community_id: CommunityId,
    /// The category.
    pub category_id: CategoryId,
    /// New name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New sort key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
}

/// Parameters of `send_message`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendMessage {
    /// The community.
    pub community_id: CommunityId,
    /// The channel.
    pub channel_id: ChannelId,
    /// Chosen by the client, unique per sender (1..=64 bytes). Resending it returns the
    /// message stored the first time, with the same `seq`.
    pub idempotency_key: String,
    /// The body.
    pub content: MessageContent,
    /// Who it mentions.
    #[serde(default, skip_serializing_if = "Mentions::is_empty")]
    pub mentions: Mentions,
    /// The message it replies to (same channel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<Seq>,
    /// Priority under overload.
    #[serde(default)]
    pub priority: Priority,
    /// App-defined data (≤ `custom_data_bytes`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub custom_data: String,
    /// Forward this message: the server copies its content (the caller must be able to
    /// read it) and records its origin; `content` is then ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forward_of: Option<MessageRef>,
}

/// Parameters of `get_messages`. With `before_seq`, the newest messages below it; with
/// `after_seq`, the oldest messages above it; with neither, the newest messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetMessages {
    /// The community.
    pub community_id: CommunityId,
    /// The channel.
    pub channel_id: ChannelId,
    /// Only messages with `seq < before_seq`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_seq: Option<Seq>,
    /// Only messages with `seq > after_seq`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_seq: Option<Seq>,
    /// At most this many, 1..=100 (default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// Parameters of `mark_read`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkRead {
    /// The community.
    pub community_id: CommunityId,
    /// The channel.
    pub channel_id: ChannelId,
    /// Everything up to and including this sequence is read (clamped to the channel's
    /// last sequence; a position below the current one changes nothing).
    pub seq: Seq,
}

/// Parameters of `edit_message`: absent fields stay as they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditMessage {
    /// The community.
    pub community_id: CommunityId,
    /// The channel.
    pub channel_id: ChannelId,
    /// The message.
    pub seq: Seq,
    /// Chosen by the client, unique per editor (1..=64 bytes): resending it returns the
    /// change stored the first time instead of editing again.
    pub idempotency_key: String,
    /// The new body (text or custom).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<MessageContent>,
    /// Who it mentions now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mentions: Option<Mentions>,
    /// The new custom data (empty clears it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<String>,
}

/// Parameters of `add_reaction` and `remove_reaction`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageReaction {
    /// The community.
    pub community_id: CommunityId,
    /// The channel.
    pub channel_id: ChannelId,
    /// The message.
    pub seq: Seq,
    /// The emoji (1..=`emoji_bytes` bytes).
    pub emoji: String,
}

/// Parameters of `get_changes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetChanges {
    /// The community.
    pub community_id: CommunityId,
    /// The channel.
    pub channel_id: ChannelId,
    /// Only changes with `change_seq > after_change_seq`.
    pub after_change_seq: u64,
    /// At most this many, 1..=100 (default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_know_their_name_and_answer() {
        assert_eq!(<op::GetHeads as Operation>::NAME, "get_heads");
        let request: Request = op::GetHeads(CommunityRef {
            community_id: "c".into(),
        })
        .into();
        assert_eq!(request.op(), <op::GetHeads as Operation>::NAME);
        let heads = Response::Heads(Heads::default());
        assert!(request.accepts(&heads));
        assert!(!request.accepts(&Response::Ok));
        assert_eq!(op::GetHeads::output(heads), Ok(Heads::default()));
        assert_eq!(
            op::GetHeads::output(Response::Ok),
            Err(Box::new(Response::Ok))
        );
        assert_eq!(
            op::JoinCommunity::output(Response::JoinPending),
            Ok(JoinAnswer::Pending)
        );
        assert_eq!(op::Logout::output(Response::Ok), Ok(()));
    }
}
