//! The permission flags as C constants: bit `n` of a permission set (`uint64_t`, as the
//! JSON records carry `permissions`, `allow` and `deny`, and as
//! `csdk_channel_permissions` writes it). The same bits as the protocol's table; tests
//! keep them, and the table of `docs/BINDINGS.md`, equal to it.

/// See the channel (and its unread counts).
pub const CSDK_PERMISSION_VIEW_CHANNEL: u64 = 0x1;
/// Read the channel's history.
pub const CSDK_PERMISSION_READ_HISTORY: u64 = 0x2;
/// Send messages in the channel.
pub const CSDK_PERMISSION_SEND_MESSAGES: u64 = 0x4;
/// Send messages in the channel's threads.
pub const CSDK_PERMISSION_SEND_IN_THREADS: u64 = 0x8;
/// Start threads.
pub const CSDK_PERMISSION_CREATE_THREADS: u64 = 0x10;
/// React to messages.
pub const CSDK_PERMISSION_ADD_REACTIONS: u64 = 0x20;
/// Send image, file, audio and video messages.
pub const CSDK_PERMISSION_ATTACH_MEDIA: u64 = 0x40;
/// Mention `@everyone` and groups that are not mentionable.
pub const CSDK_PERMISSION_MENTION_EVERYONE: u64 = 0x80;
/// Recall others' messages, pin and unpin.
pub const CSDK_PERMISSION_MANAGE_MESSAGES: u64 = 0x100;
/// Manage threads.
pub const CSDK_PERMISSION_MANAGE_THREADS: u64 = 0x200;
/// Create, change and delete channels and categories, and their overrides.
pub const CSDK_PERMISSION_MANAGE_CHANNELS: u64 = 0x400;
/// Create, change, delete and assign groups below one's own; set member fields.
pub const CSDK_PERMISSION_MANAGE_ROLES: u64 = 0x800;
/// Kick members below one's own rank; decide join requests.
pub const CSDK_PERMISSION_KICK_MEMBERS: u64 = 0x1000;
/// Ban and unban members below one's own rank.
pub const CSDK_PERMISSION_BAN_MEMBERS: u64 = 0x2000;
/// Mute members below one's own rank; mute a whole channel or community.
pub const CSDK_PERMISSION_MUTE_MEMBERS: u64 = 0x4000;
/// Change the community's info, attributes and settings.
pub const CSDK_PERMISSION_MANAGE_COMMUNITY: u64 = 0x8000;
/// Everything (bypasses every override).
pub const CSDK_PERMISSION_ADMINISTRATOR: u64 = 0x10000;

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use community_protocol::Permissions;

    /// The `#define CSDK_PERMISSION_<NAME> <bits>` lines of the checked-in header.
    fn header_flags() -> BTreeMap<String, u64> {
        let header = include_str!("../../../include/community_sdk.h");
        header
            .lines()
            .filter_map(|line| line.strip_prefix("#define CSDK_PERMISSION_"))
            .map(|rest| {
                let mut parts = rest.split_whitespace();
                let name = parts.next().unwrap().to_lowercase();
                let value: u64 = parts.next().unwrap().parse().unwrap();
                (name, value)
            })
            .collect()
    }

    #[test]
    fn the_c_header_names_every_flag_with_its_bit() {
        let expected: BTreeMap<String, u64> = Permissions::NAMED
            .iter()
            .map(|(name, bits)| (name.to_string(), bits.0))
            .collect();
        assert_eq!(header_flags(), expected);
    }

    #[test]
    fn the_bindings_docs_table_every_flag_with_its_bit() {
        let docs = include_str!("../../../docs/BINDINGS.md");
        for (bit, (name, flag)) in Permissions::NAMED.iter().enumerate() {
            let row = format!("| {bit} ({}) | {name}", flag.0);
            assert!(docs.contains(&row), "docs/BINDINGS.md lacks `{row}`");
        }
    }
}
