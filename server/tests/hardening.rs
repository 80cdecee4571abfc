//! Hostile and broken peers: connections that never finish their handshake, more
//! connections than the cap, frames the WebSocket layer cannot read, and a storage failure
//! (whose cause must not reach the client).

mod common;

use std::time::Duration;

use common::*;
use community_protocol::request::GetMessages;
use community_protocol::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

/// Reads until the server closes the connection (end of stream or reset); at most 100
/// reads, whatever the server sends before closing.
async fn until_closed(mut stream: TcpStream) {
    let mut buffer = [0_u8; 1024];
    for _ in 0..100 {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
    panic!("the server kept sending instead of closing");
}

/// Waits (bounded) until `check` holds.
async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !check() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not within {WAIT:?}: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn history(community: &CommunityId, channel: &ChannelId) -> Request {
    Request::GetMessages(GetMessages {
        community_id: community.clone(),
        channel_id: channel.clone(),
        before_seq: None,
        after_seq: None,
        limit: None,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_half_sent_connections_are_closed_while_clients_are_served() {
    let server = TestServer::start_with(|c| c.handshake_timeout = Duration::from_secs(2)).await;
    let addr = server.server().local_addr();
    let mut idle = Vec::with_capacity(1_000);
    for _ in 0..1_000 {
        idle.push(TcpStream::connect(addr).await.expect("connect"));
    }
    let mut partial = Vec::with_capacity(100);
    for _ in 0..100 {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream
            .write_all(b"GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: webs")
            .await
            .expect("half a header");
        partial.push(stream);
    }

    // A well-behaved client is served while they are open.
    let mut alice = server.login("alice").await;
    let guild = create_community(&mut alice, "Guild").await;
    let (id, ch) = (guild.info.community_id, guild.info.default_channel_id);
    let first = send(&mut alice, &id, &ch, "k1", "served").await;
    assert_eq!(first.seq, 1);

    // Every one of them is closed by the server, in a generous bound.
    let closing = idle.into_iter().chain(partial).map(until_closed);
    tokio::time::timeout(WAIT, futures_util::future::join_all(closing))
        .await
        .expect("all 1,100 connections closed by the server");

    // The logged-in client is past its handshake and keeps being served.
    let second = send(&mut alice, &id, &ch, "k2", "still served").await;
    assert_eq!(second.seq, 2);
    match alice.ok(history(&id, &ch)).await {
        Response::Messages(page) => assert_eq!(page.messages.len(), 2),
        other => panic!("unexpected {other:?}"),
    }
    eventually("only alice's connection is left", || {
        server.server().socket_count() == 1
    })
    .await;
}

#[tokio::test]
async fn a_websocket_without_hello_is_closed_at_the_handshake_deadline() {
    let server = TestServer::start_with(|c| c.handshake_timeout = Duration::from_secs(1)).await;
    let mut client = Client::connect(&server.url()).await;
    let bye = client.expect_goodbye().await;
    assert_eq!(
        bye,
        Bye {
            reason: GoodbyeReason::ProtocolError,
            reconnect: true
        }
    );
}

#[tokio::test]
async fn connections_beyond_the_cap_get_503_and_a_freed_slot_is_reused() {
    let server = TestServer::start_with(|c| {
        c.max_connections = 5;
        c.handshake_timeout = Duration::from_secs(120);
    })
    .await;
    let addr = server.server().local_addr();
    let mut held = Vec::new();
    for _ in 0..5 {
        held.push(TcpStream::connect(addr).await.expect("connect"));
    }
    eventually("5 connections accepted", || {
        server.server().socket_count() == 5
    })
    .await;

    let refused = async {
        let mut sixth = TcpStream::connect(addr).await.expect("connect");
        let mut reply = Vec::new();
        let _ = tokio::time::timeout(WAIT, sixth.read_to_end(&mut reply))
            .await
            .expect("the sixth connection is closed");
        String::from_utf8_lossy(&reply).into_owned()
    };
    let reply = refused.await;
    assert!(reply.starts_with("HTTP/1.1 503 "), "{reply:?}");
    assert!(reply.contains("Connection: close"), "{reply:?}");
    assert_eq!(server.server().socket_count(), 5);

    // A freed slot serves the next client, and the cap holds again.
    drop(held.pop());
    eventually("the slot is given back", || {
        server.server().socket_count() == 4
    })
    .await;
    let mut alice = server.login("alice").await;
    assert!(matches!(alice.ok(sync_all()).await, Response::Synced(_)));
    assert_eq!(server.server().socket_count(), 5);
    let mut seventh = TcpStream::connect(addr).await.expect("connect");
    let mut reply = Vec::new();
    let _ = tokio::time::timeout(WAIT, seventh.read_to_end(&mut reply))
        .await
        .expect("refused again");
    assert!(reply.starts_with(b"HTTP/1.1 503 "));
    assert!(matches!(alice.ok(sync_all()).await, Response::Synced(_)));
}

#[tokio::test]
async fn an_unreadably_large_frame_closes_with_code_1009() {
    let server = TestServer::start_with(|c| {
        c.max_frame_bytes = 4 * 1024;
        c.limits.text_bytes = 1024;
        c.limits.custom_payload_bytes = 1024;
    })
    .await;
    let mut client = Client::connect(&server.url()).await;
    client.hello().await;
    let huge = "x".repeat(server.config.ws_hard_limit_bytes() + 10);
    client.send_text(huge).await;
    match client.next_frame().await {
        Some(ServerFrame::Error { error }) => assert_eq!(error.code, ErrorCode::FRAME_TOO_LARGE),
        other => panic!("expected frame_too_large, got {other:?}"),
    }
    let bye = client.expect_goodbye().await;
    assert_eq!(
        bye,
        Bye {
            reason: GoodbyeReason::ProtocolError,
            reconnect: true
        }
    );
    assert_eq!(client.close_code, Some(1009), "message too big");
}

#[tokio::test]
async fn a_text_frame_that_is_not_utf8_closes_with_code_1007() {
    let server = TestServer::start().await;
    let mut client = server.login("alice").await;
    let frame = Frame::message(vec![b'{', 0xff, 0xfe, b'}'], OpCode::Data(Data::Text), true);
    client.send_raw(WsMessage::Frame(frame)).await;
    let bye = client.expect_goodbye().await;
    assert_eq!(
        bye,
        Bye {
            reason: GoodbyeReason::ProtocolError,
            reconnect: false
        }
    );
    assert_eq!(client.close_code, Some(1007), "invalid frame payload data");
    // The server still serves others.
    let mut bob = server.login("bob").await;
    assert!(matches!(bob.ok(sync_all()).await, Response::Synced(_)));
}

#[tokio::test]
async fn a_storage_failure_reaches_the_client_as_an_incident_id_only() {
    let server = TestServer::start().await;
    let mut alice = server.login("alice").await;
    let guild = create_community(&mut alice, "Guild").await;
    let (id, ch) = (guild.info.community_id, guild.info.default_channel_id);
    send(&mut alice, &id, &ch, "k1", "before").await;

    // Break the database under the running server.
    let path = server.dir.path().join("community.db");
    let db = rusqlite::Connection::open(&path).expect("open the database");
    db.busy_timeout(Duration::from_secs(5))
        .expect("busy timeout");
    db.execute_batch("DROP TABLE messages;")
        .expect("drop the table");
    drop(db);

    let error = alice.fails(history(&id, &ch), ErrorCode::STORAGE).await;
    let incident = error.incident_id.clone().expect("an incident id");
    assert!(!incident.is_empty());
    assert!(error.message.contains(&incident), "{}", error.message);
    let message = error.message.to_lowercase();
    assert!(!message.contains("no such table"), "{}", error.message);
    assert!(!message.contains("sqlite"), "{}", error.message);
    assert!(!message.contains("messages"), "{}", error.message);

    // A write fails the same way, with another incident id.
    let again = alice
        .fails(
            send_text(id.as_str(), ch.as_str(), "k2", "after"),
            ErrorCode::STORAGE,
        )
        .await;
    assert!(again.incident_id.is_some());
    assert_ne!(again.incident_id, error.incident_id);
    assert!(!again.message.to_lowercase().contains("sqlite"));
}
