//! The sync task: the one place where the model changes.
//!
//! It consumes, in order, what the connection hands over ([`Inbound`]: login markers and
//! events) and the answers the API received ([`LocalUpdate`]s), applies them to the state
//! and the store (one transaction per batch, with the event cursor), and publishes. After
//! a login that did not resume it runs `sync` with the cached structure versions, applies
//! the answer, then catches up the missed messages of channels that have a cache (bounded
//! per channel; older history is fetched when read). A sequence gap in message events or
//! a stale head marks the community: its heads are refetched once the queue is drained.
//! Requests made here (sync, get_heads) are awaited in place, so events that arrive
//! meanwhile queue up behind and are applied after the answer, as protocol §8.2 asks.

mod apply;
mod history;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use community_protocol::request::{CommunityRef, Sync};
use community_protocol::response::LoggedIn;
use community_protocol::{CommunityId, ErrorKind, Event, Message, Request, Response};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tracing::Instrument;

pub(crate) use apply::LocalUpdate;
pub(crate) use history::history_page;

use crate::connection::Inbound;
use crate::error::SdkError;
use crate::events::Publication;
use crate::model::MessageUpdate;
use crate::session::{Phase, UserSession};
use crate::store::{Change, SessionRecord};
use apply::{Effects, apply_event, apply_local};

/// Most inbound items folded into one batch (one store transaction).
const MAX_BATCH: usize = 512;

/// An API answer to apply, and who waits for it.
pub(crate) struct LocalJob {
    pub update: LocalUpdate,
    pub done: oneshot::Sender<()>,
}

struct Processor {
    session: Arc<UserSession>,
    needs_sync: bool,
    dirty: BTreeSet<CommunityId>,
    catch_up: Option<JoinHandle<bool>>,
}

impl Drop for Processor {
    fn drop(&mut self) {
        if let Some(task) = self.catch_up.take() {
            task.abort();
        }
    }
}

/// The sync task's body.
pub(crate) async fn run(
    session: Arc<UserSession>,
    mut inbound: mpsc::UnboundedReceiver<Inbound>,
    mut local: mpsc::UnboundedReceiver<LocalJob>,
) {
    let span = tracing::info_span!("sync", user = %session.user_id);
    let mut processor = Processor {
        session,
        needs_sync: false,
        dirty: BTreeSet::new(),
        catch_up: None,
    };
    async move {
        let mut inbound_open = true;
        loop {
            tokio::select! {
                biased;
                item = inbound.recv(), if inbound_open => {
                    let Some(item) = item else {
                        inbound_open = false;
                        continue;
                    };
                    let mut batch = vec![item];
                    while batch.len() < MAX_BATCH {
                        match inbound.try_recv() {
                            Ok(item) => batch.push(item),
                            Err(_) => break,
                        }
                    }
                    processor.inbound(batch).await;
                }
                job = local.recv() => {
                    let Some(job) = job else { return };
                    processor.apply_updates(vec![job.update]).await;
                    let _ = job.done.send(());
                }
            }
            if inbound.is_empty() && !processor.dirty.is_empty() {
                processor.refetch_heads().await;
            }
        }
    }
    .instrument(span)
    .await
}

impl Processor {
    async fn inbound(&mut self, batch: Vec<Inbound>) {
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
        let (mut changes, dirty) = self.session.update(|state, out| {
            let mut fx = Effects::default();
            for event in events {
                apply_event(state, event, &mut fx, out);
            }
            fx.into_changes(state)
        });
        if let Some(seq) = last_seq {
            changes.push(Change::LastEventSeq(seq));
        }
        self.dirty.extend(dirty);
        tracing::trace!(count, ?last_seq, "events applied");
        self.write(changes).await;
        if let Some(seq) = last_seq {
            self.session.applied_seq.store(seq, Ordering::Release);
        }
    }

    /// Applies API answers.
    async fn apply_updates(&mut self, updates: Vec<LocalUpdate>) {
        let (changes, dirty) = self.session.update(|state, out| {
            let mut fx = Effects::default();
            for update in updates {
                apply_local(state, update, &mut fx, out);
            }
            fx.into_changes(state)
        });
        self.dirty.extend(dirty);
        self.write(changes).await;
    }

    /// Writes a batch and publishes the messages that were new to the cache.
    async fn write(&self, changes: Vec<Change>) {
        if changes.is_empty() {
            return;
        }
        match self.session.store.apply(changes).await {
            Ok(applied) => publish_new_messages(&self.session, applied.new_messages),
            Err(error) => {
                // The state is ahead of the file; the next sync brings the file back in step.
                tracing::error!(%error, "could not store a batch");
            }
        }
    }

    async fn control(&mut self, control: Inbound) {
        match control {
            Inbound::LoggedIn(logged_in) => self.logged_in(*logged_in).await,
            Inbound::Lost => {
                if matches!(*self.session.phase.borrow(), Phase::Ready | Phase::Syncing) {
                    self.session.phase.send_replace(Phase::Offline);
                }
            }
            Inbound::Ended(reason) => {
                self.session.phase.send_replace(Phase::Ended(reason));
            }
            Inbound::Event { .. } => {}
        }
    }

    async fn logged_in(&mut self, logged_in: LoggedIn) {
        let session = self.session.clone();
        session.update(|state, _| state.limits = logged_in.limits.clone());
        if !logged_in.resumed {
            self.needs_sync = true;
            session
                .applied_seq
                .store(logged_in.event_seq, Ordering::Release);
        }
        let record = SessionRecord {
            user_id: session.user_id.clone(),
            device_id: session.config.device_id.clone(),
            session_id: logged_in.session_id.clone(),
            last_event_seq: session.applied_seq.load(Ordering::Acquire),
        };
        if let Err(error) = session.store.save_session(record).await {
            tracing::error!(%error, "could not save the session");
        }
        let syncing = self.needs_sync;
        if self.needs_sync {
            session.phase.send_replace(Phase::Syncing);
            for attempt in 1..=3u32 {
                match self.full_sync().await {
                    Ok(()) => {
                        self.needs_sync = false;
                        break;
                    }
                    Err(error) => {
                        tracing::warn!(%error, attempt, "sync failed");
                        if !error.is_transient() || !session.is_started() {
                            break;
                        }
                        tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
                    }
                }
            }
        }
        session.phase.send_replace(Phase::Ready);
        session.outbox_wake.notify_one();
        if !self.needs_sync && (syncing || self.catch_up_unfinished().await) {
            self.start_catch_up();
        }
    }

    /// True when the last catch-up did not complete (interrupted by a lost connection,
    /// or still running across a reconnect): a resumed login must start it over, since a
    /// resume replays events, not the messages the catch-up had yet to fetch.
    async fn catch_up_unfinished(&mut self) -> bool {
        match self.catch_up.take() {
            Some(task) if task.is_finished() => !task.await.unwrap_or(false),
            Some(task) => {
                task.abort();
                true
            }
            None => false,
        }
    }

    /// `sync` with the cached versions, applied to state and store.
    async fn full_sync(&mut self) -> Result<(), SdkError> {
        let session = self.session.clone();
        let span = tracing::info_span!("sync.full");
        async move {
            let known = session.read(|state| state.known_versions());
            let response = session.request(Request::Sync(Sync { known })).await?;
            let Response::Synced(synced) = response else {
                return Err(SdkError::unexpected("sync", &response));
            };
            tracing::info!(
                changed = synced.changed.len(),
                unchanged = synced.unchanged.len(),
                removed = synced.removed.len(),
                "synced"
            );
            let missing = session.update(|state, out| {
                for id in &synced.removed {
                    state.remove_community(id, out);
                }
                for snapshot in &synced.changed {
                    state.upsert_community(snapshot.clone(), out);
                }
                let mut missing = Vec::new();
                for unchanged in &synced.unchanged {
                    let id = &unchanged.community_id;
                    if state.community(id).is_none() {
                        missing.push(id.clone());
                        continue;
                    }
                    state.set_notification(id, unchanged.notification, out);
                    state.set_me(unchanged.me.clone(), out);
                    state.set_member_count(id, unchanged.member_count, out);
                    for head in &unchanged.heads {
                        state.apply_head(head, true, out);
                    }
                }
                missing
            });
            session.store.apply(vec![Change::Synced(synced)]).await?;
            self.dirty.clear();
            for community_id in missing {
                let response = session
                    .request(Request::GetCommunity(CommunityRef { community_id }))
                    .await?;
                if let Response::Community(snapshot) = response {
                    self.apply_updates(vec![LocalUpdate::Snapshot(snapshot)])
                        .await;
                }
            }
            Ok(())
        }
        .instrument(span)
        .await
    }

    /// Fetches the missed messages of cached channels in the background.
    fn start_catch_up(&mut self) {
        if let Some(previous) = self.catch_up.take() {
            previous.abort();
        }
        let session = self.session.clone();
        self.catch_up = Some(tokio::spawn(
            history::catch_up(session).instrument(tracing::info_span!("sync.catch_up")),
        ));
    }

    /// Refetches the heads of communities whose counts are estimates.
    async fn refetch_heads(&mut self) {
        if *self.session.phase.borrow() != Phase::Ready {
            return;
        }
        let dirty = std::mem::take(&mut self.dirty);
        for community_id in dirty {
            let request = Request::GetHeads(CommunityRef {
                community_id: community_id.clone(),
            });
            match self.session.request(request).await {
                Ok(Response::Heads { heads }) => {
                    tracing::debug!(community = %community_id, count = heads.len(), "heads refetched");
                    self.apply_updates(vec![LocalUpdate::Heads(heads)]).await;
                }
                Ok(other) => tracing::warn!(?other, "unexpected answer to get_heads"),
                Err(SdkError::Api(error)) if error.kind() == ErrorKind::NotFound => {}
                Err(error) => {
                    tracing::debug!(%error, "heads refetch postponed");
                    self.dirty.insert(community_id);
                    return;
                }
            }
        }
    }
}

/// Publishes `Inserted` for messages that were new to the cache.
pub(crate) fn publish_new_messages(session: &UserSession, messages: Vec<Message>) {
    if messages.is_empty() {
        return;
    }
    session
        .hub
        .publish(messages.into_iter().map(|message| Publication::Message {
            community_id: message.community_id.clone(),
            channel_id: message.channel_id.clone(),
            update: MessageUpdate::Inserted(message),
        }));
}
