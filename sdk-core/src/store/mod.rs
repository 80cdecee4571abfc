//! The SDK's local cache: one SQLite file per user, the device's single source of truth.
//! The network writes into it, the in-memory state is built from it at start-up, the UI
//! pages history out of it, and the outbox keeps unsent messages in it across restarts.
//!
//! Shape (see `docs/ARCHITECTURE.md`, lessons about SQLite):
//! - WAL journal, `synchronous=NORMAL`, a busy timeout, foreign keys on.
//! - ONE writer connection on a dedicated thread. Writes are jobs sent down a channel;
//!   the thread folds every job already queued into one transaction (each job in its own
//!   savepoint), commits, then answers. See [`worker`].
//! - A few read-only connections, each on its own thread, for queries.
//! - Every method is `async` and only awaits a tokio oneshot: no tokio thread ever waits
//!   on SQLite. Busy answers are retried inside; "database is locked" never reaches the
//!   caller.
//! - Numbered migrations in `user_version` ([`schema`]).
//!
//! [`Store`] is a cheap `Clone` handle (an `Arc` inside); its threads stop by themselves
//! when the last handle is dropped, after committing the writes already queued.
//!
//! Submodules, one concern each: [`error`] (the error type), [`records`] (the store's own
//! records), [`change`] (writes as data, for batches), `schema`, `worker`, `columns`
//! (encodings), and the SQL of each area: `session`, `communities`, `messages`,
//! `message_changes` (keeping cached messages equal to the server's), `search_index`
//! and `search` (the full-text index of cached messages — writes only queue its work,
//! the writer does it when idle or when a search asks — and its queries), `outbox`,
//! `pending` (changes made on this device); `changes_api` holds the methods of the last
//! two; `push` keeps this device's push token.

mod change;
mod changes_api;
mod columns;
mod communities;
mod community_rows;
mod conversations;
mod error;
mod message_changes;
mod messages;
mod outbox;
mod pending;
mod profiles;
mod push;
mod records;
mod schema;
mod search;
mod search_index;
mod session;
mod threads;
mod worker;

#[cfg(test)]
pub(crate) mod test_support;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use community_protocol::response::Synced;
use community_protocol::{
    ApiError, CategoryId, CategoryInfo, ChannelHead, ChannelId, ChannelInfo, CommunityId,
    CommunityInfo, CommunitySnapshot, MemberInfo, Message, NotificationStatus, Seq,
};
use rusqlite::Connection;
use tokio::sync::oneshot;
use tracing::{Instrument, Span};

pub use change::Change;
pub use error::StoreError;
pub use push::{PushSet, PushTokenRecord};
pub use records::{
    Applied, CachedWorld, OutboxEntry, OutboxState, Replacement, SentOutcome, SessionRecord,
    StoreOptions,
};
pub use search::{DF_CAP, LocalSearchPage, SearchCursor, SearchRequest, WINDOW};

/// Result of a store operation.
pub type StoreResult<T> = Result<T, StoreError>;

/// A handle on one user's cache file. Cheap to clone; `Send + Sync`.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    /// The job channels; `None` once [`Store::shutdown`] ran.
    channels: std::sync::Mutex<Option<worker::Channels>>,
    path: PathBuf,
    /// Yields `None` once every store thread has exited (each holds a sender).
    stopped: tokio::sync::Mutex<tokio::sync::mpsc::Receiver<()>>,
    /// The store's threads, joined by [`Store::shutdown`].
    threads: std::sync::Mutex<Vec<std::thread::JoinHandle<()>>>,
    /// Set by the writer while the search index has no queued work (see `worker`).
    index_clean: Arc<std::sync::atomic::AtomicBool>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.inner.path)
            .finish()
    }
}

impl Store {
    /// Opens (creating if needed) the cache file at `path` with default options, and
    /// brings its schema up to date.
    pub async fn open(path: impl AsRef<Path>) -> StoreResult<Store> {
        Self::open_with(path, StoreOptions::default()).await
    }

    /// Opens the cache file at `path` with `options`.
    pub async fn open_with(path: impl AsRef<Path>, options: StoreOptions) -> StoreResult<Store> {
        let path = path.as_ref().to_path_buf();
        let span = tracing::info_span!("store.open", path = %path.display());
        async move {
            let readers = options.readers.clamp(1, 8);
            let (channels, write_jobs, read_jobs) = worker::channels();
            let (alive, stopped) = tokio::sync::mpsc::channel::<()>(1);
            let mut threads = Vec::with_capacity(readers + 1);
            let index_clean = Arc::new(std::sync::atomic::AtomicBool::new(false));

            // The writer opens and migrates first; readers open once the schema exists.
            let (ready, writer_ready) = oneshot::channel();
            {
                let thread_path = path.clone();
                let options = options.clone();
                let alive = alive.clone();
                let index_clean = index_clean.clone();
                threads.push(spawn_thread("community-store-writer", &path, move || {
                    let path = thread_path;
                    let _alive = alive;
                    match schema::open_writer(&path, &options) {
                        Ok(connection) => {
                            let _ = ready.send(Ok(()));
                            worker::run_writer(connection, write_jobs, &options, index_clean);
                        }
                        Err(error) => {
                            let _ = ready.send(Err(error));
                        }
                    }
                })?);
            }
            writer_ready.await.map_err(|_| StoreError::Closed)??;

            let mut readers_ready = Vec::with_capacity(readers);
            for index in 0..readers {
                let (ready, reader_ready) = oneshot::channel();
                let thread_path = path.clone();
                let options = options.clone();
                let alive = alive.clone();
                let jobs = read_jobs.clone();
                threads.push(spawn_thread(
                    &format!("community-store-reader-{index}"),
                    &path,
                    move || {
                        let path = thread_path;
                        let _alive = alive;
                        match schema::open_reader(&path, &options) {
                            Ok(connection) => {
                                let _ = ready.send(Ok(()));
                                worker::run_reader(connection, jobs);
                            }
                            Err(error) => {
                                let _ = ready.send(Err(error));
                            }
                        }
                    },
                )?);
                readers_ready.push(reader_ready);
            }
            drop(alive);
            for ready in readers_ready {
                ready.await.map_err(|_| StoreError::Closed)??;
            }
            tracing::debug!(readers, "store open");
            Ok(Store {
                inner: Arc::new(Inner {
                    channels: std::sync::Mutex::new(Some(channels)),
                    path,
                    stopped: tokio::sync::Mutex::new(stopped),
                    threads: std::sync::Mutex::new(threads),
                    index_clean,
                }),
            })
        }
        .instrument(span)
        .await
    }

    /// The cache file's path.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Drops this handle. When it is the last one, also waits until the queued writes are
    /// committed and every connection is closed (so the file can be reopened or deleted
    /// at once). Dropping the last handle without `close` stops the threads too, in the
    /// background.
    pub async fn close(self) {
        if Arc::strong_count(&self.inner) == 1 {
            self.shutdown().await;
        }
    }

    /// Stops the store for every handle: the writes already queued are committed, every
    /// connection is closed and every thread has ended when this returns (so the file
    /// can be reopened or deleted at once). Later calls on any handle fail with
    /// [`StoreError::Closed`].
    pub async fn shutdown(&self) {
        let channels = self.channels_slot().take();
        drop(channels);
        // `recv` returns `None` once the last thread has dropped its sender…
        let _ = self.inner.stopped.lock().await.recv().await;
        // … and joining them waits until they are gone from the process.
        let threads = std::mem::take(
            &mut *self
                .inner
                .threads
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        if !threads.is_empty() {
            let joined = tokio::task::spawn_blocking(move || {
                for thread in threads {
                    let _ = thread.join();
                }
            });
            let _ = joined.await;
        }
    }

    fn channels_slot(&self) -> std::sync::MutexGuard<'_, Option<worker::Channels>> {
        // Holds two senders; a panic elsewhere leaves them consistent.
        self.inner
            .channels
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    // ----- writes -----

    /// Applies `changes` in order, in one transaction: all or nothing.
    pub async fn apply(&self, changes: Vec<Change>) -> StoreResult<Applied> {
        let span = tracing::debug_span!("store.apply", changes = changes.len());
        self.write(span, move |c| change::apply(c, changes)).await
    }

    /// Replaces everything about one community with `snapshot` (info, categories,
    /// channels, my membership, notification status, heads). Channels missing from it
    /// lose their cached messages.
    pub async fn apply_snapshot(&self, snapshot: CommunitySnapshot) -> StoreResult<()> {
        let span =
            tracing::debug_span!("store.apply_snapshot", community = %snapshot.info.community_id);
        self.write(span, move |c| communities::apply_snapshot(c, &snapshot))
            .await
    }

    /// Applies a `sync` answer in one transaction; returns how many `unchanged`
    /// communities were skipped because they are not cached (re-sync those).
    pub async fn apply_synced(&self, synced: Synced) -> StoreResult<usize> {
        let span = tracing::debug_span!(
            "store.apply_synced",
            changed = synced.changed.len(),
            unchanged = synced.unchanged.len(),
            removed = synced.removed.len()
        );
        self.write(span, move |c| communities::apply_synced(c, &synced))
            .await
    }

    /// Replaces a cached community's info; false when it is not cached.
    pub async fn upsert_community_info(&self, info: CommunityInfo) -> StoreResult<bool> {
        let span =
            tracing::debug_span!("store.upsert_community_info", community = %info.community_id);
        self.write(span, move |c| communities::update_info(c, &info))
            .await
    }

    /// Removes a community with its categories, channels, heads and cached messages
    /// (its outbox entries stay); false when it was not cached.
    pub async fn remove_community(&self, community_id: CommunityId) -> StoreResult<bool> {
        let span = tracing::debug_span!("store.remove_community", community = %community_id);
        self.write(span, move |c| {
            communities::remove_community(c, &community_id)
        })
        .await
    }

    /// Removes every cached community not in `keep` (after a full re-sync); returns the
    /// removed ids.
    pub async fn retain_communities(
        &self,
        keep: Vec<CommunityId>,
    ) -> StoreResult<Vec<CommunityId>> {
        let span = tracing::debug_span!("store.retain_communities", keep = keep.len());
        self.write(span, move |c| communities::retain(c, &keep))
            .await
    }

    /// Inserts or replaces a channel; false when its community is not cached.
    pub async fn upsert_channel(&self, channel: ChannelInfo) -> StoreResult<bool> {
        let span = tracing::debug_span!("store.upsert_channel", channel = %channel.channel_id);
        self.write(span, move |c| communities::upsert_channel(c, &channel))
            .await
    }

    /// Removes a channel with its head and cached messages.
    pub async fn remove_channel(
        &self,
        community_id: CommunityId,
        channel_id: ChannelId,
    ) -> StoreResult<()> {
        let span = tracing::debug_span!("store.remove_channel", channel = %channel_id);
        self.write(span, move |c| {
            communities::remove_channel(c, &community_id, &channel_id)
        })
        .await
    }

    /// Inserts or replaces a category; false when its community is not cached.
    pub async fn upsert_category(&self, category: CategoryInfo) -> StoreResult<bool> {
        let span = tracing::debug_span!("store.upsert_category", category = %category.category_id);
        self.write(span, move |c| communities::upsert_category(c, &category))
            .await
    }

    /// Removes a category; its channels fall back to no category.
    pub async fn remove_category(
        &self,
        community_id: CommunityId,
        category_id: CategoryId,
    ) -> StoreResult<()> {
        let span = tracing::debug_span!("store.remove_category", category = %category_id);
        self.write(span, move |c| {
            communities::remove_category(c, &community_id, &category_id)
        })
        .await
    }

    /// Sets my notification status; false when the community is not cached.
    pub async fn set_notification(
        &self,
        community_id: CommunityId,
        status: NotificationStatus,
    ) -> StoreResult<bool> {
        let span = tracing::debug_span!("store.set_notification", community = %community_id);
        self.write(span, move |c| {
            communities::set_notification(c, &community_id, status)
        })
        .await
    }

    /// Replaces my membership record; false when the community is not cached.
    pub async fn upsert_me(&self, me: MemberInfo) -> StoreResult<bool> {
        let span = tracing::debug_span!("store.upsert_me", community = %me.community_id);
        self.write(span, move |c| communities::set_me(c, &me)).await
    }

    /// Sets the exact member count; false when the community is not cached.
    pub async fn set_member_count(
        &self,
        community_id: CommunityId,
        member_count: u64,
    ) -> StoreResult<bool> {
        let span = tracing::debug_span!("store.set_member_count", community = %community_id);
        self.write(span, move |c| {
            communities::set_member_count(c, &community_id, member_count)
        })
        .await
    }

    /// Sets custom attributes and the structure version; false when not cached.
    pub async fn set_attributes(
        &self,
        community_id: CommunityId,
        attributes: BTreeMap<String, String>,
        version: u64,
    ) -> StoreResult<bool> {
        let span = tracing::debug_span!("store.set_attributes", community = %community_id);
        self.write(span, move |c| {
            communities::set_attributes(c, &community_id, &attributes, version)
        })
        .await
    }

    /// Sets a community's structure version; false when not cached.
    pub async fn set_version(&self, community_id: CommunityId, version: u64) -> StoreResult<bool> {
        let span = tracing::debug_span!("store.set_version", community = %community_id, version);
        self.write(span, move |c| {
            communities::set_version(c, &community_id, version)
        })
        .await
    }

    /// Inserts or replaces heads in one transaction; returns how many were skipped
    /// because their channel is not cached (add the channel first, in the same batch).
    pub async fn upsert_heads(&self, heads: Vec<ChannelHead>) -> StoreResult<usize> {
        let span = tracing::debug_span!("store.upsert_heads", count = heads.len());
        self.write(span, move |c| communities::upsert_heads(c, &heads))
            .await
    }

    /// Inserts received messages in one transaction; returns those that were not cached
    /// before, in the given order. A `(channel_id, seq)` already cached is left as it is,
    /// so inserting the same message twice keeps one row.
    pub async fn insert_messages(&self, messages: Vec<Message>) -> StoreResult<Vec<Message>> {
        let span = tracing::debug_span!("store.insert_messages", count = messages.len());
        self.write(span, move |c| messages::insert(c, messages))
            .await
    }

    /// Saves (replaces) the session record.
    pub async fn save_session(&self, session: SessionRecord) -> StoreResult<()> {
        let span = tracing::debug_span!("store.save_session");
        self.write(span, move |c| session::save(c, &session)).await
    }

    /// Moves the saved session's resume cursor; false when no session is saved.
    pub async fn set_last_event_seq(&self, last_event_seq: u64) -> StoreResult<bool> {
        let span = tracing::trace_span!("store.set_last_event_seq", last_event_seq);
        self.write(span, move |c| {
            session::set_last_event_seq(c, last_event_seq)
        })
        .await
    }

    /// Forgets the session (log out).
    pub async fn clear_session(&self) -> StoreResult<()> {
        let span = tracing::debug_span!("store.clear_session");
        self.write(span, session::clear).await
    }

    /// Queues a message to send; false when an entry with that idempotency key exists
    /// already (it is left as it is).
    pub async fn outbox_enqueue(&self, entry: OutboxEntry) -> StoreResult<bool> {
        let span = tracing::debug_span!("store.outbox_enqueue", key = %entry.idempotency_key);
        self.write(span, move |c| outbox::enqueue(c, &entry)).await
    }

    /// Atomically stores the server's `message` and marks the entry `key` sent.
    pub async fn outbox_mark_sent(
        &self,
        key: String,
        message: Message,
    ) -> StoreResult<SentOutcome> {
        let span = tracing::debug_span!("store.outbox_mark_sent", key = %key, seq = message.seq);
        self.write(span, move |c| outbox::mark_sent(c, &key, &message))
            .await
    }

    /// Marks the entry `key` failed with `error`; false when there is no such entry or it
    /// was sent already.
    pub async fn outbox_mark_failed(&self, key: String, error: ApiError) -> StoreResult<bool> {
        let span =
            tracing::debug_span!("store.outbox_mark_failed", key = %key, code = error.code.0);
        self.write(span, move |c| outbox::mark_failed(c, &key, &error))
            .await
    }

    /// Puts a failed entry back to `sending` (the user retries); false when it is not
    /// failed.
    pub async fn outbox_retry(&self, key: String) -> StoreResult<bool> {
        let span = tracing::debug_span!("store.outbox_retry", key = %key);
        self.write(span, move |c| outbox::retry(c, &key)).await
    }

    /// Deletes an entry that is not sent (discarded by the user); false when there was
    /// none, or it was sent already.
    pub async fn outbox_discard(&self, key: String) -> StoreResult<bool> {
        let span = tracing::debug_span!("store.outbox_discard", key = %key);
        self.write(span, move |c| outbox::discard(c, &key)).await
    }

    /// Deletes every entry already sent; returns how many.
    pub async fn outbox_remove_sent(&self) -> StoreResult<usize> {
        let span = tracing::debug_span!("store.outbox_remove_sent");
        self.write(span, outbox::remove_sent).await
    }

    // ----- reads -----

    /// The saved session, if any.
    pub async fn session(&self) -> StoreResult<Option<SessionRecord>> {
        self.read(tracing::debug_span!("store.session"), session::get)
            .await
    }

    /// Everything needed to build the in-memory state at start-up: the session and every
    /// cached community, complete.
    pub async fn load_all(&self) -> StoreResult<CachedWorld> {
        let span = tracing::debug_span!("store.load_all");
        self.read(span, |c| {
            // One read transaction, so the parts are consistent with each other.
            c.execute_batch("BEGIN")?;
            let world = session::get(c).and_then(|session| {
                let direct = CommunityId::direct();
                Ok(CachedWorld {
                    session,
                    communities: communities::load(c, None)?,
                    conversations: conversations::load(c)?,
                    conversation_heads: communities::heads(c, Some(&direct))?,
                    profiles: profiles::load(c)?,
                })
            });
            let _ = c.execute_batch("COMMIT");
            world
        })
        .await
    }

    /// One cached community, complete.
    pub async fn community(
        &self,
        community_id: CommunityId,
    ) -> StoreResult<Option<CommunitySnapshot>> {
        let span = tracing::debug_span!("store.community", community = %community_id);
        self.read(span, move |c| {
            c.execute_batch("BEGIN")?;
            let found = communities::load(c, Some(&community_id));
            let _ = c.execute_batch("COMMIT");
            Ok(found?.pop())
        })
        .await
    }

    /// One cached channel.
    pub async fn channel(&self, channel_id: ChannelId) -> StoreResult<Option<ChannelInfo>> {
        let span = tracing::debug_span!("store.channel", channel = %channel_id);
        self.read(span, move |c| communities::channel(c, &channel_id))
            .await
    }

    /// The structure version of every cached community (the `known` map of `sync`).
    pub async fn known_versions(&self) -> StoreResult<BTreeMap<CommunityId, u64>> {
        self.read(
            tracing::debug_span!("store.known_versions"),
            communities::known_versions,
        )
        .await
    }

    /// The structure version of one cached community.
    pub async fn version(&self, community_id: CommunityId) -> StoreResult<Option<u64>> {
        let span = tracing::debug_span!("store.version", community = %community_id);
        self.read(span, move |c| communities::version(c, &community_id))
            .await
    }

    /// Cached heads of one community (or of all when `None`), by community and channel.
    pub async fn heads(&self, community_id: Option<CommunityId>) -> StoreResult<Vec<ChannelHead>> {
        let span = tracing::debug_span!("store.heads");
        self.read(span, move |c| communities::heads(c, community_id.as_ref()))
            .await
    }

    /// A page of history: up to `limit` cached messages with `seq < before_seq` (the
    /// newest when `None`), the newest ones, returned in ascending order. Only cached
    /// messages are returned; use [`Store::missing_ranges`] to find what to fetch.
    pub async fn messages_before(
        &self,
        channel_id: ChannelId,
        before_seq: Option<Seq>,
        limit: u32,
    ) -> StoreResult<Vec<Message>> {
        let span = tracing::debug_span!("store.messages_before", channel = %channel_id, limit);
        self.read(span, move |c| {
            messages::before(c, &channel_id, before_seq, limit)
        })
        .await
    }

    /// Up to `limit` cached messages with `seq > after_seq`, the oldest ones, ascending.
    pub async fn messages_after(
        &self,
        channel_id: ChannelId,
        after_seq: Seq,
        limit: u32,
    ) -> StoreResult<Vec<Message>> {
        let span = tracing::debug_span!("store.messages_after", channel = %channel_id, limit);
        self.read(span, move |c| {
            messages::after(c, &channel_id, after_seq, limit)
        })
        .await
    }

    /// One cached message.
    pub async fn message(&self, channel_id: ChannelId, seq: Seq) -> StoreResult<Option<Message>> {
        let span = tracing::debug_span!("store.message", channel = %channel_id, seq);
        self.read(span, move |c| messages::get(c, &channel_id, seq))
            .await
    }

    /// The highest cached sequence of a channel (0 when nothing is cached).
    pub async fn max_seq(&self, channel_id: ChannelId) -> StoreResult<Seq> {
        let span = tracing::debug_span!("store.max_seq", channel = %channel_id);
        self.read(span, move |c| messages::max_seq(c, &channel_id))
            .await
    }

    /// The highest `s` such that every sequence in `from_seq..=s` is cached (`from_seq -
    /// 1` when `from_seq` itself is not): where the first gap after `from_seq` starts.
    pub async fn max_contiguous_seq(
        &self,
        channel_id: ChannelId,
        from_seq: Seq,
    ) -> StoreResult<Seq> {
        let span =
            tracing::debug_span!("store.max_contiguous_seq", channel = %channel_id, from_seq);
        self.read(span, move |c| {
            messages::max_contiguous(c, &channel_id, from_seq)
        })
        .await
    }

    /// The inclusive ranges within `from_seq..=to_seq` (sequences start at 1) that are
    /// not cached, ascending: what to fetch from the server to fill the gaps.
    pub async fn missing_ranges(
        &self,
        channel_id: ChannelId,
        from_seq: Seq,
        to_seq: Seq,
    ) -> StoreResult<Vec<(Seq, Seq)>> {
        let span =
            tracing::debug_span!("store.missing_ranges", channel = %channel_id, from_seq, to_seq);
        self.read(span, move |c| {
            messages::missing_ranges(c, &channel_id, from_seq, to_seq)
        })
        .await
    }

    /// Number of cached messages of one channel, or of all when `None`.
    pub async fn message_count(&self, channel_id: Option<ChannelId>) -> StoreResult<u64> {
        let span = tracing::debug_span!("store.message_count");
        self.read(span, move |c| messages::count(c, channel_id.as_ref()))
            .await
    }

    /// Full-text search of the cached messages (see `search`): the page of `request`,
    /// ranked by relevance (BM25) then newest first, with snippets. Works offline.
    ///
    /// Exact: indexing is deferred (writes only queue it), so the search first has the
    /// writer finish what was queued before it (nothing to wait for, usually), then reads.
    /// Every message cached before the call is found as it is; an edited, recalled,
    /// hidden or removed one never with its old text.
    pub async fn search(&self, request: SearchRequest) -> StoreResult<LocalSearchPage> {
        let span = tracing::debug_span!("store.search", limit = request.limit);
        self.index_now(&span).await?;
        self.read(span, move |c| search::search(c, &request)).await
    }

    /// How many messages the search index holds, and their tokens (after the queued
    /// index work is done).
    pub async fn search_stats(&self) -> StoreResult<(u64, u64)> {
        let span = tracing::debug_span!("store.search_stats");
        self.index_now(&span).await?;
        self.read(span, search::stats).await
    }

    /// Has the writer do the search index's queued work now, and answers once everything
    /// queued before the call is indexed (a search does this by itself; the writer also
    /// does it whenever it is idle).
    pub async fn flush_search_index(&self) -> StoreResult<()> {
        let span = tracing::debug_span!("store.flush_search_index");
        self.index_now(&span).await
    }

    /// How many entries the search index's queue holds (a run of new messages of a
    /// channel, a message to index again, a document to remove). Zero once the writer
    /// has caught up.
    pub async fn search_backlog(&self) -> StoreResult<u64> {
        let span = tracing::debug_span!("store.search_backlog");
        self.read(span, search_index::backlog).await
    }

    /// Does the search index's queued work, then merges its segments, until none is left
    /// to merge (the writer also does both in small steps whenever it is idle).
    pub async fn compact_search_index(&self) -> StoreResult<()> {
        let span = tracing::debug_span!("store.compact_search_index");
        // The queue first, in the writer's steps (each its own transaction)…
        self.index_now(&span).await?;
        // … then the merges, and whatever was queued meanwhile, in one write.
        self.write(span, search::compact).await
    }

    /// Outbox entries still to send (`sending`), in enqueue order.
    pub async fn outbox_pending(&self) -> StoreResult<Vec<OutboxEntry>> {
        self.read(
            tracing::debug_span!("store.outbox_pending"),
            outbox::pending,
        )
        .await
    }

    /// Every outbox entry of a channel (any state), in enqueue order: the local echoes.
    pub async fn outbox_entries(&self, channel_id: ChannelId) -> StoreResult<Vec<OutboxEntry>> {
        let span = tracing::debug_span!("store.outbox_entries", channel = %channel_id);
        self.read(span, move |c| outbox::of_channel(c, &channel_id))
            .await
    }

    /// Every outbox entry (any state; the newest sent ones are kept), in enqueue order.
    pub async fn outbox_all(&self) -> StoreResult<Vec<OutboxEntry>> {
        self.read(tracing::debug_span!("store.outbox_all"), outbox::all)
            .await
    }

    /// One outbox entry by idempotency key.
    pub async fn outbox_entry(&self, key: String) -> StoreResult<Option<OutboxEntry>> {
        let span = tracing::debug_span!("store.outbox_entry", key = %key);
        self.read(span, move |c| outbox::get(c, &key)).await
    }

    // ----- plumbing -----

    /// Runs `work` on the writer thread inside a batch transaction; answers after commit.
    async fn write<R, F>(&self, span: Span, work: F) -> StoreResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<R> + Send + 'static,
    {
        let inner_span = span.clone();
        let (job, reply) = worker::write_job(move |connection| {
            let _entered = inner_span.enter();
            let result = work(connection);
            if let Err(error) = &result {
                tracing::warn!(%error, "store write failed");
            }
            result
        });
        self.send_to_writer(worker::Request::Write(job))?;
        reply
            .instrument(span)
            .await
            .map_err(|_| StoreError::Closed)?
    }

    /// Waits until the writer has done every search-index operation queued so far (at
    /// once when it knows none is queued).
    async fn index_now(&self, span: &Span) -> StoreResult<()> {
        if self
            .inner
            .index_clean
            .load(std::sync::atomic::Ordering::Acquire)
        {
            return Ok(());
        }
        let (reply, done) = oneshot::channel();
        self.send_to_writer(worker::Request::Index(reply))?;
        done.instrument(span.clone())
            .await
            .map_err(|_| StoreError::Closed)?
    }

    fn send_to_writer(&self, request: worker::Request) -> StoreResult<()> {
        let writer = self.channels_slot().as_ref().map(|c| c.writer.clone());
        writer
            .ok_or(StoreError::Closed)?
            .send(request)
            .map_err(|_| StoreError::Closed)
    }

    /// Runs `work` on a reader thread.
    async fn read<R, F>(&self, span: Span, work: F) -> StoreResult<R>
    where
        R: Send + 'static,
        F: Fn(&Connection) -> StoreResult<R> + Send + 'static,
    {
        let inner_span = span.clone();
        let (job, reply) = worker::read_job(move |connection| {
            let _entered = inner_span.enter();
            work(connection)
        });
        let readers = self.channels_slot().as_ref().map(|c| c.readers.clone());
        readers
            .ok_or(StoreError::Closed)?
            .send(job)
            .map_err(|_| StoreError::Closed)?;
        reply
            .instrument(span)
            .await
            .map_err(|_| StoreError::Closed)?
    }
}

fn spawn_thread(
    name: &str,
    path: &Path,
    body: impl FnOnce() + Send + 'static,
) -> StoreResult<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(body)
        .map_err(|error| StoreError::Open {
            path: path.display().to_string(),
            detail: format!("cannot start the store thread {name}: {error}"),
        })
}
