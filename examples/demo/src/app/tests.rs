//! Unit tests of the UI state: opening, badges, typing, switching, paging.

use community_sdk::protocol::{
    ApiError, ChannelHead, ChannelInfo, ChannelKind, CommunityInfo, ErrorCode, JoinPolicy,
    MemberInfo, Mentions, MessageContent, NotificationStatus, Pin, Priority, Reaction, Role,
};
use community_sdk::{
    ChangeAction, ChangeState, ChannelUnread, CommunityUnread, MessageEdit, PendingChange,
};

use super::*;

fn community(id: &str) -> CommunityEntry {
    CommunityEntry {
        info: CommunityInfo {
            community_id: id.into(),
            name: id.to_uppercase(),
            avatar_url: String::new(),
            notice: String::new(),
            owner_id: "demo".into(),
            join_policy: JoinPolicy::Free,
            mute_all: false,
            member_count: 1,
            attributes: Default::default(),
            default_channel_id: format!("{id}-general").into(),
            created_at_ms: 0,
            version: 1,
            system_messages: true,
        },
        me: MemberInfo {
            community_id: id.into(),
            user_id: "demo".into(),
            role: Role::Owner,
            nickname: String::new(),
            joined_at_ms: 0,
            muted_until_ms: None,
            groups: Vec::new(),
            custom_fields: Default::default(),
        },
        notification: NotificationStatus::Notify,
    }
}

pub(super) fn channel(community: &str, name: &str) -> ChannelEntry {
    let id = format!("{community}-{name}");
    ChannelEntry {
        info: ChannelInfo {
            community_id: community.into(),
            channel_id: id.clone().into(),
            name: name.into(),
            introduction: String::new(),
            notice: String::new(),
            custom: String::new(),
            kind: ChannelKind::Text,
            category_id: None,
            position: 0,
            private: false,
            is_default: name == "general",
            created_at_ms: 0,
            overrides: Vec::new(),
            follows_category: false,
            mute_all: false,
        },
        head: ChannelHead {
            community_id: community.into(),
            channel_id: id.into(),
            last_seq: 0,
            last_activity_ms: 0,
            read_seq: 0,
            unread_count: 0,
            mention_count: 0,
            change_seq: 0,
            hidden: Vec::new(),
            notification_level: Default::default(),
        },
    }
}

pub(super) fn key(community: &str, name: &str) -> ChannelKey {
    ChannelKey {
        community_id: community.into(),
        channel_id: format!("{community}-{name}").into(),
    }
}

pub(super) fn message(seq: Seq) -> Message {
    Message {
        community_id: "a".into(),
        channel_id: "a-general".into(),
        seq,
        sender_id: "nova".into(),
        idempotency_key: format!("k{seq}"),
        content: MessageContent::Text { text: "hi".into() },
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

fn app_with_channels() -> App {
    let mut app = App::new("demo", HashMap::new(), Some("127.0.0.1:1".into()));
    let effects = app.on_communities(vec![ListDiff::Reset(vec![community("a"), community("b")])]);
    assert_eq!(
        effects,
        vec![
            Effect::WatchChannels("a".into()),
            Effect::WatchChannels("b".into())
        ]
    );
    app.on_channels(
        &"b".into(),
        vec![ListDiff::Reset(vec![channel("b", "general")])],
    );
    let effects = app.on_channels(
        &"a".into(),
        vec![ListDiff::Reset(vec![
            channel("a", "rules"),
            channel("a", "general"),
            channel("a", "music"),
        ])],
    );
    assert_eq!(
        effects,
        vec![Effect::Open(key("a", "general"))],
        "the default channel opens by itself"
    );
    app
}

#[test]
fn opening_a_channel_subscribes_and_marks_read() {
    let mut app = app_with_channels();
    assert_eq!(app.selected_channel, 1);
    assert_eq!(app.on_action(Action::SelectDown), Vec::new());
    assert_eq!(
        app.on_action(Action::Open),
        vec![Effect::Open(key("a", "music"))]
    );
    assert_eq!(app.on_action(Action::Open), Vec::new(), "already open");
    // Messages of a channel that is no longer open are ignored.
    assert!(
        app.on_messages(
            &key("a", "general"),
            vec![MessageUpdate::Inserted(message(1))]
        )
        .is_empty()
    );
    let effects = app.on_messages(
        &key("a", "music"),
        vec![MessageUpdate::Inserted(message(4))],
    );
    assert_eq!(effects, vec![Effect::Seen(4)]);
}

#[test]
fn badges_follow_the_unread_subscription() {
    let mut app = app_with_channels();
    let unread = |channel: &str, unread, mentions| ChannelUnread {
        community_id: "a".into(),
        channel_id: format!("a-{channel}").into(),
        read_seq: 0,
        last_seq: unread,
        unread_count: unread,
        mention_count: mentions,
    };
    app.on_unread(UnreadUpdate {
        reset: true,
        channels: vec![unread("music", 5, 1)],
        communities: vec![CommunityUnread {
            community_id: "a".into(),
            notification: NotificationStatus::Notify,
            unread_count: 5,
            mention_count: 1,
        }],
        removed_communities: Vec::new(),
        totals: UnreadTotals {
            total_unread: 5,
            total_mentions: 1,
        },
    });
    let music = app.visible_channels()[2].clone();
    assert_eq!(app.channel_counts(&music), (5, 1));
    assert_eq!(app.community_badge(&"a".into()), (5, 1));
    app.on_unread(UnreadUpdate {
        channels: vec![unread("music", 0, 0)],
        ..UnreadUpdate::default()
    });
    assert_eq!(app.channel_counts(&music), (0, 0));
    assert_eq!(
        app.community_badge(&"a".into()),
        (5, 1),
        "community sums come separately"
    );
}

#[test]
fn typing_and_sending() {
    let mut app = app_with_channels();
    assert_eq!(app.on_action(Action::Send), Vec::new(), "nothing to send");
    app.on_action(Action::StartTyping);
    assert_eq!(app.mode, Mode::Insert);
    for c in "hi!".chars() {
        app.on_action(Action::Type(c));
    }
    app.on_action(Action::Backspace);
    assert_eq!(
        app.on_action(Action::Send),
        vec![Effect::Send {
            key: key("a", "general"),
            text: "hi".into(),
            reply_to: None,
        }]
    );
    assert!(app.input.is_empty());
    app.on_action(Action::StopTyping);
    assert_eq!(app.mode, Mode::Navigate);
}

#[test]
fn switching_communities_and_removals_keep_selection_valid() {
    let mut app = app_with_channels();
    app.on_action(Action::NextCommunity);
    assert_eq!(
        app.community().map(|c| c.info.community_id.as_str()),
        Some("b")
    );
    assert_eq!(app.visible_channels().len(), 1);
    app.on_action(Action::SelectDown);
    assert_eq!(app.selected_channel, 0);
    app.on_action(Action::NextCommunity);
    assert_eq!(app.selected_channel, 1, "back on the open channel");
    let effects = app.on_channels(&"a".into(), vec![ListDiff::Remove("a-general".into())]);
    assert!(effects.is_empty());
    assert!(app.open.is_none(), "the open channel was removed");
    assert!(app.notice.is_some());
    let effects = app.on_communities(vec![ListDiff::Remove("a".into())]);
    assert_eq!(effects, vec![Effect::UnwatchChannels("a".into())]);
    assert_eq!(app.selected_community, 0);
    assert_eq!(
        app.community().map(|c| c.info.community_id.as_str()),
        Some("b")
    );
}

#[test]
fn scrolling_to_the_top_requests_older_pages_one_at_a_time() {
    let mut app = app_with_channels();
    let general = key("a", "general");
    app.on_messages(
        &general,
        vec![MessageUpdate::Reset {
            messages: (51..=100).map(message).collect(),
            pending: Vec::new(),
        }],
    );
    let effects = app.on_page(&general, None, Ok((51..=100).map(message).collect()));
    assert_eq!(effects, vec![Effect::Seen(100)]);
    assert!(app.after_view(false, 20).is_empty());
    assert_eq!(
        app.after_view(true, 20),
        vec![Effect::LoadPage {
            key: general.clone(),
            before: Some(51)
        }]
    );
    assert!(app.after_view(true, 20).is_empty(), "one page at a time");
    let failed = app.on_page(&general, Some(51), Err(SdkError::NotLoggedIn));
    assert!(failed.is_empty());
    assert!(app.notice.is_some());
    assert_eq!(
        app.after_view(true, 20).len(),
        1,
        "asks again after a failure"
    );
}

#[test]
fn server_key_needs_the_embedded_server() {
    let mut app = app_with_channels();
    assert_eq!(
        app.on_action(Action::ToggleServer),
        vec![Effect::ToggleServer]
    );
    let mut remote = App::new("demo", HashMap::new(), None);
    assert!(remote.on_action(Action::ToggleServer).is_empty());
    assert!(remote.notice.is_some());
}

#[test]
fn the_start_channel_opens_in_its_community_whatever_the_list_order() {
    let mut app =
        App::new("demo", HashMap::new(), None).with_start_channel(Some(key("b", "general")));
    let mut newer = community("a");
    newer.info.created_at_ms = 5;
    app.on_communities(vec![ListDiff::Reset(vec![newer, community("b")])]);
    assert_eq!(
        app.communities
            .iter()
            .map(|c| c.info.community_id.as_str())
            .collect::<Vec<_>>(),
        vec!["b", "a"],
        "oldest community first"
    );
    assert!(
        app.on_channels(
            &"a".into(),
            vec![ListDiff::Reset(vec![channel("a", "general")])]
        )
        .is_empty()
    );
    let effects = app.on_channels(
        &"b".into(),
        vec![ListDiff::Reset(vec![
            channel("b", "rules"),
            channel("b", "general"),
        ])],
    );
    assert_eq!(effects, vec![Effect::Open(key("b", "general"))]);
    assert_eq!((app.selected_community, app.selected_channel), (0, 1));
    // A community added later does not move the selection.
    let mut latest = community("0");
    latest.info.created_at_ms = -1;
    app.on_communities(vec![ListDiff::Insert(latest)]);
    assert_eq!(
        app.community().map(|c| c.info.community_id.as_str()),
        Some("b")
    );
}

/// The default channel of `a` with: #1 the demo user's, #2 nova's, #3 a server line.
pub(super) fn app_with_messages() -> App {
    let mut app = app_with_channels();
    let mut own = message(1);
    own.sender_id = "demo".into();
    own.content = MessageContent::Text {
        text: "mine".into(),
    };
    let mut system = message(3);
    system.sender_id = "".into();
    system.content = MessageContent::System {
        event: "member_joined".into(),
        text: "rook joined".into(),
    };
    app.on_messages(
        &key("a", "general"),
        vec![MessageUpdate::Reset {
            messages: vec![own, message(2), system],
            pending: Vec::new(),
        }],
    );
    app
}

#[test]
fn editing_the_last_message_fills_the_input_and_saves_an_edit() {
    let mut app = app_with_messages();
    app.on_action(Action::EditLast);
    assert_eq!(
        (app.mode, app.editing, app.input.as_str()),
        (Mode::Insert, Some(1), "mine")
    );
    app.on_action(Action::Type('!'));
    assert_eq!(
        app.on_action(Action::Send),
        vec![Effect::Edit {
            key: key("a", "general"),
            seq: 1,
            text: "mine!".into()
        }]
    );
    assert_eq!((app.mode, app.editing), (Mode::Navigate, None));
    // Esc cancels an edit and clears the line.
    app.on_action(Action::EditLast);
    app.on_action(Action::StopTyping);
    assert!(app.editing.is_none() && app.input.is_empty());
    assert_eq!(app.notice.as_deref(), Some("edit cancelled"));
}

#[test]
fn recall_react_pin_and_reply_target_the_right_messages() {
    let mut app = app_with_messages();
    let general = key("a", "general");
    assert_eq!(
        app.on_action(Action::RecallLast),
        vec![Effect::Recall {
            key: general.clone(),
            seq: 1
        }]
    );
    // The newest message a person wrote is nova's #2 (#3 is a server line).
    assert_eq!(
        app.on_action(Action::React),
        vec![Effect::React {
            key: general.clone(),
            seq: 2,
            emoji: "👍".into(),
            add: true
        }]
    );
    assert_eq!(
        app.on_action(Action::TogglePin),
        vec![Effect::Pin {
            key: general.clone(),
            seq: 2,
            pin: true
        }]
    );
    // Once the reaction and the pin are shown, the same keys take them back.
    let mut reacted = message(2);
    reacted.reactions = vec![Reaction {
        emoji: "👍".into(),
        count: 1,
        users: vec!["demo".into()],
        me: true,
    }];
    reacted.pinned = Some(Pin {
        by: "demo".into(),
        at_ms: 0,
    });
    app.on_messages(&general, vec![MessageUpdate::Updated(reacted)]);
    assert!(matches!(
        app.on_action(Action::React).as_slice(),
        [Effect::React { add: false, .. }]
    ));
    assert!(matches!(
        app.on_action(Action::TogglePin).as_slice(),
        [Effect::Pin { pin: false, .. }]
    ));

    app.on_action(Action::Reply);
    assert_eq!(app.replying, Some((2, "nova".into())));
    for c in "yo".chars() {
        app.on_action(Action::Type(c));
    }
    assert_eq!(
        app.on_action(Action::Send),
        vec![Effect::Send {
            key: general.clone(),
            text: "yo".into(),
            reply_to: Some(2)
        }]
    );
    assert!(app.replying.is_none());

    // After the recall there is nothing of the user's left to edit or recall.
    let mut recalled = message(1);
    recalled.sender_id = "demo".into();
    recalled.content = MessageContent::Recalled {
        by: "demo".into(),
        at_ms: 0,
    };
    app.on_messages(&general, vec![MessageUpdate::Updated(recalled)]);
    app.on_action(Action::StopTyping);
    assert!(app.on_action(Action::RecallLast).is_empty());
    app.on_action(Action::EditLast);
    assert_eq!((app.mode, app.editing), (Mode::Navigate, None));
    assert!(app.notice.is_some());
}

#[test]
fn pins_are_listed_and_refused_changes_are_told() {
    let mut app = app_with_messages();
    let general = key("a", "general");
    assert_eq!(
        app.on_action(Action::ShowPins),
        vec![Effect::LoadPins(general.clone())]
    );
    app.on_pins(&general, Ok(vec![message(2)]));
    assert_eq!(app.pins.as_ref().map(Vec::len), Some(1));
    app.on_action(Action::ToggleHelp);
    assert!(
        app.pins.is_none() && !app.show_help,
        "any key closes the list"
    );

    let refused = PendingChange {
        key: "k".into(),
        community_id: "a".into(),
        channel_id: "a-general".into(),
        seq: 2,
        action: ChangeAction::Edit(MessageEdit::default()),
        created_at_ms: 0,
        state: ChangeState::Failed {
            error: ApiError::new(ErrorCode::NOT_AUTHOR, "only the author may edit"),
        },
    };
    app.on_messages(&general, vec![MessageUpdate::Change(refused)]);
    let notice = app.notice.clone().unwrap_or_default();
    assert!(
        notice.contains("edit of #2 refused") && notice.contains("not_author"),
        "{notice}"
    );
}

#[test]
fn a_channel_the_user_may_not_post_in_refuses_typing_and_pinning_before_any_call() {
    use community_sdk::protocol::Permissions;

    use crate::roles::Access;

    let mut app = app_with_channels();
    assert_eq!(app.on_action(Action::SelectUp), Vec::new());
    assert_eq!(
        app.on_action(Action::Open),
        vec![Effect::Open(key("a", "rules"))]
    );
    app.on_messages(
        &key("a", "rules"),
        vec![MessageUpdate::Inserted(message(1))],
    );
    let read_only = Access {
        flags: Permissions::VIEW_CHANNEL.union(Permissions::READ_HISTORY),
        send_refused: Some("permission_denied (4000)".into()),
        read_only: true,
    };
    // Access of another channel is not kept.
    app.set_access(&key("a", "music"), Some(read_only.clone()));
    assert_eq!(app.send_refused(), None);
    app.set_access(&key("a", "rules"), Some(read_only));
    assert_eq!(app.send_refused(), Some("permission_denied (4000)"));
    for action in [Action::StartTyping, Action::Reply, Action::EditLast] {
        assert_eq!(app.on_action(action), Vec::new());
        assert_eq!(app.mode, Mode::Navigate, "{action:?}");
        assert_eq!(
            app.notice.as_deref(),
            Some("you may not post in #rules: permission_denied (4000)")
        );
    }
    assert_eq!(app.on_action(Action::TogglePin), Vec::new());
    assert!(
        app.notice
            .as_deref()
            .is_some_and(|n| n.contains("manage_messages"))
    );
    // A moderator may pin there (still not post).
    app.set_access(
        &key("a", "rules"),
        Some(Access {
            flags: Permissions::VIEW_CHANNEL.union(Permissions::MANAGE_MESSAGES),
            send_refused: Some("permission_denied (4000)".into()),
            read_only: true,
        }),
    );
    assert_eq!(
        app.on_action(Action::TogglePin),
        vec![Effect::Pin {
            key: key("a", "rules"),
            seq: 1,
            pin: true
        }]
    );
    // Where the user may post, typing starts; opening another channel forgets the access.
    app.set_access(&key("a", "rules"), Some(Access::default()));
    app.on_action(Action::StartTyping);
    assert_eq!(app.mode, Mode::Insert);
    app.on_action(Action::StopTyping);
    app.on_action(Action::SelectDown);
    app.on_action(Action::Open);
    assert!(app.open_access().is_none());
    // The role of the selected community, when known.
    app.set_roles(HashMap::from([(
        "a".into(),
        "member · @readers".to_string(),
    )]));
    assert_eq!(app.role(), Some("member · @readers"));
}

fn digest(thread_id: &str, name: &str) -> community_sdk::protocol::ThreadDigest {
    community_sdk::protocol::ThreadDigest {
        thread_id: thread_id.into(),
        name: name.into(),
        message_count: 2,
        last: None,
        participant_count: 1,
        last_activity_ms: 0,
        archived: false,
    }
}

pub(super) fn thread_key(thread_id: &str) -> ThreadKey {
    ThreadKey {
        community_id: "a".into(),
        channel_id: "a-general".into(),
        thread_id: thread_id.into(),
    }
}

#[test]
fn t_opens_the_threads_of_the_newest_messages_in_turn_and_the_input_posts_there() {
    let mut app = app_with_channels();
    assert!(app.on_action(Action::OpenThread).is_empty());
    assert!(
        app.notice
            .as_deref()
            .is_some_and(|n| n.contains("n starts one"))
    );
    let (mut older, mut newer) = (message(1), message(3));
    older.thread = Some(digest("th_old", "old plan"));
    newer.thread = Some(digest("th_new", "new plan"));
    app.on_messages(
        &key("a", "general"),
        vec![MessageUpdate::Reset {
            messages: vec![older, message(2), newer],
            pending: Vec::new(),
        }],
    );
    assert_eq!(
        app.on_action(Action::OpenThread),
        vec![Effect::OpenThread(thread_key("th_new"))]
    );
    assert_eq!(
        app.on_action(Action::OpenThread),
        vec![Effect::OpenThread(thread_key("th_old"))],
        "again: the next older one"
    );
    assert_eq!(
        app.on_action(Action::OpenThread),
        vec![Effect::OpenThread(thread_key("th_new"))],
        "after the oldest, the newest again"
    );

    // The pane's messages are kept read; the input line posts in the thread.
    let mut reply = message(1);
    reply.channel_id = "th_new".into();
    assert_eq!(
        app.on_thread_page(&thread_key("th_new"), Ok(vec![reply])),
        vec![Effect::ThreadSeen(1)]
    );
    assert!(
        app.on_thread_messages(
            &thread_key("th_other"),
            vec![MessageUpdate::Inserted(message(5))]
        )
        .is_empty(),
        "another thread's updates are ignored"
    );
    app.on_action(Action::StartTyping);
    for c in "me too".chars() {
        app.on_action(Action::Type(c));
    }
    assert_eq!(
        app.on_action(Action::Send),
        vec![Effect::SendInThread {
            key: thread_key("th_new"),
            text: "me too".into()
        }]
    );
    app.on_action(Action::StopTyping);
    assert_eq!(
        app.on_action(Action::CloseThread),
        vec![Effect::CloseThread]
    );
    assert!(app.thread.is_none());
    assert!(app.on_action(Action::CloseThread).is_empty());
}

#[test]
fn n_starts_a_thread_from_the_newest_message_and_shows_it() {
    let mut app = app_with_messages();
    let mut with_thread = message(4);
    with_thread.thread = Some(digest("th_4", "hi"));
    app.on_messages(
        &key("a", "general"),
        vec![MessageUpdate::Inserted(with_thread)],
    );
    // #4 has a thread already and #3 is the server's: #2 it is.
    assert_eq!(
        app.on_action(Action::StartThread),
        vec![Effect::StartThread {
            key: key("a", "general"),
            seq: 2,
            name: "hi".into()
        }]
    );
    assert_eq!(
        app.on_thread_started(thread_key("th_2"), "hi".into(), 2),
        vec![Effect::OpenThread(thread_key("th_2"))]
    );
    // Opening another channel closes the pane.
    app.on_action(Action::SelectUp);
    let effects = app.on_action(Action::Open);
    assert_eq!(
        effects,
        vec![Effect::CloseThread, Effect::Open(key("a", "rules"))]
    );
    assert!(app.thread.is_none());
}

#[test]
fn joined_threads_count_per_thread_and_per_channel() {
    use community_sdk::ThreadEntry;
    use community_sdk::protocol::ThreadInfo;

    let mut app = app_with_channels();
    let entry = |thread_id: &str, parent: &str, unread: u64| ThreadEntry {
        info: ThreadInfo {
            community_id: "a".into(),
            thread_id: thread_id.into(),
            parent_channel_id: parent.into(),
            parent_seq: Some(1),
            name: thread_id.into(),
            created_by: "nova".into(),
            created_at_ms: 0,
            archived: false,
            locked: false,
            auto_archive_ms: 86_400_000,
            last_activity_ms: 0,
            message_count: unread,
            member_count: 2,
        },
        head: ChannelHead {
            unread_count: unread,
            ..channel("a", "x").head
        },
    };
    app.set_joined_threads(
        "a".into(),
        vec![
            entry("th_1", "a-general", 2),
            entry("th_2", "a-general", 3),
            entry("th_3", "a-music", 1),
        ],
    );
    assert_eq!(app.thread_counts(&"a".into(), &"th_1".into()), Some((2, 0)));
    assert_eq!(app.thread_counts(&"a".into(), &"th_9".into()), None);
    assert_eq!(
        app.channel_thread_counts(&"a".into(), &"a-general".into()),
        (5, 0)
    );
    // The unread subscription is newer than the cached heads.
    app.on_unread(UnreadUpdate {
        reset: false,
        channels: vec![ChannelUnread {
            community_id: "a".into(),
            channel_id: "th_2".into(),
            read_seq: 0,
            last_seq: 4,
            unread_count: 4,
            mention_count: 1,
        }],
        communities: Vec::new(),
        removed_communities: Vec::new(),
        totals: UnreadTotals::default(),
    });
    assert_eq!(
        app.channel_thread_counts(&"a".into(), &"a-general".into()),
        (6, 1)
    );
    assert_eq!(
        app.channel_thread_counts(&"a".into(), &"a-rules".into()),
        (0, 0)
    );
}
