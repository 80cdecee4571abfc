//! The connection protocol: health check, hello, bad frames, heartbeats, shutdown.

mod common;

use std::time::Duration;

use common::*;
use community_protocol::request::{Empty, Login};
use community_protocol::*;
use tokio_tungstenite::tungstenite::Message as WsMessage;

#[tokio::test]
async fn healthz_answers_200_and_ws_upgrades() {
    let server = TestServer::start().await;
    let addr = server.server().local_addr();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut reply = String::new();
    tokio::time::timeout(WAIT, stream.read_to_string(&mut reply))
        .await
        .unwrap()
        .unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(server.url().starts_with("ws://127.0.0.1:"));
    let mut client = Client::connect(&server.url()).await;
    let welcome = client.hello().await;
    let ServerFrame::Welcome {
        heartbeat_interval_ms,
        max_frame_bytes,
        ..
    } = welcome
    else {
        unreachable!()
    };
    assert_eq!(heartbeat_interval_ms, 15_000);
    assert_eq!(max_frame_bytes, codec::DEFAULT_MAX_FRAME_BYTES);
}

#[tokio::test]
async fn first_frame_must_be_hello() {
    let server = TestServer::start().await;
    let mut client = Client::connect(&server.url()).await;
    let id = client.send_request(Request::Logout(Empty {})).await;
    let error = client.response(id).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::HELLO_REQUIRED);
    let bye = client.expect_goodbye().await;
    assert_eq!(
        bye,
        Bye {
            reason: GoodbyeReason::ProtocolError,
            reconnect: false
        }
    );
}

#[tokio::test]
async fn unsupported_version_is_refused_and_closed() {
    let server = TestServer::start().await;
    let mut client = Client::connect(&server.url()).await;
    client
        .send_frame(&ClientFrame::Hello {
            protocol_version: 99,
            client: String::new(),
            compression: Vec::new(),
        })
        .await;
    match client.next_frame().await {
        Some(ServerFrame::Error { error }) => {
            assert_eq!(error.code, ErrorCode::UNSUPPORTED_VERSION)
        }
        other => panic!("expected an error, got {other:?}"),
    }
    assert_eq!(
        client.expect_goodbye().await.reason,
        GoodbyeReason::ProtocolError
    );
}

#[tokio::test]
async fn requests_before_login_and_second_login_are_refused() {
    let server = TestServer::start().await;
    let mut client = Client::connect(&server.url()).await;
    client.hello().await;
    client.fails(sync_all(), ErrorCode::NOT_LOGGED_IN).await;
    let token = server.token("alice");
    client.login_ok("alice", &token, "", None).await;
    let again = client.login("alice", &token, "", None).await.unwrap_err();
    assert_eq!(again.code, ErrorCode::ALREADY_LOGGED_IN);
    // Still serving.
    assert!(matches!(client.ok(sync_all()).await, Response::Synced(_)));
}

#[tokio::test]
async fn bad_frames_are_answered_and_the_connection_keeps_serving() {
    let server = TestServer::start_with(|c| {
        c.max_frame_bytes = 4096;
        c.limits.text_bytes = 1024;
        c.limits.custom_payload_bytes = 1024;
    })
    .await;
    let mut client = server.login("alice").await;
    let error_code = |frame: Option<ServerFrame>| match frame {
        Some(ServerFrame::Error { error }) => error.code,
        other => panic!("expected an error frame, got {other:?}"),
    };
    client.send_text("{not json").await;
    assert_eq!(error_code(client.next_frame().await), ErrorCode::BAD_FRAME);
    client.send_text(r#"{"type":"shout"}"#).await;
    assert_eq!(error_code(client.next_frame().await), ErrorCode::UNKNOWN_OP);
    client.send_raw(WsMessage::binary(vec![1u8, 2, 3])).await;
    assert_eq!(error_code(client.next_frame().await), ErrorCode::BAD_FRAME);
    // Over max_frame_bytes but readable: a typed error, and the connection stays.
    client
        .send_text(format!(
            r#"{{"type":"heartbeat","pad":"{}"}}"#,
            "x".repeat(5000)
        ))
        .await;
    assert_eq!(
        error_code(client.next_frame().await),
        ErrorCode::FRAME_TOO_LARGE
    );
    // Errors of a request whose id is readable come back as its response.
    client
        .send_text(r#"{"type":"request","id":77,"op":"fly","params":{}}"#)
        .await;
    assert_eq!(
        client.response(77).await.unwrap_err().code,
        ErrorCode::UNKNOWN_OP
    );
    client
        .send_text(r#"{"type":"request","id":78,"op":"get_heads","params":{"community_id":5}}"#)
        .await;
    assert_eq!(
        client.response(78).await.unwrap_err().code,
        ErrorCode::INVALID_PARAMS
    );
    client
        .send_frame(&ClientFrame::Hello {
            protocol_version: 1,
            client: String::new(),
            compression: Vec::new(),
        })
        .await;
    assert_eq!(error_code(client.next_frame().await), ErrorCode::BAD_FRAME);
    // Still serving, and the server too.
    assert!(matches!(client.ok(sync_all()).await, Response::Synced(_)));
    let mut other = server.login("bob").await;
    assert!(matches!(other.ok(sync_all()).await, Response::Synced(_)));
}

#[tokio::test]
async fn a_frame_beyond_the_websocket_limit_is_answered_then_closed() {
    let server = TestServer::start_with(|c| {
        c.max_frame_bytes = 1024;
        c.limits.text_bytes = 128;
        c.limits.custom_payload_bytes = 128;
        c.limits.custom_data_bytes = 128;
    })
    .await;
    let mut client = server.login("alice").await;
    let huge = "x".repeat(server.config.ws_hard_limit_bytes() + 10);
    client.send_text(huge).await;
    match client.next_frame().await {
        Some(ServerFrame::Error { error }) => assert_eq!(error.code, ErrorCode::FRAME_TOO_LARGE),
        other => panic!("expected frame_too_large, got {other:?}"),
    }
    assert_eq!(
        client.expect_goodbye().await.reason,
        GoodbyeReason::ProtocolError
    );
    // The server still serves others.
    let mut other = server.login("bob").await;
    assert!(matches!(other.ok(sync_all()).await, Response::Synced(_)));
}

#[tokio::test]
async fn heartbeats_are_acked_and_silence_closes_the_connection() {
    let server =
        TestServer::start_with(|c| c.heartbeat_interval = Duration::from_millis(300)).await;
    let mut client = server.login("alice").await;
    for _ in 0..3 {
        client
            .send_frame(&ClientFrame::Heartbeat { last_event_seq: 0 })
            .await;
        assert_eq!(
            client.next_frame().await,
            Some(ServerFrame::HeartbeatAck { event_seq: 0 })
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Now stay silent.
    let bye = client.expect_goodbye().await;
    assert_eq!(
        bye,
        Bye {
            reason: GoodbyeReason::HeartbeatTimeout,
            reconnect: true
        }
    );
}

#[tokio::test]
async fn graceful_shutdown_says_goodbye_to_everyone() {
    let mut server = TestServer::start().await;
    let mut logged_in = server.login("alice").await;
    let mut fresh = Client::connect(&server.url()).await;
    fresh.hello().await;
    let running = server.server.take().unwrap();
    let shutdown = tokio::spawn(running.shutdown());
    let bye = Bye {
        reason: GoodbyeReason::ServerShutdown,
        reconnect: true,
    };
    assert_eq!(logged_in.expect_goodbye().await, bye);
    assert_eq!(fresh.expect_goodbye().await, bye);
    tokio::time::timeout(WAIT, shutdown).await.unwrap().unwrap();
    // Nothing listens any more.
    let refused = tokio::net::TcpStream::connect(server.config.listen).await;
    assert!(refused.is_err(), "the port is closed after shutdown");
}

#[tokio::test]
async fn kill_drops_connections_without_goodbye_and_the_port_can_be_reused() {
    let mut server = TestServer::start().await;
    let mut client = server.login("alice").await;
    server.server.take().unwrap().kill().await;
    assert!(
        client.next_frame().await.is_none(),
        "closed without a goodbye"
    );
    server.start_again().await;
    let mut again = server.login("alice").await;
    assert!(matches!(again.ok(sync_all()).await, Response::Synced(_)));
}

#[tokio::test]
async fn login_with_an_invalid_user_id_is_refused() {
    let server = TestServer::start().await;
    let mut client = Client::connect(&server.url()).await;
    client.hello().await;
    let request = Request::Login(Login {
        user_id: String::new().into(),
        token: server.token("alice"),
        device_id: String::new(),
        resume: None,
    });
    client.fails(request, ErrorCode::INVALID_USER_ID).await;
    assert!(community_server::issue_token(server.dir.path(), "bad\nuser", HOUR).is_err());
}

/// Hello offering `deflate`; returns the welcome.
async fn hello_with(client: &mut Client, compression: &[&str]) -> ServerFrame {
    client
        .send_frame(&ClientFrame::Hello {
            protocol_version: PROTOCOL_VERSION,
            client: "compression-test".into(),
            compression: compression.iter().map(|c| c.to_string()).collect(),
        })
        .await;
    client.next_non_event().await.expect("welcome")
}

#[tokio::test]
async fn large_frames_go_deflated_to_a_client_that_offered_it_and_small_ones_as_text() {
    let server = TestServer::start().await;
    let mut owner = server.login("alice").await;
    let community = create_community(&mut owner, "Deflate").await;
    let (community_id, channel_id) = (
        community.info.community_id.clone(),
        community.channels[0].channel_id.clone(),
    );
    // 60 messages of 500 bytes: a page of them is ~40 KB, over the 16 KiB default.
    let text = "raid ".repeat(100);
    for i in 0..60 {
        send(
            &mut owner,
            &community_id,
            &channel_id,
            &format!("k{i}"),
            &text,
        )
        .await;
    }
    let page = history_after(community_id.as_str(), channel_id.as_str(), 0, Some(100));

    // Offered: the welcome accepts, the small login answer is text, the page is binary.
    let mut client = Client::connect(&server.url()).await;
    let welcome = hello_with(&mut client, &["zstd", codec::COMPRESSION_DEFLATE]).await;
    assert!(
        matches!(&welcome, ServerFrame::Welcome { compression: Some(c), .. } if c == "deflate"),
        "{welcome:?}"
    );
    client
        .send_frame(&ClientFrame::Request {
            id: 1,
            request: Request::Login(Login {
                user_id: "alice".into(),
                token: server.token("alice"),
                device_id: String::new(),
                resume: None,
            }),
        })
        .await;
    assert!(matches!(client.next_raw().await, Some(WsMessage::Text(_))));
    client
        .send_frame(&ClientFrame::Request {
            id: 2,
            request: page.clone(),
        })
        .await;
    let Some(WsMessage::Binary(bytes)) = client.next_raw().await else {
        panic!("a large answer goes compressed");
    };
    assert!(bytes.len() * 4 < text.len() * 60, "deflate shrinks it");
    let frame = codec::decode_server(&codec::inflate(&bytes, 1 << 20).unwrap()).unwrap();
    let ServerFrame::Response {
        id: 2,
        outcome: frame::Outcome::Result(Response::Messages(messages)),
    } = frame
    else {
        panic!("the page's answer: {frame:?}")
    };
    assert_eq!(messages.messages.len(), 60);

    // Not offered (or an unknown compression only): text, always.
    let mut plain = Client::connect(&server.url()).await;
    let welcome = hello_with(&mut plain, &["zstd"]).await;
    assert!(matches!(
        welcome,
        ServerFrame::Welcome {
            compression: None,
            ..
        }
    ));
    plain
        .login_ok("alice", &server.token("alice"), "", None)
        .await;
    let id = plain.send_request(page).await;
    assert!(matches!(plain.next_raw().await, Some(WsMessage::Text(_))));
    let _ = id;
}

#[tokio::test]
async fn compression_switched_off_refuses_the_offer() {
    let server = TestServer::start_with(|config| config.compress_min_bytes = 0).await;
    let mut client = Client::connect(&server.url()).await;
    let welcome = hello_with(&mut client, &[codec::COMPRESSION_DEFLATE]).await;
    assert!(matches!(
        welcome,
        ServerFrame::Welcome {
            compression: None,
            ..
        }
    ));
}
