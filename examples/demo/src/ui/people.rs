//! People on screen: the DM list under the channels (conversations, newest activity
//! first, with the other participants' presence dots and unread badges; `d` opens them),
//! the rows of who sits in a voice channel under it, the coloured presence dots, and the
//! "X is typing…" note under the open channel's messages, and the member pane (the
//! community's member list: section headers with counts, members with their dots).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem};

use super::{badge_row, pane};
use crate::app::{App, MembersView};
use crate::people::{
    DND_DOT, IDLE_DOT, OFFLINE_DOT, ONLINE_DOT, conversation_title, typing_line, voice_row,
};
use crate::wrap::truncate;

/// The colour of a presence dot (none for any other character).
pub(super) fn dot_color(dot: char) -> Option<Color> {
    match dot {
        ONLINE_DOT => Some(Color::Green),
        IDLE_DOT => Some(Color::Yellow),
        DND_DOT => Some(Color::Red),
        OFFLINE_DOT => Some(Color::DarkGray),
        _ => None,
    }
}

/// Spans of a label that may start with a presence dot (`● Nova`): the dot coloured.
pub(super) fn dotted(label: &str, style: Style) -> Vec<Span<'static>> {
    let mut chars = label.chars();
    match (chars.next().and_then(dot_color), chars.next()) {
        (Some(color), Some(' ')) => {
            let (dot, rest) = label.split_at(label.chars().next().map_or(0, char::len_utf8));
            vec![
                Span::styled(dot.to_string(), Style::new().fg(color)),
                Span::styled(rest.to_string(), style),
            ]
        }
        _ => vec![Span::styled(label.to_string(), style)],
    }
}

/// The rows of who sits in voice channel `channel_id` (under its row in the list).
pub(super) fn voice_items(
    app: &App,
    community_id: &community_sdk::protocol::CommunityId,
    channel_id: &community_sdk::protocol::ChannelId,
    width: usize,
) -> Vec<ListItem<'static>> {
    app.voice_in(community_id, channel_id)
        .map(|p| {
            let row = truncate(&voice_row(p, &app.people.roster), width);
            let style = Style::new().fg(Color::Gray);
            // `  🔊 ● Rook`: colour the dot after the speaker.
            let spans = match row.split_once("🔊 ") {
                Some((lead, label)) => {
                    let mut spans = vec![Span::styled(format!("{lead}🔊 "), style)];
                    spans.extend(dotted(label, style));
                    spans
                }
                None => vec![Span::styled(row, style)],
            };
            ListItem::new(Line::from(spans))
        })
        .collect()
}

/// Draws the DM list: the user's conversations, newest activity first, the open one
/// marked.
pub(super) fn draw_conversations(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let block = pane(" Direct messages (d) ".into(), false);
    let width = usize::from(block.inner(area).width);
    let open = app.open_key();
    let mut items: Vec<ListItem<'_>> = app
        .people
        .conversations
        .iter()
        .map(|entry| {
            let is_open = open.is_some_and(|k| {
                k.community_id.is_direct() && k.channel_id == entry.info.conversation_id
            });
            let title = conversation_title(entry, &app.me, &app.people.roster);
            let mut row = badge_row(
                Some('@'),
                &title,
                (entry.head.unread_count, entry.head.mention_count),
                width.saturating_sub(1),
                is_open,
            );
            row.spans
                .insert(0, Span::raw(if is_open { "▸" } else { " " }));
            ListItem::new(row)
        })
        .collect();
    if items.is_empty() {
        items.push(ListItem::new(Line::styled(
            "(no conversations)",
            Style::new().fg(Color::DarkGray),
        )));
    }
    frame.render_widget(List::new(items).block(block), area);
}

/// The "X is typing…" note for the bottom of the messages pane, when someone types.
pub(super) fn typing_note(app: &App) -> Option<Line<'static>> {
    let text = typing_line(app.open_typers(), &app.people.roster)?;
    Some(Line::styled(
        format!(" ✎ {text} "),
        Style::new()
            .fg(Color::LightGreen)
            .add_modifier(Modifier::ITALIC),
    ))
}

/// The member pane: the followed window of the community's member list, section headers
/// (group, count, online) in bold, each member with its presence dot.
pub(super) fn draw_members(frame: &mut Frame<'_>, view: &MembersView, area: Rect) {
    let width = usize::from(area.width.saturating_sub(2));
    let lines = view.lines();
    let (title, rows) = lines
        .split_first()
        .map_or(("Members", &[][..]), |(t, r)| (t.as_str(), r));
    let first = view.pane.start + 1;
    let title = if view.pane.total > u64::from(crate::members::PAGE) {
        format!("{title} · from #{first} ([ ])")
    } else {
        title.to_owned()
    };
    let items: Vec<ListItem<'static>> = rows
        .iter()
        .map(|row| {
            let row = truncate(row, width);
            let line = if row.chars().next().and_then(dot_color).is_some() {
                Line::from(dotted(&row, Style::new()))
            } else {
                Line::from(Span::styled(
                    row,
                    Style::new().fg(Color::Gray).add_modifier(Modifier::BOLD),
                ))
            };
            ListItem::new(line)
        })
        .collect();
    frame.render_widget(List::new(items).block(pane(title, false)), area);
}
