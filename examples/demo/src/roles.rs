//! Roles and permissions in the demo, set up through the SDK as an app's admin screens
//! would: the Book Club's read-only `#rules` (an override denies `send_messages` to
//! `@everyone`), its "mods" group (manage messages, mute and kick members) given to a
//! bot, who pins the rules, and a "readers" group for the demo user. Also what the UI shows
//! of them, read from the SDK's cache: the user's role in a community ([`role_label`]) and
//! what they may do in the open channel ([`Access`]), so the input line is greyed out
//! where the server would refuse a message.

use community_sdk::protocol::{
    Group, GroupId, Override, OverrideTarget, Permissions, Role, Seq, UserId,
};
use community_sdk::{ChannelHandle, Client, CommunityEntry, CommunityHandle, NewGroup, SdkError};

use crate::error::DemoError;
use crate::ledger::Ledger;
use crate::seed::SeededCommunity;

/// The moderator group's name.
pub const MODS: &str = "mods";
/// What moderators may do beyond `@everyone`.
pub const MODS_FLAGS: Permissions = Permissions(
    Permissions::MANAGE_MESSAGES.0 | Permissions::MUTE_MEMBERS.0 | Permissions::KICK_MEMBERS.0,
);
/// The group the demo user gets in the Book Club (a mentionable label, no extra flags).
pub const READERS: &str = "readers";
/// What the club's owner posts in the read-only channel (and the moderator pins).
pub const RULES_TEXT: &str =
    "Club rules: be kind, warn before spoilers, one book a month. Only the staff posts here.";

/// Makes `channel` read-only for `@everyone`: an override denies `send_messages` (the
/// owner, admins and a group allowed back may still post).
pub async fn make_read_only(channel: &ChannelHandle) -> Result<(), DemoError> {
    let rule = Override {
        target: OverrideTarget::Group {
            group_id: GroupId::everyone(),
        },
        allow: Permissions::NONE,
        deny: Permissions::SEND_MESSAGES,
    };
    channel
        .set_override(rule)
        .await
        .map(drop)
        .map_err(DemoError::sdk(format!("make #{} read-only", channel.id())))
}

/// Creates the club's groups: "mods", then "readers" (mentionable, no extra flags); a new
/// group starts at the bottom, so the moderators rank above the readers.
pub async fn create_groups(community: &CommunityHandle) -> Result<(), DemoError> {
    for (name, permissions, mentionable) in [
        (MODS, MODS_FLAGS, false),
        (READERS, Permissions::NONE, true),
    ] {
        community
            .create_group(NewGroup {
                name: name.to_string(),
                color: 0,
                mentionable,
                permissions,
            })
            .await
            .map_err(DemoError::sdk(format!("create the {name} group")))?;
    }
    Ok(())
}

/// The id of the group named `name` in the cached groups of `community`.
pub fn group_id(community: &CommunityHandle, name: &str) -> Option<GroupId> {
    community
        .groups()
        .into_iter()
        .find(|g| g.name == name)
        .map(|g| g.group_id)
}

/// Staffs the club once everyone joined: its owner gives `reader` the readers group,
/// posts the rules in the read-only channel (recorded in the `ledger`: the demo user has
/// not read it) and gives `moderator` the mods group; the moderator pins the rules.
/// Returns the rules' sequence (none without a read-only channel).
pub async fn staff(
    owner: &Client,
    club: &SeededCommunity,
    moderator: Option<(&UserId, &Client)>,
    reader: &UserId,
    ledger: &Ledger,
) -> Result<Option<Seq>, DemoError> {
    let community = owner.community(&club.community_id);
    if let Some(readers) = group_id(&community, READERS) {
        community
            .assign_group(reader.clone(), readers)
            .await
            .map_err(DemoError::sdk(format!("give {reader} the readers group")))?;
    }
    let Some(rules) = club.channels.iter().find(|c| c.read_only) else {
        return Ok(None);
    };
    let seq = community
        .channel(&rules.channel_id)
        .send_text(RULES_TEXT)
        .await
        .map_err(DemoError::sdk("post the club rules"))?
        .sent()
        .await
        .map_err(DemoError::sdk("post the club rules"))?;
    ledger.record_sent(&club.community_id, &rules.channel_id, false);
    let (Some((moderator_id, moderator)), Some(mods)) = (moderator, group_id(&community, MODS))
    else {
        return Ok(Some(seq));
    };
    community
        .assign_group(moderator_id.clone(), mods)
        .await
        .map_err(DemoError::sdk(format!(
            "give {moderator_id} the mods group"
        )))?;
    // The moderator's cache learns the group, then its pin passes the SDK's own check.
    let as_moderator = moderator.community(&club.community_id);
    as_moderator
        .refresh()
        .await
        .map_err(DemoError::sdk(format!("{moderator_id} refreshes the club")))?;
    let channel = as_moderator.channel(&rules.channel_id);
    let pin = channel
        .pin_message(seq)
        .await
        .map_err(DemoError::sdk(format!("{moderator_id} pins the rules")))?;
    channel
        .wait_for_change(&pin.key)
        .await
        .map_err(DemoError::sdk(format!("{moderator_id} pins the rules")))?;
    Ok(Some(seq))
}

/// The user's role in a community as the UI shows it: `owner`, `admin`, or `member`,
/// then the names of the groups they hold, highest first (`member · @readers`).
pub fn role_label(entry: &CommunityEntry, groups: &[Group]) -> String {
    let role = if entry.info.owner_id == entry.me.user_id {
        "owner"
    } else {
        match entry.me.role {
            Role::Owner => "owner",
            Role::Admin => "admin",
            _ => "member",
        }
    };
    let mut held: Vec<&Group> = groups
        .iter()
        .filter(|g| entry.me.groups.contains(&g.group_id))
        .collect();
    held.sort_by_key(|g| std::cmp::Reverse(g.position));
    let mut label = role.to_string();
    for group in held {
        label.push_str(" · @");
        label.push_str(&group.name);
    }
    label
}

/// What the user may do in one channel, from the SDK's cache (computed as the server
/// computes it, so what is refused here is refused there).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Access {
    /// The user's effective flags in the channel.
    pub flags: Permissions,
    /// Why the user may not post there (the SDK's refusal, e.g.
    /// `permission_denied (4000)`), if so.
    pub send_refused: Option<String>,
    /// An override denies `send_messages` to `@everyone`: a read-only channel.
    pub read_only: bool,
}

impl Access {
    /// Reads the user's access to `channel` from the cache (none when not cached).
    pub fn read(channel: &ChannelHandle) -> Option<Access> {
        let flags = channel.permissions()?;
        let send_refused = channel
            .check_operation("send_message")
            .err()
            .map(|error| refusal(&error));
        let read_only = channel.entry().is_some_and(|entry| {
            entry.info.overrides.iter().any(|o| {
                matches!(&o.target, OverrideTarget::Group { group_id } if group_id.is_everyone())
                    && o.deny.contains(Permissions::SEND_MESSAGES)
            })
        });
        Some(Access {
            flags,
            send_refused,
            read_only,
        })
    }

    /// The user may pin and unpin here.
    pub fn may_pin(&self) -> bool {
        self.flags.contains(Permissions::MANAGE_MESSAGES)
    }
}

/// A refusal as the UI shows it: its name and code.
pub fn refusal(error: &SdkError) -> String {
    format!("{} ({})", error.name(), error.code())
}

#[cfg(test)]
mod tests {
    use community_sdk::protocol::{CommunityInfo, JoinPolicy, MemberInfo, NotificationStatus};

    use super::*;

    fn entry(owner: &str, role: Role, groups: &[&str]) -> CommunityEntry {
        CommunityEntry {
            info: CommunityInfo {
                community_id: "c".into(),
                name: "Book Club".into(),
                avatar_url: String::new(),
                notice: String::new(),
                owner_id: owner.into(),
                join_policy: JoinPolicy::Free,
                mute_all: false,
                member_count: 3,
                attributes: Default::default(),
                default_channel_id: "general".into(),
                created_at_ms: 0,
                version: 1,
                system_messages: true,
            },
            me: MemberInfo {
                community_id: "c".into(),
                user_id: "demo".into(),
                role,
                nickname: String::new(),
                joined_at_ms: 0,
                muted_until_ms: None,
                groups: groups.iter().map(|g| GroupId::from(*g)).collect(),
                custom_fields: Default::default(),
            },
            notification: NotificationStatus::Notify,
        }
    }

    fn group(id: &str, name: &str, position: i64) -> Group {
        Group {
            community_id: "c".into(),
            group_id: id.into(),
            name: name.into(),
            color: 0,
            position,
            mentionable: true,
            permissions: Permissions::NONE,
        }
    }

    #[test]
    fn the_role_label_names_the_role_then_the_groups_highest_first() {
        let groups = [
            group("everyone", "@everyone", 0),
            group("g1", "readers", 1),
            group("g2", "mods", 2),
        ];
        assert_eq!(
            role_label(&entry("demo", Role::Owner, &[]), &groups),
            "owner"
        );
        assert_eq!(
            role_label(&entry("nova", Role::Member, &["g1"]), &groups),
            "member · @readers"
        );
        assert_eq!(
            role_label(&entry("nova", Role::Admin, &["g1", "g2"]), &groups),
            "admin · @mods · @readers"
        );
        assert_eq!(
            role_label(&entry("nova", Role::Member, &["gone"]), &groups),
            "member"
        );
    }

    #[test]
    fn moderators_manage_messages_mute_and_kick() {
        for flag in [
            Permissions::MANAGE_MESSAGES,
            Permissions::MUTE_MEMBERS,
            Permissions::KICK_MEMBERS,
        ] {
            assert!(MODS_FLAGS.contains(flag));
        }
        assert!(!MODS_FLAGS.contains(Permissions::BAN_MEMBERS));
        let access = Access {
            flags: Permissions::EVERYONE_DEFAULT.union(MODS_FLAGS),
            ..Access::default()
        };
        assert!(access.may_pin());
        assert!(!Access::default().may_pin());
    }
}
