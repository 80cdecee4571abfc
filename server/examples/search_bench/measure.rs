//! Timing searches: through the domain in-process, through the real server over a
//! WebSocket, and FTS5's own `bm25()` on the same index for comparison.

use std::path::Path;
use std::time::{Duration, Instant};

use community_protocol::codec;
use community_protocol::request::Login;
use community_protocol::search::{SearchMessages, SearchQuery};
use community_protocol::{ClientFrame, Limits, PROTOCOL_VERSION, Request, Response, ServerFrame};
use community_server::{RunningServer, ServerConfig};
use community_server_domain::Domain;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::BoxError;
use crate::build::READER;

/// One query of a class.
#[derive(Clone)]
pub struct Query {
    /// Its class (what the table groups by).
    pub class: String,
    /// The request.
    pub params: SearchMessages,
    /// Fetch the second page (time that one).
    pub second_page: bool,
}

/// The timings of one class.
pub struct Timings {
    /// The class.
    pub class: String,
    /// Each query's time, sorted.
    pub times: Vec<Duration>,
    /// Hits of the (timed) pages, summed.
    pub hits: usize,
}

impl Timings {
    fn at(&self, percent: usize) -> Duration {
        let n = self.times.len();
        if n == 0 {
            return Duration::ZERO;
        }
        self.times[(n * percent / 100).min(n - 1)]
    }

    /// One table row: class, queries, p50, p95, p99, max, mean hits.
    pub fn row(&self) -> String {
        let ms = |d: Duration| format!("{:.2}", d.as_secs_f64() * 1e3);
        format!(
            "| {} | {} | {} | {} | **{}** | {} | {:.1} |",
            self.class,
            self.times.len(),
            ms(self.at(50)),
            ms(self.at(95)),
            ms(self.at(99)),
            ms(self.times.last().copied().unwrap_or_default()),
            self.hits as f64 / self.times.len().max(1) as f64
        )
    }
}

/// Groups timed queries by class, in the order the classes first appear.
fn group(results: Vec<(String, Duration, usize)>) -> Vec<Timings> {
    let mut out: Vec<Timings> = Vec::new();
    for (class, time, hits) in results {
        match out.iter_mut().find(|t| t.class == class) {
            Some(t) => {
                t.times.push(time);
                t.hits += hits;
            }
            None => out.push(Timings {
                class,
                times: vec![time],
                hits,
            }),
        }
    }
    for t in &mut out {
        t.times.sort_unstable();
    }
    out
}

fn page_of(response: Response) -> Result<community_protocol::search::SearchPage, BoxError> {
    match response {
        Response::SearchResults(page) => Ok(page),
        other => Err(format!("unexpected {}", other.kind()).into()),
    }
}

/// Runs every query through the domain (in this process, on the calling thread).
pub fn in_process(domain: &Domain, queries: &[Query]) -> Result<Vec<Timings>, BoxError> {
    let reader = READER.into();
    let run = |params: SearchMessages| -> Result<_, BoxError> {
        let handled = domain
            .handle(&reader, Request::SearchMessages(params))
            .map_err(|e| format!("search: {e}"))?;
        page_of(handled.response)
    };
    // Warm-up: the statements get prepared, the index pages read once.
    for query in queries.iter().take(20) {
        run(query.params.clone())?;
    }
    let mut results = Vec::with_capacity(queries.len());
    for query in queries {
        let mut params = query.params.clone();
        if query.second_page {
            let first = run(params.clone())?;
            let Some(cursor) = first.next_cursor else {
                continue;
            };
            params.cursor = Some(cursor);
        }
        let start = Instant::now();
        let page = run(params)?;
        results.push((query.class.clone(), start.elapsed(), page.hits.len()));
    }
    Ok(group(results))
}

/// FTS5's own ranking on the same index: `ORDER BY rank` (bm25 of every match, the best
/// 20) and `bm25()` of the newest 1,000 matches.
pub fn fts5_bm25(dir: &Path, queries: &[Query]) -> Result<Vec<Timings>, BoxError> {
    let conn = rusqlite::Connection::open_with_flags(
        dir.join("community.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?;
    let limits = Limits::default();
    let mut results = Vec::new();
    for (label, sql) in [
        (
            "FTS5 `ORDER BY rank` (bm25 of all matches), best 20",
            "SELECT rowid FROM message_search WHERE message_search MATCH ?1 ORDER BY rank LIMIT 20",
        ),
        (
            "FTS5 `bm25()` of the newest 1,000 matches",
            "SELECT rowid, bm25(message_search) FROM message_search WHERE message_search MATCH ?1
             ORDER BY rowid DESC LIMIT 1000",
        ),
    ] {
        let mut statement = conn.prepare(sql)?;
        for query in queries.iter().filter(|q| !q.second_page) {
            if query.params.sender_id.is_some() || query.params.channel_id.is_some() {
                continue;
            }
            let parsed = SearchQuery::parse(&query.params.query, &limits)?;
            let expression = format!("body : ({})", parsed.fts5());
            let start = Instant::now();
            let rows = statement
                .query_map([expression], |row| row.get::<_, i64>(0))?
                .count();
            results.push((
                format!("{label}: {}", query.class),
                start.elapsed(),
                rows.min(20),
            ));
        }
    }
    Ok(group(results))
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn call(ws: &mut Ws, id: u64, request: Request) -> Result<Response, BoxError> {
    let frame = ClientFrame::Request { id, request };
    ws.send(WsMessage::text(codec::encode_client(&frame)?))
        .await?;
    loop {
        let message = tokio::time::timeout(Duration::from_secs(60), ws.next())
            .await?
            .ok_or("connection closed")??;
        let WsMessage::Text(text) = message else {
            continue;
        };
        if let ServerFrame::Response { id: got, outcome } = codec::decode_server(text.as_str())?
            && got == id
        {
            return Result::<Response, _>::from(outcome).map_err(Into::into);
        }
    }
}

/// Runs the queries through the real server on `dir` (one WebSocket on loopback, one
/// request at a time): the round trip as a client sees it.
pub async fn through_server(dir: &Path, queries: &[Query]) -> Result<Vec<Timings>, BoxError> {
    let mut config = ServerConfig::new("127.0.0.1:0".parse()?, dir);
    config.limits = crate::build::limits();
    config.heartbeat_interval = Duration::from_secs(600);
    let server = RunningServer::start(config).await?;
    let (mut ws, _) = tokio_tungstenite::connect_async(server.ws_url()).await?;
    let hello = ClientFrame::Hello {
        protocol_version: PROTOCOL_VERSION,
        client: "search-bench".into(),
        compression: Vec::new(),
    };
    ws.send(WsMessage::text(codec::encode_client(&hello)?))
        .await?;
    let token = server.issue_token(READER, Duration::from_secs(3600))?;
    let login = Request::Login(Login {
        user_id: READER.into(),
        token,
        device_id: String::new(),
        resume: None,
    });
    call(&mut ws, 1, login).await?;
    let mut id = 1;
    // Warm-up.
    for query in queries.iter().take(20) {
        id += 1;
        call(&mut ws, id, Request::SearchMessages(query.params.clone())).await?;
    }
    let mut results = Vec::new();
    for query in queries {
        let mut params = query.params.clone();
        if query.second_page {
            id += 1;
            let first = page_of(call(&mut ws, id, Request::SearchMessages(params.clone())).await?)?;
            let Some(cursor) = first.next_cursor else {
                continue;
            };
            params.cursor = Some(cursor);
        }
        id += 1;
        let start = Instant::now();
        let page = page_of(call(&mut ws, id, Request::SearchMessages(params)).await?)?;
        results.push((query.class.clone(), start.elapsed(), page.hits.len()));
    }
    drop(ws);
    server.shutdown().await;
    Ok(group(results))
}
