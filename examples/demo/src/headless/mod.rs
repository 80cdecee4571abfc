//! The headless run: the same flow as the terminal UI (embedded server, seeding, bots)
//! without a terminal, then a check of the demo user's counts against what the bots did.
//!
//! The demo user opens only the first community's default channel (and keeps it read, as
//! the UI does for the open channel), sends a few messages there and, like a user of the
//! UI's keys, replies, edits, reacts, pins and recalls (`life`); it reads nothing else.
//! After the bots stop, every other channel's unread count must equal the number of
//! messages the bots got stored there and did not recall, and its mention count the
//! number of those that mention the demo user; the open channel must be fully read, and
//! its history, paged from the SDK cache, must be gap-free, hold every bot message sent
//! there, show every edit and recall of the bots and every change of the demo user, and
//! draw them all (`render`). Threads (`threads`): the demo user opens a thread of the open
//! channel from its thread list (joins it, keeps it read) and replies there; the bots'
//! threads of the open channel must carry exact digests on their parent messages (drawn
//! under them), be listed, and the demo user's thread must be read and whole. Roles and
//! permissions are checked last (`roles`): the Book Club's read-only `#rules` refuses the
//! demo user's send with `permission_denied` before it leaves, and its rules are pinned by
//! the moderator bot. People (`people`): the demo user views the guild and watches who
//! types in the open channel; the DM from a bot must be listed with exactly its unread
//! count, bots must be seen typing, every bot's presence known and drawn as a dot, the
//! bot in voice shown, and bot messages drawn under display names. Search (`search`): a
//! word of a bot message and two characters of a Japanese or Chinese one are found in the
//! demo user's cache, highlighted on exactly what was searched; the guild's search merged
//! with the server's answers each message once; a malformed query is refused with the
//! typed `invalid_search_query` (5037). Member list (`members`): the guild's member list,
//! followed from the start and kept by its operations, must list every member once in the
//! documented order and equal the SDK's snapshot. The summary and its checks are in
//! `summary`.

mod life;
mod members;
mod people;
mod render;
mod roles;
mod search;
mod summary;
mod threads;

use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

use community_sdk::protocol::{ChannelKind, Message, MessageContent, Seq, UserId};
use community_sdk::{ChannelHandle, MessageUpdate, SendOptions, SendState, UnreadUpdate};
use tokio::time::Instant;

use life::DemoLife;
pub use life::LifeCheck;
pub use members::{MemberWatch, MembersCheck};
pub use people::{PeopleCheck, TypingWatch};
pub use render::{RenderCheck, Shown};
pub use roles::RolesCheck;
pub use search::SearchCheck;
pub use summary::{ChannelCheck, ChannelRef, Counts, HistoryCheck, Summary, compare};
use threads::OpenThread;
pub use threads::ThreadsCheck;

use crate::bots::Script;
use crate::error::DemoError;
use crate::flow::{Demo, ReadMarker, Setup};
use crate::format::channel_glyph;

/// How often the demo user posts in the open channel.
const SEND_EVERY: Duration = Duration::from_secs(2);
/// How long the counts may take to settle after the bots stop.
const SETTLE: Duration = Duration::from_secs(15);
/// History page size when paging the open channel.
const HISTORY_PAGE: u32 = 100;
/// Most pages read when paging the open channel's history.
const MAX_HISTORY_PAGES: u32 = 1_000;

/// The demo user's view of the open channel.
#[derive(Default)]
struct Viewer {
    received: BTreeSet<Seq>,
    sent: u64,
    refused: u64,
    pending: HashSet<String>,
    /// The demo user's stored messages: local id and sequence, oldest first.
    own: Vec<(String, Seq)>,
    /// Message changes seen live (`Updated`).
    changes_seen: u64,
}

impl Viewer {
    fn apply(&mut self, me: &UserId, updates: Vec<MessageUpdate>, marker: &ReadMarker) {
        for update in updates {
            match update {
                MessageUpdate::Reset { messages, .. } => {
                    for message in messages {
                        marker.seen(message.seq);
                        if message.sender_id != *me {
                            self.received.insert(message.seq);
                        }
                    }
                }
                MessageUpdate::Inserted(message) => {
                    marker.seen(message.seq);
                    if message.sender_id != *me {
                        self.received.insert(message.seq);
                    }
                }
                MessageUpdate::Updated(message) => {
                    marker.seen(message.seq);
                    self.changes_seen += 1;
                }
                MessageUpdate::Local(echo) => match echo.state {
                    SendState::Sent { seq } => {
                        marker.seen(seq);
                        self.ended(&echo.local_id, Some(seq));
                    }
                    SendState::Failed { .. } => self.ended(&echo.local_id, None),
                    // Still sending (or a later state): wait for its end.
                    _ => {}
                },
                // Never stored: the demo does not discard, but count it if it happens.
                MessageUpdate::Discarded { local_id } => self.ended(&local_id, None),
                // `Removed` (the demo hides nothing), `Change` (its changes are awaited
                // one by one at the end) and any later kind.
                _ => {}
            }
        }
    }

    /// One of the demo user's sends ended: stored (at `seq`), or not.
    fn ended(&mut self, local_id: &str, stored: Option<Seq>) {
        if !self.pending.remove(local_id) {
            return;
        }
        match stored {
            Some(seq) => {
                self.sent += 1;
                self.own.push((local_id.to_string(), seq));
            }
            None => self.refused += 1,
        }
    }
}

/// The next batch of the open thread's timeline (never, while no thread is open).
async fn next_in_thread(thread: &mut Option<OpenThread>) -> Option<Vec<MessageUpdate>> {
    match thread {
        Some(thread) => thread.next().await,
        None => std::future::pending().await,
    }
}

fn apply_unread(counts: &mut Counts, update: UnreadUpdate) {
    if update.reset {
        counts.clear();
    }
    for channel in update.channels {
        counts.insert(
            (channel.community_id, channel.channel_id),
            (channel.unread_count, channel.mention_count),
        );
    }
}

/// Runs the flow for `seconds` of bot chatter and returns what it saw. Progress goes to
/// standard error.
pub async fn run(seconds: u64, setup: Setup) -> Result<Summary, DemoError> {
    let mut demo = Demo::start(setup, None, &mut |step| eprintln!("[demo] {step}")).await?;
    let result = observe(&mut demo, seconds).await;
    demo.shutdown().await;
    result
}

async fn observe(demo: &mut Demo, seconds: u64) -> Result<Summary, DemoError> {
    let guild = demo
        .communities
        .first()
        .cloned()
        .ok_or_else(|| DemoError::Setup("nothing was seeded".into()))?;
    let general = guild
        .default_channel()
        .cloned()
        .ok_or_else(|| DemoError::Setup("the seeded community has no default channel".into()))?;
    let me = demo.user_id.clone();
    let channel = demo
        .client
        .community(&guild.community_id)
        .channel(&general.channel_id);
    let mut counts = Counts::new();
    let mut unread = demo.client.subscribe_unread();
    let mut messages = channel
        .subscribe_messages()
        .await
        .map_err(DemoError::sdk("subscribe to #general"))?;
    let marker = ReadMarker::spawn(channel.clone());
    marker.seen(channel.entry().map_or(0, |e| e.head.last_seq));
    // As the UI does for the open channel: who types there, and its community's presence.
    let mut typing = channel.subscribe_typing();
    let mut typing_watch = TypingWatch::default();
    demo.client
        .view_community(Some(guild.community_id.clone()))
        .await
        .map_err(DemoError::sdk("view the guild"))?;
    // As the UI's member pane does: the guild's member list.
    let mut member_watch = MemberWatch::start(&demo.client, &guild.community_id).await?;
    let mut viewer = Viewer::default();
    let mut life = DemoLife::default();
    demo.release_bots(Script::headless(&me, Duration::from_secs(seconds)));
    let bots = demo.bot_count();
    eprintln!("[demo] {bots} bots chatting for {seconds} s; {me} reads only #general");

    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut send_tick = tokio::time::interval_at(Instant::now() + SEND_EVERY, SEND_EVERY);
    let mut posts = 0_u32;
    let mut thread: Option<OpenThread> = None;
    loop {
        tokio::select! {
            () = tokio::time::sleep_until(deadline) => break,
            Some(typers) = typing.next() => typing_watch.on_typing(&demo.client, &typers),
            Some(update) = unread.next() => apply_unread(&mut counts, update),
            Some(updates) = messages.next() => viewer.apply(&me, updates, &marker),
            Some(update) = member_watch.next() => member_watch.apply(update),
            Some(updates) = next_in_thread(&mut thread) => {
                if let Some(thread) = thread.as_mut() {
                    thread.apply(updates);
                }
            }
            _ = send_tick.tick() => {
                posts += 1;
                let reply_to = if posts % 5 == 1 {
                    life.reply_target(&channel, &me).await
                } else {
                    None
                };
                let text = format!("status update {posts} from the headless demo");
                let options = SendOptions { reply_to, ..SendOptions::default() };
                match channel.send(MessageContent::Text { text }, options).await {
                    Ok(outgoing) => {
                        viewer.pending.insert(outgoing.local_id().to_string());
                        if reply_to.is_some() {
                            life.replied(outgoing.local_id());
                        }
                    }
                    Err(error) => {
                        eprintln!("[demo] send refused: {error}");
                        viewer.refused += 1;
                    }
                }
                life.act(posts, &channel, &me, &viewer.own).await;
                match thread.as_mut() {
                    None if posts >= 2 => {
                        thread = OpenThread::open(&demo.client, &guild.community_id, &general.channel_id).await;
                        if let Some(thread) = thread.as_mut() {
                            thread.reply(posts).await;
                        }
                    }
                    Some(thread) if posts.is_multiple_of(3) => thread.reply(posts).await,
                    _ => {}
                }
            }
        }
    }
    eprintln!("[demo] stopping the bots");
    demo.stop_bots().await;
    life.settle(&channel).await;
    if let Some(thread) = thread.as_mut() {
        thread.settle(&demo.client).await;
    }

    let opened: HashSet<ChannelRef> = [(guild.community_id.clone(), general.channel_id.clone())]
        .into_iter()
        .collect();
    let settle_deadline = Instant::now() + SETTLE;
    loop {
        let ledger = demo.ledger.snapshot();
        let settled = compare(&demo.communities, &opened, &ledger, &counts)
            .iter()
            .all(ChannelCheck::ok)
            && viewer.pending.is_empty()
            && marker.is_settled()
            && thread.as_ref().is_none_or(OpenThread::is_read);
        if settled {
            break;
        }
        tokio::select! {
            () = tokio::time::sleep_until(settle_deadline) => break,
            Some(update) = unread.next() => apply_unread(&mut counts, update),
            Some(updates) = messages.next() => viewer.apply(&me, updates, &marker),
            Some(update) = member_watch.next() => member_watch.apply(update),
            Some(updates) = next_in_thread(&mut thread) => {
                if let Some(thread) = thread.as_mut() {
                    thread.apply(updates);
                }
            }
            () = tokio::time::sleep(Duration::from_millis(100)) => {}
        }
    }

    let roles = RolesCheck::run(&demo.client, &demo.communities, bots).await;
    let threads = ThreadsCheck::run(
        &demo.client,
        (&guild.community_id, &general.channel_id),
        &demo.ledger.snapshot(),
        thread.as_ref(),
    )
    .await;
    let (history_messages, pages) = page_history(&channel).await?;
    let history = HistoryCheck::of(&history_messages, &me, pages);
    let ledger = demo.ledger.snapshot();
    let people = PeopleCheck::run(
        &demo.client,
        &me,
        &demo.cast,
        &ledger,
        &history_messages,
        typing_watch,
    )
    .await;
    let search = SearchCheck::run(
        &demo.client,
        &me,
        (&guild.community_id, &general.channel_id),
        &history_messages,
    )
    .await;
    let members = MembersCheck::run(&demo.client, &guild.community_id, member_watch).await;
    let open_tally = ledger.tally(&guild.community_id, &general.channel_id);
    Ok(Summary {
        seconds,
        bots,
        server_url: demo.server.as_ref().map(|s| s.ws_url()).unwrap_or_default(),
        life: life.check(&history_messages, &me, &viewer.own),
        rendered: RenderCheck::of(&history_messages, &me),
        roles,
        threads,
        people,
        search,
        members,
        user_id: me,
        channels: compare(&demo.communities, &opened, &ledger, &counts),
        ledger,
        demo_sent: viewer.sent,
        demo_refused: viewer.refused,
        demo_received: viewer.received.len() as u64,
        changes_seen: viewer.changes_seen,
        open_channel: format!(
            "{} {}{}",
            guild.name,
            channel_glyph(ChannelKind::Text, false),
            general.name
        ),
        bots_in_open_channel: open_tally.sent,
        bots_edited_in_open_channel: open_tally.edited,
        bots_recalled_in_open_channel: open_tally.recalled,
        history,
    })
}

/// Pages the channel's whole history, newest first, from the SDK cache; returns every
/// message and how many pages it took.
async fn page_history(channel: &ChannelHandle) -> Result<(Vec<Message>, u32), DemoError> {
    let mut messages = Vec::new();
    let mut pages = 0;
    let mut before = None;
    for _ in 0..MAX_HISTORY_PAGES {
        let page = channel
            .messages(before, HISTORY_PAGE)
            .await
            .map_err(DemoError::sdk("page the history of #general"))?;
        let Some(oldest) = page.first().map(|m| m.seq) else {
            break;
        };
        pages += 1;
        messages.extend(page);
        if oldest <= 1 {
            break;
        }
        before = Some(oldest);
    }
    Ok((messages, pages))
}
