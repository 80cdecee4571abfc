//! Communities, channels, categories and heads: snapshot apply / replace / remove with
//! cascades, `sync` answers, granular updates, batches, `load_all`.

use std::collections::BTreeMap;

use community_protocol::response::{Synced, UnchangedCommunity};
use community_protocol::{NotificationStatus, Role};

use super::super::test_support::*;
use super::super::{Change, StoreError};

#[tokio::test]
async fn store_snapshot_round_trips_through_load_all() {
    let temp = temp_store().await;
    let a = snapshot("a", 5, 3);
    let b = snapshot("b", 2, 9);
    temp.store.apply_snapshot(b.clone()).await.unwrap();
    temp.store.apply_snapshot(a.clone()).await.unwrap();
    let world = temp.store.load_all().await.unwrap();
    assert_eq!(world.session, None);
    assert_eq!(world.communities, vec![a.clone(), b]);
    assert_eq!(temp.store.community("a".into()).await.unwrap(), Some(a));
    assert_eq!(temp.store.community("zzz".into()).await.unwrap(), None);
    let versions = temp.store.known_versions().await.unwrap();
    assert_eq!(versions, BTreeMap::from([("a".into(), 3), ("b".into(), 9)]));
}

#[tokio::test]
async fn store_load_all_after_reopen_has_everything() {
    let temp = temp_store().await;
    let a = snapshot("a", 4, 1);
    temp.store.apply_snapshot(a.clone()).await.unwrap();
    temp.store.save_session(session(12)).await.unwrap();
    let temp = temp.reopen().await;
    let world = temp.store.load_all().await.unwrap();
    assert_eq!(world.session, Some(session(12)));
    assert_eq!(world.communities, vec![a]);
}

#[tokio::test]
async fn store_snapshot_replace_drops_missing_channels_and_their_messages() {
    let temp = temp_store().await;
    let store = &temp.store;
    store.apply_snapshot(snapshot("a", 3, 1)).await.unwrap();
    for n in 0..3 {
        store
            .insert_messages(messages("a", &channel_id("a", n), 1..=5))
            .await
            .unwrap();
    }
    // Version 2: channel 2 is gone, channel 1 renamed, the category removed.
    let mut next = snapshot("a", 2, 2);
    next.channels[1].name = "renamed".into();
    next.channels[1].category_id = None;
    next.categories.clear();
    next.notification = NotificationStatus::DoNotDisturb;
    store.apply_snapshot(next.clone()).await.unwrap();

    assert_eq!(store.community("a".into()).await.unwrap(), Some(next));
    assert_eq!(
        store
            .message_count(Some(channel_id("a", 2).into()))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .message_count(Some(channel_id("a", 1).into()))
            .await
            .unwrap(),
        5
    );
    assert_eq!(store.message_count(None).await.unwrap(), 10);
}

#[tokio::test]
async fn store_remove_community_cascades_to_channels_heads_and_messages() {
    let temp = temp_store().await;
    let store = &temp.store;
    store.apply_snapshot(snapshot("a", 3, 1)).await.unwrap();
    store.apply_snapshot(snapshot("b", 2, 1)).await.unwrap();
    store
        .insert_messages(messages("a", &channel_id("a", 1), 1..=20))
        .await
        .unwrap();
    // A channel with cached messages but not (or no longer) in the channel list.
    store
        .insert_messages(messages("a", "a-orphan", 1..=3))
        .await
        .unwrap();
    store
        .insert_messages(messages("b", &channel_id("b", 0), 1..=7))
        .await
        .unwrap();

    assert!(store.remove_community("a".into()).await.unwrap());
    assert!(!store.remove_community("a".into()).await.unwrap());

    let world = store.load_all().await.unwrap();
    assert_eq!(world.communities, vec![snapshot("b", 2, 1)]);
    assert_eq!(store.heads(Some("a".into())).await.unwrap(), vec![]);
    assert_eq!(
        store.channel(channel_id("a", 1).into()).await.unwrap(),
        None
    );
    assert_eq!(store.message_count(None).await.unwrap(), 7);
}

#[tokio::test]
async fn store_apply_synced_handles_changed_unchanged_and_removed() {
    let temp = temp_store().await;
    let store = &temp.store;
    store.apply_snapshot(snapshot("a", 2, 1)).await.unwrap();
    store.apply_snapshot(snapshot("b", 2, 1)).await.unwrap();
    store.apply_snapshot(snapshot("c", 2, 1)).await.unwrap();

    let mut me = member("b", Role::Member);
    me.muted_until_ms = Some(1_800_000_000_000);
    let synced = Synced {
        changed: vec![snapshot("a", 3, 2), snapshot("d", 1, 1)],
        unchanged: vec![
            UnchangedCommunity {
                community_id: "b".into(),
                notification: NotificationStatus::DoNotDisturb,
                me: me.clone(),
                member_count: 77,
                heads: vec![head("b", 0, 30, 30), head("b", 1, 12, 2)],
                threads: Vec::new(),
                voice: Vec::new(),
            },
            UnchangedCommunity {
                community_id: "not-cached".into(),
                notification: NotificationStatus::Notify,
                me: member("not-cached", Role::Member),
                member_count: 1,
                heads: vec![],
                threads: Vec::new(),
                voice: Vec::new(),
            },
        ],
        removed: vec!["c".into()],
        conversations: Vec::new(),
    };
    let skipped = store.apply_synced(synced).await.unwrap();
    assert_eq!(skipped, 1);

    let versions = store.known_versions().await.unwrap();
    assert_eq!(
        versions,
        BTreeMap::from([("a".into(), 2), ("b".into(), 1), ("d".into(), 1)])
    );
    let b = store.community("b".into()).await.unwrap().unwrap();
    assert_eq!(b.notification, NotificationStatus::DoNotDisturb);
    assert_eq!(b.me, me);
    assert_eq!(b.info.member_count, 77);
    assert_eq!(b.heads, vec![head("b", 0, 30, 30), head("b", 1, 12, 2)]);
    assert_eq!(
        store.community("a".into()).await.unwrap(),
        Some(snapshot("a", 3, 2))
    );
}

#[tokio::test]
async fn store_granular_updates_apply_to_cached_communities_only() {
    let temp = temp_store().await;
    let store = &temp.store;
    store.apply_snapshot(snapshot("a", 2, 1)).await.unwrap();

    // Unknown community: nothing stored, no error.
    assert!(!store.upsert_channel(channel("zz", 0)).await.unwrap());
    assert!(
        !store
            .set_notification("zz".into(), NotificationStatus::Notify)
            .await
            .unwrap()
    );
    assert!(
        !store
            .upsert_community_info(snapshot("zz", 0, 1).info)
            .await
            .unwrap()
    );
    let skipped = store
        .upsert_heads(vec![
            head("zz", 0, 1, 0),
            head("a", 0, 50, 45),
            head("a", 99, 1, 0),
        ])
        .await
        .unwrap();
    assert_eq!(skipped, 2);

    // Known community.
    let mut new_channel = channel("a", 7);
    new_channel.category_id = None;
    assert!(store.upsert_channel(new_channel.clone()).await.unwrap());
    let mut info = snapshot("a", 0, 5).info;
    info.name = "Renamed".into();
    assert!(store.upsert_community_info(info.clone()).await.unwrap());
    assert!(store.set_member_count("a".into(), 1000).await.unwrap());
    let attributes = BTreeMap::from([("k".to_string(), "v".to_string())]);
    assert!(
        store
            .set_attributes("a".into(), attributes.clone(), 6)
            .await
            .unwrap()
    );
    assert!(store.set_version("a".into(), 7).await.unwrap());
    assert!(store.upsert_me(member("a", Role::Owner)).await.unwrap());
    assert!(
        store
            .set_notification("a".into(), NotificationStatus::DoNotDisturb)
            .await
            .unwrap()
    );
    let mut category = snapshot("a", 0, 1).categories[0].clone();
    category.name = "Renamed category".into();
    category.position = 9;
    assert!(store.upsert_category(category).await.unwrap());

    let a = store.community("a".into()).await.unwrap().unwrap();
    assert_eq!(a.info.name, "Renamed");
    assert_eq!(a.info.member_count, 1000);
    assert_eq!(a.info.attributes, attributes);
    assert_eq!(a.info.version, 7);
    assert_eq!(a.me.role, Role::Owner);
    assert_eq!(a.notification, NotificationStatus::DoNotDisturb);
    assert_eq!(a.categories.len(), 1);
    assert_eq!(a.categories[0].name, "Renamed category");
    assert_eq!(a.channels.len(), 3);
    assert_eq!(
        store.channel(channel_id("a", 7).into()).await.unwrap(),
        Some(new_channel)
    );
    assert_eq!(
        store.heads(Some("a".into())).await.unwrap()[0],
        head("a", 0, 50, 45)
    );

    // Removing the category leaves its channels without one.
    store
        .remove_category("a".into(), "a-cat".into())
        .await
        .unwrap();
    let a = store.community("a".into()).await.unwrap().unwrap();
    assert!(a.categories.is_empty());
    assert!(a.channels.iter().all(|c| c.category_id.is_none()));

    // Removing a channel takes its head and messages.
    store
        .insert_messages(messages("a", &channel_id("a", 1), 1..=3))
        .await
        .unwrap();
    store
        .remove_channel("a".into(), channel_id("a", 1).into())
        .await
        .unwrap();
    assert_eq!(
        store.channel(channel_id("a", 1).into()).await.unwrap(),
        None
    );
    assert_eq!(
        store
            .message_count(Some(channel_id("a", 1).into()))
            .await
            .unwrap(),
        0
    );
    let heads = store.heads(Some("a".into())).await.unwrap();
    assert_eq!(heads.len(), 1);
}

#[tokio::test]
async fn store_apply_is_all_or_nothing() {
    let temp = temp_store().await;
    let store = &temp.store;
    store.apply_snapshot(snapshot("a", 1, 1)).await.unwrap();
    // The snapshot carries a head of a community that is not cached: the foreign key
    // refuses it, so the whole batch (messages included) must be rolled back.
    let mut bad = snapshot("b", 1, 1);
    bad.heads.push(head("nowhere", 0, 1, 0));
    let error = store
        .apply(vec![
            Change::Messages(messages("a", &channel_id("a", 0), 1..=10)),
            Change::Snapshot(bad),
        ])
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Sqlite { .. }), "{error:?}");
    assert_eq!(store.message_count(None).await.unwrap(), 0);
    assert_eq!(store.known_versions().await.unwrap().len(), 1);

    // A good batch goes through whole and reports new messages and skips.
    let applied = store
        .apply(vec![
            Change::Messages(messages("a", &channel_id("a", 0), 1..=10)),
            Change::Messages(messages("a", &channel_id("a", 0), 5..=12)),
            Change::Channel(channel("a", 1)),
            Change::Version {
                community_id: "a".into(),
                version: 2,
            },
            Change::MemberCount {
                community_id: "gone".into(),
                member_count: 3,
            },
            Change::LastEventSeq(4),
        ])
        .await
        .unwrap();
    assert_eq!(seqs(&applied.new_messages), (1..=12).collect::<Vec<_>>());
    // Unknown community and no saved session.
    assert_eq!(applied.skipped, 2);
    assert_eq!(store.version("a".into()).await.unwrap(), Some(2));
}

#[tokio::test]
async fn store_retain_communities_removes_the_others() {
    let temp = temp_store().await;
    let store = &temp.store;
    for id in ["a", "b", "c"] {
        store.apply_snapshot(snapshot(id, 1, 1)).await.unwrap();
    }
    let removed = store.retain_communities(vec!["b".into()]).await.unwrap();
    assert_eq!(removed, vec!["a".to_string(), "c".to_string()]);
    let versions = store.known_versions().await.unwrap();
    assert_eq!(versions.keys().collect::<Vec<_>>(), vec!["b"]);
}

#[tokio::test]
async fn store_load_all_handles_100_communities_of_100_channels() {
    let temp = temp_store().await;
    let snapshots: Vec<_> = (0..100)
        .map(|i| snapshot(&format!("c{i:03}"), 100, 1))
        .collect();
    store_all(&temp, snapshots.clone()).await;
    let world = temp.store.load_all().await.unwrap();
    assert_eq!(world.communities.len(), 100);
    assert_eq!(world.communities, snapshots);
}

async fn store_all(temp: &TempStore, snapshots: Vec<community_protocol::CommunitySnapshot>) {
    temp.store
        .apply(snapshots.into_iter().map(Change::Snapshot).collect())
        .await
        .unwrap();
}

#[tokio::test]
async fn store_roles_overrides_fields_and_levels_round_trip() {
    use community_protocol::{ChannelNotification, Group, Override, OverrideTarget, Permissions};
    let temp = temp_store().await;
    let mut a = snapshot("a", 3, 4);
    let group = |id: &str, position| Group {
        community_id: "a".into(),
        group_id: id.into(),
        name: id.into(),
        color: 0x3366ff,
        position,
        mentionable: position > 0,
        permissions: Permissions::EVERYONE_DEFAULT,
    };
    a.groups = vec![group("everyone", 0), group("mods", 1)];
    a.me.groups = vec!["mods".into()];
    a.me.custom_fields = BTreeMap::from([("class".to_string(), "healer".to_string())]);
    let rule = Override {
        target: OverrideTarget::Member {
            user_id: "me".into(),
        },
        allow: Permissions::MANAGE_MESSAGES,
        deny: Permissions::ADD_REACTIONS,
    };
    a.channels[1].overrides = vec![rule.clone()];
    a.channels[1].mute_all = true;
    a.channels[2].follows_category = true;
    a.categories[0].overrides = vec![rule];
    a.heads[0].notification_level = ChannelNotification::MentionsOnly;
    temp.store.apply_snapshot(a.clone()).await.unwrap();
    let temp = temp.reopen().await;
    assert_eq!(
        temp.store.load_all().await.unwrap().communities,
        vec![a.clone()]
    );

    // Groups change on their own, with the structure version.
    let groups = vec![group("everyone", 0)];
    temp.store
        .apply(vec![Change::Groups {
            community_id: "a".into(),
            groups: groups.clone(),
            version: 9,
        }])
        .await
        .unwrap();
    let world = temp.store.load_all().await.unwrap();
    assert_eq!(world.communities[0].groups, groups);
    assert_eq!(world.communities[0].info.version, 9);
}

#[tokio::test]
async fn store_joined_threads_round_trip_and_leave_with_their_heads() {
    use community_protocol::ThreadInfo;
    let temp = temp_store().await;
    let mut a = snapshot("a", 2, 1);
    let thread = ThreadInfo {
        community_id: "a".into(),
        thread_id: "th_1".into(),
        parent_channel_id: a.channels[0].channel_id.clone(),
        parent_seq: Some(3),
        name: "plans".into(),
        created_by: "bob".into(),
        created_at_ms: 5,
        archived: false,
        locked: true,
        auto_archive_ms: 3_600_000,
        last_activity_ms: 9,
        message_count: 4,
        member_count: 2,
    };
    let mut thread_head = head("a", 0, 4, 1);
    thread_head.channel_id = "th_1".into();
    a.threads = vec![thread.clone()];
    a.heads.push(thread_head.clone());
    temp.store.apply_snapshot(a.clone()).await.unwrap();
    let temp = temp.reopen().await;
    let world = temp.store.load_all().await.unwrap();
    assert_eq!(world.communities[0].threads, vec![thread.clone()]);
    assert!(world.communities[0].heads.contains(&thread_head));

    // Its info changes; then the user leaves it: head and cached messages go too.
    let mut renamed = thread.clone();
    renamed.name = "new plans".into();
    temp.store
        .apply(vec![
            Change::ThreadInfo(renamed.clone()),
            Change::Messages(messages("a", "th_1", 1..=3)),
        ])
        .await
        .unwrap();
    assert_eq!(
        temp.store.load_all().await.unwrap().communities[0].threads,
        vec![renamed]
    );
    temp.store
        .apply(vec![Change::LeaveThread {
            community_id: "a".into(),
            thread_id: "th_1".into(),
        }])
        .await
        .unwrap();
    let world = temp.store.load_all().await.unwrap();
    assert!(world.communities[0].threads.is_empty());
    assert!(
        !world.communities[0]
            .heads
            .iter()
            .any(|h| h.channel_id.as_str() == "th_1")
    );
    assert_eq!(
        temp.store.message_count(Some("th_1".into())).await.unwrap(),
        0
    );
}
