//! What the sync task does for large communities (protocol §9.5, §22): it tells the
//! server which place the app shows (`focus`), catches that place up from the answer's
//! head, fetches the messages of open timelines that only got `channel_activity`, and
//! follows the member list again when the server forgot it.
//!
//! All of it runs once the queue is drained and only while the session is ready (never
//! offline: the newest wish is sent on the next login). A new session starts with no
//! focus and no member list on the server; a resumed one keeps both.

use std::collections::BTreeMap;

use community_protocol::focus::Focus;
use community_protocol::member_list::SubscribeMemberList;
use community_protocol::{ChannelId, CommunityId, Seq, op};
use tracing::Instrument;

use super::effects::Hole;
use super::history::{self, HistoryReader};
use super::retry::{self, Retry};
use super::{BehindReports, Job, LocalUpdate, Processor};
use crate::error::SdkError;
use crate::focus::Place;
use crate::phase::Phase;

/// The large-community side of the sync task's state.
#[derive(Default)]
pub(super) struct FocusState {
    /// What the server's session focuses now (`None`: nothing, as a new session).
    pub server: Option<Place>,
    /// Whether the focus watch is still connected to its tracker.
    pub watch_closed: bool,
    /// Open timelines whose messages are to be fetched, up to a sequence.
    pub wanted: BTreeMap<(CommunityId, ChannelId), Seq>,
    /// Holes in open timelines' live messages, to be fetched (and shown).
    pub holes: Vec<Hole>,
    /// The task fetching them.
    pub fetching: Option<tokio::task::JoinHandle<()>>,
    /// When an interrupted fetch may run again.
    pub retry: Retry,
}

impl Processor {
    /// Channels that got activity: those with an open timeline get their messages.
    pub(super) fn note_activity(&mut self, activity: Vec<(CommunityId, ChannelId, Seq)>) {
        for (community_id, channel_id, last_seq) in activity {
            if self.cx.cell.hub().has_timeline(&community_id, &channel_id) {
                let wanted = self
                    .focus
                    .wanted
                    .entry((community_id, channel_id))
                    .or_default();
                *wanted = (*wanted).max(last_seq);
            }
        }
    }

    /// Holes in channels' live messages: those with an open timeline get them fetched
    /// (a message committed on another server node may arrive late or not at all; the
    /// timeline shows every message either way).
    pub(super) fn note_holes(&mut self, holes: Vec<Hole>) {
        for hole in holes {
            tracing::debug!(
                channel = %hole.channel_id,
                after = hole.after,
                up_to = hole.up_to,
                "a hole in the live messages"
            );
            if self
                .cx
                .cell
                .hub()
                .has_timeline(&hole.community_id, &hole.channel_id)
            {
                self.focus.holes.push(hole);
            }
        }
    }

    /// A session that did not resume: the server holds no focus and no member list.
    pub(super) fn new_session_forgets(&mut self) {
        self.focus.server = None;
        self.cx.cell.update(|state, _| state.focused = None);
        self.cx.member_lists.on_new_session();
    }

    /// The timeline fetch ended; what it could not fetch is fetched after a pause (at
    /// once after a new login).
    pub(super) fn timelines_fetched(
        &mut self,
        unfinished: Vec<(CommunityId, ChannelId, Seq)>,
        holes: Vec<Hole>,
    ) {
        self.focus.fetching = None;
        if unfinished.is_empty() && holes.is_empty() {
            self.focus.retry.reset();
            return;
        }
        tracing::debug!(
            timelines = unfinished.len(),
            holes = holes.len(),
            "timeline fetch interrupted; trying again after a pause"
        );
        self.focus.retry.failed();
        self.focus.holes.extend(holes);
        for (community_id, channel_id, last_seq) in unfinished {
            let wanted = self
                .focus
                .wanted
                .entry((community_id, channel_id))
                .or_default();
            *wanted = (*wanted).max(last_seq);
        }
    }

    /// Sends `focus` when the place the app shows differs from the server's; applies the
    /// answer's head (exact counts) and catches the place up (messages, and changes in a
    /// large community).
    pub(super) async fn sync_focus(&mut self) {
        if *self.cx.phase.borrow() != Phase::Ready {
            return;
        }
        let wanted = self.cx.focus.borrow_and_update().clone();
        if wanted == self.focus.server {
            return;
        }
        let span = tracing::debug_span!(
            "sync.focus",
            channel = wanted.as_ref().map(|p| p.channel_id.as_str()).unwrap_or("")
        );
        let connection = self.cx.connection.clone();
        let request = Focus {
            community_id: wanted.as_ref().map(|p| p.community_id.clone()),
            channel_id: wanted.as_ref().map(|p| p.channel_id.clone()),
        };
        let answer = self
            .await_draining(
                async move { connection.call(op::Focus(request)).await }.instrument(span),
            )
            .await;
        match answer {
            Ok(focused) => {
                self.focus.server = wanted.clone();
                let place = wanted
                    .as_ref()
                    .map(|p| (p.community_id.clone(), p.channel_id.clone()));
                self.cx.cell.update(|state, _| state.focused = place);
                let (Some(place), Some(head)) = (wanted, focused.head) else {
                    return;
                };
                let large = self.cx.cell.read(|state| {
                    state
                        .community(&place.community_id)
                        .is_some_and(|c| c.info.member_count > state.limits.large_community_members)
                });
                let last_seq = head.last_seq;
                self.apply_updates(vec![LocalUpdate::Head(head)]).await;
                let key = (place.community_id.clone(), place.channel_id.clone());
                let entry = self.focus.wanted.entry(key.clone()).or_default();
                *entry = (*entry).max(last_seq);
                if large {
                    // Changes were not sent while unfocused: fetch them (§9.7).
                    self.behind.insert(key);
                }
            }
            Err(SdkError::Api(error)) => {
                // Refused (a server that does not know `focus`): do not ask again.
                tracing::debug!(%error, "focus refused");
                self.focus.server = wanted;
            }
            Err(error) => tracing::debug!(%error, "focus postponed"),
        }
    }

    /// Fetches the messages of open timelines noted by [`note_activity`] and focus, in
    /// the background; its end comes back as a job.
    pub(super) fn start_timeline_fetch(&mut self) {
        if *self.cx.phase.borrow() != Phase::Ready
            || self.focus.fetching.is_some()
            || !self.focus.retry.due()
            || (self.focus.wanted.is_empty() && self.focus.holes.is_empty())
        {
            return;
        }
        // Each with what its channel's open timelines had shown when they opened; a
        // timeline closed meanwhile needs nothing.
        let hub = self.cx.cell.hub();
        let holes: Vec<(Hole, Seq)> = std::mem::take(&mut self.focus.holes)
            .into_iter()
            .filter_map(|hole| {
                let floor = hub.timeline_floor(&hole.community_id, &hole.channel_id)?;
                Some((hole, floor))
            })
            .collect();
        let wanted: Vec<((CommunityId, ChannelId), Seq, Seq)> =
            std::mem::take(&mut self.focus.wanted)
                .into_iter()
                .filter_map(|((community_id, channel_id), last_seq)| {
                    let floor = hub.timeline_floor(&community_id, &channel_id)?;
                    Some(((community_id, channel_id), last_seq, floor))
                })
                .collect();
        let reader = HistoryReader {
            store: self.cx.store.clone(),
            cell: self.cx.cell.clone(),
            connection: Some(self.cx.connection.clone()),
            behind: Some(BehindReports(self.jobs_tx.clone())),
        };
        let limit = u64::from(self.cx.catch_up_limit.max(1));
        let report = self.jobs_tx.clone();
        let task = async move {
            // After a failure worth retrying, the rest waits for the next attempt too.
            let mut interrupted = false;
            let mut unfinished_holes = Vec::new();
            for (hole, floor) in holes {
                if interrupted {
                    unfinished_holes.push(hole);
                    continue;
                }
                let fetched = history::fill_missing(
                    &reader,
                    &hole.community_id,
                    &hole.channel_id,
                    floor,
                    hole.up_to,
                    limit,
                )
                .await;
                if retry::interrupted("hole fetch", fetched) {
                    interrupted = true;
                    unfinished_holes.push(hole);
                }
            }
            let mut unfinished = Vec::new();
            for ((community_id, channel_id), last_seq, floor) in wanted {
                if interrupted {
                    unfinished.push((community_id, channel_id, last_seq));
                    continue;
                }
                let fetched = history::fill_missing(
                    &reader,
                    &community_id,
                    &channel_id,
                    floor,
                    last_seq,
                    limit,
                )
                .await;
                if retry::interrupted("timeline fetch", fetched) {
                    interrupted = true;
                    unfinished.push((community_id, channel_id, last_seq));
                }
            }
            if let Some(report) = report.upgrade() {
                let _ = report
                    .send(Job::TimelinesFetched {
                        unfinished,
                        holes: unfinished_holes,
                    })
                    .await;
            }
        };
        self.focus.fetching = Some(tokio::spawn(
            task.instrument(tracing::debug_span!("sync.fetch_timelines")),
        ));
    }

    /// Follows the member list again when the server forgot it or a window did not fit;
    /// the answer reaches the windows through the event stream (a `Reset`).
    pub(super) async fn resubscribe_member_list(&mut self) {
        if *self.cx.phase.borrow() != Phase::Ready {
            return;
        }
        let Some((id, _)) = self.cx.member_lists.take_resubscribe() else {
            return;
        };
        let lists = self.cx.member_lists.clone();
        let connection = self.cx.connection.clone();
        let span = tracing::debug_span!("sync.member_list");
        let answer = self
            .await_draining(
                async move {
                    let _order = lists.order.lock().await;
                    // The ranges may have moved meanwhile: ask for the current ones.
                    let Some(current) = lists.current(id) else {
                        return Ok(());
                    };
                    connection
                        .call(op::SubscribeMemberList(SubscribeMemberList {
                            community_id: current.community_id,
                            ranges: current.ranges,
                        }))
                        .await
                        .map(|_| ())
                }
                .instrument(span),
            )
            .await;
        match answer {
            Ok(()) => {}
            Err(SdkError::Api(error)) => self.cx.member_lists.fail(id, error),
            Err(error) => {
                tracing::debug!(%error, "member list subscription postponed");
                self.cx.member_lists.retry_later(id);
            }
        }
    }
}
