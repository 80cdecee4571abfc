//! Benchmark of message search in `community-server` (a program, not a test).
//!
//! 1. **Ingest**: `--ingest` messages written six ways on fresh databases — one
//!    `send_message` request per message through the domain, and batches of 1,000
//!    through the store — each without the search index (the queue's triggers dropped),
//!    with the queue alone (no background indexer), and with the background indexer
//!    (timed until the queue is empty): messages per second and CPU per message. After
//!    the sends with the queue alone, the first `search_messages` (which indexes the
//!    whole backlog before it reads) is timed.
//! 2. **Corpus**: one community (`bench`) with a default channel, 6 public channels, a
//!    private `staff` channel (10% of the messages; the reader is not in it) and 20
//!    threads, 200 senders, `--messages` messages of 2–32 words (12 on average) drawn from
//!    a 50,000-word vocabulary with Zipf frequencies (rank r has weight 1/r), one every
//!    30 s, loaded through the store in batches of 1,000 with the index (rate reported).
//! 3. **Queries**, two words from one message the reader can read (so every query has a
//!    hit): a common word (rank < 100) with a rare one (rank ≥ 2,000); two common words;
//!    two rare words; a 3-letter prefix of a common word with a rare word; common + rare
//!    restricted to the message's sender, to its stream, or to the 30 days before it;
//!    and the second page of two common words. First page of 20 (the default). Timed
//!    in-process (`Domain::handle`, which is what a request costs the server besides the
//!    socket) and through the real server (a WebSocket on loopback, one request at a
//!    time). FTS5's own `bm25()` is timed on the same index for comparison.
//! 4. **Sizes**: the database's tables and indexes (`dbstat`).
//!
//! Run (release!):
//!
//! ```text
//! cargo run --release -p community-server --example search_bench -- --messages 1000000 --ingest 50000 --queries 300
//! ```
//!
//! `--dir` keeps the corpus (and reuses it on the next run with the same `--messages` and
//! `--seed`).

mod build;
mod corpus;
mod measure;

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Parser;
use community_protocol::search::SearchMessages;
use community_server_domain::{Domain, SqliteOptions, SqliteStore};

use build::{COMMUNITY, Layout, STEP_MS, T0};
use corpus::{COMMON, Draft, Rng, Vocabulary, draft, pair};
use measure::{Query, Timings};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, Clone, Parser)]
struct Args {
    /// Messages in the corpus.
    #[arg(long, default_value_t = 1_000_000)]
    messages: usize,
    /// Messages written for each ingest measurement (0: skip).
    #[arg(long, default_value_t = 50_000)]
    ingest: usize,
    /// Queries per class.
    #[arg(long, default_value_t = 300)]
    queries: usize,
    /// Words in the vocabulary.
    #[arg(long, default_value_t = 50_000)]
    vocabulary: usize,
    /// Keep the corpus here (reused when it holds one built with the same arguments).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Skip the measurement through the real server.
    #[arg(long)]
    no_server: bool,
    /// Skip the comparison with FTS5's `bm25()`.
    #[arg(long)]
    no_bm25: bool,
    /// Memory map of the in-process searches, MiB (default: `SqliteOptions`' default).
    #[arg(long)]
    mmap_mb: Option<u64>,
    /// FTS5 options replacing schema 6's `prefix = '1 2 3'` in every database this run
    /// creates (e.g. `""` for no prefix index, `"prefix = '1 2'"`), to compare variants.
    #[arg(long)]
    fts_variant: Option<String>,
    /// Seed of every random draw.
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

/// Senders in the corpus.
const SENDERS: usize = 200;

/// Draws the corpus's messages (the same ones for the same seed).
fn drafts(args: &Args, vocabulary: &Vocabulary, layout: &Layout) -> Vec<Draft> {
    let mut rng = Rng::new(args.seed);
    (0..args.messages)
        .map(|_| draft(vocabulary, &layout.weights, layout.senders, &mut rng))
        .collect()
}

/// Builds the corpus in `dir` unless it is there already; its layout and drafts.
fn corpus(
    args: &Args,
    dir: &Path,
    vocabulary: &Vocabulary,
) -> Result<(Layout, Vec<Draft>), BoxError> {
    let marker = dir.join(format!("built-{}-{}", args.messages, args.seed));
    let domain = Domain::open_with(dir, build::limits(), &SqliteOptions::default())?;
    let fresh = !marker.exists();
    if fresh && dir.join("community.db").metadata()?.len() > 1 << 20 {
        return Err(format!("{} holds another corpus", dir.display()).into());
    }
    let layout = if fresh {
        if let Some(options) = &args.fts_variant {
            build::recreate_index(dir, options)?;
        }
        build::structure(&domain, SENDERS)?
    } else {
        layout_of(&domain)?
    };
    drop(domain);
    let drafts = drafts(args, vocabulary, &layout);
    if fresh {
        let store = SqliteStore::open(dir, &SqliteOptions::default())?;
        let start = Instant::now();
        for (n, chunk) in drafts.chunks(100_000).enumerate() {
            build::load(&store, &layout, vocabulary, chunk, n * 100_000)?;
            build::wait_indexed(dir)?;
            println!(
                "loaded {} messages, {:.0} s",
                (n * 100_000 + chunk.len()),
                start.elapsed().as_secs_f64()
            );
        }
        let seconds = start.elapsed().as_secs_f64();
        println!(
            "corpus: {} messages through the store with the index in {seconds:.0} s = {:.0} msg/s",
            args.messages,
            args.messages as f64 / seconds
        );
        std::fs::write(&marker, b"")?;
    }
    Ok((layout, drafts))
}

/// The layout of a corpus built before (the same order as `build::structure`).
fn layout_of(domain: &Domain) -> Result<Layout, BoxError> {
    use community_protocol::request::CommunityRef;
    use community_protocol::{Request, Response};
    let owner = build::OWNER.into();
    let get = Request::GetCommunity(CommunityRef {
        community_id: COMMUNITY.into(),
    });
    let Response::Community(snapshot) = domain.handle(&owner, get)?.response else {
        return Err("community expected".into());
    };
    let mut streams: Vec<_> = snapshot
        .channels
        .iter()
        .map(|c| c.channel_id.clone())
        .collect();
    let staff = snapshot
        .channels
        .iter()
        .position(|c| c.name == "staff")
        .ok_or("no staff channel")?;
    let general = snapshot.info.default_channel_id.clone();
    let mut threads = Vec::new();
    for archived in [false, true] {
        let list = Request::ListThreads(community_protocol::request::ListThreads {
            community_id: COMMUNITY.into(),
            channel_id: general.clone(),
            archived,
            cursor: None,
            limit: Some(100),
        });
        let Response::Threads(page) = domain.handle(&owner, list)?.response else {
            return Err("threads expected".into());
        };
        threads.extend(page.threads);
    }
    // Named thread-00, thread-01, …: by name is the order they were made in.
    threads.sort_by(|a, b| a.name.cmp(&b.name));
    let mut weights = vec![0.30];
    weights.extend(std::iter::repeat_n(0.09, streams.len() - 2));
    weights.push(0.10);
    weights.extend(std::iter::repeat_n(
        0.06 / threads.len() as f64,
        threads.len(),
    ));
    streams.extend(threads.into_iter().map(|t| t.thread_id));
    Ok(Layout {
        streams,
        weights,
        staff,
        senders: SENDERS,
    })
}

/// The queries, `per_class` of each class, from messages the reader can read.
fn queries(args: &Args, vocabulary: &Vocabulary, layout: &Layout, drafts: &[Draft]) -> Vec<Query> {
    let mut rng = Rng::new(args.seed ^ 0x5eed);
    let word = |r: u32| vocabulary.words[r as usize].clone();
    let mut out = Vec::new();
    let base = |query: String| SearchMessages {
        community_id: COMMUNITY.into(),
        query,
        ..Default::default()
    };
    type Make<'a> = Box<dyn Fn(&Draft, usize) -> Option<(SearchMessages, bool)> + 'a>;
    let classes: Vec<(&str, Make<'_>)> = vec![
        (
            "common + rare",
            Box::new(|d, _| {
                pair(d, true, false).map(|(a, b)| (base(format!("{} {}", word(a), word(b))), false))
            }),
        ),
        (
            "common + common",
            Box::new(|d, _| {
                pair(d, true, true).map(|(a, b)| (base(format!("{} {}", word(a), word(b))), false))
            }),
        ),
        (
            "rare + rare",
            Box::new(|d, _| {
                pair(d, false, false)
                    .map(|(a, b)| (base(format!("{} {}", word(a), word(b))), false))
            }),
        ),
        (
            "prefix (3 letters of a common word) + rare",
            Box::new(|d, _| {
                let (a, b) = pair(d, true, false)?;
                let common = word(a);
                let prefix: String = common.chars().take(3).collect();
                (prefix.chars().count() == 3 && a < COMMON)
                    .then(|| (base(format!("{prefix}* {}", word(b))), false))
            }),
        ),
        (
            "common + rare, one sender",
            Box::new(|d, _| {
                let (a, b) = pair(d, true, false)?;
                let mut p = base(format!("{} {}", word(a), word(b)));
                p.sender_id = Some(format!("u{}", d.sender).into());
                Some((p, false))
            }),
        ),
        (
            "common + rare, one stream",
            Box::new(|d, _| {
                let (a, b) = pair(d, true, false)?;
                let mut p = base(format!("{} {}", word(a), word(b)));
                p.channel_id = Some(layout.streams[d.channel].clone());
                Some((p, false))
            }),
        ),
        (
            "common + rare, 30 days",
            Box::new(|d, i| {
                let (a, b) = pair(d, true, false)?;
                let mut p = base(format!("{} {}", word(a), word(b)));
                let at = T0 + i as i64 * STEP_MS;
                p.after_ms = Some(at - 30 * 86_400_000);
                p.before_ms = Some(at + 1);
                Some((p, false))
            }),
        ),
        (
            "common + common, page 2",
            Box::new(|d, _| {
                pair(d, true, true).map(|(a, b)| (base(format!("{} {}", word(a), word(b))), true))
            }),
        ),
    ];
    for (class, make) in &classes {
        let mut made = 0;
        let mut tries = 0;
        while made < args.queries && tries < args.queries * 100 {
            tries += 1;
            let i = rng.below(drafts.len());
            let d = &drafts[i];
            if d.channel == layout.staff {
                continue;
            }
            if let Some((params, second_page)) = make(d, i) {
                out.push(Query {
                    class: (*class).to_owned(),
                    params,
                    second_page,
                });
                made += 1;
            }
        }
    }
    // Interleave the classes, so no class runs on a cache the previous one warmed alone.
    let mut shuffled = Vec::with_capacity(out.len());
    while !out.is_empty() {
        let i = rng.below(out.len());
        shuffled.push(out.swap_remove(i));
    }
    shuffled
}

fn table(title: &str, timings: &[Timings]) {
    println!("\n{title}\n");
    println!("| queries | n | p50 ms | p95 ms | p99 ms | max ms | hits/page |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for t in timings {
        println!("{}", t.row());
    }
}

fn sizes(dir: &Path) -> Result<(), BoxError> {
    let conn = rusqlite::Connection::open(dir.join("community.db"))?;
    let mut statement = conn.prepare(
        "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY SUM(pgsize) DESC LIMIT 12",
    )?;
    println!("\nsizes (MB):");
    let rows = statement.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    let mut total = 0;
    for row in rows {
        let (name, bytes) = row?;
        total += bytes;
        println!("  {name}: {:.1}", bytes as f64 / 1e6);
    }
    println!("  (these tables: {:.1})", total as f64 / 1e6);
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args = Args::parse();
    let mut rng = Rng::new(args.seed);
    let vocabulary = Vocabulary::new(args.vocabulary, &mut rng);
    println!("search_bench: {args:?}");
    let rates = if args.ingest > 0 {
        build::ingest_rates(
            args.ingest,
            &vocabulary,
            args.seed,
            args.fts_variant.as_deref(),
        )?
    } else {
        Vec::new()
    };
    let temp = tempfile::tempdir()?;
    let dir = args.dir.clone().unwrap_or_else(|| temp.path().to_owned());
    std::fs::create_dir_all(&dir)?;
    let (layout, drafts) = corpus(&args, &dir, &vocabulary)?;
    let queries = queries(&args, &vocabulary, &layout, &drafts);
    drop(drafts);
    let mut options = SqliteOptions::default();
    if let Some(mb) = args.mmap_mb {
        options.mmap_bytes = mb << 20;
    }
    let domain = Domain::open_with(&dir, build::limits(), &options)?;
    let timings = measure::in_process(&domain, &queries)?;
    drop(domain);
    table(
        &format!(
            "in-process (Domain::handle), first page of 20, mmap {} MiB",
            options.mmap_bytes >> 20
        ),
        &timings,
    );
    if !args.no_bm25 {
        let bm25 = measure::fts5_bm25(&dir, &queries)?;
        table("FTS5 bm25() on the same index (for comparison)", &bm25);
    }
    if !args.no_server {
        let timings = measure::through_server(&dir, &queries).await?;
        table("through the server (WebSocket on loopback)", &timings);
    }
    sizes(&dir)?;
    if !rates.is_empty() {
        println!(
            "\n| ingest of {} messages | msg/s | CPU µs per message |\n| --- | --- | --- |",
            args.ingest
        );
        for rate in &rates {
            println!(
                "| {} | {:.0} | {:.0} |",
                rate.what, rate.per_second, rate.cpu_us
            );
        }
    }
    Ok(())
}
