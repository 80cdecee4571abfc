//! Mirrors of the roles and permissions records (`community_protocol::permissions` and
//! the SDK's `NewGroup`, `GroupUpdate`, `MembersQuery`): permission groups, channel and
//! category overrides, bans, per-channel notification levels, and the member-list query.
//!
//! Permissions travel as a plain `u64` bit set (bit `n` = flag `n`, as on the wire and in
//! `docs/PROTOCOL.md`); [`PermissionFlag`](crate::permissions::PermissionFlag) names the
//! bits in every language.

use community_protocol as wire;
use community_sdk as sdk;
use serde::{Deserialize, Serialize};

/// A permission group (a "role"): named flags a member may hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct Group {
    /// The community.
    pub community_id: String,
    /// The group's id (`everyone` for the group every member has).
    pub group_id: String,
    /// Display name.
    pub name: String,
    /// Display color `0xRRGGBB` (0: none).
    pub color: u32,
    /// Rank: a higher position ranks higher (`@everyone` is 0; groups are 1, 2, 3…).
    /// Members act only on members and groups below their own highest group.
    pub position: i64,
    /// Whether any member may mention the group (else only with `mention_everyone`).
    pub mentionable: bool,
    /// The flags the group grants (a `PermissionFlag` bit set).
    pub permissions: u64,
}

impl From<wire::Group> for Group {
    fn from(v: wire::Group) -> Self {
        Self {
            community_id: v.community_id.to_string(),
            group_id: v.group_id.to_string(),
            name: v.name,
            color: v.color,
            position: v.position,
            mentionable: v.mentionable,
            permissions: v.permissions.0,
        }
    }
}

/// A new permission group; it starts at the bottom (position 1).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, uniffi::Record)]
pub struct NewGroup {
    /// Name (1..=100 bytes).
    pub name: String,
    /// Display color `0xRRGGBB`.
    #[serde(default)]
    #[uniffi(default = 0)]
    pub color: u32,
    /// Anyone may mention it.
    #[serde(default)]
    #[uniffi(default = false)]
    pub mentionable: bool,
    /// The flags it grants (only flags the user holds may be given).
    #[serde(default)]
    #[uniffi(default = 0)]
    pub permissions: u64,
}

impl From<NewGroup> for sdk::NewGroup {
    fn from(v: NewGroup) -> Self {
        Self {
            name: v.name,
            color: v.color,
            mentionable: v.mentionable,
            permissions: wire::Permissions(v.permissions),
        }
    }
}

/// A change to a permission group; `None` leaves a field as it is.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, uniffi::Record)]
pub struct GroupUpdate {
    /// New name.
    #[serde(default)]
    #[uniffi(default = None)]
    pub name: Option<String>,
    /// New color.
    #[serde(default)]
    #[uniffi(default = None)]
    pub color: Option<u32>,
    /// Mentionable or not.
    #[serde(default)]
    #[uniffi(default = None)]
    pub mentionable: Option<bool>,
    /// New flags.
    #[serde(default)]
    #[uniffi(default = None)]
    pub permissions: Option<u64>,
}

impl From<GroupUpdate> for sdk::GroupUpdate {
    fn from(v: GroupUpdate) -> Self {
        Self {
            name: v.name,
            color: v.color,
            mentionable: v.mentionable,
            permissions: v.permissions.map(wire::Permissions),
        }
    }
}

/// Who an override is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, uniffi::Enum)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OverrideTarget {
    /// The members of a group (`everyone` for every member).
    Group {
        /// The group.
        group_id: String,
    },
    /// One member.
    Member {
        /// The member.
        user_id: String,
    },
}

impl From<wire::OverrideTarget> for OverrideTarget {
    fn from(v: wire::OverrideTarget) -> Self {
        match v {
            wire::OverrideTarget::Group { group_id } => Self::Group {
                group_id: group_id.to_string(),
            },
            wire::OverrideTarget::Member { user_id } => Self::Member {
                user_id: user_id.to_string(),
            },
        }
    }
}

impl From<OverrideTarget> for wire::OverrideTarget {
    fn from(v: OverrideTarget) -> Self {
        match v {
            OverrideTarget::Group { group_id } => Self::Group {
                group_id: group_id.into(),
            },
            OverrideTarget::Member { user_id } => Self::Member {
                user_id: user_id.into(),
            },
        }
    }
}

/// Flags allowed and denied in one channel or category for a group or a member. Setting
/// one with nothing allowed or denied removes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct Override {
    /// Who it is for.
    pub target: OverrideTarget,
    /// Flags granted there (a `PermissionFlag` bit set).
    #[serde(default)]
    #[uniffi(default = 0)]
    pub allow: u64,
    /// Flags taken away there.
    #[serde(default)]
    #[uniffi(default = 0)]
    pub deny: u64,
}

impl From<wire::Override> for Override {
    fn from(v: wire::Override) -> Self {
        Self {
            target: v.target.into(),
            allow: v.allow.0,
            deny: v.deny.0,
        }
    }
}

impl From<Override> for wire::Override {
    fn from(v: Override) -> Self {
        Self {
            target: v.target.into(),
            allow: wire::Permissions(v.allow),
            deny: wire::Permissions(v.deny),
        }
    }
}

/// The user's notification level for one channel: what of its counts reaches the
/// community's sums and the totals (the channel's own counts stay exact).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum ChannelNotification {
    /// Unread and mentions count.
    #[default]
    All,
    /// Only mentions count.
    MentionsOnly,
    /// Nothing counts.
    None,
    /// A level this version does not know (from a newer server): counts as `all`.
    Unknown,
}

impl From<wire::ChannelNotification> for ChannelNotification {
    fn from(v: wire::ChannelNotification) -> Self {
        match v {
            wire::ChannelNotification::All => Self::All,
            wire::ChannelNotification::MentionsOnly => Self::MentionsOnly,
            wire::ChannelNotification::None => Self::None,
            _ => Self::Unknown,
        }
    }
}

impl From<ChannelNotification> for wire::ChannelNotification {
    fn from(v: ChannelNotification) -> Self {
        match v {
            ChannelNotification::All => Self::All,
            ChannelNotification::MentionsOnly => Self::MentionsOnly,
            ChannelNotification::None => Self::None,
            ChannelNotification::Unknown => Self::Unknown,
        }
    }
}

/// A ban: the user was removed and may not come back until it ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct Ban {
    /// The community.
    pub community_id: String,
    /// The banned user.
    pub user_id: String,
    /// Who banned them.
    pub by: String,
    /// Why (may be empty).
    pub reason: String,
    /// When (ms since the Unix epoch).
    pub at_ms: i64,
    /// Until when; `None`: for ever.
    pub until_ms: Option<i64>,
}

impl From<wire::Ban> for Ban {
    fn from(v: wire::Ban) -> Self {
        Self {
            community_id: v.community_id.to_string(),
            user_id: v.user_id.to_string(),
            by: v.by.to_string(),
            reason: v.reason,
            at_ms: v.at_ms,
            until_ms: v.until_ms,
        }
    }
}

/// What the user may do in one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct ChannelPermissions {
    /// The channel.
    pub channel_id: String,
    /// The effective flags there (a `PermissionFlag` bit set).
    pub permissions: u64,
}

impl From<(wire::ChannelId, wire::Permissions)> for ChannelPermissions {
    fn from((channel_id, permissions): (wire::ChannelId, wire::Permissions)) -> Self {
        Self {
            channel_id: channel_id.to_string(),
            permissions: permissions.0,
        }
    }
}

/// A member-list query; every filter is optional.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, uniffi::Record)]
pub struct MembersQuery {
    /// Only members whose id or nickname contains this text (case-insensitive).
    #[serde(default)]
    #[uniffi(default = None)]
    pub query: Option<String>,
    /// Only members holding this group.
    #[serde(default)]
    #[uniffi(default = None)]
    pub group_id: Option<String>,
    /// Only members whose custom field `field_key` has the value `field_value` (set both).
    #[serde(default)]
    #[uniffi(default = None)]
    pub field_key: Option<String>,
    /// The value `field_key` must have.
    #[serde(default)]
    #[uniffi(default = None)]
    pub field_value: Option<String>,
    /// The previous page's `next_cursor`.
    #[serde(default)]
    #[uniffi(default = None)]
    pub cursor: Option<String>,
    /// Page size 1..=100 (default 100).
    #[serde(default)]
    #[uniffi(default = None)]
    pub limit: Option<u32>,
}

impl From<MembersQuery> for sdk::MembersQuery {
    fn from(v: MembersQuery) -> Self {
        let field = match (v.field_key, v.field_value) {
            (Some(key), value) => Some((key, value.unwrap_or_default())),
            (None, _) => None,
        };
        Self {
            query: v.query,
            group_id: v.group_id.map(Into::into),
            field,
            cursor: v.cursor,
            limit: v.limit,
        }
    }
}
