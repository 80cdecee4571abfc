//! The headless run's check of roles and permissions, as the demo user sees them: in the
//! Book Club (run by a bot) the read-only `#rules` lacks `send_messages` in the user's
//! cached permissions, `check_operation` and a real send are both refused by the SDK
//! before anything leaves, with the server's code (`permission_denied`, 4000); the rules
//! there are pinned by a moderator bot (a holder of the "mods" group, which manages
//! messages, mutes and kicks); and the user's role reads `owner` in the Pixel Guild and
//! `member · @readers` in the Book Club.

use community_sdk::protocol::{Permissions, UserId};
use community_sdk::{Client, MembersQuery};

use crate::roles::{self, MODS, MODS_FLAGS};
use crate::seed::SeededCommunity;

/// What the demo user saw of roles and permissions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RolesCheck {
    /// The read-only channel, e.g. `Book Club #rules` (empty when none was seeded).
    pub channel: String,
    /// The user may view the channel.
    pub may_view: bool,
    /// The user's cached permissions there hold `send_messages`.
    pub may_send: bool,
    /// `check_operation("send_message")` there: the refusal's code (none: allowed).
    pub check_refused: Option<u32>,
    /// A send there: the refusal's code and name (none: it was accepted).
    pub send_refused: Option<(u32, String)>,
    /// Who pinned the channel's pinned messages.
    pub pinned_by: Vec<UserId>,
    /// The members holding the "mods" group, and whether it has the moderator flags.
    pub moderators: Vec<UserId>,
    /// The group exists with manage messages, mute and kick.
    pub mods_flags_ok: bool,
    /// Whether a bot was there to be made moderator (two bots or more).
    pub expect_moderator: bool,
    /// The user's role in each seeded community: (community name, label).
    pub roles: Vec<(String, String)>,
    /// Calls that failed on the way.
    pub errors: Vec<String>,
}

impl RolesCheck {
    /// Looks at the seeded communities as the demo user of `client`; `bots` bots ran.
    pub async fn run(client: &Client, communities: &[SeededCommunity], bots: usize) -> Self {
        let mut check = RolesCheck {
            expect_moderator: bots >= 2,
            ..RolesCheck::default()
        };
        for seeded in communities {
            let community = client.community(&seeded.community_id);
            if let Some(entry) = community.entry() {
                check.roles.push((
                    seeded.name.clone(),
                    roles::role_label(&entry, &community.groups()),
                ));
            }
        }
        let Some((seeded, rules)) = communities
            .iter()
            .find_map(|c| c.channels.iter().find(|ch| ch.read_only).map(|ch| (c, ch)))
        else {
            return check;
        };
        check.channel = format!("{} #{}", seeded.name, rules.name);
        let community = client.community(&seeded.community_id);
        let channel = community.channel(&rules.channel_id);
        let flags = channel.permissions().unwrap_or_default();
        check.may_view = flags.contains(Permissions::VIEW_CHANNEL);
        check.may_send = flags.contains(Permissions::SEND_MESSAGES);
        check.check_refused = channel
            .check_operation("send_message")
            .err()
            .map(|e| e.code());
        check.send_refused = match channel.send_text("may I post the rules?").await {
            Ok(_) => None,
            Err(error) => Some((error.code(), error.name().to_string())),
        };
        match channel.pins().await {
            Ok(pins) => {
                check.pinned_by = pins
                    .iter()
                    .filter_map(|m| m.pinned.as_ref().map(|p| p.by.clone()))
                    .collect();
            }
            Err(error) => check.errors.push(format!("pins: {error}")),
        }
        let mods = community.groups().into_iter().find(|g| g.name == MODS);
        check.mods_flags_ok = mods
            .as_ref()
            .is_some_and(|g| g.permissions.contains(MODS_FLAGS));
        if let Some(mods) = mods {
            let query = MembersQuery {
                group_id: Some(mods.group_id),
                ..MembersQuery::default()
            };
            match community.find_members(query).await {
                Ok(page) => {
                    check.moderators = page.page.items.into_iter().map(|m| m.user_id).collect();
                }
                Err(error) => check.errors.push(format!("members of @mods: {error}")),
            }
        }
        check
    }

    /// The summary line.
    pub fn line(&self) -> String {
        if self.channel.is_empty() {
            return "roles: no read-only channel was seeded".into();
        }
        let send = match &self.send_refused {
            Some((code, name)) => format!("send refused: {name} {code}"),
            None => "send ACCEPTED".into(),
        };
        let checked = self
            .check_refused
            .map_or_else(|| "allowed".to_string(), |code| code.to_string());
        let names = |users: &[UserId]| {
            if users.is_empty() {
                "nobody".to_string()
            } else {
                users
                    .iter()
                    .map(UserId::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        let roles: Vec<String> = self
            .roles
            .iter()
            .map(|(community, role)| format!("{role} in {community}"))
            .collect();
        format!(
            "roles: {} read-only for the demo user ({send}, check_operation: {checked}); pinned by {}; @mods held by {}; the demo user is {}",
            self.channel,
            names(&self.pinned_by),
            names(&self.moderators),
            roles.join(", ")
        )
    }

    /// Every way what the user saw differs from the roles the demo set up.
    pub fn problems(&self) -> Vec<String> {
        let mut out = self.errors.clone();
        if self.channel.is_empty() {
            out.push("no read-only channel was seeded".into());
            return out;
        }
        let denied = u32::from(community_sdk::protocol::ErrorCode::PERMISSION_DENIED.0);
        if !self.may_view || self.may_send {
            out.push(format!(
                "{}: the demo user's permissions should view but not send (view {}, send {})",
                self.channel, self.may_view, self.may_send
            ));
        }
        if self.check_refused != Some(denied) {
            out.push(format!(
                "{}: check_operation(send_message) gave {:?}, expected {denied}",
                self.channel, self.check_refused
            ));
        }
        if self.send_refused.as_ref().map(|(code, _)| *code) != Some(denied) {
            out.push(format!(
                "{}: the demo user's send gave {:?}, expected {denied}",
                self.channel, self.send_refused
            ));
        }
        if !self.mods_flags_ok {
            out.push("the @mods group is missing or lacks manage messages, mute or kick".into());
        }
        if self.expect_moderator {
            if self.moderators.is_empty() {
                out.push("nobody holds @mods".into());
            }
            if !self.pinned_by.iter().any(|by| self.moderators.contains(by)) {
                out.push(format!(
                    "{}: no pin by a moderator (pinned by {:?})",
                    self.channel, self.pinned_by
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen() -> RolesCheck {
        RolesCheck {
            channel: "Book Club #rules".into(),
            may_view: true,
            may_send: false,
            check_refused: Some(4000),
            send_refused: Some((4000, "permission_denied".into())),
            pinned_by: vec!["rook".into()],
            moderators: vec!["rook".into()],
            mods_flags_ok: true,
            expect_moderator: true,
            roles: vec![
                ("Pixel Guild".into(), "owner".into()),
                ("Book Club".into(), "member · @readers".into()),
            ],
            errors: Vec::new(),
        }
    }

    #[test]
    fn a_refused_send_and_a_moderators_pin_pass() {
        let check = seen();
        assert!(check.problems().is_empty(), "{:?}", check.problems());
        assert_eq!(
            check.line(),
            "roles: Book Club #rules read-only for the demo user (send refused: permission_denied 4000, check_operation: 4000); pinned by rook; @mods held by rook; the demo user is owner in Pixel Guild, member · @readers in Book Club"
        );
    }

    #[test]
    fn an_accepted_send_or_a_missing_pin_is_a_problem() {
        let mut check = seen();
        check.send_refused = None;
        check.may_send = true;
        check.pinned_by.clear();
        assert_eq!(check.problems().len(), 3, "{:?}", check.problems());
        check.expect_moderator = false;
        assert_eq!(check.problems().len(), 2, "one bot: no moderator expected");
    }
}
