//! The small values every record is built from: sequence numbers, times, member roles
//! and channel kinds. They live apart from [`crate::model`] so that the record modules
//! (`model`, `people`, `permissions`, `thread`) share them without importing each other;
//! `model` re-exports them, so `community_protocol::Seq` and `model::Role` stay the paths
//! everyone uses.

use serde::{Deserialize, Serialize};

/// A message's position in its channel: 1 for the first message, +1 for each next one.
pub type Seq = u64;
/// Milliseconds since the Unix epoch.
pub type TimestampMs = i64;

/// A member's role in a community. Ordered: `Member < Admin < Owner`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// An ordinary member.
    Member,
    /// An administrator: manages channels, members (not the owner nor other admins).
    Admin,
    /// The one owner: everything, including dismissing the community.
    Owner,
}

/// What a channel is for.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// Text chat.
    #[default]
    Text,
    /// A voice channel: presence state only (media is out of scope).
    Voice,
    /// Announcements: only owner and admins post.
    Announcement,
    /// A kind this version does not know (from a newer server). Shown as a plain channel;
    /// a server refuses to create one.
    #[serde(other)]
    Unknown,
}
