//! Catching up changes to cached messages (edits, recalls, reactions, pins) that this
//! device did not receive as events: after a login that did not resume, and when a gap
//! shows in a channel's change sequence (protocol "message changes").
//!
//! For each channel with cached messages whose cache applied fewer changes than the
//! channel has, the changes after the applied one are fetched page by page
//! (`get_changes`) and applied to the cache in order; the messages they change are
//! published as `Updated`. Channels are fetched a few at a time. A channel too far behind
//! (more than [`MAX_CHANGES_PER_CHANNEL`] changes) drops its cached messages instead: the
//! cache refills them, current, when the channel is read. Counts are not touched here:
//! they come from heads (and the events that moved them).

use std::sync::Arc;

use community_protocol::request::GetChanges;
use community_protocol::{ChannelId, CommunityId, UserId, op};
use futures_util::StreamExt;
use futures_util::stream;
use tokio::sync::mpsc;

use super::retry;
use super::{Job, publish_updated};
use crate::connection::ConnectionHandle;
use crate::error::SdkError;
use crate::state::StateCell;
use crate::store::Store;

/// Most changes fetched for one channel; beyond, its cached messages are dropped.
pub(crate) const MAX_CHANGES_PER_CHANNEL: u64 = 5_000;
/// Channels fetched at once.
const CONCURRENT_CHANNELS: usize = 4;
/// Largest page of `get_changes`.
const PAGE: u32 = 100;

/// What catching up changes needs.
#[derive(Clone)]
pub(crate) struct ChangeReader {
    pub store: Store,
    pub cell: Arc<StateCell>,
    pub connection: ConnectionHandle,
    pub user_id: UserId,
}

/// A way to tell the sync task that channels' caches are behind (from outside it:
/// history pages read by the API). Weak: it never keeps the task alive.
#[derive(Clone)]
pub(crate) struct BehindReports(pub(super) mpsc::WeakSender<Job>);

impl BehindReports {
    /// Reports channels whose caches miss changes; the sync task fetches them. Never
    /// waits: when the task is busy the report is dropped and the next login catches up.
    pub(crate) fn report(&self, channels: Vec<(CommunityId, ChannelId)>) {
        if channels.is_empty() {
            return;
        }
        if let Some(jobs) = self.0.upgrade()
            && jobs.try_send(Job::Behind(channels)).is_err()
        {
            tracing::debug!("sync task busy; changes are caught up at the next login");
        }
    }
}

/// Catches up every cached channel whose cache is behind the channel's change sequence
/// as the state knows it (after a sync). Returns false when interrupted.
pub(crate) async fn catch_up_all(reader: &ChangeReader) -> bool {
    let cached = match reader.store.cached_channels().await {
        Ok(cached) => cached,
        Err(error) => {
            tracing::warn!(%error, "cannot list cached channels");
            return false;
        }
    };
    let wanted: Vec<(CommunityId, ChannelId, u64, u64)> = reader.cell.read(|state| {
        cached
            .into_iter()
            .filter_map(|(community_id, channel_id, applied)| {
                let newest = state.counter(&community_id, &channel_id)?.change_seq;
                (newest > applied).then_some((community_id, channel_id, applied, newest))
            })
            .collect()
    });
    run(reader, wanted).await.is_empty()
}

/// Catches up the given channels from where their caches stand, until the server has
/// nothing newer. Returns the channels interrupted by a failure worth retrying.
pub(crate) async fn catch_up_channels(
    reader: &ChangeReader,
    channels: Vec<(CommunityId, ChannelId)>,
) -> Vec<(CommunityId, ChannelId)> {
    let cached = match reader.store.cached_channels().await {
        Ok(cached) => cached,
        Err(error) => {
            tracing::warn!(%error, "cannot list cached channels");
            return channels;
        }
    };
    let wanted: Vec<(CommunityId, ChannelId, u64, u64)> = reader.cell.read(|state| {
        cached
            .into_iter()
            .filter(|(community_id, channel_id, _)| {
                channels
                    .iter()
                    .any(|(c, ch)| c == community_id && ch == channel_id)
            })
            .map(|(community_id, channel_id, applied)| {
                let newest = state
                    .counter(&community_id, &channel_id)
                    .map_or(applied, |c| c.change_seq);
                (community_id, channel_id, applied, newest)
            })
            .collect()
    });
    run(reader, wanted).await
}

/// Catches up `wanted`; returns the channels interrupted by a failure worth retrying.
async fn run(
    reader: &ChangeReader,
    wanted: Vec<(CommunityId, ChannelId, u64, u64)>,
) -> Vec<(CommunityId, ChannelId)> {
    if wanted.is_empty() {
        return Vec::new();
    }
    tracing::debug!(channels = wanted.len(), "catching up message changes");
    let results: Vec<(CommunityId, ChannelId, Result<(), SdkError>)> = stream::iter(wanted)
        .map(|(community_id, channel_id, applied, newest)| async move {
            let result = catch_up_channel(
                reader,
                community_id.clone(),
                channel_id.clone(),
                applied,
                newest,
            )
            .await;
            (community_id, channel_id, result)
        })
        .buffer_unordered(CONCURRENT_CHANNELS)
        .collect()
        .await;
    let mut unfinished = Vec::new();
    for (community_id, channel_id, result) in results {
        if retry::interrupted("change catch-up", result) {
            unfinished.push((community_id, channel_id));
        }
    }
    unfinished
}

async fn catch_up_channel(
    reader: &ChangeReader,
    community_id: CommunityId,
    channel_id: ChannelId,
    mut applied: u64,
    newest: u64,
) -> Result<(), SdkError> {
    if newest.saturating_sub(applied) > MAX_CHANGES_PER_CHANNEL {
        tracing::info!(
            channel = %channel_id,
            missed = newest - applied,
            "too many changes missed; the channel's cache refills when read"
        );
        reader.store.forget_messages(channel_id).await?;
        return Ok(());
    }
    let mut fetched = 0u64;
    loop {
        let page = reader
            .connection
            .call(op::GetChanges(GetChanges {
                community_id: community_id.clone(),
                channel_id: channel_id.clone(),
                after_change_seq: applied,
                limit: Some(PAGE),
            }))
            .await?;
        let Some(last) = page.changes.last().map(|c| c.change_seq) else {
            return Ok(());
        };
        if last <= applied {
            // A page that does not move forward (a misbehaving server) ends the loop.
            return Ok(());
        }
        fetched += page.changes.len() as u64;
        let outcome = reader
            .store
            .apply_message_changes(page.changes, reader.user_id.clone())
            .await?;
        publish_updated(reader.cell.hub(), outcome.updated);
        applied = last;
        if !page.has_more || fetched > MAX_CHANGES_PER_CHANNEL {
            return Ok(());
        }
    }
}
