//! Visibility follows permissions: when a change may alter who sees which channel (groups,
//! assignments, roles, overrides, private membership, category following), the sight of
//! the affected channels or member is captured before the change and compared after it.
//! Whoever gains a channel starts reading at its end and gets `channel_added` (with their
//! head); whoever loses one forgets their read state there, leaves its threads (each told
//! with `thread_left`) and gets `channel_removed` (`access_revoked`). These are ordinary
//! deliveries, so they reach every device online and wait in the session rings for those
//! resuming.

use std::collections::{HashMap, HashSet};

use community_protocol::{
    ApiError, ChannelHead, ChannelId, ChannelInfo, ChannelRemovalReason, CommunityId, Event, UserId,
};

use super::access::ChannelRules;
use super::audience::Roster;
use super::context::Ctx;
use super::view;
use crate::routing::{Audience, ChannelViewers};
use crate::store::ChannelRecord;

/// One channel whose viewers changed: the channel as it is now, who saw it before and
/// after, and who gained and lost it.
pub(crate) struct Moved {
    /// The channel now.
    pub record: ChannelRecord,
    /// Its viewers before the change.
    pub before: ChannelViewers,
    /// Its viewers after the change.
    pub after: ChannelViewers,
    /// Members who see it now and did not before.
    pub gained: Vec<UserId>,
    /// Members who saw it and do not now.
    pub lost: Vec<UserId>,
    /// The threads of the channel the losers had joined, and who of them left each.
    pub left_threads: Vec<(ChannelId, Vec<UserId>)>,
}

impl Moved {
    /// The members who saw the channel before and still see it (those to tell of a change
    /// of the channel itself; the others get `channel_added` / `channel_removed`).
    pub fn kept(&self) -> Audience {
        let by_default = self.before.by_default && self.after.by_default;
        let exceptions = self
            .before
            .exceptions
            .iter()
            .chain(&self.after.exceptions)
            .filter(|user| (self.before.includes(user) && self.after.includes(user)) != by_default)
            .cloned()
            .collect();
        ChannelViewers {
            community_id: self.record.info.community_id.clone(),
            by_default,
            exceptions,
        }
        .into_audience()
    }
}

/// The viewers of some channels of a community, captured before a change.
pub(crate) struct ChannelSight {
    community_id: CommunityId,
    before: Vec<(ChannelId, ChannelViewers)>,
}

impl ChannelSight {
    /// Captures who sees the channels of `community_id` that `which` selects.
    pub fn capture(
        cx: &Ctx<'_>,
        community_id: &CommunityId,
        which: impl Fn(&ChannelRecord) -> bool,
    ) -> Result<ChannelSight, ApiError> {
        let roster = Roster::load(cx, community_id)?;
        let categories = cx.tx.categories(community_id)?;
        let mut before = Vec::new();
        for record in cx.tx.channels(community_id)? {
            if which(&record) {
                let rules = ChannelRules::with_categories(&record, &categories);
                before.push((
                    record.info.channel_id.clone(),
                    roster.viewers_of(cx, &record, &rules)?,
                ));
            }
        }
        Ok(ChannelSight {
            community_id: community_id.clone(),
            before,
        })
    }

    /// After the change: the captured channels (still existing) with who gained and lost
    /// them. Read state follows: gainers start at the end, losers forget theirs.
    pub fn settle(self, cx: &Ctx<'_>) -> Result<Vec<Moved>, ApiError> {
        let roster = Roster::load(cx, &self.community_id)?;
        let categories = cx.tx.categories(&self.community_id)?;
        let mut everyone: Option<Vec<UserId>> = None;
        let mut moved = Vec::new();
        for (channel_id, before) in self.before {
            let Some(record) = cx.tx.channel(&self.community_id, &channel_id)? else {
                continue;
            };
            let rules = ChannelRules::with_categories(&record, &categories);
            let after = roster.viewers_of(cx, &record, &rules)?;
            let candidates: Vec<UserId> = if before.by_default == after.by_default {
                before
                    .exceptions
                    .symmetric_difference(&after.exceptions)
                    .cloned()
                    .collect()
            } else {
                if everyone.is_none() {
                    everyone = Some(cx.tx.member_ids(&self.community_id)?);
                }
                everyone.clone().unwrap_or_default()
            };
            let (gained, lost) = split(&candidates, &before, &after);
            moved.push(Moved {
                record,
                before,
                after,
                gained,
                lost,
                left_threads: Vec::new(),
            });
        }
        apply_read_state(cx, &mut moved)?;
        Ok(moved)
    }
}

/// Who gained and who lost among `candidates`, sorted.
fn split(
    candidates: &[UserId],
    before: &ChannelViewers,
    after: &ChannelViewers,
) -> (Vec<UserId>, Vec<UserId>) {
    let mut gained = Vec::new();
    let mut lost = Vec::new();
    let mut seen = HashSet::new();
    for user in candidates {
        if !seen.insert(user) {
            continue;
        }
        match (before.includes(user), after.includes(user)) {
            (false, true) => gained.push(user.clone()),
            (true, false) => lost.push(user.clone()),
            _ => {}
        }
    }
    gained.sort();
    lost.sort();
    (gained, lost)
}

/// Gainers start reading at the channel's end; losers forget their read state there and
/// leave its threads.
fn apply_read_state(cx: &Ctx<'_>, moved: &mut [Moved]) -> Result<(), ApiError> {
    for channel in moved {
        let channel_id = &channel.record.info.channel_id;
        for user in &channel.gained {
            cx.tx.start_reading(user, channel_id)?;
        }
        let mut left: Vec<(ChannelId, Vec<UserId>)> = Vec::new();
        for user in &channel.lost {
            cx.tx.forget_reading(user, channel_id)?;
            for thread_id in cx.tx.leave_threads_in(channel_id, user)? {
                match left.iter_mut().find(|(id, _)| *id == thread_id) {
                    Some((_, users)) => users.push(user.clone()),
                    None => left.push((thread_id, vec![user.clone()])),
                }
            }
        }
        channel.left_threads = left;
    }
    Ok(())
}

/// The channels one member sees, captured before a change of that member (groups, role).
pub(crate) struct MemberSight {
    community_id: CommunityId,
    user_id: UserId,
    before: HashSet<ChannelId>,
}

impl MemberSight {
    /// Captures the channels `user_id` sees in `community_id`.
    pub fn capture(
        cx: &Ctx<'_>,
        community_id: &CommunityId,
        user_id: &UserId,
    ) -> Result<MemberSight, ApiError> {
        Ok(MemberSight {
            community_id: community_id.clone(),
            user_id: user_id.clone(),
            before: Self::seen(cx, community_id, user_id)?
                .into_iter()
                .map(|record| record.info.channel_id)
                .collect(),
        })
    }

    fn seen(
        cx: &Ctx<'_>,
        community_id: &CommunityId,
        user_id: &UserId,
    ) -> Result<Vec<ChannelRecord>, ApiError> {
        match cx.tx.member(community_id, user_id)? {
            Some(member) => view::visible_channels(cx, &member),
            None => Ok(Vec::new()),
        }
    }

    /// After the change: the channels the member gained and lost (read state follows).
    pub fn settle(self, cx: &Ctx<'_>) -> Result<Vec<Moved>, ApiError> {
        let now: HashMap<ChannelId, ChannelRecord> =
            Self::seen(cx, &self.community_id, &self.user_id)?
                .into_iter()
                .map(|record| (record.info.channel_id.clone(), record))
                .collect();
        let only = |sees: bool| ChannelViewers {
            community_id: self.community_id.clone(),
            by_default: false,
            exceptions: if sees {
                HashSet::from([self.user_id.clone()])
            } else {
                HashSet::new()
            },
        };
        let mut moved = Vec::new();
        for (channel_id, record) in &now {
            if !self.before.contains(channel_id) {
                moved.push(Moved {
                    record: record.clone(),
                    before: only(false),
                    after: only(true),
                    gained: vec![self.user_id.clone()],
                    lost: Vec::new(),
                    left_threads: Vec::new(),
                });
            }
        }
        for channel_id in &self.before {
            if now.contains_key(channel_id) {
                continue;
            }
            if let Some(record) = cx.tx.channel(&self.community_id, channel_id)? {
                moved.push(Moved {
                    record,
                    before: only(true),
                    after: only(false),
                    gained: Vec::new(),
                    lost: vec![self.user_id.clone()],
                    left_threads: Vec::new(),
                });
            }
        }
        moved.sort_by(|a, b| {
            (a.record.info.position, &a.record.info.channel_id)
                .cmp(&(b.record.info.position, &b.record.info.channel_id))
        });
        apply_read_state(cx, &mut moved)?;
        Ok(moved)
    }
}

/// `thread_left` for each thread a loser had joined, `channel_removed` (`access_revoked`)
/// to every loser, then `channel_added` to every gainer, with their heads (gainers with
/// the same head share one delivery).
pub(crate) fn tell(cx: &mut Ctx<'_>, moved: &[Moved], version: u64) -> Result<(), ApiError> {
    for channel in moved {
        for (thread_id, users) in &channel.left_threads {
            cx.emit(
                Audience::Users(users.clone()),
                Event::ThreadLeft {
                    community_id: channel.record.info.community_id.clone(),
                    thread_id: thread_id.clone(),
                },
            );
        }
        if !channel.lost.is_empty() {
            cx.emit(
                Audience::Users(channel.lost.clone()),
                revoked(&channel.record.info, version),
            );
        }
        let mut by_head: Vec<(ChannelHead, Vec<UserId>)> = Vec::new();
        for user in &channel.gained {
            let head = view::head(cx, user, &channel.record)?;
            match by_head.iter_mut().find(|(h, _)| *h == head) {
                Some((_, users)) => users.push(user.clone()),
                None => by_head.push((head, vec![user.clone()])),
            }
        }
        for (head, users) in by_head {
            cx.emit(
                Audience::Users(users),
                Event::ChannelAdded {
                    channel: channel.record.info.clone(),
                    head,
                    version,
                },
            );
        }
    }
    Ok(())
}

/// `channel_removed` with reason `access_revoked`.
pub(crate) fn revoked(info: &ChannelInfo, version: u64) -> Event {
    Event::ChannelRemoved {
        community_id: info.community_id.clone(),
        channel_id: info.channel_id.clone(),
        reason: ChannelRemovalReason::AccessRevoked,
        version,
    }
}
