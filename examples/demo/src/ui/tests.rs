//! Unit tests of the drawing: lists, badges, status, any size, message markers, roles
//! and read-only channels, people, the search pane.

use std::collections::HashMap;

use community_sdk::protocol::{
    ChannelHead, ChannelInfo, ChannelKind, CommunityInfo, JoinPolicy, MemberInfo, Mentions,
    Message, MessageContent, NotificationStatus, Priority, Role,
};
use community_sdk::{
    ChannelEntry, CommunityEntry, ConnectionState, ListDiff, MessageUpdate, SyncState,
};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::*;
use crate::input::Action;

fn app() -> App {
    let mut app = App::new(
        "demo",
        HashMap::from([("cat".into(), "Chat".to_string())]),
        Some("127.0.0.1:9".into()),
    );
    let info = CommunityInfo {
        community_id: "c".into(),
        name: "Pixel Guild".into(),
        avatar_url: String::new(),
        notice: String::new(),
        owner_id: "demo".into(),
        join_policy: JoinPolicy::Free,
        mute_all: false,
        member_count: 3,
        attributes: Default::default(),
        default_channel_id: "general".into(),
        created_at_ms: 0,
        version: 1,
        system_messages: true,
    };
    let me = MemberInfo {
        community_id: "c".into(),
        user_id: "demo".into(),
        role: Role::Owner,
        nickname: String::new(),
        joined_at_ms: 0,
        muted_until_ms: None,
        groups: Vec::new(),
        custom_fields: Default::default(),
    };
    app.on_communities(vec![ListDiff::Reset(vec![CommunityEntry {
        info,
        me,
        notification: NotificationStatus::Notify,
    }])]);
    let channel = |id: &str, kind, private| ChannelEntry {
        info: ChannelInfo {
            community_id: "c".into(),
            channel_id: id.into(),
            name: id.into(),
            introduction: "intro".into(),
            notice: String::new(),
            custom: String::new(),
            kind,
            category_id: Some("cat".into()),
            position: 0,
            private,
            is_default: id == "general",
            created_at_ms: 0,
            overrides: Vec::new(),
            follows_category: false,
            mute_all: false,
        },
        head: ChannelHead {
            community_id: "c".into(),
            channel_id: id.into(),
            last_seq: 0,
            last_activity_ms: 0,
            read_seq: 0,
            unread_count: 120,
            mention_count: 3,
            change_seq: 0,
            hidden: Vec::new(),
            notification_level: Default::default(),
        },
    };
    app.on_channels(
        &"c".into(),
        vec![ListDiff::Reset(vec![
            channel("general", ChannelKind::Text, false),
            channel("news", ChannelKind::Announcement, false),
            channel("staff", ChannelKind::Text, true),
        ])],
    );
    app.on_connection(ConnectionState::Connected);
    app
}

fn message(seq: u64, text: &str) -> Message {
    Message {
        community_id: "c".into(),
        channel_id: "general".into(),
        seq,
        sender_id: "nova".into(),
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

fn draw(app: &mut App, width: u16, height: u16) -> (Drawn, String) {
    let mut terminal = match Terminal::new(TestBackend::new(width, height)) {
        Ok(terminal) => terminal,
        Err(error) => panic!("test backend: {error}"),
    };
    let mut drawn = None;
    if let Err(error) = terminal.draw(|frame| drawn = Some(render(frame, app))) {
        panic!("draw: {error}");
    }
    let buffer = terminal.backend().buffer();
    let text: String = buffer
        .content()
        .chunks(usize::from(width.max(1)))
        .map(|row| row.iter().map(|cell| cell.symbol()).collect::<String>() + "\n")
        .collect();
    (
        drawn.unwrap_or(Drawn {
            at_top: false,
            page_rows: 0,
        }),
        text,
    )
}

#[test]
fn draws_lists_badges_and_status() {
    let mut app = app();
    let (_, screen) = draw(&mut app, 100, 20);
    assert!(screen.contains("Pixel Guild"), "{screen}");
    assert!(screen.contains("CHAT"), "category heading\n{screen}");
    assert!(screen.contains("! news"), "{screen}");
    assert!(screen.contains("* staff"), "{screen}");
    assert!(screen.contains("99+ @3"), "{screen}");
    assert!(screen.contains("connected"), "{screen}");
    assert!(
        screen.contains("No messages yet") || screen.contains("loading"),
        "{screen}"
    );
}

#[test]
fn the_status_bar_shows_the_sync_state_until_caught_up() {
    let mut app = app();
    app.on_sync(SyncState::Syncing);
    let (_, screen) = draw(&mut app, 100, 20);
    assert!(screen.contains("connected · syncing…"), "{screen}");
    app.on_sync(SyncState::CatchingUp);
    let (_, screen) = draw(&mut app, 100, 20);
    assert!(screen.contains("connected · catching up…"), "{screen}");
    app.on_sync(SyncState::CaughtUp);
    let (_, screen) = draw(&mut app, 100, 20);
    assert!(screen.contains("connected │"), "{screen}");
    assert!(!screen.contains(" · "), "{screen}");
}

#[test]
fn any_size_draws_without_a_panic() {
    let mut app = app();
    app.on_messages(
        &crate::app::ChannelKey {
            community_id: "c".into(),
            channel_id: "general".into(),
        },
        vec![MessageUpdate::Reset {
            messages: vec![
                message(1, &"a very long message ".repeat(600)),
                message(2, "日本語 ok"),
            ],
            pending: Vec::new(),
        }],
    );
    app.on_action(Action::ToggleHelp);
    app.on_action(Action::StartTyping);
    app.input = "x".repeat(5000);
    for (width, height) in [
        (1, 1),
        (2, 5),
        (10, 3),
        (20, 8),
        (40, 12),
        (80, 24),
        (250, 70),
    ] {
        let (drawn, _) = draw(&mut app, width, height);
        assert!(drawn.page_rows <= usize::from(height));
    }
}

#[test]
fn edits_recalls_reactions_pins_and_system_lines_are_drawn() {
    use community_sdk::protocol::{Pin, Reaction};

    let mut app = app();
    let mut edited = message(1, "gg everyone");
    edited.edit_count = 1;
    edited.reactions = vec![Reaction {
        emoji: "👍".into(),
        count: 2,
        users: vec!["demo".into(), "rook".into()],
        me: false,
    }];
    let mut recalled = message(2, "");
    recalled.content = MessageContent::Recalled {
        by: "nova".into(),
        at_ms: 0,
    };
    let mut pinned = message(3, "read the rules");
    pinned.pinned = Some(Pin {
        by: "demo".into(),
        at_ms: 0,
    });
    let mut system = message(4, "");
    system.sender_id = "".into();
    system.content = MessageContent::System {
        event: "member_joined".into(),
        text: "rook joined".into(),
    };
    let general = crate::app::ChannelKey {
        community_id: "c".into(),
        channel_id: "general".into(),
    };
    app.on_messages(
        &general,
        vec![MessageUpdate::Reset {
            messages: vec![edited, recalled, pinned.clone(), system],
            pending: Vec::new(),
        }],
    );
    let (_, screen) = draw(&mut app, 100, 30);
    // The test backend shows a wide emoji as its cell and a blank one.
    let screen = screen.replace("👍 ", "👍").replace("📌 ", "📌");
    for shown in [
        "gg everyone (edited)",
        "👍 2",
        "message recalled",
        "📌 read the rules",
        "server",
        "rook joined",
    ] {
        assert!(screen.contains(shown), "{shown}\n{screen}");
    }
    app.on_pins(&general, Ok(vec![pinned]));
    let (_, screen) = draw(&mut app, 100, 30);
    assert!(screen.contains("Pinned (1)"), "{screen}");
    assert!(screen.contains("#3 pinned by demo"), "{screen}");
}

#[test]
fn long_messages_wrap_and_help_lists_the_server_key() {
    let mut app = app();
    app.on_messages(
        &crate::app::ChannelKey {
            community_id: "c".into(),
            channel_id: "general".into(),
        },
        vec![MessageUpdate::Inserted(message(
            1,
            &format!("{} END", "word ".repeat(60)),
        ))],
    );
    let (_, screen) = draw(&mut app, 90, 30);
    assert!(
        screen.contains("END"),
        "the end of a long message is visible\n{screen}"
    );
    assert!(screen.matches("word").count() >= 60, "{screen}");
    app.on_action(Action::ToggleHelp);
    let (_, screen) = draw(&mut app, 90, 30);
    assert!(
        screen.contains("kill / restart the embedded server"),
        "{screen}"
    );
}

#[test]
fn a_read_only_channel_greys_the_input_out_and_the_status_bar_shows_the_role() {
    use community_sdk::protocol::Permissions;

    use crate::roles::Access;

    let mut app = app();
    let general = crate::app::ChannelKey {
        community_id: "c".into(),
        channel_id: "general".into(),
    };
    app.set_roles(HashMap::from([(
        "c".into(),
        "member · @readers".to_string(),
    )]));
    app.set_access(
        &general,
        Some(Access {
            flags: Permissions::VIEW_CHANNEL,
            send_refused: Some("permission_denied (4000)".into()),
            read_only: true,
        }),
    );
    let (_, screen) = draw(&mut app, 120, 20);
    assert!(screen.contains("demo · member · @readers"), "{screen}");
    assert!(screen.contains("#general (read-only)"), "{screen}");
    assert!(
        screen.contains("#general — you may not post here: permission_denied (4000)"),
        "{screen}"
    );
    assert!(screen.contains("read-only for you"), "{screen}");
    app.set_access(&general, Some(Access::default()));
    let (_, screen) = draw(&mut app, 120, 20);
    assert!(
        screen.contains("Message #general — press i to type"),
        "{screen}"
    );
}

#[test]
fn digests_the_thread_pane_and_the_channels_thread_mark_are_drawn() {
    use community_sdk::ThreadEntry;
    use community_sdk::protocol::{DigestLast, ThreadDigest, ThreadInfo};

    let mut app = app();
    let general = crate::app::ChannelKey {
        community_id: "c".into(),
        channel_id: "general".into(),
    };
    let mut parent = message(1, "raid tonight?");
    parent.thread = Some(ThreadDigest {
        thread_id: "th_1".into(),
        name: "raid plan".into(),
        message_count: 12,
        last: Some(DigestLast {
            seq: 12,
            sender_id: "bob".into(),
            text: "see you there".into(),
            at_ms: 0,
        }),
        participant_count: 3,
        last_activity_ms: 0,
        archived: false,
    });
    app.on_messages(
        &general,
        vec![MessageUpdate::Reset {
            messages: vec![parent],
            pending: Vec::new(),
        }],
    );
    // The test backend shows a wide emoji as its cell and a blank one.
    let (_, screen) = draw(&mut app, 120, 30);
    let screen = screen.replace("🧵 ", "🧵");
    assert!(
        screen.contains("🧵 raid plan · 12 replies · last: bob: see you there"),
        "{screen}"
    );

    app.on_action(Action::OpenThread);
    let mut reply = message(12, "see you there");
    reply.channel_id = "th_1".into();
    reply.sender_id = "bob".into();
    let thread = crate::app::ThreadKey {
        community_id: "c".into(),
        channel_id: "general".into(),
        thread_id: "th_1".into(),
    };
    app.on_thread_page(&thread, Ok(vec![reply]));
    let head = app.visible_channels()[0].head.clone();
    app.set_joined_threads(
        "c".into(),
        vec![ThreadEntry {
            info: ThreadInfo {
                community_id: "c".into(),
                thread_id: "th_1".into(),
                parent_channel_id: "general".into(),
                parent_seq: Some(1),
                name: "raid plan".into(),
                created_by: "nova".into(),
                created_at_ms: 0,
                archived: false,
                locked: false,
                auto_archive_ms: 86_400_000,
                last_activity_ms: 0,
                message_count: 12,
                member_count: 3,
            },
            head: ChannelHead {
                channel_id: "th_1".into(),
                unread_count: 4,
                mention_count: 0,
                ..head
            },
        }],
    );
    let (_, screen) = draw(&mut app, 120, 30);
    let screen = screen.replace("🧵 ", "🧵");
    assert!(
        screen.contains("🧵 raid plan in #general · unread 4 · t next · T closes"),
        "{screen}"
    );
    assert!(screen.contains("bob  see you there"), "{screen}");
    assert!(
        screen.contains("general 🧵4"),
        "the channel's thread mark\n{screen}"
    );
    assert!(
        screen.contains("Message 🧵 raid plan — press i to type"),
        "{screen}"
    );
}

#[test]
fn draws_people_dm_list_voice_presence_and_typing() {
    use community_sdk::ConversationEntry;
    use community_sdk::protocol::{
        ConversationInfo, ConversationKind, PresenceStatus, VoiceParticipant,
    };

    let mut app = app();
    app.on_action(Action::Open);
    app.on_messages(
        &crate::app::ChannelKey {
            community_id: "c".into(),
            channel_id: "general".into(),
        },
        vec![MessageUpdate::Reset {
            messages: vec![message(1, "hello")],
            pending: Vec::new(),
        }],
    );
    app.set_people(vec![
        (
            "nova".into(),
            "Nova Starfall".into(),
            Some(PresenceStatus::Idle),
        ),
        (
            "rook".into(),
            "Rook Keeper".into(),
            Some(PresenceStatus::DoNotDisturb),
        ),
    ]);
    app.on_voice(
        "c".into(),
        vec![VoiceParticipant {
            community_id: "c".into(),
            channel_id: "staff".into(),
            user_id: "rook".into(),
            joined_at_ms: 0,
        }],
    );
    app.on_typing(
        &crate::app::ChannelKey {
            community_id: "c".into(),
            channel_id: "general".into(),
        },
        vec!["nova".into()],
    );
    let head = |unread| ChannelHead {
        community_id: "@me".into(),
        channel_id: "dm_1".into(),
        last_seq: unread,
        last_activity_ms: 5,
        read_seq: 0,
        unread_count: unread,
        mention_count: 0,
        change_seq: 0,
        hidden: Vec::new(),
        notification_level: Default::default(),
    };
    app.on_conversations(vec![ListDiff::Reset(vec![ConversationEntry {
        info: ConversationInfo {
            conversation_id: "dm_1".into(),
            kind: ConversationKind::Direct,
            participants: vec!["demo".into(), "nova".into()],
            name: String::new(),
            created_by: "nova".into(),
            created_at_ms: 0,
            last_seq: 2,
            last_activity_ms: 5,
        },
        head: head(2),
    }])]);
    let (_, screen) = draw(&mut app, 120, 30);
    assert!(
        screen.contains("◐ Nova Starfall"),
        "sender by name\n{screen}"
    );
    assert!(screen.contains("Nova Starfall is typing…"), "{screen}");
    // (A wide glyph's second cell reads as a space in the test buffer.)
    assert!(
        screen.contains("🔊") && screen.contains(" ⊘ Rook Keeper"),
        "who sits in voice\n{screen}"
    );
    assert!(screen.contains("Direct messages"), "{screen}");
    assert!(screen.contains("@ ◐ Nova Starfall"), "the DM row\n{screen}");
    // Any size draws.
    for (width, height) in [(1, 1), (20, 6), (40, 12)] {
        draw(&mut app, width, height);
    }
}

#[test]
fn the_search_pane_draws_hits_with_their_source_and_matches_reversed_or_the_typed_error() {
    use community_sdk::protocol::search::{Highlight, Snippet};
    use community_sdk::protocol::{ApiError, ErrorCode};
    use community_sdk::{HitSource, MessageHit, SearchResults, ServerSearch};

    let mut app = app();
    app.on_action(Action::OpenSearch);
    for c in "東京".chars() {
        app.on_action(Action::Type(c));
    }
    app.on_action(Action::Send);
    app.on_search_results(
        "東京".into(),
        Ok(SearchResults {
            hits: vec![MessageHit {
                message: message(4, "明日東京都に行きます"),
                snippet: Snippet {
                    text: "明日東京都に行きます".into(),
                    highlights: vec![Highlight { start: 6, end: 12 }],
                },
                source: HitSource::Server,
            }],
            next_cursor: None,
            server: ServerSearch::Answered,
        }),
    );
    let (_, screen) = draw(&mut app, 100, 24);
    // A wide character's second cell draws as a space.
    let flat = screen.replace(' ', "");
    assert!(screen.contains("Search Pixel Guild"), "{screen}");
    assert!(flat.contains("/東京"), "{screen}");
    assert!(flat.contains("1hit(s)for東京·device+server"), "{screen}");
    assert!(
        screen.contains("▸ #general · nova · #4 · server"),
        "{screen}"
    );
    assert!(flat.contains("明日東京都に行きます"), "{screen}");
    // The match is drawn in reverse video, on exactly its two characters.
    let backend = {
        let mut terminal = Terminal::new(TestBackend::new(100, 24)).unwrap();
        terminal
            .draw(|frame| {
                let _ = render(frame, &mut app);
            })
            .unwrap();
        terminal.backend().buffer().clone()
    };
    let reversed: String = backend
        .content()
        .iter()
        .filter(|cell| cell.modifier.contains(Modifier::REVERSED))
        .map(|cell| cell.symbol())
        .collect();
    assert_eq!(reversed.replace(' ', ""), "東京");

    app.on_action(Action::ClearInput);
    for c in "\"unclosed".chars() {
        app.on_action(Action::Type(c));
    }
    app.on_action(Action::Send);
    app.on_search_results(
        "\"unclosed".into(),
        Err(ApiError::new(ErrorCode::INVALID_SEARCH_QUERY, "an unclosed quote").into()),
    );
    let (_, screen) = draw(&mut app, 100, 24);
    assert!(
        screen.contains("invalid_search_query (5037): an unclosed quote"),
        "{screen}"
    );
}

#[test]
fn m_shows_the_member_pane_fed_by_the_member_list_and_brackets_scroll_it() {
    use community_sdk::protocol::member_list::{
        ListRange, MemberListItem, MemberListSection, MemberListWindow,
    };
    use community_sdk::protocol::{GroupId, PresenceStatus};
    use community_sdk::{MemberListSnapshot, MemberListUpdate};

    use crate::app::Effect;

    let mut app = app();
    let effects = app.on_action(Action::ToggleMembers);
    assert!(
        matches!(&effects[..], [Effect::FollowMembers { community_id, ranges }]
            if community_id.as_str() == "c" && ranges == &[ListRange::new(0, crate::members::PAGE - 1)]),
        "{effects:?}"
    );
    let item = |id: &str, group: Option<&str>, status| MemberListItem {
        user_id: id.into(),
        display_name: id.to_uppercase(),
        group_id: group.map(GroupId::from),
        status,
        avatar_url: String::new(),
    };
    let section = |group: Option<&str>, count, online| MemberListSection {
        group_id: group.map(GroupId::from),
        count,
        online,
    };
    let snapshot = MemberListSnapshot {
        community_id: "c".into(),
        total: 3,
        online: 2,
        sections: vec![section(Some("mods"), 1, 1), section(None, 2, 1)],
        windows: vec![MemberListWindow {
            range: ListRange::new(0, crate::members::PAGE - 1),
            items: vec![
                item("rook", Some("mods"), PresenceStatus::Online),
                item("ember", None, PresenceStatus::Idle),
                item("nova", None, PresenceStatus::Offline),
            ],
        }],
    };
    let names = HashMap::from([(GroupId::from("mods"), "Mods".to_string())]);
    app.on_member_list(&"c".into(), MemberListUpdate::Reset(snapshot), names);
    let (_, screen) = draw(&mut app, 120, 24);
    assert!(screen.contains("Members — 3 (2 online)"), "{screen}");
    assert!(screen.contains("MODS — 1 (1 online)"), "{screen}");
    assert!(screen.contains("● ROOK"), "{screen}");
    assert!(screen.contains("◐ EMBER"), "{screen}");
    assert!(screen.contains("○ NOVA"), "{screen}");
    // Three members fit one page: nothing to scroll.
    assert!(app.on_action(Action::MembersDown).is_empty());
    assert!(matches!(
        &app.on_action(Action::ToggleMembers)[..],
        [Effect::UnfollowMembers]
    ));
    let (_, screen) = draw(&mut app, 120, 24);
    assert!(!screen.contains("MODS"), "{screen}");
}
