//! Keeping cached messages equal to the server's: changes applied in their channel's
//! order (duplicates skipped, gaps reported), reply previews following their original,
//! pages stored at the change sequence they were read at, local replacements, the queue
//! of changes made on this device, and a cache from version 1 upgraded.

use community_protocol::{
    ApiError, ChangeKind, ErrorCode, Mentions, Message, MessageChange, MessageContent,
    PreviewState, ReplyPreview,
};

use super::super::test_support::*;
use super::super::{Change, Replacement, Store, schema};
use crate::model::{ChangeAction, ChangeState, MessageEdit, PendingChange};

const CH: &str = "a-ch000";

fn change(change_seq: u64, seq: u64, by: &str, kind: ChangeKind) -> MessageChange {
    MessageChange {
        community_id: "a".into(),
        channel_id: CH.into(),
        change_seq,
        seq,
        by: by.into(),
        at_ms: 1_800_000_000_000 + change_seq as i64,
        kind,
    }
}

fn edit(change_seq: u64, seq: u64, text: &str) -> MessageChange {
    change(
        change_seq,
        seq,
        "bob",
        ChangeKind::Edited {
            content: MessageContent::Text { text: text.into() },
            mentions: Mentions::default(),
            previous_mentions: Mentions::default(),
            custom_data: String::new(),
            edit_count: 1,
        },
    )
}

fn reply(seq: u64, to: u64) -> Message {
    let mut message = message("a", CH, seq);
    message.reply_to = Some(to);
    message.reply_preview = Some(ReplyPreview::of(&message_at(to)));
    message
}

fn message_at(seq: u64) -> Message {
    message("a", CH, seq)
}

#[tokio::test]
async fn store_changes_apply_in_order_once_and_report_gaps() {
    let temp = temp_store().await;
    let store = &temp.store;
    let me = "me".to_string();
    store
        .apply(vec![
            Change::Messages(messages("a", CH, 1..=5)),
            Change::Baselines(vec![("a".into(), CH.into(), 0)]),
        ])
        .await
        .unwrap();

    let outcome = store
        .apply_message_changes(
            vec![edit(1, 2, "edited"), edit(1, 2, "edited")],
            me.clone().into(),
        )
        .await
        .unwrap();
    assert_eq!(outcome.updated.len(), 1);
    assert!(outcome.behind.is_empty());
    let two = store.message(CH.into(), 2).await.unwrap().unwrap();
    assert_eq!(
        two.content,
        MessageContent::Text {
            text: "edited".into()
        }
    );
    assert_eq!(two.edit_count, 1);
    assert_eq!(two.edited_at_ms, Some(1_800_000_000_001));

    // A replay of change 1 changes nothing; change 3 before 2 is a gap, not applied.
    let outcome = store
        .apply_message_changes(
            vec![edit(1, 2, "again"), edit(3, 3, "skipped")],
            me.clone().into(),
        )
        .await
        .unwrap();
    assert!(outcome.updated.is_empty());
    assert_eq!(outcome.behind, vec![("a".into(), CH.into())]);
    assert_eq!(
        store.message(CH.into(), 3).await.unwrap(),
        Some(message_at(3))
    );

    // Changes to messages that are not cached still move the channel's position.
    let outcome = store
        .apply_message_changes(vec![edit(2, 40, "elsewhere"), edit(3, 3, "now")], me.into())
        .await
        .unwrap();
    assert_eq!(seqs(&outcome.updated), vec![3]);
    assert_eq!(
        store.cached_channels().await.unwrap(),
        vec![("a".into(), CH.into(), 3)]
    );
}

#[tokio::test]
async fn store_reply_previews_follow_edits_and_recalls_of_the_original() {
    let temp = temp_store().await;
    let store = &temp.store;
    store
        .apply(vec![
            Change::Messages(vec![message_at(1), reply(2, 1), reply(3, 1)]),
            Change::Baselines(vec![("a".into(), CH.into(), 0)]),
        ])
        .await
        .unwrap();
    let outcome = store
        .apply_message_changes(vec![edit(1, 1, "first line\nsecond")], "me".into())
        .await
        .unwrap();
    assert_eq!(seqs(&outcome.updated), vec![1, 2, 3]);
    let preview = store
        .message(CH.into(), 2)
        .await
        .unwrap()
        .unwrap()
        .reply_preview
        .unwrap();
    assert_eq!(
        (preview.text.as_str(), preview.state),
        ("first line", PreviewState::Edited)
    );

    let recall = change(
        2,
        1,
        "admin",
        ChangeKind::Recalled {
            sender_id: "bob".into(),
            mentions: Mentions::default(),
        },
    );
    store
        .apply_message_changes(vec![recall], "me".into())
        .await
        .unwrap();
    let original = store.message(CH.into(), 1).await.unwrap().unwrap();
    assert!(original.content.is_recalled());
    let preview = store
        .message(CH.into(), 3)
        .await
        .unwrap()
        .unwrap()
        .reply_preview
        .unwrap();
    assert_eq!(preview.state, PreviewState::Recalled);
    assert!(preview.text.is_empty());
}

#[tokio::test]
async fn store_pages_replace_older_copies_and_older_pages_move_the_channel_back() {
    let temp = temp_store().await;
    let store = &temp.store;
    // First page: the channel starts at its change sequence.
    let outcome = store
        .insert_page("a".into(), CH.into(), messages("a", CH, 1..=3), 5)
        .await
        .unwrap();
    assert_eq!(seqs(&outcome.new), vec![1, 2, 3]);
    assert!(outcome.behind.is_empty());

    // A newer page (change 7) with message 2 edited: replaces it; the channel is behind
    // (the other cached messages miss changes 6 and 7).
    let mut edited = message_at(2);
    edited.edit_count = 1;
    let outcome = store
        .insert_page(
            "a".into(),
            CH.into(),
            vec![edited.clone(), message_at(4)],
            7,
        )
        .await
        .unwrap();
    assert_eq!(seqs(&outcome.new), vec![4]);
    assert_eq!(outcome.updated, vec![edited.clone()]);
    assert_eq!(outcome.behind, vec![("a".into(), CH.into())]);
    assert_eq!(store.cached_channels().await.unwrap()[0].2, 5);

    // An older page (change 2) adds only what is missing and moves the channel back.
    let outcome = store
        .insert_page("a".into(), CH.into(), vec![message_at(2), message_at(5)], 2)
        .await
        .unwrap();
    assert_eq!(seqs(&outcome.new), vec![5]);
    assert!(outcome.updated.is_empty());
    assert_eq!(store.message(CH.into(), 2).await.unwrap(), Some(edited));
    assert_eq!(store.cached_channels().await.unwrap()[0].2, 2);
}

#[tokio::test]
async fn store_replacements_touch_cached_messages_and_keep_newer_copies() {
    let temp = temp_store().await;
    let store = &temp.store;
    store
        .apply(vec![
            Change::Messages(messages("a", CH, 1..=2)),
            Change::Baselines(vec![("a".into(), CH.into(), 4)]),
        ])
        .await
        .unwrap();
    let mut flagged = message_at(1);
    flagged.custom_data = "{\"flag\":1}".into();
    let echo = |message: Message| Replacement {
        message,
        as_of: None,
    };
    let applied = store
        .apply(vec![Change::ReplaceMessages(vec![
            echo(flagged.clone()),
            echo(message_at(2)),
            echo(message_at(9)),
        ])])
        .await
        .unwrap();
    assert_eq!(applied.updated_messages, vec![flagged.clone()]);
    assert_eq!(
        store.message(CH.into(), 1).await.unwrap(),
        Some(flagged.clone())
    );
    assert_eq!(store.message(CH.into(), 9).await.unwrap(), None);

    // A server copy older than what the cache applied (change 4) is not taken; one as new
    // is.
    let older = Replacement {
        message: message_at(1),
        as_of: Some(3),
    };
    let applied = store
        .apply(vec![Change::ReplaceMessages(vec![older])])
        .await
        .unwrap();
    assert!(applied.updated_messages.is_empty());
    let current = Replacement {
        message: message_at(1),
        as_of: Some(4),
    };
    let applied = store
        .apply(vec![Change::ReplaceMessages(vec![current])])
        .await
        .unwrap();
    assert_eq!(applied.updated_messages, vec![message_at(1)]);
}

fn pending(key: &str, action: ChangeAction) -> PendingChange {
    PendingChange {
        key: key.into(),
        community_id: "a".into(),
        channel_id: CH.into(),
        seq: 2,
        action,
        created_at_ms: 1,
        state: ChangeState::Pending,
    }
}

#[tokio::test]
async fn store_pending_changes_survive_a_restart_and_settle_once() {
    let temp = temp_store().await;
    let edit = ChangeAction::Edit(MessageEdit {
        content: Some(MessageContent::Text { text: "new".into() }),
        ..MessageEdit::default()
    });
    assert!(
        temp.store
            .pending_enqueue(pending("k1", edit.clone()))
            .await
            .unwrap()
    );
    assert!(
        !temp
            .store
            .pending_enqueue(pending("k1", ChangeAction::Pin))
            .await
            .unwrap()
    );
    assert!(
        temp.store
            .pending_enqueue(pending(
                "k2",
                ChangeAction::AddReaction {
                    emoji: "👍".into()
                }
            ))
            .await
            .unwrap()
    );
    let temp = temp.reopen().await;
    let queued = temp.store.pending_changes().await.unwrap();
    assert_eq!(
        queued.iter().map(|c| c.key.as_str()).collect::<Vec<_>>(),
        ["k1", "k2"]
    );
    assert_eq!(queued[0].action, edit);

    let done = ChangeState::Done {
        change_seq: Some(4),
    };
    assert!(
        temp.store
            .pending_settle("k1".into(), done.clone())
            .await
            .unwrap()
    );
    assert!(
        !temp
            .store
            .pending_settle("k1".into(), ChangeState::Done { change_seq: None })
            .await
            .unwrap()
    );
    let refused = ChangeState::Failed {
        error: ApiError::new(ErrorCode::MESSAGE_RECALLED, "recalled"),
    };
    assert!(
        temp.store
            .pending_settle("k2".into(), refused.clone())
            .await
            .unwrap()
    );
    assert!(temp.store.pending_changes().await.unwrap().is_empty());
    assert_eq!(
        temp.store
            .pending_entry("k1".into())
            .await
            .unwrap()
            .unwrap()
            .state,
        done
    );
    assert_eq!(
        temp.store
            .pending_entry("k2".into())
            .await
            .unwrap()
            .unwrap()
            .state,
        refused
    );
}

#[tokio::test]
async fn store_a_version_1_cache_upgrades_with_its_messages() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.sqlite3");
    {
        let connection = rusqlite::Connection::open(&path).unwrap();
        connection.execute_batch(schema::V1).unwrap();
        connection
            .execute_batch(
                "PRAGMA user_version = 1;
                 INSERT INTO messages (channel_id, seq, community_id, sender_id, idempotency_key,
                     content, mentions, reply_to, priority, created_at_ms)
                 VALUES ('a-ch000', 1, 'a', 'bob', 'k', '{\"type\":\"text\",\"text\":\"hi\"}',
                     NULL, NULL, 'normal', 5);
                 INSERT INTO message_channels (channel_id, community_id) VALUES ('a-ch000', 'a');",
            )
            .unwrap();
    }
    let store = Store::open(&path).await.unwrap();
    let message = store.message(CH.into(), 1).await.unwrap().unwrap();
    assert_eq!(message.content, MessageContent::Text { text: "hi".into() });
    assert!(message.reactions.is_empty() && message.custom_data.is_empty());
    // Its position in the change sequence is unknown: 0, so everything is caught up.
    assert_eq!(store.cached_channels().await.unwrap()[0].2, 0);
    store.close().await;
    assert_eq!(raw_pragmas(&path).0, schema::current_version());
}
