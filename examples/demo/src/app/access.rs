//! What the user may do where they are, as the UI shows it: their role in each community
//! and their access to the open channel, both read from the SDK's cache by the event loop
//! after each batch of events (see [`crate::roles`]). Where the user may not post, the
//! input line is greyed out and typing is refused before anything is sent; where they may
//! not pin, `p` says so instead of asking the server.

use std::collections::HashMap;

use community_sdk::protocol::CommunityId;

use super::{App, ChannelKey};
use crate::roles::Access;

impl App {
    /// The user's role label in each community (`owner`, `member · @readers`).
    pub fn set_roles(&mut self, roles: HashMap<CommunityId, String>) {
        self.roles = roles;
    }

    /// The user's access to channel `key` (kept only while it is the open one).
    pub fn set_access(&mut self, key: &ChannelKey, access: Option<Access>) {
        self.access = match access {
            Some(access) if self.open_key() == Some(key) => Some((key.clone(), access)),
            _ => None,
        };
    }

    /// The user's access to the open channel, when known.
    pub fn open_access(&self) -> Option<&Access> {
        match (&self.access, self.open_key()) {
            (Some((key, access)), Some(open)) if key == open => Some(access),
            _ => None,
        }
    }

    /// Why the user may not post in the open channel (none: they may, or it is not known
    /// yet and the SDK will tell).
    pub fn send_refused(&self) -> Option<&str> {
        self.open_access()?.send_refused.as_deref()
    }

    /// The user's role in the selected community.
    pub fn role(&self) -> Option<&str> {
        let community = self.community()?;
        self.roles
            .get(&community.info.community_id)
            .map(String::as_str)
    }

    /// When the user may not post in the open channel: says why and returns true.
    pub(super) fn refuse_typing(&mut self) -> bool {
        let Some(reason) = self.send_refused() else {
            return false;
        };
        let name = self.open_entry().map_or_else(
            || "this channel".to_string(),
            |e| format!("#{}", e.info.name),
        );
        self.notice = Some(format!("you may not post in {name}: {reason}"));
        true
    }

    /// When the user may not pin in the open channel: says why and returns true.
    pub(super) fn refuse_pinning(&mut self) -> bool {
        if self.open_access().is_none_or(|access| access.may_pin()) {
            return false;
        }
        self.notice = Some("pinning here needs manage_messages (a moderator's flag)".into());
        true
    }
}
