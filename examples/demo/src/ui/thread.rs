//! The thread pane: under the open channel's messages, the thread shown with `t` or `n`,
//! its name, its channel and the user's unread count of it in the title, its newest
//! messages below (the input line posts there while it is shown).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Text};
use ratatui::widgets::Paragraph;

use super::{display_line, pane};
use crate::app::App;
use crate::format::badge;
use crate::input::Mode;
use crate::message_view::THREAD_MARK;
use crate::wrap::truncate;

/// Draws the thread pane into `area` (nothing when no thread is shown).
pub(super) fn draw_thread(frame: &mut Frame<'_>, app: &mut App, area: Rect) {
    let Some(key) = app.thread_key().cloned() else {
        return;
    };
    let counts = app.thread_counts(&key.community_id, &key.thread_id);
    let channel = app
        .open_entry()
        .map_or_else(String::new, |e| format!(" in #{}", e.info.name));
    let typing = app.mode == Mode::Insert;
    let Some(thread) = app.thread.as_mut() else {
        return;
    };
    let state = match counts {
        None => "joining…".to_string(),
        Some((0, 0)) => "read".to_string(),
        Some((unread, mentions)) => format!("unread {}", badge(unread, mentions)),
    };
    let title = format!(
        " {THREAD_MARK} {}{channel} · {state} · t next · T closes ",
        thread.name
    );
    let block = pane(
        truncate(&title, usize::from(area.width.saturating_sub(2))),
        typing,
    );
    let inner = block.inner(area);
    let (width, height) = (usize::from(inner.width), usize::from(inner.height));
    if thread.timeline.is_empty() {
        let text = if thread.timeline.is_loading() {
            "loading…"
        } else {
            "No replies yet. Press i to reply in the thread."
        };
        let empty = Paragraph::new(Line::styled(text, Style::new().fg(Color::DarkGray)).centered())
            .block(block);
        frame.render_widget(empty, area);
        return;
    }
    let view = thread.timeline.view(width, height);
    let padding = height.saturating_sub(view.lines.len());
    let mut lines: Vec<Line<'static>> = vec![Line::raw(""); padding];
    lines.extend(view.lines.into_iter().map(display_line));
    frame.render_widget(Paragraph::new(Text::from(lines)).block(block), area);
}
