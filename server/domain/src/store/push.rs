//! What the offline push hand-off reads (and the one thing it writes): the members who
//! have push tokens, whether a user has any, whether a member holds a group, and the
//! presence status each user last chose (kept because the transport forgets it when the
//! user's last session ends, while pushes are for exactly those users).

use community_protocol::{CommunityId, GroupId, PresenceStatus, TimestampMs, UserId};

use super::StoreResult;

/// The push hand-off's reads (`domain::push_targets`).
pub trait PushTargetStore {
    /// The members of a community who have at least one push token, by user id (a range
    /// of the members' primary key, each checked against the tokens' user index).
    fn members_with_push_tokens(&self, community_id: &CommunityId) -> StoreResult<Vec<UserId>>;
    /// Whether the user has at least one push token.
    fn has_push_token(&self, user_id: &UserId) -> StoreResult<bool>;
    /// Whether a member holds one of `groups`.
    fn holds_any_group(
        &self,
        community_id: &CommunityId,
        user_id: &UserId,
        groups: &[GroupId],
    ) -> StoreResult<bool>;
    /// The presence status the user last chose (`None`: never chose one; `online`).
    fn presence_choice(&self, user_id: &UserId) -> StoreResult<Option<PresenceStatus>>;
    /// Records the status the user chose (`online` forgets the row).
    fn set_presence_choice(
        &self,
        user_id: &UserId,
        status: PresenceStatus,
        at_ms: TimestampMs,
    ) -> StoreResult<()>;
}
