//! The thread pane: a thread of the open channel shown under its messages (`t` opens the
//! thread of the newest message that has one, `t` again the next older one, `n` starts a
//! thread from the newest message, `T` closes the pane), the input line posting in it
//! while it is open, and the counts of the user's joined threads (per thread, and summed
//! per channel for the channel list's 🧵 mark). Opening a thread joins it, so its unread
//! messages count, and keeps it read while the pane shows it.

use community_sdk::protocol::{ChannelId, CommunityId, Message, MessageContent, Seq};
use community_sdk::{MessageUpdate, SdkError, ThreadEntry};

use super::{App, ChannelKey, Effect, PAGE};
use crate::format::thread_name;
use crate::scrollback::Timeline;

/// A thread of a channel.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ThreadKey {
    /// The community.
    pub community_id: CommunityId,
    /// The channel it lives in.
    pub channel_id: ChannelId,
    /// The thread.
    pub thread_id: ChannelId,
}

/// The thread the pane shows.
#[derive(Debug)]
pub struct ThreadPane {
    /// Which thread.
    pub key: ThreadKey,
    /// Its name.
    pub name: String,
    /// The message of the channel it was started from.
    pub parent_seq: Option<Seq>,
    /// Its messages (the newest page, then what arrives).
    pub timeline: Timeline,
}

impl App {
    /// The thread the pane shows.
    pub fn thread_key(&self) -> Option<&ThreadKey> {
        self.thread.as_ref().map(|pane| &pane.key)
    }

    /// `t`: opens the thread of the newest message of the open channel that has one; with
    /// a thread open, the next older one (after the oldest, the newest again).
    pub(super) fn open_next_thread(&mut self) -> Vec<Effect> {
        let Some((key, timeline)) = &self.open else {
            self.notice = Some("open a channel first".into());
            return Vec::new();
        };
        let current = self.thread.as_ref().and_then(|pane| pane.parent_seq);
        let threads: Vec<(Seq, ChannelId, String)> = timeline
            .newest_first()
            .filter_map(|m| {
                let digest = m.thread.as_ref()?;
                Some((m.seq, digest.thread_id.clone(), digest.name.clone()))
            })
            .collect();
        let next = current
            .and_then(|seq| threads.iter().find(|(parent, ..)| *parent < seq))
            .or_else(|| threads.first())
            .cloned();
        let Some((parent_seq, thread_id, name)) = next else {
            self.notice = Some("no message here has a thread yet (n starts one)".into());
            return Vec::new();
        };
        let key = ThreadKey {
            community_id: key.community_id.clone(),
            channel_id: key.channel_id.clone(),
            thread_id,
        };
        self.show_thread(key, name, Some(parent_seq))
    }

    /// Shows `key` in the pane (asks the event loop to open it unless it is shown).
    pub(super) fn show_thread(
        &mut self,
        key: ThreadKey,
        name: String,
        parent_seq: Option<Seq>,
    ) -> Vec<Effect> {
        if self.thread_key() == Some(&key) {
            return Vec::new();
        }
        self.notice = Some(format!("thread \"{name}\": i replies in it, T closes it"));
        self.thread = Some(ThreadPane {
            key: key.clone(),
            name,
            parent_seq,
            timeline: {
                let mut timeline = Timeline::new(self.me.clone());
                timeline.set_roster(self.people.roster.clone());
                timeline
            },
        });
        vec![Effect::OpenThread(key)]
    }

    /// `T`: closes the thread pane.
    pub(super) fn close_thread(&mut self) -> Vec<Effect> {
        if self.thread.take().is_none() {
            self.notice = Some("no thread is open".into());
            return Vec::new();
        }
        vec![Effect::CloseThread]
    }

    /// Drops the pane when its channel is no longer the open one.
    pub(super) fn thread_follows_channel(&mut self) -> Vec<Effect> {
        let open = self.open_key();
        let stale = self.thread.as_ref().is_some_and(|pane| {
            open.is_none_or(|k| {
                k.community_id != pane.key.community_id || k.channel_id != pane.key.channel_id
            })
        });
        if !stale {
            return Vec::new();
        }
        self.thread = None;
        vec![Effect::CloseThread]
    }

    /// `n`: starts a thread from the newest message of the open channel a person wrote
    /// that has none yet, named after its text.
    pub(super) fn start_thread(&mut self) -> Vec<Effect> {
        let target = self.open.as_ref().and_then(|(key, timeline)| {
            let message = timeline.newest_first().find(|m| {
                m.thread.is_none()
                    && !m.is_from_server()
                    && !m.content.is_recalled()
                    && !matches!(m.content, MessageContent::System { .. })
            })?;
            let text = crate::message_view::content_text(&message.content);
            Some((key.clone(), message.seq, thread_name(&text)))
        });
        let Some((key, seq, name)) = target else {
            self.notice = Some("no message to start a thread from".into());
            return Vec::new();
        };
        self.notice = Some(format!("starting the thread \"{name}\""));
        vec![Effect::StartThread { key, seq, name }]
    }

    /// A thread the user started (from message `parent_seq` of `key`'s channel): shown.
    pub fn on_thread_started(
        &mut self,
        key: ThreadKey,
        name: String,
        parent_seq: Seq,
    ) -> Vec<Effect> {
        let channel = ChannelKey {
            community_id: key.community_id.clone(),
            channel_id: key.channel_id.clone(),
        };
        if self.open_key() != Some(&channel) {
            return Vec::new();
        }
        self.show_thread(key, name, Some(parent_seq))
    }

    /// Timeline changes of a thread (ignored unless it is the one shown). Returns the read
    /// mark to move.
    pub fn on_thread_messages(
        &mut self,
        key: &ThreadKey,
        updates: Vec<MessageUpdate>,
    ) -> Vec<Effect> {
        let Some(pane) = self.thread.as_mut().filter(|pane| pane.key == *key) else {
            return Vec::new();
        };
        for update in updates {
            if let MessageUpdate::Change(change) = &update
                && let Some(notice) = super::actions::refusal(change)
            {
                self.notice = Some(notice);
            }
            pane.timeline.apply(update);
        }
        pane.timeline
            .newest_seq()
            .map(Effect::ThreadSeen)
            .into_iter()
            .collect()
    }

    /// The newest page of the shown thread arrived (or failed).
    pub fn on_thread_page(
        &mut self,
        key: &ThreadKey,
        page: Result<Vec<Message>, SdkError>,
    ) -> Vec<Effect> {
        let Some(pane) = self.thread.as_mut().filter(|pane| pane.key == *key) else {
            return Vec::new();
        };
        match page {
            Ok(messages) => {
                pane.timeline.page_loaded(None, messages, PAGE as usize);
                pane.timeline
                    .newest_seq()
                    .map(Effect::ThreadSeen)
                    .into_iter()
                    .collect()
            }
            Err(error) => {
                pane.timeline.page_failed(None);
                self.notice = Some(format!("thread: {error}"));
                Vec::new()
            }
        }
    }

    /// The user's joined threads of a community, with their heads (from the SDK's cache).
    pub fn set_joined_threads(&mut self, community_id: CommunityId, threads: Vec<ThreadEntry>) {
        self.joined_threads.insert(community_id, threads);
    }

    /// Unread and mention counts of a joined thread (none when not joined).
    pub fn thread_counts(
        &self,
        community_id: &CommunityId,
        thread_id: &ChannelId,
    ) -> Option<(u64, u64)> {
        let entry = self
            .joined_threads
            .get(community_id)?
            .iter()
            .find(|t| t.info.thread_id == *thread_id)?;
        Some(
            self.counts
                .get(&(community_id.clone(), thread_id.clone()))
                .copied()
                .unwrap_or((entry.head.unread_count, entry.head.mention_count)),
        )
    }

    /// Unread and mention counts summed over the user's joined threads of a channel.
    pub fn channel_thread_counts(
        &self,
        community_id: &CommunityId,
        channel_id: &ChannelId,
    ) -> (u64, u64) {
        self.joined_threads
            .get(community_id)
            .into_iter()
            .flatten()
            .filter(|t| t.info.parent_channel_id == *channel_id)
            .filter_map(|t| self.thread_counts(community_id, &t.info.thread_id))
            .fold((0, 0), |(u, m), (tu, tm)| (u + tu, m + tm))
    }
}
