//! The member list in the headless run: the demo user follows the guild's member list
//! from the start (as the UI's member pane does), applying each `Changed` to the pane's
//! window. After the bots stop, the demo user takes a nickname that sorts last, which
//! must arrive as operations that move it there; then the pane must show every member of the guild (the
//! server's member page) once, in the documented order (highest group first, online
//! before offline, then name), with section counts adding up to the total; its window,
//! built from the operations, must equal the SDK's snapshot; and it is drawn with section
//! headers and presence dots.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use community_sdk::protocol::{CommunityId, GroupId, UserId};
use community_sdk::{Client, MemberListSubscription, MemberListUpdate};
use tokio::time::Instant;

use crate::error::DemoError;
use crate::members::{MemberPane, order_problems};
use crate::people::DOTS;

/// How long the list may take to settle after the bots stop.
const SETTLE: Duration = Duration::from_secs(10);
/// The demo user's nickname in the guild at the end of the run: sorts after every bot.
pub const NICKNAME: &str = "zz demo (nickname)";

/// The guild's member list as the pane follows it during the run.
pub struct MemberWatch {
    subscription: MemberListSubscription,
    /// The pane, fed by every update.
    pub pane: MemberPane,
    /// `Changed` updates with operations applied.
    pub changes: u64,
}

impl MemberWatch {
    /// Follows the first page of the community's member list.
    pub async fn start(client: &Client, community_id: &CommunityId) -> Result<Self, DemoError> {
        let pane = MemberPane::default();
        let subscription = client
            .community(community_id)
            .subscribe_member_list(pane.ranges())
            .await
            .map_err(DemoError::sdk("follow the guild's member list"))?;
        Ok(Self {
            subscription,
            pane,
            changes: 0,
        })
    }

    /// The next update (cancel-safe: for `select!`).
    pub async fn next(&mut self) -> Option<MemberListUpdate> {
        self.subscription.next().await
    }

    /// Applies one update to the pane.
    pub fn apply(&mut self, update: MemberListUpdate) {
        if matches!(&update, MemberListUpdate::Changed { ops, .. } if !ops.is_empty()) {
            self.changes += 1;
        }
        self.pane.apply(update);
    }

    /// Applies what is queued without waiting; true when the pane's window is the SDK's.
    fn catch_up(&mut self) -> bool {
        while let Some(update) = self.subscription.try_next() {
            self.apply(update);
        }
        let snapshot = self.subscription.snapshot();
        self.pane.window.is_some() && self.pane.window.as_ref() == snapshot.windows.first()
    }
}

/// What the demo user's member list showed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MembersCheck {
    /// Members in the list, and in the server's member page.
    pub total: (u64, u64),
    /// `Changed` updates with operations the pane applied during the run.
    pub changes: u64,
    /// The pane, drawn.
    pub lines: Vec<String>,
    /// What is wrong.
    pub problems: Vec<String>,
}

impl MembersCheck {
    /// Checks the pane after the run.
    pub async fn run(client: &Client, community_id: &CommunityId, mut watch: MemberWatch) -> Self {
        let mut check = MembersCheck::default();
        let community = client.community(community_id);
        let before = watch.changes;
        if let Err(error) = community.set_nickname(NICKNAME).await {
            check
                .problems
                .push(format!("set a nickname in the guild: {error}"));
        }
        let me = client.user_id();
        let renamed =
            |watch: &MemberWatch| {
                watch.changes > before
                    && watch.pane.items().last().is_some_and(|i| {
                        Some(&i.user_id) == me.as_ref() && i.display_name == NICKNAME
                    })
            };
        let deadline = Instant::now() + SETTLE;
        let mut settled = watch.catch_up() && renamed(&watch);
        while !settled && Instant::now() < deadline {
            tokio::select! {
                Some(update) = watch.next() => watch.apply(update),
                () = tokio::time::sleep(Duration::from_millis(100)) => {}
            }
            settled = watch.catch_up();
        }
        if !settled {
            check.problems.push(
                "the member pane's window (built from the operations) is not the SDK's snapshot"
                    .into(),
            );
        }
        let community = client.community(community_id);
        let members: BTreeSet<UserId> = match community.members(None, None, Some(100)).await {
            Ok(page) => page.page.items.into_iter().map(|m| m.user_id).collect(),
            Err(error) => {
                check.problems.push(format!("the guild's members: {error}"));
                BTreeSet::new()
            }
        };
        let pane = &watch.pane;
        check.total = (pane.total, members.len() as u64);
        check.changes = watch.changes;
        let shown: Vec<&UserId> = pane.items().iter().map(|i| &i.user_id).collect();
        let unique: BTreeSet<UserId> = shown.iter().map(|u| (*u).clone()).collect();
        if unique.len() != shown.len() {
            check
                .problems
                .push("the member pane lists a member twice".into());
        }
        if pane.total != members.len() as u64 || unique != members {
            check.problems.push(format!(
                "the member pane shows {} of {} members ({} in the guild)",
                unique.len(),
                pane.total,
                members.len()
            ));
        }
        let counted: u64 = pane.sections.iter().map(|s| s.count).sum();
        if counted != pane.total {
            check.problems.push(format!(
                "the sections count {counted} members of {}",
                pane.total
            ));
        }
        let groups = community.groups();
        let positions: HashMap<GroupId, i64> = groups
            .iter()
            .map(|g| (g.group_id.clone(), g.position))
            .collect();
        check.problems.extend(
            order_problems(pane.items(), &positions)
                .into_iter()
                .map(|p| format!("member pane: {p}")),
        );
        let names: HashMap<GroupId, String> =
            groups.into_iter().map(|g| (g.group_id, g.name)).collect();
        check.lines = pane.lines(&names);
        let dotted = check
            .lines
            .iter()
            .filter(|l| l.chars().next().is_some_and(|c| DOTS.contains(&c)))
            .count();
        if dotted != pane.items().len() {
            check.problems.push(format!(
                "{dotted} member lines drawn with a presence dot, of {}",
                pane.items().len()
            ));
        }
        check
    }

    /// The report's lines.
    pub fn lines(&self) -> String {
        let mut out = format!(
            "member list: {} listed ({} in the guild), {} changes applied as operations",
            self.total.0, self.total.1, self.changes
        );
        for line in &self.lines {
            out.push_str("\n    ");
            out.push_str(line);
        }
        out
    }
}
