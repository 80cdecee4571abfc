//! Drawing the terminal UI from the [`App`] state with ratatui: communities and channels
//! with badges (and a 🧵 mark for unread messages in the user's threads, and who sits in
//! each voice channel) and the DM list on the left, the open channel's (or
//! conversation's) messages on the right, senders by display name with presence dots and
//! "X is typing…" under them, with the thread pane under them when a thread is
//! shown, the input line (greyed out where the user may not post) and the status bar (with
//! the user's role in the selected community) below, the `/` search pane (query, hits with
//! their matches highlighted) over the messages, and the `?` help or the `P` list of pins
//! over everything.
//!
//! Every size is computed with saturating arithmetic and every text is cut or wrapped to
//! its pane, so any terminal size (down to a single cell) draws without a panic.

use community_sdk::protocol::CategoryId;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, List, ListItem, ListState, Paragraph};

use crate::app::App;
use crate::embedded::ServerStatus;
use crate::format::{Tone, badge, channel_glyph, connection_label, sync_label};
use crate::input::Mode;
use crate::message_view::THREAD_MARK;
use crate::scrollback::{DisplayLine, LineKind};
use crate::wrap::{display_width, tail, truncate};

mod overlays;
mod people;
mod search;
mod thread;

use overlays::{draw_help, draw_pins};
use people::{dotted, draw_conversations, draw_members, typing_note, voice_items};
use search::draw_search;
use thread::draw_thread;

/// What the event loop needs to know after a draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Drawn {
    /// The messages pane shows the top of what is loaded.
    pub at_top: bool,
    /// Rows of the messages pane.
    pub page_rows: usize,
}

const SENDER_COLORS: [Color; 6] = [
    Color::LightBlue,
    Color::LightGreen,
    Color::LightMagenta,
    Color::LightCyan,
    Color::LightYellow,
    Color::LightRed,
];

fn sender_color(name: &str) -> Color {
    let hash = name.bytes().fold(7_usize, |h, b| {
        h.wrapping_mul(31).wrapping_add(usize::from(b))
    });
    SENDER_COLORS[hash % SENDER_COLORS.len()]
}

/// Draws the whole screen.
pub fn render(frame: &mut Frame<'_>, app: &mut App) -> Drawn {
    let area = frame.area();
    let [body, input, status] = Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(3),
        Constraint::Length(1),
    ])
    .areas(area);
    let left_width = (body.width / 3).clamp(16.min(body.width), 34);
    let [left, right] =
        Layout::horizontal([Constraint::Length(left_width), Constraint::Min(1)]).areas(body);
    let community_rows = u16::try_from(app.communities.len())
        .unwrap_or(u16::MAX)
        .saturating_add(2)
        .min(left.height / 3)
        .max(3.min(left.height));
    let dm_rows = u16::try_from(app.people.conversations.len())
        .unwrap_or(u16::MAX)
        .max(1)
        .saturating_add(2)
        .min(left.height / 4);
    let [communities, channels, conversations] = Layout::vertical([
        Constraint::Length(community_rows),
        Constraint::Min(0),
        Constraint::Length(dm_rows),
    ])
    .areas(left);

    draw_communities(frame, app, communities);
    draw_channels(frame, app, channels);
    draw_conversations(frame, app, conversations);
    // The member pane, while shown, takes the right edge.
    let right = match &app.members {
        Some(view) => {
            let width = (right.width / 3).clamp(16.min(right.width), 30);
            let [main, members] =
                Layout::horizontal([Constraint::Min(1), Constraint::Length(width)]).areas(right);
            draw_members(frame, view, members);
            main
        }
        None => right,
    };
    let drawn = if app.search.is_some() {
        draw_search(frame, app, right);
        Drawn {
            at_top: false,
            page_rows: app.page_rows,
        }
    } else if app.thread.is_some() {
        let [messages, thread] =
            Layout::vertical([Constraint::Min(3), Constraint::Percentage(45)]).areas(right);
        let drawn = draw_messages(frame, app, messages);
        draw_thread(frame, app, thread);
        drawn
    } else {
        draw_messages(frame, app, right)
    };
    draw_input(frame, app, input);
    draw_status(frame, app, status);
    if app.show_help {
        draw_help(frame, area);
    } else if let Some(pins) = &app.pins {
        draw_pins(frame, app, pins, area);
    }
    drawn
}

/// A list row: the name on the left, the badge on the right, cut to `width`.
fn badge_row(
    glyph: Option<char>,
    name: &str,
    counts: (u64, u64),
    width: usize,
    highlight_name: bool,
) -> Line<'static> {
    let text = badge(counts.0, counts.1);
    let badge_style = if counts.1 > 0 {
        Style::new()
            .fg(Color::LightRed)
            .add_modifier(Modifier::BOLD)
    } else {
        Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD)
    };
    let label = match glyph {
        Some(glyph) => format!("{glyph} {name}"),
        None => name.to_string(),
    };
    let badge_width = display_width(&text);
    let room = width.saturating_sub(badge_width + usize::from(badge_width > 0));
    let label = truncate(&label, room);
    let pad = width.saturating_sub(display_width(&label) + badge_width);
    let name_style = if highlight_name || counts.0 > 0 || counts.1 > 0 {
        Style::new().add_modifier(Modifier::BOLD)
    } else {
        Style::new().fg(Color::Gray)
    };
    Line::from(vec![
        Span::styled(label, name_style),
        Span::raw(" ".repeat(pad)),
        Span::styled(text, badge_style),
    ])
}

fn pane(title: String, focused: bool) -> Block<'static> {
    let style = if focused {
        Style::new().fg(Color::Cyan)
    } else {
        Style::new().fg(Color::DarkGray)
    };
    Block::bordered().border_style(style).title(Span::styled(
        title,
        Style::new().add_modifier(Modifier::BOLD),
    ))
}

fn draw_communities(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let block = pane(" Communities ".into(), false);
    let width = usize::from(block.inner(area).width);
    let items: Vec<ListItem<'_>> = app
        .communities
        .iter()
        .map(|c| {
            ListItem::new(badge_row(
                None,
                &c.info.name,
                app.community_badge(&c.info.community_id),
                width,
                false,
            ))
        })
        .collect();
    let mut state =
        ListState::default().with_selected((!items.is_empty()).then_some(app.selected_community));
    let list = List::new(items)
        .block(block)
        .highlight_style(Style::new().bg(Color::Blue).fg(Color::White));
    frame.render_stateful_widget(list, area, &mut state);
}

fn draw_channels(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let title = app.community().map_or_else(
        || " Channels ".to_string(),
        |c| format!(" {} ", c.info.name),
    );
    let block = pane(title, app.mode == Mode::Navigate);
    let width = usize::from(block.inner(area).width);
    let open = app.open_key();
    let mut items = Vec::new();
    let mut selected_item = None;
    let mut last_category: Option<Option<CategoryId>> = None;
    for (index, entry) in app.visible_channels().iter().enumerate() {
        let category = entry.info.category_id.clone();
        if last_category.as_ref() != Some(&category) {
            if let Some(id) = &category {
                let name = app
                    .category_names
                    .get(id)
                    .cloned()
                    .unwrap_or_else(|| id.to_string());
                let heading = truncate(&name.to_uppercase(), width);
                items.push(ListItem::new(Line::styled(
                    heading,
                    Style::new()
                        .fg(Color::DarkGray)
                        .add_modifier(Modifier::BOLD),
                )));
            }
            last_category = Some(category);
        }
        if index == app.selected_channel {
            selected_item = Some(items.len());
        }
        let is_open = open.is_some_and(|k| k.channel_id == entry.info.channel_id);
        let counts = app.channel_counts(entry);
        let (thread_unread, thread_mentions) =
            app.channel_thread_counts(&entry.info.community_id, &entry.info.channel_id);
        let name = if thread_unread > 0 || thread_mentions > 0 {
            format!(
                "{} {THREAD_MARK}{}",
                entry.info.name,
                badge(thread_unread, thread_mentions)
            )
        } else {
            entry.info.name.clone()
        };
        let mut row = badge_row(
            Some(channel_glyph(entry.info.kind, entry.info.private)),
            &name,
            counts,
            width.saturating_sub(1),
            is_open,
        );
        row.spans
            .insert(0, Span::raw(if is_open { "▸" } else { " " }));
        items.push(ListItem::new(row));
        items.extend(voice_items(
            app,
            &entry.info.community_id,
            &entry.info.channel_id,
            width,
        ));
    }
    if items.is_empty() {
        items.push(ListItem::new(Line::styled(
            "(no channels)",
            Style::new().fg(Color::DarkGray),
        )));
    }
    let mut state = ListState::default().with_selected(selected_item);
    let list = List::new(items)
        .block(block)
        .highlight_style(Style::new().bg(Color::Blue).fg(Color::White));
    frame.render_stateful_widget(list, area, &mut state);
}

fn line_style(kind: LineKind) -> Style {
    match kind {
        LineKind::Other => Style::new(),
        LineKind::Mention => Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
        LineKind::Own => Style::new().fg(Color::Cyan),
        LineKind::Sending => Style::new()
            .fg(Color::DarkGray)
            .add_modifier(Modifier::ITALIC),
        LineKind::Failed => Style::new().fg(Color::Red),
        LineKind::System => Style::new()
            .fg(Color::Magenta)
            .add_modifier(Modifier::ITALIC),
        LineKind::Recalled => Style::new()
            .fg(Color::DarkGray)
            .add_modifier(Modifier::ITALIC | Modifier::CROSSED_OUT),
        LineKind::Meta | LineKind::Reactions => Style::new().fg(Color::Gray),
        LineKind::Thread => Style::new().fg(Color::LightBlue),
    }
}

fn display_line(line: DisplayLine) -> Line<'static> {
    let text_style = line_style(line.kind);
    let mut spans = Vec::new();
    match line.prefix.split_once(' ') {
        Some((time, rest)) if !time.is_empty() => {
            let sender = rest.trim_end().to_string();
            let trailing = rest.len() - sender.len();
            spans.push(Span::styled(
                format!("{time} "),
                Style::new().fg(Color::DarkGray),
            ));
            // The colour follows the name, not the presence dot before it.
            let name = sender
                .split_once(' ')
                .filter(|(dot, _)| dot.chars().next().and_then(people::dot_color).is_some())
                .map_or(sender.as_str(), |(_, name)| name);
            let style = Style::new()
                .fg(sender_color(name))
                .add_modifier(Modifier::BOLD);
            spans.extend(dotted(&sender, style));
            spans.push(Span::raw(" ".repeat(trailing)));
        }
        _ => spans.push(Span::raw(line.prefix)),
    }
    spans.push(Span::styled(line.text, text_style));
    Line::from(spans)
}

fn draw_messages(frame: &mut Frame<'_>, app: &mut App, area: Rect) -> Drawn {
    let entry = app.open_entry().cloned();
    let read_only = app.open_access().is_some_and(|a| a.read_only);
    let mut title = match &entry {
        Some(entry) => {
            let glyph = channel_glyph(entry.info.kind, entry.info.private);
            let intro = if entry.info.introduction.is_empty() {
                String::new()
            } else {
                format!(" — {}", entry.info.introduction)
            };
            let marker = if read_only { " (read-only)" } else { "" };
            format!(" {glyph}{}{marker}{intro} ", entry.info.name)
        }
        None => match app.open_label() {
            Some(label) => format!(" {label} — direct messages "),
            None => " Messages ".to_string(),
        },
    };
    title = truncate(&title, usize::from(area.width.saturating_sub(2)));
    let typing = typing_note(app);
    let mut block = pane(title, app.mode == Mode::Insert && app.thread.is_none());
    let inner = block.inner(area);
    let (width, height) = (usize::from(inner.width), usize::from(inner.height));
    let Some((_, timeline)) = app.open.as_mut() else {
        let hint = Paragraph::new(Text::styled(
            "Select a channel with ↑/↓ and press Enter. Press ? for help.",
            Style::new().fg(Color::DarkGray),
        ))
        .wrap(ratatui::widgets::Wrap { trim: true })
        .block(block);
        frame.render_widget(hint, area);
        return Drawn {
            at_top: false,
            page_rows: height,
        };
    };
    let view = timeline.view(width, height);
    let mut notes = Vec::new();
    if view.at_top && timeline.at_start() && !timeline.is_empty() {
        notes.push("start of the channel".to_string());
    } else if timeline.is_loading() && !timeline.is_empty() {
        notes.push("loading older…".to_string());
    }
    if view.offset > 0 {
        notes.push(format!("↓ {} more lines (End)", view.offset));
    }
    if !notes.is_empty() {
        let note = format!(" {} ", notes.join(" · "));
        block =
            block.title_bottom(Line::styled(note, Style::new().fg(Color::Yellow)).right_aligned());
    }
    if let Some(typing) = typing {
        block = block.title_bottom(typing.left_aligned());
    }
    if timeline.is_empty() {
        let text = if timeline.is_loading() {
            "loading…"
        } else {
            "No messages yet. Press i and say hi!"
        };
        let empty = Paragraph::new(Line::styled(text, Style::new().fg(Color::DarkGray)).centered())
            .block(block);
        frame.render_widget(empty, area);
        return Drawn {
            at_top: view.at_top,
            page_rows: height,
        };
    }
    let padding = height.saturating_sub(view.lines.len());
    let mut lines: Vec<Line<'static>> = vec![Line::raw(""); padding];
    lines.extend(view.lines.into_iter().map(display_line));
    frame.render_widget(Paragraph::new(Text::from(lines)).block(block), area);
    Drawn {
        at_top: view.at_top,
        page_rows: height,
    }
}

fn draw_input(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let channel = app.open_label();
    let typing = app.mode == Mode::Insert;
    let thread = app.thread.as_ref().map(|t| t.name.clone());
    if let (Some(name), Some(reason), false, None) = (&channel, app.send_refused(), typing, &thread)
    {
        let title = format!(" {name} — you may not post here: {reason} ");
        let block = Block::bordered()
            .border_style(Style::new().fg(Color::DarkGray))
            .title(Span::styled(
                truncate(&title, usize::from(area.width.saturating_sub(2))),
                Style::new().fg(Color::DarkGray),
            ));
        let hint = Line::styled(
            "read-only for you: the staff posts here",
            Style::new()
                .fg(Color::DarkGray)
                .add_modifier(Modifier::ITALIC),
        );
        frame.render_widget(Paragraph::new(hint).block(block), area);
        return;
    }
    let title = match (&channel, typing) {
        (Some(_), true) if app.editing.is_some() => format!(
            " Editing #{} — Enter saves, Esc cancels ",
            app.editing.unwrap_or_default()
        ),
        (Some(name), true) if app.replying.is_some() => {
            let to = app
                .replying
                .as_ref()
                .map_or_else(String::new, |(_, sender)| sender.to_string());
            format!(" Reply to {to} in {name} — Enter sends, Esc cancels ")
        }
        (Some(_), true) if thread.is_some() => format!(
            " Message {THREAD_MARK} {} — Enter sends, Esc stops typing ",
            thread.as_deref().unwrap_or_default()
        ),
        (Some(_), false) if thread.is_some() => format!(
            " Message {THREAD_MARK} {} — press i to type ",
            thread.as_deref().unwrap_or_default()
        ),
        (Some(name), true) => format!(" Message {name} — Enter sends, Esc stops typing "),
        (Some(name), false) => format!(" Message {name} — press i to type "),
        (None, _) => " Message — open a channel first ".to_string(),
    };
    let block = pane(
        truncate(&title, usize::from(area.width.saturating_sub(2))),
        typing,
    );
    let inner = block.inner(area);
    let room = usize::from(inner.width.saturating_sub(1));
    let shown = tail(&crate::wrap::sanitize(&app.input), room);
    let shown_width = u16::try_from(display_width(&shown)).unwrap_or(u16::MAX);
    frame.render_widget(Paragraph::new(shown).block(block), area);
    if typing && inner.width > 0 && inner.height > 0 {
        frame.set_cursor_position(Position::new(
            inner
                .x
                .saturating_add(shown_width.min(inner.width.saturating_sub(1))),
            inner.y,
        ));
    }
}

fn draw_status(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let (mut label, tone) = connection_label(&app.connection);
    if let Some(sync) = sync_label(app.sync) {
        label = format!("{label} · {sync}");
    }
    let (dot, color) = match tone {
        Tone::Good => ("●", Color::Green),
        Tone::Waiting => ("◌", Color::Yellow),
        Tone::Bad => ("✖", Color::Red),
    };
    let mut spans = vec![
        Span::styled(
            format!(" {dot} {label} "),
            Style::new().fg(color).add_modifier(Modifier::BOLD),
        ),
        Span::styled(
            match app.role() {
                Some(role) => format!("│ {} · {role} ", app.me),
                None => format!("│ {} ", app.me),
            },
            Style::new().fg(Color::White),
        ),
    ];
    if let Some((addr, status)) = &app.server {
        let (text, color) = match status {
            ServerStatus::Running => (format!("│ server {addr} up (K kills) "), Color::Gray),
            ServerStatus::Stopped => (format!("│ server {addr} DOWN (K restarts) "), Color::Red),
            ServerStatus::Starting => (format!("│ server {addr} starting… "), Color::Yellow),
            ServerStatus::Failed(error) => (format!("│ server failed: {error} "), Color::Red),
        };
        spans.push(Span::styled(text, Style::new().fg(color)));
    }
    let totals = badge(app.totals.total_unread, app.totals.total_mentions);
    let totals = if totals.is_empty() {
        "all read".to_string()
    } else {
        format!("unread {totals}")
    };
    spans.push(Span::styled(
        format!("│ {totals} "),
        Style::new().fg(Color::Yellow),
    ));
    match &app.notice {
        Some(notice) => spans.push(Span::styled(
            format!("│ {notice} "),
            Style::new().fg(Color::LightRed),
        )),
        None => spans.push(Span::styled(
            "│ ? help  q quit ",
            Style::new().fg(Color::DarkGray),
        )),
    }
    frame.render_widget(
        Paragraph::new(Line::from(spans)).style(Style::new().bg(Color::Black)),
        area,
    );
}

#[cfg(test)]
mod tests;
