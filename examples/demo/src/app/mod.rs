//! The terminal UI's state and how it changes: the community and channel lists, the
//! badges, the open channel's timeline, the input line, the connection and sync state
//! (what the user does to messages — edit, recall, react, pin, reply — is in `actions`;
//! their role and what they may do in the open channel in `access`; the thread pane and
//! the joined threads' counts in `threads`; the DM list, display names, presence, who
//! types and who sits in voice in `people`; the search pane in `search`).
//!
//! Pure state: SDK subscription values and key actions come in, [`Effect`]s (SDK calls
//! to make) go out, and the event loop in `tui` carries them out. Nothing here blocks,
//! polls or talks to the server.

use std::collections::HashMap;

use community_sdk::protocol::member_list::ListRange;
use community_sdk::protocol::{CategoryId, ChannelId, CommunityId, Message, Seq, UserId};
use community_sdk::{
    ChannelEntry, CommunityEntry, ConnectionState, DisconnectReason, ListDiff, MessageUpdate,
    SdkError, SyncState, ThreadEntry, UnreadTotals, UnreadUpdate,
};

use crate::embedded::ServerStatus;
use crate::input::{Action, Mode};
use crate::roles::Access;
use crate::scrollback::Timeline;

/// Messages per history page.
pub const PAGE: u32 = 50;
/// The input line's longest text, in bytes (the protocol's text limit).
const MAX_INPUT_BYTES: usize = 12 * 1024;

/// A channel of a community.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChannelKey {
    /// The community.
    pub community_id: CommunityId,
    /// The channel.
    pub channel_id: ChannelId,
}

/// An SDK call the event loop should make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Subscribe to a community's channel list.
    WatchChannels(CommunityId),
    /// Drop that subscription.
    UnwatchChannels(CommunityId),
    /// Open a channel: subscribe to its messages, fetch its newest page, mark it read.
    Open(ChannelKey),
    /// Fetch a page of older messages.
    LoadPage {
        /// The channel.
        key: ChannelKey,
        /// Messages before this sequence (`None`: the newest).
        before: Option<Seq>,
    },
    /// Send a text message.
    Send {
        /// The channel.
        key: ChannelKey,
        /// The text.
        text: String,
        /// The message it replies to.
        reply_to: Option<Seq>,
    },
    /// Edit one of the user's messages into a new text.
    Edit {
        /// The channel.
        key: ChannelKey,
        /// The message.
        seq: Seq,
        /// Its new text.
        text: String,
    },
    /// Recall one of the user's messages (delete it for everyone).
    Recall {
        /// The channel.
        key: ChannelKey,
        /// The message.
        seq: Seq,
    },
    /// Add (or take back) a reaction.
    React {
        /// The channel.
        key: ChannelKey,
        /// The message.
        seq: Seq,
        /// The emoji.
        emoji: String,
        /// Add it (or take it back).
        add: bool,
    },
    /// Pin (or unpin) a message.
    Pin {
        /// The channel.
        key: ChannelKey,
        /// The message.
        seq: Seq,
        /// Pin it (or unpin it).
        pin: bool,
    },
    /// Fetch the channel's pinned messages (to list them).
    LoadPins(ChannelKey),
    /// The user has seen the open channel up to this sequence: mark it read.
    Seen(Seq),
    /// Kill or restart the embedded server.
    ToggleServer,
    /// Show a thread in the pane: join it, subscribe to its messages, fetch its newest
    /// page, keep it read.
    OpenThread(ThreadKey),
    /// The pane was closed: drop the thread's subscription.
    CloseThread,
    /// Start a thread from a message of a channel (then show it).
    StartThread {
        /// The channel.
        key: ChannelKey,
        /// The message.
        seq: Seq,
        /// The thread's name.
        name: String,
    },
    /// Send a text message in a thread.
    SendInThread {
        /// The thread.
        key: ThreadKey,
        /// The text.
        text: String,
    },
    /// The user has seen the shown thread up to this sequence: mark it read.
    ThreadSeen(Seq),
    /// The user types in a channel or a conversation (the SDK throttles what it sends).
    Typing(ChannelKey),
    /// The user types in a thread.
    TypingInThread(ThreadKey),
    /// Follow ranges of a community's member list (replacing the one followed).
    FollowMembers {
        /// The community.
        community_id: CommunityId,
        /// The ranges.
        ranges: Vec<ListRange>,
    },
    /// Follow other ranges of the followed member list (scrolling).
    MemberRanges(Vec<ListRange>),
    /// Stop following the member list.
    UnfollowMembers,
    /// Search messages (of a community: the cache merged with the server's history).
    Search {
        /// The community (none: every cached message).
        community_id: Option<CommunityId>,
        /// The query.
        query: String,
    },
}

/// Everything the UI shows.
#[derive(Debug)]
pub struct App {
    /// The demo user.
    pub me: UserId,
    /// Joined communities, in the SDK's order.
    pub communities: Vec<CommunityEntry>,
    /// Channels of each community, in display order.
    pub channels: HashMap<CommunityId, Vec<ChannelEntry>>,
    /// Unread and mention counts per channel, from the unread subscription.
    pub counts: HashMap<(CommunityId, ChannelId), (u64, u64)>,
    /// Unread and mention sums per community.
    pub community_counts: HashMap<CommunityId, (u64, u64)>,
    /// Totals.
    pub totals: UnreadTotals,
    /// Category names by id (known for the seeded communities).
    pub category_names: HashMap<CategoryId, String>,
    /// Index into `communities`.
    pub selected_community: usize,
    /// Index into the selected community's channels.
    pub selected_channel: usize,
    /// The open channel and its timeline.
    pub open: Option<(ChannelKey, Timeline)>,
    /// The thread shown under the open channel (the input line posts there).
    pub thread: Option<ThreadPane>,
    /// The user's joined threads per community, with their heads (from the SDK's cache).
    pub joined_threads: HashMap<CommunityId, Vec<ThreadEntry>>,
    /// Conversations, display names, presence, typing and voice.
    pub people: PeopleView,
    /// Navigate or type.
    pub mode: Mode,
    /// The input line.
    pub input: String,
    /// The connection state.
    pub connection: ConnectionState,
    /// How far the cache is from the server.
    pub sync: SyncState,
    /// The embedded server's address and status (`None` with a remote server).
    pub server: Option<(String, ServerStatus)>,
    /// The search pane, while open (over the messages pane).
    pub search: Option<SearchPane>,
    /// The member pane, while shown (right of the messages).
    pub members: Option<MembersView>,
    /// The help screen is shown.
    pub show_help: bool,
    /// The open channel's pinned messages, while their list is shown.
    pub pins: Option<Vec<Message>>,
    /// The message the input line edits (instead of sending a new one).
    pub editing: Option<Seq>,
    /// The message the input line replies to, and its sender.
    pub replying: Option<(Seq, UserId)>,
    /// The last notice (an error or an explanation) for the status bar.
    pub notice: Option<String>,
    /// The user's role label in each community.
    pub roles: HashMap<CommunityId, String>,
    /// What the user may do in the open channel (from the SDK's cache).
    pub access: Option<(ChannelKey, Access)>,
    /// The user asked to quit.
    pub quit: bool,
    /// Rows of the messages pane at the last draw (a page for PgUp / PgDn).
    pub page_rows: usize,
    /// The channel to open at start (default: the first community's default channel).
    start_channel: Option<ChannelKey>,
    /// The start channel was opened.
    started: bool,
}

impl App {
    /// An empty UI for `me`.
    pub fn new(
        me: impl Into<UserId>,
        category_names: HashMap<CategoryId, String>,
        server_addr: Option<String>,
    ) -> Self {
        Self {
            me: me.into(),
            communities: Vec::new(),
            channels: HashMap::new(),
            counts: HashMap::new(),
            community_counts: HashMap::new(),
            totals: UnreadTotals::default(),
            category_names,
            selected_community: 0,
            selected_channel: 0,
            open: None,
            thread: None,
            joined_threads: HashMap::new(),
            people: PeopleView::default(),
            mode: Mode::Navigate,
            input: String::new(),
            connection: ConnectionState::Disconnected {
                reason: DisconnectReason::LoggedOut,
            },
            sync: SyncState::Offline,
            server: server_addr.map(|addr| (addr, ServerStatus::Running)),
            search: None,
            members: None,
            show_help: false,
            pins: None,
            editing: None,
            replying: None,
            notice: None,
            roles: HashMap::new(),
            access: None,
            quit: false,
            page_rows: 10,
            start_channel: None,
            started: false,
        }
    }

    /// Opens `key` (and selects its community) as soon as its channel list is known,
    /// instead of the first community's default channel.
    pub fn with_start_channel(mut self, key: Option<ChannelKey>) -> Self {
        self.start_channel = key;
        self
    }

    /// The selected community.
    pub fn community(&self) -> Option<&CommunityEntry> {
        self.communities.get(self.selected_community)
    }

    /// The selected community's channels.
    pub fn visible_channels(&self) -> &[ChannelEntry] {
        self.community()
            .and_then(|c| self.channels.get(&c.info.community_id))
            .map_or(&[], Vec::as_slice)
    }

    /// Unread and mention counts of a channel.
    pub fn channel_counts(&self, entry: &ChannelEntry) -> (u64, u64) {
        let key = (
            entry.info.community_id.clone(),
            entry.info.channel_id.clone(),
        );
        self.counts
            .get(&key)
            .copied()
            .unwrap_or((entry.head.unread_count, entry.head.mention_count))
    }

    /// Unread and mention sums of a community.
    pub fn community_badge(&self, community_id: &CommunityId) -> (u64, u64) {
        self.community_counts
            .get(community_id)
            .copied()
            .unwrap_or((0, 0))
    }

    /// The open channel's key.
    pub fn open_key(&self) -> Option<&ChannelKey> {
        self.open.as_ref().map(|(key, _)| key)
    }

    /// The open channel's entry.
    pub fn open_entry(&self) -> Option<&ChannelEntry> {
        let key = self.open_key()?;
        self.channels
            .get(&key.community_id)?
            .iter()
            .find(|c| c.info.channel_id == key.channel_id)
    }

    // ----- subscriptions -----

    /// Community list changes.
    pub fn on_communities(&mut self, diffs: Vec<ListDiff<CommunityEntry>>) -> Vec<Effect> {
        let selected = self.community().map(|c| c.info.community_id.clone());
        let mut effects = Vec::new();
        for diff in diffs {
            match diff {
                ListDiff::Reset(entries) => {
                    for old in &self.communities {
                        if !entries
                            .iter()
                            .any(|e| e.info.community_id == old.info.community_id)
                        {
                            effects.push(Effect::UnwatchChannels(old.info.community_id.clone()));
                        }
                    }
                    for entry in &entries {
                        if !self
                            .communities
                            .iter()
                            .any(|c| c.info.community_id == entry.info.community_id)
                        {
                            effects.push(Effect::WatchChannels(entry.info.community_id.clone()));
                        }
                    }
                    self.communities = entries;
                }
                ListDiff::Insert(entry) | ListDiff::Update(entry) => {
                    match self
                        .communities
                        .iter_mut()
                        .find(|c| c.info.community_id == entry.info.community_id)
                    {
                        Some(existing) => *existing = entry,
                        None => {
                            effects.push(Effect::WatchChannels(entry.info.community_id.clone()));
                            self.communities.push(entry);
                        }
                    }
                }
                ListDiff::Remove(id) => {
                    let id = CommunityId::from(id);
                    self.communities.retain(|c| c.info.community_id != id);
                    self.channels.remove(&id);
                    effects.push(Effect::UnwatchChannels(id.clone()));
                    if self.open_key().is_some_and(|k| k.community_id == id) {
                        self.open = None;
                        self.notice = Some("the open channel's community is gone".into());
                    }
                    self.joined_threads.remove(&id);
                }
            }
        }
        // Oldest community first (the SDK's list has no particular order).
        self.communities.sort_by(|a, b| {
            (a.info.created_at_ms, &a.info.name).cmp(&(b.info.created_at_ms, &b.info.name))
        });
        let still_there = selected.and_then(|id| {
            self.communities
                .iter()
                .position(|c| c.info.community_id == id)
        });
        match still_there {
            Some(index) => self.selected_community = index,
            None => {
                self.selected_community = 0;
                self.selected_channel = 0;
            }
        }
        self.clamp_channel();
        effects.extend(self.thread_follows_channel());
        effects
    }

    /// A community's channel list changes.
    pub fn on_channels(
        &mut self,
        community_id: &CommunityId,
        diffs: Vec<ListDiff<ChannelEntry>>,
    ) -> Vec<Effect> {
        let list = self.channels.entry(community_id.clone()).or_default();
        for diff in diffs {
            match diff {
                ListDiff::Reset(entries) => *list = entries,
                ListDiff::Insert(entry) | ListDiff::Update(entry) => {
                    match list
                        .iter_mut()
                        .find(|c| c.info.channel_id == entry.info.channel_id)
                    {
                        Some(existing) => *existing = entry,
                        None => list.push(entry),
                    }
                }
                ListDiff::Remove(id) => list.retain(|c| c.info.channel_id != id),
            }
        }
        let open_gone = self.open_key().is_some_and(|key| {
            key.community_id == *community_id
                && !self
                    .channels
                    .get(community_id)
                    .is_some_and(|l| l.iter().any(|c| c.info.channel_id == key.channel_id))
        });
        if open_gone {
            self.open = None;
            self.notice = Some("the open channel was removed".into());
        }
        self.clamp_channel();
        let mut effects = self.thread_follows_channel();
        effects.extend(self.autoopen(community_id));
        effects
    }

    /// Opens the start channel, once, when its community's channels arrive.
    fn autoopen(&mut self, community_id: &CommunityId) -> Vec<Effect> {
        if self.started || self.open.is_some() {
            return Vec::new();
        }
        let target = match (&self.start_channel, self.communities.first()) {
            (Some(key), _) => key.clone(),
            (None, Some(first)) => ChannelKey {
                community_id: first.info.community_id.clone(),
                channel_id: first.info.default_channel_id.clone(),
            },
            (None, None) => return Vec::new(),
        };
        if target.community_id != *community_id {
            return Vec::new();
        }
        let community = self
            .communities
            .iter()
            .position(|c| c.info.community_id == *community_id);
        let channel = self.channels.get(community_id).and_then(|list| {
            list.iter()
                .position(|c| c.info.channel_id == target.channel_id)
        });
        let (Some(community), Some(channel)) = (community, channel) else {
            return Vec::new();
        };
        self.started = true;
        self.selected_community = community;
        self.selected_channel = channel;
        self.open_selected()
    }

    /// Unread changes.
    pub fn on_unread(&mut self, update: UnreadUpdate) {
        if update.reset {
            self.counts.clear();
            self.community_counts.clear();
        }
        for channel in update.channels {
            self.counts.insert(
                (channel.community_id, channel.channel_id),
                (channel.unread_count, channel.mention_count),
            );
        }
        for community in update.communities {
            self.community_counts.insert(
                community.community_id,
                (community.unread_count, community.mention_count),
            );
        }
        for gone in update.removed_communities {
            self.community_counts.remove(&gone);
            self.counts.retain(|(community, _), _| *community != gone);
        }
        self.totals = update.totals;
    }

    /// Timeline changes of a channel (ignored unless it is the open one). Returns the
    /// read mark to move.
    pub fn on_messages(&mut self, key: &ChannelKey, updates: Vec<MessageUpdate>) -> Vec<Effect> {
        let Some((open, timeline)) = self.open.as_mut() else {
            return Vec::new();
        };
        if open != key {
            return Vec::new();
        }
        for update in updates {
            if let MessageUpdate::Change(change) = &update
                && let Some(notice) = actions::refusal(change)
            {
                self.notice = Some(notice);
            }
            timeline.apply(update);
        }
        timeline
            .newest_seq()
            .map(Effect::Seen)
            .into_iter()
            .collect()
    }

    /// A history page arrived (or failed).
    pub fn on_page(
        &mut self,
        key: &ChannelKey,
        before: Option<Seq>,
        page: Result<Vec<Message>, SdkError>,
    ) -> Vec<Effect> {
        let Some((open, timeline)) = self.open.as_mut() else {
            return Vec::new();
        };
        if open != key {
            return Vec::new();
        }
        match page {
            Ok(messages) => {
                timeline.page_loaded(before, messages, PAGE as usize);
                timeline
                    .newest_seq()
                    .map(Effect::Seen)
                    .into_iter()
                    .collect()
            }
            Err(error) => {
                timeline.page_failed(before);
                self.notice = Some(format!("history: {error}"));
                Vec::new()
            }
        }
    }

    /// The connection state changed.
    pub fn on_connection(&mut self, state: ConnectionState) {
        self.connection = state;
    }

    /// The sync state changed.
    pub fn on_sync(&mut self, state: SyncState) {
        self.sync = state;
    }

    /// The embedded server's status changed.
    pub fn on_server(&mut self, status: ServerStatus) {
        if let Some((_, current)) = self.server.as_mut() {
            *current = status;
        }
    }

    /// After a draw: whether the view shows the top of what is loaded (then an older
    /// page is fetched).
    pub fn after_view(&mut self, at_top: bool, page_rows: usize) -> Vec<Effect> {
        self.page_rows = page_rows.max(1);
        let Some((key, timeline)) = self.open.as_mut() else {
            return Vec::new();
        };
        timeline
            .older_page_request(at_top)
            .map(|before| Effect::LoadPage {
                key: key.clone(),
                before,
            })
            .into_iter()
            .collect()
    }

    // ----- keys -----

    /// Carries out a key's action.
    pub fn on_action(&mut self, action: Action) -> Vec<Effect> {
        if !matches!(action, Action::None | Action::Redraw) {
            self.notice = None;
        }
        if self.mode == Mode::Search {
            return self.on_search_key(action);
        }
        let page = self.page_rows.saturating_sub(1).max(1);
        match action {
            Action::Quit => self.quit = true,
            Action::ToggleHelp if self.pins.is_some() => self.pins = None,
            Action::ToggleHelp => self.show_help = !self.show_help,
            Action::SelectUp => self.selected_channel = self.selected_channel.saturating_sub(1),
            Action::SelectDown => {
                self.selected_channel += 1;
                self.clamp_channel();
            }
            Action::PrevCommunity | Action::NextCommunity => {
                self.switch_community(action == Action::NextCommunity);
                return self.members_follow_selection();
            }
            Action::ToggleMembers => return self.toggle_members(),
            Action::MembersUp => return self.scroll_members(-1),
            Action::MembersDown => return self.scroll_members(1),
            Action::Open => return self.open_selected(),
            Action::LineUp => self.scroll(|t| t.scroll_up(1)),
            Action::LineDown => self.scroll(|t| t.scroll_down(1)),
            Action::PageUp => self.scroll(|t| t.scroll_up(page)),
            Action::PageDown => self.scroll(|t| t.scroll_down(page)),
            Action::Top => self.scroll(Timeline::scroll_to_top),
            Action::Bottom => self.scroll(Timeline::scroll_to_bottom),
            Action::StartTyping => {
                // A thread's input posts in the thread: the channel's refusal is not its.
                if self.thread.is_some() || !self.refuse_typing() {
                    self.mode = Mode::Insert;
                }
                if self.open.is_none() {
                    self.notice = Some("open a channel first (Enter on a channel)".into());
                }
            }
            Action::StopTyping => {
                self.mode = Mode::Navigate;
                if self.editing.take().is_some() {
                    self.input.clear();
                    self.notice = Some("edit cancelled".into());
                }
                self.replying = None;
            }
            Action::Type(c) => {
                if self.input.len() + c.len_utf8() <= MAX_INPUT_BYTES {
                    self.input.push(c);
                    return self.keystroke();
                }
                self.notice = Some("a message holds at most 12 KB".into());
            }
            Action::Backspace => {
                self.input.pop();
            }
            Action::ClearInput => self.input.clear(),
            Action::Send => return self.send(),
            Action::ToggleServer => {
                if self.server.is_some() {
                    return vec![Effect::ToggleServer];
                }
                self.notice = Some("K works with the embedded server only".into());
            }
            Action::MarkRead => {
                if let Some((_, timeline)) = &self.open {
                    return timeline
                        .newest_seq()
                        .map(Effect::Seen)
                        .into_iter()
                        .collect();
                }
            }
            Action::EditLast => self.edit_last(),
            Action::RecallLast => return self.recall_last(),
            Action::React => return self.react_newest("👍"),
            Action::TogglePin => return self.toggle_pin_newest(),
            Action::ShowPins => return self.show_pins(),
            Action::Reply => self.reply_newest(),
            Action::OpenThread => return self.open_next_thread(),
            Action::CloseThread => return self.close_thread(),
            Action::StartThread => return self.start_thread(),
            Action::NextConversation => return self.open_next_conversation(),
            Action::OpenSearch => return self.open_search(),
            Action::Redraw | Action::None => {}
        }
        Vec::new()
    }

    fn scroll(&mut self, f: impl FnOnce(&mut Timeline)) {
        if let Some((_, timeline)) = self.open.as_mut() {
            f(timeline);
        }
    }

    fn switch_community(&mut self, forward: bool) {
        let count = self.communities.len();
        if count == 0 {
            return;
        }
        self.selected_community = if forward {
            (self.selected_community + 1) % count
        } else {
            (self.selected_community + count - 1) % count
        };
        self.selected_channel = 0;
        // Select the open channel when coming back to its community.
        if let Some(key) = self.open_key().cloned()
            && let Some(index) = self.visible_channels().iter().position(|c| {
                c.info.community_id == key.community_id && c.info.channel_id == key.channel_id
            })
        {
            self.selected_channel = index;
        }
    }

    fn clamp_channel(&mut self) {
        let count = self.visible_channels().len();
        self.selected_channel = self.selected_channel.min(count.saturating_sub(1));
    }

    fn open_selected(&mut self) -> Vec<Effect> {
        let Some(entry) = self.visible_channels().get(self.selected_channel) else {
            return Vec::new();
        };
        let key = ChannelKey {
            community_id: entry.info.community_id.clone(),
            channel_id: entry.info.channel_id.clone(),
        };
        self.open_stream(key)
    }

    fn send(&mut self) -> Vec<Effect> {
        let text = self.input.trim().to_string();
        if text.is_empty() {
            return Vec::new();
        }
        let Some(key) = self.open_key().cloned() else {
            self.notice = Some("open a channel first (Esc, then Enter on a channel)".into());
            return Vec::new();
        };
        // The thread pane takes new messages (an edit or a reply stays the channel's).
        if let Some(pane) = &self.thread
            && self.editing.is_none()
            && self.replying.is_none()
        {
            let thread = pane.key.clone();
            self.input.clear();
            return vec![Effect::SendInThread { key: thread, text }];
        }
        if self.refuse_typing() {
            self.mode = Mode::Navigate;
            return Vec::new();
        }
        self.input.clear();
        if let Some(seq) = self.editing.take() {
            self.mode = Mode::Navigate;
            return vec![Effect::Edit { key, seq, text }];
        }
        self.scroll(Timeline::scroll_to_bottom);
        let reply_to = self.replying.take().map(|(seq, _)| seq);
        vec![Effect::Send {
            key,
            text,
            reply_to,
        }]
    }
}

mod access;
mod actions;
mod members;
mod people;
#[cfg(test)]
mod people_tests;
mod search;
#[cfg(test)]
mod search_tests;
#[cfg(test)]
mod tests;
mod threads;

pub use members::MembersView;
pub use people::PeopleView;
pub use search::SearchPane;
pub use threads::{ThreadKey, ThreadPane};
