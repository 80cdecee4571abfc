//! Option and result records of the API methods (plain data).

use community_protocol::{CategoryId, ChannelKind, JoinPolicy, UserId};

/// What a new channel looks like ([`CommunityHandle::create_channel`](crate::CommunityHandle::create_channel)).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewChannel {
    /// Name (1..=100 bytes).
    pub name: String,
    /// Text, voice or announcement.
    pub kind: ChannelKind,
    /// Introduction.
    pub introduction: String,
    /// Notice.
    pub notice: String,
    /// App-defined string.
    pub custom: String,
    /// Category to show it under.
    pub category_id: Option<CategoryId>,
    /// Sort key (default: after the last channel).
    pub position: Option<i64>,
    /// Private channel (only added members, plus owner and admins).
    pub private: bool,
    /// Initial members of a private channel.
    pub member_ids: Vec<UserId>,
    /// Use the category's permission overrides instead of its own.
    pub follows_category: bool,
}

/// Changes to a channel; `None` leaves a field as it is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChannelUpdate {
    /// New name.
    pub name: Option<String>,
    /// New introduction.
    pub introduction: Option<String>,
    /// New notice.
    pub notice: Option<String>,
    /// New custom string.
    pub custom: Option<String>,
    /// New category (`Some("")` removes it from its category).
    pub category_id: Option<CategoryId>,
    /// New sort key.
    pub position: Option<i64>,
    /// Make it private or public.
    pub private: Option<bool>,
    /// Use the category's overrides (true) or the channel's own (false).
    pub follows_category: Option<bool>,
    /// Mute or unmute the channel for everyone who may not mute others.
    pub mute_all: Option<bool>,
}

/// Changes to a community; `None` leaves a field as it is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CommunityUpdate {
    /// New name.
    pub name: Option<String>,
    /// New avatar URL.
    pub avatar_url: Option<String>,
    /// New notice.
    pub notice: Option<String>,
    /// New join policy.
    pub join_policy: Option<JoinPolicy>,
    /// Switch the server's system messages (member joined / left / kicked, channel
    /// created / renamed) on or off.
    pub system_messages: Option<bool>,
}

/// The answer to joining a community: joined (with the community as the new member sees
/// it), or pending (an approval community).
pub use community_protocol::JoinAnswer as JoinOutcome;
/// Attributes after an operation, and the keys that failed.
pub use community_protocol::response::AttributesOutcome;
/// A page of members and the exact number of matching members.
pub use community_protocol::response::MembersPage;
/// Users an operation applied to, and those it did not (each with its error).
pub use community_protocol::response::UsersOutcome;

/// A member-list query: every filter is optional.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MembersQuery {
    /// Only members whose id, nickname or display name contains this text
    /// (case-insensitive).
    pub query: Option<String>,
    /// Only members holding this group.
    pub group_id: Option<community_protocol::GroupId>,
    /// Only members whose custom field `.0` has the value `.1`.
    pub field: Option<(String, String)>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1..=100.
    pub limit: Option<u32>,
}
