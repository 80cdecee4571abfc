//! Storage of people: the users the server knows, direct and group conversations with
//! their participants, DM policies, blocks, profiles and push tokens ([`ConversationStore`],
//! [`PeopleStore`]).
//!
//! A conversation's message stream is a `channels` row of the reserved community `@me`
//! (its id is a channel id), so every message table serves conversations unchanged, as
//! they serve threads; what only a conversation has (its kind, creator, participants, the
//! pair of a direct conversation) is kept beside it. The domain reads the stream with
//! [`super::ChannelStore::channel`] in community `@me`.

use community_protocol::{
    ChannelId, ConversationInfo, ConversationKind, DmPolicy, Profile, TimestampMs, UserId,
};

use community_protocol::push::PushToken;

use super::StoreResult;

/// A conversation to store; it starts empty, at `created_at_ms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConversation<'a> {
    /// Its id (`dm_…`).
    pub conversation_id: &'a ChannelId,
    /// Direct (exactly two participants, at most one conversation per pair) or group.
    pub kind: ConversationKind,
    /// A group's name (empty for direct conversations).
    pub name: &'a str,
    /// Who started it.
    pub created_by: &'a UserId,
    /// When.
    pub created_at_ms: TimestampMs,
    /// Everyone in it, the creator included (distinct).
    pub participants: &'a [UserId],
}

/// Conversations and their participants.
pub trait ConversationStore {
    /// One conversation with its participants (sorted), if it exists.
    fn conversation(&self, conversation_id: &ChannelId) -> StoreResult<Option<ConversationInfo>>;
    /// The direct conversation between two users, if there is one.
    fn direct_conversation(&self, a: &UserId, b: &UserId) -> StoreResult<Option<ChannelId>>;
    /// Stores a new conversation: its message stream (a channel of `@me`), its row and its
    /// participants, each reading from the start.
    fn insert_conversation(&self, conversation: &NewConversation<'_>) -> StoreResult<()>;
    /// Renames a group conversation.
    fn rename_conversation(&self, conversation_id: &ChannelId, name: &str) -> StoreResult<()>;
    /// Adds a participant, reading from the conversation's current end (history from
    /// before is visible, not unread). False when they were one already.
    fn add_participant(
        &self,
        conversation_id: &ChannelId,
        user_id: &UserId,
        joined_at_ms: TimestampMs,
    ) -> StoreResult<bool>;
    /// Removes a participant and forgets their read position, hidden messages and
    /// notification level there. False when they were not one.
    fn remove_participant(
        &self,
        conversation_id: &ChannelId,
        user_id: &UserId,
    ) -> StoreResult<bool>;
    /// Deletes a conversation with its messages. False when it did not exist.
    fn delete_conversation(&self, conversation_id: &ChannelId) -> StoreResult<bool>;
    /// Whether the user is a participant.
    fn is_participant(&self, conversation_id: &ChannelId, user_id: &UserId) -> StoreResult<bool>;
    /// The participants, sorted.
    fn participant_ids(&self, conversation_id: &ChannelId) -> StoreResult<Vec<UserId>>;
    /// The user's conversations, newest activity first (then id, descending), strictly
    /// after the keyset position `after`; at most `limit` (all when `None`).
    fn conversations_of(
        &self,
        user_id: &UserId,
        after: Option<(TimestampMs, &str)>,
        limit: Option<u32>,
    ) -> StoreResult<Vec<ConversationInfo>>;
}

/// Known users, DM policies, blocks and profiles.
pub trait PeopleStore {
    /// Records that the user exists (seen at a login). False when it was known already.
    fn note_user(&self, user_id: &UserId, at_ms: TimestampMs) -> StoreResult<bool>;
    /// Whether the user exists: seen at a login, or a member of a community.
    fn user_exists(&self, user_id: &UserId) -> StoreResult<bool>;
    /// Whether two users are members of at least one same community.
    fn shares_community(&self, a: &UserId, b: &UserId) -> StoreResult<bool>;
    /// Everyone who shares a community or a conversation with the user (not the user),
    /// sorted, each once.
    fn contacts(&self, user_id: &UserId) -> StoreResult<Vec<UserId>>;
    /// The user's DM policy (default: anyone).
    fn dm_policy(&self, user_id: &UserId) -> StoreResult<DmPolicy>;
    /// Sets the user's DM policy.
    fn set_dm_policy(&self, user_id: &UserId, policy: DmPolicy) -> StoreResult<()>;
    /// Records that `blocker` blocks `blocked`. False when it did already.
    fn block(&self, blocker: &UserId, blocked: &UserId, at_ms: TimestampMs) -> StoreResult<bool>;
    /// Lifts a block. False when there was none.
    fn unblock(&self, blocker: &UserId, blocked: &UserId) -> StoreResult<bool>;
    /// The users `blocker` blocks, sorted.
    fn blocked_by(&self, blocker: &UserId) -> StoreResult<Vec<UserId>>;
    /// Whether either user blocks the other.
    fn blocks_between(&self, a: &UserId, b: &UserId) -> StoreResult<bool>;
    /// The user's profile, if they ever set one.
    fn profile(&self, user_id: &UserId) -> StoreResult<Option<Profile>>;
    /// Stores the user's profile (replacing it).
    fn put_profile(&self, profile: &Profile) -> StoreResult<()>;
    /// Registers a push token to the user at `at_ms`: taken from any other user, renewed
    /// when the user had it; past `keep` tokens the user's least recently registered ones
    /// are forgotten.
    fn put_push_token(
        &self,
        user_id: &UserId,
        token: &PushToken,
        at_ms: TimestampMs,
        keep: usize,
    ) -> StoreResult<()>;
    /// Forgets one of the user's push tokens. False when the user had no such token.
    fn delete_push_token(&self, user_id: &UserId, token: &str) -> StoreResult<bool>;
    /// The user's push tokens, most recently registered first.
    fn push_tokens(&self, user_id: &UserId) -> StoreResult<Vec<PushToken>>;
}
