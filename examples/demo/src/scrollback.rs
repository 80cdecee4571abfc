//! The open channel's timeline: the messages loaded so far, the user's local echoes and
//! the scroll position, with the paging rules of the scrollback.
//!
//! Pure state (no SDK calls, no terminal). The newest messages come from the channel's
//! message subscription; when the user scrolls to the top of what is loaded, the timeline
//! asks for one older page (`ChannelHandle::messages(before, limit)`, served from the SDK
//! cache) and stops asking once the channel's first message is loaded. The scroll
//! position counts lines up from the bottom, so loading older pages above the view never
//! moves what the user is reading, and a new message that arrives while the user reads
//! older ones shifts the position by its height so the view stays put. A message can be
//! brought into view ([`Timeline::focus`], a search hit): older pages load until it is
//! there, then the view shows it at its top.

use std::collections::BTreeMap;
use std::sync::Arc;

use community_sdk::protocol::{Message, Seq, UserId};
use community_sdk::{LocalMessage, MessageUpdate, SendState};

pub use crate::message_view::{DisplayLine, LineKind, content_text, layout};
use crate::message_view::{echo_lines, message_lines_as};
use crate::people::Roster;

/// What the messages pane shows now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    /// At most `height` lines, top to bottom.
    pub lines: Vec<DisplayLine>,
    /// The oldest loaded line is visible (time to load an older page, if any).
    pub at_top: bool,
    /// Lines the view is scrolled up from the newest line.
    pub offset: usize,
}

/// The loaded part of one channel and where the user is in it.
#[derive(Debug, Clone)]
pub struct Timeline {
    me: UserId,
    messages: BTreeMap<Seq, Message>,
    echoes: Vec<LocalMessage>,
    offset: usize,
    at_start: bool,
    loading: Option<Option<Seq>>,
    width: usize,
    roster: Arc<Roster>,
    /// A message to bring into view once it is loaded.
    focus: Option<Seq>,
}

impl Timeline {
    /// An empty timeline of `me`'s view; the newest page is being fetched (the caller
    /// fetches it when it opens the channel).
    pub fn new(me: impl Into<UserId>) -> Self {
        Self {
            me: me.into(),
            messages: BTreeMap::new(),
            echoes: Vec::new(),
            offset: 0,
            at_start: false,
            loading: Some(None),
            width: 80,
            roster: Arc::default(),
            focus: None,
        }
    }

    /// How senders are shown from now on (display names, presence dots).
    pub fn set_roster(&mut self, roster: Arc<Roster>) {
        self.roster = roster;
    }

    /// Messages loaded.
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    /// True when nothing is loaded and nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty() && self.echoes.is_empty()
    }

    /// The newest loaded sequence.
    pub fn newest_seq(&self) -> Option<Seq> {
        self.messages.keys().next_back().copied()
    }

    /// The oldest loaded sequence.
    pub fn oldest_seq(&self) -> Option<Seq> {
        self.messages.keys().next().copied()
    }

    /// The channel's first message is loaded (or the channel is empty).
    pub fn at_start(&self) -> bool {
        self.at_start
    }

    /// A page is being fetched.
    pub fn is_loading(&self) -> bool {
        self.loading.is_some()
    }

    /// Lines scrolled up from the newest line.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Applies a change from the channel's message subscription.
    pub fn apply(&mut self, update: MessageUpdate) {
        match update {
            MessageUpdate::Reset { messages, pending } => {
                for message in messages {
                    self.insert(message);
                }
                self.echoes = pending;
                self.drop_stored_echoes();
            }
            MessageUpdate::Inserted(message) => self.insert(message),
            MessageUpdate::Updated(message) => self.replace(message),
            MessageUpdate::Removed { seq } if self.messages.contains_key(&seq) => {
                self.keep_view_while(seq, |timeline| {
                    timeline.messages.remove(&seq);
                });
            }
            MessageUpdate::Local(echo) => {
                match self.echoes.iter_mut().find(|e| e.local_id == echo.local_id) {
                    Some(existing) => *existing = echo,
                    None => self.echoes.push(echo),
                }
                self.drop_stored_echoes();
            }
            MessageUpdate::Discarded { local_id } => {
                self.remove_echo(&local_id);
            }
            // `Change` (the state of one of the user's changes: the app tells about
            // refusals; the message itself comes as `Updated`) and any later kind.
            _ => {}
        }
    }

    /// A loaded message changed (edited, recalled, reacted to, pinned, its preview
    /// followed the original): replace it. Messages not loaded stay out (their page
    /// brings them as they are now).
    fn replace(&mut self, message: Message) {
        let seq = message.seq;
        if self.messages.contains_key(&seq) {
            self.keep_view_while(seq, |timeline| {
                timeline.messages.insert(seq, message);
            });
        }
    }

    /// Runs `change` on message `seq`; when the message lies below a scrolled view (newer
    /// than what is shown), shifts the scroll position by how much its height changed,
    /// so the lines the user reads stay put.
    fn keep_view_while(&mut self, seq: Seq, change: impl FnOnce(&mut Self)) {
        if self.offset == 0 {
            change(self);
            return;
        }
        let height = |timeline: &Self| {
            timeline
                .messages
                .get(&seq)
                .map_or(0, |m| timeline.item_lines(&Item::Message(m)).len())
        };
        let below: usize = self
            .echoes
            .iter()
            .map(|e| self.item_lines(&Item::Echo(e)).len())
            .chain(
                self.messages
                    .range(seq + 1..)
                    .map(|(_, m)| self.item_lines(&Item::Message(m)).len()),
            )
            .sum();
        let before = height(self);
        change(self);
        let after = height(self);
        if below < self.offset {
            self.offset = (self.offset + after).saturating_sub(before);
        }
    }

    /// A loaded message.
    pub fn message(&self, seq: Seq) -> Option<&Message> {
        self.messages.get(&seq)
    }

    /// The loaded messages, newest first.
    pub fn newest_first(&self) -> impl Iterator<Item = &Message> {
        self.messages.values().rev()
    }

    /// Removes a discarded echo, keeping a scrolled view where it is.
    fn remove_echo(&mut self, local_id: &str) {
        let Some(index) = self.echoes.iter().position(|e| e.local_id == local_id) else {
            return;
        };
        if self.offset > 0 {
            let removed = self.item_lines(&Item::Echo(&self.echoes[index])).len();
            self.offset = self.offset.saturating_sub(removed);
        }
        self.echoes.remove(index);
    }

    fn insert(&mut self, message: Message) {
        let newest = self.newest_seq();
        let seq = message.seq;
        if seq == 1 {
            self.at_start = true;
        }
        let is_new_bottom = newest.is_none_or(|n| seq > n) && !self.messages.contains_key(&seq);
        if is_new_bottom && self.offset > 0 {
            // Keep the view where it is: the new lines appear below it.
            let added = self.item_lines(&Item::Message(&message)).len();
            let removed: usize = self
                .echoes
                .iter()
                .filter(|e| e.local_id == message.idempotency_key)
                .map(|e| self.item_lines(&Item::Echo(e)).len())
                .sum();
            self.offset = (self.offset + added).saturating_sub(removed);
        }
        self.messages.insert(seq, message);
        self.drop_stored_echoes();
    }

    /// Forgets echoes whose message is stored and loaded.
    fn drop_stored_echoes(&mut self) {
        let messages = &self.messages;
        self.echoes.retain(|echo| {
            let stored_seq = match echo.state {
                SendState::Sent { seq } => Some(seq),
                _ => None,
            };
            let loaded = stored_seq.is_some_and(|seq| messages.contains_key(&seq))
                || messages
                    .values()
                    .rev()
                    .take(64)
                    .any(|m| m.idempotency_key == echo.local_id);
            !loaded
        });
    }

    /// The next older page to fetch (`before` sequence; `None`: the newest page), when the
    /// view shows the top of what is loaded, the channel's start is not loaded and no
    /// page is on its way. Marks that page as on its way.
    pub fn older_page_request(&mut self, at_top: bool) -> Option<Option<Seq>> {
        if !at_top || self.at_start || self.loading.is_some() {
            return None;
        }
        let before = self.oldest_seq();
        if before == Some(1) {
            self.at_start = true;
            return None;
        }
        self.loading = Some(before);
        Some(before)
    }

    /// A page fetched with `before` and `limit` arrived. A short page, an empty one or one
    /// that holds the first message means the start of the channel is loaded.
    pub fn page_loaded(&mut self, before: Option<Seq>, page: Vec<Message>, limit: usize) {
        if self.loading == Some(before) {
            self.loading = None;
        }
        if page.len() < limit || page.iter().any(|m| m.seq == 1) {
            self.at_start = true;
        }
        for message in page {
            self.messages.entry(message.seq).or_insert(message);
        }
        self.drop_stored_echoes();
    }

    /// A page fetch failed: allow asking again.
    pub fn page_failed(&mut self, before: Option<Seq>) {
        if self.loading == Some(before) {
            self.loading = None;
        }
    }

    /// Scrolls up (towards older messages) by `lines`.
    pub fn scroll_up(&mut self, lines: usize) {
        self.offset = self.offset.saturating_add(lines);
    }

    /// Scrolls down (towards newer messages) by `lines`.
    pub fn scroll_down(&mut self, lines: usize) {
        self.offset = self.offset.saturating_sub(lines);
    }

    /// Brings message `seq` into view (at the top of the pane) at the next draws: older
    /// pages load until it is there. Forgotten when the channel has no such message.
    pub fn focus(&mut self, seq: Seq) {
        self.focus = Some(seq);
    }

    /// The message still to bring into view.
    pub fn focused(&self) -> Option<Seq> {
        self.focus
    }

    /// Back to the newest message.
    pub fn scroll_to_bottom(&mut self) {
        self.offset = 0;
    }

    /// To the oldest loaded message (and from there, older pages load).
    pub fn scroll_to_top(&mut self) {
        self.offset = usize::MAX / 2;
    }

    fn item_lines(&self, item: &Item<'_>) -> Vec<DisplayLine> {
        match item {
            Item::Message(message) => message_lines_as(message, &self.me, &self.roster, self.width),
            Item::Echo(echo) => echo_lines(echo, &self.roster, self.width),
        }
    }

    /// Lays out what a pane of `width` × `height` shows, clamping the scroll position to
    /// what is loaded. Only the visible part (and what lies below it) is laid out.
    pub fn view(&mut self, width: usize, height: usize) -> View {
        self.width = width.max(1);
        let wanted = self.offset.saturating_add(height);
        // Newest first: echoes (shown after stored messages), then messages.
        let mut from_bottom: Vec<DisplayLine> = Vec::new();
        let mut exhausted = true;
        let items = self
            .echoes
            .iter()
            .rev()
            .map(Item::Echo)
            .chain(self.messages.values().rev().map(Item::Message));
        // Lines from the bottom up to the top of the focused message, once laid out.
        let mut focus_top = None;
        for item in items {
            if from_bottom.len() >= wanted && (self.focus.is_none() || focus_top.is_some()) {
                exhausted = false;
                break;
            }
            let mut lines = self.item_lines(&item);
            lines.reverse();
            from_bottom.extend(lines);
            if let Item::Message(message) = &item
                && Some(message.seq) == self.focus
            {
                focus_top = Some(from_bottom.len());
            }
        }
        if let Some(seq) = self.focus {
            match focus_top {
                Some(top) => {
                    self.offset = top.saturating_sub(height);
                    self.focus = None;
                }
                // Not in the channel (hidden, or never there): forget it.
                None if self.at_start || self.oldest_seq().is_some_and(|o| o <= seq) => {
                    self.focus = None;
                }
                // Older than what is loaded: to the top, where older pages load.
                None => self.offset = usize::MAX / 2,
            }
        }
        let total = from_bottom.len();
        let max_offset = if exhausted {
            total.saturating_sub(height)
        } else {
            usize::MAX
        };
        self.offset = self.offset.min(max_offset);
        let at_top = exhausted && self.offset.saturating_add(height) >= total;
        let mut lines: Vec<DisplayLine> = from_bottom
            .into_iter()
            .skip(self.offset)
            .take(height)
            .collect();
        lines.reverse();
        View {
            lines,
            at_top,
            offset: self.offset,
        }
    }
}

/// A timeline entry.
enum Item<'a> {
    Message(&'a Message),
    Echo(&'a LocalMessage),
}

#[cfg(test)]
mod tests {
    use community_sdk::protocol::{ApiError, ErrorCode, Mentions, MessageContent, Priority};

    use super::*;
    use crate::wrap::display_width;

    fn message(seq: Seq, sender: &str, text: &str) -> Message {
        Message {
            community_id: "c".into(),
            channel_id: "ch".into(),
            seq,
            sender_id: sender.into(),
            idempotency_key: format!("k{seq}"),
            content: MessageContent::Text { text: text.into() },
            mentions: Mentions::default(),
            reply_to: None,
            priority: Priority::Normal,
            created_at_ms: 0,
            custom_data: String::new(),
            edited_at_ms: None,
            edit_count: 0,
            reactions: Vec::new(),
            pinned: None,
            reply_preview: None,
            forwarded_from: None,
            thread: None,
        }
    }

    fn echo(local_id: &str, state: SendState) -> LocalMessage {
        LocalMessage {
            local_id: local_id.into(),
            community_id: "c".into(),
            channel_id: "ch".into(),
            sender_id: "me".into(),
            content: MessageContent::Text {
                text: "mine".into(),
            },
            mentions: Mentions::default(),
            reply_to: None,
            priority: Priority::Normal,
            created_at_ms: 0,
            state,
            custom_data: String::new(),
            forward_of: None,
        }
    }

    fn texts(view: &View) -> Vec<String> {
        view.lines.iter().map(|l| l.text.clone()).collect()
    }

    fn messages(range: std::ops::RangeInclusive<Seq>) -> Vec<Message> {
        range
            .map(|s| message(s, "nova", &format!("m{s}")))
            .collect()
    }

    /// A channel opened on `range`: the subscription's reset, then the newest page.
    fn timeline_with(range: std::ops::RangeInclusive<Seq>) -> Timeline {
        let mut timeline = Timeline::new("me");
        let all = messages(range);
        let newest = all[all.len().saturating_sub(50)..].to_vec();
        timeline.apply(MessageUpdate::Reset {
            messages: all,
            pending: Vec::new(),
        });
        timeline.page_loaded(None, newest, 50);
        timeline
    }

    #[test]
    fn bottom_view_shows_the_newest_messages() {
        let mut timeline = timeline_with(51..=100);
        let view = timeline.view(80, 3);
        assert_eq!(texts(&view), vec!["m98", "m99", "m100"]);
        assert!(!view.at_top);
        assert_eq!(view.offset, 0);
    }

    #[test]
    fn a_focused_message_comes_into_view_paging_older_ones_as_needed() {
        let mut timeline = timeline_with(51..=100);
        timeline.focus(60);
        let view = timeline.view(80, 3);
        assert_eq!(texts(&view), vec!["m60", "m61", "m62"]);
        assert_eq!(
            timeline.focused(),
            None,
            "placed once; scrolling is the user's"
        );
        // Older than what is loaded: the view goes to the top, where a page loads.
        timeline.focus(20);
        let view = timeline.view(80, 3);
        assert!(view.at_top);
        assert_eq!(timeline.older_page_request(view.at_top), Some(Some(51)));
        timeline.page_loaded(Some(51), messages(1..=50), 50);
        let view = timeline.view(80, 3);
        assert_eq!(texts(&view), vec!["m20", "m21", "m22"]);
        // A message the channel does not hold is forgotten.
        timeline.focus(5_000);
        timeline.view(80, 3);
        assert_eq!(timeline.focused(), None);
    }

    #[test]
    fn scrolling_to_the_top_pages_older_messages_until_the_start() {
        let mut timeline = timeline_with(51..=100);
        assert!(!timeline.at_start());
        timeline.scroll_up(1_000);
        let view = timeline.view(80, 10);
        assert!(view.at_top);
        assert_eq!(view.offset, 40, "clamped to the loaded lines");
        assert_eq!(texts(&view)[0], "m51");
        assert_eq!(timeline.older_page_request(view.at_top), Some(Some(51)));
        assert_eq!(
            timeline.older_page_request(true),
            None,
            "one page at a time"
        );
        timeline.page_loaded(Some(51), messages(1..=50), 50);
        assert!(timeline.at_start());
        assert_eq!(timeline.len(), 100);
        // The view did not move: the same line is still at the top.
        let view = timeline.view(80, 10);
        assert_eq!(texts(&view)[0], "m51");
        assert!(!view.at_top);
        timeline.scroll_to_top();
        let view = timeline.view(80, 10);
        assert_eq!(texts(&view)[0], "m1");
        assert_eq!(
            timeline.older_page_request(view.at_top),
            None,
            "nothing older"
        );
    }

    #[test]
    fn a_short_or_failed_page_ends_or_retries_paging() {
        let mut timeline = timeline_with(21..=70);
        timeline.scroll_to_top();
        let at_top = timeline.view(80, 5).at_top;
        assert_eq!(timeline.older_page_request(at_top), Some(Some(21)));
        timeline.page_failed(Some(21));
        assert_eq!(
            timeline.older_page_request(at_top),
            Some(Some(21)),
            "retry after a failure"
        );
        timeline.page_loaded(Some(21), messages(10..=20), 50);
        assert!(
            timeline.at_start(),
            "a short page means nothing older exists"
        );
        assert_eq!(timeline.older_page_request(true), None);
    }

    #[test]
    fn new_messages_do_not_move_a_scrolled_view() {
        let mut timeline = timeline_with(1..=40);
        timeline.scroll_up(5);
        let before = texts(&timeline.view(80, 4));
        timeline.apply(MessageUpdate::Inserted(message(41, "nova", "m41")));
        timeline.apply(MessageUpdate::Inserted(message(
            42,
            "nova",
            &"long ".repeat(40),
        )));
        let after = texts(&timeline.view(80, 4));
        assert_eq!(before, after);
        timeline.scroll_to_bottom();
        assert_eq!(
            timeline.view(80, 4).lines.last().map(|l| l.kind),
            Some(LineKind::Other)
        );
    }

    #[test]
    fn empty_channel_is_at_its_start() {
        let mut timeline = Timeline::new("me");
        assert!(timeline.is_loading());
        timeline.page_loaded(None, Vec::new(), 50);
        assert!(timeline.at_start());
        assert!(timeline.is_empty());
        let view = timeline.view(80, 10);
        assert!(view.lines.is_empty());
        assert_eq!(timeline.older_page_request(view.at_top), None);
    }

    #[test]
    fn echoes_show_until_their_message_is_stored() {
        let mut timeline = timeline_with(1..=2);
        assert!(timeline.at_start());
        timeline.apply(MessageUpdate::Local(echo("abc", SendState::Sending)));
        let view = timeline.view(80, 10);
        assert_eq!(view.lines.last().map(|l| l.kind), Some(LineKind::Sending));
        assert!(
            view.lines
                .last()
                .is_some_and(|l| l.text.ends_with("(sending…)"))
        );
        timeline.apply(MessageUpdate::Local(echo(
            "abc",
            SendState::Sent { seq: 3 },
        )));
        let mut stored = message(3, "me", "mine");
        stored.idempotency_key = "abc".into();
        timeline.apply(MessageUpdate::Inserted(stored));
        let view = timeline.view(80, 10);
        assert_eq!(
            view.lines.len(),
            3,
            "the echo gave way to the stored message"
        );
        assert_eq!(view.lines.last().map(|l| l.kind), Some(LineKind::Own));
        let error = ApiError::new(ErrorCode::MUTED, "muted");
        timeline.apply(MessageUpdate::Local(echo(
            "def",
            SendState::Failed { error },
        )));
        let view = timeline.view(80, 10);
        assert_eq!(view.lines.last().map(|l| l.kind), Some(LineKind::Failed));
    }

    #[test]
    fn discarded_echoes_leave_the_timeline() {
        let mut timeline = timeline_with(1..=2);
        let error = ApiError::new(ErrorCode::MUTED, "muted");
        timeline.apply(MessageUpdate::Local(echo(
            "abc",
            SendState::Failed { error },
        )));
        timeline.apply(MessageUpdate::Local(echo("def", SendState::Sending)));
        assert_eq!(timeline.view(80, 10).lines.len(), 4);
        timeline.apply(MessageUpdate::Discarded {
            local_id: "abc".into(),
        });
        let view = timeline.view(80, 10);
        assert_eq!(view.lines.len(), 3);
        assert_eq!(view.lines.last().map(|l| l.kind), Some(LineKind::Sending));
        timeline.apply(MessageUpdate::Discarded {
            local_id: "unknown".into(),
        });
        assert_eq!(timeline.view(80, 10).lines.len(), 3);
    }

    #[test]
    fn changed_and_hidden_messages_are_replaced_or_removed_in_place() {
        let mut timeline = timeline_with(1..=40);
        let mut edited = message(40, "nova", "m40 again");
        edited.edit_count = 1;
        timeline.apply(MessageUpdate::Updated(edited));
        assert_eq!(
            texts(&timeline.view(80, 2)),
            vec!["m39", "m40 again (edited)"]
        );
        // A message that is not loaded stays out.
        timeline.apply(MessageUpdate::Updated(message(99, "nova", "later")));
        assert_eq!(timeline.len(), 40);

        // Scrolled up: a change below the view (taller) and a removal keep it in place.
        timeline.scroll_up(5);
        let before = texts(&timeline.view(80, 3));
        let mut long = message(39, "nova", &"long ".repeat(40));
        long.reactions = vec![community_sdk::protocol::Reaction {
            emoji: "👍".into(),
            count: 1,
            users: Vec::new(),
            me: false,
        }];
        timeline.apply(MessageUpdate::Updated(long));
        assert_eq!(texts(&timeline.view(80, 3)), before);
        timeline.apply(MessageUpdate::Removed { seq: 38 });
        assert_eq!(texts(&timeline.view(80, 3)), before);
        assert!(timeline.message(38).is_none());
        assert_eq!(timeline.len(), 39);
    }

    #[test]
    fn unsupported_content_has_a_placeholder() {
        assert_eq!(
            content_text(&MessageContent::Unsupported),
            "[unsupported message]"
        );
    }

    #[test]
    fn mentions_and_long_messages_lay_out_within_the_width() {
        let mut timeline = Timeline::new("me");
        let mut mention = message(1, "nova", &"word ".repeat(500));
        mention.mentions.users.push("me".into());
        timeline.apply(MessageUpdate::Inserted(mention));
        for width in [1, 5, 20, 120] {
            let view = timeline.view(width, 1000);
            assert!(view.lines.len() > 1);
            assert!(view.lines.iter().all(|l| l.kind == LineKind::Mention));
            assert!(
                view.lines
                    .iter()
                    .all(
                        |l| display_width(&l.prefix) + display_width(&l.text) <= width.max(1)
                            || l.text.is_empty()
                    ),
                "width {width}"
            );
        }
    }
}
