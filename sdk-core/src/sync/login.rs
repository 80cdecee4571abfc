//! What the sync task does around logins: the login markers of the connection, the full
//! `sync` after a login that did not resume (or after a damaged event), the background
//! catch-up of missed messages, and heads refetches.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::Ordering;
use std::time::Duration;

use community_protocol::request::{CommunityRef, Sync};
use community_protocol::response::LoggedIn;
use community_protocol::{CommunityId, ErrorKind, op};
use tracing::Instrument;

use super::changes::{self, BehindReports, ChangeReader};
use super::history::{self, HistoryReader};
use super::{Job, LocalUpdate, Processor};
use crate::connection::Inbound;
use crate::error::SdkError;
use crate::model::SyncState;
use crate::phase::Phase;
use crate::store::{Change, SessionRecord};

/// Attempts of a `sync` on one connection before reconnecting.
const SYNC_ATTEMPTS: u32 = 3;

impl Processor {
    pub(super) async fn control(&mut self, control: Inbound) {
        match control {
            Inbound::LoggedIn(logged_in) => self.logged_in(*logged_in).await,
            Inbound::Lost => {
                if matches!(*self.cx.phase.borrow(), Phase::Ready | Phase::Syncing) {
                    self.cx.phase.send_replace(Phase::Offline);
                }
                if let Some(task) = self.catch_up.take() {
                    task.abort();
                }
                // A repair is left to fail: it reports the channels it did not finish,
                // which are repaired after the next login (a resume does not catch up).
                self.set_sync_state(SyncState::Offline);
            }
            Inbound::Ended(reason) => {
                self.cx.phase.send_replace(Phase::Ended(reason));
                if let Some(task) = self.catch_up.take() {
                    task.abort();
                }
                self.set_sync_state(SyncState::Offline);
            }
            Inbound::MemberList(list) => self.cx.member_lists.install(&list),
            Inbound::InOrder(response) => {
                if let Some(update) = super::people::answer_update(*response) {
                    self.apply_updates(vec![LocalUpdate::People(update)]).await;
                }
            }
            Inbound::Event { .. } | Inbound::Malformed { .. } => {}
        }
    }

    async fn logged_in(&mut self, logged_in: LoggedIn) {
        self.cx
            .cell
            .update(|state, _| state.limits = logged_in.limits.clone());
        if logged_in.resumed {
            self.replay_until = Some(logged_in.event_seq);
        } else {
            self.needs_sync = true;
            self.replay_until = None;
            self.new_session_forgets();
            self.cx
                .applied_seq
                .store(logged_in.event_seq, Ordering::Release);
        }
        let record = SessionRecord {
            user_id: self.cx.user_id.clone(),
            device_id: self.cx.device_id.clone(),
            session_id: logged_in.session_id.clone(),
            last_event_seq: self.cx.applied_seq.load(Ordering::Acquire),
        };
        if let Err(error) = self.cx.store.save_session(record).await {
            tracing::error!(%error, "could not save the session");
        }
        if self.needs_sync || self.resync {
            self.cx.phase.send_replace(Phase::Syncing);
            self.set_sync_state(SyncState::Syncing);
            let forget = self.resync;
            if !self.sync_with_retries(forget).await {
                return;
            }
            self.needs_sync = false;
            self.resync = false;
            self.catch_up_pending = true;
        }
        self.cx.phase.send_replace(Phase::Ready);
        self.set_sync_state(SyncState::CatchingUp);
        // A new connection: what waited for a pause is fetched at once.
        self.catch_up_retry.reset();
        self.repair_retry.reset();
        self.focus.retry.reset();
        self.cx.outbox_wake.notify_one();
        tokio::spawn(
            super::people::restore(self.cx.connection.clone(), self.cx.cell.clone())
                .instrument(tracing::debug_span!("sync.restore_people")),
        );
        if self.catch_up_pending {
            // A resume replays events, not the messages an interrupted catch-up had yet
            // to fetch: start it over.
            self.start_catch_up();
        }
        self.maybe_caught_up();
    }

    /// Runs `sync` (up to [`SYNC_ATTEMPTS`] times on this connection); on failure asks
    /// the connection to reconnect, so the next login tries again. False when it failed.
    async fn sync_with_retries(&mut self, forget: bool) -> bool {
        for attempt in 1..=SYNC_ATTEMPTS {
            match self.full_sync(forget).await {
                Ok(()) => return true,
                Err(error) => {
                    tracing::warn!(%error, attempt, "sync failed");
                    if self.connection_lost_meanwhile() || !self.cx.connection.is_running() {
                        return false;
                    }
                    if attempt < SYNC_ATTEMPTS {
                        let pause = Duration::from_millis(200 * u64::from(attempt));
                        self.await_draining(tokio::time::sleep(pause)).await;
                    }
                }
            }
        }
        tracing::warn!("sync keeps failing; reconnecting");
        self.cx.connection.reconnect();
        false
    }

    /// A damaged event was skipped: bring every community up to date afresh (as if
    /// nothing were cached), then catch up the messages.
    pub(super) async fn resync_everything(&mut self) {
        tracing::info!("re-syncing after a damaged event");
        self.cx.phase.send_replace(Phase::Syncing);
        self.set_sync_state(SyncState::Syncing);
        if !self.sync_with_retries(true).await {
            return;
        }
        self.resync = false;
        self.catch_up_pending = true;
        self.cx.phase.send_replace(Phase::Ready);
        self.set_sync_state(SyncState::CatchingUp);
        self.start_catch_up();
    }

    /// `sync` with the cached versions (none when `forget`), applied to state and store.
    async fn full_sync(&mut self, forget: bool) -> Result<(), SdkError> {
        let span = tracing::info_span!("sync.full", forget);
        async move {
            let known = if forget {
                BTreeMap::new()
            } else {
                self.cx.cell.read(|state| state.known_versions())
            };
            let connection = self.cx.connection.clone();
            let mut synced = self
                .await_draining(async move { connection.call(op::Sync(Sync { known })).await })
                .await?;
            tracing::info!(
                changed = synced.changed.len(),
                unchanged = synced.unchanged.len(),
                removed = synced.removed.len(),
                "synced"
            );
            if forget {
                // Without versions the server cannot say what was removed: whatever it
                // did not send back is gone.
                let returned: BTreeSet<&CommunityId> = synced
                    .changed
                    .iter()
                    .map(|s| &s.info.community_id)
                    .chain(synced.unchanged.iter().map(|u| &u.community_id))
                    .collect();
                let gone: Vec<CommunityId> = self.cx.cell.read(|state| {
                    state
                        .joined_community_ids()
                        .into_iter()
                        .filter(|id| !returned.contains(id))
                        .collect()
                });
                synced.removed.extend(gone);
            }
            let missing = self.cx.cell.update(|state, out| {
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
                    state.set_voice(id, unchanged.voice.clone(), out);
                    for head in &unchanged.heads {
                        state.apply_head(head, true, out);
                    }
                }
                state.replace_conversations(&synced.conversations, out);
                missing
            });
            self.cx.store.apply(vec![Change::Synced(synced)]).await?;
            self.dirty.clear();
            for community_id in missing {
                let connection = self.cx.connection.clone();
                let snapshot = self
                    .await_draining(async move {
                        connection
                            .call(op::GetCommunity(CommunityRef { community_id }))
                            .await
                    })
                    .await?;
                self.apply_updates(vec![LocalUpdate::Snapshot(snapshot)])
                    .await;
            }
            Ok(())
        }
        .instrument(span)
        .await
    }

    /// Starts an interrupted catch-up again once its pause ran out (while ready).
    pub(super) fn retry_catch_up(&mut self) {
        if self.catch_up_pending
            && self.catch_up.is_none()
            && self.catch_up_retry.due()
            && *self.cx.phase.borrow() == Phase::Ready
        {
            tracing::debug!("catching up again");
            self.start_catch_up();
        }
    }

    /// Fetches the missed messages of cached channels in the background; its end comes
    /// back as a job.
    fn start_catch_up(&mut self) {
        if let Some(previous) = self.catch_up.take() {
            previous.abort();
        }
        self.generation += 1;
        let generation = self.generation;
        let reader = HistoryReader {
            store: self.cx.store.clone(),
            cell: self.cx.cell.clone(),
            connection: Some(self.cx.connection.clone()),
            behind: Some(BehindReports(self.jobs_tx.clone())),
        };
        let changes = self.change_reader();
        let limit = self.cx.catch_up_limit;
        let report = self.jobs_tx.clone();
        let task = async move {
            let messages = history::catch_up(&reader, limit).await;
            let complete = messages && changes::catch_up_all(&changes).await;
            if let Some(report) = report.upgrade() {
                let _ = report
                    .send(Job::CatchUpDone {
                        generation,
                        complete,
                    })
                    .await;
            }
        };
        self.catch_up = Some(tokio::spawn(
            task.instrument(tracing::info_span!("sync.catch_up")),
        ));
    }

    fn change_reader(&self) -> ChangeReader {
        ChangeReader {
            store: self.cx.store.clone(),
            cell: self.cx.cell.clone(),
            connection: self.cx.connection.clone(),
            user_id: self.cx.user_id.clone(),
        }
    }

    /// Fetches the changes that channels noted behind miss, in the background; its end
    /// comes back as a job.
    pub(super) fn start_repair(&mut self) {
        if *self.cx.phase.borrow() != Phase::Ready {
            return;
        }
        let channels: Vec<_> = std::mem::take(&mut self.behind).into_iter().collect();
        let reader = self.change_reader();
        let report = self.jobs_tx.clone();
        let task = async move {
            let unfinished = changes::catch_up_channels(&reader, channels).await;
            if let Some(report) = report.upgrade() {
                let _ = report.send(Job::RepairDone { unfinished }).await;
            }
        };
        self.repair = Some(tokio::spawn(
            task.instrument(tracing::info_span!("sync.repair_changes")),
        ));
    }

    /// Refetches the heads of communities whose counts are estimates.
    pub(super) async fn refetch_heads(&mut self) {
        if *self.cx.phase.borrow() != Phase::Ready {
            return;
        }
        let dirty = std::mem::take(&mut self.dirty);
        for community_id in dirty {
            let connection = self.cx.connection.clone();
            let request = op::GetHeads(CommunityRef {
                community_id: community_id.clone(),
            });
            match self
                .await_draining(async move { connection.call(request).await })
                .await
            {
                Ok(heads) => {
                    tracing::debug!(community = %community_id, count = heads.heads.len(), "heads refetched");
                    self.apply_updates(vec![LocalUpdate::Heads(heads.heads)])
                        .await;
                }
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
