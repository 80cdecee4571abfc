//! Unit tests of people in the UI state: the DM list and `d`, typing, names and presence
//! on the open timeline, voice.

use community_sdk::protocol::{
    ChannelHead, ConversationInfo, ConversationKind, Presence, PresenceStatus, VoiceParticipant,
};
use community_sdk::{ConversationEntry, ListDiff};

use super::tests::{app_with_messages, key, thread_key};
use super::*;

fn conversation(id: &str, with: &str, last_activity_ms: i64, unread: u64) -> ConversationEntry {
    ConversationEntry {
        info: ConversationInfo {
            conversation_id: id.into(),
            kind: ConversationKind::Direct,
            participants: vec!["demo".into(), with.into()],
            name: String::new(),
            created_by: with.into(),
            created_at_ms: 0,
            last_seq: unread,
            last_activity_ms,
        },
        head: ChannelHead {
            community_id: CommunityId::direct(),
            channel_id: id.into(),
            last_seq: unread,
            last_activity_ms,
            read_seq: 0,
            unread_count: unread,
            mention_count: 0,
            change_seq: 0,
            hidden: Vec::new(),
            notification_level: Default::default(),
        },
    }
}

fn dm(id: &str) -> ChannelKey {
    ChannelKey {
        community_id: CommunityId::direct(),
        channel_id: id.into(),
    }
}

#[test]
fn d_opens_the_newest_conversation_then_the_next_older_like_a_channel() {
    let mut app = app_with_messages();
    assert!(app.on_action(Action::NextConversation).is_empty());
    assert_eq!(app.notice.as_deref(), Some("no direct messages yet"));
    app.on_conversations(vec![ListDiff::Reset(vec![
        conversation("dm_old", "rook", 10, 0),
        conversation("dm_new", "ember", 20, 2),
    ])]);
    assert_eq!(app.people.conversations[0].info.conversation_id, "dm_new");
    app.on_conversations(vec![ListDiff::Update(conversation(
        "dm_old", "rook", 30, 1,
    ))]);
    assert_eq!(
        app.people.conversations[0].info.conversation_id, "dm_old",
        "newest activity first"
    );
    assert_eq!(
        app.on_action(Action::NextConversation),
        vec![Effect::Open(dm("dm_old"))]
    );
    app.set_people(vec![(
        "rook".into(),
        "Rook Keeper".into(),
        Some(PresenceStatus::DoNotDisturb),
    )]);
    assert_eq!(app.open_label().as_deref(), Some("@ ⊘ Rook Keeper"));
    assert!(app.open_conversation().is_some());
    assert_eq!(
        app.on_action(Action::NextConversation),
        vec![Effect::Open(dm("dm_new"))]
    );
    assert_eq!(
        app.on_action(Action::NextConversation),
        vec![Effect::Open(dm("dm_old"))],
        "after the oldest, the newest again"
    );
    // The input line posts in the conversation.
    app.on_action(Action::StartTyping);
    app.on_action(Action::Type('o'));
    assert_eq!(
        app.on_action(Action::Send),
        vec![Effect::Send {
            key: dm("dm_old"),
            text: "o".into(),
            reply_to: None,
        }]
    );
    app.on_conversations(vec![ListDiff::Remove("dm_old".into())]);
    assert_eq!(app.people.conversations.len(), 1);
}

#[test]
fn keystrokes_tell_the_others_where_the_input_posts() {
    let mut app = app_with_messages();
    app.on_action(Action::StartTyping);
    assert_eq!(
        app.on_action(Action::Type('h')),
        vec![Effect::Typing(key("a", "general"))]
    );
    app.on_action(Action::StopTyping);
    app.on_action(Action::EditLast);
    assert!(
        app.on_action(Action::Type('!')).is_empty(),
        "editing says nothing"
    );
    app.on_action(Action::StopTyping);
    app.thread = Some(ThreadPane {
        key: thread_key("th_1"),
        name: "raid".into(),
        parent_seq: Some(2),
        timeline: crate::scrollback::Timeline::new("demo"),
    });
    app.on_action(Action::StartTyping);
    assert_eq!(
        app.on_action(Action::Type('y')),
        vec![Effect::TypingInThread(thread_key("th_1"))]
    );
}

#[test]
fn typers_names_and_presence_show_on_the_open_channel() {
    let mut app = app_with_messages();
    app.on_typing(&key("b", "general"), vec!["rook".into()]);
    assert!(app.open_typers().is_empty(), "another channel's typers");
    app.on_typing(&key("a", "general"), vec!["nova".into()]);
    assert_eq!(app.open_typers(), [UserId::from("nova")]);
    assert!(app.people_shown().contains(&UserId::from("nova")));
    app.set_people(vec![("nova".into(), "Nova Starfall".into(), None)]);
    app.on_presence(vec![Presence {
        user_id: "nova".into(),
        status: PresenceStatus::Idle,
        text: String::new(),
        last_seen_ms: None,
    }]);
    let Some((_, timeline)) = app.open.as_mut() else {
        panic!("a channel is open");
    };
    let view = timeline.view(80, 20);
    assert!(
        view.lines
            .iter()
            .any(|l| l.prefix.contains("◐ Nova Starfall")),
        "{view:?}"
    );
    // Opening another channel forgets who typed.
    app.open_stream(key("a", "music"));
    assert!(app.open_typers().is_empty());
}

#[test]
fn voice_participants_show_under_their_channel() {
    let mut app = app_with_messages();
    let seat = |user: &str, channel: &str| VoiceParticipant {
        community_id: "a".into(),
        channel_id: channel.into(),
        user_id: user.into(),
        joined_at_ms: 0,
    };
    app.on_voice(
        "a".into(),
        vec![seat("rook", "a-lounge"), seat("quill", "a-other")],
    );
    let seated: Vec<String> = app
        .voice_in(&"a".into(), &"a-lounge".into())
        .map(|p| p.user_id.to_string())
        .collect();
    assert_eq!(seated, ["rook"]);
    assert!(app.people_shown().contains(&UserId::from("quill")));
}
