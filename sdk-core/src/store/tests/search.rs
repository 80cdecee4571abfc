//! Local full-text search: what is found (words, prefixes, phrases, CJK substrings), the
//! filters, the index following every write (edits, recalls, hides, replacements, pages,
//! removed caches), refused queries, paging, ranking, and a schema-5 cache upgraded.

use community_protocol::search::SearchQuery;
use community_protocol::{
    ChangeKind, ChannelHead, ErrorCode, Limits, Mentions, Message, MessageChange, MessageContent,
};

use super::super::test_support::*;
use super::super::{
    Change, Replacement, SearchCursor, SearchRequest, Store, StoreOptions, WINDOW, schema,
};

pub(super) const A0: &str = "a-ch000";
pub(super) const A1: &str = "a-ch001";
pub(super) const B0: &str = "b-ch000";

pub(super) fn text(community: &str, channel: &str, seq: u64, sender: &str, body: &str) -> Message {
    let mut message = message(community, channel, seq);
    message.sender_id = sender.into();
    message.content = MessageContent::Text { text: body.into() };
    message.created_at_ms = 1_700_000_000_000 + seq as i64 * 1_000;
    message
}

pub(super) fn query(text: &str) -> SearchQuery {
    SearchQuery::parse(text, &Limits::default()).unwrap()
}

/// Every hit of `request` over all pages, as (channel, seq), in order.
pub(super) async fn all_hits(store: &Store, mut request: SearchRequest) -> Vec<(String, u64)> {
    let mut found = Vec::new();
    loop {
        let page = store.search(request.clone()).await.unwrap();
        found.extend(
            page.hits
                .iter()
                .map(|h| (h.message.channel_id.as_str().to_owned(), h.message.seq)),
        );
        match page.next_cursor {
            Some(cursor) => request.cursor = Some(cursor),
            None => return found,
        }
    }
}

pub(super) async fn find(store: &Store, text: &str) -> Vec<(String, u64)> {
    all_hits(store, SearchRequest::new(query(text), 20)).await
}

pub(super) fn hit(channel: &str, seq: u64) -> (String, u64) {
    (channel.to_owned(), seq)
}

/// Two communities: `a` with channels 0 and 1, `b` with channel 0.
async fn seeded() -> TempStore {
    seeded_with(StoreOptions::default()).await
}

/// [`seeded`], opened with `options`.
pub(super) async fn seeded_with(options: StoreOptions) -> TempStore {
    let temp = temp_store_with(options).await;
    temp.store
        .apply(vec![
            Change::Snapshot(snapshot("a", 2, 1)),
            Change::Snapshot(snapshot("b", 1, 1)),
            Change::Messages(vec![
                text("a", A0, 1, "bob", "Raid tonight at nine, bring potions"),
                text("a", A0, 2, "carol", "Who is coming to the raid?"),
                text("a", A0, 3, "bob", "The raiders meet at the bridge"),
                text("a", A1, 1, "bob", "Café au lait, s'il vous plaît"),
                text("a", A1, 2, "dave", "明日東京都に行きます"),
                text("b", B0, 1, "carol", "raid in community b"),
            ]),
        ])
        .await
        .unwrap();
    temp
}

#[tokio::test]
async fn store_search_finds_words_prefixes_and_phrases() {
    let temp = seeded().await;
    let store = &temp.store;
    let mut raid = find(store, "raid").await;
    raid.sort();
    assert_eq!(raid, vec![hit(A0, 1), hit(A0, 2), hit(B0, 1)]);
    // Case and accents are folded; `raid*` also finds "raiders".
    assert_eq!(find(store, "RAID*").await.len(), 4);
    assert_eq!(find(store, "cafe").await, vec![hit(A1, 1)]);
    assert_eq!(find(store, "\"at nine\"").await, vec![hit(A0, 1)]);
    assert!(find(store, "\"nine at\"").await.is_empty());
    // Every word is required.
    assert_eq!(find(store, "raid potions").await, vec![hit(A0, 1)]);
    assert!(find(store, "raid dragons").await.is_empty());

    // Hits carry the message as cached and a snippet with the match marked.
    let page = store
        .search(SearchRequest::new(query("potions"), 20))
        .await
        .unwrap();
    let first = &page.hits[0];
    assert_eq!(
        first.message,
        store.message(A0.into(), 1).await.unwrap().unwrap()
    );
    let marked = &first.snippet.highlights[0];
    assert_eq!(
        &first.snippet.text[marked.start as usize..marked.end as usize],
        "potions"
    );
    assert_eq!(page.next_cursor, None);
    assert_eq!(store.search_stats().await.unwrap().0, 6);
}

#[tokio::test]
async fn store_search_finds_cjk_substrings() {
    let temp = seeded().await;
    let store = &temp.store;
    for found in ["東京", "京都", "東", "明日東京", "行きます", "東京都"] {
        assert_eq!(find(store, found).await, vec![hit(A1, 2)], "{found}");
    }
    for missing in ["大阪", "京東", "都東"] {
        assert!(find(store, missing).await.is_empty(), "{missing}");
    }
    let page = store
        .search(SearchRequest::new(query("京都"), 20))
        .await
        .unwrap();
    let snippet = &page.hits[0].snippet;
    let marked = &snippet.highlights[0];
    assert_eq!(
        &snippet.text[marked.start as usize..marked.end as usize],
        "京都"
    );
}

#[tokio::test]
async fn store_search_filters_by_community_channel_sender_and_time() {
    let temp = seeded().await;
    let store = &temp.store;
    let search = |f: fn(&mut SearchRequest)| {
        let mut request = SearchRequest::new(query("raid*"), 20);
        f(&mut request);
        all_hits(store, request)
    };
    let mut in_a = search(|r| r.community_id = Some("a".into())).await;
    in_a.sort();
    assert_eq!(in_a, vec![hit(A0, 1), hit(A0, 2), hit(A0, 3)]);
    assert_eq!(
        search(|r| r.community_id = Some("b".into())).await,
        vec![hit(B0, 1)]
    );
    assert_eq!(search(|r| r.channel_id = Some(A1.into())).await, vec![]);
    let mut by_bob = search(|r| r.sender_id = Some("bob".into())).await;
    by_bob.sort();
    assert_eq!(by_bob, vec![hit(A0, 1), hit(A0, 3)]);
    // Seq 2 was created at +2 s, seq 3 at +3 s: [after, before).
    let mut window = search(|r| {
        r.after_ms = Some(1_700_000_002_000);
        r.before_ms = Some(1_700_000_003_000);
    })
    .await;
    window.sort();
    assert_eq!(window, vec![hit(A0, 2)]);
    assert_eq!(
        search(|r| {
            r.channel_id = Some(A0.into());
            r.sender_id = Some("carol".into());
        })
        .await,
        vec![hit(A0, 2)]
    );
    assert_eq!(
        search(|r| r.community_id = Some("zzz".into())).await,
        vec![]
    );
}

pub(super) fn change(change_seq: u64, seq: u64, kind: ChangeKind) -> MessageChange {
    MessageChange {
        community_id: "a".into(),
        channel_id: A0.into(),
        change_seq,
        seq,
        by: "bob".into(),
        at_ms: 1_800_000_000_000,
        kind,
    }
}

pub(super) fn edited(text: &str) -> ChangeKind {
    ChangeKind::Edited {
        content: MessageContent::Text { text: text.into() },
        mentions: Mentions::default(),
        previous_mentions: Mentions::default(),
        custom_data: String::new(),
        edit_count: 1,
    }
}

#[tokio::test]
async fn store_search_follows_edits_and_never_finds_a_recalled_message() {
    let temp = seeded().await;
    let store = &temp.store;
    store
        .apply(vec![Change::Baselines(vec![("a".into(), A0.into(), 0)])])
        .await
        .unwrap();
    store
        .apply(vec![Change::MessageChanges {
            changes: vec![
                change(1, 1, edited("Dungeon tonight at ten")),
                change(
                    2,
                    2,
                    ChangeKind::Recalled {
                        sender_id: "carol".into(),
                        mentions: Mentions::default(),
                    },
                ),
                // A reaction leaves the text as it is: still found once.
                change(
                    3,
                    3,
                    ChangeKind::ReactionAdded {
                        emoji: "👍".into(),
                        count: 1,
                        users: vec!["bob".into()],
                    },
                ),
            ],
            me: ME.into(),
        }])
        .await
        .unwrap();
    assert!(find(store, "potions").await.is_empty(), "edited away");
    assert_eq!(find(store, "dungeon").await, vec![hit(A0, 1)]);
    assert!(find(store, "coming").await.is_empty(), "recalled");
    assert_eq!(find(store, "raid").await, vec![hit(B0, 1)]);
    assert_eq!(find(store, "bridge").await, vec![hit(A0, 3)]);

    // A recalled message stays out whatever copy arrives later, and a replacement (an
    // echo or a server copy) is indexed as it is.
    let mut recalled = store.message(A0.into(), 2).await.unwrap().unwrap();
    store
        .apply(vec![Change::Messages(vec![text(
            "a",
            A0,
            2,
            "carol",
            "Who is coming to the raid?",
        )])])
        .await
        .unwrap();
    assert!(find(store, "coming").await.is_empty());
    recalled.content = MessageContent::Text {
        text: "echo of an edit: griffins".into(),
    };
    store
        .apply(vec![Change::ReplaceMessages(vec![Replacement {
            message: recalled,
            as_of: None,
        }])])
        .await
        .unwrap();
    assert_eq!(find(store, "griffins").await, vec![hit(A0, 2)]);
    // Documents and their statistics stay exact: the recalled one left, its echo came.
    assert_eq!(store.search_stats().await.unwrap().0, 6);
}

#[tokio::test]
async fn store_search_follows_pages_that_replace_cached_copies() {
    let temp = seeded().await;
    let store = &temp.store;
    store
        .apply(vec![Change::Baselines(vec![("a".into(), A0.into(), 0)])])
        .await
        .unwrap();
    let mut newer = text("a", A0, 3, "bob", "The wyverns meet at the bridge");
    newer.edit_count = 1;
    let added = text("a", A0, 4, "bob", "A brand new wyvern sighting");
    store
        .insert_page("a".into(), A0.into(), vec![newer, added], 5)
        .await
        .unwrap();
    let mut wyverns = find(store, "wyvern*").await;
    wyverns.sort();
    assert_eq!(wyverns, vec![hit(A0, 3), hit(A0, 4)]);
    assert!(find(store, "raiders").await.is_empty());
}

#[tokio::test]
async fn store_search_leaves_out_hidden_messages() {
    let temp = seeded().await;
    let store = &temp.store;
    let head = |hidden: Vec<u64>| ChannelHead {
        hidden,
        ..head("a", 0, 10, 4)
    };
    store.upsert_heads(vec![head(vec![1])]).await.unwrap();
    assert!(find(store, "potions").await.is_empty());
    // A message hidden before it is cached is never indexed.
    store.upsert_heads(vec![head(vec![1, 7])]).await.unwrap();
    store
        .insert_messages(vec![text("a", A0, 7, "bob", "secret potions")])
        .await
        .unwrap();
    assert!(find(store, "potions").await.is_empty());
    // A snapshot that no longer hides them brings them back.
    let mut snapshot = snapshot("a", 2, 2);
    snapshot.heads[0].hidden = vec![7];
    store.apply_snapshot(snapshot).await.unwrap();
    assert_eq!(find(store, "potions").await, vec![hit(A0, 1)]);
    store.upsert_heads(vec![head(vec![])]).await.unwrap();
    let mut potions = find(store, "potions").await;
    potions.sort();
    assert_eq!(potions, vec![hit(A0, 1), hit(A0, 7)]);
}

#[tokio::test]
async fn store_search_forgets_removed_channels_threads_conversations_and_communities() {
    let temp = seeded().await;
    let store = &temp.store;
    store
        .apply(vec![
            Change::Messages(vec![
                text("a", "th_1", 1, "bob", "thread about griffins"),
                text("@me", "dm_1", 1, "bob", "private griffins"),
            ]),
            Change::Conversation(community_protocol::ConversationInfo {
                conversation_id: "dm_1".into(),
                kind: community_protocol::ConversationKind::Direct,
                participants: vec![ME.into(), "bob".into()],
                name: String::new(),
                created_by: "bob".into(),
                created_at_ms: 1,
                last_seq: 1,
                last_activity_ms: 1,
            }),
        ])
        .await
        .unwrap();
    let mut griffins = find(store, "griffins").await;
    griffins.sort();
    assert_eq!(griffins, vec![hit("dm_1", 1), hit("th_1", 1)]);
    let mut in_me = SearchRequest::new(query("griffins"), 20);
    in_me.community_id = Some("@me".into());
    assert_eq!(all_hits(store, in_me).await, vec![hit("dm_1", 1)]);
    store
        .apply(vec![Change::LeaveThread {
            community_id: "a".into(),
            thread_id: "th_1".into(),
        }])
        .await
        .unwrap();
    assert_eq!(find(store, "griffins").await, vec![hit("dm_1", 1)]);
    store
        .apply(vec![Change::RemoveConversation("dm_1".into())])
        .await
        .unwrap();
    assert!(find(store, "griffins").await.is_empty());
    store.remove_channel("a".into(), A1.into()).await.unwrap();
    assert!(find(store, "cafe").await.is_empty());
    assert!(find(store, "東京").await.is_empty());
    store.forget_messages(B0.into()).await.unwrap();
    assert!(find(store, "community").await.is_empty());
    store.remove_community("a".into()).await.unwrap();
    assert!(find(store, "raid*").await.is_empty());
    assert_eq!(store.search_stats().await.unwrap(), (0, 0));
    // Inserting again indexes again.
    store
        .apply(vec![
            Change::Snapshot(snapshot("a", 1, 3)),
            Change::Messages(vec![text("a", A0, 9, "bob", "back again")]),
        ])
        .await
        .unwrap();
    assert_eq!(find(store, "again").await, vec![hit(A0, 9)]);
}

#[tokio::test]
async fn store_search_refuses_malformed_queries_with_a_typed_error_and_never_matches_all() {
    let temp = seeded().await;
    let store = &temp.store;
    let ten_kb = "raid ".repeat(2_048);
    for bad in [
        "",
        "   ",
        "\"raid",
        "raid\"",
        "ra*id",
        "!!!",
        ten_kb.as_str(),
    ] {
        let error = SearchQuery::parse(bad, &Limits::default()).unwrap_err();
        assert_eq!(error.code, ErrorCode::INVALID_SEARCH_QUERY, "{bad:?}");
    }
    // FTS5 syntax is plain text: nothing here is an operator, a column or a wildcard.
    for plain in [
        "OR",
        "NOT raid",
        "raid OR bridge",
        "NEAR(raid bridge)",
        "body:raid",
        "meta:k",
        "^raid",
        "(raid)",
        "{body}: raid",
        "raid AND",
        "\"\"\"\"",
        "*",
        "\"*\"",
    ] {
        let Ok(parsed) = SearchQuery::parse(plain, &Limits::default()) else {
            continue; // refused with a typed error: fine
        };
        let found = all_hits(store, SearchRequest::new(parsed, 100)).await;
        assert!(found.len() < 6, "{plain:?} found {found:?}");
    }
    assert_eq!(find(store, "(raid)").await.len(), 3);
    assert!(
        find(store, "raid OR bridge").await.is_empty(),
        "OR is a word"
    );
    // A cursor is checked before use.
    for bad in ["", "s1:", "s1:x:-:0", "s1:9:5:0", "s2:5:-:0", "s1:5:-:0:1"] {
        assert_eq!(SearchCursor::parse(bad), None, "{bad:?}");
    }
    let cursor = SearchCursor::parse("s1:99:-:0").unwrap();
    assert_eq!(cursor.to_string(), "s1:99:-:0");
}

#[tokio::test]
async fn store_search_ranks_by_relevance_then_newest_and_pages_over_every_match() {
    let temp = temp_store().await;
    let store = &temp.store;
    store
        .apply(vec![
            Change::Snapshot(snapshot("a", 1, 1)),
            Change::Messages(vec![
                text(
                    "a",
                    A0,
                    1,
                    "bob",
                    "a long message that mentions the dragon once among many other words",
                ),
                text("a", A0, 2, "bob", "dragon dragon dragon"),
                text("a", A0, 3, "bob", "the dragon"),
                text("a", A0, 4, "bob", "the dragon"),
            ]),
        ])
        .await
        .unwrap();
    // Most occurrences in the shortest text first; equal scores newest first.
    assert_eq!(
        find(store, "dragon").await,
        vec![hit(A0, 2), hit(A0, 4), hit(A0, 3), hit(A0, 1)]
    );

    // More matches than a window: pages walk the ranked window, then the next older
    // one; every match comes exactly once.
    let many: Vec<Message> = (10..2_510)
        .map(|seq| text("a", A0, seq, "bob", &format!("wyvern number {seq}")))
        .collect();
    store.insert_messages(many).await.unwrap();
    let mut request = SearchRequest::new(query("wyvern"), 100);
    request.channel_id = Some(A0.into());
    let found = all_hits(store, request).await;
    assert_eq!(found.len(), 2_500);
    let mut unique = found.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 2_500);
    // The first window is the newest matches.
    const { assert!(2_500 > 2 * WINDOW) };
    let newest = 2_510 - WINDOW as u64;
    assert!(found[..WINDOW].iter().all(|(_, seq)| *seq >= newest));
}

#[tokio::test]
async fn store_search_pages_are_stable_when_repeated() {
    let temp = seeded().await;
    let store = &temp.store;
    let mut request = SearchRequest::new(query("raid*"), 2);
    let first = store.search(request.clone()).await.unwrap();
    assert_eq!(first.hits.len(), 2);
    request.cursor = first.next_cursor;
    let second = store.search(request.clone()).await.unwrap();
    assert_eq!(second, store.search(request).await.unwrap());
    assert_eq!(second.hits.len(), 2);
    assert_eq!(second.next_cursor, None);
}

#[tokio::test]
async fn store_a_schema_5_cache_upgrades_with_its_messages_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v5.sqlite3");
    {
        let connection = rusqlite::Connection::open(&path).unwrap();
        schema::migrate_to(&connection, 5).unwrap();
        let rows = [
            (
                1,
                "bob",
                MessageContent::Text {
                    text: "Raid tonight at nine".into(),
                },
            ),
            (
                2,
                "carol",
                MessageContent::Text {
                    text: "明日東京都に行きます".into(),
                },
            ),
            (
                3,
                "bob",
                MessageContent::Recalled {
                    by: "bob".into(),
                    at_ms: 9,
                },
            ),
            (
                4,
                "bob",
                MessageContent::Text {
                    text: "hidden raid plans".into(),
                },
            ),
        ];
        for (seq, sender, content) in rows {
            connection
                .execute(
                    "INSERT INTO messages (channel_id, seq, community_id, sender_id,
                         idempotency_key, content, mentions, reply_to, priority, created_at_ms)
                     VALUES ('a-ch000', ?1, 'a', ?2, 'k', ?3, NULL, NULL, 'normal', ?4)",
                    rusqlite::params![
                        seq,
                        sender,
                        serde_json::to_string(&content).unwrap(),
                        1_700_000_000_000_i64 + seq
                    ],
                )
                .unwrap();
        }
        connection
            .execute_batch(
                "INSERT INTO message_channels (channel_id, community_id) VALUES ('a-ch000', 'a');
                 INSERT INTO communities (community_id, name, avatar_url, notice, owner_id,
                     join_policy, mute_all, member_count, attributes, default_channel_id,
                     created_at_ms, version, notification, me_user_id, me_role, me_nickname,
                     me_joined_at_ms)
                 VALUES ('a', 'A', '', '', 'o', 'free', 0, 1, '{}', 'a-ch000', 0, 1, 'notify',
                     'alice', 'member', '', 0);
                 INSERT INTO heads (channel_id, community_id, last_seq, last_activity_ms,
                     read_seq, unread_count, mention_count, hidden)
                 VALUES ('a-ch000', 'a', 4, 0, 4, 0, 0, '[4]');",
            )
            .unwrap();
        assert_eq!(raw_pragmas(&path).0, 5);
    }
    // The upgrade only queues the cached messages; the first search has them indexed
    // (the writer would also do it when idle).
    let deferred = StoreOptions {
        idle_indexing: false,
        ..StoreOptions::default()
    };
    let store = Store::open_with(&path, deferred).await.unwrap();
    assert_eq!(
        store.search_backlog().await.unwrap(),
        1,
        "one run per channel"
    );
    assert_eq!(find(&store, "raid").await, vec![hit(A0, 1)]);
    assert_eq!(store.search_backlog().await.unwrap(), 0);
    assert_eq!(find(&store, "京都").await, vec![hit(A0, 2)]);
    assert_eq!(store.search_stats().await.unwrap().0, 2);
    // New messages are indexed as usual after the upgrade.
    store
        .insert_messages(vec![text("a", A0, 5, "bob", "raid again")])
        .await
        .unwrap();
    assert_eq!(find(&store, "raid").await.len(), 2);
    store.close().await;
    assert_eq!(raw_pragmas(&path).0, schema::current_version());
}

#[tokio::test]
async fn store_search_index_survives_a_reopen_and_compaction() {
    let temp = seeded().await;
    for batch in 0..20_u64 {
        let messages = (0..50)
            .map(|i| text("a", A0, 100 + batch * 50 + i, "bob", "segment filler raid"))
            .collect();
        temp.store.insert_messages(messages).await.unwrap();
    }
    let before = find(&temp.store, "raid").await.len();
    temp.store.compact_search_index().await.unwrap();
    let temp = temp.reopen().await;
    assert_eq!(find(&temp.store, "raid").await.len(), before);
    assert_eq!(before, 1_003);
}
