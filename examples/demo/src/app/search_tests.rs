//! Unit tests of the search pane: `/` opens the query line, Enter searches the selected
//! community, the latest results (or a typed refusal) show, ↑ ↓ select, Enter opens the
//! hit's channel (or the thread pane over its channel) scrolled to it, Esc closes.

use community_sdk::protocol::search::{Highlight, Snippet};
use community_sdk::protocol::{ApiError, ChannelHead, ErrorCode, ThreadInfo};
use community_sdk::{HitSource, MessageHit, SearchResults, ServerSearch, ThreadEntry};

use super::tests::{app_with_messages, channel, key, message, thread_key};
use super::*;

fn hit(channel_id: &str, seq: Seq, source: HitSource) -> MessageHit {
    let mut message = message(seq);
    message.channel_id = channel_id.into();
    MessageHit {
        message,
        snippet: Snippet {
            text: "明日東京都".into(),
            highlights: vec![Highlight { start: 6, end: 12 }],
        },
        source,
    }
}

fn results(hits: Vec<MessageHit>) -> Result<SearchResults, SdkError> {
    Ok(SearchResults {
        hits,
        next_cursor: None,
        server: ServerSearch::Answered,
    })
}

fn type_in(app: &mut App, text: &str) {
    for c in text.chars() {
        assert!(app.on_action(Action::Type(c)).is_empty());
    }
}

#[test]
fn slash_searches_the_selected_community_and_enter_opens_the_hit_at_its_message() {
    let mut app = app_with_messages();
    assert!(app.on_action(Action::OpenSearch).is_empty());
    assert_eq!(app.mode, Mode::Search);
    // Command letters type into the query.
    type_in(&mut app, "東京q");
    app.on_action(Action::Backspace);
    assert!(!app.quit);
    assert_eq!(
        app.on_action(Action::Send),
        vec![Effect::Search {
            community_id: Some("a".into()),
            query: "東京".into(),
        }]
    );
    // An answer to an older query is dropped.
    app.on_search_results(
        "old".into(),
        results(vec![hit("a-general", 1, HitSource::Local)]),
    );
    assert!(app.search.as_ref().is_some_and(|p| p.shown.is_none()));
    app.on_search_results(
        "東京".into(),
        results(vec![
            hit("a-general", 2, HitSource::Local),
            hit("a-music", 7, HitSource::Server),
        ]),
    );
    assert_eq!(app.search.as_ref().map(|p| p.hits().len()), Some(2));
    assert_eq!(app.place_of(&"a".into(), &"a-music".into()), "#music");
    app.on_action(Action::LineDown);
    app.on_action(Action::LineDown);
    assert_eq!(app.search.as_ref().map(|p| p.selected), Some(1), "clamped");
    // Enter on the same query opens the selected hit: its channel, scrolled to it.
    assert_eq!(
        app.on_action(Action::Send),
        vec![Effect::Open(key("a", "music"))]
    );
    assert!(app.search.is_none());
    assert_eq!(app.mode, Mode::Navigate);
    assert_eq!(app.open.as_ref().and_then(|(_, t)| t.focused()), Some(7));
    assert_eq!(
        app.visible_channels()[app.selected_channel].info.name,
        "music"
    );
    assert_eq!(app.notice.as_deref(), Some("found in #music: message #7"));
}

#[test]
fn a_refused_query_shows_its_typed_error_and_esc_closes_the_pane() {
    let mut app = app_with_messages();
    app.on_action(Action::OpenSearch);
    type_in(&mut app, "\"unclosed");
    assert_eq!(app.on_action(Action::Send).len(), 1);
    let refused: SdkError =
        ApiError::new(ErrorCode::INVALID_SEARCH_QUERY, "an unclosed quote").into();
    app.on_search_results("\"unclosed".into(), Err(refused));
    let shown = app.search.as_ref().and_then(|p| p.shown.as_ref());
    assert!(matches!(shown, Some((_, Err(e))) if e.code() == 5037));
    // Nothing to open, and the same query is not asked again.
    assert!(app.on_action(Action::Send).is_empty());
    assert_eq!(app.mode, Mode::Search);
    app.on_action(Action::StopTyping);
    assert!(app.search.is_none());
    assert_eq!(app.mode, Mode::Navigate);
    // Opened again: a new query.
    app.on_action(Action::OpenSearch);
    assert_eq!(app.search.as_ref().map(|p| p.query.as_str()), Some(""));
}

#[test]
fn a_hit_in_a_joined_thread_opens_the_thread_over_its_channel() {
    let mut app = app_with_messages();
    app.set_joined_threads(
        "a".into(),
        vec![ThreadEntry {
            info: ThreadInfo {
                community_id: "a".into(),
                thread_id: "th_1".into(),
                parent_channel_id: "a-general".into(),
                parent_seq: Some(2),
                name: "raid plan".into(),
                created_by: "nova".into(),
                created_at_ms: 0,
                archived: false,
                locked: false,
                auto_archive_ms: 86_400_000,
                last_activity_ms: 0,
                message_count: 3,
                member_count: 2,
            },
            head: ChannelHead {
                channel_id: "th_1".into(),
                ..channel("a", "x").head
            },
        }],
    );
    app.on_action(Action::OpenSearch);
    type_in(&mut app, "raid");
    app.on_action(Action::Send);
    app.on_search_results(
        "raid".into(),
        results(vec![hit("th_1", 3, HitSource::Server)]),
    );
    assert_eq!(app.place_of(&"a".into(), &"th_1".into()), "🧵 raid plan");
    // #general is open already: only the thread pane opens; the channel shows the parent.
    assert_eq!(
        app.on_action(Action::Send),
        vec![Effect::OpenThread(thread_key("th_1"))]
    );
    assert_eq!(app.open.as_ref().and_then(|(_, t)| t.focused()), Some(2));
}
