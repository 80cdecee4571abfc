//! Benchmark of the admin API's batch import (a program, not a test): an in-process
//! server (temporary data directory, 127.0.0.1, port 0), one community created through
//! `POST /admin/v1/communities`, then `--members` users (100,000 by default) imported by
//! `POST /admin/v1/communities/{id}/members/import` in calls of `--batch` (1,000, the
//! most one call takes), one after the other over real HTTP. Prints the total time, the
//! imports per second and the slowest and median call, and checks the final member count
//! with `GET /admin/v1/communities/{id}`.
//!
//! Run (release!):
//!
//! ```text
//! cargo run --release -p community-server --example admin_import_bench
//! cargo run --release -p community-server --example admin_import_bench -- --members 20000 --batch 500
//! ```

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use community_server::{RunningServer, ServerConfig};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One HTTP/1.1 call (`Connection: close`): the status and the JSON answer.
async fn call(addr: SocketAddr, method: &str, path: &str, key: &str, body: &Value) -> (u16, Value) {
    let payload = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Authorization: Bearer {key}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        payload.len()
    );
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(head.as_bytes()).await.expect("write");
    stream.write_all(payload.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head");
    let head = String::from_utf8_lossy(&raw[..split]);
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    let body = serde_json::from_slice(&raw[split + 4..]).unwrap_or(Value::Null);
    (status, body)
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let members = arg("--members", 100_000);
    let batch = arg("--batch", 1_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = ServerConfig::new("127.0.0.1:0".parse().expect("addr"), dir.path());
    config.limits.max_members_per_community = 0;
    let server = RunningServer::start(config).await.expect("server starts");
    let addr = server.local_addr();
    let key = server.admin_key().expect("admin key");
    let (status, created) = call(
        addr,
        "POST",
        "/admin/v1/communities",
        &key,
        &json!({"owner_id": "owner", "name": "Import bench", "community_id": "bench"}),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let mut calls = Vec::new();
    let started = Instant::now();
    let mut next = 0;
    while next < members {
        let end = (next + batch).min(members);
        let user_ids: Vec<String> = (next..end).map(|i| format!("member{i:06}")).collect();
        let call_started = Instant::now();
        let (status, answer) = call(
            addr,
            "POST",
            "/admin/v1/communities/bench/members/import",
            &key,
            &json!({ "user_ids": user_ids }),
        )
        .await;
        calls.push(call_started.elapsed());
        assert_eq!(status, 200, "{answer}");
        assert_eq!(
            answer["added"].as_array().map(Vec::len),
            Some(end - next),
            "{answer}"
        );
        next = end;
    }
    let total = started.elapsed();
    let (_, community) = call(
        addr,
        "GET",
        "/admin/v1/communities/bench",
        &key,
        &Value::Null,
    )
    .await;
    let count = community["info"]["member_count"].as_u64().unwrap_or(0);
    assert_eq!(count, members as u64 + 1, "every member imported");
    calls.sort();
    let median = calls[calls.len() / 2];
    let slowest = calls.last().copied().unwrap_or(Duration::ZERO);
    println!(
        "imported {members} members in {} calls of {batch}: {:.2} s total, {:.0} members/s, \
         median call {:.1} ms, slowest {:.1} ms; member_count {count}",
        calls.len(),
        total.as_secs_f64(),
        members as f64 / total.as_secs_f64(),
        median.as_secs_f64() * 1000.0,
        slowest.as_secs_f64() * 1000.0,
    );
    server.shutdown().await;
}
