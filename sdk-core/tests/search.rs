//! The public search API on a cached, offline client: local search works without a
//! server, a merged search says the server could not answer and returns the local hits,
//! handles fix their community and channel, name searches use the cache, and bad input
//! fails with typed errors before any I/O.

use std::collections::BTreeMap;

use community_sdk::protocol::{
    CategoryInfo, ChannelHead, ChannelInfo, ChannelKind, CommunityInfo, CommunitySnapshot,
    ErrorCode, JoinPolicy, MemberInfo, Mentions, Message, MessageContent, NotificationStatus,
    Priority, Role, UserId,
};
use community_sdk::store::{Change, SessionRecord, Store};
use community_sdk::{
    Client, HitSource, LoginOutcome, SdkError, SearchOptions, ServerSearch, cache_path,
};

const USER: &str = "alice";

fn channel(community: &str, n: usize, name: &str) -> ChannelInfo {
    ChannelInfo {
        community_id: community.into(),
        channel_id: format!("{community}-ch{n}").into(),
        name: name.into(),
        introduction: String::new(),
        notice: String::new(),
        custom: String::new(),
        kind: ChannelKind::Text,
        category_id: None,
        position: n as i64,
        private: false,
        is_default: n == 0,
        created_at_ms: 1,
        overrides: Vec::new(),
        follows_category: false,
        mute_all: false,
    }
}

fn snapshot(community: &str, name: &str, channels: &[&str], hidden: Vec<u64>) -> CommunitySnapshot {
    let channels: Vec<ChannelInfo> = channels
        .iter()
        .enumerate()
        .map(|(n, name)| channel(community, n, name))
        .collect();
    let heads = channels
        .iter()
        .map(|c| ChannelHead {
            community_id: community.into(),
            channel_id: c.channel_id.clone(),
            last_seq: 10,
            last_activity_ms: 1,
            read_seq: 10,
            unread_count: 0,
            mention_count: 0,
            change_seq: 0,
            hidden: if c.is_default {
                hidden.clone()
            } else {
                Vec::new()
            },
            notification_level: Default::default(),
        })
        .collect();
    CommunitySnapshot {
        info: CommunityInfo {
            community_id: community.into(),
            name: name.into(),
            avatar_url: String::new(),
            notice: String::new(),
            owner_id: "owner".into(),
            join_policy: JoinPolicy::Free,
            mute_all: false,
            member_count: 3,
            attributes: BTreeMap::new(),
            default_channel_id: format!("{community}-ch0").into(),
            created_at_ms: 1,
            version: 1,
            system_messages: true,
        },
        categories: Vec::<CategoryInfo>::new(),
        channels,
        me: MemberInfo {
            community_id: community.into(),
            user_id: USER.into(),
            role: Role::Member,
            nickname: String::new(),
            joined_at_ms: 1,
            muted_until_ms: None,
            groups: Vec::new(),
            custom_fields: Default::default(),
        },
        notification: NotificationStatus::Notify,
        heads,
        groups: Vec::new(),
        threads: Vec::new(),
        voice: Vec::new(),
    }
}

fn text(community: &str, channel: &str, seq: u64, sender: &str, body: &str) -> Message {
    Message {
        community_id: community.into(),
        channel_id: channel.into(),
        seq,
        sender_id: sender.into(),
        idempotency_key: format!("{channel}-{seq}"),
        content: MessageContent::Text { text: body.into() },
        mentions: Mentions::default(),
        reply_to: None,
        priority: Priority::Normal,
        created_at_ms: 1_700_000_000_000 + seq as i64,
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

/// A client on a cache holding two communities, started offline (nothing listens on
/// the server URL).
async fn offline_client(dir: &std::path::Path) -> Client {
    let store = Store::open(cache_path(dir, &UserId::from(USER)))
        .await
        .unwrap();
    store
        .apply(vec![
            // In `guild`, message 4 of the default channel is hidden by the user.
            Change::Snapshot(snapshot(
                "guild",
                "Raid Guild",
                &["general", "raid-planning"],
                vec![4],
            )),
            Change::Snapshot(snapshot("club", "Book Club", &["general"], Vec::new())),
            Change::Messages(vec![
                text("guild", "guild-ch0", 1, "bob", "Raid tonight at nine"),
                text(
                    "guild",
                    "guild-ch0",
                    2,
                    "carol",
                    "who brings the potions for the raid",
                ),
                text("guild", "guild-ch1", 1, "bob", "raid plan: tanks first"),
                text("guild", "guild-ch0", 4, "bob", "hidden raid secret"),
                text("club", "club-ch0", 1, "dave", "no raid here, only books"),
            ]),
        ])
        .await
        .unwrap();
    store
        .save_session(SessionRecord {
            user_id: USER.into(),
            device_id: "test".into(),
            session_id: "s_test".into(),
            last_event_seq: 0,
        })
        .await
        .unwrap();
    store.close().await;
    let client = Client::builder()
        .server_url("ws://127.0.0.1:9/ws")
        .data_dir(dir)
        .device_id("test")
        .build()
        .await
        .unwrap();
    let outcome = client.login(USER, "token").await.unwrap();
    assert!(matches!(outcome, LoginOutcome::Offline), "{outcome:?}");
    client
}

fn seqs(results: &community_sdk::SearchResults) -> Vec<(String, u64)> {
    let mut found: Vec<(String, u64)> = results
        .hits
        .iter()
        .map(|h| (h.message.channel_id.as_str().to_owned(), h.message.seq))
        .collect();
    found.sort();
    found
}

#[tokio::test]
async fn search_works_offline_and_a_server_failure_never_fails_it() {
    let dir = tempfile::tempdir().unwrap();
    let client = offline_client(dir.path()).await;

    let local = client
        .search_local(SearchOptions::new("raid"))
        .await
        .unwrap();
    assert_eq!(local.server, ServerSearch::NotAsked);
    assert_eq!(
        seqs(&local),
        vec![
            ("club-ch0".into(), 1),
            ("guild-ch0".into(), 1),
            ("guild-ch0".into(), 2),
            ("guild-ch1".into(), 1),
        ]
    );
    assert!(local.hits.iter().all(|h| h.source == HitSource::Local));
    assert!(!local.hits[0].snippet.highlights.is_empty());

    // Merged search in a community: the server cannot be reached, the local hits come
    // back and say so.
    let guild = client.community("guild");
    let merged = guild.search(SearchOptions::new("raid")).await.unwrap();
    assert!(
        matches!(merged.server, ServerSearch::Failed(SdkError::Connection(_))),
        "{:?}",
        merged.server
    );
    assert_eq!(
        seqs(&merged),
        vec![
            ("guild-ch0".into(), 1),
            ("guild-ch0".into(), 2),
            ("guild-ch1".into(), 1),
        ]
    );
    // A channel handle searches its channel only; paging goes on locally.
    let first = guild
        .channel("guild-ch0")
        .search(SearchOptions {
            limit: Some(1),
            ..SearchOptions::new("raid")
        })
        .await
        .unwrap();
    assert_eq!(first.hits.len(), 1);
    let second = guild
        .channel("guild-ch0")
        .search(SearchOptions {
            limit: Some(1),
            cursor: first.next_cursor.clone(),
            ..SearchOptions::new("raid")
        })
        .await
        .unwrap();
    assert_eq!(second.server, ServerSearch::NotAsked);
    assert_eq!(second.hits.len(), 1);
    assert_ne!(first.hits[0].message.seq, second.hits[0].message.seq);
    assert_eq!(second.next_cursor, None);
    // Without a community the server is not asked (it searches one community at a time).
    let everywhere = client.search(SearchOptions::new("books")).await.unwrap();
    assert_eq!(everywhere.server, ServerSearch::NotAsked);
    assert_eq!(seqs(&everywhere), vec![("club-ch0".into(), 1)]);
    client.close().await.unwrap();
}

#[tokio::test]
async fn search_refuses_bad_input_with_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let client = offline_client(dir.path()).await;
    let code = |error: SdkError| match error {
        SdkError::Api(error) => error.code,
        other => panic!("not an API error: {other:?}"),
    };
    for bad in ["", "\"raid", &"raid ".repeat(2_000)] {
        let error = client.search(SearchOptions::new(bad)).await.unwrap_err();
        assert_eq!(code(error), ErrorCode::INVALID_SEARCH_QUERY);
        let error = client
            .search_local(SearchOptions::new(bad))
            .await
            .unwrap_err();
        assert_eq!(code(error), ErrorCode::INVALID_SEARCH_QUERY);
    }
    let error = client
        .search_local(SearchOptions {
            limit: Some(1_000),
            ..SearchOptions::new("raid")
        })
        .await
        .unwrap_err();
    assert_eq!(code(error), ErrorCode::PAGE_SIZE_TOO_LARGE);
    let error = client
        .search_local(SearchOptions {
            cursor: Some("not a cursor".into()),
            ..SearchOptions::new("raid")
        })
        .await
        .unwrap_err();
    assert_eq!(code(error), ErrorCode::INVALID_CURSOR);
    let error = client
        .community("guild")
        .search_channels("  ")
        .await
        .unwrap_err();
    assert_eq!(code(error), ErrorCode::INVALID_SEARCH_QUERY);
    client.close().await.unwrap();
}

#[tokio::test]
async fn search_channels_and_communities_by_name_from_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let client = offline_client(dir.path()).await;
    let channels = client
        .community("guild")
        .search_channels("RAID")
        .await
        .unwrap();
    assert!(matches!(channels.server, ServerSearch::Failed(_)));
    let names: Vec<&str> = channels.channels.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, vec!["raid-planning"]);
    let general = client
        .community("guild")
        .search_channels("ner")
        .await
        .unwrap();
    assert_eq!(general.channels.len(), 1);

    let communities = client.search_communities("club").await.unwrap();
    let names: Vec<&str> = communities
        .communities
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, vec!["Book Club"]);
    assert!(matches!(communities.server, ServerSearch::Failed(_)));
    // Members are not cached: asking while offline fails like any request.
    let error = client
        .community("guild")
        .search_members("bo", None)
        .await
        .unwrap_err();
    assert!(matches!(error, SdkError::Connection(_)), "{error:?}");
    client.close().await.unwrap();
}
