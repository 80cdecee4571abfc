//! Conversations and profiles on disk: kept across a reopen with their heads and
//! messages, `@me` never listed as a community, a left conversation's cache dropped, a
//! `sync` answer replacing the conversation set, older profiles never replacing newer.

use community_protocol::response::{ConversationEntry, Synced};
use community_protocol::{
    ChannelHead, ChannelId, CommunityId, ConversationInfo, ConversationKind, Profile,
};

use super::super::test_support::*;
use crate::store::Change;

fn conversation(id: &str) -> ConversationInfo {
    ConversationInfo {
        conversation_id: id.into(),
        kind: ConversationKind::Group,
        participants: vec!["alice".into(), "bob".into(), "me".into()],
        name: "trio".into(),
        created_by: "alice".into(),
        created_at_ms: 5,
        last_seq: 2,
        last_activity_ms: 9,
    }
}

fn conversation_head(id: &str, last_seq: u64) -> ChannelHead {
    ChannelHead {
        community_id: CommunityId::direct(),
        channel_id: id.into(),
        last_seq,
        last_activity_ms: 9,
        read_seq: 0,
        unread_count: last_seq,
        mention_count: 0,
        change_seq: 0,
        hidden: Vec::new(),
        notification_level: Default::default(),
    }
}

fn profile(name: &str, at: i64) -> Profile {
    Profile {
        user_id: "bob".into(),
        display_name: name.into(),
        avatar_url: "https://example.test/b.png".into(),
        fields: [("game".to_string(), "chess".to_string())].into(),
        updated_at_ms: at,
    }
}

#[tokio::test]
async fn store_conversations_and_profiles_survive_a_reopen_and_at_me_is_no_community() {
    let temp = temp_store().await;
    temp.store
        .apply(vec![
            Change::Conversation(conversation("dm_1")),
            Change::Heads(vec![conversation_head("dm_1", 2)]),
            Change::Messages(messages("@me", "dm_1", 1..=2)),
            Change::Profiles(vec![profile("Bob", 10)]),
            Change::Profiles(vec![profile("Stale", 5)]),
        ])
        .await
        .unwrap();
    let temp = temp.reopen().await;
    let world = temp.store.load_all().await.unwrap();
    assert!(
        world.communities.is_empty(),
        "@me is not loaded as a community"
    );
    assert!(temp.store.known_versions().await.unwrap().is_empty());
    assert_eq!(world.conversations, vec![conversation("dm_1")]);
    assert_eq!(world.conversation_heads, vec![conversation_head("dm_1", 2)]);
    assert_eq!(
        world.profiles,
        vec![profile("Bob", 10)],
        "older never replaces newer"
    );
    assert_eq!(
        temp.store.message_count(Some("dm_1".into())).await.unwrap(),
        2
    );

    // Leaving drops the conversation, its head and its messages.
    temp.store
        .apply(vec![Change::RemoveConversation(ChannelId::from("dm_1"))])
        .await
        .unwrap();
    let world = temp.store.load_all().await.unwrap();
    assert!(world.conversations.is_empty() && world.conversation_heads.is_empty());
    assert_eq!(
        temp.store.message_count(Some("dm_1".into())).await.unwrap(),
        0
    );
}

#[tokio::test]
async fn store_a_sync_answer_replaces_the_conversations() {
    let temp = temp_store().await;
    temp.store
        .apply(vec![
            Change::Conversation(conversation("dm_gone")),
            Change::Messages(messages("@me", "dm_gone", 1..=3)),
        ])
        .await
        .unwrap();
    let synced = Synced {
        changed: Vec::new(),
        unchanged: Vec::new(),
        removed: Vec::new(),
        conversations: vec![ConversationEntry {
            conversation: conversation("dm_kept"),
            head: conversation_head("dm_kept", 4),
        }],
    };
    temp.store
        .apply(vec![Change::Synced(synced)])
        .await
        .unwrap();
    let world = temp.store.load_all().await.unwrap();
    assert_eq!(world.conversations, vec![conversation("dm_kept")]);
    assert_eq!(
        world.conversation_heads,
        vec![conversation_head("dm_kept", 4)]
    );
    assert_eq!(
        temp.store
            .message_count(Some("dm_gone".into()))
            .await
            .unwrap(),
        0
    );
}
