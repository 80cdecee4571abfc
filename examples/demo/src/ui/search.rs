//! The search pane, over the messages pane while `/` is open: the query line, what came
//! back (how many hits, from this device and/or the server, or the typed refusal of a
//! malformed query), then each hit as a heading (where, who, which message, local or
//! server) and its snippet with the matches in reverse video; the selected hit is marked.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::Paragraph;

use super::pane;
use crate::app::App;
use crate::search::{error_label, hit_heading, segments, server_label};
use crate::wrap::{display_width, tail, truncate};

/// The style of a match in a snippet.
const MATCH: Style = Style::new()
    .add_modifier(Modifier::REVERSED)
    .add_modifier(Modifier::BOLD);

/// A snippet on one line of `width` columns, matches in reverse video.
fn snippet_line(snippet: &community_sdk::protocol::search::Snippet, width: usize) -> Line<'static> {
    let mut spans = vec![Span::raw("  ")];
    let mut room = width.saturating_sub(2);
    for (text, marked) in segments(snippet) {
        if room == 0 {
            break;
        }
        let part = truncate(&text, room);
        room = room.saturating_sub(display_width(&part));
        spans.push(if marked {
            Span::styled(part, MATCH)
        } else {
            Span::raw(part)
        });
    }
    Line::from(spans)
}

/// Draws the search pane into `area`.
pub(super) fn draw_search(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let Some(pane_state) = &app.search else {
        return;
    };
    let scope = pane_state
        .community_id
        .as_ref()
        .and_then(|id| app.communities.iter().find(|c| c.info.community_id == *id))
        .map_or_else(|| "this device".to_string(), |c| c.info.name.clone());
    let title =
        format!(" 🔍 Search {scope} — Enter searches, ↑ ↓ select, Enter opens, Esc closes ");
    let block = pane(
        truncate(&title, usize::from(area.width.saturating_sub(2))),
        true,
    );
    let inner = block.inner(area);
    let (width, height) = (usize::from(inner.width), usize::from(inner.height));
    let query = tail(
        &crate::wrap::sanitize(&pane_state.query),
        width.saturating_sub(3),
    );
    let mut lines = vec![Line::from(vec![
        Span::styled(
            "/ ",
            Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
        ),
        Span::raw(query.clone()),
    ])];
    let dim = Style::new().fg(Color::DarkGray);
    let status = match (&pane_state.pending, &pane_state.shown) {
        (Some(query), _) => Line::styled(format!("searching for {query}…"), dim),
        (None, None) => Line::styled(
            "words, prefix*, \"exact phrases\"; 東京 finds any text containing it",
            dim,
        ),
        (None, Some((_, Err(error)))) => Line::styled(
            truncate(&error_label(error), width),
            Style::new()
                .fg(Color::LightRed)
                .add_modifier(Modifier::BOLD),
        ),
        (None, Some((query, Ok(results)))) => Line::styled(
            truncate(
                &format!(
                    "{} hit(s) for {query} · {}",
                    results.hits.len(),
                    server_label(&results.server)
                ),
                width,
            ),
            Style::new().fg(Color::Yellow),
        ),
    };
    lines.push(status);
    // Two lines a hit; scrolled so that the selected one shows.
    let hits = pane_state.hits();
    let room = height.saturating_sub(lines.len()) / 2;
    let first = pane_state
        .selected
        .saturating_sub(room.saturating_sub(1))
        .min(hits.len().saturating_sub(room.max(1)));
    for (index, hit) in hits.iter().enumerate().skip(first).take(room) {
        let place = app.place_of(&hit.message.community_id, &hit.message.channel_id);
        let sender = app.people.roster.name(&hit.message.sender_id);
        let selected = index == pane_state.selected;
        let marker = if selected { "▸ " } else { "  " };
        let heading = truncate(
            &format!("{marker}{}", hit_heading(hit, &place, &sender)),
            width,
        );
        let style = if selected {
            Style::new().bg(Color::Blue).fg(Color::White)
        } else {
            Style::new().fg(Color::Gray)
        };
        lines.push(Line::styled(heading, style));
        lines.push(snippet_line(&hit.snippet, width));
    }
    frame.render_widget(Paragraph::new(Text::from(lines)).block(block), area);
    if inner.width > 0 && inner.height > 0 {
        let column = u16::try_from(display_width(&query) + 2).unwrap_or(u16::MAX);
        frame.set_cursor_position(Position::new(
            inner
                .x
                .saturating_add(column.min(inner.width.saturating_sub(1))),
            inner.y,
        ));
    }
}
