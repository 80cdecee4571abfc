//! The permission flags by name for Kotlin, Swift and Python: [`PermissionFlag`], an enum
//! whose value is the flag's bit (`PermissionFlag.MANAGE_MESSAGES.value` in Kotlin,
//! `.manageMessages.rawValue` in Swift, `.MANAGE_MESSAGES.value` in Python), and two
//! helpers between a bit set (`u64`, as the records carry permissions) and a list of
//! flags. C gets the same bits as `CSDK_PERMISSION_*` constants (`capi/permissions.rs`).
//! A test keeps both equal to the protocol's table (`Permissions::NAMED`).

use community_protocol::Permissions;

/// One permission flag; its value is its bit in a permission set (bit `n` = `1 << n`).
/// Bits a newer server adds are kept in the `u64` sets, unnamed here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
#[repr(u64)]
pub enum PermissionFlag {
    /// See the channel (and its unread counts).
    ViewChannel = 1,
    /// Read the channel's history.
    ReadHistory = 2,
    /// Send messages in the channel.
    SendMessages = 4,
    /// Send messages in the channel's threads.
    SendInThreads = 8,
    /// Start threads.
    CreateThreads = 16,
    /// React to messages.
    AddReactions = 32,
    /// Send image, file, audio and video messages.
    AttachMedia = 64,
    /// Mention `@everyone` and groups that are not mentionable.
    MentionEveryone = 128,
    /// Recall others' messages, pin and unpin.
    ManageMessages = 256,
    /// Manage threads.
    ManageThreads = 512,
    /// Create, change and delete channels and categories, and their overrides.
    ManageChannels = 1_024,
    /// Create, change, delete and assign groups below one's own; set member fields.
    ManageRoles = 2_048,
    /// Kick members below one's own rank; decide join requests.
    KickMembers = 4_096,
    /// Ban and unban members below one's own rank.
    BanMembers = 8_192,
    /// Mute members below one's own rank; mute a whole channel or community.
    MuteMembers = 16_384,
    /// Change the community's info, attributes and settings.
    ManageCommunity = 32_768,
    /// Everything (bypasses every override).
    Administrator = 65_536,
}

impl PermissionFlag {
    /// Every flag, in bit order.
    pub const ALL: [PermissionFlag; 17] = [
        PermissionFlag::ViewChannel,
        PermissionFlag::ReadHistory,
        PermissionFlag::SendMessages,
        PermissionFlag::SendInThreads,
        PermissionFlag::CreateThreads,
        PermissionFlag::AddReactions,
        PermissionFlag::AttachMedia,
        PermissionFlag::MentionEveryone,
        PermissionFlag::ManageMessages,
        PermissionFlag::ManageThreads,
        PermissionFlag::ManageChannels,
        PermissionFlag::ManageRoles,
        PermissionFlag::KickMembers,
        PermissionFlag::BanMembers,
        PermissionFlag::MuteMembers,
        PermissionFlag::ManageCommunity,
        PermissionFlag::Administrator,
    ];

    /// The flag's bit.
    pub fn bit(self) -> u64 {
        self as u64
    }
}

/// The named flags set in `permissions`, in bit order (unknown bits are left out).
#[uniffi::export]
pub fn permission_flags(permissions: u64) -> Vec<PermissionFlag> {
    PermissionFlag::ALL
        .into_iter()
        .filter(|flag| permissions & flag.bit() != 0)
        .collect()
}

/// The bit set of `flags` (for `NewGroup.permissions`, `Override.allow` / `deny`).
#[uniffi::export]
pub fn permissions_of(flags: Vec<PermissionFlag>) -> u64 {
    flags.into_iter().fold(0, |set, flag| set | flag.bit())
}

/// The snake_case names of the known flags set in `permissions` (`"manage_messages"`), in
/// bit order: the names of `docs/PROTOCOL.md`, for display and logs.
#[uniffi::export]
pub fn permission_names(permissions: u64) -> Vec<String> {
    Permissions(permissions)
        .names()
        .into_iter()
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flag_has_the_protocols_bit_in_the_protocols_order() {
        assert_eq!(PermissionFlag::ALL.len(), Permissions::NAMED.len());
        for (flag, (name, bits)) in PermissionFlag::ALL.iter().zip(Permissions::NAMED) {
            assert_eq!(flag.bit(), bits.0, "{name}");
            assert_eq!(permission_names(flag.bit()), vec![name.to_string()]);
        }
        assert_eq!(
            permissions_of(PermissionFlag::ALL.to_vec()),
            Permissions::ALL.0
        );
        let set = Permissions::MANAGE_MESSAGES
            .union(Permissions::KICK_MEMBERS)
            .0
            | 1 << 40;
        assert_eq!(
            permission_flags(set),
            vec![PermissionFlag::ManageMessages, PermissionFlag::KickMembers]
        );
    }
}
