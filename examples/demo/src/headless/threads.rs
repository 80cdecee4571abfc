//! Threads in the headless run. The demo user, like a user of the terminal UI's `t` key,
//! opens a thread of the open channel (the newest one of the channel's thread list): it
//! joins it, watches its messages (keeping it read, as the thread pane does) and replies
//! in it now and then. After the run, the check: the bots started threads in the open
//! channel and replied in them; every such thread's digest on its parent message counts
//! exactly the replies stored in it (the bots' and the demo user's); the channel's thread
//! list holds them all; the demo user's thread is joined, read, and its history is
//! gap-free with every reply. That the digests are drawn is the render check's part.

use std::collections::BTreeMap;
use std::time::Duration;

use community_sdk::protocol::{ChannelId, CommunityId, Message, MessageContent, Seq};
use community_sdk::{Client, MessageUpdate, SendState, Subscription, ThreadHandle};
use tokio::time::Instant;

use crate::flow::ReadMarker;
use crate::ledger::LedgerSnapshot;

/// How long the digests may take to catch up after the run (one per thread per second).
const DIGEST_SETTLE: Duration = Duration::from_secs(10);
/// How long one of the demo user's thread replies is awaited.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Thread history page size.
const PAGE: u32 = 100;

/// The thread the demo user opened: its handle, its timeline and its read marker.
pub struct OpenThread {
    /// The thread.
    pub handle: ThreadHandle,
    /// Its name.
    pub name: String,
    messages: Subscription<Vec<MessageUpdate>>,
    marker: ReadMarker,
    /// Local ids of the replies sent, and the sequence of each stored one.
    replies: BTreeMap<String, Option<Seq>>,
}

impl OpenThread {
    /// Opens the newest active thread of the channel: joins it, subscribes to its
    /// messages and keeps it read. `None` while the channel has no thread.
    pub async fn open(
        client: &Client,
        community_id: &CommunityId,
        channel_id: &ChannelId,
    ) -> Option<Self> {
        let channel = client.community(community_id).channel(channel_id);
        let page = channel.threads(false, None, None).await.ok()?;
        let info = page.threads.into_iter().next()?;
        let handle = channel.thread(info.thread_id.clone());
        if let Err(error) = handle.join().await {
            eprintln!("[demo] cannot join the thread {}: {error}", info.name);
            return None;
        }
        let stream = handle.messages();
        let messages = stream.subscribe_messages().await.ok()?;
        let marker = ReadMarker::spawn(stream);
        eprintln!("[demo] opened the thread \"{}\"", info.name);
        Some(Self {
            handle,
            name: info.name,
            messages,
            marker,
            replies: BTreeMap::new(),
        })
    }

    /// The next batch of the thread's timeline.
    pub async fn next(&mut self) -> Option<Vec<MessageUpdate>> {
        self.messages.next().await
    }

    /// Applies a batch: what arrives is seen (the pane keeps the thread read).
    pub fn apply(&mut self, updates: Vec<MessageUpdate>) {
        for update in updates {
            match update {
                MessageUpdate::Reset { messages, .. } => {
                    for message in messages {
                        self.marker.seen(message.seq);
                    }
                }
                MessageUpdate::Inserted(message) | MessageUpdate::Updated(message) => {
                    self.marker.seen(message.seq);
                }
                MessageUpdate::Local(echo) => {
                    if let SendState::Sent { seq } = echo.state {
                        self.marker.seen(seq);
                    }
                }
                // Removals, this device's changes and any later kind.
                _ => {}
            }
        }
    }

    /// Replies in the thread (the echo's end is awaited in [`settle`](Self::settle)).
    pub async fn reply(&mut self, n: u32) {
        let text = format!("thread reply {n} from the headless demo");
        match self.handle.messages().send_text(text).await {
            Ok(outgoing) => {
                self.replies.insert(outgoing.local_id().to_string(), None);
            }
            Err(error) => eprintln!("[demo] thread reply refused: {error}"),
        }
    }

    /// True when everything seen is marked read.
    pub fn is_read(&self) -> bool {
        self.marker.is_settled()
    }

    /// Awaits the end of every reply sent.
    pub async fn settle(&mut self, client: &Client) {
        for (local_id, stored) in &mut self.replies {
            if let Ok(Ok(seq)) =
                tokio::time::timeout(SEND_TIMEOUT, client.wait_for_send(local_id)).await
            {
                *stored = Some(seq);
            }
        }
    }

    /// Replies stored.
    pub fn stored_replies(&self) -> u64 {
        self.replies.values().filter(|s| s.is_some()).count() as u64
    }
}

/// What the run did with threads in the open channel, and what the demo user saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThreadsCheck {
    /// Threads the bots started in the open channel.
    pub started: u64,
    /// Replies the bots got stored in them.
    pub bot_replies: u64,
    /// Replies the demo user got stored in its thread.
    pub demo_replies: u64,
    /// Thread starts and replies of the bots that failed (anywhere).
    pub failed: u64,
    /// Threads whose digest on the parent message is exact.
    pub digests_exact: u64,
    /// Threads of the channel's thread list among those started.
    pub listed: u64,
    /// The demo user's thread: its name, messages (history), unread count.
    pub opened: Option<(String, u64, u64)>,
    /// Every way what the demo user saw differs from what was done.
    pub problems: Vec<String>,
}

/// The digest `message` (a parent) should carry: (thread id, message count).
fn digest_ok(message: Option<&Message>, thread_id: &ChannelId, count: u64) -> bool {
    message
        .and_then(|m| m.thread.as_ref())
        .is_some_and(|d| d.thread_id == *thread_id && d.message_count == count)
}

impl ThreadsCheck {
    /// Checks the open channel's threads as the demo user of `client` sees them.
    pub async fn run(
        client: &Client,
        channel: (&CommunityId, &ChannelId),
        ledger: &LedgerSnapshot,
        opened: Option<&OpenThread>,
    ) -> Self {
        let (community_id, channel_id) = channel;
        let stream = client.community(community_id).channel(channel_id);
        let demo_thread = opened.map(|t| t.handle.id().clone());
        let demo_replies = opened.map_or(0, OpenThread::stored_replies);
        // Thread id -> (parent seq, replies expected on its digest).
        let expected: BTreeMap<ChannelId, (Seq, u64)> = ledger
            .threads_in(community_id, channel_id)
            .map(|(id, t)| {
                let demo = if demo_thread.as_ref() == Some(id) {
                    demo_replies
                } else {
                    0
                };
                (id.clone(), (t.parent_seq, t.replies + demo))
            })
            .collect();
        let mut check = ThreadsCheck {
            started: expected.len() as u64,
            bot_replies: ledger
                .threads_in(community_id, channel_id)
                .map(|(_, t)| t.replies)
                .sum(),
            demo_replies,
            failed: ledger.threads_failed,
            ..ThreadsCheck::default()
        };
        // Digests arrive coalesced (one per thread per second): wait for them, bounded.
        let deadline = Instant::now() + DIGEST_SETTLE;
        loop {
            let mut exact = 0;
            for (thread_id, (parent, count)) in &expected {
                let page = stream
                    .messages(Some(parent + 1), 1)
                    .await
                    .unwrap_or_default();
                exact += u64::from(digest_ok(
                    page.iter().find(|m| m.seq == *parent),
                    thread_id,
                    *count,
                ));
            }
            check.digests_exact = exact;
            if exact == check.started || Instant::now() >= deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        match stream.threads(false, None, None).await {
            Ok(page) => {
                check.listed = page
                    .threads
                    .iter()
                    .filter(|t| expected.contains_key(&t.thread_id))
                    .count() as u64;
            }
            Err(error) => check.problems.push(format!("the thread list: {error}")),
        }
        if let Some(thread) = opened {
            check.opened_thread(thread, &expected).await;
        }
        check.collect_problems();
        check
    }

    /// The demo user's thread: joined, read, its history gap-free with every reply.
    async fn opened_thread(
        &mut self,
        thread: &OpenThread,
        expected: &BTreeMap<ChannelId, (Seq, u64)>,
    ) {
        let handle = &thread.handle;
        let stream = handle.messages();
        let mut history: Vec<Message> = Vec::new();
        let mut before = None;
        while let Ok(page) = stream.messages(before, PAGE).await {
            let Some(oldest) = page.first().map(|m| m.seq) else {
                break;
            };
            let mut page = page;
            page.append(&mut history);
            history = page;
            if oldest <= 1 {
                break;
            }
            before = Some(oldest);
        }
        let gap_free = history.iter().zip(1..).all(|(m, n)| m.seq == n);
        let unread = handle.unread();
        let joined = handle.info().is_some();
        let count = history.len() as u64;
        self.opened = Some((
            thread.name.clone(),
            count,
            unread.as_ref().map_or(0, |u| u.unread_count),
        ));
        if !joined || unread.is_none() {
            self.problems
                .push(format!("the thread \"{}\" is not joined", thread.name));
        }
        if !gap_free {
            self.problems.push(format!(
                "the history of the thread \"{}\" has gaps",
                thread.name
            ));
        }
        let texts = history
            .iter()
            .filter(|m| matches!(&m.content, MessageContent::Text { text } if text.contains("from the headless demo")))
            .count() as u64;
        if texts != self.demo_replies {
            self.problems.push(format!(
                "the thread \"{}\" holds {texts} of the demo user's replies, it sent {}",
                thread.name, self.demo_replies
            ));
        }
        if let Some((_, replies)) = expected.get(handle.id())
            && count != *replies
        {
            self.problems.push(format!(
                "the thread \"{}\" holds {count} messages, {replies} were sent",
                thread.name
            ));
        }
        if unread.is_some_and(|u| u.unread_count != 0 || u.last_seq != count) {
            self.problems.push(format!(
                "the thread \"{}\" should be read up to {count} (unread {:?})",
                thread.name,
                handle.unread().map(|u| (u.unread_count, u.last_seq))
            ));
        }
    }

    fn collect_problems(&mut self) {
        if self.started == 0 {
            self.problems
                .push("no thread was started in the open channel".into());
        }
        if self.bot_replies == 0 {
            self.problems
                .push("the bots replied in no thread of the open channel".into());
        }
        if self.digests_exact != self.started {
            self.problems.push(format!(
                "{} of {} thread digests are exact",
                self.digests_exact, self.started
            ));
        }
        if self.listed != self.started {
            self.problems.push(format!(
                "the thread list holds {} of the {} threads started",
                self.listed, self.started
            ));
        }
        match &self.opened {
            None => self.problems.push("the demo user opened no thread".into()),
            Some(_) if self.demo_replies == 0 => {
                self.problems
                    .push("the demo user's thread replies were not stored".into());
            }
            Some(_) => {}
        }
    }

    /// The summary lines: the numbers, then the opened thread's name (apart, as it may
    /// hold digits).
    pub fn line(&self, channel: &str) -> String {
        let opened = match &self.opened {
            Some((name, messages, unread)) => {
                format!(
                    "opened one: {messages} messages, {unread} unread\n  opened thread: \"{name}\""
                )
            }
            None => "opened none".to_string(),
        };
        format!(
            "threads in {channel}: {} started, {} bot replies, {} demo replies, {} failed; {} digests exact, {} listed; {opened}",
            self.started,
            self.bot_replies,
            self.demo_replies,
            self.failed,
            self.digests_exact,
            self.listed
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen() -> ThreadsCheck {
        ThreadsCheck {
            started: 3,
            bot_replies: 20,
            demo_replies: 2,
            failed: 0,
            digests_exact: 3,
            listed: 3,
            opened: Some(("raid plan".into(), 9, 0)),
            problems: Vec::new(),
        }
    }

    #[test]
    fn started_replied_exact_and_opened_threads_pass() {
        let mut check = seen();
        check.collect_problems();
        assert!(check.problems.is_empty(), "{:?}", check.problems);
        assert_eq!(
            check.line("Pixel Guild #general"),
            "threads in Pixel Guild #general: 3 started, 20 bot replies, 2 demo replies, 0 failed; 3 digests exact, 3 listed; opened one: 9 messages, 0 unread\n  opened thread: \"raid plan\""
        );
    }

    #[test]
    fn a_stale_digest_a_missing_thread_or_no_open_thread_are_problems() {
        let mut check = seen();
        check.digests_exact = 2;
        check.listed = 2;
        check.opened = None;
        check.collect_problems();
        assert_eq!(check.problems.len(), 3, "{:?}", check.problems);
        let mut none = ThreadsCheck::default();
        none.collect_problems();
        assert!(
            none.problems
                .iter()
                .any(|p| p.contains("no thread was started"))
        );
    }
}
