//! What the UI draws over everything: the `?` help and the `P` list of the open
//! channel's pinned messages (any key closes either).

use community_sdk::protocol::Message;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Clear, Paragraph};

use super::{display_line, pane};
use crate::app::App;
use crate::input::HELP;
use crate::message_view::message_lines;
use crate::wrap::{display_width, truncate};

/// A rectangle of at most `width` × `height` centred in `area`.
fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    )
}

pub(super) fn draw_help(frame: &mut Frame<'_>, area: Rect) {
    let key_width = HELP
        .iter()
        .map(|(k, _)| display_width(k))
        .max()
        .unwrap_or(0);
    let mut lines: Vec<Line<'static>> = HELP
        .iter()
        .map(|(key, what)| {
            Line::from(vec![
                Span::styled(
                    format!(" {key:<key_width$}  "),
                    Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
                ),
                Span::raw(what.to_string()),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        " any key closes this help",
        Style::new().fg(Color::DarkGray),
    ));
    let height = u16::try_from(lines.len())
        .unwrap_or(u16::MAX)
        .saturating_add(2);
    let popup = centered(area, 72, height);
    frame.render_widget(Clear, popup);
    let block = pane(" Keys ".into(), true);
    frame.render_widget(Paragraph::new(Text::from(lines)).block(block), popup);
}

/// The open channel's pinned messages, newest pin first, over the screen.
pub(super) fn draw_pins(frame: &mut Frame<'_>, app: &App, pins: &[Message], area: Rect) {
    let popup = centered(area, 90, area.height.saturating_sub(4).max(3));
    let block = pane(format!(" 📌 Pinned ({}) ", pins.len()), true);
    let inner = block.inner(popup);
    let width = usize::from(inner.width);
    let mut lines: Vec<Line<'static>> = Vec::new();
    if pins.is_empty() {
        lines.push(Line::styled(
            " nothing is pinned here (p pins the newest message)",
            Style::new().fg(Color::DarkGray),
        ));
    }
    for pin in pins {
        let mut message = pin.clone();
        // The list is the pin marker already.
        message.pinned = None;
        let by = pin
            .pinned
            .as_ref()
            .map(|p| format!("#{} pinned by {}", pin.seq, p.by))
            .unwrap_or_else(|| format!("#{}", pin.seq));
        lines.push(Line::styled(
            truncate(&by, width),
            Style::new().fg(Color::DarkGray),
        ));
        lines.extend(
            message_lines(&message, &app.me, width)
                .into_iter()
                .map(display_line),
        );
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        " any key closes this list",
        Style::new().fg(Color::DarkGray),
    ));
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(Text::from(lines)).block(block), popup);
}
