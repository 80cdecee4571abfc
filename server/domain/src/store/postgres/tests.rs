//! Tests of the PostgreSQL engine itself, against a throwaway cluster (skipped when
//! PostgreSQL is not installed).

use std::collections::BTreeMap;

use community_protocol::{CommunityInfo, JoinPolicy};

use super::{PgOptions, PgStore};
use crate::store::Store;
use crate::store::pg_test_cluster::shared;

/// A store over a fresh database of the shared cluster; `None` (skip) without PostgreSQL.
pub(crate) fn fresh_store() -> Option<PgStore> {
    let Some(cluster) = shared() else {
        println!("skipped: PostgreSQL not installed");
        return None;
    };
    let database = cluster.create_database().unwrap();
    Some(PgStore::open(&cluster.url(&database), &PgOptions::default()).unwrap())
}

fn community(id: &str) -> CommunityInfo {
    CommunityInfo {
        community_id: id.into(),
        name: "Name".into(),
        avatar_url: String::new(),
        notice: String::new(),
        owner_id: "owner".into(),
        join_policy: JoinPolicy::Approval,
        mute_all: false,
        member_count: 0,
        attributes: BTreeMap::from([("k".to_owned(), "v".to_owned())]),
        default_channel_id: "general".into(),
        created_at_ms: 1,
        version: 1,
        system_messages: true,
    }
}

#[test]
fn migrations_run_once_and_reopen_changes_nothing() {
    let Some(cluster) = shared() else {
        println!("skipped: PostgreSQL not installed");
        return;
    };
    let database = cluster.create_database().unwrap();
    let url = cluster.url(&database);
    let first = PgStore::open(&url, &PgOptions::default()).unwrap();
    let again = PgStore::open(&url, &PgOptions::default()).unwrap();
    drop((first, again));
}

#[test]
fn communities_round_trip() {
    let Some(store) = fresh_store() else { return };
    let store: &dyn Store = &store;
    store
        .write("test", |tx| Ok(tx.insert_community(&community("c1"))?))
        .unwrap();
    let read = store
        .read("test", |tx| Ok(tx.community(&"c1".into())?))
        .unwrap();
    assert_eq!(read, Some(community("c1")));
    let ids = store
        .read("test", |tx| Ok(tx.community_ids_after(None, 10)?))
        .unwrap();
    assert_eq!(ids, vec![community_protocol::CommunityId::from("c1")]);
}

#[test]
fn a_failed_body_rolls_back() {
    let Some(store) = fresh_store() else { return };
    let store: &dyn Store = &store;
    let failed = store.write("test", |tx| {
        tx.insert_community(&community("c1"))?;
        Err::<(), _>(community_protocol::ApiError::new(
            community_protocol::ErrorCode::INTERNAL,
            "no",
        ))
    });
    assert!(failed.is_err());
    let read = store
        .read("test", |tx| Ok(tx.community(&"c1".into())?))
        .unwrap();
    assert_eq!(read, None);
}

fn channel(community: &str, id: &str) -> community_protocol::ChannelInfo {
    community_protocol::ChannelInfo {
        community_id: community.into(),
        channel_id: id.into(),
        name: id.into(),
        introduction: String::new(),
        notice: String::new(),
        custom: String::new(),
        kind: community_protocol::ChannelKind::default(),
        category_id: None,
        position: 0,
        private: false,
        is_default: true,
        created_at_ms: 1,
        overrides: Vec::new(),
        follows_category: false,
        mute_all: false,
    }
}

/// Sends `text` as `sender` with `key` the way the domain does: the key is looked up
/// first (a resend answers the stored message), else the message is appended.
fn send(
    store: &(dyn Store + 'static),
    sender: &str,
    key: &str,
    text: &str,
) -> community_protocol::Message {
    let content = community_protocol::MessageContent::Text { text: text.into() };
    let mentions = community_protocol::Mentions::default();
    let sender = community_protocol::UserId::from(sender);
    store
        .write("send", |tx| {
            if let Some(found) = tx.message_by_key(&sender, key)? {
                return Ok(found);
            }
            Ok(tx.append_message(&crate::store::NewMessage {
                community_id: &"c1".into(),
                channel_id: &"general".into(),
                sender_id: &sender,
                idempotency_key: key,
                content: &content,
                mentions: &mentions,
                reply_to: None,
                priority: community_protocol::Priority::Normal,
                created_at_ms: 2,
                custom_data: "",
                forwarded_from: None,
            })?)
        })
        .unwrap()
}

/// Two "nodes" (two stores, each with its own pool) over one database; with
/// `serialize_writes` off, only the row and key locks keep them apart.
fn two_nodes(serialize_writes: bool) -> Option<(PgStore, PgStore)> {
    let cluster = shared()?;
    let database = cluster.create_database().unwrap();
    let url = cluster.url(&database);
    let options = PgOptions {
        serialize_writes,
        ..PgOptions::default()
    };
    let a = PgStore::open(&url, &options).unwrap();
    let b = PgStore::open(&url, &options).unwrap();
    let setup: &dyn Store = &a;
    setup
        .write("setup", |tx| {
            tx.insert_community(&community("c1"))?;
            tx.insert_channel(&channel("c1", "general"))?;
            Ok(())
        })
        .unwrap();
    Some((a, b))
}

#[test]
fn messages_round_trip_with_reactions_and_pins() {
    let Some((store, _)) = two_nodes(true) else {
        println!("skipped: PostgreSQL not installed");
        return;
    };
    let store: &dyn Store = &store;
    let first = send(store, "u1", "k1", "hello");
    assert_eq!(first.seq, 1);
    let again = send(store, "u1", "k1", "hello");
    assert_eq!(again, first);
    let second = send(store, "u2", "k1", "world");
    assert_eq!(second.seq, 2);
    let channel_id = community_protocol::ChannelId::from("general");
    let user = community_protocol::UserId::from("u2");
    store
        .write("react", |tx| {
            assert!(tx.add_reaction(&channel_id, 1, "👍", &user, 3)?);
            assert!(!tx.add_reaction(&channel_id, 1, "👍", &user, 3)?);
            assert!(tx.pin(&channel_id, 1, &user, 4)?);
            Ok(())
        })
        .unwrap();
    let (page, more) = store
        .read("history", |tx| {
            Ok(tx.messages(
                &channel_id,
                crate::store::HistoryRange {
                    after: None,
                    before: None,
                    limit: 10,
                    newest: true,
                },
                Some(&user),
            )?)
        })
        .unwrap();
    assert!(!more);
    assert_eq!(page.iter().map(|m| m.seq).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(page[0].reactions.len(), 1);
    assert!(page[0].reactions[0].me);
    assert!(page[0].pinned.is_some());
    assert_eq!(page[1].content, second.content);
}

/// Four threads on two nodes send into one channel at once: sequences 1..=N, no gaps,
/// no duplicates; the same idempotency key sent through both nodes at once stores one
/// message.
#[test]
fn concurrent_senders_on_two_nodes_get_gap_free_sequences() {
    // Without the database-wide write lock: the row and key locks alone.
    let Some((a, b)) = two_nodes(false) else {
        println!("skipped: PostgreSQL not installed");
        return;
    };
    concurrent_sends(&a, &b);
}

#[test]
fn concurrent_senders_with_serialized_writes() {
    let Some((a, b)) = two_nodes(true) else {
        println!("skipped: PostgreSQL not installed");
        return;
    };
    concurrent_sends(&a, &b);
}

fn concurrent_sends(a: &PgStore, b: &PgStore) {
    const PER_THREAD: usize = 25;
    let seqs = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for thread in 0..4 {
            let node: &(dyn Store + 'static) = if thread % 2 == 0 { a } else { b };
            let seqs = &seqs;
            scope.spawn(move || {
                for i in 0..PER_THREAD {
                    let sender = format!("u{thread}");
                    let message = send(node, &sender, &format!("k{i}"), "x");
                    seqs.lock().unwrap().push(message.seq);
                }
            });
        }
    });
    let mut seqs = seqs.into_inner().unwrap();
    seqs.sort_unstable();
    let expected: Vec<u64> = (1..=(4 * PER_THREAD) as u64).collect();
    assert_eq!(seqs, expected);

    // The same key through both nodes at once, many times: one message per key.
    let results = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for node in [a, b] {
            let results = &results;
            scope.spawn(move || {
                for i in 0..20 {
                    let message = send(node, "same", &format!("dup{i}"), "once");
                    results.lock().unwrap().push((i, message.seq));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_unstable();
    for pair in results.chunks(2) {
        assert_eq!(pair[0], pair[1], "one message per key");
    }
    let store: &dyn Store = a;
    let channel = store
        .read(
            "head",
            |tx| Ok(tx.channel(&"c1".into(), &"general".into())?),
        )
        .unwrap()
        .unwrap();
    assert_eq!(channel.last_seq, (4 * PER_THREAD + 20) as u64);
}

/// Two `Domain`s ("nodes") over one database: 4 threads send into one channel at once
/// through both → sequences 1..=N with no gap and no duplicate; the same idempotency key
/// through both nodes at once → one message.
#[test]
fn two_domains_share_one_channel() {
    use std::sync::Arc;

    use community_protocol::{Limits, Request, Response, UserId};

    use crate::Domain;
    use crate::clock::SystemClock;
    use crate::test_support::send;

    let Some(cluster) = shared() else {
        println!("skipped: PostgreSQL not installed");
        return;
    };
    let database = cluster.create_database().unwrap();
    let url = cluster.url(&database);
    let node = || {
        let options = PgOptions {
            serialize_writes: false,
            ..PgOptions::default()
        };
        let store = PgStore::open(&url, &options).unwrap();
        Domain::with_parts(Box::new(store), Limits::default(), Arc::new(SystemClock))
    };
    let (a, b) = (node(), node());
    let owner = UserId::from("owner");
    let created = a
        .handle(
            &owner,
            Request::CreateCommunity(community_protocol::request::CreateCommunity {
                community_id: Some("g".into()),
                name: "G".into(),
                system_messages: Some(false),
                ..Default::default()
            }),
        )
        .unwrap();
    let Response::Community(snapshot) = created.response else {
        panic!("unexpected {:?}", created.response);
    };
    let general = snapshot.info.default_channel_id.as_str().to_owned();
    for user in ["u0", "u1", "u2", "u3"] {
        b.handle(&UserId::from(user), crate::test_support::join("g"))
            .unwrap();
    }
    let sent = |domain: &Domain, user: &str, key: &str| -> u64 {
        let handled = domain
            .handle(&UserId::from(user), send("g", &general, key, "hi"))
            .unwrap();
        match handled.response {
            Response::MessageSent(message) => message.seq,
            other => panic!("unexpected {other:?}"),
        }
    };
    const PER_THREAD: usize = 20;
    let seqs = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for thread in 0..4 {
            let domain = if thread % 2 == 0 { &a } else { &b };
            let (seqs, sent) = (&seqs, &sent);
            scope.spawn(move || {
                for i in 0..PER_THREAD {
                    let seq = sent(domain, &format!("u{thread}"), &format!("k{i}"));
                    seqs.lock().unwrap().push(seq);
                }
            });
        }
    });
    let mut seqs = seqs.into_inner().unwrap();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=(4 * PER_THREAD) as u64).collect::<Vec<_>>());

    let twice = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for domain in [&a, &b] {
            let (twice, sent) = (&twice, &sent);
            scope.spawn(move || {
                for i in 0..10 {
                    twice
                        .lock()
                        .unwrap()
                        .push((i, sent(domain, "u0", &format!("same{i}"))));
                }
            });
        }
    });
    let mut twice = twice.into_inner().unwrap();
    twice.sort_unstable();
    for pair in twice.chunks(2) {
        assert_eq!(pair[0], pair[1], "one message per key");
    }
    let last = twice.iter().map(|(_, seq)| *seq).max().unwrap();
    assert_eq!(last, (4 * PER_THREAD + 10) as u64);
}

/// The server calls the store from tokio `spawn_blocking` threads; the synchronous client
/// runs a small runtime of its own inside, and blocking on it is allowed there (many at
/// once, on a multi-threaded runtime like the server's).
#[test]
fn works_from_tokio_spawn_blocking_threads() {
    let Some(store) = fresh_store() else { return };
    let store: std::sync::Arc<dyn Store> = std::sync::Arc::new(store);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut tasks = Vec::new();
        for i in 0..8 {
            let store = store.clone();
            tasks.push(tokio::task::spawn_blocking(move || {
                store.write("test", |tx| {
                    Ok(tx.insert_community(&community(&format!("c{i}")))?)
                })
            }));
        }
        for task in tasks {
            task.await.unwrap().unwrap();
        }
    });
    let ids = store
        .read("test", |tx| Ok(tx.community_ids_after(None, 100)?))
        .unwrap();
    assert_eq!(ids.len(), 8);
}

/// A store dropped on an async task (a server shut down from its runtime) closes its
/// connections without panicking: a blocking client may not close itself there.
#[test]
fn drops_inside_an_async_runtime() {
    let Some(store) = fresh_store() else { return };
    let store: std::sync::Arc<dyn Store> = std::sync::Arc::new(store);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        // Several pooled connections, then every one idle.
        let mut tasks = Vec::new();
        for i in 0..4 {
            let store = store.clone();
            tasks.push(tokio::task::spawn_blocking(move || {
                store.write("test", |tx| {
                    Ok(tx.insert_community(&community(&format!("d{i}")))?)
                })
            }));
        }
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        drop(store);
    });
}
