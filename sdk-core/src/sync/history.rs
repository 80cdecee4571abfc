//! History: catching up missed messages after a reconnect, and reading pages of a
//! channel's history from the cache with transparent gap repair (protocol §9.2).
//!
//! Messages are stored insert-or-ignore by `(channel_id, seq)`, so a page fetched twice,
//! or fetched while the same messages arrive as events, is stored once. Neither path
//! touches unread counts: those come from heads and events only.

use std::sync::Arc;

use community_protocol::request::GetMessages;
use community_protocol::response::MessagesPage;
use community_protocol::{ChannelId, CommunityId, Message, Seq, op};

use tracing::Instrument;

use super::retry;
use super::{BehindReports, publish_new_messages, publish_updated};
use crate::connection::ConnectionHandle;
use crate::error::SdkError;
use crate::state::StateCell;
use crate::store::Store;

/// What reading history needs: the cache, the state (for heads) and, when online, the
/// connection to fill holes from.
pub(crate) struct HistoryReader {
    pub store: Store,
    pub cell: Arc<StateCell>,
    /// `None` offline: pages hold whatever is cached.
    pub connection: Option<ConnectionHandle>,
    /// Where to report channels whose caches turn out to miss changes.
    pub behind: Option<BehindReports>,
}

impl HistoryReader {
    async fn get_messages(&self, params: GetMessages) -> Result<MessagesPage, SdkError> {
        let connection = self.connection.as_ref().ok_or(SdkError::NotLoggedIn)?;
        connection.call(op::GetMessages(params)).await
    }
}

/// Largest page the protocol allows.
const PAGE: u32 = 100;

/// After a sync: for every channel that has cached messages (one query lists them) and
/// whose head is beyond
/// them, fetch the holes between the oldest cached message and the head, at most the
/// `catch_up_limit` newest sequences per channel (older history is fetched when read).
/// Holes, not just what lies above the newest cached message: events that arrived
/// between the sync and this task may sit above a hole. A channel refused for good is
/// skipped. Returns false when interrupted by a failure worth retrying (the caller tries
/// again after a pause; a resume replays events, not these messages).
pub(crate) async fn catch_up(reader: &HistoryReader, catch_up_limit: u32) -> bool {
    let channels: Vec<(CommunityId, ChannelId, Seq)> = reader.cell.read(|state| {
        state
            .community_ids()
            .into_iter()
            .flat_map(|community_id| {
                let channels = state
                    .channel_entries(&community_id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|entry| (entry.info.channel_id, entry.head.last_seq));
                // Joined threads are caught up like channels.
                let threads = state
                    .joined_threads(&community_id)
                    .into_iter()
                    .map(|(info, head)| (info.thread_id, head.last_seq));
                channels
                    .chain(threads)
                    .map(|(id, last_seq)| (community_id.clone(), id, last_seq))
                    .collect::<Vec<_>>()
            })
            .collect()
    });
    // One query for the channels with a cache, rather than one per channel: a new
    // device in 10,000 channels would spend most of its login asking an empty cache.
    let cached: std::collections::HashSet<ChannelId> = match reader.store.cached_channels().await {
        Ok(cached) => cached
            .into_iter()
            .map(|(_, channel_id, _)| channel_id)
            .collect(),
        Err(error) => {
            tracing::info!(%error, "catch-up interrupted");
            return false;
        }
    };
    let limit = u64::from(catch_up_limit.max(1));
    for (community_id, channel_id, last_seq) in channels {
        if !cached.contains(&channel_id) {
            continue;
        }
        let caught_up = catch_up_channel(reader, &community_id, &channel_id, last_seq, limit).await;
        if retry::interrupted("catch-up", caught_up) {
            return false;
        }
    }
    true
}

async fn catch_up_channel(
    reader: &HistoryReader,
    community_id: &CommunityId,
    channel_id: &ChannelId,
    last_seq: Seq,
    limit: u64,
) -> Result<(), SdkError> {
    if last_seq == 0 {
        return Ok(());
    }
    let Some(oldest) = reader
        .store
        .messages_after(channel_id.clone(), 0, 1)
        .await?
        .first()
        .map(|m| m.seq)
    else {
        return Ok(());
    };
    fill_missing(
        reader,
        community_id,
        channel_id,
        oldest - 1,
        last_seq,
        limit,
    )
    .await
}

/// Up to which sequence a live timeline opening now has shown its channel (its
/// [`floor`](crate::events::Hub::timeline_floor)): the newest cached message (it opens
/// with the newest cached ones and is told of every message stored after), or, with none
/// cached, all but the newest page of what the counter says exists (older ones are
/// history, read when asked for).
pub(crate) async fn opening_floor(
    reader: &HistoryReader,
    community_id: &CommunityId,
    channel_id: &ChannelId,
) -> Result<Seq, SdkError> {
    let newest_cached = reader.store.max_seq(channel_id.clone()).await?;
    if newest_cached > 0 {
        return Ok(newest_cached);
    }
    let counted = reader.cell.read(|state| {
        state
            .counter(community_id, channel_id)
            .map_or(0, |counter| counter.last_seq)
    });
    Ok(counted.saturating_sub(u64::from(PAGE)))
}

/// Fetches, and publishes, the messages in `(above, up_to]` that the cache lacks, at most
/// the `limit` newest sequences (older ones are fetched when read).
///
/// The catch-up fills a cached channel from its oldest cached message; an open timeline is
/// filled from its floor (what it had shown when it opened) whenever its messages were not
/// sent whole (slow-path activity, a focus that just began, §9.5) or its live messages
/// show a hole. A timeline looks at what the cache lacks rather than above its newest
/// message or the channel's counter: both may stand above messages it never got —
/// activity and heads move the counter without bringing messages, and a live message may
/// be stored above them meanwhile.
pub(crate) async fn fill_missing(
    reader: &HistoryReader,
    community_id: &CommunityId,
    channel_id: &ChannelId,
    above: Seq,
    up_to: Seq,
    limit: u64,
) -> Result<(), SdkError> {
    let from = above.max(up_to.saturating_sub(limit.max(1))) + 1;
    if from > up_to {
        return Ok(());
    }
    let span = tracing::debug_span!("sync.fill_missing", channel = %channel_id, from, up_to);
    async {
        let missing = reader
            .store
            .missing_ranges(channel_id.clone(), from, up_to)
            .await?;
        for (low, high) in missing {
            tracing::debug!(channel = %channel_id, low, high, "fetching missing messages");
            fetch_after(reader, community_id, channel_id, low - 1, high, true).await?;
        }
        Ok(())
    }
    .instrument(span)
    .await
}

/// Fetches the messages in `(after, up_to]` from the server into the cache, page by page;
/// publishes the new ones when `publish`.
async fn fetch_after(
    reader: &HistoryReader,
    community_id: &CommunityId,
    channel_id: &ChannelId,
    mut after: Seq,
    up_to: Seq,
    publish: bool,
) -> Result<(), SdkError> {
    while after < up_to {
        let page = reader
            .get_messages(GetMessages {
                community_id: community_id.clone(),
                channel_id: channel_id.clone(),
                before_seq: None,
                after_seq: Some(after),
                limit: Some(page_size(up_to - after)),
            })
            .await?;
        let newest = page.messages.last().map(|m| m.seq);
        store_page(
            reader,
            community_id,
            channel_id,
            page.messages,
            page.change_seq,
            publish,
        )
        .await?;
        match next_after(after, newest, page.has_more) {
            Some(next) => after = next,
            None => break,
        }
    }
    Ok(())
}

/// A page of history: up to `limit` messages below `before_seq` (the newest when
/// `None`), ascending, from the cache. Holes in that range are fetched from the server
/// first when connected; offline, whatever is cached is returned.
pub(crate) async fn history_page(
    reader: &HistoryReader,
    community_id: &CommunityId,
    channel_id: &ChannelId,
    before_seq: Option<Seq>,
    limit: u32,
) -> Result<Vec<Message>, SdkError> {
    let known_last = reader
        .cell
        .read(|state| state.counter(community_id, channel_id).map(|c| c.last_seq))
        .unwrap_or(0);
    let cached_last = reader.store.max_seq(channel_id.clone()).await?;
    let top = match before_seq {
        Some(before) => before.saturating_sub(1),
        None => known_last.max(cached_last),
    };
    if top == 0 && before_seq.is_none() && reader.connection.is_some() {
        // Nothing known of it (a thread not joined): its newest page, from the server.
        let page = reader
            .get_messages(GetMessages {
                community_id: community_id.clone(),
                channel_id: channel_id.clone(),
                before_seq: None,
                after_seq: None,
                limit: Some(limit),
            })
            .await?;
        let newest = page.messages.clone();
        store_page(
            reader,
            community_id,
            channel_id,
            page.messages,
            page.change_seq,
            false,
        )
        .await?;
        return Ok(newest);
    }
    if top == 0 {
        return Ok(Vec::new());
    }
    let low = top.saturating_sub(u64::from(limit.max(1)) - 1).max(1);
    if reader.connection.is_some() {
        let missing = reader
            .store
            .missing_ranges(channel_id.clone(), low, top)
            .await?;
        for (from, to) in missing.into_iter().rev() {
            fill_range(reader, community_id, channel_id, from, to).await?;
        }
    }
    Ok(reader
        .store
        .messages_before(channel_id.clone(), Some(top.saturating_add(1)), limit)
        .await?)
}

/// Fetches `from..=to` (newest first, pages of 100) into the cache.
async fn fill_range(
    reader: &HistoryReader,
    community_id: &CommunityId,
    channel_id: &ChannelId,
    from: Seq,
    to: Seq,
) -> Result<(), SdkError> {
    let span = tracing::debug_span!("sync.fill_gap", channel = %channel_id, from, to);
    fill_range_inner(reader, community_id, channel_id, from, to)
        .instrument(span)
        .await
}

async fn fill_range_inner(
    reader: &HistoryReader,
    community_id: &CommunityId,
    channel_id: &ChannelId,
    from: Seq,
    mut to: Seq,
) -> Result<(), SdkError> {
    while to >= from {
        let page = reader
            .get_messages(GetMessages {
                community_id: community_id.clone(),
                channel_id: channel_id.clone(),
                before_seq: Some(to.saturating_add(1)),
                after_seq: None,
                limit: Some(page_size((to - from).saturating_add(1))),
            })
            .await?;
        let oldest = page.messages.first().map(|m| m.seq);
        store_page(
            reader,
            community_id,
            channel_id,
            page.messages,
            page.change_seq,
            false,
        )
        .await?;
        match next_to(from, to, oldest) {
            Some(next) => to = next,
            None => break,
        }
    }
    Ok(())
}

/// A page size for `wanted` messages: at most the protocol's largest page.
fn page_size(wanted: u64) -> u32 {
    u32::try_from(wanted.min(u64::from(PAGE))).unwrap_or(PAGE)
}

/// Where the next page of [`fetch_after`] starts: after the newest message of this page
/// when the page moved forward and the server has more. A page that does not move forward
/// (empty, or out of range from a misbehaving server) ends the loop, so paging is bounded
/// by real progress.
fn next_after(after: Seq, newest: Option<Seq>, has_more: bool) -> Option<Seq> {
    newest.filter(|&newest| newest > after && has_more)
}

/// Where the next, older page of [`fill_range`] ends: just below the oldest message of
/// this page, when it reached below `to` and `from` is not reached yet (same rule as
/// [`next_after`]).
fn next_to(from: Seq, to: Seq, oldest: Option<Seq>) -> Option<Seq> {
    oldest
        .filter(|&oldest| oldest > from && oldest <= to)
        .map(|oldest| oldest - 1)
}

/// Stores a page the server read at `change_seq`; publishes the new messages when
/// `publish` and the cached ones it brought up to date always; reports the channel when
/// its cache turns out to miss changes.
async fn store_page(
    reader: &HistoryReader,
    community_id: &CommunityId,
    channel_id: &ChannelId,
    messages: Vec<Message>,
    change_seq: u64,
    publish: bool,
) -> Result<(), SdkError> {
    // Storing and publishing run as one task of their own: the catch-up that asked may be
    // aborted (a newer one replaces it after a resume) while the store writes, and a page
    // stored but never published would leave open timelines without those messages for
    // good (the next catch-up finds them cached).
    let (store, cell, behind) = (
        reader.store.clone(),
        reader.cell.clone(),
        reader.behind.clone(),
    );
    let (community_id, channel_id) = (community_id.clone(), channel_id.clone());
    let task = tokio::spawn(async move {
        let outcome = store
            .insert_page(community_id, channel_id, messages, change_seq)
            .await?;
        if publish {
            publish_new_messages(cell.hub(), outcome.new);
        }
        publish_updated(cell.hub(), outcome.updated);
        if let Some(behind) = &behind {
            behind.report(outcome.behind);
        }
        Ok::<(), SdkError>(())
    });
    match task.await {
        Ok(stored) => stored,
        // Cancelled only when the runtime shuts down, i.e. the client is closing.
        Err(error) => {
            tracing::debug!(%error, "storing a page did not finish");
            Err(SdkError::Closed)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_stops_when_a_page_makes_no_progress() {
        assert_eq!(next_after(10, Some(110), true), Some(110));
        assert_eq!(next_after(10, Some(110), false), None, "no more");
        assert_eq!(next_after(10, None, true), None, "empty page");
        assert_eq!(next_after(10, Some(10), true), None, "no progress");
        assert_eq!(next_after(10, Some(3), true), None, "answer out of range");

        assert_eq!(next_to(1, 300, Some(201)), Some(200));
        assert_eq!(next_to(1, 300, Some(1)), None, "reached the start");
        assert_eq!(next_to(150, 300, Some(120)), None, "reached `from`");
        assert_eq!(next_to(1, 300, None), None, "empty page");
        assert_eq!(next_to(1, 300, Some(301)), None, "answer out of range");
        assert_eq!(next_to(1, u64::MAX, Some(u64::MAX)), Some(u64::MAX - 1));
    }
}
