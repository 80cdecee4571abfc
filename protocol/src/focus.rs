//! Focus: the one channel, thread or conversation a session shows (§9.5).
//!
//! In a community above `large_community_members` the server sends whole messages only
//! to the sessions focused on their channel (and to the sender's); every other member's
//! sessions get coalesced `channel_activity` with the exact counts the badges need. The
//! SDK focuses whatever the app opens, so timelines and counts behave the same in a large
//! community as in a small one.

use serde::{Deserialize, Serialize};

use crate::ids::{ChannelId, CommunityId};
use crate::model::ChannelHead;

/// Parameters of `focus`: the place the session shows, or none (both absent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Focus {
    /// The community (`@me` for a conversation); absent with `channel_id` to unfocus.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub community_id: Option<CommunityId>,
    /// The channel, thread or conversation shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<ChannelId>,
}

/// Answer to `focus`: the focused place's head (absent when unfocusing), with the
/// caller's exact counts and change sequence, so a client catches up from there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Focused {
    /// The head of the focused channel, thread or conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head: Option<ChannelHead>,
}
