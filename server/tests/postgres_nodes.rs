//! Two nodes over one PostgreSQL database (`--database`, docs/MULTINODE.md), linked by
//! NATS, each with a data directory of its own and one shared token secret
//! (`--secret-file`): a token issued for one node logs in on the other; what one node
//! commits the other's sessions receive and read back from the shared database; `/healthz`
//! reports both links; when the database drops a node's connections, writes fail with a
//! typed error and the node recovers by itself without storing anything twice.
//!
//! Each test starts its own `nats-server` and uses the process's throwaway PostgreSQL
//! cluster (one fresh database per test); both skip when the binaries are missing.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::http::healthz;
use common::nats::NatsServer;
use common::*;
use community_protocol::{ChannelId, CommunityId, ErrorCode, Event, Message, Response};
use community_server_domain::store::pg_test_cluster;

/// Two nodes over one fresh database and one NATS server.
struct TwoNodes {
    a: TestServer,
    b: TestServer,
    /// The database's connection string.
    database: String,
    _nats: NatsServer,
    _secret_dir: tempfile::TempDir,
}

/// A fresh database in the test cluster: its connection string, or `None` when PostgreSQL
/// is not installed.
async fn fresh_database() -> Option<String> {
    tokio::task::spawn_blocking(|| {
        let cluster = pg_test_cluster::shared()?;
        let name = cluster.create_database().expect("a fresh database");
        Some(cluster.url(&name))
    })
    .await
    .expect("database set-up")
}

async fn two_nodes() -> Option<TwoNodes> {
    let nats = NatsServer::start().await?;
    let Some(database) = fresh_database().await else {
        eprintln!("skipped: PostgreSQL not installed");
        return None;
    };
    let secret_dir = tempfile::tempdir().expect("temp dir");
    let secret: PathBuf = secret_dir.path().join("cluster.secret");
    let node = |database: String, nats: String, secret: PathBuf| {
        move |config: &mut community_server::ServerConfig| {
            config.database = Some(database);
            config.database_connections = 4;
            config.nats = Some(nats);
            config.secret_file = Some(secret);
        }
    };
    let a = TestServer::start_with(node(database.clone(), nats.url(), secret.clone())).await;
    let b = TestServer::start_with(node(database.clone(), nats.url(), secret)).await;
    for server in [&a, &b] {
        assert!(server.server().wait_cluster(true, WAIT).await, "link up");
    }
    Some(TwoNodes {
        a,
        b,
        database,
        _nats: nats,
        _secret_dir: secret_dir,
    })
}

#[tokio::test]
async fn two_nodes_share_one_database_one_secret_and_each_others_commits() {
    let Some(nodes) = two_nodes().await else {
        return;
    };
    let (a, b) = (&nodes.a, &nodes.b);
    for node in [a, b] {
        assert_eq!(
            healthz(node.server().local_addr()).await,
            (
                200,
                "ok\nnats: up\ndatabase: up\nnats_dropped: 0\nreorder_held: 0\nreorder_gaps: 0\nreorder_late: 0\n".to_owned()
            )
        );
        assert!(
            !node.dir.path().join("community.db").exists(),
            "no SQLite database beside PostgreSQL"
        );
    }
    let mut alice = a.login("alice").await;
    // A token issued by node A logs in on node B: one secret for the cluster.
    let mut bob = Client::connect(&b.url()).await;
    bob.hello().await;
    bob.login_ok("bob", &a.token("bob"), "", None).await;

    let guild = create_community(&mut alice, "Guild").await;
    let (community, channel) = (guild.info.community_id, guild.info.default_channel_id);
    bob.ok(join(community.as_str())).await;
    alice
        .event_where(|event| matches!(event, Event::MemberJoined { member, .. } if member.user_id.as_str() == "bob"))
        .await;
    let mut sent = Vec::new();
    for i in 0..5 {
        sent.push(
            send(&mut alice, &community, &channel, &format!("a{i}"), "hi")
                .await
                .seq,
        );
    }
    let mut seen = Vec::new();
    while seen.len() < sent.len() {
        if let Event::MessageCreated { message } = bob
            .event_where(|e| matches!(e, Event::MessageCreated { .. }))
            .await
        {
            seen.push(message.seq);
        }
    }
    assert_eq!(seen, sent, "node B delivers node A's commits in seq order");
    let reply = send(&mut bob, &community, &channel, "b0", "hello").await;
    alice
        .event_where(|e| matches!(e, Event::MessageCreated { message } if message.seq == reply.seq))
        .await;
    // Both nodes read the same history from the shared database.
    let from_a = all_messages(&mut alice, &community, &channel).await;
    let from_b = all_messages(&mut bob, &community, &channel).await;
    assert_eq!(from_a, from_b);
    assert_eq!(
        from_a.iter().map(|m| m.seq).collect::<Vec<_>>(),
        (1..=from_a.len() as u64).collect::<Vec<_>>(),
        "gap-free seq across the nodes"
    );
}

/// Ends every connection the nodes hold to `database` (as a database restart or a
/// network cut would); with `refuse`, new connections are refused until [`allow`] (the
/// database is down for the nodes).
async fn cut_connections(database: &str, refuse: bool) -> u64 {
    let url = database.to_owned();
    tokio::task::spawn_blocking(move || {
        let name = url
            .split_whitespace()
            .find_map(|part| part.strip_prefix("dbname="))
            .expect("dbname in the connection string")
            .to_owned();
        let admin_url = url.replace(&format!("dbname={name}"), "dbname=postgres");
        let mut admin =
            postgres::Client::connect(&admin_url, postgres::NoTls).expect("admin connection");
        if refuse {
            admin
                .batch_execute(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
                .expect("refuse connections");
        }
        let rows = admin
            .query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE datname = $1 AND pid <> pg_backend_pid()",
                &[&name],
            )
            .expect("terminate");
        rows.len() as u64
    })
    .await
    .expect("cut")
}

/// Lets connections to `database` in again (after [`cut_connections`] with `refuse`).
async fn allow(database: &str) {
    let url = database.to_owned();
    tokio::task::spawn_blocking(move || {
        let name = url
            .split_whitespace()
            .find_map(|part| part.strip_prefix("dbname="))
            .expect("dbname in the connection string")
            .to_owned();
        let admin_url = url.replace(&format!("dbname={name}"), "dbname=postgres");
        let mut admin =
            postgres::Client::connect(&admin_url, postgres::NoTls).expect("admin connection");
        admin
            .batch_execute(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
            .expect("allow connections");
    })
    .await
    .expect("allow");
}

/// Sends `key` until it is acknowledged (bounded); every refusal must be the typed
/// storage error.
async fn send_until_acknowledged(
    client: &mut Client,
    community: &CommunityId,
    channel: &ChannelId,
    key: &str,
) -> Message {
    for _ in 0..150 {
        match client
            .request(send_text(community.as_str(), channel.as_str(), key, key))
            .await
        {
            Ok(Response::MessageSent(message)) => return message,
            Ok(other) => panic!("unexpected {other:?}"),
            Err(error) => {
                assert_eq!(error.code, ErrorCode::STORAGE, "{error:?}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    panic!("{key} never acknowledged");
}

#[tokio::test]
async fn a_node_whose_database_connections_drop_refuses_with_a_typed_error_and_recovers() {
    let Some(nodes) = two_nodes().await else {
        return;
    };
    let (a, b) = (&nodes.a, &nodes.b);
    let mut alice = a.login("alice").await;
    let mut bob = b.login("bob").await;
    let guild = create_community(&mut alice, "Guild").await;
    let (community, channel) = (guild.info.community_id, guild.info.default_channel_id);
    bob.ok(join(community.as_str())).await;
    send(&mut alice, &community, &channel, "before", "before the cut").await;

    // Connections lost while idle: the node reconnects by itself; the first write after
    // the cut is acknowledged (or refused with the typed error while it reconnects).
    assert!(
        cut_connections(&nodes.database, false).await > 0,
        "connections cut"
    );
    let after_cut = send_until_acknowledged(&mut alice, &community, &channel, "after-cut").await;
    bob.event_where(
        |e| matches!(e, Event::MessageCreated { message } if message.seq == after_cut.seq),
    )
    .await;

    // The database refuses the nodes: writes fail with the typed storage error and
    // `/healthz` says the database is down.
    cut_connections(&nodes.database, true).await;
    let refused = alice
        .fails(
            send_text(community.as_str(), channel.as_str(), "while-down", "x"),
            ErrorCode::STORAGE,
        )
        .await;
    assert!(!refused.message.is_empty());
    let (status, body) = healthz(a.server().local_addr()).await;
    assert_eq!(status, 503);
    assert!(
        body.starts_with("nats: up\ndatabase: down\nnats_dropped: "),
        "{body}"
    );

    // Back: the node recovers by itself; the refused key, sent again, is stored once.
    allow(&nodes.database).await;
    let back = send_until_acknowledged(&mut alice, &community, &channel, "while-down").await;
    bob.event_where(|e| matches!(e, Event::MessageCreated { message } if message.seq == back.seq))
        .await;
    let history = all_messages(&mut bob, &community, &channel).await;
    for key in ["before", "after-cut", "while-down"] {
        let stored = history.iter().filter(|m| m.idempotency_key == key).count();
        assert_eq!(stored, 1, "{key} stored exactly once");
    }
    for node in [a, b] {
        assert_eq!(healthz(node.server().local_addr()).await.0, 200);
    }
}
