//! Push tokens end to end (PROTOCOL.md §23.1): tokens registered through the SDK are kept
//! by a real `community-server` for the right user — registered online, before the
//! client ever connected, and while the server was down — a replaced token is
//! unregistered, a token registered by another user moves to them, bad tokens are refused
//! locally with `invalid_push_token`, and `logout` unregisters the device's token.
//!
//! The server's side is read straight from its database (`TestServer::push_tokens`).

use community_e2e::{TestClient, TestResult, TestServer, build_client, eventually_async, fail};
use community_protocol::ErrorCode;
use community_sdk::{PushPlatform, SdkError};

/// Waits until the server keeps exactly `expected` (platform, token) for `user_id`.
async fn server_has(server: &TestServer, user_id: &str, expected: &[(&str, &str)]) -> TestResult {
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(platform, token)| (platform.to_string(), token.to_string()))
        .collect();
    let what = format!("the server keeps {expected:?} for {user_id}");
    let result = eventually_async(&what, || async {
        server
            .push_tokens(user_id)
            .await
            .is_ok_and(|tokens| tokens == expected)
    })
    .await;
    if result.is_err() {
        let found = server.push_tokens(user_id).await?;
        return fail(format!("{what}; it keeps {found:?}"));
    }
    Ok(())
}

fn is_invalid_push_token(result: Result<(), SdkError>) -> bool {
    matches!(result, Err(SdkError::Api(error)) if error.code == ErrorCode::INVALID_PUSH_TOKEN)
}

#[tokio::test]
async fn tokens_reach_the_server_move_between_users_and_leave_at_logout() -> TestResult {
    let server = TestServer::start().await?;
    let alice = TestClient::login(&server, "alice", "phone-a").await?;

    alice
        .client
        .register_push_token(PushPlatform::Fcm, "fcm-alice-1")
        .await?;
    server_has(&server, "alice", &[("fcm", "fcm-alice-1")]).await?;
    // Again: nothing changes.
    alice
        .client
        .register_push_token(PushPlatform::Fcm, "fcm-alice-1")
        .await?;
    // Refused locally, typed.
    for bad in ["", " padded", "line\nbreak"] {
        let result = alice
            .client
            .register_push_token(PushPlatform::Fcm, bad)
            .await;
        if !is_invalid_push_token(result) {
            return fail(format!("{bad:?} was not refused with invalid_push_token"));
        }
    }
    let long = "x".repeat(alice.client.limits().push_token_bytes + 1);
    if !is_invalid_push_token(alice.client.unregister_push_token(&long).await) {
        return fail("a too long token was not refused with invalid_push_token");
    }
    // A new token replaces the old one, which the server forgets.
    alice
        .client
        .register_push_token(PushPlatform::Fcm, "fcm-alice-2")
        .await?;
    server_has(&server, "alice", &[("fcm", "fcm-alice-2")]).await?;

    // Registered before the client ever connected: sent once logged in.
    let bob_dir = tempfile::tempdir()?;
    let bob = build_client(&server.ws_url(), bob_dir.path(), "tablet").await?;
    bob.register_push_token(PushPlatform::ApnsSandbox, "apns-shared")
        .await?;
    bob.login("bob", &server.token("bob")?).await?;
    server_has(&server, "bob", &[("apns_sandbox", "apns-shared")]).await?;

    // The same device token registered by another user moves to them.
    let carol = TestClient::login(&server, "carol", "tablet-2").await?;
    carol
        .client
        .register_push_token(PushPlatform::ApnsSandbox, "apns-shared")
        .await?;
    server_has(&server, "carol", &[("apns_sandbox", "apns-shared")]).await?;
    server_has(&server, "bob", &[]).await?;
    // Unregistered explicitly.
    carol.client.unregister_push_token("apns-shared").await?;
    server_has(&server, "carol", &[]).await?;

    // Logout unregisters the device's token before the session ends.
    alice.client.logout().await?;
    server_has(&server, "alice", &[]).await?;

    bob.close().await?;
    carol.close().await?;
    alice.close().await?;
    Ok(())
}

#[tokio::test]
async fn a_token_registered_while_the_server_is_down_is_sent_after_the_next_login() -> TestResult {
    let mut server = TestServer::start().await?;
    let dave = TestClient::login(&server, "dave", "phone-d").await?;
    dave.client
        .register_push_token(PushPlatform::Hms, "hms-first")
        .await?;
    server_has(&server, "dave", &[("hms", "hms-first")]).await?;

    server.stop().await?;
    // Offline: remembered (the old one is queued for unregistering), sent later.
    dave.client
        .register_push_token(PushPlatform::WebPush, "https://push.example/d")
        .await?;
    server.start_again().await?;
    server_has(&server, "dave", &[("web_push", "https://push.example/d")]).await?;

    // Closed and reopened from its cache: the token is still the device's, and logout
    // unregisters it.
    let dir = dave.close().await?;
    let again = build_client(&server.ws_url(), dir.path(), "phone-d").await?;
    again.login("dave", &server.token("dave")?).await?;
    server_has(&server, "dave", &[("web_push", "https://push.example/d")]).await?;
    again.logout().await?;
    server_has(&server, "dave", &[]).await?;
    again.close().await?;
    Ok(())
}
