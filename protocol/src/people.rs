//! People: profiles, direct and group conversations, presence, typing and voice-channel
//! state.
//!
//! **Conversations** live outside communities, in the reserved community
//! [`CommunityId::DIRECT`] (`@me`, which no community id can be: ids are
//! `[A-Za-z0-9_-]`). A conversation is addressed like a channel of `@me` by its id
//! (`dm_…`) in every message operation (`send_message`, `get_messages`, `mark_read`,
//! edits, recalls, reactions…), its messages carry `community_id: "@me"`, and the user's
//! heads of conversations have `community_id: "@me"`: the whole message model, the outbox,
//! the cache and the counts work unchanged.
//!
//! **Presence** is what a user shows (online, idle, do-not-disturb; invisible shows
//! offline to others) while any of their devices is connected; **typing** is ephemeral
//! (never stored, never sequenced); **voice state** says who sits in which voice channel
//! (at most one per user, cleared when their last session goes away).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::{ChannelId, CommunityId, UserId};
use crate::primitives::{Seq, TimestampMs};

impl CommunityId {
    /// The reserved community of direct and group conversations.
    pub const DIRECT: &'static str = "@me";

    /// The community of conversations (`@me`).
    pub fn direct() -> Self {
        Self::new(Self::DIRECT)
    }

    /// True for `@me`.
    pub fn is_direct(&self) -> bool {
        self.as_str() == Self::DIRECT
    }
}

/// What a user shows of themselves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// The user.
    pub user_id: UserId,
    /// Display name (≤ 64 bytes; empty: none set).
    #[serde(default)]
    pub display_name: String,
    /// Avatar URL (≤ 300 bytes).
    #[serde(default)]
    pub avatar_url: String,
    /// Custom fields (≤ 10; keys and values ≤ 64 bytes).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
    /// When it last changed (0: never set).
    #[serde(default)]
    pub updated_at_ms: TimestampMs,
}

/// One-to-one or group.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationKind {
    /// Two users; at most one between the same two.
    Direct,
    /// Up to `max_conversation_members` users.
    Group,
    /// A kind this version does not know.
    #[serde(other)]
    Unknown,
}

/// A conversation as its participants see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationInfo {
    /// Its id (`dm_…`): the `channel_id` of its messages, in community `@me`.
    pub conversation_id: ChannelId,
    /// Direct or group.
    pub kind: ConversationKind,
    /// Everyone in it, the caller included, sorted.
    pub participants: Vec<UserId>,
    /// A group's name (≤ 100 bytes; empty for direct conversations).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Who started it.
    pub created_by: UserId,
    /// When.
    pub created_at_ms: TimestampMs,
    /// Its newest message's sequence (0: none yet).
    pub last_seq: Seq,
    /// Time of its newest message (or of its creation).
    pub last_activity_ms: TimestampMs,
}

/// Who may start a conversation with a user.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DmPolicy {
    /// Anyone.
    #[default]
    Anyone,
    /// Only users who share a community with them.
    SharedCommunity,
    /// Nobody (existing conversations go on).
    Nobody,
    /// A policy this version does not know: treated as `nobody`.
    #[serde(other)]
    Unknown,
}

/// What a user shows of their presence.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PresenceStatus {
    /// Connected and available.
    #[default]
    Online,
    /// Connected, away.
    Idle,
    /// Connected, not to be disturbed.
    DoNotDisturb,
    /// Connected but shown as offline to others (a user sees their own `invisible`).
    Invisible,
    /// No device connected (or invisible, as others see it).
    Offline,
    /// A status this version does not know: shown as online.
    #[serde(other)]
    Unknown,
}

/// A user's presence as the receiver may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presence {
    /// The user.
    pub user_id: UserId,
    /// Their status (`offline` when no device is connected or they are invisible).
    pub status: PresenceStatus,
    /// Their custom status text (≤ 128 bytes; empty when offline).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
    /// When they were last connected (absent while online, or never seen).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen_ms: Option<TimestampMs>,
}

/// Someone sitting in a voice channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoiceParticipant {
    /// The community.
    pub community_id: CommunityId,
    /// The voice channel.
    pub channel_id: ChannelId,
    /// Who.
    pub user_id: UserId,
    /// Since when.
    pub joined_at_ms: TimestampMs,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_direct_community_cannot_be_a_community_id() {
        assert!(crate::limits::check_community_id(CommunityId::DIRECT).is_err());
        assert!(CommunityId::direct().is_direct());
        let json = serde_json::to_string(&PresenceStatus::DoNotDisturb).unwrap();
        assert_eq!(json, "\"do_not_disturb\"");
        let unknown: PresenceStatus = serde_json::from_str("\"streaming\"").unwrap();
        assert_eq!(unknown, PresenceStatus::Unknown);
    }
}
