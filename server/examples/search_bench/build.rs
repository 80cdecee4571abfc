//! Writing the corpus: the community's structure through the domain, the messages through
//! the store (batched) or through the domain (one request each), with or without the
//! search index's triggers, and the ingest rates of each.

use std::path::Path;
use std::time::{Duration, Instant};

use community_protocol::request::{
    CreateChannel, CreateCommunity, CreateThread, InviteMembers, SendMessage,
};
use community_protocol::{
    ChannelId, CommunityId, Limits, Mentions, MessageContent, Priority, Request, Response, UserId,
};
use community_server_domain::store::{NewMessage, Store};
use community_server_domain::{Domain, SqliteOptions, SqliteStore};

use crate::BoxError;
use crate::corpus::{Draft, Rng, Vocabulary, draft};

/// The community.
pub const COMMUNITY: &str = "bench";
/// The member who searches: in every channel but `staff`.
pub const READER: &str = "reader";
/// The owner.
pub const OWNER: &str = "owner";
/// The time of the first message; one message every 30 s after it (1M: about a year).
pub const T0: i64 = 1_700_000_000_000;
/// Milliseconds between two messages.
pub const STEP_MS: i64 = 30_000;
/// Messages per write transaction when loading through the store.
const BATCH: usize = 1_000;

/// Public channels besides the default one.
const PUBLIC: usize = 6;
/// Threads of the default channel.
const THREADS: usize = 20;

/// The limits of the bench (no rate limit, no member cap).
pub fn limits() -> Limits {
    Limits {
        channel_messages_per_second: 1_000_000,
        max_members_per_community: 0,
        ..Limits::default()
    }
}

/// The streams of the community, in the order drafts name them: the default channel, the
/// public channels, `staff` (private, the reader is not in it), then the threads.
pub struct Layout {
    /// Every stream.
    pub streams: Vec<ChannelId>,
    /// Their weights (shares of the messages).
    pub weights: Vec<f64>,
    /// The index of `staff`.
    pub staff: usize,
    /// The senders.
    pub senders: usize,
}

fn sender(i: usize) -> UserId {
    format!("u{i}").into()
}

fn ok(domain: &Domain, user: &str, request: Request) -> Result<Response, BoxError> {
    let op = request.op();
    domain
        .handle(&user.into(), request)
        .map(|handled| handled.response)
        .map_err(|e| format!("{op}: {e}").into())
}

/// Creates the community, its channels, threads and members.
pub fn structure(domain: &Domain, senders: usize) -> Result<Layout, BoxError> {
    let create = Request::CreateCommunity(CreateCommunity {
        community_id: Some(COMMUNITY.into()),
        name: "Bench".into(),
        system_messages: Some(false),
        ..Default::default()
    });
    let Response::Community(snapshot) = ok(domain, OWNER, create)? else {
        return Err("community expected".into());
    };
    let general = snapshot.info.default_channel_id;
    let mut streams = vec![general.clone()];
    let channel = |name: String, private: bool| -> Result<ChannelId, BoxError> {
        let request = Request::CreateChannel(CreateChannel {
            community_id: COMMUNITY.into(),
            name,
            private,
            ..Default::default()
        });
        match ok(domain, OWNER, request)? {
            Response::Channel(info) => Ok(info.channel_id),
            _ => Err("channel expected".into()),
        }
    };
    for n in 0..PUBLIC {
        streams.push(channel(format!("public-{n}"), false)?);
    }
    streams.push(channel("staff".into(), true)?);
    let staff = streams.len() - 1;
    let mut users: Vec<UserId> = vec![READER.into()];
    users.extend((0..senders).map(sender));
    for chunk in users.chunks(100) {
        ok(
            domain,
            OWNER,
            Request::InviteMembers(InviteMembers {
                community_id: COMMUNITY.into(),
                user_ids: chunk.to_vec(),
            }),
        )?;
    }
    for n in 0..THREADS {
        let request = Request::CreateThread(CreateThread {
            community_id: COMMUNITY.into(),
            channel_id: general.clone(),
            name: format!("thread-{n:02}"),
            ..Default::default()
        });
        match ok(domain, OWNER, request)? {
            Response::Thread(info) => streams.push(info.thread_id),
            _ => return Err("thread expected".into()),
        }
    }
    // General 30%, each public channel 9%, staff 10%, the threads 6% together.
    let mut weights = vec![0.30];
    weights.extend(std::iter::repeat_n(0.09, PUBLIC));
    weights.push(0.10);
    weights.extend(std::iter::repeat_n(0.06 / THREADS as f64, THREADS));
    Ok(Layout {
        streams,
        weights,
        staff,
        senders,
    })
}

/// Drops the search index's triggers (a database without the index, for comparison).
pub fn drop_index_triggers(dir: &Path) -> Result<(), BoxError> {
    let conn = rusqlite::Connection::open(dir.join("community.db"))?;
    conn.busy_timeout(Duration::from_secs(30))?;
    conn.execute_batch(
        "DROP TRIGGER search_pending_insert;
         DROP TRIGGER search_pending_update;
         DROP TRIGGER search_pending_delete;",
    )?;
    Ok(())
}

/// Rows queued for the search indexer.
pub fn pending(dir: &Path) -> Result<i64, BoxError> {
    let conn = rusqlite::Connection::open(dir.join("community.db"))?;
    conn.busy_timeout(Duration::from_secs(30))?;
    Ok(conn.query_row("SELECT COUNT(*) FROM search_pending", [], |r| r.get(0))?)
}

/// Waits until the background indexer has emptied the queue.
pub fn wait_indexed(dir: &Path) -> Result<(), BoxError> {
    while pending(dir)? > 0 {
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(())
}

/// Recreates the (empty) search index with other FTS5 options (`prefix='1 2'`, …), to
/// compare variants of schema 6.
pub fn recreate_index(dir: &Path, options: &str) -> Result<(), BoxError> {
    let conn = rusqlite::Connection::open(dir.join("community.db"))?;
    conn.busy_timeout(Duration::from_secs(30))?;
    let options = if options.is_empty() {
        String::new()
    } else {
        format!(", {options}")
    };
    conn.execute_batch(&format!(
        "DROP TABLE message_search;
         CREATE VIRTUAL TABLE message_search USING fts5(body, tags, content = '',
             contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2'{options});"
    ))?;
    Ok(())
}

/// Appends `drafts` (numbered from `first`) through the store, `BATCH` per transaction.
pub fn load(
    store: &(dyn Store + 'static),
    layout: &Layout,
    vocabulary: &Vocabulary,
    drafts: &[Draft],
    first: usize,
) -> Result<(), BoxError> {
    let community = CommunityId::from(COMMUNITY);
    let mentions = Mentions::default();
    for (chunk_index, chunk) in drafts.chunks(BATCH).enumerate() {
        store.write("bench_load", |tx| {
            for (offset, draft) in chunk.iter().enumerate() {
                let i = first + chunk_index * BATCH + offset;
                let content = MessageContent::Text {
                    text: draft.text(vocabulary),
                };
                tx.append_message(&NewMessage {
                    community_id: &community,
                    channel_id: &layout.streams[draft.channel],
                    sender_id: &sender(draft.sender),
                    idempotency_key: &format!("k{i}"),
                    content: &content,
                    mentions: &mentions,
                    reply_to: None,
                    priority: Priority::Normal,
                    created_at_ms: T0 + i as i64 * STEP_MS,
                    custom_data: "",
                    forwarded_from: None,
                })?;
            }
            Ok(())
        })?;
    }
    Ok(())
}

/// Messages per second of one way of writing.
pub struct Rate {
    /// What was measured.
    pub what: String,
    /// Messages per second (wall clock).
    pub per_second: f64,
    /// CPU time (user + system) of this process per message, µs.
    pub cpu_us: f64,
}

/// CPU time (user + system) of this process so far, µs.
fn cpu_us() -> u64 {
    // SAFETY: getrusage only writes the struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let us = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    us(usage.ru_utime) + us(usage.ru_stime)
}

/// How the index is kept while messages are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Indexing {
    /// No index (the queue's triggers dropped).
    None,
    /// Queued, no background indexer (the cost of the send path alone).
    Queued,
    /// Queued and indexed by the background indexer; timed until the queue is empty.
    Background,
}

/// Writes `count` messages six ways on fresh databases — one `send_message` request each
/// through the domain, and batches of 1,000 through the store; without the index, with
/// the queue alone, and with the background indexer until everything is indexed — and
/// returns the rates. After the sends with the queue alone, the first `search_messages`
/// (which indexes the whole backlog first) is timed.
pub fn ingest_rates(
    count: usize,
    vocabulary: &Vocabulary,
    seed: u64,
    variant: Option<&str>,
) -> Result<Vec<Rate>, BoxError> {
    let mut rates = Vec::new();
    for batched in [false, true] {
        for indexing in [Indexing::None, Indexing::Queued, Indexing::Background] {
            let dir = tempfile::tempdir()?;
            let options = SqliteOptions {
                index_batch: if indexing == Indexing::Background {
                    community_server_domain::DEFAULT_INDEX_BATCH
                } else {
                    0
                },
                ..SqliteOptions::default()
            };
            let domain = Domain::open_with(dir.path(), limits(), &options)?;
            let layout = structure(&domain, 50)?;
            if indexing == Indexing::None {
                drop_index_triggers(dir.path())?;
            } else if let Some(options) = variant {
                recreate_index(dir.path(), options)?;
            }
            let mut rng = Rng::new(seed ^ 0x1a2b);
            let drafts: Vec<Draft> = (0..count)
                .map(|_| draft(vocabulary, &layout.weights, layout.senders, &mut rng))
                .collect();
            let cpu_before = cpu_us();
            let mut domain = Some(domain);
            let start = Instant::now();
            let store = if batched {
                drop(domain.take());
                let store = SqliteStore::open(dir.path(), &options)?;
                load(&store, &layout, vocabulary, &drafts, 0)?;
                Some(store)
            } else {
                let domain = domain.as_ref().ok_or("no domain")?;
                for (i, d) in drafts.iter().enumerate() {
                    let request = Request::SendMessage(SendMessage {
                        community_id: COMMUNITY.into(),
                        channel_id: layout.streams[d.channel].clone(),
                        idempotency_key: format!("k{i}"),
                        content: MessageContent::Text {
                            text: d.text(vocabulary),
                        },
                        mentions: Mentions::default(),
                        reply_to: None,
                        priority: Priority::Normal,
                        custom_data: String::new(),
                        forward_of: None,
                    });
                    ok(domain, OWNER, request)?;
                }
                None
            };
            if indexing == Indexing::Background {
                wait_indexed(dir.path())?;
            }
            let seconds = start.elapsed().as_secs_f64();
            let cpu = (cpu_us() - cpu_before) as f64 / count as f64;
            let what = format!(
                "{} {}",
                if batched {
                    "store, 1,000 per transaction"
                } else {
                    "send_message, one per transaction"
                },
                match indexing {
                    Indexing::None => "without the index",
                    Indexing::Queued => "queued (no indexer running)",
                    Indexing::Background => "queued + background indexer, until indexed",
                }
            );
            println!(
                "ingest {what}: {count} messages in {seconds:.1} s = {:.0} msg/s, {cpu:.0} µs CPU each",
                count as f64 / seconds
            );
            rates.push(Rate {
                what,
                per_second: count as f64 / seconds,
                cpu_us: cpu,
            });
            if indexing == Indexing::Queued && !batched {
                let domain = domain.as_ref().ok_or("no domain")?;
                let cpu_before = cpu_us();
                let start = Instant::now();
                ok(
                    domain,
                    READER,
                    Request::SearchMessages(community_protocol::search::SearchMessages {
                        community_id: COMMUNITY.into(),
                        query: vocabulary.words[0].clone(),
                        ..Default::default()
                    }),
                )?;
                let seconds = start.elapsed().as_secs_f64();
                let cpu = (cpu_us() - cpu_before) as f64 / count as f64;
                let what = format!("first search_messages after {count} unindexed sends");
                println!(
                    "{what}: {:.0} ms = {:.0} msg/s indexed, {cpu:.0} µs CPU per message",
                    seconds * 1000.0,
                    count as f64 / seconds
                );
                rates.push(Rate {
                    what,
                    per_second: count as f64 / seconds,
                    cpu_us: cpu,
                });
            }
            drop(store);
        }
    }
    Ok(rates)
}
