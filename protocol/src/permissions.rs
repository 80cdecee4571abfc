//! Permissions: the flags, permission groups (roles), channel and category overrides, and
//! the one computation of what a member may do in a community or a channel.
//!
//! The server enforces with these functions and the SDK fails fast and greys out UI with
//! the same ones, so the two always agree (a test compares them case by case).
//!
//! Effective permissions in a channel, in Discord's documented order:
//! 1. The owner may do everything.
//! 2. Base = the `@everyone` group's flags | the member's groups' flags (| `administrator`
//!    for the `admin` role). `administrator` in the base means everything.
//! 3. The channel's overrides (the category's when the channel follows it): the
//!    `@everyone` override (deny, then allow), then the member's groups' overrides
//!    combined (all their denies, then all their allows), then the member's own override.
//!    A private channel adds a deny of `view_channel` to the `@everyone` step and an allow
//!    to its explicit members' step; an announcement channel adds a deny of
//!    `send_messages` to the `@everyone` step (a group override may allow it back).
//! 4. Without `view_channel` nothing else of the channel is allowed.
//! 5. Silences: a muted member (not the owner), or everyone without `mute_members` while
//!    the community or the channel is muted-all, loses the speaking flags
//!    ([`Permissions::SPEAK`]).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorCode};
use crate::ids::{CommunityId, GroupId, UserId};
use crate::primitives::{ChannelKind, Role, TimestampMs};

/// A set of permission flags. On the wire a number (bit `n` = flag `n`, see the table in
/// `docs/PROTOCOL.md`); bits this version does not know are kept as they are.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Permissions(pub u64);

macro_rules! flags {
    ($( $(#[$doc:meta])* $name:ident = $bit:literal, $text:literal; )*) => {
        impl Permissions {
            $( $(#[$doc])* pub const $name: Permissions = Permissions(1 << $bit); )*

            /// Every flag this version knows, with its name, in bit order.
            pub const NAMED: &'static [(&'static str, Permissions)] =
                &[$(($text, Permissions::$name)),*];

            /// Every flag this version knows.
            pub const ALL: Permissions = Permissions(0 $(| (1 << $bit))*);
        }
    };
}

flags! {
    /// See the channel (and its unread counts).
    VIEW_CHANNEL = 0, "view_channel";
    /// Read the channel's history (`get_messages`).
    READ_HISTORY = 1, "read_history";
    /// Send messages in the channel.
    SEND_MESSAGES = 2, "send_messages";
    /// Send messages in the channel's threads.
    SEND_IN_THREADS = 3, "send_in_threads";
    /// Start threads.
    CREATE_THREADS = 4, "create_threads";
    /// React to messages.
    ADD_REACTIONS = 5, "add_reactions";
    /// Send image, file, audio and video messages.
    ATTACH_MEDIA = 6, "attach_media";
    /// Mention `@everyone` and groups that are not mentionable.
    MENTION_EVERYONE = 7, "mention_everyone";
    /// Recall others' messages, pin and unpin.
    MANAGE_MESSAGES = 8, "manage_messages";
    /// Manage threads (rename, archive, delete others').
    MANAGE_THREADS = 9, "manage_threads";
    /// Create, change and delete channels and categories, and their overrides.
    MANAGE_CHANNELS = 10, "manage_channels";
    /// Create, change, delete and assign groups below one's own; set member fields.
    MANAGE_ROLES = 11, "manage_roles";
    /// Kick members below one's own rank; decide join requests.
    KICK_MEMBERS = 12, "kick_members";
    /// Ban and unban members below one's own rank.
    BAN_MEMBERS = 13, "ban_members";
    /// Mute members below one's own rank; mute a whole channel or community.
    MUTE_MEMBERS = 14, "mute_members";
    /// Change the community's info, attributes and settings.
    MANAGE_COMMUNITY = 15, "manage_community";
    /// Everything (bypasses every override).
    ADMINISTRATOR = 16, "administrator";
}

impl Permissions {
    /// No flag.
    pub const NONE: Permissions = Permissions(0);

    /// The flags a silenced member loses (muted, or a muted-all community or channel).
    pub const SPEAK: Permissions = Permissions(
        Self::SEND_MESSAGES.0
            | Self::SEND_IN_THREADS.0
            | Self::CREATE_THREADS.0
            | Self::ADD_REACTIONS.0,
    );

    /// What `@everyone` may do in a new community.
    pub const EVERYONE_DEFAULT: Permissions = Permissions(
        Self::VIEW_CHANNEL.0
            | Self::READ_HISTORY.0
            | Self::SEND_MESSAGES.0
            | Self::SEND_IN_THREADS.0
            | Self::CREATE_THREADS.0
            | Self::ADD_REACTIONS.0
            | Self::ATTACH_MEDIA.0,
    );

    /// True when every flag of `other` is set.
    pub fn contains(self, other: Permissions) -> bool {
        self.0 & other.0 == other.0
    }

    /// True when no flag is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The flags of either.
    pub const fn union(self, other: Permissions) -> Permissions {
        Permissions(self.0 | other.0)
    }

    /// These flags without those of `other`.
    pub fn without(self, other: Permissions) -> Permissions {
        Permissions(self.0 & !other.0)
    }

    /// The flags of both.
    pub fn intersection(self, other: Permissions) -> Permissions {
        Permissions(self.0 & other.0)
    }

    /// Applies an override: its denies, then its allows.
    pub fn overridden(self, allow: Permissions, deny: Permissions) -> Permissions {
        self.without(deny).union(allow)
    }

    /// The names of the known flags set, in bit order.
    pub fn names(self) -> Vec<&'static str> {
        Self::NAMED
            .iter()
            .filter(|(_, flag)| self.contains(*flag))
            .map(|(name, _)| *name)
            .collect()
    }

    /// The flag named `name`.
    pub fn from_name(name: &str) -> Option<Permissions> {
        Self::NAMED
            .iter()
            .find(|(text, _)| *text == name)
            .map(|(_, flag)| *flag)
    }
}

impl fmt::Debug for Permissions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Permissions({})", self.names().join(" | "))
    }
}

/// A permission group (a "role" in Discord's words): named flags a member may hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// The community.
    pub community_id: CommunityId,
    /// The group's id (`everyone` for the group every member has).
    pub group_id: GroupId,
    /// Display name (1..=100 bytes).
    pub name: String,
    /// Display color, `0xRRGGBB` (0: none).
    #[serde(default)]
    pub color: u32,
    /// Rank: a higher position ranks higher (`@everyone` is 0; groups are 1, 2, 3…).
    /// Members act only on members whose highest group is below their own.
    pub position: i64,
    /// Whether any member may mention the group (else only with `mention_everyone`).
    #[serde(default)]
    pub mentionable: bool,
    /// The flags the group grants.
    pub permissions: Permissions,
}

/// Who an override is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "target", rename_all = "snake_case")]
pub enum OverrideTarget {
    /// Members of a group (`everyone` for every member).
    Group {
        /// The group.
        group_id: GroupId,
    },
    /// One member.
    Member {
        /// The member.
        user_id: UserId,
    },
}

/// Flags allowed and denied in one channel or category for a group or a member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Override {
    /// Who it is for.
    #[serde(flatten)]
    pub target: OverrideTarget,
    /// Flags granted there.
    #[serde(default)]
    pub allow: Permissions,
    /// Flags taken away there.
    #[serde(default)]
    pub deny: Permissions,
}

/// A member as permissions see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor<'a> {
    /// The member.
    pub user_id: &'a UserId,
    /// The community's owner?
    pub is_owner: bool,
    /// The member's fixed role (`admin` holds `administrator`).
    pub role: Role,
    /// The groups the member holds (besides `@everyone`).
    pub groups: &'a [GroupId],
    /// Muted until this time, if muted.
    pub muted_until_ms: Option<TimestampMs>,
}

/// The community side of a permission question.
#[derive(Debug, Clone, Copy)]
pub struct CommunityScope<'a> {
    /// Every group of the community (`@everyone` included).
    pub groups: &'a [Group],
    /// The community is muted-all.
    pub mute_all: bool,
    /// The time now (for mutes).
    pub now_ms: TimestampMs,
}

/// The channel side of a permission question.
#[derive(Debug, Clone, Copy)]
pub struct ChannelScope<'a> {
    /// Text, voice or announcement.
    pub kind: ChannelKind,
    /// A private channel.
    pub private: bool,
    /// For a private channel: the actor is one of its explicit members.
    pub private_member: bool,
    /// The channel is muted-all.
    pub mute_all: bool,
    /// The overrides in force (the category's when the channel follows it).
    pub overrides: &'a [Override],
}

fn everyone_flags(groups: &[Group]) -> Permissions {
    groups
        .iter()
        .find(|g| g.group_id.is_everyone())
        .map_or(Permissions::EVERYONE_DEFAULT, |g| g.permissions)
}

/// Steps 1–2 without the silences: the owner, an admin or a holder of `administrator`
/// get everything; others the flags of `@everyone` and of their groups. It depends on the
/// groups and the membership only, so a client may compute it once and keep it until
/// either changes.
pub fn base_permissions(actor: &Actor<'_>, groups: &[Group]) -> Permissions {
    if actor.is_owner || actor.role >= Role::Admin {
        return Permissions::ALL;
    }
    let mut base = everyone_flags(groups);
    for group in groups {
        if actor.groups.contains(&group.group_id) {
            base = base.union(group.permissions);
        }
    }
    if base.contains(Permissions::ADMINISTRATOR) {
        return Permissions::ALL;
    }
    base
}

/// What `actor` may do in the community at large (no channel): the base, silenced.
pub fn community_permissions(actor: &Actor<'_>, community: &CommunityScope<'_>) -> Permissions {
    let base = base_permissions(actor, community.groups);
    silenced(actor, community, false, base)
}

/// What `actor` may do in one channel (steps 1–5).
pub fn channel_permissions(
    actor: &Actor<'_>,
    community: &CommunityScope<'_>,
    channel: &ChannelScope<'_>,
) -> Permissions {
    let base = base_permissions(actor, community.groups);
    channel_permissions_from(actor, base, community, channel)
}

/// Steps 3–5 from a base computed before ([`base_permissions`] of the same actor and
/// groups): what a client uses to answer for many channels at once.
pub fn channel_permissions_from(
    actor: &Actor<'_>,
    base: Permissions,
    community: &CommunityScope<'_>,
    channel: &ChannelScope<'_>,
) -> Permissions {
    if actor.is_owner {
        return Permissions::ALL;
    }
    if base == Permissions::ALL {
        return silenced(actor, community, channel.mute_all, base);
    }
    let mut flags = base;
    // `@everyone` step, with the private and announcement presets.
    let (mut allow, mut deny) = (Permissions::NONE, Permissions::NONE);
    if channel.private {
        deny = deny.union(Permissions::VIEW_CHANNEL);
    }
    if channel.kind == ChannelKind::Announcement {
        deny = deny.union(Permissions::SEND_MESSAGES);
    }
    for o in channel.overrides {
        if matches!(&o.target, OverrideTarget::Group { group_id } if group_id.is_everyone()) {
            allow = allow.union(o.allow);
            deny = deny.union(o.deny);
        }
    }
    flags = flags.overridden(allow, deny);
    // The member's groups, combined.
    let (mut allow, mut deny) = (Permissions::NONE, Permissions::NONE);
    for o in channel.overrides {
        if let OverrideTarget::Group { group_id } = &o.target
            && !group_id.is_everyone()
            && actor.groups.contains(group_id)
        {
            allow = allow.union(o.allow);
            deny = deny.union(o.deny);
        }
    }
    flags = flags.overridden(allow, deny);
    // The member, with the private channel's membership.
    let (mut allow, mut deny) = (Permissions::NONE, Permissions::NONE);
    if channel.private && channel.private_member {
        allow = allow.union(Permissions::VIEW_CHANNEL);
    }
    for o in channel.overrides {
        if matches!(&o.target, OverrideTarget::Member { user_id } if user_id == actor.user_id) {
            allow = allow.union(o.allow);
            deny = deny.union(o.deny);
        }
    }
    flags = flags.overridden(allow, deny);
    if !flags.contains(Permissions::VIEW_CHANNEL) {
        return Permissions::NONE;
    }
    silenced(actor, community, channel.mute_all, flags)
}

/// Step 5: the speaking flags go for a muted member (not the owner) and, in a muted-all
/// community or channel, for everyone without `mute_members`.
fn silenced(
    actor: &Actor<'_>,
    community: &CommunityScope<'_>,
    channel_mute_all: bool,
    flags: Permissions,
) -> Permissions {
    if actor.is_owner {
        return flags;
    }
    let muted = actor
        .muted_until_ms
        .is_some_and(|until| until > community.now_ms);
    let silenced_all =
        (community.mute_all || channel_mute_all) && !flags.contains(Permissions::MUTE_MEMBERS);
    if muted || silenced_all {
        flags.without(Permissions::SPEAK)
    } else {
        flags
    }
}

/// Checks that `actor` holds `needed` (in `channel`, or in the community at large), with
/// the error the protocol names for each reason: `not_channel_member` (4008) without
/// view of a private channel, `channel_not_found` (3001) without view of another,
/// `muted` (4004), `mute_all` (4005), `announcement_read_only` (4009) for the speaking
/// flags taken by those, `permission_denied` (4000) naming the missing flags otherwise.
pub fn require(
    actor: &Actor<'_>,
    community: &CommunityScope<'_>,
    channel: Option<&ChannelScope<'_>>,
    needed: Permissions,
) -> Result<(), ApiError> {
    let held = match channel {
        Some(channel) => channel_permissions(actor, community, channel),
        None => community_permissions(actor, community),
    };
    if held.contains(needed) {
        return Ok(());
    }
    let missing = needed.without(held);
    if let Some(channel) = channel
        && held.is_empty()
        && !needed.is_empty()
    {
        return Err(if channel.private {
            ApiError::new(
                ErrorCode::NOT_CHANNEL_MEMBER,
                "the channel is private and you are not in it",
            )
        } else {
            ApiError::new(ErrorCode::CHANNEL_NOT_FOUND, "no such channel")
        });
    }
    if !missing.intersection(Permissions::SPEAK).is_empty() {
        // Would the flags be there without the silences?
        let unmuted = Actor {
            muted_until_ms: None,
            ..actor.clone()
        };
        let open = CommunityScope {
            mute_all: false,
            ..*community
        };
        let held_unmuted = match channel {
            Some(channel) => channel_permissions(
                &unmuted,
                &open,
                &ChannelScope {
                    mute_all: false,
                    ..*channel
                },
            ),
            None => community_permissions(&unmuted, &open),
        };
        if held_unmuted.contains(needed) {
            let muted = actor
                .muted_until_ms
                .is_some_and(|until| until > community.now_ms);
            return Err(if muted {
                ApiError::new(ErrorCode::MUTED, "you are muted in this community")
            } else {
                ApiError::new(
                    ErrorCode::MUTE_ALL,
                    "muted for everyone: only moderators may speak",
                )
            });
        }
        if let Some(channel) = channel
            && channel.kind == ChannelKind::Announcement
            && missing.contains(Permissions::SEND_MESSAGES)
        {
            let plain = ChannelScope {
                kind: ChannelKind::Text,
                ..*channel
            };
            if channel_permissions(actor, community, &plain).contains(needed) {
                return Err(ApiError::new(
                    ErrorCode::ANNOUNCEMENT_READ_ONLY,
                    "only members allowed to post may post in an announcement channel",
                ));
            }
        }
    }
    Err(ApiError::new(
        ErrorCode::PERMISSION_DENIED,
        format!("missing permission: {}", missing.names().join(", ")),
    ))
}

/// A member's rank: the owner above all, then the `admin` role, then the position of
/// their highest group (`@everyone` is 0).
pub fn rank(actor: &Actor<'_>, groups: &[Group]) -> i64 {
    if actor.is_owner {
        return i64::MAX;
    }
    if actor.role >= Role::Admin {
        return i64::MAX - 1;
    }
    groups
        .iter()
        .filter(|g| actor.groups.contains(&g.group_id))
        .map(|g| g.position)
        .max()
        .unwrap_or(0)
        .max(0)
}

/// Checks that `actor` may act on `target` (kick, ban, mute, assign groups, change
/// fields): nobody acts on the owner (4002), an admin not on another admin (4003), and
/// otherwise the actor must rank above the target (4014).
pub fn may_act_on(actor: &Actor<'_>, target: &Actor<'_>, groups: &[Group]) -> Result<(), ApiError> {
    if target.is_owner {
        return Err(ApiError::new(
            ErrorCode::CANNOT_ACT_ON_OWNER,
            "nobody may act on the owner",
        ));
    }
    if actor.is_owner {
        return Ok(());
    }
    if target.role >= Role::Admin {
        return Err(ApiError::new(
            ErrorCode::CANNOT_ACT_ON_ADMIN,
            "only the owner may act on an admin",
        ));
    }
    if rank(actor, groups) <= rank(target, groups) {
        return Err(ApiError::new(
            ErrorCode::CANNOT_ACT_ON_HIGHER,
            "you may only act on members whose highest group is below yours",
        ));
    }
    Ok(())
}

/// Checks that `actor` may manage `group` (change, delete, assign, unassign): only a
/// group below the actor's rank, and never `@everyone` for deletion (checked by the
/// caller).
pub fn may_manage_group(
    actor: &Actor<'_>,
    group: &Group,
    groups: &[Group],
) -> Result<(), ApiError> {
    if actor.is_owner || actor.role >= Role::Admin {
        return Ok(());
    }
    if group.position >= rank(actor, groups) {
        return Err(ApiError::new(
            ErrorCode::CANNOT_ACT_ON_HIGHER,
            "you may only manage groups below your highest group",
        ));
    }
    Ok(())
}

/// Where an operation's permission is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// In the community at large ([`community_permissions`]).
    Community,
    /// In the channel named by the request ([`channel_permissions`]).
    Channel,
}

/// What each operation needs, for the operations that need a permission (the others are
/// open to every member, or owner-only: `dismiss_community`, `transfer_ownership`,
/// `set_member_role`). Server and SDK check the same table; some operations add a
/// condition on their content, listed in `docs/PROTOCOL.md` §14: `send_message` with
/// media needs `attach_media`, with `@everyone` or a group that is not mentionable
/// `mention_everyone`; `recall_message` of another's message needs `manage_messages`;
/// acting on a member or group also needs to rank above it ([`may_act_on`],
/// [`may_manage_group`]); `invite_members` needs `kick_members` unless the community is
/// free to join; `set_member_fields` on oneself needs nothing; `update_thread` needs
/// `manage_threads` except for its creator renaming or (un)archiving it; an operation
/// addressed to a thread is checked in its channel ([`in_thread`]).
pub const OPERATION_PERMISSIONS: &[(&str, Scope, Permissions)] = &[
    ("send_message", Scope::Channel, Permissions::SEND_MESSAGES),
    ("edit_message", Scope::Channel, Permissions::SEND_MESSAGES),
    ("get_messages", Scope::Channel, Permissions::READ_HISTORY),
    ("get_changes", Scope::Channel, Permissions::READ_HISTORY),
    ("list_pins", Scope::Channel, Permissions::READ_HISTORY),
    ("mark_read", Scope::Channel, Permissions::VIEW_CHANNEL),
    ("hide_message", Scope::Channel, Permissions::VIEW_CHANNEL),
    (
        "set_channel_notification",
        Scope::Channel,
        Permissions::VIEW_CHANNEL,
    ),
    ("recall_message", Scope::Channel, Permissions::VIEW_CHANNEL),
    ("add_reaction", Scope::Channel, Permissions::ADD_REACTIONS),
    ("remove_reaction", Scope::Channel, Permissions::VIEW_CHANNEL),
    ("pin_message", Scope::Channel, Permissions::MANAGE_MESSAGES),
    (
        "unpin_message",
        Scope::Channel,
        Permissions::MANAGE_MESSAGES,
    ),
    (
        "update_channel",
        Scope::Channel,
        Permissions::MANAGE_CHANNELS,
    ),
    (
        "delete_channel",
        Scope::Channel,
        Permissions::MANAGE_CHANNELS,
    ),
    (
        "add_channel_members",
        Scope::Channel,
        Permissions::MANAGE_CHANNELS,
    ),
    (
        "remove_channel_members",
        Scope::Channel,
        Permissions::MANAGE_CHANNELS,
    ),
    (
        "list_channel_members",
        Scope::Channel,
        Permissions::VIEW_CHANNEL,
    ),
    (
        "set_channel_override",
        Scope::Channel,
        Permissions::MANAGE_CHANNELS,
    ),
    (
        "create_channel",
        Scope::Community,
        Permissions::MANAGE_CHANNELS,
    ),
    (
        "create_category",
        Scope::Community,
        Permissions::MANAGE_CHANNELS,
    ),
    (
        "update_category",
        Scope::Community,
        Permissions::MANAGE_CHANNELS,
    ),
    (
        "delete_category",
        Scope::Community,
        Permissions::MANAGE_CHANNELS,
    ),
    (
        "set_category_override",
        Scope::Community,
        Permissions::MANAGE_CHANNELS,
    ),
    (
        "update_community",
        Scope::Community,
        Permissions::MANAGE_COMMUNITY,
    ),
    (
        "set_attributes",
        Scope::Community,
        Permissions::MANAGE_COMMUNITY,
    ),
    (
        "delete_attributes",
        Scope::Community,
        Permissions::MANAGE_COMMUNITY,
    ),
    ("set_mute_all", Scope::Community, Permissions::MUTE_MEMBERS),
    ("mute_member", Scope::Community, Permissions::MUTE_MEMBERS),
    ("kick_member", Scope::Community, Permissions::KICK_MEMBERS),
    (
        "list_join_requests",
        Scope::Community,
        Permissions::KICK_MEMBERS,
    ),
    (
        "decide_join_request",
        Scope::Community,
        Permissions::KICK_MEMBERS,
    ),
    ("ban_member", Scope::Community, Permissions::BAN_MEMBERS),
    ("unban_member", Scope::Community, Permissions::BAN_MEMBERS),
    ("list_bans", Scope::Community, Permissions::BAN_MEMBERS),
    ("create_group", Scope::Community, Permissions::MANAGE_ROLES),
    ("update_group", Scope::Community, Permissions::MANAGE_ROLES),
    ("delete_group", Scope::Community, Permissions::MANAGE_ROLES),
    (
        "reorder_groups",
        Scope::Community,
        Permissions::MANAGE_ROLES,
    ),
    ("assign_group", Scope::Community, Permissions::MANAGE_ROLES),
    (
        "unassign_group",
        Scope::Community,
        Permissions::MANAGE_ROLES,
    ),
    (
        "set_member_fields",
        Scope::Community,
        Permissions::MANAGE_ROLES,
    ),
    // Threads: checked in their channel.
    ("create_thread", Scope::Channel, Permissions::CREATE_THREADS),
    ("delete_thread", Scope::Channel, Permissions::MANAGE_THREADS),
    ("get_thread", Scope::Channel, Permissions::VIEW_CHANNEL),
    ("join_thread", Scope::Channel, Permissions::VIEW_CHANNEL),
    ("list_threads", Scope::Channel, Permissions::VIEW_CHANNEL),
    // People.
    ("typing", Scope::Channel, Permissions::SEND_MESSAGES),
    ("join_voice", Scope::Channel, Permissions::VIEW_CHANNEL),
    ("list_voice", Scope::Channel, Permissions::VIEW_CHANNEL),
];

/// What an operation addressed to a thread (its id in `channel_id`) needs: the same as in
/// a channel, checked in the thread's channel, with `send_in_threads` in place of
/// `send_messages`. A locked thread also needs `manage_threads` to post, an archived one
/// refuses posts (`thread_archived`).
pub fn in_thread(needed: Permissions) -> Permissions {
    if needed.contains(Permissions::SEND_MESSAGES) {
        needed
            .without(Permissions::SEND_MESSAGES)
            .union(Permissions::SEND_IN_THREADS)
    } else {
        needed
    }
}

/// What `op` needs (see [`OPERATION_PERMISSIONS`]); `None` when it needs no flag.
pub fn operation_permission(op: &str) -> Option<(Scope, Permissions)> {
    OPERATION_PERMISSIONS
        .iter()
        .find(|(name, _, _)| *name == op)
        .map(|(_, scope, flags)| (*scope, *flags))
}

#[cfg(test)]
mod tests;
