//! The hub's ephemeral people state in one record ([`LiveState`], inside the hub's index,
//! under the same lock as the sessions): each part is its own module's, this only holds
//! them together.

use community_protocol::CommunityId;

use super::member_list::MemberLists;
use super::presence::{CountGates, Followers, Presences};
use super::typing::TypingGates;
use super::voice::VoiceRooms;

/// The ephemeral people state, kept in the hub's index.
#[derive(Default)]
pub(crate) struct LiveState {
    /// What each user shows.
    pub presence: Presences,
    /// Subscriptions and viewed communities.
    pub follow: Followers,
    /// `online_count` windows.
    pub counts: CountGates,
    /// Typing rate and windows.
    pub typing: TypingGates,
    /// Voice seats.
    pub voice: VoiceRooms,
    /// The member lists followed (`super::member_list`).
    pub lists: MemberLists,
    /// The communities known to be large (§9.5): read at start, then kept by the member
    /// counts of `member_joined` / `member_left` and by what the domain's answers say.
    pub large: std::collections::HashSet<CommunityId>,
    /// Moves when a channel is removed or a member loses a community (`join_voice`
    /// checks it did not move while it read).
    pub epoch: u64,
}
