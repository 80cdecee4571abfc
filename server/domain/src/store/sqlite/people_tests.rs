//! Tests of the people schema (version 5): the upgrade from version 4 keeps the data and
//! adds `@me`, conversations, known users, policies, blocks and profiles; a conversation's
//! messages use the channel tables.

use community_protocol::{
    ChannelId, CommunityId, ConversationKind, DmPolicy, MessageContent, Priority, Profile, UserId,
};
use rusqlite::Connection;

use super::schema::{MIGRATIONS, SCHEMA_VERSION};
use super::{DATABASE_FILE, SqliteOptions, SqliteStore};
use crate::store::{NewConversation, NewMessage, Store};

/// A version-4 database with a community, two members, a channel and a message.
fn version_4(dir: &std::path::Path) {
    let conn = Connection::open(dir.join(DATABASE_FILE)).unwrap();
    for migration in &MIGRATIONS[..4] {
        conn.execute_batch(migration).unwrap();
    }
    conn.pragma_update(None, "user_version", 4).unwrap();
    conn.execute_batch(
        r#"INSERT INTO communities (community_id, name, avatar_url, notice, owner_id,
                  join_policy, mute_all, member_count, default_channel_id, created_at_ms, version)
                  VALUES ('c', 'Old', '', '', 'alice', 'free', 0, 2, 'ch', 5, 3);
           INSERT INTO members VALUES ('c', 'alice', 'owner', '', 5, NULL);
           INSERT INTO members VALUES ('c', 'bob', 'member', '', 6, NULL);
           INSERT INTO channels (channel_id, community_id, name, introduction, notice, custom,
                  kind, category_id, position, private, is_default, created_at_ms, last_seq,
                  last_activity_ms)
                  VALUES ('ch', 'c', 'general', '', '', '', 'text', NULL, 0, 0, 1, 5, 1, 6);
           INSERT INTO messages (channel_id, seq, community_id, sender_id, idempotency_key,
                  content, mentions, reply_to, priority, created_at_ms)
                  VALUES ('ch', 1, 'c', 'alice', 'k1', '{"type":"text","text":"v4"}', '{}',
                          NULL, 'normal', 6);"#,
    )
    .unwrap();
}

#[test]
fn a_version_4_database_upgrades_to_people() {
    let dir = tempfile::tempdir().unwrap();
    version_4(dir.path());
    let store = SqliteStore::open(dir.path(), &SqliteOptions::default()).unwrap();
    let store: &dyn Store = &store;
    let (alice, bob, carol) = (
        UserId::from("alice"),
        UserId::from("bob"),
        UserId::from("carol"),
    );
    let dm = ChannelId::from("dm_1");
    let direct = CommunityId::direct();
    store
        .write("test", |tx| {
            // The old data is there; `@me` holds no channel yet.
            let general = tx.channel(&"c".into(), &"ch".into())?.unwrap();
            assert_eq!(general.last_seq, 1);
            assert!(tx.channels(&direct)?.is_empty());
            // Members are known users; others are once seen.
            assert!(tx.user_exists(&alice)? && tx.user_exists(&bob)?);
            assert!(!tx.user_exists(&carol)?);
            assert!(tx.note_user(&carol, 7)?);
            assert!(!tx.note_user(&carol, 8)?);
            assert!(tx.user_exists(&carol)?);
            assert!(tx.shares_community(&alice, &bob)?);
            assert!(!tx.shares_community(&alice, &carol)?);
            // A direct conversation: a channel of @me with its participants.
            tx.insert_conversation(&NewConversation {
                conversation_id: &dm,
                kind: ConversationKind::Direct,
                name: "",
                created_by: &bob,
                created_at_ms: 9,
                participants: &[alice.clone(), carol.clone()],
            })?;
            assert_eq!(tx.direct_conversation(&carol, &alice)?, Some(dm.clone()));
            assert_eq!(tx.direct_conversation(&alice, &bob)?, None);
            let stream = tx.channel(&direct, &dm)?.unwrap();
            assert_eq!((stream.last_seq, stream.last_activity_ms), (0, 9));
            let message = tx.append_message(&NewMessage {
                community_id: &direct,
                channel_id: &dm,
                sender_id: &alice,
                idempotency_key: "k2",
                content: &MessageContent::Text { text: "hi".into() },
                mentions: &Default::default(),
                reply_to: None,
                priority: Priority::Normal,
                created_at_ms: 10,
                custom_data: "",
                forwarded_from: None,
            })?;
            assert_eq!((message.seq, message.community_id.as_str()), (1, "@me"));
            let info = tx.conversation(&dm)?.unwrap();
            assert_eq!(info.participants, vec![alice.clone(), carol.clone()]);
            assert_eq!((info.last_seq, info.last_activity_ms), (1, 10));
            assert_eq!(tx.unread_counts(&carol, &dm, 0)?, (1, 0));
            assert_eq!(tx.conversations_of(&carol, None, None)?, vec![info]);
            assert_eq!(tx.contacts(&carol)?, vec![alice.clone()]);
            assert_eq!(tx.contacts(&alice)?, vec![bob.clone(), carol.clone()]);
            // Policies, blocks, profiles.
            assert_eq!(tx.dm_policy(&alice)?, DmPolicy::Anyone);
            tx.set_dm_policy(&alice, DmPolicy::Nobody)?;
            assert_eq!(tx.dm_policy(&alice)?, DmPolicy::Nobody);
            assert!(tx.block(&alice, &bob, 11)? && !tx.block(&alice, &bob, 12)?);
            assert!(tx.blocks_between(&bob, &alice)?);
            assert_eq!(tx.blocked_by(&alice)?, vec![bob.clone()]);
            let profile = Profile {
                user_id: alice.clone(),
                display_name: "Alice".into(),
                avatar_url: String::new(),
                fields: [("city".to_owned(), "Lyon".to_owned())].into(),
                updated_at_ms: 13,
            };
            tx.put_profile(&profile)?;
            assert_eq!(tx.profile(&alice)?, Some(profile));
            assert_eq!(tx.profile(&bob)?, None);
            Ok(())
        })
        .unwrap();
    // A second direct conversation of the same pair is refused by the schema.
    let again = store.write("test", |tx| {
        Ok(tx.insert_conversation(&NewConversation {
            conversation_id: &"dm_2".into(),
            kind: ConversationKind::Direct,
            name: "",
            created_by: &carol,
            created_at_ms: 14,
            participants: &[carol.clone(), alice.clone()],
        })?)
    });
    assert!(again.is_err());
    // Leaving forgets the read position; deleting takes the messages along.
    store
        .write("test", |tx| {
            assert!(tx.remove_participant(&dm, &carol)?);
            assert_eq!(tx.read_seq(&carol, &dm)?, None);
            assert!(tx.delete_conversation(&dm)?);
            assert!(tx.conversation(&dm)?.is_none());
            assert!(tx.message(&dm, 1, None)?.is_none());
            assert!(tx.participant_ids(&dm)?.is_empty());
            Ok(())
        })
        .unwrap();
    let conn = Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
    let version: u32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    const { assert!(SCHEMA_VERSION >= 5) };
}
