//! Tokens and sessions: forged, expired and mismatched tokens, token expiry and refresh,
//! device replacement, logout.

mod common;

use std::time::Duration;

use common::*;
use community_protocol::request::{Empty, RefreshToken};
use community_protocol::response::TokenRefreshed;
use community_protocol::*;

async fn login_error(server: &TestServer, user: &str, token: &str) -> ApiError {
    let mut client = Client::connect(&server.url()).await;
    client.hello().await;
    client.login(user, token, "", None).await.unwrap_err()
}

#[tokio::test]
async fn forged_malformed_and_mismatched_tokens_are_refused() {
    let server = TestServer::start().await;
    let other = tempfile::tempdir().unwrap();
    let foreign = community_server::issue_token(other.path(), "alice", HOUR).unwrap();
    assert_eq!(
        login_error(&server, "alice", &foreign).await.code,
        ErrorCode::TOKEN_FORGED
    );
    let good = server.token("alice");
    let mut tampered = good.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == '0' { '1' } else { '0' });
    assert_eq!(
        login_error(&server, "alice", &tampered).await.code,
        ErrorCode::TOKEN_FORGED
    );
    assert_eq!(
        login_error(&server, "alice", "hello").await.code,
        ErrorCode::TOKEN_MALFORMED
    );
    assert_eq!(
        login_error(&server, "bob", &good).await.code,
        ErrorCode::TOKEN_USER_MISMATCH
    );
    // The offline issuer shares the server's secret.
    let offline = community_server::issue_token(server.dir.path(), "alice", HOUR).unwrap();
    let mut client = Client::connect(&server.url()).await;
    client.hello().await;
    client.login_ok("alice", &offline, "", None).await;
}

#[tokio::test]
async fn expired_tokens_are_refused() {
    let server = TestServer::start().await;
    let expired = server
        .server()
        .issue_token("alice", Duration::ZERO)
        .unwrap();
    assert_eq!(
        login_error(&server, "alice", &expired).await.code,
        ErrorCode::TOKEN_EXPIRED
    );
}

#[tokio::test]
async fn token_expiry_ends_the_connection_unless_refreshed() {
    let server = TestServer::start().await;
    let mut client = Client::connect(&server.url()).await;
    client.hello().await;
    let short = server
        .server()
        .issue_token("alice", Duration::from_secs(1))
        .unwrap();
    let logged_in = client.login_ok("alice", &short, "", None).await;
    assert!(logged_in.token_expires_at_ms > 0);
    // Refreshing with another user's token is refused; with alice's it works.
    let request = Request::RefreshToken(RefreshToken {
        token: server.token("bob"),
    });
    client.fails(request, ErrorCode::TOKEN_USER_MISMATCH).await;
    let later = server
        .server()
        .issue_token("alice", Duration::from_secs(2))
        .unwrap();
    match client
        .ok(Request::RefreshToken(RefreshToken { token: later }))
        .await
    {
        Response::TokenRefreshed(TokenRefreshed { expires_at_ms }) => {
            assert!(expires_at_ms > logged_in.token_expires_at_ms)
        }
        other => panic!("unexpected {other:?}"),
    }
    let bye = client.expect_goodbye().await;
    assert_eq!(
        bye,
        Bye {
            reason: GoodbyeReason::TokenExpired,
            reconnect: false
        }
    );
}

#[tokio::test]
async fn a_second_login_on_the_same_device_replaces_the_first() {
    let server = TestServer::start().await;
    let token = server.token("alice");
    let mut first = Client::connect(&server.url()).await;
    first.hello().await;
    first.login_ok("alice", &token, "phone-1", None).await;
    // Another device does not replace it.
    let mut laptop = Client::connect(&server.url()).await;
    laptop.hello().await;
    laptop.login_ok("alice", &token, "laptop", None).await;
    let mut second = Client::connect(&server.url()).await;
    second.hello().await;
    second.login_ok("alice", &token, "phone-1", None).await;
    let bye = first.expect_goodbye().await;
    assert_eq!(
        bye,
        Bye {
            reason: GoodbyeReason::SessionReplaced,
            reconnect: false
        }
    );
    // The replaced session cannot be resumed; the others work.
    let mut again = Client::connect(&server.url()).await;
    again.hello().await;
    let resumed = again
        .login_ok("alice", &token, "tablet", Some(first.resume()))
        .await;
    assert!(!resumed.resumed);
    assert!(matches!(laptop.ok(sync_all()).await, Response::Synced(_)));
    assert!(matches!(second.ok(sync_all()).await, Response::Synced(_)));
}

#[tokio::test]
async fn logout_says_goodbye_and_forgets_the_session() {
    let server = TestServer::start().await;
    let mut client = server.login("alice").await;
    let resume = client.resume();
    assert_eq!(client.ok(Request::Logout(Empty {})).await, Response::Ok);
    let bye = client.expect_goodbye().await;
    assert_eq!(
        bye,
        Bye {
            reason: GoodbyeReason::LoggedOut,
            reconnect: false
        }
    );
    let mut again = Client::connect(&server.url()).await;
    again.hello().await;
    let logged_in = again
        .login_ok("alice", &server.token("alice"), "", Some(resume))
        .await;
    assert!(!logged_in.resumed, "a logged-out session cannot be resumed");
}

#[tokio::test]
async fn reconnecting_without_resume_cannot_pile_up_sessions() {
    let server = TestServer::start_with(|config| config.max_sessions_per_user = 3).await;
    let mut live = server.login("alice").await;
    // Each of these connections goes away and leaves a lingering session behind.
    for _ in 0..6 {
        let gone = server.login("alice").await;
        drop(gone);
        // Bounded wait until the server noticed (the session is released before the
        // connection stops counting), so the lingering one is what gets evicted.
        for _ in 0..400 {
            if server.server().connection_count() == 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(server.server().connection_count(), 1);
    }
    let mut last = server.login("alice").await;
    assert!(
        server.server().session_count() <= 3,
        "{} sessions kept",
        server.server().session_count()
    );
    // The connected sessions were kept; lingering ones went first.
    assert!(matches!(live.ok(sync_all()).await, Response::Synced(_)));
    assert!(matches!(last.ok(sync_all()).await, Response::Synced(_)));
}
