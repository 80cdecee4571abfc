//! Push tokens (protocol §23.1) against a scripted server that records every request: a
//! token registered before login is sent once the session is synced, registering it again
//! sends nothing, a replacing token is registered and the old one unregistered, a bad
//! token never leaves the device, and `logout` unregisters the token before it ends the
//! session.

mod scripted;

use std::time::Duration;

use community_sdk::protocol::ErrorCode;
use community_sdk::{Client, PushPlatform, SdkError, SyncState};
use scripted::{Server, USER, WAIT};

/// Waits until the server received `op` `count` times.
async fn received(server: &Server, op: &str, count: usize) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while server.count(op) < count {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{op} not received {count} times (got {:?})",
            server.ops()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn tokens_are_sent_once_replaced_and_unregistered_at_logout() {
    let server = Server::start().await;
    let dir = tempfile::tempdir().expect("dir");
    let client = Client::builder()
        .server_url(&server.url)
        .data_dir(dir.path())
        .device_id("phone")
        .max_reconnect_attempts(0)
        .build()
        .await
        .expect("client");

    // Before login: kept, nothing sent.
    client
        .register_push_token(PushPlatform::Fcm, "fcm-1")
        .await
        .expect("kept for the login");
    client.login(USER, "token").await.expect("login");
    let mut states = client.subscribe_sync_state();
    tokio::time::timeout(WAIT, async {
        while let Some(state) = states.next().await {
            if state == SyncState::CaughtUp {
                return;
            }
        }
    })
    .await
    .expect("caught up");
    received(&server, "register_push_token", 1).await;

    // Again: acknowledged in this session, nothing to send.
    client
        .register_push_token(PushPlatform::Fcm, "fcm-1")
        .await
        .expect("again");
    // A bad token never leaves the device.
    match client.register_push_token(PushPlatform::Fcm, "").await {
        Err(SdkError::Api(error)) => assert_eq!(error.code, ErrorCode::INVALID_PUSH_TOKEN),
        other => panic!("unexpected {other:?}"),
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(server.count("register_push_token"), 1, "{:?}", server.ops());

    // A new token: registered, and the replaced one unregistered.
    client
        .register_push_token(PushPlatform::Apns, "apns-2")
        .await
        .expect("replaced");
    received(&server, "register_push_token", 2).await;
    received(&server, "unregister_push_token", 1).await;

    // Logout: the token is unregistered first, then the session ends.
    client.logout().await.expect("logout");
    let ops = server.ops();
    let tail: Vec<&str> = ops.iter().rev().take(2).rev().map(String::as_str).collect();
    assert_eq!(tail, ["unregister_push_token", "logout"], "{ops:?}");
    assert_eq!(server.count("unregister_push_token"), 2);
    client.close().await.expect("close");
}
