//! Unit tests of people in the state: conversations counted in the totals and listed by
//! activity, typing shown, ended by a message and expired, voice moving between
//! channels, profiles taken only when newer.

use community_protocol::response::ConversationEntry as WireEntry;
use community_protocol::{
    ConversationInfo, ConversationKind, NotificationStatus, Profile, VoiceParticipant,
};

use super::tests::{head, message, snapshot};
use super::*;
use crate::events::Publication;

fn conversation(id: &str, activity: i64) -> ConversationInfo {
    ConversationInfo {
        conversation_id: id.into(),
        kind: ConversationKind::Direct,
        participants: vec!["me".into(), "bob".into()],
        name: String::new(),
        created_by: "bob".into(),
        created_at_ms: 0,
        last_seq: 0,
        last_activity_ms: activity,
    }
}

fn state() -> State {
    State::from_snapshots(
        Some("me".into()),
        vec![snapshot(
            "c",
            vec![head("c", "general", 0, 0, 0, 0)],
            NotificationStatus::DoNotDisturb,
        )],
    )
}

#[test]
fn conversations_count_in_the_totals_and_are_listed_newest_first_but_not_as_communities() {
    let mut state = state();
    let mut out = Vec::new();
    state.upsert_conversation(
        conversation("dm_a", 10),
        Some(&head("@me", "dm_a", 2, 0, 2, 0)),
        &mut out,
    );
    state.upsert_conversation(
        conversation("dm_b", 20),
        Some(&head("@me", "dm_b", 1, 0, 1, 1)),
        &mut out,
    );
    assert_eq!(state.totals().total_unread, 3, "conversations always count");
    assert_eq!(state.totals().total_mentions, 1);
    let order: Vec<String> = state
        .conversation_entries()
        .iter()
        .map(|e| e.info.conversation_id.to_string())
        .collect();
    assert_eq!(order, ["dm_b", "dm_a"]);
    assert_eq!(state.community_entries().len(), 1, "@me is no community");
    assert!(!state.known_versions().contains_key(&CommunityId::direct()));
    // A message moves dm_a to the top and counts.
    let mut m = message("@me", "dm_a", 3, "bob", false);
    m.created_at_ms = 30;
    state.on_message(&m, &mut out);
    state.conversation_activity(&m, &mut out);
    assert_eq!(
        state.conversation_entries()[0]
            .info
            .conversation_id
            .as_str(),
        "dm_a"
    );
    assert_eq!(state.totals().total_unread, 4);
    // Leaving takes its counts along.
    assert!(state.remove_conversation(&"dm_a".into(), &mut out));
    assert_eq!(state.totals().total_unread, 1);
    assert!(
        out.iter()
            .any(|p| matches!(p, Publication::Conversation(ListDiff::Remove(id)) if id == "dm_a"))
    );
}

#[test]
fn a_sync_answer_replaces_the_conversations_with_exact_heads() {
    let mut state = state();
    let mut out = Vec::new();
    state.upsert_conversation(conversation("dm_old", 1), None, &mut out);
    state.replace_conversations(
        &[WireEntry {
            conversation: conversation("dm_new", 5),
            head: head("@me", "dm_new", 7, 2, 5, 0),
        }],
        &mut out,
    );
    let entries = state.conversation_entries();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].head.unread_count, 5);
    assert_eq!(state.totals().total_unread, 5);
}

#[test]
fn typing_shows_until_the_message_or_the_deadline_and_never_the_user() {
    let mut state = state();
    let mut out = Vec::new();
    let (c, ch) = (CommunityId::from("c"), ChannelId::from("general"));
    state.typing(
        c.clone(),
        ch.clone(),
        vec!["bob".into(), "me".into(), "carol".into()],
        1_000,
        &mut out,
    );
    assert_eq!(
        state.typers(&c, &ch),
        vec![UserId::from("bob"), UserId::from("carol")]
    );
    assert_eq!(state.next_typing_expiry(), Some(1_000));
    state.typing_done(&message("c", "general", 1, "bob", false), &mut out);
    assert_eq!(state.typers(&c, &ch), vec![UserId::from("carol")]);
    assert_eq!(state.expire_typing(999, &mut out), Some(1_000));
    assert_eq!(state.expire_typing(1_000, &mut out), None);
    assert!(state.typers(&c, &ch).is_empty());
    let last = out.iter().rev().find_map(|p| match p {
        Publication::Typing { users, .. } => Some(users.clone()),
        _ => None,
    });
    assert_eq!(last, Some(vec![]), "the empty list is published");
}

#[test]
fn voice_moves_between_channels_and_profiles_are_taken_only_when_newer() {
    let mut state = state();
    let mut out = Vec::new();
    let sit = |channel: &str, at: i64| VoiceParticipant {
        community_id: "c".into(),
        channel_id: channel.into(),
        user_id: "bob".into(),
        joined_at_ms: at,
    };
    state.voice_joined(sit("v1", 1), &mut out);
    state.voice_joined(sit("v2", 2), &mut out);
    let voice = state.voice(&"c".into());
    assert_eq!(voice.len(), 1);
    assert_eq!(voice[0].channel_id.as_str(), "v2");
    state.voice_left(&"c".into(), &"v1".into(), &"bob".into(), &mut out);
    assert_eq!(state.voice(&"c".into()).len(), 1, "not in v1 any more");
    state.voice_left(&"c".into(), &"v2".into(), &"bob".into(), &mut out);
    assert!(state.voice(&"c".into()).is_empty());

    let profile = |name: &str, at: i64| Profile {
        user_id: "bob".into(),
        display_name: name.into(),
        avatar_url: String::new(),
        fields: Default::default(),
        updated_at_ms: at,
    };
    assert_eq!(
        state.put_profiles(vec![profile("Bob", 5)], &mut out).len(),
        1
    );
    assert!(
        state
            .put_profiles(vec![profile("Old", 4)], &mut out)
            .is_empty()
    );
    assert!(
        state
            .put_profiles(vec![profile("Bob", 5)], &mut out)
            .is_empty()
    );
    assert_eq!(
        state
            .profile(&"bob".into())
            .map(|p| p.display_name.as_str()),
        Some("Bob")
    );
}
