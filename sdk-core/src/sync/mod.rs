//! The sync task: the one place where the model changes.
//!
//! It consumes, in order, what the connection hands over ([`Inbound`]: login markers and
//! events) and the answers the API received ([`LocalUpdate`]s), applies them to the state
//! and the store (one transaction per batch, with the event cursor), and publishes. After
//! a login that did not resume it runs `sync` with the cached structure versions, applies
//! the answer, then catches up the missed messages of channels that have a cache (bounded
//! per channel; older history is fetched when read). A sequence gap in message events or
//! a stale head marks the community: its heads are refetched once the queue is drained.
//! A background fetch (catch-up, an open timeline's holes and newest messages, change
//! repair) that fails for a passing reason is tried again after a pause while the
//! connection lasts (`retry`).
//! An event that arrived damaged (a known kind that does not decode) makes the task sync
//! everything afresh, so the state it carried is recovered.
//!
//! Requests made here (sync, get_community, get_heads) are awaited in place: events that
//! arrive meanwhile are set aside in a bounded stash and applied after the answer, as
//! protocol §8.2 asks. The stash keeps the connection reading (so the answer can arrive)
//! without letting memory grow: when it is full, the connection's queue fills too and the
//! connection stops reading (see `connection::forward`).
//!
//! It publishes the public [`SyncState`]: `Syncing` while bringing structure and counts
//! up to date, `CatchingUp` while the missed messages (or a resume's replay) arrive, and
//! `CaughtUp` once everything the server had at login is applied.

mod apply;
#[cfg(test)]
mod apply_tests;
mod changes;
mod effects;
mod focus;
mod history;
mod login;
mod people;
mod retry;

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use community_protocol::{ChannelId, CommunityId, Event, Message, UserId};
use tokio::sync::{Notify, mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tracing::Instrument;

pub(crate) use apply::LocalUpdate;
pub(crate) use changes::BehindReports;
pub(crate) use history::{HistoryReader, history_page, opening_floor};
pub(crate) use people::PeopleUpdate;

use crate::connection::{ConnectionHandle, Inbound};
use crate::events::{Hub, Publication};
use crate::model::{MessageUpdate, SyncState};
use crate::phase::Phase;
use crate::state::StateCell;
use crate::store::{Change, Store};
use apply::{apply_event, apply_local};
use effects::Effects;

/// Most inbound items folded into one batch (one store transaction).
const MAX_BATCH: usize = 512;
/// API answers that may wait for the task at once.
const JOB_CAPACITY: usize = 64;
/// Items set aside while the task awaits one of its own requests.
const STASH_LIMIT: usize = 1_024;

/// What the sync task works with (and nothing more).
pub(crate) struct SyncContext {
    pub user_id: UserId,
    pub device_id: String,
    pub catch_up_limit: u32,
    pub store: Store,
    pub cell: Arc<StateCell>,
    pub connection: ConnectionHandle,
    pub phase: Arc<watch::Sender<Phase>>,
    pub applied_seq: Arc<AtomicU64>,
    pub outbox_wake: Arc<Notify>,
    /// The place the app shows (the newest live timeline).
    pub focus: watch::Receiver<Option<crate::focus::Place>>,
    /// The session's member list subscription.
    pub member_lists: Arc<crate::member_list::MemberLists>,
}

/// Work for the sync task besides the connection's items.
enum Job {
    /// An API answer to apply, and who waits for it.
    Local {
        update: Box<LocalUpdate>,
        done: oneshot::Sender<()>,
    },
    /// A catch-up task ended (`complete` when it fetched everything it meant to).
    CatchUpDone { generation: u64, complete: bool },
    /// These channels' caches miss changes (seen outside the task: history pages).
    Behind(Vec<(CommunityId, ChannelId)>),
    /// A repair of channels behind in their change sequence ended; the channels it was
    /// interrupted in (by a failure worth retrying).
    RepairDone {
        unfinished: Vec<(CommunityId, ChannelId)>,
    },
    /// The fetch of open timelines' messages ended; what it could not fetch (and is
    /// worth trying again).
    TimelinesFetched {
        unfinished: Vec<(CommunityId, ChannelId, community_protocol::Seq)>,
        holes: Vec<effects::Hole>,
    },
}

/// The way into the sync task for API answers. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Applier(mpsc::Sender<Job>);

impl Applier {
    /// A way to report channels whose caches miss changes, without keeping the task
    /// alive.
    pub(crate) fn behind_reports(&self) -> BehindReports {
        BehindReports(self.0.downgrade())
    }

    /// Applies `update` (state, store, publications) and returns once it is done. Without
    /// a running sync task the update is dropped (nothing to keep in step).
    pub(crate) async fn apply(&self, update: LocalUpdate) {
        let (done, applied) = oneshot::channel();
        let update = Box::new(update);
        if self.0.send(Job::Local { update, done }).await.is_ok() {
            let _ = applied.await;
        }
    }
}

/// Starts the sync task.
pub(crate) fn spawn(
    cx: SyncContext,
    inbound: mpsc::Receiver<Inbound>,
) -> (Applier, JoinHandle<()>) {
    let (jobs_tx, jobs) = mpsc::channel(JOB_CAPACITY);
    let span = tracing::info_span!("sync", user = %cx.user_id);
    let processor = Processor {
        cx,
        inbound,
        inbound_open: true,
        jobs_tx: jobs_tx.downgrade(),
        stash: VecDeque::new(),
        needs_sync: false,
        resync: false,
        dirty: BTreeSet::new(),
        catch_up: None,
        catch_up_pending: false,
        catch_up_retry: retry::Retry::default(),
        generation: 0,
        replay_until: None,
        behind: BTreeSet::new(),
        repair: None,
        repair_retry: retry::Retry::default(),
        typing_expiry: None,
        focus: focus::FocusState::default(),
    };
    let task = tokio::spawn(processor.run(jobs).instrument(span));
    (Applier(jobs_tx), task)
}

struct Processor {
    cx: SyncContext,
    inbound: mpsc::Receiver<Inbound>,
    inbound_open: bool,
    /// For catch-up tasks to report back (weak: the task ends with its appliers).
    jobs_tx: mpsc::WeakSender<Job>,
    /// Items that arrived while the task awaited its own request, oldest first.
    stash: VecDeque<Inbound>,
    /// The next login must `sync` (the session was not resumed).
    needs_sync: bool,
    /// A damaged event was skipped: sync everything afresh.
    resync: bool,
    /// Communities whose counts are estimates: refetch their heads.
    dirty: BTreeSet<CommunityId>,
    catch_up: Option<JoinHandle<()>>,
    /// A catch-up should run (or runs) and has not completed.
    catch_up_pending: bool,
    /// When an interrupted catch-up may run again.
    catch_up_retry: retry::Retry,
    /// Numbers catch-up runs, so the end of an aborted one is ignored.
    generation: u64,
    /// After a resume: caught up once the applied event sequence reaches this.
    replay_until: Option<u64>,
    /// Channels whose cached messages miss changes: fetched once the queue is drained.
    behind: BTreeSet<(CommunityId, ChannelId)>,
    /// The task fetching them.
    repair: Option<JoinHandle<()>>,
    /// When an interrupted repair may run again.
    repair_retry: retry::Retry,
    /// When the next typing indicator runs out (the client's clock), if one shows.
    typing_expiry: Option<i64>,
    /// Focus, open timelines to fetch (large communities).
    focus: focus::FocusState,
}

impl Drop for Processor {
    fn drop(&mut self) {
        if let Some(task) = self.catch_up.take() {
            task.abort();
        }
        if let Some(task) = self.repair.take() {
            task.abort();
        }
        if let Some(task) = self.focus.fetching.take() {
            task.abort();
        }
    }
}

impl Processor {
    async fn run(mut self, mut jobs: mpsc::Receiver<Job>) {
        loop {
            if !self.inbound_open && self.stash.is_empty() {
                // The connection task is gone for good: nothing more will be applied.
                return;
            }
            if !self.stash.is_empty() {
                let count = self.stash.len().min(MAX_BATCH);
                let batch: Vec<Inbound> = self.stash.drain(..count).collect();
                self.inbound_batch(batch).await;
            } else {
                let next_retry = self.next_retry();
                tokio::select! {
                    biased;
                    item = self.inbound.recv(), if self.inbound_open => {
                        let Some(item) = item else {
                            self.inbound_open = false;
                            continue;
                        };
                        let mut batch = vec![item];
                        while batch.len() < MAX_BATCH {
                            match self.inbound.try_recv() {
                                Ok(item) => batch.push(item),
                                Err(_) => break,
                            }
                        }
                        self.inbound_batch(batch).await;
                    }
                    job = jobs.recv() => match job {
                        Some(job) => self.job(job).await,
                        None => return,
                    },
                    () = typing_timer(self.typing_expiry), if self.typing_expiry.is_some() => {
                        self.expire_typing();
                    }
                    () = retry_timer(next_retry), if next_retry.is_some() => {
                        // The fetches whose pause ran out start once the queue is drained.
                        self.catch_up_retry.woke();
                        self.repair_retry.woke();
                        self.focus.retry.woke();
                    }
                    changed = self.cx.focus.changed(), if !self.focus.watch_closed => {
                        // Acted on once the queue is drained (`sync_focus`).
                        if changed.is_err() {
                            self.focus.watch_closed = true;
                        }
                    }
                    else => return,
                }
            }
            if self.stash.is_empty() && self.inbound.is_empty() {
                self.after_drain().await;
            }
            self.typing_expiry = self.cx.cell.read(|state| state.next_typing_expiry());
        }
    }

    /// Drops the typing indicators that ran out.
    fn expire_typing(&mut self) {
        self.typing_expiry = self
            .cx
            .cell
            .update(|state, out| state.expire_typing(crate::clock::now_ms(), out));
    }

    /// What waits until the queue is drained: a re-sync, heads refetches, the
    /// caught-up state.
    async fn after_drain(&mut self) {
        if self.resync && *self.cx.phase.borrow() == Phase::Ready {
            self.resync_everything().await;
        }
        if !self.dirty.is_empty() {
            self.refetch_heads().await;
        }
        self.sync_focus().await;
        self.resubscribe_member_list().await;
        self.start_timeline_fetch();
        self.retry_catch_up();
        if !self.behind.is_empty() && self.repair.is_none() && self.repair_retry.due() {
            self.start_repair();
        }
        self.maybe_caught_up();
    }

    async fn job(&mut self, job: Job) {
        match job {
            Job::Local { update, done } => {
                self.apply_updates(vec![*update]).await;
                let _ = done.send(());
            }
            Job::CatchUpDone {
                generation,
                complete,
            } => {
                if generation == self.generation {
                    self.catch_up = None;
                    if complete {
                        self.catch_up_pending = false;
                        self.catch_up_retry.reset();
                    } else {
                        // Tried again after a pause while connected (`retry_catch_up`), at
                        // once after the next login.
                        tracing::info!("catch-up interrupted; trying again after a pause");
                        self.catch_up_retry.failed();
                    }
                    self.maybe_caught_up();
                }
            }
            Job::Behind(channels) => self.behind.extend(channels),
            Job::TimelinesFetched { unfinished, holes } => {
                self.timelines_fetched(unfinished, holes);
            }
            Job::RepairDone { unfinished } => {
                self.repair = None;
                if unfinished.is_empty() {
                    self.repair_retry.reset();
                } else {
                    // Interrupted: tried again after a pause (at once after a new login).
                    tracing::debug!(channels = unfinished.len(), "change repair interrupted");
                    self.behind.extend(unfinished);
                    self.repair_retry.failed();
                }
                self.maybe_caught_up();
            }
        }
    }

    async fn inbound_batch(&mut self, batch: Vec<Inbound>) {
        let mut events: Vec<Event> = Vec::new();
        let mut last_seq = None;
        for item in batch {
            match item {
                Inbound::Event { seq, event } => {
                    if let Some(event) = event {
                        events.push(*event);
                    }
                    last_seq = Some(seq);
                }
                Inbound::Malformed { seq, kind } => {
                    tracing::warn!(seq, %kind, "a damaged event was skipped; re-syncing");
                    self.resync = true;
                    last_seq = Some(seq);
                }
                control => {
                    self.apply_events(std::mem::take(&mut events), last_seq.take())
                        .await;
                    self.control(control).await;
                }
            }
        }
        self.apply_events(events, last_seq).await;
    }

    /// Applies server events and moves the stored event cursor, in one transaction.
    async fn apply_events(&mut self, events: Vec<Event>, last_seq: Option<u64>) {
        if events.is_empty() && last_seq.is_none() {
            return;
        }
        let count = events.len();
        let lists = self.cx.member_lists.clone();
        let written = self.cx.cell.update(|state, out| {
            let mut fx = Effects::default();
            for event in events {
                match event {
                    // The member list lives beside the state (§22.2).
                    Event::MemberListUpdate {
                        community_id,
                        total,
                        online,
                        sections,
                        ops,
                    } => lists.on_update(&community_id, total, online, sections, ops),
                    event => apply_event(state, event, &mut fx, out),
                }
            }
            fx.into_changes(state)
        });
        let mut changes = written.changes;
        if let Some(seq) = last_seq {
            changes.push(Change::LastEventSeq(seq));
        }
        self.dirty.extend(written.dirty_heads);
        self.note_activity(written.activity);
        self.note_holes(written.holes);
        tracing::trace!(count, ?last_seq, "events applied");
        self.write(changes).await;
        if let Some(seq) = last_seq {
            self.cx.applied_seq.store(seq, Ordering::Release);
            if self.replay_until.is_some_and(|until| seq >= until) {
                self.replay_until = None;
            }
        }
    }

    /// Applies API answers.
    async fn apply_updates(&mut self, updates: Vec<LocalUpdate>) {
        let written = self.cx.cell.update(|state, out| {
            let mut fx = Effects::default();
            for update in updates {
                apply_local(state, update, &mut fx, out);
            }
            fx.into_changes(state)
        });
        self.dirty.extend(written.dirty_heads);
        self.note_activity(written.activity);
        self.note_holes(written.holes);
        self.write(written.changes).await;
    }

    /// Writes a batch and publishes the messages that were new to the cache or changed;
    /// notes channels whose caches turned out to miss changes.
    async fn write(&mut self, changes: Vec<Change>) {
        if changes.is_empty() {
            return;
        }
        match self.cx.store.apply(changes).await {
            Ok(applied) => {
                publish_new_messages(self.cx.cell.hub(), applied.new_messages);
                publish_updated(self.cx.cell.hub(), applied.updated_messages);
                // An unfocused place of a large community misses changes by design; it
                // is caught up when focused (`sync_focus`) or while a timeline shows it,
                // not otherwise.
                let partial: Vec<bool> = self.cx.cell.read(|state| {
                    applied
                        .behind
                        .iter()
                        .map(|(community_id, channel_id)| {
                            state.partial_changes(community_id, channel_id)
                        })
                        .collect()
                });
                let hub = self.cx.cell.hub();
                let behind: Vec<_> = applied
                    .behind
                    .into_iter()
                    .zip(partial)
                    .filter(|((community_id, channel_id), partial)| {
                        !partial || hub.has_timeline(community_id, channel_id)
                    })
                    .map(|(channel, _)| channel)
                    .collect();
                self.behind.extend(behind);
            }
            Err(error) => {
                // The state is ahead of the file; the next sync brings the file back in step.
                tracing::error!(%error, "could not store a batch");
            }
        }
    }

    /// Awaits `future` (one of this task's own requests) while setting aside, in order,
    /// what the connection hands over meanwhile, up to [`STASH_LIMIT`] items.
    async fn await_draining<T>(&mut self, future: impl Future<Output = T>) -> T {
        tokio::pin!(future);
        loop {
            let room = self.stash.len() < STASH_LIMIT;
            tokio::select! {
                biased;
                output = &mut future => return output,
                item = self.inbound.recv(), if self.inbound_open && room => match item {
                    Some(item) => self.stash.push_back(item),
                    None => self.inbound_open = false,
                },
            }
        }
    }

    /// True when the connection dropped after the request in flight was sent (a `Lost`
    /// waits in the stash): retrying on this connection is pointless.
    fn connection_lost_meanwhile(&self) -> bool {
        self.stash
            .iter()
            .any(|item| matches!(item, Inbound::Lost | Inbound::Ended(_)))
    }

    /// The earliest instant an interrupted background fetch may run again.
    fn next_retry(&self) -> Option<tokio::time::Instant> {
        [&self.catch_up_retry, &self.repair_retry, &self.focus.retry]
            .into_iter()
            .filter_map(retry::Retry::wake_at)
            .min()
    }

    fn set_sync_state(&self, state: SyncState) {
        self.cx.cell.hub().publish_sync(state);
    }

    /// Publishes `CaughtUp` when nothing is left to apply or fetch.
    fn maybe_caught_up(&self) {
        let ready = *self.cx.phase.borrow() == Phase::Ready;
        if ready
            && !self.needs_sync
            && !self.resync
            && !self.catch_up_pending
            && self.replay_until.is_none()
            && self.dirty.is_empty()
            && self.behind.is_empty()
            && self.repair.is_none()
        {
            self.set_sync_state(SyncState::CaughtUp);
        }
    }
}

/// Sleeps until `expiry` (milliseconds on the client's clock; at once when past).
async fn typing_timer(expiry: Option<i64>) {
    let Some(expiry) = expiry else {
        return std::future::pending().await;
    };
    let wait = expiry.saturating_sub(crate::clock::now_ms()).max(0);
    tokio::time::sleep(std::time::Duration::from_millis(
        u64::try_from(wait).unwrap_or(0),
    ))
    .await;
}

/// Sleeps until `at` (never when there is none).
async fn retry_timer(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Publishes `Updated` for cached messages that changed.
pub(crate) fn publish_updated(hub: &Hub, messages: Vec<Message>) {
    if messages.is_empty() {
        return;
    }
    hub.publish(messages.into_iter().map(|message| Publication::Message {
        community_id: message.community_id.clone(),
        channel_id: message.channel_id.clone(),
        update: MessageUpdate::Updated(message),
    }));
}

/// Publishes `Inserted` for messages that were new to the cache.
pub(crate) fn publish_new_messages(hub: &Hub, messages: Vec<Message>) {
    if messages.is_empty() {
        return;
    }
    hub.publish(messages.into_iter().map(|message| Publication::Message {
        community_id: message.community_id.clone(),
        channel_id: message.channel_id.clone(),
        update: MessageUpdate::Inserted(message),
    }));
}
