//! Storage: the traits the domain is written against, and the embedded SQLite
//! implementation ([`sqlite`]).
//!
//! The domain runs every request inside one transaction of a [`Store`]: a *write*
//! transaction (serialised: one writer at a time) for requests that change something, a
//! *read* transaction (concurrent, a consistent snapshot) for queries. Inside it the domain
//! sees a [`Tx`], the union of small per-concern traits ([`CommunityStore`],
//! [`MemberStore`], [`ChannelStore`], [`MessageStore`], [`ReactionStore`], [`PinStore`],
//! [`ChangeStore`], [`ReadStore`], [`GroupStore`], [`OverrideStore`], [`BanStore`],
//! [`ThreadStore`], [`ConversationStore`], [`PeopleStore`], [`SearchStore`],
//! [`PushTargetStore`]). All permission
//! and limit checks happen inside the same transaction as the change they guard, so they
//! cannot race. A networked engine (PostgreSQL) would implement the same traits.

mod people;
#[cfg(any(test, feature = "pg-test-support"))]
#[path = "postgres/test_cluster.rs"]
pub mod pg_test_cluster;
#[cfg(feature = "postgres")]
pub mod postgres;
mod push;
mod search;
pub mod sqlite;
mod threads;

pub use people::{ConversationStore, NewConversation, PeopleStore};
pub use push::PushTargetStore;
pub use search::{MessageSearch, SearchCandidate, SearchStore};
pub use threads::{NewThread, ThreadLink, ThreadRecord, ThreadStore};

use community_protocol::{
    ApiError, Ban, CategoryId, CategoryInfo, ChangeKind, ChannelId, ChannelInfo,
    ChannelNotification, CommunityId, CommunityInfo, Group, GroupId, JoinRequest, MemberInfo,
    Mentions, Message, MessageChange, MessageContent, NotificationStatus, Origin, Override,
    Priority, Role, Seq, TimestampMs, UserId,
};

use crate::StoreError;

/// Result of a storage call.
pub type StoreResult<T> = Result<T, StoreError>;

/// A channel with its message counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelRecord {
    /// The channel's description.
    pub info: ChannelInfo,
    /// Sequence of the newest message (0 when empty).
    pub last_seq: Seq,
    /// Time of the newest message (or of the channel's creation).
    pub last_activity_ms: TimestampMs,
    /// Number of the newest change to a message of the channel (0 when none).
    pub change_seq: u64,
    /// Set when this is a thread's message stream (its id is the thread's): the thread and
    /// the channel it lives in, whose permissions it follows. The store never sets it; the
    /// domain does when it resolves an id that may name a thread.
    pub thread: Option<Box<ThreadLink>>,
}

/// A message to store; the store assigns its sequence. A message whose sender is `""`
/// (written by the server) counts as unread for nobody.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage<'a> {
    /// The community.
    pub community_id: &'a CommunityId,
    /// The channel.
    pub channel_id: &'a ChannelId,
    /// The sender.
    pub sender_id: &'a UserId,
    /// The sender's idempotency key.
    pub idempotency_key: &'a str,
    /// The body.
    pub content: &'a MessageContent,
    /// Who it mentions.
    pub mentions: &'a Mentions,
    /// The message it replies to.
    pub reply_to: Option<Seq>,
    /// Its priority.
    pub priority: Priority,
    /// Server time of storage.
    pub created_at_ms: TimestampMs,
    /// The author's app-defined data.
    pub custom_data: &'a str,
    /// The original, when the message is a forward.
    pub forwarded_from: Option<&'a Origin>,
}

/// The new body of an edited message (the store replaces its mention index too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageEdit<'a> {
    /// The channel.
    pub channel_id: &'a ChannelId,
    /// The message.
    pub seq: Seq,
    /// The message's sender (kept in the mention index).
    pub sender_id: &'a UserId,
    /// The new body.
    pub content: &'a MessageContent,
    /// Who it mentions now.
    pub mentions: &'a Mentions,
    /// Its custom data now.
    pub custom_data: &'a str,
    /// When it was edited.
    pub edited_at_ms: TimestampMs,
    /// Its edit count after this edit.
    pub edit_count: u32,
}

/// A change to record in a channel's change log; the store assigns its `change_seq`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewChange<'a> {
    /// The community.
    pub community_id: &'a CommunityId,
    /// The channel.
    pub channel_id: &'a ChannelId,
    /// The message changed.
    pub seq: Seq,
    /// Who changed it.
    pub by: &'a UserId,
    /// When.
    pub at_ms: TimestampMs,
    /// What changed.
    pub kind: ChangeKind,
}

/// Where an edit idempotency key was used: the change it made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditKey {
    /// The channel of the edited message.
    pub channel_id: ChannelId,
    /// The edited message.
    pub seq: Seq,
    /// The change the edit made.
    pub change_seq: u64,
}

/// Which members a member-list query returns (every filter given must match).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MemberFilter<'a> {
    /// Id, nickname or profile display name contains this text (case-insensitive).
    pub query: Option<&'a str>,
    /// Holds this group (`everyone`: every member).
    pub group_id: Option<&'a GroupId>,
    /// Has this custom field with exactly this value.
    pub field: Option<(&'a str, &'a str)>,
}

/// A member who ranks above a plain member: a role other than `member`, or at least one
/// group. Everyone else holds only `@everyone`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankedMember {
    /// The member.
    pub user_id: UserId,
    /// Their role.
    pub role: Role,
    /// The groups they hold besides `@everyone`.
    pub groups: Vec<GroupId>,
}

/// Which slice of a channel's history to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryRange {
    /// Only messages with `seq > after`.
    pub after: Option<Seq>,
    /// Only messages with `seq < before`.
    pub before: Option<Seq>,
    /// At most this many.
    pub limit: u32,
    /// Take the newest messages of the range (true) or the oldest (false). The result is
    /// ascending either way.
    pub newest: bool,
}

/// Communities, their info and custom attributes.
pub trait CommunityStore {
    /// One community with its attributes, if it exists.
    fn community(&self, community_id: &CommunityId) -> StoreResult<Option<CommunityInfo>>;
    /// Stores a new community (with its attributes); `member_count` starts at 0 and follows
    /// [`MemberStore::insert_member`] / [`MemberStore::delete_member`].
    fn insert_community(&self, info: &CommunityInfo) -> StoreResult<()>;
    /// Saves name, avatar, notice, owner, join policy, mute-all, the system-message
    /// switch and version.
    fn update_community(&self, info: &CommunityInfo) -> StoreResult<()>;
    /// Deletes a community and everything in it. False when it did not exist.
    fn delete_community(&self, community_id: &CommunityId) -> StoreResult<bool>;
    /// Sets one attribute.
    fn set_attribute(&self, community_id: &CommunityId, key: &str, value: &str) -> StoreResult<()>;
    /// Deletes one attribute. False when it did not exist.
    fn delete_attribute(&self, community_id: &CommunityId, key: &str) -> StoreResult<bool>;
    /// The communities with more than `members` members (large ones, §9.5).
    fn communities_above(&self, members: u64) -> StoreResult<Vec<CommunityId>>;
    /// Up to `limit` community ids in ascending order, after `after` (the app admin's
    /// listing and broadcast page through every community this way); reserved rows
    /// (`@me`, the conversations' home) are left out.
    fn community_ids_after(
        &self,
        after: Option<&CommunityId>,
        limit: u32,
    ) -> StoreResult<Vec<CommunityId>>;
}

/// Memberships, join requests and per-member settings.
pub trait MemberStore {
    /// One membership, if the user is a member.
    fn member(
        &self,
        community_id: &CommunityId,
        user_id: &UserId,
    ) -> StoreResult<Option<MemberInfo>>;
    /// Adds a member and increments the community's member count.
    fn insert_member(&self, member: &MemberInfo) -> StoreResult<()>;
    /// Saves role, nickname and mute of a member.
    fn update_member(&self, member: &MemberInfo) -> StoreResult<()>;
    /// Sets one custom field of a member; an empty value removes it.
    fn set_member_field(
        &self,
        community_id: &CommunityId,
        user_id: &UserId,
        key: &str,
        value: &str,
    ) -> StoreResult<()>;
    /// Removes a member with everything personal in the community (groups, custom fields,
    /// their overrides, private channel memberships, joined threads, read positions,
    /// hidden messages, channel notification levels, notification status) and decrements
    /// the member count.
    /// False when the user was not a member.
    fn delete_member(&self, community_id: &CommunityId, user_id: &UserId) -> StoreResult<bool>;
    /// How many communities the user has joined.
    fn joined_count(&self, user_id: &UserId) -> StoreResult<u64>;
    /// The user's communities ordered by join time then id, strictly after `after`.
    fn joined_page(
        &self,
        user_id: &UserId,
        after: Option<(TimestampMs, &str)>,
        limit: u32,
    ) -> StoreResult<Vec<(TimestampMs, CommunityId)>>;
    /// Every community the user has joined.
    fn joined_ids(&self, user_id: &UserId) -> StoreResult<Vec<CommunityId>>;
    /// Every member.
    fn member_ids(&self, community_id: &CommunityId) -> StoreResult<Vec<UserId>>;
    /// Members ordered by join time then user id, strictly after `after`, that `filter`
    /// selects.
    fn members_page(
        &self,
        community_id: &CommunityId,
        filter: MemberFilter<'_>,
        after: Option<(TimestampMs, &str)>,
        limit: u32,
    ) -> StoreResult<Vec<MemberInfo>>;
    /// Exact number of members that `filter` selects.
    fn members_count(
        &self,
        community_id: &CommunityId,
        filter: MemberFilter<'_>,
    ) -> StoreResult<u64>;
    /// A pending join request.
    fn join_request(
        &self,
        community_id: &CommunityId,
        user_id: &UserId,
    ) -> StoreResult<Option<JoinRequest>>;
    /// Files a join request.
    fn insert_join_request(&self, request: &JoinRequest) -> StoreResult<()>;
    /// Removes a join request. False when there was none.
    fn delete_join_request(
        &self,
        community_id: &CommunityId,
        user_id: &UserId,
    ) -> StoreResult<bool>;
    /// Pending join requests, oldest first.
    fn join_requests(&self, community_id: &CommunityId) -> StoreResult<Vec<JoinRequest>>;
    /// The user's notification status for a community (default: notify).
    fn notification(
        &self,
        user_id: &UserId,
        community_id: &CommunityId,
    ) -> StoreResult<NotificationStatus>;
    /// Sets the user's notification status for a community.
    fn set_notification(
        &self,
        user_id: &UserId,
        community_id: &CommunityId,
        status: NotificationStatus,
    ) -> StoreResult<()>;
}

/// Channels, categories and private channel memberships.
pub trait ChannelStore {
    /// One channel of a community.
    fn channel(
        &self,
        community_id: &CommunityId,
        channel_id: &ChannelId,
    ) -> StoreResult<Option<ChannelRecord>>;
    /// Every channel of a community, by position then creation.
    fn channels(&self, community_id: &CommunityId) -> StoreResult<Vec<ChannelRecord>>;
    /// How many channels a community has.
    fn channel_count(&self, community_id: &CommunityId) -> StoreResult<u64>;
    /// Stores a new, empty channel.
    fn insert_channel(&self, info: &ChannelInfo) -> StoreResult<()>;
    /// Saves a channel's description and settings (not its overrides: see
    /// [`OverrideStore`]).
    fn update_channel(&self, info: &ChannelInfo) -> StoreResult<()>;
    /// Deletes a channel with its messages. False when it did not exist.
    fn delete_channel(&self, channel_id: &ChannelId) -> StoreResult<bool>;
    /// One past the largest position among the channels of a category (or of no category).
    fn next_channel_position(
        &self,
        community_id: &CommunityId,
        category_id: Option<&CategoryId>,
    ) -> StoreResult<i64>;
    /// Explicit members of a private channel.
    fn channel_member_ids(&self, channel_id: &ChannelId) -> StoreResult<Vec<UserId>>;
    /// Whether the user is an explicit member of the channel.
    fn is_channel_member(&self, channel_id: &ChannelId, user_id: &UserId) -> StoreResult<bool>;
    /// Adds an explicit member. False when they were one already.
    fn add_channel_member(&self, channel_id: &ChannelId, user_id: &UserId) -> StoreResult<bool>;
    /// Removes an explicit member. False when they were not one.
    fn remove_channel_member(&self, channel_id: &ChannelId, user_id: &UserId) -> StoreResult<bool>;
    /// Every category of a community, by position then creation.
    fn categories(&self, community_id: &CommunityId) -> StoreResult<Vec<CategoryInfo>>;
    /// One category of a community.
    fn category(
        &self,
        community_id: &CommunityId,
        category_id: &CategoryId,
    ) -> StoreResult<Option<CategoryInfo>>;
    /// Stores a new category, created at `created_at_ms` (orders categories of equal
    /// position).
    fn insert_category(
        &self,
        category: &CategoryInfo,
        created_at_ms: TimestampMs,
    ) -> StoreResult<()>;
    /// Saves a category's name and position.
    fn update_category(&self, category: &CategoryInfo) -> StoreResult<()>;
    /// Deletes a category; its channels get no category. False when it did not exist.
    fn delete_category(
        &self,
        community_id: &CommunityId,
        category_id: &CategoryId,
    ) -> StoreResult<bool>;
    /// One past the largest category position of a community.
    fn next_category_position(&self, community_id: &CommunityId) -> StoreResult<i64>;
}

/// Messages, their sequences and idempotency keys.
///
/// Messages are read back as the protocol shows them: with their pin, their reactions and
/// the preview of the message they reply to as it is now. `viewer` is the user an answer
/// is for (it sets [`community_protocol::Reaction::me`]); `None` for events, which go to
/// many users.
pub trait MessageStore {
    /// The message a sender stored earlier with this idempotency key, as the sender sees
    /// it now.
    fn message_by_key(
        &self,
        sender_id: &UserId,
        idempotency_key: &str,
    ) -> StoreResult<Option<Message>>;
    /// Stores a message with the channel's next sequence (last + 1, in this transaction,
    /// so sequences are gap-free), records its key and mentions, and moves the channel's
    /// head. The message comes back with its reply preview.
    fn append_message(&self, message: &NewMessage<'_>) -> StoreResult<Message>;
    /// One message of a channel, if it exists.
    fn message(
        &self,
        channel_id: &ChannelId,
        seq: Seq,
        viewer: Option<&UserId>,
    ) -> StoreResult<Option<Message>>;
    /// A slice of a channel's history, ascending, and whether more messages exist in the
    /// range beyond it.
    fn messages(
        &self,
        channel_id: &ChannelId,
        range: HistoryRange,
        viewer: Option<&UserId>,
    ) -> StoreResult<(Vec<Message>, bool)>;
    /// The pinned messages of a channel, the most recently pinned first.
    fn pinned_messages(
        &self,
        channel_id: &ChannelId,
        viewer: Option<&UserId>,
    ) -> StoreResult<Vec<Message>>;
    /// Replaces the body, mentions and custom data of a message (and its mention index).
    fn edit_message(&self, edit: &MessageEdit<'_>) -> StoreResult<()>;
    /// Turns a message into the tombstone `tombstone`: mentions, custom data, forwarding
    /// origin, reactions and pin are removed (as `Message::apply_change` does for a
    /// `recalled` change), and the message counts as unread for nobody any more.
    fn recall_message(
        &self,
        channel_id: &ChannelId,
        seq: Seq,
        tombstone: &MessageContent,
    ) -> StoreResult<()>;
}

/// Reactions: one row per (message, emoji, user), ordered by time.
pub trait ReactionStore {
    /// Records `user_id`'s reaction; false when it was there already.
    fn add_reaction(
        &self,
        channel_id: &ChannelId,
        seq: Seq,
        emoji: &str,
        user_id: &UserId,
        at_ms: TimestampMs,
    ) -> StoreResult<bool>;
    /// Removes `user_id`'s reaction; false when there was none.
    fn remove_reaction(
        &self,
        channel_id: &ChannelId,
        seq: Seq,
        emoji: &str,
        user_id: &UserId,
    ) -> StoreResult<bool>;
    /// How many users reacted to a message with `emoji`.
    fn reaction_count(&self, channel_id: &ChannelId, seq: Seq, emoji: &str) -> StoreResult<u32>;
    /// The first users who reacted to a message with `emoji`, oldest first (at most
    /// `community_protocol::REACTION_USERS_SHOWN`).
    fn first_reactors(
        &self,
        channel_id: &ChannelId,
        seq: Seq,
        emoji: &str,
    ) -> StoreResult<Vec<UserId>>;
}

/// Pinned messages.
pub trait PinStore {
    /// Pins a message; false when it was pinned already.
    fn pin(
        &self,
        channel_id: &ChannelId,
        seq: Seq,
        by: &UserId,
        at_ms: TimestampMs,
    ) -> StoreResult<bool>;
    /// Unpins a message; false when it was not pinned.
    fn unpin(&self, channel_id: &ChannelId, seq: Seq) -> StoreResult<bool>;
    /// How many messages of the channel are pinned.
    fn pin_count(&self, channel_id: &ChannelId) -> StoreResult<usize>;
}

/// The change log of every channel (kept for ever) and the idempotency keys of edits.
pub trait ChangeStore {
    /// Records a change with the channel's next change sequence (in this transaction, so
    /// change sequences are gap-free) and returns it.
    fn append_change(&self, change: &NewChange<'_>) -> StoreResult<MessageChange>;
    /// One change of a channel.
    fn change(
        &self,
        community_id: &CommunityId,
        channel_id: &ChannelId,
        change_seq: u64,
    ) -> StoreResult<Option<MessageChange>>;
    /// The changes with `change_seq > after`, ascending, at most `limit`, and whether more
    /// follow.
    fn changes(
        &self,
        community_id: &CommunityId,
        channel_id: &ChannelId,
        after: u64,
        limit: u32,
    ) -> StoreResult<(Vec<MessageChange>, bool)>;
    /// Replaces the content and custom data of every `edited` change of a message with
    /// `tombstone` (after a recall, the log no longer reveals what was recalled).
    fn scrub_edits(
        &self,
        channel_id: &ChannelId,
        seq: Seq,
        tombstone: &MessageContent,
    ) -> StoreResult<()>;
    /// Where an editor used an idempotency key.
    fn edit_by_key(
        &self,
        editor_id: &UserId,
        idempotency_key: &str,
    ) -> StoreResult<Option<EditKey>>;
    /// Records an editor's idempotency key with the change it made.
    fn insert_edit_key(
        &self,
        editor_id: &UserId,
        idempotency_key: &str,
        key: &EditKey,
    ) -> StoreResult<()>;
}

/// Read positions and the counts derived from them.
pub trait ReadStore {
    /// The user's read position in a channel, if one is stored.
    fn read_seq(&self, user_id: &UserId, channel_id: &ChannelId) -> StoreResult<Option<Seq>>;
    /// Stores the user's read position in a channel.
    fn set_read_seq(&self, user_id: &UserId, channel_id: &ChannelId, seq: Seq) -> StoreResult<()>;
    /// Starts the user's read position at the channel's current end, unless one exists
    /// (history from before a user could see a channel is not unread).
    fn start_reading(&self, user_id: &UserId, channel_id: &ChannelId) -> StoreResult<()>;
    /// [`ReadStore::start_reading`] for every member of the community.
    fn start_reading_all(
        &self,
        community_id: &CommunityId,
        channel_id: &ChannelId,
    ) -> StoreResult<()>;
    /// Forgets the user's read position in a channel, the messages they hid there and
    /// their notification level for it.
    fn forget_reading(&self, user_id: &UserId, channel_id: &ChannelId) -> StoreResult<()>;
    /// The messages after `read_seq` that count as unread for the user (not their own,
    /// not written by the server, not recalled, not hidden by them), and how many of
    /// those mention the user (directly, through @everyone or through a group they hold).
    fn unread_counts(
        &self,
        user_id: &UserId,
        channel_id: &ChannelId,
        read_seq: Seq,
    ) -> StoreResult<(u64, u64)>;
    /// The messages of a channel the user hid, ascending.
    fn hidden(&self, user_id: &UserId, channel_id: &ChannelId) -> StoreResult<Vec<Seq>>;
    /// Hides a message (sent by `sender_id`) for the user; false when it was hidden
    /// already.
    fn hide(
        &self,
        user_id: &UserId,
        channel_id: &ChannelId,
        seq: Seq,
        sender_id: &UserId,
    ) -> StoreResult<bool>;
    /// How many messages of a channel the user hid.
    fn hidden_count(&self, user_id: &UserId, channel_id: &ChannelId) -> StoreResult<usize>;
    /// The user's notification level for a channel (default: all).
    fn channel_notification(
        &self,
        user_id: &UserId,
        channel_id: &ChannelId,
    ) -> StoreResult<ChannelNotification>;
    /// Sets the user's notification level for a channel.
    fn set_channel_notification(
        &self,
        user_id: &UserId,
        channel_id: &ChannelId,
        level: ChannelNotification,
    ) -> StoreResult<()>;
}

/// One member as the member list needs them (§22.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberListRow {
    /// The member.
    pub user_id: UserId,
    /// Their nickname in the community (empty: none).
    pub nickname: String,
    /// Their profile's display name (empty: none).
    pub profile_name: String,
    /// Their profile's avatar URL (empty: none).
    pub avatar_url: String,
    /// Their highest group besides `@everyone` (by position, then id).
    pub group_id: Option<GroupId>,
}

/// Permission groups, who holds them, and the community's access stamp.
pub trait GroupStore {
    /// Every group of a community: `@everyone` first, then by position.
    fn groups(&self, community_id: &CommunityId) -> StoreResult<Vec<Group>>;
    /// Stores a new group.
    fn insert_group(&self, group: &Group) -> StoreResult<()>;
    /// Saves a group's name, color, position, mentionability and flags.
    fn update_group(&self, group: &Group) -> StoreResult<()>;
    /// Deletes a group with its assignments and the overrides that name it. False when it
    /// did not exist.
    fn delete_group(&self, community_id: &CommunityId, group_id: &GroupId) -> StoreResult<bool>;
    /// Gives a member a group; false when they held it already.
    fn assign_group(
        &self,
        community_id: &CommunityId,
        user_id: &UserId,
        group_id: &GroupId,
    ) -> StoreResult<bool>;
    /// Takes a group from a member; false when they did not hold it.
    fn unassign_group(
        &self,
        community_id: &CommunityId,
        user_id: &UserId,
        group_id: &GroupId,
    ) -> StoreResult<bool>;
    /// The members holding a group.
    fn group_holders(
        &self,
        community_id: &CommunityId,
        group_id: &GroupId,
    ) -> StoreResult<Vec<UserId>>;
    /// The member list's rows of a community (§22.2): every member, or only `user_id`.
    fn member_list_rows(
        &self,
        community_id: &CommunityId,
        user_id: Option<&UserId>,
    ) -> StoreResult<Vec<MemberListRow>>;
    /// Every member who ranks above a plain member (a role or a group), by user id.
    fn ranked_members(&self, community_id: &CommunityId) -> StoreResult<Vec<RankedMember>>;
    /// The community's access stamp: it changes with every change of who may see what.
    fn access_stamp(&self, community_id: &CommunityId) -> StoreResult<i64>;
    /// Gives the community a fresh, random access stamp.
    fn renew_access_stamp(&self, community_id: &CommunityId) -> StoreResult<()>;
}

/// Permission overrides of channels and categories.
pub trait OverrideStore {
    /// A channel's own overrides.
    fn channel_overrides(&self, channel_id: &ChannelId) -> StoreResult<Vec<Override>>;
    /// Sets (or, with nothing allowed and nothing denied, removes) a channel override.
    fn set_channel_override(&self, channel_id: &ChannelId, rule: &Override) -> StoreResult<()>;
    /// A category's overrides.
    fn category_overrides(&self, category_id: &CategoryId) -> StoreResult<Vec<Override>>;
    /// Sets (or removes) a category override.
    fn set_category_override(&self, category_id: &CategoryId, rule: &Override) -> StoreResult<()>;
}

/// Bans.
pub trait BanStore {
    /// The user's ban, if one is in force at `now` (an ended ban is not returned).
    fn ban(
        &self,
        community_id: &CommunityId,
        user_id: &UserId,
        now: TimestampMs,
    ) -> StoreResult<Option<Ban>>;
    /// Stores a ban (replacing an earlier one of the same user).
    fn put_ban(&self, ban: &Ban) -> StoreResult<()>;
    /// Lifts a ban; false when there was none.
    fn delete_ban(&self, community_id: &CommunityId, user_id: &UserId) -> StoreResult<bool>;
    /// The bans in force at `now`, newest first.
    fn bans(&self, community_id: &CommunityId, now: TimestampMs) -> StoreResult<Vec<Ban>>;
}

/// Everything the domain may do inside one transaction.
pub trait Tx:
    CommunityStore
    + MemberStore
    + ChannelStore
    + MessageStore
    + ReactionStore
    + PinStore
    + ChangeStore
    + ReadStore
    + GroupStore
    + OverrideStore
    + BanStore
    + ThreadStore
    + ConversationStore
    + PeopleStore
    + SearchStore
    + PushTargetStore
{
}

impl<T> Tx for T where
    T: CommunityStore
        + MemberStore
        + ChannelStore
        + MessageStore
        + ReactionStore
        + PinStore
        + ChangeStore
        + ReadStore
        + GroupStore
        + OverrideStore
        + BanStore
        + ThreadStore
        + ConversationStore
        + PeopleStore
        + SearchStore
        + PushTargetStore
        + ?Sized
{
}

/// The body of a transaction: any error rolls the transaction back.
pub type TxBody<'f> = dyn FnMut(&dyn Tx) -> Result<(), ApiError> + 'f;

/// A storage engine: runs transaction bodies.
pub trait Store: Send + Sync {
    /// Runs `body` in a read-only transaction (a consistent snapshot; many at once).
    fn read_tx(&self, op: &'static str, body: &mut TxBody<'_>) -> Result<(), ApiError>;
    /// Runs `body` in a write transaction (one at a time); commits when it returns `Ok`.
    fn write_tx(&self, op: &'static str, body: &mut TxBody<'_>) -> Result<(), ApiError>;
    /// Runs `body` in a read transaction whose snapshot has every message it sees
    /// indexed for search (an engine that indexes inside each write needs nothing more
    /// than [`Store::read_tx`]).
    fn read_indexed_tx(&self, op: &'static str, body: &mut TxBody<'_>) -> Result<(), ApiError> {
        self.read_tx(op, body)
    }
}

impl dyn Store {
    /// Runs `body` in a read transaction and returns its value.
    pub fn read<T>(
        &self,
        op: &'static str,
        body: impl FnOnce(&dyn Tx) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        run_once(body, |tx_body| self.read_tx(op, tx_body))
    }

    /// Runs `body` in a read transaction where search is exact
    /// ([`Store::read_indexed_tx`]) and returns its value.
    pub fn read_indexed<T>(
        &self,
        op: &'static str,
        body: impl FnOnce(&dyn Tx) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        run_once(body, |tx_body| self.read_indexed_tx(op, tx_body))
    }

    /// Runs `body` in a write transaction and returns its value.
    pub fn write<T>(
        &self,
        op: &'static str,
        body: impl FnOnce(&dyn Tx) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        run_once(body, |tx_body| self.write_tx(op, tx_body))
    }
}

/// Adapts a value-returning `FnOnce` body to the object-safe [`TxBody`] that `run` (a
/// `read_tx` or `write_tx`) takes, and hands back the body's value.
fn run_once<T>(
    body: impl FnOnce(&dyn Tx) -> Result<T, ApiError>,
    run: impl FnOnce(&mut TxBody<'_>) -> Result<(), ApiError>,
) -> Result<T, ApiError> {
    let mut body = Some(body);
    let mut output = None;
    run(&mut |tx| {
        if let Some(body) = body.take() {
            output = Some(body(tx)?);
        }
        Ok(())
    })?;
    output.ok_or_else(not_run)
}

fn not_run() -> ApiError {
    ApiError::new(
        community_protocol::ErrorCode::INTERNAL,
        "the storage engine did not run the transaction",
    )
}
