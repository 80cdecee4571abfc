//! People in the UI's state: the DM list (the user's conversations, newest activity first,
//! with unread counts; `d` opens the newest, again the next older, like a channel), the
//! [`Roster`] of display names and presence dots the messages, the DM list and the voice
//! rows draw with, who types in the open channel (from its typing subscription; the
//! input line asks the SDK to tell the others on every keystroke), and who sits in each
//! community's voice channels.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use community_sdk::protocol::{ChannelId, CommunityId, Presence, PresenceStatus, UserId};
use community_sdk::{ConversationEntry, ListDiff};

use super::{App, ChannelKey, Effect};
use crate::people::{Roster, conversation_title};
use crate::scrollback::Timeline;

/// What the UI knows of people.
#[derive(Debug, Default)]
pub struct PeopleView {
    /// Display names and presence (shared with the timelines, which draw senders with it).
    pub roster: Arc<Roster>,
    /// The user's conversations, newest activity first.
    pub conversations: Vec<ConversationEntry>,
    /// Who types in the open channel (or conversation), and where.
    pub typers: Option<(ChannelKey, Vec<UserId>)>,
    /// Who sits in the voice channels of each community.
    pub voice: HashMap<CommunityId, Vec<community_sdk::protocol::VoiceParticipant>>,
}

impl App {
    /// Conversation list changes.
    pub fn on_conversations(&mut self, diffs: Vec<ListDiff<ConversationEntry>>) {
        let list = &mut self.people.conversations;
        for diff in diffs {
            match diff {
                ListDiff::Reset(entries) => *list = entries,
                ListDiff::Insert(entry) | ListDiff::Update(entry) => {
                    match list
                        .iter_mut()
                        .find(|c| c.info.conversation_id == entry.info.conversation_id)
                    {
                        Some(existing) => *existing = entry,
                        None => list.push(entry),
                    }
                }
                ListDiff::Remove(id) => list.retain(|c| c.info.conversation_id != id),
            }
        }
        list.sort_by_key(|c| std::cmp::Reverse(c.info.last_activity_ms));
    }

    /// Presence changes.
    pub fn on_presence(&mut self, presences: Vec<Presence>) {
        self.update_roster(|roster| {
            let mut changed = false;
            for presence in &presences {
                changed |= roster.set_presence(&presence.user_id, presence.status);
            }
            changed
        });
    }

    /// What to show for users (their display names and presence, read from the SDK's
    /// cache by the event loop).
    pub fn set_people(&mut self, people: Vec<(UserId, String, Option<PresenceStatus>)>) {
        self.update_roster(|roster| {
            let mut changed = false;
            for (user, name, status) in &people {
                changed |= roster.set_name(user, name.clone());
                if let Some(status) = status {
                    changed |= roster.set_presence(user, *status);
                }
            }
            changed
        });
    }

    /// Changes the roster; when it changed, the timelines draw with the new one.
    fn update_roster(&mut self, change: impl FnOnce(&mut Roster) -> bool) {
        let mut roster = (*self.people.roster).clone();
        if !change(&mut roster) {
            return;
        }
        let roster = Arc::new(roster);
        self.people.roster = roster.clone();
        if let Some((_, timeline)) = self.open.as_mut() {
            timeline.set_roster(roster.clone());
        }
        if let Some(pane) = self.thread.as_mut() {
            pane.timeline.set_roster(roster);
        }
    }

    /// Who types in channel `key` now (kept only for the open one).
    pub fn on_typing(&mut self, key: &ChannelKey, typers: Vec<UserId>) {
        if self.open_key() == Some(key) {
            self.people.typers = Some((key.clone(), typers));
        }
    }

    /// Who types in the open channel now.
    pub fn open_typers(&self) -> &[UserId] {
        match (&self.people.typers, self.open_key()) {
            (Some((key, typers)), Some(open)) if key == open => typers,
            _ => &[],
        }
    }

    /// Who sits in the voice channels of a community now.
    pub fn on_voice(
        &mut self,
        community_id: CommunityId,
        participants: Vec<community_sdk::protocol::VoiceParticipant>,
    ) {
        self.people.voice.insert(community_id, participants);
    }

    /// Who sits in one voice channel.
    pub fn voice_in(
        &self,
        community_id: &CommunityId,
        channel_id: &ChannelId,
    ) -> impl Iterator<Item = &community_sdk::protocol::VoiceParticipant> {
        self.people
            .voice
            .get(community_id)
            .into_iter()
            .flatten()
            .filter(move |p| p.channel_id == *channel_id)
    }

    /// The users whose names and presence the screen shows: senders of the open
    /// channel's loaded messages, conversation partners, people in voice and typers.
    pub fn people_shown(&self) -> BTreeSet<UserId> {
        let mut users = BTreeSet::new();
        if let Some((_, timeline)) = &self.open {
            users.extend(
                timeline
                    .newest_first()
                    .take(200)
                    .map(|m| m.sender_id.clone()),
            );
        }
        if let Some(pane) = &self.thread {
            users.extend(
                pane.timeline
                    .newest_first()
                    .take(200)
                    .map(|m| m.sender_id.clone()),
            );
        }
        for entry in &self.people.conversations {
            users.extend(entry.info.participants.iter().cloned());
        }
        for list in self.people.voice.values() {
            users.extend(list.iter().map(|p| p.user_id.clone()));
        }
        users.extend(self.open_typers().iter().cloned());
        users.remove(&UserId::from(""));
        users
    }

    /// The open conversation, when the open stream is one.
    pub fn open_conversation(&self) -> Option<&ConversationEntry> {
        let key = self.open_key()?;
        if !key.community_id.is_direct() {
            return None;
        }
        self.people
            .conversations
            .iter()
            .find(|c| c.info.conversation_id == key.channel_id)
    }

    /// How the open stream is named: `#general`, or `@ Ember Vale` for a conversation.
    pub fn open_label(&self) -> Option<String> {
        let key = self.open_key()?;
        if key.community_id.is_direct() {
            let title = self.open_conversation().map_or_else(
                || key.channel_id.to_string(),
                |c| conversation_title(c, &self.me, &self.people.roster),
            );
            return Some(format!("@ {title}"));
        }
        self.open_entry().map(|e| {
            format!(
                "{}{}",
                crate::format::channel_glyph(e.info.kind, e.info.private),
                e.info.name
            )
        })
    }

    /// `d`: opens the newest conversation; with one open, the next older one (after the
    /// oldest, the newest again).
    pub(super) fn open_next_conversation(&mut self) -> Vec<Effect> {
        let list = &self.people.conversations;
        if list.is_empty() {
            self.notice = Some("no direct messages yet".into());
            return Vec::new();
        }
        let current = self
            .open_key()
            .filter(|k| k.community_id.is_direct())
            .and_then(|k| {
                list.iter()
                    .position(|c| c.info.conversation_id == k.channel_id)
            });
        let next = current.map_or(0, |i| (i + 1) % list.len());
        let key = ChannelKey {
            community_id: CommunityId::direct(),
            channel_id: list[next].info.conversation_id.clone(),
        };
        self.open_stream(key)
    }

    /// Opens a channel or a conversation (its timeline, and the event loop's subscription).
    pub(super) fn open_stream(&mut self, key: ChannelKey) -> Vec<Effect> {
        if self.open_key() == Some(&key) {
            return Vec::new();
        }
        let mut timeline = Timeline::new(self.me.clone());
        timeline.set_roster(self.people.roster.clone());
        self.open = Some((key.clone(), timeline));
        self.people.typers = None;
        // An edit, a reply, the pins list or a thread belong to the stream that was open.
        self.editing = None;
        self.replying = None;
        self.pins = None;
        self.access = None;
        let mut effects = self.thread_follows_channel();
        effects.push(Effect::Open(key));
        effects
    }

    /// A keystroke in the input line: tell the others (the SDK sends it at most once per
    /// `typing_interval_ms`). Not while editing a message.
    pub(super) fn keystroke(&self) -> Vec<Effect> {
        if self.editing.is_some() {
            return Vec::new();
        }
        if let Some(pane) = &self.thread {
            return vec![Effect::TypingInThread(pane.key.clone())];
        }
        self.open_key()
            .map(|key| Effect::Typing(key.clone()))
            .into_iter()
            .collect()
    }
}
